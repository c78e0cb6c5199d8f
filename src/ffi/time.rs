//! `anj/time.h`: strongly typed durations and points in time, all counted in signed 64-bit
//! microseconds.
//!
//! Anjay Lite implements most of these helpers as `static inline` functions in its header;
//! here every one of them is an exported function with the same signature, so C code that
//! calls them compiles unchanged (the hand-written `include/anj/time.h` only adds the
//! `ANJ_TIME_*_AS_STRING` macros).
//!
//! Semantics, shared by all helpers:
//! * `i64::MAX` microseconds (`ANJ_TIME_US_MAX`) is the "invalid" sentinel, which also
//!   reads as "infinitely far away". Any arithmetic with an invalid operand yields invalid,
//!   and every comparison involving an invalid value is `false` (even `eq(INVALID, INVALID)`).
//! * Anjay Lite leaves overflow undefined; we saturate instead, so a result too large to
//!   represent becomes the invalid/infinite sentinel and one too small becomes `i64::MIN`.
//!   Nothing here can panic.
//! * Float conversions truncate toward zero; NaN and infinities give invalid.

use core::ffi::{c_char, CStr};

/// Unit of a scalar time value. Order and values match Anjay Lite.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum anj_time_unit_t {
    ANJ_TIME_UNIT_DAY,
    ANJ_TIME_UNIT_HOUR,
    ANJ_TIME_UNIT_MIN,
    ANJ_TIME_UNIT_S,
    ANJ_TIME_UNIT_MS,
    ANJ_TIME_UNIT_US,
}

impl anj_time_unit_t {
    /// Number of microseconds in one of this unit.
    pub const fn micros(self) -> i64 {
        match self {
            anj_time_unit_t::ANJ_TIME_UNIT_DAY => 86_400_000_000,
            anj_time_unit_t::ANJ_TIME_UNIT_HOUR => 3_600_000_000,
            anj_time_unit_t::ANJ_TIME_UNIT_MIN => 60_000_000,
            anj_time_unit_t::ANJ_TIME_UNIT_S => 1_000_000,
            anj_time_unit_t::ANJ_TIME_UNIT_MS => 1_000,
            anj_time_unit_t::ANJ_TIME_UNIT_US => 1,
        }
    }
}

/// Largest microsecond count; used as the "invalid" (infinite) sentinel.
pub const ANJ_TIME_US_MAX: i64 = i64::MAX;

/// Size of the buffer `ANJ_TIME_*_AS_STRING` needs: the longest `int64_t` plus a NUL.
pub const ANJ_TIME_DURATION_AS_STRING_MAX_LEN: usize = 21;

/// A relative span of time in microseconds (may be negative).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct anj_time_duration_t {
    /// Microseconds.
    pub us: i64,
}

/// A point on the monotonic clock (time since an unspecified epoch, e.g. boot).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct anj_time_monotonic_t {
    /// Time elapsed since the monotonic epoch.
    pub since_monotonic_epoch: anj_time_duration_t,
}

/// A point in calendar time, as time elapsed since 1970-01-01 00:00:00 UTC.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct anj_time_real_t {
    /// Time elapsed since the Unix epoch.
    pub since_real_epoch: anj_time_duration_t,
}

/// The zero duration.
#[no_mangle]
pub static ANJ_TIME_DURATION_ZERO: anj_time_duration_t = anj_time_duration_t::ZERO;
/// The Unix epoch.
#[no_mangle]
pub static ANJ_TIME_REAL_ZERO: anj_time_real_t = anj_time_real_t {
    since_real_epoch: anj_time_duration_t::ZERO,
};
/// The monotonic epoch.
#[no_mangle]
pub static ANJ_TIME_MONOTONIC_ZERO: anj_time_monotonic_t = anj_time_monotonic_t {
    since_monotonic_epoch: anj_time_duration_t::ZERO,
};
/// The invalid (infinite) duration.
#[no_mangle]
pub static ANJ_TIME_DURATION_INVALID: anj_time_duration_t = anj_time_duration_t::INVALID;
/// The invalid (infinitely late) real time.
#[no_mangle]
pub static ANJ_TIME_REAL_INVALID: anj_time_real_t = anj_time_real_t {
    since_real_epoch: anj_time_duration_t::INVALID,
};
/// The invalid (infinitely late) monotonic time.
#[no_mangle]
pub static ANJ_TIME_MONOTONIC_INVALID: anj_time_monotonic_t = anj_time_monotonic_t::INVALID;

// ---------------------------------------------------------------------------------------
// Core-side helpers (safe Rust API used by the rest of the crate)
// ---------------------------------------------------------------------------------------

