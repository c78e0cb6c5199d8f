//! The SNTP client in simulated time against a scripted network.

use super::*;
use std::collections::VecDeque;
use std::string::String;
use std::vec::Vec;

/// Builds a server's answer to a request.
type Responder = fn(&[u8]) -> Vec<u8>;

/// A scripted network: records what the client does and answers from queues.
#[derive(Default)]
struct FakeNet {
    connects: Vec<(String, String)>,
    sent: Vec<Vec<u8>>,
    /// How live servers answer.
    answer: Option<Responder>,
    /// Hosts that answer.
    live: Vec<String>,
    current: Option<String>,
    inbox: VecDeque<Vec<u8>>,
    connect_fails: bool,
    closes: usize,
}

impl NtpIo for FakeNet {
    fn connect(&mut self, host: &str, port: &str) -> NetStatus {
        self.connects.push((host.into(), port.into()));
        if self.connect_fails {
            return NetStatus::Failed(-1);
        }
        self.current = Some(host.into());
        NetStatus::Done
    }
    fn send(&mut self, d: &[u8]) -> NetStatus {
        self.sent.push(d.to_vec());
        if let (Some(f), Some(h)) = (self.answer, &self.current) {
            if self.live.contains(h) {
                self.inbox.push_back(f(d));
            }
        }
        NetStatus::Done
    }
    fn recv(&mut self, buf: &mut [u8]) -> Recv {
        match self.inbox.pop_front() {
            Some(d) if d.len() > buf.len() => Recv::TooBig,
            Some(d) => {
                buf[..d.len()].copy_from_slice(&d);
                Recv::Datagram(d.len())
            }
            None => Recv::Nothing,
        }
    }
    fn close(&mut self) -> NetStatus {
        self.closes += 1;
        self.current = None;
        NetStatus::Done
    }
    fn random(&mut self, buf: &mut [u8]) -> bool {
        buf.copy_from_slice(&0x1122_3344_5566_7788u64.to_ne_bytes()[..buf.len()]);
        true
    }
}

/// 2026-01-01T00:00:00Z in NTP seconds.
const T_2026: u64 = 1_767_225_600 + NTP_TO_UNIX as u64;

fn answer(origin: u64, t2: u64, t3: u64) -> Vec<u8> {
    let mut p = [0u8; MSG_SIZE];
    p[0] = 4 << 3 | 4;
    p[1] = 2;
    p[24..32].copy_from_slice(&origin.to_be_bytes());
    p[32..40].copy_from_slice(&t2.to_be_bytes());
    p[40..48].copy_from_slice(&t3.to_be_bytes());
    p.to_vec()
}

/// A server that received at 2026-01-01 00:00:00.25 and answered 0.5 s later.
fn good_server(req: &[u8]) -> Vec<u8> {
    let origin = u64::from_be_bytes(req[40..48].try_into().unwrap());
    answer(origin, T_2026 << 32 | 1 << 30, T_2026 << 32 | 3 << 30)
}

fn run(s: &mut Sntp, now: &mut Instant, net: &mut FakeNet, backup: &str) -> Vec<(Instant, Event)> {
    let mut ev = Vec::new();
    for _ in 0..10_000 {
        if let Some(e) = s.step(*now, 0, "ntp.primary", backup, net) {
            ev.push((*now, e));
            if matches!(e, Event::Synchronized(_) | Event::Failed) {
                break;
            }
        }
        *now += 100 * crate::time::MS;
    }
    ev
}

#[test]
fn request_format() {
    let r = request(0xDEAD_BEEF_0000_0001);
    assert_eq!(r.len(), 48);
    assert_eq!(r[0], 0x23, "LI 0, VN 4, mode 3");
    assert!(r[1..40].iter().all(|&b| b == 0));
    assert_eq!(&r[40..48], &0xDEAD_BEEF_0000_0001u64.to_be_bytes());
}

#[test]
fn timestamp_conversion() {
    assert_eq!(ntp_to_unix_us((NTP_TO_UNIX as u64) << 32), 0);
    assert_eq!(
        ntp_to_unix_us(T_2026 << 32 | 1 << 31),
        1_767_225_600 * SEC + 500_000
    );
    // Era 1: NTP seconds wrap in February 2036; a small value is after that.
    assert_eq!(
        ntp_to_unix_us(5 << 32),
        ((1i64 << 32) + 5 - NTP_TO_UNIX) * SEC
    );
    assert_eq!(ntp_to_unix_us(5 << 32) / SEC, 2_085_978_501); // 2036-02-07
    assert_eq!(ntp_diff_us(10 << 32, 9 << 32 | 1 << 31), 500_000);
    assert_eq!(
        ntp_diff_us(2 << 32, u64::MAX << 32),
        3 * SEC,
        "across the era wrap"
    );
}

