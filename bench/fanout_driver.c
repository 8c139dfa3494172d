/*
 * fanout_driver.c - the load driver of the fan-out benchmark: the server
 * side of XEP-0114 on 127.0.0.1 (bench/driver.h) for one
 * bench/fanout_component.
 *
 * Once the component's connection is up and its PID is in PIDFILE, it
 * reads the component's CPU time, sends it a <message/> whose body is
 * "go", and then reads and counts the copies it writes: each must be a
 * <message/> (not an error) that holds the EXPECT text and whose 'to' is
 * the next recipient in turn (JIDFMT with 1..N, as the component
 * addresses them).  After COPIES copies it reads the CPU time again.  The
 * result is one line:
 *
 *   RESULT n=N copies=.. wall_s=.. cpu_s=.. user_s=.. sys_s=..
 *          per_cpu_s=.. per_wall_s=.. bytes=.. bytes_per_copy=..
 *          driver_cpu_s=..
 *
 * cpu_s is the component's time on the CPU (/proc/PID/schedstat, user and
 * system), user_s and sys_s its split (/proc/PID/stat, clock ticks);
 * bytes is everything read from the connection between the two readings.
 * A copy that is not as expected fails the run at once; everything is
 * bounded by TIMEOUT seconds.
 *
 * usage: fanout_driver -o PORTFILE -w PIDFILE -d DOMAIN -n N -c COPIES
 *        [-j JIDFMT] [-x EXPECT] [-s SECRET] [-T TIMEOUT]
 */
#include <config.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/driver.h"

struct fd {
	char **to;
	size_t n;
	long copies;
	long want;
	const char *expect;
	bool running;
};

static void fd_element(struct drv *d, struct drv_peer *p, const char *elem,
		       const char *end)
{
	struct fd *fd = d->arg;
	const char *tag_end = drv_tag_end(elem, end);
	const char *want_to;
	char type[32], to[256];

	(void)p;
	if (!fd->running)
		return;
	if (!drv_is(elem, end, "message"))
		drv_fail("not a message: %.*s", (int)(end - elem), elem);
	drv_attr(elem, tag_end, "type", type, sizeof(type));
	drv_attr(elem, tag_end, "to", to, sizeof(to));
	want_to = fd->to[(size_t)fd->copies % fd->n];
	if (strcmp(type, "error") == 0 || strcmp(to, want_to) != 0 ||
	    memmem(elem, (size_t)(end - elem), fd->expect,
		   strlen(fd->expect)) == NULL)
		drv_fail("copy %ld (to %s) is not as expected: %.*s",
			 fd->copies + 1, want_to,
			 (int)(end - elem > 600 ? 600 : end - elem), elem);
	fd->copies++;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fanout_driver -o PORTFILE -w PIDFILE -d DOMAIN -n N "
		"-c COPIES\n"
		"       [-j JIDFMT] [-x EXPECT] [-s SECRET] [-T TIMEOUT]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct fd fd;
	struct drv d;
	struct drv_peer *peer = NULL;
	struct drv_cpu c0, c1;
	const char *portfile = NULL, *pidfile = NULL, *domain = NULL;
	const char *secret = "bench", *jidfmt = "u%d@bench.test/r";
	double timeout = 120, deadline, t0 = 0, t1, self0 = 0;
	uint64_t bytes0 = 0;
	char go[512];
	long pid = 0;
	size_t i;
	int ch;

	drv_name = "fanout_driver";
	memset(&fd, 0, sizeof(fd));
	fd.expect = "echo on the second speaker";
	while ((ch = getopt(argc, argv, "o:w:d:n:c:j:x:s:T:")) != -1) {
		switch (ch) {
		case 'o': portfile = optarg; break;
		case 'w': pidfile = optarg; break;
		case 'd': domain = optarg; break;
		case 'n': fd.n = (size_t)atol(optarg); break;
		case 'c': fd.want = atol(optarg); break;
		case 'j': jidfmt = optarg; break;
		case 'x': fd.expect = optarg; break;
		case 's': secret = optarg; break;
		case 'T': timeout = atof(optarg); break;
		default: usage();
		}
	}
	if (portfile == NULL || pidfile == NULL || domain == NULL ||
	    fd.n == 0 || fd.n > 100000 || fd.want < 1 || optind != argc)
		usage();
	fd.to = calloc(fd.n, sizeof(*fd.to));
	if (fd.to == NULL)
		drv_fail("out of memory");
	for (i = 0; i < fd.n; i++) {
		char jid[256];

		snprintf(jid, sizeof(jid), jidfmt, (int)i + 1);
		fd.to[i] = strdup(jid);
		if (fd.to[i] == NULL)
			drv_fail("out of memory");
	}
	signal(SIGPIPE, SIG_IGN);
	deadline = drv_now() + timeout;
	drv_start(&d, portfile, secret, 1, fd_element, &fd);

	while (!fd.running || fd.copies < fd.want) {
		int wait;

		if (!fd.running && drv_all_up(&d)) {
			peer = drv_peer(&d, domain);
			if (peer == NULL)
				drv_fail("no connection for %s", domain);
			pid = drv_read_pid(pidfile, deadline);
			if (pid == 0)
				drv_fail("no PID in the PID file");
			if (!drv_cpu(pid, &c0))
				drv_fail("cannot read the component's CPU time");
			self0 = drv_self_cpu();
			bytes0 = peer->bytes_in;
			fd.running = true;
			t0 = drv_now();
			snprintf(go, sizeof(go),
				 "<message from='bench.test' to='%s'>"
				 "<body>go</body></message>",
				 domain);
			drv_queue_str(peer, go);
		}
		if (drv_now() > deadline)
			drv_fail("timed out after %.0f s: %ld of %ld copies",
				 timeout, fd.copies, fd.want);
		wait = (int)((deadline - drv_now()) * 1000) + 1;
		drv_poll(&d, wait > 1000 ? 1000 : wait);
	}
	t1 = drv_now();
	if (!drv_cpu(pid, &c1))
		drv_fail("cannot read the component's CPU time");
	{
		double wall = t1 - t0, cpu = c1.total - c0.total;
		double bytes = (double)(peer->bytes_in - bytes0);

		printf("RESULT n=%zu copies=%ld wall_s=%.4f cpu_s=%.4f "
		       "user_s=%.2f sys_s=%.2f per_cpu_s=%.0f per_wall_s=%.0f "
		       "bytes=%.0f bytes_per_copy=%.1f driver_cpu_s=%.3f\n",
		       fd.n, fd.copies, wall, cpu, c1.user - c0.user,
		       c1.sys - c0.sys, cpu > 0 ? (double)fd.copies / cpu : 0,
		       wall > 0 ? (double)fd.copies / wall : 0, bytes,
		       bytes / (double)fd.copies, drv_self_cpu() - self0);
		fflush(stdout);
	}
	drv_stop(&d);
	for (i = 0; i < fd.n; i++)
		free(fd.to[i]);
	free(fd.to);
	return 0;
}
