/*
 * muc.c - the MUC service on M (XEP-0045 1.34), one registry module:
 * its IQ table, hooks, disco content and lifecycle.  The parts:
 *   room.c     rooms and occupants in memory, presence, restore
 *   join.c     entering, nick changes, presence updates, exits
 *   message.c  groupchat, subject, private messages, invitations,
 *              voice requests, IQs to occupants, XEP-0410 self-pings
 *   admin.c    muc#admin: roles and affiliations
 *   owner.c    muc#owner: configuration form, destroy
 *   mam.c      XEP-0313 archive queries; moderate.c XEP-0425
 *   audio.c    audio-room chats: the change log, the stage, closing
 *
 * Also XEP-0359 stanza ids and XEP-0421 occupant ids on every groupchat
 * message.  Left out: passwords, registration with a room (§7.10),
 * reserved-nick discovery (§7.12), GC 1.0 specifics, XEP-0059 paging of
 * the room list.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/identity.h"
#include "component/log.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "xep/muc/muc-int.h"
#include "xep/ns.h"

/* Public rooms listed by disco#items on M at most. */
#define MUC_DISCO_ITEMS_MAX 500

static const struct xep_feature muc_features[] = {
	{NS_MUC, XEP_AT_ROOMS | XEP_AT_ROOM},
	{NS_MUC_STABLE_ID, XEP_AT_ROOMS | XEP_AT_ROOM},
	{NS_MUC_SELF_PING, XEP_AT_ROOM},
	{NS_SID, XEP_AT_ROOM},
	{NS_OCCUPANT_ID, XEP_AT_ROOM},
	{NS_MAM, XEP_AT_ROOM},
	{NS_MAM_EXTENDED, XEP_AT_ROOM}, /* mam.c: ids, flip-page, metadata */
	{NS_MODERATE, XEP_AT_ROOM},
	{NS_RETRACT_TOMBSTONE, XEP_AT_ROOM}, /* moderate.c, XEP-0424 tombstones */
	{NS_PING, XEP_AT_ROOM},
	{NS_HATS, XEP_AT_ROOM}, /* XEP-0317: audio rooms' hosts and speakers */
	{NULL, 0},
};

/* XEP-0410: the room itself answers pings. */
static int muc_ping_room(struct xep_stanza *st)
{
	if (muc_room_get(st->bc, st->to_jid.node) == NULL)
		return muc_fail(st, NULL, BC_EITEM_NOT_FOUND, "No such room");
	xep_reply(st, xep_iq_result(st));
	return XEP_OK;
}

static const struct xep_iq muc_iq[] = {
	{"query", NS_MUC_ADMIN, XEP_GET, muc_admin_get, XEP_AT_ROOM},
	{"query", NS_MUC_ADMIN, XEP_SET, muc_admin_set, XEP_AT_ROOM},
	{"query", NS_MUC_OWNER, XEP_GET, muc_owner_get, XEP_AT_ROOM},
	{"query", NS_MUC_OWNER, XEP_SET, muc_owner_set, XEP_AT_ROOM},
	{"query", NS_MAM, XEP_SET, muc_mam_query, XEP_AT_ROOM},
	{"query", NS_MAM, XEP_GET, muc_mam_form, XEP_AT_ROOM},
	{"metadata", NS_MAM, XEP_GET, muc_mam_metadata, XEP_AT_ROOM},
	{"moderate", NS_MODERATE, XEP_SET, muc_moderate, XEP_AT_ROOM},
	{"ping", NS_PING, XEP_GET, muc_ping_room, XEP_AT_ROOM},
	/* §7.5: anything else to an occupant is relayed. */
	{NULL, NULL, XEP_GET | XEP_SET, muc_occupant_iq, XEP_AT_OCCUPANT},
	{NULL, NULL, 0, NULL, 0},
};

static const struct xep_hook muc_hooks[] = {
	{XEP_PRESENCE, XEP_AT_ROOM | XEP_AT_OCCUPANT, muc_presence_in},
	{XEP_MESSAGE, XEP_AT_ROOM | XEP_AT_OCCUPANT, muc_message_in},
	{XEP_MESSAGE, XEP_AT_IDENTITY, muc_direct_invite},
	{0, 0, NULL},
};

