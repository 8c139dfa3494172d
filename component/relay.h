/*
 * relay.h - the one path by which a message reaches someone under another
 * address: re-addressing (serialised once, the recipient's address
 * spliced in), live and held delivery, the ring of recently relayed ids
 * (for mapping errors and retractions back) and the evidence log.
 *
 * The policy questions are in component/policy.h; whether a message is
 * held is the message-request module's (xep/requests.h).  This layer
 * decides nothing: it delivers.
 */
#ifndef BC_RELAY_H
#define BC_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include <strophe.h>

#include "component/bc.h"

struct store_held;
struct store_relation;

/* One message to relay. */
struct relay_msg {
	xmpp_stanza_t *stanza;    /* borrowed: as received (or held) */
	const char *sender;       /* the real full JID that sent it, for
				   * errors coming back (NULL: none) */
	const char *from_node;    /* the sender's node under D */
	bool from_member;         /* from_node is a handle */
	const char *to_node;      /* the recipient's node under D */
	const char *const *jids;  /* where copies go, NULL-terminated */
	/* The relationship from_node -> to_node when the caller read it
	 * (NULL: read it); used to note that a member wrote first. */
	const struct store_relation *known;
};

/* Starts and ends the relay's state (bc_new() and bc_free() call them). */
struct relay *relay_new(void);
void relay_free(struct relay *r);

/* Serialises msg (borrowed) once as a copy from 'from': without 'to' and
 * without XEP-0359 <stanza-id/> elements, which other entities stamped
 * and which name real JIDs.  The caller sends copies with bc_body_send()
 * and clears b. */
void relay_body(struct bc *bc, struct bc_body *b, xmpp_stanza_t *msg,
		const char *from);

/* The size of a stanza id the relay assigns: 128 random bits, base64url
 * (22 characters), and the NUL. */
#define RELAY_SID_SIZE 23

/* A new XEP-0359 stanza id for a relayed message: random (from the
 * kernel's getrandom(), drawn in blocks), so nobody can guess another
 * conversation's ids. */
void relay_new_stanza_id(struct bc *bc, char out[RELAY_SID_SIZE]);

/* Adds <stanza-id xmlns='urn:xmpp:sid:0' by='by' id='sid'/> as the last
 * child of the serialised stanza b. */
void relay_body_stamp(struct bc_body *b, const char *by, const char *sid);

/* Relays m: the stanza gets a stanza id of its own (by the sender's
 * address), then the evidence (for messages with a body) and "wrote first"
 * are written first, then one copy per JID is queued and remembered in
 * the ring.  Returns 0, or BC_EINTERNAL when the store failed (nothing
 * was sent then). */
int relay_deliver(struct bc *bc, const struct relay_msg *m);

/* Delivers a held message (its stored text) to every JID in jids with a
 * XEP-0203 stamp of when it was received.  Returns 0, or -1 when the
 * stored text cannot be read (logged; nothing sent). */
int relay_deliver_held(struct bc *bc, const char *const *jids,
		       const struct store_held *h);

/* What the ring remembers of a message with id relayed from from_node to
 * the real bare JID recipient. */
struct relay_sent {
	const char *sender; /* the real full JID that sent it */
	int64_t ms;         /* when (clock_now_ms()) */
};

/* Looks id up in O(1); false when it is not (or no longer) remembered. */
bool relay_recall(struct bc *bc, const char *from_node, const char *recipient,
		  const char *id, struct relay_sent *out);

#endif
