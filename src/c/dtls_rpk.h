/*
 * anj-rs internal: the raw-public-key DTLS backend (dtls_rpk_tinydtls.c), to
 * which the anj_dtls_* hooks of dtls_mbedtls.c hand the contexts it owns, and
 * what it uses of dtls_mbedtls.c.
 */
#ifndef ANJ_RS_DTLS_RPK_H
#define ANJ_RS_DTLS_RPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <anj/compat/net/anj_net_api.h>

/* Whether `ctx` is a context of the RPK backend. */
bool anj_rs_rpk_owns(anj_net_ctx_t *ctx);

int anj_rs_rpk_create_ctx(anj_net_ctx_t **ctx, const anj_net_config_t *config);
int anj_rs_rpk_cleanup_ctx(anj_net_ctx_t **ctx);
int anj_rs_rpk_connect(anj_net_ctx_t *ctx, const char *hostname,
                       const char *port);
int anj_rs_rpk_send(anj_net_ctx_t *ctx, size_t *bytes_sent, const uint8_t *buf,
                    size_t length);
int anj_rs_rpk_recv(anj_net_ctx_t *ctx, size_t *bytes_received, uint8_t *buf,
                    size_t length);
int anj_rs_rpk_close(anj_net_ctx_t *ctx);
int anj_rs_rpk_get_state(anj_net_ctx_t *ctx, anj_net_socket_state_t *out);
int anj_rs_rpk_get_inner_mtu(anj_net_ctx_t *ctx, int32_t *out);
int anj_rs_rpk_queue_mode_rx_off(anj_net_ctx_t *ctx);
int anj_rs_rpk_stats(anj_net_ctx_t *ctx, uint32_t *handshakes,
                     uint64_t *bytes_out, uint64_t *bytes_in);

/* From dtls_mbedtls.c: how long a handshake may take in all, in ms. */
uint32_t anj_rs_dtls_handshake_budget_ms(void);

/* From dtls_mbedtls.c: the bytes of a credential (a BUFFER's own, or an
 * EXTERNAL one resolved by the crypto storage into `scratch`); 0 on success,
 * an EMPTY or zero-length credential giving *out_len 0; `what` names it in
 * the log. */
int anj_rs_dtls_credential_bytes(const anj_net_ssl_configuration_t *sec,
                                 const anj_crypto_security_info_t *info,
                                 unsigned char *scratch, size_t scratch_size,
                                 const unsigned char **out, size_t *out_len,
                                 const char *what);

#endif /* ANJ_RS_DTLS_RPK_H */
