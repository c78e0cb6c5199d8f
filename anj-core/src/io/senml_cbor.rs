//! SenML CBOR (content format 112): RFC 8428 §6 with the LwM2M conventions of TS Core
//! §7.4.6 (and the shared SenML record logic used by SenML JSON).
//!
//! Encoding follows Anjay Lite's layout: a definite array of definite maps; the first
//! record carries the base name `bn` (-2) = the base path without a trailing slash
//! (`/3/0`), and every record whose path is longer carries `n` (0) = the rest, starting
//! with a slash (`/1`, `/11/0`); bn + n is the full path as RFC 8428 §4.5.1 concatenates.
//! A record's timestamp, when set and different from the previous one, goes into `bt` (-3).
//! Values: `v` (2) numbers (Time as tag 1 + integer, as Anjay Lite), `vs` (3), `vb` (4),
//! `vd` (8) and `"vlo"` for Objlnk (`"oid:iid"`). Floats are single precision when that is
//! exact, else double, as Anjay Lite writes them.
//! The client always knows the number of records before it encodes (Read, Observe and
//! Read-Composite count the readable values with a walk of the data model that reads no
//! value; Send has its records), so [`SenmlCborEncoder::with_count`] writes a definite-length
//! array, byte for byte what Anjay Lite sends. Nothing is ever patched or moved, so the
//! encoder can produce any window of its output exactly (RFC 7959 Block2, see
//! [`crate::io::format::Format::encoder_window`]). Without a count ([`SenmlCborEncoder::new`])
//! the pack is an indefinite-length array (`0x9F` records `0xFF`, RFC 8949 §3.2.2).
//!
//! Decoding accepts definite and indefinite arrays, maps and strings (RFC 8949 §3.2), half
//! floats, tag 1 on numbers, integer and text labels, `bn`/`bt` on any record (they apply
//! until replaced, RFC 8428 §4.1), ignores unknown labels except those ending in `_`
//! (RFC 8428 §4.4, must-understand) and rejects duplicate labels, several values in one
//! record, and names that do not form a path under the request path. Indefinite strings
//! are copied into the caller's scratch buffer.

use super::cbor::{CborReader, CborWriter, Item, TAG_EPOCH_TIME};
use super::fbits::{f64_to_i64, f64_to_u64};
use super::value::{
    CutValue, DataType, Decoder, Encoder, Entry, IoError, Path, Scratch, SliceWriter, TypeOf, Value,
};

/// SenML labels (RFC 8428 §6, Table 6).
const L_BVER: i64 = -1;
const L_BN: i64 = -2;
const L_BT: i64 = -3;
const L_N: i64 = 0;
const L_V: i64 = 2;
const L_VS: i64 = 3;
const L_VB: i64 = 4;
const L_T: i64 = 6;
const L_VD: i64 = 8;
/// LwM2M's object link value label (TS Core §7.4.6).
pub const VLO: &[u8] = b"vlo";

/// Longest full name: "/65534/65534/65534/65534".
pub const MAX_NAME: usize = 24;

/// Renders `path` as SenML name text (`/a/b`; the root is `/`) into `buf`.
pub fn name_text<'b>(path: &Path, buf: &'b mut [u8; MAX_NAME]) -> Result<&'b [u8], IoError> {
    let n = path.write_str(buf)?;
    Ok(buf.get(..n).unwrap_or(&[]))
}

/// Common state of the SenML encoders: which fields a record gets.
/// The names are kept as paths and rendered only when written.
pub struct RecordPlan {
    pub bn: Option<Path>,
    pub n: Option<Path>,
    pub bt: Option<f64>,
}

#[derive(Clone, Copy)]
pub struct SenmlEncState {
    base: Path,
    first: bool,
    last_time: f64,
}

impl SenmlEncState {
    pub fn new(base: Path) -> Self {
        SenmlEncState {
            base,
            first: true,
            last_time: 0.0,
        }
    }

    pub fn plan(&mut self, e: &Entry<'_>) -> Result<RecordPlan, IoError> {
        if !self.base.is_prefix_of(&e.path) {
            return Err(IoError::BadPath);
        }
        let mut plan = RecordPlan {
            bn: None,
            n: None,
            bt: None,
        };
        if self.first && !self.base.is_empty() {
            plan.bn = Some(self.base);
        }
        if e.path.len() != self.base.len() || e.path.is_empty() {
            // The IDs past the base name (the root, `/`, when both are empty).
            plan.n = Some(Path::new(
                e.path.as_slice().get(self.base.len()..).unwrap_or(&[]),
            ));
        }
        if let Some(t) = e.timestamp {
            let t = if t.is_nan() { 0.0 } else { t };
            if t != self.last_time {
                plan.bt = Some(t);
                self.last_time = t;
            }
        }
        self.first = false;
        Ok(plan)
    }
}

/// Encoder of SenML CBOR; see the module docs.
pub struct SenmlCborEncoder<'b> {
    c: CborWriter<'b>,
    state: SenmlEncState,
    /// The array head could not be written (plain writer, zero-size buffer).
    failed: bool,
    /// For a definite-length pack (see [`SenmlCborEncoder::with_count`]): how many
    /// records the head announced, and how many have been written.
    definite: Option<(u64, u64)>,
}

impl<'b> SenmlCborEncoder<'b> {
    pub fn new(base: Path, out: &'b mut [u8]) -> Self {
        Self::with_writer(base, SliceWriter::new(out))
    }

