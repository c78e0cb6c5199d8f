//! The built-in Security (/0), Server (/1) and Device (/3) objects: the contexts C code
//! allocates (`anj_dm_*_obj_t`, opaque blobs whose size comes from `anj/anj_config.h`),
//! their `*_init_t` structs, the `anj_dm_*_obj_*` functions, and the handlers through
//! which the data model engine reaches them like any application object.
//!
//! Each context begins with its `anj_dm_obj_t`, so a handler gets back to its context
//! from the object pointer it is called with.

use core::ffi::{c_char, c_int, CStr};
use core::ptr::NonNull;

use crate::dm::builtin::*;
use crate::ffi::core::anj_t;
use crate::ffi::dm::*;
use crate::io::value::Value;
#[cfg(feature = "bootstrap")]
use anj_core::dm::object::{Object, WriteValue};
use anj_core::objects::device::{self, DeviceValue};
use anj_core::objects::security;
use anj_core::objects::server::{AddError, ServerAction, ServerObject};

const ERR_BAD_REQUEST: c_int = -128;
const ERR_NOT_FOUND: c_int = -132;
const ERR_METHOD_NOT_ALLOWED: c_int = -133;
const ERR_INTERNAL: c_int = -160;

/// A table of static resource definitions. Its raw `insts` pointers are all NULL or point
/// to other statics, so sharing it between threads is sound.
struct ResTable<const N: usize>([anj_dm_res_t; N]);
// SAFETY: the tables are immutable and every pointer in them is NULL or to immutable statics.
unsafe impl<const N: usize> Sync for ResTable<N> {}

const fn res(rid: u16, t: anj_data_type_t, kind: anj_dm_res_kind_t) -> anj_dm_res_t {
    anj_dm_res_t {
        rid,
        r#type: t,
        kind,
        insts: core::ptr::null(),
        max_inst_count: 0,
    }
}

use anj_dm_res_kind_t::*;

/// Writes a value into a handler's out slot.
fn put(out: &mut anj_res_value_t, v: &Value<'_>) {
    *out = crate::dm::value_to_c(v);
}

/// The string a handler's `const char *` init field names, or "" for NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a [u8]> {
    if p.is_null() {
        None
    } else {
        // SAFETY: guaranteed by the caller.
        Some(unsafe { CStr::from_ptr(p) }.to_bytes())
    }
}

/// Recovers a built-in context from the object pointer its handlers receive.
///
/// # Safety
/// `obj` must be the `obj` field (first, `repr(C)`) of a live `T` that was registered
/// through a `*mut` pointer, and no other reference to that `T` may be live.
unsafe fn ctx_of<'a, T>(obj: *const anj_dm_obj_t) -> &'a mut T {
    // SAFETY: guaranteed by the caller.
    unsafe { &mut *(obj as *mut T) }
}

/// Registers the object a built-in context starts with and, once registered, marks the
/// context installed (it then refuses a second install or more instances).
///
/// # Safety
/// `obj` is the first field of a valid context that outlives the registration, and
/// `installed` points into that context.
unsafe fn register_builtin(
    anj: *mut anj_t,
    obj: NonNull<anj_dm_obj_t>,
    installed: *mut bool,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let r = unsafe { crate::ffi::core::add_obj(anj, obj) };
    if r == 0 {
        // SAFETY: guaranteed by the caller.
        unsafe { *installed = true };
    }
    r
}

/* ----------------------------------- Server /1 ----------------------------------- */

/// What the application passes to `anj_dm_server_obj_add_instance`.
#[repr(C)]
pub struct anj_dm_server_instance_init_t {
    pub ssid: u16,
    pub lifetime: u32,
    pub default_min_period: u32,
    pub default_max_period: u32,
    /// 0 selects the default of 86400 s.
    pub disable_timeout: u32,
    pub notification_storing: bool,
    pub binding: *const c_char,
    /// NULL selects the default (true).
    pub bootstrap_on_registration_failure: *const bool,
    pub mute_send: bool,
    /// NULL selects instance 0.
    pub iid: *const anj_iid_t,
    /// NULL selects the spec's defaults.
    pub comm_retry_res: *mut anj_communication_retry_res_t,
    pub default_notification_mode: u8,
}

static SERVER_RES: ResTable<17> = ResTable([
    res(server_rid::SSID, ANJ_DATA_TYPE_INT, ANJ_DM_RES_R),
    res(server_rid::LIFETIME, ANJ_DATA_TYPE_INT, ANJ_DM_RES_RW),
    res(server_rid::DEFAULT_PMIN, ANJ_DATA_TYPE_INT, ANJ_DM_RES_RW),
    res(server_rid::DEFAULT_PMAX, ANJ_DATA_TYPE_INT, ANJ_DM_RES_RW),
    res(server_rid::DISABLE, ANJ_DATA_TYPE_NULL, ANJ_DM_RES_E),
    res(
        server_rid::DISABLE_TIMEOUT,
        ANJ_DATA_TYPE_INT,
        ANJ_DM_RES_RW,
    ),
    res(
        server_rid::NOTIFICATION_STORING,
        ANJ_DATA_TYPE_BOOL,
        ANJ_DM_RES_RW,
    ),
    res(server_rid::BINDING, ANJ_DATA_TYPE_STRING, ANJ_DM_RES_RW),
    res(server_rid::UPDATE_TRIGGER, ANJ_DATA_TYPE_NULL, ANJ_DM_RES_E),
    res(
        server_rid::BOOTSTRAP_TRIGGER,
        ANJ_DATA_TYPE_NULL,
        ANJ_DM_RES_E,
    ),
    res(
        server_rid::BOOTSTRAP_ON_FAILURE,
        ANJ_DATA_TYPE_BOOL,
        ANJ_DM_RES_R,
    ),
    res(server_rid::RETRY_COUNT, ANJ_DATA_TYPE_UINT, ANJ_DM_RES_RW),
    res(server_rid::RETRY_TIMER, ANJ_DATA_TYPE_UINT, ANJ_DM_RES_RW),
    res(
        server_rid::SEQ_DELAY_TIMER,
        ANJ_DATA_TYPE_UINT,
        ANJ_DM_RES_RW,
    ),
    res(
        server_rid::SEQ_RETRY_COUNT,
        ANJ_DATA_TYPE_UINT,
        ANJ_DM_RES_RW,
    ),
    res(server_rid::MUTE_SEND, ANJ_DATA_TYPE_BOOL, ANJ_DM_RES_RW),
    res(
        server_rid::DEFAULT_NOTIFICATION_MODE,
        ANJ_DATA_TYPE_INT,
        ANJ_DM_RES_RW,
    ),
]);

static SERVER_HANDLERS: anj_dm_handlers_t = anj_dm_handlers_t {
    // The Bootstrap-Server creates and deletes the instance; LwM2M Servers may not.
    inst_create: if cfg!(feature = "bootstrap") {
        Some(server_inst_create)
    } else {
        None
    },
    inst_delete: if cfg!(feature = "bootstrap") {
        Some(server_inst_delete)
    } else {
        None
    },
    inst_reset: Some(server_inst_reset),
    transaction_begin: Some(server_transaction_begin),
    transaction_validate: Some(server_transaction_validate),
    transaction_end: Some(server_transaction_end),
    res_read: Some(server_res_read),
    res_write: Some(server_res_write),
    res_execute: Some(server_res_execute),
    res_inst_create: None,
    res_inst_delete: None,
};

/// The Server object context (`anj_dm_server_obj_t` in C; one instance): the C table
/// the data model reads, and the core's object, which does the work.
#[repr(C)]
pub struct ServerObj {
    obj: anj_dm_obj_t,
    inst: [anj_dm_obj_inst_t; 1],
    state: ServerObject,
    installed: bool,
}

impl ServerObj {
    /// The instance, if the object has one.
    pub fn instance(&self) -> Option<&ServerInstance> {
        self.state.instance()
    }

