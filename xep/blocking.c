/*
 * blocking.c - XEP-0191 Blocking Command 1.3 on D, with XEP-0377 Spam
 * Reporting 0.3 reports inside <block/> items, and the intake of reports
 * that other servers forward to D (D is its domain's XEP-0157 abuse
 * address).
 *
 * The block list belongs to the identity of the linked account that asks:
 * its items are addresses under D (handle@D, or an outside user's escaped
 * address; an outside user's own JID is accepted too).  Blocking applies to
 * one-to-one messages, message requests and presence (xep/im.c,
 * xep/requests.c, xep/presence.c); a report also blocks, is stored with the
 * evidence log and goes to every configured moderator.
 *
 * Left out: pushes of block list changes to the account's other resources
 * (an IQ to a bare JID is answered by its server, not delivered), blocking
 * whole domains, forwarding reports to an outside user's origin domain.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/identity.h"
#include "component/log.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/ns.h"
#include "xep/requests.h"
#include "xep/xep.h"

static const struct xep_feature blocking_features[] = {
	{NS_BLOCKING, XEP_AT_SERVICE},
	{NS_REPORTING, XEP_AT_SERVICE},
	{NULL, 0},
};

/* The identity of the asking account, or a stanza error. */
static int blocking_owner(struct xep_stanza *st, char *handle)
{
	int rc = store_link_get(st->bc->store, st->from_bare, handle);

	if (rc == STORE_NOTFOUND)
		return xep_fail(st, BC_EREGISTRATION_REQUIRED,
				"Link this account to an identity first.");
	return rc == 0 ? 0 : BC_EINTERNAL;
}

static int blocking_list(struct xep_stanza *st)
{
	char handle[STORE_HANDLE_SIZE], **peers = NULL, addr[JID_MAX];
	xmpp_stanza_t *reply, *list;
	size_t i;
	int rc;

	if ((rc = blocking_owner(st, handle)) != 0)
		return rc;
	if (store_blocked_list(st->bc->store, handle, &peers) != 0)
		return BC_EINTERNAL;
	reply = xep_iq_result(st);
	list = xep_add_child(reply, "blocklist", NS_BLOCKING);
	for (i = 0; peers[i] != NULL; i++) {
		ident_address(st->bc, peers[i], addr);
		xmpp_stanza_set_attribute(xep_add_child(list, "item", NULL),
					  "jid", addr);
	}
	store_strv_free(peers);
	xep_reply(st, reply);
	return XEP_OK;
}

/* The peer node of a <block/>/<unblock/> item, or -1. */
static int blocking_item_node(struct xep_stanza *st, xmpp_stanza_t *item,
			      char *node, size_t len)
{
	const char *jid = xmpp_stanza_get_attribute(item, "jid");

	if (jid == NULL || strchr(jid, '@') == NULL)
		return -1;
	return requests_peer_node(st->bc, jid, node, len);
}

/* The items of a block or unblock request, checked before anything is
 * done; the count in *n.  Returns 0 or a stanza error. */
static int blocking_items(struct xep_stanza *st, size_t *n)
{
	char node[JID_MAX];
	xmpp_stanza_t *item;

	*n = 0;
	for (item = xmpp_stanza_get_children(st->payload); item;
	     item = xmpp_stanza_get_next(item)) {
		const char *name = xmpp_stanza_get_name(item);

		if (name == NULL || strcmp(name, "item") != 0)
			continue;
		if (blocking_item_node(st, item, node, sizeof(node)) < 0)
			return xep_fail(st, BC_EJID_MALFORMED,
					"Each item names one person: handle@D, "
					"an address under D or a JID.");
		(*n)++;
	}
	return 0;
}

/* XEP-0377: the report inside an item, if any; reason into urn. */
static xmpp_stanza_t *blocking_report_of(xmpp_stanza_t *item, char *urn,
					 size_t len, bool *bad)
{
	xmpp_stanza_t *r = xmpp_stanza_get_child_by_name_and_ns(item, "report",
								NS_REPORTING);
	const char *reason;

	*bad = false;
	if (r == NULL)
		return NULL;
	reason = xmpp_stanza_get_attribute(r, "reason");
	if (reason == NULL ||
	    (strcmp(reason, "urn:xmpp:reporting:spam") != 0 &&
	     strcmp(reason, "urn:xmpp:reporting:abuse") != 0)) {
		*bad = true;
		return NULL;
	}
	snprintf(urn, len, "%s", reason);
	return r;
}

