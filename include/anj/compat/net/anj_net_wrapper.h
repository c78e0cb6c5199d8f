/* anj-rs: anj_net_* dispatchers */
#ifndef ANJ_NET_WRAPPER_H
#define ANJ_NET_WRAPPER_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/compat/net/anj_net_api.h>
#include <anj/compat/net/anj_udp.h>
#include <anj/compat/net/anj_dtls.h>
#include <anj/compat/net/anj_non_ip.h>

#endif /* ANJ_NET_WRAPPER_H */
