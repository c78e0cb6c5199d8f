//! Requests of ours whose payload is larger than `ANJ_OUT_PAYLOAD_BUFFER_SIZE` (Register
//! with a long object list, Send with a long value) go block-wise (RFC 7959 Block1): each
//! block is a new CON with Block1, the server answers 2.31 Continue until the last one,
//! and the blocks put together are the payload that would have gone whole.

use std::vec::Vec;

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

use super::tests::{ack, created, path, Rig};
use super::*;
use crate::coap::Block;
use crate::config::OUT_PAYLOAD_BUFFER_SIZE;
use crate::ffi::dm::*;
use crate::time::SEC;

const OID: u16 = 5000;
/// Instances of /5000: `</5000/123>,` is 12 bytes, so the object list is over 1.4 KB.
const INSTANCES: u16 = 120;

fn block1(p: &Packet) -> Option<Block> {
    Block::decode(p.get_option(CoapOption::Block1)?.front()?)
}

fn uint_opt(v: u32) -> Vec<u8> {
    let b = v.to_be_bytes();
    let skip = b.iter().take_while(|&&x| x == 0).count();
    b[skip..].to_vec()
}

/// 2.31 Continue to block `b` of `req`, echoing Block1 (at size `szx`).
fn cont(req: &Packet, b: Block, szx: u8) -> Packet {
    let mut p = ack(req, ResponseType::Continue);
    let v = (b.num << 4) | (u32::from(b.more) << 3) | u32::from(szx);
    p.add_option(CoapOption::Block1, uint_opt(v));
    p
}

/// Adds /5000 with `INSTANCES` instances and no resources.
fn install_many_instances(rig: &mut Rig) {
    let insts: Vec<anj_dm_obj_inst_t> = (0..INSTANCES)
        .map(|iid| anj_dm_obj_inst_t {
            iid,
            resources: std::ptr::null(),
            res_count: 0,
        })
        .collect();
    let insts = Box::leak(insts.into_boxed_slice());
    let handlers = Box::leak(Box::new(anj_dm_handlers_t::default()));
    let obj = Box::leak(Box::new(anj_dm_obj_t {
        oid: OID,
        version: std::ptr::null(),
        handlers,
        insts: insts.as_ptr(),
        max_inst_count: INSTANCES,
    }));
    let anj = rig.anj_ptr();
    // SAFETY (test): the object is leaked, so it outlives the client; as anj_core_step
    // does, pending additions are applied before the client's first step.
    unsafe {
        assert_eq!(crate::ffi::core::anj_dm_add_obj(anj, obj), 0);
        crate::ffi::core::apply_pending(anj);
    }
}

/// Collects the blocks of one block-wise request, answering each but the last with
/// `answer` (2.31), and returns the requests.
fn take_blocks(rig: &mut Rig, mut answer: impl FnMut(&Packet, Block) -> Packet) -> Vec<Packet> {
    let mut got = Vec::new();
    loop {
        assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
        let p = rig.take_sent().unwrap();
        let b = block1(&p).expect("Block1");
        got.push(p.clone());
        if !b.more {
            return got;
        }
        let a = answer(&p, b);
        rig.deliver(&a);
    }
}

#[test]
fn a_long_object_list_registers_block_wise() {
    let mut rig = Rig::new();
    install_many_instances(&mut rig);
    let blocks = take_blocks(&mut rig, |p, b| cont(p, b, b.szx));
    assert!(blocks.len() >= 2, "{} blocks", blocks.len());
    let mut body = Vec::new();
    let mut ids = Vec::new();
    for (i, p) in blocks.iter().enumerate() {
        let b = block1(p).unwrap();
        assert_eq!(b.num as usize, i);
        assert_eq!(b.more, i + 1 < blocks.len());
        assert!(p.payload.len() <= OUT_PAYLOAD_BUFFER_SIZE);
        if b.more {
            assert_eq!(p.payload.len(), b.size());
        }
        // Every block is the whole Register: POST /rd with the query, a new message.
        assert_eq!(p.header.get_type(), MessageType::Confirmable);
        assert_eq!(p.header.code, MessageClass::Request(RequestType::Post));
        assert_eq!(path(p), "rd");
        assert!(p.get_option(CoapOption::UriQuery).unwrap().len() >= 4);
        ids.push(p.header.message_id);
        body.extend_from_slice(&p.payload);
    }
    ids.dedup();
    assert_eq!(ids.len(), blocks.len(), "a new Message ID per block");
    let body = String::from_utf8(body).unwrap();
    for iid in 0..INSTANCES {
        let link = std::format!("</{OID}/{iid}>");
        assert!(body.contains(&link), "{link} missing");
    }
    assert!(body.ends_with(&std::format!("</{OID}/{}>", INSTANCES - 1)));
    // The answer to the last block completes the registration.
    rig.deliver(&created(blocks.last().unwrap()));
    assert!(rig.run_until(SEC, |r| r.client().status() == ANJ_CONN_STATUS_REGISTERED));
}

