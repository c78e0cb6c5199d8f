/*
 * anj-rs C test: anj/persistence.h through a memory stream, and the Server object's
 * store/restore: a round trip into a fresh context, then corrupt and foreign data,
 * which must be refused without changing the object.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
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

int main(void) {
    test_primitives();
    test_server_object();
    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    printf("test_persistence: OK\n");
    return 0;
}