    pub fn with_writer(base: Path, mut w: SliceWriter<'b>) -> Self {
        // RFC 8949 §3.2.2: major type 4, additional information 31.
        let failed = w.push_byte(0x9F).is_err();
        SenmlCborEncoder {
            c: CborWriter::from_writer(w),
            state: SenmlEncState::new(base),
            failed,
            definite: None,
        }
    }

    /// An encoder of a pack whose number of records is known up front (the LwM2M Send
    /// operation): the array is definite-length, as Anjay Lite writes it, and no break
    /// closes it. Still nothing is patched, so windows of the output stay exact. Exactly
    /// `count` records must be written before [`Encoder::finish`].
    pub fn with_count(base: Path, count: usize, w: SliceWriter<'b>) -> Self {
        let mut c = CborWriter::from_writer(w);
        let count = count as u64;
        let failed = c.array(count).is_err();
        SenmlCborEncoder {
            c,
            state: SenmlEncState::new(base),
            failed,
            definite: Some((count, 0)),
        }
    }

    /// [`Encoder::streamed`] for a record that also carries a timestamp (`bt` as for
    /// [`Entry::timestamp`]).
    #[cfg(feature = "external-data")]
    pub fn streamed_at(
        &mut self,
        path: &Path,
        ty: DataType,
        timestamp: Option<f64>,
        src: &mut super::value::Source<'_>,
    ) -> Result<(), IoError> {
        let label = match ty {
            DataType::Bytes => L_VD,
            DataType::String => L_VS,
            _ => return Err(IoError::Unsupported),
        };
        // Any non-Null value stands for the streamed one in the record plan.
        let e = Entry {
            path: *path,
            value: Value::Bool(false),
            timestamp,
        };
        self.record(&e, |c| {
            c.int(label)?;
            c.streamed(ty, src)
        })
    }
}

impl SenmlCborEncoder<'_> {
    /// Writes one record for `e` (its value written by `value`), or nothing at all.
    fn record(
        &mut self,
        e: &Entry<'_>,
        value: impl FnOnce(&mut CborWriter<'_>) -> Result<(), IoError>,
    ) -> Result<(), IoError> {
        if self.failed {
            return Err(IoError::BufferTooSmall);
        }
        if let Some((count, written)) = self.definite {
            if written >= count {
                return Err(IoError::Logic);
            }
        }
        let start = self.c.w.pos;
        let saved = self.state;
        let plan = self.state.plan(e)?;
        let c = &mut self.c;
        let r = write_record_head(c, &plan, !matches!(e.value, Value::Null)).and_then(|_| value(c));
        if r.is_err() {
            // Nothing of this record stays: the next one must still carry bn / bt.
            self.c.w.pos = start;
            self.state = saved;
        } else if let Some((_, written)) = self.definite.as_mut() {
            *written += 1;
        }
        r
    }
}

impl Encoder for SenmlCborEncoder<'_> {
    fn entry(&mut self, e: &Entry<'_>) -> Result<(), IoError> {
        self.record(e, |c| write_record_value(c, &e.value))
    }

    /// `vd` or `vs` with a definite-length string (see [`CborWriter::streamed`]).
    #[cfg(feature = "external-data")]
    fn streamed(
        &mut self,
        path: &Path,
        ty: DataType,
        src: &mut super::value::Source<'_>,
    ) -> Result<(), IoError> {
        self.streamed_at(path, ty, None, src)
    }

    fn finish(mut self) -> Result<usize, IoError> {
        if self.failed {
            return Err(IoError::BufferTooSmall);
        }
        match self.definite {
            Some((count, written)) if count != written => return Err(IoError::Logic),
            Some(_) => {}
            // The "break" stop code closing the array (RFC 8949 §3.2.1).
            None => self.c.w.push_byte(0xFF)?,
        }
        Ok(self.c.w.pos)
    }
}

/// The map head of a record and its name and time fields; the value pair follows.
fn write_record_head(
    c: &mut CborWriter<'_>,
    plan: &RecordPlan,
    has_value: bool,
) -> Result<(), IoError> {
    let pairs = [
        plan.bn.is_some(),
        plan.n.is_some(),
        plan.bt.is_some(),
        has_value,
    ];
    c.map(pairs.iter().filter(|p| **p).count() as u64)?;
    let mut buf = [0u8; MAX_NAME];
    if let Some(p) = &plan.bn {
        c.int(L_BN)?;
        c.text(name_text(p, &mut buf)?)?;
    }
    if let Some(p) = &plan.n {
        c.int(L_N)?;
        c.text(name_text(p, &mut buf)?)?;
    }
    if let Some(t) = plan.bt {
        c.int(L_BT)?;
        c.float(t)?;
    }
    Ok(())
}

/// The value pair of a record (nothing for Null).
fn write_record_value(c: &mut CborWriter<'_>, v: &Value<'_>) -> Result<(), IoError> {
    match *v {
        Value::Null => Ok(()),
        Value::Bytes(b) => {
            c.int(L_VD)?;
            c.bytes(b)
        }
        Value::String(s) => {
            c.int(L_VS)?;
            c.text(s.as_bytes())
        }
        Value::Int(i) => {
            c.int(L_V)?;
            c.int(i)
        }
        Value::Uint(u) => {
            c.int(L_V)?;
            c.uint(u)
        }
        Value::Double(d) => {
            c.int(L_V)?;
            c.float(d)
        }
        Value::Time(t) => {
            c.int(L_V)?;
            c.tag(TAG_EPOCH_TIME)?;
            c.int(t)
        }
        Value::Bool(b) => {
            c.int(L_VB)?;
            c.bool(b)
        }
        Value::Objlnk { oid, iid } => {
            c.text(VLO)?;
            let mut b = [0u8; 11];
            let mut w = SliceWriter::new(&mut b);
            w.push_u64(u64::from(oid))?;
            w.push_byte(b':')?;
            w.push_u64(u64::from(iid))?;
            let n = w.pos;
            c.text(b.get(..n).unwrap_or(&[]))
        }
    }
}

