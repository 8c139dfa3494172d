/*
 * reports.c - abuse reports (XEP-0377): choosing their evidence, storing
 * them and telling the moderators with that evidence forwarded (XEP-0297).
 * Shared by the XEP-0191 block items (xep/blocking.c), the text commands
 * (xep/bot.c) and the ad-hoc command (xep/requests.c); not a module of its
 * own.
 *
 * Evidence.  A report may name messages by the XEP-0359 stanza ids the
 * service gave them: one-to-one messages (component/relay.c stamps every
 * relayed and held message, by the sender's address) and room messages
 * (by room@M, the room archive's ids).  Such a report stores exactly the
 * named messages that are the service's and lie between reporter and
 * reported (either way; for a room: sent by the reported in a room the
 * reporter belongs to); every other id is ignored, and the answer is the
 * same whatever the ids, so a reference is never an oracle of other
 * people's messages.  A report naming no id keeps what the service has of
 * reported -> reporter: the held messages and the evidence log.
 *
 * Who hears: every configured moderator, with all the evidence, and for a
 * room message the owners and admins of that room at their linked JIDs,
 * with that room's messages only (never one-to-one ones, nor another
 * room's).  Their message has
 * a summary body, the XEP-0377 <report/> and the evidence as XEP-0297
 * <forwarded/> messages with XEP-0203 stamps, rebuilt from the stored text
 * under addresses only (bounded in number and bytes).
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/identity.h"
#include "component/jid.h"
#include "component/limits.h"
#include "component/log.h"
#include "component/metrics.h"
#include "component/policy.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/ns.h"
#include "xep/reports.h"
#include "xep/xep.h"

/* What one moderator's message forwards at most: messages, bytes of
 * body per message and in all. */
#define REPORTS_FORWARD_MAX 20
#define REPORTS_BODY_MAX 2048
#define REPORTS_FORWARD_BYTES 12288

/* Room owners and admins told of one report, at most (JIDs). */
#define REPORTS_ROOM_JIDS_MAX 16

/* One piece of evidence: a stored stanza's text, when it was sent and
 * where it came from: the index of its room in the case's rooms[], or
 * REPORTS_ONE_TO_ONE. */
struct reports_item {
	char *text;
	int64_t ms;
	int room;
};

#define REPORTS_ONE_TO_ONE (-1)

/* The evidence chosen for one report, and the rooms it came from.  On a
 * rooms instance's report carried to D, the owners and admins of each room
 * come with it (staff_given): D does not hold the rooms. */
struct reports_case {
	struct reports_item *v;
	size_t n;
	char *rooms[REPORTS_REFS_MAX]; /* room nodes */
	size_t n_rooms;
	bool staff_given;
	char **staff[REPORTS_REFS_MAX]; /* handles, NULL-terminated */
};

static void reports_case_add(struct reports_case *c, const char *text,
			     int64_t ms, int room)
{
	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	c->v[c->n].text = xstrdup(text);
	c->v[c->n].ms = ms;
	c->v[c->n].room = room;
	c->n++;
}

static void reports_case_clear(struct reports_case *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].text);
	for (i = 0; i < c->n_rooms; i++) {
		free(c->rooms[i]);
		store_strv_free(c->staff[i]);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* The service's own XEP-0359 <stanza-id/> child of msg (borrowed): its
 * 'by' an address under D (or, with rooms, under M), its id no longer
 * than REPORTS_ID_MAX.  NULL when it has none. */
static xmpp_stanza_t *reports_own_sid(struct bc *bc, xmpp_stanza_t *msg,
				      bool rooms)
{
	xmpp_stanza_t *c;

	for (c = xmpp_stanza_get_children(msg); c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);
		const char *ns = xmpp_stanza_get_ns(c);
		const char *by = xmpp_stanza_get_attribute(c, "by");
		const char *id = xmpp_stanza_get_attribute(c, "id");
		const char *at;

		if (name == NULL || ns == NULL || by == NULL || id == NULL ||
		    strcmp(name, "stanza-id") != 0 || strcmp(ns, NS_SID) != 0 ||
		    strlen(id) > REPORTS_ID_MAX || (at = strchr(by, '@')) == NULL)
			continue;
		if (strcasecmp(at + 1, bc->cfg->service_domain) == 0 ||
		    (rooms && strcasecmp(at + 1, bc->cfg->rooms_domain) == 0))
			return c;
	}
	return NULL;
}

/* The id of the service's own stanza id in a stored one-to-one stanza
 * (the evidence log, a request), into out; false when it has none. */
