//! A small no_std CBOR writer and pull reader (RFC 8949), enough for SenML CBOR (and
//! reusable by LwM2M CBOR).
//!
//! Writer: always the preferred serialization (RFC 8949 §4.1): the shortest argument
//! encoding, and floats in the smallest of half/single/double precision that holds the
//! value exactly (NaN is written as the canonical half-precision quiet NaN).
//!
//! Reader: yields one [`Item`] per data item head; definite strings borrow from the input.
//! Indefinite-length strings (RFC 8949 §3.2.3) are concatenated into a caller's scratch
//! buffer by [`CborReader::string`]. Reserved additional-information values, indefinite
//! lengths on major types 0/1/6, 1-byte simple values below 32, truncation and nesting
//! deeper than [`MAX_DEPTH`] are errors.

use super::value::{IoError, Scratch, SliceWriter};

/// Nesting limit for [`CborReader::skip`] (keeps the recursion bounded).
pub const MAX_DEPTH: usize = 16;

pub const MAJOR_UINT: u8 = 0;
pub const MAJOR_NINT: u8 = 1;
pub const MAJOR_BYTES: u8 = 2;
pub const MAJOR_TEXT: u8 = 3;
pub const MAJOR_ARRAY: u8 = 4;
pub const MAJOR_MAP: u8 = 5;
pub const MAJOR_TAG: u8 = 6;
pub const MAJOR_SIMPLE: u8 = 7;

/// Tag 1: epoch-based date/time (RFC 8949 §3.4.2).
pub const TAG_EPOCH_TIME: u64 = 1;

pub use super::fbits::{f16_to_f64, f64_to_f16_exact};

/// Writes CBOR into a caller's buffer.
pub struct CborWriter<'b> {
    w: SliceWriter<'b>,
}

impl<'b> CborWriter<'b> {
    pub fn new(out: &'b mut [u8]) -> Self {
        CborWriter {
            w: SliceWriter::new(out),
        }
    }

    pub(crate) fn from_writer(w: SliceWriter<'b>) -> Self {
        CborWriter { w }
    }

    pub(crate) fn into_writer(self) -> SliceWriter<'b> {
        self.w
    }

    /// Bytes written so far.
    pub fn position(&self) -> usize {
        self.w.pos
    }

    /// A head with the shortest argument encoding (RFC 8949 §3, §4.2.1).
    pub fn head(&mut self, major: u8, arg: u64) -> Result<(), IoError> {
        let m = major << 5;
        let b = arg.to_be_bytes();
        if arg < 24 {
            self.w.push_byte(m | arg as u8)
        } else if arg <= 0xFF {
            self.w.push(&[m | 24, b[7]])
        } else if arg <= 0xFFFF {
            self.w.push(&[m | 25, b[6], b[7]])
        } else if arg <= 0xFFFF_FFFF {
            self.w.push(&[m | 26, b[4], b[5], b[6], b[7]])
        } else {
            self.w.push_byte(m | 27)?;
            self.w.push(&b)
        }
    }

    pub fn uint(&mut self, v: u64) -> Result<(), IoError> {
        self.head(MAJOR_UINT, v)
    }

    pub fn int(&mut self, v: i64) -> Result<(), IoError> {
        if v < 0 {
            // Major type 1 carries -1 - v, which for negative v is !v as unsigned.
            self.head(MAJOR_NINT, !v as u64)
        } else {
            self.head(MAJOR_UINT, v as u64)
        }
    }

    pub fn bytes(&mut self, b: &[u8]) -> Result<(), IoError> {
        self.head(MAJOR_BYTES, b.len() as u64)?;
        self.w.push(b)
    }

    pub fn text(&mut self, s: &[u8]) -> Result<(), IoError> {
        self.head(MAJOR_TEXT, s.len() as u64)?;
        self.w.push(s)
    }

    pub fn bool(&mut self, b: bool) -> Result<(), IoError> {
        self.w.push_byte(if b { 0xF5 } else { 0xF4 })
    }

    pub fn null(&mut self) -> Result<(), IoError> {
        self.w.push_byte(0xF6)
    }

    pub fn tag(&mut self, t: u64) -> Result<(), IoError> {
        self.head(MAJOR_TAG, t)
    }

    pub fn array(&mut self, len: u64) -> Result<(), IoError> {
        self.head(MAJOR_ARRAY, len)
    }

    pub fn map(&mut self, len: u64) -> Result<(), IoError> {
        self.head(MAJOR_MAP, len)
    }

    /// A float in the smallest exact precision (RFC 8949 §4.2.2 preferred serialization).
    pub fn float(&mut self, v: f64) -> Result<(), IoError> {
        if let Some(h) = f64_to_f16_exact(v) {
            let b = h.to_be_bytes();
            return self.w.push(&[0xF9, b[0], b[1]]);
        }
        if let Some(f) = super::fbits::f64_to_f32_exact(v) {
            self.w.push_byte(0xFA)?;
            return self.w.push(&f.to_be_bytes());
        }
        self.w.push_byte(0xFB)?;
        self.w.push(&v.to_be_bytes())
    }
}