impl anj_time_duration_t {
    /// cbindgen:ignore
    pub const ZERO: Self = Self { us: 0 };
    /// cbindgen:ignore
    pub const INVALID: Self = Self {
        us: ANJ_TIME_US_MAX,
    };

    pub const fn from_us(us: i64) -> Self {
        Self { us }
    }
    /// Milliseconds; saturates to [`Self::INVALID`] / `i64::MIN` on overflow.
    pub const fn from_ms(ms: i64) -> Self {
        Self::new(ms, anj_time_unit_t::ANJ_TIME_UNIT_MS)
    }
    /// Seconds; saturates like [`Self::from_ms`].
    pub const fn from_secs(s: i64) -> Self {
        Self::new(s, anj_time_unit_t::ANJ_TIME_UNIT_S)
    }

    /// `scalar` in `unit`. An input of `i64::MAX` is taken as "invalid" (as in Anjay
    /// Lite); results outside the range saturate.
    pub const fn new(scalar: i64, unit: anj_time_unit_t) -> Self {
        if scalar == ANJ_TIME_US_MAX {
            return Self::INVALID;
        }
        Self {
            us: scalar.saturating_mul(unit.micros()),
        }
    }

    /// `scalar` in `unit`, truncated toward zero to whole microseconds.
    pub fn fnew(scalar: f64, unit: anj_time_unit_t) -> Self {
        if !scalar.is_finite() {
            return Self::INVALID;
        }
        // `as` saturates, so out-of-range values become INVALID / i64::MIN.
        Self {
            us: (scalar * unit.micros() as f64) as i64,
        }
    }

    pub const fn is_valid(self) -> bool {
        self.us != ANJ_TIME_US_MAX
    }

    /// Whole `unit`s in this duration, truncated toward zero.
    pub const fn to_scalar(self, unit: anj_time_unit_t) -> i64 {
        self.us / unit.micros()
    }

    pub fn to_fscalar(self, unit: anj_time_unit_t) -> f64 {
        self.us as f64 / unit.micros() as f64
    }

    /// `Some(self)` if valid.
    pub const fn valid(self) -> Option<Self> {
        if self.is_valid() {
            Some(self)
        } else {
            None
        }
    }

    /// Sum with invalid propagation and saturation (the C `anj_time_duration_add`).
    pub const fn add(self, rhs: Self) -> Self {
        if !self.is_valid() || !rhs.is_valid() {
            return Self::INVALID;
        }
        Self {
            us: self.us.saturating_add(rhs.us),
        }
    }

    /// Difference with invalid propagation and saturation.
    pub const fn sub(self, rhs: Self) -> Self {
        if !self.is_valid() || !rhs.is_valid() {
            return Self::INVALID;
        }
        Self {
            us: self.us.saturating_sub(rhs.us),
        }
    }

    /// Exact sum: `None` if an operand is invalid or the sum does not fit (or would
    /// equal the sentinel).
    pub const fn checked_add(self, rhs: Self) -> Option<Self> {
        if !self.is_valid() || !rhs.is_valid() {
            return None;
        }
        match self.us.checked_add(rhs.us) {
            Some(us) if us != ANJ_TIME_US_MAX => Some(Self { us }),
            _ => None,
        }
    }

    /// Exact difference, `None` like [`Self::checked_add`].
    pub const fn checked_sub(self, rhs: Self) -> Option<Self> {
        if !self.is_valid() || !rhs.is_valid() {
            return None;
        }
        match self.us.checked_sub(rhs.us) {
            Some(us) if us != ANJ_TIME_US_MAX => Some(Self { us }),
            _ => None,
        }
    }

    /// Product with an integer factor. `i32::MAX` as a factor is refused (Anjay Lite
    /// reserves it), other overflows saturate.
    pub const fn mul(self, factor: i32) -> Self {
        if !self.is_valid() || factor == i32::MAX {
            return Self::INVALID;
        }
        Self {
            us: self.us.saturating_mul(factor as i64),
        }
    }

    /// Product with a float factor, truncated toward zero.
    pub fn fmul(self, factor: f64) -> Self {
        if !self.is_valid() || !factor.is_finite() {
            return Self::INVALID;
        }
        Self {
            us: (self.us as f64 * factor) as i64,
        }
    }

    /// Quotient, truncated toward zero; a zero divisor gives invalid.
    pub const fn div(self, divisor: i32) -> Self {
        if !self.is_valid() || divisor == 0 {
            return Self::INVALID;
        }
        match self.us.checked_div(divisor as i64) {
            Some(us) => Self { us },
            // i64::MIN / -1: the true result is above i64::MAX.
            None => Self::INVALID,
        }
    }

    /// `Some(ordering)` if both are valid, `None` otherwise (all comparisons false).
    pub fn cmp_valid(self, rhs: Self) -> Option<core::cmp::Ordering> {
        if self.is_valid() && rhs.is_valid() {
            Some(self.us.cmp(&rhs.us))
        } else {
            None
        }
    }
}

