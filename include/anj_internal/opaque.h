/*
 * anj-rs: the types the application allocates but never looks inside. Their sizes
 * depend on the build configuration; anj/anj_config.h gives them as the compiler
 * measured them for the library (see src/layout.rs of anj-rs).
 */
#ifndef ANJ_INTERNAL_OPAQUE_H
#define ANJ_INTERNAL_OPAQUE_H

#include <stdint.h>

#include <anj/init.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Compile-time check usable in C99 and C++. */
#define ANJ_INTERNAL_STATIC_ASSERT(cond, name) \
    typedef char anj_internal_static_assert_##name[(cond) ? 1 : -1]

/* The sizes are written into anj/anj_config.h after the library is compiled. Only the
 * library's own C sources, compiled before that, see the types without them (as
 * incomplete types: they only handle pointers). */
#if !defined(ANJ_INTERNAL_SIZEOF_ANJ_T) && !defined(ANJ_INTERNAL_SIZES_PENDING)
#    error "anj/anj_config.h has no ANJ_INTERNAL_SIZEOF_* values: use the one the anjay_lite CMake package writes (cmake/anj_rs_sizes.cmake completes it from the compiled library)"
#endif

/* Referenced by handler signatures before its definition. */
struct anj_dm_obj_t;

/* A network connection context; each network backend defines the struct. */
struct anj_net_ctx_struct;
typedef struct anj_net_ctx_struct anj_net_ctx_t;

/*
 * The client. Only `endpoint_name` is meant to be read by applications (Anjay Lite's
 * examples do); the rest is the library's.
 */
typedef struct anj_struct anj_t;
#ifndef ANJ_INTERNAL_SIZES_PENDING
struct anj_struct {
    const char *endpoint_name;
    uint64_t _anj_internal[(ANJ_INTERNAL_SIZEOF_ANJ_T - 8) / 8];
};
ANJ_INTERNAL_STATIC_ASSERT(sizeof(anj_t) == ANJ_INTERNAL_SIZEOF_ANJ_T, anj_t_size);
#endif

#ifdef ANJ_WITH_DEFAULT_SERVER_OBJ
typedef struct anj_dm_server_obj_struct anj_dm_server_obj_t;
#    ifndef ANJ_INTERNAL_SIZES_PENDING
struct anj_dm_server_obj_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_SERVER_OBJ / 8];
};
#    endif
#endif

#ifdef ANJ_WITH_DEFAULT_SECURITY_OBJ
typedef struct anj_dm_security_obj_struct anj_dm_security_obj_t;
#    ifndef ANJ_INTERNAL_SIZES_PENDING
struct anj_dm_security_obj_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_SECURITY_OBJ / 8];
};
#    endif
#endif

#ifdef ANJ_WITH_DEFAULT_DEVICE_OBJ
typedef struct anj_dm_device_obj_struct anj_dm_device_obj_t;
#    ifndef ANJ_INTERNAL_SIZES_PENDING
struct anj_dm_device_obj_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_DEVICE_OBJ / 8];
};
#    endif
#endif

#ifdef ANJ_WITH_DEFAULT_FOTA_OBJ
/* The state of the Firmware Update object /5 (anj/dm/fw_update.h). */
typedef struct anj_dm_fw_update_entity_ctx_struct anj_dm_fw_update_entity_ctx_t;
#    ifndef ANJ_INTERNAL_SIZES_PENDING
struct anj_dm_fw_update_entity_ctx_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_FW_UPDATE_OBJ / 8];
};
#    endif
#endif

#ifdef ANJ_WITH_COAP_DOWNLOADER
/* A CoAP downloader: state, its own connection and message buffer. */
typedef struct _anj_coap_downloader_struct anj_coap_downloader_t;
#    ifndef ANJ_INTERNAL_SIZES_PENDING
struct _anj_coap_downloader_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_COAP_DOWNLOADER / 8];
};
#    endif
#endif

/* The NTP module (anj/ntp.h): object /3415, its connection and state machine. The
 * name exists in every configuration, the type is complete with ANJ_WITH_NTP. */
typedef struct _anj_ntp_struct anj_ntp_t;
#if defined(ANJ_WITH_NTP) && !defined(ANJ_INTERNAL_SIZES_PENDING)
struct _anj_ntp_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_NTP / 8];
};
#endif

#ifdef __cplusplus
}
#endif

#endif /* ANJ_INTERNAL_OPAQUE_H */