static bool reports_stanza_id_of(struct bc *bc, const char *text, char *out,
				 size_t len)
{
	xmpp_stanza_t *s = xmpp_stanza_new_from_string(bc->xctx, text), *e;
	bool found = false;

	if (s == NULL)
		return false;
	if ((e = reports_own_sid(bc, s, false)) != NULL) {
		snprintf(out, len, "%s", xmpp_stanza_get_attribute(e, "id"));
		found = true;
	}
	xmpp_stanza_release(s);
	return found;
}

/* True when refs names the one-to-one message id (and no id twice is
 * taken: seen[] marks the refs used). */
static bool reports_ref_named(const struct reports_ref *refs, size_t n,
			      bool *seen, const char *id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!seen[i] && !refs[i].room && strcmp(refs[i].id, id) == 0) {
			seen[i] = true;
			return true;
		}
	return false;
}

/* Adds the named messages of one list (held or logged) to c. */
static void reports_pick(struct bc *bc, struct reports_case *c,
			 const struct reports_ref *refs, size_t n_refs,
			 bool *seen, const char *text, int64_t ms)
{
	char id[REPORTS_ID_MAX + 1];

	if (reports_stanza_id_of(bc, text, id, sizeof(id)) &&
	    reports_ref_named(refs, n_refs, seen, id))
		reports_case_add(c, text, ms, REPORTS_ONE_TO_ONE);
}

/* The evidence log of sender -> recipient: every message (refs NULL), or
 * those refs names. */
static int reports_from_log(struct bc *bc, struct reports_case *c,
			    const char *sender, const char *recipient,
			    const struct reports_ref *refs, size_t n_refs,
			    bool *seen)
{
	struct store_evidence *ev = NULL;
	size_t n = 0, i;
	int rc = store_evidence_list_pair(bc->store, sender, recipient, &ev,
					  &n);

	if (rc == STORE_NOTFOUND || rc == STORE_EINVAL)
		return 0;
	if (rc != 0)
		return BC_EINTERNAL;
	for (i = 0; i < n; i++)
		if (refs == NULL)
			reports_case_add(c, ev[i].text, ev[i].ms,
					 REPORTS_ONE_TO_ONE);
		else
			reports_pick(bc, c, refs, n_refs, seen, ev[i].text,
				     ev[i].ms);
	store_evidence_list_free(ev, n);
	return 0;
}

/* The held messages of peer to handle: all (refs NULL) or those named. */
static int reports_from_held(struct bc *bc, struct reports_case *c,
			     const char *handle, const char *peer,
			     const struct reports_ref *refs, size_t n_refs,
			     bool *seen)
{
	struct store_held *held = NULL;
	size_t n = 0, i;
	int rc = store_held_list(bc->store, handle, peer, &held, &n);

	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return BC_EINTERNAL;
	for (i = 0; i < n; i++)
		if (refs == NULL)
			reports_case_add(c, held[i].stanza,
					 held[i].received_ms,
					 REPORTS_ONE_TO_ONE);
		else
			reports_pick(bc, c, refs, n_refs, seen,
				     held[i].stanza, held[i].received_ms);
	store_held_list_free(held, n);
	return 0;
}

int reports_sees(struct bc *bc, const char *room, const char *handle,
		 bool *sees)
{
	enum store_affil affil = STORE_AFFIL_NONE;
	struct store_room r;
	int rc;

	*sees = false;
	memset(&r, 0, sizeof(r));
	rc = store_room_get(bc->rooms_store, room, &r);
	if (rc != 0)
		return rc == STORE_NOTFOUND ? 0 : BC_EINTERNAL;
	*sees = r.kind == STORE_ROOM_AUDIO;
	store_room_clear(&r);
	if (*sees)
		return 0;
	if (store_affil_get(bc->rooms_store, room, handle, &affil) != 0)
		return BC_EINTERNAL;
	*sees = affil >= STORE_AFFIL_MEMBER;
	return 0;
}

/* A room message named by ref: kept when the room's archive has it, the
 * reported identity sent it and the reporter could see it
 * (reports_sees()).  Anything else is ignored. */
