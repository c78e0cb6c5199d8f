//! `anj/persistence.h`: a byte stream the application provides (a read or a write
//! callback and its argument) and the primitives objects use to save their state into it
//! and load it back, plus `anj_dm_server_obj_store` / `anj_dm_server_obj_restore`.
//!
//! The object records written here are framed by the library itself: a magic tag that
//! names the record kind and its format version, a fixed-size little-endian payload, and
//! a CRC-32 of the payload. A restore reads and checks the whole record into a local copy
//! first and touches the object only when everything (tag, checksum, field values) is
//! right, so corrupt, truncated or foreign data leaves the object as it was.

use core::ffi::{c_char, c_int, c_void};

/// Longest magic tag `anj_persistence_magic` accepts (also in anj/persistence.h).
/// cbindgen:ignore
pub const ANJ_PERSISTENCE_MAGIC_MAX_SIZE: usize = 16;

/// Which way a persistence context moves data.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_persistence_direction_t {
    ANJ_PERSISTENCE_STORE = 0,
    ANJ_PERSISTENCE_RESTORE = 1,
}

/// Reads exactly `size` bytes into `buf`; 0 on success.
pub type anj_persistence_read_cb_t =
    unsafe extern "C" fn(ctx: *mut c_void, buf: *mut c_void, size: usize) -> c_int;
/// Writes exactly `size` bytes from `buf`; 0 on success.
pub type anj_persistence_write_cb_t =
    unsafe extern "C" fn(ctx: *mut c_void, buf: *const c_void, size: usize) -> c_int;

/// A persistence stream: its direction, the callback for that direction and the
/// callback's argument. Built by `anj_persistence_store_context_create` or
/// `anj_persistence_restore_context_create`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_persistence_context_t {
    pub direction: anj_persistence_direction_t,
    pub read:
        Option<unsafe extern "C" fn(ctx: *mut c_void, buf: *mut c_void, size: usize) -> c_int>,
    pub write:
        Option<unsafe extern "C" fn(ctx: *mut c_void, buf: *const c_void, size: usize) -> c_int>,
    pub ctx: *mut c_void,
}

use anj_persistence_direction_t::*;

/// Failure of a persistence operation (the callback failed, data did not match).
#[derive(Debug, PartialEq, Eq)]
pub struct PersistError;

impl anj_persistence_context_t {
    pub fn is_store(&self) -> bool {
        self.direction == ANJ_PERSISTENCE_STORE
    }

    /// Writes `buf` (store contexts only).
    pub fn put(&self, buf: &[u8]) -> Result<(), PersistError> {
        match (self.direction, self.write) {
            (ANJ_PERSISTENCE_STORE, Some(w)) if buf.is_empty() => {
                let _ = w;
                Ok(())
            }
            (ANJ_PERSISTENCE_STORE, Some(w)) => {
                // SAFETY: the callback's contract (anj/persistence.h): it reads `size`
                // bytes from a buffer that is valid for them, with the user's `ctx`.
                match unsafe { w(self.ctx, buf.as_ptr().cast(), buf.len()) } {
                    0 => Ok(()),
                    _ => Err(PersistError),
                }
            }
            _ => Err(PersistError),
        }
    }

    /// Fills `buf` (restore contexts only).
    pub fn get(&self, buf: &mut [u8]) -> Result<(), PersistError> {
        match (self.direction, self.read) {
            (ANJ_PERSISTENCE_RESTORE, Some(_)) if buf.is_empty() => Ok(()),
            (ANJ_PERSISTENCE_RESTORE, Some(r)) => {
                // SAFETY: the callback writes at most `size` bytes into a buffer valid
                // for them.
                match unsafe { r(self.ctx, buf.as_mut_ptr().cast(), buf.len()) } {
                    0 => Ok(()),
                    _ => Err(PersistError),
                }
            }
            _ => Err(PersistError),
        }
    }

    /// Stores `buf`, or fills it, depending on the direction.
    pub fn bytes(&self, buf: &mut [u8]) -> Result<(), PersistError> {
        if self.is_store() {
            self.put(buf)
        } else {
            self.get(buf)
        }
    }

