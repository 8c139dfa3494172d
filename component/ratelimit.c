/*
 * ratelimit.c - token buckets in an open-addressing table.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "component/ratelimit.h"
#include "component/strmap.h"
#include "component/xmalloc.h"

/* How far a lookup probes before it gives up and reuses a slot. */
#define RL_PROBE 8

struct rl_slot {
	uint64_t hash;
	char *key;
	double tokens;
	int64_t last_ms;
};

struct ratelimit {
	double per_ms; /* tokens added per millisecond; 0: no limit */
	unsigned burst;
	size_t n;
	struct rl_slot *slots;
};

static struct ratelimit *rl_alloc(double per_ms, unsigned burst, size_t slots)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	rl->per_ms = per_ms;
	rl->burst = burst > 0 ? burst : 1;
	rl->n = slots > RL_PROBE ? slots : RL_PROBE;
	rl->slots = xcalloc(rl->n, sizeof(*rl->slots));
	return rl;
}

struct ratelimit *ratelimit_new(unsigned rate, unsigned burst, size_t slots)
{
	return rl_alloc(rate / 60000.0, burst, slots);
}

struct ratelimit *ratelimit_new_period(unsigned n, int64_t period_ms,
				       size_t slots)
{
	return rl_alloc(period_ms > 0 ? (double)n / (double)period_ms : 0, n,
			slots);
}

void ratelimit_free(struct ratelimit *rl)
{
	size_t i;

	if (rl == NULL)
		return;
	for (i = 0; i < rl->n; i++)
		free(rl->slots[i].key);
	free(rl->slots);
	free(rl);
}

/* The slot of key, or NULL when it is not tracked. */
static struct rl_slot *rl_lookup(struct ratelimit *rl, const char *key,
				 uint64_t h)
{
	size_t i;

	for (i = 0; i < RL_PROBE; i++) {
		struct rl_slot *s = &rl->slots[(h + i) % rl->n];

		if (s->key != NULL && s->hash == h && strcmp(s->key, key) == 0)
			return s;
	}
	return NULL;
}

/* The slot for key: its own, else an empty one, else the idlest probed. */
static struct rl_slot *rl_find(struct ratelimit *rl, const char *key,
			       uint64_t h)
{
	struct rl_slot *victim = NULL;
	size_t i;

	if ((victim = rl_lookup(rl, key, h)) != NULL)
		return victim;
	for (i = 0; i < RL_PROBE; i++) {
		struct rl_slot *s = &rl->slots[(h + i) % rl->n];

		if (s->key == NULL) {
			if (victim == NULL || victim->key != NULL)
				victim = s;
		} else if (victim == NULL ||
			   (victim->key != NULL && s->last_ms < victim->last_ms)) {
			victim = s;
		}
	}
	free(victim->key);
	victim->key = xstrdup(key);
	victim->hash = h;
	victim->tokens = rl->burst;
	victim->last_ms = 0;
	return victim;
}

bool ratelimit_take_n(struct ratelimit *rl, const char *key, unsigned n,
		      int64_t now_ms)
{
	struct rl_slot *s;

	if (rl->per_ms == 0)
		return true;
	s = rl_find(rl, key, strmap_hash(key));
	if (s->last_ms != 0 && now_ms > s->last_ms) {
		s->tokens += (double)(now_ms - s->last_ms) * rl->per_ms;
		if (s->tokens > rl->burst)
			s->tokens = rl->burst;
	}
	s->last_ms = now_ms;
	if (s->tokens < (double)n)
		return false;
	s->tokens -= (double)n;
	return true;
}

bool ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	return ratelimit_take_n(rl, key, 1, now_ms);
}

void ratelimit_refund(struct ratelimit *rl, const char *key)
{
	struct rl_slot *s;

	if (rl->per_ms == 0 ||
	    (s = rl_lookup(rl, key, strmap_hash(key))) == NULL)
		return;
	s->tokens += 1.0;
	if (s->tokens > rl->burst)
		s->tokens = rl->burst;
}
