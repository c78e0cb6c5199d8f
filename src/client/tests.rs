//! The registration state machine in simulated time, against a scripted LwM2M server
//! built on coap-lite (an independent CoAP implementation), with loss, duplication and
//! reordering. The real built-in objects provide the server account.

use std::vec::Vec;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

pub(super) use anj_core::test_support::coap::{ack, path, queries};
use anj_core::test_support::{self, Peer, ScriptedLink, Simulated};

use super::*;
use crate::ffi::core::{anj_configuration_t, anj_core_init, anj_t};
use crate::ffi::objects::*;
use crate::ffi::time::anj_time_duration_t;

/// What the fake server's link records beyond the shared scripted link: the C-form
/// credentials `Credentials::Stored` resolved to at the last secure connect, resolved
/// by the C side of the client `anj` (the rig's) as the real link does.
pub(super) struct Credentials {
    pub(super) anj: *mut anj_t,
    #[cfg(feature = "security")]
    pub(super) security: Option<crate::ffi::net::anj_net_security_info_t>,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            anj: std::ptr::null_mut(),
            #[cfg(feature = "security")]
            security: None,
        }
    }
}

impl Peer for Credentials {
    fn resolve_stored(
        &mut self,
        mode: link::SecurityMode,
        security_iid: u16,
        bootstrap: bool,
    ) -> Result<test_support::Shown, i32> {
        #[cfg(feature = "security")]
        {
            use crate::ffi::security::Resolved;
            let mut shown = test_support::Shown::Nothing;
            #[cfg(any(feature = "certificates", feature = "external-crypto-storage"))]
            let security = &mut self.security;
            // SAFETY (test): the rig's initialised client (`Rig::build_with` sets it).
            let r = unsafe {
                crate::ffi::security::with_stored_credentials(
                    self.anj,
                    mode,
                    security_iid,
                    bootstrap,
                    |resolved| {
                        match resolved {
                            Resolved::Psk { identity, key } => {
                                shown = test_support::Shown::Psk(identity.to_vec(), key.to_vec())
                            }
                            #[cfg(any(
                                feature = "certificates",
                                feature = "external-crypto-storage"
                            ))]
                            Resolved::Security(sec) => *security = Some(sec),
                        }
                        NetStatus::Done
                    },
                )
            };
            match r {
                NetStatus::Failed(code) => Err(code),
                _ => Ok(shown),
            }
        }
        #[cfg(not(feature = "security"))]
        {
            // Like the real link: no secure connections without `security`.
            let _ = (mode, security_iid, bootstrap);
            Err(-1)
        }
    }
}

/// A link to a fake server: what the client sends is queued in `sent`, what the test
/// wants delivered is queued in `inbox` (see `ScriptedLink`).
pub(super) type FakeLink = ScriptedLink<Credentials>;

/// Uninitialised heap storage of `N` words for a C-side object (`anj_t`, a built-in
/// object), held as the raw pointer `Box::into_raw` gave and freed on drop. Unlike a
/// `Box` field, moving its owner asserts nothing about the memory, so every pointer
/// handed out (all copies of that one raw pointer) stays valid while the owner is moved
/// and re-borrowed, the way C code keeps its pointers to static storage.
pub(super) struct HeapSlot<const N: usize>(*mut [u64; N]);

impl<const N: usize> HeapSlot<N> {
    pub(super) fn new() -> Self {
        HeapSlot(Box::into_raw(Box::<[u64; N]>::new_uninit()).cast())
    }

    /// The storage as a `T` (the C face's opaque type stored in it).
    pub(super) fn ptr<T>(&self) -> *mut T {
        self.0.cast()
    }
}

impl<const N: usize> Drop for HeapSlot<N> {
    fn drop(&mut self) {
        // SAFETY (test): the pointer came from Box::into_raw of this type (MaybeUninit
        // has the layout of its content) and is freed only here.
        drop(unsafe { Box::from_raw(self.0.cast::<std::mem::MaybeUninit<[u64; N]>>()) });
    }
}

/// A client with Security, Server (lifetime 60 s, retry 2 tries x 2 sequences) and
/// Device installed, in heap storage that stays put.
pub(super) struct Rig {
    anj: HeapSlot<{ crate::config::SIZEOF_ANJ_T / 8 }>,
    _server: HeapSlot<{ crate::config::SIZEOF_SERVER_OBJ / 8 }>,
    _security: HeapSlot<{ crate::config::SIZEOF_SECURITY_OBJ / 8 }>,
    _device: HeapSlot<{ crate::config::SIZEOF_DEVICE_OBJ / 8 }>,
    pub(super) link: FakeLink,
    pub(super) now: Instant,
}

const EP: &std::ffi::CStr = c"test-ep";

impl Rig {
    pub(super) fn new() -> Rig {
        Rig::with_queue_mode(false)
    }

    pub(super) fn with_queue_mode(queue_mode: bool) -> Rig {
        Rig::build(queue_mode, |_| {})
    }

    /// A rig whose server account has `lifetime` and Notification Storing (/1/0/6).
    #[cfg_attr(not(feature = "observe"), allow(dead_code))]
    pub(super) fn with_options(queue_mode: bool, lifetime: u32, storing: bool) -> Rig {
        Rig::build_with(queue_mode, lifetime, storing, |_| {})
    }

