/*
 * anj-rs C test: re-entry (docs/reentry.md). Object handlers, the Send finished handler
 * and the connection status callback call the library back while the client runs:
 *   - the functions allowed there take effect (checked through what a minimal LwM2M
 *     server on a loopback socket of this process receives, or through return values);
 *   - the others return their error (or do nothing) and the client goes on working.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/dm/device_object.h>
#include <anj/dm/security_object.h>
#include <anj/dm/server_object.h>
#include <anj/lwm2m_send.h>
#include <anj/utils.h>

#if !defined(ANJ_WITH_LWM2M_SEND) || !defined(ANJ_WITH_PLAINTEXT)
int main(void) {
    puts("Send or plain text is off: nothing to test");
    return 0;
}
#else

#    include <arpa/inet.h>
#    include <netinet/in.h>
#    include <poll.h>
#    include <sys/socket.h>
#    include <unistd.h>

static int g_failures;

#    define CHECK(cond)                                                          \
        do {                                                                     \
            if (!(cond)) {                                                       \
                fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                        #cond);                                                  \
                g_failures++;                                                    \
            }                                                                    \
        } while (0)

static anj_t g_anj;
static anj_dm_device_obj_t g_device;
static anj_dm_server_obj_t g_server;
static anj_dm_security_obj_t g_security;

#    include "coap_peer.h"

static void respond(const msg_t *req, uint8_t code);
static int find_opt(const msg_t *m, uint16_t num);

/* A registration Update: POST rd/7 (the location given to the Register). */
static int g_updates;
static bool is_update(const msg_t *m) {
    int k = find_opt(m, OPT_URI_PATH);
    return m->type == TYPE_CON && m->code == CODE(0, 2) && k >= 0
           && (size_t) k + 1 < m->opt_count && m->opt_num[k + 1] == OPT_URI_PATH
           && m->opt_len[k + 1] == 1 && m->opt_val[k + 1][0] == '7';
}

/* Steps the client until a datagram other than an Update (answered 2.04) arrives
 * (true) or `timeout_ms` passed (false). */
static bool recv_msg(msg_t *m, long timeout_ms) {
    long end = now_ms() + timeout_ms;
    while (now_ms() < end) {
        anj_core_step(&g_anj);
        struct pollfd p = { .fd = g_sock, .events = POLLIN };
        if (poll(&p, 1, 1) > 0) {
            g_peer_len = sizeof(g_peer);
            ssize_t n = recvfrom(g_sock, m->raw, sizeof(m->raw), 0,
                                 (struct sockaddr *) &g_peer, &g_peer_len);
            if (n > 0) {
                if (parse(m, (size_t) n)) {
                    if (is_update(m)) {
                        g_updates++;
                        respond(m, CODE(2, 4));
                        continue;
                    }
                    return true;
                }
                fprintf(stderr, "malformed datagram from the client\n");
                g_failures++;
            }
        }
    }
    return false;
}


static void opt_uint(opt_writer_t *w, uint16_t num, uint32_t v) {
    uint8_t b[4];
    size_t n = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        if (n || (v >> shift) & 0xFF) {
            b[n++] = (uint8_t) (v >> shift);
        }
    }
    opt(w, num, b, n);
}

/* Answers `req` with a piggybacked response `code` (and Location-Path rd/7 for a 2.01). */
static void respond(const msg_t *req, uint8_t code) {
    uint8_t ack[32];
    ack[0] = (uint8_t) (0x60 | req->token_len);
    ack[1] = code;
    ack[2] = (uint8_t) (req->mid >> 8);
    ack[3] = (uint8_t) req->mid;
    memcpy(ack + 4, req->token, req->token_len);
    opt_writer_t w = { ack + 4 + req->token_len, 0 };
    if (code == CODE(2, 1)) {
        opt(&w, 8, "rd", 2);
        opt(&w, 8, "7", 1);
    }
    send_raw(ack, (size_t) (w.p - ack));
}

/* ------------------------------------------------------- the application objects */

static int64_t g_value = 42;

static int res_read(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid, anj_rid_t rid,
                    anj_riid_t riid, anj_res_value_t *out) {
    (void) anj;
    (void) obj;
    (void) iid;
    (void) riid;
    if (rid == 0) {
        out->int_value = g_value;
        return 0;
    }
    if (rid == 2) {
        out->int_value = 7;
        return 0;
    }
    return ANJ_DM_ERR_NOT_FOUND;
}

