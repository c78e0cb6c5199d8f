//! `anj/coap_downloader.h`: the CoAP downloader's C ABI over [`crate::download`].
//!
//! `anj_coap_downloader_t` is allocated by the application (its size comes from
//! `anj/anj_config.h`, asserted in `crate::layout`). It holds the state machine, its own
//! message buffer of `ANJ_COAP_DOWNLOADER_MAX_MSG_SIZE` bytes and its own network
//! connection through the `anj_net_*` hooks, independent of any `anj_t`: LwM2M traffic
//! goes on while a download runs.
//!
//! Re-entrancy: the event callback gets the downloader back and may call any function
//! of this header on it (terminate, suspend, get_error, start after a failure...). The
//! step never holds a Rust reference into the downloader while the callback runs: it
//! takes the next event from the state machine, lets go of it, and only then calls out
//! with raw pointers (the data pointer points into the downloader's own buffer).
//! A nested `anj_coap_downloader_step` from the callback is refused.

use core::ffi::{c_char, c_int, c_void, CStr};
use core::ptr::{addr_of, addr_of_mut};

use crate::config::COAP_DOWNLOADER_MAX_MSG_SIZE;
use crate::download::{Downloader, Error, Settings, Status};
use crate::driver::Driver;
use crate::exchange::TxParams;
use crate::ffi::core::anj_exchange_udp_tx_params_t;
use crate::ffi::net::{anj_net_config_t, NetConn};
use crate::ffi::time::anj_time_duration_t;

/// The provided URI is invalid or unsupported.
pub const ANJ_COAP_DOWNLOADER_ERR_INVALID_URI: c_int = -1;
/// A download is already in progress or suspended.
pub const ANJ_COAP_DOWNLOADER_ERR_IN_PROGRESS: c_int = -2;
/// The URI is `coaps://` and no network configuration was given.
pub const ANJ_COAP_DOWNLOADER_ERR_INVALID_CONFIGURATION: c_int = -3;
/// The download was terminated by the application.
pub const ANJ_COAP_DOWNLOADER_ERR_TERMINATED: c_int = -4;
/// The connection failed (connect, send or receive error).
pub const ANJ_COAP_DOWNLOADER_ERR_NETWORK: c_int = -5;
/// The server's response was an error, a reset, or not the expected block.
pub const ANJ_COAP_DOWNLOADER_ERR_INVALID_RESPONSE: c_int = -6;
/// No response within the retransmission window.
pub const ANJ_COAP_DOWNLOADER_ERR_TIMEOUT: c_int = -7;
/// An internal error (e.g. the request does not fit the message buffer).
pub const ANJ_COAP_DOWNLOADER_ERR_INTERNAL: c_int = -8;
/// The resource's ETag changed during the download: it is no longer the same resource.
pub const ANJ_COAP_DOWNLOADER_ERR_ETAG_MISMATCH: c_int = -9;
/// Suspend or resume is not possible in the current state.
pub const ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE: c_int = -10;

/// States of a download, reported through the event callback.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_coap_downloader_status_t {
    /// After init; start a download with `anj_coap_downloader_start`.
    ANJ_COAP_DOWNLOADER_STATUS_INITIAL = 0,
    /// Connecting to the server.
    ANJ_COAP_DOWNLOADER_STATUS_STARTING = 1,
    /// Transferring; reported with the data of each received block.
    ANJ_COAP_DOWNLOADER_STATUS_DOWNLOADING = 2,
    /// Closing the connection at the end of the download (reported only then).
    ANJ_COAP_DOWNLOADER_STATUS_FINISHING = 3,
    /// The whole resource has been received.
    ANJ_COAP_DOWNLOADER_STATUS_FINISHED = 4,
    /// Reconnecting after a failure, to continue after the last received block.
    ANJ_COAP_DOWNLOADER_STATUS_RETRYING = 5,
    /// Waiting `retry_delay` before the next attempt.
    ANJ_COAP_DOWNLOADER_STATUS_WAITING_FOR_RETRY = 6,
    /// Reconnecting after `anj_coap_downloader_resume`.
    ANJ_COAP_DOWNLOADER_STATUS_RESUMING = 7,
    /// The download failed; `anj_coap_downloader_get_error` says why.
    ANJ_COAP_DOWNLOADER_STATUS_FAILED = 8,
    /// Suspended; `anj_coap_downloader_resume` continues it.
    ANJ_COAP_DOWNLOADER_STATUS_SUSPENDED = 9,
}

