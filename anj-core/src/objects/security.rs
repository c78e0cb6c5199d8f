//! The built-in Security object (/0, LwM2M 1.1 TS Core Appendix E.1): one instance's
//! resources ([`SecurityInstance`]), the checks a set of instances must pass
//! ([`set_valid`]), and the object itself ([`SecurityObject`]), which implements
//! [`Object`]: reads, the Bootstrap-Server's writes (chunked credentials included),
//! instance create / delete / reset, and transactions with rollback.
//!
//! Credentials may live in an external store instead of the object: an instance then
//! keeps the store's references ([`StoredRefs`]), and [`SecurityObject::offload`] /
//! [`SecurityObject::offload_after_bootstrap`] move written bytes into the store through
//! a [`CredentialStore`] the owner implements.

#[cfg(feature = "security")]
use crate::config;
use crate::dm::object::{Object, ResKind, Resource, WriteValue};
use crate::dm::{DmError, DmResult};
use crate::io::value::{DataType, Value};

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

/* --------------------------------- the object --------------------------------- */

/// The Object ID.
pub const OID: u16 = 0;
/// The object version the client reports.
pub const VERSION: &str = "1.0";

/// How many resources an instance has: /0/x/14 (SNI) with `security`, /0/x/15
/// (Certificate Usage) with `certificates` (which needs `security`).
pub const RESOURCE_COUNT: usize =
    8 + cfg!(feature = "security") as usize + cfg!(feature = "certificates") as usize;

/// The resources of an instance, by ascending RID (all readable and writable: only the
/// Bootstrap-Server reaches the object).
pub const RESOURCES: [Resource; RESOURCE_COUNT] = {
    use rid::*;
    use DataType as T;
    use ResKind::RW;
    let all = [
        Resource::new(SERVER_URI, RW, T::String),
        Resource::new(BOOTSTRAP_SERVER, RW, T::Bool),
        Resource::new(SECURITY_MODE, RW, T::Int),
        Resource::new(PUBLIC_KEY_OR_IDENTITY, RW, T::Bytes),
        Resource::new(SERVER_PUBLIC_KEY, RW, T::Bytes),
        Resource::new(SECRET_KEY, RW, T::Bytes),
        Resource::new(SSID, RW, T::Int),
        Resource::new(CLIENT_HOLD_OFF_TIME, RW, T::Int),
        Resource::new(SNI, RW, T::String),
        Resource::new(CERTIFICATE_USAGE, RW, T::Int),
    ];
    let mut out = [all[0]; RESOURCE_COUNT];
    let mut i = 0;
    while i < RESOURCE_COUNT {
        out[i] = all[i];
        i += 1;
    }
    out
};

/// One of the credential resources an external store may hold instead of the object.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Credential {
    /// /0/x/3, Public Key or Identity.
    Identity = 0,
    /// /0/x/4, Server Public Key.
    ServerKey = 1,
    /// /0/x/5, Secret Key.
    Secret = 2,
}

impl Credential {
    /// The three, in the order of [`StoredRefs`].
    pub const ALL: [Credential; 3] = [Self::Identity, Self::ServerKey, Self::Secret];

    /// The credential resource `rid` names.
    pub fn of_rid(rid: u16) -> Option<Self> {
        match rid {
            rid::PUBLIC_KEY_OR_IDENTITY => Some(Self::Identity),
            rid::SERVER_PUBLIC_KEY => Some(Self::ServerKey),
            rid::SECRET_KEY => Some(Self::Secret),
            _ => None,
        }
    }
}

/// What an instance keeps beside its resources ([`SecurityInstance::ext`]): `()` when
/// the object holds every credential itself, [`StoredRefs`] with an external store.
pub trait InstanceExt: Copy {
    /// Credential `c` was written (as bytes): a reference held for it is stale.
    fn credential_written(&mut self, c: Credential);
}

impl InstanceExt for () {
    fn credential_written(&mut self, _: Credential) {}
}

/// References of the credentials kept in an external store (by [`Credential`] index;
/// `None`: the object holds the bytes, or the credential is empty). `R` is the store's
/// reference, chosen by whoever implements the [`CredentialStore`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct StoredRefs<R: Copy + PartialEq>(pub [Option<R>; 3]);

impl<R: Copy + PartialEq> StoredRefs<R> {
    /// No credential in the store.
    pub const NONE: Self = StoredRefs([None; 3]);

    /// The reference of credential `c`.
    pub fn get(&self, c: Credential) -> Option<R> {
        self.0[c as usize]
    }
}

impl<R: Copy + PartialEq> InstanceExt for StoredRefs<R> {
    fn credential_written(&mut self, c: Credential) {
        self.0[c as usize] = None;
    }
}

/// The build- or platform-dependent rules a transaction's result must satisfy
/// ([`Object::transaction_validate`]).
pub trait Policy {
    /// Whether the client can connect with Security Mode `mode`.
    fn mode_usable(&self, mode: SecurityMode) -> bool;
    /// Whether the client can connect to Server URI `uri`.
    fn uri_usable(&self, uri: &str) -> bool;
}

/// The rules of a core-only client: NoSec, PSK with `security`, Certificate with
/// `certificates`; `coap://` and `coaps://` URIs as the downloader parses them.
#[derive(Clone, Copy, Debug, Default)]
pub struct DefaultPolicy;