static int res_execute(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid,
                       anj_rid_t rid, const char *arg, size_t arg_len);

static const anj_dm_res_t RES[] = {
    { .rid = 0, .type = ANJ_DATA_TYPE_INT, .kind = ANJ_DM_RES_R },
    { .rid = 1, .type = ANJ_DATA_TYPE_NULL, .kind = ANJ_DM_RES_E },
    { .rid = 2, .type = ANJ_DATA_TYPE_INT, .kind = ANJ_DM_RES_R },
};
static const anj_dm_obj_inst_t INST = { .iid = 0, .resources = RES, .res_count = 3 };
static const anj_dm_handlers_t HANDLERS = { .res_read = res_read,
                                            .res_execute = res_execute };
static const anj_dm_obj_t OBJ = {
    .oid = 1000, .version = "1.0", .handlers = &HANDLERS, .insts = &INST, .max_inst_count = 1
};
static const anj_dm_obj_t OBJ2 = {
    .oid = 1001, .version = "1.0", .handlers = &HANDLERS, .insts = &INST, .max_inst_count = 1
};

/* ------------------------------------------------------------------ Send */

static anj_io_out_entry_t g_record;
static anj_send_request_t g_req[3];
static int g_finished[3];
static int g_result[3] = { 1, 1, 1 };
static int g_fh_read_rc = 1;
static int64_t g_fh_read_value;
static int g_fh_new_rc = 1, g_fh_new2_rc = 1, g_fh_abort_rc = 1;

static void send_finished(anj_t *anj, uint16_t send_id, int result, void *data) {
    (void) send_id;
    int k = (int) (intptr_t) data;
    g_finished[k]++;
    g_result[k] = result;
    if (k == 0) {
        /* Allowed in the finished handler: reading, queueing and aborting Sends. */
        anj_res_value_t v;
        g_fh_read_rc = anj_dm_res_read(anj, &ANJ_MAKE_RESOURCE_PATH(1000, 0, 2), &v);
        g_fh_read_value = v.int_value;
        uint16_t id1 = 0, id2 = 0;
        g_fh_new_rc = anj_send_new_request(anj, &g_req[1], &id1);
        g_fh_abort_rc = anj_send_abort(anj, id1);
        g_fh_new2_rc = anj_send_new_request(anj, &g_req[2], &id2);
    }
}

static void init_send_requests(void) {
    memset(&g_record, 0, sizeof(g_record));
    g_record.path = ANJ_MAKE_RESOURCE_PATH(1000, 0, 0);
    g_record.type = ANJ_DATA_TYPE_INT;
    g_record.value.int_value = 99;
    for (int k = 0; k < 3; k++) {
        memset(&g_req[k], 0, sizeof(g_req[k]));
        g_req[k].records = &g_record;
        g_req[k].records_cnt = 1;
        g_req[k].finished_handler = send_finished;
        g_req[k].data = (void *) (intptr_t) k;
        g_req[k].content_format = ANJ_SEND_CONTENT_FORMAT_SENML_CBOR;
    }
}

/* ------------------------------------------------------ the handler battery */

static int g_phase;
static int g_exec_calls;
/* Phase 1 results. */
static int g_read_rc = 1;
static int64_t g_read_value;
static bool g_ongoing;
static int g_send_rc = 1;
static int g_add_rc, g_remove_rc, g_shutdown_rc;
static anj_time_duration_t g_next = { 12345 };

