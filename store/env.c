/*
 * env.c - the Berkeley DB environment: open with recovery, the databases
 * and their secondary indexes, the transaction runner with deadlock retry,
 * group commit (store_flush) and upkeep (store_maintain).
 *
 * Every transaction commits with DB_TXN_NOSYNC: the commit is visible to
 * every process sharing the environment at once, and store_flush() makes
 * everything committed so far durable with one write and one fsync of the
 * log.  Nothing is acknowledged to anyone before that flush, so a crash
 * can lose only what nobody was told about.  (DB_TXN_WRITE_NOSYNC, one
 * write() per commit, measured ~30% slower per event and buys nothing
 * here.)  With STORE_SYNC_EACH every commit is flushed on its own (the
 * benchmark's baseline).
 *
 * A batch (store_batch_begin/end) groups the calls of one event-loop pass
 * into one top-level transaction, each call a child of it: one commit
 * record and one lock release per pass instead of per call.  A savepoint
 * groups several calls of a batch into one child that commits or aborts
 * as a whole; a bulk run (import, load) puts every call directly into one
 * top-level transaction.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "component/clock.h"
#include "component/log.h"
#include "component/metrics.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "store/store-int.h"

#define STORE_RETRIES 32
#define STORE_MAX_LOCKS 1000000
#define STORE_LOCK_BUCKETS 32768

struct store_dbdef {
	const char *name;
	DBTYPE type;
	uint32_t flags; /* DB->set_flags */
	int primary;    /* -1, or the database this one indexes */
	/* An index: the primary's record, whose ikey gives its keys. */
	const struct store_rec *rec;
};

/* A secondary index's key, from the record's descriptor (its ikey): the
 * descriptor is the index database's app_private. */
static int store_index_key(DB *sec, const DBT *key, const DBT *val, DBT *out)
{
	struct store_buf k;

	store_buf_init(&k);
	if (store_rec_index_key(sec->app_private, key->data, key->size,
				val->data, val->size, &k) != 0) {
		store_buf_free(&k);
		return DB_DONOTINDEX;
	}
	memset(out, 0, sizeof(*out));
	out->data = xmalloc(k.len);
	memcpy(out->data, k.p, k.len);
	out->size = (uint32_t)k.len;
	out->flags = DB_DBT_APPMALLOC;
	store_buf_free(&k);
	return 0;
}

static const struct store_dbdef store_dbs[STORE_DB_N] = {
	[STORE_DB_META] = {"meta", DB_BTREE, 0, -1, NULL},
	[STORE_DB_IDENTITIES] = {"identities", DB_BTREE, 0, -1, NULL},
	[STORE_DB_LINKS] = {"links", DB_BTREE, 0, -1, NULL},
	[STORE_DB_LINKS_BY_HANDLE] = {"links-by-handle", DB_BTREE,
				      DB_DUP | DB_DUPSORT, STORE_DB_LINKS,
				      &store_rec_link},
	[STORE_DB_TOKENS] = {"tokens", DB_BTREE, 0, -1, NULL},
	[STORE_DB_FOLLOWS] = {"follows", DB_BTREE, 0, -1, NULL},
	[STORE_DB_FOLLOWERS] = {"followers", DB_BTREE, 0, STORE_DB_FOLLOWS,
				&store_rec_follow},
	[STORE_DB_RELATIONS] = {"relations", DB_BTREE, 0, -1, NULL},
	[STORE_DB_REQUESTS] = {"requests", DB_BTREE, 0, -1, NULL},
	[STORE_DB_HELD] = {"held", DB_BTREE, 0, -1, NULL},
	[STORE_DB_REQDAY] = {"request-days", DB_BTREE, 0, -1, NULL},
	[STORE_DB_ROOMS] = {"rooms", DB_BTREE, 0, -1, NULL},
	[STORE_DB_AFFILS] = {"affiliations", DB_BTREE, 0, -1, NULL},
	[STORE_DB_ARCHIVE] = {"archive", DB_BTREE, 0, -1, NULL},
	[STORE_DB_ARCHIVE_IDS] = {"archive-ids", DB_BTREE, 0, STORE_DB_ARCHIVE,
				  &store_rec_archive},
	[STORE_DB_EVIDENCE] = {"evidence", DB_BTREE, 0, -1, NULL},
	[STORE_DB_REPORTS] = {"reports", DB_BTREE, 0, -1, NULL},
	[STORE_DB_SUBS] = {"subscriptions", DB_BTREE, 0, -1, NULL},
	[STORE_DB_ROOM_CONFIG] = {"room-config", DB_BTREE, 0, -1, NULL},
	[STORE_DB_OCCUPANTS] = {"occupants", DB_BTREE, 0, -1, NULL},
	[STORE_DB_CHANGES] = {"changes", DB_BTREE, 0, -1, NULL},
	[STORE_DB_SANCTIONS] = {"sanctions", DB_BTREE, 0, -1, NULL},
	/* Built from the reports on the first open that lacks it. */
	[STORE_DB_REPORTS_BY_ADDR] = {"reports-by-address", DB_BTREE, 0,
				      STORE_DB_REPORTS, &store_rec_report},
};

