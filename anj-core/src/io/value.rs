//! The data model shared by every payload format: paths, typed values, entries, errors and
//! the [`Encoder`] / [`Decoder`] traits.
//!
//! Decoders of formats that do not carry types on the wire (plain text, opaque, TLV) ask
//! their caller for the type of each resource through a callback
//! `&dyn Fn(&Path) -> Option<DataType>` passed to [`Decoder::next_entry`]; formats that carry
//! types (SenML) use it to pick between Int, Uint, Double and Time for a numeric `v`.
//! `None` (an unknown resource) makes every decoder fall back to the value's "natural"
//! representation, documented per format.

use core::fmt;

/// Object ID, instance ID, resource ID and resource instance ID are all 16-bit; 65535 is
/// reserved (LwM2M TS Core §7.1: "ID:65535 is reserved and SHALL NOT be used").
pub const ID_INVALID: u16 = u16::MAX;

/// The LwM2M data types (LwM2M TS Core Appendix C).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    Null,
    Bytes,
    String,
    Int,
    Double,
    Bool,
    Objlnk,
    Uint,
    Time,
}

/// One decoded or to-be-encoded value. Strings and byte strings borrow either from the
/// data model (encoding) or from the payload / the decoder's scratch buffer (decoding).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// No value: a path without data (e.g. an empty Object Instance TLV in a Create, or a
    /// SenML record carrying only a name in a Read-Composite request).
    Null,
    Bytes(&'a [u8]),
    String(&'a str),
    Int(i64),
    Uint(u64),
    Double(f64),
    Bool(bool),
    Objlnk {
        oid: u16,
        iid: u16,
    },
    /// Seconds since the Unix epoch (LwM2M "Time" is a signed integer of seconds).
    Time(i64),
}

impl Value<'_> {
    /// The LwM2M data type of this value.
    pub fn data_type(&self) -> DataType {
        match self {
            Value::Null => DataType::Null,
            Value::Bytes(_) => DataType::Bytes,
            Value::String(_) => DataType::String,
            Value::Int(_) => DataType::Int,
            Value::Uint(_) => DataType::Uint,
            Value::Double(_) => DataType::Double,
            Value::Bool(_) => DataType::Bool,
            Value::Objlnk { .. } => DataType::Objlnk,
            Value::Time(_) => DataType::Time,
        }
    }
}

/// A data model path `/oid[/iid[/rid[/riid]]]`; `len` 0 is the root `/`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Path {
    ids: [u16; 4],
    len: u8,
}

impl Path {
    /// The root path `/`.
    pub const ROOT: Path = Path {
        ids: [0; 4],
        len: 0,
    };

    /// A path from up to four IDs; IDs past the fourth are ignored (use [`Path::try_new`]
    /// to reject them instead).
    pub const fn new(ids: &[u16]) -> Path {
        let mut p = Path::ROOT;
        while (p.len as usize) < ids.len() && p.len < 4 {
            p.ids[p.len as usize] = ids[p.len as usize];
            p.len += 1;
        }
        p
    }

    /// A path from at most four IDs.
    pub fn try_new(ids: &[u16]) -> Option<Path> {
        (ids.len() <= 4).then(|| Path::new(ids))
    }