impl anj_time_monotonic_t {
    /// cbindgen:ignore
    pub const ZERO: Self = Self {
        since_monotonic_epoch: anj_time_duration_t::ZERO,
    };
    /// cbindgen:ignore
    pub const INVALID: Self = Self {
        since_monotonic_epoch: anj_time_duration_t::INVALID,
    };

    pub const fn from_us(us: i64) -> Self {
        Self {
            since_monotonic_epoch: anj_time_duration_t { us },
        }
    }
    /// Microseconds since the epoch; `i64::MAX` ([`crate::time::NEVER`]) when invalid, so
    /// this is directly a core `Instant`.
    pub const fn us(self) -> i64 {
        self.since_monotonic_epoch.us
    }
    pub const fn is_valid(self) -> bool {
        self.since_monotonic_epoch.is_valid()
    }
    pub const fn add(self, d: anj_time_duration_t) -> Self {
        Self {
            since_monotonic_epoch: self.since_monotonic_epoch.add(d),
        }
    }
    pub const fn sub(self, d: anj_time_duration_t) -> Self {
        Self {
            since_monotonic_epoch: self.since_monotonic_epoch.sub(d),
        }
    }
    /// `self - start`.
    pub const fn diff(self, start: Self) -> anj_time_duration_t {
        self.since_monotonic_epoch.sub(start.since_monotonic_epoch)
    }
}

impl anj_time_real_t {
    /// cbindgen:ignore
    pub const ZERO: Self = Self {
        since_real_epoch: anj_time_duration_t::ZERO,
    };
    /// cbindgen:ignore
    pub const INVALID: Self = Self {
        since_real_epoch: anj_time_duration_t::INVALID,
    };

    pub const fn from_us(us: i64) -> Self {
        Self {
            since_real_epoch: anj_time_duration_t { us },
        }
    }
    pub const fn is_valid(self) -> bool {
        self.since_real_epoch.is_valid()
    }
}

/// Writes `duration` as a decimal count of `unit`s into `buf`, without a NUL. Returns the
/// text, or `None` if the duration is invalid.
pub fn duration_to_str(
    duration: anj_time_duration_t,
    unit: anj_time_unit_t,
    buf: &mut [u8; ANJ_TIME_DURATION_AS_STRING_MAX_LEN],
) -> Option<&str> {
    if !duration.is_valid() {
        return None;
    }
    let len = crate::ffi::utils::fmt_i64(&mut buf[..], duration.to_scalar(unit));
    core::str::from_utf8(buf.get(..len)?).ok()
}

// ---------------------------------------------------------------------------------------
// C ABI: functions exported by Anjay Lite's time.c
// ---------------------------------------------------------------------------------------

/// Duration of `scalar` units. `INT64_MAX` as input gives the invalid duration;
/// out-of-range results saturate.
#[no_mangle]
pub extern "C" fn anj_time_duration_new(scalar: i64, unit: anj_time_unit_t) -> anj_time_duration_t {
    anj_time_duration_t::new(scalar, unit)
}

/// Duration of a fractional number of units, truncated toward zero to whole microseconds.
/// NaN and infinities give the invalid duration.
#[no_mangle]
pub extern "C" fn anj_time_duration_fnew(
    scalar: f64,
    unit: anj_time_unit_t,
) -> anj_time_duration_t {
    anj_time_duration_t::fnew(scalar, unit)
}

/// Whole units in `duration`, truncated toward zero.
#[no_mangle]
pub extern "C" fn anj_time_duration_to_scalar(
    duration: anj_time_duration_t,
    unit: anj_time_unit_t,
) -> i64 {
    duration.to_scalar(unit)
}

/// `duration` expressed in `unit` as a floating-point number.
#[no_mangle]
pub extern "C" fn anj_time_duration_to_fscalar(
    duration: anj_time_duration_t,
    unit: anj_time_unit_t,
) -> f64 {
    duration.to_fscalar(unit)
}

