/*
 * router.c - dispatches every received stanza to the modules of
 * xep/registry.c and maps their error codes to stanza errors.
 */
#include <config.h>

#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/log.h"
#include "component/router.h"
#include "xep/ns.h"
#include "xep/xep.h"

struct router_error {
	int code;
	const char *type;      /* RFC 6120 §8.3.2 */
	const char *condition; /* RFC 6120 §8.3.3 */
	const char *app_name;  /* application-specific condition, or NULL */
	const char *app_ns;
};

/* The one table that turns internal codes into stanza errors. */
static const struct router_error router_errors[] = {
	{BC_EBAD_REQUEST, "modify", "bad-request", NULL, NULL},
	{BC_ESERVICE_UNAVAILABLE, "cancel", "service-unavailable", NULL, NULL},
	{BC_EITEM_NOT_FOUND, "cancel", "item-not-found", NULL, NULL},
	{BC_ENOT_ALLOWED, "cancel", "not-allowed", NULL, NULL},
	{BC_EFORBIDDEN, "auth", "forbidden", NULL, NULL},
	{BC_ENOT_ACCEPTABLE, "modify", "not-acceptable", NULL, NULL},
	{BC_EPOLICY_VIOLATION, "modify", "policy-violation", NULL, NULL},
	{BC_ERESOURCE_CONSTRAINT, "wait", "resource-constraint", NULL, NULL},
	{BC_ECONFLICT, "cancel", "conflict", NULL, NULL},
	{BC_EINTERNAL, "cancel", "internal-server-error", NULL, NULL},
	{BC_EFEATURE_NOT_IMPLEMENTED, "cancel", "feature-not-implemented", NULL,
	 NULL},
	{BC_EJID_MALFORMED, "modify", "jid-malformed", NULL, NULL},
	{BC_ENOT_AUTHORIZED, "auth", "not-authorized", NULL, NULL},
	{BC_EREGISTRATION_REQUIRED, "auth", "registration-required", NULL,
	 NULL},
	{BC_ERECIPIENT_UNAVAILABLE, "wait", "recipient-unavailable", NULL,
	 NULL},
	{BC_EUNEXPECTED_REQUEST, "wait", "unexpected-request", NULL, NULL},
	/* XEP-0191 §3.3 */
	{BC_EBLOCKED, "cancel", "not-acceptable", "blocked", NS_BLOCKING_ERRORS},
	{BC_EREMOTE_SERVER_NOT_FOUND, "cancel", "remote-server-not-found", NULL,
	 NULL},
	{BC_EGONE, "cancel", "gone", NULL, NULL},
};

static const struct router_error *router_error_find(int code)
{
	size_t i, n = sizeof(router_errors) / sizeof(router_errors[0]);

	for (i = 0; i < n; i++)
		if (router_errors[i].code == code)
			return &router_errors[i];
	/* An unknown code is a bug in a handler: answer as for one. */
	return code == BC_EINTERNAL ? NULL : router_error_find(BC_EINTERNAL);
}

const char *router_error_condition(int code)
{
	return router_error_find(code)->condition;
}

static bool router_is_type(xmpp_stanza_t *stanza, const char *type)
{
	const char *t = xmpp_stanza_get_type(stanza);

	return t != NULL && strcmp(t, type) == 0;
}

