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
 * Errors that come back from a recipient's server are mapped back to the
 * original sender through the identities: a small ring remembers which
 * real JID sent which message id, and the error is rebuilt from its type
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

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/identity.h"
#include "component/log.h"
#include "component/ratelimit.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/im.h"
#include "xep/ns.h"
#include "xep/requests.h"
#include "xep/xep.h"

/* Message ids remembered for mapping errors back to their sender. */
#define IM_RING 8192
/* Senders tracked by the rate limiter at once. */
#define IM_RATE_SLOTS 65536

struct im_sent {
	char *key;    /* sender node \n recipient bare JID \n id */
	char *sender; /* the full JID that sent it */
	int64_t ms;   /* when it was relayed (clock_now_ms) */
};

struct im_state {
	struct ratelimit *rl;
	struct im_sent ring[IM_RING];
	size_t next;
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
	size_t i;

	(void)bc;
	for (i = 0; i < IM_RING; i++) {
		free(s->ring[i].key);
		free(s->ring[i].sender);
	}
	ratelimit_free(s->rl);
	free(s);
}

static char *im_ring_key(const char *node, const char *bare, const char *id)
{
	return xasprintf("%s\n%s\n%s", node, bare, id);
}

static void im_remember(struct im_state *s, const char *node,
			const char *recipient, const char *id,
			const char *sender)
{
	struct im_sent *e = &s->ring[s->next];

	free(e->key);
	free(e->sender);
	e->key = im_ring_key(node, recipient, id);
	e->sender = xstrdup(sender);
	e->ms = clock_now_ms();
	s->next = (s->next + 1) % IM_RING;
}

/* What the ring remembers of id sent from node to recipient, or NULL. */
static const struct im_sent *im_recall(struct im_state *s, const char *node,
				       const char *recipient, const char *id)
{
	char *key = im_ring_key(node, recipient, id);
	const struct im_sent *found = NULL;
	size_t i, k;

	/* Newest first: the most recent message with that id wins. */
	for (i = 0; i < IM_RING && found == NULL; i++) {
		k = (s->next + IM_RING - 1 - i) % IM_RING;
		if (s->ring[k].key != NULL && strcmp(s->ring[k].key, key) == 0)
			found = &s->ring[k];
	}
	free(key);
	return found;
}

xmpp_stanza_t *im_readdress(struct bc *bc, xmpp_stanza_t *msg,
			    const char *from, const char *to)
{
	xmpp_stanza_t *out = xmpp_stanza_new(bc->xctx), *c;
	int count = xmpp_stanza_get_attribute_count(msg);
	const char **attrs = xmalloc(2 * (size_t)count * sizeof(*attrs) + 1);
	int n, i;

	xmpp_stanza_set_name(out, xmpp_stanza_get_name(msg));
	n = xmpp_stanza_get_attributes(msg, attrs, 2 * count);
	for (i = 0; i + 1 < n; i += 2) {
		if (strcmp(attrs[i], "from") == 0 || strcmp(attrs[i], "to") == 0)
			continue;
		/* libstrophe's parser keeps xml:lang as "lang": put the
		 * prefix back, as the sender wrote it. */
		xmpp_stanza_set_attribute(out,
					  strcmp(attrs[i], "lang") == 0 ? "xml:lang"
									: attrs[i],
					  attrs[i + 1]);
	}
	free(attrs);
	xmpp_stanza_set_from(out, from);
	xmpp_stanza_set_to(out, to);
	for (c = xmpp_stanza_get_children(msg); c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);
		const char *ns = xmpp_stanza_get_ns(c);

		if (name != NULL && ns != NULL && strcmp(name, "stanza-id") == 0 &&
		    strcmp(ns, NS_SID) == 0)
			continue;
		xmpp_stanza_add_child_ex(out, xmpp_stanza_copy(c), 0);
	}
	return out;
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
static int im_bounce(struct xep_stanza *st, struct im_state *s)
{
	struct ident_sender from;
	struct ident_target orig;
	char addr[JID_MAX];
	const struct im_sent *sent;
	const char *sender = NULL;

	if (ident_sender(st->bc, st->from_bare, &from) != 0)
		return XEP_OK;
	if (ident_resolve(st->bc, st->to_jid.node, &orig) != 0)
		return XEP_OK;
	ident_address(st->bc, from.node, addr);
	sent = st->id[0] ? im_recall(s, st->to_jid.node, st->from_bare, st->id)
			 : NULL;
	/* Only an error about a message we relayed goes back, to the
	 * account that sent it: anything else would let anyone reach a
	 * member (or an outside user reach another) past blocks and the
	 * request gate. */
	if (sent != NULL)
		sender = sent->sender;
	if (sender != NULL && orig.kind != IDENT_NONE)
		bc_send(st->bc, im_clean_error(st->bc, st->stanza, addr, sender));
	ident_target_clear(&orig);
	return XEP_OK;
}