    /// Writes a framed record (store), or reads one into `payload` and checks it
    /// (restore): `magic`, the payload, then the payload's CRC-32, little-endian. On a
    /// failed restore `payload` may hold partial data; callers decode from a scratch copy.
    pub fn record(&self, magic: &[u8], payload: &mut [u8]) -> Result<(), PersistError> {
        if self.is_store() {
            self.put(magic)?;
            self.put(payload)?;
            self.put(&crc32(payload).to_le_bytes())
        } else {
            let mut tag = [0u8; ANJ_PERSISTENCE_MAGIC_MAX_SIZE];
            let tag = tag.get_mut(..magic.len()).ok_or(PersistError)?;
            self.get(tag)?;
            if tag != magic {
                crate::log_error!("persistence: unexpected record tag");
                return Err(PersistError);
            }
            self.get(payload)?;
            let mut crc = [0u8; 4];
            self.get(&mut crc)?;
            if u32::from_le_bytes(crc) != crc32(payload) {
                crate::log_error!("persistence: record checksum mismatch");
                return Err(PersistError);
            }
            Ok(())
        }
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// A little-endian writer/reader over a fixed payload buffer.
pub struct Cursor<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    pub fn put(&mut self, b: &[u8]) {
        self.buf[self.pos..self.pos + b.len()].copy_from_slice(b);
        self.pos += b.len();
    }
    pub fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        out
    }
    pub fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    /// A stored boolean: exactly 0 or 1.
    pub fn bool(&mut self) -> Option<bool> {
        match self.u8() {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    pub fn pos(&self) -> usize {
        self.pos
    }
}

/// Builds a context that writes through `write_cb`.
#[no_mangle]
pub extern "C" fn anj_persistence_store_context_create(
    write_cb: Option<
        unsafe extern "C" fn(ctx: *mut c_void, buf: *const c_void, size: usize) -> c_int,
    >,
    ctx: *mut c_void,
) -> anj_persistence_context_t {
    anj_persistence_context_t {
        direction: ANJ_PERSISTENCE_STORE,
        read: None,
        write: write_cb,
        ctx,
    }
}

/// Builds a context that reads through `read_cb`.
#[no_mangle]
pub extern "C" fn anj_persistence_restore_context_create(
    read_cb: Option<unsafe extern "C" fn(ctx: *mut c_void, buf: *mut c_void, size: usize) -> c_int>,
    ctx: *mut c_void,
) -> anj_persistence_context_t {
    anj_persistence_context_t {
        direction: ANJ_PERSISTENCE_RESTORE,
        read: read_cb,
        write: None,
        ctx,
    }
}

/// Stores `buffer_size` bytes from `inout_buffer`, or restores that many into it.
///
/// # Safety
/// `ctx` is a valid context; `inout_buffer` is valid for `buffer_size` bytes (readable
/// when storing, writable when restoring).
#[no_mangle]
pub unsafe extern "C" fn anj_persistence_bytes(
    ctx: *const anj_persistence_context_t,
    inout_buffer: *mut c_void,
    buffer_size: usize,
) -> c_int {
    // SAFETY: the caller passes a valid context or NULL.
    let Some(ctx) = (unsafe { ctx.as_ref() }) else {
        return -1;
    };
    if buffer_size == 0 {
        return 0;
    }
    if inout_buffer.is_null() {
        return -1;
    }
    // SAFETY: the caller guarantees `buffer_size` valid bytes at `inout_buffer`.
    let buf = unsafe { core::slice::from_raw_parts_mut(inout_buffer.cast::<u8>(), buffer_size) };
    match ctx.bytes(buf) {
        Ok(()) => 0,
        Err(_) => -1,
    }
}

/// Stores a NUL-terminated string as its 64-bit length and its bytes, or restores one
/// into `inout_str` (at most `out_max_size` bytes with the NUL).
///
/// # Safety
/// `ctx` is valid; storing: `inout_str` is NUL-terminated; restoring: it is writable for
/// `out_max_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_persistence_string(
    ctx: *const anj_persistence_context_t,
    inout_str: *mut c_char,
    out_max_size: usize,
) -> c_int {
    // SAFETY: as documented.
    let Some(ctx) = (unsafe { ctx.as_ref() }) else {
        return -1;
    };
    if inout_str.is_null() {
        return -1;
    }
    if ctx.is_store() {
        // SAFETY: a NUL-terminated string per the contract.
        let s = unsafe { core::ffi::CStr::from_ptr(inout_str) }.to_bytes();
        let ok = ctx
            .put(&(s.len() as u64).to_ne_bytes())
            .and_then(|_| ctx.put(s));
        return if ok.is_ok() { 0 } else { -1 };
    }
    let mut len = [0u8; 8];
    if ctx.get(&mut len).is_err() {
        return -1;
    }
    let len = u64::from_ne_bytes(len);
    if len >= out_max_size as u64 {
        crate::log_error!("persistence: stored string does not fit");
        return -1;
    }
    let len = len as usize;
    // SAFETY: `len < out_max_size`, so `len + 1` bytes are writable.
    let out = unsafe { core::slice::from_raw_parts_mut(inout_str.cast::<u8>(), len + 1) };
    if ctx.get(&mut out[..len]).is_err() {
        return -1;
    }
    out[len] = 0;
    0
}

/// Stores `magic`, or reads `magic_size` bytes and checks they equal `magic`.
///
/// # Safety
/// `ctx` is valid; `magic` is readable for `magic_size` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_persistence_magic(
    ctx: *const anj_persistence_context_t,
    magic: *const c_void,
    magic_size: usize,
) -> c_int {
    // SAFETY: as documented.
    let Some(ctx) = (unsafe { ctx.as_ref() }) else {
        return -1;
    };
    if magic.is_null() || magic_size == 0 || magic_size > ANJ_PERSISTENCE_MAGIC_MAX_SIZE {
        return -1;
    }
    // SAFETY: readable for `magic_size` bytes per the contract.
    let magic = unsafe { core::slice::from_raw_parts(magic.cast::<u8>(), magic_size) };
    if ctx.is_store() {
        return if ctx.put(magic).is_ok() { 0 } else { -1 };
    }
    let mut got = [0u8; ANJ_PERSISTENCE_MAGIC_MAX_SIZE];
    if ctx.get(&mut got[..magic_size]).is_err() {
        return -1;
    }
    if &got[..magic_size] != magic {
        crate::log_error!("persistence: magic mismatch");
        return -1;
    }
    0
}