/* Berkeley DB's own explanations go to the debug log: the error itself is
 * logged once, with db_strerror, where it is handled. */
static void store_errcall(const DB_ENV *env, const char *pfx, const char *msg)
{
	log_debug("berkeley db: %s", msg);
}

void store_close_dbs(struct store *st)
{
	/* A handle that leaves checkpoints to the daemon does not write the
	 * databases' pages at close either (recovery has them in the log):
	 * it would wait for the pages the daemon is using. */
	uint32_t flags = (st->flags & STORE_NO_CHECKPOINT) ? DB_NOSYNC : 0;
	int i;

	/* Secondaries close before their primaries. */
	for (i = STORE_DB_N - 1; i >= 0; i--) {
		if (st->db[i] != NULL && store_dbs[i].primary >= 0) {
			st->db[i]->close(st->db[i], flags);
			st->db[i] = NULL;
		}
	}
	for (i = STORE_DB_N - 1; i >= 0; i--) {
		if (st->db[i] != NULL) {
			st->db[i]->close(st->db[i], flags);
			st->db[i] = NULL;
		}
	}
}

static void store_close_handles(struct store *st)
{
	store_close_dbs(st);
	if (st->env != NULL) {
		st->env->close(st->env, 0);
		st->env = NULL;
	}
}

static int store_open_env(struct store *st)
{
	uint32_t envflags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOG |
			    DB_INIT_LOCK | DB_INIT_MPOOL | DB_THREAD;
	int rc;

	rc = db_env_create(&st->env, 0);
	if (rc != 0) {
		log_errx("store: db_env_create: %s", db_strerror(rc));
		return STORE_EFAIL;
	}
	st->env->set_errcall(st->env, store_errcall);
	st->env->set_lk_detect(st->env, DB_LOCK_DEFAULT);
	/* One lock per page a transaction touches: a bulk run (import,
	 * load) holds one on every page it writes until it commits, about
	 * 100,000 for a million identities with a link and a follow each.
	 * The lock table starts small and grows to these bounds as it is
	 * used, so a bound that is never reached costs nothing. */
	st->env->set_lk_max_locks(st->env, STORE_MAX_LOCKS);
	st->env->set_lk_max_objects(st->env, STORE_MAX_LOCKS);
	st->env->set_lk_tablesize(st->env, STORE_LOCK_BUCKETS);
	st->env->set_lk_max_lockers(st->env, 2000);
	st->env->set_tx_max(st->env, 200);
	if (st->flags & STORE_IN_MEMORY) {
		envflags |= DB_PRIVATE;
		st->env->set_cachesize(st->env, 0, 64 * 1024 * 1024, 1);
		st->env->log_set_config(st->env, DB_LOG_IN_MEMORY, 1);
		st->env->set_lg_bsize(st->env, 32 * 1024 * 1024);
	} else {
		envflags |= DB_REGISTER | DB_RECOVER;
		st->env->set_cachesize(st->env, 0, 32 * 1024 * 1024, 1);
		st->env->set_lg_max(st->env, 16 * 1024 * 1024);
		st->env->set_lg_bsize(st->env, 1024 * 1024);
		if (!(st->flags & STORE_SYNC_EACH))
			st->env->set_flags(st->env, DB_TXN_NOSYNC, 1);
	}
	if (st->repl != NULL) {
		envflags |= DB_INIT_REP;
		if (store_repl_configure(st) != 0)
			return STORE_EFAIL;
	}
	rc = st->env->open(st->env, st->path, envflags, 0600);
	if (rc == EINVAL)
		store_repl_explain_einval(st);
	if (rc != 0) {
		log_errx("store: cannot open environment %s: %s",
			 st->path ? st->path : "(memory)", db_strerror(rc));
		return STORE_EFAIL;
	}
	if (st->flags & STORE_ENV_ONLY)
		return 0;
	if (st->repl != NULL && store_repl_start(st) != 0)
		return STORE_EFAIL;
	return store_open_dbs(st);
}

static int store_open_dbs_in(struct store *st, DB_TXN *txn, bool create);

