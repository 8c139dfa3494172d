/*
 * test_cfg.c - the configuration file: the contract's minimal file, the
 * shipped example, defaults, durations, and every bad file in
 * tests/unit/data/cfg/ (each names the message it must produce on its
 * first line: <!-- expect: TEXT -->).
 */
#include <config.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "component/cfg.h"
#include "component/log.h"

#define CFG_DIR TEST_DATA_DIR "/cfg"

static void minimal_file_from_the_contract(void **state)
{
	struct cfg *cfg;
	char err[2048];

	(void)state;
	if (cfg_load(CFG_DIR "/good-minimal.xml", &cfg, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_string_equal(cfg->server_host, "127.0.0.1");
	assert_int_equal(cfg->server_port, 5347);
	assert_string_equal(cfg->service_domain, "bc.example.org");
	assert_string_equal(cfg->service_secret, "s3cret");
	assert_string_equal(cfg->rooms_domain, "rooms.bc.example.org");
	assert_string_equal(cfg->store_path, "/var/lib/backchannel");
	assert_int_equal(cfg->admins.n, 1);
	assert_string_equal(cfg->admins.v[0], "platform-bot@example.org");
	assert_true(cfg_is_admin(cfg, "platform-bot@example.org"));
	assert_false(cfg_is_admin(cfg, "mod@example.org"));
	assert_true(cfg_is_moderator(cfg, "mod@example.org"));
	/* Documented defaults. */
	assert_int_equal(cfg->log_level, LOG_LEVEL_INFO);
	assert_int_equal(cfg->max_stanza_bytes, 65536);
	assert_int_equal(cfg->requests_held_max, 20);
	assert_int_equal(cfg->requests_per_day, 10);
	assert_int_equal(cfg->token_ttl_ms, 86400000);
	assert_int_equal(cfg->retraction_window_ms, 0);
	assert_int_equal(cfg->report_threshold, 3);
	assert_int_equal(cfg->report_window_ms, 86400000);
	assert_int_equal(cfg->reconnect_min_ms, 1000);
	assert_int_equal(cfg->reconnect_max_ms, 60000);
	cfg_free(cfg);
}

static void shipped_example_is_valid(void **state)
{
	struct cfg *cfg;
	char err[2048];

	(void)state;
	if (cfg_load(TEST_DATA_DIR "/../../../config/backchannel.xml", &cfg,
		     err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(cfg->evidence_count, 20);
	assert_int_equal(cfg->requests_cooldown_ms, 7LL * 86400000);
	cfg_free(cfg);
}

static void optional_settings(void **state)
{
	static const char xml[] =
		"<backchannel><server host='::1' port='5348'/>"
		"<service domain='d.test' secret='a'/>"
		"<rooms domain='m.d.test' secret='b' audio-prefix='live-'/>"
		"<store path='/x'/>"
		"<log level='debug' syslog='true'/>"
		"<limits max-stanza='4096' rate='5' burst='2'/>"
		"<requests held='3' per-day='4' cooldown='90m'/>"
		"<tokens ttl='15m'/><evidence count='7' age='2d'/>"
		"<retraction window='5m'/><reconnect min='500ms' max='10s'/>"
		"<reports threshold='2' window='1h'/>"
		"<admin jid='Bot@Example.org'/><admin jid='b2@example.org'/>"
		"</backchannel>";
	struct cfg *cfg;
	char err[2048];

	(void)state;
	if (cfg_load_buffer("t.xml", xml, sizeof(xml) - 1, &cfg, err,
			    sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_string_equal(cfg->server_host, "::1");
	assert_int_equal(cfg->server_port, 5348);
	assert_string_equal(cfg->rooms_audio_prefix, "live-");
	assert_int_equal(cfg->report_threshold, 2);
	assert_int_equal(cfg->report_window_ms, 3600000);
	assert_int_equal(cfg->log_level, LOG_LEVEL_DEBUG);
	assert_true(cfg->log_syslog);
	assert_int_equal(cfg->max_stanza_bytes, 4096);
	assert_int_equal(cfg->rate_per_minute, 5);
	assert_int_equal(cfg->rate_burst, 2);
	assert_int_equal(cfg->requests_held_max, 3);
	assert_int_equal(cfg->requests_per_day, 4);
	assert_int_equal(cfg->requests_cooldown_ms, 90LL * 60000);
	assert_int_equal(cfg->token_ttl_ms, 15LL * 60000);
	assert_int_equal(cfg->evidence_count, 7);
	assert_int_equal(cfg->evidence_age_ms, 2LL * 86400000);
	assert_int_equal(cfg->retraction_window_ms, 5LL * 60000);
	assert_int_equal(cfg->reconnect_min_ms, 500);
	assert_int_equal(cfg->reconnect_max_ms, 10000);
	assert_int_equal(cfg->admins.n, 2);
	assert_string_equal(cfg->admins.v[0], "bot@example.org");
	cfg_free(cfg);
}

static void durations(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(cfg_parse_duration("30", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(cfg_parse_duration("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(cfg_parse_duration("7d", &ms), 0);
	assert_int_equal(ms, 7LL * 86400000);
	assert_int_equal(cfg_parse_duration("-1s", &ms), -1);
	assert_int_equal(cfg_parse_duration("1w", &ms), -1);
	assert_int_equal(cfg_parse_duration("", &ms), -1);
	assert_int_equal(cfg_parse_duration("1 s", &ms), -1);
}

static void missing_file(void **state)
{
	struct cfg *cfg;
	char err[2048];

	(void)state;
	assert_int_equal(cfg_load(CFG_DIR "/no-such-file.xml", &cfg, err,
				  sizeof(err)),
			 -1);
	assert_null(cfg);
	assert_non_null(strstr(err, "no-such-file.xml: cannot open"));
}

/* The expectation on a bad file's first line. */
static void expectation(const char *path, char *out, size_t len)
{
	char line[512], *start, *end;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	start = strstr(line, "expect: ");
	end = strstr(line, " -->");
	if (start == NULL || end == NULL)
		fail_msg("%s: first line has no expectation", path);
	start += strlen("expect: ");
	*end = '\0';
	snprintf(out, len, "%s", start);
}

static void bad_files_name_line_and_problem(void **state)
{
	struct dirent *de;
	DIR *dir = opendir(CFG_DIR);
	char path[1024], want[512], err[4096];
	struct cfg *cfg;
	int checked = 0;
	char *nl;

	(void)state;
	assert_non_null(dir);
	while ((de = readdir(dir)) != NULL) {
		if (strncmp(de->d_name, "bad-", 4) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", CFG_DIR, de->d_name);
		expectation(path, want, sizeof(want));
		if (cfg_load(path, &cfg, err, sizeof(err)) == 0)
			fail_msg("%s was accepted", path);
		assert_null(cfg);
		/* Every message names the file... */
		if (strncmp(err, path, strlen(path)) != 0)
			fail_msg("%s: message does not start with the file: %s",
				 de->d_name, err);
		/* ...and says what is wrong (with the line where given). */
		if (strstr(err, want) == NULL)
			fail_msg("%s: expected '%s' in: %s", de->d_name, want,
				 err);
		/* Each line of it names the file: no detail on a line of
		 * its own. */
		for (nl = strchr(err, '\n'); nl != NULL && nl[1] != '\0';
		     nl = strchr(nl + 1, '\n'))
			if (strncmp(nl + 1, path, strlen(path)) != 0)
				fail_msg("%s: a line without the file: %s",
					 de->d_name, err);
		checked++;
	}
	closedir(dir);
	assert_true(checked >= 10);
}

static void metrics_listen_address(void **state)
{
	static const char xml[] =
		"<backchannel><server host='127.0.0.1'/>"
		"<service domain='d.test' secret='a'/>"
		"<rooms domain='m.d.test' secret='b'/><store path='/x'/>"
		"<metrics listen='[::1]:9107'/></backchannel>";
	struct sockaddr_storage ss;
	socklen_t len;
	struct cfg *cfg;
	char err[1024];

	(void)state;
	if (cfg_load_buffer("t.xml", xml, sizeof(xml) - 1, &cfg, err,
			    sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_string_equal(cfg->metrics_listen, "[::1]:9107");
	cfg_free(cfg);
	/* None by default (the contract's minimal file). */
	if (cfg_load(CFG_DIR "/good-minimal.xml", &cfg, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_null(cfg->metrics_listen);
	cfg_free(cfg);

	assert_int_equal(cfg_parse_listen("127.0.0.1:9107", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(cfg_parse_listen("[::1]:1", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(cfg_parse_listen("0.0.0.0:65535", NULL, NULL), 0);
	assert_int_equal(cfg_parse_listen("127.0.0.1:0", NULL, NULL), -1);
	assert_int_equal(cfg_parse_listen("127.0.0.1:65536", NULL, NULL), -1);
	assert_int_equal(cfg_parse_listen("127.0.0.1", NULL, NULL), -1);
	assert_int_equal(cfg_parse_listen("localhost:9107", NULL, NULL), -1);
	assert_int_equal(cfg_parse_listen("::1:9107", NULL, NULL), -1);
	assert_int_equal(cfg_parse_listen("[::1]9107", NULL, NULL), -1);
	assert_int_equal(cfg_parse_listen("[127.0.0.1]:9107", NULL, NULL), -1);
	assert_int_equal(cfg_parse_listen(":9107", NULL, NULL), -1);
	assert_int_equal(cfg_parse_listen("1.2.3.4:x", NULL, NULL), -1);
}

static void replication_group(void **state)
{
	static const char xml[] =
		"<backchannel><server host='127.0.0.1'/>"
		"<service domain='d.test' secret='a'/>"
		"<rooms domain='m.d.test' secret='b'/><store path='/x'/>"
		"<replication listen='127.0.0.1:7701' priority='0' "
		"ack-timeout='500ms'/>"
		"<peer address='127.0.0.1:7702'/><peer address='[::1]:7703'/>"
		"<instance address='127.0.0.1:7704'/>"
		"<shard store='/rooms'/>"
		"</backchannel>";
	struct cfg *cfg;
	char err[1024];

	(void)state;
	if (cfg_load_buffer("t.xml", xml, sizeof(xml) - 1, &cfg, err,
			    sizeof(err)) < 0)
		fail_msg("%s", err);
	/* A rooms instance (docs/SCALING.md). */
	assert_string_equal(cfg->shard_store_path, "/rooms");
	assert_int_equal(cfg->repl_instances.n, 1);
	assert_string_equal(cfg->repl_instances.v[0], "127.0.0.1:7704");
	assert_false(cfg->rooms_sharded);
	assert_string_equal(cfg->repl_listen, "127.0.0.1:7701");
	assert_int_equal(cfg->repl_priority, 0);
	assert_int_equal(cfg->repl_ack_timeout_ms, 500);
	assert_int_equal(cfg->repl_peers.n, 2);
	assert_string_equal(cfg->repl_peers.v[0], "127.0.0.1:7702");
	assert_string_equal(cfg->repl_peers.v[1], "[::1]:7703");
	cfg_free(cfg);
	/* None by default: a single instance. */
	if (cfg_load(CFG_DIR "/good-minimal.xml", &cfg, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_null(cfg->repl_listen);
	assert_int_equal(cfg->repl_peers.n, 0);
	assert_null(cfg->shard_store_path);
	assert_false(cfg->rooms_sharded);
	cfg_free(cfg);
}

static void doctype_is_refused(void **state)
{
	static const char xml[] =
		"<!DOCTYPE backchannel [<!ENTITY e 'x'>]><backchannel/>";
	struct cfg *cfg;
	char err[1024];

	(void)state;
	assert_int_equal(cfg_load_buffer("t.xml", xml, sizeof(xml) - 1, &cfg,
					 err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "document type declaration"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(minimal_file_from_the_contract),
		cmocka_unit_test(shipped_example_is_valid),
		cmocka_unit_test(optional_settings),
		cmocka_unit_test(durations),
		cmocka_unit_test(missing_file),
		cmocka_unit_test(bad_files_name_line_and_problem),
		cmocka_unit_test(doctype_is_refused),
		cmocka_unit_test(metrics_listen_address),
		cmocka_unit_test(replication_group),
	};

	return cmocka_run_group_tests_name("cfg", tests, NULL, NULL);
}
