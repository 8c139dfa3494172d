/*
 * audio.c - the text chats of the platform's audio rooms on M (XEP-0045),
 * as the platform drives them from outside the daemon.
 *
 * backchannelctl (or an admin's ad-hoc command, which runs the same code)
 * opens, closes and changes the stage of an audio room in the store,
 * perhaps from another process; each such change leaves a note in the
 * store's change log in the same transaction.  The module's tick reads the
 * log every MUC_CHANGES_MS and brings each room it names up to date:
 *   - opened or reopened: live again (and loaded if it was not in memory);
 *   - its title changed: the new name, announced with status 104;
 *   - its stage changed (hosts are owners and moderators, speakers
 *     members and participants, everyone else a listener): the new
 *     affiliations, and for each occupant concerned its new role with the
 *     usual presence (to the room when it is on the stage or was);
 *   - closed: every occupant gets a destroy with a reason (§10.9) and
 *     leaves; the room, its affiliations and its archive stay, and a join
 *     gets item-not-found until it opens again.
 * Also the listeners' roles when the hosts make the chat stage-only
 * (moderated: listeners become visitors and may ask for voice, §7.13) or
 * open it again.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/log.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/muc/muc-int.h"

/* The reason in the destroy an audio room's end sends. */
#define MUC_AUDIO_ENDED "The audio room has ended"

void muc_audio_start(struct bc *bc)
{
	struct muc_state *ms = muc_state(bc);

	if (ms == NULL || bc->store == NULL)
		return;
	if (store_changes_head(bc->store, &ms->changes) != 0)
		log_warnx("rooms: the change log could not be read");
	ms->changes_ms = 0;
}

/* One affiliation that changed: who and what it is now. */
struct muc_affil_change {
	char *who;
	enum store_affil affil;
};

struct muc_affil_diff {
	struct strmap *now; /* who -> affiliation, from the store */
	struct muc_affil_change *v;
	size_t n;
};

static void muc_diff_add(struct muc_affil_diff *d, const char *who,
			 enum store_affil affil)
{
	d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
	d->v[d->n].who = xstrdup(who);
	d->v[d->n++].affil = affil;
}

static void muc_diff_gone(const char *who, void *value, void *arg)
{
	struct muc_affil_diff *d = arg;

	(void)value;
	if (strmap_get(d->now, who) == NULL)
		muc_diff_add(d, who, STORE_AFFIL_NONE);
}

/* who's affiliation in r is now affil (the store has it): the role that
 * goes with it, and the presence that tells of it. */
static void muc_audio_apply(struct bc *bc, struct muc_room *r,
			    const char *who, enum store_affil affil)
{
	struct muc_occupant *o = muc_occ_by_who(r, who);
	bool was;

	muc_affil_note(r, who, affil);
	if (o == NULL)
		return;
	if (affil == STORE_AFFIL_OUTCAST) {
		struct muc_codes c = {{MUC_S_BANNED, 0}};

		muc_occ_eject(bc, o, &c, NULL, NULL);
		return;
	}
	was = muc_occ_staged(o);
	muc_occ_set_role(bc, o, muc_default_role(r, affil));
	muc_occ_changed(bc, o, was, NULL, NULL);
}

/* Brings r's affiliations (and so its stage) in line with the store. */
static void muc_audio_affils(struct bc *bc, struct muc_room *r)
{
	struct store_affiliation *af = NULL;
	struct muc_affil_diff d = {NULL, NULL, 0};
	size_t n = 0, i;

	if (store_affil_list(bc->rooms_store, r->name, &af, &n) != 0) {
		log_warnx("room %s: its affiliations could not be read",
			  r->name);
		return;
	}
	d.now = strmap_new(NULL);
	for (i = 0; i < n; i++)
		if (af[i].affil != STORE_AFFIL_NONE)
			strmap_put(d.now, af[i].who,
				   (void *)(uintptr_t)af[i].affil);
	/* Collect first: applying changes r->affils. */
	strmap_each(r->affils, muc_diff_gone, &d);
	for (i = 0; i < n; i++)
		if (af[i].affil != STORE_AFFIL_NONE &&
		    muc_affil(r, af[i].who) != af[i].affil)
			muc_diff_add(&d, af[i].who, af[i].affil);
	store_affil_list_free(af, n);
	for (i = 0; i < d.n; i++) {
		muc_audio_apply(bc, r, d.v[i].who, d.v[i].affil);
		free(d.v[i].who);
	}
	free(d.v);
	strmap_free(d.now);
}

/* The room name changed in the store: bring it up to date in memory and
 * tell its occupants. */
