/*
 * moderation.c - the moderators' side of reports: XEP-0050 ad-hoc
 * commands on D for the configured <moderator/> JIDs, to list the open
 * reports a page at a time, look at one with its evidence and resolve it
 * with an outcome (dismiss, warn, suspend for a time, remove) and a note;
 * and the messages that follow a resolution, from D: the reporter is told
 * the outcome, the reported account is told a warning or a suspension.
 *
 * backchannelctl resolves reports too (ctl/ctl.c); it notes the change in
 * the store's change log and this module's tick sends the same messages.
 *
 * Nothing sent here names a real JID: reporters and reported are shown by
 * their addresses under D, and evidence by its message bodies only.
 *
 * Left out: reports are resolved one at a time (no bulk action), and a
 * resolution made by backchannelctl while the daemon is down is not
 * announced when it starts.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/identity.h"
#include "component/log.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/adhoc.h"
#include "xep/moderation.h"
#include "xep/requests.h"
#include "xep/xep.h"

/* Reports on one page of the list. */
#define MOD_PAGE 10
/* Evidence messages shown with one report, and characters of each. */
#define MOD_EVIDENCE_MAX 20
#define MOD_EVIDENCE_CHARS 300
/* How often the change log is read for resolutions made elsewhere. */
#define MOD_CHANGES_MS 250

extern const struct xep_module xep_moderation;

struct mod_state {
	uint64_t changes; /* the last change-log note seen */
	int64_t read_ms;
	bool started;
};

static const char *const mod_outcome_names[] = {
	[STORE_OUTCOME_NONE] = "none",
	[STORE_OUTCOME_DISMISS] = "dismiss",
	[STORE_OUTCOME_WARN] = "warn",
	[STORE_OUTCOME_SUSPEND] = "suspend",
	[STORE_OUTCOME_REMOVE] = "remove",
};

const char *moderation_outcome_name(enum store_report_outcome o)
{
	return o <= STORE_OUTCOME_MAX ? mod_outcome_names[o] : "none";
}

int moderation_outcome_parse(const char *name, enum store_report_outcome *out)
{
	int i;

	for (i = STORE_OUTCOME_DISMISS; name != NULL && i <= STORE_OUTCOME_MAX;
	     i++) {
		if (strcmp(name, mod_outcome_names[i]) == 0) {
			*out = (enum store_report_outcome)i;
			return 0;
		}
	}
	return -1;
}

/* The address under D of what a report names (a node, node@D, or an
 * outside user's JID: store_report_node()), into out (JID_MAX bytes); the
 * node into node (may be NULL).  -1 when it is none of these. */
static int mod_address(struct bc *bc, const char *what, char *out, char *node)
{
	char n[JID_MAX];

	if (store_report_node(what, bc->cfg->service_domain, n, sizeof(n)) !=
	    0)
		return -1;
	ident_address(bc, n, out);
	if (node != NULL)
		snprintf(node, JID_MAX, "%s", n);
	return 0;
}

/* Sends text from D to the accounts behind node: a member's linked JIDs,
 * or the outside user it escapes.  With bare_ok, a node that is neither
 * but holds an '@' (a reporter named by its bare JID) gets it itself. */
static void mod_tell(struct bc *bc, const char *who, const char *text,
		     bool bare_ok)
{
	struct ident_target t;
	char node[JID_MAX], addr[JID_MAX];
	const char *one[2] = {NULL, NULL};
	const char *const *to = one;
	size_t i;

	if (mod_address(bc, who, addr, node) != 0 ||
	    ident_resolve(bc, node, &t) != 0)
		return;
	if (t.kind == IDENT_MEMBER)
		to = (const char *const *)t.jids;
	else if (t.kind == IDENT_OUTSIDE)
		one[0] = t.outside;
	else if (bare_ok && strchr(who, '@') != NULL)
		one[0] = who;
	for (i = 0; to != NULL && to[i] != NULL; i++) {
		xmpp_stanza_t *m = xmpp_message_new(bc->xctx, "normal", to[i],
						    NULL);

		xmpp_stanza_set_from(m, bc->cfg->service_domain);
		xmpp_message_set_body(m, text);
		bc_send(bc, m);
	}
	ident_target_clear(&t);
}

