/*
 * clock.c - wall and monotonic clocks, pinnable for tests.
 */
#include <config.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
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

int clock_parse_xep82(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0, ms = 0, digits = 0;
	int64_t t, off = 0;
	const char *p;

	if (s == NULL ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
		   &n) != 6 ||
	    n != 19)
		return -1;
	for (p = s; p < s + 19; p++)
		if (!(isdigit((unsigned char)*p) || *p == '-' || *p == 'T' ||
		      *p == ':'))
			return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
		if (digits == 0)
			return -1;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	if (*p == 'Z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
		   isdigit((unsigned char)p[2]) && p[3] == ':' &&
		   isdigit((unsigned char)p[4]) &&
		   isdigit((unsigned char)p[5])) {
		int oh = (p[1] - '0') * 10 + (p[2] - '0');
		int om = (p[4] - '0') * 10 + (p[5] - '0');

		if (oh > 23 || om > 59)
			return -1;
		off = (int64_t)(oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm);
	*out = (t - off) * 1000 + ms;
	return 0;
}
