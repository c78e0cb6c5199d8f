/*
 * anj-rs example: registration over DTLS with a pre-shared key (coaps://).
 *
 *   anj_example_psk ENDPOINT_NAME SERVER_URI PSK_IDENTITY PSK_KEY_HEX [LIFETIME]
 *
 * It installs the Security (PSK mode), Server and Device objects, registers,
 * keeps the registration up to date and serves the server's requests until
 * SIGINT/SIGTERM, then de-registers. Every connection status change is
 * printed as "STATUS <name>".
 *
 * The DTLS session outlives the connection: after a failed exchange the
 * client reconnects and the session goes on, over its Connection ID with no
 * handshake when the server agreed to one, else through an abbreviated
 * (resumed) handshake. Optional environment, for experiments and tests:
 *   ANJ_EXAMPLE_ACK_TIMEOUT_MS    CoAP ACK_TIMEOUT (default 2000)
 *   ANJ_EXAMPLE_MAX_RETRANSMIT    CoAP MAX_RETRANSMIT (default 4)
 *   ANJ_EXAMPLE_RETRY_TIMER_S     Communication Retry Timer, /1/0/17 (default 60)
 *   ANJ_EXAMPLE_RETRY_COUNT       Communication Retry Count, /1/0/18 (default 5)
 *   ANJ_EXAMPLE_DTLS_HS_TIMEOUTS_MS  "INITIAL,MAX": DTLS handshake retransmission
 *                                 timeouts (default ANJ_MBEDTLS_HS_*_TIMEOUT_VALUE_MS)
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/device_object.h>
#include <anj/dm/security_object.h>
#include <anj/dm/server_object.h>
#include <anj/log.h>

#define PSK_KEY_MAX 64

/* anj-rs extension of its MbedTLS DTLS backend: handshake retransmission
 * timeouts of connections made from now on (0 on success). */
int anj_rs_dtls_set_handshake_timeouts(uint32_t initial_ms, uint32_t max_ms);

static volatile sig_atomic_t g_stop;
static anj_conn_status_t g_status = ANJ_CONN_STATUS_INITIAL;

static anj_dm_device_obj_t g_device_obj;
static anj_dm_server_obj_t g_server_obj;
static anj_dm_security_obj_t g_security_obj;
static uint8_t g_psk_key[PSK_KEY_MAX];

static void on_signal(int signo) {
    (void) signo;
    g_stop = 1;
}

static const char *status_name(anj_conn_status_t status) {
    switch (status) {
    case ANJ_CONN_STATUS_INITIAL: return "INITIAL";
    case ANJ_CONN_STATUS_INVALID: return "INVALID";
    case ANJ_CONN_STATUS_FAILURE: return "FAILURE";
    case ANJ_CONN_STATUS_BOOTSTRAPPING: return "BOOTSTRAPPING";
    case ANJ_CONN_STATUS_BOOTSTRAPPED: return "BOOTSTRAPPED";
    case ANJ_CONN_STATUS_REGISTERING: return "REGISTERING";
    case ANJ_CONN_STATUS_REGISTERED: return "REGISTERED";
    case ANJ_CONN_STATUS_SUSPENDED: return "SUSPENDED";
    case ANJ_CONN_STATUS_ENTERING_QUEUE_MODE: return "ENTERING_QUEUE_MODE";
    case ANJ_CONN_STATUS_QUEUE_MODE: return "QUEUE_MODE";
    }
    return "UNKNOWN";
}

static void on_status(void *arg, anj_t *anj, anj_conn_status_t status) {
    (void) arg;
    (void) anj;
    g_status = status;
    printf("STATUS %s\n", status_name(status));
    fflush(stdout);
}

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static long env_long(const char *name, long fallback) {
    const char *text = getenv(name);
    if (!text || !*text) {
        return fallback;
    }
    char *end;
    long value = strtol(text, &end, 10);
    return *end || value <= 0 ? fallback : value;
}

/* Hex text to bytes; the length, or -1. */
static int parse_hex(const char *hex, uint8_t *out, size_t out_size) {
    size_t len = strlen(hex);
    if (len == 0 || len % 2 || len / 2 > out_size) {
        return -1;
    }
    for (size_t i = 0; i < len / 2; i++) {
        unsigned int byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) {
            return -1;
        }
        out[i] = (uint8_t) byte;
    }
    return (int) (len / 2);
}

