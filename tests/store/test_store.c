/*
 * test_store.c - the typed store API on a private in-memory environment,
 * persistence in a temporary directory, and deadlock retry with two
 * writer processes.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "component/clock.h"
#include "component/jid.h"
#include "component/xmalloc.h"
#include "store/store-int.h"

#define T0 1790000000000LL

static int setup(void **state)
{
	struct store *st;

	clock_pin(T0);
	assert_int_equal(store_open(NULL, STORE_IN_MEMORY, &st), 0);
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	store_close(*state);
	clock_unpin();
	return 0;
}

static void add_id(struct store *st, const char *h)
{
	struct store_identity id;

	memset(&id, 0, sizeof(id));
	snprintf(id.handle, sizeof(id.handle), "%s", h);
	snprintf(id.name, sizeof(id.name), "Name of %s", h);
	assert_int_equal(store_identity_add(st, &id), 0);
}

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

static void test_norm(void **state)
{
	char h[STORE_HANDLE_SIZE], j[STORE_JID_SIZE];
	char long_handle[80];

	assert_int_equal(store_handle_norm("Alice.B-2_x", h), 0);
	assert_string_equal(h, "alice.b-2_x");
	assert_int_equal(store_handle_norm("", h), STORE_EINVAL);
	assert_int_equal(store_handle_norm("al ice", h), STORE_EINVAL);
	assert_int_equal(store_handle_norm("al@ice", h), STORE_EINVAL);
	memset(long_handle, 'a', 65);
	long_handle[65] = '\0';
	assert_int_equal(store_handle_norm(long_handle, h), STORE_EINVAL);
	long_handle[64] = '\0';
	assert_int_equal(store_handle_norm(long_handle, h), 0);

	assert_int_equal(store_jid_norm("Alice@Example.ORG/Phone", j), 0);
	assert_string_equal(j, "alice@example.org");
	assert_int_equal(store_jid_norm("example.org", j), 0);
	assert_int_equal(store_jid_norm("@example.org", j), STORE_EINVAL);
	assert_int_equal(store_jid_norm("a@", j), STORE_EINVAL);
	assert_int_equal(store_jid_norm("a@b@c", j), STORE_EINVAL);
	assert_int_equal(store_jid_norm("a b@c", j), STORE_EINVAL);
	assert_int_equal(store_jid_norm("/res", j), STORE_EINVAL);
}

static void test_identities(void **state)
{
	struct store *st = *state;
	struct store_identity id, got, *list;
	size_t n;

	memset(&id, 0, sizeof(id));
	strcpy(id.handle, "Alice");
	strcpy(id.name, "Alice A.");
	id.bot = true;
	assert_int_equal(store_identity_add(st, &id), 0);
	assert_int_equal(store_identity_add(st, &id), STORE_EEXIST);
	strcpy(id.handle, "bad handle");
	assert_int_equal(store_identity_add(st, &id), STORE_EINVAL);

	assert_int_equal(store_identity_get(st, "ALICE", &got), 0);
	assert_string_equal(got.handle, "alice");
	assert_string_equal(got.name, "Alice A.");
	assert_true(got.bot);
	assert_int_equal(got.who, STORE_WHO_FOLLOWS);
	assert_int_equal(got.created_ms, T0);
	assert_int_equal(store_identity_get(st, "nobody", &got),
			 STORE_NOTFOUND);

	assert_int_equal(store_identity_get(st, "alice", &got), 0);
	got.who = STORE_WHO_EVERYONE;
	clock_advance(5);
	assert_int_equal(store_identity_update(st, &got), 0);
	assert_int_equal(store_identity_get(st, "alice", &got), 0);
	assert_int_equal(got.who, STORE_WHO_EVERYONE);
	assert_int_equal(got.created_ms, T0);

	add_id(st, "bob");
	assert_int_equal(store_identity_list(st, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].handle, "alice");
	assert_string_equal(list[1].handle, "bob");
	free(list);

	assert_int_equal(store_identity_remove(st, "alice"), 0);
	assert_int_equal(store_identity_remove(st, "alice"), STORE_NOTFOUND);
	assert_int_equal(store_identity_get(st, "alice", &got), STORE_NOTFOUND);
}

static void test_links(void **state)
{
	struct store *st = *state;
	char h[STORE_HANDLE_SIZE];
	struct store_change *cv;
	uint64_t cursor;
	size_t n;
	char **v;

	add_id(st, "alice");
	add_id(st, "alice2");
	assert_int_equal(store_link(st, "alice", "A@Example.org/res"), 0);
	assert_int_equal(store_link(st, "alice", "a2@example.org"), 0);
	assert_int_equal(store_link(st, "alice2", "z@example.org"), 0);
	assert_int_equal(store_link(st, "alice2", "a@example.org"),
			 STORE_EEXIST);
	assert_int_equal(store_link(st, "nobody", "n@example.org"),
			 STORE_NOTFOUND);
	assert_int_equal(store_link(st, "alice", "not a jid"), STORE_EINVAL);

	assert_int_equal(store_link_get(st, "a@EXAMPLE.org", h), 0);
	assert_string_equal(h, "alice");
	assert_int_equal(store_link_get(st, "q@example.org", h),
			 STORE_NOTFOUND);

	/* The index gives exactly one handle's JIDs, sorted. */
	assert_int_equal(store_link_list(st, "alice", &v), 0);
	assert_int_equal(strv_len(v), 2);
	assert_string_equal(v[0], "a2@example.org");
	assert_string_equal(v[1], "a@example.org");
	store_strv_free(v);

	/* Each account that is no longer linked is noted in the change log
	 * (the rooms it is in hear of it), and only such accounts. */
	assert_int_equal(store_changes_head(st, &cursor), 0);
	assert_int_equal(store_unlink(st, "alice2", "a@example.org"),
			 STORE_NOTFOUND);
	assert_int_equal(store_unlink(st, "alice", "a@example.org"), 0);
	assert_int_equal(store_link_list(st, "alice", &v), 0);
	assert_int_equal(strv_len(v), 1);
	store_strv_free(v);

	/* Removing an identity removes its links. */
	assert_int_equal(store_identity_remove(st, "alice"), 0);
	assert_int_equal(store_link_get(st, "a2@example.org", h),
			 STORE_NOTFOUND);
	assert_int_equal(store_link_get(st, "z@example.org", h), 0);
	assert_int_equal(store_changes_since(st, &cursor, &cv, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(cv[0].kind, STORE_CHANGE_UNLINK);
	assert_string_equal(cv[0].name, "a@example.org");
	assert_int_equal(cv[1].kind, STORE_CHANGE_UNLINK);
	assert_string_equal(cv[1].name, "a2@example.org");
	store_change_list_free(cv, n);
}

static void test_tokens(void **state)
{
	struct store *st = *state;
	char tok[STORE_TOKEN_SIZE], tok2[STORE_TOKEN_SIZE];
	char h[STORE_HANDLE_SIZE];

	add_id(st, "alice");
	add_id(st, "bob");
	assert_int_equal(store_token_new(st, "nobody", 1000, tok),
			 STORE_NOTFOUND);
	assert_int_equal(store_token_new(st, "alice", 1000, tok), 0);
	assert_int_equal(strlen(tok), 32);
	assert_int_equal(store_token_new(st, "alice", 1000, tok2), 0);
	assert_string_not_equal(tok, tok2);

	/* Wrong handle, then good, then used. */
	assert_int_equal(store_token_claim(st, "bob", tok, "a@x.org"),
			 STORE_NOTFOUND);
	assert_int_equal(store_token_claim(st, "alice", tok, "a@x.org/r"), 0);
	assert_int_equal(store_link_get(st, "a@x.org", h), 0);
	assert_string_equal(h, "alice");
	assert_int_equal(store_token_claim(st, "alice", tok, "b@x.org"),
			 STORE_TOKEN_USED);
	assert_int_equal(store_token_claim(st, "alice", tok, "a@x.org"),
			 STORE_TOKEN_USED);
	/* A JID linked elsewhere: the token stays good. */
	assert_int_equal(store_link(st, "bob", "b@x.org"), 0);
	assert_int_equal(store_token_claim(st, "alice", tok2, "b@x.org"),
			 STORE_EEXIST);
	/* Expiry: one millisecond before it is still good for checks. */
	clock_advance(999);
	assert_int_equal(store_token_claim(st, "alice", tok2, "b@x.org"),
			 STORE_EEXIST);
	clock_advance(1);
	assert_int_equal(store_token_claim(st, "alice", tok2, "c@x.org"),
			 STORE_TOKEN_EXPIRED);
	assert_int_equal(store_token_claim(st, "bob", tok2, "c@x.org"),
			 STORE_TOKEN_UNKNOWN);
	/* Used beats expired; nothing was linked by the refusals. */
	assert_int_equal(store_token_claim(st, "alice", tok, "c@x.org"),
			 STORE_TOKEN_USED);
	assert_int_equal(store_link_get(st, "c@x.org", h), STORE_NOTFOUND);
	assert_int_equal(store_token_claim(st, "alice", "", "c@x.org"),
			 STORE_TOKEN_UNKNOWN);
	assert_int_equal(store_token_claim(st, "alice", "0123456789abcdef",
					    "c@x.org"), STORE_TOKEN_UNKNOWN);
	assert_int_equal(store_token_claim(st, "bad handle", tok2, "c@x.org"),
			 STORE_TOKEN_UNKNOWN);
	assert_int_equal(store_token_claim(st, "alice", tok2, "not a jid"),
			 STORE_EINVAL);
	/* The first contract folds used and expired into not found. */
	assert_int_equal(store_token_redeem(st, "alice", tok, "c@x.org"),
			 STORE_NOTFOUND);
	assert_int_equal(store_token_redeem(st, "alice", tok2, "c@x.org"),
			 STORE_NOTFOUND);
}

static void test_follows(void **state)
{
	struct store *st = *state;
	char **v;

	add_id(st, "a");
	add_id(st, "b");
	add_id(st, "c");
	assert_int_equal(store_follow(st, "a", "b"), 0);
	assert_int_equal(store_follow(st, "a", "c"), 0);
	assert_int_equal(store_follow(st, "c", "b"), 0);
	assert_int_equal(store_follow(st, "a", "b"), STORE_EEXIST);
	assert_int_equal(store_follow(st, "a", "a"), STORE_EINVAL);
	assert_int_equal(store_follow(st, "a", "zz"), STORE_NOTFOUND);
	assert_int_equal(store_follows(st, "a", "b"), 0);
	assert_int_equal(store_follows(st, "b", "a"), STORE_NOTFOUND);

	assert_int_equal(store_following_list(st, "a", &v), 0);
	assert_int_equal(strv_len(v), 2);
	assert_string_equal(v[0], "b");
	assert_string_equal(v[1], "c");
	store_strv_free(v);
	assert_int_equal(store_followers_list(st, "b", &v), 0);
	assert_int_equal(strv_len(v), 2);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[1], "c");
	store_strv_free(v);

	assert_int_equal(store_unfollow(st, "a", "b"), 0);
	assert_int_equal(store_unfollow(st, "a", "b"), STORE_NOTFOUND);
	/* Removing c drops its follows both ways. */
	assert_int_equal(store_identity_remove(st, "c"), 0);
	assert_int_equal(store_followers_list(st, "b", &v), 0);
	assert_int_equal(strv_len(v), 0);
	store_strv_free(v);
	assert_int_equal(store_following_list(st, "a", &v), 0);
	assert_int_equal(strv_len(v), 0);
	store_strv_free(v);
}