/// Backend of the `ANJ_TIME_*_AS_STRING` macros: prints the duration as a decimal count
/// of `unit`s into `*buffer` and returns it; returns the static string `"<invalid>"` for
/// the invalid duration and `"<error>"` when there is no buffer.
///
/// # Safety
/// `buffer` is NULL or points to a writable `char[ANJ_TIME_DURATION_AS_STRING_MAX_LEN]`.
#[no_mangle]
pub unsafe extern "C" fn _anj_time_duration_as_string_impl(
    duration: anj_time_duration_t,
    unit: anj_time_unit_t,
    buffer: *mut [c_char; ANJ_TIME_DURATION_AS_STRING_MAX_LEN],
) -> *const c_char {
    const INVALID: &CStr = c"<invalid>";
    const ERROR: &CStr = c"<error>";
    if !duration.is_valid() {
        return INVALID.as_ptr();
    }
    // SAFETY: the caller passes NULL or a valid, exclusively borrowed array; c_char and
    // u8 have the same size and alignment, and any byte is a valid value of both.
    let Some(out) = (unsafe {
        buffer
            .cast::<[u8; ANJ_TIME_DURATION_AS_STRING_MAX_LEN]>()
            .as_mut()
    }) else {
        return ERROR.as_ptr();
    };
    // At most 20 characters, so the NUL always fits.
    let len = crate::ffi::utils::fmt_i64(&mut out[..], duration.to_scalar(unit));
    match out.get_mut(len) {
        Some(nul) => *nul = 0,
        None => return ERROR.as_ptr(),
    }
    buffer.cast::<c_char>().cast_const()
}

// ---------------------------------------------------------------------------------------
// C ABI: the helpers Anjay Lite defines `static inline` in time.h
// ---------------------------------------------------------------------------------------

/// False only for the invalid sentinel.
#[no_mangle]
pub extern "C" fn anj_time_duration_is_valid(duration: anj_time_duration_t) -> bool {
    duration.is_valid()
}

/// `lhs + rhs`; invalid if either operand is invalid (saturates on overflow).
#[no_mangle]
pub extern "C" fn anj_time_duration_add(
    lhs: anj_time_duration_t,
    rhs: anj_time_duration_t,
) -> anj_time_duration_t {
    lhs.add(rhs)
}

/// `lhs - rhs`; invalid if either operand is invalid (saturates on overflow).
#[no_mangle]
pub extern "C" fn anj_time_duration_sub(
    lhs: anj_time_duration_t,
    rhs: anj_time_duration_t,
) -> anj_time_duration_t {
    lhs.sub(rhs)
}

/// `duration * factor`; invalid for an invalid duration or `factor == INT32_MAX`.
#[no_mangle]
pub extern "C" fn anj_time_duration_mul(
    duration: anj_time_duration_t,
    factor: i32,
) -> anj_time_duration_t {
    duration.mul(factor)
}

/// `duration * factor` truncated toward zero; invalid for an invalid duration or a
/// non-finite factor.
#[no_mangle]
pub extern "C" fn anj_time_duration_fmul(
    duration: anj_time_duration_t,
    factor: f64,
) -> anj_time_duration_t {
    duration.fmul(factor)
}

/// `duration / divisor` truncated toward zero; invalid for an invalid duration or a zero
/// divisor.
#[no_mangle]
pub extern "C" fn anj_time_duration_div(
    duration: anj_time_duration_t,
    divisor: i32,
) -> anj_time_duration_t {
    duration.div(divisor)
}

/// `lhs == rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_duration_eq(lhs: anj_time_duration_t, rhs: anj_time_duration_t) -> bool {
    lhs.cmp_valid(rhs).is_some_and(|o| o.is_eq())
}

/// `lhs < rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_duration_lt(lhs: anj_time_duration_t, rhs: anj_time_duration_t) -> bool {
    lhs.cmp_valid(rhs).is_some_and(|o| o.is_lt())
}

/// `lhs > rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_duration_gt(lhs: anj_time_duration_t, rhs: anj_time_duration_t) -> bool {
    lhs.cmp_valid(rhs).is_some_and(|o| o.is_gt())
}

/// `lhs <= rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_duration_leq(
    lhs: anj_time_duration_t,
    rhs: anj_time_duration_t,
) -> bool {
    lhs.cmp_valid(rhs).is_some_and(|o| o.is_le())
}

/// `lhs >= rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_duration_geq(
    lhs: anj_time_duration_t,
    rhs: anj_time_duration_t,
) -> bool {
    lhs.cmp_valid(rhs).is_some_and(|o| o.is_ge())
}

/// The monotonic time `duration` after the monotonic epoch.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_from_duration(
    duration: anj_time_duration_t,
) -> anj_time_monotonic_t {
    anj_time_monotonic_t {
        since_monotonic_epoch: duration,
    }
}

/// Time elapsed from the monotonic epoch to `time`.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_to_duration(
    time: anj_time_monotonic_t,
) -> anj_time_duration_t {
    time.since_monotonic_epoch
}

/// Monotonic time of `scalar` units after the epoch (see `anj_time_duration_new`).
#[no_mangle]
pub extern "C" fn anj_time_monotonic_new(
    scalar: i64,
    unit: anj_time_unit_t,
) -> anj_time_monotonic_t {
    anj_time_monotonic_from_duration(anj_time_duration_t::new(scalar, unit))
}

