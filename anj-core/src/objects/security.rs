//! The Security object (/0): one instance's resources, and the checks a set of
//! instances must pass.

#[cfg(feature = "security")]
use crate::config;
use crate::io::value::Value;

/// Largest Server URI, with its NUL (`ANJ_SERVER_URI_MAX_SIZE`).
pub const SERVER_URI_MAX_SIZE: usize = 256;
/// Largest Public Key or Identity (/0/x/3).
#[cfg(feature = "security")]
pub const IDENTITY_SIZE: usize = config::SEC_OBJ_MAX_PUBLIC_KEY_OR_IDENTITY_SIZE;
/// Largest Secret Key (/0/x/5).
#[cfg(feature = "security")]
pub const SECRET_SIZE: usize = config::SEC_OBJ_MAX_SECRET_KEY_SIZE;
/// Largest Server Public Key (/0/x/4).
#[cfg(feature = "security")]
pub const SERVER_KEY_SIZE: usize = config::SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE;
/// Longest SNI (/0/x/14), without its NUL.
#[cfg(feature = "security")]
pub const SNI_SIZE: usize = config::SEC_OBJ_MAX_SNI_SIZE;

/// Resource IDs of the Security object (LwM2M 1.1 TS Core, E.1).
pub mod rid {
    pub const SERVER_URI: u16 = 0;
    pub const BOOTSTRAP_SERVER: u16 = 1;
    pub const SECURITY_MODE: u16 = 2;
    pub const PUBLIC_KEY_OR_IDENTITY: u16 = 3;
    pub const SERVER_PUBLIC_KEY: u16 = 4;
    pub const SECRET_KEY: u16 = 5;
    pub const SSID: u16 = 10;
    pub const CLIENT_HOLD_OFF_TIME: u16 = 11;
    pub const SNI: u16 = 14;
    pub const CERTIFICATE_USAGE: u16 = 15;
}

/// The instance ID of an unused slot.
pub const IID_UNUSED: u16 = u16::MAX;

/// Security Mode (/0/x/2, LwM2M 1.1 TS Core, E.1).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SecurityMode {
    Psk = 0,
    Rpk = 1,
    Certificate = 2,
    NoSec = 3,
    Est = 4,
}

impl SecurityMode {
    /// The mode a number names.
    pub fn from_number(v: i64) -> Option<Self> {
        Some(match v {
            0 => Self::Psk,
            1 => Self::Rpk,
            2 => Self::Certificate,
            3 => Self::NoSec,
            4 => Self::Est,
            _ => return None,
        })
    }

    /// Whether an instance of this build may hold the mode (NoSec only without
    /// `security`).
    pub fn available(self) -> bool {
        self == Self::NoSec || cfg!(feature = "security")
    }
}

/// Certificate Usage (/0/x/15: RFC 6698, 2.1.1).
#[cfg(feature = "certificates")]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CertificateUsage {
    CaConstraint = 0,
    ServiceCertificateConstraint = 1,
    TrustAnchorAssertion = 2,
    DomainIssuedCertificate = 3,
}

#[cfg(feature = "certificates")]
impl CertificateUsage {
    /// The usage a number names.
    pub fn from_number(v: i64) -> Option<Self> {
        Some(match v {
            0 => Self::CaConstraint,
            1 => Self::ServiceCertificateConstraint,
            2 => Self::TrustAnchorAssertion,
            3 => Self::DomainIssuedCertificate,
            _ => return None,
        })
    }
}

/// One Security object instance. `E` is what the object keeps beside the resources
/// (the C face: references of credentials kept in an external crypto storage).
#[derive(Clone, Copy, Debug)]
pub struct SecurityInstance<E: Copy> {
    /// [`IID_UNUSED`] for an unused slot.
    pub iid: u16,
    /// /0/x/0, NUL-padded.
    pub uri: [u8; SERVER_URI_MAX_SIZE],
    pub uri_len: u16,
    /// /0/x/1.
    pub bootstrap_server: bool,
    /// /0/x/2.
    pub mode: SecurityMode,
    /// /0/x/10 (65535 for the Bootstrap-Server account).
    pub ssid: u16,
    /// /0/x/11.
    pub hold_off: u32,
    /// /0/x/3 (the PSK identity in PSK mode).
    #[cfg(feature = "security")]
    pub identity: [u8; IDENTITY_SIZE],
    #[cfg(feature = "security")]
    pub identity_len: u16,
    /// /0/x/5 (the PSK key in PSK mode).
    #[cfg(feature = "security")]
    pub secret: [u8; SECRET_SIZE],
    #[cfg(feature = "security")]
    pub secret_len: u16,
    /// /0/x/4 (the server's certificate or public key).
    #[cfg(feature = "security")]
    pub server_key: [u8; SERVER_KEY_SIZE],
    #[cfg(feature = "security")]
    pub server_key_len: u16,
    /// /0/x/14, NUL-terminated (empty: the host of the Server URI is used).
    #[cfg(feature = "security")]
    pub sni: [u8; SNI_SIZE + 1],
    /// /0/x/15.
    #[cfg(feature = "certificates")]
    pub cert_usage: CertificateUsage,
    /// The object's own data.
    pub ext: E,
}

