//! The CoAP downloader (Anjay Lite's `anj/coap_downloader.h`), sans-IO: a GET of one
//! `coap://` resource, block by block (RFC 7959 Block2), on a connection of its own.
//!
//! Time, datagrams and randomness come in through [`Link`] and the `now` argument; the
//! payload goes out as [`Event`]s whose data lies in the caller's message buffer. The
//! downloader never holds the buffer nor the URI between calls, so the C wrapper
//! (`ffi::coap_downloader`) can hand both out to the application's callback while no
//! Rust reference into its state is alive: the callback may call back into the API
//! (terminate, suspend, start...), exactly as Anjay Lite allows.
//!
//! One `anj_coap_downloader_step` is [`Downloader::begin_step`] followed by
//! [`Downloader::poll`] until it returns `None`, delivering each event in between.
//!
//! Behaviour (same states, transitions and error codes as Anjay Lite 3.0.0):
//! * every block is one confirmable GET with a fresh token, retransmitted per the
//!   [`TxParams`] (RFC 7252 §4.2); the first one asks for the largest block that fits
//!   the message buffer, later ones use the size the server chose (RFC 7959 §2.4);
//! * each block's payload is reported as `Downloading` with its data, in order; the
//!   offset advances only after a block passed every check, so a retry re-requests
//!   exactly the block after the last one delivered;
//! * the ETag of the first response is remembered and every later response must carry
//!   the same one ([`Error::EtagMismatch`], never retried: the resource changed);
//! * failures other than that and termination close the connection and, while
//!   `retry_count` allows, reconnect after `retry_delay` and continue from the offset;
//!   every delivered block resets the attempt counter;
//! * suspend closes the connection and keeps the progress; resume reconnects and
//!   continues with the next block.

mod uri;

#[cfg(test)]
mod tests;

use crate::coap::{opt, Block, Code, Message, MessageWriter, MsgType};
use crate::exchange::{Match, Outcome, Pending, TxParams};
use crate::link::{Credentials, Link, NetStatus, Recv};
use crate::time::{after, Duration, Instant};

pub use uri::{Scheme, Uri, UriError};

macro_rules! dl_log {
    ($level:ident, $($arg:tt)+) => { $crate::anj_log!(coap_downloader, $level, $($arg)+) };
}

/// The downloader's states, numbered as the C face's downloader status values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    Initial = 0,
    Starting = 1,
    Downloading = 2,
    Finishing = 3,
    Finished = 4,
    Retrying = 5,
    WaitingForRetry = 6,
    Resuming = 7,
    Failed = 8,
    Suspended = 9,
}

/// The `ANJ_COAP_DOWNLOADER_ERR_*` codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i8)]
pub enum Error {
    InvalidUri = -1,
    InProgress = -2,
    InvalidConfiguration = -3,
    Terminated = -4,
    Network = -5,
    InvalidResponse = -6,
    Timeout = -7,
    Internal = -8,
    EtagMismatch = -9,
    InvalidState = -10,
}

impl Error {
    pub const fn code(self) -> i32 {
        self as i8 as i32
    }
}

/// What the C face's downloader configuration sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub tx: TxParams,
    /// Attempts allowed in a row without a delivered block (0 and 1: no retry).
    pub retry_count: u8,
    pub retry_delay: Duration,
}

/// One report for the event callback. `data` is `(offset, length)` of the payload in
/// the message buffer given to [`Downloader::poll`]; only `Downloading` carries data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub status: Status,
    pub data: Option<(usize, usize)>,
}

/// What the closing of a connection leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cleanup {
    None,
    Finalize,
    Retry,
    Suspend,
    Terminate,
}

/// Where the current step continues after an event was handed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resume {
    /// From the top of the state's work.
    Fresh,
    /// After the status report at the beginning of a state.
    AfterReport,
    /// After delivering a block; `last` when it was the final one.
    AfterData { last: bool },
    /// After reporting Finishing: settle on what `Cleanup` leads to.
    AfterFinishing(Cleanup),
    /// The step is over.
    Done,
}

/// Progress of the current block request while `Downloading`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Xfer {
    /// A new request (new Message ID and token) for the block at `offset`.
    New,
    /// The request is in the buffer, `out_len` bytes: send it (again, after
    /// `ANJ_NET_EINPROGRESS`).
    Send,
    /// Sent; waiting for the response.
    Wait,
}

