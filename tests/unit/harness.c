/*
 * harness.c - the router test harness (see harness.h).
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/router.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "tests/unit/harness.h"

/* Records each stanza of a flushed batch as its own string. */
static int harness_transport(void *arg, const struct bc_batch *b)
{
	struct harness *h = arg;
	size_t i, start = 0;

	if (h->transport_down)
		return -1;
	h->sent = xreallocarray(h->sent, h->n_sent + b->n, sizeof(*h->sent));
	for (i = 0; i < b->n; i++) {
		size_t len = b->ends[i] - start;
		char *s = xmalloc(len + 1);

		memcpy(s, b->data + start, len);
		s[len] = '\0';
		h->sent[h->n_sent++] = s;
		start = b->ends[i];
	}
	return 0;
}

struct harness *harness_new(const char *extra, bool with_store)
{
	struct harness *h = xcalloc(1, sizeof(*h));
	char err[4096], *xml;

	if (with_store) {
		strcpy(h->dir, "/tmp/bc-test-XXXXXX");
		assert_non_null(mkdtemp(h->dir));
	}
	xml = xasprintf("<backchannel>"
			"<server host='127.0.0.1'/>"
			"<service domain='bc.test' secret='s'/>"
			"<rooms domain='rooms.bc.test' secret='s'/>"
			"<store path='%s'/>%s</backchannel>",
			with_store ? h->dir : "/nonexistent", extra ? extra : "");
	if (cfg_load_buffer("test.xml", xml, strlen(xml), &h->cfg, err,
			    sizeof(err)) < 0)
		fail_msg("harness config: %s", err);
	free(xml);
	if (with_store)
		assert_int_equal(store_open(h->dir, 0, &h->store), 0);
	h->xctx = xmpp_ctx_new(NULL, NULL);
	h->bc = bc_new(h->cfg, h->store, h->xctx, harness_transport, h);
	assert_non_null(h->bc);
	return h;
}

void harness_clear(struct harness *h)
{
	size_t i;

	for (i = 0; i < h->n_sent; i++)
		free(h->sent[i]);
	free(h->sent);
	h->sent = NULL;
	h->n_sent = 0;
}

void harness_free(struct harness *h)
{
	char cmd[128];

	if (h == NULL)
		return;
	harness_clear(h);
	bc_free(h->bc);
	xmpp_ctx_free(h->xctx);
	store_close(h->store);
	cfg_free(h->cfg);
	if (h->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", h->dir);
	}
	free(h);
}

void harness_feed(struct harness *h, const char *xml)
{
	xmpp_stanza_t *s = xmpp_stanza_new_from_string(h->xctx, xml);

	if (s == NULL)
		fail_msg("not a stanza: %s", xml);
	router_dispatch(h->bc, s);
	xmpp_stanza_release(s);
	assert_int_equal(bc_flush(h->bc), 0);
}

char *harness_xpath(struct harness *h, size_t i, const char *expr)
{
	static const char *const ns[][2] = {
		{"disco", "http://jabber.org/protocol/disco#info"},
		{"items", "http://jabber.org/protocol/disco#items"},
		{"data", "jabber:x:data"},
		{"st", "urn:ietf:params:xml:ns:xmpp-stanzas"},
		{"ver", "jabber:iq:version"},
		{"ping", "urn:xmpp:ping"},
		{"blk", "urn:xmpp:blocking:errors"},
	};
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;
	xmlDocPtr doc;
	char *out;
	size_t k;

	if (i >= h->n_sent)
		fail_msg("stanza %zu was not sent (%zu sent)", i, h->n_sent);
	doc = xmlReadMemory(h->sent[i], (int)strlen(h->sent[i]), "sent.xml",
			    NULL, XML_PARSE_NONET);
	if (doc == NULL)
		fail_msg("sent stanza is not XML: %s", h->sent[i]);
	ctx = xmlXPathNewContext(doc);
	for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
		xmlXPathRegisterNs(ctx, (const xmlChar *)ns[k][0],
				   (const xmlChar *)ns[k][1]);
	obj = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	if (obj == NULL)
		fail_msg("bad XPath: %s", expr);
	out = (char *)xmlXPathCastToString(obj);
	xmlXPathFreeObject(obj);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return out;
}

void harness_assert(struct harness *h, size_t i, const char *expr,
		    const char *expected)
{
	char *got = harness_xpath(h, i, expr);

	if (strcmp(got, expected) != 0) {
		fprintf(stderr, "stanza %zu: %s\n", i, h->sent[i]);
		fail_msg("%s: expected '%s', got '%s'", expr, expected, got);
	}
	xmlFree(got);
}

void harness_assert_count(struct harness *h, size_t n)
{
	size_t i;

	if (h->n_sent != n) {
		for (i = 0; i < h->n_sent; i++)
			fprintf(stderr, "sent %zu: %s\n", i, h->sent[i]);
		fail_msg("expected %zu stanzas sent, got %zu", n, h->n_sent);
	}
}
