/*
 * anj-rs C test: anj/persistence.h through a memory stream, and the Server object's
 * store/restore: a round trip into a fresh context, then corrupt and foreign data,
 * which must be refused without changing the object; the same for the Security
 * object, credentials included (ANJ_WITH_SECURITY), and a tampered record.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/dm/security_object.h>
#include <anj/dm/server_object.h>
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
    uint8_t data[4096];
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

/* The typed helpers and the string/magic functions, through their declared types. */
static void test_primitives(void) {
    static mem_t m;
    anj_persistence_write_cb_t *w = mem_write;
    anj_persistence_read_cb_t *r = mem_read;
    anj_persistence_context_t st = anj_persistence_store_context_create(w, &m);
    anj_persistence_context_t rs = anj_persistence_restore_context_create(r, &m);
    CHECK(anj_persistence_direction(&st) == ANJ_PERSISTENCE_STORE);
    CHECK(anj_persistence_direction(&rs) == ANJ_PERSISTENCE_RESTORE);

    bool b = true;
    uint8_t u8 = 0xA5;
    uint16_t u16 = 0xBEEF;
    uint32_t u32 = 0xDEADBEEFu;
    uint64_t u64 = 0x0123456789ABCDEFull;
    int8_t i8 = -5;
    int16_t i16 = -300;
    int32_t i32 = -70000;
    int64_t i64 = -5000000000ll;
    char str[] = "coap://127.0.0.1";
    CHECK(anj_persistence_magic(&st, "T1", 2) == 0);
    CHECK(anj_persistence_bool(&st, &b) == 0);
    CHECK(anj_persistence_u8(&st, &u8) == 0);
    CHECK(anj_persistence_u16(&st, &u16) == 0);
    CHECK(anj_persistence_u32(&st, &u32) == 0);
    CHECK(anj_persistence_u64(&st, &u64) == 0);
    CHECK(anj_persistence_i8(&st, &i8) == 0);
    CHECK(anj_persistence_i16(&st, &i16) == 0);
    CHECK(anj_persistence_i32(&st, &i32) == 0);
    CHECK(anj_persistence_i64(&st, &i64) == 0);
    CHECK(anj_persistence_string(&st, str, 0) == 0);

    bool b2 = false;
    uint8_t u8b = 0;
    uint16_t u16b = 0;
    uint32_t u32b = 0;
    uint64_t u64b = 0;
    int8_t i8b = 0;
    int16_t i16b = 0;
    int32_t i32b = 0;
    int64_t i64b = 0;
    char str2[32];
    CHECK(anj_persistence_magic(&rs, "T1", 2) == 0);
    CHECK(anj_persistence_bool(&rs, &b2) == 0 && b2);
    CHECK(anj_persistence_u8(&rs, &u8b) == 0 && u8b == u8);
    CHECK(anj_persistence_u16(&rs, &u16b) == 0 && u16b == u16);
    CHECK(anj_persistence_u32(&rs, &u32b) == 0 && u32b == u32);
    CHECK(anj_persistence_u64(&rs, &u64b) == 0 && u64b == u64);
    CHECK(anj_persistence_i8(&rs, &i8b) == 0 && i8b == i8);
    CHECK(anj_persistence_i16(&rs, &i16b) == 0 && i16b == i16);
    CHECK(anj_persistence_i32(&rs, &i32b) == 0 && i32b == i32);
    CHECK(anj_persistence_i64(&rs, &i64b) == 0 && i64b == i64);
    CHECK(anj_persistence_string(&rs, str2, sizeof(str2)) == 0);
    CHECK(strcmp(str2, str) == 0);
    /* The stream is exhausted; a wrong magic and an oversized one are refused. */
    CHECK(anj_persistence_u8(&rs, &u8b) < 0);
    m.pos = 0;
    CHECK(anj_persistence_magic(&rs, "T2", 2) < 0);
    CHECK(anj_persistence_magic(&st, "0123456789abcdefX", 17) < 0);
}

static anj_dm_server_obj_t g_src, g_dst, g_bad;
static anj_t g_anj;

