// The option table: every `ANJ_*` build option of anj-rs and its dependencies, written once.
//
// Plain data (the row types, three `const fn` shorthands for rows, and the tables; no
// logic), `include!`d by:
// * anj-core/build.rs: the valued options as Rust constants (`anj_core::config`);
// * build.rs: the cargo feature of each boolean option, the values and ranges, the
//   dependency rules it enforces, and `anj/anj_config.h`;
// * tools/gen-options.rs (run by tools/gen-options.sh): cmake/anj_options.cmake, which the
//   CMake package includes, and the `#error` rules of include/anj/init.h. It also checks
//   that the `default` features of Cargo.toml are the options whose cargo default is "ON".
//   `tools/gen-options.sh --check` (CI's lint stage) fails when any of them is stale.
//
// Defaults: `default` is the value of a cargo build with the default features (and of the
// CMake package unless `cmake` says otherwise). Where the CMake package's default differs
// on purpose, `cmake` gives its default and the reason. These differ today:
//
//   option                  cargo   CMake   why
//   ANJ_NET_WITH_DTLS       OFF     ON      CMake: Anjay Lite's default; cargo: host builds and
//   ANJ_WITH_SECURITY       OFF     ON      tests need no MbedTLS (feature `vendored-mbedtls`
//   ANJ_WITH_MBEDTLS        OFF     ON      turns all three on)
//   ANJ_WITH_SENML_JSON     ON      OFF     anj-rs extensions: C users get Anjay Lite 3.0.0's
//   ANJ_WITH_TLV_ENCODER    ON      OFF     behaviour; cargo builds (Rust users, Leshan) use them
//
// (docs/differences-from-anjay-lite.md describes the two extensions.)

/// What values an option takes.
#[allow(dead_code)]
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// ON or OFF.
    Bool,
    /// A decimal integer in `min..=max`.
    Num { min: u64, max: u64 },
    /// Free text (empty: not set).
    Text,
    /// A log level token (`L_TRACE` ... `L_MUTED`).
    Level,
    /// A knob of Anjay Lite's own C build with no meaning for anj-rs: accepted with any value.
    Knob,
}

/// How the option reaches the library.
#[allow(dead_code)]
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// A cargo feature (of the root package, which forwards some to anj-core).
    Feature(&'static str),
    /// An environment variable of the option's name, read by both build scripts
    /// (`anj_core::config` and `anj/anj_config.h`); the CMake package always passes it.
    Env,
    /// An environment variable read by build.rs for the DTLS backend and `anj_config.h`;
    /// the CMake package passes it only when it is not the default.
    EnvIfChanged,
    /// An environment variable read by build.rs; the CMake package does not pass it yet
    /// (it warns that a changed value has no effect).
    EnvNotFromCMake,
    /// No anj-rs counterpart: the library behaves as with the default (the CMake package
    /// warns about another value).
    Nothing,
}

#[allow(dead_code)]
struct Opt {
    name: &'static str,
    kind: Kind,
    /// The cargo default (with the default features) and, unless `cmake` is set, the
    /// CMake package's.
    default: &'static str,
    /// The CMake package's default where it differs on purpose, and why.
    cmake: Option<(&'static str, &'static str)>,
    via: Via,
}

/// A dependency rule: the configuration is refused when every option of `when` is on
/// and none of `unless` is (so `when: &[]` means "at least one of `unless`", and
/// `unless: &[]` means "not all of `when` together"). A text option is on when it is not
/// empty. `cargo`: build.rs enforces it too (and include/anj/init.h repeats it); otherwise
/// only the CMake package does (rules on options cargo has no feature for, and Anjay
/// Lite's logger-output rule that cargo builds do not need).
#[allow(dead_code)]
struct Rule {
    when: &'static [&'static str],
    unless: &'static [&'static str],
    cargo: bool,
    text: &'static str,
}

#[allow(dead_code)]
const fn b(name: &'static str, default: &'static str, feature: &'static str) -> Opt {
    Opt {
        name,
        kind: Kind::Bool,
        default,
        cmake: None,
        via: Via::Feature(feature),
    }
}

#[allow(dead_code)]
const fn n(name: &'static str, default: &'static str, min: u64, max: u64) -> Opt {
    Opt {
        name,
        kind: Kind::Num { min, max },
        default,
        cmake: None,
        via: Via::Env,
    }
}

