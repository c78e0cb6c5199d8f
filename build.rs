//! Build configuration: the single source of truth for every `ANJ_*` option.
//!
//! Anjay Lite users configure the library with CMake variables (`ANJ_WITH_OBSERVE`,
//! `ANJ_IN_MSG_BUFFER_SIZE`, ...). Our CMake package turns the boolean ones into cargo
//! features and passes the valued ones as environment variables of the same name. This
//! script reads both and writes:
//!
//! * `$OUT_DIR/config.rs`: the values as Rust constants (`crate::config`);
//! * `$OUT_DIR/include/anj/anj_config.h`: the same configuration for C, with a
//!   placeholder line where the sizes of the opaque, user-allocated types (`anj_t`, the
//!   object contexts, the CoAP downloader, NTP) go. Those come from the compiler, not
//!   from here: the compiled library carries them as symbols, and
//!   `cmake/anj_rs_sizes.cmake` completes the header from them (see `src/layout.rs`).
//!   The library's own C sources, compiled here, see the types as incomplete.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

// The option table (OPTIONS, RULES), shared with anj-core/build.rs and tools/gen-options.rs.
include!("anj-core/options.rs");

struct Config {
    features: Vec<&'static str>,
    numbers: Vec<(&'static str, u64)>,
    pointer_width: u64,
}

impl Config {
    fn enabled(&self, feature: &str) -> bool {
        self.features.contains(&feature)
    }
    fn num(&self, name: &str) -> u64 {
        self.numbers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .unwrap()
    }
    /// Whether the boolean option NAME (an `ANJ_*` name with a cargo feature) is on.
    fn on(&self, name: &str) -> bool {
        self.enabled(feature_of(name))
    }
}

/// The row of the option table for NAME.
fn option(name: &str) -> &'static Opt {
    OPTIONS
        .iter()
        .find(|o| o.name == name)
        .unwrap_or_else(|| panic!("{name} is not in anj-core/options.rs"))
}

/// The cargo feature of the boolean option NAME.
fn feature_of(name: &str) -> &'static str {
    match option(name).via {
        Via::Feature(f) => f,
        _ => panic!("{name} has no cargo feature (anj-core/options.rs)"),
    }
}

/// The value of the numeric option OPT: its environment variable, else its default;
/// refused outside the option's range.
fn read_number(opt: &Opt) -> u64 {
    let Kind::Num { min, max } = opt.kind else {
        panic!("{} is not a numeric option", opt.name);
    };
    let name = opt.name;
    println!("cargo:rerun-if-env-changed={name}");
    let value = match env::var(name) {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("{name}={text:?} is not a non-negative integer")),
        _ => opt.default.parse().unwrap(),
    };
    if value < min || value > max {
        panic!("{name}={value} is out of range [{min}, {max}]");
    }
    value
}

fn read_config() -> Config {
    let mut features = Vec::new();
    let mut numbers = Vec::new();
    for opt in OPTIONS {
        match (opt.kind, opt.via) {
            (_, Via::Feature(f)) => {
                let var = format!("CARGO_FEATURE_{}", f.to_uppercase().replace('-', "_"));
                if env::var_os(var).is_some() {
                    features.push(f);
                }
            }
            (Kind::Num { .. }, Via::Env) => numbers.push((opt.name, read_number(opt))),
            _ => {}
        }
    }
    let pointer_width = env::var("CARGO_CFG_TARGET_POINTER_WIDTH")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(64);
    Config {
        features,
        numbers,
        pointer_width,
    }
}

/// Rejects the combinations the option table's rules (`RULES`, those marked `cargo`)
/// refuse: Anjay Lite's `init.h` rules and anj-rs's own.
fn validate(cfg: &Config) {
    for rule in RULES.iter().filter(|r| r.cargo) {
        if rule.when.iter().all(|n| cfg.on(n)) && !rule.unless.iter().any(|n| cfg.on(n)) {
            let names = |list: &[&str], sep: &str| {
                list.iter()
                    .map(|n| format!("`{}`", feature_of(n)))
                    .collect::<Vec<_>>()
                    .join(sep)
            };
            let features = match (rule.when, rule.unless) {
                (&[], unless) => format!("one of {} is needed", names(unless, ", ")),
                (when, &[]) => format!("{} cannot be combined", names(when, " + ")),
                (when, unless) => {
                    format!("{} needs {}", names(when, " + "), names(unless, " or "))
                }
            };
            panic!(
                "configuration error: {} (cargo features: {features})",
                rule.text
            );
        }
    }
}

