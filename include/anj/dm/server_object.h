/* anj-rs: Server object /1 */
#ifndef ANJ_DM_SERVER_OBJ_H
#define ANJ_DM_SERVER_OBJ_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/core.h>
#include <anj/dm/core.h>
#ifdef ANJ_WITH_PERSISTENCE
#include <anj/persistence.h>
#endif

#ifdef ANJ_WITH_DEFAULT_SERVER_OBJ
/* The binding letters the default Server object accepts in /1/x/7 (LwM2M 1.2 adds M and
 * H), and the size of a buffer holding all of them with the terminating NUL. */
#    ifdef ANJ_WITH_LWM2M12
#        define ANJ_DM_SERVER_OBJ_BINDINGS "UMHTSN"
#    else
#        define ANJ_DM_SERVER_OBJ_BINDINGS "UTSN"
#    endif
#    define ANJ_DM_SERVER_BINDING_SIZE (sizeof(ANJ_DM_SERVER_OBJ_BINDINGS))
#endif /* ANJ_WITH_DEFAULT_SERVER_OBJ */

#endif /* ANJ_DM_SERVER_OBJ_H */
