//! Observe / Notify / Cancel end to end in simulated time, against the coap-lite server of
//! the client tests: the notification timing under pmin/pmax/gt/lt/st, CON and NON,
//! cancellation by Observe 1 and by Reset, the silent end of observations on a deletion and on
//! re-registration, server writes, and queue mode.

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

use super::dm_tests::{code, env, env_from, env_with, Env, Req};
use super::tests::{ack, server_request};
use super::*;
use crate::ffi::core::{anj_core_change_type_t, anj_core_data_model_changed};
use crate::ffi::utils::anj_uri_path_t;
use crate::time::MS;
use std::vec::Vec;

fn observe_opt(p: &Packet) -> Option<u32> {
    super::dm_tests::uint_option(p, CoapOption::Observe)
}

fn text_value(p: &Packet) -> String {
    String::from_utf8(p.payload.clone()).unwrap()
}

impl Env {
    /// Sends GET `path` with Observe `flag` (and `query`), returns the response.
    /// Plain text for a resource, to read the value back easily.
    fn observe(&mut self, path: &str, token: &[u8], flag: u8, query: &[&str]) -> Packet {
        let accept = (path.split('/').count() >= 3).then_some(0);
        self.observe_as(path, token, flag, query, accept)
    }

    /// [`Env::observe`] with the given Accept option (none for `None`).
    fn observe_as(
        &mut self,
        path: &str,
        token: &[u8],
        flag: u8,
        query: &[&str],
        accept: Option<u16>,
    ) -> Packet {
        self.mid += 1;
        let mut p = server_request(RequestType::Get, self.mid, path);
        p.set_token(token.to_vec());
        p.add_option(
            CoapOption::Observe,
            if flag == 0 { vec![] } else { vec![flag] },
        );
        for q in query {
            p.add_option(CoapOption::UriQuery, q.as_bytes().to_vec());
        }
        if let Some(accept) = accept {
            p.add_option(CoapOption::Accept, super::dm_tests::uint_opt(accept));
        }
        self.rig.deliver(&p);
        self.rig.step();
        let mut resp = None;
        while let Some(s) = self.rig.take_sent() {
            if s.header.get_type() == MessageType::Acknowledgement
                && s.header.message_id == self.mid
            {
                resp = Some(s);
            }
        }
        resp.expect("no response")
    }

    fn write_attrs(&mut self, path: &str, query: &[&str]) {
        let r = self.req(
            RequestType::Put,
            path,
            Req {
                query,
                ..Default::default()
            },
        );
        assert_eq!(code(&r), ResponseType::Changed);
    }

    /// Runs until the client sends something that is not an Update (Updates are answered);
    /// returns it and the simulated time it was sent at.
    fn next_sent(&mut self, limit: Duration) -> Option<(Packet, Instant)> {
        let end = self.rig.now + limit;
        while self.rig.now <= end {
            self.rig.step();
            while let Some(p) = self.rig.take_sent() {
                if super::tests::path(&p).starts_with("rd") {
                    self.rig.deliver(&ack(&p, ResponseType::Changed));
                    continue;
                }
                return Some((p, self.rig.now));
            }
            self.rig.now += 100 * MS;
        }
        None
    }

    /// The application changes /4000/<iid>/0 and reports it.
    fn app_sets(&mut self, iid: u16, value: i64) {
        let k = self.a.st().slot_iid.iter().position(|&i| i == iid).unwrap();
        self.a.st().data[k].value = value;
        self.changed(
            &[4000, iid, 0],
            anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_VALUE_CHANGED,
        );
    }

    fn changed(&mut self, ids: &[u16], kind: anj_core_change_type_t) {
        let mut p = anj_uri_path_t {
            ids: [u16::MAX; 4],
            uri_len: ids.len(),
        };
        p.ids[..ids.len()].copy_from_slice(ids);
        let anj = self.rig.anj_ptr();
        // SAFETY (test): an initialised client, outside of any step.
        unsafe {
            anj_core_data_model_changed(anj, &p, kind);
            crate::ffi::core::apply_pending(anj);
        }
    }
}