impl Policy for DefaultPolicy {
    fn mode_usable(&self, mode: SecurityMode) -> bool {
        mode == SecurityMode::NoSec
            || (mode == SecurityMode::Psk && cfg!(feature = "security"))
            || (mode == SecurityMode::Certificate && cfg!(feature = "certificates"))
    }

    fn uri_usable(&self, uri: &str) -> bool {
        crate::download::Uri::parse(uri.as_bytes(), usize::MAX).is_ok()
    }
}

/// Why [`SecurityObject::add_instance`] refused an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddError {
    /// Every slot is used.
    Full,
    /// Empty or too long Server URI, IID 65535 or taken, SSID 0 or 65535 for an LwM2M
    /// Server, a second Bootstrap-Server account, or an SSID another account has.
    Invalid,
    /// A Security Mode this build does not have ([`SecurityMode::available`]).
    Mode,
}

/// The Security object: up to `N` instances, and with `B == N` the copy a transaction
/// rolls back to. `B` is `N` when the Bootstrap-Server may change the object (writes,
/// creates, deletes) and 0 for an object only the application sets up (then every
/// change through [`Object`] is refused with 4.05). `E` is what each instance keeps
/// beside its resources ([`InstanceExt`]); `P` the rules a transaction's result must
/// satisfy.
#[derive(Clone, Copy)]
pub struct SecurityObject<
    const N: usize,
    const B: usize,
    E: InstanceExt = (),
    P: Policy = DefaultPolicy,
> {
    /// Sorted by IID, unused slots ([`IID_UNUSED`]) last.
    data: [SecurityInstance<E>; N],
    /// `data` when the last transaction began.
    backup: [SecurityInstance<E>; B],
    /// What a new instance's `ext` starts as.
    no_ext: E,
    policy: P,
}

impl<const N: usize, const B: usize, E: InstanceExt, P: Policy> SecurityObject<N, B, E, P> {
    const BACKUP_SIZE_OK: () = assert!(B == 0 || B == N, "B is 0 or N");