void moderation_announce(struct bc *bc, const struct store_report *r)
{
	char reported[JID_MAX], when[40], *what, *text;

	if (r->state != STORE_REPORT_RESOLVED)
		return;
	if (mod_address(bc, r->reported, reported, NULL) != 0)
		snprintf(reported, sizeof(reported), "the reported account");
	clock_format_xep82(r->until_ms, when, sizeof(when));
	switch (r->outcome) {
	case STORE_OUTCOME_WARN:
		what = xasprintf("%s has been warned.", reported);
		text = xasprintf("The moderators of %s warn you about your "
				 "messages%s%s",
				 bc->cfg->service_domain,
				 r->note && *r->note ? ": " : ".",
				 r->note && *r->note ? r->note : "");
		break;
	case STORE_OUTCOME_SUSPEND:
		what = xasprintf("%s is suspended until %s.", reported, when);
		text = xasprintf("The moderators of %s suspended you until %s: "
				 "you cannot send messages until then.",
				 bc->cfg->service_domain, when);
		break;
	case STORE_OUTCOME_REMOVE:
		what = xasprintf("%s has been removed.", reported);
		text = NULL; /* nobody is left to tell */
		break;
	default:
		what = xasprintf("no action against %s was needed.", reported);
		text = NULL;
		break;
	}
	if (text != NULL)
		mod_tell(bc, r->reported, text, false);
	free(text);
	text = xasprintf("Your report %" PRIu64 " was reviewed by the "
			 "moderators: %s",
			 r->id, what);
	mod_tell(bc, r->reporter, text, true);
	free(text);
	free(what);
}

/* Removes the identity handle as a moderator's outcome: its accounts are
 * unlinked for every module first.  Returns 0 or a BC_E* code. */
/* Tells the session layer that the accounts of a removed identity are no
 * longer linked. */
static void mod_unlinked(struct bc *bc, char **jids)
{
	size_t i;

	for (i = 0; jids != NULL && jids[i] != NULL; i++)
		bc_linked(bc, jids[i], false);
}

int moderation_resolve(struct bc *bc, uint64_t id,
		       enum store_report_outcome outcome, int64_t duration_ms,
		       const char *note, const char *by,
		       struct store_report *out)
{
	struct store_resolution res = {outcome, note, by, 0, false,
				       bc->cfg->service_domain};
	struct store_report r;
	char node[JID_MAX], addr[JID_MAX];
	char **jids = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_report_get(bc->store, id, &r);
	if (rc == STORE_NOTFOUND)
		return MOD_ENOREPORT;
	if (rc != 0)
		return BC_EINTERNAL;
	if (r.state != STORE_REPORT_OPEN)
		rc = MOD_EDONE;
	else if (outcome == STORE_OUTCOME_SUSPEND && duration_ms <= 0)
		rc = MOD_EDURATION;
	else if (outcome == STORE_OUTCOME_REMOVE &&
		 (mod_address(bc, r.reported, addr, node) != 0 ||
		  !handle_is_valid(node)))
		rc = MOD_ENOTMEMBER;
	store_report_clear(&r);
	if (rc != 0)
		return rc;
	if (outcome == STORE_OUTCOME_SUSPEND)
		res.until_ms = clock_now_ms() + duration_ms;
	/* A removal's linked accounts, read before they go with it. */
	if (outcome == STORE_OUTCOME_REMOVE &&
	    store_link_list(bc->store, node, &jids) != 0)
		return BC_EINTERNAL;
	/* One transaction: the resolution and, for "remove", the identity. */
	rc = store_report_settle(bc->store, id, &res, out);
	if (rc == 0)
		mod_unlinked(bc, jids);
	store_strv_free(jids);
	if (rc == STORE_EEXIST)
		return MOD_EDONE;
	if (rc == STORE_EINVAL)
		return MOD_ENOTMEMBER; /* removed meanwhile */
	return rc == 0 ? 0 : BC_EINTERNAL;
}

/* One line about a report for a list. */
static char *mod_line(struct bc *bc, const struct store_report *r)
{
	char reporter[JID_MAX], reported[JID_MAX], when[40];
	const char *reason = r->reason ? r->reason : "";
	char *text = requests_defang(r->text ? r->text : "", 120), *line;

	if (strncmp(reason, "urn:xmpp:reporting:", 19) == 0)
		reason += 19;
	if (mod_address(bc, r->reporter, reporter, NULL) != 0)
		snprintf(reporter, sizeof(reporter), "?");
	if (mod_address(bc, r->reported, reported, NULL) != 0)
		snprintf(reported, sizeof(reported), "?");
	clock_format_xep82(r->created_ms, when, sizeof(when));
	line = xasprintf("#%" PRIu64 " %s: %s reported %s (%s)%s%s", r->id,
			 when, reporter, reported, reason, *text ? ": " : "",
			 text);
	free(text);
	return line;
}

