/* A minimal CoAP peer for the C tests that play the LwM2M server on a loopback UDP socket:
 * the socket and the peer address, timing, a datagram parser and an option writer.
 * Include it once per test, after <poll.h>, the socket headers and a CHECK(cond) macro. */
#ifndef ANJ_RS_TEST_COAP_PEER_H
#define ANJ_RS_TEST_COAP_PEER_H

static int g_sock = -1;
static struct sockaddr_in g_peer;
static socklen_t g_peer_len;
static uint16_t g_mid = 0x3000;

#    define CODE(c, d) ((uint8_t) (((c) << 5) | (d)))
#    define TYPE_CON 0
#    define TYPE_NON 1
#    define TYPE_ACK 2
#    define OPT_OBSERVE 6
#    define OPT_URI_PATH 11
#    define OPT_CONTENT_FORMAT 12
#    define OPT_URI_QUERY 15
#    define OPT_ACCEPT 17

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* A parsed datagram (RFC 7252 §3). */
#    define MAX_OPTS 16
typedef struct {
    uint8_t type;
    uint8_t code;
    uint16_t mid;
    uint8_t token[8];
    size_t token_len;
    size_t opt_count;
    uint16_t opt_num[MAX_OPTS];
    const uint8_t *opt_val[MAX_OPTS];
    size_t opt_len[MAX_OPTS];
    const uint8_t *payload;
    size_t payload_len;
    uint8_t raw[1500];
} msg_t;

static bool ext_value(const uint8_t **p, const uint8_t *end, uint32_t nibble,
                      uint32_t *out) {
    if (nibble < 13) {
        *out = nibble;
    } else if (nibble == 13 && *p < end) {
        *out = 13u + *(*p)++;
    } else if (nibble == 14 && *p + 1 < end) {
        *out = 269u + (((uint32_t) (*p)[0] << 8) | (*p)[1]);
        *p += 2;
    } else {
        return false;
    }
    return true;
}

static bool parse(msg_t *m, size_t len) {
    if (len < 4 || (m->raw[0] >> 6) != 1) {
        return false;
    }
    m->type = (m->raw[0] >> 4) & 3;
    m->token_len = m->raw[0] & 0x0F;
    m->code = m->raw[1];
    m->mid = (uint16_t) ((m->raw[2] << 8) | m->raw[3]);
    if (m->token_len > 8 || 4 + m->token_len > len) {
        return false;
    }
    memcpy(m->token, m->raw + 4, m->token_len);
    const uint8_t *p = m->raw + 4 + m->token_len;
    const uint8_t *end = m->raw + len;
    uint32_t num = 0;
    m->opt_count = 0;
    m->payload = NULL;
    m->payload_len = 0;
    while (p < end) {
        if (*p == 0xFF) {
            m->payload = p + 1;
            m->payload_len = (size_t) (end - p - 1);
            return m->payload_len > 0;
        }
        uint8_t b = *p++;
        uint32_t delta, olen;
        if (!ext_value(&p, end, b >> 4, &delta) || !ext_value(&p, end, b & 15, &olen)
            || p + olen > end || m->opt_count == MAX_OPTS) {
            return false;
        }
        num += delta;
        m->opt_num[m->opt_count] = (uint16_t) num;
        m->opt_val[m->opt_count] = p;
        m->opt_len[m->opt_count] = olen;
        m->opt_count++;
        p += olen;
    }
    return true;
}

/* The first option `num`: its index, or -1. */
static int find_opt(const msg_t *m, uint16_t num) {
    for (size_t i = 0; i < m->opt_count; i++) {
        if (m->opt_num[i] == num) {
            return (int) i;
        }
    }
    return -1;
}

static void send_raw(const uint8_t *buf, size_t len) {
    CHECK(sendto(g_sock, buf, len, 0, (const struct sockaddr *) &g_peer, g_peer_len)
          == (ssize_t) len);
}

/* CoAP option writer; options in ascending order, values shorter than 13 bytes. */
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
    *hdr |= (uint8_t) len;
    memcpy(w->p, val, len);
    w->p += len;
}

#endif /* ANJ_RS_TEST_COAP_PEER_H */
