/*
 * store-int.h - what the files of store/ share and nobody else sees: the
 * handle, the database table, the transaction runner and the value codec.
 * This is the only header that includes <db.h>.
 */
#ifndef BC_STORE_INT_H
#define BC_STORE_INT_H

#include <db.h>

#include "store/store.h"

/* The databases of the environment, in open order (primaries before the
 * secondary indexes associated with them).  docs/STORE.md lists the keys. */
/* Room for a peer name: a handle or an escaped address under D. */
#define STORE_ADDR_SIZE 3072

enum store_dbi {
	STORE_DB_META,
	STORE_DB_IDENTITIES,
	STORE_DB_LINKS,
	STORE_DB_LINKS_BY_HANDLE, /* secondary of LINKS */
	STORE_DB_TOKENS,
	STORE_DB_FOLLOWS,
	STORE_DB_FOLLOWERS, /* secondary of FOLLOWS */
	STORE_DB_RELATIONS,
	STORE_DB_REQUESTS,
	STORE_DB_HELD,
	STORE_DB_REQDAY,
	STORE_DB_ROOMS,
	STORE_DB_AFFILS,
	STORE_DB_ARCHIVE,
	STORE_DB_ARCHIVE_IDS, /* secondary of ARCHIVE */
	STORE_DB_EVIDENCE,
	STORE_DB_REPORTS,
	STORE_DB_SUBS,
	STORE_DB_ROOM_CONFIG,
	STORE_DB_OCCUPANTS,
	STORE_DB_N
};

struct strmap;

struct store {
	DB_ENV *env;
	DB *db[STORE_DB_N];
	char *path; /* NULL in memory */
	unsigned flags;
	uint32_t seq; /* tie-breaker for time-ordered keys */
	/* The batch (store_batch_begin): while batch_open, every call runs
	 * as a child of batch, a top-level transaction begun on first use.
	 * A deadlock in a child commits batch early (a split) so the other
	 * side can go on; batch_lost says part of the batch was lost. */
	DB_TXN *batch;
	bool batch_open;
	bool batch_lost;
	unsigned long batch_splits; /* early commits, for tests */
	/* Evidence appended per pair since its last prune in this process
	 * (pair key -> count): the prune walk runs every few appends, not
	 * on each (see store_evidence_add()). */
	struct strmap *ev_appends;
	/* Evidence appended during the open batch, written when it ends
	 * (store_evidence_drain()): one call for a pass's appends. */
	struct store_ev_pending *ev_pending;
	size_t ev_n, ev_cap;
	/* The batch's read cache (store/cache.c). */
	struct strmap *cache;
	unsigned long cache_hits; /* for tests */
	bool child_wrote;         /* the running child transaction wrote */
};

/* The read cache of a batch (store/cache.c).  Kinds of cached results: */
enum store_cache_kind {
	STORE_CACHE_LINK,     /* store_link_get */
	STORE_CACHE_IDENTITY, /* store_identity_get */
	STORE_CACHE_LINKS,    /* store_link_list */
	STORE_CACHE_RELATION, /* store_relation_get */
	STORE_CACHE_REQUEST,  /* store_request_get, absent ones only */
	STORE_CACHE_KNOWS,    /* store_knows */
};

/* A cached result of len bytes into out (and its return code); false when
 * there is none (or no batch is open). */
bool store_cache_get(struct store *st, int kind, const char *a, const char *b,
		     int *rc, void *out, size_t len);
/* The same, without copying: the cached bytes (valid until the next store
 * call) and their length, or NULL. */
const void *store_cache_peek(struct store *st, int kind, const char *a,
			     const char *b, int *rc, size_t *len);
/* Keeps a result for the rest of the batch (nothing outside a batch). */
void store_cache_put(struct store *st, int kind, const char *a, const char *b,
		     int rc, const void *data, size_t len);
/* Forgets everything cached. */
void store_cache_drop(struct store *st);
/* Called by every write: notes it and drops what it may change. */
void store_cache_wrote(struct store *st, enum store_dbi i);

/* The value format version byte that leads every value written now. */
#define STORE_V1 1

/* A body run inside a transaction (a child of the open batch's, if any).
 * It returns 0 to commit; a Berkeley DB code (DB_LOCK_DEADLOCK is retried,
 * DB_NOTFOUND becomes STORE_NOTFOUND) or a store code to abort.  A body
 * that must commit and still report an outcome puts the outcome in its
 * argument. */
int store_txn_run(struct store *st, const char *what,
		  int (*body)(struct store *st, DB_TXN *txn, void *arg),
		  void *arg);

/* The next tie-breaker for a (time, seq) key. */
uint32_t store_next_seq(struct store *st);

