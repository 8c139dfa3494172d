/*
 * bc.c - the component's state, module start-up and the outbox.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/limits.h"
#include "component/log.h"
#include "component/relay.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/xep.h"

/* Stanzas kept per connection while it is down; past this the oldest go. */
#define BC_OUTBOX_MAX 100000

/* An IQ we sent and wait for. */
struct bc_pending {
	char *to;
	int64_t deadline; /* clock_mono_ms() */
	bc_iq_fn fn;
	void *arg;
};

static void bc_pending_free(void *p)
{
	struct bc_pending *w = p;

	if (w == NULL)
		return;
	free(w->to);
	free(w);
}

struct bc *bc_new(struct cfg *cfg, struct store *store, xmpp_ctx_t *xctx,
		  bc_transport_fn transport, void *transport_arg)
{
	return bc_new_split(cfg, store, store, xctx, transport, transport_arg);
}

/* The rooms store when it is a store of its own, else NULL. */
static struct store *bc_own_rooms(const struct bc *bc)
{
	return bc->rooms_store != bc->store ? bc->rooms_store : NULL;
}

struct bc *bc_new_split(struct cfg *cfg, struct store *store,
			struct store *rooms, xmpp_ctx_t *xctx,
			bc_transport_fn transport, void *transport_arg)
{
	struct bc *bc = xcalloc(1, sizeof(*bc));
	size_t i;

	bc->cfg = cfg;
	bc->store = store;
	bc->rooms_store = rooms;
	bc->xctx = xctx;
	bc->transport = transport;
	bc->transport_arg = transport_arg;
	bc->pending_iq = strmap_new(bc_pending_free);
	bc->outbox_max = BC_OUTBOX_MAX;
	bc->relay = relay_new();
	bc->limits = limits_new(cfg);
	while (xep_registry[bc->n_modules] != NULL)
		bc->n_modules++;
	bc->mod_state = xcalloc(bc->n_modules, sizeof(*bc->mod_state));
	/* Every pass runs in one store batch: bc_flush() ends it (commit and
	 * one log flush) and opens the next. */
	if ((store != NULL && store_batch_begin(store) != 0) ||
	    (bc_own_rooms(bc) != NULL &&
	     store_batch_begin(bc_own_rooms(bc)) != 0)) {
		log_errx("the store could not start a batch");
		if (store != NULL)
			(void)store_batch_end(store);
		limits_free(bc->limits);
		relay_free(bc->relay);
		strmap_free(bc->pending_iq);
		free(bc->mod_state);
		free(bc);
		return NULL;
	}
	for (i = 0; i < bc->n_modules; i++) {
		const struct xep_module *m = xep_registry[i];

		if (m->init != NULL && m->init(bc, &bc->mod_state[i]) < 0) {
			log_errx("module %s failed to start", m->name);
			bc->n_modules = i; /* fini only what started */
			bc_free(bc);
			return NULL;
		}
	}
	return bc;
}

/* Removes the waiter for id and returns it (the caller frees it). */
static struct bc_pending *bc_pending_take(struct bc *bc, const char *id)
{
	struct bc_pending *w = strmap_get(bc->pending_iq, id);
	struct bc_pending *copy;

	if (w == NULL)
		return NULL;
	copy = xmalloc(sizeof(*copy));
	*copy = *w;
	copy->to = xstrdup(w->to);
	strmap_del(bc->pending_iq, id);
	return copy;
}

void bc_iq_send(struct bc *bc, xmpp_stanza_t *iq, int64_t timeout_ms,
		bc_iq_fn fn, void *arg)
{
	struct bc_pending *w = xcalloc(1, sizeof(*w));
	char id[32];

	bc_new_id(bc, id, sizeof(id));
	xmpp_stanza_set_id(iq, id);
	w->to = xstrdup(xmpp_stanza_get_to(iq));
	w->deadline = clock_mono_ms() + timeout_ms;
	w->fn = fn;
	w->arg = arg;
	strmap_put(bc->pending_iq, id, w);
	bc_send(bc, iq);
}

bool bc_iq_answer(struct bc *bc, xmpp_stanza_t *answer)
{
	const char *id = xmpp_stanza_get_id(answer);
	const char *from = xmpp_stanza_get_from(answer);
	struct bc_pending *w;

	if (id == NULL || from == NULL)
		return false;
	w = strmap_get(bc->pending_iq, id);
	/* Only the addressee answers (the server stamps 'from'). */
	if (w == NULL || strcmp(w->to, from) != 0)
		return false;
	w = bc_pending_take(bc, id);
	w->fn(bc, answer, w->arg);
	bc_pending_free(w);
	return true;
}

