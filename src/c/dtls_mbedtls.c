/*
 * anj-rs: the default DTLS 1.2 backend (anj_dtls_* hooks) on MbedTLS 3.x.
 *
 * It is C so that firmware builds compile it against the integrator's own
 * MbedTLS headers and configuration (structure layouts depend on
 * mbedtls_config.h); host builds compile it against the MbedTLS 3.6 vendored
 * by the mbedtls-rs-sys crate (cargo feature `vendored-mbedtls`). build.rs
 * compiles it only when ANJ_NET_WITH_DTLS and ANJ_WITH_MBEDTLS are on and the
 * MbedTLS headers were found.
 *
 * Records travel over the UDP binding of the same contract (anj_udp_*), so
 * the protocol core stays free of cryptography and of sockets. Every call is
 * non-blocking: the handshake advances one step per anj_dtls_connect() call
 * (ANJ_NET_EINPROGRESS until it completes), and lost flights are
 * retransmitted by MbedTLS on the timers below, which read the monotonic
 * clock of the compat layer.
 *
 * Session continuity (see dtls_session_*() below): the session agreed by a
 * handshake is kept when the connection is closed. If the server agreed to a
 * DTLS Connection ID (RFC 9146), anj_dtls_close() closes only the UDP socket
 * and the next anj_dtls_connect() reopens it and goes on with the same session
 * and keys: no handshake at all, whatever the new source address. Without a
 * Connection ID the next connect offers the saved session for an abbreviated
 * handshake (RFC 5246, 7.3). A handshake that fails forgets the saved session,
 * and so does a connect to another server (host or port): a session is never
 * offered or continued toward a server other than the one that agreed it.
 * anj_dtls_close() sends no close_notify (as in Anjay Lite);
 * anj_dtls_cleanup_ctx() sends it and forgets everything.
 *
 * Contexts come from a fixed pool (no heap here; MbedTLS itself allocates
 * its record buffers through its platform layer, as configured by the
 * integrator).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <anj/compat/net/anj_net_api.h>
#include <anj/compat/rng.h>
#include <anj/compat/time.h>
#include <anj/time.h>
#ifdef ANJ_WITH_EXTERNAL_CRYPTO_STORAGE
#    include <anj/compat/crypto/storage.h>
#endif

#include "dtls_rpk.h"
#ifdef ANJ_RS_RPK_BACKEND
/* A context of the raw-public-key backend goes there with the same call. */
#    define RPK_DISPATCH(ctx, call)          \
        do {                                 \
            if (anj_rs_rpk_owns(ctx)) {      \
                return anj_rs_rpk_##call;    \
            }                                \
        } while (0)
#else
#    define RPK_DISPATCH(ctx, call) ((void) 0)
#endif

#include <mbedtls/error.h>
#include <mbedtls/platform.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#ifdef ANJ_WITH_CERTIFICATES
#    include <mbedtls/pk.h>
#    include <mbedtls/x509_crt.h>
#endif

#if MBEDTLS_VERSION_MAJOR < 3
#    error "anj-rs: the DTLS backend needs MbedTLS 3.x"
#endif
#if !defined(MBEDTLS_SSL_PROTO_DTLS) || !defined(MBEDTLS_SSL_CLI_C) \
        || !defined(MBEDTLS_SSL_PROTO_TLS1_2)
#    error "anj-rs: MbedTLS must be configured with MBEDTLS_SSL_PROTO_DTLS, MBEDTLS_SSL_CLI_C and MBEDTLS_SSL_PROTO_TLS1_2"
#endif
#if !defined(MBEDTLS_KEY_EXCHANGE_PSK_ENABLED)
#    error "anj-rs: MbedTLS must be configured with MBEDTLS_KEY_EXCHANGE_PSK_ENABLED"
#endif
#if defined(ANJ_WITH_CERTIFICATES)                                    \
        && (!defined(MBEDTLS_X509_CRT_PARSE_C) || !defined(MBEDTLS_PK_PARSE_C))
#    error "anj-rs: ANJ_WITH_CERTIFICATES needs MbedTLS with MBEDTLS_X509_CRT_PARSE_C and MBEDTLS_PK_PARSE_C"
#endif
#if defined(MBEDTLS_PSA_CRYPTO_C)
#    include <psa/crypto.h>
#    define ANJ_RS_DTLS_NEEDS_PSA_INIT 1
#endif

/* Transport error codes of MbedTLS's net module (which may be left out of a
 * firmware configuration): the values are part of its public API. */
#ifndef MBEDTLS_ERR_NET_SEND_FAILED
#    define MBEDTLS_ERR_NET_SEND_FAILED -0x004E
#endif
#ifndef MBEDTLS_ERR_NET_RECV_FAILED
#    define MBEDTLS_ERR_NET_RECV_FAILED -0x004C
#endif

#ifndef ANJ_SEC_OBJ_MAX_SNI_SIZE
#    define ANJ_SEC_OBJ_MAX_SNI_SIZE 50
#endif
#ifndef ANJ_RS_DTLS_MAX_CONTEXTS
#    define ANJ_RS_DTLS_MAX_CONTEXTS 2
#endif
/* Room for "host\0port\0" of the server a saved session belongs to; a longer
 * name only costs resumption (the session is never offered again). */
#ifndef ANJ_RS_DTLS_PEER_MAX
#    define ANJ_RS_DTLS_PEER_MAX 96
#endif
#ifndef ANJ_MBEDTLS_HS_INITIAL_TIMEOUT_VALUE_MS
#    define ANJ_MBEDTLS_HS_INITIAL_TIMEOUT_VALUE_MS 1000
#endif
#ifndef ANJ_MBEDTLS_HS_MAXIMUM_TIMEOUT_VALUE_MS
#    define ANJ_MBEDTLS_HS_MAXIMUM_TIMEOUT_VALUE_MS 60000
#endif
#if defined(MBEDTLS_SSL_DTLS_CONNECTION_ID) && !defined(ANJ_RS_DTLS_NO_CONNECTION_ID)
#    define ANJ_RS_DTLS_CID 1
#endif
/* Comma-separated MBEDTLS_TLS_PSK_* names; the LwM2M mandatory suite first. */
#ifndef ANJ_MBEDTLS_ALLOWED_PSK_CIPHERSUITES
#    define ANJ_MBEDTLS_ALLOWED_PSK_CIPHERSUITES \
        MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, MBEDTLS_TLS_PSK_WITH_AES_256_CCM_8
#endif

/* Comma-separated MBEDTLS_TLS_* names for certificate mode (as Anjay Lite:
 * the LwM2M mandatory ECDHE-ECDSA CCM_8 suites). */
#ifndef ANJ_MBEDTLS_ALLOWED_CERT_CIPHERSUITES
#    define ANJ_MBEDTLS_ALLOWED_CERT_CIPHERSUITES  \
        MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8, \
                MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8
#endif
/* Largest certificate (or chain) of the trust store, and the scratch buffer
 * for credentials that must be copied (resolved from external storage, or
 * PEM without its terminating NUL). */
