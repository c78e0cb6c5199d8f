/* Integrator-provided hooks, stubbed: they belong to the platform, not the library. */
#include <anj/compat/net/anj_udp.h>
#include <anj/compat/rng.h>
#include <anj/compat/time.h>

static int g_ctx;
int anj_udp_create_ctx(anj_net_ctx_t **ctx, const anj_net_config_t *config) {
    (void) config;
    *ctx = (anj_net_ctx_t *) &g_ctx;
    return 0;
}
int anj_udp_cleanup_ctx(anj_net_ctx_t **ctx) { *ctx = NULL; return 0; }
int anj_udp_connect(anj_net_ctx_t *ctx, const char *h, const char *p) { (void) ctx; (void) h; (void) p; return 0; }
int anj_udp_send(anj_net_ctx_t *ctx, size_t *sent, const uint8_t *buf, size_t len) { (void) ctx; (void) buf; *sent = len; return 0; }
int anj_udp_recv(anj_net_ctx_t *ctx, size_t *got, uint8_t *buf, size_t len) { (void) ctx; (void) buf; (void) len; *got = 0; return ANJ_NET_EAGAIN; }
int anj_udp_close(anj_net_ctx_t *ctx) { (void) ctx; return 0; }
int anj_udp_get_state(anj_net_ctx_t *ctx, anj_net_socket_state_t *s) { (void) ctx; *s = ANJ_NET_SOCKET_STATE_CONNECTED; return 0; }
int anj_udp_get_inner_mtu(anj_net_ctx_t *ctx, int32_t *mtu) { (void) ctx; *mtu = 1252; return 0; }
int anj_udp_queue_mode_rx_off(anj_net_ctx_t *ctx) { (void) ctx; return 0; }
static volatile int64_t g_ticks;
anj_time_monotonic_t anj_time_monotonic_now(void) { return anj_time_monotonic_new(g_ticks++, ANJ_TIME_UNIT_MS); }
anj_time_real_t anj_time_real_now(void) { return anj_time_real_new(g_ticks, ANJ_TIME_UNIT_MS); }
int anj_rng_generate(uint8_t *buf, size_t n) { while (n--) { buf[n] = (uint8_t) g_ticks; } return 0; }
