/*
 * relay_driver.c - a load driver for the relay benchmark: the server side
 * of XEP-0114 on 127.0.0.1.
 *
 * It listens on an ephemeral loopback port (written to PORTFILE), accepts
 * CONNS component connections (backchanneld opens two, D and M; the echo
 * baseline one), answers each stream header, checks each handshake digest
 * (SHA-1 of stream id and secret, XEP-0114 §3) and then pipelines N
 * one-to-one chat messages on the connection of FEED_DOMAIN, keeping at
 * most WINDOW of them unanswered.  A message counts as answered when a
 * <message/> comes back on any connection: the relayed copy for the
 * daemon, the echo for the baseline.  Error messages, and messages that
 * lack the EXPECT text, fail the run.
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

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <strophe.h>

#define RD_MAX_CONNS 4
/* Stop generating once this much is queued for the socket. */
#define RD_OUT_HIGH  65536

enum rd_state {
	RD_HEADER,    /* waiting for the component's stream header */
	RD_HANDSHAKE, /* waiting for <handshake/> */
	RD_UP,
	RD_CLOSED,
};

struct rd_peer {
	int fd;
	enum rd_state state;
	char domain[256];
	char stream_id[32];
	/* What was read and not yet consumed, with the scanner's state:
	 * the next byte to look at, the element depth (1 = inside the
	 * stream) and where the current top-level element started. */
	char *in;
	size_t in_len, in_cap, pos, start;
	int depth;
	/* What waits to be written. */
	char *out;
	size_t out_len, out_off, out_cap;
};

struct rd {
	const char *secret;
	const char *feed_domain;
	const char *from;
	const char *to;
	const char *expect;
	long n;
	long window;
	int conns;
	struct rd_peer peers[RD_MAX_CONNS];
	int npeers;
	struct rd_peer *feed;
	long sent;
	long answered;
	long errors;
	long unexpected;
	long other;
	bool reported_bad;
	xmpp_ctx_t *xctx;
};

static double rd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *rd_xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL) {
		fprintf(stderr, "relay_driver: out of memory\n");
		exit(1);
	}
	return p;
}

static void rd_fail(const char *what)
{
	fprintf(stderr, "relay_driver: %s\n", what);
	exit(1);
}

/* Appends text to what waits to be written to p. */
static void rd_queue(struct rd_peer *p, const char *s, size_t len)
{
	if (p->out_off > 0 && p->out_off == p->out_len)
		p->out_off = p->out_len = 0;
	if (p->out_len + len > p->out_cap) {
		if (p->out_off > 0) {
			memmove(p->out, p->out + p->out_off,
				p->out_len - p->out_off);
			p->out_len -= p->out_off;
			p->out_off = 0;
		}
		while (p->out_len + len > p->out_cap)
			p->out_cap = p->out_cap ? p->out_cap * 2 : 65536;
		p->out = rd_xrealloc(p->out, p->out_cap);
	}
	memcpy(p->out + p->out_len, s, len);
	p->out_len += len;
}

static void rd_queue_str(struct rd_peer *p, const char *s)
{
	rd_queue(p, s, strlen(s));
}

/* The value of attribute name in the start tag [tag, end), or "". */
static void rd_attr(const char *tag, const char *end, const char *name,
		    char *out, size_t size)
{
	size_t nlen = strlen(name);
	const char *p;

	out[0] = '\0';
	for (p = tag + 1; p + nlen + 2 < end; p++) {
		const char *v, *q;

		if ((p[-1] != ' ' && p[-1] != '\t' && p[-1] != '\n') ||
		    strncmp(p, name, nlen) != 0 || p[nlen] != '=' ||
		    (p[nlen + 1] != '\'' && p[nlen + 1] != '"'))
			continue;
		v = p + nlen + 2;
		q = memchr(v, p[nlen + 1], (size_t)(end - v));
		if (q == NULL || (size_t)(q - v) >= size)
			return;
		memcpy(out, v, (size_t)(q - v));
		out[q - v] = '\0';
		return;
	}
}

