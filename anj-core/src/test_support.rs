//! Test support, shared by the core's tests, the C face's tests and the request benchmark:
//! a scripted [`Link`] (the only fake link of the workspace), simulated time and CoAP
//! message helpers over coap-lite (an independent CoAP implementation).
//!
//! Compiled for the core's own tests and with the `test-support` feature, which only
//! test and bench builds turn on (the root package enables it in its dev-dependencies):
//! it uses `std` and is never part of a library build.

use std::collections::VecDeque;
use std::format;
use std::string::String;
use std::vec::Vec;

use crate::link::{Credentials, Link, NetStatus, Recv, SecurityMode};
use crate::time::{Duration, Instant, MS};

/// What plays the other end of a [`ScriptedLink`] beyond its queues: a scripted server
/// that answers what the link sends, or just a record of what a test wants to keep.
/// The link dereferences to its peer, so a test reads and sets the peer's fields through
/// the link (`rig.link.mode = ...`).
pub trait Peer {
    /// Called with every datagram the link sends; may queue answers in `inbox`
    /// (they are received in order, after what is already queued).
    fn on_send(&mut self, _datagram: &[u8], _inbox: &mut VecDeque<Vec<u8>>) {}

    /// Resolves [`Credentials::Stored`] as the link's owner would, saying what the
    /// connection shows its server (the peer records anything else it wants); an error
    /// code fails the connect before it is attempted. The default resolves nothing and
    /// connects.
    fn resolve_stored(
        &mut self,
        _mode: SecurityMode,
        _security_iid: u16,
        _bootstrap: bool,
    ) -> Result<Shown, i32> {
        Ok(Shown::Nothing)
    }
}

/// What a secure connect with [`Credentials::Stored`] shows its server, as its
/// [`Peer`] resolved them.
pub enum Shown {
    Nothing,
    /// A PSK in memory: recorded in `psk`, its identity presented.
    Psk(Vec<u8>, Vec<u8>),
    /// Another credential (a certificate, a reference): presented.
    Other(Vec<u8>),
}

/// No peer: the test delivers and takes datagrams itself.
impl Peer for () {}

/// A scripted datagram link in simulated time.
///
/// - What the code under test sends is queued in `sent` (at most `keep_sent`, oldest
///   dropped) and counted in `sent_count`; the [`Peer`] sees it too.
/// - What the test wants received is queued in `inbox` ([`ScriptedLink::deliver`]).
/// - Connects: `connect_script` gives the results of the next connects (then `Done`, or
///   `Failed(-1)` while `refuse` is set); `attempts` records every connect call and
///   `connects` the successful ones, as `"scheme:host:port"`; with `expect_peers`
///   non-empty, a connect elsewhere panics.
/// - Credentials: `psk` holds the PSK of the last connect (in memory, or what the
///   peer resolved from [`Credentials::Stored`], see [`Peer::resolve_stored`]), `stored`
///   the last `Stored` credentials asked for (cleared by a connect with others). Like
///   a real
///   transport, the connection context keeps the credential it was created with until
///   `cleanup` (`ctx_credential`), and `presented` records what each secure connect
///   showed its server ([`ScriptedLink::present`]).
/// - Failure injection besides connects: `recv_error` fails the next receive.
/// - `random` is a deterministic generator (an LCG from the seed given to `new`).
///
/// Buffers are reused, so that a steady exchange allocates nothing (the request
/// benchmark measures through this link).
pub struct ScriptedLink<P = ()> {
    pub connected: bool,
    pub inbox: VecDeque<Vec<u8>>,
    pub sent: VecDeque<Vec<u8>>,
    /// Datagrams sent so far, including those no longer in `sent`.
    pub sent_count: u64,
    /// How many datagrams `sent` keeps (the newest).
    pub keep_sent: usize,
    pub attempts: Vec<String>,
    pub connects: Vec<String>,
    pub expect_peers: Vec<String>,
    pub connect_script: VecDeque<NetStatus>,
    pub refuse: bool,
    pub recv_error: Option<i32>,
    pub cleanups: usize,
    /// `cleanup` also drops the datagrams not received yet.
    pub cleanup_drops_inbox: bool,
    pub psk: Option<(Vec<u8>, Vec<u8>)>,
    pub stored: Option<(SecurityMode, u16, bool)>,
    pub ctx_credential: Option<Vec<u8>>,
    pub presented: Vec<Vec<u8>>,
    pub rng: u64,
    pub peer: P,
    spare: Vec<Vec<u8>>,
}

impl<P: Default> ScriptedLink<P> {
    /// A disconnected link whose random bytes come from `seed`.
    pub fn new(seed: u64) -> Self {
        Self::with_peer(seed, P::default())
    }
}

