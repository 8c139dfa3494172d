/*
 * ctl.c - backchannelctl's commands, from one table: each entry names the
 * command words, the number of operands, its usage line and its handler.
 * The generic checks (operand count, --help) run once here for all.
 *
 * Every command is one or a few store calls; the store is flushed before
 * the program says it succeeded.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "component/cfg.h"
#include "component/clock.h"
#include "component/jid.h"
#include "component/log.h"
#include "component/metrics.h"
#include "ctl/ctl.h"
#include "ctl/data.h"
#include "store/store.h"

struct ctl_ctx {
	struct store *st;
	int64_t token_ttl_ms;
	FILE *out, *err;
	const char *metrics_listen; /* the daemon's counters, or NULL */
	const char *domain; /* D, to match reports' addresses, or NULL */
};

/* How long "stats" waits for the daemon's counters. */
#define CTL_SCRAPE_MS 3000

struct ctl_cmd {
	const char *word1, *word2; /* word2 NULL for one-word commands */
	int min_args, max_args;    /* operands after the words; -1 no max */
	const char *usage;
	const char *help;
	int own_opts; /* the handler parses options and counts operands */
	int (*run)(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		   char **argv);
};

static int ctl_fail(struct ctl_ctx *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ctl_fail(struct ctl_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	fputs("backchannelctl: ", c->err);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	return code;
}

/* Turns a store code into the exit code and its one line. */
static int ctl_store_fail(struct ctl_ctx *c, int rc, const char *what)
{
	switch (rc) {
	case 0:
		return CTL_OK;
	case STORE_NOTFOUND:
		return ctl_fail(c, CTL_FAIL, "%s: not found", what);
	case STORE_EEXIST:
		return ctl_fail(c, CTL_FAIL, "%s: already exists", what);
	case STORE_EINVAL:
		return ctl_fail(c, CTL_FAIL, "%s: invalid", what);
	case STORE_ELIMIT:
		return ctl_fail(c, CTL_FAIL, "%s: over a limit", what);
	default:
		return ctl_fail(c, CTL_FAIL, "%s: store failure", what);
	}
}

static int ctl_check_handle(struct ctl_ctx *c, const char *h)
{
	char n[STORE_HANDLE_SIZE];

	if (store_handle_norm(h, n) != 0)
		return ctl_fail(c, CTL_FAIL,
				"bad handle '%s' (expected [a-z0-9._-]{1,64})",
				h);
	return 0;
}

/* An existing identity, or the one line saying it is unknown. */
static int ctl_need_identity(struct ctl_ctx *c, const char *h)
{
	struct store_identity id;
	int rc;

	rc = ctl_check_handle(c, h);
	if (rc != 0)
		return rc;
	rc = store_identity_get(c->st, h, &id);
	if (rc == STORE_NOTFOUND)
		return ctl_fail(c, CTL_FAIL, "unknown handle '%s'", h);
	return rc == 0 ? 0 : ctl_store_fail(c, rc, h);
}

static int ctl_check_jid(struct ctl_ctx *c, const char *jid)
{
	char n[STORE_JID_SIZE];

	if (store_jid_norm(jid, n) != 0)
		return ctl_fail(c, CTL_FAIL, "bad JID '%s'", jid);
	return 0;
}

/* A real account's JID: user@domain (a resource is dropped). */
static int ctl_check_account(struct ctl_ctx *c, const char *jid)
{
	struct jid j;

	if (jid_parse(jid, &j) < 0 || j.node[0] == '\0')
		return ctl_fail(c, CTL_FAIL,
				"'%s' is not an account's JID (expected "
				"user@domain)",
				jid);
	return ctl_check_jid(c, jid);
}

/* Options of a command: long options after the operands or between
 * them.  Returns the operands left in argv (compacted) or -1. */
struct ctl_opt {
	const char *name;
	int has_arg;
	const char **value;   /* the last value, has_arg */
	const char ***values; /* all values (NULL-terminated), has_arg */
	size_t nvalues;
	int *flag;            /* set to 1, !has_arg */
};

static int ctl_parse_opts(struct ctl_ctx *c, const struct ctl_cmd *cmd,
			  int argc, char **argv, struct ctl_opt *opts)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		struct ctl_opt *o;

		if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
			argv[n++] = argv[i];
			continue;
		}
		for (o = opts; o != NULL && o->name != NULL; o++)
			if (strcmp(argv[i] + 2, o->name) == 0)
				break;
		if (o == NULL || o->name == NULL)
			return ctl_fail(c, -CTL_USAGE,
					"unknown option %s; usage: %s",
					argv[i], cmd->usage);
		if (!o->has_arg) {
			*o->flag = 1;
			continue;
		}
		if (i + 1 >= argc)
			return ctl_fail(c, -CTL_USAGE,
					"%s needs a value; usage: %s", argv[i],
					cmd->usage);
		i++;
		if (o->value != NULL)
			*o->value = argv[i];
		if (o->values != NULL) {
			*o->values = realloc(*o->values,
					     (o->nvalues + 2) * sizeof(char *));
			if (*o->values == NULL)
				abort();
			(*o->values)[o->nvalues++] = argv[i];
			(*o->values)[o->nvalues] = NULL;
		}
	}
	return n;
}