#ifndef ANJ_MBEDTLS_MAX_TRUST_STORE_CERTIFICATE_SIZE
#    define ANJ_MBEDTLS_MAX_TRUST_STORE_CERTIFICATE_SIZE 255
#endif
#define DTLS_MAX2(a, b) ((a) > (b) ? (a) : (b))
#define DTLS_SCRATCH_SIZE                                                    \
    DTLS_MAX2(DTLS_MAX2(ANJ_SEC_OBJ_MAX_PUBLIC_KEY_OR_IDENTITY_SIZE,        \
                        ANJ_SEC_OBJ_MAX_SECRET_KEY_SIZE),                    \
              DTLS_MAX2(ANJ_SEC_OBJ_MAX_SERVER_PUBLIC_KEY_SIZE,              \
                        ANJ_MBEDTLS_MAX_TRUST_STORE_CERTIFICATE_SIZE))

/* Implemented in Rust (src/platform/dtls_mbedtls.rs): one log line. */
extern void anj_rs_dtls_log(int level, const char *msg, int code);
#define DTLS_LOG_ERROR 0
#define DTLS_LOG_INFO 1
#define DTLS_LOG_DEBUG 2
/* A formatted log line. Formatting only exists when logs are built: with logs
 * off, snprintf would pull printf and a heap into the image. */
#if defined(ANJ_LOG_FULL) || defined(ANJ_LOG_MICRO)
#    define DTLS_LOGF(level, code, ...)                          \
        do {                                                     \
            char dtls_logf_line[160];                            \
            snprintf(dtls_logf_line, sizeof(dtls_logf_line),     \
                     __VA_ARGS__);                               \
            anj_rs_dtls_log((level), dtls_logf_line, (code));    \
        } while (0)
#else
#    define DTLS_LOGF(level, code, ...) ((void) (code))
#endif

typedef enum {
    STEP_IDLE,      /* created, or closed again */
    STEP_UDP,       /* the UDP connect is in progress */
    STEP_HANDSHAKE, /* records flowing, handshake not finished */
    STEP_READY,     /* handshake done: application data */
    STEP_CLOSING,   /* close_notify being sent (cleanup) */
} dtls_step_t;

typedef struct {
    bool in_use;
    dtls_step_t step;
    anj_net_ctx_t *udp;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    bool ssl_ready; /* mbedtls_ssl_setup() done */
    /* Retransmission timers (mbedtls_ssl_set_timer_cb contract). */
    uint64_t timer_start_ms;
    uint32_t timer_int_ms;
    uint32_t timer_fin_ms;
    /* The last result of anj_udp_recv(), to tell "nothing there" from a
     * record that was consumed without yielding application data. */
    int last_recv;
    /* Server Name Indication from the credentials (empty: the host name). */
    char sni[ANJ_SEC_OBJ_MAX_SNI_SIZE + 1];
#ifdef ANJ_WITH_CERTIFICATES
    /* Certificate mode: our chain and key, the Server Public Key (/0/x/4)
     * and the trust store, parsed at create; `conf` points at them. */
    bool cert_mode;
    anj_net_certificate_usage_t usage;
    mbedtls_x509_crt own_cert;
    mbedtls_pk_context own_key;
    mbedtls_x509_crt server_cert;
    mbedtls_x509_crt trust_store;
    /* Usage 0: the configured CA was seen above the leaf in the chain. */
    bool ca_seen;
#endif
    /* Session continuity (dtls_session_*). */
    mbedtls_ssl_session saved;  /* the last session agreed */
    bool have_saved;            /* `saved` holds one */
    bool offered_saved;         /* the handshake under way offers it */
    bool cid_in_use;            /* the server agreed to a Connection ID */
    bool keep_session;          /* closed with the session kept (CID) */
    bool peer_answered;         /* a record arrived after our last datagram */
    /* The server `saved` (and a kept CID session) belongs to: "host\0port\0"
     * as given to anj_dtls_connect(); peer_len 0: none known. */
    char peer[ANJ_RS_DTLS_PEER_MAX];
    size_t peer_len;
    /* Statistics, for tests and diagnostics. */
    uint32_t handshakes;
    uint32_t resumed;           /* abbreviated handshakes among them */
    uint32_t cid_reconnects;    /* reconnects without a handshake */
    uint64_t bytes_out;
    uint64_t bytes_in;
} dtls_ctx_t;

static dtls_ctx_t g_pool[ANJ_RS_DTLS_MAX_CONTEXTS];
static uint32_t g_hs_min_ms = ANJ_MBEDTLS_HS_INITIAL_TIMEOUT_VALUE_MS;
static uint32_t g_hs_max_ms = ANJ_MBEDTLS_HS_MAXIMUM_TIMEOUT_VALUE_MS;

static const int g_psk_suites[] = { ANJ_MBEDTLS_ALLOWED_PSK_CIPHERSUITES, 0 };
#ifdef ANJ_WITH_CERTIFICATES
static const int g_cert_suites[] = { ANJ_MBEDTLS_ALLOWED_CERT_CIPHERSUITES, 0 };
#endif

static dtls_ctx_t *from_net(anj_net_ctx_t *ctx) {
    for (size_t i = 0; i < ANJ_RS_DTLS_MAX_CONTEXTS; i++) {
        if (g_pool[i].in_use && (anj_net_ctx_t *) &g_pool[i] == ctx) {
            return &g_pool[i];
        }
    }
    return NULL;
}

static uint64_t now_ms(void) {
    return (uint64_t) anj_time_monotonic_to_scalar(anj_time_monotonic_now(),
                                                   ANJ_TIME_UNIT_MS);
}

/* ---- MbedTLS callbacks ------------------------------------------------ */

static int rng_cb(void *unused, unsigned char *out, size_t len) {
    (void) unused;
    return anj_rng_generate((uint8_t *) out, len) ? MBEDTLS_ERR_SSL_INTERNAL_ERROR
                                                  : 0;
}

static void timer_set_cb(void *p, uint32_t int_ms, uint32_t fin_ms) {
    dtls_ctx_t *c = (dtls_ctx_t *) p;
    c->timer_int_ms = int_ms;
    c->timer_fin_ms = fin_ms;
    if (fin_ms) {
        c->timer_start_ms = now_ms();
    }
}

/* -1: cancelled, 0: running, 1: intermediate passed, 2: final passed. */
static int timer_get_cb(void *p) {
    dtls_ctx_t *c = (dtls_ctx_t *) p;
    if (!c->timer_fin_ms) {
        return -1;
    }
    uint64_t elapsed = now_ms() - c->timer_start_ms;
    if (elapsed >= c->timer_fin_ms) {
        return 2;
    }
    if (elapsed >= c->timer_int_ms) {
        return 1;
    }
    return 0;
}