/// How much of one entry of a structured block-wise Write may wait for the next block
/// (`src/client/requests.rs`): 256 bytes, or with Bootstrap and security enough for the
/// largest Security object credential (a certificate a Bootstrap-Write sends block-wise)
/// in SenML JSON's base64 with its record around it.
fn block1_carry(cfg: &Config) -> u64 {
    let mut carry = 256;
    if cfg.enabled("bootstrap") && cfg.enabled("security") {
        let largest = [
            "ANJ_SEC_OBJ_MAX_PUBLIC_KEY_OR_IDENTITY_SIZE",
            "ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE",
            "ANJ_SEC_OBJ_MAX_SECRET_KEY_SIZE",
        ]
        .iter()
        .map(|n| cfg.num(n))
        .max()
        .unwrap_or(0);
        carry = carry.max(round_up(largest.div_ceil(3) * 4 + 64, 8));
    }
    carry
}

fn round_up(v: u64, align: u64) -> u64 {
    v.div_ceil(align) * align
}

fn write_rust(cfg: &Config) -> String {
    // The valued options themselves are anj-core's constants (anj-core/build.rs).
    let mut s = String::from("// Generated by build.rs from the build configuration.\n");
    writeln!(
        s,
        "pub const BLOCK1_CARRY_SIZE: usize = {};",
        block1_carry(cfg)
    )
    .unwrap();
    // The sizes of the C-allocated types come from the compiler (src/layout.rs).
    s.push_str(
        "pub use crate::layout::{SIZEOF_ANJ_T, SIZEOF_DEVICE_OBJ, SIZEOF_SECURITY_OBJ, SIZEOF_SERVER_OBJ};\n",
    );
    for (feature, name) in [
        ("default-fota-obj", "SIZEOF_FW_UPDATE_OBJ"),
        ("coap-downloader", "SIZEOF_COAP_DOWNLOADER"),
        ("ntp", "SIZEOF_NTP"),
    ] {
        if cfg.enabled(feature) {
            writeln!(s, "pub use crate::layout::{name};").unwrap();
        }
    }
    s
}

fn write_header(cfg: &Config) -> String {
    let mut h = String::new();
    h.push_str(
        "/* Generated by anj-rs build.rs from the build configuration. Do not edit. */\n\
         #ifndef ANJ_CONFIG_H\n#define ANJ_CONFIG_H\n\n",
    );
    for opt in OPTIONS {
        if let Via::Feature(feature) = opt.via {
            if cfg.enabled(feature) {
                writeln!(h, "#define {}", opt.name).unwrap();
            } else {
                writeln!(h, "/* #undef {} */", opt.name).unwrap();
            }
        }
    }
    h.push('\n');
    for (name, value) in &cfg.numbers {
        writeln!(h, "#define {name} {value}").unwrap();
    }
    h.push_str("#define ANJ_LOG_LEVEL_DEFAULT L_INFO\n");
    // As in Anjay Lite, in every configuration (MbedTLS on or off): the DTLS backend
    // (src/c/dtls_mbedtls.c) reads them from here.
    for (name, value) in mbedtls_settings() {
        writeln!(h, "#define {name} {value}").unwrap();
    }
    // The string <-> number conversions (anj/utils.h) are always the library's own.
    h.push_str("#define ANJ_WITH_CUSTOM_CONVERSION_FUNCTIONS\n");
    if cfg.enabled("log-full") || cfg.enabled("log-micro") {
        h.push_str("#define ANJ_LOG_FORMATTER_PRINTF\n");
    }
    // The sizes of the opaque types the application allocates are not known yet: they
    // come from the compiled library (src/layout.rs), and cmake/anj_rs_sizes.cmake puts
    // them in place of this line.
    writeln!(
        h,
        "\n#define ANJ_INTERNAL_POINTER_WIDTH {}",
        cfg.pointer_width
    )
    .unwrap();
    h.push_str(
        "/* @ANJ_RS_PROBED_SIZES@ sizes and alignments of the opaque types: from the compiled library */\n",
    );
    h.push_str("\n#endif /* ANJ_CONFIG_H */\n");
    h
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=anj-core/options.rs");
    println!("cargo:rerun-if-changed=src/c");
    println!("cargo:rustc-check-cfg=cfg(anj_mbedtls_backend)");
    size_probe();
    let cfg = read_config();
    validate(&cfg);

    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::write(out.join("config.rs"), write_rust(&cfg)).unwrap();
    let header = write_header(&cfg);
    let inc = out.join("include");
    fs::create_dir_all(inc.join("anj")).unwrap();
    fs::write(inc.join("anj/anj_config.h"), &header).unwrap();
    // (This header has no sizes yet: see src/layout.rs.)
    println!("cargo:include={}", inc.display());

    build_dtls_backend(&cfg, &inc);

    // The default (file-based, POSIX) external crypto storage.
    if cfg.enabled("crypto-storage-default") {
        let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
        println!("cargo:rerun-if-changed=src/c/crypto_storage_posix.c");
        cc::Build::new()
            .file(manifest.join("src/c/crypto_storage_posix.c"))
            .include(&inc)
            .include(manifest.join("include"))
            .define("ANJ_INTERNAL_SIZES_PENDING", None)
            .warnings(true)
            .extra_warnings(true)
            .compile("anj_c_crypto_storage");
    }

    // The variadic log handler is C: stable Rust cannot define C-variadic functions.
    if cfg.enabled("log-full") || cfg.enabled("log-micro") {
        let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
        let mut build = cc::Build::new();
        build
            .file(manifest.join("src/c/log.c"))
            .include(&inc)
            .include(manifest.join("include"))
            .define("ANJ_INTERNAL_SIZES_PENDING", None)
            .warnings(true)
            .extra_warnings(true);
        if cfg.enabled("log-handler-output-stderr") {
            build.define("ANJ_RS_LOG_TO_STDERR", None);
        }
        build.compile("anj_c_log");
    }
}