    /// A rig whose Security instance `tweak` adjusts before it is added.
    pub(super) fn build(
        queue_mode: bool,
        tweak: impl FnOnce(&mut anj_dm_security_instance_init_t),
    ) -> Rig {
        Rig::build_with(queue_mode, 60, false, tweak)
    }

    fn build_with(
        queue_mode: bool,
        lifetime: u32,
        storing: bool,
        tweak: impl FnOnce(&mut anj_dm_security_instance_init_t),
    ) -> Rig {
        let mut rig = Rig {
            anj: HeapSlot::new(),
            _server: HeapSlot::new(),
            _security: HeapSlot::new(),
            _device: HeapSlot::new(),
            link: FakeLink::new(7).expecting(&["coap:127.0.0.1:5683", "coaps:127.0.0.1:5684"]),
            now: 1_000 * SEC,
        };
        let anj = rig.anj_ptr();
        rig.link.anj = anj;
        let config = anj_configuration_t {
            endpoint_name: EP.as_ptr(),
            connection_status_cb: None,
            connection_status_cb_arg: std::ptr::null_mut(),
            queue_mode_enabled: queue_mode,
            queue_mode_timeout: anj_time_duration_t { us: 5 * SEC },
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
        let mut retry = crate::dm::builtin::anj_communication_retry_res_t {
            retry_count: 2,
            retry_timer: 10,
            seq_delay_timer: 100,
            seq_retry_count: 2,
        };
        let server_init = anj_dm_server_instance_init_t {
            ssid: 1,
            lifetime,
            default_min_period: 0,
            default_max_period: 0,
            disable_timeout: 0,
            notification_storing: storing,
            binding: c"U".as_ptr(),
            bootstrap_on_registration_failure: std::ptr::null(),
            mute_send: false,
            iid: std::ptr::null(),
            comm_retry_res: &mut retry,
            default_notification_mode: 0,
        };
        // SAFETY (test): zeroed init structs are valid for these plain C structs.
        let mut sec_init: anj_dm_security_instance_init_t = unsafe { std::mem::zeroed() };
        sec_init.server_uri = c"coap://127.0.0.1:5683".as_ptr();
        sec_init.security_mode = anj_dm_security_mode_t::ANJ_DM_SECURITY_NOSEC;
        sec_init.ssid = 1;
        tweak(&mut sec_init);
        let dev_init = anj_dm_device_object_init_t {
            manufacturer: c"ACME".as_ptr(),
            model_number: std::ptr::null(),
            serial_number: std::ptr::null(),
            firmware_version: c"1.2.3".as_ptr(),
            software_version: std::ptr::null(),
            reboot_cb: None,
            reboot_cb_arg: std::ptr::null_mut(),
        };
        // SAFETY (test): storage of the configured sizes, alive as long as the rig.
        unsafe {
            assert_eq!(anj_core_init(anj, &config), 0);
            let server = rig._server.ptr::<ServerObj>();
            let security = rig._security.ptr::<SecurityObj>();
            let device = rig._device.ptr::<DeviceObj>();
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

    /// The client; the same pointer every time, valid as long as the rig.
    pub(super) fn anj_ptr(&self) -> *mut anj_t {
        self.anj.ptr()
    }

    pub(super) fn client(&mut self) -> &mut Engine {
        // SAFETY (test): initialised by anj_core_init; no other reference is live.
        unsafe { &mut (*self.anj_ptr()).inner.client }
    }

    pub(super) fn step(&mut self) {
        let anj = self.anj_ptr();
        let now = self.now;
        let link = &mut self.link;
        // SAFETY (test): as in client(); the link is a separate field of the rig.
        unsafe { crate::ffi::core::with_client_host(anj, |c, h| c.step(now, link, h)) };
    }

    /// Advances simulated time in 100 ms steps until `cond` holds, at most `limit`.
    pub(super) fn run_until(
        &mut self,
        limit: Duration,
        cond: impl FnMut(&mut Rig) -> bool,
    ) -> bool {
        test_support::run_until(self, limit, cond)
    }

    pub(super) fn take_sent(&mut self) -> Option<Packet> {
        self.link
            .sent
            .pop_front()
            .map(|d| Packet::from_bytes(&d).expect("client sent malformed CoAP"))
    }

    pub(super) fn deliver(&mut self, p: &Packet) {
        self.link.inbox.push_back(p.to_bytes().unwrap());
    }
}

impl Simulated for Rig {
    fn now_mut(&mut self) -> &mut Instant {
        &mut self.now
    }
    fn step(&mut self) {
        Rig::step(self)
    }
}

pub(super) fn created(req: &Packet) -> Packet {
    let mut p = ack(req, ResponseType::Created);
    p.add_option(CoapOption::LocationPath, b"rd".to_vec());
    p.add_option(CoapOption::LocationPath, b"a1b2".to_vec());
    p
}

/// Runs until the client registered, answering the Register.
pub(super) fn register(rig: &mut Rig) {
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let reg = rig.take_sent().unwrap();
    rig.deliver(&created(&reg));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
}

#[test]
fn register_sends_the_spec_query_and_object_list() {
    let mut rig = Rig::new();
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let reg = rig.take_sent().unwrap();
    assert_eq!(reg.header.get_type(), MessageType::Confirmable);
    assert_eq!(reg.header.code, MessageClass::Request(RequestType::Post));
    assert_eq!(path(&reg), "rd");
    let q = queries(&reg);
    assert!(q.contains(&"ep=test-ep".to_string()), "{q:?}");
    assert!(q.contains(&"lt=60".to_string()), "{q:?}");
    assert!(
        q.iter().any(|s| s == "lwm2m=1.1" || s == "lwm2m=1.2"),
        "{q:?}"
    );
    assert!(q.contains(&"b=U".to_string()), "{q:?}");
    let body = String::from_utf8(reg.payload.clone()).unwrap();
    // Only object and instance links, with the versions of the Server (1.2) and Device (1.0)
    // objects, byte for byte as Anjay Lite writes them (no root link `</>`).
    assert_eq!(body, "</1>;ver=1.2,</1/0>,</3>;ver=1.0,</3/0>");
    // The Security object is never listed (LwM2M 1.1 TS Core §6.2.1).
    assert!(!body.contains("</0"), "{body}");
    assert_eq!(rig.client().status(), ANJ_CONN_STATUS_REGISTERING);
    rig.deliver(&created(&reg));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
}

/// Objects installed before the first step are in the Register's payload; they must not
/// also cause an Update right after it (Anjay Lite asks for an Update on a change of the
/// object list only while registered). Here the installs of the rig are applied the way
/// `anj_core_step` applies them, before the client's first step.
#[test]
fn objects_installed_before_registering_cause_no_update() {
    let mut rig = Rig::new();
    let anj = rig.anj_ptr();
    // SAFETY (test): an initialised client, outside of any step.
    unsafe { crate::ffi::core::apply_pending(anj) };
    register(&mut rig);
    let t0 = rig.now;
    let early = rig.run_until(10 * SEC, |r| !r.link.sent.is_empty());
    assert!(
        !early,
        "{:?} sent {} us after registering",
        rig.take_sent().map(|p| path(&p)),
        rig.now - t0
    );
}

#[test]
fn lost_register_is_retransmitted_with_same_id_and_token() {
    let mut rig = Rig::new();
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let first = rig.take_sent().unwrap();
    let t0 = rig.now;
    // Dropped: wait for the retransmission, 2..3 s later (ACK_TIMEOUT x random factor).
    assert!(rig.run_until(4 * SEC, |r| !r.link.sent.is_empty()));
    let waited = rig.now - t0;
    assert!(
        (2 * SEC..=3 * SEC + 100 * crate::time::MS).contains(&waited),
        "{waited}"
    );
    let second = rig.take_sent().unwrap();
    assert_eq!(second.header.message_id, first.header.message_id);
    assert_eq!(second.get_token(), first.get_token());
    // A duplicated response is harmless.
    rig.deliver(&created(&second));
    rig.deliver(&created(&second));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
    assert!(rig.link.sent.is_empty(), "nothing more is sent");
}

#[cfg(feature = "lwm2m12")]
#[test]
fn a_server_without_lwm2m_12_gets_a_1_1_register() {
    let mut rig = Rig::new();
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let first = rig.take_sent().unwrap();
    assert!(queries(&first).contains(&"lwm2m=1.2".to_string()));
    rig.deliver(&ack(&first, ResponseType::PreconditionFailed));
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let second = rig.take_sent().unwrap();
    assert!(queries(&second).contains(&"lwm2m=1.1".to_string()));
    assert_ne!(second.header.message_id, first.header.message_id);
    rig.deliver(&created(&second));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
}

// Anjay Lite's test_cid.py communication-sequence tests: a 4.00 to Register is no
// version refusal: the retry sequence goes on, still announcing 1.2, after the
// Communication Retry Timer.
#[cfg(feature = "lwm2m12")]
#[test]
fn a_bad_request_to_register_takes_the_retry_sequence_with_the_same_version() {
    let mut rig = Rig::new();
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let first = rig.take_sent().unwrap();
    rig.deliver(&ack(&first, ResponseType::BadRequest));
    let t0 = rig.now;
    assert!(rig.run_until(120 * SEC, |r| !r.link.sent.is_empty()));
    let waited = rig.now - t0;
    assert!(waited >= SEC, "not at once: {waited}");
    let second = rig.take_sent().unwrap();
    assert_eq!(path(&second), "rd");
    assert!(queries(&second).contains(&"lwm2m=1.2".to_string()));
}

#[test]
fn stale_or_foreign_responses_are_ignored() {
    let mut rig = Rig::new();
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let reg = rig.take_sent().unwrap();
    let mut stale = created(&reg);
    stale.header.message_id = reg.header.message_id.wrapping_add(100);
    stale.set_token(vec![9, 9, 9]);
    rig.deliver(&stale);
    rig.run_until(500 * crate::time::MS, |_| false);
    assert_eq!(rig.client().status(), ANJ_CONN_STATUS_REGISTERING);
    rig.deliver(&created(&reg));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
}

#[test]
fn update_is_sent_before_the_lifetime_expires() {
    let mut rig = Rig::new();
    register(&mut rig);
    let t0 = rig.now;
    assert!(rig.run_until(60 * SEC, |r| !r.link.sent.is_empty()));
    let upd = rig.take_sent().unwrap();
    assert!(rig.now - t0 < 60 * SEC);
    assert_eq!(upd.header.code, MessageClass::Request(RequestType::Post));
    assert_eq!(path(&upd), "rd/a1b2");
    // Nothing changed: no parameters, no payload (§6.2.2).
    assert!(queries(&upd).is_empty());
    assert!(upd.payload.is_empty());
    rig.deliver(&ack(&upd, ResponseType::Changed));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
}

#[test]
fn an_unanswered_update_closes_the_link_and_the_next_attempt_reconnects() {
    // A lifetime long enough for the Update to time out before it ends.
    let mut rig = Rig::with_options(false, 300, false);
    register(&mut rig);
    assert_eq!(rig.link.connects.len(), 1);
    assert!(rig.run_until(300 * SEC, |r| !r.link.sent.is_empty()));
    let upd = rig.take_sent().unwrap();
    assert_eq!(path(&upd), "rd/a1b2");
    // The server is silent: the Update is retransmitted on the same connection, then
    // times out; the connection is closed (over DTLS: the session is kept for the
    // reconnect, see `update_lost`).
    assert!(rig.run_until(120 * SEC, |r| !r.link.connected));
    assert_eq!(
        rig.link.connects.len(),
        1,
        "retransmissions reuse the connection"
    );
    assert!(rig.client().is_offline());
    rig.link.sent.clear();
    // The next attempt (Communication Retry Timer, 10 s here) connects first.
    assert!(rig.run_until(30 * SEC, |r| !r.link.sent.is_empty()));
    assert_eq!(rig.link.connects.len(), 2);
    let again = rig.take_sent().unwrap();
    assert_eq!(path(&again), "rd/a1b2");
    rig.deliver(&ack(&again, ResponseType::Changed));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
}

#[test]
fn queue_mode_keeps_the_connection_and_an_unanswered_wake_up_update_reconnects() {
    let mut rig = Rig::build_with(true, 300, false, |_| {});
    register(&mut rig);
    assert!(rig.run_until(10 * SEC, |r| r.client().status()
        == ANJ_CONN_STATUS_QUEUE_MODE));
    // Asleep: the connection stays (receiver off only, as in Anjay Lite), so a
    // wake-up costs no reconnect.
    assert!(rig.link.connected);
    assert!(rig.run_until(300 * SEC, |r| !r.link.sent.is_empty()));
    let upd = rig.take_sent().unwrap();
    assert_eq!(path(&upd), "rd/a1b2");
    assert_eq!(rig.link.connects.len(), 1);
    // The wake-up Update is lost (e.g. the NAT forgot us while asleep): the
    // connection is closed and the next attempt reconnects first.
    assert!(rig.run_until(120 * SEC, |r| !r.link.connected));
    rig.link.sent.clear();
    assert!(rig.run_until(30 * SEC, |r| !r.link.sent.is_empty()));
    assert_eq!(rig.link.connects.len(), 2);
    let again = rig.take_sent().unwrap();
    assert_eq!(path(&again), "rd/a1b2");
    rig.deliver(&ack(&again, ResponseType::Changed));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
}

#[test]
fn restart_releases_the_connection_disable_only_closes_it() {
    let mut rig = Rig::new();
    register(&mut rig);
    rig.client().disable(Some(30 * SEC));
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let dereg = rig.take_sent().unwrap();
    rig.deliver(&ack(&dereg, ResponseType::Deleted));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_SUSPENDED));
    assert!(!rig.link.connected);
    assert_eq!(
        rig.link.cleanups, 0,
        "disabled: closed, the context is kept"
    );
    assert!(rig.run_until(40 * SEC, |r| !r.link.sent.is_empty()));
    let reg = rig.take_sent().unwrap();
    rig.deliver(&created(&reg));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
    rig.client().restart();
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let dereg = rig.take_sent().unwrap();
    rig.deliver(&ack(&dereg, ResponseType::Deleted));
    assert!(rig.run_until(SEC, |r| r.link.cleanups == 1));
}

#[test]
fn failed_registration_follows_the_retry_resources_then_fails() {
    let mut rig = Rig::new();
    let mut attempts = vec![];
    for _ in 0..4 {
        assert!(
            rig.run_until(200 * SEC, |r| !r.link.sent.is_empty()),
            "attempts so far {attempts:?}"
        );
        attempts.push(rig.now);
        let reg = rig.take_sent().unwrap();
        rig.deliver(&ack(&reg, ResponseType::Forbidden));
        rig.step();
    }
    // retry_count 2, retry_timer 10 s, seq_delay 100 s, seq_retry_count 2:
    // try, +10 s try, +100 s (next sequence) try, +10 s try, then failure.
    let gaps: Vec<i64> = attempts.windows(2).map(|w| (w[1] - w[0]) / SEC).collect();
    assert_eq!(gaps, vec![10, 100, 10]);
    assert_eq!(rig.client().status(), ANJ_CONN_STATUS_FAILURE);
    assert!(
        !rig.run_until(300 * SEC, |r| !r.link.sent.is_empty()),
        "no attempts after FAILURE"
    );
}

#[test]
fn disable_deregisters_then_suspends() {
    let mut rig = Rig::new();
    register(&mut rig);
    rig.client().disable(Some(30 * SEC));
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let dereg = rig.take_sent().unwrap();
    assert_eq!(
        dereg.header.code,
        MessageClass::Request(RequestType::Delete)
    );
    assert_eq!(path(&dereg), "rd/a1b2");
    rig.deliver(&ack(&dereg, ResponseType::Deleted));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_SUSPENDED));
    // Back after the timeout: registers again.
    let t0 = rig.now;
    assert!(rig.run_until(40 * SEC, |r| !r.link.sent.is_empty()));
    assert!(rig.now - t0 >= 29 * SEC);
    let reg = rig.take_sent().unwrap();
    assert_eq!(path(&reg), "rd");
}