static int reports_from_room(struct bc *bc, struct reports_case *c,
			     const char *handle, const char *peer,
			     const struct reports_ref *ref)
{
	struct store_archive_msg m;
	char addr[JID_MAX];
	bool sees;
	size_t i;
	int rc;

	memset(&m, 0, sizeof(m));
	if ((rc = reports_sees(bc, ref->room, handle, &sees)) != 0 || !sees)
		return rc;
	rc = store_archive_get(bc->rooms_store, ref->room, ref->id, &m);
	if (rc != 0)
		return rc == STORE_NOTFOUND ? 0 : BC_EINTERNAL;
	ident_address(bc, peer, addr);
	if (m.from != NULL && strcasecmp(m.from, addr) == 0) {
		for (i = 0; i < c->n_rooms; i++)
			if (strcmp(c->rooms[i], ref->room) == 0)
				break;
		/* One room per reference at most: there is always room. */
		if (i == c->n_rooms && c->n_rooms < REPORTS_REFS_MAX)
			c->rooms[c->n_rooms++] = xstrdup(ref->room);
		if (i < c->n_rooms)
			reports_case_add(c, m.stanza, m.ms, (int)i);
	}
	store_archive_msg_clear(&m);
	return 0;
}

/* Chooses the evidence of handle's report on peer (see the top). */
static int reports_choose(struct bc *bc, struct reports_case *c,
			  const char *handle, const char *peer,
			  const struct reports_ref *refs, size_t n_refs)
{
	bool seen[REPORTS_REFS_MAX] = {false};
	size_t i;
	int rc;

	if (n_refs == 0) {
		if ((rc = reports_from_held(bc, c, handle, peer, NULL, 0,
					    NULL)) != 0)
			return rc;
		return reports_from_log(bc, c, peer, handle, NULL, 0, NULL);
	}
	if (n_refs > REPORTS_REFS_MAX)
		n_refs = REPORTS_REFS_MAX;
	if ((rc = reports_from_held(bc, c, handle, peer, refs, n_refs,
				    seen)) != 0 ||
	    (rc = reports_from_log(bc, c, peer, handle, refs, n_refs,
				   seen)) != 0 ||
	    (rc = reports_from_log(bc, c, handle, peer, refs, n_refs,
				   seen)) != 0)
		return rc;
	for (i = 0; i < n_refs; i++) {
		size_t k;

		if (refs[i].room == NULL)
			continue;
		/* A message named twice is kept once. */
		for (k = 0; k < i; k++)
			if (refs[k].room != NULL &&
			    strcmp(refs[k].room, refs[i].room) == 0 &&
			    strcmp(refs[k].id, refs[i].id) == 0)
				break;
		if (k < i)
			continue;
		if ((rc = reports_from_room(bc, c, handle, peer, &refs[i])) !=
		    0)
			return rc;
	}
	return 0;
}

/* An address fit to show a moderator: addresses under D and M stay (bare
 * for D); any other JID becomes its address under D, so no real JID of a
 * member (or anyone) leaves.  "" when jid is NULL or unusable. */
static void reports_clean_jid(struct bc *bc, const char *jid, char *out)
{
	struct ident_sender who;
	struct jid j;
	char bare[JID_MAX];

	out[0] = '\0';
	if (jid == NULL || jid_parse(jid, &j) < 0)
		return;
	if (strcmp(j.domain, bc->cfg->rooms_domain) == 0) {
		snprintf(out, JID_MAX, "%s", jid);
		return;
	}
	if (jid_format_bare(&j, bare, sizeof(bare)) < 0)
		return;
	if (strcmp(j.domain, bc->cfg->service_domain) == 0) {
		snprintf(out, JID_MAX, "%s", bare);
		return;
	}
	if (ident_sender(bc, bare, &who) == 0)
		ident_address(bc, who.node, out);
}

/* The first len bytes of s at most, not cutting a UTF-8 sequence (a new
 * string). */
static char *reports_cut(const char *s, size_t len)
{
	size_t n = strlen(s);

	if (n <= len)
		return xstrdup(s);
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return xstrndup(s, len);
}

xmpp_stanza_t *reports_clean_message(struct bc *bc, xmpp_stanza_t *msg,
				     size_t body_max, bool ours)
{
	xmpp_stanza_t *out, *c;
	const char *type = xmpp_stanza_get_type(msg);
	char addr[JID_MAX], *body, *cut;

	out = xmpp_message_new(bc->xctx, type ? type : "normal", NULL, NULL);
	xmpp_stanza_set_ns(out, NS_CLIENT);
	reports_clean_jid(bc, xmpp_stanza_get_from(msg), addr);
	if (addr[0] != '\0')
		xmpp_stanza_set_from(out, addr);
	reports_clean_jid(bc, xmpp_stanza_get_to(msg), addr);
	if (addr[0] != '\0')
		xmpp_stanza_set_to(out, addr);
	body = xmpp_message_get_body(msg);
	if (body != NULL) {
		cut = reports_cut(body, body_max);
		xmpp_message_set_body(out, cut);
		free(cut);
		xmpp_free(bc->xctx, body);
	}
	/* The service's own stanza id names the message for moderators;
	 * in a message from elsewhere it could be made up. */
	if (ours && (c = reports_own_sid(bc, msg, true)) != NULL) {
		xmpp_stanza_t *e = xep_add_child(out, "stanza-id", NS_SID);

		xmpp_stanza_set_attribute(e, "by",
					  xmpp_stanza_get_attribute(c, "by"));
		xmpp_stanza_set_attribute(e, "id",
					  xmpp_stanza_get_attribute(c, "id"));
	}
	return out;
}

