/*
 * daemon.c - the event loop of backchanneld.
 *
 * One libstrophe context drives two component connections (D and M).  Each
 * pass of the loop: libstrophe reads and dispatches what arrived (the
 * router queues replies in the outbox), then bc_flush() makes the pass's
 * store writes durable with one log flush and only then writes the queued
 * stanzas.  Signals only set flags; the loop acts on them.
 *
 * As a site of a replication group (<replication/>), the daemon serves
 * only while its site is the master: a replica waits, with no component
 * connection, until the group elects it; a master that loses its role
 * closes its connections and waits again (docs/SCALING.md).
 *
 * A rooms instance (<shard/>) is a site that is never elected: it serves
 * M alone, from the start, with its rooms in a store of its own and the
 * directory read from its replica.  A daemon whose <rooms sharded="true">
 * leaves M to the rooms instances serves D alone.
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "component/bc.h"
#include "component/clock.h"
#include "component/cfg.h"
#include "component/conn.h"
#include "component/daemon.h"
#include "component/log.h"
#include "component/metrics.h"
#include "component/router.h"
#include "store/store.h"

/* The longest the loop sleeps, so that timers stay on time. */
#define DAEMON_MAX_WAIT_MS 200
/* A pass reads at most this many times (4 KiB each) and stops reading
 * once this many stanzas came in. */
#define DAEMON_READS_PER_PASS 32
#define DAEMON_STANZAS_PER_PASS 512
/* How long a shutdown waits for the streams to close. */
#define DAEMON_CLOSE_MS 2000
/* How long a newly elected master waits for the group to acknowledge it
 * before it serves (store_repl_settle()). */
#define DAEMON_SETTLE_MS 20000
/* How often the free space of the store's file system is looked at. */
#define DAEMON_SPACE_MS 1000

static volatile sig_atomic_t daemon_stop;
static volatile sig_atomic_t daemon_hup;

struct daemon {
	struct cfg *cfg;
	struct store *store;
	struct store *rooms_store; /* a rooms instance's own; else store */
	xmpp_ctx_t *xctx;
	struct bc *bc;
	struct conn *service; /* D */
	struct conn *rooms;   /* M */
	struct metrics_listener *metrics; /* NULL without <metrics/> */
	int64_t space_checked_ms;
	bool replicated; /* a site of a replication group */
	bool shard;      /* a rooms instance (<shard/>) */
};

/* The two connections: either may be absent (a rooms instance has no D,
 * a daemon that leaves M to rooms instances has no M). */
static int64_t daemon_tick(struct conn *c)
{
	return c != NULL ? conn_tick(c) : DAEMON_MAX_WAIT_MS;
}

static bool daemon_closed(const struct conn *c)
{
	return c == NULL || conn_is_closed(c);
}

static void daemon_signal(int sig)
{
	if (sig == SIGHUP)
		daemon_hup = 1;
	else
		daemon_stop = 1;
}

static void daemon_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* libstrophe's log lines with -vv: every stanza sent and received, at
 * debug level, and its errors.  Without -vv libstrophe's own logger at
 * error level is used instead (daemon_run()): libstrophe formats every
 * line for any other handler before the handler can drop it, a "SENT:"
 * line over each whole write, which cost most of a room delivery. */
static void daemon_strophe_log(void *arg, xmpp_log_level_t level,
			       const char *area, const char *msg)
{
	const int *verbose = arg;

	if (level >= XMPP_LEVEL_ERROR)
		log_warnx("libstrophe %s: %s", area, msg);
	else if (*verbose >= 2)
		log_debug("libstrophe %s: %s", area, msg);
}

/* Writes a pass's stanzas for one connection in one write. */
static int daemon_transport(void *arg, const struct bc_batch *batch)
{
	struct daemon *d = arg;
	bool rooms = batch->link == BC_LINK_ROOMS;
	struct conn *c = rooms ? d->rooms : d->service;

	if (c == NULL) {
		/* Nothing to send it on, now or later: dropped. */
		log_warnx("%zu stanza(s) from %s, which this daemon does not "
			  "serve, dropped",
			  batch->n,
			  rooms ? d->cfg->rooms_domain : d->cfg->service_domain);
		return 0;
	}
	if (conn_send_raw(c, batch->data, batch->len) < 0)
		return -1;
	metrics.stanzas_out[rooms ? METRICS_ROOMS : METRICS_SERVICE] += batch->n;
	return 0;
}

static void daemon_on_stanza(void *arg, xmpp_stanza_t *stanza)
{
	struct daemon *d = arg;

	metrics.stanzas_in[metrics_domain_of(d->cfg,
					     xmpp_stanza_get_to(stanza))]++;
	router_dispatch(d->bc, stanza);
}

