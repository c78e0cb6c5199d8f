//! The read side: a validated, zero-copy view of one CoAP datagram (RFC 7252 §3).

use core::fmt;

use super::block::Block;
use super::header::{Code, MsgType};
use super::option::{decode_option_header, decode_uint, opt, RawOptionError};

/// The payload marker that ends the options (RFC 7252 §3).
pub const PAYLOAD_MARKER: u8 = 0xff;
/// Version 1 is the only one defined (RFC 7252 §3).
pub const VERSION: u8 = 1;
/// Bytes of the fixed header.
pub const HEADER_LEN: usize = 4;
/// Token lengths 9-15 are reserved (RFC 7252 §3).
pub const MAX_TOKEN_LEN: usize = 8;

/// Why a datagram is not a well-formed CoAP message. Each of these is a "message format
/// error" of RFC 7252 §3: a Confirmable one is answered with Reset, anything else is
/// silently dropped (§4.2, §4.3) — except [`ParseError::BadVersion`], always dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParseError {
    /// Shorter than the 4-byte header, or shorter than the header plus its token.
    TooShort,
    /// The version field is not 1 (§3).
    BadVersion,
    /// Token length 9-15, which is reserved (§3).
    BadTokenLength,
    /// An option delta or length nibble of 15 that is not part of the payload marker (§3.1).
    BadOption,
    /// An option's extended fields or its value run past the end of the datagram.
    OptionTruncated,
    /// The running option number exceeds 65535.
    OptionNumberTooLarge,
    /// A payload marker followed by no payload (§3).
    EmptyPayload,
    /// Code 0.00 with a token, options or payload (§4.1).
    EmptyMessageNotEmpty,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ParseError::TooShort => "datagram shorter than its header and token",
            ParseError::BadVersion => "CoAP version is not 1",
            ParseError::BadTokenLength => "reserved token length (9-15)",
            ParseError::BadOption => "reserved option delta or length nibble (15)",
            ParseError::OptionTruncated => "option runs past the end of the datagram",
            ParseError::OptionNumberTooLarge => "option number above 65535",
            ParseError::EmptyPayload => "payload marker without payload",
            ParseError::EmptyMessageNotEmpty => {
                "Empty message (0.00) with token, options or payload"
            }
        })
    }
}

/// A well-formed CoAP message, borrowed from the receive buffer. Everything is checked
/// once in [`Message::parse`]; the accessors then only read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    buf: &'a [u8],
    /// Index of the payload marker, or `buf.len()` if there is no payload.
    options_end: usize,
    /// Which option numbers occur: bit `n` for number `n` below 63, bit 63 for any
    /// number from 63 up. Lets a lookup of an absent option skip the scan.
    present: u64,
    /// The first Content-Format and Accept values, decoded during the parse
    /// ([`NO_FORMAT`]: absent, or longer than 2 bytes).
    content_format: u32,
    accept: u32,
    /// The lowest critical option number with a length outside its registered range or
    /// repeated though not repeatable (`u32::MAX`: none); see
    /// [`Message::first_unknown_critical`].
    bad_critical: u32,
}

/// What [`Message::parse`] found, apart from the bytes: lets code that has to release
/// the borrow of the receive buffer get the same message back without parsing again
/// ([`Message::from_summary`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Summary {
    len: usize,
    options_end: usize,
    present: u64,
    content_format: u32,
    accept: u32,
    bad_critical: u32,
}

impl Summary {
    /// Length of the datagram.
    pub fn datagram_len(&self) -> usize {
        self.len
    }
}

/// [`Message::content_format`] / [`Message::accept`] absent or invalid.
const NO_FORMAT: u32 = u32::MAX;

/// The bit of `present` that stands for option `number`.
fn presence_bit(number: u32) -> u64 {
    1u64 << number.min(63)
}

