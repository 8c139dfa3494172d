/*
 * muc-int.h - what the files of the room core (xep/muc/) share and the
 * rest of the component does not see: rooms and occupants in memory.
 *
 * A room holds its occupants in a vector (occ) with three indexes: by
 * nick, by identity and by real session JID.  The occupants whose role is
 * in the room's presence-broadcast set are also in a second vector
 * (stage), so a join costs O(stage) presences, not O(occupants), when
 * only some roles are broadcast (audio rooms).  Removal from either vector
 * is O(1) (swap with the last; each occupant knows its positions).
 */
#ifndef BC_XEP_MUC_INT_H
#define BC_XEP_MUC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <strophe.h>

#include "component/jid.h"
#include "store/store.h"
#include "xep/muc/muc.h"

/* Bounds: every amplification has one. */
#define MUC_MAX_OCCUPANTS_DEFAULT 1000 /* per room, by default */
#define MUC_MAX_OCCUPANTS_LIMIT 5000   /* the most an owner may set */
#define MUC_PRIVILEGED_EXTRA 50 /* admins and owners past a full room */
#define MUC_SESSIONS_MAX 16     /* sessions (real JIDs) per occupant */
#define MUC_ROOMS_PER_OWNER 100 /* group chats one identity may own */
#define MUC_HISTORY_DEFAULT 20  /* messages sent on join */
#define MUC_HISTORY_LIMIT 100   /* the most an owner may set */
#define MUC_INVITES_MAX 5       /* <invite/> elements per message */
#define MUC_ADMIN_ITEMS_MAX 100 /* <item/> elements per admin set */
#define MUC_NICK_MAX 128        /* bytes of a nick */
#define MUC_TEXT_MAX 1024       /* bytes of a subject, name, description */
#define MUC_IQ_RELAY_MS 30000   /* how long a relayed IQ waits */
#define MUC_PING_MS 30000       /* restored sessions answer within this */
#define MUC_VERIFY_INFLIGHT 128 /* session pings unanswered at a time */
#define MUC_CHANGES_MS 250      /* the change log is read this often */

/* XEP-0317 hats of an audio room's stage. */
#define MUC_HAT_HOST "urn:backchannel:hat:host"
#define MUC_HAT_SPEAKER "urn:backchannel:hat:speaker"

/* The XEP-0421 occupant id: 24 hex digits. */
#define MUC_OCCUPANT_ID_SIZE 25

/* XEP-0045 status codes (§15). */
enum {
	MUC_S_NONANON = 100,
	MUC_S_CONFIG = 104,
	MUC_S_SELF = 110,
	MUC_S_LOGGED = 170,
	MUC_S_CREATED = 201,
	MUC_S_NICK_MODIFIED = 210,
	MUC_S_BANNED = 301,
	MUC_S_NEW_NICK = 303,
	MUC_S_KICKED = 307,
	MUC_S_AFFIL_CHANGE = 321,
	MUC_S_MEMBERS_ONLY = 322,
	MUC_S_SHUTDOWN = 332,
	MUC_S_ERROR = 333,
};

struct muc_room;

struct muc_session {
	char *jid; /* the real full JID */
	struct muc_occupant *occ;
	bool unverified; /* restored: its answer to a ping is awaited */
};

struct muc_occupant {
	struct muc_room *room;
	char *nick;
	char *who;  /* identity node: a handle or an escaped bare JID */
	char *addr; /* who@D, what other occupants may see */
	bool member; /* who is a handle */
	enum muc_role role;
	struct muc_session **sessions;
	size_t nsessions;
	xmpp_stanza_t *pres; /* its presence payload, owned; NULL: none */
	char id[MUC_OCCUPANT_ID_SIZE];
	size_t idx;       /* in room->occ */
	size_t stage_idx; /* in room->stage, or SIZE_MAX */
};

struct muc_state;

