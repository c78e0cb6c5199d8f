//! Decimal text <-> `f64` without core's float formatting and parsing.
//!
//! `{}`/`{:e}` of an `f64` link core's Grisu/Dragon code and `str::parse::<f64>` its
//! Eisel-Lemire tables: together about 36 KB of a Cortex-M4 image. This module does both
//! directions with one small exact tool instead: a fixed-size big integer (1344 bits on
//! the stack, no heap) and a 64-bit quotient long division (about 2.4 KB of Cortex-M4
//! code for everything here). It uses no floating-point arithmetic at all (only
//! `to_bits`/`from_bits`), so it pulls in no soft-float routines and no 64-bit division
//! either (digits are peeled off with [`super::div10`]). Cost: a few 64-step long
//! divisions per conversion over numbers of a few limbs for everyday magnitudes, up to
//! about 40 limbs near the ends of the double range.
//!
//! Guarantees:
//! * [`parse`] is correctly rounded (IEEE round-half-to-even) for every input with at
//!   most 40 significant digits, whatever its exponent: results below half the smallest
//!   subnormal are `±0`, beyond `f64::MAX` (after rounding) `±inf`, as `str::parse` does.
//!   With more than 40 significant digits the first 40 are kept and the rest only count as
//!   "some non-zero digit follows"; the result is then still correctly rounded unless the
//!   input lies within one unit of its 40th digit of a halfway point between two doubles
//!   (where it may be one ulp off; no realistic input does). The grammar is that of
//!   `str::parse::<f64>` for numbers (`[+-]digits[.digits][(e|E)[+-]digits]`, digits may
//!   be missing on one side of the dot) without `inf`/`nan`, which callers handle where a
//!   format allows them.
//! * [`format`] writes the correctly rounded decimal of the value with the fewest
//!   significant digits from 15 to 17 (for subnormals, of fewer bits, from
//!   `floor((bits - 1) * log10(2))` up) that [`parse`] -- and so any correctly rounding
//!   parser -- reads back to the same `f64`, trailing zeros removed. 17 digits always read
//!   back, so every finite value round-trips. For normal numbers this is the shortest
//!   round-trip text whenever that has at most 15 digits (`0.1`, `1.5`, `-0.25`, `1e300`
//!   print as such), and nearly always otherwise too (a 16-digit form that is not the
//!   nearest 16-digit decimal can be missed, then 17 digits are printed: 5 in 20,000
//!   random bit patterns differ from `{:e}`'s shortest output).

use core::cmp::Ordering;

use super::{decimal_u64, div10, DECIMAL_MAX_LEN};

/// 42 limbs of 32 bits: the largest number the conversions build is below 2^1277 (twice
/// 2^64 times 2 * 10^364, when parsing 40 digits near the subnormal limit).
const LIMBS: usize = 42;

/// How many significant digits [`parse`] takes into account exactly.
const MAX_DIGITS: i32 = 40;

/// An unsigned big integer, little-endian 32-bit limbs; limbs at and above `len` are zero.
#[derive(Clone, Copy)]
struct Big {
    limbs: [u32; LIMBS],
    len: usize,
}

impl Big {
    fn new(v: u64) -> Self {
        let mut b = Big {
            limbs: [0; LIMBS],
            len: 2,
        };
        b.limbs[0] = v as u32;
        b.limbs[1] = (v >> 32) as u32;
        b.trim();
        b
    }

    fn get(&self, i: usize) -> u32 {
        self.limbs.get(i).copied().unwrap_or(0)
    }

    fn set(&mut self, i: usize, v: u32) {
        if let Some(l) = self.limbs.get_mut(i) {
            *l = v;
        }
    }

    fn trim(&mut self) {
        while self.len > 0 && self.get(self.len - 1) == 0 {
            self.len -= 1;
        }
    }

    /// The number of significant bits.
    fn bit_len(&self) -> i32 {
        match self.len {
            0 => 0,
            n => 32 * n as i32 - self.get(n - 1).leading_zeros() as i32,
        }
    }

