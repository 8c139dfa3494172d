/*
 * strmap.c - chained hash map with doubling (see strmap.h).
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "component/strmap.h"
#include "component/xmalloc.h"

struct strmap_entry {
	struct strmap_entry *next;
	uint64_t hash;
	void *value;
	char key[];
};

struct strmap {
	struct strmap_entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	void (*value_free)(void *);
};

static uint64_t strmap_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct strmap *strmap_new(void (*value_free)(void *))
{
	struct strmap *m = xcalloc(1, sizeof(*m));

	m->nbuckets = 64;
	m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
	m->value_free = value_free;
	return m;
}

void strmap_free(struct strmap *m)
{
	struct strmap_entry *e, *next;
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			if (m->value_free != NULL)
				m->value_free(e->value);
			free(e);
		}
	}
	free(m->buckets);
	free(m);
}

static struct strmap_entry **strmap_slot(const struct strmap *m,
					 const char *key, uint64_t h)
{
	struct strmap_entry **p = &m->buckets[h & (m->nbuckets - 1)];

	while (*p != NULL && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
		p = &(*p)->next;
	return p;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_entry *e = *strmap_slot(m, key, strmap_hash(key));

	return e ? e->value : NULL;
}

static void strmap_grow(struct strmap *m)
{
	size_t n = m->nbuckets * 2, i;
	struct strmap_entry **b = xcalloc(n, sizeof(*b)), *e, *next;

	for (i = 0; i < m->nbuckets; i++) {
		for (e = m->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

void strmap_put(struct strmap *m, const char *key, void *value)
{
	uint64_t h = strmap_hash(key);
	struct strmap_entry **p = strmap_slot(m, key, h), *e;
	size_t len;

	if (*p != NULL) {
		if (m->value_free != NULL && (*p)->value != value)
			m->value_free((*p)->value);
		(*p)->value = value;
		return;
	}
	len = strlen(key);
	e = xmalloc(sizeof(*e) + len + 1);
	memcpy(e->key, key, len + 1);
	e->hash = h;
	e->value = value;
	e->next = NULL;
	*p = e;
	if (++m->count > m->nbuckets)
		strmap_grow(m);
}

bool strmap_del(struct strmap *m, const char *key)
{
	struct strmap_entry **p = strmap_slot(m, key, strmap_hash(key)), *e;

	if (*p == NULL)
		return false;
	e = *p;
	*p = e->next;
	if (m->value_free != NULL)
		m->value_free(e->value);
	free(e);
	m->count--;
	return true;
}

size_t strmap_count(const struct strmap *m)
{
	return m->count;
}

void strmap_each(const struct strmap *m,
		 void (*fn)(const char *key, void *value, void *arg), void *arg)
{
	struct strmap_entry *e;
	size_t i;

	for (i = 0; i < m->nbuckets; i++)
		for (e = m->buckets[i]; e != NULL; e = e->next)
			fn(e->key, e->value, arg);
}
