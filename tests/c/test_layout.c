/*
 * anj-rs C test: the sizes anj/anj_config.h gives the opaque types are the ones the
 * linked library was compiled with, and C lays the types out at least as aligned as the
 * library needs. The library publishes each size and alignment as an absolute symbol,
 * anj_rs_sizeof_<name> / anj_rs_alignof_<name> (src/layout.rs), whose address is the
 * value.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <anj/core.h>
#include <anj/coap_downloader.h>
#include <anj/dm/device_object.h>
#include <anj/dm/fw_update.h>
#include <anj/dm/security_object.h>
#include <anj/dm/server_object.h>
#include <anj/ntp.h>

static int g_failures;
static int g_checked;

/*
 * Compares one type: sizeof in C, the header's value and the library's symbols. The
 * symbol addresses are read from initialised data, not taken in code: data relocations
 * against an absolute symbol keep its value in a position-independent executable too.
 */
#define CHECK_LAYOUT(type, name, header_size)                                      \
    do {                                                                           \
        extern const char anj_rs_sizeof_##name[];                                  \
        extern const char anj_rs_alignof_##name[];                                 \
        static const char *const volatile size_sym = anj_rs_sizeof_##name;        \
        static const char *const volatile align_sym = anj_rs_alignof_##name;      \
        struct align_probe {                                                       \
            char c;                                                                \
            type t;                                                                \
        };                                                                         \
        size_t lib_size = (size_t) (uintptr_t) size_sym;                           \
        size_t lib_align = (size_t) (uintptr_t) align_sym;                         \
        size_t c_align = offsetof(struct align_probe, t);                          \
        g_checked++;                                                               \
        if (sizeof(type) != lib_size || (size_t) (header_size) != lib_size         \
                || lib_align == 0 || c_align < lib_align) {                        \
            fprintf(stderr,                                                        \
                    "%s: sizeof %lu, header %lu, library %lu; alignment in C "     \
                    "%lu, library %lu\n",                                          \
                    #type, (unsigned long) sizeof(type),                           \
                    (unsigned long) (header_size), (unsigned long) lib_size,       \
                    (unsigned long) c_align, (unsigned long) lib_align);           \
            g_failures++;                                                          \
        }                                                                          \
    } while (0)

int main(void) {
    CHECK_LAYOUT(anj_t, anj_t, ANJ_INTERNAL_SIZEOF_ANJ_T);
#ifdef ANJ_WITH_DEFAULT_SERVER_OBJ
    CHECK_LAYOUT(anj_dm_server_obj_t, server_obj, ANJ_INTERNAL_SIZEOF_SERVER_OBJ);
#endif
#ifdef ANJ_WITH_DEFAULT_SECURITY_OBJ
    CHECK_LAYOUT(anj_dm_security_obj_t, security_obj,
                 ANJ_INTERNAL_SIZEOF_SECURITY_OBJ);
#endif
#ifdef ANJ_WITH_DEFAULT_DEVICE_OBJ
    CHECK_LAYOUT(anj_dm_device_obj_t, device_obj, ANJ_INTERNAL_SIZEOF_DEVICE_OBJ);
#endif
#ifdef ANJ_WITH_DEFAULT_FOTA_OBJ
    CHECK_LAYOUT(anj_dm_fw_update_entity_ctx_t, fw_update_obj,
                 ANJ_INTERNAL_SIZEOF_FW_UPDATE_OBJ);
#endif
#ifdef ANJ_WITH_COAP_DOWNLOADER
    CHECK_LAYOUT(anj_coap_downloader_t, coap_downloader,
                 ANJ_INTERNAL_SIZEOF_COAP_DOWNLOADER);
#endif
#ifdef ANJ_WITH_NTP
    CHECK_LAYOUT(anj_ntp_t, ntp, ANJ_INTERNAL_SIZEOF_NTP);
#endif
    printf("test_layout: %d types checked, %d failures\n", g_checked, g_failures);
    return g_failures ? 1 : 0;
}
