/*
 * presence.c - presence for D and for identities (RFC 6121 §3-4), in the
 * manner of a XEP-0100 transport.
 *
 * D subscribes to every linked account, so the server tells it when the
 * account comes and goes.  An identity is available while any of its
 * linked accounts is; that aggregate, never the accounts' own presence, is
 * what its contacts see from handle@D, with nothing copied from the real
 * accounts (no caps, no status, no resource).  Subscriptions to an
 * identity are approved on its behalf; probes are answered.  Between a
 * member and an outside user, presence is relayed through their addresses
 * under D in both directions.
 *
 * A subscription from someone the member does not know is left
 * unanswered (the request rules of xep/requests.c).
 *
 * Left out: directed presence between members.
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
#include "component/strmap.h"
#include "store/store.h"
#include "xep/ns.h"
#include "xep/presence.h"
#include "xep/xep.h"

/* Who is online is kept in memory (the server tells again after a
 * restart, when D probes); who subscribed to an identity is in the store. */
/* Probes after D connects, paced: at most PRESENCE_PROBES_PER_TICK
 * linked accounts (a probe and a subscribe each) per tick, and a tick
 * that probes at most every PRESENCE_PROBE_EVERY_MS: 2,000 accounts a
 * second at most (1,000 when the daemon is idle and ticks every 200 ms),
 * whatever the number of links. */
#define PRESENCE_PROBES_PER_TICK 200
#define PRESENCE_PROBE_EVERY_MS 100

struct presence_state {
	/* linked bare JID -> set of its online resources */
	struct strmap *online;
	/* A round of probes under way: the last JID probed ("" before the
	 * first) and when the last page went. */
	bool probing;
	char probe_after[STORE_JID_SIZE];
	int64_t probe_ms;
};

static void presence_set_free(void *p)
{
	strmap_free(p);
}

static int presence_init(struct bc *bc, void **state)
{
	struct presence_state *s = calloc(1, sizeof(*s));

	(void)bc;
	if (s == NULL)
		abort();
	s->online = strmap_new(presence_set_free);
	*state = s;
	return 0;
}

static void presence_fini(struct bc *bc, void *state)
{
	struct presence_state *s = state;

	(void)bc;
	strmap_free(s->online);
	free(s);
}

static struct presence_state *presence_state(struct bc *bc)
{
	return bc_module_state(bc, &xep_presence);
}

/* Queues <presence type=type from=from to=to/> (type NULL: available). */
static void presence_send(struct bc *bc, const char *type, const char *from,
			  const char *to)
{
	xmpp_stanza_t *p = xmpp_presence_new(bc->xctx);

	if (type != NULL)
		xmpp_stanza_set_type(p, type);
	xmpp_stanza_set_from(p, from);
	xmpp_stanza_set_to(p, to);
	bc_send(bc, p);
}

static bool presence_bare_online(struct presence_state *s, const char *bare)
{
	struct strmap *res = strmap_get(s->online, bare);

	return res != NULL && strmap_count(res) > 0;
}

bool presence_identity_online(struct bc *bc, const char *handle)
{
	struct presence_state *s = presence_state(bc);
	char **jids = NULL;
	bool online = false;
	size_t i;

	if (store_link_list(bc->store, handle, &jids) != 0)
		return false;
	for (i = 0; jids[i] != NULL && !online; i++)
		online = presence_bare_online(s, jids[i]);
	store_strv_free(jids);
	return online;
}

/* Tells handle's subscribers whether it is online now. */
static void presence_broadcast(struct bc *bc, const char *handle, bool online)
{
	char from[JID_MAX], **subs = NULL;
	size_t i;

	if (store_sub_list(bc->store, handle, &subs) != 0)
		return;
	ident_address(bc, handle, from);
	for (i = 0; subs[i] != NULL; i++) {
		struct ident_sender who;

		/* XEP-0191: a blocked contact stops seeing it. */
		if (ident_sender(bc, subs[i], &who) == 0 &&
		    policy_blocks(bc, handle, who.node))
			continue;
		presence_send(bc, online ? NULL : "unavailable", from, subs[i]);
	}
	store_strv_free(subs);
}

/* Records that resource of bare came or went, and tells the identity's
 * subscribers when that changes whether the identity is online. */
static void presence_account(struct bc *bc, const char *bare,
			     const char *resource, bool available)
{
	struct presence_state *s = presence_state(bc);
	char handle[STORE_HANDLE_SIZE];
	struct strmap *res;
	bool before, after;

	if (store_link_get(bc->store, bare, handle) != 0)
		return;
	log_debug("an account of %s is %s", handle,
		  available ? "available" : "unavailable");
	before = presence_identity_online(bc, handle);
	res = strmap_get(s->online, bare);
	if (available) {
		if (res == NULL) {
			res = strmap_new(NULL);
			strmap_put(s->online, bare, res);
		}
		strmap_put(res, resource, (void *)1);
	} else if (res != NULL) {
		if (resource[0] == '\0')
			strmap_del(s->online, bare);
		else
			strmap_del(res, resource);
	}
	after = presence_identity_online(bc, handle);
	if (before != after)
		presence_broadcast(bc, handle, after);
}

