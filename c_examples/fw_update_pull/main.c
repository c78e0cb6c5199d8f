/*
 * anj-rs example: firmware update in pull mode, LwM2M object 5 (/5/0).
 *
 * The server writes a coap:// URI to Package URI (/5/0/1). The object checks its form
 * and scheme (Invalid URI and Unsupported Protocol are its own answers), then
 * fw_uri_write starts the CoAP downloader (anj/coap_downloader.h) on it. The download
 * runs in the background: every loop iteration steps the downloader and the LwM2M
 * client one after the other, so the server can keep talking to the device (reads,
 * notifications, registration updates) while the image arrives. Each block goes
 * straight to IMAGE_FILE; the image is never held in memory.
 *
 * The downloader's outcome becomes the object's download result:
 *   finished                          -> success: State Downloaded, PkgVersion
 *                                        "crc32-XXXXXXXX" (CRC-32 of the image)
 *   ETag changed (resource rewritten) -> Integrity Failure (5)
 *   network error or timeout          -> Connection Lost (4)
 *   error response before any data    -> Invalid URI (7) (e.g. 4.04 Not Found)
 *   URI the downloader refuses        -> Invalid URI (7)
 *   writing the file failed           -> Not Enough Space (2)
 *   anything else                     -> Failed (8)
 * A transient failure is retried by the downloader itself (retry_count attempts
 * without progress, retry_delay apart), continuing after the last good block.
 *
 * Executing Update (/5/0/2) "applies" the image as fw_update_push does: the client
 * answers, closes its socket and re-executes its own binary with --updated=VERSION;
 * the restarted client reports that version in /3/0/3 and the update result Success.
 *
 * Lines for the tests: "FW URI <uri>", "FW DOWNLOAD START", "FW DOWNLOADED <bytes>
 * <version> seconds=<s> blocks=<n> retries=<n> stack_peak=<bytes> stack_core=<bytes>
 * stack_downloader=<bytes>", "FW DOWNLOAD
 * FAILED error=<downloader error> result=<update result>", "FW RESET",
 * "FW APPLY <version>", "FW UPDATED <version>".
 *
 * The stack figures come from stack painting: while a download runs, the stack below
 * the loop's frame is filled with a pattern before each anj_coap_downloader_step and
 * before each anj_core_step; after each, the deepest overwritten byte tells how far
 * below main's frame that call went (with the network hooks, the logger and this
 * program's callbacks). stack_core is the deepest anj_core_step, stack_downloader
 * the deepest downloader step (connecting, i.e. name resolution, included), and
 * stack_peak the larger of the two. PAINT_SIZE bounds what can be seen.
 *
 * coaps:// Package URIs (builds with ANJ_WITH_SECURITY and ANJ_FOTA_WITH_COAPS): the
 * downloader gets an anj_net_config_t with the PSK identity and key (hex) of the
 * environment variables ANJ_EXAMPLE_DOWNLOAD_PSK_IDENTITY / ANJ_EXAMPLE_DOWNLOAD_PSK_KEY.
 * With ANJ_WITH_CERTIFICATES, ANJ_EXAMPLE_DOWNLOAD_CLIENT_CERT names a file instead
 * (the client certificate, DER or PEM) and the download authenticates with X.509:
 * ANJ_EXAMPLE_DOWNLOAD_CLIENT_KEY (its private key), ANJ_EXAMPLE_DOWNLOAD_SERVER_CERT
 * (the server's certificate or trust anchor, as /0/x/4), ANJ_EXAMPLE_DOWNLOAD_CERT_USAGE
 * (0-3, as /0/x/15; default 3) and, for usages 0 and 1, ANJ_EXAMPLE_DOWNLOAD_TRUST_STORE
 * (one CA certificate). The files are read at each download start.
 *
 * usage: anj_example_fw_update_pull ENDPOINT_NAME SERVER_URI [LIFETIME] [IMAGE_FILE]
 *                                   [ack_timeout_ms=N] [max_retransmit=N]
 *                                   [retry_count=N] [retry_delay_ms=N]
 *                                   [dtls_hs_max_ms=N] (MbedTLS backend)
 *   IMAGE_FILE defaults to /tmp/anj_fw_update_pull.bin; the CoAP retransmission
 *   defaults are RFC 7252's (2000 ms, 4), the retry defaults 5 attempts 1000 ms apart.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <anj/coap_downloader.h>
#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/fw_update.h>
#include <anj/log.h>

#include "example_common.h"

#include <anj/compat/net/anj_net_api.h>
#ifdef ANJ_WITH_SECURITY
#    include <anj/crypto.h>

#    ifdef ANJ_WITH_CERTIFICATES
/* Room for one DER or PEM certificate or key. */
#        define CRED_FILE_MAX 4096

