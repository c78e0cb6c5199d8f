//! The bodies of the fuzz targets in `fuzz/` (cargo-fuzz, one target per decoder), shared
//! with the unit test below, which runs them over a fixed corpus of mutated payloads on
//! stable Rust. Compiled for tests and with the `fuzzing` feature only.
//!
//! Each body decodes an arbitrary input (its first byte picks the request path and the
//! types the data model reports) and asserts: no panic, and every decoded entry re-encodes
//! in the same format and decodes back to the same value. The assertions are the point
//! of fuzzing, so this module, unlike the codecs, does panic when they fail.

use super::format::{self, Format};
use super::value::{DataType, Encoder, Entry, IoError, Path, Value, ID_INVALID};

const BASES: [&[u16]; 6] = [&[], &[3], &[3, 0], &[3, 0, 1], &[3, 0, 1, 0], &[1, 0, 1]];
const TYPES: [DataType; 9] = [
    DataType::Null,
    DataType::Bytes,
    DataType::String,
    DataType::Int,
    DataType::Double,
    DataType::Bool,
    DataType::Objlnk,
    DataType::Uint,
    DataType::Time,
];

/// Fuzz target `text`: text/plain.
pub fn text(data: &[u8]) {
    decode_and_reencode(format::TEXT, data);
}

/// Fuzz target `opaque`: application/octet-stream.
pub fn opaque(data: &[u8]) {
    decode_and_reencode(format::OPAQUE, data);
}

/// Fuzz target `tlv`: OMA TLV.
pub fn tlv(data: &[u8]) {
    decode_and_reencode(format::TLV, data);
}

/// Fuzz target `cbor`: application/cbor.
pub fn cbor(data: &[u8]) {
    decode_and_reencode(format::CBOR, data);
}

/// Fuzz target `senml_cbor`.
pub fn senml_cbor(data: &[u8]) {
    decode_and_reencode(format::SENML_CBOR, data);
}

/// Fuzz target `senml_json`.
pub fn senml_json(data: &[u8]) {
    decode_and_reencode(format::SENML_JSON, data);
}

/// Fuzz target `lwm2m_cbor`.
pub fn lwm2m_cbor(data: &[u8]) {
    decode_and_reencode(format::LWM2M_CBOR, data);
}

/// The data model's answer for a selector byte: nothing known, one type for every path,
/// or a type per resource ID.
fn type_for(sel: u8, p: &Path) -> Option<DataType> {
    match sel % 3 {
        0 => None,
        1 => TYPES.get(usize::from(sel / 3) % TYPES.len()).copied(),
        _ => TYPES
            .get(usize::from(p.rid().unwrap_or(0)) % TYPES.len())
            .copied(),
    }
}

fn same(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        _ => a == b,
    }
}

/// The common body: `data[0]` selects the request path and the type callback, the rest
/// is the payload.
pub fn decode_and_reencode(cf: u16, data: &[u8]) {
    let Some(f) = Format::from_content_format(cf) else {
        return;
    };
    let Some((&sel, payload)) = data.split_first() else {
        return;
    };
    let base = Path::new(
        BASES
            .get(usize::from(sel) % BASES.len())
            .copied()
            .unwrap_or(&[]),
    );
    let tsel = sel / 6;
    let type_of = move |p: &Path| type_for(tsel, p);
    let mut scratch = [0u8; 1024];
    let mut d = f.decoder(base, payload, &mut scratch);
    // Every entry but an empty single value takes at least one payload byte.
    for _ in 0..payload.len() + 2 {
        match super::value::Decoder::next_entry(&mut d, &type_of) {
            Ok(Some(e)) => reencode(f, &e),
            Ok(None) | Err(_) => return,
        }
    }
    panic!("{f:?}: more entries than payload bytes");
}

