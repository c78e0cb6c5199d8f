/*
 * anj-rs: generic helper macros, LwM2M path helpers and number <-> text
 * conversions.
 *
 * The types (anj_uri_path_t, anj_id_type_t), ANJ_ID_INVALID and all functions
 * (anj_uri_path_equal(), anj_hexlify(), anj_string_to_uint32_value(), ...) are
 * declared in the generated anj_internal/bindings.h; this file adds the
 * function-like macros, which C needs as macros.
 */
#include <anj/init.h>

#ifndef ANJ_UTILS_H
#define ANJ_UTILS_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <anj/defs.h>
#include <anj_internal/bindings.h>

/* Pointer to the structure of type `type` whose member `member` is at `ptr`. */
#define ANJ_CONTAINER_OF(ptr, type, member) \
    ((type *) (void *) ((uintptr_t) (ptr) - offsetof(type, member)))

/* Smaller / larger of two values (each argument may be evaluated twice). */
#define ANJ_MIN(a, b) (((a) < (b)) ? (a) : (b))
#define ANJ_MAX(a, b) (((a) < (b)) ? (b) : (a))

/* Number of elements of an array (not a pointer). */
#define ANJ_ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))

/* String literal of the argument as written / after macro expansion. */
#define ANJ_QUOTE(Value) #Value
#define ANJ_QUOTE_MACRO(Value) ANJ_QUOTE(Value)

/* assert() whose failure report includes the string literal `msg`. */
#define ANJ_ASSERT(cond, msg) assert((cond) && (bool) ("" msg))

/* Marks a code path that correct programs never take. */
#define ANJ_UNREACHABLE(msg) ANJ_ASSERT(0, msg)

/*
 * Pastes 1 to 5 tokens into one, expanding macros in them first:
 * ANJ_CONCAT(a, _, b) is a_b.
 */
#define _ANJ_ARGC_PICK(_1, _2, _3, _4, _5, Count, ...) Count
#define _ANJ_VARARG_LENGTH(...) _ANJ_ARGC_PICK(__VA_ARGS__, 5, 4, 3, 2, 1, 0)
#define _ANJ_PASTE_NOW(Left, Right) Left##Right
#define _ANJ_PASTE(Left, Right) _ANJ_PASTE_NOW(Left, Right)
#define _ANJ_JOIN_1(A) A
#define _ANJ_JOIN_2(A, B) _ANJ_PASTE(A, B)
#define _ANJ_JOIN_3(A, B, C) _ANJ_PASTE(_ANJ_PASTE(A, B), C)
#define _ANJ_JOIN_4(A, B, C, D) _ANJ_PASTE(_ANJ_JOIN_3(A, B, C), D)
#define _ANJ_JOIN_5(A, B, C, D, E) _ANJ_PASTE(_ANJ_JOIN_4(A, B, C, D), E)
#define ANJ_CONCAT(...) \
    _ANJ_PASTE(_ANJ_JOIN_, _ANJ_VARARG_LENGTH(__VA_ARGS__))(__VA_ARGS__)

/*
 * Compile-time assertion usable in C99 wherever a declaration is allowed;
 * `message` must be an identifier (it names a helper struct).
 */
#define ANJ_STATIC_ASSERT(condition, message)    \
    struct ANJ_CONCAT(anj_static_assert_, message) { \
        char message[(condition) ? 1 : -1];      \
    }

/*
 * anj_uri_path_t compound literals, e.g.
 * anj_dm_res_read(anj, &ANJ_MAKE_RESOURCE_PATH(3, 0, 3), &value).
 * Unused components hold ANJ_ID_INVALID.
 */
#define _ANJ_URI_PATH_INITIALIZER(Oid, Iid, Rid, Riid, Len)          \
    {                                                               \
        .ids = { [ANJ_ID_OID] = (Oid), [ANJ_ID_IID] = (Iid),        \
                 [ANJ_ID_RID] = (Rid), [ANJ_ID_RIID] = (Riid) },    \
        .uri_len = (Len)                                            \
    }
#define _ANJ_MAKE_URI_PATH(...) \
    ((anj_uri_path_t) _ANJ_URI_PATH_INITIALIZER(__VA_ARGS__))

#define ANJ_MAKE_RESOURCE_INSTANCE_PATH(Oid, Iid, Rid, Riid) \
    _ANJ_MAKE_URI_PATH(Oid, Iid, Rid, Riid, 4)
#define ANJ_MAKE_RESOURCE_PATH(Oid, Iid, Rid) \
    _ANJ_MAKE_URI_PATH(Oid, Iid, Rid, ANJ_ID_INVALID, 3)
#define ANJ_MAKE_INSTANCE_PATH(Oid, Iid) \
    _ANJ_MAKE_URI_PATH(Oid, Iid, ANJ_ID_INVALID, ANJ_ID_INVALID, 2)
#define ANJ_MAKE_OBJECT_PATH(Oid) \
    _ANJ_MAKE_URI_PATH(           \
            Oid, ANJ_ID_INVALID, ANJ_ID_INVALID, ANJ_ID_INVALID, 1)
#define ANJ_MAKE_ROOT_PATH()                                         \
    _ANJ_MAKE_URI_PATH(ANJ_ID_INVALID, ANJ_ID_INVALID, ANJ_ID_INVALID, \
                       ANJ_ID_INVALID, 0)

#endif /* ANJ_UTILS_H */
