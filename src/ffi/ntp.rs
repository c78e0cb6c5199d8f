//! `anj/ntp.h`: the NTP module as Anjay Lite 3.0.0 exposes it — `anj_ntp_t` (an opaque,
//! application-allocated context), its configuration, the status events, and the LwM2M
//! NTP object /3415 it installs:
//!
//! | RID | resource                  | type   | access |
//! |-----|---------------------------|--------|--------|
//! | 1   | NTP server address        | string | RW     |
//! | 2   | Backup NTP server address | string | RW     |
//! | 3   | NTP period (hours)        | int    | RW     |
//! | 4   | Last time sync (hours ago)| int    | R      |
//! | 5   | Time sync error           | bool   | R      |
//!
//! The object and the protocol are [`anj_core::ntp::object::NtpObject`]; this module
//! holds it in `anj_ntp_t`, exposes it through a handler table, feeds it the monotonic
//! clock and a UDP connection made through the `anj_net_*` hooks, and turns its events
//! into calls of the application's callback.

use core::ffi::{c_char, c_int, c_void, CStr};
use core::ptr::NonNull;

use crate::client::link::{NetStatus, Recv};
use crate::config::NTP_SERVER_ADDR_MAX_LEN as ADDR_LEN;
use crate::driver::{c_string, recv_datagram, send_datagram, status};
use crate::ffi::core::anj_t;
use crate::ffi::dm::*;
use crate::ffi::net::{
    anj_net_binding_type_t, anj_net_config_t, anj_net_socket_configuration_t, NetConn,
    ANJ_NET_EINPROGRESS, ANJ_NET_OK,
};
use crate::ffi::time::{anj_time_duration_t, anj_time_real_t};
use crate::ntp::{Event, NtpIo};
use anj_core::dm::DmError;
use anj_core::ntp::object::{rid, NtpObject, NtpResources, OID};

/// `anj_ntp_start`: a synchronization is already under way.
pub const ANJ_NTP_ERR_IN_PROGRESS: c_int = -1;
/// `anj_ntp_init`: the configuration is not valid.
pub const ANJ_NTP_ERR_CONFIGURATION: c_int = -2;
/// `anj_ntp_init`: the NTP object could not be added to the client.
pub const ANJ_NTP_ERR_OBJECT_CREATION_FAILED: c_int = -3;

/// The events the NTP module reports to its callback.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_ntp_status_t {
    /// Reported once by the first `anj_ntp_step`.
    ANJ_NTP_STATUS_INITIAL,
    /// The NTP period has passed since the last attempt: time to call `anj_ntp_start`.
    ANJ_NTP_STATUS_PERIOD_EXCEEDED,
    /// `anj_ntp_start` began a synchronization.
    ANJ_NTP_STATUS_IN_PROGRESS,
    /// Synchronized; the callback gets the current time.
    ANJ_NTP_STATUS_FINISHED_SUCCESSFULLY,
    /// Every attempt failed, or the synchronization was terminated.
    ANJ_NTP_STATUS_FINISHED_WITH_ERROR,
    /// The server changed the object: time to store it.
    #[cfg(feature = "persistence")]
    ANJ_NTP_STATUS_OBJECT_UPDATED,
}

/// The NTP module's configuration, read (and copied) by `anj_ntp_init`.
#[repr(C)]
pub struct anj_ntp_configuration_t {
    /// Mandatory.
    pub event_cb: Option<
        unsafe extern "C" fn(
            arg: *mut c_void,
            ntp: *mut anj_ntp_t,
            status: anj_ntp_status_t,
            synchronized_time: anj_time_real_t,
        ),
    >,
    pub event_cb_arg: *mut c_void,
    /// Mandatory, non-empty, shorter than `ANJ_NTP_SERVER_ADDR_MAX_LEN` (/3415/0/1).
    pub ntp_server_address: *const c_char,
    /// Optional (NULL or empty: none) (/3415/0/2).
    pub backup_ntp_server_address: *const c_char,
    /// 0: no periodic synchronization (/3415/0/3).
    pub ntp_period_hours: u32,
    /// Attempts per server; 0 means 1.
    pub attempts: u16,
    /// Wait for each answer; zero means 5 s.
    pub response_timeout: anj_time_duration_t,
    /// NULL: the defaults.
    pub net_socket_cfg: *const anj_net_socket_configuration_t,
}

