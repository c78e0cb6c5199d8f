/*
 * anj-rs example: a temperature sensor, LwM2M object 3303 (one instance, /3303/0).
 *
 * Resources served:
 *   5601 Min Measured Value   R  double   lowest value since start / last reset
 *   5602 Max Measured Value   R  double   highest value since start / last reset
 *   5603 Min Range Value      R  double   what the sensor can measure, fixed
 *   5604 Max Range Value      R  double
 *   5605 Reset Min and Max    E           min = max = current value
 *   5700 Sensor Value         R  double   simulated: steps of 0.5 every second
 *   5701 Sensor Units         R  string   "Cel"
 *   5750 Application Type     RW string   at most 32 characters, never empty
 *
 * Writes go through a transaction: the old Application Type is saved when the
 * transaction begins, the new one is checked when it is validated (an empty string
 * is refused with 4.00 Bad Request) and the saved copy is put back when the
 * transaction ends with a failure. A Write-Replace of the whole instance empties
 * the Application Type first, so it has to carry a new one.
 *
 * usage: anj_example_sensor ENDPOINT_NAME SERVER_URI [LIFETIME]
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/dm/defs.h>
#include <anj/log.h>
#include <anj/utils.h>

#include "example_common.h"

#define TEMPERATURE_OID 3303

#define RID_MIN_MEASURED 5601
#define RID_MAX_MEASURED 5602
#define RID_MIN_RANGE 5603
#define RID_MAX_RANGE 5604
#define RID_RESET_MIN_MAX 5605
#define RID_SENSOR_VALUE 5700
#define RID_SENSOR_UNITS 5701
#define RID_APPLICATION_TYPE 5750

#define APP_TYPE_MAX_LEN 32

typedef struct {
    double value;
    double min_seen;
    double max_seen;
    char app_type[APP_TYPE_MAX_LEN + 1];
    /* Copy of app_type taken when a transaction begins. */
    char app_type_saved[APP_TYPE_MAX_LEN + 1];
} sensor_state_t;

static sensor_state_t g_sensor = {
    .value = 20.0,
    .min_seen = 20.0,
    .max_seen = 20.0,
    .app_type = "room temperature",
};

/* Kept in ascending RID order, as the library requires. */
static const anj_dm_res_t g_sensor_res[] = {
    { .rid = RID_MIN_MEASURED, .type = ANJ_DATA_TYPE_DOUBLE, .kind = ANJ_DM_RES_R },
    { .rid = RID_MAX_MEASURED, .type = ANJ_DATA_TYPE_DOUBLE, .kind = ANJ_DM_RES_R },
    { .rid = RID_MIN_RANGE, .type = ANJ_DATA_TYPE_DOUBLE, .kind = ANJ_DM_RES_R },
    { .rid = RID_MAX_RANGE, .type = ANJ_DATA_TYPE_DOUBLE, .kind = ANJ_DM_RES_R },
    { .rid = RID_RESET_MIN_MAX, .type = ANJ_DATA_TYPE_NULL, .kind = ANJ_DM_RES_E },
    { .rid = RID_SENSOR_VALUE, .type = ANJ_DATA_TYPE_DOUBLE, .kind = ANJ_DM_RES_R },
    { .rid = RID_SENSOR_UNITS, .type = ANJ_DATA_TYPE_STRING, .kind = ANJ_DM_RES_R },
    { .rid = RID_APPLICATION_TYPE, .type = ANJ_DATA_TYPE_STRING, .kind = ANJ_DM_RES_RW },
};

static const anj_dm_obj_inst_t g_sensor_inst = {
    .iid = 0,
    .resources = g_sensor_res,
    .res_count = sizeof(g_sensor_res) / sizeof(g_sensor_res[0]),
};

static int sensor_read(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid, anj_rid_t rid,
                       anj_riid_t riid, anj_res_value_t *out_value) {
    (void) anj;
    (void) obj;
    (void) iid;
    (void) riid;
    switch (rid) {
    case RID_MIN_MEASURED: out_value->double_value = g_sensor.min_seen; return 0;
    case RID_MAX_MEASURED: out_value->double_value = g_sensor.max_seen; return 0;
    case RID_MIN_RANGE: out_value->double_value = -40.0; return 0;
    case RID_MAX_RANGE: out_value->double_value = 85.0; return 0;
    case RID_SENSOR_VALUE: out_value->double_value = g_sensor.value; return 0;
    case RID_SENSOR_UNITS: out_value->bytes_or_string.data = "Cel"; return 0;
    case RID_APPLICATION_TYPE: out_value->bytes_or_string.data = g_sensor.app_type; return 0;
    default: return ANJ_DM_ERR_NOT_FOUND;
    }
}

static int sensor_write(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid, anj_rid_t rid,
                        anj_riid_t riid, const anj_res_value_t *value) {
    (void) anj;
    (void) obj;
    (void) iid;
    (void) riid;
    if (rid != RID_APPLICATION_TYPE) {
        /* The library only lets writes through to writable resources. */
        return ANJ_DM_ERR_METHOD_NOT_ALLOWED;
    }
    /* A long string may come in several pieces; refuse one that cannot fit
     * before touching the buffer. */
    if (value->bytes_or_string.offset + value->bytes_or_string.chunk_length
            > APP_TYPE_MAX_LEN) {
        return ANJ_DM_ERR_BAD_REQUEST;
    }
    if (anj_dm_write_string_chunked(value, g_sensor.app_type, sizeof(g_sensor.app_type),
                                    NULL)) {
        return ANJ_DM_ERR_BAD_REQUEST;
    }
    return 0;
}

