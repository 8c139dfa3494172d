/*
 * test_outbox.c - the outbox of bytes (component/bc.c) and the stanza
 * writer (component/serial.c): one write per connection and pass, the
 * fan-out primitive, dropping from a full outbox, and the XML written.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "component/bc.h"
#include "component/serial.h"
#include "component/xmalloc.h"
#include "tests/unit/harness.h"

/* A transport that records each batch: its link, its bytes, its count. */
struct rec {
	int batches;
	enum bc_link link[8];
	char *data[8];
	size_t n[8];
	bool down;
};

static int rec_transport(void *arg, const struct bc_batch *b)
{
	struct rec *r = arg;

	if (r->down)
		return -1;
	assert_true(r->batches < 8);
	/* The batch is its bytes, and ends[] splits them. */
	assert_int_equal(b->ends[b->n - 1], b->len);
	r->link[r->batches] = b->link;
	r->data[r->batches] = xmalloc(b->len + 1);
	memcpy(r->data[r->batches], b->data, b->len);
	r->data[r->batches][b->len] = '\0';
	r->n[r->batches] = b->n;
	r->batches++;
	return 0;
}

static void rec_free(struct rec *r)
{
	int i;

	for (i = 0; i < r->batches; i++)
		free(r->data[i]);
}

static xmpp_stanza_t *parse(struct harness *h, const char *xml)
{
	xmpp_stanza_t *s = xmpp_stanza_new_from_string(h->xctx, xml);

	assert_non_null(s);
	return s;
}

static int setup(void **state)
{
	*state = harness_new(NULL, false);
	return 0;
}

/* A pass's stanzas leave in one write per connection, each on the
 * connection of its 'from' domain, in the order they were queued. */
static void one_write_per_link(void **state)
{
	struct harness *h = *state;
	struct rec r = {0};

	h->bc->transport = rec_transport;
	h->bc->transport_arg = &r;
	bc_send(h->bc, parse(h, "<message from='a@bc.test' to='x@y' id='1'/>"));
	bc_send(h->bc, parse(h, "<message from='r@rooms.bc.test/n' to='x@y' "
				"id='2'/>"));
	bc_send(h->bc, parse(h, "<message from='bc.test' to='x@y' id='3'/>"));
	assert_int_equal(bc_flush(h->bc), 0);
	assert_int_equal(r.batches, 2);
	assert_int_equal(r.link[0], BC_LINK_SERVICE);
	assert_int_equal(r.n[0], 2);
	assert_non_null(strstr(r.data[0], "id=\"1\""));
	assert_true(strstr(r.data[0], "id=\"1\"") < strstr(r.data[0], "id=\"3\""));
	assert_int_equal(r.link[1], BC_LINK_ROOMS);
	assert_int_equal(r.n[1], 1);
	assert_int_equal(h->bc->stats.stanzas_out, 3);
	/* Nothing left: the next flush writes nothing. */
	assert_int_equal(bc_flush(h->bc), 0);
	assert_int_equal(r.batches, 2);
	rec_free(&r);
}

/* One stanza to many: copies identical but for 'to', which is escaped;
 * the stanza's own 'to' is gone. */
static void fanout_splices_to(void **state)
{
	struct harness *h = *state;
	const char *to[] = {"a@x/1", "b@x/o'\"<&>", "c@x"};
	xmpp_stanza_t *m = parse(h, "<message from='room@rooms.bc.test/n' "
				    "to='old@x' type='groupchat'>"
				    "<body>1 &lt; 2 &amp; &quot;q&quot;</body>"
				    "</message>");
	size_t i;

	bc_fanout(h->bc, m, to, 3);
	xmpp_stanza_release(m);
	assert_int_equal(bc_flush(h->bc), 0);
	harness_assert_count(h, 3);
	for (i = 0; i < 3; i++) {
		harness_assert(h, i, "string(/message/@to)", to[i]);
		harness_assert(h, i, "string(/message/@from)",
			       "room@rooms.bc.test/n");
		harness_assert(h, i, "string(/message/body)", "1 < 2 & \"q\"");
		assert_null(strstr(h->sent[i], "old@x"));
	}
	/* bc_fanout() to nobody queues nothing. */
	m = parse(h, "<message from='room@rooms.bc.test' type='groupchat'/>");
	bc_fanout(h->bc, m, to, 0);
	xmpp_stanza_release(m);
	harness_clear(h);
	assert_int_equal(bc_flush(h->bc), 0);
	harness_assert_count(h, 0);
}

/* A relayed copy: 'from' replaced, 'to' spliced in, children dropped by
 * the caller's rule, xml:lang put back; bc_body_text() gives the same
 * bytes the outbox gets. */