/* Opens the databases and their indexes.  On a replica (store/repl.c)
 * nothing is created: a database not there yet, or locked out while the
 * replica syncs, is waited for. */
int store_open_dbs(struct store *st)
{
	bool create = store_repl_may_create(st);
	DB_TXN *txn = NULL;
	int rc;

	/* The master of a group: the opens in one transaction, whose commit
	 * waits for the group's acknowledgements once, not once a database. */
	if (st->repl != NULL && create) {
		rc = st->env->txn_begin(st->env, NULL, &txn, 0);
		if (rc != 0) {
			log_errx("store: opening the databases: %s",
				 db_strerror(rc));
			return STORE_EFAIL;
		}
	}
	rc = store_open_dbs_in(st, txn, create);
	if (txn != NULL) {
		if (rc == 0)
			rc = txn->commit(txn, 0) == 0 ? 0 : STORE_EFAIL;
		else
			txn->abort(txn);
	}
	return rc;
}

static int store_open_dbs_in(struct store *st, DB_TXN *txn, bool create)
{
	uint32_t autocommit = txn == NULL ? DB_AUTO_COMMIT : 0;
	int rc, i;

	for (i = 0; i < STORE_DB_N; i++) {
		const struct store_dbdef *d = &store_dbs[i];
		char file[64];
		DB *db;

		rc = db_create(&st->db[i], st->env, 0);
		if (rc != 0) {
			log_errx("store: db_create %s: %s", d->name,
				 db_strerror(rc));
			return STORE_EFAIL;
		}
		db = st->db[i];
		db->app_private = (void *)d->rec;
		if (d->flags != 0)
			db->set_flags(db, d->flags);
		snprintf(file, sizeof(file), "%s.db", d->name);
		rc = db->open(db, txn,
			      (st->flags & STORE_IN_MEMORY) ? NULL : file,
			      (st->flags & STORE_IN_MEMORY) ? d->name : NULL,
			      d->type,
			      (create ? DB_CREATE : 0) | autocommit | DB_THREAD,
			      0600);
		if (rc != 0 && txn == NULL && store_repl_retry_open(st, rc)) {
			db->close(db, 0);
			st->db[i] = NULL;
			create = store_repl_may_create(st);
			i--;
			continue;
		}
		if (rc != 0) {
			log_errx("store: cannot open database %s: %s", d->name,
				 db_strerror(rc));
			return STORE_EFAIL;
		}
		if (d->primary >= 0) {
			rc = st->db[d->primary]->associate(
				st->db[d->primary], txn, db, store_index_key,
				(create ? DB_CREATE : 0) | autocommit);
			if (rc != 0) {
				log_errx("store: cannot index %s: %s", d->name,
					 db_strerror(rc));
				return STORE_EFAIL;
			}
		}
	}
	return 0;
}

int store_open(const char *path, unsigned flags, struct store **out)
{
	return store_open_with(path, flags, NULL, out);
}

int store_open_with(const char *path, unsigned flags, struct store_repl *r,
		    struct store **out)
{
	struct store *st;
	int rc;

	*out = NULL;
	st = xcalloc(1, sizeof(*st));
	st->flags = flags;
	st->repl = r;
	st->seq = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
	if (!(flags & STORE_IN_MEMORY)) {
		if (path == NULL || *path == '\0') {
			log_errx("store: no store path");
			rc = STORE_EINVAL;
			goto out;
		}
		st->path = xstrdup(path);
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			log_err("store: cannot create %s", path);
			rc = STORE_EFAIL;
			goto out;
		}
	}
	rc = store_open_env(st);
	/* Opening the databases logs (and replicates) their registration,
	 * which reveals nothing: only later commits count for the flush. */
	(void)store_repl_perm_failed(st);
	if (rc == 0) {
		*out = st;
		st = NULL;
	}
out:
	if (st != NULL) {
		store_close_handles(st);
		store_repl_free(st->repl);
		free(st->path);
		free(st);
	}
	return rc;
}

int store_repl_refresh(struct store *st)
{
	if (st->repl == NULL)
		return 0;
	store_cache_drop(st);
	store_close_dbs(st);
	store_repl_reopening(st);
	if (store_open_dbs(st) != 0) {
		/* Some handles are gone: nothing more is read or written,
		 * and the pass's flush fails (the daemon stops). */
		st->handles_lost = true;
		st->batch_lost = true;
		return STORE_EFAIL;
	}
	return 0;
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->bulk != NULL)
		store_bulk_end(st, false);
	if (st->batch_open)
		store_batch_end(st);
	if (st->env != NULL) {
		st->env->log_flush(st->env, NULL);
		if (!(st->flags & (STORE_IN_MEMORY | STORE_NO_CHECKPOINT)))
			st->env->txn_checkpoint(st->env, 0, 0, 0);
	}
	store_close_handles(st);
	store_repl_free(st->repl);
	store_cache_drop(st);
	strmap_free(st->ev_appends);
	free(st->ev_pending);
	free(st->path);
	free(st);
}

