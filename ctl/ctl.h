/*
 * ctl.h - backchannelctl, the provisioning tool: its commands work on the
 * store while the daemon runs (the environment is shared).
 */
#ifndef BC_CTL_H
#define BC_CTL_H

#include <stdint.h>
#include <stdio.h>

struct store;

/* Exit codes: success, a failure (unknown handle, duplicate, ...), a usage
 * error. */
#define CTL_OK 0
#define CTL_FAIL 1
#define CTL_USAGE 2

/* The whole program: parses -c FILE and the command, loads the
 * configuration, opens the store, runs the command, flushes and closes.
 * Returns the exit code. */
int ctl_main(int argc, char **argv);

/* Runs one command (argv[0] is the command word) on an open store; output
 * goes to out, the one error line to err.  token_ttl_ms is the link token
 * lifetime.  Returns the exit code.  Used by ctl_main() and the tests. */
int ctl_run(struct store *st, int64_t token_ttl_ms, int argc, char **argv,
	    FILE *out, FILE *err);
/* The same with the service domain D (NULL: none known), by which report
 * and sanction commands tell handle@D from an outside user's JID. */
int ctl_run_domain(struct store *st, int64_t token_ttl_ms,
		   const char *domain, int argc, char **argv, FILE *out,
		   FILE *err);

#endif