/* XEP-0297 §3: <forwarded><delay stamp/>msg</forwarded> added to parent
 * (msg is taken). */
static void reports_add_forwarded(struct bc *bc, xmpp_stanza_t *parent,
				  xmpp_stanza_t *msg, int64_t ms)
{
	xmpp_stanza_t *fwd = xep_add_child(parent, "forwarded", NS_FORWARD);
	xmpp_stanza_t *delay = xep_add_child(fwd, "delay", NS_DELAY);
	char stamp[40];

	/* XEP-0203 §4 */
	xmpp_stanza_set_attribute(delay, "from", bc->cfg->service_domain);
	xmpp_stanza_set_attribute(delay, "stamp",
				  clock_format_xep82(ms, stamp, sizeof(stamp)));
	xmpp_stanza_add_child_ex(fwd, msg, 0);
}

/* Where the newest evidence that fits the bounds starts in v[0..n): at
 * most the configured evidence count (and REPORTS_FORWARD_MAX) messages,
 * REPORTS_FORWARD_BYTES of stored text (each counted up to
 * REPORTS_BODY_MAX, as its body is cut there). */
static size_t reports_first(const struct bc *bc, const struct reports_item *v,
			    size_t n)
{
	size_t max = bc->cfg->evidence_count, first = n, bytes = 0;

	if (max == 0 || max > REPORTS_FORWARD_MAX)
		max = REPORTS_FORWARD_MAX;
	while (first > 0 && n - first < max) {
		size_t len = strlen(v[first - 1].text);

		if (len > REPORTS_BODY_MAX)
			len = REPORTS_BODY_MAX;
		if (bytes + len > REPORTS_FORWARD_BYTES)
			break;
		bytes += len;
		first--;
	}
	return first;
}

/* One report as it is filed: who and what as stored (handles, or the
 * addresses and JIDs a report from elsewhere gave), the same as the
 * moderators see them (addresses under D), and the identities that must
 * not hear of it as a room's owner or admin (the reported, who must not
 * learn who reported them, and the reporter; NULL: none). */
struct reports_filing {
	const char *reporter, *reported;
	const char *reporter_addr, *reported_addr;
	const char *reason, *text;
	const char *handle, *peer;
};

/* A set of the rooms of a case, by their index in rooms[]. */
#if REPORTS_REFS_MAX > 32
#error "a report's rooms must fit a uint32_t"
#endif
#define REPORTS_ALL_ROOMS UINT32_MAX

/* The XEP-0377 message about report id to 'to': a summary for people,
 * the <report/>, and the evidence as forwarded messages, oldest first.
 * all: every piece of evidence (a configured moderator); otherwise only
 * that of the rooms in the set rooms (a room's owner or admin). */
static void reports_tell(struct bc *bc, const char *to, uint64_t id,
			 const struct reports_filing *f,
			 const struct reports_case *c, bool all,
			 uint32_t rooms)
{
	xmpp_stanza_t *m = xmpp_message_new(bc->xctx, "normal", to, NULL);
	struct reports_item *v = xcalloc(c->n + 1, sizeof(*v));
	xmpp_stanza_t *r, *s;
	size_t n = 0, first, i;
	char *summary;

	for (i = 0; i < c->n; i++)
		if (all || (c->v[i].room != REPORTS_ONE_TO_ONE &&
			    (rooms & (UINT32_C(1) << c->v[i].room)) != 0))
			v[n++] = c->v[i];
	first = reports_first(bc, v, n);
	xmpp_stanza_set_from(m, bc->cfg->service_domain);
	summary = xasprintf("Report %llu: %s reported %s (%s)%s%s\n"
			    "%zu message%s attached.",
			    (unsigned long long)id, f->reporter_addr,
			    f->reported_addr, f->reason,
			    f->text && *f->text ? ": " : "",
			    f->text ? f->text : "", n - first,
			    n - first == 1 ? "" : "s");
	xmpp_message_set_body(m, summary);
	free(summary);
	r = xep_add_child(m, "report", NS_REPORTING);
	xmpp_stanza_set_attribute(r, "reason", f->reason);
	xep_add_text(xep_add_child(r, "jid", NS_JID), f->reported_addr);
	if (f->text != NULL && *f->text != '\0')
		xep_add_text_child(r, "text", f->text);
	for (i = first; i < n; i++) {
		if ((s = xmpp_stanza_new_from_string(bc->xctx, v[i].text)) ==
		    NULL)
			continue;
		reports_add_forwarded(
			bc, m,
			reports_clean_message(bc, s, REPORTS_BODY_MAX, true),
			v[i].ms);
		xmpp_stanza_release(s);
	}
	free(v);
	bc_send(bc, m);
}

