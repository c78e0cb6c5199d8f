//! CPU cost of handling one server request: a registered client (Security, Server and
//! Device objects, set up as in `src/client/tests.rs`) receives a pre-encoded request
//! through a fake link and answers it in one `Engine::step`.
//!
//! `cargo bench --bench requests` prints the mean wall time per request.
//! `tools/bench-instructions.sh` runs it under callgrind to count instructions per
//! request; it selects one request kind with `ANJ_BENCH_ONLY=<name>` and sets the number
//! of iterations with `ANJ_BENCH_ITERS=<n>` (default 100000).
//!
//! Every request gets a fresh Message ID and token (patched into the datagram), so the
//! duplicate cache never answers in the client's place; every response code is checked.

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::Instant as WallClock;

use anj::client::link::{Credentials, NetStatus, Recv};
use anj::client::ConnStatus;
use anj::config::{SIZEOF_ANJ_T, SIZEOF_DEVICE_OBJ, SIZEOF_SECURITY_OBJ, SIZEOF_SERVER_OBJ};
use anj::dm::builtin::anj_communication_retry_res_t;
use anj::ffi::core::{anj_configuration_t, anj_core_init, anj_t, client_of, with_client_host};
use anj::ffi::objects::*;
use anj::ffi::time::anj_time_duration_t;
use anj::time::{Instant, MS, SEC};
use anj_core::test_support::ScriptedLink;
use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

/// A link to a fake server (the shared scripted link) that keeps only the last datagram
/// sent and reuses its buffers, so the measured path never allocates. A newtype: the
/// client's `Link` trait is implemented here, outside both crates.
struct FakeLink(ScriptedLink);

impl FakeLink {
    fn new() -> FakeLink {
        let mut link = ScriptedLink::<()>::new(7).expecting(&["coap:127.0.0.1:5683"]);
        link.keep_sent = 1;
        FakeLink(link)
    }
}

impl std::ops::Deref for FakeLink {
    type Target = ScriptedLink;
    fn deref(&self) -> &ScriptedLink {
        &self.0
    }
}

impl std::ops::DerefMut for FakeLink {
    fn deref_mut(&mut self) -> &mut ScriptedLink {
        &mut self.0
    }
}

impl anj_core::link::Link for FakeLink {
    fn connect(
        &mut self,
        scheme: &str,
        host: &str,
        port: &str,
        credentials: &Credentials<'_>,
    ) -> NetStatus {
        self.0.connect(scheme, host, port, credentials)
    }
    fn send(&mut self, d: &[u8]) -> NetStatus {
        self.0.send(d)
    }
    fn recv(&mut self, buf: &mut [u8]) -> Recv {
        self.0.recv(buf)
    }
    fn close(&mut self) -> NetStatus {
        self.0.close()
    }
    fn cleanup(&mut self) -> NetStatus {
        self.0.cleanup()
    }
    fn rx_off(&mut self) {
        self.0.rx_off()
    }
    fn is_connected(&self) -> bool {
        self.0.is_connected()
    }
    fn random(&mut self, buf: &mut [u8]) -> bool {
        self.0.random(buf)
    }
}

/// A client with Security, Server (lifetime 60 s) and Device installed, in heap storage
/// that stays put (the objects are referenced by the client).
struct Rig {
    anj: Box<MaybeUninit<[u64; SIZEOF_ANJ_T / 8]>>,
    _server: Box<MaybeUninit<[u64; SIZEOF_SERVER_OBJ / 8]>>,
    _security: Box<MaybeUninit<[u64; SIZEOF_SECURITY_OBJ / 8]>>,
    _device: Box<MaybeUninit<[u64; SIZEOF_DEVICE_OBJ / 8]>>,
    link: FakeLink,
    now: Instant,
}

