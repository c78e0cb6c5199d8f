//! Build configuration: the single source of truth for every `ANJ_*` option.
//!
//! Anjay Lite users configure the library with CMake variables (`ANJ_WITH_OBSERVE`,
//! `ANJ_IN_MSG_BUFFER_SIZE`, ...). Our CMake package turns the boolean ones into cargo
//! features and passes the valued ones as environment variables of the same name. This
//! script reads both and writes:
//!
//! * `$OUT_DIR/config.rs`: the values as Rust constants (`crate::config`);
//! * `$OUT_DIR/include/anj/anj_config.h`: the same configuration for C, plus the sizes
//!   of the opaque, user-allocated types (`anj_t`, the object contexts and the CoAP
//!   downloader), so that C code can allocate them by value. The Rust side asserts at
//!   compile time that the sizes written here are exactly what its types need (see
//!   `src/layout.rs`).
//!
//! When `ANJ_CONFIG_HEADER_DIR` is set, `anj/anj_config.h` is also written there (the
//! CMake package points it into its build tree).

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

/// cargo feature <-> Anjay Lite option name. One entry per line: the CMake package
/// (cmake/anjay_lite-config.cmake) reads this table line by line.
#[rustfmt::skip]
const FEATURE_TABLE: &[(&str, &str)] = &[
    ("net-udp", "ANJ_NET_WITH_UDP"),
    ("net-dtls", "ANJ_NET_WITH_DTLS"),
    ("net-ipv4", "ANJ_NET_WITH_IPV4"),
    ("net-ipv6", "ANJ_NET_WITH_IPV6"),
    ("socket-posix-compat", "ANJ_WITH_SOCKET_POSIX_COMPAT"),
    ("time-posix-compat", "ANJ_WITH_TIME_POSIX_COMPAT"),
    ("rng-posix-compat", "ANJ_WITH_RNG_POSIX_COMPAT"),
    ("security", "ANJ_WITH_SECURITY"),
    ("mbedtls", "ANJ_WITH_MBEDTLS"),
    ("certificates", "ANJ_WITH_CERTIFICATES"),
    ("rpk", "ANJ_WITH_RPK"),
    ("allow-insecure-server-certificate-skip", "ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP"),
    ("external-crypto-storage", "ANJ_WITH_EXTERNAL_CRYPTO_STORAGE"),
    ("crypto-storage-default", "ANJ_WITH_CRYPTO_STORAGE_DEFAULT"),
    ("default-device-obj", "ANJ_WITH_DEFAULT_DEVICE_OBJ"),
    ("default-security-obj", "ANJ_WITH_DEFAULT_SECURITY_OBJ"),
    ("default-server-obj", "ANJ_WITH_DEFAULT_SERVER_OBJ"),
    ("default-fota-obj", "ANJ_WITH_DEFAULT_FOTA_OBJ"),
    ("fota-pull-method", "ANJ_FOTA_WITH_PULL_METHOD"),
    ("fota-push-method", "ANJ_FOTA_WITH_PUSH_METHOD"),
    ("fota-coap", "ANJ_FOTA_WITH_COAP"),
    ("fota-coaps", "ANJ_FOTA_WITH_COAPS"),
    ("fota-http", "ANJ_FOTA_WITH_HTTP"),
    ("fota-https", "ANJ_FOTA_WITH_HTTPS"),
    ("fota-coap-tcp", "ANJ_FOTA_WITH_COAP_TCP"),
    ("fota-coaps-tcp", "ANJ_FOTA_WITH_COAPS_TCP"),
    ("coap-downloader", "ANJ_WITH_COAP_DOWNLOADER"),
    ("senml-cbor", "ANJ_WITH_SENML_CBOR"),
    ("senml-json", "ANJ_WITH_SENML_JSON"),
    ("plaintext", "ANJ_WITH_PLAINTEXT"),
    ("opaque", "ANJ_WITH_OPAQUE"),
    ("tlv", "ANJ_WITH_TLV"),
    ("tlv-encoder", "ANJ_WITH_TLV_ENCODER"),
    ("cbor", "ANJ_WITH_CBOR"),
    ("cbor-decode-decimal-fractions", "ANJ_WITH_CBOR_DECODE_DECIMAL_FRACTIONS"),
    ("cbor-decode-half-float", "ANJ_WITH_CBOR_DECODE_HALF_FLOAT"),
    ("cbor-decode-indefinite-bytes", "ANJ_WITH_CBOR_DECODE_INDEFINITE_BYTES"),
    ("cbor-decode-string-time", "ANJ_WITH_CBOR_DECODE_STRING_TIME"),
    ("lwm2m-cbor", "ANJ_WITH_LWM2M_CBOR"),
    ("discover", "ANJ_WITH_DISCOVER"),
    ("discover-attr", "ANJ_WITH_DISCOVER_ATTR"),
    ("observe", "ANJ_WITH_OBSERVE"),
    ("observe-composite", "ANJ_WITH_OBSERVE_COMPOSITE"),
    ("rst-as-cancel-observe", "ANJ_WITH_RST_AS_CANCEL_OBSERVE"),
    ("observation-cancel-on-timeout", "ANJ_OBSERVE_OBSERVATION_CANCEL_ON_TIMEOUT"),
    ("bootstrap", "ANJ_WITH_BOOTSTRAP"),
    ("bootstrap-discover", "ANJ_WITH_BOOTSTRAP_DISCOVER"),
    ("composite-operations", "ANJ_WITH_COMPOSITE_OPERATIONS"),
    ("lwm2m-send", "ANJ_WITH_LWM2M_SEND"),
    ("external-data", "ANJ_WITH_EXTERNAL_DATA"),
    ("persistence", "ANJ_WITH_PERSISTENCE"),
    ("ntp", "ANJ_WITH_NTP"),
    ("cache", "ANJ_WITH_CACHE"),
    ("lwm2m12", "ANJ_WITH_LWM2M12"),
    ("log-full", "ANJ_LOG_FULL"),
    ("log-micro", "ANJ_LOG_MICRO"),
    ("log-handler-output-stderr", "ANJ_LOG_HANDLER_OUTPUT_STDERR"),
];

