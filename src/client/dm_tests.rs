//! Device Management operations end to end: a scripted server (coap-lite) sends requests
//! to a registered client whose data model holds application objects defined the way C
//! code defines them (static tables + `extern "C"` handlers). Every handler call is logged
//! so the tests can check the order Anjay Lite documents (begin, reset/create, writes,
//! validate, end).

use std::cell::{Cell, RefCell, UnsafeCell};
use std::ffi::c_char;
use std::string::{String, ToString};
use std::vec::Vec;
use std::{format, vec};

use coap_lite::{CoapOption, MessageClass, MessageType, Packet, RequestType, ResponseType};

use super::tests::{register, server_request, Rig};
use crate::ffi::core::anj_t;
use crate::ffi::dm::*;

const TEXT: u16 = 0;
const LINK: u16 = 40;
const SENML_JSON: u16 = 110;
const SENML_CBOR: u16 = 112;
const TLV: u16 = 11542;
const LWM2M_CBOR: u16 = 11544;

const MAX_INST: usize = 3;
const MAX_RI: usize = 3;
const RES_COUNT: usize = 7;

/// Per-slot data of the test object.
#[derive(Clone, Copy, Default)]
pub(super) struct Data {
    pub(super) value: i64,
    name: [u8; 32],
    pub(super) uint: u64,
    flag: bool,
    blobs: [[u8; 16]; MAX_RI],
    blob_len: [usize; MAX_RI],
}

/// Everything a transaction may change, so that it can be snapshotted and restored.
#[derive(Clone, Copy)]
pub(super) struct State {
    insts: [anj_dm_obj_inst_t; MAX_INST],
    /// IID held by slot k (ANJ_ID_INVALID: free); slot k uses `res[k]` and `riids[k]`.
    pub(super) slot_iid: [u16; MAX_INST],
    riids: [[u16; MAX_RI]; MAX_INST],
    pub(super) data: [Data; MAX_INST],
}

/// An application object: `obj` first, so a handler's `obj` pointer is the whole thing.
#[repr(C)]
pub(super) struct TestObj {
    obj: anj_dm_obj_t,
    handlers: anj_dm_handlers_t,
    res: UnsafeCell<[[anj_dm_res_t; RES_COUNT]; MAX_INST]>,
    state: UnsafeCell<State>,
    saved: Cell<Option<State>>,
    log: RefCell<Vec<String>>,
    exec_args: RefCell<Vec<u8>>,
}

impl TestObj {
    /// A new object with instances `iids` (ascending), each with RIIDs 0 and 1 in its
    /// multi-instance resource 3. Leaked, as C objects are static: only shared
    /// references to it exist from then on, so moving them asserts no uniqueness that
    /// would invalidate the pointers the data model holds.
    pub(super) fn new(oid: u16, iids: &[u16], with_reset: bool, dynamic: bool) -> &'static TestObj {
        let mut handlers = anj_dm_handlers_t {
            transaction_begin: Some(txn_begin),
            transaction_validate: Some(txn_validate),
            transaction_end: Some(txn_end),
            res_read: Some(res_read),
            res_write: Some(res_write),
            res_execute: Some(res_execute),
            res_inst_create: Some(res_inst_create),
            res_inst_delete: Some(res_inst_delete),
            ..Default::default()
        };
        if with_reset {
            handlers.inst_reset = Some(inst_reset);
        }
        if dynamic {
            handlers.inst_create = Some(inst_create);
            handlers.inst_delete = Some(inst_delete);
        }
        let empty_inst = anj_dm_obj_inst_t {
            iid: ANJ_ID_INVALID,
            resources: std::ptr::null(),
            res_count: 0,
        };
        let o = Box::into_raw(Box::new(TestObj {
            obj: anj_dm_obj_t {
                oid,
                version: c"1.1".as_ptr(),
                handlers: std::ptr::null(),
                insts: std::ptr::null(),
                max_inst_count: MAX_INST as u16,
            },
            handlers,
            res: UnsafeCell::new(
                [[anj_dm_res_t {
                    rid: 0,
                    r#type: 0,
                    kind: anj_dm_res_kind_t::ANJ_DM_RES_R,
                    insts: std::ptr::null(),
                    max_inst_count: 0,
                }; RES_COUNT]; MAX_INST],
            ),
            state: UnsafeCell::new(State {
                insts: [empty_inst; MAX_INST],
                slot_iid: [ANJ_ID_INVALID; MAX_INST],
                riids: [[ANJ_ID_INVALID; MAX_RI]; MAX_INST],
                data: [Data::default(); MAX_INST],
            }),
            saved: Cell::new(None),
            log: RefCell::new(vec![]),
            exec_args: RefCell::new(vec![]),
        }));
        // SAFETY (test): `o` is the fresh allocation, never freed; everything is derived
        // from this one raw pointer (no reference in between: a pointer taken through a
        // borrow would be invalidated by the handlers' later writes through `st()`), and
        // only shared references to the object exist from the end of this block on.
        unsafe {
            (*o).obj.handlers = std::ptr::addr_of!((*o).handlers);
            let st = (*o).state.get();
            (*o).obj.insts = std::ptr::addr_of!((*st).insts).cast();
            let res = &mut *(*o).res.get();
            use anj_dm_res_kind_t::*;
            for (k, r) in res.iter_mut().enumerate() {
                let mk = |rid, t, kind| anj_dm_res_t {
                    rid,
                    r#type: t,
                    kind,
                    insts: std::ptr::null(),
                    max_inst_count: 0,
                };
                *r = [
                    mk(0, ANJ_DATA_TYPE_INT, ANJ_DM_RES_RW),
                    mk(1, ANJ_DATA_TYPE_STRING, ANJ_DM_RES_RW),
                    mk(2, ANJ_DATA_TYPE_DOUBLE, ANJ_DM_RES_R),
                    anj_dm_res_t {
                        rid: 3,
                        r#type: ANJ_DATA_TYPE_BYTES,
                        kind: ANJ_DM_RES_RWM,
                        insts: std::ptr::addr_of!((*st).riids[k]).cast(),
                        max_inst_count: MAX_RI as u16,
                    },
                    mk(4, ANJ_DATA_TYPE_NULL, ANJ_DM_RES_E),
                    mk(5, ANJ_DATA_TYPE_BOOL, ANJ_DM_RES_W),
                    mk(6, ANJ_DATA_TYPE_UINT, ANJ_DM_RES_RW),
                ];
            }
            for &iid in iids {
                (*o).add_instance(iid);
                let k = (*o).slot(iid).unwrap();
                let s = &mut *st;
                s.riids[k][0] = 0;
                s.riids[k][1] = 1;
                s.data[k].value = i64::from(iid) * 10;
                s.data[k].name[..4].copy_from_slice(b"inst");
                s.data[k].blobs[0][0] = b'a';
                s.data[k].blob_len[0] = 1;
                s.data[k].blobs[1][..2].copy_from_slice(b"bc");
                s.data[k].blob_len[1] = 2;
            }
            &*o
        }
    }

    /// The object for the data model: a pointer to the whole test object (the handlers
    /// reach its other fields through it), not only to its `obj` field.
    pub(super) fn obj_ptr(&self) -> *const anj_dm_obj_t {
        (self as *const TestObj).cast()
    }

    // The handlers mutate the state through the `const` object pointer C gives them.
    #[allow(clippy::mut_from_ref)]
    pub(super) fn st(&self) -> &mut State {
        // SAFETY (test): single-threaded; no other reference is held across calls.
        unsafe { &mut *self.state.get() }
    }

    fn slot(&self, iid: u16) -> Option<usize> {
        self.st().slot_iid.iter().position(|&i| i == iid)
    }

    fn add_instance(&self, iid: u16) -> bool {
        let st = self.st();
        let Some(k) = st.slot_iid.iter().position(|&i| i == ANJ_ID_INVALID) else {
            return false;
        };
        st.slot_iid[k] = iid;
        st.data[k] = Data::default();
        st.riids[k] = [ANJ_ID_INVALID; MAX_RI];
        // SAFETY (test): address only, derived from the cell's raw pointer (a test may
        // still change a resource's kind through it, e.g. delete_of_a_resource_instance_…).
        let resources = unsafe { std::ptr::addr_of!((*self.res.get())[k]) }.cast();
        let entry = anj_dm_obj_inst_t {
            iid,
            resources,
            res_count: RES_COUNT as u16,
        };
        let pos = st
            .insts
            .iter()
            .position(|i| i.iid == ANJ_ID_INVALID || i.iid > iid)
            .unwrap();
        st.insts.copy_within(pos..MAX_INST - 1, pos + 1);
        st.insts[pos] = entry;
        true
    }

    pub(super) fn iids(&self) -> Vec<u16> {
        self.st()
            .insts
            .iter()
            .map(|i| i.iid)
            .filter(|&i| i != ANJ_ID_INVALID)
            .collect()
    }

    pub(super) fn riids(&self, iid: u16) -> Vec<u16> {
        let k = self.slot(iid).unwrap();
        self.st().riids[k]
            .iter()
            .copied()
            .filter(|&r| r != ANJ_ID_INVALID)
            .collect()
    }

    pub(super) fn data(&self, iid: u16) -> Data {
        self.st().data[self.slot(iid).unwrap()]
    }

    pub(super) fn blob(&self, iid: u16, riid: u16) -> Vec<u8> {
        let k = self.slot(iid).unwrap();
        let i = self.st().riids[k].iter().position(|&r| r == riid).unwrap();
        let d = &self.st().data[k];
        d.blobs[i][..d.blob_len[i]].to_vec()
    }

    pub(super) fn name(&self, iid: u16) -> String {
        let d = self.data(iid);
        let n = d.name.iter().position(|&c| c == 0).unwrap_or(32);
        String::from_utf8_lossy(&d.name[..n]).into_owned()
    }

    fn log(&self, s: String) {
        self.log.borrow_mut().push(s);
    }

    pub(super) fn take_log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.borrow_mut())
    }
}

fn me<'a>(obj: *const anj_dm_obj_t) -> &'a TestObj {
    // SAFETY (test): every object handed to these handlers is the `obj` field (first,
    // repr(C)) of a live TestObj.
    unsafe { &*(obj as *const TestObj) }
}