static int sensor_execute(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid, anj_rid_t rid,
                          const char *execute_arg, size_t execute_arg_len) {
    (void) anj;
    (void) obj;
    if (rid != RID_RESET_MIN_MAX) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    g_sensor.min_seen = g_sensor.value;
    g_sensor.max_seen = g_sensor.value;
    /* Arguments are not needed for a reset; they are only logged so that tests
     * can see what arrived. */
    example_report("EXECUTE /%d/%d/%d ARGS '%.*s'", TEMPERATURE_OID, (int) iid, (int) rid,
                   (int) execute_arg_len, execute_arg ? execute_arg : "");
    return 0;
}

/* Write-Replace of /3303/0: the only writable resource goes back to empty; the
 * request must then carry a new value, or validation refuses it. */
static int sensor_reset(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid) {
    (void) anj;
    (void) obj;
    (void) iid;
    g_sensor.app_type[0] = '\0';
    return 0;
}

static int sensor_transaction_begin(anj_t *anj, const anj_dm_obj_t *obj) {
    (void) anj;
    (void) obj;
    memcpy(g_sensor.app_type_saved, g_sensor.app_type, sizeof(g_sensor.app_type));
    return 0;
}

static int sensor_transaction_validate(anj_t *anj, const anj_dm_obj_t *obj) {
    (void) anj;
    (void) obj;
    if (g_sensor.app_type[0] == '\0') {
        example_report("VALIDATE /%d refused: empty Application Type", TEMPERATURE_OID);
        return ANJ_DM_ERR_BAD_REQUEST;
    }
    return 0;
}

static void sensor_transaction_end(anj_t *anj, const anj_dm_obj_t *obj,
                                   anj_dm_transaction_result_t result) {
    (void) anj;
    (void) obj;
    if (result != ANJ_DM_TRANSACTION_SUCCESS) {
        memcpy(g_sensor.app_type, g_sensor.app_type_saved, sizeof(g_sensor.app_type));
    }
    example_report("TRANSACTION /%d %s", TEMPERATURE_OID,
                   result == ANJ_DM_TRANSACTION_SUCCESS ? "SUCCESS" : "FAILURE");
}

static const anj_dm_handlers_t g_sensor_handlers = {
    .inst_reset = sensor_reset,
    .res_read = sensor_read,
    .res_write = sensor_write,
    .res_execute = sensor_execute,
    .transaction_begin = sensor_transaction_begin,
    .transaction_validate = sensor_transaction_validate,
    .transaction_end = sensor_transaction_end,
};

static const anj_dm_obj_t g_sensor_obj = {
    .oid = TEMPERATURE_OID,
    .version = "1.1",
    .handlers = &g_sensor_handlers,
    .insts = &g_sensor_inst,
    .max_inst_count = 1,
};

static long seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long) ts.tv_sec;
}

/* Once a second the simulated temperature moves along a sawtooth between 20.0
 * and 23.5 in steps of 0.5 (values a double holds exactly, so tests can compare
 * them). */
static void sensor_tick(anj_t *anj, void *arg) {
    static long last_second = -1;
    (void) arg;
    long now = seconds_now();
    if (now == last_second) {
        return;
    }
    last_second = now;
    double next = 20.0 + 0.5 * (double) (now % 8);
    if (next == g_sensor.value) {
        return;
    }
    g_sensor.value = next;
    anj_uri_path_t path = ANJ_MAKE_RESOURCE_PATH(TEMPERATURE_OID, 0, RID_SENSOR_VALUE);
    anj_core_data_model_changed(anj, &path, ANJ_CORE_CHANGE_TYPE_VALUE_CHANGED);
    if (next < g_sensor.min_seen) {
        g_sensor.min_seen = next;
        path = ANJ_MAKE_RESOURCE_PATH(TEMPERATURE_OID, 0, RID_MIN_MEASURED);
        anj_core_data_model_changed(anj, &path, ANJ_CORE_CHANGE_TYPE_VALUE_CHANGED);
    }
    if (next > g_sensor.max_seen) {
        g_sensor.max_seen = next;
        path = ANJ_MAKE_RESOURCE_PATH(TEMPERATURE_OID, 0, RID_MAX_MEASURED);
        anj_core_data_model_changed(anj, &path, ANJ_CORE_CHANGE_TYPE_VALUE_CHANGED);
    }
}

int main(int argc, char *argv[]) {
    static anj_t anj;
    if (example_start(&anj, argc, argv, NULL)) {
        return 1;
    }
    if (anj_dm_add_obj(&anj, &g_sensor_obj)) {
        anj_log(example, L_ERROR, "adding the temperature object failed");
        return 1;
    }
    return example_run(&anj, sensor_tick, NULL);
}
