/*
 * requests.h - message requests: what happens to messages from senders a
 * member does not know, and the actions on a pending request (accept,
 * decline, block, report) shared by the presence answers, the text
 * commands and the ad-hoc commands.
 */
#ifndef BC_XEP_REQUESTS_H
#define BC_XEP_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>

#include "component/identity.h"
#include "xep/xep.h"

struct bc;

extern const struct xep_module xep_requests;

/* requests_gate() result: the message may be relayed now. */
#define REQUESTS_DELIVER 1

/* Decides the fate of st's message from `from` to the member `to`.
 * Returns REQUESTS_DELIVER for a known sender, XEP_OK when the message
 * was held (or silently dropped: nothing flows back while a request is
 * pending), or a BC_E* error for the sender. */
int requests_gate(struct xep_stanza *st, const struct ident_sender *from,
		  const struct ident_target *to);

/* True when the member handle blocks peer (a handle or an address). */
bool requests_blocks(struct bc *bc, const char *handle, const char *peer);

/* True when the member handle knows sender (a handle or escaped address)
 * whose real bare JID is bare (for the admin and moderator rule). */
bool requests_knows(struct bc *bc, const char *handle, const char *sender,
		    const char *bare);

/* What a member (handle) does about a pending request from peer.  Each
 * returns 0, STORE_NOTFOUND-like 1 when there is no such request (accept,
 * decline), or a BC_E* code. */
int requests_accept(struct bc *bc, const char *handle, const char *peer);
int requests_decline(struct bc *bc, const char *handle, const char *peer);
int requests_block(struct bc *bc, const char *handle, const char *peer);
int requests_unblock(struct bc *bc, const char *handle, const char *peer);
int requests_report(struct bc *bc, const char *handle, const char *peer,
		    const char *reason, const char *text, unsigned long *id);

/* Stores a report that came from elsewhere (a server forwarding one, a
 * non-member) and tells the moderators; reporter and reported are kept as
 * given.  evidence may be NULL.  Returns 0 (the id in *id) or a BC_E*
 * code. */
int requests_report_received(struct bc *bc, const char *reporter,
			     const char *reported, const char *reason,
			     const char *text, char **evidence,
			     unsigned long *id);

/* Turns what a person typed (a handle, handle@D, an escaped address or an
 * outside user's JID) into the node used for peers; -1 when it is none. */
int requests_peer_node(struct bc *bc, const char *arg, char *out,
		       size_t len);

/* The preview of a message request: plain text, links made inert, at
 * most max bytes of it (a new string). */
char *requests_defang(const char *text, size_t max);

/* One line describing each pending request of handle, for people: a new
 * string ("" when there is none). */
char *requests_describe(struct bc *bc, const char *handle);

#endif
