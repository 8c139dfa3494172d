/*
 * room.c - rooms in memory (XEP-0045): occupants and their sessions,
 * roles and affiliations, presence building and broadcast, loading and
 * saving through the store, and the occupant restore after a restart.
 *
 * Every room with a store record is loaded on first use and stays in
 * memory; occupants are stored one row per session (store_occupant_*) as
 * they join and leave, so a restarted daemon finds them again and checks
 * each session with a ping when M's connection comes up.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/identity.h"
#include "component/log.h"
#include "component/metrics.h"
#include "component/router.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/muc/muc-int.h"
#include "xep/ns.h"

#define MUC_ROLE_BIT(role) ((uint8_t)(1u << (role)))

struct muc_state *muc_state(struct bc *bc)
{
	return bc_module_state(bc, &xep_muc);
}

static const char *const muc_roles[] = {"none", "visitor", "participant",
					"moderator"};
static const char *const muc_affils[] = {"none",  "outcast", "member",
					 "member", "admin",  "owner",
					 "owner"};

const char *muc_role_name(enum muc_role role)
{
	return muc_roles[role];
}

/* Hosts are owners and speakers members, as XEP-0045 sees them. */
const char *muc_affil_name(enum store_affil a)
{
	return muc_affils[a];
}

int muc_role_parse(const char *s, enum muc_role *out)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof(muc_roles) / sizeof(*muc_roles);
	     i++)
		if (strcmp(s, muc_roles[i]) == 0) {
			*out = (enum muc_role)i;
			return 0;
		}
	return -1;
}

int muc_affil_parse(const char *s, enum store_affil *out)
{
	static const struct {
		const char *name;
		enum store_affil a;
	} t[] = {{"none", STORE_AFFIL_NONE},   {"outcast", STORE_AFFIL_OUTCAST},
		 {"member", STORE_AFFIL_MEMBER}, {"admin", STORE_AFFIL_ADMIN},
		 {"owner", STORE_AFFIL_OWNER}};
	size_t i;

	for (i = 0; s != NULL && i < sizeof(t) / sizeof(*t); i++)
		if (strcmp(s, t[i].name) == 0) {
			*out = t[i].a;
			return 0;
		}
	return -1;
}

bool muc_is_owner(enum store_affil a)
{
	return a == STORE_AFFIL_OWNER || a == STORE_AFFIL_HOST;
}

bool muc_is_admin(enum store_affil a)
{
	return a == STORE_AFFIL_ADMIN || a == STORE_AFFIL_HOST ||
	       a == STORE_AFFIL_OWNER;
}

enum store_affil muc_affil(const struct muc_room *r, const char *who)
{
	return (enum store_affil)(uintptr_t)strmap_get(r->affils, who);
}

int muc_affil_set(struct bc *bc, struct muc_room *r, const char *who,
		  enum store_affil affil)
{
	if (store_affil_set(bc->rooms_store, r->name, who, affil) != 0)
		return BC_EINTERNAL;
	muc_affil_note(r, who, affil);
	return 0;
}

void muc_affil_note(struct muc_room *r, const char *who,
		    enum store_affil affil)
{
	struct muc_state *ms = r->ms;
	enum store_affil old = muc_affil(r, who);
	uintptr_t n;

	if (affil == STORE_AFFIL_NONE)
		strmap_del(r->affils, who);
	else
		strmap_put(r->affils, who, (void *)(uintptr_t)affil);
	if (r->rec.kind == STORE_ROOM_GROUP && (old == STORE_AFFIL_OWNER) !=
						       (affil == STORE_AFFIL_OWNER)) {
		n = (uintptr_t)strmap_get(ms->owned, who);
		n = affil == STORE_AFFIL_OWNER ? n + 1 : (n > 0 ? n - 1 : 0);
		if (n == 0)
			strmap_del(ms->owned, who);
		else
			strmap_put(ms->owned, who, (void *)n);
	}
}

enum muc_role muc_default_role(const struct muc_room *r, enum store_affil a)
{
	switch (a) {
	case STORE_AFFIL_OUTCAST:
		return MUC_ROLE_NONE;
	case STORE_AFFIL_OWNER:
	case STORE_AFFIL_ADMIN:
	case STORE_AFFIL_HOST:
		return MUC_ROLE_MODERATOR;
	case STORE_AFFIL_MEMBER:
	case STORE_AFFIL_SPEAKER:
		return MUC_ROLE_PARTICIPANT;
	default:
		return (r->cfg.flags & STORE_ROOMCFG_MODERATED)
			       ? MUC_ROLE_VISITOR
			       : MUC_ROLE_PARTICIPANT;
	}
}

bool muc_broadcasts(const struct muc_room *r, enum muc_role role)
{
	return (r->cfg.broadcast & MUC_ROLE_BIT(role)) != 0;
}

