/*
 * anj-rs C test: the Firmware Update object /5 (anj/dm/fw_update.h) as C code uses it.
 *
 * Part 1 checks the API itself: enum values, the callback types, install refusing a
 * missing mandatory callback, the values of a fresh object.
 * Part 2 runs a real client against a minimal LwM2M server written here on a loopback
 * UDP socket: the server pushes an image block-wise (Block1, 1024-byte blocks) to
 * /5/0/0, executes /5/0/2, and abandons a second transfer half-way; the callbacks must
 * see every byte in order, then the update, then a reset.
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
#include <anj/dm/fw_update.h>
#include <anj/dm/security_object.h>
#include <anj/dm/server_object.h>
#include <anj/utils.h>

#ifndef ANJ_WITH_DEFAULT_FOTA_OBJ
int main(void) {
    puts("ANJ_WITH_DEFAULT_FOTA_OBJ is off: nothing to test");
    return 0;
}
#else

#    include <arpa/inet.h>
#    include <netinet/in.h>
#    include <poll.h>
#    include <sys/socket.h>
#    include <unistd.h>

static int g_failures;

#    define CHECK(cond)                                                        \
        do {                                                                   \
            if (!(cond)) {                                                     \
                fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                        #cond);                                                \
                g_failures++;                                                  \
            }                                                                  \
        } while (0)

/* The values are the specification's: part of the API. */
ANJ_INTERNAL_STATIC_ASSERT(ANJ_DM_FW_UPDATE_STATE_IDLE == 0
                                   && ANJ_DM_FW_UPDATE_STATE_DOWNLOADING == 1
                                   && ANJ_DM_FW_UPDATE_STATE_DOWNLOADED == 2
                                   && ANJ_DM_FW_UPDATE_STATE_UPDATING == 3,
                           fw_states);
ANJ_INTERNAL_STATIC_ASSERT(ANJ_DM_FW_UPDATE_RESULT_INITIAL == 0
                                   && ANJ_DM_FW_UPDATE_RESULT_SUCCESS == 1
                                   && ANJ_DM_FW_UPDATE_RESULT_NOT_ENOUGH_SPACE == 2
                                   && ANJ_DM_FW_UPDATE_RESULT_OUT_OF_MEMORY == 3
                                   && ANJ_DM_FW_UPDATE_RESULT_CONNECTION_LOST == 4
                                   && ANJ_DM_FW_UPDATE_RESULT_INTEGRITY_FAILURE == 5
                                   && ANJ_DM_FW_UPDATE_RESULT_UNSUPPORTED_PACKAGE_TYPE == 6
                                   && ANJ_DM_FW_UPDATE_RESULT_INVALID_URI == 7
                                   && ANJ_DM_FW_UPDATE_RESULT_FAILED == 8
                                   && ANJ_DM_FW_UPDATE_RESULT_UNSUPPORTED_PROTOCOL == 9,
                           fw_results);

/* ------------------------------------------------------------------ callbacks */

#    define IMAGE_SIZE (20 * 1024 + 77)

static uint8_t g_received[IMAGE_SIZE];
static size_t g_received_len;
static int g_starts, g_chunks, g_finishes, g_updates, g_resets;

static anj_dm_fw_update_result_t on_start(void *user_ptr) {
    CHECK(user_ptr == &g_received);
    g_starts++;
    g_received_len = 0;
    return ANJ_DM_FW_UPDATE_RESULT_SUCCESS;
}

static anj_dm_fw_update_result_t on_write(void *user_ptr, const void *data, size_t size) {
    (void) user_ptr;
    g_chunks++;
    if (g_received_len + size > sizeof(g_received)) {
        return ANJ_DM_FW_UPDATE_RESULT_NOT_ENOUGH_SPACE;
    }
    memcpy(g_received + g_received_len, data, size);
    g_received_len += size;
    return ANJ_DM_FW_UPDATE_RESULT_SUCCESS;
}

