/*
 * provision.c - the platform's provisioning over XMPP: the commands of
 * backchannelctl as XEP-0050 ad-hoc commands on D, for the configured
 * admins (and report handling for moderators too).
 *
 * Each command is one form; submitting it runs the same code as
 * backchannelctl (ctl_run() on the daemon's open store), so both doors
 * behave alike, and its output or error line becomes the note.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/xmalloc.h"
#include "ctl/ctl.h"
#include "xep/adhoc.h"
#include "xep/ns.h"
#include "xep/xep.h"

struct provision_field {
	const char *var;
	const char *label;
	const char *type; /* text-single, text-multi or boolean */
	const char *flag; /* "--name"; NULL for an operand */
	bool required;
};

struct provision_cmd {
	const char *node;
	const char *words[3]; /* the backchannelctl command */
	struct provision_field fields[5];
};

#define REQ true
#define OPT false

static const struct provision_cmd provision_cmds[] = {
	{"identity-add", {"identity", "add"},
	 {{"handle", "Handle", "text-single", NULL, REQ},
	  {"name", "Display name", "text-single", "--name", OPT},
	  {"bot", "A bot account", "boolean", "--bot", OPT}}},
	{"identity-remove", {"identity", "remove"},
	 {{"handle", "Handle", "text-single", NULL, REQ}}},
	{"link", {"link"},
	 {{"handle", "Handle", "text-single", NULL, REQ},
	  {"jid", "Account (bare JID)", "text-single", NULL, REQ}}},
	{"unlink", {"unlink"},
	 {{"handle", "Handle", "text-single", NULL, REQ},
	  {"jid", "Account (bare JID)", "text-single", NULL, REQ}}},
	{"token", {"token"}, {{"handle", "Handle", "text-single", NULL, REQ}}},
	{"follow", {"follow"},
	 {{"a", "Who follows", "text-single", NULL, REQ},
	  {"b", "Whom", "text-single", NULL, REQ}}},
	{"unfollow", {"unfollow"},
	 {{"a", "Who stops following", "text-single", NULL, REQ},
	  {"b", "Whom", "text-single", NULL, REQ}}},
	{"room-open", {"room", "open"},
	 {{"room", "Room", "text-single", NULL, REQ},
	  {"title", "Title", "text-single", "--title", REQ},
	  {"host", "Hosts (one handle a line)", "text-multi", "--host", OPT},
	  {"speaker", "Speakers (one handle a line)", "text-multi",
	   "--speaker", OPT}}},
	{"room-close", {"room", "close"},
	 {{"room", "Room", "text-single", NULL, REQ}}},
	{"room-stage", {"room", "stage"},
	 {{"room", "Room", "text-single", NULL, REQ},
	  {"handle", "Handle", "text-single", NULL, REQ},
	  {"place", "host, speaker or listener", "text-single", NULL, REQ}}},
	{"stats", {"stats"}, {{NULL, NULL, NULL, NULL, OPT}}},
	{"reports", {"reports"},
	 {{"open", "Open reports only", "boolean", "--open", OPT}}},
	{"report-resolve", {"report", "resolve"},
	 {{"id", "Report number", "text-single", NULL, REQ},
	  {"outcome", "Outcome: dismiss, warn, suspend or remove",
	   "text-single", NULL, OPT},
	  {"for", "Suspension (e.g. 7d)", "text-single", "--for", OPT},
	  {"note", "Note", "text-single", "--note", OPT}}},
};

static const struct provision_cmd *provision_find(const char *node)
{
	size_t i;

	for (i = 0; i < sizeof(provision_cmds) / sizeof(provision_cmds[0]); i++)
		if (strcmp(provision_cmds[i].node, node) == 0)
			return &provision_cmds[i];
	return NULL;
}

/* Every submitted value of var, as a new NULL-terminated vector. */
static char **provision_values(struct adhoc *a, const char *var)
{
	xmpp_stanza_t *f, *v;
	char **out = xcalloc(1, sizeof(*out)), *text;
	size_t n = 0;

	for (f = a->submitted ? xmpp_stanza_get_children(a->submitted) : NULL;
	     f; f = xmpp_stanza_get_next(f)) {
		const char *name = xmpp_stanza_get_attribute(f, "var");

		if (name == NULL || strcmp(name, var) != 0)
			continue;
		for (v = xmpp_stanza_get_children(f); v;
		     v = xmpp_stanza_get_next(v)) {
			const char *vn = xmpp_stanza_get_name(v);

			if (vn == NULL || strcmp(vn, "value") != 0 ||
			    (text = xmpp_stanza_get_text(v)) == NULL)
				continue;
			if (*text != '\0') {
				out = xreallocarray(out, n + 2, sizeof(*out));
				out[n++] = xstrdup(text);
				out[n] = NULL;
			}
			xmpp_free(a->st->bc->xctx, text);
		}
	}
	return out;
}

