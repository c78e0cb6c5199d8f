/*
 * anj-rs size report image: the BC-MandatoryObjects client (Security, Server, Device)
 * on a bare-metal Cortex-M4, with the compat hooks an integrator would provide
 * stubbed out (they are not part of the library's footprint).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <anj/compat/net/anj_udp.h>
#include <anj/core.h>
#include <anj/dm/device_object.h>
#include <anj/dm/security_object.h>
#include <anj/dm/server_object.h>

static anj_t g_anj;
static anj_dm_device_obj_t g_device;
static anj_dm_server_obj_t g_server;
static anj_dm_security_obj_t g_security;

int main(void) {
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
    anj_dm_security_instance_init_t sec = {
        .ssid = 1,
        .server_uri = "coap://192.0.2.1:5683",
        .security_mode = ANJ_DM_SECURITY_NOSEC,
    };
    anj_dm_server_obj_init(&g_server);
    anj_dm_security_obj_init(&g_security);
    if (anj_dm_device_obj_install(&g_anj, &g_device, &dev)
            || anj_dm_server_obj_add_instance(&g_server, &srv)
            || anj_dm_server_obj_install(&g_anj, &g_server)
            || anj_dm_security_obj_add_instance(&g_security, &sec)
            || anj_dm_security_obj_install(&g_anj, &g_security)) {
        return 1;
    }
    for (;;) {
        anj_core_step(&g_anj);
    }
}