    /// The IDs, outermost first.
    pub fn as_slice(&self) -> &[u16] {
        self.ids.get(..usize::from(self.len)).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn oid(&self) -> Option<u16> {
        self.as_slice().first().copied()
    }

    pub fn iid(&self) -> Option<u16> {
        self.as_slice().get(1).copied()
    }

    pub fn rid(&self) -> Option<u16> {
        self.as_slice().get(2).copied()
    }

    pub fn riid(&self) -> Option<u16> {
        self.as_slice().get(3).copied()
    }

    /// This path with `id` appended; `None` at resource instance level already.
    pub fn child(&self, id: u16) -> Option<Path> {
        let mut p = *self;
        *p.ids.get_mut(usize::from(p.len))? = id;
        p.len += 1;
        Some(p)
    }

    /// The first `len` IDs of this path (the whole path if it is shorter).
    pub fn truncated(&self, len: usize) -> Path {
        Path::new(self.as_slice().get(..len).unwrap_or(self.as_slice()))
    }

    /// Whether `other` is this path or lies below it.
    pub fn is_prefix_of(&self, other: &Path) -> bool {
        if self.len > other.len {
            return false;
        }
        // All four slots, without a slice comparison: the IDs past `self.len` don't count.
        let mut same = true;
        for i in 0..4 {
            same &= i >= usize::from(self.len) || self.ids[i] == other.ids[i];
        }
        same
    }

    /// Parses an absolute path as it appears in SenML names and CoAP-style strings:
    /// `/`, `/3`, `/3/0/1`... Each ID is decimal, 0..=65534 (65535 is reserved, TS Core
    /// §7.1); empty segments (`//`, a trailing `/` except the root) are malformed.
    pub fn parse(s: &[u8]) -> Result<Path, IoError> {
        let rest = match s.split_first() {
            Some((b'/', rest)) => rest,
            _ => return Err(IoError::BadPath),
        };
        if rest.is_empty() {
            return Ok(Path::ROOT);
        }
        let mut p = Path::ROOT;
        for seg in rest.split(|&c| c == b'/') {
            let id = parse_id(seg).ok_or(IoError::BadPath)?;
            p = p.child(id).ok_or(IoError::BadPath)?;
        }
        Ok(p)
    }

    /// Writes the path as text (`/3/0/1`; the root is `/`) into `out`, returning the
    /// number of bytes written.
    pub fn write_str(&self, out: &mut [u8]) -> Result<usize, IoError> {
        if self.is_empty() {
            *out.first_mut().ok_or(IoError::BufferTooSmall)? = b'/';
            return Ok(1);
        }
        let mut pos = 0;
        for &id in self.as_slice() {
            let digits = match id {
                0..=9 => 1,
                10..=99 => 2,
                100..=999 => 3,
                1000..=9999 => 4,
                _ => 5,
            };
            // "/" and the digits, the last one first.
            let dst = out
                .get_mut(pos..pos + 1 + digits)
                .ok_or(IoError::BufferTooSmall)?;
            dst[0] = b'/';
            let mut v = id;
            for d in dst[1..].iter_mut().rev() {
                *d = b'0' + (v % 10) as u8;
                v /= 10;
            }
            pos += 1 + digits;
        }
        Ok(pos)
    }
}

fn parse_id(seg: &[u8]) -> Option<u16> {
    if seg.is_empty() || seg.len() > 5 || !seg.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = seg
        .iter()
        .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
    u16::try_from(v).ok().filter(|&id| id != ID_INVALID)
}

impl fmt::Debug for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("/");
        }
        for id in self.as_slice() {
            write!(f, "/{id}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One value at one path. `timestamp` is the SenML time of the record (RFC 8428 §4.5.3:
/// base time + time, seconds); formats without time ignore it on encoding and yield `None`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry<'a> {
    pub path: Path,
    pub value: Value<'a>,
    pub timestamp: Option<f64>,
}

impl<'a> Entry<'a> {
    /// An entry without a timestamp.
    pub const fn new(path: Path, value: Value<'a>) -> Entry<'a> {
        Entry {
            path,
            value,
            timestamp: None,
        }
    }
}

/// A string or bytes value cut by the end of one piece of a payload decoded piece by
/// piece (RFC 7959 Block1): its header was read, its content runs past the piece. The
/// caller hands the content to the data model in chunks as the pieces come, then resumes
/// the decoder from the state given with it (see
/// [`crate::io::format::AnyDecoder::cut_value`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CutValue {
    pub path: Path,
    /// A String value (else Opaque).
    pub text: bool,
    /// Where the content starts in the piece.
    pub start: usize,
    /// The length of the whole content (0 with `base64`).
    pub len: usize,
    /// The content is base64 text in a JSON string (SenML JSON `vd`, either alphabet):
    /// its length is known only at its closing quote.
    pub base64: bool,
}

/// Errors of the payload encoders and decoders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoError {
    /// The payload is not valid in its format (truncated, bad lengths, bad syntax).
    Malformed,
    /// The output (or decoding scratch) buffer is too small.
    BufferTooSmall,
    /// The format cannot carry this value or structure (CoAP 4.06 / 4.15 territory).
    Unsupported,
    /// The payload value does not fit the type the data model expects.
    TypeMismatch,
    /// A path is not valid, or lies outside the request's base path.
    BadPath,
    /// The encoder was used wrongly (e.g. a second entry for a single-value format).
    Logic,
    /// A resumable decoder fed one piece of a larger payload (RFC 7959 Block1) reached
    /// the end of the piece in the middle of an entry: the entry is complete only with
    /// the bytes that follow (see [`crate::io::format::AnyDecoder::checkpoint`]).
    Truncated,
}

