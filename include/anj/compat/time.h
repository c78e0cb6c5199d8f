/* anj-rs: clock hooks (anj/compat/time.h) */
#ifndef ANJ_COMPAT_TIME_H
#define ANJ_COMPAT_TIME_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The clock hooks: provided by the integrator, or by the library's POSIX layer when
 * ANJ_WITH_TIME_POSIX_COMPAT is on. Monotonic: never goes back; real: Unix time. */
anj_time_monotonic_t anj_time_monotonic_now(void);
anj_time_real_t anj_time_real_now(void);

#ifdef __cplusplus
}
#endif

#endif /* ANJ_COMPAT_TIME_H */
