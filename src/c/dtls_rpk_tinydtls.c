/*
 * anj-rs: DTLS 1.2 with raw public keys (RFC 7250, LwM2M Security Mode 1) on
 * tinydtls, beside the MbedTLS backend (src/c/dtls_mbedtls.c).
 *
 * MbedTLS 3.x cannot negotiate raw public keys, so contexts created for
 * ANJ_NET_SECURITY_RPK come from here: dtls_mbedtls.c hands every anj_dtls_*
 * call on a context of this pool to the anj_rs_rpk_* function of the same
 * name. Built only with ANJ_WITH_RPK (cargo feature `rpk`), against the
 * tinydtls of the `tinydtls-sys` crate (`vendored-tinydtls`) or the
 * integrator's (ANJ_TINYDTLS_INCLUDE_DIRS).
 *
 * The suite is TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 on secp256r1 (RFC 7251),
 * the one LwM2M names for certificate-based modes; tinydtls knows no other
 * curve. Credentials, as the Security object holds them:
 *   /0/x/3  the client's public key: SubjectPublicKeyInfo (DER), or the
 *           uncompressed point (65 bytes, 0x04 X Y), or X Y (64 bytes);
 *   /0/x/5  the client's private key: PKCS#8 or SEC1 ECPrivateKey (DER), or
 *           the 32-byte scalar;
 *   /0/x/4  the server's public key, in the forms of /0/x/3. The server must
 *           present exactly this key, or the handshake fails.
 *
 * Records travel over anj_udp_*, every call is non-blocking like the MbedTLS
 * backend's: the handshake advances in anj_dtls_connect() calls
 * (ANJ_NET_EINPROGRESS until done) and fails when it has not completed within
 * the handshake budget (the maximum timeout of the MbedTLS backend). tinydtls
 * keeps no session across a close: every connect is a full handshake.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <anj/compat/net/anj_net_api.h>
#include <anj/compat/time.h>
#include <anj/time.h>
#include <anj/compat/crypto/zeroize.h>

#include <tinydtls.h>

#include <dtls.h>
#include <dtls_debug.h>

#include "dtls_rpk.h"

#ifndef ANJ_RS_DTLS_MAX_CONTEXTS
#    define ANJ_RS_DTLS_MAX_CONTEXTS 2
#endif
/* The largest datagram taken from the socket: a record of the largest
 * message the client buffers hold, or a handshake fragment. */
#ifndef ANJ_RS_RPK_MAX_RECORD_SIZE
#    define ANJ_RS_RPK_MAX_RECORD_SIZE 1500
#endif
/* TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8: 13-byte header, 8-byte explicit
 * nonce, 8-byte tag. */
#define RPK_RECORD_EXPANSION (13 + 8 + 8)
#define P256_SIZE 32

/* Implemented in Rust (src/platform/dtls_mbedtls.rs): one log line. */
extern void anj_rs_dtls_log(int level, const char *msg, int code);
#define RPK_LOG_ERROR 0
#define RPK_LOG_INFO 1
/* A formatted log line, only when logs are built (as in dtls_mbedtls.c). */
#if defined(ANJ_LOG_FULL) || defined(ANJ_LOG_MICRO)
#    include <stdio.h>
#    define RPK_LOGF(level, ...)                                  \
        do {                                                      \
            char rpk_logf_line[160];                              \
            snprintf(rpk_logf_line, sizeof(rpk_logf_line),        \
                     __VA_ARGS__);                                \
            anj_rs_dtls_log((level), rpk_logf_line, 0);           \
        } while (0)
#else
#    define RPK_LOGF(level, ...) ((void) 0)
#endif

typedef enum {
    RPK_IDLE,
    RPK_UDP,
    RPK_HANDSHAKE,
    RPK_READY,
} rpk_step_t;