impl<'a> Message<'a> {
    /// Validates the whole datagram: header, token, every option and the payload marker.
    pub fn parse(buf: &'a [u8]) -> Result<Self, ParseError> {
        let (first, code) = match buf {
            [first, code, _, _, ..] => (*first, *code),
            _ => return Err(ParseError::TooShort),
        };
        if first >> 6 != VERSION {
            return Err(ParseError::BadVersion);
        }
        let tkl = usize::from(first & 0x0f);
        if tkl > MAX_TOKEN_LEN {
            return Err(ParseError::BadTokenLength);
        }
        if code == Code::EMPTY.0 && buf.len() != HEADER_LEN {
            return Err(ParseError::EmptyMessageNotEmpty);
        }
        let mut pos = HEADER_LEN + tkl;
        if buf.len() < pos {
            return Err(ParseError::TooShort);
        }
        let mut number: u32 = 0;
        let mut present = 0u64;
        let mut content_format = NO_FORMAT;
        let mut accept = NO_FORMAT;
        let mut bad_critical = u32::MAX;
        let mut previous = u32::MAX;
        loop {
            let rest = buf.get(pos..).unwrap_or_default();
            match rest.first() {
                None => break,
                Some(&PAYLOAD_MARKER) if rest.len() == 1 => return Err(ParseError::EmptyPayload),
                Some(&PAYLOAD_MARKER) => break,
                Some(_) => {}
            }
            let raw = decode_option_header(rest).map_err(|e| match e {
                RawOptionError::ReservedNibble => ParseError::BadOption,
                RawOptionError::Truncated => ParseError::OptionTruncated,
            })?;
            number += raw.delta;
            if number > u32::from(u16::MAX) {
                return Err(ParseError::OptionNumberTooLarge);
            }
            let size = raw.header_len + raw.len;
            if size > rest.len() {
                return Err(ParseError::OptionTruncated);
            }
            let bit = presence_bit(number);
            if number & 1 == 1 && bad_critical == u32::MAX {
                let n = number as u16;
                let bad_length =
                    opt::length_range(n).is_some_and(|(min, max)| raw.len < min || raw.len > max);
                if bad_length || (previous == number && !opt::is_repeatable(n)) {
                    bad_critical = number;
                }
            }
            previous = number;
            if present & bit == 0
                && (number == u32::from(opt::CONTENT_FORMAT) || number == u32::from(opt::ACCEPT))
            {
                let v = rest
                    .get(raw.header_len..size)
                    .and_then(|v| decode_uint(v, 2))
                    .unwrap_or(NO_FORMAT);
                if number == u32::from(opt::ACCEPT) {
                    accept = v;
                } else {
                    content_format = v;
                }
            }
            present |= bit;
            pos += size;
        }
        Ok(Message {
            buf,
            options_end: pos,
            present,
            content_format,
            accept,
            bad_critical,
        })
    }

    /// The parse results, to rebuild this message later from the same bytes.
    pub fn summary(&self) -> Summary {
        Summary {
            len: self.buf.len(),
            options_end: self.options_end,
            present: self.present,
            content_format: self.content_format,
            accept: self.accept,
            bad_critical: self.bad_critical,
        }
    }

    /// The message `summary` was taken from, over `buf`, which must hold the same bytes
    /// (only the length is checked: other bytes give wrong answers, never a fault, since
    /// every accessor reads through bounds-checked slices).
    pub fn from_summary(buf: &'a [u8], summary: Summary) -> Option<Self> {
        (buf.len() == summary.len && summary.options_end <= buf.len()).then_some(Message {
            buf,
            options_end: summary.options_end,
            present: summary.present,
            content_format: summary.content_format,
            accept: summary.accept,
            bad_critical: summary.bad_critical,
        })
    }