type EventCb = unsafe extern "C" fn(*mut c_void, *mut anj_ntp_t, anj_ntp_status_t, anj_time_real_t);

/// The NTP module (`anj_ntp_t` in C). Starts with its object, so handlers get back to it.
#[repr(C)]
pub struct anj_ntp_t {
    obj: anj_dm_obj_t,
    inst: anj_dm_obj_inst_t,
    conn: NetConn,
    socket_cfg: anj_net_socket_configuration_t,
    event_cb: Option<EventCb>,
    event_cb_arg: *mut c_void,
    object: NtpObject,
}

struct Table([anj_dm_res_t; 5]);
// SAFETY: immutable; every pointer in it is NULL.
unsafe impl Sync for Table {}

const fn res(rid: u16, t: anj_data_type_t, kind: anj_dm_res_kind_t) -> anj_dm_res_t {
    anj_dm_res_t {
        rid,
        r#type: t,
        kind,
        insts: core::ptr::null(),
        max_inst_count: 0,
    }
}

static NTP_RES: Table = Table([
    res(
        rid::SERVER,
        ANJ_DATA_TYPE_STRING,
        anj_dm_res_kind_t::ANJ_DM_RES_RW,
    ),
    res(
        rid::BACKUP,
        ANJ_DATA_TYPE_STRING,
        anj_dm_res_kind_t::ANJ_DM_RES_RW,
    ),
    res(
        rid::PERIOD,
        ANJ_DATA_TYPE_INT,
        anj_dm_res_kind_t::ANJ_DM_RES_RW,
    ),
    res(
        rid::LAST_SYNC,
        ANJ_DATA_TYPE_INT,
        anj_dm_res_kind_t::ANJ_DM_RES_R,
    ),
    res(
        rid::SYNC_ERROR,
        ANJ_DATA_TYPE_BOOL,
        anj_dm_res_kind_t::ANJ_DM_RES_R,
    ),
]);

static NTP_HANDLERS: anj_dm_handlers_t = anj_dm_handlers_t {
    inst_create: None,
    inst_delete: None,
    inst_reset: None,
    transaction_begin: Some(ntp_transaction_begin),
    transaction_validate: Some(ntp_transaction_validate),
    transaction_end: Some(ntp_transaction_end),
    res_read: Some(ntp_res_read),
    res_write: Some(ntp_res_write),
    res_execute: None,
    res_inst_create: None,
    res_inst_delete: None,
};

/// # Safety
/// `obj` is the `obj` field of a live `anj_ntp_t` registered through a `*mut` pointer.
unsafe fn ntp_of<'a>(obj: *const anj_dm_obj_t) -> &'a mut anj_ntp_t {
    // SAFETY: guaranteed by the caller; `obj` is the first field of the `repr(C)` struct.
    unsafe { &mut *(obj as *mut anj_ntp_t) }
}

unsafe extern "C" fn ntp_res_read(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    _iid: anj_iid_t,
    rid: anj_rid_t,
    _riid: anj_riid_t,
    out: *mut anj_res_value_t,
) -> c_int {
    // SAFETY: the engine calls this only for the object registered by anj_ntp_init
    // (the first field of a live module, registered through a `*mut`), with a valid,
    // exclusive out slot.
    let (ntp, out) = unsafe { (ntp_of(obj), &mut *out) };
    match ntp.object.read(rid, crate::driver::now()) {
        Ok(v) => {
            *out = crate::dm::value_to_c(&v);
            0
        }
        Err(e) => e.handler_code(),
    }
}