pub(super) fn server_request(method: RequestType, mid: u16, path: &str) -> Packet {
    let mut p = Packet::new();
    p.header.set_type(MessageType::Confirmable);
    p.header.message_id = mid;
    p.header.code = MessageClass::Request(method);
    p.set_token(vec![0xAB, mid as u8]);
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        p.add_option(CoapOption::UriPath, seg.as_bytes().to_vec());
    }
    p
}

/// Without `ANJ_WITH_SENML_JSON` (the CMake package's default, as Anjay Lite 3.0.0 has no
/// SenML JSON), a SenML JSON Write is an unsupported Content-Format: 4.15, nothing written
/// (Anjay Lite's test_dm.py::test_write_and_read_resource_unsupported_content_format).
#[cfg(not(feature = "senml-json"))]
#[test]
fn senml_json_write_is_unsupported_without_the_option() {
    let mut rig = Rig::new();
    register(&mut rig);
    let mut write = server_request(RequestType::Put, 0x4002, "/1/0/1");
    write.add_option(CoapOption::ContentFormat, vec![110]);
    write.payload = br#"[{"n":"/1/0/1","v":70}]"#.to_vec();
    rig.deliver(&write);
    rig.step();
    let r = rig.take_sent().unwrap();
    assert_eq!(
        r.header.code,
        MessageClass::Response(ResponseType::UnsupportedContentFormat)
    );
    // The lifetime did not change: no Update with lt= follows.
    assert!(!rig.run_until(SEC, |r| !r.link.sent.is_empty()));
}

