//! Exact conversions between IEEE 754 binary16/32/64 and integers done on the bit
//! patterns. The Cortex-M4F FPU is single precision only, so every `f64` operation
//! (even `v as f32` or `a == b`) is a soft-float library call; these helpers keep the
//! payload codecs free of them. Each one is exact: it either gives the mathematically
//! identical value or reports that there is none.

const F64_MANT_BITS: u32 = 52;
const F64_MANT_MASK: u64 = (1 << F64_MANT_BITS) - 1;
const F64_EXP_MAX: u64 = 0x7FF;
const F64_BIAS: i32 = 1023;

/// Sign, biased exponent and mantissa fields of `v`.
fn split(v: f64) -> (bool, i32, u64) {
    let bits = v.to_bits();
    (
        bits >> 63 != 0,
        ((bits >> F64_MANT_BITS) & F64_EXP_MAX) as i32,
        bits & F64_MANT_MASK,
    )
}

fn join(negative: bool, biased_exp: u64, mant: u64) -> f64 {
    f64::from_bits(
        (u64::from(negative) << 63) | (biased_exp << F64_MANT_BITS) | (mant & F64_MANT_MASK),
    )
}

/// The exact half-precision encoding of `v`, if there is one (NaN gives the canonical
/// quiet NaN `0x7E00`).
pub fn f64_to_f16_exact(v: f64) -> Option<u16> {
    let (neg, e, m) = split(v);
    let sign = if neg { 0x8000u16 } else { 0 };
    match (e, m) {
        (0x7FF, 0) => return Some(sign | 0x7C00),
        (0x7FF, _) => return Some(0x7E00),
        (0, 0) => return Some(sign),
        (0, _) => return None, // f64 subnormals are far below the f16 range
        _ => {}
    }
    let exp = e - F64_BIAS;
    if (-14..=15).contains(&exp) {
        // Normal half: 10 mantissa bits, the other 42 must be zero.
        return (m & ((1 << 42) - 1) == 0)
            .then(|| sign | (((exp + 15) as u16) << 10) | ((m >> 42) as u16));
    }
    if (-24..-14).contains(&exp) {
        // Subnormal half: value = k * 2^-24 with k < 1024.
        let full = m | (1 << F64_MANT_BITS);
        let shift = (28 - exp) as u32; // 43..=52
        return (full & ((1u64 << shift) - 1) == 0).then(|| sign | ((full >> shift) as u16));
    }
    None
}

/// The bits of the single-precision float equal to `v`, if there is one (not for NaN,
/// which [`f64_to_f16_exact`] always takes).
pub fn f64_to_f32_exact(v: f64) -> Option<u32> {
    let (neg, e, m) = split(v);
    let sign = u32::from(neg) << 31;
    match (e, m) {
        (0x7FF, 0) => return Some(sign | 0x7F80_0000),
        (0x7FF, _) => return None,
        (0, 0) => return Some(sign),
        (0, _) => return None,
        _ => {}
    }
    let exp = e - F64_BIAS;
    if (-126..=127).contains(&exp) {
        // Normal single: 23 mantissa bits, the other 29 must be zero.
        return (m & ((1 << 29) - 1) == 0)
            .then(|| sign | (((exp + 127) as u32) << 23) | ((m >> 29) as u32));
    }
    if (-149..-126).contains(&exp) {
        // Subnormal single: value = k * 2^-149 with k < 2^23.
        let full = m | (1 << F64_MANT_BITS);
        let shift = (-97 - exp) as u32; // 30..=52
        return (full & ((1u64 << shift) - 1) == 0).then(|| sign | ((full >> shift) as u32));
    }
    None
}

/// `2^exp * (1 + frac / 2^bits)` for a subnormal input: `k * 2^min_exp` with `0 < k < 2^bits`.
fn from_subnormal(neg: bool, k: u64, min_exp: i32) -> f64 {
    let top = 63 - k.leading_zeros() as i32; // position of the leading one
    let mant = (k << (F64_MANT_BITS as i32 - top)) & F64_MANT_MASK;
    join(neg, (top + min_exp + F64_BIAS) as u64, mant)
}

/// The value of a half-precision float (RFC 8949 Appendix D); any NaN gives a quiet NaN.
pub fn f16_to_f64(h: u16) -> f64 {
    let neg = h & 0x8000 != 0;
    let exp = i32::from((h >> 10) & 0x1F);
    let mant = u64::from(h & 0x3FF);
    match (exp, mant) {
        (0, 0) => join(neg, 0, 0),
        (0, k) => from_subnormal(neg, k, -24),
        (31, 0) => join(neg, F64_EXP_MAX, 0),
        (31, _) => join(neg, F64_EXP_MAX, 1 << 51),
        _ => join(neg, (exp - 15 + F64_BIAS) as u64, mant << 42),
    }
}