xmpp_stanza_t *router_error_reply(struct bc *bc, xmpp_stanza_t *stanza,
				  int code, const char *text)
{
	const struct router_error *e = router_error_find(code);
	const char *from = xmpp_stanza_get_from(stanza);
	const char *to = xmpp_stanza_get_to(stanza);
	const char *id = xmpp_stanza_get_id(stanza);
	xmpp_stanza_t *reply, *error;
	struct jid j;

	if (router_is_type(stanza, "error") || from == NULL)
		return NULL;
	/* Nothing is answered to D or M themselves: only the service's own
	 * daemons write from there (a rooms instance to D), and an answer
	 * could come back to this very daemon. */
	if (jid_parse(from, &j) == 0 &&
	    (strcmp(j.domain, bc->cfg->service_domain) == 0 ||
	     strcmp(j.domain, bc->cfg->rooms_domain) == 0)) {
		log_warnx("no error answered to %s (%s): it is one of ours",
			  from, e->condition);
		return NULL;
	}
	/* A 'to' that is no JID cannot be the error's 'from': D answers. */
	if (to != NULL && jid_parse(to, &j) < 0)
		to = NULL;
	reply = xmpp_stanza_new(bc->xctx);
	xmpp_stanza_set_name(reply, xmpp_stanza_get_name(stanza));
	xmpp_stanza_set_type(reply, "error");
	if (id != NULL)
		xmpp_stanza_set_id(reply, id);
	xmpp_stanza_set_to(reply, from);
	xmpp_stanza_set_from(reply, to != NULL ? to
					       : bc->cfg->service_domain);
	error = xep_add_child(reply, "error", NULL);
	xmpp_stanza_set_type(error, e->type);
	xep_add_child(error, e->condition, NS_STANZAS);
	if (text != NULL) {
		xmpp_stanza_t *t = xep_add_child(error, "text", NS_STANZAS);
		xmpp_stanza_t *body = xmpp_stanza_new(bc->xctx);

		xmpp_stanza_set_attribute(t, "xml:lang", "en");
		xmpp_stanza_set_text(body, text);
		xmpp_stanza_add_child_ex(t, body, 0);
	}
	if (e->app_name != NULL)
		xep_add_child(error, e->app_name, e->app_ns);
	bc->stats.errors_out++;
	return reply;
}

/* Works out what 'to' addresses; 0 when it is none of ours. */
static enum xep_target router_target(const struct cfg *cfg,
				     const struct jid *to)
{
	if (strcmp(to->domain, cfg->service_domain) == 0)
		return to->node[0] ? XEP_AT_IDENTITY : XEP_AT_SERVICE;
	if (strcmp(to->domain, cfg->rooms_domain) == 0) {
		if (to->node[0] == '\0')
			return XEP_AT_ROOMS;
		return to->resource[0] ? XEP_AT_OCCUPANT : XEP_AT_ROOM;
	}
	return 0;
}

static void router_send_error(struct xep_stanza *st, int code)
{
	xmpp_stanza_t *reply =
		router_error_reply(st->bc, st->stanza, code, st->error_text);

	if (reply != NULL)
		bc_send(st->bc, reply);
	st->replied = true;
}

/* What is wrong with a stanza's shape, if anything. */
enum router_shape {
	ROUTER_SHAPE_OK,
	ROUTER_SHAPE_LARGE,      /* more bytes than the configured bound */
	ROUTER_SHAPE_ATTRIBUTES, /* an element with more than 64 attributes */
	ROUTER_SHAPE_DEEP,       /* nested deeper than 128 levels */
};

#define ROUTER_MAX_ATTRIBUTES 64
#define ROUTER_MAX_DEPTH 128

/* Adds to *size approximately how many bytes s takes as XML, stopping
 * once past limit, and says what is wrong with its shape. */
static enum router_shape router_stanza_shape(xmpp_stanza_t *s, size_t limit,
					     int depth, size_t *size)
{
	const char *attrs[2 * ROUTER_MAX_ATTRIBUTES];
	enum router_shape shape = ROUTER_SHAPE_OK;
	xmpp_stanza_t *c;
	int n, i;

	if (depth > ROUTER_MAX_DEPTH)
		return ROUTER_SHAPE_DEEP;
	if (xmpp_stanza_is_text(s)) {
		const char *t = xmpp_stanza_get_text_ptr(s);

		*size += t ? strlen(t) : 0;
		return *size > limit ? ROUTER_SHAPE_LARGE : ROUTER_SHAPE_OK;
	}
	*size += 2 * strlen(xmpp_stanza_get_name(s)) + 5;
	if (xmpp_stanza_get_attribute_count(s) > ROUTER_MAX_ATTRIBUTES)
		return ROUTER_SHAPE_ATTRIBUTES;
	n = xmpp_stanza_get_attributes(s, attrs, 2 * ROUTER_MAX_ATTRIBUTES);
	for (i = 0; i + 1 < n; i += 2)
		*size += strlen(attrs[i]) + strlen(attrs[i + 1]) + 4;
	for (c = xmpp_stanza_get_children(s);
	     c && shape == ROUTER_SHAPE_OK && *size <= limit;
	     c = xmpp_stanza_get_next(c))
		shape = router_stanza_shape(c, limit, depth + 1, size);
	if (shape == ROUTER_SHAPE_OK && *size > limit)
		shape = ROUTER_SHAPE_LARGE;
	return shape;
}

