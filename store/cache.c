/*
 * cache.c - the read cache of a batch.
 *
 * While a batch is open, every record a call of it reads stays locked by
 * the batch until the batch ends (a child transaction's locks pass to its
 * parent when it commits; a read-only child that found nothing commits
 * too, so the lock on the place where the record would be passes on as
 * well), so no other process can change it in between.  What the reads of
 * records marked cached (store/record.c) found is therefore kept for the
 * rest of the batch: the value bytes of a record, or "not found", by
 * database and key, and whole walks over one prefix.  This process's own
 * writes drop everything (store_dbput() and friends, except on the
 * evidence and archive logs, which no cached read looks at), and so do a
 * child transaction that wrote or read into the cache and then aborted
 * (its locks are gone), a split, and the end of the batch.  Outside a
 * batch nothing is cached.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "component/strmap.h"
#include "component/xmalloc.h"
#include "store/store-int.h"

/* Past this many entries the cache starts again (a pass rarely gets
 * near it). */
#define STORE_CACHE_MAX 4096

struct store_cached {
	int rc;
	size_t len;
	unsigned char data[];
};

bool store_cache_get(struct store *st, const char *key, int *rc,
		     const void **val, size_t *len)
{
	const struct store_cached *c;

	if (!st->batch_open || st->cache == NULL)
		return false;
	c = strmap_get(st->cache, key);
	if (c == NULL)
		return false;
	*rc = c->rc;
	*val = c->data;
	*len = c->len;
	return true;
}

void store_cache_put(struct store *st, const char *key, int rc,
		     const void *val, size_t len)
{
	struct store_cached *c;

	if (!st->batch_open)
		return;
	if (st->cache == NULL || strmap_count(st->cache) >= STORE_CACHE_MAX)
		store_cache_drop(st);
	if (st->cache == NULL)
		st->cache = strmap_new(free);
	c = xmalloc(sizeof(*c) + len + 1);
	c->rc = rc;
	c->len = len;
	if (len > 0)
		memcpy(c->data, val, len);
	strmap_put(st->cache, key, c);
	st->child_cached = true;
}

void store_cache_drop(struct store *st)
{
	strmap_free(st->cache);
	st->cache = NULL;
}

void store_cache_wrote(struct store *st, enum store_dbi i)
{
	st->child_wrote = true;
	/* The evidence log is never revealed by what a pass sends: the
	 * pass need not wait for the disk for it (store_flush()). */
	if (i != STORE_DB_EVIDENCE)
		st->durable_due = true;
	if (i != STORE_DB_EVIDENCE && i != STORE_DB_ARCHIVE &&
	    i != STORE_DB_ARCHIVE_IDS)
		store_cache_drop(st);
}
