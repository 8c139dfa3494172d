/*
 * test_codec.c - the stored value formats against golden fixture files.
 *
 * tests/store/fixtures/NAME-vN.bin holds one value (the bytes after the
 * key) exactly as the store writes it for a known record: the format
 * version byte N, then the fields of docs/STORE.md.  For each fixture:
 *
 * - layout: the bytes are the fields the format lists, with the known
 *   record's values, and nothing after them;
 * - decode: the fixture, put as is under its key, reads back through the
 *   public API with every field the API returns;
 * - encode: the known record, written through the public API with the
 *   clock pinned, is stored as exactly the fixture's bytes;
 * - bad input: the same value with an unknown version byte, or cut short
 *   anywhere the store reads it, is refused with STORE_EFORMAT.
 *
 * The fixtures of a version are never rewritten: a new format version adds
 * new files beside them, and old ones must still decode.  For a new
 * version (or a new database), "test_codec --regenerate DIR" writes into
 * DIR the fixtures that are missing there, from the known records below;
 * it never overwrites a file.  "make check" never regenerates.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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
#include "store/store-int.h"

#ifndef FIXTURE_DIR
#error "FIXTURE_DIR must name tests/store/fixtures"
#endif

/* clang-format off */

/* The known records.  Every number differs from its neighbours so that a
 * field read from the wrong place cannot pass. */
#define T0 1790000000000LL /* 2026-09-21T14:13:20Z */
#define DAY_MS 86400000LL
#define WEEK_MS (7 * DAY_MS)
#define NAME "Alice Liddell"
#define JID "alice@example.org"
#define OUTSIDER "carol@outside.example"
#define TOKEN "0123456789abcdef0123456789abcdef"
#define STANZA1 "<message to='bob@bc.example.org' type='chat'><body>hi bob" \
		"</body></message>"
#define STANZA2 "<message to='bob@bc.example.org' type='chat'><body>still" \
		" there?</body></message>"
#define ROOM "lobby"
#define TITLE "The Lobby"
#define SUBJECT "Welcome, all"
#define ARCHIVED "<message type='groupchat'><body>hello room</body>" \
		 "</message>"
#define EVIDENCE "you again?"
#define DESC "Where we meet"
#define OCC_JID "alice@example.org/pc"
#define SECRET_HEX "000102030405060708090a0b0c0d0e0f" \
		   "101112131415161718191a1b1c1d1e1f"
#define REASON "urn:xmpp:reporting:abuse"

/* clang-format on */

/* A field of a value's layout, in order; the version byte comes first. */
enum field_kind { F_END, F_U8, F_BE32, F_BE64, F_STR };

struct field {
	enum field_kind kind;
	uint64_t n;    /* F_U8, F_BE32, F_BE64 */
	const char *s; /* F_STR */
};

/* clang-format off */
#define U8(v) {F_U8, (uint64_t)(v), NULL}
#define BE32(v) {F_BE32, (uint64_t)(v), NULL}
#define BE64(v) {F_BE64, (uint64_t)(v), NULL}
#define STR(v) {F_STR, 0, (v)}
#define END {F_END, 0, NULL}
/* clang-format on */

/* Reads every value of a case through the public API: returns its result;
 * with check, the result must be 0 and every field the known one. */
typedef int (*read_fn)(struct store *st, bool check);

struct codec_case {
	const char *name; /* the fixture is NAME-v1.bin */
	enum store_dbi db;
	void (*key)(struct store_buf *k); /* where the value lives */
	/* The key ends in a tie-breaker (be32), which a store handle starts
	 * at a number of its own: the written value is found under the key's
	 * other bytes, and a fixture is put with the tie-breaker 1. */
	bool seq_key;
	void (*write)(struct store *st); /* the known record, through the API */
	read_fn read;			 /* NULL: the store never reads it */
	/* How many leading bytes the reader needs: any shorter value must be
	 * refused.  0 means all of them. */
	size_t read_len;
	/* A value cut to exactly this many bytes is the layout from before
	 * optional trailing fields were added, and is read (0: none). */
	size_t opt_len;
	const struct field *layout;
};

/* Raw access: one value put or got as is, in a transaction of its own. */

struct raw_arg {
	enum store_dbi db;
	const struct store_buf *key;
	const unsigned char *p;
	size_t len;
	unsigned char *out;
	size_t out_len;
};

static int raw_put_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct raw_arg *a = arg;
	struct store_buf v;
	int rc;

	store_buf_init(&v);
	store_buf_put(&v, a->p, a->len);
	rc = store_dbput(st, txn, a->db, a->key, &v, 0);
	store_buf_free(&v);
	return rc;
}

static void raw_put(struct store *st, const struct codec_case *c,
		    const unsigned char *p, size_t len)
{
	struct store_buf k;
	struct raw_arg a;

	store_buf_init(&k);
	c->key(&k);
	memset(&a, 0, sizeof(a));
	a.db = c->db;
	a.key = &k;
	a.p = p;
	a.len = len;
	assert_int_equal(store_txn_run(st, "put raw value", raw_put_body, &a),
			 0);
	store_buf_free(&k);
}

static int raw_get_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct raw_arg *a = arg;

	free(a->out);
	a->out = NULL;
	return store_dbget(st, txn, a->db, a->key, &a->out, &a->out_len);
}

static int raw_first(DBC *c, const DBT *key, const DBT *val, void *arg)
{
	struct raw_arg *a = arg;

	a->out = xmalloc(val->size);
	memcpy(a->out, val->data, val->size);
	a->out_len = val->size;
	return 1; /* stop */
}

/* The first value whose key starts with the prefix a->key. */
static int raw_prefix_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct raw_arg *a = arg;

	free(a->out);
	a->out = NULL;
	return store_dbwalk(st, txn, a->db, a->key->p, a->key->len, 0,
			    raw_first, a);
}