static void muc_feature(xmpp_stanza_t *query, const char *var)
{
	xmpp_stanza_set_attribute(xep_add_child(query, "feature", NULL), "var",
				  var);
}

/* §6.4: a room's identity, its features and the muc#roominfo form. */
static void muc_disco_extend(struct xep_stanza *st, xmpp_stanza_t *query)
{
	struct muc_room *r;
	xmpp_stanza_t *id, *form;
	uint32_t f;
	char n[32];

	if (st->target != XEP_AT_ROOM)
		return;
	r = muc_room_get(st->bc, st->to_jid.node);
	if (r == NULL)
		return;
	f = r->cfg.flags;
	id = xep_add_child(query, "identity", NULL);
	xmpp_stanza_set_attribute(id, "category", "conference");
	xmpp_stanza_set_attribute(id, "type", "text");
	xmpp_stanza_set_attribute(id, "name", r->rec.title && r->rec.title[0]
						      ? r->rec.title
						      : r->name);
	muc_feature(query, (f & STORE_ROOMCFG_MEMBERS_ONLY) ? "muc_membersonly"
							    : "muc_open");
	muc_feature(query, (f & STORE_ROOMCFG_PERSISTENT) ? "muc_persistent"
							  : "muc_temporary");
	muc_feature(query, (f & STORE_ROOMCFG_WHOIS_ANYONE)
				   ? "muc_nonanonymous"
				   : "muc_semianonymous");
	muc_feature(query, "muc_unsecured");
	muc_feature(query,
		    (f & STORE_ROOMCFG_PUBLIC) ? "muc_public" : "muc_hidden");
	muc_feature(query, (f & STORE_ROOMCFG_MODERATED) ? "muc_moderated"
							 : "muc_unmoderated");
	form = xep_add_child(query, "x", NS_DATA);
	xmpp_stanza_set_type(form, "result");
	xep_form_field(form, "FORM_TYPE", "hidden", NS_MUC_ROOMINFO);
	xep_form_field(form, "muc#roomconfig_roomname", NULL,
		       r->rec.title ? r->rec.title : "");
	xep_form_field(form, "muc#roominfo_description", NULL,
		       r->cfg.description ? r->cfg.description : "");
	xep_form_field(form, "muc#roominfo_subject", NULL,
		       r->rec.subject ? r->rec.subject : "");
	snprintf(n, sizeof(n), "%zu", r->nocc);
	xep_form_field(form, "muc#roominfo_occupants", NULL, n);
	xep_form_field(form, "muc#roomconfig_changesubject", "boolean",
		       (f & STORE_ROOMCFG_SUBJECT) ? "1" : "0");
}

int muc_disco_node(struct xep_stanza *st, const char *node)
{
	struct muc_room *r = muc_room_get(st->bc, st->to_jid.node);
	struct ident_sender who;
	struct muc_occupant *o;
	xmpp_stanza_t *reply, *query, *id;

	/* §7.12: the reserved nick is the handle (or the nick in use). */
	if (r == NULL || strcmp(node, "x-roomuser-item") != 0 ||
	    ident_sender(st->bc, st->from_bare, &who) != 0)
		return xep_fail(st, BC_EITEM_NOT_FOUND, "no such node");
	reply = xep_iq_result(st);
	query = xep_add_child(reply, "query", NS_DISCO_INFO);
	xmpp_stanza_set_attribute(query, "node", node);
	o = muc_occ_by_who(r, who.node);
	if (o != NULL || who.member) {
		id = xep_add_child(query, "identity", NULL);
		xmpp_stanza_set_attribute(id, "category", "conference");
		xmpp_stanza_set_attribute(id, "type", "text");
		xmpp_stanza_set_attribute(id, "name", o ? o->nick : who.node);
	}
	xep_reply(st, reply);
	return XEP_OK;
}

struct muc_items {
	struct bc *bc;
	xmpp_stanza_t *query;
	size_t n;
};

