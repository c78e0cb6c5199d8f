//! SenML JSON (content format 110): RFC 8428 §5 with LwM2M TS Core §7.4.5 conventions.
//!
//! Records have the same fields and the same base name / name layout as SenML CBOR (see
//! [`super::senml_cbor`]): `bn`, `n`, `bt`, `v`, `vs`, `vb`, `vd` and `vlo`. Strings are
//! escaped per RFC 8259 §7, floats are the shortest text that round-trips (non-finite
//! floats have no JSON form: [`IoError::Unsupported`]), and Opaque values are base64url
//! without padding (RFC 8428 §5, "vd").
//!
//! Decoding borrows strings from the payload unless they contain escapes; escaped strings
//! and `vd` (base64url, or standard base64, padding optional) are decoded into the
//! caller's scratch buffer. Numbers in `v` are typed by the expected type exactly as in
//! SenML CBOR. Unknown fields are skipped (nesting up to [`super::cbor::MAX_DEPTH`])
//! unless they end in `_` (RFC 8428 §4.4).

use super::cbor::MAX_DEPTH;
use super::senml_cbor::{Num, RawValue, Record, SenmlDecState, SenmlEncState, VLO};
#[cfg(feature = "external-data")]
use super::text::base64_encode_streamed;
use super::text::{base64_decode, base64_encode};
#[cfg(feature = "external-data")]
use super::value::{stream_pass, DataType, Source};
use super::value::{
    write_f64, CutValue, Decoder, Encoder, Entry, IoError, Path, Scratch, SliceWriter, TypeOf,
    Value,
};

/// Writes `s` as a JSON string literal.
fn json_string(w: &mut SliceWriter<'_>, s: &[u8]) -> Result<(), IoError> {
    w.push_byte(b'"')?;
    json_escape(w, s)?;
    w.push_byte(b'"')
}

/// Writes `s` escaped for a JSON string (RFC 8259 §7); byte by byte, so a string can be
/// escaped in pieces.
fn json_escape(w: &mut SliceWriter<'_>, s: &[u8]) -> Result<(), IoError> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &c in s {
        match c {
            b'"' => w.push(b"\\\"")?,
            b'\\' => w.push(b"\\\\")?,
            b'\n' => w.push(b"\\n")?,
            b'\r' => w.push(b"\\r")?,
            b'\t' => w.push(b"\\t")?,
            0x08 => w.push(b"\\b")?,
            0x0C => w.push(b"\\f")?,
            0..=0x1F => w.push(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 15)],
            ])?,
            _ => w.push_byte(c)?,
        }
    }
    Ok(())
}

/// Encoder of SenML JSON; see the module docs.
pub struct SenmlJsonEncoder<'b> {
    w: SliceWriter<'b>,
    state: SenmlEncState,
    count: usize,
}

impl<'b> SenmlJsonEncoder<'b> {
    pub fn new(base: Path, out: &'b mut [u8]) -> Self {
        Self::with_writer(base, SliceWriter::new(out))
    }

    pub fn with_writer(base: Path, w: SliceWriter<'b>) -> Self {
        SenmlJsonEncoder {
            w,
            state: SenmlEncState::new(base),
            count: 0,
        }
    }

