//! The downloader in simulated time against a scripted file server built on coap-lite
//! (an independent CoAP implementation): block sequence, retransmission, ETag change,
//! connection loss with resumption, suspend/resume, terminate, bad URIs.

use std::collections::VecDeque;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

use super::*;
use crate::time::{MS, SEC};

/// How the fake server answers.
#[derive(Clone)]
enum Mode {
    /// Piggybacked 2.05 in the ACK.
    Piggyback,
    /// Empty ACK first, then the response as a separate CON.
    Separate,
    /// Swallows every request (the server or the path to it is gone).
    Down,
    /// Answers every GET with this code.
    Error(ResponseType),
    /// Resets every request.
    Reset,
}

/// One GET the server received.
#[derive(Clone, Debug)]
struct Get {
    mid: u16,
    token: Vec<u8>,
    path: Vec<String>,
    query: Vec<String>,
    /// (NUM, SZX) of the request's Block2, if any.
    block2: Option<(u32, u8)>,
    at: Instant,
}

struct FakeLink {
    body: Vec<u8>,
    etag: Vec<u8>,
    /// The largest block the server sends (it may pick less than asked: RFC 7959 §2.4).
    max_szx: u8,
    mode: Mode,
    /// Requests to lose before they reach the server.
    lose_requests: usize,
    /// Block numbers whose first request is lost.
    lose_blocks: Vec<u32>,
    /// Send every response twice.
    duplicate: bool,
    /// Answer without a Block2 option (whole body in one message).
    no_block2: bool,
    /// Off by one block in the answers.
    wrong_block: bool,
    now: Instant,
    connected: bool,
    connects: Vec<(String, String, String)>,
    connect_script: VecDeque<NetStatus>,
    cleanups: usize,
    recv_error: Option<i32>,
    gets: Vec<Get>,
    /// Every datagram the downloader sent, in order.
    sent: Vec<Vec<u8>>,
    inbox: VecDeque<Vec<u8>>,
    rng: u64,
    next_server_mid: u16,
}

impl FakeLink {
    fn new(body: Vec<u8>) -> FakeLink {
        FakeLink {
            body,
            etag: vec![0xE1, 0xE2, 0xE3, 0xE4],
            max_szx: 6,
            mode: Mode::Piggyback,
            lose_requests: 0,
            lose_blocks: Vec::new(),
            duplicate: false,
            no_block2: false,
            wrong_block: false,
            now: 0,
            connected: false,
            connects: Vec::new(),
            connect_script: VecDeque::new(),
            cleanups: 0,
            recv_error: None,
            gets: Vec::new(),
            sent: Vec::new(),
            inbox: VecDeque::new(),
            rng: 99,
            next_server_mid: 0x7000,
        }
    }