static void test_subscriptions(void **state)
{
	struct store *st = *state;
	struct store_stats s;
	char **v;

	add_id(st, "alice");
	add_id(st, "alicea");
	assert_int_equal(store_sub_add(st, "alice", "Zed@x.org/phone"), 0);
	assert_int_equal(store_sub_add(st, "alice", "bob@x.org"), 0);
	assert_int_equal(store_sub_add(st, "alicea", "c@x.org"), 0);
	assert_int_equal(store_sub_add(st, "alice", "zed@X.org"), STORE_EEXIST);
	assert_int_equal(store_sub_add(st, "nobody", "zed@x.org"),
			 STORE_NOTFOUND);
	assert_int_equal(store_sub_add(st, "alice", "not a jid"), STORE_EINVAL);
	assert_int_equal(store_sub_add(st, "bad handle", "a@x.org"),
			 STORE_EINVAL);

	/* One handle's subscribers only, sorted. */
	assert_int_equal(store_sub_list(st, "Alice", &v), 0);
	assert_int_equal(strv_len(v), 2);
	assert_string_equal(v[0], "bob@x.org");
	assert_string_equal(v[1], "zed@x.org");
	store_strv_free(v);
	assert_int_equal(store_stats(st, &s), 0);
	assert_int_equal(s.subscriptions, 3);

	assert_int_equal(store_sub_remove(st, "alice", "bob@x.org/r"), 0);
	assert_int_equal(store_sub_remove(st, "alice", "bob@x.org"),
			 STORE_NOTFOUND);
	assert_int_equal(store_sub_remove(st, "alice", "c@x.org"),
			 STORE_NOTFOUND);
	assert_int_equal(store_sub_remove(st, "bad handle", "c@x.org"),
			 STORE_NOTFOUND);

	/* Removed with the identity, and only its own. */
	assert_int_equal(store_identity_remove(st, "alice"), 0);
	assert_int_equal(store_sub_list(st, "alice", &v), 0);
	assert_int_equal(strv_len(v), 0);
	store_strv_free(v);
	assert_int_equal(store_sub_list(st, "alicea", &v), 0);
	assert_int_equal(strv_len(v), 1);
	store_strv_free(v);
}

static void test_relations(void **state)
{
	struct store *st = *state;
	struct store_relation rel;
	struct store_identity id;
	char **v;

	add_id(st, "bob");
	add_id(st, "alice");
	assert_int_equal(store_knows(st, "bob", "alice"), STORE_NOTFOUND);
	assert_int_equal(store_relation_get(st, "bob", "alice", &rel),
			 STORE_NOTFOUND);
	assert_int_equal(store_relation_set(st, "bob", "alice",
					    STORE_REL_WROTE_FIRST, 0, 0), 0);
	assert_int_equal(store_knows(st, "bob", "alice"), 0);
	assert_int_equal(store_relation_set(st, "bob", "alice",
					    STORE_REL_BLOCKED,
					    STORE_REL_WROTE_FIRST, 0), 0);
	assert_int_equal(store_relation_get(st, "bob", "alice", &rel), 0);
	assert_int_equal(rel.flags, STORE_REL_BLOCKED);
	assert_int_equal(store_relation_set(st, "bob", "carol\\40x.org@d",
					    STORE_REL_BLOCKED, 0, 0), 0);
	assert_int_equal(store_blocked_list(st, "bob", &v), 0);
	assert_int_equal(strv_len(v), 2);
	assert_string_equal(v[0], "alice");
	assert_string_equal(v[1], "carol\\40x.org@d");
	store_strv_free(v);
	/* No flag left: the record goes. */
	assert_int_equal(store_relation_set(st, "bob", "alice", 0,
					    STORE_REL_BLOCKED, 0), 0);
	assert_int_equal(store_relation_get(st, "bob", "alice", &rel),
			 STORE_NOTFOUND);
	/* Follows and the everyone setting make a sender known. */
	assert_int_equal(store_follow(st, "bob", "alice"), 0);
	assert_int_equal(store_knows(st, "bob", "alice"), 0);
	assert_int_equal(store_knows(st, "alice", "bob"), STORE_NOTFOUND);
	assert_int_equal(store_identity_get(st, "alice", &id), 0);
	id.who = STORE_WHO_EVERYONE;
	assert_int_equal(store_identity_update(st, &id), 0);
	assert_int_equal(store_knows(st, "alice", "bob"), 0);
}

static void test_requests(void **state)
{
	struct store *st = *state;
	struct store_request req, *list;
	struct store_held *held;
	struct store_relation rel;
	size_t n;
	bool is_new;

	assert_int_equal(store_request_hold(st, "bob", "alice", "<m1/>", 3, 2,
					    &is_new), 0);
	assert_true(is_new);
	clock_advance(1);
	assert_int_equal(store_request_hold(st, "bob", "alice", "<m2/>", 3, 2,
					    &is_new), 0);
	assert_false(is_new);
	assert_int_equal(store_request_hold(st, "bob", "alice", "<m3/>", 3, 2,
					    &is_new), 0);
	/* Held cap. */
	assert_int_equal(store_request_hold(st, "bob", "alice", "<m4/>", 3, 2,
					    &is_new), STORE_ELIMIT);
	assert_int_equal(store_request_get(st, "bob", "alice", &req), 0);
	assert_int_equal(req.held, 3);
	assert_string_equal(req.sender, "alice");
	assert_int_equal(req.created_ms, T0);
	store_request_clear(&req);

	/* Daily cap on new requests by one sender. */
	assert_int_equal(store_request_hold(st, "carol", "alice", "<x/>", 3, 2,
					    &is_new), 0);
	assert_int_equal(store_request_hold(st, "dave", "alice", "<x/>", 3, 2,
					    &is_new), STORE_ELIMIT);
	clock_advance(86400000);
	assert_int_equal(store_request_hold(st, "dave", "alice", "<x/>", 3, 2,
					    &is_new), 0);

	assert_int_equal(store_request_hold(st, "bob", "zed", "<z/>", 3, 2,
					    &is_new), 0);
	assert_int_equal(store_request_list(st, "bob", &list, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].sender, "alice");
	assert_string_equal(list[1].sender, "zed");
	store_request_list_free(list, n);

	assert_int_equal(store_held_list(st, "bob", "alice", &held, &n), 0);
	assert_int_equal(n, 3);
	store_held_list_free(held, n);

	/* Accept: the held messages in order, the request gone. */
	assert_int_equal(store_request_accept(st, "bob", "alice", &held, &n),
			 0);
	assert_int_equal(n, 3);
	assert_string_equal(held[0].stanza, "<m1/>");
	assert_string_equal(held[1].stanza, "<m2/>");
	assert_string_equal(held[2].stanza, "<m3/>");
	assert_int_equal(held[0].received_ms, T0);
	store_held_list_free(held, n);
	assert_int_equal(store_request_get(st, "bob", "alice", &req),
			 STORE_NOTFOUND);
	assert_int_equal(store_knows(st, "bob", "alice"), 0);
	assert_int_equal(store_request_accept(st, "bob", "alice", &held, &n),
			 STORE_NOTFOUND);

	/* Decline: dropped, with a cool-down. */
	assert_int_equal(store_request_decline(st, "bob", "zed", 1000), 0);
	assert_int_equal(store_held_list(st, "bob", "zed", &held, &n), 0);
	assert_int_equal(n, 0);
	store_held_list_free(held, n);
	assert_int_equal(store_relation_get(st, "bob", "zed", &rel), 0);
	assert_int_equal(rel.flags, STORE_REL_DECLINED);
	assert_int_equal(rel.declined_until_ms, T0 + 86400001 + 1000);
}

