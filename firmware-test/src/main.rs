//! A bare-metal test firmware on anj-core (Cortex-M4F, `thumbv7em-none-eabihf`).
//!
//! It proves that the core builds and links as a plain `no_std` rlib with no allocator,
//! and, run on QEMU's MPS2 AN386 board (`cargo run --release`), that it works there:
//!
//! 1. encodes a SenML CBOR pack of a temperature sensor's values with `anj_core::io`;
//! 2. serves that pack from a scripted CoAP file server on the device itself: each
//!    request the downloader sends is parsed with `anj_core::coap::Message`, answered
//!    with a 2.05 built by `anj_core::coap::MessageWriter` (16-byte Block2 blocks, an
//!    ETag), and the first request is lost, so the retransmission timer of
//!    `anj_core::exchange` fires (simulated time);
//! 3. runs the CoAP downloader (`anj_core::download`) to the end over that link and
//!    reassembles the blocks;
//! 4. decodes the downloaded pack and compares every entry with what was encoded;
//! 5. checks that the core's log lines reached the installed sink (the sink lives in a
//!    `critical-section` mutex: cortex-m's single-core implementation here).
//!
//! The result goes out over semihosting: "firmware-test: ok" and exit code 0, or the
//! failed check and exit code 1 (a panic reports its message the same way).

#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::panic::PanicInfo;
use core::sync::atomic::{AtomicUsize, Ordering};

use anj_core::coap::{opt, Block, Code, Message, MessageWriter, MsgType};
use anj_core::download::{Downloader, Event, Settings, Status};
use anj_core::exchange::TxParams;
use anj_core::io::format::Format;
use anj_core::io::value::{DataType, Decoder, Encoder, Entry, Path, Value};
use anj_core::link::{Credentials, Link, NetStatus, Recv};
use anj_core::time::{Instant, MS, SEC};
use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};

/// The download's URI: host, port and path are what the scripted server checks.
const URI: &[u8] = b"coap://192.0.2.7:5683/fw/sensor.cbor";
/// The server's block size exponent: 16-byte blocks, so the pack takes several.
const SERVER_SZX: u8 = 0;
const ETAG: &[u8] = b"\x5e\x01";
const MSG_BUF_LEN: usize = 128;
const PACK_CAP: usize = 256;

/// The values of the pack: every number and string kind the sensor object uses.
fn sensor_entries() -> [Entry<'static>; 6] {
    let p = |ids: &[u16]| Path::try_new(ids).expect("a path of at most 4 IDs");
    [
        Entry::new(p(&[3303, 0, 5700]), Value::Double(21.5)),
        Entry::new(p(&[3303, 0, 5601]), Value::Double(-3.25)),
        Entry::new(p(&[3303, 0, 5602]), Value::Double(38.0)),
        Entry::new(p(&[3303, 0, 5701]), Value::String("Cel")),
        Entry::new(p(&[3303, 0, 5750]), Value::String("boiler room")),
        Entry::new(p(&[3, 0, 13]), Value::Time(1_767_225_600)),
    ]
}

/// The type the decoder gives each path (as a data model would).
fn type_of(path: &Path) -> Option<DataType> {
    match path.as_slice() {
        [3303, 0, 5700 | 5601 | 5602] => Some(DataType::Double),
        [3303, 0, 5701 | 5750] => Some(DataType::String),
        [3, 0, 13] => Some(DataType::Time),
        _ => None,
    }
}

/// A CoAP file server in the same address space, behind the [`Link`] trait: what the
/// downloader sends is answered at once into `inbox`, in simulated time.
struct ScriptedServer<'a> {
    body: &'a [u8],
    now: Instant,
    connected: bool,
    connects: u32,
    requests: u32,
    /// Requests still to lose (on the way to the server).
    lose: u32,
    blocks_served: u32,
    inbox: [u8; MSG_BUF_LEN],
    inbox_len: usize,
    rng: u32,
    /// The first thing the server found wrong with a request.
    error: Option<&'static str>,
}

impl<'a> ScriptedServer<'a> {
    fn new(body: &'a [u8]) -> Self {
        ScriptedServer {
            body,
            now: 0,
            connected: false,
            connects: 0,
            requests: 0,
            lose: 1,
            blocks_served: 0,
            inbox: [0; MSG_BUF_LEN],
            inbox_len: 0,
            rng: 0x2545_F491,
            error: None,
        }
    }