static anj_dm_fw_update_result_t on_finish(void *user_ptr) {
    (void) user_ptr;
    g_finishes++;
    return ANJ_DM_FW_UPDATE_RESULT_SUCCESS;
}

static anj_dm_fw_update_result_t on_uri(void *user_ptr, const char *uri) {
    (void) user_ptr;
    (void) uri;
    return ANJ_DM_FW_UPDATE_RESULT_UNSUPPORTED_PROTOCOL;
}

static int on_update(void *user_ptr) {
    (void) user_ptr;
    g_updates++;
    return 0;
}

static const char *on_version(void *user_ptr) {
    (void) user_ptr;
    return "9.9";
}

static void on_reset(void *user_ptr) {
    (void) user_ptr;
    g_resets++;
}

/* Declared through the function types of the header. */
static anj_dm_fw_update_package_write_start_t *const START = on_start;
static anj_dm_fw_update_package_write_t *const WRITE = on_write;
static anj_dm_fw_update_package_write_finish_t *const FINISH = on_finish;
static anj_dm_fw_update_uri_write_t *const URI = on_uri;
static anj_dm_fw_update_update_start_t *const UPDATE = on_update;
static anj_dm_fw_update_get_version_t *const VERSION = on_version;
static anj_dm_fw_update_reset_t *const RESET = on_reset;

static anj_dm_fw_update_handlers_t g_handlers;

static void full_handlers(void) {
    memset(&g_handlers, 0, sizeof(g_handlers));
    g_handlers.package_write_start_handler = START;
    g_handlers.package_write_handler = WRITE;
    g_handlers.package_write_finish_handler = FINISH;
    g_handlers.uri_write_handler = URI;
    g_handlers.update_start_handler = UPDATE;
    g_handlers.get_version = VERSION;
    g_handlers.reset_handler = RESET;
}

static int64_t read_int(anj_t *anj, uint16_t rid) {
    anj_res_value_t v;
    memset(&v, 0, sizeof(v));
    CHECK(anj_dm_res_read(anj, &ANJ_MAKE_RESOURCE_PATH(5, 0, rid), &v) == 0);
    return v.int_value;
}

static anj_t g_anj;
static anj_dm_fw_update_entity_ctx_t g_fw;
static anj_dm_device_obj_t g_device;
static anj_dm_server_obj_t g_server;
static anj_dm_security_obj_t g_security;

