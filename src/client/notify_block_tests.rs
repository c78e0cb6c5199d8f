//! Notifications larger than one message (RFC 7959 §2.6 with RFC 7641): the notification
//! carries the first Block2 block of the new representation together with Size2, and the
//! server fetches the remaining blocks with plain GETs (no Observe) of the observed path.
//! The blocks put together must be the whole new value, in plain text for a resource and
//! in SenML CBOR for an instance.

use std::cell::RefCell;
use std::ffi::c_char;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

use super::dm_tests::uint_option;
use super::tests::{ack, register, server_request, Rig};
use crate::coap::Block;
use crate::config::OUT_MSG_BUFFER_SIZE;
use crate::ffi::core::{anj_core_change_type_t, anj_core_data_model_changed, anj_t};
use crate::ffi::dm::*;
use crate::ffi::utils::anj_uri_path_t;
use crate::time::{Duration, Instant, MS, SEC};

const OID: u16 = 4002;
/// Longer than two whole output buffers: at least three blocks whatever the block size.
const BIG: usize = 2 * OUT_MSG_BUFFER_SIZE + 345;
const TEXT: u32 = 0;
const SENML_CBOR: u32 = 112;

thread_local! {
    /// The value of /4002/0/0 (without the NUL that follows it in memory).
    static VALUE: RefCell<Vec<u8>> = RefCell::new(make_value(b'a'));
}

/// `BIG` characters: a generation letter, then a digit pattern with a marker every 100
/// characters, so that a block taken from a wrong offset or generation is visible.
fn make_value(generation: u8) -> Vec<u8> {
    let mut v: Vec<u8> = (0..BIG)
        .map(|i| match i % 100 {
            0 => generation,
            _ => b'0' + (i / 100 % 10) as u8,
        })
        .collect();
    v.push(0);
    v
}

fn value() -> Vec<u8> {
    VALUE.with(|v| v.borrow()[..BIG].to_vec())
}

unsafe extern "C" fn read(
    _anj: *mut anj_t,
    _obj: *const anj_dm_obj_t,
    _iid: u16,
    rid: u16,
    _riid: u16,
    out: *mut anj_res_value_t,
) -> i32 {
    match rid {
        0 => VALUE.with(|v| {
            let v = v.borrow();
            // SAFETY (test): the engine passes a valid out slot; the value stays put until
            // the application changes it, which happens only between steps.
            unsafe {
                (*out).bytes_or_string = anj_bytes_or_string_value_t {
                    data: v.as_ptr().cast::<c_char>().cast(),
                    offset: 0,
                    chunk_length: BIG,
                    full_length_hint: BIG,
                }
            };
            0
        }),
        1 => {
            // SAFETY (test): as above.
            unsafe { (*out).int_value = 7 };
            0
        }
        _ => -132, // 4.04
    }
}

/// /4002/0 with 0: the big String and 1: a small Integer, both readable.
fn install(rig: &mut Rig) {
    let res = Box::leak(Box::new([
        anj_dm_res_t {
            rid: 0,
            r#type: ANJ_DATA_TYPE_STRING,
            kind: anj_dm_res_kind_t::ANJ_DM_RES_R,
            insts: std::ptr::null(),
            max_inst_count: 0,
        },
        anj_dm_res_t {
            rid: 1,
            r#type: ANJ_DATA_TYPE_INT,
            kind: anj_dm_res_kind_t::ANJ_DM_RES_R,
            insts: std::ptr::null(),
            max_inst_count: 0,
        },
    ]));
    let inst = Box::leak(Box::new(anj_dm_obj_inst_t {
        iid: 0,
        resources: res.as_ptr(),
        res_count: 2,
    }));
    let handlers = Box::leak(Box::new(anj_dm_handlers_t {
        res_read: Some(read),
        ..Default::default()
    }));
    let obj = Box::leak(Box::new(anj_dm_obj_t {
        oid: OID,
        version: std::ptr::null(),
        handlers,
        insts: inst,
        max_inst_count: 1,
    }));
    let anj = rig.anj_ptr();
    // SAFETY (test): the object is leaked, so it outlives the client.
    unsafe { assert_eq!(crate::ffi::core::anj_dm_add_obj(anj, obj), 0) };
}

/// A registered client with /4002 in its data model.
fn setup() -> Rig {
    VALUE.with(|v| *v.borrow_mut() = make_value(b'a'));
    let mut rig = Rig::new();
    install(&mut rig);
    let anj = rig.anj_ptr();
    // As anj_core_step does before each step.
    // SAFETY (test): an initialised client, outside of any step.
    unsafe { crate::ffi::core::apply_pending(anj) };
    register(&mut rig);
    rig.link.sent.clear();
    rig
}