impl From<Status> for anj_coap_downloader_status_t {
    fn from(s: Status) -> Self {
        use anj_coap_downloader_status_t::*;
        match s {
            Status::Initial => ANJ_COAP_DOWNLOADER_STATUS_INITIAL,
            Status::Starting => ANJ_COAP_DOWNLOADER_STATUS_STARTING,
            Status::Downloading => ANJ_COAP_DOWNLOADER_STATUS_DOWNLOADING,
            Status::Finishing => ANJ_COAP_DOWNLOADER_STATUS_FINISHING,
            Status::Finished => ANJ_COAP_DOWNLOADER_STATUS_FINISHED,
            Status::Retrying => ANJ_COAP_DOWNLOADER_STATUS_RETRYING,
            Status::WaitingForRetry => ANJ_COAP_DOWNLOADER_STATUS_WAITING_FOR_RETRY,
            Status::Resuming => ANJ_COAP_DOWNLOADER_STATUS_RESUMING,
            Status::Failed => ANJ_COAP_DOWNLOADER_STATUS_FAILED,
            Status::Suspended => ANJ_COAP_DOWNLOADER_STATUS_SUSPENDED,
        }
    }
}

/// The event callback (`anj_coap_downloader_event_callback_t`): `data`/`data_len` are
/// set for `DOWNLOADING` (the block's payload, valid during the call), NULL/0 otherwise.
type EventCallback = unsafe extern "C" fn(
    arg: *mut c_void,
    coap_downloader: *mut anj_coap_downloader_t,
    conn_status: anj_coap_downloader_status_t,
    data: *const u8,
    data_len: usize,
);

/// Configuration given to `anj_coap_downloader_init` (copied; may be freed after).
#[repr(C)]
pub struct anj_coap_downloader_configuration_t {
    /// Mandatory: called on every status change and with every received block.
    pub event_cb: Option<
        unsafe extern "C" fn(
            arg: *mut c_void,
            coap_downloader: *mut anj_coap_downloader_t,
            conn_status: anj_coap_downloader_status_t,
            data: *const u8,
            data_len: usize,
        ),
    >,
    /// Passed to `event_cb` as `arg`.
    pub event_cb_arg: *mut c_void,
    /// CoAP retransmission parameters; NULL (or all zero) selects RFC 7252's defaults.
    pub udp_tx_params: *const anj_exchange_udp_tx_params_t,
    /// Delay before another attempt after a failure (when `retry_count` allows one).
    pub retry_delay: anj_time_duration_t,
    /// Attempts made before the download is considered failed; every received block
    /// resets the count. 0 and 1 both mean a single attempt.
    pub retry_count: u8,
}

/// A CoAP downloader. Allocate it anywhere; `anj_coap_downloader_init` initialises it.
pub struct anj_coap_downloader_t {
    magic: u32,
    in_step: bool,
    core: Downloader,
    conn: NetConn,
    net_cfg: anj_net_config_t,
    /// The URI of the current download (not copied: the application keeps it alive).
    uri: *const c_char,
    uri_len: usize,
    event_cb: Option<EventCallback>,
    event_cb_arg: *mut c_void,
    buf: [u8; COAP_DOWNLOADER_MAX_MSG_SIZE],
}

/// Marks a downloader that `anj_coap_downloader_init` initialised.
const MAGIC: u32 = 0x616e_6a44;

/// The initialised downloader behind `d`, or `None` (with a log line).
///
/// # Safety
/// `d` is NULL or points to storage of `sizeof(anj_coap_downloader_t)` bytes.
unsafe fn checked(d: *mut anj_coap_downloader_t) -> Option<*mut anj_coap_downloader_t> {
    if d.is_null() {
        crate::anj_log!(coap_downloader, L_ERROR, "NULL downloader");
        return None;
    }
    // SAFETY: `d` points to downloader storage; reading the magic through a raw
    // projection creates no reference to the (maybe uninitialised) rest.
    let magic = unsafe { addr_of!((*d).magic).read() };
    if magic != MAGIC {
        crate::anj_log!(
            coap_downloader,
            L_ERROR,
            "the downloader is not initialized (anj_coap_downloader_init)"
        );
        return None;
    }
    Some(d)
}

