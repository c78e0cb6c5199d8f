//! `anj_time_monotonic_now` / `anj_time_real_now` over clock_gettime(2)
//! (Anjay Lite's `ANJ_WITH_TIME_POSIX_COMPAT`).

use core::sync::atomic::{AtomicI64, Ordering};

use crate::ffi::time::{anj_time_duration_t, anj_time_monotonic_t, anj_time_real_t};

/// The clock behind `anj_time_monotonic_now`. The contract wants a clock that keeps
/// counting while the system is suspended: on Linux that is CLOCK_BOOTTIME
/// (CLOCK_MONOTONIC stops during suspend there, see clock_gettime(2)); elsewhere
/// CLOCK_MONOTONIC already does, or is the best POSIX offers.
#[cfg(any(target_os = "linux", target_os = "android"))]
const MONOTONIC_CLOCK: libc::clockid_t = libc::CLOCK_BOOTTIME;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const MONOTONIC_CLOCK: libc::clockid_t = libc::CLOCK_MONOTONIC;

/// The largest value handed out so far, so the result can never go backwards, even
/// if a clock read fails or two threads race.
static LAST_MONOTONIC_US: AtomicI64 = AtomicI64::new(0);

/// Reads `clock` in microseconds; `None` if the clock cannot be read.
fn read_clock_us(clock: libc::clockid_t) -> Option<i64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a writable local timespec, the only memory clock_gettime touches.
    let r = unsafe { libc::clock_gettime(clock, &mut ts) };
    if r != 0 {
        return None;
    }
    #[allow(clippy::useless_conversion)] // time_t and c_long are 32-bit on some targets
    let (sec, nsec) = (i64::from(ts.tv_sec), i64::from(ts.tv_nsec));
    Some(sec.saturating_mul(1_000_000).saturating_add(nsec / 1_000))
}

/// Now on a clock that never goes backwards and keeps running across suspend.
#[no_mangle]
pub extern "C" fn anj_time_monotonic_now() -> anj_time_monotonic_t {
    let now = read_clock_us(MONOTONIC_CLOCK)
        .or_else(|| read_clock_us(libc::CLOCK_MONOTONIC))
        .unwrap_or(0);
    let prev = LAST_MONOTONIC_US.fetch_max(now, Ordering::Relaxed);
    anj_time_monotonic_t {
        since_monotonic_epoch: anj_time_duration_t { us: prev.max(now) },
    }
}

/// Now on the calendar clock (microseconds since the Unix epoch); the epoch itself
/// if the clock cannot be read (the contract lets integrations return a constant).
#[no_mangle]
pub extern "C" fn anj_time_real_now() -> anj_time_real_t {
    anj_time_real_t {
        since_real_epoch: anj_time_duration_t {
            us: read_clock_us(libc::CLOCK_REALTIME).unwrap_or(0),
        },
    }
}
