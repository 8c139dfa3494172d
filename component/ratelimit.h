/*
 * ratelimit.h - token buckets per key (a sender, a reporter, a domain):
 * a rate per minute with a burst, or n per period (n per day, say).
 * Memory is bounded: when the table is full, the entry idle longest is
 * reused (a key idle long enough has a full bucket anyway).  Keys are
 * hashed with the process's keyed hash (strmap_hash()), so that nobody can
 * choose keys that push another key's bucket out.
 */
#ifndef BC_RATELIMIT_H
#define BC_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* rate: tokens added per minute; burst: the bucket's size; slots: how many
 * keys are tracked at once.  A rate of 0 means no limit. */
struct ratelimit *ratelimit_new(unsigned rate, unsigned burst, size_t slots);

/* n tokens per period_ms, all of them at once at most: a full bucket holds
 * n and refills evenly over the period.  n == 0 means no limit. */
struct ratelimit *ratelimit_new_period(unsigned n, int64_t period_ms,
				       size_t slots);
void ratelimit_free(struct ratelimit *rl);

/* Takes one token for key at now_ms; false when the bucket is empty. */
bool ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms);

/* Takes n tokens for key at now_ms, all or none; false (taking nothing)
 * when fewer are left. */
bool ratelimit_take_n(struct ratelimit *rl, const char *key, unsigned n,
		      int64_t now_ms);

/* Gives back one token taken for key (what it was taken for did not
 * happen after all); nothing when key is not tracked. */
void ratelimit_refund(struct ratelimit *rl, const char *key);

#endif