unsafe extern "C" fn txn_begin(_: *mut anj_t, obj: *const anj_dm_obj_t) -> i32 {
    let o = me(obj);
    o.log("begin".into());
    o.saved.set(Some(*o.st()));
    0
}

/// Validation fails when a value (resource 0) is negative.
unsafe extern "C" fn txn_validate(_: *mut anj_t, obj: *const anj_dm_obj_t) -> i32 {
    let o = me(obj);
    o.log("validate".into());
    let st = o.st();
    let bad = (0..MAX_INST).any(|k| st.slot_iid[k] != ANJ_ID_INVALID && st.data[k].value < 0);
    if bad {
        -1
    } else {
        0
    }
}

unsafe extern "C" fn txn_end(
    _: *mut anj_t,
    obj: *const anj_dm_obj_t,
    result: anj_dm_transaction_result_t,
) {
    let o = me(obj);
    let ok = result == anj_dm_transaction_result_t::ANJ_DM_TRANSACTION_SUCCESS;
    o.log(format!("end {}", if ok { "ok" } else { "fail" }));
    if let Some(saved) = o.saved.take() {
        if !ok {
            *o.st() = saved;
        }
    }
}

unsafe extern "C" fn inst_create(_: *mut anj_t, obj: *const anj_dm_obj_t, iid: u16) -> i32 {
    let o = me(obj);
    o.log(format!("create {iid}"));
    if o.add_instance(iid) {
        0
    } else {
        -1
    }
}

unsafe extern "C" fn inst_delete(_: *mut anj_t, obj: *const anj_dm_obj_t, iid: u16) -> i32 {
    let o = me(obj);
    o.log(format!("delete {iid}"));
    let st = o.st();
    let Some(k) = o.slot(iid) else { return -132 };
    st.slot_iid[k] = ANJ_ID_INVALID;
    let pos = st.insts.iter().position(|i| i.iid == iid).unwrap();
    st.insts.copy_within(pos + 1.., pos);
    st.insts[MAX_INST - 1].iid = ANJ_ID_INVALID;
    0
}

unsafe extern "C" fn inst_reset(_: *mut anj_t, obj: *const anj_dm_obj_t, iid: u16) -> i32 {
    let o = me(obj);
    o.log(format!("reset {iid}"));
    let k = o.slot(iid).unwrap();
    let st = o.st();
    st.data[k] = Data::default();
    st.riids[k] = [ANJ_ID_INVALID; MAX_RI];
    0
}

unsafe extern "C" fn res_read(
    _: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: u16,
    rid: u16,
    riid: u16,
    out: *mut anj_res_value_t,
) -> i32 {
    let o = me(obj);
    let k = o.slot(iid).unwrap();
    let st = o.st();
    let d = &st.data[k];
    // SAFETY (test): `out` is the engine's value slot.
    let out = unsafe { &mut *out };
    match rid {
        0 => out.int_value = d.value,
        1 => {
            out.bytes_or_string.data = d.name.as_ptr().cast();
        }
        2 => out.double_value = 0.5 + f64::from(iid),
        3 => {
            let Some(i) = st.riids[k].iter().position(|&r| r == riid) else {
                return -132;
            };
            out.bytes_or_string.data = d.blobs[i].as_ptr().cast();
            out.bytes_or_string.chunk_length = d.blob_len[i];
        }
        6 => out.uint_value = d.uint,
        _ => return -132,
    }
    0
}

unsafe extern "C" fn res_write(
    _: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: u16,
    rid: u16,
    riid: u16,
    value: *const anj_res_value_t,
) -> i32 {
    let o = me(obj);
    o.log(format!(
        "write {iid}/{rid}{}",
        if riid == ANJ_ID_INVALID {
            String::new()
        } else {
            format!("/{riid}")
        }
    ));
    let k = o.slot(iid).unwrap();
    let st = o.st();
    // SAFETY (test): the engine's value.
    let v = unsafe { &*value };
    let d = &mut st.data[k];
    // SAFETY (test, all arms): the member of the resource's type.
    unsafe {
        match rid {
            0 => d.value = v.int_value,
            1 => {
                let b = v.bytes_or_string;
                let s = std::slice::from_raw_parts(b.data as *const u8, b.chunk_length);
                // Handler errors, by name, to check the ANJ_DM_ERR_* mapping.
                match s {
                    b"busy" => return -163,
                    b"nf" => return -132,
                    b"weird" => return -7,
                    _ => {}
                }
                return anj_dm_write_string_chunked(
                    value,
                    d.name.as_mut_ptr() as *mut c_char,
                    d.name.len(),
                    std::ptr::null_mut(),
                );
            }
            3 => {
                let i = st.riids[k].iter().position(|&r| r == riid).unwrap();
                let mut len = 0;
                let r = anj_dm_write_bytes_chunked(
                    value,
                    d.blobs[i].as_mut_ptr(),
                    16,
                    &mut len,
                    std::ptr::null_mut(),
                );
                d.blob_len[i] = len;
                return r;
            }
            5 => d.flag = v.bool_value,
            6 => d.uint = v.uint_value,
            _ => return -132,
        }
    }
    0
}

unsafe extern "C" fn res_execute(
    _: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: u16,
    rid: u16,
    arg: *const c_char,
    len: usize,
) -> i32 {
    let o = me(obj);
    o.log(format!("execute {iid}/{rid}"));
    let a = if arg.is_null() {
        vec![]
    } else {
        // SAFETY (test): `len` bytes at `arg`.
        unsafe { std::slice::from_raw_parts(arg as *const u8, len) }.to_vec()
    };
    *o.exec_args.borrow_mut() = a;
    0
}

unsafe extern "C" fn res_inst_create(
    _: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: u16,
    rid: u16,
    riid: u16,
) -> i32 {
    let o = me(obj);
    o.log(format!("ri create {iid}/{rid}/{riid}"));
    let k = o.slot(iid).unwrap();
    let st = o.st();
    let r = &mut st.riids[k];
    let d = &mut st.data[k];
    let pos = r
        .iter()
        .position(|&x| x == ANJ_ID_INVALID || x > riid)
        .unwrap();
    r.copy_within(pos..MAX_RI - 1, pos + 1);
    d.blobs.copy_within(pos..MAX_RI - 1, pos + 1);
    d.blob_len.copy_within(pos..MAX_RI - 1, pos + 1);
    r[pos] = riid;
    d.blob_len[pos] = 0;
    0
}

unsafe extern "C" fn res_inst_delete(
    _: *mut anj_t,
    obj: *const anj_dm_obj_t,
    iid: u16,
    rid: u16,
    riid: u16,
) -> i32 {
    let o = me(obj);
    o.log(format!("ri delete {iid}/{rid}/{riid}"));
    let k = o.slot(iid).unwrap();
    let st = o.st();
    let r = &mut st.riids[k];
    let d = &mut st.data[k];
    let Some(pos) = r.iter().position(|&x| x == riid) else {
        return -132;
    };
    r.copy_within(pos + 1.., pos);
    d.blobs.copy_within(pos + 1.., pos);
    d.blob_len.copy_within(pos + 1.., pos);
    r[MAX_RI - 1] = ANJ_ID_INVALID;
    0
}

/// A registered client with object 4000 (dynamic, instances 0 and 1, with inst_reset)
/// and object 4001 (static, instance 0, no inst_reset / inst_create / inst_delete).
pub(super) struct Env {
    pub(super) rig: Rig,
    pub(super) a: &'static TestObj,
    pub(super) b: &'static TestObj,
    pub(super) mid: u16,
}

pub(super) fn env() -> Env {
    env_with(false)
}

pub(super) fn env_with(queue_mode: bool) -> Env {
    env_from(Rig::with_queue_mode(queue_mode))
}

pub(super) fn env_from(mut rig: Rig) -> Env {
    let a = TestObj::new(4000, &[0, 1], true, true);
    let b = TestObj::new(4001, &[0], false, false);
    let anj = rig.anj_ptr();
    // SAFETY (test): the objects live as long as the rig (both in Env).
    unsafe {
        assert_eq!(crate::ffi::core::anj_dm_add_obj(anj, a.obj_ptr()), 0);
        assert_eq!(crate::ffi::core::anj_dm_add_obj(anj, b.obj_ptr()), 0);
    }
    // anj_core_step applies the application's requests (here: the objects added above)
    // before each step; these tests step the client directly.
    // SAFETY (test): an initialised client, outside of any step.
    unsafe { crate::ffi::core::apply_pending(anj) };
    register(&mut rig);
    rig.link.sent.clear();
    Env {
        rig,
        a,
        b,
        mid: 0x5000,
    }
}

/// One request's options.
#[derive(Default, Clone)]
pub(super) struct Req<'a> {
    pub(super) cf: Option<u16>,
    pub(super) accept: Option<u16>,
    pub(super) query: &'a [&'a str],
    pub(super) payload: Vec<u8>,
}

pub(super) fn uint_opt(v: u16) -> Vec<u8> {
    match v {
        0 => vec![],
        1..=255 => vec![v as u8],
        _ => v.to_be_bytes().to_vec(),
    }
}

