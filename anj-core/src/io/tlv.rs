//! OMA TLV (content format 11542), LwM2M TS Core §7.4.3.
//!
//! Each TLV is: a type byte (bits 7-6: 00 Object Instance, 01 Resource Instance,
//! 10 Multiple Resource, 11 Resource with Value; bit 5: 16-bit identifier; bits 4-3: size
//! of the length field, 0 = length in bits 2-0), the identifier (1 or 2 bytes), the length
//! (0-3 bytes) and the value. Object Instance and Multiple Resource TLVs nest others.
//!
//! Encoding: a read of `/O` produces Object Instance TLVs, `/O/I` resource TLVs, and any
//! entry at resource instance level is wrapped in a Multiple Resource TLV (unless the base
//! path is that resource instance itself). A container's length is only known once its
//! content is written, so container headers always use the 24-bit length field (bits 4-3
//! = 11; the TS Core §7.4.3 table lets any length field carry any length): the header is
//! written with length 0 when the container opens and only its 3 length bytes are
//! rewritten on closing. Nothing moves, so the encoder can produce any window of its
//! output exactly (RFC 7959 Block2, see [`crate::io::format::Format::encoder_window`]).
//! Leaf TLVs use the minimal header. Integers use the shortest of 1/2/4/8 bytes, floats
//! 4 bytes when that is lossless, else 8.
//!
//! Decoding: entries come with full paths (the request path completed by the TLV IDs).
//! As in Anjay Lite, levels the payload skips are filled with 65535: a Create on `/O` whose
//! payload holds bare resource TLVs yields `/O/65535/R`, meaning "instance ID not given".
//! Container TLVs of length zero are returned as [`Value::Null`] at their path. Values are
//! typed by the caller's `expected` callback; an unknown type (`None`) yields the raw
//! bytes as [`Value::Bytes`].

use super::value::{
    CutValue, DataType, Decoder, Encoder, Entry, IoError, Path, SliceWriter, TypeOf, Value,
    ID_INVALID,
};

const KIND_INSTANCE: u8 = 0b00;
const KIND_RES_INSTANCE: u8 = 0b01;
const KIND_MULTIPLE: u8 = 0b10;
const KIND_RESOURCE: u8 = 0b11;
const MAX_HEADER: usize = 6;
const MAX_LEN: usize = 0xFF_FFFF;

/// Builds a minimal header; returns the bytes and their count.
fn header(kind: u8, id: u16, len: usize) -> Result<([u8; MAX_HEADER], usize), IoError> {
    if len > MAX_LEN {
        return Err(IoError::Unsupported);
    }
    let mut h = [0u8; MAX_HEADER];
    let mut n = 1;
    let mut t = kind << 6;
    let id_bytes = id.to_be_bytes();
    if id > 0xFF {
        t |= 0x20;
        h[1..3].copy_from_slice(&id_bytes);
        n += 2;
    } else {
        h[1] = id_bytes[1];
        n += 1;
    }
    let len_bytes = (len as u32).to_be_bytes();
    let len_field: &[u8] = if len < 8 {
        t |= len as u8;
        &[]
    } else if len <= 0xFF {
        t |= 0b01 << 3;
        &len_bytes[3..]
    } else if len <= 0xFFFF {
        t |= 0b10 << 3;
        &len_bytes[2..]
    } else {
        t |= 0b11 << 3;
        &len_bytes[1..]
    };
    h[n..n + len_field.len()].copy_from_slice(len_field);
    n += len_field.len();
    h[0] = t;
    Ok((h, n))
}

/// The shortest big-endian two's complement form among 1, 2, 4 and 8 bytes.
fn int_bytes(v: i64) -> ([u8; 8], usize) {
    let n = if i8::try_from(v).is_ok() {
        1
    } else if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    };
    let mut out = [0u8; 8];
    out[..n].copy_from_slice(&v.to_be_bytes()[8 - n..]);
    (out, n)
}

fn uint_bytes(v: u64) -> ([u8; 8], usize) {
    let n = if v <= 0xFF {
        1
    } else if v <= 0xFFFF {
        2
    } else if v <= 0xFFFF_FFFF {
        4
    } else {
        8
    };
    let mut out = [0u8; 8];
    out[..n].copy_from_slice(&v.to_be_bytes()[8 - n..]);
    (out, n)
}