    /// Whether the object is registered with a client.
    pub fn is_installed(&self) -> bool {
        self.installed
    }

    /// Sets the (single) instance of an object not installed yet (persistence restore).
    pub fn set_instance(&mut self, d: ServerInstance) {
        debug_assert!(!self.installed);
        self.state.set_instance(d);
    }
}

const EMPTY_INST: anj_dm_obj_inst_t = anj_dm_obj_inst_t {
    iid: ANJ_ID_INVALID,
    resources: core::ptr::null(),
    res_count: 0,
};

/// Prepares an empty Server object context.
///
/// # Safety
/// `server_obj_ctx` points to writable memory of `sizeof(anj_dm_server_obj_t)` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_dm_server_obj_init(server_obj_ctx: *mut ServerObj) {
    if server_obj_ctx.is_null() {
        return;
    }
    // SAFETY: the caller provides writable storage for the whole context; we initialise
    // it in one write without reading the previous (uninitialised) contents.
    unsafe {
        server_obj_ctx.write(ServerObj {
            obj: anj_dm_obj_t {
                oid: anj_core::objects::server::OID,
                version: c"1.2".as_ptr(),
                handlers: &SERVER_HANDLERS,
                insts: core::ptr::null(),
                max_inst_count: 1,
            },
            inst: [EMPTY_INST],
            // With Bootstrap, the Bootstrap-Server creates and deletes the instance.
            state: ServerObject::new(cfg!(feature = "bootstrap")),
            installed: false,
        })
    }
}

/// Adds the (single) Server object instance; validates it first.
///
/// # Safety
/// `server_obj_ctx` was initialised by `anj_dm_server_obj_init`; `instance` is valid.
#[no_mangle]
pub unsafe extern "C" fn anj_dm_server_obj_add_instance(
    server_obj_ctx: *mut ServerObj,
    instance: *const anj_dm_server_instance_init_t,
) -> c_int {
    // SAFETY: the caller passes valid pointers (checked for NULL here).
    let (Some(ctx), Some(init)) = (unsafe { server_obj_ctx.as_mut() }, unsafe {
        instance.as_ref()
    }) else {
        return -1;
    };
    if ctx.state.instance().is_some() || ctx.installed {
        crate::log_error!("server obj: only one instance is supported");
        return -1;
    }
    // SAFETY: `init.binding` is NULL or a NUL-terminated string, per the init struct's
    // contract.
    let binding = unsafe { cstr(init.binding) }.unwrap_or(b"U");
    let mut d = ServerInstance::EMPTY;
    // SAFETY: `init.iid` is NULL or points to a valid value, per the init struct's
    // contract; it is only read.
    d.iid = unsafe { init.iid.as_ref() }.copied().unwrap_or(0);
    d.ssid = init.ssid;
    d.lifetime = init.lifetime;
    d.default_pmin = init.default_min_period;
    d.default_pmax = init.default_max_period;
    d.disable_timeout = if init.disable_timeout == 0 {
        DISABLE_TIMEOUT_DEFAULT
    } else {
        init.disable_timeout
    };
    d.notification_storing = init.notification_storing;
    // SAFETY: `init.bootstrap_on_registration_failure` is NULL or points to a valid value,
    // per the init struct's contract; it is only read.
    d.bootstrap_on_failure = unsafe { init.bootstrap_on_registration_failure.as_ref() }
        .copied()
        .unwrap_or(true);
    d.mute_send = init.mute_send;
    // SAFETY: `init.comm_retry_res` is NULL or points to a valid value, per the init struct's
    // contract; it is only read.
    d.retry = unsafe { init.comm_retry_res.as_ref() }
        .copied()
        .unwrap_or(anj_communication_retry_res_t::DEFAULT);
    d.default_notification_mode = init.default_notification_mode;
    match ctx.state.add_instance(d, binding) {
        Ok(()) => 0,
        Err(e) => {
            match e {
                AddError::Exists => {
                    crate::log_error!("server obj: only one instance is supported")
                }
                AddError::Malformed => {
                    crate::log_error!("server obj: invalid binding, iid or notification mode")
                }
                AddError::Invalid => {
                    crate::log_error!("server obj: invalid instance (SSID, lifetime or periods)")
                }
            }
            -1
        }
    }
}

/// Registers the Server object with the data model.
///
/// # Safety
/// `anj` was initialised by `anj_core_init`; `server_obj_ctx` is an initialised context
/// that outlives its registration.
#[no_mangle]
pub unsafe extern "C" fn anj_dm_server_obj_install(
    anj: *mut anj_t,
    server_obj_ctx: *mut ServerObj,
) -> c_int {
    let Some(ctx_ptr) = NonNull::new(server_obj_ctx) else {
        return -1;
    };
    {
        // SAFETY: a valid, initialised context (checked non-NULL).
        let ctx = unsafe { &mut *ctx_ptr.as_ptr() };
        if ctx.installed {
            return -1;
        }
        ctx.sync();
        // SAFETY: address only (no access); derived from the raw context pointer the data
        // model and the handlers use, so later writes of `inst` through them keep it valid.
        ctx.obj.insts = unsafe { core::ptr::addr_of!((*ctx_ptr.as_ptr()).inst) }.cast();
    }
    // SAFETY: the object lives inside the caller's context, which outlives the registration;
    // `installed` is a field of that context.
    unsafe {
        register_builtin(
            anj,
            ctx_ptr.cast::<anj_dm_obj_t>(),
            core::ptr::addr_of_mut!((*ctx_ptr.as_ptr()).installed),
        )
    }
}

unsafe extern "C" fn server_res_read(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    _iid: anj_iid_t,
    rid: anj_rid_t,
    _riid: anj_riid_t,
    out: *mut anj_res_value_t,
) -> c_int {
    // SAFETY: the engine calls this handler only for the Server object it was registered
    // with, with a valid out slot.
    let (ctx, out) = unsafe { (ctx_of::<ServerObj>(obj), &mut *out) };
    match ctx.state.read_resource(rid) {
        Some(v) => {
            put(out, &v);
            0
        }
        None => ERR_NOT_FOUND,
    }
}

unsafe extern "C" fn server_res_write(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    _iid: anj_iid_t,
    rid: anj_rid_t,
    _riid: anj_riid_t,
    value: *const anj_res_value_t,
) -> c_int {
    // SAFETY: the engine calls this handler only for the Server object it was registered
    // with (the first field of its context), and `value` is valid during the call.
    let (ctx, value) = unsafe { (ctx_of::<ServerObj>(obj), &*value) };
    let Some(t) = SERVER_RES.0.iter().find(|r| r.rid == rid).map(|r| r.r#type) else {
        return ERR_NOT_FOUND;
    };
    let v = value_from_write(t, value);
    match ctx.state.write_resource(rid, &v) {
        Ok(()) => 0,
        Err(_) => ERR_BAD_REQUEST,
    }
}

/// Converts a value handed to a write handler of a built-in object (strings arrive with
/// their length, not NUL-terminated; bytes likewise).
fn value_from_write<'a>(t: anj_data_type_t, v: &'a anj_res_value_t) -> Value<'a> {
    if t == ANJ_DATA_TYPE_STRING || t == ANJ_DATA_TYPE_BYTES {
        // SAFETY: string and bytes writes are carried in `bytes_or_string`.
        let b = unsafe { v.bytes_or_string };
        if b.offset != 0 || b.chunk_length != b.full_length_hint {
            // Built-in objects take whole values only; chunks mean an oversized value.
            return Value::Null;
        }
        let data: &'a [u8] = if b.data.is_null() || b.chunk_length == 0 {
            &[]
        } else {
            // SAFETY: the engine points `data` at `chunk_length` bytes valid for this call.
            unsafe { core::slice::from_raw_parts(b.data as *const u8, b.chunk_length) }
        };
        return if t == ANJ_DATA_TYPE_BYTES {
            Value::Bytes(data)
        } else {
            core::str::from_utf8(data)
                .map(Value::String)
                .unwrap_or(Value::Null)
        };
    }
    // SAFETY: only the types handled above carry pointers; for the others (numbers,
    // bools, object links) `value_from_c` reads plain data and borrows nothing.
    unsafe { crate::ffi::dm::value_from_c(t, v) }
}

