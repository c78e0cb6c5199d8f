/*
 * anj-rs C test: Observe/Notify and LwM2M Send as C firmware drives them, in real time,
 * against a minimal LwM2M server written here on a loopback UDP socket of the same
 * process.
 *
 * The server accepts the Register, writes the attributes pmin=1 and pmax=3 to
 * /1000/0/0 (an object of this program), observes it and checks that:
 *   - after the application changes the value and calls anj_core_data_model_changed(),
 *     a notification with the new value and a larger Observe number arrives, but not
 *     before pmin has passed since the observation's response;
 *   - a GET with Observe=1 (cancel) is answered without Observe and no notification
 *     follows, neither for a change nor at pmax;
 *   - anj_send_new_request() goes out as a confirmable POST /dp in SenML CBOR holding
 *     the record, and the finished handler runs with ANJ_SEND_SUCCESS only once the
 *     server's 2.04 has arrived (and with ANJ_SEND_ERR_REJECTED after a 4.00).
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

#if !defined(ANJ_WITH_OBSERVE) || !defined(ANJ_WITH_LWM2M_SEND) \
        || !defined(ANJ_WITH_SENML_CBOR) || !defined(ANJ_WITH_PLAINTEXT)
int main(void) {
    puts("Observe, Send, SenML CBOR or plain text is off: nothing to test");
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

/* ------------------------------------------------------- the application object */

static int64_t g_value = 42;

static int res_read(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid, anj_rid_t rid,
                    anj_riid_t riid, anj_res_value_t *out) {
    (void) anj;
    (void) obj;
    (void) iid;
    (void) riid;
    if (rid != 0) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    out->int_value = g_value;
    return 0;
}

static const anj_dm_res_t RES[] = {
    { .rid = 0, .type = ANJ_DATA_TYPE_INT, .kind = ANJ_DM_RES_R },
};
static const anj_dm_obj_inst_t INST = { .iid = 0, .resources = RES, .res_count = 1 };
static const anj_dm_handlers_t HANDLERS = { .res_read = res_read };
static const anj_dm_obj_t OBJ = {
    .oid = 1000, .version = "1.0", .handlers = &HANDLERS, .insts = &INST, .max_inst_count = 1
};

static void app_sets(anj_t *anj, int64_t value) {
    g_value = value;
    anj_core_data_model_changed(anj, &ANJ_MAKE_RESOURCE_PATH(1000, 0, 0),
                                ANJ_CORE_CHANGE_TYPE_VALUE_CHANGED);
}

/* -------------------------------------------------------------- the CoAP side */

static anj_t g_anj;
static anj_dm_device_obj_t g_device;
static anj_dm_server_obj_t g_server;
static anj_dm_security_obj_t g_security;

#    include "coap_peer.h"

/* The value of uint option `num`, or -1 when absent. */
static long uint_opt(const msg_t *m, uint16_t num) {
    int i = find_opt(m, num);
    if (i < 0) {
        return -1;
    }
    long v = 0;
    for (size_t k = 0; k < m->opt_len[i]; k++) {
        v = (v << 8) | m->opt_val[i][k];
    }
    return v;
}

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

typedef struct {
    int observe;          /* -1: no Observe option */
    const char *query[3]; /* NULL-terminated Uri-Query options */
    int accept;           /* -1: none */
} req_opts_t;

static const char *const PATH[] = { "1000", "0", "0", NULL };
static const uint8_t TOKEN[] = { 'o', 'b', 's', '1' };

/* Sends a CON request for /1000/0/0 and waits for its piggybacked response, which
 * `resp` receives (other datagrams are reported and skipped). */
static bool request(uint8_t code, const req_opts_t *o, msg_t *resp) {
    uint8_t msg[128];
    uint16_t mid = g_mid++;
    msg[0] = 0x40 | sizeof(TOKEN);
    msg[1] = code;
    msg[2] = (uint8_t) (mid >> 8);
    msg[3] = (uint8_t) mid;
    memcpy(msg + 4, TOKEN, sizeof(TOKEN));
    opt_writer_t w = { msg + 4 + sizeof(TOKEN), 0 };
    if (o->observe >= 0) {
        opt_uint(&w, OPT_OBSERVE, (uint32_t) o->observe);
    }
    for (const char *const *p = PATH; *p; p++) {
        opt(&w, OPT_URI_PATH, *p, strlen(*p));
    }
    for (int i = 0; o->query[i]; i++) {
        opt(&w, OPT_URI_QUERY, o->query[i], strlen(o->query[i]));
    }
    if (o->accept >= 0) {
        opt_uint(&w, OPT_ACCEPT, (uint32_t) o->accept);
    }
    send_raw(msg, (size_t) (w.p - msg));
    while (recv_msg(resp, 3000)) {
        if (resp->type == TYPE_ACK && resp->mid == mid) {
            return true;
        }
        fprintf(stderr, "unexpected datagram (code %d.%02d) skipped\n", resp->code >> 5,
                resp->code & 31);
    }
    return false;
}