typedef struct {
    bool in_use;
    rpk_step_t step;
    anj_net_ctx_t *udp;
    dtls_context_t *dtls; /* one per connection: created by connect */
    session_t session;    /* the one peer of the connected socket */
    /* Credentials (from the configuration, parsed at create). */
    uint8_t priv[P256_SIZE];
    uint8_t pub_x[P256_SIZE];
    uint8_t pub_y[P256_SIZE];
    uint8_t srv_x[P256_SIZE];
    uint8_t srv_y[P256_SIZE];
    dtls_ecdsa_key_t key;
    /* What the callbacks saw. */
    bool connected;
    bool failed;
    bool peer_closed;
    bool send_blocked;
    uint8_t *app_buf;
    size_t app_cap;
    size_t app_len;
    bool app_got;
    bool app_truncated;
    uint64_t hs_start_ms;
    /* Statistics, for tests and diagnostics. */
    uint32_t handshakes;
    uint64_t bytes_out;
    uint64_t bytes_in;
} rpk_ctx_t;

static rpk_ctx_t g_rpk_pool[ANJ_RS_DTLS_MAX_CONTEXTS];

static uint64_t now_ms(void) {
    return (uint64_t) anj_time_monotonic_to_scalar(anj_time_monotonic_now(),
                                                   ANJ_TIME_UNIT_MS);
}

static rpk_ctx_t *from_net(anj_net_ctx_t *ctx) {
    for (size_t i = 0; i < ANJ_RS_DTLS_MAX_CONTEXTS; i++) {
        if (g_rpk_pool[i].in_use && (anj_net_ctx_t *) &g_rpk_pool[i] == ctx) {
            return &g_rpk_pool[i];
        }
    }
    return NULL;
}

bool anj_rs_rpk_owns(anj_net_ctx_t *ctx) {
    return ctx && from_net(ctx) != NULL;
}

/* ---- keys ------------------------------------------------------------- */

/* One DER TLV at *p (definite lengths up to 2 length bytes): its tag, value
 * and length; *p moves past it. */
static bool der_next(const uint8_t **p, const uint8_t *end, uint8_t *tag,
                     const uint8_t **val, size_t *len) {
    const uint8_t *s = *p;
    if (end - s < 2) {
        return false;
    }
    *tag = *s++;
    size_t l = *s++;
    if (l & 0x80) {
        size_t n = l & 0x7f;
        if (n < 1 || n > 2 || (size_t) (end - s) < n) {
            return false;
        }
        l = 0;
        while (n--) {
            l = (l << 8) | *s++;
        }
    }
    if ((size_t) (end - s) < l) {
        return false;
    }
    *val = s;
    *len = l;
    *p = s + l;
    return true;
}

static const uint8_t OID_EC_PUBLIC_KEY[] = { 0x2a, 0x86, 0x48, 0xce,
                                             0x3d, 0x02, 0x01 };
static const uint8_t OID_PRIME256V1[] = { 0x2a, 0x86, 0x48, 0xce,
                                          0x3d, 0x03, 0x01, 0x07 };

/* AlgorithmIdentifier { id-ecPublicKey, prime256v1 }. */
static bool der_p256_algorithm(const uint8_t *v, size_t n) {
    const uint8_t *p = v, *end = v + n, *oid;
    size_t len;
    uint8_t tag;
    if (!der_next(&p, end, &tag, &oid, &len) || tag != 0x06
            || len != sizeof(OID_EC_PUBLIC_KEY)
            || memcmp(oid, OID_EC_PUBLIC_KEY, len)) {
        return false;
    }
    return der_next(&p, end, &tag, &oid, &len) && tag == 0x06
           && len == sizeof(OID_PRIME256V1) && !memcmp(oid, OID_PRIME256V1, len)
           && p == end;
}

