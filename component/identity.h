/*
 * identity.h - the mapping between real JIDs and addresses under D.
 *
 * A real account linked to an identity appears as handle@D; any other
 * account appears as its XEP-0106 escaped bare JID under D
 * (carol\40jabber.org@D).  An address under D resolves to an identity's
 * linked JIDs, or to the outside user it escapes.  Nothing here ever
 * returns a real JID to be shown to someone else: callers use the
 * addresses.
 */
#ifndef BC_IDENTITY_H
#define BC_IDENTITY_H

#include <stdbool.h>

#include "component/jid.h"

struct bc;

/* Who a real sender is, as seen under D. */
struct ident_sender {
	bool member;                   /* linked to an identity */
	char node[JID_PART_MAX + 1];   /* handle, or escaped bare JID */
};

/* Works out the address of the real bare JID bare.  Returns 0, or
 * BC_ENOT_ALLOWED for a bare domain (a server has no address under D:
 * escaped, it could read as a handle), BC_EJID_MALFORMED when it cannot be
 * escaped into a node, or BC_EINTERNAL when the store failed. */
int ident_sender(struct bc *bc, const char *bare, struct ident_sender *out);

enum ident_kind {
	IDENT_NONE,    /* no such handle, or a node that is neither form */
	IDENT_MEMBER,  /* a platform identity */
	IDENT_OUTSIDE, /* an escaped outside JID */
};

struct ident_target {
	enum ident_kind kind;
	char handle[HANDLE_MAX + 1]; /* IDENT_MEMBER */
	char **jids;                 /* IDENT_MEMBER: linked bare JIDs */
	char outside[JID_MAX];       /* IDENT_OUTSIDE: the real bare JID */
};

/* Resolves node (of node@D) into *out; free with ident_target_clear().
 * Returns 0, or BC_EINTERNAL when the store failed. */
int ident_resolve(struct bc *bc, const char *node, struct ident_target *out);
void ident_target_clear(struct ident_target *t);

/* Turns what a person typed (a handle, handle@D, an escaped address or an
 * outside user's JID) into the node used for peers; -1 when it is none. */
int ident_peer_node(struct bc *bc, const char *arg, char *out, size_t len);

/* Writes node@D into out (JID_MAX bytes). */
void ident_address(struct bc *bc, const char *node, char *out);

#endif
