//! The LwM2M Send queue (TS Core §6.3.4): requests the application queued with
//! `anj_send_new_request`, in FIFO order, until the client has sent them (`POST /dp`) or
//! they are aborted. The C face is [`crate::ffi::send`]; the queue lives in `anj_t`
//! ([`crate::ffi::core::send_queue`]).
//!
//! # Re-entrancy
//! Every field is a [`Cell`] of plain data and every method takes `&self`: finished
//! handlers run application code that may call `anj_send_new_request` and
//! `anj_send_abort` on the same queue. A request leaves the queue *before* its handler is
//! called, so the handler sees the queue without it (and may queue a new request into the
//! freed slot).
//!
//! # How the client drives it
//! While registered (or in queue mode), with no other exchange under way:
//! 1. [`SendQueue::next_queued`] gives the oldest request not yet in flight;
//! 2. [`SendQueue::encode`] (or [`SendQueue::encode_block`] for a payload larger than one
//!    block, RFC 7959 Block1) gives the payload and its Content-Format;
//! 3. [`SendQueue::set_in_flight`] marks it while the CON `POST /dp` exchange runs;
//! 4. at the end of the exchange, [`SendQueue::finish`] with `ANJ_SEND_SUCCESS` or the
//!    `ANJ_SEND_ERR_*` code of the failure.
//!
//! While a request is in flight the application may abort it: [`SendQueue::abort`] then
//! finishes it at once with `ANJ_SEND_ERR_ABORT` (as Anjay Lite's synchronous exchange
//! termination does). The client must therefore check [`SendQueue::contains`] on every
//! step and drop the exchange silently when its request is gone; a late
//! [`SendQueue::finish`] of a removed request does nothing.
//!
//! What the queue leaves to the client, as Anjay Lite's core does it:
//! * [`SendQueue::set_accepting`]: `anj_send_new_request` fails with
//!   `ANJ_SEND_ERR_NOT_ALLOWED` unless the client is registered (or in queue mode) and
//!   Mute Send (/1/x/23) is false; the client keeps this gate up to date (it is open
//!   until the client first closes it);
//! * Mute Send turning true while requests are queued: Anjay Lite aborts them all
//!   ([`SendQueue::finish_all`] with `ANJ_SEND_ERR_ABORT`) when it next looks at the queue;
//! * a new registration (Register) and `anj_core_shutdown` abort every request
//!   (`anj_core_shutdown` already does, in `crate::ffi::core`).

use core::cell::Cell;
use core::ffi::c_int;
use core::ptr::NonNull;

use crate::config::LWM2M_SEND_QUEUE_SIZE;
use crate::ffi::core::anj_t;
use crate::ffi::send::{
    anj_send_request_t, record_path, record_value, validate, RecordValue, ReqRef, SendFormat,
    ANJ_SEND_ERR_ABORT, ANJ_SEND_ERR_INTERNAL, ANJ_SEND_ERR_NOT_ALLOWED,
    ANJ_SEND_ERR_NO_REQUEST_FOUND, ANJ_SEND_ERR_NO_SPACE, ANJ_SEND_ID_ALL,
};
use crate::io::value::{Encoder, Entry, IoError, Path, SliceWriter};

/// One queue slot: free (`req` None, `id` 0) or a request.
#[derive(Clone, Copy)]
struct Slot {
    req: Option<ReqRef>,
    id: u16,
    in_flight: bool,
}

impl Slot {
    const FREE: Slot = Slot {
        req: None,
        id: 0,
        in_flight: false,
    };
}

/// The Send queue: `ANJ_LWM2M_SEND_QUEUE_SIZE` slots, used ones first, oldest first.
pub struct SendQueue {
    slots: [Cell<Slot>; LWM2M_SEND_QUEUE_SIZE],
    /// The last ID handed out (IDs run 1..=65534 and wrap).
    last_id: Cell<u16>,
    /// An abort of every request is running (its handlers may not start another abort).
    aborting: Cell<bool>,
    /// Whether new requests are accepted (see the module docs).
    accepting: Cell<bool>,
}

impl Default for SendQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl SendQueue {
    /// An empty queue, accepting requests.
    pub const fn new() -> Self {
        SendQueue {
            slots: [const { Cell::new(Slot::FREE) }; LWM2M_SEND_QUEUE_SIZE],
            last_id: Cell::new(0),
            aborting: Cell::new(false),
            accepting: Cell::new(true),
        }
    }

