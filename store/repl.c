/*
 * repl.c - a site of a Berkeley DB replication group (the replication
 * manager, "repmgr"): the sites of the configuration, the election
 * priority, quorum acknowledgements, the events that tell this site its
 * role, and the group as backchannelctl shows it.
 *
 * Every site lists every site (DB_LEGACY), so a group starts with all of
 * its members known and no site has to be started first.  A commit on the
 * master waits (in the committing thread) until a quorum of the group has
 * it or the acknowledgement timeout passes; then DB_EVENT_REP_PERM_FAILED
 * is counted and the next store_flush() fails, so nothing that commit
 * reveals is sent.  The events arrive on repmgr's threads: they only set
 * atomics, which the daemon's loop reads each pass (store_role()).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "component/clock.h"
#include "component/log.h"
#include "component/xmalloc.h"
#include "store/store-int.h"

/* How long store_open_repl() waits for this site to learn its role (an
 * election needs a majority of the group up) and, on a replica, for the
 * databases to arrive from the master. */
#define STORE_REPL_WAIT_MS (5 * 60 * 1000)
/* The same waits in backchannelctl, which tells the operator to try again
 * rather than hang while its site joins the group or catches up. */
#define STORE_REPL_CTL_WAIT_MS (10 * 1000)

struct store_repl {
	char *host;
	unsigned port;
	unsigned priority;
	int64_t ack_timeout_ms;
	char **peer_host; /* the other sites: peers, then instances */
	unsigned *peer_port;
	size_t npeers;     /* all of them */
	size_t nelectable; /* the first nelectable: <peer>s */
	bool subordinate;
	bool reads_only;
	/* Set by the event callback (repmgr threads), read by the loop. */
	int role;         /* enum store_role */
	int changed;
	int startup_done; /* a replica caught up with the master */
	unsigned long perm_failed;
	unsigned long perm_seen;
	unsigned open_tries; /* store_repl_retry_open() */
	unsigned open_budget; /* how many tries it may make */
	int connections;     /* this process's, to other sites */
	int joined;          /* a connection came up (store_repl_pulse()) */
	int64_t pulse_until_ms, pulse_last_ms;
	int64_t tail_ms;        /* when the end of the log was last looked at */
	DB_LSN tail;            /* where it was */
};

void store_repl_free(struct store_repl *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->npeers; i++)
		free(r->peer_host[i]);
	free(r->peer_host);
	free(r->peer_port);
	free(r->host);
	free(r);
}

/* "IP:port" or "[IPv6]:port" into a host and a port (the configuration
 * checked the form). */
static int store_repl_addr(const char *text, char **host, unsigned *port)
{
	const char *colon = strrchr(text, ':');
	const char *h = text;
	size_t n;

	if (colon == NULL)
		return STORE_EINVAL;
	n = (size_t)(colon - text);
	if (text[0] == '[' && n >= 2 && text[n - 1] == ']') {
		h = text + 1;
		n -= 2;
	}
	*port = (unsigned)strtoul(colon + 1, NULL, 10);
	if (*port == 0 || *port > 65535 || n == 0)
		return STORE_EINVAL;
	*host = xmalloc(n + 1);
	memcpy(*host, h, n);
	(*host)[n] = '\0';
	return 0;
}

