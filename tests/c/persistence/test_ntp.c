/*
 * anj-rs C test: anj/ntp.h without a network exchange: configuration checks, object
 * /3415 as the data model shows it, start/terminate and the events they cause, and the
 * object's store/restore (corrupt data refused, values unchanged).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/ntp.h>
#include <anj/persistence.h>
#include <anj/utils.h>

static int g_failures;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            g_failures++;                                                    \
        }                                                                    \
    } while (0)

typedef struct {
    anj_ntp_status_t seen[16];
    size_t count;
} events_t;

static anj_ntp_event_callback_t on_event;

static void on_event(void *arg, anj_ntp_t *ntp, anj_ntp_status_t status,
                     anj_time_real_t synchronized_time) {
    (void) ntp;
    (void) synchronized_time;
    events_t *e = (events_t *) arg;
    if (e->count < 16) {
        e->seen[e->count++] = status;
    }
}

typedef struct {
    uint8_t data[256];
    size_t len;
    size_t pos;
} mem_t;

static int mem_write(void *ctx, const void *buf, size_t size) {
    mem_t *m = (mem_t *) ctx;
    if (m->len + size > sizeof(m->data)) {
        return -1;
    }
    memcpy(m->data + m->len, buf, size);
    m->len += size;
    return 0;
}

static int mem_read(void *ctx, void *buf, size_t size) {
    mem_t *m = (mem_t *) ctx;
    if (m->pos + size > m->len) {
        return -1;
    }
    memcpy(buf, m->data + m->pos, size);
    m->pos += size;
    return 0;
}

static const char *read_string(anj_t *anj, anj_rid_t rid) {
    anj_res_value_t v;
    if (anj_dm_res_read(anj, &ANJ_MAKE_RESOURCE_PATH(3415, 0, rid), &v)) {
        return "<error>";
    }
    return (const char *) v.bytes_or_string.data;
}

static anj_t g_anj, g_anj2;
static anj_ntp_t g_ntp, g_ntp2, g_bad;

int main(void) {
    anj_configuration_t config = { .endpoint_name = "c-ntp" };
    CHECK(anj_core_init(&g_anj, &config) == 0);
    CHECK(anj_core_init(&g_anj2, &config) == 0);
    events_t ev;
    memset(&ev, 0, sizeof(ev));
    anj_net_socket_configuration_t sock = { 0 };
    anj_ntp_configuration_t cfg = {
        .event_cb = on_event,
        .event_cb_arg = &ev,
        .ntp_server_address = "127.0.0.1:9",
        .backup_ntp_server_address = "[::1]:9",
        .ntp_period_hours = 12,
        .attempts = 2,
        .response_timeout = anj_time_duration_new(100, ANJ_TIME_UNIT_MS),
        .net_socket_cfg = &sock,
    };

    CHECK(sizeof(anj_ntp_t) == ANJ_INTERNAL_SIZEOF_NTP);

    /* Invalid configurations. */
    anj_ntp_configuration_t bad = cfg;
    bad.event_cb = NULL;
    CHECK(anj_ntp_init(&g_anj, &g_bad, &bad) == ANJ_NTP_ERR_CONFIGURATION);
    bad = cfg;
    bad.ntp_server_address = "";
    CHECK(anj_ntp_init(&g_anj, &g_bad, &bad) == ANJ_NTP_ERR_CONFIGURATION);
    bad = cfg;
    bad.ntp_server_address = "0123456789012345678901234567890123456789";
    CHECK(anj_ntp_init(&g_anj, &g_bad, &bad) == ANJ_NTP_ERR_CONFIGURATION);

    /* The object and its resources. */
    CHECK(anj_ntp_init(&g_anj, &g_ntp, &cfg) == 0);
    CHECK(anj_ntp_init(&g_anj, &g_bad, &cfg) == ANJ_NTP_ERR_OBJECT_CREATION_FAILED);
    CHECK(strcmp(read_string(&g_anj, 1), "127.0.0.1:9") == 0);
    CHECK(strcmp(read_string(&g_anj, 2), "[::1]:9") == 0);
    anj_res_value_t v;
    CHECK(anj_dm_res_read(&g_anj, &ANJ_MAKE_RESOURCE_PATH(3415, 0, 3), &v) == 0);
    CHECK(v.int_value == 12);
    CHECK(anj_dm_res_read(&g_anj, &ANJ_MAKE_RESOURCE_PATH(3415, 0, 5), &v) == 0);
    CHECK(!v.bool_value);

    /* INITIAL on the first step; start; a second start is refused; terminate ends it
     * with an error, without retries. */
    anj_ntp_step(&g_ntp);
    CHECK(ev.count == 1 && ev.seen[0] == ANJ_NTP_STATUS_INITIAL);
    CHECK(anj_ntp_start(&g_ntp) == 0);
    CHECK(anj_ntp_start(&g_ntp) == ANJ_NTP_ERR_IN_PROGRESS);
    anj_ntp_terminate(&g_ntp);
    for (int i = 0; i < 5; i++) {
        anj_ntp_step(&g_ntp);
    }
    CHECK(ev.count == 3 && ev.seen[1] == ANJ_NTP_STATUS_IN_PROGRESS
          && ev.seen[2] == ANJ_NTP_STATUS_FINISHED_WITH_ERROR);
    CHECK(anj_dm_res_read(&g_anj, &ANJ_MAKE_RESOURCE_PATH(3415, 0, 5), &v) == 0);
    CHECK(v.bool_value);

    /* Store; restore into a module set up differently; corrupt copies change nothing. */
    static mem_t m;
    anj_persistence_context_t st = anj_persistence_store_context_create(mem_write, &m);
    CHECK(anj_ntp_obj_store(&g_ntp, &st) == 0);
    anj_ntp_configuration_t other = cfg;
    other.ntp_server_address = "other.example";
    other.backup_ntp_server_address = NULL;
    other.ntp_period_hours = 0;
    CHECK(anj_ntp_init(&g_anj2, &g_ntp2, &other) == 0);
    anj_persistence_context_t rs = anj_persistence_restore_context_create(mem_read, &m);
    for (size_t i = 0; i < m.len; i++) {
        m.data[i] ^= 0x80;
        m.pos = 0;
        CHECK(anj_ntp_obj_restore(&g_ntp2, &rs) < 0);
        m.data[i] ^= 0x80;
    }
    CHECK(strcmp(read_string(&g_anj2, 1), "other.example") == 0);
    m.pos = 0;
    CHECK(anj_ntp_obj_restore(&g_ntp2, &rs) == 0);
    CHECK(strcmp(read_string(&g_anj2, 1), "127.0.0.1:9") == 0);
    CHECK(strcmp(read_string(&g_anj2, 2), "[::1]:9") == 0);
    CHECK(anj_dm_res_read(&g_anj2, &ANJ_MAKE_RESOURCE_PATH(3415, 0, 3), &v) == 0);
    CHECK(v.int_value == 12);

    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    printf("test_ntp: OK\n");
    return 0;
}