    /// `anj_send_new_request`'s core: validates the request (see
    /// [`crate::ffi::send::validate`]; `ANJ_SEND_ERR_DATA_NOT_VALID`), then checks the
    /// gate ([`SendQueue::set_accepting`]; `ANJ_SEND_ERR_NOT_ALLOWED`) and for a free slot
    /// (`ANJ_SEND_ERR_NO_SPACE`), and queues it. Returns the new request's ID.
    ///
    /// # Safety
    /// `req` is NULL or points to a request that, with everything it points to, stays
    /// valid and unchanged until its finished handler has returned.
    pub unsafe fn push(&self, req: *const anj_send_request_t) -> Result<u16, c_int> {
        let Some(req) = NonNull::new(req as *mut anj_send_request_t) else {
            return Err(crate::ffi::send::ANJ_SEND_ERR_DATA_NOT_VALID);
        };
        // SAFETY: guaranteed by the caller.
        let req = unsafe { ReqRef::new(req) };
        validate(req)?;
        if !self.accepting.get() {
            crate::log_error!("Send not allowed now (not registered, or Mute Send is set)");
            return Err(ANJ_SEND_ERR_NOT_ALLOWED);
        }
        let Some(slot) = self.slots.iter().find(|s| s.get().id == 0) else {
            crate::log_error!("Send queue full");
            return Err(ANJ_SEND_ERR_NO_SPACE);
        };
        let id = self.new_id();
        slot.set(Slot {
            req: Some(req),
            id,
            in_flight: false,
        });
        crate::log_info!("Send request {} queued", id);
        Ok(id)
    }

    /// The next ID after the last one, skipping 0, `ANJ_SEND_ID_ALL` and IDs still in use.
    fn new_id(&self) -> u16 {
        let mut id = self.last_id.get();
        loop {
            id = id.wrapping_add(1);
            if id == 0 || id == ANJ_SEND_ID_ALL {
                id = 1;
            }
            // At most LWM2M_SEND_QUEUE_SIZE - 1 IDs are in use: this ends.
            if !self.contains(id) {
                break;
            }
        }
        self.last_id.set(id);
        id
    }

    fn slot_of(&self, id: u16) -> Option<(usize, Slot)> {
        if id == 0 {
            return None;
        }
        self.slots
            .iter()
            .map(Cell::get)
            .enumerate()
            .find(|(_, s)| s.id == id)
    }

    /// Whether request `id` is queued or in flight.
    pub fn contains(&self, id: u16) -> bool {
        self.slot_of(id).is_some()
    }

