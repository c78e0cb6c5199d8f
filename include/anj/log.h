/*
 * anj-rs: the anj_log() macro.
 *
 *   anj_log(my_module, L_INFO, "connected to %s:%d", host, port);
 *
 * The module is a bare identifier; the level one of L_TRACE, L_DEBUG, L_INFO,
 * L_WARNING, L_ERROR. Statements below the module's level are removed by the
 * preprocessor (their arguments are never evaluated), so they cost nothing.
 * The module's level is ANJ_LOG_LEVEL_FOR_MODULE_<module> if defined (put such
 * definitions in the header named by ANJ_LOG_FILTERING_CONFIG_HEADER), else
 * ANJ_LOG_LEVEL_DEFAULT (L_INFO unless configured); L_MUTED silences a module.
 *
 * Backends: ANJ_LOG_FULL ("LEVEL [module] [file:line]: message"),
 * ANJ_LOG_MICRO ("LEVEL <ANJ_uLOG>file_id;line</ANJ_uLOG> message"; every C
 * file that logs must define ANJ_LOG_SOURCE_FILE_ID to a number literal before
 * its first anj_log()), or ANJ_LOG_ALT_IMPL_HEADER, a header that defines
 * ANJ_LOG_HANDLER_IMPL_MACRO(Module, LogLevel, ...) itself. With none of them,
 * anj_log() compiles to nothing; the format is still checked against the
 * arguments in every configuration.
 */
#include <anj/init.h>

#ifndef ANJ_LOG_LOG_H
#define ANJ_LOG_LOG_H

#include <stdint.h>
#include <stdio.h>

#include <anj/compat/log_impl_decls.h>
#include <anj/utils.h>

/*
 * Lets the compiler check the format against the arguments (-Wformat) and
 * insists on a string literal as the format, inside sizeof so that nothing is
 * evaluated or emitted.
 */
#define ANJ_LOG_ENFORCE_FORMAT_INLINE_LITERAL(...) "" __VA_ARGS__
#define ANJ_LOG_PRINTF_ARG_CHECK(...) ((void) sizeof(printf(__VA_ARGS__)))
#define ANJ_LOG_COMPILE_TIME_CHECK(...) \
    ANJ_LOG_PRINTF_ARG_CHECK(ANJ_LOG_ENFORCE_FORMAT_INLINE_LITERAL(__VA_ARGS__))

#if defined(_ANJ_LOG_ENABLED) || defined(ANJ_LOG_ALT_IMPL_HEADER)

#    if defined(ANJ_LOG_ALT_IMPL_HEADER)
#        include ANJ_LOG_ALT_IMPL_HEADER
#    elif defined(ANJ_LOG_FULL)
#        define ANJ_LOG_HANDLER_IMPL_MACRO(Module, LogLevel, ...)        \
            anj_log_handler_impl_full(ANJ_LOG_LEVEL_##LogLevel,          \
                                      ANJ_QUOTE_MACRO(Module), __FILE__, \
                                      __LINE__, __VA_ARGS__)
#    elif defined(ANJ_LOG_MICRO)
/* ANJ_LOG_SOURCE_FILE_ID is looked up where anj_log() is used. */
#        define ANJ_LOG_HANDLER_IMPL_MACRO(Module, LogLevel, ...)          \
            anj_log_handler_impl_micro(ANJ_LOG_LEVEL_##LogLevel,           \
                                       (uint16_t) (ANJ_LOG_SOURCE_FILE_ID), \
                                       (uint16_t) (__LINE__), __VA_ARGS__)
#    endif

#    ifdef ANJ_LOG_FILTERING_CONFIG_HEADER
#        include ANJ_LOG_FILTERING_CONFIG_HEADER
#    endif
#    ifndef ANJ_LOG_LEVEL_DEFAULT
#        define ANJ_LOG_LEVEL_DEFAULT L_INFO
#    endif

/*
 * Module level: ANJ_LOG_LEVEL_FOR_MODULE_<Module> if that is defined to a
 * level name, else ANJ_LOG_LEVEL_DEFAULT. Pasting the probe prefix onto a
 * level name yields "~, L_x" (two arguments); onto anything else a single
 * unknown identifier. Taking the second argument picks accordingly.
 */
