/*
 * anj-rs examples: the part every data-model example shares.
 *
 * Each example is a regular client: it takes ENDPOINT_NAME and SERVER_URI on the
 * command line, installs Security (/0), Server (/1) and Device (/3), adds its own
 * objects, then loops. Status changes are printed as "STATUS <name>" lines (the
 * interop tests follow them). SIGINT/SIGTERM end the loop; the client then
 * de-registers by disabling its server and waits for SUSPENDED before shutting
 * down.
 *
 * Usage from an example's main():
 *
 *     static anj_t anj;
 *     if (example_start(&anj, argc, argv)) return 1;   // init + mandatory objects
 *     ... anj_dm_add_obj(&anj, &my_object) ...
 *     return example_run(&anj, my_tick, NULL);         // loop, de-register, shut down
 */
#ifndef ANJ_EXAMPLE_COMMON_H
#define ANJ_EXAMPLE_COMMON_H

#include <stddef.h>

#include <anj/core.h>
#include <anj/defs.h>

/* Called once per loop iteration (about every 10 ms) with the application's
 * argument; may be NULL. */
typedef void example_tick_t(anj_t *anj, void *arg);

/* Parses ENDPOINT_NAME SERVER_URI [LIFETIME] from argv (further arguments are the
 * example's own: see example_extra_arg), initialises `anj` and installs the three
 * mandatory objects. Prints the usage and returns non-zero on failure. */
int example_start(anj_t *anj, int argc, char *argv[], const char *extra_usage);

/* The n-th argument after SERVER_URI (n = 0 is the first one), or NULL. LIFETIME
 * is taken from the command line only when it is a plain number. */
const char *example_extra_arg(int n);

/* Firmware version reported in /3/0/3 (default "1.0.0"); call before example_start.
 * The string is not copied. */
void example_set_firmware_version(const char *version);

/* Pause between two loop iterations (default 10 ms); may be changed at any time, e.g.
 * from the tick while a transfer is under way. */
void example_set_pause_ms(long ms);

/* Runs the client until a signal arrives, then de-registers and shuts down.
 * Returns the process exit status. */
int example_run(anj_t *anj, example_tick_t *tick, void *tick_arg);

/* Prints one line to stdout and flushes it (the tests read these). */
void example_report(const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 1, 2)))
#endif
        ;

#endif /* ANJ_EXAMPLE_COMMON_H */