unsafe extern "C" fn ntp_res_write(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    _iid: anj_iid_t,
    rid: anj_rid_t,
    _riid: anj_riid_t,
    value: *const anj_res_value_t,
) -> c_int {
    // SAFETY: the engine calls this only for the object registered by anj_ntp_init
    // (the first field of a live module, registered through a `*mut`).
    let ntp = unsafe { ntp_of(obj) };
    if rid == rid::PERIOD {
        // SAFETY: the engine passes a valid value; an Int resource's value is carried in
        // `int_value`.
        let v = unsafe { (*value).int_value };
        return match ntp.object.write_period(v) {
            Ok(()) => 0,
            Err(e) => e.handler_code(),
        };
    }
    let buf = match ntp.object.address_buf(rid) {
        Ok(b) => b,
        Err(e) => return e.handler_code(),
    };
    // SAFETY: `value` is the engine's valid string write; `buf` is writable for its
    // length.
    let r = unsafe {
        anj_dm_write_string_chunked(
            value,
            buf.as_mut_ptr().cast(),
            buf.len(),
            core::ptr::null_mut(),
        )
    };
    if r != 0 {
        return DmError::BAD_REQUEST.handler_code();
    }
    0
}

unsafe extern "C" fn ntp_transaction_begin(_anj: *mut anj_t, obj: *const anj_dm_obj_t) -> c_int {
    // SAFETY: the engine calls this only for the object registered by anj_ntp_init
    // (the first field of a live module, registered through a `*mut`).
    let ntp = unsafe { ntp_of(obj) };
    ntp.object.transaction_begin();
    0
}

unsafe extern "C" fn ntp_transaction_validate(_anj: *mut anj_t, obj: *const anj_dm_obj_t) -> c_int {
    // SAFETY: the engine calls this only for the object registered by anj_ntp_init
    // (the first field of a live module, registered through a `*mut`).
    let ntp = unsafe { ntp_of(obj) };
    match ntp.object.transaction_validate() {
        Ok(()) => 0,
        Err(e) => e.handler_code(),
    }
}

unsafe extern "C" fn ntp_transaction_end(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    result: anj_dm_transaction_result_t,
) {
    let ntp_ptr = obj as *mut anj_ntp_t;
    let success = result == anj_dm_transaction_result_t::ANJ_DM_TRANSACTION_SUCCESS;
    // SAFETY: the engine calls this only for the object registered by anj_ntp_init
    // (the first field of a live module, registered through a `*mut`); the borrow ends
    // here, before the callback runs.
    let updated = unsafe { ntp_of(obj) }.object.transaction_end(success);
    #[cfg(feature = "persistence")]
    if updated {
        // SAFETY: a live module; no reference into it is held across the callback.
        unsafe { report(ntp_ptr, anj_ntp_status_t::ANJ_NTP_STATUS_OBJECT_UPDATED, 0) };
    }
    let _ = (ntp_ptr, updated);
}

/// Calls the application's callback.
///
/// # Safety
/// `ntp` is a live, initialised module and no reference into it is held.
unsafe fn report(ntp: *mut anj_ntp_t, status: anj_ntp_status_t, time_us: i64) {
    // SAFETY: plain reads of two fields of a live module.
    let (cb, arg) = unsafe { ((*ntp).event_cb, (*ntp).event_cb_arg) };
    if let Some(cb) = cb {
        let t = anj_time_real_t {
            since_real_epoch: anj_time_duration_t { us: time_us },
        };
        // SAFETY: the application's callback with its own argument; it may call back
        // into anj_ntp_* (no borrow is live).
        unsafe { cb(arg, ntp, status, t) };
    }
}

/// cbindgen:ignore
mod hooks {
    extern "C" {
        pub fn anj_rng_generate(buffer: *mut u8, size: usize) -> core::ffi::c_int;
    }
}
use hooks::anj_rng_generate;

/// [`NtpIo`] over one `anj_net_*` UDP context.
struct ConnIo<'a> {
    conn: &'a mut NetConn,
    cfg: anj_net_socket_configuration_t,
}