/* ------------------------------ Server object /1 ------------------------------ */

#[cfg(feature = "default-server-obj")]
mod server {
    use super::*;
    use crate::dm::builtin::{
        anj_communication_retry_res_t, binding_valid, ServerInstance, BINDING_SIZE,
    };
    use crate::ffi::dm::ANJ_ID_INVALID;
    use crate::ffi::objects::ServerObj;

    /// Record tag: "anj-rs Server object", format version 1.
    const MAGIC: &[u8] = b"ANJRS/SRV\x01";
    const LEN: usize = 2 + 2 + 4 * 4 + 2 + 4 + 4 + 2 + BINDING_SIZE + 4;

    pub(crate) fn encode(d: &ServerInstance) -> [u8; LEN] {
        let mut out = [0u8; LEN];
        let mut c = Cursor::new(&mut out);
        c.put(&d.iid.to_le_bytes());
        c.put(&d.ssid.to_le_bytes());
        for v in [
            d.lifetime,
            d.default_pmin,
            d.default_pmax,
            d.disable_timeout,
        ] {
            c.put(&v.to_le_bytes());
        }
        c.put(&d.retry.retry_count.to_le_bytes());
        c.put(&d.retry.retry_timer.to_le_bytes());
        c.put(&d.retry.seq_delay_timer.to_le_bytes());
        c.put(&d.retry.seq_retry_count.to_le_bytes());
        c.put(&d.binding);
        c.put(&[
            d.notification_storing as u8,
            d.bootstrap_on_failure as u8,
            d.mute_send as u8,
            d.default_notification_mode,
        ]);
        debug_assert_eq!(c.pos(), LEN);
        out
    }

