/*
 * fanout_component.c - one stanza to N recipients on one XEP-0114
 * connection, two ways, for the fan-out and MUC benchmarks
 * (docs/BENCHMARKS.md):
 *
 *   -m bc    the daemon's primitive: bc_fanout() serialises the stanza once
 *            into the outbox and queues N copies that differ only in 'to';
 *            bc_flush() hands the connection's bytes to libstrophe in one
 *            piece (xmpp_send_raw(), what conn_send_raw() does), which
 *            writes them with one send() when the socket takes them;
 *   -m bare  bare libstrophe: for each recipient xmpp_stanza_set_to() and
 *            xmpp_send(), which serialises the stanza again and queues it
 *            as its own item, written with its own send().
 *
 * Both run in the same process shape: one libstrophe context and
 * connection (with the daemon's stream-management workaround), the
 * daemon's libstrophe log policy (a handler that keeps errors only, so
 * libstrophe still formats its debug lines), one xmpp_run_once() after
 * each fan-out.
 *
 * Two ways to be driven:
 *   -r ROUNDS  (fan-out benchmark) on a <message/> whose body is "go", fan
 *              the built-in groupchat message (about 300 bytes a copy) out
 *              ROUNDS times, keeping at most WINDOW copies queued in
 *              libstrophe (it writes while they wait);
 *   -r 0       (MUC benchmark baseline) every groupchat message received is
 *              copied with 'from' set to its 'to' plus "/NICK", given what
 *              a room adds (a XEP-0359 stanza id, a XEP-0421 occupant id)
 *              and fanned out to the N recipients.
 * Recipients are u1@bench.test/r ... uN@bench.test/r (JIDFMT with %d).
 *
 * libstrophe writes with send(2): this file defines send() to count the
 * calls and bytes (the executable's definition comes first for the
 * library), and prints them at exit:
 *
 *   FANOUT method=.. n=.. copies=.. sends=.. bytes=..
 *
 * counted from the "go" (or from the first message with -r 0).  It runs
 * until SIGTERM or SIGINT, or until the server closes the stream.
 *
 * usage: fanout_component -p PORT -d DOMAIN -m bc|bare -n N [-r ROUNDS]
 *        [-W WINDOW] [-j JIDFMT] [-k NICK] [-s SECRET] [-L]
 *   -L  libstrophe's own logger at error level instead of the daemon's
 *       handler: debug lines are then not formatted at all
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strophe.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/conn.h"
#include "component/xmalloc.h"

enum fc_method { FC_BC, FC_BARE };

/* A groupchat message as a room sends it to an occupant (without 'to'):
 * with 'to' about 300 bytes. */
static const char fc_message[] =
	"<message type='groupchat' id='3f0c6a52' from='bench@%s/alice'>"
	"<body>Is everyone hearing the echo on the second speaker?</body>"
	"<stanza-id xmlns='urn:xmpp:sid:0' id='Yb2qP4kV9xWm' by='bench@%s'/>"
	"<occupant-id xmlns='urn:xmpp:occupant-id:0' id='9a3f7c2e1b5d'/>"
	"</message>";

static unsigned long long fc_sends, fc_bytes;
static volatile sig_atomic_t fc_stop;

/* libstrophe's socket writes (sock_write() calls send()). */
ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n = sendto(fd, buf, len, flags, NULL, 0);

	fc_sends++;
	if (n > 0)
		fc_bytes += (unsigned long long)n;
	return n;
}

struct fc {
	xmpp_ctx_t *ctx;
	xmpp_conn_t *conn;
	struct cfg *cfg;
	struct bc *bc;
	enum fc_method method;
	size_t n;
	char **to;
	const char *nick;
	long rounds;
	long window;
	bool go;       /* the "go" came (-r ROUNDS) */
	bool finished; /* the rounds are done */
	bool counting;
	unsigned long long copies, sends0, bytes0;
	unsigned long long ids; /* stanza ids handed out */
};

static void fc_signal(int sig)
{
	(void)sig;
	fc_stop = 1;
}

static void fc_log(void *arg, xmpp_log_level_t level, const char *area,
		   const char *msg)
{
	(void)arg;
	if (level >= XMPP_LEVEL_ERROR)
		fprintf(stderr, "fanout_component: libstrophe %s: %s\n", area,
			msg);
}

/* bc's transport: the whole batch in one piece, as the daemon's. */
static int fc_transport(void *arg, const struct bc_batch *batch)
{
	struct fc *fc = arg;

	xmpp_send_raw(fc->conn, batch->data, batch->len);
	return 0;
}

