//! Queue behaviour through the C face (validation, bounds, IDs, abort/finish order,
//! re-entrant handlers) and the payloads it encodes from C records.

use crate::config::LWM2M_SEND_QUEUE_SIZE;
use crate::ffi::core::anj_t;
use crate::ffi::dm::{
    anj_bytes_or_string_value_t, anj_data_type_t, anj_io_out_entry_t, anj_objlnk_value_t,
    anj_res_value_t, ANJ_DATA_TYPE_BOOL, ANJ_DATA_TYPE_BYTES, ANJ_DATA_TYPE_DOUBLE,
    ANJ_DATA_TYPE_INT, ANJ_DATA_TYPE_NULL, ANJ_DATA_TYPE_OBJLNK, ANJ_DATA_TYPE_STRING,
    ANJ_DATA_TYPE_TIME, ANJ_DATA_TYPE_UINT,
};
use crate::ffi::send::{
    anj_send_content_format_t, ANJ_SEND_ERR_DATA_NOT_VALID, ANJ_SEND_ERR_TIMEOUT, ANJ_SEND_SUCCESS,
};
use crate::ffi::send::{
    anj_send_request_t, error_code, CSendState, ANJ_SEND_ERR_ABORT, ANJ_SEND_ERR_INTERNAL,
    ANJ_SEND_ERR_NOT_ALLOWED, ANJ_SEND_ERR_NO_REQUEST_FOUND, ANJ_SEND_ERR_NO_SPACE,
    ANJ_SEND_ID_ALL,
};
use crate::ffi::utils::anj_uri_path_t;
use crate::io::value::Path;
use crate::io::value::{DataType, Decoder, Value};
use crate::send::SendResult;
use core::ffi::c_int;
use core::ffi::c_void;
use std::cell::RefCell;
use std::vec::Vec;

const N: usize = LWM2M_SEND_QUEUE_SIZE;

/// The queue with its C requests, as `anj_t` holds it.
type SendQueue = CSendState;

/// The queue's own methods on the C face's state, with C result codes.
trait Queue {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool;
    fn ids(&self) -> [u16; N];
    fn contains(&self, id: u16) -> bool;
    fn next_queued(&self) -> Option<u16>;
    fn in_flight(&self) -> Option<u16>;
    fn set_in_flight(&self, id: u16, on: bool);
    fn accepting(&self) -> bool;
    fn set_accepting(&self, on: bool);
    fn encode(&self, id: u16, out: &mut [u8]) -> Result<(u16, usize), c_int>;
    fn encode_block(
        &self,
        id: u16,
        offset: usize,
        out: &mut [u8],
    ) -> Result<(u16, usize, usize), c_int>;
}

impl Queue for CSendState {
    fn len(&self) -> usize {
        self.queue.len()
    }
    fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
    fn ids(&self) -> [u16; N] {
        self.queue.ids()
    }
    fn contains(&self, id: u16) -> bool {
        self.queue.contains(id)
    }
    fn next_queued(&self) -> Option<u16> {
        self.queue.next_queued()
    }
    fn in_flight(&self) -> Option<u16> {
        self.queue.in_flight()
    }
    fn set_in_flight(&self, id: u16, on: bool) {
        self.queue.set_in_flight(id, on)
    }
    fn accepting(&self) -> bool {
        self.queue.accepting()
    }
    fn set_accepting(&self, on: bool) {
        self.queue.set_accepting(on)
    }
    fn encode(&self, id: u16, out: &mut [u8]) -> Result<(u16, usize), c_int> {
        // SAFETY (test): NULL is allowed, and these tests' handlers never look at it.
        let src = unsafe { self.source(core::ptr::null_mut()) };
        self.queue.encode(&src, id, out).map_err(error_code)
    }
    fn encode_block(
        &self,
        id: u16,
        offset: usize,
        out: &mut [u8],
    ) -> Result<(u16, usize, usize), c_int> {
        // SAFETY (test): as in `encode`.
        let src = unsafe { self.source(core::ptr::null_mut()) };
        self.queue
            .encode_block(&src, id, offset, out)
            .map_err(error_code)
    }
}

