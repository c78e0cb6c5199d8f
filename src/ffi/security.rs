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
///
/// # Safety
/// `anj` is NULL or points to an `anj_t` (the magic is checked).
unsafe fn psk_handler(
    anj: *mut anj_t,
) -> Option<unsafe extern "C" fn(*const anj_t, bool, *mut anj_net_psk_info_t) -> c_int> {
    // SAFETY: `anj` per this function's contract, initialised (checked by
    // `cred_handlers_slot`); the table, when set, is valid per the registration contract.
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

/// The C side's part of the choice of credentials: whether the PSK of Security instance
/// `iid` comes from elsewhere than the object's in-memory identity and key (a registered
/// `get_psk_info` handler, or the built-in Security object keeps them in the external
/// crypto storage). `anj_core::link::account_credentials` then asks for them as
/// `Credentials::Stored`, which [`with_stored_credentials`] resolves.
///
/// # Safety
/// `anj` is NULL or points to an `anj_t`.
pub(crate) unsafe fn owner_resolves_psk(
    anj: *mut anj_t,
    registry: &crate::dm::Registry,
    iid: u16,
) -> bool {
    // SAFETY: guaranteed by the caller.
    if unsafe { psk_handler(anj) }.is_some() {
        return true;
    }
    #[cfg(feature = "external-crypto-storage")]
    if let Some(obj) = registry.find(0) {
        use crate::dm::builtin::security_rid;
        let external =
            |rid| crate::ffi::objects::builtin_security_external(obj.ptr(), iid, rid).is_some();
        return external(security_rid::PUBLIC_KEY_OR_IDENTITY)
            || external(security_rid::SECRET_KEY);
    }
    let _ = (registry, iid);
    false
}

/// `Credentials::Stored` resolved by the C side: what the transport is given.
pub(crate) enum Resolved<'a> {
    /// A PSK in memory (a handler's buffers, or the Security object's bytes): put into
    /// the connection's configuration in place of its PSK identity and key.
    Psk { identity: &'a [u8], key: &'a [u8] },
    /// Credentials in their C form (RPK, X.509 with the trust store, PSK references of
    /// the external crypto storage): they replace the configuration's security info.
    #[cfg(any(feature = "certificates", feature = "external-crypto-storage"))]
    Security(crate::ffi::net::anj_net_security_info_t),
}