/* The value stored under the case's key (malloc'd), or NULL. */
static unsigned char *raw_get(struct store *st, const struct codec_case *c,
			      size_t *len)
{
	struct store_buf k;
	struct raw_arg a;
	int rc;

	store_buf_init(&k);
	c->key(&k);
	memset(&a, 0, sizeof(a));
	a.db = c->db;
	a.key = &k;
	if (c->seq_key) {
		k.len -= 4;
		rc = store_txn_run(st, "get raw value", raw_prefix_body, &a);
		if (rc == 0 && a.out == NULL)
			rc = STORE_NOTFOUND;
	} else {
		rc = store_txn_run(st, "get raw value", raw_get_body, &a);
	}
	store_buf_free(&k);
	if (rc != 0) {
		free(a.out);
		return NULL;
	}
	*len = a.out_len;
	return a.out;
}

static struct store *fresh_store(void)
{
	struct store *st;

	assert_int_equal(store_open(NULL, STORE_IN_MEMORY, &st), 0);
	return st;
}

/* Keys. */

static void key_str(struct store_buf *k, const char *s)
{
	store_buf_put(k, s, strlen(s));
}

static void key_pair(struct store_buf *k, const char *a, const char *b)
{
	store_buf_key(k, a);
	key_str(k, b);
}

/* (time, seq) keys: the first tie-breaker of a fresh handle is 1. */
static void key_time(struct store_buf *k, int64_t ms, uint32_t seq)
{
	store_buf_be64(k, (uint64_t)ms);
	store_buf_be32(k, seq);
}

static void identity_key(struct store_buf *k)
{
	key_str(k, "alice");
}

static void link_key(struct store_buf *k)
{
	key_str(k, JID);
}

static void token_key(struct store_buf *k)
{
	key_str(k, TOKEN);
}

static void follow_key(struct store_buf *k)
{
	key_pair(k, "alice", "bob");
}

static void sub_key(struct store_buf *k)
{
	key_pair(k, "alice", OUTSIDER);
}

static void relation_key(struct store_buf *k)
{
	key_pair(k, "alice", "bob");
}

static void request_key(struct store_buf *k)
{
	key_pair(k, "bob", "alice");
}

static void held_key(struct store_buf *k)
{
	key_pair(k, "bob", "alice");
	store_buf_u8(k, 0);
	key_time(k, T0, 1);
}

static void reqday_key(struct store_buf *k)
{
	store_buf_key(k, "alice");
	store_buf_be32(k, (uint32_t)(T0 / DAY_MS));
}

static void evidence_key(struct store_buf *k)
{
	key_pair(k, "alice", "bob");
	store_buf_u8(k, 0);
	key_time(k, T0, 1);
}

static void room_key(struct store_buf *k)
{
	key_str(k, ROOM);
}

static void affil_key(struct store_buf *k)
{
	key_pair(k, ROOM, "alice");
}

static void archive_key(struct store_buf *k)
{
	store_buf_key(k, ROOM);
	key_time(k, T0, 1);
}

static void room_config_key(struct store_buf *k)
{
	key_str(k, ROOM);
}

static void occupant_key(struct store_buf *k)
{
	key_pair(k, ROOM, OCC_JID);
}

static void room_secret_key(struct store_buf *k)
{
	key_str(k, "room-secret");
}

static void report_key(struct store_buf *k)
{
	store_buf_be64(k, 1);
}

static void sanction_key(struct store_buf *k)
{
	key_str(k, "alice");
}

static void report_id_key(struct store_buf *k)
{
	key_str(k, "report-id");
}

/* The known records, written through the public API at T0. */

static void add_identity(struct store *st, const char *handle, const char *name,
			 bool bot, enum store_who who)
{
	struct store_identity id;

	memset(&id, 0, sizeof(id));
	snprintf(id.handle, sizeof(id.handle), "%s", handle);
	snprintf(id.name, sizeof(id.name), "%s", name);
	id.bot = bot;
	id.who = who;
	assert_int_equal(store_identity_add(st, &id), 0);
}

static void write_identity(struct store *st)
{
	/* Upper case on input: stored lower-cased. */
	add_identity(st, "Alice", NAME, true, STORE_WHO_NOBODY_NEW);
}

static void write_link(struct store *st)
{
	add_identity(st, "alice", NAME, false, STORE_WHO_FOLLOWS);
	assert_int_equal(store_link(st, "alice", "Alice@Example.ORG/phone"), 0);
}

static void write_token(struct store *st)
{
	/* A token issued at T0 for a day and redeemed is stored as the same
	 * bytes as the one a load writes: both are checked. */
	struct store_token t;
	char fresh[STORE_TOKEN_SIZE];
	struct codec_case c;
	unsigned char *v1, *v2;
	size_t n1, n2;

	add_identity(st, "alice", NAME, false, STORE_WHO_FOLLOWS);
	memset(&t, 0, sizeof(t));
	snprintf(t.token, sizeof(t.token), "%s", TOKEN);
	snprintf(t.handle, sizeof(t.handle), "%s", "alice");
	t.created_ms = T0;
	t.expires_ms = T0 + DAY_MS;
	t.used = true;
	t.used_by = JID;
	assert_int_equal(store_token_put(st, &t), 0);

	assert_int_equal(store_token_new(st, "alice", DAY_MS, fresh), 0);
	assert_int_equal(store_token_claim(st, "alice", fresh, JID), 0);
	memset(&c, 0, sizeof(c));
	c.db = STORE_DB_TOKENS;
	c.key = token_key;
	v1 = raw_get(st, &c, &n1);
	assert_non_null(v1);
	{
		struct store_buf k;
		struct raw_arg a;

		store_buf_init(&k);
		key_str(&k, fresh);
		memset(&a, 0, sizeof(a));
		a.db = STORE_DB_TOKENS;
		a.key = &k;
		assert_int_equal(store_txn_run(st, "get", raw_get_body, &a), 0);
		v2 = a.out;
		n2 = a.out_len;
		store_buf_free(&k);
	}
	assert_int_equal(n1, n2);
	assert_memory_equal(v1, v2, n1);
	free(v1);
	free(v2);
}