static int ctl_operands(struct ctl_ctx *c, const struct ctl_cmd *cmd, int n)
{
	if (n < cmd->min_args || (cmd->max_args >= 0 && n > cmd->max_args))
		return ctl_fail(c, CTL_USAGE, "usage: %s", cmd->usage);
	return 0;
}

/* The commands. */

static int ctl_identity_add(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	const char *name = NULL;
	int bot = 0, rc;
	struct ctl_opt opts[] = {
		{"name", 1, &name, NULL, 0, NULL},
		{"bot", 0, NULL, NULL, 0, &bot},
		{NULL, 0, NULL, NULL, 0, NULL},
	};
	struct store_identity id;

	argc = ctl_parse_opts(c, cmd, argc, argv, opts);
	if (argc < 0)
		return -argc;
	if ((rc = ctl_operands(c, cmd, argc)) != 0)
		return rc;
	if ((rc = ctl_check_handle(c, argv[0])) != 0)
		return rc;
	memset(&id, 0, sizeof(id));
	snprintf(id.handle, sizeof(id.handle), "%s", argv[0]);
	if (name != NULL && strlen(name) >= sizeof(id.name))
		return ctl_fail(c, CTL_FAIL, "display name too long (at most "
				"%zu bytes)", sizeof(id.name) - 1);
	snprintf(id.name, sizeof(id.name), "%s", name ? name : "");
	id.bot = bot;
	rc = store_identity_add(c->st, &id);
	if (rc == STORE_EEXIST)
		return ctl_fail(c, CTL_FAIL, "identity '%s' already exists",
				argv[0]);
	return ctl_store_fail(c, rc, argv[0]);
}

static int ctl_identity_remove(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	int rc = ctl_need_identity(c, argv[0]);

	if (rc != 0)
		return rc;
	return ctl_store_fail(c, store_identity_remove(c->st, argv[0]),
			      argv[0]);
}

static int ctl_link(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	char h[STORE_HANDLE_SIZE];
	int rc;

	if ((rc = ctl_need_identity(c, argv[0])) != 0 ||
	    (rc = ctl_check_account(c, argv[1])) != 0)
		return rc;
	rc = store_link(c->st, argv[0], argv[1]);
	if (rc == STORE_EEXIST && store_link_get(c->st, argv[1], h) == 0)
		return ctl_fail(c, CTL_FAIL, "%s is already linked to '%s'",
				argv[1], h);
	return ctl_store_fail(c, rc, argv[1]);
}

static int ctl_unlink(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	int rc;

	if ((rc = ctl_need_identity(c, argv[0])) != 0 ||
	    (rc = ctl_check_jid(c, argv[1])) != 0)
		return rc;
	rc = store_unlink(c->st, argv[0], argv[1]);
	if (rc == STORE_NOTFOUND)
		return ctl_fail(c, CTL_FAIL, "%s is not linked to '%s'",
				argv[1], argv[0]);
	return ctl_store_fail(c, rc, argv[1]);
}

static int ctl_token(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	char tok[STORE_TOKEN_SIZE];
	int rc;

	if ((rc = ctl_need_identity(c, argv[0])) != 0)
		return rc;
	rc = store_token_new(c->st, argv[0], c->token_ttl_ms, tok);
	if (rc != 0)
		return ctl_store_fail(c, rc, argv[0]);
	fprintf(c->out, "%s\n", tok);
	return CTL_OK;
}

static int ctl_follow(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	int rc;

	if ((rc = ctl_need_identity(c, argv[0])) != 0 ||
	    (rc = ctl_need_identity(c, argv[1])) != 0)
		return rc;
	rc = store_follow(c->st, argv[0], argv[1]);
	if (rc == STORE_EEXIST)
		return ctl_fail(c, CTL_FAIL, "'%s' already follows '%s'",
				argv[0], argv[1]);
	if (rc == STORE_EINVAL)
		return ctl_fail(c, CTL_FAIL, "'%s' cannot follow itself",
				argv[0]);
	return ctl_store_fail(c, rc, argv[1]);
}

static int ctl_unfollow(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	int rc;

	if ((rc = ctl_need_identity(c, argv[0])) != 0 ||
	    (rc = ctl_need_identity(c, argv[1])) != 0)
		return rc;
	rc = store_unfollow(c->st, argv[0], argv[1]);
	if (rc == STORE_NOTFOUND)
		return ctl_fail(c, CTL_FAIL, "'%s' does not follow '%s'",
				argv[0], argv[1]);
	return ctl_store_fail(c, rc, argv[1]);
}