/// Where a test's finished handler reports, and what it does when called.
#[derive(Default)]
struct Ctx {
    queue: Option<*const SendQueue>,
    /// (send_id, result, queue length seen from the handler)
    calls: RefCell<Vec<(u16, c_int, usize)>>,
    /// Push this request from the handler (once).
    push_from_handler: Option<*const anj_send_request_t>,
    pushed: RefCell<Vec<Result<u16, c_int>>>,
    /// Call abort(ALL) from the handler and record its result.
    abort_all_from_handler: bool,
    abort_results: RefCell<Vec<c_int>>,
}

unsafe extern "C" fn handler(_anj: *mut anj_t, id: u16, result: c_int, data: *mut c_void) {
    // SAFETY: every test request's `data` is a live Ctx.
    let ctx = unsafe { &*(data as *const Ctx) };
    // SAFETY: the queue outlives the requests of the test.
    let queue = ctx.queue.map(|q| unsafe { &*q });
    let len = queue.map_or(0, Queue::len);
    ctx.calls.borrow_mut().push((id, result, len));
    if let (Some(q), Some(req)) = (queue, ctx.push_from_handler) {
        if ctx.pushed.borrow().is_empty() {
            // SAFETY: `req` lives as long as the test.
            let r = unsafe { q.push(req) };
            ctx.pushed.borrow_mut().push(r);
        }
    }
    if let (Some(q), true) = (queue, ctx.abort_all_from_handler) {
        ctx.abort_results
            .borrow_mut()
            .push(abort(q, ANJ_SEND_ID_ALL));
    }
}

/// `SendQueue::finish` with a NULL client, which the handlers of these tests ignore.
fn finish(q: &SendQueue, id: u16, result: c_int) -> bool {
    let result = [
        SendResult::Success,
        SendResult::Timeout,
        SendResult::Abort,
        SendResult::Rejected,
        SendResult::Network,
        SendResult::Internal,
    ]
    .into_iter()
    .find(|&r| crate::ffi::send::result_code(r) == result)
    .unwrap();
    // SAFETY (test): NULL is allowed, and these tests' handlers never look at it.
    let src = unsafe { q.source(core::ptr::null_mut()) };
    q.queue.finish(&src, id, result)
}

/// `SendQueue::abort` with a NULL client (see [`finish`]).
fn abort(q: &SendQueue, id: u16) -> c_int {
    // SAFETY (test): NULL is allowed, and these tests' handlers never look at it.
    unsafe { q.abort(core::ptr::null_mut(), id) }
}

fn val_int(v: i64) -> anj_res_value_t {
    anj_res_value_t { int_value: v }
}

fn val_str(s: &'static [u8]) -> anj_res_value_t {
    anj_res_value_t {
        bytes_or_string: anj_bytes_or_string_value_t {
            data: s.as_ptr().cast(),
            offset: 0,
            chunk_length: 0,
            full_length_hint: 0,
        },
    }
}

fn val_bytes(b: &'static [u8]) -> anj_res_value_t {
    anj_res_value_t {
        bytes_or_string: anj_bytes_or_string_value_t {
            data: b.as_ptr().cast(),
            offset: 0,
            chunk_length: b.len(),
            full_length_hint: 0,
        },
    }
}

fn rec(ids: &[u16], t: anj_data_type_t, value: anj_res_value_t, ts: f64) -> anj_io_out_entry_t {
    anj_io_out_entry_t {
        r#type: t,
        value,
        path: anj_uri_path_t::from_ids(ids).unwrap(),
        timestamp: ts,
    }
}

fn request(
    records: &[anj_io_out_entry_t],
    format: anj_send_content_format_t,
    ctx: &Ctx,
) -> anj_send_request_t {
    anj_send_request_t {
        records: records.as_ptr(),
        records_cnt: records.len(),
        finished_handler: Some(handler),
        data: ctx as *const Ctx as *mut c_void,
        content_format: format,
    }
}

const SENML: anj_send_content_format_t =
    anj_send_content_format_t::ANJ_SEND_CONTENT_FORMAT_SENML_CBOR;
const LWM2M: anj_send_content_format_t =
    anj_send_content_format_t::ANJ_SEND_CONTENT_FORMAT_LWM2M_CBOR;

