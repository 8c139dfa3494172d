/*
 * test_ctl.c - backchannelctl's commands through ctl_run() on private
 * in-memory stores: the main commands, and dump, load and import of the
 * XML data format (a round trip of every kind of record must give the
 * same bytes, bad files one FILE:LINE line, import into a non-empty
 * store, all or nothing at the last record).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "component/clock.h"
#include "ctl/ctl.h"
#include "store/store.h"

#define T0 1790000000000LL

struct fx {
	struct store *st;
	char dir[32];
	char *out, *err;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	clock_pin(T0);
	assert_int_equal(store_open(NULL, STORE_IN_MEMORY, &f->st), 0);
	strcpy(f->dir, "/tmp/bc-ctl-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[64];

	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->out);
	free(f->err);
	free(f);
	clock_unpin();
	return 0;
}

/* Runs one command line (words separated by '|') on st; keeps the
 * output and error text in f. */
static int run(struct fx *f, struct store *st, const char *line)
{
	char *copy = strdup(line), *argv[16], *save = NULL, *w;
	size_t olen, elen;
	FILE *out, *err;
	int argc = 0, rc;

	for (w = strtok_r(copy, "|", &save); w != NULL && argc < 15;
	     w = strtok_r(NULL, "|", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	free(f->out);
	free(f->err);
	out = open_memstream(&f->out, &olen);
	err = open_memstream(&f->err, &elen);
	rc = ctl_run_domain(st, 86400000, "bc.example.org", argc, argv, out,
			    err);
	fclose(out);
	fclose(err);
	free(copy);
	return rc;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static char *path(struct fx *f, const char *name)
{
	static char buf[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", f->dir, name);
	return buf[i];
}

static void write_file(const char *p, const char *text)
{
	FILE *fp = fopen(p, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static char *read_file(const char *p, size_t *len)
{
	FILE *fp = fopen(p, "rb");
	char *s;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	s = malloc((size_t)n + 1);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return s;
}

/* suspend, unsuspend and report resolve take an address in any form
 * (store_report_node()): an outside user's JID, full or bare, is its
 * escaped address; handle@D in any case is the handle. */
static void test_address_forms(void **state)
{
	struct fx *f = *state;
	struct store_identity id;
	struct store_sanction s;
	struct store_report r;

	assert_int_equal(run(f, f->st, "suspend|Mallory@Elsewhere.org/phone|2d"),
			 CTL_OK);
	assert_int_equal(store_sanction_get(f->st, "mallory\\40elsewhere.org",
					    &s), 0);
	store_sanction_clear(&s);
	assert_int_equal(run(f, f->st, "unsuspend|mallory@elsewhere.org"),
			 CTL_OK);
	assert_int_equal(store_sanction_get(f->st, "mallory\\40elsewhere.org",
					    &s), STORE_NOTFOUND);
	assert_int_equal(run(f, f->st, "suspend|@bc.example.org|2d"),
			 CTL_USAGE);

	/* A report naming an identity as HANDLE@D/resource: removed. */
	memset(&id, 0, sizeof(id));
	snprintf(id.handle, sizeof(id.handle), "eve");
	assert_int_equal(store_identity_add(f->st, &id), 0);
	memset(&r, 0, sizeof(r));
	r.reporter = "bob";
	r.reported = "EVE@BC.example.org/x";
	assert_int_equal(store_report_add(f->st, &r, false, NULL), 0);
	assert_int_equal(run(f, f->st, "report|resolve|1|remove"), CTL_OK);
	assert_int_equal(store_identity_get(f->st, "eve", &id),
			 STORE_NOTFOUND);
	assert_int_equal(store_report_get(f->st, 1, &r), 0);
	assert_int_equal(r.outcome, STORE_OUTCOME_REMOVE);
	store_report_clear(&r);
}

static void test_commands(void **state)
{
	struct fx *f = *state;
	struct store_identity id;
	struct store_room room;
	char h[STORE_HANDLE_SIZE];
	char cmd[128];

	assert_int_equal(run(f, f->st, "identity|add|Alice|--name|Alice A."),
			 CTL_OK);
	assert_int_equal(store_identity_get(f->st, "alice", &id), 0);
	assert_string_equal(id.name, "Alice A.");
	assert_int_equal(run(f, f->st, "identity|add|alice"), CTL_FAIL);
	assert_int_equal(lines(f->err), 1);
	assert_non_null(strstr(f->err, "already exists"));
	assert_int_equal(run(f, f->st, "identity|add|bob|--bot"), CTL_OK);
	assert_int_equal(run(f, f->st, "identity|add"), CTL_USAGE);
	assert_int_equal(run(f, f->st, "identity|add|x|--colour|red"),
			 CTL_USAGE);

	assert_int_equal(run(f, f->st, "link|alice|a@x.org/phone"), CTL_OK);
	assert_int_equal(store_link_get(f->st, "a@x.org", h), 0);
	assert_int_equal(run(f, f->st, "link|bob|A@x.org"), CTL_FAIL);
	assert_non_null(strstr(f->err, "already linked to 'alice'"));
	assert_int_equal(run(f, f->st, "token|alice"), CTL_OK);
	assert_int_equal(strlen(f->out), 33);
	assert_int_equal(run(f, f->st, "token|nobody"), CTL_FAIL);

	assert_int_equal(run(f, f->st, "follow|alice|bob"), CTL_OK);
	assert_int_equal(store_follows(f->st, "alice", "bob"), 0);
	assert_int_equal(run(f, f->st, "follow|alice|alice"), CTL_FAIL);
	assert_int_equal(run(f, f->st, "unfollow|alice|bob"), CTL_OK);
	assert_int_equal(run(f, f->st, "unfollow|alice|bob"), CTL_FAIL);

	assert_int_equal(run(f, f->st, "room|open|live|--title|Live|--host|"
				       "alice|--speaker|bob"), CTL_OK);
	assert_int_equal(store_room_get(f->st, "live", &room), 0);
	assert_true(room.live);
	store_room_clear(&room);
	assert_int_equal(run(f, f->st, "room|open|live2"), CTL_USAGE);
	assert_int_equal(run(f, f->st, "room|close|live"), CTL_OK);
	assert_int_equal(store_room_get(f->st, "live", &room), 0);
	assert_false(room.live);
	store_room_clear(&room);
	assert_int_equal(run(f, f->st, "room|close|nope"), CTL_FAIL);

	assert_int_equal(store_evidence_add(f->st, "bob", "alice", "spam!", 5,
					    0), 0);
	assert_int_equal(run(f, f->st, "reports"), CTL_OK);
	assert_string_equal(f->out, "");
	{
		struct store_report r;

		memset(&r, 0, sizeof(r));
		r.reporter = "alice";
		r.reported = "bob";
		r.reason = "urn:xmpp:reporting:spam";
		assert_int_equal(store_report_add(f->st, &r, true, NULL), 0);
	}
	assert_int_equal(run(f, f->st, "reports|--open"), CTL_OK);
	assert_non_null(strstr(f->out, "1\topen\t"));
	assert_non_null(strstr(f->out, "\tevidence\tspam!\n"));
	assert_int_equal(run(f, f->st, "report|resolve|1"), CTL_OK);
	assert_int_equal(run(f, f->st, "reports|--open"), CTL_OK);
	assert_string_equal(f->out, "");
	assert_int_equal(run(f, f->st, "report|resolve|x"), CTL_USAGE);
	assert_int_equal(run(f, f->st, "report|resolve|9"), CTL_FAIL);
	/* Resolved already: refused. */
	assert_int_equal(run(f, f->st, "report|resolve|1|warn"), CTL_FAIL);
	assert_non_null(strstr(f->err, "resolved already"));
	assert_int_equal(run(f, f->st, "report|show|1"), CTL_OK);
	assert_non_null(strstr(f->out, "1\tresolved\t"));
	assert_non_null(strstr(f->out, "\tresolution\tdismiss\t"));
	assert_non_null(strstr(f->out, "\tbackchannelctl\t"));
	assert_int_equal(run(f, f->st, "report|show|9"), CTL_FAIL);
	/* Outcomes: suspend needs --for, remove an identity. */
	{
		struct store_report r;
		struct store_sanction s;

		memset(&r, 0, sizeof(r));
		r.reporter = "alice";
		r.reported = "bob";
		r.reason = "urn:xmpp:reporting:abuse";
		assert_int_equal(store_report_add(f->st, &r, false, NULL), 0);
		r.reported = "x\\40y.org";
		assert_int_equal(store_report_add(f->st, &r, false, NULL), 0);
		assert_int_equal(run(f, f->st, "report|resolve|2|frown"),
				 CTL_USAGE);
		assert_int_equal(run(f, f->st, "report|resolve|2|suspend"),
				 CTL_USAGE);
		assert_int_equal(run(f, f->st, "report|resolve|2|warn|--for|1h"),
				 CTL_USAGE);
		assert_int_equal(run(f, f->st, "report|resolve|3|remove"),
				 CTL_FAIL);
		assert_int_equal(lines(f->err), 1);
		assert_int_equal(run(f, f->st, "report|resolve|2|suspend|--for|"
					     "2h|--note|spam wave"), CTL_OK);
		assert_int_equal(store_sanction_get(f->st, "bob", &s), 0);
		assert_int_equal(s.until_ms, clock_now_ms() + 7200000);
		assert_string_equal(s.note, "spam wave");
		store_sanction_clear(&s);
		assert_int_equal(run(f, f->st, "sanctions"), CTL_OK);
		assert_non_null(strstr(f->out, "bob\t"));
		assert_non_null(strstr(f->out, "\t-\tspam wave\n"));
		assert_int_equal(run(f, f->st, "report|show|2"), CTL_OK);
		assert_non_null(strstr(f->out, "\tresolution\tsuspend\t"));
		assert_non_null(strstr(f->out, "\tspam wave\n"));
		assert_int_equal(run(f, f->st, "unsuspend|bob@bc.example.org"),
				 CTL_OK);
		assert_int_equal(store_sanction_get(f->st, "bob", &s),
				 STORE_NOTFOUND);
		assert_int_equal(run(f, f->st, "unsuspend|bob"), CTL_FAIL);
		assert_int_equal(run(f, f->st, "suspend|bob|7d|--note|why"),
				 CTL_OK);
		assert_non_null(strstr(f->out, "bob suspended until "));
		assert_int_equal(run(f, f->st, "suspend|bob|soon"), CTL_USAGE);
		assert_int_equal(run(f, f->st, "suspend|nobody|1h"), CTL_FAIL);
		assert_int_equal(run(f, f->st, "suspend|x\\40y.org|1h"),
				 CTL_OK);
		assert_int_equal(store_sanction_get(f->st, "x\\40y.org", &s),
				 0);
		store_sanction_clear(&s);
		assert_int_equal(run(f, f->st, "report|resolve|3"), CTL_OK);
	}

	assert_int_equal(run(f, f->st, "unlink|alice|a@x.org"), CTL_OK);
	assert_int_equal(run(f, f->st, "unlink|alice|a@x.org"), CTL_FAIL);
	assert_int_equal(run(f, f->st, "identity|remove|bob"), CTL_OK);
	assert_int_equal(run(f, f->st, "identity|remove|bob"), CTL_FAIL);
	assert_int_equal(run(f, f->st, "stats"), CTL_OK);
	assert_non_null(strstr(f->out, "identities 1\n"));
	assert_non_null(strstr(f->out, "subscriptions 0\n"));

	assert_int_equal(run(f, f->st, "frobnicate"), CTL_USAGE);
	assert_int_equal(lines(f->err), 1);
	assert_int_equal(run(f, f->st, "link|--help"), CTL_OK);
	assert_non_null(strstr(f->out, "usage: "));
	snprintf(cmd, sizeof(cmd), "dump|%s", path(f, "nodir/x.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_int_equal(lines(f->err), 1);
}

/* Every kind of record, with awkward text. */
static void fill(struct store *st)
{
	struct store_identity id;
	struct store_report r;
	struct store_room room;
	struct store_archive_msg m;
	char tok[STORE_TOKEN_SIZE];
	char *ev[] = {"given <evidence>", NULL};
	const char *hosts[] = {"alice", NULL};
	bool is_new;

	memset(&id, 0, sizeof(id));
	strcpy(id.handle, "alice");
	strcpy(id.name, "Alice \"A\" <&>\nsecond line\ttab");
	id.who = STORE_WHO_EVERYONE;
	assert_int_equal(store_identity_add(st, &id), 0);
	clock_advance(1);
	memset(&id, 0, sizeof(id));
	strcpy(id.handle, "bob");
	id.bot = true;
	id.who = STORE_WHO_NOBODY_NEW;
	assert_int_equal(store_identity_add(st, &id), 0);
	memset(&id, 0, sizeof(id));
	strcpy(id.handle, "carol");
	assert_int_equal(store_identity_add(st, &id), 0);
	assert_int_equal(store_link(st, "alice", "a@x.org"), 0);
	assert_int_equal(store_link(st, "alice", "a2@x.org"), 0);
	assert_int_equal(store_follow(st, "alice", "bob"), 0);
	assert_int_equal(store_follow(st, "carol", "alice"), 0);
	assert_int_equal(store_sub_add(st, "alice", "z@y.org"), 0);
	assert_int_equal(store_token_new(st, "bob", 1000, tok), 0);
	assert_int_equal(store_token_new(st, "carol", 1000, tok), 0);
	assert_int_equal(store_token_claim(st, "carol", tok, "c@x.org"), 0);
	clock_advance(7);
	assert_int_equal(store_relation_set(st, "alice", "bob",
					    STORE_REL_BLOCKED |
						    STORE_REL_WROTE_FIRST,
					    0, 0), 0);
	assert_int_equal(store_relation_set(st, "bob", "eve\\40o.org@d",
					    STORE_REL_DECLINED, 0,
					    T0 + 99999), 0);
	assert_int_equal(store_request_hold(st, "alice", "dave\\40o.org@d",
					    "<message><body>hi &amp; "
					    "bye</body></message>",
					    5, 5, &is_new), 0);
	clock_advance(3);
	assert_int_equal(store_request_hold(st, "alice", "dave\\40o.org@d",
					    "<message>\r\n2</message>", 5, 5,
					    &is_new), 0);
	memset(&room, 0, sizeof(room));
	room.name = "chat";
	room.title = "Chat";
	room.subject = "a <subject>";
	assert_int_equal(store_room_create(st, &room, "carol"), 0);
	assert_int_equal(store_affil_set(st, "chat", "out@o.org",
					 STORE_AFFIL_OUTCAST), 0);
	assert_int_equal(store_room_open(st, "audio", "Audio", hosts, NULL),
			 0);
	assert_int_equal(store_room_close(st, "audio"), 0);
	memset(&m, 0, sizeof(m));
	m.stanza_id = "s1";
	m.nick = "carol";
	m.from = "carol";
	m.stanza = "<message type='groupchat'><body>one</body></message>";
	assert_int_equal(store_archive_add(st, "chat", &m), 0);
	m.stanza_id = "s2";
	m.nick = "";
	m.stanza = "<message type='groupchat'><body>two</body></message>";
	assert_int_equal(store_archive_add(st, "chat", &m), 0);
	assert_int_equal(store_evidence_add(st, "bob", "alice", "ev 1", 5, 0),
			 0);
	clock_advance(2);
	assert_int_equal(store_evidence_add(st, "bob", "alice", "ev 2", 5, 0),
			 0);
	memset(&r, 0, sizeof(r));
	r.reporter = "alice";
	r.reported = "bob";
	r.reason = "urn:xmpp:reporting:abuse";
	r.text = "rude";
	r.evidence = ev;
	assert_int_equal(store_report_add(st, &r, true, NULL), 0);
	r.text = NULL;
	r.evidence = NULL;
	assert_int_equal(store_report_add(st, &r, false, NULL), 0);
	assert_int_equal(store_report_resolve(st, 2), 0);
	/* A resolution with every field, and sanctions. */
	{
		struct store_resolution res = {STORE_OUTCOME_SUSPEND,
					       "a <note> & more", "m@x.org",
					       clock_now_ms() + 3600000, false,
					       NULL};
		struct store_sanction s = {"carol\\40x.org", 99, "why", true,
					   42};
		bool restricted;

		assert_int_equal(store_report_add(st, &r, false, NULL), 0);
		assert_int_equal(store_report_settle(st, 3, &res, NULL), 0);
		assert_int_equal(store_sanction_put(st, &s), 0);
		assert_int_equal(store_report_offender(st, "bob", NULL, 0, 1,
						       &restricted), 0);
		assert_true(restricted);
	}
}

/* Times before 1970 (a clock set wrong, an imported record) survive a
 * dump and a load: the milliseconds print as such, never negative. */
static void test_round_trip_before_1970(void **state)
{
	struct fx *f = *state;
	struct store *st2;
	char cmd[160];
	char *d1, *d2;
	size_t n1, n2;

	clock_pin(-1500);
	assert_int_equal(run(f, f->st, "identity|add|old|--name|Old"), CTL_OK);
	snprintf(cmd, sizeof(cmd), "dump|%s", path(f, "d1.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_OK);
	d1 = read_file(path(f, "d1.xml"), &n1);
	assert_non_null(strstr(d1, "1969-12-31T23:59:58.500Z"));
	assert_null(strstr(d1, ".-"));
	assert_int_equal(store_open(NULL, STORE_IN_MEMORY, &st2), 0);
	snprintf(cmd, sizeof(cmd), "load|%s", path(f, "d1.xml"));
	assert_int_equal(run(f, st2, cmd), CTL_OK);
	snprintf(cmd, sizeof(cmd), "dump|%s", path(f, "d2.xml"));
	assert_int_equal(run(f, st2, cmd), CTL_OK);
	d2 = read_file(path(f, "d2.xml"), &n2);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);
	store_close(st2);
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	struct store *st2;
	struct store_stats s1, s2;
	char cmd[160];
	char *d1, *d2;
	size_t n1, n2;

	fill(f->st);
	snprintf(cmd, sizeof(cmd), "dump|%s", path(f, "d1.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_OK);

	clock_advance(3600000); /* a load keeps times: none may be now */
	assert_int_equal(store_open(NULL, STORE_IN_MEMORY, &st2), 0);
	snprintf(cmd, sizeof(cmd), "load|%s", path(f, "d1.xml"));
	assert_int_equal(run(f, st2, cmd), CTL_OK);
	snprintf(cmd, sizeof(cmd), "dump|%s", path(f, "d2.xml"));
	assert_int_equal(run(f, st2, cmd), CTL_OK);
	d1 = read_file(path(f, "d1.xml"), &n1);
	d2 = read_file(path(f, "d2.xml"), &n2);
	assert_string_equal(d1, d2);
	assert_int_equal(n1, n2);
	/* Everything is in it. */
	assert_non_null(strstr(d1, "<subscription jid=\"z@y.org\"/>"));
	assert_non_null(strstr(d1, "used-by=\"c@x.org\""));
	assert_non_null(strstr(d1, "flags=\"wrote-first blocked\""));
	assert_non_null(strstr(d1, "<held received="));
	assert_non_null(strstr(d1, "<message id=\"s2\""));
	assert_non_null(strstr(d1, "<evidence sender=\"bob\""));
	assert_non_null(strstr(d1, "<evidence>given &lt;evidence&gt;"));
	assert_non_null(strstr(d1, "state=\"resolved\""));
	assert_non_null(strstr(d1, "outcome=\"suspend\""));
	assert_non_null(strstr(d1, "resolved-by=\"m@x.org\""));
	assert_non_null(strstr(d1, "<note>a &lt;note&gt; &amp; more</note>"));
	assert_non_null(strstr(d1, "<sanction address=\"bob\""));
	assert_non_null(strstr(d1, "<sanction address=\"carol\\40x.org\""));
	assert_int_equal(store_stats(f->st, &s1), 0);
	assert_int_equal(store_stats(st2, &s2), 0);
	assert_memory_equal(&s1, &s2, sizeof(s1));
	free(d1);
	free(d2);

	/* Load refuses a store that is not empty, and says so. */
	snprintf(cmd, sizeof(cmd), "load|%s", path(f, "d1.xml"));
	assert_int_equal(run(f, st2, cmd), CTL_FAIL);
	assert_int_equal(lines(f->err), 1);
	assert_non_null(strstr(f->err, "empty store only"));
	store_close(st2);
}

static void test_bad_files(void **state)
{
	struct fx *f = *state;
	struct store_stats s;
	char cmd[160];

	write_file(path(f, "broken.xml"),
		   "<backchannel-data version=\"1\">\n<identity handle=\"a\">\n"
		   "</backchannel-data>\n");
	snprintf(cmd, sizeof(cmd), "load|%s", path(f, "broken.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_int_equal(lines(f->err), 1);
	assert_non_null(strstr(f->err, "broken.xml:3: "));

	write_file(path(f, "invalid.xml"),
		   "<backchannel-data version=\"1\">\n"
		   "<identity handle=\"a\"/>\n"
		   "<identity handle=\"no spaces\"/>\n"
		   "</backchannel-data>\n");
	snprintf(cmd, sizeof(cmd), "import|%s", path(f, "invalid.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_int_equal(lines(f->err), 1);
	assert_non_null(strstr(f->err, "invalid.xml:3: "));

	/* libxml2 says this one over two lines; still one line here. */
	write_file(path(f, "latin1.xml"),
		   "<backchannel-data version=\"1\">\n"
		   "<identity handle=\"a\" name=\"\xe9\xe9\"/>\n"
		   "</backchannel-data>\n");
	snprintf(cmd, sizeof(cmd), "load|%s", path(f, "latin1.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_int_equal(lines(f->err), 1);
	assert_non_null(strstr(f->err, "latin1.xml:2: "));

	snprintf(cmd, sizeof(cmd), "load|%s", path(f, "missing.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_int_equal(lines(f->err), 1);

	/* Nothing was written by any of them. */
	assert_int_equal(store_stats(f->st, &s), 0);
	assert_int_equal(s.identities, 0);
}

static void test_import(void **state)
{
	struct fx *f = *state;
	struct store_identity id;
	enum store_affil af;
	char h[STORE_HANDLE_SIZE];
	char cmd[160];

	assert_int_equal(run(f, f->st, "identity|add|alice"), CTL_OK);
	assert_int_equal(run(f, f->st, "link|alice|a@x.org"), CTL_OK);
	write_file(path(f, "dir.xml"),
		   "<?xml version=\"1.0\"?>\n"
		   "<backchannel-data version=\"1\">\n"
		   "  <identity handle=\"bob\" name=\"Bob\" bot=\"true\">\n"
		   "    <link jid=\"bob@x.org\"/>\n"
		   "    <follow handle=\"carol\"/>\n"
		   "    <follow handle=\"alice\"/>\n"
		   "  </identity>\n"
		   "  <identity handle=\"carol\"/>\n"
		   "  <room name=\"team\" title=\"Team\">\n"
		   "    <affiliation who=\"bob\" affiliation=\"owner\"/>\n"
		   "  </room>\n"
		   "</backchannel-data>\n");
	snprintf(cmd, sizeof(cmd), "import|%s", path(f, "dir.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_OK);
	assert_int_equal(store_identity_get(f->st, "bob", &id), 0);
	assert_string_equal(id.name, "Bob");
	assert_true(id.bot);
	assert_int_equal(store_link_get(f->st, "bob@x.org", h), 0);
	assert_string_equal(h, "bob");
	assert_int_equal(store_follows(f->st, "bob", "carol"), 0);
	assert_int_equal(store_follows(f->st, "bob", "alice"), 0);
	assert_int_equal(store_affil_get(f->st, "team", "bob", &af), 0);
	assert_int_equal(af, STORE_AFFIL_OWNER);

	/* Duplicates: the element and its line; nothing written. */
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_int_equal(lines(f->err), 1);
	assert_non_null(strstr(f->err, "dir.xml:3: <identity> 'bob' already "
				       "exists"));
	write_file(path(f, "dup.xml"),
		   "<backchannel-data version=\"1\">\n"
		   "<identity handle=\"dave\"/>\n"
		   "<identity handle=\"erin\">\n"
		   "<link jid=\"A@x.org\"/></identity>\n"
		   "</backchannel-data>\n");
	snprintf(cmd, sizeof(cmd), "import|%s", path(f, "dup.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_non_null(strstr(f->err, "dup.xml:4: <link> A@x.org is already "
				       "linked to 'alice'"));
	assert_int_equal(store_identity_get(f->st, "dave", &id),
			 STORE_NOTFOUND);
	write_file(path(f, "twice.xml"),
		   "<backchannel-data version=\"1\">\n"
		   "<identity handle=\"dave\"/>\n"
		   "<identity handle=\"Dave\"/>\n"
		   "</backchannel-data>\n");
	snprintf(cmd, sizeof(cmd), "import|%s", path(f, "twice.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_non_null(strstr(f->err, "twice.xml:3: <identity>"));
	write_file(path(f, "room.xml"),
		   "<backchannel-data version=\"1\">\n"
		   "<room name=\"team\"/>\n"
		   "</backchannel-data>\n");
	snprintf(cmd, sizeof(cmd), "import|%s", path(f, "room.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_non_null(strstr(f->err, "room.xml:2: <room> 'team' already "
				       "exists"));
	/* Only the directory subset. */
	write_file(path(f, "token.xml"),
		   "<backchannel-data version=\"1\">\n"
		   "<token token=\"ab\" handle=\"alice\" "
		   "created=\"2026-01-01T00:00:00.000Z\" "
		   "expires=\"2026-01-02T00:00:00Z\"/>\n"
		   "</backchannel-data>\n");
	snprintf(cmd, sizeof(cmd), "import|%s", path(f, "token.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_non_null(strstr(f->err, "token.xml:2: <token> cannot be "
				       "imported"));
	assert_int_equal(store_identity_get(f->st, "dave", &id),
			 STORE_NOTFOUND);
}

/* What an operator hit: a command word without its subcommand, a JID
 * that is no account, an import file with a typo or that is not there. */
static void test_operator_messages(void **state)
{
	/* Import files with a mistake, and the line that must name it. */
	static const struct {
		const char *file, *text, *want;
	} bad[] = {
		{"typo.xml",
		 "<backchannel-data version=\"1\">\n"
		 "  <identity handle=\"bob\" nmae=\"Bob\"/>\n"
		 "</backchannel-data>\n",
		 "typo.xml:2: <identity>: unknown attribute 'nmae' (expected "
		 "handle, name, bot, setting, created)"},
		{"nested.xml",
		 "<backchannel-data version=\"1\">\n"
		 "  <identity handle=\"bob\">\n"
		 "    <link jdi=\"bob@example.org\"/>\n"
		 "  </identity>\n"
		 "</backchannel-data>\n",
		 "nested.xml:3: <link>: unknown attribute 'jdi' (expected jid)"},
		{"missing-attr.xml",
		 "<backchannel-data version=\"1\">\n"
		 "  <identity handle=\"bob\"/>\n"
		 "  <identity name=\"Carol\"/>\n"
		 "</backchannel-data>\n",
		 "missing-attr.xml:3: <identity>: missing required attribute "
		 "'handle'"},
	};
	struct fx *f = *state;
	char cmd[160];
	size_t i;

	assert_int_equal(run(f, f->st, "identity"), CTL_USAGE);
	assert_string_equal(f->err, "backchannelctl: 'identity' needs a "
				    "subcommand: add, remove\n");
	assert_int_equal(run(f, f->st, "room|opne|x"), CTL_USAGE);
	assert_string_equal(f->err, "backchannelctl: unknown subcommand "
				    "'room opne' (expected open, close, stage)\n");
	assert_int_equal(run(f, f->st, "frobnicate"), CTL_USAGE);
	assert_non_null(strstr(f->err, "unknown command 'frobnicate'"));

	assert_int_equal(run(f, f->st, "identity|add|alice"), CTL_OK);
	assert_int_equal(run(f, f->st, "link|alice|notajid"), CTL_FAIL);
	assert_string_equal(f->err, "backchannelctl: 'notajid' is not an "
				    "account's JID (expected user@domain)\n");
	assert_int_equal(run(f, f->st, "link|alice|@example.org"), CTL_FAIL);
	assert_int_equal(run(f, f->st, "link|alice|a@b@example.org"), CTL_FAIL);
	assert_int_equal(run(f, f->st, "link|alice|a b@example.org"), CTL_FAIL);
	assert_int_equal(run(f, f->st, "link|alice|Alice@Example.org/phone"),
			 CTL_OK);
	assert_int_equal(run(f, f->st, "unlink|alice|alice@example.org"),
			 CTL_OK);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path(f, bad[i].file), bad[i].text);
		snprintf(cmd, sizeof(cmd), "import|%s", path(f, bad[i].file));
		assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
		assert_int_equal(lines(f->err), 1);
		if (strstr(f->err, bad[i].want) == NULL)
			fail_msg("%s: expected '%s' in %s", bad[i].file,
				 bad[i].want, f->err);
	}

	assert_int_equal(run(f, f->st, "import|/nonexistent.xml"), CTL_FAIL);
	assert_string_equal(f->err, "backchannelctl: /nonexistent.xml: no "
				    "such file\n");
}

/* n identities u0000.. each with a link and a follow of the next (the
 * last follows last_follow), then tail, into file p. */
static void write_directory(const char *p, int n, const char *last_follow,
			    const char *tail)
{
	FILE *fp = fopen(p, "w");
	int i;

	assert_non_null(fp);
	fputs("<backchannel-data version=\"1\">\n", fp);
	for (i = 0; i < n; i++) {
		fprintf(fp, "<identity handle=\"u%04d\">\n", i);
		fprintf(fp, "<link jid=\"u%04d@example.net\"/>\n", i);
		if (i < n - 1)
			fprintf(fp, "<follow handle=\"u%04d\"/>\n", i + 1);
		else
			fprintf(fp, "<follow handle=\"%s\"/>\n", last_follow);
		fputs("</identity>\n", fp);
	}
	fputs(tail, fp);
	fputs("</backchannel-data>\n", fp);
	fclose(fp);
}

/* import and load are all or nothing: a file refused at its last record,
 * by the check before writing or by the store while writing, leaves the
 * store exactly as it was, and the file mended goes in. */
static void test_all_or_nothing(void **state)
{
	struct fx *f = *state;
	struct store_stats s;
	struct store *st2;
	char cmd[160], want[96];
	char h[STORE_HANDLE_SIZE];

	assert_int_equal(run(f, f->st, "identity|add|alice"), CTL_OK);
	assert_int_equal(run(f, f->st, "link|alice|a@x.org"), CTL_OK);

	/* The last follow names nobody, on line 4 * 300. */
	write_directory(path(f, "last.xml"), 300, "nobody", "");
	snprintf(cmd, sizeof(cmd), "import|%s", path(f, "last.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_int_equal(lines(f->err), 1);
	snprintf(want, sizeof(want), "last.xml:%d: <follow> 'nobody' is no "
		 "identity of the file or the store", 4 * 300);
	if (strstr(f->err, want) == NULL)
		fail_msg("expected '%s' in %s", want, f->err);
	assert_int_equal(store_stats(f->st, &s), 0);
	assert_int_equal(s.identities, 1);
	assert_int_equal(s.links, 1);
	assert_int_equal(s.follows, 0);

	/* A JID twice in the file, far apart. */
	write_directory(path(f, "twice.xml"), 300, "u0000",
			"<identity handle=\"z\"><link jid=\"U0007@example.net/r\"/>"
			"</identity>\n");
	snprintf(cmd, sizeof(cmd), "import|%s", path(f, "twice.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_FAIL);
	assert_non_null(strstr(f->err, "<link> U0007@example.net/r appears "
				       "twice"));

	/* Mended: the last one follows alice, who is in the store. */
	write_directory(path(f, "last.xml"), 300, "alice", "");
	snprintf(cmd, sizeof(cmd), "import|%s", path(f, "last.xml"));
	assert_int_equal(run(f, f->st, cmd), CTL_OK);
	assert_int_equal(store_stats(f->st, &s), 0);
	assert_int_equal(s.identities, 301);
	assert_int_equal(s.links, 301);
	assert_int_equal(s.follows, 300);
	assert_int_equal(store_follows(f->st, "u0299", "alice"), 0);
	assert_int_equal(store_link_get(f->st, "u0123@example.net", h), 0);
	assert_string_equal(h, "u0123");

	/* load: the check passes, and the store refuses the last record
	 * (a token of nobody) after 300 identities, their links and
	 * follows are in the transaction: all of it is undone. */
	assert_int_equal(store_open(NULL, STORE_IN_MEMORY, &st2), 0);
	write_directory(path(f, "load.xml"), 300, "u0000",
			"<token token=\"0123456789abcdef0123456789abcdef\" "
			"handle=\"nobody\" created=\"2026-01-01T00:00:00Z\" "
			"expires=\"2026-01-02T00:00:00Z\"/>\n");
	snprintf(cmd, sizeof(cmd), "load|%s", path(f, "load.xml"));
	assert_int_equal(run(f, st2, cmd), CTL_FAIL);
	assert_int_equal(lines(f->err), 1);
	snprintf(want, sizeof(want), "load.xml:%d: <token>", 2 + 4 * 300);
	if (strstr(f->err, want) == NULL)
		fail_msg("expected '%s' in %s", want, f->err);
	assert_int_equal(store_stats(st2, &s), 0);
	assert_int_equal(s.identities, 0);
	assert_int_equal(s.links, 0);
	assert_int_equal(s.follows, 0);
	assert_int_equal(s.tokens, 0);
	/* Mended, the same file loads, into the same store. */
	write_directory(path(f, "load.xml"), 300, "u0000",
			"<token token=\"0123456789abcdef0123456789abcdef\" "
			"handle=\"u0001\" created=\"2026-01-01T00:00:00Z\" "
			"expires=\"2026-01-02T00:00:00Z\"/>\n");
	assert_int_equal(run(f, st2, cmd), CTL_OK);
	assert_int_equal(store_stats(st2, &s), 0);
	assert_int_equal(s.identities, 300);
	assert_int_equal(s.follows, 300);
	assert_int_equal(s.tokens, 1);
	store_close(st2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_forms, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_round_trip_before_1970,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operator_messages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_all_or_nothing, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