/* Another process ran recovery under us (DB_REGISTER found a dead process
 * and signalled DB_RUNRECOVERY): close everything and open again. */
static int store_reopen(struct store *st)
{
	log_warnx("store: environment needs recovery, reopening");
	store_cache_drop(st);
	if (st->save != NULL) {
		st->save->abort(st->save);
		st->save = NULL;
		st->save_lost = true;
	}
	if (st->bulk != NULL) {
		log_errx("store: a bulk run was lost to recovery");
		st->bulk->abort(st->bulk);
		st->bulk = NULL;
		st->bulk_failed = true;
	}
	if (st->batch != NULL) {
		/* Recovery undid it: what the batch had done is lost. */
		log_errx("store: an open batch was lost to recovery");
		st->batch->abort(st->batch);
		st->batch = NULL;
		st->batch_lost = true;
	}
	store_close_handles(st);
	return store_open_env(st);
}

static uint32_t store_commit_flags(const struct store *st)
{
	return (st->flags & STORE_SYNC_EACH) ? DB_TXN_SYNC : DB_TXN_NOSYNC;
}

/* Commits what the open batch has done so far; the next call in the batch
 * begins a new transaction. */
static int store_batch_commit(struct store *st)
{
	DB_TXN *t = st->batch;
	int rc;

	/* Its locks go with it: what was read may change from now on. */
	store_cache_drop(st);
	if (t == NULL)
		return 0;
	st->batch = NULL;
	rc = t->commit(t, store_commit_flags(st));
	if (rc != 0) {
		log_errx("store: committing a batch: %s", db_strerror(rc));
		st->batch_lost = true;
	}
	return rc;
}

int store_batch_begin(struct store *st)
{
	if (st->batch_open || st->bulk != NULL)
		return STORE_EINVAL;
	st->batch_open = true;
	st->batch_lost = false;
	store_cache_drop(st);
	return 0;
}

bool store_batch_is_open(const struct store *st)
{
	return st != NULL && st->batch_open;
}

int store_batch_end(struct store *st)
{
	int rc;

	if (!st->batch_open)
		return STORE_EINVAL;
	if (st->save_open) {
		/* Its owner never ended it: what it did is not kept. */
		log_errx("store: a savepoint left open at the end of a batch");
		store_savepoint_end(st, false);
	}
	/* The pass's evidence, in the batch as one call; a failure is
	 * logged and the batch still ends. */
	(void)store_evidence_drain(st);
	rc = store_batch_commit(st);
	if (rc == DB_RUNRECOVERY)
		store_reopen(st);
	st->batch_open = false;
	if (rc != 0 || st->batch_lost) {
		st->batch_lost = false;
		return STORE_EFAIL;
	}
	return 0;
}

int store_savepoint_begin(struct store *st)
{
	DB_TXN *parent = NULL;
	int rc = 0;

	if (st->save_open || st->bulk != NULL)
		return STORE_EINVAL;
	/* The pass's evidence so far goes in before: undoing the savepoint
	 * must not undo it. */
	(void)store_evidence_drain(st);
	if (st->batch_open) {
		if (st->batch == NULL) {
			rc = st->env->txn_begin(st->env, NULL, &st->batch, 0);
			if (rc != 0)
				st->batch = NULL;
		}
		parent = st->batch;
	}
	if (rc == 0)
		rc = st->env->txn_begin(st->env, parent, &st->save, 0);
	if (rc != 0) {
		log_errx("store: beginning a savepoint: %s", db_strerror(rc));
		st->save = NULL;
		return STORE_EFAIL;
	}
	st->save_open = true;
	st->save_lost = false;
	st->save_ev_n = st->ev_n;
	return 0;
}

/* An undone savepoint's evidence appends are undone too: those queued
 * since it began are dropped (a drain inside it was a child of it, and
 * aborted with it).  The pairs' counts may have counted what was undone:
 * they are forgotten, and each pair is counted afresh on its next
 * append. */
static void store_savepoint_drop_evidence(struct store *st)
{
	size_t i;

	for (i = st->save_ev_n; i < st->ev_n; i++) {
		free(st->ev_pending[i].a);
		free(st->ev_pending[i].b);
		free(st->ev_pending[i].text);
	}
	if (st->ev_n > st->save_ev_n)
		st->ev_n = st->save_ev_n;
	st->save_ev_n = 0;
	strmap_free(st->ev_appends);
	st->ev_appends = NULL;
}

