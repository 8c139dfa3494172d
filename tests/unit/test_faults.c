/*
 * test_faults.c - store calls that fail, made to fail with -Wl,--wrap=
 * (tests/local.mk): the stanza gets <internal-server-error/>, nothing of
 * what it asked for is left half-written in the store, and the next
 * stanza is served as usual.  And the router's answer while the store's
 * disk is below its reserve.
 */
#include <config.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "component/bc.h"
#include "component/clock.h"
#include "store/store.h"
#include "tests/unit/harness.h"

/* Which wrapped calls fail: the next fail_* calls of each fail (after
 * pass_relation_set calls that do not). */
static int fail_hold, fail_report_add, fail_relation_set, fail_link_get,
	fail_identity_remove;
static int pass_relation_set;

int __real_store_request_hold(struct store *st, const char *recipient,
			      const char *sender, const char *stanza,
			      unsigned held_max, unsigned per_day_max,
			      bool *is_new);
int __wrap_store_request_hold(struct store *st, const char *recipient,
			      const char *sender, const char *stanza,
			      unsigned held_max, unsigned per_day_max,
			      bool *is_new);
int __real_store_report_add(struct store *st, const struct store_report *r,
			    bool with_evidence, uint64_t *id);
int __wrap_store_report_add(struct store *st, const struct store_report *r,
			    bool with_evidence, uint64_t *id);
int __real_store_relation_set(struct store *st, const char *owner,
			      const char *peer, unsigned set, unsigned clear,
			      int64_t declined_until_ms);
int __wrap_store_relation_set(struct store *st, const char *owner,
			      const char *peer, unsigned set, unsigned clear,
			      int64_t declined_until_ms);
int __real_store_link_get(struct store *st, const char *jid, char *handle);
int __wrap_store_link_get(struct store *st, const char *jid, char *handle);

int __wrap_store_request_hold(struct store *st, const char *recipient,
			      const char *sender, const char *stanza,
			      unsigned held_max, unsigned per_day_max,
			      bool *is_new)
{
	if (fail_hold > 0) {
		fail_hold--;
		return STORE_EFAIL;
	}
	return __real_store_request_hold(st, recipient, sender, stanza,
					 held_max, per_day_max, is_new);
}

int __wrap_store_report_add(struct store *st, const struct store_report *r,
			    bool with_evidence, uint64_t *id)
{
	if (fail_report_add > 0) {
		fail_report_add--;
		return STORE_EFAIL;
	}
	return __real_store_report_add(st, r, with_evidence, id);
}

int __wrap_store_relation_set(struct store *st, const char *owner,
			      const char *peer, unsigned set, unsigned clear,
			      int64_t declined_until_ms)
{
	if (fail_relation_set > 0 && pass_relation_set > 0) {
		pass_relation_set--;
	} else if (fail_relation_set > 0) {
		fail_relation_set--;
		return STORE_EFAIL;
	}
	return __real_store_relation_set(st, owner, peer, set, clear,
					 declined_until_ms);
}

int __wrap_store_link_get(struct store *st, const char *jid, char *handle)
{
	if (fail_link_get > 0) {
		fail_link_get--;
		return STORE_EFAIL;
	}
	return __real_store_link_get(st, jid, handle);
}

/* store-int.h's, which this test does not include. */
int __real_store_identity_remove_txn(struct store *st, void *txn,
				     const char *handle);
int __wrap_store_identity_remove_txn(struct store *st, void *txn,
				     const char *handle);

int __wrap_store_identity_remove_txn(struct store *st, void *txn,
				     const char *handle)
{
	if (fail_identity_remove > 0) {
		fail_identity_remove--;
		return EIO;
	}
	return __real_store_identity_remove_txn(st, txn, handle);
}

/* alice and bob are members who do not know each other; mod is a
 * moderator. */
static int setup(void **state)
{
	struct harness *h =
		harness_new("<moderator jid='mod@example.org'/>", true);

	harness_member(h, "alice", NULL, "alice@example.org");
	harness_member(h, "bob", NULL, "bob@example.org");
	fail_hold = fail_report_add = fail_relation_set = fail_link_get = 0;
	fail_identity_remove = 0;
	pass_relation_set = 0;
	*state = h;
	return 0;
}