/* The owners and admins of room (handles, NULL-terminated, into *out),
 * from the rooms store.  0 or a store code. */
static int reports_staff(struct bc *bc, const char *room, char ***out)
{
	struct store_affiliation *a = NULL;
	size_t na = 0, i, n = 0;
	int rc;

	*out = NULL;
	if ((rc = store_affil_list(bc->rooms_store, room, &a, &na)) != 0)
		return rc;
	*out = xcalloc(na + 1, sizeof(**out));
	for (i = 0; i < na; i++)
		if (a[i].affil >= STORE_AFFIL_ADMIN)
			(*out)[n++] = xstrdup(a[i].who);
	store_affil_list_free(a, na);
	return 0;
}

/* The linked JIDs to tell of a report's rooms, each with the set of the
 * rooms it is an owner or admin of. */
struct reports_room_jids {
	char **jids;
	uint32_t *rooms;
	size_t n;
	size_t left; /* JIDs that may still be added */
};

/* Adds the linked JIDs of the owners and admins of room (index k of the
 * case) to *out, up to out->left new ones; never those of the identities
 * in skip[2] (the reported and the reporter). */
static void reports_room_jids(struct bc *bc, const struct reports_case *c,
			      size_t k, const char *const skip[2],
			      struct reports_room_jids *out)
{
	char **staff = c->staff_given ? c->staff[k] : NULL;
	size_t i, j, x;

	if (!c->staff_given &&
	    reports_staff(bc, c->rooms[k], &staff) != 0)
		return;
	for (i = 0; staff != NULL && staff[i] != NULL; i++) {
		char **linked = NULL;

		if (strcmp(staff[i], skip[0]) == 0 ||
		    strcmp(staff[i], skip[1]) == 0 ||
		    store_link_list(bc->store, staff[i], &linked) != 0)
			continue;
		for (j = 0; linked[j] != NULL; j++) {
			for (x = 0; x < out->n; x++)
				if (strcmp(out->jids[x], linked[j]) == 0)
					break;
			if (x == out->n) {
				if (out->left == 0)
					continue;
				out->jids = xreallocarray(out->jids, out->n + 1,
							  sizeof(*out->jids));
				out->rooms = xreallocarray(
					out->rooms, out->n + 1,
					sizeof(*out->rooms));
				out->jids[x] = xstrdup(linked[j]);
				out->rooms[x] = 0;
				out->n++;
				out->left--;
			}
			out->rooms[x] |= UINT32_C(1) << k;
		}
		store_strv_free(linked);
	}
	if (!c->staff_given)
		store_strv_free(staff);
}

/* Tells the service's moderators of report id with all its evidence, and
 * the owners and admins of the rooms of c (but the identities f->handle
 * and f->peer) with the evidence of their rooms only: a member's
 * one-to-one messages never reach a room's owners.  Returns how many were
 * told. */
static size_t reports_tell_moderators(struct bc *bc, uint64_t id,
				      const struct reports_filing *f,
				      const struct reports_case *c)
{
	const char *const skip[2] = {f->peer ? f->peer : "",
				     f->handle ? f->handle : ""};
	struct reports_room_jids rj;
	size_t i, k, told = 0;

	memset(&rj, 0, sizeof(rj));
	rj.left = REPORTS_ROOM_JIDS_MAX;
	for (i = 0; i < bc->cfg->moderators.n; i++, told++)
		reports_tell(bc, bc->cfg->moderators.v[i], id, f, c, true,
			     REPORTS_ALL_ROOMS);
	for (i = 0; i < c->n_rooms; i++)
		reports_room_jids(bc, c, i, skip, &rj);
	for (i = 0; i < rj.n; i++) {
		/* A configured moderator is told once, of everything. */
		for (k = 0; k < bc->cfg->moderators.n; k++)
			if (strcmp(bc->cfg->moderators.v[k], rj.jids[i]) == 0)
				break;
		if (k == bc->cfg->moderators.n) {
			reports_tell(bc, rj.jids[i], id, f, c, false,
				     rj.rooms[i]);
			told++;
		}
		free(rj.jids[i]);
	}
	free(rj.jids);
	free(rj.rooms);
	return told;
}

