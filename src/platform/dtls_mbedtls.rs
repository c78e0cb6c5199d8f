//! The default DTLS backend (`ANJ_NET_WITH_DTLS` + `ANJ_WITH_MBEDTLS`, with MbedTLS 3.x
//! headers found by build.rs): the `anj_dtls_*` hooks themselves are C
//! (`src/c/dtls_mbedtls.c`), compiled against the integrator's MbedTLS or, with the
//! `vendored-mbedtls` feature, against the MbedTLS 3.6 that `mbedtls-rs-sys` builds.
//! This module links that MbedTLS in and gives the C code its log sink.

use core::ffi::{c_char, c_int, CStr};

use crate::ffi::net::anj_net_ctx_t;

// The vendored MbedTLS is linked only if something names its crate.
#[cfg(feature = "vendored-mbedtls")]
use mbedtls_rs_sys as _;
// (The vendored tinydtls of the raw-public-key backend is linked by build.rs: its
// crate links std.)

/// Log sink of the C backend: `level` 0 error, 1 info, 2 debug; `code` is an MbedTLS
/// (or `anj_net`) result code, printed when non-zero.
///
/// # Safety
/// `msg` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn anj_rs_dtls_log(level: c_int, msg: *const c_char, code: c_int) {
    let text = if msg.is_null() {
        ""
    } else {
        // SAFETY: non-NULL and NUL-terminated by the caller's contract.
        unsafe { CStr::from_ptr(msg) }
            .to_str()
            .unwrap_or("(non-UTF-8 message)")
    };
    let sign = if code < 0 { "-" } else { "" };
    let abs = code.unsigned_abs();
    match (level, code) {
        (0, 0) => crate::log_error!("dtls: {}", text),
        (0, _) => crate::log_error!("dtls: {} ({}0x{:04x})", text, sign, abs),
        (1, 0) => crate::log_info!("dtls: {}", text),
        (1, _) => crate::log_info!("dtls: {} ({}0x{:04x})", text, sign, abs),
        (_, 0) => crate::log_debug!("dtls: {}", text),
        _ => crate::log_debug!("dtls: {} ({}0x{:04x})", text, sign, abs),
    }
}

extern "C" {
    fn anj_rs_dtls_stats(
        ctx: *mut anj_net_ctx_t,
        handshakes: *mut u32,
        bytes_out: *mut u64,
        bytes_in: *mut u64,
    ) -> c_int;
    fn anj_rs_dtls_set_handshake_timeouts(initial_ms: u32, max_ms: u32) -> c_int;
    fn anj_rs_dtls_set_connection_id(enabled: c_int) -> c_int;
    fn anj_rs_dtls_session_stats(
        ctx: *mut anj_net_ctx_t,
        resumed: *mut u32,
        cid_reconnects: *mut u32,
        cid_in_use: *mut c_int,
    ) -> c_int;
}

/// Whether handshakes from now on ask the server for a DTLS Connection ID (RFC 9146;
/// on by default). Returns whether the MbedTLS build supports Connection IDs at all
/// (`MBEDTLS_SSL_DTLS_CONNECTION_ID`).
pub fn set_connection_id(enabled: bool) -> bool {
    // SAFETY: a plain integer; the C side only stores it.
    unsafe { anj_rs_dtls_set_connection_id(c_int::from(enabled)) != 0 }
}

/// Sets the handshake retransmission timeouts of DTLS contexts created from now on:
/// the first wait, doubled after each retransmission, and the ceiling past which the
/// handshake fails. Defaults: `ANJ_MBEDTLS_HS_INITIAL_TIMEOUT_VALUE_MS` and
/// `ANJ_MBEDTLS_HS_MAXIMUM_TIMEOUT_VALUE_MS`. `false` when `initial_ms` is 0 or above
/// `max_ms`.
pub fn set_handshake_timeouts(initial_ms: u32, max_ms: u32) -> bool {
    // SAFETY: plain integers; the C side only stores them.
    unsafe { anj_rs_dtls_set_handshake_timeouts(initial_ms, max_ms) == 0 }
}

/// What a DTLS context has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DtlsStats {
    /// Handshakes completed.
    pub handshakes: u32,
    /// Datagram bytes sent (records, headers included).
    pub bytes_out: u64,
    /// Datagram bytes received (records, headers included).
    pub bytes_in: u64,
    /// Abbreviated handshakes (the saved session resumed) among `handshakes`.
    pub resumed: u32,
    /// Connects that went on with the session over its Connection ID, no handshake.
    pub cid_reconnects: u32,
    /// The current session uses a Connection ID (the server agreed to one).
    pub cid_in_use: bool,
}

/// The counters of a context made by `anj_dtls_create_ctx`; `None` for any other
/// pointer.
///
/// # Safety
/// `ctx` is NULL or a context `anj_dtls_create_ctx` returned that was not cleaned up yet
/// (the backends look through it to find their own).
pub unsafe fn stats(ctx: *mut anj_net_ctx_t) -> Option<DtlsStats> {
    let mut s = DtlsStats::default();
    // SAFETY: `ctx` per this function's contract; the counters are written through
    // valid references.
    let r = unsafe { anj_rs_dtls_stats(ctx, &mut s.handshakes, &mut s.bytes_out, &mut s.bytes_in) };
    if r != 0 {
        return None;
    }
    let mut cid: c_int = 0;
    // SAFETY: `ctx` per this function's contract; the counters are written through
    // valid references.
    let r =
        unsafe { anj_rs_dtls_session_stats(ctx, &mut s.resumed, &mut s.cid_reconnects, &mut cid) };
    s.cid_in_use = cid != 0;
    (r == 0).then_some(s)
}