impl Rig {
    fn new() -> Rig {
        let mut rig = Rig {
            anj: Box::new(MaybeUninit::uninit()),
            _server: Box::new(MaybeUninit::uninit()),
            _security: Box::new(MaybeUninit::uninit()),
            _device: Box::new(MaybeUninit::uninit()),
            link: FakeLink::new(),
            now: 1_000 * SEC,
        };
        let anj = rig.anj_ptr();
        let config = anj_configuration_t {
            endpoint_name: c"bench-ep".as_ptr(),
            connection_status_cb: None,
            connection_status_cb_arg: std::ptr::null_mut(),
            queue_mode_enabled: false,
            queue_mode_timeout: anj_time_duration_t { us: 0 },
            net_socket_cfg: std::ptr::null(),
            udp_tx_params: std::ptr::null(),
            exchange_request_timeout: anj_time_duration_t { us: 0 },
            #[cfg(feature = "bootstrap")]
            bootstrap_retry_count: 0,
            #[cfg(feature = "bootstrap")]
            bootstrap_retry_timeout: anj_time_duration_t { us: 0 },
            #[cfg(feature = "bootstrap")]
            bootstrap_timeout: anj_time_duration_t { us: 0 },
            #[cfg(feature = "certificates")]
            trust_store: std::ptr::null(),
        };
        let mut retry = anj_communication_retry_res_t {
            retry_count: 2,
            retry_timer: 10,
            seq_delay_timer: 100,
            seq_retry_count: 2,
        };
        let server_init = anj_dm_server_instance_init_t {
            ssid: 1,
            lifetime: 60,
            default_min_period: 0,
            default_max_period: 0,
            disable_timeout: 0,
            notification_storing: false,
            binding: c"U".as_ptr(),
            bootstrap_on_registration_failure: std::ptr::null(),
            mute_send: false,
            iid: std::ptr::null(),
            comm_retry_res: &mut retry,
            default_notification_mode: 0,
        };
        // SAFETY: all-zero is a valid value of this plain C struct (NULL pointers, zeros).
        let mut sec_init: anj_dm_security_instance_init_t = unsafe { std::mem::zeroed() };
        sec_init.server_uri = c"coap://127.0.0.1:5683".as_ptr();
        sec_init.security_mode = anj_dm_security_mode_t::ANJ_DM_SECURITY_NOSEC;
        sec_init.ssid = 1;
        let dev_init = anj_dm_device_object_init_t {
            manufacturer: c"ACME".as_ptr(),
            model_number: std::ptr::null(),
            serial_number: std::ptr::null(),
            firmware_version: c"1.2.3".as_ptr(),
            software_version: std::ptr::null(),
            reboot_cb: None,
            reboot_cb_arg: std::ptr::null_mut(),
        };
        // SAFETY: the storage has the sizes the C API requires and lives as long as the
        // rig (boxed, never moved); the init structs and strings outlive the calls.
        unsafe {
            assert_eq!(anj_core_init(anj, &config), 0);
            let server = rig._server.as_mut_ptr() as *mut ServerObj;
            let security = rig._security.as_mut_ptr() as *mut SecurityObj;
            let device = rig._device.as_mut_ptr() as *mut DeviceObj;
            anj_dm_server_obj_init(server);
            assert_eq!(anj_dm_server_obj_add_instance(server, &server_init), 0);
            assert_eq!(anj_dm_server_obj_install(anj, server), 0);
            anj_dm_security_obj_init(security);
            assert_eq!(anj_dm_security_obj_add_instance(security, &sec_init), 0);
            assert_eq!(anj_dm_security_obj_install(anj, security), 0);
            assert_eq!(anj_dm_device_obj_install(anj, device, &dev_init), 0);
        }
        rig
    }

    fn anj_ptr(&mut self) -> *mut anj_t {
        self.anj.as_mut_ptr() as *mut anj_t
    }

    fn step(&mut self) {
        let anj = self.anj_ptr();
        let (now, link) = (self.now, &mut self.link);
        // SAFETY: initialised by anj_core_init; the references live for this call only
        // and the link is a separate field of the rig.
        unsafe { with_client_host(anj, |c, h| c.step(now, link, h)) };
    }

    fn status(&mut self) -> ConnStatus {
        // SAFETY: as in step().
        unsafe { client_of(self.anj_ptr()) }
            .expect("initialised client")
            .status()
    }

    fn deliver(&mut self, d: &[u8]) {
        assert!(self.link.inbox.is_empty());
        self.link.deliver(d);
    }

    /// Steps in 100 ms of simulated time until a datagram is sent; returns it.
    fn step_until_sent(&mut self) -> Packet {
        let before = self.link.sent_count;
        for _ in 0..20 {
            self.step();
            if self.link.sent_count != before {
                return Packet::from_bytes(self.link.last_sent())
                    .expect("client sent malformed CoAP");
            }
            self.now += 100 * MS;
        }
        panic!("the client sent nothing");
    }