    fn record(
        &mut self,
        e: &Entry<'_>,
        #[cfg(feature = "external-data")] streamed: Option<(DataType, &mut Source<'_>)>,
    ) -> Result<(), IoError> {
        let plan = self.state.plan(e)?;
        let w = &mut self.w;
        w.push(if self.count == 0 { b"[{" } else { b",{" })?;
        let mut sep = false;
        let mut key = |w: &mut SliceWriter<'_>, k: &[u8]| -> Result<(), IoError> {
            if sep {
                w.push_byte(b',')?;
            }
            sep = true;
            json_string(w, k)?;
            w.push_byte(b':')
        };
        let mut buf = [0u8; super::senml_cbor::MAX_NAME];
        if let Some(p) = &plan.bn {
            key(w, b"bn")?;
            json_string(w, super::senml_cbor::name_text(p, &mut buf)?)?;
        }
        if let Some(p) = &plan.n {
            key(w, b"n")?;
            json_string(w, super::senml_cbor::name_text(p, &mut buf)?)?;
        }
        if let Some(t) = plan.bt {
            if !t.is_finite() {
                return Err(IoError::Unsupported);
            }
            key(w, b"bt")?;
            write_f64(w, t)?;
        }
        #[cfg(feature = "external-data")]
        if let Some((ty, src)) = streamed {
            match ty {
                DataType::Bytes => {
                    key(w, b"vd")?;
                    w.push_byte(b'"')?;
                    base64_encode_streamed(w, src, true, false)?;
                }
                DataType::String => {
                    key(w, b"vs")?;
                    w.push_byte(b'"')?;
                    stream_pass(src, &mut |c| json_escape(w, c).map(|_| true))?;
                }
                _ => return Err(IoError::Unsupported),
            }
            w.push_byte(b'"')?;
            return w.push_byte(b'}');
        }
        match e.value {
            Value::Null => {}
            Value::Bytes(b) => {
                key(w, b"vd")?;
                w.push_byte(b'"')?;
                base64_encode(w, b, true, false)?;
                w.push_byte(b'"')?;
            }
            Value::String(s) => {
                key(w, b"vs")?;
                json_string(w, s.as_bytes())?;
            }
            Value::Int(i) | Value::Time(i) => {
                key(w, b"v")?;
                w.push_i64(i)?;
            }
            Value::Uint(u) => {
                key(w, b"v")?;
                w.push_u64(u)?;
            }
            Value::Double(d) => {
                if !d.is_finite() {
                    return Err(IoError::Unsupported);
                }
                key(w, b"v")?;
                write_f64(w, d)?;
            }
            Value::Bool(b) => {
                key(w, b"vb")?;
                w.push(if b { b"true" } else { b"false" })?;
            }
            Value::Objlnk { oid, iid } => {
                key(w, VLO)?;
                w.push_byte(b'"')?;
                w.push_u64(u64::from(oid))?;
                w.push_byte(b':')?;
                w.push_u64(u64::from(iid))?;
                w.push_byte(b'"')?;
            }
        }
        w.push_byte(b'}')
    }
}

impl SenmlJsonEncoder<'_> {
    /// Writes the record, or nothing at all.
    fn whole_record(
        &mut self,
        e: &Entry<'_>,
        #[cfg(feature = "external-data")] streamed: Option<(DataType, &mut Source<'_>)>,
    ) -> Result<(), IoError> {
        let start = self.w.pos;
        let saved = self.state;
        let r = self.record(
            e,
            #[cfg(feature = "external-data")]
            streamed,
        );
        if r.is_err() {
            self.w.pos = start;
            self.state = saved;
        } else {
            self.count += 1;
        }
        r
    }
}

impl Encoder for SenmlJsonEncoder<'_> {
    fn entry(&mut self, e: &Entry<'_>) -> Result<(), IoError> {
        self.whole_record(
            e,
            #[cfg(feature = "external-data")]
            None,
        )
    }

    /// `vd` base64url or `vs` escaped, as the chunks come (one pass).
    #[cfg(feature = "external-data")]
    fn streamed(&mut self, path: &Path, ty: DataType, src: &mut Source<'_>) -> Result<(), IoError> {
        // Any non-Null value stands for the streamed one in the record plan.
        self.whole_record(&Entry::new(*path, Value::Bool(false)), Some((ty, src)))
    }

    fn finish(mut self) -> Result<usize, IoError> {
        self.w.push(if self.count == 0 { b"[]" } else { b"]" })?;
        Ok(self.w.pos)
    }
}

/// Decoder of SenML JSON; see the module docs.
pub struct SenmlJsonDecoder<'a> {
    data: &'a [u8],
    pos: usize,
    scratch: Scratch<'a>,
    state: SenmlDecState,
    started: bool,
    done: bool,
    failed: bool,
    /// `data` is the last (or only) piece of the payload.
    last: bool,
    /// The state after the last complete record (see [`SenmlJsonDecoder::checkpoint`]).
    mark: (usize, SenmlJsonState),
    /// The `vd` value whose text the end of the piece cut (see
    /// [`SenmlJsonDecoder::cut_value`]).
    cut: Option<(CutValue, SenmlJsonState)>,
    /// The rest of a record whose value was handed over in chunks comes first.
    tail: bool,
}

