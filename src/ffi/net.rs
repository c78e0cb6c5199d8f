//! `anj/compat/net/*`: the network compat contract.
//!
//! The library never touches sockets itself. It goes through nine per-binding hooks
//! (`anj_udp_*`, `anj_dtls_*`) that the integrator (or our POSIX layer in
//! [`crate::platform::posix_udp`]) defines. This module holds:
//!
//! * the C types of `anj_net_api.h` (result codes, enums, configuration structs, the
//!   opaque context);
//! * `extern "C"` declarations of the hooks, gated like Anjay Lite gates them
//!   (`ANJ_NET_WITH_UDP` = feature `net-udp`, `ANJ_NET_WITH_DTLS` = feature `net-dtls`);
//! * the nine `anj_net_*` dispatchers. Anjay Lite has them as `static inline` functions
//!   in `anj_net_wrapper.h`; we export real functions with the same names and
//!   signatures so C code calling them keeps compiling and linking;
//! * [`NetConn`], the safe handle the sans-IO core's driver uses.
//!
//! Result codes follow the contract: `ANJ_NET_OK` (0), the four positive codes below,
//! and any negative value for an error.

use core::ffi::{c_char, c_int, CStr};
use core::ptr;

#[cfg(feature = "security")]
use crate::ffi::crypto::anj_crypto_security_info_t;

/// The operation succeeded.
pub const ANJ_NET_OK: i32 = 0;
/// Nothing to receive right now; try again later (other work may happen in between).
pub const ANJ_NET_EAGAIN: i32 = 1;
/// The datagram did not fit in the buffer (it has been dropped).
pub const ANJ_NET_EMSGSIZE: i32 = 2;
/// The operation or its arguments are not supported (e.g. a binding not built in).
pub const ANJ_NET_ENOTSUP: i32 = 3;
/// Not finished yet: call the same function again with the same arguments, with no
/// other network call in between.
pub const ANJ_NET_EINPROGRESS: i32 = 4;

/// How a certificate given in the Security object is to be used
/// (the Certificate Usage field of RFC 6698, section 2.1.1, as LwM2M 1.2 reuses it).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_net_certificate_usage_t {
    ANJ_NET_CERTIFICATE_CA_CONSTRAINT = 0,
    ANJ_NET_CERTIFICATE_SERVICE_CERTIFICATE_CONSTRAINT = 1,
    ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION = 2,
    ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE = 3,
}

/// The transport a connection uses (chosen from the server URI scheme:
/// `coap://` is UDP, `coaps://` is DTLS).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_net_binding_type_t {
    ANJ_NET_BINDING_UDP = 0,
    ANJ_NET_BINDING_DTLS = 1,
    ANJ_NET_BINDING_NON_IP = 2,
}

/// Whether a context is connected to a peer.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_net_socket_state_t {
    /// Freshly created, or closed again by `anj_net_close`.
    ANJ_NET_SOCKET_STATE_CLOSED = 0,
    /// `anj_net_connect` succeeded: send and recv may be used.
    ANJ_NET_SOCKET_STATE_CONNECTED = 1,
}

/// Which IP version a socket may use.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum anj_net_address_family_setting_t {
    /// No preference: whatever name resolution returns first.
    #[default]
    ANJ_NET_AF_SETTING_UNSPEC = 0,
    /// IPv4 only.
    ANJ_NET_AF_SETTING_FORCE_INET4 = 1,
    /// IPv6 only.
    ANJ_NET_AF_SETTING_FORCE_INET6 = 2,
    /// IPv4 addresses first, IPv6 as a fallback.
    ANJ_NET_AF_SETTING_PREFERRED_INET4 = 3,
    /// IPv6 addresses first, IPv4 as a fallback.
    ANJ_NET_AF_SETTING_PREFERRED_INET6 = 4,
}

/// Options of the plain (non-secure) socket.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct anj_net_socket_configuration_t {
    /// IP version policy.
    pub af_setting: anj_net_address_family_setting_t,
}