    /// Answers the Register with 2.01 Created and a Location-Path.
    fn register(&mut self) {
        let reg = self.step_until_sent();
        assert_eq!(reg.header.code, MessageClass::Request(RequestType::Post));
        let mut p = Packet::new();
        p.header.set_type(MessageType::Acknowledgement);
        p.header.message_id = reg.header.message_id;
        p.header.code = MessageClass::Response(ResponseType::Created);
        p.set_token(reg.get_token().to_vec());
        p.add_option(CoapOption::LocationPath, b"rd".to_vec());
        p.add_option(CoapOption::LocationPath, b"a1b2".to_vec());
        self.deliver(&p.to_bytes().unwrap());
        self.step();
        assert_eq!(self.status(), ConnStatus::Registered);
    }
}

/// One measured request kind.
struct Case {
    name: &'static str,
    label: &'static str,
    datagram: Vec<u8>,
    /// Expected response code byte (class << 5 | detail).
    expect: u8,
}

/// A CON request with a 2-byte token: Message ID at bytes 2..4, token at 4..6.
fn request(method: RequestType, path: &str, accept: Option<u16>, payload: &[u8]) -> Vec<u8> {
    let mut p = Packet::new();
    p.header.set_type(MessageType::Confirmable);
    p.header.message_id = 0x4000;
    p.header.code = MessageClass::Request(method);
    p.set_token(vec![0xAB, 0x00]);
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        p.add_option(CoapOption::UriPath, seg.as_bytes().to_vec());
    }
    if !payload.is_empty() {
        // Content-Format 0 (text/plain), encoded as an empty option value.
        p.add_option(CoapOption::ContentFormat, vec![]);
        p.payload = payload.to_vec();
    }
    if let Some(a) = accept {
        let v = if a == 0 {
            vec![]
        } else if a < 256 {
            vec![a as u8]
        } else {
            a.to_be_bytes().to_vec()
        };
        p.add_option(CoapOption::Accept, v);
    }
    let d = p.to_bytes().unwrap();
    assert_eq!(d[0] & 0x0f, 2, "token length");
    d
}

fn cases() -> Vec<Case> {
    const CONTENT: u8 = 0x45; // 2.05
    const CHANGED: u8 = 0x44; // 2.04
    vec![
        Case {
            name: "read_3_0",
            label: "Read /3/0, SenML CBOR",
            datagram: request(RequestType::Get, "/3/0", Some(112), b""),
            expect: CONTENT,
        },
        Case {
            name: "read_3_0_0",
            label: "Read /3/0/0, text/plain",
            datagram: request(RequestType::Get, "/3/0/0", Some(0), b""),
            expect: CONTENT,
        },
        Case {
            name: "write_1_0_1",
            label: "Write /1/0/1 \"120\", text/plain",
            datagram: request(RequestType::Put, "/1/0/1", None, b"120"),
            expect: CHANGED,
        },
        Case {
            name: "discover_3",
            label: "Discover /3",
            datagram: request(RequestType::Get, "/3", Some(40), b""),
            expect: CONTENT,
        },
    ]
}

/// Delivers the request with Message ID / token `seq` and steps once; returns the
/// response code byte.
#[inline(always)]
fn one_request(rig: &mut Rig, datagram: &mut [u8], seq: u16) -> u8 {
    let [hi, lo] = seq.to_be_bytes();
    datagram[2] = hi;
    datagram[3] = lo;
    datagram[4] = hi;
    datagram[5] = lo;
    rig.deliver(black_box(datagram));
    rig.step();
    rig.link.last_sent()[1]
}

