//! Sizes of the opaque types C allocates, probed from the compiler.
//!
//! C allocates `anj_t`, the contexts of the built-in Server, Security, Device and
//! Firmware Update objects, the CoAP downloader and the NTP module by value, and the
//! library fills them in, so `anj/anj_config.h` must give C their sizes. Nobody models
//! them by hand; the mechanism (as zenoh-c probes its opaque types) is:
//!
//! 1. Here, for each such type, `SIZEOF_*` is the storage C reserves for it: its
//!    `size_of` rounded up to whole `uint64_t`s, as `anj_internal/opaque.h` declares it.
//!    Both that storage size and the type's `align_of` become *absolute symbols* of the
//!    compiled library, `anj_rs_sizeof_<name>` and `anj_rs_alignof_<name>` (`.set` in
//!    `global_asm!`, the values from `const` operands: rustc 1.82, which build.rs checks
//!    for `cfg(anj_size_probe)`). An absolute symbol is only an
//!    entry in the symbol table: it has no bytes, so it costs no flash or RAM in any
//!    image, and it is in the object files for every target, including cross targets
//!    such as `thumbv7em-none-eabihf` where nothing can run.
//! 2. build.rs writes `anj/anj_config.h` with the configuration and a placeholder line
//!    instead of the sizes (it runs before this crate is compiled). The library's own C
//!    sources, which build.rs compiles, only handle these types through pointers: they
//!    are compiled with `ANJ_INTERNAL_SIZES_PENDING`, and the types are incomplete there.
//! 3. Once cargo has built the library, `cmake/anj_rs_sizes.cmake` reads the symbols with
//!    the toolchain's `nm` and writes the complete header (`ANJ_INTERNAL_SIZEOF_*`,
//!    `ANJ_INTERNAL_ALIGNOF_*`). The CMake package does this on every build, before any
//!    C code compiles; `tools/size-report.sh` does it too.
//!
//! The asserts stay on both sides: below, that each type fits its C storage and needs at
//! most the 8-byte alignment of `uint64_t`; in C, `opaque.h` asserts the header's sizes
//! and `tests/c/test_layout.c` compares them, and C's alignment, with the symbols the
//! linked library carries. The test below checks the whole path, probe to header.

#[cfg(anj_size_probe)]
use core::arch::global_asm;
use core::mem::{align_of, size_of};

use crate::ffi::core::anj_t;
use crate::ffi::objects::{DeviceObj, SecurityObj, ServerObj};

/// Bytes C reserves for `T`: its size in whole `uint64_t`s (opaque.h's storage arrays).
const fn c_storage<T>() -> usize {
    size_of::<T>().div_ceil(8) * 8
}

/// Whether C's storage for `T` (`c_size` bytes of `uint64_t`s) holds it and is aligned
/// enough for it.
const fn fits<T>(c_size: usize) -> bool {
    size_of::<T>() <= c_size && c_size % 8 == 0 && align_of::<T>() <= 8
}