/// One data item head as read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Item<'a> {
    Uint(u64),
    /// A negative integer, carrying `n` of the value `-1 - n`.
    Nint(u64),
    Bytes(&'a [u8]),
    Text(&'a [u8]),
    /// Start of an indefinite-length byte string (chunks follow, then `Break`).
    BytesIndef,
    TextIndef,
    /// An array; `None` for indefinite length.
    Array(Option<u64>),
    Map(Option<u64>),
    Tag(u64),
    Bool(bool),
    Null,
    Undefined,
    Simple(u8),
    Float(f64),
    Break,
}

/// A pull reader over one CBOR buffer.
#[derive(Clone)]
pub struct CborReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> CborReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        CborReader { data, pos: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], IoError> {
        let end = self.pos.checked_add(n).ok_or(IoError::Malformed)?;
        let s = self.data.get(self.pos..end).ok_or(IoError::Malformed)?;
        self.pos = end;
        Ok(s)
    }

    fn arg(&mut self, ai: u8) -> Result<u64, IoError> {
        let n = match ai {
            0..=23 => return Ok(u64::from(ai)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            _ => return Err(IoError::Malformed),
        };
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// Whether the next byte is a "break" stop code (without consuming it).
    pub fn peek_break(&self) -> bool {
        self.data.get(self.pos) == Some(&0xFF)
    }

    /// Reads the next item head (and a definite string's content).
    pub fn item(&mut self) -> Result<Item<'a>, IoError> {
        let ib = *self.take(1)?.first().ok_or(IoError::Malformed)?;
        let major = ib >> 5;
        let ai = ib & 0x1F;
        if ai == 31 {
            return match major {
                MAJOR_BYTES => Ok(Item::BytesIndef),
                MAJOR_TEXT => Ok(Item::TextIndef),
                MAJOR_ARRAY => Ok(Item::Array(None)),
                MAJOR_MAP => Ok(Item::Map(None)),
                MAJOR_SIMPLE => Ok(Item::Break),
                _ => Err(IoError::Malformed),
            };
        }
        if major == MAJOR_SIMPLE {
            return match ai {
                20 => Ok(Item::Bool(false)),
                21 => Ok(Item::Bool(true)),
                22 => Ok(Item::Null),
                23 => Ok(Item::Undefined),
                24 => match self.arg(24)? {
                    // RFC 8949 §3.3: two-byte simple values below 32 are not well-formed.
                    v if v < 32 => Err(IoError::Malformed),
                    v => Ok(Item::Simple(v as u8)),
                },
                25 => Ok(Item::Float(f16_to_f64(self.arg(25)? as u16))),
                26 => Ok(Item::Float(super::fbits::f32_to_f64(self.arg(26)? as u32))),
                27 => Ok(Item::Float(f64::from_bits(self.arg(27)?))),
                0..=19 => Ok(Item::Simple(ai)),
                _ => Err(IoError::Malformed),
            };
        }
        let arg = self.arg(ai)?;
        Ok(match major {
            MAJOR_UINT => Item::Uint(arg),
            MAJOR_NINT => Item::Nint(arg),
            MAJOR_BYTES | MAJOR_TEXT => {
                let len = usize::try_from(arg).map_err(|_| IoError::Malformed)?;
                let s = self.take(len)?;
                if major == MAJOR_BYTES {
                    Item::Bytes(s)
                } else {
                    Item::Text(s)
                }
            }
            MAJOR_ARRAY => Item::Array(Some(arg)),
            MAJOR_MAP => Item::Map(Some(arg)),
            _ => Item::Tag(arg),
        })
    }

    /// Completes a string whose head `first` was just read: a definite string is
    /// returned as is; an indefinite one has its chunks (definite strings of the same major
    /// type, RFC 8949 §3.2.3) concatenated into `scratch`. Text is checked to be UTF-8.
    pub(crate) fn string(
        &mut self,
        first: Item<'a>,
        scratch: &mut Scratch<'a>,
    ) -> Result<&'a [u8], IoError> {
        let (text, s) = match first {
            Item::Bytes(s) => (false, s),
            Item::Text(s) => (true, s),
            Item::BytesIndef | Item::TextIndef => {
                let text = first == Item::TextIndef;
                let s = scratch.take_with(|buf| {
                    let mut w = SliceWriter::new(buf);
                    loop {
                        match self.item()? {
                            Item::Break => return Ok(w.pos),
                            Item::Bytes(c) if !text => w.push(c)?,
                            // Each text chunk must be valid UTF-8 on its own (§3.2.3).
                            Item::Text(c) if text && core::str::from_utf8(c).is_ok() => {
                                w.push(c)?
                            }
                            _ => return Err(IoError::Malformed),
                        }
                    }
                })?;
                (text, s)
            }
            _ => return Err(IoError::TypeMismatch),
        };
        if text && core::str::from_utf8(s).is_err() {
            return Err(IoError::Malformed);
        }
        Ok(s)
    }

    /// Skips the rest of the data item whose head `first` was just read.
    pub fn skip(&mut self, first: Item<'a>) -> Result<(), IoError> {
        self.skip_at(first, 0)
    }

    fn skip_at(&mut self, first: Item<'a>, depth: usize) -> Result<(), IoError> {
        if depth >= MAX_DEPTH {
            return Err(IoError::Unsupported);
        }
        match first {
            Item::BytesIndef | Item::TextIndef => loop {
                match self.item()? {
                    Item::Break => return Ok(()),
                    Item::Bytes(_) if first == Item::BytesIndef => {}
                    Item::Text(_) if first == Item::TextIndef => {}
                    _ => return Err(IoError::Malformed),
                }
            },
            Item::Array(n) | Item::Map(n) => {
                let per = if matches!(first, Item::Map(_)) { 2 } else { 1 };
                match n {
                    Some(n) => {
                        // Every item takes at least one byte, so truncated input ends this
                        // loop long before a huge declared count would.
                        let items = n.checked_mul(per).ok_or(IoError::Malformed)?;
                        for _ in 0..items {
                            let it = self.item()?;
                            if it == Item::Break {
                                return Err(IoError::Malformed);
                            }
                            self.skip_at(it, depth + 1)?;
                        }
                        Ok(())
                    }
                    None => {
                        let mut count = 0u64;
                        loop {
                            let it = self.item()?;
                            if it == Item::Break {
                                return if count % per == 0 {
                                    Ok(())
                                } else {
                                    Err(IoError::Malformed)
                                };
                            }
                            self.skip_at(it, depth + 1)?;
                            count = count.wrapping_add(1);
                        }
                    }
                }
            }
            Item::Tag(_) => {
                let it = self.item()?;
                if it == Item::Break {
                    return Err(IoError::Malformed);
                }
                self.skip_at(it, depth + 1)
            }
            Item::Break => Err(IoError::Malformed),
            _ => Ok(()),
        }
    }
}