    fn fail(&mut self, what: &'static str) {
        self.error.get_or_insert(what);
    }

    /// Checks one request and writes the response into the inbox.
    fn serve(&mut self, datagram: &[u8]) {
        let req = match Message::parse(datagram) {
            Ok(m) => m,
            Err(_) => return self.fail("the request does not parse"),
        };
        if req.msg_type() != MsgType::Con || req.code() != Code::GET {
            return self.fail("the request is not a confirmable GET");
        }
        if !req.uri_path().eq([&b"fw"[..], &b"sensor.cbor"[..]]) {
            return self.fail("wrong Uri-Path");
        }
        let block = match req.block2() {
            Some(b) => b,
            // The first request leaves the size to the server (RFC 7959 §2.4).
            None if !req.has_option(opt::BLOCK2) => Block {
                num: 0,
                more: false,
                szx: Block::MAX_SZX,
            },
            None => return self.fail("malformed Block2 in the request"),
        };
        let size = 16usize << SERVER_SZX;
        let start = block.offset();
        if start > self.body.len() || start % size != 0 {
            return self.fail("the request asks for a block past the body");
        }
        let end = (start + size).min(self.body.len());
        let more = end < self.body.len();
        let Some(out) = Block::new((start / size) as u32, more, SERVER_SZX) else {
            return self.fail("block number out of range");
        };
        let written = (|| {
            let mut w = MessageWriter::new(
                &mut self.inbox,
                MsgType::Ack,
                Code::CONTENT,
                req.message_id(),
                req.token(),
            )?;
            w.option(opt::ETAG, ETAG)?;
            w.uint_option(
                opt::CONTENT_FORMAT,
                u32::from(Format::SenmlCbor.content_format()),
            )?;
            w.block_option(opt::BLOCK2, out)?;
            w.payload(&self.body[start..end])?;
            Ok::<usize, anj_core::coap::WriteError>(w.finish())
        })();
        match written {
            Ok(n) => {
                self.inbox_len = n;
                self.blocks_served += 1;
            }
            Err(_) => self.fail("the response does not fit"),
        }
    }
}

impl Link for ScriptedServer<'_> {
    fn connect(
        &mut self,
        scheme: &str,
        host: &str,
        port: &str,
        _credentials: &Credentials<'_>,
    ) -> NetStatus {
        if (scheme, host, port) != ("coap", "192.0.2.7", "5683") {
            self.fail("connect to the wrong endpoint");
            return NetStatus::Failed(-1);
        }
        self.connects += 1;
        self.connected = true;
        NetStatus::Done
    }

    fn send(&mut self, datagram: &[u8]) -> NetStatus {
        if !self.connected {
            self.fail("send without a connection");
            return NetStatus::Failed(-1);
        }
        self.requests += 1;
        if self.lose > 0 {
            self.lose -= 1;
        } else {
            self.serve(datagram);
        }
        NetStatus::Done
    }

    fn recv(&mut self, buf: &mut [u8]) -> Recv {
        if self.inbox_len == 0 {
            return Recv::Nothing;
        }
        let n = core::mem::take(&mut self.inbox_len);
        match buf.get_mut(..n) {
            Some(dst) => {
                dst.copy_from_slice(&self.inbox[..n]);
                Recv::Datagram(n)
            }
            None => Recv::TooBig,
        }
    }

    fn close(&mut self) -> NetStatus {
        self.connected = false;
        NetStatus::Done
    }

    fn cleanup(&mut self) -> NetStatus {
        self.connected = false;
        NetStatus::Done
    }

    fn rx_off(&mut self) {}

    fn is_connected(&self) -> bool {
        self.connected
    }

    fn random(&mut self, buf: &mut [u8]) -> bool {
        // xorshift32: deterministic, which is all a test needs.
        for b in buf {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 17;
            self.rng ^= self.rng << 5;
            *b = self.rng as u8;
        }
        true
    }
}

static LOG_LINES: AtomicUsize = AtomicUsize::new(0);

fn log_sink(line_with_nul: &[u8]) {
    LOG_LINES.fetch_add(1, Ordering::Relaxed);
    let text = line_with_nul.strip_suffix(&[0]).unwrap_or(line_with_nul);
    if let Ok(text) = core::str::from_utf8(text) {
        hprintln!("  log: {}", text);
    }
}

fn check(ok: bool, what: &str) -> Result<(), &str> {
    if ok {
        Ok(())
    } else {
        Err(what)
    }
}

