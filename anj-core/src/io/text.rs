//! text/plain (content format 0), LwM2M TS Core §7.4.1: exactly one resource (or resource
//! instance) value as text. Integers and Time are decimal, Float the shortest decimal that
//! round-trips, Boolean `0`/`1`, Objlnk `oid:iid`, and Opaque base64 (RFC 4648 §4, with
//! padding) as LwM2M 1.1 allows and Anjay Lite does.
//!
//! Also home of the base64 helpers shared with SenML JSON (RFC 8428 §5 uses base64url
//! without padding for `vd`).
//!
//! Decoding: [`TextDecoder`] yields one entry for the request path, typed by the caller's
//! `expected` callback. With an unknown type (`None`) the payload is returned as
//! [`Value::String`] (it must be UTF-8). Opaque values are base64-decoded into the scratch
//! buffer given to [`TextDecoder::new`].

use super::value::{
    write_f64, DataType, Decoder, Encoder, Entry, IoError, Path, Scratch, SliceWriter, TypeOf,
    Value,
};

const B64_STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64-encodes `data` (RFC 4648 §4, or §5 with `url`), with `=` padding if `pad`.
pub fn base64_encode(
    w: &mut SliceWriter<'_>,
    data: &[u8],
    url: bool,
    pad: bool,
) -> Result<(), IoError> {
    let alpha = if url { B64_URL } else { B64_STD };
    let sym = |i: u32| alpha.get((i & 63) as usize).copied().unwrap_or(b'A');
    for chunk in data.chunks(3) {
        let b0 = u32::from(chunk.first().copied().unwrap_or(0));
        let b1 = u32::from(chunk.get(1).copied().unwrap_or(0));
        let b2 = u32::from(chunk.get(2).copied().unwrap_or(0));
        let n = (b0 << 16) | (b1 << 8) | b2;
        let out = [sym(n >> 18), sym(n >> 12), sym(n >> 6), sym(n)];
        let used = chunk.len() + 1;
        w.push(out.get(..used).unwrap_or(&out))?;
        if pad {
            for _ in used..4 {
                w.push_byte(b'=')?;
            }
        }
    }
    Ok(())
}

/// Base64-encodes a streamed value (see [`base64_encode`]): whole 3-byte groups as the
/// chunks come, up to 2 bytes carried across a chunk boundary, the tail at the end. The
/// output is the same as [`base64_encode`] of the whole value.
#[cfg(feature = "external-data")]
pub fn base64_encode_streamed(
    w: &mut SliceWriter<'_>,
    src: &mut super::value::Source<'_>,
    url: bool,
    pad: bool,
) -> Result<(), IoError> {
    let mut carry = [0u8; 3];
    let mut held = 0usize;
    super::value::stream_pass(src, &mut |mut c| {
        if held > 0 {
            while held < 3 {
                let Some((b, rest)) = c.split_first() else {
                    return Ok(true);
                };
                carry[held] = *b;
                held += 1;
                c = rest;
            }
            base64_encode(w, &carry, url, pad)?;
            held = 0;
        }
        let (whole, rest) = c.split_at(c.len() - c.len() % 3);
        base64_encode(w, whole, url, pad)?;
        carry[..rest.len()].copy_from_slice(rest);
        held = rest.len();
        Ok(true)
    })?;
    base64_encode(w, carry.get(..held).unwrap_or(&[]), url, pad)
}

/// Decodes base64 (`url` selects the RFC 4648 §5 alphabet) into `out`; padding is optional
/// but, when present, must complete the last quantum. Returns the decoded length.
pub fn base64_decode(input: &[u8], out: &mut [u8], url: bool) -> Result<usize, IoError> {
    let mut data = input;
    // Strip up to two pad characters; the remaining length must then be a valid quantum.
    let mut padded = false;
    while let Some((b'=', rest)) = data.split_last() {
        data = rest;
        padded = true;
    }
    let pad_len = input.len() - data.len();
    if pad_len > 2 || (padded && input.len() % 4 != 0) || data.len() % 4 == 1 {
        return Err(IoError::Malformed);
    }
    let val = |c: u8| -> Result<u32, IoError> {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' if !url => 62,
            b'/' if !url => 63,
            b'-' if url => 62,
            b'_' if url => 63,
            _ => return Err(IoError::Malformed),
        };
        Ok(u32::from(v))
    };
    let mut w = SliceWriter::new(out);
    for chunk in data.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let used = chunk.len() - 1;
        w.push(bytes.get(..used).unwrap_or(&bytes))?;
    }
    Ok(w.pos)
}