impl fmt::Display for IoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            IoError::Malformed => "malformed payload",
            IoError::BufferTooSmall => "buffer too small",
            IoError::Unsupported => "not supported by this format",
            IoError::TypeMismatch => "value does not match the expected type",
            IoError::BadPath => "invalid path",
            IoError::Logic => "encoder misuse",
            IoError::Truncated => "entry continues in the next piece",
        };
        f.write_str(s)
    }
}

/// A value produced chunk by chunk (an `ANJ_DATA_TYPE_EXTERNAL_*` resource):
/// `read(buf, offset)` fills the start of `buf` with the value's bytes from `offset` on
/// and returns how many it wrote and whether the value ends there. Encoders read it in
/// passes, each with sequential offsets; a pass starts at 0, or, in a window writer
/// (RFC 7959 Block2), at the first byte of the value the window keeps, and may stop
/// before the end (a window reads no further than its last byte). Formats that put the
/// length before the value (TLV, every CBOR format) need the length first:
/// [`StreamSource::known_len`] when a source remembers it, else a measuring pass.
/// An error ends the encoding (the caller knows why).
#[cfg(feature = "external-data")]
pub trait StreamSource {
    /// See the trait docs.
    fn read(&mut self, buf: &mut [u8], offset: usize) -> Result<(usize, bool), IoError>;
    /// The value's length, if an earlier pass read it to its end and the source kept it.
    fn known_len(&self) -> Option<usize> {
        None
    }
}

/// A plain closure is a source that remembers nothing.
#[cfg(feature = "external-data")]
impl<F: FnMut(&mut [u8], usize) -> Result<(usize, bool), IoError>> StreamSource for F {
    fn read(&mut self, buf: &mut [u8], offset: usize) -> Result<(usize, bool), IoError> {
        self(buf, offset)
    }
}

/// See [`StreamSource`].
#[cfg(feature = "external-data")]
pub type Source<'s> = dyn StreamSource + 's;

/// The stack buffer a streamed value is read through.
#[cfg(feature = "external-data")]
pub const STREAM_CHUNK: usize = 128;

/// One pass over a streamed value from its start: `f` gets every chunk and returns
/// whether it wants more. Returns how many bytes were read. A source that neither ends
/// nor makes progress is an error.
#[cfg(feature = "external-data")]
pub fn stream_pass(
    src: &mut Source<'_>,
    f: &mut dyn FnMut(&[u8]) -> Result<bool, IoError>,
) -> Result<usize, IoError> {
    let mut buf = [0u8; STREAM_CHUNK];
    let mut off = 0usize;
    loop {
        let (n, done) = src.read(&mut buf, off)?;
        let chunk = buf.get(..n).ok_or(IoError::Logic)?;
        off = off.checked_add(n).ok_or(IoError::Logic)?;
        if !f(chunk)? || done {
            return Ok(off);
        }
        if n == 0 {
            return Err(IoError::Logic);
        }
    }
}

/// The length of a streamed value: the one the source remembers, else one whole pass.
#[cfg(feature = "external-data")]
pub fn stream_len(src: &mut Source<'_>) -> Result<usize, IoError> {
    match src.known_len() {
        Some(n) => Ok(n),
        None => stream_pass(src, &mut |_| Ok(true)),
    }
}

