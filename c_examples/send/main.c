/*
 * anj-rs example: a temperature sensor that reports its samples with LwM2M Send.
 *
 * Object 3303 (Temperature), one instance /3303/0:
 *   5700 Sensor Value   R double   simulated: a sawtooth 20.0 .. 23.5 in steps of 0.5
 *   5701 Sensor Units   R string   "Cel"
 *
 * Once a second the sensor value is sampled together with the wall-clock time. Every
 * SAMPLES_PER_SEND samples form a batch, queued as one Send request in SenML CBOR: a
 * time series of /3303/0/5700, each record with its own timestamp (SenML base time).
 * The finished handler prints "SEND <id> FINISHED <result> <name>" and frees the batch.
 *
 * A request is not copied by the library: its records must stay untouched until the
 * finished handler has run. So there are two batches: one is being sent while the
 * other fills. With ANJ_LWM2M_SEND_QUEUE_SIZE 1 a full batch waits for the previous
 * request to finish (ANJ_SEND_ERR_NO_SPACE: retried once a second); samples taken
 * while both batches are full are dropped. A request refused for any other reason
 * (e.g. ANJ_SEND_ERR_NOT_ALLOWED before registration) throws its batch away.
 *
 * usage: anj_example_send ENDPOINT_NAME SERVER_URI [LIFETIME] [lwm2m-cbor]
 *   "lwm2m-cbor" sends the latest sample of each batch as LwM2M CBOR instead (that
 *   format has no timestamps and allows each path only once per request).
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <anj/compat/time.h>
#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/dm/defs.h>
#include <anj/log.h>
#include <anj/lwm2m_send.h>
#include <anj/time.h>
#include <anj/utils.h>

#include "example_common.h"

#define TEMPERATURE_OID 3303
#define RID_SENSOR_VALUE 5700
#define RID_SENSOR_UNITS 5701

#define SAMPLES_PER_SEND 5

static double g_value = 20.0;

static const anj_dm_res_t g_sensor_res[] = {
    { .rid = RID_SENSOR_VALUE, .type = ANJ_DATA_TYPE_DOUBLE, .kind = ANJ_DM_RES_R },
    { .rid = RID_SENSOR_UNITS, .type = ANJ_DATA_TYPE_STRING, .kind = ANJ_DM_RES_R },
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
    case RID_SENSOR_VALUE: out_value->double_value = g_value; return 0;
    case RID_SENSOR_UNITS: out_value->bytes_or_string.data = "Cel"; return 0;
    default: return ANJ_DM_ERR_NOT_FOUND;
    }
}

static const anj_dm_handlers_t g_sensor_handlers = {
    .res_read = sensor_read,
};

static const anj_dm_obj_t g_sensor_obj = {
    .oid = TEMPERATURE_OID,
    .version = "1.1",
    .handlers = &g_sensor_handlers,
    .insts = &g_sensor_inst,
    .max_inst_count = 1,
};

/* One Send request and the records it points to. */
typedef struct {
    anj_io_out_entry_t records[SAMPLES_PER_SEND];
    size_t count;
    /* Queued or being sent: the library reads `records` until the handler runs. */
    bool in_send;
    uint16_t send_id;
    anj_send_request_t request;
} batch_t;

static batch_t g_batches[2];
static bool g_use_lwm2m_cbor;
static unsigned g_dropped_samples;

static const char *send_result_str(int result) {
    switch (result) {
    case ANJ_SEND_SUCCESS: return "SUCCESS";
    case ANJ_SEND_ERR_TIMEOUT: return "TIMEOUT";
    case ANJ_SEND_ERR_ABORT: return "ABORT";
    case ANJ_SEND_ERR_REJECTED: return "REJECTED";
    case ANJ_SEND_ERR_NETWORK: return "NETWORK";
    case ANJ_SEND_ERR_INTERNAL: return "INTERNAL";
    case ANJ_SEND_ERR_NO_REQUEST_FOUND: return "NO_REQUEST_FOUND";
    case ANJ_SEND_ERR_NO_SPACE: return "NO_SPACE";
    case ANJ_SEND_ERR_NOT_ALLOWED: return "NOT_ALLOWED";
    case ANJ_SEND_ERR_DATA_NOT_VALID: return "DATA_NOT_VALID";
    default: return "?";
    }
}

static void send_finished(anj_t *anj, uint16_t send_id, int result, void *data) {
    (void) anj;
    batch_t *batch = (batch_t *) data;
    example_report("SEND %u FINISHED %d %s (%u records)", (unsigned) send_id, result,
                   send_result_str(result), (unsigned) batch->count);
    /* The library is done with the records: the batch can be refilled. */
    batch->count = 0;
    batch->in_send = false;
}