    fn serve(&mut self, req: &Packet) {
        let block2 = req
            .get_option(CoapOption::Block2)
            .and_then(|l| l.front())
            .map(|v| {
                let x = v.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b));
                (x >> 4, (x & 7) as u8)
            });
        let strings = |o| {
            req.get_option(o)
                .map(|l| {
                    l.iter()
                        .map(|v| String::from_utf8(v.clone()).unwrap())
                        .collect()
                })
                .unwrap_or_default()
        };
        self.gets.push(Get {
            mid: req.header.message_id,
            token: req.get_token().to_vec(),
            path: strings(CoapOption::UriPath),
            query: strings(CoapOption::UriQuery),
            block2,
            at: self.now,
        });
        if self.lose_requests > 0 {
            self.lose_requests -= 1;
            return;
        }
        if let Some(i) = self
            .lose_blocks
            .iter()
            .position(|b| Some(*b) == block2.map(|b| b.0))
        {
            self.lose_blocks.remove(i);
            return;
        }
        let mut resp = Packet::new();
        resp.header.set_type(MessageType::Acknowledgement);
        resp.header.message_id = req.header.message_id;
        resp.set_token(req.get_token().to_vec());
        match self.mode.clone() {
            Mode::Down => return,
            Mode::Reset => {
                let mut rst = Packet::new();
                rst.header.set_type(MessageType::Reset);
                rst.header.message_id = req.header.message_id;
                rst.header.code = MessageClass::Empty;
                self.inbox.push_back(rst.to_bytes().unwrap());
                return;
            }
            Mode::Error(code) => {
                resp.header.code = MessageClass::Response(code);
                self.inbox.push_back(resp.to_bytes().unwrap());
                return;
            }
            Mode::Piggyback | Mode::Separate => {}
        }
        resp.header.code = MessageClass::Response(ResponseType::Content);
        if !self.etag.is_empty() {
            resp.add_option(CoapOption::ETag, self.etag.clone());
        }
        if self.no_block2 {
            resp.payload = self.body.clone();
        } else {
            let (num, szx) = block2.unwrap_or((0, 6));
            let szx_out = szx.min(self.max_szx);
            let size = 16usize << szx_out;
            // Same offset at a possibly smaller size (RFC 7959 §2.4).
            let mut num_out = num * ((16u32 << szx) / size as u32);
            if self.wrong_block {
                num_out += 1;
            }
            let start = (num_out as usize * size).min(self.body.len());
            let end = (start + size).min(self.body.len());
            let more = end < self.body.len();
            let v = (num_out << 4) | (u32::from(more) << 3) | u32::from(szx_out);
            let bytes: Vec<u8> = v
                .to_be_bytes()
                .into_iter()
                .skip_while(|b| *b == 0)
                .collect();
            resp.add_option(CoapOption::Block2, bytes);
            resp.payload = self.body[start..end].to_vec();
        }
        if let Mode::Separate = self.mode {
            let mut ack = Packet::new();
            ack.header.set_type(MessageType::Acknowledgement);
            ack.header.message_id = req.header.message_id;
            ack.header.code = MessageClass::Empty;
            self.inbox.push_back(ack.to_bytes().unwrap());
            resp.header.set_type(MessageType::Confirmable);
            resp.header.message_id = self.next_server_mid;
            self.next_server_mid += 1;
        }
        let bytes = resp.to_bytes().unwrap();
        if self.duplicate {
            self.inbox.push_back(bytes.clone());
        }
        self.inbox.push_back(bytes);
    }
}