    /// `self = self * 10 + d`.
    fn push_digit(&mut self, d: u8) {
        self.mul_small(10);
        let mut carry = u32::from(d);
        for l in self.limbs.iter_mut() {
            if carry == 0 {
                break;
            }
            let (sum, over) = l.overflowing_add(carry);
            *l = sum;
            carry = u32::from(over);
        }
        self.len = self.len.max(1);
        while self.len < LIMBS && self.get(self.len) != 0 {
            self.len += 1;
        }
    }

    fn is_zero(&self) -> bool {
        self.len == 0
    }

    /// `self *= m`. Results never exceed [`LIMBS`] here (see its documentation).
    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for l in self.limbs.iter_mut().take(self.len) {
            let p = u64::from(*l) * u64::from(m) + carry;
            *l = p as u32;
            carry = p >> 32;
        }
        if carry != 0 && self.len < LIMBS {
            self.set(self.len, carry as u32);
            self.len += 1;
        }
    }

    /// `self *= 10^n`.
    fn mul_pow10(&mut self, mut n: u32) {
        while n > 0 {
            let k = n.min(9);
            self.mul_small(10u32.pow(k));
            n -= k;
        }
    }

    /// `self <<= bits`.
    fn shl(&mut self, bits: u32) {
        if self.is_zero() {
            return;
        }
        let ls = (bits / 32) as usize;
        let bs = bits % 32;
        let new_len = (self.len + ls + 1).min(LIMBS);
        // Top down, so every limb is read before it is overwritten.
        for i in (0..new_len).rev() {
            let hi = if i >= ls { self.get(i - ls) << bs } else { 0 };
            let lo = if bs > 0 && i > ls {
                self.get(i - ls - 1) >> (32 - bs)
            } else {
                0
            };
            self.set(i, hi | lo);
        }
        self.len = new_len;
        self.trim();
    }

    fn shl1(&mut self) {
        let mut carry = 0u32;
        for l in self.limbs.iter_mut().take(self.len) {
            let next = *l >> 31;
            *l = (*l << 1) | carry;
            carry = next;
        }
        if carry != 0 && self.len < LIMBS {
            self.set(self.len, carry);
            self.len += 1;
        }
    }

    fn cmp(&self, other: &Big) -> Ordering {
        if self.len != other.len {
            return self.len.cmp(&other.len);
        }
        for i in (0..self.len).rev() {
            match self.get(i).cmp(&other.get(i)) {
                Ordering::Equal => {}
                unequal => return unequal,
            }
        }
        Ordering::Equal
    }

    /// `self -= other`, which must not exceed `self`.
    fn sub(&mut self, other: &Big) {
        let mut borrow = 0u64;
        for (i, l) in self.limbs.iter_mut().enumerate().take(self.len) {
            let o = u64::from(other.get(i)) + borrow;
            let cur = u64::from(*l);
            borrow = u64::from(cur < o);
            *l = cur.wrapping_sub(o) as u32;
        }
        self.trim();
    }
}

/// `floor(num / den)`, which must be below 2^64, and whether the division left a
/// remainder. Restoring binary long division; `num` and `den` are used up.
fn div(num: &mut Big, den: &mut Big) -> (u64, bool) {
    den.shl(64);
    let mut q = 0u64;
    for _ in 0..64 {
        num.shl1();
        q <<= 1;
        if num.cmp(den) != Ordering::Less {
            num.sub(den);
            q |= 1;
        }
    }
    (q, !num.is_zero())
}

