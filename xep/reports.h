/*
 * reports.h - abuse reports: stored with evidence, sent on to the
 * moderators as XEP-0377 stanzas.
 */
#ifndef BC_XEP_REPORTS_H
#define BC_XEP_REPORTS_H

#include <stdbool.h>
#include <stddef.h>

#include <strophe.h>

#include "component/limits.h"

struct bc;
struct xep_stanza;

/* The abuse bound on reports: takes n from the allowance of key (of kind
 * LIMITS_REPORTS or LIMITS_FORWARDED_IN) for the stanza st that files
 * them.  Returns 0, or fails st with <policy-violation/> (logged by
 * component/limits.c) and returns that code. */
int reports_allow(struct xep_stanza *st, enum limits_kind kind,
		  const char *key, unsigned n);

/* Stanza ids one report may name, and the length of one id, at most. */
#define REPORTS_REFS_MAX 16
#define REPORTS_ID_MAX 64

/* A message named by a report (XEP-0359): its stanza id, and the room
 * node when the id is a room's (by='room@M'; NULL for the one-to-one ids
 * the relay gives, by an address under D). */
struct reports_ref {
	const char *id;
	const char *room;
};

/* Whether the member handle could see the messages of the room node
 * room, into *sees: a member of it (or more), or any member for an audio
 * room; false for a room that does not exist.  Returns 0 or a BC_E*
 * code. */
int reports_sees(struct bc *bc, const char *room, const char *handle,
		 bool *sees);

/* The member handle reports peer (a handle or an escaped address) for
 * reason (a XEP-0377 URN) with optional text.  The evidence is the n_refs
 * messages refs names, those that are the service's and between the two
 * (ids of anything else are ignored, silently); with no refs, what is
 * held and logged from peer to handle.  The report is stored with it and
 * every configured moderator is told, all the evidence forwarded; for a
 * room message the room's owners and admins are told too, with that
 * room's messages only (never one-to-one ones).  Returns 0 (the report's
 * id in *id) or a BC_E* code.  Blocking is the caller's:
 * requests_report() does both. */
int reports_file(struct bc *bc, const char *handle, const char *peer,
		 const char *reason, const char *text,
		 const struct reports_ref *refs, size_t n_refs,
		 unsigned long *id);

/* Stores a report that came from elsewhere (a server forwarding one, a
 * non-member) and tells the moderators.  reporter is kept as given (the
 * caller makes a member's JID their address); reported too, but for a
 * member's linked account, which becomes the member's address under D
 * (stored, shown and counted against the member, never the real JID).
 * msg (borrowed, may be NULL) is the reported message: it is
 * stored and forwarded rebuilt under addresses (reports_clean_message()).
 * Returns 0 (the id in *id) or a BC_E* code. */
int reports_received(struct bc *bc, const char *reporter,
		     const char *reported, const char *reason,
		     const char *text, xmpp_stanza_t *msg, unsigned long *id);

/* Room reports on a rooms instance (<shard/>), which holds the rooms but
 * cannot change the directory (docs/SCALING.md). */

/* On the instance: chooses the evidence of handle's report on peer as
 * reports_file() does, with the owners and admins of its rooms, and sends
 * it all to D in one message from M.  Returns 0 or a BC_E* code; the
 * daemon serving D blocks and files it (requests_report_filed()). */
int reports_forward(struct bc *bc, const char *handle, const char *peer,
		    const char *reason, const char *text,
		    const struct reports_ref *refs, size_t n_refs);

struct reports_case;

/* Such a report as D reads it from <filed xmlns=NS_BC_FILED/>. */
struct reports_filed {
	char *handle, *peer; /* reporter and reported */
	char *reason, *text;
	struct reports_case *c; /* the evidence and the rooms' staff */
};

/* Reads el; NULL when it is not a well-formed filing. */
struct reports_filed *reports_filed_read(struct bc *bc, xmpp_stanza_t *el);
void reports_filed_free(struct reports_filed *f);

/* Stores it and tells the moderators and the rooms' owners and admins, as
 * reports_file() does.  Returns 0 (the id in *id) or a BC_E* code. */
int reports_file_filed(struct bc *bc, const struct reports_filed *f,
		       unsigned long *id);

/* A new message with msg's type, body (cut to body_max bytes) and, when
 * msg is ours (stored by the service), the service's own stanza id; its
 * 'from' and 'to' made addresses under D (or M): what a moderator may see
 * of msg. */
xmpp_stanza_t *reports_clean_message(struct bc *bc, xmpp_stanza_t *msg,
				     size_t body_max, bool ours);

#endif
