/*
 * bc.c - the component's state, module start-up and the outbox.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/log.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/xep.h"

/* Stanzas kept while their connection is down; past this the oldest go. */
#define BC_OUTBOX_MAX 100000

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

void bc_free(struct bc *bc)
{
	size_t i;

	if (bc == NULL)
		return;
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