    /// The instance a payload describes, if every field holds a value the object could
    /// have had.
    pub(crate) fn decode(mut p: [u8; LEN]) -> Option<ServerInstance> {
        let mut c = Cursor::new(&mut p);
        let iid = c.u16();
        let ssid = c.u16();
        let (lifetime, default_pmin, default_pmax, disable_timeout) =
            (c.u32(), c.u32(), c.u32(), c.u32());
        let retry = anj_communication_retry_res_t {
            retry_count: c.u16(),
            retry_timer: c.u32(),
            seq_delay_timer: c.u32(),
            seq_retry_count: c.u16(),
        };
        let binding: [u8; BINDING_SIZE] = c.take();
        let d = ServerInstance {
            iid,
            ssid,
            lifetime,
            default_pmin,
            default_pmax,
            disable_timeout,
            retry,
            binding,
            notification_storing: c.bool()?,
            bootstrap_on_failure: c.bool()?,
            mute_send: c.bool()?,
            default_notification_mode: c.u8(),
        };
        let blen = binding.iter().position(|&b| b == 0)?;
        let ok = iid != ANJ_ID_INVALID
            && binding_valid(&binding[..blen])
            && binding[blen..].iter().all(|&b| b == 0)
            && d.default_notification_mode <= 1
            && d.valid();
        ok.then_some(d)
    }

    /// Writes the Server object's instance to a store context.
    ///
    /// # Safety
    /// `server_obj_ctx` is an initialised Server object context, `ctx` a valid context.
    #[no_mangle]
    pub unsafe extern "C" fn anj_dm_server_obj_store(
        server_obj_ctx: *mut ServerObj,
        ctx: *const anj_persistence_context_t,
    ) -> c_int {
        // SAFETY: valid pointers or NULL, per the contract.
        let (Some(obj), Some(ctx)) = (unsafe { server_obj_ctx.as_ref() }, unsafe { ctx.as_ref() })
        else {
            return -1;
        };
        if !ctx.is_store() {
            return -1;
        }
        let Some(d) = obj.instance() else {
            crate::log_error!("server obj: no instance to store");
            return -1;
        };
        match ctx.record(MAGIC, &mut encode(d)) {
            Ok(()) => 0,
            Err(_) => -1,
        }
    }

    /// Reads a Server object instance stored by `anj_dm_server_obj_store` into a context
    /// that is not installed yet. On any failure the context is left unchanged.
    ///
    /// # Safety
    /// `server_obj_ctx` is an initialised Server object context, `ctx` a valid context.
    #[no_mangle]
    pub unsafe extern "C" fn anj_dm_server_obj_restore(
        server_obj_ctx: *mut ServerObj,
        ctx: *const anj_persistence_context_t,
    ) -> c_int {
        // SAFETY: valid pointers or NULL, per the contract.
        let (Some(obj), Some(ctx)) = (unsafe { server_obj_ctx.as_mut() }, unsafe { ctx.as_ref() })
        else {
            return -1;
        };
        if ctx.is_store() || obj.is_installed() {
            crate::log_error!(
                "server obj: restore needs a restore context and an uninstalled object"
            );
            return -1;
        }
        let mut payload = [0u8; LEN];
        if ctx.record(MAGIC, &mut payload).is_err() {
            return -1;
        }
        let Some(d) = decode(payload) else {
            crate::log_error!("server obj: stored instance is not valid");
            return -1;
        };
        obj.set_instance(d);
        0
    }
}
#[cfg(feature = "default-server-obj")]
pub use server::*;

#[cfg(test)]
mod tests {
    use super::*;

    /// A test stream: a byte buffer with a read position; `fail_after` makes the
    /// callback fail once that many bytes have moved.
    pub(crate) struct Mem {
        pub data: [u8; 512],
        pub len: usize,
        pub pos: usize,
    }
    impl Mem {
        pub fn new() -> Self {
            Self {
                data: [0; 512],
                len: 0,
                pos: 0,
            }
        }
    }
    pub(crate) unsafe extern "C" fn mem_write(
        ctx: *mut c_void,
        buf: *const c_void,
        n: usize,
    ) -> c_int {
        // SAFETY: tests pass a `Mem` and a buffer of `n` bytes.
        let (m, b) = unsafe {
            (
                &mut *(ctx as *mut Mem),
                core::slice::from_raw_parts(buf as *const u8, n),
            )
        };
        if m.len + n > m.data.len() {
            return -1;
        }
        m.data[m.len..m.len + n].copy_from_slice(b);
        m.len += n;
        0
    }
    pub(crate) unsafe extern "C" fn mem_read(
        ctx: *mut c_void,
        buf: *mut c_void,
        n: usize,
    ) -> c_int {
        // SAFETY: as in mem_write.
        let (m, b) = unsafe {
            (
                &mut *(ctx as *mut Mem),
                core::slice::from_raw_parts_mut(buf as *mut u8, n),
            )
        };
        if m.pos + n > m.len {
            return -1;
        }
        b.copy_from_slice(&m.data[m.pos..m.pos + n]);
        m.pos += n;
        0
    }