static int bio_send(void *p, const unsigned char *buf, size_t len) {
    dtls_ctx_t *c = (dtls_ctx_t *) p;
    size_t sent = 0;
    int res = anj_udp_send(c->udp, &sent, buf, len);
    if (res == ANJ_NET_OK) {
        c->bytes_out += sent;
        return (int) sent;
    }
    if (res == ANJ_NET_EAGAIN || res == ANJ_NET_EINPROGRESS) {
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *p, unsigned char *buf, size_t len) {
    dtls_ctx_t *c = (dtls_ctx_t *) p;
    size_t got = 0;
    int res = anj_udp_recv(c->udp, &got, buf, len);
    c->last_recv = res;
    if (res == ANJ_NET_OK) {
        c->bytes_in += got;
        c->peer_answered = true;
        return (int) got;
    }
    if (res == ANJ_NET_EAGAIN || res == ANJ_NET_EINPROGRESS) {
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    if (res == ANJ_NET_EMSGSIZE) {
        /* A datagram larger than a record buffer is no valid record. */
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* ---- helpers ---------------------------------------------------------- */

static bool want_more(int r) {
    return r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE
           || r == MBEDTLS_ERR_SSL_ASYNC_IN_PROGRESS
           || r == MBEDTLS_ERR_SSL_CRYPTO_IN_PROGRESS;
}

#if defined(MBEDTLS_X509_CRT_PARSE_C)
/* True for an IPv4 or IPv6 literal: those never go into SNI (RFC 6066, 3). */
static bool is_ip_literal(const char *host) {
    if (strchr(host, ':')) {
        return true;
    }
    int dots = 0;
    for (const char *s = host; *s; s++) {
        if (*s == '.') {
            dots++;
        } else if (*s < '0' || *s > '9') {
            return false;
        }
    }
    return dots == 3;
}
#endif

/* ---- credentials ----------------------------------------------------- *
 * Everything that turns the anj_net_ssl_configuration_t into MbedTLS
 * configuration lives here, apart from the connect/handshake loop. */

/* The bytes of a credential: a BUFFER points at the caller's memory, an
 * EXTERNAL one is resolved by the crypto storage hooks into `scratch`.
 * 0 on success (an EMPTY or zero-length credential gives len 0). Also used by
 * the raw-public-key backend (dtls_rpk.h). */
int anj_rs_dtls_credential_bytes(const anj_net_ssl_configuration_t *sec,
                                 const anj_crypto_security_info_t *info,
                                 unsigned char *scratch, size_t scratch_size,
                                 const unsigned char **out, size_t *out_len,
                                 const char *what) {
    (void) sec;
    (void) scratch;
    (void) scratch_size;
    *out = NULL;
    *out_len = 0;
    switch (info->source) {
    case ANJ_CRYPTO_DATA_SOURCE_EMPTY:
        return 0;
    case ANJ_CRYPTO_DATA_SOURCE_BUFFER:
        if (info->info.buffer.data_size && !info->info.buffer.data) {
            break;
        }
        *out = (const unsigned char *) info->info.buffer.data;
        *out_len = info->info.buffer.data_size;
        return 0;
#ifdef ANJ_WITH_EXTERNAL_CRYPTO_STORAGE
    case ANJ_CRYPTO_DATA_SOURCE_EXTERNAL: {
        size_t len = 0;
        if (anj_crypto_storage_resolve_security_info(
                    sec->crypto_ctx, &info->info.external, (char *) scratch,
                    scratch_size, &len)
                || len > scratch_size) {
            DTLS_LOGF(DTLS_LOG_ERROR, 0, "%s: the crypto storage could not resolve it", what);
            return -1;
        }
        *out = scratch;
        *out_len = len;
        return 0;
    }
#endif
    default:
        break;
    }
    DTLS_LOGF(DTLS_LOG_ERROR, 0, "%s: unsupported data source", what);
    return -1;
}

static int load_psk(dtls_ctx_t *c, const anj_net_ssl_configuration_t *sec) {
    /* Two scratch buffers: both must stay until mbedtls_ssl_conf_psk copies
     * them. */
    unsigned char key_buf[ANJ_SEC_OBJ_MAX_SECRET_KEY_SIZE];
    unsigned char id_buf[ANJ_SEC_OBJ_MAX_PUBLIC_KEY_OR_IDENTITY_SIZE];
    const unsigned char *key, *id;
    size_t key_len, id_len;
    int result = -1;
    if (anj_rs_dtls_credential_bytes(sec, &sec->security.data.psk.key,
                                     key_buf, sizeof(key_buf), &key, &key_len,
                                     "PSK key")
            || anj_rs_dtls_credential_bytes(
                       sec, &sec->security.data.psk.identity, id_buf,
                       sizeof(id_buf), &id, &id_len, "PSK identity")) {
        goto out;
    }
    if (!key_len || !id_len) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "empty PSK key or identity", 0);
        goto out;
    }
    mbedtls_ssl_conf_ciphersuites(&c->conf, g_psk_suites);
    /* PSK authenticates both peers; there is no certificate to verify. */
    mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE);
    /* MbedTLS keeps its own copies of both. */
    int r = mbedtls_ssl_conf_psk(&c->conf, key, key_len, id, id_len);
    if (r) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "mbedtls_ssl_conf_psk failed", r);
        goto out;
    }
    result = 0;
out:
    mbedtls_platform_zeroize(key_buf, sizeof(key_buf));
    mbedtls_platform_zeroize(id_buf, sizeof(id_buf));
    return result;
}

#ifdef ANJ_WITH_CERTIFICATES
/* PEM input must end with its NUL (and the NUL counted in the length); DER
 * (an ASN.1 SEQUENCE, 0x30) is taken as is. PEM without the NUL is copied,
 * terminated, into `*copy` (from MbedTLS's allocator, as its own parsers
 * use; the caller frees it with mbedtls_free after parsing). */
static int pem_terminated(const unsigned char **data, size_t *len,
                          unsigned char **copy) {
    *copy = NULL;
    if (!*len || (*data)[0] == 0x30 || (*data)[*len - 1] == '\0') {
        return 0;
    }
    *copy = (unsigned char *) mbedtls_calloc(1, *len + 1);
    if (!*copy) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "out of memory for a PEM credential", 0);
        return -1;
    }
    memcpy(*copy, *data, *len);
    *data = *copy;
    (*len)++;
    return 0;
}

static void free_copy(unsigned char *copy, size_t len) {
    if (copy) {
        mbedtls_platform_zeroize(copy, len);
        mbedtls_free(copy);
    }
}

/* Parses one credential (certificate or chain) onto `chain`; -1 if it is
 * missing or invalid. */
static int parse_cert(const anj_net_ssl_configuration_t *sec,
                      const anj_crypto_security_info_t *info,
                      mbedtls_x509_crt *chain, unsigned char *scratch,
                      size_t scratch_size, const char *what) {
    const unsigned char *data;
    unsigned char *copy;
    size_t len;
    if (anj_rs_dtls_credential_bytes(sec, info, scratch, scratch_size, &data,
                                     &len, what)
            || pem_terminated(&data, &len, &copy)) {
        return -1;
    }
    if (!len) {
        DTLS_LOGF(DTLS_LOG_ERROR, 0, "%s is not set", what);
        return -1;
    }
    int r = mbedtls_x509_crt_parse(chain, data, len);
    free_copy(copy, len);
    if (r) {
        DTLS_LOGF(DTLS_LOG_ERROR, r, "%s: not a valid X.509 certificate", what);
        return -1;
    }
    return 0;
}