static void provision_strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void provision_form(struct adhoc *a, const struct provision_cmd *pc)
{
	xmpp_stanza_t *form = adhoc_form(a, a->cmd->name, NULL, true);
	const struct provision_field *f;

	for (f = pc->fields; f < pc->fields + 5 && f->var != NULL; f++) {
		xmpp_stanza_t *field = adhoc_field(form, f->var, f->type,
						   f->label, NULL);

		if (f->required)
			xep_add_child(field, "required", NULL);
	}
}

/* Builds backchannelctl's argv from the form; NULL with *missing set when
 * a required field is empty. */
static char **provision_argv(struct adhoc *a, const struct provision_cmd *pc,
			     int *argc, const char **missing)
{
	const struct provision_field *f;
	char **argv = NULL, **vals;
	size_t n = 0, i;

	for (i = 0; i < 3 && pc->words[i] != NULL; i++) {
		argv = xreallocarray(argv, n + 1, sizeof(*argv));
		argv[n++] = xstrdup(pc->words[i]);
	}
	for (f = pc->fields; f < pc->fields + 5 && f->var != NULL; f++) {
		vals = provision_values(a, f->var);
		if (vals[0] == NULL && f->required) {
			*missing = f->label;
			provision_strv_free(vals);
			goto fail;
		}
		for (i = 0; vals[i] != NULL; i++) {
			bool on = strcmp(vals[i], "1") == 0 ||
				  strcmp(vals[i], "true") == 0;

			if (strcmp(f->type, "boolean") == 0 && !on)
				continue;
			argv = xreallocarray(argv, n + 2, sizeof(*argv));
			if (f->flag != NULL)
				argv[n++] = xstrdup(f->flag);
			if (strcmp(f->type, "boolean") != 0)
				argv[n++] = xstrdup(vals[i]);
		}
		provision_strv_free(vals);
	}
	argv = xreallocarray(argv, n + 1, sizeof(*argv));
	argv[n] = NULL;
	*argc = (int)n;
	return argv;
fail:
	argv = xreallocarray(argv, n + 1, sizeof(*argv));
	argv[n] = NULL;
	provision_strv_free(argv);
	return NULL;
}

static int provision_step(struct adhoc *a)
{
	const struct provision_cmd *pc = provision_find(a->cmd->node);
	const char *missing = NULL;
	char **argv, *out = NULL, *err = NULL, *note;
	size_t outlen = 0, errlen = 0;
	FILE *fout, *ferr;
	int argc, rc;

	if (pc == NULL)
		return BC_EINTERNAL;
	if (a->stage == 0 && pc->fields[0].var != NULL) {
		provision_form(a, pc);
		a->stage = 1;
		return XEP_OK;
	}
	argv = provision_argv(a, pc, &argc, &missing);
	if (argv == NULL) {
		note = xasprintf("%s is required.", missing);
		adhoc_done(a, "error", note);
		free(note);
		return XEP_OK;
	}
	fout = open_memstream(&out, &outlen);
	ferr = open_memstream(&err, &errlen);
	if (fout == NULL || ferr == NULL)
		xalloc_fail();
	rc = ctl_run(a->st->bc->store, a->st->bc->cfg->token_ttl_ms, argc, argv,
		     fout, ferr);
	fclose(fout);
	fclose(ferr);
	provision_strv_free(argv);
	while (outlen > 0 && out[outlen - 1] == '\n')
		out[--outlen] = '\0';
	while (errlen > 0 && err[errlen - 1] == '\n')
		err[--errlen] = '\0';
	if (rc == CTL_OK)
		adhoc_done(a, "info", outlen ? out : "Done.");
	else
		adhoc_done(a, "error", errlen ? err : "That did not work.");
	free(out);
	free(err);
	return XEP_OK;
}

#define ADMIN XEP_CMD_ADMIN
#define MODS (XEP_CMD_ADMIN | XEP_CMD_MODERATOR)

static const struct xep_command provision_commands[] = {
	{"identity-add", "Add an identity", ADMIN, provision_step},
	{"identity-remove", "Remove an identity", ADMIN, provision_step},
	{"link", "Link an account", ADMIN, provision_step},
	{"unlink", "Unlink an account", ADMIN, provision_step},
	{"token", "Make a link token", ADMIN, provision_step},
	{"follow", "Follow", ADMIN, provision_step},
	{"unfollow", "Unfollow", ADMIN, provision_step},
	{"room-open", "Open an audio room", ADMIN, provision_step},
	{"room-close", "Close an audio room", ADMIN, provision_step},
	{"room-stage", "Change an audio room's stage", ADMIN, provision_step},
	{"stats", "Statistics", ADMIN, provision_step},
	{"reports", "List reports", MODS, provision_step},
	{"report-resolve", "Resolve a report", MODS, provision_step},
	{NULL, NULL, 0, NULL},
};

const struct xep_module xep_provision = {
	.name = "provision",
	.commands = provision_commands,
};