static void write_follow(struct store *st)
{
	add_identity(st, "alice", NAME, false, STORE_WHO_FOLLOWS);
	add_identity(st, "bob", "Bob", false, STORE_WHO_FOLLOWS);
	assert_int_equal(store_follow(st, "Alice", "BOB"), 0);
}

static void write_sub(struct store *st)
{
	add_identity(st, "alice", NAME, false, STORE_WHO_FOLLOWS);
	assert_int_equal(store_sub_add(st, "alice", "Carol@Outside.example/x"),
			 0);
}

static void write_relation(struct store *st)
{
	struct store_relation rel = {
		.flags = STORE_REL_DECLINED | STORE_REL_BLOCKED,
		.declined_until_ms = T0 + WEEK_MS,
		.updated_ms = T0,
	};
	struct store *other;
	struct codec_case c;
	unsigned char *v1, *v2;
	size_t n1, n2;

	/* What the daemon writes ... */
	assert_int_equal(store_relation_set(st, "alice", "bob",
					    STORE_REL_DECLINED |
						    STORE_REL_BLOCKED,
					    0, T0 + WEEK_MS),
			 0);
	/* ... and what a load writes are the same bytes. */
	other = fresh_store();
	assert_int_equal(store_relation_put(other, "Alice", "Bob", &rel), 0);
	memset(&c, 0, sizeof(c));
	c.db = STORE_DB_RELATIONS;
	c.key = relation_key;
	v1 = raw_get(st, &c, &n1);
	v2 = raw_get(other, &c, &n2);
	assert_non_null(v1);
	assert_non_null(v2);
	assert_int_equal(n1, n2);
	assert_memory_equal(v1, v2, n1);
	free(v1);
	free(v2);
	store_close(other);
}

/* Two messages held for bob from alice, 5 ms apart: the request, the
 * first held message and alice's count of new requests that day. */
static void write_request(struct store *st)
{
	bool is_new;

	assert_int_equal(store_request_hold(st, "Bob", "Alice", STANZA1, 10,
					    10, &is_new),
			 0);
	assert_true(is_new);
	clock_advance(5);
	assert_int_equal(store_request_hold(st, "bob", "alice", STANZA2, 10,
					    10, &is_new),
			 0);
	assert_false(is_new);
}

static void write_evidence(struct store *st)
{
	assert_int_equal(store_evidence_add(st, "alice", "bob", EVIDENCE, 10,
					    WEEK_MS),
			 0);
}

static void write_room(struct store *st)
{
	struct store_room r = {
		.name = "Lobby",
		.title = TITLE,
		.subject = SUBJECT,
		.kind = STORE_ROOM_AUDIO,
		.live = true,
	};

	assert_int_equal(store_room_create(st, &r, NULL), 0);
}

static void write_affil(struct store *st)
{
	write_room(st);
	assert_int_equal(store_affil_set(st, ROOM, "Alice", STORE_AFFIL_HOST),
			 0);
}

static void write_archive(struct store *st)
{
	struct store_archive_msg m = {
		.stanza_id = "msg-1",
		.nick = "Alice",
		.from = "alice",
		.stanza = ARCHIVED,
	};

	write_room(st);
	assert_int_equal(store_archive_add(st, ROOM, &m), 0);
}

static const struct store_room_config known_config = {
	.flags = STORE_ROOMCFG_MEMBERS_ONLY | STORE_ROOMCFG_PERSISTENT |
		 STORE_ROOMCFG_WHOIS_ANYONE,
	.max_occupants = 1000,
	.history_max = 20,
	.broadcast = 0x0e,
	.allow_pm = 1,
	.description = (char *)DESC,
	.subject_by = (char *)"Alice",
	.subject_ms = T0 + 1000,
};

static void write_room_config(struct store *st)
{
	write_room(st);
	assert_int_equal(store_room_config_put(st, ROOM, &known_config), 0);
}

static void write_occupant(struct store *st)
{
	struct store_occupant o = {
		.room = (char *)ROOM,
		.jid = (char *)OCC_JID,
		.nick = (char *)"Alice",
		.who = (char *)"alice",
		.role = 2,
	};

	write_room(st);
	assert_int_equal(store_occupant_put(st, &o), 0);
}

static void known_secret(unsigned char *s)
{
	int i;

	for (i = 0; i < STORE_ROOM_SECRET_SIZE; i++)
		s[i] = (unsigned char)i;
}

static void write_room_secret(struct store *st)
{
	unsigned char s[STORE_ROOM_SECRET_SIZE];

	known_secret(s);
	assert_int_equal(store_room_secret_put(st, s), 0);
}

/* alice's message to bob is logged; bob reports alice at T0 with one
 * message of his own as evidence, and the report is resolved a minute
 * later.  Also sets the last report id (meta). */
static void write_report(struct store *st)
{
	char *given[] = {"see her profile", NULL};
	struct store_report r = {
		.reporter = "bob",
		.reported = "alice",
		.reason = REASON,
		.text = "threats",
		.evidence = given,
	};
	uint64_t id;

	write_evidence(st);
	assert_int_equal(store_report_add(st, &r, true, &id), 0);
	assert_int_equal(id, 1);
	clock_advance(60000);
	assert_int_equal(store_report_resolve(st, 1), 0);
}

