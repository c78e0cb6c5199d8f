/* anj-rs: the LwM2M Send operation (Anjay Lite 3.0.0 anj/lwm2m_send.h) */
#include <anj/init.h>

/*
 * The application builds an anj_send_request_t (records, content format, finished
 * handler) and queues it with anj_send_new_request(); the client sends queued requests
 * one at a time, oldest first, as a confirmable POST /dp while it is registered and no
 * other exchange runs, and reports each one's outcome to its finished handler
 * (ANJ_SEND_SUCCESS or an ANJ_SEND_ERR_* code). anj_send_abort() cancels one request or
 * all of them.
 *
 * The request is not copied: it and the records it points to must stay valid and
 * unchanged until its finished handler has returned.
 *
 * Record timestamps (anj_io_out_entry_t::timestamp, seconds, NaN for none) are sent in
 * SenML CBOR only; LwM2M CBOR ignores them and does not allow the same path twice in one
 * request.
 *
 * The error codes, anj_send_content_format_t, anj_send_request_t and the two functions
 * are generated from the library's sources into anj_internal/bindings.h (included
 * through anj/defs.h); this header adds the handler's function type.
 */
#ifndef ANJ_LWM2M_SEND_H
#define ANJ_LWM2M_SEND_H

#include <stdint.h>

#include <anj/defs.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef ANJ_WITH_LWM2M_SEND

/* Called once for every request anj_send_new_request() accepted, with its ID, its
 * final result and the request's `data` pointer. It may queue new requests or abort
 * others. */
typedef void anj_send_finished_handler_t(anj_t *anjay, uint16_t send_id, int result,
                                         void *data);

#endif /* ANJ_WITH_LWM2M_SEND */

#ifdef __cplusplus
}
#endif

#endif /* ANJ_LWM2M_SEND_H */