unsafe extern "C" fn server_res_execute(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    _iid: anj_iid_t,
    rid: anj_rid_t,
    _arg: *const c_char,
    _arg_len: usize,
) -> c_int {
    // SAFETY: the engine calls this handler only for the Server object it was registered
    // with (the first field of its context, registered through a `*mut`).
    let ctx = unsafe { ctx_of::<ServerObj>(obj) };
    match ctx.state.execute_resource(rid) {
        Some(ServerAction::Disable { timeout }) => {
            // SAFETY: `anj` is the client the engine called this handler for, and the
            // callee only records the disable request in it.
            unsafe { crate::ffi::core::anj_core_server_obj_disable_executed(anj, timeout) };
            0
        }
        Some(ServerAction::RegistrationUpdate) => {
            // SAFETY: `anj` is the client the engine called this handler for, and the
            // callee only sets a request flag in it.
            unsafe {
                crate::ffi::core::anj_core_server_obj_registration_update_trigger_executed(anj)
            };
            0
        }
        Some(ServerAction::BootstrapRequest) => {
            // SAFETY: `anj` is the client the engine called this handler for, and the
            // callee only sets a request flag in it.
            unsafe {
                crate::ffi::core::anj_core_server_obj_bootstrap_request_trigger_executed(anj)
            };
            0
        }
        None => ERR_METHOD_NOT_ALLOWED,
    }
}

unsafe extern "C" fn server_transaction_begin(_anj: *mut anj_t, obj: *const anj_dm_obj_t) -> c_int {
    // SAFETY: the engine calls this handler only for the Server object it was registered
    // with (the first field of its context, registered through a `*mut`).
    let ctx = unsafe { ctx_of::<ServerObj>(obj) };
    ctx.state.begin();
    0
}

impl ServerObj {
    /// The instance table the data model reads, in step with the core's instance.
    fn sync(&mut self) {
        self.inst[0] = match self.state.instance() {
            Some(d) => anj_dm_obj_inst_t {
                iid: d.iid,
                resources: SERVER_RES.0.as_ptr(),
                res_count: SERVER_RES.0.len() as u16,
            },
            None => EMPTY_INST,
        };
    }
}

unsafe extern "C" fn server_inst_create(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
) -> c_int {
    // SAFETY: the engine calls this handler only for the Server object it was registered
    // with (the first field of its context, registered through a `*mut`).
    let ctx = unsafe { ctx_of::<ServerObj>(obj) };
    // A new instance (Bootstrap-Write of an instance that does not exist) gets the
    // defaults, no SSID yet: the transaction does not validate until one is written.
    if !ctx.state.create(iid) {
        return ERR_INTERNAL;
    }
    ctx.sync();
    0
}

/// Write-Replace of the instance (and Bootstrap-Write, which replaces too): back to
/// the defaults of a new instance before the payload is written, as in Anjay Lite.
unsafe extern "C" fn server_inst_reset(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
) -> c_int {
    // SAFETY: the engine calls this handler only with the Server object it was registered
    // with, which lives inside its `ServerObj` context for as long as it is registered.
    let ctx = unsafe { ctx_of::<ServerObj>(obj) };
    if !ctx.state.reset(iid) {
        return ERR_NOT_FOUND;
    }
    ctx.sync();
    0
}

unsafe extern "C" fn server_inst_delete(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
) -> c_int {
    // SAFETY: the engine calls this handler only for the Server object it was registered
    // with (the first field of its context, registered through a `*mut`).
    let ctx = unsafe { ctx_of::<ServerObj>(obj) };
    if !ctx.state.delete(iid) {
        return ERR_NOT_FOUND;
    }
    ctx.sync();
    0
}

unsafe extern "C" fn server_transaction_validate(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
) -> c_int {
    // SAFETY: the engine calls this handler only for the Server object it was registered
    // with (the first field of its context, registered through a `*mut`).
    let ctx = unsafe { ctx_of::<ServerObj>(obj) };
    if ctx.state.validate() {
        0
    } else {
        ERR_BAD_REQUEST
    }
}

unsafe extern "C" fn server_transaction_end(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    result: anj_dm_transaction_result_t,
) {
    // SAFETY: the engine calls this handler only for the Server object it was registered
    // with (the first field of its context, registered through a `*mut`).
    let ctx = unsafe { ctx_of::<ServerObj>(obj) };
    let success = result == anj_dm_transaction_result_t::ANJ_DM_TRANSACTION_SUCCESS;
    let params_changed = ctx.state.end(success);
    if !success {
        ctx.sync();
        return;
    }
    if params_changed {
        // A new lifetime or binding is reported to the server with an Update (LwM2M 1.1
        // TS Core §6.2.2: the Update carries changed parameters).
        // SAFETY: `anj` is the client the engine called us for; this only sets a flag.
        unsafe { crate::ffi::core::note_server_params_changed(anj) };
    }
}

/* ---------------------------------- Security /0 ---------------------------------- */

/// Security modes of /0/x/2 (LwM2M 1.1 TS Core, E.1).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_dm_security_mode_t {
    ANJ_DM_SECURITY_PSK = 0,
    ANJ_DM_SECURITY_RPK = 1,
    ANJ_DM_SECURITY_CERTIFICATE = 2,
    ANJ_DM_SECURITY_NOSEC = 3,
    ANJ_DM_SECURITY_EST = 4,
}

/// Largest Server URI (`ANJ_SERVER_URI_MAX_SIZE`, including the NUL).
pub const ANJ_SERVER_URI_MAX_SIZE: usize = 256;

#[cfg(feature = "bootstrap")]
pub(crate) const SECURITY_INSTANCES: usize = 2;
#[cfg(not(feature = "bootstrap"))]
pub(crate) const SECURITY_INSTANCES: usize = 1;

/// The instances a transaction rolls back to: with Bootstrap the Bootstrap-Server writes
/// the object; without it nothing does (LwM2M Servers never reach it).
#[cfg(feature = "bootstrap")]
const SECURITY_BACKUP: usize = SECURITY_INSTANCES;
#[cfg(not(feature = "bootstrap"))]
const SECURITY_BACKUP: usize = 0;

/// What the application passes to `anj_dm_security_obj_add_instance`.
#[repr(C)]
pub struct anj_dm_security_instance_init_t {
    pub server_uri: *const c_char,
    pub bootstrap_server: bool,
    pub security_mode: anj_dm_security_mode_t,
    #[cfg(feature = "security")]
    pub public_key_or_identity: crate::ffi::crypto::anj_crypto_security_info_t,
    #[cfg(feature = "security")]
    pub server_public_key: crate::ffi::crypto::anj_crypto_security_info_t,
    #[cfg(feature = "security")]
    pub secret_key: crate::ffi::crypto::anj_crypto_security_info_t,
    #[cfg(feature = "security")]
    pub server_name_indication: *const c_char,
    /// NULL selects `ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE`.
    #[cfg(feature = "certificates")]
    pub certificate_usage: *const crate::ffi::net::anj_net_certificate_usage_t,
    pub ssid: u16,
    pub client_hold_off_time: u32,
    /// NULL selects the lowest free instance ID.
    pub iid: *const anj_iid_t,
}

/// What the C face keeps beside an instance's resources: with external crypto storage,
/// the references (`identity` of `anj_crypto_security_info_external_t`) that replace the
/// bytes of /0/x/3, /0/x/4 and /0/x/5 (`None`: the bytes are used).
/// cbindgen:ignore
#[cfg(feature = "external-crypto-storage")]
pub(crate) type ExtRefs = anj_core::objects::security::StoredRefs<NonNull<c_char>>;
#[cfg(not(feature = "external-crypto-storage"))]
pub(crate) type ExtRefs = ();