impl NtpIo for ConnIo<'_> {
    fn connect(&mut self, host: &str, port: &str) -> NetStatus {
        if !self.conn.is_created() {
            let mut cfg = anj_net_config_t::default();
            cfg.raw_socket_config = self.cfg;
            let r = self
                .conn
                .create(anj_net_binding_type_t::ANJ_NET_BINDING_UDP, Some(&cfg));
            if r != ANJ_NET_OK {
                return NetStatus::Failed(r);
            }
        }
        let (mut h, mut p) = ([0u8; ADDR_LEN + 1], [0u8; 8]);
        let (Some(host), Some(port)) = (c_string(host, &mut h), c_string(port, &mut p)) else {
            return NetStatus::Failed(-1);
        };
        status(self.conn.connect(host, port))
    }

    fn send(&mut self, datagram: &[u8]) -> NetStatus {
        send_datagram(self.conn, datagram)
    }

    fn recv(&mut self, buf: &mut [u8]) -> Recv {
        recv_datagram(self.conn, buf)
    }

    fn close(&mut self) -> NetStatus {
        if !self.conn.is_created() {
            return NetStatus::Done;
        }
        if self.conn.close() == ANJ_NET_EINPROGRESS {
            return NetStatus::InProgress;
        }
        // Errors of close and cleanup end the connection all the same.
        let _ = self.conn.cleanup();
        NetStatus::Done
    }

    fn random(&mut self, buf: &mut [u8]) -> bool {
        // SAFETY: `buf` is writable for its length.
        unsafe { anj_rng_generate(buf.as_mut_ptr(), buf.len()) == 0 }
    }
}

/// The bytes of a configured address (empty for NULL).
///
/// # Safety
/// `p` is NULL or NUL-terminated, and outlives `'a`.
unsafe fn c_bytes<'a>(p: *const c_char) -> &'a [u8] {
    if p.is_null() {
        return &[];
    }
    // SAFETY: guaranteed by the caller.
    unsafe { CStr::from_ptr(p) }.to_bytes()
}

/// Validates the configuration, prepares the module and installs /3415 in `anj`.
///
/// # Safety
/// `anj` was initialised; `ntp` points to writable storage of `sizeof(anj_ntp_t)` that
/// outlives the registration; `config` is valid.
#[no_mangle]
pub unsafe extern "C" fn anj_ntp_init(
    anj: *mut anj_t,
    ntp: *mut anj_ntp_t,
    config: *const anj_ntp_configuration_t,
) -> c_int {
    crate::ffi::log::install_core_sink();
    // SAFETY: valid or NULL per the contract.
    let Some(cfg) = (unsafe { config.as_ref() }) else {
        return ANJ_NTP_ERR_CONFIGURATION;
    };
    let Some(ntp_ptr) = NonNull::new(ntp) else {
        return ANJ_NTP_ERR_CONFIGURATION;
    };
    if anj.is_null() {
        return ANJ_NTP_ERR_OBJECT_CREATION_FAILED;
    }
    // SAFETY: the caller's configuration holds NULL or NUL-terminated strings, which
    // outlive this call.
    let (server, backup) = unsafe {
        (
            c_bytes(cfg.ntp_server_address),
            c_bytes(cfg.backup_ntp_server_address),
        )
    };
    let now = crate::driver::now();
    let object = NtpResources::new(server, backup, cfg.ntp_period_hours)
        .and_then(|res| NtpObject::new(res, now, cfg.attempts, cfg.response_timeout.us));
    let (Some(object), Some(_)) = (object, cfg.event_cb) else {
        crate::log_error!("ntp: invalid configuration");
        return ANJ_NTP_ERR_CONFIGURATION;
    };
    // SAFETY: NULL or a valid configuration.
    let socket_cfg = unsafe { cfg.net_socket_cfg.as_ref() }
        .copied()
        .unwrap_or_default();
    // SAFETY: writable storage for the whole module, written in one go.
    unsafe {
        ntp_ptr.as_ptr().write(anj_ntp_t {
            obj: anj_dm_obj_t {
                oid: OID,
                version: c"2.0".as_ptr(),
                handlers: &NTP_HANDLERS,
                insts: core::ptr::null(),
                max_inst_count: 1,
            },
            inst: anj_dm_obj_inst_t {
                iid: 0,
                resources: NTP_RES.0.as_ptr(),
                res_count: NTP_RES.0.len() as u16,
            },
            conn: NetConn::new(),
            socket_cfg,
            event_cb: cfg.event_cb,
            event_cb_arg: cfg.event_cb_arg,
            object,
        });
        let m = &mut *ntp_ptr.as_ptr();
        m.obj.insts = &m.inst;
    }
    // SAFETY: the object is the first field of the caller's module, which outlives the
    // registration.
    if unsafe { crate::ffi::core::add_obj(anj, ntp_ptr.cast()) } != 0 {
        crate::log_error!("ntp: cannot add object /3415");
        return ANJ_NTP_ERR_OBJECT_CREATION_FAILED;
    }
    0
}