/// Monotonic time of a fractional number of units after the epoch.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_fnew(
    scalar: f64,
    unit: anj_time_unit_t,
) -> anj_time_monotonic_t {
    anj_time_monotonic_from_duration(anj_time_duration_t::fnew(scalar, unit))
}

/// False only for the invalid sentinel.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_is_valid(time: anj_time_monotonic_t) -> bool {
    time.is_valid()
}

/// Whole units since the monotonic epoch, truncated toward zero.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_to_scalar(
    time: anj_time_monotonic_t,
    unit: anj_time_unit_t,
) -> i64 {
    time.since_monotonic_epoch.to_scalar(unit)
}

/// Units since the monotonic epoch as a floating-point number.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_to_fscalar(
    time: anj_time_monotonic_t,
    unit: anj_time_unit_t,
) -> f64 {
    time.since_monotonic_epoch.to_fscalar(unit)
}

/// `start + duration` (invalid propagates).
#[no_mangle]
pub extern "C" fn anj_time_monotonic_add(
    start: anj_time_monotonic_t,
    duration: anj_time_duration_t,
) -> anj_time_monotonic_t {
    start.add(duration)
}

/// `start - duration` (invalid propagates).
#[no_mangle]
pub extern "C" fn anj_time_monotonic_sub(
    start: anj_time_monotonic_t,
    duration: anj_time_duration_t,
) -> anj_time_monotonic_t {
    start.sub(duration)
}

/// `end - start` as a duration; negative if `end` is earlier.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_diff(
    end: anj_time_monotonic_t,
    start: anj_time_monotonic_t,
) -> anj_time_duration_t {
    end.diff(start)
}

/// `lhs < rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_lt(
    lhs: anj_time_monotonic_t,
    rhs: anj_time_monotonic_t,
) -> bool {
    anj_time_duration_lt(lhs.since_monotonic_epoch, rhs.since_monotonic_epoch)
}

/// `lhs > rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_gt(
    lhs: anj_time_monotonic_t,
    rhs: anj_time_monotonic_t,
) -> bool {
    anj_time_duration_gt(lhs.since_monotonic_epoch, rhs.since_monotonic_epoch)
}

/// `lhs == rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_eq(
    lhs: anj_time_monotonic_t,
    rhs: anj_time_monotonic_t,
) -> bool {
    anj_time_duration_eq(lhs.since_monotonic_epoch, rhs.since_monotonic_epoch)
}

/// `lhs <= rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_leq(
    lhs: anj_time_monotonic_t,
    rhs: anj_time_monotonic_t,
) -> bool {
    anj_time_duration_leq(lhs.since_monotonic_epoch, rhs.since_monotonic_epoch)
}

/// `lhs >= rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_geq(
    lhs: anj_time_monotonic_t,
    rhs: anj_time_monotonic_t,
) -> bool {
    anj_time_duration_geq(lhs.since_monotonic_epoch, rhs.since_monotonic_epoch)
}

/// The real time `duration` after the Unix epoch.
#[no_mangle]
pub extern "C" fn anj_time_real_from_duration(duration: anj_time_duration_t) -> anj_time_real_t {
    anj_time_real_t {
        since_real_epoch: duration,
    }
}

/// Time elapsed from the Unix epoch to `time`.
#[no_mangle]
pub extern "C" fn anj_time_real_to_duration(time: anj_time_real_t) -> anj_time_duration_t {
    time.since_real_epoch
}

/// Real time of `scalar` units after the Unix epoch (see `anj_time_duration_new`).
#[no_mangle]
pub extern "C" fn anj_time_real_new(scalar: i64, unit: anj_time_unit_t) -> anj_time_real_t {
    anj_time_real_from_duration(anj_time_duration_t::new(scalar, unit))
}

/// Real time of a fractional number of units after the Unix epoch.
#[no_mangle]
pub extern "C" fn anj_time_real_fnew(scalar: f64, unit: anj_time_unit_t) -> anj_time_real_t {
    anj_time_real_from_duration(anj_time_duration_t::fnew(scalar, unit))
}

/// Whole units since the Unix epoch, truncated toward zero.
#[no_mangle]
pub extern "C" fn anj_time_real_to_scalar(time: anj_time_real_t, unit: anj_time_unit_t) -> i64 {
    time.since_real_epoch.to_scalar(unit)
}

/// Units since the Unix epoch as a floating-point number.
#[no_mangle]
pub extern "C" fn anj_time_real_to_fscalar(time: anj_time_real_t, unit: anj_time_unit_t) -> f64 {
    time.since_real_epoch.to_fscalar(unit)
}

/// False only for the invalid sentinel.
#[no_mangle]
pub extern "C" fn anj_time_real_is_valid(time: anj_time_real_t) -> bool {
    time.is_valid()
}

