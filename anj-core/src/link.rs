//! What the core needs from the outside world, as a trait: the datagram link to a peer
//! and a source of random numbers. The C face implements it over the `anj_net_*` and
//! `anj_rng_generate` hooks; tests implement it with a scripted peer in simulated time.

/// Result of a link operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetStatus {
    Done,
    /// Not finished: call the same operation again with the same arguments
    /// (`ANJ_NET_EINPROGRESS`).
    InProgress,
    /// Failed with the hook's code.
    Failed(i32),
}

/// Result of a receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recv {
    /// A datagram of this length is in the buffer.
    Datagram(usize),
    /// Nothing to read now (`ANJ_NET_EAGAIN`).
    Nothing,
    InProgress,
    /// The datagram did not fit and was dropped (`ANJ_NET_EMSGSIZE`).
    TooBig,
    Failed(i32),
}

pub use crate::objects::security::SecurityMode;

/// The credentials a secure (`coaps`) connection presents to its server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// None from the client. A `coap` connection needs none; for `coaps` a link uses
    /// credentials of its own configuration when it has them (the C face's CoAP
    /// downloader: the application's `net_config`), else fails: never plaintext.
    NoSec,
    /// A pre-shared key (RFC 4279), in memory. The bytes are only borrowed: a link
    /// copies what it keeps.
    Psk { identity: &'a [u8], key: &'a [u8] },
    /// Credentials the link's owner resolves itself, for Security instance
    /// `security_iid` (`bootstrap`: the Bootstrap-Server account): keys in an external
    /// crypto storage, raw public keys, X.509 certificates with a trust store, or what
    /// credential handlers of the C face give. `mode` is the kind of credentials. A link
    /// that cannot resolve them fails the connect.
    Stored {
        mode: SecurityMode,
        security_iid: u16,
        bootstrap: bool,
    },
}

/// Room for a PSK copied out of a Security object by [`account_credentials`]: as much
/// identity and key as the build's Security object holds
/// (`ANJ_SEC_OBJ_MAX_PUBLIC_KEY_OR_IDENTITY_SIZE`, `ANJ_SEC_OBJ_MAX_SECRET_KEY_SIZE`).
/// Overwritten with zeros when dropped. Empty without `security` (no PSK then).
pub struct PskBuf {
    identity: [u8; PSK_IDENTITY_ROOM],
    key: [u8; PSK_KEY_ROOM],
}

#[cfg(feature = "security")]
const PSK_IDENTITY_ROOM: usize = crate::objects::security::IDENTITY_SIZE;
#[cfg(feature = "security")]
const PSK_KEY_ROOM: usize = crate::objects::security::SECRET_SIZE;
#[cfg(not(feature = "security"))]
const PSK_IDENTITY_ROOM: usize = 0;
#[cfg(not(feature = "security"))]
const PSK_KEY_ROOM: usize = 0;

impl PskBuf {
    pub const fn new() -> PskBuf {
        PskBuf {
            identity: [0; PSK_IDENTITY_ROOM],
            key: [0; PSK_KEY_ROOM],
        }
    }
}

impl Default for PskBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for PskBuf {
    fn drop(&mut self) {
        // `black_box` keeps the stores from being optimised out as dead (best effort,
        // without `unsafe`).
        self.identity.fill(0);
        self.key.fill(0);
        core::hint::black_box(&mut self.identity);
        core::hint::black_box(&mut self.key);
    }
}

/// What a link logs when a `coaps` connect comes with [`Credentials::NoSec`] and it has
/// no credentials of its own.
pub const NO_CREDENTIALS: &str = "coaps:// needs credentials in the Security instance";