/// application/cbor (content format 60), LwM2M TS Core §7.4.7 (1.1+): exactly one resource
/// (instance) value as a single CBOR data item. Time is tag 1 + integer, Objlnk the text
/// `"oid:iid"`, floats in their smallest exact precision.
pub struct PlainCborEncoder<'b> {
    w: CborWriter<'b>,
    base: crate::io::value::Path,
    done: bool,
}

impl<'b> PlainCborEncoder<'b> {
    pub fn new(base: crate::io::value::Path, out: &'b mut [u8]) -> Self {
        PlainCborEncoder {
            w: CborWriter::new(out),
            base,
            done: false,
        }
    }
}

impl crate::io::value::Encoder for PlainCborEncoder<'_> {
    fn entry(&mut self, e: &crate::io::value::Entry<'_>) -> Result<(), IoError> {
        use crate::io::value::Value;
        if self.done {
            return Err(IoError::Logic);
        }
        if e.path.len() < 3 || !self.base.is_prefix_of(&e.path) {
            return Err(IoError::BadPath);
        }
        let r = match e.value {
            Value::Null => Err(IoError::Unsupported),
            Value::Bytes(b) => self.w.bytes(b),
            Value::String(s) => self.w.text(s.as_bytes()),
            Value::Int(i) => self.w.int(i),
            Value::Uint(u) => self.w.uint(u),
            Value::Double(d) => self.w.float(d),
            Value::Bool(b) => self.w.bool(b),
            Value::Time(t) => self.w.tag(TAG_EPOCH_TIME).and_then(|_| self.w.int(t)),
            Value::Objlnk { oid, iid } => {
                let mut b = [0u8; 11];
                let mut w = SliceWriter::new(&mut b);
                w.push_u64(u64::from(oid))?;
                w.push_byte(b':')?;
                w.push_u64(u64::from(iid))?;
                let n = w.pos;
                self.w.text(b.get(..n).unwrap_or(&[]))
            }
        };
        if r.is_err() {
            self.w.w.pos = 0;
        } else {
            self.done = true;
        }
        r
    }

    fn finish(self) -> Result<usize, IoError> {
        Ok(self.w.position())
    }
}

