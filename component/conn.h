/*
 * conn.h - one XEP-0114 component connection with reconnection.
 *
 * A struct conn keeps one domain connected to the server: it connects,
 * performs the handshake (through libstrophe), hands every stanza to a
 * callback, and after a refused handshake or a lost connection tries again
 * with exponential backoff and jitter.  The event loop calls conn_tick() on
 * every pass.
 */
#ifndef BC_CONN_H
#define BC_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <strophe.h>

struct conn;

/* Called for every stanza received (borrowed). */
typedef void (*conn_stanza_fn)(void *arg, xmpp_stanza_t *stanza);

/* Called when the connection comes up or goes down. */
typedef void (*conn_state_fn)(void *arg, struct conn *conn, bool up);

struct conn_params {
	const char *host;
	unsigned port;
	const char *domain;
	const char *secret;
	int64_t backoff_min_ms;
	int64_t backoff_max_ms;
	conn_stanza_fn on_stanza;
	conn_state_fn on_state;
	void *arg;
};

/* Creates the connection (not yet connecting: conn_tick() starts it).
 * The strings are copied. */
struct conn *conn_new(xmpp_ctx_t *ctx, const struct conn_params *p);

/* Disconnects at once and frees; accepts NULL. */
void conn_free(struct conn *c);

/* Starts a connection attempt when one is due and releases the remains of
 * a dropped one.  Returns the milliseconds until it next needs a tick
 * (a bound for the event loop's wait). */
int64_t conn_tick(struct conn *c);

/* Sends len bytes of serialised stanzas (copied: libstrophe queues them
 * as one write); returns 0, or -1 when not connected. */
int conn_send_raw(struct conn *c, const char *data, size_t len);

bool conn_is_up(const struct conn *c);
const char *conn_domain(const struct conn *c);

/* Closes the stream politely (</stream:stream>) and stops reconnecting. */
void conn_close(struct conn *c);

/* True when the connection is closed and will not reconnect. */
bool conn_is_closed(const struct conn *c);

/* The delay before attempt number n (0-based) with jitter drawn from rnd
 * (0..1): half the exponential delay plus up to half again, capped at
 * max.  Exposed for tests. */
int64_t conn_backoff_ms(int64_t min, int64_t max, unsigned n, double rnd);

/*
 * libstrophe 0.12 in component mode never allocates the connection's
 * stream-management state, yet its send and receive paths read it: the
 * first stanza after the handshake crashes.  This takes the state from a
 * throwaway client connection (whose connect attempt is refused before any
 * socket opens) and gives it to component.  Returns 0, or -1 (logged).
 * Remove once libstrophe allocates the state for components itself.
 */
int conn_sm_workaround(xmpp_ctx_t *ctx, xmpp_conn_t *component);

#endif
