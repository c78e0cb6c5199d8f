/*
 * anj-rs C test: anj/time.h, anj/utils.h and anj/log.h used from C the way
 * applications use them. Exit status 0 = all checks passed; every failed check
 * is reported on stdout.
 */
#define _POSIX_C_SOURCE 200809L

/* Needed by micro-log builds; harmless otherwise. */
#define ANJ_LOG_SOURCE_FILE_ID 250

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <anj/log.h>
#include <anj/time.h>
#include <anj/utils.h>

static int g_failures;

#define CHECK(Cond)                                                      \
    do {                                                                 \
        if (!(Cond)) {                                                   \
            printf("%s:%d: check failed: %s\n", __FILE__, __LINE__, #Cond); \
            g_failures++;                                                \
        }                                                                \
    } while (0)

#define CHECK_STR(Got, Want)                                              \
    do {                                                                  \
        const char *got_ = (Got);                                         \
        const char *want_ = (Want);                                       \
        if (!got_ || strcmp(got_, want_) != 0) {                          \
            printf("%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
                   got_ ? got_ : "(null)", want_);                        \
            g_failures++;                                                 \
        }                                                                 \
    } while (0)

/* ------------------------------------------------------------------------ */
/* time                                                                     */
/* ------------------------------------------------------------------------ */

static void test_time(void) {
    const anj_time_duration_t zero = ANJ_TIME_DURATION_ZERO;
    CHECK(zero.us == 0);
    CHECK(ANJ_TIME_DURATION_INVALID.us == ANJ_TIME_US_MAX);
    CHECK(ANJ_TIME_US_MAX == INT64_MAX);
    CHECK(ANJ_TIME_MONOTONIC_INVALID.since_monotonic_epoch.us == INT64_MAX);
    CHECK(ANJ_TIME_REAL_INVALID.since_real_epoch.us == INT64_MAX);
    CHECK(ANJ_TIME_MONOTONIC_ZERO.since_monotonic_epoch.us == 0);
    CHECK(ANJ_TIME_REAL_ZERO.since_real_epoch.us == 0);
    CHECK(ANJ_TIME_UNIT_DAY == 0 && ANJ_TIME_UNIT_US == 5);

    CHECK(anj_time_duration_new(1, ANJ_TIME_UNIT_DAY).us == 86400000000LL);
    CHECK(anj_time_duration_new(2, ANJ_TIME_UNIT_HOUR).us == 7200000000LL);
    CHECK(anj_time_duration_new(3, ANJ_TIME_UNIT_MIN).us == 180000000LL);
    CHECK(anj_time_duration_new(-4, ANJ_TIME_UNIT_S).us == -4000000LL);
    CHECK(anj_time_duration_new(5, ANJ_TIME_UNIT_MS).us == 5000);
    CHECK(anj_time_duration_new(6, ANJ_TIME_UNIT_US).us == 6);
    CHECK(!anj_time_duration_is_valid(
            anj_time_duration_new(INT64_MAX, ANJ_TIME_UNIT_US)));
    CHECK(anj_time_duration_fnew(1.5, ANJ_TIME_UNIT_S).us == 1500000);
    CHECK(anj_time_duration_fnew(-2.9, ANJ_TIME_UNIT_US).us == -2);
    CHECK(!anj_time_duration_is_valid(
            anj_time_duration_fnew(NAN, ANJ_TIME_UNIT_S)));
    CHECK(!anj_time_duration_is_valid(
            anj_time_duration_fnew(INFINITY, ANJ_TIME_UNIT_S)));

    anj_time_duration_t d = anj_time_duration_new(1999, ANJ_TIME_UNIT_MS);
    CHECK(anj_time_duration_to_scalar(d, ANJ_TIME_UNIT_S) == 1);
    CHECK(anj_time_duration_to_fscalar(d, ANJ_TIME_UNIT_S) == 1.999);

    const anj_time_duration_t a = { 100 };
    const anj_time_duration_t b = { 30 };
    CHECK(anj_time_duration_add(a, b).us == 130);
    CHECK(anj_time_duration_sub(a, b).us == 70);
    CHECK(anj_time_duration_mul(a, -3).us == -300);
    CHECK(anj_time_duration_fmul(a, 1.5).us == 150);
    CHECK(anj_time_duration_div(a, 3).us == 33);
    CHECK(!anj_time_duration_is_valid(anj_time_duration_div(a, 0)));
    CHECK(!anj_time_duration_is_valid(anj_time_duration_mul(a, INT32_MAX)));
    CHECK(!anj_time_duration_is_valid(anj_time_duration_fmul(a, NAN)));
    CHECK(!anj_time_duration_is_valid(
            anj_time_duration_add(a, ANJ_TIME_DURATION_INVALID)));
    CHECK(!anj_time_duration_is_valid(
            anj_time_duration_sub(ANJ_TIME_DURATION_INVALID, a)));
    CHECK(anj_time_duration_lt(b, a) && anj_time_duration_leq(b, a));
    CHECK(anj_time_duration_gt(a, b) && anj_time_duration_geq(a, a));
    CHECK(anj_time_duration_eq(a, a) && !anj_time_duration_eq(a, b));
    CHECK(!anj_time_duration_eq(ANJ_TIME_DURATION_INVALID,
                                ANJ_TIME_DURATION_INVALID));
    CHECK(!anj_time_duration_lt(zero, ANJ_TIME_DURATION_INVALID));
    CHECK(!anj_time_duration_gt(ANJ_TIME_DURATION_INVALID, zero));

    /* Monotonic time, as the suspend/resume downloader example uses it. */
    anj_time_monotonic_t now = anj_time_monotonic_new(10, ANJ_TIME_UNIT_S);
    anj_time_monotonic_t deadline = anj_time_monotonic_add(
            now, anj_time_duration_new(500, ANJ_TIME_UNIT_MS));
    CHECK(anj_time_monotonic_to_scalar(deadline, ANJ_TIME_UNIT_MS) == 10500);
    CHECK(anj_time_monotonic_to_fscalar(deadline, ANJ_TIME_UNIT_S) == 10.5);
    CHECK(anj_time_monotonic_geq(deadline, now)
          && anj_time_monotonic_gt(deadline, now)
          && anj_time_monotonic_lt(now, deadline)
          && anj_time_monotonic_leq(now, now) && anj_time_monotonic_eq(now, now));
    CHECK(anj_time_monotonic_diff(now, deadline).us == -500000);
    CHECK(anj_time_monotonic_eq(
            anj_time_monotonic_sub(deadline,
                                   anj_time_duration_new(500, ANJ_TIME_UNIT_MS)),
            now));
    CHECK(!anj_time_monotonic_is_valid(
            anj_time_monotonic_add(now, ANJ_TIME_DURATION_INVALID)));
    CHECK(!anj_time_monotonic_eq(ANJ_TIME_MONOTONIC_INVALID,
                                 ANJ_TIME_MONOTONIC_INVALID));
    CHECK(anj_time_monotonic_to_duration(
                  anj_time_monotonic_from_duration(a))
                  .us
          == 100);
    CHECK(anj_time_monotonic_fnew(0.25, ANJ_TIME_UNIT_MS)
                  .since_monotonic_epoch.us
          == 250);

    anj_time_real_t epoch_plus = anj_time_real_new(1700000000, ANJ_TIME_UNIT_S);
    CHECK(anj_time_real_to_scalar(epoch_plus, ANJ_TIME_UNIT_DAY) == 19675);
    CHECK(anj_time_real_to_fscalar(epoch_plus, ANJ_TIME_UNIT_S) == 1.7e9);
    anj_time_real_t later = anj_time_real_add(epoch_plus, b);
    CHECK(anj_time_real_diff(later, epoch_plus).us == 30);
    CHECK(anj_time_real_eq(anj_time_real_sub(later, b), epoch_plus));
    CHECK(anj_time_real_lt(epoch_plus, later) && anj_time_real_gt(later, epoch_plus)
          && anj_time_real_leq(later, later) && anj_time_real_geq(later, later));
    CHECK(anj_time_real_is_valid(ANJ_TIME_REAL_ZERO)
          && !anj_time_real_is_valid(ANJ_TIME_REAL_INVALID));
    CHECK(anj_time_real_to_duration(anj_time_real_from_duration(b)).us == 30);
    CHECK(anj_time_real_fnew(1.5, ANJ_TIME_UNIT_MIN).since_real_epoch.us
          == 90000000);

    const anj_time_duration_t big = { 12312313123123 };
    CHECK_STR(ANJ_TIME_DURATION_AS_STRING(big, ANJ_TIME_UNIT_US),
              "12312313123123");
    CHECK_STR(ANJ_TIME_DURATION_AS_STRING(big, ANJ_TIME_UNIT_S), "12312313");
    CHECK_STR(ANJ_TIME_DURATION_AS_STRING(ANJ_TIME_DURATION_INVALID,
                                          ANJ_TIME_UNIT_US),
              "<invalid>");
    const anj_time_duration_t most_negative = { INT64_MIN };
    CHECK_STR(ANJ_TIME_DURATION_AS_STRING(most_negative, ANJ_TIME_UNIT_US),
              "-9223372036854775808");
    CHECK_STR(ANJ_TIME_MONOTONIC_AS_STRING(deadline, ANJ_TIME_UNIT_MS), "10500");
    CHECK_STR(ANJ_TIME_REAL_AS_STRING(epoch_plus, ANJ_TIME_UNIT_S),
              "1700000000");
    /* Two in one expression get two buffers. */
    char both[64];
    snprintf(both, sizeof(both), "%s/%s",
             ANJ_TIME_DURATION_AS_STRING(a, ANJ_TIME_UNIT_US),
             ANJ_TIME_DURATION_AS_STRING(b, ANJ_TIME_UNIT_US));
    CHECK_STR(both, "100/30");
}

/* ------------------------------------------------------------------------ */
/* utils                                                                    */
/* ------------------------------------------------------------------------ */

typedef struct {
    int before;
    double member;
} outer_t;

ANJ_STATIC_ASSERT(sizeof(uint16_t) == 2, u16_is_two_bytes);

#define TOKEN_VALUE 42

static void test_utils_macros(void) {
    int arr[7];
    (void) arr;
    CHECK(ANJ_ARRAY_SIZE(arr) == 7);
    CHECK(ANJ_MIN(3, -2) == -2 && ANJ_MAX(3, -2) == 3);
    CHECK(ANJ_MIN(1.5, 2.5) == 1.5);
    CHECK_STR(ANJ_QUOTE(TOKEN_VALUE), "TOKEN_VALUE");
    CHECK_STR(ANJ_QUOTE_MACRO(TOKEN_VALUE), "42");
    int ANJ_CONCAT(joined, _, name) = 5;
    CHECK(joined_name == 5);
    int ANJ_CONCAT(a, b, c, d, e) = 6;
    CHECK(abcde == 6);
    CHECK(ANJ_CONCAT(TOKEN_, VALUE) == 42);
    ANJ_STATIC_ASSERT(ANJ_ARRAY_SIZE(arr) == 7, seven_elements);
    outer_t outer;
    double *inner = &outer.member;
    CHECK(ANJ_CONTAINER_OF(inner, outer_t, member) == &outer);
    const double *const_inner = &outer.member;
    CHECK(ANJ_CONTAINER_OF(const_inner, outer_t, member) == &outer);
    ANJ_ASSERT(1 + 1 == 2, "arithmetic works");
    CHECK(ANJ_ID_INVALID == UINT16_MAX);
    CHECK(ANJ_URI_PATH_MAX_LENGTH == 4);
}

static void test_utils_paths(void) {
    anj_uri_path_t res = ANJ_MAKE_RESOURCE_PATH(3, 0, 3);
    CHECK(res.uri_len == 3 && res.ids[ANJ_ID_OID] == 3 && res.ids[ANJ_ID_IID] == 0
          && res.ids[ANJ_ID_RID] == 3 && res.ids[ANJ_ID_RIID] == ANJ_ID_INVALID);
    CHECK(anj_uri_path_equal(&res, &ANJ_MAKE_RESOURCE_PATH(3, 0, 3)));
    CHECK(!anj_uri_path_equal(&res, &ANJ_MAKE_RESOURCE_PATH(3, 0, 4)));
    CHECK(!anj_uri_path_equal(&res, &ANJ_MAKE_INSTANCE_PATH(3, 0)));
    CHECK(anj_uri_path_length(&ANJ_MAKE_ROOT_PATH()) == 0);
    CHECK(anj_uri_path_length(&ANJ_MAKE_OBJECT_PATH(5)) == 1);
    CHECK(anj_uri_path_length(&ANJ_MAKE_RESOURCE_INSTANCE_PATH(3, 0, 7, 1)) == 4);
    CHECK(anj_uri_path_has(&res, ANJ_ID_RID) && !anj_uri_path_has(&res, ANJ_ID_RIID));
    CHECK(anj_uri_path_is(&res, ANJ_ID_RID) && !anj_uri_path_is(&res, ANJ_ID_IID));
    CHECK(!anj_uri_path_outside_base(&res, &ANJ_MAKE_INSTANCE_PATH(3, 0)));
    CHECK(!anj_uri_path_outside_base(&res, &ANJ_MAKE_ROOT_PATH()));
    CHECK(anj_uri_path_outside_base(&res, &ANJ_MAKE_INSTANCE_PATH(3, 1)));
    CHECK(anj_uri_path_outside_base(&ANJ_MAKE_OBJECT_PATH(3), &res));
    CHECK(anj_uri_path_increasing(&ANJ_MAKE_INSTANCE_PATH(3, 0), &res));
    CHECK(anj_uri_path_increasing(&res, &ANJ_MAKE_OBJECT_PATH(4)));
    CHECK(!anj_uri_path_increasing(&res, &res));
    CHECK(!anj_uri_path_increasing(&res, &ANJ_MAKE_RESOURCE_PATH(3, 0, 2)));
}

static void check_double(double value, const char *want) {
    char buf[ANJ_DOUBLE_STR_MAX_LEN + 1];
    size_t len = anj_double_to_string_value(buf, value);
    buf[len < sizeof(buf) ? len : sizeof(buf) - 1] = '\0';
    CHECK_STR(buf, want);
    if (isfinite(value)) {
        double back = -1.0;
        CHECK(anj_string_to_double_value(&back, buf, len) == 0);
        CHECK(back == value);
    }
}

static void test_utils_numbers(void) {
    char buf[32];
    size_t len;

    len = anj_uint16_to_string_value(buf, UINT16_MAX);
    CHECK(len == 5 && memcmp(buf, "65535", 5) == 0);
    len = anj_uint32_to_string_value(buf, 0);
    CHECK(len == 1 && buf[0] == '0');
    len = anj_uint64_to_string_value(buf, UINT64_MAX);
    CHECK(len == ANJ_U64_STR_MAX_LEN
          && memcmp(buf, "18446744073709551615", len) == 0);
    len = anj_int64_to_string_value(buf, INT64_MIN);
    CHECK(len == ANJ_I64_STR_MAX_LEN
          && memcmp(buf, "-9223372036854775808", len) == 0);

    check_double(0.0, "0");
    check_double(1.0, "1");
    check_double(-10.022, "-10.022");
    check_double(4294967294.98, "4294967294.98");
    check_double(1234e15, "1234000000000000000");
    check_double(0.000000002, "0.000000002");
    check_double(2111e18, "2.111e+21");
    check_double(-124e-15, "-1.24e-13");
    check_double(1e20, "1e+20");
    check_double(-2.2250738585072014e-308, "-2.2250738585072014e-308");
    check_double(NAN, "nan");
    check_double(INFINITY, "inf");
    check_double(-INFINITY, "-inf");

    uint32_t u32 = 0;
    uint64_t u64 = 0;
    int64_t i64 = 0;
    double dbl = 0;
    CHECK(anj_string_to_uint32_value(&u32, "4294967295", 10) == 0
          && u32 == UINT32_MAX);
    CHECK(anj_string_to_uint32_value(&u32, "4294967296", 10) == -1);
    CHECK(anj_string_to_uint32_value(&u32, "12x", 2) == 0 && u32 == 12);
    CHECK(anj_string_to_uint32_value(&u32, "", 0) == -1);
    CHECK(anj_string_to_uint64_value(&u64, "18446744073709551615", 20) == 0
          && u64 == UINT64_MAX);
    CHECK(anj_string_to_uint64_value(&u64, "18446744073709551616", 20) == -1);
    CHECK(anj_string_to_uint64_value(&u64, "-1", 2) == -1);
    CHECK(anj_string_to_int64_value(&i64, "-9223372036854775808", 20) == 0
          && i64 == INT64_MIN);
    CHECK(anj_string_to_int64_value(&i64, "+17", 3) == 0 && i64 == 17);
    CHECK(anj_string_to_int64_value(&i64, "9223372036854775808", 19) == -1);
    CHECK(anj_string_to_int64_value(&i64, "-12b", 4) == -1);
    CHECK(anj_string_to_double_value(&dbl, "-1234e-10", 9) == 0
          && dbl == -1234e-10);
    CHECK(anj_string_to_double_value(&dbl, "1234E+10", 8) == 0 && dbl == 1234e10);
    CHECK(anj_string_to_double_value(&dbl, "2e", 2) == -1);
    CHECK(anj_string_to_double_value(&dbl, "20dd.4", 6) == -1);
    CHECK(anj_string_to_double_value(&dbl, "nan", 3) == -1);

    anj_objlnk_value_t link = { 0, 0 };
    CHECK(anj_string_to_objlnk_value(&link, "3:7") == 0 && link.oid == 3
          && link.iid == 7);
    CHECK(anj_string_to_objlnk_value(&link, "65536:0") == -1);
    CHECK(anj_string_to_objlnk_value(&link, "3") == -1);

    const uint8_t bytes[] = { 0x00, 0xAB, 0x7F };
    char hex[7];
    CHECK(anj_hexlify(hex, sizeof(hex), bytes, sizeof(bytes)) == 0);
    CHECK_STR(hex, "00AB7F");
    CHECK(anj_hexlify(hex, sizeof(hex) - 1, bytes, sizeof(bytes)) == -1);

    CHECK(anj_determine_block_buffer_size(15) == 0);
    CHECK(anj_determine_block_buffer_size(16) == 16);
    CHECK(anj_determine_block_buffer_size(1000) == 512);
    CHECK(anj_determine_block_buffer_size(100000) == 1024);
}

/* ------------------------------------------------------------------------ */
/* log                                                                      */
/* ------------------------------------------------------------------------ */

#define ANJ_LOG_LEVEL_FOR_MODULE_chatty L_TRACE
#define ANJ_LOG_LEVEL_FOR_MODULE_quiet L_MUTED
#define ANJ_LOG_LEVEL_FOR_MODULE_picky L_ERROR

static int g_evaluations;

static int count_evaluation(void) {
    return ++g_evaluations;
}

#ifdef ANJ_LOG_HANDLER_OUTPUT_STDERR
/* The library writes to stderr: point fd 2 at a temporary file meanwhile. */
static FILE *g_capture_file;
static int g_saved_stderr = -1;

static void capture_begin(void) {
    fflush(stderr);
    g_capture_file = tmpfile();
    g_saved_stderr = dup(STDERR_FILENO);
    if (g_capture_file && g_saved_stderr >= 0) {
        dup2(fileno(g_capture_file), STDERR_FILENO);
    }
}

static void capture_end(char *out, size_t size) {
    out[0] = '\0';
    fflush(stderr);
    if (g_saved_stderr >= 0) {
        dup2(g_saved_stderr, STDERR_FILENO);
        close(g_saved_stderr);
        g_saved_stderr = -1;
    }
    if (g_capture_file) {
        rewind(g_capture_file);
        size_t n = fread(out, 1, size - 1, g_capture_file);
        out[n] = '\0';
        fclose(g_capture_file);
        g_capture_file = NULL;
    }
}
#else
/* The integrator provides the output: collect lines, one per '\n'. */
static char g_captured[4096];
static size_t g_captured_len;

void anj_log_handler_output(const char *output, size_t len) {
    if (g_captured_len + len + 2 > sizeof(g_captured)) {
        return;
    }
    memcpy(g_captured + g_captured_len, output, len);
    g_captured_len += len;
    g_captured[g_captured_len++] = '\n';
    g_captured[g_captured_len] = '\0';
}

static void capture_begin(void) {
    g_captured_len = 0;
    g_captured[0] = '\0';
}

static void capture_end(char *out, size_t size) {
    snprintf(out, size, "%s", g_captured);
}
#endif

static void test_log(void) {
    char out[4096];
    int line_info, line_trace, line_error, line_disposable;

    capture_begin();
    /* clang-format off */
    anj_log(test_mod, L_INFO, "hello %s %d", "world", 42); line_info = __LINE__;
    anj_log(test_mod, L_DEBUG, "dropped %d", count_evaluation());
    anj_log(test_mod, L_TRACE, "dropped %d", count_evaluation());
    anj_log(chatty, L_TRACE, "trace %d", count_evaluation()); line_trace = __LINE__;
    anj_log(quiet, L_ERROR, "muted %d", count_evaluation());
    anj_log(picky, L_WARNING, "below error %d", count_evaluation());
    anj_log(picky, L_ERROR, "error %u", 7u); line_error = __LINE__;
    anj_log(test_mod, L_WARNING, ANJ_LOG_DISPOSABLE("constant ") "%d", 1); line_disposable = __LINE__;
    /* clang-format on */
    capture_end(out, sizeof(out));

#if defined(ANJ_LOG_FULL) || defined(ANJ_LOG_MICRO)
    char want[1024];
#    ifdef ANJ_LOG_STRIP_CONSTANTS
#        define CONSTANT_TEXT " "
#    else
#        define CONSTANT_TEXT "constant "
#    endif
#    ifdef ANJ_LOG_FULL
    snprintf(want, sizeof(want),
             "INFO [test_mod] [%s:%d]: hello world 42\n"
             "TRACE [chatty] [%s:%d]: trace 1\n"
             "ERROR [picky] [%s:%d]: error 7\n"
             "WARNING [test_mod] [%s:%d]: " CONSTANT_TEXT "1\n",
             __FILE__, line_info, __FILE__, line_trace, __FILE__, line_error,
             __FILE__, line_disposable);
#    else
    snprintf(want, sizeof(want),
             "INFO <ANJ_uLOG>250;%d</ANJ_uLOG> hello world 42\n"
             "TRACE <ANJ_uLOG>250;%d</ANJ_uLOG> trace 1\n"
             "ERROR <ANJ_uLOG>250;%d</ANJ_uLOG> error 7\n"
             "WARNING <ANJ_uLOG>250;%d</ANJ_uLOG> " CONSTANT_TEXT "1\n",
             line_info, line_trace, line_error, line_disposable);
#    endif
    CHECK_STR(out, want);
    /* Only the statement that passed the filter evaluated its arguments. */
    CHECK(g_evaluations == 1);
#else
    (void) line_info;
    (void) line_trace;
    (void) line_error;
    (void) line_disposable;
    CHECK_STR(out, "");
    CHECK(g_evaluations == 0);
#endif

#if defined(ANJ_LOG_FULL)
    /* A line longer than the formatter buffer is cut, not overflowed. */
    static char long_text[2 * ANJ_LOG_FORMATTER_BUF_SIZE];
    memset(long_text, 'x', sizeof(long_text) - 1);
    capture_begin();
    anj_log(test_mod, L_ERROR, "%s", long_text);
    capture_end(out, sizeof(out));
    CHECK(strlen(out) == ANJ_LOG_FORMATTER_BUF_SIZE); /* BUF_SIZE-1 + '\n' */
    CHECK(strncmp(out, "ERROR [test_mod] [", 18) == 0);
#endif
}

int main(void) {
    test_time();
    test_utils_macros();
    test_utils_paths();
    test_utils_numbers();
    test_log();
    if (g_failures) {
        printf("test_time_utils_log: %d check(s) failed\n", g_failures);
        return 1;
    }
    printf("test_time_utils_log: all checks passed\n");
    return 0;
}
