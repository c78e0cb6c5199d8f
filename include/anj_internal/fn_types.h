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
/* The per-binding network hooks have these types (anj/compat/net/anj_net_api.h). */
typedef int anj_net_create_ctx_t(anj_net_ctx_t **ctx, const anj_net_config_t *config);
typedef int anj_net_cleanup_ctx_t(anj_net_ctx_t **ctx);
typedef int anj_net_connect_t(anj_net_ctx_t *ctx, const char *hostname, const char *port);
typedef int anj_net_send_t(anj_net_ctx_t *ctx, size_t *bytes_sent, const uint8_t *buf,
                           size_t length);
typedef int anj_net_recv_t(anj_net_ctx_t *ctx, size_t *bytes_received, uint8_t *buf,
                           size_t length);
typedef int anj_net_close_t(anj_net_ctx_t *ctx);
typedef int anj_net_get_state_t(anj_net_ctx_t *ctx, anj_net_socket_state_t *out_value);
typedef int anj_net_get_inner_mtu_t(anj_net_ctx_t *ctx, int32_t *out_value);
typedef int anj_net_queue_mode_rx_off_t(anj_net_ctx_t *ctx);

#ifdef ANJ_WITH_COAP_DOWNLOADER
typedef void anj_coap_downloader_event_callback_t(void *arg,
                                                  anj_coap_downloader_t *coap_downloader,
                                                  anj_coap_downloader_status_t conn_status,
                                                  const uint8_t *data, size_t data_len);
#endif

#ifdef ANJ_WITH_EXTERNAL_DATA
typedef int anj_get_external_data_t(void *buffer, size_t *inout_size, size_t offset,
                                    void *user_args);
typedef int anj_open_external_data_t(void *user_args);
typedef void anj_close_external_data_t(void *user_args);
#endif

#ifdef ANJ_WITH_SECURITY
typedef int anj_security_get_psk_info_handler_t(const anj_t *anj,
                                                bool bootstrap_credentials,
                                                anj_net_psk_info_t *out_psk_info);
#    ifdef ANJ_WITH_CERTIFICATES
typedef int anj_security_get_cert_info_handler_t(const anj_t *anj,
                                                 bool bootstrap_credentials,
                                                 anj_net_certificate_info_t *out_cert_info);
#    endif
#    ifdef ANJ_WITH_EXTERNAL_CRYPTO_STORAGE
typedef int anj_security_offload_keys_and_certs_handler_t(anj_t *anj);
#    endif
#endif

#ifdef __cplusplus
}
#endif

#endif /* ANJ_INTERNAL_FN_TYPES_H */
