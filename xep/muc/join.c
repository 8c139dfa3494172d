/*
 * join.c - XEP-0045 presence on rooms: entering (§7.2, with creation
 * §10.1), history (§7.2.13-14) and subject (§7.2.15) on entering, nick
 * changes (§7.6), presence updates (§7.7) and exits (§7.14).
 *
 * Occupants are identities: the sessions (real full JIDs) of one
 * identity are one occupant under one nick; another session of an
 * identity already in the room joins that occupant (status 210 when it
 * asked for another nick), and the occupant leaves with its last session.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/identity.h"
#include "component/log.h"
#include "component/policy.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/muc/muc-int.h"
#include "xep/ns.h"

/* An unsigned attribute of el, or dflt when it is absent or not one. */
static long muc_attr_num(xmpp_stanza_t *el, const char *name, long dflt)
{
	const char *v = el ? xmpp_stanza_get_attribute(el, name) : NULL;
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return dflt;
	n = strtol(v, &end, 10);
	return *end != '\0' || n < 0 ? dflt : n;
}

/* XEP-0045 §7.2.13-14: the history the joining session asked for (it
 * cannot ask for more than the room keeps), oldest first, stamped with
 * XEP-0203 delays.  Messages from identities the joiner blocks are left
 * out. */
static void muc_send_history(struct bc *bc, struct muc_room *r,
			     struct muc_occupant *o, const char *jid,
			     xmpp_stanza_t *hist)
{
	struct store_archive_query q;
	struct store_archive_msg *m = NULL;
	size_t n = 0, i, first;
	long maxchars, maxstanzas, seconds;
	int64_t since = 0, total = 0;
	bool complete;
	size_t dlen = strlen(bc->cfg->service_domain);

	memset(&q, 0, sizeof(q));
	q.room = r->name;
	q.last = true;
	maxstanzas = muc_attr_num(hist, "maxstanzas", (long)r->cfg.history_max);
	if (maxstanzas > (long)r->cfg.history_max)
		maxstanzas = (long)r->cfg.history_max;
	maxchars = muc_attr_num(hist, "maxchars", -1);
	seconds = muc_attr_num(hist, "seconds", -1);
	if (maxstanzas == 0 || maxchars == 0)
		return;
	q.max = (size_t)maxstanzas;
	if (seconds >= 0)
		since = clock_now_ms() - (int64_t)seconds * 1000;
	if (hist != NULL && xmpp_stanza_get_attribute(hist, "since") != NULL) {
		int64_t t;

		if (clock_parse_xep82(xmpp_stanza_get_attribute(hist, "since"),
				      &t) == 0 &&
		    t > since)
			since = t;
	}
	q.start_ms = since > 0 ? since : 0;
	if (store_archive_query(bc->rooms_store, &q, &m, &n, &complete) != 0)
		return;
	/* maxchars counts whole stanzas, newest first. */
	first = 0;
	if (maxchars > 0)
		for (i = n; i-- > 0;) {
			total += (int64_t)strlen(m[i].stanza);
			if (total > maxchars) {
				first = i + 1;
				break;
			}
		}
	for (i = first; i < n; i++) {
		xmpp_stanza_t *msg, *delay;
		char stamp[40], node[JID_MAX];
		size_t flen = m[i].from ? strlen(m[i].from) : 0;

		/* from is who@D: its node is the identity. */
		if (o->member && flen > dlen + 1 &&
		    m[i].from[flen - dlen - 1] == '@') {
			snprintf(node, sizeof(node), "%.*s",
				 (int)(flen - dlen - 1), m[i].from);
			if (policy_blocks(bc, o->who, node))
				continue;
		}
		msg = xmpp_stanza_new_from_string(bc->xctx, m[i].stanza);
		if (msg == NULL)
			continue;
		delay = xep_add_child(msg, "delay", NS_DELAY);
		xmpp_stanza_set_attribute(delay, "from", r->jid);
		xmpp_stanza_set_attribute(
			delay, "stamp",
			clock_format_xep82(m[i].ms, stamp, sizeof(stamp)));
		xmpp_stanza_set_to(msg, jid);
		bc_send(bc, msg);
	}
	store_archive_list_free(m, n);
}

xmpp_stanza_t *muc_subject_message(struct bc *bc, struct muc_room *r)
{
	xmpp_stanza_t *m = xmpp_message_new(bc->xctx, "groupchat", NULL, NULL);
	xmpp_stanza_t *subj;
	char from[JID_MAX], id[32];

	if (r->cfg.subject_by != NULL && r->cfg.subject_by[0] != '\0') {
		muc_occ_jid(r, r->cfg.subject_by, from);
		xmpp_stanza_set_from(m, from);
	} else {
		xmpp_stanza_set_from(m, r->jid);
	}
	xmpp_stanza_set_id(m, bc_new_id(bc, id, sizeof(id)));
	subj = xep_add_child(m, "subject", NULL);
	if (r->rec.subject != NULL && r->rec.subject[0] != '\0')
		xep_add_text(subj, r->rec.subject);
	return m;
}

