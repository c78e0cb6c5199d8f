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
/// Tag 0: standard date/time string, RFC 3339 (RFC 8949 §3.4.1).
pub const TAG_STRING_TIME: u64 = 0;
/// Tag 4: decimal fraction `[exponent, mantissa]` (RFC 8949 §3.4.4).
pub const TAG_DECIMAL_FRACTION: u64 = 4;

pub use super::fbits::{f16_to_f64, f64_to_f16_exact};

/// Writes CBOR into a caller's buffer.
pub struct CborWriter<'b> {
    pub w: SliceWriter<'b>,
}

impl<'b> CborWriter<'b> {
    pub fn new(out: &'b mut [u8]) -> Self {
        CborWriter {
            w: SliceWriter::new(out),
        }
    }

    pub fn from_writer(w: SliceWriter<'b>) -> Self {
        CborWriter { w }
    }

    /// Bytes written so far.
    pub fn position(&self) -> usize {
        self.w.pos
    }

    /// A head with the shortest argument encoding (RFC 8949 §3, §4.2.1).
    #[inline]
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

    /// A byte string (or text string, by `ty`) streamed from `src`: a definite-length
    /// string (RFC 8949 §3.1) whose length a first pass over the source measures.
    #[cfg(feature = "external-data")]
    pub fn streamed(
        &mut self,
        ty: crate::io::value::DataType,
        src: &mut crate::io::value::Source<'_>,
    ) -> Result<(), IoError> {
        use crate::io::value::DataType;
        let major = match ty {
            DataType::Bytes => MAJOR_BYTES,
            DataType::String => MAJOR_TEXT,
            _ => return Err(IoError::Unsupported),
        };
        let len = crate::io::value::stream_len(src)?;
        self.head(major, len as u64)?;
        self.w.push_streamed(src, len)
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

    /// A float as single precision when that is exact, else double, as Anjay Lite writes
    /// it (half precision, RFC 8949 §4.2.2's shortest form, would save 2 bytes on values
    /// such as 1.5, but servers and tests comparing bytes expect Anjay Lite's form, and
    /// every CBOR decoder must accept both).
    pub fn float(&mut self, v: f64) -> Result<(), IoError> {
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
    /// `data` is one piece of a larger payload: running out of it is
    /// [`IoError::Truncated`] rather than [`IoError::Malformed`].
    partial: bool,
    /// The last definite-length string whose content was cut by the end of a partial
    /// piece: where its content starts, its length, whether it is text.
    cut: Option<(usize, usize, bool)>,
}

impl<'a> CborReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        CborReader {
            data,
            pos: 0,
            partial: false,
            cut: None,
        }
    }

    /// A reader of one piece of a larger payload (see [`CborReader::partial`]).
    pub fn new_partial(data: &'a [u8]) -> Self {
        CborReader {
            data,
            pos: 0,
            partial: true,
            cut: None,
        }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    /// After [`IoError::Truncated`] in a definite-length string: where its content starts
    /// in the piece, its full length and whether it is text.
    pub fn cut_string(&self) -> Option<(usize, usize, bool)> {
        self.cut
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], IoError> {
        let end = self.pos.checked_add(n).ok_or(IoError::Malformed)?;
        let s = self.data.get(self.pos..end).ok_or(if self.partial {
            IoError::Truncated
        } else {
            IoError::Malformed
        })?;
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
                // RFC 8949 §3.2.3 indefinite-length strings (Anjay Lite's
                // ANJ_WITH_CBOR_DECODE_INDEFINITE_BYTES).
                #[cfg(feature = "cbor-decode-indefinite-bytes")]
                MAJOR_BYTES => Ok(Item::BytesIndef),
                #[cfg(feature = "cbor-decode-indefinite-bytes")]
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
                // RFC 8949 §3.3 half precision (ANJ_WITH_CBOR_DECODE_HALF_FLOAT).
                #[cfg(feature = "cbor-decode-half-float")]
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
                let start = self.pos;
                let s = self.take(len).inspect_err(|e| {
                    if *e == IoError::Truncated {
                        self.cut = Some((start, len, major == MAJOR_TEXT));
                    }
                })?;
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

    /// Reads the next data item where a number is expected, resolving the numeric tags:
    /// tag 1 (epoch time, RFC 8949 §3.4.2) is dropped and reported as `true`; with the
    /// matching features, tag 0 (RFC 3339 text, §3.4.1) becomes an integer (or a float
    /// with fractional seconds) also reported as time, and tag 4 (decimal fraction,
    /// §3.4.4) becomes a float. Any other item is returned as read.
    pub fn number_item(&mut self) -> Result<(Item<'a>, bool), IoError> {
        match self.item()? {
            Item::Tag(TAG_EPOCH_TIME) => Ok((self.item()?, true)),
            #[cfg(feature = "cbor-decode-string-time")]
            Item::Tag(TAG_STRING_TIME) => match self.item()? {
                Item::Text(s) => Ok((parse_rfc3339(s).ok_or(IoError::Malformed)?, true)),
                _ => Err(IoError::Malformed),
            },
            #[cfg(feature = "cbor-decode-decimal-fractions")]
            Item::Tag(TAG_DECIMAL_FRACTION) => Ok((Item::Float(self.decimal_fraction()?), false)),
            it => Ok((it, false)),
        }
    }

    /// The value `m * 10^e` of a decimal fraction `[e, m]` (RFC 8949 §3.4.4) whose tag was
    /// just read; both must be integers (bignum mantissas are not supported). The result
    /// is exact-then-rounded for `|e| <= 22` (every such power of ten is an exact `f64`).
    #[cfg(feature = "cbor-decode-decimal-fractions")]
    fn decimal_fraction(&mut self) -> Result<f64, IoError> {
        let indefinite = match self.item()? {
            Item::Array(Some(2)) => false,
            Item::Array(None) => true,
            _ => return Err(IoError::Malformed),
        };
        let e = match self.item()? {
            Item::Uint(u) => i64::try_from(u).unwrap_or(i64::MAX),
            Item::Nint(n) => i64::try_from(n).map_or(i64::MIN, |n| -1 - n),
            _ => return Err(IoError::Malformed),
        };
        let m = match self.item()? {
            Item::Uint(u) => u as f64,
            Item::Nint(n) => -1.0 - n as f64,
            _ => return Err(IoError::Malformed),
        };
        if indefinite && !matches!(self.item()?, Item::Break) {
            return Err(IoError::Malformed);
        }
        // 10^|e| by squaring; past 2^11 it is infinite in f64 anyway.
        let mut k = e.unsigned_abs().min(2048);
        let (mut p, mut base) = (1.0f64, 10.0f64);
        while k > 0 {
            if k & 1 == 1 {
                p *= base;
            }
            base *= base;
            k >>= 1;
        }
        Ok(if m == 0.0 {
            m
        } else if e >= 0 {
            m * p
        } else {
            m / p
        })
    }

    /// Completes a string whose head `first` was just read: a definite string is
    /// returned as is; an indefinite one has its chunks (definite strings of the same major
    /// type, RFC 8949 §3.2.3) concatenated into `scratch`. Text is checked to be UTF-8.
    pub fn string(
        &mut self,
        first: Item<'a>,
        scratch: &mut Scratch<'a>,
    ) -> Result<&'a [u8], IoError> {
        let (text, s) = match first {
            Item::Bytes(s) => (false, s),
            Item::Text(s) => (true, s),
            Item::BytesIndef | Item::TextIndef => {
                let text = matches!(first, Item::TextIndef);
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
                    Item::Bytes(_) if matches!(first, Item::BytesIndef) => {}
                    Item::Text(_) if matches!(first, Item::TextIndef) => {}
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
                            if matches!(it, Item::Break) {
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
                            if matches!(it, Item::Break) {
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
                if matches!(it, Item::Break) {
                    return Err(IoError::Malformed);
                }
                self.skip_at(it, depth + 1)
            }
            Item::Break => Err(IoError::Malformed),
            _ => Ok(()),
        }
    }
}

/// Parses an RFC 3339 §5.6 `date-time` (`2003-12-13T18:30:02Z`, optional fractional
/// seconds, `Z` or a `+hh:mm` / `-hh:mm` offset) into seconds since the Unix epoch: an
/// integer item, or a float when there are fractional seconds. Leap second 60 is taken
/// as is (it lands on the next minute's first second).
#[cfg(feature = "cbor-decode-string-time")]
fn parse_rfc3339(s: &[u8]) -> Option<Item<'static>> {
    let num = |from: usize, len: usize| -> Option<i32> {
        s.get(from..from + len)?.iter().try_fold(0i32, |a, c| {
            c.is_ascii_digit().then(|| a * 10 + i32::from(c - b'0'))
        })
    };
    let is = |at: usize, set: &[u8]| s.get(at).is_some_and(|c| set.contains(c));
    if !(is(4, b"-") && is(7, b"-") && is(10, b"Tt") && is(13, b":") && is(16, b":")) {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = match mo {
        2 => 28 + i32::from(leap),
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if d < 1 || d > month_days || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    // time-secfrac: "." 1*DIGIT; digits past nanoseconds are dropped.
    let mut at = 19;
    let mut nanos = 0u32;
    if is(at, b".") {
        at += 1;
        let start = at;
        while let Some(c) = s.get(at).filter(|c| c.is_ascii_digit()) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(c - b'0');
            }
            at += 1;
        }
        if at == start {
            return None;
        }
        for _ in (at - start).min(9)..9 {
            nanos *= 10;
        }
    }
    // time-offset: "Z" / ("+" / "-") time-hour ":" time-minute.
    let offset = if is(at, b"Zz") {
        at += 1;
        0
    } else if is(at, b"+-") && is(at + 3, b":") {
        let (oh, om) = (num(at + 1, 2)?, num(at + 4, 2)?);
        if oh > 23 || om > 59 {
            return None;
        }
        let o = oh * 3600 + om * 60;
        let neg = is(at, b"-");
        at += 6;
        if neg {
            -o
        } else {
            o
        }
    } else {
        return None;
    };
    if at != s.len() {
        return None;
    }
    // Days from 1970-01-01 to y-mo-d (the proleptic Gregorian civil-from-days inverse).
    let ya = if mo <= 2 { y - 1 } else { y };
    let era = ya.div_euclid(400);
    let yoe = ya - era * 400;
    let doy = (153 * ((mo + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let secs = i64::from(days) * 86_400 + i64::from(h * 3600 + mi * 60 + sec - offset);
    Some(if nanos != 0 {
        Item::Float(secs as f64 + f64::from(nanos) / 1e9)
    } else if secs >= 0 {
        Item::Uint(secs as u64)
    } else {
        Item::Nint(!secs as u64)
    })
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
        Self::with_writer(base, SliceWriter::new(out))
    }

    pub fn with_writer(base: crate::io::value::Path, w: SliceWriter<'b>) -> Self {
        PlainCborEncoder {
            w: CborWriter::from_writer(w),
            base,
            done: false,
        }
    }
}

impl crate::io::value::Encoder for PlainCborEncoder<'_> {
    fn entry(&mut self, e: &crate::io::value::Entry<'_>) -> Result<(), IoError> {
        if self.done {
            return Err(IoError::Logic);
        }
        if e.path.len() < 3 || !self.base.is_prefix_of(&e.path) {
            return Err(IoError::BadPath);
        }
        let r = write_value(&mut self.w, &e.value);
        if r.is_err() {
            self.w.w.pos = 0;
        } else {
            self.done = true;
        }
        r
    }

    #[cfg(feature = "external-data")]
    fn streamed(
        &mut self,
        path: &crate::io::value::Path,
        ty: crate::io::value::DataType,
        src: &mut crate::io::value::Source<'_>,
    ) -> Result<(), IoError> {
        if self.done {
            return Err(IoError::Logic);
        }
        if path.len() < 3 || !self.base.is_prefix_of(path) {
            return Err(IoError::BadPath);
        }
        let r = self.w.streamed(ty, src);
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

/// Writes one LwM2M value as a CBOR data item (application/cbor, LwM2M CBOR leaves; LwM2M
/// TS Core §7.4.7): Time as tag 1 + integer (RFC 8949 §3.4.2), Objlnk as the text
/// `"oid:iid"`, floats in their smallest exact precision. Null has no representation.
pub fn write_value(w: &mut CborWriter<'_>, v: &crate::io::value::Value<'_>) -> Result<(), IoError> {
    use crate::io::value::Value;
    match *v {
        Value::Null => Err(IoError::Unsupported),
        Value::Bytes(b) => w.bytes(b),
        Value::String(s) => w.text(s.as_bytes()),
        Value::Int(i) => w.int(i),
        Value::Uint(u) => w.uint(u),
        Value::Double(d) => w.float(d),
        Value::Bool(b) => w.bool(b),
        Value::Time(t) => w.tag(TAG_EPOCH_TIME).and_then(|_| w.int(t)),
        Value::Objlnk { oid, iid } => {
            let mut b = [0u8; 11];
            let mut sw = SliceWriter::new(&mut b);
            sw.push_u64(u64::from(oid))?;
            sw.push_byte(b':')?;
            sw.push_u64(u64::from(iid))?;
            let n = sw.pos;
            w.text(b.get(..n).unwrap_or(&[]))
        }
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
    /// `data` is a piece of the payload before the last one.
    partial: bool,
    /// Resumed after a value handed over in chunks: only the end may follow.
    after: bool,
    /// The String or Opaque value whose content the end of the piece cut.
    cut: Option<crate::io::value::CutValue>,
}

/// Where a [`PlainCborDecoder`] stands between two pieces of a payload: at its start, as
/// the payload is one value (it is decoded once the last piece has come, the earlier ones
/// being carried whole).
#[derive(Clone, Copy, Debug)]
pub struct PlainCborState {
    path: crate::io::value::Path,
    /// The value was handed over in chunks ([`PlainCborDecoder::cut_value`]).
    after: bool,
}

impl<'a> PlainCborDecoder<'a> {
    pub fn new(path: crate::io::value::Path, data: &'a [u8], scratch: &'a mut [u8]) -> Self {
        Self::resume(Self::initial(path), data, scratch, true)
    }

    /// The state at the start of a payload sent to `path`.
    pub fn initial(path: crate::io::value::Path) -> PlainCborState {
        PlainCborState { path, after: false }
    }

    /// A decoder of one piece of a payload, from `state`. Unless `last`, the value is
    /// [`IoError::Truncated`] (nothing is consumed: the whole value must be in the last
    /// piece together with the carried ones).
    pub fn resume(
        state: PlainCborState,
        data: &'a [u8],
        scratch: &'a mut [u8],
        last: bool,
    ) -> Self {
        PlainCborDecoder {
            r: CborReader::new(data),
            path: state.path,
            scratch: Scratch::new(scratch),
            done: false,
            partial: !last,
            after: state.after,
            cut: None,
        }
    }

    /// The offset in `data` of the first byte not consumed, and the state to resume from
    /// there.
    pub fn checkpoint(&self) -> (usize, PlainCborState) {
        let used = if self.partial { 0 } else { self.r.position() };
        (
            used,
            PlainCborState {
                path: self.path,
                after: self.after,
            },
        )
    }

    /// After [`IoError::Truncated`]: the value, if it is a definite-length String or
    /// Opaque one that can be handed over in chunks, and the state after its content.
    pub fn cut_value(&self) -> Option<(crate::io::value::CutValue, PlainCborState)> {
        let cut = self.cut?;
        Some((
            cut,
            PlainCborState {
                path: self.path,
                after: true,
            },
        ))
    }
}

/// Reads one LwM2M value (application/cbor, LwM2M CBOR leaves): typed by the expected type
/// `t` (numbers as in SenML: integral values for Int/Uint/Time, any number for Double);
/// `None` gives the item's natural type (tag 1 marks a Time). Indefinite strings are
/// concatenated into `scratch`.
pub fn read_value<'a>(
    r: &mut CborReader<'a>,
    scratch: &mut Scratch<'a>,
    t: Option<crate::io::value::DataType>,
) -> Result<crate::io::value::Value<'a>, IoError> {
    use crate::io::fbits::{f64_to_i64, f64_to_u64};
    use crate::io::value::{DataType as T, Value};
    let (it, tagged) = r.number_item()?;
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
    Ok(match (t, it) {
        (Some(T::Int), _) => Value::Int(as_i64(it).ok_or(bad)?),
        (Some(T::Time), _) => Value::Time(as_i64(it).ok_or(bad)?),
        (Some(T::Uint), Item::Uint(u)) => Value::Uint(u),
        (Some(T::Uint), Item::Float(f)) => Value::Uint(f64_to_u64(f).ok_or(bad)?),
        (Some(T::Double), _) => Value::Double(as_f64(it).ok_or(bad)?),
        (Some(T::Bool) | None, Item::Bool(b)) => Value::Bool(b),
        (Some(T::Bytes) | None, Item::Bytes(_) | Item::BytesIndef) => {
            Value::Bytes(r.string(it, scratch)?)
        }
        (Some(T::String) | None, Item::Text(_) | Item::TextIndef) => {
            let s = r.string(it, scratch)?;
            Value::String(core::str::from_utf8(s).map_err(|_| IoError::Malformed)?)
        }
        (Some(T::Objlnk), Item::Text(_) | Item::TextIndef) => {
            let s = r.string(it, scratch)?;
            let colon = s
                .iter()
                .position(|&c| c == b':')
                .ok_or(IoError::Malformed)?;
            let num = |d: &[u8]| crate::io::text::parse_u64(d).and_then(|v| u16::try_from(v).ok());
            let oid = s.get(..colon).and_then(num).ok_or(IoError::Malformed)?;
            let iid = s.get(colon + 1..).and_then(num).ok_or(IoError::Malformed)?;
            Value::Objlnk { oid, iid }
        }
        (None, Item::Uint(u)) if tagged => Value::Time(i64::try_from(u).map_err(|_| bad)?),
        (None, Item::Nint(_)) if tagged => Value::Time(as_i64(it).ok_or(bad)?),
        (None, Item::Uint(u)) => i64::try_from(u).map_or(Value::Uint(u), Value::Int),
        (None, Item::Nint(_)) => Value::Int(as_i64(it).ok_or(bad)?),
        (None, Item::Float(f)) => Value::Double(f),
        (_, Item::Break) => return Err(IoError::Malformed),
        _ => return Err(bad),
    })
}

impl<'a> crate::io::value::Decoder<'a> for PlainCborDecoder<'a> {
    fn next_entry(
        &mut self,
        expected: crate::io::value::TypeOf<'_>,
    ) -> Result<Option<crate::io::value::Entry<'a>>, IoError> {
        if self.done {
            return Ok(None);
        }
        if self.path.len() < 3 {
            self.done = true;
            return Err(IoError::Unsupported);
        }
        if self.after {
            // The value was handed over in chunks.
            self.done = true;
            return if self.r.at_end() {
                Ok(None)
            } else {
                Err(IoError::Malformed)
            };
        }
        let t = expected(&self.path).filter(|t| *t != crate::io::value::DataType::Null);
        if self.partial {
            // A String or Opaque value may be cut; anything else waits for the last piece.
            use crate::io::value::DataType as T;
            let mut r = CborReader::new_partial(self.r.data);
            if let (Err(IoError::Truncated), Some((start, len, text))) = (r.item(), r.cut) {
                if matches!(
                    (t, text),
                    (None, _) | (Some(T::String), true) | (Some(T::Bytes), false)
                ) {
                    self.cut = Some(crate::io::value::CutValue {
                        path: self.path,
                        text,
                        start,
                        len,
                        base64: false,
                    });
                }
            }
            return Err(IoError::Truncated);
        }
        self.done = true;
        let v = read_value(&mut self.r, &mut self.scratch, t)?;
        if !self.r.at_end() {
            return Err(IoError::Malformed);
        }
        Ok(Some(crate::io::value::Entry::new(self.path, v)))
    }
}

#[cfg(all(
    test,
    feature = "cbor",
    feature = "cbor-decode-decimal-fractions",
    feature = "cbor-decode-half-float",
    feature = "cbor-decode-indefinite-bytes",
    feature = "cbor-decode-string-time"
))]
mod tests {
    use super::*;

