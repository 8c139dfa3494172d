/*
 * test_util.c - the clock, log levels and allocation helpers.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "component/clock.h"
#include "component/log.h"
#include "component/ratelimit.h"
#include "component/strmap.h"
#include "component/xmalloc.h"

static void clock_pins_and_formats(void **state)
{
	char buf[40];
	int64_t t;

	(void)state;
	clock_pin(1764060651123LL);
	assert_int_equal(clock_now_ms(), 1764060651123LL);
	clock_advance(877);
	assert_int_equal(clock_mono_ms(), 1764060652000LL);
	assert_string_equal(clock_format_xep82(1764060651123LL, buf,
					       sizeof(buf)),
			    "2025-11-25T08:50:51.123Z");
	/* Before 1970 the milliseconds count up from the second before. */
	assert_string_equal(clock_format_xep82(-500, buf, sizeof(buf)),
			    "1969-12-31T23:59:59.500Z");
	assert_string_equal(clock_format_xep82(-1000, buf, sizeof(buf)),
			    "1969-12-31T23:59:59.000Z");
	/* The one XEP-0082 reader: what the writer wrote, offsets, digits
	 * past the milliseconds; and what is none. */
	assert_int_equal(clock_parse_xep82("2025-11-25T08:50:51.123Z", &t), 0);
	assert_int_equal(t, 1764060651123LL);
	assert_int_equal(clock_parse_xep82("1969-12-31T23:59:59.500Z", &t), 0);
	assert_int_equal(t, -500);
	assert_int_equal(clock_parse_xep82("2025-11-25T10:50:51.1234+02:00",
					   &t),
			 0);
	assert_int_equal(t, 1764060651123LL);
	assert_int_equal(clock_parse_xep82("2025-11-25T08:50:51", &t), -1);
	assert_int_equal(clock_parse_xep82("2025-13-25T08:50:51Z", &t), -1);
	assert_int_equal(clock_parse_xep82("2025-11-25T08:50:51.Z", &t), -1);
	assert_int_equal(clock_parse_xep82("2025-11-25T08:50:51Zx", &t), -1);
	clock_unpin();
	assert_true(clock_now_ms() > 1700000000000LL);
}

static void log_levels_parse(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("error"), LOG_LEVEL_ERROR);
	assert_int_equal(log_level_parse("debug"), LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("loud"), -1);
	log_set_level(LOG_LEVEL_WARN);
	assert_int_equal(log_get_level(), LOG_LEVEL_WARN);
}

static void xasprintf_formats(void **state)
{
	char *s = xasprintf("%s-%d", "a", 7);

	(void)state;
	assert_string_equal(s, "a-7");
	free(s);
	s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);
}

static void ratelimit_buckets(void **state)
{
	struct ratelimit *rl = ratelimit_new(60, 3, 16);
	int i;

	(void)state;
	/* A burst of 3, then one a second. */
	for (i = 0; i < 3; i++)
		assert_true(ratelimit_take(rl, "a@x", 1000));
	assert_false(ratelimit_take(rl, "a@x", 1000));
	assert_false(ratelimit_take(rl, "a@x", 1500));
	assert_true(ratelimit_take(rl, "a@x", 2000));
	/* Others have their own bucket. */
	assert_true(ratelimit_take(rl, "b@x", 2000));
	/* The bucket never holds more than the burst. */
	for (i = 0; i < 3; i++)
		assert_true(ratelimit_take(rl, "a@x", 999999));
	assert_false(ratelimit_take(rl, "a@x", 999999));
	ratelimit_free(rl);
	/* Rate 0: no limit. */
	rl = ratelimit_new(0, 1, 16);
	for (i = 0; i < 100; i++)
		assert_true(ratelimit_take(rl, "a@x", 1));
	ratelimit_free(rl);
	/* 4 a day: all at once, then one every 6 hours; several at once
	 * all or none; a refund gives one back. */
	rl = ratelimit_new_period(4, 86400000, 16);
	assert_false(ratelimit_take_n(rl, "d", 5, 1000));
	assert_true(ratelimit_take_n(rl, "d", 3, 1000));
	assert_false(ratelimit_take_n(rl, "d", 2, 1000));
	assert_true(ratelimit_take(rl, "d", 1000));
	assert_false(ratelimit_take(rl, "d", 1000 + 6 * 3600000 - 10));
	assert_true(ratelimit_take(rl, "d", 1000 + 6 * 3600000 + 10));
	assert_false(ratelimit_take(rl, "d", 1000 + 6 * 3600000 + 20));
	ratelimit_refund(rl, "d");
	assert_true(ratelimit_take(rl, "d", 1000 + 6 * 3600000 + 30));
	ratelimit_refund(rl, "never-seen"); /* nothing to give back */
	ratelimit_free(rl);
}

static void ratelimit_table_is_bounded(void **state)
{
	struct ratelimit *rl = ratelimit_new(60, 1, 8);
	char key[32];
	int i;

	(void)state;
	/* Far more senders than slots: memory stays bounded and each new
	 * sender starts with a full bucket. */
	for (i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "s%d@x", i);
		assert_true(ratelimit_take(rl, key, 1000 + i));
	}
	ratelimit_free(rl);
}

static void count_value(const char *key, void *value, void *arg)
{
	(void)key;
	*(long *)arg += (long)(intptr_t)value;
}

static void strmap_basics(void **state)
{
	struct strmap *m = strmap_new(free);
	char key[32];
	long sum = 0;
	int i;

	(void)state;
	for (i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		strmap_put(m, key, xstrdup(key));
	}
	assert_int_equal(strmap_count(m), 500);
	assert_string_equal(strmap_get(m, "k123"), "k123");
	assert_null(strmap_get(m, "nope"));
	strmap_put(m, "k123", xstrdup("replaced"));
	assert_string_equal(strmap_get(m, "k123"), "replaced");
	assert_int_equal(strmap_count(m), 500);
	assert_true(strmap_del(m, "k7"));
	assert_false(strmap_del(m, "k7"));
	assert_int_equal(strmap_count(m), 499);
	strmap_free(m);

	m = strmap_new(NULL);
	strmap_put(m, "a", (void *)(intptr_t)2);
	strmap_put(m, "b", (void *)(intptr_t)3);
	strmap_each(m, count_value, &sum);
	assert_int_equal(sum, 5);
	strmap_free(m);
	strmap_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clock_pins_and_formats),
		cmocka_unit_test(log_levels_parse),
		cmocka_unit_test(xasprintf_formats),
		cmocka_unit_test(ratelimit_buckets),
		cmocka_unit_test(ratelimit_table_is_bounded),
		cmocka_unit_test(strmap_basics),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
