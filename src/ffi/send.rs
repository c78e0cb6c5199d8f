//! `anj/lwm2m_send.h`: the LwM2M Send operation (TS Core §6.3.4, `POST /dp`) as Anjay
//! Lite 3.0.0 exposes it: the error codes, the request the application fills in, and
//! `anj_send_new_request` / `anj_send_abort`.
//!
//! The queue itself is the core's [`crate::send::SendQueue`], which knows requests by
//! their IDs only. [`CSendState`] (kept in `anj_t`, see [`crate::ffi::core::send_state`])
//! pairs it with a side table of the application's requests keyed by ID, and
//! [`CSendSource`] gives the queue their records and turns its results into finished
//! handler calls. This module is the only place that looks through the application's
//! pointers: a queued request is held as a [`ReqRef`], whose accessors read the request
//! and its records under the contract of `anj_send_new_request` (the request and
//! everything it points to stay valid and unchanged until its finished handler has
//! returned).

use core::cell::Cell;
use core::ffi::{c_char, c_int, c_void};
use core::mem::size_of;
use core::ptr::{addr_of, NonNull};

use crate::config::LWM2M_SEND_QUEUE_SIZE;
use crate::ffi::core::{anj_t, send_state};
use crate::ffi::dm::{
    anj_data_type_t, anj_io_out_entry_t, ANJ_DATA_TYPE_BOOL, ANJ_DATA_TYPE_BYTES,
    ANJ_DATA_TYPE_DOUBLE, ANJ_DATA_TYPE_INT, ANJ_DATA_TYPE_OBJLNK, ANJ_DATA_TYPE_STRING,
    ANJ_DATA_TYPE_TIME, ANJ_DATA_TYPE_UINT, ANJ_ID_INVALID,
};
#[cfg(feature = "external-data")]
use crate::ffi::dm::{ANJ_DATA_TYPE_EXTERNAL_BYTES, ANJ_DATA_TYPE_EXTERNAL_STRING};
use crate::io::value::IoError;
use crate::io::value::{Path, Value};
use crate::send::{Record, RecordValue, SendError, SendQueue, SendResult, SendSource};

/// `anj_send_abort` argument that selects every queued and in-flight request.
pub const ANJ_SEND_ID_ALL: u16 = u16::MAX;
const _: () = assert!(ANJ_SEND_ID_ALL == crate::send::SEND_ID_ALL);

/// Finished handler result: the server acknowledged the Send with a success code.
pub const ANJ_SEND_SUCCESS: c_int = 0;
/// Finished handler result: no response within the CoAP retransmission limits, or the
/// request could not be handed to the network in time.
pub const ANJ_SEND_ERR_TIMEOUT: c_int = -1;
/// Finished handler result: aborted (`anj_send_abort`, Mute Send set, the registration
/// session ended, the client shut down); `anj_send_abort`: an abort of every request is
/// already under way (called from a finished handler).
pub const ANJ_SEND_ERR_ABORT: c_int = -2;
/// Finished handler result: the server answered with an error code or a Reset.
pub const ANJ_SEND_ERR_REJECTED: c_int = -3;
/// Finished handler result: the network layer failed.
pub const ANJ_SEND_ERR_NETWORK: c_int = -4;
/// Finished handler result: the library failed to build or run the exchange.
pub const ANJ_SEND_ERR_INTERNAL: c_int = -5;
/// `anj_send_abort`: no request with that ID.
pub const ANJ_SEND_ERR_NO_REQUEST_FOUND: c_int = -6;
/// `anj_send_new_request`: all `ANJ_LWM2M_SEND_QUEUE_SIZE` slots are taken.
pub const ANJ_SEND_ERR_NO_SPACE: c_int = -7;
/// `anj_send_new_request`: the client may not send now (not registered, or Mute Send).
pub const ANJ_SEND_ERR_NOT_ALLOWED: c_int = -8;
/// `anj_send_new_request`: the request or one of its records is invalid.
pub const ANJ_SEND_ERR_DATA_NOT_VALID: c_int = -9;