#[test]
fn pmin_pmax_timing_and_values() {
    let mut env = env();
    env.write_attrs("4000/0/0", &["pmin=1", "pmax=3"]);
    let r = env.observe("4000/0/0", b"ob1", 0, &[]);
    assert_eq!(code(&r), ResponseType::Content);
    let first_seq = observe_opt(&r).expect("Observe option in the response");
    assert_eq!(text_value(&r), "0");
    let t0 = env.rig.now;

    // Nothing changes: pmax brings a notification every 3 s.
    let (n1, t1) = env.next_sent(5 * SEC).expect("pmax notification");
    assert_eq!(n1.header.get_type(), MessageType::NonConfirmable);
    assert_eq!(n1.get_token(), b"ob1");
    assert_eq!(
        n1.header.code,
        MessageClass::Response(ResponseType::Content)
    );
    assert_eq!(text_value(&n1), "0");
    assert!((t1 - t0 - 3 * SEC).abs() <= 100 * MS, "{}", t1 - t0);
    let seq1 = observe_opt(&n1).unwrap();
    assert!(seq1 > first_seq);

    // A change right after a notification waits for pmin (1 s).
    env.app_sets(0, 42);
    let (n2, t2) = env.next_sent(5 * SEC).expect("change notification");
    assert_eq!(text_value(&n2), "42");
    assert!((t2 - t1 - SEC).abs() <= 100 * MS, "{}", t2 - t1);
    assert!(observe_opt(&n2).unwrap() > seq1);

    // A change long after pmin goes out at once.
    env.rig.now += 1500 * MS;
    env.app_sets(0, 43);
    let before = env.rig.now;
    let (n3, t3) = env.next_sent(5 * SEC).expect("immediate notification");
    assert_eq!(text_value(&n3), "43");
    assert!(t3 - before <= 100 * MS);
}

#[test]
fn without_pmax_or_changes_nothing_is_sent_or_read() {
    let mut env = env();
    let r = env.observe("4000/0/0", b"ob", 0, &[]);
    assert_eq!(code(&r), ResponseType::Content);
    assert!(env.next_sent(30 * SEC).is_none());
}

#[test]
fn step_and_thresholds() {
    let mut env = env();
    env.write_attrs("4000/0/0", &["st=5", "gt=100", "lt=-100"]);
    env.observe("4000/0/0", b"ob", 0, &[]);
    env.app_sets(0, 3);
    assert!(env.next_sent(2 * SEC).is_none(), "a step of 3 < st");
    env.app_sets(0, 6);
    let (n, _) = env.next_sent(2 * SEC).expect("step of 6 >= st");
    assert_eq!(text_value(&n), "6");
    env.app_sets(0, 9);
    assert!(
        env.next_sent(2 * SEC).is_none(),
        "3 from the last notified value"
    );
    // Raise st so only the thresholds matter.
    env.write_attrs("4000/0/0", &["st"]);
    env.app_sets(0, 99);
    assert!(env.next_sent(2 * SEC).is_none(), "below gt");
    env.app_sets(0, 101);
    let (n, _) = env.next_sent(2 * SEC).expect("crossed gt");
    assert_eq!(text_value(&n), "101");
    env.app_sets(0, -101);
    let (n, _) = env.next_sent(2 * SEC).expect("crossed gt down and lt");
    assert_eq!(text_value(&n), "-101");
}

#[test]
fn inherited_attributes_and_server_defaults() {
    let mut env = env();
    // pmax on the object level applies to the resource below it.
    env.write_attrs("4000", &["pmax=2"]);
    env.observe("4000/0/0", b"ob", 0, &[]);
    let t0 = env.rig.now;
    let (_, t1) = env.next_sent(5 * SEC).expect("inherited pmax");
    assert!((t1 - t0 - 2 * SEC).abs() <= 100 * MS);
    // The instance level overrides it.
    env.write_attrs("4000/0", &["pmax=4"]);
    let (_, t2) = env.next_sent(6 * SEC).expect("instance pmax");
    assert!((t2 - t1 - 4 * SEC).abs() <= 100 * MS, "{}", t2 - t1);
}

