/*
 * driver.c - the server side of XEP-0114 for the load drivers of bench/
 * (see driver.h).
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/driver.h"

const char *drv_name = "driver";

void drv_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", drv_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *drv_xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		drv_fail("out of memory");
	return p;
}

double drv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double drv_self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

void drv_queue(struct drv_peer *p, const char *s, size_t len)
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
		p->out = drv_xrealloc(p->out, p->out_cap);
	}
	memcpy(p->out + p->out_len, s, len);
	p->out_len += len;
}

void drv_queue_str(struct drv_peer *p, const char *s)
{
	drv_queue(p, s, strlen(s));
}

size_t drv_pending(const struct drv_peer *p)
{
	return p->out_len - p->out_off;
}

void drv_attr(const char *tag, const char *end, const char *name, char *out,
	      size_t size)
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

bool drv_is(const char *elem, const char *end, const char *name)
{
	size_t n = strlen(name);

	return (size_t)(end - elem) > n + 1 && elem[0] == '<' &&
	       strncmp(elem + 1, name, n) == 0 &&
	       (elem[n + 1] == ' ' || elem[n + 1] == '>' ||
		elem[n + 1] == '/');
}

const char *drv_tag_end(const char *elem, const char *end)
{
	const char *gt = memchr(elem, '>', (size_t)(end - elem));

	return gt != NULL ? gt : end;
}

static void drv_stream_header(struct drv *d, struct drv_peer *p,
			      const char *tag, const char *end)
{
	char hdr[512];

	if (p->state != DRV_HEADER)
		drv_fail("a second stream header");
	drv_attr(tag, end, "to", p->domain, sizeof(p->domain));
	snprintf(p->stream_id, sizeof(p->stream_id), "bench-%d-%ld",
		 (int)(p - d->peers), (long)getpid());
	snprintf(hdr, sizeof(hdr),
		 "<?xml version='1.0'?><stream:stream "
		 "xmlns='jabber:component:accept' "
		 "xmlns:stream='http://etherx.jabber.org/streams' "
		 "from='%s' id='%s'>",
		 p->domain, p->stream_id);
	drv_queue_str(p, hdr);
	p->state = DRV_HANDSHAKE;
}

/* XEP-0114 §3: the digest is hex(SHA-1(stream id + secret)). */
static void drv_handshake(struct drv *d, struct drv_peer *p, const char *elem,
			  const char *end)
{
	const char *gt = memchr(elem, '>', (size_t)(end - elem));
	const char *lt = gt ? memchr(gt, '<', (size_t)(end - gt)) : NULL;
	char input[512], *sha;
	bool ok;

	if (!drv_is(elem, end, "handshake"))
		drv_fail("expected <handshake/>");
	snprintf(input, sizeof(input), "%s%s", p->stream_id, d->secret);
	sha = xmpp_sha1(d->xctx, (const unsigned char *)input, strlen(input));
	ok = sha != NULL && gt != NULL && lt != NULL &&
	     (size_t)(lt - gt - 1) == strlen(sha) &&
	     strncasecmp(gt + 1, sha, strlen(sha)) == 0;
	if (sha != NULL)
		xmpp_free(d->xctx, sha);
	if (!ok)
		drv_fail("%s: bad handshake digest", p->domain);
	drv_queue_str(p, "<handshake/>");
	p->state = DRV_UP;
}

static void drv_element(struct drv *d, struct drv_peer *p, const char *elem,
			const char *end)
{
	if (p->state == DRV_HANDSHAKE)
		drv_handshake(d, p, elem, end);
	else
		d->on_element(d, p, elem, end);
}

/* Scans what p sent for complete elements. */
static void drv_scan(struct drv *d, struct drv_peer *p)
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
				drv_element(d, p, b + p->start, b + j + 1);
			else if (p->depth <= 0)
				p->state = DRV_CLOSED;
			continue;
		}
		if (p->depth == 0) {
			drv_stream_header(d, p, lt, gt);
			p->depth = 1;
			continue;
		}
		if (p->depth == 1)
			p->start = i;
		if (b[j - 1] == '/') {
			if (p->depth == 1)
				drv_element(d, p, b + i, b + j + 1);
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

static void drv_read(struct drv *d, struct drv_peer *p)
{
	for (;;) {
		ssize_t n;

		if (p->in_cap - p->in_len < 65536) {
			p->in_cap = p->in_cap ? p->in_cap * 2 : 262144;
			p->in = drv_xrealloc(p->in, p->in_cap);
		}
		n = read(p->fd, p->in + p->in_len, p->in_cap - p->in_len);
		if (n > 0) {
			p->in_len += (size_t)n;
			p->bytes_in += (uint64_t)n;
			drv_scan(d, p);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (p->state != DRV_CLOSED)
			fprintf(stderr, "%s: %s closed the connection\n",
				drv_name, p->domain[0] ? p->domain : "a component");
		p->state = DRV_CLOSED;
		return;
	}
}

static void drv_write(struct drv_peer *p)
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
		p->state = DRV_CLOSED;
		return;
	}
}