static int ctl_room_open(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	const char *title = NULL;
	const char **hosts = NULL, **speakers = NULL;
	struct ctl_opt opts[] = {
		{"title", 1, &title, NULL, 0, NULL},
		{"host", 1, NULL, &hosts, 0, NULL},
		{"speaker", 1, NULL, &speakers, 0, NULL},
		{NULL, 0, NULL, NULL, 0, NULL},
	};
	size_t i;
	int rc;

	argc = ctl_parse_opts(c, cmd, argc, argv, opts);
	if (argc < 0) {
		rc = -argc;
		goto out;
	}
	if ((rc = ctl_operands(c, cmd, argc)) != 0)
		goto out;
	if (title == NULL) {
		rc = ctl_fail(c, CTL_USAGE, "--title is required; usage: %s",
			      cmd->usage);
		goto out;
	}
	for (i = 0; hosts != NULL && hosts[i] != NULL; i++)
		if ((rc = ctl_need_identity(c, hosts[i])) != 0)
			goto out;
	for (i = 0; speakers != NULL && speakers[i] != NULL; i++)
		if ((rc = ctl_need_identity(c, speakers[i])) != 0)
			goto out;
	rc = store_room_open(c->st, argv[0], title, hosts, speakers);
	if (rc == STORE_EEXIST)
		rc = ctl_fail(c, CTL_FAIL, "'%s' is a group chat, not an "
			      "audio room", argv[0]);
	else if (rc == STORE_EINVAL)
		rc = ctl_fail(c, CTL_FAIL, "bad room name '%s'", argv[0]);
	else
		rc = ctl_store_fail(c, rc, argv[0]);
out:
	free(hosts);
	free(speakers);
	return rc;
}

static int ctl_room_close(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	int rc = store_room_close(c->st, argv[0]);

	if (rc == STORE_NOTFOUND)
		return ctl_fail(c, CTL_FAIL, "unknown room '%s'", argv[0]);
	return ctl_store_fail(c, rc, argv[0]);
}

static int ctl_room_stage(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	static const struct {
		const char *word;
		enum store_affil affil;
	} places[] = {{"host", STORE_AFFIL_HOST},
		      {"speaker", STORE_AFFIL_SPEAKER},
		      {"listener", STORE_AFFIL_NONE}};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(places) / sizeof(*places) &&
		    strcmp(argv[2], places[i].word) != 0;
	     i++)
		;
	if (i == sizeof(places) / sizeof(*places))
		return ctl_fail(c, CTL_USAGE,
				"the place is host, speaker or listener, not "
				"'%s'; usage: %s", argv[2], cmd->usage);
	if ((rc = ctl_need_identity(c, argv[1])) != 0)
		return rc;
	rc = store_room_stage(c->st, argv[0], argv[1], places[i].affil);
	if (rc == STORE_NOTFOUND)
		return ctl_fail(c, CTL_FAIL, "unknown room '%s'", argv[0]);
	if (rc == STORE_EEXIST)
		return ctl_fail(c, CTL_FAIL, "'%s' is a group chat, not an "
				"audio room", argv[0]);
	return ctl_store_fail(c, rc, argv[0]);
}

static const char *const ctl_outcomes[] = {
	[STORE_OUTCOME_NONE] = "none",
	[STORE_OUTCOME_DISMISS] = "dismiss",
	[STORE_OUTCOME_WARN] = "warn",
	[STORE_OUTCOME_SUSPEND] = "suspend",
	[STORE_OUTCOME_REMOVE] = "remove",
};

/* One report: its line, its resolution's line when it has one, and one
 * line per evidence message. */
static void ctl_report_print(struct ctl_ctx *c, const struct store_report *r)
{
	char when[40], until[40];
	size_t j;

	clock_format_xep82(r->created_ms, when, sizeof(when));
	fprintf(c->out, "%" PRIu64 "\t%s\t%s\t%s\t%s\t%s\t%s\n", r->id,
		r->state == STORE_REPORT_OPEN ? "open" : "resolved", when,
		r->reporter, r->reported, r->reason ? r->reason : "",
		r->text ? r->text : "");
	if (r->state != STORE_REPORT_OPEN) {
		clock_format_xep82(r->resolved_ms, when, sizeof(when));
		if (r->until_ms != 0)
			clock_format_xep82(r->until_ms, until, sizeof(until));
		else
			until[0] = '\0';
		fprintf(c->out, "\tresolution\t%s\t%s\t%s\t%s\t%s\n",
			r->outcome <= STORE_OUTCOME_MAX
				? ctl_outcomes[r->outcome]
				: "none",
			when, r->resolved_by ? r->resolved_by : "", until,
			r->note ? r->note : "");
	}
	for (j = 0; r->evidence && r->evidence[j]; j++)
		fprintf(c->out, "\tevidence\t%s\n", r->evidence[j]);
}

static int ctl_reports(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	struct store_report *v;
	int open_only = 0, rc;
	size_t i, n;
	struct ctl_opt opts[] = {
		{"open", 0, NULL, NULL, 0, &open_only},
		{NULL, 0, NULL, NULL, 0, NULL},
	};

	argc = ctl_parse_opts(c, cmd, argc, argv, opts);
	if (argc < 0)
		return -argc;
	if ((rc = ctl_operands(c, cmd, argc)) != 0)
		return rc;
	rc = store_report_list(c->st, open_only, &v, &n);
	if (rc != 0)
		return ctl_store_fail(c, rc, "reports");
	for (i = 0; i < n; i++)
		ctl_report_print(c, &v[i]);
	store_report_list_free(v, n);
	return CTL_OK;
}