/// Which kind of credentials a (D)TLS connection authenticates with.
#[cfg(feature = "security")]
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_net_security_mode_t {
    /// Pre-shared key and identity (RFC 4279).
    ANJ_NET_SECURITY_PSK = 0,
    /// X.509 certificates.
    ANJ_NET_SECURITY_CERTIFICATE = 1,
    /// Raw public keys (RFC 7250; LwM2M Security Mode 1). An anj-rs extension
    /// (`ANJ_WITH_RPK`): Anjay Lite has no such mode.
    #[cfg(feature = "rpk")]
    ANJ_NET_SECURITY_RPK = 2,
}

/// Pre-shared key credentials.
#[cfg(feature = "security")]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_net_psk_info_t {
    /// The shared secret.
    pub key: anj_crypto_security_info_t,
    /// The identity the client announces to the server.
    pub identity: anj_crypto_security_info_t,
    /// Server Name Indication to send; NULL lets the backend use the host name.
    pub sni: *const c_char,
}

/// A list of trusted CA certificates (the array itself stays owned by the caller).
#[cfg(all(feature = "security", feature = "certificates"))]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_net_trust_store_t {
    /// First of `ca_certs_count` entries.
    pub ca_certs: *const anj_crypto_security_info_t,
    /// Number of entries at `ca_certs`.
    pub ca_certs_count: usize,
}

/// Certificate credentials.
#[cfg(all(feature = "security", feature = "certificates"))]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_net_certificate_info_t {
    /// The certificate the client presents.
    pub client_cert: anj_crypto_security_info_t,
    /// The private key matching `client_cert`.
    pub private_key: anj_crypto_security_info_t,
    /// The server certificate or trust anchor to verify the peer against.
    pub server_cert: anj_crypto_security_info_t,
    /// How `server_cert` constrains verification.
    pub certificate_usage: anj_net_certificate_usage_t,
    /// Server Name Indication to send; NULL lets the backend use the host name.
    pub sni: *const c_char,
    /// Additional trusted CAs.
    pub trust_store: anj_net_trust_store_t,
}

/// Raw public key credentials (anj-rs extension, `ANJ_WITH_RPK`): secp256r1 keys as
/// the Security object holds them (SubjectPublicKeyInfo or the bare point; PKCS#8,
/// SEC1 or the bare scalar).
#[cfg(feature = "rpk")]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_net_rpk_info_t {
    /// The client's public key (/0/x/3).
    pub public_key: anj_crypto_security_info_t,
    /// The client's private key (/0/x/5).
    pub private_key: anj_crypto_security_info_t,
    /// The key the server must present (/0/x/4).
    pub server_public_key: anj_crypto_security_info_t,
}

/// The mode-specific part of [`anj_net_security_info_t`] (an anonymous union in
/// Anjay Lite; C code reaches its members the same way, `info.data.psk`).
#[cfg(feature = "security")]
#[repr(C)]
#[derive(Clone, Copy)]
pub union anj_net_security_info_data_t {
    pub psk: anj_net_psk_info_t,
    #[cfg(feature = "certificates")]
    pub cert: anj_net_certificate_info_t,
    #[cfg(feature = "rpk")]
    pub rpk: anj_net_rpk_info_t,
}

/// Credentials of a secure connection: `mode` says which member of `data` is valid.
#[cfg(feature = "security")]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_net_security_info_t {
    pub mode: anj_net_security_mode_t,
    pub data: anj_net_security_info_data_t,
}

/// Options of the secure layer of a socket. All zero means "no security".
#[cfg(feature = "security")]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_net_ssl_configuration_t {
    pub security: anj_net_security_info_t,
    /// Context handed to the external crypto storage hooks.
    #[cfg(feature = "external-crypto-storage")]
    pub crypto_ctx: *mut core::ffi::c_void,
}

/// Everything a backend needs to create a context. All-zero is the default
/// configuration, the same as passing NULL.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct anj_net_config_t {
    pub raw_socket_config: anj_net_socket_configuration_t,
    #[cfg(feature = "security")]
    pub secure_socket_config: anj_net_ssl_configuration_t,
}

impl Default for anj_net_config_t {
    fn default() -> Self {
        // SAFETY: every member is a plain integer, enum whose zero value is a declared
        // variant, union of such, or raw pointer: the all-zero pattern is valid for
        // each, and the contract defines it as the default configuration.
        unsafe { core::mem::zeroed() }
    }
}

/// An open network context. Its layout is private to the backend that created it;
/// C code only ever holds pointers to it.
#[repr(C)]
pub struct anj_net_ctx_t {
    _private: [u8; 0],
}