/// The `f64` nearest to `w * 10^q` (`w` has `digits` significant digits), or to
/// `(w + 1/2) * 10^q` if `sticky` (some non-zero digit was cut off after `w`), ties to even.
fn to_f64(w: Big, digits: i32, sticky: bool, q: i32) -> f64 {
    if w.is_zero() {
        return 0.0;
    }
    // The value is in [10^(digits+q-1), 10^(digits+q)).
    let magnitude = digits.saturating_add(q);
    if magnitude > 310 {
        return f64::INFINITY;
    }
    if magnitude < -324 {
        // Below 10^-325, less than half the smallest subnormal (2^-1074 > 4.9e-324).
        return 0.0;
    }
    // floor(q * log2(10)) (exact for |q| < 1000), then an upper bound of floor(log2(x)):
    // the quotient x / 2^e below has 61 to 64 bits.
    let log2_pow10 = (q * 1_741_647) >> 19;
    let upper = w.bit_len() + log2_pow10;
    // Not below 2^-1076: bits under that only matter as "non-zero" for rounding.
    let e = (upper - 63).max(-1076);
    let mut num = w;
    let mut den = Big::new(1);
    if sticky {
        num.shl1();
        num.set(0, num.get(0) | 1);
        den.shl1();
    }
    if q >= 0 {
        num.mul_pow10(q.unsigned_abs());
    } else {
        den.mul_pow10(q.unsigned_abs());
    }
    if e >= 0 {
        den.shl(e.unsigned_abs());
    } else {
        num.shl(e.unsigned_abs());
    }
    let (quot, rest) = div(&mut num, &mut den);
    // Value = (quot + fraction) * 2^e, the fraction non-zero iff `rest`. Keep 53 bits (or
    // fewer for subnormals, whose last bit is worth 2^-1074) and round the others off.
    let top = 63 - quot.leading_zeros() as i32;
    let lsb = (top + e - 52).max(-1074);
    let shift = (lsb - e).clamp(1, 63) as u32;
    let mant = quot >> shift;
    let dropped = quot & ((1u64 << shift) - 1);
    let half = 1u64 << (shift - 1);
    let up = dropped > half || (dropped == half && (rest || mant & 1 == 1));
    // The exponent field goes in with the mantissa's implicit bit added on top, so a
    // mantissa that rounds up to 2^53 (or a subnormal one to 2^52) carries into it.
    let bits = (((lsb + 1074) as u64) << 52) + mant + u64::from(up);
    if bits >= f64::INFINITY.to_bits() {
        f64::INFINITY
    } else {
        f64::from_bits(bits)
    }
}

/// Parses a decimal number (see the module documentation); `None` if `s` does not match
/// the grammar. Out-of-range magnitudes give `±inf` or `±0`.
pub fn parse(s: &[u8]) -> Option<f64> {
    let (neg, mut rest) = match s.split_first() {
        Some((b'-', tail)) => (true, tail),
        Some((b'+', tail)) => (false, tail),
        _ => (false, s),
    };
    let mut w = Big::new(0);
    let mut kept = 0i32;
    let mut sticky = false;
    let mut exp = 0i32;
    let mut any_digit = false;
    let mut after_point = false;
    while let Some((&c, tail)) = rest.split_first() {
        if c == b'.' && !after_point {
            after_point = true;
        } else if c.is_ascii_digit() {
            any_digit = true;
            let d = c - b'0';
            if kept < MAX_DIGITS && (!w.is_zero() || d != 0) {
                w.push_digit(d);
                kept += 1;
                if after_point {
                    exp = exp.saturating_sub(1);
                }
            } else if w.is_zero() {
                // A leading zero.
                if after_point {
                    exp = exp.saturating_sub(1);
                }
            } else {
                // A digit beyond those kept.
                sticky |= d != 0;
                if !after_point {
                    exp = exp.saturating_add(1);
                }
            }
        } else {
            break;
        }
        rest = tail;
    }
    if !any_digit {
        return None;
    }
    if let Some((b'e' | b'E', tail)) = rest.split_first() {
        let (exp_neg, digits) = match tail.split_first() {
            Some((b'-', t)) => (true, t),
            Some((b'+', t)) => (false, t),
            _ => (false, tail),
        };
        if digits.is_empty() {
            return None;
        }
        let mut e = 0i32;
        for &c in digits {
            if !c.is_ascii_digit() {
                return None;
            }
            // Saturates far beyond any exponent that still matters.
            e = (e * 10 + i32::from(c - b'0')).min(1_000_000);
        }
        exp = if exp_neg {
            exp.saturating_sub(e)
        } else {
            exp.saturating_add(e)
        };
        rest = &[];
    }
    if !rest.is_empty() {
        return None;
    }
    let v = to_f64(w, kept, sticky, exp);
    Some(if neg { -v } else { v })
}

