/*
 * echo_component.c - the relay benchmark's baseline: a bare libstrophe
 * XEP-0114 component that answers every message with a copy of it, 'to'
 * and 'from' swapped.  It does what any component must do for a one-to-one
 * message (parse, dispatch, copy, serialise, write) and nothing else: no
 * store, no identities.  It runs until SIGTERM or SIGINT, or until the
 * server closes the stream.
 *
 * Libstrophe 0.12 needs the stream-management workaround of
 * component/conn.c in component mode; this uses the same function.
 *
 * usage: echo_component -p PORT -d DOMAIN [-s SECRET] [-H HOST]
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <strophe.h>

#include "component/conn.h"

static volatile sig_atomic_t echo_stop;
static unsigned long echo_count;

static void echo_signal(int sig)
{
	(void)sig;
	echo_stop = 1;
}

/* The same policy as the daemon's: errors only, every other line
 * dropped (libstrophe still formats its debug lines). */
static void echo_log(void *arg, xmpp_log_level_t level, const char *area,
		     const char *msg)
{
	(void)arg;
	if (level >= XMPP_LEVEL_ERROR)
		fprintf(stderr, "echo_component: libstrophe %s: %s\n", area,
			msg);
}

static int echo_message(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *arg)
{
	const char *from = xmpp_stanza_get_from(stanza);
	const char *to = xmpp_stanza_get_to(stanza);
	const char *type = xmpp_stanza_get_type(stanza);
	xmpp_stanza_t *reply;

	(void)arg;
	if (from == NULL || to == NULL ||
	    (type != NULL && strcmp(type, "error") == 0))
		return 1;
	reply = xmpp_stanza_copy(stanza);
	xmpp_stanza_set_from(reply, to);
	xmpp_stanza_set_to(reply, from);
	xmpp_send(conn, reply);
	xmpp_stanza_release(reply);
	echo_count++;
	return 1;
}

static void echo_event(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
		       xmpp_stream_error_t *se, void *arg)
{
	(void)conn;
	(void)se;
	(void)arg;
	if (ev == XMPP_CONN_CONNECT)
		return;
	if (error != 0)
		fprintf(stderr, "echo_component: connection ended: %s\n",
			strerror(error));
	echo_stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: echo_component -p PORT -d DOMAIN [-s SECRET] [-H HOST]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *domain = NULL, *secret = "bench";
	xmpp_log_t log = {echo_log, NULL};
	struct sigaction sa;
	unsigned port = 0;
	xmpp_ctx_t *ctx;
	xmpp_conn_t *conn;
	int ch, status = EXIT_FAILURE;

	while ((ch = getopt(argc, argv, "p:d:s:H:")) != -1) {
		switch (ch) {
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'd': domain = optarg; break;
		case 's': secret = optarg; break;
		case 'H': host = optarg; break;
		default: usage();
		}
	}
	if (port == 0 || port > 65535 || domain == NULL || optind != argc)
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = echo_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	xmpp_initialize();
	ctx = xmpp_ctx_new(NULL, &log);
	conn = xmpp_conn_new(ctx);
	xmpp_conn_set_jid(conn, domain);
	xmpp_conn_set_pass(conn, secret);
	xmpp_handler_add(conn, echo_message, NULL, "message", NULL, NULL);
	if (conn_sm_workaround(ctx, conn) == 0 &&
	    xmpp_connect_component(conn, host, (unsigned short)port,
				   echo_event, NULL) == XMPP_EOK) {
		while (!echo_stop)
			xmpp_run_once(ctx, 200);
		status = EXIT_SUCCESS;
	} else {
		fprintf(stderr, "echo_component: cannot connect to %s:%u\n",
			host, port);
	}
	xmpp_conn_release(conn);
	xmpp_ctx_free(ctx);
	xmpp_shutdown();
	fprintf(stderr, "echo_component: %lu messages echoed\n", echo_count);
	return status;
}
