/*
 * anj-rs: time synchronization over SNTPv4 and the LwM2M NTP object /3415 (Anjay Lite
 * 3.0.0 anj/ntp.h).
 *
 * anj_ntp_init() copies the configuration into an application-allocated anj_ntp_t and
 * installs object /3415 (NTP server address, backup address, NTP period, last time
 * sync, time sync error) in the client. anj_ntp_step(), called from the main loop,
 * reports ANJ_NTP_STATUS_INITIAL once, then ANJ_NTP_STATUS_PERIOD_EXCEEDED whenever the
 * NTP period has passed since the last attempt; anj_ntp_start() runs a synchronization:
 * up to `attempts` request/answer exchanges with the primary server, each bounded by
 * `response_timeout`, then as many with the backup server. The outcome arrives at the
 * event callback, with the current real time on success. anj_ntp_terminate() abandons
 * a synchronization under way. With ANJ_WITH_PERSISTENCE, writes by the LwM2M server
 * are reported as ANJ_NTP_STATUS_OBJECT_UPDATED and anj_ntp_obj_store() /
 * anj_ntp_obj_restore() save and load the object's resources.
 *
 * A server address is a host name or IP address; "host:port" (or "[IPv6]:port")
 * selects a port other than 123.
 *
 * The error codes, anj_ntp_status_t, anj_ntp_configuration_t and the functions are
 * generated from the library's sources into anj_internal/bindings.h; anj_ntp_t is
 * declared in anj_internal/opaque.h; this header adds the callback function type.
 */
#ifndef ANJ_NTP_H
#define ANJ_NTP_H

#include <anj/init.h>
#include <anj/compat/net/anj_net_api.h>
#include <anj/defs.h>

#ifdef ANJ_WITH_PERSISTENCE
#    include <anj/persistence.h>
#endif

#include <anj_internal/bindings.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef ANJ_WITH_NTP

/* Receives every status change of the module; synchronized_time is meaningful only
 * with ANJ_NTP_STATUS_FINISHED_SUCCESSFULLY. It may call anj_ntp_start(). */
typedef void anj_ntp_event_callback_t(void *arg,
                                      anj_ntp_t *ntp,
                                      anj_ntp_status_t status,
                                      anj_time_real_t synchronized_time);

#endif /* ANJ_WITH_NTP */

#ifdef __cplusplus
}
#endif

#endif /* ANJ_NTP_H */