/// `start + duration` (invalid propagates).
#[no_mangle]
pub extern "C" fn anj_time_real_add(
    start: anj_time_real_t,
    duration: anj_time_duration_t,
) -> anj_time_real_t {
    anj_time_real_from_duration(start.since_real_epoch.add(duration))
}

/// `start - duration` (invalid propagates).
#[no_mangle]
pub extern "C" fn anj_time_real_sub(
    start: anj_time_real_t,
    duration: anj_time_duration_t,
) -> anj_time_real_t {
    anj_time_real_from_duration(start.since_real_epoch.sub(duration))
}

/// `end - start` as a duration; negative if `end` is earlier.
#[no_mangle]
pub extern "C" fn anj_time_real_diff(
    end: anj_time_real_t,
    start: anj_time_real_t,
) -> anj_time_duration_t {
    end.since_real_epoch.sub(start.since_real_epoch)
}

/// `lhs < rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_real_lt(lhs: anj_time_real_t, rhs: anj_time_real_t) -> bool {
    anj_time_duration_lt(lhs.since_real_epoch, rhs.since_real_epoch)
}

/// `lhs > rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_real_gt(lhs: anj_time_real_t, rhs: anj_time_real_t) -> bool {
    anj_time_duration_gt(lhs.since_real_epoch, rhs.since_real_epoch)
}

/// `lhs == rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_real_eq(lhs: anj_time_real_t, rhs: anj_time_real_t) -> bool {
    anj_time_duration_eq(lhs.since_real_epoch, rhs.since_real_epoch)
}

/// `lhs <= rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_real_leq(lhs: anj_time_real_t, rhs: anj_time_real_t) -> bool {
    anj_time_duration_leq(lhs.since_real_epoch, rhs.since_real_epoch)
}

/// `lhs >= rhs`; false if either is invalid.
#[no_mangle]
pub extern "C" fn anj_time_real_geq(lhs: anj_time_real_t, rhs: anj_time_real_t) -> bool {
    anj_time_duration_geq(lhs.since_real_epoch, rhs.since_real_epoch)
}

#[cfg(test)]
mod tests {
    use super::anj_time_unit_t::*;
    use super::*;

    const fn d(us: i64) -> anj_time_duration_t {
        anj_time_duration_t { us }
    }
    const INV: anj_time_duration_t = anj_time_duration_t::INVALID;

    #[test]
    fn unit_conversion() {
        let units = [
            (ANJ_TIME_UNIT_US, 1),
            (ANJ_TIME_UNIT_MS, 1_000),
            (ANJ_TIME_UNIT_S, 1_000_000),
            (ANJ_TIME_UNIT_MIN, 60_000_000),
            (ANJ_TIME_UNIT_HOUR, 3_600_000_000),
            (ANJ_TIME_UNIT_DAY, 86_400_000_000),
        ];
        for (unit, us) in units {
            assert_eq!(anj_time_duration_new(1, unit).us, us);
            assert_eq!(anj_time_duration_new(-3, unit).us, -3 * us);
            assert_eq!(anj_time_duration_to_scalar(d(us), unit), 1);
            assert_eq!(
                anj_time_duration_to_fscalar(d(us * 3 / 2), unit),
                if us == 1 { 1.0 } else { 1.5 }
            );
        }
        assert_eq!(ANJ_TIME_UNIT_DAY as i32, 0);
        assert_eq!(ANJ_TIME_UNIT_US as i32, 5);
        // Truncation toward zero.
        assert_eq!(anj_time_duration_to_scalar(d(1_999), ANJ_TIME_UNIT_MS), 1);
        assert_eq!(anj_time_duration_to_scalar(d(-1_999), ANJ_TIME_UNIT_MS), -1);
    }

    #[test]
    fn new_invalid_and_saturation() {
        assert!(!anj_time_duration_new(i64::MAX, ANJ_TIME_UNIT_US).is_valid());
        assert!(!anj_time_duration_new(i64::MAX / 2, ANJ_TIME_UNIT_S).is_valid());
        assert_eq!(
            anj_time_duration_new(i64::MIN / 2, ANJ_TIME_UNIT_S).us,
            i64::MIN
        );
        assert_eq!(anj_time_duration_t::from_ms(1500).us, 1_500_000);
        assert_eq!(anj_time_duration_t::from_secs(2).us, 2_000_000);
    }