static bool is_payload(const msg_t *m, const char *text) {
    return m->payload_len == strlen(text) && memcmp(m->payload, text, m->payload_len) == 0;
}

static bool contains(const msg_t *m, const void *needle, size_t len) {
    for (size_t i = 0; i + len <= m->payload_len; i++) {
        if (memcmp(m->payload + i, needle, len) == 0) {
            return true;
        }
    }
    return false;
}

/* A notification of our observation: token obs1, 2.05. */
static bool is_notification(const msg_t *m) {
    return (m->type == TYPE_NON || m->type == TYPE_CON) && m->code == CODE(2, 5)
           && m->token_len == sizeof(TOKEN) && memcmp(m->token, TOKEN, sizeof(TOKEN)) == 0;
}

/* Waits for the next notification; an Empty ACK answers a confirmable one. */
static bool next_notification(msg_t *m, long timeout_ms) {
    long end = now_ms() + timeout_ms;
    while (now_ms() < end) {
        if (!recv_msg(m, end - now_ms())) {
            return false;
        }
        if (is_notification(m)) {
            if (m->type == TYPE_CON) {
                uint8_t ack[4] = { 0x60, 0, (uint8_t) (m->mid >> 8), (uint8_t) m->mid };
                send_raw(ack, sizeof(ack));
            }
            return true;
        }
        fprintf(stderr, "unexpected datagram (code %d.%02d) skipped\n", m->code >> 5,
                m->code & 31);
    }
    return false;
}

/* ---------------------------------------------------------------------- Send */

static int g_send_calls;
static uint16_t g_send_id;
static int g_send_result;
static void *g_send_data;

static void send_finished(anj_t *anj, uint16_t send_id, int result, void *data) {
    (void) anj;
    g_send_calls++;
    g_send_id = send_id;
    g_send_result = result;
    g_send_data = data;
}

/* Queues a Send of /1000/0/0 = `value`, checks the POST /dp the server gets and answers
 * it with `code`; returns the result the finished handler got. */
static int send_and_answer(int64_t value, uint8_t code) {
    static anj_io_out_entry_t record;
    memset(&record, 0, sizeof(record));
    record.path = ANJ_MAKE_RESOURCE_PATH(1000, 0, 0);
    record.type = ANJ_DATA_TYPE_INT;
    record.value.int_value = value;
    record.timestamp = 1763990000.0;
    /* The request itself, too, must stay valid until the handler ran. */
    static anj_send_request_t req;
    memset(&req, 0, sizeof(req));
    req.records = &record;
    req.records_cnt = 1;
    req.finished_handler = send_finished;
    req.data = &record;
    req.content_format = ANJ_SEND_CONTENT_FORMAT_SENML_CBOR;
    uint16_t id = 0;
    g_send_calls = 0;
    g_send_result = 1;
    CHECK(anj_send_new_request(&g_anj, &req, &id) == 0);

    static msg_t m;
    bool got = false;
    while (recv_msg(&m, 3000)) {
        if (m.code == CODE(0, 2)) { /* POST */
            got = true;
            break;
        }
        fprintf(stderr, "unexpected datagram (code %d.%02d) skipped\n", m.code >> 5,
                m.code & 31);
    }
    CHECK(got);
    if (!got) {
        return 1;
    }
    CHECK(m.type == TYPE_CON);
    int path = find_opt(&m, OPT_URI_PATH);
    CHECK(path >= 0 && m.opt_len[path] == 2 && memcmp(m.opt_val[path], "dp", 2) == 0);
    CHECK(uint_opt(&m, OPT_CONTENT_FORMAT) == 112); /* SenML CBOR */
    /* The record: its name and the integer (CBOR unsigned, one byte after 0x18). */
    CHECK(contains(&m, "/1000/0/0", 9));
    uint8_t cbor_value[2] = { 0x18, (uint8_t) value };
    CHECK(value >= 24 && value < 256 && contains(&m, cbor_value, 2));

    /* Not finished before the server answered. */
    for (int i = 0; i < 20; i++) {
        anj_core_step(&g_anj);
    }
    CHECK(g_send_calls == 0);
    respond(&m, code);
    long end = now_ms() + 1000;
    while (g_send_calls == 0 && now_ms() < end) {
        anj_core_step(&g_anj);
        sleep_ms(1);
    }
    CHECK(g_send_calls == 1);
    CHECK(g_send_id == id);
    CHECK(g_send_data == &record);
    return g_send_result;
}