/// Where a [`SenmlJsonDecoder`] stands between two pieces of a payload: base name and
/// base time, and whether the records array was opened (a record read) or closed.
#[derive(Clone, Copy, Debug)]
pub struct SenmlJsonState {
    dec: SenmlDecState,
    started: bool,
    done: bool,
    /// Inside a record, after its `vd` value was handed over in chunks.
    tail: bool,
}

enum Key {
    Bn,
    Bt,
    N,
    T,
    V,
    Vs,
    Vb,
    Vd,
    Vlo,
    Bver,
    Other,
}

impl<'a> SenmlJsonDecoder<'a> {
    /// `base` is the request path (entries must lie under it); `scratch` receives escaped
    /// strings and decoded `vd` values.
    pub fn new(base: Path, data: &'a [u8], scratch: &'a mut [u8]) -> Self {
        Self::resume(Self::initial(base), data, scratch, true)
    }

    /// The state at the start of a payload sent to `base`.
    pub fn initial(base: Path) -> SenmlJsonState {
        SenmlJsonState {
            dec: SenmlDecState::new(base),
            started: false,
            done: false,
            tail: false,
        }
    }

    /// A decoder of one piece of a payload, from `state` (see
    /// [`SenmlJsonDecoder::checkpoint`]). Unless `last`, a record cut by the end of `data`
    /// is [`IoError::Truncated`].
    pub fn resume(
        state: SenmlJsonState,
        data: &'a [u8],
        scratch: &'a mut [u8],
        last: bool,
    ) -> Self {
        SenmlJsonDecoder {
            data,
            pos: 0,
            scratch: Scratch::new(scratch),
            state: state.dec,
            started: state.started,
            done: state.done,
            failed: false,
            last,
            mark: (0, state),
            cut: None,
            tail: state.tail,
        }
    }

    /// After [`IoError::Truncated`]: the `vd` value whose base64 text the end of the
    /// piece cut, if its record named its path before it (its length is known at its
    /// closing quote), and the state to resume from right after that quote (the rest of
    /// its record comes then; a name, base name or another value there is malformed).
    pub fn cut_value(&self) -> Option<(CutValue, SenmlJsonState)> {
        self.cut
    }

    /// Looks for a cut `vd` value in the record that starts at the current position.
    fn note_cut(&mut self) {
        let at = self.pos;
        if let Ok(Some(c)) = self.cut_record() {
            self.cut = Some(c);
        }
        self.pos = at;
    }

    fn cut_record(&mut self) -> Result<Option<(CutValue, SenmlJsonState)>, IoError> {
        self.expect(b'{')?;
        let mut rec = Record::EMPTY;
        loop {
            let k = self.string()?;
            self.expect(b':')?;
            match k {
                b"bn" => {
                    let s = self.string()?;
                    Record::set(&mut rec.bn, s)?
                }
                b"n" => {
                    let s = self.string()?;
                    Record::set(&mut rec.n, s)?
                }
                b"bt" => {
                    let t = self.number()?.as_f64();
                    Record::set(&mut rec.bt, t)?
                }
                b"vd" if rec.n.is_some() || rec.bn.is_some() => {
                    self.expect(b'"')?;
                    let start = self.pos;
                    if self.data.get(start..).map_or(true, |r| r.contains(&b'"')) {
                        // The value ends in this piece: the record is cut later.
                        return Ok(None);
                    }
                    let mut dec = self.state;
                    dec.take_bases(&rec)?;
                    let path = dec.path_of(&rec)?;
                    let cut = CutValue {
                        path,
                        text: false,
                        start,
                        len: 0,
                        base64: true,
                    };
                    let after = SenmlJsonState {
                        dec,
                        started: self.started,
                        done: false,
                        tail: true,
                    };
                    return Ok(Some((cut, after)));
                }
                b"v" | b"vs" | b"vb" | b"vd" | b"vlo" => return Ok(None),
                _ => self.skip_value(0)?,
            }
            if self.eat(b'}') {
                return Ok(None);
            }
            self.expect(b',')?;
        }
    }