static void rd_stream_header(struct rd *rd, struct rd_peer *p,
			     const char *tag, const char *end)
{
	char hdr[512];

	if (p->state != RD_HEADER)
		rd_fail("a second stream header");
	rd_attr(tag, end, "to", p->domain, sizeof(p->domain));
	snprintf(p->stream_id, sizeof(p->stream_id), "bench-%d-%ld",
		 (int)(p - rd->peers), (long)getpid());
	snprintf(hdr, sizeof(hdr),
		 "<?xml version='1.0'?><stream:stream "
		 "xmlns='jabber:component:accept' "
		 "xmlns:stream='http://etherx.jabber.org/streams' "
		 "from='%s' id='%s'>",
		 p->domain, p->stream_id);
	rd_queue_str(p, hdr);
	p->state = RD_HANDSHAKE;
}

/* XEP-0114 §3: the digest is hex(SHA-1(stream id + secret)). */
static void rd_handshake(struct rd *rd, struct rd_peer *p, const char *elem,
			 const char *end)
{
	const char *gt = memchr(elem, '>', (size_t)(end - elem));
	const char *lt = gt ? memchr(gt, '<', (size_t)(end - gt)) : NULL;
	char input[512], *sha;
	bool ok;

	snprintf(input, sizeof(input), "%s%s", p->stream_id, rd->secret);
	sha = xmpp_sha1(rd->xctx, (const unsigned char *)input, strlen(input));
	ok = sha != NULL && gt != NULL && lt != NULL &&
	     (size_t)(lt - gt - 1) == strlen(sha) &&
	     strncasecmp(gt + 1, sha, strlen(sha)) == 0;
	if (sha != NULL)
		xmpp_free(rd->xctx, sha);
	if (!ok) {
		fprintf(stderr, "relay_driver: %s: bad handshake digest\n",
			p->domain);
		exit(1);
	}
	rd_queue_str(p, "<handshake/>");
	p->state = RD_UP;
	if (strcmp(p->domain, rd->feed_domain) == 0)
		rd->feed = p;
}