/// A SenML number before it is typed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    /// A non-negative integer.
    U(u64),
    /// A negative integer `-1 - n`.
    N(u64),
    F(f64),
}

impl Num {
    pub fn as_f64(self) -> f64 {
        match self {
            Num::U(u) => u as f64,
            Num::N(n) => -1.0 - n as f64,
            Num::F(f) => f,
        }
    }

    fn as_i64(self) -> Option<i64> {
        match self {
            Num::U(u) => i64::try_from(u).ok(),
            Num::N(n) => i64::try_from(n).ok().map(|n| -1 - n),
            Num::F(f) => f64_to_i64(f),
        }
    }

    fn as_u64(self) -> Option<u64> {
        match self {
            Num::U(u) => Some(u),
            Num::N(_) => None,
            Num::F(f) => f64_to_u64(f),
        }
    }
}

/// The value field of one record, before typing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RawValue<'a> {
    None,
    Num(Num),
    Str(&'a [u8]),
    Bool(bool),
    Data(&'a [u8]),
    Objlnk(&'a [u8]),
}

/// One record's fields as parsed (strings already unescaped / decoded).
#[derive(Clone, Copy, Debug)]
pub struct Record<'a> {
    pub bn: Option<&'a [u8]>,
    pub n: Option<&'a [u8]>,
    pub bt: Option<f64>,
    pub t: Option<f64>,
    pub value: RawValue<'a>,
}

impl<'a> Record<'a> {
    pub const EMPTY: Record<'a> = Record {
        bn: None,
        n: None,
        bt: None,
        t: None,
        value: RawValue::None,
    };

    /// Sets a field, rejecting duplicates (RFC 8428 §4.1 does not allow repeated labels).
    pub fn set<T>(slot: &mut Option<T>, v: T) -> Result<(), IoError> {
        if slot.is_some() {
            return Err(IoError::Malformed);
        }
        *slot = Some(v);
        Ok(())
    }

    pub fn set_value(&mut self, v: RawValue<'a>) -> Result<(), IoError> {
        if self.value != RawValue::None {
            return Err(IoError::Malformed);
        }
        self.value = v;
        Ok(())
    }
}

/// The state a SenML pack carries across records: base name and base time.
/// The base name is copied (a longer one than a path's text cannot name a path), so the
/// state outlives the payload and a decoder can resume from it (RFC 7959 Block1).
#[derive(Clone, Copy, Debug)]
pub struct SenmlDecState {
    base: Path,
    bn: [u8; MAX_NAME],
    bn_len: u8,
    bt: Option<f64>,
}

impl SenmlDecState {
    pub fn new(base: Path) -> Self {
        SenmlDecState {
            base,
            bn: [0; MAX_NAME],
            bn_len: 0,
            bt: None,
        }
    }

    /// Takes the base fields of a record (they apply to it and to the records after it).
    pub fn take_bases(&mut self, r: &Record<'_>) -> Result<(), IoError> {
        if let Some(bn) = r.bn {
            let slot = self.bn.get_mut(..bn.len()).ok_or(IoError::BadPath)?;
            slot.copy_from_slice(bn);
            self.bn_len = bn.len() as u8;
        }
        if let Some(bt) = r.bt {
            self.bt = Some(bt);
        }
        Ok(())
    }

    /// Turns a parsed record into an entry (RFC 8428 §4.6 resolution).
    pub fn resolve<'a>(
        &mut self,
        r: Record<'a>,
        expected: TypeOf<'_>,
    ) -> Result<Entry<'a>, IoError> {
        self.take_bases(&r)?;
        let path = self.path_of(&r)?;
        let timestamp = match (self.bt, r.t) {
            (None, None) => None,
            (bt, t) => Some(bt.unwrap_or(0.0) + t.unwrap_or(0.0)),
        };
        let value = typed(r.value, expected(&path))?;
        Ok(Entry {
            path,
            value,
            timestamp,
        })
    }

    /// The path a record names (its base fields already taken).
    pub fn path_of(&self, r: &Record<'_>) -> Result<Path, IoError> {
        let n = r.n.unwrap_or(&[]);
        let mut name = [0u8; MAX_NAME];
        let mut w = SliceWriter::new(&mut name);
        let bn = self.bn.get(..usize::from(self.bn_len)).unwrap_or(&[]);
        w.push(bn).map_err(|_| IoError::BadPath)?;
        w.push(n).map_err(|_| IoError::BadPath)?;
        let len = w.pos;
        let path = Path::parse(name.get(..len).unwrap_or(&[]))?;
        if !self.base.is_prefix_of(&path) {
            return Err(IoError::BadPath);
        }
        Ok(path)
    }
}

