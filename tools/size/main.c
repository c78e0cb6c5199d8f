/*
 * anj-rs size report image: the BC-MandatoryObjects client (Security, Server, Device)
 * on a bare-metal Cortex-M4, with the compat hooks an integrator would provide
 * stubbed out (they are not part of the library's footprint). When the configuration
 * has them, it also installs the Firmware Update object, runs a CoAP downloader and
 * queues a Send, so that their code is counted (link-time optimisation drops what an
 * image does not call).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <anj/compat/net/anj_udp.h>
#include <anj/core.h>
#include <anj/dm/device_object.h>
#include <anj/dm/security_object.h>
#include <anj/dm/server_object.h>
#ifdef ANJ_WITH_DEFAULT_FOTA_OBJ
#    include <anj/dm/fw_update.h>
#endif
#ifdef ANJ_WITH_COAP_DOWNLOADER
#    include <anj/coap_downloader.h>
#endif
#ifdef ANJ_WITH_LWM2M_SEND
#    include <anj/lwm2m_send.h>
#endif
#ifdef ANJ_SIZE_WITH_MBEDTLS
/* DTLS through the default MbedTLS backend, whose memory comes from a static pool
 * (MbedTLS's buffer allocator): no heap in the image. */
#    include <mbedtls/memory_buffer_alloc.h>
static unsigned char g_mbedtls_pool[12 * 1024];
void *anj_size_no_calloc(size_t n, size_t size) {
    (void) n;
    (void) size;
    return NULL;
}
void anj_size_no_free(void *ptr) {
    (void) ptr;
}
#endif

static anj_t g_anj;
static anj_dm_device_obj_t g_device;
static anj_dm_server_obj_t g_server;
static anj_dm_security_obj_t g_security;

#ifdef ANJ_WITH_DEFAULT_FOTA_OBJ
static anj_dm_fw_update_entity_ctx_t g_fw;
static anj_dm_fw_update_result_t fw_ok(void *user_ptr) {
    (void) user_ptr;
    return ANJ_DM_FW_UPDATE_RESULT_SUCCESS;
}
static anj_dm_fw_update_result_t fw_write(void *user_ptr, const void *data, size_t size) {
    (void) user_ptr;
    (void) data;
    (void) size;
    return ANJ_DM_FW_UPDATE_RESULT_SUCCESS;
}
static anj_dm_fw_update_result_t fw_uri(void *user_ptr, const char *uri) {
    (void) user_ptr;
    (void) uri;
    return ANJ_DM_FW_UPDATE_RESULT_SUCCESS;
}
static int fw_start(void *user_ptr) {
    (void) user_ptr;
    return 0;
}
static const char *fw_str(void *user_ptr) {
    (void) user_ptr;
    return "1.0";
}
static void fw_reset(void *user_ptr) {
    (void) user_ptr;
}
static anj_dm_fw_update_handlers_t g_fw_handlers = {
    .package_write_start_handler = fw_ok,
    .package_write_handler = fw_write,
    .package_write_finish_handler = fw_ok,
    .uri_write_handler = fw_uri,
    .update_start_handler = fw_start,
    .get_name = fw_str,
    .get_version = fw_str,
    .reset_handler = fw_reset,
};
#endif

#ifdef ANJ_WITH_COAP_DOWNLOADER
static anj_coap_downloader_t g_downloader;
static void dl_event(void *arg, anj_coap_downloader_t *dl, anj_coap_downloader_status_t status,
                     const uint8_t *data, size_t len) {
    (void) arg;
    (void) dl;
    (void) status;
    (void) data;
    (void) len;
}
#endif

int main(void) {
#ifdef ANJ_SIZE_WITH_MBEDTLS
    mbedtls_memory_buffer_alloc_init(g_mbedtls_pool, sizeof(g_mbedtls_pool));
#endif
    anj_configuration_t config = { .endpoint_name = "size-report" };
    if (anj_core_init(&g_anj, &config)) {
        return 1;
    }
    anj_dm_device_object_init_t dev = { .firmware_version = "1.0" };
    anj_dm_server_instance_init_t srv = {
        .ssid = 1,
        .lifetime = 50,
        .binding = "U",
        .bootstrap_on_registration_failure = &(bool) { false },
    };
#ifdef ANJ_SIZE_WITH_MBEDTLS
    static const uint8_t psk_identity[] = "size-report";
    static const uint8_t psk_key[16] = { 1 };
    anj_dm_security_instance_init_t sec = {
        .ssid = 1,
        .server_uri = "coaps://192.0.2.1:5684",
        .security_mode = ANJ_DM_SECURITY_PSK,
        .public_key_or_identity = {
            .source = ANJ_CRYPTO_DATA_SOURCE_BUFFER,
            .info.buffer = { .data = psk_identity, .data_size = sizeof(psk_identity) - 1 },
        },
        .secret_key = {
            .source = ANJ_CRYPTO_DATA_SOURCE_BUFFER,
            .info.buffer = { .data = psk_key, .data_size = sizeof(psk_key) },
        },
    };
#else
    anj_dm_security_instance_init_t sec = {
        .ssid = 1,
        .server_uri = "coap://192.0.2.1:5683",
        .security_mode = ANJ_DM_SECURITY_NOSEC,
    };
#endif
    anj_dm_server_obj_init(&g_server);
    anj_dm_security_obj_init(&g_security);
    if (anj_dm_device_obj_install(&g_anj, &g_device, &dev)
            || anj_dm_server_obj_add_instance(&g_server, &srv)
            || anj_dm_server_obj_install(&g_anj, &g_server)
            || anj_dm_security_obj_add_instance(&g_security, &sec)
            || anj_dm_security_obj_install(&g_anj, &g_security)) {
        return 1;
    }
#ifdef ANJ_WITH_DEFAULT_FOTA_OBJ
    if (anj_dm_fw_update_object_install(&g_anj, &g_fw, &g_fw_handlers, NULL)) {
        return 1;
    }
#endif
#ifdef ANJ_WITH_COAP_DOWNLOADER
    anj_coap_downloader_configuration_t dl = { .event_cb = dl_event };
    if (anj_coap_downloader_init(&g_downloader, &dl)
            || anj_coap_downloader_start(&g_downloader, "coap://192.0.2.1/fw", NULL)) {
        return 1;
    }
#endif
#ifdef ANJ_WITH_LWM2M_SEND
    static anj_io_out_entry_t record = {
        .type = ANJ_DATA_TYPE_INT,
        .path = { .ids = { 3, 0, 9 }, .uri_len = 3 },
    };
    static const anj_send_request_t request = {
        .records = &record,
        .records_cnt = 1,
        .content_format = (anj_send_content_format_t) 0,
    };
    uint16_t send_id;
#endif
    for (;;) {
        anj_core_step(&g_anj);
#ifdef ANJ_WITH_COAP_DOWNLOADER
        anj_coap_downloader_step(&g_downloader);
#endif
#ifdef ANJ_WITH_LWM2M_SEND
        (void) anj_send_new_request(&g_anj, &request, &send_id);
#endif
    }
}