#[cfg(feature = "plaintext")]
#[test]
fn server_read_and_duplicate_get_the_same_response() {
    let mut rig = Rig::new();
    register(&mut rig);
    let mut read = server_request(RequestType::Get, 0x4000, "/3/0/0");
    read.add_option(CoapOption::Accept, vec![0]);
    rig.deliver(&read);
    rig.deliver(&read);
    // One request of the server per step: the duplicate waits for the next one.
    rig.step();
    let r1 = rig.take_sent().unwrap();
    assert!(rig.take_sent().is_none(), "one request per step");
    rig.step();
    let r2 = rig.take_sent().unwrap();
    assert_eq!(
        r1.header.code,
        MessageClass::Response(ResponseType::Content)
    );
    assert_eq!(r1.payload, b"ACME");
    assert_eq!(r1.to_bytes().unwrap(), r2.to_bytes().unwrap());
}

#[test]
fn security_object_is_not_readable_by_the_server() {
    let mut rig = Rig::new();
    register(&mut rig);
    rig.deliver(&server_request(RequestType::Get, 0x4001, "/0/0/0"));
    rig.step();
    let r = rig.take_sent().unwrap();
    assert_eq!(
        r.header.code,
        MessageClass::Response(ResponseType::Unauthorized)
    );
}