impl Env {
    /// Sends one request and returns the client's response; Updates the client sends
    /// meanwhile are answered (2.04) and counted in `self.updates`.
    pub(super) fn req(&mut self, method: RequestType, path: &str, r: Req<'_>) -> Packet {
        self.mid += 1;
        let mut p = server_request(method, self.mid, path);
        if let Some(cf) = r.cf {
            p.add_option(CoapOption::ContentFormat, uint_opt(cf));
        }
        for q in r.query {
            p.add_option(CoapOption::UriQuery, q.as_bytes().to_vec());
        }
        if let Some(a) = r.accept {
            p.add_option(CoapOption::Accept, uint_opt(a));
        }
        p.payload = r.payload;
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

    fn get(&mut self, path: &str, accept: Option<u16>) -> Packet {
        self.req(
            RequestType::Get,
            path,
            Req {
                accept,
                ..Default::default()
            },
        )
    }

    /// Runs the client for 5 s and checks it sends nothing (no Update).
    fn expect_no_update(&mut self) {
        let sent = self
            .rig
            .run_until(5 * crate::time::SEC, |r| !r.link.sent.is_empty());
        assert!(!sent, "nothing is sent: {:?}", self.rig.take_sent());
    }

    /// Runs the client until it sends an Update, which is answered; returns its payload.
    fn expect_update(&mut self) -> String {
        assert!(self
            .rig
            .run_until(crate::time::SEC, |r| !r.link.sent.is_empty()));
        let upd = self.rig.take_sent().unwrap();
        assert_eq!(super::tests::path(&upd), "rd/a1b2");
        self.rig
            .deliver(&super::tests::ack(&upd, ResponseType::Changed));
        self.rig.step();
        String::from_utf8(upd.payload).unwrap()
    }
}

pub(super) fn code(p: &Packet) -> ResponseType {
    match p.header.code {
        MessageClass::Response(r) => r,
        c => panic!("not a response: {c:?}"),
    }
}

/// The value of an unsigned-integer option, if present.
pub(super) fn uint_option(p: &Packet, o: CoapOption) -> Option<u32> {
    p.get_option(o).map(|v| {
        v.front()
            .unwrap()
            .iter()
            .fold(0u32, |a, b| (a << 8) | u32::from(*b))
    })
}

fn cf_of(p: &Packet) -> Option<u16> {
    uint_option(p, CoapOption::ContentFormat).map(|v| v as u16)
}

fn body(p: &Packet) -> String {
    String::from_utf8(p.payload.clone()).unwrap()
}

fn json(p: &Packet) -> serde_json::Value {
    serde_json::from_slice(&p.payload).unwrap()
}

fn senml(v: serde_json::Value) -> Req<'static> {
    Req {
        cf: Some(SENML_JSON),
        payload: v.to_string().into_bytes(),
        ..Default::default()
    }
}

fn text(s: &str) -> Req<'static> {
    Req {
        cf: Some(TEXT),
        payload: s.as_bytes().to_vec(),
        ..Default::default()
    }
}

/// SenML CBOR from (name, value) pairs; `None` is a record with a name only.
pub(super) fn senml_cbor(records: &[(&str, Option<ciborium::Value>)]) -> Vec<u8> {
    use ciborium::Value as C;
    let arr: Vec<C> = records
        .iter()
        .map(|(n, v)| {
            let mut m = vec![(C::Integer(0.into()), C::Text((*n).into()))];
            if let Some(v) = v {
                let key = match v {
                    C::Bytes(_) => 8,
                    C::Text(_) => 3,
                    C::Bool(_) => 4,
                    _ => 2,
                };
                m.push((C::Integer(key.into()), v.clone()));
            }
            C::Map(m)
        })
        .collect();
    let mut out = vec![];
    ciborium::into_writer(&C::Array(arr), &mut out).unwrap();
    out
}

/// (name, value) pairs of a SenML CBOR response, names resolved against `bn`.
fn parse_senml_cbor(data: &[u8]) -> Vec<(String, ciborium::Value)> {
    use ciborium::Value as C;
    let v: C = ciborium::from_reader(data).unwrap();
    let mut bn = String::new();
    let mut out = vec![];
    for rec in v.as_array().unwrap() {
        let mut name = String::new();
        let mut val = C::Null;
        for (k, v) in rec.as_map().unwrap() {
            let k: i128 = k.as_integer().unwrap().into();
            match k {
                -2 => bn = v.as_text().unwrap().to_string(),
                0 => name = v.as_text().unwrap().to_string(),
                _ => val = v.clone(),
            }
        }
        out.push((format!("{bn}{name}"), val));
    }
    out
}

/// Paths and values of an LwM2M CBOR payload (LwM2M 1.2 TS Core §7.4.6): nested maps whose
/// keys are path segments, or arrays of them where a path is compressed.
fn parse_lwm2m_cbor(data: &[u8]) -> Vec<(String, ciborium::Value)> {
    use ciborium::Value as C;
    fn walk(v: &C, prefix: &str, out: &mut Vec<(String, C)>) {
        let Some(map) = v.as_map() else {
            out.push((prefix.to_string(), v.clone()));
            return;
        };
        for (k, v) in map {
            let mut path = prefix.to_string();
            let segs = match k {
                C::Array(a) => a.clone(),
                k => vec![k.clone()],
            };
            for seg in segs {
                let id: i128 = seg.as_integer().expect("integer path segment").into();
                path.push_str(&format!("/{id}"));
            }
            walk(v, &path, out);
        }
    }
    let v: C = ciborium::from_reader(data).unwrap();
    let mut out = vec![];
    walk(&v, "", &mut out);
    out
}

/// Paths and values of a response in the format answered without Accept: LwM2M CBOR, or
/// SenML CBOR in builds without it.
pub(super) fn parse_default_format(p: &Packet) -> Vec<(String, ciborium::Value)> {
    let cf = uint_option(p, CoapOption::ContentFormat);
    if cfg!(feature = "lwm2m-cbor") {
        assert_eq!(cf, Some(LWM2M_CBOR.into()), "{:x?}", p.payload);
        parse_lwm2m_cbor(&p.payload)
    } else {
        assert_eq!(cf, Some(SENML_CBOR.into()), "{:x?}", p.payload);
        parse_senml_cbor(&p.payload)
    }
}

/// Names and values of a SenML JSON response, names resolved against `bn`.
fn parse_senml_json(v: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let mut bn = String::new();
    let mut out = vec![];
    for rec in v.as_array().unwrap() {
        if let Some(b) = rec.get("bn") {
            bn = b.as_str().unwrap().to_string();
        }
        let n = rec.get("n").and_then(|n| n.as_str()).unwrap_or("");
        let val = ["v", "vs", "vb", "vd", "vlo"]
            .iter()
            .find_map(|k| rec.get(*k).cloned())
            .unwrap_or(serde_json::Value::Null);
        out.push((format!("{bn}{n}"), val));
    }
    out
}

/* ---------------------------------------- Read ---------------------------------------- */

/// SenML CBOR as Anjay Lite writes it (its suite compares the bytes): a definite-length
/// array whose count is the number of values, floats as single precision when exact.
#[test]
fn senml_cbor_read_is_a_definite_array_with_single_floats() {
    let mut e = env();
    let r = e.get("/4000/1/2", Some(SENML_CBOR));
    assert_eq!(
        r.payload,
        b"\x81\xa2\x21\x69/4000/1/2\x02\xfa\x3f\xc0\x00\x00".to_vec()
    );
    // An instance: 0, 1, 2, 3/0, 3/1 and 6 are readable (4 executable, 5 write-only).
    let r = e.get("/4000/0", Some(SENML_CBOR));
    assert_eq!(r.payload[0], 0x86, "{:02x?}", r.payload);
    assert_ne!(r.payload.last(), Some(&0xff));
    assert_eq!(parse_senml_cbor(&r.payload).len(), 6);
    let float = b"\xa2\x00\x62/2\x02\xfa\x3f\x00\x00\x00";
    assert!(r.payload.windows(float.len()).any(|w| w == float));
    // The whole object, and a Read-Composite of two paths (one of them two values).
    let r = e.get("/4000", Some(SENML_CBOR));
    assert_eq!(r.payload[0], 0x8c, "{:02x?}", r.payload);
    let payload = senml_cbor(&[("/4000/0/3", None), ("/3/0/0", None)]);
    let r = e.req(
        RequestType::Fetch,
        "/",
        Req {
            cf: Some(SENML_CBOR),
            accept: Some(SENML_CBOR),
            payload,
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::Content);
    assert_eq!(r.payload[0], 0x83, "{:02x?}", r.payload);
    assert_eq!(parse_senml_cbor(&r.payload).len(), 3);
}

/// Without Accept, every Read and Read-Composite is answered in LwM2M CBOR (SenML CBOR in
/// builds without it), a single value too, as in Anjay Lite 3.0.0 (its suite's
/// `test_observe.py::test_notification_with_block_transfer` reads the value as CBOR).
#[test]
fn read_without_accept_answers_in_lwm2m_cbor() {
    use ciborium::Value as C;
    let mut e = env();
    for (path, want) in [
        ("/4000/1/0", vec![("/4000/1/0", C::Integer(10.into()))]),
        (
            "/4000/0/3/1",
            vec![("/4000/0/3/1", C::Bytes(b"bc".to_vec()))],
        ),
        (
            "/4000/0/3",
            vec![
                ("/4000/0/3/0", C::Bytes(b"a".to_vec())),
                ("/4000/0/3/1", C::Bytes(b"bc".to_vec())),
            ],
        ),
    ] {
        let r = e.get(path, None);
        assert_eq!(code(&r), ResponseType::Content, "{path}");
        let got = parse_default_format(&r);
        let want: Vec<_> = want.into_iter().map(|(p, v)| (p.to_string(), v)).collect();
        assert_eq!(got, want, "{path}");
    }
    // An instance and an object: every readable value, in the same format.
    let r = e.get("/4000/0", None);
    let names: Vec<_> = parse_default_format(&r)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        [
            "/4000/0/0",
            "/4000/0/1",
            "/4000/0/2",
            "/4000/0/3/0",
            "/4000/0/3/1",
            "/4000/0/6"
        ]
    );
    let r = e.get("/4000", None);
    assert!(parse_default_format(&r).len() > names.len());
    // Read-Composite: the answer's format does not follow the request's.
    let payload = senml_cbor(&[("/4000/0/1", None), ("/3/0/0", None)]);
    let r = e.req(
        RequestType::Fetch,
        "/",
        Req {
            cf: Some(SENML_CBOR),
            payload,
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::Content);
    let mut got = parse_default_format(&r);
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        [
            ("/3/0/0".to_string(), C::Text("ACME".into())),
            ("/4000/0/1".to_string(), C::Text("inst".into())),
        ]
    );
}

