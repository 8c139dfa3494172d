/*
 * store-int.h - what the files of store/ share and nobody else sees: the
 * handle, the database table, the transaction runner and the value codec.
 * This is the only header that includes <db.h>.
 */
#ifndef BC_STORE_INT_H
#define BC_STORE_INT_H

#include <db.h>

#include "component/xmalloc.h"
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
	STORE_DB_CHANGES,
	STORE_DB_SANCTIONS,
	STORE_DB_REPORTS_BY_ADDR, /* secondary of REPORTS */
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
	/* The databases could not be opened again (store_repl_refresh()):
	 * every call fails until the process restarts. */
	bool handles_lost;
	unsigned long batch_splits; /* early commits, for tests */
	/* The open savepoint (store_savepoint_begin): calls run as its
	 * children; save_lost once a deadlock aborted it. */
	DB_TXN *save;
	bool save_open;
	bool save_lost;
	size_t save_ev_n; /* ev_n when it began: appends after are its own */
	/* The bulk run (store_bulk_begin): calls run in bulk itself. */
	DB_TXN *bulk;
	bool bulk_failed;
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
	unsigned long cache_hits; /* reads answered by the cache alone */
	bool child_wrote;         /* the running child transaction wrote */
	/* Something was written since the last log flush that the next
	 * flush must make durable before the pass's stanzas leave; and when
	 * the oldest write not yet flushed that could wait (the evidence
	 * log) was committed (0: none). */
	bool durable_due;
	int64_t lazy_since_ms;
	unsigned long log_flushes; /* for tests */
	bool child_cached;        /* ... or kept a read in the cache */
	bool cache_only;          /* store_read(): reads from the cache alone */
	bool read_only;           /* ... or with read locks */
	/* A site of a replication group (store/repl.c), or NULL. */
	struct store_repl *repl;
};

/* store/repl.c: the replication group, when store_open_repl() was given
 * one.  Configures the environment before it opens, starts the
 * replication manager after, and waits until this site knows its role. */
struct store_repl;
int store_repl_configure(struct store *st);
int store_repl_start(struct store *st);
/* Databases may be created here (no group, or this site is the master). */
bool store_repl_may_create(const struct store *st);
/* Says why a site's environment would not open (EINVAL): its regions
 * were made without replication. */
void store_repl_explain_einval(const struct store *st);
/* A database open that may succeed later on a replica still syncing. */
bool store_repl_retry_open(struct store *st, int rc);
/* The master's daemon made its writes durable (store_flush()): the end
 * of the log is where they left it (store_repl_pulse() sends it again
 * only after another process's writes). */
void store_repl_flushed(struct store *st);
/* The databases are opened again in a running process
 * (store_repl_refresh()): store_repl_retry_open() waits seconds, anew. */
void store_repl_reopening(struct store *st);
/* Commits not acknowledged by a quorum since the last call. */
unsigned long store_repl_perm_failed(struct store *st);
void store_repl_free(struct store_repl *r);
/* store_open() with the group r (NULL: none), which the handle takes. */
int store_open_with(const char *path, unsigned flags, struct store_repl *r,
		    struct store **out);
/* Closes and reopens the databases alone (store_repl_refresh()). */
int store_open_dbs(struct store *st);
void store_close_dbs(struct store *st);

/* The read cache of a batch (store/cache.c), by a string made of the
 * database and the key (store/record.c makes it): the value a read found
 * (rc 0, or DB_NOTFOUND and no bytes), or the entries of a walk.
 * store_cache_get() gives the cached bytes (valid until the next write);
 * false when there are none (or no batch is open). */
#define STORE_CACHE_KEY 4096
bool store_cache_get(struct store *st, const char *key, int *rc,
		     const void **val, size_t *len);
/* Keeps a result for the rest of the batch (nothing outside a batch). */
void store_cache_put(struct store *st, const char *key, int rc,
		     const void *val, size_t len);
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