static void test_api(void) {
    CHECK(sizeof(anj_dm_fw_update_entity_ctx_t) == ANJ_INTERNAL_SIZEOF_FW_UPDATE_OBJ);
    anj_configuration_t config;
    memset(&config, 0, sizeof(config));
    config.endpoint_name = "c-fw-api";
    CHECK(anj_core_init(&g_anj, &config) == 0);

    full_handlers();
    CHECK(anj_dm_fw_update_object_install(&g_anj, &g_fw, NULL, NULL) != 0);
    g_handlers.reset_handler = NULL;
    CHECK(anj_dm_fw_update_object_install(&g_anj, &g_fw, &g_handlers, &g_received) != 0);
    full_handlers();
    g_handlers.update_start_handler = NULL;
    CHECK(anj_dm_fw_update_object_install(&g_anj, &g_fw, &g_handlers, &g_received) != 0);
#    ifdef ANJ_FOTA_WITH_PUSH_METHOD
    full_handlers();
    g_handlers.package_write_handler = NULL;
    CHECK(anj_dm_fw_update_object_install(&g_anj, &g_fw, &g_handlers, &g_received) != 0);
#    endif
#    ifdef ANJ_FOTA_WITH_PULL_METHOD
    full_handlers();
    g_handlers.uri_write_handler = NULL;
    CHECK(anj_dm_fw_update_object_install(&g_anj, &g_fw, &g_handlers, &g_received) != 0);
#    endif
    full_handlers();
    CHECK(anj_dm_fw_update_object_install(&g_anj, &g_fw, &g_handlers, &g_received) == 0);

    CHECK(read_int(&g_anj, 3) == ANJ_DM_FW_UPDATE_STATE_IDLE);
    CHECK(read_int(&g_anj, 5) == ANJ_DM_FW_UPDATE_RESULT_INITIAL);
#    if defined(ANJ_FOTA_WITH_PULL_METHOD) && defined(ANJ_FOTA_WITH_PUSH_METHOD)
    CHECK(read_int(&g_anj, 9) == 2);
#    elif defined(ANJ_FOTA_WITH_PUSH_METHOD)
    CHECK(read_int(&g_anj, 9) == 1);
#    else
    CHECK(read_int(&g_anj, 9) == 0);
#    endif
    anj_res_value_t v;
    CHECK(anj_dm_res_read(&g_anj, &ANJ_MAKE_RESOURCE_PATH(5, 0, 7), &v) == 0);
    CHECK(v.bytes_or_string.data == NULL
          || ((const char *) v.bytes_or_string.data)[0] == '\0');
    /* No pull download under way. */
    CHECK(anj_dm_fw_update_object_set_download_result(&g_anj, &g_fw,
                                                      ANJ_DM_FW_UPDATE_RESULT_SUCCESS)
          == -1);
    /* After a restart into new firmware. */
    anj_dm_fw_update_object_set_update_result(&g_anj, &g_fw,
                                              ANJ_DM_FW_UPDATE_RESULT_SUCCESS);
    CHECK(read_int(&g_anj, 3) == ANJ_DM_FW_UPDATE_STATE_IDLE);
    CHECK(read_int(&g_anj, 5) == ANJ_DM_FW_UPDATE_RESULT_SUCCESS);
    CHECK(g_resets == 0);
    CHECK(anj_dm_remove_obj(&g_anj, 5) == 0);
    CHECK(anj_core_shutdown(&g_anj) == 0);
}

/* ------------------------------------------------------------ a tiny server */

#    ifdef ANJ_FOTA_WITH_PUSH_METHOD

static int g_sock = -1;
static struct sockaddr_in g_peer;
static socklen_t g_peer_len;
static uint16_t g_mid = 0x4000;

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Steps the client until the server socket has a datagram (or ~3 s passed). */
static size_t recv_msg(uint8_t *buf, size_t size) {
    for (int i = 0; i < 3000; i++) {
        anj_core_step(&g_anj);
        struct pollfd p = { .fd = g_sock, .events = POLLIN };
        if (poll(&p, 1, 1) > 0) {
            g_peer_len = sizeof(g_peer);
            ssize_t n = recvfrom(g_sock, buf, size, 0, (struct sockaddr *) &g_peer,
                                 &g_peer_len);
            if (n > 0) {
                return (size_t) n;
            }
        }
    }
    return 0;
}

static void send_msg(const uint8_t *buf, size_t len) {
    CHECK(sendto(g_sock, buf, len, 0, (const struct sockaddr *) &g_peer, g_peer_len)
          == (ssize_t) len);
}

/* CoAP option writer (RFC 7252 §3.1); options must come in ascending order. */
typedef struct {
    uint8_t *p;
    uint16_t last;
} opt_writer_t;

