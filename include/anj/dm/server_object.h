/* anj-rs: Server object /1 */
#ifndef ANJ_DM_SERVER_OBJ_H
#define ANJ_DM_SERVER_OBJ_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#ifdef ANJ_WITH_PERSISTENCE
#include <anj/persistence.h>
#endif

#endif /* ANJ_DM_SERVER_OBJ_H */