static void test_server_object(void) {
    static mem_t m, again;
    anj_persistence_context_t st = anj_persistence_store_context_create(mem_write, &m);
    anj_persistence_context_t rs = anj_persistence_restore_context_create(mem_read, &m);

    anj_dm_server_obj_init(&g_src);
    CHECK(anj_dm_server_obj_store(&g_src, &st) < 0); /* no instance yet */
    anj_iid_t iid = 4;
    bool bof = false;
    anj_dm_server_instance_init_t inst = {
        .ssid = 17,
        .lifetime = 321,
        .default_min_period = 2,
        .default_max_period = 30,
        .binding = "UT",
        .bootstrap_on_registration_failure = &bof,
        .iid = &iid,
    };
    CHECK(anj_dm_server_obj_add_instance(&g_src, &inst) == 0);
    CHECK(anj_dm_server_obj_store(&g_src, &st) == 0);
    CHECK(m.len > 0);

    /* Restore into a fresh context, store it again: the same bytes. */
    anj_dm_server_obj_init(&g_dst);
    CHECK(anj_dm_server_obj_restore(&g_dst, &rs) == 0);
    anj_persistence_context_t st2 = anj_persistence_store_context_create(mem_write, &again);
    CHECK(anj_dm_server_obj_store(&g_dst, &st2) == 0);
    CHECK(again.len == m.len && memcmp(again.data, m.data, m.len) == 0);

    /* The restored object serves the stored values through the data model. */
    anj_configuration_t config = { .endpoint_name = "c-persistence" };
    CHECK(anj_core_init(&g_anj, &config) == 0);
    CHECK(anj_dm_server_obj_install(&g_anj, &g_dst) == 0);
    anj_res_value_t v;
    CHECK(anj_dm_res_read(&g_anj, &ANJ_MAKE_RESOURCE_PATH(1, 4, 1), &v) == 0);
    CHECK(v.int_value == 321);
    CHECK(anj_dm_res_read(&g_anj, &ANJ_MAKE_RESOURCE_PATH(1, 4, 0), &v) == 0);
    CHECK(v.int_value == 17);
    CHECK(anj_dm_res_read(&g_anj, &ANJ_MAKE_RESOURCE_PATH(1, 4, 7), &v) == 0);
    CHECK(strcmp((const char *) v.bytes_or_string.data, "UT") == 0);
    /* An installed object is not restored over. */
    m.pos = 0;
    CHECK(anj_dm_server_obj_restore(&g_dst, &rs) < 0);

    /* Corrupt data: every flipped byte is refused and the object stays empty. */
    for (size_t i = 0; i < m.len; i++) {
        anj_dm_server_obj_init(&g_bad);
        m.data[i] ^= 0x01;
        m.pos = 0;
        CHECK(anj_dm_server_obj_restore(&g_bad, &rs) < 0);
        m.data[i] ^= 0x01;
        static mem_t none;
        none.len = 0;
        anj_persistence_context_t st3 = anj_persistence_store_context_create(mem_write, &none);
        CHECK(anj_dm_server_obj_store(&g_bad, &st3) < 0);
    }
    /* Truncated and foreign data are refused too. */
    anj_dm_server_obj_init(&g_bad);
    m.len--;
    m.pos = 0;
    CHECK(anj_dm_server_obj_restore(&g_bad, &rs) < 0);
    static mem_t foreign;
    anj_persistence_context_t fst = anj_persistence_store_context_create(mem_write, &foreign);
    uint32_t junk = 0x12345678u;
    for (int i = 0; i < 20; i++) {
        CHECK(anj_persistence_u32(&fst, &junk) == 0);
    }
    anj_persistence_context_t frs = anj_persistence_restore_context_create(mem_read, &foreign);
    CHECK(anj_dm_server_obj_restore(&g_bad, &frs) < 0);
}

static anj_dm_security_obj_t g_sec_src, g_sec_dst, g_sec_bad;
static anj_t g_anj_sec, g_anj_bad;

