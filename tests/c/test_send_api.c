/*
 * anj-rs C test: the LwM2M Send API (anj/lwm2m_send.h) as C code calls it: the types'
 * layout, argument and record validation, the queue limit, aborts (also from inside a
 * finished handler) and the aborts of anj_core_shutdown().
 *
 * The client is never registered here. Anjay Lite refuses new requests until it is
 * (ANJ_SEND_ERR_NOT_ALLOWED); in anj-rs that check belongs to the client, which keeps
 * the queue's gate up to date, and this test runs with the gate as anj_core_init()
 * leaves it (open).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/lwm2m_send.h>
#include <anj/utils.h>

#ifndef ANJ_WITH_LWM2M_SEND
int main(void) {
    return 0; /* nothing to test in this configuration */
}
#else

static int g_failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            g_failures++;                                                    \
        }                                                                    \
    } while (0)

/* What the finished handlers saw, in call order. */
#define MAX_CALLS 16
typedef struct {
    uint16_t id;
    int result;
    void *data;
} call_t;
static call_t g_calls[MAX_CALLS];
static int g_call_count;

/* Set by a test: what the handler does besides recording the call. */
static int g_abort_all_in_handler;
static int g_nested_abort_result;
static const anj_send_request_t *g_push_in_handler;
static int g_nested_push_result;
static uint16_t g_nested_push_id;

static void finished(anj_t *anj, uint16_t send_id, int result, void *data) {
    if (g_call_count < MAX_CALLS) {
        g_calls[g_call_count].id = send_id;
        g_calls[g_call_count].result = result;
        g_calls[g_call_count].data = data;
    }
    g_call_count++;
    if (g_abort_all_in_handler) {
        g_nested_abort_result = anj_send_abort(anj, ANJ_SEND_ID_ALL);
    }
    if (g_push_in_handler) {
        const anj_send_request_t *req = g_push_in_handler;
        g_push_in_handler = NULL;
        g_nested_push_result = anj_send_new_request(anj, req, &g_nested_push_id);
    }
}

/* The handler type of the header is the type of the request's member. */
static anj_send_finished_handler_t *const g_handler_typed = finished;

static void reset_calls(void) {
    memset(g_calls, 0, sizeof(g_calls));
    g_call_count = 0;
    g_abort_all_in_handler = 0;
    g_nested_abort_result = 0;
    g_push_in_handler = NULL;
    g_nested_push_result = 1;
    g_nested_push_id = 0;
}

static anj_io_out_entry_t g_records[3];
static int g_user_data;

static void init_records(void) {
    memset(g_records, 0, sizeof(g_records));
    g_records[0].path = ANJ_MAKE_RESOURCE_PATH(3303, 0, 5700);
    g_records[0].type = ANJ_DATA_TYPE_DOUBLE;
    g_records[0].value.double_value = 21.5;
    g_records[0].timestamp = 1705597224.0;
    g_records[1].path = ANJ_MAKE_RESOURCE_PATH(3303, 0, 5701);
    g_records[1].type = ANJ_DATA_TYPE_STRING;
    g_records[1].value.bytes_or_string.data = "Cel";
    g_records[1].timestamp = NAN;
    g_records[2].path = ANJ_MAKE_RESOURCE_INSTANCE_PATH(3, 0, 11, 0);
    g_records[2].type = ANJ_DATA_TYPE_INT;
    g_records[2].value.int_value = 0;
    g_records[2].timestamp = 1705597225.0;
}

static anj_send_request_t make_request(anj_send_content_format_t format) {
    anj_send_request_t req;
    memset(&req, 0, sizeof(req));
    req.records = g_records;
    req.records_cnt = 3;
    req.finished_handler = g_handler_typed;
    req.data = &g_user_data;
    req.content_format = format;
    return req;
}