impl Link for FakeLink {
    fn connect(&mut self, scheme: &str, host: &str, port: &str) -> NetStatus {
        let r = self.connect_script.pop_front().unwrap_or(NetStatus::Done);
        if r == NetStatus::Done {
            self.connected = true;
            self.connects
                .push((scheme.to_string(), host.to_string(), port.to_string()));
        }
        r
    }
    fn send(&mut self, d: &[u8]) -> NetStatus {
        assert!(self.connected, "send on a closed connection");
        self.sent.push(d.to_vec());
        let p = Packet::from_bytes(d).expect("the downloader sent malformed CoAP");
        if p.header.code == MessageClass::Request(RequestType::Get) {
            assert_eq!(p.header.get_type(), MessageType::Confirmable);
            self.serve(&p);
        }
        NetStatus::Done
    }
    fn recv(&mut self, buf: &mut [u8]) -> Recv {
        if let Some(e) = self.recv_error.take() {
            return Recv::Failed(e);
        }
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
        self.connected = false;
        NetStatus::Done
    }
    fn cleanup(&mut self) -> NetStatus {
        self.connected = false;
        self.inbox.clear();
        self.cleanups += 1;
        NetStatus::Done
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

const URI: &str = "coap://example.com/fw/image.bin";

fn settings(retry_count: u8, retry_delay: Duration) -> Settings {
    Settings {
        tx: TxParams::DEFAULT,
        retry_count,
        retry_delay,
    }
}

/// What the event callback saw.
#[derive(Debug, PartialEq, Eq, Clone)]
enum Seen {
    Status(Status),
    Data(usize),
}

struct Rig {
    d: Downloader,
    link: FakeLink,
    buf: Vec<u8>,
    uri: String,
    now: Instant,
    seen: Vec<Seen>,
    data: Vec<u8>,
}

impl Rig {
    fn new(body: Vec<u8>, s: Settings) -> Rig {
        Rig::with_buffer(body, s, 1200)
    }

    fn with_buffer(body: Vec<u8>, s: Settings, buf_len: usize) -> Rig {
        Rig {
            d: Downloader::new(s),
            link: FakeLink::new(body),
            buf: vec![0; buf_len],
            uri: URI.to_string(),
            now: 1_000 * SEC,
            seen: Vec::new(),
            data: Vec::new(),
        }
    }

    fn start(&mut self) {
        let len = self.buf.len();
        self.d.start(self.uri.as_bytes(), false, len).unwrap();
    }

    /// One anj_coap_downloader_step; `cb` plays the application's callback and may
    /// call back into the downloader. Returns what was reported in this step.
    fn step_with(
        &mut self,
        mut cb: impl FnMut(&mut Downloader, &mut FakeLink, &Seen),
    ) -> Vec<Seen> {
        self.link.now = self.now;
        self.d.begin_step(self.now);
        let mut step = Vec::new();
        while let Some(ev) = self
            .d
            .poll(&mut self.link, self.uri.as_bytes(), &mut self.buf)
        {
            let seen = match ev.data {
                Some((at, len)) => {
                    assert_eq!(ev.status, Status::Downloading);
                    self.data.extend_from_slice(&self.buf[at..at + len]);
                    Seen::Data(len)
                }
                None => Seen::Status(ev.status),
            };
            cb(&mut self.d, &mut self.link, &seen);
            step.push(seen.clone());
            self.seen.push(seen);
        }
        step
    }

    fn step(&mut self) -> Vec<Seen> {
        self.step_with(|_, _, _| {})
    }

    /// Steps every 100 ms of simulated time until `status` is reached.
    fn run_until(&mut self, status: Status, limit: Duration) {
        let end = self.now + limit;
        while self.d.status() != status || self.seen.last() != Some(&Seen::Status(status)) {
            assert!(
                self.now < end,
                "{status:?} not reached; now {:?}, seen {:?}",
                self.d.status(),
                self.seen
            );
            self.step();
            self.now += 100 * MS;
        }
    }

    fn statuses(&self) -> Vec<Status> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Status(s) => Some(*s),
                Seen::Data(_) => None,
            })
            .collect()
    }

    fn block_nums(&self) -> Vec<u32> {
        // A GET without Block2 asks for the first block.
        self.link
            .gets
            .iter()
            .map(|g| g.block2.map_or(0, |b| b.0))
            .collect()
    }
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn downloads_block_by_block_in_order() {
    let mut r = Rig::new(body(5000), settings(0, 0));
    r.start();
    assert_eq!(r.d.status(), Status::Starting);
    // Step 1 reports Starting and connects; the request goes out on the next step.
    assert_eq!(r.step(), vec![Seen::Status(Status::Starting)]);
    assert_eq!(r.d.status(), Status::Downloading);
    assert!(r.link.gets.is_empty());
    // The fake server answers at once, so one step takes every block in turn.
    assert_eq!(
        r.step(),
        vec![
            Seen::Data(1024),
            Seen::Data(1024),
            Seen::Data(1024),
            Seen::Data(1024),
            Seen::Data(904)
        ]
    );
    assert_eq!(r.d.status(), Status::Finishing);
    assert_eq!(r.step(), vec![Seen::Status(Status::Finishing)]);
    assert_eq!(r.d.status(), Status::Finished);
    assert!(!r.link.connected);
    assert_eq!(r.step(), vec![Seen::Status(Status::Finished)]);
    assert_eq!(r.step(), vec![]);
    assert_eq!(r.data, body(5000));
    assert_eq!(r.d.error_code(), 0);
    assert_eq!(
        r.link.connects,
        vec![("coap".into(), "example.com".into(), "5683".into())]
    );
    // 1024-byte blocks fit the 1200-byte buffer: the first GET has no Block2 (the
    // server picks the size, as with Anjay Lite), the next ones ask at its size.
    assert_eq!(r.link.gets[0].block2, None);
    assert_eq!(r.block_nums(), vec![0, 1, 2, 3, 4]);
    assert!(r.link.gets[1..].iter().all(|g| g.block2.unwrap().1 == 6));
    assert!(r.link.gets.iter().all(|g| g.path == ["fw", "image.bin"]));
    // A new Message ID and token for every block.
    for w in r.link.gets.windows(2) {
        assert_eq!(w[1].mid, w[0].mid.wrapping_add(1));
        assert_ne!(w[1].token, w[0].token);
    }
}