static void test_evidence(void **state)
{
	struct store *st = *state;
	char buf[16];
	char **v;
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "m%d", i);
		assert_int_equal(store_evidence_add(st, "eve", "bob", buf, 3,
						    0), 0);
		clock_advance(10);
	}
	assert_int_equal(store_evidence_add(st, "eve", "bobby", "other", 3, 0),
			 0);
	assert_int_equal(store_evidence_list(st, "eve", "bob", &v), 0);
	assert_int_equal(strv_len(v), 3);
	assert_string_equal(v[0], "m2");
	assert_string_equal(v[2], "m4");
	store_strv_free(v);
	/* The same with times, for one pair only ("bobby" is another). */
	{
		struct store_evidence *ev = NULL;
		size_t n = 0;

		assert_int_equal(store_evidence_list_pair(st, "eve", "bob",
							  &ev, &n), 0);
		assert_int_equal(n, 3);
		assert_string_equal(ev[0].text, "m2");
		assert_string_equal(ev[2].text, "m4");
		assert_true(ev[0].ms < ev[2].ms);
		assert_int_equal(ev[2].ms - ev[0].ms, 20);
		store_evidence_list_free(ev, n);
		assert_int_equal(store_evidence_list_pair(st, "bob", "eve",
							  &ev, &n), 0);
		assert_int_equal(n, 0);
		store_evidence_list_free(ev, n);
	}
	/* Age bound: only what is younger than 15 ms stays. */
	assert_int_equal(store_evidence_add(st, "eve", "bob", "m5", 3, 15), 0);
	assert_int_equal(store_evidence_list(st, "eve", "bob", &v), 0);
	assert_int_equal(strv_len(v), 2);
	assert_string_equal(v[0], "m4");
	assert_string_equal(v[1], "m5");
	store_strv_free(v);
	/* Once a pair's count is known, appends trim from the oldest end
	 * whenever the log is a quarter over: it never holds more than 25,
	 * always the newest, oldest first, and back to 20 after a trim. */
	for (i = 0; i < 100; i++) {
		size_t n, k = (size_t)(i - 20) % 6;
		size_t want = i < 20 ? (size_t)i + 1 : k == 5 ? 20 : 21 + k;

		snprintf(buf, sizeof(buf), "n%02d", i);
		assert_int_equal(store_evidence_add(st, "zed", "bob", buf, 20,
						    0), 0);
		assert_int_equal(store_evidence_list(st, "zed", "bob", &v), 0);
		n = strv_len(v);
		assert_int_equal(n, want);
		assert_string_equal(v[n - 1], buf);
		snprintf(buf, sizeof(buf), "n%02d", i + 1 - (int)n);
		assert_string_equal(v[0], buf);
		store_strv_free(v);
	}
	/* An age bound applies when the log is trimmed. */
	clock_advance(1000);
	for (i = 0; i < 6; i++)
		assert_int_equal(store_evidence_add(st, "zed", "bob", "late",
						    20, 500),
				 0);
	assert_int_equal(store_evidence_list(st, "zed", "bob", &v), 0);
	assert_int_equal(strv_len(v), 6);
	assert_string_equal(v[0], "late");
	store_strv_free(v);
}

/* In a batch, a pass's appends wait for its end and go in as one call:
 * a report or a listing in the same pass still sees them, and a pass of
 * more appends than a pair keeps leaves exactly the newest. */
static void test_evidence_batched(void **state)
{
	struct store *st = *state;
	struct store_report r, got;
	char buf[16];
	uint64_t id;
	char **v;
	int i;

	assert_int_equal(store_batch_begin(st), 0);
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "b%d", i);
		assert_int_equal(store_evidence_add(st, "eve", "bob", buf, 5,
						    0), 0);
	}
	assert_int_equal(store_evidence_list(st, "eve", "bob", &v), 0);
	assert_int_equal(strv_len(v), 3);
	assert_string_equal(v[2], "b2");
	store_strv_free(v);
	assert_int_equal(store_evidence_add(st, "eve", "bob", "b3", 5, 0), 0);
	memset(&r, 0, sizeof(r));
	r.reporter = "bob";
	r.reported = "eve";
	r.reason = "urn:xmpp:reporting:spam";
	assert_int_equal(store_report_add(st, &r, true, &id), 0);
	for (i = 0; i < 12; i++) {
		snprintf(buf, sizeof(buf), "c%02d", i);
		assert_int_equal(store_evidence_add(st, "eve", "bob", buf, 5,
						    0), 0);
	}
	assert_int_equal(store_batch_end(st), 0);
	assert_int_equal(store_report_get(st, id, &got), 0);
	assert_string_equal(got.evidence[3], "b3");
	assert_null(got.evidence[4]);
	store_report_clear(&got);
	assert_int_equal(store_evidence_list(st, "eve", "bob", &v), 0);
	assert_true(strv_len(v) >= 5 && strv_len(v) <= 6);
	assert_string_equal(v[strv_len(v) - 1], "c11");
	store_strv_free(v);
}

/* The change log: room open and close leave a note a reader finds after
 * its cursor, once; notes older than an hour are pruned. */