/* The same report resolved by a moderator a minute later: suspend for a
 * week, with a note (the optional trailing fields). */
static void write_report_resolved(struct store *st)
{
	char *given[] = {"see her profile", NULL};
	struct store_report r = {
		.reporter = "bob",
		.reported = "alice",
		.reason = REASON,
		.text = "threats",
		.evidence = given,
	};
	struct store_resolution res = {STORE_OUTCOME_SUSPEND, "spam again",
				       "mod@example.org", T0 + WEEK_MS, false,
				       NULL};
	uint64_t id;

	write_evidence(st);
	assert_int_equal(store_report_add(st, &r, true, &id), 0);
	clock_advance(60000);
	assert_int_equal(store_report_settle(st, id, &res, NULL), 0);
}

/* alice restricted at T0 by three reporters, then suspended for a week. */
static void write_sanction(struct store *st)
{
	static const char *const by[] = {"bob", "dave", "erin"};
	struct store_report r = {.reported = "alice", .reason = REASON};
	bool restricted;
	size_t i;

	for (i = 0; i < 3; i++) {
		r.reporter = (char *)by[i];
		assert_int_equal(store_report_add(st, &r, false, NULL), 0);
	}
	assert_int_equal(store_report_offender(st, "alice", NULL, T0 - DAY_MS, 3,
					       &restricted), 0);
	assert_true(restricted);
	assert_int_equal(store_sanction_suspend(st, "Alice", T0 + WEEK_MS,
						"cool off"), 0);
}

/* Reading them back. */

static int read_identity(struct store *st, bool check)
{
	struct store_identity id, *list;
	size_t n;
	int rc;

	rc = store_identity_get(st, "alice", &id);
	if (!check)
		return rc;
	assert_int_equal(rc, 0);
	assert_string_equal(id.handle, "alice");
	assert_string_equal(id.name, NAME);
	assert_true(id.bot);
	assert_int_equal(id.who, STORE_WHO_NOBODY_NEW);
	assert_int_equal(id.created_ms, T0);
	assert_int_equal(store_identity_list(st, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].handle, "alice");
	assert_string_equal(list[0].name, NAME);
	assert_true(list[0].bot);
	assert_int_equal(list[0].who, STORE_WHO_NOBODY_NEW);
	assert_int_equal(list[0].created_ms, T0);
	free(list);
	/* The setting is read where requests are decided, too. */
	assert_int_equal(store_knows(st, "alice", "bob"), STORE_NOTFOUND);
	return 0;
}

static int read_link(struct store *st, bool check)
{
	char handle[STORE_HANDLE_SIZE];
	char **jids;
	int rc;

	rc = store_link_get(st, "Alice@example.org/laptop", handle);
	if (!check)
		return rc;
	assert_int_equal(rc, 0);
	assert_string_equal(handle, "alice");
	/* The index of links by handle is derived from the value. */
	assert_int_equal(store_link_list(st, "alice", &jids), 0);
	assert_non_null(jids[0]);
	assert_string_equal(jids[0], JID);
	assert_null(jids[1]);
	store_strv_free(jids);
	return 0;
}