/// Headroom left in the message buffer for a response's header, token and options
/// when the block size is chosen: a 2.05 with an 8-byte token, ETag, Block2, Size2,
/// Content-Format and Max-Age takes under 40 bytes.
const RESPONSE_OVERHEAD: usize = 64;

/// The largest Block2 size exponent whose block and [`RESPONSE_OVERHEAD`] fit in
/// `buf_len` (at least 16-byte blocks).
pub fn preferred_szx(buf_len: usize) -> u8 {
    let room = buf_len.saturating_sub(RESPONSE_OVERHEAD);
    let mut szx = Block::MAX_SZX;
    while szx > 0 && (16usize << szx) > room {
        szx -= 1;
    }
    szx
}

/// A CoAP download in progress (or not). See the module documentation.
pub struct Downloader {
    settings: Settings,
    status: Status,
    last_reported: Status,
    cleanup: Cleanup,
    error: Option<Error>,
    resume: Resume,
    now: Instant,
    uri: Option<Uri>,
    /// Bytes delivered so far: the next block starts here.
    offset: u32,
    /// Block size exponent of the next request.
    szx: u8,
    etag: [u8; 8],
    /// 0: no ETag seen yet (the next response's, if any, is adopted).
    etag_len: u8,
    attempts: u8,
    retry_at: Instant,
    xfer: Xfer,
    pending: Option<Pending>,
    out_len: u16,
    next_message_id: u16,
    message_id_seeded: bool,
}

/// How processing a datagram ended.
enum Rx {
    /// Not the response (or a duplicate): keep waiting.
    Ignored,
    /// A block arrived: its payload range and whether it was the last one.
    Block {
        start: usize,
        len: usize,
        last: bool,
    },
}