int reports_allow(struct xep_stanza *st, enum limits_kind kind,
		  const char *key, unsigned n)
{
	if (limits_take(st->bc->limits, kind, key, n))
		return 0;
	return xep_fail(st, BC_EPOLICY_VIOLATION,
			kind == LIMITS_REPORTS
				? "You have filed as many reports as you may "
				  "today; try again tomorrow."
				: "This service takes no more reports from "
				  "your domain today.");
}

/* Files the report f with the evidence of c: stores it, counts it
 * against the reported (policy_report_filed()) and tells the moderators.
 * Returns 0 (the id in *id) or a BC_E* code. */
static int reports_put(struct bc *bc, const struct reports_filing *f,
		       const struct reports_case *c, unsigned long *id)
{
	char **evidence = xcalloc(c->n + 1, sizeof(*evidence));
	struct store_report r;
	uint64_t rid = 0;
	size_t i;
	int rc;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < c->n; i++)
		evidence[i] = c->v[i].text;
	r.reporter = (char *)f->reporter;
	r.reported = (char *)f->reported;
	r.reason = (char *)f->reason;
	r.text = (char *)f->text;
	r.evidence = evidence;
	rc = store_report_add(bc->store, &r, false, &rid);
	free(evidence);
	if (rc != 0)
		return BC_EINTERNAL;
	policy_report_filed(bc, f->reported);
	metrics.reports++;
	reports_tell_moderators(bc, rid, f, c);
	log_info("%s reported %s (report %llu, %zu messages of evidence)",
		 f->reporter, f->reported, (unsigned long long)rid, c->n);
	*id = (unsigned long)rid;
	return 0;
}

/* The address a report from elsewhere names as reported, into out
 * (JID_MAX bytes): a member's linked account becomes the member's
 * address under D, so neither the store nor the moderators ever see the
 * real JID and the report counts against the member; anything else stays
 * as given. */
static void reports_reported_address(struct bc *bc, const char *reported,
				     char *out)
{
	struct ident_sender who;
	struct jid j;
	char bare[JID_MAX];

	snprintf(out, JID_MAX, "%s", reported);
	if (jid_parse(reported, &j) < 0 ||
	    strcmp(j.domain, bc->cfg->service_domain) == 0 ||
	    strcmp(j.domain, bc->cfg->rooms_domain) == 0 ||
	    jid_format_bare(&j, bare, sizeof(bare)) < 0)
		return;
	if (ident_sender(bc, bare, &who) == 0 && who.member)
		ident_address(bc, who.node, out);
}

int reports_received(struct bc *bc, const char *reporter,
		     const char *reported, const char *reason,
		     const char *text, xmpp_stanza_t *msg, unsigned long *id)
{
	struct reports_filing f = {reporter, NULL, reporter, NULL,
				   reason,   text, NULL,     NULL};
	char addr[JID_MAX];
	struct reports_case c;
	int rc;

	memset(&c, 0, sizeof(c));
	reports_reported_address(bc, reported, addr);
	f.reported = f.reported_addr = addr;
	if (msg != NULL) {
		/* Stored as the moderators see it: rebuilt, under
		 * addresses only. */
		xmpp_stanza_t *clean = reports_clean_message(
			bc, msg, REPORTS_BODY_MAX, false);
		char *t;
		size_t len;

		if (xmpp_stanza_to_text(clean, &t, &len) != XMPP_EOK)
			xalloc_fail();
		reports_case_add(&c, t, clock_now_ms(), REPORTS_ONE_TO_ONE);
		xmpp_free(bc->xctx, t);
		xmpp_stanza_release(clean);
	}
	rc = reports_put(bc, &f, &c, id);
	reports_case_clear(&c);
	return rc;
}