impl<E: Copy> SecurityInstance<E> {
    /// An unused slot.
    pub const fn empty(ext: E) -> Self {
        Self {
            iid: IID_UNUSED,
            uri: [0; SERVER_URI_MAX_SIZE],
            uri_len: 0,
            bootstrap_server: false,
            mode: SecurityMode::NoSec,
            ssid: 0,
            hold_off: 0,
            #[cfg(feature = "security")]
            identity: [0; IDENTITY_SIZE],
            #[cfg(feature = "security")]
            identity_len: 0,
            #[cfg(feature = "security")]
            secret: [0; SECRET_SIZE],
            #[cfg(feature = "security")]
            secret_len: 0,
            #[cfg(feature = "security")]
            server_key: [0; SERVER_KEY_SIZE],
            #[cfg(feature = "security")]
            server_key_len: 0,
            #[cfg(feature = "security")]
            sni: [0; SNI_SIZE + 1],
            #[cfg(feature = "certificates")]
            cert_usage: CertificateUsage::DomainIssuedCertificate,
            ext,
        }
    }

    pub fn is_used(&self) -> bool {
        self.iid != IID_UNUSED
    }

    /// Applies one write (a Bootstrap-Server's) to resource `rid`; `None` for a value
    /// out of range or of the wrong type, or a resource that is not writable (the
    /// instance may then be half-written: the object rolls the transaction back).
    /// Without `security`, only empty credentials are taken.
    pub fn write(&mut self, rid: u16, v: &Value<'_>) -> Option<()> {
        let int = |v: &Value<'_>| match *v {
            Value::Int(i) => Some(i),
            Value::Uint(u) => i64::try_from(u).ok(),
            _ => None,
        };
        #[cfg(feature = "security")]
        fn copy_bytes(dst: &mut [u8], src: &[u8]) -> Option<u16> {
            dst.get_mut(..src.len())?.copy_from_slice(src);
            u16::try_from(src.len()).ok()
        }
        match (rid, v) {
            (rid::SERVER_URI, Value::String(u)) => {
                if u.len() >= SERVER_URI_MAX_SIZE {
                    return None;
                }
                self.uri = [0; SERVER_URI_MAX_SIZE];
                self.uri[..u.len()].copy_from_slice(u.as_bytes());
                self.uri_len = u.len() as u16;
            }
            (rid::BOOTSTRAP_SERVER, Value::Bool(b)) => self.bootstrap_server = *b,
            (rid::SECURITY_MODE, v) => self.mode = SecurityMode::from_number(int(v)?)?,
            #[cfg(feature = "security")]
            (rid::PUBLIC_KEY_OR_IDENTITY, Value::Bytes(b)) => {
                self.identity_len = copy_bytes(&mut self.identity, b)?
            }
            #[cfg(feature = "security")]
            (rid::SECRET_KEY, Value::Bytes(b)) => {
                self.secret_len = copy_bytes(&mut self.secret, b)?
            }
            #[cfg(feature = "security")]
            (rid::SERVER_PUBLIC_KEY, Value::Bytes(b)) => {
                self.server_key_len = copy_bytes(&mut self.server_key, b)?
            }
            #[cfg(feature = "security")]
            (rid::SNI, Value::String(sni)) => {
                if sni.len() > SNI_SIZE {
                    return None;
                }
                self.sni = [0; SNI_SIZE + 1];
                self.sni[..sni.len()].copy_from_slice(sni.as_bytes());
            }
            #[cfg(feature = "certificates")]
            (rid::CERTIFICATE_USAGE, v) => {
                self.cert_usage = CertificateUsage::from_number(int(v)?)?
            }
            #[cfg(not(feature = "security"))]
            (
                rid::PUBLIC_KEY_OR_IDENTITY | rid::SECRET_KEY | rid::SERVER_PUBLIC_KEY,
                Value::Bytes(b),
            ) if b.is_empty() => {}
            (rid::SSID, v) => self.ssid = u16::try_from(int(v)?).ok()?,
            (rid::CLIENT_HOLD_OFF_TIME, v) => self.hold_off = u32::try_from(int(v)?).ok()?,
            _ => return None,
        }
        Some(())
    }
}

