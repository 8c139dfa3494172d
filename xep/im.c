/*
 * im.c - one-to-one messages between identities (RFC 6121 §5), relayed
 * through D so that nobody sees another member's real JID.
 *
 * A message from a real account to node@D is copied to every JID linked to
 * the identity node (or to the outside user node escapes), from the
 * sender's own address under D.  Only the addressing changes: every child
 * element passes through as it came, except XEP-0359 <stanza-id/>, which
 * other entities stamped and which names real JIDs in its 'by'.
 *
 * Delivery itself (re-addressing, evidence, the ring of relayed ids) is
 * the relay's (component/relay.c); this module decides whether a message
 * goes.  Errors that come back from a recipient's server are mapped back
 * to the original sender through the relay's ring, and rebuilt from its type
 * and condition alone, since the text or echoed payload of a remote error
 * can name the recipient's real JID.
 *
 * Messages to members pass the request gate first (xep/requests.c):
 * unknown senders are held until the member answers.
 *
 * XEP-0424 retractions are refused unless the configuration allows them
 * within a window (messages cannot be deleted by default).
 *
 * Left out here: XEP-0191 block list management (xep/blocking.c).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/policy.h"
#include "component/relay.h"
#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/identity.h"
#include "component/log.h"
#include "component/ratelimit.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/ns.h"
#include "xep/requests.h"
#include "xep/xep.h"

/* Senders tracked by the rate limiter at once. */
#define IM_RATE_SLOTS 65536

extern const struct xep_module xep_im;

struct im_state {
	struct ratelimit *rl;
};

static int im_init(struct bc *bc, void **state)
{
	struct im_state *s = xcalloc(1, sizeof(*s));

	s->rl = ratelimit_new(bc->cfg->rate_per_minute, bc->cfg->rate_burst,
			      IM_RATE_SLOTS);
	*state = s;
	return 0;
}

static void im_fini(struct bc *bc, void *state)
{
	struct im_state *s = state;

	(void)bc;
	ratelimit_free(s->rl);
	free(s);
}

/* Builds a clean error message: type and defined condition only. */
static xmpp_stanza_t *im_clean_error(struct bc *bc, xmpp_stanza_t *err,
				     const char *from, const char *to)
{
	xmpp_stanza_t *out = xmpp_message_new(bc->xctx, "error", to,
					      xmpp_stanza_get_id(err));
	xmpp_stanza_t *in = xmpp_stanza_get_child_by_name(err, "error");
	xmpp_stanza_t *e = xep_add_child(out, "error", NULL), *c;
	const char *type = in ? xmpp_stanza_get_type(in) : NULL;
	const char *cond = "undefined-condition";

	xmpp_stanza_set_from(out, from);
	xmpp_stanza_set_type(e, type ? type : "cancel");
	for (c = in ? xmpp_stanza_get_children(in) : NULL; c;
	     c = xmpp_stanza_get_next(c)) {
		const char *ns = xmpp_stanza_get_ns(c);
		const char *name = xmpp_stanza_get_name(c);

		if (ns != NULL && name != NULL && strcmp(ns, NS_STANZAS) == 0 &&
		    strcmp(name, "text") != 0) {
			cond = name;
			break;
		}
	}
	xep_add_child(e, cond, NS_STANZAS);
	return out;
}

/* An error from a recipient's server about a message we relayed. */
static int im_bounce(struct xep_stanza *st)
{
	struct ident_sender from;
	struct ident_target orig;
	char addr[JID_MAX];
	struct relay_sent sent;
	const char *sender = NULL;

	if (ident_sender(st->bc, st->from_bare, &from) != 0)
		return XEP_OK;
	if (ident_resolve(st->bc, st->to_jid.node, &orig) != 0)
		return XEP_OK;
	ident_address(st->bc, from.node, addr);
	/* Only an error about a message we relayed goes back, to the
	 * account that sent it: anything else would let anyone reach a
	 * member (or an outside user reach another) past blocks and the
	 * request gate. */
	if (st->id[0] &&
	    relay_recall(st->bc, st->to_jid.node, st->from_bare, st->id, &sent))
		sender = sent.sender;
	if (sender != NULL && orig.kind != IDENT_NONE)
		bc_send(st->bc, im_clean_error(st->bc, st->stanza, addr, sender));
	ident_target_clear(&orig);
	return XEP_OK;
}