#[cfg(feature = "external-crypto-storage")]
const NO_EXT_REFS: ExtRefs = ExtRefs::NONE;
#[cfg(not(feature = "external-crypto-storage"))]
const NO_EXT_REFS: ExtRefs = ();

/// One instance: the core's pointer-free type, with the external-storage references.
/// cbindgen:ignore
pub(crate) type SecurityInstance = anj_core::objects::security::SecurityInstance<ExtRefs>;

/// An unused instance slot.
pub(crate) const EMPTY_SECURITY_INSTANCE: SecurityInstance = SecurityInstance::empty(NO_EXT_REFS);

/// What a transaction's result must satisfy in this build: a Security Mode its
/// transports have, and a Server URI the client can connect to.
#[derive(Clone, Copy)]
pub(crate) struct CPolicy;

impl Policy for CPolicy {
    fn mode_usable(&self, m: SecurityMode) -> bool {
        m == SecurityMode::NoSec
            || (m == SecurityMode::Psk && cfg!(feature = "security"))
            || (m == SecurityMode::Certificate && cfg!(feature = "certificates"))
            || (m == SecurityMode::Rpk && cfg!(feature = "rpk"))
    }

    fn uri_usable(&self, uri: &str) -> bool {
        crate::client::split_uri(uri).is_some()
    }
}

/// The core's Security object as this build configures it.
/// cbindgen:ignore
pub(crate) type SecurityState =
    SecurityObject<SECURITY_INSTANCES, SECURITY_BACKUP, ExtRefs, CPolicy>;

#[cfg(feature = "security")]
use anj_core::objects::security::SNI_SIZE as SEC_SNI_SIZE;
use anj_core::objects::security::{AddError as SecAddError, Policy, SecurityMode, SecurityObject};
const _: () = assert!(ANJ_SERVER_URI_MAX_SIZE == anj_core::objects::security::SERVER_URI_MAX_SIZE);

/// The core's Security Mode of a C one.
fn mode_from_c(m: anj_dm_security_mode_t) -> SecurityMode {
    use anj_dm_security_mode_t::*;
    match m {
        ANJ_DM_SECURITY_PSK => SecurityMode::Psk,
        ANJ_DM_SECURITY_RPK => SecurityMode::Rpk,
        ANJ_DM_SECURITY_CERTIFICATE => SecurityMode::Certificate,
        ANJ_DM_SECURITY_NOSEC => SecurityMode::NoSec,
        ANJ_DM_SECURITY_EST => SecurityMode::Est,
    }
}

/// The core's Certificate Usage of a C one.
#[cfg(feature = "certificates")]
fn usage_from_c(
    u: crate::ffi::net::anj_net_certificate_usage_t,
) -> anj_core::objects::security::CertificateUsage {
    use crate::ffi::net::anj_net_certificate_usage_t::*;
    use anj_core::objects::security::CertificateUsage::*;
    match u {
        ANJ_NET_CERTIFICATE_CA_CONSTRAINT => CaConstraint,
        ANJ_NET_CERTIFICATE_SERVICE_CERTIFICATE_CONSTRAINT => ServiceCertificateConstraint,
        ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION => TrustAnchorAssertion,
        ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE => DomainIssuedCertificate,
    }
}

