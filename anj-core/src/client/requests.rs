//! The server's Device Management requests (LwM2M 1.1 TS Core §6.3, and the CoAP mapping
//! of the Transport Bindings spec §5): decode the request, run the operation on the data
//! model, encode the response.
//!
//! | CoAP                         | operation                                   |
//! |------------------------------|---------------------------------------------|
//! | GET                          | Read (§6.3.1); Discover with Accept 40 (§6.3.6) |
//! | PUT with Content-Format      | Write-Replace (§6.3.3)                       |
//! | PUT without Content-Format   | Write-Attributes (§6.3.4)                   |
//! | POST /o                      | Create (§6.3.7)                              |
//! | POST /o/i                    | Write-Partial-Update (§6.3.3)                |
//! | POST /o/i/r                  | Execute (§6.3.5); Write-Partial-Update of a Multiple-Instance Resource with a hierarchical Content-Format |
//! | DELETE /o/i, /o/i/r/ri       | Delete (§6.3.9)                              |
//! | FETCH /                      | Read-Composite (§6.3.2)                      |
//! | iPATCH /                     | Write-Composite (§6.3.8)                     |
//!
//! Every response is built by [`respond`], the one place a Block2 layer will wrap.

use super::{Engine, Host, Link};
use crate::coap::{opt, Code, Message, MessageWriter, MsgType};
#[cfg(feature = "observe")]
use crate::dm::attributes::AttrTable;
use crate::dm::{self, DmError, DmResult, Objects, TxnSet, WriteKind};
use crate::exchange::Dedup;
use crate::io::format::{self, Format};
use crate::io::link_format::LinkWriter;
use crate::io::value::{Decoder, Encoder, IoError, Path, ID_INVALID};
use crate::time::Instant;

/// Options this client understands; any other critical option gets 4.02 (RFC 7252 §5.4.1).
pub(super) const KNOWN_OPTIONS: &[u16] = &[
    opt::URI_HOST,
    opt::OBSERVE,
    opt::URI_PORT,
    opt::URI_PATH,
    opt::CONTENT_FORMAT,
    opt::URI_QUERY,
    opt::ACCEPT,
    opt::BLOCK2,
    opt::BLOCK1,
    opt::SIZE2,
    opt::SIZE1,
];

/// What a request may touch besides the data model, and what it reports back.
pub(super) struct Ctx<'c> {
    /// The objects the request works on.
    pub objs: &'c mut dyn Objects,
    #[cfg(feature = "observe")]
    pub attrs: &'c mut AttrTable,
    /// Short Server ID of the requesting server (attributes are kept per server).
    #[cfg(feature = "observe")]
    pub ssid: u16,
    /// An Object Instance was created or deleted: the registration must be updated
    /// (LwM2M 1.1 TS Core §6.2.2).
    pub objects_changed: bool,
    /// The block-wise Write in progress, if any.
    pub block1: &'c mut Block1State,
    /// The external value of the block-wise Read in progress, if any.
    #[cfg(feature = "external-data")]
    pub ext_read: &'c mut ExtRead,
    pub now: Instant,
    /// How long a block-wise Write may wait for its next block.
    pub block_timeout: crate::time::Duration,
    /// The server's observations (RFC 7641).
    #[cfg(feature = "observe")]
    pub observe: &'c mut crate::observe::Observations,
    /// What the request changed in the data model, for the observations.
    pub touched: Touched,
}

/// What a request changed, so that observations of it are re-evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Touched {
    Nothing,
    Changed(Path),
    Deleted(Path),
    /// Several paths (Write-Composite).
    Many,
}

/// A block-wise request being received (RFC 7959 Block1). Nothing is buffered whole:
///
/// - A Write of one Opaque or String resource hands each block to the resource's write
///   handler as one chunk of the value (`offset`, `chunk_length`; `full_length_hint` on the
///   last), inside one transaction of the object that stays open from the first block to
///   the last, so a value of any size (a firmware image) can be written.
///   An Opaque value written as text/plain is base64, decoded as the blocks come (a
///   quantum cut by a block boundary waits in a [`crate::io::text::Base64Stream`]).
/// - A structured payload (Write, Create, Write-Composite in TLV, SenML CBOR, SenML JSON,
///   LwM2M CBOR or CBOR) is decoded block by block by a resumable decoder: the complete
///   entries of each block are applied at once, and an entry cut by the end of a block
///   waits in a small carry buffer for the next one. A String or Opaque value too long for
///   the carry is handed to its write handler in chunks straight from the blocks instead
///   ([`crate::io::value::CutValue`]). The transactions begun on the first block end on
///   the last one, with success only if everything succeeded.
#[derive(Default)]
pub(super) struct Block1State {
    rx: super::block::Block1Rx,
    /// The object whose transaction a streamed single-value Write keeps open.
    obj: Option<u16>,
    /// A streamed Opaque value written as text/plain: the base64 decoder (a quantum cut
    /// by a block boundary waits in it) and how many bytes were handed over so far.
    b64: Option<(crate::io::text::Base64Stream, usize)>,
    doc: Option<Streamed>,
    deadline: Instant,
}

/// The longest part of an entry that may wait for the next block of a structured Block1
/// request; a longer entry gets 4.13. 256 bytes, more with Bootstrap and security: a
/// certificate of the largest size the Security object takes, in a Bootstrap-Write that
/// comes block-wise (computed from the configuration below).
pub const BLOCK1_CARRY: usize = block1_carry();

/// See [`BLOCK1_CARRY`]: 256 bytes, or with Bootstrap and security room for the largest
/// Security object credential (a certificate a Bootstrap-Write sends block-wise) in SenML
/// JSON's base64 with its record around it.
const fn block1_carry() -> usize {
    let mut carry = 256;
    if cfg!(all(feature = "bootstrap", feature = "security")) {
        use crate::config::*;
        let mut largest = SEC_OBJ_MAX_PUBLIC_KEY_OR_IDENTITY_SIZE;
        if SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE > largest {
            largest = SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE;
        }
        if SEC_OBJ_MAX_SECRET_KEY_SIZE > largest {
            largest = SEC_OBJ_MAX_SECRET_KEY_SIZE;
        }
        let c = (largest.div_ceil(3) * 4 + 64).div_ceil(8) * 8;
        if c > carry {
            carry = c;
        }
    }
    carry
}

/// A structured block-wise request in progress (see [`Block1State`]).
struct Streamed {
    apply: Apply,
    txn: TxnSet,
    state: format::DecState,
    carry: [u8; BLOCK1_CARRY],
    carry_len: usize,
    /// A String or Opaque value longer than the carry whose content is being handed to
    /// its write handler in chunks as the blocks come ([`crate::io::value::CutValue`]); decoding resumes
    /// from `state` after its last byte.
    value: Option<ValueRun>,
}

/// See [`Streamed::value`]: the value's path and type, and how much of its `len` bytes
/// was handed over; with `b64` the value is base64 text up to a closing quote (SenML
/// JSON `vd`, its length unknown until then), decoded as it comes.
#[derive(Clone, Copy)]
struct ValueRun {
    path: Path,
    text: bool,
    done: usize,
    len: usize,
    b64: Option<crate::io::text::Base64Stream>,
}

impl ValueRun {
    /// Hands the next part of the value in `data` to the handler; returns the bytes of
    /// `data` after the value's end, if it ends there.
    fn feed<'d>(
        &mut self,
        apply: &mut Apply,
        objs: &mut dyn Objects,
        txn: &mut TxnSet,
        data: &'d [u8],
    ) -> DmResult<Option<&'d [u8]>> {
        let (path, text) = (self.path, self.text);
        let Some(b64) = self.b64.as_mut() else {
            let n = data.len().min(self.len - self.done);
            let (chunk, rest) = data.split_at(n);
            apply.chunk(objs, txn, &path, text, chunk, self.done, self.len)?;
            self.done += n;
            return Ok((self.done == self.len).then_some(rest));
        };
        let quote = data.iter().position(|&c| c == b'"');
        let content = data.get(..quote.unwrap_or(data.len())).unwrap_or(&[]);
        let done = &mut self.done;
        b64.decode_chunks(content, quote.is_some(), decode_error, |bytes, end| {
            // The full length is known with the last chunk only.
            let hint = if end { *done + bytes.len() } else { 0 };
            apply.chunk(objs, txn, &path, text, bytes, *done, hint)?;
            *done += bytes.len();
            Ok(())
        })?;
        Ok(quote.map(|q| data.get(q + 1..).unwrap_or(&[])))
    }
}

impl Block1State {
    /// Ends a transfer that was not completed: its transactions roll back.
    pub(super) fn abandon(&mut self, objs: &mut dyn Objects) {
        self.b64 = None;
        if let Some(oid) = self.obj.take() {
            if let Some(obj) = objs.object(oid) {
                obj.transaction_end(false);
            }
        }
        if let Some(doc) = self.doc.take() {
            let _ = doc.txn.finish(objs, Err(DmError::INTERNAL));
        }
        self.rx.abandon();
    }

    /// Whether a transfer waits for a next block that did not come in time.
    #[inline]
    pub(super) fn expired(&self, now: Instant) -> bool {
        (self.obj.is_some() || self.doc.is_some()) && now >= self.deadline
    }

    /// Abandons a transfer whose next block did not come in time.
    pub(super) fn expire(&mut self, now: Instant, objs: &mut dyn Objects) {
        if self.expired(now) {
            crate::log_warning!("block-wise write abandoned: no next block in time");
            self.abandon(objs);
        }
    }
}