    /// Piece-by-piece decoding of an application/cbor payload gives what decoding it
    /// whole does (see [`crate::io::format::check_resumable`]).
    fn resumable(p: crate::io::value::Path, data: &[u8], t: crate::io::value::TypeOf<'_>) {
        #[cfg(feature = "cbor")]
        crate::io::format::check_resumable(crate::io::format::Format::Cbor, p, data, t);
        let _ = (p, data, t);
    }

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
            resumable(p, &buf[..n], &|_| Some(t));
            let mut d = PlainCborDecoder::new(p, &buf[..n], &mut []);
            assert_eq!(d.next_entry(&|_| Some(t)).unwrap().unwrap().value, v);
            let c: ciborium::value::Value = ciborium::de::from_reader(&buf[..n]).unwrap();
            assert!(!c.is_null());
        }
        resumable(p, &[0x01, 0x02], &|_| Some(DataType::Int));
        resumable(Path::new(&[3, 0]), &[0x01], &|_| Some(DataType::Int));
        let mut d = PlainCborDecoder::new(p, &[0x01, 0x02], &mut []);
        assert_eq!(
            d.next_entry(&|_| Some(DataType::Int)),
            Err(IoError::Malformed)
        );
        resumable(p, &[0xf9, 0x3e, 0x00], &|_| Some(DataType::Int));
        let mut d = PlainCborDecoder::new(p, &[0xf9, 0x3e, 0x00], &mut []);
        assert_eq!(
            d.next_entry(&|_| Some(DataType::Int)),
            Err(IoError::TypeMismatch)
        );
        let mut sb = [0u8; 4];
        resumable(p, &[0x7f, 0x61, 0x61, 0xff], &|_| None);
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
        assert_eq!(enc(|w| w.float(0.0)), [0xfa, 0x00, 0x00, 0x00, 0x00]);
        assert_eq!(enc(|w| w.float(-0.0)), [0xfa, 0x80, 0x00, 0x00, 0x00]);
        assert_eq!(enc(|w| w.float(1.5)), [0xfa, 0x3f, 0xc0, 0x00, 0x00]);
        assert_eq!(enc(|w| w.float(65504.0)), [0xfa, 0x47, 0x7f, 0xe0, 0x00]);
        assert_eq!(enc(|w| w.float(100000.0)), [0xfa, 0x47, 0xc3, 0x50, 0x00]);
        assert_eq!(
            enc(|w| w.float(5.960464477539063e-8)),
            [0xfa, 0x33, 0x80, 0x00, 0x00]
        );
        assert_eq!(
            enc(|w| w.float(0.00006103515625)),
            [0xfa, 0x38, 0x80, 0x00, 0x00]
        );
        assert_eq!(enc(|w| w.float(-4.0)), [0xfa, 0xc0, 0x80, 0x00, 0x00]);
        assert_eq!(
            enc(|w| w.float(1.1)),
            [0xfb, 0x3f, 0xf1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]
        );
        assert_eq!(
            enc(|w| w.float(f64::INFINITY)),
            [0xfa, 0x7f, 0x80, 0x00, 0x00]
        );
        assert_eq!(
            enc(|w| w.float(f64::NAN)),
            [0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]
        );
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

    fn number(data: &[u8]) -> Result<(Item<'_>, bool), IoError> {
        CborReader::new(data).number_item()
    }

    /// RFC 8949 §3.4.4 decimal fractions (Anjay Lite's
    /// ANJ_WITH_CBOR_DECODE_DECIMAL_FRACTIONS).
    #[cfg(feature = "cbor-decode-decimal-fractions")]
    #[test]
    fn decimal_fractions() {
        // RFC 8949 §3.4.4's example: 273.15 = 27315 * 10^-2.
        assert_eq!(
            number(&[0xc4, 0x82, 0x21, 0x19, 0x6a, 0xb3]),
            Ok((Item::Float(273.15), false))
        );
        assert_eq!(
            number(&[0xc4, 0x82, 0x02, 0x20]),
            Ok((Item::Float(-100.0), false))
        );
        assert_eq!(
            number(&[0xc4, 0x9f, 0x00, 0x05, 0xff]),
            Ok((Item::Float(5.0), false))
        );
        assert_eq!(
            number(&[0xc4, 0x82, 0x19, 0x01, 0x90, 0x01]),
            Ok((Item::Float(f64::INFINITY), false))
        );
        assert_eq!(
            number(&[0xc4, 0x82, 0x39, 0x01, 0x8f, 0x01]),
            Ok((Item::Float(0.0), false))
        );
        for bad in [
            &[0xc4, 0x83, 0x01, 0x01, 0x01][..],   // three elements
            &[0xc4, 0x82, 0x01, 0xf9, 0x3c, 0x00], // float mantissa
            &[0xc4, 0x82, 0x01, 0xc2, 0x41, 0x01], // bignum mantissa
            &[0xc4, 0x9f, 0x01, 0x01, 0x01],       // no break
            &[0xc4, 0x01],
        ] {
            assert!(number(bad).is_err(), "{bad:x?}");
        }
        // Through application/cbor, typed as Double.
        use crate::io::value::{DataType, Decoder, Path, Value};
        let p = Path::new(&[3, 0, 1]);
        let data = [0xc4, 0x82, 0x20, 0x18, 0x19];
        resumable(p, &data, &|_| Some(DataType::Double));
        let mut d = PlainCborDecoder::new(p, &data, &mut []);
        let got = d.next_entry(&|_| Some(DataType::Double)).unwrap().unwrap();
        assert_eq!(got.value, Value::Double(2.5));
    }

    /// RFC 8949 §3.4.1 standard date/time strings (ANJ_WITH_CBOR_DECODE_STRING_TIME).
    #[cfg(feature = "cbor-decode-string-time")]
    #[test]
    fn string_time() {
        let t = |s: &str| {
            let mut data = vec![0xc0, 0x78, s.len() as u8];
            data.extend_from_slice(s.as_bytes());
            number(&data).map(|(it, time)| {
                assert!(time);
                match it {
                    Item::Uint(u) => u as f64,
                    Item::Nint(n) => -1.0 - n as f64,
                    Item::Float(f) => f,
                    _ => panic!(),
                }
            })
        };
        // RFC 8949 Appendix A: 0("2013-03-21T20:04:00Z") is 1363896240.
        assert_eq!(t("2013-03-21T20:04:00Z"), Ok(1_363_896_240.0));
        assert_eq!(t("1970-01-01T00:00:00Z"), Ok(0.0));
        assert_eq!(t("1969-12-31T23:59:59z"), Ok(-1.0));
        assert_eq!(t("2000-02-29T12:00:00+01:30"), Ok(951_820_200.0));
        assert_eq!(t("2000-02-29T12:00:00-00:30"), Ok(951_827_400.0));
        assert_eq!(t("2013-03-21T20:04:00.5Z"), Ok(1_363_896_240.5));
        assert_eq!(t("2013-03-21T20:04:00.0000000001Z"), Ok(1_363_896_240.0));
        assert_eq!(t("9999-12-31T23:59:60Z"), Ok(253_402_300_800.0));
        for bad in [
            "2013-03-21 20:04:00Z",
            "2013-02-29T20:04:00Z",
            "2013-13-01T20:04:00Z",
            "2013-03-21T24:04:00Z",
            "2013-03-21T20:04:00",
            "2013-03-21T20:04:00.Z",
            "2013-03-21T20:04:00+0100",
            "2013-03-21T20:04:00Zx",
            "13-03-21T20:04:00Z",
        ] {
            assert_eq!(t(bad), Err(IoError::Malformed), "{bad}");
        }
        // A time resource written in application/cbor as a tagged string.
        use crate::io::value::{Decoder, Path, Value};
        let mut data = vec![0xc0, 0x74];
        data.extend_from_slice(b"2013-03-21T20:04:00Z");
        resumable(Path::new(&[3, 0, 13]), &data, &|_| None);
        let mut d = PlainCborDecoder::new(Path::new(&[3, 0, 13]), &data, &mut []);
        let got = d.next_entry(&|_| None).unwrap().unwrap();
        assert_eq!(got.value, Value::Time(1_363_896_240));
    }

    /// Each extension is refused when its feature is off.
    #[test]
    fn extensions_follow_their_features() {
        let half = CborReader::new(&[0xf9, 0x3c, 0x00]).item();
        assert_eq!(half.is_ok(), cfg!(feature = "cbor-decode-half-float"));
        let indef = CborReader::new(&[0x5f, 0xff]).item();
        assert_eq!(
            indef.is_ok(),
            cfg!(feature = "cbor-decode-indefinite-bytes")
        );
        let frac = number(&[0xc4, 0x82, 0x00, 0x01]);
        assert_eq!(
            frac == Ok((Item::Float(1.0), false)),
            cfg!(feature = "cbor-decode-decimal-fractions")
        );
        let time = number(b"\xc0\x741970-01-01T00:00:00Z");
        assert_eq!(time.is_ok(), cfg!(feature = "cbor-decode-string-time"));
    }
}