/* A secp256r1 public key: SubjectPublicKeyInfo, 0x04 X Y, or X Y. */
static int parse_public(const uint8_t *d, size_t n, uint8_t x[P256_SIZE],
                        uint8_t y[P256_SIZE]) {
    const uint8_t *point = NULL;
    if (n == 2 * P256_SIZE) {
        point = d;
    } else if (n == 2 * P256_SIZE + 1 && d[0] == 0x04) {
        point = d + 1;
    } else {
        const uint8_t *p = d, *end = d + n, *spki, *alg, *bits;
        size_t spki_len, alg_len, bits_len;
        uint8_t tag;
        if (!der_next(&p, end, &tag, &spki, &spki_len) || tag != 0x30
                || p != end) {
            return -1;
        }
        p = spki;
        end = spki + spki_len;
        if (!der_next(&p, end, &tag, &alg, &alg_len) || tag != 0x30
                || !der_p256_algorithm(alg, alg_len)
                || !der_next(&p, end, &tag, &bits, &bits_len) || tag != 0x03
                || p != end || bits_len != 2 + 2 * P256_SIZE || bits[0] != 0
                || bits[1] != 0x04) {
            return -1;
        }
        point = bits + 2;
    }
    memcpy(x, point, P256_SIZE);
    memcpy(y, point + P256_SIZE, P256_SIZE);
    return 0;
}

/* ECPrivateKey (RFC 5915): SEQUENCE { 1, OCTET STRING d, ... }. */
static int parse_sec1(const uint8_t *v, size_t n, uint8_t out[P256_SIZE]) {
    const uint8_t *p = v, *end = v + n, *ver, *key;
    size_t ver_len, key_len;
    uint8_t tag;
    if (!der_next(&p, end, &tag, &ver, &ver_len) || tag != 0x02 || ver_len != 1
            || ver[0] != 1 || !der_next(&p, end, &tag, &key, &key_len)
            || tag != 0x04 || key_len != P256_SIZE) {
        return -1;
    }
    /* [0] parameters, when present, must name secp256r1. */
    if (p < end && *p == 0xa0) {
        const uint8_t *params, *oid;
        size_t params_len, oid_len;
        if (!der_next(&p, end, &tag, &params, &params_len)) {
            return -1;
        }
        const uint8_t *q = params;
        if (!der_next(&q, params + params_len, &tag, &oid, &oid_len)
                || tag != 0x06 || oid_len != sizeof(OID_PRIME256V1)
                || memcmp(oid, OID_PRIME256V1, oid_len)) {
            return -1;
        }
    }
    memcpy(out, key, P256_SIZE);
    return 0;
}

/* A secp256r1 private key: PKCS#8, SEC1, or the bare 32-byte scalar. */
static int parse_private(const uint8_t *d, size_t n, uint8_t out[P256_SIZE]) {
    if (n == P256_SIZE) {
        memcpy(out, d, P256_SIZE);
        return 0;
    }
    const uint8_t *p = d, *end = d + n, *seq, *first;
    size_t seq_len, first_len;
    uint8_t tag;
    if (!der_next(&p, end, &tag, &seq, &seq_len) || tag != 0x30 || p != end) {
        return -1;
    }
    p = seq;
    end = seq + seq_len;
    if (!der_next(&p, end, &tag, &first, &first_len) || tag != 0x02
            || first_len != 1) {
        return -1;
    }
    if (first[0] == 1) {
        return parse_sec1(seq, seq_len, out);
    }
    /* PKCS#8: SEQUENCE { 0, AlgorithmIdentifier, OCTET STRING ECPrivateKey } */
    const uint8_t *alg, *inner, *sec1;
    size_t alg_len, inner_len, sec1_len;
    if (first[0] != 0 || !der_next(&p, end, &tag, &alg, &alg_len) || tag != 0x30
            || !der_p256_algorithm(alg, alg_len)
            || !der_next(&p, end, &tag, &inner, &inner_len) || tag != 0x04) {
        return -1;
    }
    const uint8_t *q = inner;
    if (!der_next(&q, inner + inner_len, &tag, &sec1, &sec1_len) || tag != 0x30) {
        return -1;
    }
    return parse_sec1(sec1, sec1_len, out);
}