/// An open container: its ID and where its content starts (just after its header, whose
/// last 3 bytes are the length).
#[derive(Clone, Copy)]
struct Open {
    id: u16,
    content: usize,
}

/// Encoder of TLV; see the module docs for the layout it produces.
pub struct TlvEncoder<'b> {
    w: SliceWriter<'b>,
    base: Path,
    instance: Option<Open>,
    multiple: Option<Open>,
}

impl<'b> TlvEncoder<'b> {
    /// `base` is the request path; the root cannot be represented in TLV.
    pub fn new(base: Path, out: &'b mut [u8]) -> Self {
        Self::with_writer(base, SliceWriter::new(out))
    }

    pub fn with_writer(base: Path, w: SliceWriter<'b>) -> Self {
        TlvEncoder {
            w,
            base,
            instance: None,
            multiple: None,
        }
    }

    fn open(&mut self, kind: u8, id: u16) -> Result<Open, IoError> {
        // The header of a container holding MAX_LEN bytes has the 24-bit length field.
        let (h, hl) = header(kind, id, MAX_LEN)?;
        self.w.push(h.get(..hl - 3).unwrap_or(&[]))?;
        self.w.push(&[0; 3])?;
        Ok(Open {
            id,
            content: self.w.pos,
        })
    }

    fn close(&mut self, o: Open) -> Result<(), IoError> {
        let len = self.w.pos.checked_sub(o.content).ok_or(IoError::Logic)?;
        if len > MAX_LEN {
            return Err(IoError::Unsupported);
        }
        let b = (len as u32).to_be_bytes();
        self.w
            .patch(o.content.saturating_sub(3), b.get(1..).unwrap_or(&[]));
        Ok(())
    }

    fn close_multiple(&mut self) -> Result<(), IoError> {
        match self.multiple.take() {
            Some(o) => self.close(o),
            None => Ok(()),
        }
    }

    fn close_instance(&mut self) -> Result<(), IoError> {
        self.close_multiple()?;
        match self.instance.take() {
            Some(o) => self.close(o),
            None => Ok(()),
        }
    }

    fn leaf(&mut self, kind: u8, id: u16, v: &Value<'_>) -> Result<(), IoError> {
        let mut tmp = [0u8; 8];
        let payload: &[u8] = match *v {
            Value::Null => return Err(IoError::Unsupported),
            Value::Bytes(b) => b,
            Value::String(s) => s.as_bytes(),
            Value::Int(i) | Value::Time(i) => {
                let (b, n) = int_bytes(i);
                tmp = b;
                &tmp[..n]
            }
            Value::Uint(u) => {
                let (b, n) = uint_bytes(u);
                tmp = b;
                &tmp[..n]
            }
            Value::Double(d) => {
                if let Some(f) = super::fbits::f64_to_f32_exact(d) {
                    tmp[..4].copy_from_slice(&f.to_be_bytes());
                    &tmp[..4]
                } else {
                    tmp = d.to_be_bytes();
                    &tmp[..]
                }
            }
            Value::Bool(b) => {
                tmp[0] = u8::from(b);
                &tmp[..1]
            }
            Value::Objlnk { oid, iid } => {
                tmp[..2].copy_from_slice(&oid.to_be_bytes());
                tmp[2..4].copy_from_slice(&iid.to_be_bytes());
                &tmp[..4]
            }
        };
        let (h, hl) = header(kind, id, payload.len())?;
        self.w.push(&h[..hl])?;
        self.w.push(payload)
    }
}