/// A payload encoder: built for a base path (the request's path), fed the entries under
/// it in data model order, then finished. Output goes into the caller's buffer.
pub trait Encoder {
    fn entry(&mut self, e: &Entry<'_>) -> Result<(), IoError>;
    /// An entry whose value (of type `ty`: Bytes or String) is streamed from `src`
    /// instead of given whole; the output is the same as [`Encoder::entry`] would give
    /// for the same value, byte for byte, in plain and window writers alike. String
    /// values are taken as UTF-8 as they come (not validated).
    #[cfg(feature = "external-data")]
    fn streamed(&mut self, path: &Path, ty: DataType, src: &mut Source<'_>) -> Result<(), IoError>;
    /// Completes the payload; returns the number of bytes written.
    fn finish(self) -> Result<usize, IoError>;
}

/// The caller's answer to "what type does the resource at this path have?".
pub type TypeOf<'f> = &'f dyn Fn(&Path) -> Option<DataType>;

/// A payload decoder yielding entries until `Ok(None)`.
pub trait Decoder<'a> {
    /// The next entry, typed with the help of `expected` (see the module docs).
    fn next_entry(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError>;
}

/// A cursor over a caller's output buffer; every write is bounds-checked.
///
/// `pos` is the logical position in the *full* encoding. A plain writer (`skip` 0, not a
/// window) fails with [`IoError::BufferTooSmall`] when the encoding outgrows `buf`. A
/// window writer (RFC 7959 Block2: one block of a larger response) keeps only the bytes
/// whose logical position lies in `[skip, skip + buf.len())` and silently drops the others,
/// so an encoder run in full yields one block while `pos` ends at the total length.
pub struct SliceWriter<'b> {
    pub buf: &'b mut [u8],
    pub pos: usize,
    skip: usize,
    window: bool,
}

impl<'b> SliceWriter<'b> {
    pub fn new(buf: &'b mut [u8]) -> Self {
        SliceWriter {
            buf,
            pos: 0,
            skip: 0,
            window: false,
        }
    }

    /// A window writer: `buf` receives the bytes `[skip, skip + buf.len())` of the output.
    pub fn window(buf: &'b mut [u8], skip: usize) -> Self {
        SliceWriter {
            buf,
            pos: 0,
            skip,
            window: true,
        }
    }

    /// Whether this is a window writer (see [`SliceWriter::window`]).
    #[cfg(feature = "external-data")]
    pub fn is_window(&self) -> bool {
        self.window
    }

    /// Stores the part of `data` (logically at `at`) that falls into the buffer.
    pub fn patch(&mut self, at: usize, data: &[u8]) {
        let lo = at.max(self.skip);
        let hi = at
            .saturating_add(data.len())
            .min(self.skip.saturating_add(self.buf.len()));
        if lo < hi {
            if let (Some(dst), Some(src)) = (
                self.buf.get_mut(lo - self.skip..hi - self.skip),
                data.get(lo - at..hi - at),
            ) {
                dst.copy_from_slice(src);
            }
        }
    }

    pub fn push(&mut self, data: &[u8]) -> Result<(), IoError> {
        let end = self
            .pos
            .checked_add(data.len())
            .ok_or(IoError::BufferTooSmall)?;
        if !self.window {
            // The common case, a whole payload: a plain bounds-checked copy. Most pushes
            // are a few bytes (CBOR heads, separators): copy those without a memcpy call.
            let dst = self
                .buf
                .get_mut(self.pos..end)
                .ok_or(IoError::BufferTooSmall)?;
            if data.len() <= 8 {
                for (d, s) in dst.iter_mut().zip(data) {
                    *d = *s;
                }
            } else {
                dst.copy_from_slice(data);
            }
        } else {
            self.patch(self.pos, data);
        }
        self.pos = end;
        Ok(())
    }