/// Runs `f` on the state machine of an initialised downloader.
///
/// # Safety
/// As for [`checked`]; no other reference into `*d` may be alive (true for every
/// entry point: the step holds none while the callback runs).
unsafe fn with_core<R>(
    d: *mut anj_coap_downloader_t,
    f: impl FnOnce(&mut Downloader) -> R,
) -> Option<R> {
    // SAFETY: guaranteed by the caller; the reference lives only during `f`.
    unsafe { checked(d).map(|d| f(&mut *addr_of_mut!((*d).core))) }
}

/// The URI of the current download as bytes (empty before the first start).
///
/// # Safety
/// `d` is initialised; the stored URI is still valid (the start contract).
unsafe fn uri_of<'a>(d: *const anj_coap_downloader_t) -> &'a [u8] {
    // SAFETY: plain field reads of an initialised downloader.
    let (p, len) = unsafe { (addr_of!((*d).uri).read(), addr_of!((*d).uri_len).read()) };
    if p.is_null() {
        return &[];
    }
    // SAFETY: `p` is the NUL-terminated string given to anj_coap_downloader_start, of
    // `len` bytes before the NUL, which the application keeps valid for the download.
    unsafe { core::slice::from_raw_parts(p.cast::<u8>(), len) }
}

/// Initialises the downloader. Returns 0, or `ANJ_COAP_DOWNLOADER_ERR_INVALID_CONFIGURATION`
/// (with a log line) for a NULL argument, a missing `event_cb` or invalid `udp_tx_params`.
///
/// # Safety
/// `coap_downloader` points to writable storage of `sizeof(anj_coap_downloader_t)`
/// bytes; `config` is NULL or valid, and so is its `udp_tx_params`.
#[no_mangle]
pub unsafe extern "C" fn anj_coap_downloader_init(
    coap_downloader: *mut anj_coap_downloader_t,
    config: *const anj_coap_downloader_configuration_t,
) -> c_int {
    crate::ffi::log::install_core_sink();
    // SAFETY: checked for NULL; valid per the caller's contract.
    let Some(cfg) = (unsafe { config.as_ref() }) else {
        crate::anj_log!(coap_downloader, L_ERROR, "NULL configuration");
        return ANJ_COAP_DOWNLOADER_ERR_INVALID_CONFIGURATION;
    };
    if coap_downloader.is_null() || cfg.event_cb.is_none() {
        crate::anj_log!(coap_downloader, L_ERROR, "NULL downloader or event_cb");
        return ANJ_COAP_DOWNLOADER_ERR_INVALID_CONFIGURATION;
    }
    // SAFETY: NULL or valid per the configuration contract.
    let tx = match unsafe { cfg.udp_tx_params.as_ref() } {
        // All zero selects the defaults, like NULL (as in anj_core_init).
        Some(p) if p.ack_timeout.us != 0 || p.ack_random_factor != 0.0 || p.max_retransmit != 0 => {
            TxParams::new(p.ack_timeout.us, p.ack_random_factor, p.max_retransmit)
        }
        _ => Some(TxParams::DEFAULT),
    };
    let Some(tx) = tx else {
        crate::anj_log!(
            coap_downloader,
            L_ERROR,
            "invalid udp_tx_params (ack_timeout > 0, ack_random_factor >= 1)"
        );
        return ANJ_COAP_DOWNLOADER_ERR_INVALID_CONFIGURATION;
    };
    let retry_delay = if cfg.retry_delay.is_valid() {
        cfg.retry_delay.us.max(0)
    } else {
        0
    };
    let settings = Settings {
        tx,
        retry_count: cfg.retry_count,
        retry_delay,
    };
    let d = coap_downloader;
    // SAFETY: `d` is writable storage for a downloader; every field is written without
    // reading the previous (uninitialised) contents, the buffer in place.
    unsafe {
        addr_of_mut!((*d).in_step).write(false);
        addr_of_mut!((*d).core).write(Downloader::new(settings));
        addr_of_mut!((*d).conn).write(NetConn::new());
        addr_of_mut!((*d).net_cfg).write(anj_net_config_t::default());
        addr_of_mut!((*d).uri).write(core::ptr::null());
        addr_of_mut!((*d).uri_len).write(0);
        addr_of_mut!((*d).event_cb).write(cfg.event_cb);
        addr_of_mut!((*d).event_cb_arg).write(cfg.event_cb_arg);
        addr_of_mut!((*d).buf)
            .cast::<u8>()
            .write_bytes(0, COAP_DOWNLOADER_MAX_MSG_SIZE);
        addr_of_mut!((*d).magic).write(MAGIC);
    }
    crate::anj_log!(coap_downloader, L_INFO, "CoAP downloader initialized");
    0
}

