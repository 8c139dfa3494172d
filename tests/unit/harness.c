/*
 * harness.c - the router test harness and its step tables (see harness.h).
 */
#include <config.h>

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/router.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "tests/unit/harness.h"
#include "xep/ns.h"

/* Every prefix of xep/ns.h, for every XPath of the tests. */
static const char *const harness_ns[][2] = {
#define HARNESS_NS(prefix, uri) {prefix, uri},
	NS_PREFIXES(HARNESS_NS)
#undef HARNESS_NS
};

#define HARNESS_N_NS (sizeof(harness_ns) / sizeof(harness_ns[0]))

/* Fails when two namespaces of ns.h share a prefix. */
static void harness_check_prefixes(void)
{
	size_t i, k;

	for (i = 0; i < HARNESS_N_NS; i++)
		for (k = i + 1; k < HARNESS_N_NS; k++)
			if (strcmp(harness_ns[i][0], harness_ns[k][0]) == 0)
				fail_msg("xep/ns.h: prefix %s is given twice",
					 harness_ns[i][0]);
}

/* An XPath context on doc with every prefix registered. */
static xmlXPathContextPtr harness_context(xmlDocPtr doc)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	size_t k;

	if (ctx == NULL)
		xalloc_fail();
	for (k = 0; k < HARNESS_N_NS; k++)
		if (xmlXPathRegisterNs(ctx, (const xmlChar *)harness_ns[k][0],
				       (const xmlChar *)harness_ns[k][1]) != 0)
			xalloc_fail();
	return ctx;
}

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

/* harness_new(), or with shard a rooms instance (harness_new_shard()). */
static struct harness *harness_make(const char *extra, bool with_store,
				    bool shard)
{
	struct harness *h = xcalloc(1, sizeof(*h));
	char err[4096], *xml, *more;

	harness_check_prefixes();
	if (with_store) {
		strcpy(h->dir, "/tmp/bc-test-XXXXXX");
		assert_non_null(mkdtemp(h->dir));
	}
	/* A rooms instance reads the directory from a replication group
	 * (never elected): the configuration says so, though nothing here
	 * starts replication.  Its rooms store is in h->dir/rooms (on disk:
	 * an in-memory environment makes Berkeley DB log bytes it never
	 * initialised, which valgrind reports). */
	more = shard ? xasprintf("<replication listen='127.0.0.1:7701' "
				 "priority='0'/>"
				 "<peer address='127.0.0.1:7702'/>"
				 "<shard store='%s/rooms'/>%s",
				 h->dir, extra ? extra : "")
		     : xstrdup(extra ? extra : "");
	xml = xasprintf("<backchannel>"
			"<server host='127.0.0.1'/>"
			"<service domain='bc.test' secret='s'/>"
			"<rooms domain='rooms.bc.test' secret='s'/>"
			"<store path='%s'/>%s</backchannel>",
			with_store ? h->dir : "/nonexistent", more);
	free(more);
	if (cfg_load_buffer("test.xml", xml, strlen(xml), &h->cfg, err,
			    sizeof(err)) < 0)
		fail_msg("harness config: %s", err);
	free(xml);
	if (with_store)
		assert_int_equal(store_open(h->dir, 0, &h->store), 0);
	if (shard) {
		char *rooms = xasprintf("%s/rooms", h->dir);

		assert_int_equal(mkdir(rooms, 0700), 0);
		assert_int_equal(store_open(rooms, 0, &h->rooms_store), 0);
		free(rooms);
	}
	h->xctx = xmpp_ctx_new(NULL, NULL);
	h->bc = shard ? bc_new_split(h->cfg, h->store, h->rooms_store, h->xctx,
				     harness_transport, h)
		      : bc_new(h->cfg, h->store, h->xctx, harness_transport, h);
	assert_non_null(h->bc);
	return h;
}

struct harness *harness_new(const char *extra, bool with_store)
{
	return harness_make(extra, with_store, false);
}

struct harness *harness_new_shard(const char *extra)
{
	return harness_make(extra, true, true);
}

void harness_tick(struct harness *h, int64_t ms)
{
	harness_clear(h);
	clock_pin(clock_now_ms() + ms);
	bc_tick(h->bc);
	assert_int_equal(bc_flush(h->bc), 0);
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
	size_t i;

	if (h == NULL)
		return;
	harness_clear(h);
	for (i = 0; i < h->n_vars; i++) {
		free(h->var_names[i]);
		free(h->var_values[i]);
	}
	free(h->var_names);
	free(h->var_values);
	bc_free(h->bc);
	xmpp_ctx_free(h->xctx);
	store_close(h->store);
	store_close(h->rooms_store);
	cfg_free(h->cfg);
	if (h->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", h->dir);
	}
	free(h);
}

