/*
 * relay_driver.c - a load driver for the relay benchmark: the server side
 * of XEP-0114 on 127.0.0.1 (bench/driver.h).
 *
 * It listens on an ephemeral loopback port (written to PORTFILE), accepts
 * CONNS component connections (backchanneld opens two, D and M; the echo
 * baseline one), answers each stream header, checks each handshake digest
 * and then pipelines N one-to-one chat messages on the connection of
 * FEED_DOMAIN, keeping at most WINDOW of them unanswered.  A message
 * counts as answered when a <message/> comes back on any connection: the
 * relayed copy for the daemon, the echo for the baseline.  Error messages,
 * and messages that lack the EXPECT text, fail the run.
 *
 * The component's CPU time is read from /proc/PID/stat (utime + stime;
 * PID from PIDFILE, read once every connection is up) just before the
 * first message and just after the last answer, with the wall time in
 * between.  The result is one line:
 *
 *   RESULT n=N answered=.. errors=.. unexpected=.. other=.. wall_s=..
 *          cpu_s=.. user_s=.. sys_s=.. per_cpu_s=.. per_wall_s=..
 *          driver_cpu_s=..
 *
 * Everything is bounded by TIMEOUT seconds (exit 1 when it passes).
 *
 * usage: relay_driver -o PORTFILE -d FEED_DOMAIN [-w PIDFILE] [-c CONNS]
 *        [-n N] [-W WINDOW] [-s SECRET] [-f FROM] [-t TO] [-x EXPECT]
 *        [-T TIMEOUT]
 */
#include <config.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/driver.h"

/* Stop generating once this much is queued for the socket. */
#define RD_OUT_HIGH 65536

struct rd {
	const char *from;
	const char *to;
	const char *expect;
	long n;
	long window;
	struct drv_peer *feed;
	long sent;
	long answered;
	long errors;
	long unexpected;
	long other;
	bool reported_bad;
};

/* One complete top-level element [elem, end) from p. */
static void rd_element(struct drv *d, struct drv_peer *p, const char *elem,
		       const char *end)
{
	struct rd *rd = d->arg;
	const char *tag_end = drv_tag_end(elem, end);
	char type[32];

	(void)p;
	if (!drv_is(elem, end, "message")) {
		rd->other++;
		return;
	}
	drv_attr(elem, tag_end, "type", type, sizeof(type));
	if (strcmp(type, "error") == 0) {
		rd->errors++;
	} else if (rd->expect != NULL &&
		   memmem(elem, (size_t)(end - elem), rd->expect,
			  strlen(rd->expect)) == NULL) {
		rd->unexpected++;
	} else {
		rd->answered++;
		return;
	}
	if (!rd->reported_bad) {
		rd->reported_bad = true;
		fprintf(stderr, "relay_driver: unexpected answer: %.*s\n",
			(int)(end - elem > 600 ? 600 : end - elem), elem);
	}
}

/* Queues messages on the feed while the window allows. */
static void rd_generate(struct rd *rd)
{
	char msg[512];
	int len;

	while (rd->sent < rd->n && rd->sent - rd->answered < rd->window &&
	       drv_pending(rd->feed) < RD_OUT_HIGH) {
		rd->sent++;
		len = snprintf(msg, sizeof(msg),
			       "<message type='chat' id='m%ld' from='%s' "
			       "to='%s'><body>hello %ld</body></message>",
			       rd->sent, rd->from, rd->to, rd->sent);
		drv_queue(rd->feed, msg, (size_t)len);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: relay_driver -o PORTFILE -d FEED_DOMAIN [-w PIDFILE] "
		"[-c CONNS] [-n N]\n"
		"       [-W WINDOW] [-s SECRET] [-f FROM] [-t TO] [-x EXPECT] "
		"[-T TIMEOUT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct rd rd;
	struct drv d;
	struct drv_cpu c0 = {0, 0, 0}, c1 = {0, 0, 0};
	const char *portfile = NULL, *pidfile = NULL, *feed_domain = NULL;
	const char *secret = "bench";
	double timeout = 60, deadline, t0 = 0, t1, self0 = 0;
	bool running = false;
	long pid = 0;
	int conns = 1, ch;

	drv_name = "relay_driver";
	memset(&rd, 0, sizeof(rd));
	rd.from = "alice@bench.test/r";
	rd.to = "bob@bc.bench";
	rd.n = 100000;
	rd.window = 500;
	while ((ch = getopt(argc, argv, "o:d:w:c:n:W:s:f:t:x:T:")) != -1) {
		switch (ch) {
		case 'o': portfile = optarg; break;
		case 'd': feed_domain = optarg; break;
		case 'w': pidfile = optarg; break;
		case 'c': conns = atoi(optarg); break;
		case 'n': rd.n = atol(optarg); break;
		case 'W': rd.window = atol(optarg); break;
		case 's': secret = optarg; break;
		case 'f': rd.from = optarg; break;
		case 't': rd.to = optarg; break;
		case 'x': rd.expect = optarg; break;
		case 'T': timeout = atof(optarg); break;
		default: usage();
		}
	}
	if (portfile == NULL || feed_domain == NULL || conns < 1 ||
	    conns > DRV_MAX_CONNS || rd.n < 0 || rd.window < 1 ||
	    optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	deadline = drv_now() + timeout;
	drv_start(&d, portfile, secret, conns, rd_element, &rd);

	for (;;) {
		int wait;

		if (!running && drv_all_up(&d)) {
			rd.feed = drv_peer(&d, feed_domain);
			if (rd.feed == NULL)
				drv_fail("no connection for the feed domain");
			if (pidfile != NULL &&
			    (pid = drv_read_pid(pidfile, deadline)) == 0)
				drv_fail("no PID in the PID file");
			running = true;
			if (pid != 0 && !drv_cpu(pid, &c0))
				drv_fail("cannot read the component's CPU time");
			self0 = drv_self_cpu();
			t0 = drv_now();
		}
		if (running) {
			if (rd.answered + rd.errors + rd.unexpected >= rd.n)
				break;
			rd_generate(&rd);
		}
		if (drv_now() > deadline) {
			fprintf(stderr,
				"relay_driver: timed out after %.0f s: %d of "
				"%d connected, %ld sent, %ld answered\n",
				timeout, d.npeers, d.conns, rd.sent,
				rd.answered);
			return 1;
		}
		wait = (int)((deadline - drv_now()) * 1000) + 1;
		drv_poll(&d, wait > 1000 ? 1000 : wait);
	}
	t1 = drv_now();
	if (pid != 0 && !drv_cpu(pid, &c1))
		drv_fail("cannot read the component's CPU time");
	{
		double wall = t1 - t0, user = c1.user - c0.user;
		double sys = c1.sys - c0.sys, cpu = user + sys;
		double self = drv_self_cpu() - self0;

		printf("RESULT n=%ld answered=%ld errors=%ld unexpected=%ld "
		       "other=%ld wall_s=%.3f cpu_s=%.3f user_s=%.3f "
		       "sys_s=%.3f per_cpu_s=%.0f per_wall_s=%.0f "
		       "driver_cpu_s=%.3f\n",
		       rd.n, rd.answered, rd.errors, rd.unexpected, rd.other,
		       wall, cpu, user, sys, cpu > 0 ? (double)rd.answered / cpu : 0,
		       wall > 0 ? (double)rd.answered / wall : 0, self);
		fflush(stdout);
	}
	drv_stop(&d);
	return rd.errors || rd.unexpected ? 1 : 0;
}
