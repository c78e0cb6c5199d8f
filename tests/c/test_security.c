/*
 * anj-rs C test: anj/security.h. PSK credentials come from the default Security
 * object, or from handlers registered with
 * anj_security_register_credential_handlers (declared with the header's handler
 * type); NULL handlers go back to the object.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/security_object.h>
#include <anj/security.h>

#if !defined(ANJ_WITH_SECURITY) || !defined(ANJ_WITH_DEFAULT_SECURITY_OBJ)
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

static const uint8_t HANDLER_KEY[] = { 9, 8, 7, 6 };
static int g_handler_calls;

static anj_security_get_psk_info_handler_t handler_psk;

static int handler_psk(const anj_t *anj, bool bootstrap_credentials,
                       anj_net_psk_info_t *out) {
    (void) anj;
    g_handler_calls++;
    if (bootstrap_credentials) {
        return -1;
    }
    out->identity.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    out->identity.info.buffer.data = "from-handler";
    out->identity.info.buffer.data_size = strlen("from-handler");
    out->key.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    out->key.info.buffer.data = HANDLER_KEY;
    out->key.info.buffer.data_size = sizeof(HANDLER_KEY);
    return 0;
}

int main(void) {
    static anj_t anj;
    static anj_dm_security_obj_t security;
    anj_configuration_t config;
    memset(&config, 0, sizeof(config));
    config.endpoint_name = "sec-test";
    CHECK(anj_core_init(&anj, &config) == 0);

    static const uint8_t key[] = { 0xA0, 0x01, 0x02 };
    anj_dm_security_instance_init_t inst;
    memset(&inst, 0, sizeof(inst));
    inst.server_uri = "coaps://127.0.0.1:5684";
    inst.ssid = 1;
    inst.security_mode = ANJ_DM_SECURITY_PSK;
    inst.public_key_or_identity.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    inst.public_key_or_identity.info.buffer.data = "dev-1";
    inst.public_key_or_identity.info.buffer.data_size = 5;
    inst.secret_key.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    inst.secret_key.info.buffer.data = key;
    inst.secret_key.info.buffer.data_size = sizeof(key);
    anj_dm_security_obj_init(&security);
    CHECK(anj_dm_security_obj_add_instance(&security, &inst) == 0);
    CHECK(anj_dm_security_obj_install(&anj, &security) == 0);

    /* From the Security object (which copied the credentials). */
    anj_net_psk_info_t psk;
    memset(&psk, 0, sizeof(psk));
    CHECK(anj_security_get_psk_info(&anj, false, &psk) == 0);
    CHECK(same(&psk.identity, "dev-1", 5));
    CHECK(same(&psk.key, key, sizeof(key)));
    CHECK(psk.identity.info.buffer.data != inst.public_key_or_identity.info.buffer.data);
    CHECK(psk.sni == NULL);
    CHECK(anj_security_get_psk_info(&anj, true, &psk) != 0); /* no bootstrap account */

    /* From the registered handler. */
    static const anj_security_credential_handlers_t handlers = {
        .get_psk_info = handler_psk,
    };
    anj_security_register_credential_handlers(&anj, &handlers);
    memset(&psk, 0, sizeof(psk));
    CHECK(anj_security_get_psk_info(&anj, false, &psk) == 0);
    CHECK(same(&psk.identity, "from-handler", strlen("from-handler")));
    CHECK(same(&psk.key, HANDLER_KEY, sizeof(HANDLER_KEY)));
    CHECK(anj_security_get_psk_info(&anj, true, &psk) == -1);
    CHECK(g_handler_calls == 2);

    /* A NULL table goes back to the object. */
    anj_security_register_credential_handlers(&anj, NULL);
    CHECK(anj_security_get_psk_info(&anj, false, &psk) == 0);
    CHECK(same(&psk.identity, "dev-1", 5));
    CHECK(g_handler_calls == 2);

    /* Credentials too long for the object are refused. */
    static uint8_t long_key[ANJ_SEC_OBJ_MAX_SECRET_KEY_SIZE + 1];
    static anj_dm_security_obj_t security2;
    inst.secret_key.info.buffer.data = long_key;
    inst.secret_key.info.buffer.data_size = sizeof(long_key);
    anj_dm_security_obj_init(&security2);
    CHECK(anj_dm_security_obj_add_instance(&security2, &inst) != 0);

    if (g_failures) {
        fprintf(stderr, "test_security: %d check(s) failed\n", g_failures);
        return 1;
    }
    printf("test_security: ok\n");
    return 0;
}
#endif
