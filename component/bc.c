/*
 * bc.c - the component's state, module start-up and the outbox.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/clock.h"
#include "component/log.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/xep.h"

/* Stanzas kept while their connection is down; past this the oldest go. */
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
	struct bc *bc = xcalloc(1, sizeof(*bc));
	size_t i;

	bc->cfg = cfg;
	bc->store = store;
	bc->xctx = xctx;
	bc->transport = transport;
	bc->transport_arg = transport_arg;
	bc->pending_iq = strmap_new(bc_pending_free);
	while (xep_registry[bc->n_modules] != NULL)
		bc->n_modules++;
	bc->mod_state = xcalloc(bc->n_modules, sizeof(*bc->mod_state));
	/* Every pass runs in one store batch: bc_flush() ends it (commit and
	 * one log flush) and opens the next. */
	if (store != NULL && store_batch_begin(store) != 0) {
		log_errx("the store could not start a batch");
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
	bc_iq_give_up(bc, INT64_MAX);
	strmap_free(bc->pending_iq);
	for (i = bc->n_modules; i-- > 0;)
		if (xep_registry[i]->fini != NULL)
			xep_registry[i]->fini(bc, bc->mod_state[i]);
	for (i = 0; i < bc->outbox_len; i++)
		xmpp_stanza_release(bc->outbox[i]);
	free(bc->outbox);
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

void bc_send(struct bc *bc, xmpp_stanza_t *stanza)
{
	if (bc->outbox_len == BC_OUTBOX_MAX) {
		log_warnx("outbox full (%d stanzas waiting for a connection): "
			  "dropping the oldest",
			  BC_OUTBOX_MAX);
		xmpp_stanza_release(bc->outbox[0]);
		memmove(bc->outbox, bc->outbox + 1,
			(bc->outbox_len - 1) * sizeof(*bc->outbox));
		bc->outbox_len--;
	}
	if (bc->outbox_len == bc->outbox_cap) {
		bc->outbox_cap = bc->outbox_cap ? bc->outbox_cap * 2 : 64;
		bc->outbox = xreallocarray(bc->outbox, bc->outbox_cap,
					   sizeof(*bc->outbox));
	}
	bc->outbox[bc->outbox_len++] = stanza;
}

int bc_flush(struct bc *bc)
{
	size_t i, kept = 0;

	/* Always: writes that nobody is told about yet (a held message)
	 * become durable within the pass too, and the pass's batch ends. */
	if (bc->store != NULL && store_flush(bc->store) != 0) {
		log_errx("the store could not make its log durable: nothing "
			 "more is sent");
		return -1;
	}
	bc->stats.flushes++;
	bc_iq_expire(bc);
	if (bc->store != NULL && store_batch_begin(bc->store) != 0) {
		log_errx("the store could not start a batch");
		return -1;
	}
	for (i = 0; i < bc->outbox_len; i++) {
		xmpp_stanza_t *s = bc->outbox[i];

		if (bc->transport(bc->transport_arg, s) == 0) {
			bc->stats.stanzas_out++;
			xmpp_stanza_release(s);
		} else {
			bc->outbox[kept++] = s;
		}
	}
	bc->outbox_len = kept;
	return 0;
}

const char *bc_new_id(struct bc *bc, char *buf, size_t len)
{
	snprintf(buf, len, "bc-%" PRIu64, ++bc->next_id);
	return buf;
}