/// Payload format of a Send; only the formats enabled in the build exist (the first
/// enabled one is 0, as in C).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_send_content_format_t {
    #[cfg(feature = "senml-cbor")]
    ANJ_SEND_CONTENT_FORMAT_SENML_CBOR,
    #[cfg(feature = "lwm2m-cbor")]
    ANJ_SEND_CONTENT_FORMAT_LWM2M_CBOR,
}

/// Called once per accepted request with its final result (`ANJ_SEND_SUCCESS` or an
/// `ANJ_SEND_ERR_*` code). Declared in C as a function type (`anj/lwm2m_send.h`).
pub type anj_send_finished_handler_t =
    unsafe extern "C" fn(anjay: *mut anj_t, send_id: u16, result: c_int, data: *mut c_void);

/// One Send message. Not copied by `anj_send_new_request`: it and its `records` must stay
/// valid and unchanged until `finished_handler` has returned.
#[repr(C)]
pub struct anj_send_request_t {
    /// `records_cnt` records, in payload order.
    pub records: *const anj_io_out_entry_t,
    pub records_cnt: usize,
    pub finished_handler: Option<
        unsafe extern "C" fn(anjay: *mut anj_t, send_id: u16, result: c_int, data: *mut c_void),
    >,
    /// Passed to `finished_handler` unchanged.
    pub data: *mut c_void,
    pub content_format: anj_send_content_format_t,
}

pub use crate::send::SendFormat;

/// The format a C `anj_send_content_format_t` value names, if it is one of this build's.
fn format_from_raw(raw: i64) -> Option<SendFormat> {
    use anj_send_content_format_t as C;
    match raw {
        #[cfg(feature = "senml-cbor")]
        r if r == C::ANJ_SEND_CONTENT_FORMAT_SENML_CBOR as i64 => Some(SendFormat::SenmlCbor),
        #[cfg(feature = "lwm2m-cbor")]
        r if r == C::ANJ_SEND_CONTENT_FORMAT_LWM2M_CBOR as i64 => Some(SendFormat::Lwm2mCbor),
        _ => None,
    }
}

/// The finished handler's `result` for `r`.
pub fn result_code(r: SendResult) -> c_int {
    match r {
        SendResult::Success => ANJ_SEND_SUCCESS,
        SendResult::Timeout => ANJ_SEND_ERR_TIMEOUT,
        SendResult::Abort => ANJ_SEND_ERR_ABORT,
        SendResult::Rejected => ANJ_SEND_ERR_REJECTED,
        SendResult::Network => ANJ_SEND_ERR_NETWORK,
        SendResult::Internal => ANJ_SEND_ERR_INTERNAL,
    }
}

/// The `ANJ_SEND_ERR_*` code of a queue error.
pub fn error_code(e: SendError) -> c_int {
    match e {
        SendError::DataNotValid => ANJ_SEND_ERR_DATA_NOT_VALID,
        SendError::NotAllowed => ANJ_SEND_ERR_NOT_ALLOWED,
        SendError::NoSpace => ANJ_SEND_ERR_NO_SPACE,
        SendError::NoRequestFound => ANJ_SEND_ERR_NO_REQUEST_FOUND,
        SendError::AbortInProgress => ANJ_SEND_ERR_ABORT,
        SendError::Internal => ANJ_SEND_ERR_INTERNAL,
    }
}

/// A request the application queued. Copyable and pointer-sized; every read of the
/// request goes through the accessors below.
#[derive(Clone, Copy)]
pub struct ReqRef(NonNull<anj_send_request_t>);

impl ReqRef {
    /// # Safety
    /// `req` points to a readable `anj_send_request_t` that, together with the memory it
    /// points to, stays valid and unchanged as long as this `ReqRef` (or a copy) is used:
    /// `anj_send_new_request`'s contract, until the finished handler has returned.
    pub unsafe fn new(req: NonNull<anj_send_request_t>) -> ReqRef {
        ReqRef(req)
    }

    /// The request's address (for tests and logs).
    pub fn as_ptr(&self) -> *const anj_send_request_t {
        self.0.as_ptr()
    }