/* The number of reports in the store. */
static size_t reports_count(struct harness *h)
{
	struct store_report *v = NULL;
	size_t n = 0;

	assert_int_equal(store_report_list(h->store, false, &v, &n), 0);
	store_report_list_free(v, n);
	return n;
}

/* The relationship flags of owner towards peer (0 when none). */
static unsigned relation_flags(struct harness *h, const char *owner,
			       const char *peer)
{
	struct store_relation rel;
	int rc = store_relation_get(h->store, owner, peer, &rel);

	assert_true(rc == 0 || rc == STORE_NOTFOUND);
	return rc == 0 ? rel.flags : 0;
}

#define SAY(id, from, to, body)                                                \
	"<message type='chat' id='" id "' from='" from "' to='" to "'><body>"  \
	body "</body></message>"
#define BLOCK_REPORT(jid)                                                      \
	"<iq type='set' id='b1' from='alice@example.org/pc' to='bc.test'>"     \
	"<block xmlns='urn:xmpp:blocking'><item jid='" jid "'><report "       \
	"xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:spam'/>"      \
	"</item></block></iq>"
#define BLOCK(jid)                                                             \
	"<iq type='set' id='b1' from='alice@example.org/pc' to='bc.test'>"     \
	"<block xmlns='urn:xmpp:blocking'><item jid='" jid "'/></block></iq>"
#define BLOCKLIST                                                              \
	"<iq type='get' id='l' from='alice@example.org/pc' to='bc.test'>"      \
	"<blocklist xmlns='urn:xmpp:blocking'/></iq>"

/* clang-format off: step tables keep their layout */

/* A moderator's "remove" whose removal fails: the report stays open, the
 * identity and its link stay, nobody is told it was removed; the next try
 * does both. */
#define MOD "mod@example.org/desk"
#define EXECUTE(node)                                                          \
	"<iq type='set' id='c1' from='" MOD "' to='bc.test'><command "         \
	"xmlns='http://jabber.org/protocol/commands' node='" node "' "         \
	"action='execute'></command></iq>"
#define NEXT(node, fields)                                                     \
	"<iq type='set' id='c1' from='" MOD "' to='bc.test'><command "         \
	"xmlns='http://jabber.org/protocol/commands' node='" node "' "         \
	"sessionid='${sid}' action='next'><x xmlns='jabber:x:data' "           \
	"type='submit'>" fields "</x></command></iq>"
#define FIELD(var, val) "<field var='" var "'><value>" val "</value></field>"
static void removal_fails(void **state)
{
	static const struct harness_step resolve[] = {
		{.send = EXECUTE("moderation"),
		 .capture = {{"sid", "/iq/cmd:command/@sessionid"}}},
		{.send = NEXT("moderation", FIELD("report", "1"))},
		{.send = NEXT("moderation", FIELD("outcome", "remove")),
		 .sent = 1, .expect = {"0: /iq[@type='error']"},
		 .never = {"has been removed"}},
	};
	static const struct harness_step again[] = {
		{.send = EXECUTE("moderation"),
		 .capture = {{"sid", "/iq/cmd:command/@sessionid"}}},
		{.send = NEXT("moderation", FIELD("report", "1"))},
		{.send = NEXT("moderation", FIELD("outcome", "remove")),
		 .expect = {"/message[@to='alice@example.org']/body[contains(., "
			    "'bob@bc.test has been removed')]",
			    "/iq/cmd:command[@status='completed']"}},
	};
	struct harness *h = *state;
	struct store_report r;
	struct store_identity id;
	char handle[STORE_HANDLE_SIZE];

	memset(&r, 0, sizeof(r));
	r.reporter = "alice";
	r.reported = "bob";
	r.reason = "urn:xmpp:reporting:abuse";
	assert_int_equal(store_report_add(h->store, &r, false, NULL), 0);
	fail_identity_remove = 1;
	harness_run(h, resolve);
	assert_int_equal(fail_identity_remove, 0);
	assert_int_equal(store_report_get(h->store, 1, &r), 0);
	assert_int_equal(r.state, STORE_REPORT_OPEN);
	store_report_clear(&r);
	assert_int_equal(store_identity_get(h->store, "bob", &id), 0);
	assert_int_equal(store_link_get(h->store, "bob@example.org", handle),
			 0);
	harness_run(h, again);
	assert_int_equal(store_report_get(h->store, 1, &r), 0);
	assert_int_equal(r.state, STORE_REPORT_RESOLVED);
	store_report_clear(&r);
	assert_int_equal(store_identity_get(h->store, "bob", &id),
			 STORE_NOTFOUND);
}