static void store_repl_event(DB_ENV *env, u_int32_t event, void *info)
{
	struct store_repl *r = env->app_private;

	if (r == NULL)
		return;
	switch (event) {
	case DB_EVENT_REP_MASTER:
		__atomic_store_n(&r->role, STORE_ROLE_MASTER, __ATOMIC_SEQ_CST);
		__atomic_store_n(&r->changed, 1, __ATOMIC_SEQ_CST);
		break;
	case DB_EVENT_REP_CLIENT:
		__atomic_store_n(&r->role, STORE_ROLE_REPLICA, __ATOMIC_SEQ_CST);
		__atomic_store_n(&r->changed, 1, __ATOMIC_SEQ_CST);
		break;
	case DB_EVENT_REP_STARTUPDONE:
		__atomic_store_n(&r->startup_done, 1, __ATOMIC_SEQ_CST);
		break;
	case DB_EVENT_REP_NEWMASTER:
		__atomic_store_n(&r->changed, 1, __ATOMIC_SEQ_CST);
		break;
	case DB_EVENT_REP_CONNECT_ESTD:
		__atomic_add_fetch(&r->connections, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&r->joined, 1, __ATOMIC_SEQ_CST);
		break;
	case DB_EVENT_REP_CONNECT_BROKEN:
		__atomic_sub_fetch(&r->connections, 1, __ATOMIC_SEQ_CST);
		break;
	case DB_EVENT_REP_PERM_FAILED:
		__atomic_add_fetch(&r->perm_failed, 1, __ATOMIC_SEQ_CST);
		break;
	case DB_EVENT_PANIC:
		__atomic_store_n(&r->role, STORE_ROLE_NONE, __ATOMIC_SEQ_CST);
		__atomic_store_n(&r->changed, 1, __ATOMIC_SEQ_CST);
		break;
	default:
		break;
	}
}

static int store_repl_site(DB_ENV *env, const char *host, unsigned port,
			   bool local)
{
	DB_SITE *site = NULL;
	int rc;

	rc = env->repmgr_site(env, host, port, &site, 0);
	if (rc != 0)
		return rc;
	if (local)
		rc = site->set_config(site, DB_LOCAL_SITE, 1);
	else
		rc = site->set_config(site, DB_BOOTSTRAP_HELPER, 1);
	/* All sites know all sites from the start (docs/SCALING.md). */
	if (rc == 0)
		rc = site->set_config(site, DB_LEGACY, 1);
	if (rc == 0 && !local)
		rc = site->set_config(site, DB_REPMGR_PEER, 1);
	site->close(site);
	return rc;
}

/* The acknowledgement policy.  Berkeley DB's quorum counts every site of
 * the group but only acknowledgements from sites that may be elected: with
 * rooms instances (priority 0) in the group, a quorum could only be the
 * acknowledgements of every other directory site, and losing one would
 * stop every commit.  With instances, then, one other directory site's
 * acknowledgement makes a commit durable: with three directory sites,
 * that is a majority of them (docs/SCALING.md).  A group whose only
 * directory site is this one has nobody to wait for under the quorum
 * rule, and keeps it. */
static int store_repl_acks(const struct store_repl *r)
{
	if (r->npeers > r->nelectable && r->nelectable > 0)
		return DB_REPMGR_ACKS_ONE_PEER;
	return DB_REPMGR_ACKS_QUORUM;
}