#[cfg(feature = "plaintext")]
#[test]
fn writing_the_lifetime_triggers_an_update_with_lt() {
    let mut rig = Rig::new();
    register(&mut rig);
    let mut w = server_request(RequestType::Put, 0x4002, "/1/0/1");
    w.add_option(CoapOption::ContentFormat, vec![]);
    w.payload = b"120".to_vec();
    rig.deliver(&w);
    rig.step();
    let r = rig.take_sent().unwrap();
    assert_eq!(r.header.code, MessageClass::Response(ResponseType::Changed));
    // The Server object's handler flags the change; anj_core_step applies the flags.
    let anj = rig.anj_ptr();
    // SAFETY (test): no reference into the client is live.
    unsafe { crate::ffi::core::apply_pending(anj) };
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let upd = rig.take_sent().unwrap();
    assert_eq!(path(&upd), "rd/a1b2");
    assert_eq!(queries(&upd), vec!["lt=120".to_string()]);
}

#[test]
fn malformed_datagrams_never_disturb_the_registration() {
    let mut rig = Rig::new();
    register(&mut rig);
    let mut x: u32 = 1;
    for n in 0..300 {
        let len = (n % 40) as usize;
        let mut d = Vec::with_capacity(len);
        for _ in 0..len {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            d.push(x as u8);
        }
        rig.link.inbox.push_back(d);
        rig.step();
        rig.link.sent.clear();
    }
    assert_eq!(rig.client().status(), ANJ_CONN_STATUS_REGISTERED);
}

