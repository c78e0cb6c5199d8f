//! The edge between the sans-IO client and the integrator's hooks: [`Driver`] implements
//! [`Link`] over `anj_net_*` (through [`NetConn`]) and `anj_rng_generate`, and [`now`]
//! reads `anj_time_monotonic_now`.
//!
//! `ANJ_NET_EINPROGRESS` contract: a hook that returns it must be called again with the
//! same arguments and nothing in between. The client guarantees it: an in-progress
//! connect keeps it in the Connecting state, where it calls nothing else and repeats the
//! connect with the same (re-read) URI.

use core::ffi::{c_int, CStr};

use crate::client::link::{Credentials, NetStatus, Recv};
use crate::ffi::net::{
    anj_net_binding_type_t, anj_net_config_t, anj_net_socket_state_t, NetConn, ANJ_NET_EAGAIN,
    ANJ_NET_EINPROGRESS, ANJ_NET_EMSGSIZE, ANJ_NET_OK,
};
use crate::ffi::time::anj_time_monotonic_t;
use crate::time::Instant;
use anj_core::link::Link as _;

extern "C" {
    fn anj_time_monotonic_now() -> anj_time_monotonic_t;
    fn anj_rng_generate(buffer: *mut u8, size: usize) -> c_int;
}

/// The monotonic clock, in microseconds.
pub fn now() -> Instant {
    // SAFETY: a hook without arguments; the integrator (or the POSIX layer) provides it.
    let t = unsafe { anj_time_monotonic_now() };
    t.since_monotonic_epoch.us
}

pub struct Driver<'a> {
    conn: &'a mut NetConn,
    cfg: &'a anj_net_config_t,
    /// `cfg` is the application's own configuration, credentials included (the CoAP
    /// downloader's `net_config`): a DTLS connection without PSK from the caller uses
    /// it as it is, whatever its security mode (PSK, certificates).
    cfg_has_credentials: bool,
    /// The client whose Security object and credential handlers resolve
    /// `Credentials::Stored` (NULL: none, such credentials fail).
    anj: *mut crate::ffi::core::anj_t,
}

impl<'a> Driver<'a> {
    pub fn new(conn: &'a mut NetConn, cfg: &'a anj_net_config_t) -> Self {
        Driver {
            conn,
            cfg,
            cfg_has_credentials: false,
            anj: core::ptr::null_mut(),
        }
    }

    /// The driver of client `anj`'s own connection: it resolves `Credentials::Stored`
    /// from `anj`'s Security object and credential handlers.
    ///
    /// # Safety
    /// `anj` is NULL or points to an initialised `anj_t` that outlives the driver; while
    /// the driver connects, its objects may be read and its handlers called.
    pub unsafe fn for_client(
        conn: &'a mut NetConn,
        cfg: &'a anj_net_config_t,
        anj: *mut crate::ffi::core::anj_t,
    ) -> Self {
        Driver {
            conn,
            cfg,
            cfg_has_credentials: false,
            anj,
        }
    }

    /// A driver whose configuration carries the application's credentials for
    /// `coaps://` (see `cfg_has_credentials`).
    pub fn with_app_credentials(conn: &'a mut NetConn, cfg: &'a anj_net_config_t) -> Self {
        Driver {
            conn,
            cfg,
            cfg_has_credentials: true,
            anj: core::ptr::null_mut(),
        }
    }
}

/// An `anj_net_*` return code as a [`NetStatus`].
pub(crate) fn status(code: i32) -> NetStatus {
    match code {
        ANJ_NET_OK => NetStatus::Done,
        ANJ_NET_EINPROGRESS => NetStatus::InProgress,
        e => NetStatus::Failed(e),
    }
}