bool muc_stage_affil(enum store_affil a)
{
	return a == STORE_AFFIL_HOST || a == STORE_AFFIL_SPEAKER ||
	       a == STORE_AFFIL_OWNER || a == STORE_AFFIL_ADMIN;
}

/* The presence-broadcast rule (muc#roomconfig_presencebroadcast): a role
 * the room broadcasts, and in an audio room a place on the platform's
 * stage too, so that listeners, who may speak in the chat as
 * participants, are not broadcast. */
bool muc_on_stage(const struct muc_room *r, const struct muc_occupant *o)
{
	if (!muc_broadcasts(r, o->role))
		return false;
	return r->rec.kind != STORE_ROOM_AUDIO ||
	       muc_stage_affil(muc_affil(r, o->who));
}

bool muc_everyone_on_stage(const struct muc_room *r)
{
	return r->rec.kind != STORE_ROOM_AUDIO &&
	       muc_broadcasts(r, MUC_ROLE_VISITOR) &&
	       muc_broadcasts(r, MUC_ROLE_PARTICIPANT) &&
	       muc_broadcasts(r, MUC_ROLE_MODERATOR);
}

/* The defaults of a room of kind (XEP-0045 §10.1; the audio rooms of the
 * platform broadcast only the stage's presence, and listeners may write
 * until the hosts make the room moderated). */
static void muc_config_defaults(struct store_room_config *c,
				enum store_room_kind kind)
{
	memset(c, 0, sizeof(*c));
	c->max_occupants = MUC_MAX_OCCUPANTS_DEFAULT;
	c->history_max = MUC_HISTORY_DEFAULT;
	c->description = xstrdup("");
	c->subject_by = xstrdup("");
	if (kind == STORE_ROOM_AUDIO) {
		c->flags = STORE_ROOMCFG_PERSISTENT | STORE_ROOMCFG_PUBLIC |
			   STORE_ROOMCFG_WHOIS_ANYONE;
		c->broadcast = MUC_ROLE_BIT(MUC_ROLE_MODERATOR) |
			       MUC_ROLE_BIT(MUC_ROLE_PARTICIPANT);
		c->max_occupants = MUC_MAX_OCCUPANTS_LIMIT;
	} else {
		c->flags = STORE_ROOMCFG_MEMBERS_ONLY |
			   STORE_ROOMCFG_PERSISTENT |
			   STORE_ROOMCFG_WHOIS_ANYONE;
		c->broadcast = MUC_ROLE_BIT(MUC_ROLE_MODERATOR) |
			       MUC_ROLE_BIT(MUC_ROLE_PARTICIPANT) |
			       MUC_ROLE_BIT(MUC_ROLE_VISITOR);
	}
}

static struct muc_room *muc_room_new(struct bc *bc, const char *node)
{
	struct muc_room *r = xcalloc(1, sizeof(*r));
	char jid[JID_MAX];

	r->ms = muc_state(bc);
	r->name = xstrdup(node);
	snprintf(jid, sizeof(jid), "%s@%s", node, bc->cfg->rooms_domain);
	r->jid = xstrdup(jid);
	r->affils = strmap_new(NULL);
	r->by_nick = strmap_new(NULL);
	r->by_who = strmap_new(NULL);
	r->by_jid = strmap_new(NULL);
	return r;
}

static void muc_occ_free(struct muc_occupant *o)
{
	size_t i;

	if (o == NULL)
		return;
	for (i = 0; i < o->nsessions; i++) {
		free(o->sessions[i]->jid);
		free(o->sessions[i]);
	}
	free(o->sessions);
	if (o->pres != NULL)
		xmpp_stanza_release(o->pres);
	free(o->nick);
	free(o->who);
	free(o->addr);
	free(o);
}

static void muc_room_free(void *p)
{
	struct muc_room *r = p;
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nocc; i++)
		muc_occ_free(r->occ[i]);
	free(r->occ);
	free(r->stage);
	strmap_free(r->affils);
	strmap_free(r->by_nick);
	strmap_free(r->by_who);
	strmap_free(r->by_jid);
	store_room_clear(&r->rec);
	store_room_config_clear(&r->cfg);
	free(r->name);
	free(r->jid);
	free(r);
}

/* Reads room node from the store into memory; NULL when it has no
 * record. */
static struct muc_room *muc_room_load(struct bc *bc, const char *node)
{
	struct muc_state *ms = muc_state(bc);
	struct store_affiliation *af = NULL;
	struct muc_room *r;
	size_t n = 0, i;
	int rc;

