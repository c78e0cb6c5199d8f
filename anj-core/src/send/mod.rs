//! The LwM2M Send queue (TS Core §6.3.4): requests queued by the application, in FIFO
//! order, until the client has sent them (`POST /dp`) or they are aborted.
//!
//! The queue keeps, per request, only what the client needs to build the message: the
//! request ID, its payload format, the common base path of its records, how many
//! records it has, and whether it is being sent. The records stay with the request's
//! owner, who gives them on demand through [`SendSource::records`] every time a payload
//! (or a block of it) is encoded, and learns how each request ended through
//! [`SendSource::finished`]. The C face (`anj_send_new_request`) keeps the
//! application's request structures in a table of its own keyed by the ID; a Rust owner
//! gives records from its own data.
//!
//! # Re-entrancy
//! Every field is a [`Cell`] of plain data and every method takes `&self`: the owner's
//! [`SendSource::finished`] may run application code that queues ([`SendQueue::push`])
//! and aborts ([`SendQueue::abort`]) on the same queue. A request leaves the queue
//! *before* `finished` is called for it, so the code called sees the queue without it
//! (and may queue a new request into the freed slot).
//!
//! # How the client drives it
//! While registered (or in queue mode), with no other exchange under way:
//! 1. [`SendQueue::next_queued`] gives the oldest request not yet in flight;
//! 2. [`SendQueue::encode`] (or [`SendQueue::encode_block`] for a payload larger than one
//!    block, RFC 7959 Block1) gives the payload and its Content-Format;
//! 3. [`SendQueue::set_in_flight`] marks it while the CON `POST /dp` exchange runs;
//! 4. at the end of the exchange, [`SendQueue::finish`] with [`SendResult::Success`] or
//!    the failure.
//!
//! While a request is in flight the application may abort it: [`SendQueue::abort`] then
//! finishes it at once with [`SendResult::Abort`]. The client must therefore check
//! [`SendQueue::contains`] on every step and drop the exchange silently when its request
//! is gone; a late [`SendQueue::finish`] of a removed request does nothing.
//!
//! What the queue leaves to the client:
//! * [`SendQueue::set_accepting`]: [`SendQueue::push`] fails with
//!   [`SendError::NotAllowed`] unless the client is registered (or in queue mode) and
//!   Mute Send (/1/x/23) is false; the client keeps this gate up to date (it is open
//!   until the client first closes it);
//! * Mute Send turning true while requests are queued: they are all aborted
//!   ([`SendQueue::finish_all`] with [`SendResult::Abort`]) when the client next looks at
//!   the queue;
//! * a new registration (Register) and the client's shutdown abort every request.

use core::cell::Cell;

use crate::config::LWM2M_SEND_QUEUE_SIZE;
#[cfg(feature = "external-data")]
use crate::io::value::{DataType, Source};
use crate::io::value::{Encoder, Entry, IoError, Path, SliceWriter, Value};

/// [`SendQueue::abort`] argument that selects every queued and in-flight request (the
/// value of the C face's `ANJ_SEND_ID_ALL`); never a request's ID.
pub const SEND_ID_ALL: u16 = u16::MAX;

/// The payload formats a Send can use in this build.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SendFormat {
    #[cfg(feature = "senml-cbor")]
    SenmlCbor,
    #[cfg(feature = "lwm2m-cbor")]
    Lwm2mCbor,
}

impl SendFormat {
    /// The CoAP Content-Format number of the payload.
    pub fn content_format(self) -> u16 {
        match self {
            #[cfg(feature = "senml-cbor")]
            SendFormat::SenmlCbor => crate::io::format::SENML_CBOR,
            #[cfg(feature = "lwm2m-cbor")]
            SendFormat::Lwm2mCbor => crate::io::format::LWM2M_CBOR,
        }
    }
}

/// How a queued request ended ([`SendSource::finished`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SendResult {
    /// The server acknowledged the Send with a success code.
    Success,
    /// No response within the CoAP retransmission limits.
    Timeout,
    /// Aborted: [`SendQueue::abort`], Mute Send set, the registration session ended, the
    /// client shut down.
    Abort,
    /// The server answered with an error code or a Reset, or the message could not be
    /// built.
    Rejected,
    /// The network layer failed.
    Network,
    /// The library failed to build or run the exchange.
    Internal,
}

