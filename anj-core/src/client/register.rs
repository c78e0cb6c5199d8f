//! The messages of the Client Registration interface (LwM2M 1.1 TS Core §6.2, §8.2.4)
//! and the server account they are sent to.

use super::block::Block1Tx;
use super::Host;
use crate::coap::{opt, Code, Message, MessageWriter, MsgType};
use crate::dm::{self, Objects};
use crate::io::link_format::LinkWriter;
use crate::io::value::{Path, Value};
use crate::io::{decimal_u64, DECIMAL_MAX_LEN};
use crate::objects::builtin::{security_rid, server_rid, CommRetry, BINDING_SIZE};

/// Content-Format of the Register/Update payload (RFC 6690).
const CT_LINK_FORMAT: u32 = 40;

/// The server the client registers with: what the Security and Server object instances
/// say about it. The URI itself is not copied: it is read again when connecting.
#[derive(Clone, Copy, Debug)]
pub struct ServerAccount {
    pub security_iid: u16,
    pub server_iid: u16,
    pub ssid: u16,
    pub lifetime: u32,
    pub binding: [u8; BINDING_SIZE],
    pub retry: CommRetry,
    pub bootstrap_on_failure: bool,
}

/// The server account a connection context was made for. The context keeps the
/// credentials it was created with (and, over DTLS, the session agreed with that
/// server): it serves that account only.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LinkOwner {
    pub security_iid: u16,
    /// The Bootstrap-Server account.
    pub bootstrap: bool,
}

/// Connects `link` to the account of Security instance `iid` (`bootstrap`: the
/// Bootstrap-Server account) with the credentials `crate::link::account_credentials`
/// chooses from the Security object by its Security Mode (/0/x/2); the host tells it
/// whether it provides the PSK itself ([`Host::provides_psk`]).
pub(super) fn connect_secured(
    env: &mut dyn Host,
    iid: u16,
    bootstrap: bool,
    link: &mut dyn crate::link::Link,
    (scheme, host, port): (&str, &str, &str),
) -> crate::link::NetStatus {
    let owner_psk = env.provides_psk(iid);
    let Some(security) = env.objects().object(0) else {
        return link.connect(scheme, host, port, &crate::link::Credentials::NoSec);
    };
    let mut buf = crate::link::PskBuf::new();
    let credentials =
        crate::link::account_credentials(security, iid, bootstrap, scheme, owner_psk, &mut buf);
    link.connect(scheme, host, port, &credentials)
}

impl ServerAccount {
    /// Finds the first non-bootstrap Security instance whose Short Server ID has a Server
    /// instance (LwM2M 1.1 TS Core §6.2.1).
    pub fn find(objs: &mut dyn Objects) -> Result<ServerAccount, &'static str> {
        objs.object(0).ok_or("no Security object")?;
        objs.object(1).ok_or("no Server object")?;
        let mut i = 0;
        while let Some(siid) = dm::instance_at(objs, 0, i) {
            i += 1;
            if dm::read_bool(objs, &[0, siid, security_rid::BOOTSTRAP_SERVER]) == Some(true) {
                continue;
            }
            let Some(ssid) = dm::read_int(objs, &[0, siid, security_rid::SSID]) else {
                continue;
            };
            let mut k = 0;
            while let Some(viid) = dm::instance_at(objs, 1, k) {
                k += 1;
                if dm::read_int(objs, &[1, viid, server_rid::SSID]) == Some(ssid) {
                    let mut acc = ServerAccount {
                        security_iid: siid,
                        server_iid: viid,
                        ssid: ssid as u16,
                        lifetime: 0,
                        binding: [0; BINDING_SIZE],
                        retry: CommRetry::DEFAULT,
                        bootstrap_on_failure: true,
                    };
                    acc.refresh(objs)?;
                    let mut uri = [0; URI_SIZE];
                    security_uri(objs, siid, &mut uri)?;
                    return Ok(acc);
                }
            }
        }
        Err("no Security instance with a matching Server instance")
    }

    /// Re-reads the Server instance's resources.
    pub fn refresh(&mut self, objs: &mut dyn Objects) -> Result<(), &'static str> {
        let i = self.server_iid;
        let lifetime = dm::read_int(objs, &[1, i, server_rid::LIFETIME]).ok_or("no Lifetime")?;
        self.lifetime = u32::try_from(lifetime)
            .ok()
            .filter(|l| *l > 0)
            .ok_or("invalid Lifetime")?;
        let binding = &mut self.binding;
        let _ = dm::read_resource_with(objs, &Path::new(&[1, i, server_rid::BINDING]), |v| {
            if let Value::String(b) = v {
                if b.len() < BINDING_SIZE {
                    *binding = [0; BINDING_SIZE];
                    binding[..b.len()].copy_from_slice(b.as_bytes());
                }
            }
        });
        if self.binding[0] == 0 {
            self.binding[0] = b'U';
        }
        let mut r = |rid, d: u32| {
            dm::read_int(objs, &[1, i, rid])
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(d)
        };
        let def = CommRetry::DEFAULT;
        self.retry = CommRetry {
            retry_count: r(server_rid::RETRY_COUNT, def.retry_count.into()).min(u16::MAX.into())
                as u16,
            retry_timer: r(server_rid::RETRY_TIMER, def.retry_timer),
            seq_delay_timer: r(server_rid::SEQ_DELAY_TIMER, def.seq_delay_timer),
            seq_retry_count: r(server_rid::SEQ_RETRY_COUNT, def.seq_retry_count.into())
                .min(u16::MAX.into()) as u16,
        };
        if let Some(b) = dm::read_bool(objs, &[1, i, server_rid::BOOTSTRAP_ON_FAILURE]) {
            self.bootstrap_on_failure = b;
        }
        Ok(())
    }

    pub fn binding(&self) -> &str {
        let n = self
            .binding
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(BINDING_SIZE);
        core::str::from_utf8(&self.binding[..n]).unwrap_or("U")
    }

    /// The Security Mode (/0/x/2) of this account's Security instance.
    pub fn security_mode(&self, objs: &mut dyn Objects) -> Option<i64> {
        dm::read_int(objs, &[0, self.security_iid, security_rid::SECURITY_MODE])
    }

    /// Reads the Server URI and calls `f(env, scheme, host, port)` with its parts.
    pub fn with_uri<R>(
        &self,
        env: &mut dyn Host,
        f: impl FnOnce(&mut dyn Host, &str, &str, &str) -> R,
    ) -> Result<R, &'static str> {
        with_security_uri(env, self.security_iid, f)
    }
}