/* A growing byte buffer; aborts on out-of-memory. */
struct store_buf {
	unsigned char *p;
	size_t len, cap;
};

void store_buf_init(struct store_buf *b);
void store_buf_free(struct store_buf *b);
void store_buf_reset(struct store_buf *b);
void store_buf_put(struct store_buf *b, const void *p, size_t n);
void store_buf_u8(struct store_buf *b, uint8_t v);
void store_buf_be32(struct store_buf *b, uint32_t v);
void store_buf_be64(struct store_buf *b, uint64_t v);
/* A length-prefixed string in a value (be32 length, bytes); NULL is the
 * same as "". */
void store_buf_str(struct store_buf *b, const char *s);
/* A key part: the bytes and a NUL separator, so keys sort bytewise by their
 * first part, then by the next. */
void store_buf_key(struct store_buf *b, const char *s);

/* A reader over a value; any overrun sets bad and later reads return 0. */
struct store_rd {
	const unsigned char *p;
	size_t len, off;
	int bad;
};

void store_rd_init(struct store_rd *r, const void *p, size_t len);
uint8_t store_rd_u8(struct store_rd *r);
uint32_t store_rd_be32(struct store_rd *r);
uint64_t store_rd_be64(struct store_rd *r);
/* Returns a new NUL-terminated copy (caller frees). */
char *store_rd_str(struct store_rd *r);
/* Copies into buf (size bytes); too long sets bad. */
void store_rd_strbuf(struct store_rd *r, char *buf, size_t size);
/* Reads a key part (up to the next NUL or the end) into a new string. */
char *store_rd_key(struct store_rd *r);

uint64_t store_get_be64(const unsigned char *p);
void store_put_be64(unsigned char *p, uint64_t v);

void *store_xmalloc(size_t n);
void *store_xrealloc(void *p, size_t n);
char *store_xstrdup(const char *s);

/* Thin Berkeley DB helpers for bodies: they return 0 or a Berkeley DB code.
 * store_dbget() gives a malloc'd copy of the value in *val (*len bytes). */
int store_dbget(struct store *st, DB_TXN *txn, enum store_dbi i,
		const struct store_buf *key, unsigned char **val, size_t *len);
int store_dbput(struct store *st, DB_TXN *txn, enum store_dbi i,
		const struct store_buf *key, const struct store_buf *val,
		uint32_t flags);
int store_dbdel(struct store *st, DB_TXN *txn, enum store_dbi i,
		const struct store_buf *key);
/* Deletes every record whose key starts with prefix. */
int store_dbdel_prefix(struct store *st, DB_TXN *txn, enum store_dbi i,
		       const struct store_buf *prefix);

/* store_dbwalk() flags: newest (last key) first; keys only (fn sees an
 * empty value, and no value is read or copied). */
#define STORE_WALK_REVERSE 1
#define STORE_WALK_KEYS 2

/* A cursor walk over the keys starting with prefix, in key order (or as
 * flags say).  fn sees each key and value; it returns 0 to go on, 1 to
 * stop, or a Berkeley DB / store code to abort the walk with that code. */
int store_dbwalk(struct store *st, DB_TXN *txn, enum store_dbi i,
		 const void *prefix, size_t prefix_len, int flags,
		 int (*fn)(DBC *c, const DBT *key, const DBT *val, void *arg),
		 void *arg);

/* Counts the records of a database. */
int store_dbcount(struct store *st, DB_TXN *txn, enum store_dbi i,
		  uint64_t *n);

/* 0 when handle is an identity, DB_NOTFOUND when not. */
int store_identity_check(struct store *st, DB_TXN *txn, const char *handle);

/* Appends the evidence texts of sender -> recipient, oldest first, to the
 * NULL-terminated vector *strv of *n strings (NULL: a new one). */
int store_evidence_append(struct store *st, DB_TXN *txn, const char *sender,
			  const char *recipient, char ***strv, size_t *n);

/* Removes a room's configuration and occupants (store/roomstate.c). */
int store_roomstate_remove(struct store *st, DB_TXN *txn, const char *room);

/* One evidence append waiting for the end of the batch. */
struct store_ev_pending {
	char *a, *b; /* normalised sender and recipient */
	char *text;
	int64_t ms;
	uint32_t seq;
	unsigned max_count;
	int64_t max_age_ms;
};

/* Writes the pending evidence appends in one transaction and trims each
 * pair's log once (store/relation.c).  Called when a batch ends and
 * before evidence is read. */
int store_evidence_drain(struct store *st);

/* Reads the value format version byte; STORE_EFORMAT for one we don't
 * know. */
int store_rd_version(struct store_rd *r);

#endif