/* §7.2.15: the subject, sent even when there is none. */
static void muc_send_subject(struct bc *bc, struct muc_room *r,
			     const char *jid)
{
	xmpp_stanza_t *m = muc_subject_message(bc, r);

	if (r->cfg.subject_ms > 0) {
		xmpp_stanza_t *delay = xep_add_child(m, "delay", NS_DELAY);
		char stamp[40];

		xmpp_stanza_set_attribute(delay, "from", r->jid);
		xmpp_stanza_set_attribute(
			delay, "stamp",
			clock_format_xep82(r->cfg.subject_ms, stamp,
					   sizeof(stamp)));
	}
	xmpp_stanza_set_to(m, jid);
	bc_send(bc, m);
}

/* §7.2.2: the presence of every occupant the room broadcasts, to one
 * new session.  Only the stage is walked when not every occupant is
 * broadcast: a listener entering an audio room costs O(stage). */
static void muc_send_roster(struct bc *bc, struct muc_room *r,
			    struct muc_occupant *o, const char *jid)
{
	bool all = muc_everyone_on_stage(r);
	struct muc_occupant **v = all ? r->occ : r->stage;
	size_t n = all ? r->nocc : r->nstage, i;
	bool jids = muc_sees_jids(r, o);

	for (i = 0; i < n; i++) {
		xmpp_stanza_t *p;

		if (v[i] == o)
			continue;
		p = muc_presence(bc, v[i], NULL, false, jids, NULL, NULL, NULL);
		xmpp_stanza_set_to(p, jid);
		bc_send(bc, p);
	}
}

/* §7.2.9, §7.6: a member's handle is their reserved nick, in every room:
 * nobody else (another member or an outside user) enters under it or
 * takes it, even while the member is away, so that a nick never poses as
 * another member.  who is the node (handle or escaped address) asking. */
static bool muc_nick_reserved(struct bc *bc, const char *nick,
			      const char *who)
{
	struct store_identity id;
	char lower[HANDLE_MAX + 1];

	if (handle_normalise(nick, lower) != 0 || strcmp(lower, who) == 0)
		return false;
	return store_identity_get(bc->store, lower, &id) == 0;
}