	r = muc_room_new(bc, node);
	rc = store_room_get(bc->rooms_store, node, &r->rec);
	/* A rooms instance: an audio room provisioned in the directory
	 * becomes this instance's on first use. */
	if (rc == STORE_NOTFOUND && muc_shard(bc) &&
	    muc_shard_take(bc, node, false) == 0)
		rc = store_room_get(bc->rooms_store, node, &r->rec);
	if (rc != 0) {
		muc_room_free(r);
		return NULL;
	}
	rc = store_room_config_get(bc->rooms_store, node, &r->cfg);
	if (rc != 0)
		muc_config_defaults(&r->cfg, r->rec.kind);
	if (store_affil_list(bc->rooms_store, node, &af, &n) == 0)
		for (i = 0; i < n; i++) {
			if (af[i].affil == STORE_AFFIL_NONE)
				continue;
			strmap_put(r->affils, af[i].who,
				   (void *)(uintptr_t)af[i].affil);
			if (af[i].affil == STORE_AFFIL_OWNER &&
			    r->rec.kind == STORE_ROOM_GROUP)
				strmap_put(ms->owned, af[i].who,
					   (void *)((uintptr_t)strmap_get(
							    ms->owned,
							    af[i].who) +
						    1));
		}
	store_affil_list_free(af, n);
	strmap_put(ms->rooms, node, r);
	return r;
}

struct muc_room *muc_room_get(struct bc *bc, const char *node)
{
	struct muc_state *ms = muc_state(bc);
	struct muc_room *r;

	if (ms == NULL || node == NULL || node[0] == '\0')
		return NULL;
	r = strmap_get(ms->rooms, node);
	if (r == NULL)
		r = muc_room_load(bc, node);
	if (r == NULL)
		return NULL;
	/* An audio room is opened and closed by the platform, perhaps from
	 * another process: the change log tells (muc_audio_tick()). */
	return r->rec.live ? r : NULL;
}

struct muc_room *muc_room_find(struct bc *bc, const char *node)
{
	struct muc_state *ms = muc_state(bc);
	struct muc_room *r;

	if (ms == NULL || node == NULL || node[0] == '\0')
		return NULL;
	r = strmap_get(ms->rooms, node);
	return r != NULL ? r : muc_room_load(bc, node);
}

const char *muc_room_name(const struct muc_room *r)
{
	return r->name;
}

struct muc_room *muc_room_create(struct bc *bc, const char *node,
				 const char *who, int *err)
{
	struct muc_state *ms = muc_state(bc);
	struct store_room rec;
	struct muc_room *r;
	int rc;

	*err = 0;
	if ((uintptr_t)strmap_get(ms->owned, who) >= MUC_ROOMS_PER_OWNER) {
		*err = BC_ENOT_ALLOWED;
		return NULL;
	}
	memset(&rec, 0, sizeof(rec));
	rec.name = (char *)node;
	rec.title = (char *)"";
	rec.subject = (char *)"";
	rec.kind = STORE_ROOM_GROUP;
	rec.live = true;
	rc = store_room_create(bc->rooms_store, &rec, who);
	if (rc != 0) {
		*err = rc == STORE_EINVAL ? BC_EJID_MALFORMED : BC_EINTERNAL;
		return NULL;
	}
	r = muc_room_new(bc, node);
	r->rec.name = xstrdup(node);
	r->rec.title = xstrdup("");
	r->rec.subject = xstrdup("");
	r->rec.kind = STORE_ROOM_GROUP;
	r->rec.live = true;
	r->rec.created_ms = clock_now_ms();
	muc_config_defaults(&r->cfg, STORE_ROOM_GROUP);
	r->cfg.flags |= STORE_ROOMCFG_LOCKED;
	if (store_room_config_put(bc->rooms_store, node, &r->cfg) != 0) {
		muc_room_free(r);
		*err = BC_EINTERNAL;
		return NULL;
	}
	strmap_put(r->affils, who, (void *)(uintptr_t)STORE_AFFIL_OWNER);
	strmap_put(ms->owned, who,
		   (void *)((uintptr_t)strmap_get(ms->owned, who) + 1));
	strmap_put(ms->rooms, node, r);
	return r;
}

int muc_room_save_config(struct bc *bc, struct muc_room *r)
{
	return store_room_config_put(bc->rooms_store, r->name, &r->cfg) == 0
		       ? 0
		       : BC_EINTERNAL;
}

static void muc_uncount_owner(const char *who, void *value, void *arg)
{
	struct muc_state *ms = arg;
	uintptr_t c;

	if ((enum store_affil)(uintptr_t)value != STORE_AFFIL_OWNER)
		return;
	c = (uintptr_t)strmap_get(ms->owned, who);
	if (c <= 1)
		strmap_del(ms->owned, who);
	else
		strmap_put(ms->owned, who, (void *)(c - 1));
}