    /// The records; empty for a NULL array or a count no array can have.
    pub fn records(&self) -> &[anj_io_out_entry_t] {
        let p = self.0.as_ptr();
        // SAFETY: `p` is readable (see `new`); both fields are plain data, read through
        // raw projections without forming a reference to the whole request.
        let (records, cnt) = unsafe {
            (
                addr_of!((*p).records).read(),
                addr_of!((*p).records_cnt).read(),
            )
        };
        if records.is_null()
            || cnt == 0
            || cnt > isize::MAX as usize / size_of::<anj_io_out_entry_t>()
        {
            return &[];
        }
        // SAFETY: the application's array of `cnt` records (see `new`); every bit
        // pattern is a valid anj_io_out_entry_t (integers, a union of plain data, a
        // double).
        unsafe { core::slice::from_raw_parts(records, cnt) }
    }

    /// The content format, if it names one of this build's.
    pub fn format(&self) -> Option<SendFormat> {
        // The field is read as the integer C stored, never as the Rust enum: C may hold
        // any value in it.
        let field = self.content_format_ptr();
        // SAFETY: `field` is the readable, aligned enum field of the request; the read
        // matches the field's size.
        let raw: i64 = unsafe {
            match size_of::<anj_send_content_format_t>() {
                1 => i64::from(field.cast::<i8>().read()),
                2 => i64::from(field.cast::<i16>().read()),
                4 => i64::from(field.cast::<i32>().read()),
                _ => field.cast::<i64>().read(),
            }
        };
        format_from_raw(raw)
    }

    fn content_format_ptr(&self) -> *const u8 {
        let p = self.0.as_ptr();
        // SAFETY: a field projection of a valid pointer; nothing is read here.
        unsafe { addr_of!((*p).content_format).cast::<u8>() }
    }

    /// Calls the finished handler (if any) with the request's user pointer.
    ///
    /// # Safety
    /// `anj` is what the handler may be given: the initialised client the request was
    /// queued on (or NULL), valid during the call.
    pub unsafe fn call_finished(&self, anj: *mut anj_t, send_id: u16, result: c_int) {
        let p = self.0.as_ptr();
        // SAFETY: readable fields of plain data (see `new`); a NULL handler reads as None.
        let (handler, data) = unsafe {
            (
                addr_of!((*p).finished_handler).read(),
                addr_of!((*p).data).read(),
            )
        };
        if let Some(h) = handler {
            // SAFETY: the application's handler, called as `anj/lwm2m_send.h` declares it,
            // with the user pointer it gave and the client this function's caller
            // vouches for. No reference into the queue is held.
            unsafe { h(anj, send_id, result, data) };
        }
    }

    fn has_handler(&self) -> bool {
        let p = self.0.as_ptr();
        // SAFETY: as in `call_finished`.
        unsafe { addr_of!((*p).finished_handler).read() }.is_some()
    }
}

/// What a C record carries, converted.
pub enum CValue<'a> {
    Plain(Value<'a>),
    /// An `ANJ_DATA_TYPE_EXTERNAL_*` value (Bytes or String) read through its callbacks.
    #[cfg(feature = "external-data")]
    External(crate::io::value::DataType, crate::ffi::dm::ExternalSource),
}

/// The record's path, if it names a resource or a resource instance (IDs below 65535).
pub fn record_path(r: &anj_io_out_entry_t) -> Option<Path> {
    let len = r.path.uri_len;
    if !(3..=4).contains(&len) {
        return None;
    }
    let ids = r.path.ids.get(..len)?;
    if ids.contains(&ANJ_ID_INVALID) {
        return None;
    }
    Some(Path::new(ids))
}