/* Reads the file named by environment variable `var` into `buf` and points `info`
 * at it. 0 on success, -1 if it is unset, unreadable, empty or too large. */
static int load_credential(const char *var, uint8_t *buf,
                           anj_crypto_security_info_t *info) {
    const char *path = getenv(var);
    FILE *f = path && *path ? fopen(path, "rb") : NULL;
    if (!f) {
        anj_log(fw_example, L_ERROR, "%s: no readable file", var);
        return -1;
    }
    size_t n = fread(buf, 1, CRED_FILE_MAX, f);
    int more = fgetc(f);
    fclose(f);
    if (!n || more != EOF) {
        anj_log(fw_example, L_ERROR, "%s: empty or larger than %d bytes", var,
                CRED_FILE_MAX);
        return -1;
    }
    info->source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    info->info.buffer.data = buf;
    info->info.buffer.data_size = n;
    return 0;
}

/* X.509 credentials of the download (ANJ_EXAMPLE_DOWNLOAD_CLIENT_CERT and the rest,
 * see the top of this file); NULL if a file is missing or the usage is invalid. */
static const anj_net_config_t *download_cert_config(void) {
    static anj_net_config_t cfg;
    static uint8_t client_cert[CRED_FILE_MAX], client_key[CRED_FILE_MAX],
            server_cert[CRED_FILE_MAX], ca_cert[CRED_FILE_MAX];
    static anj_crypto_security_info_t ca;
    memset(&cfg, 0, sizeof(cfg));
    cfg.secure_socket_config.security.mode = ANJ_NET_SECURITY_CERTIFICATE;
    anj_net_certificate_info_t *ci = &cfg.secure_socket_config.security.data.cert;
    if (load_credential("ANJ_EXAMPLE_DOWNLOAD_CLIENT_CERT", client_cert,
                        &ci->client_cert)
            || load_credential("ANJ_EXAMPLE_DOWNLOAD_CLIENT_KEY", client_key,
                               &ci->private_key)
            || load_credential("ANJ_EXAMPLE_DOWNLOAD_SERVER_CERT", server_cert,
                               &ci->server_cert)) {
        return NULL;
    }
    const char *usage = getenv("ANJ_EXAMPLE_DOWNLOAD_CERT_USAGE");
    long u = usage && *usage ? strtol(usage, NULL, 10)
                             : (long) ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE;
    if (u < 0 || u > 3) {
        anj_log(fw_example, L_ERROR, "ANJ_EXAMPLE_DOWNLOAD_CERT_USAGE: 0 to 3");
        return NULL;
    }
    ci->certificate_usage = (anj_net_certificate_usage_t) u;
    const char *ts = getenv("ANJ_EXAMPLE_DOWNLOAD_TRUST_STORE");
    if (ts && *ts) {
        memset(&ca, 0, sizeof(ca));
        if (load_credential("ANJ_EXAMPLE_DOWNLOAD_TRUST_STORE", ca_cert, &ca)) {
            return NULL;
        }
        ci->trust_store.ca_certs = &ca;
        ci->trust_store.ca_certs_count = 1;
    }
    anj_log(fw_example, L_INFO, "download credentials: X.509, usage %ld", u);
    return &cfg;
}
#    endif

