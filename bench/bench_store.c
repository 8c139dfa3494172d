/*
 * bench_store.c - durable events per second with group commit against one
 * synchronous commit per event, measured in the same run on the same disk.
 *
 * An event is one store call (a room message appended to the archive, one
 * transaction).  Grouped: every GROUP events are made durable by one
 * store_flush(), as the daemon does once per event-loop pass.  Per event:
 * the store is opened with STORE_SYNC_EACH, so every commit is flushed on
 * its own.
 *
 * usage: bench_store [-n EVENTS] [-g GROUP] [-d DIR]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double bench_run(const char *dir, unsigned flags, long events,
			long group)
{
	struct store *st;
	struct store_archive_msg m;
	char id[32];
	double t0, t;
	long i;

	if (store_open(dir, flags, &st) != 0)
		exit(1);
	memset(&m, 0, sizeof(m));
	m.nick = "alice";
	m.from = "alice";
	m.stanza = "<message type='groupchat' to='room@rooms.example.org'>"
		   "<body>hello, this is a typical short message</body>"
		   "</message>";
	t0 = bench_now();
	for (i = 0; i < events; i++) {
		snprintf(id, sizeof(id), "%c%ld", flags ? 's' : 'g', i);
		m.stanza_id = id;
		if (store_archive_add(st, "room", &m) != 0)
			exit(1);
		if (group > 0 && (i + 1) % group == 0 && store_flush(st) != 0)
			exit(1);
	}
	if (store_flush(st) != 0)
		exit(1);
	t = bench_now() - t0;
	store_close(st);
	return (double)events / t;
}

int main(int argc, char **argv)
{
	char tmpl[] = "./bench-store.XXXXXX";
	const char *dir = NULL;
	char cmd[4200];
	long events = 200000, group = 100, sync_events;
	double grouped, each;
	int opt;

	while ((opt = getopt(argc, argv, "n:g:d:")) != -1) {
		switch (opt) {
		case 'n':
			events = atol(optarg);
			break;
		case 'g':
			group = atol(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench_store [-n EVENTS] "
				"[-g GROUP] [-d DIR]\n");
			return 2;
		}
	}
	if (events <= 0 || group <= 0)
		return 2;
	if (dir == NULL) {
		dir = mkdtemp(tmpl);
		if (dir == NULL) {
			perror("mkdtemp");
			return 1;
		}
	}
	/* The synchronous run is ~20x slower: fewer events, same rate. */
	sync_events = events / 20 > 1000 ? events / 20 : 1000;
	grouped = bench_run(dir, 0, events, group);
	each = bench_run(dir, STORE_SYNC_EACH, sync_events, 0);
	printf("store: %ld events, one flush per %ld: %.0f durable events/s\n",
	       events, group, grouped);
	printf("store: %ld events, one synchronous commit each: "
	       "%.0f durable events/s\n", sync_events, each);
	printf("store: group commit is %.1fx faster\n", grouped / each);
	if (dir == tmpl) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