static void test_changes(void **state)
{
	struct store *st = *state;
	const char *hosts[] = {"alice", NULL};
	struct store_change *v;
	uint64_t cursor, head;
	size_t n;

	add_id(st, "alice");
	assert_int_equal(store_changes_head(st, &head), 0);
	assert_int_equal(head, 0);
	cursor = head;
	assert_int_equal(store_changes_since(st, &cursor, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_room_open(st, "Stage", "Live", hosts, NULL), 0);
	assert_int_equal(store_room_close(st, "stage"), 0);
	assert_int_equal(store_changes_since(st, &cursor, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].kind, STORE_CHANGE_ROOM);
	assert_string_equal(v[0].name, "stage");
	assert_true(v[1].seq > v[0].seq);
	assert_int_equal(cursor, v[1].seq);
	store_change_list_free(v, n);
	/* Read once. */
	assert_int_equal(store_changes_since(st, &cursor, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_changes_head(st, &head), 0);
	assert_int_equal(head, cursor);
	/* A reader starting at the head sees only what comes later. */
	assert_int_equal(store_room_open(st, "stage", "Again", hosts, NULL), 0);
	assert_int_equal(store_changes_since(st, &head, &v, &n), 0);
	assert_int_equal(n, 1);
	store_change_list_free(v, n);
	/* An hour and a bit later, the prune leaves only the newest note,
	 * which the next one follows: a reader's cursor from before stays
	 * right, and the note after the prune is read. */
	assert_int_equal(store_changes_head(st, &cursor), 0);
	clock_advance(3600 * 1000 + 1);
	assert_int_equal(store_changes_prune(st), 0);
	head = 0;
	assert_int_equal(store_changes_since(st, &head, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].seq, cursor);
	store_change_list_free(v, n);
	assert_int_equal(store_room_close(st, "stage"), 0);
	assert_int_equal(store_changes_since(st, &cursor, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, "stage");
	store_change_list_free(v, n);
	/* A cursor past the end (a replica gone back to a new master's log)
	 * comes back to it, and reads what follows. */
	cursor += 10;
	assert_int_equal(store_changes_since(st, &cursor, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_changes_head(st, &head), 0);
	assert_int_equal(cursor, head);
	assert_int_equal(store_room_open(st, "stage", "Again", hosts, NULL), 0);
	assert_int_equal(store_changes_since(st, &cursor, &v, &n), 0);
	assert_int_equal(n, 1);
	store_change_list_free(v, n);
}

/* With STORE_LAZY_EVIDENCE, a pass that wrote only evidence (or nothing)
 * does not wait for the disk; one that wrote anything else does, and what
 * waited is flushed within STORE_LAZY_FLUSH_MS (100 ms).  Without it,
 * every pass that wrote flushes. */
static void test_lazy_flush(void **state)
{
	char dir[] = "/tmp/bc-store-XXXXXX", *cmd;
	struct store *st;
	unsigned long n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, 0, &st), 0);
	add_id(st, "bob");
	assert_int_equal(store_flush(st), 0);
	n = st->log_flushes;
	assert_int_equal(store_batch_begin(st), 0);
	assert_int_equal(store_evidence_add(st, "eve", "bob", "hi", 5, 0), 0);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(st->log_flushes, n + 1);
	store_close(st);

	assert_int_equal(store_open(dir, STORE_LAZY_EVIDENCE, &st), 0);
	assert_int_equal(store_flush(st), 0);
	n = st->log_flushes;
	assert_int_equal(store_batch_begin(st), 0);
	assert_int_equal(store_evidence_add(st, "eve", "bob", "hi", 5, 0), 0);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(st->log_flushes, n);
	clock_advance(99);
	assert_int_equal(store_batch_begin(st), 0);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(st->log_flushes, n);
	clock_advance(1);
	assert_int_equal(store_batch_begin(st), 0);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(st->log_flushes, n + 1);
	/* A write a pass's stanzas may reveal: flushed at once. */
	assert_int_equal(store_batch_begin(st), 0);
	assert_int_equal(store_relation_set(st, "bob", "eve", STORE_REL_BLOCKED,
					    0, 0),
			 0);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(st->log_flushes, n + 2);
	store_close(st);
	cmd = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_reports(void **state)
{
	struct store *st = *state;
	struct store_report r, got, *list;
	char *extra[] = {"forwarded", NULL};
	uint64_t id;
	size_t n;

	assert_int_equal(store_evidence_add(st, "eve", "bob", "spam 1", 5, 0),
			 0);
	memset(&r, 0, sizeof(r));
	r.reporter = "bob";
	r.reported = "eve";
	r.reason = "urn:xmpp:reporting:spam";
	r.text = "annoying";
	r.evidence = extra;
	assert_int_equal(store_report_add(st, &r, true, &id), 0);
	assert_int_equal(id, 1);
	r.evidence = NULL;
	assert_int_equal(store_report_add(st, &r, false, &id), 0);
	assert_int_equal(id, 2);

	assert_int_equal(store_report_get(st, 1, &got), 0);
	assert_string_equal(got.reporter, "bob");
	assert_string_equal(got.text, "annoying");
	assert_int_equal(got.state, STORE_REPORT_OPEN);
	assert_int_equal(got.created_ms, T0);
	assert_string_equal(got.evidence[0], "forwarded");
	assert_string_equal(got.evidence[1], "spam 1");
	assert_null(got.evidence[2]);
	store_report_clear(&got);
	assert_int_equal(store_report_get(st, 9, &got), STORE_NOTFOUND);

	assert_int_equal(store_report_resolve(st, 1), 0);
	assert_int_equal(store_report_resolve(st, 7), STORE_NOTFOUND);
	assert_int_equal(store_report_list(st, true, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, 2);
	store_report_list_free(list, n);
	assert_int_equal(store_report_list(st, false, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[0].state, STORE_REPORT_RESOLVED);
	store_report_list_free(list, n);

	/* Load keeps ids and moves the counter past them. */
	r.id = 10;
	r.state = STORE_REPORT_RESOLVED;
	r.created_ms = 5;
	assert_int_equal(store_report_add(st, &r, false, &id), 0);
	assert_int_equal(id, 10);
	r.id = 0;
	assert_int_equal(store_report_add(st, &r, false, &id), 0);
	assert_int_equal(id, 11);
}

/* Moderation: pages of open reports, resolutions with their outcome,
 * the repeat-offender count and sanctions. */
static void test_report_moderation(void **state)
{
	struct store *st = *state;
	struct store_report r, got, *list;
	struct store_resolution res = {STORE_OUTCOME_WARN, "be nice", "m@x.org",
				       0, true, NULL};
	struct store_sanction s, *sv;
	struct store_change *cv;
	uint64_t id, cursor = 0;
	bool more, restricted;
	size_t n, i;

	memset(&r, 0, sizeof(r));
	r.reported = "eve";
	r.reason = "urn:xmpp:reporting:spam";
	for (i = 0; i < 5; i++) {
		r.reporter = i < 2 ? "bob" : i < 4 ? "carol" : "dave";
		assert_int_equal(store_report_add(st, &r, false, &id), 0);
	}
	/* bob (twice) and carol (twice): two distinct, not three; with
	 * dave's (id 5) three.  Made before since_ms: none count. */
	assert_int_equal(store_report_offender(st, "EVE", NULL, T0 + 1, 3,
					       &restricted), 0);
	assert_false(restricted);
	assert_int_equal(store_sanction_get(st, "eve", &s), STORE_NOTFOUND);
	assert_int_equal(store_report_offender(st, "eve", NULL, T0, 3, &restricted),
			 0);
	assert_true(restricted);
	assert_int_equal(store_sanction_get(st, "Eve", &s), 0);
	assert_true(s.restricted);
	assert_int_equal(s.until_ms, 0);
	store_sanction_clear(&s);

	assert_int_equal(store_report_page(st, 0, 2, &list, &n, &more), 0);
	assert_int_equal(n, 2);
	assert_true(more);
	assert_int_equal(list[1].id, 2);
	store_report_list_free(list, n);
	assert_int_equal(store_report_page(st, 4, 2, &list, &n, &more), 0);
	assert_int_equal(n, 1);
	assert_false(more);
	assert_int_equal(list[0].id, 5);
	store_report_list_free(list, n);

	/* Refusals change nothing. */
	assert_int_equal(store_report_settle(st, 9, &res, NULL),
			 STORE_NOTFOUND);
	res.outcome = STORE_OUTCOME_SUSPEND; /* without an end */
	assert_int_equal(store_report_settle(st, 1, &res, NULL), STORE_EINVAL);
	res.outcome = STORE_OUTCOME_NONE;
	assert_int_equal(store_report_settle(st, 1, &res, NULL), STORE_EINVAL);

	res.outcome = STORE_OUTCOME_WARN;
	assert_int_equal(store_changes_head(st, &cursor), 0);
	clock_advance(1000);
	assert_int_equal(store_report_settle(st, 1, &res, &got), 0);
	assert_int_equal(got.outcome, STORE_OUTCOME_WARN);
	assert_int_equal(got.resolved_ms, T0 + 1000);
	store_report_clear(&got);
	assert_int_equal(store_report_settle(st, 1, &res, NULL), STORE_EEXIST);
	assert_int_equal(store_changes_since(st, &cursor, &cv, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cv[0].kind, STORE_CHANGE_REPORT);
	assert_string_equal(cv[0].name, "1");
	store_change_list_free(cv, n);
	assert_int_equal(store_report_get(st, 1, &got), 0);
	assert_string_equal(got.note, "be nice");
	assert_string_equal(got.resolved_by, "m@x.org");
	assert_int_equal(got.until_ms, 0);
	store_report_clear(&got);

	/* Suspending keeps the restriction while reports stay open. */
	res.outcome = STORE_OUTCOME_SUSPEND;
	res.until_ms = T0 + 5000;
	res.announce = false;
	assert_int_equal(store_report_settle(st, 2, &res, NULL), 0);
	assert_int_equal(store_sanction_get(st, "eve", &s), 0);
	assert_true(s.restricted);
	assert_int_equal(s.until_ms, T0 + 5000);
	assert_string_equal(s.note, "be nice");
	store_sanction_clear(&s);
	res.outcome = STORE_OUTCOME_DISMISS;
	for (id = 3; id <= 5; id++)
		assert_int_equal(store_report_settle(st, id, &res, NULL), 0);
	assert_int_equal(store_sanction_get(st, "eve", &s), 0);
	assert_false(s.restricted);
	assert_int_equal(s.until_ms, T0 + 5000);
	store_sanction_clear(&s);

	/* Lifting the suspension leaves nothing. */
	assert_int_equal(store_sanction_suspend(st, "eve", 0, NULL), 0);
	assert_int_equal(store_sanction_get(st, "eve", &s), STORE_NOTFOUND);
	/* Load: as given; a blank one is nothing. */
	s.node = "carol\\40x.org";
	s.until_ms = 7;
	s.note = "n";
	s.restricted = true;
	s.restricted_ms = 3;
	assert_int_equal(store_sanction_put(st, &s), 0);
	assert_int_equal(store_sanction_list(st, &sv, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(sv[0].node, "carol\\40x.org");
	assert_int_equal(sv[0].restricted_ms, 3);
	store_sanction_list_free(sv, n);
	s.until_ms = 0;
	s.restricted = false;
	assert_int_equal(store_sanction_put(st, &s), 0);
	assert_int_equal(store_sanction_list(st, &sv, &n), 0);
	assert_int_equal(n, 0);
	store_sanction_list_free(sv, n);

	/* The forms a report's addresses come in, matched given D: "bob"
	 * and "bob@d.test" are one reporter, "zed", "zed@d.test" and
	 * "ZED@d.test" one address; an outside user's bare JID is its
	 * escaped address. */
	{
		static const char *const rs[][2] = {
			{"bob", "zed"},
			{"bob@d.test", "zed@d.test"},
			{"carol@else.org/x", "ZED@d.test"},
			{"bob", "x@else.org"},
			{"dave", "x\\40else.org"},
		};

		for (i = 0; i < 5; i++) {
			r.reporter = (char *)rs[i][0];
			r.reported = (char *)rs[i][1];
			assert_int_equal(store_report_add(st, &r, false, &id),
					 0);
		}
	}
	assert_int_equal(store_report_offender(st, "zed", NULL, T0, 2,
					       &restricted), 0);
	assert_false(restricted); /* as stored: one report names "zed" */
	assert_int_equal(store_report_offender(st, "zed", "d.test", T0, 3,
					       &restricted), 0);
	assert_false(restricted); /* two distinct reporters */
	assert_int_equal(store_report_offender(st, "zed", "d.test", T0, 2,
					       &restricted), 0);
	assert_true(restricted);
	assert_int_equal(store_report_offender(st, "x\\40else.org", "d.test",
					       T0, 2, &restricted), 0);
	assert_true(restricted);
	assert_int_equal(store_sanction_list(st, &sv, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(sv[0].node, "x\\40else.org");
	assert_string_equal(sv[1].node, "zed");
	store_sanction_list_free(sv, n);
	/* Resolving the reports about zed in their forms lifts it once the
	 * last is resolved. */
	res.domain = "d.test";
	assert_int_equal(store_report_settle(st, 6, &res, NULL), 0);
	assert_int_equal(store_report_settle(st, 7, &res, NULL), 0);
	assert_int_equal(store_sanction_get(st, "zed", &s), 0);
	assert_true(s.restricted);
	store_sanction_clear(&s);
	assert_int_equal(store_report_settle(st, 8, &res, NULL), 0);
	assert_int_equal(store_sanction_get(st, "zed", &s), STORE_NOTFOUND);
}

/* One node for every form an address comes in, and the repeat-offender
 * count finds reports naming it in any of them (through the address
 * index). */
static void test_report_forms(void **state)
{
	static const char *const member[] = {
		"bob", "bob@d.test", "BOB@d.test", "Bob@D.Test/phone",
	};
	static const char *const outside[] = {
		"carol\\40else.org", "carol@else.org", "Carol@Else.org",
		"carol@else.org/phone", "CAROL\\40else.org@d.test",
	};
	static const char *const reporters[] = {
		"r1", "r2@d.test", "r3@else.org/x", "r4", "r5",
	};
	struct store *st = *state;
	struct store_report r;
	struct store_sanction s;
	char out[JID_MAX];
	bool restricted;
	size_t i;

	for (i = 0; i < sizeof(member) / sizeof(member[0]); i++) {
		assert_int_equal(store_report_node(member[i], "d.test", out,
						   sizeof(out)), 0);
		assert_string_equal(out, "bob");
	}
	for (i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		assert_int_equal(store_report_node(outside[i], "d.test", out,
						   sizeof(out)), 0);
		assert_string_equal(out, "carol\\40else.org");
	}
	assert_int_equal(store_report_node("", "d.test", out, sizeof(out)),
			 STORE_EINVAL);
	assert_int_equal(store_report_node("@d.test", "d.test", out,
					   sizeof(out)), STORE_EINVAL);
	assert_int_equal(store_report_node("bob", "d.test", out, 3),
			 STORE_EINVAL);

	/* Five reporters, each naming carol in another form: the last
	 * report makes five distinct ones, whichever form it is counted
	 * by. */
	memset(&r, 0, sizeof(r));
	r.reason = "urn:xmpp:reporting:abuse";
	for (i = 0; i < 5; i++) {
		r.reporter = (char *)reporters[i];
		r.reported = (char *)outside[i];
		assert_int_equal(store_report_add(st, &r, false, NULL), 0);
		assert_int_equal(store_report_offender(st, outside[4 - i],
						       "d.test", T0, 5,
						       &restricted), 0);
		assert_int_equal(restricted, i == 4);
	}
	/* And bob, in his forms. */
	for (i = 0; i < 4; i++) {
		r.reporter = (char *)reporters[i];
		r.reported = (char *)member[i];
		assert_int_equal(store_report_add(st, &r, false, NULL), 0);
	}
	assert_int_equal(store_report_offender(st, "bob@D.TEST/x", "d.test",
					       T0, 4, &restricted), 0);
	assert_true(restricted);
	assert_int_equal(store_sanction_get(st, "bob", &s), 0);
	assert_true(s.restricted);
	store_sanction_clear(&s);
	assert_int_equal(store_sanction_get(st, "carol\\40else.org", &s), 0);
	assert_true(s.restricted);
	store_sanction_clear(&s);
}

/* "remove" resolves the report and removes the identity in one
 * transaction: both, or (not an identity) neither. */
static void test_report_remove(void **state)
{
	struct store *st = *state;
	struct store_resolution res = {STORE_OUTCOME_REMOVE, NULL, "m@x.org",
				       0, true, "d.test"};
	struct store_identity id;
	struct store_change *cv;
	struct store_report r, got;
	uint64_t cursor = 0, ra, rb;
	char **jids;
	size_t n;

	add_id(st, "eve");
	assert_int_equal(store_link(st, "eve", "eve@real.org"), 0);
	memset(&r, 0, sizeof(r));
	r.reporter = "bob";
	r.reported = "Eve@d.test/x";
	assert_int_equal(store_report_add(st, &r, false, &ra), 0);
	r.reported = "ghost";
	assert_int_equal(store_report_add(st, &r, false, &rb), 0);
	assert_int_equal(store_sanction_suspend(st, "eve", T0 + 9000, NULL),
			 0);
	assert_int_equal(store_changes_head(st, &cursor), 0);

	/* Not an identity: nothing changes, no note. */
	assert_int_equal(store_report_settle(st, rb, &res, NULL),
			 STORE_EINVAL);
	assert_int_equal(store_report_get(st, rb, &got), 0);
	assert_int_equal(got.state, STORE_REPORT_OPEN);
	store_report_clear(&got);
	assert_int_equal(store_changes_since(st, &cursor, &cv, &n), 0);
	assert_int_equal(n, 0);
	store_change_list_free(cv, n);

	assert_int_equal(store_report_settle(st, ra, &res, &got), 0);
	assert_int_equal(got.outcome, STORE_OUTCOME_REMOVE);
	store_report_clear(&got);
	assert_int_equal(store_identity_get(st, "eve", &id), STORE_NOTFOUND);
	assert_int_equal(store_link_list(st, "eve", &jids), 0);
	assert_null(jids[0]);
	store_strv_free(jids);
	assert_int_equal(store_sanction_get(st, "eve", &(struct store_sanction){0}),
			 STORE_NOTFOUND);
	/* The daemons hear of the outcome and of the account that is no
	 * longer linked (it leaves the rooms). */
	assert_int_equal(store_changes_since(st, &cursor, &cv, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(cv[0].kind, STORE_CHANGE_UNLINK);
	assert_string_equal(cv[0].name, "eve@real.org");
	assert_int_equal(cv[1].kind, STORE_CHANGE_REPORT);
	store_change_list_free(cv, n);
}

static void test_rooms(void **state)
{
	struct store *st = *state;
	struct store_room r, got, *rooms;
	struct store_affiliation *af;
	enum store_affil a;
	const char *hosts[] = {"host1", NULL};
	const char *speakers[] = {"spk", NULL};
	const char *bad[] = {"nobody", NULL};
	size_t n;

	add_id(st, "host1");
	add_id(st, "spk");
	add_id(st, "owner");
	memset(&r, 0, sizeof(r));
	r.name = "Chat";
	r.title = "A chat";
	r.live = true;
	assert_int_equal(store_room_create(st, &r, "owner"), 0);
	assert_int_equal(store_room_create(st, &r, "owner"), STORE_EEXIST);
	assert_int_equal(store_room_get(st, "chat", &got), 0);
	assert_string_equal(got.name, "chat");
	assert_string_equal(got.title, "A chat");
	assert_int_equal(got.kind, STORE_ROOM_GROUP);
	store_room_clear(&got);
	assert_int_equal(store_affil_get(st, "chat", "owner", &a), 0);
	assert_int_equal(a, STORE_AFFIL_OWNER);
	assert_int_equal(store_room_set_subject(st, "chat", "Topic"), 0);
	assert_int_equal(store_room_get(st, "chat", &got), 0);
	assert_string_equal(got.subject, "Topic");
	store_room_clear(&got);

	assert_int_equal(store_room_open(st, "chat", "x", NULL, NULL),
			 STORE_EEXIST);
	assert_int_equal(store_room_open(st, "live1", "Live", bad, NULL),
			 STORE_NOTFOUND);
	assert_int_equal(store_room_get(st, "live1", &got), STORE_NOTFOUND);
	assert_int_equal(store_room_open(st, "live1", "Live", hosts, speakers),
			 0);
	assert_int_equal(store_room_get(st, "live1", &got), 0);
	assert_int_equal(got.kind, STORE_ROOM_AUDIO);
	assert_true(got.live);
	store_room_clear(&got);
	assert_int_equal(store_affil_list(st, "live1", &af, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(af[0].who, "host1");
	assert_int_equal(af[0].affil, STORE_AFFIL_HOST);
	assert_string_equal(af[1].who, "spk");
	assert_int_equal(af[1].affil, STORE_AFFIL_SPEAKER);
	store_affil_list_free(af, n);
	assert_int_equal(store_room_close(st, "live1"), 0);
	assert_int_equal(store_room_close(st, "nope"), STORE_NOTFOUND);
	assert_int_equal(store_room_get(st, "live1", &got), 0);
	assert_false(got.live);
	store_room_clear(&got);

	assert_int_equal(store_affil_set(st, "chat", "eve@x.org",
					 STORE_AFFIL_OUTCAST), 0);
	assert_int_equal(store_affil_set(st, "nope", "eve@x.org",
					 STORE_AFFIL_OUTCAST), STORE_NOTFOUND);
	assert_int_equal(store_affil_set(st, "chat", "eve@x.org",
					 STORE_AFFIL_NONE), 0);
	assert_int_equal(store_affil_get(st, "chat", "eve@x.org", &a), 0);
	assert_int_equal(a, STORE_AFFIL_NONE);

	assert_int_equal(store_room_list(st, &rooms, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rooms[0].name, "chat");
	store_room_list_free(rooms, n);
	assert_int_equal(store_room_remove(st, "chat"), 0);
	assert_int_equal(store_affil_get(st, "chat", "owner", &a), 0);
	assert_int_equal(a, STORE_AFFIL_NONE);
}

static void test_archive(void **state)
{
	struct store *st = *state;
	struct store_archive_msg m, *v;
	struct store_archive_query q;
	char id[16], text[16];
	size_t n;
	bool complete;
	int i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "id%d", i);
		snprintf(text, sizeof(text), "<m%d/>", i);
		m.stanza_id = id;
		m.nick = "nick";
		m.from = "alice";
		m.stanza = text;
		assert_int_equal(store_archive_add(st, "room", &m), 0);
		clock_advance(i % 2); /* pairs share a millisecond */
	}
	assert_int_equal(store_archive_add(st, "room", &m), STORE_EEXIST);
	m.stanza_id = "other";
	assert_int_equal(store_archive_add(st, "room2", &m), 0);

	memset(&q, 0, sizeof(q));
	q.room = "room";
	q.max = 3;
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 3);
	assert_false(complete);
	assert_string_equal(v[0].stanza_id, "id0");
	assert_string_equal(v[2].stanza_id, "id2");
	assert_string_equal(v[2].stanza, "<m2/>");
	store_archive_list_free(v, n);

	q.after_id = "id2";
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].stanza_id, "id3");
	store_archive_list_free(v, n);

	/* The last page, in time order. */
	q.after_id = NULL;
	q.last = true;
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 3);
	assert_false(complete);
	assert_string_equal(v[0].stanza_id, "id7");
	assert_string_equal(v[2].stanza_id, "id9");
	store_archive_list_free(v, n);

	q.before_id = "id7";
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].stanza_id, "id4");
	assert_string_equal(v[2].stanza_id, "id6");
	store_archive_list_free(v, n);

	/* Times: id2..id5 lie in [T0+1, T0+2]. */
	memset(&q, 0, sizeof(q));
	q.room = "room";
	q.start_ms = T0 + 1;
	q.end_ms = T0 + 2;
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 4);
	assert_true(complete);
	assert_string_equal(v[0].stanza_id, "id2");
	assert_string_equal(v[3].stanza_id, "id5");
	store_archive_list_free(v, n);

	q.start_ms = 0;
	q.end_ms = 0;
	q.after_id = "missing";
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete),
			 STORE_NOTFOUND);
}

/* Tombstones (XEP-0425 §4) and the publisher filters of a query. */
static void test_archive_tombstone(void **state)
{
	struct store *st = *state;
	struct store_archive_msg m, got, *v;
	struct store_archive_query q;
	size_t n;
	bool complete;

	memset(&m, 0, sizeof(m));
	m.stanza_id = "a";
	m.nick = "Alice";
	m.from = "alice@bc.test";
	m.stanza = "<message><body>one</body></message>";
	assert_int_equal(store_archive_add(st, "room", &m), 0);
	clock_advance(5);
	m.stanza_id = "b";
	m.nick = "Bob";
	m.from = "bob@bc.test";
	m.stanza = "<message><body>spam</body></message>";
	assert_int_equal(store_archive_add(st, "room", &m), 0);
	clock_advance(5);
	m.stanza_id = "c";
	m.nick = "Alice";
	m.from = "alice@bc.test";
	m.stanza = "<message><body>three</body></message>";
	assert_int_equal(store_archive_add(st, "room", &m), 0);

	assert_int_equal(store_archive_get(st, "room", "b", &got), 0);
	assert_string_equal(got.stanza, "<message><body>spam</body></message>");
	assert_int_equal(got.ms, T0 + 5);
	store_archive_msg_clear(&got);
	assert_int_equal(store_archive_get(st, "room", "zz", &got),
			 STORE_NOTFOUND);
	assert_int_equal(store_archive_get(st, "other", "b", &got),
			 STORE_NOTFOUND);
	store_archive_msg_clear(NULL);

	assert_int_equal(store_archive_retract(st, "room", "b",
					       "<message><retracted/></message>"),
			 0);
	assert_int_equal(store_archive_retract(st, "room", "zz", "<x/>"),
			 STORE_NOTFOUND);
	assert_int_equal(store_archive_retract(st, "room", "b", NULL),
			 STORE_EINVAL);
	/* The tombstone keeps id, time, nick, from and place. */
	assert_int_equal(store_archive_get(st, "room", "b", &got), 0);
	assert_string_equal(got.stanza, "<message><retracted/></message>");
	assert_string_equal(got.nick, "Bob");
	assert_string_equal(got.from, "bob@bc.test");
	assert_int_equal(got.ms, T0 + 5);
	store_archive_msg_clear(&got);
	memset(&q, 0, sizeof(q));
	q.room = "room";
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[1].stanza_id, "b");
	assert_string_equal(v[1].stanza, "<message><retracted/></message>");
	store_archive_list_free(v, n);
	/* Paging from the tombstone's id still works. */
	q.after_id = "b";
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].stanza_id, "c");
	store_archive_list_free(v, n);

	/* Filters: by address (any case), by nick; max counts matches. */
	memset(&q, 0, sizeof(q));
	q.room = "room";
	q.with_from = "ALICE@bc.test";
	q.max = 1;
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 1);
	assert_false(complete);
	assert_string_equal(v[0].stanza_id, "a");
	store_archive_list_free(v, n);
	q.max = 2;
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 2);
	assert_true(complete);
	assert_string_equal(v[1].stanza_id, "c");
	store_archive_list_free(v, n);
	q.last = true;
	q.max = 1;
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 1);
	assert_false(complete);
	assert_string_equal(v[0].stanza_id, "c");
	store_archive_list_free(v, n);
	memset(&q, 0, sizeof(q));
	q.room = "room";
	q.with_nick = "Bob";
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].stanza_id, "b");
	store_archive_list_free(v, n);
	q.with_nick = "bob"; /* nicks are exact */
	assert_int_equal(store_archive_query(st, &q, &v, &n, &complete), 0);
	assert_int_equal(n, 0);
	assert_true(complete);
	store_archive_list_free(v, n);
}

