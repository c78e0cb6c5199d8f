/*
 * anj-rs C test: the CoAP downloader API (anj/coap_downloader.h) as C code calls it:
 * argument and state errors, the status sequence of start/terminate/suspend/resume,
 * and calls back into the API from the event callback. No server is needed: the
 * connection goes to 127.0.0.1 and no request is ever sent.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <anj/coap_downloader.h>
#include <anj/compat/net/anj_net_api.h>
#include <anj/defs.h>

static int g_failures;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                \
            g_failures++;                                                  \
        }                                                                  \
    } while (0)

#define MAX_EVENTS 32

typedef struct {
    anj_coap_downloader_status_t seen[MAX_EVENTS];
    int count;
    /* What to do from inside the callback when this status is reported. */
    anj_coap_downloader_status_t terminate_on;
    bool terminate_armed;
    int error_in_failed_cb;
} recorder_t;

static void on_event(void *arg, anj_coap_downloader_t *d,
                     anj_coap_downloader_status_t status, const uint8_t *data,
                     size_t data_len) {
    recorder_t *r = (recorder_t *) arg;
    CHECK(status != ANJ_COAP_DOWNLOADER_STATUS_DOWNLOADING || data);
    CHECK(status == ANJ_COAP_DOWNLOADER_STATUS_DOWNLOADING
          || (data == NULL && data_len == 0));
    if (r->count < MAX_EVENTS) {
        r->seen[r->count++] = status;
    }
    /* A nested step is refused without harm. */
    anj_coap_downloader_step(d);
    if (r->terminate_armed && status == r->terminate_on) {
        r->terminate_armed = false;
        anj_coap_downloader_terminate(d);
    }
    if (status == ANJ_COAP_DOWNLOADER_STATUS_FAILED) {
        r->error_in_failed_cb = anj_coap_downloader_get_error(d);
    }
}

static void reset(recorder_t *r) {
    memset(r, 0, sizeof(*r));
}

static bool seen_exactly(const recorder_t *r,
                         const anj_coap_downloader_status_t *want, int n) {
    if (r->count != n) {
        return false;
    }
    for (int i = 0; i < n; i++) {
        if (r->seen[i] != want[i]) {
            return false;
        }
    }
    return true;
}

static void step(anj_coap_downloader_t *d, int n) {
    for (int i = 0; i < n; i++) {
        anj_coap_downloader_step(d);
    }
}

static const char URI[] = "coap://127.0.0.1:9/fw/image.bin";

static void test_init_errors(void) {
    static anj_coap_downloader_t d;
    recorder_t r;
    reset(&r);
    CHECK(sizeof(anj_coap_downloader_t) == ANJ_INTERNAL_SIZEOF_COAP_DOWNLOADER);

    /* Never initialised (zeroed storage): refused, never crashes. */
    memset(&d, 0, sizeof(d));
    anj_coap_downloader_step(&d);
    anj_coap_downloader_terminate(&d);
    CHECK(anj_coap_downloader_start(&d, URI, NULL) != 0);
    CHECK(anj_coap_downloader_suspend(&d) == ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE);
    CHECK(anj_coap_downloader_resume(&d) == ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE);
    CHECK(anj_coap_downloader_get_error(&d) != 0);
    anj_coap_downloader_step(NULL);

    anj_coap_downloader_configuration_t config;
    memset(&config, 0, sizeof(config));
    CHECK(anj_coap_downloader_init(&d, NULL) != 0);
    CHECK(anj_coap_downloader_init(&d, &config) != 0); /* no event_cb */
    config.event_cb = on_event;
    config.event_cb_arg = &r;
    CHECK(anj_coap_downloader_init(NULL, &config) != 0);
    anj_exchange_udp_tx_params_t bad_tx = {
        .ack_timeout = anj_time_duration_new(2, ANJ_TIME_UNIT_S),
        .ack_random_factor = 0.5, /* must be >= 1 */
        .max_retransmit = 4
    };
    config.udp_tx_params = &bad_tx;
    CHECK(anj_coap_downloader_init(&d, &config) != 0);
    config.udp_tx_params = NULL;
    CHECK(anj_coap_downloader_init(&d, &config) == 0);
    CHECK(anj_coap_downloader_get_error(&d) == 0);
}

