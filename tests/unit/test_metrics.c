/*
 * test_metrics.c - the counters, their OpenMetrics rendering, and the HTTP
 * listener end to end (a real libmicrohttpd listener on 127.0.0.1, read
 * back with the real libcurl client backchannelctl uses).
 *
 * "test_metrics --print" writes a rendering with every kind of value set;
 * tests/ops/openmetrics.sh parses it with a real OpenMetrics parser.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "component/cfg.h"
#include "component/log.h"
#include "component/metrics.h"

static const struct metrics_info info = {
	{"bc.example.org", "rooms.bc.example.org"},
	1764060651123LL,
};

/* Sets every kind of value, so that a rendering shows them all. */
static void fill(void)
{
	memset(&metrics, 0, sizeof(metrics));
	metrics.stanzas_in[METRICS_SERVICE] = 12;
	metrics.stanzas_in[METRICS_ROOMS] = 3;
	metrics.stanzas_out[METRICS_SERVICE] = 10;
	metrics.stanzas_out[METRICS_ROOMS] = 2;
	metrics.relays = 7;
	metrics.requests_held = 4;
	metrics.requests_accepted = 2;
	metrics.requests_declined = 1;
	metrics.reports = 1;
	metrics.rooms = 2;
	metrics.occupants = 5;
	metrics.outbox = 9;
	metrics_connection(METRICS_SERVICE, true);
	metrics_connection(METRICS_SERVICE, false);
	metrics_connection(METRICS_SERVICE, true);
	metrics_connection(METRICS_ROOMS, true);
	metrics_observe(&metrics.commit, 0.00005);
	metrics_observe(&metrics.commit, 0.003);
	metrics_observe(&metrics.commit, 0.003);
	metrics_observe(&metrics.commit, 5.0);
}

static void domains_are_told_apart(void **state)
{
	struct cfg cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.service_domain = "bc.example.org";
	cfg.rooms_domain = "rooms.bc.example.org";
	assert_int_equal(metrics_domain_of(&cfg, "rooms.bc.example.org"),
			 METRICS_ROOMS);
	assert_int_equal(metrics_domain_of(&cfg, "r@rooms.bc.example.org/n"),
			 METRICS_ROOMS);
	assert_int_equal(metrics_domain_of(&cfg, "alice@bc.example.org"),
			 METRICS_SERVICE);
	assert_int_equal(metrics_domain_of(&cfg, "bc.example.org/x"),
			 METRICS_SERVICE);
	/* A longer domain that starts like M is not M. */
	assert_int_equal(metrics_domain_of(&cfg, "rooms.bc.example.org.evil"),
			 METRICS_SERVICE);
	assert_int_equal(metrics_domain_of(&cfg, NULL), METRICS_SERVICE);
}

static void reconnects_count_only_after_the_first(void **state)
{
	(void)state;
	memset(&metrics, 0, sizeof(metrics));
	metrics_connection(METRICS_ROOMS, true);
	assert_int_equal(metrics.reconnects[METRICS_ROOMS], 0);
	assert_true(metrics.connected[METRICS_ROOMS]);
	metrics_connection(METRICS_ROOMS, false);
	assert_false(metrics.connected[METRICS_ROOMS]);
	metrics_connection(METRICS_ROOMS, true);
	metrics_connection(METRICS_ROOMS, false);
	metrics_connection(METRICS_ROOMS, true);
	assert_int_equal(metrics.reconnects[METRICS_ROOMS], 2);
	assert_int_equal(metrics.reconnects[METRICS_SERVICE], 0);
}

