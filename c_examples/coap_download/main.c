/*
 * anj-rs example: downloads a coap:// resource to a file with the CoAP downloader
 * (anj/coap_downloader.h), the way a Firmware Update pull would, and prints what it
 * cost.
 *
 * usage: anj_example_coap_download URI OUTPUT_FILE [options]
 *   --ack-timeout-ms N    CoAP ACK_TIMEOUT (default 2000)
 *   --max-retransmit N    CoAP MAX_RETRANSMIT (default 4)
 *   --retry-count N       attempts in a row without progress (default 5)
 *   --retry-delay-ms N    pause between attempts (default 1000)
 *   --suspend-at BYTES    suspend once this many bytes have arrived ...
 *   --suspend-ms N        ... and resume N ms later (default 1000)
 *   --psk-identity ID     coaps:// (builds with ANJ_WITH_SECURITY): PSK identity ...
 *   --psk-key HEX         ... and key, in hex; given to anj_coap_downloader_start in
 *                         an anj_net_config_t (DTLS, binding from the URI scheme)
 *   --cert-client FILE    coaps:// with X.509 (builds with ANJ_WITH_CERTIFICATES): the
 *                         client certificate (DER or PEM) ...
 *   --cert-key FILE       ... its private key ...
 *   --cert-server FILE    ... the server's certificate or trust anchor (as /0/x/4) ...
 *   --cert-usage N        ... and how it is used (0-3, as /0/x/15; default 3)
 *   --dtls-hs-max-ms N    with the MbedTLS backend: the handshake fails once its
 *                         retransmission timeout (1 s, doubling) would pass N ms
 *                         (anj-rs extension; default ANJ_MBEDTLS_HS_MAXIMUM_TIMEOUT_VALUE_MS)
 *   --measure-stack       report the deepest stack use of anj_coap_downloader_step
 *                         (stack painting, see below): over the whole download
 *                         (stack_peak, which includes connecting: name resolution)
 *                         and from the first block on (stack_transfer)
 *
 * The last line on stdout sums the download up as key=value pairs:
 *   coap_download: result=finished bytes=... blocks=... seconds=... bytes_per_s=...
 *                  retries=... suspends=... error=... sizeof_downloader=...
 *                  stack_peak=... stack_transfer=...
 * Exit status: 0 finished, 1 failed (error= says why), 2 usage or local error.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <anj/coap_downloader.h>
#include <anj/defs.h>
#include <anj/log.h>
#ifdef ANJ_WITH_SECURITY
#    include <anj/crypto.h>
#    include <anj/compat/net/anj_net_api.h>
#endif
#ifdef ANJ_WITH_MBEDTLS
/* anj-rs extension of the MbedTLS backend (src/c/dtls_mbedtls.c). */
int anj_rs_dtls_set_handshake_timeouts(uint32_t initial_ms, uint32_t max_ms);
#endif

#ifdef ANJ_WITH_CERTIFICATES
/* Room for one DER or PEM certificate or key. */
#    define CRED_FILE_MAX 4096

/* Reads `path` into `buf` and points `info` at it; false (with a message) if the
 * file cannot be read, is empty or is too large. */
static bool load_credential(const char *path, uint8_t *buf,
                            anj_crypto_security_info_t *info) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return false;
    }
    size_t n = fread(buf, 1, CRED_FILE_MAX, f);
    int more = fgetc(f);
    fclose(f);
    if (!n || more != EOF) {
        fprintf(stderr, "%s is empty or larger than %d bytes\n", path, CRED_FILE_MAX);
        return false;
    }
    info->source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    info->info.buffer.data = buf;
    info->info.buffer.data_size = n;
    return true;
}
#endif

typedef struct {
    FILE *out;
    size_t bytes;
    size_t blocks;
    unsigned retries;
    unsigned suspends;
    size_t suspend_at; /* 0: never */
    bool suspend_requested;
    bool done;
    anj_coap_downloader_status_t final_status;
} download_t;

static const char *status_name(anj_coap_downloader_status_t s) {
    switch (s) {
    case ANJ_COAP_DOWNLOADER_STATUS_INITIAL:
        return "INITIAL";
    case ANJ_COAP_DOWNLOADER_STATUS_STARTING:
        return "STARTING";
    case ANJ_COAP_DOWNLOADER_STATUS_DOWNLOADING:
        return "DOWNLOADING";
    case ANJ_COAP_DOWNLOADER_STATUS_FINISHING:
        return "FINISHING";
    case ANJ_COAP_DOWNLOADER_STATUS_FINISHED:
        return "FINISHED";
    case ANJ_COAP_DOWNLOADER_STATUS_RETRYING:
        return "RETRYING";
    case ANJ_COAP_DOWNLOADER_STATUS_WAITING_FOR_RETRY:
        return "WAITING_FOR_RETRY";
    case ANJ_COAP_DOWNLOADER_STATUS_RESUMING:
        return "RESUMING";
    case ANJ_COAP_DOWNLOADER_STATUS_FAILED:
        return "FAILED";
    case ANJ_COAP_DOWNLOADER_STATUS_SUSPENDED:
        return "SUSPENDED";
    }
    return "?";
}