#[test]
fn block_size_follows_the_buffer_and_the_server() {
    assert_eq!(preferred_szx(1200), 6);
    assert_eq!(preferred_szx(1087), 5);
    assert_eq!(preferred_szx(200), 3);
    assert_eq!(preferred_szx(64), 0);
    // A 300-byte buffer asks for 128-byte blocks.
    let mut r = Rig::with_buffer(body(1000), settings(0, 0), 300);
    r.start();
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(r.data, body(1000));
    assert!(r.link.gets.iter().all(|g| g.block2.unwrap().1 == 3));
    // A server that sends at most 256 bytes: the first answer sets the size.
    let mut r = Rig::new(body(1000), settings(0, 0));
    r.link.max_szx = 4;
    r.start();
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(r.data, body(1000));
    let asked: Vec<_> = r.link.gets.iter().map(|g| g.block2).collect();
    assert_eq!(asked, vec![None, Some((1, 4)), Some((2, 4)), Some((3, 4))]);
}

#[test]
fn uri_path_and_query_become_options() {
    let mut r = Rig::new(body(10), settings(0, 0));
    r.uri = "coap://[::1]:5700/a/b%20c?v=1&x".to_string();
    r.start();
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(
        r.link.connects[0],
        ("coap".into(), "::1".into(), "5700".into())
    );
    assert_eq!(r.link.gets[0].path, ["a", "b c"]);
    assert_eq!(r.link.gets[0].query, ["v=1", "x"]);
}

#[test]
fn small_and_empty_resources_without_block2() {
    let mut r = Rig::new(body(100), settings(0, 0));
    r.link.no_block2 = true;
    r.start();
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(r.data, body(100));
    assert_eq!(
        r.seen.iter().filter(|s| matches!(s, Seen::Data(_))).count(),
        1
    );
    // Empty: no data event at all, still Finished.
    let mut r = Rig::new(Vec::new(), settings(0, 0));
    r.link.no_block2 = true;
    r.start();
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(
        r.statuses(),
        vec![Status::Starting, Status::Finishing, Status::Finished]
    );
    assert!(r.data.is_empty());
}

#[test]
fn lost_requests_are_retransmitted_unchanged() {
    let mut r = Rig::new(body(3000), settings(0, 0));
    r.start();
    r.step();
    r.link.lose_requests = 2;
    r.run_until(Status::Finished, 60 * SEC);
    assert_eq!(r.data, body(3000));
    let g = &r.link.gets;
    // Block 0 three times (same Message ID and token), then 1 and 2.
    assert_eq!(r.block_nums(), vec![0, 0, 0, 1, 2]);
    assert_eq!((g[1].mid, &g[1].token), (g[0].mid, &g[0].token));
    assert_eq!((g[2].mid, &g[2].token), (g[0].mid, &g[0].token));
    assert_eq!(r.link.sent[1], r.link.sent[0]);
    // RFC 7252 §4.2: first timeout in [2 s, 3 s), then doubled.
    let t1 = g[1].at - g[0].at;
    let t2 = g[2].at - g[1].at;
    assert!((2 * SEC..3 * SEC + 100 * MS).contains(&t1), "{t1}");
    assert!(
        (2 * t1 - 200 * MS..=2 * t1 + 200 * MS).contains(&t2),
        "{t2}"
    );
}

