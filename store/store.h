/*
 * store.h - the only door to the Berkeley DB store.  Nothing outside store/
 * includes <db.h>: callers see an opaque handle and small typed functions.
 * See docs/STORE.md for the databases, keys and value formats.
 *
 * Return codes: 0 ok, STORE_NOTFOUND (positive) for a missing record,
 * negative on failure (already logged once with db_strerror).
 */
#ifndef BC_STORE_H
#define BC_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_NOTFOUND 1

enum store_err {
	STORE_OK = 0,
	STORE_EFAIL = -1,      /* Berkeley DB failure (logged) */
	STORE_EEXIST = -2,     /* duplicate key where one is not allowed */
	STORE_EINVAL = -3,     /* bad argument */
	STORE_EFORMAT = -4,    /* a stored value of an unknown format version */
	STORE_ELIMIT = -5,     /* a configured cap was reached */
};

struct store;

enum store_open_flags {
	STORE_IN_MEMORY = 1 << 0, /* private in-memory environment (tests) */
	STORE_SYNC_EACH = 1 << 1, /* flush every commit on its own (benchmark) */
};

/* Opens (creating on first use) the transactional environment at path,
 * running recovery safely with other processes (DB_REGISTER|DB_RECOVER).
 * Returns 0 and a handle in *out, or a negative code. */
int store_open(const char *path, unsigned flags, struct store **out);

/* Flushes, checkpoints and closes; accepts NULL. */
void store_close(struct store *st);

/* Group commit: makes every transaction committed so far durable with one
 * log flush.  The daemon calls it once per event-loop pass before it sends
 * the stanzas that reveal those transactions. */
int store_flush(struct store *st);

/* Periodic upkeep: checkpoint and remove logs no longer needed. */
int store_maintain(struct store *st);

#endif