/* The download's credentials, from the environment; NULL when none are set. */
static const anj_net_config_t *download_net_config(void) {
    static anj_net_config_t cfg;
    static uint8_t key[64];
#    ifdef ANJ_WITH_CERTIFICATES
    if (getenv("ANJ_EXAMPLE_DOWNLOAD_CLIENT_CERT")) {
        return download_cert_config();
    }
#    endif
    const char *identity = getenv("ANJ_EXAMPLE_DOWNLOAD_PSK_IDENTITY");
    const char *hex = getenv("ANJ_EXAMPLE_DOWNLOAD_PSK_KEY");
    size_t key_len = hex ? strlen(hex) / 2 : 0;
    if (!identity || !hex || key_len == 0 || key_len > sizeof(key) || strlen(hex) % 2) {
        return NULL;
    }
    for (size_t i = 0; i < key_len; i++) {
        unsigned byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
            return NULL;
        }
        key[i] = (uint8_t) byte;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.secure_socket_config.security.mode = ANJ_NET_SECURITY_PSK;
    anj_net_psk_info_t *psk = &cfg.secure_socket_config.security.data.psk;
    psk->identity.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    psk->identity.info.buffer.data = identity;
    psk->identity.info.buffer.data_size = strlen(identity);
    psk->key.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    psk->key.info.buffer.data = key;
    psk->key.info.buffer.data_size = key_len;
    return &cfg;
}
#endif
#ifdef ANJ_WITH_MBEDTLS
/* anj-rs extension of the MbedTLS backend (src/c/dtls_mbedtls.c). */
int anj_rs_dtls_set_handshake_timeouts(uint32_t initial_ms, uint32_t max_ms);
#endif
#ifndef ANJ_WITH_SECURITY
static const anj_net_config_t *download_net_config(void) {
    return NULL;
}
#endif

#define UPDATED_MARKER "--updated="
#define MAX_ARGS 16
/* Loop iterations (about 10 ms each) between the Execute and the restart, so that the
 * response and the notifications of State leave first. */
#define APPLY_DELAY_TICKS 20
/* Room for a Package URI as the object accepts it (255 characters and a NUL). */
#define URI_SIZE 256

#if defined(__GNUC__)
#    define NOINLINE __attribute__((noinline))
#else
#    define NOINLINE
#endif

typedef struct {
    const char *path;
    FILE *file;
    /* A download of ours is under way: events of one that was terminated are not. */
    bool active;
    bool write_failed;
    bool close_failed;
    size_t received;
    size_t blocks;
    unsigned retries;
    uint32_t crc;
    double started_at;
    /* The URI being downloaded: the downloader reads it again when it reconnects. */
    char uri[URI_SIZE];
    /* "crc32-XXXXXXXX" of the downloaded package. */
    char version[32];
    /* Ticks left before the restart; -1 when no update is scheduled. */
    int apply_in;
} fw_state_t;

static anj_t g_anj;
static fw_state_t g_fw = { .apply_in = -1 };
static anj_dm_fw_update_entity_ctx_t g_fw_ctx;
static anj_coap_downloader_t g_downloader;
static anj_exchange_udp_tx_params_t g_tx_params;
static char *g_argv[MAX_ARGS + 2];
static char g_marker[sizeof(UPDATED_MARKER) + sizeof(g_fw.version)];

/* ---- stack painting ---------------------------------------------------------- */

#define PAINT_SIZE (16 * 1024)
#define PAINT_BYTE 0xA5

/* The top of the measured stack: a local of main(). */
static uintptr_t g_stack_top;
static uintptr_t g_paint_low;
static bool g_paint_pending;
/* Painting before every step while a download runs. */
static bool g_measuring;
/* Deepest anj_core_step and anj_coap_downloader_step seen during the download. */
static size_t g_stack_core;
static size_t g_stack_downloader;

