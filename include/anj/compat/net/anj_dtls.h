/*
 * anj-rs: DTLS binding hooks (anj/compat/net/anj_dtls.h). The anj_dtls_* functions, of
 * the anj_net_*_t types of anj/compat/net/anj_net_api.h, are declared in the generated
 * anj_internal/bindings.h (with ANJ_NET_WITH_DTLS); this header exists so that code
 * written for Anjay Lite can include it.
 */
#include <anj/init.h>

#ifndef ANJ_DTLS_H
#define ANJ_DTLS_H

#include <anj/compat/net/anj_net_api.h>

#endif /* ANJ_DTLS_H */
