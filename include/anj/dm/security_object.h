/* anj-rs: Security object /0 */
#ifndef ANJ_DM_SECURITY_OBJECT_H
#define ANJ_DM_SECURITY_OBJECT_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#ifdef ANJ_WITH_PERSISTENCE
#include <anj/persistence.h>
#endif

#endif /* ANJ_DM_SECURITY_OBJECT_H */