struct bc_expired {
	int64_t now;
	char **ids;
	size_t n;
};

static void bc_find_expired(const char *id, void *value, void *arg)
{
	struct bc_pending *w = value;
	struct bc_expired *x = arg;

	if (w->deadline <= x->now) {
		x->ids = xreallocarray(x->ids, x->n + 1, sizeof(*x->ids));
		x->ids[x->n++] = xstrdup(id);
	}
}

/* Gives up on the waiters due by now (all of them with INT64_MAX). */
static void bc_iq_give_up(struct bc *bc, int64_t now)
{
	struct bc_expired x = {now, NULL, 0};
	struct bc_pending *w;
	size_t i;

	if (strmap_count(bc->pending_iq) == 0)
		return;
	strmap_each(bc->pending_iq, bc_find_expired, &x);
	for (i = 0; i < x.n; i++) {
		w = bc_pending_take(bc, x.ids[i]);
		if (w != NULL) {
			w->fn(bc, NULL, w->arg);
			bc_pending_free(w);
		}
		free(x.ids[i]);
	}
	free(x.ids);
}

void bc_iq_expire(struct bc *bc)
{
	bc_iq_give_up(bc, clock_mono_ms());
}

void bc_free(struct bc *bc)
{
	size_t i;

	if (bc == NULL)
		return;
	bc->closing = true;
	bc_iq_give_up(bc, INT64_MAX);
	strmap_free(bc->pending_iq);
	relay_free(bc->relay);
	for (i = bc->n_modules; i-- > 0;)
		if (xep_registry[i]->fini != NULL)
			xep_registry[i]->fini(bc, bc->mod_state[i]);
	/* The batch bc_new() or the last bc_flush() opened ends here, so
	 * that the store can serve a new bc (a site of a replication group
	 * that is the master again) or be closed. */
	if (bc->store != NULL)
		(void)store_batch_end(bc->store);
	if (bc_own_rooms(bc) != NULL)
		(void)store_batch_end(bc_own_rooms(bc));
	for (i = 0; i < BC_LINKS; i++) {
		free(bc->outbox[i].buf.p);
		free(bc->outbox[i].ends);
	}
	limits_free(bc->limits);
	free(bc->mod_state);
	free(bc);
}

void *bc_module_state(struct bc *bc, const struct xep_module *mod)
{
	size_t i;

	for (i = 0; i < bc->n_modules; i++)
		if (xep_registry[i] == mod)
			return bc->mod_state[i];
	return NULL;
}

/* Where the live bytes of the outbox start. */
static size_t bc_outbox_start(const struct bc_outbox *o)
{
	return o->first == 0 ? 0 : o->ends[o->first - 1];
}

/* Drops the oldest live stanza in O(1). */
static void bc_outbox_drop(struct bc *bc, struct bc_outbox *o)
{
	o->first++;
	bc->stats.outbox_dropped++;
	/* Said once per thousand, so that a long outage does not flood the
	 * log: the counter has the exact number. */
	if (bc->stats.outbox_dropped % 1000 == 1)
		log_warnx("outbox full (%zu stanzas waiting for a connection): "
			  "dropping the oldest (%" PRIu64 " so far)",
			  bc->outbox_max, bc->stats.outbox_dropped);
}

/* Moves the live part to the front once the dropped part is at least as
 * long: amortised O(1) per stanza. */
static void bc_outbox_compact(struct bc_outbox *o)
{
	size_t start = bc_outbox_start(o), i;

	if (o->first == 0 || o->first < o->n - o->first)
		return;
	memmove(o->buf.p, o->buf.p + start, o->buf.len - start);
	o->buf.len -= start;
	for (i = o->first; i < o->n; i++)
		o->ends[i - o->first] = o->ends[i] - start;
	o->n -= o->first;
	o->first = 0;
}

/* Makes room for one more stanza at the end of o. */
static void bc_outbox_open(struct bc *bc, struct bc_outbox *o)
{
	if (o->n - o->first >= bc->outbox_max)
		bc_outbox_drop(bc, o);
	bc_outbox_compact(o);
	if (o->n == o->ends_cap) {
		o->ends_cap = o->ends_cap ? 2 * o->ends_cap : 64;
		o->ends = xreallocarray(o->ends, o->ends_cap, sizeof(*o->ends));
	}
}

