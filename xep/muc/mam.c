/*
 * mam.c - XEP-0313 Message Archive Management 1.1 on a room (room@M),
 * paged with XEP-0059 Result Set Management 1.0.
 *
 * The room core appends every groupchat message to the store's archive
 * (store_archive_add()) as occupants got it, without 'to'; this file
 * answers queries on it:
 *   - IQ set <query/> (§4): a data form with start, end (XEP-0082), with,
 *     and the #extended fields before-id, after-id and ids; RSM <max/>,
 *     <after/>, <before/> (empty: the last page); <flip-page/>.  Results
 *     are <message/>s from room@M, then the IQ result with <fin/>.
 *   - IQ get <query/> (§4.1.5): the form.
 *   - IQ get <metadata/> (§5): the first and last message.
 *
 * 'with' in a room (§4.1.1) matches the publisher: the sender's identity
 * address (handle@D) or an occupant JID room@M/nick (the nick the message
 * was sent under).  Anything else matches nothing.  By address only for
 * those who may see occupants' addresses (whois anyone, or a moderator):
 * anyone else gets forbidden, so the filter cannot tell them who wrote.
 * Those same askers get the publisher's address in each result, as in a
 * non-anonymous room (§6.1.2: <x xmlns='...muc#user'><item jid/></x>,
 * here handle@D, never a real JID); a muc#user <x/> the sender put in
 * the message is left out of every copy.
 *
 * Pages hold MAM_MAX_DEFAULT messages unless <max/> asks for another
 * size, and never more than MAM_MAX_CAP (the server's limit of §4.3.1:
 * <fin/> then says complete='false').  RSM <max>0</max> returns no
 * message and tells, by 'complete', whether any would match.
 *
 * Left out: RSM <index/> (page jumps), <count/> and first@index (optional,
 * §4.3.2), which would cost a walk of the whole range.
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/log.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/muc/muc.h"
#include "xep/ns.h"
#include "xep/xep.h"

#define MAM_MAX_DEFAULT 50
#define MAM_MAX_CAP 250

/* One parsed query. */
struct mam_query {
	int64_t start_ms, end_ms; /* 0: open */
	bool has_start, has_end;
	char *with_from;      /* filter: the publisher's address */
	char *with_nick;      /* filter: the publisher's nick */
	bool with_none;       /* 'with' names nobody who can publish here */
	bool shows;           /* the asker may see occupants' addresses */
	const char *after_id; /* form after-id (borrowed from the stanza) */
	const char *before_id;
	const char **ids; /* form ids, borrowed; n_ids of them */
	size_t n_ids;
	/* RSM */
	size_t max;
	bool has_max;
	const char *rsm_after;
	const char *rsm_before; /* "" for the last page */
	bool flip;
};

static void mam_query_clear(struct mam_query *q)
{
	free(q->with_from);
	free(q->with_nick);
	free(q->ids);
	memset(q, 0, sizeof(*q));
}

/* The first <value/> text of a form field, or NULL (a new string). */
static char *mam_field_value(xmpp_stanza_t *field)
{
	xmpp_stanza_t *v = xmpp_stanza_get_child_by_name(field, "value");

	return v != NULL ? xmpp_stanza_get_text(v) : NULL;
}

/* 'with' (§4.1.1): an identity address under D, or room@M/nick. */
static int mam_with(struct xep_stanza *st, const char *value,
		    struct mam_query *q)
{
	struct jid j;
	char bare[JID_MAX];

	if (jid_parse(value, &j) != 0) {
		q->with_none = true;
		return 0;
	}
	if (j.node[0] != '\0' && j.resource[0] == '\0' &&
	    strcmp(j.domain, st->bc->cfg->service_domain) == 0 &&
	    jid_format_bare(&j, bare, sizeof(bare)) == 0) {
		if (!q->shows)
			return xep_fail(st, BC_EFORBIDDEN,
					"This room does not show you its "
					"occupants' addresses");
		q->with_from = xstrdup(bare);
	} else if (j.resource[0] != '\0' &&
		   strcmp(j.node, st->to_jid.node) == 0 &&
		   strcmp(j.domain, st->to_jid.domain) == 0) {
		q->with_nick = xstrdup(j.resource);
	} else {
		q->with_none = true;
	}
	return 0;
}

