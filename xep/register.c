/*
 * register.c - XEP-0077 In-Band Registration 2.4 on D: linking a real
 * account to a platform identity with a one-time token.
 *
 * The form asks the handle as <username/> and the token as <password/>
 * (legacy fields, with the same fields as a XEP-0004 form for clients that
 * prefer forms).  A good token links the sender's bare JID; then, as a
 * XEP-0100 transport does, D asks the account for a presence subscription
 * so that it knows when the account is online.  <remove/> unlinks.
 *
 * Left out: password changes (a token is single-use) and registration
 * redirection (XEP-0077 §5).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/log.h"
#include "store/store.h"
#include "xep/ns.h"
#include "xep/xep.h"

static const struct xep_feature register_features[] = {
	{NS_REGISTER, XEP_AT_SERVICE},
	{NULL, 0},
};

static void register_form_field(xmpp_stanza_t *form, const char *var,
				const char *type, const char *label,
				const char *value)
{
	xmpp_stanza_t *f = xep_form_field(form, var, type, value);

	if (label != NULL)
		xmpp_stanza_set_attribute(f, "label", label);
	if (strcmp(type, "hidden") != 0)
		xep_add_child(f, "required", NULL);
}

static int register_get(struct xep_stanza *st)
{
	static const char instructions[] =
		"Enter your handle as the username and the one-time link "
		"token from the platform as the password.";
	char handle[STORE_HANDLE_SIZE] = "";
	xmpp_stanza_t *reply, *query, *form;
	int rc;

	rc = store_link_get(st->bc->store, st->from_bare, handle);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return BC_EINTERNAL;
	reply = xep_iq_result(st);
	query = xep_add_child(reply, "query", NS_REGISTER);
	if (rc == 0)
		xep_add_child(query, "registered", NULL);
	xep_add_text_child(query, "instructions", instructions);
	if (rc == 0)
		xep_add_text_child(query, "username", handle);
	else
		xep_add_child(query, "username", NULL);
	xep_add_child(query, "password", NULL);
	form = xep_add_child(query, "x", NS_DATA);
	xmpp_stanza_set_type(form, "form");
	xep_add_text_child(form, "title", "Link your account");
	xep_add_text_child(form, "instructions", instructions);
	register_form_field(form, "FORM_TYPE", "hidden", NULL, NS_REGISTER);
	register_form_field(form, "username", "text-single", "Handle",
			    rc == 0 ? handle : NULL);
	register_form_field(form, "password", "text-private", "Link token",
			    NULL);
	xep_reply(st, reply);
	return XEP_OK;
}

/* The text of a legacy field, or of the same field in a submitted form
 * (a new string, or NULL). */
static char *register_field(xmpp_stanza_t *query, const char *name)
{
	xmpp_stanza_t *form, *f, *v;

	f = xmpp_stanza_get_child_by_name(query, name);
	if (f != NULL)
		return xmpp_stanza_get_text(f);
	form = xmpp_stanza_get_child_by_name_and_ns(query, "x", NS_DATA);
	for (f = form ? xmpp_stanza_get_children(form) : NULL; f;
	     f = xmpp_stanza_get_next(f)) {
		const char *var = xmpp_stanza_get_attribute(f, "var");

		if (var != NULL && strcmp(var, name) == 0) {
			v = xmpp_stanza_get_child_by_name(f, "value");
			return v ? xmpp_stanza_get_text(v) : NULL;
		}
	}
	return NULL;
}

static int register_remove(struct xep_stanza *st)
{
	char handle[STORE_HANDLE_SIZE];
	int rc = store_link_get(st->bc->store, st->from_bare, handle);

	if (rc == STORE_NOTFOUND)
		return xep_fail(st, BC_EREGISTRATION_REQUIRED,
				"This account is not linked to an identity.");
	if (rc != 0 || store_unlink(st->bc->store, handle, st->from_bare) != 0)
		return BC_EINTERNAL;
	log_info("unlinked an account from %s", handle);
	xep_reply(st, xep_iq_result(st));
	bc_linked(st->bc, st->from_bare, false);
	return XEP_OK;
}

static int register_set(struct xep_stanza *st)
{
	char handle[STORE_HANDLE_SIZE];
	char *user = NULL, *token = NULL;
	int rc;

	if (xmpp_stanza_get_child_by_name(st->payload, "remove") != NULL)
		return register_remove(st);
	user = register_field(st->payload, "username");
	token = register_field(st->payload, "password");
	if (user == NULL || token == NULL || *user == '\0' || *token == '\0') {
		rc = xep_fail(st, BC_ENOT_ACCEPTABLE,
			      "Both the handle (username) and the link token "
			      "(password) are needed.");
		goto out;
	}
	if (store_handle_norm(user, handle) != 0) {
		rc = xep_fail(st, BC_ENOT_ACCEPTABLE,
			      "A handle is 1 to 64 of a-z, 0-9, '.', '_' "
			      "and '-'.");
		goto out;
	}
	rc = store_token_claim(st->bc->store, handle, token, st->from_bare);
	switch (rc) {
	case 0:
		break;
	case STORE_TOKEN_UNKNOWN:
		rc = xep_fail(st, BC_ENOT_AUTHORIZED,
			      "That link token is not valid for this handle.  "
			      "Check both, or ask the platform for a new "
			      "token.");
		goto out;
	case STORE_TOKEN_USED:
		rc = xep_fail(st, BC_ENOT_AUTHORIZED,
			      "That link token was already used.  Ask the "
			      "platform for a new one.");
		goto out;
	case STORE_TOKEN_EXPIRED:
		rc = xep_fail(st, BC_ENOT_AUTHORIZED,
			      "That link token has expired.  Ask the platform "
			      "for a new one.");
		goto out;
	case STORE_EEXIST:
		rc = xep_fail(st, BC_ECONFLICT,
			      "This account is already linked to an identity; "
			      "unlink it first.");
		goto out;
	default:
		rc = BC_EINTERNAL;
		goto out;
	}
	log_info("linked an account to %s", handle);
	xep_reply(st, xep_iq_result(st));
	bc_linked(st->bc, st->from_bare, true);
	rc = XEP_OK;
out:
	if (user != NULL)
		xmpp_free(st->bc->xctx, user);
	if (token != NULL)
		xmpp_free(st->bc->xctx, token);
	return rc;
}

static const struct xep_iq register_iq[] = {
	{"query", NS_REGISTER, XEP_GET, register_get, XEP_AT_SERVICE},
	{"query", NS_REGISTER, XEP_SET, register_set, XEP_AT_SERVICE},
	{NULL, NULL, 0, NULL, 0},
};

const struct xep_module xep_register = {
	.name = "register",
	.features = register_features,
	.iq = register_iq,
};
