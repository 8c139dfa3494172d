/*
 * ratelimit.h - per-sender token buckets: rate per minute with a burst.
 * Memory is bounded: when the table is full, the entry idle longest is
 * reused (a sender idle long enough has a full bucket anyway).
 */
#ifndef BC_RATELIMIT_H
#define BC_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ratelimit;

/* rate: tokens added per minute; burst: the bucket's size; slots: how many
 * senders are tracked at once. */
struct ratelimit *ratelimit_new(unsigned rate, unsigned burst, size_t slots);
void ratelimit_free(struct ratelimit *rl);

/* Takes one token for key at now_ms; false when the bucket is empty.  A
 * rate of 0 means no limit. */
bool ratelimit_take(struct ratelimit *rl, const char *key, int64_t now_ms);

#endif