/// Why a queue operation failed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SendError {
    /// [`SendQueue::push`]: the request is not valid (no records, a path that is not a
    /// resource (instance), a path repeated in LwM2M CBOR).
    DataNotValid,
    /// [`SendQueue::push`]: the client does not accept Sends now (see
    /// [`SendQueue::set_accepting`]).
    NotAllowed,
    /// [`SendQueue::push`]: all `ANJ_LWM2M_SEND_QUEUE_SIZE` slots are taken.
    NoSpace,
    /// No request with that ID.
    NoRequestFound,
    /// [`SendQueue::abort`]: an abort of every request is under way (called from
    /// [`SendSource::finished`]).
    AbortInProgress,
    /// The payload could not be encoded (it does not fit, a record's value could not be
    /// read, the records changed since they were queued).
    Internal,
}

/// A record's value, as [`SendSource::records`] gives it.
pub enum RecordValue<'a> {
    Plain(Value<'a>),
    /// A Bytes or String value read chunk by chunk.
    #[cfg(feature = "external-data")]
    Streamed(DataType, &'a mut Source<'a>),
}

/// One record of a Send payload.
pub struct Record<'a> {
    /// A resource or resource-instance path (the one the request was queued with).
    pub path: Path,
    pub value: RecordValue<'a>,
    /// Seconds (a Unix time, or relative when negative, as SenML has it); NaN: none.
    /// SenML CBOR writes a time for every record, as Anjay Lite does (none counts as
    /// time 0); LwM2M CBOR writes none.
    pub timestamp: f64,
}

