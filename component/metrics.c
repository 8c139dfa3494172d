/*
 * metrics.c - the daemon's counters in the OpenMetrics text format
 * (OpenMetrics 1.0.0), served by libmicrohttpd on the configured address,
 * and fetched back with libcurl for backchannelctl.
 *
 * Threads: see metrics.h.  The listener thread touches only struct
 * metrics_listener's snapshot, under its mutex, and renders outside it.
 * Signals are blocked in that thread, so they reach the event loop.
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <microhttpd.h>

#include "component/cfg.h"
#include "component/log.h"
#include "component/metrics.h"
#include "component/xmalloc.h"

/* What a scrape may send back, at most (ours is a few kilobytes). */
#define METRICS_SCRAPE_MAX (1024 * 1024)
/* Concurrent HTTP connections, and how long an idle one is kept. */
#define METRICS_CONNECTIONS 16
#define METRICS_IDLE_SECONDS 10

#define METRICS_CONTENT_TYPE                                                   \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

struct metrics_counters metrics;

static const double metrics_bounds[] = METRICS_COMMIT_BOUNDS;

struct metrics_listener {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;
	struct metrics_counters snap; /* under lock */
	struct metrics_info info;     /* fixed after start */
	char *domain[METRICS_DOMAINS];
};

enum metrics_domain metrics_domain_of(const struct cfg *cfg, const char *jid)
{
	const char *at, *slash, *dom = jid;
	size_t n, rooms = strlen(cfg->rooms_domain);

	if (jid == NULL)
		return METRICS_SERVICE;
	slash = strchr(jid, '/');
	n = slash ? (size_t)(slash - jid) : strlen(jid);
	at = memchr(jid, '@', n);
	if (at != NULL) {
		n -= (size_t)(at + 1 - jid);
		dom = at + 1;
	}
	return n == rooms && memcmp(dom, cfg->rooms_domain, n) == 0
		       ? METRICS_ROOMS
		       : METRICS_SERVICE;
}

void metrics_connection(enum metrics_domain d, bool up)
{
	if (up && metrics.ever_connected[d])
		metrics.reconnects[d]++;
	if (up)
		metrics.ever_connected[d] = true;
	metrics.connected[d] = up;
}

int64_t metrics_clock_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void metrics_observe(struct metrics_histogram *h, double seconds)
{
	size_t i;

	for (i = 0; i < METRICS_COMMIT_BUCKETS - 1; i++)
		if (seconds <= metrics_bounds[i])
			break;
	h->bucket[i]++;
	h->count++;
	h->sum += seconds;
}

void metrics_commit_done(int64_t start_us)
{
	metrics_observe(&metrics.commit,
			(double)(metrics_clock_us() - start_us) / 1e6);
}

/* Rendering: a growing string. */

struct metrics_buf {
	char *s;
	size_t len, cap;
};

static void metrics_printf(struct metrics_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void metrics_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			abort();
		if ((size_t)n < b->cap - b->len)
			break;
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	b->len += (size_t)n;
}

/* A metric family's metadata lines.  OpenMetrics names a counter family
 * without its "_total" sample suffix. */
static void metrics_family(struct metrics_buf *b, const char *name,
			   const char *type, const char *unit, const char *help)
{
	metrics_printf(b, "# TYPE %s %s\n", name, type);
	if (unit != NULL)
		metrics_printf(b, "# UNIT %s %s\n", name, unit);
	metrics_printf(b, "# HELP %s %s\n", name, help);
}

/* A family with one sample per domain. */
static void metrics_per_domain(struct metrics_buf *b,
			       const struct metrics_info *info,
			       const char *name, const char *type,
			       const char *help, const uint64_t *v)
{
	const char *suffix = strcmp(type, "counter") == 0 ? "_total" : "";
	size_t d;

	metrics_family(b, name, type, NULL, help);
	for (d = 0; d < METRICS_DOMAINS; d++)
		metrics_printf(b, "%s%s{domain=\"%s\"} %llu\n", name, suffix,
			       info->domain[d], (unsigned long long)v[d]);
}

/* A family with one sample, and where its value is in the counters. */
struct metrics_single {
	const char *name, *type, *help;
	size_t off; /* in struct metrics_counters */
};