/* Remembers that a member wrote to peer first (a rule of "knows"); known
 * is the relationship owner -> peer when the caller already read it. */
static int im_note_wrote(struct bc *bc, const char *owner, const char *peer,
			 const struct store_relation *known)
{
	struct store_relation rel;
	int rc = 0;

	if (known == NULL) {
		rc = store_relation_get(bc->store, owner, peer, &rel);
		known = &rel;
	}
	if ((rc == 0 || rc == STORE_NOTFOUND) &&
	    (known->flags & STORE_REL_WROTE_FIRST))
		return 0;
	if (rc != 0 && rc != STORE_NOTFOUND)
		return BC_EINTERNAL;
	return store_relation_set(bc->store, owner, peer, STORE_REL_WROTE_FIRST,
				  0, 0) == 0
		       ? 0
		       : BC_EINTERNAL;
}

int im_deliver(struct xep_stanza *st, const struct ident_sender *from,
	       const struct ident_target *to, xmpp_stanza_t *msg,
	       const struct store_relation *known)
{
	struct im_state *s = bc_module_state(st->bc, &xep_im);
	const struct cfg *cfg = st->bc->cfg;
	char from_addr[JID_MAX], to_addr[JID_MAX];
	const char *const *jids, *one[2] = {to->outside, NULL};
	const char *origin;
	xmpp_stanza_t *canon, *oid;
	char *text;
	size_t i, len;
	int rc = 0;

	ident_address(st->bc, from->node, from_addr);
	ident_address(st->bc, st->to_jid.node, to_addr);
	/* The canonical copy names only addresses under D: it is what the
	 * evidence log keeps. */
	canon = im_readdress(st->bc, msg, from_addr, to_addr);
	/* Store first: if that fails the sender gets an error and nobody
	 * received anything. */
	if (xmpp_stanza_get_child_by_name(msg, "body") != NULL) {
		if (xmpp_stanza_to_text(canon, &text, &len) != XMPP_EOK)
			xalloc_fail();
		if (store_evidence_add(st->bc->store, from->node,
				       st->to_jid.node, text,
				       cfg->evidence_count,
				       cfg->evidence_age_ms) != 0)
			rc = BC_EINTERNAL;
		xmpp_free(st->bc->xctx, text);
	}
	if (rc == 0 && from->member)
		rc = im_note_wrote(st->bc, from->node, st->to_jid.node, known);
	if (rc != 0)
		goto out;
	jids = to->kind == IDENT_MEMBER ? (const char *const *)to->jids : one;
	if (jids[0] == NULL)
		goto out;
	oid = xmpp_stanza_get_child_by_name_and_ns(msg, "origin-id", NS_SID);
	origin = oid ? xmpp_stanza_get_attribute(oid, "id") : NULL;
	for (i = 0; jids[i] != NULL; i++) {
		/* The last recipient gets the canonical copy itself. */
		xmpp_stanza_t *copy = jids[i + 1] != NULL
					      ? xmpp_stanza_copy(canon)
					      : canon;

		xmpp_stanza_set_to(copy, jids[i]);
		bc_send(st->bc, copy);
		if (st->id[0])
			im_remember(s, from->node, jids[i], st->id, st->from);
		/* XEP-0424 names a message by its origin-id. */
		if (origin != NULL && strcmp(origin, st->id) != 0)
			im_remember(s, from->node, jids[i], origin, st->from);
	}
	return rc;
out:
	xmpp_stanza_release(canon);
	return rc;
}