static int res_execute(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid,
                       anj_rid_t rid, const char *arg, size_t arg_len) {
    (void) obj;
    (void) iid;
    (void) arg;
    (void) arg_len;
    if (rid != 1) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    g_exec_calls++;
    switch (g_phase) {
    case 1: {
        /* Allowed. */
        anj_res_value_t v;
        g_read_rc = anj_dm_res_read(anj, &ANJ_MAKE_RESOURCE_PATH(1000, 0, 2), &v);
        g_read_value = v.int_value;
        g_ongoing = anj_core_ongoing_operation(anj);
        anj_core_request_update(anj);
        uint16_t id = 0;
        g_send_rc = anj_send_new_request(anj, &g_req[0], &id);
        /* Not allowed: each refused, logged, the client untouched. */
        anj_core_step(anj);
        g_add_rc = anj_dm_add_obj(anj, &OBJ2);
        g_remove_rc = anj_dm_remove_obj(anj, 1000);
        g_next = anj_core_next_step_time(anj);
        g_shutdown_rc = anj_core_shutdown(anj);
        break;
    }
    case 2:
        anj_core_data_model_changed(anj, &ANJ_MAKE_INSTANCE_PATH(1000, 0),
                                    ANJ_CORE_CHANGE_TYPE_ADDED);
        break;
    case 3:
        anj_core_server_obj_registration_update_trigger_executed(anj);
        break;
    case 4:
        anj_core_disable_server(anj, anj_time_duration_new(1, ANJ_TIME_UNIT_S));
        break;
    case 5:
        anj_core_restart(anj);
        break;
    case 6:
        anj_core_server_obj_disable_executed(anj, 1);
        break;
    case 7:
        anj_core_server_obj_bootstrap_request_trigger_executed(anj);
        break;
    case 8:
        anj_core_request_bootstrap(anj);
        break;
    default:
        break;
    }
    return 0;
}

/* ------------------------------------------------- the connection status callback */

static int g_registered;
static int g_cb_read_rc = 1;
static bool g_cb_ongoing = true;
static int g_cb_shutdown_rc, g_cb_add_rc = 1, g_cb_remove_rc = 1;

static void status_cb(void *arg, anj_t *anj, anj_conn_status_t status) {
    (void) arg;
    if (status != ANJ_CONN_STATUS_REGISTERED) {
        return;
    }
    if (++g_registered != 1) {
        return;
    }
    anj_res_value_t v;
    g_cb_read_rc = anj_dm_res_read(anj, &ANJ_MAKE_RESOURCE_PATH(1000, 0, 0), &v);
    g_cb_ongoing = anj_core_ongoing_operation(anj);
    /* Adding and removing objects is allowed here (no data model operation runs)... */
    g_cb_add_rc = anj_dm_add_obj(anj, &OBJ2);
    g_cb_remove_rc = anj_dm_remove_obj(anj, 1001);
    /* ...stepping and shutting down are not. */
    anj_core_step(anj);
    g_cb_shutdown_rc = anj_core_shutdown(anj);
}

/* -------------------------------------------------------------- the server side */

static bool has_path(const msg_t *m, const char *first) {
    int k = find_opt(m, OPT_URI_PATH);
    return k >= 0 && m->opt_len[k] == strlen(first)
           && memcmp(m->opt_val[k], first, m->opt_len[k]) == 0;
}

static bool is_register(const msg_t *m) {
    return m->type == TYPE_CON && m->code == CODE(0, 2) && has_path(m, "rd")
           && !is_update(m);
}

/* Waits for a Register and accepts it. */
static bool accept_register(long timeout_ms) {
    static msg_t m;
    long end = now_ms() + timeout_ms;
    while (now_ms() < end && recv_msg(&m, end - now_ms())) {
        if (is_register(&m)) {
            respond(&m, CODE(2, 1));
            return true;
        }
        fprintf(stderr, "unexpected datagram (code %d.%02d) skipped\n", m.code >> 5,
                m.code & 31);
    }
    return false;
}

/* Executes /1000/0/1 in `phase`; true on a 2.04. */
static bool execute(int phase) {
    g_phase = phase;
    uint8_t msg[64];
    uint16_t mid = g_mid++;
    msg[0] = 0x40 | 2;
    msg[1] = CODE(0, 2);
    msg[2] = (uint8_t) (mid >> 8);
    msg[3] = (uint8_t) mid;
    msg[4] = 'e';
    msg[5] = (uint8_t) phase;
    opt_writer_t w = { msg + 6, 0 };
    opt(&w, OPT_URI_PATH, "1000", 4);
    opt(&w, OPT_URI_PATH, "0", 1);
    opt(&w, OPT_URI_PATH, "1", 1);
    send_raw(msg, (size_t) (w.p - msg));
    static msg_t m;
    while (recv_msg(&m, 3000)) {
        if (m.type == TYPE_ACK && m.mid == mid) {
            return m.code == CODE(2, 4);
        }
        fprintf(stderr, "unexpected datagram (code %d.%02d) skipped\n", m.code >> 5,
                m.code & 31);
    }
    return false;
}

