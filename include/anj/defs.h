/* anj-rs: basic types, CoAP codes and defaults (Anjay Lite 3.0.0 anj/defs.h) */
#ifndef ANJ_DEFS_H
#define ANJ_DEFS_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <anj/time.h>

#define ANJ_COAP_CODE_CLASS_MASK 0xE0
#define ANJ_COAP_CODE_CLASS_SHIFT 5
#define ANJ_COAP_CODE_DETAIL_MASK 0x1F
#define ANJ_COAP_CODE_DETAIL_SHIFT 0
/* A CoAP code from its class and detail: c.dd (RFC 7252 §3). */
#define ANJ_COAP_CODE(cls, detail)                                     \
    ((((cls) << ANJ_COAP_CODE_CLASS_SHIFT) & ANJ_COAP_CODE_CLASS_MASK) \
     | (((detail) << ANJ_COAP_CODE_DETAIL_SHIFT) & ANJ_COAP_CODE_DETAIL_MASK))

#define ANJ_COAP_CODE_EMPTY ANJ_COAP_CODE(0, 0)
#define ANJ_COAP_CODE_GET ANJ_COAP_CODE(0, 1)
#define ANJ_COAP_CODE_POST ANJ_COAP_CODE(0, 2)
#define ANJ_COAP_CODE_PUT ANJ_COAP_CODE(0, 3)
#define ANJ_COAP_CODE_DELETE ANJ_COAP_CODE(0, 4)
#define ANJ_COAP_CODE_FETCH ANJ_COAP_CODE(0, 5)
#define ANJ_COAP_CODE_PATCH ANJ_COAP_CODE(0, 6)
#define ANJ_COAP_CODE_IPATCH ANJ_COAP_CODE(0, 7)
#define ANJ_COAP_CODE_CREATED ANJ_COAP_CODE(2, 1)
#define ANJ_COAP_CODE_DELETED ANJ_COAP_CODE(2, 2)
#define ANJ_COAP_CODE_VALID ANJ_COAP_CODE(2, 3)
#define ANJ_COAP_CODE_CHANGED ANJ_COAP_CODE(2, 4)
#define ANJ_COAP_CODE_CONTENT ANJ_COAP_CODE(2, 5)
#define ANJ_COAP_CODE_CONTINUE ANJ_COAP_CODE(2, 31)
#define ANJ_COAP_CODE_BAD_REQUEST ANJ_COAP_CODE(4, 0)
#define ANJ_COAP_CODE_UNAUTHORIZED ANJ_COAP_CODE(4, 1)
#define ANJ_COAP_CODE_BAD_OPTION ANJ_COAP_CODE(4, 2)
#define ANJ_COAP_CODE_FORBIDDEN ANJ_COAP_CODE(4, 3)
#define ANJ_COAP_CODE_NOT_FOUND ANJ_COAP_CODE(4, 4)
#define ANJ_COAP_CODE_METHOD_NOT_ALLOWED ANJ_COAP_CODE(4, 5)
#define ANJ_COAP_CODE_NOT_ACCEPTABLE ANJ_COAP_CODE(4, 6)
#define ANJ_COAP_CODE_REQUEST_ENTITY_INCOMPLETE ANJ_COAP_CODE(4, 8)
#define ANJ_COAP_CODE_PRECONDITION_FAILED ANJ_COAP_CODE(4, 12)
#define ANJ_COAP_CODE_REQUEST_ENTITY_TOO_LARGE ANJ_COAP_CODE(4, 13)
#define ANJ_COAP_CODE_UNSUPPORTED_CONTENT_FORMAT ANJ_COAP_CODE(4, 15)
#define ANJ_COAP_CODE_INTERNAL_SERVER_ERROR ANJ_COAP_CODE(5, 0)
#define ANJ_COAP_CODE_NOT_IMPLEMENTED ANJ_COAP_CODE(5, 1)
#define ANJ_COAP_CODE_BAD_GATEWAY ANJ_COAP_CODE(5, 2)
#define ANJ_COAP_CODE_SERVICE_UNAVAILABLE ANJ_COAP_CODE(5, 3)
#define ANJ_COAP_CODE_GATEWAY_TIMEOUT ANJ_COAP_CODE(5, 4)
#define ANJ_COAP_CODE_PROXYING_NOT_SUPPORTED ANJ_COAP_CODE(5, 5)

#define ANJ_OBJ_ID_SECURITY 0U
#define ANJ_OBJ_ID_SERVER 1U
#define ANJ_OBJ_ID_ACCESS_CONTROL 2U
#define ANJ_OBJ_ID_DEVICE 3U
#define ANJ_OBJ_ID_FIRMWARE_UPDATE 5U
#define ANJ_OBJ_ID_OSCORE 21U

#define ANJ_I64_STR_MAX_LEN (sizeof("-9223372036854775808") - 1)
#define ANJ_U16_STR_MAX_LEN (sizeof("65535") - 1)
#define ANJ_U32_STR_MAX_LEN (sizeof("4294967295") - 1)
#define ANJ_U64_STR_MAX_LEN (sizeof("18446744073709551615") - 1)
#define ANJ_DOUBLE_STR_MAX_LEN (sizeof("-2.2250738585072014E-308") - 1)

/* "Attribute not set" markers. */
#define ANJ_ATTR_UINT_NONE (UINT32_MAX)
#define ANJ_ATTR_DOUBLE_NONE (NAN)

/* Returned by chunked I/O calls that need to be called again. */
#define ANJ_IO_NEED_NEXT_CALL 4

#define ANJ_DISABLE_TIMEOUT_DEFAULT_VALUE 86400

/* The LwM2M defaults of the Communication Retry resources (/1/x/17..20). */
#define ANJ_COMMUNICATION_RETRY_RES_DEFAULT \
    (anj_communication_retry_res_t) {       \
        .retry_count = 5,                   \
        .retry_timer = 60,                  \
        .seq_delay_timer = 24 * 60 * 60,    \
        .seq_retry_count = 1                \
    }

#define ANJ_EXCHANGE_SERVER_REQUEST_TIMEOUT \
    anj_time_duration_new(50, ANJ_TIME_UNIT_S)

/* RFC 7252 §4.8 default transmission parameters. */
#define ANJ_EXCHANGE_UDP_TX_PARAMS_DEFAULT                        \
    (anj_exchange_udp_tx_params_t) {                              \
        .ack_timeout = anj_time_duration_new(2, ANJ_TIME_UNIT_S), \
        .ack_random_factor = 1.5,                                 \
        .max_retransmit = 4                                       \
    }

#define ANJ_NULL_LINK          \
    (anj_objlnk_value_t) {     \
        .oid = ANJ_ID_INVALID, \
        .iid = ANJ_ID_INVALID  \
    }

#endif /* ANJ_DEFS_H */