/// True when `res` is `ANJ_NET_OK`.
#[no_mangle]
pub extern "C" fn anj_net_is_ok(res: c_int) -> bool {
    res == ANJ_NET_OK
}

/// True when `res` is `ANJ_NET_EAGAIN`.
#[no_mangle]
pub extern "C" fn anj_net_is_again(res: c_int) -> bool {
    res == ANJ_NET_EAGAIN
}

/// True when `res` is `ANJ_NET_EINPROGRESS`.
#[no_mangle]
pub extern "C" fn anj_net_is_inprogress(res: c_int) -> bool {
    res == ANJ_NET_EINPROGRESS
}

/// Reads an address family setting from memory C may have filled with anything,
/// without creating an invalid enum value. `None` for values outside the enum.
///
/// # Safety
/// `p` must be valid for reading `size_of::<anj_net_address_family_setting_t>()` bytes.
pub unsafe fn read_af_setting(
    p: *const anj_net_address_family_setting_t,
) -> Option<anj_net_address_family_setting_t> {
    use anj_net_address_family_setting_t::*;
    const N: usize = core::mem::size_of::<anj_net_address_family_setting_t>();
    // SAFETY: the caller guarantees N readable bytes; `[u8; N]` has no invalid values
    // and alignment 1, so any bytes may be read as it.
    let raw: [u8; N] = unsafe { ptr::read_unaligned(p.cast::<[u8; N]>()) };
    [
        ANJ_NET_AF_SETTING_UNSPEC,
        ANJ_NET_AF_SETTING_FORCE_INET4,
        ANJ_NET_AF_SETTING_FORCE_INET6,
        ANJ_NET_AF_SETTING_PREFERRED_INET4,
        ANJ_NET_AF_SETTING_PREFERRED_INET6,
    ]
    .into_iter()
    .find(|v| enum_bytes_af(*v) == raw)
}

const fn enum_bytes_af(
    v: anj_net_address_family_setting_t,
) -> [u8; core::mem::size_of::<anj_net_address_family_setting_t>()] {
    // SAFETY: a fieldless repr(C) enum is an integer with no padding, so its bytes
    // are all initialised and the sizes match by construction.
    unsafe { core::mem::transmute(v) }
}

const STATE_SIZE: usize = core::mem::size_of::<anj_net_socket_state_t>();

const fn enum_bytes_state(v: anj_net_socket_state_t) -> [u8; STATE_SIZE] {
    // SAFETY: as in `enum_bytes_af`: a fieldless repr(C) enum has no padding.
    unsafe { core::mem::transmute(v) }
}

/// Storage for a hook's `anj_net_socket_state_t` output that stays sound whatever
/// the hook writes: it is read back as bytes and matched against the variants.
#[repr(C)]
union StateSlot {
    state: anj_net_socket_state_t,
    raw: [u8; STATE_SIZE],
}

#[cfg(feature = "net-udp")]
extern "C" {
    /// Creates a UDP context; sets `*ctx` non-NULL on success.
    pub fn anj_udp_create_ctx(
        ctx: *mut *mut anj_net_ctx_t,
        config: *const anj_net_config_t,
    ) -> c_int;
    /// Closes the socket and frees the context, setting `*ctx` to NULL.
    pub fn anj_udp_cleanup_ctx(ctx: *mut *mut anj_net_ctx_t) -> c_int;
    /// Resolves `hostname`/`port` and connects the context to it.
    pub fn anj_udp_connect(
        ctx: *mut anj_net_ctx_t,
        hostname: *const c_char,
        port: *const c_char,
    ) -> c_int;
    /// Sends one datagram of `length` bytes.
    pub fn anj_udp_send(
        ctx: *mut anj_net_ctx_t,
        bytes_sent: *mut usize,
        buf: *const u8,
        length: usize,
    ) -> c_int;
    /// Receives one datagram into `buf`.
    pub fn anj_udp_recv(
        ctx: *mut anj_net_ctx_t,
        bytes_received: *mut usize,
        buf: *mut u8,
        length: usize,
    ) -> c_int;
    /// Closes the connection; the context stays usable for another connect.
    pub fn anj_udp_close(ctx: *mut anj_net_ctx_t) -> c_int;
    /// Reports CLOSED or CONNECTED.
    pub fn anj_udp_get_state(
        ctx: *mut anj_net_ctx_t,
        out_value: *mut anj_net_socket_state_t,
    ) -> c_int;
    /// Reports the largest payload one datagram can carry.
    pub fn anj_udp_get_inner_mtu(ctx: *mut anj_net_ctx_t, out_value: *mut i32) -> c_int;
    /// Hint: nothing needs to be received until the next outgoing exchange.
    pub fn anj_udp_queue_mode_rx_off(ctx: *mut anj_net_ctx_t) -> c_int;
}

