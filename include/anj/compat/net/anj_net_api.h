/* anj-rs: network compat types (anj/compat/net/anj_net_api.h) */
#ifndef ANJ_NET_API_H
#define ANJ_NET_API_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/compat/rng.h>
#include <anj/crypto.h>

#endif /* ANJ_NET_API_H */