#[test]
fn cancel_by_observe_1_and_by_reset() {
    let mut env = env();
    env.write_attrs("4000/0/0", &["pmax=1"]);
    env.observe("4000/0/0", b"c1", 0, &[]);
    assert!(env.next_sent(2 * SEC).is_some());
    let r = env.observe("4000/0/0", b"c1", 1, &[]);
    assert_eq!(code(&r), ResponseType::Content);
    assert!(observe_opt(&r).is_none());
    assert!(env.next_sent(3 * SEC).is_none(), "cancelled");

    env.observe("4000/0/0", b"c2", 0, &[]);
    let (n, _) = env.next_sent(2 * SEC).unwrap();
    let mut rst = Packet::new();
    rst.header.set_type(MessageType::Reset);
    rst.header.code = MessageClass::Empty;
    rst.header.message_id = n.header.message_id;
    env.rig.deliver(&rst);
    assert!(env.next_sent(3 * SEC).is_none(), "cancelled by RST");
}

#[cfg(feature = "lwm2m12")]
#[test]
fn confirmable_notifications_are_retransmitted_until_acknowledged() {
    let mut env = env();
    let r = env.observe("4000/0/0", b"con", 0, &["con=1", "pmax=2"]);
    assert_eq!(code(&r), ResponseType::Content);
    let (n, _) = env.next_sent(3 * SEC).unwrap();
    assert_eq!(n.header.get_type(), MessageType::Confirmable);
    // Not acknowledged: the same message again 2-3 s later.
    let (again, _) = env.next_sent(4 * SEC).unwrap();
    assert_eq!(again.header.message_id, n.header.message_id);
    assert_eq!(again.header.get_type(), MessageType::Confirmable);
    let mut empty = Packet::new();
    empty.header.set_type(MessageType::Acknowledgement);
    empty.header.message_id = n.header.message_id;
    env.rig.deliver(&empty);
    // The next one is a new message (pmax 2 s).
    let (next, _) = env.next_sent(3 * SEC).unwrap();
    assert_ne!(next.header.message_id, n.header.message_id);
}

/// As in Anjay Lite: the server's Delete of an instance ends the observations at or below
/// it without a word (no 4.04), and those above it or elsewhere go on.
#[test]
fn deleted_instance_ends_its_observations_silently() {
    let mut env = env();
    let obj = env.observe("4000", b"obj", 0, &[]);
    assert!(observe_opt(&obj).is_some());
    env.observe("4000/1/0", b"del", 0, &[]);
    env.observe("4000/0/0", b"keep", 0, &[]);
    let r = env.req(RequestType::Delete, "4000/1", Req::default());
    assert_eq!(code(&r), ResponseType::Deleted);
    assert!(
        env.next_sent(3 * SEC).is_none(),
        "neither a 4.04 nor a notification for the deletion"
    );
    env.app_sets(0, 20);
    let mut tokens = Vec::new();
    while let Some((n, _)) = env.next_sent(2 * SEC) {
        assert_eq!(n.header.code, MessageClass::Response(ResponseType::Content));
        tokens.push(n.get_token().to_vec());
    }
    tokens.sort();
    assert_eq!(tokens, [b"keep".to_vec(), b"obj".to_vec()]);
}

#[test]
fn application_deletion_ends_the_observation_silently() {
    let mut env = env();
    env.write_attrs("4000/1/0", &["pmax=2"]);
    let r = env.observe("4000/1", b"del", 0, &[]);
    assert_eq!(code(&r), ResponseType::Content);
    assert!(observe_opt(&r).is_some());
    env.changed(
        &[4000, 1],
        anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_DELETED,
    );
    // Not even pmax brings anything now.
    assert!(env.next_sent(5 * SEC).is_none(), "observation over");
}

