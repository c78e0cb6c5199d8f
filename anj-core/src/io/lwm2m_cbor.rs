//! LwM2M CBOR (content format 11544), LwM2M 1.2 TS Core §7.4.7.
//!
//! The payload is one CBOR map (RFC 8949 §3.1, major type 5) whose structure follows the
//! data model tree: each key is a path fragment relative to the enclosing map (an unsigned
//! integer ID, or an array of IDs covering several levels at once), and each value is
//! either a nested map of the same kind or a leaf value of the resource (instance) the
//! accumulated path names (`null` where the operation carries no value). Paths are
//! absolute: the outermost keys are Object IDs whatever the request path.
//!
//! Encoding follows Anjay Lite's layout: indefinite-length maps (RFC 8949 §3.2.2) with
//! one integer key per level, siblings sharing their parent's map, e.g. `/3/0/0` and
//! `/3/0/1` give `{_ 3: {_ 0: {_ 0: v0, 1: v1}}}`. Leaves are written as in application/cbor
//! ([`super::cbor::write_value`]: Time as tag 1, Objlnk as `"oid:iid"`). Since every map
//! is closed by a "break" and nothing is ever patched, any window of the output can be
//! produced exactly (RFC 7959 Block2). Entries must come in data model order.
//!
//! Decoding accepts definite and indefinite maps, integer and array keys, leaves typed
//! by the caller's `expected` callback as in application/cbor, and `null` leaves at any
//! level (as [`Value::Null`]). Entries outside the request path are [`IoError::BadPath`].

use super::cbor::{read_value, write_value, CborReader, CborWriter, Item};
use super::value::{
    CutValue, DataType, Decoder, Encoder, Entry, IoError, Path, Scratch, SliceWriter, TypeOf,
    Value, ID_INVALID,
};

/// Encoder of LwM2M CBOR; see the module docs.
pub struct Lwm2mCborEncoder<'b> {
    w: CborWriter<'b>,
    base: Path,
    /// The path of the last entry written (the root before the first): one map per ID
    /// of it is open.
    last: Path,
    /// The top-level map head could not be written (plain writer, zero-size buffer).
    failed: bool,
}

/// The break stop code closing an indefinite-length item (RFC 8949 §3.2.1).
const BREAK: u8 = 0xFF;
/// Head of an indefinite-length map (RFC 8949 §3.2.2).
const MAP_INDEFINITE: u8 = 0xBF;

impl<'b> Lwm2mCborEncoder<'b> {
    pub fn new(base: Path, out: &'b mut [u8]) -> Self {
        Self::with_writer(base, SliceWriter::new(out))
    }

    pub fn with_writer(base: Path, mut w: SliceWriter<'b>) -> Self {
        let failed = w.push_byte(MAP_INDEFINITE).is_err();
        Lwm2mCborEncoder {
            w: CborWriter::from_writer(w),
            base,
            last: Path::ROOT,
            failed,
        }
    }

    /// Closes the maps the previous entry left open down to where `path` parts from it
    /// and writes the keys (opening maps) of `path`; its value follows.
    fn write_keys(&mut self, path: &Path) -> Result<(), IoError> {
        let ids = path.as_slice();
        let last = self.last.as_slice();
        // The number of leading IDs shared with the previous entry; a repeated path is
        // written as a new key in the innermost map (as Anjay Lite does).
        let mut span = ids.iter().zip(last).take_while(|(a, b)| a == b).count();
        if span == ids.len() {
            span = span.saturating_sub(1);
        }
        if !last.is_empty() {
            // Close the maps below the level where the paths part.
            for _ in span + 1..last.len() {
                self.w.w.push_byte(BREAK)?;
            }
        }
        for (i, id) in ids.iter().enumerate().skip(span) {
            if i != span {
                self.w.w.push_byte(MAP_INDEFINITE)?;
            }
            self.w.uint(u64::from(*id))?;
        }
        Ok(())
    }