#[cfg(feature = "net-dtls")]
extern "C" {
    /// Creates a DTLS context; sets `*ctx` non-NULL on success.
    pub fn anj_dtls_create_ctx(
        ctx: *mut *mut anj_net_ctx_t,
        config: *const anj_net_config_t,
    ) -> c_int;
    /// Closes the connection and frees the context, setting `*ctx` to NULL.
    pub fn anj_dtls_cleanup_ctx(ctx: *mut *mut anj_net_ctx_t) -> c_int;
    /// Resolves `hostname`/`port`, connects and performs the handshake.
    pub fn anj_dtls_connect(
        ctx: *mut anj_net_ctx_t,
        hostname: *const c_char,
        port: *const c_char,
    ) -> c_int;
    /// Sends one record of application data.
    pub fn anj_dtls_send(
        ctx: *mut anj_net_ctx_t,
        bytes_sent: *mut usize,
        buf: *const u8,
        length: usize,
    ) -> c_int;
    /// Receives one record of application data into `buf`.
    pub fn anj_dtls_recv(
        ctx: *mut anj_net_ctx_t,
        bytes_received: *mut usize,
        buf: *mut u8,
        length: usize,
    ) -> c_int;
    /// Closes the connection; the context stays usable for another connect.
    pub fn anj_dtls_close(ctx: *mut anj_net_ctx_t) -> c_int;
    /// Reports CLOSED or CONNECTED.
    pub fn anj_dtls_get_state(
        ctx: *mut anj_net_ctx_t,
        out_value: *mut anj_net_socket_state_t,
    ) -> c_int;
    /// Reports the largest application payload one record can carry.
    pub fn anj_dtls_get_inner_mtu(ctx: *mut anj_net_ctx_t, out_value: *mut i32) -> c_int;
    /// Hint: nothing needs to be received until the next outgoing exchange.
    pub fn anj_dtls_queue_mode_rx_off(ctx: *mut anj_net_ctx_t) -> c_int;
}

/// Routes one call to the hook of the binding, or yields `ANJ_NET_ENOTSUP` when that
/// binding is not built in (Non-IP never is: its Anjay Lite header is unusable).
macro_rules! dispatch {
    ($binding:expr, $udp:ident, $dtls:ident, ($($arg:expr),*)) => {{
        match $binding {
            #[cfg(feature = "net-udp")]
            anj_net_binding_type_t::ANJ_NET_BINDING_UDP => {
                // SAFETY: the arguments are forwarded unchanged; the hook's contract on
                // them is the one the caller of this dispatcher accepted.
                unsafe { $udp($($arg),*) }
            }
            #[cfg(feature = "net-dtls")]
            anj_net_binding_type_t::ANJ_NET_BINDING_DTLS => {
                // SAFETY: the arguments are forwarded unchanged; the DTLS hook's contract
                // on them is the one the caller of this dispatcher accepted.
                unsafe { $dtls($($arg),*) }
            }
            _ => ANJ_NET_ENOTSUP,
        }
    }};
}

/// Creates a context for `binding`; see `anj_net_create_ctx_t` in `anj_net_api.h`.
///
/// # Safety
/// `ctx` must be valid for writing a pointer; `config` must be NULL or valid.
#[no_mangle]
pub unsafe extern "C" fn anj_net_create_ctx(
    binding: anj_net_binding_type_t,
    ctx: *mut *mut anj_net_ctx_t,
    config: *const anj_net_config_t,
) -> c_int {
    dispatch!(
        binding,
        anj_udp_create_ctx,
        anj_dtls_create_ctx,
        (ctx, config)
    )
}