/// Resolves `Credentials::Stored { mode, security_iid, bootstrap }` for a connection
/// of `anj` and calls `f` with them (they point into the Security object or the
/// handler's buffers: valid during the call; the transport copies what it keeps):
/// - RPK mode: /0/x/3, /0/x/4, /0/x/5 of the instance (with `ANJ_WITH_RPK` only;
///   refused without, as the MbedTLS backend cannot negotiate raw public keys);
/// - Certificate mode (with certificates): the `get_cert_info` handler's or the
///   instance's certificates, with the configured trust store;
/// - otherwise a PSK: the external crypto storage's references when the built-in object
///   keeps the instance's PSK there (PSK mode), else the `get_psk_info` handler's, else
///   the instance's own (PSK mode, non-empty).
///
/// Without credentials it logs why and fails (`f` is not called).
///
/// # Safety
/// `anj` is NULL or points to an initialised `anj_t` (handlers are given it).
pub(crate) unsafe fn with_stored_credentials(
    anj: *mut anj_t,
    mode: anj_core::link::SecurityMode,
    security_iid: u16,
    bootstrap: bool,
    f: impl FnOnce(Resolved<'_>) -> crate::client::link::NetStatus,
) -> crate::client::link::NetStatus {
    use crate::client::link::NetStatus;
    let connect = |registry: &crate::dm::Registry| {
        // SAFETY: `anj` per this function's contract.
        match unsafe { resolve(anj, registry, mode, security_iid, bootstrap) } {
            Some(resolved) => f(resolved),
            None => NetStatus::Failed(-1),
        }
    };
    // SAFETY: guaranteed by the caller; the shared object table is read (allowed inside
    // a step: the objects cannot change meanwhile).
    let r = unsafe { crate::ffi::core::with_registry(anj, connect) };
    r.unwrap_or(NetStatus::Failed(-1))
}

/// [`with_stored_credentials`] over the objects of `registry`.
///
/// # Safety
/// As for [`with_stored_credentials`].
unsafe fn resolve<'r>(
    anj: *mut anj_t,
    registry: &'r crate::dm::Registry,
    mode: anj_core::link::SecurityMode,
    iid: u16,
    bootstrap: bool,
) -> Option<Resolved<'r>> {
    #[cfg(any(feature = "certificates", feature = "external-crypto-storage"))]
    use crate::ffi::net::{
        anj_net_security_info_data_t, anj_net_security_info_t, anj_net_security_mode_t::*,
    };
    use anj_core::link::SecurityMode;
    let _ = bootstrap;
    match mode {
        #[cfg(feature = "rpk")]
        SecurityMode::Rpk => {
            return security_rpk(anj, registry, iid).map(|rpk| {
                Resolved::Security(anj_net_security_info_t {
                    mode: ANJ_NET_SECURITY_RPK,
                    data: anj_net_security_info_data_t { rpk },
                })
            });
        }
        #[cfg(not(feature = "rpk"))]
        SecurityMode::Rpk => {
            crate::log_error!(
                "Security Mode 1 (RPK, RFC 7250 raw public keys) needs ANJ_WITH_RPK: \
                 the MbedTLS DTLS backend cannot negotiate raw public keys"
            );
            return None;
        }
        #[cfg(feature = "certificates")]
        SecurityMode::Certificate => {
            // SAFETY: `anj` per this function's contract.
            return match unsafe { connection_cert(anj, registry, iid, bootstrap) } {
                Some(cert) => Some(Resolved::Security(anj_net_security_info_t {
                    mode: ANJ_NET_SECURITY_CERTIFICATE,
                    data: anj_net_security_info_data_t { cert },
                })),
                None => {
                    crate::log_error!("coaps:// in Certificate mode needs credentials");
                    None
                }
            };
        }
        _ => {}
    }
    // A PSK the built-in Security object moved to the external storage.
    #[cfg(feature = "external-crypto-storage")]
    if security_mode(anj, registry, iid) == Some(0) {
        if let Some(psk) = external_psk(anj, registry, iid) {
            return Some(Resolved::Security(anj_net_security_info_t {
                mode: ANJ_NET_SECURITY_PSK,
                data: anj_net_security_info_data_t { psk },
            }));
        }
    }
    // SAFETY: `anj` per this function's contract.
    let psk = match unsafe { psk_handler(anj) } {
        // SAFETY: the application's handler, given the client it was registered for.
        Some(handler) => unsafe { handler_psk(anj, handler, bootstrap) },
        None => security_psk(anj, registry, iid),
    };
    let Some((identity, key)) = psk else {
        crate::log_error!("{}", anj_core::link::NO_CREDENTIALS);
        return None;
    };
    Some(Resolved::Psk { identity, key })
}