fn parse_objlnk(s: &[u8]) -> Option<Value<'static>> {
    let colon = s.iter().position(|&c| c == b':')?;
    let num = |d: &[u8]| -> Option<u16> {
        if d.is_empty() || d.len() > 5 || !d.iter().all(u8::is_ascii_digit) {
            return None;
        }
        u16::try_from(d.iter().fold(0u32, |a, c| a * 10 + u32::from(c - b'0'))).ok()
    };
    Some(Value::Objlnk {
        oid: num(s.get(..colon)?)?,
        iid: num(s.get(colon + 1..)?)?,
    })
}

fn typed(v: RawValue<'_>, t: Option<DataType>) -> Result<Value<'_>, IoError> {
    let bad = IoError::TypeMismatch;
    let t = t.filter(|t| *t != DataType::Null);
    Ok(match (v, t) {
        (RawValue::None, _) => Value::Null,
        (RawValue::Num(n), Some(DataType::Int)) => Value::Int(n.as_i64().ok_or(bad)?),
        (RawValue::Num(n), Some(DataType::Time)) => Value::Time(n.as_i64().ok_or(bad)?),
        (RawValue::Num(n), Some(DataType::Uint)) => Value::Uint(n.as_u64().ok_or(bad)?),
        (RawValue::Num(n), Some(DataType::Double)) => Value::Double(n.as_f64()),
        (RawValue::Num(Num::F(f)), None) => Value::Double(f),
        (RawValue::Num(n), None) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i),
            (None, Some(u)) => Value::Uint(u),
            _ => Value::Double(n.as_f64()),
        },
        (RawValue::Str(s), None | Some(DataType::String)) => {
            Value::String(core::str::from_utf8(s).map_err(|_| IoError::Malformed)?)
        }
        (RawValue::Bool(b), None | Some(DataType::Bool)) => Value::Bool(b),
        (RawValue::Data(d), None | Some(DataType::Bytes)) => Value::Bytes(d),
        (RawValue::Objlnk(s), None | Some(DataType::Objlnk)) => {
            parse_objlnk(s).ok_or(IoError::Malformed)?
        }
        _ => return Err(bad),
    })
}

/// Decoder of SenML CBOR; see the module docs.
pub struct SenmlCborDecoder<'a> {
    r: CborReader<'a>,
    scratch: Scratch<'a>,
    state: SenmlDecState,
    /// Records left in a definite array; `None` for an indefinite one.
    remaining: Option<u64>,
    started: bool,
    done: bool,
    failed: bool,
    /// The state after the last complete record (see [`SenmlCborDecoder::checkpoint`]).
    mark: (usize, SenmlCborState),
    /// The record whose `vs`/`vd` content the end of the piece cut: its fields before
    /// the value, and the pairs of its map left after the value.
    cut: Option<(Record<'a>, Option<u64>)>,
    /// The rest of a record whose value was handed over in chunks comes first.
    tail: Option<Option<u64>>,
}

/// Where a [`SenmlCborDecoder`] stands between two pieces of a payload: base name and
/// base time, and the position in the records array.
#[derive(Clone, Copy, Debug)]
pub struct SenmlCborState {
    dec: SenmlDecState,
    remaining: Option<u64>,
    started: bool,
    done: bool,
    /// Inside a record whose value was handed over in chunks ([`CutValue`]): the pairs
    /// of its map after the value (`None`: up to the break of an indefinite map).
    tail: Option<Option<u64>>,
}

impl<'a> SenmlCborDecoder<'a> {
    /// `base` is the request path (entries must lie under it); `scratch` receives
    /// indefinite-length strings (`&mut []` if the peer is known not to send them).
    pub fn new(base: Path, data: &'a [u8], scratch: &'a mut [u8]) -> Self {
        let mut d = Self::resume(Self::initial(base), data, scratch, true);
        d.r = CborReader::new(data);
        d
    }

    /// The state at the start of a payload sent to `base`.
    pub fn initial(base: Path) -> SenmlCborState {
        SenmlCborState {
            dec: SenmlDecState::new(base),
            remaining: None,
            started: false,
            done: false,
            tail: None,
        }
    }

    /// A decoder of one piece of a payload, from `state` (see
    /// [`SenmlCborDecoder::checkpoint`]). Unless `last`, a record cut by the end of `data`
    /// is [`IoError::Truncated`].
    pub fn resume(
        state: SenmlCborState,
        data: &'a [u8],
        scratch: &'a mut [u8],
        last: bool,
    ) -> Self {
        SenmlCborDecoder {
            r: if last {
                CborReader::new(data)
            } else {
                CborReader::new_partial(data)
            },
            scratch: Scratch::new(scratch),
            state: state.dec,
            remaining: state.remaining,
            started: state.started,
            done: state.done,
            failed: false,
            mark: (0, state),
            cut: None,
            tail: state.tail,
        }
    }

    /// After [`IoError::Truncated`]: the `vs`/`vd` value whose content the end of the
    /// piece cut, if its record named its path before it, and the state to resume from
    /// once its content has been passed over (the rest of its record comes then; a name,
    /// base name or another value there is malformed).
    pub fn cut_value(&self) -> Option<(CutValue, SenmlCborState)> {
        let (rec, left) = self.cut?;
        let (start, len, text) = self.r.cut_string()?;
        let mut dec = self.state;
        dec.take_bases(&rec).ok()?;
        let path = dec.path_of(&rec).ok()?;
        let cut = CutValue {
            path,
            text,
            start,
            len,
            base64: false,
        };
        let after = SenmlCborState {
            dec,
            remaining: self.remaining,
            started: self.started,
            done: false,
            tail: Some(left),
        };
        Some((cut, after))
    }