/* Tells the modules that a connection came up (D: learn which linked
 * accounts are online; M: check the restored occupants). */
static void daemon_on_state(void *arg, struct conn *conn, bool up)
{
	struct daemon *d = arg;

	metrics_connection(conn == d->rooms ? METRICS_ROOMS : METRICS_SERVICE,
			   up);
	if (up)
		bc_connected(d->bc, conn == d->rooms ? BC_LINK_ROOMS
						     : BC_LINK_SERVICE);
}

static struct conn *daemon_conn(struct daemon *d, const char *domain,
				const char *secret)
{
	struct conn_params p = {
		.host = d->cfg->server_host,
		.port = d->cfg->server_port,
		.domain = domain,
		.secret = secret,
		.backoff_min_ms = d->cfg->reconnect_min_ms,
		.backoff_max_ms = d->cfg->reconnect_max_ms,
		.on_stanza = daemon_on_stanza,
		.on_state = daemon_on_state,
		.arg = d,
	};

	return conn_new(d->xctx, &p);
}

static int64_t daemon_min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Reads for one pass: waits up to wait_ms for input, then keeps reading
 * without waiting while stanzas keep arriving (libstrophe reads at most
 * 4 KiB a call), up to a bound, so that under load one commit and one
 * write cover many stanzas while a pass stays short. */
static void daemon_read(struct daemon *d, int64_t wait_ms)
{
	uint64_t before = d->bc->stats.stanzas_in;
	int rounds;

	xmpp_run_once(d->xctx, (unsigned long)wait_ms);
	for (rounds = 1; rounds < DAEMON_READS_PER_PASS &&
			 d->bc->stats.stanzas_in != before &&
			 d->bc->stats.stanzas_in - before < DAEMON_STANZAS_PER_PASS;
	     rounds++) {
		uint64_t seen = d->bc->stats.stanzas_in;

		xmpp_run_once(d->xctx, 0);
		if (d->bc->stats.stanzas_in == seen)
			break;
	}
}

/* Hands the pass's counters to the metrics listener (component/metrics.h:
 * it serves them from its own thread). */
static void daemon_metrics(struct daemon *d)
{
	size_t i, queued = 0;

	if (d->metrics == NULL)
		return;
	for (i = 0; i < BC_LINKS; i++)
		queued += d->bc->outbox[i].n - d->bc->outbox[i].first;
	metrics.outbox = queued;
	metrics_publish(d->metrics);
}

/* Free bytes on the file system of path for an unprivileged writer, or
 * -1 when it cannot be told. */
static long long daemon_free_at(const char *path)
{
	struct statvfs sv;

	if (statvfs(path, &sv) != 0)
		return -1;
	return (long long)sv.f_bavail * (long long)sv.f_frsize;
}

/* The same for the store, and for a rooms instance the less of its two
 * stores' (they may be on different file systems). */
static long long daemon_free_bytes(const struct daemon *d)
{
	long long dir = daemon_free_at(d->cfg->store_path), rooms;

	if (d->cfg->shard_store_path == NULL)
		return dir;
	rooms = daemon_free_at(d->cfg->shard_store_path);
	if (dir < 0 || rooms < 0)
		return dir < 0 ? rooms : dir;
	return dir < rooms ? dir : rooms;
}

/* Watches the store's file system (at most once a DAEMON_SPACE_MS unless
 * now is true): below the reserve the router refuses what would write
 * (bc->store_full); a quarter more than the reserve ends that.  Both
 * changes are logged. */
static void daemon_space(struct daemon *d, bool now)
{
	long long reserve = (long long)d->cfg->store_reserve_mb << 20;
	long long avail;

	if (reserve == 0 || d->store == NULL ||
	    (!now && clock_mono_ms() - d->space_checked_ms < DAEMON_SPACE_MS))
		return;
	d->space_checked_ms = clock_mono_ms();
	if ((avail = daemon_free_bytes(d)) < 0)
		return;
	if (!d->bc->store_full && avail < reserve) {
		d->bc->store_full = true;
		log_errx("the store's disk is full: %lld MiB free at %s, "
			 "below the reserve of %u MiB; messages and changes "
			 "are refused with resource-constraint until there "
			 "is room",
			 avail >> 20, d->cfg->store_path,
			 d->cfg->store_reserve_mb);
	} else if (d->bc->store_full && avail >= reserve + reserve / 4) {
		d->bc->store_full = false;
		log_info("the store's disk has room again (%lld MiB free): "
			 "serving as usual",
			 avail >> 20);
	}
}

static void daemon_hup_check(void)
{
	if (daemon_hup) {
		daemon_hup = 0;
		log_reopen();
		log_info("log reopened");
	}
}

