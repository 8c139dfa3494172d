/*
 * adhoc.c - XEP-0050 Ad-Hoc Commands 1.3 on D.
 *
 * Commands come from the registry (struct xep_module.commands), so a
 * module that owns a subject also owns its commands.  Each is offered
 * only to who may run it (linked members, configured admins, configured
 * moderators): disco#items on the commands node lists just those.
 * Sessions are kept in memory for ADHOC_TTL_MS and bound to the full JID
 * that started them.
 *
 * Left out: the "prev" action (commands are short), multiple payloads.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/log.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/adhoc.h"
#include "xep/ns.h"
#include "xep/xep.h"

/* How long an unfinished session is kept. */
#define ADHOC_TTL_MS (10 * 60 * 1000)
/* At most this many open sessions (expired ones are swept first), and at
 * most so many for one full JID. */
#define ADHOC_MAX_SESSIONS 10000
#define ADHOC_MAX_PER_OWNER 16

struct adhoc_session {
	const struct xep_command *cmd;
	char *owner; /* the full JID that started it */
	int stage;
	char *data;
	int64_t expires_ms;
};

static void adhoc_session_free(void *p)
{
	struct adhoc_session *s = p;

	if (s == NULL)
		return;
	free(s->owner);
	free(s->data);
	free(s);
}

static int adhoc_init(struct bc *bc, void **state)
{
	(void)bc;
	*state = strmap_new(adhoc_session_free);
	return 0;
}

static void adhoc_fini(struct bc *bc, void *state)
{
	(void)bc;
	strmap_free(state);
}

static const struct xep_feature adhoc_features[] = {
	{NS_COMMANDS, XEP_AT_SERVICE},
	{NULL, 0},
};

/* Whether the sender of st may run cmd; fills handle when linked. */
static bool adhoc_allowed(struct xep_stanza *st, const struct xep_command *cmd,
			  char *handle)
{
	char h[STORE_HANDLE_SIZE];

	handle[0] = '\0';
	if (store_link_get(st->bc->store, st->from_bare, h) == 0)
		strcpy(handle, h);
	if ((cmd->who & XEP_CMD_MEMBER) && handle[0] != '\0')
		return true;
	if ((cmd->who & XEP_CMD_ADMIN) && cfg_is_admin(st->bc->cfg, st->from_bare))
		return true;
	return (cmd->who & XEP_CMD_MODERATOR) &&
	       cfg_is_moderator(st->bc->cfg, st->from_bare);
}

static const struct xep_command *adhoc_find(const char *node)
{
	const struct xep_command *c;
	size_t i;

	for (i = 0; xep_registry[i] != NULL; i++)
		for (c = xep_registry[i]->commands; c && c->node; c++)
			if (strcmp(c->node, node) == 0)
				return c;
	return NULL;
}

int adhoc_disco_items(struct xep_stanza *st)
{
	xmpp_stanza_t *reply = xep_iq_result(st), *query, *item;
	const struct xep_command *c;
	char handle[HANDLE_MAX + 1];
	size_t i;

	query = xep_add_child(reply, "query", NS_DISCO_ITEMS);
	xmpp_stanza_set_attribute(query, "node", NS_COMMANDS);
	for (i = 0; xep_registry[i] != NULL; i++) {
		for (c = xep_registry[i]->commands; c && c->node; c++) {
			if (!adhoc_allowed(st, c, handle))
				continue;
			item = xep_add_child(query, "item", NULL);
			xmpp_stanza_set_attribute(item, "jid",
						  st->bc->cfg->service_domain);
			xmpp_stanza_set_attribute(item, "node", c->node);
			xmpp_stanza_set_attribute(item, "name", c->name);
		}
	}
	xep_reply(st, reply);
	return XEP_OK;
}

int adhoc_disco_info(struct xep_stanza *st, const char *node)
{
	const struct xep_command *c = adhoc_find(node);
	char handle[HANDLE_MAX + 1];
	xmpp_stanza_t *reply, *query, *id;

	if (c == NULL || !adhoc_allowed(st, c, handle))
		return xep_fail(st, BC_EITEM_NOT_FOUND, "no such node");
	reply = xep_iq_result(st);
	query = xep_add_child(reply, "query", NS_DISCO_INFO);
	xmpp_stanza_set_attribute(query, "node", node);
	id = xep_add_child(query, "identity", NULL);
	xmpp_stanza_set_attribute(id, "category", "automation");
	xmpp_stanza_set_attribute(id, "type", "command-node");
	xmpp_stanza_set_attribute(id, "name", c->name);
	xmpp_stanza_set_attribute(xep_add_child(query, "feature", NULL), "var",
				  NS_COMMANDS);
	xmpp_stanza_set_attribute(xep_add_child(query, "feature", NULL), "var",
				  NS_DATA);
	xep_reply(st, reply);
	return XEP_OK;
}

