//! Payload formats.
pub mod cbor;
pub mod decimal;
pub mod fbits;
pub mod format;
// The fuzz bodies exercise every decoder: built when all formats are.
#[cfg(all(
    any(test, feature = "fuzzing"),
    feature = "plaintext",
    feature = "opaque",
    feature = "tlv",
    feature = "cbor",
    feature = "senml-cbor",
    feature = "senml-json",
    feature = "lwm2m-cbor"
))]
pub mod fuzz;
pub mod link_format;
pub mod lwm2m_cbor;
pub mod opaque;
pub mod senml_cbor;
pub mod senml_json;
pub mod text;
pub mod tlv;
pub mod value;

/// The longest decimal form of a 64-bit integer: the 20 digits of `u64::MAX`, or a sign
/// and the 19 digits of `i64::MIN`.
pub const DECIMAL_MAX_LEN: usize = 20;

/// `v / 10` and `v % 10` with 32-bit operations only: Cortex-M has a 32-bit hardware
/// divider, whereas a 64-bit division is a library routine of about 1 KB.
pub fn div10(v: u64) -> (u64, u8) {
    // Most numbers written are small (path IDs, lengths): one 32-bit division.
    if let Ok(small) = u32::try_from(v) {
        return (u64::from(small / 10), (small % 10) as u8);
    }
    let mut q = 0u64;
    let mut r = 0u32;
    // Long division in 16-bit limbs: `r < 10`, so `(r << 16) | limb` fits in 32 bits.
    for shift in [48u32, 32, 16, 0] {
        let cur = (r << 16) | ((v >> shift) as u32 & 0xFFFF);
        q |= u64::from(cur / 10) << shift;
        r = cur % 10;
    }
    (q, r as u8)
}

/// Formats `value` in decimal, without allocating: the digits are written at the end of
/// `out` and returned as a slice of it.
pub fn decimal_u64(value: u64, out: &mut [u8; DECIMAL_MAX_LEN]) -> &[u8] {
    let mut start = DECIMAL_MAX_LEN;
    let mut rest = value;
    // At most 20 iterations: `u64::MAX` has 20 digits.
    while start > 0 {
        start -= 1;
        let (q, r) = div10(rest);
        out[start] = b'0' + r;
        rest = q;
        if rest == 0 {
            break;
        }
    }
    out.get(start..).unwrap_or(&[])
}

/// Formats `value` in decimal with a leading `-` when negative; see [`decimal_u64`].
pub fn decimal_i64(value: i64, out: &mut [u8; DECIMAL_MAX_LEN]) -> &[u8] {
    let digits = decimal_u64(value.unsigned_abs(), out).len();
    // `i64::MIN` has 19 digits, so there is always room for the sign.
    let start = DECIMAL_MAX_LEN.saturating_sub(digits + usize::from(value < 0));
    if value < 0 {
        if let Some(b) = out.get_mut(start) {
            *b = b'-';
        }
    }
    out.get(start..).unwrap_or(&[])
}

#[cfg(test)]
mod decimal_tests {
    use super::*;

    #[test]
    fn unsigned_decimal_matches_std() {
        let mut out = [0u8; DECIMAL_MAX_LEN];
        let small = [0, 1, 9, 10, 99, 100, 65535, 86400];
        let large = [u64::from(u32::MAX), u64::MAX - 1, u64::MAX];
        for v in small.into_iter().chain(large) {
            assert_eq!(decimal_u64(v, &mut out), v.to_string().as_bytes());
        }
    }

    #[test]
    fn div10_matches_std() {
        for v in [
            0,
            9,
            10,
            65_535,
            655_359,
            u64::from(u32::MAX) * 10 + 9,
            u64::MAX,
            u64::MAX - 5,
        ] {
            assert_eq!(div10(v), (v / 10, (v % 10) as u8), "{v}");
        }
    }

    #[test]
    fn signed_decimal_matches_std() {
        let mut out = [0u8; DECIMAL_MAX_LEN];
        for v in [0, 1, -1, -10, 42, -65536, i64::MAX, i64::MIN, i64::MIN + 1] {
            assert_eq!(decimal_i64(v, &mut out), v.to_string().as_bytes());
        }
    }
}