/* The body of an evidence message (stanza text), defanged; or a note
 * that it has none. */
static char *mod_evidence(struct bc *bc, const char *stanza_text)
{
	xmpp_stanza_t *s = xmpp_stanza_new_from_string(bc->xctx, stanza_text);
	char *b = s ? xmpp_message_get_body(s) : NULL, *out;

	out = requests_defang(b ? b : "(no text)", MOD_EVIDENCE_CHARS);
	if (b != NULL)
		xmpp_free(bc->xctx, b);
	if (s != NULL)
		xmpp_stanza_release(s);
	return out;
}

/* The list, from the first open report after the id in a->data (none:
 * from the start). */
static int mod_list_page(struct adhoc *a)
{
	struct bc *bc = a->st->bc;
	struct store_report *v = NULL;
	uint64_t after = a->data ? strtoull(a->data, NULL, 10) : 0;
	xmpp_stanza_t *form, *f;
	char label[32], *line;
	size_t n = 0, i;
	bool more = false;

	if (store_report_page(bc->store, after, MOD_PAGE, &v, &n, &more) != 0)
		return BC_EINTERNAL;
	if (n == 0) {
		store_report_list_free(v, n);
		adhoc_done(a, "info", after ? "No more open reports."
					    : "No open reports.");
		return XEP_OK;
	}
	form = adhoc_form(a, "Open reports",
			  "Choose a report to see its evidence and resolve "
			  "it.",
			  false);
	for (i = 0; i < n; i++) {
		line = mod_line(bc, &v[i]);
		adhoc_field(form, NULL, "fixed", NULL, line);
		free(line);
	}
	f = adhoc_field(form, "report", "list-single", "Report", NULL);
	xep_add_child(f, "required", NULL);
	for (i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "%" PRIu64, v[i].id);
		adhoc_option(f, label, label);
	}
	if (more)
		adhoc_option(f, "More reports", "next");
	free(a->data);
	a->data = xasprintf("%" PRIu64, v[n - 1].id);
	a->stage = 1;
	store_report_list_free(v, n);
	return XEP_OK;
}

/* One report with its evidence, and the resolution form. */
static int mod_show(struct adhoc *a, uint64_t id)
{
	struct bc *bc = a->st->bc;
	struct store_report r;
	xmpp_stanza_t *form, *f;
	char *line;
	size_t i;
	int rc;

	rc = store_report_get(bc->store, id, &r);
	if (rc == STORE_NOTFOUND || (rc == 0 && r.state != STORE_REPORT_OPEN)) {
		store_report_clear(&r);
		return xep_fail(a->st, BC_EITEM_NOT_FOUND,
				"There is no such open report.");
	}
	if (rc != 0)
		return BC_EINTERNAL;
	form = adhoc_form(a, "Resolve a report", NULL, true);
	line = mod_line(bc, &r);
	adhoc_field(form, NULL, "fixed", NULL, line);
	free(line);
	for (i = 0; r.evidence && r.evidence[i] && i < MOD_EVIDENCE_MAX; i++) {
		char *body = mod_evidence(bc, r.evidence[i]);

		line = xasprintf("Evidence %zu: %s", i + 1, body);
		adhoc_field(form, NULL, "fixed", NULL, line);
		free(line);
		free(body);
	}
	if (i == 0)
		adhoc_field(form, NULL, "fixed", NULL, "No evidence.");
	f = adhoc_field(form, "outcome", "list-single", "Outcome", NULL);
	xep_add_child(f, "required", NULL);
	adhoc_option(f, "Dismiss: no action", "dismiss");
	adhoc_option(f, "Warn the reported account", "warn");
	adhoc_option(f, "Suspend it for a time", "suspend");
	adhoc_option(f, "Remove the identity", "remove");
	adhoc_field(form, "duration", "text-single",
		    "Suspension (e.g. 24h, 7d)", "24h");
	adhoc_field(form, "note", "text-single", "Note (a warning's text)",
		    NULL);
	store_report_clear(&r);
	free(a->data);
	a->data = xasprintf("%" PRIu64, id);
	a->stage = 2;
	return XEP_OK;
}

