/*
 * cache.c - the read cache of a batch.
 *
 * While a batch is open, every record a call of it reads stays locked by
 * the batch until the batch ends (a child transaction's locks pass to its
 * parent when it commits, and reads take write locks: DB_RMW; a read-only
 * child that found nothing commits too, so the lock on the place where the
 * record would be passes on as well), so no other process can change it
 * in between.  The results of the reads the relay
 * makes for every message (links, identities, relationships, "knows",
 * pending requests) are therefore kept for the rest of the batch.  This
 * process's own writes drop them (store_dbput() and friends, except on the
 * evidence and archive logs, which no cached read looks at), and so do a
 * child transaction that wrote and aborted, a split, and the end of the
 * batch.  Outside a batch nothing is cached.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/strmap.h"
#include "store/store-int.h"

/* Past this many entries the cache starts again (a pass rarely gets
 * near it). */
#define STORE_CACHE_MAX 4096

struct store_cached {
	int rc;
	size_t len;
	unsigned char data[];
};

/* "kind \x1f a \x1f b" into buf (size >= 2 * STORE_ADDR_SIZE + 16), with
 * memcpy rather than a format: every relayed message looks up several. */
static char *store_cache_key(int kind, const char *a, const char *b,
			     char *buf, size_t size)
{
	size_t la = strnlen(a, STORE_ADDR_SIZE);
	size_t lb = b ? strnlen(b, STORE_ADDR_SIZE) : 0;
	char *p = buf;

	(void)size;
	*p++ = (char)('A' + kind);
	*p++ = '\x1f';
	memcpy(p, a, la);
	p += la;
	*p++ = '\x1f';
	memcpy(p, b, lb);
	p[lb] = '\0';
	return buf;
}

bool store_cache_get(struct store *st, int kind, const char *a, const char *b,
		     int *rc, void *out, size_t len)
{
	char key[2 * STORE_ADDR_SIZE + 16];
	const struct store_cached *c;

	if (!st->batch_open || st->cache == NULL)
		return false;
	c = strmap_get(st->cache, store_cache_key(kind, a, b, key, sizeof(key)));
	if (c == NULL || c->len != len)
		return false;
	*rc = c->rc;
	if (len > 0)
		memcpy(out, c->data, len);
	st->cache_hits++;
	return true;
}

const void *store_cache_peek(struct store *st, int kind, const char *a,
			     const char *b, int *rc, size_t *len)
{
	char key[2 * STORE_ADDR_SIZE + 16];
	const struct store_cached *c;

	if (!st->batch_open || st->cache == NULL)
		return NULL;
	c = strmap_get(st->cache, store_cache_key(kind, a, b, key, sizeof(key)));
	if (c == NULL)
		return NULL;
	*rc = c->rc;
	*len = c->len;
	st->cache_hits++;
	return c->data;
}

void store_cache_put(struct store *st, int kind, const char *a, const char *b,
		     int rc, const void *data, size_t len)
{
	char key[2 * STORE_ADDR_SIZE + 16];
	struct store_cached *c;

	if (!st->batch_open)
		return;
	if (st->cache == NULL || strmap_count(st->cache) >= STORE_CACHE_MAX)
		store_cache_drop(st);
	if (st->cache == NULL)
		st->cache = strmap_new(free);
	c = store_xmalloc(sizeof(*c) + len + 1);
	c->rc = rc;
	c->len = len;
	if (len > 0)
		memcpy(c->data, data, len);
	strmap_put(st->cache, store_cache_key(kind, a, b, key, sizeof(key)), c);
}

void store_cache_drop(struct store *st)
{
	strmap_free(st->cache);
	st->cache = NULL;
}

void store_cache_wrote(struct store *st, enum store_dbi i)
{
	st->child_wrote = true;
	if (i != STORE_DB_EVIDENCE && i != STORE_DB_ARCHIVE &&
	    i != STORE_DB_ARCHIVE_IDS)
		store_cache_drop(st);
}
