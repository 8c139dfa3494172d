/*
 * muc.h - the MUC service on M (XEP-0045): what its parts share.
 *
 * The service is one registry module, xep_muc (xep/muc/muc.c), whose
 * tables wire every part:
 *   muc.c       the module: IQ table, hooks, disco, lifecycle
 *   room.c      rooms in memory: occupants, roles, affiliations, loading
 *               and saving through the store, occupant restore
 *   (further files of the core: join, messages, admin, owner, ...)
 *   mam.c       XEP-0313 archive queries on a room
 *   moderate.c  XEP-0425 moderation (retraction with a tombstone)
 *
 * Interface between the parts, fixed here so they can be built apart.
 */
#ifndef BC_XEP_MUC_H
#define BC_XEP_MUC_H

#include <stdbool.h>

#include <strophe.h>

#include "xep/xep.h"

struct bc;
struct muc_room;

extern const struct xep_module xep_muc;

/* XEP-0045 §5.1 roles. */
enum muc_role {
	MUC_ROLE_NONE = 0,
	MUC_ROLE_VISITOR,
	MUC_ROLE_PARTICIPANT,
	MUC_ROLE_MODERATOR,
};

/* --- implemented by the room core (room.c and friends) --- */

/* The room node (lower-cased room@M node) if it exists, loaded into
 * memory; NULL when there is no such room (or it is closed). */
struct muc_room *muc_room_get(struct bc *bc, const char *node);

/* The same, closed audio rooms included (their archive stays readable). */
struct muc_room *muc_room_find(struct bc *bc, const char *node);

/* The room's node name (borrowed). */
const char *muc_room_name(const struct muc_room *r);

/* The role of the session with real full JID jid (NONE: not joined). */
enum muc_role muc_room_role(const struct muc_room *r, const char *jid);

/* True when the real account bare (the sender of a query) may read the
 * room's archive: a current occupant, or, for members-only rooms, anyone
 * with an affiliation of member or above, per the room's configuration. */
bool muc_room_may_read_archive(struct bc *bc, const struct muc_room *r,
			       const char *bare);

/* Sends msg (borrowed; its 'from' set by the caller, 'to' ignored) to
 * every occupant session of r: serialised once, written with only 'to'
 * differing (bc_fanout()). */
void muc_room_broadcast(struct bc *bc, struct muc_room *r,
			xmpp_stanza_t *msg);

/* The nick of the session with real full JID jid in r (borrowed), or
 * NULL when it has not joined. */
const char *muc_room_nick(const struct muc_room *r, const char *jid);

/* XEP-0421: the occupant id of the session with real full JID jid in r
 * (borrowed), or NULL when it has not joined. */
const char *muc_room_occupant_id(const struct muc_room *r, const char *jid);

/* disco#items on M (XEP-0045 §6.3): adds the public rooms to query. */
void muc_disco_items(struct xep_stanza *st, xmpp_stanza_t *query);

/* disco#info with a node on room@M: x-roomuser-item (XEP-0045 §7.12)
 * gives the asker's reserved nick; other nodes are item-not-found. */
int muc_disco_node(struct xep_stanza *st, const char *node);

/* True when the session with real full JID jid (joined or not) may see
 * the occupants' addresses (handle@D) in r: the room shows them to
 * everyone (whois anyone), or that session is a moderator there. */
bool muc_room_shows_addresses(const struct muc_room *r, const char *jid);

/* --- implemented by mam.c --- */

/* IQ set <query xmlns='urn:xmpp:mam:2'/> to room@M (XEP-0313 §4). */
int muc_mam_query(struct xep_stanza *st);

/* IQ get <query xmlns='urn:xmpp:mam:2'/> to room@M: the query form
 * (XEP-0313 §4.1.5). */
int muc_mam_form(struct xep_stanza *st);

/* IQ get <metadata xmlns='urn:xmpp:mam:2'/> to room@M: the first and last
 * archived message (XEP-0313 §5, part of urn:xmpp:mam:2#extended). */
int muc_mam_metadata(struct xep_stanza *st);

/* --- implemented by moderate.c --- */

/* IQ set <moderate xmlns='urn:xmpp:message-moderate:1'/> to room@M
 * (XEP-0425). */
int muc_moderate(struct xep_stanza *st);

#endif