    /// The whole datagram.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    fn byte(&self, i: usize) -> u8 {
        // Parse checked that the 4 header bytes exist.
        self.buf.get(i).copied().unwrap_or(0)
    }

    pub fn msg_type(&self) -> MsgType {
        MsgType::from_bits(self.byte(0) >> 4)
    }

    pub fn code(&self) -> Code {
        Code(self.byte(1))
    }

    pub fn message_id(&self) -> u16 {
        u16::from_be_bytes([self.byte(2), self.byte(3)])
    }

    fn token_end(&self) -> usize {
        HEADER_LEN + usize::from(self.byte(0) & 0x0f)
    }

    /// The token, 0 to 8 bytes.
    pub fn token(&self) -> &'a [u8] {
        self.buf
            .get(HEADER_LEN..self.token_end())
            .unwrap_or_default()
    }

    /// All options as `(number, value)`, in wire order (so by ascending number, repeated
    /// options in the order sent).
    pub fn options(&self) -> Options<'a> {
        Options {
            rest: self
                .buf
                .get(self.token_end()..self.options_end)
                .unwrap_or_default(),
            number: 0,
        }
    }

    /// The values of every occurrence of option `number`, in order.
    pub fn option_values(&self, number: u16) -> OptionValues<'a> {
        let options = if self.present & presence_bit(number.into()) != 0 {
            self.options()
        } else {
            Options {
                rest: &[],
                number: 0,
            }
        };
        OptionValues { options, number }
    }

    /// The value of the first occurrence of option `number`.
    pub fn option(&self, number: u16) -> Option<&'a [u8]> {
        self.option_values(number).next()
    }

    pub fn has_option(&self, number: u16) -> bool {
        self.option(number).is_some()
    }

    /// The first occurrence of option `number` read as a uint (RFC 7252 §3.2); `None` if
    /// absent or longer than 4 bytes.
    pub fn uint_option(&self, number: u16) -> Option<u32> {
        self.uint_option_max(number, 4)
    }

    fn uint_option_max(&self, number: u16, max_len: usize) -> Option<u32> {
        self.option(number).and_then(|v| decode_uint(v, max_len))
    }

    /// Uri-Path segments, e.g. `3`, `0`, `1` for `/3/0/1` (RFC 7252 §6.4).
    pub fn uri_path(&self) -> OptionValues<'a> {
        self.option_values(opt::URI_PATH)
    }

    /// Uri-Query arguments, e.g. `ep=name`, `lt=86400`.
    pub fn uri_query(&self) -> OptionValues<'a> {
        self.option_values(opt::URI_QUERY)
    }

    /// Location-Path segments, e.g. `rd`, `5a3f` from a Register response.
    pub fn location_path(&self) -> OptionValues<'a> {
        self.option_values(opt::LOCATION_PATH)
    }

    pub fn location_query(&self) -> OptionValues<'a> {
        self.option_values(opt::LOCATION_QUERY)
    }

    /// Content-Format (0-2 byte uint, RFC 7252 §5.10.3); `None` if absent or too long.
    pub fn content_format(&self) -> Option<u16> {
        u16::try_from(self.content_format).ok()
    }

    /// Accept (0-2 byte uint, RFC 7252 §5.10.4); `None` if absent or too long.
    pub fn accept(&self) -> Option<u16> {
        u16::try_from(self.accept).ok()
    }

    /// Observe (0-3 byte uint, RFC 7641 §2): 0 registers, 1 deregisters in a request; a
    /// sequence number in a notification.
    pub fn observe(&self) -> Option<u32> {
        self.uint_option_max(opt::OBSERVE, 3)
    }

    /// Max-Age in seconds (RFC 7252 §5.10.5); absent means the default of 60.
    pub fn max_age(&self) -> Option<u32> {
        self.uint_option(opt::MAX_AGE)
    }

    /// Block1. `None` when absent *or* malformed: a request where
    /// `has_option(opt::BLOCK1)` holds but this is `None` deserves 4.00 (RFC 7959 §2.2).
    pub fn block1(&self) -> Option<Block> {
        self.option(opt::BLOCK1).and_then(Block::decode)
    }

    /// Block2; see [`Message::block1`] for the malformed case.
    pub fn block2(&self) -> Option<Block> {
        self.option(opt::BLOCK2).and_then(Block::decode)
    }

    /// Size1: the size of the request body (RFC 7959 §4).
    pub fn size1(&self) -> Option<u32> {
        self.uint_option(opt::SIZE1)
    }

    /// Size2: the size of the response body (RFC 7959 §4).
    pub fn size2(&self) -> Option<u32> {
        self.uint_option(opt::SIZE2)
    }

    /// The first critical option the recipient must treat as unrecognized, or `None`.
    /// A request carrying one is answered 4.02 Bad Option, a response is rejected
    /// (RFC 7252 §5.4.1). Besides numbers missing from `known`, that covers a known option
    /// whose length is outside its registered range (§5.4.3) and a repeat of a
    /// non-repeatable option (§5.4.5).
    pub fn first_unknown_critical(&self, known: &[u16]) -> Option<u16> {
        if self.present & presence_bit(63) == 0 {
            // Every number is below 63, so the parse summary answers: the lowest number
            // that is critical and unknown, or that the parse found malformed.
            const CRITICAL: u64 = 0xAAAA_AAAA_AAAA_AAAA;
            let known_mask = known
                .iter()
                .filter(|&&k| k < 63)
                .fold(0u64, |m, &k| m | 1 << k);
            let unknown = self.present & CRITICAL & !known_mask;
            let first = if unknown == 0 {
                u32::MAX
            } else {
                unknown.trailing_zeros()
            };
            return u16::try_from(first.min(self.bad_critical)).ok();
        }
        self.first_unknown_critical_scan(known)
    }

    /// [`Message::first_unknown_critical`] the long way, option by option.
    pub fn first_unknown_critical_scan(&self, known: &[u16]) -> Option<u16> {
        let mut previous = None;
        for (number, value) in self.options() {
            let repeated = previous == Some(number);
            previous = Some(number);
            if !opt::is_critical(number) {
                continue;
            }
            let bad_length = opt::length_range(number)
                .is_some_and(|(min, max)| value.len() < min || value.len() > max);
            if !known.contains(&number) || bad_length || (repeated && !opt::is_repeatable(number)) {
                return Some(number);
            }
        }
        None
    }

    /// The payload, empty if there is none.
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.options_end + 1..).unwrap_or_default()
    }

    /// Type and Message ID of a datagram that may fail [`Message::parse`]: a malformed
    /// Confirmable message is still rejected with a Reset echoing its ID (RFC 7252 §4.2).
    /// `None` if there is no header or the version is unknown (such messages are silently
    /// ignored, §3).
    pub fn peek_type_and_id(buf: &[u8]) -> Option<(MsgType, u16)> {
        match buf {
            [first, _, hi, lo, ..] if first >> 6 == VERSION => Some((
                MsgType::from_bits(first >> 4),
                u16::from_be_bytes([*hi, *lo]),
            )),
            _ => None,
        }
    }
}

