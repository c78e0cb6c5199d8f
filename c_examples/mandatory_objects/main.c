/*
 * anj-rs example: a client with the three mandatory objects (Security /0, Server /1,
 * Device /3) that registers with an LwM2M server over plain CoAP. On SIGINT or SIGTERM
 * it de-registers (by disabling the server), shuts down and exits with status 0.
 *
 * usage: anj_example_mandatory_objects ENDPOINT_NAME SERVER_URI [LIFETIME]
 *   e.g. anj_example_mandatory_objects dev-1 coap://127.0.0.1:5683
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/device_object.h>
#include <anj/dm/security_object.h>
#include <anj/dm/server_object.h>
#include <anj/log.h>

static volatile sig_atomic_t g_stop;

static void on_signal(int sig) {
    (void) sig;
    g_stop = 1;
}

static const char *status_name(anj_conn_status_t s) {
    switch (s) {
    case ANJ_CONN_STATUS_INITIAL: return "INITIAL";
    case ANJ_CONN_STATUS_INVALID: return "INVALID";
    case ANJ_CONN_STATUS_FAILURE: return "FAILURE";
    case ANJ_CONN_STATUS_BOOTSTRAPPING: return "BOOTSTRAPPING";
    case ANJ_CONN_STATUS_BOOTSTRAPPED: return "BOOTSTRAPPED";
    case ANJ_CONN_STATUS_REGISTERING: return "REGISTERING";
    case ANJ_CONN_STATUS_REGISTERED: return "REGISTERED";
    case ANJ_CONN_STATUS_SUSPENDED: return "SUSPENDED";
    case ANJ_CONN_STATUS_ENTERING_QUEUE_MODE: return "ENTERING_QUEUE_MODE";
    case ANJ_CONN_STATUS_QUEUE_MODE: return "QUEUE_MODE";
    }
    return "?";
}

static anj_conn_status_t g_status = ANJ_CONN_STATUS_INITIAL;

static void on_status(void *arg, anj_t *anj, anj_conn_status_t status) {
    (void) arg;
    (void) anj;
    g_status = status;
    /* Tests read this line to follow the client. */
    printf("STATUS %s\n", status_name(status));
    fflush(stdout);
}

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000 * 1000 };
    nanosleep(&ts, NULL);
}

int main(int argc, char *argv[]) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s ENDPOINT_NAME SERVER_URI [LIFETIME]\n", argv[0]);
        return 2;
    }
    uint32_t lifetime = argc > 3 ? (uint32_t) strtoul(argv[3], NULL, 10) : 60;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    static anj_t anj;
    static anj_dm_device_obj_t device;
    static anj_dm_server_obj_t server;
    static anj_dm_security_obj_t security;

    anj_configuration_t config = {
        .endpoint_name = argv[1],
        .connection_status_cb = on_status,
    };
    if (anj_core_init(&anj, &config)) {
        anj_log(example, L_ERROR, "anj_core_init failed");
        return 1;
    }

    anj_dm_device_object_init_t device_init = {
        .manufacturer = "anj-rs",
        .model_number = "example-1",
        .serial_number = "0001",
        .firmware_version = "1.0.0",
    };
    anj_dm_server_instance_init_t server_init = {
        .ssid = 1,
        .lifetime = lifetime,
        .binding = "U",
        .bootstrap_on_registration_failure = &(bool) { false },
    };
    anj_dm_security_instance_init_t security_init = {
        .ssid = 1,
        .server_uri = argv[2],
        .security_mode = ANJ_DM_SECURITY_NOSEC,
    };
    anj_dm_server_obj_init(&server);
    anj_dm_security_obj_init(&security);
    if (anj_dm_device_obj_install(&anj, &device, &device_init)
            || anj_dm_server_obj_add_instance(&server, &server_init)
            || anj_dm_server_obj_install(&anj, &server)
            || anj_dm_security_obj_add_instance(&security, &security_init)
            || anj_dm_security_obj_install(&anj, &security)) {
        anj_log(example, L_ERROR, "installing the mandatory objects failed");
        return 1;
    }

    while (!g_stop) {
        anj_core_step(&anj);
        sleep_ms(10);
    }

    /* anj_core_shutdown does not de-register (as in Anjay Lite 3.0.0): disabling the
     * server does, so do that first and give it a few seconds. */
    anj_core_disable_server(&anj, ANJ_TIME_DURATION_INVALID);
    for (int i = 0; i < 500 && g_status != ANJ_CONN_STATUS_SUSPENDED; i++) {
        anj_core_step(&anj);
        sleep_ms(10);
    }
    int ret;
    while ((ret = anj_core_shutdown(&anj)) == ANJ_NET_EAGAIN) {
        sleep_ms(10);
    }
    printf("SHUTDOWN %d\n", ret);
    return ret == 0 ? 0 : 1;
}
