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
const _: () = assert!(ANJ_PERSISTENCE_MAGIC_MAX_SIZE == anj_core::persist::MAGIC_MAX_SIZE);

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

pub use anj_core::persist::{crc32, Cursor, PersistError, Reader, Store, Stream};

/// A field-by-field record over a C persistence context.
pub type CStream<'a> = Stream<'a, anj_persistence_context_t>;

/// The C context as a core [`Store`]: its direction, and the application's callback.
impl Store for anj_persistence_context_t {
    fn is_store(&self) -> bool {
        self.direction == ANJ_PERSISTENCE_STORE
    }

    fn put(&mut self, buf: &[u8]) -> Result<(), PersistError> {
        match (self.direction, self.write) {
            (ANJ_PERSISTENCE_STORE, Some(_)) if buf.is_empty() => Ok(()),
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

    fn get(&mut self, buf: &mut [u8]) -> Result<(), PersistError> {
        match (self.direction, self.read) {
            (ANJ_PERSISTENCE_RESTORE, Some(_)) if buf.is_empty() => Ok(()),
            (ANJ_PERSISTENCE_RESTORE, Some(r)) => {
                // SAFETY: the callback's contract (anj/persistence.h): it writes at most
                // `size` bytes into a buffer that is valid for them, with the user's `ctx`.
                match unsafe { r(self.ctx, buf.as_mut_ptr().cast(), buf.len()) } {
                    0 => Ok(()),
                    _ => Err(PersistError),
                }
            }
            _ => Err(PersistError),
        }
    }
}

/// `0` for success, `-1` for failure (the C API's return values).
fn ret<T>(r: Result<T, PersistError>) -> c_int {
    match r {
        Ok(_) => 0,
        Err(_) => -1,
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
    // SAFETY: the caller passes a valid context or NULL (a copy is taken: the context
    // is plain data, the stream's state is behind its callbacks).
    let Some(mut ctx) = (unsafe { ctx.as_ref() }).copied() else {
        return -1;
    };
    if buffer_size == 0 {
        return 0;
    }
    if inout_buffer.is_null() {
        return -1;
    }
    // SAFETY: the caller guarantees `buffer_size` valid bytes at `inout_buffer`, and
    // the slice is the only access to them during the call.
    let buf = unsafe { core::slice::from_raw_parts_mut(inout_buffer.cast::<u8>(), buffer_size) };
    ret(ctx.bytes(buf))
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
    // SAFETY: the caller passes a valid context or NULL; it is copied (plain data).
    let Some(mut ctx) = (unsafe { ctx.as_ref() }).copied() else {
        return -1;
    };
    if inout_str.is_null() {
        return -1;
    }
    if ctx.is_store() {
        // SAFETY: storing, the caller passes a NUL-terminated string.
        let s = unsafe { core::ffi::CStr::from_ptr(inout_str) }.to_bytes();
        return ret(anj_core::persist::store_string(&mut ctx, s));
    }
    // SAFETY: restoring, the caller passes `out_max_size` writable bytes, and the slice
    // is the only access to them during the call.
    let out = unsafe { core::slice::from_raw_parts_mut(inout_str.cast::<u8>(), out_max_size) };
    ret(anj_core::persist::restore_string(&mut ctx, out))
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
    // SAFETY: the caller passes a valid context or NULL; it is copied (plain data).
    let Some(mut ctx) = (unsafe { ctx.as_ref() }).copied() else {
        return -1;
    };
    if magic.is_null() || magic_size == 0 || magic_size > ANJ_PERSISTENCE_MAGIC_MAX_SIZE {
        return -1;
    }
    // SAFETY: the caller passes `magic_size` readable bytes (checked non-NULL above).
    let magic = unsafe { core::slice::from_raw_parts(magic.cast::<u8>(), magic_size) };
    ret(anj_core::persist::magic(&mut ctx, magic))
}

/* ------------------------------ Server object /1 ------------------------------ */

#[cfg(feature = "default-server-obj")]
mod server {
    use super::*;
    use crate::dm::builtin::{
        anj_communication_retry_res_t, binding_valid, ServerInstance, BINDING_SIZE,
    };
    use crate::ffi::objects::ServerObj;

    use anj_core::persist::server::{ServerRecord, MAGIC};

    type Record = ServerRecord<BINDING_SIZE>;

    /// The record of an instance.
    pub(crate) fn record_of(d: &ServerInstance) -> Record {
        Record {
            iid: d.iid,
            ssid: d.ssid,
            lifetime: d.lifetime,
            default_pmin: d.default_pmin,
            default_pmax: d.default_pmax,
            disable_timeout: d.disable_timeout,
            retry_count: d.retry.retry_count,
            retry_timer: d.retry.retry_timer,
            seq_delay_timer: d.retry.seq_delay_timer,
            seq_retry_count: d.retry.seq_retry_count,
            binding: d.binding,
            notification_storing: d.notification_storing,
            bootstrap_on_failure: d.bootstrap_on_failure,
            mute_send: d.mute_send,
            default_notification_mode: d.default_notification_mode,
        }
    }

    /// The payload of an instance's record.
    #[cfg(test)]
    pub(crate) fn encode(d: &ServerInstance) -> [u8; Record::LEN] {
        let mut p = [0u8; Record::LEN];
        record_of(d).encode(&mut p);
        p
    }

    /// The instance a payload describes, if every field holds a value the object could
    /// have had.
    pub(crate) fn decode(p: [u8; Record::LEN]) -> Option<ServerInstance> {
        let r = Record::decode(&p)?;
        let d = ServerInstance {
            iid: r.iid,
            ssid: r.ssid,
            lifetime: r.lifetime,
            default_pmin: r.default_pmin,
            default_pmax: r.default_pmax,
            disable_timeout: r.disable_timeout,
            retry: anj_communication_retry_res_t {
                retry_count: r.retry_count,
                retry_timer: r.retry_timer,
                seq_delay_timer: r.seq_delay_timer,
                seq_retry_count: r.seq_retry_count,
            },
            binding: r.binding,
            notification_storing: r.notification_storing,
            bootstrap_on_failure: r.bootstrap_on_failure,
            mute_send: r.mute_send,
            default_notification_mode: r.default_notification_mode,
        };
        (binding_valid(r.binding()) && d.valid()).then_some(d)
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
        // SAFETY: the caller passes an initialised Server object context and a valid
        // persistence context, or NULLs; the object is only read during the call, and
        // the context is copied (plain data).
        let (Some(obj), Some(mut ctx)) = (unsafe { server_obj_ctx.as_ref() }, unsafe {
            ctx.as_ref().copied()
        }) else {
            return -1;
        };
        if !ctx.is_store() {
            return -1;
        }
        let Some(d) = obj.instance() else {
            crate::log_error!("server obj: no instance to store");
            return -1;
        };
        ret(anj_core::persist::server::store(&mut ctx, &record_of(d)))
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
        // SAFETY: the caller passes an initialised Server object context it does not
        // use during the call and a valid persistence context, or NULLs; the context is
        // copied (plain data).
        let (Some(obj), Some(mut ctx)) = (unsafe { server_obj_ctx.as_mut() }, unsafe {
            ctx.as_ref().copied()
        }) else {
            return -1;
        };
        if ctx.is_store() || obj.is_installed() {
            crate::log_error!(
                "server obj: restore needs a restore context and an uninstalled object"
            );
            return -1;
        }
        let mut payload = [0u8; Record::LEN];
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

/* ----------------------------- Security object /0 ----------------------------- */

#[cfg(feature = "default-security-obj")]
mod security {
    use super::*;
    use crate::ffi::core::anj_t;
    use crate::ffi::dm::ANJ_ID_INVALID;
    use crate::ffi::objects::{
        security_mode_from, security_set_valid, SecurityInstance, SecurityObj,
        EMPTY_SECURITY_INSTANCE, SECURITY_INSTANCES,
    };

    use anj_core::persist::security::{magic, parts, Credentials, InstanceFields};

    /// Record tag: "anj-rs Security object", format version 1, then which optional
    /// parts this build has (a record of a build with other parts is refused).
    pub(crate) const MAGIC: &[u8] = &magic(
        (cfg!(feature = "security") as u8 * parts::CREDENTIALS)
            | (cfg!(feature = "certificates") as u8 * parts::CERTIFICATES)
            | (cfg!(feature = "bootstrap") as u8 * parts::BOOTSTRAP)
            | (cfg!(feature = "external-crypto-storage") as u8 * parts::EXTERNAL_CRYPTO_STORAGE),
    );

    /// `ANJ_CRYPTO_STORAGE_PERSISTENCE_INFO_MAX_SIZE` (anj/compat/crypto/storage.h).
    #[cfg(feature = "external-crypto-storage")]
    const EXT_INFO_MAX: usize = 64;

    /// The serialized external-storage references of one instance's /0/x/3, /0/x/4 and
    /// /0/x/5 (length 0: the credential is held as bytes, or is empty).
    #[cfg(feature = "external-crypto-storage")]
    #[derive(Clone, Copy)]
    struct ExtRefs([(u16, [u8; EXT_INFO_MAX]); 3]);

    #[cfg(not(feature = "external-crypto-storage"))]
    #[derive(Clone, Copy)]
    struct ExtRefs;

    impl ExtRefs {
        #[cfg(feature = "external-crypto-storage")]
        const EMPTY: ExtRefs = ExtRefs([(0, [0; EXT_INFO_MAX]); 3]);
        #[cfg(not(feature = "external-crypto-storage"))]
        const EMPTY: ExtRefs = ExtRefs;

        /// The references `d` holds, serialized by the storage's
        /// `anj_crypto_storage_get_persistence_info`.
        #[cfg(feature = "external-crypto-storage")]
        fn of(
            d: &SecurityInstance,
            crypto_ctx: *mut core::ffi::c_void,
        ) -> Result<Self, PersistError> {
            let mut refs = Self::EMPTY;
            for (i, r) in refs.0.iter_mut().enumerate() {
                let Some(identity) = d.ext.0[i] else {
                    continue;
                };
                let ext = crate::ffi::crypto::anj_crypto_security_info_external_t {
                    identity: identity.as_ptr(),
                };
                let mut len = 0usize;
                // SAFETY: the integrator's hook, with a buffer of the documented size.
                let res = unsafe {
                    crate::ffi::crypto::anj_crypto_storage_get_persistence_info(
                        crypto_ctx,
                        &ext,
                        r.1.as_mut_ptr().cast(),
                        &mut len,
                    )
                };
                if res != 0 || len == 0 || len > EXT_INFO_MAX {
                    crate::log_error!(
                        "security obj: the crypto storage could not serialize a reference of /0/{}",
                        d.iid
                    );
                    return Err(PersistError);
                }
                r.0 = len as u16;
            }
            Ok(refs)
        }
        #[cfg(not(feature = "external-crypto-storage"))]
        fn of(_: &SecurityInstance, _: *mut core::ffi::c_void) -> Result<Self, PersistError> {
            Ok(ExtRefs)
        }

        /// Moves the references through the stream: per credential a u16 length and
        /// the bytes.
        #[cfg(feature = "external-crypto-storage")]
        fn stream(&mut self, s: &mut CStream<'_>) -> Result<(), PersistError> {
            for (len, buf) in self.0.iter_mut() {
                s.sized(buf, len)?;
            }
            Ok(())
        }
        #[cfg(not(feature = "external-crypto-storage"))]
        fn stream(&mut self, _: &mut CStream<'_>) -> Result<(), PersistError> {
            Ok(())
        }

        /// Turns the restored references back into the storage's own
        /// (`anj_crypto_storage_resolve_persistence_info`) in `d`.
        #[cfg(feature = "external-crypto-storage")]
        fn resolve(
            &self,
            d: &mut SecurityInstance,
            crypto_ctx: *mut core::ffi::c_void,
        ) -> Result<(), PersistError> {
            for (i, (len, buf)) in self.0.iter().enumerate() {
                if *len == 0 {
                    continue;
                }
                let mut ext = crate::ffi::crypto::anj_crypto_security_info_external_t {
                    identity: core::ptr::null(),
                };
                // SAFETY: the integrator's hook; `buf` holds `len` bytes.
                let res = unsafe {
                    crate::ffi::crypto::anj_crypto_storage_resolve_persistence_info(
                        crypto_ctx,
                        buf.as_ptr().cast(),
                        *len as usize,
                        &mut ext,
                    )
                };
                let identity = core::ptr::NonNull::new(ext.identity.cast_mut());
                if res != 0 || identity.is_none() {
                    crate::log_error!(
                        "security obj: the crypto storage could not resolve a reference of /0/{}",
                        d.iid
                    );
                    return Err(PersistError);
                }
                d.ext.0[i] = identity;
            }
            Ok(())
        }
        #[cfg(not(feature = "external-crypto-storage"))]
        fn resolve(
            &self,
            _: &mut SecurityInstance,
            _: *mut core::ffi::c_void,
        ) -> Result<(), PersistError> {
            Ok(())
        }
    }

    /// Moves one instance through the stream: the core's layout
    /// ([`anj_core::persist::security::instance`]), then, with
    /// `external-crypto-storage`, the references of the credentials kept in the external
    /// storage ([`ExtRefs`]). A restore fills `d` (a scratch instance) and checks the
    /// values' form, and that the Security Mode is one this build takes; the checks
    /// across instances are [`security_set_valid`]'s.
    fn instance(
        s: &mut CStream<'_>,
        d: &mut SecurityInstance,
        refs: &mut ExtRefs,
    ) -> Result<(), PersistError> {
        let mut mode = d.mode as u8;
        #[cfg(feature = "certificates")]
        let mut usage = d.cert_usage as u8;
        anj_core::persist::security::instance(
            s,
            InstanceFields {
                iid: &mut d.iid,
                ssid: &mut d.ssid,
                hold_off: &mut d.hold_off,
                bootstrap_server: &mut d.bootstrap_server,
                mode: &mut mode,
                uri: &mut d.uri,
                uri_len: &mut d.uri_len,
                #[cfg(feature = "security")]
                credentials: Some(Credentials {
                    identity: (&mut d.identity, &mut d.identity_len),
                    server_key: (&mut d.server_key, &mut d.server_key_len),
                    secret: (&mut d.secret, &mut d.secret_len),
                    sni: &mut d.sni,
                }),
                #[cfg(not(feature = "security"))]
                credentials: None::<Credentials<'_>>,
                #[cfg(feature = "certificates")]
                certificate_usage: Some(&mut usage),
                #[cfg(not(feature = "certificates"))]
                certificate_usage: None,
            },
        )?;
        d.mode = security_mode_from(mode).ok_or(PersistError)?;
        #[cfg(feature = "certificates")]
        {
            d.cert_usage = anj_core::objects::security::CertificateUsage::from_number(usage.into())
                .ok_or(PersistError)?;
        }
        refs.stream(s)
    }

    /// Writes every instance of `obj` as one record: the magic, the instance count (u8),
    /// the instances, the CRC-32. `crypto_ctx` is the external storage's (references).
    pub(crate) fn store(
        obj: &SecurityObj,
        ctx: &mut anj_persistence_context_t,
        crypto_ctx: *mut core::ffi::c_void,
    ) -> Result<(), PersistError> {
        let used = obj.instances().iter().filter(|d| d.iid != ANJ_ID_INVALID);
        let mut count = used.clone().count() as u8;
        if count == 0 {
            crate::log_error!("security obj: no instance to store");
            return Err(PersistError);
        }
        let mut s = Stream::begin(ctx, MAGIC)?;
        s.u8(&mut count)?;
        for d in used {
            let mut copy = *d;
            let mut refs = ExtRefs::of(d, crypto_ctx)?;
            instance(&mut s, &mut copy, &mut refs)?;
        }
        s.finish()
    }

    /// Reads a record written by [`store`]; the instances, if all is well.
    pub(crate) fn restore(
        ctx: &mut anj_persistence_context_t,
        crypto_ctx: *mut core::ffi::c_void,
    ) -> Result<[SecurityInstance; SECURITY_INSTANCES], PersistError> {
        let mut s = Stream::begin(ctx, MAGIC)?;
        let mut count = 0u8;
        s.u8(&mut count)?;
        if count == 0 || count as usize > SECURITY_INSTANCES {
            crate::log_error!("security obj: stored instance count out of range");
            return Err(PersistError);
        }
        let mut data = [EMPTY_SECURITY_INSTANCE; SECURITY_INSTANCES];
        let mut refs = [ExtRefs::EMPTY; SECURITY_INSTANCES];
        for (d, r) in data.iter_mut().zip(refs.iter_mut()).take(count as usize) {
            instance(&mut s, d, r)?;
            if d.iid == ANJ_ID_INVALID {
                return Err(PersistError);
            }
        }
        s.finish()?;
        // Only a record that checked out is turned back into storage references.
        for (d, r) in data.iter_mut().zip(refs.iter()).take(count as usize) {
            r.resolve(d, crypto_ctx)?;
        }
        if !security_set_valid(&data) {
            crate::log_error!("security obj: stored instances are not valid");
            return Err(PersistError);
        }
        Ok(data)
    }

    /// Writes every Security object instance (all resources, credentials included) to
    /// a store context. Credentials kept in the external crypto storage are written as
    /// the storage serializes their references (`anj` gives its context; without
    /// external storage `anj` is not used and may be NULL).
    ///
    /// # Safety
    /// `security_obj_ctx` is an initialised Security object context, `ctx` a valid
    /// context.
    #[no_mangle]
    pub unsafe extern "C" fn anj_dm_security_obj_store(
        anj: *mut anj_t,
        security_obj_ctx: *mut SecurityObj,
        ctx: *const anj_persistence_context_t,
    ) -> c_int {
        // SAFETY: the caller passes an initialised Security object context and a valid
        // persistence context, or NULLs; the object is only read during the call, and
        // the context is copied (plain data).
        let (Some(obj), Some(mut ctx)) = (unsafe { security_obj_ctx.as_ref() }, unsafe {
            ctx.as_ref().copied()
        }) else {
            return -1;
        };
        if !ctx.is_store() {
            return -1;
        }
        ret(store(obj, &mut ctx, crypto_ctx(anj)))
    }

    /// The external crypto storage's context of `anj` (NULL without the feature, or
    /// without a client).
    fn crypto_ctx(anj: *mut anj_t) -> *mut core::ffi::c_void {
        #[cfg(feature = "external-crypto-storage")]
        if !anj.is_null() {
            // SAFETY: a non-NULL `anj` is an initialised client, per the contract.
            return unsafe { crate::ffi::core::crypto_ctx_of(anj) };
        }
        let _ = anj;
        core::ptr::null_mut()
    }

    /// Replaces the instances of a Security object that is not installed yet with those
    /// stored by `anj_dm_security_obj_store`. The whole record is read and checked
    /// (tag, checksum, every value) first: on any failure the object is left unchanged.
    ///
    /// # Safety
    /// `security_obj_ctx` is an initialised Security object context, `ctx` a valid
    /// context.
    #[no_mangle]
    pub unsafe extern "C" fn anj_dm_security_obj_restore(
        anj: *mut anj_t,
        security_obj_ctx: *mut SecurityObj,
        ctx: *const anj_persistence_context_t,
    ) -> c_int {
        // SAFETY: the caller passes an initialised Security object context it does not
        // use during the call and a valid persistence context, or NULLs; the context is
        // copied (plain data).
        let (Some(obj), Some(mut ctx)) = (unsafe { security_obj_ctx.as_mut() }, unsafe {
            ctx.as_ref().copied()
        }) else {
            return -1;
        };
        if ctx.is_store() || obj.is_installed() {
            crate::log_error!(
                "security obj: restore needs a restore context and an uninstalled object"
            );
            return -1;
        }
        match restore(&mut ctx, crypto_ctx(anj)) {
            Ok(data) => {
                obj.set_instances(data);
                0
            }
            Err(_) => -1,
        }
    }
}
#[cfg(feature = "default-security-obj")]
pub use security::*;

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
        // SAFETY: tests pass a `Mem` and a writable buffer of `n` bytes.
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
            // SAFETY (test): a live allocation; no other reference is held across this.
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
        let (mut st, mut rs) = ctxs(&m);
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
        let (mut st, mut rs) = ctxs(&m);
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

    #[test]
    fn stream_round_trip_and_checks() {
        let mut m = MemBox::new();
        let (mut st, mut rs) = ctxs(&m);
        let mut w = Stream::begin(&mut st, b"TG").unwrap();
        let (mut a, mut b, mut c) = (7u8, 0x1234u16, 0xdead_beefu32);
        let mut field = *b"abc\0\0";
        let mut len = 3u16;
        w.u8(&mut a).unwrap();
        w.u16(&mut b).unwrap();
        w.u32(&mut c).unwrap();
        w.sized(&mut field, &mut len).unwrap();
        w.finish().unwrap();
        // Tag, 1 + 2 + 4 bytes, length + 3 bytes, CRC: the CRC covers what follows the tag.
        assert_eq!(m.len, 2 + 7 + 2 + 3 + 4);
        let crc = u32::from_le_bytes(m.data[m.len - 4..m.len].try_into().unwrap());
        assert_eq!(crc, crc32(&m.data[2..m.len - 4]));
        let read = |rs: &mut anj_persistence_context_t, cap: usize| {
            let mut r = Stream::begin(rs, b"TG")?;
            let (mut a, mut b, mut c, mut len) = (0u8, 0u16, 0u32, 0u16);
            let mut f = [0u8; 8];
            r.u8(&mut a)?;
            r.u16(&mut b)?;
            r.u32(&mut c)?;
            r.sized(&mut f[..cap], &mut len)?;
            r.finish()?;
            Ok::<_, PersistError>((a, b, c, f, len))
        };
        let (a2, b2, c2, f2, len2) = read(&mut rs, 8).unwrap();
        assert_eq!(
            (a2, b2, c2, &f2[..len2 as usize]),
            (7, 0x1234, 0xdead_beef, &b"abc"[..])
        );
        // A length over the destination is refused before the bytes are read.
        m.pos = 0;
        assert!(read(&mut rs, 2).is_err());
        assert_eq!(m.pos, 2 + 7 + 2);
        m.pos = 0;
        m.data[4] ^= 1;
        assert!(read(&mut rs, 8).is_err());
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

        pub(crate) fn fresh_instance() -> crate::dm::builtin::ServerInstance {
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

    #[cfg(feature = "default-security-obj")]
    mod security_obj {
        use super::*;
        use crate::ffi::dm::ANJ_ID_INVALID;
        use crate::ffi::objects::*;
        use core::mem::MaybeUninit;

        fn fresh() -> Box<SecurityObj> {
            let mut b = Box::new(MaybeUninit::<SecurityObj>::uninit());
            unsafe {
                anj_dm_security_obj_init(b.as_mut_ptr());
                Box::from_raw(Box::into_raw(b).cast())
            }
        }

        #[cfg(feature = "security")]
        fn buf(b: &[u8]) -> crate::ffi::crypto::anj_crypto_security_info_t {
            use crate::ffi::crypto::*;
            anj_crypto_security_info_t {
                tag: anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_KEY,
                source: anj_crypto_data_source_t::ANJ_CRYPTO_DATA_SOURCE_BUFFER,
                info: anj_crypto_security_info_union_t {
                    buffer: anj_crypto_security_info_buffer_t {
                        data: b.as_ptr().cast(),
                        data_size: b.len(),
                    },
                },
            }
        }

        fn add(obj: &mut SecurityObj, uri: &core::ffi::CStr, bootstrap: bool, ssid: u16, iid: u16) {
            #[cfg(feature = "certificates")]
            let usage = crate::ffi::net::anj_net_certificate_usage_t::ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION;
            let init = anj_dm_security_instance_init_t {
                server_uri: uri.as_ptr(),
                bootstrap_server: bootstrap,
                security_mode: if cfg!(feature = "security") {
                    anj_dm_security_mode_t::ANJ_DM_SECURITY_PSK
                } else {
                    anj_dm_security_mode_t::ANJ_DM_SECURITY_NOSEC
                },
                #[cfg(feature = "security")]
                public_key_or_identity: buf(if bootstrap {
                    b"bs-identity"
                } else {
                    b"identity"
                }),
                #[cfg(feature = "security")]
                server_public_key: buf(&[0x30, 0x82, 0x01, 0x00, 0xff]),
                #[cfg(feature = "security")]
                secret_key: buf(&[0x00, 0x01, 0xfe, 0xff, 0x7f, iid as u8]),
                #[cfg(feature = "security")]
                server_name_indication: c"files.example.com".as_ptr(),
                #[cfg(feature = "certificates")]
                certificate_usage: &usage,
                ssid,
                client_hold_off_time: 42,
                iid: &iid,
            };
            unsafe { assert_eq!(anj_dm_security_obj_add_instance(obj, &init), 0) };
        }

        /// Every field of every used slot, as bytes, to compare whole objects.
        fn dump(obj: &SecurityObj) -> Vec<u8> {
            let mut out = Vec::new();
            for d in obj.instances() {
                out.extend_from_slice(&d.iid.to_le_bytes());
                if d.iid == ANJ_ID_INVALID {
                    continue;
                }
                out.extend_from_slice(&d.uri);
                out.extend_from_slice(&d.uri_len.to_le_bytes());
                out.extend_from_slice(&[d.bootstrap_server as u8, d.mode as u8]);
                out.extend_from_slice(&d.ssid.to_le_bytes());
                out.extend_from_slice(&d.hold_off.to_le_bytes());
                #[cfg(feature = "security")]
                {
                    out.extend_from_slice(&d.identity[..d.identity_len as usize]);
                    out.extend_from_slice(&d.identity_len.to_le_bytes());
                    out.extend_from_slice(&d.secret[..d.secret_len as usize]);
                    out.extend_from_slice(&d.secret_len.to_le_bytes());
                    out.extend_from_slice(&d.server_key[..d.server_key_len as usize]);
                    out.extend_from_slice(&d.server_key_len.to_le_bytes());
                    out.extend_from_slice(&d.sni);
                }
                #[cfg(feature = "certificates")]
                out.push(d.cert_usage as u8);
            }
            out
        }

        fn populated() -> Box<SecurityObj> {
            let mut src = fresh();
            add(&mut src, c"coaps://127.0.0.1:5684", false, 7, 3);
            #[cfg(feature = "bootstrap")]
            add(&mut src, c"coaps://127.0.0.1:5784", true, 0, 1);
            src
        }

        #[test]
        fn store_restore_round_trip() {
            let mut src = populated();
            let mut m = MemBox::new();
            let (st, rs) = ctxs(&m);
            let anj = core::ptr::null_mut();
            assert_eq!(unsafe { anj_dm_security_obj_store(anj, &mut *src, &st) }, 0);
            assert_eq!(&m.data[..MAGIC.len()], MAGIC);
            let mut dst = fresh();
            assert_eq!(
                unsafe { anj_dm_security_obj_restore(anj, &mut *dst, &rs) },
                0
            );
            assert_eq!(m.pos, m.len, "the whole record is read, nothing more");
            assert_eq!(dump(&dst), dump(&src));
            let d = dst.instances().iter().find(|d| d.iid == 3).unwrap();
            assert_eq!(&d.uri[..d.uri_len as usize], b"coaps://127.0.0.1:5684");
            assert_eq!((d.ssid, d.hold_off, d.bootstrap_server), (7, 42, false));
            #[cfg(feature = "security")]
            {
                assert_eq!(&d.identity[..d.identity_len as usize], b"identity");
                assert_eq!(
                    &d.secret[..d.secret_len as usize],
                    &[0, 1, 0xfe, 0xff, 0x7f, 3]
                );
                assert_eq!(
                    &d.server_key[..d.server_key_len as usize],
                    &[0x30, 0x82, 1, 0, 0xff]
                );
                assert_eq!(&d.sni[..18], b"files.example.com\0");
            }
            #[cfg(feature = "certificates")]
            assert_eq!(d.cert_usage as u8, 2);
            #[cfg(feature = "bootstrap")]
            {
                let b = dst.instances().iter().find(|d| d.iid == 1).unwrap();
                assert!(b.bootstrap_server && b.ssid == u16::MAX);
            }
            // Two objects in one stream, one after the other, as an application keeps them.
            m.len = 0;
            m.pos = 0;
            assert_eq!(unsafe { anj_dm_security_obj_store(anj, &mut *src, &st) }, 0);
            let first = m.len;
            assert_eq!(unsafe { anj_dm_security_obj_store(anj, &mut *src, &st) }, 0);
            assert_eq!(m.len, 2 * first);
            let mut a = fresh();
            let mut b = fresh();
            unsafe {
                assert_eq!(anj_dm_security_obj_restore(anj, &mut *a, &rs), 0);
                assert_eq!(anj_dm_security_obj_restore(anj, &mut *b, &rs), 0);
            }
            assert_eq!(dump(&a), dump(&b));
        }

        #[test]
        fn corrupt_truncated_or_foreign_records_leave_the_object_unchanged() {
            let mut src = populated();
            let mut m = MemBox::new();
            let (st, rs) = ctxs(&m);
            let anj = core::ptr::null_mut();
            assert_eq!(unsafe { anj_dm_security_obj_store(anj, &mut *src, &st) }, 0);
            let stored = m.len;
            // A target that already holds another instance: it must keep it.
            let mut t = fresh();
            add(&mut t, c"coap://10.0.0.1", false, 9, 0);
            let before = dump(&t);
            for i in 0..stored {
                for bit in 0..8 {
                    m.data[i] ^= 1 << bit;
                    m.pos = 0;
                    assert_eq!(
                        unsafe { anj_dm_security_obj_restore(anj, &mut *t, &rs) },
                        -1,
                        "byte {i} bit {bit}"
                    );
                    assert_eq!(dump(&t), before);
                    m.data[i] ^= 1 << bit;
                }
            }
            for len in 0..stored {
                m.len = len;
                m.pos = 0;
                assert_eq!(
                    unsafe { anj_dm_security_obj_restore(anj, &mut *t, &rs) },
                    -1,
                    "len {len}"
                );
                assert_eq!(dump(&t), before);
            }
            m.len = stored;
            // A Server object record is not a Security object record.
            #[cfg(feature = "default-server-obj")]
            {
                let m2 = MemBox::new();
                let (mut st2, rs2) = ctxs(&m2);
                let d = super::server_obj::fresh_instance();
                st2.record(b"ANJRS/SRV\x01", &mut crate::ffi::persistence::encode(&d))
                    .unwrap();
                assert_eq!(
                    unsafe { anj_dm_security_obj_restore(anj, &mut *t, &rs2) },
                    -1
                );
                assert_eq!(dump(&t), before);
            }
            // Wrong directions, an installed-looking target, an empty source.
            m.pos = 0;
            assert_eq!(
                unsafe { anj_dm_security_obj_restore(anj, &mut *t, &st) },
                -1
            );
            assert_eq!(
                unsafe { anj_dm_security_obj_store(anj, &mut *src, &rs) },
                -1
            );
            assert_eq!(
                unsafe { anj_dm_security_obj_store(anj, &mut *fresh(), &st) },
                -1
            );
            // The untouched stream still restores.
            m.pos = 0;
            assert_eq!(unsafe { anj_dm_security_obj_restore(anj, &mut *t, &rs) }, 0);
            assert_eq!(dump(&t), dump(&src));
        }

        /// Records with a valid checksum but values the object cannot hold.
        #[test]
        fn valid_checksum_with_invalid_values_is_refused() {
            let anj = core::ptr::null_mut();
            let cases: [fn(&mut SecurityInstance); 6] = [
                |d| d.ssid = 0,
                |d| d.uri_len = 0,
                |d| d.uri[2] = 0,
                |d| d.iid = ANJ_ID_INVALID,
                |d| d.mode = anj_core::objects::security::SecurityMode::Rpk,
                |d| {
                    d.bootstrap_server = true;
                    d.ssid = 5
                },
            ];
            for (n, f) in cases.iter().enumerate() {
                let mut d = *populated().instances().iter().find(|d| d.iid == 3).unwrap();
                f(&mut d);
                let m = MemBox::new();
                let (mut st, rs) = ctxs(&m);
                let mut s = Stream::begin(&mut st, MAGIC).unwrap();
                s.u8(&mut 1).unwrap();
                // Written field by field (as `instance` would) without its checks.
                s.u16(&mut d.iid).unwrap();
                s.u16(&mut d.ssid).unwrap();
                s.u32(&mut d.hold_off).unwrap();
                s.u8(&mut (d.bootstrap_server as u8)).unwrap();
                s.u8(&mut (d.mode as u8)).unwrap();
                let ul = d.uri_len;
                s.sized(&mut d.uri, &mut { ul }).unwrap();
                #[cfg(feature = "security")]
                {
                    let (il, sl, kl) = (d.identity_len, d.server_key_len, d.secret_len);
                    s.sized(&mut d.identity, &mut { il }).unwrap();
                    s.sized(&mut d.server_key, &mut { sl }).unwrap();
                    s.sized(&mut d.secret, &mut { kl }).unwrap();
                    s.sized(&mut d.sni, &mut 0).unwrap();
                }
                #[cfg(feature = "certificates")]
                s.u8(&mut 3).unwrap();
                // No credential in the external storage: three empty references.
                #[cfg(feature = "external-crypto-storage")]
                for _ in 0..3 {
                    s.u16(&mut 0).unwrap();
                }
                s.finish().unwrap();
                let mut t = fresh();
                let r = unsafe { anj_dm_security_obj_restore(anj, &mut *t, &rs) };
                // RPK is a mode that add_instance takes with `security`.
                let expect_ok = n == 4 && cfg!(feature = "security");
                assert_eq!(r == 0, expect_ok, "case {n}");
                if !expect_ok {
                    assert!(
                        t.instances().iter().all(|d| d.iid == ANJ_ID_INVALID),
                        "case {n}"
                    );
                }
            }
        }
    }
}
