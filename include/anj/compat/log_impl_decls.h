/*
 * anj-rs: the log levels and the log hooks behind the anj_log() macro.
 *
 * anj_log_handler_impl_full() / anj_log_handler_impl_micro() are the library's
 * built-in handlers (ANJ_LOG_FULL / ANJ_LOG_MICRO): they format a line into a
 * buffer of ANJ_LOG_FORMATTER_BUF_SIZE bytes and pass it to
 * anj_log_handler_output(). That last function is where every log line of the
 * library (C and Rust parts alike) ends up: the library provides a version
 * writing to stderr when ANJ_LOG_HANDLER_OUTPUT_STDERR is enabled, otherwise the
 * integrator defines it (UART, RTT, ...).
 *
 * This header is self-contained on purpose (no generated bindings): the C log
 * handler is compiled while the Rust crate is being built.
 */
#include <anj/init.h>

#ifndef ANJ_LOG_LOG_IMPL_DECLS_H
#define ANJ_LOG_LOG_IMPL_DECLS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Severity of a log statement, lowest first. The anj_log() macro takes these
 * without the ANJ_LOG_LEVEL_ prefix (L_INFO, ...); the L_ part keeps the names
 * clear of application macros such as DEBUG.
 */
typedef enum {
    ANJ_LOG_LEVEL_L_TRACE,
    ANJ_LOG_LEVEL_L_DEBUG,
    ANJ_LOG_LEVEL_L_INFO,
    ANJ_LOG_LEVEL_L_WARNING,
    ANJ_LOG_LEVEL_L_ERROR,
    ANJ_LOG_LEVEL_L_MUTED
} anj_log_level_t;

/**
 * Built-in handler for ANJ_LOG_FULL builds. Emits
 * "LEVEL [module] [file:line]: message". Called by anj_log(); not meant to be
 * called directly.
 *
 * @param level  Severity.
 * @param module Module name.
 * @param file   Source file of the statement.
 * @param line   Line of the statement.
 * @param format printf-style format, followed by its arguments.
 */
void anj_log_handler_impl_full(anj_log_level_t level,
                               const char *module,
                               const char *file,
                               int line,
                               const char *format,
                               ...);

/**
 * Built-in handler for ANJ_LOG_MICRO builds. Emits
 * "LEVEL <ANJ_uLOG>file_id;line</ANJ_uLOG> message", which the micro-log
 * decoder turns back into file names. Called by anj_log(); not meant to be
 * called directly.
 *
 * @param level          Severity.
 * @param source_file_id ANJ_LOG_SOURCE_FILE_ID of the source file.
 * @param line           Line of the statement.
 * @param format         printf-style format, followed by its arguments.
 */
void anj_log_handler_impl_micro(anj_log_level_t level,
                                uint16_t source_file_id,
                                uint16_t line,
                                const char *format,
                                ...);

/**
 * Outputs one finished log line (without a line terminator; the output adds
 * one if the medium needs it).
 *
 * @param output The line; also NUL-terminated.
 * @param len    Its length, equal to strlen(output).
 */
void anj_log_handler_output(const char *output, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* ANJ_LOG_LOG_IMPL_DECLS_H */
