/*
 * policy.h - the questions every path asks before a member hears from
 * someone: does the member block them, does the member know them.
 *
 * One place, so that one-to-one messages, presence, disco, room private
 * messages and invitations all answer them the same way.
 */
#ifndef BC_POLICY_H
#define BC_POLICY_H

#include <stdbool.h>

struct bc;

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

#endif