static void test_start_errors(void) {
    static anj_coap_downloader_t d;
    recorder_t r;
    reset(&r);
    anj_coap_downloader_configuration_t config = {
        .event_cb = on_event,
        .event_cb_arg = &r,
    };
    CHECK(anj_coap_downloader_init(&d, &config) == 0);

    /* Nothing to suspend, resume or terminate yet; stepping reports nothing. */
    CHECK(anj_coap_downloader_suspend(&d) == ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE);
    CHECK(anj_coap_downloader_resume(&d) == ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE);
    anj_coap_downloader_terminate(&d);
    step(&d, 3);
    CHECK(r.count == 0);

    static const char *const invalid[] = {
        "",
        "coapss://test_uri.com:5683/a/bc/def",
        "http://127.0.0.1/a",
        "coap+tcp://127.0.0.1/a",
        "coap://:5683/a/bc/def",
        "coap://test_uri.com:abcd/a/bc/def",
        "coap://127.0.0.1:70000/a",
        "coap://127.0.0.1/a#fragment",
        "coap://127.0.0.1/a/b/c/d", /* more than ANJ_COAP_DOWNLOADER_MAX_PATHS_NUMBER */
    };
    CHECK(ANJ_COAP_DOWNLOADER_MAX_PATHS_NUMBER == 3);
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        int res = anj_coap_downloader_start(&d, invalid[i], NULL);
        if (res != ANJ_COAP_DOWNLOADER_ERR_INVALID_URI) {
            fprintf(stderr, "URI \"%s\": %d\n", invalid[i], res);
        }
        CHECK(res == ANJ_COAP_DOWNLOADER_ERR_INVALID_URI);
    }
    CHECK(anj_coap_downloader_start(&d, NULL, NULL)
          == ANJ_COAP_DOWNLOADER_ERR_INVALID_URI);

    /* coaps:// needs a network configuration ... */
    CHECK(anj_coap_downloader_start(&d, "coaps://127.0.0.1/fw", NULL)
          == ANJ_COAP_DOWNLOADER_ERR_INVALID_CONFIGURATION);
    /* ... and DTLS, which this build has not: refused as an unsupported URI. */
    anj_net_config_t net_config;
    memset(&net_config, 0, sizeof(net_config));
#ifndef ANJ_NET_WITH_DTLS
    CHECK(anj_coap_downloader_start(&d, "coaps://127.0.0.1/fw", &net_config)
          == ANJ_COAP_DOWNLOADER_ERR_INVALID_URI);
#endif
    step(&d, 3);
    CHECK(r.count == 0);

    CHECK(anj_coap_downloader_start(&d, URI, &net_config) == 0);
    CHECK(anj_coap_downloader_start(&d, URI, NULL)
          == ANJ_COAP_DOWNLOADER_ERR_IN_PROGRESS);
    CHECK(anj_coap_downloader_resume(&d) == ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE);

    /* Terminated before the first step: Starting is never reported. */
    anj_coap_downloader_terminate(&d);
    CHECK(anj_coap_downloader_get_error(&d) == ANJ_COAP_DOWNLOADER_ERR_TERMINATED);
    CHECK(anj_coap_downloader_start(&d, URI, NULL)
          == ANJ_COAP_DOWNLOADER_ERR_IN_PROGRESS);
    step(&d, 3);
    const anj_coap_downloader_status_t want[] = {
        ANJ_COAP_DOWNLOADER_STATUS_FINISHING, ANJ_COAP_DOWNLOADER_STATUS_FAILED
    };
    CHECK(seen_exactly(&r, want, 2));
    CHECK(anj_coap_downloader_get_error(&d) == ANJ_COAP_DOWNLOADER_ERR_TERMINATED);
    CHECK(r.error_in_failed_cb == ANJ_COAP_DOWNLOADER_ERR_TERMINATED);
    /* A finished download is no longer suspendable, terminate has no effect. */
    CHECK(anj_coap_downloader_suspend(&d) == ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE);
    anj_coap_downloader_terminate(&d);
    step(&d, 2);
    CHECK(r.count == 2);
}

static void test_terminate_from_callback(void) {
    static anj_coap_downloader_t d;
    recorder_t r;
    reset(&r);
    anj_coap_downloader_configuration_t config = {
        .event_cb = on_event,
        .event_cb_arg = &r,
    };
    CHECK(anj_coap_downloader_init(&d, &config) == 0);
    r.terminate_armed = true;
    r.terminate_on = ANJ_COAP_DOWNLOADER_STATUS_STARTING;
    CHECK(anj_coap_downloader_start(&d, URI, NULL) == 0);
    /* One status per step: Starting, then Finishing (connection closed), Failed. */
    step(&d, 1);
    CHECK(r.count == 1);
    step(&d, 1);
    CHECK(r.count == 2);
    step(&d, 3);
    const anj_coap_downloader_status_t want[] = {
        ANJ_COAP_DOWNLOADER_STATUS_STARTING, ANJ_COAP_DOWNLOADER_STATUS_FINISHING,
        ANJ_COAP_DOWNLOADER_STATUS_FAILED
    };
    CHECK(seen_exactly(&r, want, 3));
    CHECK(anj_coap_downloader_get_error(&d) == ANJ_COAP_DOWNLOADER_ERR_TERMINATED);
    /* A new download may start after a failure. */
    CHECK(anj_coap_downloader_start(&d, URI, NULL) == 0);
    anj_coap_downloader_terminate(&d);
    step(&d, 3);
}