/// How [`format`] spells a finite number.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Notation {
    /// Positional, never with an exponent (`100`, `0.000015`), as `{}` prints an `f64`;
    /// falls back to exponent form (without `+`) if that would exceed [`MAX_LEN`].
    Plain,
    /// `d[.ddd]e<exp>` as `{:e}` prints it, with `plus` a `+` before a non-negative
    /// exponent (C's style: `1e+20`).
    Exponent { plus: bool },
}

/// The longest text [`format`] produces.
pub const MAX_LEN: usize = 32;

/// The text of a number, see [`format`].
pub struct FloatText {
    buf: [u8; MAX_LEN],
    len: usize,
}

impl FloatText {
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if let Some(slot) = self.buf.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
    }

    fn zeros(&mut self, n: usize) {
        for _ in 0..n {
            self.push(b"0");
        }
    }
}

/// Splits a finite, non-zero `|v|` into `digits * 10^exp` (see the module documentation
/// for which digits); `digits` has no trailing zeros.
fn to_decimal(v: f64) -> (u64, i32) {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7FF) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (m, e2) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | (1u64 << 52), biased - 1075)
    };
    // floor(log10(2^b)) for b = floor(log2(|v|)) (exact for |b| < 1650); then
    // 10^k <= |v| < 10^(k+2), so |v| * 10^(17-k) is in [10^17, 10^19).
    let b = e2 + 63 - m.leading_zeros() as i32;
    let k = (b * 78_913) >> 18;
    let s = 17 - k;
    let mut num = Big::new(m);
    let mut den = Big::new(1);
    if s >= 0 {
        num.mul_pow10(s.unsigned_abs());
    } else {
        den.mul_pow10(s.unsigned_abs());
    }
    if e2 >= 0 {
        num.shl(e2.unsigned_abs());
    } else {
        den.shl(e2.unsigned_abs());
    }
    // |v| = (q + fraction) * 10^-s, the fraction non-zero iff `rest`.
    let (q, rest) = div(&mut num, &mut den);
    let have = if q >= 1_000_000_000_000_000_000 {
        19
    } else {
        18
    };
    let mut chosen = (q, -s);
    // A double of p significant bits (53, fewer for subnormals) survives a round trip
    // through floor((p-1) * log10(2)) decimal digits at least: 15 for normal numbers.
    let precision = 64 - m.leading_zeros() as i32;
    let shortest_guess = (((precision - 1) * 78_913) >> 18).max(1);
    for want in shortest_guess..=17 {
        // Round q to `want` digits: drop the others, the first dropped one decides,
        // ties (nothing non-zero after it) go to even.
        let mut t = q;
        let mut low_nonzero = rest;
        let mut first_dropped = 0;
        for i in want..have {
            let (next, d) = div10(t);
            if i + 1 < have {
                low_nonzero |= d != 0;
            }
            first_dropped = d;
            t = next;
        }
        let up = first_dropped > 5 || (first_dropped == 5 && (low_nonzero || t & 1 == 1));
        let t = t + u64::from(up);
        let exp = have - want - s;
        chosen = (t, exp);
        if want == 17 || to_f64(Big::new(t), want, false, exp).to_bits() == v.abs().to_bits() {
            break;
        }
    }
    let (mut t, mut exp) = chosen;
    loop {
        let (next, d) = div10(t);
        if d != 0 || t == 0 {
            break;
        }
        t = next;
        exp += 1;
    }
    (t, exp)
}