impl fmt::Debug for Message<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("type", &self.msg_type())
            .field("code", &self.code())
            .field("message_id", &self.message_id())
            .field("token", &self.token())
            .field("options", &DebugOptions(self.options()))
            .field("payload_len", &self.payload().len())
            .finish()
    }
}

struct DebugOptions<'a>(Options<'a>);

impl fmt::Debug for DebugOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.clone()).finish()
    }
}

/// Iterator over `(number, value)` of a message's options, in wire order.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    rest: &'a [u8],
    number: u16,
}

impl<'a> Iterator for Options<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        // The bytes were validated by `Message::parse`; any failure here would mean a bug,
        // and ends the iteration instead of panicking.
        let rest = core::mem::take(&mut self.rest);
        let raw = decode_option_header(rest).ok()?;
        let number = u16::try_from(u32::from(self.number) + raw.delta).ok()?;
        let end = raw.header_len.checked_add(raw.len)?;
        let value = rest.get(raw.header_len..end)?;
        self.rest = rest.get(end..)?;
        self.number = number;
        Some((number, value))
    }
}

impl core::iter::FusedIterator for Options<'_> {}

/// Iterator over the values of one option number, in wire order.
#[derive(Clone, Debug)]
pub struct OptionValues<'a> {
    options: Options<'a>,
    number: u16,
}

impl<'a> Iterator for OptionValues<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        for (number, value) in self.options.by_ref() {
            if number == self.number {
                return Some(value);
            }
            if number > self.number {
                // Options are sorted by number on the wire, so none can follow.
                self.options.rest = &[];
                break;
            }
        }
        None
    }
}

impl core::iter::FusedIterator for OptionValues<'_> {}