static void test_stats(void **state)
{
	struct store *st = *state;
	struct store_stats s;
	struct store_report r;
	bool is_new;

	add_id(st, "a");
	add_id(st, "b");
	assert_int_equal(store_link(st, "a", "a@x.org"), 0);
	assert_int_equal(store_follow(st, "a", "b"), 0);
	assert_int_equal(store_relation_set(st, "a", "b", STORE_REL_BLOCKED, 0,
					    0), 0);
	assert_int_equal(store_request_hold(st, "b", "c", "<x/>", 5, 5,
					    &is_new), 0);
	assert_int_equal(store_room_open(st, "r", "R", NULL, NULL), 0);
	memset(&r, 0, sizeof(r));
	r.reporter = "a";
	r.reported = "b";
	assert_int_equal(store_report_add(st, &r, false, NULL), 0);
	assert_int_equal(store_stats(st, &s), 0);
	assert_int_equal(s.identities, 2);
	assert_int_equal(s.links, 1);
	assert_int_equal(s.follows, 1);
	assert_int_equal(s.blocks, 1);
	assert_int_equal(s.requests, 1);
	assert_int_equal(s.held, 1);
	assert_int_equal(s.rooms, 1);
	assert_int_equal(s.live_rooms, 1);
	assert_int_equal(s.open_reports, 1);
}

