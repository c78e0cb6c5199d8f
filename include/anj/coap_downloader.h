/*
 * anj-rs: the CoAP downloader (Anjay Lite 3.0.0 anj/coap_downloader.h): fetches one
 * coap:// resource block by block on a connection of its own, reporting every block
 * and status change to an event callback. Everything is declared only when
 * ANJ_WITH_COAP_DOWNLOADER is enabled.
 */
#ifndef ANJ_COAP_DOWNLOADER_H
#define ANJ_COAP_DOWNLOADER_H

#include <anj/init.h>
#include <anj_internal/bindings.h>
#include <anj_internal/fn_types.h>
#include <anj/defs.h>
#include <anj/compat/net/anj_net_api.h>

#endif /* ANJ_COAP_DOWNLOADER_H */
