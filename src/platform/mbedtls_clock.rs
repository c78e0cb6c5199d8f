//! The clock of the vendored MbedTLS (feature `vendored-mbedtls`): certificate validity
//! (notBefore / notAfter) is checked against `anj_time_real_now`, the integrator's
//! calendar clock, as on every other platform.
//!
//! `mbedtls-rs-sys` builds MbedTLS with `MBEDTLS_HAVE_TIME_DATE` only with its
//! `hook-wall-clock` feature, and then asks two hooks: a timer (seconds and
//! milliseconds, `mbedtls_time` / `mbedtls_ms_time`) and a wall clock (the broken-down
//! UTC time X.509 compares with). Both read `anj_time_real_now` here. The C backend
//! installs them before each certificate-mode context (`anj_rs_mbedtls_clock_install`),
//! and sets `mbedtls_time` itself through `mbedtls_platform_set_time`, as it does with
//! an integrator's MbedTLS.
//!
//! A clock that cannot be represented (before 1970, `ANJ_TIME_REAL_INVALID`) gives no
//! wall-clock time, and MbedTLS then treats every certificate as both expired and not
//! yet valid: fail closed.

use core::ffi::c_int;

use mbedtls_rs_sys::hook::timer::{hook_timer, MbedtlsTimer};
use mbedtls_rs_sys::hook::wall_clock::{hook_wall_clock, MbedtlsWallClock};
use mbedtls_rs_sys::{mbedtls_ms_time_t, tm};

use crate::ffi::time::anj_time_real_t;

extern "C" {
    fn anj_time_real_now() -> anj_time_real_t;
}

/// `anj_time_real_now` in microseconds since the Unix epoch.
fn real_now_us() -> i64 {
    // SAFETY: a hook without arguments; the integrator (or the POSIX layer) provides it.
    unsafe { anj_time_real_now() }.since_real_epoch.us
}

/// A UTC calendar time, as `struct tm` holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcTime {
    /// Years since 1900.
    pub year: i32,
    /// Months since January, 0..=11.
    pub mon: i32,
    /// Day of the month, 1..=31.
    pub mday: i32,
    pub hour: i32,
    pub min: i32,
    pub sec: i32,
    /// Days since Sunday, 0..=6.
    pub wday: i32,
    /// Days since January 1, 0..=365.
    pub yday: i32,
}

/// Seconds since the Unix epoch to UTC (proleptic Gregorian calendar; no leap
/// seconds, as in POSIX time). `None` before 1970 or past year 9999: X.509 times
/// cannot be compared with those, and the check fails closed.
pub fn utc_from_unix(secs: i64) -> Option<UtcTime> {
    if !(0..=253_402_300_799).contains(&secs) {
        return None;
    }
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Days to civil date (H. Hinnant's algorithm), on eras of 400 years from 0000-03-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let mday = doy - (153 * mp + 2) / 5 + 1;
    let mon = if mp < 10 { mp + 2 } else { mp - 10 };
    let year = yoe + era * 400 + i64::from(mon < 2);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const BEFORE: [i64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yday = BEFORE[mon as usize] + mday - 1 + i64::from(leap && mon >= 2);
    // 1970-01-01 was a Thursday.
    let wday = (days + 4) % 7;
    // Every value is small after the range check above.
    Some(UtcTime {
        year: (year - 1900) as i32,
        mon: mon as i32,
        mday: mday as i32,
        hour: (rem / 3600) as i32,
        min: (rem % 3600 / 60) as i32,
        sec: (rem % 60) as i32,
        wday: wday as i32,
        yday: yday as i32,
    })
}

/// Both MbedTLS hooks, over `anj_time_real_now`.
struct AnjRealClock;

impl MbedtlsTimer for AnjRealClock {
    fn now(&self) -> mbedtls_ms_time_t {
        real_now_us().div_euclid(1000) as mbedtls_ms_time_t
    }
}

impl MbedtlsWallClock for AnjRealClock {
    fn instant(&self) -> Option<tm> {
        let t = utc_from_unix(real_now_us().div_euclid(1_000_000))?;
        // SAFETY: `tm` is a C struct of integers (and, with some C libraries, a
        // `const char *` zone name), for which all-zero bits are a valid value.
        let mut out: tm = unsafe { core::mem::zeroed() };
        out.tm_year = t.year;
        out.tm_mon = t.mon;
        out.tm_mday = t.mday;
        out.tm_hour = t.hour;
        out.tm_min = t.min;
        out.tm_sec = t.sec;
        out.tm_wday = t.wday;
        out.tm_yday = t.yday;
        Some(out)
    }
}

static CLOCK: AnjRealClock = AnjRealClock;

/// Installs the hooks (idempotent). Called by `src/c/dtls_mbedtls.c` before it
/// configures a certificate-mode context; returns 0.
#[no_mangle]
pub extern "C" fn anj_rs_mbedtls_clock_install() -> c_int {
    // SAFETY: the hooks are `'static` and valid for the whole program; they are
    // installed before the context that will verify a certificate is configured.
    unsafe {
        hook_timer(Some(&CLOCK));
        hook_wall_clock(Some(&CLOCK));
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd_hms(secs: i64) -> (i32, i32, i32, i32, i32, i32, i32, i32) {
        let t = utc_from_unix(secs).unwrap();
        (
            t.year + 1900,
            t.mon + 1,
            t.mday,
            t.hour,
            t.min,
            t.sec,
            t.wday,
            t.yday,
        )
    }

    #[test]
    fn unix_seconds_become_utc_calendar_time() {
        assert_eq!(ymd_hms(0), (1970, 1, 1, 0, 0, 0, 4, 0));
        // 2000-02-29 12:34:56, a Tuesday, leap day of a year divisible by 400.
        assert_eq!(ymd_hms(951_827_696), (2000, 2, 29, 12, 34, 56, 2, 59));
        // 2024-12-31 23:59:59, a Tuesday, day 366 of a leap year.
        assert_eq!(ymd_hms(1_735_689_599), (2024, 12, 31, 23, 59, 59, 2, 365));
        // 2100-03-01: 2100 is no leap year.
        assert_eq!(ymd_hms(4_107_542_400), (2100, 3, 1, 0, 0, 0, 1, 59));
        assert_eq!(ymd_hms(253_402_300_799), (9999, 12, 31, 23, 59, 59, 5, 364));
    }

    #[test]
    fn times_x509_cannot_hold_fail_closed() {
        assert_eq!(utc_from_unix(-1), None);
        assert_eq!(utc_from_unix(253_402_300_800), None);
        // ANJ_TIME_REAL_INVALID.
        assert_eq!(utc_from_unix(i64::MAX / 1_000_000), None);
    }

    #[cfg(feature = "time-posix-compat")]
    #[test]
    fn the_hooks_read_anj_time_real_now() {
        let before = real_now_us().div_euclid(1_000_000);
        let t = CLOCK.instant().unwrap();
        let ms = CLOCK.now();
        let after = real_now_us().div_euclid(1_000_000);
        let at = |s| {
            let u = utc_from_unix(s).unwrap();
            (u.year, u.yday, u.hour, u.min, u.sec)
        };
        let got = (t.tm_year, t.tm_yday, t.tm_hour, t.tm_min, t.tm_sec);
        assert!(at(before) <= got && got <= at(after), "{got:?}");
        assert!((before * 1000..=(after + 1) * 1000).contains(&ms));
    }
}