/* Upkeep drops the request counters of days before yesterday. */
static void test_maintain(void **state)
{
	struct store *st = *state;
	bool is_new;
	uint64_t n;

	assert_int_equal(store_request_hold(st, "bob", "eve", "<a/>", 5, 1,
					    &is_new), 0);
	clock_advance(86400000);
	assert_int_equal(store_request_hold(st, "carol", "eve", "<a/>", 5, 1,
					    &is_new), 0);
	assert_int_equal(store_dbcount(st, NULL, STORE_DB_REQDAY, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_maintain(st), 0); /* today and yesterday */
	assert_int_equal(store_dbcount(st, NULL, STORE_DB_REQDAY, &n), 0);
	assert_int_equal(n, 2);
	clock_advance(86400000);
	assert_int_equal(store_maintain(st), 0);
	assert_int_equal(store_dbcount(st, NULL, STORE_DB_REQDAY, &n), 0);
	assert_int_equal(n, 1);
	/* Today's cap still holds after upkeep. */
	assert_int_equal(store_request_hold(st, "dave", "eve", "<a/>", 5, 1,
					    &is_new), 0);
	assert_int_equal(store_request_hold(st, "erin", "eve", "<a/>", 5, 1,
					    &is_new), STORE_ELIMIT);
}

/* Removing an identity removes its affiliations and evidence, and only
 * its own (not those of a handle it is a prefix of). */
static void test_remove_everywhere(void **state)
{
	struct store *st = *state;
	struct store_room r;
	enum store_affil af;
	char **v;

	add_id(st, "al");
	add_id(st, "alice");
	memset(&r, 0, sizeof(r));
	r.name = "room";
	assert_int_equal(store_room_create(st, &r, "al"), 0);
	assert_int_equal(store_affil_set(st, "room", "alice",
					 STORE_AFFIL_MEMBER), 0);
	r.name = "other";
	assert_int_equal(store_room_create(st, &r, "alice"), 0);
	assert_int_equal(store_affil_set(st, "other", "al",
					 STORE_AFFIL_OUTCAST), 0);
	assert_int_equal(store_evidence_add(st, "al", "bob", "1", 5, 0), 0);
	assert_int_equal(store_evidence_add(st, "bob", "al", "2", 5, 0), 0);
	assert_int_equal(store_evidence_add(st, "alice", "bob", "3", 5, 0), 0);
	assert_int_equal(store_evidence_add(st, "bob", "alice", "4", 5, 0), 0);

	assert_int_equal(store_identity_remove(st, "al"), 0);
	assert_int_equal(store_affil_get(st, "room", "al", &af), 0);
	assert_int_equal(af, STORE_AFFIL_NONE);
	assert_int_equal(store_affil_get(st, "other", "al", &af), 0);
	assert_int_equal(af, STORE_AFFIL_NONE);
	assert_int_equal(store_affil_get(st, "room", "alice", &af), 0);
	assert_int_equal(af, STORE_AFFIL_MEMBER);
	assert_int_equal(store_affil_get(st, "other", "alice", &af), 0);
	assert_int_equal(af, STORE_AFFIL_OWNER);
	assert_int_equal(store_evidence_list(st, "al", "bob", &v), 0);
	assert_int_equal(strv_len(v), 0);
	store_strv_free(v);
	assert_int_equal(store_evidence_list(st, "bob", "al", &v), 0);
	assert_int_equal(strv_len(v), 0);
	store_strv_free(v);
	assert_int_equal(store_evidence_list(st, "alice", "bob", &v), 0);
	assert_int_equal(strv_len(v), 1);
	store_strv_free(v);
	assert_int_equal(store_evidence_list(st, "bob", "alice", &v), 0);
	assert_int_equal(strv_len(v), 1);
	store_strv_free(v);
}

/* On disk: what was committed and flushed is there after reopening. */
static void test_persist(void **state)
{
	char dir[] = "/tmp/bc-store-XXXXXX";
	char cmd[64];
	struct store *st;
	struct store_identity id;
	int i;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, 0, &st), 0);
	for (i = 0; i < 50; i++) {
		memset(&id, 0, sizeof(id));
		snprintf(id.handle, sizeof(id.handle), "u%d", i);
		assert_int_equal(store_identity_add(st, &id), 0);
	}
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(store_maintain(st), 0);
	store_close(st);
	assert_int_equal(store_open(dir, 0, &st), 0);
	assert_int_equal(store_identity_get(st, "u49", &id), 0);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Two writer processes take locks in opposite orders; the detector aborts
 * one, which is retried and commits. */
