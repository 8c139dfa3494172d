/*
 * conn.c - XEP-0114 component connections with backoff.
 *
 * Each attempt uses a fresh xmpp_conn_t: libstrophe keeps per-stream state
 * in it, and a clean object per attempt keeps reconnection simple.  The
 * dropped one is released on the next tick, outside libstrophe's callbacks.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "component/clock.h"
#include "component/conn.h"
#include "component/log.h"
#include "component/xmalloc.h"

enum conn_state {
	CONN_IDLE,       /* waiting for the next attempt */
	CONN_CONNECTING, /* TCP connect or handshake under way */
	CONN_UP,
	CONN_CLOSING,
	CONN_CLOSED,
};

struct conn {
	xmpp_ctx_t *ctx;
	xmpp_conn_t *xconn;
	xmpp_conn_t *dead; /* released on the next tick */
	enum conn_state state;
	char *host;
	unsigned port;
	char *domain;
	char *secret;
	int64_t backoff_min_ms;
	int64_t backoff_max_ms;
	unsigned failures;
	int64_t next_attempt; /* clock_mono_ms() */
	conn_stanza_fn on_stanza;
	conn_state_fn on_state;
	void *arg;
};

static int conn_refuse_socket(xmpp_conn_t *xconn, void *sock)
{
	(void)xconn;
	(void)sock;
	return -1;
}

static void conn_ignore_event(xmpp_conn_t *xconn, xmpp_conn_event_t ev,
			      int error, xmpp_stream_error_t *se, void *arg)
{
	(void)xconn;
	(void)ev;
	(void)error;
	(void)se;
	(void)arg;
}

int conn_sm_workaround(xmpp_ctx_t *ctx, xmpp_conn_t *component)
{
	xmpp_conn_t *throwaway = xmpp_conn_new(ctx);
	xmpp_sm_state_t *sm;

	if (throwaway == NULL)
		xalloc_fail();
	/* A client connect allocates the state first, then fails at once
	 * because the socket-option callback refuses the socket. */
	xmpp_conn_set_jid(throwaway, "sm-state@invalid");
	xmpp_conn_set_sockopt_callback(throwaway, conn_refuse_socket);
	(void)xmpp_connect_client(throwaway, "127.0.0.1", 1, conn_ignore_event,
				  NULL);
	sm = xmpp_conn_get_sm_state(throwaway);
	xmpp_conn_release(throwaway);
	if (sm == NULL) {
		log_errx("libstrophe gave no stream-management state to lend");
		return -1;
	}
	if (xmpp_conn_set_sm_state(component, sm) != XMPP_EOK) {
		xmpp_free_sm_state(sm);
		log_errx("libstrophe refused the stream-management state");
		return -1;
	}
	return 0;
}

int64_t conn_backoff_ms(int64_t min, int64_t max, unsigned n, double rnd)
{
	int64_t d = min;

	while (n-- > 0 && d < max)
		d *= 2;
	if (d > max)
		d = max;
	return d / 2 + (int64_t)((double)(d - d / 2) * rnd);
}

static const char *conn_stream_error_text(xmpp_stream_error_t *se)
{
	if (se == NULL)
		return NULL;
	switch (se->type) {
	case XMPP_SE_NOT_AUTHORIZED:
		/* ejabberd says this for an unknown domain too. */
		return "the server refused the handshake (not-authorized): "
		       "check the secret, and that the server serves this "
		       "component domain";
	case XMPP_SE_HOST_UNKNOWN:
		return "the server does not know this component domain "
		       "(host-unknown): check its configuration";
	case XMPP_SE_CONFLICT:
		return "another component is already connected for this "
		       "domain (conflict)";
	case XMPP_SE_SYSTEM_SHUTDOWN:
		return "the server is shutting down";
	case XMPP_SE_POLICY_VIOLATION:
		return "the server closed the stream (policy-violation)";
	default:
		return "the server closed the stream with an error";
	}
}

static void conn_schedule(struct conn *c)
{
	int64_t delay = conn_backoff_ms(c->backoff_min_ms, c->backoff_max_ms,
					c->failures, drand48());

	c->failures++;
	c->next_attempt = clock_mono_ms() + delay;
	log_info("%s: next connection attempt in %lld ms", c->domain,
		 (long long)delay);
}

