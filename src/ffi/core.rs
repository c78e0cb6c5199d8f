//! `anj/core.h`: `anj_t`, `anj_configuration_t` and the `anj_core_*` functions, plus
//! `anj_dm_add_obj` / `anj_dm_remove_obj` / `anj_dm_res_read` from `anj/dm/core.h`.
//!
//! `anj_t` is allocated by the application (any storage, never initialised by it). To C
//! it is `{ const char *endpoint_name; opaque storage }` with the size
//! `ANJ_INTERNAL_SIZEOF_ANJ_T` from `anj/anj_config.h`; `crate::layout` asserts that the
//! Rust view below fits exactly.
//!
//! Re-entry (docs/reentry.md): handlers and callbacks get the `anj_t *` back. While the
//! client runs C code (a step, a shutdown, or any other call that reaches handlers),
//! `Inner::run` says so. The functions allowed there touch only state that no `&mut`
//! covers: the request flags ([`Requests`]), the Send queue, and `Inner::dm_view` (the
//! object table `anj_dm_res_read` and the credential readers use). Every other function
//! finds `run` set, logs an error and returns its error value without touching the client.

use core::cell::Cell;
use core::ffi::{c_char, c_int, c_void};
use core::ptr::{addr_of, addr_of_mut, NonNull};

use crate::client::{Change, ConnStatus, Engine as Client, Requests, Settings};
use crate::driver::Driver;
use crate::exchange::TxParams;
use crate::ffi::dm::{anj_dm_obj_t, anj_res_value_t, ObjRef};
use crate::ffi::host::CHostImpl;
use crate::ffi::net::{anj_net_config_t, anj_net_socket_configuration_t, NetConn};
use crate::ffi::time::anj_time_duration_t;
use crate::ffi::utils::anj_uri_path_t;
use crate::time::{Duration, SEC};

/// Connection status reported to the application.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum anj_conn_status_t {
    ANJ_CONN_STATUS_INITIAL,
    ANJ_CONN_STATUS_INVALID,
    ANJ_CONN_STATUS_FAILURE,
    ANJ_CONN_STATUS_BOOTSTRAPPING,
    ANJ_CONN_STATUS_BOOTSTRAPPED,
    ANJ_CONN_STATUS_REGISTERING,
    ANJ_CONN_STATUS_REGISTERED,
    ANJ_CONN_STATUS_SUSPENDED,
    ANJ_CONN_STATUS_ENTERING_QUEUE_MODE,
    ANJ_CONN_STATUS_QUEUE_MODE,
}

impl From<ConnStatus> for anj_conn_status_t {
    fn from(s: ConnStatus) -> Self {
        use anj_conn_status_t::*;
        match s {
            ConnStatus::Initial => ANJ_CONN_STATUS_INITIAL,
            ConnStatus::Invalid => ANJ_CONN_STATUS_INVALID,
            ConnStatus::Failure => ANJ_CONN_STATUS_FAILURE,
            ConnStatus::Bootstrapping => ANJ_CONN_STATUS_BOOTSTRAPPING,
            ConnStatus::Bootstrapped => ANJ_CONN_STATUS_BOOTSTRAPPED,
            ConnStatus::Registering => ANJ_CONN_STATUS_REGISTERING,
            ConnStatus::Registered => ANJ_CONN_STATUS_REGISTERED,
            ConnStatus::Suspended => ANJ_CONN_STATUS_SUSPENDED,
            ConnStatus::EnteringQueueMode => ANJ_CONN_STATUS_ENTERING_QUEUE_MODE,
            ConnStatus::QueueMode => ANJ_CONN_STATUS_QUEUE_MODE,
        }
    }
}

/// The core's status compares with the C one (the tests of the C face do).
impl PartialEq<anj_conn_status_t> for ConnStatus {
    fn eq(&self, other: &anj_conn_status_t) -> bool {
        anj_conn_status_t::from(*self) == *other
    }
}

/// Called on every change of the connection status.
pub type anj_connection_status_callback_t =
    unsafe extern "C" fn(arg: *mut c_void, anj: *mut anj_t, conn_status: anj_conn_status_t);

/// CoAP retransmission parameters (RFC 7252 §4.8).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_exchange_udp_tx_params_t {
    pub ack_timeout: anj_time_duration_t,
    pub ack_random_factor: f64,
    pub max_retransmit: u16,
}

/// Kinds of data model change reported by the application.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_core_change_type_t {
    ANJ_CORE_CHANGE_TYPE_VALUE_CHANGED = 0,
    ANJ_CORE_CHANGE_TYPE_ADDED = 1,
    ANJ_CORE_CHANGE_TYPE_DELETED = 2,
}