#[test]
fn server_write_notifies() {
    let mut env = env();
    env.observe("4000/0/0", b"w", 0, &[]);
    let r = env.req(
        RequestType::Put,
        "4000/0/0",
        Req {
            cf: Some(0),
            payload: b"77".to_vec(),
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::Changed);
    let (n, _) = env
        .next_sent(2 * SEC)
        .expect("notification of the written value");
    assert_eq!(text_value(&n), "77");
}

#[test]
fn re_registration_ends_observations() {
    let mut env = env();
    env.write_attrs("4000/0/0", &["pmax=1"]);
    env.observe("4000/0/0", b"rr", 0, &[]);
    assert!(env.next_sent(2 * SEC).is_some());
    // The server rejects an Update: the client registers again.
    env.rig.client().request_update();
    assert!(env.rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let upd = env.rig.take_sent().unwrap();
    let upd = if super::tests::path(&upd).starts_with("rd/") {
        upd
    } else {
        env.rig.run_until(SEC, |r| !r.link.sent.is_empty());
        env.rig.take_sent().unwrap()
    };
    env.rig.deliver(&ack(&upd, ResponseType::NotFound));
    assert!(env.rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let reg = env.rig.take_sent().unwrap();
    assert_eq!(super::tests::path(&reg), "rd");
    let mut created = ack(&reg, ResponseType::Created);
    created.add_option(CoapOption::LocationPath, b"rd".to_vec());
    created.add_option(CoapOption::LocationPath, b"x9".to_vec());
    env.rig.deliver(&created);
    assert!(env
        .rig
        .run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
    assert!(env.next_sent(3 * SEC).is_none(), "observation ended");
}

#[test]
fn a_full_table_answers_without_observe() {
    let mut env = env();
    for k in 0..crate::config::OBSERVE_MAX_OBSERVATIONS_NUMBER {
        let r = env.observe("4000/0/0", &[b'T', k as u8], 0, &[]);
        assert!(observe_opt(&r).is_some());
    }
    let r = env.observe("4000/0/0", b"over", 0, &[]);
    assert_eq!(code(&r), ResponseType::Content);
    assert!(observe_opt(&r).is_none());
}

#[test]
fn a_notification_wakes_the_client_from_queue_mode() {
    let mut env = env_with(true);
    env.observe("4000/0/0", b"q", 0, &[]);
    // Idle for the queue-mode timeout (5 s): the client stops listening.
    assert!(env.rig.run_until(7 * SEC, |r| r.client().status()
        == ANJ_CONN_STATUS_QUEUE_MODE));
    let anj = env.rig.anj_ptr();
    let now = env.rig.now;
    // Asleep until the registration needs refreshing (lifetime 60 s).
    // SAFETY (test): no other reference into the client is live.
    let wake = unsafe { crate::ffi::core::with_client_host(anj, |c, h| c.next_step_at(now, h)) };
    assert!(wake > now + 20 * SEC, "{}", wake - now);
    // A change: the client is due now, wakes up and notifies at once.
    env.app_sets(0, 5);
    // SAFETY (test): no other reference into the client is live.
    let due = unsafe { crate::ffi::core::with_client_host(anj, |c, h| c.next_step_at(now, h)) };
    assert!(due <= now, "{}", due - now);
    let (n, at) = env.next_sent(SEC).expect("notification after waking up");
    assert_eq!(text_value(&n), "5");
    assert!(at - now <= 100 * MS, "{} {:?}", at - now, n);
    assert_eq!(env.rig.client().status(), ANJ_CONN_STATUS_REGISTERED);
    // And back to sleep after another queue-mode timeout.
    assert!(env.rig.run_until(7 * SEC, |r| r.client().status()
        == ANJ_CONN_STATUS_QUEUE_MODE));
}

#[cfg(feature = "observe-composite")]
fn fetch_observe(env: &mut Env, token: &[u8], flag: u8, paths: &[&str]) -> Packet {
    fetch_observe_as(env, token, flag, paths, 112)
}

#[cfg(feature = "observe-composite")]
fn fetch_observe_as(env: &mut Env, token: &[u8], flag: u8, paths: &[&str], accept: u16) -> Packet {
    env.mid += 1;
    let mut p = server_request(RequestType::Fetch, env.mid, "");
    p.set_token(token.to_vec());
    p.add_option(
        CoapOption::Observe,
        if flag == 0 { vec![] } else { vec![flag] },
    );
    p.add_option(CoapOption::ContentFormat, vec![112]);
    p.add_option(CoapOption::Accept, super::dm_tests::uint_opt(accept));
    // SenML CBOR records with names only: [{0: "/4000/0/0"}, ...]
    let mut body = vec![0x80 | paths.len() as u8];
    for path in paths {
        body.extend_from_slice(&[0xa1, 0x00, 0x60 | path.len() as u8]);
        body.extend_from_slice(path.as_bytes());
    }
    p.payload = body;
    env.rig.deliver(&p);
    env.rig.step();
    let mut resp = None;
    while let Some(s) = env.rig.take_sent() {
        if s.header.get_type() == MessageType::Acknowledgement && s.header.message_id == env.mid {
            resp = Some(s);
        }
    }
    resp.expect("no response")
}

#[cfg(feature = "observe-composite")]
#[test]
fn observe_composite_notifies_every_path_and_cancels() {
    let mut env = env();
    let r = fetch_observe(&mut env, b"oc", 0, &["/4000/0/0", "/4000/1/0"]);
    assert_eq!(code(&r), ResponseType::Content);
    assert!(observe_opt(&r).is_some());
    // A change of one path notifies both, in one SenML CBOR payload.
    env.app_sets(1, 1234);
    let (n, _) = env.next_sent(2 * SEC).expect("composite notification");
    assert_eq!(n.get_token(), b"oc");
    assert!(observe_opt(&n).unwrap() > observe_opt(&r).unwrap());
    let body = n.payload.clone();
    let has = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"/4000/0/0") && has(b"/4000/1/0"), "{body:x?}");
    assert!(has(&[0x19, 0x04, 0xd2]), "1234 in the payload: {body:x?}");
    // Cancel-Observe-Composite.
    let r = fetch_observe(&mut env, b"oc", 1, &["/4000/0/0", "/4000/1/0"]);
    assert_eq!(code(&r), ResponseType::Content);
    assert!(observe_opt(&r).is_none());
    env.app_sets(1, 7);
    assert!(env.next_sent(2 * SEC).is_none(), "cancelled");
}

#[cfg(all(feature = "lwm2m-send", feature = "senml-cbor"))]
mod send {
    use super::*;
    use crate::ffi::send::*;
    use core::ffi::{c_int, c_void};
    use std::cell::RefCell;

    thread_local! {
        static RESULTS: RefCell<std::vec::Vec<(u16, c_int)>> = const { RefCell::new(std::vec::Vec::new()) };
    }

    unsafe extern "C" fn finished(
        _: *mut crate::ffi::core::anj_t,
        id: u16,
        result: c_int,
        _: *mut c_void,
    ) {
        RESULTS.with(|r| r.borrow_mut().push((id, result)));
    }

    #[test]
    fn send_goes_out_as_post_dp_and_reports_the_result() {
        let mut env = env();
        let mut value = crate::ffi::dm::anj_res_value_t::zeroed();
        value.int_value = 42;
        let rec = crate::ffi::dm::anj_io_out_entry_t {
            r#type: crate::ffi::dm::ANJ_DATA_TYPE_INT,
            value,
            path: anj_uri_path_t::from_ids(&[4000, 0, 0]).unwrap(),
            timestamp: 1_700_000_000.0,
        };
        let req = anj_send_request_t {
            records: &rec,
            records_cnt: 1,
            finished_handler: Some(finished),
            data: std::ptr::null_mut(),
            content_format: anj_send_content_format_t::ANJ_SEND_CONTENT_FORMAT_SENML_CBOR,
        };
        let mut id = 0u16;
        let anj = env.rig.anj_ptr();
        // SAFETY (test): the request and its record outlive the exchange.
        assert_eq!(unsafe { anj_send_new_request(anj, &req, &mut id) }, 0);
        let (p, _) = env.next_sent(SEC).expect("the Send request");
        assert_eq!(p.header.get_type(), MessageType::Confirmable);
        assert_eq!(p.header.code, MessageClass::Request(RequestType::Post));
        assert_eq!(super::super::tests::path(&p), "dp");
        let body = p.payload.clone();
        assert!(body.windows(9).any(|w| w == b"/4000/0/0"), "{body:x?}");
        assert!(body.windows(2).any(|w| w == [0x18, 42]), "{body:x?}");
        env.rig.deliver(&ack(&p, ResponseType::Changed));
        env.rig.step();
        RESULTS.with(|r| assert_eq!(*r.borrow(), [(id, ANJ_SEND_SUCCESS)]));
    }
}

/// Lets every message the client sends go unanswered until `cond` holds; returns what
/// was sent meanwhile (Updates included).
fn drop_until(
    env: &mut Env,
    limit: Duration,
    mut cond: impl FnMut(&mut Env) -> bool,
) -> Vec<Packet> {
    let mut sent = Vec::new();
    let end = env.rig.now + limit;
    while env.rig.now <= end {
        env.rig.step();
        while let Some(p) = env.rig.take_sent() {
            sent.push(p);
        }
        if cond(env) {
            return sent;
        }
        env.rig.now += 100 * MS;
    }
    panic!("condition not reached; sent {sent:?}");
}

fn is_offline(env: &mut Env) -> bool {
    env.rig.client().is_offline()
}

/// An Update goes unanswered: the client keeps its registration (lifetime 600 s) and
/// retries the Update later instead of registering again; the observation survives and
/// reports the current value once the server is back.
#[test]
fn an_outage_keeps_the_registration_and_the_observation() {
    let mut env = env_from(super::tests::Rig::with_options(false, 600, false));
    env.observe("4000/0/0", b"out", 0, &[]);
    env.rig.client().request_update();
    let sent = drop_until(&mut env, 300 * SEC, is_offline);
    assert!(
        sent.iter().any(|p| super::tests::path(p) == "rd/a1b2"),
        "an Update checked the registration"
    );
    assert!(
        !sent.iter().any(|p| super::tests::path(p) == "rd"),
        "no new Register"
    );
    env.app_sets(0, 2);
    // The next Update attempt (Communication Retry Timer 10 s) is answered.
    let (n, _) = env
        .next_sent(30 * SEC)
        .expect("notification after the outage");
    assert_eq!(n.get_token(), b"out");
    assert_eq!(text_value(&n), "2");
    assert_eq!(env.rig.client().status(), ANJ_CONN_STATUS_REGISTERED);
}

/// A confirmable notification that is never acknowledged (without
/// `ANJ_OBSERVE_OBSERVATION_CANCEL_ON_TIMEOUT`): as in Anjay Lite, the observation stays,
/// no Update follows and the value is not sent again; the next change is notified.
#[cfg(all(feature = "lwm2m12", not(feature = "observation-cancel-on-timeout")))]
#[test]
fn a_timed_out_notification_keeps_the_observation_without_an_update() {
    // Lifetime 600 s: no periodic Update within the test.
    let mut env = env_from(super::tests::Rig::with_options(false, 600, false));
    env.observe("4000/0/0", b"to", 0, &["con=1"]);
    env.app_sets(0, 1);
    let mut started = false;
    let sent = drop_until(&mut env, 300 * SEC, |e| {
        started |= !e.rig.client().nothing_outstanding();
        started && e.rig.client().nothing_outstanding()
    });
    assert!(sent.len() > 1, "retransmitted: {sent:?}");
    assert!(
        sent.iter()
            .all(|p| p.get_token() == b"to" && p.header.message_id == sent[0].header.message_id),
        "only the notification and its retransmissions: {sent:?}"
    );
    // Quiet afterwards: no Update, no second copy of the value.
    for _ in 0..300 {
        env.rig.step();
        let p = env.rig.take_sent();
        assert!(p.is_none(), "nothing more is sent: {p:?}");
        env.rig.now += 100 * MS;
    }
    assert_eq!(env.rig.client().status(), ANJ_CONN_STATUS_REGISTERED);
    env.app_sets(0, 3);
    let (n, _) = env.next_sent(3 * SEC).expect("the next change is notified");
    assert_eq!(n.get_token(), b"to");
    assert_eq!(n.header.get_type(), MessageType::Confirmable);
    assert_eq!(text_value(&n), "3");
}

#[test]
fn an_outage_longer_than_the_lifetime_ends_in_a_new_registration() {
    let mut env = env();
    env.rig.client().request_update();
    let sent = drop_until(&mut env, 400 * SEC, |e| {
        e.rig.client().status() == ANJ_CONN_STATUS_REGISTERING
    });
    assert!(sent.iter().any(|p| super::tests::path(p) == "rd/a1b2"));
}

/// With Notification Storing (/1/0/6) and room in the store, every notification due
/// while offline is kept and delivered in order, as confirmable messages, before the
/// current value.
#[cfg(feature = "lwm2m12")]
#[test]
fn notifications_stored_while_offline_are_delivered_in_order() {
    if crate::observe::Store::capacity() < 200 {
        // Built without a store (ANJ_OBSERVE_NOTIFICATION_STORE_SIZE=0, the default);
        // tools/test-all.sh runs this test in a build with one.
        return;
    }
    let mut env = env_from(super::tests::Rig::with_options(false, 600, true));
    env.observe("4000/0/0", b"st", 0, &["con=1"]);
    env.app_sets(0, 1);
    drop_until(&mut env, 300 * SEC, is_offline);
    for v in [10, 11, 12] {
        env.app_sets(0, v);
        env.rig.step();
        env.rig.now += SEC;
    }
    assert!(
        env.rig.link.sent.is_empty(),
        "nothing is sent while offline"
    );
    assert_eq!(env.rig.client().observe.store.len_entries(), 3);
    // Back: the stored ones arrive first, in order, each a CON to acknowledge.
    let mut values = Vec::new();
    let mut seqs = Vec::new();
    while let Some((n, _)) = env.next_sent(30 * SEC) {
        if n.header.get_type() == MessageType::Confirmable {
            let mut ack = Packet::new();
            ack.header.set_type(MessageType::Acknowledgement);
            ack.header.code = MessageClass::Empty;
            ack.header.message_id = n.header.message_id;
            env.rig.deliver(&ack);
        }
        values.push(text_value(&n));
        seqs.push(observe_opt(&n).unwrap());
        if values.len() == 4 {
            break;
        }
    }
    assert_eq!(
        values,
        ["10", "11", "12", "12"],
        "stored in order, then the current value"
    );
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert!(env.rig.client().observe.store.is_empty());
}

/// epmax: the value is sampled that often even when the application reports nothing,
/// and a sampled change is notified; an unchanged sample is not.
#[test]
fn epmax_samples_unreported_changes() {
    let mut env = env();
    env.write_attrs("4000/0/0", &["epmax=2"]);
    env.observe("4000/0/0", b"ep", 0, &[]);
    assert!(
        env.next_sent(5 * SEC).is_none(),
        "sampled, unchanged: quiet"
    );
    // Changed behind the library's back.
    let k = env.a.st().slot_iid.iter().position(|&i| i == 0).unwrap();
    env.a.st().data[k].value = 9;
    let t0 = env.rig.now;
    let (n, at) = env
        .next_sent(3 * SEC)
        .expect("the epmax sample finds the change");
    assert_eq!(text_value(&n), "9");
    assert!(at - t0 <= 2 * SEC + 100 * MS, "{}", at - t0);
}

/// Observe-Composite answers and notifies in the format the server accepts: SenML JSON
/// and LwM2M CBOR as well as SenML CBOR.
#[cfg(all(
    feature = "observe-composite",
    feature = "senml-json",
    feature = "lwm2m-cbor"
))]
#[test]
fn observe_composite_in_senml_json_and_lwm2m_cbor() {
    for (accept, needle) in [(110u16, &b"1234"[..]), (11544, &[0x19, 0x04, 0xd2][..])] {
        let mut env = env();
        let r = fetch_observe_as(&mut env, b"of", 0, &["/4000/0/0", "/4000/1/0"], accept);
        assert_eq!(code(&r), ResponseType::Content, "{accept}");
        assert!(observe_opt(&r).is_some());
        env.app_sets(1, 1234);
        let (n, _) = env.next_sent(2 * SEC).expect("composite notification");
        assert_eq!(
            super::dm_tests::uint_option(&n, CoapOption::ContentFormat),
            Some(u32::from(accept))
        );
        assert!(
            n.payload.windows(needle.len()).any(|w| w == needle),
            "{accept}: {:x?}",
            n.payload
        );
    }
}