#[allow(dead_code)]
const fn other(name: &'static str, kind: Kind, default: &'static str, via: Via) -> Opt {
    Opt {
        name,
        kind,
        default,
        cmake: None,
        via,
    }
}

const U32_MAX: u64 = 4_294_967_295;

/// Every option: Anjay Lite 3.0.0's, and anj-rs's own (marked). The order is the order of
/// `anj/anj_config.h`.
#[allow(dead_code)]
#[rustfmt::skip]
const OPTIONS: &[Opt] = &[
    // buffers
    n("ANJ_IN_MSG_BUFFER_SIZE", "1200", 64, 65535),
    n("ANJ_OUT_MSG_BUFFER_SIZE", "1200", 64, 65535),
    n("ANJ_OUT_PAYLOAD_BUFFER_SIZE", "1024", 16, 65535),
    // data model
    n("ANJ_DM_MAX_OBJECTS_NUMBER", "10", 1, 65534),
    b("ANJ_WITH_COMPOSITE_OPERATIONS", "ON", "composite-operations"),
    n("ANJ_DM_MAX_COMP_READ_ENTRIES", "5", 1, 65535),
    // built-in objects
    b("ANJ_WITH_DEFAULT_DEVICE_OBJ", "ON", "default-device-obj"),
    b("ANJ_WITH_DEFAULT_SECURITY_OBJ", "ON", "default-security-obj"),
    n("ANJ_SEC_OBJ_MAX_PUBLIC_KEY_OR_IDENTITY_SIZE", "255", 1, 65535),
    n("ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE", "255", 1, 65535),
    n("ANJ_SEC_OBJ_MAX_SECRET_KEY_SIZE", "255", 1, 65535),
    n("ANJ_SEC_OBJ_MAX_SNI_SIZE", "50", 1, 65535),
    b("ANJ_WITH_DEFAULT_SERVER_OBJ", "ON", "default-server-obj"),
    b("ANJ_WITH_DEFAULT_FOTA_OBJ", "ON", "default-fota-obj"),
    b("ANJ_FOTA_WITH_PULL_METHOD", "ON", "fota-pull-method"),
    b("ANJ_FOTA_WITH_PUSH_METHOD", "ON", "fota-push-method"),
    b("ANJ_FOTA_WITH_COAP", "OFF", "fota-coap"),
    b("ANJ_FOTA_WITH_COAPS", "ON", "fota-coaps"),
    b("ANJ_FOTA_WITH_HTTP", "OFF", "fota-http"),
    b("ANJ_FOTA_WITH_HTTPS", "OFF", "fota-https"),
    b("ANJ_FOTA_WITH_COAP_TCP", "OFF", "fota-coap-tcp"),
    b("ANJ_FOTA_WITH_COAPS_TCP", "OFF", "fota-coaps-tcp"),
    // CoAP downloader, NTP
    b("ANJ_WITH_COAP_DOWNLOADER", "OFF", "coap-downloader"),
    n("ANJ_COAP_DOWNLOADER_MAX_PATHS_NUMBER", "3", 1, 255),
    n("ANJ_COAP_DOWNLOADER_MAX_MSG_SIZE", "1200", 64, 65535),
    b("ANJ_WITH_NTP", "OFF", "ntp"),
    n("ANJ_NTP_SERVER_ADDR_MAX_LEN", "25", 1, 255),
    // observe, bootstrap, discover, send
    b("ANJ_WITH_OBSERVE", "ON", "observe"),
    b("ANJ_WITH_OBSERVE_COMPOSITE", "OFF", "observe-composite"),
    n("ANJ_OBSERVE_MAX_OBSERVATIONS_NUMBER", "10", 1, 65535),
    n("ANJ_OBSERVE_MAX_WRITE_ATTRIBUTES_NUMBER", "10", 1, 65535),
    b("ANJ_OBSERVE_OBSERVATION_CANCEL_ON_TIMEOUT", "OFF", "observation-cancel-on-timeout"),
    // anj-rs: bytes for notifications stored while the server is unreachable (/1/x/6).
    n("ANJ_OBSERVE_NOTIFICATION_STORE_SIZE", "0", 0, 65535),
    b("ANJ_WITH_RST_AS_CANCEL_OBSERVE", "ON", "rst-as-cancel-observe"),
    b("ANJ_WITH_BOOTSTRAP", "ON", "bootstrap"),
    b("ANJ_WITH_BOOTSTRAP_DISCOVER", "ON", "bootstrap-discover"),
    b("ANJ_WITH_DISCOVER", "ON", "discover"),
    b("ANJ_WITH_DISCOVER_ATTR", "ON", "discover-attr"),
    b("ANJ_WITH_LWM2M_SEND", "ON", "lwm2m-send"),
    n("ANJ_LWM2M_SEND_QUEUE_SIZE", "1", 1, 255),
    // platform (compat) layer
    b("ANJ_WITH_TIME_POSIX_COMPAT", "ON", "time-posix-compat"),
    b("ANJ_WITH_RNG_POSIX_COMPAT", "ON", "rng-posix-compat"),
    b("ANJ_WITH_SOCKET_POSIX_COMPAT", "ON", "socket-posix-compat"),
    b("ANJ_WITH_CRYPTO_STORAGE_DEFAULT", "OFF", "crypto-storage-default"),
    b("ANJ_NET_WITH_IPV4", "ON", "net-ipv4"),
    b("ANJ_NET_WITH_IPV6", "OFF", "net-ipv6"),
    b("ANJ_NET_WITH_UDP", "ON", "net-udp"),
    Opt { cmake: Some(("ON", "Anjay Lite's default, while cargo host builds need no MbedTLS (feature vendored-mbedtls turns it on)")),
        ..b("ANJ_NET_WITH_DTLS", "OFF", "net-dtls") },
    Opt { cmake: Some(("ON", "Anjay Lite's default, while cargo host builds need no MbedTLS (feature vendored-mbedtls turns it on)")),
        ..b("ANJ_WITH_MBEDTLS", "OFF", "mbedtls") },
    other("ANJ_MBEDTLS_ALLOWED_PSK_CIPHERSUITES", Kind::Text,
        "MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8,MBEDTLS_TLS_PSK_WITH_AES_256_CCM_8", Via::EnvNotFromCMake),
    other("ANJ_MBEDTLS_ALLOWED_CERT_CIPHERSUITES", Kind::Text,
        "MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", Via::EnvNotFromCMake),
    other("ANJ_MBEDTLS_HS_INITIAL_TIMEOUT_VALUE_MS", Kind::Num { min: 0, max: U32_MAX }, "1000", Via::EnvIfChanged),
    other("ANJ_MBEDTLS_HS_MAXIMUM_TIMEOUT_VALUE_MS", Kind::Num { min: 0, max: U32_MAX }, "60000", Via::EnvIfChanged),
    other("ANJ_MBEDTLS_MAX_TRUST_STORE_CERTIFICATE_SIZE", Kind::Num { min: 1, max: U32_MAX }, "255", Via::EnvIfChanged),
    // security
    Opt { cmake: Some(("ON", "Anjay Lite's default, while cargo host builds need no MbedTLS (feature vendored-mbedtls turns it on)")),
        ..b("ANJ_WITH_SECURITY", "OFF", "security") },
    b("ANJ_WITH_CERTIFICATES", "OFF", "certificates"),
    // anj-rs extension: Security Mode 1 (raw public keys) on tinydtls.
    b("ANJ_WITH_RPK", "OFF", "rpk"),
    b("ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP", "OFF", "allow-insecure-server-certificate-skip"),
    b("ANJ_WITH_EXTERNAL_CRYPTO_STORAGE", "OFF", "external-crypto-storage"),
    other("ANJ_WITH_EXTERNAL_SIGNING", Kind::Bool, "OFF", Via::Nothing),
    // data formats
    b("ANJ_WITH_EXTERNAL_DATA", "OFF", "external-data"),
    b("ANJ_WITH_CBOR", "ON", "cbor"),
    b("ANJ_WITH_CBOR_DECODE_DECIMAL_FRACTIONS", "ON", "cbor-decode-decimal-fractions"),
    b("ANJ_WITH_CBOR_DECODE_HALF_FLOAT", "ON", "cbor-decode-half-float"),
    b("ANJ_WITH_CBOR_DECODE_INDEFINITE_BYTES", "ON", "cbor-decode-indefinite-bytes"),
    b("ANJ_WITH_CBOR_DECODE_STRING_TIME", "ON", "cbor-decode-string-time"),
    b("ANJ_WITH_LWM2M_CBOR", "ON", "lwm2m-cbor"),
    b("ANJ_WITH_SENML_CBOR", "ON", "senml-cbor"),
    b("ANJ_WITH_PLAINTEXT", "ON", "plaintext"),
    b("ANJ_WITH_OPAQUE", "ON", "opaque"),
    b("ANJ_WITH_TLV", "ON", "tlv"),
    // anj-rs extension (Anjay Lite 3.0.0 only decodes TLV).
    Opt { cmake: Some(("OFF", "anj-rs extension, so C users get Anjay Lite 3.0.0's behaviour (a TLV Accept gets 4.06)")),
        ..b("ANJ_WITH_TLV_ENCODER", "ON", "tlv-encoder") },
    // anj-rs extension (Anjay Lite 3.0.0 has no SenML JSON).
    Opt { cmake: Some(("OFF", "anj-rs extension, so C users get Anjay Lite 3.0.0's behaviour (SenML JSON gets 4.06/4.15)")),
        ..b("ANJ_WITH_SENML_JSON", "ON", "senml-json") },
    // CoAP
    n("ANJ_COAP_MAX_OPTIONS_NUMBER", "15", 1, 255),
    n("ANJ_COAP_MAX_ATTR_OPTION_SIZE", "40", 1, 255),
    n("ANJ_COAP_MAX_LOCATION_PATHS_NUMBER", "2", 1, 32),
    n("ANJ_COAP_MAX_LOCATION_PATH_SIZE", "40", 1, 255),
    b("ANJ_WITH_CACHE", "ON", "cache"),
    n("ANJ_CACHE_ENTRIES_NUMBER", "10", 1, 255),
    // logger
    b("ANJ_LOG_FULL", "ON", "log-full"),
    b("ANJ_LOG_MICRO", "OFF", "log-micro"),
    other("ANJ_LOG_ALT_IMPL_HEADER", Kind::Text, "", Via::Nothing),
    other("ANJ_LOG_FORMATTER_PRINTF", Kind::Bool, "ON", Via::Nothing),
    n("ANJ_LOG_FORMATTER_BUF_SIZE", "512", 16, 65535),
    b("ANJ_LOG_HANDLER_OUTPUT_STDERR", "ON", "log-handler-output-stderr"),
    other("ANJ_LOG_HANDLER_OUTPUT_ALT", Kind::Bool, "OFF", Via::Nothing),
    other("ANJ_LOG_STRIP_CONSTANTS", Kind::Bool, "OFF", Via::Nothing),
    other("ANJ_LOG_LEVEL_DEFAULT", Kind::Level, "L_INFO", Via::Nothing),
    other("ANJ_LOG_FILTERING_CONFIG_HEADER", Kind::Text, "", Via::Nothing),
    // persistence, other
    b("ANJ_WITH_PERSISTENCE", "OFF", "persistence"),
    b("ANJ_WITH_LWM2M12", "ON", "lwm2m12"),
    other("ANJ_WITH_CUSTOM_CONVERSION_FUNCTIONS", Kind::Bool, "ON", Via::Nothing),
    other("ANJ_PLATFORM_BIG_ENDIAN", Kind::Bool, "OFF", Via::Nothing),
    // knobs of Anjay Lite's own C build
    other("ANJ_TESTING", Kind::Knob, "OFF", Via::Nothing),
    other("ANJ_IWYU_PATH", Kind::Knob, "", Via::Nothing),
    other("ANJ_WITH_EXTRA_WARNINGS", Kind::Knob, "ON", Via::Nothing),
    other("ANJ_MBEDTLS_PSK_IDENTITY_MAX_LEN", Kind::Knob, "128", Via::Nothing),
];