#define M(field) offsetof(struct metrics_counters, field)
static const struct metrics_single metrics_singles[] = {
	{"backchannel_relays", "counter",
	 "One-to-one messages relayed to a recipient.", M(relays)},
	{"backchannel_requests_held", "counter",
	 "Messages held as message requests.", M(requests_held)},
	{"backchannel_requests_accepted", "counter",
	 "Message requests accepted.", M(requests_accepted)},
	{"backchannel_requests_declined", "counter",
	 "Message requests declined.", M(requests_declined)},
	{"backchannel_reports", "counter", "Abuse reports stored.", M(reports)},
	{"backchannel_rooms", "gauge", "Rooms with occupants.", M(rooms)},
	{"backchannel_occupants", "gauge", "Occupants of rooms.", M(occupants)},
	{"backchannel_outbox_stanzas", "gauge",
	 "Stanzas waiting in the outbox for a connection.", M(outbox)},
};
#undef M

static void metrics_one(struct metrics_buf *b, const struct metrics_single *f,
			uint64_t v)
{
	metrics_family(b, f->name, f->type, NULL, f->help);
	metrics_printf(b, "%s%s %llu\n", f->name,
		       strcmp(f->type, "counter") == 0 ? "_total" : "",
		       (unsigned long long)v);
}

static void metrics_histogram_render(struct metrics_buf *b, const char *name,
				     const char *help,
				     const struct metrics_histogram *h)
{
	uint64_t cumulative = 0;
	size_t i;

	metrics_family(b, name, "histogram", "seconds", help);
	for (i = 0; i < METRICS_COMMIT_BUCKETS; i++) {
		cumulative += h->bucket[i];
		if (i < METRICS_COMMIT_BUCKETS - 1)
			metrics_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name,
				       metrics_bounds[i],
				       (unsigned long long)cumulative);
		else
			metrics_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n", name,
				       (unsigned long long)cumulative);
	}
	metrics_printf(b, "%s_count %llu\n", name,
		       (unsigned long long)h->count);
	metrics_printf(b, "%s_sum %.6f\n", name, h->sum);
}

char *metrics_render(const struct metrics_counters *m,
		     const struct metrics_info *info, size_t *len)
{
	struct metrics_buf b = {xmalloc(4096), 0, 4096};
	uint64_t up[METRICS_DOMAINS];
	size_t d, i;

	metrics_family(&b, "backchannel_build", "info",
		       NULL, "The running version of backchanneld.");
	metrics_printf(&b, "backchannel_build_info{version=\"%s\"} 1\n",
		       PACKAGE_VERSION);
	metrics_family(&b, "backchannel_start_time_seconds", "gauge",
		       "seconds",
		       "When backchanneld started, in seconds since the "
		       "epoch.");
	metrics_printf(&b, "backchannel_start_time_seconds %lld.%03lld\n",
		       (long long)(info->start_ms / 1000),
		       (long long)(info->start_ms % 1000));
	metrics_per_domain(&b, info, "backchannel_stanzas_received", "counter",
			   "Stanzas received from the XMPP server.",
			   m->stanzas_in);
	metrics_per_domain(&b, info, "backchannel_stanzas_sent", "counter",
			   "Stanzas written to the XMPP server.",
			   m->stanzas_out);
	for (d = 0; d < METRICS_DOMAINS; d++)
		up[d] = m->connected[d];
	metrics_per_domain(&b, info, "backchannel_connected", "gauge",
			   "1 while the component connection is up.", up);
	metrics_per_domain(&b, info, "backchannel_reconnects", "counter",
			   "Times the component connection came up again "
			   "after the first time.",
			   m->reconnects);
	for (i = 0; i < sizeof(metrics_singles) / sizeof(metrics_singles[0]);
	     i++)
		metrics_one(&b, &metrics_singles[i],
			    *(const uint64_t *)((const char *)m +
						metrics_singles[i].off));
	metrics_histogram_render(&b, "backchannel_store_commit_seconds",
				 "Time to commit a batch of store writes and "
				 "make it durable.",
				 &m->commit);
	metrics_printf(&b, "# EOF\n");
	*len = b.len;
	return b.s;
}

/* The listener. */

static enum MHD_Result metrics_reply(struct MHD_Connection *conn,
				     unsigned status, char *body, size_t len,
				     const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result metrics_reply_text(struct MHD_Connection *conn,
					  unsigned status, const char *text)
{
	return metrics_reply(conn, status, xstrdup(text), strlen(text),
			     "text/plain; charset=utf-8");
}

static enum MHD_Result metrics_request(void *cls, struct MHD_Connection *conn,
				       const char *url, const char *method,
				       const char *version,
				       const char *upload_data,
				       size_t *upload_data_size, void **con_cls)
{
	struct metrics_listener *l = cls;
	struct metrics_counters snap;
	size_t len;
	char *body;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return metrics_reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "only GET and HEAD\n");
	if (strcmp(url, "/metrics") != 0)
		return metrics_reply_text(conn, MHD_HTTP_NOT_FOUND,
					  "not found: try /metrics\n");
	pthread_mutex_lock(&l->lock);
	snap = l->snap;
	pthread_mutex_unlock(&l->lock);
	body = metrics_render(&snap, &l->info, &len);
	return metrics_reply(conn, MHD_HTTP_OK, body, len,
			     METRICS_CONTENT_TYPE);
}

