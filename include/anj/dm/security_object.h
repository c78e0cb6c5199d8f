/* anj-rs: Security object /0 */
#ifndef ANJ_DM_SECURITY_OBJECT_H
#define ANJ_DM_SECURITY_OBJECT_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/core.h>
#include <anj/crypto.h>
#include <anj/security.h>
#ifdef ANJ_WITH_PERSISTENCE
#include <anj/persistence.h>
#endif

#ifdef ANJ_WITH_DEFAULT_SECURITY_OBJ
/* How many Security instances the default object holds: the Bootstrap-Server account
 * needs one more. */
#    ifdef ANJ_WITH_BOOTSTRAP
#        define ANJ_DM_SECURITY_OBJ_INSTANCES 2
#    else
#        define ANJ_DM_SECURITY_OBJ_INSTANCES 1
#    endif

#    ifdef __cplusplus
extern "C" {
#    endif
/* One instance of the default Security object. Its contents are the library's (held
 * inside anj_dm_security_obj_t); the name exists for code that declares pointers. */
typedef struct anj_dm_security_instance_struct anj_dm_security_instance_t;
#    ifdef __cplusplus
}
#    endif
#endif /* ANJ_WITH_DEFAULT_SECURITY_OBJ */

#endif /* ANJ_DM_SECURITY_OBJECT_H */