int store_savepoint_end(struct store *st, bool keep)
{
	DB_TXN *t = st->save;
	bool lost = st->save_lost;
	int rc;

	if (!st->save_open)
		return STORE_EINVAL;
	st->save_open = false;
	st->save_lost = false;
	st->save = NULL;
	if (t == NULL) { /* lost: aborted already */
		store_savepoint_drop_evidence(st);
		return keep ? STORE_EFAIL : 0;
	}
	if (!keep || lost) {
		t->abort(t);
		/* Its locks are gone and its writes undone. */
		store_cache_drop(st);
		store_savepoint_drop_evidence(st);
		return keep ? STORE_EFAIL : 0;
	}
	rc = t->commit(t, st->batch != NULL ? 0 : store_commit_flags(st));
	if (rc != 0) {
		log_errx("store: committing a savepoint: %s", db_strerror(rc));
		store_cache_drop(st);
		store_savepoint_drop_evidence(st);
		return STORE_EFAIL;
	}
	st->save_ev_n = 0;
	return 0;
}

int store_bulk_begin(struct store *st)
{
	int rc;

	if (st->bulk != NULL || st->batch_open || st->save_open)
		return STORE_EINVAL;
	rc = st->env->txn_begin(st->env, NULL, &st->bulk, 0);
	if (rc != 0) {
		log_errx("store: beginning a bulk run: %s", db_strerror(rc));
		st->bulk = NULL;
		return STORE_EFAIL;
	}
	/* When the deadlock detector must choose, it aborts the daemon's
	 * short pass (which it retries), not minutes of bulk work. */
	st->bulk->set_priority(st->bulk, UINT32_MAX);
	st->bulk_failed = false;
	store_cache_drop(st);
	return 0;
}

int store_bulk_end(struct store *st, bool commit)
{
	DB_TXN *t = st->bulk;
	bool failed = st->bulk_failed;
	int rc;

	st->bulk = NULL;
	st->bulk_failed = false;
	if (t == NULL)
		return failed ? STORE_EFAIL : STORE_EINVAL;
	if (!commit || failed) {
		rc = t->abort(t);
		if (rc != 0)
			log_errx("store: undoing a bulk run: %s",
				 db_strerror(rc));
		return commit || rc != 0 ? STORE_EFAIL : 0;
	}
	rc = t->commit(t, (st->flags & STORE_IN_MEMORY) ? 0 : DB_TXN_SYNC);
	if (rc != 0) {
		log_errx("store: committing a bulk run: %s", db_strerror(rc));
		return STORE_EFAIL;
	}
	return 0;
}

/* A call of the bulk run, in its transaction. */
static int store_bulk_call(struct store *st,
			   int (*body)(struct store *st, DB_TXN *txn,
				       void *arg),
			   void *arg)
{
	int rc;

	if (st->bulk_failed)
		return STORE_EFAIL;
	st->child_wrote = false;
	st->child_cached = false;
	rc = body(st, st->bulk, arg);
	/* A refusal before any write leaves the run whole (its owner
	 * decides); anything else after a write, or a deadlock, cannot be
	 * undone alone. */
	if (rc != 0 && (st->child_wrote || rc == DB_LOCK_DEADLOCK ||
			rc == DB_LOCK_NOTGRANTED || rc == DB_RUNRECOVERY))
		st->bulk_failed = true;
	return rc;
}

/* How long a write that may wait for the disk waits at most (plus the
 * time until the next store_flush(): the daemon flushes at least every
 * 200 ms). */
#define STORE_LAZY_FLUSH_MS 100

int store_flush(struct store *st)
{
	/* Only a batch that did something is timed (component/metrics.h). */
	int64_t start = st->batch != NULL ? metrics_clock_us() : -1;
	int brc = 0, rc;
	bool wrote;

	if (st->batch_open)
		brc = store_batch_end(st);
	if (st->flags & STORE_IN_MEMORY)
		return brc;
	/* A pass that wrote nothing its stanzas reveal (only evidence, or
	 * nothing at all) does not wait for the disk: what it wrote is made
	 * durable by the next flush, at most STORE_LAZY_FLUSH_MS later.  A
	 * crash in between can lose the evidence of the last messages,
	 * never a message or a change anyone was told about. */
	if (!st->durable_due && (st->flags & STORE_LAZY_EVIDENCE)) {
		int64_t now = clock_mono_ms();

		if (st->lazy_since_ms == 0)
			st->lazy_since_ms = now;
		if (now - st->lazy_since_ms < STORE_LAZY_FLUSH_MS)
			return brc;
	}
	wrote = st->durable_due;
	st->durable_due = false;
	st->lazy_since_ms = 0;
	st->log_flushes++;
	rc = st->env->log_flush(st->env, NULL);
	if (rc == DB_RUNRECOVERY && store_reopen(st) == 0)
		rc = st->env->log_flush(st->env, NULL);
	if (rc != 0) {
		log_errx("store: log flush: %s", db_strerror(rc));
		return STORE_EFAIL;
	}
	/* Only after this pass's own writes: an idle pass must not take
	 * another process's for its own (store_repl_pulse()). */
	if (wrote)
		store_repl_flushed(st);
	/* In a replication group: a commit a quorum did not acknowledge
	 * within the timeout must not be revealed (docs/SCALING.md). */
	if (store_repl_perm_failed(st) > 0) {
		log_errx("store: a commit was not acknowledged by a quorum of "
			 "the replication group in time");
		return STORE_EFAIL;
	}
	if (start >= 0)
		metrics_commit_done(start);
	return brc;
}