/// Base64 decoded piece by piece (a value that comes in several blocks, RFC 7959 Block1):
/// up to 3 characters of a quantum cut by the end of a piece wait here for the next one.
/// Accepts what [`base64_decode`] accepts of the whole text: padding only at the end and
/// completing the last quantum; an unpadded last quantum of 2 or 3 characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Base64Stream {
    /// The bits of the quantum being read.
    quantum: u32,
    /// Characters of it read so far (0..=3).
    held: u8,
    /// `=` characters read; after the first one only `=` may follow.
    pad: u8,
    /// The quantum with padding was completed: nothing may follow.
    ended: bool,
    url: bool,
    /// Either alphabet (SenML JSON `vd`, as its whole-value decoder takes both).
    any: bool,
}

impl Base64Stream {
    pub fn new(url: bool) -> Self {
        Base64Stream {
            url,
            ..Base64Stream::default()
        }
    }

    /// A decoder taking the characters of both alphabets (RFC 4648 §4 and §5).
    pub fn either_alphabet() -> Self {
        Base64Stream {
            any: true,
            ..Base64Stream::default()
        }
    }

    /// Decodes characters of `input` into `out` while a whole quantum fits in it (up to
    /// 3 bytes each); characters of an incomplete quantum are held. Returns how many
    /// characters were used and how many bytes written.
    pub fn feed(&mut self, input: &[u8], out: &mut [u8]) -> Result<(usize, usize), IoError> {
        let mut produced = 0usize;
        for (used, &c) in input.iter().enumerate() {
            if self.ended {
                return Err(IoError::Malformed);
            }
            if self.held == 3 && out.len() - produced < 3 {
                return Ok((used, produced));
            }
            if c == b'=' {
                if self.held + self.pad < 2 {
                    return Err(IoError::Malformed);
                }
                self.pad += 1;
            } else {
                if self.pad > 0 {
                    return Err(IoError::Malformed);
                }
                let v = match sextet(c, self.url) {
                    Err(_) if self.any => sextet(c, !self.url)?,
                    v => v?,
                };
                self.quantum |= v << (18 - 6 * u32::from(self.held));
            }
            self.held += 1;
            if self.held == 4 {
                let n = 3 - usize::from(self.pad);
                let bytes = [
                    (self.quantum >> 16) as u8,
                    (self.quantum >> 8) as u8,
                    self.quantum as u8,
                ];
                let dst = out
                    .get_mut(produced..produced + n)
                    .ok_or(IoError::BufferTooSmall)?;
                dst.copy_from_slice(bytes.get(..n).unwrap_or(&bytes));
                produced += n;
                self.ended = self.pad > 0;
                self.quantum = 0;
                self.held = 0;
                self.pad = 0;
            }
        }
        Ok((input.len(), produced))
    }

    /// The end of the text: the bytes of an unpadded last quantum (at most 2) go into
    /// `out`; returns how many. A quantum of one character or with incomplete padding is
    /// malformed.
    pub fn finish(&mut self, out: &mut [u8]) -> Result<usize, IoError> {
        let held = usize::from(self.held);
        if self.pad > 0 || held == 1 {
            return Err(IoError::Malformed);
        }
        let n = held.saturating_sub(1);
        let bytes = [(self.quantum >> 16) as u8, (self.quantum >> 8) as u8];
        out.get_mut(..n)
            .ok_or(IoError::BufferTooSmall)?
            .copy_from_slice(bytes.get(..n).unwrap_or(&bytes));
        *self = Base64Stream {
            url: self.url,
            any: self.any,
            ..Base64Stream::default()
        };
        Ok(n)
    }