/// Observe without Accept: the response and the notifications are LwM2M CBOR (SenML CBOR in
/// builds without it), a single resource too, as in Anjay Lite 3.0.0
/// (`test_observe.py::test_notification_with_block_transfer`).
#[test]
fn observe_without_accept_notifies_in_lwm2m_cbor() {
    use super::dm_tests::parse_default_format;
    use ciborium::Value as C;
    let mut env = env();
    env.write_attrs("4000/0/0", &["pmin=1"]);
    let r = env.observe_as("4000/0/0", b"na", 0, &[], None);
    assert_eq!(code(&r), ResponseType::Content);
    assert!(observe_opt(&r).is_some());
    assert_eq!(
        parse_default_format(&r),
        [("/4000/0/0".to_string(), C::Integer(0.into()))]
    );
    env.app_sets(0, 1234);
    let (n, _) = env.next_sent(3 * SEC).expect("notification");
    assert_eq!(n.get_token(), b"na");
    assert_eq!(
        parse_default_format(&n),
        [("/4000/0/0".to_string(), C::Integer(1234.into()))]
    );
}

#[test]
fn removing_an_object_ends_its_observations_silently() {
    let mut env = env();
    env.write_attrs("4001/0/0", &["pmax=2"]);
    let r = env.observe("4001/0/0", b"rm", 0, &[]);
    assert!(observe_opt(&r).is_some());
    let anj = env.rig.anj_ptr();
    // SAFETY (test): an initialised client, outside of any step.
    assert_eq!(unsafe { crate::ffi::core::anj_dm_remove_obj(anj, 4001) }, 0);
    assert!(
        env.next_sent(5 * SEC).is_none(),
        "observation over, no 4.04"
    );
    assert!(env
        .rig
        .client()
        .attributes
        .iter()
        .all(|(_, p, _)| p.oid() != Some(4001)));
}

