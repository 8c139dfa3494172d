/*
 * policy.h - the questions every path asks before a member hears from
 * someone: does the member block them, does the member know them, and
 * may the sender send at all (moderation's suspensions and the
 * repeat-offender restriction).
 *
 * One place, so that one-to-one messages, presence, disco, room private
 * messages and invitations all answer them the same way.
 */
#ifndef BC_POLICY_H
#define BC_POLICY_H

#include <stdbool.h>
#include <stdint.h>

struct bc;
struct xep_stanza;

/* True when the member handle blocks peer (a handle or an escaped
 * address).  A store failure reads as "not blocked" and is logged by the
 * store. */
bool policy_blocks(struct bc *bc, const char *handle, const char *peer);

/* True when the member handle knows sender (a handle or an escaped
 * address) whose real bare JID is bare (NULL when unknown): the member
 * follows them, accepted them, wrote to them first, lets everyone
 * through, or bare is a configured admin or moderator. */
bool policy_knows(struct bc *bc, const char *handle, const char *sender,
		  const char *bare);

/* What moderation holds against an address now. */
enum policy_sanction {
	POLICY_FREE,
	POLICY_SUSPENDED,  /* sends nothing until *until_ms */
	POLICY_RESTRICTED, /* reaches only people who know it */
};

/* The sanction of node (a handle or an escaped address) in force now:
 * one cached store read.  A suspension past its end is none.  A store
 * failure reads as free (the store logs it). */
enum policy_sanction policy_sanction(struct bc *bc, const char *node,
				     int64_t *until_ms);

/* The text of the error a suspended sender gets: "Your account is
 * suspended by the moderators until TIME." (XEP-0082).  A static buffer,
 * good until the next call. */
const char *policy_suspended_text(int64_t until_ms);

/* Whether st, from sender (its node; st->from_bare its real JID), may go
 * to the member to_handle (NULL: not a member).  Returns 0, or
 * BC_EPOLICY_VIOLATION with the error's text set: a suspended sender
 * (the text names the end, XEP-0082), or a restricted one writing to a
 * member who does not know it. */
int policy_may_send(struct xep_stanza *st, const char *sender,
		    const char *to_handle);

/* After a report about reported (an address under D, node@D, or an
 * outside user's bare JID): restricts it when the configured number of
 * distinct reporters reported it within the window (<reports/>). */
void policy_report_filed(struct bc *bc, const char *reported);

#endif
