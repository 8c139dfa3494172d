/*
 * ratelimit.c - token buckets in an open-addressing table.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "component/ratelimit.h"
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
	unsigned rate;
	unsigned burst;
	size_t n;
	struct rl_slot *slots;
};

static uint64_t rl_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct ratelimit *ratelimit_new(unsigned rate, unsigned burst, size_t slots)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	rl->rate = rate;
	rl->burst = burst > 0 ? burst : 1;
	rl->n = slots > RL_PROBE ? slots : RL_PROBE;
	rl->slots = xcalloc(rl->n, sizeof(*rl->slots));
	return rl;
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

/* The slot for key: its own, else an empty one, else the idlest probed. */
static struct rl_slot *rl_find(struct ratelimit *rl, const char *key,
			       uint64_t h)
{
	struct rl_slot *victim = NULL;
	size_t i;

	for (i = 0; i < RL_PROBE; i++) {
		struct rl_slot *s = &rl->slots[(h + i) % rl->n];

		if (s->key != NULL && s->hash == h && strcmp(s->key, key) == 0)
			return s;
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

bool ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	struct rl_slot *s;

	if (rl->rate == 0)
		return true;
	s = rl_find(rl, key, rl_hash(key));
	if (s->last_ms != 0 && now_ms > s->last_ms) {
		s->tokens += (double)(now_ms - s->last_ms) * rl->rate / 60000.0;
		if (s->tokens > rl->burst)
			s->tokens = rl->burst;
	}
	s->last_ms = now_ms;
	if (s->tokens < 1.0)
		return false;
	s->tokens -= 1.0;
	return true;
}