static void opt(opt_writer_t *w, uint16_t num, const void *val, size_t len) {
    uint16_t delta = (uint16_t) (num - w->last);
    w->last = num;
    uint8_t *hdr = w->p++;
    if (delta < 13) {
        *hdr = (uint8_t) (delta << 4);
    } else {
        *hdr = 13 << 4;
        *w->p++ = (uint8_t) (delta - 13);
    }
    *hdr |= (uint8_t) len; /* all values here are shorter than 13 bytes */
    memcpy(w->p, val, len);
    w->p += len;
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

/* Sends a confirmable request to the client and returns its response code;
 * `payload_out` (optional) receives the response payload as a string. */
static uint8_t request(uint8_t code, const char *const *path, int cf, int accept,
                       int block_num, bool more, const uint8_t *payload, size_t len,
                       char *payload_out, size_t out_size) {
    static uint8_t msg[1400];
    uint16_t mid = g_mid++;
    msg[0] = 0x40 | 2; /* version 1, CON, token length 2 */
    msg[1] = code;
    msg[2] = (uint8_t) (mid >> 8);
    msg[3] = (uint8_t) mid;
    msg[4] = 0x7A;
    msg[5] = (uint8_t) mid;
    opt_writer_t w = { msg + 6, 0 };
    for (; *path; path++) {
        opt(&w, 11, *path, strlen(*path));
    }
    if (cf >= 0) {
        opt_uint(&w, 12, (uint32_t) cf);
    }
    if (accept >= 0) {
        opt_uint(&w, 17, (uint32_t) accept);
    }
    if (block_num >= 0) {
        /* SZX 6: 1024-byte blocks. */
        opt_uint(&w, 27, ((uint32_t) block_num << 4) | (more ? 8u : 0u) | 6u);
    }
    size_t n = (size_t) (w.p - msg);
    if (len) {
        msg[n++] = 0xFF;
        memcpy(msg + n, payload, len);
        n += len;
    }
    send_msg(msg, n);
    static uint8_t resp[1400];
    for (;;) {
        size_t got = recv_msg(resp, sizeof(resp));
        if (!got) {
            return 0;
        }
        /* The piggybacked response to this request (skip anything else). */
        if ((resp[0] & 0x30) == 0x20 && resp[2] == msg[2] && resp[3] == msg[3]) {
            if (payload_out) {
                size_t i = 4 + (resp[0] & 0x0F);
                while (i < got && resp[i] != 0xFF) {
                    i++;
                }
                size_t plen = i < got ? got - i - 1 : 0;
                if (plen >= out_size) {
                    plen = out_size - 1;
                }
                memcpy(payload_out, resp + i + 1, plen);
                payload_out[plen] = '\0';
            }
            return resp[1];
        }
    }
}

#        define CODE(c, d) ((uint8_t) (((c) << 5) | (d)))
static const char *const PACKAGE[] = { "5", "0", "0", NULL };
static const char *const UPDATE_RES[] = { "5", "0", "2", NULL };
static const char *const STATE[] = { "5", "0", "3", NULL };

/* Answers the Register with 2.01 Created. */
static bool accept_register(void) {
    uint8_t buf[1400];
    size_t n = recv_msg(buf, sizeof(buf));
    if (n < 4 || buf[1] != CODE(0, 2)) {
        return false;
    }
    size_t tkl = buf[0] & 0x0F;
    uint8_t ack[32];
    ack[0] = (uint8_t) (0x60 | tkl); /* ACK */
    ack[1] = CODE(2, 1);
    ack[2] = buf[2];
    ack[3] = buf[3];
    memcpy(ack + 4, buf + 4, tkl);
    opt_writer_t w = { ack + 4 + tkl, 0 };
    opt(&w, 8, "rd", 2);
    opt(&w, 8, "7", 1);
    send_msg(ack, (size_t) (w.p - ack));
    return true;
}

static uint8_t g_image[IMAGE_SIZE];

static void test_push(void) {
    g_sock = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(g_sock, (struct sockaddr *) &addr, sizeof(addr)) == 0);
    socklen_t alen = sizeof(addr);
    CHECK(getsockname(g_sock, (struct sockaddr *) &addr, &alen) == 0);
    char uri[64];
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u", (unsigned) ntohs(addr.sin_port));

    anj_configuration_t config;
    memset(&config, 0, sizeof(config));
    config.endpoint_name = "c-fw-push";
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
    full_handlers();
    CHECK(anj_dm_fw_update_object_install(&g_anj, &g_fw, &g_handlers, &g_received) == 0);
    CHECK(accept_register());

    for (size_t i = 0; i < sizeof(g_image); i++) {
        g_image[i] = (uint8_t) ((i * 131u) ^ (i >> 9));
    }
    /* The whole image, block by block. */
    size_t blocks = (sizeof(g_image) + 1023) / 1024;
    for (size_t b = 0; b < blocks; b++) {
        size_t off = b * 1024;
        size_t len = sizeof(g_image) - off < 1024 ? sizeof(g_image) - off : 1024;
        bool more = b + 1 < blocks;
        uint8_t code = request(CODE(0, 3), PACKAGE, 42, -1, (int) b, more, g_image + off,
                               len, NULL, 0);
        CHECK(code == (more ? CODE(2, 31) : CODE(2, 4)));
        if (more) {
            CHECK(read_int(&g_anj, 3) == ANJ_DM_FW_UPDATE_STATE_DOWNLOADING);
        }
    }
    CHECK(g_starts == 1 && g_finishes == 1 && g_chunks == (int) blocks);
    CHECK(g_received_len == sizeof(g_image)
          && memcmp(g_received, g_image, sizeof(g_image)) == 0);
    CHECK(read_int(&g_anj, 3) == ANJ_DM_FW_UPDATE_STATE_DOWNLOADED);
    anj_res_value_t v;
    CHECK(anj_dm_res_read(&g_anj, &ANJ_MAKE_RESOURCE_PATH(5, 0, 7), &v) == 0);
    CHECK(v.bytes_or_string.data
          && strcmp((const char *) v.bytes_or_string.data, "9.9") == 0);

    /* Update. */
    CHECK(request(CODE(0, 2), UPDATE_RES, -1, -1, -1, false, NULL, 0, NULL, 0)
          == CODE(2, 4));
    CHECK(g_updates == 1);
    CHECK(read_int(&g_anj, 3) == ANJ_DM_FW_UPDATE_STATE_UPDATING);
    anj_dm_fw_update_object_set_update_result(&g_anj, &g_fw,
                                              ANJ_DM_FW_UPDATE_RESULT_SUCCESS);
    CHECK(read_int(&g_anj, 3) == ANJ_DM_FW_UPDATE_STATE_IDLE);
    CHECK(read_int(&g_anj, 5) == ANJ_DM_FW_UPDATE_RESULT_SUCCESS);
    CHECK(g_resets == 0);

    /* A second transfer that the server abandons after two blocks for a Read. */
    for (int b = 0; b < 2; b++) {
        CHECK(request(CODE(0, 3), PACKAGE, 42, -1, b, true, g_image + b * 1024, 1024,
                      NULL, 0)
              == CODE(2, 31));
    }
    char text[16];
    CHECK(request(CODE(0, 1), STATE, -1, 0, -1, false, NULL, 0, text, sizeof(text))
          == CODE(2, 5));
    CHECK(strcmp(text, "0") == 0);
    CHECK(g_resets == 1);
    CHECK(read_int(&g_anj, 5) == ANJ_DM_FW_UPDATE_RESULT_CONNECTION_LOST);
    /* ...and a new one right away. */
    CHECK(request(CODE(0, 3), PACKAGE, 42, -1, 0, false, g_image, 100, NULL, 0)
          == CODE(2, 4));
    CHECK(read_int(&g_anj, 3) == ANJ_DM_FW_UPDATE_STATE_DOWNLOADED);
    CHECK(read_int(&g_anj, 5) == ANJ_DM_FW_UPDATE_RESULT_INITIAL);
    CHECK(g_received_len == 100);

    int r;
    while ((r = anj_core_shutdown(&g_anj)) == ANJ_NET_EAGAIN) {
        sleep_ms(1);
    }
    CHECK(r == 0);
    close(g_sock);
}
#    endif /* ANJ_FOTA_WITH_PUSH_METHOD */

int main(void) {
    test_api();
#    ifdef ANJ_FOTA_WITH_PUSH_METHOD
    test_push();
#    endif
    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    puts("fw_update: all checks passed");
    return 0;
}
#endif /* ANJ_WITH_DEFAULT_FOTA_OBJ */
