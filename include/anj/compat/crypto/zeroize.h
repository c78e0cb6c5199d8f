/* anj-rs: wiping secrets (anj/compat/crypto/zeroize.h) */
#ifndef ANJ_CRYPTO_ZEROIZE_H
#define ANJ_CRYPTO_ZEROIZE_H

#include <anj/init.h>

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef ANJ_WITH_SECURITY
/* Overwrites `size` bytes at `buf` with zeros in a way the compiler may not
 * remove (provided by the library). */
void anj_crypto_zeroize(void *buf, size_t size);
#endif

#ifdef __cplusplus
}
#endif

#endif /* ANJ_CRYPTO_ZEROIZE_H */
