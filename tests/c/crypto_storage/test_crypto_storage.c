/*
 * anj-rs C test: external crypto storage (anj/compat/crypto/storage.h,
 * ANJ_WITH_EXTERNAL_CRYPTO_STORAGE). The hooks below keep records in memory.
 * anj_core_init calls anj_crypto_storage_init and anj_core_shutdown
 * anj_crypto_storage_deinit; installing the default Security object moves
 * credentials given as bytes into the storage (create_record, with the tags of
 * their role), keeps those given as EXTERNAL references as they are, and
 * anj_security_get_cert_info then hands out the references.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <anj/compat/crypto/storage.h>
#include <anj/compat/crypto/zeroize.h>
#include <anj/compat/net/anj_net_api.h>
#include <anj/core.h>
#include <anj/crypto.h>
#include <anj/defs.h>
#include <anj/dm/security_object.h>
#include <anj/security.h>

#if !defined(ANJ_WITH_EXTERNAL_CRYPTO_STORAGE) \
        || !defined(ANJ_WITH_CERTIFICATES)     \
        || !defined(ANJ_WITH_DEFAULT_SECURITY_OBJ)
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

/* ---- the storage: up to 8 records in memory ---- */
#    define MAX_RECORDS 8
typedef struct {
    bool used;
    char name[16];
    anj_crypto_security_tag_t tag;
    uint8_t data[64];
    size_t size;
} record_t;

static record_t g_records[MAX_RECORDS];
static int g_ctx_token;
static int g_init_calls, g_deinit_calls, g_create_calls, g_delete_calls;
static void *g_deinit_ctx;

int anj_crypto_storage_init(void **out_crypto_ctx) {
    g_init_calls++;
    *out_crypto_ctx = &g_ctx_token;
    return 0;
}

void anj_crypto_storage_deinit(void *crypto_ctx) {
    g_deinit_calls++;
    g_deinit_ctx = crypto_ctx;
}

int anj_crypto_storage_create_record(void *crypto_ctx,
                                     anj_crypto_security_info_t *out_info,
                                     const void *data, size_t data_size) {
    CHECK(crypto_ctx == &g_ctx_token);
    CHECK(out_info->source == ANJ_CRYPTO_DATA_SOURCE_EXTERNAL);
    g_create_calls++;
    if (data_size > sizeof(g_records[0].data)) {
        return -1;
    }
    for (int i = 0; i < MAX_RECORDS; i++) {
        if (!g_records[i].used) {
            record_t *r = &g_records[i];
            r->used = true;
            snprintf(r->name, sizeof(r->name), "rec-%d", i);
            r->tag = out_info->tag;
            memcpy(r->data, data, data_size);
            r->size = data_size;
            out_info->info.external.identity = r->name;
            return 0;
        }
    }
    return -1;
}

int anj_crypto_storage_delete_record(void *crypto_ctx,
                                     const anj_crypto_security_info_t *info) {
    (void) crypto_ctx;
    g_delete_calls++;
    for (int i = 0; i < MAX_RECORDS; i++) {
        if (g_records[i].used
                && strcmp(g_records[i].name, info->info.external.identity) == 0) {
            g_records[i].used = false;
            return 0;
        }
    }
    return -1;
}

int anj_crypto_storage_resolve_security_info(
        void *crypto_ctx, const anj_crypto_security_info_external_t *info,
        char *out_buffer, size_t out_buffer_size, size_t *out_record_size) {
    (void) crypto_ctx;
    for (int i = 0; i < MAX_RECORDS; i++) {
        if (g_records[i].used && strcmp(g_records[i].name, info->identity) == 0) {
            if (g_records[i].size > out_buffer_size) {
                return -1;
            }
            memcpy(out_buffer, g_records[i].data, g_records[i].size);
            *out_record_size = g_records[i].size;
            return 0;
        }
    }
    return -1;
}

