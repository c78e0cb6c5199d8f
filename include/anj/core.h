/* anj-rs: client lifecycle: anj_core_* (Anjay Lite 3.0.0 anj/core.h) */
#ifndef ANJ_CORE_H
#define ANJ_CORE_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/compat/net/anj_net_api.h>
#include <anj/crypto.h>
#include <anj/utils.h>
#include <anj/security.h>
#ifdef ANJ_WITH_LWM2M_SEND
#include <anj/lwm2m_send.h>
#endif

/* Binding modes this client supports (/3/0/16). */
#define ANJ_SUPPORTED_BINDING_MODES "U"

#endif /* ANJ_CORE_H */
