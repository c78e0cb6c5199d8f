/* anj-rs: credentials of secure connections (anj/security.h) */
#ifndef ANJ_SECURITY_H
#define ANJ_SECURITY_H

#include <stdbool.h>

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/compat/net/anj_net_api.h>
#include <anj/crypto.h>
#include <anj/defs.h>

#endif /* ANJ_SECURITY_H */
