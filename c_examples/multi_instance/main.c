/*
 * anj-rs example: objects with several instances and resources with several
 * instances, both fixed at build time and created by the server at run time.
 *
 * /3311 Light Control -- three lamps, instances 0, 1 and 2, always present
 *   (a static multi-instance object: no Create, no Delete).
 *     5706 Colour                    RW string
 *     5750 Application Type          RW string
 *     5805 Cumulative active power   R  double  grows while the lamp is on
 *     5850 On/Off                    RW bool
 *     5851 Dimmer                    RW int     0..100, anything else is refused
 *     5852 On time                   RW int     seconds since switched on; write 0
 *                                               to restart the count
 *
 * /16 Portfolio -- a dynamic multi-instance object (up to 4 instances; instance 0
 *   exists at start). The server may Create and Delete instances.
 *     0 Identity        RWM string  dynamic resource instances (up to 4); each
 *                                   must be a non-empty string
 *     1 GetAuthData     E           marks AuthStatus as 1; arguments are logged
 *     2 AuthData        RM  opaque  static resource instances 0 and 1
 *     3 AuthStatus      R   int
 *
 * Every modifying request is a transaction: each object saves its whole state
 * when the transaction begins, checks it when it is validated, and puts the
 * saved copy back when it ends with a failure.
 *
 * usage: anj_example_multi_instance ENDPOINT_NAME SERVER_URI [LIFETIME]
 */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <anj/core.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/dm/defs.h>
#include <anj/log.h>
#include <anj/utils.h>

#include "example_common.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TEXT_MAX_LEN 32

/* ------------------------------------------------------------------------ */
/* /3311 Light Control: a fixed set of instances                             */

#define LIGHT_OID 3311
#define LIGHT_COUNT 3

#define RID_COLOUR 5706
#define RID_APP_TYPE 5750
#define RID_ACTIVE_POWER 5805
#define RID_ON_OFF 5850
#define RID_DIMMER 5851
#define RID_ON_TIME 5852

typedef struct {
    char colour[TEXT_MAX_LEN + 1];
    char app_type[TEXT_MAX_LEN + 1];
    double energy_wh;
    bool on;
    int64_t dimmer;
    /* Seconds the lamp had been on when it was last written/switched. */
    long on_since;
} light_t;

static light_t g_lights[LIGHT_COUNT];
static light_t g_lights_saved[LIGHT_COUNT];

static const anj_dm_res_t g_light_res[] = {
    { .rid = RID_COLOUR, .type = ANJ_DATA_TYPE_STRING, .kind = ANJ_DM_RES_RW },
    { .rid = RID_APP_TYPE, .type = ANJ_DATA_TYPE_STRING, .kind = ANJ_DM_RES_RW },
    { .rid = RID_ACTIVE_POWER, .type = ANJ_DATA_TYPE_DOUBLE, .kind = ANJ_DM_RES_R },
    { .rid = RID_ON_OFF, .type = ANJ_DATA_TYPE_BOOL, .kind = ANJ_DM_RES_RW },
    { .rid = RID_DIMMER, .type = ANJ_DATA_TYPE_INT, .kind = ANJ_DM_RES_RW },
    { .rid = RID_ON_TIME, .type = ANJ_DATA_TYPE_INT, .kind = ANJ_DM_RES_RW },
};

/* All three instances share one resource table (none of them has
 * multi-instance resources). */
static const anj_dm_obj_inst_t g_light_insts[LIGHT_COUNT] = {
    { .iid = 0, .resources = g_light_res, .res_count = ARRAY_LEN(g_light_res) },
    { .iid = 1, .resources = g_light_res, .res_count = ARRAY_LEN(g_light_res) },
    { .iid = 2, .resources = g_light_res, .res_count = ARRAY_LEN(g_light_res) },
};

static long monotonic_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long) ts.tv_sec;
}

static void light_set_defaults(light_t *light) {
    memset(light, 0, sizeof(*light));
    light->on_since = monotonic_seconds();
}