#[test]
fn duplicates_and_separate_responses_are_handled() {
    let mut r = Rig::new(body(2500), settings(0, 0));
    r.link.duplicate = true;
    r.start();
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(r.data, body(2500));
    assert_eq!(r.block_nums(), vec![0, 1, 2]);

    let mut r = Rig::new(body(2500), settings(0, 0));
    r.link.mode = Mode::Separate;
    r.start();
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(r.data, body(2500));
    // Each separate CON response was acknowledged with an Empty ACK.
    let acks = r
        .link
        .sent
        .iter()
        .map(|d| Packet::from_bytes(d).unwrap())
        .filter(|p| p.header.get_type() == MessageType::Acknowledgement)
        .map(|p| p.header.message_id)
        .collect::<Vec<_>>();
    assert_eq!(acks, vec![0x7000, 0x7001, 0x7002]);
}

#[test]
fn no_answer_times_out_after_the_retransmissions() {
    let mut r = Rig::new(body(3000), settings(0, 0));
    r.link.mode = Mode::Down;
    r.start();
    let t0 = r.now;
    r.run_until(Status::Failed, 200 * SEC);
    assert_eq!(r.d.error_code(), Error::Timeout.code());
    assert_eq!(r.link.gets.len(), 5, "1 + MAX_RETRANSMIT transmissions");
    let took = r.now - t0;
    assert!((62 * SEC..=94 * SEC).contains(&took), "{took}");
    assert_eq!(
        r.statuses(),
        vec![Status::Starting, Status::Finishing, Status::Failed]
    );
    assert!(!r.link.connected);
}

#[test]
fn etag_change_mid_download_is_an_integrity_error() {
    let mut r = Rig::new(body(5000), settings(5, SEC));
    r.start();
    r.step();
    let mut blocks = 0;
    // The file is replaced after the second block was served.
    r.step_with(|_, link, seen| {
        if matches!(seen, Seen::Data(_)) {
            blocks += 1;
            if blocks == 2 {
                link.etag = vec![0x99];
            }
        }
    });
    r.run_until(Status::Failed, 10 * SEC);
    assert_eq!(r.d.error_code(), Error::EtagMismatch.code());
    // Never retried (the resource changed), nothing of the new version delivered.
    assert!(!r.statuses().contains(&Status::WaitingForRetry));
    assert_eq!(r.data, body(5000)[..2048]);
    assert_eq!(r.link.connects.len(), 1);
    assert_eq!(
        r.statuses(),
        vec![Status::Starting, Status::Finishing, Status::Failed]
    );
}

#[test]
fn lost_connection_resumes_at_the_last_good_block() {
    let fast = TxParams::new(SEC, 1.0, 2).unwrap(); // gives up after 1 + 2 + 4 = 7 s
    let s = Settings {
        tx: fast,
        retry_count: 3,
        retry_delay: 5 * SEC,
    };
    let mut r = Rig::new(body(10_000), s);
    r.start();
    r.step();
    // Three blocks arrive, then the server goes away for 20 s.
    let mut n = 0;
    r.step_with(|_, link, seen| {
        if matches!(seen, Seen::Data(_)) {
            n += 1;
            if n == 3 {
                link.mode = Mode::Down;
            }
        }
    });
    let outage_from = r.now;
    assert_eq!(r.data, body(10_000)[..3072]);
    let until = outage_from + 20 * SEC;
    while r.now < until {
        r.now += 100 * MS;
        r.step();
    }
    r.link.mode = Mode::Piggyback;
    r.run_until(Status::Finished, 60 * SEC);
    assert_eq!(r.data, body(10_000));
    // Timed out (7 s), waited 5 s, timed out again, waited, then resumed at block 3.
    assert_eq!(r.link.connects.len(), 3);
    let nums = r.block_nums();
    assert_eq!(&nums[..3], &[0, 1, 2]);
    assert!(nums[3..nums.len() - 7].iter().all(|&b| b == 3), "{nums:?}");
    assert_eq!(&nums[nums.len() - 7..], &[3, 4, 5, 6, 7, 8, 9]);
    // Only the very first GET lets the server choose; the retries name block 3.
    assert_eq!(r.link.gets[0].block2, None);
    assert!(r.link.gets[1..].iter().all(|g| g.block2.is_some()));
    let st = r.statuses();
    assert_eq!(
        st,
        vec![
            Status::Starting,
            Status::WaitingForRetry,
            Status::Retrying,
            Status::WaitingForRetry,
            Status::Retrying,
            Status::Finishing,
            Status::Finished
        ]
    );
}