struct muc_room {
	struct muc_state *ms;
	char *name;
	char *jid; /* room@M */
	struct store_room rec;
	struct store_room_config cfg;
	struct strmap *affils; /* who -> (void *)(uintptr_t)affiliation */
	struct muc_occupant **occ;
	size_t nocc, occ_cap;
	struct muc_occupant **stage;
	size_t nstage, stage_cap;
	struct strmap *by_nick;  /* nick -> occupant */
	struct strmap *by_who;   /* identity -> occupant */
	struct strmap *by_jid;   /* real full JID -> session */
};

struct muc_state {
	struct strmap *rooms; /* name -> room, owned */
	unsigned char secret[STORE_ROOM_SECRET_SIZE];
	struct strmap *owned; /* identity -> number of group chats owned */
	uint64_t seq;
	bool restored;
	uint64_t changes;       /* the last change log note seen */
	int64_t changes_ms;     /* when the log was last read */
	/* The sessions still to ping after M's connection came up (muc.c):
	 * at most MUC_VERIFY_INFLIGHT unanswered at a time. */
	struct muc_check *verify;
	size_t nverify, verify_next;
	unsigned verify_inflight;
	unsigned verify_round; /* answers of an earlier round don't count */
};

/* muc.c: the account bare is no longer linked: its sessions leave every
 * room (§9.4 status 321), as when it unlinked through this daemon; the
 * change log brings it here when another process or the group's master
 * unlinked it (muc_audio_tick()).  Sessions in as the identity keep (the
 * account was linked to it again since; NULL: none) stay. */
void muc_unlinked(struct bc *bc, const char *bare, const char *keep);

/* shard.c: a rooms instance (<shard/>) */
/* Whether the rooms are in a store of their own, beside the directory. */
bool muc_shard(const struct bc *bc);
/* Takes the audio room node from the directory into this instance's
 * rooms store, or brings the copy up to date (with held_only, only a room
 * held already); a room gone from the directory goes here too.  0, or
 * STORE_NOTFOUND when there is no audio room of that name to serve, or
 * another store code. */
int muc_shard_take(struct bc *bc, const char *node, bool held_only);

/* room.c */
struct muc_state *muc_state(struct bc *bc);
int muc_state_init(struct bc *bc, void **state);
void muc_state_fini(struct bc *bc, void *state);
/* Loads every room with occupants from the store (at start). */
void muc_restore(struct bc *bc);
/* A session to ask whether it is still there: who it was. */
struct muc_check {
	char *room;
	char *jid;
	unsigned round;
};

/* Pings every session (after M's connection came up), a bounded number
 * at a time; muc_verify_more() sends the next ones (from the tick). */
void muc_verify_sessions(struct bc *bc);
void muc_verify_more(struct bc *bc);
void muc_verify_clear(struct muc_state *ms);

/* A new group chat named node owned by who (locked, defaults); NULL and
 * *err a BC_E* code when it cannot be made. */
struct muc_room *muc_room_create(struct bc *bc, const char *node,
				 const char *who, int *err);
/* Forgets a room (its store records go with store_room_remove()). */
void muc_room_drop(struct bc *bc, struct muc_room *r);
/* Saves r->cfg. */
int muc_room_save_config(struct bc *bc, struct muc_room *r);

enum store_affil muc_affil(const struct muc_room *r, const char *who);
/* Sets an affiliation in the store and in memory. */
int muc_affil_set(struct bc *bc, struct muc_room *r, const char *who,
		  enum store_affil affil);
/* The same in memory only (the store has it already). */
void muc_affil_note(struct muc_room *r, const char *who,
		    enum store_affil affil);