static int copy_text(char *dst, size_t dst_size, const anj_res_value_t *value) {
    if (value->bytes_or_string.offset + value->bytes_or_string.chunk_length >= dst_size) {
        return ANJ_DM_ERR_BAD_REQUEST;
    }
    return anj_dm_write_string_chunked(value, dst, dst_size, NULL) ? ANJ_DM_ERR_BAD_REQUEST
                                                                   : 0;
}

static int light_read(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid, anj_rid_t rid,
                      anj_riid_t riid, anj_res_value_t *out_value) {
    (void) anj;
    (void) obj;
    (void) riid;
    if (iid >= LIGHT_COUNT) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    light_t *light = &g_lights[iid];
    switch (rid) {
    case RID_COLOUR: out_value->bytes_or_string.data = light->colour; return 0;
    case RID_APP_TYPE: out_value->bytes_or_string.data = light->app_type; return 0;
    case RID_ACTIVE_POWER: out_value->double_value = light->energy_wh; return 0;
    case RID_ON_OFF: out_value->bool_value = light->on; return 0;
    case RID_DIMMER: out_value->int_value = light->dimmer; return 0;
    case RID_ON_TIME:
        out_value->int_value = light->on ? (int64_t) (monotonic_seconds() - light->on_since) : 0;
        return 0;
    default: return ANJ_DM_ERR_NOT_FOUND;
    }
}

static int light_write(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid, anj_rid_t rid,
                       anj_riid_t riid, const anj_res_value_t *value) {
    (void) anj;
    (void) obj;
    (void) riid;
    if (iid >= LIGHT_COUNT) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    light_t *light = &g_lights[iid];
    switch (rid) {
    case RID_COLOUR: return copy_text(light->colour, sizeof(light->colour), value);
    case RID_APP_TYPE: return copy_text(light->app_type, sizeof(light->app_type), value);
    case RID_ON_OFF:
        if (value->bool_value && !light->on) {
            light->on_since = monotonic_seconds();
        }
        light->on = value->bool_value;
        return 0;
    case RID_DIMMER:
        /* Stored as given; the range is checked when the transaction is
         * validated, so that a bad value rolls the whole request back. */
        light->dimmer = value->int_value;
        return 0;
    case RID_ON_TIME:
        if (value->int_value != 0) {
            return ANJ_DM_ERR_BAD_REQUEST;
        }
        light->on_since = monotonic_seconds();
        return 0;
    default: return ANJ_DM_ERR_METHOD_NOT_ALLOWED;
    }
}

/* Write-Replace on an instance: forget the writable values first. The
 * accumulated energy is a measurement, not a setting, so it stays. */
static int light_reset(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid) {
    (void) anj;
    (void) obj;
    if (iid >= LIGHT_COUNT) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    double energy = g_lights[iid].energy_wh;
    light_set_defaults(&g_lights[iid]);
    g_lights[iid].energy_wh = energy;
    return 0;
}

static int light_transaction_begin(anj_t *anj, const anj_dm_obj_t *obj) {
    (void) anj;
    (void) obj;
    memcpy(g_lights_saved, g_lights, sizeof(g_lights));
    return 0;
}

static int light_transaction_validate(anj_t *anj, const anj_dm_obj_t *obj) {
    (void) anj;
    (void) obj;
    for (int i = 0; i < LIGHT_COUNT; i++) {
        if (g_lights[i].dimmer < 0 || g_lights[i].dimmer > 100) {
            example_report("VALIDATE /%d/%d refused: dimmer %lld out of 0..100", LIGHT_OID, i,
                           (long long) g_lights[i].dimmer);
            return ANJ_DM_ERR_BAD_REQUEST;
        }
    }
    return 0;
}

static void light_transaction_end(anj_t *anj, const anj_dm_obj_t *obj,
                                  anj_dm_transaction_result_t result) {
    (void) anj;
    (void) obj;
    if (result != ANJ_DM_TRANSACTION_SUCCESS) {
        memcpy(g_lights, g_lights_saved, sizeof(g_lights));
    }
    example_report("TRANSACTION /%d %s", LIGHT_OID,
                   result == ANJ_DM_TRANSACTION_SUCCESS ? "SUCCESS" : "FAILURE");
}

