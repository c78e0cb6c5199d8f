/*
 * anj-rs example: registration over coaps:// with X.509 certificates, or
 * with raw public keys (Security Mode 1, an anj-rs extension: ANJ_WITH_RPK).
 *
 *   anj_example_certificates ENDPOINT_NAME coaps://HOST:PORT
 *
 * The credentials come from files named by environment variables (DER or PEM):
 *   ANJ_EXAMPLE_CLIENT_CERT   client certificate           -> /0/0/3
 *   ANJ_EXAMPLE_CLIENT_KEY    its private key (PKCS#8/SEC1) -> /0/0/5
 *   ANJ_EXAMPLE_SERVER_CERT   server certificate or anchor  -> /0/0/4
 *   ANJ_EXAMPLE_CERT_USAGE    0..3 (default 3)              -> /0/0/15
 *   ANJ_EXAMPLE_SNI           Server Name Indication        -> /0/0/14
 *   ANJ_EXAMPLE_TRUST_STORE   a CA certificate: the trust store of
 *                             anj_configuration_t (usages 0 and 1)
 * With ANJ_EXAMPLE_RPK=1 the mode is RPK instead: ANJ_EXAMPLE_CLIENT_CERT names
 * the client's public key (SubjectPublicKeyInfo, DER), ANJ_EXAMPLE_SERVER_CERT
 * the server's, ANJ_EXAMPLE_CLIENT_KEY the private key (secp256r1 keys).
 * It prints "STATUS <state>" on every connection status change and runs until
 * SIGINT/SIGTERM.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <anj/compat/net/anj_net_api.h>
#include <anj/core.h>
#include <anj/crypto.h>
#include <anj/defs.h>
#include <anj/dm/device_object.h>
#include <anj/dm/security_object.h>
#include <anj/dm/server_object.h>
#include <anj/log.h>
#include <anj/time.h>
#include <anj/security.h>

#define MAX_FILE 2048

static volatile sig_atomic_t g_stop;
static anj_t g_anj;
static anj_dm_device_obj_t g_device_obj;
static anj_dm_server_obj_t g_server_obj;
static anj_dm_security_obj_t g_security_obj;

static unsigned char g_client_cert[MAX_FILE];
static unsigned char g_client_key[MAX_FILE];
static unsigned char g_server_cert[MAX_FILE];
static unsigned char g_ca_cert[MAX_FILE];

static void on_signal(int signo) {
    (void) signo;
    g_stop = 1;
}

static anj_conn_status_t g_status = ANJ_CONN_STATUS_INITIAL;

static void on_status(void *arg, anj_t *anj, anj_conn_status_t status) {
    (void) arg;
    (void) anj;
    g_status = status;
    static const char *const names[] = {
        "INITIAL",     "INVALID",    "FAILURE",
        "BOOTSTRAPPING", "BOOTSTRAPPED", "REGISTERING",
        "REGISTERED",  "SUSPENDED",  "ENTERING_QUEUE_MODE",
        "QUEUE_MODE"
    };
    printf("STATUS %s\n", (unsigned) status < sizeof(names) / sizeof(names[0])
                                  ? names[status]
                                  : "UNKNOWN");
    fflush(stdout);
}

/* Reads the file named by environment variable `var` into `buf`; fills
 * `info` with it. Returns 0, 1 when the variable is unset, -1 on error. */
static int load(const char *var, unsigned char *buf,
                anj_crypto_security_info_t *info) {
    const char *path = getenv(var);
    if (!path || !*path) {
        return 1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open %s\n", var, path);
        return -1;
    }
    size_t n = fread(buf, 1, MAX_FILE, f);
    int more = fgetc(f);
    fclose(f);
    if (!n || more != EOF) {
        fprintf(stderr, "%s: %s is empty or larger than %d bytes\n", var, path,
                MAX_FILE);
        return -1;
    }
    info->source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    info->info.buffer.data = buf;
    info->info.buffer.data_size = n;
    return 0;
}