fn push(q: &SendQueue, req: &anj_send_request_t) -> Result<u16, c_int> {
    // SAFETY: every request of these tests outlives its queue's use of it.
    unsafe { q.push(req) }
}

/// Anjay Lite's test records: /3/0/9 = 42 and /3/0/17 = "demo_device", same time.
fn demo_records() -> [anj_io_out_entry_t; 2] {
    [
        rec(&[3, 0, 9], ANJ_DATA_TYPE_INT, val_int(42), 1705597224.0),
        rec(
            &[3, 0, 17],
            ANJ_DATA_TYPE_STRING,
            val_str(b"demo_device\0"),
            1705597224.0,
        ),
    ]
}

#[test]
fn validation() {
    let q = SendQueue::new();
    let ctx = Ctx::default();
    let good = demo_records();
    assert_eq!(
        unsafe { q.push(core::ptr::null()) },
        Err(ANJ_SEND_ERR_DATA_NOT_VALID)
    );

    let mut r = request(&good, SENML, &ctx);
    r.finished_handler = None;
    assert_eq!(push(&q, &r), Err(ANJ_SEND_ERR_DATA_NOT_VALID), "no handler");
    let mut r = request(&good, SENML, &ctx);
    r.records = core::ptr::null();
    assert_eq!(
        push(&q, &r),
        Err(ANJ_SEND_ERR_DATA_NOT_VALID),
        "NULL records"
    );
    let mut r = request(&good, SENML, &ctx);
    r.records_cnt = 0;
    assert_eq!(push(&q, &r), Err(ANJ_SEND_ERR_DATA_NOT_VALID), "no records");

    // A content format C may hold but this build does not know.
    let mut r = request(&good, SENML, &ctx);
    // SAFETY: the enum field is an int-sized C enum; write a value outside it.
    unsafe {
        core::ptr::addr_of_mut!(r.content_format)
            .cast::<i32>()
            .write(7)
    };
    assert_eq!(push(&q, &r), Err(ANJ_SEND_ERR_DATA_NOT_VALID), "bad format");

    let bad_records = [
        rec(&[3, 0], ANJ_DATA_TYPE_INT, val_int(1), f64::NAN),
        rec(&[3], ANJ_DATA_TYPE_INT, val_int(1), f64::NAN),
        rec(&[], ANJ_DATA_TYPE_INT, val_int(1), f64::NAN),
        rec(&[3, 0, 65535], ANJ_DATA_TYPE_INT, val_int(1), f64::NAN),
        rec(&[3, 0, 1], ANJ_DATA_TYPE_NULL, val_int(1), f64::NAN),
        rec(&[3, 0, 1], 0x100, val_int(1), f64::NAN),
        rec(
            &[3, 0, 1],
            ANJ_DATA_TYPE_STRING,
            val_str(b"\xff\xfe\0"),
            f64::NAN,
        ),
        {
            let mut b = rec(&[3, 0, 1], ANJ_DATA_TYPE_BYTES, val_bytes(b"ab"), f64::NAN);
            b.value.bytes_or_string.offset = 1;
            b
        },
        {
            let mut b = rec(&[3, 0, 1], ANJ_DATA_TYPE_BYTES, val_bytes(b"ab"), f64::NAN);
            b.value.bytes_or_string.full_length_hint = 5;
            b
        },
        {
            let mut b = rec(&[3, 0, 1], ANJ_DATA_TYPE_BYTES, val_bytes(b"ab"), f64::NAN);
            b.value.bytes_or_string.data = core::ptr::null();
            b
        },
    ];
    for (i, bad) in bad_records.iter().enumerate() {
        // The bad record second, after a good one.
        let records = [good[0], *bad];
        let r = request(&records, SENML, &ctx);
        assert_eq!(push(&q, &r), Err(ANJ_SEND_ERR_DATA_NOT_VALID), "record {i}");
    }
    let mut path5 = good[0];
    path5.path.uri_len = 5;
    let records = [path5];
    let r = request(&records, SENML, &ctx);
    assert_eq!(push(&q, &r), Err(ANJ_SEND_ERR_DATA_NOT_VALID), "uri_len 5");

    // The same path twice: fine in SenML (a time series), not in LwM2M CBOR.
    let series = [good[0], good[0]];
    let r = request(&series, LWM2M, &ctx);
    assert_eq!(
        push(&q, &r),
        Err(ANJ_SEND_ERR_DATA_NOT_VALID),
        "LwM2M CBOR dup"
    );
    assert!(q.is_empty());
    let r = request(&series, SENML, &ctx);
    assert!(push(&q, &r).is_ok());
    assert_eq!(q.len(), 1);
    assert!(ctx.calls.borrow().is_empty());
}