/* request-days: sender \0 be32 day: drops the days before yesterday. */
static int store_reqday_old(DBC *c, const DBT *key, const DBT *val, void *arg)
{
	const unsigned char *p = key->data;
	uint32_t day, today = *(const uint32_t *)arg;

	if (key->size < 5)
		return 0;
	p += key->size - 4;
	day = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	      (uint32_t)p[2] << 8 | p[3];
	return day + 1 < today ? c->del(c, 0) : 0;
}

static int store_prune_body(struct store *st, DB_TXN *txn, void *arg)
{
	return store_dbwalk(st, txn, STORE_DB_REQDAY, NULL, 0, 0,
			    store_reqday_old, arg);
}

int store_maintain(struct store *st)
{
	uint32_t today = (uint32_t)(clock_now_ms() / 86400000);
	int rc;

	/* A replica writes nothing of its own: it checkpoints and removes
	 * old logs; the master's pruning reaches it as replicated writes. */
	if (store_role(st, NULL) == STORE_ROLE_REPLICA)
		goto checkpoint;
	rc = store_txn_run(st, "prune request counters", store_prune_body,
			   &today);
	if (rc != 0)
		return rc;
	if ((rc = store_changes_prune(st)) != 0)
		return rc;
checkpoint:
	rc = st->env->txn_checkpoint(st->env, 0, 0, 0);
	if (rc != 0) {
		log_errx("store: checkpoint: %s", db_strerror(rc));
		return STORE_EFAIL;
	}
	if (st->flags & STORE_IN_MEMORY)
		return 0;
	rc = st->env->log_archive(st->env, NULL, DB_ARCH_REMOVE);
	if (rc != 0) {
		log_errx("store: removing old logs: %s", db_strerror(rc));
		return STORE_EFAIL;
	}
	return 0;
}

uint32_t store_next_seq(struct store *st)
{
	return __atomic_add_fetch(&st->seq, 1, __ATOMIC_RELAXED);
}

static int store_is_store_code(int rc)
{
	return rc == STORE_NOTFOUND || rc == STORE_EFAIL ||
	       rc == STORE_EEXIST || rc == STORE_EINVAL ||
	       rc == STORE_EFORMAT || rc == STORE_ELIMIT;
}

