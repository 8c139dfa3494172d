/*
 * test_log.c - the log line format: bare "<N>ident: message" on stderr (the
 * journal stamps it), an ISO 8601 UTC timestamp first in a --log-file, and
 * a line cut short still ending in a newline.
 */
#include <config.h>

#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "component/clock.h"
#include "component/log.h"

/* 2025-11-25T08:50:51.123Z */
#define PINNED 1764060651123LL

/* ISO 8601: date, 'T', time with milliseconds, 'Z' (UTC). */
#define ISO8601 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "

static int matches(const char *text, const char *pattern)
{
	regex_t rx;
	int rc;

	assert_int_equal(regcomp(&rx, pattern, REG_EXTENDED | REG_NOSUB), 0);
	rc = regexec(&rx, text, 0, NULL, 0);
	regfree(&rx);
	return rc == 0;
}

static void line_without_stamp(void **state)
{
	char buf[256];
	size_t n;

	(void)state;
	n = log_format_line(buf, sizeof(buf), false, PINNED, 6, "backchanneld",
			    "hello");
	assert_string_equal(buf, "<6>backchanneld: hello\n");
	assert_int_equal(n, strlen(buf));
}

static void line_with_stamp(void **state)
{
	char buf[256];
	size_t n;

	(void)state;
	n = log_format_line(buf, sizeof(buf), true, PINNED, 3, "backchanneld",
			    "bc.localhost: connection lost");
	assert_string_equal(buf, "2025-11-25T08:50:51.123Z <3>backchanneld: "
				 "bc.localhost: connection lost\n");
	assert_int_equal(n, strlen(buf));
	assert_true(matches(buf, ISO8601 "<3>backchanneld: "));
	/* Milliseconds are zero-padded, midnight is 00. */
	log_format_line(buf, sizeof(buf), true, 1767225600005LL, 7, "x", "y");
	assert_string_equal(buf, "2026-01-01T00:00:00.005Z <7>x: y\n");
}

static void long_line_is_cut_but_ends_the_line(void **state)
{
	char buf[32], msg[100];
	size_t n;

	(void)state;
	memset(msg, 'a', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	n = log_format_line(buf, sizeof(buf), true, PINNED, 6, "b", msg);
	assert_int_equal(n, sizeof(buf) - 1);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_int_equal(buf[n - 1], '\n');
	assert_true(matches(buf, ISO8601));
}

/* Reads what was written to path. */
static char *slurp(const char *path)
{
	static char text[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* The real outputs: stderr as inherited (redirected here to a file, as a
 * supervisor would) has no stamp; the file given by log_set_file() has. */
static void stderr_bare_log_file_stamped(void **state)
{
	char dir[] = "/tmp/test_log.XXXXXX", inherited[256], file[256];
	int saved = dup(STDERR_FILENO);
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(inherited, sizeof(inherited), "%s/stderr", dir);
	snprintf(file, sizeof(file), "%s/backchanneld.log", dir);
	f = fopen(inherited, "w");
	assert_non_null(f);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	fclose(f);
	clock_pin(PINNED);
	log_init("backchanneld", LOG_LEVEL_INFO, false);
	log_info("to the journal");
	log_debug("not at this level");
	assert_int_equal(log_set_file(file), 0);
	log_warnx("to the file");
	log_reopen(); /* SIGHUP: the same file, still stamped */
	log_errx("after reopening");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	clock_unpin();
	assert_string_equal(slurp(inherited), "<6>backchanneld: to the journal\n");
	assert_string_equal(slurp(file),
			    "2025-11-25T08:50:51.123Z <4>backchanneld: to the "
			    "file\n"
			    "2025-11-25T08:50:51.123Z <3>backchanneld: after "
			    "reopening\n");
	unlink(inherited);
	unlink(file);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(line_without_stamp),
		cmocka_unit_test(line_with_stamp),
		cmocka_unit_test(long_line_is_cut_but_ends_the_line),
		cmocka_unit_test(stderr_bare_log_file_stamped),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
