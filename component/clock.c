/*
 * clock.c - wall and monotonic clocks, pinnable for tests.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "component/clock.h"

static bool clock_pinned;
static int64_t clock_pinned_ms;

static int64_t clock_read(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now_ms(void)
{
	return clock_pinned ? clock_pinned_ms : clock_read(CLOCK_REALTIME);
}

int64_t clock_mono_ms(void)
{
	return clock_pinned ? clock_pinned_ms : clock_read(CLOCK_MONOTONIC);
}

void clock_pin(int64_t ms)
{
	clock_pinned = true;
	clock_pinned_ms = ms;
}

void clock_advance(int64_t ms)
{
	clock_pinned_ms += ms;
}

void clock_unpin(void)
{
	clock_pinned = false;
}

char *clock_format_xep82(int64_t ms, char *buf, unsigned long size)
{
	/* Floor division: before 1970 the milliseconds still count up
	 * from the second before (-500 ms is 23:59:59.500 of 1969-12-31). */
	int64_t rem = ms % 1000;
	time_t secs = (time_t)(ms / 1000 - (rem < 0));
	struct tm tm;

	if (rem < 0)
		rem += 1000;
	gmtime_r(&secs, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)rem);
	return buf;
}