    /// A heap `Mem` reached only through one raw pointer, shared by the callbacks and
    /// the test's own accesses (each a short-lived reborrow).
    pub(crate) struct MemBox(*mut Mem);
    impl MemBox {
        pub fn new() -> Self {
            Self(Box::into_raw(Box::new(Mem::new())))
        }
    }
    impl core::ops::Deref for MemBox {
        type Target = Mem;
        fn deref(&self) -> &Mem {
            // SAFETY (test): a live allocation; no other reference is held across this.
            unsafe { &*self.0 }
        }
    }
    impl core::ops::DerefMut for MemBox {
        fn deref_mut(&mut self) -> &mut Mem {
            // SAFETY (test): as in deref.
            unsafe { &mut *self.0 }
        }
    }
    impl Drop for MemBox {
        fn drop(&mut self) {
            // SAFETY (test): allocated by `new`, freed once.
            drop(unsafe { Box::from_raw(self.0) });
        }
    }

    fn ctxs(m: &MemBox) -> (anj_persistence_context_t, anj_persistence_context_t) {
        let p = m.0 as *mut c_void;
        (
            anj_persistence_store_context_create(Some(mem_write), p),
            anj_persistence_restore_context_create(Some(mem_read), p),
        )
    }

    #[test]
    fn crc32_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn primitives_round_trip() {
        let mut m = MemBox::new();
        let (st, rs) = ctxs(&m);
        let mut v = 0x1234_5678u32;
        let mut s = *b"hello\0";
        unsafe {
            assert_eq!(anj_persistence_magic(&st, b"MG".as_ptr().cast(), 2), 0);
            assert_eq!(
                anj_persistence_bytes(&st, (&mut v as *mut u32).cast(), 4),
                0
            );
            assert_eq!(anj_persistence_string(&st, s.as_mut_ptr().cast(), 0), 0);
        }
        assert_eq!(m.len, 2 + 4 + 8 + 5);
        let (mut v2, mut s2, mut small) = (0u32, [0xAAu8; 8], [0u8; 5]);
        unsafe {
            assert_eq!(anj_persistence_magic(&rs, b"MG".as_ptr().cast(), 2), 0);
            assert_eq!(
                anj_persistence_bytes(&rs, (&mut v2 as *mut u32).cast(), 4),
                0
            );
            assert_eq!(anj_persistence_string(&rs, s2.as_mut_ptr().cast(), 8), 0);
        }
        assert_eq!(v2, v);
        assert_eq!(&s2[..6], b"hello\0");
        // Too small a destination: rejected, not truncated.
        m.pos = 6;
        assert_eq!(
            unsafe { anj_persistence_string(&rs, small.as_mut_ptr().cast(), 5) },
            -1
        );
        // A different magic is a mismatch; reading past the end fails.
        m.pos = 0;
        assert_eq!(
            unsafe { anj_persistence_magic(&rs, b"MX".as_ptr().cast(), 2) },
            -1
        );
        m.pos = m.len;
        assert_eq!(
            unsafe { anj_persistence_bytes(&rs, (&mut v2 as *mut u32).cast(), 4) },
            -1
        );
        // Oversized magic and wrong-direction use are errors.
        assert_eq!(
            unsafe { anj_persistence_magic(&st, [0u8; 17].as_ptr().cast(), 17) },
            -1
        );
        assert!(rs.put(b"x").is_err() && st.get(&mut [0u8; 1]).is_err());
    }

    #[test]
    fn record_detects_corruption() {
        let mut m = MemBox::new();
        let (st, rs) = ctxs(&m);
        st.record(b"TAG1", &mut [1, 2, 3, 4]).unwrap();
        let mut p = [0u8; 4];
        rs.record(b"TAG1", &mut p).unwrap();
        assert_eq!(p, [1, 2, 3, 4]);
        for i in 0..m.len {
            m.data[i] ^= 0x40;
            m.pos = 0;
            assert!(rs.record(b"TAG1", &mut p).is_err(), "flip at {i}");
            m.data[i] ^= 0x40;
        }
        m.pos = 0;
        assert!(rs.record(b"TAG2", &mut p).is_err());
    }