void muc_room_drop(struct bc *bc, struct muc_room *r)
{
	struct muc_state *ms = muc_state(bc);

	if (r->rec.kind == STORE_ROOM_GROUP)
		strmap_each(r->affils, muc_uncount_owner, ms);
	strmap_del(ms->rooms, r->name); /* frees r */
}

/* Occupants. */

struct muc_occupant *muc_occ_by_nick(const struct muc_room *r,
				     const char *nick)
{
	return strmap_get(r->by_nick, nick);
}

struct muc_occupant *muc_occ_by_who(const struct muc_room *r,
				    const char *who)
{
	return strmap_get(r->by_who, who);
}

struct muc_session *muc_session_of(const struct muc_room *r, const char *jid)
{
	return strmap_get(r->by_jid, jid);
}

enum muc_role muc_room_role(const struct muc_room *r, const char *jid)
{
	struct muc_session *s = muc_session_of(r, jid);

	return s != NULL ? s->occ->role : MUC_ROLE_NONE;
}

const char *muc_room_nick(const struct muc_room *r, const char *jid)
{
	struct muc_session *s = muc_session_of(r, jid);

	return s != NULL ? s->occ->nick : NULL;
}

const char *muc_room_occupant_id(const struct muc_room *r, const char *jid)
{
	struct muc_session *s = muc_session_of(r, jid);

	return s != NULL ? s->occ->id : NULL;
}

void muc_occ_jid(const struct muc_room *r, const char *nick, char *out)
{
	snprintf(out, JID_MAX, "%s/%s", r->jid, nick);
}

/* XEP-0421: stable per identity and room, not derivable from either
 * without the service's secret. */
static void muc_occupant_id(struct bc *bc, const struct muc_room *r,
			    const char *who, char *out)
{
	struct muc_state *ms = muc_state(bc);
	xmpp_sha1_t *h = xmpp_sha1_new(bc->xctx);
	char hex[41];

	xmpp_sha1_update(h, ms->secret, sizeof(ms->secret));
	xmpp_sha1_update(h, (const unsigned char *)r->name,
			 strlen(r->name) + 1);
	xmpp_sha1_update(h, (const unsigned char *)who, strlen(who));
	xmpp_sha1_final(h);
	xmpp_sha1_to_string(h, hex, sizeof(hex));
	xmpp_sha1_free(h);
	memcpy(out, hex, MUC_OCCUPANT_ID_SIZE - 1);
	out[MUC_OCCUPANT_ID_SIZE - 1] = '\0';
}

static void muc_stage_add(struct muc_room *r, struct muc_occupant *o)
{
	if (o->stage_idx != SIZE_MAX)
		return;
	if (r->nstage == r->stage_cap) {
		r->stage_cap = r->stage_cap ? 2 * r->stage_cap : 8;
		r->stage = xreallocarray(r->stage, r->stage_cap,
					 sizeof(*r->stage));
	}
	o->stage_idx = r->nstage;
	r->stage[r->nstage++] = o;
}

static void muc_stage_del(struct muc_room *r, struct muc_occupant *o)
{
	size_t i = o->stage_idx;

	if (i == SIZE_MAX)
		return;
	r->stage[i] = r->stage[--r->nstage];
	r->stage[i]->stage_idx = i;
	o->stage_idx = SIZE_MAX;
}

struct muc_occupant *muc_occ_add(struct bc *bc, struct muc_room *r,
				 const char *nick, const char *who,
				 enum muc_role role)
{
	struct muc_occupant *o = xcalloc(1, sizeof(*o));
	char addr[JID_MAX];

	o->room = r;
	o->nick = xstrdup(nick);
	o->who = xstrdup(who);
	ident_address(bc, who, addr);
	o->addr = xstrdup(addr);
	o->member = handle_is_valid(who);
	o->role = role;
	o->stage_idx = SIZE_MAX;
	muc_occupant_id(bc, r, who, o->id);
	if (r->nocc == r->occ_cap) {
		r->occ_cap = r->occ_cap ? 2 * r->occ_cap : 8;
		r->occ = xreallocarray(r->occ, r->occ_cap, sizeof(*r->occ));
	}
	o->idx = r->nocc;
	r->occ[r->nocc++] = o;
	metrics.occupants++;
	if (r->nocc == 1)
		metrics.rooms++;
	strmap_put(r->by_nick, nick, o);
	strmap_put(r->by_who, who, o);
	if (muc_on_stage(r, o))
		muc_stage_add(r, o);
	return o;
}

static void muc_session_save(struct bc *bc, struct muc_session *s)
{
	struct muc_occupant *o = s->occ;
	struct store_occupant row = {
		.room = o->room->name,
		.jid = s->jid,
		.nick = o->nick,
		.who = o->who,
		.role = (uint8_t)o->role,
	};

	if (store_occupant_put(bc->rooms_store, &row) != 0)
		log_warnx("room %s: an occupant could not be saved",
			  o->room->name);
}