    /// Writes the entry at `path` (its value written by `value`), or nothing at all.
    fn write(
        &mut self,
        path: &Path,
        null: bool,
        value: impl FnOnce(&mut CborWriter<'_>) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        if self.failed {
            return Err(IoError::BufferTooSmall);
        }
        if path.len() < 3 || !self.base.is_prefix_of(path) {
            return Err(IoError::BadPath);
        }
        if null {
            return Err(IoError::Unsupported);
        }
        let start = self.w.position();
        let r = self.write_keys(path).and_then(|_| value(&mut self.w));
        if r.is_err() {
            // Nothing of this entry stays; the maps of the previous one are still open.
            self.w.w.pos = start;
        } else {
            self.last = *path;
        }
        r
    }
}

impl Encoder for Lwm2mCborEncoder<'_> {
    fn entry(&mut self, e: &Entry<'_>) -> Result<(), IoError> {
        let null = matches!(e.value, Value::Null);
        self.write(&e.path, null, |w| write_value(w, &e.value))
    }

    /// A definite-length string (see [`CborWriter::streamed`]).
    #[cfg(feature = "external-data")]
    fn streamed(
        &mut self,
        path: &Path,
        ty: DataType,
        src: &mut super::value::Source<'_>,
    ) -> Result<(), IoError> {
        self.write(path, false, |w| w.streamed(ty, src))
    }

    fn finish(mut self) -> Result<usize, IoError> {
        if self.failed {
            return Err(IoError::BufferTooSmall);
        }
        // One break per open map: the top-level one and one per ID past the first.
        for _ in 0..self.last.len().max(1) {
            self.w.w.push_byte(BREAK)?;
        }
        Ok(self.w.position())
    }
}

/// One map being read.
#[derive(Clone, Copy, Default, Debug)]
struct Frame {
    /// Pairs left in a definite map; `None` for an indefinite one. (A count past `u32`
    /// could not be honoured by any payload: it is malformed.)
    remaining: Option<u32>,
    /// How many IDs the key leading to this map added to the path.
    key_len: u8,
}

/// Maps nest at most: the top-level one, then one after keys ending at levels 1..=3 (a
/// map after a 4-ID path could hold no valid key).
const MAX_MAPS: usize = 4;

/// Decoder of LwM2M CBOR; see the module docs.
pub struct Lwm2mCborDecoder<'a> {
    r: CborReader<'a>,
    scratch: Scratch<'a>,
    base: Path,
    path: Path,
    stack: [Frame; MAX_MAPS],
    depth: usize,
    started: bool,
    done: bool,
    failed: bool,
    /// The state after the last complete entry (see [`Lwm2mCborDecoder::checkpoint`]).
    mark: (usize, Lwm2mCborState),
    /// The String or Opaque value whose content the end of the piece cut (see
    /// [`Lwm2mCborDecoder::cut_value`]).
    cut: Option<(CutValue, Lwm2mCborState)>,
}

/// Where a [`Lwm2mCborDecoder`] stands between two pieces of a payload: the open maps,
/// each with the path prefix its key added and the pairs it has left (definite) or not
/// (indefinite).
#[derive(Clone, Copy, Debug)]
pub struct Lwm2mCborState {
    base: Path,
    path: Path,
    stack: [Frame; MAX_MAPS],
    depth: u8,
    started: bool,
    done: bool,
}

impl<'a> Lwm2mCborDecoder<'a> {
    /// `base` is the request path (entries must lie under it); `scratch` receives
    /// indefinite-length strings (`&mut []` if the peer is known not to send them).
    pub fn new(base: Path, data: &'a [u8], scratch: &'a mut [u8]) -> Self {
        Self::resume(Self::initial(base), data, scratch, true)
    }

    /// The state at the start of a payload sent to `base`.
    pub fn initial(base: Path) -> Lwm2mCborState {
        Lwm2mCborState {
            base,
            path: Path::ROOT,
            stack: [Frame::default(); MAX_MAPS],
            depth: 0,
            started: false,
            done: false,
        }
    }

    /// A decoder of one piece of a payload, from `state` (see
    /// [`Lwm2mCborDecoder::checkpoint`]). Unless `last`, an entry cut by the end of
    /// `data` is [`IoError::Truncated`].
    pub fn resume(
        state: Lwm2mCborState,
        data: &'a [u8],
        scratch: &'a mut [u8],
        last: bool,
    ) -> Self {
        Lwm2mCborDecoder {
            r: if last {
                CborReader::new(data)
            } else {
                CborReader::new_partial(data)
            },
            scratch: Scratch::new(scratch),
            base: state.base,
            path: state.path,
            stack: state.stack,
            depth: usize::from(state.depth),
            started: state.started,
            done: state.done,
            failed: false,
            mark: (0, state),
            cut: None,
        }
    }

