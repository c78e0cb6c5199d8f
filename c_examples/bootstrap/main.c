/*
 * anj-rs example: a client that knows only its LwM2M Bootstrap-Server. It starts with
 * a Security object holding the Bootstrap-Server account (/0/x/1 = true), an empty
 * Server object and the Device object; the Bootstrap-Server provisions the LwM2M
 * Server account (Security and Server instances), then the client registers there.
 * Status changes are printed as "STATUS <name>" lines. On SIGINT or SIGTERM it
 * de-registers (by disabling the server), shuts down and exits with status 0.
 *
 * usage: anj_example_bootstrap ENDPOINT_NAME BOOTSTRAP_SERVER_URI [HOLD_OFF_S]
 *   e.g. anj_example_bootstrap dev-1 coap://127.0.0.1:5693
 * For a coaps:// Bootstrap-Server (built with ANJ_WITH_SECURITY and a DTLS backend),
 * ANJ_EXAMPLE_BS_PSK_IDENTITY and ANJ_EXAMPLE_BS_PSK_KEY (hex) give the account's PSK.
 * With ANJ_WITH_CERTIFICATES, ANJ_EXAMPLE_BS_CLIENT_CERT, ANJ_EXAMPLE_BS_CLIENT_KEY and
 * ANJ_EXAMPLE_BS_SERVER_CERT name files (DER or PEM) instead: the account is then in
 * Certificate mode (/0/x/2 = 2) with the client certificate in /0/x/3, its key in
 * /0/x/5 and the server certificate or trust anchor in /0/x/4, used as
 * ANJ_EXAMPLE_BS_CERT_USAGE says (0-3, /0/x/15; default 3).
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
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

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
    (void) sig;
    g_stop = 1;
}

static const char *status_name(anj_conn_status_t s) {
    switch (s) {
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
    return "?";
}

static anj_conn_status_t g_status = ANJ_CONN_STATUS_INITIAL;

static void on_status(void *arg, anj_t *anj, anj_conn_status_t status) {
    (void) arg;
    (void) anj;
    g_status = status;
    printf("STATUS %s\n", status_name(status));
    fflush(stdout);
}

#ifdef ANJ_WITH_CERTIFICATES
/* Room for one DER or PEM certificate or key (the Security object resources are
 * sized for it in CMakeLists.txt). */
#    define CRED_FILE_MAX 2048

/* Reads the file named by environment variable `var` into `buf` and points
 * `info` at it. 0 on success, -1 if unreadable, empty or too large. */
static int load_credential(const char *var, uint8_t *buf,
                           anj_crypto_security_info_t *info) {
    const char *path = getenv(var);
    FILE *f = path && *path ? fopen(path, "rb") : NULL;
    if (!f) {
        anj_log(example, L_ERROR, "%s: no readable file", var);
        return -1;
    }
    size_t n = fread(buf, 1, CRED_FILE_MAX, f);
    int more = fgetc(f);
    fclose(f);
    if (!n || more != EOF) {
        anj_log(example, L_ERROR, "%s: empty or larger than %d bytes", var,
                CRED_FILE_MAX);
        return -1;
    }
    info->source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    info->info.buffer.data = buf;
    info->info.buffer.data_size = n;
    return 0;
}
#endif

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000 * 1000 };
    nanosleep(&ts, NULL);
}

int main(int argc, char *argv[]) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ENDPOINT_NAME BOOTSTRAP_SERVER_URI [HOLD_OFF_S]\n",
                argv[0]);
        return 2;
    }
    uint32_t hold_off = argc > 3 ? (uint32_t) strtoul(argv[3], NULL, 10) : 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    static anj_t anj;
    static anj_dm_device_obj_t device;
    static anj_dm_server_obj_t server;
    static anj_dm_security_obj_t security;

    anj_configuration_t config = {
        .endpoint_name = argv[1],
        .connection_status_cb = on_status,
        /* Three more attempts, 2, 4 and 8 s after a failed one. */
        .bootstrap_retry_count = 3,
        .bootstrap_retry_timeout = anj_time_duration_new(2, ANJ_TIME_UNIT_S),
        .bootstrap_timeout = anj_time_duration_new(60, ANJ_TIME_UNIT_S),
    };
    if (anj_core_init(&anj, &config)) {
        anj_log(example, L_ERROR, "anj_core_init failed");
        return 1;
    }

    anj_dm_device_object_init_t device_init = {
        .manufacturer = "anj-rs",
        .model_number = "bootstrap-example",
        .serial_number = "0001",
        .firmware_version = "1.0.0",
    };
    /* The Bootstrap-Server account: no SSID, no Server instance. */
    anj_dm_security_instance_init_t bootstrap_account = {
        .server_uri = argv[2],
        .bootstrap_server = true,
        .security_mode = ANJ_DM_SECURITY_NOSEC,
        .client_hold_off_time = hold_off,
    };
