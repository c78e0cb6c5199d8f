/*
 * anj-rs: the types the application allocates but never looks inside. Their sizes
 * depend on the build configuration and come from anj/anj_config.h; the library
 * asserts at compile time that they match its own view.
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
struct anj_struct {
    const char *endpoint_name;
    uint64_t _anj_internal[(ANJ_INTERNAL_SIZEOF_ANJ_T - 8) / 8];
};
ANJ_INTERNAL_STATIC_ASSERT(sizeof(anj_t) == ANJ_INTERNAL_SIZEOF_ANJ_T, anj_t_size);

#ifdef ANJ_WITH_DEFAULT_SERVER_OBJ
typedef struct anj_dm_server_obj_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_SERVER_OBJ / 8];
} anj_dm_server_obj_t;
#endif

#ifdef ANJ_WITH_DEFAULT_SECURITY_OBJ
typedef struct anj_dm_security_obj_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_SECURITY_OBJ / 8];
} anj_dm_security_obj_t;
#endif

#ifdef ANJ_WITH_DEFAULT_DEVICE_OBJ
typedef struct anj_dm_device_obj_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_DEVICE_OBJ / 8];
} anj_dm_device_obj_t;
#endif

#ifdef ANJ_WITH_DEFAULT_FOTA_OBJ
/* The state of the Firmware Update object /5 (anj/dm/fw_update.h). */
typedef struct anj_dm_fw_update_entity_ctx_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_FW_UPDATE_OBJ / 8];
} anj_dm_fw_update_entity_ctx_t;
#endif

#ifdef ANJ_WITH_COAP_DOWNLOADER
/* A CoAP downloader: state, its own connection and message buffer. */
typedef struct _anj_coap_downloader_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_COAP_DOWNLOADER / 8];
} anj_coap_downloader_t;
#endif

/* The NTP module (anj/ntp.h): object /3415, its connection and state machine. The
 * name exists in every configuration, the type is complete with ANJ_WITH_NTP. */
typedef struct _anj_ntp_struct anj_ntp_t;
#ifdef ANJ_WITH_NTP
struct _anj_ntp_struct {
    uint64_t _anj_internal[ANJ_INTERNAL_SIZEOF_NTP / 8];
};
#endif

#ifdef __cplusplus
}
#endif

#endif /* ANJ_INTERNAL_OPAQUE_H */