#[test]
fn every_delivered_block_resets_the_attempt_count() {
    // retry_count 2: one retry per problem. Two separate outages, each one costing one
    // attempt, still end in a complete download because blocks arrive in between.
    let s = Settings {
        tx: TxParams::new(SEC, 1.0, 0).unwrap(),
        retry_count: 2,
        retry_delay: SEC,
    };
    let mut r = Rig::new(body(8000), s);
    r.link.lose_blocks = vec![2, 5];
    r.start();
    r.run_until(Status::Finished, 60 * SEC);
    assert_eq!(r.data, body(8000));
    assert_eq!(r.link.connects.len(), 3);
    assert_eq!(r.block_nums(), vec![0, 1, 2, 2, 3, 4, 5, 5, 6, 7]);
}

#[test]
fn retries_end_after_retry_count_attempts_without_progress() {
    let s = Settings {
        tx: TxParams::new(SEC, 1.0, 0).unwrap(), // one transmission, 1 s
        retry_count: 3,
        retry_delay: 2 * SEC,
    };
    let mut r = Rig::new(body(3000), s);
    r.link.mode = Mode::Down;
    r.start();
    r.run_until(Status::Failed, 60 * SEC);
    assert_eq!(r.d.error_code(), Error::Timeout.code());
    assert_eq!(r.link.connects.len(), 3);
    assert_eq!(r.link.cleanups, 3);
    assert_eq!(r.link.gets.len(), 3);
    // Every attempt is a first GET: no Block2.
    assert!(r.link.gets.iter().all(|g| g.block2.is_none()));
    // A receive error (e.g. ICMP port unreachable) is a network error, retried too.
    let mut r = Rig::new(body(3000), s);
    r.start();
    r.step();
    r.link.recv_error = Some(-111);
    r.link.lose_requests = 1;
    r.run_until(Status::Finished, 60 * SEC);
    assert_eq!(r.data, body(3000));
    assert!(r.statuses().contains(&Status::Retrying));
    // Without retries the same error fails the download.
    let mut r = Rig::new(body(3000), settings(1, SEC));
    r.start();
    r.step();
    r.link.recv_error = Some(-111);
    r.link.lose_requests = 1;
    r.run_until(Status::Failed, 60 * SEC);
    assert_eq!(r.d.error_code(), Error::Network.code());
}

#[test]
fn connect_in_progress_and_connect_failure() {
    let mut r = Rig::new(body(100), settings(0, 0));
    r.link.connect_script = VecDeque::from([NetStatus::InProgress, NetStatus::InProgress]);
    r.start();
    assert_eq!(r.step(), vec![Seen::Status(Status::Starting)]);
    assert_eq!(r.step(), vec![]);
    assert_eq!(r.d.status(), Status::Starting);
    assert_eq!(r.step(), vec![]);
    assert_eq!(r.d.status(), Status::Downloading);
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(r.data, body(100));

    let mut r = Rig::new(body(100), settings(0, 0));
    r.link.connect_script = VecDeque::from([NetStatus::Failed(-3)]);
    r.start();
    r.run_until(Status::Failed, 10 * SEC);
    assert_eq!(r.d.error_code(), Error::Network.code());
}

#[test]
fn error_responses_reset_and_wrong_blocks_fail() {
    for (mode, wrong) in [
        (Mode::Error(ResponseType::NotFound), false),
        (Mode::Reset, false),
        (Mode::Piggyback, true),
    ] {
        let mut r = Rig::new(body(3000), settings(3, SEC));
        r.link.mode = mode;
        r.link.wrong_block = wrong;
        r.start();
        r.run_until(Status::Failed, 60 * SEC);
        assert_eq!(r.d.error_code(), Error::InvalidResponse.code());
        assert!(r.data.is_empty());
    }
}