/* What a member's own state says about their message to node: writing to
 * an address they blocked is refused (XEP-0191 §3.3); a reply to someone
 * whose request is pending accepts it first, and anything without a body
 * (chat states, receipts, markers) is dropped while it is pending, so a
 * pending sender learns nothing. */
static int im_from_member(struct xep_stanza *st, const char *handle,
			  const char *node, struct store_relation *rel)
{
	struct store_request req;
	bool body;
	int rc;

	rc = store_relation_get(st->bc->store, handle, node, rel);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return BC_EINTERNAL;
	if (rel->flags & STORE_REL_BLOCKED)
		return xep_fail(st, BC_EBLOCKED,
				"You blocked this address; unblock it to "
				"write to it.");
	rc = store_request_get(st->bc->store, handle, node, &req);
	if (rc == STORE_NOTFOUND)
		return REQUESTS_DELIVER;
	if (rc != 0)
		return BC_EINTERNAL;
	store_request_clear(&req);
	body = xmpp_stanza_get_child_by_name(st->stanza, "body") != NULL;
	if (!body)
		return XEP_OK;
	rc = requests_accept(st->bc, handle, node);
	return rc < 0 ? rc : REQUESTS_DELIVER;
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
 * it still remembers it: the last IM_RING messages, not across restarts).
 * Returns 0 when st may go on, 1 when it is dropped without a word, or a
 * BC_E* code. */
static int im_retraction(struct xep_stanza *st, struct im_state *s,
			 const struct ident_sender *from,
			 const struct ident_target *to)
{
	int64_t window = st->bc->cfg->retraction_window_ms;
	const char *const *jids, *one[2] = {to->outside, NULL};
	const char *id = im_retracted_id(st->stanza);
	const struct im_sent *sent;
	size_t i;

	if (id == NULL)
		return 0;
	/* To someone who does not know the sender, the answer would tell
	 * whether the message was held or delivered: say nothing. */
	if (to->kind == IDENT_MEMBER &&
	    !requests_knows(st->bc, to->handle, from->node, st->from_bare))
		return 1;
	if (window <= 0)
		return xep_fail(st, BC_ENOT_ALLOWED,
				"Messages cannot be deleted here: copy and "
				"report them instead.");
	jids = to->kind == IDENT_MEMBER ? (const char *const *)to->jids : one;
	for (i = 0; jids[i] != NULL; i++) {
		sent = im_recall(s, from->node, jids[i], id);
		if (sent != NULL && clock_now_ms() - sent->ms <= window)
			return 0;
	}
	return xep_fail(st, BC_ENOT_ALLOWED,
			"That message can no longer be deleted.");
}

static int im_message(struct xep_stanza *st)
{
	struct im_state *s = bc_module_state(st->bc, &xep_im);
	struct store_relation rel;
	struct ident_sender from;
	struct ident_target to;
	int rc;

	if (strcmp(st->type, "groupchat") == 0)
		return XEP_PASS;
	if (strcmp(st->type, "error") == 0)
		return im_bounce(st, s);
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
	 * before anything else could answer differently. */
	if (to.kind == IDENT_MEMBER &&
	    requests_blocks(st->bc, to.handle, from.node)) {
		rc = BC_ESERVICE_UNAVAILABLE;
		goto out;
	}
	if (!ratelimit_take(s->rl, st->from_bare, clock_mono_ms())) {
		rc = xep_fail(st, BC_ERESOURCE_CONSTRAINT,
			      "You are sending messages too fast; wait a "
			      "little and try again.");
		goto out;
	}
	if ((rc = im_retraction(st, s, &from, &to)) != 0) {
		if (rc == 1)
			rc = XEP_OK;
		goto out;
	}
	if (from.member &&
	    (rc = im_from_member(st, from.node, st->to_jid.node, &rel)) !=
		    REQUESTS_DELIVER)
		goto out;
	if (to.kind == IDENT_MEMBER &&
	    (rc = requests_gate(st, &from, &to)) != REQUESTS_DELIVER)
		goto out;
	/* rel's wrote-first flag is still right after an accept, which
	 * only adds other flags (and store_relation_set() merges). */
	rc = im_deliver(st, &from, &to, st->stanza, from.member ? &rel : NULL);
	if (rc == 0)
		rc = XEP_OK;
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