int store_repl_configure(struct store *st)
{
	struct store_repl *r = st->repl;
	DB_ENV *env = st->env;
	db_timeout_t ack = (db_timeout_t)(r->ack_timeout_ms * 1000);
	size_t i;
	int rc;

	env->app_private = r;
	if ((rc = env->set_event_notify(env, store_repl_event)) != 0)
		goto out;
	if ((rc = store_repl_site(env, r->host, r->port, true)) != 0)
		goto out;
	for (i = 0; i < r->npeers; i++)
		if ((rc = store_repl_site(env, r->peer_host[i], r->peer_port[i],
					  false)) != 0)
			goto out;
	if ((rc = env->rep_set_priority(env, r->priority)) != 0 ||
	    (rc = env->repmgr_set_ack_policy(env, store_repl_acks(r))) != 0 ||
	    (rc = env->rep_set_timeout(env, DB_REP_ACK_TIMEOUT, ack)) != 0 ||
	    /* A dead master is noticed at once when its connections drop
	     * (kill -9 closes them); heartbeats catch a silent one.  They
	     * also carry the master's log position: a write backchannelctl
	     * made before its own connections were up reaches the replicas
	     * when they see, at the next heartbeat, that they lack it. */
	    (rc = env->rep_set_timeout(env, DB_REP_HEARTBEAT_SEND,
				       500000)) != 0 ||
	    (rc = env->rep_set_timeout(env, DB_REP_HEARTBEAT_MONITOR,
				       2000000)) != 0 ||
	    (rc = env->rep_set_timeout(env, DB_REP_CONNECTION_RETRY,
				       500000)) != 0 ||
	    (rc = env->rep_set_timeout(env, DB_REP_ELECTION_RETRY,
				       500000)) != 0 ||
	    (rc = env->rep_set_timeout(env, DB_REP_ELECTION_TIMEOUT,
				       1000000)) != 0 ||
	    /* A checkpoint on the master does not wait (30 s by default)
	     * for the replicas to write their pages first: they have the
	     * log, and recover from it. */
	    (rc = env->rep_set_timeout(env, DB_REP_CHECKPOINT_DELAY, 0)) != 0)
		goto out;
	/* A two-site group may elect the survivor alone. */
	if (r->npeers == 1 && r->nelectable == 1)
		rc = env->rep_set_config(env, DB_REPMGR_CONF_2SITE_STRICT, 0);
out:
	if (rc != 0)
		log_errx("store: configuring replication: %s", db_strerror(rc));
	return rc != 0 ? STORE_EFAIL : 0;
}

/* The role kept in the shared region, for a process that does not get the
 * events (a subordinate one) or before the first event. */
static enum store_role store_repl_stat_role(struct store *st)
{
	DB_REP_STAT *sp = NULL;
	enum store_role role = STORE_ROLE_NONE;

	if (st->env->rep_stat(st->env, &sp, 0) != 0)
		return STORE_ROLE_NONE;
	if (sp->st_status == DB_REP_MASTER)
		role = STORE_ROLE_MASTER;
	else if (sp->st_status == DB_REP_CLIENT)
		role = STORE_ROLE_REPLICA;
	free(sp);
	return role;
}

/* Whether this process is connected to enough other sites for a quorum
 * to acknowledge its commits: a subordinate process (backchannelctl)
 * sends its own log records and gets its own acknowledgements, over
 * connections it makes when it starts (a second or so). */
static bool store_repl_quorum_connected(struct store *st)
{
	struct store_repl *r = st->repl;
	int up = __atomic_load_n(&r->connections, __ATOMIC_SEQ_CST);
	DB_REPMGR_SITE *list = NULL;
	u_int n = 0, i;
	size_t k;
	bool found = false;

	if (store_repl_acks(r) != DB_REPMGR_ACKS_ONE_PEER)
		/* A majority of the group, this site included. */
		return (size_t)up + 1 > (r->npeers + 1) / 2;
	/* One directory site among this process's connections. */
	if (st->env->repmgr_site_list(st->env, &n, &list) != 0)
		return false;
	for (i = 0; i < n && !found; i++)
		for (k = 0; k < r->nelectable && !found; k++)
			found = list[i].status == DB_REPMGR_CONNECTED &&
				list[i].port == r->peer_port[k] &&
				strcmp(list[i].host, r->peer_host[k]) == 0;
	free(list);
	return found;
}