void muc_occ_save(struct bc *bc, struct muc_occupant *o)
{
	size_t i;

	for (i = 0; i < o->nsessions; i++)
		muc_session_save(bc, o->sessions[i]);
}

struct muc_session *muc_session_add(struct bc *bc, struct muc_occupant *o,
				    const char *jid, bool save)
{
	struct muc_session *s = xcalloc(1, sizeof(*s));

	s->jid = xstrdup(jid);
	s->occ = o;
	o->sessions = xreallocarray(o->sessions, o->nsessions + 1,
				    sizeof(*o->sessions));
	o->sessions[o->nsessions++] = s;
	strmap_put(o->room->by_jid, jid, s);
	if (save)
		muc_session_save(bc, s);
	return s;
}

/* Takes o out of the room's vectors and indexes and frees it. */
static void muc_occ_unlink(struct muc_occupant *o)
{
	struct muc_room *r = o->room;
	size_t i = o->idx, j;

	for (j = 0; j < o->nsessions; j++)
		strmap_del(r->by_jid, o->sessions[j]->jid);
	muc_stage_del(r, o);
	r->occ[i] = r->occ[--r->nocc];
	r->occ[i]->idx = i;
	metrics.occupants--;
	if (r->nocc == 0)
		metrics.rooms--;
	strmap_del(r->by_nick, o->nick);
	strmap_del(r->by_who, o->who);
	muc_occ_free(o);
}

bool muc_session_remove(struct bc *bc, struct muc_session *s)
{
	struct muc_occupant *o = s->occ;
	size_t i;

	(void)store_occupant_del(bc->rooms_store, o->room->name, s->jid);
	if (o->nsessions == 1) {
		muc_occ_unlink(o);
		return true;
	}
	for (i = 0; i < o->nsessions && o->sessions[i] != s; i++)
		;
	o->sessions[i] = o->sessions[--o->nsessions];
	strmap_del(o->room->by_jid, s->jid);
	free(s->jid);
	free(s);
	return false;
}

void muc_occ_remove(struct bc *bc, struct muc_occupant *o)
{
	size_t i;

	for (i = 0; i < o->nsessions; i++)
		(void)store_occupant_del(bc->rooms_store, o->room->name,
					 o->sessions[i]->jid);
	muc_occ_unlink(o);
}

void muc_occ_restage(struct muc_occupant *o)
{
	if (muc_on_stage(o->room, o))
		muc_stage_add(o->room, o);
	else
		muc_stage_del(o->room, o);
}

void muc_occ_set_role(struct bc *bc, struct muc_occupant *o,
		      enum muc_role role)
{
	o->role = role;
	muc_occ_restage(o);
	muc_occ_save(bc, o);
}

void muc_occ_set_nick(struct bc *bc, struct muc_occupant *o,
		      const char *nick)
{
	strmap_del(o->room->by_nick, o->nick);
	free(o->nick);
	o->nick = xstrdup(nick);
	strmap_put(o->room->by_nick, nick, o);
	muc_occ_save(bc, o);
}

/* Presence. */

/* The presence children of a client worth passing on: availability and
 * status, capabilities, the avatar hash.  Nothing that names the real
 * account. */
static bool muc_presence_keeps(xmpp_stanza_t *c)
{
	const char *name = xmpp_stanza_get_name(c);
	const char *ns = xmpp_stanza_get_ns(c);

	if (!xmpp_stanza_is_tag(c) || name == NULL)
		return false;
	/* The stream's namespace: the server's parser puts the component
	 * stream's on every element. */
	if (strcmp(name, "show") == 0 || strcmp(name, "status") == 0 ||
	    strcmp(name, "priority") == 0)
		return ns == NULL || strcmp(ns, NS_CLIENT) == 0 ||
		       strcmp(ns, NS_COMPONENT) == 0;
	if (ns == NULL)
		return false;
	return (strcmp(name, "c") == 0 &&
		strcmp(ns, "http://jabber.org/protocol/caps") == 0) ||
	       (strcmp(name, "x") == 0 &&
		strcmp(ns, "vcard-temp:x:update") == 0);
}