int harness_teardown(void **state)
{
	harness_free(*state);
	clock_unpin();
	return 0;
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
	xmlXPathContextPtr ctx;
	xmlXPathObjectPtr obj;
	xmlDocPtr doc;
	char *out;

	if (i >= h->n_sent)
		fail_msg("stanza %zu was not sent (%zu sent)", i, h->n_sent);
	doc = xmlReadMemory(h->sent[i], (int)strlen(h->sent[i]), "sent.xml",
			    NULL, XML_PARSE_NONET);
	if (doc == NULL)
		fail_msg("sent stanza is not XML: %s", h->sent[i]);
	ctx = harness_context(doc);
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

void harness_member(struct harness *h, const char *handle, const char *name,
		    const char *jid)
{
	struct store_identity id = {0};

	snprintf(id.handle, sizeof(id.handle), "%s", handle);
	snprintf(id.name, sizeof(id.name), "%s", name != NULL ? name : "");
	assert_int_equal(store_identity_add(h->store, &id), 0);
	if (jid != NULL)
		assert_int_equal(store_link(h->store, handle, jid), 0);
}

void harness_assert_report(struct harness *h, size_t n, const char *reporter,
			   const char *reported, const char *text,
			   const char *evidence)
{
	struct store_report *reps = NULL, *r;
	size_t got = 0;

	assert_true(n > 0);
	assert_int_equal(store_report_list(h->store, true, &reps, &got), 0);
	assert_int_equal(got, n);
	r = &reps[n - 1];
	if (reporter != NULL)
		assert_string_equal(r->reporter, reporter);
	if (reported != NULL)
		assert_string_equal(r->reported, reported);
	if (text != NULL) {
		assert_non_null(r->text);
		assert_string_equal(r->text, text);
	}
	if (evidence != NULL) {
		assert_non_null(r->evidence);
		assert_non_null(r->evidence[0]);
		assert_non_null(strstr(r->evidence[0], evidence));
	}
	store_report_list_free(reps, got);
}

/* Step tables (harness.h says what a step does). */

/* A growing string: a step's failure report. */
struct harness_buf {
	char *s;
	size_t len, cap;
};

static void harness_buf_add(struct harness_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void harness_buf_add(struct harness_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static const char *harness_buf_str(const struct harness_buf *b)
{
	return b->s != NULL ? b->s : "";
}

/* One step's checks: the recorded stanzas parsed once, and what failed
 * (empty while the step holds). */
struct harness_check {
	struct harness *h;
	size_t n;
	xmlDocPtr *docs;
	xmlXPathContextPtr *ctxs;
	struct harness_buf why;
};

void harness_var_set(struct harness *h, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < h->n_vars; i++)
		if (strcmp(h->var_names[i], name) == 0) {
			free(h->var_values[i]);
			h->var_values[i] = xstrdup(value);
			return;
		}
	h->var_names = xreallocarray(h->var_names, h->n_vars + 1,
				     sizeof(*h->var_names));
	h->var_values = xreallocarray(h->var_values, h->n_vars + 1,
				      sizeof(*h->var_values));
	h->var_names[h->n_vars] = xstrdup(name);
	h->var_values[h->n_vars++] = xstrdup(value);
}

const char *harness_var(const struct harness *h, const char *name)
{
	size_t i;

	for (i = 0; i < h->n_vars; i++)
		if (strcmp(h->var_names[i], name) == 0)
			return h->var_values[i];
	return NULL;
}

/* text with each ${name} replaced by its slot (a new string), or NULL
 * after saying why. */
static char *harness_subst(struct harness_check *c, const char *text)
{
	struct harness_buf out = {0};
	const char *p = text, *open, *close, *value;
	char *name;

	while ((open = strstr(p, "${")) != NULL) {
		close = strchr(open + 2, '}');
		if (close == NULL) {
			harness_buf_add(&c->why, "  no '}' after '${' in: %s\n",
					text);
			free(out.s);
			return NULL;
		}
		name = xstrndup(open + 2, (size_t)(close - open - 2));
		value = harness_var(c->h, name);
		if (value == NULL) {
			harness_buf_add(&c->why,
					"  no slot ${%s} was captured or set: "
					"%s\n",
					name, text);
			free(name);
			free(out.s);
			return NULL;
		}
		harness_buf_add(&out, "%.*s%s", (int)(open - p), p, value);
		free(name);
		p = close + 1;
	}
	harness_buf_add(&out, "%s", p);
	return out.s;
}

/* Splits "N: xpath" into N and the XPath; *index is -1 without "N:". */
static const char *harness_target(const char *spec, long *index)
{
	const char *p;
	char *end;
	long v;

	*index = -1;
	if (!isdigit((unsigned char)spec[0]))
		return spec;
	v = strtol(spec, &end, 10);
	if (*end != ':')
		return spec;
	*index = v;
	for (p = end + 1; *p == ' '; p++)
		;
	return p;
}

/* expr evaluated on recorded stanza i, or NULL after saying why. */
static xmlXPathObjectPtr harness_eval(struct harness_check *c, size_t i,
				      const char *expr)
{
	xmlXPathObjectPtr obj;

	if (c->ctxs[i] == NULL) {
		harness_buf_add(&c->why, "  stanza %zu is not XML\n", i);
		return NULL;
	}
	obj = xmlXPathEvalExpression((const xmlChar *)expr, c->ctxs[i]);
	if (obj == NULL)
		harness_buf_add(&c->why, "  bad XPath: %s\n", expr);
	return obj;
}

/* 1 when expr holds on stanza i, 0 when not (what it found goes to seen),
 * -1 when it cannot tell (after saying why). */
static int harness_holds(struct harness_check *c, size_t i, const char *expr,
			 struct harness_buf *seen)
{
	xmlXPathObjectPtr obj = harness_eval(c, i, expr);
	int ok, n;

	if (obj == NULL)
		return -1;
	switch (obj->type) {
	case XPATH_NODESET:
		n = obj->nodesetval != NULL ? obj->nodesetval->nodeNr : 0;
		ok = n == 1;
		if (!ok)
			harness_buf_add(seen, "    stanza %zu: %d nodes\n", i,
					n);
		break;
	case XPATH_BOOLEAN:
		ok = obj->boolval != 0;
		if (!ok)
			harness_buf_add(seen, "    stanza %zu: false\n", i);
		break;
	default:
		harness_buf_add(&c->why,
				"  %s: neither a node-set nor a boolean "
				"(compare it, or use .values)\n",
				expr);
		ok = -1;
		break;
	}
	xmlXPathFreeObject(obj);
	return ok;
}

/* The string value of expr on stanza i (a new string), or NULL after
 * saying why. */
static char *harness_string(struct harness_check *c, size_t i,
			    const char *expr)
{
	xmlXPathObjectPtr obj = harness_eval(c, i, expr);
	xmlChar *s;
	char *out;

	if (obj == NULL)
		return NULL;
	s = xmlXPathCastToString(obj);
	xmlXPathFreeObject(obj);
	if (s == NULL)
		xalloc_fail();
	out = xstrdup((const char *)s);
	xmlFree(s);
	return out;
}

/* Which stanzas a "N: " spec looks at: [*first, *end), or 1 after saying
 * why stanza N was not sent. */
static int harness_range(struct harness_check *c, long index, const char *spec,
			 size_t *first, size_t *end)
{
	if (index < 0) {
		*first = 0;
		*end = c->n;
		return 0;
	}
	if ((size_t)index >= c->n) {
		harness_buf_add(&c->why, "  %s\n    stanza %ld was not sent\n",
				spec, index);
		return 1;
	}
	*first = (size_t)index;
	*end = *first + 1;
	return 0;
}

static void harness_expect(struct harness_check *c, const char *spec)
{
	struct harness_buf seen = {0};
	char *text = harness_subst(c, spec);
	const char *expr;
	size_t i, end;
	long index;
	int ok = 0;

	if (text == NULL)
		return;
	expr = harness_target(text, &index);
	if (harness_range(c, index, text, &i, &end) != 0)
		goto out;
	for (; i < end && ok == 0; i++)
		ok = harness_holds(c, i, expr, &seen);
	if (ok == 0)
		harness_buf_add(&c->why, "  expected: %s\n%s", text,
				c->n > 0 ? harness_buf_str(&seen)
					 : "    nothing was sent\n");
out:
	free(seen.s);
	free(text);
}

static void harness_value(struct harness_check *c,
			  const struct harness_value *v)
{
	struct harness_buf seen = {0};
	char *text = harness_subst(c, v->xpath);
	char *want = harness_subst(c, v->value != NULL ? v->value : "");
	char *got;
	const char *expr;
	size_t i, end;
	long index;
	int ok = 0;

	if (text == NULL || want == NULL)
		goto out;
	expr = harness_target(text, &index);
	if (harness_range(c, index, text, &i, &end) != 0)
		goto out;
	for (; i < end && ok == 0; i++) {
		got = harness_string(c, i, expr);
		if (got == NULL)
			goto out;
		ok = strcmp(got, want) == 0;
		if (!ok)
			harness_buf_add(&seen, "    stanza %zu: '%s'\n", i,
					got);
		free(got);
	}
	if (!ok)
		harness_buf_add(&c->why, "  value of %s: expected '%s'\n%s",
				text, want,
				c->n > 0 ? harness_buf_str(&seen)
					 : "    nothing was sent\n");
out:
	free(seen.s);
	free(want);
	free(text);
}

static void harness_capture(struct harness_check *c,
			    const struct harness_capture *cap)
{
	char *text = harness_subst(c, cap->xpath);
	char *got = NULL;
	const char *expr;
	size_t i, end;
	long index;

	if (text == NULL)
		return;
	expr = harness_target(text, &index);
	if (harness_range(c, index, text, &i, &end) != 0)
		goto out;
	for (; i < end; i++) {
		got = harness_string(c, i, expr);
		if (got == NULL)
			goto out;
		if (got[0] != '\0')
			break;
		free(got);
		got = NULL;
	}
	if (got != NULL)
		harness_var_set(c->h, cap->name, got);
	else
		harness_buf_add(&c->why,
				"  capture ${%s}: no stanza gives a value "
				"for %s\n",
				cap->name, text);
out:
	free(got);
	free(text);
}

static void harness_never(struct harness_check *c, const char *spec)
{
	char *text = harness_subst(c, spec);
	size_t i;

	if (text == NULL)
		return;
	for (i = 0; i < c->n; i++)
		if (strstr(c->h->sent[i], text) != NULL)
			harness_buf_add(&c->why, "  stanza %zu contains '%s'\n",
					i, text);
	free(text);
}

/* Runs one step; returns its failure report (a new string) or NULL. */
static char *harness_step(struct harness *h, const struct harness_step *step)
{
	struct harness_check c = {.h = h};
	struct harness_buf report = {0};
	char *send = NULL;
	size_t i, want;

	if (step->advance != 0)
		clock_advance(step->advance);
	if (step->send != NULL) {
		send = harness_subst(&c, step->send);
		if (send == NULL)
			goto out;
		harness_clear(h);
		harness_feed(h, send);
	}
	c.n = h->n_sent;
	c.docs = xcalloc(c.n + 1, sizeof(*c.docs));
	c.ctxs = xcalloc(c.n + 1, sizeof(*c.ctxs));
	for (i = 0; i < c.n; i++) {
		c.docs[i] = xmlReadMemory(h->sent[i], (int)strlen(h->sent[i]),
					  "sent.xml", NULL, XML_PARSE_NONET);
		if (c.docs[i] != NULL)
			c.ctxs[i] = harness_context(c.docs[i]);
	}
	if (step->sent != 0) {
		want = step->sent < 0 ? 0 : (size_t)step->sent;
		if (c.n != want)
			harness_buf_add(&c.why,
					"  expected %zu stanzas sent, got "
					"%zu\n",
					want, c.n);
	}
	for (i = 0; i < HARNESS_CAPTURES && step->capture[i].name != NULL; i++)
		harness_capture(&c, &step->capture[i]);
	for (i = 0; i < HARNESS_EXPECTS && step->expect[i] != NULL; i++)
		harness_expect(&c, step->expect[i]);
	for (i = 0; i < HARNESS_VALUES && step->values[i].xpath != NULL; i++)
		harness_value(&c, &step->values[i]);
	for (i = 0; i < HARNESS_NEVER && step->never[i] != NULL; i++)
		harness_never(&c, step->never[i]);
out:
	if (c.why.len > 0) {
		if (send != NULL)
			harness_buf_add(&report, "  sent to the router: %s\n",
					send);
		harness_buf_add(&report, "%s  recorded (%zu):\n", c.why.s,
				h->n_sent);
		for (i = 0; i < h->n_sent; i++)
			harness_buf_add(&report, "    %zu: %s\n", i,
					h->sent[i]);
	}
	for (i = 0; i < c.n; i++) {
		if (c.ctxs[i] != NULL)
			xmlXPathFreeContext(c.ctxs[i]);
		xmlFreeDoc(c.docs[i]);
	}
	free(c.ctxs);
	free(c.docs);
	free(c.why.s);
	free(send);
	return report.s;
}

void harness_run_steps(struct harness *h, const struct harness_step *steps,
		       size_t n, const char *file, int line)
{
	char *report;
	size_t k, done, len;

	if (n == 0) {
		print_error("%s:%d: harness_run() with no steps (it takes an "
			    "array, not a pointer)\n",
			    file, line);
		_fail(file, line);
	}
	for (k = 0; k < n; k++) {
		report = harness_step(h, &steps[k]);
		if (report == NULL)
			continue;
		print_error("%s:%d: steps[%zu] of %zu failed:\n", file, line, k,
			    n);
		/* In pieces: cmocka cuts a message at 1 KiB or so. */
		for (done = 0; report[done] != '\0'; done += len) {
			len = strnlen(report + done, 512);
			print_error("%.*s", (int)len, report + done);
		}
		free(report);
		_fail(file, line);
	}
}