int store_repl_start(struct store *st)
{
	struct store_repl *r = st->repl;
	int64_t deadline = clock_mono_ms() + (r->subordinate
						      ? STORE_REPL_CTL_WAIT_MS
						      : STORE_REPL_WAIT_MS);
	int64_t said = clock_mono_ms();
	int rc;

	/* The daemon runs the listener and the election threads; a
	 * subordinate process (backchannelctl) joins them. */
	if (r->subordinate && r->reads_only)
		rc = 0;
	else
		rc = st->env->repmgr_start(st->env, r->subordinate ? 1 : 3,
					   DB_REP_ELECTION);
	if (rc == DB_REP_IGNORE) {
		rc = 0;
	} else if (rc != 0) {
		log_errx("store: starting replication: %s", db_strerror(rc));
		return STORE_EFAIL;
	}
	for (;;) {
		enum store_role role = r->subordinate
					       ? store_repl_stat_role(st)
					       : (enum store_role)__atomic_load_n(
							 &r->role,
							 __ATOMIC_SEQ_CST);
		struct timespec ts = {0, 20 * 1000000L};

		if (role == STORE_ROLE_MASTER &&
		    (!r->subordinate || r->reads_only ||
		     store_repl_quorum_connected(st)))
			return 0;
		if (role == STORE_ROLE_REPLICA &&
		    (r->subordinate ||
		     __atomic_load_n(&r->startup_done, __ATOMIC_SEQ_CST)))
			return 0;
		if (clock_mono_ms() > deadline) {
			log_errx("store: no master in the replication group "
				 "after %d s",
				 (r->subordinate ? STORE_REPL_CTL_WAIT_MS
						 : STORE_REPL_WAIT_MS) /
					 1000);
			return STORE_EFAIL;
		}
		if (clock_mono_ms() - said > 10000) {
			said = clock_mono_ms();
			log_info("store: waiting for the replication group "
				 "(a majority of the sites must be up)");
		}
		nanosleep(&ts, NULL);
	}
}

void store_repl_explain_einval(const struct store *st)
{
	if (st->repl == NULL)
		return;
	log_errx("store: the environment at %s was made without replication "
		 "(a single instance's store?): a site starts from an empty "
		 "store directory, which the group fills (docs/SCALING.md)",
		 st->path);
}

bool store_repl_may_create(const struct store *st)
{
	return st->repl == NULL ||
	       store_repl_stat_role((struct store *)st) == STORE_ROLE_MASTER;
}

bool store_repl_retry_open(struct store *st, int rc)
{
	struct timespec ts = {0, 50 * 1000000L};

	if (st->repl == NULL)
		return false;
	if (rc != ENOENT && rc != DB_REP_LOCKOUT && rc != DB_REP_HANDLE_DEAD &&
	    rc != DB_LOCK_DEADLOCK)
		return false;
	if (st->repl->open_budget == 0)
		st->repl->open_budget = (st->repl->subordinate
						 ? STORE_REPL_CTL_WAIT_MS
						 : STORE_REPL_WAIT_MS) /
					50;
	if (++st->repl->open_tries > st->repl->open_budget) {
		log_errx("store: the databases did not arrive from the master%s",
			 st->repl->subordinate
				 ? " (this site is still catching up: try "
				   "again)"
				 : "");
		return false;
	}
	nanosleep(&ts, NULL);
	return true;
}

/* How long after a site connects the master writes a pulse, and how
 * often. */
#define STORE_REPL_PULSE_FOR_MS 10000
#define STORE_REPL_PULSE_EVERY_MS 500
/* How often the master looks whether another process (backchannelctl)
 * wrote to the log. */
#define STORE_REPL_TAIL_MS 50

/* Records another process wrote on the master go out over its own
 * connections, which may not be up yet when it commits and exits: when the
 * end of the log moved, the last record is sent again, and a replica that
 * sees it lacks what came before asks for it at once, rather than at the
 * next heartbeat. */
/* Whether the end of the log moved since r->tail, which then becomes the
 * end; false when it cannot be told. */
static bool store_repl_tail_moved(struct store *st)
{
	struct store_repl *r = st->repl;
	DB_LOG_STAT *sp = NULL;
	bool moved, first = r->tail.file == 0;

	if (st->env->log_stat(st->env, &sp, 0) != 0)
		return false;
	moved = sp->st_cur_file != r->tail.file ||
		sp->st_cur_offset != r->tail.offset;
	r->tail.file = sp->st_cur_file;
	r->tail.offset = sp->st_cur_offset;
	free(sp);
	return moved && !first;
}