static int parse_key(dtls_ctx_t *c, const anj_net_ssl_configuration_t *sec,
                     const anj_crypto_security_info_t *info,
                     unsigned char *scratch, size_t scratch_size) {
    const unsigned char *data;
    unsigned char *copy;
    size_t len;
    if (anj_rs_dtls_credential_bytes(sec, info, scratch, scratch_size, &data,
                                     &len, "private key")
            || pem_terminated(&data, &len, &copy)) {
        return -1;
    }
    if (!len) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "private key is not set", 0);
        return -1;
    }
    int r = mbedtls_pk_parse_key(&c->own_key, data, len, NULL, 0, rng_cb, NULL);
    free_copy(copy, len);
    if (r) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "private key: not a valid key", r);
        return -1;
    }
    return 0;
}

/* ---- Certificate validity (notBefore / notAfter) ------------------------
 * Checked by MbedTLS only with MBEDTLS_HAVE_TIME_DATE. "Now" is then
 * anj_time_real_now() whenever the configuration lets us give MbedTLS its
 * time source (MBEDTLS_PLATFORM_TIME_ALT: mbedtls_platform_set_time); the
 * vendored MbedTLS also takes its wall clock from a hook that reads the same
 * clock (src/platform/mbedtls_clock.rs). Otherwise a log line says what is
 * (not) checked. */
#if defined(MBEDTLS_HAVE_TIME_DATE) && defined(MBEDTLS_PLATFORM_TIME_ALT) \
        && !defined(MBEDTLS_PLATFORM_TIME_MACRO)
#    define VALIDITY_CLOCK_IS_ANJ 1
static mbedtls_time_t validity_now(mbedtls_time_t *out) {
    mbedtls_time_t t = (mbedtls_time_t) anj_time_real_to_scalar(
            anj_time_real_now(), ANJ_TIME_UNIT_S);
    if (out) {
        *out = t;
    }
    return t;
}
#endif
#ifdef ANJ_RS_VENDORED_MBEDTLS
int anj_rs_mbedtls_clock_install(void);
#endif

static void validity_clock_setup(void) {
#if !defined(MBEDTLS_HAVE_TIME_DATE)
    anj_rs_dtls_log(DTLS_LOG_ERROR,
                    "certificate validity (notBefore/notAfter) is NOT "
                    "checked: MbedTLS is built without MBEDTLS_HAVE_TIME_DATE",
                    0);
#elif defined(VALIDITY_CLOCK_IS_ANJ)
#    ifdef ANJ_RS_VENDORED_MBEDTLS
    (void) anj_rs_mbedtls_clock_install();
#    endif
    (void) mbedtls_platform_set_time(validity_now);
#else
    anj_rs_dtls_log(DTLS_LOG_INFO,
                    "certificate validity is checked against MbedTLS's own "
                    "clock, not anj_time_real_now (MBEDTLS_PLATFORM_TIME_ALT "
                    "is off)",
                    0);
#endif
}

/* Says which end of the validity window failed, and the "now" used. */
static void log_validity_failure(uint32_t flags) {
    if (!(flags & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE))) {
        return;
    }
    const char *what = (flags & MBEDTLS_X509_BADCERT_EXPIRED)
                               ? ((flags & MBEDTLS_X509_BADCERT_FUTURE)
                                          ? "outside its validity (or no clock)"
                                          : "expired")
                               : "not valid yet";
    (void) what;
    DTLS_LOGF(DTLS_LOG_ERROR, 0,
              "server certificate %s at anj_time_real_now = %lld s",
              what,
              (long long) anj_time_real_to_scalar(anj_time_real_now(),
                                                  ANJ_TIME_UNIT_S));
}

static bool same_cert(const mbedtls_x509_crt *a, const mbedtls_x509_crt *b) {
    return a && b && a->raw.p && b->raw.p && a->raw.len == b->raw.len
           && !memcmp(a->raw.p, b->raw.p, a->raw.len);
}

/* Called by MbedTLS for every certificate of the verified chain, from the
 * root (highest depth) down to the server's own certificate (depth 0), with
 * the problems PKIX validation found in `flags`. Certificate Usage (/0/x/15,
 * the TLSA usages of RFC 6698, 2.1.1) decides what is acceptable:
 *  0 CA constraint: PKIX against the trust store, and /0/x/4 must be one of
 *    the CAs of the chain (not the server's own certificate);
 *  1 service certificate constraint: PKIX against the trust store, and the
 *    server's certificate must be /0/x/4;
 *  2 trust anchor assertion: PKIX with /0/x/4 as the only trust anchor;
 *  3 domain-issued certificate: the server's certificate must be /0/x/4; no
 *    issuer is needed (its NOT_TRUSTED is forgiven), but other problems
 *    (expiry, name mismatch) still fail, as in Anjay Lite. */
static int verify_cb(void *p, mbedtls_x509_crt *crt, int depth,
                     uint32_t *flags) {
    dtls_ctx_t *c = (dtls_ctx_t *) p;
    bool leaf = depth == 0;
    bool pinned = same_cert(crt, &c->server_cert);
    switch (c->usage) {
    case ANJ_NET_CERTIFICATE_CA_CONSTRAINT:
        if (!leaf && pinned) {
            c->ca_seen = true;
        }
        if (leaf) {
            if (!c->ca_seen) {
                anj_rs_dtls_log(DTLS_LOG_ERROR,
                                "usage 0: the Server Public Key is not a CA "
                                "of the server's chain",
                                0);
                *flags |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
            }
            c->ca_seen = false;
        }
        break;
    case ANJ_NET_CERTIFICATE_SERVICE_CERTIFICATE_CONSTRAINT:
        if (leaf && !pinned) {
            anj_rs_dtls_log(DTLS_LOG_ERROR,
                            "usage 1: the server's certificate is not the "
                            "Server Public Key",
                            0);
            *flags |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
        }
        break;
    case ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION:
        if (leaf && pinned) {
            /* The anchor itself is no end-entity certificate. */
            anj_rs_dtls_log(DTLS_LOG_ERROR,
                            "usage 2: the server presented the trust anchor "
                            "itself",
                            0);
            *flags |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
        }
        break;
    case ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE:
    default:
        if (!leaf) {
            /* Issuers do not matter here. */
            *flags = 0;
            break;
        }
        if (!pinned) {
            anj_rs_dtls_log(DTLS_LOG_ERROR,
                            "usage 3: the server's certificate is not the "
                            "Server Public Key",
                            0);
            *flags |= MBEDTLS_X509_BADCERT_NOT_TRUSTED;
        } else {
            *flags &= ~(uint32_t) MBEDTLS_X509_BADCERT_NOT_TRUSTED;
        }
        break;
    }
    log_validity_failure(*flags);
    if (*flags) {
        DTLS_LOGF(DTLS_LOG_ERROR, 0, "server chain rejected at depth %d (usage %d, X.509 flags "
                 "0x%05lx)",
                 depth, (int) c->usage, (unsigned long) *flags);
    }
    return 0;
}

static int load_cert(dtls_ctx_t *c, const anj_net_ssl_configuration_t *sec) {
    const anj_net_certificate_info_t *ci = &sec->security.data.cert;
    unsigned char scratch[DTLS_SCRATCH_SIZE + 1];
    int result = -1;
    if ((int) ci->certificate_usage < ANJ_NET_CERTIFICATE_CA_CONSTRAINT
            || (int) ci->certificate_usage
                       > ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "invalid certificate usage",
                        (int) ci->certificate_usage);
        return -1;
    }
    c->cert_mode = true;
    c->usage = ci->certificate_usage;
    /* An empty /0/x/4 fails the connection, unless the build opted out of
     * server verification (ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP, for
     * tests; Anjay Lite has the same option). */
    bool skip_server = false;