/* The single child element of an IQ get/set, or NULL (RFC 6120 §8.2.3). */
static xmpp_stanza_t *router_iq_payload(xmpp_stanza_t *iq)
{
	xmpp_stanza_t *c, *found = NULL;

	for (c = xmpp_stanza_get_children(iq); c; c = xmpp_stanza_get_next(c)) {
		if (!xmpp_stanza_is_tag(c))
			continue;
		if (found != NULL)
			return NULL;
		found = c;
	}
	return found;
}

/* True when IQ row h takes a payload name/ns of type at target.  Rows
 * with a name come first: a wildcard row (NULL name) only takes what no
 * named row of any module took. */
static bool router_iq_row_matches(const struct xep_iq *h, bool wildcard,
				  unsigned type, unsigned target,
				  const char *name, const char *ns)
{
	unsigned where = h->where ? h->where : XEP_AT_DOMAINS;

	if (!(h->type & type) || !(where & target))
		return false;
	if (wildcard)
		return h->name == NULL;
	return h->name != NULL && strcmp(h->name, name) == 0 &&
	       strcmp(h->ns, ns) == 0;
}

static const struct xep_iq *router_iq_find(struct xep_stanza *st,
					   unsigned type)
{
	const char *name = xmpp_stanza_get_name(st->payload);
	const char *ns = xmpp_stanza_get_ns(st->payload);
	int pass;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 0 && ns == NULL)
			continue;
		for (i = 0; xep_registry[i] != NULL; i++) {
			const struct xep_iq *h = xep_registry[i]->iq;

			for (; h != NULL && h->fn != NULL; h++)
				if (router_iq_row_matches(h, pass == 1, type,
							  st->target, name, ns))
					return h;
		}
	}
	return NULL;
}

static void router_iq(struct xep_stanza *st)
{
	const struct xep_iq *h;
	unsigned type;
	int rc;

	if (strcmp(st->type, "get") == 0)
		type = XEP_GET;
	else if (strcmp(st->type, "set") == 0)
		type = XEP_SET;
	else if (strcmp(st->type, "result") == 0 ||
		 strcmp(st->type, "error") == 0) {
		/* An answer to one of ours, or to nothing: never answered. */
		(void)bc_iq_answer(st->bc, st->stanza);
		return;
	}
	else {
		router_send_error(st, BC_EBAD_REQUEST);
		return;
	}
	if (st->id[0] == '\0') {
		st->error_text = "an IQ needs an id";
		router_send_error(st, BC_EBAD_REQUEST);
		return;
	}
	st->payload = router_iq_payload(st->stanza);
	if (st->payload == NULL) {
		st->error_text = "an IQ get or set carries exactly one element";
		router_send_error(st, BC_EBAD_REQUEST);
		return;
	}
	h = router_iq_find(st, type);
	if (h == NULL) {
		router_send_error(st, BC_ESERVICE_UNAVAILABLE);
		return;
	}
	rc = h->fn(st);
	if (rc < 0 && !st->replied) {
		router_send_error(st, rc);
	} else if (!st->replied) {
		log_errx("handler for <%s xmlns='%s'/> returned without a reply",
			 xmpp_stanza_get_name(st->payload),
			 xmpp_stanza_get_ns(st->payload) ? xmpp_stanza_get_ns(st->payload) : "");
		router_send_error(st, BC_EINTERNAL);
	}
}

/* Offers a message or presence to the hooks that declared its kind and
 * target, in registry order, until one takes it. */