static void fc_start_counting(struct fc *fc)
{
	fc->counting = true;
	fc->sends0 = fc_sends;
	fc->bytes0 = fc_bytes;
}

/* One stanza (borrowed) to every recipient. */
static void fc_fanout(struct fc *fc, xmpp_stanza_t *st)
{
	size_t i;

	if (fc->method == FC_BC) {
		bc_fanout(fc->bc, st, (const char *const *)fc->to, fc->n);
		bc_flush(fc->bc);
	} else {
		for (i = 0; i < fc->n; i++) {
			xmpp_stanza_set_to(st, fc->to[i]);
			xmpp_send(fc->conn, st);
		}
	}
	fc->copies += fc->n;
}

/* What a room adds to a message it sends on: a XEP-0359 stanza id
 * (stamped by the room) and the sender's XEP-0421 occupant id. */
static void fc_room_ids(struct fc *fc, xmpp_stanza_t *msg, const char *room)
{
	xmpp_stanza_t *c;
	char id[32];

	snprintf(id, sizeof(id), "fc-%llu", ++fc->ids);
	c = xmpp_stanza_new(fc->ctx);
	xmpp_stanza_set_name(c, "stanza-id");
	xmpp_stanza_set_ns(c, "urn:xmpp:sid:0");
	xmpp_stanza_set_id(c, id);
	xmpp_stanza_set_attribute(c, "by", room);
	xmpp_stanza_add_child(msg, c);
	xmpp_stanza_release(c);
	c = xmpp_stanza_new(fc->ctx);
	xmpp_stanza_set_name(c, "occupant-id");
	xmpp_stanza_set_ns(c, "urn:xmpp:occupant-id:0");
	xmpp_stanza_set_id(c, "9bdffcad9d639957e24db885");
	xmpp_stanza_add_child(msg, c);
	xmpp_stanza_release(c);
}

static int fc_on_message(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *arg)
{
	struct fc *fc = arg;
	const char *type = xmpp_stanza_get_type(stanza);
	const char *to = xmpp_stanza_get_to(stanza);
	xmpp_stanza_t *body, *copy;
	char *text, from[512];

	(void)conn;
	if (fc->rounds > 0) {
		body = xmpp_stanza_get_child_by_name(stanza, "body");
		text = body ? xmpp_stanza_get_text(body) : NULL;
		if (text != NULL && strcmp(text, "go") == 0 && !fc->go) {
			fc->go = true;
			fc_start_counting(fc);
		}
		xmpp_free(fc->ctx, text);
		return 1;
	}
	if (type == NULL || strcmp(type, "groupchat") != 0 || to == NULL)
		return 1;
	if (!fc->counting)
		fc_start_counting(fc);
	snprintf(from, sizeof(from), "%s/%s", to, fc->nick);
	copy = xmpp_stanza_copy(stanza);
	xmpp_stanza_set_from(copy, from);
	fc_room_ids(fc, copy, to);
	fc_fanout(fc, copy);
	xmpp_stanza_release(copy);
	return 1;
}

static void fc_event(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
		     xmpp_stream_error_t *se, void *arg)
{
	(void)conn;
	(void)se;
	(void)arg;
	if (ev == XMPP_CONN_CONNECT)
		return;
	if (error != 0)
		fprintf(stderr, "fanout_component: connection ended: %s\n",
			strerror(error));
	fc_stop = 1;
}

/* Copies libstrophe still holds for the socket. */
static long fc_queued(const struct fc *fc)
{
	long items = xmpp_conn_send_queue_len(fc->conn);

	return fc->method == FC_BC ? items * (long)fc->n : items;
}