fn uint_opt(v: u32) -> Vec<u8> {
    let b = v.to_be_bytes();
    let skip = b.iter().take_while(|&&x| x == 0).count();
    b[skip..].to_vec()
}

fn block2(p: &Packet) -> Option<Block> {
    Block::decode(p.get_option(CoapOption::Block2)?.front()?)
}

/// Delivers `req` and returns the piggybacked response to it.
fn exchange(rig: &mut Rig, req: &Packet) -> Packet {
    rig.deliver(req);
    rig.step();
    let mut resp = None;
    while let Some(s) = rig.take_sent() {
        if s.header.get_type() == MessageType::Acknowledgement
            && s.header.message_id == req.header.message_id
        {
            resp = Some(s);
        }
    }
    resp.expect("no response")
}

fn write_attrs(rig: &mut Rig, mid: u16, path: &str, query: &[&str]) {
    let mut p = server_request(RequestType::Put, mid, path);
    for q in query {
        p.add_option(CoapOption::UriQuery, q.as_bytes().to_vec());
    }
    let r = exchange(rig, &p);
    assert_eq!(r.header.code, MessageClass::Response(ResponseType::Changed));
}

fn get(
    rig: &mut Rig,
    mid: u16,
    path: &str,
    accept: u32,
    observe: bool,
    block: Option<Block>,
) -> Packet {
    let mut p = server_request(RequestType::Get, mid, path);
    p.set_token(b"obs-big".to_vec());
    if observe {
        p.add_option(CoapOption::Observe, vec![]);
    }
    p.add_option(CoapOption::Accept, uint_opt(accept));
    if let Some(b) = block {
        p.add_option(CoapOption::Block2, uint_opt(b.to_uint().unwrap()));
    }
    exchange(rig, &p)
}

/// The application changes the big value and reports it.
fn app_changes(rig: &mut Rig, generation: u8) {
    VALUE.with(|v| *v.borrow_mut() = make_value(generation));
    let path = anj_uri_path_t::from_ids(&[OID, 0, 0]).unwrap();
    let anj = rig.anj_ptr();
    // SAFETY (test): an initialised client, outside of any step.
    unsafe {
        anj_core_data_model_changed(
            anj,
            &path,
            anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_VALUE_CHANGED,
        );
        crate::ffi::core::apply_pending(anj);
    }
}

/// Runs in 100 ms steps until the client sends something other than an Update (Updates
/// are answered); returns it and when it was sent.
fn next_sent(rig: &mut Rig, limit: Duration) -> Option<(Packet, Instant)> {
    let end = rig.now + limit;
    while rig.now <= end {
        rig.step();
        while let Some(p) = rig.take_sent() {
            if super::tests::path(&p).starts_with("rd") {
                rig.deliver(&ack(&p, ResponseType::Changed));
                continue;
            }
            return Some((p, rig.now));
        }
        rig.now += 100 * MS;
    }
    None
}

/// Checks that `first` is the first block of a block-wise representation of `total`
/// bytes, then fetches the other blocks of `path` with plain GETs of the same block size
/// and returns the whole representation.
fn rest_by_get(rig: &mut Rig, first: &Packet, path: &str, accept: u32, total: usize) -> Vec<u8> {
    let b0 = block2(first).expect("Block2 in the first block");
    assert_eq!((b0.num, b0.more), (0, true), "{b0:?}");
    let size = 16usize << b0.szx;
    assert!(size <= OUT_MSG_BUFFER_SIZE, "block of {size} bytes");
    assert_eq!(first.payload.len(), size);
    assert_eq!(uint_option(first, CoapOption::Size2), Some(total as u32));
    assert_eq!(
        uint_option(first, CoapOption::ContentFormat),
        Some(accept),
        "Content-Format of the notification"
    );
    let mut whole = first.payload.clone();
    let mut num = 1;
    loop {
        let p = get(
            rig,
            0x6000 + num as u16,
            path,
            accept,
            false,
            Some(Block {
                num,
                more: false,
                szx: b0.szx,
            }),
        );
        assert_eq!(p.header.code, MessageClass::Response(ResponseType::Content));
        assert_eq!(
            uint_option(&p, CoapOption::Observe),
            None,
            "a plain GET of a block is not an observation"
        );
        let b = block2(&p).expect("Block2");
        assert_eq!((b.num, b.szx), (num, b0.szx));
        whole.extend_from_slice(&p.payload);
        if !b.more {
            break;
        }
        assert_eq!(p.payload.len(), size);
        num += 1;
        assert!(num < 100, "no last block");
    }
    assert!(num >= 2, "{total} bytes in {} blocks", num + 1);
    assert_eq!(whole.len(), total);
    whole
}

