/*
 * limits.h - the abuse bounds: how much one stanza, one member or one
 * remote domain can make the component send.  Each bound is a token
 * bucket per key (component/ratelimit.h) sized from the configuration:
 * N a day means at most N at once, then one more every 24h/N.  They are
 * held in memory only: a restart gives everyone a full allowance again
 * (docs/PROTOCOL.md, "Bounds").
 */
#ifndef BC_LIMITS_H
#define BC_LIMITS_H

#include <stdbool.h>

struct cfg;
struct limits;

enum limits_kind {
	LIMITS_REPORTS,       /* reports filed, per member (or sender) */
	LIMITS_FORWARDED_IN,  /* reports forwarded to D, per remote domain */
	LIMITS_FORWARDED_OUT, /* reports sent to a remote domain's abuse
			       * address, per remote domain */
	LIMITS_REQUESTS_IN,   /* new message requests, per recipient */
	LIMITS_KINDS
};

/* The buckets for cfg's bounds (borrowed: it must outlive them). */
struct limits *limits_new(const struct cfg *cfg);
void limits_free(struct limits *l);

/* Takes n from key's allowance of kind.  True when there was enough;
 * otherwise false, taking nothing, and a log line (at most one a second
 * for each kind, with the count of those left out). */
bool limits_take(struct limits *l, enum limits_kind kind, const char *key,
		 unsigned n);

/* Logs a refusal that is no bucket's (a request with too many items,
 * say), at most one line a second with the count of those left out. */
void limits_note(struct limits *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Gives back one taken from key's allowance of kind (what it was for did
 * not happen). */
void limits_refund(struct limits *l, enum limits_kind kind, const char *key);

#endif