static void daemon_loop(struct daemon *d)
{
	int64_t next_maintain = clock_mono_ms() + d->cfg->checkpoint_ms;
	int64_t wait;

	while (!daemon_stop) {
		if (d->replicated && !d->shard &&
		    store_role(d->store, NULL) != STORE_ROLE_MASTER) {
			log_warnx("this site is no longer the master of the "
				  "replication group: closing the component "
				  "connections");
			return;
		}
		daemon_hup_check();
		wait = daemon_min(daemon_tick(d->service),
				  daemon_tick(d->rooms));
		wait = daemon_min(wait, DAEMON_MAX_WAIT_MS);
		daemon_space(d, false);
		daemon_read(d, wait > 0 ? wait : 0);
		bc_tick(d->bc);
		if (bc_flush(d->bc) < 0) {
			/* The pass's writes are lost, and with them what
			 * this process holds in memory about them: a restart
			 * (recovery) is the way back to a consistent state.
			 * Nobody was told of the lost writes. */
			daemon_space(d, true);
			log_errx("stopping: the store failed%s; a restart "
				 "recovers it",
				 d->bc->store_full ? " (its disk is full)" : "");
			exit(EXIT_FAILURE);
		}
		daemon_metrics(d);
		store_repl_pulse(d->store);
		if (d->store != NULL && clock_mono_ms() >= next_maintain) {
			store_maintain(d->store);
			if (d->rooms_store != d->store)
				store_maintain(d->rooms_store);
			next_maintain = clock_mono_ms() + d->cfg->checkpoint_ms;
		}
	}
}

static void daemon_shutdown(struct daemon *d)
{
	int64_t deadline = clock_mono_ms() + DAEMON_CLOSE_MS;

	(void)bc_flush(d->bc);
	if (d->service != NULL)
		conn_close(d->service);
	if (d->rooms != NULL)
		conn_close(d->rooms);
	while ((!daemon_closed(d->service) || !daemon_closed(d->rooms)) &&
	       clock_mono_ms() < deadline)
		xmpp_run_once(d->xctx, 50);
}

/* A site just elected serves once the group acknowledges its writes (the
 * other sites may still be catching up with it), trying for up to
 * DAEMON_SETTLE_MS.  0, or -1 to go back to waiting (stopped, no longer
 * the master, or no acknowledgement). */