static void store_repl_tail(struct store *st, int64_t now)
{
	struct store_repl *r = st->repl;

	if (now - r->tail_ms < STORE_REPL_TAIL_MS)
		return;
	r->tail_ms = now;
	if (store_repl_tail_moved(st))
		(void)st->env->rep_flush(st->env);
}

void store_repl_flushed(struct store *st)
{
	/* What this process wrote went out over its own connections as it
	 * was written: no need to send its end again. */
	if (st->repl != NULL && !st->repl->subordinate &&
	    store_role(st, NULL) == STORE_ROLE_MASTER)
		(void)store_repl_tail_moved(st);
}

void store_repl_pulse(struct store *st)
{
	struct store_repl *r = st != NULL ? st->repl : NULL;
	int64_t now;
	int rc;

	if (r == NULL || r->subordinate)
		return;
	now = clock_mono_ms();
	if (store_role(st, NULL) == STORE_ROLE_MASTER)
		store_repl_tail(st, now);
	if (__atomic_exchange_n(&r->joined, 0, __ATOMIC_SEQ_CST))
		r->pulse_until_ms = now + STORE_REPL_PULSE_FOR_MS;
	if (now >= r->pulse_until_ms ||
	    now - r->pulse_last_ms < STORE_REPL_PULSE_EVERY_MS ||
	    store_role(st, NULL) != STORE_ROLE_MASTER)
		return;
	r->pulse_last_ms = now;
	rc = st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE);
	if (rc != 0)
		log_warnx("store: a checkpoint for a joining site: %s",
			  db_strerror(rc));
}

void store_repl_reopening(struct store *st)
{
	if (st->repl == NULL)
		return;
	/* A running daemon waits seconds, not minutes, for its handles. */
	st->repl->open_tries = 0;
	st->repl->open_budget = STORE_REPL_CTL_WAIT_MS / 50;
}

int store_repl_acknowledged(struct store *st)
{
	int rc;

	if (st->repl == NULL)
		return 0;
	(void)store_repl_perm_failed(st);
	if (store_role(st, NULL) != STORE_ROLE_MASTER)
		return STORE_EFAIL;
	/* A checkpoint record is permanent: it waits for the
	 * acknowledgements as a commit does. */
	rc = st->env->txn_checkpoint(st->env, 0, 0, DB_FORCE);
	return rc == 0 && store_repl_perm_failed(st) == 0 ? 0 : STORE_EFAIL;
}

unsigned long store_repl_perm_failed(struct store *st)
{
	unsigned long n, seen;

	if (st->repl == NULL)
		return 0;
	n = __atomic_load_n(&st->repl->perm_failed, __ATOMIC_SEQ_CST);
	seen = st->repl->perm_seen;
	st->repl->perm_seen = n;
	return n - seen;
}

enum store_role store_role(struct store *st, bool *changed)
{
	struct store_repl *r = st != NULL ? st->repl : NULL;

	if (changed != NULL)
		*changed = false;
	if (r == NULL)
		return STORE_ROLE_NONE;
	if (changed != NULL)
		*changed = __atomic_exchange_n(&r->changed, 0,
					       __ATOMIC_SEQ_CST) != 0;
	if (r->subordinate)
		return store_repl_stat_role(st);
	return (enum store_role)__atomic_load_n(&r->role, __ATOMIC_SEQ_CST);
}

int store_master_addr(struct store *st, char *buf, size_t len)
{
	DB_REP_STAT *sp = NULL;
	DB_SITE *site = NULL;
	const char *host;
	u_int port;
	int rc, eid;

	if (st->repl == NULL || st->env->rep_stat(st->env, &sp, 0) != 0)
		return STORE_NOTFOUND;
	eid = sp->st_master;
	if (sp->st_status == DB_REP_MASTER)
		eid = sp->st_env_id;
	free(sp);
	if (eid == DB_EID_INVALID)
		return STORE_NOTFOUND;
	rc = st->env->repmgr_site_by_eid(st->env, eid, &site);
	if (rc != 0)
		return STORE_NOTFOUND;
	if (site->get_address(site, &host, &port) == 0)
		snprintf(buf, len, "%s:%u", host, port);
	else
		rc = STORE_NOTFOUND;
	site->close(site);
	return rc == 0 ? 0 : STORE_NOTFOUND;
}