static void conn_event(xmpp_conn_t *xconn, xmpp_conn_event_t ev, int error,
		       xmpp_stream_error_t *se, void *arg)
{
	struct conn *c = arg;
	bool was_up = c->state == CONN_UP;
	const char *why;

	if (xconn != c->xconn)
		return;
	if (ev == XMPP_CONN_CONNECT) {
		c->state = CONN_UP;
		c->failures = 0;
		log_info("%s: connected to %s:%u", c->domain, c->host, c->port);
		if (c->on_state)
			c->on_state(c->arg, c, true);
		return;
	}
	if (ev != XMPP_CONN_DISCONNECT && ev != XMPP_CONN_FAIL)
		return;
	why = conn_stream_error_text(se);
	if (c->state == CONN_CLOSING) {
		log_info("%s: disconnected", c->domain);
	} else if (why != NULL) {
		log_errx("%s: %s", c->domain, why);
	} else if (was_up) {
		log_warnx("%s: connection to %s:%u lost%s%s", c->domain,
			  c->host, c->port, error ? ": " : "",
			  error ? strerror(error) : "");
	} else {
		log_errx("%s: cannot connect to %s:%u%s%s", c->domain, c->host,
			 c->port, error ? ": " : "",
			 error ? strerror(error) : "");
	}
	c->dead = c->xconn;
	c->xconn = NULL;
	if (c->state == CONN_CLOSING) {
		c->state = CONN_CLOSED;
	} else {
		c->state = CONN_IDLE;
		conn_schedule(c);
	}
	if (was_up && c->on_state)
		c->on_state(c->arg, c, false);
}

static int conn_on_stanza(xmpp_conn_t *xconn, xmpp_stanza_t *stanza,
			  void *arg)
{
	struct conn *c = arg;

	(void)xconn;
	if (c->state == CONN_UP)
		c->on_stanza(c->arg, stanza);
	return 1; /* keep the handler */
}

static void conn_attempt(struct conn *c)
{
	int rc;

	c->xconn = xmpp_conn_new(c->ctx);
	if (c->xconn == NULL)
		xalloc_fail();
	xmpp_conn_set_jid(c->xconn, c->domain);
	xmpp_conn_set_pass(c->xconn, c->secret);
	xmpp_handler_add(c->xconn, conn_on_stanza, NULL, NULL, NULL, c);
	if (conn_sm_workaround(c->ctx, c->xconn) < 0) {
		rc = -1;
	} else {
		log_debug("%s: connecting to %s:%u", c->domain, c->host,
			  c->port);
		rc = xmpp_connect_component(c->xconn, c->host,
					    (unsigned short)c->port, conn_event,
					    c);
	}
	if (rc != XMPP_EOK) {
		log_errx("%s: cannot start a connection to %s:%u", c->domain,
			 c->host, c->port);
		xmpp_conn_release(c->xconn);
		c->xconn = NULL;
		conn_schedule(c);
		return;
	}
	c->state = CONN_CONNECTING;
}

struct conn *conn_new(xmpp_ctx_t *ctx, const struct conn_params *p)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->ctx = ctx;
	c->host = xstrdup(p->host);
	c->port = p->port;
	c->domain = xstrdup(p->domain);
	c->secret = xstrdup(p->secret);
	c->backoff_min_ms = p->backoff_min_ms;
	c->backoff_max_ms = p->backoff_max_ms;
	c->on_stanza = p->on_stanza;
	c->on_state = p->on_state;
	c->arg = p->arg;
	c->state = CONN_IDLE;
	c->next_attempt = clock_mono_ms();
	return c;
}

int64_t conn_tick(struct conn *c)
{
	int64_t now = clock_mono_ms();

	if (c->dead != NULL) {
		xmpp_conn_release(c->dead);
		c->dead = NULL;
	}
	if (c->state != CONN_IDLE)
		return 1000;
	if (now >= c->next_attempt) {
		conn_attempt(c);
		return c->state == CONN_IDLE ? c->next_attempt - now : 1000;
	}
	return c->next_attempt - now;
}

int conn_send_raw(struct conn *c, const char *data, size_t len)
{
	if (c->state != CONN_UP)
		return -1;
	xmpp_send_raw(c->xconn, data, len);
	return 0;
}

bool conn_is_up(const struct conn *c)
{
	return c->state == CONN_UP;
}

bool conn_is_closed(const struct conn *c)
{
	return c->state == CONN_CLOSED;
}

const char *conn_domain(const struct conn *c)
{
	return c->domain;
}

void conn_close(struct conn *c)
{
	if (c->state == CONN_UP || c->state == CONN_CONNECTING) {
		c->state = CONN_CLOSING;
		xmpp_disconnect(c->xconn);
	} else if (c->state != CONN_CLOSING) {
		c->state = CONN_CLOSED;
	}
}

void conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->dead != NULL)
		xmpp_conn_release(c->dead);
	if (c->xconn != NULL)
		xmpp_conn_release(c->xconn);
	free(c->host);
	free(c->domain);
	free(c->secret);
	free(c);
}