#[test]
fn suspend_closes_and_resume_continues_with_the_next_block() {
    let mut r = Rig::new(body(6000), settings(0, 0));
    r.start();
    r.step();
    let mut n = 0;
    // The application suspends from its callback after the second block.
    r.step_with(|d, _, seen| {
        if matches!(seen, Seen::Data(_)) {
            n += 1;
            if n == 2 {
                assert_eq!(d.suspend(), Ok(()));
                assert_eq!(d.suspend(), Ok(()), "a repeated suspend is fine");
            }
        }
    });
    assert_eq!(r.data, body(6000)[..2048]);
    assert_eq!(r.d.status(), Status::Finishing);
    // Cleanup happens silently (no Finishing report), then Suspended is reported.
    assert_eq!(r.step(), vec![]);
    assert!(!r.link.connected);
    assert_eq!(r.d.status(), Status::Suspended);
    assert_eq!(r.step(), vec![Seen::Status(Status::Suspended)]);
    let sent = r.link.sent.len();
    for _ in 0..50 {
        r.now += SEC;
        assert_eq!(r.step(), vec![]);
    }
    assert_eq!(r.link.sent.len(), sent, "nothing sent while suspended");
    let uri = r.uri.clone();
    assert_eq!(
        r.d.start(uri.as_bytes(), false, 1200),
        Err(Error::InProgress)
    );
    assert_eq!(r.d.resume(uri.as_bytes()), Ok(()));
    assert_eq!(r.d.resume(uri.as_bytes()), Err(Error::InvalidState));
    assert_eq!(r.step(), vec![Seen::Status(Status::Resuming)]);
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(r.data, body(6000));
    assert_eq!(r.block_nums(), vec![0, 1, 2, 3, 4, 5]);
    assert_eq!(r.link.connects.len(), 2);
    assert_eq!(
        r.statuses(),
        vec![
            Status::Starting,
            Status::Suspended,
            Status::Resuming,
            Status::Finishing,
            Status::Finished
        ]
    );
}

#[test]
fn suspend_states_and_the_last_block() {
    let mut r = Rig::new(body(100), settings(0, 0));
    assert_eq!(r.d.suspend(), Err(Error::InvalidState));
    assert_eq!(r.d.resume(URI.as_bytes()), Err(Error::InvalidState));
    // Suspending in the callback of the last block is ignored: the download is done.
    r.start();
    r.step();
    r.step_with(|d, _, seen| {
        if matches!(seen, Seen::Data(_)) {
            assert_eq!(d.suspend(), Ok(()));
        }
    });
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(r.data, body(100));
    assert_eq!(r.d.suspend(), Err(Error::InvalidState));
    // Suspending before the transfer began (in the Starting callback) works too.
    let mut r = Rig::new(body(2000), settings(0, 0));
    r.start();
    r.step_with(|d, _, seen| {
        if *seen == Seen::Status(Status::Starting) {
            d.suspend().unwrap();
        }
    });
    assert!(r.link.connects.is_empty());
    r.run_until(Status::Suspended, 10 * SEC);
    r.d.resume(URI.as_bytes()).unwrap();
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(r.data, body(2000));
}