static void muc_item_one(const char *name, void *value, void *arg)
{
	struct muc_room *r = value;
	struct muc_items *it = arg;
	xmpp_stanza_t *item;

	(void)name;
	if (it->n >= MUC_DISCO_ITEMS_MAX ||
	    !(r->cfg.flags & STORE_ROOMCFG_PUBLIC) ||
	    (r->cfg.flags & STORE_ROOMCFG_LOCKED) || !r->rec.live)
		return;
	item = xep_add_child(it->query, "item", NULL);
	xmpp_stanza_set_attribute(item, "jid", r->jid);
	xmpp_stanza_set_attribute(item, "name", r->rec.title && r->rec.title[0]
							? r->rec.title
							: r->name);
	it->n++;
}

void muc_disco_items(struct xep_stanza *st, xmpp_stanza_t *query)
{
	struct muc_state *ms = muc_state(st->bc);
	struct muc_items it = {st->bc, query, 0};

	/* §6.3: the public rooms on M; nothing about a room's occupants. */
	if (ms != NULL && st->target == XEP_AT_ROOMS)
		strmap_each(ms->rooms, muc_item_one, &it);
}

static int muc_init(struct bc *bc, void **state)
{
	int rc = muc_state_init(bc, state);

	/* A daemon that leaves M to rooms instances keeps no rooms: its
	 * state stays empty, and restore and ticks find nothing to do. */
	if (rc == 0 && bc_serves(bc, BC_LINK_ROOMS)) {
		/* The change log is read from before the rooms are loaded:
		 * a change made meanwhile is looked at twice, never missed. */
		muc_audio_start(bc);
		muc_restore(bc);
	}
	return rc;
}

static void muc_check_done(struct bc *bc, xmpp_stanza_t *answer, void *arg)
{
	struct muc_check *c = arg;
	struct muc_state *ms = muc_state(bc);
	struct muc_room *r;
	struct muc_session *s;
	const char *type = answer ? xmpp_stanza_get_type(answer) : NULL;

	if (bc->closing || ms == NULL) /* no answer then is no verdict */
		goto out;
	if (c->round == ms->verify_round && ms->verify_inflight > 0)
		ms->verify_inflight--;
	r = strmap_get(ms->rooms, c->room);
	s = r ? muc_session_of(r, c->jid) : NULL;
	if (s != NULL) {
		if (type != NULL && strcmp(type, "result") == 0) {
			s->unverified = false;
		} else {
			log_info("room %s: a session did not answer; removed",
				 c->room);
			muc_session_gone(bc, s, MUC_S_ERROR);
		}
	}
	muc_verify_more(bc);
out:
	free(c->room);
	free(c->jid);
	free(c);
}

void muc_verify_clear(struct muc_state *ms)
{
	size_t i;

	for (i = ms->verify_next; i < ms->nverify; i++) {
		free(ms->verify[i].room);
		free(ms->verify[i].jid);
	}
	free(ms->verify);
	ms->verify = NULL;
	ms->nverify = ms->verify_next = 0;
	ms->verify_inflight = 0;
	ms->verify_round++;
}

void muc_verify_more(struct bc *bc)
{
	struct muc_state *ms = muc_state(bc);

	while (ms != NULL && ms->verify_next < ms->nverify &&
	       ms->verify_inflight < MUC_VERIFY_INFLIGHT) {
		struct muc_check *c = xmalloc(sizeof(*c));
		struct muc_room *r;
		xmpp_stanza_t *iq;

		*c = ms->verify[ms->verify_next++];
		r = strmap_get(ms->rooms, c->room);
		if (r == NULL || muc_session_of(r, c->jid) == NULL) {
			free(c->room); /* left meanwhile */
			free(c->jid);
			free(c);
			continue;
		}
		iq = xmpp_iq_new(bc->xctx, "get", NULL);
		xmpp_stanza_set_from(iq, r->jid);
		xmpp_stanza_set_to(iq, c->jid);
		xep_add_child(iq, "ping", NS_PING);
		ms->verify_inflight++;
		bc_iq_send(bc, iq, MUC_PING_MS, muc_check_done, c);
	}
	if (ms != NULL && ms->verify_next == ms->nverify && ms->verify) {
		free(ms->verify);
		ms->verify = NULL;
		ms->nverify = ms->verify_next = 0;
	}
}