#[test]
fn a_smaller_block_size_in_the_servers_continue_is_followed() {
    let mut rig = Rig::new();
    install_many_instances(&mut rig);
    // The server takes the first block, then asks for blocks half that size (RFC 7959
    // §2.5); with 16-byte blocks (ANJ_OUT_PAYLOAD_BUFFER_SIZE=16) there is no smaller one.
    let blocks = take_blocks(&mut rig, |p, b| cont(p, b, b.szx.saturating_sub(1)));
    let first = block1(&blocks[0]).unwrap();
    let second = block1(&blocks[1]).unwrap();
    let want = first.szx.saturating_sub(1);
    assert_eq!((second.szx, second.offset()), (want, first.size()));
    for p in &blocks[1..blocks.len() - 1] {
        assert_eq!(p.payload.len(), 16 << want);
    }
    let body: Vec<u8> = blocks.iter().flat_map(|p| p.payload.clone()).collect();
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("</5000/0>,</5000/1>,"), "{body}");
    assert!(body.ends_with(&std::format!("</{OID}/{}>", INSTANCES - 1)));
}

#[test]
fn an_error_answer_to_a_block_fails_the_registration_attempt() {
    let mut rig = Rig::new();
    install_many_instances(&mut rig);
    assert!(rig.run_until(SEC, |r| !r.link.sent.is_empty()));
    let p = rig.take_sent().unwrap();
    assert!(block1(&p).unwrap().more);
    rig.deliver(&ack(&p, ResponseType::RequestEntityTooLarge));
    rig.step();
    assert_ne!(rig.client().status(), ANJ_CONN_STATUS_REGISTERED);
    // No second block follows.
    assert!(rig
        .take_sent()
        .and_then(|p| block1(&p))
        .is_none_or(|b| b.num == 0));
}

#[cfg(all(feature = "lwm2m-send", feature = "senml-cbor"))]
mod send {
    use super::*;
    use crate::ffi::core::anj_t;
    use crate::ffi::send::*;
    use core::ffi::{c_int, c_void};
    use std::cell::RefCell;

    thread_local! {
        static RESULTS: RefCell<Vec<(u16, c_int)>> = const { RefCell::new(Vec::new()) };
    }

    unsafe extern "C" fn finished(_: *mut anj_t, id: u16, result: c_int, _: *mut c_void) {
        RESULTS.with(|r| r.borrow_mut().push((id, result)));
    }

    #[test]
    fn a_send_larger_than_the_payload_buffer_goes_block_wise() {
        let mut rig = Rig::new();
        super::super::tests::register(&mut rig);
        rig.link.sent.clear();
        let long: Vec<u8> = (0..OUT_PAYLOAD_BUFFER_SIZE + 300)
            .map(|i| b'a' + (i % 26) as u8)
            .chain([0])
            .collect();
        let mut value = anj_res_value_t::zeroed();
        value.bytes_or_string.data = long.as_ptr().cast();
        let rec = anj_io_out_entry_t {
            r#type: ANJ_DATA_TYPE_STRING,
            value,
            path: crate::ffi::utils::anj_uri_path_t::from_ids(&[3, 0, 0]).unwrap(),
            timestamp: f64::NAN,
        };
        let req = anj_send_request_t {
            records: &rec,
            records_cnt: 1,
            finished_handler: Some(finished),
            data: std::ptr::null_mut(),
            content_format: anj_send_content_format_t::ANJ_SEND_CONTENT_FORMAT_SENML_CBOR,
        };
        let mut id = 0u16;
        let anj = rig.anj_ptr();
        // SAFETY (test): the request, its record and the string outlive the exchange.
        assert_eq!(unsafe { anj_send_new_request(anj, &req, &mut id) }, 0);
        let blocks = take_blocks(&mut rig, |p, b| cont(p, b, b.szx));
        assert!(blocks.len() >= 2);
        let mut body = Vec::new();
        for (i, p) in blocks.iter().enumerate() {
            assert_eq!(path(p), "dp");
            assert_eq!(block1(p).unwrap().num as usize, i);
            assert!(p.payload.len() <= OUT_PAYLOAD_BUFFER_SIZE);
            // The same token for every block.
            assert_eq!(p.get_token(), blocks[0].get_token());
            body.extend_from_slice(&p.payload);
        }
        assert_ne!(blocks[0].header.message_id, blocks[1].header.message_id);
        // The blocks make the SenML CBOR pack Anjay Lite sends: [{bn: "/3/0/0", vs: ...}].
        let v: ciborium::Value = ciborium::from_reader(&body[..]).unwrap();
        let rec = &v.as_array().unwrap()[0];
        let vs = rec
            .as_map()
            .unwrap()
            .iter()
            .find(|(k, _)| k.as_integer() == Some(3.into()))
            .map(|(_, v)| v.as_text().unwrap().as_bytes().to_vec())
            .unwrap();
        assert_eq!(vs, long[..long.len() - 1]);
        RESULTS.with(|r| assert!(r.borrow().is_empty(), "not finished before the last answer"));
        rig.deliver(&ack(blocks.last().unwrap(), ResponseType::Changed));
        rig.step();
        RESULTS.with(|r| assert_eq!(*r.borrow(), [(id, ANJ_SEND_SUCCESS)]));
    }
}