struct dl_arg {
	int in, out;
	const char *key;
	enum store_dbi first, second;
	int attempts;
};

static int dl_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct dl_arg *a = arg;
	struct store_buf k, v;
	char c = 'x';
	int rc;

	a->attempts++;
	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_put(&k, a->key, strlen(a->key));
	store_buf_u8(&v, STORE_V1);
	rc = store_dbput(st, txn, a->first, &k, &v, 0);
	if (rc == 0 && a->attempts == 1) {
		/* Both hold their first lock before either asks for more. */
		if (write(a->out, &c, 1) != 1 || read(a->in, &c, 1) != 1)
			rc = EIO;
	}
	if (rc == 0)
		rc = store_dbput(st, txn, a->second, &k, &v, 0);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

static pid_t dl_writer(const char *dir, struct dl_arg *a)
{
	pid_t pid = fork();
	struct store *st;
	int rc;

	if (pid != 0)
		return pid;
	if (store_open(dir, 0, &st) != 0)
		_exit(100);
	rc = store_txn_run(st, "deadlock test", dl_body, a);
	store_flush(st);
	store_close(st);
	_exit(rc == 0 ? a->attempts : 101);
}

static void test_deadlock(void **state)
{
	char dir[] = "/tmp/bc-store-XXXXXX";
	char cmd[64];
	int p1[2], p2[2], s1, s2;
	struct dl_arg a1 = {0}, a2 = {0};
	struct store *st;
	struct store_buf k;
	unsigned char *v;
	size_t len;
	pid_t w1, w2;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, 0, &st), 0); /* creates it */
	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	a1.in = p2[0];
	a1.out = p1[1];
	a1.key = "one";
	a1.first = STORE_DB_META;
	a1.second = STORE_DB_SANCTIONS;
	a2.in = p1[0];
	a2.out = p2[1];
	a2.key = "two";
	a2.first = STORE_DB_SANCTIONS;
	a2.second = STORE_DB_META;
	w1 = dl_writer(dir, &a1);
	w2 = dl_writer(dir, &a2);
	assert_int_equal(waitpid(w1, &s1, 0), w1);
	assert_int_equal(waitpid(w2, &s2, 0), w2);
	assert_true(WIFEXITED(s1) && WIFEXITED(s2));
	/* Both committed; one of them needed a second attempt. */
	assert_true(WEXITSTATUS(s1) >= 1 && WEXITSTATUS(s1) < 100);
	assert_true(WEXITSTATUS(s2) >= 1 && WEXITSTATUS(s2) < 100);
	assert_true(WEXITSTATUS(s1) + WEXITSTATUS(s2) >= 3);

	store_buf_init(&k);
	store_buf_put(&k, "one", 3);
	assert_int_equal(store_dbget(st, NULL, STORE_DB_SANCTIONS, &k, &v, &len),
			 0);
	free(v);
	store_buf_reset(&k);
	store_buf_put(&k, "two", 3);
	assert_int_equal(store_dbget(st, NULL, STORE_DB_META, &k, &v, &len), 0);
	free(v);
	store_buf_free(&k);
	store_close(st);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A batch: calls see its writes, a failed call aborts alone, flush ends
 * it. */
static void test_batch(void **state)
{
	struct store *st = *state;
	struct store_identity id;
	char **v;

	assert_int_equal(store_batch_end(st), STORE_EINVAL);
	assert_int_equal(store_batch_begin(st), 0);
	assert_int_equal(store_batch_begin(st), STORE_EINVAL);
	assert_int_equal(store_batch_end(st), 0); /* empty */

	assert_int_equal(store_batch_begin(st), 0);
	add_id(st, "alice");
	assert_int_equal(store_identity_get(st, "alice", &id), 0);
	memset(&id, 0, sizeof(id));
	strcpy(id.handle, "alice");
	assert_int_equal(store_identity_add(st, &id), STORE_EEXIST);
	assert_int_equal(store_link(st, "alice", "a@x.org"), 0);
	assert_int_equal(store_link(st, "nobody", "b@x.org"), STORE_NOTFOUND);
	add_id(st, "bob");
	assert_int_equal(store_follow(st, "alice", "bob"), 0);
	assert_int_equal(store_following_list(st, "alice", &v), 0);
	assert_int_equal(strv_len(v), 1);
	store_strv_free(v);
	assert_non_null(st->batch); /* one transaction all along */
	assert_int_equal(store_batch_end(st), 0);
	assert_null(st->batch);
	assert_int_equal(store_identity_get(st, "bob", &id), 0);
	assert_int_equal(store_follows(st, "alice", "bob"), 0);

	/* store_flush() ends an open batch. */
	assert_int_equal(store_batch_begin(st), 0);
	add_id(st, "carol");
	assert_int_equal(store_flush(st), 0);
	assert_false(st->batch_open);
	assert_int_equal(store_batch_end(st), STORE_EINVAL);
	assert_int_equal(store_identity_get(st, "carol", &id), 0);
	assert_int_equal(st->batch_splits, 0);
}

/* One put in its own call: the calls of the batched deadlock test. */
struct bput_arg {
	const char *key;
	enum store_dbi db;
};

static int bput_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct bput_arg *a = arg;
	struct store_buf k, v;
	int rc;

	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_put(&k, a->key, strlen(a->key));
	store_buf_u8(&v, STORE_V1);
	rc = store_dbput(st, txn, a->db, &k, &v, 0);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

/* A writer with a batch of two calls in opposite database orders; it
 * exits with 10 + the number of splits, or >= 100 on failure. */
static pid_t bdl_writer(const char *dir, int in, int out, const char *key,
			enum store_dbi first, enum store_dbi second)
{
	struct bput_arg a1 = {key, first}, a2 = {key, second};
	pid_t pid = fork();
	struct store *st;
	char c = 'x';

	if (pid != 0)
		return pid;
	if (store_open(dir, 0, &st) != 0)
		_exit(100);
	if (store_batch_begin(st) != 0 ||
	    store_txn_run(st, "batch 1", bput_body, &a1) != 0)
		_exit(101);
	/* Both batches hold their first lock before either asks for more. */
	if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1)
		_exit(102);
	if (store_txn_run(st, "batch 2", bput_body, &a2) != 0)
		_exit(103);
	if (store_batch_end(st) != 0 || store_flush(st) != 0)
		_exit(104);
	c = (char)st->batch_splits;
	store_close(st);
	_exit(10 + c);
}