/// Collects `n` notifications, acknowledging each confirmable one; returns (token, CON?)
/// pairs in the order they came.
#[cfg(feature = "lwm2m12")]
fn notifications_acked(env: &mut Env, n: usize) -> Vec<(Vec<u8>, bool)> {
    let mut got = Vec::new();
    while got.len() < n {
        let (p, _) = env.next_sent(5 * SEC).expect("a notification");
        let con = p.header.get_type() == MessageType::Confirmable;
        if con {
            let mut empty = Packet::new();
            empty.header.set_type(MessageType::Acknowledgement);
            empty.header.code = MessageClass::Empty;
            empty.header.message_id = p.header.message_id;
            env.rig.deliver(&empty);
        }
        got.push((p.get_token().to_vec(), con));
    }
    got.sort();
    got
}

/// Default Notification Mode (/1/0/26) = 1 makes the notifications of Object, Instance and
/// Resource observations confirmable; a `con=0` attribute overrides it for its path
/// (LwM2M 1.2 §5.1.2), and mode 0 makes them non-confirmable again.
#[cfg(feature = "lwm2m12")]
#[test]
fn default_notification_mode_makes_notifications_confirmable() {
    let mut env = env();
    let text = |s: &str| Req {
        cf: Some(0),
        payload: s.as_bytes().to_vec(),
        ..Default::default()
    };
    let r = env.req(RequestType::Put, "/1/0/26", text("1"));
    assert_eq!(code(&r), ResponseType::Changed);
    let r = env.req(
        RequestType::Get,
        "/1/0/26",
        Req {
            accept: Some(0),
            ..Default::default()
        },
    );
    assert_eq!(r.payload, b"1");
    for (path, token) in [("4000", b"o"), ("4000/0", b"i"), ("4000/0/0", b"r")] {
        assert_eq!(
            code(&env.observe(path, token, 0, &[])),
            ResponseType::Content
        );
    }
    env.app_sets(0, 5);
    let all_con = [
        (b"i".to_vec(), true),
        (b"o".to_vec(), true),
        (b"r".to_vec(), true),
    ];
    assert_eq!(notifications_acked(&mut env, 3), all_con);
    // con=0 on the resource wins over the default for that observation only.
    env.write_attrs("4000/0/0", &["con=0"]);
    env.app_sets(0, 6);
    assert_eq!(
        notifications_acked(&mut env, 3),
        [
            (b"i".to_vec(), true),
            (b"o".to_vec(), true),
            (b"r".to_vec(), false),
        ]
    );
    // Mode 0: non-confirmable, except where con=1 says otherwise.
    env.write_attrs("4000/0/0", &["con=1"]);
    let r = env.req(RequestType::Put, "/1/0/26", text("0"));
    assert_eq!(code(&r), ResponseType::Changed);
    env.app_sets(0, 7);
    assert_eq!(
        notifications_acked(&mut env, 3),
        [
            (b"i".to_vec(), false),
            (b"o".to_vec(), false),
            (b"r".to_vec(), true),
        ]
    );
    // Out of range: 4.00, the mode stays.
    let r = env.req(RequestType::Put, "/1/0/26", text("2"));
    assert_eq!(code(&r), ResponseType::BadRequest);
}