static void router_hooks(struct xep_stanza *st, unsigned kind)
{
	size_t i;
	int rc = XEP_PASS;

	for (i = 0; xep_registry[i] != NULL && rc == XEP_PASS; i++) {
		const struct xep_hook *k = xep_registry[i]->hooks;

		for (; k != NULL && k->fn != NULL && rc == XEP_PASS; k++)
			if ((k->kind & kind) && (k->where & st->target))
				rc = k->fn(st);
	}
	if (rc < 0 && !st->replied) {
		router_send_error(st, rc);
		return;
	}
	if (rc != XEP_PASS || st->replied)
		return;
	/* Nobody took it.  RFC 6121 §8.5.2: a message to an entity that does
	 * not exist is bounced, except groupchat, headline and error;
	 * presence is silently dropped (§8.5.2.1.1). */
	log_debug("no module took <%s type='%s'/> to %s", st->name, st->type,
		  st->to);
	if (kind == XEP_MESSAGE && strcmp(st->type, "groupchat") != 0 &&
	    strcmp(st->type, "headline") != 0)
		router_send_error(st, BC_ESERVICE_UNAVAILABLE);
}

void router_dispatch(struct bc *bc, xmpp_stanza_t *stanza)
{
	struct xep_stanza stack, *st = &stack;
	const char *name = xmpp_stanza_get_name(stanza);
	enum router_shape shape;
	const char *t;
	size_t size;

	bc->stats.stanzas_in++;
	if (name == NULL)
		return;
	/* Fields set one by one: zeroing the three JID buffers for every
	 * stanza would cost more than parsing them. */
	st->payload = NULL;
	st->error_text = NULL;
	st->replied = false;
	st->target = 0;
	st->from_bare[0] = '\0';
	st->bc = bc;
	st->stanza = stanza;
	st->name = name;
	st->type = (t = xmpp_stanza_get_type(stanza)) ? t : "";
	st->id = (t = xmpp_stanza_get_id(stanza)) ? t : "";
	st->from = xmpp_stanza_get_from(stanza);
	st->to = xmpp_stanza_get_to(stanza);

	if (st->from == NULL || jid_parse(st->from, &st->from_jid) < 0) {
		/* The server stamps 'from'; without a usable one there is
		 * nobody to answer. */
		log_warnx("dropping <%s/> with a missing or malformed from",
			  name);
		return;
	}
	jid_format_bare(&st->from_jid, st->from_bare, sizeof(st->from_bare));
	if (st->to == NULL || jid_parse(st->to, &st->to_jid) < 0) {
		if (strcmp(name, "presence") != 0)
			router_send_error(st, BC_EJID_MALFORMED);
		return;
	}
	st->target = router_target(bc->cfg, &st->to_jid);
	if (st->target == 0) {
		log_warnx("dropping <%s/> to %s: not one of our domains", name,
			  st->to);
		return;
	}
	size = 0;
	shape = router_stanza_shape(stanza, bc->cfg->max_stanza_bytes, 0,
				    &size);
	if (shape != ROUTER_SHAPE_OK) {
		if (strcmp(name, "presence") == 0)
			return;
		if (shape == ROUTER_SHAPE_LARGE) {
			st->error_text = "the stanza is larger than this "
					 "service accepts";
			router_send_error(st, BC_EPOLICY_VIOLATION);
		} else {
			st->error_text =
				shape == ROUTER_SHAPE_ATTRIBUTES
					? "an element has more than 64 "
					  "attributes"
					: "the stanza is nested deeper than 128 "
					  "levels";
			router_send_error(st, BC_EBAD_REQUEST);
		}
		return;
	}
	/* A nearly full disk: what would be stored is refused, reads and
	 * answers still go (docs/OPERATIONS.md, "A full disk"). */
	if (bc->store_full &&
	    ((strcmp(name, "iq") == 0 && strcmp(st->type, "set") == 0) ||
	     (strcmp(name, "message") == 0 &&
	      strcmp(st->type, "error") != 0))) {
		st->error_text = "The service's storage is full; try again "
				 "later.";
		router_send_error(st, BC_ERESOURCE_CONSTRAINT);
		return;
	}
	if (strcmp(name, "iq") == 0)
		router_iq(st);
	else if (strcmp(name, "message") == 0)
		router_hooks(st, XEP_MESSAGE);
	else if (strcmp(name, "presence") == 0)
		router_hooks(st, XEP_PRESENCE);
	else
		log_warnx("dropping unknown top-level element <%s/>", name);
}