/// Decoder of application/cbor: one value at the request path, typed by the expected type
/// (numbers as in SenML: integral values for Int/Uint/Time, any number for Double).
/// Indefinite strings are concatenated into `scratch`.
pub struct PlainCborDecoder<'a> {
    r: CborReader<'a>,
    path: crate::io::value::Path,
    scratch: Scratch<'a>,
    done: bool,
}

impl<'a> PlainCborDecoder<'a> {
    pub fn new(path: crate::io::value::Path, data: &'a [u8], scratch: &'a mut [u8]) -> Self {
        PlainCborDecoder {
            r: CborReader::new(data),
            path,
            scratch: Scratch::new(scratch),
            done: false,
        }
    }

    fn value(
        &mut self,
        t: Option<crate::io::value::DataType>,
    ) -> Result<crate::io::value::Value<'a>, IoError> {
        use crate::io::fbits::{f64_to_i64, f64_to_u64};
        use crate::io::value::{DataType as T, Value};
        let mut it = self.r.item()?;
        let tagged = it == Item::Tag(TAG_EPOCH_TIME);
        if tagged {
            it = self.r.item()?;
        }
        let bad = IoError::TypeMismatch;
        let as_i64 = |it: Item<'_>| match it {
            Item::Uint(u) => i64::try_from(u).ok(),
            Item::Nint(n) => i64::try_from(n).ok().map(|n| -1 - n),
            Item::Float(f) => f64_to_i64(f),
            _ => None,
        };
        let as_f64 = |it: Item<'_>| match it {
            Item::Uint(u) => Some(u as f64),
            Item::Nint(n) => Some(-1.0 - n as f64),
            Item::Float(f) => Some(f),
            _ => None,
        };
        let v = match (t, it) {
            (Some(T::Int), _) => Value::Int(as_i64(it).ok_or(bad)?),
            (Some(T::Time), _) => Value::Time(as_i64(it).ok_or(bad)?),
            (Some(T::Uint), Item::Uint(u)) => Value::Uint(u),
            (Some(T::Uint), Item::Float(f)) => Value::Uint(f64_to_u64(f).ok_or(bad)?),
            (Some(T::Double), _) => Value::Double(as_f64(it).ok_or(bad)?),
            (Some(T::Bool) | None, Item::Bool(b)) => Value::Bool(b),
            (Some(T::Bytes) | None, Item::Bytes(_) | Item::BytesIndef) => {
                Value::Bytes(self.r.string(it, &mut self.scratch)?)
            }
            (Some(T::String) | None, Item::Text(_) | Item::TextIndef) => {
                let s = self.r.string(it, &mut self.scratch)?;
                Value::String(core::str::from_utf8(s).map_err(|_| IoError::Malformed)?)
            }
            (Some(T::Objlnk), Item::Text(_) | Item::TextIndef) => {
                let s = self.r.string(it, &mut self.scratch)?;
                let colon = s
                    .iter()
                    .position(|&c| c == b':')
                    .ok_or(IoError::Malformed)?;
                let num =
                    |d: &[u8]| crate::io::text::parse_u64(d).and_then(|v| u16::try_from(v).ok());
                let oid = s.get(..colon).and_then(num).ok_or(IoError::Malformed)?;
                let iid = s.get(colon + 1..).and_then(num).ok_or(IoError::Malformed)?;
                Value::Objlnk { oid, iid }
            }
            (None, Item::Uint(u)) if tagged => Value::Time(i64::try_from(u).map_err(|_| bad)?),
            (None, Item::Uint(u)) => i64::try_from(u).map_or(Value::Uint(u), Value::Int),
            (None, Item::Nint(_)) => Value::Int(as_i64(it).ok_or(bad)?),
            (None, Item::Float(f)) => Value::Double(f),
            (_, Item::Break) => return Err(IoError::Malformed),
            _ => return Err(bad),
        };
        if !self.r.at_end() {
            return Err(IoError::Malformed);
        }
        Ok(v)
    }
}