/// `cfg` with PSK credentials pointing at `identity` and `key` (valid as long as they are).
#[cfg(feature = "security")]
fn with_psk(mut cfg: anj_net_config_t, identity: &[u8], key: &[u8]) -> anj_net_config_t {
    use crate::ffi::crypto::{
        anj_crypto_data_source_t, anj_crypto_security_info_buffer_t, anj_crypto_security_info_t,
        anj_crypto_security_info_union_t, anj_crypto_security_tag_t,
    };
    use crate::ffi::net::anj_net_security_mode_t;
    let info = |tag, b: &[u8]| anj_crypto_security_info_t {
        tag,
        source: anj_crypto_data_source_t::ANJ_CRYPTO_DATA_SOURCE_BUFFER,
        info: anj_crypto_security_info_union_t {
            buffer: anj_crypto_security_info_buffer_t {
                data: b.as_ptr().cast(),
                data_size: b.len(),
            },
        },
    };
    let sec = &mut cfg.secure_socket_config.security;
    sec.mode = anj_net_security_mode_t::ANJ_NET_SECURITY_PSK;
    sec.data.psk.identity = info(
        anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_IDENTITY,
        identity,
    );
    sec.data.psk.key = info(
        anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_KEY,
        key,
    );
    cfg
}

/// Sends one datagram on `conn`.
pub(crate) fn send_datagram(conn: &mut NetConn, datagram: &[u8]) -> NetStatus {
    match conn.send(datagram) {
        Ok(n) if n == datagram.len() => NetStatus::Done,
        // A datagram is all or nothing: a partial UDP send is a failure.
        Ok(_) => NetStatus::Failed(-1),
        Err(e) => status(e),
    }
}

/// Receives one datagram from `conn` into `buf`.
pub(crate) fn recv_datagram(conn: &mut NetConn, buf: &mut [u8]) -> Recv {
    match conn.recv(buf) {
        Ok(n) => Recv::Datagram(n),
        Err(ANJ_NET_EAGAIN) => Recv::Nothing,
        Err(ANJ_NET_EINPROGRESS) => Recv::InProgress,
        Err(ANJ_NET_EMSGSIZE) => Recv::TooBig,
        Err(e) => Recv::Failed(e),
    }
}

/// Copies `s` into `buf` as a NUL-terminated C string.
pub(crate) fn c_string<'b>(s: &str, buf: &'b mut [u8]) -> Option<&'b CStr> {
    let bytes = s.as_bytes();
    // An interior NUL is refused by `from_bytes_with_nul` below (no `[u8]::contains`
    // here: that is memchr, which small images need not link).
    if bytes.len() >= buf.len() {
        return None;
    }
    buf[..bytes.len()].copy_from_slice(bytes);
    buf[bytes.len()] = 0;
    CStr::from_bytes_with_nul(&buf[..=bytes.len()]).ok()
}

impl Driver<'_> {
    /// Creates the context (with `secure`, a configuration carrying the credentials,
    /// for "coaps") if needed, and connects.
    fn connect_with_config(
        &mut self,
        scheme: &str,
        host: &str,
        port: &str,
        secure: Option<&anj_net_config_t>,
    ) -> NetStatus {
        let binding = match scheme {
            "coap" => anj_net_binding_type_t::ANJ_NET_BINDING_UDP,
            "coaps" => anj_net_binding_type_t::ANJ_NET_BINDING_DTLS,
            _ => return NetStatus::Failed(-1),
        };
        if self.conn.is_created() && self.conn.binding() != binding {
            let r = self.conn.cleanup();
            if r != ANJ_NET_OK {
                return status(r);
            }
        }
        if !self.conn.is_created() {
            // The credentials are in a copy of the configuration that lives only for
            // this call: the backend copies what it keeps when it creates the context.
            let cfg = match binding {
                anj_net_binding_type_t::ANJ_NET_BINDING_DTLS => match secure {
                    Some(c) => c,
                    None => return NetStatus::Failed(-1),
                },
                _ => self.cfg,
            };
            let r = self.conn.create(binding, Some(cfg));
            if r != ANJ_NET_OK {
                return NetStatus::Failed(r);
            }
        }
        if self.is_connected() {
            return NetStatus::Done;
        }
        let (mut h, mut p) = ([0u8; 256], [0u8; 8]);
        let (Some(host), Some(port)) = (c_string(host, &mut h), c_string(port, &mut p)) else {
            return NetStatus::Failed(-1);
        };
        status(self.conn.connect(host, port))
    }
}