/* Fills PAINT_SIZE bytes below the caller's frame with PAINT_BYTE. */
static NOINLINE void paint_stack(void) {
    volatile uint8_t area[PAINT_SIZE];
    for (size_t i = 0; i < PAINT_SIZE; i++) {
        area[i] = PAINT_BYTE;
    }
    g_paint_low = (uintptr_t) &area[0];
}

/* Bytes between main's frame and the deepest byte overwritten since the painting
 * (the stack grows downward on the hosts this runs on). */
static size_t stack_peak(void) {
    if (!g_paint_low) {
        return 0;
    }
    const volatile uint8_t *p = (const volatile uint8_t *) g_paint_low;
    size_t clean = 0;
    while (clean < PAINT_SIZE && p[clean] == PAINT_BYTE) {
        clean++;
    }
    return (size_t) (g_stack_top - (g_paint_low + clean));
}

/* ---- the image file ---------------------------------------------------------- */

/* CRC-32 (IEEE 802.3, as zlib computes it), bit by bit: small and fast enough. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *data, size_t len) {
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (uint32_t) -(int32_t) (crc & 1));
        }
    }
    return ~crc;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void close_image(fw_state_t *fw, bool remove_it) {
    if (fw->file) {
        if (fclose(fw->file)) {
            fw->close_failed = true;
        }
        fw->file = NULL;
    }
    if (remove_it) {
        remove(fw->path);
    }
}

/* ---- the downloader's events ------------------------------------------------- */

/* The Update Result that tells the server why the download failed. */
static anj_dm_fw_update_result_t failure_result(const fw_state_t *fw, int error) {
    switch (error) {
    case ANJ_COAP_DOWNLOADER_ERR_ETAG_MISMATCH:
        return ANJ_DM_FW_UPDATE_RESULT_INTEGRITY_FAILURE;
    case ANJ_COAP_DOWNLOADER_ERR_NETWORK:
    case ANJ_COAP_DOWNLOADER_ERR_TIMEOUT:
        return ANJ_DM_FW_UPDATE_RESULT_CONNECTION_LOST;
    case ANJ_COAP_DOWNLOADER_ERR_INVALID_URI:
        return ANJ_DM_FW_UPDATE_RESULT_INVALID_URI;
    case ANJ_COAP_DOWNLOADER_ERR_INVALID_RESPONSE:
        /* Refused from the start (4.04 and the like): the URI names nothing usable. */
        return fw->received == 0 ? ANJ_DM_FW_UPDATE_RESULT_INVALID_URI
                                 : ANJ_DM_FW_UPDATE_RESULT_FAILED;
    case ANJ_COAP_DOWNLOADER_ERR_TERMINATED:
        return fw->write_failed ? ANJ_DM_FW_UPDATE_RESULT_NOT_ENOUGH_SPACE
                                : ANJ_DM_FW_UPDATE_RESULT_FAILED;
    default:
        return ANJ_DM_FW_UPDATE_RESULT_FAILED;
    }
}