static void histogram_buckets(void **state)
{
	struct metrics_histogram h;
	int64_t start;

	(void)state;
	memset(&h, 0, sizeof(h));
	metrics_observe(&h, 0.0001); /* on a bound: that bucket */
	metrics_observe(&h, 0.00011);
	metrics_observe(&h, 1.0);
	metrics_observe(&h, 1.5);
	assert_int_equal(h.bucket[0], 1);
	assert_int_equal(h.bucket[1], 1);
	assert_int_equal(h.bucket[METRICS_COMMIT_BUCKETS - 2], 1);
	assert_int_equal(h.bucket[METRICS_COMMIT_BUCKETS - 1], 1);
	assert_int_equal(h.count, 4);
	assert_true(h.sum > 2.50020 && h.sum < 2.50022);
	/* The commit timer records into the process's histogram. */
	memset(&metrics, 0, sizeof(metrics));
	start = metrics_clock_us();
	metrics_commit_done(start);
	assert_int_equal(metrics.commit.count, 1);
	assert_true(metrics.commit.sum >= 0 && metrics.commit.sum < 1.0);
}

static void rendering_is_openmetrics(void **state)
{
	size_t len;
	char *text;

	(void)state;
	fill();
	text = metrics_render(&metrics, &info, &len);
	assert_int_equal(len, strlen(text));
#define HAS(line) assert_non_null(strstr(text, "\n" line "\n"))
	HAS("# TYPE backchannel_stanzas_received counter");
	HAS("backchannel_stanzas_received_total{domain=\"bc.example.org\"} 12");
	HAS("backchannel_stanzas_received_total{domain=\"rooms.bc.example.org\"} 3");
	HAS("backchannel_stanzas_sent_total{domain=\"bc.example.org\"} 10");
	HAS("backchannel_stanzas_sent_total{domain=\"rooms.bc.example.org\"} 2");
	HAS("backchannel_connected{domain=\"bc.example.org\"} 1");
	HAS("backchannel_reconnects_total{domain=\"bc.example.org\"} 1");
	HAS("backchannel_reconnects_total{domain=\"rooms.bc.example.org\"} 0");
	HAS("backchannel_relays_total 7");
	HAS("backchannel_requests_held_total 4");
	HAS("backchannel_requests_accepted_total 2");
	HAS("backchannel_requests_declined_total 1");
	HAS("backchannel_reports_total 1");
	HAS("# TYPE backchannel_rooms gauge");
	HAS("backchannel_rooms 2");
	HAS("backchannel_occupants 5");
	HAS("backchannel_outbox_stanzas 9");
	HAS("backchannel_start_time_seconds 1764060651.123");
	HAS("backchannel_build_info{version=\"" PACKAGE_VERSION "\"} 1");
	HAS("# UNIT backchannel_store_commit_seconds seconds");
	/* Buckets are cumulative and end with +Inf = count. */
	HAS("backchannel_store_commit_seconds_bucket{le=\"0.0001\"} 1");
	HAS("backchannel_store_commit_seconds_bucket{le=\"0.0025\"} 1");
	HAS("backchannel_store_commit_seconds_bucket{le=\"0.005\"} 3");
	HAS("backchannel_store_commit_seconds_bucket{le=\"1\"} 3");
	HAS("backchannel_store_commit_seconds_bucket{le=\"+Inf\"} 4");
	HAS("backchannel_store_commit_seconds_count 4");
	HAS("backchannel_store_commit_seconds_sum 5.006050");
#undef HAS
	assert_true(strncmp(text, "# TYPE backchannel_build info\n", 30) == 0);
	assert_string_equal(text + len - 6, "# EOF\n");
	free(text);
}

/* A listener on 127.0.0.1 at a free port. */
static struct metrics_listener *listen_loopback(char *listen, size_t len)
{
	struct sockaddr_in sin;
	struct metrics_listener *l;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	l = metrics_start_at((struct sockaddr *)&sin, sizeof(sin),
			     info.domain[0], info.domain[1], info.start_ms);
	assert_non_null(l);
	assert_true(metrics_port(l) > 0);
	snprintf(listen, len, "127.0.0.1:%u", metrics_port(l));
	return l;
}

