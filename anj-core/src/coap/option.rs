//! Option numbers, their properties, and the option wire encoding (RFC 7252 §3.1, §5.4, §5.10).

/// Option numbers (RFC 7252 §5.10, RFC 7641 §2 for Observe, RFC 7959 §2.1 and §4 for
/// Block1/Block2/Size1/Size2).
pub mod opt {
    pub const IF_MATCH: u16 = 1;
    pub const URI_HOST: u16 = 3;
    pub const ETAG: u16 = 4;
    pub const IF_NONE_MATCH: u16 = 5;
    pub const OBSERVE: u16 = 6;
    pub const URI_PORT: u16 = 7;
    pub const LOCATION_PATH: u16 = 8;
    pub const URI_PATH: u16 = 11;
    pub const CONTENT_FORMAT: u16 = 12;
    pub const MAX_AGE: u16 = 14;
    pub const URI_QUERY: u16 = 15;
    pub const ACCEPT: u16 = 17;
    pub const LOCATION_QUERY: u16 = 20;
    pub const BLOCK2: u16 = 23;
    pub const BLOCK1: u16 = 27;
    pub const SIZE2: u16 = 28;
    pub const PROXY_URI: u16 = 35;
    pub const PROXY_SCHEME: u16 = 39;
    pub const SIZE1: u16 = 60;

    /// An odd option number is critical: a recipient that does not understand it must
    /// reject the message (RFC 7252 §5.4.1, §5.4.6).
    pub const fn is_critical(number: u16) -> bool {
        number & 1 == 1
    }

    /// Options that may appear more than once (the "R" column of RFC 7252 §5.10).
    /// ETag repeats only in requests; treating it as repeatable everywhere is harmless
    /// because it is elective.
    pub const fn is_repeatable(number: u16) -> bool {
        matches!(
            number,
            IF_MATCH | ETAG | LOCATION_PATH | URI_PATH | URI_QUERY | LOCATION_QUERY
        )
    }

    /// The registered length range of the value of a known option, in bytes, inclusive.
    /// `None` for numbers this codec has no table entry for.
    pub const fn length_range(number: u16) -> Option<(usize, usize)> {
        Some(match number {
            IF_MATCH => (0, 8),
            URI_HOST => (1, 255),
            ETAG => (1, 8),
            IF_NONE_MATCH => (0, 0),
            OBSERVE => (0, 3),
            URI_PORT => (0, 2),
            LOCATION_PATH => (0, 255),
            URI_PATH => (0, 255),
            CONTENT_FORMAT => (0, 2),
            MAX_AGE => (0, 4),
            URI_QUERY => (0, 255),
            ACCEPT => (0, 2),
            LOCATION_QUERY => (0, 255),
            BLOCK2 | BLOCK1 => (0, 3),
            SIZE2 | SIZE1 => (0, 4),
            PROXY_URI => (1, 1034),
            PROXY_SCHEME => (1, 255),
            _ => return None,
        })
    }
}

/// Content-Format identifiers an LwM2M client meets (RFC 7252 §12.3, RFC 8428 §12.3,
/// LwM2M 1.1/1.2 TS Core §7 and the OMA registry).
pub mod content_format {
    pub const TEXT_PLAIN: u16 = 0;
    pub const LINK_FORMAT: u16 = 40;
    pub const OCTET_STREAM: u16 = 42;
    pub const CBOR: u16 = 60;
    pub const SENML_JSON: u16 = 110;
    pub const SENML_CBOR: u16 = 112;
    pub const SENML_ETCH_JSON: u16 = 320;
    pub const SENML_ETCH_CBOR: u16 = 322;
    pub const OMA_LWM2M_TLV: u16 = 11542;
    pub const OMA_LWM2M_JSON: u16 = 11543;
    pub const OMA_LWM2M_CBOR: u16 = 11544;
}