/* Reads the XEP-0004 form of a query (§4.1). */
static int mam_parse_form(struct xep_stanza *st, xmpp_stanza_t *x,
			  struct mam_query *q)
{
	xmpp_stanza_t *f, *v;
	const char *var;
	char *val;
	int rc = 0;

	for (f = xmpp_stanza_get_children(x); f != NULL && rc == 0;
	     f = xmpp_stanza_get_next(f)) {
		const char *name = xmpp_stanza_get_name(f);

		if (name == NULL || strcmp(name, "field") != 0)
			continue;
		var = xmpp_stanza_get_attribute(f, "var");
		if (var == NULL)
			return xep_fail(st, BC_EBAD_REQUEST,
					"A form field without a name");
		if (strcmp(var, "ids") == 0) {
			for (v = xmpp_stanza_get_children(f); v != NULL;
			     v = xmpp_stanza_get_next(v)) {
				name = xmpp_stanza_get_name(v);
				if (name == NULL || strcmp(name, "value") != 0)
					continue;
				if (q->n_ids == MAM_MAX_CAP)
					return xep_fail(st, BC_EBAD_REQUEST,
							"Too many ids");
				q->ids = xreallocarray(q->ids, q->n_ids + 1,
						       sizeof(*q->ids));
				/* The text node's text stays with the
				 * stanza: borrowed. */
				q->ids[q->n_ids] =
					xmpp_stanza_get_children(v) != NULL
						? xmpp_stanza_get_text_ptr(
							  xmpp_stanza_get_children(v))
						: NULL;
				if (q->ids[q->n_ids] == NULL)
					return xep_fail(st, BC_EBAD_REQUEST,
							"An empty id");
				q->n_ids++;
			}
			continue;
		}
		val = mam_field_value(f);
		if (strcmp(var, "FORM_TYPE") == 0) {
			if (val == NULL || strcmp(val, NS_MAM) != 0)
				rc = xep_fail(st, BC_EBAD_REQUEST,
					      "FORM_TYPE is not " NS_MAM);
		} else if (strcmp(var, "start") == 0) {
			if (clock_parse_xep82(val, &q->start_ms) != 0)
				rc = xep_fail(st, BC_EBAD_REQUEST,
					      "start is not an XEP-0082 time");
			q->has_start = true;
		} else if (strcmp(var, "end") == 0) {
			if (clock_parse_xep82(val, &q->end_ms) != 0)
				rc = xep_fail(st, BC_EBAD_REQUEST,
					      "end is not an XEP-0082 time");
			q->has_end = true;
		} else if (strcmp(var, "with") == 0) {
			if (val == NULL || val[0] == '\0')
				rc = xep_fail(st, BC_EBAD_REQUEST,
					      "with is empty");
			else
				rc = mam_with(st, val, q);
		} else if (strcmp(var, "after-id") == 0 ||
			   strcmp(var, "before-id") == 0) {
			xmpp_stanza_t *t = xmpp_stanza_get_child_by_name(
				f, "value");
			const char *id = NULL;

			if (t != NULL && xmpp_stanza_get_children(t) != NULL)
				id = xmpp_stanza_get_text_ptr(
					xmpp_stanza_get_children(t));
			if (id == NULL || id[0] == '\0')
				rc = xep_fail(st, BC_EBAD_REQUEST,
					      "An empty id");
			else if (var[0] == 'a')
				q->after_id = id;
			else
				q->before_id = id;
		} else {
			/* §4.1.5: an unknown field. */
			rc = xep_fail(st, BC_EFEATURE_NOT_IMPLEMENTED,
				      "Unknown form field");
		}
		if (val != NULL)
			xmpp_free(st->bc->xctx, val);
	}
	return rc;
}

/* The text of an element's first text child (borrowed), "" when it is
 * empty. */
static const char *mam_text(xmpp_stanza_t *e)
{
	xmpp_stanza_t *t = xmpp_stanza_get_children(e);
	const char *s = t != NULL ? xmpp_stanza_get_text_ptr(t) : NULL;

	return s != NULL ? s : "";
}

/* XEP-0059 §2: <max/>, <after/>, <before/>. */
static int mam_parse_rsm(struct xep_stanza *st, xmpp_stanza_t *set,
			 struct mam_query *q)
{
	xmpp_stanza_t *e;

