/* anj-rs: UDP hooks (anj/compat/net/anj_udp.h) */
#ifndef ANJ_UDP_H
#define ANJ_UDP_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/compat/net/anj_net_api.h>

#endif /* ANJ_UDP_H */
