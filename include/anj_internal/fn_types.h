/*
 * anj-rs: the callback *function types* of the public API. Anjay Lite declares them as
 * function types (so that `anj_dm_res_read_t *handler` is a pointer); cbindgen can only
 * write pointer typedefs, so they are written here by hand and the structs that hold
 * them are generated with inline function-pointer members of the same signatures.
 */
#ifndef ANJ_INTERNAL_FN_TYPES_H
#define ANJ_INTERNAL_FN_TYPES_H

#include <anj_internal/bindings.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int anj_dm_res_read_t(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid,
                              anj_rid_t rid, anj_riid_t riid, anj_res_value_t *out_value);
typedef int anj_dm_res_write_t(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid,
                               anj_rid_t rid, anj_riid_t riid, const anj_res_value_t *value);
typedef int anj_dm_res_execute_t(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid,
                                 anj_rid_t rid, const char *execute_arg,
                                 size_t execute_arg_len);
typedef int anj_dm_res_inst_create_t(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid,
                                     anj_rid_t rid, anj_riid_t riid);
typedef int anj_dm_res_inst_delete_t(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid,
                                     anj_rid_t rid, anj_riid_t riid);
typedef int anj_dm_inst_create_t(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid);
typedef int anj_dm_inst_delete_t(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid);
typedef int anj_dm_inst_reset_t(anj_t *anj, const anj_dm_obj_t *obj, anj_iid_t iid);
typedef int anj_dm_transaction_begin_t(anj_t *anj, const anj_dm_obj_t *obj);
typedef int anj_dm_transaction_validate_t(anj_t *anj, const anj_dm_obj_t *obj);
typedef void anj_dm_transaction_end_t(anj_t *anj, const anj_dm_obj_t *obj,
                                      anj_dm_transaction_result_t result);
typedef void anj_connection_status_callback_t(void *arg, anj_t *anj,
                                              anj_conn_status_t conn_status);
#ifdef ANJ_WITH_DEFAULT_DEVICE_OBJ
typedef void anj_dm_reboot_callback_t(void *arg, anj_t *anj);
#endif
#ifdef ANJ_WITH_EXTERNAL_DATA
typedef int anj_get_external_data_t(void *buffer, size_t *inout_size, size_t offset,
                                    void *user_args);
typedef int anj_open_external_data_t(void *user_args);
typedef void anj_close_external_data_t(void *user_args);
#endif

#ifdef __cplusplus
}
#endif

#endif /* ANJ_INTERNAL_FN_TYPES_H */