/// Closes and frees a context of `binding`, setting `*ctx` to NULL.
///
/// # Safety
/// `ctx` must be valid for reading and writing a pointer created by the same binding.
#[no_mangle]
pub unsafe extern "C" fn anj_net_cleanup_ctx(
    binding: anj_net_binding_type_t,
    ctx: *mut *mut anj_net_ctx_t,
) -> c_int {
    dispatch!(binding, anj_udp_cleanup_ctx, anj_dtls_cleanup_ctx, (ctx))
}

/// Connects a context of `binding` to `hostname`:`port`.
///
/// # Safety
/// `ctx` must come from the same binding; the strings must be NUL-terminated or NULL
/// where the binding accepts NULL.
#[no_mangle]
pub unsafe extern "C" fn anj_net_connect(
    binding: anj_net_binding_type_t,
    ctx: *mut anj_net_ctx_t,
    hostname: *const c_char,
    port: *const c_char,
) -> c_int {
    dispatch!(
        binding,
        anj_udp_connect,
        anj_dtls_connect,
        (ctx, hostname, port)
    )
}

/// Sends `length` bytes at `buf`; `*bytes_sent` reports how many went out.
///
/// # Safety
/// `ctx` must come from the same binding, `bytes_sent` must be writable and `buf`
/// readable for `length` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_net_send(
    binding: anj_net_binding_type_t,
    ctx: *mut anj_net_ctx_t,
    bytes_sent: *mut usize,
    buf: *const u8,
    length: usize,
) -> c_int {
    dispatch!(
        binding,
        anj_udp_send,
        anj_dtls_send,
        (ctx, bytes_sent, buf, length)
    )
}

/// Receives one datagram into `buf` (capacity `length`).
///
/// # Safety
/// `ctx` must come from the same binding, `bytes_received` must be writable and `buf`
/// writable for `length` bytes.
#[no_mangle]
pub unsafe extern "C" fn anj_net_recv(
    binding: anj_net_binding_type_t,
    ctx: *mut anj_net_ctx_t,
    bytes_received: *mut usize,
    buf: *mut u8,
    length: usize,
) -> c_int {
    dispatch!(
        binding,
        anj_udp_recv,
        anj_dtls_recv,
        (ctx, bytes_received, buf, length)
    )
}

/// Closes the connection of a context of `binding`, keeping the context.
///
/// # Safety
/// `ctx` must come from the same binding.
#[no_mangle]
pub unsafe extern "C" fn anj_net_close(
    binding: anj_net_binding_type_t,
    ctx: *mut anj_net_ctx_t,
) -> c_int {
    dispatch!(binding, anj_udp_close, anj_dtls_close, (ctx))
}

/// Writes the largest single-packet payload of a context of `binding`.
///
/// # Safety
/// `ctx` must come from the same binding and `out_value` must be writable.
#[no_mangle]
pub unsafe extern "C" fn anj_net_get_inner_mtu(
    binding: anj_net_binding_type_t,
    ctx: *mut anj_net_ctx_t,
    out_value: *mut i32,
) -> c_int {
    dispatch!(
        binding,
        anj_udp_get_inner_mtu,
        anj_dtls_get_inner_mtu,
        (ctx, out_value)
    )
}

/// Writes whether a context of `binding` is connected.
///
/// # Safety
/// `ctx` must come from the same binding and `out_value` must be writable.
#[no_mangle]
pub unsafe extern "C" fn anj_net_get_state(
    binding: anj_net_binding_type_t,
    ctx: *mut anj_net_ctx_t,
    out_value: *mut anj_net_socket_state_t,
) -> c_int {
    dispatch!(
        binding,
        anj_udp_get_state,
        anj_dtls_get_state,
        (ctx, out_value)
    )
}

/// Tells a context of `binding` that no reception is needed for now (Queue Mode).
///
/// # Safety
/// `ctx` must come from the same binding.
#[no_mangle]
pub unsafe extern "C" fn anj_net_queue_mode_rx_off(
    binding: anj_net_binding_type_t,
    ctx: *mut anj_net_ctx_t,
) -> c_int {
    dispatch!(
        binding,
        anj_udp_queue_mode_rx_off,
        anj_dtls_queue_mode_rx_off,
        (ctx)
    )
}

