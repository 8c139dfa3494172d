/*
 * latency_client.c - the two XMPP clients of the latency benchmark
 * (bench/latency.py, docs/BENCHMARKS.md "Latency of the component hop").
 *
 * One process, one libstrophe context, two c2s connections to the server
 * on 127.0.0.1 (no TLS): A sends, B receives.  Each message carries its
 * path and sequence number in its body; B's handler takes the time it
 * arrives, and A's send time is taken just before the message is queued
 * (libstrophe writes it at the start of the next xmpp_run_once(), called
 * at once).  Both times come from one monotonic clock, so a sample is the
 * one-way latency including both clients' own handling, which is the
 * same for both paths (the clients' sockets have TCP_NODELAY, as
 * interactive clients do, so that their own writes are not held back):
 *
 *   hop:    A -> HOP_TO (B's identity at the component) -> server ->
 *           component -> server -> B
 *   direct: A -> DIRECT_TO (B's own account) -> server -> B
 *
 * It first checks both paths (one message each, retried while the
 * component connects), then measures the maximum rate of each path (a
 * window of WINDOW unanswered messages for MAX_S seconds), then runs
 * ROUNDS rounds of two phases of PHASE_S seconds each, hop and direct (the
 * order alternates from round to round), each sending at RATE messages a
 * second on a fixed schedule (open loop; RATE 0: half the hop path's
 * maximum).  A phase ends when its last message has arrived or 2 s after
 * its last send; messages that did not arrive are counted lost.
 *
 * Output on stdout: "MAX path=.. per_s=.." lines, one "PHASE round=..
 * path=.. rate=.. sent=.. received=.. lost=.." line a phase, and every
 * sample as "SAMPLE round path microseconds" in SAMPLES.
 *
 * usage: latency_client -p PORT -a A_JID -b B_JID -w PASSWORD -H HOP_TO
 *        -D DIRECT_TO -o SAMPLES [-R RATE] [-m MAX_S] [-t PHASE_S]
 *        [-r ROUNDS] [-W WINDOW] [-T TIMEOUT]
 */
#include <config.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <strophe.h>

enum lc_path { LC_HOP, LC_DIRECT, LC_PATHS };

static const char *const lc_path_name[LC_PATHS] = {"hop", "direct"};

struct lc {
	xmpp_ctx_t *ctx;
	xmpp_conn_t *a, *b;
	bool a_up, b_up;
	bool closing; /* the end: connections may go */
	const char *to[LC_PATHS];
	FILE *samples;
	/* The current phase: its path, round, send times (-1: arrived). */
	enum lc_path path;
	int round;
	bool record;
	double *sent_at;
	long cap;
	long sent, received, stray;
	unsigned long phase_id; /* in every body, so late arrivals of an
				 * earlier phase are told apart */
};

static double lc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void lc_fail(const char *what)
{
	fprintf(stderr, "latency_client: %s\n", what);
	exit(1);
}

static void lc_log(void *arg, xmpp_log_level_t level, const char *area,
		   const char *msg)
{
	(void)arg;
	if (level >= XMPP_LEVEL_ERROR)
		fprintf(stderr, "latency_client: libstrophe %s: %s\n", area,
			msg);
}

/* B: a message of the current phase arrived. */
static int lc_on_message(xmpp_conn_t *conn, xmpp_stanza_t *st, void *arg)
{
	struct lc *lc = arg;
	double now = lc_now();
	xmpp_stanza_t *body = xmpp_stanza_get_child_by_name(st, "body");
	const char *type = xmpp_stanza_get_type(st);
	char *text;
	unsigned long phase;
	long seq;
	char path[16];

	(void)conn;
	if (body == NULL || (type != NULL && strcmp(type, "error") == 0))
		return 1;
	text = xmpp_stanza_get_text(body);
	if (text != NULL &&
	    sscanf(text, "lat %15s %lu %ld", path, &phase, &seq) == 3 &&
	    phase == lc->phase_id && seq >= 0 && seq < lc->sent &&
	    lc->sent_at[seq] >= 0 &&
	    strcmp(path, lc_path_name[lc->path]) == 0) {
		if (lc->record)
			fprintf(lc->samples, "SAMPLE %d %s %.1f\n", lc->round,
				path, (now - lc->sent_at[seq]) * 1e6);
		lc->sent_at[seq] = -1;
		lc->received++;
	} else {
		lc->stray++;
	}
	xmpp_free(lc->ctx, text);
	return 1;
}

