/*
 * test_conn.c - component connections against a scripted XEP-0114 server:
 * the stream-management workaround, handshake success and refusal,
 * reconnection after a drop, and the backoff curve.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "component/bc.h"
#include "component/clock.h"
#include "component/conn.h"
#include "component/router.h"
#include "tests/unit/fakeserver.h"
#include "tests/unit/harness.h"

static void backoff_grows_and_caps(void **state)
{
	(void)state;
	assert_int_equal(conn_backoff_ms(1000, 60000, 0, 0.0), 500);
	assert_int_equal(conn_backoff_ms(1000, 60000, 0, 1.0), 1000);
	assert_int_equal(conn_backoff_ms(1000, 60000, 1, 1.0), 2000);
	assert_int_equal(conn_backoff_ms(1000, 60000, 3, 0.0), 4000);
	assert_int_equal(conn_backoff_ms(1000, 60000, 10, 1.0), 60000);
	assert_int_equal(conn_backoff_ms(1000, 60000, 1000, 0.5), 45000);
}

static void sm_workaround_lends_state_once(void **state)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_conn_t *c = xmpp_conn_new(ctx);

	(void)state;
	assert_int_equal(conn_sm_workaround(ctx, c), 0);
	/* The state is now set: libstrophe refuses a second one. */
	assert_int_equal(conn_sm_workaround(ctx, c), -1);
	xmpp_conn_release(c);
	xmpp_ctx_free(ctx);
}

struct pump {
	struct harness *h;
	struct conn *conn;
	int ups;
	int downs;
};

static void on_stanza(void *arg, xmpp_stanza_t *s)
{
	struct pump *p = arg;

	router_dispatch(p->h->bc, s);
}

static void on_state(void *arg, struct conn *c, bool up)
{
	struct pump *p = arg;

	(void)c;
	if (up)
		p->ups++;
	else
		p->downs++;
}

static int pump_transport(void *arg, const struct bc_batch *b)
{
	struct pump *p = arg;

	return conn_send_raw(p->conn, b->data, b->len);
}

static struct conn *pump_conn(struct pump *p, unsigned port,
			      const char *secret)
{
	struct conn_params cp = {
		.host = "127.0.0.1",
		.port = port,
		.domain = "bc.test",
		.secret = secret,
		.backoff_min_ms = 20,
		.backoff_max_ms = 40,
		.on_stanza = on_stanza,
		.on_state = on_state,
		.arg = p,
	};

	p->h->bc->transport = pump_transport;
	p->h->bc->transport_arg = p;
	return conn_new(p->h->xctx, &cp);
}

/* Runs the loop until done() or about 5 s. */
static void pump_run(struct pump *p, bool (*done)(struct pump *))
{
	int64_t end = clock_mono_ms() + 5000;

	while (!done(p) && clock_mono_ms() < end) {
		conn_tick(p->conn);
		xmpp_run_once(p->h->xctx, 10);
		bc_flush(p->h->bc);
	}
}

static bool two_ups_and_down(struct pump *p)
{
	return p->ups >= 2 && p->downs >= 2;
}

static void handshake_and_round_trip(void **state)
{
	struct fakeserver fs = {
		.secret = "sekrit",
		.send_after_handshake =
			"<iq type='get' id='ping-1' from='a@example.org/x' "
			"to='bc.test'><ping xmlns='urn:xmpp:ping'/></iq>",
		.wait_for = "ping-1",
		.connections = 2,
	};
	struct pump p = {0};

	(void)state;
	p.h = harness_new(NULL, true);
	fakeserver_start(&fs);
	p.conn = pump_conn(&p, fs.port, "sekrit");
	/* The server answers the ping, then drops the connection; the
	 * component must come back and do it again. */
	pump_run(&p, two_ups_and_down);
	fakeserver_join(&fs);
	assert_int_equal(fs.handshakes_ok, 2);
	assert_int_equal(p.ups, 2);
	assert_non_null(strstr(fs.received, "type=\"result\""));
	assert_non_null(strstr(fs.received, "id=\"ping-1\""));
	conn_free(p.conn);
	harness_free(p.h);
}

static void wrong_secret_is_retried(void **state)
{
	struct fakeserver fs = {
		.secret = "right",
		.connections = 2,
	};
	struct pump p = {0};
	int64_t end;

	(void)state;
	p.h = harness_new(NULL, true);
	fakeserver_start(&fs);
	p.conn = pump_conn(&p, fs.port, "wrong");
	end = clock_mono_ms() + 5000;
	while (fs.handshakes_refused < 2 && clock_mono_ms() < end) {
		conn_tick(p.conn);
		xmpp_run_once(p.h->xctx, 10);
	}
	fakeserver_join(&fs);
	assert_int_equal(fs.handshakes_refused, 2);
	assert_int_equal(fs.handshakes_ok, 0);
	assert_int_equal(p.ups, 0);
	assert_false(conn_is_up(p.conn));
	conn_free(p.conn);
	harness_free(p.h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backoff_grows_and_caps),
		cmocka_unit_test(sm_workaround_lends_state_once),
		cmocka_unit_test(handshake_and_round_trip),
		cmocka_unit_test(wrong_secret_is_retried),
	};

	return cmocka_run_group_tests_name("conn", tests, NULL, NULL);
}
