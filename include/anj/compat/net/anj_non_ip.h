/*
 * anj-rs: non-IP binding hooks (anj/compat/net/anj_non_ip.h). anj-rs has no non-IP
 * binding, so nothing is declared here beyond what anj/compat/net/anj_net_api.h
 * declares; the header exists so that code written for Anjay Lite can include it.
 */
#include <anj/init.h>

#ifndef ANJ_NON_IP_H
#define ANJ_NON_IP_H

#include <anj/compat/net/anj_net_api.h>

#endif /* ANJ_NON_IP_H */
