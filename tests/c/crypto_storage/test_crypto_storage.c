/*
 * anj-rs C test: external crypto storage (anj/compat/crypto/storage.h,
 * ANJ_WITH_EXTERNAL_CRYPTO_STORAGE). The hooks below keep records in memory.
 * anj_core_init calls anj_crypto_storage_init and anj_core_shutdown
 * anj_crypto_storage_deinit; installing the default Security object moves
 * credentials given as bytes into the storage (create_record, with the tags of
 * their role), keeps those given as EXTERNAL references as they are, and
 * anj_security_get_cert_info then hands out the references. With persistence,
 * anj_dm_security_obj_store writes the references as the storage serializes
 * them (get_persistence_info), never the secrets, and a restore brings the same
 * references back (resolve_persistence_info) without creating records.
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
#include <anj/persistence.h>
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

static int g_persist_calls, g_resolve_persist_calls;

/* A reference is persisted as the record's name. */
int anj_crypto_storage_get_persistence_info(
        void *crypto_ctx, const anj_crypto_security_info_external_t *info,
        void *out_data, size_t *out_data_size) {
    CHECK(crypto_ctx == &g_ctx_token);
    g_persist_calls++;
    size_t len = strlen(info->identity);
    if (len > ANJ_CRYPTO_STORAGE_PERSISTENCE_INFO_MAX_SIZE) {
        return -1;
    }
    memcpy(out_data, info->identity, len);
    *out_data_size = len;
    return 0;
}

int anj_crypto_storage_resolve_persistence_info(
        void *crypto_ctx, const void *data, size_t data_size,
        anj_crypto_security_info_external_t *out_info) {
    CHECK(crypto_ctx == &g_ctx_token);
    g_resolve_persist_calls++;
    for (int i = 0; i < MAX_RECORDS; i++) {
        if (g_records[i].used && strlen(g_records[i].name) == data_size
                && memcmp(g_records[i].name, data, data_size) == 0) {
            out_info->identity = g_records[i].name;
            return 0;
        }
    }
    return -1;
}

/* Persistence to memory. */
static uint8_t g_blob[1024];
static size_t g_blob_len, g_blob_pos;

static int blob_write(void *ctx, const void *buf, size_t size) {
    (void) ctx;
    if (g_blob_len + size > sizeof(g_blob)) {
        return -1;
    }
    memcpy(g_blob + g_blob_len, buf, size);
    g_blob_len += size;
    return 0;
}

static int blob_read(void *ctx, void *buf, size_t size) {
    (void) ctx;
    if (g_blob_pos + size > g_blob_len) {
        return -1;
    }
    memcpy(buf, g_blob + g_blob_pos, size);
    g_blob_pos += size;
    return 0;
}

static bool contains(const uint8_t *hay, size_t len, const uint8_t *needle,
                     size_t n) {
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(hay + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
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

    /* Store: the three references, by name; no secret in the record. */
    anj_persistence_context_t store =
            anj_persistence_store_context_create(blob_write, NULL);
    CHECK(anj_dm_security_obj_store(&anj, &security, &store) == 0);
    CHECK(g_persist_calls == 3);
    CHECK(!contains(g_blob, g_blob_len, CLIENT_KEY, sizeof(CLIENT_KEY)));
    CHECK(!contains(g_blob, g_blob_len, CLIENT_CERT, sizeof(CLIENT_CERT)));
    CHECK(contains(g_blob, g_blob_len, (const uint8_t *) "preloaded", 9));

    /* Restore into a fresh object: the same records, nothing created. */
    static anj_dm_security_obj_t restored;
    anj_dm_security_obj_init(&restored);
    anj_persistence_context_t load =
            anj_persistence_restore_context_create(blob_read, NULL);
    CHECK(anj_dm_security_obj_restore(&anj, &restored, &load) == 0);
    CHECK(g_resolve_persist_calls == 3);
    int creates_before = g_create_calls;
    CHECK(anj_dm_remove_obj(&anj, 0) == 0);
    CHECK(anj_dm_security_obj_install(&anj, &restored) == 0);
    CHECK(g_create_calls == creates_before);
    anj_net_certificate_info_t again;
    memset(&again, 0, sizeof(again));
    CHECK(anj_security_get_cert_info(&anj, false, &again) == 0);
    CHECK(record(&again.client_cert) == cert);
    CHECK(record(&again.private_key) == key);
    CHECK(record(&again.server_cert) == pre);

    /* A record whose reference the storage no longer knows is refused, and
     * leaves the object as it was. */
    static anj_dm_security_obj_t refused;
    anj_dm_security_obj_init(&refused);
    g_records[MAX_RECORDS - 1].used = false;
    g_blob_pos = 0;
    load = anj_persistence_restore_context_create(blob_read, NULL);
    CHECK(anj_dm_security_obj_restore(&anj, &refused, &load) != 0);
    g_records[MAX_RECORDS - 1].used = true;

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
