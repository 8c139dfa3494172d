/*
 * bot.c - the text-command interface on D, for clients without ad-hoc
 * commands: a linked user writes "help", "requests", "accept HANDLE",
 * "decline HANDLE", "block HANDLE", "unblock HANDLE" or
 * "report HANDLE spam|abuse [TEXT]" to D and gets an answer in words.
 *
 * HANDLE may be a handle, handle@D, an escaped address under D, or an
 * outside user's own JID.
 */
#include <config.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/ns.h"
#include "xep/reports.h"
#include "xep/requests.h"
#include "xep/xep.h"

static const char bot_help[] =
	"Commands:\n"
	"  requests - list your pending message requests\n"
	"  accept HANDLE - accept a request: its messages are delivered\n"
	"  decline HANDLE - decline a request: its messages are dropped\n"
	"  block HANDLE - block someone (their messages are refused)\n"
	"  unblock HANDLE - unblock someone\n"
	"  report HANDLE spam|abuse [TEXT] - report and block someone\n"
	"  help - this text";

/* Replies to the sender of st with text, from D. */
static void bot_say(struct xep_stanza *st, const char *text)
{
	xmpp_stanza_t *m = xmpp_message_new(st->bc->xctx, "chat", st->from, NULL);

	xmpp_stanza_set_from(m, st->bc->cfg->service_domain);
	xmpp_message_set_body(m, text);
	bc_send(st->bc, m);
}

static void bot_sayf(struct xep_stanza *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bot_sayf(struct xep_stanza *st, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		xalloc_fail();
	va_end(ap);
	bot_say(st, text);
	free(text);
}

/* Splits off the next word of *p (NUL-terminating it); NULL at the end. */
static char *bot_word(char **p)
{
	char *w;

	while (isspace((unsigned char)**p))
		(*p)++;
	if (**p == '\0')
		return NULL;
	w = *p;
	while (**p != '\0' && !isspace((unsigned char)**p))
		(*p)++;
	if (**p != '\0')
		*(*p)++ = '\0';
	return w;
}

static void bot_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void bot_requests(struct xep_stanza *st, const char *handle)
{
	char *list = requests_describe(st->bc, handle);

	if (*list == '\0')
		bot_say(st, "You have no pending message requests.");
	else
		bot_sayf(st,
			 "Pending message requests:\n%s"
			 "Answer with: accept HANDLE, decline HANDLE, "
			 "block HANDLE or report HANDLE spam|abuse [TEXT].",
			 list);
	free(list);
}

/* Runs one text command; 0, or a BC_E* code for the stanza (over a
 * bound). */
static int bot_command(struct xep_stanza *st, const char *handle, char *line)
{
	char *p = line, *cmd = bot_word(&p), *arg, peer[JID_MAX];
	unsigned long id;
	int rc;

	if (cmd == NULL)
		return 0;
	bot_lower(cmd);
	if (strcmp(cmd, "help") == 0) {
		bot_say(st, bot_help);
		return 0;
	}
	if (strcmp(cmd, "requests") == 0) {
		bot_requests(st, handle);
		return 0;
	}
	if (strcmp(cmd, "accept") != 0 && strcmp(cmd, "decline") != 0 &&
	    strcmp(cmd, "block") != 0 && strcmp(cmd, "unblock") != 0 &&
	    strcmp(cmd, "report") != 0) {
		bot_sayf(st, "I don't know \"%s\".  %s", cmd, bot_help);
		return 0;
	}
	arg = bot_word(&p);
	if (arg == NULL || ident_peer_node(st->bc, arg, peer,
					      sizeof(peer)) < 0) {
		bot_sayf(st, "Usage: %s HANDLE%s", cmd,
			 strcmp(cmd, "report") == 0 ? " spam|abuse [TEXT]" : "");
		return 0;
	}
	if (strcmp(peer, handle) == 0) {
		bot_say(st, "That is you.");
		return 0;
	}
	if (strcmp(cmd, "accept") == 0) {
		rc = requests_accept(st->bc, handle, peer, false);
		if (rc == 1)
			bot_sayf(st, "There is no pending request from %s.", arg);
		else if (rc == 0)
			bot_sayf(st, "Accepted %s: their messages follow.", arg);
	} else if (strcmp(cmd, "decline") == 0) {
		rc = requests_decline(st->bc, handle, peer);
		if (rc == 1)
			bot_sayf(st, "There is no pending request from %s.", arg);
		else if (rc == 0)
			bot_sayf(st, "Declined %s: their messages were deleted.",
				 arg);
	} else if (strcmp(cmd, "block") == 0) {
		if ((rc = requests_block(st->bc, handle, peer)) == 0)
			bot_sayf(st, "Blocked %s.  Their messages will not "
				     "reach you.",
				 arg);
	} else if (strcmp(cmd, "unblock") == 0) {
		if ((rc = requests_unblock(st->bc, handle, peer)) == 0)
			bot_sayf(st, "Unblocked %s.", arg);
	} else {
		char *reason = bot_word(&p), urn[64];

		if (reason != NULL)
			bot_lower(reason);
		if (reason == NULL || (strcmp(reason, "spam") != 0 &&
				       strcmp(reason, "abuse") != 0)) {
			bot_say(st, "Usage: report HANDLE spam|abuse [TEXT]");
			return 0;
		}
		while (isspace((unsigned char)*p))
			p++;
		snprintf(urn, sizeof(urn), "urn:xmpp:reporting:%s", reason);
		/* Over the bound: an error, not a chat line. */
		if ((rc = reports_allow(st, LIMITS_REPORTS, handle, 1)) != 0)
			return rc;
		rc = requests_report(st->bc, handle, peer, urn, *p ? p : NULL,
				     NULL, 0, &id);
		/* The same words whether the handle exists or not (nothing
		 * is filed about nobody), and no claim about moderators,
		 * who may not be configured. */
		if (rc == 0)
			bot_sayf(st,
				 "Reported %s for %s and blocked them.  Your "
				 "report is noted.",
				 arg, reason);
	}
	if (rc < 0)
		bot_say(st, "Sorry, that did not work; please try again later.");
	return 0;
}

static int bot_message(struct xep_stanza *st)
{
	char handle[STORE_HANDLE_SIZE];
	char *body;
	int rc;

	if (strcmp(st->type, "error") == 0 ||
	    strcmp(st->type, "groupchat") == 0 ||
	    strcmp(st->type, "headline") == 0)
		return XEP_OK;
	body = xmpp_message_get_body(st->stanza);
	if (body == NULL)
		return XEP_OK; /* chat states, receipts: nothing to answer */
	rc = store_link_get(st->bc->store, st->from_bare, handle);
	if (rc == STORE_NOTFOUND)
		bot_say(st, "This account is not linked to an identity.  Get "
			    "a link token from the platform and register with "
			    "this service (username: your handle, password: "
			    "the token).");
	else if (rc == 0)
		rc = bot_command(st, handle, body);
	else
		rc = BC_EINTERNAL;
	xmpp_free(st->bc->xctx, body);
	return rc < 0 ? rc : XEP_OK;
}

static const struct xep_hook bot_hooks[] = {
	{XEP_MESSAGE, XEP_AT_SERVICE, bot_message},
	{0, 0, NULL},
};

const struct xep_module xep_bot = {
	.name = "bot",
	.hooks = bot_hooks,
};