static void listener_serves_the_published_snapshot(void **state)
{
	struct metrics_listener *l;
	char listen[64], err[256], *text, *want;
	size_t len;

	(void)state;
	fill();
	l = listen_loopback(listen, sizeof(listen));
	/* What was there at start is served... */
	assert_int_equal(metrics_scrape(listen, 5000, &text, err, sizeof(err)),
			 0);
	want = metrics_render(&metrics, &info, &len);
	assert_string_equal(text, want);
	free(text);
	free(want);
	/* ...and a change only once it is published. */
	metrics.relays = 1000;
	assert_int_equal(metrics_scrape(listen, 5000, &text, err, sizeof(err)),
			 0);
	assert_non_null(strstr(text, "\nbackchannel_relays_total 7\n"));
	free(text);
	metrics_publish(l);
	assert_int_equal(metrics_scrape(listen, 5000, &text, err, sizeof(err)),
			 0);
	assert_non_null(strstr(text, "\nbackchannel_relays_total 1000\n"));
	free(text);
	metrics_stop(l);
	metrics_publish(NULL);
	metrics_stop(NULL);
	/* Gone: the client says why in one line. */
	assert_int_equal(metrics_scrape(listen, 2000, &text, err, sizeof(err)),
			 -1);
	assert_null(text);
	assert_non_null(strstr(err, listen));
}

struct reply {
	long status;
	char type[128];
	char allow[64];
	size_t body;
};

static size_t count_body(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	(void)data;
	r->body += size * n;
	return size * n;
}

static size_t keep_allow(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	if (size * n > 7 && strncasecmp(data, "Allow: ", 7) == 0)
		snprintf(r->allow, sizeof(r->allow), "%.*s",
			 (int)(size * n - 9), data + 7);
	return size * n;
}

static void request(const char *listen, const char *path,
		    const char *method, struct reply *r)
{
	char url[128];
	char *type = NULL;
	CURL *c = curl_easy_init();

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://%s%s", listen, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, count_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_allow);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
	snprintf(r->type, sizeof(r->type), "%s", type ? type : "");
	curl_easy_cleanup(c);
}

static void listener_answers_only_get_metrics(void **state)
{
	struct metrics_listener *l;
	struct reply r;
	char listen[64];

	(void)state;
	fill();
	l = listen_loopback(listen, sizeof(listen));
	request(listen, "/metrics", "GET", &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.type, "application/openmetrics-text; "
				    "version=1.0.0; charset=utf-8");
	assert_true(r.body > 1000);
	request(listen, "/metrics", "HEAD", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body, 0);
	request(listen, "/", "GET", &r);
	assert_int_equal(r.status, 404);
	request(listen, "/metrics/../secret", "GET", &r);
	assert_int_equal(r.status, 404);
	request(listen, "/metrics", "POST", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "GET, HEAD");
	request(listen, "/metrics", "DELETE", &r);
	assert_int_equal(r.status, 405);
	metrics_stop(l);
}

static void start_follows_the_configuration(void **state)
{
	struct metrics_listener *l = (void *)1;
	struct cfg cfg;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.service_domain = "bc.example.org";
	cfg.rooms_domain = "rooms.bc.example.org";
	/* None configured: no listener, no error. */
	assert_int_equal(metrics_start(&cfg, 0, &l), 0);
	assert_null(l);
	/* An address that is not this machine's: an error, logged. */
	cfg.metrics_listen = "192.0.2.1:9107";
	assert_int_equal(metrics_start(&cfg, 0, &l), -1);
	assert_null(l);
}

static int print_sample(void)
{
	size_t len;
	char *text;

	fill();
	text = metrics_render(&metrics, &info, &len);
	fwrite(text, 1, len, stdout);
	free(text);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(domains_are_told_apart),
		cmocka_unit_test(reconnects_count_only_after_the_first),
		cmocka_unit_test(histogram_buckets),
		cmocka_unit_test(rendering_is_openmetrics),
		cmocka_unit_test(listener_serves_the_published_snapshot),
		cmocka_unit_test(listener_answers_only_get_metrics),
		cmocka_unit_test(start_follows_the_configuration),
	};

	if (argc == 2 && strcmp(argv[1], "--print") == 0)
		return print_sample();
	log_init("test_metrics", LOG_LEVEL_ERROR + 0, false);
	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
