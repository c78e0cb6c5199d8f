/*
 * anj-rs example: the smallest client. It initializes the library with an endpoint
 * name and runs the main loop for a few seconds; with no objects installed there is
 * no server to talk to yet (see ../mandatory_objects for that).
 *
 * usage: anj_example_initialization ENDPOINT_NAME [SECONDS]
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <anj/core.h>
#include <anj/log.h>

int main(int argc, char *argv[]) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s ENDPOINT_NAME [SECONDS]\n", argv[0]);
        return 2;
    }
    long seconds = argc > 2 ? strtol(argv[2], NULL, 10) : 3;

    anj_t anj;
    anj_configuration_t config = { .endpoint_name = argv[1] };
    if (anj_core_init(&anj, &config)) {
        anj_log(example, L_ERROR, "anj_core_init failed");
        return 1;
    }
    anj_log(example, L_INFO, "client %s initialized", anj.endpoint_name);

    for (long i = 0; i < seconds * 20; i++) {
        anj_core_step(&anj);
        struct timespec ts = { 0, 50 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return anj_core_shutdown(&anj) == 0 ? 0 : 1;
}