/// Does what is due: connects, sends, receives, retries; reports events.
///
/// # Safety
/// `coap_downloader` was initialised; the URI of the current download is still valid.
#[no_mangle]
pub unsafe extern "C" fn anj_coap_downloader_step(coap_downloader: *mut anj_coap_downloader_t) {
    // SAFETY: guaranteed by the caller.
    let Some(d) = (unsafe { checked(coap_downloader) }) else {
        return;
    };
    // SAFETY: plain field access of an initialised downloader, no reference kept.
    unsafe {
        if addr_of!((*d).in_step).read() {
            crate::anj_log!(
                coap_downloader,
                L_ERROR,
                "anj_coap_downloader_step called from its own callback"
            );
            return;
        }
        addr_of_mut!((*d).in_step).write(true);
        (*addr_of_mut!((*d).core)).begin_step(crate::driver::now());
    }
    loop {
        // SAFETY: disjoint fields of the initialised downloader, borrowed only for
        // this poll; the URI is valid per the start contract.
        let ev = unsafe {
            let uri = uri_of(d);
            let core = &mut *addr_of_mut!((*d).core);
            let conn = &mut *addr_of_mut!((*d).conn);
            let cfg = &*addr_of!((*d).net_cfg);
            let buf = &mut *addr_of_mut!((*d).buf);
            let mut link = Driver::with_app_credentials(conn, cfg);
            core.poll(&mut link, uri, buf)
        };
        let Some(ev) = ev else { break };
        // SAFETY: field reads; the callback and its argument were set by init.
        let (cb, arg) = unsafe {
            (
                addr_of!((*d).event_cb).read(),
                addr_of!((*d).event_cb_arg).read(),
            )
        };
        let (data, len) = match ev.data {
            // SAFETY: `at + len` lies within the buffer (the state machine returns a
            // range of the datagram it received into it).
            Some((at, len)) => (unsafe { addr_of!((*d).buf).cast::<u8>().add(at) }, len),
            None => (core::ptr::null(), 0),
        };
        if let Some(cb) = cb {
            // SAFETY: the application's callback, with its argument; no Rust reference
            // into `*d` is alive, so it may call this API re-entrantly.
            unsafe { cb(arg, d, ev.status.into(), data, len) };
        }
    }
    // SAFETY: `d` is the initialised downloader this step runs for (the caller's
    // contract); a raw write of a plain field, with no reference into `*d` alive.
    unsafe { addr_of_mut!((*d).in_step).write(false) };
}

