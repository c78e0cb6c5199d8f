/* anj-rs: random number hook (anj/compat/rng.h) */
#ifndef ANJ_COMPAT_RNG_H
#define ANJ_COMPAT_RNG_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>

#endif /* ANJ_COMPAT_RNG_H */