/// Room for a Server URI (with the NUL of its C form).
const URI_SIZE: usize = crate::objects::security::SERVER_URI_MAX_SIZE;

/// The Server URI of Security instance `iid`, copied into `buf`, split into scheme, host
/// and port.
fn security_uri<'b>(
    objs: &mut dyn Objects,
    iid: u16,
    buf: &'b mut [u8; URI_SIZE],
) -> Result<(&'b str, &'b str, &'b str), &'static str> {
    let n =
        dm::read_resource_with(
            objs,
            &Path::new(&[0, iid, security_rid::SERVER_URI]),
            |v| match v {
                Value::String(u) if u.len() <= buf.len() => {
                    buf[..u.len()].copy_from_slice(u.as_bytes());
                    Some(u.len())
                }
                _ => None,
            },
        )
        .ok()
        .flatten()
        .ok_or("no Server URI")?;
    let uri = core::str::from_utf8(&buf[..n]).map_err(|_| "malformed Server URI")?;
    split_uri(uri).ok_or("malformed Server URI")
}

/// Reads the Server URI of Security instance `iid` and calls `f(env, scheme, host, port)`
/// with its parts (a copy: `f` may use the objects again).
pub fn with_security_uri<R>(
    env: &mut dyn Host,
    iid: u16,
    f: impl FnOnce(&mut dyn Host, &str, &str, &str) -> R,
) -> Result<R, &'static str> {
    let mut buf = [0; URI_SIZE];
    let (scheme, host, port) = security_uri(env.objects(), iid, &mut buf)?;
    Ok(f(env, scheme, host, port))
}

/// Splits `coap://host:port[/...]` into scheme, host and port (RFC 7252 §6.1). IPv6
/// literals are bracketed; the port defaults to 5683 (coap) or 5684 (coaps).
pub fn split_uri(uri: &str) -> Option<(&str, &str, &str)> {
    // Byte-wise on purpose: `str` slicing and `&str` patterns bring in core's panic
    // formatting and the two-way string searcher, several KB of flash on a small target.
    // Every split point is an ASCII byte, so `str::get` never fails on a char boundary.
    let b = uri.as_bytes();
    let (scheme, default_port) = if b.starts_with(b"coap://") {
        ("coap", "5683")
    } else if b.starts_with(b"coaps://") {
        ("coaps", "5684")
    } else {
        return None;
    };
    let start = scheme.len() + 3;
    let rest = b.get(start..)?;
    let end = start
        + rest
            .iter()
            .position(|&c| c == b'/' || c == b'?')
            .unwrap_or(rest.len());
    let authority = b.get(start..end)?;
    // (host start, host end, port start): the port runs to `end`.
    let (h0, h1, port) = if authority.first() == Some(&b'[') {
        let close = start + authority.iter().position(|&c| c == b']')?;
        if close + 1 == end {
            (start + 1, close, None)
        } else if b.get(close + 1) == Some(&b':') {
            (start + 1, close, Some(close + 2))
        } else {
            return None;
        }
    } else {
        match authority.iter().rposition(|&c| c == b':') {
            Some(i) => (start, start + i, Some(start + i + 1)),
            None => (start, end, None),
        }
    };
    let host = uri.get(h0..h1)?;
    let port = match port {
        Some(p) => uri.get(p..end)?,
        None => default_port,
    };
    if host.is_empty()
        || port.is_empty()
        || !port.bytes().all(|b| b.is_ascii_digit())
        || port.len() > 5
    {
        return None;
    }
    Some((scheme, host, port))
}