    /// An object without instances; `no_ext` is the `ext` of an instance that holds its
    /// credentials itself.
    pub const fn new(no_ext: E, policy: P) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::BACKUP_SIZE_OK;
        SecurityObject {
            data: [SecurityInstance::empty(no_ext); N],
            backup: [SecurityInstance::empty(no_ext); B],
            no_ext,
            policy,
        }
    }

    /// Whether the Bootstrap-Server may change the object.
    pub const fn writable(&self) -> bool {
        B != 0
    }

    /// The instance slots: used ones by ascending IID, then the unused ones
    /// ([`IID_UNUSED`]).
    pub fn instances(&self) -> &[SecurityInstance<E>; N] {
        &self.data
    }

    /// Instance `iid`.
    pub fn instance(&self, iid: u16) -> Option<&SecurityInstance<E>> {
        self.data.iter().find(|d| d.is_used() && d.iid == iid)
    }

    fn instance_mut(&mut self, iid: u16) -> Option<&mut SecurityInstance<E>> {
        self.data.iter_mut().find(|d| d.is_used() && d.iid == iid)
    }

    /// Replaces every instance without checks (a restore of what was checked with
    /// [`set_valid`]).
    pub fn set_instances(&mut self, data: [SecurityInstance<E>; N]) {
        self.data = data;
        self.sort();
    }

    fn sort(&mut self) {
        self.data.sort_unstable_by_key(|d| d.iid);
    }

    /// Adds the instance the application describes as instance `iid` (`None`: the
    /// lowest free IID), after checking it against itself and the instances already
    /// there. A Bootstrap-Server account gets SSID 65535.
    pub fn add_instance(
        &mut self,
        mut d: SecurityInstance<E>,
        iid: Option<u16>,
    ) -> Result<(), AddError> {
        let Some(slot) = self.data.iter().position(|d| !d.is_used()) else {
            return Err(AddError::Full);
        };
        d.iid = iid.unwrap_or_else(|| {
            (0..IID_UNUSED)
                .find(|i| self.instance(*i).is_none())
                .unwrap_or(IID_UNUSED)
        });
        let used = || self.data.iter().filter(|o| o.is_used());
        let ssid_ok = d.bootstrap_server || (d.ssid != 0 && d.ssid != u16::MAX);
        let uri_len = usize::from(d.uri_len);
        if uri_len == 0
            || uri_len >= SERVER_URI_MAX_SIZE
            || !d.is_used()
            || !ssid_ok
            || self.instance(d.iid).is_some()
            || (d.bootstrap_server && used().any(|o| o.bootstrap_server))
            || (!d.bootstrap_server && used().any(|o| !o.bootstrap_server && o.ssid == d.ssid))
        {
            return Err(AddError::Invalid);
        }
        if !d.mode.available() {
            return Err(AddError::Mode);
        }
        if d.bootstrap_server {
            d.ssid = u16::MAX;
        }
        self.data[slot] = d;
        self.sort();
        Ok(())
    }

    /// The value of resource `rid` of instance `iid`.
    pub fn read_resource(&self, iid: u16, rid: u16) -> DmResult<Value<'_>> {
        let d = self.instance(iid).ok_or(DmError::NOT_FOUND)?;
        Ok(match rid {
            rid::SERVER_URI => {
                Value::String(core::str::from_utf8(&d.uri[..usize::from(d.uri_len)]).unwrap_or(""))
            }
            rid::BOOTSTRAP_SERVER => Value::Bool(d.bootstrap_server),
            rid::SECURITY_MODE => Value::Int(d.mode as i64),
            #[cfg(feature = "security")]
            rid::PUBLIC_KEY_OR_IDENTITY => Value::Bytes(&d.identity[..usize::from(d.identity_len)]),
            #[cfg(feature = "security")]
            rid::SECRET_KEY => Value::Bytes(&d.secret[..usize::from(d.secret_len)]),
            #[cfg(feature = "security")]
            rid::SERVER_PUBLIC_KEY => Value::Bytes(&d.server_key[..usize::from(d.server_key_len)]),
            #[cfg(feature = "security")]
            rid::SNI => {
                let len = d.sni.iter().position(|&b| b == 0).unwrap_or(0);
                Value::String(core::str::from_utf8(&d.sni[..len]).unwrap_or(""))
            }
            #[cfg(feature = "certificates")]
            rid::CERTIFICATE_USAGE => Value::Int(d.cert_usage as i64),
            #[cfg(not(feature = "security"))]
            rid::PUBLIC_KEY_OR_IDENTITY | rid::SECRET_KEY | rid::SERVER_PUBLIC_KEY => {
                Value::Bytes(&[])
            }
            rid::SSID => Value::Int(d.ssid.into()),
            rid::CLIENT_HOLD_OFF_TIME => Value::Int(d.hold_off.into()),
            _ => return Err(DmError::NOT_FOUND),
        })
    }

    /// Writes resource `rid` of instance `iid` (the Bootstrap-Server's write): a whole
    /// value, or one chunk of a credential (/0/x/3, /0/x/4, /0/x/5) that arrives in
    /// blocks. 4.00 for a value out of range, too long, of the wrong type, or a chunk
    /// out of order; writing a credential forgets its external reference.
    pub fn write_resource(&mut self, iid: u16, rid: u16, value: &WriteValue<'_>) -> DmResult<()> {
        if !self.writable() {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        let d = self.instance_mut(iid).ok_or(DmError::NOT_FOUND)?;
        let done = match *value {
            #[cfg(feature = "security")]
            WriteValue::Chunk {
                text: false,
                data,
                offset,
                full_len,
            } => d.write_chunk(rid, data, offset, full_len),
            _ => d.write(rid, &super::server::whole_value(value)),
        };
        done.ok_or(DmError::BAD_REQUEST)?;
        if let Some(c) = Credential::of_rid(rid) {
            d.ext.credential_written(c);
        }
        Ok(())
    }

    /// Whether the instances are a configuration the client can use: a usable Server
    /// URI and Security Mode ([`Policy`]) for each, distinct SSIDs in 1..=65534 for the
    /// LwM2M Servers, at most one Bootstrap-Server account.
    pub fn valid(&self) -> bool {
        let used = || self.data.iter().filter(|d| d.is_used());
        if used().filter(|d| d.bootstrap_server).count() > 1 {
            return false;
        }
        used().all(|d| {
            let uri = core::str::from_utf8(&d.uri[..usize::from(d.uri_len)]).unwrap_or("");
            let ssid_ok = d.bootstrap_server
                || (d.ssid != 0
                    && d.ssid != u16::MAX
                    && used()
                        .filter(|o| !o.bootstrap_server && o.ssid == d.ssid)
                        .count()
                        == 1);
            self.policy.mode_usable(d.mode) && ssid_ok && self.policy.uri_usable(uri)
        })
    }
}

#[cfg(feature = "security")]
impl<E: Copy> SecurityInstance<E> {
    /// The buffer and length of credential `rid`.
    fn credential_mut(&mut self, rid: u16) -> Option<(&mut [u8], &mut u16)> {
        Some(match Credential::of_rid(rid)? {
            Credential::Identity => (&mut self.identity[..], &mut self.identity_len),
            Credential::ServerKey => (&mut self.server_key[..], &mut self.server_key_len),
            Credential::Secret => (&mut self.secret[..], &mut self.secret_len),
        })
    }

    /// Writes one chunk of an Opaque value: credentials are written at `offset` (the
    /// chunks in order, the first at 0), others must be whole (one chunk with its full
    /// length). `None` for a chunk out of order, or a value too long.
    fn write_chunk(
        &mut self,
        rid: u16,
        data: &[u8],
        offset: usize,
        full_len: Option<usize>,
    ) -> Option<()> {
        let Some((buf, len)) = self.credential_mut(rid) else {
            return self.write(
                rid,
                &super::server::whole_value(&WriteValue::Chunk {
                    text: false,
                    data,
                    offset,
                    full_len,
                }),
            );
        };
        if offset != 0 && offset != usize::from(*len) {
            return None;
        }
        let end = offset.checked_add(data.len())?;
        if full_len.is_some_and(|n| n != end) {
            return None;
        }
        buf.get_mut(offset..end)?.copy_from_slice(data);
        *len = u16::try_from(end).ok()?;
        Some(())
    }
}