static void on_download_event(void *arg, anj_coap_downloader_t *downloader,
                              anj_coap_downloader_status_t status,
                              const uint8_t *data, size_t data_len) {
    fw_state_t *fw = (fw_state_t *) arg;
    if (!fw->active) {
        /* The tail of a download the reset handler terminated. */
        return;
    }
    switch (status) {
    case ANJ_COAP_DOWNLOADER_STATUS_DOWNLOADING:
        if (fwrite(data, 1, data_len, fw->file) != data_len) {
            anj_log(fw_example, L_ERROR, "cannot write %s", fw->path);
            fw->write_failed = true;
            anj_coap_downloader_terminate(downloader);
            return;
        }
        fw->received += data_len;
        fw->blocks++;
        fw->crc = crc32_update(fw->crc, data, data_len);
        return;
    case ANJ_COAP_DOWNLOADER_STATUS_RETRYING:
        fw->retries++;
        anj_log(fw_example, L_WARNING, "download retrying after %lu bytes",
                (unsigned long) fw->received);
        return;
    case ANJ_COAP_DOWNLOADER_STATUS_FINISHING:
        close_image(fw, false);
        return;
    case ANJ_COAP_DOWNLOADER_STATUS_FINISHED: {
        fw->active = false;
        example_set_pause_ms(10);
        double seconds = now_s() - fw->started_at;
        /* This very step counts too, up to here. */
        size_t step = stack_peak();
        g_measuring = false;
        if (step > g_stack_downloader) {
            g_stack_downloader = step;
        }
        if (fw->close_failed) {
            anj_dm_fw_update_object_set_download_result(
                    &g_anj, &g_fw_ctx, ANJ_DM_FW_UPDATE_RESULT_NOT_ENOUGH_SPACE);
            return;
        }
        snprintf(fw->version, sizeof(fw->version), "crc32-%08lx",
                 (unsigned long) fw->crc);
        example_report("FW DOWNLOADED %lu %s seconds=%.3f blocks=%lu retries=%u "
                       "stack_peak=%lu stack_core=%lu stack_downloader=%lu",
                       (unsigned long) fw->received, fw->version, seconds,
                       (unsigned long) fw->blocks, fw->retries,
                       (unsigned long) (g_stack_core > g_stack_downloader
                                                ? g_stack_core
                                                : g_stack_downloader),
                       (unsigned long) g_stack_core, (unsigned long) g_stack_downloader);
        anj_dm_fw_update_object_set_download_result(&g_anj, &g_fw_ctx,
                                                    ANJ_DM_FW_UPDATE_RESULT_SUCCESS);
        return;
    }
    case ANJ_COAP_DOWNLOADER_STATUS_FAILED: {
        fw->active = false;
        g_measuring = false;
        example_set_pause_ms(10);
        int error = anj_coap_downloader_get_error(downloader);
        anj_dm_fw_update_result_t result = failure_result(fw, error);
        example_report("FW DOWNLOAD FAILED error=%d result=%d", error, (int) result);
        /* The object resets (fw_reset deletes the partial file) and keeps the result. */
        anj_dm_fw_update_object_set_download_result(&g_anj, &g_fw_ctx, result);
        return;
    }
    default:
        return;
    }
}

/* ---- the Firmware Update object's callbacks ------------------------------------ */

static anj_dm_fw_update_result_t fw_uri_write(void *user_ptr, const char *uri) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    example_report("FW URI %s", uri);
    if (strlen(uri) >= sizeof(fw->uri)) {
        return ANJ_DM_FW_UPDATE_RESULT_INVALID_URI;
    }
    strcpy(fw->uri, uri);
    close_image(fw, false);
    fw->file = fopen(fw->path, "wb");
    if (!fw->file) {
        anj_log(fw_example, L_ERROR, "cannot open %s", fw->path);
        return ANJ_DM_FW_UPDATE_RESULT_NOT_ENOUGH_SPACE;
    }
    fw->received = 0;
    fw->blocks = 0;
    fw->retries = 0;
    fw->crc = 0;
    fw->write_failed = false;
    fw->close_failed = false;
    fw->version[0] = '\0';
    int r = anj_coap_downloader_start(&g_downloader, fw->uri, download_net_config());
    /* A download the reset handler terminated closes its connection in its next
     * step; when a new URI comes before that step, take the step here (its events
     * are ignored: the download is no longer active). */
    for (int i = 0; r == ANJ_COAP_DOWNLOADER_ERR_IN_PROGRESS && i < 4; i++) {
        anj_coap_downloader_step(&g_downloader);
        r = anj_coap_downloader_start(&g_downloader, fw->uri, download_net_config());
    }
    if (r) {
        anj_log(fw_example, L_ERROR, "anj_coap_downloader_start failed: %d", r);
        close_image(fw, true);
        return r == ANJ_COAP_DOWNLOADER_ERR_INVALID_URI
                       ? ANJ_DM_FW_UPDATE_RESULT_INVALID_URI
                       : ANJ_DM_FW_UPDATE_RESULT_FAILED;
    }
    fw->active = true;
    fw->started_at = now_s();
    g_paint_pending = true;
    g_stack_core = 0;
    g_stack_downloader = 0;
    /* Blocks come one round trip after another: step often while they do. */
    example_set_pause_ms(1);
    example_report("FW DOWNLOAD START");
    return ANJ_DM_FW_UPDATE_RESULT_SUCCESS;
}