static int mod_resolve_step(struct adhoc *a)
{
	struct bc *bc = a->st->bc;
	char *outcome = adhoc_value(a, "outcome");
	char *duration = adhoc_value(a, "duration");
	char *note = adhoc_value(a, "note");
	enum store_report_outcome o;
	struct store_report r;
	int64_t ms = 0;
	char *done;
	uint64_t id = a->data ? strtoull(a->data, NULL, 10) : 0;
	int rc;

	memset(&r, 0, sizeof(r));

	if (moderation_outcome_parse(outcome, &o) != 0) {
		rc = xep_fail(a->st, BC_EBAD_REQUEST,
			      "Choose dismiss, warn, suspend or remove.");
		goto out;
	}
	if (o == STORE_OUTCOME_SUSPEND &&
	    (duration == NULL || cfg_parse_duration(duration, &ms) != 0 ||
	     ms <= 0)) {
		rc = xep_fail(a->st, BC_EBAD_REQUEST,
			      "Give the suspension's length, e.g. 24h or "
			      "7d.");
		goto out;
	}
	rc = moderation_resolve(bc, id, o, ms, note, a->st->from_bare, &r);
	switch (rc) {
	case 0:
		break;
	case MOD_ENOREPORT:
	case MOD_EDONE:
		rc = xep_fail(a->st, BC_EITEM_NOT_FOUND,
			      "There is no such open report.");
		goto out;
	case MOD_ENOTMEMBER:
		rc = xep_fail(a->st, BC_EBAD_REQUEST,
			      "Only an identity can be removed; suspend an "
			      "outside account instead.");
		goto out;
	default:
		goto out;
	}
	moderation_announce(bc, &r);
	log_info("report %" PRIu64 " resolved (%s)", id,
		 moderation_outcome_name(o));
	done = xasprintf("Report %" PRIu64 " resolved: %s.", id,
			 moderation_outcome_name(o));
	adhoc_done(a, "info", done);
	free(done);
out:
	store_report_clear(&r); /* whatever the outcome */
	free(outcome);
	free(duration);
	free(note);
	return rc;
}

/* Ad-hoc "moderation": the open reports, a page at a time; one of them; its
 * resolution. */
static int mod_reports_cmd(struct adhoc *a)
{
	char *choice, *end;
	uint64_t id;
	int rc;

	switch (a->stage) {
	case 0:
		free(a->data);
		a->data = NULL;
		return mod_list_page(a);
	case 1:
		choice = adhoc_value(a, "report");
		if (choice != NULL && strcmp(choice, "next") == 0) {
			free(choice);
			return mod_list_page(a);
		}
		id = choice ? strtoull(choice, &end, 10) : 0;
		if (choice == NULL || *end != '\0' || id == 0)
			rc = xep_fail(a->st, BC_EBAD_REQUEST,
				      "Choose a report.");
		else
			rc = mod_show(a, id);
		free(choice);
		return rc;
	default:
		return mod_resolve_step(a);
	}
}

static const struct xep_command mod_commands[] = {
	{"moderation", "Review reports", XEP_CMD_MODERATOR, mod_reports_cmd},
	{NULL, NULL, 0, NULL},
};

static int mod_init(struct bc *bc, void **state)
{
	(void)bc;
	*state = xcalloc(1, sizeof(struct mod_state));
	return 0;
}

static void mod_fini(struct bc *bc, void *state)
{
	(void)bc;
	free(state);
}

/* Resolutions made by another process (backchannelctl): announced here. */
static void mod_tick(struct bc *bc, int64_t now_ms)
{
	struct mod_state *s = bc_module_state(bc, &xep_moderation);
	struct store_change *v = NULL;
	struct store_report r;
	size_t n = 0, i;

	/* Announced from D, by the daemon that serves it. */
	if (s == NULL || bc->store == NULL ||
	    !bc_serves(bc, BC_LINK_SERVICE))
		return;
	if (s->started && now_ms >= s->read_ms &&
	    now_ms - s->read_ms < MOD_CHANGES_MS)
		return;
	s->read_ms = now_ms;
	if (!s->started) {
		/* What was resolved before we started is not announced. */
		if (store_changes_head(bc->store, &s->changes) == 0)
			s->started = true;
		return;
	}
	if (store_changes_since(bc->store, &s->changes, &v, &n) != 0) {
		log_warnx("moderation: the change log could not be read");
		return;
	}
	for (i = 0; i < n; i++) {
		if (v[i].kind != STORE_CHANGE_REPORT || v[i].name == NULL)
			continue;
		if (store_report_get(bc->store, strtoull(v[i].name, NULL, 10),
				     &r) != 0)
			continue;
		moderation_announce(bc, &r);
		store_report_clear(&r);
	}
	store_change_list_free(v, n);
}

const struct xep_module xep_moderation = {
	.name = "moderation",
	.commands = mod_commands,
	.init = mod_init,
	.fini = mod_fini,
	.tick = mod_tick,
};