/// Runs the module: reports events, and moves a synchronization forward.
///
/// # Safety
/// `ntp` was initialised by `anj_ntp_init`.
#[no_mangle]
pub unsafe extern "C" fn anj_ntp_step(ntp: *mut anj_ntp_t) {
    if ntp.is_null() {
        return;
    }
    let ev = {
        // SAFETY: a live module; the borrow ends before the callback.
        let m = unsafe { &mut *ntp };
        let mut io = ConnIo {
            conn: &mut m.conn,
            cfg: m.socket_cfg,
        };
        m.object.step(crate::driver::now(), &mut io)
    };
    use anj_ntp_status_t::*;
    let (status, t) = match ev {
        None => return,
        Some(Event::Initial) => (ANJ_NTP_STATUS_INITIAL, 0),
        Some(Event::PeriodExceeded) => (ANJ_NTP_STATUS_PERIOD_EXCEEDED, 0),
        Some(Event::InProgress) => (ANJ_NTP_STATUS_IN_PROGRESS, 0),
        Some(Event::Synchronized(t)) => (ANJ_NTP_STATUS_FINISHED_SUCCESSFULLY, t),
        Some(Event::Failed) => (ANJ_NTP_STATUS_FINISHED_WITH_ERROR, 0),
    };
    // SAFETY: no reference into the module is live.
    unsafe { report(ntp, status, t) };
}

/// Starts a synchronization.
///
/// # Safety
/// `ntp` was initialised by `anj_ntp_init`.
#[no_mangle]
pub unsafe extern "C" fn anj_ntp_start(ntp: *mut anj_ntp_t) -> c_int {
    if ntp.is_null() {
        return ANJ_NTP_ERR_IN_PROGRESS;
    }
    // SAFETY: a live module; the borrow ends before the callback.
    let started = unsafe { (*ntp).object.start() };
    if started.is_none() {
        crate::log_error!("ntp: a synchronization is already in progress");
        return ANJ_NTP_ERR_IN_PROGRESS;
    }
    // SAFETY: no reference into the module is live.
    unsafe { report(ntp, anj_ntp_status_t::ANJ_NTP_STATUS_IN_PROGRESS, 0) };
    0
}

/// Abandons the synchronization under way; the next steps close the connection and
/// report `ANJ_NTP_STATUS_FINISHED_WITH_ERROR`.
///
/// # Safety
/// `ntp` was initialised by `anj_ntp_init`.
#[no_mangle]
pub unsafe extern "C" fn anj_ntp_terminate(ntp: *mut anj_ntp_t) {
    // SAFETY: valid or NULL.
    if let Some(m) = unsafe { ntp.as_mut() } {
        m.object.terminate();
    }
}

#[cfg(feature = "persistence")]
mod persist {
    use super::*;
    use crate::ffi::persistence::{anj_persistence_context_t, Store};