    #[test]
    fn fnew() {
        assert_eq!(anj_time_duration_fnew(1.5, ANJ_TIME_UNIT_S).us, 1_500_000);
        assert_eq!(anj_time_duration_fnew(-0.0015, ANJ_TIME_UNIT_S).us, -1_500);
        assert_eq!(anj_time_duration_fnew(2.9, ANJ_TIME_UNIT_US).us, 2);
        assert_eq!(anj_time_duration_fnew(-2.9, ANJ_TIME_UNIT_US).us, -2);
        assert!(!anj_time_duration_fnew(f64::NAN, ANJ_TIME_UNIT_S).is_valid());
        assert!(!anj_time_duration_fnew(f64::INFINITY, ANJ_TIME_UNIT_S).is_valid());
        assert!(!anj_time_duration_fnew(f64::NEG_INFINITY, ANJ_TIME_UNIT_S).is_valid());
        assert!(!anj_time_duration_fnew(1e300, ANJ_TIME_UNIT_S).is_valid());
        assert_eq!(anj_time_duration_fnew(-1e300, ANJ_TIME_UNIT_S).us, i64::MIN);
        assert!(!anj_time_monotonic_fnew(f64::NAN, ANJ_TIME_UNIT_S).is_valid());
        assert_eq!(
            anj_time_real_fnew(0.25, ANJ_TIME_UNIT_MS)
                .since_real_epoch
                .us,
            250
        );
    }

    #[test]
    fn arithmetic() {
        assert_eq!(anj_time_duration_add(d(100), d(23)), d(123));
        assert_eq!(anj_time_duration_sub(d(100), d(123)), d(-23));
        assert_eq!(anj_time_duration_mul(d(100), -3), d(-300));
        assert_eq!(anj_time_duration_mul(d(100), 0), d(0));
        assert_eq!(anj_time_duration_div(d(100), 3), d(33));
        assert_eq!(anj_time_duration_div(d(-100), 3), d(-33));
        assert_eq!(anj_time_duration_fmul(d(1000), 1.5), d(1500));
        assert_eq!(anj_time_duration_fmul(d(1000), -0.0015), d(-1));
        // Invalid propagation.
        for r in [
            anj_time_duration_add(d(1), INV),
            anj_time_duration_add(INV, d(1)),
            anj_time_duration_sub(d(1), INV),
            anj_time_duration_sub(INV, INV),
            anj_time_duration_mul(INV, 0),
            anj_time_duration_mul(d(1), i32::MAX),
            anj_time_duration_fmul(INV, 1.0),
            anj_time_duration_fmul(d(1), f64::NAN),
            anj_time_duration_fmul(d(1), f64::INFINITY),
            anj_time_duration_div(d(1), 0),
            anj_time_duration_div(INV, 1),
            anj_time_duration_div(d(i64::MIN), -1),
        ] {
            assert!(!anj_time_duration_is_valid(r), "{r:?}");
        }
        // Saturation instead of wrapping.
        assert!(!anj_time_duration_add(d(i64::MAX - 1), d(5)).is_valid());
        assert_eq!(anj_time_duration_sub(d(i64::MIN + 1), d(5)), d(i64::MIN));
        assert_eq!(anj_time_duration_mul(d(i64::MIN / 2), 4), d(i64::MIN));
        assert!(!anj_time_duration_fmul(d(i64::MAX - 1), 2.0).is_valid());
        // Checked variants.
        assert_eq!(d(1).checked_add(d(2)), Some(d(3)));
        assert_eq!(d(i64::MAX - 1).checked_add(d(1)), None);
        assert_eq!(d(i64::MIN).checked_sub(d(1)), None);
        assert_eq!(INV.checked_sub(d(1)), None);
    }

    #[test]
    fn comparisons() {
        assert!(anj_time_duration_eq(d(5), d(5)));
        assert!(anj_time_duration_lt(d(4), d(5)));
        assert!(anj_time_duration_leq(d(5), d(5)));
        assert!(anj_time_duration_gt(d(6), d(5)));
        assert!(anj_time_duration_geq(d(5), d(5)));
        assert!(!anj_time_duration_geq(d(4), d(5)));
        type Cmp = extern "C" fn(anj_time_duration_t, anj_time_duration_t) -> bool;
        let all: [Cmp; 5] = [
            anj_time_duration_eq,
            anj_time_duration_lt,
            anj_time_duration_gt,
            anj_time_duration_leq,
            anj_time_duration_geq,
        ];
        for f in all {
            assert!(!f(INV, INV));
            assert!(!f(d(0), INV));
            assert!(!f(INV, d(0)));
        }
        let (a, b) = (
            anj_time_monotonic_t::from_us(1),
            anj_time_monotonic_t::from_us(2),
        );
        assert!(
            anj_time_monotonic_lt(a, b)
                && anj_time_monotonic_leq(a, b)
                && !anj_time_monotonic_gt(a, b)
        );
        assert!(anj_time_monotonic_geq(b, a) && anj_time_monotonic_eq(a, a));
        assert!(!anj_time_monotonic_eq(
            ANJ_TIME_MONOTONIC_INVALID,
            ANJ_TIME_MONOTONIC_INVALID
        ));
        let (a, b) = (anj_time_real_t::from_us(1), anj_time_real_t::from_us(2));
        assert!(anj_time_real_lt(a, b) && anj_time_real_leq(a, b) && !anj_time_real_gt(a, b));
        assert!(anj_time_real_geq(b, a) && anj_time_real_eq(a, a));
        assert!(!anj_time_real_lt(ANJ_TIME_REAL_ZERO, ANJ_TIME_REAL_INVALID));
    }