/// One network connection as the core's driver holds it: the binding plus the
/// context pointer the hooks gave out.
///
/// Every method returns the hook's result code unchanged (`ANJ_NET_OK`, one of the
/// positive `ANJ_NET_E*` codes, or a negative error), except for two errors of its
/// own, [`NetConn::ERR_NO_CTX`] and [`NetConn::ERR_BAD_HOOK`]. `ANJ_NET_EINPROGRESS`
/// passes through: the caller repeats the same call with the same arguments.
///
/// Dropping a `NetConn` does not clean the context up (cleanup may need several
/// calls); call [`NetConn::cleanup`] until it returns something other than
/// `ANJ_NET_EINPROGRESS`.
#[derive(Debug)]
pub struct NetConn {
    binding: anj_net_binding_type_t,
    ctx: *mut anj_net_ctx_t,
}

impl Default for NetConn {
    fn default() -> Self {
        Self::new()
    }
}

impl NetConn {
    /// Returned when an operation needs a context and there is none.
    pub const ERR_NO_CTX: i32 = -1;
    /// Returned when a hook broke its contract (OK from create without a context, more
    /// bytes reported than the buffer holds, a state outside the enum).
    pub const ERR_BAD_HOOK: i32 = -2;
    /// Returned by [`Self::create`] when a context already exists.
    pub const ERR_EXISTS: i32 = -3;

    /// A handle without a context.
    pub const fn new() -> Self {
        Self {
            binding: anj_net_binding_type_t::ANJ_NET_BINDING_UDP,
            ctx: ptr::null_mut(),
        }
    }

    /// Whether a context exists (create succeeded and cleanup has not finished).
    pub fn is_created(&self) -> bool {
        !self.ctx.is_null()
    }

    /// The binding of the current (or last) context.
    pub fn binding(&self) -> anj_net_binding_type_t {
        self.binding
    }

    /// Creates a context for `binding`. Returns `ANJ_NET_OK` with a context, or the
    /// hook's error with none. Over an existing context it returns
    /// [`Self::ERR_EXISTS`] and keeps that context (it would otherwise leak).
    pub fn create(
        &mut self,
        binding: anj_net_binding_type_t,
        cfg: Option<&anj_net_config_t>,
    ) -> i32 {
        if self.is_created() {
            return Self::ERR_EXISTS;
        }
        let mut ctx: *mut anj_net_ctx_t = ptr::null_mut();
        let cfg_ptr = cfg.map_or(ptr::null(), |c| c as *const anj_net_config_t);
        // SAFETY: `ctx` is a live local the hook may write a pointer into; `cfg_ptr` is
        // NULL or borrowed from a reference that outlives the call.
        let res = unsafe { anj_net_create_ctx(binding, &mut ctx, cfg_ptr) };
        if res != ANJ_NET_OK {
            // A conforming hook leaves the pointer NULL on failure; whatever it wrote
            // is not ours to use.
            return res;
        }
        if ctx.is_null() {
            return Self::ERR_BAD_HOOK;
        }
        self.binding = binding;
        self.ctx = ctx;
        ANJ_NET_OK
    }

    /// Connects to `host`:`port`. `ANJ_NET_EINPROGRESS` means "call again".
    pub fn connect(&mut self, host: &CStr, port: &CStr) -> i32 {
        if !self.is_created() {
            return Self::ERR_NO_CTX;
        }
        // SAFETY: the context came from this binding's create hook and is still
        // alive; both strings are NUL-terminated and outlive the call.
        unsafe { anj_net_connect(self.binding, self.ctx, host.as_ptr(), port.as_ptr()) }
    }

    /// Sends `data` as one datagram. `Ok(n)` may be short of `data.len()` (the
    /// contract allows partial sends; the caller sends the rest); `Err` carries
    /// `ANJ_NET_EINPROGRESS` (nothing sent yet, call again) or an error.
    pub fn send(&mut self, data: &[u8]) -> Result<usize, i32> {
        if !self.is_created() {
            return Err(Self::ERR_NO_CTX);
        }
        let mut sent: usize = 0;
        // SAFETY: live context of this binding; `sent` is a writable local; `data` is
        // readable for its length.
        let res =
            unsafe { anj_net_send(self.binding, self.ctx, &mut sent, data.as_ptr(), data.len()) };
        match res {
            ANJ_NET_OK if sent <= data.len() => Ok(sent),
            ANJ_NET_OK => Err(Self::ERR_BAD_HOOK),
            err => Err(err),
        }
    }