/* A growing byte buffer; aborts on out-of-memory.  Its bytes start in the
 * struct itself: never copy one, and copy b->p before store_buf_free(). */
struct store_buf {
	unsigned char *p;
	size_t len, cap;
	unsigned char small[128]; /* p until it needs more: most keys fit */
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

/* A range of keys, [lo, hi): lo_len 0 is the first key, hi NULL past
 * the last. */
struct store_range {
	const void *lo;
	size_t lo_len;
	const void *hi;
	size_t hi_len;
};

/* store_dbwalk() over the keys of a range, from lo up (or, with
 * STORE_WALK_REVERSE, from just before hi down). */
int store_dbwalk_range(struct store *st, DB_TXN *txn, enum store_dbi i,
		       const struct store_range *r, int flags,
		       int (*fn)(DBC *c, const DBT *key, const DBT *val,
				 void *arg),
		       void *arg);

/* Berkeley DB's default key order: k against the len bytes at b (<0, 0,
 * >0). */
int store_keycmp(const DBT *k, const void *b, size_t len);

/* Counts the records of a database. */
int store_dbcount(struct store *st, DB_TXN *txn, enum store_dbi i,
		  uint64_t *n);

/* 0 when handle is an identity, DB_NOTFOUND when not. */
int store_identity_check(struct store *st, DB_TXN *txn, const char *handle);

/* Removes identity handle and everything it leaves (store_identity_remove())
 * inside txn: 0, DB_NOTFOUND when there is no such identity, or a
 * Berkeley DB code. */
int store_identity_remove_txn(struct store *st, DB_TXN *txn,
			      const char *handle);

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

/* Notes in txn that what name names (of kind) changed, for a running
 * daemon (store/changes.c).  Returns 0 or a Berkeley DB code. */
int store_change_note(struct store *st, DB_TXN *txn,
		      enum store_change_kind kind, const char *name);

/* Reads the value format version byte; STORE_EFORMAT for one we don't
 * know. */
int store_rd_version(struct store_rd *r);

/*
 * Records (store/record.c): each stored record is one descriptor, its
 * database, its key parts and its value fields, over a C struct that
 * holds them (a public one, or one of store/ of its own).  Every public
 * function normalises its arguments and calls the generic operations
 * below; docs/STORE.md, "Adding a record", shows how.
 */
enum store_ftype {
	STORE_F_END = 0,
	STORE_F_U8,   /* an unsigned integer member (of any width) as a u8 */
	STORE_F_BOOL, /* a bool as a u8, 0 or 1 */
	STORE_F_BE32, /* an integer member as a big-endian u32 */
	STORE_F_BE64, /* ... as a big-endian u64 */
	STORE_F_STR,  /* a char * (NULL reads as ""): in a value a be32
		       * length and the bytes; in a key the bytes, then a NUL
		       * unless it is the key's last part */
	STORE_F_BUF,  /* a char array, the same way */
	STORE_F_STRV, /* a NULL-terminated char ** (values only): be32 count,
		       * then each string */
	STORE_F_NUL,  /* an empty last key part (no member): the string part
		       * before it keeps its NUL, as in "handle \0" */
	STORE_F_OPT,  /* values only, no member: the fields after it are
		       * optional.  A value may end just before them (they
		       * read as zero), and they are left out when all of
		       * them are zero or empty, so a record that does not
		       * use them keeps the bytes it had before they were
		       * added (docs/STORE.md, "Adding a field") */
	STORE_F_ADDR, /* index keys only: a char * member as the address it
		       * names, lower-cased and cut at its first '/' (the
		       * bare form of a JID; a node as it is) */
};

struct store_field {
	uint16_t type, width, off;
};

/* A field of member m of struct type T. */
#define STORE_FIELD(t, T, m) {(t), sizeof(((T *)0)->m), offsetof(T, m)}
#define STORE_FIELD_END {STORE_F_END, 0, 0}
#define STORE_FIELD_NUL {STORE_F_NUL, 0, 0}
#define STORE_FIELD_OPT {STORE_F_OPT, 0, 0}

/* Room for any record's struct on the stack. */
#define STORE_REC_MAX 1024

struct store_rec {
	enum store_dbi db;
	bool cached; /* reads go through the batch's read cache */
	size_t size; /* sizeof the struct */
	const struct store_field *key, *val;
	/* A secondary index of the database, if any: its key's parts, made
	 * of the record's members (store/env.c builds it on every put). */
	enum store_dbi index;
	const struct store_field *ikey;
};

/* The records more than one file uses. */
struct store_link_rec {
	char *jid; /* bare */
	char handle[STORE_HANDLE_SIZE];
	int64_t ms;
};

/* A message of a room's archive. */
struct store_archive_rec {
	char *room;
	struct store_archive_msg m;
};

extern const struct store_rec store_rec_identity, store_rec_link,
	store_rec_follow, store_rec_relation, store_rec_room, store_rec_archive,
	store_rec_report;

/* A room's name as the store keeps it (lower-cased, no '@' or '/', at
 * most 1023 bytes) into out: 0 or STORE_EINVAL. */
int store_room_norm(const char *in, char out[STORE_ADDR_SIZE]);

/* The key of rec (its first nparts parts, each string part with its NUL:
 * the prefix of the keys that start with them; 0: the whole key),
 * appended to k. */
void store_rec_key(const struct store_rec *r, const void *rec, size_t nparts,
		   struct store_buf *k);
/* The value of rec, the version byte first, appended to v. */
void store_rec_encode(const struct store_rec *r, const void *rec,
		      struct store_buf *v);
/* A whole record from its key and value bytes into out (zeroed first):
 * 0 or STORE_EFORMAT (then out may hold strings: store_rec_clear()). */
int store_rec_decode(const struct store_rec *r, const void *key, size_t klen,
		     const void *val, size_t vlen, void *out);
/* The key of r's secondary index for the record of key and val, into k:
 * 0 or STORE_EFORMAT. */
int store_rec_index_key(const struct store_rec *r, const void *key,
			size_t klen, const void *val, size_t vlen,
			struct store_buf *k);
/* Frees the string members of rec and zeroes it; accepts NULL. */
void store_rec_clear(const struct store_rec *r, void *rec);
/* Clears n records of an array and frees it; accepts NULL. */
void store_rec_list_free(const struct store_rec *r, void *v, size_t n);

/* Inside a body; each returns 0 or a Berkeley DB code (DB_NOTFOUND, ...)
 * or STORE_EFORMAT.  store_rec_get() reads the record whose key rec's key
 * members give into rec's value members (their strings freed first). */
int store_rec_get(struct store *st, DB_TXN *txn, const struct store_rec *r,
		  void *rec);
/* Reads by the secondary index: the record whose index key rec's members
 * give, the whole of it into rec (zeroed first: rec's strings are then
 * its own, store_rec_clear()), and its primary key appended to pkey
 * (may be NULL). */
int store_rec_get_index(struct store *st, DB_TXN *txn,
			const struct store_rec *r, void *rec,
			struct store_buf *pkey);
/* 0 when the record keyrec's key names exists, DB_NOTFOUND when not. */
int store_rec_exists(struct store *st, DB_TXN *txn, const struct store_rec *r,
		     const void *keyrec);
int store_rec_put(struct store *st, DB_TXN *txn, const struct store_rec *r,
		  const void *rec, uint32_t flags);
/* Deletes the record of rec's key, or with nparts > 0 every record whose
 * key starts with rec's first nparts parts. */
int store_rec_del(struct store *st, DB_TXN *txn, const struct store_rec *r,
		  const void *rec, size_t nparts);

/* A walk's callback: rec is the decoded record (fn may take its strings
 * and zero them; the rest is freed after it) and c the cursor on it (NULL
 * when the walk comes from the cache).  It returns 0 to go on, 1 to stop,
 * or a code that ends the walk with it. */
typedef int store_rec_fn(DBC *c, void *rec, void *arg);

/* store_rec_walk() flag: walk the record's secondary index (r->index,
 * the prefix made of r->ikey), decoding each primary record. */
#define STORE_WALK_INDEX 4

/* Walks the records whose key starts with keyrec's first nparts parts
 * (keyrec NULL: every record), in key order or as flags say. */
int store_rec_walk(struct store *st, DB_TXN *txn, const struct store_rec *r,
		   const void *keyrec, size_t nparts, int flags,
		   store_rec_fn *fn, void *arg);
/* The same walk's records, those keep() takes (keep NULL: all), into a
 * new array (store_rec_list_free()). */
int store_rec_list(struct store *st, DB_TXN *txn, const struct store_rec *r,
		   const void *keyrec, size_t nparts, int flags,
		   bool (*keep)(const void *rec, void *arg), void *arg,
		   void **out, size_t *n);
/* The member at off (size bytes) of each of n records, as a new array
 * with a zeroed element after them (a string member gives a
 * NULL-terminated vector); the records' array is freed. */
void *store_rec_project(const struct store_rec *r, void *v, size_t n,
			size_t off, size_t size);

/* A transaction as a table of steps on records, run in order until one
 * fails; the table ends with an entry whose r and fn are NULL. */
enum store_op {
	STORE_GET,    /* read into rec; DB_NOTFOUND when there is none */
	STORE_NEED,   /* the record must exist: DB_NOTFOUND otherwise */
	STORE_ABSENT, /* ... must not: DB_KEYEXIST otherwise */
	STORE_PUT,    /* write rec */
	STORE_ADD,    /* write rec, DB_KEYEXIST when its key is taken */
	STORE_DEL,    /* delete (nparts: a prefix); DB_NOTFOUND if none */
	STORE_DROP,   /* delete if it is there */
	STORE_CALL,   /* fn(st, txn, rec) */
};

struct store_step {
	enum store_op op;
	const struct store_rec *r;
	void *rec;
	size_t nparts;
	int (*fn)(struct store *st, DB_TXN *txn, void *arg);
};

#define STORE_STEP(op, r, rec) {(op), (r), (rec), 0, NULL}
#define STORE_STEPS_END {STORE_GET, NULL, NULL, 0, NULL}

int store_steps(struct store *st, const char *what,
		const struct store_step *steps);

/* Returned by reads when store_read() asks the cache alone and it does
 * not hold what they need. */
#define STORE_MISS 99

/* Runs a body that only reads: in a batch, first from the read cache
 * alone with no transaction (store_rec_get() and store_rec_walk() give
 * STORE_MISS for what is not cached), then, on a miss, as
 * store_txn_run().  The body must reset its outputs when it starts. */
int store_read(struct store *st, const char *what,
	       int (*body)(struct store *st, DB_TXN *txn, void *arg),
	       void *arg);
int store_read_steps(struct store *st, const char *what,
		     const struct store_step *steps);

/* store_rec_list() in a read of its own (store_read()). */
int store_list(struct store *st, const char *what, const struct store_rec *r,
	       const void *keyrec, size_t nparts, int flags,
	       bool (*keep)(const void *rec, void *arg), void *keep_arg,
	       void **out, size_t *n);
/* The same as a string vector of the member at off (store_rec_project()). */
int store_list_strv(struct store *st, const char *what,
		    const struct store_rec *r, const void *keyrec,
		    size_t nparts, int flags,
		    bool (*keep)(const void *rec, void *arg), size_t off,
		    char ***out);

/* Lower-cases an address (a handle, an escaped address under D, a room's
 * node, a bare JID as given) into out: 0, or STORE_EINVAL when it is empty
 * or too long. */
int store_addr_norm(const char *in, char out[STORE_ADDR_SIZE]);

#endif