void presence_linked(struct bc *bc, const char *bare)
{
	const char *d = bc->cfg->service_domain;

	/* No probe here: a probe from an entity that is not yet subscribed
	 * makes the account's server answer "unsubscribed", which cancels
	 * the subscription request just sent.  Once the account approves,
	 * its server sends its presence anyway. */
	presence_send(bc, "subscribe", d, bare);
	presence_send(bc, NULL, d, bare);
}

void presence_unlinked(struct bc *bc, const char *bare)
{
	struct presence_state *s = presence_state(bc);
	const char *d = bc->cfg->service_domain;

	strmap_del(s->online, bare);
	presence_send(bc, "unsubscribe", d, bare);
	presence_send(bc, "unsubscribed", d, bare);
	presence_send(bc, "unavailable", d, bare);
}

/* The next page of the round of probes, when it is due. */
static void presence_probe_page(struct bc *bc, int64_t now_ms)
{
	struct presence_state *s = presence_state(bc);
	char **jids = NULL;
	size_t k;

	if (!s->probing || bc->store == NULL ||
	    now_ms - s->probe_ms < PRESENCE_PROBE_EVERY_MS)
		return;
	s->probe_ms = now_ms;
	if (store_link_page(bc->store, s->probe_after,
			    PRESENCE_PROBES_PER_TICK, &jids) != 0)
		return; /* logged; tried again next time */
	/* The probe learns who is online; since it cancels a request the
	 * account has not answered yet, the request follows (an account
	 * that approved is not asked again: its server answers for it). */
	for (k = 0; jids[k] != NULL; k++) {
		presence_send(bc, "probe", bc->cfg->service_domain, jids[k]);
		presence_send(bc, "subscribe", bc->cfg->service_domain,
			      jids[k]);
	}
	if (k < PRESENCE_PROBES_PER_TICK)
		s->probing = false; /* every link was probed */
	else
		snprintf(s->probe_after, sizeof(s->probe_after), "%s",
			 jids[k - 1]);
	store_strv_free(jids);
}

void presence_probe_all(struct bc *bc)
{
	struct presence_state *s = presence_state(bc);

	/* A new round from the first link (D came up again: every answer
	 * of the last round may be stale); its first page goes now. */
	s->probing = true;
	s->probe_after[0] = '\0';
	s->probe_ms = clock_mono_ms() - PRESENCE_PROBE_EVERY_MS;
	presence_probe_page(bc, clock_mono_ms());
}

static void presence_tick(struct bc *bc, int64_t now_ms)
{
	presence_probe_page(bc, now_ms);
}

/* Presence addressed to D itself. */
static int presence_to_service(struct xep_stanza *st)
{
	const char *d = st->bc->cfg->service_domain;

	if (strcmp(st->type, "subscribe") == 0) {
		presence_send(st->bc, "subscribed", d, st->from_bare);
		presence_send(st->bc, NULL, d, st->from_bare);
	} else if (strcmp(st->type, "unsubscribe") == 0) {
		presence_send(st->bc, "unsubscribed", d, st->from_bare);
	} else if (strcmp(st->type, "probe") == 0) {
		presence_send(st->bc, NULL, d, st->from);
	} else if (st->type[0] == '\0' || strcmp(st->type, "unavailable") == 0) {
		presence_account(st->bc, st->from_bare, st->from_jid.resource,
				 st->type[0] == '\0');
	}
	return XEP_OK;
}

/* Records (add) or forgets a subscription to handle's presence. */
static int presence_subscribed(struct bc *bc, const char *handle,
			       const char *bare, bool add)
{
	int rc = add ? store_sub_add(bc->store, handle, bare)
		     : store_sub_remove(bc->store, handle, bare);

	return rc == 0 || rc == STORE_EEXIST || rc == STORE_NOTFOUND
		       ? 0
		       : BC_EINTERNAL;
}