/* The role an identity of affiliation a gets on entering r. */
enum muc_role muc_default_role(const struct muc_room *r, enum store_affil a);
/* True when presence of role is broadcast in r. */
bool muc_broadcasts(const struct muc_room *r, enum muc_role role);
bool muc_is_admin(enum store_affil a);   /* admin, host or owner */
bool muc_is_owner(enum store_affil a);   /* host or owner */
/* True for the affiliations of an audio room's stage. */
bool muc_stage_affil(enum store_affil a);
/* True when o's presence is broadcast in r (its role is, and in an audio
 * room it is on the stage): muc_occ_staged() once o is in the room. */
bool muc_on_stage(const struct muc_room *r, const struct muc_occupant *o);
/* True when every occupant's presence is broadcast in r. */
bool muc_everyone_on_stage(const struct muc_room *r);
const char *muc_role_name(enum muc_role role);
const char *muc_affil_name(enum store_affil a);
int muc_role_parse(const char *s, enum muc_role *out);
int muc_affil_parse(const char *s, enum store_affil *out);

struct muc_occupant *muc_occ_by_nick(const struct muc_room *r,
				     const char *nick);
struct muc_occupant *muc_occ_by_who(const struct muc_room *r,
				    const char *who);
struct muc_session *muc_session_of(const struct muc_room *r,
				   const char *jid);
/* A new occupant (no session yet); it is in the indexes. */
struct muc_occupant *muc_occ_add(struct bc *bc, struct muc_room *r,
				 const char *nick, const char *who,
				 enum muc_role role);
/* Adds a session to o and saves it. */
struct muc_session *muc_session_add(struct bc *bc, struct muc_occupant *o,
				    const char *jid, bool save);
/* Removes a session (and its store row); the occupant is freed when it
 * was the last and true returned. */
bool muc_session_remove(struct bc *bc, struct muc_session *s);
/* Removes an occupant with every session. */
void muc_occ_remove(struct bc *bc, struct muc_occupant *o);
void muc_occ_set_role(struct bc *bc, struct muc_occupant *o,
		      enum muc_role role);
/* Puts o on the room's stage or takes it off, as muc_on_stage() says now
 * (after a change of its affiliation). */
void muc_occ_restage(struct muc_occupant *o);
/* True when o is on the room's stage. */
static inline bool muc_occ_staged(const struct muc_occupant *o)
{
	return o->stage_idx != SIZE_MAX;
}
void muc_occ_set_nick(struct bc *bc, struct muc_occupant *o,
		      const char *nick);
/* Keeps what of the client presence in (borrowed) others may see. */
void muc_occ_keep_presence(struct bc *bc, struct muc_occupant *o,
			   xmpp_stanza_t *in);
/* Saves every session of o (after a role or nick change). */
void muc_occ_save(struct bc *bc, struct muc_occupant *o);

/* The occupant JID room@M/nick into out (JID_MAX bytes). */
void muc_occ_jid(const struct muc_room *r, const char *nick, char *out);

/* Presence. */
/* Status codes for a presence, ended by 0. */
#define MUC_CODES_MAX 6
struct muc_codes {
	int c[MUC_CODES_MAX + 1];
};
/* Builds o's presence (type NULL: available) as a viewer sees it; with
 * self, the status code 110 is added.  extra (may be NULL) is called to
 * add to the <x/> (reasons, actors, new nick, destroy). */
xmpp_stanza_t *muc_presence(struct bc *bc, struct muc_occupant *o,
			    const char *type, bool self, bool with_jid,
			    const struct muc_codes *codes,
			    void (*extra)(xmpp_stanza_t *x, void *arg),
			    void *arg);
/* Sends o's presence to every occupant that should get it (everyone when
 * o's role is broadcast or when all is true, only o itself otherwise),
 * with 110 to o's own sessions. */
void muc_presence_broadcast(struct bc *bc, struct muc_occupant *o,
			    const char *type, bool all,
			    const struct muc_codes *codes,
			    void (*extra)(xmpp_stanza_t *x, void *arg),
			    void *arg);
/* The same to every occupant but o, whatever o's role. */
void muc_presence_others(struct bc *bc, struct muc_occupant *o,
			 const char *type, const struct muc_codes *codes,
			 void (*extra)(xmpp_stanza_t *x, void *arg),
			 void *arg);