static void test_batch_deadlock(void **state)
{
	char dir[] = "/tmp/bc-store-XXXXXX";
	char cmd[64];
	const char *keys[] = {"one", "two"};
	enum store_dbi dbs[] = {STORE_DB_META, STORE_DB_SANCTIONS};
	int p1[2], p2[2], s1, s2, i, j;
	struct store *st;
	struct store_buf k;
	unsigned char *v;
	size_t len;
	pid_t w1, w2;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(store_open(dir, 0, &st), 0); /* creates it */
	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	w1 = bdl_writer(dir, p2[0], p1[1], "one", STORE_DB_META,
			STORE_DB_SANCTIONS);
	w2 = bdl_writer(dir, p1[0], p2[1], "two", STORE_DB_SANCTIONS,
			STORE_DB_META);
	assert_int_equal(waitpid(w1, &s1, 0), w1);
	assert_int_equal(waitpid(w2, &s2, 0), w2);
	assert_true(WIFEXITED(s1) && WIFEXITED(s2));
	assert_true(WEXITSTATUS(s1) >= 10 && WEXITSTATUS(s1) < 100);
	assert_true(WEXITSTATUS(s2) >= 10 && WEXITSTATUS(s2) < 100);
	/* Without a split each would wait for the other's batch for ever. */
	assert_true(WEXITSTATUS(s1) + WEXITSTATUS(s2) >= 21);

	/* Every write of both batches is there. */
	store_buf_init(&k);
	for (i = 0; i < 2; i++) {
		for (j = 0; j < 2; j++) {
			store_buf_reset(&k);
			store_buf_put(&k, keys[i], 3);
			assert_int_equal(store_dbget(st, NULL, dbs[j], &k, &v,
						     &len), 0);
			free(v);
		}
	}
	store_buf_free(&k);
	store_close(st);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The batch's read cache: repeated reads are answered from it, a write
 * of this process is seen at once, and nothing is kept outside a batch. */
static void test_batch_cache(void **state)
{
	struct store *st = *state;
	struct store_identity id = {.handle = "cache"};
	struct store_relation rel;
	char h[STORE_HANDLE_SIZE], **jids;
	unsigned long hits;

	assert_int_equal(store_identity_add(st, &id), 0);
	assert_int_equal(store_link(st, "cache", "c@x.test"), 0);
	/* Outside a batch: no cache. */
	assert_int_equal(store_link_get(st, "c@x.test", h), 0);
	assert_int_equal(store_link_get(st, "c@x.test", h), 0);
	assert_int_equal(st->cache_hits, 0);
	assert_int_equal(store_batch_begin(st), 0);
	assert_int_equal(store_link_get(st, "c@x.test", h), 0);
	assert_int_equal(store_link_get(st, "c@x.test", h), 0);
	assert_string_equal(h, "cache");
	assert_int_equal(st->cache_hits, 1);
	assert_int_equal(store_link_get(st, "d@x.test", h), STORE_NOTFOUND);
	assert_int_equal(store_link_list(st, "cache", &jids), 0);
	store_strv_free(jids);
	assert_int_equal(store_link_list(st, "cache", &jids), 0);
	assert_string_equal(jids[0], "c@x.test");
	assert_null(jids[1]);
	store_strv_free(jids);
	assert_int_equal(store_relation_get(st, "cache", "peer", &rel),
			 STORE_NOTFOUND);
	hits = st->cache_hits;
	/* A write drops what it may change: the next reads see it. */
	assert_int_equal(store_link(st, "cache", "d@x.test"), 0);
	assert_int_equal(store_link_get(st, "d@x.test", h), 0);
	assert_string_equal(h, "cache");
	assert_int_equal(store_link_list(st, "cache", &jids), 0);
	assert_non_null(jids[1]);
	store_strv_free(jids);
	assert_int_equal(store_relation_set(st, "cache", "peer",
					    STORE_REL_BLOCKED, 0, 0), 0);
	assert_int_equal(store_relation_get(st, "cache", "peer", &rel), 0);
	assert_true(rel.flags & STORE_REL_BLOCKED);
	assert_int_equal(st->cache_hits, hits);
	/* Evidence appends keep the cache. */
	assert_int_equal(store_relation_get(st, "cache", "peer", &rel), 0);
	assert_int_equal(store_evidence_add(st, "peer", "cache", "t", 5, 0), 0);
	assert_int_equal(store_relation_get(st, "cache", "peer", &rel), 0);
	assert_int_equal(st->cache_hits, hits + 2);
	assert_int_equal(store_batch_end(st), 0);
	assert_null(st->cache);
}

/* Savepoints: kept, they are part of the batch; undone, nothing of
 * theirs stays while the batch's other calls do; outside a batch the
 * same.  Bulk runs: undone on request, and whole after a refusal that
 * wrote nothing.  Pages walk identities and links from a key. */
static void test_savepoint_and_bulk(void **state)
{
	struct store *st = *state;
	struct store_identity id = {.handle = "sp"}, *ids;
	struct store_stats s;
	char **jids;
	size_t n;

	assert_int_equal(store_identity_add(st, &id), 0);
	id = (struct store_identity){.handle = "sq"};
	assert_int_equal(store_identity_add(st, &id), 0);
	assert_int_equal(store_batch_begin(st), 0);
	assert_int_equal(store_link(st, "sp", "a@x.test"), 0);
	assert_int_equal(store_savepoint_begin(st), 0);
	assert_int_equal(store_savepoint_begin(st), STORE_EINVAL);
	assert_int_equal(store_link(st, "sp", "b@x.test"), 0);
	assert_int_equal(store_follow(st, "sp", "sq"), 0);
	assert_int_equal(store_savepoint_end(st, false), 0);
	assert_int_equal(store_savepoint_end(st, false), STORE_EINVAL);
	assert_int_equal(store_savepoint_begin(st), 0);
	assert_int_equal(store_link(st, "sp", "c@x.test"), 0);
	assert_int_equal(store_savepoint_end(st, true), 0);
	assert_int_equal(store_batch_end(st), 0);
	assert_int_equal(store_link_list(st, "sp", &jids), 0);
	assert_string_equal(jids[0], "a@x.test");
	assert_string_equal(jids[1], "c@x.test");
	assert_null(jids[2]);
	store_strv_free(jids);
	assert_int_equal(store_follows(st, "sp", "sq"), STORE_NOTFOUND);
	/* Outside a batch. */
	assert_int_equal(store_savepoint_begin(st), 0);
	assert_int_equal(store_link(st, "sp", "d@x.test"), 0);
	assert_int_equal(store_savepoint_end(st, false), 0);
	assert_int_equal(store_savepoint_begin(st), 0);
	assert_int_equal(store_link(st, "sp", "e@x.test"), 0);
	assert_int_equal(store_savepoint_end(st, true), 0);
	assert_int_equal(store_link_page(st, "", 10, &jids), 0);
	assert_string_equal(jids[0], "a@x.test");
	assert_string_equal(jids[1], "c@x.test");
	assert_string_equal(jids[2], "e@x.test");
	assert_null(jids[3]);
	store_strv_free(jids);
	assert_int_equal(store_link_page(st, "c@x.test", 1, &jids), 0);
	assert_string_equal(jids[0], "e@x.test");
	assert_null(jids[1]);
	store_strv_free(jids);
	/* Evidence appended in an undone savepoint is undone with it (in
	 * a batch, where appends wait for its end, and outside one); kept,
	 * it stays, and what the batch appended before stays either way. */
	{
		struct store_evidence *ev = NULL;
		size_t k = 0;

		assert_int_equal(store_batch_begin(st), 0);
		assert_int_equal(store_evidence_add(st, "sq", "sp", "before",
						    10, 0),
				 0);
		assert_int_equal(store_savepoint_begin(st), 0);
		assert_int_equal(store_evidence_add(st, "sq", "sp", "undone",
						    10, 0),
				 0);
		assert_int_equal(store_savepoint_end(st, false), 0);
		assert_int_equal(store_savepoint_begin(st), 0);
		assert_int_equal(store_evidence_add(st, "sq", "sp", "kept",
						    10, 0),
				 0);
		assert_int_equal(store_savepoint_end(st, true), 0);
		assert_int_equal(store_batch_end(st), 0);
		assert_int_equal(store_savepoint_begin(st), 0);
		assert_int_equal(store_evidence_add(st, "sq", "sp",
						    "undone too", 10, 0),
				 0);
		assert_int_equal(store_savepoint_end(st, false), 0);
		assert_int_equal(
			store_evidence_list_pair(st, "sq", "sp", &ev, &k), 0);
		assert_int_equal(k, 2);
		assert_string_equal(ev[0].text, "before");
		assert_string_equal(ev[1].text, "kept");
		store_evidence_list_free(ev, k);
	}
	assert_int_equal(store_link_page(st, "e@x.test", 5, &jids), 0);
	assert_null(jids[0]);
	store_strv_free(jids);

	/* Bulk. */
	assert_int_equal(store_bulk_begin(st), 0);
	assert_int_equal(store_batch_begin(st), STORE_EINVAL);
	id = (struct store_identity){.handle = "b1"};
	assert_int_equal(store_identity_add(st, &id), 0);
	assert_int_equal(store_bulk_end(st, false), 0);
	assert_int_equal(store_identity_get(st, "b1", &id), STORE_NOTFOUND);
	assert_int_equal(store_bulk_begin(st), 0);
	id = (struct store_identity){.handle = "b2"};
	assert_int_equal(store_identity_add(st, &id), 0);
	/* A refusal before writing leaves the run whole. */
	assert_int_equal(store_follow(st, "b2", "nobody"), STORE_NOTFOUND);
	id = (struct store_identity){.handle = "b3"};
	assert_int_equal(store_identity_add(st, &id), 0);
	assert_int_equal(store_bulk_end(st, true), 0);
	assert_int_equal(store_identity_page(st, "", 10, &ids, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(ids[0].handle, "b2");
	assert_string_equal(ids[2].handle, "sp");
	assert_string_equal(ids[3].handle, "sq");
	free(ids);
	assert_int_equal(store_identity_page(st, "b2", 1, &ids, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(ids[0].handle, "b3");
	free(ids);
	assert_int_equal(store_stats(st, &s), 0);
	assert_int_equal(s.identities, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_norm),
		cmocka_unit_test_setup_teardown(test_identities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscriptions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_relations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evidence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lazy_flush, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_evidence_batched, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_moderation, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_report_forms, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_report_remove, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rooms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_archive_tombstone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_maintain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_everywhere, setup,
						teardown),
		cmocka_unit_test(test_persist),
		cmocka_unit_test(test_deadlock),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_savepoint_and_bulk, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_batch_cache, setup,
						teardown),
		cmocka_unit_test(test_batch_deadlock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