#[test]
fn queue_mode_sleeps_after_the_timeout_and_wakes_for_the_update() {
    let mut rig = Rig::with_queue_mode(true);
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let reg = rig.take_sent().unwrap();
    // LwM2M 1.1 TS Core §6.2.1: queue mode is announced with the Q parameter.
    assert!(
        queries(&reg).contains(&"Q".to_string()),
        "{:?}",
        queries(&reg)
    );
    rig.deliver(&created(&reg));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
    let t0 = rig.now;
    assert!(rig.run_until(10 * SEC, |r| r.client().status()
        == ANJ_CONN_STATUS_QUEUE_MODE));
    let slept_after = rig.now - t0;
    assert!((5 * SEC..6 * SEC).contains(&slept_after), "{slept_after}");
    // Both transitions were reported, in order.
    let mut seen = vec![];
    while let Some(s) = rig.client().take_status_change() {
        seen.push(anj_conn_status_t::from(s));
    }
    assert!(
        seen.ends_with(&[
            ANJ_CONN_STATUS_ENTERING_QUEUE_MODE,
            ANJ_CONN_STATUS_QUEUE_MODE
        ]),
        "{seen:?}"
    );
    // Asleep, the client tells the application it can sleep until the Update is due.
    let now = rig.now;
    assert!(
        {
            let a = rig.anj_ptr();
            // SAFETY (test): no other reference into the client is live.
            unsafe { crate::ffi::core::with_client_host(a, |c, h| c.next_step_at(now, h)) }
        } > now + 10 * SEC
    );
    assert!(rig.run_until(60 * SEC, |r| !r.link.sent.is_empty()));
    let upd = rig.take_sent().unwrap();
    assert_eq!(path(&upd), "rd/a1b2");
    rig.deliver(&ack(&upd, ResponseType::Changed));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
}

#[test]
fn unknown_critical_option_gets_bad_option() {
    let mut rig = Rig::new();
    register(&mut rig);
    let mut read = server_request(RequestType::Get, 0x4100, "/3/0/0");
    // Option 9 is unassigned and odd, hence critical (RFC 7252 §5.4.1).
    read.add_option(CoapOption::Unknown(9), vec![1]);
    rig.deliver(&read);
    rig.step();
    let r = rig.take_sent().unwrap();
    assert_eq!(
        r.header.code,
        MessageClass::Response(ResponseType::BadOption)
    );
    assert_eq!(r.header.message_id, 0x4100);
}

#[test]
fn malformed_con_is_reset() {
    let mut rig = Rig::new();
    register(&mut rig);
    // CON, token length 9: a message format error (RFC 7252 §3), answered with RST (§4.2).
    rig.link
        .inbox
        .push_back(vec![0x49, 0x01, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    rig.step();
    let r = rig.take_sent().unwrap();
    assert_eq!(r.header.get_type(), MessageType::Reset);
    assert_eq!(r.header.message_id, 0x1234);
    assert_eq!(rig.client().status(), ANJ_CONN_STATUS_REGISTERED);
}

#[test]
fn execute_update_trigger_and_disable_through_the_server_object() {
    let mut rig = Rig::new();
    register(&mut rig);
    // /1/0/8 Registration Update Trigger: the handler requests the Update through the C
    // face (anj_core_server_obj_registration_update_trigger_executed).
    rig.deliver(&server_request(RequestType::Post, 0x4200, "/1/0/8"));
    rig.step();
    let r = rig.take_sent().unwrap();
    assert_eq!(r.header.code, MessageClass::Response(ResponseType::Changed));
    let anj = rig.anj_ptr();
    // SAFETY (test): the request flags are applied the way anj_core_step applies them.
    unsafe { crate::ffi::core::apply_pending(anj) };
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let upd = rig.take_sent().unwrap();
    assert_eq!(path(&upd), "rd/a1b2");
    rig.deliver(&ack(&upd, ResponseType::Changed));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));

    // /1/0/4 Disable: De-register, then offline for the Disable Timeout (/1/0/5, 86400 s).
    rig.deliver(&server_request(RequestType::Post, 0x4201, "/1/0/4"));
    rig.step();
    let r = rig.take_sent().unwrap();
    assert_eq!(r.header.code, MessageClass::Response(ResponseType::Changed));
    // SAFETY (test): as above.
    unsafe { crate::ffi::core::apply_pending(anj) };
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let dereg = rig.take_sent().unwrap();
    assert_eq!(
        dereg.header.code,
        MessageClass::Request(RequestType::Delete)
    );
    rig.deliver(&ack(&dereg, ResponseType::Deleted));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_SUSPENDED));
    let now = rig.now;
    let wake = {
        let a = rig.anj_ptr();
        // SAFETY (test): no other reference into the client is live.
        unsafe { crate::ffi::core::with_client_host(a, |c, h| c.next_step_at(now, h)) }
    };
    assert!(
        (86_399 * SEC..=86_400 * SEC).contains(&(wake - now)),
        "{}",
        wake - now
    );
}

