/*
 * shard.c - the rooms of a rooms instance (<shard/>, docs/SCALING.md).
 *
 * Several instances serve M behind one ejabberd, which routes each room
 * (by its bare address) to one of them.  An instance keeps the rooms that
 * reach it in its own rooms store (bc->rooms_store) and reads the
 * directory from its replica of the replication group (bc->store).
 *
 * Group chats are made on the instance their first join reaches and stay
 * there.  Audio rooms are provisioned by the platform on the directory's
 * master (backchannelctl room open|close|stage) and reach every instance
 * by replication: the instance a room is routed to takes it into its own
 * store on first use (muc_shard_take()), and from then on follows the
 * directory's change log for it (muc_audio_tick()), so the platform stays
 * the authority over the stage.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/log.h"
#include "store/store.h"
#include "xep/muc/muc-int.h"

bool muc_shard(const struct bc *bc)
{
	return bc->rooms_store != NULL && bc->rooms_store != bc->store;
}

/* The platform's places on the stage: what the directory says of a room. */
static bool muc_shard_stage(enum store_affil a)
{
	return a == STORE_AFFIL_HOST || a == STORE_AFFIL_SPEAKER;
}

/* The stage of the directory's room, set in the instance's copy: a place
 * the directory no longer gives goes, one it gives is taken.  What the
 * room itself decided stays: a ban (or another affiliation set in the
 * room) is never undone by the platform's next change. */
static int muc_shard_affils(struct bc *bc, const char *node)
{
	struct store_affiliation *want = NULL, *have = NULL;
	size_t nwant = 0, nhave = 0, i, k;
	int rc;

	if ((rc = store_affil_list(bc->store, node, &want, &nwant)) != 0)
		return rc;
	if ((rc = store_affil_list(bc->rooms_store, node, &have, &nhave)) !=
	    0) {
		store_affil_list_free(want, nwant);
		return rc;
	}
	for (i = 0; rc == 0 && i < nhave; i++) {
		for (k = 0; k < nwant; k++)
			if (strcmp(want[k].who, have[i].who) == 0)
				break;
		if (k == nwant && muc_shard_stage(have[i].affil))
			rc = store_affil_set(bc->rooms_store, node,
					     have[i].who, STORE_AFFIL_NONE);
	}
	for (i = 0; rc == 0 && i < nwant; i++) {
		enum store_affil now = STORE_AFFIL_NONE;

		for (k = 0; k < nhave; k++)
			if (strcmp(want[i].who, have[k].who) == 0)
				now = have[k].affil;
		if (now == want[i].affil ||
		    (now != STORE_AFFIL_NONE && !muc_shard_stage(now)))
			continue;
		rc = store_affil_set(bc->rooms_store, node, want[i].who,
				     want[i].affil);
	}
	store_affil_list_free(want, nwant);
	store_affil_list_free(have, nhave);
	return rc;
}

int muc_shard_take(struct bc *bc, const char *node, bool held_only)
{
	struct store_room dir, mine;
	struct store_room_config cfg;
	int rc, held;

	memset(&dir, 0, sizeof(dir));
	memset(&mine, 0, sizeof(mine));
	held = store_room_get(bc->rooms_store, node, &mine);
	if (held != 0 && held != STORE_NOTFOUND)
		return held;
	/* A group chat of this instance is its own; when the platform opened
	 * an audio room of its name, the operator hears of it (the master
	 * cannot see group chats to refuse the name, docs/SCALING.md). */
	if (held == 0 && mine.kind != STORE_ROOM_AUDIO) {
		store_room_clear(&mine);
		if (store_room_get(bc->store, node, &dir) == 0) {
			if (dir.kind == STORE_ROOM_AUDIO)
				log_warnx("room %s: a group chat here has the "
					  "name of an audio room the platform "
					  "opened, which is not served",
					  node);
			store_room_clear(&dir);
		}
		return STORE_NOTFOUND;
	}
	if (held != 0 && held_only)
		return STORE_NOTFOUND;
	rc = store_room_get(bc->store, node, &dir);
	if (rc == STORE_NOTFOUND) {
		store_room_clear(&mine);
		/* Gone from the directory: gone here too. */
		if (held == 0 && store_room_remove(bc->rooms_store, node) != 0)
			return STORE_EFAIL;
		return STORE_NOTFOUND;
	}
	if (rc != 0 || dir.kind != STORE_ROOM_AUDIO) {
		store_room_clear(&mine);
		store_room_clear(&dir);
		return rc != 0 ? rc : STORE_NOTFOUND;
	}
	/* The platform's title and state; the room's own subject. */
	if (held == 0) {
		free(dir.subject);
		dir.subject = mine.subject;
		mine.subject = NULL;
		dir.created_ms = mine.created_ms;
	}
	store_room_clear(&mine);
	rc = store_room_put(bc->rooms_store, &dir);
	store_room_clear(&dir);
	if (rc == 0)
		rc = muc_shard_affils(bc, node);
	if (rc == 0 && store_room_config_get(bc->store, node, &cfg) == 0) {
		rc = store_room_config_put(bc->rooms_store, node, &cfg);
		store_room_config_clear(&cfg);
	}
	if (rc != 0)
		log_warnx("room %s: the audio room could not be taken from "
			  "the directory",
			  node);
	else if (held != 0)
		log_info("room %s: the audio room is served here", node);
	return rc;
}
