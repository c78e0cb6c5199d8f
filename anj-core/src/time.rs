//! Time as the sans-IO core sees it: plain microsecond counts on the monotonic clock the
//! caller passes in. The C types of `anj/time.h` convert to and from these at the edge.

/// A point on the monotonic clock, in microseconds since an arbitrary epoch.
pub type Instant = i64;
/// A span of time in microseconds.
pub type Duration = i64;

/// "No deadline": later than any instant the client will ever see.
pub const NEVER: Instant = i64::MAX;
pub const MS: Duration = 1_000;
pub const SEC: Duration = 1_000_000;

/// `now + d`, saturating at [`NEVER`] (a deadline far away must never wrap into the past).
pub const fn after(now: Instant, d: Duration) -> Instant {
    now.saturating_add(d)
}