#ifdef ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP
    skip_server = ci->server_cert.source == ANJ_CRYPTO_DATA_SOURCE_EMPTY
                  || (ci->server_cert.source == ANJ_CRYPTO_DATA_SOURCE_BUFFER
                      && !ci->server_cert.info.buffer.data_size);
#endif
    if (parse_cert(sec, &ci->client_cert, &c->own_cert, scratch,
                   sizeof(scratch), "client certificate")
            || parse_key(c, sec, &ci->private_key, scratch, sizeof(scratch))
            || (!skip_server
                && parse_cert(sec, &ci->server_cert, &c->server_cert, scratch,
                              sizeof(scratch), "server certificate (/0/x/4)"))) {
        goto out;
    }
    int r = mbedtls_pk_check_pair(&c->own_cert.pk, &c->own_key, rng_cb, NULL);
    if (r) {
        anj_rs_dtls_log(DTLS_LOG_ERROR,
                        "the private key does not match the client certificate",
                        r);
        goto out;
    }
    if (c->server_cert.next) {
        anj_rs_dtls_log(DTLS_LOG_ERROR,
                        "the Server Public Key must be one certificate", 0);
        goto out;
    }
    bool pkix = c->usage == ANJ_NET_CERTIFICATE_CA_CONSTRAINT
                || c->usage == ANJ_NET_CERTIFICATE_SERVICE_CERTIFICATE_CONSTRAINT;
    if (pkix && !skip_server) {
        if (!ci->trust_store.ca_certs_count || !ci->trust_store.ca_certs) {
            anj_rs_dtls_log(DTLS_LOG_ERROR,
                            "certificate usage 0 and 1 need a trust store", 0);
            goto out;
        }
        for (size_t i = 0; i < ci->trust_store.ca_certs_count; i++) {
            if (parse_cert(sec, &ci->trust_store.ca_certs[i], &c->trust_store,
                           scratch, sizeof(scratch),
                           "trust store certificate")) {
                goto out;
            }
        }
    }
    r = mbedtls_ssl_conf_own_cert(&c->conf, &c->own_cert, &c->own_key);
    if (r) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "mbedtls_ssl_conf_own_cert failed", r);
        goto out;
    }
    mbedtls_ssl_conf_ciphersuites(&c->conf, g_cert_suites);
    if (skip_server) {
        anj_rs_dtls_log(DTLS_LOG_ERROR,
                        "INSECURE: no Server Public Key (/0/x/4); the server "
                        "is not verified (ANJ_ALLOW_INSECURE_SERVER_CERTIFICATE_SKIP)",
                        0);
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE);
    } else {
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        validity_clock_setup();
        /* Usages 2 and 3 anchor on /0/x/4 (for 3 only so that MbedTLS has a
         * CA list at all: verify_cb accepts nothing but the exact
         * certificate). */
        mbedtls_ssl_conf_ca_chain(&c->conf,
                                  pkix ? &c->trust_store : &c->server_cert,
                                  NULL);
        mbedtls_ssl_conf_verify(&c->conf, verify_cb, c);
    }
    const char *sni = ci->sni;
    if (sni) {
        size_t len = strlen(sni);
        if (len >= sizeof(c->sni)) {
            anj_rs_dtls_log(DTLS_LOG_ERROR,
                            "SNI longer than ANJ_SEC_OBJ_MAX_SNI_SIZE", 0);
            goto out;
        }
        memcpy(c->sni, sni, len + 1);
    }
    result = 0;
out:
    mbedtls_platform_zeroize(scratch, sizeof(scratch));
    return result;
}
#endif /* ANJ_WITH_CERTIFICATES */

/* Configures `c->conf` for the credentials of `config`. */
static int load_credentials(dtls_ctx_t *c, const anj_net_config_t *config) {
    if (!config) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "DTLS needs credentials; none given", 0);
        return -1;
    }
    const anj_net_ssl_configuration_t *sec = &config->secure_socket_config;
    switch (sec->security.mode) {
    case ANJ_NET_SECURITY_PSK: {
        const char *sni = sec->security.data.psk.sni;
        if (sni) {
            size_t len = strlen(sni);
            if (len >= sizeof(c->sni)) {
                anj_rs_dtls_log(DTLS_LOG_ERROR,
                                "SNI longer than ANJ_SEC_OBJ_MAX_SNI_SIZE", 0);
                return -1;
            }
            memcpy(c->sni, sni, len + 1);
        }
        return load_psk(c, sec);
    }
#ifdef ANJ_WITH_CERTIFICATES
    case ANJ_NET_SECURITY_CERTIFICATE:
        return load_cert(c, sec);
#endif
    default:
        anj_rs_dtls_log(DTLS_LOG_ERROR,
                        "security mode not supported by this DTLS backend",
                        (int) sec->security.mode);
        return ANJ_NET_ENOTSUP;
    }
}

/* ---- session continuity ---------------------------------------------- */

static bool g_use_cid = true;

/* Connection ID on the configuration: we ask the server to put a CID in the
 * records it expects from us (so it can find our session from any address),
 * and use none ourselves (our address does not change under us). */
static int dtls_session_configure(dtls_ctx_t *c) {
    mbedtls_ssl_session_init(&c->saved);
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
    /* Resumption by session ID only (RFC 5246, 7.4.1.2): what LwM2M servers
     * keep; tickets (RFC 5077) would also make an unresumed session ID look
     * like a resumption to dtls_session_established(). */
    mbedtls_ssl_conf_session_tickets(&c->conf, MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
#endif
#ifdef ANJ_RS_DTLS_CID
    int r = mbedtls_ssl_conf_cid(&c->conf, 0, MBEDTLS_SSL_UNEXPECTED_CID_IGNORE);
    if (r) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "mbedtls_ssl_conf_cid failed", r);
        return -1;
    }
#endif
    return 0;
}

/* Before a handshake: the CID extension, and the saved session if any. */
static int dtls_session_prepare(dtls_ctx_t *c) {
#ifdef ANJ_RS_DTLS_CID
    int r = mbedtls_ssl_set_cid(&c->ssl,
                                g_use_cid ? MBEDTLS_SSL_CID_ENABLED
                                          : MBEDTLS_SSL_CID_DISABLED,
                                NULL, 0);
    if (r) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "mbedtls_ssl_set_cid failed", r);
        return -1;
    }
#endif
    c->offered_saved = false;
    c->cid_in_use = false;
    if (c->have_saved) {
        int s = mbedtls_ssl_set_session(&c->ssl, &c->saved);
        if (s) {
            anj_rs_dtls_log(DTLS_LOG_INFO, "saved session unusable; full handshake", s);
            mbedtls_ssl_session_free(&c->saved);
            mbedtls_ssl_session_init(&c->saved);
            c->have_saved = false;
        } else {
            c->offered_saved = true;
        }
    }
    return 0;
}