static bool drop_thread(xmpp_stanza_t *c)
{
	const char *name = xmpp_stanza_get_name(c);

	return name != NULL && strcmp(name, "thread") == 0;
}

static void body_readdressed(void **state)
{
	struct harness *h = *state;
	xmpp_stanza_t *m = parse(h, "<message from='real@example.org/r' "
				    "to='bob@bc.test' xml:lang='fr' id='i'>"
				    "<thread>t</thread><body>salut</body>"
				    "<thread>u</thread></message>");
	struct bc_body b;
	char *text;

	bc_body_init_from(h->bc, &b, m, "alice@bc.test", drop_thread);
	xmpp_stanza_release(m);
	assert_int_equal(b.link, BC_LINK_SERVICE);
	text = bc_body_text(&b, "bob@example.net");
	bc_body_send(h->bc, &b, "bob@example.net");
	bc_body_clear(&b);
	assert_int_equal(bc_flush(h->bc), 0);
	harness_assert_count(h, 1);
	assert_string_equal(h->sent[0], text);
	free(text);
	harness_assert(h, 0, "string(/message/@from)", "alice@bc.test");
	harness_assert(h, 0, "string(/message/@to)", "bob@example.net");
	harness_assert(h, 0, "string(/message/@xml:lang)", "fr");
	harness_assert(h, 0, "count(/message/thread)", "0");
	harness_assert(h, 0, "string(/message/body)", "salut");
	assert_null(strstr(h->sent[0], "real@example.org"));
}

/* While a connection is down its stanzas wait; past the bound the oldest
 * go, one at a time, counted; the rest leave in order once it is up. */
static void full_outbox_drops_oldest(void **state)
{
	struct harness *h = *state;
	char xml[128];
	int i;

	h->bc->outbox_max = 3;
	h->transport_down = true;
	for (i = 0; i < 5; i++) {
		snprintf(xml, sizeof(xml),
			 "<message from='bc.test' to='x@y' id='m%d'/>", i);
		bc_send(h->bc, parse(h, xml));
		assert_int_equal(bc_flush(h->bc), 0);
	}
	harness_assert_count(h, 0);
	assert_int_equal(h->bc->stats.outbox_dropped, 2);
	h->transport_down = false;
	bc_send(h->bc, parse(h, "<message from='bc.test' to='x@y' id='m5'/>"));
	assert_int_equal(bc_flush(h->bc), 0);
	harness_assert_count(h, 3);
	harness_assert(h, 0, "string(/message/@id)", "m3");
	harness_assert(h, 1, "string(/message/@id)", "m4");
	harness_assert(h, 2, "string(/message/@id)", "m5");
	assert_int_equal(h->bc->stats.outbox_dropped, 3);
}

/* The writer: text and attributes escaped, empty elements closed, nested
 * namespaces kept, and a child's namespace written only where it
 * changes. */
static void serial_writes_xml(void **state)
{
	struct harness *h = *state;
	struct serial_buf b = {NULL, 0, 0};
	xmpp_stanza_t *s = parse(h, "<iq type='set' id='a&amp;b'>"
				    "<query xmlns='urn:x'><item v='&lt;&apos;'/>"
				    "<other xmlns='urn:y'><item/></other>"
				    "t&gt;</query></iq>");

	serial_stanza(&b, s, NULL);
	serial_reserve(&b, 1);
	b.p[b.len] = '\0';
	xmpp_stanza_release(s);
	assert_non_null(strstr(b.p, "id=\"a&amp;b\""));
	assert_non_null(strstr(b.p, "<query xmlns=\"urn:x\">"));
	/* libstrophe's parser gives every child its namespace: written
	 * only where it differs from the parent's. */
	assert_non_null(strstr(b.p, "<item v=\"&lt;&apos;\"/>"));
	assert_non_null(strstr(b.p, "<other xmlns=\"urn:y\"><item/></other>"));
	assert_non_null(strstr(b.p, "t&gt;</query></iq>"));
	free(b.p);
}

/* A store serves one bc after another (a site of a replication group
 * that is master, then replica, then master again): bc_free() ends the
 * batch its last pass opened. */
static void store_serves_a_new_bc(void **state)
{
	struct harness *h = harness_new(NULL, true);
	bc_transport_fn transport = h->bc->transport;
	void *arg = h->bc->transport_arg;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_int_equal(bc_flush(h->bc), 0);
		bc_free(h->bc);
		h->bc = bc_new(h->cfg, h->store, h->xctx, transport, arg);
		assert_non_null(h->bc);
	}
	harness_free(h);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, harness_teardown)
	const struct CMUnitTest tests[] = {
		T(one_write_per_link),
		T(fanout_splices_to),
		T(body_readdressed),
		T(full_outbox_drops_oldest),
		T(serial_writes_xml),
		cmocka_unit_test(store_serves_a_new_bc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
