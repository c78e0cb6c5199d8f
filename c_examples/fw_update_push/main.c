/*
 * anj-rs example: firmware update in push mode, LwM2M object 5 (/5/0).
 *
 * The server writes the firmware image to Package (/5/0/0), block-wise when it is
 * larger than one message. Each block reaches package_write_handler as it arrives and
 * is appended to IMAGE_FILE: the image is never held in memory. When the last block is
 * in, State (/5/0/3) is Downloaded and PkgVersion (/5/0/7) names the package as
 * "crc32-XXXXXXXX" (CRC-32 of the image). Executing Update (/5/0/2) "applies" it: the
 * client answers, lets the response and notifications go out, closes its socket and
 * re-executes its own binary with the extra argument --updated=VERSION. The restarted
 * client reports that version as its firmware version (/3/0/3) and, right after
 * installing /5, calls anj_dm_fw_update_object_set_update_result(SUCCESS): the server
 * then reads State 0 (Idle) and Update Result 1 (success).
 *
 * An empty write to Package, a transfer the server abandons and a failed write all
 * call the reset handler, which closes and deletes IMAGE_FILE.
 *
 * Lines for the tests: "FW DOWNLOAD START", "FW DOWNLOADED <bytes> <version>",
 * "FW RESET", "FW APPLY <version>", "FW UPDATED <version>".
 *
 * usage: anj_example_fw_update_push ENDPOINT_NAME SERVER_URI [LIFETIME] [IMAGE_FILE]
 *   IMAGE_FILE defaults to /tmp/anj_fw_update_push.bin
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/fw_update.h>
#include <anj/log.h>

#include "example_common.h"

#define UPDATED_MARKER "--updated="
#define MAX_ARGS 16
/* Loop iterations (about 10 ms each) between the Execute and the restart, so that the
 * response and the notifications of State leave first. */
#define APPLY_DELAY_TICKS 20

typedef struct {
    const char *path;
    FILE *file;
    size_t received;
    uint32_t crc;
    /* "crc32-XXXXXXXX" of the downloaded package. */
    char version[32];
    /* Ticks left before the restart; -1 when no update is scheduled. */
    int apply_in;
} fw_state_t;

static fw_state_t g_fw = { .apply_in = -1 };
static anj_dm_fw_update_entity_ctx_t g_fw_ctx;
static char *g_argv[MAX_ARGS + 2];
static char g_marker[sizeof(UPDATED_MARKER) + sizeof(g_fw.version)];

/* CRC-32 (IEEE 802.3, as zlib computes it), bit by bit: small and fast enough. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *data, size_t len) {
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xEDB88320u & (uint32_t) -(int32_t) (crc & 1));
        }
    }
    return ~crc;
}

static void close_image(fw_state_t *fw, bool remove_it) {
    if (fw->file) {
        fclose(fw->file);
        fw->file = NULL;
    }
    if (remove_it) {
        remove(fw->path);
    }
}

static anj_dm_fw_update_result_t fw_write_start(void *user_ptr) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    close_image(fw, false);
    fw->file = fopen(fw->path, "wb");
    if (!fw->file) {
        anj_log(fw_example, L_ERROR, "cannot open %s", fw->path);
        return ANJ_DM_FW_UPDATE_RESULT_FAILED;
    }
    fw->received = 0;
    fw->crc = 0;
    fw->version[0] = '\0';
    /* Blocks come one round trip after another: poll often while they do. */
    example_set_pause_ms(1);
    example_report("FW DOWNLOAD START");
    return ANJ_DM_FW_UPDATE_RESULT_SUCCESS;
}

static anj_dm_fw_update_result_t
fw_write(void *user_ptr, const void *data, size_t data_size) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    if (!fw->file || fwrite(data, 1, data_size, fw->file) != data_size) {
        /* A full disk is what a device would report as "not enough space". */
        return ANJ_DM_FW_UPDATE_RESULT_NOT_ENOUGH_SPACE;
    }
    fw->received += data_size;
    fw->crc = crc32_update(fw->crc, (const uint8_t *) data, data_size);
    return ANJ_DM_FW_UPDATE_RESULT_SUCCESS;
}