    /// How many requests are queued or in flight.
    pub fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.get().id != 0).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The IDs of the requests, oldest first (0 for free slots, at the end).
    pub fn ids(&self) -> [u16; LWM2M_SEND_QUEUE_SIZE] {
        let mut ids = [0u16; LWM2M_SEND_QUEUE_SIZE];
        for (out, s) in ids.iter_mut().zip(&self.slots) {
            *out = s.get().id;
        }
        ids
    }

    /// The oldest queued request not in flight.
    pub fn next_queued(&self) -> Option<u16> {
        self.slots
            .iter()
            .map(Cell::get)
            .find(|s| s.id != 0 && !s.in_flight)
            .map(|s| s.id)
    }

    /// The request in flight, if any.
    pub fn in_flight(&self) -> Option<u16> {
        self.slots
            .iter()
            .map(Cell::get)
            .find(|s| s.id != 0 && s.in_flight)
            .map(|s| s.id)
    }

    /// Marks request `id` as being sent (or back to queued); no effect on unknown IDs.
    pub fn set_in_flight(&self, id: u16, in_flight: bool) {
        if let Some((i, mut s)) = self.slot_of(id) {
            s.in_flight = in_flight;
            if let Some(c) = self.slots.get(i) {
                c.set(s);
            }
        }
    }

    /// Opens or closes the gate of [`SendQueue::push`] (see the module docs).
    pub fn set_accepting(&self, accepting: bool) {
        self.accepting.set(accepting);
    }

    pub fn accepting(&self) -> bool {
        self.accepting.get()
    }

    /// The request `id` and its format.
    fn request(&self, id: u16) -> Result<(ReqRef, SendFormat), c_int> {
        let req = self
            .slot_of(id)
            .and_then(|(_, s)| s.req)
            .ok_or(ANJ_SEND_ERR_NO_REQUEST_FOUND)?;
        // Checked by `push`; only a request changed since then can fail here.
        let format = req.format().ok_or(ANJ_SEND_ERR_INTERNAL)?;
        Ok((req, format))
    }

    /// The CoAP Content-Format number of request `id`'s payload.
    pub fn content_format(&self, id: u16) -> Result<u16, c_int> {
        self.request(id).map(|(_, format)| format.content_format())
    }

    /// Encodes request `id`'s records into `out`: the whole payload, SenML CBOR (records
    /// with their timestamps as SenML base times, byte for byte as Anjay Lite writes
    /// them) or LwM2M CBOR (timestamps ignored, as in Anjay Lite). Returns the CoAP
    /// Content-Format number and the payload length.
    ///
    /// Errors: `ANJ_SEND_ERR_NO_REQUEST_FOUND` for an unknown `id`;
    /// `ANJ_SEND_ERR_INTERNAL` when the payload does not fit `out` (use
    /// [`SendQueue::encode_block`] then), an external data callback fails, or a record
    /// became invalid after it was queued.
    pub fn encode(&self, id: u16, out: &mut [u8]) -> Result<(u16, usize), c_int> {
        let (req, format) = self.request(id)?;
        match encode_records(req, format, SliceWriter::new(out)) {
            Ok(len) => Ok((format.content_format(), len)),
            Err(e) => {
                crate::log_error!("Send request {}: payload not encoded: {}", id, e);
                Err(ANJ_SEND_ERR_INTERNAL)
            }
        }
    }

    /// One block of request `id`'s payload, for a block-wise Send (RFC 7959 Block1):
    /// `out` receives the payload bytes `[offset, offset + out.len())` (fewer at the
    /// end). Returns `(content_format, bytes written to out, total payload length)`;
    /// more blocks follow while `offset + out.len() < total`. Each call encodes the
    /// records again (external data callbacks run again), so the records must not
    /// change between blocks. Errors as [`SendQueue::encode`], except that the payload
    /// never has to fit.
    pub fn encode_block(
        &self,
        id: u16,
        offset: usize,
        out: &mut [u8],
    ) -> Result<(u16, usize, usize), c_int> {
        let (req, format) = self.request(id)?;
        let room = out.len();
        match encode_records(req, format, SliceWriter::window(out, offset)) {
            Ok(total) => Ok((
                format.content_format(),
                total.saturating_sub(offset).min(room),
                total,
            )),
            Err(e) => {
                crate::log_error!("Send request {}: payload not encoded: {}", id, e);
                Err(ANJ_SEND_ERR_INTERNAL)
            }
        }
    }

    /// Removes request `id` and then calls its finished handler with `result`. Returns
    /// false (and calls nothing) if there is no such request.
    ///
    /// # Safety
    /// `anj` is NULL or the initialised client this queue belongs to: the handler gets it.
    pub unsafe fn finish(&self, anj: *mut anj_t, id: u16, result: c_int) -> bool {
        let Some((i, slot)) = self.slot_of(id) else {
            return false;
        };
        // Close the gap: later requests move one slot down, keeping the FIFO order.
        for pair in self.slots.get(i..).unwrap_or(&[]).windows(2) {
            if let [a, b] = pair {
                a.set(b.get());
            }
        }
        if let Some(last) = self.slots.last() {
            last.set(Slot::FREE);
        }
        if result == crate::ffi::send::ANJ_SEND_SUCCESS {
            crate::log_info!("Send request {} delivered", id);
        } else {
            crate::log_info!("Send request {} finished with {}", id, result);
        }
        if let Some(req) = slot.req {
            // SAFETY: guaranteed by the caller.
            unsafe { req.call_finished(anj, id, result) };
        }
        true
    }

    /// Finishes every request present when called (queued and in flight, oldest first)
    /// with `result`. Requests queued by the handlers meanwhile stay queued; aborts
    /// requested by the handlers meanwhile fail with `ANJ_SEND_ERR_ABORT`.
    ///
    /// # Safety
    /// As for [`SendQueue::finish`].
    pub unsafe fn finish_all(&self, anj: *mut anj_t, result: c_int) {
        let ids = self.ids();
        let was = self.aborting.replace(true);
        for id in ids.into_iter().filter(|&id| id != 0) {
            // SAFETY: guaranteed by the caller.
            unsafe { self.finish(anj, id, result) };
        }
        self.aborting.set(was);
    }

    /// `anj_send_abort`: finishes request `id` (or all of them for `ANJ_SEND_ID_ALL`)
    /// with `ANJ_SEND_ERR_ABORT`. Returns 0, `ANJ_SEND_ERR_NO_REQUEST_FOUND` for an
    /// unknown ID, or `ANJ_SEND_ERR_ABORT` while an abort of every request runs.
    ///
    /// # Safety
    /// As for [`SendQueue::finish`].
    pub unsafe fn abort(&self, anj: *mut anj_t, id: u16) -> c_int {
        if self.aborting.get() {
            crate::log_error!("Send abort already in progress");
            return ANJ_SEND_ERR_ABORT;
        }
        if id == ANJ_SEND_ID_ALL {
            // SAFETY: guaranteed by the caller.
            unsafe { self.finish_all(anj, ANJ_SEND_ERR_ABORT) };
            return 0;
        }
        // SAFETY: guaranteed by the caller.
        if unsafe { self.finish(anj, id, ANJ_SEND_ERR_ABORT) } {
            0
        } else {
            crate::log_error!("No Send request with ID {}", id);
            ANJ_SEND_ERR_NO_REQUEST_FOUND
        }
    }
}