/* Presence addressed to a member's identity. */
static int presence_to_member(struct xep_stanza *st,
			      const struct ident_sender *from,
			      const struct ident_target *to)
{
	char addr[JID_MAX], from_addr[JID_MAX];
	bool online;
	size_t i;

	ident_address(st->bc, to->handle, addr);
	/* Presence from someone the member blocks is dropped (XEP-0191). */
	if (policy_blocks(st->bc, to->handle, from->node))
		return XEP_OK;
	/* An identity with no account answers as one that does not exist. */
	if (to->jids[0] == NULL) {
		if (strcmp(st->type, "subscribe") == 0 ||
		    strcmp(st->type, "probe") == 0)
			presence_send(st->bc, "unsubscribed", addr,
				      st->from_bare);
		return XEP_OK;
	}
	if (strcmp(st->type, "subscribe") == 0) {
		/* Only people the member knows see their presence; others
		 * stay pending, unanswered, until the member knows them. */
		if (!policy_knows(st->bc, to->handle, from->node,
				    st->from_bare))
			return XEP_OK;
		if (presence_subscribed(st->bc, to->handle, st->from_bare,
					true) != 0)
			return XEP_OK; /* not recorded: not approved either */
		presence_send(st->bc, "subscribed", addr, st->from_bare);
		online = presence_identity_online(st->bc, to->handle);
		presence_send(st->bc, online ? NULL : "unavailable", addr,
			      st->from_bare);
	} else if (strcmp(st->type, "unsubscribe") == 0) {
		(void)presence_subscribed(st->bc, to->handle, st->from_bare,
					  false);
		presence_send(st->bc, "unsubscribed", addr, st->from_bare);
	} else if (strcmp(st->type, "probe") == 0) {
		/* Only people the member knows learn whether they are
		 * online (nothing flows back to a pending sender). */
		if (!policy_knows(st->bc, to->handle, from->node,
				    st->from_bare)) {
			presence_send(st->bc, "unsubscribed", addr,
				      st->from_bare);
			return XEP_OK;
		}
		online = presence_identity_online(st->bc, to->handle);
		presence_send(st->bc, online ? NULL : "unavailable", addr,
			      st->from);
	} else if (!from->member) {
		/* An outside user's own presence or answers to a member's
		 * subscription: relayed to the member's accounts. */
		struct bc_body body;

		ident_address(st->bc, from->node, from_addr);
		relay_body(st->bc, &body, st->stanza, from_addr);
		for (i = 0; to->jids[i] != NULL; i++)
			bc_body_send(st->bc, &body, to->jids[i]);
		bc_body_clear(&body);
	}
	return XEP_OK;
}

/* A member's presence as an outside contact sees it: the type and
 * <show/> only, nothing else of the real account's (caps, status, avatar
 * hash and signatures could tell who is behind the handle). */
static xmpp_stanza_t *presence_fresh(struct xep_stanza *st, const char *from,
				     const char *to)
{
	xmpp_stanza_t *p = xmpp_presence_new(st->bc->xctx);
	xmpp_stanza_t *show = xmpp_stanza_get_child_by_name(st->stanza, "show");
	char *text;

	if (st->type[0] != '\0')
		xmpp_stanza_set_type(p, st->type);
	xmpp_stanza_set_from(p, from);
	xmpp_stanza_set_to(p, to);
	if (show != NULL && (text = xmpp_stanza_get_text(show)) != NULL) {
		if (strcmp(text, "away") == 0 || strcmp(text, "chat") == 0 ||
		    strcmp(text, "dnd") == 0 || strcmp(text, "xa") == 0)
			xep_add_text_child(p, "show", text);
		xmpp_free(st->bc->xctx, text);
	}
	return p;
}

static int presence_hook(struct xep_stanza *st)
{
	struct ident_sender from;
	struct ident_target to;
	char from_addr[JID_MAX];
	int rc = XEP_OK;

	if (strcmp(st->type, "error") == 0)
		return XEP_OK;
	if (ident_sender(st->bc, st->from_bare, &from) != 0 ||
	    ident_resolve(st->bc, st->to_jid.node, &to) != 0)
		return XEP_OK;
	switch (to.kind) {
	case IDENT_MEMBER:
		rc = presence_to_member(st, &from, &to);
		break;
	case IDENT_OUTSIDE:
		/* A member's presence towards an outside contact. */
		if (from.member) {
			ident_address(st->bc, from.node, from_addr);
			bc_send(st->bc, presence_fresh(st, from_addr,
						       to.outside));
		}
		break;
	case IDENT_NONE:
		/* RFC 6121 §3.1.3, §4.3.2: no such contact. */
		if (strcmp(st->type, "subscribe") == 0 ||
		    strcmp(st->type, "probe") == 0)
			presence_send(st->bc, "unsubscribed", st->to,
				      st->from_bare);
		break;
	}
	ident_target_clear(&to);
	return rc;
}

/* Presence to D itself: subscriptions of linked accounts. */
static int presence_service_hook(struct xep_stanza *st)
{
	if (strcmp(st->type, "error") == 0)
		return XEP_OK;
	return presence_to_service(st);
}

/* When D comes up (again), learn which linked accounts are online. */
static void presence_connected(struct bc *bc, unsigned where)
{
	if (where == XEP_AT_SERVICE)
		presence_probe_all(bc);
}

static void presence_link_changed(struct bc *bc, const char *bare,
				  bool linked)
{
	if (linked)
		presence_linked(bc, bare);
	else
		presence_unlinked(bc, bare);
}

static const struct xep_hook presence_hooks[] = {
	{XEP_PRESENCE, XEP_AT_SERVICE, presence_service_hook},
	{XEP_PRESENCE, XEP_AT_IDENTITY, presence_hook},
	{0, 0, NULL},
};

const struct xep_module xep_presence = {
	.name = "presence",
	.hooks = presence_hooks,
	.connected = presence_connected,
	.linked = presence_link_changed,
	.init = presence_init,
	.fini = presence_fini,
	.tick = presence_tick,
};