/* The self-driven run: ROUNDS fan-outs of the built-in message. */
static void fc_rounds(struct fc *fc, xmpp_stanza_t *msg)
{
	long done = 0;

	while (!fc_stop && done < fc->rounds) {
		fc_fanout(fc, msg);
		done++;
		xmpp_run_once(fc->ctx, 0);
		while (!fc_stop && fc_queued(fc) > fc->window)
			xmpp_run_once(fc->ctx, 5);
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fanout_component -p PORT -d DOMAIN -m bc|bare -n N "
		"[-r ROUNDS] [-W WINDOW]\n"
		"       [-j JIDFMT] [-k NICK] [-s SECRET] [-L]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *domain = NULL, *secret = "bench";
	const char *method = NULL, *jidfmt = "u%d@bench.test/r";
	xmpp_log_t log = {fc_log, NULL};
	struct fc fc;
	struct sigaction sa;
	xmpp_stanza_t *msg = NULL;
	unsigned port = 0;
	char err[1024], *xml, *text;
	bool own_logger = false;
	int ch, status = EXIT_FAILURE;
	size_t i;

	memset(&fc, 0, sizeof(fc));
	fc.nick = "u1";
	fc.window = 1000;
	while ((ch = getopt(argc, argv, "p:d:m:n:r:W:j:k:s:L")) != -1) {
		switch (ch) {
		case 'p': port = (unsigned)atoi(optarg); break;
		case 'd': domain = optarg; break;
		case 'm': method = optarg; break;
		case 'n': fc.n = (size_t)atol(optarg); break;
		case 'r': fc.rounds = atol(optarg); break;
		case 'W': fc.window = atol(optarg); break;
		case 'j': jidfmt = optarg; break;
		case 'k': fc.nick = optarg; break;
		case 's': secret = optarg; break;
		case 'L': own_logger = true; break;
		default: usage();
		}
	}
	if (port == 0 || port > 65535 || domain == NULL || method == NULL ||
	    fc.n == 0 || fc.n > 100000 || fc.rounds < 0 || fc.window < 1 ||
	    optind != argc)
		usage();
	if (strcmp(method, "bc") == 0)
		fc.method = FC_BC;
	else if (strcmp(method, "bare") == 0)
		fc.method = FC_BARE;
	else
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fc_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	fc.to = xcalloc(fc.n, sizeof(*fc.to));
	for (i = 0; i < fc.n; i++)
		fc.to[i] = xasprintf(jidfmt, (int)i + 1);
	/* The state bc_fanout() needs: a configuration whose rooms domain
	 * is ours, no store. */
	xml = xasprintf("<backchannel><server host='127.0.0.1'/>"
			"<service domain='service.%s' secret='s'/>"
			"<rooms domain='%s' secret='s'/>"
			"<store path='/nonexistent'/></backchannel>",
			domain, domain);
	if (cfg_load_buffer("fanout.xml", xml, strlen(xml), &fc.cfg, err,
			    sizeof(err)) < 0) {
		fprintf(stderr, "fanout_component: %s\n", err);
		free(xml);
		goto out;
	}
	free(xml);

	xmpp_initialize();
	fc.ctx = xmpp_ctx_new(NULL, own_logger ? xmpp_get_default_logger(
							 XMPP_LEVEL_ERROR)
					       : &log);
	fc.bc = bc_new(fc.cfg, NULL, fc.ctx, fc_transport, &fc);
	if (fc.bc == NULL)
		goto out;
	text = xasprintf(fc_message, domain, domain);
	msg = xmpp_stanza_new_from_string(fc.ctx, text);
	free(text);
	if (msg == NULL) {
		fprintf(stderr, "fanout_component: bad built-in message\n");
		goto out;
	}
	fc.conn = xmpp_conn_new(fc.ctx);
	xmpp_conn_set_jid(fc.conn, domain);
	xmpp_conn_set_pass(fc.conn, secret);
	xmpp_handler_add(fc.conn, fc_on_message, NULL, "message", NULL, &fc);
	if (conn_sm_workaround(fc.ctx, fc.conn) != 0 ||
	    xmpp_connect_component(fc.conn, host, (unsigned short)port,
				   fc_event, NULL) != XMPP_EOK) {
		fprintf(stderr, "fanout_component: cannot connect to %s:%u\n",
			host, port);
		goto out;
	}
	while (!fc_stop) {
		if (fc.go && !fc.finished) {
			fc_rounds(&fc, msg);
			fc.finished = true; /* idle until stopped */
		}
		xmpp_run_once(fc.ctx, 200);
	}
	status = EXIT_SUCCESS;
	printf("FANOUT method=%s n=%zu copies=%llu sends=%llu bytes=%llu\n",
	       method, fc.n, fc.copies, fc_sends - fc.sends0,
	       fc_bytes - fc.bytes0);
	fflush(stdout);
out:
	if (msg != NULL)
		xmpp_stanza_release(msg);
	if (fc.conn != NULL)
		xmpp_conn_release(fc.conn);
	bc_free(fc.bc);
	if (fc.ctx != NULL) {
		xmpp_ctx_free(fc.ctx);
		xmpp_shutdown();
	}
	cfg_free(fc.cfg);
	for (i = 0; i < fc.n; i++)
		free(fc.to[i]);
	free(fc.to);
	return status;
}