/* One complete top-level element [elem, end) from p. */
static void rd_element(struct rd *rd, struct rd_peer *p, const char *elem,
		       const char *end)
{
	const char *tag_end = memchr(elem, '>', (size_t)(end - elem));
	char type[32];

	if (p->state == RD_HANDSHAKE) {
		if (strncmp(elem, "<handshake", 10) != 0)
			rd_fail("expected <handshake/>");
		rd_handshake(rd, p, elem, end);
		return;
	}
	if (strncmp(elem, "<message", 8) != 0 ||
	    (elem[8] != ' ' && elem[8] != '>' && elem[8] != '/')) {
		rd->other++;
		return;
	}
	rd_attr(elem, tag_end, "type", type, sizeof(type));
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

/* Scans what p sent for complete elements.  Libstrophe escapes '<' and
 * '>' in attribute values and text, so tags can be found by bytes. */
static void rd_scan(struct rd *rd, struct rd_peer *p)
{
	char *b = p->in;
	size_t keep;

	while (p->pos < p->in_len) {
		char *lt = memchr(b + p->pos, '<', p->in_len - p->pos);
		char *gt;
		size_t i, j;

		if (lt == NULL) {
			p->pos = p->in_len;
			break;
		}
		i = (size_t)(lt - b);
		gt = memchr(lt, '>', p->in_len - i);
		if (gt == NULL) {
			p->pos = i; /* an incomplete tag: wait for more */
			break;
		}
		j = (size_t)(gt - b);
		p->pos = j + 1;
		if (b[i + 1] == '?' || b[i + 1] == '!')
			continue;
		if (b[i + 1] == '/') {
			if (--p->depth == 1)
				rd_element(rd, p, b + p->start, b + j + 1);
			else if (p->depth <= 0)
				p->state = RD_CLOSED;
			continue;
		}
		if (p->depth == 0) {
			rd_stream_header(rd, p, lt, gt);
			p->depth = 1;
			continue;
		}
		if (p->depth == 1)
			p->start = i;
		if (b[j - 1] == '/') {
			if (p->depth == 1)
				rd_element(rd, p, b + i, b + j + 1);
		} else {
			p->depth++;
		}
	}
	/* Keep only what an unfinished element still needs. */
	keep = p->depth > 1 ? p->start : p->pos;
	if (keep > 0) {
		memmove(p->in, p->in + keep, p->in_len - keep);
		p->in_len -= keep;
		p->pos -= keep;
		p->start = p->start >= keep ? p->start - keep : 0;
	}
}

static void rd_read(struct rd *rd, struct rd_peer *p)
{
	for (;;) {
		ssize_t n;

		if (p->in_cap - p->in_len < 65536) {
			p->in_cap = p->in_cap ? p->in_cap * 2 : 262144;
			p->in = rd_xrealloc(p->in, p->in_cap);
		}
		n = read(p->fd, p->in + p->in_len, p->in_cap - p->in_len);
		if (n > 0) {
			p->in_len += (size_t)n;
			rd_scan(rd, p);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (p->state != RD_CLOSED)
			fprintf(stderr, "relay_driver: %s closed the connection\n",
				p->domain[0] ? p->domain : "a component");
		p->state = RD_CLOSED;
		return;
	}
}

static void rd_write(struct rd_peer *p)
{
	while (p->out_off < p->out_len) {
		ssize_t n = write(p->fd, p->out + p->out_off,
				  p->out_len - p->out_off);

		if (n > 0) {
			p->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		p->state = RD_CLOSED;
		return;
	}
}

/* Queues messages on the feed while the window allows. */
static void rd_generate(struct rd *rd)
{
	char msg[512];
	int len;

	while (rd->sent < rd->n && rd->sent - rd->answered < rd->window &&
	       rd->feed->out_len - rd->feed->out_off < RD_OUT_HIGH) {
		rd->sent++;
		len = snprintf(msg, sizeof(msg),
			       "<message type='chat' id='m%ld' from='%s' "
			       "to='%s'><body>hello %ld</body></message>",
			       rd->sent, rd->from, rd->to, rd->sent);
		rd_queue(rd->feed, msg, (size_t)len);
	}
}

/* utime and stime of pid in seconds; false when unreadable. */
static bool rd_cpu(long pid, double *user, double *sys)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	double hz = (double)sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces: count fields after its ')'. */
	p = strrchr(buf, ')');
	if (p == NULL)
		return false;
	for (field = 2; field < 14 && p != NULL; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu %llu", &ut, &st) != 2)
		return false;
	*user = (double)ut / hz;
	*sys = (double)st / hz;
	return true;
}

static long rd_read_pid(const char *file, double deadline)
{
	long pid = 0;

	while (rd_now() < deadline) {
		FILE *f = fopen(file, "r");

		if (f != NULL) {
			int ok = fscanf(f, "%ld", &pid);

			fclose(f);
			if (ok == 1 && pid > 0)
				return pid;
		}
		usleep(10000);
	}
	return 0;
}

static double rd_self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int rd_listen(const char *portfile)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
	FILE *f;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("relay_driver: listen");
		exit(1);
	}
	f = fopen(portfile, "w");
	if (f == NULL || fprintf(f, "%u\n", ntohs(sa.sin_port)) < 0 ||
	    fclose(f) != 0) {
		perror(portfile);
		exit(1);
	}
	return fd;
}

static void rd_accept(struct rd *rd, int lfd)
{
	int fd, one = 1;
	struct rd_peer *p;

	while (rd->npeers < rd->conns &&
	       (fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		p = &rd->peers[rd->npeers++];
		memset(p, 0, sizeof(*p));
		p->fd = fd;
		p->state = RD_HEADER;
	}
}

static bool rd_all_up(const struct rd *rd)
{
	int i;

	if (rd->npeers < rd->conns)
		return false;
	for (i = 0; i < rd->npeers; i++)
		if (rd->peers[i].state != RD_UP)
			return false;
	return true;
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
	struct pollfd pfd[RD_MAX_CONNS + 1];
	const char *portfile = NULL, *pidfile = NULL;
	double timeout = 60, deadline, t0 = 0, t1, self0 = 0;
	double user0 = 0, sys0 = 0, user1 = 0, sys1 = 0;
	bool running = false;
	long pid = 0;
	int lfd, ch, i;

	memset(&rd, 0, sizeof(rd));
	rd.secret = "bench";
	rd.from = "alice@bench.test/r";
	rd.to = "bob@bc.bench";
	rd.n = 100000;
	rd.window = 500;
	rd.conns = 1;
	while ((ch = getopt(argc, argv, "o:d:w:c:n:W:s:f:t:x:T:")) != -1) {
		switch (ch) {
		case 'o': portfile = optarg; break;
		case 'd': rd.feed_domain = optarg; break;
		case 'w': pidfile = optarg; break;
		case 'c': rd.conns = atoi(optarg); break;
		case 'n': rd.n = atol(optarg); break;
		case 'W': rd.window = atol(optarg); break;
		case 's': rd.secret = optarg; break;
		case 'f': rd.from = optarg; break;
		case 't': rd.to = optarg; break;
		case 'x': rd.expect = optarg; break;
		case 'T': timeout = atof(optarg); break;
		default: usage();
		}
	}
	if (portfile == NULL || rd.feed_domain == NULL || rd.conns < 1 ||
	    rd.conns > RD_MAX_CONNS || rd.n < 0 || rd.window < 1 ||
	    optind != argc)
		usage();
	signal(SIGPIPE, SIG_IGN);
	xmpp_initialize();
	rd.xctx = xmpp_ctx_new(NULL, NULL);
	deadline = rd_now() + timeout;
	lfd = rd_listen(portfile);

	for (;;) {
		int n = 0, wait;

		if (!running && rd_all_up(&rd)) {
			if (rd.feed == NULL)
				rd_fail("no connection for the feed domain");
			if (pidfile != NULL &&
			    (pid = rd_read_pid(pidfile, deadline)) == 0)
				rd_fail("no PID in the PID file");
			running = true;
			if (pid != 0 && !rd_cpu(pid, &user0, &sys0))
				rd_fail("cannot read the component's CPU time");
			self0 = rd_self_cpu();
			t0 = rd_now();
		}
		if (running) {
			if (rd.answered + rd.errors + rd.unexpected >= rd.n)
				break;
			rd_generate(&rd);
		}
		if (rd_now() > deadline) {
			fprintf(stderr,
				"relay_driver: timed out after %.0f s: %d of "
				"%d connected, %ld sent, %ld answered\n",
				timeout, rd.npeers, rd.conns, rd.sent,
				rd.answered);
			return 1;
		}
		for (i = 0; i < rd.npeers; i++) {
			struct rd_peer *p = &rd.peers[i];

			if (p->state == RD_CLOSED) {
				fprintf(stderr, "relay_driver: a connection "
						"closed during the run\n");
				return 1;
			}
			pfd[n].fd = p->fd;
			pfd[n].events = POLLIN;
			if (p->out_off < p->out_len)
				pfd[n].events |= POLLOUT;
			n++;
		}
		if (rd.npeers < rd.conns) {
			pfd[n].fd = lfd;
			pfd[n].events = POLLIN;
			n++;
		}
		wait = (int)((deadline - rd_now()) * 1000) + 1;
		if (poll(pfd, (nfds_t)n, wait > 1000 ? 1000 : wait) < 0 &&
		    errno != EINTR) {
			perror("relay_driver: poll");
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct rd_peer *p;

			if (pfd[i].fd == lfd) {
				if (pfd[i].revents & POLLIN)
					rd_accept(&rd, lfd);
				continue;
			}
			p = &rd.peers[i];
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				rd_read(&rd, p);
			/* Replies queued by the reads go out at once. */
			if (p->out_off < p->out_len)
				rd_write(p);
		}
	}
	t1 = rd_now();
	if (pid != 0 && !rd_cpu(pid, &user1, &sys1))
		rd_fail("cannot read the component's CPU time");
	{
		double wall = t1 - t0, user = user1 - user0, sys = sys1 - sys0;
		double cpu = user + sys;
		double self = rd_self_cpu() - self0;

		printf("RESULT n=%ld answered=%ld errors=%ld unexpected=%ld "
		       "other=%ld wall_s=%.3f cpu_s=%.3f user_s=%.3f "
		       "sys_s=%.3f per_cpu_s=%.0f per_wall_s=%.0f "
		       "driver_cpu_s=%.3f\n",
		       rd.n, rd.answered, rd.errors, rd.unexpected, rd.other,
		       wall, cpu, user, sys, cpu > 0 ? (double)rd.answered / cpu : 0,
		       wall > 0 ? (double)rd.answered / wall : 0, self);
		fflush(stdout);
	}
	for (i = 0; i < rd.npeers; i++) {
		rd_queue_str(&rd.peers[i], "</stream:stream>");
		rd_write(&rd.peers[i]);
		close(rd.peers[i].fd);
		free(rd.peers[i].in);
		free(rd.peers[i].out);
	}
	close(lfd);
	xmpp_ctx_free(rd.xctx);
	xmpp_shutdown();
	return rd.errors || rd.unexpected ? 1 : 0;
}
