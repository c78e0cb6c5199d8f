/* anj-rs: random number hook (anj/compat/rng.h) */
#ifndef ANJ_COMPAT_RNG_H
#define ANJ_COMPAT_RNG_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The random number hook: provided by the integrator, or by the library's POSIX layer
 * when ANJ_WITH_RNG_POSIX_COMPAT is on. Fills `size` bytes; 0 on success. */
int anj_rng_generate(uint8_t *buffer, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* ANJ_COMPAT_RNG_H */
