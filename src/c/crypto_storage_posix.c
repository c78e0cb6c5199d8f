/*
 * anj-rs: the default external crypto storage (ANJ_WITH_CRYPTO_STORAGE_DEFAULT)
 * for POSIX hosts: a record is a file, and its identity is the file's path.
 * References the application gives (ANJ_CRYPTO_DATA_SOURCE_EXTERNAL with a
 * path) are read as they are; records the library creates (credentials moved
 * out of the Security object) are written to crypto_record_<n>.dat in the
 * working directory. Meant for host builds and examples, not for secrets on a
 * device: files are as safe as the filesystem.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <anj/compat/crypto/storage.h>
#include <anj/crypto.h>

#if defined(ANJ_WITH_CRYPTO_STORAGE_DEFAULT) \
        && defined(ANJ_WITH_EXTERNAL_CRYPTO_STORAGE)

#    define RECORDS 8
#    define NAME_SIZE 32
#    define PERSISTENCE_NAMES 8
#    define PERSISTENCE_NAME_SIZE 64

typedef struct {
    /* Names of the records created here; empty: free. */
    char created[RECORDS][NAME_SIZE];
#    ifdef ANJ_WITH_PERSISTENCE
    /* Paths read back from persisted data (they must outlive the object). */
    char restored[PERSISTENCE_NAMES][PERSISTENCE_NAME_SIZE];
#    endif
} storage_t;

static storage_t g_storage;

int anj_crypto_storage_init(void **out_crypto_ctx) {
    memset(&g_storage, 0, sizeof(g_storage));
    *out_crypto_ctx = &g_storage;
    return 0;
}

void anj_crypto_storage_deinit(void *crypto_ctx) {
    (void) crypto_ctx;
}

int anj_crypto_storage_create_record(void *crypto_ctx,
                                     anj_crypto_security_info_t *out_info,
                                     const void *data,
                                     size_t data_size) {
    storage_t *s = (storage_t *) crypto_ctx;
    if (!s || !out_info || !data || !data_size) {
        return -1;
    }
    for (int i = 0; i < RECORDS; i++) {
        if (s->created[i][0]) {
            continue;
        }
        snprintf(s->created[i], NAME_SIZE, "crypto_record_%d.dat", i);
        /* A record of an earlier run may still be referenced (persistence). */
        FILE *old = fopen(s->created[i], "rb");
        if (old) {
            fclose(old);
            s->created[i][0] = '\0';
            continue;
        }
        FILE *f = fopen(s->created[i], "wb");
        bool ok = f && fwrite(data, 1, data_size, f) == data_size;
        if (f && fclose(f)) {
            ok = false;
        }
        if (!ok) {
            (void) remove(s->created[i]);
            s->created[i][0] = '\0';
            return -1;
        }
        out_info->info.external.identity = s->created[i];
        return 0;
    }
    return -1;
}

int anj_crypto_storage_delete_record(void *crypto_ctx,
                                     const anj_crypto_security_info_t *info) {
    storage_t *s = (storage_t *) crypto_ctx;
    if (!s || !info || !info->info.external.identity) {
        return -1;
    }
    /* Only records this storage made are removed (in this run, or in an
     * earlier one and restored from persistence); the application's own files
     * stay. */
    for (int i = 0; i < RECORDS; i++) {
        if (s->created[i][0]
                && strcmp(s->created[i], info->info.external.identity) == 0) {
            int r = remove(s->created[i]);
            s->created[i][0] = '\0';
            return r ? -1 : 0;
        }
    }
#    ifdef ANJ_WITH_PERSISTENCE
    static const char prefix[] = "crypto_record_";
    for (int i = 0; i < PERSISTENCE_NAMES; i++) {
        if (s->restored[i][0]
                && strcmp(s->restored[i], info->info.external.identity) == 0
                && strncmp(s->restored[i], prefix, sizeof(prefix) - 1) == 0) {
            return remove(s->restored[i]) ? -1 : 0;
        }
    }
#    endif
    return -1;
}

int anj_crypto_storage_resolve_security_info(
        void *crypto_ctx,
        const anj_crypto_security_info_external_t *info,
        char *out_buffer,
        size_t out_buffer_size,
        size_t *out_record_size) {
    (void) crypto_ctx;
    if (!info || !info->identity || !out_buffer || !out_record_size) {
        return -1;
    }
    FILE *f = fopen(info->identity, "rb");
    if (!f) {
        return -1;
    }
    size_t n = fread(out_buffer, 1, out_buffer_size, f);
    bool too_big = n == out_buffer_size && fgetc(f) != EOF;
    bool err = ferror(f) != 0;
    fclose(f);
    if (too_big || err) {
        return -1;
    }
    *out_record_size = n;
    return 0;
}

#    ifdef ANJ_WITH_PERSISTENCE
int anj_crypto_storage_get_persistence_info(
        void *crypto_ctx,
        const anj_crypto_security_info_external_t *info,
        void *out_data,
        size_t *out_data_size) {
    (void) crypto_ctx;
    if (!info || !info->identity || !out_data || !out_data_size) {
        return -1;
    }
    size_t len = strlen(info->identity);
    if (len > ANJ_CRYPTO_STORAGE_PERSISTENCE_INFO_MAX_SIZE) {
        return -1;
    }
    memcpy(out_data, info->identity, len);
    *out_data_size = len;
    return 0;
}

int anj_crypto_storage_resolve_persistence_info(
        void *crypto_ctx,
        const void *data,
        size_t data_size,
        anj_crypto_security_info_external_t *out_info) {
    storage_t *s = (storage_t *) crypto_ctx;
    if (!s || !data || !data_size || data_size >= PERSISTENCE_NAME_SIZE
            || !out_info) {
        return -1;
    }
    for (int i = 0; i < PERSISTENCE_NAMES; i++) {
        if (!s->restored[i][0]) {
            memcpy(s->restored[i], data, data_size);
            s->restored[i][data_size] = '\0';
            out_info->identity = s->restored[i];
            return 0;
        }
    }
    return -1;
}
#    endif /* ANJ_WITH_PERSISTENCE */

#endif /* ANJ_WITH_CRYPTO_STORAGE_DEFAULT && ANJ_WITH_EXTERNAL_CRYPTO_STORAGE */
