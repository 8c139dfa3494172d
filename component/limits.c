/*
 * limits.c - the abuse bounds of limits.h: one set of per-key buckets
 * for each kind, and their rate-limited log lines.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "component/cfg.h"
#include "component/clock.h"
#include "component/limits.h"
#include "component/log.h"
#include "component/ratelimit.h"
#include "component/xmalloc.h"

#define LIMITS_DAY_MS 86400000LL

/* Keys tracked at once: members and recipients are many, remote domains
 * fewer. */
#define LIMITS_SLOTS_MEMBERS 65536
#define LIMITS_SLOTS_DOMAINS 4096

/* At most one log line a second for each kind. */
#define LIMITS_LOG_MS 1000

struct limits_bucket {
	struct ratelimit *rl;
	unsigned per_day;
	int64_t logged_ms;    /* when the last line was written */
	unsigned long quiet;  /* refusals not logged since */
};

struct limits {
	struct limits_bucket b[LIMITS_KINDS];
	struct limits_bucket other; /* limits_note()'s log lines */
};

static const char *const limits_what[LIMITS_KINDS] = {
	[LIMITS_REPORTS] = "reports filed by",
	[LIMITS_FORWARDED_IN] = "reports forwarded to us from",
	[LIMITS_FORWARDED_OUT] = "reports forwarded to the abuse address of",
	[LIMITS_REQUESTS_IN] = "new message requests to",
};

struct limits *limits_new(const struct cfg *cfg)
{
	struct limits *l = xcalloc(1, sizeof(*l));
	const unsigned per_day[LIMITS_KINDS] = {
		[LIMITS_REPORTS] = cfg->reports_per_day,
		[LIMITS_FORWARDED_IN] = cfg->forwarded_per_day,
		[LIMITS_FORWARDED_OUT] = cfg->forwarded_per_day,
		[LIMITS_REQUESTS_IN] = cfg->requests_incoming_per_day,
	};
	int k;

	for (k = 0; k < LIMITS_KINDS; k++) {
		bool domains = k == LIMITS_FORWARDED_IN ||
			       k == LIMITS_FORWARDED_OUT;

		l->b[k].per_day = per_day[k];
		l->b[k].rl = ratelimit_new_period(
			per_day[k], LIMITS_DAY_MS,
			domains ? LIMITS_SLOTS_DOMAINS : LIMITS_SLOTS_MEMBERS);
	}
	return l;
}

void limits_free(struct limits *l)
{
	int k;

	if (l == NULL)
		return;
	for (k = 0; k < LIMITS_KINDS; k++)
		ratelimit_free(l->b[k].rl);
	free(l);
}

/* Whether a refusal of b may be logged now; counts it otherwise. */
static bool limits_may_log(struct limits_bucket *b, int64_t now)
{
	if (b->logged_ms != 0 && now - b->logged_ms < LIMITS_LOG_MS) {
		b->quiet++;
		return false;
	}
	b->logged_ms = now != 0 ? now : 1;
	return true;
}

/* The tail of a log line: how many refusals went unlogged (then resets
 * the count).  A static buffer: one line at a time. */
static const char *limits_quiet(struct limits_bucket *b)
{
	static char tail[64];

	if (b->quiet == 0)
		return "";
	snprintf(tail, sizeof(tail), "; %lu more not logged", b->quiet);
	b->quiet = 0;
	return tail;
}

bool limits_take(struct limits *l, enum limits_kind kind, const char *key,
		 unsigned n)
{
	struct limits_bucket *b = &l->b[kind];
	int64_t now = clock_mono_ms();

	if (ratelimit_take_n(b->rl, key, n, now))
		return true;
	if (limits_may_log(b, now))
		log_warnx("bound reached: %s %s (%u a day)%s", limits_what[kind],
			  key, b->per_day, limits_quiet(b));
	return false;
}

void limits_note(struct limits *l, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!limits_may_log(&l->other, clock_mono_ms()))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_warnx("%s%s", line, limits_quiet(&l->other));
}

void limits_refund(struct limits *l, enum limits_kind kind, const char *key)
{
	ratelimit_refund(l->b[kind].rl, key);
}