impl<P> ScriptedLink<P> {
    pub fn with_peer(seed: u64, peer: P) -> Self {
        ScriptedLink {
            connected: false,
            inbox: VecDeque::new(),
            sent: VecDeque::new(),
            sent_count: 0,
            keep_sent: usize::MAX,
            attempts: Vec::new(),
            connects: Vec::new(),
            expect_peers: Vec::new(),
            connect_script: VecDeque::new(),
            refuse: false,
            recv_error: None,
            cleanups: 0,
            cleanup_drops_inbox: false,
            psk: None,
            stored: None,
            ctx_credential: None,
            presented: Vec::new(),
            rng: seed,
            peer,
            spare: Vec::new(),
        }
    }

    /// Only connects to these `"scheme:host:port"` peers (a connect elsewhere panics).
    pub fn expecting(mut self, peers: &[&str]) -> Self {
        self.expect_peers = peers.iter().map(|p| String::from(*p)).collect();
        self
    }

    /// Queues `datagram` to be received.
    pub fn deliver(&mut self, datagram: &[u8]) {
        let mut d = self.spare.pop().unwrap_or_default();
        d.clear();
        d.extend_from_slice(datagram);
        self.inbox.push_back(d);
    }

    /// The last datagram sent (panics if none is kept).
    pub fn last_sent(&self) -> &[u8] {
        self.sent.back().expect("nothing sent")
    }

    /// The oldest datagram in `sent`, decoded (panics if it is not CoAP).
    pub fn take_sent_packet(&mut self) -> Option<coap_lite::Packet> {
        let d = self.sent.pop_front()?;
        let p = coap_lite::Packet::from_bytes(&d).expect("malformed CoAP sent");
        self.spare.push(d);
        Some(p)
    }

    /// A secure connect with `credential`: records what the server is shown (the
    /// context's own credential when it has one).
    pub fn present(&mut self, credential: Vec<u8>) {
        let used = self.ctx_credential.get_or_insert(credential).clone();
        self.presented.push(used);
    }
}

impl<P> core::ops::Deref for ScriptedLink<P> {
    type Target = P;
    fn deref(&self) -> &P {
        &self.peer
    }
}

impl<P> core::ops::DerefMut for ScriptedLink<P> {
    fn deref_mut(&mut self) -> &mut P {
        &mut self.peer
    }
}

impl<P> ScriptedLink<P> {
    /// A connect without credentials (records only where it connects).
    pub fn connect_plain(&mut self, scheme: &str, host: &str, port: &str) -> NetStatus {
        let to = format!("{scheme}:{host}:{port}");
        assert!(
            self.expect_peers.is_empty() || self.expect_peers.contains(&to),
            "connect to {to}, expected one of {:?}",
            self.expect_peers
        );
        self.attempts.push(to.clone());
        let default = if self.refuse {
            NetStatus::Failed(-1)
        } else {
            NetStatus::Done
        };
        let r = self.connect_script.pop_front().unwrap_or(default);
        if r == NetStatus::Done {
            self.connected = true;
            self.connects.push(to);
        }
        r
    }
}

impl<P: Peer> Link for ScriptedLink<P> {
    fn connect(
        &mut self,
        scheme: &str,
        host: &str,
        port: &str,
        credentials: &Credentials<'_>,
    ) -> NetStatus {
        self.stored = None;
        let shown = match *credentials {
            Credentials::NoSec => Shown::Nothing,
            Credentials::Psk { identity, key } => Shown::Psk(identity.to_vec(), key.to_vec()),
            Credentials::Stored {
                mode,
                security_iid,
                bootstrap,
            } => {
                self.stored = Some((mode, security_iid, bootstrap));
                match self.peer.resolve_stored(mode, security_iid, bootstrap) {
                    Ok(shown) => shown,
                    Err(code) => return NetStatus::Failed(code),
                }
            }
        };
        self.psk = None;
        match shown {
            Shown::Nothing => {}
            Shown::Psk(identity, key) => {
                self.present(identity.clone());
                self.psk = Some((identity, key));
            }
            Shown::Other(credential) => self.present(credential),
        }
        self.connect_plain(scheme, host, port)
    }
    fn send(&mut self, datagram: &[u8]) -> NetStatus {
        assert!(self.connected, "send on a closed connection");
        self.sent_count += 1;
        self.peer.on_send(datagram, &mut self.inbox);
        if self.keep_sent == 0 {
            return NetStatus::Done;
        }
        while self.sent.len() >= self.keep_sent {
            let old = self.sent.pop_front().expect("keep_sent > 0");
            self.spare.push(old);
        }
        let mut d = self.spare.pop().unwrap_or_default();
        d.clear();
        d.extend_from_slice(datagram);
        self.sent.push_back(d);
        NetStatus::Done
    }
    fn recv(&mut self, buf: &mut [u8]) -> Recv {
        if let Some(e) = self.recv_error.take() {
            return Recv::Failed(e);
        }
        let Some(d) = self.inbox.pop_front() else {
            return Recv::Nothing;
        };
        let r = if d.len() > buf.len() {
            Recv::TooBig
        } else {
            buf[..d.len()].copy_from_slice(&d);
            Recv::Datagram(d.len())
        };
        self.spare.push(d);
        r
    }
    fn close(&mut self) -> NetStatus {
        self.connected = false;
        NetStatus::Done
    }
    fn cleanup(&mut self) -> NetStatus {
        self.cleanups += 1;
        self.ctx_credential = None;
        if self.cleanup_drops_inbox {
            self.inbox.clear();
        }
        self.close()
    }
    fn rx_off(&mut self) {}
    fn is_connected(&self) -> bool {
        self.connected
    }
    fn random(&mut self, buf: &mut [u8]) -> bool {
        for b in buf {
            self.rng = self
                .rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (self.rng >> 33) as u8;
        }
        true
    }
}

