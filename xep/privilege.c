/*
 * privilege.c - XEP-0356 Privileged Entity 0.4 (urn:xmpp:privilege:2),
 * roster access only.
 *
 * A server that trusts the component says so in a <message/> carrying
 * <privilege/> right after the handshake (Prosody's mod_privilege,
 * ejabberd's mod_privilege).  Where it grants roster "set" or "both", the
 * component pushes pending message requests into its users' rosters, in
 * the group "Message Requests", and moves them out when answered.
 *
 * The older namespace urn:xmpp:privilege:1 is understood too: its roster
 * permission has the same shape.
 *
 * Left out: message and presence permissions, IQ permissions.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/log.h"
#include "component/strmap.h"
#include "xep/ns.h"
#include "xep/privilege.h"
#include "xep/xep.h"

static int privilege_init(struct bc *bc, void **state)
{
	(void)bc;
	/* server domain -> (void *)1 when roster writes are allowed */
	*state = strmap_new(NULL);
	return 0;
}

static void privilege_fini(struct bc *bc, void *state)
{
	(void)bc;
	strmap_free(state);
}

static const char *privilege_domain(const char *bare)
{
	const char *at = strchr(bare, '@');

	return at ? at + 1 : bare;
}

bool privilege_roster_allowed(struct bc *bc, const char *user)
{
	struct strmap *granted = bc_module_state(bc, &xep_privilege);

	return strmap_get(granted, privilege_domain(user)) != NULL;
}

/* <message from='server'><privilege><perm access='roster' .../></...> */
static int privilege_message(struct xep_stanza *st)
{
	struct strmap *granted = bc_module_state(st->bc, &xep_privilege);
	xmpp_stanza_t *priv, *perm;
	bool roster = false;

	if (st->from_jid.node[0] != '\0')
		return XEP_PASS;
	priv = xmpp_stanza_get_child_by_name_and_ns(st->stanza, "privilege",
						    NS_PRIVILEGE);
	if (priv == NULL) /* version 0.3 and older, as ejabberd 23.01 sends */
		priv = xmpp_stanza_get_child_by_name_and_ns(
			st->stanza, "privilege", NS_PRIVILEGE_1);
	if (priv == NULL)
		return XEP_PASS;
	for (perm = xmpp_stanza_get_children(priv); perm;
	     perm = xmpp_stanza_get_next(perm)) {
		const char *access = xmpp_stanza_get_attribute(perm, "access");
		const char *type = xmpp_stanza_get_type(perm);

		if (access != NULL && type != NULL &&
		    strcmp(access, "roster") == 0 &&
		    (strcmp(type, "set") == 0 || strcmp(type, "both") == 0))
			roster = true;
	}
	if (roster)
		strmap_put(granted, st->from_jid.domain, (void *)1);
	else
		strmap_del(granted, st->from_jid.domain);
	log_info("%s %s roster access (XEP-0356)", st->from_jid.domain,
		 roster ? "grants" : "does not grant");
	return XEP_OK;
}

static void privilege_push(struct bc *bc, const char *user,
			   const char *contact, const char *nick,
			   const char *group, const char *subscription)
{
	xmpp_stanza_t *iq, *query, *item;
	char id[32];

	iq = xmpp_iq_new(bc->xctx, "set", bc_new_id(bc, id, sizeof(id)));
	xmpp_stanza_set_from(iq, bc->cfg->service_domain);
	xmpp_stanza_set_to(iq, user);
	query = xep_add_child(iq, "query", NS_ROSTER);
	item = xep_add_child(query, "item", NULL);
	xmpp_stanza_set_attribute(item, "jid", contact);
	if (nick != NULL)
		xmpp_stanza_set_attribute(item, "name", nick);
	if (subscription != NULL)
		xmpp_stanza_set_attribute(item, "subscription", subscription);
	if (group != NULL)
		xep_add_text_child(item, "group", group);
	bc_send(bc, iq);
}

void privilege_roster_set(struct bc *bc, const char *user, const char *contact,
			  const char *nick, bool add)
{
	if (!privilege_roster_allowed(bc, user))
		return;
	if (add)
		privilege_push(bc, user, contact, nick, PRIVILEGE_REQUESTS_GROUP,
			       NULL);
	else
		privilege_push(bc, user, contact, NULL, NULL, "remove");
}

void privilege_roster_move(struct bc *bc, const char *user,
			   const char *contact, const char *nick, bool keep)
{
	if (!privilege_roster_allowed(bc, user))
		return;
	if (keep)
		privilege_push(bc, user, contact, nick, NULL, NULL);
	else
		privilege_push(bc, user, contact, NULL, NULL, "remove");
}

static const struct xep_hook privilege_hooks[] = {
	{XEP_MESSAGE, XEP_AT_SERVICE, privilege_message},
	{0, 0, NULL},
};

const struct xep_module xep_privilege = {
	.name = "privilege",
	.hooks = privilege_hooks,
	.init = privilege_init,
	.fini = privilege_fini,
};