impl<'a> crate::io::value::Decoder<'a> for PlainCborDecoder<'a> {
    fn next_entry(
        &mut self,
        expected: crate::io::value::TypeOf<'_>,
    ) -> Result<Option<crate::io::value::Entry<'a>>, IoError> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        if self.path.len() < 3 {
            return Err(IoError::Unsupported);
        }
        let t = expected(&self.path).filter(|t| *t != crate::io::value::DataType::Null);
        let v = self.value(t)?;
        Ok(Some(crate::io::value::Entry::new(self.path, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut CborWriter<'_>) -> Result<(), IoError>) -> std::vec::Vec<u8> {
        let mut buf = [0u8; 64];
        let mut w = CborWriter::new(&mut buf);
        f(&mut w).unwrap();
        let n = w.position();
        buf[..n].to_vec()
    }

    #[test]
    fn plain_cbor_round_trip() {
        use crate::io::value::{DataType, Decoder, Encoder, Entry, Path, Value};
        let p = Path::new(&[3, 0, 1]);
        let vals = [
            Value::Bytes(b"\x01\x02"),
            Value::String("abc"),
            Value::Int(-70000),
            Value::Uint(u64::MAX),
            Value::Double(0.1),
            Value::Double(1.5),
            Value::Bool(true),
            Value::Time(1_700_000_000),
            Value::Objlnk { oid: 1, iid: 2 },
        ];
        for v in vals {
            let mut buf = [0u8; 32];
            let mut e = PlainCborEncoder::new(p, &mut buf);
            e.entry(&Entry::new(p, v)).unwrap();
            assert_eq!(e.entry(&Entry::new(p, v)), Err(IoError::Logic));
            let n = e.finish().unwrap();
            let t = v.data_type();
            let mut d = PlainCborDecoder::new(p, &buf[..n], &mut []);
            assert_eq!(d.next_entry(&|_| Some(t)).unwrap().unwrap().value, v);
            let c: ciborium::value::Value = ciborium::de::from_reader(&buf[..n]).unwrap();
            assert!(!c.is_null());
        }
        let mut d = PlainCborDecoder::new(p, &[0x01, 0x02], &mut []);
        assert_eq!(
            d.next_entry(&|_| Some(DataType::Int)),
            Err(IoError::Malformed)
        );
        let mut d = PlainCborDecoder::new(p, &[0xf9, 0x3e, 0x00], &mut []);
        assert_eq!(
            d.next_entry(&|_| Some(DataType::Int)),
            Err(IoError::TypeMismatch)
        );
        let mut sb = [0u8; 4];
        let mut d = PlainCborDecoder::new(p, &[0x7f, 0x61, 0x61, 0xff], &mut sb);
        assert_eq!(
            d.next_entry(&|_| None).unwrap().unwrap().value,
            Value::String("a")
        );
    }

    #[test]
    fn rfc8949_appendix_a_encodings() {
        assert_eq!(enc(|w| w.uint(0)), [0x00]);
        assert_eq!(enc(|w| w.uint(23)), [0x17]);
        assert_eq!(enc(|w| w.uint(24)), [0x18, 0x18]);
        assert_eq!(enc(|w| w.uint(1000)), [0x19, 0x03, 0xe8]);
        assert_eq!(enc(|w| w.uint(1_000_000)), [0x1a, 0x00, 0x0f, 0x42, 0x40]);
        assert_eq!(
            enc(|w| w.uint(u64::MAX)),
            [0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(enc(|w| w.int(-1)), [0x20]);
        assert_eq!(enc(|w| w.int(-1000)), [0x39, 0x03, 0xe7]);
        assert_eq!(
            enc(|w| w.int(i64::MIN)),
            [0x3b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(enc(|w| w.float(0.0)), [0xf9, 0x00, 0x00]);
        assert_eq!(enc(|w| w.float(-0.0)), [0xf9, 0x80, 0x00]);
        assert_eq!(enc(|w| w.float(1.5)), [0xf9, 0x3e, 0x00]);
        assert_eq!(enc(|w| w.float(65504.0)), [0xf9, 0x7b, 0xff]);
        assert_eq!(enc(|w| w.float(100000.0)), [0xfa, 0x47, 0xc3, 0x50, 0x00]);
        assert_eq!(enc(|w| w.float(5.960464477539063e-8)), [0xf9, 0x00, 0x01]);
        assert_eq!(enc(|w| w.float(0.00006103515625)), [0xf9, 0x04, 0x00]);
        assert_eq!(enc(|w| w.float(-4.0)), [0xf9, 0xc4, 0x00]);
        assert_eq!(
            enc(|w| w.float(1.1)),
            [0xfb, 0x3f, 0xf1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]
        );
        assert_eq!(enc(|w| w.float(f64::INFINITY)), [0xf9, 0x7c, 0x00]);
        assert_eq!(enc(|w| w.float(f64::NAN)), [0xf9, 0x7e, 0x00]);
        assert_eq!(
            enc(|w| w.float(3.4028234663852886e+38)),
            [0xfa, 0x7f, 0x7f, 0xff, 0xff]
        );
        assert_eq!(enc(|w| w.text(b"IETF")), [0x64, 0x49, 0x45, 0x54, 0x46]);
        assert_eq!(enc(|w| w.bool(true)), [0xf5]);
        assert_eq!(enc(|w| w.tag(1)), [0xc1]);
    }

    #[test]
    fn half_floats_round_trip() {
        for h in 0u16..=0xFFFF {
            let v = f16_to_f64(h);
            if v.is_nan() {
                continue;
            }
            assert_eq!(f64_to_f16_exact(v), Some(h), "{h:#x} {v}");
        }
        assert_eq!(f64_to_f16_exact(1.0 / 3.0), None);
        assert_eq!(f64_to_f16_exact(1e-10), None);
        assert_eq!(f64_to_f16_exact(65536.0), None);
    }

    #[test]
    fn reads_items() {
        let data = [
            0x9f, 0x01, 0x39, 0x03, 0xe7, 0x5f, 0x42, 0x01, 0x02, 0x41, 0x03, 0xff, 0x7f, 0x61,
            0x61, 0x61, 0x62, 0xff, 0xa1, 0x01, 0xf6, 0xfa, 0x47, 0xc3, 0x50, 0x00, 0xf8, 0x20,
            0xff,
        ];
        let mut r = CborReader::new(&data);
        let mut scratch_buf = [0u8; 8];
        let mut scratch = Scratch::new(&mut scratch_buf);
        assert_eq!(r.item(), Ok(Item::Array(None)));
        assert_eq!(r.item(), Ok(Item::Uint(1)));
        assert_eq!(r.item(), Ok(Item::Nint(999)));
        let it = r.item().unwrap();
        assert_eq!(r.string(it, &mut scratch), Ok(&[1u8, 2, 3][..]));
        let it = r.item().unwrap();
        assert_eq!(r.string(it, &mut scratch), Ok(&b"ab"[..]));
        let it = r.item().unwrap();
        assert_eq!(it, Item::Map(Some(1)));
        r.skip(it).unwrap();
        assert_eq!(r.item(), Ok(Item::Float(100000.0)));
        assert_eq!(r.item(), Ok(Item::Simple(32)));
        assert!(r.peek_break());
        assert_eq!(r.item(), Ok(Item::Break));
        assert!(r.at_end());
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &[0x18][..],                                             // truncated argument
            &[0x1c],       // reserved additional information
            &[0x1f],       // indefinite unsigned
            &[0x62, 0x61], // truncated string
            &[0xf8, 0x10], // two-byte simple < 32
            &[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // absurd length
        ] {
            assert_eq!(
                CborReader::new(bad).item(),
                Err(IoError::Malformed),
                "{bad:x?}"
            );
        }
        let mut sb = [0u8; 8];
        let mut scratch = Scratch::new(&mut sb);
        // Indefinite text with a byte-string chunk, and with a nested indefinite chunk.
        for bad in [
            &[0x7f, 0x41, 0x61, 0xff][..],
            &[0x7f, 0x7f, 0xff, 0xff],
            &[0x7f, 0x61, 0x61],
        ] {
            let mut r = CborReader::new(bad);
            let it = r.item().unwrap();
            assert_eq!(r.string(it, &mut scratch), Err(IoError::Malformed));
        }
        // Invalid UTF-8 text.
        let mut r = CborReader::new(&[0x61, 0xff]);
        let it = r.item().unwrap();
        assert_eq!(r.string(it, &mut scratch), Err(IoError::Malformed));
        // Deep nesting is refused rather than recursed into.
        let deep = [0x81u8; 40];
        let mut r = CborReader::new(&deep);
        let it = r.item().unwrap();
        assert!(r.skip(it).is_err());
        // Odd number of items in an indefinite map; huge declared count on short input.
        for bad in [
            &[0xbf, 0x01, 0xff][..],
            &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        ] {
            let mut r = CborReader::new(bad);
            let it = r.item().unwrap();
            assert_eq!(r.skip(it), Err(IoError::Malformed));
        }
    }
}
