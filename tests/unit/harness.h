/*
 * harness.h - feeds stanza text through the real router and records what
 * the component sends, for XPath assertions.
 */
#ifndef BC_TEST_HARNESS_H
#define BC_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

#include <strophe.h>

struct harness {
	xmpp_ctx_t *xctx;
	struct cfg *cfg;
	struct store *store;
	struct bc *bc;
	char **sent; /* serialised stanzas, in order */
	size_t n_sent;
	bool transport_down; /* when true the transport refuses stanzas */
	char dir[64];        /* the store's temporary directory, or "" */
};

/* A harness with D = bc.test, M = rooms.bc.test.  extra is XML inserted
 * into <backchannel> (may be NULL).  with_store opens a store in a new
 * temporary directory. */
struct harness *harness_new(const char *extra, bool with_store);
void harness_free(struct harness *h);

/* Parses xml as one stanza, dispatches it and flushes the outbox. */
void harness_feed(struct harness *h, const char *xml);

/* Forgets what was recorded so far. */
void harness_clear(struct harness *h);

/* The XPath string value of expr evaluated on sent stanza i (a new string;
 * free it).  Prefixes: disco, items, data, st (stanza errors), ver, ping,
 * blk (blocking errors). */
char *harness_xpath(struct harness *h, size_t i, const char *expr);

/* Asserts that expr on sent stanza i has the string value expected. */
void harness_assert(struct harness *h, size_t i, const char *expr,
		    const char *expected);

/* Asserts that exactly n stanzas were sent. */
void harness_assert_count(struct harness *h, size_t n);

#endif
