//! `anj_rng_generate` from the operating system's CSPRNG
//! (Anjay Lite's `ANJ_WITH_RNG_POSIX_COMPAT`).

use core::ffi::c_int;

/// Fills `dst` from the kernel; false on failure (contents then unspecified).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn fill(dst: &mut [u8]) -> bool {
    let mut done = 0;
    while let Some(rest) = dst.get_mut(done..).filter(|r| !r.is_empty()) {
        // getrandom(2) with no flags blocks only until the pool is first initialised,
        // and may return fewer bytes than asked (above 256 bytes, or on a signal).
        // SAFETY: `rest` is a live, writable slice of exactly `rest.len()` bytes.
        let r = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if r > 0 {
            done += r.unsigned_abs();
        } else if r < 0 && last_errno_is_eintr() {
            continue;
        } else {
            return false;
        }
    }
    true
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn last_errno_is_eintr() -> bool {
    #[cfg(target_os = "android")]
    use libc::__errno as errno_location;
    #[cfg(target_os = "linux")]
    use libc::__errno_location as errno_location;
    // SAFETY: libc's errno accessor returns this thread's errno slot, valid for
    // reading for the thread's whole lifetime.
    unsafe { *errno_location() == libc::EINTR }
}

/// Fills `dst` from the kernel; false on failure (contents then unspecified).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn fill(dst: &mut [u8]) -> bool {
    // getentropy(3) (POSIX.1-2024) serves at most 256 bytes per call.
    dst.chunks_mut(256).all(|chunk| {
        // SAFETY: `chunk` is a live, writable slice of exactly `chunk.len()` bytes.
        unsafe { libc::getentropy(chunk.as_mut_ptr().cast(), chunk.len()) == 0 }
    })
}

/// Fills `buffer[..size]` with cryptographically secure random bytes. Returns 0 on
/// success and -1 on failure; on failure the buffer is zeroed, so a caller that
/// ignores the error never gets a half-random key.
///
/// # Safety
/// `buffer` must be writable for `size` bytes (it may be NULL when `size` is 0).
#[no_mangle]
pub unsafe extern "C" fn anj_rng_generate(buffer: *mut u8, size: usize) -> c_int {
    if size == 0 {
        return 0;
    }
    if buffer.is_null() {
        return -1;
    }
    // SAFETY: non-NULL and writable for `size` bytes (caller's guarantee); no other
    // reference to it exists during this call.
    let dst = unsafe { core::slice::from_raw_parts_mut(buffer, size) };
    if fill(dst) {
        0
    } else {
        dst.fill(0);
        -1
    }
}