int reports_file(struct bc *bc, const char *handle, const char *peer,
		 const char *reason, const char *text,
		 const struct reports_ref *refs, size_t n_refs,
		 unsigned long *id)
{
	char reporter[JID_MAX], reported[JID_MAX];
	struct reports_filing f = {handle, peer,   reporter, reported,
				   reason, text, handle,   peer};
	struct reports_case c;
	int rc;

	memset(&c, 0, sizeof(c));
	ident_address(bc, handle, reporter);
	ident_address(bc, peer, reported);
	if ((rc = reports_choose(bc, &c, handle, peer, refs, n_refs)) == 0)
		rc = reports_put(bc, &f, &c, id);
	reports_case_clear(&c);
	return rc;
}

/*
 * Rooms instances (<shard/>, docs/SCALING.md).  An instance holds its
 * rooms but not the directory, which only the group's master changes: a
 * room report made there is chosen there (reports_choose(), and the
 * room's owners and admins) and carried to D in one message from M,
 * <filed xmlns='urn:xmpp:backchannel:filed:0'/>; the daemon serving D
 * files it as its own (reports_file_filed()), blocking as for any report
 * (requests_report_filed()).  The evidence travels as the moderators see
 * it (reports_clean_message(), bodies cut at REPORTS_BODY_MAX), so the
 * message stays bounded: at most REPORTS_REFS_MAX room messages and the
 * configured evidence count of one-to-one ones.
 */

int reports_forward(struct bc *bc, const char *handle, const char *peer,
		    const char *reason, const char *text,
		    const struct reports_ref *refs, size_t n_refs)
{
	struct reports_case c;
	xmpp_stanza_t *m, *f, *e, *s, *clean;
	char ms[24], room[12];
	size_t i, k;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = reports_choose(bc, &c, handle, peer, refs, n_refs)) != 0)
		goto out;
	m = xmpp_message_new(bc->xctx, "normal", bc->cfg->service_domain, NULL);
	xmpp_stanza_set_from(m, bc->cfg->rooms_domain);
	f = xep_add_child(m, "filed", NS_BC_FILED);
	xmpp_stanza_set_attribute(f, "reporter", handle);
	xmpp_stanza_set_attribute(f, "reported", peer);
	xmpp_stanza_set_attribute(f, "reason", reason);
	if (text != NULL && *text != '\0')
		xep_add_text_child(f, "text", text);
	for (i = 0; i < c.n_rooms; i++) {
		xmpp_stanza_t *r = xep_add_child(f, "room", NULL);
		char **staff = NULL;

		xmpp_stanza_set_attribute(r, "name", c.rooms[i]);
		if (reports_staff(bc, c.rooms[i], &staff) != 0)
			continue;
		for (k = 0; staff[k] != NULL && k < REPORTS_ROOM_JIDS_MAX; k++)
			xmpp_stanza_set_attribute(
				xep_add_child(r, "staff", NULL), "who",
				staff[k]);
		store_strv_free(staff);
	}
	for (i = 0; i < c.n; i++) {
		if ((s = xmpp_stanza_new_from_string(bc->xctx, c.v[i].text)) ==
		    NULL)
			continue;
		clean = reports_clean_message(bc, s, REPORTS_BODY_MAX, true);
		xmpp_stanza_release(s);
		e = xep_add_child(f, "evidence", NULL);
		snprintf(ms, sizeof(ms), "%lld", (long long)c.v[i].ms);
		snprintf(room, sizeof(room), "%d", c.v[i].room);
		xmpp_stanza_set_attribute(e, "ms", ms);
		xmpp_stanza_set_attribute(e, "room", room);
		xmpp_stanza_add_child_ex(e, clean, 0);
	}
	bc_send(bc, m);
	log_info("%s reported %s in a room: sent on to %s (%zu messages of "
		 "evidence)",
		 handle, peer, bc->cfg->service_domain, c.n);
out:
	reports_case_clear(&c);
	return rc;
}

void reports_filed_free(struct reports_filed *f)
{
	if (f == NULL)
		return;
	if (f->c != NULL)
		reports_case_clear(f->c);
	free(f->c);
	free(f->handle);
	free(f->peer);
	free(f->reason);
	free(f->text);
	free(f);
}

/* One <room/> of a filing: its name and its owners and admins. */
static int reports_filed_room(struct reports_case *c, xmpp_stanza_t *r)
{
	const char *name = xmpp_stanza_get_attribute(r, "name");
	xmpp_stanza_t *s;
	size_t n = 0;

	if (name == NULL || c->n_rooms >= REPORTS_REFS_MAX)
		return -1;
	c->staff[c->n_rooms] = xcalloc(REPORTS_ROOM_JIDS_MAX + 1,
				       sizeof(char *));
	for (s = xmpp_stanza_get_children(r); s != NULL;
	     s = xmpp_stanza_get_next(s)) {
		const char *who = xmpp_stanza_get_attribute(s, "who");

		if (xmpp_stanza_is_tag(s) && who != NULL &&
		    handle_is_valid(who) && n < REPORTS_ROOM_JIDS_MAX)
			c->staff[c->n_rooms][n++] = xstrdup(who);
	}
	c->rooms[c->n_rooms++] = xstrdup(name);
	return 0;
}