/* The bytes of a credential; an empty one is an error here. */
static int credential(const anj_net_ssl_configuration_t *sec,
                      const anj_crypto_security_info_t *info, uint8_t *scratch,
                      size_t scratch_size, const uint8_t **out, size_t *len,
                      const char *what) {
    if (anj_rs_dtls_credential_bytes(sec, info, scratch, scratch_size, out,
                                     len, what)
            || !*len) {
        return -1;
    }
    return 0;
}

static int load_keys(rpk_ctx_t *c, const anj_net_ssl_configuration_t *sec) {
    const anj_net_rpk_info_t *rpk = &sec->security.data.rpk;
    uint8_t scratch[160];
    const uint8_t *d;
    size_t n;
    int result = -1;
    if (credential(sec, &rpk->public_key, scratch, sizeof(scratch), &d, &n,
                   "RPK public key")
            || parse_public(d, n, c->pub_x, c->pub_y)) {
        anj_rs_dtls_log(RPK_LOG_ERROR,
                        "RPK: the client public key (/0/x/3) is no secp256r1 key",
                        (int) n);
        goto out;
    }
    if (credential(sec, &rpk->private_key, scratch, sizeof(scratch), &d, &n,
                   "RPK private key")
            || parse_private(d, n, c->priv)) {
        anj_rs_dtls_log(RPK_LOG_ERROR,
                        "RPK: the private key (/0/x/5) is no secp256r1 key",
                        (int) n);
        goto out;
    }
    if (credential(sec, &rpk->server_public_key, scratch, sizeof(scratch), &d,
                   &n, "RPK server public key")
            || parse_public(d, n, c->srv_x, c->srv_y)) {
        anj_rs_dtls_log(RPK_LOG_ERROR,
                        "RPK: the server public key (/0/x/4) is missing or no "
                        "secp256r1 key: the server could not be authenticated",
                        (int) n);
        goto out;
    }
    c->key.curve = DTLS_ECDH_CURVE_SECP256R1;
    c->key.priv_key = c->priv;
    c->key.pub_key_x = c->pub_x;
    c->key.pub_key_y = c->pub_y;
    result = 0;
out:
    anj_crypto_zeroize(scratch, sizeof(scratch));
    return result;
}

/* ---- tinydtls callbacks ----------------------------------------------- */

static int cb_write(dtls_context_t *d, session_t *s, uint8 *buf, size_t len) {
    (void) s;
    rpk_ctx_t *c = (rpk_ctx_t *) dtls_get_app_data(d);
    size_t sent = 0;
    int r = anj_udp_send(c->udp, &sent, buf, len);
    if (r == ANJ_NET_OK) {
        c->bytes_out += sent;
        return (int) sent;
    }
    if (r == ANJ_NET_EAGAIN || r == ANJ_NET_EINPROGRESS) {
        c->send_blocked = true;
    }
    return -1;
}

static int cb_read(dtls_context_t *d, session_t *s, uint8 *buf, size_t len) {
    (void) s;
    rpk_ctx_t *c = (rpk_ctx_t *) dtls_get_app_data(d);
    if (!c->app_buf || c->app_got) {
        /* Application data outside anj_dtls_recv(), or a second record in
         * one datagram: dropped, as a datagram would be. */
        return 0;
    }
    c->app_got = true;
    if (len > c->app_cap) {
        c->app_truncated = true;
        return 0;
    }
    memcpy(c->app_buf, buf, len);
    c->app_len = len;
    return 0;
}

static int cb_event(dtls_context_t *d, session_t *s, dtls_alert_level_t level,
                    unsigned short code) {
    (void) s;
    rpk_ctx_t *c = (rpk_ctx_t *) dtls_get_app_data(d);
    if (level == 0 && code == DTLS_EVENT_CONNECTED) {
        c->connected = true;
    } else if (level == DTLS_ALERT_LEVEL_FATAL) {
        anj_rs_dtls_log(RPK_LOG_ERROR, "RPK: fatal DTLS alert", code);
        c->failed = true;
    } else if (level == DTLS_ALERT_LEVEL_WARNING
               && code == DTLS_ALERT_CLOSE_NOTIFY) {
        c->peer_closed = true;
    }
    return 0;
}