/// Turns on `cfg(anj_size_probe)`, under which `src/layout.rs` publishes the sizes of
/// the C-allocated types as symbols for `cmake/anj_rs_sizes.cmake`, when rustc has
/// `const` operands in `global_asm!` (1.82). The Rust library itself builds without
/// them (`rust-version`); the C header, and so the CMake package, needs them.
fn size_probe() {
    println!("cargo:rustc-check-cfg=cfg(anj_size_probe)");
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let minor = version
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok());
    match minor {
        Some(m) if m >= 82 => println!("cargo:rustc-cfg=anj_size_probe"),
        _ => println!(
            "cargo:warning=rustc {version:?} is older than 1.82: the sizes of anj_t and the other \
             C-allocated types cannot be probed, so anj/anj_config.h cannot be completed for C"
        ),
    }
}

/// The MbedTLS options of Anjay Lite, each from the environment variable of its name
/// (the CMake package sets the numeric ones) or its default in the option table, checked:
/// the numbers against the table's ranges (the handshake timeouts are milliseconds that
/// fit in 32 bits, the trust store size is positive), and the suite lists are
/// comma-separated `MBEDTLS_TLS_*` names (PSK ones for PSK).
fn mbedtls_settings() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for name in [
        "ANJ_MBEDTLS_HS_INITIAL_TIMEOUT_VALUE_MS",
        "ANJ_MBEDTLS_HS_MAXIMUM_TIMEOUT_VALUE_MS",
        "ANJ_MBEDTLS_MAX_TRUST_STORE_CERTIFICATE_SIZE",
    ] {
        let opt = option(name);
        out.push((opt.name, read_number(opt).to_string()));
    }
    for (name, prefix) in [
        ("ANJ_MBEDTLS_ALLOWED_PSK_CIPHERSUITES", "MBEDTLS_TLS_PSK_"),
        ("ANJ_MBEDTLS_ALLOWED_CERT_CIPHERSUITES", "MBEDTLS_TLS_"),
    ] {
        let opt = option(name);
        println!("cargo:rerun-if-env-changed={name}");
        let given = env::var(name).unwrap_or_default();
        let mut list: Vec<&str> = given
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if list.is_empty() {
            list = opt.default.split(',').collect();
        }
        for s in &list {
            if !s.starts_with(prefix) || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                panic!("{name}: {s:?} is not an {prefix}* name");
            }
        }
        out.push((opt.name, list.join(",")));
    }
    out
}

