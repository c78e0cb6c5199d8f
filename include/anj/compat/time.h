/* anj-rs: clock hooks (anj/compat/time.h) */
#ifndef ANJ_COMPAT_TIME_H
#define ANJ_COMPAT_TIME_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>

#endif /* ANJ_COMPAT_TIME_H */