/* ----------------------------------------------------------------------- test */

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
    config.endpoint_name = "c-observe-send";
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
}

static void test_register(void) {
    static msg_t m;
    CHECK(recv_msg(&m, 3000));
    CHECK(m.type == TYPE_CON && m.code == CODE(0, 2));
    int path = find_opt(&m, OPT_URI_PATH);
    CHECK(path >= 0 && m.opt_len[path] == 2 && memcmp(m.opt_val[path], "rd", 2) == 0);
    CHECK(contains(&m, "</1000/0>", 9) || contains(&m, "</1000>", 7));
    respond(&m, CODE(2, 1));
    /* Nothing but (possibly) an Update, which recv_msg() answers, for a while. */
    CHECK(!recv_msg(&m, 300));
    CHECK(g_updates <= 1);
}

static void test_observe_and_cancel(void) {
    static msg_t r, n1, n2, n;
    /* Write-Attributes. */
    req_opts_t attrs = { .observe = -1, .query = { "pmin=1", "pmax=3", NULL }, .accept = -1 };
    CHECK(request(CODE(0, 3), &attrs, &r));
    CHECK(r.code == CODE(2, 4));

    /* Observe. */
    req_opts_t observe = { .observe = 0, .query = { NULL }, .accept = 0 /* text/plain */ };
    long t_request = now_ms();
    CHECK(request(CODE(0, 1), &observe, &r));
    CHECK(r.code == CODE(2, 5));
    CHECK(is_payload(&r, "42"));
    long seq0 = uint_opt(&r, OPT_OBSERVE);
    CHECK(seq0 >= 0);

    /* A change right away: notified with the new value once pmin (1 s) has passed. */
    app_sets(&g_anj, 43);
    CHECK(next_notification(&n1, 2500));
    long t1 = now_ms();
    CHECK(t1 - t_request >= 1000);
    CHECK(t1 - t_request <= 1800);
    CHECK(is_payload(&n1, "43"));
    long seq1 = uint_opt(&n1, OPT_OBSERVE);
    CHECK(seq1 > seq0);
    CHECK(uint_opt(&n1, OPT_CONTENT_FORMAT) == 0);

    /* Another change: again not before pmin after the previous notification (its
     * receipt can only be later than its sending, so allow a few ms). */
    app_sets(&g_anj, 44);
    CHECK(next_notification(&n2, 2500));
    long t2 = now_ms();
    CHECK(t2 - t1 >= 990);
    CHECK(is_payload(&n2, "44"));
    CHECK(uint_opt(&n2, OPT_OBSERVE) > seq1);

    /* Without a change, pmax (3 s) brings the same value again. */
    CHECK(next_notification(&n, 4000));
    long t3 = now_ms();
    CHECK(t3 - t2 >= 2900 && t3 - t2 <= 3800);
    CHECK(is_payload(&n, "44"));
    CHECK(uint_opt(&n, OPT_OBSERVE) > uint_opt(&n2, OPT_OBSERVE));

    /* Cancel: the response carries no Observe, and nothing follows. */
    req_opts_t cancel = { .observe = 1, .query = { NULL }, .accept = 0 };
    CHECK(request(CODE(0, 1), &cancel, &r));
    CHECK(r.code == CODE(2, 5));
    CHECK(uint_opt(&r, OPT_OBSERVE) == -1);
    CHECK(is_payload(&r, "44"));
    app_sets(&g_anj, 45);
    CHECK(!recv_msg(&n, 4500)); /* longer than pmax */
}

static void test_send(void) {
    CHECK(send_and_answer(99, CODE(2, 4)) == ANJ_SEND_SUCCESS);
    CHECK(send_and_answer(100, CODE(4, 0)) == ANJ_SEND_ERR_REJECTED);
}

int main(void) {
    setup();
    test_register();
    test_observe_and_cancel();
    test_send();
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
    puts("observe_send: all checks passed");
    return 0;
}
#endif