    /// Receives one datagram into `buf`. `Err` carries `ANJ_NET_EAGAIN` (nothing
    /// there), `ANJ_NET_EMSGSIZE` (too big, dropped), `ANJ_NET_EINPROGRESS` or an
    /// error.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, i32> {
        if !self.is_created() {
            return Err(Self::ERR_NO_CTX);
        }
        let mut got: usize = 0;
        // SAFETY: live context of this binding; `got` is a writable local; `buf` is
        // writable for its length.
        let res = unsafe {
            anj_net_recv(
                self.binding,
                self.ctx,
                &mut got,
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        match res {
            ANJ_NET_OK if got <= buf.len() => Ok(got),
            ANJ_NET_OK => Err(Self::ERR_BAD_HOOK),
            err => Err(err),
        }
    }

    /// Closes the connection, keeping the context for a later [`Self::connect`].
    pub fn close(&mut self) -> i32 {
        if !self.is_created() {
            return Self::ERR_NO_CTX;
        }
        // SAFETY: live context of this binding.
        unsafe { anj_net_close(self.binding, self.ctx) }
    }

    /// Frees the context. Without one this is a no-op returning `ANJ_NET_OK`.
    /// The handle mirrors what the hook leaves in the pointer: after `ANJ_NET_OK`
    /// a conforming hook has set it to NULL, and we clear it in any case then.
    pub fn cleanup(&mut self) -> i32 {
        if !self.is_created() {
            return ANJ_NET_OK;
        }
        // SAFETY: `self.ctx` is a live context of this binding, and the hook may write
        // the pointer (to NULL) through the reference.
        let res = unsafe { anj_net_cleanup_ctx(self.binding, &mut self.ctx) };
        if res == ANJ_NET_OK {
            self.ctx = ptr::null_mut();
        }
        res
    }

    /// Whether the context is connected. Without a context: `Ok(CLOSED)`.
    pub fn state(&self) -> Result<anj_net_socket_state_t, i32> {
        use anj_net_socket_state_t::*;
        if !self.is_created() {
            return Ok(ANJ_NET_SOCKET_STATE_CLOSED);
        }
        let mut slot = StateSlot {
            raw: enum_bytes_state(ANJ_NET_SOCKET_STATE_CLOSED),
        };
        // SAFETY: live context of this binding; the hook writes at most one
        // `anj_net_socket_state_t` into `slot`, which is exactly that big.
        let res =
            unsafe { anj_net_get_state(self.binding, self.ctx, ptr::addr_of_mut!(slot).cast()) };
        if res != ANJ_NET_OK {
            return Err(res);
        }
        // SAFETY: every bit pattern is a valid `[u8; STATE_SIZE]`, so reading `raw`
        // is sound whatever the hook stored.
        let raw = unsafe { slot.raw };
        [ANJ_NET_SOCKET_STATE_CLOSED, ANJ_NET_SOCKET_STATE_CONNECTED]
            .into_iter()
            .find(|s| enum_bytes_state(*s) == raw)
            .ok_or(Self::ERR_BAD_HOOK)
    }

    /// The largest payload one `send` can carry as a single packet.
    pub fn inner_mtu(&self) -> Result<i32, i32> {
        if !self.is_created() {
            return Err(Self::ERR_NO_CTX);
        }
        let mut mtu: i32 = 0;
        // SAFETY: live context of this binding; `mtu` is a writable local.
        let res = unsafe { anj_net_get_inner_mtu(self.binding, self.ctx, &mut mtu) };
        match res {
            ANJ_NET_OK if mtu > 0 => Ok(mtu),
            ANJ_NET_OK => Err(Self::ERR_BAD_HOOK),
            err => Err(err),
        }
    }

    /// Queue Mode hint: reception may be switched off until the next send.
    pub fn queue_mode_rx_off(&mut self) -> i32 {
        if !self.is_created() {
            return Self::ERR_NO_CTX;
        }
        // SAFETY: live context of this binding.
        unsafe { anj_net_queue_mode_rx_off(self.binding, self.ctx) }
    }
}