#[test]
fn terminate_from_the_callback_and_from_outside() {
    let mut r = Rig::new(body(6000), settings(3, SEC));
    r.terminate_is_noop_when_idle();
    r.start();
    r.step();
    r.step_with(|d, _, seen| {
        if matches!(seen, Seen::Data(_)) {
            d.terminate();
            assert_eq!(d.status(), Status::Finishing);
            assert_eq!(d.error_code(), Error::Terminated.code());
        }
    });
    assert_eq!(
        r.data,
        body(6000)[..1024],
        "nothing after the terminating callback"
    );
    assert_eq!(r.step(), vec![Seen::Status(Status::Finishing)]);
    assert!(!r.link.connected);
    assert_eq!(r.step(), vec![Seen::Status(Status::Failed)]);
    assert_eq!(r.d.error_code(), Error::Terminated.code());
    r.terminate_is_noop_when_idle();
    // A new download may start after a failure, from the beginning.
    r.data.clear();
    r.start();
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(r.data, body(6000));
    assert_eq!(r.d.error_code(), 0);

    // While suspended, and while waiting for a retry.
    let mut r = Rig::new(body(6000), settings(3, 10 * SEC));
    r.start();
    r.d.suspend().unwrap();
    r.run_until(Status::Suspended, 10 * SEC);
    r.d.terminate();
    r.run_until(Status::Failed, 10 * SEC);
    assert_eq!(r.d.error_code(), Error::Terminated.code());
    let mut r = Rig::new(body(6000), settings(3, 10 * SEC));
    r.link.connect_script = VecDeque::from([NetStatus::Failed(-1)]);
    r.start();
    r.run_until(Status::WaitingForRetry, 10 * SEC);
    r.d.terminate();
    r.run_until(Status::Failed, 10 * SEC);
    assert_eq!(r.d.error_code(), Error::Terminated.code());
    assert_eq!(r.link.connects.len(), 0);
}

impl Rig {
    fn terminate_is_noop_when_idle(&mut self) {
        let before = (self.d.status(), self.d.error_code());
        self.d.terminate();
        assert_eq!((self.d.status(), self.d.error_code()), before);
    }
}

#[test]
fn start_is_refused_while_busy_and_for_bad_uris() {
    let mut d = Downloader::new(settings(0, 0));
    for bad in [
        "",
        "coap://",
        "coap://:5683/a",
        "coap://h:abcd/a",
        "coap://h/a#f",
        "coap://h/1/2/3/4",
    ] {
        assert_eq!(
            d.start(bad.as_bytes(), false, 1200),
            Err(Error::InvalidUri),
            "{bad}"
        );
    }
    // Unsupported schemes are invalid URIs.
    for bad in [
        "http://h/a",
        "coap+tcp://h/a",
        "coapss://h/a",
        "coaps+ws://h/a",
    ] {
        assert_eq!(
            d.start(bad.as_bytes(), false, 1200),
            Err(Error::InvalidUri),
            "{bad}"
        );
    }
    assert_eq!(d.status(), Status::Initial);
    assert_eq!(d.start(URI.as_bytes(), false, 1200), Ok(()));
    assert_eq!(d.start(URI.as_bytes(), false, 1200), Err(Error::InProgress));
}

#[test]
fn coaps_needs_a_configuration_and_dtls() {
    let mut d = Downloader::new(settings(0, 0));
    let uri = b"coaps://h/fw";
    assert_eq!(d.start(uri, false, 1200), Err(Error::InvalidConfiguration));
    #[cfg(not(feature = "net-dtls"))]
    assert_eq!(d.start(uri, true, 1200), Err(Error::InvalidUri));
    #[cfg(feature = "net-dtls")]
    {
        // With DTLS built in, the connection goes through the coaps binding.
        let mut r = Rig::new(body(10), settings(0, 0));
        r.uri = "coaps://h/fw".to_string();
        r.d.start(r.uri.as_bytes(), true, 1200).unwrap();
        r.run_until(Status::Finished, 10 * SEC);
        assert_eq!(r.link.connects[0].0, "coaps");
    }
}

#[test]
fn the_request_must_fit_the_buffer() {
    let mut r = Rig::with_buffer(body(100), settings(0, 0), 64);
    r.uri = std::format!("coap://h/{}", "p".repeat(80));
    r.start();
    r.run_until(Status::Failed, 10 * SEC);
    assert_eq!(r.d.error_code(), Error::Internal.code());
    // A tiny buffer still downloads, 16 bytes at a time.
    let mut r = Rig::with_buffer(body(100), settings(0, 0), 64);
    r.start();
    r.run_until(Status::Finished, 10 * SEC);
    assert_eq!(r.data, body(100));
    assert_eq!(r.link.gets.len(), 7);
}
