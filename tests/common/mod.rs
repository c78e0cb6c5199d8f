//! Helpers shared by the DTLS backend tests (`tests/dtls_*.rs`); each test crate uses
//! some of them.
#![allow(dead_code)]

use std::net::UdpSocket;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

use anj::ffi::crypto::{
    anj_crypto_data_source_t, anj_crypto_security_info_buffer_t, anj_crypto_security_info_t,
    anj_crypto_security_info_union_t, anj_crypto_security_tag_t,
};
use anj::ffi::net::{anj_dtls_get_state, anj_net_ctx_t, anj_net_socket_state_t, ANJ_NET_OK};

/// The backends' context pools are process-wide: one test at a time.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A credential held in `bytes`, in the role `tag`.
pub fn buffer(tag: anj_crypto_security_tag_t, bytes: &'static [u8]) -> anj_crypto_security_info_t {
    anj_crypto_security_info_t {
        tag,
        source: anj_crypto_data_source_t::ANJ_CRYPTO_DATA_SOURCE_BUFFER,
        info: anj_crypto_security_info_union_t {
            buffer: anj_crypto_security_info_buffer_t {
                data: bytes.as_ptr().cast(),
                data_size: bytes.len(),
            },
        },
    }
}

pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn state(ctx: *mut anj_net_ctx_t) -> anj_net_socket_state_t {
    let mut s = anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CLOSED;
    // SAFETY (test): a context the test created.
    assert_eq!(unsafe { anj_dtls_get_state(ctx, &mut s) }, ANJ_NET_OK);
    s
}

/// Runs the `openssl` command-line tool in `dir`; panics with its stderr if it fails.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command-line tool must be installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