/// The value of a single-precision float given by its bits (NaN payloads are kept and
/// quieted, as a hardware conversion does).
pub fn f32_to_f64(bits: u32) -> f64 {
    let neg = bits >> 31 != 0;
    let exp = ((bits >> 23) & 0xFF) as i32;
    let mant = u64::from(bits & 0x7F_FFFF);
    match (exp, mant) {
        (0, 0) => join(neg, 0, 0),
        (0, k) => from_subnormal(neg, k, -149),
        (0xFF, 0) => join(neg, F64_EXP_MAX, 0),
        (0xFF, m) => join(neg, F64_EXP_MAX, (1 << 51) | (m << 29)),
        _ => join(neg, (exp - 127 + F64_BIAS) as u64, mant << 29),
    }
}

/// `|v|` as an integer if `v` is finite and integral and `|v| < 2^64`; with the sign.
fn integral_magnitude(v: f64) -> Option<(bool, u64)> {
    let (neg, e, m) = split(v);
    if e == 0x7FF {
        return None;
    }
    if e == 0 {
        // Zero, or a subnormal (never integral).
        return (m == 0).then_some((neg, 0));
    }
    let exp = e - F64_BIAS;
    if exp < 0 {
        return None; // 0 < |v| < 1
    }
    let full = m | (1 << F64_MANT_BITS);
    if exp <= 52 {
        let drop = (52 - exp) as u32;
        return (full & ((1u64 << drop) - 1) == 0).then_some((neg, full >> drop));
    }
    // 2^53 <= |v|: always integral; fits in u64 while exp <= 63.
    (exp <= 63).then(|| (neg, full << (exp - 52) as u32))
}

/// `d` as i64 if it is finite, integral and within range.
pub fn f64_to_i64(d: f64) -> Option<i64> {
    let (neg, mag) = integral_magnitude(d)?;
    if neg {
        // -2^63 (i64::MIN) is the one magnitude that only fits when negative.
        0i64.checked_sub_unsigned(mag)
            .or((mag == 1 << 63).then_some(i64::MIN))
    } else {
        i64::try_from(mag).ok()
    }
}

/// `d` as u64 if it is finite, integral and within range (`-0.0` gives 0).
pub fn f64_to_u64(d: f64) -> Option<u64> {
    match integral_magnitude(d)? {
        (_, 0) => Some(0),
        (true, _) => None,
        (false, mag) => Some(mag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> impl Iterator<Item = f64> {
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            1.5,
            2.25,
            65504.0,
            65505.0,
            65536.0,
            1.0 / 3.0,
            1e-10,
            5.960_464_477_539_063e-8,
            6.103_515_625e-5,
            3.4028234663852886e38,
            3.4028235677973366e38,
            1.401298464324817e-45,
            7.006492321624085e-46,
            1.1754942106924411e-38,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            5e-324,
            9.223_372_036_854_776e18,
            -9.223_372_036_854_776e18,
            1.8446744073709552e19,
            9007199254740993.0,
            4503599627370495.5,
            123456789.0,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut x = 0x1234_5678_9ABC_DEF0u64;
        let random = (0..20_000).map(move |_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            f64::from_bits(x)
        });
        specials.into_iter().chain(random)
    }

    #[test]
    fn f32_exactness_matches_hardware() {
        for v in samples() {
            if v.is_nan() {
                continue;
            }
            let f = v as f32;
            let want = (f64::from(f) == v).then(|| f.to_bits());
            assert_eq!(f64_to_f32_exact(v), want, "{v:e}");
            assert_eq!(
                f32_to_f64(f.to_bits()).to_bits(),
                f64::from(f).to_bits(),
                "{f:e}"
            );
        }
        assert!(f32_to_f64(f32::NAN.to_bits()).is_nan());
        for bits in (0..=u32::MAX).step_by(65_537) {
            let f = f32::from_bits(bits);
            if !f.is_nan() {
                assert_eq!(
                    f32_to_f64(bits).to_bits(),
                    f64::from(f).to_bits(),
                    "{bits:#x}"
                );
            }
        }
    }

    #[test]
    fn f16_round_trip() {
        for h in 0..=u16::MAX {
            let v = f16_to_f64(h);
            if (h >> 10) & 0x1F == 0x1F && h & 0x3FF != 0 {
                assert!(v.is_nan());
                assert_eq!(f64_to_f16_exact(v), Some(0x7E00));
            } else {
                assert_eq!(f64_to_f16_exact(v), Some(h), "{h:#x} {v:e}");
            }
        }
        for v in samples().filter(|v| !v.is_nan()) {
            if let Some(h) = f64_to_f16_exact(v) {
                assert_eq!(f16_to_f64(h).to_bits(), v.to_bits(), "{v:e}");
            }
        }
    }

    #[test]
    fn integer_conversions_match_casts() {
        for v in samples() {
            // The reference: the float-arithmetic version this module replaces.
            let i = ((-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&v)
                && (v as i64) as f64 == v)
                .then_some(v as i64);
            assert_eq!(f64_to_i64(v), i, "{v:e}");
            let u = ((0.0..1.844_674_407_370_955_2e19).contains(&v) && (v as u64) as f64 == v)
                .then_some(v as u64);
            assert_eq!(f64_to_u64(v), u, "{v:e}");
        }
        assert_eq!(f64_to_i64(-9.223_372_036_854_776e18), Some(i64::MIN));
        assert_eq!(f64_to_u64(-0.0), Some(0));
        assert_eq!(f64_to_u64(f64::NAN), None);
    }
}