#[test]
fn read_at_every_level_in_every_format() {
    let mut e = env();
    // Resource in plain text.
    let r = e.get("/4000/1/0", Some(TEXT));
    assert_eq!(code(&r), ResponseType::Content);
    assert_eq!(cf_of(&r), Some(TEXT));
    assert_eq!(body(&r), "10");
    // Resource instance, text (bytes are base64 in text).
    let r = e.get("/4000/0/3/1", Some(TEXT));
    assert_eq!(body(&r), "YmM=");
    // Multi-instance resource in SenML CBOR.
    let r = e.get("/4000/0/3", Some(SENML_CBOR));
    assert_eq!(cf_of(&r), Some(SENML_CBOR));
    let recs = parse_senml_cbor(&r.payload);
    let names: Vec<_> = recs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["/4000/0/3/0", "/4000/0/3/1"]);
    assert_eq!(recs[1].1, ciborium::Value::Bytes(b"bc".to_vec()));
    // Instance in SenML JSON: readable resources only (5 is write-only, 4 executable).
    let r = e.get("/4000/0", Some(SENML_JSON));
    let recs = parse_senml_json(&json(&r));
    let names: Vec<_> = recs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "/4000/0/0",
            "/4000/0/1",
            "/4000/0/2",
            "/4000/0/3/0",
            "/4000/0/3/1",
            "/4000/0/6"
        ]
    );
    assert_eq!(recs[1].1, serde_json::json!("inst"));
    // Object in TLV: two Object Instance TLVs.
    #[cfg(feature = "tlv-encoder")]
    {
        let r = e.get("/4000", Some(TLV));
        assert_eq!(cf_of(&r), Some(TLV));
        assert_eq!(r.payload[0] >> 6, 0b00);
        assert_eq!(r.payload[1], 0, "first instance is 0");
        // Resource in TLV: a single Resource TLV with the 1-byte integer 10.
        let r = e.get("/4000/1/0", Some(TLV));
        assert_eq!(r.payload, vec![0xC1, 0x00, 10]);
    }
}