/* Ends the stanza written since bc_outbox_open(). */
static void bc_outbox_close(struct bc_outbox *o)
{
	o->ends[o->n++] = o->buf.len;
}

/* The link whose domain is the domain of the JID from (D by default). */
static enum bc_link bc_link_of(const struct bc *bc, const char *from)
{
	const char *at, *slash, *dom = from;
	size_t len;

	if (from == NULL)
		return BC_LINK_SERVICE;
	slash = strchr(from, '/');
	len = slash ? (size_t)(slash - from) : strlen(from);
	at = memchr(from, '@', len);
	if (at != NULL) {
		len -= (size_t)(at + 1 - from);
		dom = at + 1;
	}
	if (len == strlen(bc->cfg->rooms_domain) &&
	    memcmp(dom, bc->cfg->rooms_domain, len) == 0)
		return BC_LINK_ROOMS;
	return BC_LINK_SERVICE;
}

void bc_body_init_from(struct bc *bc, struct bc_body *b,
		       xmpp_stanza_t *stanza, const char *from,
		       bool (*drop)(xmpp_stanza_t *child))
{
	struct serial_buf buf = {NULL, 0, 0};
	struct serial_top top = {from, NULL, true, drop, &b->splice};

	b->link = bc_link_of(bc, from ? from : xmpp_stanza_get_from(stanza));
	serial_stanza(&buf, stanza, &top);
	serial_reserve(&buf, 1);
	buf.p[buf.len] = '\0';
	b->text = buf.p;
	b->len = buf.len;
}

void bc_body_init(struct bc *bc, struct bc_body *b, xmpp_stanza_t *stanza)
{
	bc_body_init_from(bc, b, stanza, NULL, NULL);
}

/* Appends one copy of b to 'to' (NULL: none) to buf. */
static void bc_body_put(const struct bc_body *b, const char *to,
			struct serial_buf *buf)
{
	serial_reserve(buf, b->len + 8);
	memcpy(buf->p + buf->len, b->text, b->splice);
	buf->len += b->splice;
	if (to != NULL) {
		memcpy(buf->p + buf->len, " to=\"", 5);
		buf->len += 5;
		serial_escaped(buf, to);
		serial_reserve(buf, b->len - b->splice + 1);
		buf->p[buf->len++] = '"';
	}
	memcpy(buf->p + buf->len, b->text + b->splice, b->len - b->splice);
	buf->len += b->len - b->splice;
}

void bc_body_send(struct bc *bc, const struct bc_body *b, const char *to)
{
	struct bc_outbox *o = &bc->outbox[b->link];

	bc_outbox_open(bc, o);
	bc_body_put(b, to, &o->buf);
	bc_outbox_close(o);
}

char *bc_body_text(const struct bc_body *b, const char *to)
{
	struct serial_buf buf = {NULL, 0, 0};

	bc_body_put(b, to, &buf);
	serial_reserve(&buf, 1);
	buf.p[buf.len] = '\0';
	return buf.p;
}

void bc_body_clear(struct bc_body *b)
{
	free(b->text);
	b->text = NULL;
	b->len = b->splice = 0;
}

void bc_fanout(struct bc *bc, xmpp_stanza_t *stanza, const char *const *to,
	       size_t n)
{
	struct bc_body b;
	size_t i;

	if (n == 0)
		return;
	bc_body_init(bc, &b, stanza);
	for (i = 0; i < n; i++)
		bc_body_send(bc, &b, to[i]);
	bc_body_clear(&b);
}

void bc_send(struct bc *bc, xmpp_stanza_t *stanza)
{
	struct serial_top top = {NULL, NULL, false, NULL, NULL};
	struct bc_outbox *o =
		&bc->outbox[bc_link_of(bc, xmpp_stanza_get_from(stanza))];

	bc_outbox_open(bc, o);
	serial_stanza(&o->buf, stanza, &top);
	bc_outbox_close(o);
	xmpp_stanza_release(stanza);
}

void bc_mark(struct bc *bc, struct bc_mark *m)
{
	int i;

	for (i = 0; i < BC_LINKS; i++) {
		m->n[i] = bc->outbox[i].n;
		m->first[i] = bc->outbox[i].first;
		m->len[i] = bc->outbox[i].buf.len;
	}
}