#[test]
fn time_from_four_timestamps() {
    // T1=10 s, T4=10.7 s local; the server held the request 0.5 s: 0.2 s on the wire,
    // 0.1 s of it since T3.
    let reply = Reply {
        t2: T_2026 << 32,
        t3: (T_2026 << 32) + (1u64 << 31),
    };
    let t = time_at_t4(reply, 10 * SEC, 10 * SEC + 700_000);
    assert_eq!(t, 1_767_225_600 * SEC + 500_000 + 100_000);
    // A server whose hold time exceeds our round trip does not move time backwards.
    assert_eq!(time_at_t4(reply, 0, 50_000), 1_767_225_600 * SEC + 500_000);
}

#[test]
fn parse_rejects_what_is_not_an_answer_to_us() {
    let n = 0x1122_3344_5566_7788;
    let ok = answer(n, T_2026 << 32, T_2026 << 32);
    assert!(parse(&ok, n).is_ok());
    assert_eq!(parse(&ok[..47], n), Err(Reject::NotOurs));
    assert_eq!(
        parse(&ok, n + 1),
        Err(Reject::NotOurs),
        "origin must echo our nonce"
    );
    let mut m = ok.clone();
    m[0] = 4 << 3 | 3; // a client request, not a server answer
    assert_eq!(parse(&m, n), Err(Reject::NotOurs));
    let mut kod = ok.clone();
    kod[1] = 0;
    assert_eq!(parse(&kod, n), Err(Reject::Unusable), "Kiss-o'-Death");
    let mut alarm = ok.clone();
    alarm[0] |= 3 << 6;
    assert_eq!(
        parse(&alarm, n),
        Err(Reject::Unusable),
        "unsynchronized server"
    );
    let v3 = {
        let mut v = ok.clone();
        v[0] = 3 << 3 | 4;
        v
    };
    assert!(parse(&v3, n).is_ok(), "NTPv3 servers are fine");
}

#[test]
fn successful_sync() {
    let mut now = 1000 * SEC;
    let mut s = Sntp::new(now, 1, 0);
    assert_eq!(s.timeout, 5 * SEC);
    let mut net = FakeNet {
        answer: Some(good_server),
        live: vec!["ntp.primary".into()],
        ..Default::default()
    };
    assert_eq!(
        s.step(now, 0, "ntp.primary", "", &mut net),
        Some(Event::Initial)
    );
    assert_eq!(s.start(), Some(Event::InProgress));
    assert_eq!(s.start(), None, "already in progress");
    let ev = run(&mut s, &mut now, &mut net, "");
    assert_eq!(net.connects, vec![("ntp.primary".into(), "123".into())]);
    assert_eq!(net.sent.len(), 1);
    assert_eq!(net.sent[0][0], 0x23);
    // Sent at one step, answered at the next (100 ms later): 0.5 s server hold is more
    // than the round trip, so the time is T3 itself.
    let [(_, Event::Synchronized(t))] = ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(t, 1_767_225_600 * SEC + 750_000);
    assert!(!s.sync_error && !s.busy());
    assert_eq!(net.closes, 1);
}

#[test]
fn timeouts_attempts_and_backup_server() {
    let mut now = 0;
    let mut s = Sntp::new(now, 3, 2 * SEC);
    let mut net = FakeNet {
        answer: Some(good_server),
        live: vec!["ntp.backup".into()],
        ..Default::default()
    };
    s.step(now, 0, "ntp.primary", "ntp.backup", &mut net);
    s.start();
    let ev = run(&mut s, &mut now, &mut net, "ntp.backup:1123");
    let hosts: Vec<_> = net
        .connects
        .iter()
        .map(|(h, p)| format!("{h}:{p}"))
        .collect();
    assert_eq!(
        hosts,
        [
            "ntp.primary:123",
            "ntp.primary:123",
            "ntp.primary:123",
            "ntp.backup:1123"
        ]
    );
    assert!(matches!(ev[..], [(_, Event::Synchronized(_))]));
    // Three 2 s timeouts (each with 100 ms steps to connect, send and close) before
    // the backup answered.
    assert!(
        (6 * SEC + 900_000..7 * SEC + 500_000).contains(&ev[0].0),
        "{}",
        ev[0].0
    );
    assert_eq!(net.sent.len(), 4);
}

#[test]
fn all_attempts_fail() {
    let mut now = 0;
    let mut s = Sntp::new(now, 2, SEC);
    let mut net = FakeNet::default();
    s.step(now, 0, "ntp.primary", "", &mut net);
    s.start();
    let ev = run(&mut s, &mut now, &mut net, "ntp.backup");
    assert!(matches!(ev[..], [(_, Event::Failed)]));
    assert_eq!(
        net.connects.len(),
        4,
        "2 attempts each for primary and backup"
    );
    assert!(s.sync_error);
    // Connection failures count as attempts too, with no backup: one event after 2.
    let mut net = FakeNet {
        connect_fails: true,
        ..Default::default()
    };
    s.start();
    let ev = run(&mut s, &mut now, &mut net, "");
    assert!(matches!(ev[..], [(_, Event::Failed)]));
    assert_eq!(net.connects.len(), 2);
    assert!(net.sent.is_empty());
}