impl<const N: usize, const B: usize, E: InstanceExt, P: Policy> Object
    for SecurityObject<N, B, E, P>
{
    fn oid(&self) -> u16 {
        OID
    }

    fn version(&self) -> Option<&str> {
        Some(VERSION)
    }

    fn instance_id(&self, index: usize) -> Option<u16> {
        self.data.get(index).filter(|d| d.is_used()).map(|d| d.iid)
    }

    fn max_instances(&self) -> u16 {
        N as u16
    }

    fn resource(&self, iid: u16, index: usize) -> Option<Resource> {
        self.instance(iid)?;
        RESOURCES.get(index).copied()
    }

    fn read(&mut self, iid: u16, res: &Resource, _riid: Option<u16>) -> DmResult<Value<'_>> {
        self.read_resource(iid, res.rid)
    }

    fn write(
        &mut self,
        iid: u16,
        rid: u16,
        _riid: Option<u16>,
        value: &WriteValue<'_>,
    ) -> DmResult<()> {
        self.write_resource(iid, rid, value)
    }

    fn can_create_instances(&self) -> bool {
        self.writable()
    }

    fn create_instance(&mut self, iid: u16) -> DmResult<()> {
        if !self.writable() {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        if iid == IID_UNUSED || self.instance(iid).is_some() {
            return Err(DmError::BAD_REQUEST);
        }
        let no_ext = self.no_ext;
        let slot = self
            .data
            .iter_mut()
            .find(|d| !d.is_used())
            .ok_or(DmError::INTERNAL)?;
        *slot = SecurityInstance::empty(no_ext);
        slot.iid = iid;
        self.sort();
        Ok(())
    }

    fn can_delete_instances(&self) -> bool {
        self.writable()
    }

    fn delete_instance(&mut self, iid: u16) -> DmResult<()> {
        if !self.writable() {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        let no_ext = self.no_ext;
        let d = self.instance_mut(iid).ok_or(DmError::NOT_FOUND)?;
        *d = SecurityInstance::empty(no_ext);
        self.sort();
        Ok(())
    }

    fn reset_instance(&mut self, iid: u16) -> DmResult<()> {
        if !self.writable() {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        let no_ext = self.no_ext;
        let d = self.instance_mut(iid).ok_or(DmError::NOT_FOUND)?;
        *d = SecurityInstance::empty(no_ext);
        d.iid = iid;
        Ok(())
    }

    fn transaction_begin(&mut self) -> DmResult<()> {
        if let Ok(b) = <&mut [_; N]>::try_from(&mut self.backup[..]) {
            *b = self.data;
        }
        Ok(())
    }

    fn transaction_validate(&mut self) -> DmResult<()> {
        if self.valid() {
            Ok(())
        } else {
            Err(DmError::BAD_REQUEST)
        }
    }

    fn transaction_end(&mut self, success: bool) {
        if success {
            return;
        }
        if let Ok(b) = <&[_; N]>::try_from(&self.backup[..]) {
            self.data = *b;
            self.sort();
        }
    }
}

/* ------------------------- credentials in an external store ------------------------- */

/// What a credential is, for the store that keeps it.
#[cfg(feature = "security")]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RecordKind {
    PskIdentity,
    PskKey,
    CertificateChain,
    PrivateKey,
}

/// An external store of credentials (a secure element, a key store): the owner of a
/// [`SecurityObject`] with [`StoredRefs`] implements it.
#[cfg(feature = "security")]
pub trait CredentialStore {
    /// The store's reference of a record.
    type Ref: Copy + PartialEq;
    /// Stores `bytes` as a new record of kind `kind`; its reference, `None` on failure.
    fn create_record(&mut self, kind: RecordKind, bytes: &[u8]) -> Option<Self::Ref>;
    /// Removes record `r` (`kind` as far as the caller knows it).
    fn delete_record(&mut self, kind: RecordKind, r: Self::Ref);
    /// Overwrites `buf` with zeros in a way the compiler keeps.
    fn zeroize(&mut self, buf: &mut [u8]);
}

/// [`SecurityObject::offload`] failed for instance `iid`: its records made so far were
/// removed again and it keeps its bytes.
#[cfg(feature = "security")]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct OffloadError {
    pub iid: u16,
}

#[cfg(feature = "security")]
impl<const N: usize, const B: usize, R: Copy + PartialEq, P: Policy>
    SecurityObject<N, B, StoredRefs<R>, P>
{
    /// Moves the credentials the instances hold as bytes into `store`, keeping only the
    /// references and wiping the bytes. On a failure the records made for that instance
    /// are deleted, it keeps its bytes, and the instances after it are not visited.
    pub fn offload<S: CredentialStore<Ref = R>>(
        &mut self,
        store: &mut S,
    ) -> Result<(), OffloadError> {
        for d in self.data.iter_mut().filter(|d| d.is_used()) {
            let psk = d.mode == SecurityMode::Psk;
            let kinds = [
                if psk {
                    RecordKind::PskIdentity
                } else {
                    RecordKind::CertificateChain
                },
                RecordKind::CertificateChain,
                if psk {
                    RecordKind::PskKey
                } else {
                    RecordKind::PrivateKey
                },
            ];
            let mut made: [Option<R>; 3] = [None; 3];
            for c in Credential::ALL {
                let i = c as usize;
                if d.ext.0[i].is_some() {
                    continue;
                }
                let Some((buf, len)) = d.credential_mut(c.rid()) else {
                    continue;
                };
                if *len == 0 {
                    continue;
                }
                match store.create_record(kinds[i], &buf[..usize::from(*len)]) {
                    Some(r) => made[i] = Some(r),
                    None => {
                        for (i, r) in made.iter().enumerate() {
                            if let Some(r) = *r {
                                store.delete_record(kinds[i], r);
                            }
                        }
                        return Err(OffloadError { iid: d.iid });
                    }
                }
            }
            for c in Credential::ALL {
                let Some(r) = made[c as usize] else { continue };
                d.ext.0[c as usize] = Some(r);
                if let Some((buf, len)) = d.credential_mut(c.rid()) {
                    store.zeroize(buf);
                    *len = 0;
                }
            }
        }
        Ok(())
    }
}

