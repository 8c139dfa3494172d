/*
 * strmap.h - a hash map from strings to pointers, for the component's
 * in-memory state (who is online, who subscribed).  Keys are copied;
 * values are the caller's, freed by the free function given at creation.
 */
#ifndef BC_STRMAP_H
#define BC_STRMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strmap;

/* SipHash-1-3 of s under a random key drawn once per process: for any
 * table whose keys come from outside, so that nobody can choose keys that
 * collide. */
uint64_t strmap_hash(const char *s);

/* value_free (may be NULL) is called on values that are removed,
 * replaced or left at strmap_free(). */
struct strmap *strmap_new(void (*value_free)(void *));
void strmap_free(struct strmap *m);

/* The value for key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);

/* Sets key to value (replacing and freeing an old value). */
void strmap_put(struct strmap *m, const char *key, void *value);

/* Removes key (freeing its value); true when it was there. */
bool strmap_del(struct strmap *m, const char *key);

size_t strmap_count(const struct strmap *m);

/* Calls fn for every entry, in no particular order; fn must not change
 * the map. */
void strmap_each(const struct strmap *m,
		 void (*fn)(const char *key, void *value, void *arg),
		 void *arg);

#endif