static int read_token(struct store *st, bool check)
{
	struct store_token *t;
	size_t n;
	int rc;

	rc = store_token_list(st, &t, &n);
	if (!check) {
		if (rc == 0)
			store_token_list_free(t, n);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	assert_string_equal(t[0].token, TOKEN);
	assert_string_equal(t[0].handle, "alice");
	assert_int_equal(t[0].created_ms, T0);
	assert_int_equal(t[0].expires_ms, T0 + DAY_MS);
	assert_true(t[0].used);
	assert_string_equal(t[0].used_by, JID);
	store_token_list_free(t, n);
	/* Redeeming reads it as used. */
	assert_int_equal(store_token_claim(st, "alice", TOKEN, JID),
			 STORE_TOKEN_USED);
	return 0;
}

static int read_relation(struct store *st, bool check)
{
	struct store_relation rel;
	struct store_relation_entry *all;
	char **blocked;
	size_t n;
	int rc;

	rc = store_relation_get(st, "alice", "bob", &rel);
	if (!check)
		return rc;
	assert_int_equal(rc, 0);
	assert_int_equal(rel.flags, STORE_REL_DECLINED | STORE_REL_BLOCKED);
	assert_int_equal(rel.declined_until_ms, T0 + WEEK_MS);
	assert_int_equal(rel.updated_ms, T0);
	assert_int_equal(store_relation_list_all(st, &all, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(all[0].owner, "alice");
	assert_string_equal(all[0].peer, "bob");
	assert_int_equal(all[0].rel.flags, rel.flags);
	assert_int_equal(all[0].rel.declined_until_ms, T0 + WEEK_MS);
	assert_int_equal(all[0].rel.updated_ms, T0);
	store_relation_list_free(all, n);
	assert_int_equal(store_blocked_list(st, "alice", &blocked), 0);
	assert_non_null(blocked[0]);
	assert_string_equal(blocked[0], "bob");
	assert_null(blocked[1]);
	store_strv_free(blocked);
	return 0;
}

static int read_request(struct store *st, bool check)
{
	struct store_request q, *list;
	size_t n;
	int rc;

	rc = store_request_get(st, "bob", "alice", &q);
	if (!check) {
		store_request_clear(&q);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(q.sender, "alice");
	assert_int_equal(q.created_ms, T0);
	assert_int_equal(q.updated_ms, T0 + 5);
	assert_int_equal(q.held, 2);
	store_request_clear(&q);
	assert_int_equal(store_request_list(st, "bob", &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].sender, "alice");
	assert_int_equal(list[0].created_ms, T0);
	assert_int_equal(list[0].updated_ms, T0 + 5);
	assert_int_equal(list[0].held, 2);
	store_request_list_free(list, n);
	return 0;
}

static int read_held(struct store *st, bool check)
{
	struct store_held *h;
	size_t n;
	int rc;

	rc = store_held_list(st, "bob", "alice", &h, &n);
	if (!check) {
		if (rc == 0)
			store_held_list_free(h, n);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	assert_int_equal(h[0].received_ms, T0);
	assert_string_equal(h[0].stanza, STANZA1);
	store_held_list_free(h, n);
	return 0;
}

/* The count is read when alice makes a new request the same day: with a
 * cap of 1 she has made hers, with a cap of 2 she may make one more. */
static int read_reqday(struct store *st, bool check)
{
	struct codec_case c;
	unsigned char *v;
	bool is_new;
	size_t n;
	int rc;

	rc = store_request_hold(st, "dave", "alice", STANZA1, 10, 1, &is_new);
	if (!check)
		return rc;
	assert_int_equal(rc, STORE_ELIMIT);
	assert_int_equal(store_request_hold(st, "dave", "alice", STANZA1, 10,
					    2, &is_new),
			 0);
	assert_true(is_new);
	memset(&c, 0, sizeof(c));
	c.db = STORE_DB_REQDAY;
	c.key = reqday_key;
	v = raw_get(st, &c, &n);
	assert_non_null(v);
	assert_int_equal(n, 5);
	assert_int_equal(v[4], 2);
	free(v);
	return 0;
}

static int read_evidence(struct store *st, bool check)
{
	struct store_evidence *all;
	char **texts;
	size_t n;
	int rc;

	rc = store_evidence_list_all(st, &all, &n);
	if (!check) {
		if (rc == 0)
			store_evidence_list_free(all, n);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	assert_string_equal(all[0].sender, "alice");
	assert_string_equal(all[0].recipient, "bob");
	assert_int_equal(all[0].ms, T0);
	assert_string_equal(all[0].text, EVIDENCE);
	store_evidence_list_free(all, n);
	assert_int_equal(store_evidence_list(st, "alice", "bob", &texts), 0);
	assert_non_null(texts[0]);
	assert_string_equal(texts[0], EVIDENCE);
	assert_null(texts[1]);
	store_strv_free(texts);
	return 0;
}

static int read_room(struct store *st, bool check)
{
	struct store_room r, *list;
	size_t n;
	int rc;

	rc = store_room_get(st, ROOM, &r);
	if (!check) {
		store_room_clear(&r);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(r.name, ROOM);
	assert_string_equal(r.title, TITLE);
	assert_string_equal(r.subject, SUBJECT);
	assert_int_equal(r.kind, STORE_ROOM_AUDIO);
	assert_true(r.live);
	assert_int_equal(r.created_ms, T0);
	store_room_clear(&r);
	assert_int_equal(store_room_list(st, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].name, ROOM);
	assert_string_equal(list[0].title, TITLE);
	assert_string_equal(list[0].subject, SUBJECT);
	assert_int_equal(list[0].kind, STORE_ROOM_AUDIO);
	assert_true(list[0].live);
	assert_int_equal(list[0].created_ms, T0);
	store_room_list_free(list, n);
	return 0;
}

static int read_affil(struct store *st, bool check)
{
	struct store_affiliation *list;
	enum store_affil a;
	size_t n;
	int rc;

	rc = store_affil_get(st, ROOM, "alice", &a);
	if (!check)
		return rc;
	assert_int_equal(rc, 0);
	assert_int_equal(a, STORE_AFFIL_HOST);
	assert_int_equal(store_affil_list(st, ROOM, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].who, "alice");
	assert_int_equal(list[0].affil, STORE_AFFIL_HOST);
	store_affil_list_free(list, n);
	return 0;
}

static int read_archive(struct store *st, bool check)
{
	struct store_archive_query q = {.room = ROOM};
	struct store_archive_msg *m;
	size_t n;
	bool complete;
	int rc;

	rc = store_archive_query(st, &q, &m, &n, &complete);
	if (!check) {
		if (rc == 0)
			store_archive_list_free(m, n);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	assert_true(complete);
	assert_string_equal(m[0].stanza_id, "msg-1");
	assert_int_equal(m[0].ms, T0);
	assert_int_equal(m[0].seq, 1);
	assert_string_equal(m[0].nick, "Alice");
	assert_string_equal(m[0].from, "alice");
	assert_string_equal(m[0].stanza, ARCHIVED);
	store_archive_list_free(m, n);
	/* The index of stanza ids is derived from the value. */
	q.before_id = "msg-1";
	assert_int_equal(store_archive_query(st, &q, &m, &n, &complete), 0);
	assert_int_equal(n, 0);
	store_archive_list_free(m, n);
	return 0;
}

static int read_room_config(struct store *st, bool check)
{
	struct store_room_config c;
	int rc;

	rc = store_room_config_get(st, ROOM, &c);
	if (!check) {
		store_room_config_clear(&c);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(c.flags, known_config.flags);
	assert_int_equal(c.max_occupants, 1000);
	assert_int_equal(c.history_max, 20);
	assert_int_equal(c.broadcast, 0x0e);
	assert_int_equal(c.allow_pm, 1);
	assert_string_equal(c.description, DESC);
	assert_string_equal(c.subject_by, "Alice");
	assert_int_equal(c.subject_ms, T0 + 1000);
	store_room_config_clear(&c);
	return 0;
}

static int read_occupant(struct store *st, bool check)
{
	struct store_occupant *v;
	size_t n;
	int rc;

	rc = store_occupant_list(st, ROOM, &v, &n);
	if (!check) {
		store_occupant_list_free(v, n);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].room, ROOM);
	assert_string_equal(v[0].jid, OCC_JID);
	assert_string_equal(v[0].nick, "Alice");
	assert_string_equal(v[0].who, "alice");
	assert_int_equal(v[0].role, 2);
	assert_int_equal(v[0].joined_ms, T0);
	store_occupant_list_free(v, n);
	return 0;
}

static int read_room_secret(struct store *st, bool check)
{
	unsigned char s[STORE_ROOM_SECRET_SIZE], want[STORE_ROOM_SECRET_SIZE];
	int rc;

	rc = store_room_secret(st, s);
	if (!check)
		return rc;
	assert_int_equal(rc, 0);
	known_secret(want);
	assert_memory_equal(s, want, sizeof(s));
	return 0;
}

static int read_report(struct store *st, bool check)
{
	struct store_report r, *list;
	size_t n;
	int rc;

	rc = store_report_get(st, 1, &r);
	if (!check) {
		store_report_clear(&r);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(r.id, 1);
	assert_string_equal(r.reporter, "bob");
	assert_string_equal(r.reported, "alice");
	assert_string_equal(r.reason, REASON);
	assert_string_equal(r.text, "threats");
	assert_int_equal(r.created_ms, T0);
	assert_int_equal(r.resolved_ms, T0 + 60000);
	assert_int_equal(r.state, STORE_REPORT_RESOLVED);
	assert_non_null(r.evidence);
	assert_non_null(r.evidence[0]);
	assert_string_equal(r.evidence[0], "see her profile");
	assert_non_null(r.evidence[1]);
	assert_string_equal(r.evidence[1], EVIDENCE);
	assert_null(r.evidence[2]);
	store_report_clear(&r);
	assert_int_equal(store_report_list(st, false, &list, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, 1);
	assert_int_equal(list[0].state, STORE_REPORT_RESOLVED);
	store_report_list_free(list, n);
	assert_int_equal(store_report_list(st, true, &list, &n), 0);
	assert_int_equal(n, 0);
	store_report_list_free(list, n);
	return 0;
}

static int read_report_resolved(struct store *st, bool check)
{
	struct store_report r;
	int rc;

	rc = store_report_get(st, 1, &r);
	if (!check) {
		store_report_clear(&r);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(r.reporter, "bob");
	assert_string_equal(r.text, "threats");
	assert_int_equal(r.state, STORE_REPORT_RESOLVED);
	assert_int_equal(r.resolved_ms, T0 + 60000);
	assert_int_equal(r.outcome, STORE_OUTCOME_SUSPEND);
	assert_string_equal(r.note, "spam again");
	assert_string_equal(r.resolved_by, "mod@example.org");
	assert_int_equal(r.until_ms, T0 + WEEK_MS);
	assert_string_equal(r.evidence[1], EVIDENCE);
	store_report_clear(&r);
	return 0;
}

static int read_sanction(struct store *st, bool check)
{
	struct store_sanction s;
	int rc;

	rc = store_sanction_get(st, "alice", &s);
	if (!check) {
		store_sanction_clear(&s);
		return rc;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(s.node, "alice");
	assert_int_equal(s.until_ms, T0 + WEEK_MS);
	assert_string_equal(s.note, "cool off");
	assert_true(s.restricted);
	assert_int_equal(s.restricted_ms, T0);
	store_sanction_clear(&s);
	return 0;
}

/* The last id is read when a report is added: the next one is 2. */
static int read_report_id(struct store *st, bool check)
{
	struct store_report r = {
		.reporter = "dave",
		.reported = "erin",
		.reason = REASON,
	};
	uint64_t id;
	int rc;

	rc = store_report_add(st, &r, false, &id);
	if (!check)
		return rc;
	assert_int_equal(rc, 0);
	assert_int_equal(id, 2);
	return 0;
}

/* The layouts (docs/STORE.md, "Databases"). */

/* clang-format off */

static const struct field identity_v1[] = {
	U8(1), STR(NAME), U8(1), U8(STORE_WHO_NOBODY_NEW), BE64(T0), END,
};
static const struct field link_v1[] = {
	U8(1), STR("alice"), BE64(T0), END,
};
static const struct field token_v1[] = {
	U8(1), STR("alice"), BE64(T0), BE64(T0 + DAY_MS), U8(1), STR(JID), END,
};
static const struct field follow_v1[] = {
	U8(1), BE64(T0), END,
};
static const struct field sub_v1[] = {
	U8(1), BE64(T0), END,
};
static const struct field relation_v1[] = {
	U8(1), U8(STORE_REL_DECLINED | STORE_REL_BLOCKED), BE64(T0 + WEEK_MS),
	BE64(T0), END,
};
static const struct field request_v1[] = {
	U8(1), BE64(T0), BE64(T0 + 5), BE32(2), END,
};
static const struct field held_v1[] = {
	U8(1), BE64(T0), STR(STANZA1), END,
};
static const struct field reqday_v1[] = {
	U8(1), BE32(1), END,
};
static const struct field evidence_v1[] = {
	U8(1), BE64(T0), STR(EVIDENCE), END,
};
static const struct field room_v1[] = {
	U8(1), STR(TITLE), STR(SUBJECT), U8(STORE_ROOM_AUDIO), U8(1),
	BE64(T0), END,
};
static const struct field affil_v1[] = {
	U8(1), U8(STORE_AFFIL_HOST), END,
};
static const struct field archive_v1[] = {
	U8(1), STR("msg-1"), BE64(T0), STR("Alice"), STR("alice"),
	STR(ARCHIVED), END,
};
static const struct field room_config_v1[] = {
	U8(1), BE32(0x83), BE32(1000), BE32(20), U8(0x0e), U8(1), STR(DESC),
	STR("Alice"), BE64(T0 + 1000), END,
};
static const struct field occupant_v1[] = {
	U8(1), STR("Alice"), STR("alice"), U8(2), BE64(T0), END,
};
static const struct field room_secret_v1[] = {
	U8(1), STR(SECRET_HEX), END,
};
static const struct field report_v1[] = {
	U8(1), STR("bob"), STR("alice"), STR(REASON), STR("threats"),
	BE64(T0), BE64(T0 + 60000), U8(STORE_REPORT_RESOLVED), BE32(2),
	STR("see her profile"), STR(EVIDENCE), END,
};
static const struct field report_resolved_v1[] = {
	U8(1), STR("bob"), STR("alice"), STR(REASON), STR("threats"),
	BE64(T0), BE64(T0 + 60000), U8(STORE_REPORT_RESOLVED), BE32(2),
	STR("see her profile"), STR(EVIDENCE),
	U8(STORE_OUTCOME_SUSPEND), STR("spam again"), STR("mod@example.org"),
	BE64(T0 + WEEK_MS), END,
};
static const struct field sanction_v1[] = {
	U8(1), BE64(T0 + WEEK_MS), STR("cool off"), U8(1), BE64(T0), END,
};
static const struct field report_id_v1[] = {
	U8(1), BE64(1), END,
};
/* clang-format on */

/* Links: only the handle is ever read back; the time of linking (the
 * last 8 bytes) is kept for the record.  Follows and subscriptions: the
 * keys are the data and the values are never read.  The last report id:
 * see docs/STORE.md, "Open points" (only the version byte is checked). */
static const struct codec_case cases[] = {
	{
		.name = "identity",
		.db = STORE_DB_IDENTITIES,
		.key = identity_key,
		.write = write_identity,
		.read = read_identity,
		.layout = identity_v1,
	},
	{
		.name = "link",
		.db = STORE_DB_LINKS,
		.key = link_key,
		.write = write_link,
		.read = read_link,
		.read_len = 10,
		.layout = link_v1,
	},
	{
		.name = "token",
		.db = STORE_DB_TOKENS,
		.key = token_key,
		.write = write_token,
		.read = read_token,
		.layout = token_v1,
	},
	{
		.name = "follow",
		.db = STORE_DB_FOLLOWS,
		.key = follow_key,
		.write = write_follow,
		.layout = follow_v1,
	},
	{
		.name = "subscription",
		.db = STORE_DB_SUBS,
		.key = sub_key,
		.write = write_sub,
		.layout = sub_v1,
	},
	{
		.name = "relation",
		.db = STORE_DB_RELATIONS,
		.key = relation_key,
		.write = write_relation,
		.read = read_relation,
		.layout = relation_v1,
	},
	{
		.name = "request",
		.db = STORE_DB_REQUESTS,
		.key = request_key,
		.write = write_request,
		.read = read_request,
		.layout = request_v1,
	},
	{
		.name = "held",
		.db = STORE_DB_HELD,
		.key = held_key,
		.seq_key = true,
		.write = write_request,
		.read = read_held,
		.layout = held_v1,
	},
	{
		.name = "request-day",
		.db = STORE_DB_REQDAY,
		.key = reqday_key,
		.write = write_request,
		.read = read_reqday,
		.layout = reqday_v1,
	},
	{
		.name = "evidence",
		.db = STORE_DB_EVIDENCE,
		.key = evidence_key,
		.seq_key = true,
		.write = write_evidence,
		.read = read_evidence,
		.layout = evidence_v1,
	},
	{
		.name = "room",
		.db = STORE_DB_ROOMS,
		.key = room_key,
		.write = write_room,
		.read = read_room,
		.layout = room_v1,
	},
	{
		.name = "affiliation",
		.db = STORE_DB_AFFILS,
		.key = affil_key,
		.write = write_affil,
		.read = read_affil,
		.layout = affil_v1,
	},
	{
		.name = "archive",
		.db = STORE_DB_ARCHIVE,
		.key = archive_key,
		.seq_key = true,
		.write = write_archive,
		.read = read_archive,
		.layout = archive_v1,
	},
	{
		.name = "room-config",
		.db = STORE_DB_ROOM_CONFIG,
		.key = room_config_key,
		.write = write_room_config,
		.read = read_room_config,
		.layout = room_config_v1,
	},
	{
		.name = "occupant",
		.db = STORE_DB_OCCUPANTS,
		.key = occupant_key,
		.write = write_occupant,
		.read = read_occupant,
		.layout = occupant_v1,
	},
	{
		.name = "room-secret",
		.db = STORE_DB_META,
		.key = room_secret_key,
		.write = write_room_secret,
		.read = read_room_secret,
		.layout = room_secret_v1,
	},
	{
		.name = "report",
		.db = STORE_DB_REPORTS,
		.key = report_key,
		.write = write_report,
		.read = read_report,
		.layout = report_v1,
	},
	{
		/* The report above with its resolution: opt_len
		 * is the report's value without it (report-v1.bin). */
		.name = "report-resolved",
		.db = STORE_DB_REPORTS,
		.key = report_key,
		.write = write_report_resolved,
		.read = read_report_resolved,
		.opt_len = 110,
		.layout = report_resolved_v1,
	},
	{
		.name = "sanction",
		.db = STORE_DB_SANCTIONS,
		.key = sanction_key,
		.write = write_sanction,
		.read = read_sanction,
		.layout = sanction_v1,
	},
	{
		.name = "report-id",
		.db = STORE_DB_META,
		.key = report_id_key,
		.write = write_report,
		.read = read_report_id,
		.layout = report_id_v1,
	},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Fixture files. */

static unsigned char *load_fixture(const struct codec_case *c, size_t *len)
{
	char path[4096];
	unsigned char *p = NULL;
	size_t cap = 0, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s-v1.bin", FIXTURE_DIR, c->name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			p = xreallocarray(p, cap, 1);
		}
		got = fread(p + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	assert_false(ferror(f));
	fclose(f);
	*len = n;
	return p;
}

/* The value written for the known record, from a fresh store. */
static unsigned char *encode_known(const struct codec_case *c, size_t *len)
{
	struct store *st = fresh_store();
	unsigned char *v;

	clock_pin(T0);
	c->write(st);
	v = raw_get(st, c, len);
	store_close(st);
	clock_unpin();
	return v;
}

/* The tests. */

static void test_layout(void **state)
{
	const struct codec_case *c = *state;
	const struct field *f;
	struct store_rd r;
	unsigned char *p;
	size_t len;

	p = load_fixture(c, &len);
	store_rd_init(&r, p, len);
	assert_int_equal(store_rd_version(&r), 0);
	for (f = c->layout + 1; f->kind != F_END; f++) {
		char *s;

		switch (f->kind) {
		case F_U8:
			assert_int_equal(store_rd_u8(&r), f->n);
			break;
		case F_BE32:
			assert_int_equal(store_rd_be32(&r), f->n);
			break;
		case F_BE64:
			assert_int_equal(store_rd_be64(&r), f->n);
			break;
		case F_STR:
			s = store_rd_str(&r);
			assert_string_equal(s, f->s);
			free(s);
			break;
		case F_END:
			break;
		}
		assert_false(r.bad);
	}
	assert_int_equal(r.off, len); /* nothing after the last field */
	free(p);
}

static void test_decode(void **state)
{
	const struct codec_case *c = *state;
	struct store *st;
	unsigned char *p;
	size_t len;

	p = load_fixture(c, &len);
	st = fresh_store();
	clock_pin(T0 + 1000);
	raw_put(st, c, p, len);
	assert_int_equal(c->read(st, true), 0);
	clock_unpin();
	store_close(st);
	free(p);
}

static void test_encode(void **state)
{
	const struct codec_case *c = *state;
	unsigned char *want, *got;
	size_t wlen, glen;

	want = load_fixture(c, &wlen);
	got = encode_known(c, &glen);
	assert_non_null(got);
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
	free(got);
	free(want);
}

/* Unknown version bytes, then every prefix the reader needs, each put in
 * place of the value: each read is refused, and nothing crashes. */
static void test_bad_input(void **state)
{
	static const unsigned char versions[] = {0, STORE_V1 + 1, 0x7f, 0xff};
	const struct codec_case *c = *state;
	struct store *st;
	unsigned char *p, *q;
	size_t len, need, i;

	p = load_fixture(c, &len);
	q = xmalloc(len);
	st = fresh_store();
	clock_pin(T0 + 1000);
	for (i = 0; i < sizeof(versions); i++) {
		memcpy(q, p, len);
		q[0] = versions[i];
		raw_put(st, c, q, len);
		if (c->read(st, false) != STORE_EFORMAT)
			fail_msg("%s with version %u: not refused", c->name,
				 versions[i]);
	}
	need = c->read_len ? c->read_len : len;
	for (i = 0; i < need; i++) {
		raw_put(st, c, p, i);
		if (c->opt_len > 0 && i == c->opt_len) {
			if (c->read(st, false) != 0)
				fail_msg("%s cut to its older %zu bytes: not "
					 "read", c->name, i);
			continue;
		}
		if (c->read(st, false) != STORE_EFORMAT)
			fail_msg("%s cut to %zu of %zu bytes: not refused",
				 c->name, i, len);
	}
	/* And the whole value is still read as before. */
	raw_put(st, c, p, len);
	assert_int_not_equal(c->read(st, false), STORE_EFORMAT);
	clock_unpin();
	store_close(st);
	free(q);
	free(p);
}

/* --regenerate DIR: writes the missing fixtures into DIR. */
static int regenerate(const char *dir)
{
	size_t i;
	int failed = 0;

	for (i = 0; i < NCASES; i++) {
		char path[4096];
		unsigned char *v;
		size_t len;
		int fd;

		snprintf(path, sizeof(path), "%s/%s-v%d.bin", dir,
			 cases[i].name, STORE_V1);
		v = encode_known(&cases[i], &len);
		if (v == NULL) {
			fprintf(stderr, "%s: no value written\n", path);
			failed = 1;
			continue;
		}
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 && errno == EEXIST) {
			printf("%s: kept\n", path);
		} else if (fd < 0 || write(fd, v, len) != (ssize_t)len ||
			   close(fd) != 0) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			failed = 1;
		} else {
			printf("%s: written (%zu bytes)\n", path, len);
		}
		free(v);
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	static char names[NCASES][4][64];
	static const char *const kinds[4] = {"layout", "decode", "encode",
					     "bad input"};
	static void (*const fns[4])(void **) = {test_layout, test_decode,
						test_encode, test_bad_input};
	struct CMUnitTest tests[NCASES * 4];
	size_t i, j, n = 0;

	if (argc == 3 && strcmp(argv[1], "--regenerate") == 0)
		return regenerate(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: test_codec [--regenerate DIR]\n");
		return 2;
	}
	for (i = 0; i < NCASES; i++) {
		for (j = 0; j < 4; j++) {
			struct CMUnitTest *t = &tests[n];

			/* Values the store never reads have no decoder to
			 * test: their layout and encoding are all. */
			if (cases[i].read == NULL && (j == 1 || j == 3))
				continue;
			n++;
			snprintf(names[i][j], sizeof(names[i][j]), "%s-v1 %s",
				 cases[i].name, kinds[j]);
			memset(t, 0, sizeof(*t));
			t->name = names[i][j];
			t->test_func = fns[j];
			t->initial_state = (void *)&cases[i];
		}
	}
	/* The macro cmocka_run_group_tests() wants an array of fixed size;
	 * this is the function behind it. */
	return _cmocka_run_group_tests("codec", tests, n, NULL, NULL);
}