#[test]
fn an_added_object_makes_the_update_carry_the_object_list() {
    let mut rig = Rig::new();
    register(&mut rig);
    let res = Box::leak(Box::new([crate::ffi::dm::anj_dm_res_t {
        rid: 0,
        r#type: crate::ffi::dm::ANJ_DATA_TYPE_INT,
        kind: crate::ffi::dm::anj_dm_res_kind_t::ANJ_DM_RES_R,
        insts: std::ptr::null(),
        max_inst_count: 0,
    }]));
    let inst = Box::leak(Box::new(crate::ffi::dm::anj_dm_obj_inst_t {
        iid: 0,
        resources: res.as_ptr(),
        res_count: 1,
    }));
    let handlers = Box::leak(Box::new(crate::ffi::dm::anj_dm_handlers_t::default()));
    let obj = Box::leak(Box::new(crate::ffi::dm::anj_dm_obj_t {
        oid: 3303,
        version: c"1.1".as_ptr(),
        handlers,
        insts: inst,
        max_inst_count: 1,
    }));
    let anj = rig.anj_ptr();
    // SAFETY (test): a valid object that lives for the rest of the test.
    unsafe {
        assert_eq!(crate::ffi::core::anj_dm_add_obj(anj, obj), 0);
        crate::ffi::core::apply_pending(anj);
    }
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let upd = rig.take_sent().unwrap();
    assert_eq!(path(&upd), "rd/a1b2");
    let body = String::from_utf8(upd.payload.clone()).unwrap();
    assert!(body.contains("</3303>;ver=1.1,</3303/0>"), "{body}");
}

/// coaps:// accounts: the credentials that reach the link.
#[cfg(feature = "security")]
mod psk {
    use super::*;
    use crate::ffi::crypto::{
        anj_crypto_data_source_t, anj_crypto_security_info_buffer_t, anj_crypto_security_info_t,
        anj_crypto_security_info_union_t, anj_crypto_security_tag_t,
    };
    use crate::ffi::net::anj_net_psk_info_t;
    use crate::ffi::security::{
        anj_security_credential_handlers_t, anj_security_get_psk_info,
        anj_security_register_credential_handlers,
    };
    use core::ffi::c_int;

    fn buf(tag: anj_crypto_security_tag_t, b: &'static [u8]) -> anj_crypto_security_info_t {
        anj_crypto_security_info_t {
            tag,
            source: anj_crypto_data_source_t::ANJ_CRYPTO_DATA_SOURCE_BUFFER,
            info: anj_crypto_security_info_union_t {
                buffer: anj_crypto_security_info_buffer_t {
                    data: b.as_ptr().cast(),
                    data_size: b.len(),
                },
            },
        }
    }

    fn psk_rig() -> Rig {
        Rig::build(false, |s| {
            s.server_uri = c"coaps://127.0.0.1:5684".as_ptr();
            s.security_mode = anj_dm_security_mode_t::ANJ_DM_SECURITY_PSK;
            s.public_key_or_identity = buf(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_IDENTITY,
                b"dev-1",
            );
            s.secret_key = buf(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_KEY,
                &[0xA0, 0x01, 0x02],
            );
        })
    }

    fn bytes(info: &anj_crypto_security_info_t) -> Vec<u8> {
        // SAFETY (test): BUFFER sources made by the library or the handler below.
        unsafe {
            let b = info.info.buffer;
            std::slice::from_raw_parts(b.data.cast::<u8>(), b.data_size).to_vec()
        }
    }

    #[test]
    fn security_object_psk_reaches_the_link_and_the_api() {
        let mut rig = psk_rig();
        rig.step();
        assert_eq!(
            rig.link.psk,
            Some((b"dev-1".to_vec(), vec![0xA0, 0x01, 0x02]))
        );
        assert_eq!(path(&rig.take_sent().expect("Register")), "rd");

        // SAFETY (test): all-zero is a valid out value; the client is initialised.
        let mut out: anj_net_psk_info_t = unsafe { std::mem::zeroed() };
        let anj = rig.anj_ptr();
        assert_eq!(
            unsafe { anj_security_get_psk_info(anj, false, &mut out) },
            0
        );
        assert_eq!(bytes(&out.identity), b"dev-1");
        assert_eq!(bytes(&out.key), [0xA0, 0x01, 0x02]);
        assert!(out.sni.is_null());
        // No Bootstrap-Server account here.
        assert_eq!(
            unsafe { anj_security_get_psk_info(anj, true, &mut out) },
            -1
        );
    }

    #[cfg(not(feature = "rpk"))]
    #[test]
    fn rpk_mode_fails_before_reaching_the_link() {
        let mut rig = Rig::build(false, |s| {
            s.server_uri = c"coaps://127.0.0.1:5684".as_ptr();
            s.security_mode = anj_dm_security_mode_t::ANJ_DM_SECURITY_RPK;
        });
        rig.step();
        assert_eq!(rig.link.connects.len(), 0, "no connection in RPK mode");
        assert!(rig.link.psk.is_none() && rig.link.security.is_none());
        assert!(rig.take_sent().is_none(), "nothing is sent");
    }