impl TlvEncoder<'_> {
    /// Opens and closes the containers `path` needs (checking it first, and that the
    /// value is not Null); returns the kind and ID of its leaf TLV.
    fn place(&mut self, path: &Path, null: bool) -> Result<(u8, u16), IoError> {
        if self.base.is_empty() {
            // Several objects cannot be told apart in TLV (it has no Object ID level).
            return Err(IoError::Unsupported);
        }
        let ids = path.as_slice();
        let (iid, rid) = match (ids.get(1), ids.get(2)) {
            (Some(&i), Some(&r)) if self.base.is_prefix_of(path) => (i, r),
            _ => return Err(IoError::BadPath),
        };
        if null {
            return Err(IoError::Unsupported);
        }
        let riid = ids.get(3).copied();
        let need_instance = self.base.len() <= 1;
        let need_multiple = riid.is_some() && self.base.len() <= 3;
        if self.instance.is_some_and(|o| o.id != iid) {
            self.close_instance()?;
        }
        if self.multiple.is_some_and(|o| !need_multiple || o.id != rid) {
            self.close_multiple()?;
        }
        if need_instance && self.instance.is_none() {
            self.instance = Some(self.open(KIND_INSTANCE, iid)?);
        }
        if need_multiple && self.multiple.is_none() {
            self.multiple = Some(self.open(KIND_MULTIPLE, rid)?);
        }
        Ok(match riid {
            Some(riid) => (KIND_RES_INSTANCE, riid),
            None => (KIND_RESOURCE, rid),
        })
    }
}

impl Encoder for TlvEncoder<'_> {
    fn entry(&mut self, e: &Entry<'_>) -> Result<(), IoError> {
        let (kind, id) = self.place(&e.path, matches!(e.value, Value::Null))?;
        self.leaf(kind, id, &e.value)
    }

    /// The value's length goes first: a pass over the source measures it.
    #[cfg(feature = "external-data")]
    fn streamed(
        &mut self,
        path: &Path,
        ty: DataType,
        src: &mut super::value::Source<'_>,
    ) -> Result<(), IoError> {
        if !matches!(ty, DataType::Bytes | DataType::String) {
            return Err(IoError::Unsupported);
        }
        let (kind, id) = self.place(path, false)?;
        let len = super::value::stream_len(src)?;
        let (h, hl) = header(kind, id, len)?;
        self.w.push(h.get(..hl).unwrap_or(&[]))?;
        self.w.push_streamed(src, len)
    }

    fn finish(mut self) -> Result<usize, IoError> {
        self.close_instance()?;
        Ok(self.w.pos)
    }
}

/// An open container while decoding.
#[derive(Clone, Copy, Default)]
struct Frame {
    kind: u8,
    level: usize,
    id: u16,
    end: usize,
}

/// Decoder of TLV; see the module docs.
pub struct TlvDecoder<'a> {
    data: &'a [u8],
    pos: usize,
    base: Path,
    stack: [Frame; 2],
    depth: usize,
    failed: bool,
    /// `data` is the whole payload (else one piece of it: see [`TlvDecoder::resume`]).
    last: bool,
    /// The String or Opaque value whose content the end of the piece cut, and where
    /// that content ends (see [`TlvDecoder::cut_value`]).
    cut: Option<(CutValue, usize)>,
}

/// Where a [`TlvDecoder`] stands between two pieces of a payload: the request path and
/// the open containers (Object Instance, Multiple Resource), whose `end` counts from the
/// first byte of the next piece.
#[derive(Clone, Copy, Default)]
pub struct TlvState {
    base: Path,
    stack: [Frame; 2],
    depth: usize,
}

impl<'a> TlvDecoder<'a> {
    /// `base` is the request path (not the root: TLV has no Object ID level).
    pub fn new(base: Path, data: &'a [u8]) -> Self {
        TlvDecoder {
            data,
            pos: 0,
            base,
            stack: [Frame::default(); 2],
            depth: 0,
            failed: false,
            last: true,
            cut: None,
        }
    }

    /// The state at the start of a payload sent to `base`.
    pub fn initial(base: Path) -> TlvState {
        TlvState {
            base,
            ..TlvState::default()
        }
    }

    /// A decoder of one piece of a payload, from `state` (see [`TlvDecoder::checkpoint`]).
    /// Unless `last`, an entry cut by the end of `data` is [`IoError::Truncated`].
    pub fn resume(state: TlvState, data: &'a [u8], last: bool) -> Self {
        TlvDecoder {
            data,
            pos: 0,
            base: state.base,
            stack: state.stack,
            depth: state.depth,
            failed: false,
            last,
            cut: None,
        }
    }

    /// The offset in `data` of the first byte not consumed, and the state to resume from
    /// there; valid after an entry, `Ok(None)` or [`IoError::Truncated`].
    pub fn checkpoint(&self) -> (usize, TlvState) {
        let mut stack = self.stack;
        for f in stack.iter_mut() {
            f.end = f.end.saturating_sub(self.pos);
        }
        (
            self.pos,
            TlvState {
                base: self.base,
                stack,
                depth: self.depth,
            },
        )
    }

