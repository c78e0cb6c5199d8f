//! `anj/security.h`: the credentials the library hands to the secure transport.
//!
//! anj-rs reads them from the installed Security object (/0/x/2 Security Mode, /0/x/3
//! identity, /0/x/5 secret key), whichever implementation of /0 is installed.

use core::ffi::c_int;

use crate::ffi::core::anj_t;
use crate::ffi::crypto::{
    anj_crypto_data_source_t, anj_crypto_security_info_buffer_t, anj_crypto_security_info_t,
    anj_crypto_security_info_union_t, anj_crypto_security_tag_t,
};
use crate::ffi::net::anj_net_psk_info_t;

fn buffer(tag: anj_crypto_security_tag_t, b: &[u8]) -> anj_crypto_security_info_t {
    anj_crypto_security_info_t {
        tag,
        source: anj_crypto_data_source_t::ANJ_CRYPTO_DATA_SOURCE_BUFFER,
        info: anj_crypto_security_info_union_t {
            buffer: anj_crypto_security_info_buffer_t {
                data: b.as_ptr().cast(),
                data_size: b.len(),
            },
        },
    }
}

/// Fills `out_psk_info` with the PSK identity and key of the first Security instance in
/// PSK mode that is (`bootstrap_credentials`) or is not a Bootstrap-Server account. The
/// buffers point into the Security object: valid until it changes. `sni` is NULL (the
/// transport then uses the server's host name). 0 on success, -1 when there are none.
///
/// # Safety
/// `anj` was initialised by `anj_core_init`; `out_psk_info` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn anj_security_get_psk_info(
    anj: *const anj_t,
    bootstrap_credentials: bool,
    out_psk_info: *mut anj_net_psk_info_t,
) -> c_int {
    if out_psk_info.is_null() {
        return -1;
    }
    let anj = anj.cast_mut();
    // SAFETY: the caller passes an initialised client; the data model is only read.
    let Some(registry) = (unsafe { crate::ffi::core::registry_of(anj) }) else {
        return -1;
    };
    let Some(psk) = crate::client::register::find_psk(anj, registry, bootstrap_credentials) else {
        crate::log_error!("security: no PSK credentials in the Security object");
        return -1;
    };
    // SAFETY: checked non-NULL above; writable per the contract.
    unsafe {
        out_psk_info.write(anj_net_psk_info_t {
            key: buffer(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_KEY,
                psk.key,
            ),
            identity: buffer(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_IDENTITY,
                psk.identity,
            ),
            sni: core::ptr::null(),
        })
    };
    0
}