/* A report's number: 0, or the usage line. */
static int ctl_report_id(struct ctl_ctx *c, const char *arg, uint64_t *id)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno != 0 || *end != '\0' || end == arg || v == 0 ||
	    arg[0] == '-')
		return ctl_fail(c, CTL_USAGE, "bad report id '%s' (expected "
				"a number)", arg);
	*id = v;
	return 0;
}

static int ctl_report_show(struct ctl_ctx *c, const struct ctl_cmd *cmd,
			   int argc, char **argv)
{
	struct store_report r;
	uint64_t id;
	int rc;

	(void)cmd;
	(void)argc;
	if ((rc = ctl_report_id(c, argv[0], &id)) != 0)
		return rc;
	rc = store_report_get(c->st, id, &r);
	if (rc == STORE_NOTFOUND)
		return ctl_fail(c, CTL_FAIL, "unknown report %s", argv[0]);
	if (rc != 0)
		return ctl_store_fail(c, rc, argv[0]);
	ctl_report_print(c, &r);
	store_report_clear(&r);
	return CTL_OK;
}

/* A duration option's value in ms (> 0): 0, or the usage line. */
static int ctl_duration(struct ctl_ctx *c, const struct ctl_cmd *cmd,
			const char *text, int64_t *ms)
{
	if (text == NULL || cfg_parse_duration(text, ms) != 0 || *ms <= 0)
		return ctl_fail(c, CTL_USAGE,
				"bad duration '%s' (expected e.g. 24h or 7d); "
				"usage: %s",
				text ? text : "", cmd->usage);
	return 0;
}

/* The node under D a report names (store_report_node()), into out; ""
 * when it names none. */
static const char *ctl_reported(struct ctl_ctx *c, const char *reported,
				char out[JID_MAX])
{
	if (store_report_node(reported, c->domain, out, JID_MAX) != 0)
		out[0] = '\0';
	return out;
}

static int ctl_report_resolve(struct ctl_ctx *c, const struct ctl_cmd *cmd,
			      int argc, char **argv)
{
	const char *note = NULL, *dur = NULL;
	struct store_resolution res = {STORE_OUTCOME_DISMISS, NULL,
				       "backchannelctl", 0, true, NULL};
	struct store_report r;
	struct store_identity ident;
	char handle[JID_MAX];
	int64_t ms = 0;
	uint64_t id;
	int rc, i;
	struct ctl_opt opts[] = {
		{"note", 1, &note, NULL, 0, NULL},
		{"for", 1, &dur, NULL, 0, NULL},
		{NULL, 0, NULL, NULL, 0, NULL},
	};

	argc = ctl_parse_opts(c, cmd, argc, argv, opts);
	if (argc < 0)
		return -argc;
	if ((rc = ctl_operands(c, cmd, argc)) != 0)
		return rc;
	if ((rc = ctl_report_id(c, argv[0], &id)) != 0)
		return rc;
	if (argc > 1) {
		for (i = STORE_OUTCOME_DISMISS; i <= STORE_OUTCOME_MAX; i++)
			if (strcmp(argv[1], ctl_outcomes[i]) == 0)
				break;
		if (i > STORE_OUTCOME_MAX)
			return ctl_fail(c, CTL_USAGE,
					"bad outcome '%s' (expected dismiss, "
					"warn, suspend or remove)",
					argv[1]);
		res.outcome = (enum store_report_outcome)i;
	}
	if (res.outcome == STORE_OUTCOME_SUSPEND) {
		if ((rc = ctl_duration(c, cmd, dur, &ms)) != 0)
			return rc;
		res.until_ms = clock_now_ms() + ms;
	} else if (dur != NULL) {
		return ctl_fail(c, CTL_USAGE, "--for goes with suspend only");
	}
	res.note = note;
	res.domain = c->domain;
	/* Only an identity can be removed: checked before anything
	 * changes. */
	rc = store_report_get(c->st, id, &r);
	if (rc == STORE_NOTFOUND)
		return ctl_fail(c, CTL_FAIL, "unknown report %s", argv[0]);
	if (rc != 0)
		return ctl_store_fail(c, rc, argv[0]);
	if (res.outcome == STORE_OUTCOME_REMOVE &&
	    (ctl_reported(c, r.reported, handle)[0] == '\0' ||
	     store_identity_get(c->st, handle, &ident) != 0)) {
		rc = ctl_fail(c, CTL_FAIL,
			      "report %s is not about an identity: suspend "
			      "instead",
			      argv[0]);
		store_report_clear(&r);
		return rc;
	}
	store_report_clear(&r);
	/* One transaction: the resolution, the identity a removal removes
	 * and the change note the daemon announces it by. */
	rc = store_report_settle(c->st, id, &res, NULL);
	if (rc == STORE_NOTFOUND)
		return ctl_fail(c, CTL_FAIL, "unknown report %s", argv[0]);
	if (rc == STORE_EEXIST)
		return ctl_fail(c, CTL_FAIL, "report %s is resolved already",
				argv[0]);
	if (rc == STORE_EINVAL && res.outcome == STORE_OUTCOME_REMOVE)
		return ctl_fail(c, CTL_FAIL,
				"report %s is not about an identity: suspend "
				"instead",
				argv[0]);
	return ctl_store_fail(c, rc, argv[0]);
}