impl Downloader {
    pub const fn new(settings: Settings) -> Downloader {
        Downloader {
            settings,
            status: Status::Initial,
            last_reported: Status::Initial,
            cleanup: Cleanup::None,
            error: None,
            resume: Resume::Done,
            now: 0,
            uri: None,
            offset: 0,
            szx: 0,
            etag: [0; 8],
            etag_len: 0,
            attempts: 0,
            retry_at: 0,
            xfer: Xfer::New,
            pending: None,
            out_len: 0,
            next_message_id: 0,
            message_id_seeded: false,
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// The error of a failed download, 0 otherwise (`anj_coap_downloader_get_error`).
    pub fn error_code(&self) -> i32 {
        self.error.map_or(0, Error::code)
    }

    /// Bytes delivered so far in the current download.
    pub fn offset(&self) -> u32 {
        self.offset
    }

    /// Starts downloading `uri`. `has_net_config`: whether a network configuration
    /// (credentials) came with it; `buf_len`: the size of the message buffer that
    /// [`Downloader::poll`] will get.
    pub fn start(&mut self, uri: &[u8], has_net_config: bool, buf_len: usize) -> Result<(), Error> {
        if !matches!(
            self.status,
            Status::Initial | Status::Finished | Status::Failed
        ) {
            dl_log!(L_ERROR, "a download is already in progress or suspended");
            return Err(Error::InProgress);
        }
        let parsed = self.accept_uri(uri, has_net_config)?;
        self.uri = Some(parsed);
        self.offset = 0;
        self.szx = preferred_szx(buf_len);
        self.etag_len = 0;
        self.cleanup = Cleanup::None;
        self.status = Status::Starting;
        // Anything after the callback that may have called this is skipped.
        self.resume = Resume::Done;
        dl_log!(
            L_INFO,
            "starting the download ({}-byte blocks)",
            16u32 << self.szx
        );
        Ok(())
    }

    fn accept_uri(&mut self, uri: &[u8], has_net_config: bool) -> Result<Uri, Error> {
        let parsed = match Uri::parse(uri, crate::config::COAP_DOWNLOADER_MAX_PATHS_NUMBER) {
            Ok(u) => u,
            Err(e) => {
                dl_log!(L_ERROR, "invalid URI: {:?}", e);
                return Err(Error::InvalidUri);
            }
        };
        if parsed.scheme == Scheme::Coaps {
            if !has_net_config {
                dl_log!(L_ERROR, "coaps:// needs a network configuration");
                return Err(Error::InvalidConfiguration);
            }
            if !cfg!(feature = "net-dtls") {
                dl_log!(
                    L_ERROR,
                    "coaps:// needs DTLS, which this build does not have (ANJ_NET_WITH_DTLS)"
                );
                return Err(Error::InvalidUri);
            }
        }
        self.attempts = 0;
        self.error = None;
        Ok(parsed)
    }

    /// `anj_coap_downloader_terminate`: ends the download (no effect unless one is
    /// under way or suspended).
    pub fn terminate(&mut self) {
        if !matches!(
            self.status,
            Status::Starting
                | Status::Downloading
                | Status::Retrying
                | Status::WaitingForRetry
                | Status::Resuming
                | Status::Suspended
        ) {
            dl_log!(L_DEBUG, "no download to terminate");
            return;
        }
        dl_log!(L_DEBUG, "terminating the download");
        self.error = Some(Error::Terminated);
        self.request_cleanup(Cleanup::Terminate);
    }

    /// `anj_coap_downloader_suspend`.
    pub fn suspend(&mut self) -> Result<(), Error> {
        if self.status == Status::Suspended || self.cleanup == Cleanup::Suspend {
            return Ok(());
        }
        if !matches!(
            self.status,
            Status::Starting
                | Status::Downloading
                | Status::Retrying
                | Status::WaitingForRetry
                | Status::Resuming
        ) {
            dl_log!(L_DEBUG, "no download to suspend");
            return Err(Error::InvalidState);
        }
        dl_log!(L_DEBUG, "suspending the download");
        self.request_cleanup(Cleanup::Suspend);
        Ok(())
    }

    /// `anj_coap_downloader_resume`: `uri` is the string given to [`Downloader::start`].
    pub fn resume(&mut self, uri: &[u8]) -> Result<(), Error> {
        if self.status != Status::Suspended {
            dl_log!(L_ERROR, "the download is not suspended");
            return Err(Error::InvalidState);
        }
        let parsed = self.accept_uri(uri, true)?;
        self.uri = Some(parsed);
        self.status = Status::Resuming;
        self.resume = Resume::Done;
        Ok(())
    }

    fn request_cleanup(&mut self, action: Cleanup) {
        self.cleanup = action;
        self.status = Status::Finishing;
    }

    fn can_retry(&self) -> bool {
        u16::from(self.attempts) + 1 < u16::from(self.settings.retry_count)
            && !matches!(self.error, Some(Error::Terminated | Error::EtagMismatch))
    }

    fn fail(&mut self, e: Error) {
        dl_log!(L_ERROR, "download attempt failed: {:?}", e);
        self.error = Some(e);
        let next = if self.can_retry() {
            Cleanup::Retry
        } else {
            Cleanup::Finalize
        };
        self.request_cleanup(next);
    }

    /// A status report, if it is news.
    fn report(&mut self, status: Status) -> Option<Event> {
        (self.last_reported != status).then(|| {
            self.last_reported = status;
            Event { status, data: None }
        })
    }

    /// Starts one `anj_coap_downloader_step` at `now`.
    pub fn begin_step(&mut self, now: Instant) {
        self.now = now;
        self.resume = Resume::Fresh;
    }

    /// Does the work of the current step up to the next event; `None` once the step is
    /// over. `uri` is the string given to [`Downloader::start`]; `buf` the message
    /// buffer, the same one every time.
    pub fn poll(&mut self, link: &mut dyn Link, uri: &[u8], buf: &mut [u8]) -> Option<Event> {
        loop {
            match core::mem::replace(&mut self.resume, Resume::Done) {
                Resume::Done => return None,
                Resume::Fresh => {
                    let ev = match self.status {
                        Status::Starting
                        | Status::Retrying
                        | Status::Resuming
                        | Status::WaitingForRetry => {
                            self.resume = Resume::AfterReport;
                            self.report(self.status)
                        }
                        Status::Downloading => self.transfer(link, uri, buf),
                        Status::Finishing => self.finish(link),
                        other => self.report(other),
                    };
                    if ev.is_some() {
                        return ev;
                    }
                }
                Resume::AfterReport => match self.status {
                    Status::Starting | Status::Retrying | Status::Resuming => {
                        self.connect(link, uri)
                    }
                    Status::WaitingForRetry if self.now >= self.retry_at => {
                        self.status = Status::Retrying;
                    }
                    // Still waiting, or the callback suspended or terminated the
                    // download: the rest is for the next step.
                    _ => {}
                },
                Resume::AfterData { last } => {
                    self.after_block(last);
                    if self.status == Status::Downloading && !last {
                        self.xfer = Xfer::New;
                        self.resume = Resume::Fresh;
                    }
                }
                Resume::AfterFinishing(action) => self.settle(action),
            }
        }
    }

    /// Starting, Retrying, Resuming: connect and prepare the first request.
    fn connect(&mut self, link: &mut dyn Link, uri_str: &[u8]) {
        if self.cleanup != Cleanup::None {
            // The status callback asked for a suspension or termination.
            self.request_cleanup(self.cleanup);
            return;
        }
        let Some(uri) = self.uri else {
            self.fail(Error::Internal);
            return;
        };
        let (Some(host), Some(port)) = (uri.host(uri_str), uri.port(uri_str)) else {
            self.fail(Error::Internal);
            return;
        };
        match link.connect(uri.scheme.name(), host, port, &Credentials::NoSec) {
            NetStatus::InProgress => {}
            NetStatus::Failed(code) => {
                dl_log!(L_ERROR, "cannot connect ({})", code);
                self.fail(Error::Network);
            }
            NetStatus::Done => {
                self.xfer = Xfer::New;
                self.pending = None;
                self.status = Status::Downloading;
            }
        }
    }

    /// Downloading: send the request, take in responses. Returns a block as an event.
    fn transfer(&mut self, link: &mut dyn Link, uri: &[u8], buf: &mut [u8]) -> Option<Event> {
        loop {
            match self.xfer {
                Xfer::New => {
                    if let Err(e) = self.new_request(link) {
                        self.fail(e);
                        return None;
                    }
                    if let Err(e) = self.build_request(uri, buf) {
                        self.fail(e);
                        return None;
                    }
                    self.xfer = Xfer::Send;
                }
                Xfer::Send => {
                    let out = buf.get(..usize::from(self.out_len)).unwrap_or_default();
                    match link.send(out) {
                        NetStatus::Done => self.xfer = Xfer::Wait,
                        // Called again with the same bytes by the next step.
                        NetStatus::InProgress => return None,
                        NetStatus::Failed(code) => {
                            dl_log!(L_ERROR, "send failed ({})", code);
                            self.fail(Error::Network);
                            return None;
                        }
                    }
                }
                Xfer::Wait => match link.recv(buf) {
                    Recv::Datagram(n) => match self.on_datagram(link, buf, n) {
                        Ok(Rx::Ignored) => {}
                        Ok(Rx::Block { start, len, last }) => {
                            self.resume = Resume::AfterData { last };
                            if len == 0 {
                                // Nothing to report: continue as after a delivery.
                                return None;
                            }
                            return Some(Event {
                                status: Status::Downloading,
                                data: Some((start, len)),
                            });
                        }
                        Err(e) => {
                            self.fail(e);
                            return None;
                        }
                    },
                    Recv::TooBig => {
                        dl_log!(
                            L_WARNING,
                            "dropped a datagram larger than the message buffer"
                        );
                    }
                    Recv::Nothing => {
                        let Some(pending) = self.pending.as_mut() else {
                            self.fail(Error::Internal);
                            return None;
                        };
                        match pending.poll(self.now, &self.settings.tx) {
                            Outcome::Pending => return None,
                            Outcome::Retransmit => {
                                dl_log!(L_DEBUG, "retransmitting the request");
                                if let Err(e) = self.build_request(uri, buf) {
                                    self.fail(e);
                                    return None;
                                }
                                self.xfer = Xfer::Send;
                            }
                            Outcome::TimedOut => {
                                dl_log!(L_WARNING, "no response from the server");
                                self.fail(Error::Timeout);
                                return None;
                            }
                        }
                    }
                    Recv::InProgress => return None,
                    Recv::Failed(code) => {
                        dl_log!(L_ERROR, "receive failed ({})", code);
                        self.fail(Error::Network);
                        return None;
                    }
                },
            }
        }
    }

    /// Draws the Message ID and token of the next block request and starts its
    /// retransmission schedule.
    fn new_request(&mut self, link: &mut dyn Link) -> Result<(), Error> {
        let mut rnd = [0u8; 8];
        if !link.random(&mut rnd) {
            dl_log!(L_ERROR, "random number generator failed");
            return Err(Error::Internal);
        }
        if !self.message_id_seeded {
            // RFC 7252 §4.4: a random initial Message ID.
            self.next_message_id = u16::from_le_bytes([rnd[6], rnd[7]]);
            self.message_id_seeded = true;
            if !link.random(&mut rnd) {
                return Err(Error::Internal);
            }
        }
        let id = self.next_message_id;
        self.next_message_id = id.wrapping_add(1);
        let jitter = u16::from_le_bytes([rnd[0], rnd[1]]);
        self.pending = Some(Pending::new(self.now, id, &rnd, &self.settings.tx, jitter));
        Ok(())
    }

    /// Writes the GET for the block at `offset` into `buf`.
    fn build_request(&mut self, uri_str: &[u8], buf: &mut [u8]) -> Result<(), Error> {
        let (Some(pending), Some(uri)) = (self.pending.as_ref(), self.uri.as_ref()) else {
            return Err(Error::Internal);
        };
        // The first GET of a download carries no Block2 when the largest block fits the
        // buffer: the server picks the size (RFC 7959 §2.4), as Anjay Lite does. Later ones,
        // and a resume after a retry, ask for the next block at the size the server chose;
        // a buffer too small for 1024-byte blocks asks for a smaller size at once.
        let block = if self.offset == 0 && self.szx == Block::MAX_SZX {
            None
        } else {
            let size = 16u32 << self.szx;
            Some(
                Block::new(self.offset / size, false, self.szx).ok_or_else(|| {
                    dl_log!(
                        L_ERROR,
                        "the resource is larger than Block2 numbers can reach"
                    );
                    Error::InvalidResponse
                })?,
            )
        };
        let len = (|| {
            let mut w = MessageWriter::new(
                buf,
                MsgType::Con,
                Code::GET,
                pending.message_id,
                pending.token(),
            )?;
            uri.write_options(uri_str, &mut w)?;
            if let Some(block) = block {
                w.block_option(opt::BLOCK2, block)?;
            }
            Ok::<usize, crate::coap::WriteError>(w.finish())
        })()
        .map_err(|e| {
            dl_log!(
                L_ERROR,
                "the request does not fit the message buffer: {:?}",
                e
            );
            Error::Internal
        })?;
        self.out_len = u16::try_from(len).map_err(|_| Error::Internal)?;
        Ok(())
    }

    /// Handles one received datagram of `n` bytes in `buf`.
    fn on_datagram(&mut self, link: &mut dyn Link, buf: &mut [u8], n: usize) -> Result<Rx, Error> {
        let n = n.min(buf.len());
        let Some(pending) = self.pending.as_mut() else {
            return Err(Error::Internal);
        };
        let msg = match Message::parse(&buf[..n]) {
            Ok(m) => m,
            Err(e) => {
                dl_log!(L_DEBUG, "dropped a malformed datagram: {:?}", e);
                if let Some((MsgType::Con, id)) = Message::peek_type_and_id(&buf[..n]) {
                    reply_empty(link, id, false);
                }
                return Ok(Rx::Ignored);
            }
        };
        let separate_timeout = self.settings.tx.max_transmit_wait();
        match pending.classify(&msg, self.now, separate_timeout) {
            Match::None => {
                // Not ours (e.g. the response to an earlier, abandoned request).
                if msg.msg_type() == MsgType::Con {
                    reply_empty(link, msg.message_id(), msg.code().is_response());
                }
                return Ok(Rx::Ignored);
            }
            Match::EmptyAck => return Ok(Rx::Ignored),
            Match::Reset => {
                dl_log!(L_ERROR, "the server reset the request");
                return Err(Error::InvalidResponse);
            }
            Match::Response => {}
        }
        if msg.msg_type() == MsgType::Con {
            // A separate response: acknowledge it (RFC 7252 §5.2.2).
            reply_empty(link, msg.message_id(), true);
        }
        let code = msg.code();
        if !code.is_success() {
            dl_log!(
                L_ERROR,
                "the server answered {}.{:02}",
                code.class(),
                code.detail()
            );
            return Err(Error::InvalidResponse);
        }
        self.check_etag(msg.option(opt::ETAG).unwrap_or_default())?;
        if self.offset == 0 {
            if let Some(total) = msg.size2() {
                dl_log!(L_INFO, "resource size: {} bytes", total);
            }
        }
        let payload = msg.payload();
        let start = n - payload.len();
        let len = payload.len();
        let last = match msg.block2() {
            Some(b) => {
                let mismatch = u32::try_from(b.offset()).ok() != Some(self.offset)
                    || len > b.size()
                    || (b.more && len != b.size());
                if mismatch {
                    dl_log!(
                        L_ERROR,
                        "unexpected block {} ({} bytes of {}) at offset {}",
                        b.num,
                        len,
                        b.size(),
                        self.offset
                    );
                    return Err(Error::InvalidResponse);
                }
                self.szx = b.szx;
                !b.more
            }
            None if msg.has_option(opt::BLOCK2) => {
                dl_log!(L_ERROR, "malformed Block2 option");
                return Err(Error::InvalidResponse);
            }
            // The whole resource in one response: only an answer to the first request.
            None if self.offset == 0 => true,
            None => {
                dl_log!(
                    L_ERROR,
                    "response without Block2 in the middle of the resource"
                );
                return Err(Error::InvalidResponse);
            }
        };
        self.offset = u32::try_from(len)
            .ok()
            .and_then(|l| self.offset.checked_add(l))
            .ok_or(Error::InvalidResponse)?;
        if len > 0 {
            self.attempts = 0;
        }
        self.pending = None;
        Ok(Rx::Block { start, len, last })
    }

    fn check_etag(&mut self, etag: &[u8]) -> Result<(), Error> {
        if etag.len() > self.etag.len() {
            dl_log!(L_ERROR, "malformed ETag option");
            return Err(Error::InvalidResponse);
        }
        if self.etag_len == 0 {
            self.etag[..etag.len()].copy_from_slice(etag);
            self.etag_len = etag.len() as u8;
            return Ok(());
        }
        if etag != &self.etag[..usize::from(self.etag_len)] {
            dl_log!(
                L_ERROR,
                "ETag mismatch: the resource changed during the download"
            );
            return Err(Error::EtagMismatch);
        }
        Ok(())
    }

    /// After a block was delivered (the callback may have asked for a suspension or a
    /// termination meanwhile).
    fn after_block(&mut self, last: bool) {
        if last && self.cleanup == Cleanup::Suspend {
            dl_log!(
                L_WARNING,
                "ignoring the suspension: the last block has arrived"
            );
            self.cleanup = Cleanup::None;
            self.status = Status::Downloading;
        }
        if self.cleanup != Cleanup::None {
            self.request_cleanup(self.cleanup);
        } else if last {
            self.request_cleanup(Cleanup::Finalize);
        }
    }

    /// Finishing: close the connection, then report and settle.
    fn finish(&mut self, link: &mut dyn Link) -> Option<Event> {
        self.pending = None;
        match link.cleanup() {
            NetStatus::InProgress => return None,
            NetStatus::Failed(code) => {
                dl_log!(L_WARNING, "closing the connection failed ({})", code);
                if self.error.is_none() {
                    self.error = Some(Error::Network);
                }
            }
            NetStatus::Done => {}
        }
        let action = core::mem::replace(&mut self.cleanup, Cleanup::None);
        self.resume = Resume::AfterFinishing(action);
        if matches!(action, Cleanup::Finalize | Cleanup::Terminate) {
            return self.report(Status::Finishing);
        }
        None
    }

    fn settle(&mut self, action: Cleanup) {
        match action {
            Cleanup::Suspend => self.status = Status::Suspended,
            Cleanup::Terminate => {
                dl_log!(L_INFO, "download terminated by the user");
                self.error = Some(Error::Terminated);
                self.status = Status::Failed;
            }
            Cleanup::Retry => {
                self.attempts = self.attempts.saturating_add(1);
                dl_log!(
                    L_WARNING,
                    "attempt {} of {} failed; next in {} ms",
                    self.attempts,
                    self.settings.retry_count,
                    self.settings.retry_delay / 1000
                );
                self.retry_at = after(self.now, self.settings.retry_delay.max(0));
                self.error = None;
                self.status = Status::WaitingForRetry;
            }
            Cleanup::Finalize | Cleanup::None => {
                if let Some(e) = self.error {
                    dl_log!(L_ERROR, "download failed: {:?}", e);
                    self.status = Status::Failed;
                } else {
                    dl_log!(L_INFO, "download finished ({} bytes)", self.offset);
                    self.status = Status::Finished;
                }
            }
        }
    }
}

/// Sends an Empty ACK (or RST) for `id`; a failure is harmless (the peer repeats).
fn reply_empty(link: &mut dyn Link, id: u16, ack: bool) {
    let mut b = [0u8; 4];
    let n = if ack {
        crate::coap::empty_ack(&mut b, id)
    } else {
        crate::coap::reset(&mut b, id)
    };
    let _ = link.send(&b[..n]);
}