/// The record's value, or `None` if its type or value is not one a Send can carry:
/// the plain types, and (with external data) `ANJ_DATA_TYPE_EXTERNAL_BYTES` / `_STRING`
/// with a `get_external_data` callback. Bytes and strings are whole values (`offset` 0,
/// `full_length_hint` 0 or `chunk_length`); a string with `chunk_length` 0 is read up to
/// its NUL terminator, as Anjay Lite does; strings must be UTF-8.
pub fn record_value(r: &anj_io_out_entry_t) -> Option<CValue<'_>> {
    let t: anj_data_type_t = r.r#type;
    match t {
        ANJ_DATA_TYPE_BYTES | ANJ_DATA_TYPE_STRING => {
            // SAFETY: bytes and strings are given in `bytes_or_string` (plain data).
            let b = unsafe { r.value.bytes_or_string };
            if b.offset != 0 || (b.full_length_hint != 0 && b.full_length_hint != b.chunk_length) {
                return None;
            }
            let bytes: &[u8] = if b.data.is_null() {
                if b.chunk_length != 0 {
                    return None;
                }
                &[]
            } else if b.chunk_length == 0 && t == ANJ_DATA_TYPE_STRING {
                // SAFETY: a string given without a length is NUL-terminated (the
                // contract of anj_bytes_or_string_value_t for output values).
                unsafe { core::ffi::CStr::from_ptr(b.data as *const c_char) }.to_bytes()
            } else if b.chunk_length > isize::MAX as usize {
                return None;
            } else {
                // SAFETY: `chunk_length` readable bytes at `data`, kept valid by the
                // application until the request finishes.
                unsafe { core::slice::from_raw_parts(b.data as *const u8, b.chunk_length) }
            };
            Some(CValue::Plain(if t == ANJ_DATA_TYPE_BYTES {
                Value::Bytes(bytes)
            } else {
                Value::String(core::str::from_utf8(bytes).ok()?)
            }))
        }
        ANJ_DATA_TYPE_INT | ANJ_DATA_TYPE_DOUBLE | ANJ_DATA_TYPE_BOOL | ANJ_DATA_TYPE_OBJLNK
        | ANJ_DATA_TYPE_UINT | ANJ_DATA_TYPE_TIME => Some(CValue::Plain(
            // SAFETY: these types carry no pointer: `value_from_c` reads plain data.
            unsafe { crate::ffi::dm::value_from_c(t, &r.value) },
        )),
        #[cfg(feature = "external-data")]
        ANJ_DATA_TYPE_EXTERNAL_BYTES | ANJ_DATA_TYPE_EXTERNAL_STRING => {
            use crate::io::value::DataType;
            let ty = if t == ANJ_DATA_TYPE_EXTERNAL_BYTES {
                DataType::Bytes
            } else {
                DataType::String
            };
            crate::ffi::dm::ExternalSource::new(&r.value).map(|s| CValue::External(ty, s))
        }
        _ => None,
    }
}

/// Checks what only the C face can (a finished handler, a content format of this build,
/// records whose paths and values can be read), as `anj_send_new_request` documents it;
/// the queue checks the rest ([`SendQueue::push`]). The error is
/// `ANJ_SEND_ERR_DATA_NOT_VALID` (with a log line saying why).
pub fn validate(req: ReqRef) -> Result<SendFormat, c_int> {
    let invalid = |why: &str| {
        crate::log_error!("Send request not valid: {}", why);
        ANJ_SEND_ERR_DATA_NOT_VALID
    };
    if !req.has_handler() {
        return Err(invalid("no finished_handler"));
    }
    let Some(format) = req.format() else {
        return Err(invalid("content format not enabled in this build"));
    };
    for r in req.records() {
        if record_path(r).is_none() {
            return Err(invalid("a record's path is not a resource (instance) path"));
        }
        if record_value(r).is_none() {
            return Err(invalid("a record's type or value cannot be sent"));
        }
    }
    Ok(format)
}

/// The requests behind the queue's IDs: the C face's side table.
pub struct CSendTable {
    slots: [Cell<Option<(u16, ReqRef)>>; LWM2M_SEND_QUEUE_SIZE],
}

impl CSendTable {
    const fn new() -> Self {
        CSendTable {
            slots: [const { Cell::new(None) }; LWM2M_SEND_QUEUE_SIZE],
        }
    }

    fn get(&self, id: u16) -> Option<ReqRef> {
        self.slots
            .iter()
            .filter_map(Cell::get)
            .find(|&(i, _)| i == id)
            .map(|(_, r)| r)
    }

    fn take(&self, id: u16) -> Option<ReqRef> {
        let slot = self
            .slots
            .iter()
            .find(|s| s.get().is_some_and(|(i, _)| i == id))?;
        slot.take().map(|(_, r)| r)
    }

