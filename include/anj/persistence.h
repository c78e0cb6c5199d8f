/* anj-rs: saving and loading state through an application stream (Anjay Lite 3.0.0
 * anj/persistence.h) */
#include <anj/init.h>

/*
 * A persistence context is a one-way byte stream the application provides: a store
 * context writes through its write callback, a restore context reads through its read
 * callback. Each callback must move exactly the requested number of bytes and return 0,
 * or return a negative value.
 *
 * The primitives below move raw bytes in host order, so data written by one build is
 * meant to be read by the same build on the same platform. Objects that persist
 * themselves (e.g. anj_dm_server_obj_store()) write framed, checked records: restoring
 * data that is corrupt or was written for something else fails and changes nothing.
 *
 * The direction enum, the context struct and the five functions are generated from the
 * library's sources into anj_internal/bindings.h; this header adds the callback function
 * types, ANJ_PERSISTENCE_MAGIC_MAX_SIZE and the typed inline helpers.
 */
#ifndef ANJ_PERSISTENCE_H
#define ANJ_PERSISTENCE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <anj_internal/bindings.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef ANJ_WITH_PERSISTENCE

/* The longest tag anj_persistence_magic() accepts, in bytes. */
#define ANJ_PERSISTENCE_MAGIC_MAX_SIZE 16

/* Fills buf with exactly size bytes from the medium; 0 on success, negative on error. */
typedef int anj_persistence_read_cb_t(void *ctx, void *buf, size_t size);

/* Writes exactly size bytes of buf to the medium; 0 on success, negative on error. */
typedef int anj_persistence_write_cb_t(void *ctx, const void *buf, size_t size);

/* Whether ctx stores or restores. */
static inline anj_persistence_direction_t
anj_persistence_direction(const anj_persistence_context_t *ctx) {
    return ctx->direction;
}

/* Typed wrappers of anj_persistence_bytes(): each value moves as its in-memory bytes. */
static inline int anj_persistence_bool(const anj_persistence_context_t *ctx,
                                       bool *inout_value) {
    return anj_persistence_bytes(ctx, inout_value, sizeof(*inout_value));
}

static inline int anj_persistence_u8(const anj_persistence_context_t *ctx,
                                     uint8_t *inout_value) {
    return anj_persistence_bytes(ctx, inout_value, sizeof(*inout_value));
}

static inline int anj_persistence_u16(const anj_persistence_context_t *ctx,
                                      uint16_t *inout_value) {
    return anj_persistence_bytes(ctx, inout_value, sizeof(*inout_value));
}

static inline int anj_persistence_u32(const anj_persistence_context_t *ctx,
                                      uint32_t *inout_value) {
    return anj_persistence_bytes(ctx, inout_value, sizeof(*inout_value));
}

static inline int anj_persistence_u64(const anj_persistence_context_t *ctx,
                                      uint64_t *inout_value) {
    return anj_persistence_bytes(ctx, inout_value, sizeof(*inout_value));
}

static inline int anj_persistence_i8(const anj_persistence_context_t *ctx,
                                     int8_t *inout_value) {
    return anj_persistence_bytes(ctx, inout_value, sizeof(*inout_value));
}

static inline int anj_persistence_i16(const anj_persistence_context_t *ctx,
                                      int16_t *inout_value) {
    return anj_persistence_bytes(ctx, inout_value, sizeof(*inout_value));
}

static inline int anj_persistence_i32(const anj_persistence_context_t *ctx,
                                      int32_t *inout_value) {
    return anj_persistence_bytes(ctx, inout_value, sizeof(*inout_value));
}

static inline int anj_persistence_i64(const anj_persistence_context_t *ctx,
                                      int64_t *inout_value) {
    return anj_persistence_bytes(ctx, inout_value, sizeof(*inout_value));
}

#endif /* ANJ_WITH_PERSISTENCE */

#ifdef __cplusplus
}
#endif

#endif /* ANJ_PERSISTENCE_H */