/// Writes `v` in `notation` as the decimal described in the module documentation: `0`
/// (`-0` for negative zero), `nan`, `inf`, `-inf`.
pub fn format(v: f64, notation: Notation) -> FloatText {
    let mut out = FloatText {
        buf: [0; MAX_LEN],
        len: 0,
    };
    if v.is_nan() {
        out.push(b"nan");
        return out;
    }
    if v.is_sign_negative() {
        out.push(b"-");
    }
    if v.is_infinite() {
        out.push(b"inf");
        return out;
    }
    if v == 0.0 {
        out.push(b"0");
        return out;
    }
    let (t, exp) = to_decimal(v);
    let mut tmp = [0u8; DECIMAL_MAX_LEN];
    let digits = decimal_u64(t, &mut tmp);
    let n = digits.len();
    // Digits before the decimal point in positional form (<= 0: a `0.000` prefix).
    let int_digits = n as i32 + exp;
    let plain_len = if exp >= 0 {
        int_digits
    } else if int_digits > 0 {
        n as i32 + 1
    } else {
        n as i32 + 2 - int_digits
    };
    let plus = match notation {
        Notation::Plain if plain_len as usize + out.len <= MAX_LEN => {
            if exp >= 0 {
                out.push(digits);
                out.zeros(exp.unsigned_abs() as usize);
            } else if int_digits > 0 {
                let point = int_digits.unsigned_abs() as usize;
                out.push(digits.get(..point).unwrap_or(&[]));
                out.push(b".");
                out.push(digits.get(point..).unwrap_or(&[]));
            } else {
                out.push(b"0.");
                out.zeros(int_digits.unsigned_abs() as usize);
                out.push(digits);
            }
            return out;
        }
        Notation::Plain => false,
        Notation::Exponent { plus } => plus,
    };
    let others = digits.get(1..).unwrap_or(&[]);
    out.push(digits.get(..1).unwrap_or(&[]));
    if !others.is_empty() {
        out.push(b".");
        out.push(others);
    }
    out.push(b"e");
    let e10 = int_digits - 1;
    if e10 < 0 {
        out.push(b"-");
    } else if plus {
        out.push(b"+");
    }
    let mut tmp = [0u8; DECIMAL_MAX_LEN];
    out.push(decimal_u64(u64::from(e10.unsigned_abs()), &mut tmp));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    fn fmt(v: f64, notation: Notation) -> String {
        String::from_utf8(format(v, notation).as_bytes().to_vec()).unwrap()
    }

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    /// Every finite value prints in both notations as text that both parsers read back.
    fn check_roundtrip(v: f64) {
        for notation in [Notation::Plain, Notation::Exponent { plus: true }] {
            let s = fmt(v, notation);
            let std_back: f64 = s.parse().unwrap();
            assert_eq!(std_back.to_bits(), v.to_bits(), "{v:e} -> {s}");
            let back = parse(s.as_bytes()).unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{v:e} -> {s}");
        }
    }

    #[test]
    fn log_approximations() {
        for q in -400i32..=400 {
            let exact = (f64::from(q) * 10f64.log2()).floor() as i32;
            assert_eq!((q * 1_741_647) >> 19, exact, "{q}");
        }
        for b in -1100i32..=1100 {
            let exact = (f64::from(b) * 2f64.log10()).floor() as i32;
            assert_eq!((b * 78_913) >> 18, exact, "{b}");
        }
    }

    #[test]
    fn spellings() {
        let plain: &[(f64, &str)] = &[
            (1.0, "1"),
            (1.5, "1.5"),
            (-0.25, "-0.25"),
            (0.1, "0.1"),
            (100.0, "100"),
            (0.0, "0"),
            (-0.0, "-0"),
            (123456.789, "123456.789"),
            (1e-7, "0.0000001"),
            (0.1 + 0.2, "0.30000000000000004"),
            (9007199254740993.0, "9007199254740992"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1e300, "1e300"), // too long for positional form
        ];
        for &(v, s) in plain {
            assert_eq!(fmt(v, Notation::Plain), s, "{v:e}");
        }
        let sci: &[(f64, &str, &str)] = &[
            (1e300, "1e300", "1e+300"),
            (1.5e-7, "1.5e-7", "1.5e-7"),
            (-2111e18, "-2.111e21", "-2.111e+21"),
            (
                f64::MAX,
                "1.7976931348623157e308",
                "1.7976931348623157e+308",
            ),
            (5e-324, "5e-324", "5e-324"),
            (1.0, "1e0", "1e+0"),
        ];
        for &(v, s, s_plus) in sci {
            assert_eq!(fmt(v, Notation::Exponent { plus: false }), s);
            assert_eq!(fmt(v, Notation::Exponent { plus: true }), s_plus);
        }
    }

    #[test]
    fn roundtrip_random_bits() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut differs = 0;
        let n = 20_000;
        for i in 0..n {
            let mut bits = rng.next();
            if i % 4 == 0 {
                // Subnormals and the smallest normals.
                bits &= 0x801F_FFFF_FFFF_FFFF;
            }
            let v = f64::from_bits(bits);
            if !v.is_finite() {
                continue;
            }
            check_roundtrip(v);
            // Not always the shortest (see the module documentation), but nearly.
            let ours = fmt(v, Notation::Exponent { plus: false });
            let std = std::format!("{v:e}");
            assert!(ours.len() <= std.len() + 1, "{ours} {std}");
            differs += usize::from(ours != std);
        }
        assert!(differs < n / 1000, "{differs} differ from std's shortest");
    }

    #[test]
    fn roundtrip_special_values() {
        let mut values: Vec<f64> = [
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            1e-323,
            f64::from_bits(0x000F_FFFF_FFFF_FFFF),
            2.2250738585072014e-308,
            9007199254740992.0,
            9007199254740993.0,
            4503599627370496.5,
            0.1,
            0.2,
            0.3,
            1.0 / 3.0,
            2.0 / 3.0,
            std::f64::consts::PI,
            std::f64::consts::E,
        ]
        .to_vec();
        // Powers of ten and two, and their neighbours.
        for k in -325..=308 {
            let p: f64 = std::format!("1e{k}").parse().unwrap();
            values.push(p);
        }
        for k in -1074..=1023 {
            values.push(2f64.powi(k));
        }
        for v in values.clone() {
            values.push(f64::from_bits(v.to_bits() + 1));
            values.push(f64::from_bits(v.to_bits().saturating_sub(1)));
        }
        for v in values {
            if v.is_finite() {
                check_roundtrip(v);
                check_roundtrip(-v);
            }
        }
        // Every power of ten in range prints as such.
        for k in -300..=300 {
            let p: f64 = std::format!("1e{k}").parse().unwrap();
            assert_eq!(
                fmt(p, Notation::Exponent { plus: false }),
                std::format!("1e{k}")
            );
        }
    }

    #[test]
    fn parse_matches_std_random() {
        let mut rng = Rng(0x1234_5678_9ABC_DEF1);
        for i in 0..100_000u32 {
            let r = rng.next();
            let ndigits = 1 + (r % 19) as u32;
            let mut w = rng.next() % 10u64.pow(ndigits);
            if i % 3 == 0 {
                // Also digit strings with many zeros/nines.
                w = w / 1000 * 1000 + if r & 1 == 1 { 999 } else { 1 };
            }
            let exp = ((rng.next() % 700) as i32) - 350;
            let s = std::format!("{w}e{exp}");
            let ours = parse(s.as_bytes()).unwrap();
            let std: f64 = s.parse().unwrap();
            assert_eq!(ours.to_bits(), std.to_bits(), "{s}");
        }
    }

    #[test]
    fn parse_halfway_cases() {
        let mut rng = Rng(0x0DDB_A11C_0FFE_E123);
        let mut cases: Vec<String> = Vec::new();
        // Integers: midpoints between consecutive doubles above 2^53.
        for _ in 0..20_000 {
            let shift = 1 + rng.next() % 10;
            let m = (rng.next() >> 11) | (1 << 52);
            let mid = (2 * m + 1) << (shift - 1);
            if mid < 10_000_000_000_000_000_000 {
                for delta in [0i64, -1, 1] {
                    cases.push((mid as i64 + delta).to_string());
                    cases.push(std::format!("{}e5", mid as i64 + delta));
                }
            }
        }
        // Midpoints with a fraction: (2m+1) / 2^(k+1) = (2m+1) * 5^(k+1) / 10^(k+1).
        for k in 0..4u32 {
            for _ in 0..5000 {
                let m = (rng.next() >> 11) | (1 << 52);
                let Some(digits) = (2 * m + 1).checked_mul(5u64.pow(k + 1)) else {
                    continue;
                };
                if digits < 10_000_000_000_000_000_000 {
                    cases.push(std::format!("{}e-{}", digits, k + 1));
                    cases.push(std::format!("{}e-{}", digits + 1, k + 1));
                    cases.push(std::format!("{}e-{}", digits - 1, k + 1));
                }
            }
        }
        // Halfway between the two largest doubles, and between 0 and the smallest.
        cases.push("1.7976931348623158e308".into());
        cases.push("1.797693134862315807e308".into());
        cases.push("1.797693134862315808e308".into());
        cases.push("2.4703282292062327e-324".into());
        cases.push("2.4703282292062328e-324".into());
        cases.push("2.47032822920623272088e-324".into());
        for s in cases {
            let ours = parse(s.as_bytes()).unwrap();
            let std: f64 = s.parse().unwrap();
            assert_eq!(ours.to_bits(), std.to_bits(), "{s}");
        }
    }

    #[test]
    fn parse_long_inputs() {
        let mut rng = Rng(42);
        for _ in 0..20_000 {
            let mut s = String::new();
            let n = 20 + rng.next() % 40;
            for _ in 0..n {
                s.push(char::from(b'0' + (rng.next() % 10) as u8));
            }
            let point = (rng.next() % n) as usize;
            s.insert(point, '.');
            let exp = (rng.next() % 640) as i32 - 340;
            s.push_str(&std::format!("e{exp}"));
            let ours = parse(s.as_bytes()).unwrap();
            let std: f64 = s.parse().unwrap();
            assert_eq!(ours.to_bits(), std.to_bits(), "{s}");
        }
    }

    #[test]
    fn parse_grammar() {
        let ok: &[(&str, f64)] = &[
            ("0", 0.0),
            ("-0", -0.0),
            ("+1.5", 1.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("000.000100e+2", 0.01),
            ("1E3", 1000.0),
            ("1e-400", 0.0),
            ("-1e-400", -0.0),
            ("1e400", f64::INFINITY),
            ("-1e99999999999999", f64::NEG_INFINITY),
            ("0e99999999999", 0.0),
            ("1.7976931348623157e308", f64::MAX),
            ("1.7976931348623159e308", f64::INFINITY),
            ("4.9e-324", 5e-324),
            ("2e-324", 0.0),
            ("3e-324", 5e-324),
            ("18446744073709551615", 18446744073709551615.0),
            ("123456789012345678901234567890", 1.2345678901234568e29),
        ];
        for &(s, v) in ok {
            let got = parse(s.as_bytes()).unwrap();
            assert_eq!(got.to_bits(), v.to_bits(), "{s}");
            let std: f64 = s.parse().unwrap();
            assert_eq!(got.to_bits(), std.to_bits(), "{s}");
        }
        for s in [
            "", "-", "+", ".", "-.", "e5", ".e5", "1e", "1e+", "1e-", "1.2.3", "1e5.5", "1x", " 1",
            "1 ", "inf", "nan", "--1", "+-1", "0x10", "1e+-5", "1_000",
        ] {
            assert_eq!(parse(s.as_bytes()), None, "{s}");
            assert!(s.parse::<f64>().is_err() || s == "inf" || s == "nan", "{s}");
        }
    }
}