#[cfg(feature = "security")]
impl<const N: usize, R: Copy + PartialEq, P: Policy> SecurityObject<N, N, StoredRefs<R>, P> {
    /// After a successful Bootstrap-Finish: the records of credentials the session
    /// (since the last transaction began) replaced or deleted are removed from `store`,
    /// and the credentials it wrote as bytes move into it ([`SecurityObject::offload`]).
    /// The result is where later sessions start from.
    pub fn offload_after_bootstrap<S: CredentialStore<Ref = R>>(
        &mut self,
        store: &mut S,
    ) -> Result<(), OffloadError> {
        for old in self.backup.iter().filter(|d| d.is_used()) {
            for r in old.ext.0.iter().flatten() {
                let kept = self
                    .data
                    .iter()
                    .any(|d| d.is_used() && d.ext.0.contains(&Some(*r)));
                if !kept {
                    // Which kind the record was made as is not kept; the store gets
                    // the reference to remove.
                    store.delete_record(RecordKind::CertificateChain, *r);
                }
            }
        }
        let result = self.offload(store);
        self.backup = self.data;
        result
    }
}

#[cfg(feature = "security")]
impl Credential {
    /// The resource ID.
    pub const fn rid(self) -> u16 {
        match self {
            Self::Identity => rid::PUBLIC_KEY_OR_IDENTITY,
            Self::ServerKey => rid::SERVER_PUBLIC_KEY,
            Self::Secret => rid::SECRET_KEY,
        }
    }
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

    /* ------------------------------ the object ------------------------------ */

    use crate::dm::ops::{self, WriteKind};
    use crate::io::value::Path;

    /// Accepts `coap://` URIs only, and NoSec / PSK (whatever the build).
    struct TestPolicy;
    impl Policy for TestPolicy {
        fn mode_usable(&self, mode: SecurityMode) -> bool {
            matches!(mode, SecurityMode::NoSec | SecurityMode::Psk)
        }
        fn uri_usable(&self, uri: &str) -> bool {
            uri.starts_with("coap://") && uri.len() > 7
        }
    }

    type Obj = SecurityObject<2, 2, (), TestPolicy>;

    fn with_uri(iid: u16, ssid: u16, bs: bool, uri: &str) -> SecurityInstance<()> {
        let mut d = SecurityInstance::empty(());
        d.iid = iid;
        d.ssid = ssid;
        d.bootstrap_server = bs;
        d.write(rid::SERVER_URI, &Value::String(uri)).unwrap();
        d
    }

    fn object() -> Obj {
        let mut o = Obj::new((), TestPolicy);
        o.add_instance(with_uri(IID_UNUSED, 0, true, "coap://bs"), None)
            .unwrap();
        o.add_instance(with_uri(5, 7, false, "coap://dm"), Some(5))
            .unwrap();
        o
    }

    fn bs_write(o: &mut Obj, iid: u16, rid: u16, v: WriteValue<'_>) -> DmResult<()> {
        let path = Path::new(&[OID, iid, rid]);
        ops::write_entry(o, &Path::new(&[OID, iid]), &path, &v, WriteKind::Bootstrap)
    }

    #[test]
    fn add_instance_checks_what_the_application_gives() {
        let mut o = Obj::new((), TestPolicy);
        assert_eq!(
            o.add_instance(with_uri(0, 1, false, ""), Some(0)),
            Err(AddError::Invalid),
            "no URI"
        );
        assert_eq!(
            o.add_instance(with_uri(0, 0, false, "coap://a"), Some(0)),
            Err(AddError::Invalid),
            "SSID 0"
        );
        assert_eq!(
            o.add_instance(with_uri(0, 1, false, "coap://a"), Some(IID_UNUSED)),
            Err(AddError::Invalid),
            "IID 65535"
        );
        o.add_instance(with_uri(IID_UNUSED, 3, true, "coap://a"), None)
            .unwrap();
        assert_eq!(o.instance(0).map(|d| d.ssid), Some(u16::MAX), "lowest IID");
        assert_eq!(
            o.add_instance(with_uri(1, 3, true, "coap://b"), Some(1)),
            Err(AddError::Invalid),
            "second Bootstrap-Server"
        );
        assert_eq!(
            o.add_instance(with_uri(0, 3, false, "coap://b"), Some(0)),
            Err(AddError::Invalid),
            "IID taken"
        );
        let mut psk = with_uri(4, 3, false, "coap://b");
        psk.mode = SecurityMode::Psk;
        assert_eq!(
            o.add_instance(psk, Some(4)),
            if cfg!(feature = "security") {
                Ok(())
            } else {
                Err(AddError::Mode)
            }
        );
        o.add_instance(with_uri(2, 9, false, "coap://c"), Some(2))
            .ok();
        assert_eq!(
            o.add_instance(with_uri(3, 9, false, "coap://c"), Some(3)),
            Err(AddError::Full)
        );
    }