#ifdef ANJ_WITH_SECURITY
static anj_crypto_security_info_t buffer_info(const void *data, size_t size) {
    anj_crypto_security_info_t info;
    memset(&info, 0, sizeof(info));
    info.source = ANJ_CRYPTO_DATA_SOURCE_BUFFER;
    info.info.buffer.data = data;
    info.info.buffer.data_size = size;
    return info;
}
#endif

static void add_security(anj_dm_security_obj_t *obj, const char *uri, uint16_t ssid,
                         anj_iid_t iid, bool bootstrap) {
    anj_dm_security_instance_init_t inst;
    memset(&inst, 0, sizeof(inst));
    inst.server_uri = uri;
    inst.bootstrap_server = bootstrap;
    inst.ssid = ssid;
    inst.client_hold_off_time = 11;
    inst.iid = &iid;
    inst.security_mode = ANJ_DM_SECURITY_NOSEC;
#ifdef ANJ_WITH_SECURITY
    static const char identity[] = "c-identity";
    static const uint8_t key[] = { 0x00, 0xff, 0x10, 0x80, 0x7f };
    static const uint8_t server_key[] = { 0x30, 0x59, 0x30, 0x13 };
    inst.security_mode = ANJ_DM_SECURITY_PSK;
    inst.public_key_or_identity = buffer_info(identity, strlen(identity));
    inst.secret_key = buffer_info(key, sizeof(key));
    inst.server_public_key = buffer_info(server_key, sizeof(server_key));
    inst.server_name_indication = "fw.example.com";
#endif
    CHECK(anj_dm_security_obj_add_instance(obj, &inst) == 0);
}

static bool read_bytes_equal(anj_t *anj, anj_iid_t iid, anj_rid_t rid, const void *expected,
                             size_t size) {
    anj_res_value_t v;
    if (anj_dm_res_read(anj, &ANJ_MAKE_RESOURCE_PATH(0, iid, rid), &v)) {
        return false;
    }
    return v.bytes_or_string.chunk_length == size
           && memcmp(v.bytes_or_string.data, expected, size) == 0;
}