/// Copies a credential given as a buffer into `dst`; `None` if it does not fit or is
/// given any other way. An empty credential has length 0.
#[cfg(feature = "security")]
fn copy_credential(
    info: &crate::ffi::crypto::anj_crypto_security_info_t,
    dst: &mut [u8],
) -> Option<u16> {
    use crate::ffi::crypto::anj_crypto_data_source_t::*;
    match info.source {
        ANJ_CRYPTO_DATA_SOURCE_EMPTY => Some(0),
        ANJ_CRYPTO_DATA_SOURCE_BUFFER => {
            // SAFETY: `buffer` is the member that a BUFFER source selects.
            let b = unsafe { info.info.buffer };
            if b.data_size == 0 {
                return Some(0);
            }
            if b.data.is_null() || b.data_size > dst.len() {
                return None;
            }
            // SAFETY: the caller's buffer holds `data_size` readable bytes.
            let src = unsafe { core::slice::from_raw_parts(b.data.cast::<u8>(), b.data_size) };
            dst[..src.len()].copy_from_slice(src);
            Some(src.len() as u16)
        }
        // A reference into the external storage: kept in `SecurityInstance::ext`.
        // SAFETY: `external` is the member an EXTERNAL source selects.
        #[cfg(feature = "external-crypto-storage")]
        ANJ_CRYPTO_DATA_SOURCE_EXTERNAL if !unsafe { info.info.external.identity }.is_null() => {
            Some(0)
        }
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// The reference of a credential given as EXTERNAL (kept, not copied: it must outlive
/// the object, as in Anjay Lite); `None` for any other source.
#[cfg(feature = "external-crypto-storage")]
fn external_ref(info: &crate::ffi::crypto::anj_crypto_security_info_t) -> Option<NonNull<c_char>> {
    if info.source == crate::ffi::crypto::anj_crypto_data_source_t::ANJ_CRYPTO_DATA_SOURCE_EXTERNAL
    {
        // SAFETY: `external` is the member an EXTERNAL source selects.
        NonNull::new(unsafe { info.info.external.identity }.cast_mut())
    } else {
        None
    }
}

/// The `anj_crypto_security_info_t` of an external-storage reference.
#[cfg(feature = "external-crypto-storage")]
fn external_info(
    tag: crate::ffi::crypto::anj_crypto_security_tag_t,
    identity: *const c_char,
) -> crate::ffi::crypto::anj_crypto_security_info_t {
    use crate::ffi::crypto::*;
    anj_crypto_security_info_t {
        tag,
        source: anj_crypto_data_source_t::ANJ_CRYPTO_DATA_SOURCE_EXTERNAL,
        info: anj_crypto_security_info_union_t {
            external: anj_crypto_security_info_external_t { identity },
        },
    }
}

/// The credential `rid` (/0/x/3, /0/x/4 or /0/x/5) of instance `iid` when `obj` is the
/// built-in Security object and the credential lives in the external crypto storage.
#[cfg(feature = "external-crypto-storage")]
pub(crate) fn builtin_security_external(
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
    rid: anj_rid_t,
) -> Option<crate::ffi::crypto::anj_crypto_security_info_t> {
    use anj_core::objects::security::Credential;
    // SAFETY: `obj` is a registered object (valid while registered); the built-in
    // object's context is only read, while the client is in none of its handlers.
    let ctx = unsafe { &*SecurityObj::of_registered(obj)? };
    let identity = ctx.state.instance(iid)?.ext.get(Credential::of_rid(rid)?)?;
    Some(external_info(
        crate::ffi::crypto::anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN,
        identity.as_ptr(),
    ))
}

/// The integrator's external crypto storage (`anj_crypto_storage_*` hooks) of a client,
/// as the core's [`CredentialStore`](anj_core::objects::security::CredentialStore).
#[cfg(feature = "external-crypto-storage")]
struct CryptoStorage(*mut core::ffi::c_void);

#[cfg(feature = "external-crypto-storage")]
impl anj_core::objects::security::CredentialStore for CryptoStorage {
    type Ref = NonNull<c_char>;

    fn create_record(
        &mut self,
        kind: anj_core::objects::security::RecordKind,
        bytes: &[u8],
    ) -> Option<NonNull<c_char>> {
        use crate::ffi::crypto::anj_crypto_security_tag_t::*;
        use anj_core::objects::security::RecordKind::*;
        let tag = match kind {
            PskIdentity => ANJ_CRYPTO_SECURITY_TAG_PSK_IDENTITY,
            PskKey => ANJ_CRYPTO_SECURITY_TAG_PSK_KEY,
            CertificateChain => ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN,
            PrivateKey => ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY,
        };
        let mut info = external_info(tag, core::ptr::null());
        // SAFETY: the integrator's hook, with the client's storage context; `bytes` is
        // readable for its length during the call.
        let r = unsafe {
            crate::ffi::crypto::anj_crypto_storage_create_record(
                self.0,
                &mut info,
                bytes.as_ptr().cast(),
                bytes.len(),
            )
        };
        // SAFETY: `external` is the member the hook fills (and the one set above).
        let identity = unsafe { info.info.external.identity };
        if r != 0 {
            return None;
        }
        NonNull::new(identity.cast_mut())
    }

    fn delete_record(&mut self, kind: anj_core::objects::security::RecordKind, r: NonNull<c_char>) {
        use crate::ffi::crypto::anj_crypto_security_tag_t::*;
        use anj_core::objects::security::RecordKind::*;
        let tag = match kind {
            PskIdentity => ANJ_CRYPTO_SECURITY_TAG_PSK_IDENTITY,
            PskKey => ANJ_CRYPTO_SECURITY_TAG_PSK_KEY,
            CertificateChain => ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN,
            PrivateKey => ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY,
        };
        let info = external_info(tag, r.as_ptr());
        // SAFETY: the integrator's hook, with a reference it made. Its result does not
        // matter: the credential is gone from the object either way.
        let _ = unsafe { crate::ffi::crypto::anj_crypto_storage_delete_record(self.0, &info) };
    }

    fn zeroize(&mut self, buf: &mut [u8]) {
        // SAFETY: a valid, writable buffer of `buf.len()` bytes.
        unsafe { crate::ffi::crypto::anj_crypto_zeroize(buf.as_mut_ptr().cast(), buf.len()) };
    }
}

/// Logs what an offload did: the instances whose credentials moved (their references
/// before it in `before`, by slot), and the one that failed.
#[cfg(feature = "external-crypto-storage")]
fn log_offload(
    before: &[ExtRefs; SECURITY_INSTANCES],
    state: &SecurityState,
    r: Result<(), anj_core::objects::security::OffloadError>,
) {
    for (d, old) in state.instances().iter().zip(before) {
        let moved = d.is_used() && (0..3).any(|i| old.0[i].is_none() && d.ext.0[i].is_some());
        if moved {
            crate::log_info!(
                "security obj: /0/{} credentials moved to external storage",
                d.iid
            );
        }
    }
    if let Err(e) = r {
        crate::log_error!(
            "security obj: moving /0/{} credentials to external storage failed",
            e.iid
        );
    }
}

/// After a successful Bootstrap-Finish, as Anjay Lite does: the storage records of
/// credentials the session replaced or deleted are removed, and the credentials it
/// wrote as bytes move into the storage (their buffers wiped). `obj` is the Security
/// object of the registry (nothing happens for one that is not the built-in object).
#[cfg(all(feature = "external-crypto-storage", feature = "bootstrap"))]
pub(crate) fn security_offload_after_bootstrap(anj: *mut anj_t, obj: *const anj_dm_obj_t) {
    // SAFETY: `obj` is a registered object (valid while registered).
    let Some(ctx) = (unsafe { SecurityObj::of_registered(obj) }) else {
        return;
    };
    // SAFETY: the built-in object lives in its context, which the application keeps for
    // as long as it is installed; the client is not reading it now.
    let ctx = unsafe { &mut *ctx };
    // SAFETY: `anj` is the initialised client the bootstrap ran in.
    let mut store = CryptoStorage(unsafe { crate::ffi::core::crypto_ctx_of(anj) });
    let before = ctx.state.instances().map(|d| d.ext);
    let r = ctx.state.offload_after_bootstrap(&mut store);
    log_offload(&before, &ctx.state, r);
    if r.is_err() {
        crate::log_error!("security obj: offloading the bootstrapped credentials failed");
    }
}

/// Converts a value handed to the Security object's write handler: a String or Opaque
/// value that is not whole becomes a chunk.
#[cfg(feature = "bootstrap")]
fn security_write_value<'a>(t: anj_data_type_t, v: &'a anj_res_value_t) -> WriteValue<'a> {
    if t == ANJ_DATA_TYPE_STRING || t == ANJ_DATA_TYPE_BYTES {
        // SAFETY: string and bytes writes are carried in `bytes_or_string`.
        let b = unsafe { v.bytes_or_string };
        if b.offset != 0 || b.chunk_length != b.full_length_hint {
            let data: &'a [u8] = if b.data.is_null() || b.chunk_length == 0 {
                &[]
            } else {
                // SAFETY: the engine points `data` at `chunk_length` bytes valid for this
                // call.
                unsafe { core::slice::from_raw_parts(b.data as *const u8, b.chunk_length) }
            };
            return WriteValue::Chunk {
                text: t == ANJ_DATA_TYPE_STRING,
                data,
                offset: b.offset,
                full_len: (b.full_length_hint != 0).then_some(b.full_length_hint),
            };
        }
    }
    WriteValue::Whole(value_from_write(t, v))
}

/// The handler return code of a core data model error.
fn err_code(e: anj_core::dm::DmError) -> c_int {
    e.handler_code()
}

/// With Bootstrap the Bootstrap-Server writes the object: instances, every resource,
/// transactions.
#[cfg(feature = "bootstrap")]
static SECURITY_HANDLERS: anj_dm_handlers_t = anj_dm_handlers_t {
    inst_create: Some(security_inst_create),
    inst_delete: Some(security_inst_delete),
    inst_reset: Some(security_inst_reset),
    transaction_begin: Some(security_transaction_begin),
    transaction_validate: Some(security_transaction_validate),
    transaction_end: Some(security_transaction_end),
    res_read: Some(security_res_read),
    res_write: Some(security_res_write),
    res_execute: None,
    res_inst_create: None,
    res_inst_delete: None,
};

/// Without Bootstrap nothing writes the object (LwM2M Servers never reach it).
#[cfg(not(feature = "bootstrap"))]
static SECURITY_HANDLERS: anj_dm_handlers_t = anj_dm_handlers_t {
    inst_create: None,
    inst_delete: None,
    inst_reset: None,
    transaction_begin: None,
    transaction_validate: None,
    transaction_end: None,
    res_read: Some(security_res_read),
    res_write: None,
    res_execute: None,
    res_inst_create: None,
    res_inst_delete: None,
};

/// The C table of the resources the core's object has.
const fn security_res() -> [anj_dm_res_t; security::RESOURCE_COUNT] {
    let mut out = [res(0, ANJ_DATA_TYPE_NULL, ANJ_DM_RES_RW); security::RESOURCE_COUNT];
    let mut i = 0;
    while i < security::RESOURCE_COUNT {
        let r = security::RESOURCES[i];
        let t = match r.data_type {
            anj_core::io::value::DataType::String => ANJ_DATA_TYPE_STRING,
            anj_core::io::value::DataType::Bytes => ANJ_DATA_TYPE_BYTES,
            anj_core::io::value::DataType::Bool => ANJ_DATA_TYPE_BOOL,
            _ => ANJ_DATA_TYPE_INT,
        };
        out[i] = res(r.rid, t, ANJ_DM_RES_RW);
        i += 1;
    }
    out
}

static SECURITY_RES: ResTable<{ security::RESOURCE_COUNT }> = ResTable(security_res());

/// The Security object context (`anj_dm_security_obj_t` in C): the C table the data
/// model reads, and the core's object, which does the work.
#[repr(C)]
pub struct SecurityObj {
    obj: anj_dm_obj_t,
    inst: [anj_dm_obj_inst_t; SECURITY_INSTANCES],
    state: SecurityState,
    installed: bool,
}

impl SecurityObj {
    /// The built-in Security object context `obj` is the first field of, if it is the
    /// built-in object (the one object with the built-in handler table).
    ///
    /// # Safety
    /// `obj` is NULL or points to a registered object (valid while registered).
    #[cfg(any(feature = "certificates", feature = "external-crypto-storage"))]
    unsafe fn of_registered(obj: *const anj_dm_obj_t) -> Option<*mut SecurityObj> {
        // SAFETY: guaranteed by the caller; only the handler table pointer is read.
        if obj.is_null() || !core::ptr::eq(unsafe { (*obj).handlers }, &SECURITY_HANDLERS) {
            return None;
        }
        // Only the built-in Security object uses SECURITY_HANDLERS, and its
        // `anj_dm_obj_t` is the first field of a SecurityObj registered through a `*mut`.
        Some(obj.cast_mut().cast())
    }