/* An address under D as given (a handle, an escaped address, either @D,
 * or an outside user's JID): its node (store_report_node()); "" when it
 * is none. */
static const char *ctl_node(struct ctl_ctx *c, const char *arg, char *out,
			    size_t len)
{
	if (store_report_node(arg, c->domain, out, len) != 0)
		out[0] = '\0';
	return out;
}

static int ctl_suspend(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		       char **argv)
{
	const char *note = NULL;
	char node[JID_MAX], when[40];
	int64_t ms;
	int rc;
	struct ctl_opt opts[] = {
		{"note", 1, &note, NULL, 0, NULL},
		{NULL, 0, NULL, NULL, 0, NULL},
	};

	argc = ctl_parse_opts(c, cmd, argc, argv, opts);
	if (argc < 0)
		return -argc;
	if ((rc = ctl_operands(c, cmd, argc)) != 0)
		return rc;
	if ((rc = ctl_duration(c, cmd, argv[1], &ms)) != 0)
		return rc;
	if (ctl_node(c, argv[0], node, sizeof(node))[0] == '\0')
		return ctl_fail(c, CTL_USAGE, "bad address '%s'", argv[0]);
	if (strstr(node, "\\40") == NULL && (rc = ctl_need_identity(c, node)))
		return rc;
	rc = store_sanction_suspend(c->st, node, clock_now_ms() + ms, note);
	if (rc != 0)
		return ctl_store_fail(c, rc, argv[0]);
	fprintf(c->out, "%s suspended until %s\n", node,
		clock_format_xep82(clock_now_ms() + ms, when, sizeof(when)));
	return CTL_OK;
}

static int ctl_unsuspend(struct ctl_ctx *c, const struct ctl_cmd *cmd,
			 int argc, char **argv)
{
	char node[JID_MAX];
	int rc;

	(void)cmd;
	(void)argc;
	if (ctl_node(c, argv[0], node, sizeof(node))[0] == '\0')
		return ctl_fail(c, CTL_USAGE, "bad address '%s'", argv[0]);
	rc = store_sanction_suspend(c->st, node, 0, NULL);
	if (rc == STORE_NOTFOUND)
		return ctl_fail(c, CTL_FAIL, "%s is not suspended", argv[0]);
	return ctl_store_fail(c, rc, argv[0]);
}

/* Suspensions and restrictions: address, suspended until (or "-"),
 * restricted since (or "-"), note. */
static int ctl_sanctions(struct ctl_ctx *c, const struct ctl_cmd *cmd,
			 int argc, char **argv)
{
	struct store_sanction *v;
	char until[40], since[40];
	size_t i, n;
	int rc;

	(void)cmd;
	(void)argc;
	(void)argv;
	rc = store_sanction_list(c->st, &v, &n);
	if (rc != 0)
		return ctl_store_fail(c, rc, "sanctions");
	for (i = 0; i < n; i++) {
		if (v[i].until_ms > clock_now_ms())
			clock_format_xep82(v[i].until_ms, until, sizeof(until));
		else
			strcpy(until, "-");
		if (v[i].restricted)
			clock_format_xep82(v[i].restricted_ms, since,
					   sizeof(since));
		else
			strcpy(since, "-");
		if (!strcmp(until, "-") && !strcmp(since, "-"))
			continue; /* a suspension that has ended */
		fprintf(c->out, "%s\t%s\t%s\t%s\n", v[i].node, until, since,
			v[i].note ? v[i].note : "");
	}
	store_sanction_list_free(v, n);
	return CTL_OK;
}

/* The running daemon's counters, as its metrics listener serves them: one
 * "name{labels} value" line per sample.  Without a listener, or with no
 * daemon behind it, the store's counts stand alone (a line on err says
 * why). */
static int ctl_daemon_stats(struct ctl_ctx *c)
{
	char why[512], *text, *line, *next;

	if (c->metrics_listen == NULL)
		return CTL_OK;
	if (metrics_scrape(c->metrics_listen, CTL_SCRAPE_MS, &text, why,
			   sizeof(why)) < 0) {
		fprintf(c->err, "backchannelctl: no counters from the daemon "
			"(is it running?): %s\n", why);
		return CTL_OK;
	}
	for (line = text; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		next = next != NULL ? next + 1 : line + strlen(line);
		if (*line != '#')
			fprintf(c->out, "%.*s", (int)(next - line), line);
	}
	free(text);
	return CTL_OK;
}