    /// Writes a streamed value whose length `len` is known (measured): the source is
    /// only read when the value's bytes reach into the kept part of the output, from the
    /// first kept byte (a pass that starts there, see [`StreamSource`]) up to the last
    /// one, never further. A source that no longer gives those bytes is an error.
    #[cfg(feature = "external-data")]
    pub fn push_streamed(&mut self, src: &mut Source<'_>, len: usize) -> Result<(), IoError> {
        let start = self.pos;
        let end = start.checked_add(len).ok_or(IoError::BufferTooSmall)?;
        if !self.window && end > self.buf.len() {
            return Err(IoError::BufferTooSmall);
        }
        let keep_end = self.skip.saturating_add(self.buf.len());
        if end > self.skip && start < keep_end {
            // The value's bytes [from, to) are the ones kept.
            let from = self.skip.saturating_sub(start);
            let to = (keep_end - start).min(len);
            let mut chunk = [0u8; STREAM_CHUNK];
            let mut off = from;
            self.pos = start + from;
            while off < to {
                let want = (to - off).min(STREAM_CHUNK);
                let (n, done) = src.read(chunk.get_mut(..want).unwrap_or_default(), off)?;
                if n > want {
                    return Err(IoError::Logic);
                }
                self.push(chunk.get(..n).unwrap_or_default())?;
                off += n;
                if done || n == 0 {
                    break;
                }
            }
            if off < to {
                // Shorter than measured.
                return Err(IoError::Logic);
            }
        }
        self.pos = end;
        Ok(())
    }

    #[inline]
    pub fn push_byte(&mut self, b: u8) -> Result<(), IoError> {
        if self.window {
            return self.push(&[b]);
        }
        // Most CBOR heads are one byte: store it without the general copy.
        *self.buf.get_mut(self.pos).ok_or(IoError::BufferTooSmall)? = b;
        self.pos += 1;
        Ok(())
    }

    pub fn push_u64(&mut self, v: u64) -> Result<(), IoError> {
        let mut tmp = [0u8; super::DECIMAL_MAX_LEN];
        self.push(super::decimal_u64(v, &mut tmp))
    }

    pub fn push_i64(&mut self, v: i64) -> Result<(), IoError> {
        if v < 0 {
            self.push_byte(b'-')?;
        }
        self.push_u64(v.unsigned_abs())
    }
}

impl fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes()).map_err(|_| fmt::Error)
    }
}

/// Writes `v` as decimal text that parses back to the same `f64` (the shortest one for
/// values with up to 15 significant digits, see [`super::decimal`]): positional for
/// magnitudes in `[1e-5, 1e16)`, otherwise `d.ddde<exp>` so the text stays short.
/// Non-finite values are written as `nan`, `inf`, `-inf`.
pub fn write_f64(w: &mut SliceWriter<'_>, v: f64) -> Result<(), IoError> {
    use super::decimal::{format, Notation};
    let a = v.abs();
    let notation = if a == 0.0 || (1e-5..1e16).contains(&a) {
        Notation::Plain
    } else {
        Notation::Exponent { plus: false }
    };
    w.push(format(v, notation).as_bytes())
}

/// Hands out consecutive pieces of a caller-supplied scratch buffer, each living as long
/// as the buffer itself: used by decoders whose values must be copied out of the payload
/// (escaped JSON strings, base64, chunked CBOR strings).
pub struct Scratch<'a> {
    rest: &'a mut [u8],
}