    /// The instance table the data model reads, in step with the core's instances.
    fn sync(&mut self) {
        for (slot, d) in self.inst.iter_mut().zip(self.state.instances().iter()) {
            *slot = if d.is_used() {
                anj_dm_obj_inst_t {
                    iid: d.iid,
                    resources: SECURITY_RES.0.as_ptr(),
                    res_count: SECURITY_RES.0.len() as u16,
                }
            } else {
                EMPTY_INST
            };
        }
    }
}

#[cfg(feature = "persistence")]
impl SecurityObj {
    /// The instances, in instance ID order; unused slots have `iid == ANJ_ID_INVALID`
    /// and come last.
    pub(crate) fn instances(&self) -> &[SecurityInstance; SECURITY_INSTANCES] {
        self.state.instances()
    }

    /// Whether the object is registered with a client.
    pub(crate) fn is_installed(&self) -> bool {
        self.installed
    }

    /// Replaces every instance of an object not installed yet (persistence restore).
    /// `data` was checked by [`security_set_valid`].
    pub(crate) fn set_instances(&mut self, data: [SecurityInstance; SECURITY_INSTANCES]) {
        debug_assert!(!self.installed);
        self.state.set_instances(data);
        self.sync();
    }
}

#[cfg(feature = "persistence")]
/// The Security mode a stored number names, if `anj_dm_security_obj_add_instance` of
/// this build takes it (NoSec only without `security`).
pub(crate) fn security_mode_from(v: u8) -> Option<SecurityMode> {
    SecurityMode::from_number(v.into()).filter(|m| m.available())
}

#[cfg(feature = "persistence")]
/// Whether a set of instances is one that `anj_dm_security_obj_add_instance` could have
/// built (the core's [`anj_core::objects::security::set_valid`]).
pub(crate) fn security_set_valid(data: &[SecurityInstance]) -> bool {
    anj_core::objects::security::set_valid(data)
}

/// Prepares an empty Security object context.
///
/// # Safety
/// `security_obj_ctx` points to writable memory of `sizeof(anj_dm_security_obj_t)` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_dm_security_obj_init(security_obj_ctx: *mut SecurityObj) {
    if security_obj_ctx.is_null() {
        return;
    }
    // SAFETY: the caller provides writable storage for the whole context.
    unsafe {
        security_obj_ctx.write(SecurityObj {
            obj: anj_dm_obj_t {
                oid: security::OID,
                version: c"1.0".as_ptr(),
                handlers: &SECURITY_HANDLERS,
                insts: core::ptr::null(),
                max_inst_count: SECURITY_INSTANCES as u16,
            },
            inst: [EMPTY_INST; SECURITY_INSTANCES],
            state: SecurityState::new(NO_EXT_REFS, CPolicy),
            installed: false,
        })
    }
}

/// Adds a Security object instance; validates it first.
///
/// # Safety
/// `security_obj_ctx` was initialised by `anj_dm_security_obj_init`; `instance` is valid.
#[no_mangle]
pub unsafe extern "C" fn anj_dm_security_obj_add_instance(
    security_obj_ctx: *mut SecurityObj,
    instance: *const anj_dm_security_instance_init_t,
) -> c_int {
    // SAFETY: the caller passes valid pointers (checked for NULL here).
    let (Some(ctx), Some(init)) = (unsafe { security_obj_ctx.as_mut() }, unsafe {
        instance.as_ref()
    }) else {
        return -1;
    };
    if ctx.installed {
        return -1;
    }
    // SAFETY: init pointers are NULL or valid per the init struct's contract.
    let uri = unsafe { cstr(init.server_uri) }.unwrap_or(b"");
    let mut d = EMPTY_SECURITY_INSTANCE;
    // Too long: left empty, which the core refuses.
    if uri.len() < ANJ_SERVER_URI_MAX_SIZE {
        d.uri[..uri.len()].copy_from_slice(uri);
        d.uri_len = uri.len() as u16;
    }
    d.bootstrap_server = init.bootstrap_server;
    d.mode = mode_from_c(init.security_mode);
    d.ssid = init.ssid;
    d.hold_off = init.client_hold_off_time;
    #[cfg(feature = "security")]
    {
        #[cfg(feature = "external-crypto-storage")]
        {
            d.ext = anj_core::objects::security::StoredRefs([
                external_ref(&init.public_key_or_identity),
                external_ref(&init.server_public_key),
                external_ref(&init.secret_key),
            ]);
        }
        let (Some(id_len), Some(key_len)) = (
            copy_credential(&init.public_key_or_identity, &mut d.identity),
            copy_credential(&init.secret_key, &mut d.secret),
        ) else {
            crate::log_error!("security obj: identity or secret key too long, or not a buffer");
            return -1;
        };
        d.identity_len = id_len;
        d.secret_len = key_len;
        let Some(server_key_len) = copy_credential(&init.server_public_key, &mut d.server_key)
        else {
            crate::log_error!("security obj: server public key too long, or not a buffer");
            return -1;
        };
        d.server_key_len = server_key_len;
        // SAFETY: NULL or a NUL-terminated string, per the init struct's contract.
        let sni = unsafe { cstr(init.server_name_indication) }.unwrap_or(b"");
        if sni.len() > SEC_SNI_SIZE {
            crate::log_error!("security obj: SNI longer than ANJ_SEC_OBJ_MAX_SNI_SIZE");
            return -1;
        }
        d.sni[..sni.len()].copy_from_slice(sni);
    }
    #[cfg(feature = "certificates")]
    {
        // SAFETY: NULL or a valid enum value, per the init struct's contract.
        if let Some(&usage) = unsafe { init.certificate_usage.as_ref() } {
            d.cert_usage = usage_from_c(usage);
        }
    }
    // SAFETY: `init.iid` is NULL or points to a valid value, per the init struct's
    // contract; it is only read. NULL: the lowest free IID.
    let iid = unsafe { init.iid.as_ref() }.copied();
    match ctx.state.add_instance(d, iid) {
        Ok(()) => 0,
        Err(e) => {
            match e {
                SecAddError::Full => {
                    crate::log_error!("security obj: no room for another instance")
                }
                SecAddError::Invalid => {
                    crate::log_error!("security obj: invalid instance (URI, IID or SSID)")
                }
                SecAddError::Mode => crate::log_error!(
                    "security obj: only NoSec is available without ANJ_WITH_SECURITY"
                ),
            }
            -1
        }
    }
}

/// Registers the Security object with the data model.
///
/// # Safety
/// As for `anj_dm_server_obj_install`.
#[no_mangle]
pub unsafe extern "C" fn anj_dm_security_obj_install(
    anj: *mut anj_t,
    security_obj_ctx: *mut SecurityObj,
) -> c_int {
    let Some(ctx_ptr) = NonNull::new(security_obj_ctx) else {
        return -1;
    };
    {
        // SAFETY: a valid, initialised context (checked non-NULL).
        let ctx = unsafe { &mut *ctx_ptr.as_ptr() };
        if ctx.installed {
            return -1;
        }
        ctx.sync();
        // SAFETY: address only (no access); derived from the raw context pointer the data
        // model and the handlers use, so later writes of `inst` through them keep it valid.
        ctx.obj.insts = unsafe { core::ptr::addr_of!((*ctx_ptr.as_ptr()).inst) }.cast();
        // As in Anjay Lite: credentials given as bytes go to the external storage now.
        #[cfg(feature = "external-crypto-storage")]
        {
            // SAFETY: `anj` is the initialised client being installed into.
            let mut store = CryptoStorage(unsafe { crate::ffi::core::crypto_ctx_of(anj) });
            let before = ctx.state.instances().map(|d| d.ext);
            let r = ctx.state.offload(&mut store);
            log_offload(&before, &ctx.state, r);
            if r.is_err() {
                return -1;
            }
        }
    }
    // SAFETY: the object lives inside the caller's context, which outlives the registration;
    // `installed` is a field of that context.
    unsafe {
        register_builtin(
            anj,
            ctx_ptr.cast::<anj_dm_obj_t>(),
            core::ptr::addr_of_mut!((*ctx_ptr.as_ptr()).installed),
        )
    }
}