    #[test]
    fn reads_through_the_dm_operations() {
        let mut o = object();
        let p = |iid, rid| Path::new(&[OID, iid, rid]);
        assert_eq!(o.instance_id(0), Some(0));
        assert_eq!(o.instance_id(1), Some(5));
        assert_eq!(o.instance_id(2), None);
        assert_eq!(
            ops::read_value(&mut o, &p(5, rid::SERVER_URI)),
            Ok(Value::String("coap://dm"))
        );
        assert_eq!(
            ops::read_value(&mut o, &p(0, rid::BOOTSTRAP_SERVER)),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            ops::read_value(&mut o, &p(0, rid::SSID)),
            Ok(Value::Int(65535))
        );
        assert_eq!(
            ops::read_value(&mut o, &p(5, rid::SECURITY_MODE)),
            Ok(Value::Int(3))
        );
        assert_eq!(
            ops::read_value(&mut o, &p(5, rid::SECRET_KEY)),
            Ok(Value::Bytes(&[]))
        );
        assert_eq!(
            ops::read_value(&mut o, &p(4, rid::SSID)),
            Err(DmError::NOT_FOUND)
        );
        assert_eq!(ops::read_value(&mut o, &p(5, 9)), Err(DmError::NOT_FOUND));
        assert_eq!(
            o.resource(5, RESOURCE_COUNT - 1).map(|r| r.rid),
            Some(if cfg!(feature = "certificates") {
                rid::CERTIFICATE_USAGE
            } else if cfg!(feature = "security") {
                rid::SNI
            } else {
                rid::CLIENT_HOLD_OFF_TIME
            })
        );
    }

    #[test]
    fn bootstrap_writes_and_plain_writes() {
        let mut o = object();
        o.transaction_begin().unwrap();
        bs_write(
            &mut o,
            5,
            rid::SERVER_URI,
            WriteValue::Whole(Value::String("coap://new")),
        )
        .unwrap();
        bs_write(&mut o, 5, rid::SSID, WriteValue::Whole(Value::Int(8))).unwrap();
        assert_eq!(
            bs_write(&mut o, 5, rid::SSID, WriteValue::Whole(Value::Int(-1))),
            Err(DmError::BAD_REQUEST)
        );
        assert_eq!(
            bs_write(&mut o, 5, rid::SSID, WriteValue::Whole(Value::Bool(true))),
            Err(DmError::BAD_REQUEST),
            "wrong type"
        );
        assert_eq!(o.transaction_validate(), Ok(()));
        o.transaction_end(true);
        let d = o.instance(5).unwrap();
        assert_eq!((&d.uri[..10], d.ssid), (&b"coap://new"[..], 8));
        // An object the Bootstrap-Server may not change refuses every change.
        let mut ro = SecurityObject::<1, 0, (), TestPolicy>::new((), TestPolicy);
        ro.add_instance(with_uri(0, 1, false, "coap://a"), Some(0))
            .unwrap();
        let path = Path::new(&[OID, 0, rid::SSID]);
        let two = WriteValue::Whole(Value::Int(2));
        assert_eq!(
            ops::write_entry(&mut ro, &path, &path, &two, WriteKind::Bootstrap),
            Err(DmError::METHOD_NOT_ALLOWED)
        );
        assert!(!ro.can_create_instances() && !ro.can_delete_instances());
        assert_eq!(ro.delete_instance(0), Err(DmError::METHOD_NOT_ALLOWED));
        assert_eq!(ro.instance(0).map(|d| d.ssid), Some(1));
    }

    #[test]
    fn credentials_are_written_whole_or_in_chunks() {
        let mut o = object();
        let chunk = |data, offset, full_len| WriteValue::Chunk {
            text: false,
            data,
            offset,
            full_len,
        };
        let r = bs_write(&mut o, 5, rid::SECRET_KEY, chunk(b"abc", 0, None));
        #[cfg(feature = "security")]
        {
            r.unwrap();
            bs_write(&mut o, 5, rid::SECRET_KEY, chunk(b"de", 3, Some(5))).unwrap();
            let p = Path::new(&[OID, 5, rid::SECRET_KEY]);
            assert_eq!(ops::read_value(&mut o, &p), Ok(Value::Bytes(b"abcde")));
            assert_eq!(
                bs_write(&mut o, 5, rid::SECRET_KEY, chunk(b"x", 9, None)),
                Err(DmError::BAD_REQUEST),
                "out of order"
            );
            let big = [7u8; SECRET_SIZE + 1];
            assert_eq!(
                bs_write(&mut o, 5, rid::SECRET_KEY, chunk(&big[..], 0, None)),
                Err(DmError::BAD_REQUEST),
                "too long"
            );
            bs_write(
                &mut o,
                5,
                rid::PUBLIC_KEY_OR_IDENTITY,
                WriteValue::Whole(Value::Bytes(b"id")),
            )
            .unwrap();
            let p = Path::new(&[OID, 5, rid::PUBLIC_KEY_OR_IDENTITY]);
            assert_eq!(ops::read_value(&mut o, &p), Ok(Value::Bytes(b"id")));
        }
        #[cfg(not(feature = "security"))]
        assert_eq!(r, Err(DmError::BAD_REQUEST));
        // A String in pieces is refused; whole in one chunk it is taken.
        let text = |data, full_len| WriteValue::Chunk {
            text: true,
            data,
            offset: 0,
            full_len,
        };
        assert_eq!(
            bs_write(&mut o, 5, rid::SERVER_URI, text(b"coap://x", None)),
            Err(DmError::BAD_REQUEST)
        );
        bs_write(&mut o, 5, rid::SERVER_URI, text(b"coap://x", Some(8))).unwrap();
        assert_eq!(o.instance(5).map(|d| d.uri_len), Some(8));
    }