    /// The rest of a record whose value was handed over in chunks: only fields that do
    /// not change its path or value may follow.
    fn record_tail(&mut self) -> Result<(), IoError> {
        self.scan(1)?;
        loop {
            if self.eat(b'}') {
                return Ok(());
            }
            self.expect(b',')?;
            let k = self.string()?;
            self.expect(b':')?;
            match k {
                b"bt" => {
                    let bt = self.number()?.as_f64();
                    self.state.take_bases(&Record {
                        bt: Some(bt),
                        ..Record::EMPTY
                    })?;
                }
                b"t" | b"bver" => {
                    self.number()?;
                }
                b"bn" | b"n" | b"v" | b"vs" | b"vb" | b"vd" | b"vlo" => {
                    return Err(IoError::Malformed)
                }
                _ if k.last() == Some(&b'_') => return Err(IoError::Unsupported),
                _ => self.skip_value(0)?,
            }
        }
    }

    /// The offset in `data` of the first byte not consumed (after the last record
    /// returned, or the end of the array), and the state to resume from there.
    pub fn checkpoint(&self) -> (usize, SenmlJsonState) {
        self.mark
    }

    /// Skips whitespace; a piece that is not the last one must go on after it.
    fn more(&mut self) -> Result<(), IoError> {
        self.ws();
        if !self.last && self.pos >= self.data.len() {
            return Err(IoError::Truncated);
        }
        Ok(())
    }

    /// In a piece that is not the last one: whether the JSON object or array starting at
    /// the current position ends in this piece ([`IoError::Truncated`] if not). Strings
    /// are skipped as the parser reads them; anything not a container is left to it.
    fn complete(&self) -> Result<(), IoError> {
        if !matches!(self.peek(), Some(b'{' | b'[')) {
            return Ok(());
        }
        self.scan(0)
    }

    /// [`SenmlJsonDecoder::complete`] from inside `depth` open containers.
    fn scan(&self, depth: usize) -> Result<(), IoError> {
        if self.last {
            return Ok(());
        }
        let mut depth = depth;
        let mut i = self.pos;
        while let Some(&c) = self.data.get(i) {
            match c {
                b'"' => {
                    i += 1;
                    loop {
                        match self.data.get(i) {
                            None => return Err(IoError::Truncated),
                            Some(b'"') => break,
                            Some(b'\\') => i += 2,
                            Some(_) => i += 1,
                        }
                    }
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
            i += 1;
        }
        Err(IoError::Truncated)
    }

    fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Result<(), IoError> {
        self.ws();
        if self.peek() != Some(c) {
            return Err(IoError::Malformed);
        }
        self.pos += 1;
        Ok(())
    }

    /// After optional whitespace: consumes `c` if it is next.
    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn hex4(&mut self) -> Result<u32, IoError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let c = self.peek().ok_or(IoError::Malformed)?;
            let d = char::from(c).to_digit(16).ok_or(IoError::Malformed)?;
            v = (v << 4) | d;
            self.pos += 1;
        }
        Ok(v)
    }