int store_txn_run(struct store *st, const char *what,
		  int (*body)(struct store *st, DB_TXN *txn, void *arg),
		  void *arg)
{
	int attempt = 0, rc = 0, reopened = 0;

	if (st->handles_lost)
		return STORE_EFAIL;
	if (st->bulk != NULL) {
		rc = store_bulk_call(st, body, arg);
		attempt = STORE_RETRIES; /* no retry: straight to the codes */
	}
	for (; attempt < STORE_RETRIES; attempt++) {
		DB_TXN *parent = NULL, *txn = NULL;

		rc = 0;
		if (st->save_open) {
			if (st->save_lost)
				return STORE_EFAIL;
			parent = st->save;
		} else if (st->batch_open) {
			if (st->batch == NULL) {
				rc = st->env->txn_begin(st->env, NULL,
							&st->batch, 0);
				if (rc != 0)
					st->batch = NULL;
			}
			parent = st->batch;
		}
		if (rc == 0)
			rc = st->env->txn_begin(st->env, parent, &txn, 0);
		if (rc == 0) {
			st->child_wrote = false;
			st->child_cached = false;
			rc = body(st, txn, arg);
			if (rc == DB_NOTFOUND && parent != NULL &&
			    !st->child_wrote) {
				/* A read that found nothing commits too, so
				 * that its locks pass to the batch: the read
				 * cache may keep "not found" (store/cache.c). */
				rc = txn->commit(txn, 0);
				if (rc == 0)
					rc = DB_NOTFOUND;
			} else if (rc == 0) {
				rc = txn->commit(txn, parent != NULL
							      ? 0
							      : store_commit_flags(st));
			} else {
				txn->abort(txn);
				/* Its locks are gone: what it read may change,
				 * and what it read after writing is undone. */
				if (st->child_wrote || st->child_cached)
					store_cache_drop(st);
			}
		}
		if (rc == DB_LOCK_DEADLOCK || rc == DB_LOCK_NOTGRANTED) {
			/* In a batch, the other side may be waiting for a lock
			 * the batch holds: retrying under the same batch could
			 * deadlock again.  Commit the batch so far (a split) and
			 * retry in a new one.  A savepoint cannot be split: it
			 * is lost. */
			if (parent != NULL && parent == st->save) {
				st->save->abort(st->save);
				st->save = NULL;
				st->save_lost = true;
				store_cache_drop(st);
				return STORE_EFAIL;
			}
			if (parent != NULL) {
				st->batch_splits++;
				rc = store_batch_commit(st);
				if (rc == DB_RUNRECOVERY && !reopened) {
					reopened = 1;
					if (store_reopen(st) == 0)
						continue;
					return STORE_EFAIL;
				}
				if (rc != 0)
					return STORE_EFAIL; /* logged */
			}
			if (attempt > 2) {
				struct timespec ts = {0, 100000L * attempt};
				nanosleep(&ts, NULL);
			}
			continue;
		}
		if (rc == DB_RUNRECOVERY && !reopened) {
			reopened = 1;
			if (store_reopen(st) == 0)
				continue;
			return STORE_EFAIL;
		}
		if (rc == DB_REP_HANDLE_DEAD && !reopened &&
		    (parent == NULL || parent == st->batch) &&
		    store_role(st, NULL) == STORE_ROLE_REPLICA) {
			/* A replica that went back to a new master's log
			 * (a rooms instance reads the directory there): its
			 * handles are dead.  A replica's batch only read
			 * (nothing can be written there); it goes, the
			 * handles are opened again, the call runs again. */
			reopened = 1;
			if (st->batch != NULL) {
				st->batch->abort(st->batch);
				st->batch = NULL;
			}
			if (store_repl_refresh(st) == 0)
				continue;
			return STORE_EFAIL;
		}
		break;
	}
	if (rc == 0 || store_is_store_code(rc))
		return rc;
	if (rc == DB_NOTFOUND)
		return STORE_NOTFOUND;
	if (rc == DB_KEYEXIST)
		return STORE_EEXIST;
	log_errx("store: %s: %s", what, db_strerror(rc));
	return STORE_EFAIL;
}

/* The per-record helpers. */

static void store_dbt(DBT *d, const void *p, size_t n)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)p;
	d->size = (uint32_t)n;
}

int store_dbget(struct store *st, DB_TXN *txn, enum store_dbi i,
		const struct store_buf *key, unsigned char **val, size_t *len)
{
	DBT k, v;
	int rc;

	*val = NULL;
	*len = 0;
	if (st->cache_only)
		return STORE_MISS;
	store_dbt(&k, key->p, key->len);
	memset(&v, 0, sizeof(v));
	v.flags = DB_DBT_MALLOC;
	/* A body that may write reads with write locks, so that two
	 * processes never both hold a read lock they want to upgrade; a
	 * read-only one (store_read()) with read locks, which other readers
	 * share and which keep the batch's cache valid all the same. */
	rc = st->db[i]->get(st->db[i], txn, &k, &v,
			    txn != NULL && !st->read_only ? DB_RMW : 0);
	if (rc == 0) {
		*val = v.data;
		*len = v.size;
	}
	return rc;
}

int store_dbput(struct store *st, DB_TXN *txn, enum store_dbi i,
		const struct store_buf *key, const struct store_buf *val,
		uint32_t flags)
{
	DBT k, v;

	store_dbt(&k, key->p, key->len);
	store_dbt(&v, val->p, val->len);
	store_cache_wrote(st, i);
	return st->db[i]->put(st->db[i], txn, &k, &v, flags);
}

int store_dbdel(struct store *st, DB_TXN *txn, enum store_dbi i,
		const struct store_buf *key)
{
	DBT k;

	store_dbt(&k, key->p, key->len);
	store_cache_wrote(st, i);
	return st->db[i]->del(st->db[i], txn, &k, 0);
}

static int store_del_one(DBC *c, const DBT *key, const DBT *val, void *arg)
{
	return c->del(c, 0);
}