/* A message request whose holding fails: no request, no announcement. */
static void hold_fails(void **state)
{
	static const struct harness_step failing[] = {
		{.send = SAY("m1", "bob@example.org/x", "alice@bc.test", "hi"),
		 .sent = 1, .expect = {
			 "/message[@type='error'][@id='m1']"
			 "/error[@type='cancel']/st:internal-server-error",
		 }},
	};
	static const struct harness_step next[] = {
		{.send = SAY("m2", "bob@example.org/x", "alice@bc.test",
			     "hi again"),
		 .sent = 1, .expect = {"/presence[@type='subscribe']"}},
	};
	struct harness *h = *state;
	struct store_request req;

	fail_hold = 1;
	harness_run(h, failing);
	assert_int_equal(store_request_get(h->store, "alice", "bob", &req),
			 STORE_NOTFOUND);
	harness_run(h, next);
	assert_int_equal(store_request_get(h->store, "alice", "bob", &req), 0);
	assert_int_equal(req.held, 1);
	store_request_clear(&req);
}

/* A report whose filing fails: not filed, not blocked (the block it
 * made first is taken back), the held request kept, nobody told. */
static void report_filing_fails(void **state)
{
	static const struct harness_step held[] = {
		{.send = SAY("m1", "bob@example.org/x", "alice@bc.test",
			     "junk")},
	};
	static const struct harness_step failing[] = {
		{.send = BLOCK_REPORT("bob@bc.test"),
		 .sent = 1, .expect = {"/iq[@id='b1']/error/st:internal-server-error"}},
	};
	static const struct harness_step next[] = {
		/* The moderator told, the request withdrawn, the result. */
		{.send = BLOCK_REPORT("bob@bc.test"),
		 .sent = 3, .expect = {
			 "0: /message[@to='mod@example.org']",
			 "1: /presence[@type='unsubscribe']",
			 "2: /iq[@type='result']",
		 }},
	};
	struct harness *h = *state;
	struct store_request req;

	harness_run(h, held);
	fail_report_add = 1;
	harness_run(h, failing);
	assert_int_equal(reports_count(h), 0);
	assert_int_equal(relation_flags(h, "alice", "bob") & STORE_REL_BLOCKED,
			 0);
	assert_int_equal(store_request_get(h->store, "alice", "bob", &req), 0);
	store_request_clear(&req);
	harness_run(h, next);
	harness_assert_report(h, 1, "alice", NULL, NULL, "junk");
	assert_true(relation_flags(h, "alice", "bob") & STORE_REL_BLOCKED);
	assert_int_equal(store_request_get(h->store, "alice", "bob", &req),
			 STORE_NOTFOUND);
}

/* A report whose block fails: nothing filed. */
static void report_block_fails(void **state)
{
	static const struct harness_step failing[] = {
		{.send = BLOCK_REPORT("bob@bc.test"),
		 .sent = 1, .expect = {"/iq/error/st:internal-server-error"}},
		{.send = BLOCKLIST,
		 .sent = 1, .expect = {"not(//*[local-name()='item'])"}},
	};
	struct harness *h = *state;

	fail_relation_set = 1;
	harness_run(h, failing);
	assert_int_equal(reports_count(h), 0);
}

