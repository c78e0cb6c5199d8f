/* anj-rs: external crypto storage hooks (anj/compat/crypto/storage.h).
 *
 * With ANJ_WITH_EXTERNAL_CRYPTO_STORAGE the integrator implements these; the
 * library calls them to keep keys and certificates out of its own memory: a
 * credential whose source is ANJ_CRYPTO_DATA_SOURCE_EXTERNAL is a reference
 * (anj_crypto_security_info_external_t) that only the storage can turn into
 * bytes. Experimental in Anjay Lite 3.0.0, same here. */
#ifndef ANJ_CRYPTO_STORAGE_H
#define ANJ_CRYPTO_STORAGE_H

#include <anj/crypto.h>
#include <anj/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef ANJ_WITH_EXTERNAL_CRYPTO_STORAGE

#    ifdef ANJ_WITH_PERSISTENCE
/* Largest serialized reference (anj_crypto_storage_get_persistence_info). */
#        define ANJ_CRYPTO_STORAGE_PERSISTENCE_INFO_MAX_SIZE 64
#    endif

/* Called once by anj_core_init; `*out_crypto_ctx` (may stay NULL) is handed to
 * every other hook and to the DTLS backend. Non-zero fails anj_core_init. */
int anj_crypto_storage_init(void **out_crypto_ctx);

/* Stores `data_size` bytes of `data` as a new record; `out_info->tag` and
 * `out_info->source` are set by the caller, the hook fills
 * `out_info->info.external`. On failure it cleans up after itself. 0 on
 * success, negative on error. */
int anj_crypto_storage_create_record(void *crypto_ctx,
                                     anj_crypto_security_info_t *out_info,
                                     const void *data,
                                     size_t data_size);

/* Removes the record `info` refers to. 0 on success, negative on error. */
int anj_crypto_storage_delete_record(void *crypto_ctx,
                                     const anj_crypto_security_info_t *info);

/* Copies the bytes of the record `info` refers to into `out_buffer` (at most
 * `out_buffer_size`), their length into `*out_record_size`. 0 on success,
 * negative on error (also when the buffer is too small). */
int anj_crypto_storage_resolve_security_info(
        void *crypto_ctx,
        const anj_crypto_security_info_external_t *info,
        char *out_buffer,
        size_t out_buffer_size,
        size_t *out_record_size);

/* Called once by anj_core_shutdown. */
void anj_crypto_storage_deinit(void *out_crypto_ctx);

#    ifdef ANJ_WITH_PERSISTENCE
/* Serializes the reference `info` (not the secret) into `out_data`, at most
 * ANJ_CRYPTO_STORAGE_PERSISTENCE_INFO_MAX_SIZE bytes. */
int anj_crypto_storage_get_persistence_info(
        void *crypto_ctx,
        const anj_crypto_security_info_external_t *info,
        void *out_data,
        size_t *out_data_size);

/* The reverse of anj_crypto_storage_get_persistence_info. */
int anj_crypto_storage_resolve_persistence_info(
        void *crypto_ctx,
        const void *data,
        size_t data_size,
        anj_crypto_security_info_external_t *out_info);
#    endif

#endif /* ANJ_WITH_EXTERNAL_CRYPTO_STORAGE */

#ifdef __cplusplus
}
#endif

#endif /* ANJ_CRYPTO_STORAGE_H */
