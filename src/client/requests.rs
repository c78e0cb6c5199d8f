//! The server's Device Management requests (LwM2M 1.1 TS Core §6.3, §8.2.5 mapping to
//! CoAP): decode the request, run the operation on the data model, encode the response.

use super::{Client, Link};
use crate::coap::{opt, Code, Message, MessageWriter, MsgType};
use crate::dm::{self, DiscoverItem, DmError, DmResult, Registry, Target, Transaction};
use crate::exchange::Dedup;
use crate::ffi::core::anj_t;
use crate::io::format::{self, Format};
use crate::io::link_format::LinkWriter;
use crate::io::value::{Decoder, Encoder, Entry, IoError, Path};
use crate::time::Instant;

/// Options this client understands; any other critical option gets 4.02 (RFC 7252 §5.4.1).
const KNOWN_OPTIONS: &[u16] = &[
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

impl Client {
    pub(super) fn handle_server_request(
        &mut self,
        now: Instant,
        link: &mut dyn Link,
        len: usize,
        anj: *mut anj_t,
    ) {
        let Some((ty, id)) = Message::peek_type_and_id(&self.in_buf[..len]) else {
            return;
        };
        let response_id = if ty == MsgType::Con {
            id
        } else {
            self.next_message_id()
        };
        let Ok(msg) = Message::parse(&self.in_buf[..len]) else {
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
        let n = respond(&msg, &mut self.out_buf, response_id, &self.registry, anj);
        self.dm_busy = false;
        let Some(n) = n else { return };
        if msg.msg_type() == MsgType::Con {
            self.dedup.store(id, &self.out_buf[..n]);
        }
        let _ = link.send(&self.out_buf[..n]);
        self.last_activity = now;
    }
}

/// What the request asks for.
enum Op {
    Read,
    Discover,
    WriteReplace,
    WritePartial,
    Execute,
}

/// Builds the response to `req` in `out`; `None` when nothing is to be sent.
fn respond(
    req: &Message<'_>,
    out: &mut [u8],
    response_id: u16,
    reg: &Registry,
    anj: *mut anj_t,
) -> Option<usize> {
    let ty = if req.msg_type() == MsgType::Con {
        MsgType::Ack
    } else {
        MsgType::Non
    };
    let mut w = MessageWriter::new(out, ty, Code::CONTENT, response_id, req.token()).ok()?;
    match process(req, &mut w, reg, anj) {
        Ok(code) => {
            let n = w.finish();
            // The code is known only once the operation ran; it lives in byte 1 (RFC 7252 §3).
            out[1] = code.0;
            Some(n)
        }
        Err(e) => {
            crate::log_debug!("request failed with {}.{:02}", e.0.class(), e.0.detail());
            // Start again: an error response carries no options or payload.
            let w = MessageWriter::new(out, ty, e.0, response_id, req.token()).ok()?;
            Some(w.finish())
        }
    }
}

fn path_of(req: &Message<'_>) -> DmResult<Path> {
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
    let code = req.code();
    Ok(match code {
        Code::GET if req.accept() == Some(format::LINK_FORMAT) => Op::Discover,
        Code::GET => Op::Read,
        Code::PUT if req.payload().is_empty() && req.content_format().is_none() => {
            // Write-Attributes (§6.3.4) belongs to the observation engine.
            return Err(DmError::METHOD_NOT_ALLOWED);
        }
        Code::PUT => Op::WriteReplace,
        Code::POST if path.len() == 3 => Op::Execute,
        Code::POST if path.len() == 2 => Op::WritePartial,
        _ => return Err(DmError::METHOD_NOT_ALLOWED),
    })
}

fn process(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    reg: &Registry,
    anj: *mut anj_t,
) -> DmResult<Code> {
    if req.first_unknown_critical(KNOWN_OPTIONS).is_some() {
        return Err(DmError(Code::BAD_OPTION));
    }
    let path = path_of(req)?;
    let op = classify(req, &path)?;
    if path.is_empty() {
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let target = dm::resolve(reg, &path)?;
    match op {
        Op::Read => read(req, w, &target, reg, anj),
        Op::Discover => discover(w, &target),
        Op::WriteReplace | Op::WritePartial => {
            write(req, &target, reg, anj, matches!(op, Op::WriteReplace))?;
            Ok(Code::CHANGED)
        }
        Op::Execute => {
            dm::execute(anj, &target, req.payload())?;
            Ok(Code::CHANGED)
        }
    }
}

/// The hierarchical format used when the server does not ask for one.
#[cfg(feature = "senml-cbor")]
const PREFERRED: u16 = format::SENML_CBOR;
#[cfg(not(feature = "senml-cbor"))]
const PREFERRED: u16 = format::TLV;

fn can_encode(cf: u16) -> bool {
    Format::from_content_format(cf).is_some()
}

fn io_error(e: IoError) -> DmError {
    match e {
        IoError::Unsupported => DmError(Code::NOT_ACCEPTABLE),
        // A response larger than the payload buffer: block-wise transfer is not available.
        IoError::BufferTooSmall => DmError(Code::REQUEST_ENTITY_TOO_LARGE),
        _ => DmError::INTERNAL,
    }
}

/// The format of a Read response: the requested one, else plain text for a single
/// resource (instance), else the preferred hierarchical format.
fn response_format(req: &Message<'_>, path: &Path, reg: &Registry) -> DmResult<u16> {
    if let Some(accept) = req.accept() {
        return if can_encode(accept) {
            Ok(accept)
        } else {
            Err(DmError(Code::NOT_ACCEPTABLE))
        };
    }
    let single = match path.len() {
        3 => !dm::is_multiple(reg, path),
        4 => true,
        _ => false,
    };
    Ok(if single && can_encode(format::TEXT) {
        format::TEXT
    } else {
        PREFERRED
    })
}

fn read(
    req: &Message<'_>,
    w: &mut MessageWriter<'_>,
    target: &Target,
    reg: &Registry,
    anj: *mut anj_t,
) -> DmResult<Code> {
    let cf = response_format(req, &target.path, reg)?;
    w.uint_option(opt::CONTENT_FORMAT, cf.into())
        .map_err(|_| DmError::INTERNAL)?;
    let space = w.payload_space();
    let fmt = Format::from_content_format(cf).ok_or(DmError(Code::NOT_ACCEPTABLE))?;
    let mut enc = fmt.encoder(target.path, space);
    dm::read_each(anj, target, &mut |p, v| {
        enc.entry(&Entry::new(*p, *v)).map_err(io_error)
    })?;
    let n = enc.finish().map_err(io_error)?;
    w.commit_payload(n).map_err(|_| DmError::INTERNAL)?;
    Ok(Code::CONTENT)
}

fn discover(w: &mut MessageWriter<'_>, target: &Target) -> DmResult<Code> {
    w.uint_option(opt::CONTENT_FORMAT, format::LINK_FORMAT.into())
        .map_err(|_| DmError::INTERNAL)?;
    let space = w.payload_space();
    let mut lw = LinkWriter::new(space);
    let e = |_| DmError(Code::REQUEST_ENTITY_TOO_LARGE);
    dm::discover_each(target, &mut |item| match item {
        DiscoverItem::Object { oid, version } => lw.object(oid, version).map_err(e),
        DiscoverItem::Instance { oid, iid } => lw.instance(oid, iid).map_err(e),
        DiscoverItem::Resource { path, dim } => {
            lw.path(path.as_slice()).map_err(e)?;
            match dim {
                Some(d) => lw.attr_uint("dim", d.into()).map_err(e),
                None => Ok(()),
            }
        }
        DiscoverItem::ResourceInstance { path } => lw.path(path.as_slice()).map_err(e),
    })?;
    let n = lw.len();
    w.commit_payload(n).map_err(|_| DmError::INTERNAL)?;
    Ok(Code::CONTENT)
}

/// Write-Replace / Write-Partial-Update (§6.3.3), atomic per request: every value goes in
/// one transaction of the target object, which rolls back if any write or validation fails.
fn write(
    req: &Message<'_>,
    target: &Target,
    reg: &Registry,
    anj: *mut anj_t,
    replace: bool,
) -> DmResult<()> {
    let cf = req.content_format().ok_or(DmError::BAD_REQUEST)?;
    let mut scratch = [0u8; crate::config::IN_MSG_BUFFER_SIZE];
    let fmt = Format::from_content_format(cf).ok_or(DmError(Code::UNSUPPORTED_CONTENT_FORMAT))?;
    let mut dec = fmt.decoder(target.path, req.payload(), &mut scratch);
    if replace && target.path.len() == 2 {
        // Replacing an instance needs the object to reset it first, which the built-in
        // mechanism leaves to `inst_reset` (the data model issue implements it).
        return Err(DmError::METHOD_NOT_ALLOWED);
    }
    let txn = Transaction::begin(anj, target.obj)?;
    let type_of = |p: &Path| dm::resource_type(reg, p);
    let mut result = Ok(());
    let mut any = false;
    loop {
        match dec.next_entry(&type_of) {
            Ok(Some(entry)) => {
                any = true;
                if !target.path.is_prefix_of(&entry.path) {
                    result = Err(DmError::BAD_REQUEST);
                    break;
                }
                if let Err(e) = dm::write_value(anj, target.obj, &entry.path, &entry.value) {
                    result = Err(e);
                    break;
                }
            }
            Ok(None) => break,
            Err(_) => {
                result = Err(DmError::BAD_REQUEST);
                break;
            }
        }
    }
    if result.is_ok() && !any {
        result = Err(DmError::BAD_REQUEST);
    }
    txn.finish(anj, result)
}