/* Reads /1000/0/0 as text; true when the server gets 2.05 "42". */
static bool read_value(void) {
    uint8_t msg[64];
    uint16_t mid = g_mid++;
    msg[0] = 0x40 | 1;
    msg[1] = CODE(0, 1);
    msg[2] = (uint8_t) (mid >> 8);
    msg[3] = (uint8_t) mid;
    msg[4] = 'r';
    opt_writer_t w = { msg + 5, 0 };
    opt(&w, OPT_URI_PATH, "1000", 4);
    opt(&w, OPT_URI_PATH, "0", 1);
    opt(&w, OPT_URI_PATH, "0", 1);
    opt_uint(&w, OPT_ACCEPT, 0);
    send_raw(msg, (size_t) (w.p - msg));
    static msg_t m;
    while (recv_msg(&m, 3000)) {
        if (m.type == TYPE_ACK && m.mid == mid) {
            return m.code == CODE(2, 5) && m.payload_len == 2
                   && memcmp(m.payload, "42", 2) == 0;
        }
    }
    return false;
}

/* Steps for `ms` (answering Updates); returns how many Updates came. */
static int updates_within(long ms) {
    static msg_t m;
    int before = g_updates;
    long end = now_ms() + ms;
    while (now_ms() < end) {
        if (recv_msg(&m, end - now_ms())) {
            fprintf(stderr, "unexpected datagram (code %d.%02d) skipped\n", m.code >> 5,
                    m.code & 31);
        }
    }
    return g_updates - before;
}

/* Waits for a De-register (DELETE rd/7) and answers it. */
static bool deregistered(long timeout_ms) {
    static msg_t m;
    long end = now_ms() + timeout_ms;
    while (now_ms() < end && recv_msg(&m, end - now_ms())) {
        if (m.code == CODE(0, 4) && has_path(&m, "rd")) {
            respond(&m, CODE(2, 2));
            return true;
        }
        fprintf(stderr, "unexpected datagram (code %d.%02d) skipped\n", m.code >> 5,
                m.code & 31);
    }
    return false;
}

static void setup(void) {
    g_sock = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(g_sock >= 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(g_sock, (struct sockaddr *) &addr, sizeof(addr)) == 0);
    socklen_t alen = sizeof(addr);
    CHECK(getsockname(g_sock, (struct sockaddr *) &addr, &alen) == 0);
    static char uri[64];
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u", (unsigned) ntohs(addr.sin_port));

    anj_configuration_t config;
    memset(&config, 0, sizeof(config));
    config.endpoint_name = "c-reentry";
    config.connection_status_cb = status_cb;
    CHECK(anj_core_init(&g_anj, &config) == 0);
    anj_dm_device_object_init_t dev;
    memset(&dev, 0, sizeof(dev));
    dev.firmware_version = "1.0";
    anj_dm_server_instance_init_t srv;
    memset(&srv, 0, sizeof(srv));
    srv.ssid = 1;
    srv.lifetime = 300;
    srv.binding = "U";
    anj_dm_security_instance_init_t sec;
    memset(&sec, 0, sizeof(sec));
    sec.server_uri = uri;
    sec.ssid = 1;
    sec.security_mode = ANJ_DM_SECURITY_NOSEC;
    anj_dm_server_obj_init(&g_server);
    anj_dm_security_obj_init(&g_security);
    CHECK(anj_dm_device_obj_install(&g_anj, &g_device, &dev) == 0);
    CHECK(anj_dm_server_obj_add_instance(&g_server, &srv) == 0);
    CHECK(anj_dm_server_obj_install(&g_anj, &g_server) == 0);
    CHECK(anj_dm_security_obj_add_instance(&g_security, &sec) == 0);
    CHECK(anj_dm_security_obj_install(&g_anj, &g_security) == 0);
    CHECK(anj_dm_add_obj(&g_anj, &OBJ) == 0);
    init_send_requests();
}