static void lc_event(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
		     xmpp_stream_error_t *se, void *arg)
{
	struct lc *lc = arg;
	xmpp_stanza_t *pres;

	(void)se;
	if (ev != XMPP_CONN_CONNECT && lc->closing)
		return;
	if (ev != XMPP_CONN_CONNECT) {
		fprintf(stderr, "latency_client: a connection ended (%s)\n",
			error ? strerror(error) : "closed");
		exit(1);
	}
	/* Available, so that messages to the bare JID are delivered. */
	pres = xmpp_presence_new(lc->ctx);
	xmpp_send(conn, pres);
	xmpp_stanza_release(pres);
	if (conn == lc->a)
		lc->a_up = true;
	else
		lc->b_up = true;
}

/* Clients send small messages at once: no Nagle delay on our side. */
static int lc_sockopt(xmpp_conn_t *conn, void *sock)
{
	int one = 1;

	(void)conn;
	return setsockopt(*(int *)sock, IPPROTO_TCP, TCP_NODELAY, &one,
			  sizeof(one));
}

static xmpp_conn_t *lc_connect(struct lc *lc, const char *jid,
			       const char *password, unsigned short port)
{
	xmpp_conn_t *c = xmpp_conn_new(lc->ctx);

	xmpp_conn_set_flags(c, XMPP_CONN_FLAG_DISABLE_TLS);
	xmpp_conn_set_sockopt_callback(c, lc_sockopt);
	xmpp_conn_set_jid(c, jid);
	xmpp_conn_set_pass(c, password);
	if (xmpp_connect_client(c, "127.0.0.1", port, lc_event, lc) !=
	    XMPP_EOK)
		lc_fail("cannot connect");
	return c;
}

/* Starts a phase on path; record: keep its samples. */
static void lc_phase(struct lc *lc, enum lc_path path, int round, bool record,
		     long cap)
{
	lc->path = path;
	lc->round = round;
	lc->record = record;
	lc->phase_id++;
	lc->sent = lc->received = lc->stray = 0;
	if (cap > lc->cap) {
		lc->sent_at = realloc(lc->sent_at, (size_t)cap * sizeof(double));
		if (lc->sent_at == NULL)
			lc_fail("out of memory");
		lc->cap = cap;
	}
}

static void lc_send(struct lc *lc)
{
	xmpp_stanza_t *m;
	char body[96], id[32];

	if (lc->sent == lc->cap)
		lc_fail("more messages than planned");
	snprintf(body, sizeof(body), "lat %s %lu %ld", lc_path_name[lc->path],
		 lc->phase_id, lc->sent);
	snprintf(id, sizeof(id), "l%lu-%ld", lc->phase_id, lc->sent);
	m = xmpp_message_new(lc->ctx, "chat", lc->to[lc->path], id);
	xmpp_message_set_body(m, body);
	lc->sent_at[lc->sent++] = lc_now();
	xmpp_send(lc->a, m);
	xmpp_stanza_release(m);
	xmpp_run_once(lc->ctx, 0); /* written now */
}

/* Runs the loop until deadline or until cond(lc) holds. */
static void lc_run_until(struct lc *lc, double deadline,
			 bool (*cond)(const struct lc *))
{
	while ((cond == NULL || !cond(lc)) && lc_now() < deadline)
		xmpp_run_once(lc->ctx, 10);
}

static bool lc_all_in(const struct lc *lc)
{
	return lc->received == lc->sent;
}

static bool lc_both_up(const struct lc *lc)
{
	return lc->a_up && lc->b_up;
}

/* One message on path, retried each second until it arrives. */
static void lc_check(struct lc *lc, enum lc_path path, double deadline)
{
	while (lc_now() < deadline) {
		lc_phase(lc, path, 0, false, 1);
		lc_send(lc);
		lc_run_until(lc, lc_now() + 1, lc_all_in);
		if (lc_all_in(lc))
			return;
	}
	fprintf(stderr, "latency_client: no message arrived on the %s path\n",
		lc_path_name[path]);
	exit(1);
}

/* The path's maximum rate: at most window unanswered, for secs seconds
 * after a quarter of a second to warm up. */
static double lc_max(struct lc *lc, enum lc_path path, double secs,
		     long window)
{
	double start, t0, t1, end;
	long r0;

	lc_phase(lc, path, 0, false, 2000000);
	start = lc_now();
	t0 = start + 0.25;
	end = t0 + secs;
	r0 = -1;
	while (lc_now() < end) {
		while (lc->sent - lc->received < window)
			lc_send(lc);
		if (r0 < 0 && lc_now() >= t0) {
			r0 = lc->received;
			t0 = lc_now();
		}
		xmpp_run_once(lc->ctx, 1);
	}
	t1 = lc_now();
	if (r0 < 0)
		r0 = 0;
	{
		double rate = (double)(lc->received - r0) / (t1 - t0);

		lc_run_until(lc, t1 + 5, lc_all_in);
		printf("MAX path=%s per_s=%.0f\n", lc_path_name[path], rate);
		fflush(stdout);
		return rate;
	}
}