unsafe extern "C" fn security_res_read(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
    rid: anj_rid_t,
    _riid: anj_riid_t,
    out: *mut anj_res_value_t,
) -> c_int {
    // SAFETY: the engine calls this handler only for the Security object it was registered
    // with, with a valid out slot.
    let (ctx, out) = unsafe { (ctx_of::<SecurityObj>(obj), &mut *out) };
    // The URI is handed over as the bytes it was given (NUL-terminated in its buffer).
    if rid == security::rid::SERVER_URI {
        let Some(d) = ctx.state.instance(iid) else {
            return ERR_NOT_FOUND;
        };
        put(out, &Value::Bytes(&d.uri[..d.uri_len as usize]));
        return 0;
    }
    match ctx.state.read_resource(iid, rid) {
        Ok(v) => {
            put(out, &v);
            0
        }
        Err(e) => err_code(e),
    }
}

/// The SNI (/0/x/14) of instance `iid` when `obj` is the built-in Security object and
/// the SNI is set: NUL-terminated, inside the object (valid until it changes); else
/// NULL.
#[cfg(any(feature = "certificates", feature = "external-crypto-storage"))]
pub(crate) fn builtin_security_sni(obj: *const anj_dm_obj_t, iid: anj_iid_t) -> *const c_char {
    // SAFETY: `obj` is a registered object (valid while registered); the built-in
    // object's context is only read, while the client is in none of its handlers.
    let ctx = unsafe { SecurityObj::of_registered(obj).map(|c| &*c) };
    match ctx.and_then(|c| c.state.instance(iid)) {
        Some(d) if d.sni[0] != 0 => d.sni.as_ptr().cast(),
        _ => core::ptr::null(),
    }
}