    /// Decodes one piece of the text through a small stack buffer, handing the bytes to
    /// `f` as they come (`f(bytes, last)`; `last` is set once, on the final call after the
    /// last piece, which may be empty). Only the final call may have no bytes.
    pub fn decode_chunks<E, F: FnMut(&[u8], bool) -> Result<(), E>>(
        &mut self,
        mut input: &[u8],
        last: bool,
        err: fn(IoError) -> E,
        mut f: F,
    ) -> Result<(), E> {
        const ROOM: usize = 96;
        // Two more bytes for what `finish` adds.
        let mut buf = [0u8; ROOM + 2];
        loop {
            let (used, mut n) = self.feed(input, &mut buf[..ROOM]).map_err(err)?;
            input = input.get(used..).unwrap_or(&[]);
            let end = input.is_empty();
            if end && last {
                n += self.finish(&mut buf[n..]).map_err(err)?;
                return f(&buf[..n], true);
            }
            if n > 0 {
                f(&buf[..n], false)?;
            }
            if end {
                return Ok(());
            }
        }
    }
}

fn sextet(c: u8, url: bool) -> Result<u32, IoError> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' if !url => 62,
        b'/' if !url => 63,
        b'-' if url => 62,
        b'_' if url => 63,
        _ => return Err(IoError::Malformed),
    };
    Ok(u32::from(v))
}

/// Writes one value as LwM2M plain text. Null has no text form.
pub fn write_text_value(w: &mut SliceWriter<'_>, v: &Value<'_>) -> Result<(), IoError> {
    match *v {
        Value::Null => Err(IoError::Unsupported),
        Value::Bytes(b) => base64_encode(w, b, false, true),
        Value::String(s) => w.push(s.as_bytes()),
        Value::Int(i) | Value::Time(i) => w.push_i64(i),
        Value::Uint(u) => w.push_u64(u),
        Value::Double(d) => write_f64(w, d),
        Value::Bool(b) => w.push_byte(if b { b'1' } else { b'0' }),
        Value::Objlnk { oid, iid } => {
            w.push_u64(u64::from(oid))?;
            w.push_byte(b':')?;
            w.push_u64(u64::from(iid))
        }
    }
}

/// Encoder of text/plain: accepts exactly one entry at resource or resource instance level
/// under the base path.
pub struct TextEncoder<'b> {
    w: SliceWriter<'b>,
    base: Path,
    done: bool,
}

impl<'b> TextEncoder<'b> {
    pub fn new(base: Path, out: &'b mut [u8]) -> Self {
        Self::with_writer(base, SliceWriter::new(out))
    }

    pub fn with_writer(base: Path, w: SliceWriter<'b>) -> Self {
        TextEncoder {
            w,
            base,
            done: false,
        }
    }
}

impl Encoder for TextEncoder<'_> {
    fn entry(&mut self, e: &Entry<'_>) -> Result<(), IoError> {
        if self.done {
            return Err(IoError::Logic);
        }
        if e.path.len() < 3 || !self.base.is_prefix_of(&e.path) {
            return Err(IoError::BadPath);
        }
        self.w.pos = 0;
        write_text_value(&mut self.w, &e.value)?;
        self.done = true;
        Ok(())
    }

    #[cfg(feature = "external-data")]
    fn streamed(
        &mut self,
        path: &Path,
        ty: DataType,
        src: &mut super::value::Source<'_>,
    ) -> Result<(), IoError> {
        if self.done {
            return Err(IoError::Logic);
        }
        if path.len() < 3 || !self.base.is_prefix_of(path) {
            return Err(IoError::BadPath);
        }
        self.w.pos = 0;
        let w = &mut self.w;
        match ty {
            DataType::Bytes => base64_encode_streamed(w, src, false, true)?,
            DataType::String => {
                super::value::stream_pass(src, &mut |c| w.push(c).map(|_| true))?;
            }
            _ => return Err(IoError::Unsupported),
        }
        self.done = true;
        Ok(())
    }

    fn finish(self) -> Result<usize, IoError> {
        Ok(self.w.pos)
    }
}