	for (e = xmpp_stanza_get_children(set); e != NULL;
	     e = xmpp_stanza_get_next(e)) {
		const char *name = xmpp_stanza_get_name(e);
		const char *t;

		if (name == NULL || xmpp_stanza_is_text(e))
			continue;
		t = mam_text(e);
		if (strcmp(name, "max") == 0) {
			char *end;
			unsigned long n;

			if (!isdigit((unsigned char)t[0]))
				return xep_fail(st, BC_EBAD_REQUEST,
						"RSM max is not a number");
			n = strtoul(t, &end, 10);
			if (*end != '\0')
				return xep_fail(st, BC_EBAD_REQUEST,
						"RSM max is not a number");
			q->max = n > MAM_MAX_CAP ? MAM_MAX_CAP : (size_t)n;
			q->has_max = true;
		} else if (strcmp(name, "after") == 0) {
			if (t[0] == '\0')
				return xep_fail(st, BC_EBAD_REQUEST,
						"RSM after is empty");
			q->rsm_after = t;
		} else if (strcmp(name, "before") == 0) {
			q->rsm_before = t;
		} else if (strcmp(name, "index") == 0) {
			return xep_fail(st, BC_EFEATURE_NOT_IMPLEMENTED,
					"RSM index is not supported");
		}
	}
	return 0;
}

/* Reads the whole <query/>. */
static int mam_parse(struct xep_stanza *st, struct mam_query *q, bool shows)
{
	xmpp_stanza_t *e;
	int rc;

	memset(q, 0, sizeof(*q));
	q->shows = shows;
	for (e = xmpp_stanza_get_children(st->payload); e != NULL;
	     e = xmpp_stanza_get_next(e)) {
		const char *name = xmpp_stanza_get_name(e);
		const char *ns = xmpp_stanza_get_ns(e);

		if (name == NULL || xmpp_stanza_is_text(e))
			continue;
		if (strcmp(name, "x") == 0 && ns != NULL &&
		    strcmp(ns, NS_DATA) == 0) {
			const char *type = xmpp_stanza_get_type(e);

			if (type != NULL && strcmp(type, "submit") != 0)
				return xep_fail(st, BC_EBAD_REQUEST,
						"The form is not submitted");
			if ((rc = mam_parse_form(st, e, q)) != 0)
				return rc;
		} else if (strcmp(name, "set") == 0 && ns != NULL &&
			   strcmp(ns, NS_RSM) == 0) {
			if ((rc = mam_parse_rsm(st, e, q)) != 0)
				return rc;
		} else if (strcmp(name, "flip-page") == 0) {
			q->flip = true;
		}
	}
	return 0;
}

/* Of two archive positions, whether a comes before b. */
static bool mam_earlier(const struct store_archive_msg *a,
			const struct store_archive_msg *b)
{
	return a->ms < b->ms || (a->ms == b->ms && a->seq < b->seq);
}

/* Picks the later of the form's after-id and RSM's <after/> (and the
 * earlier of the before ids), after checking that each is in the archive
 * (§4.1.3 and §4.3.2: item-not-found otherwise).  *id is set to the
 * chosen one. */
static int mam_pick(struct xep_stanza *st, const char *room, const char *a,
		    const char *b, bool later, const char **id)
{
	struct store_archive_msg ma, mb;
	int rc;

	*id = a != NULL ? a : b;
	if (a == NULL || b == NULL)
		return 0;
	rc = store_archive_get(st->bc->rooms_store, room, a, &ma);
	if (rc != 0)
		return rc;
	rc = store_archive_get(st->bc->rooms_store, room, b, &mb);
	if (rc == 0 && mam_earlier(&ma, &mb) == later)
		*id = b;
	store_archive_msg_clear(&ma);
	store_archive_msg_clear(&mb);
	return rc;
}

/* The messages of the ids field (§4.1.3), in archive order, that pass the
 * other filters. */
static int mam_by_ids(struct xep_stanza *st, const char *room,
		      const struct mam_query *q,
		      struct store_archive_msg **out, size_t *n)
{
	struct store_archive_msg m;
	size_t i, j;
	int rc;