/* What may happen to a message: it goes on, or it is dropped without a
 * word (nothing may tell the sender anything). */
enum im_verdict {
	IM_GO_ON,
	IM_DROP,
};

/* What a member's own state says about their message to node: writing to
 * an address they blocked is refused (XEP-0191 §3.3); a reply to someone
 * whose request is pending accepts it first, and anything without a body
 * (chat states, receipts, markers) is dropped while it is pending, so a
 * pending sender learns nothing. */
static int im_from_member(struct xep_stanza *st, const char *handle,
			  const char *node, struct store_relation *rel,
			  enum im_verdict *verdict)
{
	struct store_request req;
	bool body;
	int rc;

	*verdict = IM_GO_ON;
	rc = store_relation_get(st->bc->store, handle, node, rel);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return BC_EINTERNAL;
	if (rel->flags & STORE_REL_BLOCKED)
		return xep_fail(st, BC_EBLOCKED,
				"You blocked this address; unblock it to "
				"write to it.");
	rc = store_request_get(st->bc->store, handle, node, &req);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return BC_EINTERNAL;
	store_request_clear(&req);
	body = xmpp_stanza_get_child_by_name(st->stanza, "body") != NULL;
	if (!body) {
		*verdict = IM_DROP;
		return 0;
	}
	rc = requests_accept(st->bc, handle, node, false);
	return rc < 0 ? rc : 0;
}

/* XEP-0424 (and its fastening form, 0.x): the id a message retracts, or
 * NULL when it retracts nothing. */
static const char *im_retracted_id(xmpp_stanza_t *msg)
{
	xmpp_stanza_t *r;
	const char *id;

	r = xmpp_stanza_get_child_by_name_and_ns(msg, "retract", NS_RETRACT);
	if (r == NULL) {
		r = xmpp_stanza_get_child_by_name_and_ns(msg, "apply-to",
							 NS_FASTEN);
		if (r == NULL || xmpp_stanza_get_child_by_name_and_ns(
					 r, "retract", NS_RETRACT_0) == NULL)
			return NULL;
	}
	id = xmpp_stanza_get_attribute(r, "id");
	return id ? id : "";
}

/* Messages cannot be deleted by default (copy and report, as on the
 * platform); with <retraction window=.../> a sender may retract a message
 * the service relayed to the same recipient within the window (as long as
 * it still remembers it: the relay's ring, not across restarts).  Returns
 * 0 with *verdict, or a BC_E* code. */
static int im_retraction(struct xep_stanza *st,
			 const struct ident_sender *from,
			 const struct ident_target *to, enum im_verdict *verdict)
{
	int64_t window = st->bc->cfg->retraction_window_ms;
	const char *const *jids, *one[2] = {to->outside, NULL};
	const char *id = im_retracted_id(st->stanza);
	struct relay_sent sent;
	size_t i;

	*verdict = IM_GO_ON;
	if (id == NULL)
		return 0;
	/* To someone who does not know the sender, the answer would tell
	 * whether the message was held or delivered: say nothing. */
	if (to->kind == IDENT_MEMBER &&
	    !policy_knows(st->bc, to->handle, from->node, st->from_bare)) {
		*verdict = IM_DROP;
		return 0;
	}
	if (window <= 0)
		return xep_fail(st, BC_ENOT_ALLOWED,
				"Messages cannot be deleted here: copy and "
				"report them instead.");
	jids = to->kind == IDENT_MEMBER ? (const char *const *)to->jids : one;
	for (i = 0; jids[i] != NULL; i++) {
		if (relay_recall(st->bc, from->node, jids[i], id, &sent) &&
		    clock_now_ms() - sent.ms <= window)
			return 0;
	}
	return xep_fail(st, BC_ENOT_ALLOWED,
			"That message can no longer be deleted.");
}