/// Client configuration given to `anj_core_init`. Zero/NULL fields select defaults.
#[repr(C)]
pub struct anj_configuration_t {
    /// Endpoint Client Name; the string is not copied and must outlive the client.
    pub endpoint_name: *const c_char,
    pub connection_status_cb: Option<
        unsafe extern "C" fn(arg: *mut c_void, anj: *mut anj_t, conn_status: anj_conn_status_t),
    >,
    pub connection_status_cb_arg: *mut c_void,
    pub queue_mode_enabled: bool,
    pub queue_mode_timeout: anj_time_duration_t,
    pub net_socket_cfg: *const anj_net_socket_configuration_t,
    pub udp_tx_params: *const anj_exchange_udp_tx_params_t,
    pub exchange_request_timeout: anj_time_duration_t,
    #[cfg(feature = "bootstrap")]
    pub bootstrap_retry_count: u16,
    #[cfg(feature = "bootstrap")]
    pub bootstrap_retry_timeout: anj_time_duration_t,
    #[cfg(feature = "bootstrap")]
    pub bootstrap_timeout: anj_time_duration_t,
    #[cfg(feature = "certificates")]
    pub trust_store: *const crate::ffi::net::anj_net_trust_store_t,
}

/// What the client is doing, for the re-entry checks (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Run {
    /// Nothing: any function may be called.
    Idle,
    /// A `&mut Client` or a shared reference to `dm_view` is live up the stack, and C code
    /// may run (handlers, callbacks, hooks, the log handler).
    Client,
    /// `anj_core_step` calls the connection status callback; no reference into the client
    /// is live, but the step goes on after it.
    Callback,
}

/// Restores `run` to what it was when dropped.
struct Running<'a> {
    run: &'a Cell<Run>,
    was: Run,
}

impl Running<'_> {
    fn set(run: &Cell<Run>, now: Run) -> Running<'_> {
        Running {
            run,
            was: run.replace(now),
        }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.run.set(self.was);
    }
}

/// The library's part of `anj_t`.
pub(crate) struct Inner {
    magic: u32,
    pub(crate) client: Client,
    conn: NetConn,
    net_cfg: anj_net_config_t,
    status_cb: Option<
        unsafe extern "C" fn(arg: *mut c_void, anj: *mut anj_t, conn_status: anj_conn_status_t),
    >,
    status_cb_arg: *mut c_void,
    /// `anj_security_register_credential_handlers` (NULL: read the Security object).
    #[cfg(feature = "security")]
    cred_handlers: *const crate::ffi::security::anj_security_credential_handlers_t,
    /// A copy of `anj_configuration_t.trust_store` (the certificates stay the
    /// application's).
    #[cfg(feature = "certificates")]
    trust_store: crate::ffi::net::anj_net_trust_store_t,
    requests: Requests,
    /// What runs now (see the module docs); outside `client`, so no `&mut Client` covers it.
    run: Cell<Run>,
    /// The application's objects, which the client is handed at each call (it keeps no
    /// reference to them). Changed only by `anj_dm_add_obj` and `anj_dm_remove_obj`,
    /// which run only while `run` is [`Run::Idle`] or [`Run::Callback`]; shared
    /// references to it exist only while `run` is [`Run::Client`] (the client's step and
    /// [`with_registry`]).
    pub(crate) registry: crate::dm::Registry,
    /// An external value kept open between the blocks of a block-wise Read (lent to the
    /// objects the client is handed).
    ext_hold: crate::dm::ExtHold,
    /// LwM2M Send requests (shared like `requests`: finished handlers re-enter it).
    #[cfg(feature = "lwm2m-send")]
    send: crate::ffi::send::CSendState,
}

/// An LwM2M client. Allocate it anywhere; `anj_core_init` initialises it.
#[repr(C)]
pub struct anj_t {
    /// The Endpoint Client Name given in the configuration (readable by applications).
    pub endpoint_name: *const c_char,
    pub(crate) inner: Inner,
}

/// Marks an `anj_t` that `anj_core_init` initialised (guards against use of garbage).
const MAGIC: u32 = 0x616e_6a31;

fn duration_or(d: anj_time_duration_t, default: Duration) -> Duration {
    if d.us > 0 && d.is_valid() {
        d.us
    } else {
        default
    }
}

/// Whether `p` sets any UDP transmission parameter: an all-zero structure selects the
/// defaults, like NULL. The factor is tested by its bits without the sign (`!= 0.0`,
/// NaN included), so no soft-float comparison routine is linked for it.
fn tx_params_given(p: &anj_exchange_udp_tx_params_t) -> bool {
    p.ack_timeout.us != 0 || p.ack_random_factor.to_bits() << 1 != 0 || p.max_retransmit != 0
}