bool bc_rewind(struct bc *bc, const struct bc_mark *m)
{
	int i;

	/* Dropped (first moved, perhaps compacted) or flushed (n fell):
	 * the mark no longer says where the stanzas are. */
	for (i = 0; i < BC_LINKS; i++)
		if (bc->outbox[i].first != m->first[i] ||
		    bc->outbox[i].n < m->n[i] ||
		    bc->outbox[i].buf.len < m->len[i])
			return false;
	for (i = 0; i < BC_LINKS; i++) {
		bc->outbox[i].n = m->n[i];
		bc->outbox[i].buf.len = m->len[i];
	}
	return true;
}

void bc_connected(struct bc *bc, enum bc_link link)
{
	unsigned where = link == BC_LINK_ROOMS ? XEP_AT_ROOMS : XEP_AT_SERVICE;
	size_t i;

	for (i = 0; i < bc->n_modules; i++)
		if (xep_registry[i]->connected != NULL)
			xep_registry[i]->connected(bc, where);
}

void bc_linked(struct bc *bc, const char *bare, bool linked)
{
	size_t i;

	for (i = 0; i < bc->n_modules; i++)
		if (xep_registry[i]->linked != NULL)
			xep_registry[i]->linked(bc, bare, linked);
}

void bc_tick(struct bc *bc)
{
	int64_t now = clock_mono_ms();
	size_t i;

	for (i = 0; i < bc->n_modules; i++)
		if (xep_registry[i]->tick != NULL)
			xep_registry[i]->tick(bc, now);
}

/* Hands link's queued stanzas to the transport; they stay queued when it
 * refuses them. */
static void bc_flush_link(struct bc *bc, enum bc_link link)
{
	struct bc_outbox *o = &bc->outbox[link];
	size_t start = bc_outbox_start(o);
	struct bc_batch batch;
	size_t i;

	if (o->n == o->first)
		return;
	batch.link = link;
	batch.data = o->buf.p + start;
	batch.len = o->buf.len - start;
	batch.n = o->n - o->first;
	/* ends[] relative to data: shift them when some were dropped. */
	if (start != 0)
		for (i = o->first; i < o->n; i++)
			o->ends[i] -= start;
	if (o->first != 0) {
		memmove(o->buf.p, o->buf.p + start, batch.len);
		memmove(o->ends, o->ends + o->first, batch.n * sizeof(*o->ends));
		o->buf.len = batch.len;
		o->n = batch.n;
		o->first = 0;
		batch.data = o->buf.p;
	}
	/* libstrophe 0.12's xmpp_send_raw() copies the bytes with its
	 * strndup(), which runs strlen() over them first: end them with a
	 * NUL (not part of the batch), or it reads past them. */
	serial_reserve(&o->buf, 1);
	o->buf.p[o->buf.len] = '\0';
	batch.data = o->buf.p;
	batch.ends = o->ends;
	if (bc->transport(bc->transport_arg, &batch) != 0)
		return;
	bc->stats.stanzas_out += batch.n;
	bc->stats.bytes_out += batch.len;
	o->buf.len = 0;
	o->n = 0;
}

int bc_flush(struct bc *bc)
{
	int link;

	/* Always: writes that nobody is told about yet (a held message)
	 * become durable within the pass too, and the pass's batch ends. */
	if ((bc->store != NULL && store_flush(bc->store) != 0) ||
	    (bc_own_rooms(bc) != NULL && store_flush(bc_own_rooms(bc)) != 0)) {
		log_errx("the store could not make its log durable: nothing "
			 "more is sent");
		return -1;
	}
	bc->stats.flushes++;
	bc_iq_expire(bc);
	if ((bc->store != NULL && store_batch_begin(bc->store) != 0) ||
	    (bc_own_rooms(bc) != NULL &&
	     store_batch_begin(bc_own_rooms(bc)) != 0)) {
		log_errx("the store could not start a batch");
		return -1;
	}
	for (link = 0; link < BC_LINKS; link++)
		bc_flush_link(bc, (enum bc_link)link);
	return 0;
}

bool bc_serves(const struct bc *bc, enum bc_link link)
{
	if (link == BC_LINK_SERVICE)
		return bc->cfg->shard_store_path == NULL;
	return !bc->cfg->rooms_sharded;
}

const char *bc_new_id(struct bc *bc, char *buf, size_t len)
{
	snprintf(buf, len, "bc-%" PRIu64, ++bc->next_id);
	return buf;
}