impl<'a> Scratch<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Scratch { rest: buf }
    }

    /// Fills up to the whole remaining buffer with `fill`, which returns how many bytes it
    /// used; those bytes are split off and returned.
    pub fn take_with(
        &mut self,
        fill: impl FnOnce(&mut [u8]) -> Result<usize, IoError>,
    ) -> Result<&'a [u8], IoError> {
        let buf = core::mem::take(&mut self.rest);
        let used = match fill(&mut *buf) {
            Ok(n) => n,
            Err(e) => {
                self.rest = buf;
                return Err(e);
            }
        };
        if used > buf.len() {
            self.rest = buf;
            return Err(IoError::BufferTooSmall);
        }
        let (head, tail) = buf.split_at_mut(used);
        self.rest = tail;
        Ok(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_basics() {
        let p = Path::new(&[3, 0, 1]);
        assert_eq!(p.as_slice(), &[3, 0, 1]);
        assert_eq!(p.len(), 3);
        assert_eq!(p.rid(), Some(1));
        assert_eq!(p.riid(), None);
        assert!(Path::new(&[3]).is_prefix_of(&p));
        assert!(Path::ROOT.is_prefix_of(&p));
        assert!(p.is_prefix_of(&p));
        assert!(!Path::new(&[3, 1]).is_prefix_of(&p));
        assert!(!p.is_prefix_of(&Path::new(&[3])));
        assert_eq!(Path::new(&[1, 2, 3, 4, 5]).len(), 4);
        assert_eq!(Path::try_new(&[1, 2, 3, 4, 5]), None);
        assert_eq!(Path::new(&[1, 2, 3, 4]).child(5), None);
        assert_eq!(p.truncated(2), Path::new(&[3, 0]));
        assert_eq!(p.truncated(7), p);
    }

    #[test]
    fn path_text_every_digit_count() {
        let mut b = [0u8; 24];
        for (ids, text) in [
            (&[][..], "/"),
            (&[0, 9][..], "/0/9"),
            (&[10, 99, 100, 999][..], "/10/99/100/999"),
            (&[1000, 9999, 10000, 65534][..], "/1000/9999/10000/65534"),
        ] {
            let n = Path::new(ids).write_str(&mut b).unwrap();
            assert_eq!(core::str::from_utf8(&b[..n]).unwrap(), text);
        }
        // Too small a buffer is an error, not a truncated path.
        assert_eq!(
            Path::new(&[65534, 65534]).write_str(&mut b[..11]),
            Err(IoError::BufferTooSmall)
        );
        assert_eq!(Path::ROOT.write_str(&mut []), Err(IoError::BufferTooSmall));
    }

    #[test]
    fn path_parse_and_print() {
        assert_eq!(Path::parse(b"/"), Ok(Path::ROOT));
        assert_eq!(Path::parse(b"/3/0/11/0"), Ok(Path::new(&[3, 0, 11, 0])));
        assert_eq!(Path::parse(b"/65534"), Ok(Path::new(&[65534])));
        for bad in [
            &b""[..],
            b"3",
            b"/3/",
            b"//",
            b"/65535",
            b"/99999",
            b"/1/2/3/4/5",
            b"/a",
            b"/1 ",
            b"/123456",
        ] {
            assert_eq!(
                Path::parse(bad),
                Err(IoError::BadPath),
                "{:?}",
                core::str::from_utf8(bad)
            );
        }
        let mut buf = [0u8; 32];
        let n = Path::new(&[65534, 1, 0, 7]).write_str(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"/65534/1/0/7");
        let n = Path::ROOT.write_str(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"/");
        assert_eq!(
            Path::new(&[3, 0]).write_str(&mut buf[..3]),
            Err(IoError::BufferTooSmall)
        );
    }

    #[test]
    fn float_text() {
        let mut buf = [0u8; 64];
        for (v, s) in [
            (1.0, "1"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e300, "1e300"),
            (1.5e-7, "1.5e-7"),
            (0.0, "0"),
            (f64::NAN, "nan"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            let mut w = SliceWriter::new(&mut buf);
            write_f64(&mut w, v).unwrap();
            let n = w.pos;
            assert_eq!(core::str::from_utf8(&buf[..n]).unwrap(), s);
        }
        for v in [
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            123456.789,
            1e16,
            9.999e15,
            1e-5,
        ] {
            let mut w = SliceWriter::new(&mut buf);
            write_f64(&mut w, v).unwrap();
            let n = w.pos;
            let back: f64 = core::str::from_utf8(&buf[..n]).unwrap().parse().unwrap();
            assert_eq!(back, v);
            assert!(n <= 24);
        }
    }

    #[test]
    fn scratch_pieces() {
        let mut buf = [0u8; 8];
        let mut s = Scratch::new(&mut buf);
        let a = s
            .take_with(|b| {
                b[..3].copy_from_slice(b"abc");
                Ok(3)
            })
            .unwrap();
        let b = s
            .take_with(|b| {
                b[..5].copy_from_slice(b"defgh");
                Ok(5)
            })
            .unwrap();
        assert_eq!(a, b"abc");
        assert_eq!(b, b"defgh");
        assert_eq!(
            s.take_with(|b| Ok(b.len() + 1)),
            Err(IoError::BufferTooSmall)
        );
    }
}