static void metrics_mhd_log(void *arg, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warnx("metrics listener: %s", msg);
}

struct metrics_listener *metrics_start_at(const struct sockaddr *addr,
					  socklen_t addrlen,
					  const char *service_domain,
					  const char *rooms_domain,
					  int64_t start_ms)
{
	struct metrics_listener *l = xcalloc(1, sizeof(*l));
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	sigset_t all, old;

	(void)addrlen;
	pthread_mutex_init(&l->lock, NULL);
	l->domain[METRICS_SERVICE] = xstrdup(service_domain);
	l->domain[METRICS_ROOMS] = xstrdup(rooms_domain);
	l->info.domain[METRICS_SERVICE] = l->domain[METRICS_SERVICE];
	l->info.domain[METRICS_ROOMS] = l->domain[METRICS_ROOMS];
	l->info.start_ms = start_ms;
	l->snap = metrics;
	if (addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* The listener's thread inherits this mask: signals stay with the
	 * event loop, whose handlers set its flags. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	l->mhd = MHD_start_daemon(
		flags, 0, NULL, NULL, metrics_request, l,
		MHD_OPTION_SOCK_ADDR, addr,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONNECTIONS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_IDLE_SECONDS,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		MHD_OPTION_EXTERNAL_LOGGER, metrics_mhd_log, NULL,
		MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (l->mhd == NULL) {
		log_errx("metrics listener: cannot listen (address in use, or "
			 "not an address of this machine?)");
		metrics_stop(l);
		return NULL;
	}
	return l;
}

int metrics_start(const struct cfg *cfg, int64_t start_ms,
		  struct metrics_listener **out)
{
	struct sockaddr_storage addr;
	socklen_t len;

	*out = NULL;
	if (cfg->metrics_listen == NULL)
		return 0;
	if (cfg_parse_listen(cfg->metrics_listen, &addr, &len) < 0) {
		log_errx("metrics listener: bad address %s",
			 cfg->metrics_listen);
		return -1;
	}
	*out = metrics_start_at((const struct sockaddr *)&addr, len,
				cfg->service_domain, cfg->rooms_domain,
				start_ms);
	if (*out == NULL)
		return -1;
	log_info("metrics on http://%s/metrics", cfg->metrics_listen);
	return 0;
}

unsigned metrics_port(const struct metrics_listener *l)
{
	const union MHD_DaemonInfo *i;

	i = MHD_get_daemon_info(l->mhd, MHD_DAEMON_INFO_BIND_PORT);
	return i != NULL ? i->port : 0;
}

void metrics_publish(struct metrics_listener *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	l->snap = metrics;
	pthread_mutex_unlock(&l->lock);
}

void metrics_stop(struct metrics_listener *l)
{
	size_t d;

	if (l == NULL)
		return;
	if (l->mhd != NULL)
		MHD_stop_daemon(l->mhd);
	pthread_mutex_destroy(&l->lock);
	for (d = 0; d < METRICS_DOMAINS; d++)
		free(l->domain[d]);
	free(l);
}

/* The client. */

static size_t metrics_scrape_write(char *data, size_t size, size_t n,
				   void *arg)
{
	struct metrics_buf *b = arg;
	size_t len = size * n;

	if (b->len + len > METRICS_SCRAPE_MAX)
		return 0; /* curl fails the transfer */
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, data, len);
	b->len += len;
	b->s[b->len] = '\0';
	return len;
}

int metrics_scrape(const char *listen, long timeout_ms, char **text,
		   char *err, size_t errlen)
{
	struct metrics_buf b = {xcalloc(1, 1), 0, 1};
	char *url = xasprintf("http://%s/metrics", listen);
	long status = 0;
	CURLcode rc;
	CURL *curl;
	int ret = -1;

	*text = NULL;
	curl = curl_easy_init();
	if (curl == NULL) {
		snprintf(err, errlen, "cannot start an HTTP client");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, metrics_scrape_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		snprintf(err, errlen, "%s: HTTP status %ld", url, status);
		goto out;
	}
	*text = b.s;
	b.s = NULL;
	ret = 0;
out:
	if (curl != NULL)
		curl_easy_cleanup(curl);
	free(b.s);
	free(url);
	return ret;
}
