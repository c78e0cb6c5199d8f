/*
 * anj-rs: Firmware Update object /5 (Anjay Lite 3.0.0 anj/dm/fw_update.h).
 *
 * The enums anj_dm_fw_update_state_t and anj_dm_fw_update_result_t, the callback table
 * anj_dm_fw_update_handlers_t and the functions anj_dm_fw_update_object_install,
 * anj_dm_fw_update_object_set_update_result and
 * anj_dm_fw_update_object_set_download_result are generated from the Rust sources into
 * anj_internal/bindings.h; the context anj_dm_fw_update_entity_ctx_t is an opaque blob
 * (anj_internal/opaque.h). Declared only with ANJ_WITH_DEFAULT_FOTA_OBJ.
 */
#ifndef ANJ_DM_FW_UPDATE_H
#define ANJ_DM_FW_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/core.h>
#include <anj/dm/core.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef ANJ_WITH_DEFAULT_FOTA_OBJ

/* The types of the callbacks in anj_dm_fw_update_handlers_t (function types, so that a
 * member is declared as `anj_dm_fw_update_reset_t *reset_handler`). */
typedef anj_dm_fw_update_result_t anj_dm_fw_update_package_write_start_t(void *user_ptr);
typedef anj_dm_fw_update_result_t anj_dm_fw_update_package_write_t(void *user_ptr,
                                                                   const void *data,
                                                                   size_t data_size);
typedef anj_dm_fw_update_result_t anj_dm_fw_update_package_write_finish_t(void *user_ptr);
typedef anj_dm_fw_update_result_t anj_dm_fw_update_uri_write_t(void *user_ptr,
                                                               const char *uri);
typedef int anj_dm_fw_update_update_start_t(void *user_ptr);
typedef const char *anj_dm_fw_update_get_name_t(void *user_ptr);
typedef const char *anj_dm_fw_update_get_version_t(void *user_ptr);
typedef void anj_dm_fw_update_reset_t(void *user_ptr);

#endif /* ANJ_WITH_DEFAULT_FOTA_OBJ */

#ifdef __cplusplus
}
#endif

#endif /* ANJ_DM_FW_UPDATE_H */
