/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz/ share: a component
 * (struct bc) on a private in-memory store with a recording transport, the
 * stanza checks their oracles use, and a way to fail loudly.
 *
 * An oracle that does not hold calls fuzz_fail(), which prints why and
 * aborts: libFuzzer then keeps the input as a crash (docs/FUZZING.md).
 */
#ifndef BC_FUZZ_H
#define BC_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <strophe.h>

/* D and M of every harness. */
#define FUZZ_D "bc.test"
#define FUZZ_M "rooms.bc.test"

/* A component with everything it owns, and what it sent. */
struct fuzz_bc {
	xmpp_ctx_t *xctx;
	struct cfg *cfg;
	struct store *store;
	struct bc *bc;
	char **sent; /* serialised stanzas, in order */
	size_t n_sent;
};

/* Prints "fuzz: " and the message and aborts. */
void fuzz_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* Once per process: quiet logging (errors only, or the level named by
 * $FUZZ_LOG), a pinned clock, libxml2 silenced. */
void fuzz_init(void);

/* The configuration every component harness uses: D, M, one admin and
 * one moderator.  A new cfg; free with cfg_free(). */
struct cfg *fuzz_cfg(void);

/* A component on a new in-memory store with the members of fuzz.c
 * (alice, bob, carol, and dave without a linked account); with rooms,
 * also the live audio room live@M (carol hosts, bob speaks). */
void fuzz_bc_new(struct fuzz_bc *f, bool rooms);
void fuzz_bc_free(struct fuzz_bc *f);

/* Dispatches stanza (borrowed), runs the tick hooks and flushes. */
void fuzz_bc_feed(struct fuzz_bc *f, xmpp_stanza_t *stanza);

/* The real accounts linked to identities in fuzz_bc_new(), NULL-ended. */
extern const char *const fuzz_linked[];

/* text (len bytes) parsed by libxml2 as a document on its own: a new
 * document, or NULL when it is not well-formed XML. */
struct _xmlDoc *fuzz_parse_xml(const char *text, size_t len);

/* A new in-memory store, or fuzz_fail(). */
struct store *fuzz_store(void);

#endif