#[test]
fn stale_and_foreign_datagrams_are_ignored() {
    let mut now = 0;
    let mut s = Sntp::new(now, 1, SEC);
    let mut net = FakeNet::default();
    s.step(now, 0, "h", "", &mut net);
    s.start();
    s.step(now, 0, "h", "", &mut net); // connect
    s.step(now, 0, "h", "", &mut net); // send
    net.inbox.push_back(answer(42, T_2026 << 32, T_2026 << 32)); // not our nonce
    net.inbox.push_back(vec![0u8; 10]);
    let nonce = u64::from_be_bytes(net.sent[0][40..48].try_into().unwrap());
    net.inbox
        .push_back(answer(nonce, T_2026 << 32, T_2026 << 32));
    now += 200_000;
    assert_eq!(s.step(now, 0, "h", "", &mut net), None);
    assert_eq!(s.phase, Phase::Closing);
    assert_eq!(
        s.step(now, 0, "h", "", &mut net),
        Some(Event::Synchronized(1_767_225_600 * SEC + 100_000))
    );
}

#[test]
fn terminate_and_period() {
    let mut now = 0;
    let mut s = Sntp::new(now, 5, SEC);
    let mut net = FakeNet::default();
    s.step(now, 0, "h", "b", &mut net);
    s.terminate(); // nothing under way: no effect
    assert_eq!(s.phase, Phase::Idle);
    s.start();
    s.step(now, 0, "h", "b", &mut net);
    s.terminate();
    assert_eq!(s.step(now, 0, "h", "b", &mut net), Some(Event::Failed));
    assert_eq!(
        net.connects.len(),
        1,
        "no retries, no backup after terminate"
    );
    assert_eq!(net.closes, 1);
    // Period of 2 hours, counted from the last attempt.
    let last = s.last_sync;
    assert_eq!(s.step(last + 2 * HOUR - 1, 2, "h", "b", &mut net), None);
    assert_eq!(
        s.step(last + 2 * HOUR, 0, "h", "b", &mut net),
        None,
        "period 0: off"
    );
    assert_eq!(
        s.step(last + 2 * HOUR, 2, "h", "b", &mut net),
        Some(Event::PeriodExceeded)
    );
    assert_eq!(
        s.step(last + 2 * HOUR + 1, 2, "h", "b", &mut net),
        None,
        "once per period"
    );
    now = last + 4 * HOUR;
    assert_eq!(
        s.step(now, 2, "h", "b", &mut net),
        Some(Event::PeriodExceeded)
    );
}

#[test]
fn host_port_split() {
    assert_eq!(
        split_host_port("pool.ntp.org"),
        Some(("pool.ntp.org", "123"))
    );
    assert_eq!(
        split_host_port("127.0.0.1:4123"),
        Some(("127.0.0.1", "4123"))
    );
    assert_eq!(split_host_port("[::1]:4123"), Some(("::1", "4123")));
    assert_eq!(split_host_port("[::1]"), Some(("::1", "123")));
    assert_eq!(split_host_port("fe80::1"), Some(("fe80::1", "123")));
    assert_eq!(split_host_port("h:"), None);
    assert_eq!(split_host_port("h:x1"), None);
    assert_eq!(split_host_port(""), None);
}

#[test]
fn a_flood_of_foreign_datagrams_is_spread_over_steps() {
    let mut now = 0;
    let mut s = Sntp::new(now, 1, SEC);
    let mut net = FakeNet::default();
    s.step(now, 0, "h", "", &mut net);
    s.start();
    s.step(now, 0, "h", "", &mut net);
    s.step(now, 0, "h", "", &mut net);
    for i in 0..20 {
        net.inbox.push_back(answer(i, T_2026 << 32, T_2026 << 32));
    }
    let nonce = u64::from_be_bytes(net.sent[0][40..48].try_into().unwrap());
    net.inbox
        .push_back(answer(nonce, T_2026 << 32, T_2026 << 32));
    now += 1000;
    assert_eq!(s.step(now, 0, "h", "", &mut net), None);
    assert_eq!((s.phase, net.inbox.len()), (Phase::Waiting, 13));
    s.step(now, 0, "h", "", &mut net);
    s.step(now, 0, "h", "", &mut net);
    assert_eq!(s.phase, Phase::Closing);
    assert!(matches!(
        s.step(now, 0, "h", "", &mut net),
        Some(Event::Synchronized(_))
    ));
}