/// The Location-Path the server assigned at Register (§6.2.1), e.g. `rd/5a3f`.
#[derive(Clone, Copy, Debug)]
pub struct Location<const N: usize, const S: usize> {
    segs: [[u8; S]; N],
    lens: [u8; N],
    count: u8,
}

impl<const N: usize, const S: usize> Default for Location<N, S> {
    fn default() -> Self {
        Location {
            segs: [[0; S]; N],
            lens: [0; N],
            count: 0,
        }
    }
}

impl<const N: usize, const S: usize> Location<N, S> {
    pub fn segments(&self) -> impl Iterator<Item = &[u8]> {
        self.segs
            .iter()
            .zip(self.lens.iter())
            .take(self.count as usize)
            .map(|(s, &l)| &s[..l as usize])
    }
}

/// The Location-Path of a Register response, or `None` when it is missing or does not fit
/// `ANJ_COAP_MAX_LOCATION_PATHS_NUMBER` x `ANJ_COAP_MAX_LOCATION_PATH_SIZE`.
pub fn parse_location<const N: usize, const S: usize>(msg: &Message<'_>) -> Option<Location<N, S>> {
    let mut loc = Location::<N, S>::default();
    for seg in msg.location_path() {
        let i = loc.count as usize;
        if i >= N || seg.len() > S || seg.len() > u8::MAX as usize {
            crate::log_error!(
                "Location-Path of the registration does not fit the configured limits"
            );
            return None;
        }
        loc.segs[i][..seg.len()].copy_from_slice(seg);
        loc.lens[i] = seg.len() as u8;
        loc.count += 1;
    }
    (loc.count > 0).then_some(loc)
}

pub(super) fn query(w: &mut MessageWriter<'_>, key: &str, value: &[u8]) -> Result<(), ()> {
    // Options are at most 255 bytes in practice for us (endpoint names included).
    let mut buf = [0u8; 255];
    let k = key.as_bytes();
    let n = k.len() + 1 + value.len();
    if n > buf.len() {
        return Err(());
    }
    buf[..k.len()].copy_from_slice(k);
    buf[k.len()] = b'=';
    buf[k.len() + 1..n].copy_from_slice(value);
    w.option(opt::URI_QUERY, &buf[..n]).map_err(|_| ())
}

/// The LwM2M version announced at Register: 1.2 when built with it, unless the server
/// rejected 1.2 already, then 1.1.
pub fn lwm2m_version(fallback_to_11: bool) -> &'static [u8] {
    if cfg!(feature = "lwm2m12") && !fallback_to_11 {
        b"1.2"
    } else {
        b"1.1"
    }
}

/// The object list of Register and Update: every object but Security (and OSCORE), with its
/// version and instances (§6.2.1, §6.2.1.1), and nothing else (no root link `</>`), as
/// Anjay Lite 3.0.0 writes it; bytes `[skip, skip + out.len())` of it go to `out`, and the
/// whole length is returned.
fn write_links(objs: &mut dyn Objects, out: &mut [u8], skip: usize) -> Result<usize, ()> {
    let mut w = LinkWriter::new_window(out, skip);
    let mut k = 0;
    while let Some(oid) = objs.oid_at(k) {
        k += 1;
        if oid == 0 || oid == 21 {
            continue;
        }
        let obj = objs.object(oid).ok_or(())?;
        w.object(oid, obj.version()).map_err(|_| ())?;
        let mut i = 0;
        while let Some(iid) = obj.instance_id(i) {
            i += 1;
            w.instance(oid, iid).map_err(|_| ())?;
        }
    }
    Ok(w.len())
}

/// A cheap fingerprint of the object list, to know when an Update must carry it (FNV-1a).
pub fn links_hash(objs: &mut dyn Objects) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    let mut eat = |b: u8| h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    let mut k = 0;
    while let Some(oid) = objs.oid_at(k) {
        k += 1;
        if oid == 0 || oid == 21 {
            continue;
        }
        let Some(obj) = objs.object(oid) else {
            continue;
        };
        oid.to_le_bytes().into_iter().for_each(&mut eat);
        obj.version().unwrap_or("").bytes().for_each(&mut eat);
        eat(0xFF);
        let mut i = 0;
        while let Some(iid) = obj.instance_id(i) {
            i += 1;
            iid.to_le_bytes().into_iter().for_each(&mut eat);
        }
        eat(0xFE);
    }
    h
}