    /// After [`IoError::Truncated`]: the String or Opaque value (a definite-length
    /// string) whose content the end of the piece cut, and the state to resume from
    /// right after its content.
    pub fn cut_value(&self) -> Option<(CutValue, Lwm2mCborState)> {
        self.cut
    }

    fn state(&self) -> Lwm2mCborState {
        Lwm2mCborState {
            base: self.base,
            path: self.path,
            stack: self.stack,
            depth: self.depth as u8,
            started: self.started,
            done: self.done,
        }
    }

    /// The offset in `data` of the first byte of the first entry not returned yet, and
    /// the state to resume from there.
    pub fn checkpoint(&self) -> (usize, Lwm2mCborState) {
        self.mark
    }

    fn push_id(&mut self, id: u64) -> Result<(), IoError> {
        let id = u16::try_from(id)
            .ok()
            .filter(|&i| i != ID_INVALID)
            .ok_or(IoError::Malformed)?;
        self.path = self.path.child(id).ok_or(IoError::Malformed)?;
        Ok(())
    }

    fn enter(&mut self, remaining: Option<u64>, key_len: usize) -> Result<(), IoError> {
        let remaining = match remaining {
            Some(n) => Some(u32::try_from(n).map_err(|_| IoError::Malformed)?),
            None => None,
        };
        let key_len = u8::try_from(key_len).map_err(|_| IoError::Malformed)?;
        *self.stack.get_mut(self.depth).ok_or(IoError::Malformed)? = Frame { remaining, key_len };
        self.depth += 1;
        Ok(())
    }

    /// Reads a key (a path fragment) and appends its IDs to the path.
    fn key(&mut self) -> Result<(), IoError> {
        match self.r.item()? {
            Item::Uint(id) => self.push_id(id),
            Item::Array(n) => {
                let mut count = 0u64;
                while n != Some(count) {
                    match self.r.item()? {
                        Item::Break if n.is_none() => break,
                        Item::Uint(id) => self.push_id(id)?,
                        _ => return Err(IoError::Malformed),
                    }
                    count += 1;
                }
                // An empty path fragment names nothing.
                if count == 0 {
                    return Err(IoError::Malformed);
                }
                Ok(())
            }
            _ => Err(IoError::Malformed),
        }
    }

    fn step(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError> {
        if !self.started {
            self.started = true;
            match self.r.item()? {
                Item::Map(n) => self.enter(n, 0)?,
                _ => return Err(IoError::Malformed),
            }
        }
        loop {
            let Some(top) = self
                .depth
                .checked_sub(1)
                .and_then(|d| self.stack.get_mut(d))
            else {
                return Err(IoError::Logic);
            };
            let end = match top.remaining {
                Some(0) => true,
                Some(n) => {
                    top.remaining = Some(n - 1);
                    false
                }
                None => self.r.peek_break(),
            };
            if end {
                if top.remaining.is_none() {
                    self.r.item()?;
                }
                let key_len = usize::from(top.key_len);
                self.depth -= 1;
                self.path = self.path.truncated(self.path.len().saturating_sub(key_len));
                if self.depth == 0 {
                    if !self.r.at_end() {
                        return Err(IoError::Malformed);
                    }
                    self.done = true;
                    return Ok(None);
                }
                continue;
            }
            let before = self.path.len();
            self.key()?;
            let key_len = self.path.len() - before;
            let mut peek = self.r.clone();
            let value = match peek.item() {
                Err(IoError::Truncated) => {
                    // A value cut by the end of the piece: a String or Opaque one may be
                    // handed over in chunks.
                    if self.path.len() >= 3 && self.base.is_prefix_of(&self.path) {
                        let t = expected(&self.path).filter(|t| *t != DataType::Null);
                        self.note_cut(peek.cut_string(), self.r.position(), before, t);
                    }
                    return Err(IoError::Truncated);
                }
                Err(e) => return Err(e),
                Ok(Item::Map(n)) => {
                    self.r = peek;
                    self.enter(n, key_len)?;
                    continue;
                }
                Ok(Item::Null) => {
                    self.r = peek;
                    Value::Null
                }
                _ => {
                    // A value names a resource or a resource instance.
                    if self.path.len() < 3 {
                        return Err(IoError::Malformed);
                    }
                    if !self.base.is_prefix_of(&self.path) {
                        return Err(IoError::BadPath);
                    }
                    let t = expected(&self.path).filter(|t| *t != DataType::Null);
                    read_value(&mut self.r, &mut self.scratch, t)?
                }
            };
            if !self.base.is_prefix_of(&self.path) {
                return Err(IoError::BadPath);
            }
            let path = self.path;
            self.path = self.path.truncated(before);
            return Ok(Some(Entry::new(path, value)));
        }
    }
}

impl Lwm2mCborDecoder<'_> {
    /// Notes a String or Opaque value at `self.path` whose string (`cut`: its content's
    /// start, length, text or not) starts at or after `at`; the entry's key began with
    /// the path `before` IDs long.
    fn note_cut(
        &mut self,
        cut: Option<(usize, usize, bool)>,
        at: usize,
        before: usize,
        t: Option<DataType>,
    ) {
        let Some((start, len, text)) = cut else {
            return;
        };
        let ok = match t {
            None => true,
            Some(DataType::String) => text,
            Some(DataType::Bytes) => !text,
            Some(_) => false,
        };
        if !ok || start < at {
            return;
        }
        let cut = CutValue {
            path: self.path,
            text,
            start,
            len,
            base64: false,
        };
        let mut after = self.state();
        after.path = self.path.truncated(before);
        self.cut = Some((cut, after));
    }
}