static void test_layout(void) {
    /* Field order and enum values as in Anjay Lite. */
    CHECK(offsetof(anj_send_request_t, records) == 0);
    CHECK(offsetof(anj_send_request_t, records_cnt) == sizeof(void *));
    CHECK(offsetof(anj_send_request_t, finished_handler) == 2 * sizeof(void *));
    CHECK(offsetof(anj_send_request_t, data) == 3 * sizeof(void *));
    CHECK(offsetof(anj_send_request_t, content_format) == 4 * sizeof(void *));
    CHECK(offsetof(anj_io_out_entry_t, type) == 0);
    CHECK(offsetof(anj_io_out_entry_t, value) < offsetof(anj_io_out_entry_t, path));
    CHECK(offsetof(anj_io_out_entry_t, path) < offsetof(anj_io_out_entry_t, timestamp));
#    ifdef ANJ_WITH_SENML_CBOR
    CHECK(ANJ_SEND_CONTENT_FORMAT_SENML_CBOR == 0);
#        ifdef ANJ_WITH_LWM2M_CBOR
    CHECK(ANJ_SEND_CONTENT_FORMAT_LWM2M_CBOR == 1);
#        endif
#    endif
    CHECK(ANJ_SEND_ID_ALL == UINT16_MAX);
    CHECK(ANJ_SEND_SUCCESS == 0 && ANJ_SEND_ERR_TIMEOUT == -1 && ANJ_SEND_ERR_ABORT == -2
          && ANJ_SEND_ERR_REJECTED == -3 && ANJ_SEND_ERR_NETWORK == -4
          && ANJ_SEND_ERR_INTERNAL == -5 && ANJ_SEND_ERR_NO_REQUEST_FOUND == -6
          && ANJ_SEND_ERR_NO_SPACE == -7 && ANJ_SEND_ERR_NOT_ALLOWED == -8
          && ANJ_SEND_ERR_DATA_NOT_VALID == -9);
}

/* The first content format of this build. */
static anj_send_content_format_t first_format(void) {
    return (anj_send_content_format_t) 0;
}

static void test_arguments_and_records(anj_t *anj) {
    uint16_t id = 0;
    anj_send_request_t req = make_request(first_format());
    CHECK(anj_send_new_request(NULL, &req, &id) == ANJ_SEND_ERR_DATA_NOT_VALID);
    CHECK(anj_send_new_request(anj, NULL, &id) == ANJ_SEND_ERR_DATA_NOT_VALID);

    /* An anj_t that anj_core_init() never saw. */
    static anj_t not_initialised;
    CHECK(anj_send_new_request(&not_initialised, &req, &id) == ANJ_SEND_ERR_NOT_ALLOWED);
    CHECK(anj_send_abort(&not_initialised, 1) == ANJ_SEND_ERR_NO_REQUEST_FOUND);
    CHECK(anj_send_abort(NULL, ANJ_SEND_ID_ALL) == ANJ_SEND_ERR_NO_REQUEST_FOUND);

    anj_send_request_t bad = req;
    bad.finished_handler = NULL;
    CHECK(anj_send_new_request(anj, &bad, &id) == ANJ_SEND_ERR_DATA_NOT_VALID);
    bad = req;
    bad.records = NULL;
    CHECK(anj_send_new_request(anj, &bad, &id) == ANJ_SEND_ERR_DATA_NOT_VALID);
    bad = req;
    bad.records_cnt = 0;
    CHECK(anj_send_new_request(anj, &bad, &id) == ANJ_SEND_ERR_DATA_NOT_VALID);
    bad = req;
    bad.content_format = (anj_send_content_format_t) 42;
    CHECK(anj_send_new_request(anj, &bad, &id) == ANJ_SEND_ERR_DATA_NOT_VALID);

    /* Records: only resources and resource instances, of a type that can be sent. */
    g_records[1].path = ANJ_MAKE_INSTANCE_PATH(3303, 0);
    CHECK(anj_send_new_request(anj, &req, &id) == ANJ_SEND_ERR_DATA_NOT_VALID);
    g_records[1].path = ANJ_MAKE_ROOT_PATH();
    CHECK(anj_send_new_request(anj, &req, &id) == ANJ_SEND_ERR_DATA_NOT_VALID);
    init_records();
    g_records[2].type = ANJ_DATA_TYPE_NULL;
    CHECK(anj_send_new_request(anj, &req, &id) == ANJ_SEND_ERR_DATA_NOT_VALID);
    init_records();

#    ifdef ANJ_WITH_LWM2M_CBOR
    /* LwM2M CBOR: a path may appear once only. */
    g_records[1].path = g_records[0].path;
    g_records[1].type = ANJ_DATA_TYPE_DOUBLE;
    g_records[1].value.double_value = 22.0;
    anj_send_request_t lwm2m = make_request(ANJ_SEND_CONTENT_FORMAT_LWM2M_CBOR);
    CHECK(anj_send_new_request(anj, &lwm2m, &id) == ANJ_SEND_ERR_DATA_NOT_VALID);
    init_records();
#    endif
    CHECK(g_call_count == 0);
    /* Nothing was queued by the failures. */
    CHECK(anj_send_abort(anj, ANJ_SEND_ID_ALL) == 0);
    CHECK(g_call_count == 0);
}

