/* anj-rs: data model definitions (Anjay Lite 3.0.0 anj/dm/defs.h) */
#ifndef ANJ_DM_DEFS_H
#define ANJ_DM_DEFS_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>

#endif /* ANJ_DM_DEFS_H */
