/* anj-rs: credentials (anj/crypto.h) */
#ifndef ANJ_CRYPTO_H
#define ANJ_CRYPTO_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>

#endif /* ANJ_CRYPTO_H */
