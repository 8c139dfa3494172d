/*
 * bench_store.c - durable events per second in three ways, measured in
 * the same run on the same disk:
 *
 *   batch:    every GROUP events run in one batch (store_batch_begin, each
 *             event a child transaction) made durable by one store_flush(),
 *             as the daemon does once per event-loop pass;
 *   per call: every event is its own transaction, every GROUP events made
 *             durable by one store_flush();
 *   sync:     the store opened with STORE_SYNC_EACH, every commit flushed
 *             on its own (the baseline).
 *
 * An event is a room message appended to the archive (the record and its
 * stanza-id index).  Each of RUNS rounds measures the three in turn, each
 * in a new store directory; the medians, minima and maxima are printed,
 * with each rate as a ratio to the same round's sync rate.
 *
 * usage: bench_store [-n EVENTS] [-g GROUP] [-r RUNS] [-d DIR]
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

enum bench_mode { BENCH_BATCH, BENCH_PER_CALL, BENCH_SYNC, BENCH_N };

static const char *const bench_names[BENCH_N] = {
	"batch, 1 flush per group", "per-call txn, 1 flush per group",
	"sync commit per event",
};

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_rm(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		exit(1);
}

static double bench_run(const char *dir, enum bench_mode mode, long events,
			long group)
{
	struct store *st;
	struct store_archive_msg m;
	char id[32];
	double t0, t;
	long i;

	if (store_open(dir, mode == BENCH_SYNC ? STORE_SYNC_EACH : 0, &st) != 0)
		exit(1);
	memset(&m, 0, sizeof(m));
	m.nick = "alice";
	m.from = "alice";
	m.stanza = "<message type='groupchat' to='room@rooms.example.org'>"
		   "<body>hello, this is a typical short message</body>"
		   "</message>";
	t0 = bench_now();
	for (i = 0; i < events; i++) {
		if (mode == BENCH_BATCH && i % group == 0 &&
		    store_batch_begin(st) != 0)
			exit(1);
		snprintf(id, sizeof(id), "m%ld", i);
		m.stanza_id = id;
		if (store_archive_add(st, "room", &m) != 0)
			exit(1);
		if (mode != BENCH_SYNC && (i + 1) % group == 0 &&
		    store_flush(st) != 0)
			exit(1);
	}
	if (store_flush(st) != 0)
		exit(1);
	t = bench_now() - t0;
	store_close(st);
	return (double)events / t;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v and prints its median, minimum and maximum. */
static void bench_print(const char *what, const char *unit, double *v,
			int n)
{
	double med;

	qsort(v, (size_t)n, sizeof(*v), bench_cmp);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("store: %-34s median %9.1f%s  min %9.1f%s  max %9.1f%s\n",
	       what, med, unit, v[0], unit, v[n - 1], unit);
}

int main(int argc, char **argv)
{
	char tmpl[] = "./bench-store.XXXXXX";
	const char *base = NULL;
	char dir[4096];
	long events = 100000, group = 100, sync_events;
	int runs = 5, opt, r, m;
	double *rate[BENCH_N], *ratio[BENCH_N];

	while ((opt = getopt(argc, argv, "n:g:r:d:")) != -1) {
		switch (opt) {
		case 'n':
			events = atol(optarg);
			break;
		case 'g':
			group = atol(optarg);
			break;
		case 'r':
			runs = atoi(optarg);
			break;
		case 'd':
			base = optarg;
			break;
		default:
			fprintf(stderr, "usage: bench_store [-n EVENTS] "
				"[-g GROUP] [-r RUNS] [-d DIR]\n");
			return 2;
		}
	}
	if (events <= 0 || group <= 0 || runs <= 0)
		return 2;
	if (base == NULL) {
		base = mkdtemp(tmpl);
		if (base == NULL) {
			perror("mkdtemp");
			return 1;
		}
	} else if (mkdir(base, 0700) != 0) {
		perror(base);
		return 1;
	}
	for (m = 0; m < BENCH_N; m++) {
		rate[m] = calloc((size_t)runs, sizeof(double));
		ratio[m] = calloc((size_t)runs, sizeof(double));
		if (rate[m] == NULL || ratio[m] == NULL)
			abort();
	}
	/* The synchronous run is much slower: fewer events, same rate. */
	sync_events = events / 20 > 1000 ? events / 20 : 1000;
	for (r = 0; r < runs; r++) {
		for (m = 0; m < BENCH_N; m++) {
			snprintf(dir, sizeof(dir), "%s/run%d-%d", base, r, m);
			rate[m][r] = bench_run(dir, (enum bench_mode)m,
					       m == BENCH_SYNC ? sync_events
							       : events,
					       group);
			bench_rm(dir);
		}
		for (m = 0; m < BENCH_N; m++)
			ratio[m][r] = rate[m][r] / rate[BENCH_SYNC][r];
		printf("store: run %d: batch %.0f, per call %.0f, sync %.0f "
		       "durable events/s\n", r + 1, rate[BENCH_BATCH][r],
		       rate[BENCH_PER_CALL][r], rate[BENCH_SYNC][r]);
	}
	printf("store: %d runs; %ld events (sync: %ld), group %ld\n", runs,
	       events, sync_events, group);
	for (m = 0; m < BENCH_N; m++)
		bench_print(bench_names[m], "/s", rate[m], runs);
	for (m = 0; m < BENCH_SYNC; m++) {
		char what[80];

		snprintf(what, sizeof(what), "%s vs sync", bench_names[m]);
		bench_print(what, "x ", ratio[m], runs);
	}
	for (m = 0; m < BENCH_N; m++) {
		free(rate[m]);
		free(ratio[m]);
	}
	if (base == tmpl)
		bench_rm(base);
	return 0;
}