    #[test]
    fn create_and_delete_keep_the_instances_in_order() {
        let mut o = Obj::new((), TestPolicy);
        o.add_instance(with_uri(4, 1, false, "coap://a"), Some(4))
            .unwrap();
        assert_eq!(ops::create_instance(&mut o, 2), Ok(()));
        assert_eq!(o.instance_id(0), Some(2));
        assert_eq!(o.instance_id(1), Some(4));
        assert_eq!(o.instance(2).map(|d| d.uri_len), Some(0), "defaults");
        assert_eq!(o.create_instance(3), Err(DmError::INTERNAL), "no room");
        assert_eq!(o.create_instance(4), Err(DmError::BAD_REQUEST), "exists");
        assert_eq!(ops::delete(&mut o, &Path::new(&[OID, 2])), Ok(()));
        assert_eq!(o.instance_id(0), Some(4));
        assert_eq!(o.instance_id(1), None);
        assert_eq!(o.delete_instance(2), Err(DmError::NOT_FOUND));
        o.reset_instance(4).unwrap();
        assert_eq!(o.instance(4).map(|d| (d.uri_len, d.ssid)), Some((0, 0)));
        assert_eq!(o.reset_instance(1), Err(DmError::NOT_FOUND));
    }

    #[test]
    fn a_failed_validation_rolls_back() {
        let mut o = object();
        o.transaction_begin().unwrap();
        ops::delete(&mut o, &Path::new(&[OID, 0])).unwrap();
        ops::create_instance(&mut o, 1).unwrap();
        // Instance 1 has no URI and SSID 0; 5's URI is not usable.
        assert_eq!(o.transaction_validate(), Err(DmError::BAD_REQUEST));
        bs_write(
            &mut o,
            1,
            rid::SERVER_URI,
            WriteValue::Whole(Value::String("coap://z")),
        )
        .unwrap();
        bs_write(&mut o, 1, rid::SSID, WriteValue::Whole(Value::Int(7))).unwrap();
        assert_eq!(
            o.transaction_validate(),
            Err(DmError::BAD_REQUEST),
            "same SSID"
        );
        bs_write(&mut o, 1, rid::SSID, WriteValue::Whole(Value::Int(6))).unwrap();
        bs_write(
            &mut o,
            5,
            rid::SERVER_URI,
            WriteValue::Whole(Value::String("coaps://dm")),
        )
        .unwrap();
        assert_eq!(
            o.transaction_validate(),
            Err(DmError::BAD_REQUEST),
            "policy URI"
        );
        bs_write(
            &mut o,
            5,
            rid::SECURITY_MODE,
            WriteValue::Whole(Value::Int(1)),
        )
        .unwrap();
        bs_write(
            &mut o,
            5,
            rid::SERVER_URI,
            WriteValue::Whole(Value::String("coap://dm")),
        )
        .unwrap();
        assert_eq!(
            o.transaction_validate(),
            Err(DmError::BAD_REQUEST),
            "policy mode"
        );
        o.transaction_end(false);
        assert_eq!(o.instance_id(0), Some(0));
        assert_eq!(o.instance_id(1), Some(5));
        let d = o.instance(5).unwrap();
        assert_eq!((d.mode, d.uri_len, d.ssid), (SecurityMode::NoSec, 9, 7));
        // A good transaction is kept.
        o.transaction_begin().unwrap();
        bs_write(&mut o, 5, rid::SSID, WriteValue::Whole(Value::Int(9))).unwrap();
        assert_eq!(o.transaction_validate(), Ok(()));
        o.transaction_end(true);
        assert_eq!(o.instance(5).map(|d| d.ssid), Some(9));
    }

    #[test]
    fn writing_a_credential_forgets_its_stored_reference() {
        let mut o =
            SecurityObject::<2, 2, StoredRefs<u8>, TestPolicy>::new(StoredRefs::NONE, TestPolicy);
        let mut d = SecurityInstance::empty(StoredRefs([Some(1), Some(2), Some(3)]));
        d.iid = 0;
        d.ssid = 1;
        d.write(rid::SERVER_URI, &Value::String("coap://a"))
            .unwrap();
        o.add_instance(d, Some(0)).unwrap();
        let path = Path::new(&[OID, 0, rid::SECRET_KEY]);
        let empty = WriteValue::Whole(Value::Bytes(&[]));
        ops::write_entry(&mut o, &path, &path, &empty, WriteKind::Bootstrap).unwrap();
        assert_eq!(
            o.instance(0).unwrap().ext,
            StoredRefs([Some(1), Some(2), None])
        );
        ops::create_instance(&mut o, 1).unwrap();
        assert_eq!(o.instance(1).unwrap().ext, StoredRefs::NONE);
    }