/// The credentials to connect to the account of Security instance `security_iid` of
/// the Security object `security` (/0) over `scheme` (`bootstrap`: the Bootstrap-Server
/// account), by its Security Mode (/0/x/2):
/// - `coap`: [`Credentials::NoSec`];
/// - RPK and Certificate mode: [`Credentials::Stored`] (the link's owner resolves them
///   and decides whether its build supports them);
/// - otherwise, when `owner_psk` (the owner provides the PSK itself: a credential
///   handler, an external crypto storage): [`Credentials::Stored`] in PSK mode;
/// - PSK mode: the identity (/0/x/3) and key (/0/x/5), both non-empty, copied into
///   `buf`; when one does not fit `buf`, [`Credentials::Stored`] (the owner reads it);
/// - anything else: [`Credentials::NoSec`], which a link refuses for `coaps` unless it
///   has credentials of its own (a secure connection never falls back to plaintext).
pub fn account_credentials<'b>(
    security: &mut dyn crate::dm::Object,
    security_iid: u16,
    bootstrap: bool,
    scheme: &str,
    owner_psk: bool,
    buf: &'b mut PskBuf,
) -> Credentials<'b> {
    use crate::io::value::{Path, Value};
    use crate::objects::security::rid;
    if scheme != "coaps" {
        return Credentials::NoSec;
    }
    let stored = |mode| Credentials::Stored {
        mode,
        security_iid,
        bootstrap,
    };
    let path = |r| Path::new(&[0, security_iid, r]);
    let mode = match security.read_path(&path(rid::SECURITY_MODE)) {
        Ok(Value::Int(i)) => SecurityMode::from_number(i),
        Ok(Value::Uint(u)) => i64::try_from(u).ok().and_then(SecurityMode::from_number),
        _ => None,
    };
    match mode {
        Some(m @ (SecurityMode::Rpk | SecurityMode::Certificate)) => return stored(m),
        _ if owner_psk => return stored(SecurityMode::Psk),
        Some(SecurityMode::Psk) => {}
        _ => return Credentials::NoSec,
    }
    // Some(Some(n)): n bytes copied; Some(None): too long for `buf`; None: empty.
    let mut copy = |r, to: &mut [u8]| match security.read_path(&path(r)) {
        Ok(Value::Bytes(b)) if !b.is_empty() => Some(to.get_mut(..b.len()).map(|to| {
            to.copy_from_slice(b);
            b.len()
        })),
        _ => None,
    };
    let Some(identity) = copy(rid::PUBLIC_KEY_OR_IDENTITY, &mut buf.identity) else {
        return Credentials::NoSec;
    };
    let Some(key) = copy(rid::SECRET_KEY, &mut buf.key) else {
        return Credentials::NoSec;
    };
    match (identity, key) {
        (Some(i), Some(k)) => Credentials::Psk {
            identity: &buf.identity[..i],
            key: &buf.key[..k],
        },
        _ => stored(SecurityMode::Psk),
    }
}

pub trait Link {
    /// Creates the connection context if needed, and connects to `host`:`port` over the
    /// binding of `scheme` ("coap" or "coaps"). `credentials` are those of a secure
    /// connection (see [`Credentials`]; a link that cannot use them fails, never falls
    /// back to plaintext). They are taken when the context is created: an existing
    /// context keeps those it was made with, so the client releases it
    /// ([`Link::cleanup`]) before connecting for another server account.
    fn connect(
        &mut self,
        scheme: &str,
        host: &str,
        port: &str,
        credentials: &Credentials<'_>,
    ) -> NetStatus;
    fn send(&mut self, datagram: &[u8]) -> NetStatus;
    fn recv(&mut self, buf: &mut [u8]) -> Recv;
    /// Closes the connection, keeping the context for a later connect.
    fn close(&mut self) -> NetStatus;
    /// Closes and releases everything (over DTLS: ends the session with close_notify
    /// and forgets it).
    fn cleanup(&mut self) -> NetStatus;
    /// Power hint on entering queue mode.
    fn rx_off(&mut self);
    fn is_connected(&self) -> bool;
    /// Fills `buf` with random bytes; false when the generator failed.
    fn random(&mut self, buf: &mut [u8]) -> bool;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dm::{DmError, DmResult, Object, ResKind, Resource};
    use crate::io::value::{DataType, Value};
    use crate::objects::security::rid;
    use std::vec::Vec;

    /// One Security instance (/0/4) with a mode and PSK resources; `None`: no such
    /// resource.
    struct Security {
        mode: Option<i64>,
        identity: &'static [u8],
        key: &'static [u8],
    }

    const RES: [Resource; 3] = [
        Resource::new(rid::SECURITY_MODE, ResKind::R, DataType::Int),
        Resource::new(rid::PUBLIC_KEY_OR_IDENTITY, ResKind::R, DataType::Bytes),
        Resource::new(rid::SECRET_KEY, ResKind::R, DataType::Bytes),
    ];