#[test]
fn every_plain_type_and_empty_values_are_accepted() {
    let q = SendQueue::new();
    let ctx = Ctx::default();
    let records = [
        rec(&[1, 0, 1], ANJ_DATA_TYPE_INT, val_int(-1), f64::NAN),
        rec(
            &[1, 0, 2],
            ANJ_DATA_TYPE_UINT,
            anj_res_value_t {
                uint_value: u64::MAX,
            },
            f64::NAN,
        ),
        rec(
            &[1, 0, 3],
            ANJ_DATA_TYPE_DOUBLE,
            anj_res_value_t { double_value: 0.5 },
            f64::NAN,
        ),
        rec(
            &[1, 0, 4],
            ANJ_DATA_TYPE_BOOL,
            anj_res_value_t { bool_value: true },
            f64::NAN,
        ),
        rec(
            &[1, 0, 5],
            ANJ_DATA_TYPE_OBJLNK,
            anj_res_value_t {
                objlnk: anj_objlnk_value_t { oid: 3, iid: 0 },
            },
            f64::NAN,
        ),
        rec(
            &[1, 0, 6],
            ANJ_DATA_TYPE_TIME,
            anj_res_value_t { time_value: 5 },
            f64::NAN,
        ),
        rec(
            &[1, 0, 7, 0],
            ANJ_DATA_TYPE_BYTES,
            val_bytes(b"\x00\x01"),
            f64::NAN,
        ),
        rec(
            &[1, 0, 8],
            ANJ_DATA_TYPE_BYTES,
            anj_res_value_t::zeroed(),
            f64::NAN,
        ),
        rec(
            &[1, 0, 9],
            ANJ_DATA_TYPE_STRING,
            anj_res_value_t::zeroed(),
            f64::NAN,
        ),
    ];
    for format in [SENML, LWM2M] {
        let r = request(&records, format, &ctx);
        let id = push(&q, &r).unwrap();
        let mut buf = [0u8; 256];
        assert!(q.encode(id, &mut buf).is_ok());
        assert!(finish(&q, id, ANJ_SEND_SUCCESS));
    }
}

#[test]
fn queue_bounds_ids_and_fifo() {
    let q = SendQueue::new();
    let ctx = Ctx {
        queue: Some(&q),
        ..Ctx::default()
    };
    let records = demo_records();
    let reqs: Vec<anj_send_request_t> =
        (0..N + 1).map(|_| request(&records, SENML, &ctx)).collect();
    for (i, r) in reqs.iter().take(N).enumerate() {
        assert_eq!(push(&q, r), Ok(i as u16 + 1));
    }
    assert_eq!(push(&q, &reqs[N]), Err(ANJ_SEND_ERR_NO_SPACE));
    assert_eq!(q.len(), N);
    assert_eq!(q.next_queued(), Some(1));
    q.set_in_flight(1, true);
    assert_eq!(q.in_flight(), Some(1));
    assert_eq!(q.next_queued(), if N > 1 { Some(2) } else { None });
    // Finishing the oldest frees a slot; the order of the others is kept.
    assert!(finish(&q, 1, ANJ_SEND_SUCCESS));
    assert_eq!(
        ctx.calls.borrow().as_slice(),
        &[(1, ANJ_SEND_SUCCESS, N - 1)]
    );
    assert!(!finish(&q, 1, ANJ_SEND_SUCCESS), "finished once");
    assert_eq!(ctx.calls.borrow().len(), 1);
    assert_eq!(push(&q, &reqs[N]), Ok(N as u16 + 1));
    let mut want: Vec<u16> = (2..=N as u16 + 1).collect();
    want.resize(N, 0);
    assert_eq!(q.ids().to_vec(), want);
    assert_eq!(q.in_flight(), None);
    // The wrapping of IDs is tested in the core (anj-core/src/send/tests.rs).
}

