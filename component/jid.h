/*
 * jid.h - JIDs, platform handles and the XEP-0106 escaping that turns an
 * outside user's bare JID into a node of D.
 *
 * Normalisation here is the ASCII subset of RFC 7622: domains and nodes are
 * lower-cased, resources kept as they are.  Handles are [a-z0-9._-]{1,64},
 * lower-cased on input.
 */
#ifndef BC_JID_H
#define BC_JID_H

#include <stdbool.h>
#include <stddef.h>

#define JID_PART_MAX 1023
#define JID_MAX (3 * JID_PART_MAX + 3)
#define HANDLE_MAX 64

struct jid {
	char node[JID_PART_MAX + 1];     /* "" when absent */
	char domain[JID_PART_MAX + 1];
	char resource[JID_PART_MAX + 1]; /* "" when absent */
};

/* Splits s into parts, lower-casing node and domain.  Returns 0, or -1 when
 * s is not a well-formed JID (empty domain, over-long part, forbidden
 * characters in the node, empty node or resource after a separator). */
int jid_parse(const char *s, struct jid *out);

/* Writes node@domain (or domain) into out; returns 0 or -1 if it does not
 * fit. */
int jid_format_bare(const struct jid *j, char *out, size_t len);

/* Parses in and writes its normalised bare form; -1 when in is malformed
 * or carries a resource. */
int jid_normalise_bare(const char *in, char *out, size_t len);

/* Writes the normalised bare form of a (possibly full) JID; -1 when
 * malformed. */
int jid_to_bare(const char *in, char *out, size_t len);

/* XEP-0106: escapes a bare JID (user@host) into a node.  Returns 0, or -1
 * when the result would not fit or exceed JID_PART_MAX. */
int jid_escape_node(const char *bare, char *out, size_t len);

/* XEP-0106: unescapes a node.  Returns 0, or -1 when it does not fit. */
int jid_unescape_node(const char *node, char *out, size_t len);

/* Lower-cases and checks a handle into out (HANDLE_MAX + 1 bytes);
 * returns 0 or -1 when it is not [a-z0-9._-]{1,64}. */
int handle_normalise(const char *in, char *out);

/* True when node is a handle (as opposed to an escaped outside JID). */
bool handle_is_valid(const char *node);

#endif
