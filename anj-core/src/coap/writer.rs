//! The write side: builds one CoAP datagram in place in a caller's buffer (RFC 7252 §3).

use core::fmt;

use super::block::Block;
use super::header::{Code, MsgType};
use super::msg::{HEADER_LEN, MAX_TOKEN_LEN, PAYLOAD_MARKER, VERSION};
use super::option::{encode_option_header, encode_uint, opt, MAX_EXTENDED};

/// Why a message could not be written. A failed call leaves the message as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteError {
    /// The buffer cannot hold what was asked for.
    BufferTooSmall,
    /// Tokens are at most 8 bytes (RFC 7252 §3).
    TokenTooLong,
    /// Option numbers must not decrease: the wire carries deltas (RFC 7252 §3.1).
    OptionOutOfOrder,
    /// The value is longer than the option encoding allows, or outside the registered
    /// length range of a known option (RFC 7252 §5.10, RFC 7641 §2, RFC 7959 §2.1).
    BadOptionLength,
    /// Options and payload come before nothing: the payload ends the message.
    AfterPayload,
    /// An Empty message (0.00) carries no token, options or payload (RFC 7252 §4.1).
    EmptyMessageNotEmpty,
    /// A Block value with NUM above 20 bits or the reserved SZX 7 (RFC 7959 §2.2).
    BadBlock,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteError::BufferTooSmall => "buffer too small",
            WriteError::TokenTooLong => "token longer than 8 bytes",
            WriteError::OptionOutOfOrder => "option number lower than the previous one",
            WriteError::BadOptionLength => "option value length out of range",
            WriteError::AfterPayload => "payload already written",
            WriteError::EmptyMessageNotEmpty => {
                "Empty message (0.00) cannot carry token, options or payload"
            }
            WriteError::BadBlock => "invalid Block option value",
        })
    }
}

/// Builds a message front to back: header and token in [`MessageWriter::new`], then
/// options by non-decreasing number, then at most one payload, then [`MessageWriter::finish`].
/// Every step checks the rules, so what comes out always passes [`super::Message::parse`].
pub struct MessageWriter<'a> {
    buf: &'a mut [u8],
    len: usize,
    last_option: u16,
    empty: bool,
    has_payload: bool,
}