static int daemon_settle(struct daemon *d)
{
	int64_t until = clock_mono_ms() + DAEMON_SETTLE_MS;
	struct timespec ts = {0, 200 * 1000000L};

	while (store_repl_acknowledged(d->store) != 0) {
		if (daemon_stop || clock_mono_ms() > until ||
		    store_role(d->store, NULL) != STORE_ROLE_MASTER) {
			log_warnx("the group does not acknowledge this "
				  "master's writes: not serving");
			return -1;
		}
		log_info("waiting for the group to acknowledge this master's "
			 "writes");
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Serves until a stop signal or, in a group, until this site is no longer
 * the master: the router, the two connections, the loop.  Returns -1 when
 * the router could not be made. */
static int daemon_serve(struct daemon *d)
{
	if (d->replicated && !d->shard) {
		log_info("this site is now the master of the replication "
			 "group: connecting");
		if (store_repl_refresh(d->store) != 0)
			return -1;
		if (daemon_settle(d) != 0)
			return 0;
	}
	d->bc = bc_new_split(d->cfg, d->store, d->rooms_store, d->xctx,
			     daemon_transport, d);
	if (d->bc == NULL)
		return -1;
	if (!d->shard)
		d->service = daemon_conn(d, d->cfg->service_domain,
					 d->cfg->service_secret);
	if (!d->cfg->rooms_sharded)
		d->rooms = daemon_conn(d, d->cfg->rooms_domain,
				       d->cfg->rooms_secret);
	daemon_loop(d);
	if (daemon_stop)
		log_info("shutting down");
	daemon_shutdown(d);
	conn_free(d->service);
	conn_free(d->rooms);
	bc_free(d->bc);
	d->service = d->rooms = NULL;
	d->bc = NULL;
	return 0;
}

/* A replica: waits for this site to become the master (the replication
 * manager's event sets the role; store_role() reads it), keeping the
 * store's upkeep. */
static void daemon_standby(struct daemon *d)
{
	int64_t next_maintain = clock_mono_ms() + d->cfg->checkpoint_ms;
	char master[300];

	if (store_master_addr(d->store, master, sizeof(master)) != 0)
		snprintf(master, sizeof(master), "not known yet");
	log_info("this site is a replica (master: %s): waiting to be elected",
		 master);
	while (!daemon_stop &&
	       store_role(d->store, NULL) != STORE_ROLE_MASTER) {
		struct timespec ts = {0, 20 * 1000000L};

		daemon_hup_check();
		nanosleep(&ts, NULL);
		if (clock_mono_ms() >= next_maintain) {
			store_maintain(d->store);
			next_maintain = clock_mono_ms() + d->cfg->checkpoint_ms;
		}
	}
}

int daemon_check_config(const char *path)
{
	char err[8192];
	struct cfg *cfg;

	if (cfg_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAILURE;
	}
	printf("%s: configuration is valid\n", path);
	cfg_free(cfg);
	return EXIT_SUCCESS;
}

int daemon_run(const struct daemon_opts *opts)
{
	xmpp_log_t strophe_log = {daemon_strophe_log, (void *)&opts->verbose};
	/* Its errors only, to stderr (the log file with --log-file), in its
	 * own format. */
	xmpp_log_t *quiet_log = xmpp_get_default_logger(XMPP_LEVEL_ERROR);
	struct daemon d;
	char err[8192];
	int status = EXIT_FAILURE;
	int level;

	memset(&d, 0, sizeof(d));
	/* First: a SIGTERM or SIGHUP during start-up must not kill us. */
	daemon_signals();
	if (opts->log_file != NULL && log_set_file(opts->log_file) < 0) {
		log_err("cannot open log file %s", opts->log_file);
		return EXIT_FAILURE;
	}
	if (cfg_load(opts->config_path, &d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAILURE;
	}
	level = d.cfg->log_level + opts->verbose;
	log_init("backchanneld", level > LOG_LEVEL_DEBUG ? LOG_LEVEL_DEBUG : level,
		 d.cfg->log_syslog);
	srand48((long)time(NULL) ^ (long)getpid());

	if (d.cfg->repl_listen != NULL) {
		struct store_repl_params rp = {
			.listen = d.cfg->repl_listen,
			.priority = d.cfg->repl_priority,
			.ack_timeout_ms = d.cfg->repl_ack_timeout_ms,
			.peers = d.cfg->repl_peers.v,
			.npeers = d.cfg->repl_peers.n,
			.instances = d.cfg->repl_instances.v,
			.ninstances = d.cfg->repl_instances.n,
		};

		d.replicated = true;
		d.shard = d.cfg->shard_store_path != NULL;
		log_info("a site of a replication group: %s, %zu other "
			 "site(s)%s",
			 rp.listen, rp.npeers + rp.ninstances,
			 d.shard ? "; a rooms instance" : "");
		if (store_open_repl(d.cfg->store_path,
				    d.cfg->store_lazy_evidence
					    ? STORE_LAZY_EVIDENCE
					    : 0,
				    &rp, &d.store) != 0) {
			log_errx("cannot open the store at %s",
				 d.cfg->store_path);
			goto out;
		}
	} else if (store_open(d.cfg->store_path,
		       d.cfg->store_lazy_evidence ? STORE_LAZY_EVIDENCE : 0,
		       &d.store) != 0) {
		log_errx("cannot open the store at %s", d.cfg->store_path);
		goto out;
	}
	d.rooms_store = d.store;
	if (d.shard && store_open(d.cfg->shard_store_path,
				  d.cfg->store_lazy_evidence
					  ? STORE_LAZY_EVIDENCE
					  : 0,
				  &d.rooms_store) != 0) {
		log_errx("cannot open the rooms store at %s",
			 d.cfg->shard_store_path);
		d.rooms_store = NULL;
		goto out;
	}
	xmpp_initialize();
	d.xctx = xmpp_ctx_new(NULL, opts->verbose >= 2 ? &strophe_log
						       : quiet_log);
	if (d.xctx == NULL) {
		log_errx("cannot create the XMPP context");
		goto out;
	}
	if (metrics_start(d.cfg, clock_now_ms(), &d.metrics) < 0)
		goto out;
	log_info("backchanneld %s: service %s, rooms %s, server %s:%u",
		 PACKAGE_VERSION, d.cfg->service_domain, d.cfg->rooms_domain,
		 d.cfg->server_host, d.cfg->server_port);

	if (!d.replicated || d.shard) {
		if (daemon_serve(&d) < 0)
			goto out;
	} else {
		while (!daemon_stop) {
			if (store_role(d.store, NULL) != STORE_ROLE_MASTER)
				daemon_standby(&d);
			if (!daemon_stop && daemon_serve(&d) < 0)
				goto out;
		}
	}
	status = EXIT_SUCCESS;
out:
	metrics_stop(d.metrics);
	conn_free(d.service);
	conn_free(d.rooms);
	bc_free(d.bc);
	if (d.xctx != NULL) {
		xmpp_ctx_free(d.xctx);
		xmpp_shutdown();
	}
	if (d.rooms_store != d.store)
		store_close(d.rooms_store);
	store_close(d.store);
	cfg_free(d.cfg);
	if (status == EXIT_SUCCESS)
		log_info("stopped");
	return status;
}