/// Starts downloading `uri` (a NUL-terminated `coap://` or `coaps://` URI, which must
/// stay valid until the download ends). `net_config` (copied) may be NULL for `coap://`.
///
/// # Safety
/// `coap_downloader` was initialised; `uri` is NULL or a NUL-terminated string;
/// `net_config` is NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn anj_coap_downloader_start(
    coap_downloader: *mut anj_coap_downloader_t,
    uri: *const c_char,
    net_config: *const anj_net_config_t,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let Some(d) = (unsafe { checked(coap_downloader) }) else {
        return ANJ_COAP_DOWNLOADER_ERR_INVALID_CONFIGURATION;
    };
    if uri.is_null() {
        crate::anj_log!(coap_downloader, L_ERROR, "NULL URI");
        return ANJ_COAP_DOWNLOADER_ERR_INVALID_URI;
    }
    // SAFETY: a NUL-terminated string per the contract.
    let bytes = unsafe { CStr::from_ptr(uri) }.to_bytes();
    // SAFETY: an application call; no other reference into `*d` is alive.
    let r = unsafe {
        (*addr_of_mut!((*d).core)).start(bytes, !net_config.is_null(), COAP_DOWNLOADER_MAX_MSG_SIZE)
    };
    match r {
        Ok(()) => {
            // SAFETY: field writes; `net_config` is NULL or valid per the contract.
            unsafe {
                addr_of_mut!((*d).uri).write(uri);
                addr_of_mut!((*d).uri_len).write(bytes.len());
                let cfg = net_config.as_ref().copied().unwrap_or_default();
                addr_of_mut!((*d).net_cfg).write(cfg);
            }
            0
        }
        Err(e) => e.code(),
    }
}

/// Terminates the current download (no effect when none is under way or suspended).
///
/// # Safety
/// `coap_downloader` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_coap_downloader_terminate(
    coap_downloader: *mut anj_coap_downloader_t,
) {
    // SAFETY: guaranteed by the caller.
    unsafe { with_core(coap_downloader, Downloader::terminate) };
}

/// The reason of the last failure (one of `ANJ_COAP_DOWNLOADER_ERR_*`), 0 if none.
///
/// # Safety
/// `coap_downloader` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_coap_downloader_get_error(
    coap_downloader: *mut anj_coap_downloader_t,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    unsafe { with_core(coap_downloader, |c| c.error_code()) }
        .unwrap_or(ANJ_COAP_DOWNLOADER_ERR_INTERNAL)
}

/// Suspends the download, keeping its progress. Returns 0 or
/// `ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE`.
///
/// # Safety
/// `coap_downloader` was initialised.
#[no_mangle]
pub unsafe extern "C" fn anj_coap_downloader_suspend(
    coap_downloader: *mut anj_coap_downloader_t,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    match unsafe { with_core(coap_downloader, Downloader::suspend) } {
        Some(Ok(())) => 0,
        Some(Err(e)) => e.code(),
        None => ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE,
    }
}

/// Resumes a suspended download with the next block. Returns 0 or
/// `ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE`.
///
/// # Safety
/// `coap_downloader` was initialised; the URI given to start is still valid.
#[no_mangle]
pub unsafe extern "C" fn anj_coap_downloader_resume(
    coap_downloader: *mut anj_coap_downloader_t,
) -> c_int {
    // SAFETY: guaranteed by the caller.
    let Some(d) = (unsafe { checked(coap_downloader) }) else {
        return ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE;
    };
    // SAFETY: an application call; the URI is valid per the start contract.
    let r = unsafe {
        let uri = uri_of(d);
        (*addr_of_mut!((*d).core)).resume(uri)
    };
    match r {
        Ok(()) => 0,
        Err(e) => e.code(),
    }
}

/// The C constants are the state machine's codes.
const _: () = {
    assert!(ANJ_COAP_DOWNLOADER_ERR_INVALID_URI == Error::InvalidUri.code());
    assert!(ANJ_COAP_DOWNLOADER_ERR_IN_PROGRESS == Error::InProgress.code());
    assert!(ANJ_COAP_DOWNLOADER_ERR_INVALID_CONFIGURATION == Error::InvalidConfiguration.code());
    assert!(ANJ_COAP_DOWNLOADER_ERR_TERMINATED == Error::Terminated.code());
    assert!(ANJ_COAP_DOWNLOADER_ERR_NETWORK == Error::Network.code());
    assert!(ANJ_COAP_DOWNLOADER_ERR_INVALID_RESPONSE == Error::InvalidResponse.code());
    assert!(ANJ_COAP_DOWNLOADER_ERR_TIMEOUT == Error::Timeout.code());
    assert!(ANJ_COAP_DOWNLOADER_ERR_INTERNAL == Error::Internal.code());
    assert!(ANJ_COAP_DOWNLOADER_ERR_ETAG_MISMATCH == Error::EtagMismatch.code());
    assert!(ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE == Error::InvalidState.code());
};
