/*
 * anj-rs: durations and points in time, in signed 64-bit microseconds.
 *
 * Types (anj_time_unit_t, anj_time_duration_t, anj_time_monotonic_t,
 * anj_time_real_t), the ANJ_TIME_*_ZERO / ANJ_TIME_*_INVALID constants and all
 * functions (anj_time_duration_new(), anj_time_monotonic_add(), ...) are
 * declared in the generated anj_internal/bindings.h. The value INT64_MAX
 * (ANJ_TIME_US_MAX) is the "invalid" sentinel, meaning "never / infinite":
 * arithmetic on it yields it again and every comparison with it is false.
 *
 * This file adds the formatting macros, which need a temporary buffer.
 */
#include <anj/init.h>

#ifndef ANJ_TIME_H
#define ANJ_TIME_H

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <anj_internal/bindings.h>

/*
 * Decimal text of a duration counted in `unit` (truncated toward zero), or
 * "<invalid>" for the invalid duration. The buffer is a compound literal: the
 * pointer is valid until the end of the enclosing block, e.g.
 *
 *   anj_log(app, L_INFO, "timeout %s ms",
 *           ANJ_TIME_DURATION_AS_STRING(timeout, ANJ_TIME_UNIT_MS));
 */
#define ANJ_TIME_DURATION_AS_STRING(duration, unit)          \
    (_anj_time_duration_as_string_impl(                      \
            (duration), (unit),                              \
            &(char[ANJ_TIME_DURATION_AS_STRING_MAX_LEN]) { "" }))

/* Same, for the time elapsed since the monotonic epoch. */
#define ANJ_TIME_MONOTONIC_AS_STRING(time, unit) \
    ANJ_TIME_DURATION_AS_STRING((time).since_monotonic_epoch, unit)

/* Same, for the time elapsed since the Unix epoch. */
#define ANJ_TIME_REAL_AS_STRING(time, unit) \
    ANJ_TIME_DURATION_AS_STRING((time).since_real_epoch, unit)

#endif /* ANJ_TIME_H */