impl<'a> Decoder<'a> for Lwm2mCborDecoder<'a> {
    fn next_entry(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError> {
        if self.failed {
            return Err(IoError::Malformed);
        }
        if self.done {
            // Resumed after the end of the payload: nothing may follow it.
            if !self.r.at_end() {
                self.failed = true;
                return Err(IoError::Malformed);
            }
            return Ok(None);
        }
        let r = self.step(expected);
        self.failed = r.is_err();
        if r.is_ok() {
            self.mark = (self.r.position(), self.state());
        }
        r
    }
}

#[cfg(all(test, feature = "lwm2m-cbor"))]
mod tests {
    use super::*;
    use ciborium::value::Value as CV;
    use std::vec::Vec;

    fn encode(base: &[u16], entries: &[Entry<'_>]) -> Result<Vec<u8>, IoError> {
        let mut buf = vec![0u8; 8192];
        let mut e = Lwm2mCborEncoder::new(Path::new(base), &mut buf);
        for en in entries {
            e.entry(en)?;
        }
        let n = e.finish()?;
        buf.truncate(n);
        Ok(buf)
    }

    fn decode_all<'a>(
        base: &[u16],
        data: &'a [u8],
        scratch: &'a mut [u8],
        t: TypeOf<'_>,
    ) -> Result<Vec<Entry<'a>>, IoError> {
        crate::io::format::check_resumable(
            crate::io::format::Format::Lwm2mCbor,
            Path::new(base),
            data,
            t,
        );
        let mut d = Lwm2mCborDecoder::new(Path::new(base), data, scratch);
        let mut out = Vec::new();
        while let Some(e) = d.next_entry(t)? {
            out.push(e);
        }
        Ok(out)
    }

    fn e(ids: &[u16], v: Value<'static>) -> Entry<'static> {
        Entry::new(Path::new(ids), v)
    }

    fn all_types() -> Vec<Entry<'static>> {
        vec![
            e(&[3, 0, 0], Value::String("Open Mobile Alliance")),
            e(&[3, 0, 2], Value::Bytes(b"\x00\xff")),
            e(&[3, 0, 3], Value::Int(-5)),
            e(&[3, 0, 4], Value::Int(i64::MIN)),
            e(&[3, 0, 5], Value::Uint(u64::MAX)),
            e(&[3, 0, 6, 0], Value::Double(1.5)),
            e(&[3, 0, 6, 1], Value::Double(0.1)),
            e(&[3, 0, 7], Value::Bool(true)),
            e(&[3, 0, 8], Value::Objlnk { oid: 65534, iid: 3 }),
            e(&[3, 0, 9], Value::Time(1_700_000_000)),
            e(&[3, 1, 0], Value::String("")),
            e(&[5, 0, 3], Value::Int(7)),
        ]
    }

    fn type_of(p: &Path) -> Option<DataType> {
        Some(match p.rid()? {
            0 | 1 => DataType::String,
            2 => DataType::Bytes,
            3 | 4 => DataType::Int,
            5 => DataType::Uint,
            6 => DataType::Double,
            7 => DataType::Bool,
            8 => DataType::Objlnk,
            _ => DataType::Time,
        })
    }

    /// The layout of TS Core §7.4.7 as Anjay Lite writes it: one map per level, siblings
    /// in their parent's map, absolute paths whatever the request path.
    #[test]
    fn nested_maps() {
        let entries = [
            e(&[3, 0, 0], Value::String("a")),
            e(&[3, 0, 6, 0], Value::Int(1)),
            e(&[3, 0, 6, 1], Value::Int(5)),
            e(&[3, 0, 9], Value::Int(100)),
        ];
        let want =
            b"\xbf\x03\xbf\x00\xbf\x00\x61a\x06\xbf\x00\x01\x01\x05\xff\x09\x18\x64\xff\xff\xff";
        assert_eq!(encode(&[3, 0], &entries).unwrap(), want);
        // A single resource read on /3/0/9: still the full path.
        assert_eq!(
            encode(&[3, 0, 9], &entries[3..]).unwrap(),
            b"\xbf\x03\xbf\x00\xbf\x09\x18\x64\xff\xff\xff"
        );
        assert_eq!(encode(&[3], &[]).unwrap(), b"\xbf\xff");
        // Errors: below the request path, not a resource, no value; nothing stays written.
        let mut buf = [0u8; 64];
        let mut enc = Lwm2mCborEncoder::new(Path::new(&[3]), &mut buf);
        assert_eq!(
            enc.entry(&e(&[4, 0, 1], Value::Int(1))),
            Err(IoError::BadPath)
        );
        assert_eq!(enc.entry(&e(&[3, 0], Value::Int(1))), Err(IoError::BadPath));
        assert_eq!(
            enc.entry(&e(&[3, 0, 1], Value::Null)),
            Err(IoError::Unsupported)
        );
        assert_eq!(enc.finish(), Ok(2));
        // A full buffer fails cleanly.
        let mut small = [0u8; 8];
        let mut enc = Lwm2mCborEncoder::new(Path::ROOT, &mut small);
        assert_eq!(
            enc.entry(&e(&[3, 0, 0], Value::String("abcdef"))),
            Err(IoError::BufferTooSmall)
        );
        assert_eq!(enc.entry(&e(&[3, 0, 1], Value::Int(1))), Ok(()));
        assert_eq!(enc.finish(), Err(IoError::BufferTooSmall));
    }

    #[test]
    fn round_trip_and_ciborium() {
        let entries = all_types();
        let out = encode(&[], &entries).unwrap();
        let mut scratch = [0u8; 16];
        assert_eq!(
            decode_all(&[], &out, &mut scratch, &type_of).unwrap(),
            entries
        );
        assert_eq!(
            decode_all(&[3], &out, &mut scratch, &type_of),
            Err(IoError::BadPath)
        );
        // Independent decoder: walk the nested maps and compare every leaf.
        let v: CV = ciborium::de::from_reader(&out[..]).unwrap();
        fn leaves(v: &CV, path: &mut Vec<u16>, out: &mut Vec<(Vec<u16>, CV)>) {
            match v {
                CV::Map(m) => {
                    for (k, v) in m {
                        path.push(u16::try_from(i128::from(k.as_integer().unwrap())).unwrap());
                        leaves(v, path, out);
                        path.pop();
                    }
                }
                _ => out.push((path.clone(), v.clone())),
            }
        }
        let mut got = Vec::new();
        leaves(&v, &mut Vec::new(), &mut got);
        assert_eq!(got.len(), entries.len());
        for ((path, cv), en) in got.iter().zip(&entries) {
            assert_eq!(path.as_slice(), en.path.as_slice());
            let want = match en.value {
                Value::String(s) => CV::Text(s.into()),
                Value::Bytes(b) => CV::Bytes(b.into()),
                Value::Int(i) => CV::Integer(i.into()),
                Value::Uint(u) => CV::Integer(u.into()),
                Value::Double(d) => CV::Float(d),
                Value::Bool(b) => CV::Bool(b),
                Value::Time(t) => CV::Tag(1, Box::new(CV::Integer(t.into()))),
                Value::Objlnk { oid, iid } => CV::Text(format!("{oid}:{iid}")),
                Value::Null => unreachable!(),
            };
            assert_eq!(cv, &want, "{:?}", en.path);
        }
        // And ciborium's own encoding (definite maps) decodes to the same entries.
        let mut theirs = Vec::new();
        ciborium::ser::into_writer(&v, &mut theirs).unwrap();
        assert_eq!(
            decode_all(&[], &theirs, &mut scratch, &type_of).unwrap(),
            entries
        );
    }

    /// Keys may be arrays of IDs (path fragments, TS Core §7.4.7), values `null`.
    #[test]
    fn decodes_path_arrays_and_nulls() {
        // {[3, 0]: {0: "a", [6, 0]: 1}, [1, 0, 1]: 60, [5]: {_ [0, 3]: null}}
        let data = b"\xa3\x82\x03\x00\xa2\x00\x61a\x82\x06\x00\x01\x83\x01\x00\x01\x18\x3c\x81\x05\xbf\x82\x00\x03\xf6\xff";
        let got = decode_all(&[], data, &mut [], &|_| None).unwrap();
        assert_eq!(
            got,
            vec![
                e(&[3, 0, 0], Value::String("a")),
                e(&[3, 0, 6, 0], Value::Int(1)),
                e(&[1, 0, 1], Value::Int(60)),
                e(&[5, 0, 3], Value::Null),
            ]
        );
        // Indefinite array key; a null object instance.
        let data = b"\xa1\x9f\x01\x00\xff\xf6";
        assert_eq!(
            decode_all(&[1], data, &mut [], &|_| None).unwrap(),
            vec![e(&[1, 0], Value::Null)]
        );
        // Typed through `expected`.
        let data = b"\xa1\x83\x01\x00\x01\xf9\x3c\x00";
        assert_eq!(
            decode_all(&[1, 0], data, &mut [], &|_| Some(DataType::Int)).unwrap(),
            vec![e(&[1, 0, 1], Value::Int(1))]
        );
        assert_eq!(
            decode_all(&[], b"\xa0", &mut [], &|_| None).unwrap(),
            vec![]
        );
    }

    #[test]
    fn rejects_malformed() {
        let cases: &[&[u8]] = &[
            b"",
            b"\x80",                                 // not a map
            b"\xa1\x83\x01\x00\x01",                 // truncated
            b"\xa1\x82\x01\x00\x01",                 // value at instance level
            b"\xa1\x83\x01\x00\x19\xff\xff\x01",     // reserved ID 65535
            b"\xa1\x85\x01\x00\x01\x00\x00\x01",     // path too deep
            b"\xa1\x80\x01",                         // empty path fragment
            b"\xa1\x61a\x01",                        // text key
            b"\xa1\x83\x01\x00\x01\x01\x00",         // trailing bytes
            b"\xbf\x83\x01\x00\x01\x01",             // missing break
            b"\xa1\x01\xa1\x00\xa1\x01\xa1\x00\xa0", // maps nested past resource instances
            b"\xa1\x83\x01\x00\x01\xff",             // break as value
            b"\xa1\x83\x01\x00\x01\x61\xff",         // bad UTF-8
        ];
        for bad in cases {
            assert!(
                decode_all(&[], bad, &mut [], &|_| Some(DataType::Int)).is_err(),
                "{bad:x?}"
            );
        }
        assert_eq!(
            decode_all(&[2], b"\xa1\x83\x01\x00\x01\x01", &mut [], &|_| None),
            Err(IoError::BadPath)
        );
        // After an error, the decoder stays failed.
        let mut d = Lwm2mCborDecoder::new(Path::ROOT, b"\xa2\x83\x01\x00\x01\x01\x80", &mut []);
        assert!(d.next_entry(&|_| None).unwrap().is_some());
        assert!(d.next_entry(&|_| None).is_err());
        assert!(d.next_entry(&|_| None).is_err());
    }
}