static void cb_parameters(dtls_context_t *d, session_t *s,
                          dtls_user_parameters_t *params) {
    (void) d;
    (void) s;
    params->cipher_suites[0] = TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8;
    params->cipher_suites[1] = TLS_NULL_WITH_NULL_NULL;
    /* Offered, not demanded: LwM2M servers on older stacks lack them. */
    params->force_extended_master_secret = 0;
    params->force_renegotiation_info = 0;
}

static int cb_get_key(dtls_context_t *d, const session_t *s,
                      const dtls_ecdsa_key_t **result) {
    (void) s;
    rpk_ctx_t *c = (rpk_ctx_t *) dtls_get_app_data(d);
    *result = &c->key;
    return 0;
}

static int cb_verify_key(dtls_context_t *d, const session_t *s,
                         const unsigned char *x, const unsigned char *y,
                         size_t size) {
    (void) s;
    rpk_ctx_t *c = (rpk_ctx_t *) dtls_get_app_data(d);
    uint8_t diff = 0;
    if (size != P256_SIZE) {
        diff = 1;
    } else {
        for (size_t i = 0; i < P256_SIZE; i++) {
            diff |= (uint8_t) (x[i] ^ c->srv_x[i]);
            diff |= (uint8_t) (y[i] ^ c->srv_y[i]);
        }
    }
    if (diff) {
        anj_rs_dtls_log(RPK_LOG_ERROR,
                        "RPK: the server presented a public key other than "
                        "/0/x/4",
                        0);
        c->failed = true;
        return dtls_alert_fatal_create(DTLS_ALERT_BAD_CERTIFICATE);
    }
    return 0;
}

static dtls_handler_t g_handlers = {
    .write = cb_write,
    .read = cb_read,
    .event = cb_event,
    .get_user_parameters = cb_parameters,
#ifdef DTLS_PSK
    .get_psk_info = NULL,
#endif
    .get_ecdsa_key = cb_get_key,
    .verify_ecdsa_key = cb_verify_key,
};

/* ---- connection ------------------------------------------------------- */

static void end_connection(rpk_ctx_t *c) {
    if (c->dtls) {
        dtls_free_context(c->dtls);
        c->dtls = NULL;
    }
    c->connected = false;
    c->failed = false;
    c->peer_closed = false;
}

/* Feeds what the socket holds to tinydtls; resends a lost flight when due. */
static int pump(rpk_ctx_t *c) {
    uint8_t rx[ANJ_RS_RPK_MAX_RECORD_SIZE];
    for (;;) {
        size_t got = 0;
        int r = anj_udp_recv(c->udp, &got, rx, sizeof(rx));
        if (r == ANJ_NET_EAGAIN || r == ANJ_NET_EINPROGRESS) {
            break;
        }
        if (r == ANJ_NET_EMSGSIZE) {
            continue;
        }
        if (r) {
            return r;
        }
        c->bytes_in += got;
        (void) dtls_handle_message(c->dtls, &c->session, rx, (int) got);
        if (c->failed || c->connected) {
            break;
        }
    }
    if (!c->failed && !c->connected) {
        dtls_check_retransmit(c->dtls, NULL);
    }
    return 0;
}

