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
 * A report about an outside user that carries <report-origin/> (the
 * reporter's opt-in) also goes to the abuse address their domain
 * publishes (XEP-0157), learnt with disco#info; nothing else leaves.
 *
 * Left out: pushes of block list changes to the account's other resources
 * (an IQ to a bare JID is answered by its server, not delivered), blocking
 * whole domains.
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
#include "xep/reports.h"
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
	return ident_peer_node(st->bc, jid, node, len);
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

/* How long to wait for a remote domain's disco#info. */
#define BLOCKING_ORIGIN_TIMEOUT_MS 30000

/* A report on its way to the abuse address of the reported user's
 * domain. */
struct blocking_origin {
	char *reported; /* the outside user's real bare JID */
	char *reason;
	char *text;     /* may be NULL */
};

static void blocking_origin_free(struct blocking_origin *o)
{
	free(o->reported);
	free(o->reason);
	free(o->text);
	free(o);
}

/* The XEP-0157 abuse addresses in a disco#info result: calls fn for each
 * xmpp: address. */
static void blocking_abuse_addresses(xmpp_stanza_t *answer,
				     void (*fn)(const char *jid, void *arg),
				     void *arg)
{
	xmpp_stanza_t *q, *x, *f, *v;

	q = xmpp_stanza_get_child_by_name_and_ns(answer, "query", NS_DISCO_INFO);
	for (x = q ? xmpp_stanza_get_children(q) : NULL; x;
	     x = xmpp_stanza_get_next(x)) {
		const char *name = xmpp_stanza_get_name(x);
		const char *ns = xmpp_stanza_get_ns(x);

		if (name == NULL || ns == NULL || strcmp(name, "x") != 0 ||
		    strcmp(ns, NS_DATA) != 0)
			continue;
		for (f = xmpp_stanza_get_children(x); f;
		     f = xmpp_stanza_get_next(f)) {
			const char *var = xmpp_stanza_get_attribute(f, "var");

			if (var == NULL || strcmp(var, "abuse-addresses") != 0)
				continue;
			for (v = xmpp_stanza_get_children(f); v;
			     v = xmpp_stanza_get_next(v)) {
				const char *vn = xmpp_stanza_get_name(v);
				char *text, *q2;

				if (vn == NULL || strcmp(vn, "value") != 0 ||
				    (text = xmpp_stanza_get_text(v)) == NULL)
					continue;
				if (strncmp(text, "xmpp:", 5) == 0) {
					if ((q2 = strchr(text, '?')) != NULL)
						*q2 = '\0';
					fn(text + 5, arg);
				}
				xmpp_free(xmpp_stanza_get_context(v), text);
			}
		}
	}
}

struct blocking_send {
	struct bc *bc;
	const struct blocking_origin *o;
};

/* Sends the report to one abuse address (not to ourselves). */
static void blocking_send_origin(const char *jid, void *arg)
{
	struct blocking_send *b = arg;
	struct bc *bc = b->bc;
	xmpp_stanza_t *m, *r;
	struct jid j;
	char *summary;

	if (jid_parse(jid, &j) < 0 ||
	    strcmp(j.domain, bc->cfg->service_domain) == 0 ||
	    strcmp(j.domain, bc->cfg->rooms_domain) == 0)
		return;
	m = xmpp_message_new(bc->xctx, "normal", jid, NULL);
	xmpp_stanza_set_from(m, bc->cfg->service_domain);
	summary = xasprintf("A member of %s reported %s (%s)%s%s",
			    bc->cfg->service_domain, b->o->reported,
			    b->o->reason, b->o->text ? ": " : "",
			    b->o->text ? b->o->text : "");
	xmpp_message_set_body(m, summary);
	free(summary);
	r = xep_add_child(m, "report", NS_REPORTING);
	xmpp_stanza_set_attribute(r, "reason", b->o->reason);
	xep_add_text(xep_add_child(r, "jid", NS_JID), b->o->reported);
	if (b->o->text != NULL)
		xep_add_text_child(r, "text", b->o->text);
	bc_send(bc, m);
	log_info("report on %s forwarded to %s", b->o->reported, jid);
}

static void blocking_origin_answer(struct bc *bc, xmpp_stanza_t *answer,
				   void *arg)
{
	struct blocking_origin *o = arg;
	struct blocking_send b = {bc, o};
	const char *type = answer ? xmpp_stanza_get_type(answer) : NULL;

	if (type != NULL && strcmp(type, "result") == 0)
		blocking_abuse_addresses(answer, blocking_send_origin, &b);
	else
		log_info("no abuse address learnt for %s's domain", o->reported);
	blocking_origin_free(o);
}

/* XEP-0377 <report-origin/>: the reporter allows telling the reported
 * outside user's own domain, at the abuse address it publishes (XEP-0157),
 * found with disco#info.  Members' reports never leave otherwise. */
static void blocking_report_origin(struct bc *bc, const char *node,
				   const char *reason, const char *text)
{
	struct blocking_origin *o;
	char bare[JID_MAX];
	const char *at;
	xmpp_stanza_t *iq;

	if (handle_is_valid(node) ||
	    jid_unescape_node(node, bare, sizeof(bare)) < 0 ||
	    (at = strchr(bare, '@')) == NULL)
		return;
	o = xcalloc(1, sizeof(*o));
	o->reported = xstrdup(bare);
	o->reason = xstrdup(reason);
	o->text = text ? xstrdup(text) : NULL;
	iq = xmpp_iq_new(bc->xctx, "get", "pending");
	xmpp_stanza_set_from(iq, bc->cfg->service_domain);
	xmpp_stanza_set_to(iq, at + 1);
	xep_add_child(iq, "query", NS_DISCO_INFO);
	bc_iq_send(bc, iq, BLOCKING_ORIGIN_TIMEOUT_MS, blocking_origin_answer, o);
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
			rc = requests_report(st->bc, handle, node, urn, text,
					     &id);
			if (rc == 0 && xmpp_stanza_get_child_by_name(
					       report, "report-origin") != NULL)
				blocking_report_origin(st->bc, node, urn, text);
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
	char reporter[JID_MAX];
	struct ident_sender who;
	const char *reason;
	unsigned long id;
	size_t len;
	int rc;

	if (strcmp(st->type, "error") == 0)
		return XEP_PASS;
	r = xmpp_stanza_get_child_by_name_and_ns(st->stanza, "report",
						 NS_REPORTING);
	if (r == NULL)
		return XEP_PASS;
	reason = xmpp_stanza_get_attribute(r, "reason");
	j = xmpp_stanza_get_child_by_name_and_ns(r, "jid", NS_JID);
	if (j != NULL)
		jid = xmpp_stanza_get_text(j);
	if (reason == NULL || jid == NULL || *jid == '\0' ||
	    (strcmp(reason, "urn:xmpp:reporting:spam") != 0 &&
	     strcmp(reason, "urn:xmpp:reporting:abuse") != 0)) {
		rc = xep_fail(st, BC_EBAD_REQUEST,
			      "A report needs a reason (spam or abuse) and "
			      "the reported JID.");
		goto out;
	}
	/* The reporter is named by their address under D, never by a
	 * member's real JID. */
	if (ident_sender(st->bc, st->from_bare, &who) == 0 && who.member)
		ident_address(st->bc, who.node, reporter);
	else
		snprintf(reporter, sizeof(reporter), "%s", st->from_bare);
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
	rc = reports_received(st->bc, reporter, jid, reason, text,
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

static const struct xep_hook blocking_hooks[] = {
	{XEP_MESSAGE, XEP_AT_SERVICE, blocking_report_message},
	{0, 0, NULL},
};

const struct xep_module xep_blocking = {
	.name = "blocking",
	.features = blocking_features,
	.iq = blocking_iq,
	.hooks = blocking_hooks,
};