/* One <evidence/> of a filing: the message as the instance cleaned it. */
static int reports_filed_evidence(struct bc *bc, struct reports_case *c,
				  xmpp_stanza_t *e)
{
	const char *ms = xmpp_stanza_get_attribute(e, "ms");
	const char *room = xmpp_stanza_get_attribute(e, "room");
	xmpp_stanza_t *msg = xmpp_stanza_get_child_by_name(e, "message");
	char *t = NULL, *end;
	size_t len;
	long k;

	if (ms == NULL || room == NULL || msg == NULL)
		return -1;
	k = strtol(room, &end, 10);
	if (end == room || *end != '\0' ||
	    (k != REPORTS_ONE_TO_ONE && (k < 0 || (size_t)k >= c->n_rooms)))
		return -1;
	if (c->n >= REPORTS_REFS_MAX + REPORTS_FORWARD_MAX)
		return 0; /* more than an instance sends: ignored */
	if (xmpp_stanza_to_text(msg, &t, &len) != XMPP_EOK)
		xalloc_fail();
	reports_case_add(c, t, strtoll(ms, NULL, 10), (int)k);
	xmpp_free(bc->xctx, t);
	return 0;
}

struct reports_filed *reports_filed_read(struct bc *bc, xmpp_stanza_t *el)
{
	struct reports_filed *f = xcalloc(1, sizeof(*f));
	const char *reporter = xmpp_stanza_get_attribute(el, "reporter");
	const char *reported = xmpp_stanza_get_attribute(el, "reported");
	const char *reason = xmpp_stanza_get_attribute(el, "reason");
	xmpp_stanza_t *s;
	int rc = 0;

	f->c = xcalloc(1, sizeof(*f->c));
	f->c->staff_given = true;
	/* The reported is a handle or an escaped address under D, as
	 * blocking_room_report() found it in the archive. */
	if (reporter == NULL || reported == NULL || reason == NULL ||
	    !handle_is_valid(reporter) || *reported == '\0' ||
	    strlen(reported) >= JID_MAX || strchr(reported, '@') != NULL ||
	    (strcmp(reason, "urn:xmpp:reporting:spam") != 0 &&
	     strcmp(reason, "urn:xmpp:reporting:abuse") != 0)) {
		reports_filed_free(f);
		return NULL;
	}
	f->handle = xstrdup(reporter);
	f->peer = xstrdup(reported);
	f->reason = xstrdup(reason);
	/* The rooms first: the evidence names them by index. */
	for (s = xmpp_stanza_get_children(el); rc == 0 && s != NULL;
	     s = xmpp_stanza_get_next(s))
		if (xmpp_stanza_is_tag(s) &&
		    strcmp(xmpp_stanza_get_name(s), "room") == 0)
			rc = reports_filed_room(f->c, s);
	for (s = xmpp_stanza_get_children(el); rc == 0 && s != NULL;
	     s = xmpp_stanza_get_next(s)) {
		if (!xmpp_stanza_is_tag(s))
			continue;
		if (strcmp(xmpp_stanza_get_name(s), "evidence") == 0)
			rc = reports_filed_evidence(bc, f->c, s);
		else if (strcmp(xmpp_stanza_get_name(s), "text") == 0 &&
			 f->text == NULL)
			f->text = xmpp_stanza_get_text(s);
	}
	if (f->text != NULL) {
		/* Ours to free with free(). */
		char *t = xstrdup(f->text);

		xmpp_free(bc->xctx, f->text);
		f->text = t;
	}
	if (rc != 0) {
		reports_filed_free(f);
		return NULL;
	}
	return f;
}

int reports_file_filed(struct bc *bc, const struct reports_filed *fd,
		       unsigned long *id)
{
	char reporter[JID_MAX], reported[JID_MAX];
	struct reports_filing f = {fd->handle, fd->peer, reporter, reported,
				   fd->reason, fd->text, fd->handle, fd->peer};

	ident_address(bc, fd->handle, reporter);
	ident_address(bc, fd->peer, reported);
	return reports_put(bc, &f, fd->c, id);
}