/// Initialises the client. Returns 0, or -1 with a log line when the configuration is
/// unusable.
///
/// # Safety
/// `anj` points to writable storage of `sizeof(anj_t)` bytes; `config` is valid and its
/// `endpoint_name` outlives the client.
#[no_mangle]
pub unsafe extern "C" fn anj_core_init(
    anj: *mut anj_t,
    config: *const anj_configuration_t,
) -> c_int {
    crate::ffi::log::install_core_sink();
    // SAFETY: checked for NULL; valid per the caller's contract.
    let Some(cfg) = (unsafe { config.as_ref() }) else {
        crate::log_error!("anj_core_init: NULL configuration");
        return -1;
    };
    if anj.is_null() {
        crate::log_error!("anj_core_init: NULL anj");
        return -1;
    }
    if cfg.endpoint_name.is_null() {
        crate::log_error!("anj_core_init: endpoint_name is required");
        return -1;
    }
    // SAFETY: NULL or a valid pointer per the configuration contract.
    let tx = match unsafe { cfg.udp_tx_params.as_ref() } {
        Some(p) if tx_params_given(p) => {
            TxParams::new(p.ack_timeout.us, p.ack_random_factor, p.max_retransmit)
        }
        _ => Some(TxParams::DEFAULT),
    };
    let Some(tx) = tx else {
        crate::log_error!(
            "anj_core_init: invalid udp_tx_params (ack_timeout > 0, ack_random_factor >= 1)"
        );
        return -1;
    };
    let settings = Settings {
        tx,
        request_timeout: duration_or(cfg.exchange_request_timeout, 50 * SEC),
        queue_mode: cfg.queue_mode_enabled,
        queue_mode_timeout: duration_or(cfg.queue_mode_timeout, tx.max_transmit_wait()),
        #[cfg(feature = "bootstrap")]
        bootstrap_retry_count: cfg.bootstrap_retry_count,
        #[cfg(feature = "bootstrap")]
        bootstrap_retry_timeout: if cfg.bootstrap_retry_timeout.is_valid() {
            cfg.bootstrap_retry_timeout.us.max(0)
        } else {
            0
        },
        // 247 s: EXCHANGE_LIFETIME of the default CoAP transmission parameters.
        #[cfg(feature = "bootstrap")]
        bootstrap_timeout: duration_or(cfg.bootstrap_timeout, 247 * SEC),
    };
    if cfg.queue_mode_enabled && cfg.queue_mode_timeout.us < 0 {
        crate::log_error!("anj_core_init: negative queue_mode_timeout");
        return -1;
    }
    #[cfg(feature = "certificates")]
    let trust_store = {
        // SAFETY: NULL or a valid pointer per the configuration contract.
        let ts = unsafe { cfg.trust_store.as_ref() }.copied().unwrap_or(
            crate::ffi::net::anj_net_trust_store_t {
                ca_certs: core::ptr::null(),
                ca_certs_count: 0,
            },
        );
        if ts.ca_certs.is_null() != (ts.ca_certs_count == 0) {
            crate::log_error!("anj_core_init: trust_store: ca_certs and ca_certs_count disagree");
            return -1;
        }
        ts
    };
    let mut net_cfg = anj_net_config_t::default();
    // SAFETY: NULL or a valid pointer per the configuration contract.
    if let Some(s) = unsafe { cfg.net_socket_cfg.as_ref() } {
        net_cfg.raw_socket_config = *s;
    }
    // As in Anjay Lite, the storage is set up first thing; its context goes to every
    // secure connection.
    #[cfg(feature = "external-crypto-storage")]
    {
        let mut ctx: *mut c_void = core::ptr::null_mut();
        // SAFETY: the integrator's hook, with a writable out slot.
        if unsafe { crate::ffi::crypto::anj_crypto_storage_init(&mut ctx) } != 0 {
            crate::log_error!("anj_core_init: anj_crypto_storage_init failed");
            return -1;
        }
        net_cfg.secure_socket_config.crypto_ctx = ctx;
    }
    // SAFETY: `anj` is writable storage for an anj_t; both fields are written without
    // reading the previous (uninitialised) contents.
    unsafe {
        addr_of_mut!((*anj).endpoint_name).write(cfg.endpoint_name);
        addr_of_mut!((*anj).inner).write(Inner {
            magic: MAGIC,
            client: Client::new(settings),
            conn: NetConn::new(),
            net_cfg,
            status_cb: cfg.connection_status_cb,
            status_cb_arg: cfg.connection_status_cb_arg,
            #[cfg(feature = "security")]
            cred_handlers: core::ptr::null(),
            #[cfg(feature = "certificates")]
            trust_store,
            requests: Requests::default(),
            run: Cell::new(Run::Idle),
            registry: crate::dm::Registry::default(),
            ext_hold: crate::dm::ExtHold::default(),
            #[cfg(feature = "lwm2m-send")]
            send: crate::ffi::send::CSendState::new(),
        });
    }
    0
}

/// The initialised library state behind `anj`, or `None` (with a log line) for NULL or an
/// `anj_t` that `anj_core_init` did not initialise.
///
/// # Safety
/// `anj` is NULL or points to an `anj_t`; the returned pointer is valid while it is.
unsafe fn inner(anj: *mut anj_t) -> Option<*mut Inner> {
    if anj.is_null() {
        return None;
    }
    // SAFETY: `anj` points to an anj_t; reading the magic through a raw projection
    // creates no reference to the rest.
    let magic = unsafe { addr_of!((*anj).inner.magic).read() };
    if magic != MAGIC {
        crate::log_error!("anj_t is not initialized (anj_core_init not called, or shut down)");
        return None;
    }
    // SAFETY: `anj` points to an anj_t (the caller's contract); a raw field projection
    // creates no reference.
    Some(unsafe { addr_of_mut!((*anj).inner) })
}

/// `run` of the initialised `inner`.
///
/// # Safety
/// `inner` came from [`inner`] and its `anj_t` stays valid for `'a`.
unsafe fn run_of<'a>(inner: *mut Inner) -> &'a Cell<Run> {
    // SAFETY: guaranteed by the caller; `run` is a `Cell` outside `client`, only ever
    // shared.
    unsafe { &*addr_of!((*inner).run) }
}