void muc_occ_keep_presence(struct bc *bc, struct muc_occupant *o,
			   xmpp_stanza_t *in)
{
	xmpp_stanza_t *p = NULL, *c;

	/* Nothing kept, nothing held: most listeners of an audio room send
	 * a bare presence, and a stanza costs a few hundred bytes. */
	for (c = xmpp_stanza_get_children(in); c; c = xmpp_stanza_get_next(c))
		if (muc_presence_keeps(c)) {
			xmpp_stanza_t *copy = xmpp_stanza_copy(c);
			const char *ns = xmpp_stanza_get_ns(copy);

			/* Not the stream's namespace on a child: the
			 * presence it goes into has the right one. */
			if (ns != NULL && (strcmp(ns, NS_COMPONENT) == 0 ||
					   strcmp(ns, NS_CLIENT) == 0))
				xmpp_stanza_del_attribute(copy, "xmlns");

			if (p == NULL)
				p = xmpp_presence_new(bc->xctx);
			xmpp_stanza_add_child_ex(p, copy, 0);
		}
	if (o->pres != NULL)
		xmpp_stanza_release(o->pres);
	o->pres = p;
}

/* XEP-0317: the hat of a host or a speaker of an audio room, for clients
 * to show beside the nick. */
static void muc_add_hat(xmpp_stanza_t *p, enum store_affil a)
{
	xmpp_stanza_t *hat;

	if (a != STORE_AFFIL_HOST && a != STORE_AFFIL_SPEAKER)
		return;
	hat = xep_add_child(xep_add_child(p, "hats", NS_HATS), "hat", NULL);
	if (a == STORE_AFFIL_HOST) {
		xmpp_stanza_set_attribute(hat, "uri", MUC_HAT_HOST);
		xmpp_stanza_set_attribute(hat, "title", "Host");
	} else {
		xmpp_stanza_set_attribute(hat, "uri", MUC_HAT_SPEAKER);
		xmpp_stanza_set_attribute(hat, "title", "Speaker");
	}
}

static void muc_add_codes(xmpp_stanza_t *x, const struct muc_codes *codes)
{
	char buf[8];
	size_t i;

	for (i = 0; codes != NULL && i < MUC_CODES_MAX && codes->c[i] != 0;
	     i++) {
		xmpp_stanza_t *s = xep_add_child(x, "status", NULL);

		snprintf(buf, sizeof(buf), "%d", codes->c[i]);
		xmpp_stanza_set_attribute(s, "code", buf);
	}
}

xmpp_stanza_t *muc_presence(struct bc *bc, struct muc_occupant *o,
			    const char *type, bool self, bool with_jid,
			    const struct muc_codes *codes,
			    void (*extra)(xmpp_stanza_t *x, void *arg),
			    void *arg)
{
	struct muc_room *r = o->room;
	xmpp_stanza_t *p = xmpp_presence_new(bc->xctx), *x, *item, *c;
	char from[JID_MAX];
	enum store_affil a = muc_affil(r, o->who);

	muc_occ_jid(r, o->nick, from);
	xmpp_stanza_set_from(p, from);
	if (type != NULL)
		xmpp_stanza_set_type(p, type);
	/* An unavailable presence carries only the status text. */
	for (c = o->pres ? xmpp_stanza_get_children(o->pres) : NULL; c;
	     c = xmpp_stanza_get_next(c))
		if (type == NULL ||
		    strcmp(xmpp_stanza_get_name(c), "status") == 0)
			xmpp_stanza_add_child_ex(p, xmpp_stanza_copy(c), 0);
	x = xep_add_child(p, "x", NS_MUC_USER);
	item = xep_add_child(x, "item", NULL);
	xmpp_stanza_set_attribute(item, "affiliation", muc_affil_name(a));
	xmpp_stanza_set_attribute(item, "role", muc_role_name(o->role));
	if (with_jid || self)
		xmpp_stanza_set_attribute(item, "jid", o->addr);
	if (extra != NULL)
		extra(x, arg);
	if (self) {
		struct muc_codes s = {{MUC_S_SELF, 0}};

		muc_add_codes(x, &s);
	}
	muc_add_codes(x, codes);
	xmpp_stanza_set_attribute(xep_add_child(p, "occupant-id",
						NS_OCCUPANT_ID),
				  "id", o->id);
	if (type == NULL && r->rec.kind == STORE_ROOM_AUDIO)
		muc_add_hat(p, a);
	return p;
}

void muc_send_occ(struct bc *bc, struct muc_occupant *o,
		  xmpp_stanza_t *stanza)
{
	struct bc_body b;
	size_t i;

	bc_body_init(bc, &b, stanza);
	for (i = 0; i < o->nsessions; i++)
		bc_body_send(bc, &b, o->sessions[i]->jid);
	bc_body_clear(&b);
}

/* True when viewer sees real addresses (handle@D) in r. */
bool muc_sees_jids(const struct muc_room *r,
		   const struct muc_occupant *viewer)
{
	return (r->cfg.flags & STORE_ROOMCFG_WHOIS_ANYONE) ||
	       viewer->role == MUC_ROLE_MODERATOR;
}

bool muc_room_shows_addresses(const struct muc_room *r, const char *jid)
{
	return (r->cfg.flags & STORE_ROOMCFG_WHOIS_ANYONE) ||
	       muc_room_role(r, jid) == MUC_ROLE_MODERATOR;
}