int anj_rs_rpk_create_ctx(anj_net_ctx_t **ctx, const anj_net_config_t *config) {
    static bool initialised;
    if (!ctx || !config
            || config->secure_socket_config.security.mode
                           != ANJ_NET_SECURITY_RPK) {
        return -1;
    }
    *ctx = NULL;
    if (!initialised) {
        dtls_init();
        dtls_set_log_level(DTLS_LOG_CRIT);
        initialised = true;
    }
    rpk_ctx_t *c = NULL;
    for (size_t i = 0; i < ANJ_RS_DTLS_MAX_CONTEXTS; i++) {
        if (!g_rpk_pool[i].in_use) {
            c = &g_rpk_pool[i];
            break;
        }
    }
    if (!c) {
        anj_rs_dtls_log(RPK_LOG_ERROR, "RPK: no free DTLS context", 0);
        return -1;
    }
    memset(c, 0, sizeof(*c));
    c->in_use = true;
    int r = load_keys(c, &config->secure_socket_config);
    if (!r) {
        r = anj_udp_create_ctx(&c->udp, config);
    }
    if (r) {
        anj_crypto_zeroize(c, sizeof(*c));
        return r < 0 ? r : -1;
    }
    dtls_session_init(&c->session);
    *ctx = (anj_net_ctx_t *) c;
    return ANJ_NET_OK;
}

int anj_rs_rpk_cleanup_ctx(anj_net_ctx_t **ctx) {
    rpk_ctx_t *c = from_net(*ctx);
    if (!c) {
        return -1;
    }
    end_connection(c);
    if (c->udp) {
        (void) anj_udp_cleanup_ctx(&c->udp);
    }
    anj_crypto_zeroize(c, sizeof(*c));
    *ctx = NULL;
    return ANJ_NET_OK;
}

static int fail_handshake(rpk_ctx_t *c, const char *why) {
    anj_rs_dtls_log(RPK_LOG_ERROR, why, 0);
    end_connection(c);
    (void) anj_udp_close(c->udp);
    c->step = RPK_IDLE;
    return -1;
}

int anj_rs_rpk_connect(anj_net_ctx_t *ctx, const char *hostname,
                       const char *port) {
    rpk_ctx_t *c = from_net(ctx);
    if (!c || !hostname || !port) {
        return -1;
    }
    if (c->step == RPK_READY) {
        return ANJ_NET_OK;
    }
    if (c->step == RPK_IDLE || c->step == RPK_UDP) {
        int r = anj_udp_connect(c->udp, hostname, port);
        if (r == ANJ_NET_EINPROGRESS) {
            c->step = RPK_UDP;
            return r;
        }
        if (r) {
            c->step = RPK_IDLE;
            return r;
        }
        end_connection(c);
        c->dtls = dtls_new_context(c);
        if (!c->dtls) {
            return fail_handshake(c, "RPK: dtls_new_context failed");
        }
        dtls_set_handler(c->dtls, &g_handlers);
        c->hs_start_ms = now_ms();
        c->step = RPK_HANDSHAKE;
        if (dtls_connect(c->dtls, &c->session) < 0) {
            return fail_handshake(c, "RPK: could not start the handshake");
        }
    }
    if (c->step != RPK_HANDSHAKE) {
        return -1;
    }
    int r = pump(c);
    if (r) {
        return fail_handshake(c, "RPK: socket error during the handshake");
    }
    if (c->failed) {
        return fail_handshake(c, "RPK: DTLS handshake failed");
    }
    if (c->connected) {
        c->handshakes++;
        c->step = RPK_READY;
        RPK_LOGF(RPK_LOG_INFO,
                 "RPK handshake done: TLS-ECDHE-ECDSA-WITH-AES-128-CCM-8, raw "
                 "public keys: %lu bytes out, %lu in",
                 (unsigned long) c->bytes_out, (unsigned long) c->bytes_in);
        return ANJ_NET_OK;
    }
    if (now_ms() - c->hs_start_ms > anj_rs_dtls_handshake_budget_ms()) {
        return fail_handshake(c, "RPK: DTLS handshake timed out");
    }
    return ANJ_NET_EINPROGRESS;
}