static anj_dm_fw_update_result_t fw_write_finish(void *user_ptr) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    example_set_pause_ms(10);
    int closed = fw->file ? fclose(fw->file) : -1;
    fw->file = NULL;
    if (closed != 0) {
        return ANJ_DM_FW_UPDATE_RESULT_NOT_ENOUGH_SPACE;
    }
    snprintf(fw->version, sizeof(fw->version), "crc32-%08lx", (unsigned long) fw->crc);
    example_report("FW DOWNLOADED %lu %s", (unsigned long) fw->received, fw->version);
    return ANJ_DM_FW_UPDATE_RESULT_SUCCESS;
}

static int fw_update_start(void *user_ptr) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    /* Only scheduled here: the Execute must be answered before the restart. */
    fw->apply_in = APPLY_DELAY_TICKS;
    return 0;
}

static const char *fw_get_name(void *user_ptr) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    const char *slash = strrchr(fw->path, '/');
    return slash ? slash + 1 : fw->path;
}

static const char *fw_get_version(void *user_ptr) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    return fw->version[0] ? fw->version : NULL;
}

static void fw_reset(void *user_ptr) {
    fw_state_t *fw = (fw_state_t *) user_ptr;
    example_set_pause_ms(10);
    close_image(fw, true);
    fw->received = 0;
    fw->version[0] = '\0';
    fw->apply_in = -1;
    example_report("FW RESET");
}

static anj_dm_fw_update_handlers_t g_fw_handlers = {
    .package_write_start_handler = fw_write_start,
    .package_write_handler = fw_write,
    .package_write_finish_handler = fw_write_finish,
    .update_start_handler = fw_update_start,
    .get_name = fw_get_name,
    .get_version = fw_get_version,
    .reset_handler = fw_reset,
};

/* Restarts into the "new firmware": this very binary, told which version it now is. */
static void apply_update(anj_t *anj) {
    example_report("FW APPLY %s", g_fw.version);
    int r;
    while ((r = anj_core_shutdown(anj)) == ANJ_NET_EAGAIN) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    snprintf(g_marker, sizeof(g_marker), "%s%s", UPDATED_MARKER, g_fw.version);
    int n = 0;
    while (g_argv[n]) {
        n++;
    }
    g_argv[n] = g_marker;
    g_argv[n + 1] = NULL;
    fflush(NULL);
    execv("/proc/self/exe", g_argv);
    execv(g_argv[0], g_argv);
    anj_log(fw_example, L_ERROR, "cannot re-execute %s", g_argv[0]);
    exit(1);
}

static void fw_tick(anj_t *anj, void *arg) {
    (void) arg;
    if (g_fw.apply_in > 0) {
        g_fw.apply_in--;
    } else if (g_fw.apply_in == 0) {
        apply_update(anj);
    }
}

int main(int argc, char *argv[]) {
    /* Our own arguments, without an --updated= marker of a previous update. */
    const char *updated_to = NULL;
    int n = 0;
    for (int i = 0; i < argc && n < MAX_ARGS; i++) {
        if (strncmp(argv[i], UPDATED_MARKER, strlen(UPDATED_MARKER)) == 0) {
            updated_to = argv[i] + strlen(UPDATED_MARKER);
        } else {
            g_argv[n++] = argv[i];
        }
    }
    g_argv[n] = NULL;

    if (updated_to) {
        example_set_firmware_version(updated_to);
    }
    static anj_t anj;
    if (example_start(&anj, n, g_argv, "[IMAGE_FILE]")) {
        return 1;
    }
    g_fw.path = example_extra_arg(0) ? example_extra_arg(0)
                                     : "/tmp/anj_fw_update_push.bin";
    if (anj_dm_fw_update_object_install(&anj, &g_fw_ctx, &g_fw_handlers, &g_fw)) {
        anj_log(fw_example, L_ERROR, "installing /5 failed");
        return 1;
    }
    if (updated_to) {
        /* Right after installing the object, as anj/dm/fw_update.h asks. */
        anj_dm_fw_update_object_set_update_result(&anj, &g_fw_ctx,
                                                  ANJ_DM_FW_UPDATE_RESULT_SUCCESS);
        example_report("FW UPDATED %s", updated_to);
    }
    return example_run(&anj, fw_tick, NULL);
}