/// Without `ANJ_WITH_TLV_ENCODER` (the CMake package's default), TLV is read but never
/// written, as in Anjay Lite: a Read or Observe with a TLV Accept is 4.06 (Anjay Lite's
/// test_dm.py::test_write_and_read_resource_unsupported_content_format), a TLV Write 2.04.
#[cfg(not(feature = "tlv-encoder"))]
#[test]
fn tlv_is_decoded_but_not_encoded_without_the_encoder_option() {
    let mut e = env();
    for accept in [TLV, 1542] {
        let r = e.get("/4000/1/0", Some(accept));
        assert_eq!(code(&r), ResponseType::NotAcceptable);
        assert!(r.payload.is_empty());
    }
    let r = e.req(
        RequestType::Put,
        "/4000/1/0",
        Req {
            cf: Some(TLV),
            payload: vec![0xC1, 0x00, 42],
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::Changed);
    assert_eq!(e.a.data(1).value, 42);
    let r = e.get("/4000/1/0", Some(TEXT));
    assert_eq!(body(&r), "42");
}

/// SenML-ETCH CBOR (322, RFC 8790) is taken as SenML CBOR for Write and Read, as Anjay
/// Lite does (test_dm.py::test_write_and_read_resource_different_content_formats): the
/// same records, and the response carries the Content-Format that was asked for.
#[test]
fn senml_etch_cbor_writes_and_reads_as_senml_cbor() {
    use ciborium::Value as C;
    const SENML_ETCH_CBOR: u16 = 322;
    let mut e = env();
    let r = e.req(
        RequestType::Put,
        "/4000/1/0",
        Req {
            cf: Some(SENML_ETCH_CBOR),
            payload: senml_cbor(&[("/4000/1/0", Some(C::Integer(60.into())))]),
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::Changed);
    assert_eq!(e.a.data(1).value, 60);
    let r = e.get("/4000/1/0", Some(SENML_ETCH_CBOR));
    assert_eq!(code(&r), ResponseType::Content);
    assert_eq!(cf_of(&r), Some(SENML_ETCH_CBOR));
    assert_eq!(
        parse_senml_cbor(&r.payload),
        [("/4000/1/0".to_string(), C::Integer(60.into()))]
    );
    let plain = e.get("/4000/1/0", Some(SENML_CBOR));
    assert_eq!(r.payload, plain.payload);
}

#[test]
fn read_errors() {
    let mut e = env();
    for (p, want) in [
        ("/4000/7", ResponseType::NotFound),
        ("/4000/0/99", ResponseType::NotFound),
        ("/4000/0/3/7", ResponseType::NotFound),
        ("/4000/0/0/0", ResponseType::NotFound),
        ("/4999", ResponseType::NotFound),
        ("/4000/0/5", ResponseType::MethodNotAllowed),
        ("/4000/0/4", ResponseType::MethodNotAllowed),
        ("/0/0", ResponseType::Unauthorized),
        ("/", ResponseType::MethodNotAllowed),
    ] {
        assert_eq!(code(&e.get(p, None)), want, "{p}");
    }
    assert_eq!(
        code(&e.get("/4000/0/0", Some(9999))),
        ResponseType::NotAcceptable
    );
    // The target is checked before the Accept, as in Anjay Lite: a resource that cannot
    // be read is 4.05, a missing one 4.04, even with an Accept this build cannot write.
    for (p, want) in [
        ("/4000/0/5", ResponseType::MethodNotAllowed),
        ("/4000/0/4", ResponseType::MethodNotAllowed),
        ("/4000/0/99", ResponseType::NotFound),
    ] {
        assert_eq!(code(&e.get(p, Some(9999))), want, "{p}");
    }
    // Text cannot carry several values.
    assert_eq!(
        code(&e.get("/4000/0", Some(TEXT))),
        ResponseType::NotAcceptable
    );
}

/* ---------------------------------------- Write ---------------------------------------- */

#[test]
fn write_replace_on_an_instance_resets_it_first() {
    let mut e = env();
    e.a.st().data[0].uint = 77;
    // TLV: resource 0 = 5, resource 3 with instance 2 = "zz".
    let payload = vec![0xC1, 0x00, 5, 0x88, 0x03, 0x04, 0x42, 0x02, b'z', b'z'];
    let r = e.req(
        RequestType::Put,
        "/4000/0",
        Req {
            cf: Some(TLV),
            payload,
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::Changed);
    assert_eq!(
        e.a.take_log(),
        [
            "begin",
            "reset 0",
            "write 0/0",
            "ri create 0/3/2",
            "write 0/3/2",
            "validate",
            "end ok"
        ]
    );
    assert_eq!(e.a.data(0).value, 5);
    assert_eq!(
        e.a.data(0).uint,
        0,
        "reset cleared what the payload left out"
    );
    assert_eq!(e.a.riids(0), [2]);
    assert_eq!(e.a.blob(0, 2), b"zz");
}

#[test]
fn write_replace_on_an_instance_without_inst_reset_is_405() {
    let mut e = env();
    let r = e.req(
        RequestType::Put,
        "/4001/0",
        senml(serde_json::json!([{"n": "/4001/0/0", "v": 1}])),
    );
    assert_eq!(code(&r), ResponseType::MethodNotAllowed);
    assert_eq!(e.b.take_log(), ["begin", "end fail"]);
    assert_eq!(e.b.data(0).value, 0);
}

#[test]
fn write_replace_on_a_multi_instance_resource_replaces_its_instances() {
    let mut e = env();
    let r = e.req(
        RequestType::Put,
        "/4000/1/3",
        senml(serde_json::json!([
            {"bn": "/4000/1/3/", "n": "1", "vd": "eHk"},
            {"n": "2", "vd": "dw"}
        ])),
    );
    assert_eq!(code(&r), ResponseType::Changed);
    assert_eq!(e.a.riids(1), [1, 2]);
    assert_eq!(e.a.blob(1, 1), b"xy");
    assert_eq!(e.a.blob(1, 2), b"w");
    let log = e.a.take_log();
    assert_eq!(&log[..3], ["begin", "ri delete 1/3/0", "ri delete 1/3/1"]);
    assert!(log.contains(&"ri create 1/3/1".to_string()), "{log:?}");
}

#[test]
fn write_partial_update_creates_missing_resource_instances() {
    let mut e = env();
    use ciborium::Value as C;
    let payload = senml_cbor(&[
        ("/4000/0/3/2", Some(C::Bytes(b"new".to_vec()))),
        ("/4000/0/6", Some(C::Integer(9.into()))),
        // Unknown resources in an instance-level write are not an error (§6.3.3).
        ("/4000/0/99", Some(C::Integer(1.into()))),
    ]);
    let r = e.req(
        RequestType::Post,
        "/4000/0",
        Req {
            cf: Some(SENML_CBOR),
            payload,
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::Changed);
    assert_eq!(e.a.riids(0), [0, 1, 2]);
    assert_eq!(e.a.blob(0, 0), b"a", "existing instances stay");
    assert_eq!(e.a.blob(0, 2), b"new");
    assert_eq!(e.a.data(0).uint, 9);
    // A full multi-instance resource: no slot for a fourth instance.
    let r = e.req(
        RequestType::Post,
        "/4000/0/3",
        senml(serde_json::json!([{"n": "/4000/0/3/9", "vd": "AA"}])),
    );
    assert_eq!(code(&r), ResponseType::InternalServerError);
    assert_eq!(e.a.riids(0), [0, 1, 2], "rolled back");
}

#[test]
fn write_resource_text_and_errors() {
    let mut e = env();
    assert_eq!(
        code(&e.req(RequestType::Put, "/4000/0/1", text("hello"))),
        ResponseType::Changed
    );
    assert_eq!(e.a.name(0), "hello");
    for (path, req, want) in [
        ("/4000/0/0", text("x"), ResponseType::BadRequest),
        ("/4000/0/2", text("1.5"), ResponseType::MethodNotAllowed),
        ("/4000/0/99", text("1"), ResponseType::NotFound),
        ("/4000/9/0", text("1"), ResponseType::NotFound),
        ("/4000/0/3", text("AA=="), ResponseType::MethodNotAllowed),
        ("/0/0/0", text("1"), ResponseType::Unauthorized),
        ("/4000", text("1"), ResponseType::MethodNotAllowed),
        // Handler error codes: ANJ_DM_ERR_* pass through, anything else is 5.00.
        ("/4000/0/1", text("busy"), ResponseType::ServiceUnavailable),
        ("/4000/0/1", text("nf"), ResponseType::NotFound),
        (
            "/4000/0/1",
            text("weird"),
            ResponseType::InternalServerError,
        ),
        // 33 bytes do not fit the handler's 32-byte buffer: anj_dm_write_string_chunked
        // fails with ANJ_DM_ERR_INTERNAL.
        (
            "/4000/0/1",
            text("0123456789012345678901234567890123"),
            ResponseType::InternalServerError,
        ),
        (
            "/4000/0/0",
            Req {
                cf: Some(9999),
                payload: b"1".to_vec(),
                ..Default::default()
            },
            ResponseType::UnsupportedContentFormat,
        ),
    ] {
        let r = e.req(RequestType::Put, path, req);
        assert_eq!(code(&r), want, "{path}");
    }
    assert_eq!(e.a.name(0), "hello", "failed writes changed nothing");
    // Writing an instance in a format without hierarchy is 4.15.
    let r = e.req(RequestType::Post, "/4000/0", text("1"));
    assert_eq!(code(&r), ResponseType::UnsupportedContentFormat);
    // A handler "not found" at instance level is ignored (unsupported resource).
    let r = e.req(
        RequestType::Post,
        "/4000/0",
        senml(serde_json::json!([{"n": "/4000/0/1", "vs": "nf"}])),
    );
    assert_eq!(code(&r), ResponseType::Changed);
    // Malformed payload.
    let r = e.req(
        RequestType::Post,
        "/4000/0",
        Req {
            cf: Some(SENML_JSON),
            payload: b"[{\"n\":".to_vec(),
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::BadRequest);
}

#[test]
fn a_write_that_fails_validation_is_rolled_back() {
    let mut e = env();
    let r = e.req(
        RequestType::Post,
        "/4000/1",
        senml(serde_json::json!([
            {"n": "/4000/1/6", "v": 3},
            {"n": "/4000/1/0", "v": -5}
        ])),
    );
    assert_eq!(code(&r), ResponseType::BadRequest);
    assert_eq!(
        e.a.take_log(),
        ["begin", "write 1/6", "write 1/0", "validate", "end fail"]
    );
    assert_eq!(e.a.data(1).value, 10);
    assert_eq!(e.a.data(1).uint, 0);
}

/* ----------------------------------- Create / Delete ----------------------------------- */

#[test]
fn create_with_and_without_an_instance_id() {
    let mut e = env();
    // TLV Object Instance 2 holding resource 0 = 7.
    let r = e.req(
        RequestType::Post,
        "/4000",
        Req {
            cf: Some(TLV),
            payload: vec![0x03, 0x02, 0xC1, 0x00, 7],
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::Created);
    let loc: Vec<Vec<u8>> = r
        .get_option(CoapOption::LocationPath)
        .unwrap()
        .iter()
        .cloned()
        .collect();
    assert_eq!(loc, [b"4000".to_vec(), b"2".to_vec()]);
    assert_eq!(e.a.iids(), [0, 1, 2]);
    assert_eq!(e.a.data(2).value, 7);
    assert_eq!(
        e.a.take_log(),
        ["begin", "create 2", "write 2/0", "validate", "end ok"]
    );
    // The server created it: no Update announces it (as in Anjay Lite).
    e.expect_no_update();
    // The object is full now.
    let r = e.req(
        RequestType::Post,
        "/4000",
        Req {
            cf: Some(TLV),
            payload: vec![0xC1, 0x00, 7],
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::InternalServerError);
    // Delete one, then create without an IID (bare resource TLVs): the lowest free.
    assert_eq!(
        code(&e.req(RequestType::Delete, "/4000/0", Req::default())),
        ResponseType::Deleted
    );
    e.expect_no_update();
    let r = e.req(
        RequestType::Post,
        "/4000",
        Req {
            cf: Some(TLV),
            payload: vec![0xC1, 0x00, 8],
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::Created);
    let loc: Vec<Vec<u8>> = r
        .get_option(CoapOption::LocationPath)
        .unwrap()
        .iter()
        .cloned()
        .collect();
    assert_eq!(loc, [b"4000".to_vec(), b"0".to_vec()]);
    assert_eq!(e.a.data(0).value, 8);
}

#[test]
fn create_in_senml_and_with_an_empty_payload() {
    let mut e = env();
    let r = e.req(
        RequestType::Post,
        "/4000",
        senml(serde_json::json!([
            {"n": "/4000/5/1", "vs": "five"},
            {"n": "/4000/5/3/4", "vd": "AQ"}
        ])),
    );
    assert_eq!(code(&r), ResponseType::Created);
    assert_eq!(e.a.iids(), [0, 1, 5]);
    assert_eq!(e.a.name(5), "five");
    assert_eq!(e.a.riids(5), [4]);
    assert_eq!(e.a.blob(5, 4), [1]);
    e.expect_no_update();
    // Delete 0 to make room; an empty Create takes IID 0.
    e.req(RequestType::Delete, "/4000/0", Req::default());
    e.expect_no_update();
    let r = e.req(RequestType::Post, "/4000", Req::default());
    assert_eq!(code(&r), ResponseType::Created);
    assert_eq!(e.a.iids(), [0, 1, 5]);
}

#[test]
fn create_errors_and_atomicity() {
    let mut e = env();
    // An existing IID.
    let r = e.req(
        RequestType::Post,
        "/4000",
        senml(serde_json::json!([{"n": "/4000/1/0", "v": 1}])),
    );
    assert_eq!(code(&r), ResponseType::BadRequest);
    // Two instances in one Create.
    let r = e.req(
        RequestType::Post,
        "/4000",
        senml(serde_json::json!([{"n": "/4000/2/0", "v": 1}, {"n": "/4000/3/0", "v": 1}])),
    );
    assert_eq!(code(&r), ResponseType::BadRequest);
    // An object without inst_create.
    let r = e.req(
        RequestType::Post,
        "/4001",
        senml(serde_json::json!([{"n": "/4001/1/0", "v": 1}])),
    );
    assert_eq!(code(&r), ResponseType::MethodNotAllowed);
    assert_eq!(e.b.iids(), [0]);
    // Validation fails: the instance is gone again and the server gets 4.00.
    e.a.take_log();
    let r = e.req(
        RequestType::Post,
        "/4000",
        senml(serde_json::json!([{"n": "/4000/2/0", "v": -1}])),
    );
    assert_eq!(code(&r), ResponseType::BadRequest);
    assert_eq!(e.a.iids(), [0, 1]);
    assert_eq!(
        e.a.take_log(),
        ["begin", "create 2", "write 2/0", "validate", "end fail"]
    );
    // A value of the wrong type.
    let r = e.req(
        RequestType::Post,
        "/4000",
        senml(serde_json::json!([{"n": "/4000/2/1", "v": 1}])),
    );
    assert_eq!(code(&r), ResponseType::BadRequest);
    assert_eq!(e.a.iids(), [0, 1]);
    // Security and unknown objects.
    let r = e.req(RequestType::Post, "/0", Req::default());
    assert_eq!(code(&r), ResponseType::Unauthorized);
    let r = e.req(RequestType::Post, "/4999", Req::default());
    assert_eq!(code(&r), ResponseType::NotFound);
    assert!(e.rig.link.sent.is_empty(), "no Update after failures");
}

#[test]
fn delete_instances_and_resource_instances() {
    let mut e = env();
    for (p, want) in [
        ("/4000", ResponseType::MethodNotAllowed),
        ("/4000/0/0", ResponseType::MethodNotAllowed),
        ("/4000/7", ResponseType::NotFound),
        ("/4000/0/3/9", ResponseType::NotFound),
        ("/0/0", ResponseType::Unauthorized),
        // The Device object instance cannot be deleted (no inst_delete).
        ("/3/0", ResponseType::MethodNotAllowed),
        ("/4001/0", ResponseType::MethodNotAllowed),
        ("/", ResponseType::MethodNotAllowed),
    ] {
        let r = e.req(RequestType::Delete, p, Req::default());
        assert_eq!(code(&r), want, "{p}");
    }
    let r = e.req(RequestType::Delete, "/4000/0/3/0", Req::default());
    assert_eq!(code(&r), ResponseType::Deleted);
    assert_eq!(e.a.riids(0), [1]);
    e.a.take_log();
    let r = e.req(RequestType::Delete, "/4000/1", Req::default());
    assert_eq!(code(&r), ResponseType::Deleted);
    assert_eq!(e.a.iids(), [0]);
    assert_eq!(e.a.take_log(), ["begin", "delete 1", "validate", "end ok"]);
    // The server deleted it: no Update (as in Anjay Lite).
    e.expect_no_update();
    assert_eq!(code(&e.get("/4000/1", None)), ResponseType::NotFound);
}

/// The application's own additions and removals of instances are announced with an
/// Update carrying the object list (as in Anjay Lite), unlike the server's.
#[test]
fn application_instance_changes_are_announced_with_an_update() {
    use crate::ffi::core::{anj_core_change_type_t, anj_core_data_model_changed};
    use crate::ffi::utils::anj_uri_path_t;
    let mut e = env();
    let changed = |e: &mut Env, ids: &[u16], kind| {
        let mut p = anj_uri_path_t {
            ids: [u16::MAX; 4],
            uri_len: ids.len(),
        };
        p.ids[..ids.len()].copy_from_slice(ids);
        let anj = e.rig.anj_ptr();
        // SAFETY (test): an initialised client, outside of any step.
        unsafe {
            anj_core_data_model_changed(anj, &p, kind);
            crate::ffi::core::apply_pending(anj);
        }
    };
    assert!(e.a.add_instance(2));
    changed(
        &mut e,
        &[4000, 2],
        anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_ADDED,
    );
    let upd = e.expect_update();
    assert!(upd.contains("</4000/2>"), "{upd}");
    let r = e.req(RequestType::Delete, "/4000/2", Req::default());
    assert_eq!(code(&r), ResponseType::Deleted);
    e.expect_no_update();
    assert!(e.a.add_instance(2));
    changed(
        &mut e,
        &[4000, 2],
        anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_ADDED,
    );
    e.expect_update();
    // SAFETY (test): the handler only touches the test object's own state.
    assert_eq!(unsafe { inst_delete(e.rig.anj_ptr(), e.a.obj_ptr(), 2) }, 0);
    changed(
        &mut e,
        &[4000, 2],
        anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_DELETED,
    );
    let upd = e.expect_update();
    assert!(!upd.contains("</4000/2>"), "{upd}");
    // At object level too; a resource-level one changes no object list.
    changed(
        &mut e,
        &[4000],
        anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_ADDED,
    );
    e.expect_update();
    changed(
        &mut e,
        &[4000, 0, 3, 5],
        anj_core_change_type_t::ANJ_CORE_CHANGE_TYPE_ADDED,
    );
    e.expect_no_update();
}

/// A user object (OID 33000) whose multi-instance resource holds RIID 7: Delete of that
/// resource instance calls `res_inst_delete` inside a transaction and answers 2.02. As in
/// Anjay Lite, the transaction begins before the path is looked up: a resource instance
/// that does not exist, or a resource that is not multi-instance, is 4.04 with the
/// transaction ended in failure, and the handler alone decides for a read-only
/// multi-instance resource.
#[test]
fn delete_of_a_resource_instance_of_a_user_object() {
    let mut e = env();
    let c = TestObj::new(33000, &[0], false, false);
    let anj = e.rig.anj_ptr();
    // SAFETY (test): `c` outlives the rig's use of it (removed below).
    unsafe {
        assert_eq!(crate::ffi::core::anj_dm_add_obj(anj, c.obj_ptr()), 0);
        crate::ffi::core::apply_pending(anj);
    }
    let r = e.req(
        RequestType::Post,
        "/33000/0/3",
        senml(serde_json::json!([{"n": "/33000/0/3/7", "vd": "AA"}])),
    );
    assert_eq!(code(&r), ResponseType::Changed);
    assert_eq!(c.riids(0), [0, 1, 7]);
    c.take_log();
    let r = e.req(RequestType::Delete, "/33000/0/3/7", Req::default());
    assert_eq!(code(&r), ResponseType::Deleted);
    assert_eq!(c.riids(0), [0, 1]);
    assert_eq!(
        c.take_log(),
        ["begin", "ri delete 0/3/7", "validate", "end ok"]
    );
    for p in [
        "/33000/0/3/7",
        "/33000/0/0/0",
        "/33000/0/9/0",
        "/33000/4/3/0",
    ] {
        let r = e.req(RequestType::Delete, p, Req::default());
        assert_eq!(code(&r), ResponseType::NotFound, "{p}");
        assert_eq!(c.take_log(), ["begin", "end fail"], "{p}");
    }
    // Read-only to the server, but the application's handler deletes it.
    // SAFETY (test): single-threaded; no reference to the table is held.
    unsafe { (*c.res.get())[0][3].kind = anj_dm_res_kind_t::ANJ_DM_RES_RM };
    let r = e.req(RequestType::Delete, "/33000/0/3/1", Req::default());
    assert_eq!(code(&r), ResponseType::Deleted);
    assert_eq!(c.riids(0), [0]);
    // SAFETY (test): an initialised client, outside of any step.
    unsafe {
        assert_eq!(crate::ffi::core::anj_dm_remove_obj(anj, 33000), 0);
    }
}

/* --------------------------------------- Execute --------------------------------------- */

#[test]
fn execute_with_arguments() {
    let mut e = env();
    let r = e.req(
        RequestType::Post,
        "/4000/1/4",
        Req {
            payload: b"0='coap://a',1".to_vec(),
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::Changed);
    assert_eq!(*e.a.exec_args.borrow(), b"0='coap://a',1");
    assert_eq!(e.a.take_log(), ["execute 1/4"]);
    let r = e.req(RequestType::Post, "/4000/1/4", text("nonsense"));
    assert_eq!(code(&r), ResponseType::BadRequest);
    let r = e.req(RequestType::Post, "/4000/1/0", Req::default());
    assert_eq!(code(&r), ResponseType::MethodNotAllowed);
    let r = e.req(RequestType::Post, "/4000/1/4/0", Req::default());
    assert_eq!(code(&r), ResponseType::MethodNotAllowed);
    let r = e.req(RequestType::Post, "/4000/1/44", Req::default());
    assert_eq!(code(&r), ResponseType::NotFound);
}

/* ------------------------------------- Composite ------------------------------------- */

#[cfg(feature = "composite-operations")]
#[test]
fn write_composite_is_atomic_across_objects() {
    let mut e = env();
    let ok = e.req(
        RequestType::IPatch,
        "/",
        senml(serde_json::json!([
            {"n": "/4000/0/0", "v": 11},
            {"n": "/4001/0/0", "v": 22},
            {"n": "/4000/1/3/0"}
        ])),
    );
    assert_eq!(code(&ok), ResponseType::Changed);
    assert_eq!(e.a.data(0).value, 11);
    assert_eq!(e.b.data(0).value, 22);
    assert_eq!(
        e.a.riids(1),
        [1],
        "a null value deletes the resource instance"
    );
    assert_eq!(
        e.a.take_log(),
        [
            "begin",
            "write 0/0",
            "ri delete 1/3/0",
            "validate",
            "end ok"
        ]
    );
    assert_eq!(e.b.take_log(), ["begin", "write 0/0", "validate", "end ok"]);
    // Object 4001 rejects its value: both objects roll back.
    use ciborium::Value as C;
    let bad = senml_cbor(&[
        ("/4000/0/0", Some(C::Integer(99.into()))),
        ("/4001/0/0", Some(C::Integer((-1).into()))),
    ]);
    let r = e.req(
        RequestType::IPatch,
        "/",
        Req {
            cf: Some(SENML_CBOR),
            payload: bad,
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::BadRequest);
    assert_eq!(e.a.data(0).value, 11);
    assert_eq!(e.b.data(0).value, 22);
    assert_eq!(
        e.a.take_log(),
        ["begin", "write 0/0", "validate", "end fail"]
    );
    assert_eq!(
        e.b.take_log(),
        ["begin", "write 0/0", "validate", "end fail"]
    );
    // A missing target in the middle: 4.04 and nothing kept.
    let r = e.req(
        RequestType::IPatch,
        "/",
        senml(serde_json::json!([
            {"n": "/4000/0/0", "v": 1},
            {"n": "/4000/9/0", "v": 1}
        ])),
    );
    assert_eq!(code(&r), ResponseType::NotFound);
    assert_eq!(e.a.data(0).value, 11);
    for (payload, want) in [
        (
            serde_json::json!([{"n": "/0/0/0", "vs": "x"}]),
            ResponseType::Unauthorized,
        ),
        (
            serde_json::json!([{"n": "/4000/0", "v": 1}]),
            ResponseType::BadRequest,
        ),
        (
            serde_json::json!([{"n": "/4000/0/0"}]),
            ResponseType::BadRequest,
        ),
        (
            serde_json::json!([{"n": "/4000/0/0", "vs": "x"}]),
            ResponseType::BadRequest,
        ),
    ] {
        let r = e.req(RequestType::IPatch, "/", senml(payload.clone()));
        assert_eq!(code(&r), want, "{payload}");
    }
    let r = e.req(RequestType::IPatch, "/4000", senml(serde_json::json!([])));
    assert_eq!(code(&r), ResponseType::MethodNotAllowed);
    let r = e.req(
        RequestType::IPatch,
        "/",
        Req {
            cf: Some(TLV),
            payload: vec![0xC1, 0, 1],
            ..Default::default()
        },
    );
    assert_eq!(code(&r), ResponseType::UnsupportedContentFormat);
}

/// Write-Composite naming a resource an existing instance does not have, as Anjay Lite
/// answers (test_dm.py::test_write_composite): skipped (2.04) when the value carries its
/// type (a string here), 4.04 when it is a number, whose type only the resource tells;
/// either way nothing of a failed request is kept.
#[cfg(feature = "composite-operations")]
#[test]
fn write_composite_skips_an_unknown_resource_unless_its_value_is_a_number() {
    use ciborium::Value as C;
    let mut e = env();
    let cbor = |records: &[(&str, Option<C>)]| Req {
        cf: Some(SENML_CBOR),
        payload: senml_cbor(records),
        ..Default::default()
    };
    let r = e.req(
        RequestType::IPatch,
        "/",
        cbor(&[
            ("/4000/0/0", Some(C::Integer(5.into()))),
            ("/4000/0/99", Some(C::Text("hehe".into()))),
        ]),
    );
    assert_eq!(code(&r), ResponseType::Changed);
    assert_eq!(e.a.data(0).value, 5);
    assert_eq!(e.a.take_log(), ["begin", "write 0/0", "validate", "end ok"]);
    for number in [C::Float(2.5), C::Integer(7.into())] {
        let r = e.req(
            RequestType::IPatch,
            "/",
            cbor(&[
                ("/4000/0/0", Some(C::Integer(6.into()))),
                ("/4000/0/99", Some(number)),
            ]),
        );
        assert_eq!(code(&r), ResponseType::NotFound);
        assert_eq!(e.a.data(0).value, 5, "rolled back");
        assert_eq!(e.a.take_log(), ["begin", "write 0/0", "end fail"]);
    }
    // A missing instance stays 4.04 whatever the value; a null value needs an RIID.
    let r = e.req(
        RequestType::IPatch,
        "/",
        cbor(&[("/4000/9/99", Some(C::Text("x".into())))]),
    );
    assert_eq!(code(&r), ResponseType::NotFound);
    let r = e.req(RequestType::IPatch, "/", cbor(&[("/4000/0/99", None)]));
    assert_eq!(code(&r), ResponseType::BadRequest);
    let r = e.req(RequestType::IPatch, "/", cbor(&[("/4000/0/99/1", None)]));
    assert_eq!(code(&r), ResponseType::Changed);
}

#[cfg(feature = "composite-operations")]
#[test]
fn read_composite_lists_paths_across_objects() {
    let mut e = env();
    let r = e.req(
        RequestType::Fetch,
        "/",
        Req {
            accept: Some(SENML_JSON),
            ..senml(serde_json::json!([
                {"n": "/4000/1/0"},
                {"n": "/4001/0/3"},
                {"n": "/4999"},
                {"n": "/0/0"}
            ]))
        },
    );
    assert_eq!(code(&r), ResponseType::Content);
    assert_eq!(cf_of(&r), Some(SENML_JSON));
    let recs = parse_senml_json(&json(&r));
    let names: Vec<_> = recs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["/4000/1/0", "/4001/0/3/0", "/4001/0/3/1"]);
    assert_eq!(recs[0].1, serde_json::json!(10));
    // SenML CBOR both ways.
    let payload = senml_cbor(&[("/4000/0/1", None), ("/3/0/0", None)]);
    let r = e.req(
        RequestType::Fetch,
        "/",
        Req {
            cf: Some(SENML_CBOR),
            accept: Some(SENML_CBOR),
            payload,
            ..Default::default()
        },
    );
    assert_eq!(cf_of(&r), Some(SENML_CBOR));
    let recs = parse_senml_cbor(&r.payload);
    assert_eq!(
        recs[0],
        ("/4000/0/1".into(), ciborium::Value::Text("inst".into()))
    );
    assert_eq!(
        recs[1],
        ("/3/0/0".into(), ciborium::Value::Text("ACME".into()))
    );
    // More than ANJ_DM_MAX_COMP_READ_ENTRIES readable paths.
    let many: Vec<_> = (0..=crate::config::DM_MAX_COMP_READ_ENTRIES)
        .map(|_| serde_json::json!({"n": "/4000/0/0"}))
        .collect();
    let r = e.req(
        RequestType::Fetch,
        "/",
        senml(serde_json::Value::Array(many)),
    );
    assert_eq!(code(&r), ResponseType::InternalServerError);
    let r = e.req(
        RequestType::Fetch,
        "/",
        Req {
            accept: Some(TLV),
            ..senml(serde_json::json!([{"n": "/4000/0/0"}]))
        },
    );
    assert_eq!(code(&r), ResponseType::NotAcceptable);
    let r = e.req(RequestType::Fetch, "/", text("/4000/0/0"));
    assert_eq!(code(&r), ResponseType::UnsupportedContentFormat);
}

/* ---------------------------------- Discover, attributes ---------------------------------- */

#[cfg(feature = "discover")]
fn discover(e: &mut Env, path: &str, query: &[&str]) -> Packet {
    e.req(
        RequestType::Get,
        path,
        Req {
            accept: Some(LINK),
            query,
            ..Default::default()
        },
    )
}

#[cfg(feature = "discover")]
#[test]
fn discover_with_depth() {
    let mut e = env();
    let r = discover(&mut e, "/4001", &[]);
    assert_eq!(code(&r), ResponseType::Content);
    assert_eq!(cf_of(&r), Some(LINK));
    assert_eq!(
        body(&r),
        "</4001>;ver=1.1,</4001/0>,</4001/0/0>,</4001/0/1>,</4001/0/2>,</4001/0/3>;dim=2,\
         </4001/0/4>,</4001/0/5>,</4001/0/6>"
    );
    let r = discover(&mut e, "/4001", &["depth=0"]);
    assert_eq!(body(&r), "</4001>;ver=1.1");
    let r = discover(&mut e, "/4001", &["depth=1"]);
    assert_eq!(body(&r), "</4001>;ver=1.1,</4001/0>");
    let r = discover(&mut e, "/4001", &["depth=3"]);
    assert!(
        body(&r).contains("</4001/0/3>;dim=2,</4001/0/3/0>,</4001/0/3/1>,</4001/0/4>"),
        "{}",
        body(&r)
    );
    let r = discover(&mut e, "/4001/0", &[]);
    assert!(
        body(&r).starts_with("</4001/0>,</4001/0/0>,"),
        "{}",
        body(&r)
    );
    assert!(!body(&r).contains("</4001/0/3/0>"));
    let r = discover(&mut e, "/4001/0/3", &[]);
    assert_eq!(body(&r), "</4001/0/3>;dim=2,</4001/0/3/0>,</4001/0/3/1>");
    let r = discover(&mut e, "/4001/0/3", &["depth=0"]);
    assert_eq!(body(&r), "</4001/0/3>;dim=2");
    for (p, q, want) in [
        ("/4001", &["depth=4"][..], ResponseType::BadRequest),
        ("/4001", &["depth=x"][..], ResponseType::BadRequest),
        ("/4001/0/3/0", &[][..], ResponseType::BadRequest),
        ("/4001/5", &[][..], ResponseType::NotFound),
        ("/0", &[][..], ResponseType::Unauthorized),
        ("/", &[][..], ResponseType::MethodNotAllowed),
    ] {
        assert_eq!(code(&discover(&mut e, p, q)), want, "{p} {q:?}");
    }
}

#[cfg(feature = "observe")]
fn write_attrs(e: &mut Env, path: &str, query: &[&str]) -> ResponseType {
    code(&e.req(
        RequestType::Put,
        path,
        Req {
            query,
            ..Default::default()
        },
    ))
}

#[cfg(feature = "observe")]
#[test]
fn write_attributes_are_validated_stored_and_removed() {
    let mut e = env();
    let ok = ResponseType::Changed;
    let bad = ResponseType::BadRequest;
    assert_eq!(write_attrs(&mut e, "/4000", &["pmin=5", "pmax=60"]), ok);
    assert_eq!(
        write_attrs(&mut e, "/4000/0/0", &["gt=10.5", "lt=1", "st=2"]),
        ok
    );
    assert_eq!(
        write_attrs(&mut e, "/4000/0/6", &["epmin=1", "epmax=2"]),
        ok
    );
    for (p, q) in [
        ("/4000/0/0", &["lt=20"][..]),   // lt >= gt (merged with gt=10.5)
        ("/4000/0/0", &["st=5"][..]),    // lt + 2*st >= gt
        ("/4000/0/1", &["gt=1"][..]),    // not numeric
        ("/4000/0", &["gt=1"][..]),      // value condition above resource level
        ("/4000/0/6", &["epmin=5"][..]), // epmin >= epmax
        ("/4000/0/0", &["pmin=-3"][..]),
        ("/4000/0/0", &["pmax=abc"][..]),
    ] {
        assert_eq!(write_attrs(&mut e, p, q), bad, "{p} {q:?}");
    }
    #[cfg(feature = "lwm2m12")]
    {
        assert_eq!(
            write_attrs(&mut e, "/4000/0/0", &["edge=1"]),
            bad,
            "edge on int"
        );
        assert_eq!(write_attrs(&mut e, "/4000/0/0", &["con=2"]), bad);
        assert_eq!(write_attrs(&mut e, "/4000/0/0", &["con=1", "hqmax=3"]), ok);
    }
    assert_eq!(
        write_attrs(&mut e, "/4000/0/5", &["pmin=1"]),
        ResponseType::MethodNotAllowed,
        "nothing readable"
    );
    assert_eq!(
        write_attrs(&mut e, "/4000/7", &["pmin=1"]),
        ResponseType::NotFound
    );
    assert_eq!(
        write_attrs(&mut e, "/0/0", &["pmin=1"]),
        ResponseType::Unauthorized
    );
    assert_eq!(
        write_attrs(&mut e, "/", &["pmin=1"]),
        ResponseType::MethodNotAllowed
    );

    let ssid = 1;
    let attrs = |e: &mut Env, p: &[u16]| {
        e.rig
            .client()
            .attributes
            .get(ssid, &crate::io::value::Path::new(p))
    };
    let a = attrs(&mut e, &[4000, 0, 0]).unwrap();
    assert_eq!((a.gt, a.lt, a.st), (Some(10.5), Some(1.0), Some(2.0)));
    // Discover shows them: the target's record with what it inherits.
    #[cfg(all(feature = "discover-attr", feature = "discover"))]
    {
        let r = discover(&mut e, "/4000/0/0", &[]);
        let b = body(&r);
        assert!(
            b.starts_with("</4000/0/0>;pmin=5;pmax=60;gt=10.5;lt=1;st=2"),
            "{b}"
        );
        let r = discover(&mut e, "/4000", &[]);
        let b = body(&r);
        assert!(
            b.starts_with("</4000>;ver=1.1;pmin=5;pmax=60,</4000/0>,"),
            "{b}"
        );
        assert!(b.contains("</4000/0/6>;epmin=1;epmax=2"), "{b}");
    }
    // Empty values remove attributes; removing all drops the entry.
    assert_eq!(write_attrs(&mut e, "/4000/0/0", &["gt", "lt=", "st"]), ok);
    #[cfg(feature = "lwm2m12")]
    assert_eq!(write_attrs(&mut e, "/4000/0/0", &["con", "hqmax"]), ok);
    assert_eq!(attrs(&mut e, &[4000, 0, 0]), None);
    // Deleting an instance forgets its attributes.
    assert_eq!(write_attrs(&mut e, "/4000/1", &["pmin=3"]), ok);
    assert!(attrs(&mut e, &[4000, 1]).is_some());
    e.req(RequestType::Delete, "/4000/1", Req::default());
    assert_eq!(attrs(&mut e, &[4000, 1]), None);
}

#[cfg(feature = "observe")]
#[test]
fn write_attributes_table_full_is_500() {
    let mut e = env();
    let n = crate::config::OBSERVE_MAX_WRITE_ATTRIBUTES_NUMBER;
    let mut paths = vec![];
    for o in ["/4000/0", "/4000/1", "/4001/0"] {
        for r in ["", "/0", "/1", "/2", "/3", "/6"] {
            paths.push(format!("{o}{r}"));
        }
    }
    assert!(n < paths.len(), "the test needs more distinct paths");
    for p in &paths[..n] {
        assert_eq!(
            write_attrs(&mut e, p, &["pmin=1"]),
            ResponseType::Changed,
            "{p}"
        );
    }
    assert_eq!(
        write_attrs(&mut e, &paths[n], &["pmin=1"]),
        ResponseType::InternalServerError
    );
    // Updating a stored entry still works.
    assert_eq!(
        write_attrs(&mut e, &paths[0], &["pmax=9"]),
        ResponseType::Changed
    );
}

/* ----------------------------------- chunked writes ----------------------------------- */

#[test]
fn chunked_write_helpers_reassemble_values() {
    let chunk = |data: &[u8], offset, full| {
        let mut v = anj_res_value_t::zeroed();
        v.bytes_or_string = anj_bytes_or_string_value_t {
            data: data.as_ptr().cast(),
            offset,
            chunk_length: data.len(),
            full_length_hint: full,
        };
        v
    };
    let mut buf = [0u8; 8];
    let mut len = 0usize;
    let mut last = true;
    // SAFETY (test): valid values and buffers.
    unsafe {
        assert_eq!(
            anj_dm_write_bytes_chunked(
                &chunk(b"abc", 0, 5),
                buf.as_mut_ptr(),
                8,
                &mut len,
                &mut last
            ),
            0
        );
        assert!(!last);
        assert_eq!(
            anj_dm_write_bytes_chunked(
                &chunk(b"de", 3, 5),
                buf.as_mut_ptr(),
                8,
                &mut len,
                &mut last
            ),
            0
        );
        assert!(last);
        assert_eq!((&buf[..5], len), (&b"abcde"[..], 5));
        assert_eq!(
            anj_dm_write_bytes_chunked(
                &chunk(b"xyz", 7, 10),
                buf.as_mut_ptr(),
                8,
                &mut len,
                &mut last
            ),
            -160
        );
        let mut s = [0x55 as c_char; 6];
        assert_eq!(
            anj_dm_write_string_chunked(&chunk(b"ab", 0, 4), s.as_mut_ptr(), 6, &mut last),
            0
        );
        assert!(!last);
        assert_eq!(
            anj_dm_write_string_chunked(&chunk(b"cd", 2, 4), s.as_mut_ptr(), 6, &mut last),
            0
        );
        assert!(last);
        assert_eq!(std::ffi::CStr::from_ptr(s.as_ptr()).to_bytes(), b"abcd");
        // The terminator needs room too.
        assert_eq!(
            anj_dm_write_string_chunked(&chunk(b"abcdef", 0, 6), s.as_mut_ptr(), 6, &mut last),
            -160
        );
        assert_eq!(
            anj_dm_write_string_chunked(std::ptr::null(), s.as_mut_ptr(), 6, &mut last),
            -160
        );
    }
}

/* ------------------------------------ external data ------------------------------------ */

#[cfg(feature = "external-data")]
mod external {
    use super::*;
    use std::ffi::c_void;

    /// What an external value streams: `len` bytes of `b'a' + i % 26`, 3 per call.
    struct Source {
        len: usize,
        opened: Cell<u32>,
        closed: Cell<u32>,
        fail_open: bool,
    }

    unsafe extern "C" fn get(
        buf: *mut c_void,
        size: *mut usize,
        off: usize,
        u: *mut c_void,
    ) -> i32 {
        // SAFETY (test): `u` is a Source; `buf` holds `*size` bytes.
        let s = unsafe { &*(u as *const Source) };
        let room = unsafe { *size };
        let n = room.min(3).min(s.len - off);
        for i in 0..n {
            unsafe { *(buf as *mut u8).add(i) = b'a' + ((off + i) % 26) as u8 };
        }
        unsafe { *size = n };
        if off + n == s.len {
            0
        } else {
            4 // ANJ_IO_NEED_NEXT_CALL
        }
    }
    unsafe extern "C" fn open(u: *mut c_void) -> i32 {
        let s = unsafe { &*(u as *const Source) };
        s.opened.set(s.opened.get() + 1);
        if s.fail_open {
            -1
        } else {
            0
        }
    }
    unsafe extern "C" fn close(u: *mut c_void) {
        let s = unsafe { &*(u as *const Source) };
        s.closed.set(s.closed.get() + 1);
    }

    /// An object with one instance whose resource 0 is an external string.
    #[repr(C)]
    struct ExtObj {
        obj: anj_dm_obj_t,
        handlers: anj_dm_handlers_t,
        res: anj_dm_res_t,
        inst: anj_dm_obj_inst_t,
        src: Source,
    }

    unsafe extern "C" fn ext_read(
        _: *mut anj_t,
        obj: *const anj_dm_obj_t,
        _: u16,
        _: u16,
        _: u16,
        out: *mut anj_res_value_t,
    ) -> i32 {
        // SAFETY (test): `obj` is the first field of an ExtObj; `out` is valid.
        let o = unsafe { &*(obj as *const ExtObj) };
        unsafe {
            (*out).external_data = anj_external_data_t {
                get_external_data: Some(get),
                open_external_data: Some(open),
                close_external_data: Some(close),
                user_args: &o.src as *const Source as *mut c_void,
            };
        }
        0
    }

    #[test]
    fn reading_an_external_resource_streams_it_into_the_response() {
        let mut rig = Rig::new();
        let mut o = Box::new(ExtObj {
            obj: anj_dm_obj_t {
                oid: 4002,
                version: std::ptr::null(),
                handlers: std::ptr::null(),
                insts: std::ptr::null(),
                max_inst_count: 1,
            },
            handlers: anj_dm_handlers_t {
                res_read: Some(ext_read),
                ..Default::default()
            },
            res: anj_dm_res_t {
                rid: 0,
                r#type: ANJ_DATA_TYPE_EXTERNAL_STRING,
                kind: anj_dm_res_kind_t::ANJ_DM_RES_R,
                insts: std::ptr::null(),
                max_inst_count: 0,
            },
            inst: anj_dm_obj_inst_t {
                iid: 0,
                resources: std::ptr::null(),
                res_count: 1,
            },
            src: Source {
                len: 30,
                opened: Cell::new(0),
                closed: Cell::new(0),
                fail_open: false,
            },
        });
        o.obj.handlers = &o.handlers;
        o.inst.resources = &o.res;
        o.obj.insts = &o.inst;
        let anj = rig.anj_ptr();
        // SAFETY (test): the object outlives the rig's use of it.
        unsafe {
            assert_eq!(
                crate::ffi::core::anj_dm_add_obj(anj, (&*o as *const ExtObj).cast()),
                0
            )
        };
        register(&mut rig);
        let mut e = Env {
            rig,
            a: TestObj::new(4000, &[], true, true),
            b: TestObj::new(4001, &[], false, false),
            mid: 0x6000,
        };
        let r = e.get("/4002/0/0", Some(TEXT));
        assert_eq!(code(&r), ResponseType::Content);
        assert_eq!(body(&r), "abcdefghijklmnopqrstuvwxyzabcd");
        let r = e.get("/4002/0", Some(SENML_JSON));
        assert_eq!(
            parse_senml_json(&json(&r))[0].1,
            serde_json::json!("abcdefghijklmnopqrstuvwxyzabcd")
        );
        assert_eq!((o.src.opened.get(), o.src.closed.get()), (2, 2));
        // Larger than one message: streamed block-wise (the first block here), and the
        // value is closed after every pass.
        o.src.len = 5000;
        let r = e.get("/4002/0/0", Some(TEXT));
        assert_eq!(code(&r), ResponseType::Content);
        assert!(r.get_option(CoapOption::Block2).is_some());
        assert_eq!(&body(&r)[..30], "abcdefghijklmnopqrstuvwxyzabcd");
        assert_eq!(o.src.opened.get(), o.src.closed.get());
        // A failing open: 5.00, and no close.
        o.src.fail_open = true;
        let before = o.src.closed.get();
        let r = e.get("/4002/0/0", Some(TEXT));
        assert_eq!(code(&r), ResponseType::InternalServerError);
        assert_eq!(o.src.closed.get(), before);
    }

    #[test]
    fn external_values_are_streamed_through_their_callbacks() {
        let src = Source {
            len: 10,
            opened: Cell::new(0),
            closed: Cell::new(0),
            fail_open: false,
        };
        let mut v = anj_res_value_t::zeroed();
        v.external_data = anj_external_data_t {
            get_external_data: Some(get),
            open_external_data: Some(open),
            close_external_data: Some(close),
            user_args: &src as *const Source as *mut c_void,
        };
        let counts = || (src.opened.get(), src.closed.get());
        let mut buf = [0u8; 64];
        {
            let mut s = ExternalSource::new(&v).unwrap();
            // The callback gives 3 bytes a call; the end closes at once.
            assert_eq!(s.read(&mut buf, 0), Ok((3, false)));
            assert_eq!(&buf[..3], b"abc");
            assert_eq!(counts(), (1, 0));
            assert_eq!(s.read(&mut buf, 3), Ok((3, false)));
            assert_eq!(s.read(&mut buf, 6), Ok((3, false)));
            assert_eq!(s.read(&mut buf, 9), Ok((1, true)));
            assert_eq!(buf[0], b'j');
            assert_eq!(counts(), (1, 1));
            assert_eq!(s.read(&mut buf, 10), Ok((0, true)));
            // A second pass opens it again; stopping early leaves it to the next pass
            // or to the drop to close it.
            assert_eq!(s.read(&mut buf, 0), Ok((3, false)));
            assert_eq!(counts(), (2, 1));
            assert_eq!(s.read(&mut buf, 0), Ok((3, false)));
            assert_eq!(counts(), (3, 2));
            assert!(!s.failed());
        }
        assert_eq!(counts(), (3, 3));
        {
            // A read further on reads the bytes in between and drops them (the callback
            // still sees sequential offsets); a read before the last one opens the value
            // again and reads up to there from its start.
            let mut s = ExternalSource::new(&v).unwrap();
            assert_eq!(s.read(&mut buf, 0), Ok((3, false)));
            assert_eq!(s.read(&mut buf, 5), Ok((3, false)));
            assert_eq!(&buf[..3], b"fgh");
            assert_eq!(counts(), (4, 3));
            assert_eq!(s.read(&mut buf, 2), Ok((3, false)));
            assert_eq!(&buf[..3], b"cde");
            assert_eq!(counts(), (5, 4));
            // It read to the end once: the length is known, and a pass that reaches
            // it after that is closed at once.
            assert_eq!(crate::io::value::StreamSource::known_len(&s), None);
            assert_eq!(s.read(&mut buf, 9), Ok((1, true)));
            assert_eq!(crate::io::value::StreamSource::known_len(&s), Some(10));
            assert_eq!(counts(), (5, 5));
            assert!(!s.failed());
        }
        assert_eq!(counts(), (5, 5));
        // Without get_external_data there is no source.
        v.external_data.get_external_data = None;
        assert!(ExternalSource::new(&v).is_none());
        v.external_data.get_external_data = Some(get);
        // A failed open is not closed.
        let bad = Source {
            len: 10,
            opened: Cell::new(0),
            closed: Cell::new(0),
            fail_open: true,
        };
        v.external_data.user_args = &bad as *const Source as *mut c_void;
        {
            let mut s = ExternalSource::new(&v).unwrap();
            assert!(s.read(&mut buf, 0).is_err());
            assert!(s.failed());
        }
        assert_eq!((bad.opened.get(), bad.closed.get()), (1, 0));
    }
}