int anj_rs_rpk_send(anj_net_ctx_t *ctx, size_t *bytes_sent, const uint8_t *buf,
                    size_t length) {
    rpk_ctx_t *c = from_net(ctx);
    if (!c || !bytes_sent || (!buf && length)) {
        return -1;
    }
    *bytes_sent = 0;
    if (c->step != RPK_READY) {
        return -1;
    }
    c->send_blocked = false;
    int r = dtls_write(c->dtls, &c->session, (uint8 *) (uintptr_t) buf, length);
    if (r < 0) {
        return c->send_blocked ? ANJ_NET_EINPROGRESS : -1;
    }
    if ((size_t) r != length) {
        return ANJ_NET_EMSGSIZE;
    }
    *bytes_sent = length;
    return ANJ_NET_OK;
}

int anj_rs_rpk_recv(anj_net_ctx_t *ctx, size_t *bytes_received, uint8_t *buf,
                    size_t length) {
    rpk_ctx_t *c = from_net(ctx);
    if (!c || !bytes_received || !buf) {
        return -1;
    }
    *bytes_received = 0;
    if (c->step != RPK_READY) {
        return -1;
    }
    uint8_t rx[ANJ_RS_RPK_MAX_RECORD_SIZE];
    size_t got = 0;
    int r = anj_udp_recv(c->udp, &got, rx, sizeof(rx));
    if (r == ANJ_NET_EMSGSIZE) {
        return ANJ_NET_EINPROGRESS;
    }
    if (r) {
        return r;
    }
    c->bytes_in += got;
    c->app_buf = buf;
    c->app_cap = length;
    c->app_got = false;
    c->app_truncated = false;
    c->app_len = 0;
    (void) dtls_handle_message(c->dtls, &c->session, rx, (int) got);
    c->app_buf = NULL;
    if (c->failed || c->peer_closed) {
        anj_rs_dtls_log(RPK_LOG_INFO, "RPK: the peer ended the DTLS session", 0);
        return -1;
    }
    if (c->app_truncated) {
        return ANJ_NET_EMSGSIZE;
    }
    if (!c->app_got) {
        /* A record without application data (a retransmitted Finished). */
        return ANJ_NET_EINPROGRESS;
    }
    *bytes_received = c->app_len;
    return ANJ_NET_OK;
}

int anj_rs_rpk_close(anj_net_ctx_t *ctx) {
    rpk_ctx_t *c = from_net(ctx);
    if (!c) {
        return -1;
    }
    if (c->step == RPK_READY && c->dtls) {
        /* close_notify, best effort. */
        (void) dtls_close(c->dtls, &c->session);
    }
    end_connection(c);
    c->step = RPK_IDLE;
    return anj_udp_close(c->udp);
}

int anj_rs_rpk_get_state(anj_net_ctx_t *ctx, anj_net_socket_state_t *out) {
    rpk_ctx_t *c = from_net(ctx);
    if (!c || !out) {
        return -1;
    }
    *out = c->step == RPK_READY ? ANJ_NET_SOCKET_STATE_CONNECTED
                                : ANJ_NET_SOCKET_STATE_CLOSED;
    return ANJ_NET_OK;
}

int anj_rs_rpk_get_inner_mtu(anj_net_ctx_t *ctx, int32_t *out) {
    rpk_ctx_t *c = from_net(ctx);
    if (!c || !out) {
        return -1;
    }
    int32_t mtu = 0;
    int r = anj_udp_get_inner_mtu(c->udp, &mtu);
    if (r) {
        return r;
    }
    if (mtu <= RPK_RECORD_EXPANSION) {
        return -1;
    }
    *out = mtu - RPK_RECORD_EXPANSION;
    return ANJ_NET_OK;
}

int anj_rs_rpk_queue_mode_rx_off(anj_net_ctx_t *ctx) {
    rpk_ctx_t *c = from_net(ctx);
    return c ? anj_udp_queue_mode_rx_off(c->udp) : -1;
}

int anj_rs_rpk_stats(anj_net_ctx_t *ctx, uint32_t *handshakes,
                     uint64_t *bytes_out, uint64_t *bytes_in) {
    rpk_ctx_t *c = from_net(ctx);
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