/// Whether a set of instances (unused slots included) is one the object could have
/// been given: at least one instance, unique instance IDs, a non-empty Server URI
/// without NUL and NUL-padded, at most one Bootstrap-Server account (SSID 65535),
/// unique SSIDs 1..65534 for the others, modes this build takes, credential lengths
/// within their buffers and a NUL-padded SNI.
pub fn set_valid<E: Copy>(data: &[SecurityInstance<E>]) -> bool {
    let used = || data.iter().filter(|d| d.is_used());
    if used().count() == 0 || used().filter(|d| d.bootstrap_server).count() > 1 {
        return false;
    }
    for (i, d) in used().enumerate() {
        let uri_len = d.uri_len as usize;
        let uri_ok = uri_len > 0
            && uri_len < SERVER_URI_MAX_SIZE
            && !d.uri[..uri_len].contains(&0)
            && d.uri[uri_len..].iter().all(|&b| b == 0);
        let ssid_ok = if d.bootstrap_server {
            d.ssid == u16::MAX
        } else {
            d.ssid != 0 && d.ssid != u16::MAX
        };
        let dup = used().skip(i + 1).any(|o| {
            o.iid == d.iid || (!d.bootstrap_server && !o.bootstrap_server && o.ssid == d.ssid)
        });
        if !uri_ok || !ssid_ok || dup || !d.mode.available() {
            return false;
        }
        #[cfg(feature = "security")]
        {
            let sni_len = d.sni.iter().position(|&b| b == 0);
            let ok = d.identity_len as usize <= IDENTITY_SIZE
                && d.secret_len as usize <= SECRET_SIZE
                && d.server_key_len as usize <= SERVER_KEY_SIZE
                && sni_len.is_some_and(|n| d.sni[n..].iter().all(|&b| b == 0));
            if !ok {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(iid: u16, ssid: u16, bs: bool) -> SecurityInstance<()> {
        let mut d = SecurityInstance::empty(());
        d.iid = iid;
        d.ssid = ssid;
        d.bootstrap_server = bs;
        d.uri[..13].copy_from_slice(b"coap://a:5683");
        d.uri_len = 13;
        d
    }

    #[test]
    fn writes() {
        let mut d = inst(0, 1, false);
        d.write(rid::SERVER_URI, &Value::String("coaps://b"))
            .unwrap();
        assert_eq!(&d.uri[..10], b"coaps://b\0");
        assert_eq!(d.uri_len, 9);
        assert!(d
            .write(rid::SERVER_URI, &Value::String(&"u".repeat(256)))
            .is_none());
        d.write(rid::SECURITY_MODE, &Value::Uint(3)).unwrap();
        assert!(d.write(rid::SECURITY_MODE, &Value::Int(5)).is_none());
        d.write(rid::SSID, &Value::Int(65535)).unwrap();
        assert!(d.write(rid::SSID, &Value::Int(65536)).is_none());
        d.write(rid::CLIENT_HOLD_OFF_TIME, &Value::Int(7)).unwrap();
        assert!(d
            .write(rid::CLIENT_HOLD_OFF_TIME, &Value::Int(-1))
            .is_none());
        d.write(rid::BOOTSTRAP_SERVER, &Value::Bool(true)).unwrap();
        assert!(d.write(rid::BOOTSTRAP_SERVER, &Value::Int(1)).is_none());
        assert_eq!((d.ssid, d.hold_off, d.bootstrap_server), (65535, 7, true));
        assert!(
            d.write(rid::SECRET_KEY, &Value::Bytes(&[])).is_some(),
            "an empty credential is always taken"
        );
        assert_eq!(
            d.write(rid::SECRET_KEY, &Value::Bytes(&[1, 2])).is_some(),
            cfg!(feature = "security")
        );
        #[cfg(feature = "security")]
        {
            assert_eq!(&d.secret[..d.secret_len as usize], &[1, 2]);
            assert!(d
                .write(rid::SNI, &Value::String(&"s".repeat(SNI_SIZE + 1)))
                .is_none());
        }
        assert!(d.write(99, &Value::Int(0)).is_none());
    }

    #[test]
    fn numbers() {
        assert_eq!(SecurityMode::from_number(3), Some(SecurityMode::NoSec));
        assert_eq!(SecurityMode::from_number(5), None);
        assert_eq!(SecurityMode::Psk.available(), cfg!(feature = "security"));
        #[cfg(feature = "certificates")]
        assert_eq!(CertificateUsage::from_number(4), None);
    }

    #[test]
    fn set_checks() {
        let empty = SecurityInstance::empty(());
        assert!(!set_valid(&[empty, empty]), "no instance");
        assert!(set_valid(&[inst(0, 1, false), empty]));
        assert!(set_valid(&[inst(0, 1, false), inst(1, u16::MAX, true)]));
        assert!(
            !set_valid(&[inst(0, 1, false), inst(0, 2, false)]),
            "same IID"
        );
        assert!(
            !set_valid(&[inst(0, 1, false), inst(1, 1, false)]),
            "same SSID"
        );
        assert!(!set_valid(&[
            inst(0, u16::MAX, true),
            inst(1, u16::MAX, true)
        ]));
        assert!(!set_valid(&[inst(0, 0, false)]), "SSID 0");
        assert!(!set_valid(&[inst(0, 5, true)]), "Bootstrap-Server SSID");
        let mut d = inst(0, 1, false);
        d.uri[2] = 0;
        assert!(!set_valid(&[d]), "NUL in the URI");
        let mut d = inst(0, 1, false);
        d.uri[20] = b'x';
        assert!(!set_valid(&[d]), "bytes after the URI");
        let mut d = inst(0, 1, false);
        d.mode = SecurityMode::Psk;
        assert_eq!(set_valid(&[d]), cfg!(feature = "security"));
    }
}