    fn insert(&self, id: u16, req: ReqRef) -> bool {
        match self.slots.iter().find(|s| s.get().is_none()) {
            Some(slot) => {
                slot.set(Some((id, req)));
                true
            }
            None => false,
        }
    }
}

/// The Send state of an `anj_t`: the queue and the requests behind its IDs. Like the
/// queue it is only ever shared (`Cell`s): finished handlers re-enter it.
pub struct CSendState {
    pub queue: SendQueue,
    reqs: CSendTable,
}

impl Default for CSendState {
    fn default() -> Self {
        Self::new()
    }
}

impl CSendState {
    pub const fn new() -> Self {
        CSendState {
            queue: SendQueue::new(),
            reqs: CSendTable::new(),
        }
    }

    /// `anj_send_new_request`'s core: validates the request (see [`validate`] and
    /// [`SendQueue::push`]; `ANJ_SEND_ERR_DATA_NOT_VALID`), then the queue checks its gate
    /// (`ANJ_SEND_ERR_NOT_ALLOWED`) and for a free slot (`ANJ_SEND_ERR_NO_SPACE`) and
    /// queues it. Returns the new request's ID.
    ///
    /// # Safety
    /// `req` is NULL or points to a request that, with everything it points to, stays
    /// valid and unchanged until its finished handler has returned.
    pub unsafe fn push(&self, req: *const anj_send_request_t) -> Result<u16, c_int> {
        let Some(req) = NonNull::new(req as *mut anj_send_request_t) else {
            return Err(ANJ_SEND_ERR_DATA_NOT_VALID);
        };
        // SAFETY: guaranteed by the caller.
        let req = unsafe { ReqRef::new(req) };
        let format = validate(req)?;
        // `validate` found every path readable; ROOT (refused by the queue) never shows.
        let paths = req
            .records()
            .iter()
            .map(|r| record_path(r).unwrap_or(Path::ROOT));
        let id = self.queue.push(format, paths).map_err(error_code)?;
        if !self.reqs.insert(id, req) {
            // The table has as many slots as the queue: not reached.
            self.queue.finish(&NoSource, id, SendResult::Internal);
            return Err(ANJ_SEND_ERR_NO_SPACE);
        }
        Ok(id)
    }

    /// The queue's view of the requests, whose finished handlers get `anj`.
    ///
    /// # Safety
    /// `anj` is NULL or the initialised client this state belongs to, valid for `'a`:
    /// the finished handlers are given it.
    pub unsafe fn source(&self, anj: *mut anj_t) -> CSendSource<'_> {
        CSendSource {
            anj,
            reqs: &self.reqs,
        }
    }

    /// Finishes every request with `result` (see [`SendQueue::finish_all`]).
    ///
    /// # Safety
    /// As for [`CSendState::source`].
    pub unsafe fn finish_all(&self, anj: *mut anj_t, result: SendResult) {
        // SAFETY: guaranteed by the caller.
        let src = unsafe { self.source(anj) };
        self.queue.finish_all(&src, result);
    }

    /// `anj_send_abort`'s core: 0, or the `ANJ_SEND_ERR_*` code of the failure.
    ///
    /// # Safety
    /// As for [`CSendState::source`].
    pub unsafe fn abort(&self, anj: *mut anj_t, id: u16) -> c_int {
        // SAFETY: guaranteed by the caller.
        let src = unsafe { self.source(anj) };
        match self.queue.abort(&src, id) {
            Ok(()) => 0,
            Err(e) => error_code(e),
        }
    }
}

/// For the request the side table could not take: nothing to read, nobody to tell.
struct NoSource;

impl SendSource for NoSource {
    fn records(
        &self,
        _id: u16,
        _f: &mut dyn FnMut(Record<'_>) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        Err(IoError::Logic)
    }

    fn finished(&self, _id: u16, _result: SendResult) {}
}

/// The C face's [`SendSource`]: records from the queued `anj_send_request_t`s, results
/// to their finished handlers.
pub struct CSendSource<'a> {
    /// What the finished handlers are given (see [`CSendState::source`]).
    anj: *mut anj_t,
    reqs: &'a CSendTable,
}

