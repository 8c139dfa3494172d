/*
 * version.c - XEP-0092 Software Version 1.1 on D and M.
 *
 * Left out: the optional <os/>, which would tell strangers about the host.
 */
#include <config.h>

#include "component/bc.h"
#include "xep/ns.h"
#include "xep/xep.h"

static const struct xep_feature version_features[] = {
	{NS_VERSION, XEP_AT_DOMAINS},
	{NULL, 0},
};

static int version_get(struct xep_stanza *st)
{
	xmpp_stanza_t *reply = xep_iq_result(st);
	xmpp_stanza_t *query = xep_add_child(reply, "query", NS_VERSION);

	xep_add_text_child(query, "name", "Backchannel");
	xep_add_text_child(query, "version", PACKAGE_VERSION);
	xep_reply(st, reply);
	return XEP_OK;
}

static const struct xep_iq version_iq[] = {
	{"query", NS_VERSION, XEP_GET, version_get, XEP_AT_DOMAINS},
	{NULL, NULL, 0, NULL, 0},
};

const struct xep_module xep_version = {
	.name = "version",
	.features = version_features,
	.iq = version_iq,
};