/* True when viewer sees the occupants' addresses (handle@D) in r. */
bool muc_sees_jids(const struct muc_room *r,
		   const struct muc_occupant *viewer);
/* Sends stanza (borrowed) to every session of o. */
void muc_send_occ(struct bc *bc, struct muc_occupant *o,
		  xmpp_stanza_t *stanza);
/* Tells of a change of o's role or affiliation, made already: was is
 * whether o was on the stage before.  o's sessions get its presence with
 * 110; the others get it when o is on the stage or was (an unavailable
 * one when o has just left it). */
void muc_occ_changed(struct bc *bc, struct muc_occupant *o, bool was,
		     void (*extra)(xmpp_stanza_t *x, void *arg), void *arg);
/* Removes o with an unavailable presence carrying codes (and extra) to
 * everyone (kick, ban, error, destroy). */
void muc_occ_eject(struct bc *bc, struct muc_occupant *o,
		   const struct muc_codes *codes,
		   void (*extra)(xmpp_stanza_t *x, void *arg), void *arg);

/* A message of type groupchat from the room itself to every occupant,
 * with status codes (configuration changes). */
void muc_room_notice(struct bc *bc, struct muc_room *r,
		     const struct muc_codes *codes);

/* Errors: sends the error reply with XEP-0045's error type for code and
 * by='room@M', and returns XEP_OK. */
int muc_fail(struct xep_stanza *st, struct muc_room *r, int code,
	     const char *text);

/* A new XEP-0359 stanza id (into out, 32 bytes). */
void muc_new_stanza_id(struct bc *bc, char *out);

/* join.c */
int muc_presence_in(struct xep_stanza *st);
/* Removes a session that failed (its occupant with the last), telling the
 * others with status code (0: none). */
void muc_session_gone(struct bc *bc, struct muc_session *s, int code);

/* message.c */
int muc_message_in(struct xep_stanza *st);
int muc_direct_invite(struct xep_stanza *st);
int muc_occupant_iq(struct xep_stanza *st);
/* The subject message of r (from its setter or the room). */
xmpp_stanza_t *muc_subject_message(struct bc *bc, struct muc_room *r);

/* admin.c */
int muc_admin_get(struct xep_stanza *st);
int muc_admin_set(struct xep_stanza *st);
/* Applies a new affiliation of who (an occupant or not) with its effects
 * on presence; actor may be NULL. */
int muc_affil_apply(struct bc *bc, struct muc_room *r, const char *who,
		    enum store_affil affil, const char *actor,
		    const char *reason);

/* owner.c */
int muc_owner_get(struct xep_stanza *st);
int muc_owner_set(struct xep_stanza *st);
/* Destroys r (§10.9): tells every occupant, removes it from the store. */
void muc_room_destroy(struct bc *bc, struct muc_room *r, const char *alt,
		      const char *reason);
/* Tells every occupant of r that it is destroyed (§10.9, with alt and
 * reason, each may be NULL) and removes them; r itself stays. */
void muc_room_evacuate(struct bc *bc, struct muc_room *r, const char *alt,
		       const char *reason);

/* audio.c */
/* Reads the store's change log (at most every MUC_CHANGES_MS) and brings
 * the rooms it names up to date: opened, closed, stage changes. */
void muc_audio_tick(struct bc *bc, int64_t now_ms);
/* Where the change log is read from: its head now (at start). */
void muc_audio_start(struct bc *bc);
/* Audio rooms closed while the daemon was not running, whose occupants
 * were restored: each gets the destroy it missed (when M comes up). */
void muc_audio_ended(struct bc *bc);
/* An audio room made moderated (on) or not: listeners become visitors,
 * or participants again. */
void muc_audio_moderated(struct bc *bc, struct muc_room *r, bool on);

#endif
