/*
 * daemon.h - backchanneld's life: load the configuration, open the store,
 * connect both domains, run the event loop, shut down on a signal.
 */
#ifndef BC_DAEMON_H
#define BC_DAEMON_H

struct daemon_opts {
	const char *config_path;
	int verbose;          /* each -v raises the log level by one */
	const char *log_file; /* stderr goes here when set; SIGHUP reopens */
};

/* Runs until SIGTERM or SIGINT; returns the process exit status. */
int daemon_run(const struct daemon_opts *opts);

/* Loads and checks the configuration, printing problems to stderr; returns
 * the exit status for --check-config. */
int daemon_check_config(const char *path);

#endif