void drv_start(struct drv *d, const char *portfile, const char *secret,
	       int conns, drv_element_fn fn, void *arg)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int one = 1;
	FILE *f;

	memset(d, 0, sizeof(*d));
	if (conns < 1 || conns > DRV_MAX_CONNS)
		drv_fail("between 1 and %d connections", DRV_MAX_CONNS);
	d->secret = secret;
	d->conns = conns;
	d->on_element = fn;
	d->arg = arg;
	xmpp_initialize();
	d->xctx = xmpp_ctx_new(NULL, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (d->lfd < 0 ||
	    setsockopt(d->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(d->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(d->lfd, 8) < 0 ||
	    getsockname(d->lfd, (struct sockaddr *)&sa, &len) < 0)
		drv_fail("listen: %s", strerror(errno));
	f = fopen(portfile, "w");
	if (f == NULL || fprintf(f, "%u\n", ntohs(sa.sin_port)) < 0 ||
	    fclose(f) != 0)
		drv_fail("%s: %s", portfile, strerror(errno));
}

static void drv_accept(struct drv *d)
{
	int fd, one = 1;
	struct drv_peer *p;

	while (d->npeers < d->conns &&
	       (fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		p = &d->peers[d->npeers++];
		memset(p, 0, sizeof(*p));
		p->fd = fd;
		p->state = DRV_HEADER;
	}
}

bool drv_all_up(const struct drv *d)
{
	int i;

	if (d->npeers < d->conns)
		return false;
	for (i = 0; i < d->npeers; i++)
		if (d->peers[i].state != DRV_UP)
			return false;
	return true;
}

struct drv_peer *drv_peer(struct drv *d, const char *domain)
{
	int i;

	for (i = 0; i < d->npeers; i++)
		if (d->peers[i].state == DRV_UP &&
		    strcmp(d->peers[i].domain, domain) == 0)
			return &d->peers[i];
	return NULL;
}

void drv_poll(struct drv *d, int timeout_ms)
{
	struct pollfd pfd[DRV_MAX_CONNS + 1];
	int n = 0, i;

	for (i = 0; i < d->npeers; i++) {
		struct drv_peer *p = &d->peers[i];

		if (p->state == DRV_CLOSED)
			drv_fail("a connection closed during the run");
		pfd[n].fd = p->fd;
		pfd[n].events = POLLIN;
		if (p->out_off < p->out_len)
			pfd[n].events |= POLLOUT;
		n++;
	}
	if (d->npeers < d->conns) {
		pfd[n].fd = d->lfd;
		pfd[n].events = POLLIN;
		n++;
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) < 0 && errno != EINTR)
		drv_fail("poll: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		struct drv_peer *p;

		if (pfd[i].fd == d->lfd) {
			if (pfd[i].revents & POLLIN)
				drv_accept(d);
			continue;
		}
		p = &d->peers[i];
		if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
			drv_read(d, p);
		/* Replies queued by the reads go out at once. */
		if (p->out_off < p->out_len)
			drv_write(p);
	}
}

void drv_stop(struct drv *d)
{
	int i;

	for (i = 0; i < d->npeers; i++) {
		drv_queue_str(&d->peers[i], "</stream:stream>");
		drv_write(&d->peers[i]);
		close(d->peers[i].fd);
		free(d->peers[i].in);
		free(d->peers[i].out);
	}
	d->npeers = 0;
	close(d->lfd);
	xmpp_ctx_free(d->xctx);
	xmpp_shutdown();
}

bool drv_cpu(long pid, struct drv_cpu *c)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st, ns;
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
	c->user = (double)ut / hz;
	c->sys = (double)st / hz;
	/* The first field of schedstat: time on the CPU, in nanoseconds. */
	snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return false;
	if (fscanf(f, "%llu", &ns) != 1) {
		fclose(f);
		return false;
	}
	fclose(f);
	c->total = (double)ns / 1e9;
	return true;
}

long drv_read_pid(const char *file, double deadline)
{
	long pid = 0;

	while (drv_now() < deadline) {
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