	*out = NULL;
	*n = 0;
	for (i = 0; i < q->n_ids; i++) {
		bool dup = false;

		rc = store_archive_get(st->bc->rooms_store, room, q->ids[i], &m);
		if (rc != 0)
			return rc;
		for (j = 0; j < *n; j++)
			dup = dup || strcmp((*out)[j].stanza_id,
					    m.stanza_id) == 0;
		if (dup || (q->has_start && m.ms < q->start_ms) ||
		    (q->has_end && m.ms > q->end_ms) ||
		    (q->with_from != NULL &&
		     strcasecmp(m.from, q->with_from) != 0) ||
		    (q->with_nick != NULL &&
		     strcmp(m.nick, q->with_nick) != 0)) {
			store_archive_msg_clear(&m);
			continue;
		}
		/* Insertion in archive order: at most MAM_MAX_CAP ids. */
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		for (j = *n; j > 0 && mam_earlier(&m, &(*out)[j - 1]); j--)
			(*out)[j] = (*out)[j - 1];
		(*out)[j] = m;
		(*n)++;
	}
	return 0;
}

/* True for an <x xmlns='http://jabber.org/protocol/muc#user'/>. */
static bool mam_is_muc_user(xmpp_stanza_t *c)
{
	const char *name = xmpp_stanza_get_name(c);
	const char *ns = xmpp_stanza_get_ns(c);

	return xmpp_stanza_is_tag(c) && name != NULL && ns != NULL &&
	       strcmp(name, "x") == 0 && strcmp(ns, NS_MUC_USER) == 0;
}

/* The archived stanza text as the <message/> to forward (a new stanza),
 * or NULL when it does not parse.  Its 'to', if any, is left out, its
 * namespace is jabber:client (XEP-0297 §3: inside <forwarded/> it would
 * otherwise take the forwarding namespace), any muc#user <x/> is left out
 * (XEP-0313 §6.1.2: the sender's claims) and, when publisher is not NULL,
 * one naming the publisher's address is added. */
static xmpp_stanza_t *mam_archived(struct bc *bc, const char *text,
				   const char *publisher)
{
	xmpp_stanza_t *in = xmpp_stanza_new_from_string(bc->xctx, text);
	xmpp_stanza_t *m, *c;
	const char *attrs[2 * 64];
	int n, i;

	if (in == NULL)
		return NULL;
	m = xep_elem(bc, "message", NS_CLIENT);
	n = xmpp_stanza_get_attributes(in, attrs, 2 * 64);
	for (i = 0; i + 1 < n; i += 2) {
		if (strcmp(attrs[i], "to") == 0 ||
		    strcmp(attrs[i], "xmlns") == 0)
			continue;
		/* libstrophe's parser drops the xml: prefix of xml:lang;
		 * nested here, the serialiser would not put it back. */
		xmpp_stanza_set_attribute(
			m, strcmp(attrs[i], "lang") == 0 ? "xml:lang" : attrs[i],
			attrs[i + 1]);
	}
	for (c = xmpp_stanza_get_children(in); c != NULL;
	     c = xmpp_stanza_get_next(c))
		if (!mam_is_muc_user(c))
			xmpp_stanza_add_child_ex(m, xmpp_stanza_copy(c), 0);
	if (publisher != NULL)
		xmpp_stanza_set_attribute(
			xep_add_child(xep_add_child(m, "x", NS_MUC_USER),
				      "item", NULL),
			"jid", publisher);
	xmpp_stanza_release(in);
	return m;
}