/// Writes the object list as the payload (Content-Format was written in option order):
/// whole, or the block `block` is at when it does not fit (RFC 7959 Block1).
fn finish_with_links(
    mut w: MessageWriter<'_>,
    objs: &mut dyn Objects,
    block: &mut Block1Tx,
) -> Result<usize, ()> {
    block.write(&mut w, &mut |out, skip| write_links(objs, out, skip))??;
    Ok(w.finish())
}

/// Register: `POST /rd?ep=..&lt=..&lwm2m=..&b=..[&Q]` with the object list (§6.2.1).
#[allow(clippy::too_many_arguments)]
pub fn build_register(
    buf: &mut [u8],
    message_id: u16,
    token: &[u8],
    acc: &ServerAccount,
    version: &[u8],
    queue_mode: bool,
    env: &mut dyn Host,
    block: &mut Block1Tx,
) -> Result<usize, ()> {
    let mut w =
        MessageWriter::new(buf, MsgType::Con, Code::POST, message_id, token).map_err(|_| ())?;
    w.option(opt::URI_PATH, b"rd").map_err(|_| ())?;
    w.uint_option(opt::CONTENT_FORMAT, CT_LINK_FORMAT)
        .map_err(|_| ())?;
    query(&mut w, "ep", env.endpoint_name())?;
    let mut d = [0u8; DECIMAL_MAX_LEN];
    query(&mut w, "lt", decimal_u64(acc.lifetime.into(), &mut d))?;
    query(&mut w, "lwm2m", version)?;
    query(&mut w, "b", acc.binding().as_bytes())?;
    if queue_mode {
        w.option(opt::URI_QUERY, b"Q").map_err(|_| ())?;
    }
    finish_with_links(w, env.objects(), block)
}

/// Which optional parts an Update carries.
pub struct UpdateParts {
    pub payload: bool,
    pub lifetime: bool,
    pub binding: bool,
}

/// Update: `POST /{location}[?lt=..&b=..]`, with the object list when it changed (§6.2.2).
#[allow(clippy::too_many_arguments)]
pub fn build_update<const N: usize, const S: usize>(
    buf: &mut [u8],
    message_id: u16,
    token: &[u8],
    loc: &Location<N, S>,
    acc: &ServerAccount,
    parts: UpdateParts,
    objs: &mut dyn Objects,
    block: &mut Block1Tx,
) -> Result<usize, ()> {
    let mut w =
        MessageWriter::new(buf, MsgType::Con, Code::POST, message_id, token).map_err(|_| ())?;
    for seg in loc.segments() {
        w.option(opt::URI_PATH, seg).map_err(|_| ())?;
    }
    if parts.payload {
        w.uint_option(opt::CONTENT_FORMAT, CT_LINK_FORMAT)
            .map_err(|_| ())?;
    }
    if parts.lifetime {
        let mut d = [0u8; DECIMAL_MAX_LEN];
        query(&mut w, "lt", decimal_u64(acc.lifetime.into(), &mut d))?;
    }
    if parts.binding {
        query(&mut w, "b", acc.binding().as_bytes())?;
    }
    if parts.payload {
        return finish_with_links(w, objs, block);
    }
    Ok(w.finish())
}

/// De-register: `DELETE /{location}` (§6.2.3).
pub fn build_deregister<const N: usize, const S: usize>(
    buf: &mut [u8],
    message_id: u16,
    token: &[u8],
    loc: &Location<N, S>,
) -> Result<usize, ()> {
    let mut w =
        MessageWriter::new(buf, MsgType::Con, Code::DELETE, message_id, token).map_err(|_| ())?;
    for seg in loc.segments() {
        w.option(opt::URI_PATH, seg).map_err(|_| ())?;
    }
    Ok(w.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_split() {
        assert_eq!(
            split_uri("coap://127.0.0.1:5683"),
            Some(("coap", "127.0.0.1", "5683"))
        );
        assert_eq!(
            split_uri("coaps://example.com"),
            Some(("coaps", "example.com", "5684"))
        );
        assert_eq!(
            split_uri("coap://[::1]:1234/x"),
            Some(("coap", "::1", "1234"))
        );
        assert_eq!(split_uri("coap://[::1]"), Some(("coap", "::1", "5683")));
        assert_eq!(split_uri("http://a:1"), None);
        assert_eq!(split_uri("coap://:1"), None);
        assert_eq!(split_uri("coap://a:x"), None);
        assert_eq!(split_uri("coap://a:123456"), None);
    }
}