#ifdef ANJ_WITH_SECURITY
    static uint8_t psk_key[64];
    const char *psk_identity = getenv("ANJ_EXAMPLE_BS_PSK_IDENTITY");
    const char *psk_key_hex = getenv("ANJ_EXAMPLE_BS_PSK_KEY");
    if (psk_identity && psk_key_hex) {
        size_t key_len = strlen(psk_key_hex) / 2;
        if (key_len > sizeof(psk_key) || strlen(psk_key_hex) % 2) {
            anj_log(example, L_ERROR, "ANJ_EXAMPLE_BS_PSK_KEY: up to 64 bytes in hex");
            return 1;
        }
        for (size_t i = 0; i < key_len; i++) {
            unsigned int byte;
            if (sscanf(psk_key_hex + 2 * i, "%2x", &byte) != 1) {
                anj_log(example, L_ERROR, "ANJ_EXAMPLE_BS_PSK_KEY is not hex");
                return 1;
            }
            psk_key[i] = (uint8_t) byte;
        }
        bootstrap_account.security_mode = ANJ_DM_SECURITY_PSK;
        bootstrap_account.public_key_or_identity.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
        bootstrap_account.public_key_or_identity.info.buffer.data = psk_identity;
        bootstrap_account.public_key_or_identity.info.buffer.data_size = strlen(psk_identity);
        bootstrap_account.secret_key.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
        bootstrap_account.secret_key.info.buffer.data = psk_key;
        bootstrap_account.secret_key.info.buffer.data_size = key_len;
    }
#endif
#ifdef ANJ_WITH_CERTIFICATES
    static uint8_t client_cert[CRED_FILE_MAX], client_key[CRED_FILE_MAX],
            server_cert[CRED_FILE_MAX];
    static anj_net_certificate_usage_t cert_usage =
            ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE;
    if (getenv("ANJ_EXAMPLE_BS_CLIENT_CERT")) {
        if (load_credential("ANJ_EXAMPLE_BS_CLIENT_CERT", client_cert,
                            &bootstrap_account.public_key_or_identity)
                || load_credential("ANJ_EXAMPLE_BS_CLIENT_KEY", client_key,
                                   &bootstrap_account.secret_key)
                || load_credential("ANJ_EXAMPLE_BS_SERVER_CERT", server_cert,
                                   &bootstrap_account.server_public_key)) {
            return 1;
        }
        const char *usage = getenv("ANJ_EXAMPLE_BS_CERT_USAGE");
        if (usage && *usage) {
            long u = strtol(usage, NULL, 10);
            if (u < 0 || u > 3) {
                anj_log(example, L_ERROR, "ANJ_EXAMPLE_BS_CERT_USAGE: 0 to 3");
                return 1;
            }
            cert_usage = (anj_net_certificate_usage_t) u;
        }
        bootstrap_account.security_mode = ANJ_DM_SECURITY_CERTIFICATE;
        bootstrap_account.certificate_usage = &cert_usage;
    }
#endif

    anj_dm_server_obj_init(&server);
    anj_dm_security_obj_init(&security);
    if (anj_dm_device_obj_install(&anj, &device, &device_init)
            || anj_dm_server_obj_install(&anj, &server)
            || anj_dm_security_obj_add_instance(&security, &bootstrap_account)
            || anj_dm_security_obj_install(&anj, &security)) {
        anj_log(example, L_ERROR, "installing the mandatory objects failed");
        return 1;
    }

    while (!g_stop && g_status != ANJ_CONN_STATUS_FAILURE) {
        anj_core_step(&anj);
        sleep_ms(10);
    }

    if (g_status == ANJ_CONN_STATUS_REGISTERED
            || g_status == ANJ_CONN_STATUS_QUEUE_MODE) {
        anj_core_disable_server(&anj, ANJ_TIME_DURATION_INVALID);
        for (int i = 0; i < 500 && g_status != ANJ_CONN_STATUS_SUSPENDED; i++) {
            anj_core_step(&anj);
            sleep_ms(10);
        }
    }
    int ret;
    while ((ret = anj_core_shutdown(&anj)) == ANJ_NET_EAGAIN) {
        sleep_ms(10);
    }
    printf("SHUTDOWN %d\n", ret);
    return ret == 0 && g_status != ANJ_CONN_STATUS_FAILURE ? 0 : 1;
}