static void on_event(void *arg, anj_coap_downloader_t *downloader,
                     anj_coap_downloader_status_t status, const uint8_t *data,
                     size_t data_len) {
    download_t *dl = (download_t *) arg;
    if (status == ANJ_COAP_DOWNLOADER_STATUS_DOWNLOADING) {
        if (fwrite(data, 1, data_len, dl->out) != data_len) {
            anj_log(example, L_ERROR, "cannot write the output file");
            anj_coap_downloader_terminate(downloader);
            return;
        }
        dl->bytes += data_len;
        dl->blocks++;
        if (dl->suspend_at && !dl->suspend_requested
                && dl->bytes >= dl->suspend_at) {
            dl->suspend_requested = true;
            if (anj_coap_downloader_suspend(downloader) == 0) {
                dl->suspends++;
            }
        }
        return;
    }
    anj_log(example, L_INFO, "status %s", status_name(status));
    switch (status) {
    case ANJ_COAP_DOWNLOADER_STATUS_RETRYING:
        dl->retries++;
        break;
    case ANJ_COAP_DOWNLOADER_STATUS_FAILED:
        anj_log(example, L_ERROR, "download failed: %d",
                anj_coap_downloader_get_error(downloader));
        dl->done = true;
        dl->final_status = status;
        break;
    case ANJ_COAP_DOWNLOADER_STATUS_FINISHED:
        dl->done = true;
        dl->final_status = status;
        break;
    default:
        break;
    }
}

/*
 * Stack painting: before the download, a region below the caller's frame is filled
 * with a pattern; afterwards the lowest overwritten byte tells how deep the calls made
 * from that frame went (anj_coap_downloader_step with the network hooks, the log
 * handler and this program's callback). Stack grows downward on the hosts this runs on.
 */
#define PAINT_SIZE (64 * 1024)
#define PAINT_BYTE 0xA5

static uintptr_t g_paint_low;

#if defined(__GNUC__)
#    define NOINLINE __attribute__((noinline))
#else
#    define NOINLINE
#endif

static NOINLINE void paint_stack(void) {
    volatile uint8_t area[PAINT_SIZE];
    for (size_t i = 0; i < PAINT_SIZE; i++) {
        area[i] = PAINT_BYTE;
    }
    g_paint_low = (uintptr_t) &area[0];
}

static NOINLINE size_t stack_used_below(uintptr_t top) {
    const volatile uint8_t *p = (const volatile uint8_t *) g_paint_low;
    size_t clean = 0;
    while (clean < PAINT_SIZE && p[clean] == PAINT_BYTE) {
        clean++;
    }
    return (size_t) (top - (g_paint_low + clean));
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static bool parse_num(const char *s, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || v < 0) {
        return false;
    }
    *out = v;
    return true;
}

