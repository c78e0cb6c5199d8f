/*
 * anj-rs examples: start-up, main loop and orderly shutdown shared by the
 * data-model examples (see example_common.h).
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
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

#include "example_common.h"


#define EXAMPLE_MAX_EXTRA_ARGS 8

static volatile sig_atomic_t g_stop_requested;
static anj_conn_status_t g_last_status = ANJ_CONN_STATUS_INITIAL;
static const char *g_extra_args[EXAMPLE_MAX_EXTRA_ARGS];
static const char *g_firmware_version = "1.0.0";
static long g_pause_ms = 10;

/* The mandatory objects live as long as the process. */
static anj_dm_device_obj_t g_device_obj;
static anj_dm_server_obj_t g_server_obj;
static anj_dm_security_obj_t g_security_obj;

#ifdef ANJ_WITH_PERSISTENCE
#    include <anj/persistence.h>

/* ANJ_EXAMPLE_PERSISTENCE_FILE: where the Security and Server objects are kept. When
 * the file exists and restores cleanly, its objects are used and the SERVER_URI
 * argument and the PSK variables are ignored; otherwise the objects are built from
 * them and stored into the file. Reports "PERSISTENCE RESTORED", "PERSISTENCE
 * RESTORE FAILED" or "PERSISTENCE STORED". */
static int file_read(void *ctx, void *buf, size_t size) {
    return fread(buf, 1, size, (FILE *) ctx) == size ? 0 : -1;
}

static int file_write(void *ctx, const void *buf, size_t size) {
    return fwrite(buf, 1, size, (FILE *) ctx) == size ? 0 : -1;
}

static bool restore_objects(anj_t *anj, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        return false;
    }
    anj_persistence_context_t ctx = anj_persistence_restore_context_create(file_read, f);
    bool ok = !anj_dm_security_obj_restore(anj, &g_security_obj, &ctx)
              && !anj_dm_server_obj_restore(&g_server_obj, &ctx);
    fclose(f);
    if (!ok) {
        /* Start again from empty objects (a restore may have succeeded half-way). */
        anj_dm_server_obj_init(&g_server_obj);
        anj_dm_security_obj_init(&g_security_obj);
    }
    example_report("%s", ok ? "PERSISTENCE RESTORED" : "PERSISTENCE RESTORE FAILED");
    return ok;
}

static void store_objects(anj_t *anj, const char *path) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        anj_log(example, L_ERROR, "cannot open %s", path);
        return;
    }
    anj_persistence_context_t ctx = anj_persistence_store_context_create(file_write, f);
    bool ok = !anj_dm_security_obj_store(anj, &g_security_obj, &ctx)
              && !anj_dm_server_obj_store(&g_server_obj, &ctx);
    if (fclose(f) || !ok) {
        remove(path);
        anj_log(example, L_ERROR, "storing the objects failed");
        return;
    }
    example_report("PERSISTENCE STORED");
}
#endif

static void handle_stop_signal(int signo) {
    (void) signo;
    g_stop_requested = 1;
}

void example_report(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static const char *conn_status_str(anj_conn_status_t status) {
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

static void on_conn_status(void *arg, anj_t *anj, anj_conn_status_t status) {
    (void) arg;
    (void) anj;
    g_last_status = status;
    example_report("STATUS %s", conn_status_str(status));
}

static void pause_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000L * 1000L;
    nanosleep(&ts, NULL);
}

static bool is_number(const char *text) {
    if (!*text) {
        return false;
    }
    for (; *text; text++) {
        if (*text < '0' || *text > '9') {
            return false;
        }
    }
    return true;
}

void example_set_firmware_version(const char *version) {
    g_firmware_version = version;
}

void example_set_pause_ms(long ms) {
    g_pause_ms = ms;
}

const char *example_extra_arg(int n) {
    if (n < 0 || n >= EXAMPLE_MAX_EXTRA_ARGS) {
        return NULL;
    }
    return g_extra_args[n];
}

int example_start(anj_t *anj, int argc, char *argv[], const char *extra_usage) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ENDPOINT_NAME SERVER_URI [LIFETIME]%s%s\n", argv[0],
                extra_usage ? " " : "", extra_usage ? extra_usage : "");
        return -1;
    }
    uint32_t lifetime = 60;
    int next = 3;
    if (argc > 3 && is_number(argv[3])) {
        lifetime = (uint32_t) strtoul(argv[3], NULL, 10);
        next = 4;
    }
    for (int i = 0; next < argc && i < EXAMPLE_MAX_EXTRA_ARGS; i++, next++) {
        g_extra_args[i] = argv[next];
    }

    signal(SIGINT, handle_stop_signal);
    signal(SIGTERM, handle_stop_signal);

    anj_configuration_t config;
    memset(&config, 0, sizeof(config));
    config.endpoint_name = argv[1];
    config.connection_status_cb = on_conn_status;
    if (anj_core_init(anj, &config)) {
        anj_log(example, L_ERROR, "anj_core_init failed");
        return -1;
    }

    static bool no_bootstrap_fallback = false;
    anj_dm_device_object_init_t device_init;
    memset(&device_init, 0, sizeof(device_init));
    device_init.manufacturer = "anj-rs";
    device_init.model_number = "dm-example";
    device_init.serial_number = "0001";
    device_init.firmware_version = g_firmware_version;

    anj_dm_server_instance_init_t server_init;
    memset(&server_init, 0, sizeof(server_init));
    server_init.ssid = 1;
    server_init.lifetime = lifetime;
    server_init.binding = "U";
    server_init.bootstrap_on_registration_failure = &no_bootstrap_fallback;

    anj_dm_security_instance_init_t security_init;
    memset(&security_init, 0, sizeof(security_init));
    security_init.ssid = 1;
    security_init.server_uri = argv[2];
    security_init.security_mode = ANJ_DM_SECURITY_NOSEC;
