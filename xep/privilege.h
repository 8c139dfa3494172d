/*
 * privilege.h - XEP-0356 privileged entity: roster access granted by the
 * server, used to show message requests in a roster group.
 */
#ifndef BC_XEP_PRIVILEGE_H
#define BC_XEP_PRIVILEGE_H

#include <stdbool.h>

#include "xep/xep.h"

struct bc;

extern const struct xep_module xep_privilege;

/* The roster group pending requests appear in. */
#define PRIVILEGE_REQUESTS_GROUP "Message Requests"

/* When the server of user (a bare JID) granted roster write access: adds
 * contact to user's roster in the Message Requests group under nick
 * (add) or removes it (!add).  Otherwise does nothing. */
void privilege_roster_set(struct bc *bc, const char *user, const char *contact,
			  const char *nick, bool add);

/* After a request is answered: keep moves contact out of the requests
 * group (into no group), !keep removes it. */
void privilege_roster_move(struct bc *bc, const char *user,
			   const char *contact, const char *nick, bool keep);

/* True when the server of user's domain granted roster write access. */
bool privilege_roster_allowed(struct bc *bc, const char *user);

#endif
