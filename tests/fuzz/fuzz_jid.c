/*
 * fuzz_jid.c - libFuzzer harness: JIDs, XEP-0106 escaping and handles
 * (component/jid.h) and the address of a peer (ident_peer_node(),
 * component/identity.h) on arbitrary strings.
 *
 * Oracles, beyond no crash, leak or undefined behaviour:
 *   - normalisation is stable: a parsed JID's bare form parses to the
 *     same node and domain with no resource, and normalises to itself;
 *   - escaping round-trips: an outside bare JID escaped and unescaped is
 *     itself, and its escaped form is a usable node of D;
 *   - no outside address ever reads as a handle: the escaped form of an
 *     outside account's bare JID is never a valid handle, so that nobody
 *     outside can be taken for a member or reach one through their own
 *     address (a bare domain, which would escape to itself, has no
 *     address under D at all: ident_sender() refuses it, see
 *     docs/PROTOCOL.md and test_im's domains_are_not_members);
 *   - handles: handle_normalise() gives a valid handle or refuses, and a
 *     valid handle is its own normal form.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/identity.h"
#include "component/jid.h"
#include "component/xmalloc.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cfg *fuzz_jid_cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	fuzz_jid_cfg = fuzz_cfg();
	return 0;
}

static void fuzz_outside(const char *in, const char *bare)
{
	char esc[JID_MAX], back[JID_MAX] = "", addr[JID_MAX + 16];
	struct jid j;

	if (jid_escape_node(bare, esc, sizeof(esc)) < 0)
		return; /* too long to be a node: refused, never a handle */
	if (strchr(bare, '@') != NULL && handle_is_valid(esc))
		fuzz_fail("the outside address '%s' (from '%s') escapes to "
			  "'%s', a valid handle",
			  bare, in, esc);
	if (jid_unescape_node(esc, back, sizeof(back)) < 0 ||
	    strcmp(back, bare) != 0)
		fuzz_fail("'%s' escapes to '%s', which unescapes to '%s'",
			  bare, esc, back);
	snprintf(addr, sizeof(addr), "%s@" FUZZ_D, esc);
	if (jid_parse(addr, &j) < 0 || strcmp(j.node, esc) != 0)
		fuzz_fail("'%s' escapes to '%s', no node of D", bare, esc);
}

static void fuzz_handle(const char *in)
{
	char h[HANDLE_MAX + 1], h2[HANDLE_MAX + 1];

	if (handle_normalise(in, h) != 0)
		return;
	if (!handle_is_valid(h) || strlen(h) > HANDLE_MAX)
		fuzz_fail("'%s' normalises to '%s', not a valid handle", in, h);
	if (handle_normalise(h, h2) != 0 || strcmp(h, h2) != 0)
		fuzz_fail("the handle '%s' is not its own normal form", h);
}

static void fuzz_peer(const char *in)
{
	struct bc bc = {.cfg = fuzz_jid_cfg};
	char node[JID_MAX];
	struct jid j;

	if (ident_peer_node(&bc, in, node, sizeof(node)) != 0)
		return;
	/* What someone typed for an outside user is never a handle. */
	if (jid_parse(in, &j) == 0 && strchr(in, '@') != NULL &&
	    strcmp(j.domain, FUZZ_D) != 0 && handle_is_valid(node))
		fuzz_fail("the outside user '%s' is the peer node '%s', a "
			  "valid handle",
			  in, node);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, bare[JID_MAX], bare2[JID_MAX] = "";
	struct jid *j = xmalloc(sizeof(*j)), *k = xmalloc(sizeof(*k));

	in = xmalloc(size + 1);
	memcpy(in, data, size);
	in[size] = '\0';
	fuzz_handle(in);
	fuzz_peer(in);
	if (jid_parse(in, j) == 0) {
		if (jid_format_bare(j, bare, sizeof(bare)) < 0)
			fuzz_fail("'%s' parses but has no bare form", in);
		if (jid_parse(bare, k) < 0 || strcmp(j->node, k->node) != 0 ||
		    strcmp(j->domain, k->domain) != 0 || k->resource[0])
			fuzz_fail("'%s' has the bare form '%s', which parses "
				  "otherwise",
				  in, bare);
		if (jid_normalise_bare(bare, bare2, sizeof(bare2)) < 0 ||
		    strcmp(bare, bare2) != 0)
			fuzz_fail("the bare JID '%s' normalises to '%s'", bare,
				  bare2);
		if (strcmp(j->domain, FUZZ_D) != 0 &&
		    strcmp(j->domain, FUZZ_M) != 0)
			fuzz_outside(in, bare);
	}
	free(in);
	free(j);
	free(k);
	return 0;
}
