/*
 * presence.h - presence for D and the identities (RFC 6121 §3-4, with the
 * XEP-0100 transport conventions for linked accounts).
 */
#ifndef BC_XEP_PRESENCE_H
#define BC_XEP_PRESENCE_H

#include <stdbool.h>

#include "xep/xep.h"

extern const struct xep_module xep_presence;

/* A real account was just linked: D asks it for a presence subscription,
 * so that its identity shows online once the account agrees. */
void presence_linked(struct bc *bc, const char *bare);

/* A real account was unlinked: D ends the subscription both ways and the
 * account no longer counts towards its identity's presence. */
void presence_unlinked(struct bc *bc, const char *bare);

/* True when any JID linked to handle is online. */
bool presence_identity_online(struct bc *bc, const char *handle);

/* Asks every linked account for its presence (after D connects) and
 * renews D's subscription request to those that have not answered: a
 * round paced over the module's ticks (at most 200 accounts a tick,
 * 2,000 a second), the first page at once. */
void presence_probe_all(struct bc *bc);

#endif
