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
 * Reports come in the XEP-0377 0.3 shape (urn:xmpp:reporting:1) or the
 * 0.2 one (urn:xmpp:reporting:0 with <spam/> or <abuse/>), may name
 * messages by XEP-0359 stanza ids (xep/reports.c chooses the evidence from
 * them), and may also be sent to a room as a bare <report/> IQ naming its
 * messages.  A malformed report fails the whole request with
 * <bad-request/> before anything is done.
 *
 * A report about an outside user that carries <report-origin/> (the
 * reporter's opt-in) also goes to the abuse address their domain
 * publishes (XEP-0157), learnt with disco#info; nothing else leaves.
 *
 * Bounds (component/limits.h): items per request, reports per member a
 * day, reports forwarded to us per remote domain a day, reports sent to
 * one remote domain a day; a domain's abuse addresses are looked up once
 * an hour at most (the answer is cached, lookups under way are shared)
 * and at most BLOCKING_ABUSE_MAX of them are used.
 *
 * Left out: pushes of block list changes to the account's other resources
 * (an IQ to a bare JID is answered by its server, not delivered), blocking
 * whole domains.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/identity.h"
#include "component/limits.h"
#include "component/log.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/ns.h"
#include "xep/reports.h"
#include "xep/requests.h"
#include "xep/xep.h"

extern const struct xep_module xep_blocking;

static const struct xep_feature blocking_features[] = {
	{NS_BLOCKING, XEP_AT_SERVICE},
	/* On a room: a <report/> IQ about one of its messages. */
	{NS_REPORTING, XEP_AT_SERVICE | XEP_AT_ROOM},
	/* XEP-0377 0.2: its report shape is taken too, so clients that
	 * look for these features before reporting find them. */
	{NS_REPORTING0, XEP_AT_SERVICE},
	{NS_REPORTING0_SPAM, XEP_AT_SERVICE},
	{NS_REPORTING0_ABUSE, XEP_AT_SERVICE},
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
	if (st->bc->cfg->block_items_max != 0 &&
	    *n > st->bc->cfg->block_items_max) {
		limits_note(st->bc->limits,
			    "bound reached: %s asked to (un)block %zu people "
			    "at once (%u at most)",
			    st->from_bare, *n, st->bc->cfg->block_items_max);
		return xep_fail(st, BC_EPOLICY_VIOLATION,
				"Too many items in one request.");
	}
	return 0;
}

/* A report inside a block item, as read by blocking_report_parse(). */
struct blocking_report {
	xmpp_stanza_t *el; /* the <report/> */
	char urn[64];      /* urn:xmpp:reporting:spam or ...:abuse */
	struct reports_ref refs[REPORTS_REFS_MAX];
	char rooms[REPORTS_REFS_MAX][JID_PART_MAX + 1];
	size_t n_refs;
};

static bool blocking_is(xmpp_stanza_t *e, const char *name, const char *ns)
{
	const char *n = xmpp_stanza_get_name(e), *x = xmpp_stanza_get_ns(e);

	return xmpp_stanza_is_tag(e) && n != NULL && strcmp(n, name) == 0 &&
	       (ns == NULL || (x != NULL && strcmp(x, ns) == 0));
}

/* XEP-0377 0.3 (urn:xmpp:reporting:1, reason='...') or 0.2
 * (urn:xmpp:reporting:0 with <spam/> or <abuse/>): the reason's URN. */
static const char *blocking_reason(xmpp_stanza_t *r)
{
	const char *reason;
	xmpp_stanza_t *c;
	int spam = 0, abuse = 0;

	if (strcmp(xmpp_stanza_get_ns(r), NS_REPORTING) == 0) {
		reason = xmpp_stanza_get_attribute(r, "reason");
		if (reason != NULL &&
		    (strcmp(reason, "urn:xmpp:reporting:spam") == 0 ||
		     strcmp(reason, "urn:xmpp:reporting:abuse") == 0))
			return reason;
		return NULL;
	}
	for (c = xmpp_stanza_get_children(r); c; c = xmpp_stanza_get_next(c)) {
		spam += blocking_is(c, "spam", NULL);
		abuse += blocking_is(c, "abuse", NULL);
	}
	if (spam + abuse != 1)
		return NULL;
	return spam ? "urn:xmpp:reporting:spam" : "urn:xmpp:reporting:abuse";
}

/* XEP-0377 §4 / XEP-0359: the <stanza-id by id/> references of r.  Those
 * by room@M name a room's message; any other 'by' names a one-to-one
 * message (ids the service did not give are ignored later, quietly). */
static int blocking_refs(struct bc *bc, xmpp_stanza_t *r,
			 struct blocking_report *out, const char **why)
{
	xmpp_stanza_t *c;
	struct jid j;

	for (c = xmpp_stanza_get_children(r); c; c = xmpp_stanza_get_next(c)) {
		const char *by, *id;

		if (!blocking_is(c, "stanza-id", NS_SID))
			continue;
		by = xmpp_stanza_get_attribute(c, "by");
		id = xmpp_stanza_get_attribute(c, "id");
		if (by == NULL || id == NULL || *id == '\0' ||
		    strlen(id) > REPORTS_ID_MAX || jid_parse(by, &j) < 0) {
			*why = "Each <stanza-id/> of a report has an 'id' and "
			       "a 'by' (XEP-0359).";
			return -1;
		}
		if (out->n_refs == REPORTS_REFS_MAX) {
			*why = "A report names 16 messages at most.";
			return -1;
		}
		out->refs[out->n_refs].id = id;
		out->refs[out->n_refs].room = NULL;
		if (strcmp(j.domain, bc->cfg->rooms_domain) == 0 &&
		    j.node[0] != '\0' && j.resource[0] == '\0') {
			snprintf(out->rooms[out->n_refs],
				 sizeof(out->rooms[0]), "%s", j.node);
			out->refs[out->n_refs].room = out->rooms[out->n_refs];
		}
		out->n_refs++;
	}
	return 0;
}

/* The report inside a block item: 0 when there is none, 1 when *out
 * holds it, -1 when it is malformed (*why says how). */
static int blocking_report_parse(struct bc *bc, xmpp_stanza_t *item,
				 struct blocking_report *out,
				 const char **why)
{
	xmpp_stanza_t *c;
	const char *urn;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	for (c = xmpp_stanza_get_children(item); c;
	     c = xmpp_stanza_get_next(c))
		if (blocking_is(c, "report", NS_REPORTING) ||
		    blocking_is(c, "report", NS_REPORTING0)) {
			out->el = c;
			n++;
		}
	if (n == 0)
		return 0;
	if (n > 1) {
		*why = "One report per item.";
		return -1;
	}
	if ((urn = blocking_reason(out->el)) == NULL) {
		*why = "A report's reason is urn:xmpp:reporting:spam or "
		       "urn:xmpp:reporting:abuse (or, in "
		       "urn:xmpp:reporting:0, one <spam/> or <abuse/>).";
		return -1;
	}
	snprintf(out->urn, sizeof(out->urn), "%s", urn);
	if (blocking_refs(bc, out->el, out, why) < 0)
		return -1;
	return 1;
}

/* How long to wait for a remote domain's disco#info. */
#define BLOCKING_ORIGIN_TIMEOUT_MS 30000

/* How long a domain's abuse addresses (or the lack of them) are kept. */
#define BLOCKING_ABUSE_TTL_MS 3600000

/* Abuse addresses used per domain; domains cached at once; reports
 * waiting for one lookup. */
#define BLOCKING_ABUSE_MAX 3
#define BLOCKING_DOMAINS_MAX 1024
#define BLOCKING_WAITING_MAX 64

/* A report on its way to the abuse address of the reported user's
 * domain. */
struct blocking_origin {
	char *reported; /* the outside user's real bare JID */
	char *reason;
	char *text;     /* may be NULL */
};

/* What is known of one remote domain's abuse addresses. */
struct blocking_domain {
	int64_t expires_ms; /* clock_mono_ms(); 0 while the lookup runs */
	char *abuse[BLOCKING_ABUSE_MAX];
	size_t n_abuse;
	struct blocking_origin *waiting[BLOCKING_WAITING_MAX];
	size_t n_waiting;
};

struct blocking_state {
	struct strmap *domains; /* domain -> struct blocking_domain */
};

static void blocking_origin_free(struct blocking_origin *o)
{
	if (o == NULL)
		return;
	free(o->reported);
	free(o->reason);
	free(o->text);
	free(o);
}

static void blocking_domain_free(void *p)
{
	struct blocking_domain *d = p;
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n_abuse; i++)
		free(d->abuse[i]);
	for (i = 0; i < d->n_waiting; i++)
		blocking_origin_free(d->waiting[i]);
	free(d);
}