#[test]
fn a_large_resource_notification_is_block_0_and_the_rest_comes_by_get() {
    let mut rig = setup();
    write_attrs(&mut rig, 0x5001, "4002/0/0", &["pmin=2"]);
    let first = get(&mut rig, 0x5002, "4002/0/0", TEXT, true, None);
    assert_eq!(
        first.header.code,
        MessageClass::Response(ResponseType::Content)
    );
    let seq0 = uint_option(&first, CoapOption::Observe).expect("observation established");
    // The Observe response is itself block 0 of the current value.
    assert_eq!(first.payload[..], value()[..first.payload.len()]);
    let t0 = rig.now;

    // The value changes at once: the notification waits for pmin.
    app_changes(&mut rig, b'b');
    let (n, t1) = next_sent(&mut rig, 5 * SEC).expect("notification");
    assert!(
        t1 - t0 >= 2 * SEC,
        "notified {} us after the response",
        t1 - t0
    );
    assert!(t1 - t0 <= 2 * SEC + 200 * MS, "{}", t1 - t0);
    assert_eq!(n.get_token(), b"obs-big");
    assert_eq!(n.header.code, MessageClass::Response(ResponseType::Content));
    let seq1 = uint_option(&n, CoapOption::Observe).expect("Observe in the notification");
    assert!(seq1 > seq0);
    let whole = rest_by_get(&mut rig, &n, "4002/0/0", TEXT, BIG);
    assert_eq!(whole, value(), "the blocks make up the new value");
    assert_eq!(whole[0], b'b');

    // The observation goes on: another change, another first block.
    app_changes(&mut rig, b'c');
    let (n2, _) = next_sent(&mut rig, 5 * SEC).expect("second notification");
    assert!(uint_option(&n2, CoapOption::Observe).unwrap() > seq1);
    assert_eq!(block2(&n2).map(|b| (b.num, b.more)), Some((0, true)));
    assert_eq!(n2.payload[..], value()[..n2.payload.len()]);
    assert_eq!(n2.payload[0], b'c');
}

#[cfg(feature = "senml-cbor")]
#[test]
fn a_large_instance_notification_in_senml_cbor_decodes_from_its_blocks() {
    use ciborium::Value as C;
    let mut rig = setup();
    write_attrs(&mut rig, 0x5001, "4002/0", &["pmin=1"]);
    let first = get(&mut rig, 0x5002, "4002/0", SENML_CBOR, true, None);
    assert!(uint_option(&first, CoapOption::Observe).is_some());
    assert_eq!(block2(&first).map(|b| (b.num, b.more)), Some((0, true)));

    app_changes(&mut rig, b'x');
    let (n, _) = next_sent(&mut rig, 5 * SEC).expect("notification");
    let total = uint_option(&n, CoapOption::Size2).expect("Size2") as usize;
    assert!(total > BIG);
    let whole = rest_by_get(&mut rig, &n, "4002/0", SENML_CBOR, total);

    let decoded: C = ciborium::de::from_reader(&whole[..]).expect("SenML CBOR");
    let C::Array(records) = decoded else {
        panic!("not a SenML pack: {decoded:?}")
    };
    // Names: base name (-2) + name (0); string value: 3; numeric value: 2.
    let mut base = String::new();
    let mut found = Vec::new();
    for r in records {
        let C::Map(fields) = r else {
            panic!("record {r:?}")
        };
        let mut name = String::new();
        let mut val = None;
        for (k, v) in fields {
            match (k.as_integer().map(i128::from), v) {
                (Some(-2), C::Text(s)) => base = s,
                (Some(0), C::Text(s)) => name = s,
                (Some(2), v) => val = Some(v),
                (Some(3), v) => val = Some(v),
                _ => {}
            }
        }
        found.push((format!("{base}{name}"), val.expect("a value")));
    }
    let s = String::from_utf8(value()).unwrap();
    assert_eq!(
        found,
        [
            ("/4002/0/0".to_string(), C::Text(s)),
            ("/4002/0/1".to_string(), C::Integer(7.into())),
        ]
    );
}