#[test]
fn gate_closed_means_not_allowed_after_validation() {
    let q = SendQueue::new();
    let ctx = Ctx::default();
    let records = demo_records();
    q.set_accepting(false);
    assert!(!q.accepting());
    let r = request(&records, SENML, &ctx);
    assert_eq!(push(&q, &r), Err(ANJ_SEND_ERR_NOT_ALLOWED));
    let mut bad = request(&records, SENML, &ctx);
    bad.records_cnt = 0;
    assert_eq!(push(&q, &bad), Err(ANJ_SEND_ERR_DATA_NOT_VALID));
    q.set_accepting(true);
    assert!(push(&q, &r).is_ok());
}

#[test]
fn abort_single_unknown_and_in_flight() {
    let q = SendQueue::new();
    let ctx = Ctx {
        queue: Some(&q),
        ..Ctx::default()
    };
    let records = demo_records();
    let r = request(&records, SENML, &ctx);
    assert_eq!(abort(&q, 5), ANJ_SEND_ERR_NO_REQUEST_FOUND);
    assert_eq!(abort(&q, 0), ANJ_SEND_ERR_NO_REQUEST_FOUND);
    assert_eq!(abort(&q, ANJ_SEND_ID_ALL), 0, "ALL on empty");
    let id = push(&q, &r).unwrap();
    assert_eq!(abort(&q, id + 1), ANJ_SEND_ERR_NO_REQUEST_FOUND);
    // In flight: finished at once; the handler already sees it gone.
    q.set_in_flight(id, true);
    assert_eq!(abort(&q, id), 0);
    assert_eq!(
        ctx.calls.borrow().as_slice(),
        &[(id, ANJ_SEND_ERR_ABORT, 0)]
    );
    assert!(!q.contains(id));
    // The exchange ending later reports nothing more.
    assert!(!finish(&q, id, ANJ_SEND_SUCCESS));
    assert_eq!(ctx.calls.borrow().len(), 1);
    assert_eq!(abort(&q, id), ANJ_SEND_ERR_NO_REQUEST_FOUND);
}

#[test]
fn handler_pushes_into_the_slot_just_freed() {
    let q = SendQueue::new();
    let records = demo_records();
    let ctx2 = Ctx::default();
    let second = request(&records, SENML, &ctx2);
    let ctx = Ctx {
        queue: Some(&q),
        push_from_handler: Some(&second),
        ..Ctx::default()
    };
    let reqs: Vec<anj_send_request_t> = (0..N).map(|_| request(&records, SENML, &ctx)).collect();
    for r in &reqs {
        push(&q, r).unwrap();
    }
    // The queue is full; finishing the first frees its slot before the handler runs.
    assert!(finish(&q, 1, ANJ_SEND_ERR_TIMEOUT));
    assert_eq!(
        ctx.calls.borrow().as_slice(),
        &[(1, ANJ_SEND_ERR_TIMEOUT, N - 1)]
    );
    assert_eq!(ctx.pushed.borrow().as_slice(), &[Ok(N as u16 + 1)]);
    assert_eq!(q.len(), N);
    assert_eq!(*q.ids().last().unwrap(), N as u16 + 1, "newest last");
}