    /// The offset in `data` of the first byte of the first record not returned yet, and
    /// the state to resume from there.
    pub fn checkpoint(&self) -> (usize, SenmlCborState) {
        self.mark
    }

    fn number(&mut self) -> Result<Num, IoError> {
        match self.r.number_item()?.0 {
            Item::Uint(u) => Ok(Num::U(u)),
            Item::Nint(n) => Ok(Num::N(n)),
            Item::Float(f) => Ok(Num::F(f)),
            _ => Err(IoError::Malformed),
        }
    }

    fn float(&mut self) -> Result<f64, IoError> {
        Ok(self.number()?.as_f64())
    }

    fn string(&mut self, text: bool) -> Result<&'a [u8], IoError> {
        let it = self.r.item()?;
        let ok = match it {
            Item::Text(_) | Item::TextIndef => text,
            Item::Bytes(_) | Item::BytesIndef => !text,
            _ => false,
        };
        if !ok {
            return Err(IoError::Malformed);
        }
        self.r.string(it, &mut self.scratch)
    }

    fn record(&mut self) -> Result<Record<'a>, IoError> {
        let pairs = match self.r.item()? {
            Item::Map(n) => n,
            _ => return Err(IoError::Malformed),
        };
        self.pairs(pairs, Record::EMPTY)
    }

    /// The rest of a record whose value was handed over in chunks: only fields that do
    /// not change its path or value may follow.
    fn record_tail(&mut self, left: Option<u64>) -> Result<(), IoError> {
        let given = Record {
            bn: Some(&[]),
            n: Some(&[]),
            value: RawValue::Bool(false),
            ..Record::EMPTY
        };
        let rec = self.pairs(left, given)?;
        if let Some(bt) = rec.bt {
            self.state.bt = Some(bt);
        }
        Ok(())
    }

    /// The `pairs` key/value pairs of a record map (`None`: up to its break) into `rec`.
    fn pairs(&mut self, pairs: Option<u64>, mut rec: Record<'a>) -> Result<Record<'a>, IoError> {
        let mut seen_bver = false;
        let mut i = 0u64;
        loop {
            match pairs {
                Some(n) if i == n => break,
                None if self.r.peek_break() => {
                    self.r.item()?;
                    break;
                }
                _ => {}
            }
            i += 1;
            let key = self.r.item()?;
            let label = match key {
                Item::Uint(u) => i64::try_from(u).ok(),
                Item::Nint(n) => i64::try_from(n).ok().map(|n| -1 - n),
                Item::Text(_) | Item::TextIndef => {
                    let s = self.r.string(key, &mut self.scratch)?;
                    if s == VLO {
                        let v = self.string(true)?;
                        rec.set_value(RawValue::Objlnk(v))?;
                        continue;
                    }
                    if s.last() == Some(&b'_') {
                        return Err(IoError::Unsupported);
                    }
                    None
                }
                _ => return Err(IoError::Malformed),
            };
            match label {
                Some(L_BN) => {
                    let s = self.string(true)?;
                    Record::set(&mut rec.bn, s)?
                }
                Some(L_N) => {
                    let s = self.string(true)?;
                    Record::set(&mut rec.n, s)?
                }
                Some(L_BT) => {
                    let t = self.float()?;
                    Record::set(&mut rec.bt, t)?
                }
                Some(L_T) => {
                    let t = self.float()?;
                    Record::set(&mut rec.t, t)?
                }
                Some(L_V) => {
                    let n = self.number()?;
                    rec.set_value(RawValue::Num(n))?
                }
                Some(L_VS) | Some(L_VD) => {
                    let text = label == Some(L_VS);
                    if rec.value != RawValue::None {
                        return Err(IoError::Malformed);
                    }
                    let left = pairs.map(|n| n - i);
                    // The path is known once a name was given, or when the value is the
                    // last pair of its record.
                    let named = rec.n.is_some() || rec.bn.is_some() || left == Some(0);
                    let s = self.string(text).inspect_err(|e| {
                        if *e == IoError::Truncated && named {
                            self.cut = Some((rec, left));
                        }
                    })?;
                    rec.set_value(if text {
                        RawValue::Str(s)
                    } else {
                        RawValue::Data(s)
                    })?
                }
                Some(L_VB) => match self.r.item()? {
                    Item::Bool(b) => rec.set_value(RawValue::Bool(b))?,
                    _ => return Err(IoError::Malformed),
                },
                Some(L_BVER) if !seen_bver => {
                    seen_bver = true;
                    self.number()?;
                }
                Some(L_BVER) => return Err(IoError::Malformed),
                _ => {
                    // Unknown labels without the must-understand suffix are ignored.
                    let it = self.r.item()?;
                    if matches!(it, Item::Break) {
                        return Err(IoError::Malformed);
                    }
                    self.r.skip(it)?;
                }
            }
        }
        Ok(rec)
    }

    fn step(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError> {
        if let Some(left) = self.tail {
            self.record_tail(left)?;
            self.tail = None;
        }
        if !self.started {
            self.started = true;
            self.remaining = match self.r.item()? {
                Item::Array(n) => n,
                _ => return Err(IoError::Malformed),
            };
        }
        let end = match self.remaining {
            Some(0) => true,
            Some(_) => false,
            None if self.r.peek_break() => {
                self.r.item()?;
                true
            }
            None => false,
        };
        if end {
            if !self.r.at_end() {
                return Err(IoError::Malformed);
            }
            self.done = true;
            return Ok(None);
        }
        if let Some(n) = self.remaining.as_mut() {
            *n -= 1;
        }
        let rec = self.record()?;
        self.state.resolve(rec, expected).map(Some)
    }
}

impl<'a> Decoder<'a> for SenmlCborDecoder<'a> {
    fn next_entry(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError> {
        if self.failed {
            return Err(IoError::Malformed);
        }
        if self.done {
            // Resumed after the end of the pack: nothing may follow it.
            if !self.r.at_end() {
                self.failed = true;
                return Err(IoError::Malformed);
            }
            return Ok(None);
        }
        let r = self.step(expected);
        self.failed = r.is_err();
        if r.is_ok() {
            self.mark = (
                self.r.position(),
                SenmlCborState {
                    dec: self.state,
                    remaining: self.remaining,
                    started: self.started,
                    done: self.done,
                    tail: None,
                },
            );
        }
        r
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
    use ciborium::value::Value as CV;
    use std::vec::Vec;

    fn encode(base: &[u16], entries: &[Entry<'_>]) -> Result<Vec<u8>, IoError> {
        let mut buf = vec![0u8; 16384];
        let mut e = SenmlCborEncoder::new(Path::new(base), &mut buf);
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
            crate::io::format::Format::SenmlCbor,
            Path::new(base),
            data,
            t,
        );
        let mut d = SenmlCborDecoder::new(Path::new(base), data, scratch);
        let mut out = Vec::new();
        while let Some(e) = d.next_entry(t)? {
            out.push(e);
        }
        Ok(out)
    }

    fn all_types() -> Vec<Entry<'static>> {
        let e = |ids: &[u16], v| Entry::new(Path::new(ids), v);
        vec![
            e(&[3, 0, 0], Value::String("Open Mobile Alliance")),
            e(&[3, 0, 1], Value::String("")),
            e(&[3, 0, 2], Value::Bytes(b"\x00\xff")),
            e(&[3, 0, 3], Value::Int(-5)),
            e(&[3, 0, 4], Value::Int(i64::MIN)),
            e(&[3, 0, 5], Value::Uint(u64::MAX)),
            e(&[3, 0, 6, 0], Value::Double(1.5)),
            e(&[3, 0, 6, 1], Value::Double(0.1)),
            e(&[3, 0, 6, 2], Value::Double(100000.0)),
            e(&[3, 0, 7], Value::Bool(true)),
            e(&[3, 0, 8], Value::Objlnk { oid: 65534, iid: 3 }),
            e(&[3, 0, 9], Value::Time(1_700_000_000)),
            e(&[3, 0, 10], Value::Int(7)),
        ]
    }

    fn type_of(p: &Path) -> Option<DataType> {
        Some(match p.rid()? {
            0 | 1 => DataType::String,
            2 => DataType::Bytes,
            3 | 4 | 10 => DataType::Int,
            5 => DataType::Uint,
            6 => DataType::Double,
            7 => DataType::Bool,
            8 => DataType::Objlnk,
            _ => DataType::Time,
        })
    }

    #[test]
    fn read_resource_bytes() {
        // Read of /3/0/0: [{-2: "/3/0/0", 3: "Open Mobile Alliance"}].
        let out = encode(
            &[3, 0, 0],
            &[Entry::new(
                Path::new(&[3, 0, 0]),
                Value::String("Open Mobile Alliance"),
            )],
        );
        let mut want = vec![0x9f, 0xa2, 0x21, 0x66];
        want.extend_from_slice(b"/3/0/0");
        want.extend_from_slice(&[0x03, 0x74]);
        want.extend_from_slice(b"Open Mobile Alliance");
        want.push(0xff);
        assert_eq!(out.unwrap(), want);
        // Read of /3/0 with two resources: bn on the first record, n on both.
        let out = encode(
            &[3, 0],
            &[
                Entry::new(Path::new(&[3, 0, 9]), Value::Int(100)),
                Entry::new(Path::new(&[3, 0, 11, 0]), Value::Int(0)),
            ],
        );
        let want = b"\x9f\xa3\x21\x64/3/0\x00\x62/9\x02\x18\x64\xa2\x00\x65/11/0\x02\x00\xff";
        assert_eq!(out.unwrap(), want);
        assert_eq!(encode(&[3], &[]).unwrap(), b"\x9f\xff");
    }

    #[test]
    fn round_trip_and_ciborium() {
        let entries = all_types();
        let out = encode(&[3, 0], &entries).unwrap();
        let mut scratch = [0u8; 16];
        assert_eq!(
            decode_all(&[3, 0], &out, &mut scratch, &type_of).unwrap(),
            entries
        );
        // Independent decoder: same names and values.
        let v: CV = ciborium::de::from_reader(&out[..]).unwrap();
        let recs = v.as_array().unwrap();
        assert_eq!(recs.len(), entries.len());
        let mut bn = String::new();
        for (rec, e) in recs.iter().zip(&entries) {
            let mut name = None;
            let mut val = None;
            for (k, v) in rec.as_map().unwrap() {
                match k {
                    CV::Integer(i) if i128::from(*i) == -2 => bn = v.as_text().unwrap().to_string(),
                    CV::Integer(i) if i128::from(*i) == 0 => {
                        name = Some(v.as_text().unwrap().to_string())
                    }
                    _ => val = Some((k.clone(), v.clone())),
                }
            }
            assert_eq!(
                format!("{bn}{}", name.unwrap_or_default()),
                e.path.to_string()
            );
            let (k, v) = val.unwrap();
            match e.value {
                Value::String(s) => assert_eq!((k, v), (CV::Integer(3.into()), CV::Text(s.into()))),
                Value::Bytes(b) => assert_eq!((k, v), (CV::Integer(8.into()), CV::Bytes(b.into()))),
                Value::Int(i) => assert_eq!((k, v), (CV::Integer(2.into()), CV::Integer(i.into()))),
                Value::Uint(u) => {
                    assert_eq!((k, v), (CV::Integer(2.into()), CV::Integer(u.into())))
                }
                Value::Double(d) => assert_eq!((k, v), (CV::Integer(2.into()), CV::Float(d))),
                Value::Bool(b) => assert_eq!((k, v), (CV::Integer(4.into()), CV::Bool(b))),
                Value::Time(t) => {
                    assert_eq!(
                        (k, v),
                        (
                            CV::Integer(2.into()),
                            CV::Tag(1, Box::new(CV::Integer(t.into())))
                        )
                    )
                }
                Value::Objlnk { oid, iid } => {
                    assert_eq!(
                        (k, v),
                        (CV::Text("vlo".into()), CV::Text(format!("{oid}:{iid}")))
                    )
                }
                Value::Null => unreachable!(),
            }
        }
    }

    #[test]
    fn many_records_and_timestamps() {
        let mut entries: Vec<Entry<'static>> = (0..300u16)
            .map(|i| Entry::new(Path::new(&[1000, 0, i]), Value::Int(i64::from(i))))
            .collect();
        entries[1].timestamp = Some(1.7e9);
        entries[2].timestamp = Some(1.7e9);
        entries[3].timestamp = Some(1.7e9 + 0.5);
        let out = encode(&[], &entries).unwrap();
        assert_eq!((out[0], out[out.len() - 1]), (0x9f, 0xff));
        let got = decode_all(&[], &out, &mut [], &|_| Some(DataType::Int)).unwrap();
        assert_eq!(got.len(), 300);
        assert_eq!(got[0].timestamp, None);
        assert_eq!(got[2].timestamp, Some(1.7e9));
        assert_eq!(got[3].timestamp, Some(1.7e9 + 0.5));
        assert_eq!(got[299].path, Path::new(&[1000, 0, 299]));
        // A full buffer fails cleanly.
        let mut small = [0u8; 40];
        let mut e = SenmlCborEncoder::new(Path::ROOT, &mut small);
        let mut res = Ok(());
        for en in &entries {
            res = e.entry(en);
            if res.is_err() {
                break;
            }
        }
        assert_eq!(res, Err(IoError::BufferTooSmall));
    }

    #[test]
    fn definite_pack_with_times() {
        // What a Send of two timestamped records gives (Anjay Lite's layout): a
        // definite array, bn on the first record, bt only where the time changes.
        let mut entries = vec![
            Entry::new(Path::new(&[3, 0, 9]), Value::Int(42)),
            Entry::new(Path::new(&[3, 0, 17]), Value::String("x")),
            Entry::new(Path::new(&[3, 0, 9]), Value::Int(43)),
        ];
        entries[0].timestamp = Some(1705597224.0);
        entries[1].timestamp = Some(1705597224.0);
        entries[2].timestamp = Some(-2.5);
        let mut buf = [0u8; 128];
        let mut e = SenmlCborEncoder::with_count(Path::new(&[3, 0]), 3, SliceWriter::new(&mut buf));
        for en in &entries {
            e.entry(en).unwrap();
        }
        let n = e.finish().unwrap();
        let want: &[u8] =
            b"\x83\xa4\x21\x64/3/0\x00\x62/9\x22\xfb\x41\xd9\x6a\x56\x4a\x00\x00\x00\x02\x18\x2a\
                           \xa2\x00\x63/17\x03\x61x\
                           \xa3\x00\x62/9\x22\xfa\xc0\x20\x00\x00\x02\x18\x2b";
        assert_eq!(&buf[..n], want);
        let got = decode_all(&[3, 0], &buf[..n], &mut [], &|p| {
            Some(if p.rid() == Some(17) {
                DataType::String
            } else {
                DataType::Int
            })
        })
        .unwrap();
        assert_eq!(got, entries);
        // Every window of it is exact.
        for skip in 0..n {
            let mut win = [0u8; 5];
            let mut e = SenmlCborEncoder::with_count(
                Path::new(&[3, 0]),
                3,
                SliceWriter::window(&mut win, skip),
            );
            for en in &entries {
                e.entry(en).unwrap();
            }
            assert_eq!(e.finish(), Ok(n));
            let k = (n - skip).min(5);
            assert_eq!(&win[..k], &buf[skip..skip + k]);
        }
        // The count announced must be the count written.
        let mut e = SenmlCborEncoder::with_count(Path::ROOT, 2, SliceWriter::new(&mut buf));
        e.entry(&entries[0]).unwrap();
        assert_eq!(e.finish(), Err(IoError::Logic));
        let mut e = SenmlCborEncoder::with_count(Path::ROOT, 1, SliceWriter::new(&mut buf));
        e.entry(&entries[0]).unwrap();
        assert_eq!(e.entry(&entries[1]), Err(IoError::Logic));
        // A record that does not fit leaves nothing behind and does not count.
        let mut small = [0u8; 12];
        let mut e = SenmlCborEncoder::with_count(Path::ROOT, 1, SliceWriter::new(&mut small));
        assert_eq!(e.entry(&entries[0]), Err(IoError::BufferTooSmall));
        assert_eq!(e.finish(), Err(IoError::Logic));
    }

    #[test]
    fn decodes_indefinite_half_and_relative_names() {
        // [_ {_ -2: "/3/0/", 0: (_ "1", "1"), 2: half 1.5, 6: 10}, {0: "2", 4: false}]
        let data = b"\x9f\xbf\x21\x65/3/0/\x00\x7f\x61\x31\x61\x31\xff\x02\xf9\x3e\x00\x06\x0a\xff\xa2\x00\x612\x04\xf4\xff";
        let mut scratch = [0u8; 8];
        let got = decode_all(&[3], data, &mut scratch, &|p| {
            if p.rid() == Some(11) {
                Some(DataType::Double)
            } else {
                Some(DataType::Bool)
            }
        })
        .unwrap();
        assert_eq!(
            got,
            vec![
                Entry {
                    path: Path::new(&[3, 0, 11]),
                    value: Value::Double(1.5),
                    timestamp: Some(10.0)
                },
                Entry::new(Path::new(&[3, 0, 2]), Value::Bool(false)),
            ]
        );
    }

    #[test]
    fn typing_of_v() {
        let one = |v: &[u8], t: Option<DataType>| {
            let mut data = b"\x81\xa2\x00\x66/1/0/0\x02".to_vec();
            data.extend_from_slice(v);
            let d = decode_all(&[], &data, &mut [], &|_| t).map(|v| v[0].value);
            d.map(|v| format!("{v:?}"))
        };
        assert_eq!(one(b"\xf9\x3c\x00", Some(DataType::Int)).unwrap(), "Int(1)");
        assert_eq!(
            one(b"\xf9\x3e\x00", Some(DataType::Int)),
            Err(IoError::TypeMismatch)
        );
        assert_eq!(
            one(b"\x20", Some(DataType::Uint)),
            Err(IoError::TypeMismatch)
        );
        assert_eq!(
            one(b"\x20", Some(DataType::Double)).unwrap(),
            "Double(-1.0)"
        );
        assert_eq!(
            one(b"\x1b\xff\xff\xff\xff\xff\xff\xff\xff", Some(DataType::Int)),
            Err(IoError::TypeMismatch)
        );
        assert_eq!(
            one(b"\x1b\xff\xff\xff\xff\xff\xff\xff\xff", None).unwrap(),
            "Uint(18446744073709551615)"
        );
        assert_eq!(
            one(b"\x05", Some(DataType::String)),
            Err(IoError::TypeMismatch)
        );
        assert_eq!(one(b"\xc1\x05", Some(DataType::Time)).unwrap(), "Time(5)");
        assert_eq!(one(b"\x05", None).unwrap(), "Int(5)");
    }

    #[test]
    fn rejects_malformed() {
        let cases: &[&[u8]] = &[
            b"",
            b"\xa0",                                   // not an array
            b"\x81",                                   // truncated
            b"\x81\x01",                               // record not a map
            b"\x81\xa1\x00\x63/1/",                    // bad name
            b"\x81\xa1\x00\x62/a",                     // bad name
            b"\x81\xa1\x00\x01",                       // name not text
            b"\x81\xa2\x00\x62/1\x00\x62/1",           // duplicate n
            b"\x81\xa3\x00\x64/1/0\x02\x01\x03\x61x",  // two values
            b"\x81\xa2\x00\x66/1/0/0\x04\x01",         // vb not bool
            b"\x81\xa2\x00\x66/1/0/0\x63vlo\x63x:1",   // bad objlnk
            b"\x81\xa2\x00\x66/1/0/0\x64foo_\x01",     // must-understand label
            b"\x81\xa1\x00\x66/1/0/0\x00",             // trailing bytes
            b"\x9f\xa1\x00\x66/1/0/0",                 // missing break
            b"\x81\xa2\x00\x66/1/0/0\x02\xc2\x41\x01", // bignum tag
            b"\x81\xa2\x21\x6a/1/0/0/0/0\x00\x62/1",   // path too deep
        ];
        for bad in cases {
            assert!(
                decode_all(&[], bad, &mut [], &|_| Some(DataType::Int)).is_err(),
                "{bad:x?}"
            );
        }
        // Outside the request path.
        assert_eq!(
            decode_all(&[2], b"\x81\xa1\x00\x62/1", &mut [], &|_| None),
            Err(IoError::BadPath)
        );
    }

    #[test]
    fn mutations_never_panic() {
        let base = encode(&[3, 0], &all_types()).unwrap();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut scratch = [0u8; 64];
        for round in 0..20000u32 {
            let mut data = base.clone();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() as usize) % data.len();
                data[i] = next() as u8;
            }
            data.truncate((next() as usize) % (data.len() + 1));
            let t = if round % 2 == 0 {
                Some(DataType::Int)
            } else {
                None
            };
            if round % 256 == 0 {
                // Piece-by-piece decoding is checked on some of the mutants (it is slow).
                let _ = decode_all(&[3], &data, &mut scratch, &move |_| t);
                let _ = decode_all(&[3, 0], &data, &mut scratch, &type_of);
            } else {
                for (base, ty) in [
                    (&[3u16][..], &(move |_: &Path| t) as TypeOf<'_>),
                    (&[3, 0], &type_of),
                ] {
                    let mut d = SenmlCborDecoder::new(Path::new(base), &data, &mut scratch);
                    while let Ok(Some(_)) = d.next_entry(ty) {}
                }
            }
        }
    }
}