void muc_presence_others(struct bc *bc, struct muc_occupant *o,
			 const char *type, const struct muc_codes *codes,
			 void (*extra)(xmpp_stanza_t *x, void *arg), void *arg)
{
	struct muc_room *r = o->room;
	struct bc_body with, without;
	xmpp_stanza_t *p;
	size_t i, j;

	p = muc_presence(bc, o, type, false, true, codes, extra, arg);
	bc_body_init(bc, &with, p);
	xmpp_stanza_release(p);
	p = muc_presence(bc, o, type, false, false, codes, extra, arg);
	bc_body_init(bc, &without, p);
	xmpp_stanza_release(p);
	for (i = 0; i < r->nocc; i++) {
		struct muc_occupant *v = r->occ[i];
		const struct bc_body *b = muc_sees_jids(r, v) ? &with
							       : &without;

		if (v == o)
			continue;
		for (j = 0; j < v->nsessions; j++)
			bc_body_send(bc, b, v->sessions[j]->jid);
	}
	bc_body_clear(&with);
	bc_body_clear(&without);
}

void muc_presence_broadcast(struct bc *bc, struct muc_occupant *o,
			    const char *type, bool all,
			    const struct muc_codes *codes,
			    void (*extra)(xmpp_stanza_t *x, void *arg),
			    void *arg)
{
	xmpp_stanza_t *p;

	if (all || muc_occ_staged(o))
		muc_presence_others(bc, o, type, codes, extra, arg);
	p = muc_presence(bc, o, type, true, true, codes, extra, arg);
	muc_send_occ(bc, o, p);
	xmpp_stanza_release(p);
}

void muc_occ_changed(struct bc *bc, struct muc_occupant *o, bool was,
		     void (*extra)(xmpp_stanza_t *x, void *arg), void *arg)
{
	xmpp_stanza_t *p;

	if (was && !muc_occ_staged(o)) {
		/* Off the stage: the others see it leave, as they will not
		 * see it again until it comes back. */
		enum muc_role role = o->role;

		o->role = MUC_ROLE_NONE;
		muc_presence_others(bc, o, "unavailable", NULL, extra, arg);
		o->role = role;
	} else if (was || muc_occ_staged(o)) {
		muc_presence_others(bc, o, NULL, NULL, extra, arg);
	}
	p = muc_presence(bc, o, NULL, true, true, NULL, extra, arg);
	muc_send_occ(bc, o, p);
	xmpp_stanza_release(p);
}

void muc_occ_eject(struct bc *bc, struct muc_occupant *o,
		   const struct muc_codes *codes,
		   void (*extra)(xmpp_stanza_t *x, void *arg), void *arg)
{
	bool all = muc_occ_staged(o);

	o->role = MUC_ROLE_NONE;
	muc_presence_broadcast(bc, o, "unavailable", all, codes, extra, arg);
	muc_occ_remove(bc, o);
}

void muc_room_notice(struct bc *bc, struct muc_room *r,
		     const struct muc_codes *codes)
{
	xmpp_stanza_t *m = xmpp_message_new(bc->xctx, "groupchat", NULL, NULL);
	xmpp_stanza_t *x;
	char id[32];

	xmpp_stanza_set_from(m, r->jid);
	xmpp_stanza_set_id(m, bc_new_id(bc, id, sizeof(id)));
	x = xep_add_child(m, "x", NS_MUC_USER);
	muc_add_codes(x, codes);
	muc_room_broadcast(bc, r, m);
	xmpp_stanza_release(m);
}

void muc_room_broadcast(struct bc *bc, struct muc_room *r,
			xmpp_stanza_t *msg)
{
	struct bc_body b;
	size_t i, j;

	bc_body_init(bc, &b, msg);
	for (i = 0; i < r->nocc; i++)
		for (j = 0; j < r->occ[i]->nsessions; j++)
			bc_body_send(bc, &b, r->occ[i]->sessions[j]->jid);
	bc_body_clear(&b);
}

bool muc_room_may_read_archive(struct bc *bc, const struct muc_room *r,
			       const char *bare)
{
	struct ident_sender who;
	enum store_affil a;

	if (ident_sender(bc, bare, &who) != 0)
		return false;
	a = muc_affil(r, who.node);
	if (a == STORE_AFFIL_OUTCAST)
		return false;
	if (a >= STORE_AFFIL_MEMBER)
		return true;
	/* A current occupant, by any of its sessions. */
	if (muc_occ_by_who(r, who.node) != NULL)
		return true;
	/* Open rooms (audio rooms among them) let every linked member
	 * read. */
	return !(r->cfg.flags & STORE_ROOMCFG_MEMBERS_ONLY) && who.member;
}