const FOTA_PROTOCOLS: &[&str] = &[
    "ANJ_FOTA_WITH_COAP",
    "ANJ_FOTA_WITH_COAPS",
    "ANJ_FOTA_WITH_HTTP",
    "ANJ_FOTA_WITH_HTTPS",
    "ANJ_FOTA_WITH_COAP_TCP",
    "ANJ_FOTA_WITH_COAPS_TCP",
];

/// The dependency rules (Anjay Lite's `init.h` rules, and anj-rs's own on top of them).
/// Texts contain no `"`, `;`, `|`, `\` or `$` (they go into CMake lists and C strings).
#[allow(dead_code)]
#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule { when: &[], unless: &["ANJ_NET_WITH_UDP", "ANJ_NET_WITH_DTLS"], cargo: true,
        text: "enable at least one transport: ANJ_NET_WITH_UDP or ANJ_NET_WITH_DTLS" },
    Rule { when: &[], unless: &["ANJ_WITH_SENML_CBOR", "ANJ_WITH_LWM2M_CBOR"], cargo: true,
        text: "enable at least one of ANJ_WITH_SENML_CBOR and ANJ_WITH_LWM2M_CBOR" },
    Rule { when: &["ANJ_WITH_RST_AS_CANCEL_OBSERVE"], unless: &["ANJ_WITH_OBSERVE"], cargo: true,
        text: "ANJ_WITH_RST_AS_CANCEL_OBSERVE needs ANJ_WITH_OBSERVE (turn it OFF too)" },
    Rule { when: &["ANJ_OBSERVE_OBSERVATION_CANCEL_ON_TIMEOUT"], unless: &["ANJ_WITH_OBSERVE"], cargo: true,
        text: "ANJ_OBSERVE_OBSERVATION_CANCEL_ON_TIMEOUT needs ANJ_WITH_OBSERVE" },
    Rule { when: &["ANJ_WITH_LWM2M_CBOR"], unless: &["ANJ_WITH_LWM2M12"], cargo: true,
        text: "ANJ_WITH_LWM2M_CBOR needs ANJ_WITH_LWM2M12 (LwM2M CBOR exists only in LwM2M 1.2)" },
    Rule { when: &["ANJ_WITH_TLV_ENCODER"], unless: &["ANJ_WITH_TLV"], cargo: true,
        text: "ANJ_WITH_TLV_ENCODER needs ANJ_WITH_TLV" },
    Rule { when: &["ANJ_WITH_DISCOVER_ATTR"], unless: &["ANJ_WITH_OBSERVE"], cargo: true,
        text: "ANJ_WITH_DISCOVER_ATTR needs ANJ_WITH_OBSERVE (turn it OFF too)" },
    Rule { when: &["ANJ_WITH_OBSERVE_COMPOSITE"], unless: &["ANJ_WITH_OBSERVE"], cargo: true,
        text: "ANJ_WITH_OBSERVE_COMPOSITE needs both ANJ_WITH_OBSERVE and ANJ_WITH_COMPOSITE_OPERATIONS" },
    Rule { when: &["ANJ_WITH_OBSERVE_COMPOSITE"], unless: &["ANJ_WITH_COMPOSITE_OPERATIONS"], cargo: true,
        text: "ANJ_WITH_OBSERVE_COMPOSITE needs both ANJ_WITH_OBSERVE and ANJ_WITH_COMPOSITE_OPERATIONS" },
    Rule { when: &["ANJ_NET_WITH_DTLS"], unless: &["ANJ_WITH_SECURITY"], cargo: true,
        text: "ANJ_NET_WITH_DTLS needs ANJ_WITH_SECURITY in anj-rs" },
    Rule { when: &["ANJ_WITH_CERTIFICATES"], unless: &["ANJ_WITH_SECURITY"], cargo: true,
        text: "ANJ_WITH_CERTIFICATES needs ANJ_WITH_SECURITY" },
    Rule { when: &["ANJ_WITH_RPK"], unless: &["ANJ_WITH_SECURITY"], cargo: true,
        text: "ANJ_WITH_RPK needs ANJ_WITH_SECURITY" },
    Rule { when: &["ANJ_WITH_RPK"], unless: &["ANJ_WITH_CERTIFICATES"], cargo: true,
        text: "ANJ_WITH_RPK needs ANJ_WITH_CERTIFICATES in anj-rs" },
    Rule { when: &["ANJ_WITH_RPK"], unless: &["ANJ_WITH_MBEDTLS"], cargo: true,
        text: "ANJ_WITH_RPK needs ANJ_WITH_MBEDTLS in anj-rs" },
    Rule { when: &["ANJ_WITH_RPK"], unless: &["ANJ_NET_WITH_DTLS"], cargo: true,
        text: "ANJ_WITH_RPK needs ANJ_NET_WITH_DTLS in anj-rs" },
    Rule { when: &["ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP"], unless: &["ANJ_WITH_CERTIFICATES"], cargo: true,
        text: "ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP needs ANJ_WITH_CERTIFICATES in anj-rs" },
    Rule { when: &["ANJ_WITH_EXTERNAL_CRYPTO_STORAGE"], unless: &["ANJ_WITH_SECURITY"], cargo: true,
        text: "ANJ_WITH_EXTERNAL_CRYPTO_STORAGE needs ANJ_WITH_SECURITY" },
    Rule { when: &["ANJ_WITH_CRYPTO_STORAGE_DEFAULT"], unless: &["ANJ_WITH_EXTERNAL_CRYPTO_STORAGE"], cargo: true,
        text: "ANJ_WITH_CRYPTO_STORAGE_DEFAULT needs ANJ_WITH_EXTERNAL_CRYPTO_STORAGE in anj-rs" },
    Rule { when: &["ANJ_WITH_EXTERNAL_SIGNING"], unless: &["ANJ_WITH_EXTERNAL_CRYPTO_STORAGE"], cargo: false,
        text: "ANJ_WITH_EXTERNAL_SIGNING needs ANJ_WITH_EXTERNAL_CRYPTO_STORAGE" },
    Rule { when: &["ANJ_WITH_EXTERNAL_SIGNING", "ANJ_WITH_CRYPTO_STORAGE_DEFAULT"], unless: &[], cargo: false,
        text: "ANJ_WITH_EXTERNAL_SIGNING cannot be combined with ANJ_WITH_CRYPTO_STORAGE_DEFAULT" },
    Rule { when: &["ANJ_WITH_DEFAULT_FOTA_OBJ"], unless: &["ANJ_FOTA_WITH_PULL_METHOD", "ANJ_FOTA_WITH_PUSH_METHOD"], cargo: true,
        text: "ANJ_WITH_DEFAULT_FOTA_OBJ needs ANJ_FOTA_WITH_PULL_METHOD or ANJ_FOTA_WITH_PUSH_METHOD" },
    Rule { when: &["ANJ_WITH_DEFAULT_FOTA_OBJ", "ANJ_FOTA_WITH_PULL_METHOD"], unless: FOTA_PROTOCOLS, cargo: true,
        text: "ANJ_FOTA_WITH_PULL_METHOD needs at least one protocol: ANJ_FOTA_WITH_COAP, _COAPS, _HTTP, _HTTPS, _COAP_TCP or _COAPS_TCP" },
    Rule { when: &["ANJ_LOG_FULL", "ANJ_LOG_MICRO"], unless: &[], cargo: true,
        text: "choose at most one logger: ANJ_LOG_FULL, ANJ_LOG_MICRO or ANJ_LOG_ALT_IMPL_HEADER" },
    Rule { when: &["ANJ_LOG_FULL", "ANJ_LOG_ALT_IMPL_HEADER"], unless: &[], cargo: false,
        text: "choose at most one logger: ANJ_LOG_FULL, ANJ_LOG_MICRO or ANJ_LOG_ALT_IMPL_HEADER" },
    Rule { when: &["ANJ_LOG_MICRO", "ANJ_LOG_ALT_IMPL_HEADER"], unless: &[], cargo: false,
        text: "choose at most one logger: ANJ_LOG_FULL, ANJ_LOG_MICRO or ANJ_LOG_ALT_IMPL_HEADER" },
    Rule { when: &["ANJ_LOG_HANDLER_OUTPUT_STDERR", "ANJ_LOG_HANDLER_OUTPUT_ALT"], unless: &[], cargo: false,
        text: "choose at most one of ANJ_LOG_HANDLER_OUTPUT_STDERR and ANJ_LOG_HANDLER_OUTPUT_ALT" },
    // (Only for a single built-in logger: two loggers are refused above.)
    Rule { when: &["ANJ_LOG_FULL"],
        unless: &["ANJ_LOG_HANDLER_OUTPUT_STDERR", "ANJ_LOG_HANDLER_OUTPUT_ALT", "ANJ_LOG_MICRO", "ANJ_LOG_ALT_IMPL_HEADER"], cargo: false,
        text: "the built-in logger needs an output: ANJ_LOG_HANDLER_OUTPUT_STDERR or ANJ_LOG_HANDLER_OUTPUT_ALT" },
    Rule { when: &["ANJ_LOG_MICRO"],
        unless: &["ANJ_LOG_HANDLER_OUTPUT_STDERR", "ANJ_LOG_HANDLER_OUTPUT_ALT", "ANJ_LOG_FULL", "ANJ_LOG_ALT_IMPL_HEADER"], cargo: false,
        text: "the built-in logger needs an output: ANJ_LOG_HANDLER_OUTPUT_STDERR or ANJ_LOG_HANDLER_OUTPUT_ALT" },
];