/* The batch that takes new samples: the one being filled, or an empty one. */
static batch_t *batch_to_fill(void) {
    for (int i = 0; i < 2; i++) {
        batch_t *b = &g_batches[i];
        if (!b->in_send && b->count > 0 && b->count < SAMPLES_PER_SEND) {
            return b;
        }
    }
    for (int i = 0; i < 2; i++) {
        if (!g_batches[i].in_send && g_batches[i].count == 0) {
            return &g_batches[i];
        }
    }
    return NULL;
}

static void try_send(anj_t *anj, batch_t *batch) {
    memset(&batch->request, 0, sizeof(batch->request));
    batch->request.finished_handler = send_finished;
    batch->request.data = batch;
    if (g_use_lwm2m_cbor) {
#ifdef ANJ_WITH_LWM2M_CBOR
        /* One record per path in LwM2M CBOR: the latest sample only. */
        batch->request.records = &batch->records[batch->count - 1];
        batch->request.records_cnt = 1;
        batch->request.content_format = ANJ_SEND_CONTENT_FORMAT_LWM2M_CBOR;
#endif
    } else {
#ifdef ANJ_WITH_SENML_CBOR
        batch->request.records = batch->records;
        batch->request.records_cnt = batch->count;
        batch->request.content_format = ANJ_SEND_CONTENT_FORMAT_SENML_CBOR;
#endif
    }
    int result = anj_send_new_request(anj, &batch->request, &batch->send_id);
    if (result == 0) {
        batch->in_send = true;
        example_report("SEND %u QUEUED (%u records)", (unsigned) batch->send_id,
                       (unsigned) batch->request.records_cnt);
    } else if (result == ANJ_SEND_ERR_NO_SPACE) {
        /* The previous request is still under way: try again on the next tick. */
    } else {
        example_report("SEND REFUSED %d %s (%u samples dropped)", result,
                       send_result_str(result), (unsigned) batch->count);
        batch->count = 0;
    }
}

static long seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long) ts.tv_sec;
}

static void send_tick(anj_t *anj, void *arg) {
    static long last_second = -1;
    (void) arg;

    long now = seconds_now();
    if (now == last_second) {
        return;
    }
    last_second = now;

    /* A full batch that found the queue full last time tries again. */
    for (int i = 0; i < 2; i++) {
        if (!g_batches[i].in_send && g_batches[i].count == SAMPLES_PER_SEND) {
            try_send(anj, &g_batches[i]);
        }
    }
    double next = 20.0 + 0.5 * (double) (now % 8);
    if (next != g_value) {
        g_value = next;
        anj_uri_path_t path = ANJ_MAKE_RESOURCE_PATH(TEMPERATURE_OID, 0, RID_SENSOR_VALUE);
        anj_core_data_model_changed(anj, &path, ANJ_CORE_CHANGE_TYPE_VALUE_CHANGED);
    }

    batch_t *batch = batch_to_fill();
    if (!batch) {
        g_dropped_samples++;
        example_report("SAMPLE DROPPED (%u so far): both batches wait for a Send",
                       g_dropped_samples);
        return;
    }
    anj_io_out_entry_t *rec = &batch->records[batch->count++];
    memset(rec, 0, sizeof(*rec));
    rec->path = ANJ_MAKE_RESOURCE_PATH(TEMPERATURE_OID, 0, RID_SENSOR_VALUE);
    rec->type = ANJ_DATA_TYPE_DOUBLE;
    rec->value.double_value = g_value;
    /* Seconds since the Unix epoch, as SenML wants it. */
    rec->timestamp = anj_time_real_to_fscalar(anj_time_real_now(), ANJ_TIME_UNIT_S);
    if (batch->count == SAMPLES_PER_SEND) {
        try_send(anj, batch);
    }
}

int main(int argc, char *argv[]) {
    static anj_t anj;
    if (example_start(&anj, argc, argv, "[lwm2m-cbor]")) {
        return 1;
    }
    const char *format = example_extra_arg(0);
#ifndef ANJ_WITH_SENML_CBOR
    /* The only Send format of this build. */
    format = "lwm2m-cbor";
#endif
    if (format && strcmp(format, "lwm2m-cbor") == 0) {
#ifdef ANJ_WITH_LWM2M_CBOR
        g_use_lwm2m_cbor = true;
#else
        anj_log(example, L_ERROR, "LwM2M CBOR is not enabled in this build");
        return 1;
#endif
    }
    if (anj_dm_add_obj(&anj, &g_sensor_obj)) {
        anj_log(example, L_ERROR, "adding the temperature object failed");
        return 1;
    }
    return example_run(&anj, send_tick, NULL);
}
