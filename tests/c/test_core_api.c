/*
 * anj-rs C test: the core and mandatory-object API as C code calls it, including the
 * error returns of bad arguments and bad configurations.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

/* A small application object /1000 with one instance and two resources. */
static int64_t g_value = 42;
static int g_writes;

static int res_read(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid,
                    anj_rid_t rid, anj_riid_t riid, anj_res_value_t *out) {
    (void) anj;
    (void) obj;
    (void) iid;
    (void) riid;
    if (rid == 0) {
        out->int_value = g_value;
        return 0;
    }
    return ANJ_DM_ERR_NOT_FOUND;
}

static int res_write(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid,
                     anj_rid_t rid, anj_riid_t riid,
                     const anj_res_value_t *value) {
    (void) anj;
    (void) obj;
    (void) iid;
    (void) rid;
    (void) riid;
    g_value = value->int_value;
    g_writes++;
    return 0;
}

static const anj_dm_res_t RES[] = {
    { .rid = 0, .type = ANJ_DATA_TYPE_INT, .kind = ANJ_DM_RES_RW },
    { .rid = 1, .type = ANJ_DATA_TYPE_NULL, .kind = ANJ_DM_RES_E },
};
static const anj_dm_obj_inst_t INST = { .iid = 0, .resources = RES, .res_count = 2 };
static const anj_dm_handlers_t HANDLERS = { .res_read = res_read, .res_write = res_write };
static const anj_dm_obj_t OBJ = {
    .oid = 1000, .version = "1.0", .handlers = &HANDLERS, .insts = &INST, .max_inst_count = 1
};
/* Same OID: must be refused. */
static const anj_dm_obj_t OBJ_DUP = {
    .oid = 1000, .handlers = &HANDLERS, .insts = &INST, .max_inst_count = 1
};

static void test_init_errors(void) {
    anj_t anj;
    anj_configuration_t no_name = { 0 };
    CHECK(anj_core_init(&anj, &no_name) != 0);
    CHECK(anj_core_init(&anj, NULL) != 0);

    anj_exchange_udp_tx_params_t bad_tx = ANJ_EXCHANGE_UDP_TX_PARAMS_DEFAULT;
    bad_tx.ack_random_factor = 0.5; /* RFC 7252 needs >= 1 */
    anj_configuration_t bad = { .endpoint_name = "x", .udp_tx_params = &bad_tx };
    CHECK(anj_core_init(&anj, &bad) != 0);

    anj_exchange_udp_tx_params_t good_tx = ANJ_EXCHANGE_UDP_TX_PARAMS_DEFAULT;
    anj_configuration_t good = { .endpoint_name = "x", .udp_tx_params = &good_tx };
    CHECK(anj_core_init(&anj, &good) == 0);
    CHECK(anj_core_shutdown(&anj) == 0);
}