static void test_suspend_resume(void) {
    static anj_coap_downloader_t d;
    recorder_t r;
    reset(&r);
    anj_coap_downloader_configuration_t config = {
        .event_cb = on_event,
        .event_cb_arg = &r,
        .retry_count = 3,
        .retry_delay = anj_time_duration_new(1, ANJ_TIME_UNIT_S),
    };
    CHECK(anj_coap_downloader_init(&d, &config) == 0);
    CHECK(anj_coap_downloader_start(&d, URI, NULL) == 0);
    step(&d, 1); /* Starting; connected */
    CHECK(anj_coap_downloader_suspend(&d) == 0);
    CHECK(anj_coap_downloader_suspend(&d) == 0); /* already being suspended */
    CHECK(anj_coap_downloader_resume(&d) == ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE);
    step(&d, 3);
    CHECK(anj_coap_downloader_suspend(&d) == 0); /* already suspended */
    CHECK(anj_coap_downloader_start(&d, URI, NULL)
          == ANJ_COAP_DOWNLOADER_ERR_IN_PROGRESS);
    CHECK(anj_coap_downloader_resume(&d) == 0);
    CHECK(anj_coap_downloader_resume(&d) == ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE);
    step(&d, 1);
    anj_coap_downloader_terminate(&d);
    step(&d, 3);
    const anj_coap_downloader_status_t want[] = {
        ANJ_COAP_DOWNLOADER_STATUS_STARTING, ANJ_COAP_DOWNLOADER_STATUS_SUSPENDED,
        ANJ_COAP_DOWNLOADER_STATUS_RESUMING, ANJ_COAP_DOWNLOADER_STATUS_FINISHING,
        ANJ_COAP_DOWNLOADER_STATUS_FAILED
    };
    CHECK(seen_exactly(&r, want, 5));
    CHECK(anj_coap_downloader_get_error(&d) == ANJ_COAP_DOWNLOADER_ERR_TERMINATED);
}

static void test_error_values(void) {
    /* Anjay Lite 3.0.0's values. */
    CHECK(ANJ_COAP_DOWNLOADER_ERR_INVALID_URI == -1);
    CHECK(ANJ_COAP_DOWNLOADER_ERR_IN_PROGRESS == -2);
    CHECK(ANJ_COAP_DOWNLOADER_ERR_INVALID_CONFIGURATION == -3);
    CHECK(ANJ_COAP_DOWNLOADER_ERR_TERMINATED == -4);
    CHECK(ANJ_COAP_DOWNLOADER_ERR_NETWORK == -5);
    CHECK(ANJ_COAP_DOWNLOADER_ERR_INVALID_RESPONSE == -6);
    CHECK(ANJ_COAP_DOWNLOADER_ERR_TIMEOUT == -7);
    CHECK(ANJ_COAP_DOWNLOADER_ERR_INTERNAL == -8);
    CHECK(ANJ_COAP_DOWNLOADER_ERR_ETAG_MISMATCH == -9);
    CHECK(ANJ_COAP_DOWNLOADER_ERR_INVALID_STATE == -10);
    CHECK(ANJ_COAP_DOWNLOADER_STATUS_INITIAL == 0);
    CHECK(ANJ_COAP_DOWNLOADER_STATUS_STARTING == 1);
    CHECK(ANJ_COAP_DOWNLOADER_STATUS_DOWNLOADING == 2);
    CHECK(ANJ_COAP_DOWNLOADER_STATUS_FINISHING == 3);
    CHECK(ANJ_COAP_DOWNLOADER_STATUS_FINISHED == 4);
    CHECK(ANJ_COAP_DOWNLOADER_STATUS_RETRYING == 5);
    CHECK(ANJ_COAP_DOWNLOADER_STATUS_WAITING_FOR_RETRY == 6);
    CHECK(ANJ_COAP_DOWNLOADER_STATUS_RESUMING == 7);
    CHECK(ANJ_COAP_DOWNLOADER_STATUS_FAILED == 8);
    CHECK(ANJ_COAP_DOWNLOADER_STATUS_SUSPENDED == 9);
    /* The callback type is Anjay Lite's function type. */
    anj_coap_downloader_event_callback_t *cb = on_event;
    anj_coap_downloader_configuration_t config = { .event_cb = cb };
    CHECK(config.event_cb == on_event);
}

int main(void) {
    test_error_values();
    test_init_errors();
    test_start_errors();
    test_terminate_from_callback();
    test_suspend_resume();
    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    printf("test_coap_downloader: all checks passed\n");
    return 0;
}