/* The status callback's calls, on the first REGISTERED. */
static void test_status_callback(void) {
    CHECK(accept_register(3000));
    updates_within(300);
    CHECK(g_registered == 1);
    CHECK(g_cb_read_rc == 0);
    CHECK(!g_cb_ongoing);
    CHECK(g_cb_add_rc == 0);
    CHECK(g_cb_remove_rc == 0);
    CHECK(g_cb_shutdown_rc != 0);
    anj_res_value_t v;
    CHECK(anj_dm_res_read(&g_anj, &ANJ_MAKE_RESOURCE_PATH(1001, 0, 0), &v)
          == ANJ_DM_ERR_NOT_FOUND);
}

/* Phase 1: the allowed calls took effect, the refused ones changed nothing. */
static void test_object_handler(void) {
    int updates = g_updates;
    CHECK(execute(1));
    CHECK(g_exec_calls == 1);
    CHECK(g_read_rc == 0 && g_read_value == 7);
    CHECK(g_ongoing);
    CHECK(g_send_rc == 0);
    CHECK(g_add_rc != 0);
    CHECK(g_remove_rc != 0);
    CHECK(anj_time_duration_eq(g_next, ANJ_TIME_DURATION_ZERO));
    CHECK(g_shutdown_rc != 0);

    /* The Send queued in the handler goes out; the Update requested there too. */
    static msg_t m;
    bool got = false;
    while (recv_msg(&m, 3000)) {
        if (m.code == CODE(0, 2) && has_path(&m, "dp")) {
            got = true;
            break;
        }
    }
    CHECK(got);
    if (got) {
        respond(&m, CODE(2, 4));
    }
    /* The finished handler queued one, aborted it, and queued another. */
    got = false;
    while (recv_msg(&m, 3000)) {
        if (m.code == CODE(0, 2) && has_path(&m, "dp")) {
            got = true;
            break;
        }
    }
    CHECK(got);
    if (got) {
        respond(&m, CODE(2, 4));
    }
    updates_within(300);
    CHECK(g_updates > updates);
    CHECK(g_finished[0] == 1 && g_result[0] == ANJ_SEND_SUCCESS);
    CHECK(g_fh_read_rc == 0 && g_fh_read_value == 7);
    CHECK(g_fh_new_rc == 0 && g_fh_new2_rc == 0 && g_fh_abort_rc == 0);
    CHECK(g_finished[1] == 1 && g_result[1] == ANJ_SEND_ERR_ABORT);
    CHECK(g_finished[2] == 1 && g_result[2] == ANJ_SEND_SUCCESS);

    /* The client is whole: /1000 is still there, /1001 was not added. */
    CHECK(read_value());
    anj_res_value_t v;
    CHECK(anj_dm_res_read(&g_anj, &ANJ_MAKE_RESOURCE_PATH(1001, 0, 0), &v)
          == ANJ_DM_ERR_NOT_FOUND);
    CHECK(anj_dm_res_read(&g_anj, &ANJ_MAKE_RESOURCE_PATH(1000, 0, 0), &v) == 0
          && v.int_value == 42);
}

static void test_requests(void) {
    CHECK(execute(2)); /* anj_core_data_model_changed: an Update */
    CHECK(updates_within(500) >= 1);
    CHECK(execute(3)); /* Registration Update Trigger: an Update */
    CHECK(updates_within(500) >= 1);
    CHECK(execute(4)); /* anj_core_disable_server (1 s): de-register, back after 1 s */
    CHECK(deregistered(2000));
    long t = now_ms();
    CHECK(accept_register(3000));
    CHECK(now_ms() - t >= 900);
    CHECK(execute(5)); /* anj_core_restart: de-register, register again */
    CHECK(deregistered(2000));
    CHECK(accept_register(3000));
    CHECK(execute(6)); /* Disable executed (1 s) */
    CHECK(deregistered(2000));
    CHECK(accept_register(3000));
    CHECK(read_value());
#    ifdef ANJ_WITH_BOOTSTRAP
    CHECK(execute(7)); /* Bootstrap-Request Trigger: de-register first */
    CHECK(deregistered(2000));
#    endif
}

int main(void) {
    setup();
    test_status_callback();
    test_object_handler();
    test_requests();
    int r;
    long end = now_ms() + 5000;
    while ((r = anj_core_shutdown(&g_anj)) == ANJ_NET_EAGAIN && now_ms() < end) {
        sleep_ms(1);
    }
    CHECK(r == 0);
    close(g_sock);
    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    puts("reentry: all checks passed");
    return 0;
}
#endif