int store_dbdel_prefix(struct store *st, DB_TXN *txn, enum store_dbi i,
		       const struct store_buf *prefix)
{
	store_cache_wrote(st, i);
	return store_dbwalk(st, txn, i, prefix->p, prefix->len, 0,
			    store_del_one, NULL);
}

int store_keycmp(const DBT *k, const void *b, size_t len)
{
	size_t n = k->size < len ? k->size : len;
	int c = n > 0 ? memcmp(k->data, b, n) : 0;

	if (c != 0)
		return c;
	return (k->size > len) - (k->size < len);
}

/* Puts the cursor on the first key at or after key (DB_SET_RANGE), with a
 * copy of key in k's own memory. */
static int store_cursor_seek(DBC *c, DBT *k, DBT *v, const void *key,
			     size_t len)
{
	k->data = xreallocarray(k->data, len ? len : 1, 1);
	memcpy(k->data, key, len);
	k->size = (uint32_t)len;
	return c->get(c, k, v, DB_SET_RANGE);
}

int store_dbwalk_range(struct store *st, DB_TXN *txn, enum store_dbi i,
		       const struct store_range *r, int flags,
		       int (*fn)(DBC *c, const DBT *key, const DBT *val,
				 void *arg),
		       void *arg)
{
	int reverse = flags & STORE_WALK_REVERSE;
	DBC *c = NULL;
	DBT k, v;
	int rc;

	if (st->cache_only)
		return STORE_MISS;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.flags = DB_DBT_REALLOC;
	/* Keys only: a partial read of no bytes copies nothing. */
	v.flags = (flags & STORE_WALK_KEYS) ? DB_DBT_PARTIAL : DB_DBT_REALLOC;
	rc = st->db[i]->cursor(st->db[i], txn, &c, 0);
	if (rc != 0)
		goto out;
	if (!reverse) {
		rc = r->lo_len > 0
			     ? store_cursor_seek(c, &k, &v, r->lo, r->lo_len)
			     : c->get(c, &k, &v, DB_FIRST);
	} else if (r->hi == NULL) {
		rc = c->get(c, &k, &v, DB_LAST);
	} else {
		/* The first key at or past hi, then one back. */
		rc = store_cursor_seek(c, &k, &v, r->hi, r->hi_len);
		if (rc == 0)
			rc = c->get(c, &k, &v, DB_PREV);
		else if (rc == DB_NOTFOUND)
			rc = c->get(c, &k, &v, DB_LAST);
	}
	while (rc == 0) {
		if (reverse ? store_keycmp(&k, r->lo, r->lo_len) < 0
			    : r->hi != NULL &&
				      store_keycmp(&k, r->hi, r->hi_len) >= 0)
			break;
		rc = fn(c, &k, &v, arg);
		if (rc != 0)
			break;
		rc = c->get(c, &k, &v, (reverse ? DB_PREV : DB_NEXT));
	}
	if (rc == DB_NOTFOUND || rc == 1)
		rc = 0;
out:
	if (c != NULL) {
		int crc = c->close(c);
		if (rc == 0)
			rc = crc;
	}
	free(k.data);
	/* A partial read (keys only) leaves the value in Berkeley DB's own
	 * memory, when it gives one at all. */
	if (!(flags & STORE_WALK_KEYS))
		free(v.data);
	return rc;
}

int store_dbwalk(struct store *st, DB_TXN *txn, enum store_dbi i,
		 const void *prefix, size_t prefix_len, int flags,
		 int (*fn)(DBC *c, const DBT *key, const DBT *val, void *arg),
		 void *arg)
{
	/* The keys with the prefix are those from it up to the prefix with
	 * its last byte raised (0xff bytes carried); all keys when it is
	 * empty or all 0xff. */
	struct store_range r = {prefix, prefix_len, NULL, 0};
	unsigned char *end = NULL;
	size_t n = prefix_len;
	int rc;

	if (prefix_len > 0) {
		end = xmalloc(prefix_len);
		memcpy(end, prefix, prefix_len);
		while (n > 0 && end[n - 1] == 0xff)
			n--;
		if (n > 0) {
			end[n - 1]++;
			r.hi = end;
			r.hi_len = n;
		}
	}
	rc = store_dbwalk_range(st, txn, i, &r, flags, fn, arg);
	free(end);
	return rc;
}

static int store_count_one(DBC *c, const DBT *key, const DBT *val, void *arg)
{
	(*(uint64_t *)arg)++;
	return 0;
}

int store_dbcount(struct store *st, DB_TXN *txn, enum store_dbi i,
		  uint64_t *n)
{
	*n = 0;
	return store_dbwalk(st, txn, i, NULL, 0, 0, store_count_one, n);
}