#[test]
fn abort_all_order_and_reentrancy() {
    let q = SendQueue::new();
    let records = demo_records();
    let ctx2 = Ctx::default();
    let late = request(&records, SENML, &ctx2);
    let ctx = Ctx {
        queue: Some(&q),
        push_from_handler: Some(&late),
        abort_all_from_handler: true,
        ..Ctx::default()
    };
    let reqs: Vec<anj_send_request_t> = (0..N).map(|_| request(&records, SENML, &ctx)).collect();
    for r in &reqs {
        push(&q, r).unwrap();
    }
    q.set_in_flight(1, true);
    assert_eq!(abort(&q, ANJ_SEND_ID_ALL), 0);
    // Every request present at the call, oldest first, each removed before its
    // handler ran; the request pushed by the first handler is not aborted.
    let calls: Vec<(u16, c_int)> = ctx.calls.borrow().iter().map(|c| (c.0, c.1)).collect();
    let want: Vec<(u16, c_int)> = (1..=N as u16).map(|id| (id, ANJ_SEND_ERR_ABORT)).collect();
    assert_eq!(calls, want);
    // Nested aborts were refused.
    assert_eq!(
        ctx.abort_results.borrow().as_slice(),
        vec![ANJ_SEND_ERR_ABORT; N].as_slice()
    );
    assert_eq!(ctx.pushed.borrow().as_slice(), &[Ok(N as u16 + 1)]);
    assert_eq!(q.ids()[0], N as u16 + 1);
    assert_eq!(q.len(), 1);
    assert!(ctx2.calls.borrow().is_empty());
    // After the abort-all, aborts work again.
    assert_eq!(abort(&q, N as u16 + 1), 0);
    assert!(q.is_empty());
}

// --- payloads ---------------------------------------------------------------------

fn encode(q: &SendQueue, id: u16) -> (u16, Vec<u8>) {
    let mut buf = [0u8; 512];
    let (cf, n) = q.encode(id, &mut buf).unwrap();
    (cf, buf[..n].to_vec())
}

fn one_shot(records: &[anj_io_out_entry_t], format: anj_send_content_format_t) -> (u16, Vec<u8>) {
    let q = SendQueue::new();
    let ctx = Ctx::default();
    let r = request(records, format, &ctx);
    let id = push(&q, &r).unwrap();
    encode(&q, id)
}

#[test]
fn senml_cbor_bytes_as_anjay_lite() {
    // Anjay Lite's own test vector for this Send (definite array, base name = common
    // path, base time once, 64-bit float time).
    let (cf, out) = one_shot(&demo_records(), SENML);
    assert_eq!(cf, 112);
    let want: &[u8] =
        b"\x82\xa4\x21\x64/3/0\x00\x62/9\x22\xfb\x41\xd9\x6a\x56\x4a\x00\x00\x00\x02\x18\x2a\
                       \xa2\x00\x63/17\x03\x6bdemo_device";
    assert_eq!(out, want);

    // One record without a time: the whole path is the base name, no name, no time.
    let single = [rec(&[3, 0, 9], ANJ_DATA_TYPE_INT, val_int(42), f64::NAN)];
    assert_eq!(
        one_shot(&single, SENML).1,
        b"\x81\xa2\x21\x66/3/0/9\x02\x18\x2a"
    );

    // A time series of one resource: the time changes (bt again), stays (nothing), goes
    // back to "none" (bt 0, as Anjay Lite: NaN is time 0).
    let series = [
        rec(
            &[3303, 0, 5700],
            ANJ_DATA_TYPE_DOUBLE,
            anj_res_value_t { double_value: 21.5 },
            100.5,
        ),
        rec(
            &[3303, 0, 5700],
            ANJ_DATA_TYPE_DOUBLE,
            anj_res_value_t { double_value: 22.0 },
            100.5,
        ),
        rec(
            &[3303, 0, 5700],
            ANJ_DATA_TYPE_DOUBLE,
            anj_res_value_t { double_value: 22.5 },
            f64::NAN,
        ),
    ];
    let (_, out) = one_shot(&series, SENML);
    let want: &[u8] = b"\x83\
        \xa3\x21\x6c/3303/0/5700\x22\xfa\x42\xc9\x00\x00\x02\xfa\x41\xac\x00\x00\
        \xa1\x02\xfa\x41\xb0\x00\x00\
        \xa2\x22\xfa\x00\x00\x00\x00\x02\xfa\x41\xb4\x00\x00";
    assert_eq!(out, want);

    // Different objects: no common path, no base name; every record named in full.
    let mixed = [
        rec(&[1, 0, 1], ANJ_DATA_TYPE_INT, val_int(60), f64::NAN),
        rec(
            &[3, 0, 9],
            ANJ_DATA_TYPE_BOOL,
            anj_res_value_t { bool_value: true },
            1.0,
        ),
    ];
    let (_, out) = one_shot(&mixed, SENML);
    let want: &[u8] =
        b"\x82\xa2\x00\x66/1/0/1\x02\x18\x3c\xa3\x00\x66/3/0/9\x22\xfa\x3f\x80\x00\x00\x04\xf5";
    assert_eq!(out, want);
}