/// Valued options: name, default, minimum, maximum.
const NUMERIC_TABLE: &[(&str, u64, u64, u64)] = &[
    ("ANJ_IN_MSG_BUFFER_SIZE", 1200, 64, 65535),
    ("ANJ_OUT_MSG_BUFFER_SIZE", 1200, 64, 65535),
    ("ANJ_OUT_PAYLOAD_BUFFER_SIZE", 1024, 16, 65535),
    ("ANJ_DM_MAX_OBJECTS_NUMBER", 10, 1, 65534),
    ("ANJ_DM_MAX_COMP_READ_ENTRIES", 5, 1, 65535),
    ("ANJ_SEC_OBJ_MAX_PUBLIC_KEY_OR_IDENTITY_SIZE", 255, 1, 65535),
    ("ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE", 255, 1, 65535),
    ("ANJ_SEC_OBJ_MAX_SECRET_KEY_SIZE", 255, 1, 65535),
    ("ANJ_SEC_OBJ_MAX_SNI_SIZE", 50, 1, 65535),
    ("ANJ_COAP_DOWNLOADER_MAX_PATHS_NUMBER", 3, 1, 255),
    ("ANJ_COAP_DOWNLOADER_MAX_MSG_SIZE", 1200, 64, 65535),
    ("ANJ_NTP_SERVER_ADDR_MAX_LEN", 25, 1, 255),
    ("ANJ_OBSERVE_MAX_OBSERVATIONS_NUMBER", 10, 1, 65535),
    ("ANJ_OBSERVE_MAX_WRITE_ATTRIBUTES_NUMBER", 10, 1, 65535),
    // anj-rs: bytes for notifications stored while the server is unreachable (/1/x/6).
    ("ANJ_OBSERVE_NOTIFICATION_STORE_SIZE", 0, 0, 65535),
    ("ANJ_LWM2M_SEND_QUEUE_SIZE", 1, 1, 255),
    ("ANJ_COAP_MAX_OPTIONS_NUMBER", 15, 1, 255),
    ("ANJ_COAP_MAX_ATTR_OPTION_SIZE", 40, 1, 255),
    ("ANJ_COAP_MAX_LOCATION_PATHS_NUMBER", 2, 1, 32),
    ("ANJ_COAP_MAX_LOCATION_PATH_SIZE", 40, 1, 255),
    ("ANJ_CACHE_ENTRIES_NUMBER", 10, 1, 255),
    ("ANJ_LOG_FORMATTER_BUF_SIZE", 512, 16, 65535),
];

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
}

