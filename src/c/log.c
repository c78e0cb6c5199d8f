/*
 * anj-rs: the built-in log handlers behind anj_log() (C) and the stderr output
 * hook. This is C because the handlers are variadic, which stable Rust cannot
 * define. Rust log statements (anj_log! in src/ffi/log.rs) format their lines
 * themselves and call anj_log_handler_output() directly, so every line reaches
 * the same sink.
 *
 * build.rs compiles this file only when ANJ_LOG_FULL or ANJ_LOG_MICRO is on,
 * and defines ANJ_RS_LOG_TO_STDERR when the library provides the output hook.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <anj/compat/log_impl_decls.h>

#if defined(ANJ_LOG_FULL) || defined(ANJ_LOG_MICRO)

#    ifndef ANJ_LOG_FORMATTER_BUF_SIZE
#        define ANJ_LOG_FORMATTER_BUF_SIZE 512
#    endif

#    if defined(__GNUC__) || defined(__clang__)
#        define ANJ_RS_PRINTF_LIKE(Fmt, Args) \
            __attribute__((format(printf, Fmt, Args)))
#    else
#        define ANJ_RS_PRINTF_LIKE(Fmt, Args)
#    endif

/* A line being built: text so far, always NUL-terminated, cut when full. */
typedef struct {
    char text[ANJ_LOG_FORMATTER_BUF_SIZE];
    size_t len;
} line_buf_t;

static void line_vappend(line_buf_t *line, const char *format, va_list args)
        ANJ_RS_PRINTF_LIKE(2, 0);

static void line_vappend(line_buf_t *line, const char *format, va_list args) {
    size_t room = sizeof(line->text) - line->len;
    if (room <= 1) {
        return;
    }
    int written = vsnprintf(line->text + line->len, room, format, args);
    if (written < 0) {
        /* Encoding error: drop this piece, keep what was there. */
        line->text[line->len] = '\0';
        return;
    }
    /* vsnprintf reports the untruncated length; keep what actually fit. */
    line->len += (size_t) written < room ? (size_t) written : room - 1;
}

static void line_append(line_buf_t *line, const char *format, ...)
        ANJ_RS_PRINTF_LIKE(2, 3);

static void line_append(line_buf_t *line, const char *format, ...) {
    va_list args;
    va_start(args, format);
    line_vappend(line, format, args);
    va_end(args);
}

static const char *level_name(anj_log_level_t level) {
    switch (level) {
    case ANJ_LOG_LEVEL_L_TRACE:
        return "TRACE";
    case ANJ_LOG_LEVEL_L_DEBUG:
        return "DEBUG";
    case ANJ_LOG_LEVEL_L_INFO:
        return "INFO";
    case ANJ_LOG_LEVEL_L_WARNING:
        return "WARNING";
    case ANJ_LOG_LEVEL_L_ERROR:
        return "ERROR";
    default:
        return "???";
    }
}

#    ifdef ANJ_LOG_FULL
void anj_log_handler_impl_full(anj_log_level_t level,
                               const char *module,
                               const char *file,
                               int line,
                               const char *format,
                               ...) {
    line_buf_t out;
    out.len = 0;
    out.text[0] = '\0';
    line_append(&out, "%s [%s] [%s:%d]: ", level_name(level),
                module ? module : "", file ? file : "", line);
    if (format) {
        va_list args;
        va_start(args, format);
        line_vappend(&out, format, args);
        va_end(args);
    }
    anj_log_handler_output(out.text, out.len);
}
#    endif /* ANJ_LOG_FULL */

#    ifdef ANJ_LOG_MICRO
void anj_log_handler_impl_micro(anj_log_level_t level,
                                uint16_t source_file_id,
                                uint16_t line,
                                const char *format,
                                ...) {
    line_buf_t out;
    out.len = 0;
    out.text[0] = '\0';
    line_append(&out, "%s <ANJ_uLOG>%u;%u</ANJ_uLOG> ", level_name(level),
                (unsigned) source_file_id, (unsigned) line);
    if (format) {
        va_list args;
        va_start(args, format);
        line_vappend(&out, format, args);
        va_end(args);
    }
    anj_log_handler_output(out.text, out.len);
}
#    endif /* ANJ_LOG_MICRO */

#    ifdef ANJ_RS_LOG_TO_STDERR
void anj_log_handler_output(const char *output, size_t len) {
    /* Handlers pass one complete line per call; terminate it here. */
    if (output) {
        fwrite(output, 1, len, stderr);
    }
    fputc('\n', stderr);
}
#    endif /* ANJ_RS_LOG_TO_STDERR */

#endif /* ANJ_LOG_FULL || ANJ_LOG_MICRO */