/* A plain block that fails. */
static void block_fails(void **state)
{
	static const struct harness_step steps[] = {
		{.send = BLOCK("bob@bc.test"),
		 .sent = 1, .expect = {"/iq/error/st:internal-server-error"}},
		/* Served again: nothing was blocked by the failure. */
		{.send = BLOCKLIST,
		 .sent = 1, .expect = {
			 "/iq[@type='result']",
			 "not(//*[local-name()='item'])",
		 }},
		{.send = BLOCK("bob@bc.test"),
		 .sent = 1, .expect = {"/iq[@type='result']"}},
		{.send = BLOCKLIST,
		 .sent = 1, .expect = {"count(//*[local-name()='item']) = 1"}},
	};
	struct harness *h = *state;

	fail_relation_set = 1;
	harness_run(h, steps);
}

#define BLOCK3(a, b, c)                                                       \
	"<iq type='set' id='b3' from='alice@example.org/pc' to='bc.test'>"     \
	"<block xmlns='urn:xmpp:blocking'><item jid='" a "'/><item jid='" b    \
	"'/><item jid='" c "'/></block></iq>"

/* A block of three whose third write fails: the two written first are
 * undone (a savepoint), what they queued (the withdrawn request's
 * presence) is not sent, the request they dropped is back; the same
 * block then goes through whole. */
static void block_of_three_fails_at_the_last(void **state)
{
	static const struct harness_step held[] = {
		{.send = SAY("m1", "bob@example.org/x", "alice@bc.test", "hi"),
		 .sent = 1, .expect = {"/presence[@type='subscribe']"}},
	};
	static const struct harness_step failing[] = {
		{.send = BLOCK3("bob@bc.test", "carol@bc.test", "dave@bc.test"),
		 .sent = 1, .expect = {
			 "/iq[@id='b3']/error/st:internal-server-error",
		 }},
		{.send = BLOCKLIST,
		 .sent = 1, .expect = {
			 "/iq[@type='result']",
			 "not(//*[local-name()='item'])",
		 }},
	};
	static const struct harness_step again[] = {
		{.send = BLOCK3("bob@bc.test", "carol@bc.test", "dave@bc.test"),
		 .sent = 2, .expect = {
			 "0: /presence[@type='unsubscribe']",
			 "1: /iq[@id='b3'][@type='result']",
		 }},
		{.send = BLOCKLIST,
		 .sent = 1, .expect = {"count(//*[local-name()='item']) = 3"}},
	};
	struct harness *h = *state;
	struct store_request req;

	harness_member(h, "carol", NULL, "carol@example.org");
	harness_member(h, "dave", NULL, "dave@example.org");
	harness_run(h, held);
	pass_relation_set = 2;
	fail_relation_set = 1;
	harness_run(h, failing);
	assert_int_equal(fail_relation_set, 0); /* the third write was made */
	assert_int_equal(relation_flags(h, "alice", "bob"), 0);
	assert_int_equal(relation_flags(h, "alice", "carol"), 0);
	assert_int_equal(store_request_get(h->store, "alice", "bob", &req), 0);
	store_request_clear(&req);
	harness_run(h, again);
	assert_true(relation_flags(h, "alice", "bob") & STORE_REL_BLOCKED);
	assert_true(relation_flags(h, "alice", "dave") & STORE_REL_BLOCKED);
	assert_int_equal(store_request_get(h->store, "alice", "bob", &req),
			 STORE_NOTFOUND);
}

/* The pieces of evidence of the newest report. */
static size_t newest_evidence(struct harness *h)
{
	struct store_report *v = NULL;
	size_t n = 0, k = 0;

	assert_int_equal(store_report_list(h->store, false, &v, &n), 0);
	assert_true(n > 0);
	while (v[n - 1].evidence != NULL && v[n - 1].evidence[k] != NULL)
		k++;
	store_report_list_free(v, n);
	return k;
}

/* A rolled-back block of a sender with held messages copies none of them
 * into the evidence log: a later report takes each once (held), not
 * twice (held and logged). */