impl SendSource for CSendSource<'_> {
    fn records(
        &self,
        id: u16,
        f: &mut dyn FnMut(Record<'_>) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        let req = self.reqs.get(id).ok_or(IoError::Logic)?;
        // Checked when it was queued; only a request changed since then can fail here.
        req.format().ok_or(IoError::Logic)?;
        for r in req.records() {
            let path = record_path(r).ok_or(IoError::BadPath)?;
            let timestamp = r.timestamp;
            match record_value(r).ok_or(IoError::TypeMismatch)? {
                CValue::Plain(v) => f(Record {
                    path,
                    value: RecordValue::Plain(v),
                    timestamp,
                })?,
                #[cfg(feature = "external-data")]
                CValue::External(ty, mut s) => f(Record {
                    path,
                    value: RecordValue::Streamed(ty, &mut s),
                    timestamp,
                })?,
            }
        }
        Ok(())
    }

    fn finished(&self, id: u16, result: SendResult) {
        // Out of the table before the handler runs: it may queue into the slot.
        if let Some(req) = self.reqs.take(id) {
            // SAFETY: `anj` is what `CSendState::source`'s caller vouched for; the
            // request is valid until its handler has returned (`ReqRef::new`).
            unsafe { req.call_finished(self.anj, id, result_code(result)) };
        }
    }
}

/// Queues an LwM2M Send of `send_request`'s records; `*out_send_id` (if not NULL)
/// receives the new request's ID (1..=65534), which identifies it until its finished
/// handler is called.
///
/// Returns 0, or `ANJ_SEND_ERR_DATA_NOT_VALID` (NULL `anj` or `send_request`, no
/// handler, no records, a path that is not a resource (instance), a type that cannot be
/// sent, a content format not in this build, a repeated path in LwM2M CBOR),
/// `ANJ_SEND_ERR_NOT_ALLOWED` (`anj` not initialised, or the client does not accept
/// Sends now) or `ANJ_SEND_ERR_NO_SPACE` (queue full).
///
/// # Safety
/// `anj` is NULL or an `anj_t`; `send_request` is NULL or a request that stays valid and
/// unchanged, with all it points to, until its finished handler returns; `out_send_id`
/// is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn anj_send_new_request(
    anj: *mut anj_t,
    send_request: *const anj_send_request_t,
    out_send_id: *mut u16,
) -> c_int {
    if anj.is_null() || send_request.is_null() {
        crate::log_error!("anj_send_new_request: NULL argument");
        return ANJ_SEND_ERR_DATA_NOT_VALID;
    }
    // SAFETY: `anj` is not NULL and is an anj_t (caller's contract).
    let Some(state) = (unsafe { send_state(anj) }) else {
        return ANJ_SEND_ERR_NOT_ALLOWED;
    };
    // SAFETY: the request contract is the caller's (see above).
    match unsafe { state.push(send_request) } {
        Ok(id) => {
            if !out_send_id.is_null() {
                // SAFETY: a non-NULL out pointer is writable (caller's contract).
                unsafe { out_send_id.write(id) };
            }
            0
        }
        Err(e) => e,
    }
}

/// Aborts request `send_id`, or every request with `ANJ_SEND_ID_ALL`: each one is removed
/// and its finished handler called with `ANJ_SEND_ERR_ABORT`, whether it was queued or
/// being sent (the client then drops the exchange).
///
/// Returns 0 (also for `ANJ_SEND_ID_ALL` with nothing queued);
/// `ANJ_SEND_ERR_NO_REQUEST_FOUND` for an unknown ID, ID 0, or a NULL or uninitialised
/// `anj`; `ANJ_SEND_ERR_ABORT` when called from a finished handler run by an abort of
/// every request.
///
/// # Safety
/// `anj` is NULL or an `anj_t`.
#[no_mangle]
pub unsafe extern "C" fn anj_send_abort(anj: *mut anj_t, send_id: u16) -> c_int {
    // SAFETY: the caller's contract.
    match unsafe { send_state(anj) } {
        // SAFETY: `send_state` found `anj` initialised; the handlers may be given it.
        Some(s) => unsafe { s.abort(anj, send_id) },
        None => ANJ_SEND_ERR_NO_REQUEST_FOUND,
    }
}