int main(int argc, char *argv[]) {
    if (argc < 5) {
        fprintf(stderr,
                "usage: %s ENDPOINT_NAME SERVER_URI PSK_IDENTITY PSK_KEY_HEX "
                "[LIFETIME]\n",
                argv[0]);
        return 2;
    }
    int key_len = parse_hex(argv[4], g_psk_key, sizeof(g_psk_key));
    if (key_len < 0) {
        fprintf(stderr, "PSK_KEY_HEX: 1 to %d bytes in hex\n", PSK_KEY_MAX);
        return 2;
    }
    uint32_t lifetime = argc > 5 ? (uint32_t) strtoul(argv[5], NULL, 10) : 60;
    const char *hs = getenv("ANJ_EXAMPLE_DTLS_HS_TIMEOUTS_MS");
    if (hs) {
        unsigned long initial = 0, max = 0;
        if (sscanf(hs, "%lu,%lu", &initial, &max) != 2
                || anj_rs_dtls_set_handshake_timeouts((uint32_t) initial,
                                                      (uint32_t) max)) {
            fprintf(stderr, "ANJ_EXAMPLE_DTLS_HS_TIMEOUTS_MS: INITIAL,MAX in ms\n");
            return 2;
        }
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    anj_exchange_udp_tx_params_t tx = ANJ_EXCHANGE_UDP_TX_PARAMS_DEFAULT;
    tx.ack_timeout = anj_time_duration_new(
            env_long("ANJ_EXAMPLE_ACK_TIMEOUT_MS", 2000), ANJ_TIME_UNIT_MS);
    tx.max_retransmit =
            (uint16_t) env_long("ANJ_EXAMPLE_MAX_RETRANSMIT", tx.max_retransmit);

    anj_t anj;
    anj_configuration_t config;
    memset(&config, 0, sizeof(config));
    config.endpoint_name = argv[1];
    config.connection_status_cb = on_status;
    config.udp_tx_params = &tx;
    if (anj_core_init(&anj, &config)) {
        fprintf(stderr, "anj_core_init failed\n");
        return 1;
    }

    anj_communication_retry_res_t retry = ANJ_COMMUNICATION_RETRY_RES_DEFAULT;
    retry.retry_timer = (uint32_t) env_long("ANJ_EXAMPLE_RETRY_TIMER_S", retry.retry_timer);
    retry.retry_count = (uint16_t) env_long("ANJ_EXAMPLE_RETRY_COUNT", retry.retry_count);
    anj_dm_server_instance_init_t server = {
        .ssid = 1,
        .lifetime = lifetime,
        .binding = "U",
        .comm_retry_res = &retry,
    };
    anj_dm_security_instance_init_t security = {
        .ssid = 1,
        .server_uri = argv[2],
        .security_mode = ANJ_DM_SECURITY_PSK,
        .public_key_or_identity = {
            .source = ANJ_CRYPTO_DATA_SOURCE_BUFFER,
            .info.buffer.data = argv[3],
            .info.buffer.data_size = strlen(argv[3])
        },
        .secret_key = {
            .source = ANJ_CRYPTO_DATA_SOURCE_BUFFER,
            .info.buffer.data = g_psk_key,
            .info.buffer.data_size = (size_t) key_len
        }
    };
    anj_dm_device_object_init_t device = {
        .manufacturer = "anj-rs",
        .model_number = "psk-example",
        .serial_number = "0001",
        .firmware_version = "1.0.0",
    };
    anj_dm_server_obj_init(&g_server_obj);
    anj_dm_security_obj_init(&g_security_obj);
    if (anj_dm_device_obj_install(&anj, &g_device_obj, &device)
            || anj_dm_server_obj_add_instance(&g_server_obj, &server)
            || anj_dm_server_obj_install(&anj, &g_server_obj)
            || anj_dm_security_obj_add_instance(&g_security_obj, &security)
            || anj_dm_security_obj_install(&anj, &g_security_obj)) {
        fprintf(stderr, "installing the objects failed\n");
        return 1;
    }

    while (!g_stop) {
        anj_core_step(&anj);
        sleep_ms(10);
    }
    /* De-register (up to 5 s), then release the connection. */
    anj_core_disable_server(&anj, ANJ_TIME_DURATION_INVALID);
    for (int i = 0; i < 500 && g_status != ANJ_CONN_STATUS_SUSPENDED; i++) {
        anj_core_step(&anj);
        sleep_ms(10);
    }
    int result;
    while ((result = anj_core_shutdown(&anj)) == ANJ_NET_EAGAIN) {
        sleep_ms(10);
    }
    printf("SHUTDOWN %d\n", result);
    return result ? 1 : 0;
}