static void test_queue_and_aborts(anj_t *anj) {
    static anj_send_request_t reqs[ANJ_LWM2M_SEND_QUEUE_SIZE + 1];
    uint16_t ids[ANJ_LWM2M_SEND_QUEUE_SIZE + 1];
    reset_calls();
    for (int i = 0; i <= ANJ_LWM2M_SEND_QUEUE_SIZE; i++) {
        reqs[i] = make_request(first_format());
    }
    for (int i = 0; i < ANJ_LWM2M_SEND_QUEUE_SIZE; i++) {
        ids[i] = 0;
        CHECK(anj_send_new_request(anj, &reqs[i], &ids[i]) == 0);
        CHECK(ids[i] != 0 && ids[i] != ANJ_SEND_ID_ALL);
        CHECK(i == 0 || ids[i] != ids[i - 1]);
    }
    CHECK(anj_send_new_request(anj, &reqs[ANJ_LWM2M_SEND_QUEUE_SIZE], NULL)
          == ANJ_SEND_ERR_NO_SPACE);

    /* Unknown IDs. */
    CHECK(anj_send_abort(anj, 0) == ANJ_SEND_ERR_NO_REQUEST_FOUND);
    CHECK(anj_send_abort(anj, (uint16_t) (ids[ANJ_LWM2M_SEND_QUEUE_SIZE - 1] + 1))
          == ANJ_SEND_ERR_NO_REQUEST_FOUND);
    CHECK(g_call_count == 0);

    /* Abort the oldest: its handler runs once, with its data; its slot is free. */
    CHECK(anj_send_abort(anj, ids[0]) == 0);
    CHECK(g_call_count == 1);
    CHECK(g_calls[0].id == ids[0] && g_calls[0].result == ANJ_SEND_ERR_ABORT
          && g_calls[0].data == &g_user_data);
    CHECK(anj_send_abort(anj, ids[0]) == ANJ_SEND_ERR_NO_REQUEST_FOUND);
    CHECK(anj_send_new_request(anj, &reqs[0], &ids[0]) == 0);

    /* Abort all: every handler runs; the ones that try to abort again are refused;
     * one queues a new request, which survives. */
    reset_calls();
    static anj_send_request_t late;
    late = make_request(first_format());
    g_abort_all_in_handler = 1;
    g_push_in_handler = &late;
    CHECK(anj_send_abort(anj, ANJ_SEND_ID_ALL) == 0);
    CHECK(g_call_count == ANJ_LWM2M_SEND_QUEUE_SIZE);
    for (int i = 0; i < g_call_count && i < MAX_CALLS; i++) {
        CHECK(g_calls[i].result == ANJ_SEND_ERR_ABORT);
    }
    CHECK(g_nested_abort_result == ANJ_SEND_ERR_ABORT);
    CHECK(g_nested_push_result == 0);
    uint16_t late_id = g_nested_push_id;
    CHECK(late_id != 0);
    reset_calls();
    CHECK(anj_send_abort(anj, late_id) == 0);
    CHECK(g_call_count == 1 && g_calls[0].id == late_id);
    CHECK(anj_send_abort(anj, ANJ_SEND_ID_ALL) == 0); /* nothing left */
    CHECK(g_call_count == 1);
}

static void test_shutdown_aborts(void) {
    anj_t anj;
    anj_configuration_t config = { .endpoint_name = "send-test-2" };
    CHECK(anj_core_init(&anj, &config) == 0);
    reset_calls();
    anj_send_request_t req = make_request(first_format());
    uint16_t id = 0;
    CHECK(anj_send_new_request(&anj, &req, &id) == 0);
    CHECK(anj_core_shutdown(&anj) == 0);
    CHECK(g_call_count == 1);
    CHECK(g_calls[0].id == id && g_calls[0].result == ANJ_SEND_ERR_ABORT);
}

int main(void) {
    init_records();
    reset_calls();
    test_layout();
    anj_t anj;
    anj_configuration_t config = { .endpoint_name = "send-test" };
    CHECK(anj_core_init(&anj, &config) == 0);
    test_arguments_and_records(&anj);
    test_queue_and_aborts(&anj);
    CHECK(anj_core_shutdown(&anj) == 0);
    test_shutdown_aborts();
    if (g_failures) {
        fprintf(stderr, "test_send_api: %d check(s) failed\n", g_failures);
        return 1;
    }
    printf("test_send_api: OK\n");
    return 0;
}

#endif /* ANJ_WITH_LWM2M_SEND */