/// The external value of a block-wise Read (RFC 7959 Block2) in progress: kept open
/// between the blocks, where the last block stopped ([`dm::ExtHold`]), so that every
/// byte of it is read once, not once per block. Only a Read of the same path in the same
/// Content-Format with a Block2 number above 0 goes on with it; any other request, or
/// no next block within the request timeout, closes it. A block that is not the next one
/// (the server jumps, or changes the block size) is still answered from it: the value
/// reads forward to the block, or opens again and reads from its start.
/// Empty without `external-data`.
#[derive(Default)]
pub(super) struct ExtRead {
    /// The Read it belongs to: its path and Content-Format.
    #[cfg(feature = "external-data")]
    key: Option<(Path, u16)>,
    #[cfg(feature = "external-data")]
    deadline: Instant,
}

impl ExtRead {
    /// Closes the held value (the object set keeps it: [`Objects::close_kept_sources`]).
    pub(super) fn clear(&mut self, _objs: &mut dyn Objects) {
        #[cfg(feature = "external-data")]
        if self.key.take().is_some() {
            _objs.close_kept_sources();
        }
    }

    /// Forgets the held value without closing it (its owner closes what it keeps).
    pub(super) fn forget(&mut self) {
        #[cfg(feature = "external-data")]
        {
            self.key = None;
        }
    }

    /// Whether a held value waits for a next block that did not come in time.
    #[inline]
    pub(super) fn expired(&self, _now: Instant) -> bool {
        #[cfg(feature = "external-data")]
        return self.key.is_some() && _now >= self.deadline;
        #[cfg(not(feature = "external-data"))]
        false
    }

    /// Closes a held value whose next block did not come in time.
    pub(super) fn expire(&mut self, now: Instant, objs: &mut dyn Objects) {
        if self.expired(now) {
            self.clear(objs);
        }
    }
}

impl Engine {
    pub(super) fn handle_server_request(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        summary: crate::coap::Summary,
        env: &mut dyn Host,
    ) {
        let len = summary.datagram_len();
        // The message handle_datagram parsed, from the same bytes (not parsed again).
        let Some((ty, id)) = Message::from_summary(&self.in_buf[..len], summary)
            .map(|m| (m.msg_type(), m.message_id()))
        else {
            return;
        };
        let response_id = if ty == MsgType::Con {
            id
        } else {
            self.next_message_id()
        };
        let Some(msg) = Message::from_summary(&self.in_buf[..len], summary) else {
            return;
        };
        if msg.msg_type() == MsgType::Con {
            match self.dedup.check(id) {
                Dedup::New => {}
                Dedup::Resend(bytes) => {
                    let _ = link.send(bytes);
                    return;
                }
                Dedup::Drop => return,
            }
        }
        self.dm_busy = true;
        // Only a Read of a next block goes on with an external value held open.
        if !(msg.code() == Code::GET && msg.block2().is_some_and(|b| b.num > 0)) {
            self.ext_read.clear(env.objects());
        }
        #[cfg(feature = "bootstrap")]
        let bs_mode = self.bootstrapping();
        #[cfg(not(feature = "bootstrap"))]
        let bs_mode = false;
        let mut ctx = Ctx {
            #[cfg(feature = "observe")]
            attrs: &mut self.attributes,
            #[cfg(feature = "observe")]
            ssid: self.account.as_ref().map_or(1, |a| a.ssid),
            objs: env.objects(),
            objects_changed: false,
            block1: &mut self.block1,
            #[cfg(feature = "external-data")]
            ext_read: &mut self.ext_read,
            now,
            block_timeout: self.settings.request_timeout,
            #[cfg(feature = "observe")]
            observe: &mut self.observe,
            touched: Touched::Nothing,
        };
        let n = if bs_mode {
            #[cfg(feature = "bootstrap")]
            {
                let bs = &mut self.bs;
                respond_with(&msg, &mut self.out_buf, response_id, |w| {
                    super::bootstrap::process(&msg, w, &mut ctx, bs)
                })
            }
            #[cfg(not(feature = "bootstrap"))]
            None
        } else {
            respond(&msg, &mut self.out_buf, response_id, &mut ctx)
        };
        let objects_changed = ctx.objects_changed;
        let touched = ctx.touched;
        // What the server changed is notified like the application's changes. A failed
        // request may still have changed something (a partly applied block-wise write).
        let succeeded = n.is_some_and(|n| n > 1 && self.out_buf[1] >> 5 == 2);
        let con = msg.msg_type() == MsgType::Con;
        match touched {
            Touched::Nothing => {}
            Touched::Deleted(_) if !succeeded => {}
            Touched::Changed(p) => self.on_data_changed(&p, false),
            Touched::Deleted(p) => self.on_data_changed(&p, true),
            Touched::Many => self.on_everything_changed(),
        }
        self.dm_busy = false;
        if objects_changed {
            self.on_objects_changed();
        }
        let Some(n) = n else { return };
        if con {
            self.dedup.store(id, &self.out_buf[..n]);
        }
        let _ = link.send(&self.out_buf[..n]);
        self.last_activity = now;
        #[cfg(feature = "bootstrap")]
        if bs_mode {
            self.bs_after_request(now, link, env, succeeded);
        }
    }
}

/// What the request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Read,
    Discover,
    WriteReplace,
    WritePartial,
    WriteAttributes,
    Execute,
    Create,
    Delete,
    ReadComposite,
    WriteComposite,
}

/// Builds the response to `req` in `out`; `None` when nothing is to be sent.
pub(super) fn respond(
    req: &Message<'_>,
    out: &mut [u8],
    response_id: u16,
    ctx: &mut Ctx<'_>,
) -> Option<usize> {
    respond_with(req, out, response_id, |w| process(req, w, ctx))
}