    /// After [`IoError::Truncated`]: the String or Opaque resource (instance) value
    /// whose content the end of the piece cut, and the state to resume from right after
    /// its content.
    pub fn cut_value(&self) -> Option<(CutValue, TlvState)> {
        let (cut, end) = self.cut?;
        let mut stack = self.stack;
        for f in stack.iter_mut().take(self.depth) {
            f.end = f.end.checked_sub(end)?;
        }
        let after = TlvState {
            base: self.base,
            stack,
            depth: self.depth,
        };
        Some((cut, after))
    }

    fn eof(&self) -> IoError {
        if self.last {
            IoError::Malformed
        } else {
            IoError::Truncated
        }
    }

    fn byte(&self, at: usize) -> Result<u8, IoError> {
        self.data.get(at).copied().ok_or(self.eof())
    }

    fn be(&self, at: usize, n: usize) -> Result<usize, IoError> {
        let mut v = 0usize;
        for i in 0..n {
            v = (v << 8) | usize::from(self.byte(at + i)?);
        }
        Ok(v)
    }

    fn path_for(&self, level: usize, id: u16) -> Result<Path, IoError> {
        let mut ids = [ID_INVALID; 4];
        let base = self.base.as_slice();
        ids[..base.len()].copy_from_slice(base);
        for f in self.stack.iter().take(self.depth) {
            ids[f.level] = f.id;
        }
        ids[level] = id;
        // A TLV at a level the request path already fixes must repeat that ID.
        if base.get(level).is_some_and(|&b| b != id) {
            return Err(IoError::BadPath);
        }
        let path = Path::new(&ids[..=level]);
        if path.rid() == Some(ID_INVALID) {
            // Resource instances need their resource (LwM2M TS Core §7.4.3).
            return Err(IoError::Malformed);
        }
        Ok(path)
    }

    fn step(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError> {
        loop {
            while self.depth > 0
                && self
                    .stack
                    .get(self.depth - 1)
                    .is_some_and(|f| f.end == self.pos)
            {
                self.depth -= 1;
            }
            let limit = match self.depth {
                0 if self.last => self.data.len(),
                0 => usize::MAX,
                d => self.stack.get(d - 1).map_or(0, |f| f.end),
            };
            if self.pos >= self.data.len() {
                // A container resumed from an earlier piece must end in the last one.
                if self.last && self.depth > 0 {
                    return Err(IoError::Malformed);
                }
                return Ok(None);
            }
            let t = self.byte(self.pos)?;
            let id_len = if t & 0x20 != 0 { 2 } else { 1 };
            let len_len = usize::from((t >> 3) & 3);
            let id = self.be(self.pos + 1, id_len)? as u16;
            let len = if len_len == 0 {
                usize::from(t & 7)
            } else {
                self.be(self.pos + 1 + id_len, len_len)?
            };
            let start = self.pos + 1 + id_len + len_len;
            let end = start.checked_add(len).ok_or(IoError::Malformed)?;
            if end > limit {
                return Err(IoError::Malformed);
            }
            let is_container = t >> 6 == KIND_INSTANCE || t >> 6 == KIND_MULTIPLE;
            let cut = end > self.data.len() && (!is_container || len == 0);
            if cut && self.last {
                return Err(self.eof());
            }
            if id == ID_INVALID {
                return Err(IoError::Malformed);
            }
            let kind = t >> 6;
            let level = match kind {
                KIND_INSTANCE => 1,
                KIND_MULTIPLE | KIND_RESOURCE => 2,
                _ => 3,
            };
            // Nesting rules (§7.4.3): instances hold resources, multiple resources hold
            // resource instances; values hold nothing.
            if let Some(parent) = self.depth.checked_sub(1).and_then(|d| self.stack.get(d)) {
                let ok = match parent.kind {
                    KIND_INSTANCE => kind == KIND_RESOURCE || kind == KIND_MULTIPLE,
                    _ => kind == KIND_RES_INSTANCE,
                };
                if !ok {
                    return Err(IoError::Malformed);
                }
            }
            let path = self.path_for(level, id)?;
            if is_container && len > 0 {
                let frame = self.stack.get_mut(self.depth).ok_or(IoError::Malformed)?;
                *frame = Frame {
                    kind,
                    level,
                    id,
                    end,
                };
                self.depth += 1;
                self.pos = start;
                continue;
            }
            if !self.base.is_prefix_of(&path) {
                return Err(IoError::BadPath);
            }
            if cut {
                // A value cut by the end of the piece: a String or Opaque one can be
                // handed over in chunks.
                let text = match expected(&path) {
                    None | Some(DataType::Bytes | DataType::Null) => Some(false),
                    Some(DataType::String) => Some(true),
                    _ => None,
                };
                if let (Some(text), false) = (text, is_container) {
                    let cut = CutValue {
                        path,
                        text,
                        start,
                        len,
                        base64: false,
                    };
                    self.cut = Some((cut, end));
                }
                return Err(self.eof());
            }
            let raw = self.data.get(start..end).ok_or(IoError::Malformed)?;
            self.pos = end;
            let value = if is_container {
                Value::Null
            } else {
                typed(raw, expected(&path))?
            };
            return Ok(Some(Entry::new(path, value)));
        }
    }
}

fn be_signed(raw: &[u8]) -> Result<i64, IoError> {
    Ok(match raw.len() {
        1 => i64::from(i8::from_be_bytes([raw[0]])),
        2 => i64::from(i16::from_be_bytes([raw[0], raw[1]])),
        4 => i64::from(i32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]])),
        8 => i64::from_be_bytes(raw.try_into().map_err(|_| IoError::Malformed)?),
        _ => return Err(IoError::Malformed),
    })
}