/// The longest path all records lie under (Anjay Lite's base name for SenML).
fn common_base(records: &[crate::ffi::dm::anj_io_out_entry_t]) -> Result<Path, IoError> {
    let mut base: Option<Path> = None;
    for r in records {
        let p = record_path(r).ok_or(IoError::BadPath)?;
        base = Some(match base {
            None => p,
            Some(b) => {
                let same = b
                    .as_slice()
                    .iter()
                    .zip(p.as_slice())
                    .take_while(|(x, y)| x == y)
                    .count();
                b.truncated(same)
            }
        });
    }
    base.ok_or(IoError::Logic)
}

/// Writes the payload of `req` in `format` through `w`; returns the encoder's length
/// (the total length for a window writer).
fn encode_records(req: ReqRef, format: SendFormat, w: SliceWriter<'_>) -> Result<usize, IoError> {
    let records = req.records();
    let base = common_base(records)?;
    match format {
        #[cfg(feature = "senml-cbor")]
        SendFormat::SenmlCbor => {
            let mut enc =
                crate::io::senml_cbor::SenmlCborEncoder::with_count(base, records.len(), w);
            for r in records {
                let path = record_path(r).ok_or(IoError::BadPath)?;
                // Every record has a time, as in Anjay Lite: NaN ("none") counts as 0,
                // so a record without one after one with one gets `bt` 0 (now).
                let timestamp = Some(r.timestamp);
                match record_value(r).ok_or(IoError::TypeMismatch)? {
                    RecordValue::Plain(value) => enc.entry(&Entry {
                        path,
                        value,
                        timestamp,
                    })?,
                    #[cfg(feature = "external-data")]
                    RecordValue::External(ty, mut src) => {
                        enc.streamed_at(&path, ty, timestamp, &mut src)?
                    }
                }
            }
            enc.finish()
        }
        #[cfg(feature = "lwm2m-cbor")]
        SendFormat::Lwm2mCbor => {
            let mut enc = crate::io::lwm2m_cbor::Lwm2mCborEncoder::with_writer(base, w);
            for r in records {
                let path = record_path(r).ok_or(IoError::BadPath)?;
                match record_value(r).ok_or(IoError::TypeMismatch)? {
                    RecordValue::Plain(value) => enc.entry(&Entry::new(path, value))?,
                    #[cfg(feature = "external-data")]
                    RecordValue::External(ty, mut src) => enc.streamed(&path, ty, &mut src)?,
                }
            }
            enc.finish()
        }
    }
}

// The tests use both Send formats.
#[cfg(all(test, feature = "senml-cbor", feature = "lwm2m-cbor"))]
mod tests;
