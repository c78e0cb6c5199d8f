/*
 * anj-rs C test: anj_security_get_cert_info (anj/security.h, ANJ_WITH_CERTIFICATES).
 * Certificate credentials come from the default Security object (/0/x/3 client
 * certificate, /0/x/5 private key, /0/x/4 server certificate, /0/x/14 SNI, /0/x/15
 * Certificate Usage, 3 when not given), or from a registered get_cert_info handler;
 * either way the trust store is the one given to anj_core_init.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <anj/compat/net/anj_net_api.h>
#include <anj/core.h>
#include <anj/crypto.h>
#include <anj/defs.h>
#include <anj/dm/security_object.h>
#include <anj/security.h>

#if !defined(ANJ_WITH_CERTIFICATES) || !defined(ANJ_WITH_DEFAULT_SECURITY_OBJ)
int main(void) {
    return 0; /* nothing to test in this configuration */
}
#else

static int g_failures;

#    define CHECK(cond)                                                      \
        do {                                                                 \
            if (!(cond)) {                                                   \
                fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,      \
                        __LINE__, #cond);                                    \
                g_failures++;                                                \
            }                                                                \
        } while (0)

static bool same(const anj_crypto_security_info_t *info, const void *data,
                 size_t size) {
    return info->source == ANJ_CRYPTO_DATA_SOURCE_BUFFER
           && info->info.buffer.data_size == size
           && memcmp(info->info.buffer.data, data, size) == 0;
}

static void buffer(anj_crypto_security_info_t *info, const void *data,
                   size_t size) {
    info->source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    info->info.buffer.data = data;
    info->info.buffer.data_size = size;
}

static const uint8_t CLIENT_CERT[] = { 0x30, 0x82, 0x01, 0x02, 'c' };
static const uint8_t CLIENT_KEY[] = { 0x30, 0x81, 0x11, 'k' };
static const uint8_t SERVER_CERT[] = { 0x30, 0x82, 0x02, 0x03, 's' };
static const uint8_t CA_CERT[] = { 0x30, 0x82, 0x03, 0x04, 'a' };
static const uint8_t HANDLER_CERT[] = { 0x30, 0x01, 'h' };

static int g_handler_calls;
static bool g_handler_bootstrap;

static anj_security_get_cert_info_handler_t handler_cert;

static int handler_cert(const anj_t *anj, bool bootstrap_credentials,
                        anj_net_certificate_info_t *out) {
    (void) anj;
    g_handler_calls++;
    g_handler_bootstrap = bootstrap_credentials;
    memset(out, 0, sizeof(*out));
    buffer(&out->client_cert, HANDLER_CERT, sizeof(HANDLER_CERT));
    out->certificate_usage = ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION;
    out->sni = "from-handler.example";
    return 0;
}

int main(void) {
    anj_crypto_security_info_t ca;
    memset(&ca, 0, sizeof(ca));
    buffer(&ca, CA_CERT, sizeof(CA_CERT));
    anj_net_trust_store_t trust_store = { &ca, 1 };

    static anj_t anj;
    anj_configuration_t config;
    memset(&config, 0, sizeof(config));
    config.endpoint_name = "cert-test";
    config.trust_store = &trust_store;
    CHECK(anj_core_init(&anj, &config) == 0);

    /* No Security object yet: nothing to give. */
    anj_net_certificate_info_t info;
    CHECK(anj_security_get_cert_info(&anj, false, &info) != 0);

    static anj_dm_security_obj_t security;
    anj_dm_security_obj_init(&security);
    anj_dm_security_instance_init_t inst;
    memset(&inst, 0, sizeof(inst));
    inst.server_uri = "coaps://eu.iot.avsystem.cloud:5684";
    inst.security_mode = ANJ_DM_SECURITY_CERTIFICATE;
    inst.ssid = 1;
    buffer(&inst.public_key_or_identity, CLIENT_CERT, sizeof(CLIENT_CERT));
    buffer(&inst.secret_key, CLIENT_KEY, sizeof(CLIENT_KEY));
    buffer(&inst.server_public_key, SERVER_CERT, sizeof(SERVER_CERT));
    inst.server_name_indication = "lwm2m.example";
    /* certificate_usage NULL: 3 (domain-issued certificate) */
    CHECK(anj_dm_security_obj_add_instance(&security, &inst) == 0);
    CHECK(anj_dm_security_obj_install(&anj, &security) == 0);

    memset(&info, 0xA5, sizeof(info));
    CHECK(anj_security_get_cert_info(&anj, false, &info) == 0);
    CHECK(same(&info.client_cert, CLIENT_CERT, sizeof(CLIENT_CERT)));
    CHECK(info.client_cert.tag == ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN);
    CHECK(same(&info.private_key, CLIENT_KEY, sizeof(CLIENT_KEY)));
    CHECK(info.private_key.tag == ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY);
    CHECK(same(&info.server_cert, SERVER_CERT, sizeof(SERVER_CERT)));
    CHECK(info.server_cert.tag == ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN);
    /* The object keeps its own copies. */
    CHECK(info.client_cert.info.buffer.data != (const void *) CLIENT_CERT);
    CHECK(info.certificate_usage == ANJ_NET_CERTIFICATE_DOMAIN_ISSUED_CERTIFICATE);
    CHECK(info.sni && strcmp(info.sni, "lwm2m.example") == 0);
    CHECK(info.trust_store.ca_certs == &ca);
    CHECK(info.trust_store.ca_certs_count == 1);
    /* No Bootstrap-Server account in Certificate mode. */
    CHECK(anj_security_get_cert_info(&anj, true, &info) != 0);

    /* A registered handler wins; the trust store is still the configured one. */
    anj_security_credential_handlers_t handlers;
    memset(&handlers, 0, sizeof(handlers));
    handlers.get_cert_info = handler_cert;
    anj_security_register_credential_handlers(&anj, &handlers);
    memset(&info, 0, sizeof(info));
    CHECK(anj_security_get_cert_info(&anj, true, &info) == 0);
    CHECK(g_handler_calls == 1 && g_handler_bootstrap);
    CHECK(same(&info.client_cert, HANDLER_CERT, sizeof(HANDLER_CERT)));
    CHECK(info.certificate_usage == ANJ_NET_CERTIFICATE_TRUST_ANCHOR_ASSERTION);
    CHECK(info.sni && strcmp(info.sni, "from-handler.example") == 0);
    CHECK(info.trust_store.ca_certs == &ca && info.trust_store.ca_certs_count == 1);

    /* A usage given at add_instance is kept. */
    static anj_t anj2;
    config.trust_store = NULL;
    CHECK(anj_core_init(&anj2, &config) == 0);
    static anj_dm_security_obj_t security2;
    anj_dm_security_obj_init(&security2);
    anj_net_certificate_usage_t usage = ANJ_NET_CERTIFICATE_CA_CONSTRAINT;
    inst.certificate_usage = &usage;
    inst.server_name_indication = NULL;
    CHECK(anj_dm_security_obj_add_instance(&security2, &inst) == 0);
    CHECK(anj_dm_security_obj_install(&anj2, &security2) == 0);
    CHECK(anj_security_get_cert_info(&anj2, false, &info) == 0);
    CHECK(info.certificate_usage == ANJ_NET_CERTIFICATE_CA_CONSTRAINT);
    CHECK(info.sni == NULL);
    CHECK(info.trust_store.ca_certs == NULL && info.trust_store.ca_certs_count == 0);

    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    printf("test_cert_info: all checks passed\n");
    return 0;
}
#endif