fn be_unsigned(raw: &[u8]) -> Result<u64, IoError> {
    if !matches!(raw.len(), 1 | 2 | 4 | 8) {
        return Err(IoError::Malformed);
    }
    Ok(raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

fn typed(raw: &[u8], t: Option<DataType>) -> Result<Value<'_>, IoError> {
    Ok(match t {
        None | Some(DataType::Null) | Some(DataType::Bytes) => Value::Bytes(raw),
        Some(DataType::String) => {
            Value::String(core::str::from_utf8(raw).map_err(|_| IoError::Malformed)?)
        }
        Some(DataType::Int) => Value::Int(be_signed(raw)?),
        Some(DataType::Time) => Value::Time(be_signed(raw)?),
        Some(DataType::Uint) => Value::Uint(be_unsigned(raw)?),
        Some(DataType::Double) => match *raw {
            [a, b, c, d] => {
                Value::Double(super::fbits::f32_to_f64(u32::from_be_bytes([a, b, c, d])))
            }
            [a, b, c, d, e, f, g, h] => Value::Double(f64::from_be_bytes([a, b, c, d, e, f, g, h])),
            _ => return Err(IoError::Malformed),
        },
        Some(DataType::Bool) => match *raw {
            [0] => Value::Bool(false),
            [1] => Value::Bool(true),
            _ => return Err(IoError::Malformed),
        },
        Some(DataType::Objlnk) => match *raw {
            [a, b, c, d] => Value::Objlnk {
                oid: u16::from_be_bytes([a, b]),
                iid: u16::from_be_bytes([c, d]),
            },
            _ => return Err(IoError::Malformed),
        },
    })
}

impl<'a> Decoder<'a> for TlvDecoder<'a> {
    fn next_entry(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError> {
        if self.failed {
            return Err(IoError::Malformed);
        }
        if self.base.is_empty() {
            self.failed = true;
            return Err(IoError::Unsupported);
        }
        let r = self.step(expected);
        // After an error the position is meaningless: keep failing.
        self.failed = r.is_err();
        r
    }
}

#[cfg(all(test, feature = "tlv"))]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn encode(base: &[u16], entries: &[Entry<'_>]) -> Result<Vec<u8>, IoError> {
        let mut buf = [0u8; 1024];
        let mut e = TlvEncoder::new(Path::new(base), &mut buf);
        for en in entries {
            e.entry(en)?;
        }
        let n = e.finish()?;
        Ok(buf[..n].to_vec())
    }

    fn device_type(p: &Path) -> Option<DataType> {
        Some(match p.rid()? {
            0..=3 | 14 | 16 => DataType::String,
            13 => DataType::Time,
            _ => DataType::Int,
        })
    }

    fn decode_all<'a>(
        base: &[u16],
        data: &'a [u8],
        t: TypeOf<'_>,
    ) -> Result<Vec<Entry<'a>>, IoError> {
        crate::io::format::check_resumable(
            crate::io::format::Format::Tlv,
            Path::new(base),
            data,
            t,
        );
        let mut d = TlvDecoder::new(Path::new(base), data);
        let mut out = Vec::new();
        while let Some(e) = d.next_entry(t)? {
            out.push(e);
        }
        Ok(out)
    }

    fn device_entries() -> Vec<Entry<'static>> {
        let e = |ids: &[u16], v| Entry::new(Path::new(ids), v);
        vec![
            e(&[3, 0, 0], Value::String("Open Mobile Alliance")),
            e(&[3, 0, 1], Value::String("Lightweight M2M Client")),
            e(&[3, 0, 2], Value::String("345000123")),
            e(&[3, 0, 3], Value::String("1.0")),
            e(&[3, 0, 6, 0], Value::Int(1)),
            e(&[3, 0, 6, 1], Value::Int(5)),
            e(&[3, 0, 7, 0], Value::Int(3800)),
            e(&[3, 0, 7, 1], Value::Int(5000)),
            e(&[3, 0, 8, 0], Value::Int(125)),
            e(&[3, 0, 8, 1], Value::Int(900)),
            e(&[3, 0, 9], Value::Int(100)),
            e(&[3, 0, 10], Value::Int(15)),
            e(&[3, 0, 11, 0], Value::Int(0)),
            e(&[3, 0, 13], Value::Time(0x5182_428F)),
            e(&[3, 0, 14], Value::String("+02:00")),
            e(&[3, 0, 16], Value::String("U")),
        ]
    }

    /// The Device Object instance example of the TLV section of the LwM2M TS Core
    /// (a Read on /3/0).
    const DEVICE_TLV: &[u8] = b"\xC8\x00\x14Open Mobile Alliance\
\xC8\x01\x16Lightweight M2M Client\
\xC8\x02\x09345000123\
\xC3\x031.0\
\x86\x06\x41\x00\x01\x41\x01\x05\
\x88\x07\x08\x42\x00\x0E\xD8\x42\x01\x13\x88\
\x87\x08\x41\x00\x7D\x42\x01\x03\x84\
\xC1\x09\x64\
\xC1\x0A\x0F\
\x83\x0B\x41\x00\x00\
\xC4\x0D\x51\x82\x42\x8F\
\xC6\x0E+02:00\
\xC1\x10U";

    /// `data` (minimal headers, as in the spec's examples) with every container header
    /// rewritten to the 24-bit length form the encoder uses; the content is unchanged.
    fn widen(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < data.len() {
            let t = data[i];
            let idl = if t & 0x20 != 0 { 2 } else { 1 };
            let ll = usize::from((t >> 3) & 3);
            let hdr_end = i + 1 + idl + ll;
            let len = if ll == 0 {
                usize::from(t & 7)
            } else {
                data[i + 1 + idl..hdr_end]
                    .iter()
                    .fold(0, |a, b| (a << 8) | usize::from(*b))
            };
            let body = &data[hdr_end..hdr_end + len];
            if t >> 6 == KIND_INSTANCE || t >> 6 == KIND_MULTIPLE {
                let inner = widen(body);
                out.push((t & 0xE0) | 0x18);
                out.extend_from_slice(&data[i + 1..i + 1 + idl]);
                out.extend_from_slice(&(inner.len() as u32).to_be_bytes()[1..]);
                out.extend(inner);
            } else {
                out.extend_from_slice(&data[i..hdr_end + len]);
            }
            i = hdr_end + len;
        }
        out
    }

    #[test]
    fn spec_device_instance() {
        let wide = widen(DEVICE_TLV);
        assert_eq!(encode(&[3, 0], &device_entries()).unwrap(), wide);
        assert_eq!(
            decode_all(&[3, 0], &wide, &device_type).unwrap(),
            device_entries()
        );
        assert_eq!(
            decode_all(&[3, 0], DEVICE_TLV, &device_type).unwrap(),
            device_entries()
        );
        // At object level, the same content inside an Object Instance TLV of ID 0 with an
        // 8-bit length.
        let mut obj = vec![0x08, 0x00, DEVICE_TLV.len() as u8];
        obj.extend_from_slice(DEVICE_TLV);
        assert_eq!(encode(&[3], &device_entries()).unwrap(), widen(&obj));
        assert_eq!(
            decode_all(&[3], &obj, &device_type).unwrap(),
            device_entries()
        );
    }

    #[test]
    fn resource_and_instance_levels() {
        let e = |ids: &[u16], v| Entry::new(Path::new(ids), v);
        let multi = [
            e(&[3, 0, 7, 0], Value::Int(3800)),
            e(&[3, 0, 7, 1], Value::Int(5000)),
        ];
        assert_eq!(
            encode(&[3, 0, 7], &multi).unwrap(),
            widen(b"\x88\x07\x08\x42\x00\x0E\xD8\x42\x01\x13\x88")
        );
        assert_eq!(
            encode(&[3, 0, 7, 1], &multi[1..]).unwrap(),
            b"\x42\x01\x13\x88"
        );
        assert_eq!(
            decode_all(&[3, 0, 7, 1], b"\x42\x01\x13\x88", &device_type).unwrap(),
            &multi[1..]
        );
        assert_eq!(
            encode(&[3, 0, 9], &[e(&[3, 0, 9], Value::Int(100))]).unwrap(),
            b"\xC1\x09\x64"
        );
        // Two instances, 16-bit IDs and a 16-bit length.
        let long = [b'x'; 300];
        let s = core::str::from_utf8(&long).unwrap();
        let two = [
            e(&[9, 1, 300], Value::String(s)),
            e(&[9, 2, 0], Value::Bool(true)),
        ];
        let out = encode(&[9], &two).unwrap();
        assert_eq!(&out[..9], b"\x18\x01\x00\x01\x31\xF0\x01\x2C\x01");
        assert_eq!(&out[out.len() - 8..], b"\x18\x02\x00\x00\x03\xC1\x00\x01");
        let t = |_: &Path| Some(DataType::String);
        let back = decode_all(&[9], &out, &|p: &Path| {
            if p.iid() == Some(2) {
                Some(DataType::Bool)
            } else {
                t(p)
            }
        });
        assert_eq!(back.unwrap(), two);
    }

    #[test]
    fn round_trip_every_type() {
        let vals = [
            Value::Bytes(b"\x00\x01"),
            Value::Bytes(b""),
            Value::String("zażółć"),
            Value::Int(0),
            Value::Int(-129),
            Value::Int(40000),
            Value::Int(-3_000_000_000),
            Value::Int(i64::MIN),
            Value::Uint(255),
            Value::Uint(65536),
            Value::Uint(u64::MAX),
            Value::Double(1.5),
            Value::Double(0.1),
            Value::Double(f64::MAX),
            Value::Bool(false),
            Value::Objlnk {
                oid: 3,
                iid: 0xFFFF,
            },
            Value::Time(-1),
            Value::Time(1_700_000_000_000),
        ];
        for v in vals {
            let p = Path::new(&[1000, 0, 5]);
            let out = encode(&[1000, 0], &[Entry::new(p, v)]).unwrap();
            let t = v.data_type();
            assert_eq!(
                decode_all(&[1000, 0], &out, &|_| Some(t)).unwrap(),
                vec![Entry::new(p, v)],
                "{v:?}"
            );
        }
        // Lossless floats take 4 bytes, others 8.
        let f = |d| {
            encode(
                &[1, 0, 1],
                &[Entry::new(Path::new(&[1, 0, 1]), Value::Double(d))],
            )
            .unwrap()
            .len()
        };
        assert_eq!(f(1.5), 6);
        assert_eq!(f(0.1), 11);
    }

    #[test]
    fn decoder_paths() {
        // Bare resource TLVs in a Create on /3: instance ID not given.
        let got = decode_all(&[3], b"\xC1\x09\x64", &device_type).unwrap();
        assert_eq!(
            got,
            vec![Entry::new(Path::new(&[3, ID_INVALID, 9]), Value::Int(100))]
        );
        // Empty object instance: Null at its path.
        let got = decode_all(&[3], b"\x00\x05", &device_type).unwrap();
        assert_eq!(got, vec![Entry::new(Path::new(&[3, 5]), Value::Null)]);
        // Unknown type: raw bytes.
        let got = decode_all(&[3, 0], b"\xC1\x09\x64", &|_| None).unwrap();
        assert_eq!(got[0].value, Value::Bytes(b"\x64"));
        // IDs that contradict the request path.
        assert_eq!(
            decode_all(&[3, 1], b"\x03\x00\xC1\x09\x64", &device_type),
            Err(IoError::BadPath)
        );
        assert_eq!(
            decode_all(&[3, 0, 8], b"\xC1\x09\x64", &device_type),
            Err(IoError::BadPath)
        );
        // A resource instance with no resource around it.
        assert_eq!(
            decode_all(&[3, 0], b"\x41\x00\x01", &device_type),
            Err(IoError::Malformed)
        );
        // Root path.
        assert_eq!(
            decode_all(&[], b"\xC1\x09\x64", &device_type),
            Err(IoError::Unsupported)
        );
    }

    #[test]
    fn malformed_inputs() {
        let t = &device_type;
        for bad in [
            &b"\xC1"[..],                        // no ID
            b"\xC1\x09",                         // no value
            b"\xC8\x09",                         // no length byte
            b"\xC8\x09\x05\x01",                 // value shorter than length
            b"\x03\x00\xC1\x09\x64\x00",         // child overruns its instance
            b"\x03\x00\x41\x00\x01",             // resource instance directly in an instance
            b"\x86\x06\xC1\x00\x01\x00\x00\x00", // resource in a multiple resource
            b"\xC2\x09\x00\x01\x02",             // trailing garbage shorter than a header
            b"\xC3\x09\x00\x00\x00",             // 3-byte integer
            b"\xE1\xFF\xFF\x01",                 // ID 65535
        ] {
            assert!(decode_all(&[3, 0], bad, t).is_err(), "{bad:x?}");
        }
        assert_eq!(
            decode_all(&[3, 0], b"\xC1\x0A\x02", &|_| Some(DataType::Bool)),
            Err(IoError::Malformed)
        );
        assert_eq!(
            decode_all(&[3, 0], b"\xC1\x00\xFF", &|_| Some(DataType::String)),
            Err(IoError::Malformed)
        );
    }

    #[test]
    fn encoder_errors() {
        let p = Path::new(&[3, 0, 1]);
        assert_eq!(
            encode(&[], &[Entry::new(p, Value::Int(1))]),
            Err(IoError::Unsupported)
        );
        assert_eq!(
            encode(&[4], &[Entry::new(p, Value::Int(1))]),
            Err(IoError::BadPath)
        );
        assert_eq!(
            encode(&[3], &[Entry::new(Path::new(&[3, 0]), Value::Int(1))]),
            Err(IoError::BadPath)
        );
        assert_eq!(
            encode(&[3], &[Entry::new(p, Value::Null)]),
            Err(IoError::Unsupported)
        );
        let mut small = [0u8; 8];
        let mut e = TlvEncoder::new(Path::new(&[3]), &mut small);
        assert_eq!(
            e.entry(&Entry::new(p, Value::String("abc"))),
            Err(IoError::BufferTooSmall)
        );
    }

    #[test]
    fn mutations_never_panic() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut obj = vec![0x08, 0x00, DEVICE_TLV.len() as u8];
        obj.extend_from_slice(DEVICE_TLV);
        let types = [
            DataType::Int,
            DataType::Uint,
            DataType::Double,
            DataType::Bool,
            DataType::Objlnk,
            DataType::String,
            DataType::Bytes,
        ];
        for round in 0..20000 {
            let mut data = obj.clone();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() as usize) % data.len();
                data[i] = next() as u8;
            }
            data.truncate((next() as usize) % (data.len() + 1));
            let t = types[round % types.len()];
            for base in [&[3u16][..], &[3, 0], &[3, 0, 6]] {
                // Piece-by-piece decoding is checked on some of the mutants (it is slow).
                if round % 64 == 0 {
                    let _ = decode_all(base, &data, &|_| Some(t));
                } else {
                    let mut d = TlvDecoder::new(Path::new(base), &data);
                    while let Ok(Some(_)) = d.next_entry(&|_| Some(t)) {}
                }
            }
        }
    }
}