fn run() -> Result<(), &'static str> {
    anj_core::log::set_sink(log_sink);

    // 1. The pack, encoded with the count known up front (as a Send does).
    let entries = sensor_entries();
    let mut pack = [0u8; PACK_CAP];
    let mut enc =
        Format::SenmlCbor.counted_encoder(Path::default(), &mut pack, None, entries.len());
    for e in &entries {
        enc.entry(e).map_err(|_| "encoding an entry failed")?;
    }
    let pack_len = enc.finish().map_err(|_| "finishing the pack failed")?;
    check(pack_len > 3 * 16, "the pack is shorter than three blocks")?;
    let pack = &pack[..pack_len];
    hprintln!("SenML CBOR pack: {} bytes", pack_len);

    // 2-3. Download it over the scripted link, in simulated time.
    let mut server = ScriptedServer::new(pack);
    let settings = Settings {
        tx: TxParams::new(2 * SEC, 1.5, 4).ok_or("bad transmission parameters")?,
        retry_count: 1,
        retry_delay: SEC,
    };
    let mut dl = Downloader::new(settings);
    dl.start(URI, false, MSG_BUF_LEN)
        .map_err(|_| "the downloader refused the URI")?;
    let mut buf = [0u8; MSG_BUF_LEN];
    let mut got = [0u8; PACK_CAP];
    let mut got_len = 0usize;
    let mut finished = false;
    let mut steps = 0u32;
    while !finished {
        steps += 1;
        check(steps < 1000, "the download does not end")?;
        dl.begin_step(server.now);
        while let Some(Event { status, data }) = dl.poll(&mut server, URI, &mut buf) {
            match (status, data) {
                (Status::Downloading, Some((start, len))) => {
                    let block = buf
                        .get(start..start + len)
                        .ok_or("block outside the buffer")?;
                    let dst = got
                        .get_mut(got_len..got_len + len)
                        .ok_or("more data than the pack")?;
                    dst.copy_from_slice(block);
                    got_len += len;
                }
                (Status::Finished, _) => finished = true,
                (Status::Failed, _) => return Err("the download failed"),
                _ => {}
            }
        }
        if let Some(e) = server.error {
            return Err(e);
        }
        server.now += 100 * MS;
    }
    hprintln!(
        "downloaded {} bytes in {} blocks, {} requests, {} ms",
        got_len,
        server.blocks_served,
        server.requests,
        server.now / MS
    );
    check(
        got[..got_len] == *pack,
        "the downloaded bytes differ from the pack",
    )?;
    check(
        dl.offset() as usize == pack_len,
        "the downloader's offset is not the size",
    )?;
    check(
        dl.error_code() == 0,
        "the finished download has an error code",
    )?;
    let blocks = pack_len.div_ceil(16) as u32;
    check(server.blocks_served == blocks, "not one response per block")?;
    // The lost first request was sent again: one request more than blocks.
    check(
        server.requests == blocks + 1,
        "the lost request was not retransmitted",
    )?;
    check(server.now >= 2 * SEC, "retransmitted before ACK_TIMEOUT")?;
    check(
        server.connects == 1 && !server.connected,
        "not one connection, closed at the end",
    )?;

    // 4. Decode what came and compare.
    let mut scratch = [0u8; 32];
    let mut dec = Format::SenmlCbor.decoder(Path::default(), &got[..got_len], &mut scratch);
    let mut n = 0;
    while let Some(e) = dec.next_entry(&type_of).map_err(|_| "decoding failed")? {
        check(entries.get(n) == Some(&e), "a decoded entry differs")?;
        n += 1;
    }
    check(n == entries.len(), "entries missing after decoding")?;

    // 5. The downloader's logs (L_INFO and up) went through the sink.
    check(
        LOG_LINES.load(Ordering::Relaxed) > 0,
        "no log line reached the sink",
    )?;
    Ok(())
}

#[entry]
fn main() -> ! {
    match run() {
        Ok(()) => {
            hprintln!("firmware-test: ok");
            debug::exit(debug::EXIT_SUCCESS);
        }
        Err(what) => {
            hprintln!("firmware-test: FAILED: {}", what);
            debug::exit(debug::EXIT_FAILURE);
        }
    }
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    hprintln!("firmware-test: panic: {}", info);
    debug::exit(debug::EXIT_FAILURE);
    loop {
        cortex_m::asm::wfi();
    }
}
