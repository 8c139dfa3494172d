/*
 * bc.h - the component's state, shared by the router and every module.
 *
 * struct bc owns the configuration, the store handle, the libstrophe
 * context used to build stanzas, the per-module state and the outbox.
 * Nothing in it is global, so tests build as many as they like.
 *
 * Output: every stanza goes through bc_send(), which queues it in the
 * outbox.  The store calls of one event-loop pass run in one store batch;
 * bc_flush() commits it and makes it durable (one log flush: group commit)
 * and only then hands the queued stanzas to the transport.  So nothing
 * that reveals a state change leaves the process before that change is on
 * disk.
 */
#ifndef BC_BC_H
#define BC_BC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <strophe.h>

struct cfg;
struct store;
struct xep_module;

/* Where flushed stanzas go.  It returns 0 when the stanza was taken, or -1
 * when its connection is down (the stanza stays queued).  It borrows the
 * stanza.  The daemon's transport writes to the libstrophe connection for
 * the stanza's 'from' domain; tests install a recorder. */
typedef int (*bc_transport_fn)(void *arg, xmpp_stanza_t *stanza);

struct bc_stats {
	uint64_t stanzas_in;
	uint64_t stanzas_out;
	uint64_t errors_out;
	uint64_t flushes;
};

struct strmap;

struct bc {
	struct cfg *cfg;       /* borrowed: owned by the caller */
	struct store *store;   /* borrowed; may be NULL in unit tests */
	xmpp_ctx_t *xctx;      /* borrowed */
	bc_transport_fn transport;
	void *transport_arg;
	void **mod_state;      /* one slot per xep_registry entry */
	size_t n_modules;
	xmpp_stanza_t **outbox;
	size_t outbox_len;
	size_t outbox_cap;
	uint64_t next_id;
	struct strmap *pending_iq; /* id -> struct bc_pending (bc.c) */
	struct bc_stats stats;
};

/* Called with the answer (result or error, borrowed) to an IQ sent with
 * bc_iq_send(), or with NULL when none came in time or bc is freed.  It
 * owns arg. */
typedef void (*bc_iq_fn)(struct bc *bc, xmpp_stanza_t *answer, void *arg);

/* Creates the state and runs every module's init.  Returns NULL (after
 * logging) when a module fails to start. */
struct bc *bc_new(struct cfg *cfg, struct store *store, xmpp_ctx_t *xctx,
		  bc_transport_fn transport, void *transport_arg);

/* Runs every module's fini and frees what bc owns; accepts NULL.
 * Stanzas still in the outbox are dropped. */
void bc_free(struct bc *bc);

/* Queues stanza for sending after the next commit; takes ownership. */
void bc_send(struct bc *bc, xmpp_stanza_t *stanza);

/* Group commit, then transport.  Returns 0, or -1 when the store could not
 * be made durable (nothing is sent then: the caller must stop). */
int bc_flush(struct bc *bc);

/* Sends iq (taking ownership; its id is set here) and calls fn with the
 * answer from its addressee, or with NULL after timeout_ms. */
void bc_iq_send(struct bc *bc, xmpp_stanza_t *iq, int64_t timeout_ms,
		bc_iq_fn fn, void *arg);

/* Hands an IQ result or error to whoever waits for it; false when nobody
 * does (the router then drops it). */
bool bc_iq_answer(struct bc *bc, xmpp_stanza_t *answer);

/* Gives up on the IQs whose time is up (their callbacks get NULL); called
 * once a pass by bc_flush(). */
void bc_iq_expire(struct bc *bc);

/* The state a module's init returned, or NULL. */
void *bc_module_state(struct bc *bc, const struct xep_module *mod);

/* A new stanza id unique within this process ("bc-<n>"), into buf. */
const char *bc_new_id(struct bc *bc, char *buf, size_t len);

#endif
