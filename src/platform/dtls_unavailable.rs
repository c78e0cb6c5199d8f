//! The `anj_dtls_*` hooks of a build with `ANJ_WITH_MBEDTLS` on but no MbedTLS 3.x
//! headers to build the real backend against (neither `ANJ_MBEDTLS_INCLUDE_DIRS` nor
//! the `vendored-mbedtls` feature; see build.rs and `src/platform/dtls_mbedtls.rs`): every
//! connection attempt fails with `ANJ_NET_ENOTSUP` and a log line, so `coaps://`
//! servers are refused cleanly and never reached in plaintext. (Builds with
//! `ANJ_WITH_MBEDTLS` off expect the integrator's own `anj_dtls_*`, as in Anjay Lite.)

use core::ffi::{c_char, c_int};

use crate::ffi::net::{anj_net_config_t, anj_net_ctx_t, anj_net_socket_state_t, ANJ_NET_ENOTSUP};

#[no_mangle]
pub extern "C" fn anj_dtls_create_ctx(
    _ctx: *mut *mut anj_net_ctx_t,
    _config: *const anj_net_config_t,
) -> c_int {
    crate::log_error!("coaps:// needs DTLS, but this build of anj-rs has no MbedTLS to provide it");
    ANJ_NET_ENOTSUP
}
#[no_mangle]
pub extern "C" fn anj_dtls_cleanup_ctx(_ctx: *mut *mut anj_net_ctx_t) -> c_int {
    ANJ_NET_ENOTSUP
}
#[no_mangle]
pub extern "C" fn anj_dtls_connect(
    _ctx: *mut anj_net_ctx_t,
    _host: *const c_char,
    _port: *const c_char,
) -> c_int {
    ANJ_NET_ENOTSUP
}
#[no_mangle]
pub extern "C" fn anj_dtls_send(
    _ctx: *mut anj_net_ctx_t,
    _sent: *mut usize,
    _buf: *const u8,
    _len: usize,
) -> c_int {
    ANJ_NET_ENOTSUP
}
#[no_mangle]
pub extern "C" fn anj_dtls_recv(
    _ctx: *mut anj_net_ctx_t,
    _got: *mut usize,
    _buf: *mut u8,
    _len: usize,
) -> c_int {
    ANJ_NET_ENOTSUP
}
#[no_mangle]
pub extern "C" fn anj_dtls_close(_ctx: *mut anj_net_ctx_t) -> c_int {
    ANJ_NET_ENOTSUP
}
#[no_mangle]
pub extern "C" fn anj_dtls_get_state(
    _ctx: *mut anj_net_ctx_t,
    _state: *mut anj_net_socket_state_t,
) -> c_int {
    ANJ_NET_ENOTSUP
}
#[no_mangle]
pub extern "C" fn anj_dtls_get_inner_mtu(_ctx: *mut anj_net_ctx_t, _mtu: *mut i32) -> c_int {
    ANJ_NET_ENOTSUP
}
#[no_mangle]
pub extern "C" fn anj_dtls_queue_mode_rx_off(_ctx: *mut anj_net_ctx_t) -> c_int {
    ANJ_NET_ENOTSUP
}

/// The anj-rs extension of the MbedTLS backend (`src/c/dtls_mbedtls.c`), so that
/// applications calling it link in every `ANJ_WITH_MBEDTLS` build; here it does
/// nothing and says so.
#[no_mangle]
pub extern "C" fn anj_rs_dtls_set_handshake_timeouts(_initial_ms: u32, _max_ms: u32) -> c_int {
    -1
}