static void test_security_object(void) {
    static mem_t m, again;
    anj_persistence_context_t st = anj_persistence_store_context_create(mem_write, &m);
    anj_persistence_context_t rs = anj_persistence_restore_context_create(mem_read, &m);
    anj_configuration_t config = { .endpoint_name = "c-persistence-sec" };
    CHECK(anj_core_init(&g_anj_sec, &config) == 0);
    CHECK(anj_core_init(&g_anj_bad, &config) == 0);

    anj_dm_security_obj_init(&g_sec_src);
    CHECK(anj_dm_security_obj_store(&g_anj_sec, &g_sec_src, &st) < 0); /* nothing yet */
    add_security(&g_sec_src, "coaps://127.0.0.1:5684", 17, 2, false);
#ifdef ANJ_WITH_BOOTSTRAP
    add_security(&g_sec_src, "coaps://127.0.0.1:5784", 0, 0, true);
#endif
    CHECK(anj_dm_security_obj_store(&g_anj_sec, &g_sec_src, &st) == 0);
    CHECK(m.len > 0);

    /* Restore into a fresh context, store it again: the same bytes. */
    anj_dm_security_obj_init(&g_sec_dst);
    CHECK(anj_dm_security_obj_restore(&g_anj_sec, &g_sec_dst, &rs) == 0);
    CHECK(m.pos == m.len);
    anj_persistence_context_t st2 = anj_persistence_store_context_create(mem_write, &again);
    CHECK(anj_dm_security_obj_store(&g_anj_sec, &g_sec_dst, &st2) == 0);
    CHECK(again.len == m.len && memcmp(again.data, m.data, m.len) == 0);

    /* Every resource through the data model of the restored object. */
    CHECK(anj_dm_security_obj_install(&g_anj_sec, &g_sec_dst) == 0);
    anj_res_value_t v;
    CHECK(read_bytes_equal(&g_anj_sec, 2, 0, "coaps://127.0.0.1:5684", 22));
    CHECK(anj_dm_res_read(&g_anj_sec, &ANJ_MAKE_RESOURCE_PATH(0, 2, 1), &v) == 0
          && !v.bool_value);
    CHECK(anj_dm_res_read(&g_anj_sec, &ANJ_MAKE_RESOURCE_PATH(0, 2, 10), &v) == 0
          && v.int_value == 17);
    CHECK(anj_dm_res_read(&g_anj_sec, &ANJ_MAKE_RESOURCE_PATH(0, 2, 11), &v) == 0
          && v.int_value == 11);
#ifdef ANJ_WITH_SECURITY
    static const uint8_t key[] = { 0x00, 0xff, 0x10, 0x80, 0x7f };
    static const uint8_t server_key[] = { 0x30, 0x59, 0x30, 0x13 };
    CHECK(anj_dm_res_read(&g_anj_sec, &ANJ_MAKE_RESOURCE_PATH(0, 2, 2), &v) == 0
          && v.int_value == ANJ_DM_SECURITY_PSK);
    CHECK(read_bytes_equal(&g_anj_sec, 2, 3, "c-identity", 10));
    CHECK(read_bytes_equal(&g_anj_sec, 2, 4, server_key, sizeof(server_key)));
    CHECK(read_bytes_equal(&g_anj_sec, 2, 5, key, sizeof(key)));
    CHECK(read_bytes_equal(&g_anj_sec, 2, 14, "fw.example.com", 14));
#endif
#ifdef ANJ_WITH_BOOTSTRAP
    CHECK(anj_dm_res_read(&g_anj_sec, &ANJ_MAKE_RESOURCE_PATH(0, 0, 1), &v) == 0
          && v.bool_value);
#endif
    /* An installed object is not restored over. */
    m.pos = 0;
    CHECK(anj_dm_security_obj_restore(&g_anj_sec, &g_sec_dst, &rs) < 0);

    /* Tampered data: every flipped bit is refused, and an object that already holds
     * an instance keeps exactly that instance. */
    anj_dm_security_obj_init(&g_sec_bad);
    add_security(&g_sec_bad, "coap://10.1.2.3", 9, 7, false);
    static mem_t before, after;
    anj_persistence_context_t stb = anj_persistence_store_context_create(mem_write, &before);
    CHECK(anj_dm_security_obj_store(&g_anj_bad, &g_sec_bad, &stb) == 0);
    int refused = 0;
    for (size_t i = 0; i < m.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            m.data[i] ^= (uint8_t) (1u << bit);
            m.pos = 0;
            refused += anj_dm_security_obj_restore(&g_anj_bad, &g_sec_bad, &rs) < 0;
            m.data[i] ^= (uint8_t) (1u << bit);
        }
    }
    CHECK(refused == (int) (m.len * 8));
    /* Every truncation too. */
    size_t full = m.len;
    for (size_t len = 0; len < full; len++) {
        m.len = len;
        m.pos = 0;
        CHECK(anj_dm_security_obj_restore(&g_anj_bad, &g_sec_bad, &rs) < 0);
    }
    m.len = full;
    /* A Server object record is not a Security object record. */
    static mem_t srv;
    anj_persistence_context_t sst = anj_persistence_store_context_create(mem_write, &srv);
    CHECK(anj_dm_server_obj_store(&g_src, &sst) == 0);
    anj_persistence_context_t srs = anj_persistence_restore_context_create(mem_read, &srv);
    CHECK(anj_dm_security_obj_restore(&g_anj_bad, &g_sec_bad, &srs) < 0);
    anj_persistence_context_t sta = anj_persistence_store_context_create(mem_write, &after);
    CHECK(anj_dm_security_obj_store(&g_anj_bad, &g_sec_bad, &sta) == 0);
    CHECK(after.len == before.len && memcmp(after.data, before.data, before.len) == 0);
    CHECK(anj_dm_security_obj_install(&g_anj_bad, &g_sec_bad) == 0);
    CHECK(read_bytes_equal(&g_anj_bad, 7, 0, "coap://10.1.2.3", 15));
    /* Wrong directions. */
    CHECK(anj_dm_security_obj_store(&g_anj_sec, &g_sec_src, &rs) < 0);
}

int main(void) {
    test_primitives();
    test_server_object();
    test_security_object();
    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    printf("test_persistence: OK\n");
    return 0;
}