/* After a handshake: saves the session; true when it was resumed. */
static bool dtls_session_established(dtls_ctx_t *c) {
    bool resumed = false;
    mbedtls_ssl_session now;
    mbedtls_ssl_session_init(&now);
    if (mbedtls_ssl_get_session(&c->ssl, &now) == 0) {
        /* The server took the offered session iff it echoed its ID. */
        resumed = c->offered_saved
                  && mbedtls_ssl_session_get_id_len(&now) > 0
                  && mbedtls_ssl_session_get_id_len(&now)
                             == mbedtls_ssl_session_get_id_len(&c->saved)
                  && memcmp(*mbedtls_ssl_session_get_id(&now),
                            *mbedtls_ssl_session_get_id(&c->saved),
                            mbedtls_ssl_session_get_id_len(&now))
                             == 0;
        mbedtls_ssl_session_free(&c->saved);
        c->saved = now;
        /* A session without an ID cannot be resumed (nor can one the
         * server gave a ticket for: no tickets are asked for). */
        c->have_saved = mbedtls_ssl_session_get_id_len(&c->saved) > 0;
    } else {
        mbedtls_ssl_session_free(&now);
    }
    c->offered_saved = false;
#ifdef ANJ_RS_DTLS_CID
    int enabled = MBEDTLS_SSL_CID_DISABLED;
    unsigned char peer_cid[MBEDTLS_SSL_CID_OUT_LEN_MAX];
    size_t peer_cid_len = 0;
    if (mbedtls_ssl_get_peer_cid(&c->ssl, &enabled, peer_cid, &peer_cid_len) == 0) {
        c->cid_in_use = enabled == MBEDTLS_SSL_CID_ENABLED;
    }
#endif
    return resumed;
}

/* A handshake failed: the saved session is not offered again. */
static void dtls_session_forget(dtls_ctx_t *c) {
    mbedtls_ssl_session_free(&c->saved);
    mbedtls_ssl_session_init(&c->saved);
    c->have_saved = false;
    c->offered_saved = false;
    c->cid_in_use = false;
    c->keep_session = false;
}

/* Before connecting to `host`:`port`: a saved session (or one kept for its
 * Connection ID) is offered, or continued, only toward the server it was
 * agreed with. Toward any other server it is forgotten first, so one server's
 * session ID, keys or CID never reach another (the context's credentials are
 * the caller's business: it creates one context per server account). */
static void dtls_session_bind_peer(dtls_ctx_t *c, const char *host, const char *port) {
    size_t hl = strlen(host);
    size_t pl = strlen(port);
    bool fits = hl + pl + 2 <= sizeof(c->peer);
    bool same = fits && c->peer_len == hl + pl + 2 && memcmp(c->peer, host, hl) == 0
                && c->peer[hl] == '\0' && memcmp(&c->peer[hl + 1], port, pl) == 0;
    if (same) {
        return;
    }
    if (c->have_saved || c->keep_session) {
        anj_rs_dtls_log(DTLS_LOG_INFO,
                        "another server: the saved session is not offered to it", 0);
    }
    dtls_session_forget(c);
    c->peer_len = 0;
    if (fits) {
        memcpy(c->peer, host, hl);
        c->peer[hl] = '\0';
        memcpy(&c->peer[hl + 1], port, pl);
        c->peer[hl + 1 + pl] = '\0';
        c->peer_len = hl + pl + 2;
    }
}

/* On close: whether the records may go on after the next connect without a
 * handshake. Only with a Connection ID, and only if the server answered our
 * last datagram: a close after an unanswered one (an exchange that timed out)
 * may mean that the server lost the session, so the next connect handshakes,
 * offering the saved session (abbreviated if the server still has it). */
static bool dtls_session_keep_on_close(const dtls_ctx_t *c) {
    return c->step == STEP_READY && c->cid_in_use && c->peer_answered;
}

static void release(dtls_ctx_t *c) {
    mbedtls_ssl_session_free(&c->saved);
    mbedtls_ssl_free(&c->ssl);
    mbedtls_ssl_config_free(&c->conf);
#ifdef ANJ_WITH_CERTIFICATES
    mbedtls_x509_crt_free(&c->own_cert);
    mbedtls_pk_free(&c->own_key);
    mbedtls_x509_crt_free(&c->server_cert);
    mbedtls_x509_crt_free(&c->trust_store);
#endif
    if (c->udp) {
        (void) anj_udp_cleanup_ctx(&c->udp);
    }
    memset(c, 0, sizeof(*c));
}

/* ---- the hooks -------------------------------------------------------- */

int anj_dtls_create_ctx(anj_net_ctx_t **ctx, const anj_net_config_t *config) {
    if (!ctx) {
        return -1;
    }
    *ctx = NULL;
#ifdef ANJ_RS_RPK_BACKEND
    if (config
            && config->secure_socket_config.security.mode
                           == ANJ_NET_SECURITY_RPK) {
        return anj_rs_rpk_create_ctx(ctx, config);
    }
#endif
#ifdef ANJ_RS_DTLS_NEEDS_PSA_INIT
    /* Idempotent; TLS 1.2 code paths use PSA for hashes and ciphers. */
    if (psa_crypto_init() != PSA_SUCCESS) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "psa_crypto_init failed", 0);
        return -1;
    }
#endif
    dtls_ctx_t *c = NULL;
    for (size_t i = 0; i < ANJ_RS_DTLS_MAX_CONTEXTS; i++) {
        if (!g_pool[i].in_use) {
            c = &g_pool[i];
            break;
        }
    }
    if (!c) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "no free DTLS context", 0);
        return -1;
    }
    memset(c, 0, sizeof(*c));
    c->in_use = true;
    mbedtls_ssl_init(&c->ssl);
    mbedtls_ssl_config_init(&c->conf);
#ifdef ANJ_WITH_CERTIFICATES
    mbedtls_x509_crt_init(&c->own_cert);
    mbedtls_pk_init(&c->own_key);
    mbedtls_x509_crt_init(&c->server_cert);
    mbedtls_x509_crt_init(&c->trust_store);
#endif

    int r = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT,
                                        MBEDTLS_SSL_TRANSPORT_DATAGRAM,
                                        MBEDTLS_SSL_PRESET_DEFAULT);
    if (r) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "mbedtls_ssl_config_defaults failed", r);
        release(c);
        return -1;
    }
    mbedtls_ssl_conf_min_tls_version(&c->conf, MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_max_tls_version(&c->conf, MBEDTLS_SSL_VERSION_TLS1_2);
    mbedtls_ssl_conf_rng(&c->conf, rng_cb, NULL);
    mbedtls_ssl_conf_handshake_timeout(&c->conf, g_hs_min_ms, g_hs_max_ms);

    r = dtls_session_configure(c);
    if (!r) {
        r = load_credentials(c, config);
    }
    if (!r) {
        r = anj_udp_create_ctx(&c->udp, config);
        if (r) {
            anj_rs_dtls_log(DTLS_LOG_ERROR, "UDP context for DTLS failed", r);
        }
    }
    if (r) {
        release(c);
        return r;
    }
    *ctx = (anj_net_ctx_t *) c;
    return ANJ_NET_OK;
}

/* Ends the session with close_notify when the connection is up (a session
 * kept closed for its Connection ID has no socket to send it on), then frees
 * everything, the saved session included. */
