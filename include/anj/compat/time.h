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

/* The two clocks the library reads. With ANJ_WITH_TIME_POSIX_COMPAT the library
 * provides them (clock_gettime); otherwise the platform integration does. */

/* Now on a clock that never stops or goes back (not even across suspend). */
anj_time_monotonic_t anj_time_monotonic_now(void);

/* Now since the Unix epoch, as the wall clock says (timestamps of LwM2M Send). */
anj_time_real_t anj_time_real_now(void);

#ifdef __cplusplus
}
#endif

#endif /* ANJ_COMPAT_TIME_H */