    impl Object for Security {
        fn oid(&self) -> u16 {
            0
        }
        fn instance_id(&self, index: usize) -> Option<u16> {
            (index == 0).then_some(4)
        }
        fn resource(&self, iid: u16, index: usize) -> Option<Resource> {
            let skip = usize::from(self.mode.is_none());
            (iid == 4).then(|| RES.get(index + skip).copied())?
        }
        fn read(&mut self, _iid: u16, res: &Resource, _riid: Option<u16>) -> DmResult<Value<'_>> {
            match res.rid {
                rid::SECURITY_MODE => self.mode.map(Value::Int).ok_or(DmError::NOT_FOUND),
                rid::PUBLIC_KEY_OR_IDENTITY => Ok(Value::Bytes(self.identity)),
                rid::SECRET_KEY => Ok(Value::Bytes(self.key)),
                _ => Err(DmError::NOT_FOUND),
            }
        }
    }

    /// What `account_credentials` gave, owned.
    #[derive(Debug, PartialEq)]
    enum Got {
        NoSec,
        Psk(Vec<u8>, Vec<u8>),
        /// Stored, for /0/4 of the Bootstrap-Server account (checked).
        Stored(SecurityMode),
    }

    fn creds(
        mode: Option<i64>,
        identity: &'static [u8],
        key: &'static [u8],
        scheme: &str,
        owner_psk: bool,
    ) -> Got {
        let mut obj = Security {
            mode,
            identity,
            key,
        };
        let mut buf = PskBuf::new();
        match account_credentials(&mut obj, 4, true, scheme, owner_psk, &mut buf) {
            Credentials::NoSec => Got::NoSec,
            Credentials::Psk { identity, key } => Got::Psk(identity.to_vec(), key.to_vec()),
            Credentials::Stored {
                mode,
                security_iid,
                bootstrap,
            } => {
                assert_eq!((security_iid, bootstrap), (4, true));
                Got::Stored(mode)
            }
        }
    }

    #[test]
    fn plain_coap_needs_no_credentials_whatever_the_mode() {
        for mode in [None, Some(0), Some(1), Some(2), Some(3)] {
            assert_eq!(creds(mode, b"id", b"key", "coap", true), Got::NoSec);
        }
    }

    #[test]
    fn rpk_and_certificates_are_resolved_by_the_owner() {
        for owner_psk in [false, true] {
            assert_eq!(
                creds(Some(1), b"", b"", "coaps", owner_psk),
                Got::Stored(SecurityMode::Rpk)
            );
            assert_eq!(
                creds(Some(2), b"id", b"key", "coaps", owner_psk),
                Got::Stored(SecurityMode::Certificate)
            );
        }
    }

    #[cfg(feature = "security")]
    #[test]
    fn a_psk_in_the_object_is_copied() {
        assert_eq!(
            creds(Some(0), b"id", b"secret", "coaps", false),
            Got::Psk(b"id".to_vec(), b"secret".to_vec())
        );
    }

    #[test]
    fn a_psk_the_owner_provides_wins_over_the_object_in_any_other_mode() {
        for mode in [None, Some(0), Some(3), Some(4)] {
            assert_eq!(
                creds(mode, b"id", b"key", "coaps", true),
                Got::Stored(SecurityMode::Psk)
            );
        }
    }

    #[test]
    fn without_credentials_the_link_is_given_none() {
        assert_eq!(creds(Some(0), b"", b"key", "coaps", false), Got::NoSec);
        assert_eq!(creds(Some(0), b"id", b"", "coaps", false), Got::NoSec);
        assert_eq!(creds(Some(3), b"id", b"key", "coaps", false), Got::NoSec);
        assert_eq!(creds(None, b"id", b"key", "coaps", false), Got::NoSec);
    }

    #[test]
    fn a_psk_too_long_for_the_buffer_is_left_to_the_owner() {
        static LONG: [u8; PSK_IDENTITY_ROOM + 1] = [b'x'; PSK_IDENTITY_ROOM + 1];
        assert_eq!(
            creds(Some(0), &LONG, b"key", "coaps", false),
            Got::Stored(SecurityMode::Psk)
        );
    }
}