static void rolled_back_block_logs_no_evidence(void **state)
{
	static const struct harness_step held[] = {
		{.send = SAY("m1", "bob@example.org/x", "alice@bc.test",
			     "junk once"),
		 .sent = 1, .expect = {"/presence[@type='subscribe']"}},
	};
	static const struct harness_step failing[] = {
		{.send = BLOCK3("bob@bc.test", "carol@bc.test", "dave@bc.test"),
		 .sent = 1, .expect = {
			 "/iq[@id='b3']/error/st:internal-server-error",
		 }},
	};
	static const struct harness_step report[] = {
		{.send = BLOCK_REPORT("bob@bc.test"),
		 .expect = {
			 "/message[@to='mod@example.org']"
			 "[count(fwd:forwarded) = 1]",
			 "/iq[@id='b1'][@type='result']",
		 }},
	};
	struct harness *h = *state;

	harness_member(h, "carol", NULL, "carol@example.org");
	harness_member(h, "dave", NULL, "dave@example.org");
	harness_run(h, held);
	pass_relation_set = 2;
	fail_relation_set = 1;
	harness_run(h, failing);
	assert_int_equal(fail_relation_set, 0);
	harness_run(h, report);
	assert_int_equal(newest_evidence(h), 1);
	harness_assert_report(h, 1, "alice", NULL, NULL, "junk once");
}

#define UNBLOCK3(a, b, c)                                                     \
	"<iq type='set' id='u3' from='alice@example.org/pc' to='bc.test'>"     \
	"<unblock xmlns='urn:xmpp:blocking'><item jid='" a "'/><item jid='" b  \
	"'/><item jid='" c "'/></unblock></iq>"

/* An unblock of three whose third write fails: none is unblocked; the
 * same unblock then goes through whole. */
static void unblock_of_three_fails_at_the_last(void **state)
{
	static const struct harness_step blocked[] = {
		{.send = BLOCK3("bob@bc.test", "carol@bc.test", "dave@bc.test"),
		 .expect = {"/iq[@id='b3'][@type='result']"}},
	};
	static const struct harness_step failing[] = {
		{.send = UNBLOCK3("bob@bc.test", "carol@bc.test",
				  "dave@bc.test"),
		 .sent = 1, .expect = {
			 "/iq[@id='u3']/error/st:internal-server-error",
		 }},
		{.send = BLOCKLIST,
		 .sent = 1, .expect = {"count(//*[local-name()='item']) = 3"}},
	};
	static const struct harness_step again[] = {
		{.send = UNBLOCK3("bob@bc.test", "carol@bc.test",
				  "dave@bc.test"),
		 .sent = 1, .expect = {"/iq[@id='u3'][@type='result']"}},
		{.send = BLOCKLIST,
		 .sent = 1, .expect = {
			 "/iq[@type='result']",
			 "not(//*[local-name()='item'])",
		 }},
	};
	struct harness *h = *state;

	harness_member(h, "carol", NULL, "carol@example.org");
	harness_member(h, "dave", NULL, "dave@example.org");
	harness_run(h, blocked);
	pass_relation_set = 2;
	fail_relation_set = 1;
	harness_run(h, failing);
	assert_int_equal(fail_relation_set, 0); /* the third write was made */
	assert_true(relation_flags(h, "alice", "bob") & STORE_REL_BLOCKED);
	assert_true(relation_flags(h, "alice", "carol") & STORE_REL_BLOCKED);
	harness_run(h, again);
	assert_int_equal(relation_flags(h, "alice", "bob") & STORE_REL_BLOCKED,
			 0);
}

/* A block of three whose first item reports an outside user with
 * <report-origin/> and whose third write fails: nothing is filed and
 * nothing starts on its way to the reported's domain (no abuse address
 * lookup left waiting, no report parked behind one); the same report
 * made again looks the address up at once. */
#define ORIGIN_BLOCK3(jid, b, c)                                               \
	"<iq type='set' id='o3' from='alice@example.org/pc' to='bc.test'>"     \
	"<block xmlns='urn:xmpp:blocking'><item jid='" jid "'><report "       \
	"xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:spam'>"       \
	"<report-origin/></report></item><item jid='" b "'/><item jid='" c     \
	"'/></block></iq>"