#[test]
fn lwm2m_cbor_bytes_and_no_timestamps() {
    let (cf, out) = one_shot(&demo_records(), LWM2M);
    assert_eq!(cf, 11544);
    // {_ 3: {_ 0: {_ 9: 42, 17: "demo_device"}}}; the times are not encoded.
    let want: &[u8] = b"\xbf\x03\xbf\x00\xbf\x09\x18\x2a\x11\x6bdemo_device\xff\xff\xff";
    assert_eq!(out, want);
    let records = [
        rec(&[3, 0, 11, 0], ANJ_DATA_TYPE_INT, val_int(1), f64::NAN),
        rec(&[1, 0, 1], ANJ_DATA_TYPE_INT, val_int(2), 5.0),
    ];
    // Records keep their order, as in Anjay Lite (not sorted).
    let (_, out) = one_shot(&records, LWM2M);
    let want: &[u8] =
        b"\xbf\x03\xbf\x00\xbf\x0b\xbf\x00\x01\xff\xff\xff\x01\xbf\x00\xbf\x01\x02\xff\xff\xff";
    assert_eq!(out, want);
}

fn type_of(p: &Path) -> Option<DataType> {
    Some(match p.rid()? {
        17 => DataType::String,
        5700 => DataType::Double,
        _ => DataType::Int,
    })
}

#[test]
fn round_trip_through_our_decoders_and_ciborium() {
    let records = [
        rec(&[3, 0, 9], ANJ_DATA_TYPE_INT, val_int(42), 1705597224.0),
        rec(
            &[3, 0, 17],
            ANJ_DATA_TYPE_STRING,
            val_str(b"demo_device\0"),
            1705597224.0,
        ),
        rec(
            &[3303, 0, 5700],
            ANJ_DATA_TYPE_DOUBLE,
            anj_res_value_t { double_value: 0.1 },
            1705597225.25,
        ),
        rec(
            &[3303, 0, 5700],
            ANJ_DATA_TYPE_DOUBLE,
            anj_res_value_t { double_value: -7.0 },
            -30.0,
        ),
    ];
    let (_, senml) = one_shot(&records, SENML);
    let mut scratch = [0u8; 64];
    let mut d = crate::io::senml_cbor::SenmlCborDecoder::new(Path::ROOT, &senml, &mut scratch);
    let mut got = Vec::new();
    while let Some(e) = d.next_entry(&type_of).unwrap() {
        got.push(e);
    }
    let want = [
        (Path::new(&[3, 0, 9]), Value::Int(42), 1705597224.0),
        (
            Path::new(&[3, 0, 17]),
            Value::String("demo_device"),
            1705597224.0,
        ),
        (
            Path::new(&[3303, 0, 5700]),
            Value::Double(0.1),
            1705597225.25,
        ),
        (Path::new(&[3303, 0, 5700]), Value::Double(-7.0), -30.0),
    ];
    assert_eq!(got.len(), want.len());
    for (g, (p, v, t)) in got.iter().zip(want) {
        assert_eq!((g.path, g.value, g.timestamp), (p, v, Some(t)));
    }
    // An independent decoder sees a definite array of maps with bt (-3) where it changes.
    let v: ciborium::value::Value = ciborium::de::from_reader(&senml[..]).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 4);
    let bts: Vec<Option<f64>> = arr
        .iter()
        .map(|m| {
            m.as_map()
                .unwrap()
                .iter()
                .find(|(k, _)| k.as_integer() == Some((-3).into()))
                .map(|(_, v)| v.as_float().unwrap())
        })
        .collect();
    assert_eq!(
        bts,
        vec![Some(1705597224.0), None, Some(1705597225.25), Some(-30.0)]
    );

    // LwM2M CBOR needs unique paths.
    let unique = &records[..3];
    let (_, lw) = one_shot(unique, LWM2M);
    let mut d = crate::io::lwm2m_cbor::Lwm2mCborDecoder::new(Path::ROOT, &lw, &mut scratch);
    let mut got = Vec::new();
    while let Some(e) = d.next_entry(&type_of).unwrap() {
        got.push((e.path, e.value, e.timestamp));
    }
    assert_eq!(
        got,
        vec![
            (Path::new(&[3, 0, 9]), Value::Int(42), None),
            (Path::new(&[3, 0, 17]), Value::String("demo_device"), None),
            (Path::new(&[3303, 0, 5700]), Value::Double(0.1), None),
        ]
    );
    let v: ciborium::value::Value = ciborium::de::from_reader(&lw[..]).unwrap();
    assert_eq!(v.as_map().unwrap().len(), 2, "objects 3 and 3303");
}