static void test_objects(void) {
    static anj_t anj;
    static anj_dm_server_obj_t server;
    static anj_dm_security_obj_t security;
    static anj_dm_device_obj_t device;
    anj_configuration_t config = { .endpoint_name = "c-test" };
    CHECK(anj_core_init(&anj, &config) == 0);
    CHECK(strcmp(anj.endpoint_name, "c-test") == 0);
    CHECK(!anj_core_ongoing_operation(&anj));
    CHECK(sizeof(anj_t) == ANJ_INTERNAL_SIZEOF_ANJ_T);

    /* Server object: invalid instances are refused, one valid one is taken. */
    anj_dm_server_obj_init(&server);
    anj_dm_server_instance_init_t bad_ssid = { .ssid = 0, .lifetime = 60, .binding = "U" };
    CHECK(anj_dm_server_obj_add_instance(&server, &bad_ssid) != 0);
    anj_dm_server_instance_init_t bad_binding = { .ssid = 1, .lifetime = 60, .binding = "UU" };
    CHECK(anj_dm_server_obj_add_instance(&server, &bad_binding) != 0);
    anj_dm_server_instance_init_t bad_lifetime = { .ssid = 1, .lifetime = 0, .binding = "U" };
    CHECK(anj_dm_server_obj_add_instance(&server, &bad_lifetime) != 0);
    anj_dm_server_instance_init_t ok = { .ssid = 1, .lifetime = 60, .binding = "U" };
    CHECK(anj_dm_server_obj_add_instance(&server, &ok) == 0);
    CHECK(anj_dm_server_obj_add_instance(&server, &ok) != 0); /* only one instance */
    CHECK(anj_dm_server_obj_install(&anj, &server) == 0);
    CHECK(anj_dm_server_obj_install(&anj, &server) != 0); /* twice */

    /* Security object. */
    anj_dm_security_obj_init(&security);
    anj_dm_security_instance_init_t no_uri = { .ssid = 1, .security_mode = ANJ_DM_SECURITY_NOSEC };
    CHECK(anj_dm_security_obj_add_instance(&security, &no_uri) != 0);
    anj_dm_security_instance_init_t sec = {
        .ssid = 1, .server_uri = "coap://127.0.0.1:5683", .security_mode = ANJ_DM_SECURITY_NOSEC
    };
    CHECK(anj_dm_security_obj_add_instance(&security, &sec) == 0);
    CHECK(anj_dm_security_obj_install(&anj, &security) == 0);

    /* Device object, readable through anj_dm_res_read. */
    anj_dm_device_object_init_t dev = { .manufacturer = "ACME", .firmware_version = "2.0" };
    CHECK(anj_dm_device_obj_install(&anj, &device, &dev) == 0);
    anj_res_value_t v;
    CHECK(anj_dm_res_read(&anj, &ANJ_MAKE_RESOURCE_PATH(3, 0, 3), &v) == 0);
    CHECK(strcmp((const char *) v.bytes_or_string.data, "2.0") == 0);
    CHECK(anj_dm_res_read(&anj, &ANJ_MAKE_RESOURCE_PATH(3, 0, 0), &v) == 0);
    CHECK(strcmp((const char *) v.bytes_or_string.data, "ACME") == 0);
    CHECK(anj_dm_res_read(&anj, &ANJ_MAKE_RESOURCE_PATH(3, 0, 999), &v) == ANJ_DM_ERR_NOT_FOUND);
    CHECK(anj_dm_res_read(&anj, &ANJ_MAKE_RESOURCE_PATH(3, 0, 4), &v) == ANJ_DM_ERR_METHOD_NOT_ALLOWED);
    CHECK(anj_dm_res_read(&anj, &ANJ_MAKE_RESOURCE_PATH(1, 0, 1), &v) == 0);
    CHECK(v.int_value == 60);

    /* Application objects. */
    CHECK(anj_dm_add_obj(&anj, NULL) != 0);
    CHECK(anj_dm_add_obj(&anj, &OBJ) == 0);
    CHECK(anj_dm_add_obj(&anj, &OBJ_DUP) != 0);
    CHECK(anj_dm_res_read(&anj, &ANJ_MAKE_RESOURCE_PATH(1000, 0, 0), &v) == 0);
    CHECK(v.int_value == 42);
    CHECK(anj_dm_remove_obj(&anj, 1000) == 0);
    CHECK(anj_dm_remove_obj(&anj, 1000) != 0);
    CHECK(anj_dm_res_read(&anj, &ANJ_MAKE_RESOURCE_PATH(1000, 0, 0), &v) == ANJ_DM_ERR_NOT_FOUND);

    /* Requests are accepted at any time; nothing is due before the first step. */
    anj_core_request_update(&anj);
    anj_core_restart(&anj);
    anj_core_data_model_changed(&anj, &ANJ_MAKE_RESOURCE_PATH(1, 0, 1),
                                ANJ_CORE_CHANGE_TYPE_VALUE_CHANGED);
    CHECK(anj_time_duration_eq(anj_core_next_step_time(&anj), ANJ_TIME_DURATION_ZERO));
    CHECK(anj_core_shutdown(&anj) == 0);
    /* After shutdown the client refuses to run, without crashing. */
    anj_core_step(&anj);
    CHECK(anj_core_shutdown(&anj) != 0);
}

static void test_null_arguments(void) {
    anj_core_step(NULL);
    anj_core_request_update(NULL);
    anj_core_disable_server(NULL, ANJ_TIME_DURATION_INVALID);
    CHECK(anj_core_shutdown(NULL) != 0);
    CHECK(anj_dm_add_obj(NULL, &OBJ) != 0);
    CHECK(anj_dm_server_obj_add_instance(NULL, NULL) != 0);
    CHECK(anj_dm_security_obj_add_instance(NULL, NULL) != 0);
}

int main(void) {
    test_init_errors();
    test_objects();
    test_null_arguments();
    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