/// Parses unsigned decimal digits only (no sign, no space), one or more, with a value
/// within `u64`: the integer grammar of text values and of the C API's
/// `anj_string_to_*_value`.
pub fn parse_digits(d: &[u8]) -> Option<u64> {
    if d.is_empty() {
        return None;
    }
    d.iter().try_fold(0u64, |acc, &c| {
        let digit = c.checked_sub(b'0').filter(|v| *v <= 9)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// Parses a decimal integer: optional sign, then [`parse_digits`], nothing else.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    let magnitude = i128::from(parse_digits(digits)?);
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// Parses an unsigned decimal integer: optional `+`, then [`parse_digits`].
pub fn parse_u64(s: &[u8]) -> Option<u64> {
    parse_digits(s.strip_prefix(b"+").unwrap_or(s))
}

/// Parses a decimal float (`[-+]digits[.digits][e[-+]digits]`, plus `nan`/`inf` as the
/// text encoder writes them).
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let body = s
        .strip_prefix(b"-")
        .or_else(|| s.strip_prefix(b"+"))
        .unwrap_or(s);
    let special = match body {
        b"nan" | b"NaN" => f64::NAN,
        b"inf" | b"Infinity" => f64::INFINITY,
        _ => return super::decimal::parse(s),
    };
    Some(if s.first() == Some(&b'-') {
        -special
    } else {
        special
    })
}

/// Parses an object link `oid:iid`, each part as [`parse_u64`] and at most 65535.
pub fn parse_objlnk(s: &[u8]) -> Option<(u16, u16)> {
    let colon = s.iter().position(|&c| c == b':')?;
    let oid = parse_u64(s.get(..colon)?)?;
    let iid = parse_u64(s.get(colon + 1..)?)?;
    Some((u16::try_from(oid).ok()?, u16::try_from(iid).ok()?))
}

/// Decoder of text/plain: one entry at the request path (resource or resource instance).
pub struct TextDecoder<'a> {
    data: &'a [u8],
    path: Path,
    scratch: Scratch<'a>,
    done: bool,
}

impl<'a> TextDecoder<'a> {
    /// `scratch` receives base64-decoded Opaque values (3/4 of the payload size suffices);
    /// pass `&mut []` if no Opaque resource can be written.
    pub fn new(path: Path, data: &'a [u8], scratch: &'a mut [u8]) -> Self {
        TextDecoder {
            data,
            path,
            scratch: Scratch::new(scratch),
            done: false,
        }
    }
}

impl<'a> Decoder<'a> for TextDecoder<'a> {
    fn next_entry(&mut self, expected: TypeOf<'_>) -> Result<Option<Entry<'a>>, IoError> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        if self.path.len() < 3 {
            return Err(IoError::Unsupported);
        }
        let s = self.data;
        let bad = IoError::TypeMismatch;
        let value = match expected(&self.path) {
            None | Some(DataType::Null) | Some(DataType::String) => {
                Value::String(core::str::from_utf8(s).map_err(|_| IoError::Malformed)?)
            }
            Some(DataType::Bytes) => {
                let data = self.data;
                Value::Bytes(
                    self.scratch
                        .take_with(|buf| base64_decode(data, buf, false))?,
                )
            }
            Some(DataType::Int) => Value::Int(parse_i64(s).ok_or(bad)?),
            Some(DataType::Time) => Value::Time(parse_i64(s).ok_or(bad)?),
            Some(DataType::Uint) => Value::Uint(parse_u64(s).ok_or(bad)?),
            Some(DataType::Double) => Value::Double(parse_f64(s).ok_or(bad)?),
            Some(DataType::Bool) => match s {
                b"0" => Value::Bool(false),
                b"1" => Value::Bool(true),
                _ => return Err(bad),
            },
            Some(DataType::Objlnk) => {
                let (oid, iid) = parse_objlnk(s).ok_or(bad)?;
                Value::Objlnk { oid, iid }
            }
        };
        Ok(Some(Entry::new(self.path, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_and_object_link_grammar() {
        assert_eq!(parse_digits(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_digits(b"000000000000000000000042"), Some(42));
        for bad in [
            &b""[..],
            b"18446744073709551616",
            b"+1",
            b"-1",
            b" 1",
            b"1a",
            b"/",
            b":",
        ] {
            assert_eq!(parse_digits(bad), None, "{bad:?}");
        }
        assert_eq!(parse_u64(b"+7"), Some(7));
        assert_eq!(parse_u64(b"++7"), None);
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"+9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"-9223372036854775809"), None);
        assert_eq!(parse_i64(b"-0"), Some(0));
        for bad in [&b""[..], b"-", b"+", b"--1", b"-+1", b"1-"] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
        assert_eq!(parse_objlnk(b"65535:0"), Some((65535, 0)));
        assert_eq!(parse_objlnk(b"+3:007"), Some((3, 7)));
        for bad in [
            &b"65536:0"[..],
            b"1:65536",
            b"1",
            b":1",
            b"1:",
            b"1:1:1",
            b"-1:1",
        ] {
            assert_eq!(parse_objlnk(bad), None, "{bad:?}");
        }
    }

    fn enc(v: Value<'_>) -> Result<std::vec::Vec<u8>, IoError> {
        let mut buf = [0u8; 128];
        let mut e = TextEncoder::new(Path::new(&[3, 0, 1]), &mut buf);
        e.entry(&Entry::new(Path::new(&[3, 0, 1]), v))?;
        let n = e.finish()?;
        Ok(buf[..n].to_vec())
    }

    fn dec<'a>(data: &'a [u8], t: DataType, scratch: &'a mut [u8]) -> Result<Value<'a>, IoError> {
        let mut d = TextDecoder::new(Path::new(&[3, 0, 1]), data, scratch);
        let e = d.next_entry(&|_| Some(t))?.unwrap();
        assert_eq!(d.next_entry(&|_| Some(t)), Ok(None));
        Ok(e.value)
    }

    /// Decodes `text` cut into pieces at `cuts` with [`Base64Stream`].
    fn b64_pieces(text: &[u8], cuts: &[usize]) -> Result<std::vec::Vec<u8>, IoError> {
        let mut st = Base64Stream::new(false);
        let mut out = std::vec::Vec::new();
        let mut finals = 0;
        let mut bounds = std::vec![0];
        bounds.extend_from_slice(cuts);
        bounds.push(text.len());
        for k in 0..bounds.len() - 1 {
            let last = k == bounds.len() - 2;
            st.decode_chunks(
                &text[bounds[k]..bounds[k + 1]],
                last,
                |e| e,
                |b, end| {
                    assert!(!b.is_empty() || end, "only the final call may be empty");
                    assert!(b.len() <= 98);
                    finals += usize::from(end);
                    out.extend_from_slice(b);
                    Ok(())
                },
            )?;
        }
        assert_eq!(finals, 1);
        Ok(out)
    }

    #[test]
    fn base64_across_pieces_matches_whole_decoding() {
        let data: std::vec::Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for len in [0usize, 1, 2, 3, 4, 5, 200, 300] {
            let mut text = [0u8; 512];
            let mut w = SliceWriter::new(&mut text);
            base64_encode(&mut w, &data[..len], false, true).unwrap();
            let n = w.pos;
            let text = &text[..n];
            for i in 0..=n {
                for j in [
                    i,
                    (i + 1).min(n),
                    (i + 2).min(n),
                    (i + 3).min(n),
                    (i + 150).min(n),
                ] {
                    assert_eq!(
                        b64_pieces(text, &[i, j]).unwrap(),
                        &data[..len],
                        "{len} {i} {j}"
                    );
                }
            }
            // Unpadded as the whole-text decoder accepts it.
            let bare = text
                .strip_suffix(b"==")
                .or(text.strip_suffix(b"="))
                .unwrap_or(text);
            for i in 0..=bare.len() {
                assert_eq!(b64_pieces(bare, &[i]).unwrap(), &data[..len]);
            }
        }
    }

    #[test]
    fn base64_pieces_refuse_what_the_whole_decoder_refuses() {
        for bad in [
            &b"QUJD!"[..],
            b"QQ=",
            b"Q===",
            b"QQ==QQ==",
            b"QUJDR",
            b"QU=D",
            b"QUJD QUJD",
        ] {
            let mut scratch = [0u8; 16];
            assert!(base64_decode(bad, &mut scratch, false).is_err(), "{bad:?}");
            for i in 0..=bad.len() {
                assert_eq!(
                    b64_pieces(bad, &[i]),
                    Err(IoError::Malformed),
                    "{bad:?} at {i}"
                );
            }
        }
    }

    #[test]
    fn encodes_each_type() {
        assert_eq!(
            enc(Value::String("Open Mobile Alliance")).unwrap(),
            b"Open Mobile Alliance"
        );
        assert_eq!(enc(Value::Int(-42)).unwrap(), b"-42");
        assert_eq!(enc(Value::Int(i64::MIN)).unwrap(), b"-9223372036854775808");
        assert_eq!(enc(Value::Uint(u64::MAX)).unwrap(), b"18446744073709551615");
        assert_eq!(enc(Value::Double(1.5)).unwrap(), b"1.5");
        assert_eq!(enc(Value::Bool(true)).unwrap(), b"1");
        assert_eq!(enc(Value::Bool(false)).unwrap(), b"0");
        assert_eq!(
            enc(Value::Objlnk { oid: 3, iid: 65535 }).unwrap(),
            b"3:65535"
        );
        assert_eq!(enc(Value::Time(1_700_000_000)).unwrap(), b"1700000000");
        assert_eq!(enc(Value::Bytes(b"foobar!")).unwrap(), b"Zm9vYmFyIQ==");
        assert_eq!(enc(Value::Null), Err(IoError::Unsupported));
    }

    #[test]
    fn encoder_misuse() {
        let mut buf = [0u8; 16];
        let mut e = TextEncoder::new(Path::new(&[3, 0]), &mut buf);
        assert_eq!(
            e.entry(&Entry::new(Path::new(&[3, 0]), Value::Int(1))),
            Err(IoError::BadPath)
        );
        assert_eq!(
            e.entry(&Entry::new(Path::new(&[4, 0, 1]), Value::Int(1))),
            Err(IoError::BadPath)
        );
        e.entry(&Entry::new(Path::new(&[3, 0, 1]), Value::Int(1)))
            .unwrap();
        assert_eq!(
            e.entry(&Entry::new(Path::new(&[3, 0, 2]), Value::Int(1))),
            Err(IoError::Logic)
        );
        let mut small = [0u8; 3];
        let mut e = TextEncoder::new(Path::new(&[3, 0, 1]), &mut small);
        assert_eq!(
            e.entry(&Entry::new(Path::new(&[3, 0, 1]), Value::Int(12345))),
            Err(IoError::BufferTooSmall)
        );
    }

    #[test]
    fn round_trips() {
        let vals = [
            Value::String("żółw ∑"),
            Value::String(""),
            Value::Int(0),
            Value::Int(i64::MAX),
            Value::Int(i64::MIN),
            Value::Uint(u64::MAX),
            Value::Double(0.1),
            Value::Double(-1e-300),
            Value::Double(f64::MAX),
            Value::Double(f64::INFINITY),
            Value::Bool(true),
            Value::Bool(false),
            Value::Objlnk { oid: 0, iid: 65534 },
            Value::Time(-5),
            Value::Bytes(b""),
            Value::Bytes(b"\x00\xff\x10"),
            Value::Bytes(b"ab"),
            Value::Bytes(b"abcd"),
        ];
        for v in vals {
            let text = enc(v).unwrap();
            let mut scratch = [0u8; 64];
            assert_eq!(dec(&text, v.data_type(), &mut scratch).unwrap(), v, "{v:?}");
        }
        let text = enc(Value::Double(f64::NAN)).unwrap();
        assert!(
            matches!(dec(&text, DataType::Double, &mut []), Ok(Value::Double(d)) if d.is_nan())
        );
    }

    #[test]
    fn rejects_bad_text() {
        let cases: &[(&[u8], DataType)] = &[
            (b"", DataType::Int),
            (b"12a", DataType::Int),
            (b" 12", DataType::Int),
            (b"99999999999999999999", DataType::Int),
            (b"-1", DataType::Uint),
            (b"1.5", DataType::Int),
            (b"abc", DataType::Double),
            (b"1..2", DataType::Double),
            (b"", DataType::Double),
            (b"2", DataType::Bool),
            (b"true", DataType::Bool),
            (b"3", DataType::Objlnk),
            (b"3:65536", DataType::Objlnk),
            (b":1", DataType::Objlnk),
            (b"1.0", DataType::Time),
        ];
        for (s, t) in cases {
            assert_eq!(
                dec(s, *t, &mut []),
                Err(IoError::TypeMismatch),
                "{s:?} {t:?}"
            );
        }
        assert_eq!(
            dec(b"\xff", DataType::String, &mut []),
            Err(IoError::Malformed)
        );
        let mut scratch = [0u8; 8];
        assert_eq!(
            dec(b"Zm9v!", DataType::Bytes, &mut scratch),
            Err(IoError::Malformed)
        );
        assert_eq!(
            dec(b"Zm9vY", DataType::Bytes, &mut scratch),
            Err(IoError::Malformed)
        );
        assert_eq!(
            dec(b"Zg===", DataType::Bytes, &mut scratch),
            Err(IoError::Malformed)
        );
        assert_eq!(
            dec(b"Zm9vYmFyIQ==", DataType::Bytes, &mut [0u8; 3]),
            Err(IoError::BufferTooSmall)
        );
        let mut d = TextDecoder::new(Path::new(&[3, 0]), b"1", &mut []);
        assert_eq!(
            d.next_entry(&|_| Some(DataType::Int)),
            Err(IoError::Unsupported)
        );
    }

    #[test]
    fn base64_vectors() {
        // RFC 4648 §10 test vectors.
        let v: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"f", b"Zg=="),
            (b"fo", b"Zm8="),
            (b"foo", b"Zm9v"),
            (b"foob", b"Zm9vYg=="),
            (b"fooba", b"Zm9vYmE="),
            (b"foobar", b"Zm9vYmFy"),
        ];
        for (raw, b64) in v {
            let mut buf = [0u8; 16];
            let mut w = SliceWriter::new(&mut buf);
            base64_encode(&mut w, raw, false, true).unwrap();
            let n = w.pos;
            assert_eq!(&buf[..n], *b64);
            let n = base64_decode(b64, &mut buf, false).unwrap();
            assert_eq!(&buf[..n], *raw);
        }
        let mut buf = [0u8; 8];
        let n = base64_decode(b"-_8", &mut buf, true).unwrap();
        assert_eq!(&buf[..n], &[0xfb, 0xff]);
        assert_eq!(
            base64_decode(b"-_8", &mut buf, false),
            Err(IoError::Malformed)
        );
    }

    #[test]
    fn no_type_is_string() {
        let mut d = TextDecoder::new(Path::new(&[3, 0, 1]), b"42", &mut []);
        assert_eq!(
            d.next_entry(&|_| None).unwrap().unwrap().value,
            Value::String("42")
        );
    }

    #[test]
    fn random_input_never_panics() {
        let mut x = 0x1234_5678_9abc_def0u64;
        let mut scratch = [0u8; 64];
        for _ in 0..20000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 12) as usize;
            let alphabet = b"0123456789+-.eE:=/aZnif\xff ";
            let s: std::vec::Vec<u8> = (0..len)
                .map(|i| alphabet[((x >> (i * 5)) % alphabet.len() as u64) as usize])
                .collect();
            for t in [
                DataType::Int,
                DataType::Uint,
                DataType::Double,
                DataType::Bool,
                DataType::Objlnk,
                DataType::Time,
                DataType::Bytes,
                DataType::String,
            ] {
                let mut d = TextDecoder::new(Path::new(&[1, 0, 1]), &s, &mut scratch);
                let _ = d.next_entry(&|_| Some(t));
            }
        }
    }
}