#[cfg(feature = "bootstrap")]
unsafe extern "C" fn security_res_write(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
    rid: anj_rid_t,
    _riid: anj_riid_t,
    value: *const anj_res_value_t,
) -> c_int {
    // SAFETY: the engine calls this handler only for the Security object it was registered
    // with (the first field of its context), and `value` is valid during the call.
    let (ctx, value) = unsafe { (ctx_of::<SecurityObj>(obj), &*value) };
    let Some(t) = SECURITY_RES
        .0
        .iter()
        .find(|r| r.rid == rid)
        .map(|r| r.r#type)
    else {
        return ERR_NOT_FOUND;
    };
    match ctx
        .state
        .write_resource(iid, rid, &security_write_value(t, value))
    {
        Ok(()) => 0,
        Err(e) => err_code(e),
    }
}

/// Runs one of the core object's instance or transaction operations for a handler, and
/// keeps the C instance table in step.
///
/// # Safety
/// As for the handlers: `obj` is the built-in Security object the engine calls them for.
#[cfg(feature = "bootstrap")]
unsafe fn security_op(
    obj: *const anj_dm_obj_t,
    op: impl FnOnce(&mut SecurityState) -> anj_core::dm::DmResult<()>,
) -> c_int {
    // SAFETY: guaranteed by the caller (the engine calls the handlers only for the
    // Security object they were registered with, the first field of its context,
    // registered through a `*mut`).
    let ctx = unsafe { ctx_of::<SecurityObj>(obj) };
    let r = op(&mut ctx.state);
    ctx.sync();
    match r {
        Ok(()) => 0,
        Err(e) => err_code(e),
    }
}

#[cfg(feature = "bootstrap")]
unsafe extern "C" fn security_inst_create(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
) -> c_int {
    // SAFETY: called by the engine for the object it was registered with.
    unsafe { security_op(obj, |s| s.create_instance(iid)) }
}

#[cfg(feature = "bootstrap")]
unsafe extern "C" fn security_inst_delete(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
) -> c_int {
    // SAFETY: called by the engine for the object it was registered with.
    unsafe { security_op(obj, |s| s.delete_instance(iid)) }
}

#[cfg(feature = "bootstrap")]
unsafe extern "C" fn security_inst_reset(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: anj_iid_t,
) -> c_int {
    // SAFETY: called by the engine for the object it was registered with.
    unsafe { security_op(obj, |s| s.reset_instance(iid)) }
}

#[cfg(feature = "bootstrap")]
unsafe extern "C" fn security_transaction_begin(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
) -> c_int {
    // SAFETY: called by the engine for the object it was registered with.
    unsafe { security_op(obj, |s| s.transaction_begin()) }
}

#[cfg(feature = "bootstrap")]
unsafe extern "C" fn security_transaction_validate(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
) -> c_int {
    // SAFETY: called by the engine for the object it was registered with.
    unsafe {
        security_op(obj, |s| {
            let r = s.transaction_validate();
            if r.is_err() {
                crate::log_error!(
                    "security obj: an instance is not valid (a Security Mode this build has, \
                     a unique SSID, a usable URI)"
                );
            }
            r
        })
    }
}

#[cfg(feature = "bootstrap")]
unsafe extern "C" fn security_transaction_end(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    result: anj_dm_transaction_result_t,
) {
    let success = result == anj_dm_transaction_result_t::ANJ_DM_TRANSACTION_SUCCESS;
    // SAFETY: called by the engine for the object it was registered with.
    unsafe {
        security_op(obj, |s| {
            s.transaction_end(success);
            Ok(())
        })
    };
}

/* ----------------------------------- Device /3 ----------------------------------- */

pub type anj_dm_reboot_callback_t =
    unsafe extern "C" fn(arg: *mut core::ffi::c_void, anj: *mut anj_t);

/// What the application passes to `anj_dm_device_obj_install`. NULL strings read as empty.
#[repr(C)]
pub struct anj_dm_device_object_init_t {
    pub manufacturer: *const c_char,
    pub model_number: *const c_char,
    pub serial_number: *const c_char,
    pub firmware_version: *const c_char,
    pub software_version: *const c_char,
    pub reboot_cb: Option<unsafe extern "C" fn(arg: *mut core::ffi::c_void, anj: *mut anj_t)>,
    pub reboot_cb_arg: *mut core::ffi::c_void,
}

/// Error Code /3/0/11 has one instance, 0, whose value 0 means "no error".
static DEVICE_ERR_RIIDS: [anj_riid_t; 1] = [0];

struct DeviceResTable([anj_dm_res_t; 8]);
// SAFETY: immutable; the only pointer refers to the immutable DEVICE_ERR_RIIDS static.
unsafe impl Sync for DeviceResTable {}

static DEVICE_RES: DeviceResTable = DeviceResTable([
    res(device_rid::MANUFACTURER, ANJ_DATA_TYPE_STRING, ANJ_DM_RES_R),
    res(device_rid::MODEL_NUMBER, ANJ_DATA_TYPE_STRING, ANJ_DM_RES_R),
    res(
        device_rid::SERIAL_NUMBER,
        ANJ_DATA_TYPE_STRING,
        ANJ_DM_RES_R,
    ),
    res(
        device_rid::FIRMWARE_VERSION,
        ANJ_DATA_TYPE_STRING,
        ANJ_DM_RES_R,
    ),
    res(device_rid::REBOOT, ANJ_DATA_TYPE_NULL, ANJ_DM_RES_E),
    anj_dm_res_t {
        rid: device_rid::ERROR_CODE,
        r#type: ANJ_DATA_TYPE_INT,
        kind: ANJ_DM_RES_RM,
        insts: DEVICE_ERR_RIIDS.as_ptr(),
        max_inst_count: 1,
    },
    res(
        device_rid::SUPPORTED_BINDINGS,
        ANJ_DATA_TYPE_STRING,
        ANJ_DM_RES_R,
    ),
    res(
        device_rid::SOFTWARE_VERSION,
        ANJ_DATA_TYPE_STRING,
        ANJ_DM_RES_R,
    ),
]);

static DEVICE_HANDLERS: anj_dm_handlers_t = anj_dm_handlers_t {
    inst_create: None,
    inst_delete: None,
    inst_reset: None,
    transaction_begin: None,
    transaction_validate: None,
    transaction_end: None,
    res_read: Some(device_res_read),
    res_write: None,
    res_execute: Some(device_res_execute),
    res_inst_create: None,
    res_inst_delete: None,
};

/// The Device object context (`anj_dm_device_obj_t` in C; one instance, /3/0).
#[repr(C)]
pub struct DeviceObj {
    obj: anj_dm_obj_t,
    inst: [anj_dm_obj_inst_t; 1],
    strings: [*const c_char; 5],
    reboot_cb: Option<unsafe extern "C" fn(arg: *mut core::ffi::c_void, anj: *mut anj_t)>,
    reboot_cb_arg: *mut core::ffi::c_void,
}

/// The Device object's version (the core's [`device::VERSION`]), NUL-terminated for C.
static DEVICE_VERSION: &CStr = c"1.0";

/// Supported bindings reported in /3/0/16 (the core's [`device::SUPPORTED_BINDINGS`]),
/// NUL-terminated for C.
static SUPPORTED_BINDINGS: &CStr = c"U";

/// Initialises and registers the Device object. The strings are not copied: they must
/// outlive the object, as in Anjay Lite.
///
/// # Safety
/// `anj` was initialised by `anj_core_init`; `device_obj` is writable storage that outlives
/// its registration; `obj_init` is valid.
#[no_mangle]
pub unsafe extern "C" fn anj_dm_device_obj_install(
    anj: *mut anj_t,
    device_obj: *mut DeviceObj,
    obj_init: *const anj_dm_device_object_init_t,
) -> c_int {
    let Some(ctx_ptr) = NonNull::new(device_obj) else {
        return -1;
    };
    // SAFETY: checked for NULL; valid per the caller's contract.
    let Some(init) = (unsafe { obj_init.as_ref() }) else {
        return -1;
    };
    // SAFETY: the caller provides writable storage for the whole context.
    unsafe {
        ctx_ptr.as_ptr().write(DeviceObj {
            obj: anj_dm_obj_t {
                oid: device::OID,
                version: DEVICE_VERSION.as_ptr(),
                handlers: &DEVICE_HANDLERS,
                insts: core::ptr::null(),
                max_inst_count: 1,
            },
            inst: [anj_dm_obj_inst_t {
                iid: 0,
                resources: DEVICE_RES.0.as_ptr(),
                res_count: DEVICE_RES.0.len() as u16,
            }],
            strings: [
                init.manufacturer,
                init.model_number,
                init.serial_number,
                init.firmware_version,
                init.software_version,
            ],
            reboot_cb: init.reboot_cb,
            reboot_cb_arg: init.reboot_cb_arg,
        });
        (*ctx_ptr.as_ptr()).obj.insts = core::ptr::addr_of!((*ctx_ptr.as_ptr()).inst).cast();
    }
    // SAFETY: the object lives inside the caller's context, which outlives the registration.
    unsafe { crate::ffi::core::add_obj(anj, ctx_ptr.cast::<anj_dm_obj_t>()) }
}

unsafe extern "C" fn device_res_read(
    _anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    _iid: anj_iid_t,
    rid: anj_rid_t,
    _riid: anj_riid_t,
    out: *mut anj_res_value_t,
) -> c_int {
    // SAFETY: the engine calls this handler only for the Device object it was registered
    // with, with a valid out slot.
    let (ctx, out) = unsafe { (ctx_of::<DeviceObj>(obj), &mut *out) };
    let s = match device::resource_value(rid) {
        Some(DeviceValue::Text(t)) => ctx.strings[t as usize],
        Some(DeviceValue::SupportedBindings) => SUPPORTED_BINDINGS.as_ptr(),
        Some(DeviceValue::ErrorCode) => {
            out.int_value = device::NO_ERROR;
            return 0;
        }
        None => return ERR_NOT_FOUND,
    };
    let s = if s.is_null() { c"".as_ptr() } else { s };
    out.bytes_or_string = anj_bytes_or_string_value_t {
        data: s.cast(),
        offset: 0,
        chunk_length: 0,
        full_length_hint: 0,
    };
    0
}

unsafe extern "C" fn device_res_execute(
    anj: *mut anj_t,
    obj: *const anj_dm_obj_t,
    _iid: anj_iid_t,
    rid: anj_rid_t,
    _arg: *const c_char,
    _arg_len: usize,
) -> c_int {
    // SAFETY: the engine calls this handler only for the Device object it was registered
    // with (the first field of its context, registered through a `*mut`).
    let ctx = unsafe { ctx_of::<DeviceObj>(obj) };
    if rid != device_rid::REBOOT {
        return ERR_METHOD_NOT_ALLOWED;
    }
    match ctx.reboot_cb {
        Some(cb) => {
            // SAFETY: the application's callback, with the argument it registered; the
            // application decides when to actually reboot.
            unsafe { cb(ctx.reboot_cb_arg, anj) };
            0
        }
        None => ERR_INTERNAL,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anj_core::dm::object::{ResKind, Resource};

    /// The C tables list what the core's objects describe (they are what the C registry
    /// and `anj_dm_*` calls see; the core's are what its own operations see).
    fn same_as_core(c: &[anj_dm_res_t], core: &[Resource]) {
        assert_eq!(c.len(), core.len());
        for (c, r) in c.iter().zip(core) {
            let kind = match c.kind {
                anj_dm_res_kind_t::ANJ_DM_RES_R => ResKind::R,
                anj_dm_res_kind_t::ANJ_DM_RES_RM => ResKind::RM,
                anj_dm_res_kind_t::ANJ_DM_RES_W => ResKind::W,
                anj_dm_res_kind_t::ANJ_DM_RES_WM => ResKind::WM,
                anj_dm_res_kind_t::ANJ_DM_RES_RW => ResKind::RW,
                anj_dm_res_kind_t::ANJ_DM_RES_RWM => ResKind::RWM,
                anj_dm_res_kind_t::ANJ_DM_RES_E => ResKind::E,
            };
            let t = crate::ffi::dm_adapter::data_type(c.r#type);
            assert_eq!((c.rid, kind, t), (r.rid, r.kind, r.data_type), "/{}", c.rid);
            if r.kind.multiple() {
                assert_eq!(c.max_inst_count, r.max_instances, "/{}", c.rid);
            }
        }
    }

    #[test]
    fn the_c_tables_match_the_core_objects() {
        same_as_core(&SERVER_RES.0, &anj_core::objects::server::RESOURCES);
        same_as_core(&DEVICE_RES.0, &device::RESOURCES);
        same_as_core(&SECURITY_RES.0, &security::RESOURCES);
        // SAFETY: `anj_dm_server_obj_init` writes the whole context it is given.
        let server = unsafe {
            let mut s = core::mem::MaybeUninit::<ServerObj>::uninit();
            anj_dm_server_obj_init(s.as_mut_ptr());
            s.assume_init()
        };
        assert_eq!(server.obj.oid, anj_core::objects::server::OID);
        // SAFETY: the init sets `version` to a NUL-terminated string literal.
        let version = unsafe { CStr::from_ptr(server.obj.version) };
        assert_eq!(version.to_str(), Ok(anj_core::objects::server::VERSION));
        assert_eq!(DEVICE_VERSION.to_str(), Ok(device::VERSION));
        assert_eq!(SUPPORTED_BINDINGS.to_str(), Ok(device::SUPPORTED_BINDINGS));
    }
}
