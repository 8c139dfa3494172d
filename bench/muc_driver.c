/*
 * muc_driver.c - the load driver of the MUC benchmark: the server side of
 * XEP-0114 on 127.0.0.1 (bench/driver.h) for backchanneld (two
 * connections, D and M) or for the bare baseline (bench/fanout_component
 * -r 0, one connection).
 *
 * Occupants are N real full JIDs u1@HOST/r ... uN@HOST/r with nicks u1 ...
 * uN.  With -J (the daemon) it first enters them into ROOM: one XEP-0045
 * join presence each (§7.2.1), all sent at once, and waits for the N
 * self-presences (status 110, §7.2.2); then it sends an IQ ping to the
 * room service from u1 and waits for the result, so that everything the
 * joins caused has arrived (the daemon answers in order on one
 * connection).
 *
 * Then it reads the component's CPU time and sends M groupchat messages
 * from u1@HOST/r to ROOM, keeping at most WINDOW deliveries outstanding,
 * and counts the deliveries: groupchat messages from ROOM/u1 to one of the
 * N occupants that carry the message's body, a XEP-0359 stanza id and a
 * XEP-0421 occupant id.  Every occupant must get
 * every message exactly once (XEP-0045 §7.4: the sender too); an error,
 * or a delivery to anyone else, fails the run.  After the last delivery
 * it reads the CPU time again.  The result is one line:
 *
 *   RESULT n=N messages=M deliveries=.. other=.. join_s=.. wall_s=..
 *          cpu_s=.. user_s=.. sys_s=.. per_cpu_s=.. per_wall_s=..
 *          bytes=.. bytes_per_delivery=.. driver_cpu_s=..
 *
 * per_cpu_s is deliveries per CPU-second of the component (schedstat),
 * bytes what was read on the feed connection during the messages.  The
 * first delivery is shown on stderr.
 * Everything is bounded by TIMEOUT seconds.
 *
 * usage: muc_driver -o PORTFILE -w PIDFILE -d FEED_DOMAIN -r ROOM -n N
 *        -m MESSAGES [-c CONNS] [-J] [-W WINDOW] [-H HOST] [-s SECRET]
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
#define MD_OUT_HIGH 65536
#define MD_BODY     "bench message"
/* What every delivery carries besides the body (XEP-0359, XEP-0421). */
#define NS_SID      "urn:xmpp:sid:0"
#define NS_OCC      "urn:xmpp:occupant-id:0"

enum md_phase {
	MD_WAIT,    /* connections coming up */
	MD_JOIN,    /* join presences sent, self-presences awaited */
	MD_BARRIER, /* ping sent, result awaited */
	MD_RUN,
};

struct md {
	const char *room;
	const char *host;
	long n;
	long messages;
	long window;
	enum md_phase phase;
	struct drv_peer *feed;
	char from_u1[512]; /* ROOM/u1 */
	long joined;
	long sent;
	long deliveries;
	long other;
	long *got; /* deliveries per occupant, [1..n] */
};

/* The occupant number k of a JID u<k>@HOST/r, or 0. */
static long md_occupant(const struct md *md, const char *jid)
{
	const char *at, *p;
	long k = 0;

	if (jid[0] != 'u')
		return 0;
	for (p = jid + 1; *p >= '0' && *p <= '9' && k <= md->n; p++)
		k = k * 10 + (*p - '0');
	at = p;
	if (k < 1 || k > md->n || *at != '@' ||
	    strncmp(at + 1, md->host, strlen(md->host)) != 0 ||
	    strcmp(at + 1 + strlen(md->host), "/r") != 0)
		return 0;
	return k;
}

static void md_bad(const char *what, const char *elem, const char *end)
{
	drv_fail("%s: %.*s", what, (int)(end - elem > 600 ? 600 : end - elem),
		 elem);
}

static void md_join_element(struct md *md, const char *elem, const char *end,
			    const char *tag_end, const char *type,
			    const char *from, const char *to)
{
	char want[512];
	long k;

	if (strcmp(type, "error") == 0)
		md_bad("an error during the joins", elem, end);
	if (!drv_is(elem, end, "presence")) {
		md->other++;
		return;
	}
	(void)tag_end;
	k = md_occupant(md, to);
	snprintf(want, sizeof(want), "%s/u%ld", md->room, k);
	/* §7.2.2: the self-presence comes from the occupant's own room JID
	 * and carries status 110. */
	if (k != 0 && strcmp(from, want) == 0 &&
	    (memmem(elem, (size_t)(end - elem), "code=\"110\"", 10) != NULL ||
	     memmem(elem, (size_t)(end - elem), "code='110'", 10) != NULL))
		md->joined++;
	else
		md->other++;
}

