/*
 * ping.c - XEP-0199 XMPP Ping 2.0.1: answers pings to D and M.
 *
 * Left out: pinging the server ourselves; libstrophe's connection handling
 * notices a dead socket.
 */
#include <config.h>

#include "xep/ns.h"
#include "xep/xep.h"

static const struct xep_feature ping_features[] = {
	{NS_PING, XEP_AT_DOMAINS},
	{NULL, 0},
};

static int ping_get(struct xep_stanza *st)
{
	xep_reply(st, xep_iq_result(st));
	return XEP_OK;
}

static const struct xep_iq ping_iq[] = {
	{"ping", NS_PING, XEP_GET, ping_get, XEP_AT_DOMAINS},
	{NULL, NULL, 0, NULL, 0},
};

const struct xep_module xep_ping = {
	.name = "ping",
	.features = ping_features,
	.iq = ping_iq,
};