static int im_message(struct xep_stanza *st)
{
	struct im_state *s = bc_module_state(st->bc, &xep_im);
	struct store_relation rel, to_rel;
	struct ident_sender from;
	struct ident_target to;
	enum im_verdict verdict;
	enum requests_verdict gate;
	struct relay_msg m;
	const char *one[2] = {NULL, NULL};
	int rc;

	if (strcmp(st->type, "groupchat") == 0)
		return XEP_PASS;
	if (strcmp(st->type, "error") == 0)
		return im_bounce(st);
	if ((rc = ident_sender(st->bc, st->from_bare, &from)) != 0)
		return rc;
	if ((rc = ident_resolve(st->bc, st->to_jid.node, &to)) != 0)
		return rc;
	/* Outside users reach members, never each other through us. */
	if (to.kind == IDENT_NONE || (to.kind == IDENT_OUTSIDE && !from.member) ||
	    (to.kind == IDENT_MEMBER && to.jids[0] == NULL)) {
		rc = BC_ESERVICE_UNAVAILABLE;
		goto out;
	}
	/* A block looks exactly like a handle that does not exist: checked
	 * before anything else could answer differently.  The recipient's
	 * relationship to the sender, read once: the request gate below
	 * needs it too (its block and decline, which nothing in between
	 * changes). */
	if (to.kind == IDENT_MEMBER) {
		rc = store_relation_get(st->bc->store, to.handle, from.node,
					&to_rel);
		if (rc != 0 && rc != STORE_NOTFOUND) {
			rc = BC_EINTERNAL;
			goto out;
		}
		if (to_rel.flags & STORE_REL_BLOCKED) {
			rc = BC_ESERVICE_UNAVAILABLE;
			goto out;
		}
	}
	/* Moderation: a suspended sender sends nothing, a restricted one
	 * reaches only people who know it (one cached read). */
	if ((rc = policy_may_send(st, from.node, to.kind == IDENT_MEMBER
							 ? to.handle
							 : NULL)) != 0)
		goto out;
	if (!ratelimit_take(s->rl, st->from_bare, clock_mono_ms())) {
		rc = xep_fail(st, BC_ERESOURCE_CONSTRAINT,
			      "You are sending messages too fast; wait a "
			      "little and try again.");
		goto out;
	}
	if ((rc = im_retraction(st, &from, &to, &verdict)) != 0 ||
	    verdict == IM_DROP)
		goto out;
	if (from.member &&
	    ((rc = im_from_member(st, from.node, st->to_jid.node, &rel,
				  &verdict)) != 0 ||
	     verdict == IM_DROP))
		goto out;
	if (to.kind == IDENT_MEMBER &&
	    ((rc = requests_gate(st, &from, &to, &to_rel, &gate)) != 0 ||
	     gate == REQUESTS_HELD))
		goto out;
	one[0] = to.outside;
	m.stanza = st->stanza;
	m.sender = st->from;
	m.from_node = from.node;
	m.from_member = from.member;
	m.to_node = st->to_jid.node;
	m.jids = to.kind == IDENT_MEMBER ? (const char *const *)to.jids : one;
	/* rel's wrote-first flag is still right after an accept, which
	 * only adds other flags (and store_relation_set() merges). */
	m.known = from.member ? &rel : NULL;
	rc = relay_deliver(st->bc, &m);
out:
	ident_target_clear(&to);
	return rc;
}

static const struct xep_hook im_hooks[] = {
	{XEP_MESSAGE, XEP_AT_IDENTITY, im_message},
	{0, 0, NULL},
};

const struct xep_module xep_im = {
	.name = "im",
	.hooks = im_hooks,
	.init = im_init,
	.fini = im_fini,
};