/* Sends one result message (§4.2). */
static void mam_send_result(struct xep_stanza *st, const char *queryid,
			    const struct store_archive_msg *m, bool shows)
{
	struct bc *bc = st->bc;
	xmpp_stanza_t *msg, *res, *fwd, *delay, *inner;
	char id[32], stamp[40];
	/* The publisher of an occupant's message; the room's own messages
	 * (no nick) have none. */
	bool named = shows && m->nick != NULL && m->nick[0] != '\0' &&
		     m->from != NULL && m->from[0] != '\0';

	inner = mam_archived(bc, m->stanza, named ? m->from : NULL);
	if (inner == NULL) {
		log_warnx("mam: archived message %s of %s does not parse",
			  m->stanza_id, st->to_jid.node);
		return;
	}
	msg = xmpp_message_new(bc->xctx, NULL, st->from,
			       bc_new_id(bc, id, sizeof(id)));
	xmpp_stanza_set_from(msg, st->to);
	res = xep_add_child(msg, "result", NS_MAM);
	if (queryid != NULL)
		xmpp_stanza_set_attribute(res, "queryid", queryid);
	xmpp_stanza_set_attribute(res, "id", m->stanza_id);
	fwd = xep_add_child(res, "forwarded", NS_FORWARD);
	delay = xep_add_child(fwd, "delay", NS_DELAY);
	xmpp_stanza_set_attribute(delay, "from", st->to);
	xmpp_stanza_set_attribute(
		delay, "stamp", clock_format_xep82(m->ms, stamp, sizeof(stamp)));
	xmpp_stanza_add_child_ex(fwd, inner, 0);
	bc_send(bc, msg);
}

/* Checks the room and the asker: the room (borrowed) into *r. */
static int mam_room(struct xep_stanza *st, struct muc_room **r)
{
	*r = muc_room_find(st->bc, st->to_jid.node);
	if (*r == NULL)
		return xep_fail(st, BC_EITEM_NOT_FOUND, "No such room");
	if (!muc_room_may_read_archive(st->bc, *r, st->from_bare))
		return xep_fail(st, BC_EFORBIDDEN,
				"You may not read this room's archive");
	return 0;
}

static int mam_store_rc(struct xep_stanza *st, int rc)
{
	if (rc == STORE_NOTFOUND)
		return xep_fail(st, BC_EITEM_NOT_FOUND,
				"No such message in the archive");
	return xep_fail(st, BC_EINTERNAL, NULL);
}

int muc_mam_query(struct xep_stanza *st)
{
	struct muc_room *r;
	struct mam_query q;
	struct store_archive_query sq;
	struct store_archive_msg *v = NULL;
	xmpp_stanza_t *iq, *fin, *set;
	const char *queryid, *room;
	size_t n = 0, i, page;
	bool complete = true;
	int rc;

	if ((rc = mam_room(st, &r)) != 0)
		return rc;
	room = muc_room_name(r);
	if ((rc = mam_parse(st, &q,
			    muc_room_shows_addresses(r, st->from))) != 0)
		goto out;
	page = q.has_max ? q.max : MAM_MAX_DEFAULT;

	memset(&sq, 0, sizeof(sq));
	sq.room = room;
	if ((rc = mam_pick(st, room, q.after_id, q.rsm_after, true,
			   &sq.after_id)) != 0 ||
	    (rc = mam_pick(st, room, q.before_id,
			   q.rsm_before != NULL && q.rsm_before[0] != '\0'
				   ? q.rsm_before
				   : NULL,
			   false, &sq.before_id)) != 0) {
		rc = mam_store_rc(st, rc);
		goto out;
	}
	/* An empty range: the store reads 0 as "open", so a start or end
	 * at or before the epoch, or an end before the start, is settled
	 * here. */
	if ((q.has_end && q.end_ms <= 0) ||
	    (q.has_start && q.has_end && q.end_ms < q.start_ms))
		q.with_none = true;
	sq.start_ms = q.has_start && q.start_ms > 0 ? q.start_ms : 0;
	sq.end_ms = q.has_end ? q.end_ms : 0;
	sq.with_from = q.with_from;
	sq.with_nick = q.with_nick;
	sq.last = q.rsm_before != NULL;
	/* max 0 (XEP-0059 §2.6): no message, but whether any matches. */
	sq.max = page > 0 ? page : 1;

	if (q.n_ids > 0) {
		rc = mam_by_ids(st, room, &q, &v, &n);
		if (rc != 0) {
			rc = mam_store_rc(st, rc);
			goto out;
		}
		if (q.with_none) {
			store_archive_list_free(v, n);
			v = NULL;
			n = 0;
		}
		if (n > page) {
			/* Without paging for ids: the first page only. */
			for (i = page; i < n; i++)
				store_archive_msg_clear(&v[i]);
			n = page;
			complete = false;
		}
	} else if (!q.with_none) {
		rc = store_archive_query(st->bc->rooms_store, &sq, &v, &n, &complete);
		if (rc != 0) {
			rc = mam_store_rc(st, rc);
			goto out;
		}
	}
	if (page == 0) {
		complete = n == 0;
		store_archive_list_free(v, n);
		v = NULL;
		n = 0;
	}

	queryid = xmpp_stanza_get_attribute(st->payload, "queryid");
	for (i = 0; i < n; i++)
		mam_send_result(st, queryid, &v[q.flip ? n - 1 - i : i],
				q.shows);

	iq = xep_iq_result(st);
	fin = xep_add_child(iq, "fin", NS_MAM);
	if (queryid != NULL)
		xmpp_stanza_set_attribute(fin, "queryid", queryid);
	if (complete)
		xmpp_stanza_set_attribute(fin, "complete", "true");
	set = xep_add_child(fin, "set", NS_RSM);
	if (n > 0) {
		xep_add_text_child(set, "first", v[0].stanza_id);
		xep_add_text_child(set, "last", v[n - 1].stanza_id);
	}
	xep_reply(st, iq);
	rc = XEP_OK;
out:
	store_archive_list_free(v, n);
	mam_query_clear(&q);
	return rc;
}