static int blocking_init(struct bc *bc, void **state)
{
	struct blocking_state *s = xcalloc(1, sizeof(*s));

	(void)bc;
	s->domains = strmap_new(blocking_domain_free);
	*state = s;
	return 0;
}

static void blocking_fini(struct bc *bc, void *state)
{
	struct blocking_state *s = state;

	(void)bc;
	strmap_free(s->domains);
	free(s);
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

struct blocking_learn {
	struct bc *bc;
	struct blocking_domain *d;
	const char *domain;
	size_t seen; /* usable addresses listed, kept or not */
};

/* Keeps one abuse address of a domain (never one of ours; at most
 * BLOCKING_ABUSE_MAX). */
static void blocking_learn_address(const char *jid, void *arg)
{
	struct blocking_learn *l = arg;
	const struct cfg *cfg = l->bc->cfg;
	struct jid j;
	size_t i;

	if (jid_parse(jid, &j) < 0 ||
	    strcmp(j.domain, cfg->service_domain) == 0 ||
	    strcmp(j.domain, cfg->rooms_domain) == 0)
		return;
	for (i = 0; i < l->d->n_abuse; i++)
		if (strcmp(l->d->abuse[i], jid) == 0)
			return;
	l->seen++;
	if (l->d->n_abuse < BLOCKING_ABUSE_MAX)
		l->d->abuse[l->d->n_abuse++] = xstrdup(jid);
}

/* Sends the report o to every known abuse address of domain d. */
static void blocking_send_origin(struct bc *bc,
				 const struct blocking_domain *d,
				 const struct blocking_origin *o)
{
	xmpp_stanza_t *m, *r;
	char *summary;
	size_t i;

	for (i = 0; i < d->n_abuse; i++) {
		m = xmpp_message_new(bc->xctx, "normal", d->abuse[i], NULL);
		xmpp_stanza_set_from(m, bc->cfg->service_domain);
		summary = xasprintf("A member of %s reported %s (%s)%s%s",
				    bc->cfg->service_domain, o->reported,
				    o->reason, o->text ? ": " : "",
				    o->text ? o->text : "");
		xmpp_message_set_body(m, summary);
		free(summary);
		r = xep_add_child(m, "report", NS_REPORTING);
		xmpp_stanza_set_attribute(r, "reason", o->reason);
		xep_add_text(xep_add_child(r, "jid", NS_JID), o->reported);
		if (o->text != NULL)
			xep_add_text_child(r, "text", o->text);
		bc_send(bc, m);
		log_info("report on %s forwarded to %s", o->reported,
			 d->abuse[i]);
	}
	if (d->n_abuse == 0)
		log_info("report on %s not forwarded: its domain has no abuse "
			 "address",
			 o->reported);
}

/* The answer to a domain's disco#info (NULL: none came): its abuse
 * addresses are kept for an hour, and the reports waiting for them go. */
static void blocking_origin_answer(struct bc *bc, xmpp_stanza_t *answer,
				   void *arg)
{
	struct blocking_state *s = bc_module_state(bc, &xep_blocking);
	char *domain = arg;
	struct blocking_domain *d = strmap_get(s->domains, domain);
	struct blocking_learn l = {bc, d, domain, 0};
	const char *type = answer ? xmpp_stanza_get_type(answer) : NULL;
	size_t i;

	if (d == NULL)
		goto out;
	if (type != NULL && strcmp(type, "result") == 0)
		blocking_abuse_addresses(answer, blocking_learn_address, &l);
	else
		log_info("no abuse address learnt for %s", domain);
	if (l.seen > d->n_abuse)
		log_info("%s lists %zu abuse addresses; the first %zu are used",
			 domain, l.seen, d->n_abuse);
	d->expires_ms = clock_mono_ms() + BLOCKING_ABUSE_TTL_MS;
	for (i = 0; i < d->n_waiting; i++) {
		blocking_send_origin(bc, d, d->waiting[i]);
		blocking_origin_free(d->waiting[i]);
	}
	d->n_waiting = 0;
out:
	free(domain);
}

struct blocking_expired {
	char **keys;
	size_t n;
	int64_t now;
};

static void blocking_collect_expired(const char *key, void *value, void *arg)
{
	struct blocking_domain *d = value;
	struct blocking_expired *e = arg;

	if (d->expires_ms != 0 && d->expires_ms <= e->now)
		e->keys[e->n++] = xstrdup(key);
}

/* The entry for domain, created (and its lookup sent) when there is none
 * or it is stale; NULL when the cache is full of fresh entries. */
static struct blocking_domain *blocking_domain_get(struct bc *bc,
						   const char *domain)
{
	struct blocking_state *s = bc_module_state(bc, &xep_blocking);
	struct blocking_domain *d = strmap_get(s->domains, domain);
	int64_t now = clock_mono_ms();
	xmpp_stanza_t *iq;
	size_t i;

	if (d != NULL && (d->expires_ms == 0 || d->expires_ms > now))
		return d;
	if (d == NULL && strmap_count(s->domains) >= BLOCKING_DOMAINS_MAX) {
		struct blocking_expired e = {NULL, 0, now};

		e.keys = xcalloc(strmap_count(s->domains), sizeof(*e.keys));
		strmap_each(s->domains, blocking_collect_expired, &e);
		for (i = 0; i < e.n; i++) {
			strmap_del(s->domains, e.keys[i]);
			free(e.keys[i]);
		}
		free(e.keys);
		if (strmap_count(s->domains) >= BLOCKING_DOMAINS_MAX)
			return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	strmap_put(s->domains, domain, d); /* frees a stale entry */
	iq = xmpp_iq_new(bc->xctx, "get", "pending");
	xmpp_stanza_set_from(iq, bc->cfg->service_domain);
	xmpp_stanza_set_to(iq, domain);
	xep_add_child(iq, "query", NS_DISCO_INFO);
	bc_iq_send(bc, iq, BLOCKING_ORIGIN_TIMEOUT_MS, blocking_origin_answer,
		   xstrdup(domain));
	return d;
}

/* XEP-0377 <report-origin/>: the reporter allows telling the reported
 * outside user's own domain, at the abuse address it publishes (XEP-0157),
 * found with disco#info.  Members' reports never leave otherwise.  The
 * report itself is filed already: over a bound, it is only not sent on
 * (logged). */
static void blocking_report_origin(struct bc *bc, const char *node,
				   const char *reason, const char *text)
{
	struct blocking_domain *d;
	struct blocking_origin *o;
	char bare[JID_MAX];
	const char *at;

	if (handle_is_valid(node) ||
	    jid_unescape_node(node, bare, sizeof(bare)) < 0 ||
	    (at = strchr(bare, '@')) == NULL)
		return;
	if (!limits_take(bc->limits, LIMITS_FORWARDED_OUT, at + 1, 1))
		return;
	if ((d = blocking_domain_get(bc, at + 1)) == NULL ||
	    (d->expires_ms == 0 && d->n_waiting == BLOCKING_WAITING_MAX)) {
		limits_note(bc->limits,
			    "report on %s not forwarded: too many abuse "
			    "address lookups at once",
			    bare);
		return;
	}
	o = xcalloc(1, sizeof(*o));
	o->reported = xstrdup(bare);
	o->reason = xstrdup(reason);
	o->text = text ? xstrdup(text) : NULL;
	if (d->expires_ms == 0) {
		d->waiting[d->n_waiting++] = o;
		return;
	}
	blocking_send_origin(bc, d, o);
	blocking_origin_free(o);
}

/* A report of a block request to send on to the reported's domain
 * (<report-origin/>), once the request is kept. */
struct blocking_origin_due {
	char node[JID_MAX];
	char urn[64];
	char *text; /* xmpp_free()'d */
};

static int blocking_block(struct xep_stanza *st)
{
	char handle[STORE_HANDLE_SIZE], node[JID_MAX];
	struct blocking_report *rep = xmalloc(sizeof(*rep));
	struct blocking_origin_due *due = NULL;
	const char *why = NULL;
	struct bc_mark mark;
	xmpp_stanza_t *item;
	unsigned long id;
	unsigned reports = 0;
	size_t n, n_due = 0, i;
	int rc;

	if ((rc = blocking_owner(st, handle)) != 0)
		goto out;
	if ((rc = blocking_items(st, &n)) != 0)
		goto out;
	if (n == 0) { /* XEP-0191 §3.3 */
		rc = xep_fail(st, BC_EBAD_REQUEST, "Name someone to block.");
		goto out;
	}
	for (item = xmpp_stanza_get_children(st->payload); item;
	     item = xmpp_stanza_get_next(item)) {
		if (!blocking_is(item, "item", NULL))
			continue;
		switch (blocking_report_parse(st->bc, item, rep, &why)) {
		case 1:
			reports++;
			break;
		case -1:
			rc = xep_fail(st, BC_EBAD_REQUEST, why);
			goto out;
		}
	}
	/* Every report of the request counts, before any is filed. */
	if (reports > 0 &&
	    (rc = reports_allow(st, LIMITS_REPORTS, handle, reports)) != 0)
		goto out;
	/* All the items or none (XEP-0191 §3.3 answers the request as a
	 * whole): one savepoint for their writes, and what they queued is
	 * taken back when one fails.  Reports go on to their origin only
	 * once the savepoint is kept: a lookup started, or a report parked
	 * behind one, could not be taken back. */
	due = xcalloc(reports + 1, sizeof(*due));
	if (store_savepoint_begin(st->bc->store) != 0) {
		rc = BC_EINTERNAL;
		goto out;
	}
	bc_mark(st->bc, &mark);
	for (item = xmpp_stanza_get_children(st->payload); item;
	     item = xmpp_stanza_get_next(item)) {
		char *text = NULL;
		xmpp_stanza_t *t;

		if (!blocking_is(item, "item", NULL) ||
		    blocking_item_node(st, item, node, sizeof(node)) < 0 ||
		    strcmp(node, handle) == 0)
			continue;
		if (blocking_report_parse(st->bc, item, rep, &why) != 1) {
			rc = requests_block(st->bc, handle, node);
		} else {
			t = xmpp_stanza_get_child_by_name(rep->el, "text");
			text = t ? xmpp_stanza_get_text(t) : NULL;
			rc = requests_report(st->bc, handle, node, rep->urn,
					     text, rep->refs, rep->n_refs,
					     &id);
			if (rc == 0 && id != 0 && n_due < reports &&
			    xmpp_stanza_get_child_by_name(
				    rep->el, "report-origin") != NULL) {
				snprintf(due[n_due].node,
					 sizeof(due[n_due].node), "%s", node);
				snprintf(due[n_due].urn, sizeof(due[n_due].urn),
					 "%s", rep->urn);
				due[n_due++].text = text;
				text = NULL;
			}
			if (text != NULL)
				xmpp_free(st->bc->xctx, text);
		}
		if (rc != 0)
			break;
	}
	if (store_savepoint_end(st->bc->store, rc == 0) != 0 && rc == 0)
		rc = BC_EINTERNAL;
	if (rc != 0) {
		if (!bc_rewind(st->bc, &mark))
			log_warnx("a failed block of %s: the stanzas it queued "
				  "could not be taken back", handle);
		goto out;
	}
	for (i = 0; i < n_due; i++)
		blocking_report_origin(st->bc, due[i].node, due[i].urn,
				       due[i].text);
	xep_reply(st, xep_iq_result(st));
	rc = XEP_OK;
out:
	for (i = 0; i < n_due; i++)
		if (due[i].text != NULL)
			xmpp_free(st->bc->xctx, due[i].text);
	free(due);
	free(rep);
	return rc;
}

static int blocking_unblock(struct xep_stanza *st)
{
	char handle[STORE_HANDLE_SIZE], node[JID_MAX], **peers = NULL;
	struct bc_mark mark;
	xmpp_stanza_t *item;
	size_t n, i;
	int rc;

	if ((rc = blocking_owner(st, handle)) != 0)
		return rc;
	if ((rc = blocking_items(st, &n)) != 0)
		return rc;
	/* All the items or none, as for a block (XEP-0191 §3.4 answers the
	 * request as a whole). */
	if (store_savepoint_begin(st->bc->store) != 0)
		return BC_EINTERNAL;
	bc_mark(st->bc, &mark);
	if (n == 0) {
		/* XEP-0191 §3.4: no item unblocks everyone. */
		if (store_blocked_list(st->bc->store, handle, &peers) != 0) {
			rc = BC_EINTERNAL;
		} else {
			for (i = 0; peers[i] != NULL && rc == 0; i++)
				rc = requests_unblock(st->bc, handle,
						      peers[i]);
			store_strv_free(peers);
		}
	}
	for (item = xmpp_stanza_get_children(st->payload); item && rc == 0;
	     item = xmpp_stanza_get_next(item))
		if (xmpp_stanza_is_tag(item) &&
		    strcmp(xmpp_stanza_get_name(item), "item") == 0 &&
		    blocking_item_node(st, item, node, sizeof(node)) == 0)
			rc = requests_unblock(st->bc, handle, node);
	if (store_savepoint_end(st->bc->store, rc == 0) != 0 && rc == 0)
		rc = BC_EINTERNAL;
	if (rc != 0) {
		if (!bc_rewind(st->bc, &mark))
			log_warnx("a failed unblock of %s: the stanzas it "
				  "queued could not be taken back",
				  handle);
		return rc;
	}
	xep_reply(st, xep_iq_result(st));
	return XEP_OK;
}

/* A report forwarded to D, the abuse address: <message> with <report>
 * holding <jid xmlns='urn:xmpp:jid:0'/> and, optionally, the reported
 * message in <forwarded/>. */
static int blocking_report_message(struct xep_stanza *st)
{
	xmpp_stanza_t *r, *j, *t, *fwd, *msg;
	char *jid = NULL, *text = NULL;
	char reporter[JID_MAX];
	struct ident_sender who;
	const char *reason;
	unsigned long id;
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
	 * member's real JID.  A member's reports count as theirs; anyone
	 * else's as their domain's. */
	if (ident_sender(st->bc, st->from_bare, &who) == 0 && who.member) {
		ident_address(st->bc, who.node, reporter);
		rc = reports_allow(st, LIMITS_REPORTS, who.node, 1);
	} else {
		snprintf(reporter, sizeof(reporter), "%s", st->from_bare);
		rc = reports_allow(st, LIMITS_FORWARDED_IN,
				   st->from_jid.domain, 1);
	}
	if (rc != 0)
		goto out;
	t = xmpp_stanza_get_child_by_name(r, "text");
	text = t ? xmpp_stanza_get_text(t) : NULL;
	fwd = xmpp_stanza_get_child_by_name_and_ns(st->stanza, "forwarded",
						   NS_FORWARD);
	if (fwd == NULL)
		fwd = xmpp_stanza_get_child_by_name_and_ns(r, "forwarded",
							   NS_FORWARD);
	msg = fwd ? xmpp_stanza_get_child_by_name(fwd, "message") : NULL;
	/* The forwarded message goes on to the moderators rebuilt, under
	 * addresses: a member's real JID in it is never passed on. */
	rc = reports_received(st->bc, reporter, jid, reason, text, msg, &id);
	if (rc == 0)
		rc = XEP_OK;
out:
	if (jid != NULL)
		xmpp_free(st->bc->xctx, jid);
	if (text != NULL)
		xmpp_free(st->bc->xctx, text);
	return rc;
}

/* A report sent to a room (room@M): <iq type='set'><report
 * xmlns='urn:xmpp:reporting:1' reason='...'> (or the urn:xmpp:reporting:0
 * shape) naming the room's messages by their stanza ids (by='room@M'),
 * with optional <text/>.  The reported is the identity that sent the
 * first named message the reporter could see; the report is filed (and
 * blocks) as if sent to D naming that identity.  The answer is an empty
 * result whatever the ids name, so it tells nobody anything about the
 * room's archive. */
static int blocking_room_report(struct xep_stanza *st)
{
	char handle[STORE_HANDLE_SIZE], room[JID_MAX], peer[JID_MAX];
	struct blocking_report *rep = xcalloc(1, sizeof(*rep));
	struct store_archive_msg m;
	const char *why = NULL, *urn;
	unsigned long id;
	char *text = NULL;
	xmpp_stanza_t *t;
	size_t i, n = 0;
	bool sees = false;
	int rc;

	memset(&m, 0, sizeof(m));
	if ((rc = blocking_owner(st, handle)) != 0)
		goto out;
	snprintf(room, sizeof(room), "%s", st->to_jid.node);
	rep->el = st->payload;
	if ((urn = blocking_reason(st->payload)) == NULL) {
		rc = xep_fail(st, BC_EBAD_REQUEST,
			      "A report's reason is urn:xmpp:reporting:spam "
			      "or urn:xmpp:reporting:abuse.");
		goto out;
	}
	snprintf(rep->urn, sizeof(rep->urn), "%s", urn);
	if (blocking_refs(st->bc, st->payload, rep, &why) < 0) {
		rc = xep_fail(st, BC_EBAD_REQUEST, why);
		goto out;
	}
	/* Only this room's ids count here. */
	for (i = 0; i < rep->n_refs; i++)
		if (rep->refs[i].room != NULL &&
		    strcmp(rep->refs[i].room, room) == 0)
			rep->refs[n++] = rep->refs[i];
	rep->n_refs = n;
	if (n == 0) {
		rc = xep_fail(st, BC_EBAD_REQUEST,
			      "Name the message with its <stanza-id "
			      "xmlns='urn:xmpp:sid:0' by='room@M'/>.");
		goto out;
	}
	if ((rc = reports_allow(st, LIMITS_REPORTS, handle, 1)) != 0)
		goto out;
	/* Who sent the first message named that the reporter could see;
	 * reports_file() checks each message again. */
	if ((rc = reports_sees(st->bc, room, handle, &sees)) != 0)
		goto out;
	peer[0] = '\0';
	for (i = 0; sees && i < rep->n_refs && peer[0] == '\0'; i++) {
		char *at;

		if (store_archive_get(st->bc->rooms_store, room, rep->refs[i].id,
				      &m) != 0)
			continue;
		if (m.from != NULL && (at = strrchr(m.from, '@')) != NULL &&
		    strcasecmp(at + 1, st->bc->cfg->service_domain) == 0) {
			snprintf(peer, sizeof(peer), "%.*s",
				 (int)(at - m.from), m.from);
		}
		store_archive_msg_clear(&m);
	}
	rc = 0;
	if (peer[0] != '\0' && strcmp(peer, handle) != 0) {
		t = xmpp_stanza_get_child_by_name(st->payload, "text");
		text = t ? xmpp_stanza_get_text(t) : NULL;
		/* A rooms instance cannot change the directory: D does,
		 * with what was chosen here. */
		rc = bc_serves(st->bc, BC_LINK_SERVICE)
			     ? requests_report(st->bc, handle, peer, rep->urn,
					       text, rep->refs, rep->n_refs,
					       &id)
			     : reports_forward(st->bc, handle, peer, rep->urn,
					       text, rep->refs, rep->n_refs);
	}
	if (rc == 0) {
		xep_reply(st, xep_iq_result(st));
		rc = XEP_OK;
	}
out:
	if (text != NULL)
		xmpp_free(st->bc->xctx, text);
	free(rep);
	return rc;
}

static const struct xep_iq blocking_iq[] = {
	{"blocklist", NS_BLOCKING, XEP_GET, blocking_list, XEP_AT_SERVICE},
	{"block", NS_BLOCKING, XEP_SET, blocking_block, XEP_AT_SERVICE},
	{"unblock", NS_BLOCKING, XEP_SET, blocking_unblock, XEP_AT_SERVICE},
	{"report", NS_REPORTING, XEP_SET, blocking_room_report, XEP_AT_ROOM},
	{"report", NS_REPORTING0, XEP_SET, blocking_room_report, XEP_AT_ROOM},
	{NULL, NULL, 0, NULL, 0},
};

/* A room report a rooms instance chose and sent on (reports_forward()):
 * taken from M itself only, and only where M is left to rooms instances
 * (<rooms sharded="true">); anyone else gets <forbidden/>. */
static int blocking_filed_message(struct xep_stanza *st)
{
	xmpp_stanza_t *el;
	struct reports_filed *f;
	unsigned long id;
	int rc;

	if (strcmp(st->type, "error") == 0 ||
	    (el = xmpp_stanza_get_child_by_name_and_ns(st->stanza, "filed",
						       NS_BC_FILED)) == NULL)
		return XEP_PASS;
	if (!st->bc->cfg->rooms_sharded ||
	    strcmp(st->from, st->bc->cfg->rooms_domain) != 0)
		return xep_fail(st, BC_EFORBIDDEN,
				"Only the rooms service files reports this "
				"way.");
	if ((f = reports_filed_read(st->bc, el)) == NULL) {
		log_warnx("a room report from %s could not be read",
			  st->from);
		return xep_fail(st, BC_EBAD_REQUEST, "A malformed filing.");
	}
	/* The reporter's daily bound, counted here too: each instance
	 * counts only what reached it. */
	if (!limits_take(st->bc->limits, LIMITS_REPORTS, f->handle, 1)) {
		log_info("a room report by %s over the daily bound: dropped",
			 f->handle);
		reports_filed_free(f);
		return XEP_OK;
	}
	rc = requests_report_filed(st->bc, f, &id);
	reports_filed_free(f);
	return rc == 0 ? XEP_OK : rc;
}

static const struct xep_hook blocking_hooks[] = {
	{XEP_MESSAGE, XEP_AT_SERVICE, blocking_filed_message},
	{XEP_MESSAGE, XEP_AT_SERVICE, blocking_report_message},
	{0, 0, NULL},
};

const struct xep_module xep_blocking = {
	.name = "blocking",
	.init = blocking_init,
	.fini = blocking_fini,
	.features = blocking_features,
	.iq = blocking_iq,
	.hooks = blocking_hooks,
};