    #[cfg(feature = "security")]
    mod store {
        use super::*;
        use std::vec::Vec;

        /// Records in a vector; the reference is the index + 1. `fail_at`: the
        /// create that fails (counting from 0).
        #[derive(Default)]
        struct Store {
            records: Vec<(RecordKind, Vec<u8>)>,
            deleted: Vec<u8>,
            creates: usize,
            fail_at: Option<usize>,
        }

        impl CredentialStore for Store {
            type Ref = u8;
            fn create_record(&mut self, kind: RecordKind, bytes: &[u8]) -> Option<u8> {
                let n = self.creates;
                self.creates += 1;
                if self.fail_at == Some(n) {
                    return None;
                }
                self.records.push((kind, bytes.to_vec()));
                Some(self.records.len() as u8)
            }
            fn delete_record(&mut self, _: RecordKind, r: u8) {
                self.deleted.push(r);
            }
            fn zeroize(&mut self, buf: &mut [u8]) {
                buf.fill(0);
            }
        }

        type Ext = SecurityObject<2, 2, StoredRefs<u8>, TestPolicy>;

        fn psk(iid: u16, ssid: u16) -> SecurityInstance<StoredRefs<u8>> {
            let mut d = SecurityInstance::empty(StoredRefs::NONE);
            d.iid = iid;
            d.ssid = ssid;
            d.mode = SecurityMode::Psk;
            d.write(rid::SERVER_URI, &Value::String("coap://a"))
                .unwrap();
            d.write(rid::PUBLIC_KEY_OR_IDENTITY, &Value::Bytes(b"id"))
                .unwrap();
            d.write(rid::SECRET_KEY, &Value::Bytes(b"key")).unwrap();
            d
        }

        #[test]
        fn offload_moves_bytes_into_the_store() {
            let mut o = Ext::new(StoredRefs::NONE, TestPolicy);
            o.add_instance(psk(0, 1), Some(0)).unwrap();
            let mut s = Store::default();
            o.offload(&mut s).unwrap();
            let d = o.instance(0).unwrap();
            assert_eq!(d.ext, StoredRefs([Some(1), None, Some(2)]));
            assert_eq!((d.identity_len, d.secret_len), (0, 0));
            assert!(d.identity.iter().chain(&d.secret).all(|&b| b == 0), "wiped");
            assert_eq!(s.records[0], (RecordKind::PskIdentity, b"id".to_vec()));
            assert_eq!(s.records[1], (RecordKind::PskKey, b"key".to_vec()));
            // Nothing left to move.
            o.offload(&mut s).unwrap();
            assert_eq!(s.creates, 2);
        }

        #[test]
        fn a_failed_offload_removes_the_records_of_the_instance() {
            let mut o = Ext::new(StoredRefs::NONE, TestPolicy);
            o.add_instance(psk(0, 1), Some(0)).unwrap();
            let mut s = Store {
                fail_at: Some(1),
                ..Store::default()
            };
            assert_eq!(o.offload(&mut s), Err(OffloadError { iid: 0 }));
            assert_eq!(s.deleted, [1]);
            let d = o.instance(0).unwrap();
            assert_eq!(
                (d.ext, d.identity_len, d.secret_len),
                (StoredRefs::NONE, 2, 3)
            );
        }

        #[test]
        fn after_bootstrap_replaced_records_go_and_new_bytes_move() {
            let mut o = Ext::new(StoredRefs::NONE, TestPolicy);
            o.add_instance(psk(0, 1), Some(0)).unwrap();
            o.add_instance(psk(1, 2), Some(1)).unwrap();
            let mut s = Store::default();
            o.offload(&mut s).unwrap();
            assert_eq!(s.records.len(), 4);
            // The session deletes instance 1 and writes a new key to instance 0.
            o.transaction_begin().unwrap();
            ops::delete(&mut o, &Path::new(&[OID, 1])).unwrap();
            let path = Path::new(&[OID, 0, rid::SECRET_KEY]);
            let key = WriteValue::Whole(Value::Bytes(b"new"));
            ops::write_entry(&mut o, &path, &path, &key, WriteKind::Bootstrap).unwrap();
            o.transaction_validate().unwrap();
            o.transaction_end(true);
            o.offload_after_bootstrap(&mut s).unwrap();
            // Old key of 0 (2), identity and key of 1 (3, 4) are gone; 0's identity stays.
            s.deleted.sort();
            assert_eq!(s.deleted, [2, 3, 4]);
            assert_eq!(s.records[4], (RecordKind::PskKey, b"new".to_vec()));
            assert_eq!(
                o.instance(0).unwrap().ext,
                StoredRefs([Some(1), None, Some(5)])
            );
            // The next session starts from here: nothing more to delete.
            o.offload_after_bootstrap(&mut s).unwrap();
            assert_eq!(s.deleted.len(), 3);
        }
    }
}