static int blocking_block(struct xep_stanza *st)
{
	char handle[STORE_HANDLE_SIZE], node[JID_MAX], urn[64];
	xmpp_stanza_t *item, *report;
	unsigned long id;
	size_t n;
	bool bad;
	int rc;

	if ((rc = blocking_owner(st, handle)) != 0)
		return rc;
	if ((rc = blocking_items(st, &n)) != 0)
		return rc;
	if (n == 0) /* XEP-0191 §3.3 */
		return xep_fail(st, BC_EBAD_REQUEST, "Name someone to block.");
	for (item = xmpp_stanza_get_children(st->payload); item;
	     item = xmpp_stanza_get_next(item)) {
		if (!xmpp_stanza_is_tag(item) ||
		    strcmp(xmpp_stanza_get_name(item), "item") != 0)
			continue;
		(void)blocking_report_of(item, urn, sizeof(urn), &bad);
		if (bad)
			return xep_fail(st, BC_EBAD_REQUEST,
					"A report's reason is "
					"urn:xmpp:reporting:spam or "
					"urn:xmpp:reporting:abuse.");
	}
	for (item = xmpp_stanza_get_children(st->payload); item;
	     item = xmpp_stanza_get_next(item)) {
		char *text = NULL;
		xmpp_stanza_t *t;

		if (!xmpp_stanza_is_tag(item) ||
		    strcmp(xmpp_stanza_get_name(item), "item") != 0 ||
		    blocking_item_node(st, item, node, sizeof(node)) < 0 ||
		    strcmp(node, handle) == 0)
			continue;
		report = blocking_report_of(item, urn, sizeof(urn), &bad);
		if (report == NULL) {
			rc = requests_block(st->bc, handle, node);
		} else {
			t = xmpp_stanza_get_child_by_name(report, "text");
			text = t ? xmpp_stanza_get_text(t) : NULL;
			rc = requests_report(st->bc, handle, node, urn, text, &id);
			if (text != NULL)
				xmpp_free(st->bc->xctx, text);
		}
		if (rc != 0)
			return rc;
	}
	xep_reply(st, xep_iq_result(st));
	return XEP_OK;
}

static int blocking_unblock(struct xep_stanza *st)
{
	char handle[STORE_HANDLE_SIZE], node[JID_MAX], **peers = NULL;
	xmpp_stanza_t *item;
	size_t n, i;
	int rc;

	if ((rc = blocking_owner(st, handle)) != 0)
		return rc;
	if ((rc = blocking_items(st, &n)) != 0)
		return rc;
	if (n == 0) {
		/* XEP-0191 §3.4: no item unblocks everyone. */
		if (store_blocked_list(st->bc->store, handle, &peers) != 0)
			return BC_EINTERNAL;
		for (i = 0; peers[i] != NULL && rc == 0; i++)
			rc = requests_unblock(st->bc, handle, peers[i]);
		store_strv_free(peers);
	}
	for (item = xmpp_stanza_get_children(st->payload); item && rc == 0;
	     item = xmpp_stanza_get_next(item))
		if (xmpp_stanza_is_tag(item) &&
		    strcmp(xmpp_stanza_get_name(item), "item") == 0 &&
		    blocking_item_node(st, item, node, sizeof(node)) == 0)
			rc = requests_unblock(st->bc, handle, node);
	if (rc != 0)
		return rc;
	xep_reply(st, xep_iq_result(st));
	return XEP_OK;
}

/* A report forwarded to D, the abuse address: <message> with <report>
 * holding <jid xmlns='urn:xmpp:jid:0'/> and, optionally, the reported
 * message in <forwarded/>. */
static int blocking_report_message(struct xep_stanza *st)
{
	xmpp_stanza_t *r, *j, *t, *fwd, *msg;
	char *jid = NULL, *text = NULL, *evidence[2] = {NULL, NULL};
	const char *reason;
	unsigned long id;
	size_t len;
	int rc;

	if (st->target != XEP_AT_SERVICE || strcmp(st->type, "error") == 0)
		return XEP_PASS;
	r = xmpp_stanza_get_child_by_name_and_ns(st->stanza, "report",
						 NS_REPORTING);
	if (r == NULL)
		return XEP_PASS;
	reason = xmpp_stanza_get_attribute(r, "reason");
	j = xmpp_stanza_get_child_by_name_and_ns(r, "jid", NS_JID);
	if (j != NULL)
		jid = xmpp_stanza_get_text(j);
	if (reason == NULL || jid == NULL || *jid == '\0') {
		rc = xep_fail(st, BC_EBAD_REQUEST,
			      "A report needs a reason and the reported JID.");
		goto out;
	}
	t = xmpp_stanza_get_child_by_name(r, "text");
	text = t ? xmpp_stanza_get_text(t) : NULL;
	fwd = xmpp_stanza_get_child_by_name_and_ns(st->stanza, "forwarded",
						   NS_FORWARD);
	if (fwd == NULL)
		fwd = xmpp_stanza_get_child_by_name_and_ns(r, "forwarded",
							   NS_FORWARD);
	msg = fwd ? xmpp_stanza_get_child_by_name(fwd, "message") : NULL;
	if (msg != NULL && xmpp_stanza_to_text(msg, &evidence[0], &len) !=
				   XMPP_EOK)
		xalloc_fail();
	rc = requests_report_received(st->bc, st->from_bare, jid, reason, text,
				      evidence[0] ? evidence : NULL, &id);
	if (rc == 0)
		rc = XEP_OK;
out:
	if (jid != NULL)
		xmpp_free(st->bc->xctx, jid);
	if (text != NULL)
		xmpp_free(st->bc->xctx, text);
	if (evidence[0] != NULL)
		xmpp_free(st->bc->xctx, evidence[0]);
	return rc;
}

static const struct xep_iq blocking_iq[] = {
	{"blocklist", NS_BLOCKING, XEP_GET, blocking_list, XEP_AT_SERVICE},
	{"block", NS_BLOCKING, XEP_SET, blocking_block, XEP_AT_SERVICE},
	{"unblock", NS_BLOCKING, XEP_SET, blocking_unblock, XEP_AT_SERVICE},
	{NULL, NULL, 0, NULL, 0},
};

const struct xep_module xep_blocking = {
	.name = "blocking",
	.features = blocking_features,
	.iq = blocking_iq,
	.message = blocking_report_message,
};