static int ctl_stats(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		char **argv)
{
	struct store_stats s;
	int rc = store_stats(c->st, &s);

	if (rc != 0)
		return ctl_store_fail(c, rc, "stats");
	fprintf(c->out,
		"identities %" PRIu64 "\nlinks %" PRIu64 "\ntokens %" PRIu64
		"\nfollows %" PRIu64 "\nrelationships %" PRIu64
		"\nblocks %" PRIu64 "\nrequests %" PRIu64 "\nheld %" PRIu64
		"\nrooms %" PRIu64 "\nlive-rooms %" PRIu64
		"\narchived %" PRIu64 "\nevidence %" PRIu64
		"\nreports %" PRIu64 "\nopen-reports %" PRIu64
		"\nsubscriptions %" PRIu64 "\n",
		s.identities, s.links, s.tokens, s.follows, s.relations,
		s.blocks, s.requests, s.held, s.rooms, s.live_rooms, s.archive,
		s.evidence, s.reports, s.open_reports, s.subscriptions);
	return ctl_daemon_stats(c);
}

static int ctl_dump(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		    char **argv)
{
	return data_dump(c->st, argv[0], c->err);
}

static int ctl_load(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		    char **argv)
{
	return data_load(c->st, argv[0], c->err);
}

static int ctl_import(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		      char **argv)
{
	return data_import(c->st, argv[0], c->err);
}

static int ctl_group(struct ctl_ctx *c, const struct ctl_cmd *cmd, int argc,
		     char **argv)
{
	return ctl_store_fail(c, store_repl_show(c->st, c->out), "group");
}

/* In a replication group, a replica's store is read-only: these commands
 * only read, every other one is refused there (docs/SCALING.md). */
static bool ctl_reads_only(const char *word)
{
	static const char *const reads[] = {"stats", "dump", "reports",
					    "group", NULL};
	size_t i;

	for (i = 0; reads[i] != NULL; i++)
		if (strcmp(word, reads[i]) == 0)
			return true;
	return false;
}

static const struct ctl_cmd ctl_cmds[] = {
	{"identity", "add", 1, 1, "identity add HANDLE [--name NAME] [--bot]",
	 "Creates an identity.", 1, ctl_identity_add},
	{"identity", "remove", 1, 1, "identity remove HANDLE",
	 "Removes an identity with its links, follows and requests.",
	 0, ctl_identity_remove},
	{"link", NULL, 2, 2, "link HANDLE JID",
	 "Links a real bare JID to an identity.", 0, ctl_link},
	{"unlink", NULL, 2, 2, "unlink HANDLE JID", "Removes a link.",
	 0, ctl_unlink},
	{"token", NULL, 1, 1, "token HANDLE",
	 "Prints a new one-time link token for HANDLE.", 0, ctl_token},
	{"follow", NULL, 2, 2, "follow A B", "Makes A follow B.", 0, ctl_follow},
	{"unfollow", NULL, 2, 2, "unfollow A B", "A stops following B.",
	 0, ctl_unfollow},
	{"import", NULL, 1, 1, "import FILE",
	 "Adds identities (with links, follows, subscriptions) and rooms\n"
	 "(with affiliations) from XML (docs/DATA-FORMAT.md); refuses, "
	 "changing nothing,\na file naming any that exist.", 0, ctl_import},
	{"dump", NULL, 1, 1, "dump FILE", "Writes the whole store as XML.",
	 0, ctl_dump},
	{"room", "open", 1, 1,
	 "room open ROOM --title TITLE [--host HANDLE]... [--speaker HANDLE]...",
	 "Opens (or updates) the text chat of a live audio room.",
	 1, ctl_room_open},
	{"room", "close", 1, 1, "room close ROOM",
	 "Closes an audio room's chat, keeping its history.", 0, ctl_room_close},
	{"room", "stage", 3, 3, "room stage ROOM HANDLE host|speaker|listener",
	 "Puts a member on an audio room's stage (host or speaker) or takes\n"
	 "them off it (listener), at once in the running daemon.",
	 0, ctl_room_stage},
	{"load", NULL, 1, 1, "load FILE",
	 "Restores a dump into an empty store, all or nothing.", 0,
	 ctl_load},
	{"reports", NULL, 0, 0, "reports [--open]",
	 "Lists reports (only open ones with --open), tab-separated.",
	 1, ctl_reports},
	{"report", "show", 1, 1, "report show ID",
	 "Prints one report with its resolution and evidence.", 0,
	 ctl_report_show},
	{"report", "resolve", 1, 2,
	 "report resolve ID [dismiss|warn|suspend|remove] [--for DURATION] "
	 "[--note NOTE]",
	 "Resolves an open report (dismiss when no outcome is given):\n"
	 "suspend (--for, e.g. 7d) stops the reported address sending,\n"
	 "remove removes the reported identity.  The running daemon tells\n"
	 "the reporter the outcome, and a warned or suspended account why.",
	 1, ctl_report_resolve},
	{"suspend", NULL, 2, 2, "suspend ADDRESS DURATION [--note NOTE]",
	 "Suspends a handle or an escaped outside address: nothing it sends\n"
	 "goes anywhere until the time is up.", 1, ctl_suspend},
	{"unsuspend", NULL, 1, 1, "unsuspend ADDRESS",
	 "Lifts a suspension.", 0, ctl_unsuspend},
	{"sanctions", NULL, 0, 0, "sanctions",
	 "Lists suspended and restricted addresses, tab-separated: address,\n"
	 "suspended until, restricted since (- for none), note.", 0,
	 ctl_sanctions},
	{"stats", NULL, 0, 0, "stats",
	 "Prints record counts, then the running daemon's counters when the\n"
	 "configuration has <metrics listen=.../>.", 0, ctl_stats},
	{"group", NULL, 0, 0, "group",
	 "Shows the replication group: its sites, their roles, this site.",
	 0, ctl_group},
	{NULL, NULL, 0, 0, NULL, NULL, 0, NULL},
};