    #[cfg(feature = "default-server-obj")]
    mod server_obj {
        use super::*;
        use crate::ffi::objects::*;
        use core::mem::MaybeUninit;

        fn fresh() -> Box<ServerObj> {
            let mut b = Box::new(MaybeUninit::<ServerObj>::uninit());
            unsafe {
                anj_dm_server_obj_init(b.as_mut_ptr());
                Box::from_raw(Box::into_raw(b).cast())
            }
        }

        #[test]
        fn store_restore_round_trip_and_corruption() {
            let mut src = fresh();
            let iid: u16 = 3;
            let init = anj_dm_server_instance_init_t {
                ssid: 7,
                lifetime: 120,
                default_min_period: 5,
                default_max_period: 60,
                disable_timeout: 0,
                notification_storing: true,
                binding: c"UT".as_ptr(),
                bootstrap_on_registration_failure: &false,
                mute_send: true,
                iid: &iid,
                comm_retry_res: core::ptr::null_mut(),
                default_notification_mode: 1,
            };
            unsafe { assert_eq!(anj_dm_server_obj_add_instance(&mut *src, &init), 0) };
            let mut m = MemBox::new();
            let (st, rs) = ctxs(&m);
            assert_eq!(unsafe { anj_dm_server_obj_store(&mut *src, &st) }, 0);
            let stored = m.len;

            let mut dst = fresh();
            assert_eq!(unsafe { anj_dm_server_obj_restore(&mut *dst, &rs) }, 0);
            let (a, b) = (src.instance().unwrap(), dst.instance().unwrap());
            assert_eq!(encode(a), encode(b));
            assert_eq!((b.iid, b.ssid, b.lifetime, b.binding()), (3, 7, 120, "UT"));
            assert!(b.mute_send && !b.bootstrap_on_failure && b.notification_storing);

            // Every single-bit corruption and every truncation is refused, leaving the
            // fresh object without an instance.
            for i in 0..stored {
                for bit in 0..8 {
                    let mut t = fresh();
                    m.data[i] ^= 1 << bit;
                    m.pos = 0;
                    assert_eq!(unsafe { anj_dm_server_obj_restore(&mut *t, &rs) }, -1);
                    assert!(t.instance().is_none());
                    m.data[i] ^= 1 << bit;
                }
            }
            m.len = stored - 1;
            m.pos = 0;
            let mut t = fresh();
            assert_eq!(unsafe { anj_dm_server_obj_restore(&mut *t, &rs) }, -1);
            assert!(t.instance().is_none());
            // A failed restore over an existing instance keeps it.
            m.pos = 0;
            assert_eq!(unsafe { anj_dm_server_obj_restore(&mut *src, &rs) }, -1);
            assert_eq!(src.instance().unwrap().ssid, 7);
            // A store context cannot restore, and nothing is stored without an instance.
            assert_eq!(unsafe { anj_dm_server_obj_restore(&mut *t, &st) }, -1);
            assert_eq!(unsafe { anj_dm_server_obj_store(&mut *t, &st) }, -1);
        }

        #[test]
        fn valid_crc_with_invalid_fields_is_refused() {
            let mut d = fresh_instance();
            d.ssid = 0;
            assert!(decode(encode(&d)).is_none());
            let mut d = fresh_instance();
            d.binding[..2].copy_from_slice(b"UU");
            assert!(decode(encode(&d)).is_none());
            assert!(decode(encode(&fresh_instance())).is_some());
        }

        fn fresh_instance() -> crate::dm::builtin::ServerInstance {
            let mut b = [0u8; crate::dm::builtin::BINDING_SIZE];
            b[0] = b'U';
            crate::dm::builtin::ServerInstance {
                iid: 0,
                ssid: 1,
                lifetime: 60,
                default_pmin: 0,
                default_pmax: 0,
                disable_timeout: 86400,
                retry: crate::dm::builtin::anj_communication_retry_res_t::DEFAULT,
                binding: b,
                notification_storing: false,
                bootstrap_on_failure: true,
                mute_send: false,
                default_notification_mode: 0,
            }
        }
    }
}