static int fw_update_start(void *user_ptr) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    /* Only scheduled here: the Execute must be answered before the restart. */
    fw->apply_in = APPLY_DELAY_TICKS;
    return 0;
}

static const char *fw_get_name(void *user_ptr) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    const char *slash = strrchr(fw->path, '/');
    return slash ? slash + 1 : fw->path;
}

static const char *fw_get_version(void *user_ptr) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    return fw->version[0] ? fw->version : NULL;
}

static void fw_reset(void *user_ptr) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    if (fw->active) {
        /* A server's reset (empty URI) in the middle of a download. */
        fw->active = false;
        g_measuring = false;
        anj_coap_downloader_terminate(&g_downloader);
    }
    example_set_pause_ms(10);
    close_image(fw, true);
    fw->received = 0;
    fw->version[0] = '\0';
    fw->apply_in = -1;
    example_report("FW RESET");
}

static anj_dm_fw_update_handlers_t g_fw_handlers = {
    .uri_write_handler = fw_uri_write,
    .update_start_handler = fw_update_start,
    .get_name = fw_get_name,
    .get_version = fw_get_version,
    .reset_handler = fw_reset,
};

/* ---- main loop ------------------------------------------------------------------ */

/* Restarts into the "new firmware": this very binary, told which version it now is. */
static void apply_update(anj_t *anj) {
    example_report("FW APPLY %s", g_fw.version);
    int r;
    while ((r = anj_core_shutdown(anj)) == ANJ_NET_EAGAIN) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    snprintf(g_marker, sizeof(g_marker), "%s%s", UPDATED_MARKER, g_fw.version);
    int n = 0;
    while (g_argv[n]) {
        n++;
    }
    g_argv[n] = g_marker;
    g_argv[n + 1] = NULL;
    fflush(NULL);
    execv("/proc/self/exe", g_argv);
    execv(g_argv[0], g_argv);
    anj_log(fw_example, L_ERROR, "cannot re-execute %s", g_argv[0]);
    exit(1);
}

/* Called by example_run before every anj_core_step. */
static void fw_tick(anj_t *anj, void *arg) {
    (void) arg;
    if (g_paint_pending) {
        g_paint_pending = false;
        g_measuring = true;
    } else if (g_measuring) {
        /* What the previous anj_core_step used (example_run calls it after us). */
        size_t used = stack_peak();
        if (used > g_stack_core) {
            g_stack_core = used;
        }
    }
    if (g_measuring) {
        paint_stack();
    }
    anj_coap_downloader_step(&g_downloader);
    if (g_measuring) {
        size_t used = stack_peak();
        if (used > g_stack_downloader) {
            g_stack_downloader = used;
        }
        paint_stack();
    }
    if (g_fw.apply_in > 0) {
        g_fw.apply_in--;
    } else if (g_fw.apply_in == 0) {
        apply_update(anj);
    }
}

static bool option(const char *arg, const char *name, long *out) {
    size_t len = strlen(name);
    if (strncmp(arg, name, len) != 0 || arg[len] != '=') {
        return false;
    }
    char *end;
    long v = strtol(arg + len + 1, &end, 10);
    if (*end != '\0' || end == arg + len + 1 || v < 0) {
        return false;
    }
    *out = v;
    return true;
}