    #[test]
    fn points_in_time() {
        let t = anj_time_monotonic_new(2, ANJ_TIME_UNIT_S);
        assert_eq!(anj_time_monotonic_to_scalar(t, ANJ_TIME_UNIT_MS), 2000);
        assert_eq!(
            anj_time_monotonic_to_fscalar(t, ANJ_TIME_UNIT_MIN),
            2.0 / 60.0
        );
        let later = anj_time_monotonic_add(t, anj_time_duration_t::from_ms(500));
        assert_eq!(later.us(), 2_500_000);
        assert_eq!(anj_time_monotonic_diff(t, later), d(-500_000));
        assert_eq!(anj_time_monotonic_sub(later, d(500_000)), t);
        assert!(!anj_time_monotonic_add(t, INV).is_valid());
        assert!(!anj_time_monotonic_sub(t, INV).is_valid());
        assert_eq!(
            anj_time_monotonic_to_duration(anj_time_monotonic_from_duration(d(7))),
            d(7)
        );
        // Invalid monotonic time is the core's NEVER.
        assert_eq!(ANJ_TIME_MONOTONIC_INVALID.us(), crate::time::NEVER);

        let r = anj_time_real_new(1_700_000_000, ANJ_TIME_UNIT_S);
        assert_eq!(anj_time_real_to_scalar(r, ANJ_TIME_UNIT_DAY), 19675);
        assert_eq!(anj_time_real_to_fscalar(r, ANJ_TIME_UNIT_S), 1.7e9);
        let r2 = anj_time_real_add(r, d(10));
        assert_eq!(anj_time_real_diff(r2, r), d(10));
        assert_eq!(anj_time_real_sub(r2, d(10)), r);
        assert!(!anj_time_real_is_valid(anj_time_real_sub(r, INV)));
        assert_eq!(
            anj_time_real_to_duration(anj_time_real_from_duration(d(3))),
            d(3)
        );
        assert!(
            anj_time_real_is_valid(ANJ_TIME_REAL_ZERO)
                && !anj_time_real_is_valid(ANJ_TIME_REAL_INVALID)
        );
        assert!(anj_time_monotonic_is_valid(ANJ_TIME_MONOTONIC_ZERO));
        assert!(anj_time_duration_is_valid(ANJ_TIME_DURATION_ZERO));
        assert!(!anj_time_duration_is_valid(ANJ_TIME_DURATION_INVALID));
    }

    fn as_string(duration: anj_time_duration_t, unit: anj_time_unit_t) -> String {
        let mut buf = [0x55 as c_char; ANJ_TIME_DURATION_AS_STRING_MAX_LEN];
        // SAFETY: the buffer is a live local array of the required size; the returned
        // pointer is either into it or to a static string, both NUL-terminated.
        unsafe {
            let p = _anj_time_duration_as_string_impl(duration, unit, &mut buf);
            CStr::from_ptr(p).to_str().unwrap().to_owned()
        }
    }

    #[test]
    fn string_conversion() {
        assert_eq!(
            as_string(d(12312313123123), ANJ_TIME_UNIT_US),
            "12312313123123"
        );
        assert_eq!(as_string(d(12312313123123), ANJ_TIME_UNIT_S), "12312313");
        assert_eq!(
            as_string(d(i64::MIN), ANJ_TIME_UNIT_US),
            "-9223372036854775808"
        );
        assert_eq!(as_string(d(-1500), ANJ_TIME_UNIT_MS), "-1");
        assert_eq!(as_string(INV, ANJ_TIME_UNIT_US), "<invalid>");
        // SAFETY: a NULL buffer is allowed and yields a static string.
        let p = unsafe {
            _anj_time_duration_as_string_impl(d(1), ANJ_TIME_UNIT_US, core::ptr::null_mut())
        };
        // SAFETY: p points to a static NUL-terminated string.
        assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), "<error>");
        let mut buf = [0u8; ANJ_TIME_DURATION_AS_STRING_MAX_LEN];
        assert_eq!(
            duration_to_str(d(-42_000), ANJ_TIME_UNIT_MS, &mut buf),
            Some("-42")
        );
        assert_eq!(duration_to_str(INV, ANJ_TIME_UNIT_MS, &mut buf), None);
    }
}