#ifdef ANJ_WITH_SECURITY
    /* coaps:// servers: PSK credentials from the environment (the key in hex). */
    static uint8_t psk_key[64];
    const char *psk_identity = getenv("ANJ_EXAMPLE_PSK_IDENTITY");
    const char *psk_key_hex = getenv("ANJ_EXAMPLE_PSK_KEY");
    if (psk_identity && psk_key_hex) {
        size_t key_len = strlen(psk_key_hex) / 2;
        if (key_len > sizeof(psk_key) || strlen(psk_key_hex) % 2) {
            anj_log(example, L_ERROR, "ANJ_EXAMPLE_PSK_KEY: up to 64 bytes in hex");
            return -1;
        }
        for (size_t i = 0; i < key_len; i++) {
            unsigned int byte;
            if (sscanf(psk_key_hex + 2 * i, "%2x", &byte) != 1) {
                anj_log(example, L_ERROR, "ANJ_EXAMPLE_PSK_KEY is not hex");
                return -1;
            }
            psk_key[i] = (uint8_t) byte;
        }
        security_init.security_mode = ANJ_DM_SECURITY_PSK;
        security_init.public_key_or_identity.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
        security_init.public_key_or_identity.info.buffer.data = psk_identity;
        security_init.public_key_or_identity.info.buffer.data_size = strlen(psk_identity);
        security_init.secret_key.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
        security_init.secret_key.info.buffer.data = psk_key;
        security_init.secret_key.info.buffer.data_size = key_len;
    }
#endif

    anj_dm_server_obj_init(&g_server_obj);
    anj_dm_security_obj_init(&g_security_obj);
    bool restored = false;
#ifdef ANJ_WITH_PERSISTENCE
    const char *persistence_file = getenv("ANJ_EXAMPLE_PERSISTENCE_FILE");
    restored = persistence_file && restore_objects(anj, persistence_file);
#endif
    if (anj_dm_device_obj_install(anj, &g_device_obj, &device_init)
            || (!restored && anj_dm_server_obj_add_instance(&g_server_obj, &server_init))
            || anj_dm_server_obj_install(anj, &g_server_obj)
            || (!restored && anj_dm_security_obj_add_instance(&g_security_obj, &security_init))
            || anj_dm_security_obj_install(anj, &g_security_obj)) {
        anj_log(example, L_ERROR, "installing the mandatory objects failed");
        return -1;
    }
#ifdef ANJ_WITH_PERSISTENCE
    if (persistence_file && !restored) {
        store_objects(anj, persistence_file);
    }
#endif
    return 0;
}

int example_run(anj_t *anj, example_tick_t *tick, void *tick_arg) {
    while (!g_stop_requested) {
        if (tick) {
            tick(anj, tick_arg);
        }
        anj_core_step(anj);
        pause_ms(g_pause_ms);
    }

    /* Shutting down alone would leave the registration behind until it expires:
     * disabling the server de-registers first. Give that up to five seconds. */
    anj_core_disable_server(anj, ANJ_TIME_DURATION_INVALID);
    for (int i = 0; i < 500 && g_last_status != ANJ_CONN_STATUS_SUSPENDED; i++) {
        anj_core_step(anj);
        pause_ms(10);
    }
    int result;
    while ((result = anj_core_shutdown(anj)) == ANJ_NET_EAGAIN) {
        pause_ms(10);
    }
    example_report("SHUTDOWN %d", result);
    return result == 0 ? 0 : 1;
}