static void md_element(struct drv *d, struct drv_peer *p, const char *elem,
		       const char *end)
{
	struct md *md = d->arg;
	const char *tag_end = drv_tag_end(elem, end);
	char type[32], from[512], to[512], id[64];
	long k;

	/* D's own traffic (presence probes to the linked accounts, ...) is
	 * not part of the benchmark. */
	if (p != md->feed) {
		md->other++;
		return;
	}
	drv_attr(elem, tag_end, "type", type, sizeof(type));
	drv_attr(elem, tag_end, "from", from, sizeof(from));
	drv_attr(elem, tag_end, "to", to, sizeof(to));
	switch (md->phase) {
	case MD_WAIT:
		md->other++;
		return;
	case MD_JOIN:
		md_join_element(md, elem, end, tag_end, type, from, to);
		return;
	case MD_BARRIER:
		drv_attr(elem, tag_end, "id", id, sizeof(id));
		if (drv_is(elem, end, "iq") && strcmp(id, "bench-barrier") == 0) {
			if (strcmp(type, "result") != 0)
				md_bad("the ping was not answered", elem, end);
			md->phase = MD_RUN;
			return;
		}
		if (strcmp(type, "error") == 0)
			md_bad("an error after the joins", elem, end);
		md->other++;
		return;
	case MD_RUN:
		break;
	}
	if (strcmp(type, "error") == 0)
		md_bad("an error during the messages", elem, end);
	if (!drv_is(elem, end, "message")) {
		md->other++;
		return;
	}
	k = md_occupant(md, to);
	if (k == 0 || strcmp(type, "groupchat") != 0 ||
	    strcmp(from, md->from_u1) != 0 ||
	    memmem(elem, (size_t)(end - elem), MD_BODY, strlen(MD_BODY)) ==
		    NULL ||
	    memmem(elem, (size_t)(end - elem), NS_SID, strlen(NS_SID)) ==
		    NULL ||
	    memmem(elem, (size_t)(end - elem), NS_OCC, strlen(NS_OCC)) == NULL)
		md_bad("not a delivery", elem, end);
	if (md->deliveries == 0)
		fprintf(stderr, "muc_driver: the first delivery: %.*s\n",
			(int)(end - elem), elem);
	md->got[k]++;
	md->deliveries++;
}

static void md_send_joins(struct md *md)
{
	char buf[1024];
	long k;

	for (k = 1; k <= md->n; k++) {
		snprintf(buf, sizeof(buf),
			 "<presence from='u%ld@%s/r' to='%s/u%ld'>"
			 "<x xmlns='http://jabber.org/protocol/muc'>"
			 "<history maxstanzas='0'/></x></presence>",
			 k, md->host, md->room, k);
		drv_queue_str(md->feed, buf);
	}
}

static void md_send_barrier(struct md *md, const char *domain)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "<iq type='get' id='bench-barrier' from='u1@%s/r' to='%s'>"
		 "<ping xmlns='urn:xmpp:ping'/></iq>",
		 md->host, domain);
	drv_queue_str(md->feed, buf);
}