/// Checks the complete first response (with an independent CoAP decoder) before
/// anything is measured.
fn check_first(rig: &mut Rig, case: &Case) -> usize {
    let mut d = case.datagram.clone();
    let before = rig.link.sent_count;
    one_request(rig, &mut d, 0x4000);
    assert_eq!(
        rig.link.sent_count,
        before + 1,
        "{}: no response",
        case.name
    );
    let r = Packet::from_bytes(rig.link.last_sent()).expect("malformed response");
    assert_eq!(r.header.get_type(), MessageType::Acknowledgement);
    assert_eq!(r.header.message_id, 0x4000);
    assert_eq!(r.get_token(), &[0x40, 0x00]);
    let response_len = rig.link.last_sent().len();
    let code = u8::from(r.header.code);
    assert_eq!(
        code, case.expect,
        "{}: response {} (payload {:?})",
        case.name, r.header.code, r.payload
    );
    match case.name {
        "read_3_0" => {
            let cf = r
                .get_option(CoapOption::ContentFormat)
                .expect("Content-Format");
            assert_eq!(cf.front().unwrap(), &vec![112u8]);
            assert!(r.payload.windows(4).any(|w| w == b"ACME"));
        }
        "read_3_0_0" => assert_eq!(r.payload, b"ACME"),
        "discover_3" => {
            let body = String::from_utf8(r.payload.clone()).unwrap();
            assert!(body.contains("</3/0>"), "{body}");
        }
        _ => {}
    }
    // The first Write changed the Lifetime (60 -> 120 s), so the client now sends an
    // Update: answer it, so that only the request itself is measured from here on (the
    // measured Writes store the same value and trigger nothing more).
    let before = rig.link.sent_count;
    rig.step();
    if rig.link.sent_count != before {
        let upd = Packet::from_bytes(rig.link.last_sent()).expect("malformed request");
        assert_eq!(upd.header.code, MessageClass::Request(RequestType::Post));
        assert_eq!(upd.header.get_type(), MessageType::Confirmable);
        let mut p = Packet::new();
        p.header.set_type(MessageType::Acknowledgement);
        p.header.message_id = upd.header.message_id;
        p.header.code = MessageClass::Response(ResponseType::Changed);
        p.set_token(upd.get_token().to_vec());
        rig.deliver(&p.to_bytes().unwrap());
        rig.step();
    }
    let before = rig.link.sent_count;
    rig.step();
    assert_eq!(
        rig.link.sent_count, before,
        "{}: the client is not idle",
        case.name
    );
    assert_eq!(rig.status(), ConnStatus::Registered);
    response_len
}

/// Runs `iters` requests; panics if any response has an unexpected code.
fn run(rig: &mut Rig, case: &Case, iters: u64) {
    let mut d = case.datagram.clone();
    let before = rig.link.sent_count;
    let mut bad = 0u64;
    // Message IDs from 0x4001 on (0x4000 was the checked one), wrapping; the duplicate
    // cache only remembers the last few, so every request is new to the client.
    let mut seq: u16 = 0x4001;
    for _ in 0..iters {
        if one_request(rig, &mut d, seq) != case.expect {
            bad += 1;
        }
        seq = seq.wrapping_add(1);
    }
    assert_eq!(bad, 0, "{}: {bad} unexpected responses", case.name);
    assert_eq!(
        rig.link.sent_count,
        before + iters,
        "{}: responses",
        case.name
    );
}

fn main() {
    // `cargo bench` passes `--bench` (and possibly a filter); a filter selects cases too.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let only = std::env::var("ANJ_BENCH_ONLY").ok();
    let iters: u64 = std::env::var("ANJ_BENCH_ITERS")
        .ok()
        .map(|s| s.parse().expect("ANJ_BENCH_ITERS: a number"))
        .unwrap_or(100_000);
    let cases: Vec<Case> = cases()
        .into_iter()
        .filter(|c| only.as_deref().map_or(true, |o| o == c.name))
        .filter(|c| filter.as_deref().map_or(true, |f| c.name.contains(f)))
        .collect();
    assert!(!cases.is_empty(), "no case selected ({only:?}, {filter:?})");

    for case in &cases {
        // A fresh client per case, so one case's state never affects another's.
        let mut rig = Rig::new();
        rig.register();
        let response_len = check_first(&mut rig, case);
        if only.is_some() {
            // Instruction-counting mode: no warm-up, no clock; the caller subtracts
            // two runs of different lengths.
            run(&mut rig, case, iters);
            println!("{}: {} requests", case.name, iters);
            continue;
        }
        run(&mut rig, case, iters / 10); // warm-up
        let t0 = WallClock::now();
        run(&mut rig, case, iters);
        let ns = t0.elapsed().as_nanos() as f64 / iters as f64;
        println!(
            "{:<12} {:<34} {:>9.1} ns/request  (mean of {} requests; {} B in, {} B out)",
            case.name,
            case.label,
            ns,
            iters,
            case.datagram.len(),
            response_len
        );
    }
}