xmpp_stanza_t *adhoc_form(struct adhoc *a, const char *title,
			  const char *instructions, bool last)
{
	xmpp_stanza_t *x = xep_add_child(a->out, "x", NS_DATA);

	xmpp_stanza_set_type(x, "form");
	if (title != NULL)
		xep_add_text_child(x, "title", title);
	if (instructions != NULL)
		xep_add_text_child(x, "instructions", instructions);
	a->last = last;
	return x;
}

xmpp_stanza_t *adhoc_field(xmpp_stanza_t *form, const char *var,
			   const char *type, const char *label,
			   const char *value)
{
	xmpp_stanza_t *f = xep_add_child(form, "field", NULL);

	if (var != NULL)
		xmpp_stanza_set_attribute(f, "var", var);
	xmpp_stanza_set_attribute(f, "type", type);
	if (label != NULL)
		xmpp_stanza_set_attribute(f, "label", label);
	if (value != NULL)
		xep_add_text_child(f, "value", value);
	return f;
}

void adhoc_option(xmpp_stanza_t *field, const char *label, const char *value)
{
	xmpp_stanza_t *o = xep_add_child(field, "option", NULL);

	xmpp_stanza_set_attribute(o, "label", label);
	xep_add_text_child(o, "value", value);
}

char *adhoc_value(struct adhoc *a, const char *var)
{
	xmpp_stanza_t *f, *v;
	char *text, *out;

	for (f = a->submitted ? xmpp_stanza_get_children(a->submitted) : NULL;
	     f; f = xmpp_stanza_get_next(f)) {
		const char *name = xmpp_stanza_get_attribute(f, "var");

		if (name == NULL || strcmp(name, var) != 0)
			continue;
		v = xmpp_stanza_get_child_by_name(f, "value");
		if (v == NULL || (text = xmpp_stanza_get_text(v)) == NULL)
			return NULL;
		out = xstrdup(text);
		xmpp_free(a->st->bc->xctx, text);
		return out;
	}
	return NULL;
}

void adhoc_done(struct adhoc *a, const char *type, const char *text)
{
	xmpp_stanza_t *note = xep_add_child(a->out, "note", NULL);

	xmpp_stanza_set_type(note, type);
	xep_add_text(note, text);
	a->done = true;
}

struct adhoc_sweep {
	int64_t now;
	char **keys;
	size_t n;
};

static void adhoc_sweep_one(const char *key, void *value, void *arg)
{
	struct adhoc_session *s = value;
	struct adhoc_sweep *w = arg;

	if (s->expires_ms < w->now) {
		w->keys = xreallocarray(w->keys, w->n + 1, sizeof(*w->keys));
		w->keys[w->n++] = xstrdup(key);
	}
}

struct adhoc_count {
	const char *owner;
	size_t n;
};

static void adhoc_count_one(const char *key, void *value, void *arg)
{
	struct adhoc_session *s = value;
	struct adhoc_count *c = arg;

	(void)key;
	if (strcmp(s->owner, c->owner) == 0)
		c->n++;
}

/* How many sessions owner has open. */
static size_t adhoc_owned(struct strmap *sessions, const char *owner)
{
	struct adhoc_count c = {owner, 0};

	strmap_each(sessions, adhoc_count_one, &c);
	return c.n;
}

/* Forgets the sessions that expired. */
static void adhoc_expire(struct strmap *sessions)
{
	struct adhoc_sweep w = {clock_mono_ms(), NULL, 0};
	size_t i;

	strmap_each(sessions, adhoc_sweep_one, &w);
	for (i = 0; i < w.n; i++) {
		strmap_del(sessions, w.keys[i]);
		free(w.keys[i]);
	}
	free(w.keys);
}