static void mam_form_field(xmpp_stanza_t *x, const char *var,
			   const char *type)
{
	xmpp_stanza_t *f = xep_add_child(x, "field", NULL);

	xmpp_stanza_set_attribute(f, "var", var);
	xmpp_stanza_set_attribute(f, "type", type);
}

int muc_mam_form(struct xep_stanza *st)
{
	struct muc_room *r;
	xmpp_stanza_t *iq, *q, *x, *f, *v;
	int rc;

	if ((rc = mam_room(st, &r)) != 0)
		return rc;
	iq = xep_iq_result(st);
	q = xep_add_child(iq, "query", NS_MAM);
	x = xep_add_child(q, "x", NS_DATA);
	xmpp_stanza_set_type(x, "form");
	f = xep_add_child(x, "field", NULL);
	xmpp_stanza_set_attribute(f, "var", "FORM_TYPE");
	xmpp_stanza_set_attribute(f, "type", "hidden");
	xep_add_text_child(f, "value", NS_MAM);
	mam_form_field(x, "with", "jid-single");
	mam_form_field(x, "start", "text-single");
	mam_form_field(x, "end", "text-single");
	mam_form_field(x, "before-id", "text-single");
	mam_form_field(x, "after-id", "text-single");
	mam_form_field(x, "ids", "list-multi");
	f = xmpp_stanza_get_children(x);
	while (xmpp_stanza_get_next(f) != NULL)
		f = xmpp_stanza_get_next(f);
	v = xep_add_child(f, "validate", NS_XDATA_VALIDATE);
	xmpp_stanza_set_attribute(v, "datatype", "xs:string");
	xep_add_child(v, "open", NULL);
	xep_reply(st, iq);
	return XEP_OK;
}

int muc_mam_metadata(struct xep_stanza *st)
{
	struct muc_room *r;
	struct store_archive_query sq;
	struct store_archive_msg *v;
	xmpp_stanza_t *iq, *md, *e;
	size_t n;
	bool complete;
	char stamp[40];
	int rc, i;

	if ((rc = mam_room(st, &r)) != 0)
		return rc;
	iq = xep_iq_result(st);
	md = xep_add_child(iq, "metadata", NS_MAM);
	for (i = 0; i < 2; i++) {
		memset(&sq, 0, sizeof(sq));
		sq.room = muc_room_name(r);
		sq.max = 1;
		sq.last = i == 1;
		rc = store_archive_query(st->bc->rooms_store, &sq, &v, &n, &complete);
		if (rc != 0) {
			xmpp_stanza_release(iq);
			return xep_fail(st, BC_EINTERNAL, NULL);
		}
		if (n == 1) {
			e = xep_add_child(md, i == 0 ? "start" : "end", NULL);
			xmpp_stanza_set_attribute(e, "id", v[0].stanza_id);
			xmpp_stanza_set_attribute(
				e, "timestamp",
				clock_format_xep82(v[0].ms, stamp,
						   sizeof(stamp)));
		}
		store_archive_list_free(v, n);
	}
	xep_reply(st, iq);
	return XEP_OK;
}