static const record_t *record(const anj_crypto_security_info_t *info) {
    if (info->source != ANJ_CRYPTO_DATA_SOURCE_EXTERNAL
            || !info->info.external.identity) {
        return NULL;
    }
    for (int i = 0; i < MAX_RECORDS; i++) {
        if (g_records[i].used
                && strcmp(g_records[i].name, info->info.external.identity) == 0) {
            return &g_records[i];
        }
    }
    return NULL;
}

static const uint8_t CLIENT_CERT[] = { 0x30, 0x03, 'c', 'r', 't' };
static const uint8_t CLIENT_KEY[] = { 0x30, 0x03, 'k', 'e', 'y' };

int main(void) {
    static anj_t anj;
    anj_configuration_t config;
    memset(&config, 0, sizeof(config));
    config.endpoint_name = "storage-test";
    CHECK(anj_core_init(&anj, &config) == 0);
    CHECK(g_init_calls == 1);

    /* Client certificate and key as bytes; the server certificate already
     * lives in the storage (a reference the application made). */
    record_t *pre = &g_records[MAX_RECORDS - 1];
    pre->used = true;
    strcpy(pre->name, "preloaded");
    pre->tag = ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN;
    pre->size = 3;
    memcpy(pre->data, "srv", 3);

    static anj_dm_security_obj_t security;
    anj_dm_security_obj_init(&security);
    anj_dm_security_instance_init_t inst;
    memset(&inst, 0, sizeof(inst));
    inst.server_uri = "coaps://eu.iot.avsystem.cloud:5684";
    inst.security_mode = ANJ_DM_SECURITY_CERTIFICATE;
    inst.ssid = 1;
    inst.public_key_or_identity.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    inst.public_key_or_identity.info.buffer.data = CLIENT_CERT;
    inst.public_key_or_identity.info.buffer.data_size = sizeof(CLIENT_CERT);
    inst.secret_key.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    inst.secret_key.info.buffer.data = CLIENT_KEY;
    inst.secret_key.info.buffer.data_size = sizeof(CLIENT_KEY);
    inst.server_public_key.source = ANJ_CRYPTO_DATA_SOURCE_EXTERNAL;
    inst.server_public_key.info.external.identity = "preloaded";
    CHECK(anj_dm_security_obj_add_instance(&security, &inst) == 0);
    CHECK(g_create_calls == 0);
    CHECK(anj_dm_security_obj_install(&anj, &security) == 0);
    /* The two byte credentials moved; the reference was kept. */
    CHECK(g_create_calls == 2);

    anj_net_certificate_info_t info;
    memset(&info, 0, sizeof(info));
    CHECK(anj_security_get_cert_info(&anj, false, &info) == 0);
    const record_t *cert = record(&info.client_cert);
    const record_t *key = record(&info.private_key);
    const record_t *srv = record(&info.server_cert);
    CHECK(cert && cert->size == sizeof(CLIENT_CERT)
          && memcmp(cert->data, CLIENT_CERT, sizeof(CLIENT_CERT)) == 0
          && cert->tag == ANJ_CRYPTO_SECURITY_TAG_CERTIFICATE_CHAIN);
    CHECK(key && key->size == sizeof(CLIENT_KEY)
          && memcmp(key->data, CLIENT_KEY, sizeof(CLIENT_KEY)) == 0
          && key->tag == ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY);
    CHECK(srv == pre);
    CHECK(info.private_key.tag == ANJ_CRYPTO_SECURITY_TAG_PRIVATE_KEY);

    /* anj_crypto_zeroize wipes. */
    uint8_t secret[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    anj_crypto_zeroize(secret, sizeof(secret));
    static const uint8_t zeros[8];
    CHECK(memcmp(secret, zeros, sizeof(secret)) == 0);

    CHECK(anj_core_shutdown(&anj) == 0);
    CHECK(g_deinit_calls == 1 && g_deinit_ctx == &g_ctx_token);

    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    printf("test_crypto_storage: all checks passed\n");
    return 0;
}
#endif