/// Defines the storage size constant of a type, asserts that it fits, and publishes the
/// size and alignment as the absolute symbols `anj_rs_sizeof_<name>` and
/// `anj_rs_alignof_<name>`.
macro_rules! probe {
    ($(#[$attr:meta])* $konst:ident, $ty:ty, $name:literal) => {
        $(#[$attr])*
        #[doc = concat!("Bytes C reserves for `", stringify!($ty), "` (`anj_rs_sizeof_", $name, "`).")]
        pub const $konst: usize = c_storage::<$ty>();
        $(#[$attr])*
        const _: () = assert!(
            fits::<$ty>($konst),
            concat!("`", stringify!($ty), "` needs more than 8-byte alignment")
        );
        $(#[$attr])*
        #[cfg(anj_size_probe)]
        global_asm!(
            concat!(".globl anj_rs_sizeof_", $name),
            concat!(".set anj_rs_sizeof_", $name, ", {size}"),
            concat!(".globl anj_rs_alignof_", $name),
            concat!(".set anj_rs_alignof_", $name, ", {align}"),
            size = const $konst,
            align = const align_of::<$ty>(),
        );
    };
}

probe!(SIZEOF_ANJ_T, anj_t, "anj_t");
probe!(SIZEOF_SERVER_OBJ, ServerObj, "server_obj");
probe!(SIZEOF_SECURITY_OBJ, SecurityObj, "security_obj");
probe!(SIZEOF_DEVICE_OBJ, DeviceObj, "device_obj");
probe!(
    #[cfg(feature = "default-fota-obj")]
    SIZEOF_FW_UPDATE_OBJ,
    crate::ffi::fw_update::FwUpdateObj,
    "fw_update_obj"
);
probe!(
    #[cfg(feature = "coap-downloader")]
    SIZEOF_COAP_DOWNLOADER,
    crate::ffi::coap_downloader::anj_coap_downloader_t,
    "coap_downloader"
);
probe!(
    #[cfg(feature = "ntp")]
    SIZEOF_NTP,
    crate::ffi::ntp::anj_ntp_t,
    "ntp"
);

// C sees `anj_t` as `{ const char *endpoint_name; uint64_t storage[]; }`.
const _: () = assert!(core::mem::offset_of!(anj_t, endpoint_name) == 0);

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// The types probed in this build: header name, storage size, alignment.
    fn expected() -> Vec<(&'static str, usize, usize)> {
        let mut v = vec![
            ("ANJ_T", SIZEOF_ANJ_T, align_of::<anj_t>()),
            ("SERVER_OBJ", SIZEOF_SERVER_OBJ, align_of::<ServerObj>()),
            (
                "SECURITY_OBJ",
                SIZEOF_SECURITY_OBJ,
                align_of::<SecurityObj>(),
            ),
            ("DEVICE_OBJ", SIZEOF_DEVICE_OBJ, align_of::<DeviceObj>()),
        ];
        #[cfg(feature = "default-fota-obj")]
        v.push((
            "FW_UPDATE_OBJ",
            SIZEOF_FW_UPDATE_OBJ,
            align_of::<crate::ffi::fw_update::FwUpdateObj>(),
        ));
        #[cfg(feature = "coap-downloader")]
        v.push((
            "COAP_DOWNLOADER",
            SIZEOF_COAP_DOWNLOADER,
            align_of::<crate::ffi::coap_downloader::anj_coap_downloader_t>(),
        ));
        #[cfg(feature = "ntp")]
        v.push(("NTP", SIZEOF_NTP, align_of::<crate::ffi::ntp::anj_ntp_t>()));
        v
    }

    fn define(header: &str, name: &str) -> Option<usize> {
        let prefix = format!("#define {name} ");
        header
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .map(|v| v.trim().parse().unwrap())
    }

    /// The storage sizes are whole `uint64_t`s that hold each type, and no larger.
    #[test]
    fn layout_storage_is_tight() {
        for (name, size, align) in expected() {
            assert_eq!(size % 8, 0, "{name}");
            assert!(align <= 8, "{name}");
        }
        assert!(SIZEOF_ANJ_T >= size_of::<anj_t>() && SIZEOF_ANJ_T < size_of::<anj_t>() + 8);
        assert!(
            SIZEOF_SECURITY_OBJ >= size_of::<SecurityObj>()
                && SIZEOF_SECURITY_OBJ < size_of::<SecurityObj>() + 8
        );
    }

    /// The whole path: the probe symbols in this very executable, read with `nm` by
    /// `cmake/anj_rs_sizes.cmake` (what the CMake package runs on libanj.a), give a header
    /// whose sizes and alignments are exactly this build's. Needs `nm` and `cmake`.
    #[cfg(anj_size_probe)]
    #[test]
    fn layout_probe_reaches_header() {
        let exe = std::env::current_exe().unwrap();
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let input = Path::new(concat!(env!("OUT_DIR"), "/include/anj/anj_config.h"));
        let out = std::env::temp_dir().join(format!("anj-rs-layout-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        let header_path: PathBuf = out.join("anj_config.h");
        let run = Command::new("cmake")
            .arg("-DANJ_RS_NM=nm")
            .arg(format!("-DANJ_RS_LIB={}", exe.display()))
            .arg(format!("-DANJ_RS_HEADER_IN={}", input.display()))
            .arg(format!("-DANJ_RS_HEADER_OUT={}", header_path.display()))
            .arg("-P")
            .arg(manifest.join("cmake/anj_rs_sizes.cmake"))
            .output()
            .expect("this test runs cmake (and nm): install them");
        assert!(
            run.status.success(),
            "anj_rs_sizes.cmake failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let header = std::fs::read_to_string(&header_path).unwrap();
        std::fs::remove_dir_all(&out).unwrap();
        // The configuration build.rs wrote is still there, the placeholder is not.
        let raw = std::fs::read_to_string(input).unwrap();
        assert!(raw.contains(PLACEHOLDER) && !header.contains(PLACEHOLDER));
        assert_eq!(
            define(&header, "ANJ_IN_MSG_BUFFER_SIZE"),
            Some(crate::config::IN_MSG_BUFFER_SIZE)
        );
        let expected = expected();
        for (name, size, align) in &expected {
            assert_eq!(
                define(&header, &format!("ANJ_INTERNAL_SIZEOF_{name}")),
                Some(*size),
                "{name}"
            );
            assert_eq!(
                define(&header, &format!("ANJ_INTERNAL_ALIGNOF_{name}")),
                Some(*align),
                "{name}"
            );
        }
        // Nothing else: the types of features this build lacks are not probed.
        let sizes = header
            .lines()
            .filter(|l| l.starts_with("#define ANJ_INTERNAL_SIZEOF_"))
            .count();
        assert_eq!(sizes, expected.len());
        println!("{header}");
    }

    /// The line build.rs leaves for the sizes.
    const PLACEHOLDER: &str = "@ANJ_RS_PROBED_SIZES@";
}
