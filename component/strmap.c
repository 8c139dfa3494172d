/*
 * strmap.c - chained hash map with doubling (see strmap.h).
 */
#include <config.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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

/* The keys of the maps come from outside (JIDs, ids): the hash is keyed
 * with a random key drawn once per process, so that nobody can choose
 * keys that collide.  SipHash-1-3 (Aumasson and Bernstein): short keys,
 * a few dozen instructions more than an unkeyed hash. */
static uint64_t strmap_key[2];
static bool strmap_keyed;

static void strmap_seed(void)
{
	unsigned char b[16];
	size_t i;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* No entropy to be had: a key from the clock and the
		 * address space still differs between processes. */
		uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)getpid();

		memcpy(b, &t, 8);
		t ^= (uint64_t)(uintptr_t)&t;
		memcpy(b + 8, &t, 8);
	}
	for (i = 0; i < 8; i++) {
		strmap_key[0] = (strmap_key[0] << 8) | b[i];
		strmap_key[1] = (strmap_key[1] << 8) | b[8 + i];
	}
	strmap_keyed = true;
}

#define STRMAP_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define STRMAP_ROUND(v0, v1, v2, v3)                                           \
	do {                                                                   \
		v0 += v1;                                                      \
		v1 = STRMAP_ROTL(v1, 13);                                      \
		v1 ^= v0;                                                      \
		v0 = STRMAP_ROTL(v0, 32);                                      \
		v2 += v3;                                                      \
		v3 = STRMAP_ROTL(v3, 16);                                      \
		v3 ^= v2;                                                      \
		v0 += v3;                                                      \
		v3 = STRMAP_ROTL(v3, 21);                                      \
		v3 ^= v0;                                                      \
		v2 += v1;                                                      \
		v1 = STRMAP_ROTL(v1, 17);                                      \
		v1 ^= v2;                                                      \
		v2 = STRMAP_ROTL(v2, 32);                                      \
	} while (0)

uint64_t strmap_hash(const char *s)
{
	uint64_t v0, v1, v2, v3, m;
	size_t len = strlen(s), i, left;
	const unsigned char *p = (const unsigned char *)s;

	if (!strmap_keyed)
		strmap_seed();
	v0 = strmap_key[0] ^ 0x736f6d6570736575ULL;
	v1 = strmap_key[1] ^ 0x646f72616e646f6dULL;
	v2 = strmap_key[0] ^ 0x6c7967656e657261ULL;
	v3 = strmap_key[1] ^ 0x7465646279746573ULL;
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8); /* little-endian hosts: as specified */
		v3 ^= m;
		STRMAP_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	m = (uint64_t)len << 56;
	for (left = 0; i + left < len; left++)
		m |= (uint64_t)p[i + left] << (8 * left);
	v3 ^= m;
	STRMAP_ROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	STRMAP_ROUND(v0, v1, v2, v3);
	STRMAP_ROUND(v0, v1, v2, v3);
	STRMAP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
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
