//! Compile-time proof that the sizes `anj/anj_config.h` gives C for the opaque types are
//! what the Rust types need: C allocates them, Rust fills them.

use core::mem::{align_of, size_of};

use crate::config::{SIZEOF_ANJ_T, SIZEOF_DEVICE_OBJ, SIZEOF_SECURITY_OBJ, SIZEOF_SERVER_OBJ};
use crate::ffi::core::anj_t;
use crate::ffi::objects::{DeviceObj, SecurityObj, ServerObj};

/// C's storage must hold the Rust type, at most 8-aligned (C declares it with
/// `uint64_t` storage), and waste less than 64 bytes (the build.rs formula stays tight).
const fn fits<T>(c_size: usize) -> bool {
    size_of::<T>() <= c_size && c_size - size_of::<T>() < 64 && align_of::<T>() <= 8
}

const _: () = assert!(
    fits::<anj_t>(SIZEOF_ANJ_T),
    "ANJ_INTERNAL_SIZEOF_ANJ_T is out of date: see build.rs"
);
const _: () = assert!(
    fits::<ServerObj>(SIZEOF_SERVER_OBJ),
    "SERVER_OBJ size out of date: see build.rs"
);
const _: () = assert!(
    fits::<SecurityObj>(SIZEOF_SECURITY_OBJ),
    "SECURITY_OBJ size out of date: see build.rs"
);
const _: () = assert!(
    fits::<DeviceObj>(SIZEOF_DEVICE_OBJ),
    "DEVICE_OBJ size out of date: see build.rs"
);
#[cfg(feature = "coap-downloader")]
const _: () = assert!(
    fits::<crate::ffi::coap_downloader::anj_coap_downloader_t>(
        crate::config::SIZEOF_COAP_DOWNLOADER
    ),
    "ANJ_INTERNAL_SIZEOF_COAP_DOWNLOADER is out of date: see build.rs"
);

#[cfg(feature = "ntp")]
const _: () = assert!(
    fits::<crate::ffi::ntp::anj_ntp_t>(crate::config::SIZEOF_NTP),
    "ANJ_INTERNAL_SIZEOF_NTP is out of date: see build.rs"
);

#[cfg(feature = "default-fota-obj")]
const _: () = assert!(
    fits::<crate::ffi::fw_update::FwUpdateObj>(crate::config::SIZEOF_FW_UPDATE_OBJ),
    "FW_UPDATE_OBJ size out of date: see build.rs"
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Prints the real sizes, for updating the constants in build.rs.
    #[test]
    fn print_sizes() {
        println!(
            "anj_t={} server={} security={} device={} (config: {} {} {} {})",
            size_of::<anj_t>(),
            size_of::<ServerObj>(),
            size_of::<SecurityObj>(),
            size_of::<DeviceObj>(),
            SIZEOF_ANJ_T,
            SIZEOF_SERVER_OBJ,
            SIZEOF_SECURITY_OBJ,
            SIZEOF_DEVICE_OBJ
        );
        #[cfg(feature = "default-fota-obj")]
        println!(
            "fw_update={} (config: {})",
            size_of::<crate::ffi::fw_update::FwUpdateObj>(),
            crate::config::SIZEOF_FW_UPDATE_OBJ
        );
        #[cfg(feature = "ntp")]
        println!(
            "anj_ntp_t={} (config: {})",
            size_of::<crate::ffi::ntp::anj_ntp_t>(),
            crate::config::SIZEOF_NTP
        );
        #[cfg(feature = "coap-downloader")]
        println!(
            "anj_coap_downloader_t={} (config: {})",
            size_of::<crate::ffi::coap_downloader::anj_coap_downloader_t>(),
            crate::config::SIZEOF_COAP_DOWNLOADER
        );
    }
}