#    define _ANJ_LOG_LEVEL_PROBE_L_TRACE ~, L_TRACE
#    define _ANJ_LOG_LEVEL_PROBE_L_DEBUG ~, L_DEBUG
#    define _ANJ_LOG_LEVEL_PROBE_L_INFO ~, L_INFO
#    define _ANJ_LOG_LEVEL_PROBE_L_WARNING ~, L_WARNING
#    define _ANJ_LOG_LEVEL_PROBE_L_ERROR ~, L_ERROR
#    define _ANJ_LOG_LEVEL_PROBE_L_MUTED ~, L_MUTED
#    define _ANJ_LOG_TAKE_SECOND_(First, Second, ...) Second
#    define _ANJ_LOG_TAKE_SECOND(...) _ANJ_LOG_TAKE_SECOND_(__VA_ARGS__)
#    define _ANJ_LOG_MODULE_LEVEL(Module)                               \
        _ANJ_LOG_TAKE_SECOND(                                           \
                ANJ_CONCAT(_ANJ_LOG_LEVEL_PROBE_,                       \
                           ANJ_CONCAT(ANJ_LOG_LEVEL_FOR_MODULE_, Module)), \
                ANJ_LOG_LEVEL_DEFAULT, ~)

/*
 * 1 if a statement of level Stmt passes a module set to level Mod (Stmt at
 * least Mod, neither muted), else 0. Only the passing pairs are listed.
 */
#    define _ANJ_LOG_PASS_L_TRACE_L_TRACE ~, 1
#    define _ANJ_LOG_PASS_L_DEBUG_L_TRACE ~, 1
#    define _ANJ_LOG_PASS_L_DEBUG_L_DEBUG ~, 1
#    define _ANJ_LOG_PASS_L_INFO_L_TRACE ~, 1
#    define _ANJ_LOG_PASS_L_INFO_L_DEBUG ~, 1
#    define _ANJ_LOG_PASS_L_INFO_L_INFO ~, 1
#    define _ANJ_LOG_PASS_L_WARNING_L_TRACE ~, 1
#    define _ANJ_LOG_PASS_L_WARNING_L_DEBUG ~, 1
#    define _ANJ_LOG_PASS_L_WARNING_L_INFO ~, 1
#    define _ANJ_LOG_PASS_L_WARNING_L_WARNING ~, 1
#    define _ANJ_LOG_PASS_L_ERROR_L_TRACE ~, 1
#    define _ANJ_LOG_PASS_L_ERROR_L_DEBUG ~, 1
#    define _ANJ_LOG_PASS_L_ERROR_L_INFO ~, 1
#    define _ANJ_LOG_PASS_L_ERROR_L_WARNING ~, 1
#    define _ANJ_LOG_PASS_L_ERROR_L_ERROR ~, 1
#    define _ANJ_LOG_PASSES(Stmt, Mod) \
        _ANJ_LOG_TAKE_SECOND(ANJ_CONCAT(_ANJ_LOG_PASS_, Stmt, _, Mod), 0, ~)

/* What a statement expands to when it passes (YES) and when it does not (NO). */
#    define ANJ_LOG_IF_ALLOWED_LOOKUP_ANJ_LOG_YES(Module, LogLevel, ...) \
        ANJ_LOG_HANDLER_IMPL_MACRO(Module, LogLevel, __VA_ARGS__)
#    define ANJ_LOG_IF_ALLOWED_LOOKUP_ANJ_LOG_NO(Module, LogLevel, ...) ((void) 0)
#    define _ANJ_LOG_SELECT_1 ANJ_LOG_IF_ALLOWED_LOOKUP_ANJ_LOG_YES
#    define _ANJ_LOG_SELECT_0 ANJ_LOG_IF_ALLOWED_LOOKUP_ANJ_LOG_NO

#    define ANJ_LOG_IF_ALLOWED(Module, LogLevel, ...)                      \
        ANJ_CONCAT(_ANJ_LOG_SELECT_,                                       \
                   _ANJ_LOG_PASSES(LogLevel, _ANJ_LOG_MODULE_LEVEL(Module))) \
        (Module, LogLevel, __VA_ARGS__)

#else /* logging disabled */
#    define ANJ_LOG_IF_ALLOWED(Module, LogLevel, ...) ((void) 0)
#endif

/* Logs a printf-style message; see the top of this file. */
#define anj_log(Module, LogLevel, ...)                          \
    ((void) (ANJ_LOG_IF_ALLOWED(Module, LogLevel, __VA_ARGS__), \
             ANJ_LOG_COMPILE_TIME_CHECK(__VA_ARGS__)))

/*
 * Wraps a constant piece of a log format; with ANJ_LOG_STRIP_CONSTANTS it
 * becomes " ", which shrinks the binary:
 *   anj_log(app, L_DEBUG, ANJ_LOG_DISPOSABLE("result: ") "%d", result);
 * The wrapped text must not contain conversion specifiers.
 */
#ifdef ANJ_LOG_STRIP_CONSTANTS
#    define ANJ_LOG_DISPOSABLE_IMPL(Arg) " "
#else
#    define ANJ_LOG_DISPOSABLE_IMPL(Arg) Arg
#endif
#define ANJ_LOG_DISPOSABLE(Arg) ANJ_LOG_DISPOSABLE_IMPL(Arg)

#endif /* ANJ_LOG_LOG_H */
