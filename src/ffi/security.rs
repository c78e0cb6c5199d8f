//! `anj/security.h`: the credentials the library hands to the secure transport.
//!
//! They come from the handlers the application registered with
//! `anj_security_register_credential_handlers` or, when there are none, from the
//! installed Security object (/0/x/2 Security Mode, /0/x/3 identity, /0/x/5 secret key),
//! whichever implementation of /0 that is.

use core::ffi::c_int;

use crate::ffi::core::anj_t;
use crate::ffi::crypto::{
    anj_crypto_data_source_t, anj_crypto_security_info_buffer_t, anj_crypto_security_info_t,
    anj_crypto_security_info_union_t, anj_crypto_security_tag_t,
};
use crate::ffi::net::anj_net_psk_info_t;

/// Where credentials come from instead of the Security object. Every member may be
/// NULL. The table itself is not copied: it must stay valid while the client uses it.
#[repr(C)]
pub struct anj_security_credential_handlers_t {
    /// Fills the PSK identity and key for the (Bootstrap-)Server connection; 0 on success.
    pub get_psk_info: Option<
        unsafe extern "C" fn(
            anj: *const anj_t,
            bootstrap_credentials: bool,
            out_psk_info: *mut anj_net_psk_info_t,
        ) -> c_int,
    >,
    /// Certificate credentials (not used by anj-rs yet).
    #[cfg(feature = "certificates")]
    pub get_cert_info: Option<
        unsafe extern "C" fn(
            anj: *const anj_t,
            bootstrap_credentials: bool,
            out_cert_info: *mut crate::ffi::net::anj_net_certificate_info_t,
        ) -> c_int,
    >,
    /// Moves keys and certificates into external storage (not used by anj-rs yet).
    #[cfg(feature = "external-crypto-storage")]
    pub offload_keys_and_certs: Option<unsafe extern "C" fn(anj: *mut anj_t) -> c_int>,
}

/// Makes `handlers` the source of credentials of `anj` (NULL goes back to the
/// Security object).
///
/// # Safety
/// `anj` was initialised by `anj_core_init`; `handlers` is NULL or stays valid while
/// `anj` is used.
#[no_mangle]
pub unsafe extern "C" fn anj_security_register_credential_handlers(
    anj: *mut anj_t,
    handlers: *const anj_security_credential_handlers_t,
) {
    // SAFETY: guaranteed by the caller.
    if let Some(slot) = unsafe { crate::ffi::core::cred_handlers_slot(anj) } {
        // SAFETY: `slot` points into the initialised client.
        unsafe { slot.write(handlers) };
    }
}

/// The registered PSK handler of `anj`, if any.
fn psk_handler(
    anj: *mut anj_t,
) -> Option<unsafe extern "C" fn(*const anj_t, bool, *mut anj_net_psk_info_t) -> c_int> {
    // SAFETY: `anj` is an initialised client (checked by `cred_handlers_slot`); the
    // table, when set, is valid per the registration contract.
    unsafe {
        let slot = crate::ffi::core::cred_handlers_slot(anj)?;
        (*slot).as_ref()?.get_psk_info
    }
}

/// The bytes of a credential given as a buffer.
///
/// # Safety
/// A BUFFER source's `data` holds `data_size` bytes valid for `'a`.
unsafe fn bytes_of<'a>(info: &anj_crypto_security_info_t) -> Option<&'a [u8]> {
    if info.source != anj_crypto_data_source_t::ANJ_CRYPTO_DATA_SOURCE_BUFFER {
        return None;
    }
    // SAFETY: `buffer` is the member a BUFFER source selects.
    let b = unsafe { info.info.buffer };
    if b.data.is_null() || b.data_size == 0 {
        return None;
    }
    // SAFETY: per this function's contract.
    Some(unsafe { core::slice::from_raw_parts(b.data.cast::<u8>(), b.data_size) })
}

/// The PSK for a connection to Security instance `security_iid`: from the registered
/// handler when there is one (given as buffers), else from the Security object.
pub(crate) fn connection_psk<'a>(
    anj: *mut anj_t,
    registry: &crate::dm::Registry,
    security_iid: u16,
    bootstrap: bool,
) -> Option<crate::client::link::Psk<'a>> {
    let Some(handler) = psk_handler(anj) else {
        return crate::client::register::security_psk(anj, registry, security_iid);
    };
    // SAFETY: all-zero is a valid anj_net_psk_info_t (EMPTY sources, NULL SNI).
    let mut info: anj_net_psk_info_t = unsafe { core::mem::zeroed() };
    // SAFETY: the application's handler, called with a valid client and out slot.
    if unsafe { handler(anj, bootstrap, &mut info) } != 0 {
        crate::log_error!("security: the PSK credential handler failed");
        return None;
    }
    // SAFETY: the handler's buffers stay valid at least until the connection is made
    // (the transport copies them when it creates its context).
    let (identity, key) = unsafe { (bytes_of(&info.identity)?, bytes_of(&info.key)?) };
    Some(crate::client::link::Psk { identity, key })
}

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

/// Fills `out_psk_info` with PSK credentials: what the registered handler gives, or else
/// the identity and key of the first Security instance in PSK mode that is
/// (`bootstrap_credentials`) or is not a Bootstrap-Server account (buffers pointing into
/// the Security object: valid until it changes; `sni` NULL, so the transport uses the
/// server's host name). 0 on success, -1 when there are none.
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
    if let Some(handler) = psk_handler(anj) {
        // SAFETY: the application's handler, with the caller's valid arguments.
        return unsafe { handler(anj, bootstrap_credentials, out_psk_info) };
    }
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
