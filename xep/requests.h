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

/* The text of the <not-allowed/> a rooms instance, which holds no
 * requests, answers a message that would open one. */
#define REQUESTS_NOT_HERE                                                      \
	"This person does not know you yet: write to them at their address "  \
	"on the service, where your message becomes a message request."

/* What the gate decided about a message to a member. */
enum requests_verdict {
	REQUESTS_DELIVER, /* a known sender: relay it now */
	REQUESTS_HELD,    /* held as a request, or dropped without a word
			   * (nothing flows back while one is pending) */
};

/* Decides the fate of st's message from `from` to the member `to` into
 * *verdict.  rel is to's relationship to the sender when the caller has
 * read it in this pass (only its block and decline are used), NULL to
 * read it here.  Returns 0, or a BC_E* error for the sender. */
int requests_gate(struct xep_stanza *st, const struct ident_sender *from,
		  const struct ident_target *to,
		  const struct store_relation *rel,
		  enum requests_verdict *verdict);

/* requests_accept() and requests_decline(): no request from peer is
 * pending (a positive "not found", nothing done). */
#define REQUESTS_NONE_PENDING 1

/* What a member (handle) does about a pending request from peer.  Each
 * returns 0, REQUESTS_NONE_PENDING (accept, decline), or a BC_E* code.
 * by_presence: the member accepted by approving the subscription request
 * (their server has nothing pending then); any other way of accepting
 * withdraws the subscription request, as declining always does. */
int requests_accept(struct bc *bc, const char *handle, const char *peer,
		    bool by_presence);
int requests_decline(struct bc *bc, const char *handle, const char *peer);
int requests_block(struct bc *bc, const char *handle, const char *peer);
int requests_unblock(struct bc *bc, const char *handle, const char *peer);

/* Files a report (reports_file(), naming the n_refs messages of refs) of
 * peer by the member handle, then blocks peer: XEP-0377 reports always
 * come with a block.  A handle that does not exist is only blocked: no
 * report about it is stored, nobody is told, and it returns 0 with *id 0;
 * the caller's answer must not differ.  Returns 0 (the report's id in
 * *id) or a BC_E* code. */
struct reports_ref;
int requests_report(struct bc *bc, const char *handle, const char *peer,
		    const char *reason, const char *text,
		    const struct reports_ref *refs, size_t n_refs,
		    unsigned long *id);

/* The same for a room report a rooms instance chose and sent on to D
 * (reports_forward()): f->handle blocks f->peer, and f is filed. */
struct reports_filed;
int requests_report_filed(struct bc *bc, const struct reports_filed *f,
			  unsigned long *id);

/* The preview of a message request: plain text, links made inert, at
 * most max bytes of it (a new string). */
char *requests_defang(const char *text, size_t max);

/* One line describing each pending request of handle, for people: a new
 * string ("" when there is none). */
char *requests_describe(struct bc *bc, const char *handle);

#endif