fn reencode(f: Format, e: &Entry<'_>) {
    // What a format legitimately cannot write back: no value, the TLV placeholder for an
    // instance ID the payload left out, non-finite numbers in JSON.
    let skip = matches!(e.value, Value::Null)
        || e.path.as_slice().contains(&ID_INVALID)
        || (f == Format::SenmlJson && matches!(e.value, Value::Double(d) if !d.is_finite()));
    if skip {
        return;
    }
    let entry = Entry::new(e.path, e.value);
    let mut buf = [0u8; 4096];
    let mut enc = f.encoder_window(e.path, &mut buf, 0);
    match enc.entry(&entry) {
        Ok(()) => {}
        // Single-value formats and TLV only carry resources (and their instances).
        Err(IoError::BadPath) if e.path.len() < 3 => return,
        Err(err) => panic!("{f:?}: {e:?} does not re-encode: {err:?}"),
    }
    let n = enc
        .finish()
        .unwrap_or_else(|err| panic!("{f:?}: {e:?}: {err:?}"));
    if n > buf.len() {
        return; // Re-encoded, but too large to decode back from this buffer.
    }
    let t = e.value.data_type();
    let mut scratch = [0u8; 4096];
    let mut d = f.decoder(e.path, buf.get(..n).unwrap_or(&[]), &mut scratch);
    let back = super::value::Decoder::next_entry(&mut d, &|_| Some(t));
    match back {
        Ok(Some(b)) if b.path == e.path && same(&b.value, &e.value) => {}
        other => panic!("{f:?}: {e:?} came back as {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    type Body = fn(&[u8]);

    /// Valid payloads of every format, as the seeds of the corpus.
    fn seeds(f: Format) -> Vec<Vec<u8>> {
        let e = |ids: &[u16], v| Entry::new(Path::new(ids), v);
        let entries = [
            e(&[3, 0, 0], Value::String("Open \"Mobile\" Alliance\n")),
            e(&[3, 0, 1], Value::Bytes(b"\x00\x01\xff")),
            e(&[3, 0, 3], Value::Int(-5)),
            e(&[3, 0, 4], Value::Uint(u64::MAX)),
            e(&[3, 0, 6, 0], Value::Double(1.5)),
            e(&[3, 0, 6, 1], Value::Double(0.1)),
            e(&[3, 0, 7], Value::Bool(true)),
            e(&[3, 0, 8], Value::Objlnk { oid: 3, iid: 0 }),
            e(&[3, 0, 9], Value::Time(1_700_000_000)),
        ];
        let mut out = Vec::new();
        for (i, en) in entries.iter().enumerate() {
            let mut buf = [0u8; 512];
            let mut enc = f.encoder(en.path, &mut buf);
            if enc.entry(en).is_ok() {
                if let Ok(n) = enc.finish() {
                    // Selector: base /3/0/1-ish and a per-resource type table.
                    let mut s = vec![(i * 6 + 3) as u8];
                    s.extend_from_slice(&buf[..n]);
                    out.push(s);
                }
            }
        }
        if !f.is_single_value() {
            let mut buf = [0u8; 2048];
            let mut enc = f.encoder(Path::new(&[3]), &mut buf);
            for en in &entries {
                enc.entry(en).unwrap();
            }
            let n = enc.finish().unwrap();
            for sel in [1u8, 13, 7] {
                let mut s = vec![sel];
                s.extend_from_slice(&buf[..n]);
                out.push(s);
            }
        }
        out
    }

    /// Every fuzz target's body over its seeds and 4000 mutations of them (byte changes,
    /// insertions, deletions, truncation), deterministic.
    #[test]
    fn fuzz_bodies_over_mutated_corpus() {
        let targets: [(Format, Body); 7] = [
            (Format::Text, text),
            (Format::Opaque, opaque),
            (Format::Tlv, tlv),
            (Format::Cbor, cbor),
            (Format::SenmlCbor, senml_cbor),
            (Format::SenmlJson, senml_json),
            (Format::Lwm2mCbor, lwm2m_cbor),
        ];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for (f, body) in targets {
            let seeds = seeds(f);
            assert!(!seeds.is_empty(), "{f:?}");
            for s in &seeds {
                body(s);
            }
            for _ in 0..4000 {
                let mut data = seeds[(next() as usize) % seeds.len()].clone();
                for _ in 0..(next() % 4 + 1) {
                    let i = (next() as usize) % (data.len() + 1);
                    match next() % 4 {
                        0 if i < data.len() => data[i] = next() as u8,
                        1 => data.insert(i, next() as u8),
                        2 if i < data.len() => {
                            data.remove(i);
                        }
                        _ => data.truncate(i.max(1)),
                    }
                }
                body(&data);
            }
        }
        // Degenerate inputs.
        for (_, body) in targets {
            body(&[]);
            body(&[0]);
            body(&[255; 64]);
        }
    }
}
