/*
 * identity.c - real JIDs to addresses under D and back (see identity.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/errors.h"
#include "component/identity.h"
#include "component/log.h"
#include "store/store.h"

/* Copies src into dst of size bytes, cut short if need be: snprintf's
 * "%s" without the format parsing, on the path of every message. */
static void ident_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int ident_sender(struct bc *bc, const char *bare, struct ident_sender *out)
{
	char handle[STORE_HANDLE_SIZE];
	int rc;

	rc = store_link_get(bc->store, bare, handle);
	if (rc == 0) {
		out->member = true;
		ident_copy(out->node, sizeof(out->node), handle);
		return 0;
	}
	if (rc != STORE_NOTFOUND)
		return BC_EINTERNAL;
	out->member = false;
	/* The namespace rule: an outside address is the escaped bare JID of
	 * an account, so it always holds "\40" (the escaped '@') and can
	 * never be a handle, which has no backslash.  A bare domain (a
	 * server, no account) would escape to itself, a name that can be a
	 * handle: it has no address under D. */
	if (strchr(bare, '@') == NULL)
		return BC_ENOT_ALLOWED;
	if (jid_escape_node(bare, out->node, sizeof(out->node)) < 0)
		return BC_EJID_MALFORMED;
	if (handle_is_valid(out->node))
		return BC_ENOT_ALLOWED; /* cannot happen: "\40" is in it */
	return 0;
}

int ident_resolve(struct bc *bc, const char *node, struct ident_target *out)
{
	struct store_identity id;
	struct jid j;
	int rc;

	memset(out, 0, sizeof(*out));
	out->kind = IDENT_NONE;
	if (handle_is_valid(node)) {
		rc = store_identity_get(bc->store, node, &id);
		if (rc == STORE_NOTFOUND)
			return 0;
		if (rc != 0 || store_link_list(bc->store, node, &out->jids) != 0)
			return BC_EINTERNAL;
		out->kind = IDENT_MEMBER;
		ident_copy(out->handle, sizeof(out->handle), id.handle);
		return 0;
	}
	/* An escaped JID must name a user at another domain: never one of
	 * ours, or the component would talk to itself. */
	if (jid_unescape_node(node, out->outside, sizeof(out->outside)) < 0 ||
	    jid_normalise_bare(out->outside, out->outside,
			       sizeof(out->outside)) < 0 ||
	    jid_parse(out->outside, &j) < 0 || j.node[0] == '\0' ||
	    strcmp(j.domain, bc->cfg->service_domain) == 0 ||
	    strcmp(j.domain, bc->cfg->rooms_domain) == 0)
		return 0;
	/* A linked account is only reachable as its identity: answering at
	 * its escaped address would confirm who is behind the handle. */
	rc = store_link_get(bc->store, out->outside, id.handle);
	if (rc == 0)
		return 0;
	if (rc != STORE_NOTFOUND)
		return BC_EINTERNAL;
	out->kind = IDENT_OUTSIDE;
	return 0;
}

void ident_target_clear(struct ident_target *t)
{
	store_strv_free(t->jids);
	t->jids = NULL;
}

void ident_address(struct bc *bc, const char *node, char *out)
{
	size_t n = strlen(node);

	if (n >= JID_MAX)
		n = JID_MAX - 1;
	memcpy(out, node, n);
	if (n + 1 < JID_MAX) {
		out[n++] = '@';
		ident_copy(out + n, JID_MAX - n, bc->cfg->service_domain);
	} else {
		out[n] = '\0';
	}
}

int ident_peer_node(struct bc *bc, const char *arg, char *out, size_t len)
{
	char bare[JID_MAX];
	struct jid j;

	if (strchr(arg, '@') == NULL)
		return handle_normalise(arg, out) == 0 ? 0 : -1;
	if (jid_parse(arg, &j) < 0 || j.node[0] == '\0')
		return -1;
	if (strcmp(j.domain, bc->cfg->service_domain) == 0) {
		snprintf(out, len, "%s", j.node);
		return 0;
	}
	if (jid_format_bare(&j, bare, sizeof(bare)) < 0)
		return -1;
	return jid_escape_node(bare, out, len);
}