int anj_dtls_cleanup_ctx(anj_net_ctx_t **ctx) {
    if (!ctx || !*ctx) {
        return ANJ_NET_OK;
    }
    RPK_DISPATCH(*ctx, cleanup_ctx(ctx));
    dtls_ctx_t *c = from_net(*ctx);
    if (!c) {
        return -1;
    }
    if (c->step == STEP_READY || c->step == STEP_CLOSING) {
        c->step = STEP_CLOSING;
        int r = mbedtls_ssl_close_notify(&c->ssl);
        if (r == MBEDTLS_ERR_SSL_WANT_WRITE) {
            return ANJ_NET_EINPROGRESS;
        }
    }
    release(c);
    *ctx = NULL;
    return ANJ_NET_OK;
}

static int start_handshake(dtls_ctx_t *c, const char *hostname) {
    int r;
    if (!c->ssl_ready) {
        r = mbedtls_ssl_setup(&c->ssl, &c->conf);
        if (r) {
            anj_rs_dtls_log(DTLS_LOG_ERROR, "mbedtls_ssl_setup failed", r);
            return -1;
        }
        c->ssl_ready = true;
        mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
        mbedtls_ssl_set_timer_cb(&c->ssl, c, timer_set_cb, timer_get_cb);
    } else {
        r = mbedtls_ssl_session_reset(&c->ssl);
        if (r) {
            anj_rs_dtls_log(DTLS_LOG_ERROR, "mbedtls_ssl_session_reset failed", r);
            return -1;
        }
    }
    int32_t mtu = 0;
    if (anj_udp_get_inner_mtu(c->udp, &mtu) == ANJ_NET_OK && mtu > 0
            && mtu <= UINT16_MAX) {
        mbedtls_ssl_set_mtu(&c->ssl, (uint16_t) mtu);
    }
    /* SNI carries a host name, never an address literal: the one given with
     * the credentials, else the one connected to. */
#if defined(MBEDTLS_X509_CRT_PARSE_C)
    const char *name = c->sni[0] ? c->sni : hostname;
    r = mbedtls_ssl_set_hostname(&c->ssl, is_ip_literal(name) ? NULL : name);
    if (r) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "mbedtls_ssl_set_hostname failed", r);
        return -1;
    }
#else
    /* MbedTLS ties SNI to its X.509 module: a PSK-only build sends none. */
    (void) hostname;
    if (c->sni[0]) {
        anj_rs_dtls_log(DTLS_LOG_INFO,
                        "SNI needs MBEDTLS_X509_CRT_PARSE_C; sent without it", 0);
    }
#endif
    if (dtls_session_prepare(c)) {
        return -1;
    }
    c->step = STEP_HANDSHAKE;
    return 0;
}

int anj_dtls_connect(anj_net_ctx_t *ctx, const char *hostname, const char *port) {
    RPK_DISPATCH(ctx, connect(ctx, hostname, port));
    dtls_ctx_t *c = from_net(ctx);
    if (!c || !hostname || !port) {
        return -1;
    }
    if (c->step == STEP_READY) {
        return ANJ_NET_OK;
    }
    if (c->step == STEP_IDLE) {
        dtls_session_bind_peer(c, hostname, port);
    }
    if (c->step == STEP_IDLE || c->step == STEP_UDP) {
        int r = anj_udp_connect(c->udp, hostname, port);
        if (r == ANJ_NET_EINPROGRESS) {
            c->step = STEP_UDP;
            return r;
        }
        if (r) {
            c->step = STEP_IDLE;
            return r;
        }
        if (c->keep_session) {
            /* Connection ID: the same session over the new socket. */
            c->keep_session = false;
            c->cid_reconnects++;
            c->step = STEP_READY;
            anj_rs_dtls_log(DTLS_LOG_INFO,
                            "session continued over its Connection ID, no handshake", 0);
            return ANJ_NET_OK;
        }
        if (start_handshake(c, hostname)) {
            (void) anj_udp_close(c->udp);
            c->step = STEP_IDLE;
            return -1;
        }
    }
    if (c->step != STEP_HANDSHAKE) {
        return -1;
    }
    int r = mbedtls_ssl_handshake(&c->ssl);
    if (want_more(r)) {
        return ANJ_NET_EINPROGRESS;
    }
    if (r) {
        /* Wrong credentials, a peer alert, or the retransmission budget
         * (ANJ_MBEDTLS_HS_MAXIMUM_TIMEOUT_VALUE_MS) exhausted: the connection
         * fails; nothing is ever sent in plaintext. */
        anj_rs_dtls_log(DTLS_LOG_ERROR, "DTLS handshake failed", r);
        dtls_session_forget(c);
        (void) anj_udp_close(c->udp);
        c->step = STEP_IDLE;
        return r < 0 ? r : -1;
    }
    c->handshakes++;
    bool resumed = dtls_session_established(c);
    if (resumed) {
        c->resumed++;
    }
    c->step = STEP_READY;
    DTLS_LOGF(DTLS_LOG_INFO, 0, "handshake done (%s%s): %s, %lu bytes out, %lu in",
             resumed ? "resumed" : "full",
             c->cid_in_use ? ", Connection ID" : "",
             mbedtls_ssl_get_ciphersuite(&c->ssl), (unsigned long) c->bytes_out,
             (unsigned long) c->bytes_in);
    return ANJ_NET_OK;
}

int anj_dtls_send(anj_net_ctx_t *ctx, size_t *bytes_sent, const uint8_t *buf,
                  size_t length) {
    RPK_DISPATCH(ctx, send(ctx, bytes_sent, buf, length));
    dtls_ctx_t *c = from_net(ctx);
    if (!c || !bytes_sent || (!buf && length)) {
        return -1;
    }
    *bytes_sent = 0;
    if (c->step != STEP_READY) {
        return -1;
    }
    int r = mbedtls_ssl_write(&c->ssl, buf, length);
    if (want_more(r)) {
        return ANJ_NET_EINPROGRESS;
    }
    if (r < 0) {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "DTLS write failed", r);
        return r;
    }
    if ((size_t) r != length) {
        /* A datagram is all or nothing: it did not fit in one record. */
        return ANJ_NET_EMSGSIZE;
    }
    *bytes_sent = (size_t) r;
    c->peer_answered = false;
    return ANJ_NET_OK;
}

int anj_dtls_recv(anj_net_ctx_t *ctx, size_t *bytes_received, uint8_t *buf,
                  size_t length) {
    RPK_DISPATCH(ctx, recv(ctx, bytes_received, buf, length));
    dtls_ctx_t *c = from_net(ctx);
    if (!c || !bytes_received || !buf) {
        return -1;
    }
    *bytes_received = 0;
    if (c->step != STEP_READY) {
        return -1;
    }
    c->last_recv = ANJ_NET_OK;
    int r = mbedtls_ssl_read(&c->ssl, buf, length);
    if (r > 0) {
        if (mbedtls_ssl_get_bytes_avail(&c->ssl) > 0) {
            /* The record did not fit: drop the rest, like a truncated
             * datagram. */
            unsigned char sink[64];
            while (mbedtls_ssl_get_bytes_avail(&c->ssl) > 0
                   && mbedtls_ssl_read(&c->ssl, sink, sizeof(sink)) > 0) {
            }
            return ANJ_NET_EMSGSIZE;
        }
        *bytes_received = (size_t) r;
        return ANJ_NET_OK;
    }
    if (want_more(r) || r == 0) {
        /* Nothing arrived: EAGAIN. A record arrived but carried no
         * application data (e.g. a retransmitted Finished): EINPROGRESS,
         * so the caller asks again. */
        return c->last_recv == ANJ_NET_EAGAIN ? ANJ_NET_EAGAIN
                                              : ANJ_NET_EINPROGRESS;
    }
    if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
        anj_rs_dtls_log(DTLS_LOG_INFO, "peer closed the DTLS session", 0);
    } else {
        anj_rs_dtls_log(DTLS_LOG_ERROR, "DTLS read failed", r);
    }
    return r < 0 ? r : -1;
}