impl<'a> MessageWriter<'a> {
    /// Writes the header and token.
    pub fn new(
        buf: &'a mut [u8],
        ty: MsgType,
        code: Code,
        message_id: u16,
        token: &[u8],
    ) -> Result<Self, WriteError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(WriteError::TokenTooLong);
        }
        if code.is_empty() && !token.is_empty() {
            return Err(WriteError::EmptyMessageNotEmpty);
        }
        let len = HEADER_LEN + token.len();
        let out = buf.get_mut(..len).ok_or(WriteError::BufferTooSmall)?;
        let [hi, lo] = message_id.to_be_bytes();
        // `token.len() <= 8` fits the 4-bit TKL field.
        let first = (VERSION << 6) | ((ty as u8) << 4) | token.len() as u8;
        out[..HEADER_LEN].copy_from_slice(&[first, code.0, hi, lo]);
        out[HEADER_LEN..].copy_from_slice(token);
        Ok(MessageWriter {
            buf,
            len,
            last_option: 0,
            empty: code.is_empty(),
            has_payload: false,
        })
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true: the header is always there.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends one option. Repeating a number appends another occurrence.
    pub fn option(&mut self, number: u16, value: &[u8]) -> Result<(), WriteError> {
        if self.has_payload {
            return Err(WriteError::AfterPayload);
        }
        if self.empty {
            return Err(WriteError::EmptyMessageNotEmpty);
        }
        if number < self.last_option {
            return Err(WriteError::OptionOutOfOrder);
        }
        let in_range =
            opt::length_range(number).map_or(true, |(min, max)| (min..=max).contains(&value.len()));
        if !in_range || value.len() > MAX_EXTENDED {
            return Err(WriteError::BadOptionLength);
        }
        let delta = usize::from(number - self.last_option);
        let (header, header_len) =
            encode_option_header(delta, value.len()).ok_or(WriteError::BadOptionLength)?;
        let end = self.len + header_len + value.len();
        let out = self
            .buf
            .get_mut(self.len..end)
            .ok_or(WriteError::BufferTooSmall)?;
        let (h, v) = out.split_at_mut(header_len);
        h.copy_from_slice(&header[..header_len]);
        v.copy_from_slice(value);
        self.len = end;
        self.last_option = number;
        Ok(())
    }

    /// Appends a uint option in its shortest form (RFC 7252 §3.2): 0 is a zero-length value.
    pub fn uint_option(&mut self, number: u16, value: u32) -> Result<(), WriteError> {
        let (bytes, n) = encode_uint(value);
        self.option(number, &bytes[..n])
    }

    /// Appends a Block1 or Block2 option (RFC 7959 §2.2).
    pub fn block_option(&mut self, number: u16, block: Block) -> Result<(), WriteError> {
        let value = block.to_uint().ok_or(WriteError::BadBlock)?;
        self.uint_option(number, value)
    }

    /// Appends the payload marker and `data`; an empty `data` writes nothing, since a
    /// marker must be followed by payload (RFC 7252 §3).
    pub fn payload(&mut self, data: &[u8]) -> Result<(), WriteError> {
        self.check_payload_allowed(data.len())?;
        let space = self.payload_space();
        let dst = space
            .get_mut(..data.len())
            .ok_or(WriteError::BufferTooSmall)?;
        dst.copy_from_slice(data);
        self.commit_payload(data.len())
    }

    /// The space after a payload marker reserved at the current end, for encoders that
    /// write the payload in place; follow with [`MessageWriter::commit_payload`]. Empty
    /// once a payload is written, for an Empty message, or if the marker does not fit.
    pub fn payload_space(&mut self) -> &mut [u8] {
        if self.has_payload || self.empty {
            return &mut [];
        }
        self.buf.get_mut(self.len + 1..).unwrap_or_default()
    }

    /// Makes the first `len` bytes of [`MessageWriter::payload_space`] the payload and
    /// writes the marker before them. `len == 0` writes nothing.
    pub fn commit_payload(&mut self, len: usize) -> Result<(), WriteError> {
        self.check_payload_allowed(len)?;
        if len == 0 {
            return Ok(());
        }
        let end = self
            .len
            .checked_add(1 + len)
            .ok_or(WriteError::BufferTooSmall)?;
        if end > self.buf.len() {
            return Err(WriteError::BufferTooSmall);
        }
        let marker = self
            .buf
            .get_mut(self.len)
            .ok_or(WriteError::BufferTooSmall)?;
        *marker = PAYLOAD_MARKER;
        self.len = end;
        self.has_payload = true;
        Ok(())
    }

    fn check_payload_allowed(&self, len: usize) -> Result<(), WriteError> {
        if self.has_payload {
            Err(WriteError::AfterPayload)
        } else if self.empty && len > 0 {
            Err(WriteError::EmptyMessageNotEmpty)
        } else {
            Ok(())
        }
    }

    /// The length of the finished datagram, which is `buf[..len]`.
    pub fn finish(self) -> usize {
        self.len
    }
}

fn write_empty(buf: &mut [u8], ty: MsgType, message_id: u16) -> usize {
    match MessageWriter::new(buf, ty, Code::EMPTY, message_id, &[]) {
        Ok(w) => w.finish(),
        Err(_) => 0,
    }
}

/// Writes an Empty ACK for `message_id` (RFC 7252 §4.2); returns its length, 4, or 0 if
/// `buf` is shorter than 4 bytes.
pub fn empty_ack(buf: &mut [u8], message_id: u16) -> usize {
    write_empty(buf, MsgType::Ack, message_id)
}

/// Writes a Reset for `message_id` (RFC 7252 §4.2, §4.3); returns its length, 4, or 0 if
/// `buf` is shorter than 4 bytes.
pub fn reset(buf: &mut [u8], message_id: u16) -> usize {
    write_empty(buf, MsgType::Rst, message_id)
}