struct muc_all {
	struct muc_room **v;
	size_t n;
};

static void muc_collect(const char *key, void *value, void *arg)
{
	struct muc_all *a = arg;

	(void)key;
	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = value;
}

/* Every session is asked with a ping whether it is still there: after a
 * restart, the restored ones; after a reconnection, all of them.  Those
 * that answer with an error, or not at all, leave (status 333).  The
 * pings go out MUC_VERIFY_INFLIGHT at a time, the next as answers come
 * (or time out): a service with many occupants does not flood the
 * server at once. */
void muc_verify_sessions(struct bc *bc)
{
	struct muc_state *ms = muc_state(bc);
	struct muc_all all = {NULL, 0};
	size_t i, j, k, n = 0;

	if (ms == NULL)
		return;
	muc_verify_clear(ms); /* a new round: everybody again */
	strmap_each(ms->rooms, muc_collect, &all);
	for (i = 0; i < all.n; i++)
		for (j = 0; j < all.v[i]->nocc; j++)
			n += all.v[i]->occ[j]->nsessions;
	ms->verify = xreallocarray(NULL, n ? n : 1, sizeof(*ms->verify));
	for (i = 0; i < all.n; i++) {
		struct muc_room *r = all.v[i];

		for (j = 0; j < r->nocc; j++)
			for (k = 0; k < r->occ[j]->nsessions; k++) {
				struct muc_check *c = &ms->verify[ms->nverify++];

				c->room = xstrdup(r->name);
				c->jid = xstrdup(r->occ[j]->sessions[k]->jid);
				c->round = ms->verify_round;
			}
	}
	free(all.v);
	muc_verify_more(bc);
}

static void muc_connected(struct bc *bc, unsigned where)
{
	if (where == XEP_AT_ROOMS) {
		muc_audio_ended(bc);
		muc_verify_sessions(bc);
	}
}

/* An account unlinked from its identity leaves the rooms it was in as
 * that identity. */
static void muc_linked(struct bc *bc, const char *bare, bool linked)
{
	if (!linked)
		muc_unlinked(bc, bare, NULL);
}

void muc_unlinked(struct bc *bc, const char *bare, const char *keep)
{
	struct muc_state *ms = muc_state(bc);
	struct muc_all all = {NULL, 0};
	struct muc_check *gone = NULL;
	size_t blen = strlen(bare), n = 0, i, j, k;

	if (ms == NULL)
		return;
	strmap_each(ms->rooms, muc_collect, &all);
	/* Collect first: a room may end with its last occupant. */
	for (i = 0; i < all.n; i++) {
		struct muc_room *r = all.v[i];

		for (j = 0; j < r->nocc; j++)
			for (k = 0; k < r->occ[j]->nsessions; k++) {
				const char *jid = r->occ[j]->sessions[k]->jid;

				if ((keep != NULL &&
				     strcmp(r->occ[j]->who, keep) == 0) ||
				    strncmp(jid, bare, blen) != 0 ||
				    (jid[blen] != '/' && jid[blen] != '\0'))
					continue;
				gone = xreallocarray(gone, n + 1,
						     sizeof(*gone));
				gone[n].room = xstrdup(r->name);
				gone[n++].jid = xstrdup(jid);
			}
	}
	free(all.v);
	for (i = 0; i < n; i++) {
		struct muc_room *r = strmap_get(ms->rooms, gone[i].room);
		struct muc_session *s = r ? muc_session_of(r, gone[i].jid)
					  : NULL;

		if (s != NULL)
			muc_session_gone(bc, s, MUC_S_AFFIL_CHANGE);
		free(gone[i].room);
		free(gone[i].jid);
	}
	free(gone);
}

const struct xep_module xep_muc = {
	.name = "muc",
	.features = muc_features,
	.iq = muc_iq,
	.hooks = muc_hooks,
	.disco_extend = muc_disco_extend,
	.init = muc_init,
	.fini = muc_state_fini,
	.connected = muc_connected,
	.linked = muc_linked,
	.tick = muc_audio_tick,
};
