/*
 * anj-rs C test: the Bootstrap configuration as C code gives it. A client with only a
 * Bootstrap-Server account whose URI cannot be used fails its Bootstrap attempt at
 * once; with bootstrap_retry_count = 2 and bootstrap_retry_timeout = 100 ms it tries
 * twice more (after 100 and 200 ms), then reports FAILURE. The Security object takes
 * and reports the account like Anjay Lite's.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/dm/device_object.h>
#include <anj/dm/security_object.h>
#include <anj/dm/server_object.h>
#include <anj/utils.h>

static int g_failures;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                \
            g_failures++;                                                  \
        }                                                                  \
    } while (0)

static anj_conn_status_t g_statuses[16];
static int g_count;

static void on_status(void *arg, anj_t *anj, anj_conn_status_t status) {
    (void) arg;
    (void) anj;
    if (g_count < 16) {
        g_statuses[g_count++] = status;
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main(void) {
    static anj_t anj;
    static anj_dm_server_obj_t server;
    static anj_dm_security_obj_t security;
    static anj_dm_device_obj_t device;

    anj_configuration_t config = {
        .endpoint_name = "c-bootstrap",
        .connection_status_cb = on_status,
        .bootstrap_retry_count = 2,
        .bootstrap_retry_timeout = anj_time_duration_new(100, ANJ_TIME_UNIT_MS),
        .bootstrap_timeout = anj_time_duration_new(5, ANJ_TIME_UNIT_S),
    };
    CHECK(anj_core_init(&anj, &config) == 0);

    /* Not a coap:// or coaps:// URI: every attempt fails before sending anything. */
    anj_dm_security_instance_init_t bs = {
        .server_uri = "http://127.0.0.1:5693",
        .bootstrap_server = true,
        .security_mode = ANJ_DM_SECURITY_NOSEC,
    };
    anj_dm_device_object_init_t dev = { .manufacturer = "anj-rs" };
    anj_dm_server_obj_init(&server);
    anj_dm_security_obj_init(&security);
    CHECK(anj_dm_security_obj_add_instance(&security, &bs) == 0);
    /* A second Bootstrap-Server account is refused. */
    CHECK(anj_dm_security_obj_add_instance(&security, &bs) != 0);
    CHECK(anj_dm_security_obj_install(&anj, &security) == 0);
    CHECK(anj_dm_server_obj_install(&anj, &server) == 0);
    CHECK(anj_dm_device_obj_install(&anj, &device, &dev) == 0);

    anj_res_value_t v;
    CHECK(anj_dm_res_read(&anj, &ANJ_MAKE_RESOURCE_PATH(0, 0, 1), &v) == 0);
    CHECK(v.bool_value);

    double start = now_s();
    double failed_at = 0;
    while (now_s() - start < 3) {
        anj_core_step(&anj);
        if (g_count && g_statuses[g_count - 1] == ANJ_CONN_STATUS_FAILURE) {
            failed_at = now_s() - start;
            break;
        }
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    CHECK(g_count == 2);
    CHECK(g_statuses[0] == ANJ_CONN_STATUS_BOOTSTRAPPING);
    CHECK(g_statuses[1] == ANJ_CONN_STATUS_FAILURE);
    /* Retries after 100 and 200 ms. */
    CHECK(failed_at >= 0.3 && failed_at < 1.5);

    /* A request for Bootstrap starts over (and fails the same way). */
    anj_core_request_bootstrap(&anj);
    g_count = 0;
    start = now_s();
    while (now_s() - start < 3 && !(g_count >= 2)) {
        anj_core_step(&anj);
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    CHECK(g_count == 2);
    CHECK(g_statuses[0] == ANJ_CONN_STATUS_BOOTSTRAPPING);
    CHECK(g_statuses[1] == ANJ_CONN_STATUS_FAILURE);

    while (anj_core_shutdown(&anj) == ANJ_NET_EAGAIN) {
    }
    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