int main(int argc, char *argv[]) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ENDPOINT_NAME coaps://HOST:PORT\n", argv[0]);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    anj_crypto_security_info_t ca;
    anj_net_trust_store_t trust_store;
    memset(&ca, 0, sizeof(ca));
    memset(&trust_store, 0, sizeof(trust_store));
    int r = load("ANJ_EXAMPLE_TRUST_STORE", g_ca_cert, &ca);
    if (r < 0) {
        return 1;
    }
    anj_configuration_t config;
    memset(&config, 0, sizeof(config));
    config.endpoint_name = argv[1];
    config.connection_status_cb = on_status;
    if (r == 0) {
        trust_store.ca_certs = &ca;
        trust_store.ca_certs_count = 1;
        config.trust_store = &trust_store;
    }
    if (anj_core_init(&g_anj, &config)) {
        return 1;
    }

    anj_dm_device_object_init_t device = {
        .manufacturer = "anj-rs",
        .model_number = "certificates-example",
        .serial_number = "0001",
        .firmware_version = "1.0.0",
    };
    anj_dm_server_instance_init_t server = {
        .ssid = 1,
        .lifetime = 60,
        .binding = "U",
    };
    anj_dm_security_instance_init_t security;
    memset(&security, 0, sizeof(security));
    security.ssid = 1;
    security.server_uri = argv[2];
    security.security_mode = ANJ_DM_SECURITY_CERTIFICATE;
    const char *rpk = getenv("ANJ_EXAMPLE_RPK");
    if (rpk && !strcmp(rpk, "1")) {
#ifdef ANJ_WITH_RPK
        security.security_mode = ANJ_DM_SECURITY_RPK;
#else
        fprintf(stderr, "ANJ_EXAMPLE_RPK=1 needs a library built with "
                        "ANJ_WITH_RPK\n");
        return 1;
#endif
    }
    if (load("ANJ_EXAMPLE_CLIENT_CERT", g_client_cert,
             &security.public_key_or_identity)
            || load("ANJ_EXAMPLE_CLIENT_KEY", g_client_key, &security.secret_key)
            || load("ANJ_EXAMPLE_SERVER_CERT", g_server_cert,
                    &security.server_public_key)) {
        fprintf(stderr, "ANJ_EXAMPLE_CLIENT_CERT, ANJ_EXAMPLE_CLIENT_KEY and "
                        "ANJ_EXAMPLE_SERVER_CERT must name readable files\n");
        return 1;
    }
    anj_net_certificate_usage_t usage =
            ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE;
    const char *usage_text = getenv("ANJ_EXAMPLE_CERT_USAGE");
    if (usage_text && *usage_text) {
        usage = (anj_net_certificate_usage_t) atoi(usage_text);
    }
    security.certificate_usage = &usage;
    security.server_name_indication = getenv("ANJ_EXAMPLE_SNI");

    anj_dm_server_obj_init(&g_server_obj);
    anj_dm_security_obj_init(&g_security_obj);
    if (anj_dm_device_obj_install(&g_anj, &g_device_obj, &device)
            || anj_dm_server_obj_add_instance(&g_server_obj, &server)
            || anj_dm_server_obj_install(&g_anj, &g_server_obj)
            || anj_dm_security_obj_add_instance(&g_security_obj, &security)
            || anj_dm_security_obj_install(&g_anj, &g_security_obj)) {
        fprintf(stderr, "installing the objects failed\n");
        return 1;
    }

    /* What a firmware downloader would be given for coaps:// (the same
     * credentials, trust store included). */
    anj_net_certificate_info_t cert_info;
    if (anj_security_get_cert_info(&g_anj, false, &cert_info) == 0) {
        printf("CERT_INFO client_cert=%zu private_key=%zu server_cert=%zu "
               "usage=%d trust_store=%zu\n",
               cert_info.client_cert.info.buffer.data_size,
               cert_info.private_key.info.buffer.data_size,
               cert_info.server_cert.info.buffer.data_size,
               (int) cert_info.certificate_usage,
               cert_info.trust_store.ca_certs_count);
        fflush(stdout);
    }

    struct timespec pause = { 0, 10 * 1000 * 1000 };
    while (!g_stop) {
        anj_core_step(&g_anj);
        nanosleep(&pause, NULL);
    }
    /* De-register (disabling the server does) before shutting down. */
    anj_core_disable_server(&g_anj, ANJ_TIME_DURATION_INVALID);
    for (int i = 0; i < 500 && g_status != ANJ_CONN_STATUS_SUSPENDED; i++) {
        anj_core_step(&g_anj);
        nanosleep(&pause, NULL);
    }
    while (anj_core_shutdown(&g_anj) == ANJ_NET_EAGAIN) {
        nanosleep(&pause, NULL);
    }
    return 0;
}