    #[cfg(feature = "certificates")]
    #[test]
    fn certificate_mode_reaches_the_link_with_usage_and_trust_store() {
        use crate::ffi::net::{anj_net_certificate_usage_t, anj_net_security_mode_t};
        static USAGE: anj_net_certificate_usage_t =
            anj_net_certificate_usage_t::ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION;
        let mut rig = Rig::build(false, |s| {
            s.server_uri = c"coaps://127.0.0.1:5684".as_ptr();
            s.security_mode = anj_dm_security_mode_t::ANJ_DM_SECURITY_CERTIFICATE;
            s.public_key_or_identity = buf(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN,
                b"client-cert",
            );
            s.secret_key = buf(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY,
                b"client-key",
            );
            s.server_public_key = buf(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN,
                b"server-cert",
            );
            s.server_name_indication = c"lwm2m.example".as_ptr();
            s.certificate_usage = &USAGE;
        });
        rig.step();
        let sec = rig.link.security.expect("credentials in their C form");
        assert_eq!(
            sec.mode,
            anj_net_security_mode_t::ANJ_NET_SECURITY_CERTIFICATE
        );
        assert!(rig.link.psk.is_none());
        // SAFETY (test): certificate mode.
        let cert = unsafe { sec.data.cert };
        assert_eq!(bytes(&cert.client_cert), b"client-cert");
        assert_eq!(bytes(&cert.private_key), b"client-key");
        assert_eq!(bytes(&cert.server_cert), b"server-cert");
        assert_eq!(cert.certificate_usage, USAGE);
        // SAFETY (test): a NUL-terminated string inside the Security object.
        let sni = unsafe { core::ffi::CStr::from_ptr(cert.sni) };
        assert_eq!(sni.to_bytes(), b"lwm2m.example");
        assert_eq!(cert.trust_store.ca_certs_count, 0);
        assert_eq!(path(&rig.take_sent().expect("Register")), "rd");
    }

    #[cfg(feature = "rpk")]
    #[test]
    fn rpk_mode_reaches_the_link_with_the_three_keys() {
        use crate::ffi::net::anj_net_security_mode_t;
        let mut rig = Rig::build(false, |s| {
            s.server_uri = c"coaps://127.0.0.1:5684".as_ptr();
            s.security_mode = anj_dm_security_mode_t::ANJ_DM_SECURITY_RPK;
            s.public_key_or_identity = buf(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN,
                b"client-public",
            );
            s.secret_key = buf(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY,
                b"client-private",
            );
            s.server_public_key = buf(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN,
                b"server-public",
            );
        });
        rig.step();
        let sec = rig.link.security.expect("credentials in their C form");
        assert_eq!(sec.mode, anj_net_security_mode_t::ANJ_NET_SECURITY_RPK);
        assert!(rig.link.psk.is_none());
        // SAFETY (test): RPK mode.
        let rpk = unsafe { sec.data.rpk };
        assert_eq!(bytes(&rpk.public_key), b"client-public");
        assert_eq!(bytes(&rpk.private_key), b"client-private");
        assert_eq!(bytes(&rpk.server_public_key), b"server-public");
        assert_eq!(path(&rig.take_sent().expect("Register")), "rd");
    }

    #[test]
    fn no_psk_in_nosec_mode() {
        let mut rig = Rig::build(false, |s| {
            s.server_uri = c"coaps://127.0.0.1:5684".as_ptr();
        });
        rig.step();
        assert!(!rig.link.connects.is_empty());
        assert_eq!(
            rig.link.psk, None,
            "a NoSec instance gives a coaps link no key"
        );
    }

    unsafe extern "C" fn handler(
        _anj: *const anj_t,
        bootstrap: bool,
        out: *mut anj_net_psk_info_t,
    ) -> c_int {
        assert!(!bootstrap);
        // SAFETY (test): the library passes a valid out slot.
        unsafe {
            (*out).identity = buf(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_IDENTITY,
                b"from-handler",
            );
            (*out).key = buf(
                anj_crypto_security_tag_t::ANJ_CRYPTO_SECURITY_TAG_PSK_KEY,
                b"k",
            );
        }
        0
    }

    #[test]
    fn registered_handler_takes_precedence() {
        static HANDLERS: anj_security_credential_handlers_t = anj_security_credential_handlers_t {
            get_psk_info: Some(handler),
            #[cfg(feature = "certificates")]
            get_cert_info: None,
            #[cfg(feature = "external-crypto-storage")]
            offload_keys_and_certs: None,
        };
        let mut rig = psk_rig();
        let anj = rig.anj_ptr();
        // SAFETY (test): initialised client, static table.
        unsafe { anj_security_register_credential_handlers(anj, &HANDLERS) };
        rig.step();
        assert_eq!(
            rig.link.psk,
            Some((b"from-handler".to_vec(), b"k".to_vec()))
        );
        // SAFETY (test): as above.
        let mut out: anj_net_psk_info_t = unsafe { std::mem::zeroed() };
        assert_eq!(
            unsafe { anj_security_get_psk_info(anj, false, &mut out) },
            0
        );
        assert_eq!(bytes(&out.identity), b"from-handler");
    }
}
