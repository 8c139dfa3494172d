/*
 * test_util.c - the clock, log levels and allocation helpers.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "component/clock.h"
#include "component/log.h"
#include "component/xmalloc.h"

static void clock_pins_and_formats(void **state)
{
	char buf[40];

	(void)state;
	clock_pin(1764060651123LL);
	assert_int_equal(clock_now_ms(), 1764060651123LL);
	clock_advance(877);
	assert_int_equal(clock_mono_ms(), 1764060652000LL);
	assert_string_equal(clock_format_xep82(1764060651123LL, buf,
					       sizeof(buf)),
			    "2025-11-25T08:50:51.123Z");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(clock_pins_and_formats),
		cmocka_unit_test(log_levels_parse),
		cmocka_unit_test(xasprintf_formats),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