/* Queues messages while the window allows. */
static void md_generate(struct md *md)
{
	char buf[1024];
	int len;

	while (md->sent < md->messages &&
	       (md->sent * md->n - md->deliveries) < md->window &&
	       drv_pending(md->feed) < MD_OUT_HIGH) {
		md->sent++;
		len = snprintf(buf, sizeof(buf),
			       "<message type='groupchat' id='m%ld' "
			       "from='u1@%s/r' to='%s'><body>" MD_BODY
			       " %ld: is everyone hearing the echo on the "
			       "second speaker?</body></message>",
			       md->sent, md->host, md->room, md->sent);
		drv_queue(md->feed, buf, (size_t)len);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: muc_driver -o PORTFILE -w PIDFILE -d FEED_DOMAIN -r ROOM "
		"-n N -m MESSAGES\n"
		"       [-c CONNS] [-J] [-W WINDOW] [-H HOST] [-s SECRET] "
		"[-T TIMEOUT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct md md;
	struct drv d;
	struct drv_cpu c0, c1;
	const char *portfile = NULL, *pidfile = NULL, *domain = NULL;
	const char *secret = "bench";
	double timeout = 120, deadline, tj = 0, t0 = 0, t1, self0 = 0;
	uint64_t bytes0 = 0;
	bool join = false;
	long pid = 0, k;
	int conns = 1, ch;

	drv_name = "muc_driver";
	memset(&md, 0, sizeof(md));
	md.host = "bench.test";
	md.window = 5000;
	while ((ch = getopt(argc, argv, "o:w:d:r:n:m:c:JW:H:s:T:")) != -1) {
		switch (ch) {
		case 'o': portfile = optarg; break;
		case 'w': pidfile = optarg; break;
		case 'd': domain = optarg; break;
		case 'r': md.room = optarg; break;
		case 'n': md.n = atol(optarg); break;
		case 'm': md.messages = atol(optarg); break;
		case 'c': conns = atoi(optarg); break;
		case 'J': join = true; break;
		case 'W': md.window = atol(optarg); break;
		case 'H': md.host = optarg; break;
		case 's': secret = optarg; break;
		case 'T': timeout = atof(optarg); break;
		default: usage();
		}
	}
	if (portfile == NULL || pidfile == NULL || domain == NULL ||
	    md.room == NULL || md.n < 1 || md.n > 100000 || md.messages < 1 ||
	    md.window < 1 || conns < 1 || conns > DRV_MAX_CONNS ||
	    optind != argc)
		usage();
	md.got = calloc((size_t)md.n + 1, sizeof(*md.got));
	if (md.got == NULL)
		drv_fail("out of memory");
	snprintf(md.from_u1, sizeof(md.from_u1), "%s/u1", md.room);
	signal(SIGPIPE, SIG_IGN);
	deadline = drv_now() + timeout;
	drv_start(&d, portfile, secret, conns, md_element, &md);

	while (md.phase != MD_RUN || md.deliveries < md.messages * md.n) {
		int wait;

		if (md.phase == MD_WAIT && drv_all_up(&d)) {
			md.feed = drv_peer(&d, domain);
			if (md.feed == NULL)
				drv_fail("no connection for %s", domain);
			pid = drv_read_pid(pidfile, deadline);
			if (pid == 0)
				drv_fail("no PID in the PID file");
			tj = drv_now();
			if (join) {
				md.phase = MD_JOIN;
				md_send_joins(&md);
			} else {
				md.phase = MD_RUN;
			}
		}
		if (md.phase == MD_JOIN && md.joined == md.n) {
			md.phase = MD_BARRIER;
			md_send_barrier(&md, domain);
		}
		if (md.phase == MD_RUN && t0 == 0) {
			if (!drv_cpu(pid, &c0))
				drv_fail("cannot read the component's CPU time");
			self0 = drv_self_cpu();
			bytes0 = md.feed->bytes_in;
			t0 = drv_now();
		}
		if (md.phase == MD_RUN)
			md_generate(&md);
		if (drv_now() > deadline)
			drv_fail("timed out after %.0f s: %d of %d connected, "
				 "%ld of %ld joined, %ld of %ld messages sent, "
				 "%ld deliveries",
				 timeout, d.npeers, d.conns, md.joined, md.n,
				 md.sent, md.messages, md.deliveries);
		wait = (int)((deadline - drv_now()) * 1000) + 1;
		drv_poll(&d, wait > 1000 ? 1000 : wait);
	}
	t1 = drv_now();
	if (!drv_cpu(pid, &c1))
		drv_fail("cannot read the component's CPU time");
	for (k = 1; k <= md.n; k++)
		if (md.got[k] != md.messages)
			drv_fail("u%ld got %ld of %ld messages", k, md.got[k],
				 md.messages);
	{
		double wall = t1 - t0, cpu = c1.total - c0.total;
		double bytes = (double)(md.feed->bytes_in - bytes0);

		printf("RESULT n=%ld messages=%ld deliveries=%ld other=%ld "
		       "join_s=%.3f wall_s=%.4f cpu_s=%.4f user_s=%.2f "
		       "sys_s=%.2f per_cpu_s=%.0f per_wall_s=%.0f bytes=%.0f "
		       "bytes_per_delivery=%.1f driver_cpu_s=%.3f\n",
		       md.n, md.messages, md.deliveries, md.other, t0 - tj,
		       wall, cpu, c1.user - c0.user, c1.sys - c0.sys,
		       cpu > 0 ? (double)md.deliveries / cpu : 0,
		       wall > 0 ? (double)md.deliveries / wall : 0, bytes,
		       bytes / (double)md.deliveries, drv_self_cpu() - self0);
		fflush(stdout);
	}
	drv_stop(&d);
	free(md.got);
	return 0;
}