    /// A JSON string (RFC 8259 §7); borrowed if it has no escapes.
    fn string(&mut self) -> Result<&'a [u8], IoError> {
        self.expect(b'"')?;
        let start = self.pos;
        let mut escaped = false;
        loop {
            match self.peek().ok_or(IoError::Malformed)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.pos += 2;
                }
                0..=0x1F => return Err(IoError::Malformed),
                _ => self.pos += 1,
            }
        }
        let raw = self.data.get(start..self.pos).ok_or(IoError::Malformed)?;
        self.pos += 1;
        if core::str::from_utf8(raw).is_err() {
            return Err(IoError::Malformed);
        }
        if !escaped {
            return Ok(raw);
        }
        // Re-parse with unescaping into the scratch buffer.
        let end = self.pos;
        self.pos = start;
        let mut scratch = core::mem::replace(&mut self.scratch, Scratch::new(&mut []));
        let r = scratch.take_with(|buf| {
            let mut w = SliceWriter::new(buf);
            while self.pos < end.saturating_sub(1) {
                let c = self.peek().ok_or(IoError::Malformed)?;
                self.pos += 1;
                if c != b'\\' {
                    w.push_byte(c)?;
                    continue;
                }
                let e = self.peek().ok_or(IoError::Malformed)?;
                self.pos += 1;
                let simple = match e {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b'f' => 0x0C,
                    b'n' => b'\n',
                    b'r' => b'\r',
                    b't' => b'\t',
                    b'u' => 0,
                    _ => return Err(IoError::Malformed),
                };
                if e != b'u' {
                    w.push_byte(simple)?;
                    continue;
                }
                let mut cp = self.hex4()?;
                if (0xD800..0xDC00).contains(&cp) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    if self.data.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return Err(IoError::Malformed);
                    }
                    self.pos += 2;
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(IoError::Malformed);
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                let ch = char::from_u32(cp).ok_or(IoError::Malformed)?;
                let mut tmp = [0u8; 4];
                w.push(ch.encode_utf8(&mut tmp).as_bytes())?;
            }
            Ok(w.pos)
        });
        self.scratch = scratch;
        self.pos = end;
        r
    }

    /// A JSON number (RFC 8259 §6), kept exact for integers.
    fn number(&mut self) -> Result<Num, IoError> {
        self.ws();
        let start = self.pos;
        let digits = |s: &mut Self| {
            let b = s.pos;
            while s.peek().is_some_and(|c| c.is_ascii_digit()) {
                s.pos += 1;
            }
            s.pos - b
        };
        let neg = self.peek() == Some(b'-');
        if neg {
            self.pos += 1;
        }
        let int_start = self.pos;
        let n = digits(self);
        if n == 0 || (n > 1 && self.data.get(int_start) == Some(&b'0')) {
            return Err(IoError::Malformed);
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            float = true;
            if digits(self) == 0 {
                return Err(IoError::Malformed);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            float = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(IoError::Malformed);
            }
        }
        let text = self.data.get(start..self.pos).ok_or(IoError::Malformed)?;
        let text = core::str::from_utf8(text).map_err(|_| IoError::Malformed)?;
        if !float {
            let mag = text
                .get(usize::from(neg)..)
                .and_then(|m| m.parse::<u64>().ok());
            match (neg, mag) {
                (false, Some(m)) => return Ok(Num::U(m)),
                (true, Some(0)) => return Ok(Num::F(-0.0)),
                (true, Some(m)) => return Ok(Num::N(m - 1)),
                _ => {}
            }
        }
        super::decimal::parse(text.as_bytes())
            .map(Num::F)
            .ok_or(IoError::Malformed)
    }

    fn skip_value(&mut self, depth: usize) -> Result<(), IoError> {
        if depth >= MAX_DEPTH {
            return Err(IoError::Unsupported);
        }
        self.ws();
        match self.peek().ok_or(IoError::Malformed)? {
            b'"' => self.string().map(|_| ()),
            b'[' | b'{' => {
                let obj = self.peek() == Some(b'{');
                let close = if obj { b'}' } else { b']' };
                self.pos += 1;
                if self.eat(close) {
                    return Ok(());
                }
                loop {
                    if obj {
                        self.string()?;
                        self.expect(b':')?;
                    }
                    self.skip_value(depth + 1)?;
                    if self.eat(close) {
                        return Ok(());
                    }
                    self.expect(b',')?;
                }
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number().map(|_| ()),
        }
    }

    fn literal(&mut self, lit: &[u8]) -> Result<(), IoError> {
        self.ws();
        if self
            .data
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(lit))
        {
            self.pos += lit.len();
            Ok(())
        } else {
            Err(IoError::Malformed)
        }
    }

    fn boolean(&mut self) -> Result<bool, IoError> {
        self.ws();
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|_| true),
            Some(b'f') => self.literal(b"false").map(|_| false),
            _ => Err(IoError::Malformed),
        }
    }

    fn base64(&mut self) -> Result<&'a [u8], IoError> {
        let s = self.string()?;
        self.scratch
            .take_with(|buf| base64_decode(s, buf, true))
            .or_else(|_| self.scratch.take_with(|buf| base64_decode(s, buf, false)))
    }

    fn record(&mut self) -> Result<Record<'a>, IoError> {
        self.expect(b'{')?;
        let mut rec = Record::EMPTY;
        if self.eat(b'}') {
            return Ok(rec);
        }
        let mut seen_bver = false;
        loop {
            let k = self.string()?;
            self.expect(b':')?;
            let key = match k {
                b"bn" => Key::Bn,
                b"bt" => Key::Bt,
                b"n" => Key::N,
                b"t" => Key::T,
                b"v" => Key::V,
                b"vs" => Key::Vs,
                b"vb" => Key::Vb,
                b"vd" => Key::Vd,
                b"vlo" => Key::Vlo,
                b"bver" => Key::Bver,
                _ if k.last() == Some(&b'_') => return Err(IoError::Unsupported),
                _ => Key::Other,
            };
            match key {
                Key::Bn => {
                    let s = self.string()?;
                    Record::set(&mut rec.bn, s)?
                }
                Key::N => {
                    let s = self.string()?;
                    Record::set(&mut rec.n, s)?
                }
                Key::Bt => {
                    let t = self.number()?.as_f64();
                    Record::set(&mut rec.bt, t)?
                }
                Key::T => {
                    let t = self.number()?.as_f64();
                    Record::set(&mut rec.t, t)?
                }
                Key::V => {
                    let n = self.number()?;
                    rec.set_value(RawValue::Num(n))?
                }
                Key::Vs => {
                    let s = self.string()?;
                    rec.set_value(RawValue::Str(s))?
                }
                Key::Vb => {
                    let b = self.boolean()?;
                    rec.set_value(RawValue::Bool(b))?
                }
                Key::Vd => {
                    let d = self.base64()?;
                    rec.set_value(RawValue::Data(d))?
                }
                Key::Vlo => {
                    let s = self.string()?;
                    rec.set_value(RawValue::Objlnk(s))?
                }
                Key::Bver if !seen_bver => {
                    seen_bver = true;
                    self.number()?;
                }
                Key::Bver => return Err(IoError::Malformed),
                Key::Other => self.skip_value(0)?,
            }
            if self.eat(b'}') {
                return Ok(rec);
            }
            self.expect(b',')?;
        }
    }

    fn step(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError> {
        if self.tail {
            self.record_tail()?;
            self.tail = false;
        }
        let end = if !self.started {
            self.started = true;
            self.more()?;
            self.expect(b'[')?;
            self.more()?;
            self.eat(b']')
        } else {
            self.more()?;
            if self.eat(b']') {
                true
            } else {
                self.expect(b',')?;
                false
            }
        };
        if end {
            self.ws();
            if self.pos != self.data.len() {
                return Err(IoError::Malformed);
            }
            self.done = true;
            return Ok(None);
        }
        self.more()?;
        if let Err(e) = self.complete() {
            self.note_cut();
            return Err(e);
        }
        let rec = self.record()?;
        self.state.resolve(rec, expected).map(Some)
    }
}