static void muc_audio_sync(struct bc *bc, const char *name)
{
	struct muc_state *ms = muc_state(bc);
	struct muc_room *r = strmap_get(ms->rooms, name);
	struct store_room rec;
	int rc;

	if (r == NULL) {
		/* Not in memory: loading it reads it all. */
		(void)muc_room_find(bc, name);
		return;
	}
	rc = store_room_get(bc->rooms_store, name, &rec);
	if (rc != 0) {
		if (rc == STORE_NOTFOUND) {
			log_info("room %s: removed from the store", name);
			muc_room_evacuate(bc, r, NULL, MUC_AUDIO_ENDED);
			muc_room_drop(bc, r);
		}
		return;
	}
	if (rec.kind != STORE_ROOM_AUDIO) {
		store_room_clear(&rec);
		return;
	}
	if (r->rec.live && !rec.live) {
		/* §10.9: the occupants first, the stage after. */
		log_info("room %s: the audio room ended (%zu occupants)",
			 name, r->nocc);
		r->rec.live = false;
		muc_room_evacuate(bc, r, NULL, MUC_AUDIO_ENDED);
	} else if (!r->rec.live && rec.live) {
		log_info("room %s: the audio room is live", name);
		r->rec.live = true;
	}
	muc_audio_affils(bc, r);
	if (strcmp(r->rec.title ? r->rec.title : "", rec.title) != 0) {
		struct muc_codes c = {{MUC_S_CONFIG, 0}};

		free(r->rec.title);
		r->rec.title = rec.title;
		rec.title = NULL;
		if (r->nocc > 0)
			muc_room_notice(bc, r, &c); /* §10.2.1 */
	}
	store_room_clear(&rec);
}

struct muc_ended {
	char **names;
	size_t n;
};

static void muc_ended_one(const char *name, void *value, void *arg)
{
	struct muc_room *r = value;
	struct muc_ended *e = arg;

	if (r->rec.kind == STORE_ROOM_AUDIO && !r->rec.live && r->nocc > 0) {
		e->names = xreallocarray(e->names, e->n + 1, sizeof(*e->names));
		e->names[e->n++] = xstrdup(name);
	}
}

void muc_audio_ended(struct bc *bc)
{
	struct muc_state *ms = muc_state(bc);
	struct muc_ended e = {NULL, 0};
	size_t i;

	if (ms == NULL)
		return;
	strmap_each(ms->rooms, muc_ended_one, &e);
	for (i = 0; i < e.n; i++) {
		struct muc_room *r = strmap_get(ms->rooms, e.names[i]);

		log_info("room %s: the audio room ended while the daemon was "
			 "away (%zu occupants)", e.names[i], r->nocc);
		muc_room_evacuate(bc, r, NULL, MUC_AUDIO_ENDED);
		free(e.names[i]);
	}
	free(e.names);
}

void muc_audio_tick(struct bc *bc, int64_t now_ms)
{
	struct muc_state *ms = muc_state(bc);
	struct store_change *v = NULL;
	size_t n = 0, i;

	if (ms == NULL || bc->store == NULL || !ms->restored)
		return;
	/* The platform's changes are noted where it makes them: in the
	 * directory, which on a rooms instance is not the rooms store
	 * (xep/muc/shard.c). */
	if (ms->changes_ms != 0 && now_ms >= ms->changes_ms &&
	    now_ms - ms->changes_ms < MUC_CHANGES_MS)
		return;
	ms->changes_ms = now_ms;
	if (store_changes_since(bc->store, &ms->changes, &v, &n) != 0) {
		log_warnx("rooms: the change log could not be read");
		return;
	}
	for (i = 0; i < n; i++) {
		if (v[i].kind == STORE_CHANGE_UNLINK && v[i].name != NULL) {
			char handle[STORE_HANDLE_SIZE];

			/* Linked again since: its sessions as that identity
			 * stay, any other goes (all of them when the link
			 * cannot be read: they may come back). */
			muc_unlinked(bc, v[i].name,
				     store_link_get(bc->store, v[i].name,
						    handle) == 0
					     ? handle
					     : NULL);
			continue;
		}
		/* Several notes of one room in a row: one look is enough. */
		if (v[i].kind != STORE_CHANGE_ROOM || v[i].name == NULL ||
		    (i + 1 < n && v[i + 1].kind == v[i].kind &&
		     v[i + 1].name != NULL &&
		     strcmp(v[i + 1].name, v[i].name) == 0))
			continue;
		if (muc_shard(bc) &&
		    muc_shard_take(bc, v[i].name, true) == STORE_NOTFOUND &&
		    strmap_get(ms->rooms, v[i].name) == NULL)
			continue; /* not a room of this instance */
		muc_audio_sync(bc, v[i].name);
	}
	store_change_list_free(v, n);
}

void muc_audio_moderated(struct bc *bc, struct muc_room *r, bool on)
{
	enum muc_role from = on ? MUC_ROLE_PARTICIPANT : MUC_ROLE_VISITOR;
	enum muc_role to = on ? MUC_ROLE_VISITOR : MUC_ROLE_PARTICIPANT;
	size_t i;

	/* Listeners only: each is told of its own role, nobody else is
	 * (listeners are not on the stage), so this is O(occupants). */
	for (i = 0; i < r->nocc; i++) {
		struct muc_occupant *o = r->occ[i];
		bool was;

		if (o->role != from || muc_affil(r, o->who) != STORE_AFFIL_NONE)
			continue;
		was = muc_occ_staged(o);
		muc_occ_set_role(bc, o, to);
		muc_occ_changed(bc, o, was, NULL, NULL);
	}
}