#[test]
fn encode_errors_and_blocks() {
    let q = SendQueue::new();
    let ctx = Ctx::default();
    let records = demo_records();
    let r = request(&records, SENML, &ctx);
    let id = push(&q, &r).unwrap();
    let mut buf = [0u8; 512];
    assert_eq!(
        q.encode(id + 1, &mut buf),
        Err(ANJ_SEND_ERR_NO_REQUEST_FOUND)
    );
    let (cf, whole) = encode(&q, id);
    // Too small for the whole payload: an internal error (Anjay Lite would go
    // block-wise; the client can, with encode_block).
    assert_eq!(
        q.encode(id, &mut buf[..whole.len() - 1]),
        Err(ANJ_SEND_ERR_INTERNAL)
    );
    for block in [1usize, 7, 16, whole.len(), whole.len() + 3] {
        let mut joined = Vec::new();
        let mut offset = 0;
        loop {
            let mut b = vec![0u8; block];
            let (bcf, n, total) = q.encode_block(id, offset, &mut b).unwrap();
            assert_eq!((bcf, total), (cf, whole.len()));
            joined.extend_from_slice(&b[..n]);
            offset += block;
            if offset >= total {
                break;
            }
            assert_eq!(n, block);
        }
        assert_eq!(joined, whole, "block size {block}");
    }
    assert_eq!(
        q.encode_block(id + 1, 0, &mut buf),
        Err(ANJ_SEND_ERR_NO_REQUEST_FOUND)
    );
}

#[cfg(feature = "external-data")]
mod external {
    use super::*;
    use crate::ffi::dm::{anj_external_data_t, ANJ_DATA_TYPE_EXTERNAL_BYTES};

    const DATA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

    unsafe extern "C" fn get(
        buffer: *mut c_void,
        inout_size: *mut usize,
        offset: usize,
        _args: *mut c_void,
    ) -> c_int {
        // SAFETY: the library's buffer of *inout_size bytes.
        unsafe {
            let n = (*inout_size).min(5).min(DATA.len() - offset);
            core::ptr::copy_nonoverlapping(DATA.as_ptr().add(offset), buffer.cast(), n);
            *inout_size = n;
            if offset + n < DATA.len() {
                4 // ANJ_IO_NEED_NEXT_CALL
            } else {
                0
            }
        }
    }

    #[test]
    fn external_bytes_with_a_timestamp() {
        let ext = anj_res_value_t {
            external_data: anj_external_data_t {
                get_external_data: Some(get),
                open_external_data: None,
                close_external_data: None,
                user_args: core::ptr::null_mut(),
            },
        };
        let records = [rec(&[3, 0, 18], ANJ_DATA_TYPE_EXTERNAL_BYTES, ext, 10.0)];
        let (_, out) = one_shot(&records, SENML);
        let mut want = b"\x81\xa3\x21\x67/3/0/18\x22\xfa\x41\x20\x00\x00\x08\x58\x24".to_vec();
        want.extend_from_slice(DATA);
        assert_eq!(out, want);
        // Without a get_external_data callback the record is refused.
        let mut bad = records;
        bad[0].value.external_data.get_external_data = None;
        let q = SendQueue::new();
        let ctx = Ctx::default();
        let r = request(&bad, SENML, &ctx);
        assert_eq!(push(&q, &r), Err(ANJ_SEND_ERR_DATA_NOT_VALID));
    }
}