static void report_origin_after_a_rolled_back_block(void **state)
{
	static const struct harness_step failing[] = {
		{.send = ORIGIN_BLOCK3("spammer@else.test", "carol@bc.test",
				       "dave@bc.test"),
		 .sent = 1, .expect = {
			 "/iq[@id='o3']/error/st:internal-server-error",
		 }},
	};
	static const struct harness_step again[] = {
		/* The moderator, the lookup, the result. */
		{.send = ORIGIN_BLOCK3("spammer@else.test", "carol@bc.test",
				       "dave@bc.test"),
		 .sent = 3,
		 .capture = {{"query", "1: /iq/@id"}},
		 .expect = {
			 "0: /message[@to='mod@example.org']",
			 "1: /iq[@type='get'][@to='else.test']/disco:query",
			 "2: /iq[@id='o3'][@type='result']",
		 }},
		/* One report goes on, the one kept. */
		{.send = "<iq type='result' id='${query}' from='else.test' "
			 "to='bc.test'><query xmlns='"
			 "http://jabber.org/protocol/disco#info'><x "
			 "xmlns='jabber:x:data' type='result'><field "
			 "var='FORM_TYPE' type='hidden'><value>"
			 "http://jabber.org/network/serverinfo</value></field>"
			 "<field var='abuse-addresses'><value>"
			 "xmpp:abuse@else.test</value></field></x></query>"
			 "</iq>",
		 .sent = 1, .expect = {
			 "/message[@to='abuse@else.test']/rep:report"
			 "/jid:jid[.='spammer@else.test']",
		 }},
	};
	struct harness *h = *state;

	harness_member(h, "carol", NULL, "carol@example.org");
	harness_member(h, "dave", NULL, "dave@example.org");
	pass_relation_set = 2;
	fail_relation_set = 1;
	harness_run(h, failing);
	assert_int_equal(fail_relation_set, 0);
	assert_int_equal(reports_count(h), 0);
	harness_run(h, again);
	assert_int_equal(reports_count(h), 1);
}

/* The lookup of the asker fails on its own. */
static void link_lookup_fails(void **state)
{
	static const struct harness_step steps[] = {
		{.send = BLOCKLIST,
		 .sent = 1, .expect = {"/iq[@id='l']/error/st:internal-server-error"}},
		{.send = BLOCKLIST,
		 .sent = 1, .expect = {"/iq[@type='result']"}},
	};

	fail_link_get = 1;
	harness_run(*state, steps);
}

/* The store's disk below its reserve (the daemon sets the flag): what
 * would be stored is refused with resource-constraint, reads still
 * answered, nothing written; served again once it is cleared. */
static void disk_full_refuses_writes(void **state)
{
	static const struct harness_step full[] = {
		{.send = SAY("m1", "bob@example.org/x", "alice@bc.test", "hi"),
		 .sent = 1, .expect = {
			 "/message[@type='error'][@id='m1']"
			 "/error[@type='wait']/st:resource-constraint",
			 "boolean(/message/error/st:text)",
		 }},
		{.send = BLOCK("bob@bc.test"),
		 .sent = 1, .expect = {"/iq/error/st:resource-constraint"}},
		{.send = BLOCKLIST,
		 .sent = 1, .expect = {
			 "/iq[@type='result']",
			 "not(//*[local-name()='item'])",
		 }},
	};
	static const struct harness_step room[] = {
		{.send = SAY("m2", "bob@example.org/x", "alice@bc.test", "hi"),
		 .sent = 1, .expect = {"/presence[@type='subscribe']"}},
	};
	struct harness *h = *state;
	struct store_request req;

	h->bc->store_full = true;
	harness_run(h, full);
	assert_int_equal(store_request_get(h->store, "alice", "bob", &req),
			 STORE_NOTFOUND);
	h->bc->store_full = false;
	harness_run(h, room);
}

/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
		T(hold_fails),
		T(report_filing_fails),
		T(report_block_fails),
		T(block_fails),
		T(block_of_three_fails_at_the_last),
		T(unblock_of_three_fails_at_the_last),
		T(rolled_back_block_logs_no_evidence),
		T(report_origin_after_a_rolled_back_block),
		T(link_lookup_fails),
		T(disk_full_refuses_writes),
		T(removal_fails),
#undef T
	};

	return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