/// The default DTLS backend (`src/c/dtls_mbedtls.c`), built when `net-dtls` and
/// `mbedtls` are on and MbedTLS 3.x headers are known: from `ANJ_MBEDTLS_INCLUDE_DIRS`
/// (a PATH-style list, for firmware builds against the integrator's MbedTLS, which
/// the integrator also links) or from the `mbedtls-rs-sys` crate (feature
/// `vendored-mbedtls`, which also links its MbedTLS 3.6). Without headers the
/// `anj_dtls_*` hooks refuse every connection (`src/platform/dtls_unavailable.rs`).
fn build_dtls_backend(cfg: &Config, inc: &std::path::Path) {
    println!("cargo:rerun-if-env-changed=ANJ_MBEDTLS_INCLUDE_DIRS");
    println!("cargo:rerun-if-env-changed=ANJ_MBEDTLS_CONFIG_FILE");
    println!("cargo:rerun-if-changed=src/c/dtls_mbedtls.c");
    if !(cfg.enabled("net-dtls") && cfg.enabled("mbedtls")) {
        return;
    }
    let (dirs, vendored): (Vec<PathBuf>, bool) = match (
        env::var_os("ANJ_MBEDTLS_INCLUDE_DIRS"),
        env::var_os("DEP_MBEDTLS_INCLUDE"),
    ) {
        (Some(d), _) if !d.is_empty() => (env::split_paths(&d).collect(), false),
        (_, Some(d)) if !d.is_empty() => (env::split_paths(&d).collect(), true),
        _ => {
            println!(
                "cargo:warning=ANJ_WITH_MBEDTLS is on but no MbedTLS headers were given \
                 (ANJ_MBEDTLS_INCLUDE_DIRS, or feature `vendored-mbedtls`): coaps:// will be refused"
            );
            return;
        }
    };
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut build = cc::Build::new();
    build
        .file(manifest.join("src/c/dtls_mbedtls.c"))
        .include(inc)
        .include(manifest.join("include"))
        .define("ANJ_INTERNAL_SIZES_PENDING", None)
        .warnings(true)
        .extra_warnings(true);
    for d in &dirs {
        build.include(d);
    }
    if vendored {
        build.define("ANJ_RS_VENDORED_MBEDTLS", None);
    }
    // The CMake package sets this for ANJ_RS_DTLS_CONNECTION_ID=OFF or a MBEDTLS_CFG_STR
    // that turns MBEDTLS_SSL_DTLS_CONNECTION_ID off: the client then never asks for a CID.
    println!("cargo:rerun-if-env-changed=ANJ_RS_DTLS_NO_CONNECTION_ID");
    if env::var_os("ANJ_RS_DTLS_NO_CONNECTION_ID").is_some_and(|v| !v.is_empty() && v != "0") {
        build.define("ANJ_RS_DTLS_NO_CONNECTION_ID", None);
    }
    if let Ok(file) = env::var("ANJ_MBEDTLS_CONFIG_FILE") {
        if !file.is_empty() {
            build.define("MBEDTLS_CONFIG_FILE", format!("\"{file}\"").as_str());
        }
    }
    let rpk_dirs = if cfg.enabled("rpk") {
        tinydtls_include_dirs()
    } else {
        None
    };
    if rpk_dirs.is_some() {
        build.define("ANJ_RS_RPK_BACKEND", None);
    }
    build.compile("anj_c_dtls");
    if let Some(dirs) = rpk_dirs {
        build_rpk_backend(inc, &manifest, &dirs);
    }
    println!("cargo:rustc-cfg=anj_mbedtls_backend");
}

/// The tinydtls headers for the raw-public-key backend: `ANJ_TINYDTLS_INCLUDE_DIRS`
/// (firmware builds, which link their own tinydtls) or those of the `tinydtls-sys`
/// crate (feature `vendored-tinydtls`, which links the tinydtls it builds). Without
/// them RPK connections are refused, as coaps:// is without MbedTLS headers.
fn tinydtls_include_dirs() -> Option<Vec<PathBuf>> {
    println!("cargo:rerun-if-env-changed=ANJ_TINYDTLS_INCLUDE_DIRS");
    match (
        env::var_os("ANJ_TINYDTLS_INCLUDE_DIRS"),
        env::var_os("DEP_TINYDTLS_INCLUDE"),
    ) {
        (Some(d), _) if !d.is_empty() => Some(env::split_paths(&d).collect()),
        (_, Some(d)) if !d.is_empty() => {
            // The library the crate built, linked from here: naming the crate in Rust
            // would link std (it is not `no_std`) into this `no_std` library.
            if let Some(root) = env::var_os("DEP_TINYDTLS_ROOT") {
                let lib = PathBuf::from(root).join("lib");
                println!("cargo:rustc-link-search=native={}", lib.display());
                println!("cargo:rustc-link-lib=static=tinydtls");
            }
            let d = PathBuf::from(d);
            Some(vec![d.join("tinydtls"), d])
        }
        _ => {
            println!(
                "cargo:warning=ANJ_WITH_RPK is on but no tinydtls headers were given \
                 (ANJ_TINYDTLS_INCLUDE_DIRS, or feature `vendored-tinydtls`): \
                 Security Mode 1 connections will be refused"
            );
            None
        }
    }
}

/// The raw-public-key backend (`src/c/dtls_rpk_tinydtls.c`, feature `rpk`).
fn build_rpk_backend(inc: &std::path::Path, manifest: &std::path::Path, dirs: &[PathBuf]) {
    println!("cargo:rerun-if-changed=src/c/dtls_rpk_tinydtls.c");
    println!("cargo:rerun-if-changed=src/c/dtls_rpk.h");
    let mut build = cc::Build::new();
    build
        .file(manifest.join("src/c/dtls_rpk_tinydtls.c"))
        .include(inc)
        .include(manifest.join("include"))
        .include(manifest.join("src/c"))
        .define("ANJ_INTERNAL_SIZES_PENDING", None)
        .warnings(true)
        .extra_warnings(true);
    for d in dirs {
        build.include(d);
    }
    build.compile("anj_c_dtls_rpk");
}
