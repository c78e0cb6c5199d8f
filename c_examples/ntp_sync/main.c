/*
 * anj-rs example: synchronizes time once with the NTP module (anj/ntp.h) and reports
 * the result; the NTP object /3415 is saved to memory and loaded into a second module
 * on the way (anj/persistence.h).
 *
 * usage: anj_example_ntp_sync SERVER [BACKUP_SERVER [ATTEMPTS [TIMEOUT_MS]]]
 *   SERVER, BACKUP_SERVER  host or host:port ("-" for no backup)
 *
 * The last line on stdout:
 *   ntp_sync: result=ok time_us=... local_us=... events=...
 *   ntp_sync: result=error events=...
 * where time_us is the synchronized time and local_us the system's real-time clock
 * when it was reported (both microseconds since the Unix epoch), and events the list of
 * statuses the callback saw. Exit status: 0 synchronized, 1 failed, 2 usage or setup.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/ntp.h>
#include <anj/persistence.h>

typedef struct {
    bool done;
    bool ok;
    int64_t time_us;
    int64_t local_us;
    char events[256];
} sync_t;

static int64_t realtime_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void on_event(void *arg, anj_ntp_t *ntp, anj_ntp_status_t status,
                     anj_time_real_t synchronized_time) {
    sync_t *s = (sync_t *) arg;
    static const char *const names[] = { "INITIAL", "PERIOD_EXCEEDED", "IN_PROGRESS",
                                         "OK", "ERROR", "OBJECT_UPDATED" };
    size_t len = strlen(s->events);
    snprintf(s->events + len, sizeof(s->events) - len, "%s%s", len ? "," : "",
             (unsigned) status < 6 ? names[status] : "?");
    switch (status) {
    case ANJ_NTP_STATUS_INITIAL:
        if (anj_ntp_start(ntp)) {
            s->done = true;
        }
        break;
    case ANJ_NTP_STATUS_FINISHED_SUCCESSFULLY:
        s->local_us = realtime_us();
        s->time_us = synchronized_time.since_real_epoch.us;
        s->ok = true;
        s->done = true;
        break;
    case ANJ_NTP_STATUS_FINISHED_WITH_ERROR:
        s->done = true;
        break;
    default:
        break;
    }
}

typedef struct {
    uint8_t data[512];
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

static anj_t g_anj;
static anj_ntp_t g_first, g_ntp;

int main(int argc, char **argv) {
    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: %s SERVER [BACKUP_SERVER [ATTEMPTS [TIMEOUT_MS]]]\n", argv[0]);
        return 2;
    }
    const char *backup = argc > 2 && strcmp(argv[2], "-") != 0 ? argv[2] : NULL;
    anj_configuration_t config = { .endpoint_name = "anj-ntp-sync" };
    if (anj_core_init(&g_anj, &config)) {
        return 2;
    }
    sync_t s;
    memset(&s, 0, sizeof(s));
    anj_ntp_configuration_t ntp_config = {
        .event_cb = on_event,
        .event_cb_arg = &s,
        .ntp_server_address = argv[1],
        .backup_ntp_server_address = backup,
        .attempts = (uint16_t) (argc > 3 ? atoi(argv[3]) : 1),
        .response_timeout = anj_time_duration_new(argc > 4 ? atoi(argv[4]) : 0,
                                                  ANJ_TIME_UNIT_MS),
    };
    /* A first module configured with the real addresses is saved; a second one, set
     * up with a placeholder, takes the addresses from the saved object. */
    static anj_t scratch;
    if (anj_core_init(&scratch, &config)
            || anj_ntp_init(&scratch, &g_first, &ntp_config)) {
        return 2;
    }
    mem_t m;
    memset(&m, 0, sizeof(m));
    anj_persistence_context_t st = anj_persistence_store_context_create(mem_write, &m);
    anj_persistence_context_t rs = anj_persistence_restore_context_create(mem_read, &m);
    if (anj_ntp_obj_store(&g_first, &st)) {
        return 2;
    }
    ntp_config.ntp_server_address = "placeholder.invalid";
    ntp_config.backup_ntp_server_address = NULL;
    if (anj_ntp_init(&g_anj, &g_ntp, &ntp_config) || anj_ntp_obj_restore(&g_ntp, &rs)) {
        return 2;
    }
    while (!s.done) {
        anj_ntp_step(&g_ntp);
        struct timespec pause = { 0, 1000000 };
        nanosleep(&pause, NULL);
    }
    if (s.ok) {
        printf("ntp_sync: result=ok time_us=%lld local_us=%lld events=%s\n",
               (long long) s.time_us, (long long) s.local_us, s.events);
        return 0;
    }
    printf("ntp_sync: result=error events=%s\n", s.events);
    return 1;
}