static void ctl_usage(FILE *f)
{
	const struct ctl_cmd *cmd;

	fputs("usage: backchannelctl -c FILE COMMAND [ARGS]\n"
	      "       backchannelctl --help | --version\n"
	      "       backchannelctl -c FILE COMMAND --help\n\ncommands:\n",
	      f);
	for (cmd = ctl_cmds; cmd->word1 != NULL; cmd++)
		fprintf(f, "  %s\n", cmd->usage);
}

static int ctl_has_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/* For a first word that needs a second ("identity"), the one line naming
 * the second words there are. */
static int ctl_subcommands(struct ctl_ctx *c, int argc, char **argv)
{
	const struct ctl_cmd *cmd;
	char list[256] = "";
	size_t n = 0;

	for (cmd = ctl_cmds; cmd->word1 != NULL; cmd++) {
		if (cmd->word2 == NULL || strcmp(cmd->word1, argv[0]) != 0)
			continue;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      n ? ", " : "", cmd->word2);
		if (n >= sizeof(list))
			n = sizeof(list) - 1;
	}
	if (n == 0)
		return -1;
	if (argc < 2 || argv[1][0] == '-')
		return ctl_fail(c, CTL_USAGE, "'%s' needs a subcommand: %s",
				argv[0], list);
	return ctl_fail(c, CTL_USAGE, "unknown subcommand '%s %s' (expected "
			"%s)", argv[0], argv[1], list);
}

/* Finds the command named by argv; *used gets how many words it took. */
static const struct ctl_cmd *ctl_find(int argc, char **argv, int *used)
{
	const struct ctl_cmd *cmd;

	for (cmd = ctl_cmds; cmd->word1 != NULL; cmd++) {
		if (strcmp(argv[0], cmd->word1) != 0)
			continue;
		if (cmd->word2 == NULL) {
			*used = 1;
			return cmd;
		}
		if (argc > 1 && strcmp(argv[1], cmd->word2) == 0) {
			*used = 2;
			return cmd;
		}
	}
	return NULL;
}

static int ctl_run_ctx(struct ctl_ctx *cp, int argc, char **argv)
{
	struct ctl_ctx c = *cp;
	const struct ctl_cmd *cmd;
	int used, rc;

	if (argc < 1)
		return ctl_fail(&c, CTL_USAGE, "no command; try --help");
	cmd = ctl_find(argc, argv, &used);
	if (cmd == NULL && (rc = ctl_subcommands(&c, argc, argv)) >= 0)
		return rc;
	if (cmd == NULL)
		return ctl_fail(&c, CTL_USAGE, "unknown command '%s'; try --help",
				argv[0]);
	argc -= used;
	argv += used;
	if (ctl_has_help(argc, argv)) {
		fprintf(c.out, "usage: backchannelctl -c FILE %s\n%s\n",
			cmd->usage, cmd->help);
		return CTL_OK;
	}
	if (!cmd->own_opts && (rc = ctl_operands(&c, cmd, argc)) != 0)
		return rc;
	rc = cmd->run(&c, cmd, argc, argv);
	/* Inside an open batch (the daemon's ad-hoc commands) the batch's
	 * owner makes the change durable before anyone is told. */
	if (rc == CTL_OK && !store_batch_is_open(c.st) &&
	    store_flush(c.st) != 0)
		return ctl_fail(&c, CTL_FAIL, "cannot make the change durable");
	return rc;
}

int ctl_run(struct store *st, int64_t token_ttl_ms, int argc, char **argv,
	    FILE *out, FILE *err)
{
	struct ctl_ctx c = {st, token_ttl_ms, out, err, NULL, NULL};

	return ctl_run_ctx(&c, argc, argv);
}

int ctl_run_domain(struct store *st, int64_t token_ttl_ms,
		   const char *domain, int argc, char **argv, FILE *out,
		   FILE *err)
{
	struct ctl_ctx c = {st, token_ttl_ms, out, err, NULL, domain};

	return ctl_run_ctx(&c, argc, argv);
}