/// [`respond`] with the operation given by `op`.
pub(super) fn respond_with(
    req: &Message<'_>,
    out: &mut [u8],
    response_id: u16,
    op: impl FnOnce(&mut MessageWriter<'_>) -> DmResult<Code>,
) -> Option<usize> {
    let ty = if req.msg_type() == MsgType::Con {
        MsgType::Ack
    } else {
        MsgType::Non
    };
    let mut w = MessageWriter::new(out, ty, Code::CONTENT, response_id, req.token()).ok()?;
    match op(&mut w) {
        Ok(code) => {
            let n = w.finish();
            // The code is known only once the operation ran; it lives in byte 1 (RFC 7252 §3).
            out[1] = code.0;
            Some(n)
        }
        Err(e) => {
            crate::log_debug!("request failed with {}.{:02}", e.0.class(), e.0.detail());
            // Start again: an error response carries no options or payload, except Size1
            // on a 4.13 to a block-wise request: the largest body taken in one message
            // (RFC 7959 §2.9.3).
            let mut w = MessageWriter::new(out, ty, e.0, response_id, req.token()).ok()?;
            if e == DmError::TOO_LARGE && req.has_option(opt::BLOCK1) {
                let _ = w.uint_option(opt::SIZE1, crate::config::IN_MSG_BUFFER_SIZE as u32);
            }
            Some(w.finish())
        }
    }
}

pub(super) fn path_of(req: &Message<'_>) -> DmResult<Path> {
    let mut ids = [0u16; 4];
    let mut n = 0;
    for seg in req.uri_path() {
        if n == 4 {
            return Err(DmError::NOT_FOUND);
        }
        let id = core::str::from_utf8(seg)
            .ok()
            .and_then(|s| s.parse::<u16>().ok())
            .filter(|&i| i != u16::MAX);
        // Leading zeros or signs are not valid IDs; neither are non-numeric segments.
        if seg.len() > 1 && seg[0] == b'0' {
            return Err(DmError::NOT_FOUND);
        }
        ids[n] = id.ok_or(DmError::NOT_FOUND)?;
        n += 1;
    }
    Ok(Path::new(&ids[..n]))
}

fn classify(req: &Message<'_>, path: &Path) -> DmResult<Op> {
    let cf = req.content_format();
    Ok(match req.code() {
        Code::GET if req.accept() == Some(format::LINK_FORMAT) => Op::Discover,
        Code::GET => Op::Read,
        // Write-Attributes carries only Uri-Query options (Transport §5.4, Table 5.4-1).
        Code::PUT if cf.is_none() => Op::WriteAttributes,
        Code::PUT => Op::WriteReplace,
        Code::POST => match path.len() {
            1 => Op::Create,
            2 => Op::WritePartial,
            // A POST on a Resource with a hierarchical format updates a Multiple-Instance
            // Resource; without one (or with plain text) it is Execute.
            3 if cf.is_none() || cf == Some(format::TEXT) => Op::Execute,
            3 => Op::WritePartial,
            _ => return Err(DmError::METHOD_NOT_ALLOWED),
        },
        Code::DELETE => Op::Delete,
        Code::FETCH => Op::ReadComposite,
        Code::IPATCH => Op::WriteComposite,
        _ => return Err(DmError::METHOD_NOT_ALLOWED),
    })
}

fn process(req: &Message<'_>, w: &mut MessageWriter<'_>, ctx: &mut Ctx<'_>) -> DmResult<Code> {
    if req.first_unknown_critical(KNOWN_OPTIONS).is_some() {
        return Err(DmError(Code::BAD_OPTION));
    }
    let path = path_of(req)?;
    let op = classify(req, &path)?;
    let block1 = if req.has_option(opt::BLOCK1) {
        Some(req.block1().ok_or(DmError::BAD_REQUEST)?)
    } else {
        None
    };
    // Any request but the next block of a transfer ends the transfer: its open transaction
    // must not overlap another operation on the data model.
    if !block1.is_some_and(|b| b.num > 0) {
        ctx.block1.abandon(ctx.objs);
    }
    let composite = matches!(op, Op::ReadComposite | Op::WriteComposite);
    // Only the composite operations address the root (§6.3.2, §6.3.8).
    if path.is_empty() != composite {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    // One block that is also the last is an ordinary request.
    if let Some(b) = block1.filter(|b| b.num != 0 || b.more) {
        ctx.touched = if path.is_empty() {
            Touched::Many
        } else {
            Touched::Changed(path)
        };
        return block1_request(req, w, &path, op, b, ctx);
    }
    ctx.touched = match op {
        Op::WriteReplace | Op::WritePartial => Touched::Changed(path),
        // A new instance changes what an observation of the object reports.
        Op::Create => Touched::Changed(path),
        Op::Delete => Touched::Deleted(path),
        Op::WriteComposite => Touched::Many,
        _ => Touched::Nothing,
    };
    match op {
        Op::Read => {
            let target = dm::resolve_full(ctx.objs, &path)?;
            // Observe on the first block only: later blocks of a notification are plain
            // GETs (RFC 7959 §2.6), and so are those of a server that repeats the option.
            #[cfg(feature = "observe")]
            if let Some(flag) = req
                .observe()
                .filter(|_| req.block2().map_or(true, |b| b.num == 0))
            {
                return observe(req, w, &target, flag, ctx);
            }
            read_resolved(req, w, &target, ctx)
        }
        Op::Discover => discover(req, w, &path, ctx),
        Op::WriteReplace | Op::WritePartial => {
            write(req, &path, ctx, op == Op::WriteReplace)?;
            Ok(Code::CHANGED)
        }
        Op::WriteAttributes => write_attributes(req, &path, ctx),
        Op::Execute => {
            let target = dm::resolve(ctx.objs, &path)?;
            dm::execute(ctx.objs, &target, req.payload())?;
            Ok(Code::CHANGED)
        }
        Op::Create => create(req, w, &path, ctx),
        Op::Delete => delete(&path, ctx),
        Op::ReadComposite => read_composite(req, w, ctx),
        Op::WriteComposite => {
            write_composite(req, ctx)?;
            Ok(Code::CHANGED)
        }
    }
}

/// One block of a block-wise request (see [`Block1State`]): a Write of one Opaque resource
/// (Content-Format 42) or one String resource (plain text) is streamed value chunk by
/// value chunk; a Write, Create or Write-Composite in a resumable structured format is
/// decoded block by block; any other request larger than one message gets 4.13
/// (RFC 7959 §2.9.3).
fn block1_request(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    path: &Path,
    op: Op,
    b: crate::coap::Block,
    ctx: &mut Ctx<'_>,
) -> DmResult<Code> {
    use super::block::Block1Step;
    use crate::io::value::DataType;
    let method = req.code().0;
    let offset = match ctx.block1.rx.classify(method, path, b) {
        Block1Step::Incomplete => return Err(DmError(Code::REQUEST_ENTITY_INCOMPLETE)),
        Block1Step::Start => {
            ctx.block1.abandon(ctx.objs);
            let single = matches!(op, Op::WriteReplace | Op::WritePartial)
                && path.len() >= 3
                && (path.len() == 4 || !dm::is_multiple(ctx.objs, path));
            let (cf, ty) = (req.content_format(), dm::resource_type(ctx.objs, path));
            // An Opaque value as text/plain is base64, decoded as the blocks come.
            let base64 = cfg!(feature = "plaintext")
                && cf == Some(format::TEXT)
                && ty == Some(DataType::Bytes);
            let value = single
                && (base64
                    || matches!(
                        (cf, ty),
                        (Some(format::OPAQUE), Some(DataType::Bytes))
                            | (Some(format::TEXT), Some(DataType::String))
                    ));
            if value {
                let target = dm::resolve(ctx.objs, path)?;
                dm::check_writable(ctx.objs, path)?;
                target.object(ctx.objs)?.transaction_begin()?;
                ctx.block1.obj = Some(target.oid);
                ctx.block1.b64 = base64.then(|| (crate::io::text::Base64Stream::new(false), 0));
            } else {
                ctx.block1.doc = Some(block1_begin(req, path, op, ctx)?);
            }
            0
        }
        Block1Step::Continue { offset } => offset,
    };
    let data = req.payload();
    let result = if ctx.block1.obj.is_some() {
        block1_value(b, offset, path, data, ctx)
    } else if let Some(doc) = ctx.block1.doc.as_mut() {
        block1_feed(doc, data, !b.more, ctx.objs, None)
    } else {
        Err(DmError(Code::REQUEST_ENTITY_INCOMPLETE))
    };
    block1_settle(ctx, result, method, path, b, data.len())?;
    // The response echoes the request's Block1 (`b`).
    if b.more {
        w.block_option(opt::BLOCK1, b)
            .map_err(|_| DmError::INTERNAL)?;
        return Ok(Code::CONTINUE);
    }
    // The last block: end the transaction(s) with the operation's result.
    let code = if let Some(oid) = ctx.block1.obj.take() {
        ctx.block1.b64 = None;
        let obj = dm::object(ctx.objs, oid)?;
        let result = dm::validate(obj);
        obj.transaction_end(result.is_ok());
        result?;
        Code::CHANGED
    } else if let Some(mut doc) = ctx.block1.doc.take() {
        let created = doc.apply.end(ctx.objs, &mut doc.txn);
        let created = match created {
            Ok(c) => {
                doc.txn.finish(ctx.objs, Ok(()))?;
                c
            }
            Err(e) => {
                let _ = doc.txn.finish(ctx.objs, Err(e));
                return Err(e);
            }
        };
        // Options go in number order: Location-Path (8) before Block1 (27).
        // The server knows of the instance it created: no Update (as in Anjay Lite, only
        // the application's own additions and removals are announced).
        let code = match created {
            Some((oid, iid)) => location(w, oid, iid)?,
            None => Code::CHANGED,
        };
        w.block_option(opt::BLOCK1, b)
            .map_err(|_| DmError::INTERNAL)?;
        return Ok(code);
    } else {
        return Err(DmError(Code::REQUEST_ENTITY_INCOMPLETE));
    };
    w.block_option(opt::BLOCK1, b)
        .map_err(|_| DmError::INTERNAL)?;
    Ok(code)
}

/// The outcome of one block for the transfer: a failed block abandons it (its
/// transactions roll back); an applied one is recorded, and the next one is awaited.
fn block1_settle(
    ctx: &mut Ctx<'_>,
    result: DmResult<()>,
    method: u8,
    path: &Path,
    b: crate::coap::Block,
    len: usize,
) -> DmResult<()> {
    if let Err(e) = result {
        ctx.block1.abandon(ctx.objs);
        return Err(e);
    }
    ctx.block1.rx.accepted(method, path, b, len);
    ctx.block1.deadline = crate::time::after(ctx.now, ctx.block_timeout);
    Ok(())
}

/// One block of a block-wise Bootstrap-Write (`path` in `obj`, whose transaction is part
/// of the Bootstrap session's, `txn`): decoded block by block like a structured Write
/// ([`block1_feed`] with [`Apply::Bootstrap`]), so that certificates larger than one
/// block can be provisioned.
#[cfg(feature = "bootstrap")]
pub(super) fn block1_bootstrap_write(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    path: &Path,
    obj: u16,
    ctx: &mut Ctx<'_>,
    txn: &mut TxnSet,
) -> DmResult<Code> {
    use super::block::Block1Step;
    let b = req.block1().ok_or(DmError::BAD_REQUEST)?;
    let method = req.code().0;
    match ctx.block1.rx.classify(method, path, b) {
        Block1Step::Incomplete => return Err(DmError(Code::REQUEST_ENTITY_INCOMPLETE)),
        Block1Step::Start => {
            ctx.block1.abandon(ctx.objs);
            let fmt = input_format(req)?;
            ctx.block1.doc = Some(Streamed {
                apply: Apply::bootstrap(obj, *path),
                txn: TxnSet::default(),
                // A format that cannot be decoded piece by piece must fit in one message.
                state: fmt.initial_state(*path).ok_or(DmError::TOO_LARGE)?,
                carry: [0; BLOCK1_CARRY],
                carry_len: 0,
                value: None,
            });
        }
        Block1Step::Continue { .. } => {}
    }
    let data = req.payload();
    let result = match ctx.block1.doc.as_mut() {
        Some(doc) => block1_feed(doc, data, !b.more, ctx.objs, Some(&mut *txn)),
        None => Err(DmError(Code::REQUEST_ENTITY_INCOMPLETE)),
    };
    block1_settle(ctx, result, method, path, b, data.len())?;
    crate::log_info!(
        "bootstrap: Bootstrap-Write block {} ({} B){}",
        b.num,
        data.len(),
        if b.more { "" } else { ", the last" }
    );
    if !b.more {
        let mut doc = ctx
            .block1
            .doc
            .take()
            .ok_or(DmError(Code::REQUEST_ENTITY_INCOMPLETE))?;
        doc.apply.end(ctx.objs, txn)?;
    }
    w.block_option(opt::BLOCK1, b)
        .map_err(|_| DmError::INTERNAL)?;
    Ok(if b.more {
        Code::CONTINUE
    } else {
        Code::CHANGED
    })
}

/// One block of a streamed resource value: one chunk for the resource's write handler.
fn block1_value(
    b: crate::coap::Block,
    offset: usize,
    path: &Path,
    data: &[u8],
    ctx: &mut Ctx<'_>,
) -> DmResult<()> {
    let oid = ctx
        .block1
        .obj
        .ok_or(DmError(Code::REQUEST_ENTITY_INCOMPLETE))?;
    let ids = path.as_slice();
    let riid = ids.get(3).copied();
    let text = dm::resource_type(ctx.objs, path) == Some(crate::io::value::DataType::String);
    let obj = dm::object(ctx.objs, oid)?;
    let mut chunk = |data: &[u8], offset: usize, last: bool| {
        let value = dm::WriteValue::Chunk {
            text,
            data,
            offset,
            // Known once the last block is there (dm/defs.h: 0 while unknown).
            full_len: last.then_some(offset + data.len()),
        };
        obj.write(ids[1], ids[2], riid, &value)
    };
    // Base64 text: the decoded bytes, in pieces of a small stack buffer; the offsets count
    // decoded bytes, not characters.
    if let Some((dec, done)) = ctx.block1.b64.as_mut() {
        return dec.decode_chunks(data, !b.more, decode_error, |bytes, last| {
            chunk(bytes, *done, last)?;
            *done += bytes.len();
            Ok(())
        });
    }
    chunk(data, offset, !b.more)
}

/// The first block of a structured block-wise request: checks it as the one-shot
/// operation does and begins its transaction(s) the same way ([`Apply::begin`]).
fn block1_begin(req: &Message<'_>, path: &Path, op: Op, ctx: &mut Ctx<'_>) -> DmResult<Streamed> {
    let known = req.content_format().and_then(Format::from_content_format);
    let Some(fmt) = known else {
        return Err(DmError::UNSUPPORTED_FORMAT);
    };
    match op {
        Op::WriteReplace | Op::WritePartial | Op::Create => {}
        Op::WriteComposite => {
            if cfg!(not(feature = "composite-operations")) {
                return Err(DmError::NOT_IMPLEMENTED);
            }
            if !is_composite_format(fmt.content_format()) {
                return Err(DmError::UNSUPPORTED_FORMAT);
            }
        }
        _ => return Err(DmError::TOO_LARGE),
    }
    if op != Op::WriteComposite {
        if op != Op::Create && path.len() < 2 {
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        dm::resolve(ctx.objs, path)?;
    }
    // A format that cannot be decoded piece by piece must fit in one message.
    let state = fmt.initial_state(*path).ok_or(DmError::TOO_LARGE)?;
    let mut txn = TxnSet::default();
    match Apply::begin(op, path, None, ctx.objs, &mut txn) {
        Ok(apply) => Ok(Streamed {
            apply,
            txn,
            state,
            carry: [0; BLOCK1_CARRY],
            carry_len: 0,
            value: None,
        }),
        Err(e) => {
            let _ = txn.finish(ctx.objs, Err(e));
            Err(e)
        }
    }
}

/// Decodes and applies the complete entries of the carry and `data`; keeps the
/// incomplete tail in the carry (4.13 when it does not fit).
// Out of line: its message-sized buffers stay off the stack of every other request.
#[inline(never)]
fn block1_feed(
    doc: &mut Streamed,
    data: &[u8],
    last: bool,
    objs: &mut dyn Objects,
    session_txn: Option<&mut TxnSet>,
) -> DmResult<()> {
    use crate::io::format::AnyDecoder;
    const ROOM: usize = BLOCK1_CARRY + crate::config::IN_MSG_BUFFER_SIZE;
    // A Bootstrap-Write joins the objects to the Bootstrap session's transaction.
    let txn = match session_txn {
        Some(t) => t,
        None => &mut doc.txn,
    };
    // First the rest of a value handed over in chunks, straight from the block.
    let mut data = data;
    if let Some(run) = doc.value.as_mut() {
        let Some(rest) = run.feed(&mut doc.apply, objs, txn, data)? else {
            return if last {
                Err(DmError::BAD_REQUEST)
            } else {
                Ok(())
            };
        };
        doc.value = None;
        data = rest;
    }
    let mut buf = [0u8; ROOM];
    let held = doc.carry.get(..doc.carry_len).unwrap_or(&[]);
    let total = held.len() + data.len();
    if total > ROOM {
        return Err(DmError::TOO_LARGE);
    }
    buf[..held.len()].copy_from_slice(held);
    buf[held.len()..total].copy_from_slice(data);
    let input = &buf[..total];
    let mut scratch = [0u8; ROOM];
    #[cfg(feature = "bootstrap")]
    if matches!(doc.apply, Apply::Bootstrap { .. }) {
        // The complete entries of this block, prepared before any is written.
        let mut dec =
            AnyDecoder::resume(doc.state, input, &mut scratch, last).ok_or(DmError::INTERNAL)?;
        loop {
            match dec.next_entry(&|_| None) {
                Ok(Some(e)) => doc.apply.prepare(objs, txn, &e)?,
                Ok(None) => break,
                Err(IoError::Truncated) if !last => break,
                Err(e) => return Err(decode_error(e)),
            }
        }
    }
    if doc.apply.needs_instance() {
        // A Create names its instance in its first entry, which must exist before the
        // values can be typed: look at that entry first.
        let mut dec =
            AnyDecoder::resume(doc.state, input, &mut scratch, last).ok_or(DmError::INTERNAL)?;
        let first = match dec.next_entry(&|_| None) {
            Ok(e) => e.map(|e| e.path.iid()),
            Err(IoError::Truncated) => None,
            Err(e) => return Err(decode_error(e)),
        };
        if let Some(named) = first {
            doc.apply
                .name_instance(objs, txn, named.ok_or(DmError::BAD_REQUEST)?)?;
        }
    }
    let mut dec =
        AnyDecoder::resume(doc.state, input, &mut scratch, last).ok_or(DmError::INTERNAL)?;
    let typing = doc.apply;
    {
        // The decoder asks for types while the entries are written: both reach the
        // objects, one at a time.
        let objs = Lent::new(objs);
        let type_of = |p: &Path| objs.with(|o| typing.type_of(o, p)).flatten();
        loop {
            match dec.next_entry(&type_of) {
                Ok(Some(e)) => objs
                    .with(|o| doc.apply.entry(o, txn, &e))
                    .ok_or(DmError::INTERNAL)??,
                Ok(None) => break,
                Err(IoError::Truncated) if !last => break,
                Err(e) => return Err(decode_error(e)),
            }
        }
    }
    let (used, state) = dec.checkpoint().ok_or(DmError::INTERNAL)?;
    let tail = input.get(used..).unwrap_or(&[]);
    if last && !tail.is_empty() {
        return Err(DmError::BAD_REQUEST);
    }
    if tail.len() > BLOCK1_CARRY {
        // Too long to wait for the next block: a String or Opaque value is handed over
        // in chunks, from its first byte here on.
        let (cut, after) = dec.cut_value().ok_or(DmError::TOO_LARGE)?;
        let first = input.get(cut.start..).ok_or(DmError::INTERNAL)?;
        if cut.start < used || (!cut.base64 && first.len() >= cut.len) {
            return Err(DmError::INTERNAL);
        }
        let mut run = ValueRun {
            path: cut.path,
            text: cut.text,
            done: 0,
            len: cut.len,
            b64: cut
                .base64
                .then(crate::io::text::Base64Stream::either_alphabet),
        };
        if run.feed(&mut doc.apply, objs, txn, first)?.is_some() {
            // The decoder said the value goes on past this block.
            return Err(DmError::INTERNAL);
        }
        doc.value = Some(run);
        doc.carry_len = 0;
        doc.state = after;
        return Ok(());
    }
    let slot = doc.carry.get_mut(..tail.len()).ok_or(DmError::TOO_LARGE)?;
    slot.copy_from_slice(tail);
    doc.carry_len = tail.len();
    doc.state = state;
    Ok(())
}

/// How the entries of a Write, Create or Write-Composite payload reach the data model;
/// shared by the one-shot requests and the block-wise ones.
#[derive(Clone, Copy)]
pub(super) enum Apply {
    /// Write-Replace / Write-Partial-Update of `path` in one transaction of `obj`.
    Write {
        obj: u16,
        path: Path,
        kind: WriteKind,
        any: bool,
    },
    /// Create in `obj`: `named` is the instance ID the payload names (65535 if none) and
    /// the one created, once the first entry was seen.
    Create { obj: u16, named: Option<(u16, u16)> },
    /// Write-Composite: a transaction of each object touched, begun at its first value.
    Composite,
    /// Bootstrap-Write of `path` (an Object, Object Instance or Resource) in `obj`:
    /// every resource but the executable ones is writable, Object Instances the
    /// payload names are created, and a Multiple-Instance Resource it gives is
    /// replaced (`cleared`: the last one emptied, so that its instances that follow
    /// each other, even across blocks, are not emptied again).
    #[cfg(feature = "bootstrap")]
    Bootstrap {
        obj: u16,
        path: Path,
        any: bool,
        cleared: Option<(u16, u16)>,
        /// The Object Instance this request last replaced (reset or created).
        replaced: Option<u16>,
    },
}

impl Apply {
    /// Begins the operation on the data model: the target object's transaction, and for
    /// a Write-Replace the reset of the instance or multi-instance resource.
    /// `resolved`: the target of a Write as the request resolved it, if it did.
    fn begin(
        op: Op,
        path: &Path,
        resolved: Option<dm::Resolved>,
        objs: &mut dyn Objects,
        txn: &mut TxnSet,
    ) -> DmResult<Apply> {
        match op {
            Op::WriteReplace | Op::WritePartial => {
                let resolved = match resolved {
                    Some(r) => r,
                    None => dm::resolve_full(objs, path)?,
                };
                let target = resolved.target;
                txn.join(objs, target.oid)?;
                let replace = op == Op::WriteReplace;
                if replace {
                    dm::replace_prepare(objs, &target)?;
                }
                Ok(Apply::Write {
                    obj: target.oid,
                    path: *path,
                    kind: if replace {
                        WriteKind::Replace
                    } else {
                        WriteKind::Partial
                    },
                    any: false,
                })
            }
            Op::Create => Ok(Apply::Create {
                obj: dm::resolve(objs, path)?.oid,
                named: None,
            }),
            Op::WriteComposite => Ok(Apply::Composite),
            _ => Err(DmError::METHOD_NOT_ALLOWED),
        }
    }

    /// A Create that has not created its instance yet.
    fn needs_instance(&self) -> bool {
        matches!(self, Apply::Create { named: None, .. })
    }

    /// Creates the instance of a Create; `named` is the instance ID the payload gives
    /// (65535: none, the lowest free one is used).
    fn name_instance(
        &mut self,
        objs: &mut dyn Objects,
        txn: &mut TxnSet,
        named: u16,
    ) -> DmResult<()> {
        if let Apply::Create { obj, named: n } = self {
            let iid =
                dm::create_instance(objs, txn, *obj, Some(named).filter(|&i| i != ID_INVALID))?;
            *n = Some((named, iid));
        }
        Ok(())
    }

    /// The data type the data model expects at `p`.
    fn type_of(&self, objs: &mut dyn Objects, p: &Path) -> Option<crate::io::value::DataType> {
        match self {
            Apply::Create {
                named: Some((_, iid)),
                ..
            } => dm::resource_type(objs, &with_iid(p, *iid)),
            Apply::Create { named: None, .. } => None,
            _ => dm::resource_type(objs, p),
        }
    }

    /// Applies one decoded entry.
    fn entry(
        &mut self,
        objs: &mut dyn Objects,
        txn: &mut TxnSet,
        e: &crate::io::value::Entry<'_>,
    ) -> DmResult<()> {
        self.put(objs, txn, &e.path, &dm::WriteValue::Whole(e.value))
    }

    /// Applies one chunk of a String or Opaque value at `path` (`text`: a String) that
    /// comes in several blocks: at `offset`; `len` is the full length hint (the value's
    /// length, or 0 while it is not known).
    #[allow(clippy::too_many_arguments)]
    fn chunk(
        &mut self,
        objs: &mut dyn Objects,
        txn: &mut TxnSet,
        path: &Path,
        text: bool,
        data: &[u8],
        offset: usize,
        len: usize,
    ) -> DmResult<()> {
        let chunk = dm::WriteValue::Chunk {
            text,
            data,
            offset,
            // The handler's full length hint: 0 while it is not known.
            full_len: (len != 0).then_some(len),
        };
        #[cfg(feature = "bootstrap")]
        if offset == 0 {
            self.prepare(
                objs,
                txn,
                &crate::io::value::Entry::new(*path, crate::io::value::Value::Null),
            )?;
        }
        self.put(objs, txn, path, &chunk)
    }

    /// Writes `value` (a whole value, or a chunk of a value of its type) at `path`.
    fn put(
        &mut self,
        objs: &mut dyn Objects,
        txn: &mut TxnSet,
        path: &Path,
        value: &dm::WriteValue<'_>,
    ) -> DmResult<()> {
        match self {
            Apply::Write {
                obj,
                path: base,
                kind,
                any,
            } => {
                *any = true;
                dm::write_entry_as(objs, *obj, base, path, value, *kind)
            }
            Apply::Create { obj, named } => {
                let given = path.iid().ok_or(DmError::BAD_REQUEST)?;
                if named.is_none() {
                    self.name_instance(objs, txn, given)?;
                    return self.put(objs, txn, path, value);
                }
                let Some((n, iid)) = *named else {
                    return Err(DmError::INTERNAL);
                };
                // One instance per Create.
                if n != given {
                    return Err(DmError::BAD_REQUEST);
                }
                if path.len() < 3
                    && matches!(value, dm::WriteValue::Whole(crate::io::value::Value::Null))
                {
                    // The (empty) Object Instance record itself.
                    return Ok(());
                }
                let base = Path::new(&[*obj, iid]);
                let p = with_iid(path, iid);
                dm::write_entry_as(objs, *obj, &base, &p, value, WriteKind::Create)
            }
            #[cfg(feature = "bootstrap")]
            Apply::Bootstrap {
                obj,
                path: base,
                any,
                ..
            } => {
                if path.len() < 3 {
                    // An (empty) Object Instance record.
                    return Ok(());
                }
                *any = true;
                dm::write_entry_as(objs, *obj, base, path, value, WriteKind::Bootstrap)
            }
            Apply::Composite => {
                if path.len() < 3 {
                    return Err(DmError::BAD_REQUEST);
                }
                let oid = path.oid().unwrap_or(ID_INVALID);
                if dm::is_protected(oid) {
                    return Err(DmError::UNAUTHORIZED);
                }
                dm::object(objs, oid)?;
                txn.join(objs, oid)?;
                dm::write_entry_as(objs, oid, &Path::ROOT, path, value, WriteKind::Composite)
            }
        }
    }

    /// Completes the operation once every entry was applied; a Create gives the path of
    /// its instance (created now if the payload had no entries).
    fn end(&mut self, objs: &mut dyn Objects, txn: &mut TxnSet) -> DmResult<Option<(u16, u16)>> {
        match *self {
            Apply::Write { path, any, .. } => {
                // A single value must be there when the target is one.
                let single = path.len() == 4 || (path.len() == 3 && !dm::is_multiple(objs, &path));
                if !any && single {
                    return Err(DmError::BAD_REQUEST);
                }
                Ok(None)
            }
            Apply::Create { obj, named } => {
                let iid = match named {
                    Some((_, iid)) => iid,
                    None => dm::create_instance(objs, txn, obj, None)?,
                };
                Ok(Some((obj, iid)))
            }
            Apply::Composite => Ok(None),
            #[cfg(feature = "bootstrap")]
            Apply::Bootstrap { path, any, .. } => {
                // A Resource must be given a value.
                if path.len() == 3 && !any {
                    return Err(DmError::BAD_REQUEST);
                }
                Ok(None)
            }
        }
    }

    /// A Bootstrap-Write for `path` of `obj`.
    #[cfg(feature = "bootstrap")]
    pub(super) fn bootstrap(obj: u16, path: Path) -> Apply {
        Apply::Bootstrap {
            obj,
            path,
            any: false,
            cleared: None,
            replaced: None,
        }
    }

    /// What a Bootstrap-Write does for an entry before any value is written (its
    /// values are typed by the data model, so their instance must exist): the entry
    /// must lie under the request's path; a request for an Object or Object Instance
    /// replaces each Object Instance it names (a PUT, as Write-Replace: created if
    /// missing, else reset with `inst_reset` so that what the payload leaves out goes
    /// back to its default, as in Anjay Lite; LwM2M 1.1/1.2 TS Core §5.2.7.4, §6.3.3);
    /// a Multiple-Instance Resource loses the instances it had. An instance is reset
    /// once for its run of entries (they come together in every format's encoding of
    /// an instance).
    #[cfg(feature = "bootstrap")]
    pub(super) fn prepare(
        &mut self,
        objs: &mut dyn Objects,
        txn: &mut TxnSet,
        e: &crate::io::value::Entry<'_>,
    ) -> DmResult<()> {
        let Apply::Bootstrap {
            obj,
            path,
            cleared,
            replaced,
            ..
        } = self
        else {
            return Ok(());
        };
        if !path.is_prefix_of(&e.path) {
            return Err(DmError::BAD_REQUEST);
        }
        let iid = e.path.iid().ok_or(DmError::BAD_REQUEST)?;
        if !dm::object(objs, *obj)?.has_instance(iid) {
            dm::create_instance(objs, txn, *obj, Some(iid))?;
            *replaced = Some(iid);
        } else if path.len() < 3 && *replaced != Some(iid) {
            dm::replace_prepare(
                objs,
                &dm::Target {
                    oid: *obj,
                    path: Path::new(&[*obj, iid]),
                },
            )?;
            *replaced = Some(iid);
        }
        if let [_, iid, rid, _] = *e.path.as_slice() {
            if *cleared != Some((iid, rid)) {
                match dm::clear_res_instances(objs, *obj, iid, rid) {
                    // Unknown resources are skipped when the values are written.
                    Ok(()) | Err(DmError::NOT_FOUND) => {}
                    Err(err) => return Err(err),
                }
                *cleared = Some((iid, rid));
            }
        }
        Ok(())
    }

    /// The payload of a Bootstrap-Write in one message, decoded twice: first to
    /// [`Apply::prepare`] every entry, then to write them.
    #[cfg(feature = "bootstrap")]
    pub(super) fn bootstrap_all(
        &mut self,
        objs: &mut dyn Objects,
        txn: &mut TxnSet,
        fmt: Format,
        payload: &[u8],
    ) -> DmResult<()> {
        let Apply::Bootstrap { path, .. } = *self else {
            return Err(DmError::INTERNAL);
        };
        let mut scratch = [0u8; crate::config::IN_MSG_BUFFER_SIZE];
        let mut dec = fmt.decoder(path, payload, &mut scratch);
        while let Some(e) = dec.next_entry(&|_| None).map_err(decode_error)? {
            self.prepare(objs, txn, &e)?;
        }
        let mut dec = fmt.decoder(path, payload, &mut scratch);
        {
            // The decoder asks for types while the entries are written: both reach the
            // objects, one at a time.
            let objs = Lent::new(objs);
            let type_of = |p: &Path| objs.with(|o| dm::resource_type(o, p)).flatten();
            while let Some(e) = dec.next_entry(&type_of).map_err(decode_error)? {
                objs.with(|o| self.entry(o, txn, &e))
                    .ok_or(DmError::INTERNAL)??;
            }
        }
        self.end(objs, txn).map(|_| ())
    }
}

/// The object set shared by a decoder's type lookups and the writes of the entries it
/// decodes, one at a time: lent to each use and taken back after it (a `Cell`, so no
/// borrow flag and no panic path as with a `RefCell`).
struct Lent<'o, 'a>(core::cell::Cell<Option<&'o mut (dyn Objects + 'a)>>);

impl<'o, 'a> Lent<'o, 'a> {
    fn new(objs: &'o mut (dyn Objects + 'a)) -> Self {
        Lent(core::cell::Cell::new(Some(objs)))
    }

    /// `f` on the set; `None` if it is lent already (a nested use, which never happens).
    fn with<R>(&self, f: impl FnOnce(&mut (dyn Objects + 'a)) -> R) -> Option<R> {
        let objs = self.0.take()?;
        let r = f(&mut *objs);
        self.0.set(Some(objs));
        Some(r)
    }
}

/// Location-Path of a created instance (§6.3.7); the response code 2.01.
fn location(w: &mut MessageWriter<'_>, oid: u16, iid: u16) -> DmResult<Code> {
    let mut digits = [0u8; crate::io::DECIMAL_MAX_LEN];
    for id in [oid, iid] {
        w.option(
            opt::LOCATION_PATH,
            crate::io::decimal_u64(id.into(), &mut digits),
        )
        .map_err(|_| DmError::INTERNAL)?;
    }
    Ok(Code::CREATED)
}

use crate::dm::io_error;

/// Errors of decoding a request payload: a format that cannot express the request is
/// 4.15, anything else wrong with the payload 4.00.
pub(super) fn decode_error(e: IoError) -> DmError {
    match e {
        IoError::Unsupported => DmError::UNSUPPORTED_FORMAT,
        IoError::BufferTooSmall => DmError::TOO_LARGE,
        _ => DmError::BAD_REQUEST,
    }
}

/// The decoder of the request payload's format; 4.15 when there is no Content-Format or
/// this build does not have it.
fn input_format(req: &Message<'_>) -> DmResult<Format> {
    req.content_format()
        .and_then(Format::from_content_format)
        .ok_or(DmError::UNSUPPORTED_FORMAT)
}

/// The Content-Format of a Read or Observe response: the Accept option's, if this build
/// can encode it, else 4.06; without Accept, [`format::PREFERRED`] whatever the target, as
/// in Anjay Lite 3.0.0 (a single value too, which text/plain would also fit).
fn response_format(req: &Message<'_>) -> DmResult<u16> {
    match req.accept() {
        Some(accept) if format::can_encode(accept) => Ok(accept),
        Some(_) => Err(DmError::NOT_ACCEPTABLE),
        None => Ok(format::PREFERRED),
    }
}

#[cfg(feature = "bootstrap")]
pub(super) fn read(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    target: &dm::Target,
    ctx: &mut Ctx<'_>,
) -> DmResult<Code> {
    read_resolved(req, w, &dm::Resolved::of(ctx.objs, *target), ctx)
}

/// [`read`] of a target resolved by this request (nothing was called in between that may
/// have changed the object's tables).
fn read_resolved(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    resolved: &dm::Resolved,
    ctx: &mut Ctx<'_>,
) -> DmResult<Code> {
    let target = &resolved.target;
    // The target before the format, as Anjay Lite: a resource that cannot be read is
    // 4.05 whatever the Accept (test_dm.py::test_read_write_on_unsupported_resources).
    if target.path.len() >= 3 {
        resolved.check_readable_resource()?;
    }
    let cf = response_format(req)?;
    w.uint_option(opt::CONTENT_FORMAT, cf.into())
        .map_err(|_| DmError::INTERNAL)?;
    let fmt = Format::from_content_format(cf).ok_or(DmError::NOT_ACCEPTABLE)?;
    // A single-value format can only answer for a single value.
    let path = &target.path;
    let single = path.len() == 4 || (path.len() == 3 && !resolved.is_multiple());
    if fmt.is_single_value() && !single {
        return Err(DmError::NOT_ACCEPTABLE);
    }
    #[cfg(feature = "external-data")]
    let ext = &mut *ctx.ext_read;
    #[cfg(feature = "external-data")]
    if ext.key != Some((*path, cf)) {
        ext.clear(ctx.objs);
    }
    let objs = &mut *ctx.objs;
    let r = send_payload(req, w, &mut |out, skip| {
        let count = match fmt.counts_records() {
            true => resolved.count_readable(objs)?,
            false => 0,
        };
        let mut enc = fmt.counted_encoder(target.path, out, skip, count);
        resolved.read_each_held(objs, &mut enc)?;
        enc.finish().map_err(io_error)
    });
    // An external value may stay open for the next block of this Read.
    #[cfg(feature = "external-data")]
    if r.is_ok() {
        ext.key = Some((*path, cf));
        ext.deadline = crate::time::after(ctx.now, ctx.block_timeout);
    } else {
        ext.clear(ctx.objs);
    }
    r?;
    Ok(Code::CONTENT)
}

/// Observe (LwM2M 1.1 TS Core §6.4.1, RFC 7641 §3.1): a Read with Observe 0 that, when it
/// succeeds, registers the observation (replacing one with the same token); Observe 1
/// cancels it (§6.4.3) and reads. With the table full the server gets a plain Read
/// response, without the Observe option (RFC 7641 §4.1).
#[cfg(feature = "observe")]
fn observe(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    resolved: &dm::Resolved,
    flag: u32,
    ctx: &mut Ctx<'_>,
) -> DmResult<Code> {
    use crate::observe::{EvalState, SEQ_MASK};
    let target = &resolved.target;
    let token = req.token();
    if flag != 0 {
        ctx.observe.cancel_token(token);
        return read_resolved(req, w, resolved, ctx);
    }
    #[cfg(feature = "lwm2m12")]
    let req_attrs = request_attrs(req, &target.path, ctx)?;
    let room = ctx.observe.room_for(token, 1);
    if room {
        w.uint_option(opt::OBSERVE, ctx.observe.seq & SEQ_MASK)
            .map_err(|_| DmError::INTERNAL)?;
    } else {
        crate::log_warning!("observation table full: answering as a plain Read");
    }
    let code = read_resolved(req, w, resolved, ctx)?;
    if room {
        ctx.observe.cancel_token(token);
        let cf = response_format(req)?;
        let sample = crate::observe::sample(ctx.objs, &target.path);
        let state = EvalState::started(ctx.now, sample);
        let added = ctx.observe.add(token, target.path, false, cf, state);
        #[cfg(feature = "lwm2m12")]
        if let Some(i) = added {
            if let Some(o) = ctx.observe.get_mut(i) {
                o.req_attrs = crate::dm::attributes::Slot::pack(&req_attrs);
            }
        }
        let _ = added;
        ctx.observe.seq = ctx.observe.seq.wrapping_add(1);
    }
    Ok(code)
}

/// Notification attributes carried in an Observe or Observe-Composite request (LwM2M 1.2
/// TS Core §6.4.1): they apply to that observation only.
#[cfg(all(feature = "observe", feature = "lwm2m12"))]
fn request_attrs(
    req: &Message<'_>,
    path: &Path,
    ctx: &mut Ctx<'_>,
) -> DmResult<crate::dm::attributes::Attrs> {
    let update = crate::dm::attributes::AttrUpdate::parse(req.uri_query())?;
    let mut a = crate::dm::attributes::Attrs::default();
    a.apply(&update);
    if !a.is_empty() {
        a.validate(path)?;
        if path.len() >= 3 {
            a.check_type(dm::resource_type(ctx.objs, path))?;
        }
    }
    Ok(a)
}

/// Writes a response payload into `out`: whole (`None`) or a window of it (`Some(skip)`).
pub(super) type Produce<'p> = dyn FnMut(&mut [u8], Option<usize>) -> DmResult<usize> + 'p;

/// Makes the payload, given by `produce(out, window)`, the response's payload: whole when
/// it fits and the server did not ask for a block, else one Block2 block (RFC 7959 §2.2).
/// `produce(out, None)` writes the whole payload into `out` and returns its length, or
/// fails with 4.13 when it does not fit; `produce(out, Some(skip))` writes the bytes of
/// the whole payload from `skip` on, as many as fit, and returns the whole length.
fn send_payload(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    produce: &mut Produce<'_>,
) -> DmResult<()> {
    let requested = if req.has_option(opt::BLOCK2) {
        // A Block2 option that does not decode is a bad request (RFC 7959 §2.2).
        Some(req.block2().ok_or(DmError::BAD_REQUEST)?)
    } else {
        None
    };
    payload_blockwise(requested, req.has_option(opt::SIZE2), w, produce)
}

/// [`send_payload`] for a given Block2 request (`None`: the whole payload, or its first
/// block when it does not fit); also used by notifications, whose first block goes out
/// unrequested (RFC 7959 §2.6). `size2`: Size2 was asked for.
pub(super) fn payload_blockwise(
    requested: Option<crate::coap::Block>,
    size2: bool,
    w: &mut MessageWriter<'_>,
    produce: &mut Produce<'_>,
) -> DmResult<()> {
    // At most ANJ_OUT_PAYLOAD_BUFFER_SIZE bytes of payload per message.
    if requested.is_none() {
        let space = w.payload_space();
        let limit = super::block::payload_limit(space.len());
        match produce(space.get_mut(..limit).unwrap_or_default(), None) {
            Ok(n) => return w.commit_payload(n).map_err(|_| DmError::INTERNAL),
            Err(e) if e == DmError::TOO_LARGE => {}
            Err(e) => return Err(e),
        }
    }
    // Room for the payload once Block2 (at most 4 bytes) and Size2 (at most 6) are written.
    let room = super::block::payload_limit(w.payload_space().len().saturating_sub(10));
    let plan = super::block::plan(requested, room).ok_or(DmError::TOO_LARGE)?;
    let total = produce(&mut [], Some(0))?;
    if plan.offset() >= total && !(plan.num == 0 && total == 0) {
        // A block past the end of the representation.
        return Err(DmError::BAD_REQUEST);
    }
    w.block_option(opt::BLOCK2, plan.option(total))
        .map_err(|_| DmError::INTERNAL)?;
    // Size2: the size of the whole representation, on the first block or when asked for
    // with Size2 = 0 (RFC 7959 §4).
    if plan.num == 0 || size2 {
        w.uint_option(opt::SIZE2, u32::try_from(total).unwrap_or(u32::MAX))
            .map_err(|_| DmError::INTERNAL)?;
    }
    let space = w.payload_space();
    let len = plan.size().min(total - plan.offset()).min(space.len());
    let out = space.get_mut(..len).ok_or(DmError::INTERNAL)?;
    produce(out, Some(plan.offset()))?;
    w.commit_payload(len).map_err(|_| DmError::INTERNAL)
}

/// The `depth` parameter of a Discover (LwM2M 1.1 TS Core §6.3.6): 0..=3, else 4.00.
fn discover_depth(req: &Message<'_>) -> DmResult<Option<u8>> {
    for q in req.uri_query() {
        if let Some(v) = q.strip_prefix(b"depth=") {
            return match v {
                [d @ b'0'..=b'3'] => Ok(Some(d - b'0')),
                _ => Err(DmError::BAD_REQUEST),
            };
        }
        if q == b"depth" {
            return Err(DmError::BAD_REQUEST);
        }
    }
    Ok(None)
}

fn discover(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    path: &Path,
    ctx: &mut Ctx<'_>,
) -> DmResult<Code> {
    if cfg!(not(feature = "discover")) {
        return Err(DmError::NOT_IMPLEMENTED);
    }
    // Discover targets an Object, Instance or Resource (§6.3.6).
    if path.len() > 3 {
        return Err(DmError::BAD_REQUEST);
    }
    let depth = discover_depth(req)?;
    let target = dm::resolve(ctx.objs, path)?;
    w.uint_option(opt::CONTENT_FORMAT, format::LINK_FORMAT.into())
        .map_err(|_| DmError::INTERNAL)?;
    #[cfg(all(feature = "discover-attr", feature = "observe"))]
    let (attrs, ssid) = (&*ctx.attrs, ctx.ssid);
    // Without attributes of this server, no record has any: no lookup per record.
    #[cfg(all(feature = "discover-attr", feature = "observe"))]
    let any_attrs = attrs.any_for(ssid);
    let objs = &mut *ctx.objs;
    send_payload(req, w, &mut |out, skip| {
        let mut lw = match skip {
            None => LinkWriter::new(out),
            Some(skip) => LinkWriter::new_window(out, skip),
        };
        let e = |_| DmError::TOO_LARGE;
        let mut first = true;
        dm::discover_each(objs, &target, depth, &mut |item| {
            match item.version {
                Some(_) => lw.object(item.path.oid().unwrap_or(0), item.version),
                None => lw.path(item.path.as_slice()),
            }
            .map_err(e)?;
            if let Some(d) = item.dim {
                lw.attr_uint("dim", d.into()).map_err(e)?;
            }
            // The attributes of each record (§6.3.6, §5.1.2); the target's own record also
            // shows those it inherits from the levels above it.
            #[cfg(all(feature = "discover-attr", feature = "observe"))]
            if any_attrs {
                let found = if first {
                    attrs.effective(ssid, &item.path)
                } else {
                    attrs.get(ssid, &item.path)
                };
                if let Some(a) = found {
                    a.for_each(|name, v| write_attr(&mut lw, name, v))?;
                }
            }
            first = false;
            Ok(())
        })?;
        let _ = first;
        Ok(lw.len())
    })?;
    Ok(Code::CONTENT)
}

#[cfg(all(feature = "discover-attr", feature = "observe"))]
fn write_attr(
    lw: &mut LinkWriter<'_>,
    name: &str,
    v: crate::dm::attributes::AttrValue,
) -> DmResult<()> {
    use crate::dm::attributes::AttrValue;
    let e = |_| DmError::TOO_LARGE;
    match v {
        AttrValue::Uint(u) => lw.attr_uint(name, u.into()).map_err(e),
        AttrValue::Double(d) => {
            let mut buf = [0u8; 32];
            let mut sw = crate::io::value::SliceWriter::new(&mut buf);
            crate::io::value::write_f64(&mut sw, d).map_err(|_| DmError::INTERNAL)?;
            let n = sw.pos;
            let s = core::str::from_utf8(buf.get(..n).unwrap_or_default())
                .map_err(|_| DmError::INTERNAL)?;
            lw.attr(name, s).map_err(e)
        }
    }
}

/// Write-Attributes (§6.3.4): merges the Uri-Query attributes into the stored ones of
/// this server and path; checks them (§5.1.2) and answers 2.04, or 4.00 and changes
/// nothing.
fn write_attributes(req: &Message<'_>, path: &Path, ctx: &mut Ctx<'_>) -> DmResult<Code> {
    #[cfg(feature = "observe")]
    {
        use crate::dm::attributes::AttrUpdate;
        dm::resolve(ctx.objs, path)?;
        dm::check_readable(ctx.objs, path)?;
        let update = AttrUpdate::parse(req.uri_query())?;
        let rtype = dm::resource_type(ctx.objs, path);
        ctx.attrs.write(ctx.ssid, path, &update, |a| {
            if a.has_value_condition() {
                a.check_type(rtype)
            } else {
                Ok(())
            }
        })?;
        Ok(Code::CHANGED)
    }
    #[cfg(not(feature = "observe"))]
    {
        let _ = (req, path, ctx);
        Err(DmError::NOT_IMPLEMENTED)
    }
}

/// Write-Replace / Write-Partial-Update (§6.3.3), atomic per request: every value goes in
/// one transaction of the target object, which rolls back if any write or validation fails.
fn write(req: &Message<'_>, path: &Path, ctx: &mut Ctx<'_>, replace: bool) -> DmResult<()> {
    // Writes address an Instance, a Resource or a Resource Instance (§6.3.3).
    if path.len() < 2 {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let resolved = dm::resolve_full(ctx.objs, path)?;
    let fmt = input_format(req)?;
    let op = if replace {
        Op::WriteReplace
    } else {
        Op::WritePartial
    };
    run_one_shot(Some(fmt), op, path, Some(resolved), req.payload(), ctx).map(|_| ())
}

/// A Write, Create or Write-Composite whose payload came whole: begin, apply every entry
/// of `payload`, end (see [`Apply`]); all in one set of transactions that rolls back if
/// anything fails. A Create gives the path of its new instance.
// Out of line: its message-sized buffers stay off the stack of every other request.
#[inline(never)]
fn run_one_shot(
    fmt: Option<Format>,
    op: Op,
    path: &Path,
    resolved: Option<dm::Resolved>,
    payload: &[u8],
    ctx: &mut Ctx<'_>,
) -> DmResult<Option<(u16, u16)>> {
    let objs = &mut *ctx.objs;
    let mut txn = TxnSet::default();
    let result = (|| {
        let mut apply = Apply::begin(op, path, resolved, objs, &mut txn)?;
        let mut scratch = [0u8; crate::config::IN_MSG_BUFFER_SIZE];
        let fmt = match fmt {
            Some(f) => f,
            None if payload.is_empty() => return apply.end(objs, &mut txn),
            None => return Err(DmError::UNSUPPORTED_FORMAT),
        };
        if apply.needs_instance() {
            // First pass: check the payload and find the instance it names (one instance),
            // which must exist before the values can be typed.
            let mut named: Option<u16> = None;
            let mut dec = fmt.decoder(*path, payload, &mut scratch);
            while let Some(e) = dec.next_entry(&|_| None).map_err(decode_error)? {
                let iid = e.path.iid().ok_or(DmError::BAD_REQUEST)?;
                if named.is_some_and(|n| n != iid) {
                    return Err(DmError::BAD_REQUEST);
                }
                named = Some(iid);
            }
            if let Some(n) = named {
                apply.name_instance(objs, &mut txn, n)?;
            }
        }
        let mut dec = fmt.decoder(*path, payload, &mut scratch);
        let typing = apply;
        {
            // The decoder asks for types while the entries are written: both reach the
            // objects, one at a time.
            let objs = Lent::new(objs);
            let type_of = |p: &Path| objs.with(|o| typing.type_of(o, p)).flatten();
            while let Some(e) = dec.next_entry(&type_of).map_err(decode_error)? {
                objs.with(|o| apply.entry(o, &mut txn, &e))
                    .ok_or(DmError::INTERNAL)??;
            }
        }
        apply.end(objs, &mut txn)
    })();
    match result {
        Ok(created) => {
            txn.finish(objs, Ok(()))?;
            Ok(created)
        }
        Err(e) => {
            let _ = txn.finish(objs, Err(e));
            Err(e)
        }
    }
}

/// `path` with its Instance ID replaced (Create payloads may leave it out: 65535).
fn with_iid(p: &Path, iid: u16) -> Path {
    let mut ids = [0u16; 4];
    let src = p.as_slice();
    ids[..src.len()].copy_from_slice(src);
    if src.len() > 1 {
        ids[1] = iid;
    }
    Path::new(&ids[..src.len()])
}

/// Create (§6.3.7): POST on an Object. The payload names the new Instance (TLV Object
/// Instance, SenML names) or not (bare resources; an empty payload): then the lowest free
/// IID is used. The instance and its values are one transaction; 2.01 Created carries the
/// new instance's path in Location-Path.
fn create(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    path: &Path,
    ctx: &mut Ctx<'_>,
) -> DmResult<Code> {
    dm::resolve(ctx.objs, path)?;
    let payload = req.payload();
    // An empty payload needs no format.
    let fmt = if payload.is_empty() {
        None
    } else {
        Some(input_format(req)?)
    };
    let (oid, iid) =
        run_one_shot(fmt, Op::Create, path, None, payload, ctx)?.ok_or(DmError::INTERNAL)?;
    // No Update follows: the server made the change itself (as in Anjay Lite).
    location(w, oid, iid)
}

/// Delete (§6.3.9): an Object Instance or a Resource Instance; other levels are 4.05.
fn delete(path: &Path, ctx: &mut Ctx<'_>) -> DmResult<Code> {
    if path.len() != 2 && path.len() != 4 {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    // The object must exist (and be the server's to change); the rest is looked up
    // inside its transaction.
    let oid = dm::resolve(ctx.objs, &Path::new(&path.as_slice()[..1]))?.oid;
    let target = dm::Target { oid, path: *path };
    let mut txn = TxnSet::default();
    let r = dm::delete(ctx.objs, &mut txn, &target);
    txn.finish(ctx.objs, r)?;
    // No Update follows: the server made the change itself (as in Anjay Lite).
    // Attributes of what no longer exists go with it.
    #[cfg(feature = "observe")]
    ctx.attrs.remove_under(path);
    Ok(Code::DELETED)
}

/// Encodes the values at `p`, which may be the root (every object the server may read),
/// as one part of a composite payload; with `skip_missing`, a path that no longer exists
/// adds nothing instead of failing.
#[cfg(any(feature = "observe", feature = "composite-operations"))]
pub(super) fn read_path(
    objs: &mut dyn Objects,
    p: &Path,
    enc: &mut crate::io::format::AnyEncoder<'_>,
    skip_missing: bool,
) -> DmResult<()> {
    each_target(objs, p, skip_missing, &mut |objs, t| {
        dm::read_each(objs, t, enc)
    })
}

/// How many values [`read_path`] encodes for each path of `paths` together, when `fmt`
/// wants the record count up front ([`Format::counts_records`]); else 0, at no cost.
#[cfg(any(feature = "observe", feature = "composite-operations"))]
pub(super) fn count_paths<'p>(
    fmt: Format,
    objs: &mut dyn Objects,
    paths: impl IntoIterator<Item = &'p Path>,
    skip_missing: bool,
) -> DmResult<usize> {
    let mut n = 0;
    if fmt.counts_records() {
        for p in paths {
            each_target(objs, p, skip_missing, &mut |objs, t| {
                n += dm::count_readable(objs, t)?;
                Ok(())
            })?;
        }
    }
    Ok(n)
}

/// Calls `f` with the target of `p` (every object but the protected ones for the root).
#[cfg(any(feature = "observe", feature = "composite-operations"))]
fn each_target(
    objs: &mut dyn Objects,
    p: &Path,
    skip_missing: bool,
    f: &mut dyn FnMut(&mut dyn Objects, &dm::Target) -> DmResult<()>,
) -> DmResult<()> {
    if p.is_empty() {
        let mut i = 0;
        while let Some(oid) = objs.oid_at(i) {
            i += 1;
            if !dm::is_protected(oid) {
                f(
                    objs,
                    &dm::Target {
                        oid,
                        path: Path::new(&[oid]),
                    },
                )?;
            }
        }
        return Ok(());
    }
    match dm::resolve(objs, p) {
        Ok(t) => f(objs, &t),
        Err(e) if skip_missing && e == DmError::NOT_FOUND => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether `cf` can carry a composite (multi-object) payload: SenML (and later LwM2M
/// CBOR), not TLV or the single-value formats.
fn is_composite_format(cf: u16) -> bool {
    Format::from_content_format(cf)
        .is_some_and(|f| !f.is_single_value() && f.content_format() != format::TLV)
}

/// Read-Composite (§6.3.2): FETCH on `/` whose payload lists paths (SenML records with
/// names only). Paths that do not exist or hold nothing readable are left out; more than
/// `ANJ_DM_MAX_COMP_READ_ENTRIES` readable paths is 5.00, as in Anjay Lite.
// Out of line: its message-sized buffers stay off the stack of every other request.
#[inline(never)]
fn read_composite(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    ctx: &mut Ctx<'_>,
) -> DmResult<Code> {
    #[cfg(feature = "composite-operations")]
    {
        use crate::config::DM_MAX_COMP_READ_ENTRIES;
        let fmt = input_format(req)?;
        if !is_composite_format(fmt.content_format()) {
            return Err(DmError::UNSUPPORTED_FORMAT);
        }
        let out_cf = match req.accept() {
            Some(a) if is_composite_format(a) => a,
            Some(_) => return Err(DmError::NOT_ACCEPTABLE),
            None => format::PREFERRED,
        };
        let out_fmt = Format::from_content_format(out_cf).ok_or(DmError::NOT_ACCEPTABLE)?;
        let mut paths = [Path::ROOT; DM_MAX_COMP_READ_ENTRIES];
        let mut count = 0;
        {
            let mut scratch = [0u8; crate::config::IN_MSG_BUFFER_SIZE];
            let mut dec = fmt.decoder(Path::ROOT, req.payload(), &mut scratch);
            while let Some(e) = dec.next_entry(&|_| None).map_err(decode_error)? {
                if dm::check_readable(ctx.objs, &e.path).is_err() {
                    continue;
                }
                *paths.get_mut(count).ok_or(DmError::INTERNAL)? = e.path;
                count += 1;
            }
        }
        // Observe-Composite (LwM2M 1.1 TS Core §6.4.1): Observe 0 registers every path
        // under the request's token; Observe 1 cancels (Cancel-Observe-Composite, §6.4.3).
        #[cfg(feature = "observe-composite")]
        let observing = match req.observe() {
            Some(0) if count > 0 && ctx.observe.room_for(req.token(), count) => {
                w.uint_option(opt::OBSERVE, ctx.observe.seq & crate::observe::SEQ_MASK)
                    .map_err(|_| DmError::INTERNAL)?;
                true
            }
            Some(0) => {
                crate::log_warning!("observation table full: answering as a plain Read-Composite");
                false
            }
            Some(_) => {
                ctx.observe.cancel_token(req.token());
                false
            }
            None => false,
        };
        w.uint_option(opt::CONTENT_FORMAT, out_cf.into())
            .map_err(|_| DmError::INTERNAL)?;
        let space = w.payload_space();
        let records = count_paths(out_fmt, ctx.objs, paths.iter().take(count), false)?;
        let mut enc = out_fmt.counted_encoder(Path::ROOT, space, None, records);
        for p in paths.iter().take(count) {
            read_path(ctx.objs, p, &mut enc, false)?;
        }
        let n = enc.finish().map_err(io_error)?;
        w.commit_payload(n).map_err(|_| DmError::INTERNAL)?;
        #[cfg(feature = "observe-composite")]
        if observing {
            ctx.observe.cancel_token(req.token());
            for p in paths.iter().take(count) {
                let sample = crate::observe::sample(ctx.objs, p);
                let state = crate::observe::EvalState::started(ctx.now, sample);
                let _ = ctx.observe.add(req.token(), *p, true, out_cf, state);
            }
            ctx.observe.seq = ctx.observe.seq.wrapping_add(1);
        }
        Ok(Code::CONTENT)
    }
    #[cfg(not(feature = "composite-operations"))]
    {
        let _ = (req, w, ctx, is_composite_format);
        Err(DmError::NOT_IMPLEMENTED)
    }
}

/// Write-Composite (§6.3.8): iPATCH on `/` with values for Resources of any objects.
/// All of it is one transaction over every object touched: each object's
/// `transaction_begin` runs when the first value for it arrives, and all are validated
/// and ended together, so either every value is written or none is.
fn write_composite(req: &Message<'_>, ctx: &mut Ctx<'_>) -> DmResult<()> {
    #[cfg(feature = "composite-operations")]
    {
        let fmt = input_format(req)?;
        if !is_composite_format(fmt.content_format()) {
            return Err(DmError::UNSUPPORTED_FORMAT);
        }
        run_one_shot(
            Some(fmt),
            Op::WriteComposite,
            &Path::ROOT,
            None,
            req.payload(),
            ctx,
        )
        .map(|_| ())
    }
    #[cfg(not(feature = "composite-operations"))]
    {
        let _ = (req, ctx, is_composite_format);
        Err(DmError::NOT_IMPLEMENTED)
    }
}