static int muc_join(struct xep_stanza *st, struct muc_room *r)
{
	struct bc *bc = st->bc;
	const char *nick = st->to_jid.resource;
	struct ident_sender who;
	struct muc_occupant *o, *taken;
	struct muc_codes codes;
	xmpp_stanza_t *x, *hist, *p;
	enum store_affil affil;
	bool created = false, modified = false, is_new;
	size_t nc = 0;
	int err;

	if (strlen(nick) > MUC_NICK_MAX)
		return muc_fail(st, r, BC_EJID_MALFORMED, "nick too long");
	if (ident_sender(bc, st->from_bare, &who) != 0)
		return muc_fail(st, r, BC_EJID_MALFORMED, NULL);
	if (r == NULL) {
		struct store_room rec;

		/* A closed audio room stays what it is (§7.2.11). */
		if (store_room_get(bc->rooms_store, st->to_jid.node, &rec) == 0) {
			store_room_clear(&rec);
			return muc_fail(st, NULL, BC_EITEM_NOT_FOUND,
					"This room is not open now");
		}
		/* §10.1.1: only members create rooms.  An outsider is
		 * answered as by an existing members-only room, so that room
		 * names cannot be probed. */
		if (!who.member)
			return muc_fail(st, NULL, BC_EREGISTRATION_REQUIRED,
					"Link your account to enter rooms");
		/* A rooms instance: an audio room of the directory that could
		 * not be taken here (muc_room_load()) is not made a group
		 * chat. */
		if (muc_shard(bc)) {
			int rc = store_room_get(bc->store, st->to_jid.node,
						&rec);
			bool audio = rc == 0 && rec.kind == STORE_ROOM_AUDIO;

			if (rc == 0)
				store_room_clear(&rec);
			if (audio)
				return muc_fail(st, NULL, BC_EITEM_NOT_FOUND,
						"This room is not open now");
			if (rc != 0 && rc != STORE_NOTFOUND)
				return muc_fail(st, NULL, BC_EINTERNAL, NULL);
		}
		/* Names kept for the platform's audio rooms. */
		if (bc->cfg->rooms_audio_prefix != NULL &&
		    strncmp(st->to_jid.node, bc->cfg->rooms_audio_prefix,
			    strlen(bc->cfg->rooms_audio_prefix)) == 0)
			return muc_fail(st, NULL, BC_ENOT_ALLOWED,
					"Rooms of this name are audio rooms, "
					"which the platform opens");
		r = muc_room_create(bc, st->to_jid.node, who.node, &err);
		if (r == NULL)
			return muc_fail(st, NULL, err,
					err == BC_ENOT_ALLOWED
						? "You own too many rooms"
						: NULL);
		created = true;
	}
	affil = muc_affil(r, who.node);
	/* §7.2.10: a locked room does not exist for anyone but its owner. */
	if ((r->cfg.flags & STORE_ROOMCFG_LOCKED) &&
	    affil != STORE_AFFIL_OWNER)
		return muc_fail(st, r, BC_EITEM_NOT_FOUND, NULL);
	/* §7.2.7 */
	if (affil == STORE_AFFIL_OUTCAST)
		return muc_fail(st, r, BC_EFORBIDDEN,
				"You are banned from this room");
	o = muc_occ_by_who(r, who.node);
	if (o == NULL) {
		/* §7.2.6; audio rooms admit every linked member. */
		if (affil < STORE_AFFIL_MEMBER &&
		    ((r->cfg.flags & STORE_ROOMCFG_MEMBERS_ONLY) ||
		     (r->rec.kind == STORE_ROOM_AUDIO && !who.member)))
			return muc_fail(st, r, BC_EREGISTRATION_REQUIRED,
					"This room is for members only");
		/* §7.2.8 */
		taken = muc_occ_by_nick(r, nick);
		if (taken != NULL)
			return muc_fail(st, r, BC_ECONFLICT,
					"That nickname is in use");
		if (muc_nick_reserved(bc, nick, who.node))
			return muc_fail(st, r, BC_ECONFLICT,
					"That nickname is another member's");
		/* §7.2.9: admins and owners get a few places more. */
		if (r->nocc >= r->cfg.max_occupants &&
		    !(muc_is_admin(affil) &&
		      r->nocc < r->cfg.max_occupants + MUC_PRIVILEGED_EXTRA))
			return muc_fail(st, r, BC_ESERVICE_UNAVAILABLE,
					"The room is full");
		o = muc_occ_add(bc, r, nick, who.node,
				muc_default_role(r, affil));
		is_new = true;
	} else {
		if (o->nsessions >= MUC_SESSIONS_MAX)
			return muc_fail(st, r, BC_ESERVICE_UNAVAILABLE,
					"Too many sessions in this room");
		modified = strcmp(o->nick, nick) != 0;
		is_new = false;
	}
	/* Store first: the session (and, above, the room). */
	muc_session_add(bc, o, st->from, true);
	muc_occ_keep_presence(bc, o, st->stanza);

	x = xmpp_stanza_get_child_by_name_and_ns(st->stanza, "x", NS_MUC);
	hist = x ? xmpp_stanza_get_child_by_name(x, "history") : NULL;

	muc_send_roster(bc, r, o, st->from);
	if (is_new && muc_occ_staged(o))
		muc_presence_others(bc, o, NULL, NULL, NULL, NULL);
	if (r->cfg.flags & STORE_ROOMCFG_WHOIS_ANYONE)
		codes.c[nc++] = MUC_S_NONANON;
	codes.c[nc++] = MUC_S_LOGGED;
	if (created)
		codes.c[nc++] = MUC_S_CREATED;
	if (modified)
		codes.c[nc++] = MUC_S_NICK_MODIFIED;
	codes.c[nc] = 0;
	p = muc_presence(bc, o, NULL, true, true, &codes, NULL, NULL);
	xmpp_stanza_set_to(p, st->from);
	bc_send(bc, p);
	if (!created)
		muc_send_history(bc, r, o, st->from, hist);
	muc_send_subject(bc, r, st->from);
	log_debug("room %s: %s entered (%zu occupants)", r->name, who.node,
		  r->nocc);
	return XEP_OK;
}

/* A non-persistent room ends with its last occupant. */
static void muc_room_maybe_end(struct bc *bc, struct muc_room *r)
{
	if (r->nocc > 0 || (r->cfg.flags & STORE_ROOMCFG_PERSISTENT) ||
	    r->rec.kind != STORE_ROOM_GROUP)
		return;
	(void)store_room_remove(bc->rooms_store, r->name);
	muc_room_drop(bc, r);
}