/// The initialised state behind `anj` for a function that is not allowed while the client
/// runs (`what` names it): `None` with a log line when the client runs (a handler or
/// callback called it), else the state, marked running until the guard is dropped.
/// `in_status_cb`: the function is allowed in the connection status callback (no
/// reference into the client is live there, and the function does not step).
///
/// # Safety
/// As for [`inner`]; `anj` stays valid for `'a`.
unsafe fn enter<'a>(
    anj: *mut anj_t,
    what: &str,
    in_status_cb: bool,
) -> Option<(*mut Inner, Running<'a>)> {
    // SAFETY: guaranteed by the caller.
    let i = unsafe { inner(anj) }?;
    // SAFETY: `i` came from `inner` and stays valid for 'a (the caller's contract).
    let run = unsafe { run_of(i) };
    if !(run.get() == Run::Idle || in_status_cb && run.get() == Run::Callback) {
        crate::log_error!(
            "{}: not allowed inside a handler or callback of this client (ignored)",
            what
        );
        return None;
    }
    Some((i, Running::set(run, Run::Client)))
}

/// The request flags of `anj`, reachable at any time (see the module docs).
///
/// # Safety
/// As for [`inner`].
unsafe fn requests<'a>(anj: *mut anj_t) -> Option<&'a Requests> {
    // SAFETY: `Requests` is only ever shared (`Cell`s), never borrowed mutably.
    unsafe { inner(anj).map(|i| &*addr_of!((*i).requests)) }
}

/// The Send state of `anj` (the queue and the requests behind it), reachable at any
/// time, from handlers too: like [`Requests`] it is only ever shared (`Cell`s).
///
/// # Safety
/// As for [`inner`].
#[cfg(feature = "lwm2m-send")]
pub(crate) unsafe fn send_state<'a>(anj: *mut anj_t) -> Option<&'a crate::ffi::send::CSendState> {
    // SAFETY: `CSendState` is only ever shared, never borrowed mutably.
    unsafe { inner(anj).map(|i| &*addr_of!((*i).send)) }
}

/// The Send queue of the `anj` the client runs for, with the source of its records whose
/// finished handlers get `anj`.
///
/// # Safety
/// As for [`inner`]: `anj` is NULL or points to an `anj_t` that stays valid for `'a`;
/// when initialised, it is what the finished handlers may be given.
#[cfg(feature = "lwm2m-send")]
pub(crate) unsafe fn client_send_queue<'a>(
    anj: *mut anj_t,
) -> Option<(
    &'a crate::send::SendQueue,
    crate::ffi::send::CSendSource<'a>,
)> {
    // SAFETY: guaranteed by the caller; the state is only ever shared (`Cell`s).
    let state = unsafe { send_state(anj) }?;
    // SAFETY: `send_state` found `anj` initialised; valid for `'a` (caller's contract).
    Some((&state.queue, unsafe { state.source(anj) }))
}