/// The PSK the registered handler gives, as buffers (valid at least until the
/// connection is made: the transport copies them when it creates its context).
///
/// # Safety
/// `anj` is the initialised client `handler` was registered for.
unsafe fn handler_psk<'a>(
    anj: *mut anj_t,
    handler: unsafe extern "C" fn(*const anj_t, bool, *mut anj_net_psk_info_t) -> c_int,
    bootstrap: bool,
) -> Option<(&'a [u8], &'a [u8])> {
    // SAFETY: all-zero is a valid anj_net_psk_info_t (EMPTY sources, NULL SNI).
    let mut info: anj_net_psk_info_t = unsafe { core::mem::zeroed() };
    // SAFETY: the application's handler, called with a valid client and out slot.
    if unsafe { handler(anj, bootstrap, &mut info) } != 0 {
        crate::log_error!("security: the PSK credential handler failed");
        return None;
    }
    // SAFETY: the handler's buffers stay valid at least until the connection is made.
    unsafe { Some((bytes_of(&info.identity)?, bytes_of(&info.key)?)) }
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

/// Credential `rid` (/0/x/3, /0/x/4 or /0/x/5) of Security instance `iid`, in the role
/// `tag`: the reference the built-in object keeps when the credential moved to the
/// external crypto storage (the transport resolves it), else its bytes (empty when
/// there are none), pointing into the object: valid until it changes.
#[cfg(any(feature = "certificates", feature = "external-crypto-storage"))]
fn credential(
    anj: *mut anj_t,
    registry: &crate::dm::Registry,
    iid: u16,
    rid: u16,
    tag: anj_crypto_security_tag_t,
) -> anj_crypto_security_info_t {
    use crate::io::value::{Path, Value};
    #[cfg(feature = "external-crypto-storage")]
    {
        let obj = registry.find(0).map_or(core::ptr::null(), |o| o.ptr());
        if let Some(mut info) = crate::ffi::objects::builtin_security_external(obj, iid, rid) {
            info.tag = tag;
            return info;
        }
    }
    match crate::dm::read_resource(anj, registry, &Path::new(&[0, iid, rid])) {
        Ok(Value::Bytes(b)) => buffer(tag, b),
        _ => buffer(tag, &[]),
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
    // SAFETY: the caller passes an initialised client.
    if let Some(handler) = unsafe { psk_handler(anj) } {
        // SAFETY: the application's handler, with the caller's valid arguments.
        return unsafe { handler(anj, bootstrap_credentials, out_psk_info) };
    }
    // SAFETY: the caller passes an initialised client; the shared object table is read
    // (allowed inside handlers and hooks, e.g. the DTLS backend's during a step).
    let r = unsafe {
        crate::ffi::core::with_registry(anj, |registry| {
            write_psk(anj, registry, bootstrap_credentials, out_psk_info)
        })
    };
    r.unwrap_or(-1)
}

/// `anj_security_get_psk_info` from the Security object.
///
/// # Safety
/// `out_psk_info` is writable.
unsafe fn write_psk(
    anj: *mut anj_t,
    registry: &crate::dm::Registry,
    bootstrap_credentials: bool,
    out_psk_info: *mut anj_net_psk_info_t,
) -> c_int {
    let Some((identity, key)) = find_psk(anj, registry, bootstrap_credentials) else {
        crate::log_error!("security: no PSK credentials in the Security object");
        return -1;
    };
    // SAFETY: writable per this function's contract (checked non-NULL by the caller).
    unsafe {
        out_psk_info.write(anj_net_psk_info_t {
            key: buffer(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_KEY,
                key,
            ),
            identity: buffer(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_IDENTITY,
                identity,
            ),
            sni: core::ptr::null(),
        })
    };
    0
}

/// The registered certificate handler of `anj`, if any.
#[cfg(feature = "certificates")]
#[allow(clippy::type_complexity)]
/// The registered certificate handler of `anj`, if any.
///
/// # Safety
/// As for [`psk_handler`].
unsafe fn cert_handler(
    anj: *mut anj_t,
) -> Option<
    unsafe extern "C" fn(
        *const anj_t,
        bool,
        *mut crate::ffi::net::anj_net_certificate_info_t,
    ) -> c_int,
> {
    // SAFETY: `anj` per this function's contract, initialised (checked by
    // `cred_handlers_slot`); the table, when set, is valid per the registration contract.
    unsafe {
        let slot = crate::ffi::core::cred_handlers_slot(anj)?;
        (*slot).as_ref()?.get_cert_info
    }
}

/// The certificate credentials of Security instance `iid` when it is in Certificate
/// mode (/0/x/2 = 2): /0/x/3 the client certificate, /0/x/5 its private key, /0/x/4
/// the server certificate (may be empty: the transport then refuses to connect), /0/x/15
/// the usage (3 when the object has none), /0/x/14 the SNI (only from the built-in
/// Security object, whose string is NUL-terminated; a custom object registers a
/// `get_cert_info` handler instead). Buffers point into the object: valid until it
/// changes. The trust store is the one given to `anj_core_init`.
#[cfg(feature = "certificates")]
pub(crate) fn security_cert(
    anj: *mut anj_t,
    registry: &crate::dm::Registry,
    iid: u16,
) -> Option<crate::ffi::net::anj_net_certificate_info_t> {
    use crate::dm::builtin::security_rid;
    use crate::ffi::net::anj_net_certificate_usage_t::*;
    use crate::io::value::{Path, Value};
    let read = |rid| crate::dm::read_resource(anj, registry, &Path::new(&[0, iid, rid]));
    let int = |rid| match read(rid) {
        Ok(Value::Int(i)) => Some(i),
        Ok(Value::Uint(u)) => i64::try_from(u).ok(),
        _ => None,
    };
    if int(security_rid::SECURITY_MODE) != Some(2) {
        return None;
    }
    let usage = match int(security_rid::CERTIFICATE_USAGE) {
        None | Some(3) => ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE,
        Some(0) => ANJ_NET_CERTIFICATE_CA_CONSTRAINT,
        Some(1) => ANJ_NET_CERTIFICATE_SERVICE_CERTIFICATE_CONSTRAINT,
        Some(2) => ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION,
        Some(_) => {
            crate::log_error!("security: invalid Certificate Usage in /0/{}/15", iid);
            return None;
        }
    };
    let chain = anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN;
    let obj = registry.find(0).map_or(core::ptr::null(), |o| o.ptr());
    let sni = crate::ffi::objects::builtin_security_sni(obj, iid);
    let cred = |tag, rid| credential(anj, registry, iid, rid, tag);
    Some(crate::ffi::net::anj_net_certificate_info_t {
        client_cert: cred(chain, security_rid::PUBLIC_KEY_OR_IDENTITY),
        private_key: cred(
            anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY,
            security_rid::SECRET_KEY,
        ),
        server_cert: cred(chain, security_rid::SERVER_PUBLIC_KEY),
        certificate_usage: usage,
        sni,
        // SAFETY: `anj` is the initialised client the caller works for.
        trust_store: unsafe { crate::ffi::core::trust_store_of(anj) },
    })
}

/// The raw public key credentials of Security instance `iid` when it is in RPK mode
/// (/0/x/2 = 1): /0/x/3 the client's public key, /0/x/5 its private key, /0/x/4 the
/// server's public key. Buffers point into the object (or are the external storage's
/// references): valid until it changes. An anj-rs extension (`ANJ_WITH_RPK`).
#[cfg(feature = "rpk")]
pub(crate) fn security_rpk(
    anj: *mut anj_t,
    registry: &crate::dm::Registry,
    iid: u16,
) -> Option<crate::ffi::net::anj_net_rpk_info_t> {
    use crate::dm::builtin::security_rid;
    use crate::io::value::{Path, Value};
    let read = |rid| crate::dm::read_resource(anj, registry, &Path::new(&[0, iid, rid]));
    match read(security_rid::SECURITY_MODE) {
        Ok(Value::Int(1)) | Ok(Value::Uint(1)) => {}
        _ => return None,
    }
    let cred = |tag, rid| credential(anj, registry, iid, rid, tag);
    let key = anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY;
    let public = anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN;
    Some(crate::ffi::net::anj_net_rpk_info_t {
        public_key: cred(public, security_rid::PUBLIC_KEY_OR_IDENTITY),
        private_key: cred(key, security_rid::SECRET_KEY),
        server_public_key: cred(public, security_rid::SERVER_PUBLIC_KEY),
    })
}

/// The certificate credentials for a connection to Security instance `security_iid`:
/// from the registered handler when there is one, else from the Security object. The
/// trust store is always the configured one.
///
/// # Safety
/// `anj` is NULL or points to an `anj_t`; the handler is given it.
#[cfg(feature = "certificates")]
pub(crate) unsafe fn connection_cert(
    anj: *mut anj_t,
    registry: &crate::dm::Registry,
    security_iid: u16,
    bootstrap: bool,
) -> Option<crate::ffi::net::anj_net_certificate_info_t> {
    // SAFETY: guaranteed by the caller.
    let Some(handler) = (unsafe { cert_handler(anj) }) else {
        return security_cert(anj, registry, security_iid);
    };
    // SAFETY: all-zero is a valid anj_net_certificate_info_t (EMPTY sources, usage 0,
    // NULL pointers).
    let mut info: crate::ffi::net::anj_net_certificate_info_t = unsafe { core::mem::zeroed() };
    // SAFETY: the application's handler, called with a valid client and out slot.
    if unsafe { handler(anj, bootstrap, &mut info) } != 0 {
        crate::log_error!("security: the certificate credential handler failed");
        return None;
    }
    // SAFETY: `anj` is the initialised client the caller works for.
    info.trust_store = unsafe { crate::ffi::core::trust_store_of(anj) };
    Some(info)
}

/// Fills `out_cert_info` with certificate credentials: what the registered handler
/// gives, or else those of the first Security instance in Certificate mode that is
/// (`bootstrap_credentials`) or is not a Bootstrap-Server account (buffers pointing
/// into the Security object: valid until it changes). Either way `trust_store` is the
/// one given to `anj_core_init`, as in Anjay Lite. 0 on success, negative when there
/// are none (or the handler failed: its result).
///
/// # Safety
/// `anj` was initialised by `anj_core_init`; `out_cert_info` is NULL or writable.
#[cfg(feature = "certificates")]
#[no_mangle]
pub unsafe extern "C" fn anj_security_get_cert_info(
    anj: *const anj_t,
    bootstrap_credentials: bool,
    out_cert_info: *mut crate::ffi::net::anj_net_certificate_info_t,
) -> c_int {
    if out_cert_info.is_null() {
        return -1;
    }
    let anj = anj.cast_mut();
    // SAFETY: the caller passes an initialised client.
    if let Some(handler) = unsafe { cert_handler(anj) } {
        // SAFETY: the application's handler, with the caller's valid arguments.
        let r = unsafe { handler(anj, bootstrap_credentials, out_cert_info) };
        // SAFETY: writable per the contract; `anj` is initialised.
        unsafe { (*out_cert_info).trust_store = crate::ffi::core::trust_store_of(anj) };
        return r;
    }
    // SAFETY: the caller passes an initialised client; the shared object table is read
    // (allowed inside handlers and hooks).
    let found = unsafe {
        crate::ffi::core::with_registry(anj, |registry| {
            cert_of(anj, registry, bootstrap_credentials)
        })
    };
    let Some(info) = found.flatten() else {
        crate::log_error!("security: no certificate credentials in the Security object");
        return -1;
    };
    // SAFETY: checked non-NULL above; writable per the contract.
    unsafe { out_cert_info.write(info) };
    0
}

/// The certificate credentials of the (Bootstrap-)Server's Security instance.
#[cfg(feature = "certificates")]
fn cert_of(
    anj: *mut anj_t,
    registry: &crate::dm::Registry,
    bootstrap_credentials: bool,
) -> Option<crate::ffi::net::anj_net_certificate_info_t> {
    use crate::dm::builtin::security_rid;
    use crate::io::value::{Path, Value};
    registry.find(0).and_then(|sec| {
        sec.instances().iter().find_map(|sinst| {
            let bs = crate::dm::read_resource(
                anj,
                registry,
                &Path::new(&[0, sinst.iid, security_rid::BOOTSTRAP_SERVER]),
            );
            if matches!(bs, Ok(Value::Bool(true))) != bootstrap_credentials {
                return None;
            }
            security_cert(anj, registry, sinst.iid)
        })
    })
}

/// The PSK of Security instance `iid` when the built-in Security object keeps its
/// identity or key in the external crypto storage (references, resolved by the
/// transport); `None` otherwise (then the bytes are read as usual).
#[cfg(feature = "external-crypto-storage")]
pub(crate) fn external_psk(
    anj: *mut anj_t,
    registry: &crate::dm::Registry,
    iid: u16,
) -> Option<anj_net_psk_info_t> {
    use crate::dm::builtin::security_rid;
    let obj = registry.find(0)?.ptr();
    let external = |rid| crate::ffi::objects::builtin_security_external(obj, iid, rid).is_some();
    if !external(security_rid::PUBLIC_KEY_OR_IDENTITY) && !external(security_rid::SECRET_KEY) {
        return None;
    }
    Some(anj_net_psk_info_t {
        identity: credential(
            anj,
            registry,
            iid,
            security_rid::PUBLIC_KEY_OR_IDENTITY,
            anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_IDENTITY,
        ),
        key: credential(
            anj,
            registry,
            iid,
            security_rid::SECRET_KEY,
            anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_KEY,
        ),
        sni: crate::ffi::objects::builtin_security_sni(obj, iid),
    })
}

/// The integer at `ids` of the registry's objects, through the C adapter.
#[cfg(any(feature = "security", feature = "external-crypto-storage"))]
fn read_int(anj: *mut anj_t, reg: &crate::dm::Registry, ids: &[u16]) -> Option<i64> {
    match crate::dm::read_resource(anj, reg, &crate::io::value::Path::new(ids)) {
        Ok(crate::io::value::Value::Int(i)) => Some(i),
        Ok(crate::io::value::Value::Uint(u)) => i64::try_from(u).ok(),
        _ => None,
    }
}

/// The Security Mode (/0/x/2) of Security instance `iid`.
#[cfg(feature = "external-crypto-storage")]
pub(crate) fn security_mode(anj: *mut anj_t, reg: &crate::dm::Registry, iid: u16) -> Option<i64> {
    read_int(
        anj,
        reg,
        &[0, iid, crate::dm::builtin::security_rid::SECURITY_MODE],
    )
}

/// The PSK identity and key of Security instance `iid`: `Some` only in PSK mode
/// (/0/x/2 = 0) with a non-empty identity (/0/x/3) and key (/0/x/5).
/// The bytes point into the object: they are borrowed for as long as `reg` is (no object
/// can be removed meanwhile).
#[cfg(feature = "security")]
pub(crate) fn security_psk(
    anj: *mut anj_t,
    reg: &crate::dm::Registry,
    iid: u16,
) -> Option<(&[u8], &[u8])> {
    if read_int(
        anj,
        reg,
        &[0, iid, crate::dm::builtin::security_rid::SECURITY_MODE],
    ) != Some(0)
    {
        return None;
    }
    let bytes = |rid| match crate::dm::read_resource(
        anj,
        reg,
        &crate::io::value::Path::new(&[0, iid, rid]),
    ) {
        Ok(crate::io::value::Value::Bytes(b)) if !b.is_empty() => Some(b),
        _ => None,
    };
    Some((
        bytes(crate::dm::builtin::security_rid::PUBLIC_KEY_OR_IDENTITY)?,
        bytes(crate::dm::builtin::security_rid::SECRET_KEY)?,
    ))
}

/// The PSK identity and key of the first Security instance that is (`bootstrap`) or is
/// not a Bootstrap-Server account and has them.
#[cfg(feature = "security")]
pub(crate) fn find_psk(
    anj: *mut anj_t,
    reg: &crate::dm::Registry,
    bootstrap: bool,
) -> Option<(&[u8], &[u8])> {
    let sec = reg.find(0)?;
    sec.instances().iter().find_map(|sinst| {
        let bs = crate::dm::read_resource(
            anj,
            reg,
            &crate::io::value::Path::new(&[
                0,
                sinst.iid,
                crate::dm::builtin::security_rid::BOOTSTRAP_SERVER,
            ]),
        );
        if matches!(bs, Ok(crate::io::value::Value::Bool(true))) != bootstrap {
            return None;
        }
        security_psk(anj, reg, sinst.iid)
    })
}