/// Decodes an unsigned integer option value: big-endian, leading zero bytes allowed on
/// receipt, empty meaning 0 (RFC 7252 §3.2). `None` if it is longer than `max_len` bytes
/// (at most 4).
pub fn decode_uint(value: &[u8], max_len: usize) -> Option<u32> {
    if value.len() > max_len.min(4) {
        return None;
    }
    Some(value.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
}

/// Encodes `value` as the shortest uint option value (RFC 7252 §3.2); returns the
/// buffer and how many of its leading bytes are used.
pub fn encode_uint(value: u32) -> ([u8; 4], usize) {
    let len = 4 - (value.leading_zeros() / 8) as usize;
    let be = value.to_be_bytes();
    let mut out = [0u8; 4];
    // `len <= 4` since a u32 has at most 4 non-zero bytes.
    out[..len].copy_from_slice(&be[4 - len..]);
    (out, len)
}

/// Where an option's header ends and its value lies, as decoded from the wire.
pub struct RawOption {
    pub delta: u32,
    pub len: usize,
    /// Bytes taken by the first byte plus extended delta/length fields.
    pub header_len: usize,
}

/// Why an option header could not be decoded.
pub enum RawOptionError {
    /// A nibble of 15 outside the payload marker (RFC 7252 §3.1).
    ReservedNibble,
    /// The extended fields run past the end of the buffer.
    Truncated,
}

/// Decodes one option header starting at `buf[0]`, which must not be the payload marker.
/// Values 13 and 14 of a nibble take one or two more bytes, biased by 13 and 269
/// (RFC 7252 §3.1).
pub fn decode_option_header(buf: &[u8]) -> Result<RawOption, RawOptionError> {
    let first = *buf.first().ok_or(RawOptionError::Truncated)?;
    let mut pos = 1;
    let mut extended = |nibble: u8| -> Result<u32, RawOptionError> {
        match nibble {
            0..=12 => Ok(u32::from(nibble)),
            13 => {
                let b = *buf.get(pos).ok_or(RawOptionError::Truncated)?;
                pos += 1;
                Ok(u32::from(b) + 13)
            }
            14 => {
                let hi = *buf.get(pos).ok_or(RawOptionError::Truncated)?;
                let lo = *buf.get(pos + 1).ok_or(RawOptionError::Truncated)?;
                pos += 2;
                Ok(u32::from(u16::from_be_bytes([hi, lo])) + 269)
            }
            _ => Err(RawOptionError::ReservedNibble),
        }
    };
    let delta = extended(first >> 4)?;
    let len = extended(first & 0x0f)?;
    Ok(RawOption {
        delta,
        len: len as usize,
        header_len: pos,
    })
}

/// The largest value that the 4-bit-plus-extension form can carry (14 -> 269 + 0xffff).
pub const MAX_EXTENDED: usize = 269 + 0xffff;

/// Encodes the header of an option with the given delta and value length into `out`;
/// returns how many bytes it took (1..=5). Both must be at most [`MAX_EXTENDED`].
pub fn encode_option_header(delta: usize, len: usize) -> Option<([u8; 5], usize)> {
    fn split(v: usize) -> Option<(u8, [u8; 2], usize)> {
        match v {
            0..=12 => Some((v as u8, [0, 0], 0)),
            13..=268 => Some((13, [(v - 13) as u8, 0], 1)),
            269..=MAX_EXTENDED => Some((14, ((v - 269) as u16).to_be_bytes(), 2)),
            _ => None,
        }
    }
    let (dn, dext, dlen) = split(delta)?;
    let (ln, lext, llen) = split(len)?;
    let mut out = [0u8; 5];
    out[0] = (dn << 4) | ln;
    out[1..1 + dlen].copy_from_slice(&dext[..dlen]);
    out[1 + dlen..1 + dlen + llen].copy_from_slice(&lext[..llen]);
    Some((out, 1 + dlen + llen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_options_are_the_odd_ones() {
        for n in [
            opt::IF_MATCH,
            opt::URI_HOST,
            opt::URI_PATH,
            opt::BLOCK1,
            opt::BLOCK2,
            opt::ACCEPT,
        ] {
            assert!(opt::is_critical(n), "{n}");
        }
        for n in [
            opt::ETAG,
            opt::OBSERVE,
            opt::CONTENT_FORMAT,
            opt::SIZE1,
            opt::SIZE2,
            opt::MAX_AGE,
        ] {
            assert!(!opt::is_critical(n), "{n}");
        }
    }

    #[test]
    fn uint_encoding_is_minimal() {
        assert_eq!(encode_uint(0).1, 0);
        assert_eq!(encode_uint(1), ([1, 0, 0, 0], 1));
        assert_eq!(encode_uint(255).1, 1);
        assert_eq!(encode_uint(256), ([1, 0, 0, 0], 2));
        assert_eq!(encode_uint(0x0102_0304), ([1, 2, 3, 4], 4));
        assert_eq!(encode_uint(u32::MAX), ([0xff; 4], 4));
    }

    #[test]
    fn uint_decoding_accepts_leading_zeros_and_rejects_long_values() {
        assert_eq!(decode_uint(&[], 4), Some(0));
        assert_eq!(decode_uint(&[0, 0, 1], 4), Some(1));
        assert_eq!(decode_uint(&[1, 2, 3, 4], 4), Some(0x0102_0304));
        assert_eq!(decode_uint(&[1, 2, 3, 4, 5], 4), None);
        assert_eq!(decode_uint(&[1, 2, 3], 2), None);
        assert_eq!(decode_uint(&[1, 2, 3, 4, 5], 9), None);
    }

    #[test]
    fn option_header_round_trips_at_the_nibble_boundaries() {
        for delta in [0, 12, 13, 268, 269, 1000, MAX_EXTENDED] {
            for len in [0, 12, 13, 268, 269, MAX_EXTENDED] {
                let (hdr, n) = encode_option_header(delta, len).unwrap();
                let raw = decode_option_header(&hdr[..n]).ok().unwrap();
                assert_eq!(
                    (raw.delta as usize, raw.len, raw.header_len),
                    (delta, len, n)
                );
                // Every prefix of an extended header is truncated.
                for cut in 0..n {
                    assert!(matches!(
                        decode_option_header(&hdr[..cut]),
                        Err(RawOptionError::Truncated)
                    ));
                }
            }
        }
        assert!(encode_option_header(MAX_EXTENDED + 1, 0).is_none());
        assert!(encode_option_header(0, MAX_EXTENDED + 1).is_none());
    }

    #[test]
    fn nibble_15_is_reserved_in_both_fields() {
        assert!(matches!(
            decode_option_header(&[0xf0]),
            Err(RawOptionError::ReservedNibble)
        ));
        assert!(matches!(
            decode_option_header(&[0x0f]),
            Err(RawOptionError::ReservedNibble)
        ));
        assert!(matches!(
            decode_option_header(&[0xd0, 0]),
            Ok(RawOption { delta: 13, .. })
        ));
    }
}