/// [`with_client`] with the client's host ([`CHostImpl`]) beside it.
///
/// # Safety
/// As for [`inner`].
unsafe fn with_client_and_host<R>(
    anj: *mut anj_t,
    what: &str,
    f: impl FnOnce(&mut Client, &mut CHostImpl<'_>) -> R,
) -> Option<R> {
    // SAFETY: guaranteed by the caller.
    let (i, _running) = unsafe { enter(anj, what, true) }?;
    // SAFETY: as in `with_client`: nothing else references the client; the registry and
    // the hold are disjoint fields that only the client's calls use while the guard is
    // set (add/remove are refused).
    let (client, registry, hold) = unsafe {
        (
            &mut *addr_of_mut!((*i).client),
            &*addr_of!((*i).registry),
            &mut *addr_of_mut!((*i).ext_hold),
        )
    };
    // SAFETY: `anj` was initialised (`enter` checked) and outlives this call; `registry`
    // is its registry, unchanged while the guard is set.
    let mut host = unsafe { CHostImpl::new(anj, registry, Some(hold)) };
    Some(f(client, &mut host))
}

/// Runs `f` on the objects of `anj` (a shared view that no `&mut Client` covers), with
/// the client marked running while `f` runs, so that handlers `f` calls cannot change the
/// table. Allowed at any time, from handlers too.
///
/// # Safety
/// As for [`inner`].
pub(crate) unsafe fn with_registry<R>(
    anj: *mut anj_t,
    f: impl FnOnce(&crate::dm::Registry) -> R,
) -> Option<R> {
    // SAFETY: guaranteed by the caller.
    let i = unsafe { inner(anj) }?;
    // SAFETY: `i` came from `inner`; the anj_t outlives this call.
    let _running = Running::set(unsafe { run_of(i) }, Run::Client);
    // SAFETY: `registry` is only changed while `run` is Idle or Callback, and it is
    // Client until the guard drops after `f`; shared references to it may coexist.
    Some(f(unsafe { &*addr_of!((*i).registry) }))
}

/// The client behind `anj`, for benchmarks that drive [`Engine::step`] directly with a
/// scripted link (`benches/requests.rs`). Not part of the C API.
///
/// # Safety
/// As for [`inner`]; no other reference to the client may be live while the returned one
/// is used, and the caller must not use it once `anj` is shut down or its storage freed.
#[doc(hidden)]
pub unsafe fn client_of<'a>(anj: *mut anj_t) -> Option<&'a mut Client> {
    // SAFETY: `inner` checked that `anj` was initialised; exclusivity and lifetime are
    // guaranteed by the caller.
    unsafe { inner(anj).map(|i| &mut *addr_of_mut!((*i).client)) }
}

/// Where `anj_security_register_credential_handlers` stores its table.
///
/// # Safety
/// As for [`inner`].
#[cfg(feature = "security")]
pub(crate) unsafe fn cred_handlers_slot(
    anj: *mut anj_t,
) -> Option<*mut *const crate::ffi::security::anj_security_credential_handlers_t> {
    // SAFETY: `inner` checked that `anj` was initialised; a raw projection only.
    unsafe { inner(anj).map(|i| addr_of_mut!((*i).cred_handlers)) }
}

/// The context `anj_crypto_storage_init` gave (NULL for an uninitialised `anj`).
///
/// # Safety
/// As for [`inner`].
#[cfg(feature = "external-crypto-storage")]
pub(crate) unsafe fn crypto_ctx_of(anj: *mut anj_t) -> *mut c_void {
    // SAFETY: `inner` checked that `anj` was initialised; a plain copy is read.
    match unsafe { inner(anj) } {
        Some(i) => unsafe { addr_of!((*i).net_cfg.secure_socket_config.crypto_ctx).read() },
        None => core::ptr::null_mut(),
    }
}

/// The trust store given to `anj_core_init` (empty when none was).
///
/// # Safety
/// As for [`inner`].
#[cfg(feature = "certificates")]
pub(crate) unsafe fn trust_store_of(anj: *mut anj_t) -> crate::ffi::net::anj_net_trust_store_t {
    // SAFETY: `inner` checked that `anj` was initialised; a plain copy is read.
    match unsafe { inner(anj) } {
        Some(i) => unsafe { addr_of!((*i).trust_store).read() },
        None => crate::ffi::net::anj_net_trust_store_t {
            ca_certs: core::ptr::null(),
            ca_certs_count: 0,
        },
    }
}

/// Records that Lifetime or Binding changed (called from the Server object's handlers,
/// inside a step: only the request flags are touched, see the module docs).
///
/// # Safety
/// As for [`inner`].
pub(crate) unsafe fn note_server_params_changed(anj: *mut anj_t) {
    // SAFETY: guaranteed by the caller; `Requests` is only ever shared.
    if let Some(r) = unsafe { requests(anj) } {
        r.server_params_changed();
    }
}

/// The endpoint name as bytes (empty if unset).
///
/// # Safety
/// `anj` is NULL or points to an `anj_t` that `anj_core_init` initialised and that stays
/// valid for `'a` (the name outlives it: `anj_configuration_t`'s contract).
pub(crate) unsafe fn endpoint_name<'a>(anj: *mut anj_t) -> &'a [u8] {
    if anj.is_null() {
        return &[];
    }
    // SAFETY: guaranteed by the caller; `endpoint_name` was checked non-NULL by
    // anj_core_init and is NUL-terminated (its contract).
    unsafe {
        let p = addr_of!((*anj).endpoint_name).read();
        if p.is_null() {
            &[]
        } else {
            core::ffi::CStr::from_ptr(p).to_bytes()
        }
    }
}

/// Adds an object to the registry.
///
/// # Safety
/// `obj` is a valid object definition that outlives its registration.
pub(crate) unsafe fn add_obj(anj: *mut anj_t, obj: NonNull<anj_dm_obj_t>) -> c_int {
    // SAFETY: guaranteed by the caller.
    let obj = unsafe { ObjRef::new(obj) };
    // SAFETY: `anj` is NULL or initialised (the callers' contract).
    let Some((i, _running)) = (unsafe { enter(anj, "anj_dm_add_obj", true) }) else {
        return -1;
    };
    // SAFETY: `enter` found nothing running (or only the status callback, which holds no
    // reference): no other reference to the registry is live (see `Inner::registry`).
    let registry = unsafe { &mut *addr_of_mut!((*i).registry) };
    match registry.add(obj) {
        Ok(()) => {
            // SAFETY: `anj` was initialised (`enter` checked); `Requests` is only shared.
            if let Some(r) = unsafe { requests(anj) } {
                r.objects_changed();
            }
            0
        }
        Err(e) => {
            crate::log_error!("cannot add object /{}: {:?}", obj.oid(), e);
            -1
        }
    }
}

/// Adds an application object to the data model. The object is not copied.
///
/// # Safety
/// `anj` was initialised; `obj` is NULL or a valid object that outlives its registration.
#[no_mangle]
pub unsafe extern "C" fn anj_dm_add_obj(anj: *mut anj_t, obj: *const anj_dm_obj_t) -> c_int {
    match NonNull::new(obj as *mut anj_dm_obj_t) {
        // SAFETY: guaranteed by the caller.
        Some(o) => unsafe { add_obj(anj, o) },
        None => -1,
    }
}

/// Removes an object from the data model.
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_dm_remove_obj(anj: *mut anj_t, oid: u16) -> c_int {
    // SAFETY: guaranteed by the caller.
    let Some((i, _running)) = (unsafe { enter(anj, "anj_dm_remove_obj", true) }) else {
        return -1;
    };
    // SAFETY: `enter` found nothing running (or only the status callback, which holds no
    // reference): no other reference to the client or to the registry is live (see
    // `Inner::registry`); the fields are disjoint.
    let (c, registry) = unsafe {
        (
            &mut *addr_of_mut!((*i).client),
            &mut *addr_of_mut!((*i).registry),
        )
    };
    // A Bootstrap session rolls the object back while it is still registered.
    #[cfg(feature = "bootstrap")]
    if registry.find(oid).is_some() {
        c.bs_object_removed(&mut crate::dm::CObjects::new(registry, anj, None), oid);
    }
    let r = registry.remove(oid);
    if r.is_ok() {
        c.on_object_removed(oid);
    }
    match r {
        Ok(_) => {
            // SAFETY: `anj` was initialised (`enter` checked); `Requests` is only shared.
            if let Some(r) = unsafe { requests(anj) } {
                r.objects_changed();
            }
            0
        }
        _ => -1,
    }
}

/// Reads a resource (instance) value through its object's handler.
///
/// # Safety
/// `anj` was initialised; `path` and `out_value` are valid.
#[no_mangle]
pub unsafe extern "C" fn anj_dm_res_read(
    anj: *mut anj_t,
    path: *const anj_uri_path_t,
    out_value: *mut anj_res_value_t,
) -> c_int {
    // SAFETY: checked for NULL; valid per the caller's contract.
    let (Some(path), Some(out)) = (unsafe { path.as_ref() }, unsafe { out_value.as_mut() }) else {
        return crate::dm::DmError::BAD_REQUEST.handler_code();
    };
    let Some(p) = to_path(path) else {
        return crate::dm::DmError::BAD_REQUEST.handler_code();
    };
    // SAFETY: guaranteed by the caller. Allowed inside handlers: only the shared object
    // table is used.
    let r = unsafe { with_registry(anj, |reg| crate::dm::read_resource_raw(anj, reg, &p, out)) };
    match r {
        Some(Ok(())) => 0,
        Some(Err(e)) => e.handler_code(),
        None => crate::dm::DmError::BAD_REQUEST.handler_code(),
    }
}

/// Runs everything that is due: network I/O, timers, the server's requests.
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_core_step(anj: *mut anj_t) {
    // SAFETY: guaranteed by the caller.
    let Some((inner, _running)) = (unsafe { enter(anj, "anj_core_step", false) }) else {
        return;
    };
    let now = crate::driver::now();
    {
        // SAFETY: disjoint fields of the initialised Inner, and `enter` found nothing
        // running; handlers re-entering the API touch only `requests`, `send`, `run`
        // and the registry (shared), never the others (see the module docs).
        let (client, conn, net_cfg, reqs, registry, hold) = unsafe {
            (
                &mut *addr_of_mut!((*inner).client),
                &mut *addr_of_mut!((*inner).conn),
                &*addr_of!((*inner).net_cfg),
                &*addr_of!((*inner).requests),
                &*addr_of!((*inner).registry),
                &mut *addr_of_mut!((*inner).ext_hold),
            )
        };
        apply_requests(client, reqs);
        // SAFETY: `anj` is initialised (`enter` checked) and outlives the driver.
        let mut driver = unsafe { Driver::for_client(conn, net_cfg, anj) };
        // SAFETY: `anj` was initialised (`enter` checked) and outlives this call;
        // `registry` is its registry, which nothing changes while the guard is set.
        let mut host = unsafe { CHostImpl::new(anj, registry, Some(hold)) };
        client.step(now, &mut driver, &mut host);
        apply_requests(client, reqs);
    }
    // SAFETY: `inner` is the initialised state of `anj`, valid during this call.
    unsafe { report_status(anj, inner) };
}

/// Runs `f` on the client of `anj` and its host, as `anj_core_step` hands them over (for
/// tests and benchmarks that drive the client directly; not part of the C API).
///
/// # Safety
/// `anj` was initialised and no reference into it is live.
#[doc(hidden)]
pub unsafe fn with_client_host<R>(
    anj: *mut anj_t,
    f: impl FnOnce(&mut Client, &mut dyn crate::client::Host) -> R,
) -> R {
    // SAFETY: guaranteed by the caller; disjoint fields of the initialised Inner.
    let (client, registry, hold) = unsafe {
        let i = inner(anj).expect("anj_core_init was called");
        (
            &mut *addr_of_mut!((*i).client),
            &*addr_of!((*i).registry),
            &mut *addr_of_mut!((*i).ext_hold),
        )
    };
    // SAFETY: `anj` was initialised; `registry` is its own and unchanged meanwhile.
    let mut host = unsafe { CHostImpl::new(anj, registry, Some(hold)) };
    f(client, &mut host)
}

/// Applies the pending request flags of `anj` to its client, as `anj_core_step` does
/// (used by tests that drive the client directly).
///
/// # Safety
/// `anj` was initialised and no reference into it is live.
#[cfg(test)]
pub(crate) unsafe fn apply_pending(anj: *mut anj_t) {
    // SAFETY: guaranteed by the caller.
    unsafe {
        if let Some(i) = inner(anj) {
            apply_requests(&mut *addr_of_mut!((*i).client), &*addr_of!((*i).requests));
        }
    }
}

fn apply_requests(client: &mut Client, reqs: &Requests) {
    reqs.apply(client);
}

/// Calls the status callback for each status change, with no reference into the client
/// alive (the callback may call back into the API).
///
/// # Safety
/// `inner` is the initialised state of `anj`, marked [`Run::Client`] by the caller.
unsafe fn report_status(anj: *mut anj_t, inner: *mut Inner) {
    // SAFETY: guaranteed by the caller.
    let run = unsafe { run_of(inner) };
    loop {
        // SAFETY: `run` is Client, so no call re-entering from a callback holds a
        // reference into the client; this one is dropped before the callback runs.
        let (next, cb, arg) = unsafe {
            let c = &mut *addr_of_mut!((*inner).client);
            (
                c.take_status_change(),
                addr_of!((*inner).status_cb).read(),
                addr_of!((*inner).status_cb_arg).read(),
            )
        };
        let Some(status) = next else { return };
        if let Some(cb) = cb {
            let _callback = Running::set(run, Run::Callback);
            // SAFETY: the application's callback with the argument it configured.
            unsafe { cb(arg, anj, status.into()) };
        }
    }
}

/// Time until `anj_core_step` must run again (zero while the link must be polled).
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_core_next_step_time(anj: *mut anj_t) -> anj_time_duration_t {
    let now = crate::driver::now();
    // SAFETY: guaranteed by the caller. Inside a handler: zero (call the step again).
    let at = unsafe {
        with_client_and_host(anj, "anj_core_next_step_time", |c, h| {
            c.next_step_at(now, h)
        })
    }
    .unwrap_or(now);
    anj_time_duration_t {
        us: at.saturating_sub(now).max(0),
    }
}

/// Disable (/1/x/4) was executed: de-register and stay offline for `timeout` seconds.
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_core_server_obj_disable_executed(anj: *mut anj_t, timeout: u32) {
    // SAFETY: guaranteed by the caller; only the request flags are touched.
    if let Some(r) = unsafe { requests(anj) } {
        r.disable(Some(i64::from(timeout) * SEC));
    }
}

/// Registration Update Trigger (/1/x/8) was executed.
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_core_server_obj_registration_update_trigger_executed(anj: *mut anj_t) {
    // SAFETY: guaranteed by the caller; only the request flags are touched.
    if let Some(r) = unsafe { requests(anj) } {
        r.request_update();
    }
}

/// Bootstrap-Request Trigger (/1/x/9) was executed: de-register, then bootstrap
/// (without ANJ_WITH_BOOTSTRAP the request is logged and ignored).
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_core_server_obj_bootstrap_request_trigger_executed(anj: *mut anj_t) {
    // SAFETY: guaranteed by the caller; only the request flags are touched.
    unsafe { anj_core_request_bootstrap(anj) }
}

/// The application changed the data model.
///
/// # Safety
/// `anj` was initialised; `path` is valid.
#[no_mangle]
pub unsafe extern "C" fn anj_core_data_model_changed(
    anj: *mut anj_t,
    path: *const anj_uri_path_t,
    change_type: anj_core_change_type_t,
) {
    // SAFETY: checked for NULL; valid per the caller's contract.
    let (Some(r), Some(path)) = (unsafe { requests(anj) }, unsafe { path.as_ref() }) else {
        return;
    };
    let Some(p) = to_path(path) else { return };
    r.data_model_changed(
        &p,
        match change_type {
            anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_VALUE_CHANGED => Change::ValueChanged,
            anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_ADDED => Change::Added,
            anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_DELETED => Change::Deleted,
        },
    );
}

/// Whether the data model is being accessed on the server's behalf right now. Inside a
/// handler or hook the client calls while it runs: always true (docs/reentry.md).
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_core_ongoing_operation(anj: *mut anj_t) -> bool {
    // SAFETY: guaranteed by the caller.
    let Some(i) = (unsafe { inner(anj) }) else {
        return false;
    };
    // SAFETY: `i` came from `inner`; valid during this call.
    match unsafe { run_of(i) }.get() {
        // A handler or hook called while the client runs: the client is using its data
        // model (and may not be looked at, a `&mut` to it is live).
        Run::Client => true,
        // SAFETY: Idle, or the status callback, which runs with no reference into the
        // client live: a short shared read.
        Run::Idle | Run::Callback => unsafe { (*addr_of!((*i).client)).ongoing_operation() },
    }
}

/// Disables the server for `timeout` (`ANJ_TIME_DURATION_INVALID`: until restarted),
/// de-registering first when registered.
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_core_disable_server(anj: *mut anj_t, timeout: anj_time_duration_t) {
    // SAFETY: guaranteed by the caller; only the request flags are touched.
    if let Some(r) = unsafe { requests(anj) } {
        r.disable(timeout.is_valid().then_some(timeout.us.max(0)));
    }
}

/// Starts a Bootstrap at the next step: de-registers when registered, then connects to
/// the Bootstrap-Server. Ignored while a Bootstrap runs (without ANJ_WITH_BOOTSTRAP the
/// request is logged and ignored).
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_core_request_bootstrap(anj: *mut anj_t) {
    // SAFETY: guaranteed by the caller; only the request flags are touched.
    let Some(r) = (unsafe { requests(anj) }) else {
        return;
    };
    #[cfg(feature = "bootstrap")]
    r.request_bootstrap();
    #[cfg(not(feature = "bootstrap"))]
    {
        let _ = r;
        crate::log_warning!("anj_core_request_bootstrap: built without ANJ_WITH_BOOTSTRAP");
    }
}

/// De-registers if registered, and starts over from the initial state.
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_core_restart(anj: *mut anj_t) {
    // SAFETY: guaranteed by the caller; only the request flags are touched.
    if let Some(r) = unsafe { requests(anj) } {
        r.restart();
    }
}

/// Sends a registration Update as soon as possible (no effect unless registered).
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_core_request_update(anj: *mut anj_t) {
    // SAFETY: guaranteed by the caller; only the request flags are touched.
    if let Some(r) = unsafe { requests(anj) } {
        r.request_update();
    }
}

/// Stops the client and releases its connection. Like Anjay Lite 3.0.0, this does not
/// de-register: call `anj_core_disable_server` and step until SUSPENDED first for that.
/// Returns 0, `ANJ_NET_EAGAIN`-style in-progress codes to be retried, or an error.
///
/// # Safety
/// `anj` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_core_shutdown(anj: *mut anj_t) -> c_int {
    // SAFETY: guaranteed by the caller.
    let Some((inner, _running)) = (unsafe { enter(anj, "anj_core_shutdown", false) }) else {
        return -1;
    };
    // Every Send request ends here, as in Anjay Lite (handlers run before the client is
    // touched; a repeated call finds the queue empty).
    #[cfg(feature = "lwm2m-send")]
    {
        // SAFETY: shared access to the queue (see `send_state`).
        let state = unsafe { &*addr_of!((*inner).send) };
        // SAFETY: `anj` is initialised (`enter` checked): the handlers may be given it.
        unsafe { state.finish_all(anj, crate::send::SendResult::Abort) };
    }
    // SAFETY: disjoint fields; `enter` found nothing running, and the finished handlers
    // above have returned, so no other reference into them is live.
    let (client, conn, net_cfg, registry, hold) = unsafe {
        (
            &mut *addr_of_mut!((*inner).client),
            &mut *addr_of_mut!((*inner).conn),
            &*addr_of!((*inner).net_cfg),
            &*addr_of!((*inner).registry),
            &mut *addr_of_mut!((*inner).ext_hold),
        )
    };
    // An external value held open for a block-wise Read is closed.
    hold.clear();
    // An unfinished Bootstrap session is rolled back.
    #[cfg(feature = "bootstrap")]
    {
        // SAFETY: `anj` was initialised (`enter` checked) and outlives this call;
        // `registry` is its registry, which nothing changes while the guard is set.
        let mut host = unsafe { CHostImpl::new(anj, registry, None) };
        client.bs_abort(&mut host);
    }
    #[cfg(not(feature = "bootstrap"))]
    let _ = registry;
    // SAFETY: `anj` is initialised (`enter` checked) and outlives the driver.
    let mut driver = unsafe { Driver::for_client(conn, net_cfg, anj) };
    let r = match client.shutdown(&mut driver) {
        crate::client::link::NetStatus::Done => 0,
        // The hooks asked to be called again.
        crate::client::link::NetStatus::InProgress => crate::ffi::net::ANJ_NET_EAGAIN,
        crate::client::link::NetStatus::Failed(e) => e,
    };
    if r == 0 {
        // The storage goes last, as in Anjay Lite.
        #[cfg(feature = "external-crypto-storage")]
        // SAFETY: the integrator's hook, with the context its init gave.
        unsafe {
            crate::ffi::crypto::anj_crypto_storage_deinit(net_cfg.secure_socket_config.crypto_ctx)
        };
        // SAFETY: `inner` is the initialised state (`enter` checked); a raw write of a
        // plain field. The client is unusable until the next anj_core_init.
        unsafe { addr_of_mut!((*inner).magic).write(0) };
    }
    r
}

/// The path C passed, if it is well formed (`uri_len` at most 4).
fn to_path(p: &anj_uri_path_t) -> Option<crate::io::value::Path> {
    let len = p.uri_len;
    (len <= 4).then(|| crate::io::value::Path::new(&p.ids[..len]))
}

#[cfg(test)]
mod tx_params_tests {
    use super::*;

    #[test]
    fn an_all_zero_tx_params_structure_selects_the_defaults() {
        let p = |us, factor, max| anj_exchange_udp_tx_params_t {
            ack_timeout: anj_time_duration_t { us },
            ack_random_factor: factor,
            max_retransmit: max,
        };
        assert!(!tx_params_given(&p(0, 0.0, 0)));
        assert!(!tx_params_given(&p(0, -0.0, 0)));
        for given in [
            p(1, 0.0, 0),
            p(0, 0.0, 1),
            p(0, 1.5, 0),
            p(0, -1.0, 0),
            p(0, f64::MIN_POSITIVE, 0),
            p(0, 5e-324, 0),
            p(0, f64::NAN, 0),
            p(0, f64::INFINITY, 0),
        ] {
            assert!(tx_params_given(&given), "{}", given.ack_random_factor);
        }
    }
}
