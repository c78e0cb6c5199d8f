//! The `critical-section` implementation of builds without std (the C library): a spin
//! lock. Two users read shared state under it, and neither nests nor blocks inside: the
//! core's log sink (`anj_core::log`, with logs on) and the vendored MbedTLS's clock hooks
//! (`mbedtls_clock`). With std, `critical-section`'s own implementation is used (our
//! feature `std`). A firmware that links another implementation builds without this one
//! by turning on our feature `external-critical-section`.

use core::sync::atomic::{AtomicBool, Ordering};

struct SpinSection;
critical_section::set_impl!(SpinSection);

static LOCKED: AtomicBool = AtomicBool::new(false);

// SAFETY: `acquire` returns only once this caller holds LOCKED, and `release`
// frees it; a second section waits for the first (no user nests sections or
// blocks inside one).
unsafe impl critical_section::Impl for SpinSection {
    unsafe fn acquire() -> critical_section::RawRestoreState {
        while LOCKED
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        #[allow(clippy::unused_unit)]
        Default::default()
    }
    unsafe fn release(_: critical_section::RawRestoreState) {
        LOCKED.store(false, Ordering::Release);
    }
}
