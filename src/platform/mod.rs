//! The platform edge: POSIX implementations of the compat hooks that bare-metal
//! integrators implement themselves (`anj_udp_*`, `anj_time_*_now`, `anj_rng_generate`).

#[cfg(all(
    not(feature = "std"),
    not(feature = "external-critical-section"),
    any(
        feature = "vendored-mbedtls",
        feature = "log-full",
        feature = "log-micro"
    )
))]
mod critical_section;
#[cfg(all(feature = "net-dtls", feature = "mbedtls", anj_mbedtls_backend))]
pub mod dtls_mbedtls;
#[cfg(all(feature = "net-dtls", feature = "mbedtls", not(anj_mbedtls_backend)))]
pub mod dtls_unavailable;
#[cfg(all(feature = "vendored-mbedtls", anj_mbedtls_backend))]
pub mod mbedtls_clock;
#[cfg(feature = "rng-posix-compat")]
pub mod posix_rng;
#[cfg(feature = "time-posix-compat")]
pub mod posix_time;
#[cfg(feature = "socket-posix-compat")]
pub mod posix_udp;