/* Closes the UDP socket only, without close_notify (as Anjay Lite does): the
 * session stays for the next connect to the same server (continued over its
 * Connection ID, or offered for resumption). anj_dtls_cleanup_ctx() ends it
 * with close_notify. */
int anj_dtls_close(anj_net_ctx_t *ctx) {
    RPK_DISPATCH(ctx, close(ctx));
    dtls_ctx_t *c = from_net(ctx);
    if (!c) {
        return -1;
    }
    if (c->step == STEP_READY && dtls_session_keep_on_close(c)) {
        /* The session goes on after the next connect, without a handshake. */
        c->keep_session = true;
    } else if (c->step != STEP_IDLE) {
        /* (Closing an already closed connection keeps what the first close
         * decided.) */
        c->keep_session = false;
    }
    c->step = STEP_IDLE;
    c->timer_fin_ms = 0;
    return anj_udp_close(c->udp);
}

int anj_dtls_get_state(anj_net_ctx_t *ctx, anj_net_socket_state_t *out_value) {
    RPK_DISPATCH(ctx, get_state(ctx, out_value));
    dtls_ctx_t *c = from_net(ctx);
    if (!c || !out_value) {
        return -1;
    }
    *out_value = c->step == STEP_READY ? ANJ_NET_SOCKET_STATE_CONNECTED
                                       : ANJ_NET_SOCKET_STATE_CLOSED;
    return ANJ_NET_OK;
}

int anj_dtls_get_inner_mtu(anj_net_ctx_t *ctx, int32_t *out_value) {
    RPK_DISPATCH(ctx, get_inner_mtu(ctx, out_value));
    dtls_ctx_t *c = from_net(ctx);
    if (!c || !out_value) {
        return -1;
    }
    int32_t mtu = 0;
    int r = anj_udp_get_inner_mtu(c->udp, &mtu);
    if (r) {
        return r;
    }
    /* The exact per-record expansion is known once a suite is agreed;
     * before that, assume the largest of the allowed PSK suites
     * (13-byte header, 8-byte explicit nonce, 16-byte tag) plus, with
     * Connection IDs, the largest peer CID and the inner content type. */
    int expansion = 13 + 8 + 16;
#ifdef ANJ_RS_DTLS_CID
    expansion += MBEDTLS_SSL_CID_OUT_LEN_MAX + 1;
#endif
    if (c->step == STEP_READY) {
        expansion = mbedtls_ssl_get_record_expansion(&c->ssl);
    }
    if (expansion < 0 || mtu <= expansion) {
        return -1;
    }
    *out_value = mtu - expansion;
    return ANJ_NET_OK;
}

int anj_dtls_queue_mode_rx_off(anj_net_ctx_t *ctx) {
    RPK_DISPATCH(ctx, queue_mode_rx_off(ctx));
    dtls_ctx_t *c = from_net(ctx);
    if (!c) {
        return -1;
    }
    return anj_udp_queue_mode_rx_off(c->udp);
}

/* How long a handshake may take in all (the RPK backend's limit). */
uint32_t anj_rs_dtls_handshake_budget_ms(void) {
    return g_hs_max_ms;
}

/* anj-rs extension: the handshake retransmission timeouts of contexts created
 * from now on (initial, and the ceiling whose passing fails the handshake),
 * instead of ANJ_MBEDTLS_HS_{INITIAL,MAXIMUM}_TIMEOUT_VALUE_MS. */
int anj_rs_dtls_set_handshake_timeouts(uint32_t initial_ms, uint32_t max_ms) {
    if (!initial_ms || max_ms < initial_ms) {
        return -1;
    }
    g_hs_min_ms = initial_ms;
    g_hs_max_ms = max_ms;
    return 0;
}

/* anj-rs extension for tests and diagnostics: handshakes completed and
 * datagram bytes sent/received (DTLS records included) on a context. */
int anj_rs_dtls_stats(anj_net_ctx_t *ctx, uint32_t *handshakes,
                      uint64_t *bytes_out, uint64_t *bytes_in) {
    RPK_DISPATCH(ctx, stats(ctx, handshakes, bytes_out, bytes_in));
    dtls_ctx_t *c = from_net(ctx);
    if (!c) {
        return -1;
    }
    if (handshakes) {
        *handshakes = c->handshakes;
    }
    if (bytes_out) {
        *bytes_out = c->bytes_out;
    }
    if (bytes_in) {
        *bytes_in = c->bytes_in;
    }
    return 0;
}

/* anj-rs extension: whether handshakes from now on ask for a DTLS Connection
 * ID (default: yes, when MbedTLS has MBEDTLS_SSL_DTLS_CONNECTION_ID). Returns
 * whether Connection IDs are available at all. */
int anj_rs_dtls_set_connection_id(int enabled) {
    g_use_cid = enabled != 0;
#ifdef ANJ_RS_DTLS_CID
    return 1;
#else
    return 0;
#endif
}

/* anj-rs extension for tests and diagnostics: abbreviated (resumed)
 * handshakes, reconnects that continued the session over its Connection ID
 * without a handshake, and whether the current session uses a Connection ID. */
int anj_rs_dtls_session_stats(anj_net_ctx_t *ctx, uint32_t *resumed,
                              uint32_t *cid_reconnects, int *cid_in_use) {
    dtls_ctx_t *c = from_net(ctx);
    if (!c) {
        return -1;
    }
    if (resumed) {
        *resumed = c->resumed;
    }
    if (cid_reconnects) {
        *cid_reconnects = c->cid_reconnects;
    }
    if (cid_in_use) {
        *cid_in_use = c->cid_in_use ? 1 : 0;
    }
    return 0;
}

#ifdef ANJ_RS_VENDORED_MBEDTLS
/* The vendored MbedTLS (mbedtls-rs-sys) is configured with an external
 * randomness source for PSA: the compat layer's RNG. */
#    include <psa/crypto.h>

#    ifdef MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG
#        ifdef MBEDTLS_PLATFORM_ZEROIZE_ALT
#            error "anj-rs: the vendored MbedTLS must keep its own mbedtls_platform_zeroize"
#        endif
psa_status_t
mbedtls_psa_external_get_random(mbedtls_psa_external_random_context_t *unused,
                                uint8_t *output, size_t output_size,
                                size_t *output_length) {
    (void) unused;
    *output_length = 0;
    if (anj_rng_generate(output, output_size)) {
        return PSA_ERROR_INSUFFICIENT_ENTROPY;
    }
    *output_length = output_size;
    return PSA_SUCCESS;
}
#    endif
#endif