impl<'a> Decoder<'a> for SenmlJsonDecoder<'a> {
    fn next_entry(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError> {
        if self.failed {
            return Err(IoError::Malformed);
        }
        if self.done {
            // Resumed after the end of the pack: only whitespace may follow it.
            self.ws();
            if self.pos != self.data.len() {
                self.failed = true;
                return Err(IoError::Malformed);
            }
            self.mark.0 = self.pos;
            return Ok(None);
        }
        let r = self.step(expected);
        self.failed = r.is_err();
        if r.is_ok() {
            self.mark = (
                self.pos,
                SenmlJsonState {
                    dec: self.state,
                    started: self.started,
                    done: self.done,
                    tail: false,
                },
            );
        }
        r
    }
}

#[cfg(all(test, feature = "senml-json"))]
mod tests {
    use super::*;
    use crate::io::value::DataType;
    use std::vec::Vec;

    fn encode(base: &[u16], entries: &[Entry<'_>]) -> Result<String, IoError> {
        let mut buf = vec![0u8; 16384];
        let mut e = SenmlJsonEncoder::new(Path::new(base), &mut buf);
        for en in entries {
            e.entry(en)?;
        }
        let n = e.finish()?;
        buf.truncate(n);
        Ok(String::from_utf8(buf).unwrap())
    }

    fn decode_all<'a>(
        base: &[u16],
        data: &'a [u8],
        scratch: &'a mut [u8],
        t: TypeOf<'_>,
    ) -> Result<Vec<Entry<'a>>, IoError> {
        crate::io::format::check_resumable(
            crate::io::format::Format::SenmlJson,
            Path::new(base),
            data,
            t,
        );
        let mut d = SenmlJsonDecoder::new(Path::new(base), data, scratch);
        let mut out = Vec::new();
        while let Some(e) = d.next_entry(t)? {
            out.push(e);
        }
        Ok(out)
    }

    fn all_types() -> Vec<Entry<'static>> {
        let e = |ids: &[u16], v| Entry::new(Path::new(ids), v);
        vec![
            e(
                &[3, 0, 0],
                Value::String("Open \"Mobile\"\\ Alliance\n\u{1}ż😀"),
            ),
            e(&[3, 0, 1], Value::String("")),
            e(&[3, 0, 2], Value::Bytes(b"\x00\xff\xfe\x01")),
            e(&[3, 0, 3], Value::Int(-5)),
            e(&[3, 0, 4], Value::Int(i64::MIN)),
            e(&[3, 0, 5], Value::Uint(u64::MAX)),
            e(&[3, 0, 6, 0], Value::Double(1.5)),
            e(&[3, 0, 6, 1], Value::Double(0.1)),
            e(&[3, 0, 6, 2], Value::Double(-1e300)),
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
    fn encodes_reads() {
        let e = |ids: &[u16], v| Entry::new(Path::new(ids), v);
        assert_eq!(
            encode(
                &[3, 0, 0],
                &[e(&[3, 0, 0], Value::String("Open Mobile Alliance"))]
            )
            .unwrap(),
            r#"[{"bn":"/3/0/0","vs":"Open Mobile Alliance"}]"#
        );
        let mut t = e(&[3, 0, 13], Value::Time(1_367_491_215));
        t.timestamp = Some(25.5);
        assert_eq!(
            encode(
                &[3, 0],
                &[
                    e(&[3, 0, 9], Value::Int(100)),
                    e(&[3, 0, 11, 0], Value::Int(0)),
                    t
                ]
            )
            .unwrap(),
            r#"[{"bn":"/3/0","n":"/9","v":100},{"n":"/11/0","v":0},{"n":"/13","bt":25.5,"v":1367491215}]"#
        );
        assert_eq!(encode(&[3], &[]).unwrap(), "[]");
        assert_eq!(
            encode(&[3], &[e(&[3, 0, 1], Value::Double(f64::NAN))]),
            Err(IoError::Unsupported)
        );
    }

    #[test]
    fn round_trip_and_serde_json() {
        let entries = all_types();
        let out = encode(&[3, 0], &entries).unwrap();
        let mut scratch = [0u8; 128];
        assert_eq!(
            decode_all(&[3, 0], out.as_bytes(), &mut scratch, &type_of).unwrap(),
            entries
        );
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let recs = v.as_array().unwrap();
        assert_eq!(recs.len(), entries.len());
        let bn = recs[0]["bn"].as_str().unwrap();
        for (r, e) in recs.iter().zip(&entries) {
            assert_eq!(
                format!("{bn}{}", r["n"].as_str().unwrap()),
                e.path.to_string()
            );
            match e.value {
                Value::String(s) => assert_eq!(r["vs"].as_str().unwrap(), s),
                Value::Bytes(b) => {
                    let s = r["vd"].as_str().unwrap();
                    assert!(!s.contains('=') && !s.contains('+') && !s.contains('/'));
                    let mut buf = [0u8; 16];
                    let n = base64_decode(s.as_bytes(), &mut buf, true).unwrap();
                    assert_eq!(&buf[..n], b);
                }
                Value::Int(i) | Value::Time(i) => assert_eq!(r["v"].as_i64().unwrap(), i),
                Value::Uint(u) => assert_eq!(r["v"].as_u64().unwrap(), u),
                Value::Double(d) => assert_eq!(r["v"].as_f64().unwrap(), d),
                Value::Bool(b) => assert_eq!(r["vb"].as_bool().unwrap(), b),
                Value::Objlnk { oid, iid } => {
                    assert_eq!(r["vlo"].as_str().unwrap(), format!("{oid}:{iid}"))
                }
                Value::Null => unreachable!(),
            }
        }
    }

    #[test]
    fn decodes_foreign_input() {
        // Whitespace, LwM2M-spec style names, escapes, unknown fields, padded base64.
        let data = br#" [ {"bn" : "/3/0/", "n":"0", "vs":"a\u00e9\ud83d\ude00\/", "x":{"y":[1,null]}, "bver":10},
            {"n":"2","vd":"AP8="}, {"n":"6/0","v":1e0,"t":-1}, {"n":"3","v":-0} ] "#;
        let mut scratch = [0u8; 32];
        let got = decode_all(&[3, 0], data, &mut scratch, &type_of).unwrap();
        assert_eq!(got[0].value, Value::String("aé😀/"));
        assert_eq!(got[0].path, Path::new(&[3, 0, 0]));
        assert_eq!(got[1].value, Value::Bytes(b"\x00\xff"));
        assert_eq!(
            got[2],
            Entry {
                path: Path::new(&[3, 0, 6, 0]),
                value: Value::Double(1.0),
                timestamp: Some(-1.0)
            }
        );
        assert_eq!(got[3].value, Value::Int(0));
    }

    #[test]
    fn rejects_malformed() {
        let cases: &[&str] = &[
            "",
            "{}",
            "[",
            "[{}",
            "[{\"n\":\"/1/0/0\"}] x",
            "[{\"n\":\"/1/0/0\",}]",
            "[{\"n\":\"/1/0/0\" \"v\":1}]",
            "[{\"n\":\"/1/0/0\",\"v\":01}]",
            "[{\"n\":\"/1/0/0\",\"v\":1.}]",
            "[{\"n\":\"/1/0/0\",\"v\":-}]",
            "[{\"n\":\"/1/0/0\",\"v\":\"1\"}]",
            "[{\"n\":\"/1/0/0\",\"v\":1,\"v\":2}]",
            "[{\"n\":\"/1/0/0\",\"v\":1,\"vs\":\"2\"}]",
            "[{\"n\":\"/1/0/0\",\"n\":\"/1/0/0\"}]",
            "[{\"n\":\"/1/0/0\",\"vs\":\"\\x\"}]",
            "[{\"n\":\"/1/0/0\",\"vs\":\"\\ud800\"}]",
            "[{\"n\":\"/1/0/0\",\"vs\":\"\u{1}\"}]",
            "[{\"n\":\"/1/0/0\",\"vb\":1}]",
            "[{\"n\":\"/1/0/0\",\"vd\":\"A\"}]",
            "[{\"n\":\"/1/0/0\",\"vlo\":\"1-2\"}]",
            "[{\"n\":\"/1/0/0\",\"a_\":1}]",
            "[{\"n\":\"1/0/0\"}]",
            "[{\"n\":\"/1/0/0/0/0\"}]",
            "[{\"n\":\"/1/0/0\",\"v\":1.5}]",
            "[{\"n\":\"/1/0/0\",\"x\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}]",
        ];
        for bad in cases {
            let mut scratch = [0u8; 16];
            let r = decode_all(&[], bad.as_bytes(), &mut scratch, &|_| Some(DataType::Int));
            assert!(r.is_err(), "{bad}");
        }
        assert_eq!(
            decode_all(&[2], br#"[{"n":"/1"}]"#, &mut [], &|_| None),
            Err(IoError::BadPath)
        );
    }

    #[test]
    fn mutations_never_panic() {
        let base = encode(&[3, 0], &all_types()).unwrap().into_bytes();
        let mut x = 0xdead_beef_cafe_f00du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut scratch = [0u8; 64];
        let alphabet = b"[]{}\",:\\u0123456789-+.eE tfnl_/abvd";
        for round in 0..20000u32 {
            let mut data = base.clone();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() as usize) % data.len();
                data[i] = if next() % 2 == 0 {
                    alphabet[(next() as usize) % alphabet.len()]
                } else {
                    next() as u8
                };
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
                    let mut d = SenmlJsonDecoder::new(Path::new(base), &data, &mut scratch);
                    while let Ok(Some(_)) = d.next_entry(ty) {}
                }
            }
        }
    }
}