impl Driver<'_> {
    /// Connects with `Credentials::Stored`, resolved by the client's C side.
    #[cfg(feature = "security")]
    fn connect_stored(
        &mut self,
        (scheme, host, port): (&str, &str, &str),
        mode: anj_core::link::SecurityMode,
        security_iid: u16,
        bootstrap: bool,
    ) -> NetStatus {
        use crate::ffi::security::Resolved;
        if self.anj.is_null() {
            crate::log_error!("this connection cannot resolve stored credentials");
            return NetStatus::Failed(-1);
        }
        let anj = self.anj;
        // SAFETY: `anj` is the initialised client this driver was made for
        // (`Driver::for_client`), alive while the driver is.
        unsafe {
            crate::ffi::security::with_stored_credentials(
                anj,
                mode,
                security_iid,
                bootstrap,
                |resolved| {
                    let cfg = match resolved {
                        Resolved::Psk { identity, key } => with_psk(*self.cfg, identity, key),
                        #[cfg(any(feature = "certificates", feature = "external-crypto-storage"))]
                        Resolved::Security(security) => {
                            let mut cfg = *self.cfg;
                            cfg.secure_socket_config.security = security;
                            cfg
                        }
                    };
                    self.connect_with_config(scheme, host, port, Some(&cfg))
                },
            )
        }
    }
}

impl anj_core::link::Link for Driver<'_> {
    fn connect(
        &mut self,
        scheme: &str,
        host: &str,
        port: &str,
        credentials: &Credentials<'_>,
    ) -> NetStatus {
        #[cfg(feature = "security")]
        let secure = match (scheme, *credentials) {
            ("coaps", Credentials::Psk { identity, key }) => {
                Some(with_psk(*self.cfg, identity, key))
            }
            (
                "coaps",
                Credentials::Stored {
                    mode,
                    security_iid,
                    bootstrap,
                },
            ) => {
                return self.connect_stored((scheme, host, port), mode, security_iid, bootstrap);
            }
            // The application's own configuration (the CoAP downloader's), whatever
            // its security mode.
            ("coaps", Credentials::NoSec) if self.cfg_has_credentials => Some(*self.cfg),
            ("coaps", Credentials::NoSec) => {
                crate::log_error!("{}", anj_core::link::NO_CREDENTIALS);
                return NetStatus::Failed(-1);
            }
            _ => None,
        };
        #[cfg(feature = "security")]
        return self.connect_with_config(scheme, host, port, secure.as_ref());
        #[cfg(not(feature = "security"))]
        {
            let _ = (credentials, self.cfg_has_credentials, self.anj);
            self.connect_with_config(scheme, host, port, None)
        }
    }

    fn send(&mut self, datagram: &[u8]) -> NetStatus {
        send_datagram(self.conn, datagram)
    }

    fn recv(&mut self, buf: &mut [u8]) -> Recv {
        recv_datagram(self.conn, buf)
    }

    fn close(&mut self) -> NetStatus {
        if !self.conn.is_created() {
            return NetStatus::Done;
        }
        status(self.conn.close())
    }

    fn cleanup(&mut self) -> NetStatus {
        // Straight to the hook, as Anjay Lite does: over DTLS it ends the session with
        // close_notify (`anj_dtls_close` sends none).
        status(self.conn.cleanup())
    }

    fn rx_off(&mut self) {
        if self.conn.is_created() {
            let _ = self.conn.queue_mode_rx_off();
        }
    }

    fn is_connected(&self) -> bool {
        matches!(
            self.conn.state(),
            Ok(anj_net_socket_state_t::ANJ_NET_SOCKET_STATE_CONNECTED)
        )
    }

    fn random(&mut self, buf: &mut [u8]) -> bool {
        // SAFETY: `buf` is writable for its length.
        unsafe { anj_rng_generate(buf.as_mut_ptr(), buf.len()) == 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::c_string;

    #[test]
    fn c_strings_fit_the_buffer_and_hold_no_nul() {
        let mut buf = [0xAAu8; 8];
        assert_eq!(
            c_string("host", &mut buf).map(|c| c.to_bytes()),
            Some(&b"host"[..])
        );
        assert_eq!(
            c_string("1234567", &mut buf).map(|c| c.to_bytes()),
            Some(&b"1234567"[..])
        );
        // No room for the NUL, or a NUL inside.
        assert!(c_string("12345678", &mut buf).is_none());
        assert!(c_string("ho\0st", &mut buf).is_none());
        assert!(c_string("\0", &mut buf).is_none());
        assert_eq!(c_string("", &mut buf).map(|c| c.to_bytes()), Some(&b""[..]));
    }
}
