/* anj-rs: Device object /3 */
#ifndef ANJ_DM_DEVICE_OBJECT_H
#define ANJ_DM_DEVICE_OBJECT_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/core.h>
#include <anj/dm/core.h>

#endif /* ANJ_DM_DEVICE_OBJECT_H */
