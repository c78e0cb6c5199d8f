/* anj-rs: data model API (Anjay Lite 3.0.0 anj/dm/core.h) */
#ifndef ANJ_DM_CORE_H
#define ANJ_DM_CORE_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/dm/defs.h>

/* Handler return codes that map to a CoAP response code (minus the code). */
#define ANJ_DM_ERR_BAD_REQUEST (-(int) ANJ_COAP_CODE_BAD_REQUEST)
#define ANJ_DM_ERR_UNAUTHORIZED (-(int) ANJ_COAP_CODE_UNAUTHORIZED)
#define ANJ_DM_ERR_NOT_FOUND (-(int) ANJ_COAP_CODE_NOT_FOUND)
#define ANJ_DM_ERR_METHOD_NOT_ALLOWED (-(int) ANJ_COAP_CODE_METHOD_NOT_ALLOWED)
#define ANJ_DM_ERR_INTERNAL (-(int) ANJ_COAP_CODE_INTERNAL_SERVER_ERROR)
#define ANJ_DM_ERR_NOT_IMPLEMENTED (-(int) ANJ_COAP_CODE_NOT_IMPLEMENTED)
#define ANJ_DM_ERR_SERVICE_UNAVAILABLE (-(int) ANJ_COAP_CODE_SERVICE_UNAVAILABLE)

#endif /* ANJ_DM_CORE_H */