static NOINLINE int run(int argc, char *argv[]) {
    /* The top of what is measured: the frames of anj_coap_downloader_step, of what it
     * calls (network hooks, log handler) and of this program's callback. */
    volatile uint8_t step_marker = 0;
    uintptr_t top = (uintptr_t) &step_marker;
    bool measure_stack = false;
    const char *uri = argv[1];
    long ack_timeout_ms = 2000, max_retransmit = 4, retry_count = 5,
         retry_delay_ms = 1000, suspend_at = 0, suspend_ms = 1000,
         dtls_hs_max_ms = 0;
    const char *psk_identity = NULL, *psk_key_hex = NULL;
    const char *cert_client = NULL, *cert_key = NULL, *cert_server = NULL;
    long cert_usage = 3;
    for (int i = 3; i < argc; i++) {
        long *target = NULL;
        if (!strcmp(argv[i], "--measure-stack")) {
            measure_stack = true;
            continue;
        } else if (i + 1 < argc && !strcmp(argv[i], "--psk-identity")) {
            psk_identity = argv[++i];
            continue;
        } else if (i + 1 < argc && !strcmp(argv[i], "--psk-key")) {
            psk_key_hex = argv[++i];
            continue;
        } else if (i + 1 < argc && !strcmp(argv[i], "--cert-client")) {
            cert_client = argv[++i];
            continue;
        } else if (i + 1 < argc && !strcmp(argv[i], "--cert-key")) {
            cert_key = argv[++i];
            continue;
        } else if (i + 1 < argc && !strcmp(argv[i], "--cert-server")) {
            cert_server = argv[++i];
            continue;
        } else if (!strcmp(argv[i], "--cert-usage")) {
            target = &cert_usage;
        } else if (!strcmp(argv[i], "--ack-timeout-ms")) {
            target = &ack_timeout_ms;
        } else if (!strcmp(argv[i], "--max-retransmit")) {
            target = &max_retransmit;
        } else if (!strcmp(argv[i], "--retry-count")) {
            target = &retry_count;
        } else if (!strcmp(argv[i], "--retry-delay-ms")) {
            target = &retry_delay_ms;
        } else if (!strcmp(argv[i], "--suspend-at")) {
            target = &suspend_at;
        } else if (!strcmp(argv[i], "--suspend-ms")) {
            target = &suspend_ms;
        } else if (!strcmp(argv[i], "--dtls-hs-max-ms")) {
            target = &dtls_hs_max_ms;
        }
        if (!target || i + 1 >= argc || !parse_num(argv[i + 1], target)) {
            fprintf(stderr, "bad option: %s\n", argv[i]);
            return 2;
        }
        i++;
    }
    if (max_retransmit > UINT16_MAX || retry_count > UINT8_MAX
            || ack_timeout_ms == 0) {
        fprintf(stderr, "option out of range\n");
        return 2;
    }

    download_t dl;
    memset(&dl, 0, sizeof(dl));
    dl.suspend_at = (size_t) suspend_at;
    dl.out = fopen(argv[2], "wb");
    if (!dl.out) {
        fprintf(stderr, "cannot open %s\n", argv[2]);
        return 2;
    }

    static anj_coap_downloader_t downloader;
    anj_exchange_udp_tx_params_t tx = {
        .ack_timeout = anj_time_duration_new(ack_timeout_ms, ANJ_TIME_UNIT_MS),
        .ack_random_factor = 1.5,
        .max_retransmit = (uint16_t) max_retransmit,
    };
    anj_coap_downloader_configuration_t config = {
        .event_cb = on_event,
        .event_cb_arg = &dl,
        .udp_tx_params = &tx,
        .retry_delay = anj_time_duration_new(retry_delay_ms, ANJ_TIME_UNIT_MS),
        .retry_count = (uint8_t) retry_count,
    };
    if (anj_coap_downloader_init(&downloader, &config)) {
        fprintf(stderr, "anj_coap_downloader_init failed\n");
        fclose(dl.out);
        return 2;
    }
    const anj_net_config_t *net_config = NULL;
    if (dtls_hs_max_ms > 0) {
#ifdef ANJ_WITH_MBEDTLS
        anj_rs_dtls_set_handshake_timeouts(
                dtls_hs_max_ms < 1000 ? (uint32_t) dtls_hs_max_ms : 1000,
                (uint32_t) dtls_hs_max_ms);
#else
        fprintf(stderr, "--dtls-hs-max-ms: this build has no ANJ_WITH_MBEDTLS\n");
        fclose(dl.out);
        return 2;
#endif
    }
#ifdef ANJ_WITH_SECURITY
    static anj_net_config_t net_cfg;
    static uint8_t psk_key[64];
    if (psk_identity && psk_key_hex) {
        size_t key_len = strlen(psk_key_hex) / 2;
        if (key_len == 0 || key_len > sizeof(psk_key) || strlen(psk_key_hex) % 2) {
            fprintf(stderr, "--psk-key: 1 to 64 bytes in hex\n");
            fclose(dl.out);
            return 2;
        }
        for (size_t i = 0; i < key_len; i++) {
            unsigned byte;
            if (sscanf(psk_key_hex + 2 * i, "%2x", &byte) != 1) {
                fprintf(stderr, "--psk-key is not hex\n");
                fclose(dl.out);
                return 2;
            }
            psk_key[i] = (uint8_t) byte;
        }
        memset(&net_cfg, 0, sizeof(net_cfg));
        net_cfg.secure_socket_config.security.mode = ANJ_NET_SECURITY_PSK;
        anj_net_psk_info_t *psk = &net_cfg.secure_socket_config.security.data.psk;
        psk->identity.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
        psk->identity.info.buffer.data = psk_identity;
        psk->identity.info.buffer.data_size = strlen(psk_identity);
        psk->key.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
        psk->key.info.buffer.data = psk_key;
        psk->key.info.buffer.data_size = key_len;
        net_config = &net_cfg;
    }
#    ifdef ANJ_WITH_CERTIFICATES
    static uint8_t client_cert[CRED_FILE_MAX], client_key[CRED_FILE_MAX],
            server_cert[CRED_FILE_MAX];
    if (cert_client || cert_key || cert_server) {
        memset(&net_cfg, 0, sizeof(net_cfg));
        net_cfg.secure_socket_config.security.mode = ANJ_NET_SECURITY_CERTIFICATE;
        anj_net_certificate_info_t *ci = &net_cfg.secure_socket_config.security.data.cert;
        if (!cert_client || !cert_key || !cert_server || psk_identity || psk_key_hex
                || cert_usage < 0 || cert_usage > 3
                || !load_credential(cert_client, client_cert, &ci->client_cert)
                || !load_credential(cert_key, client_key, &ci->private_key)
                || !load_credential(cert_server, server_cert, &ci->server_cert)) {
            fprintf(stderr, "--cert-*: give --cert-client, --cert-key and "
                            "--cert-server (readable files), no --psk-*, and a "
                            "--cert-usage of 0 to 3\n");
            fclose(dl.out);
            return 2;
        }
        ci->certificate_usage = (anj_net_certificate_usage_t) cert_usage;
        net_config = &net_cfg;
    }
#    else
    if (cert_client || cert_key || cert_server) {
        fprintf(stderr, "--cert-*: this build has no ANJ_WITH_CERTIFICATES\n");
        fclose(dl.out);
        return 2;
    }
#    endif
#else
    if (psk_identity || psk_key_hex || cert_client || cert_key || cert_server) {
        fprintf(stderr, "--psk-*, --cert-*: this build has no ANJ_WITH_SECURITY\n");
        fclose(dl.out);
        return 2;
    }
#endif
    int res = anj_coap_downloader_start(&downloader, uri, net_config);
    if (res) {
        fprintf(stderr, "anj_coap_downloader_start failed: %d\n", res);
        fclose(dl.out);
        printf("coap_download: result=failed bytes=0 blocks=0 seconds=0 "
               "bytes_per_s=0 retries=0 suspends=0 error=%d "
               "sizeof_downloader=%zu stack_peak=0 stack_transfer=0\n",
               res, sizeof(anj_coap_downloader_t));
        return 1;
    }

    double t0 = now_s();
    double resume_at = 0.0;
    size_t stack_peak = 0;
    bool repainted = false;
    while (!dl.done) {
        anj_coap_downloader_step(&downloader);
        if (measure_stack && !repainted && dl.blocks > 0) {
            /* Connected and transferring: keep the peak so far, paint again. */
            stack_peak = stack_used_below(top);
            paint_stack();
            repainted = true;
        }
        if (dl.suspend_requested && dl.suspends == 1 && resume_at == 0.0) {
            resume_at = now_s() + (double) suspend_ms / 1000.0;
        }
        if (resume_at > 0.0 && now_s() >= resume_at) {
            if (anj_coap_downloader_resume(&downloader) == 0) {
                resume_at = -1.0;
            }
        }
        struct timespec ts = { 0, 100 * 1000 };
        nanosleep(&ts, NULL);
    }
    double seconds = now_s() - t0;
    size_t stack_transfer = repainted ? stack_used_below(top) : 0;
    if (stack_transfer > stack_peak) {
        stack_peak = stack_transfer;
    }
    if (fclose(dl.out)) {
        fprintf(stderr, "cannot close %s\n", argv[2]);
        return 2;
    }
    bool ok = dl.final_status == ANJ_COAP_DOWNLOADER_STATUS_FINISHED;
    printf("coap_download: result=%s bytes=%zu blocks=%zu seconds=%.3f "
           "bytes_per_s=%.0f retries=%u suspends=%u error=%d "
           "sizeof_downloader=%zu stack_peak=%zu stack_transfer=%zu\n",
           ok ? "finished" : "failed", dl.bytes, dl.blocks, seconds,
           seconds > 0 ? (double) dl.bytes / seconds : 0.0, dl.retries,
           dl.suspends, ok ? 0 : anj_coap_downloader_get_error(&downloader),
           sizeof(anj_coap_downloader_t), stack_peak, stack_transfer);
    return ok ? 0 : 1;
}

int main(int argc, char *argv[]) {
    if (argc < 3) {
        fprintf(stderr,
                "usage: %s URI OUTPUT_FILE [--ack-timeout-ms N] "
                "[--max-retransmit N] [--retry-count N] [--retry-delay-ms N] "
                "[--suspend-at BYTES] [--suspend-ms N] [--psk-identity ID "
                "--psk-key HEX] [--cert-client FILE --cert-key FILE --cert-server FILE "
                "[--cert-usage N]] [--dtls-hs-max-ms N] [--measure-stack]\n",
                argv[0]);
        return 2;
    }
    /* Painted from main's frame down, so run() and everything below it lands in the
     * painted area. */
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--measure-stack")) {
            paint_stack();
        }
    }
    return run(argc, argv);
}