/* Errors. */

int muc_fail(struct xep_stanza *st, struct muc_room *r, int code,
	     const char *text)
{
	static const struct {
		int code;
		const char *type;
	} types[] = {
		{BC_EBAD_REQUEST, "modify"},
		{BC_ECONFLICT, "cancel"},
		{BC_EFORBIDDEN, "auth"},
		{BC_EITEM_NOT_FOUND, "cancel"},
		{BC_EJID_MALFORMED, "modify"},
		{BC_ENOT_ACCEPTABLE, "cancel"},
		{BC_ENOT_ALLOWED, "cancel"},
		{BC_ENOT_AUTHORIZED, "auth"},
		{BC_EREGISTRATION_REQUIRED, "auth"},
		{BC_ESERVICE_UNAVAILABLE, "wait"},
	};
	xmpp_stanza_t *reply, *err;
	size_t i;

	st->replied = true;
	reply = router_error_reply(st->bc, st->stanza, code, text);
	if (reply == NULL)
		return XEP_OK;
	err = xmpp_stanza_get_child_by_name(reply, "error");
	for (i = 0; i < sizeof(types) / sizeof(*types); i++)
		if (types[i].code == code)
			xmpp_stanza_set_type(err, types[i].type);
	xmpp_stanza_set_attribute(err, "by",
				  r != NULL ? r->jid : st->bc->cfg->rooms_domain);
	bc_send(st->bc, reply);
	return XEP_OK;
}

void muc_new_stanza_id(struct bc *bc, char *out)
{
	struct muc_state *ms = muc_state(bc);

	/* Unique in the room: the time and a counter of this process,
	 * both in the id, so that a restart cannot repeat one. */
	snprintf(out, 32, "%llx-%llx", (unsigned long long)clock_now_ms(),
		 (unsigned long long)++ms->seq);
}

/* Module state, restore and session checks. */

int muc_state_init(struct bc *bc, void **state)
{
	struct muc_state *ms = xcalloc(1, sizeof(*ms));

	ms->rooms = strmap_new(muc_room_free);
	ms->owned = strmap_new(NULL);
	*state = ms;
	if (bc->rooms_store != NULL &&
	    store_room_secret(bc->rooms_store, ms->secret) != 0) {
		log_errx("rooms: the occupant-id secret could not be read");
		return -1;
	}
	return 0;
}

void muc_state_fini(struct bc *bc, void *state)
{
	struct muc_state *ms = state;

	if (ms == NULL)
		return;
	muc_verify_clear(ms);
	strmap_free(ms->rooms);
	strmap_free(ms->owned);
	free(ms);
}

void muc_restore(struct bc *bc)
{
	struct muc_state *ms = muc_state(bc);
	struct store_room *rooms = NULL;
	struct store_occupant *v = NULL;
	size_t n = 0, i, restored = 0;

	if (ms == NULL || ms->restored || bc->rooms_store == NULL)
		return;
	ms->restored = true;
	/* Every room, for the owners' counts and disco#items; on a rooms
	 * instance, its audio rooms as the directory has them now (they
	 * may have ended, or their stage changed, while it was away). */
	if (store_room_list(bc->rooms_store, &rooms, &n) == 0)
		for (i = 0; i < n; i++) {
			if (muc_shard(bc) && rooms[i].kind == STORE_ROOM_AUDIO)
				(void)muc_shard_take(bc, rooms[i].name, true);
			if (strmap_get(ms->rooms, rooms[i].name) == NULL)
				(void)muc_room_load(bc, rooms[i].name);
		}
	store_room_list_free(rooms, n);
	if (store_occupant_list(bc->rooms_store, NULL, &v, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		struct muc_room *r = strmap_get(ms->rooms, v[i].room);
		struct muc_occupant *o;
		struct muc_session *s;

		if (r == NULL || muc_session_of(r, v[i].jid) != NULL) {
			(void)store_occupant_del(bc->rooms_store, v[i].room,
						 v[i].jid);
			continue;
		}
		o = muc_occ_by_who(r, v[i].who);
		if (o == NULL && muc_occ_by_nick(r, v[i].nick) == NULL &&
		    v[i].role <= MUC_ROLE_MODERATOR)
			o = muc_occ_add(bc, r, v[i].nick, v[i].who,
					(enum muc_role)v[i].role);
		if (o == NULL || o->nsessions >= MUC_SESSIONS_MAX) {
			(void)store_occupant_del(bc->rooms_store, v[i].room,
						 v[i].jid);
			continue;
		}
		s = muc_session_add(bc, o, v[i].jid, false);
		s->unverified = true;
		restored++;
	}
	store_occupant_list_free(v, n);
	if (restored > 0)
		log_info("rooms: %zu occupant sessions restored", restored);
}
