/*
 * disco.c - XEP-0030 Service Discovery 2.2, with the XEP-0128 extended
 * information form that carries the XEP-0157 abuse address.
 *
 * Features come from the registry: every module lists the features it
 * implements and where (D, M, identities, rooms), so a feature is
 * advertised exactly where a handler exists.  Identities and forms are
 * added by each module's disco_extend hook.
 *
 * Nodes on D are the XEP-0050 command nodes (xep/adhoc.c); any other
 * node is item-not-found.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "component/policy.h"
#include "component/bc.h"
#include "component/cfg.h"
#include "store/store.h"
#include "component/identity.h"
#include "xep/adhoc.h"
#include "xep/muc/muc.h"
#include "xep/ns.h"
#include "xep/xep.h"

static const struct xep_feature disco_features[] = {
	{NS_DISCO_INFO, XEP_AT_DOMAINS | XEP_AT_IDENTITY | XEP_AT_ROOM},
	{NS_DISCO_ITEMS, XEP_AT_DOMAINS | XEP_AT_ROOM},
	{NULL, 0},
};

static void disco_identity(xmpp_stanza_t *query, const char *category,
			   const char *type, const char *name)
{
	xmpp_stanza_t *id = xep_add_child(query, "identity", NULL);

	xmpp_stanza_set_attribute(id, "category", category);
	xmpp_stanza_set_attribute(id, "type", type);
	if (name != NULL)
		xmpp_stanza_set_attribute(id, "name", name);
}

static bool disco_has_feature(xmpp_stanza_t *query, const char *var)
{
	xmpp_stanza_t *c;

	for (c = xmpp_stanza_get_children(query); c; c = xmpp_stanza_get_next(c)) {
		const char *v = xmpp_stanza_get_attribute(c, "var");

		if (v != NULL && strcmp(xmpp_stanza_get_name(c), "feature") == 0 &&
		    strcmp(v, var) == 0)
			return true;
	}
	return false;
}

static int disco_info(struct xep_stanza *st)
{
	const char *node = xmpp_stanza_get_attribute(st->payload, "node");
	struct store_identity ident;
	struct ident_sender from;
	xmpp_stanza_t *reply, *query;
	size_t i;

	if (node != NULL && st->target == XEP_AT_SERVICE)
		return adhoc_disco_info(st, node);
	if (node != NULL && st->target == XEP_AT_ROOM)
		return muc_disco_node(st, node);
	if (node != NULL)
		return xep_fail(st, BC_EITEM_NOT_FOUND, "no such node");
	/* An identity that does not exist, or that blocks the asker,
	 * answers as if nothing were there; outside users are not queried
	 * through us. */
	if (st->target == XEP_AT_IDENTITY &&
	    (store_identity_get(st->bc->store, st->to_jid.node, &ident) != 0 ||
	     ident_sender(st->bc, st->from_bare, &from) != 0 ||
	     policy_blocks(st->bc, ident.handle, from.node)))
		return BC_ESERVICE_UNAVAILABLE;
	/* XEP-0045 §6.4: a room that does not exist. */
	if (st->target == XEP_AT_ROOM &&
	    muc_room_get(st->bc, st->to_jid.node) == NULL)
		return xep_fail(st, BC_EITEM_NOT_FOUND, "no such room");
	reply = xep_iq_result(st);
	query = xep_add_child(reply, "query", NS_DISCO_INFO);
	if (st->target == XEP_AT_IDENTITY) {
		disco_identity(query, "account", "registered",
			       ident.name[0] ? ident.name : NULL);
		if (ident.bot)
			disco_identity(query, "client", "bot", NULL);
	}
	for (i = 0; xep_registry[i] != NULL; i++)
		if (xep_registry[i]->disco_extend != NULL)
			xep_registry[i]->disco_extend(st, query);
	for (i = 0; xep_registry[i] != NULL; i++) {
		const struct xep_feature *f = xep_registry[i]->features;

		for (; f != NULL && f->var != NULL; f++) {
			unsigned where = f->where ? f->where : XEP_AT_DOMAINS;

			if ((where & st->target) &&
			    !disco_has_feature(query, f->var))
				xmpp_stanza_set_attribute(
					xep_add_child(query, "feature", NULL),
					"var", f->var);
		}
	}
	xep_reply(st, reply);
	return XEP_OK;
}

static int disco_items(struct xep_stanza *st)
{
	const struct cfg *cfg = st->bc->cfg;
	const char *node = xmpp_stanza_get_attribute(st->payload, "node");
	xmpp_stanza_t *reply, *query, *item;

	if (node != NULL && st->target == XEP_AT_SERVICE &&
	    strcmp(node, NS_COMMANDS) == 0)
		return adhoc_disco_items(st);
	if (node != NULL)
		return xep_fail(st, BC_EITEM_NOT_FOUND, "no such node");
	if (st->target == XEP_AT_ROOM &&
	    muc_room_get(st->bc, st->to_jid.node) == NULL)
		return xep_fail(st, BC_EITEM_NOT_FOUND, "no such room");
	reply = xep_iq_result(st);
	query = xep_add_child(reply, "query", NS_DISCO_ITEMS);
	muc_disco_items(st, query);
	if (st->target == XEP_AT_SERVICE) {
		item = xep_add_child(query, "item", NULL);
		xmpp_stanza_set_attribute(item, "jid", cfg->rooms_domain);
		xmpp_stanza_set_attribute(item, "name", "Rooms");
	}
	xep_reply(st, reply);
	return XEP_OK;
}

static void disco_extend(struct xep_stanza *st, xmpp_stanza_t *query)
{
	const struct cfg *cfg = st->bc->cfg;
	xmpp_stanza_t *form;
	char abuse[JID_MAX + 8];

	switch (st->target) {
	case XEP_AT_SERVICE:
		disco_identity(query, "gateway", "xmpp", "Backchannel");
		disco_identity(query, "component", "generic", "Backchannel");
		/* XEP-0157: D is its own abuse address. */
		form = xep_add_child(query, "x", NS_DATA);
		xmpp_stanza_set_type(form, "result");
		xep_form_field(form, "FORM_TYPE", "hidden", NS_SERVERINFO);
		snprintf(abuse, sizeof(abuse), "xmpp:%s", cfg->service_domain);
		xep_form_field(form, "abuse-addresses", NULL, abuse);
		break;
	case XEP_AT_ROOMS:
		disco_identity(query, "conference", "text", "Rooms");
		break;
	default:
		break;
	}
}

static const struct xep_iq disco_iq[] = {
	{"query", NS_DISCO_INFO, XEP_GET, disco_info,
	 XEP_AT_DOMAINS | XEP_AT_IDENTITY | XEP_AT_ROOM},
	{"query", NS_DISCO_ITEMS, XEP_GET, disco_items,
	 XEP_AT_DOMAINS | XEP_AT_ROOM},
	{NULL, NULL, 0, NULL, 0},
};

const struct xep_module xep_disco = {
	.name = "disco",
	.features = disco_features,
	.iq = disco_iq,
	.disco_extend = disco_extend,
};