/* One timed phase: rate messages a second for secs seconds. */
static void lc_timed(struct lc *lc, enum lc_path path, int round, double rate,
		     double secs)
{
	long total = (long)(rate * secs);
	double start, due;

	lc_phase(lc, path, round, true, total + 1);
	start = lc_now();
	while (lc->sent < total) {
		double now = lc_now();
		int wait;

		due = start + (double)lc->sent / rate;
		if (now >= due) {
			lc_send(lc);
			continue;
		}
		wait = (int)((due - now) * 1000);
		xmpp_run_once(lc->ctx, wait > 0 ? (unsigned long)wait : 0);
	}
	lc_run_until(lc, lc_now() + 2, lc_all_in);
	printf("PHASE round=%d path=%s rate=%.0f sent=%ld received=%ld "
	       "lost=%ld stray=%ld\n",
	       round, lc_path_name[path], rate, lc->sent, lc->received,
	       lc->sent - lc->received, lc->stray);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: latency_client -p PORT -a A_JID -b B_JID -w PASSWORD "
		"-H HOP_TO -D DIRECT_TO\n"
		"       -o SAMPLES [-R RATE] [-m MAX_S] [-t PHASE_S] [-r ROUNDS] "
		"[-W WINDOW] [-T TIMEOUT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	xmpp_log_t log = {lc_log, NULL};
	const char *a_jid = NULL, *b_jid = NULL, *password = NULL;
	const char *out = NULL;
	double rate = 0, max_s = 2, phase_s = 3, timeout = 30, hop_max;
	long window = 100;
	unsigned port = 0;
	int rounds = 5, ch, r;
	struct lc lc;

	memset(&lc, 0, sizeof(lc));
	while ((ch = getopt(argc, argv, "p:a:b:w:H:D:o:R:m:t:r:W:T:")) != -1) {
		switch (ch) {
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'a': a_jid = optarg; break;
		case 'b': b_jid = optarg; break;
		case 'w': password = optarg; break;
		case 'H': lc.to[LC_HOP] = optarg; break;
		case 'D': lc.to[LC_DIRECT] = optarg; break;
		case 'o': out = optarg; break;
		case 'R': rate = atof(optarg); break;
		case 'm': max_s = atof(optarg); break;
		case 't': phase_s = atof(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'W': window = atol(optarg); break;
		case 'T': timeout = atof(optarg); break;
		default: usage();
		}
	}
	if (port == 0 || port > 65535 || a_jid == NULL || b_jid == NULL ||
	    password == NULL || lc.to[LC_HOP] == NULL ||
	    lc.to[LC_DIRECT] == NULL || out == NULL || rate < 0 ||
	    max_s <= 0 || phase_s <= 0 || rounds < 1 || window < 1 ||
	    optind != argc)
		usage();
	lc.samples = fopen(out, "w");
	if (lc.samples == NULL)
		lc_fail("cannot open the samples file");
	signal(SIGPIPE, SIG_IGN);
	xmpp_initialize();
	lc.ctx = xmpp_ctx_new(NULL, &log);
	lc.a = lc_connect(&lc, a_jid, password, (unsigned short)port);
	lc.b = lc_connect(&lc, b_jid, password, (unsigned short)port);
	xmpp_handler_add(lc.b, lc_on_message, NULL, "message", NULL, &lc);
	lc_run_until(&lc, lc_now() + timeout, lc_both_up);
	if (!lc_both_up(&lc))
		lc_fail("the clients did not connect");

	lc_check(&lc, LC_HOP, lc_now() + timeout);
	lc_check(&lc, LC_DIRECT, lc_now() + timeout);
	hop_max = lc_max(&lc, LC_HOP, max_s, window);
	(void)lc_max(&lc, LC_DIRECT, max_s, window);
	if (rate == 0)
		rate = hop_max / 2;
	if (rate < 1)
		lc_fail("no rate to run at");
	for (r = 1; r <= rounds; r++) {
		enum lc_path first = r % 2 ? LC_HOP : LC_DIRECT;

		lc_timed(&lc, first, r, rate, phase_s);
		lc_timed(&lc, first == LC_HOP ? LC_DIRECT : LC_HOP, r, rate,
			 phase_s);
	}
	fclose(lc.samples);
	lc.closing = true;
	xmpp_disconnect(lc.a);
	xmpp_disconnect(lc.b);
	lc_run_until(&lc, lc_now() + 1, NULL);
	xmpp_conn_release(lc.a);
	xmpp_conn_release(lc.b);
	xmpp_ctx_free(lc.ctx);
	xmpp_shutdown();
	free(lc.sent_at);
	return 0;
}
