/*
 * adhoc.h - XEP-0050 ad-hoc commands: the session machinery and the
 * XEP-0004 form helpers that commands use.  Commands themselves live in
 * the modules that own their subject (struct xep_module.commands).
 *
 * A command's step is called once per request of its session.  On the
 * first, a->stage is 0; the step may set a->stage for the next request,
 * keep a string in a->data, add a form with adhoc_form() (the session
 * goes on) or finish with adhoc_done().
 */
#ifndef BC_XEP_ADHOC_H
#define BC_XEP_ADHOC_H

#include <stdbool.h>

#include "component/jid.h"
#include "xep/xep.h"

extern const struct xep_module xep_adhoc;

struct adhoc {
	struct xep_stanza *st;
	const struct xep_command *cmd;
	char handle[HANDLE_MAX + 1]; /* the requester's identity, or "" */
	const char *action;          /* execute, next, complete */
	xmpp_stanza_t *submitted;    /* the submitted form, or NULL */
	int stage;
	char *data;                  /* kept across steps; freed at the end */
	xmpp_stanza_t *out;          /* the <command/> being answered */
	bool done;
	bool last;                   /* the form shown is the last step */
};

/* disco#items on the commands node: the commands the sender may run. */
int adhoc_disco_items(struct xep_stanza *st);

/* disco#info on a command's node. */
int adhoc_disco_info(struct xep_stanza *st, const char *node);

/* Adds a form to the answer; last says whether it is the final step
 * (offering "complete") or not (offering "next"). */
xmpp_stanza_t *adhoc_form(struct adhoc *a, const char *title,
			  const char *instructions, bool last);

/* Adds a field to form and returns it; value and label may be NULL. */
xmpp_stanza_t *adhoc_field(xmpp_stanza_t *form, const char *var,
			   const char *type, const char *label,
			   const char *value);

/* Adds an <option/> to a list field. */
void adhoc_option(xmpp_stanza_t *field, const char *label, const char *value);

/* The submitted value of var (the first <value/>), a new string or NULL;
 * free() it. */
char *adhoc_value(struct adhoc *a, const char *var);

/* Ends the session with a note of type "info", "warn" or "error". */
void adhoc_done(struct adhoc *a, const char *type, const char *text);

#endif