/* §7.14: one session leaves; the occupant leaves with its last. */
static void muc_leave(struct bc *bc, struct muc_session *s,
		      xmpp_stanza_t *in, int code)
{
	struct muc_occupant *o = s->occ;
	struct muc_room *r = o->room;
	struct muc_codes codes = {{code, 0}};
	xmpp_stanza_t *p, *status;
	char *jid;

	status = in ? xmpp_stanza_get_child_by_name(in, "status") : NULL;
	if (o->nsessions > 1) {
		p = muc_presence(bc, o, "unavailable", true, true,
				 code ? &codes : NULL, NULL, NULL);
		if (status != NULL)
			xmpp_stanza_add_child_ex(p, xmpp_stanza_copy(status),
						 0);
		jid = xstrdup(s->jid);
		muc_session_remove(bc, s);
		xmpp_stanza_set_to(p, jid);
		bc_send(bc, p);
		free(jid);
		return;
	}
	/* The unavailable presence carries the leaving status text. */
	if (o->pres != NULL)
		xmpp_stanza_release(o->pres);
	o->pres = xmpp_presence_new(bc->xctx);
	if (status != NULL)
		xmpp_stanza_add_child_ex(o->pres, xmpp_stanza_copy(status), 0);
	if (muc_occ_staged(o)) {
		o->role = MUC_ROLE_NONE;
		muc_presence_others(bc, o, "unavailable",
				    code ? &codes : NULL, NULL, NULL);
	}
	o->role = MUC_ROLE_NONE;
	p = muc_presence(bc, o, "unavailable", true, true,
			 code ? &codes : NULL, NULL, NULL);
	jid = xstrdup(s->jid);
	muc_occ_remove(bc, o);
	xmpp_stanza_set_to(p, jid);
	bc_send(bc, p);
	free(jid);
	muc_room_maybe_end(bc, r);
}

void muc_session_gone(struct bc *bc, struct muc_session *s, int code)
{
	muc_leave(bc, s, NULL, code);
}

/* The extra of a nick change's unavailable presence (§7.6). */
static void muc_new_nick(xmpp_stanza_t *x, void *arg)
{
	xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(x, "item");

	xmpp_stanza_set_attribute(item, "nick", arg);
}

static int muc_change_nick(struct xep_stanza *st, struct muc_session *s)
{
	struct bc *bc = st->bc;
	struct muc_occupant *o = s->occ;
	struct muc_room *r = o->room;
	const char *nick = st->to_jid.resource;
	struct muc_codes c303 = {{MUC_S_NEW_NICK, 0}};

	if (strlen(nick) > MUC_NICK_MAX)
		return muc_fail(st, r, BC_EJID_MALFORMED, "nick too long");
	if (muc_occ_by_nick(r, nick) != NULL)
		return muc_fail(st, r, BC_ECONFLICT,
				"That nickname is in use");
	if (muc_nick_reserved(bc, nick, o->who))
		return muc_fail(st, r, BC_ECONFLICT,
				"That nickname is another member's");
	muc_presence_broadcast(bc, o, "unavailable", false, &c303,
			       muc_new_nick, (void *)nick);
	muc_occ_set_nick(bc, o, nick);
	muc_occ_keep_presence(bc, o, st->stanza);
	muc_presence_broadcast(bc, o, NULL, false, NULL, NULL, NULL);
	return XEP_OK;
}

int muc_presence_in(struct xep_stanza *st)
{
	struct bc *bc = st->bc;
	struct muc_room *r = muc_room_get(bc, st->to_jid.node);
	struct muc_session *s = r ? muc_session_of(r, st->from) : NULL;

	if (strcmp(st->type, "unavailable") == 0) {
		if (s != NULL)
			muc_leave(bc, s, st->stanza, 0);
		return XEP_OK;
	}
	/* §11.1: an error from an occupant's session removes it. */
	if (strcmp(st->type, "error") == 0) {
		if (s != NULL)
			muc_leave(bc, s, NULL, MUC_S_ERROR);
		return XEP_OK;
	}
	if (st->type[0] != '\0')
		return XEP_OK; /* probes, subscriptions: nothing to do */
	/* §7.2.1: entering needs a nick. */
	if (st->target == XEP_AT_ROOM)
		return muc_fail(st, r, BC_EJID_MALFORMED,
				"A nickname is required");
	if (s == NULL)
		return muc_join(st, r);
	if (strcmp(s->occ->nick, st->to_jid.resource) != 0)
		return muc_change_nick(st, s);
	/* §7.7 */
	muc_occ_keep_presence(bc, s->occ, st->stanza);
	muc_presence_broadcast(bc, s->occ, NULL, false, NULL, NULL, NULL);
	return XEP_OK;
}