fn read_config() -> Config {
    let features = FEATURE_TABLE
        .iter()
        .filter(|(f, _)| {
            let var = format!("CARGO_FEATURE_{}", f.to_uppercase().replace('-', "_"));
            env::var_os(var).is_some()
        })
        .map(|(f, _)| *f)
        .collect();
    let mut numbers = Vec::new();
    for &(name, default, min, max) in NUMERIC_TABLE {
        println!("cargo:rerun-if-env-changed={name}");
        let value = match env::var(name) {
            Ok(text) if !text.trim().is_empty() => text
                .trim()
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("{name}={text:?} is not a non-negative integer")),
            _ => default,
        };
        if value < min || value > max {
            panic!("{name}={value} is out of range [{min}, {max}]");
        }
        numbers.push((name, value));
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

/// Rejects combinations Anjay Lite's `init.h` rejects, with the same meaning.
fn validate(cfg: &Config) {
    let need = |a: &str, b: &str| {
        if cfg.enabled(a) && !cfg.enabled(b) {
            panic!("configuration error: feature `{a}` requires `{b}`");
        }
    };
    if !cfg.enabled("net-udp") && !cfg.enabled("net-dtls") {
        panic!("configuration error: at least one of ANJ_NET_WITH_UDP, ANJ_NET_WITH_DTLS must be enabled");
    }
    if !cfg.enabled("senml-cbor") && !cfg.enabled("lwm2m-cbor") {
        panic!("configuration error: at least one of ANJ_WITH_SENML_CBOR, ANJ_WITH_LWM2M_CBOR must be enabled");
    }
    need("rst-as-cancel-observe", "observe");
    need("observation-cancel-on-timeout", "observe");
    need("lwm2m-cbor", "lwm2m12");
    need("tlv-encoder", "tlv");
    need("discover-attr", "observe");
    need("observe-composite", "observe");
    need("observe-composite", "composite-operations");
    need("certificates", "security");
    need("rpk", "certificates");
    need("allow-insecure-server-certificate-skip", "certificates");
    need("rpk", "mbedtls");
    need("rpk", "net-dtls");
    need("external-crypto-storage", "security");
    need("crypto-storage-default", "external-crypto-storage");
    need("net-dtls", "security");
    if cfg.enabled("default-fota-obj")
        && !cfg.enabled("fota-pull-method")
        && !cfg.enabled("fota-push-method")
    {
        panic!("configuration error: ANJ_WITH_DEFAULT_FOTA_OBJ needs ANJ_FOTA_WITH_PULL_METHOD or ANJ_FOTA_WITH_PUSH_METHOD");
    }
    let fota_protocols = [
        "fota-coap",
        "fota-coaps",
        "fota-http",
        "fota-https",
        "fota-coap-tcp",
        "fota-coaps-tcp",
    ];
    if cfg.enabled("default-fota-obj")
        && cfg.enabled("fota-pull-method")
        && !fota_protocols.iter().any(|f| cfg.enabled(f))
    {
        panic!("configuration error: ANJ_FOTA_WITH_PULL_METHOD needs at least one of ANJ_FOTA_WITH_COAP, _COAPS, _HTTP, _HTTPS, _COAP_TCP, _COAPS_TCP");
    }
    if cfg.enabled("log-full") && cfg.enabled("log-micro") {
        panic!("configuration error: only one of ANJ_LOG_FULL, ANJ_LOG_MICRO may be enabled");
    }
}

/// Sizes of the opaque types C allocates. `src/layout.rs` asserts that each one is exactly
/// what the Rust type needs, so a change to those types that is not mirrored here fails to
/// compile instead of corrupting memory.
struct Layout {
    anj_t: u64,
    server_obj: u64,
    security_obj: u64,
    device_obj: u64,
    fw_update_obj: u64,
    coap_downloader: u64,
    ntp: u64,
    block1_carry: u64,
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

fn layout(cfg: &Config) -> Layout {
    let p = cfg.pointer_width / 8;
    let align = 8;
    // Fixed part of the client state (everything not sized by the configuration).
    let client_fixed = if p == 8 {
        CLIENT_FIXED_64
    } else {
        CLIENT_FIXED_32
    };
    let r8 = |v: u64| round_up(v, 8);
    // The copy of the network configuration grows with the security options.
    let net_cfg_security = match (
        p,
        cfg.enabled("security"),
        cfg.enabled("certificates"),
        cfg.enabled("external-crypto-storage"),
    ) {
        (_, false, _, _) => 0,
        // `crypto_ctx` (external crypto storage) adds a pointer.
        (8, true, false, false) => 64,
        (8, true, false, true) => 72,
        (8, true, true, false) => 112,
        (8, true, true, true) => 120,
        (_, true, false, false) => 40,
        (_, true, false, true) => 44,
        (_, true, true, false) => 64,
        (_, true, true, true) => 68,
    };
    let carry = block1_carry(cfg);
    let mut anj = 8 // endpoint_name, padded to the 8-aligned storage that follows
        + client_fixed
        // (CLIENT_FIXED counts a 256-byte Block1 carry.)
        + (carry - 256)
        + r8(cfg.num("ANJ_IN_MSG_BUFFER_SIZE"))
        + r8(cfg.num("ANJ_OUT_MSG_BUFFER_SIZE"))
        + r8(cfg.num("ANJ_COAP_MAX_LOCATION_PATHS_NUMBER") * (cfg.num("ANJ_COAP_MAX_LOCATION_PATH_SIZE") + 1))
        + r8(4 * cfg.num("ANJ_CACHE_ENTRIES_NUMBER"))
        + p * cfg.num("ANJ_DM_MAX_OBJECTS_NUMBER")
        // The copy of the object table C handlers read through (src/ffi/core.rs, dm_view).
        + p * cfg.num("ANJ_DM_MAX_OBJECTS_NUMBER");
    anj += net_cfg_security;
    if cfg.enabled("security") {
        // The table of `anj_security_register_credential_handlers`.
        anj += p;
    }
    if cfg.enabled("certificates") {
        // The copy of the configured trust store (pointer and count).
        anj += 2 * p;
    }
    if cfg.enabled("observe") {
        // Write-Attributes storage (src/dm/attributes.rs): 64 bytes per entry on every
        // target.
        anj += 64 * cfg.num("ANJ_OBSERVE_MAX_WRITE_ATTRIBUTES_NUMBER");
        // The observation table (src/observe: 80 bytes per slot on every target), the
        // outstanding notification and the application's change reports.
        // With LwM2M 1.2 a slot also keeps the attributes of the Observe request (64).
        let slot = OBSERVATION_SLOT + if cfg.enabled("lwm2m12") { 64 } else { 0 };
        anj += slot * cfg.num("ANJ_OBSERVE_MAX_OBSERVATIONS_NUMBER")
            + if p == 8 {
                OBSERVE_FIXED_64
            } else {
                OBSERVE_FIXED_32
            }
            // The notification store (/1/x/6), an anj-rs option.
            + r8(cfg.num("ANJ_OBSERVE_NOTIFICATION_STORE_SIZE"));
    }
    if cfg.enabled("bootstrap") {
        // The Bootstrap session (src/client/bootstrap.rs): its transaction (one object
        // pointer per object), counters and flags, and the three bootstrap settings.
        anj += p * cfg.num("ANJ_DM_MAX_OBJECTS_NUMBER") + BOOTSTRAP_FIXED;
    }
    if cfg.enabled("lwm2m-send") {
        // The Send queue (src/send/mod.rs): per slot a request pointer, its ID and an
        // in-flight flag (two pointers' worth with padding), then the ID counter and
        // two flags.
        anj += r8(2 * p * cfg.num("ANJ_LWM2M_SEND_QUEUE_SIZE") + 4);
        // The Block1 position of the outstanding Send (src/client/block.rs, Block1Tx).
        anj += 16;
    }
    if cfg.enabled("external-data") {
        // The external value of a block-wise Read kept open between its blocks
        // (src/client/requests.rs, ExtRead).
        anj += if p == 8 { EXT_READ_64 } else { EXT_READ_32 };
    }
    if cfg.enabled("cache") {
        // The last response, kept whole, and its length.
        anj += r8(cfg.num("ANJ_OUT_MSG_BUFFER_SIZE")) + 8;
    }
    let server_obj = if p == 8 { SERVER_OBJ_64 } else { SERVER_OBJ_32 };
    let sec_instances = if cfg.enabled("bootstrap") { 2 } else { 1 };
    // With `security` an instance also keeps /0/x/3, /0/x/4 and /0/x/5 with their lengths
    // (three u16) and the NUL-terminated SNI (/0/x/14); with `certificates` also /0/x/15
    // (a C enum). Its 4-aligned data grows from 272 bytes (271 used) by those.
    let sec_credentials = if cfg.enabled("security") {
        round_up(
            271 + cfg.num("ANJ_SEC_OBJ_MAX_PUBLIC_KEY_OR_IDENTITY_SIZE")
                + cfg.num("ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE")
                + cfg.num("ANJ_SEC_OBJ_MAX_SECRET_KEY_SIZE")
                + 3 * 2
                + cfg.num("ANJ_SEC_OBJ_MAX_SNI_SIZE")
                + 1
                + if cfg.enabled("certificates") { 4 } else { 0 },
            4,
        ) - 272
    } else {
        0
    };
    // With external crypto storage an instance also keeps three references (pointers;
    // on 64-bit targets they make the instance 8-aligned: up to 8 bytes of padding).
    let sec_external = if cfg.enabled("external-crypto-storage") {
        3 * p + if p == 8 { 8 } else { 0 }
    } else {
        0
    };
    let security_obj = if p == 8 {
        SECURITY_OBJ_FIXED_64
    } else {
        SECURITY_OBJ_FIXED_32
    } + sec_instances
        * (sec_credentials
            + sec_external
            + if p == 8 {
                SECURITY_INST_64
            } else {
                SECURITY_INST_32
            })
        // With Bootstrap, the transaction's rollback copy of each instance's data (not
        // of its `anj_dm_obj_inst_t` table entry, which is rebuilt from the data).
        + u64::from(cfg.enabled("bootstrap"))
            * sec_instances
            * (sec_credentials
                + sec_external
                + if p == 8 {
                    SECURITY_INST_64 - OBJ_INST_ENTRY_64
                } else {
                    SECURITY_INST_32 - OBJ_INST_ENTRY_32
                });
    let device_obj = if p == 8 { DEVICE_OBJ_64 } else { DEVICE_OBJ_32 };
    // The Firmware Update context holds the Package URI (256 bytes) with the pull method.
    let fw_update_obj = if p == 8 {
        FW_UPDATE_OBJ_64
    } else {
        FW_UPDATE_OBJ_32
    } + match (cfg.enabled("fota-pull-method"), p) {
        (false, _) => 0,
        (true, 8) => FW_UPDATE_PULL_64,
        (true, _) => FW_UPDATE_PULL_32,
    };
    // The downloader: state machine, connection, its own message buffer.
    let coap_downloader = if p == 8 {
        COAP_DOWNLOADER_FIXED_64
    } else {
        COAP_DOWNLOADER_FIXED_32
    } + r8(cfg.num("ANJ_COAP_DOWNLOADER_MAX_MSG_SIZE"))
        + net_cfg_security;
    // The NTP module: object, connection, state machine, and two copies (current and
    // transaction backup) of the two server address resources.
    let ntp = if p == 8 { NTP_FIXED_64 } else { NTP_FIXED_32 }
        + 4 * cfg.num("ANJ_NTP_SERVER_ADDR_MAX_LEN");
    Layout {
        block1_carry: carry,
        ntp: round_up(ntp, align),
        anj_t: round_up(anj, align),
        server_obj: round_up(server_obj, align),
        security_obj: round_up(security_obj, align),
        device_obj: round_up(device_obj, align),
        fw_update_obj: round_up(fw_update_obj, align),
        coap_downloader: round_up(coap_downloader, align),
    }
}

// Measured sizes of the parts that do not scale with the configuration, for 64- and
// 32-bit targets. `src/layout.rs` fails the build when they drift (its test prints the
// real sizes).
const CLIENT_FIXED_64: u64 = 912;
const CLIENT_FIXED_32: u64 = 784;
const OBSERVATION_SLOT: u64 = 80;
const EXT_READ_64: u64 = 104;
const EXT_READ_32: u64 = 72;
const BOOTSTRAP_FIXED: u64 = 32;
const OBSERVE_FIXED_64: u64 = 120;
const OBSERVE_FIXED_32: u64 = 120;
const SERVER_OBJ_64: u64 = 168;
const SERVER_OBJ_32: u64 = 132;
const SECURITY_OBJ_FIXED_64: u64 = 48;
const SECURITY_OBJ_FIXED_32: u64 = 24;
const SECURITY_INST_64: u64 = 296;
const SECURITY_INST_32: u64 = 280;
// `anj_dm_obj_inst_t`: IID, resource pointer, resource count.
const OBJ_INST_ENTRY_64: u64 = 24;
const OBJ_INST_ENTRY_32: u64 = 12;
const DEVICE_OBJ_64: u64 = 120;
const DEVICE_OBJ_32: u64 = 60;
const FW_UPDATE_OBJ_64: u64 = 104;
const FW_UPDATE_OBJ_32: u64 = 52;
const FW_UPDATE_PULL_64: u64 = 272;
const FW_UPDATE_PULL_32: u64 = 264;
const COAP_DOWNLOADER_FIXED_64: u64 = 216;
const COAP_DOWNLOADER_FIXED_32: u64 = 184;
const NTP_FIXED_64: u64 = 192;
const NTP_FIXED_32: u64 = 160;

fn write_rust(cfg: &Config, lay: &Layout) -> String {
    let mut s = String::from("// Generated by build.rs from the build configuration.\n");
    for (name, value) in &cfg.numbers {
        let short = name.trim_start_matches("ANJ_");
        writeln!(s, "pub const {short}: usize = {value};").unwrap();
    }
    writeln!(s, "pub const SIZEOF_ANJ_T: usize = {};", lay.anj_t).unwrap();
    writeln!(
        s,
        "pub const SIZEOF_SERVER_OBJ: usize = {};",
        lay.server_obj
    )
    .unwrap();
    writeln!(
        s,
        "pub const SIZEOF_SECURITY_OBJ: usize = {};",
        lay.security_obj
    )
    .unwrap();
    writeln!(
        s,
        "pub const SIZEOF_DEVICE_OBJ: usize = {};",
        lay.device_obj
    )
    .unwrap();
    writeln!(
        s,
        "pub const SIZEOF_FW_UPDATE_OBJ: usize = {};",
        lay.fw_update_obj
    )
    .unwrap();
    writeln!(
        s,
        "pub const SIZEOF_COAP_DOWNLOADER: usize = {};",
        lay.coap_downloader
    )
    .unwrap();
    writeln!(s, "pub const SIZEOF_NTP: usize = {};", lay.ntp).unwrap();
    writeln!(
        s,
        "pub const BLOCK1_CARRY_SIZE: usize = {};",
        lay.block1_carry
    )
    .unwrap();
    s
}

fn write_header(cfg: &Config, lay: &Layout) -> String {
    let mut h = String::new();
    h.push_str(
        "/* Generated by anj-rs build.rs from the build configuration. Do not edit. */\n\
         #ifndef ANJ_CONFIG_H\n#define ANJ_CONFIG_H\n\n",
    );
    for (feature, name) in FEATURE_TABLE {
        if cfg.enabled(feature) {
            writeln!(h, "#define {name}").unwrap();
        } else {
            writeln!(h, "/* #undef {name} */").unwrap();
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
    h.push_str(
        "\n/* Sizes of the opaque types the application allocates (asserted by the library). */\n",
    );
    writeln!(
        h,
        "#define ANJ_INTERNAL_POINTER_WIDTH {}",
        cfg.pointer_width
    )
    .unwrap();
    writeln!(h, "#define ANJ_INTERNAL_SIZEOF_ANJ_T {}", lay.anj_t).unwrap();
    writeln!(
        h,
        "#define ANJ_INTERNAL_SIZEOF_SERVER_OBJ {}",
        lay.server_obj
    )
    .unwrap();
    writeln!(
        h,
        "#define ANJ_INTERNAL_SIZEOF_SECURITY_OBJ {}",
        lay.security_obj
    )
    .unwrap();
    writeln!(
        h,
        "#define ANJ_INTERNAL_SIZEOF_DEVICE_OBJ {}",
        lay.device_obj
    )
    .unwrap();
    writeln!(
        h,
        "#define ANJ_INTERNAL_SIZEOF_FW_UPDATE_OBJ {}",
        lay.fw_update_obj
    )
    .unwrap();
    writeln!(
        h,
        "#define ANJ_INTERNAL_SIZEOF_COAP_DOWNLOADER {}",
        lay.coap_downloader
    )
    .unwrap();
    writeln!(h, "#define ANJ_INTERNAL_SIZEOF_NTP {}", lay.ntp).unwrap();
    h.push_str("\n#endif /* ANJ_CONFIG_H */\n");
    h
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/c");
    println!("cargo:rerun-if-env-changed=ANJ_CONFIG_HEADER_DIR");
    println!("cargo:rustc-check-cfg=cfg(anj_mbedtls_backend)");
    let cfg = read_config();
    validate(&cfg);
    let lay = layout(&cfg);

    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::write(out.join("config.rs"), write_rust(&cfg, &lay)).unwrap();
    let header = write_header(&cfg, &lay);
    let inc = out.join("include");
    fs::create_dir_all(inc.join("anj")).unwrap();
    fs::write(inc.join("anj/anj_config.h"), &header).unwrap();
    if let Some(dir) = env::var_os("ANJ_CONFIG_HEADER_DIR") {
        let dir = PathBuf::from(dir).join("anj");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("anj_config.h");
        // Rewrite only on change, so C targets are not rebuilt needlessly.
        if fs::read_to_string(&path).ok().as_deref() != Some(header.as_str()) {
            fs::write(&path, &header).unwrap();
        }
    }
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
            .warnings(true)
            .extra_warnings(true);
        if cfg.enabled("log-handler-output-stderr") {
            build.define("ANJ_RS_LOG_TO_STDERR", None);
        }
        build.compile("anj_c_log");
    }
}

/// The MbedTLS options of Anjay Lite, each from the environment variable of its name
/// (the CMake package sets them) or Anjay Lite's default, checked: the handshake
/// timeouts are milliseconds that fit in 32 bits, the trust store size is positive, and
/// the suite lists are comma-separated `MBEDTLS_TLS_*` names (PSK ones for PSK).
fn mbedtls_settings() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (name, default, min) in [
        ("ANJ_MBEDTLS_HS_INITIAL_TIMEOUT_VALUE_MS", 1000u64, 0u64),
        ("ANJ_MBEDTLS_HS_MAXIMUM_TIMEOUT_VALUE_MS", 60000, 0),
        ("ANJ_MBEDTLS_MAX_TRUST_STORE_CERTIFICATE_SIZE", 255, 1),
    ] {
        println!("cargo:rerun-if-env-changed={name}");
        let value = match env::var(name) {
            Ok(v) if !v.trim().is_empty() => {
                let v = v.trim();
                let n: u64 = v
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}={v:?} is not a non-negative integer"));
                if n < min || n > u64::from(u32::MAX) {
                    panic!("{name}={n} is out of range [{min}, {}]", u32::MAX);
                }
                n
            }
            _ => default,
        };
        out.push((name, value.to_string()));
    }
    for (name, prefix, default) in [
        (
            "ANJ_MBEDTLS_ALLOWED_PSK_CIPHERSUITES",
            "MBEDTLS_TLS_PSK_",
            "MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8,MBEDTLS_TLS_PSK_WITH_AES_256_CCM_8",
        ),
        (
            "ANJ_MBEDTLS_ALLOWED_CERT_CIPHERSUITES",
            "MBEDTLS_TLS_",
            "MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8",
        ),
    ] {
        println!("cargo:rerun-if-env-changed={name}");
        let given = env::var(name).unwrap_or_default();
        let mut list: Vec<&str> = given
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if list.is_empty() {
            list = default.split(',').collect();
        }
        for s in &list {
            if !s.starts_with(prefix) || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                panic!("{name}: {s:?} is not an {prefix}* name");
            }
        }
        out.push((name, list.join(",")));
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
        .warnings(true)
        .extra_warnings(true);
    for d in dirs {
        build.include(d);
    }
    build.compile("anj_c_dtls_rpk");
}