int store_repl_show(struct store *st, FILE *out)
{
	DB_REPMGR_SITE *list = NULL;
	DB_REP_STAT *sp = NULL;
	u_int n = 0, i;
	int rc;

	if (st->repl == NULL) {
		fprintf(out, "not in a replication group\n");
		return 0;
	}
	if ((rc = st->env->rep_stat(st->env, &sp, 0)) != 0 ||
	    (rc = st->env->repmgr_site_list(st->env, &n, &list)) != 0) {
		free(sp);
		log_errx("store: the group: %s", db_strerror(rc));
		return STORE_EFAIL;
	}
	fprintf(out, "%-24s %-8s %s\n", "site", "role", "connection");
	{
		char self[300];

		snprintf(self, sizeof(self), "%s:%u", st->repl->host,
			 st->repl->port);
		fprintf(out, "%-24s %-8s %s\n", self,
			sp->st_status == DB_REP_MASTER	 ? "master"
			: sp->st_status == DB_REP_CLIENT ? "replica"
							 : "none",
			"this site");
	}
	for (i = 0; i < n; i++) {
		char addr[300];
		bool master = list[i].eid == sp->st_master &&
			      sp->st_status != DB_REP_MASTER;

		snprintf(addr, sizeof(addr), "%s:%u", list[i].host,
			 list[i].port);
		fprintf(out, "%-24s %-8s %s\n", addr,
			master ? "master"
			       : sp->st_status == DB_REP_MASTER ? "replica"
								  : "-",
			/* A replica's own connections belong to its daemon,
			 * which this process does not see. */
			sp->st_status != DB_REP_MASTER ? "-"
			: list[i].status == DB_REPMGR_CONNECTED
				? "connected"
				: "disconnected");
	}
	/* Compare the sites' positions for the lag: the master's is where
	 * the group is, a replica's where it has got to. */
	fprintf(out, "log position of this site: %lu/%lu\n",
		(unsigned long)sp->st_next_lsn.file,
		(unsigned long)sp->st_next_lsn.offset);
	free(list);
	free(sp);
	return 0;
}

int store_open_repl(const char *path, unsigned flags,
		    const struct store_repl_params *rp, struct store **out)
{
	struct store_repl *r = NULL;
	size_t i;
	int rc;

	if (rp == NULL)
		return store_open(path, flags, out);
	*out = NULL;
	if ((flags & STORE_IN_MEMORY) || rp->npeers + rp->ninstances == 0)
		return STORE_EINVAL;
	r = xcalloc(1, sizeof(*r));
	r->priority = rp->priority;
	r->ack_timeout_ms = rp->ack_timeout_ms;
	r->subordinate = rp->subordinate;
	r->reads_only = rp->reads_only;
	r->npeers = rp->npeers + rp->ninstances;
	r->nelectable = rp->npeers;
	r->peer_host = xcalloc(r->npeers, sizeof(*r->peer_host));
	r->peer_port = xcalloc(r->npeers, sizeof(*r->peer_port));
	rc = store_repl_addr(rp->listen, &r->host, &r->port);
	for (i = 0; rc == 0 && i < r->npeers; i++)
		rc = store_repl_addr(i < rp->npeers
					     ? rp->peers[i]
					     : rp->instances[i - rp->npeers],
				     &r->peer_host[i], &r->peer_port[i]);
	if (rc != 0) {
		log_errx("store: bad replication site address");
		store_repl_free(r);
		return STORE_EINVAL;
	}
	return store_open_with(path, flags, r, out);
}