static int adhoc_execute(struct xep_stanza *st)
{
	struct strmap *sessions = bc_module_state(st->bc, &xep_adhoc);
	const char *node = xmpp_stanza_get_attribute(st->payload, "node");
	const char *action = xmpp_stanza_get_attribute(st->payload, "action");
	const char *sid = xmpp_stanza_get_attribute(st->payload, "sessionid");
	struct adhoc_session *s = NULL;
	struct adhoc a;
	xmpp_stanza_t *reply, *actions;
	char idbuf[32];
	int rc;

	if (node == NULL)
		return xep_fail(st, BC_EBAD_REQUEST, "a command needs a node");
	if (action == NULL)
		action = "execute";
	memset(&a, 0, sizeof(a));
	a.cmd = adhoc_find(node);
	if (a.cmd == NULL)
		return xep_fail(st, BC_EITEM_NOT_FOUND, "no such command");
	if (!adhoc_allowed(st, a.cmd, a.handle))
		return xep_fail(st, BC_EFORBIDDEN,
				"You may not run this command.");
	if (sid != NULL) {
		s = strmap_get(sessions, sid);
		if (s != NULL && (s->expires_ms < clock_mono_ms() ||
				  strcmp(s->owner, st->from) != 0 ||
				  s->cmd != a.cmd)) {
			if (s->expires_ms < clock_mono_ms())
				strmap_del(sessions, sid);
			s = NULL;
		}
		if (s == NULL)
			return xep_fail(st, BC_EBAD_REQUEST,
					"This command session is unknown or "
					"has expired; start again.");
		if (strcmp(action, "cancel") == 0) {
			reply = xep_iq_result(st);
			a.out = xep_add_child(reply, "command", NS_COMMANDS);
			xmpp_stanza_set_attribute(a.out, "node", node);
			xmpp_stanza_set_attribute(a.out, "sessionid", sid);
			xmpp_stanza_set_attribute(a.out, "status", "canceled");
			strmap_del(sessions, sid);
			xep_reply(st, reply);
			return XEP_OK;
		}
		a.stage = s->stage;
		a.data = s->data;
		s->data = NULL;
	} else {
		adhoc_expire(sessions);
		if (strmap_count(sessions) >= ADHOC_MAX_SESSIONS ||
		    adhoc_owned(sessions, st->from) >= ADHOC_MAX_PER_OWNER)
			return xep_fail(st, BC_ERESOURCE_CONSTRAINT,
					"Too many open command sessions; finish "
					"or cancel some first.");
		sid = bc_new_id(st->bc, idbuf, sizeof(idbuf));
	}
	a.st = st;
	a.action = action;
	a.submitted = xmpp_stanza_get_child_by_name_and_ns(st->payload, "x",
							   NS_DATA);
	reply = xep_iq_result(st);
	a.out = xep_add_child(reply, "command", NS_COMMANDS);
	xmpp_stanza_set_attribute(a.out, "node", node);
	xmpp_stanza_set_attribute(a.out, "sessionid", sid);
	rc = a.cmd->step(&a);
	if (rc == BC_EBAD_REQUEST && s != NULL) {
		/* A wrong answer: the session stays where it was, so the
		 * form can be sent again (XEP-0050 §4.4). */
		xmpp_stanza_release(reply);
		s->data = a.data;
		s->expires_ms = clock_mono_ms() + ADHOC_TTL_MS;
		return rc;
	}
	if (rc < 0) {
		xmpp_stanza_release(reply);
		free(a.data);
		strmap_del(sessions, sid);
		return rc;
	}
	if (a.done) {
		xmpp_stanza_set_attribute(a.out, "status", "completed");
		free(a.data);
		strmap_del(sessions, sid);
	} else {
		xmpp_stanza_set_attribute(a.out, "status", "executing");
		actions = xep_add_child(a.out, "actions", NULL);
		xmpp_stanza_set_attribute(actions, "execute",
					  a.last ? "complete" : "next");
		xep_add_child(actions, a.last ? "complete" : "next", NULL);
		if (s == NULL) {
			s = xcalloc(1, sizeof(*s));
			s->cmd = a.cmd;
			s->owner = xstrdup(st->from);
			strmap_put(sessions, sid, s);
		}
		s->stage = a.stage;
		s->data = a.data;
		s->expires_ms = clock_mono_ms() + ADHOC_TTL_MS;
	}
	xep_reply(st, reply);
	return XEP_OK;
}

static const struct xep_iq adhoc_iq[] = {
	{"command", NS_COMMANDS, XEP_SET, adhoc_execute, XEP_AT_SERVICE},
	{NULL, NULL, 0, NULL, 0},
};

const struct xep_module xep_adhoc = {
	.name = "adhoc",
	.features = adhoc_features,
	.iq = adhoc_iq,
	.init = adhoc_init,
	.fini = adhoc_fini,
};