/// The step of simulated time of the rigs.
pub const TICK: Duration = 100 * MS;

/// Something that runs in simulated time: a test rig with a clock and a step.
pub trait Simulated {
    fn now_mut(&mut self) -> &mut Instant;
    /// One step of the code under test at the current time.
    fn step(&mut self);
}

/// Steps `rig` every [`TICK`] of simulated time until `cond` holds after a step; false
/// when `limit` passed first (the clock stops one tick past it).
pub fn run_until<R: Simulated>(
    rig: &mut R,
    limit: Duration,
    mut cond: impl FnMut(&mut R) -> bool,
) -> bool {
    let end = *rig.now_mut() + limit;
    while *rig.now_mut() <= end {
        rig.step();
        if cond(rig) {
            return true;
        }
        *rig.now_mut() += TICK;
    }
    false
}

/// CoAP message builders and parsers over coap-lite.
pub mod coap {
    use std::string::String;
    use std::vec::Vec;

    use coap_lite::{CoapOption, MessageClass, MessageType, Packet, ResponseType};

    /// The Uri-Path of `p`, segments joined with '/'.
    pub fn path(p: &Packet) -> String {
        p.get_option(CoapOption::UriPath)
            .map(|segs| {
                segs.iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    }

    /// The Uri-Query options of `p`.
    pub fn queries(p: &Packet) -> Vec<String> {
        p.get_option(CoapOption::UriQuery)
            .map(|q| {
                q.iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A piggybacked response to `req` with `code`.
    pub fn ack(req: &Packet, code: ResponseType) -> Packet {
        let mut p = Packet::new();
        p.header.set_type(MessageType::Acknowledgement);
        p.header.message_id = req.header.message_id;
        p.header.code = MessageClass::Response(code);
        p.set_token(req.get_token().to_vec());
        p
    }

    /// An empty message (`code` 0.00) of `kind` with `message_id`: an empty ACK or a RST.
    pub fn empty(kind: MessageType, message_id: u16) -> Packet {
        let mut p = Packet::new();
        p.header.set_type(kind);
        p.header.message_id = message_id;
        p.header.code = MessageClass::Empty;
        p
    }

    /// The (NUM, M, SZX) of block option `opt` (Block1 or Block2) of `p`.
    pub fn block(p: &Packet, opt: CoapOption) -> Option<(u32, bool, u8)> {
        let v = p.get_option(opt)?.front()?;
        let x = v.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b));
        Some((x >> 4, x & 8 != 0, (x & 7) as u8))
    }

    /// The value of a block option (RFC 7959 §2.2), in the fewest bytes.
    pub fn block_value(num: u32, more: bool, szx: u8) -> Vec<u8> {
        let v = (num << 4) | (u32::from(more) << 3) | u32::from(szx);
        v.to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::coap::*;
    use super::*;
    use coap_lite::{CoapOption, MessageType, Packet, ResponseType};

    #[test]
    fn the_link_keeps_its_script() {
        let mut l = ScriptedLink::<()>::new(7).expecting(&["coap:h:1"]);
        l.connect_script.push_back(NetStatus::InProgress);
        assert_eq!(
            l.connect("coap", "h", "1", &Credentials::NoSec),
            NetStatus::InProgress
        );
        assert!(l.connects.is_empty() && !l.connected);
        assert_eq!(
            l.connect("coap", "h", "1", &Credentials::NoSec),
            NetStatus::Done
        );
        assert_eq!(l.connects, ["coap:h:1"]);
        assert_eq!(l.attempts.len(), 2);
        l.refuse = true;
        assert_eq!(
            l.connect("coap", "h", "1", &Credentials::NoSec),
            NetStatus::Failed(-1)
        );
        assert_eq!((l.connects.len(), l.attempts.len()), (1, 3));

        l.keep_sent = 2;
        for d in [b"a", b"b", b"c"] {
            assert_eq!(l.send(d), NetStatus::Done);
        }
        assert_eq!(l.sent, [b"b".to_vec(), b"c".to_vec()]);
        assert_eq!((l.sent_count, l.last_sent()), (3, &b"c"[..]));

        let mut buf = [0u8; 2];
        l.deliver(b"xyz");
        l.deliver(b"xy");
        assert_eq!(l.recv(&mut buf), Recv::TooBig);
        l.recv_error = Some(-5);
        assert_eq!(l.recv(&mut buf), Recv::Failed(-5));
        assert_eq!(l.recv(&mut buf), Recv::Datagram(2));
        assert_eq!(&buf, b"xy");
        assert_eq!(l.recv(&mut buf), Recv::Nothing);

        let mut a = [0u8; 8];
        let mut b = [0u8; 8];
        assert!(l.random(&mut a));
        assert!(ScriptedLink::<()>::new(7).random(&mut b));
        assert_eq!(a, b, "the same seed gives the same bytes");
        assert_ne!(a, [0; 8]);
    }

    #[test]
    fn a_connection_context_keeps_its_credential_until_cleanup() {
        let mut l: ScriptedLink = ScriptedLink::new(1);
        let psk = |id: &'static [u8]| Credentials::Psk {
            identity: id,
            key: b"k",
        };
        l.connect("coaps", "h", "1", &psk(b"one"));
        l.connect("coaps", "h", "1", &psk(b"two"));
        assert_eq!(l.psk, Some((b"two".to_vec(), b"k".to_vec())));
        l.deliver(b"kept");
        l.cleanup();
        assert_eq!(l.inbox.len(), 1);
        l.cleanup_drops_inbox = true;
        l.cleanup();
        assert!(l.inbox.is_empty());
        l.connect("coaps", "h", "1", &psk(b"three"));
        assert_eq!(l.presented, [&b"one"[..], b"one", b"three"]);
        assert_eq!(l.cleanups, 2);
    }

    struct Echo;
    impl Peer for Echo {
        fn on_send(&mut self, d: &[u8], inbox: &mut VecDeque<Vec<u8>>) {
            inbox.push_back(d.to_vec());
        }
    }

    #[test]
    fn a_peer_answers_what_is_sent() {
        let mut l = ScriptedLink::with_peer(1, Echo);
        l.connect("coap", "h", "1", &Credentials::NoSec);
        l.send(b"ping");
        let mut buf = [0u8; 8];
        assert_eq!(l.recv(&mut buf), Recv::Datagram(4));
        assert_eq!(&buf[..4], b"ping");
    }

    struct Clock {
        now: Instant,
        steps: u32,
    }
    impl Simulated for Clock {
        fn now_mut(&mut self) -> &mut Instant {
            &mut self.now
        }
        fn step(&mut self) {
            self.steps += 1;
        }
    }

    #[test]
    fn run_until_steps_every_tick_up_to_the_limit() {
        let mut c = Clock { now: 0, steps: 0 };
        assert!(run_until(&mut c, 10 * TICK, |c| c.steps == 3));
        assert_eq!(c.now, 2 * TICK);
        let mut c = Clock { now: 0, steps: 0 };
        assert!(!run_until(&mut c, 10 * TICK, |_| false));
        assert_eq!((c.steps, c.now), (11, 11 * TICK));
    }

    #[test]
    fn coap_helpers() {
        let mut req = Packet::new();
        req.header.message_id = 9;
        req.set_token(vec![1, 2]);
        req.add_option(CoapOption::UriPath, b"rd".to_vec());
        req.add_option(CoapOption::UriPath, b"x".to_vec());
        req.add_option(CoapOption::UriQuery, b"ep=a".to_vec());
        req.add_option(CoapOption::Block2, block_value(5, true, 6));
        assert_eq!(path(&req), "rd/x");
        assert_eq!(queries(&req), ["ep=a"]);
        assert_eq!(block(&req, CoapOption::Block2), Some((5, true, 6)));
        assert_eq!(block(&req, CoapOption::Block1), None);
        assert_eq!(block_value(0, false, 0), Vec::<u8>::new());
        let a = ack(&req, ResponseType::Content);
        assert_eq!(a.header.get_type(), MessageType::Acknowledgement);
        assert_eq!((a.header.message_id, a.get_token()), (9, &[1u8, 2][..]));
        let r = empty(MessageType::Reset, 4);
        assert_eq!(r.header.get_type(), MessageType::Reset);
        assert_eq!(r.header.message_id, 4);
    }
}
