/*
 * metrics.h - what the daemon counts, and the HTTP listener that serves
 * it in the OpenMetrics text format (https://openmetrics.io, version
 * 1.0.0) for Prometheus and its kin.
 *
 * The counters are one process-wide struct, like the log level: any code
 * of the daemon bumps a field ("metrics.relays++") without being handed
 * anything.  Only the event loop's thread writes them.  The listener
 * (libmicrohttpd) answers in a thread of its own from a snapshot that the
 * loop hands it once a pass with metrics_publish(), under a mutex: a scrape
 * never reads a field while the loop writes it, and a slow or hostile HTTP
 * client can never hold up XMPP traffic.  (Polling libmicrohttpd from the
 * loop instead would answer a scrape only as fast as the loop wakes, up to
 * 200 ms a step, and put every HTTP step in the XMPP path.)
 *
 * backchannelctl reads the same counters over the same listener
 * (metrics_scrape()), so "backchannelctl stats" and a scrape agree.
 */
#ifndef BC_METRICS_H
#define BC_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

struct cfg;

/* The two component domains, as label values. */
enum metrics_domain {
	METRICS_SERVICE, /* D */
	METRICS_ROOMS,   /* M */
	METRICS_DOMAINS
};

/* Upper bounds (seconds) of the store commit latency histogram's buckets;
 * the last bucket, +Inf, is implied. */
#define METRICS_COMMIT_BOUNDS                                                  \
	{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,     \
	 0.1, 0.25, 1.0}
#define METRICS_COMMIT_BUCKETS 13 /* the bounds above and +Inf */

struct metrics_histogram {
	uint64_t bucket[METRICS_COMMIT_BUCKETS]; /* per bucket, not cumulative */
	uint64_t count;
	double sum;
};

/* Every counter and gauge.  Who updates each field is named beside it;
 * the rendering (metrics.c) names and documents each for scrapers. */
struct metrics_counters {
	/* Stanzas received on and written to each domain's connection
	 * (component/daemon.c). */
	uint64_t stanzas_in[METRICS_DOMAINS];
	uint64_t stanzas_out[METRICS_DOMAINS];
	/* One-to-one messages relayed to a recipient (xep/im.c). */
	uint64_t relays;
	/* Message requests: messages held for a recipient who does not know
	 * the sender, and requests accepted and declined (xep/requests.c). */
	uint64_t requests_held;
	uint64_t requests_accepted;
	uint64_t requests_declined;
	/* Abuse reports stored, from users or forwarded by servers
	 * (xep/blocking.c). */
	uint64_t reports;
	/* Times a domain's connection came up again after the first time,
	 * and whether it is up now (component/daemon.c, metrics_connection). */
	uint64_t reconnects[METRICS_DOMAINS];
	bool connected[METRICS_DOMAINS];
	bool ever_connected[METRICS_DOMAINS];
	/* Gauges: rooms with occupants and occupants in them (the MUC on M),
	 * stanzas in the outbox waiting for a connection (component/bc.c). */
	uint64_t rooms;
	uint64_t occupants;
	uint64_t outbox;
	/* Time of each store batch commit that had something to commit,
	 * group commit and log flush included (metrics_commit_done()). */
	struct metrics_histogram commit;
};

/* The process's counters. */
extern struct metrics_counters metrics;

/* The domain of jid's domain part: M when it is cfg's rooms domain, D
 * otherwise. */
enum metrics_domain metrics_domain_of(const struct cfg *cfg, const char *jid);

/* Records a connection of domain d coming up or going down. */
void metrics_connection(enum metrics_domain d, bool up);

/* A monotonic time in microseconds, for timing a commit: take it before,
 * hand it to metrics_commit_done() after. */
int64_t metrics_clock_us(void);
void metrics_commit_done(int64_t start_us);

/* Adds one observation of seconds to a histogram with the commit bounds. */
void metrics_observe(struct metrics_histogram *h, double seconds);

/* What a rendering says besides the counters. */
struct metrics_info {
	const char *domain[METRICS_DOMAINS]; /* label values */
	int64_t start_ms;                    /* process start, epoch ms */
};

/* Renders m in the OpenMetrics text format, "# EOF" line included, into a
 * new string (free() it); *len gets its length. */
char *metrics_render(const struct metrics_counters *m,
		     const struct metrics_info *info, size_t *len);

/* The listener. */
struct metrics_listener;

/* Starts the listener on cfg's <metrics listen=.../>: 0 with *out set, 0
 * with *out NULL when the configuration has none, -1 (logged) when it
 * cannot listen. */
int metrics_start(const struct cfg *cfg, int64_t start_ms,
		  struct metrics_listener **out);

/* The same on an address of the caller's (port 0: any free port, see
 * metrics_port()); the domain names are copied.  NULL (logged) on
 * failure. */
struct metrics_listener *metrics_start_at(const struct sockaddr *addr,
					  socklen_t addrlen,
					  const char *service_domain,
					  const char *rooms_domain,
					  int64_t start_ms);

/* The port the listener is bound to. */
unsigned metrics_port(const struct metrics_listener *l);

/* Hands the listener a copy of the counters to serve from now on; the
 * event loop calls it once a pass.  Accepts NULL. */
void metrics_publish(struct metrics_listener *l);

/* Stops the listener and frees it; accepts NULL. */
void metrics_stop(struct metrics_listener *l);

/* Fetches http://LISTEN/metrics (listen as in the configuration) within
 * timeout_ms.  Returns 0 with the body in *text (free() it), or -1 with a
 * one-line reason in err. */
int metrics_scrape(const char *listen, long timeout_ms, char **text,
		   char *err, size_t errlen);

#endif