/// The owner of the queued requests: the C face, or a Rust application.
pub trait SendSource {
    /// Calls `f` with every record of request `id`, in payload order, as many as and with
    /// the paths of those given to [`SendQueue::push`]; stops at (and returns) the first
    /// error `f` returns. Called again for every block of a block-wise Send, so the
    /// records must not change while the request is queued. An error of its own (such
    /// as [`IoError::BadPath`] for an unknown ID) fails the encoding.
    fn records(
        &self,
        id: u16,
        f: &mut dyn FnMut(Record<'_>) -> Result<(), IoError>,
    ) -> Result<(), IoError>;

    /// Request `id` has left the queue with `result`. Called once per request that
    /// [`SendQueue::push`] accepted. May queue and abort requests on the same queue.
    fn finished(&self, id: u16, result: SendResult);
}

/// One queue slot: free (`id` 0) or a request.
#[derive(Clone, Copy)]
struct Slot {
    id: u16,
    format: Option<SendFormat>,
    /// The longest path all records lie under (the SenML base name).
    base: Path,
    /// How many records the request has.
    count: usize,
    in_flight: bool,
}

impl Slot {
    const FREE: Slot = Slot {
        id: 0,
        format: None,
        base: Path::ROOT,
        count: 0,
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

/// Whether `p` is a path a Send record may have: a resource or a resource instance, with
/// no ID 65535.
pub fn is_record_path(p: &Path) -> bool {
    (3..=4).contains(&p.len()) && !p.as_slice().contains(&u16::MAX)
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

    /// Queues a request whose records, in payload order, have the paths `paths`, to be
    /// sent in `format`. Checks the request ([`SendError::DataNotValid`], with a log line
    /// saying why: no records, a path that is not a resource (instance) path, a path
    /// repeated in LwM2M CBOR), then the gate ([`SendQueue::set_accepting`];
    /// [`SendError::NotAllowed`]) and for a free slot ([`SendError::NoSpace`]). Returns
    /// the new request's ID (1..=65534), which identifies it to
    /// [`SendSource::records`] and [`SendSource::finished`].
    pub fn push<I>(&self, format: SendFormat, paths: I) -> Result<u16, SendError>
    where
        I: Iterator<Item = Path> + Clone,
    {
        let invalid = |why: &str| {
            crate::log_error!("Send request not valid: {}", why);
            SendError::DataNotValid
        };
        let mut base: Option<Path> = None;
        let mut count = 0usize;
        for (i, p) in paths.clone().enumerate() {
            if !is_record_path(&p) {
                return Err(invalid("a record's path is not a resource (instance) path"));
            }
            #[cfg(feature = "lwm2m-cbor")]
            if format == SendFormat::Lwm2mCbor && paths.clone().skip(i + 1).any(|o| o == p) {
                // LwM2M CBOR keys a map by path: a path may appear only once.
                return Err(invalid("a path repeats in an LwM2M CBOR Send"));
            }
            let _ = i;
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
            count += 1;
        }
        let Some(base) = base else {
            return Err(invalid("no records"));
        };
        if !self.accepting.get() {
            crate::log_error!("Send not allowed now (not registered, or Mute Send is set)");
            return Err(SendError::NotAllowed);
        }
        let Some(slot) = self.slots.iter().find(|s| s.get().id == 0) else {
            crate::log_error!("Send queue full");
            return Err(SendError::NoSpace);
        };
        let id = self.new_id();
        slot.set(Slot {
            id,
            format: Some(format),
            base,
            count,
            in_flight: false,
        });
        crate::log_info!("Send request {} queued", id);
        Ok(id)
    }

    /// The next ID after the last one, skipping 0, [`SEND_ID_ALL`] and IDs still in use.
    fn new_id(&self) -> u16 {
        let mut id = self.last_id.get();
        loop {
            id = id.wrapping_add(1);
            if id == 0 || id == SEND_ID_ALL {
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

    /// The format of request `id`.
    pub fn format(&self, id: u16) -> Result<SendFormat, SendError> {
        self.slot_of(id)
            .and_then(|(_, s)| s.format)
            .ok_or(SendError::NoRequestFound)
    }

    /// The CoAP Content-Format number of request `id`'s payload.
    pub fn content_format(&self, id: u16) -> Result<u16, SendError> {
        self.format(id).map(SendFormat::content_format)
    }

    /// Encodes request `id`'s records (from `src`) into `out`: the whole payload, SenML
    /// CBOR (records with their timestamps as SenML base times, byte for byte as Anjay
    /// Lite writes them) or LwM2M CBOR (timestamps ignored, as in Anjay Lite). Returns
    /// the CoAP Content-Format number and the payload length.
    ///
    /// Errors: [`SendError::NoRequestFound`] for an unknown `id`;
    /// [`SendError::Internal`] when the payload does not fit `out` (use
    /// [`SendQueue::encode_block`] then), `src` fails, or the records differ from those
    /// queued.
    pub fn encode(
        &self,
        src: &dyn SendSource,
        id: u16,
        out: &mut [u8],
    ) -> Result<(u16, usize), SendError> {
        let slot = self.request(id)?;
        match encode_records(src, &slot, SliceWriter::new(out)) {
            Ok((format, len)) => Ok((format.content_format(), len)),
            Err(e) => {
                crate::log_error!("Send request {}: payload not encoded: {}", id, e);
                Err(SendError::Internal)
            }
        }
    }

    /// One block of request `id`'s payload, for a block-wise Send (RFC 7959 Block1):
    /// `out` receives the payload bytes `[offset, offset + out.len())` (fewer at the
    /// end). Returns `(content_format, bytes written to out, total payload length)`;
    /// more blocks follow while `offset + out.len() < total`. Each call encodes the
    /// records again (`src` gives them again), so the records must not change between
    /// blocks. Errors as [`SendQueue::encode`], except that the payload never has to
    /// fit.
    pub fn encode_block(
        &self,
        src: &dyn SendSource,
        id: u16,
        offset: usize,
        out: &mut [u8],
    ) -> Result<(u16, usize, usize), SendError> {
        let slot = self.request(id)?;
        let room = out.len();
        match encode_records(src, &slot, SliceWriter::window(out, offset)) {
            Ok((format, total)) => Ok((
                format.content_format(),
                total.saturating_sub(offset).min(room),
                total,
            )),
            Err(e) => {
                crate::log_error!("Send request {}: payload not encoded: {}", id, e);
                Err(SendError::Internal)
            }
        }
    }

    fn request(&self, id: u16) -> Result<Slot, SendError> {
        self.slot_of(id)
            .map(|(_, s)| s)
            .ok_or(SendError::NoRequestFound)
    }

    /// Removes request `id` and then tells `src` it finished with `result`. Returns
    /// false (and tells nothing) if there is no such request.
    pub fn finish(&self, src: &dyn SendSource, id: u16, result: SendResult) -> bool {
        let Some((i, _)) = self.slot_of(id) else {
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
        if result == SendResult::Success {
            crate::log_info!("Send request {} delivered", id);
        } else {
            crate::log_info!("Send request {} finished: {:?}", id, result);
        }
        src.finished(id, result);
        true
    }

    /// Finishes every request present when called (queued and in flight, oldest first)
    /// with `result`. Requests queued by `src.finished` meanwhile stay queued; aborts
    /// requested by it meanwhile fail with [`SendError::AbortInProgress`].
    pub fn finish_all(&self, src: &dyn SendSource, result: SendResult) {
        let ids = self.ids();
        let was = self.aborting.replace(true);
        for id in ids.into_iter().filter(|&id| id != 0) {
            self.finish(src, id, result);
        }
        self.aborting.set(was);
    }

    /// Finishes request `id` (or all of them for [`SEND_ID_ALL`]) with
    /// [`SendResult::Abort`]. Fails with [`SendError::NoRequestFound`] for an unknown ID,
    /// or [`SendError::AbortInProgress`] while an abort of every request runs.
    pub fn abort(&self, src: &dyn SendSource, id: u16) -> Result<(), SendError> {
        if self.aborting.get() {
            crate::log_error!("Send abort already in progress");
            return Err(SendError::AbortInProgress);
        }
        if id == SEND_ID_ALL {
            self.finish_all(src, SendResult::Abort);
            return Ok(());
        }
        if self.finish(src, id, SendResult::Abort) {
            Ok(())
        } else {
            crate::log_error!("No Send request with ID {}", id);
            Err(SendError::NoRequestFound)
        }
    }
}

/// Writes the payload of the request in `slot` through `w`; returns its format and the
/// encoder's length (the total length for a window writer).
fn encode_records(
    src: &dyn SendSource,
    slot: &Slot,
    w: SliceWriter<'_>,
) -> Result<(SendFormat, usize), IoError> {
    let format = slot.format.ok_or(IoError::Logic)?;
    let base = slot.base;
    let mut seen = 0usize;
    // Every record must lie under the base the request was queued with, and there must
    // be as many as then.
    let mut check = |path: &Path| {
        seen += 1;
        let under = path.as_slice().starts_with(base.as_slice());
        if seen > slot.count || !under || !is_record_path(path) {
            Err(IoError::BadPath)
        } else {
            Ok(())
        }
    };
    let len = match format {
        #[cfg(feature = "senml-cbor")]
        SendFormat::SenmlCbor => {
            let mut enc = crate::io::senml_cbor::SenmlCborEncoder::with_count(base, slot.count, w);
            src.records(slot.id, &mut |r| {
                check(&r.path)?;
                // Every record has a time, as in Anjay Lite: NaN ("none") counts as 0,
                // so a record without one after one with one gets `bt` 0 (now).
                let timestamp = Some(r.timestamp);
                match r.value {
                    RecordValue::Plain(value) => enc.entry(&Entry {
                        path: r.path,
                        value,
                        timestamp,
                    }),
                    #[cfg(feature = "external-data")]
                    RecordValue::Streamed(ty, s) => enc.streamed_at(&r.path, ty, timestamp, s),
                }
            })?;
            enc.finish()?
        }
        #[cfg(feature = "lwm2m-cbor")]
        SendFormat::Lwm2mCbor => {
            let mut enc = crate::io::lwm2m_cbor::Lwm2mCborEncoder::with_writer(base, w);
            src.records(slot.id, &mut |r| {
                check(&r.path)?;
                match r.value {
                    RecordValue::Plain(value) => enc.entry(&Entry::new(r.path, value)),
                    #[cfg(feature = "external-data")]
                    RecordValue::Streamed(ty, s) => enc.streamed(&r.path, ty, s),
                }
            })?;
            enc.finish()?
        }
    };
    if seen != slot.count {
        return Err(IoError::BadPath);
    }
    Ok((format, len))
}

#[cfg(all(test, feature = "senml-cbor", feature = "lwm2m-cbor"))]
mod tests;