    /// Writes the NTP object's resources to a store context.
    ///
    /// # Safety
    /// `ntp` was initialised by `anj_ntp_init`; `ctx` is a valid context.
    #[no_mangle]
    pub unsafe extern "C" fn anj_ntp_obj_store(
        ntp: *mut anj_ntp_t,
        ctx: *const anj_persistence_context_t,
    ) -> c_int {
        // SAFETY: the caller passes an initialised module and a valid context, or NULLs;
        // the module is only read during the call, and the context is copied (plain
        // data).
        let (Some(m), Some(mut ctx)) = (unsafe { ntp.as_ref() }, unsafe { ctx.as_ref().copied() })
        else {
            return -1;
        };
        if !ctx.is_store() {
            return -1;
        }
        match anj_core::persist::ntp::store(&mut ctx, m.object.resources()) {
            Ok(()) => 0,
            Err(_) => -1,
        }
    }

    /// Reads the NTP object's resources stored by `anj_ntp_obj_store`; on any failure
    /// the object keeps its values.
    ///
    /// # Safety
    /// `ntp` was initialised by `anj_ntp_init`; `ctx` is a valid context.
    #[no_mangle]
    pub unsafe extern "C" fn anj_ntp_obj_restore(
        ntp: *mut anj_ntp_t,
        ctx: *const anj_persistence_context_t,
    ) -> c_int {
        // SAFETY: the caller passes an initialised module it does not use during the
        // call and a valid context, or NULLs; the context is copied (plain data).
        let (Some(m), Some(mut ctx)) = (unsafe { ntp.as_mut() }, unsafe { ctx.as_ref().copied() })
        else {
            return -1;
        };
        if ctx.is_store() {
            return -1;
        }
        let mut p = [0u8; anj_core::persist::ntp::LEN];
        if ctx.record(anj_core::persist::ntp::MAGIC, &mut p).is_err() {
            return -1;
        }
        match anj_core::persist::ntp::decode(&p) {
            Some(r) if m.object.set_resources(r) => 0,
            _ => {
                crate::log_error!("ntp: stored object is not valid");
                -1
            }
        }
    }
}
#[cfg(feature = "persistence")]
pub use persist::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::core::{anj_configuration_t, anj_core_init, anj_dm_res_read};
    use crate::ffi::utils::anj_uri_path_t;
    use std::boxed::Box;
    use std::mem::MaybeUninit;

    /// Heap storage for one `T`, used only through the one raw pointer `Box::into_raw`
    /// gave (as C keeps one pointer to its storage: the data model holds it, so a fresh
    /// borrow of a `Box` per call would invalidate it), freed on drop.
    struct Heap<T>(*mut T);

    impl<T> Heap<T> {
        fn new() -> Self {
            Heap(Box::into_raw(Box::<T>::new_uninit()).cast())
        }

        fn as_mut_ptr(&self) -> *mut T {
            self.0
        }
    }

    impl<T> Drop for Heap<T> {
        fn drop(&mut self) {
            // SAFETY (test): from Box::into_raw of a MaybeUninit<T>, freed only here.
            drop(unsafe { Box::from_raw(self.0.cast::<MaybeUninit<T>>()) });
        }
    }

    type AnjBox = Heap<[u64; crate::config::SIZEOF_ANJ_T / 8]>;

    fn client() -> AnjBox {
        let b: AnjBox = Heap::new();
        // SAFETY (test): zeroed is a valid configuration but for the endpoint name.
        let mut cfg: anj_configuration_t = unsafe { core::mem::zeroed() };
        cfg.endpoint_name = c"ntp-test".as_ptr();
        // SAFETY (test): storage of the configured size.
        assert_eq!(unsafe { anj_core_init(b.as_mut_ptr().cast(), &cfg) }, 0);
        b
    }

    unsafe extern "C" fn on_event(
        arg: *mut c_void,
        _ntp: *mut anj_ntp_t,
        status: anj_ntp_status_t,
        _t: anj_time_real_t,
    ) {
        // SAFETY (test): the argument is a Vec the test owns.
        unsafe { (*(arg as *mut std::vec::Vec<anj_ntp_status_t>)).push(status) };
    }

    fn config(events: &mut std::vec::Vec<anj_ntp_status_t>) -> anj_ntp_configuration_t {
        anj_ntp_configuration_t {
            event_cb: Some(on_event),
            event_cb_arg: (events as *mut std::vec::Vec<anj_ntp_status_t>).cast(),
            ntp_server_address: c"127.0.0.1:9".as_ptr(),
            backup_ntp_server_address: c"time.example".as_ptr(),
            ntp_period_hours: 24,
            attempts: 0,
            response_timeout: anj_time_duration_t { us: 0 },
            net_socket_cfg: core::ptr::null(),
        }
    }

    fn read(anj: &AnjBox, rid: u16) -> anj_res_value_t {
        // SAFETY (test): an initialised client; a zeroed union is a valid out slot.
        unsafe {
            let mut v: anj_res_value_t = core::mem::zeroed();
            let path = anj_uri_path_t::resource(3415, 0, rid);
            assert_eq!(anj_dm_res_read(anj.as_mut_ptr().cast(), &path, &mut v), 0);
            v
        }
    }

    fn string(v: &anj_res_value_t) -> std::string::String {
        // SAFETY (test): a string read points at a NUL-terminated buffer.
        unsafe { CStr::from_ptr(v.bytes_or_string.data.cast()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn init_validates_and_installs_object() {
        let mut events = std::vec::Vec::new();
        let anj = client();
        let ntp = Heap::<anj_ntp_t>::new();
        let anj_p = anj.as_mut_ptr().cast();
        let bad = |f: fn(&mut anj_ntp_configuration_t), events: &mut std::vec::Vec<_>| {
            let mut c = config(events);
            f(&mut c);
            let ntp = Heap::<anj_ntp_t>::new();
            // SAFETY (test): valid pointers.
            unsafe { anj_ntp_init(anj_p, ntp.as_mut_ptr(), &c) }
        };
        assert_eq!(
            bad(|c| c.event_cb = None, &mut events),
            ANJ_NTP_ERR_CONFIGURATION
        );
        assert_eq!(
            bad(|c| c.ntp_server_address = core::ptr::null(), &mut events),
            ANJ_NTP_ERR_CONFIGURATION
        );
        assert_eq!(
            bad(|c| c.ntp_server_address = c"".as_ptr(), &mut events),
            ANJ_NTP_ERR_CONFIGURATION
        );
        assert_eq!(
            bad(
                |c| c.backup_ntp_server_address = c"a-very-long-host-name.example.org".as_ptr(),
                &mut events
            ),
            ANJ_NTP_ERR_CONFIGURATION,
            "does not fit ANJ_NTP_SERVER_ADDR_MAX_LEN"
        );
        let cfg = config(&mut events);
        // SAFETY (test): valid pointers; the module outlives the client's use of it.
        unsafe {
            assert_eq!(anj_ntp_init(anj_p, ntp.as_mut_ptr(), &cfg), 0);
        }
        assert_eq!(string(&read(&anj, rid::SERVER)), "127.0.0.1:9");
        assert_eq!(string(&read(&anj, rid::BACKUP)), "time.example");
        // SAFETY (test): Int and Bool resources.
        unsafe {
            assert_eq!(read(&anj, rid::PERIOD).int_value, 24);
            assert_eq!(read(&anj, rid::LAST_SYNC).int_value, 0);
            assert!(!read(&anj, rid::SYNC_ERROR).bool_value);
        }
        // A second module cannot install another /3415.
        let second = Heap::<anj_ntp_t>::new();
        // SAFETY (test): a live client, storage for a module, a valid configuration; the
        // first module stays alive for every call on it.
        unsafe {
            assert_eq!(
                anj_ntp_init(anj_p, second.as_mut_ptr(), &cfg),
                ANJ_NTP_ERR_OBJECT_CREATION_FAILED
            );
            anj_ntp_step(ntp.as_mut_ptr());
            assert_eq!(anj_ntp_start(ntp.as_mut_ptr()), 0);
            assert_eq!(anj_ntp_start(ntp.as_mut_ptr()), ANJ_NTP_ERR_IN_PROGRESS);
            anj_ntp_terminate(ntp.as_mut_ptr());
            for _ in 0..5 {
                anj_ntp_step(ntp.as_mut_ptr());
            }
        }
        use anj_ntp_status_t::*;
        assert_eq!(
            events,
            [
                ANJ_NTP_STATUS_INITIAL,
                ANJ_NTP_STATUS_IN_PROGRESS,
                ANJ_NTP_STATUS_FINISHED_WITH_ERROR
            ]
        );
        // SAFETY (test): Bool resource.
        assert!(unsafe { read(&anj, rid::SYNC_ERROR).bool_value });
    }

    #[cfg(feature = "persistence")]
    #[test]
    fn object_store_restore() {
        use crate::ffi::persistence::*;
        let mut events = std::vec::Vec::new();
        let anj = client();
        let ntp = Heap::<anj_ntp_t>::new();
        let mut cfg = config(&mut events);
        // SAFETY (test): valid pointers.
        unsafe {
            assert_eq!(
                anj_ntp_init(anj.as_mut_ptr().cast(), ntp.as_mut_ptr(), &cfg),
                0
            )
        };
        let mut buf = std::vec::Vec::<u8>::new();
        unsafe extern "C" fn w(ctx: *mut c_void, b: *const c_void, n: usize) -> c_int {
            // SAFETY (test): a Vec and `n` readable bytes.
            unsafe {
                (*(ctx as *mut std::vec::Vec<u8>))
                    .extend_from_slice(core::slice::from_raw_parts(b.cast(), n))
            };
            0
        }
        unsafe extern "C" fn r(ctx: *mut c_void, b: *mut c_void, n: usize) -> c_int {
            // SAFETY (test): a (Vec, position) pair and `n` writable bytes.
            let (v, pos) = unsafe { &mut *(ctx as *mut (std::vec::Vec<u8>, usize)) };
            if *pos + n > v.len() {
                return -1;
            }
            // SAFETY (test): the library passes `n` writable bytes at `b`.
            unsafe { core::slice::from_raw_parts_mut(b.cast::<u8>(), n) }
                .copy_from_slice(&v[*pos..*pos + n]);
            *pos += n;
            0
        }
        let st = anj_persistence_store_context_create(
            Some(w),
            (&mut buf as *mut std::vec::Vec<u8>).cast(),
        );
        // SAFETY (test): valid pointers.
        assert_eq!(unsafe { anj_ntp_obj_store(ntp.as_mut_ptr(), &st) }, 0);

        let anj2 = client();
        let ntp2 = Heap::<anj_ntp_t>::new();
        cfg.ntp_server_address = c"other".as_ptr();
        cfg.backup_ntp_server_address = core::ptr::null();
        cfg.ntp_period_hours = 0;
        // SAFETY (test): valid pointers.
        unsafe {
            assert_eq!(
                anj_ntp_init(anj2.as_mut_ptr().cast(), ntp2.as_mut_ptr(), &cfg),
                0
            )
        };
        // Each corrupted byte is refused and changes nothing.
        for i in 0..buf.len() {
            let mut src = (buf.clone(), 0usize);
            src.0[i] ^= 0x10;
            let rs = anj_persistence_restore_context_create(
                Some(r),
                (&mut src as *mut (std::vec::Vec<u8>, usize)).cast(),
            );
            // SAFETY (test): valid pointers.
            assert_eq!(
                unsafe { anj_ntp_obj_restore(ntp2.as_mut_ptr(), &rs) },
                -1,
                "byte {i}"
            );
            assert_eq!(string(&read(&anj2, rid::SERVER)), "other");
        }
        let mut src = (buf.clone(), 0usize);
        let rs = anj_persistence_restore_context_create(
            Some(r),
            (&mut src as *mut (std::vec::Vec<u8>, usize)).cast(),
        );
        // SAFETY (test): valid pointers.
        assert_eq!(unsafe { anj_ntp_obj_restore(ntp2.as_mut_ptr(), &rs) }, 0);
        assert_eq!(string(&read(&anj2, rid::SERVER)), "127.0.0.1:9");
        assert_eq!(string(&read(&anj2, rid::BACKUP)), "time.example");
        // SAFETY (test): Int resource.
        assert_eq!(unsafe { read(&anj2, rid::PERIOD).int_value }, 24);
    }
}
