/*
 * changes.c - the change log: how a running daemon learns at once what
 * another process (backchannelctl) changed in the store that the daemon
 * keeps in memory (live rooms, their stage).
 *
 * changes: be64 seq -> v1 | u8 kind | str name | be64 ms
 *
 * A writer notes a change in the same transaction as the change itself
 * (store_change_note()), so the note exists exactly when the change does.
 * The daemon reads what came after the last sequence number it saw, once
 * in a while (a few times a second).  Notes older than an hour are pruned
 * by store_maintain()'s caller (store_changes_prune()).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "component/clock.h"
#include "store/store-int.h"

/* How long a note is kept: far longer than any reader lags behind. */
#define STORE_CHANGES_KEEP_MS (3600LL * 1000)

static void store_change_key(struct store_buf *k, uint64_t seq)
{
	store_buf_init(k);
	store_buf_be64(k, seq);
}

static uint64_t store_change_seq_of(const DBT *key)
{
	const unsigned char *p = key->data;
	uint64_t seq = 0;
	int i;

	for (i = 0; i < 8 && (uint32_t)i < key->size; i++)
		seq = (seq << 8) | p[i];
	return seq;
}

static int store_change_last(DBC *c, const DBT *key, const DBT *val,
			     void *arg)
{
	(void)c;
	(void)val;
	*(uint64_t *)arg = store_change_seq_of(key);
	return 1; /* the newest only */
}

int store_change_note(struct store *st, DB_TXN *txn,
		      enum store_change_kind kind, const char *name)
{
	struct store_buf k, v;
	uint64_t last = 0;
	int rc;

	rc = store_dbwalk(st, txn, STORE_DB_CHANGES, NULL, 0,
			  STORE_WALK_REVERSE | STORE_WALK_KEYS,
			  store_change_last, &last);
	if (rc != 0 && rc != DB_NOTFOUND)
		return rc;
	store_change_key(&k, last + 1);
	store_buf_init(&v);
	store_buf_u8(&v, STORE_V1);
	store_buf_u8(&v, (uint8_t)kind);
	store_buf_str(&v, name);
	store_buf_be64(&v, (uint64_t)clock_now_ms());
	rc = store_dbput(st, txn, STORE_DB_CHANGES, &k, &v, 0);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

struct store_changes_arg {
	uint64_t after;
	struct store_change *v;
	size_t n;
	uint64_t last;
	uint64_t head; /* the newest note, read in the same transaction */
};

static int store_changes_one(DBC *c, const DBT *key, const DBT *val,
			     void *arg)
{
	struct store_changes_arg *a = arg;
	struct store_change *ch;
	struct store_rd rd;
	uint64_t seq = store_change_seq_of(key);

	(void)c;
	if (key->size != 8)
		return STORE_EFORMAT;
	a->last = seq;
	if (seq <= a->after)
		return 0;
	store_rd_init(&rd, val->data, val->size);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	ch = &a->v[a->n];
	ch->seq = seq;
	ch->kind = (enum store_change_kind)store_rd_u8(&rd);
	ch->name = store_rd_str(&rd);
	ch->ms = (int64_t)store_rd_be64(&rd);
	a->n++;
	return rd.bad ? STORE_EFORMAT : 0;
}

static int store_changes_head_body(struct store *st, DB_TXN *txn, void *arg);

static int store_changes_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_changes_arg *a = arg;
	unsigned char start[8];
	struct store_range r = {start, sizeof(start), NULL, 0};
	int i, rc;

	store_change_list_free(a->v, a->n);
	a->v = NULL;
	a->n = 0;
	/* From the first note after 'after' to the end. */
	for (i = 0; i < 8; i++)
		start[i] = (unsigned char)((a->after + 1) >> (56 - 8 * i));
	a->head = a->after;
	rc = store_dbwalk_range(st, txn, STORE_DB_CHANGES, &r, 0,
				store_changes_one, a);
	if ((rc == 0 || rc == DB_NOTFOUND) && a->n == 0) {
		int hrc = store_changes_head_body(st, txn, &a->head);

		if (hrc != 0)
			rc = hrc;
	}
	return rc;
}

int store_changes_since(struct store *st, uint64_t *cursor,
			struct store_change **out, size_t *n)
{
	struct store_changes_arg a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.after = *cursor;
	a.last = *cursor;
	rc = store_txn_run(st, "read changes", store_changes_body, &a);
	if (rc == STORE_NOTFOUND)
		rc = 0;
	if (rc != 0) {
		store_change_list_free(a.v, a.n);
		a.v = NULL;
		a.n = 0;
	} else if (a.n > 0) {
		*cursor = a.v[a.n - 1].seq;
	} else if (a.last > *cursor) {
		*cursor = a.last;
	} else if (a.head < *cursor) {
		/* A replica that went back to a new master's log may have
		 * lost notes after the cursor: the new master's next ones
		 * reuse their numbers, so the cursor goes back to the end
		 * (the end as of the same transaction: nothing is passed
		 * over; notes the new master numbered up to the old cursor
		 * before this look are, the price of a rollback). */
		*cursor = a.head;
	}
	*out = a.v;
	*n = a.n;
	return rc;
}

static int store_changes_head_body(struct store *st, DB_TXN *txn, void *arg)
{
	int rc = store_dbwalk(st, txn, STORE_DB_CHANGES, NULL, 0,
			      STORE_WALK_REVERSE | STORE_WALK_KEYS,
			      store_change_last, arg);

	return rc == DB_NOTFOUND ? 0 : rc;
}

int store_changes_head(struct store *st, uint64_t *seq)
{
	int rc;

	*seq = 0;
	rc = store_txn_run(st, "read changes", store_changes_head_body, seq);
	return rc == STORE_NOTFOUND ? 0 : rc;
}

/* What a prune drops: notes written before `before`, but never the
 * newest (`head`), whose number the next note follows: numbers never
 * start again, so a reader's cursor stays right. */
struct store_changes_prune_arg {
	int64_t before;
	uint64_t head;
};

static int store_changes_old(DBC *c, const DBT *key, const DBT *val,
			     void *arg)
{
	const struct store_changes_prune_arg *a = arg;
	struct store_rd rd;
	int64_t ms;

	if (store_change_seq_of(key) >= a->head)
		return 1;
	store_rd_init(&rd, val->data, val->size);
	if (store_rd_version(&rd) != 0)
		return c->del(c, 0); /* unreadable: nobody can use it */
	store_rd_u8(&rd);
	free(store_rd_str(&rd));
	ms = (int64_t)store_rd_be64(&rd);
	if (rd.bad || ms < a->before)
		return c->del(c, 0);
	return 1; /* in sequence order: the rest are newer */
}

static int store_changes_prune_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_changes_prune_arg *a = arg;
	int rc;

	a->head = 0;
	rc = store_changes_head_body(st, txn, &a->head);
	if (rc == 0)
		rc = store_dbwalk(st, txn, STORE_DB_CHANGES, NULL, 0, 0,
				  store_changes_old, a);
	return rc == DB_NOTFOUND ? 0 : rc;
}

int store_changes_prune(struct store *st)
{
	struct store_changes_prune_arg a = {
		clock_now_ms() - STORE_CHANGES_KEEP_MS, 0};
	int rc = store_txn_run(st, "prune changes", store_changes_prune_body,
			       &a);

	return rc == STORE_NOTFOUND ? 0 : rc;
}

void store_change_list_free(struct store_change *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}
