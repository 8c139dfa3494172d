/*
 * bc.h - the component's state, shared by the router and every module.
 *
 * struct bc owns the configuration, the store handle, the libstrophe
 * context used to build stanzas, the per-module state and the outbox.
 * Nothing in it is global, so tests build as many as they like.
 *
 * Output: every stanza goes through bc_send() (or bc_fanout() for one
 * stanza to many), which serialises it once into the outbox of its
 * connection (D or M, by the domain of its 'from').  The outbox holds
 * bytes, not stanza objects: a copy for another recipient is the same
 * bytes with only 'to' spliced in.  The store calls of one event-loop pass
 * run in one store batch; bc_flush() commits it and makes it durable (one
 * log flush: group commit) and only then hands each connection's queued
 * bytes to the transport in one piece.  So nothing that reveals a state
 * change leaves the process before that change is on disk.
 */
#ifndef BC_BC_H
#define BC_BC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <strophe.h>

#include "component/serial.h"

struct cfg;
struct store;
struct xep_module;

/* The two component connections. */
enum bc_link {
	BC_LINK_SERVICE, /* D */
	BC_LINK_ROOMS,   /* M */
	BC_LINKS
};

/* What one flush hands to the transport for one connection: n serialised
 * stanzas back to back in data[0..len); stanza i ends at ends[i]. */
struct bc_batch {
	enum bc_link link;
	const char *data;
	size_t len;
	const size_t *ends;
	size_t n;
};

/* Where flushed stanzas go.  It returns 0 when the whole batch was taken,
 * or -1 when the connection is down (the batch stays queued and is offered
 * again with whatever is added, at the next flush).  It borrows the batch.
 * The daemon's transport writes it to the link's libstrophe connection in
 * one write; tests install a recorder that splits it at ends[].  Whoever
 * owns the struct bc may replace the function (tests do). */
typedef int (*bc_transport_fn)(void *arg, const struct bc_batch *batch);

struct bc_stats {
	uint64_t stanzas_in;
	uint64_t stanzas_out;
	uint64_t bytes_out;
	uint64_t errors_out;
	uint64_t flushes;
	uint64_t outbox_dropped; /* stanzas dropped from a full outbox */
};

/* One connection's queue: serialised stanzas back to back.  Stanzas
 * [first, n) are live; the oldest is dropped in O(1) by moving first. */
struct bc_outbox {
	struct serial_buf buf; /* live bytes start at ends[first - 1] */
	size_t *ends;      /* end offset of each stanza */
	size_t first, n, ends_cap;
};

/* A stanza serialised once for several recipients: the text without a
 * 'to', and where ' to="..."' goes (just after the element name). */
struct bc_body {
	char *text;
	size_t len;
	size_t splice;
	enum bc_link link;
};

struct strmap;
struct relay;
struct limits;

struct bc {
	struct cfg *cfg;       /* borrowed: owned by the caller */
	struct store *store;   /* borrowed; may be NULL in unit tests */
	/* Where the rooms are kept (xep/muc/, borrowed): the store itself,
	 * except on a rooms instance (<shard/>), whose own rooms store sits
	 * beside the directory it reads from its replication group. */
	struct store *rooms_store;
	xmpp_ctx_t *xctx;      /* borrowed */
	bc_transport_fn transport;
	void *transport_arg;
	void **mod_state;      /* one slot per xep_registry entry */
	size_t n_modules;
	struct bc_outbox outbox[BC_LINKS];
	size_t outbox_max;     /* stanzas per link kept while it is down */
	uint64_t next_id;
	struct strmap *pending_iq; /* id -> struct bc_pending (bc.c) */
	bool closing; /* in bc_free(): IQ waiters are given up, and must
		       * neither act on that nor send more */
	struct relay *relay;   /* component/relay.c */
	struct limits *limits; /* the abuse bounds (component/limits.h) */
	/* The store's file system is below its reserve (set by the daemon,
	 * which watches it): the router refuses messages and IQ sets with
	 * <resource-constraint/> until space returns. */
	bool store_full;
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

/* The same with the rooms in a store of their own (a rooms instance);
 * rooms == store is bc_new(). */
struct bc *bc_new_split(struct cfg *cfg, struct store *store,
			struct store *rooms, xmpp_ctx_t *xctx,
			bc_transport_fn transport, void *transport_arg);

/* Runs every module's fini and frees what bc owns; accepts NULL.
 * Stanzas still in the outbox are dropped. */
void bc_free(struct bc *bc);

/* Queues stanza for sending after the next commit; takes ownership.  It
 * is serialised here, once; a full outbox drops its oldest stanza (logged
 * and counted in stats.outbox_dropped). */
void bc_send(struct bc *bc, xmpp_stanza_t *stanza);

/* Where the outbox stands, so that what a request queued can be taken
 * back when it fails part way (bc_rewind()). */
struct bc_mark {
	size_t n[BC_LINKS], first[BC_LINKS], len[BC_LINKS];
};
void bc_mark(struct bc *bc, struct bc_mark *m);
/* Takes back every stanza queued since m; false (taking nothing back)
 * when the outbox was flushed or dropped stanzas since. */
bool bc_rewind(struct bc *bc, const struct bc_mark *m);

/* Queues one copy of stanza for each of the n addresses in to[]: it is
 * serialised once and the copies differ only in 'to'.  Borrows stanza
 * and to[]; the stanza's own 'to', if any, is removed. */
void bc_fanout(struct bc *bc, xmpp_stanza_t *stanza, const char *const *to,
	       size_t n);

/* The pieces of bc_fanout(), for a caller that keeps the bytes (an
 * archive, an evidence log) or addresses copies over time.
 * bc_body_init() serialises stanza (borrowed) without its 'to' into b;
 * bc_body_send() queues one copy to 'to'; bc_body_clear() frees b's text
 * (b may be zeroed or cleared already). */
void bc_body_init(struct bc *bc, struct bc_body *b, xmpp_stanza_t *stanza);
/* The same with 'from' replaced by from and the top element's children
 * for which drop() is true left out (drop may be NULL): a relayed copy,
 * without copying the stanza. */
void bc_body_init_from(struct bc *bc, struct bc_body *b,
		       xmpp_stanza_t *stanza, const char *from,
		       bool (*drop)(xmpp_stanza_t *child));
/* The text of one copy of b addressed to 'to' (a new string). */
char *bc_body_text(const struct bc_body *b, const char *to);
void bc_body_send(struct bc *bc, const struct bc_body *b, const char *to);
void bc_body_clear(struct bc_body *b);

/* Calls every module's connected hook: link has come up (again). */
void bc_connected(struct bc *bc, enum bc_link link);

/* Calls every module's linked hook: the account bare was linked to an
 * identity (linked true) or unlinked. */
void bc_linked(struct bc *bc, const char *bare, bool linked);

/* Calls every module's tick hook; the daemon does once a pass, before
 * bc_flush(). */
void bc_tick(struct bc *bc);

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

/* Whether this daemon serves the domain of link: a rooms instance
 * (<shard/>) serves M alone, a daemon with <rooms sharded="true"> D
 * alone, any other both (docs/SCALING.md). */
bool bc_serves(const struct bc *bc, enum bc_link link);

/* A new stanza id unique within this process ("bc-<n>"), into buf. */
const char *bc_new_id(struct bc *bc, char *buf, size_t len);

#endif