static const anj_dm_handlers_t g_light_handlers = {
    .inst_reset = light_reset,
    .transaction_begin = light_transaction_begin,
    .transaction_validate = light_transaction_validate,
    .transaction_end = light_transaction_end,
    .res_read = light_read,
    .res_write = light_write,
};

static const anj_dm_obj_t g_light_obj = {
    .oid = LIGHT_OID,
    .handlers = &g_light_handlers,
    .insts = g_light_insts,
    .max_inst_count = LIGHT_COUNT,
};

/* Lamps that are on use 10 W per unit of dimmer/100; energy in Wh. */
static void lights_tick(void) {
    static long last = -1;
    long now = monotonic_seconds();
    if (now == last) {
        return;
    }
    last = now;
    for (int i = 0; i < LIGHT_COUNT; i++) {
        if (g_lights[i].on) {
            g_lights[i].energy_wh += 10.0 * (double) g_lights[i].dimmer / 100.0 / 3600.0;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* /16 Portfolio: instances and resource instances come and go               */

#define PORTFOLIO_OID 16
#define PORTFOLIO_MAX_INSTS 4
#define IDENTITY_MAX_INSTS 4
#define AUTH_DATA_INSTS 2

#define RID_IDENTITY 0
#define RID_GET_AUTH_DATA 1
#define RID_AUTH_DATA 2
#define RID_AUTH_STATUS 3

/* Storage for one instance. Slots never move, so the resource table of a slot
 * can point at the slot's own Resource Instance ID arrays. */
typedef struct {
    anj_iid_t iid; /* ANJ_ID_INVALID when the slot is free */
    /* Identity: IDs ascending and packed at the front, ANJ_ID_INVALID after;
     * identity[k] is the value of identity_riids[k]. */
    anj_riid_t identity_riids[IDENTITY_MAX_INSTS];
    char identity[IDENTITY_MAX_INSTS][TEXT_MAX_LEN + 1];
    int64_t auth_status;
    anj_dm_res_t res[4];
} portfolio_slot_t;

typedef struct {
    portfolio_slot_t slots[PORTFOLIO_MAX_INSTS];
    /* What the library sees: in-use instances first, by ascending IID. */
    anj_dm_obj_inst_t insts[PORTFOLIO_MAX_INSTS];
} portfolio_t;

static portfolio_t g_portfolio;
static portfolio_t g_portfolio_saved;

/* AuthData always has the instances 0 and 1 (a static multi-instance resource). */
static const anj_riid_t g_auth_data_riids[AUTH_DATA_INSTS] = { 0, 1 };
static const uint8_t g_auth_data_0[] = { 0xde, 0xad, 0xbe, 0xef };
static const uint8_t g_auth_data_1[] = { 0x01, 0x02, 0x03 };

static void portfolio_rebuild_insts(portfolio_t *p) {
    size_t used = 0;
    for (size_t s = 0; s < PORTFOLIO_MAX_INSTS; s++) {
        portfolio_slot_t *slot = &p->slots[s];
        if (slot->iid == ANJ_ID_INVALID) {
            continue;
        }
        /* Insertion into the sorted prefix. */
        size_t pos = used;
        while (pos > 0 && p->insts[pos - 1].iid > slot->iid) {
            p->insts[pos] = p->insts[pos - 1];
            pos--;
        }
        p->insts[pos].iid = slot->iid;
        p->insts[pos].resources = slot->res;
        p->insts[pos].res_count = ARRAY_LEN(slot->res);
        used++;
    }
    for (; used < PORTFOLIO_MAX_INSTS; used++) {
        p->insts[used].iid = ANJ_ID_INVALID;
        p->insts[used].resources = NULL;
        p->insts[used].res_count = 0;
    }
}

static void portfolio_slot_clear(portfolio_slot_t *slot, anj_iid_t iid) {
    slot->iid = iid;
    for (size_t k = 0; k < IDENTITY_MAX_INSTS; k++) {
        slot->identity_riids[k] = ANJ_ID_INVALID;
        slot->identity[k][0] = '\0';
    }
    slot->auth_status = 0;
}

static void portfolio_init(void) {
    for (size_t s = 0; s < PORTFOLIO_MAX_INSTS; s++) {
        portfolio_slot_t *slot = &g_portfolio.slots[s];
        portfolio_slot_clear(slot, ANJ_ID_INVALID);
        anj_dm_res_t res[4] = {
            { .rid = RID_IDENTITY, .type = ANJ_DATA_TYPE_STRING, .kind = ANJ_DM_RES_RWM,
              .insts = slot->identity_riids, .max_inst_count = IDENTITY_MAX_INSTS },
            { .rid = RID_GET_AUTH_DATA, .type = ANJ_DATA_TYPE_NULL, .kind = ANJ_DM_RES_E },
            { .rid = RID_AUTH_DATA, .type = ANJ_DATA_TYPE_BYTES, .kind = ANJ_DM_RES_RM,
              .insts = g_auth_data_riids, .max_inst_count = AUTH_DATA_INSTS },
            { .rid = RID_AUTH_STATUS, .type = ANJ_DATA_TYPE_INT, .kind = ANJ_DM_RES_R },
        };
        memcpy(slot->res, res, sizeof(res));
    }
    /* Instance 0 with two identities. */
    portfolio_slot_t *first = &g_portfolio.slots[0];
    portfolio_slot_clear(first, 0);
    first->identity_riids[0] = 0;
    first->identity_riids[1] = 1;
    strcpy(first->identity[0], "host-a");
    strcpy(first->identity[1], "user-a");
    portfolio_rebuild_insts(&g_portfolio);
}

static portfolio_slot_t *portfolio_find(anj_iid_t iid) {
    for (size_t s = 0; s < PORTFOLIO_MAX_INSTS; s++) {
        if (iid != ANJ_ID_INVALID && g_portfolio.slots[s].iid == iid) {
            return &g_portfolio.slots[s];
        }
    }
    return NULL;
}

/* Index of `riid` among the slot's identities, or -1. */
static int identity_index(const portfolio_slot_t *slot, anj_riid_t riid) {
    for (int k = 0; k < IDENTITY_MAX_INSTS; k++) {
        if (riid != ANJ_ID_INVALID && slot->identity_riids[k] == riid) {
            return k;
        }
    }
    return -1;
}

static int portfolio_read(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid, anj_rid_t rid,
                          anj_riid_t riid, anj_res_value_t *out_value) {
    (void) anj;
    (void) obj;
    portfolio_slot_t *slot = portfolio_find(iid);
    if (!slot) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    switch (rid) {
    case RID_IDENTITY: {
        int k = identity_index(slot, riid);
        if (k < 0) {
            return ANJ_DM_ERR_NOT_FOUND;
        }
        out_value->bytes_or_string.data = slot->identity[k];
        return 0;
    }
    case RID_AUTH_DATA:
        if (riid == 0) {
            out_value->bytes_or_string.data = g_auth_data_0;
            out_value->bytes_or_string.chunk_length = sizeof(g_auth_data_0);
        } else if (riid == 1) {
            out_value->bytes_or_string.data = g_auth_data_1;
            out_value->bytes_or_string.chunk_length = sizeof(g_auth_data_1);
        } else {
            return ANJ_DM_ERR_NOT_FOUND;
        }
        return 0;
    case RID_AUTH_STATUS: out_value->int_value = slot->auth_status; return 0;
    default: return ANJ_DM_ERR_NOT_FOUND;
    }
}

static int portfolio_write(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid, anj_rid_t rid,
                           anj_riid_t riid, const anj_res_value_t *value) {
    (void) anj;
    (void) obj;
    portfolio_slot_t *slot = portfolio_find(iid);
    if (!slot) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    if (rid != RID_IDENTITY) {
        return ANJ_DM_ERR_METHOD_NOT_ALLOWED;
    }
    int k = identity_index(slot, riid);
    if (k < 0) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    return copy_text(slot->identity[k], sizeof(slot->identity[k]), value);
}

static int portfolio_execute(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid, anj_rid_t rid,
                             const char *execute_arg, size_t execute_arg_len) {
    (void) anj;
    (void) obj;
    portfolio_slot_t *slot = portfolio_find(iid);
    if (!slot || rid != RID_GET_AUTH_DATA) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    slot->auth_status = 1;
    example_report("EXECUTE /%d/%d/%d ARGS '%.*s'", PORTFOLIO_OID, (int) iid, (int) rid,
                   (int) execute_arg_len, execute_arg ? execute_arg : "");
    return 0;
}

static int portfolio_inst_create(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid) {
    (void) anj;
    (void) obj;
    /* The library has checked that the IID is free and that there is room. */
    for (size_t s = 0; s < PORTFOLIO_MAX_INSTS; s++) {
        if (g_portfolio.slots[s].iid == ANJ_ID_INVALID) {
            portfolio_slot_clear(&g_portfolio.slots[s], iid);
            portfolio_rebuild_insts(&g_portfolio);
            example_report("CREATED /%d/%d", PORTFOLIO_OID, (int) iid);
            return 0;
        }
    }
    return ANJ_DM_ERR_INTERNAL;
}

static int portfolio_inst_delete(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid) {
    (void) anj;
    (void) obj;
    portfolio_slot_t *slot = portfolio_find(iid);
    if (!slot) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    portfolio_slot_clear(slot, ANJ_ID_INVALID);
    portfolio_rebuild_insts(&g_portfolio);
    example_report("DELETED /%d/%d", PORTFOLIO_OID, (int) iid);
    return 0;
}

/* Write-Replace: the only writable resource is Identity; drop all its instances
 * (the request then creates the ones it carries). */
static int portfolio_inst_reset(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid) {
    (void) anj;
    (void) obj;
    portfolio_slot_t *slot = portfolio_find(iid);
    if (!slot) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    for (size_t k = 0; k < IDENTITY_MAX_INSTS; k++) {
        slot->identity_riids[k] = ANJ_ID_INVALID;
        slot->identity[k][0] = '\0';
    }
    return 0;
}

static int portfolio_res_inst_create(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid,
                                     anj_rid_t rid, anj_riid_t riid) {
    (void) anj;
    (void) obj;
    portfolio_slot_t *slot = portfolio_find(iid);
    if (!slot || rid != RID_IDENTITY) {
        return ANJ_DM_ERR_METHOD_NOT_ALLOWED;
    }
    /* Find the first used ID above `riid` (or the first free slot) and shift
     * the tail one place right to keep the array sorted. */
    int pos = 0;
    while (pos < IDENTITY_MAX_INSTS && slot->identity_riids[pos] != ANJ_ID_INVALID
           && slot->identity_riids[pos] < riid) {
        pos++;
    }
    if (pos >= IDENTITY_MAX_INSTS
            || slot->identity_riids[IDENTITY_MAX_INSTS - 1] != ANJ_ID_INVALID) {
        return ANJ_DM_ERR_INTERNAL;
    }
    for (int k = IDENTITY_MAX_INSTS - 1; k > pos; k--) {
        slot->identity_riids[k] = slot->identity_riids[k - 1];
        memcpy(slot->identity[k], slot->identity[k - 1], sizeof(slot->identity[k]));
    }
    slot->identity_riids[pos] = riid;
    slot->identity[pos][0] = '\0';
    return 0;
}

static int portfolio_res_inst_delete(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid,
                                     anj_rid_t rid, anj_riid_t riid) {
    (void) anj;
    (void) obj;
    portfolio_slot_t *slot = portfolio_find(iid);
    if (!slot || rid != RID_IDENTITY) {
        return ANJ_DM_ERR_METHOD_NOT_ALLOWED;
    }
    int pos = identity_index(slot, riid);
    if (pos < 0) {
        return ANJ_DM_ERR_NOT_FOUND;
    }
    for (int k = pos; k < IDENTITY_MAX_INSTS - 1; k++) {
        slot->identity_riids[k] = slot->identity_riids[k + 1];
        memcpy(slot->identity[k], slot->identity[k + 1], sizeof(slot->identity[k]));
    }
    slot->identity_riids[IDENTITY_MAX_INSTS - 1] = ANJ_ID_INVALID;
    slot->identity[IDENTITY_MAX_INSTS - 1][0] = '\0';
    return 0;
}

static int portfolio_transaction_begin(anj_t *anj, const anj_dm_obj_t *obj) {
    (void) anj;
    (void) obj;
    g_portfolio_saved = g_portfolio;
    return 0;
}

static int portfolio_transaction_validate(anj_t *anj, const anj_dm_obj_t *obj) {
    (void) anj;
    (void) obj;
    for (size_t s = 0; s < PORTFOLIO_MAX_INSTS; s++) {
        const portfolio_slot_t *slot = &g_portfolio.slots[s];
        if (slot->iid == ANJ_ID_INVALID) {
            continue;
        }
        for (size_t k = 0; k < IDENTITY_MAX_INSTS; k++) {
            if (slot->identity_riids[k] != ANJ_ID_INVALID && slot->identity[k][0] == '\0') {
                example_report("VALIDATE /%d/%d refused: empty Identity %d", PORTFOLIO_OID,
                               (int) slot->iid, (int) slot->identity_riids[k]);
                return ANJ_DM_ERR_BAD_REQUEST;
            }
        }
    }
    return 0;
}

static void portfolio_transaction_end(anj_t *anj, const anj_dm_obj_t *obj,
                                      anj_dm_transaction_result_t result) {
    (void) anj;
    (void) obj;
    if (result != ANJ_DM_TRANSACTION_SUCCESS) {
        /* Slots never move, so the saved copy's internal pointers are still
         * right; the instance table is rebuilt anyway to be safe. */
        g_portfolio = g_portfolio_saved;
        portfolio_rebuild_insts(&g_portfolio);
    }
    example_report("TRANSACTION /%d %s", PORTFOLIO_OID,
                   result == ANJ_DM_TRANSACTION_SUCCESS ? "SUCCESS" : "FAILURE");
}

static const anj_dm_handlers_t g_portfolio_handlers = {
    .inst_create = portfolio_inst_create,
    .inst_delete = portfolio_inst_delete,
    .inst_reset = portfolio_inst_reset,
    .transaction_begin = portfolio_transaction_begin,
    .transaction_validate = portfolio_transaction_validate,
    .transaction_end = portfolio_transaction_end,
    .res_read = portfolio_read,
    .res_write = portfolio_write,
    .res_execute = portfolio_execute,
    .res_inst_create = portfolio_res_inst_create,
    .res_inst_delete = portfolio_res_inst_delete,
};

static const anj_dm_obj_t g_portfolio_obj = {
    .oid = PORTFOLIO_OID,
    .handlers = &g_portfolio_handlers,
    .insts = g_portfolio.insts,
    .max_inst_count = PORTFOLIO_MAX_INSTS,
};

/* ------------------------------------------------------------------------ */

static void multi_tick(anj_t *anj, void *arg) {
    (void) anj;
    (void) arg;
    lights_tick();
}

int main(int argc, char *argv[]) {
    static anj_t anj;
    for (int i = 0; i < LIGHT_COUNT; i++) {
        light_set_defaults(&g_lights[i]);
    }
    strcpy(g_lights[0].colour, "warm white");
    strcpy(g_lights[1].colour, "red");
    strcpy(g_lights[2].colour, "blue");
    portfolio_init();

    if (example_start(&anj, argc, argv, NULL)) {
        return 1;
    }
    if (anj_dm_add_obj(&anj, &g_light_obj) || anj_dm_add_obj(&anj, &g_portfolio_obj)) {
        anj_log(example, L_ERROR, "adding the example objects failed");
        return 1;
    }
    return example_run(&anj, multi_tick, NULL);
}