static int setup_downloader(void) {
    long ack_timeout_ms = 2000, max_retransmit = 4, retry_count = 5,
         retry_delay_ms = 1000, dtls_hs_max_ms = 0;
    for (int i = 1; example_extra_arg(i); i++) {
        const char *arg = example_extra_arg(i);
        if (!option(arg, "ack_timeout_ms", &ack_timeout_ms)
                && !option(arg, "max_retransmit", &max_retransmit)
                && !option(arg, "retry_count", &retry_count)
                && !option(arg, "retry_delay_ms", &retry_delay_ms)
                && !option(arg, "dtls_hs_max_ms", &dtls_hs_max_ms)) {
            anj_log(fw_example, L_ERROR, "bad option: %s", arg);
            return -1;
        }
    }
    if (dtls_hs_max_ms > 0) {
#ifdef ANJ_WITH_MBEDTLS
        /* The handshake gives up once its retransmission timeout would pass this. */
        anj_rs_dtls_set_handshake_timeouts(
                dtls_hs_max_ms < 1000 ? (uint32_t) dtls_hs_max_ms : 1000,
                (uint32_t) dtls_hs_max_ms);
#else
        anj_log(fw_example, L_ERROR, "dtls_hs_max_ms: no ANJ_WITH_MBEDTLS in this build");
        return -1;
#endif
    }
    if (ack_timeout_ms == 0 || max_retransmit > UINT16_MAX || retry_count > UINT8_MAX) {
        anj_log(fw_example, L_ERROR, "option out of range");
        return -1;
    }
    g_tx_params.ack_timeout = anj_time_duration_new(ack_timeout_ms, ANJ_TIME_UNIT_MS);
    g_tx_params.ack_random_factor = 1.5;
    g_tx_params.max_retransmit = (uint16_t) max_retransmit;
    anj_coap_downloader_configuration_t config = {
        .event_cb = on_download_event,
        .event_cb_arg = &g_fw,
        .udp_tx_params = &g_tx_params,
        .retry_delay = anj_time_duration_new(retry_delay_ms, ANJ_TIME_UNIT_MS),
        .retry_count = (uint8_t) retry_count,
    };
    return anj_coap_downloader_init(&g_downloader, &config);
}

int main(int argc, char *argv[]) {
    volatile uint8_t stack_marker = 0;
    g_stack_top = (uintptr_t) &stack_marker;

    /* Our own arguments, without an --updated= marker of a previous update. */
    const char *updated_to = NULL;
    int n = 0;
    for (int i = 0; i < argc && n < MAX_ARGS; i++) {
        if (strncmp(argv[i], UPDATED_MARKER, strlen(UPDATED_MARKER)) == 0) {
            updated_to = argv[i] + strlen(UPDATED_MARKER);
        } else {
            g_argv[n++] = argv[i];
        }
    }
    g_argv[n] = NULL;

    if (updated_to) {
        example_set_firmware_version(updated_to);
    }
    if (example_start(&g_anj, n, g_argv,
                      "[IMAGE_FILE] [ack_timeout_ms=N] [max_retransmit=N] "
                      "[retry_count=N] [retry_delay_ms=N]")) {
        return 1;
    }
    g_fw.path = example_extra_arg(0) ? example_extra_arg(0)
                                     : "/tmp/anj_fw_update_pull.bin";
    if (setup_downloader()) {
        anj_log(fw_example, L_ERROR, "anj_coap_downloader_init failed");
        return 1;
    }
    if (anj_dm_fw_update_object_install(&g_anj, &g_fw_ctx, &g_fw_handlers, &g_fw)) {
        anj_log(fw_example, L_ERROR, "installing /5 failed");
        return 1;
    }
    if (updated_to) {
        /* Right after installing the object, as anj/dm/fw_update.h asks. */
        anj_dm_fw_update_object_set_update_result(&g_anj, &g_fw_ctx,
                                                  ANJ_DM_FW_UPDATE_RESULT_SUCCESS);
        example_report("FW UPDATED %s", updated_to);
    }
    example_report("FW SIZES anj_t=%lu anj_coap_downloader_t=%lu "
                   "anj_dm_fw_update_entity_ctx_t=%lu",
                   (unsigned long) sizeof(anj_t),
                   (unsigned long) sizeof(anj_coap_downloader_t),
                   (unsigned long) sizeof(anj_dm_fw_update_entity_ctx_t));
    return example_run(&g_anj, fw_tick, NULL);
}