/* Run as root, become the owner of the store directory (the service's
 * user), so that the files the store creates stay the daemon's.  Returns
 * 0, or -1 after saying why on stderr. */
static int ctl_become_store_owner(const char *path)
{
	struct stat sb;

	if (geteuid() != 0 || stat(path, &sb) != 0 || sb.st_uid == 0)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(sb.st_gid) != 0 ||
	    setuid(sb.st_uid) != 0) {
		fprintf(stderr, "backchannelctl: cannot become the owner of "
			"%s (uid %u): %s\n", path, (unsigned)sb.st_uid,
			strerror(errno));
		return -1;
	}
	return 0;
}

int ctl_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_ctx ctx = {NULL, 0, stdout, stderr, NULL, NULL};
	const char *config = NULL;
	struct cfg *cfg = NULL;
	struct store *st = NULL;
	char errbuf[1024];
	int opt, rc;

	log_init("backchannelctl", LOG_LEVEL_ERROR, false);
	/* "+": options stop at the command word. */
	while ((opt = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			ctl_usage(stdout);
			return CTL_OK;
		case 'V':
			printf("backchannelctl %s\n", PACKAGE_VERSION);
			return CTL_OK;
		default:
			fprintf(stderr, "backchannelctl: try --help\n");
			return CTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && ctl_has_help(argc, argv)) {
		/* COMMAND --help needs no configuration. */
		return ctl_run(NULL, 0, argc, argv, stdout, stderr);
	}
	if (config == NULL) {
		fprintf(stderr, "backchannelctl: -c FILE is required; try "
			"--help\n");
		return CTL_USAGE;
	}
	if (argc == 0) {
		fprintf(stderr, "backchannelctl: no command; try --help\n");
		return CTL_USAGE;
	}
	if (cfg_load(config, &cfg, errbuf, sizeof(errbuf)) != 0) {
		char *nl = strchr(errbuf, '\n');

		if (nl != NULL)
			*nl = '\0';
		fprintf(stderr, "backchannelctl: %s\n", errbuf);
		return CTL_FAIL;
	}
	if (ctl_become_store_owner(cfg->store_path) < 0) {
		rc = CTL_FAIL;
		goto out;
	}
	if (cfg->shard_store_path != NULL && strcmp(argv[0], "group") != 0) {
		/* A rooms instance: its own store holds its rooms alone;
		 * everything else is made on the group's master. */
		if (!ctl_reads_only(argv[0]) && !ctl_has_help(argc, argv)) {
			fprintf(stderr,
				"backchannelctl: this is a rooms instance "
				"(<shard>): it holds only the rooms the server "
				"routes to it; identities, links and audio rooms "
				"are made on the replication group's master\n");
			rc = CTL_FAIL;
			goto out;
		}
		rc = store_open(cfg->shard_store_path, STORE_NO_CHECKPOINT,
				&st);
	} else if (cfg->repl_listen != NULL) {
		/* Joins the replication manager of the daemon of this site. */
		struct store_repl_params rp = {
			.listen = cfg->repl_listen,
			.priority = cfg->repl_priority,
			.ack_timeout_ms = cfg->repl_ack_timeout_ms,
			.peers = cfg->repl_peers.v,
			.npeers = cfg->repl_peers.n,
			.instances = cfg->repl_instances.v,
			.ninstances = cfg->repl_instances.n,
			.subordinate = true,
			.reads_only = ctl_reads_only(argv[0]),
		};

		rc = store_open_repl(cfg->store_path,
				     STORE_NO_CHECKPOINT |
					     (strcmp(argv[0], "group") == 0
						      ? STORE_ENV_ONLY
						      : 0),
				     &rp, &st);
	} else {
		rc = store_open(cfg->store_path, STORE_NO_CHECKPOINT, &st);
	}
	if (rc != 0) {
		fprintf(stderr, "backchannelctl: cannot open the store at %s\n",
			cfg->shard_store_path != NULL &&
					strcmp(argv[0], "group") != 0
				? cfg->shard_store_path
				: cfg->store_path);
		rc = CTL_FAIL;
		goto out;
	}
	if (store_role(st, NULL) == STORE_ROLE_REPLICA &&
	    !ctl_reads_only(argv[0]) && !ctl_has_help(argc, argv)) {
		char master[300];

		if (store_master_addr(st, master, sizeof(master)) != 0)
			snprintf(master, sizeof(master), "(none known now)");
		fprintf(stderr,
			"backchannelctl: this site is a replica of the "
			"replication group; changes are made on the master, "
			"%s: run the command there\n",
			master);
		rc = CTL_FAIL;
		goto out;
	}
	ctx.st = st;
	ctx.token_ttl_ms = cfg->token_ttl_ms;
	ctx.metrics_listen = cfg->metrics_listen;
	ctx.domain = cfg->service_domain;
	rc = ctl_run_ctx(&ctx, argc, argv);
	if (fflush(stdout) != 0 && rc == CTL_OK)
		rc = CTL_FAIL;
out:
	store_close(st);
	cfg_free(cfg);
	return rc;
}
