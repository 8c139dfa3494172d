/*
 * fuzz_router.c - libFuzzer harness: stanzas through the real router with
 * every module of xep/registry.c and a private in-memory store.
 *
 * Built twice: fuzz_router_d starts from the members of fuzz.c; with
 * FUZZ_ROOMS (fuzz_router_m) the rooms are there too: friends@M, created
 * by alice with bob as a member, both in it, and the live audio room
 * live@M with carol hosting and alice in the audience.
 *
 * Input: up to FUZZ_STANZAS stanzas separated by NUL bytes; a piece that
 * libstrophe does not parse as a stanza is skipped.  Each is dispatched,
 * the tick hooks run and the outbox is flushed; at the end the clock moves
 * on an hour and the component flushes again, so that IQs it relayed and
 * never saw answered time out.
 *
 * Oracles, beyond no crash, leak or undefined behaviour:
 *   - every IQ get/set (or of an unknown type) with a usable 'from' and a
 *     'to' that is ours or unusable got exactly one answer (result or
 *     error) with its id, to its sender (RFC 6120 §8.2.3);
 *   - no stanza of type error was answered with an error (§8.3.1);
 *   - every stanza sent is well-formed XML on its own, an iq, message or
 *     presence, from D or M (or an address under them) and to somebody
 *     else (never to D or M);
 *   - no stanza is sent from or to the escaped address of a linked
 *     account (that would tell who is behind a handle);
 *   - output is bounded: at most FUZZ_FANOUT stanzas per stanza fed.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "component/bc.h"
#include "component/clock.h"
#include "component/jid.h"
#include "component/xmalloc.h"
#include "tests/fuzz/fuzz.h"

#define FUZZ_STANZAS 8
#define FUZZ_FANOUT 64

/* What the oracles need of one stanza fed. */
struct fed {
	char *name, *type, *id, *from, *to;
	bool from_ok;  /* 'from' parses: the router can answer */
	bool answers;  /* the router owes it exactly one answer */
	size_t first;  /* f->sent index of its first output */
	size_t end;    /* one past its last output */
};

static char *fuzz_attr(xmpp_stanza_t *s, const char *name)
{
	const char *v = xmpp_stanza_get_attribute(s, name);

	return xstrdup(v != NULL ? v : "");
}

static bool fuzz_ours(const char *domain)
{
	return strcmp(domain, FUZZ_D) == 0 || strcmp(domain, FUZZ_M) == 0;
}

static void fed_init(struct fed *d, xmpp_stanza_t *s)
{
	const char *to = xmpp_stanza_get_to(s);
	struct jid j;
	bool to_ours;

	d->name = xstrdup(xmpp_stanza_get_name(s));
	d->type = fuzz_attr(s, "type");
	d->id = fuzz_attr(s, "id");
	d->from = fuzz_attr(s, "from");
	d->to = fuzz_attr(s, "to");
	d->from_ok = xmpp_stanza_get_from(s) != NULL &&
		     jid_parse(d->from, &j) == 0;
	to_ours = to == NULL || jid_parse(to, &j) < 0 || fuzz_ours(j.domain);
	d->answers = d->from_ok && to_ours && strcmp(d->name, "iq") == 0 &&
		     strcmp(d->type, "result") != 0 &&
		     strcmp(d->type, "error") != 0;
}

static void fed_clear(struct fed *d)
{
	free(d->name);
	free(d->type);
	free(d->id);
	free(d->from);
	free(d->to);
}

/* What the oracles need of one stanza sent. */
struct out {
	xmlDocPtr doc;
	const char *name, *type, *id, *from, *to; /* "" when absent */
};

static const char *out_attr(xmlNodePtr n, const char *name)
{
	xmlAttrPtr a;

	for (a = n->properties; a != NULL; a = a->next)
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0 &&
		    a->children != NULL && a->children->content != NULL)
			return (const char *)a->children->content;
	return "";
}

/* The linked account that node (of node@D) escapes, or NULL. */
static const char *fuzz_escaped_linked(const char *node)
{
	char bare[JID_MAX];
	size_t i;

	if (handle_is_valid(node) ||
	    jid_unescape_node(node, bare, sizeof(bare)) < 0)
		return NULL;
	for (i = 0; fuzz_linked[i] != NULL; i++)
		if (strcmp(bare, fuzz_linked[i]) == 0)
			return fuzz_linked[i];
	return NULL;
}

/* Parses and checks stanza i on its own. */
static void out_check(const struct fuzz_bc *f, size_t i, struct out *o)
{
	const char *text = f->sent[i], *who;
	xmlNodePtr root;
	struct jid j;

	o->doc = fuzz_parse_xml(text, strlen(text));
	if (o->doc == NULL)
		fuzz_fail("stanza %zu sent is not well-formed XML: %s", i,
			  text);
	root = xmlDocGetRootElement(o->doc);
	o->name = (const char *)root->name;
	if (strcmp(o->name, "iq") != 0 && strcmp(o->name, "message") != 0 &&
	    strcmp(o->name, "presence") != 0)
		fuzz_fail("stanza %zu sent is no stanza: %s", i, text);
	o->type = out_attr(root, "type");
	o->id = out_attr(root, "id");
	o->from = out_attr(root, "from");
	o->to = out_attr(root, "to");
	if (jid_parse(o->from, &j) < 0 || !fuzz_ours(j.domain))
		fuzz_fail("stanza %zu is not from D or M: %s", i, text);
	/* An error comes back from the address that was written to, and
	 * the escaped address of a linked account is answered as one that
	 * does not exist: anything else from it tells who is behind it. */
	if (strcmp(o->type, "error") != 0 && strcmp(j.domain, FUZZ_D) == 0 &&
	    (who = fuzz_escaped_linked(j.node)) != NULL)
		fuzz_fail("stanza %zu is from the escaped address of the "
			  "linked account %s: %s",
			  i, who, text);
	if (jid_parse(o->to, &j) < 0)
		fuzz_fail("stanza %zu has no usable 'to': %s", i, text);
	if (fuzz_ours(j.domain)) {
		who = strcmp(j.domain, FUZZ_D) == 0
			      ? fuzz_escaped_linked(j.node)
			      : NULL;
		fuzz_fail("stanza %zu is sent to %s%s: %s", i,
			  who != NULL ? "the escaped address of " : "",
			  who != NULL ? who : "the component itself", text);
	}
}

static bool out_answers(const struct out *o, const struct fed *d)
{
	return strcmp(o->name, d->name) == 0 && strcmp(o->id, d->id) == 0 &&
	       strcmp(o->to, d->from) == 0;
}

static bool fed_same_key(const struct fed *a, const struct fed *b)
{
	return strcmp(a->name, b->name) == 0 && strcmp(a->id, b->id) == 0 &&
	       strcmp(a->from, b->from) == 0;
}

/* True when no IQ owed an answer before fed[k] has its id and sender. */
static bool fed_first_of_key(const struct fed *fed, size_t k)
{
	size_t m;

	for (m = 0; m < k; m++)
		if (fed[m].answers && fed_same_key(&fed[m], &fed[k]))
			return false;
	return true;
}

static void fuzz_check(const struct fuzz_bc *f, struct fed *fed, size_t n)
{
	struct out *outs = xcalloc(f->n_sent + 1, sizeof(*outs));
	size_t i, k, m;

	if (f->n_sent > FUZZ_FANOUT * (n + 1))
		fuzz_fail("%zu stanzas sent for %zu stanzas fed", f->n_sent,
			  n);
	for (i = 0; i < f->n_sent; i++)
		out_check(f, i, &outs[i]);
	for (k = 0; k < n; k++) {
		struct fed *d = &fed[k];
		size_t want = 0, got = 0;

		if (d->answers && fed_first_of_key(fed, k)) {
			/* Every IQ fed with this id and sender, and every
			 * answer with this id to this sender. */
			for (m = k; m < n; m++)
				if (fed[m].answers && fed_same_key(&fed[m], d))
					want++;
			for (i = d->first; i < f->n_sent; i++)
				if (out_answers(&outs[i], d) &&
				    (strcmp(outs[i].type, "result") == 0 ||
				     strcmp(outs[i].type, "error") == 0))
					got++;
			if (got != want)
				fuzz_fail("IQ %zu (type '%s', id '%s', from "
					  "'%s', to '%s') got %zu answers, "
					  "%zu expected",
					  k, d->type, d->id, d->from, d->to,
					  got, want);
		}
		if (d->from_ok && strcmp(d->type, "error") == 0) {
			/* Unless something else fed has its key. */
			for (m = 0; m < n; m++)
				if (m != k &&
				    strcmp(fed[m].type, "error") != 0 &&
				    fed_same_key(&fed[m], d))
					break;
			for (i = d->first; m == n && i < d->end; i++)
				if (out_answers(&outs[i], d) &&
				    strcmp(outs[i].type, "error") == 0)
					fuzz_fail("stanza %zu, an error, was "
						  "answered with an error: "
						  "%s",
						  k, f->sent[i]);
		}
	}
	for (i = 0; i < f->n_sent; i++)
		xmlFreeDoc(outs[i].doc);
	free(outs);
}

#ifdef FUZZ_ROOMS
#define A "alice@example.org/pc"
#define B "bob@example.net/pc"
#define C "carol@example.org/pc"
#define FRIENDS "friends@" FUZZ_M
#define LIVE "live@" FUZZ_M

/* friends@M with alice (owner) and bob (member) in it; carol hosting
 * live@M and alice listening. */
static const char *const fuzz_setup[] = {
	"<presence from='" A "' to='" FRIENDS "/alice'>"
	"<x xmlns='http://jabber.org/protocol/muc'/></presence>",
	"<iq type='set' id='s1' from='" A "' to='" FRIENDS "'>"
	"<query xmlns='http://jabber.org/protocol/muc#owner'>"
	"<x xmlns='jabber:x:data' type='submit'/></query></iq>",
	"<iq type='set' id='s2' from='" A "' to='" FRIENDS "'>"
	"<query xmlns='http://jabber.org/protocol/muc#admin'>"
	"<item affiliation='member' jid='bob@" FUZZ_D "'/></query></iq>",
	"<presence from='" B "' to='" FRIENDS "/bob'>"
	"<x xmlns='http://jabber.org/protocol/muc'/></presence>",
	"<message type='groupchat' id='s3' from='" B "' to='" FRIENDS "'>"
	"<body>hello</body></message>",
	"<presence from='" C "' to='" LIVE "/carol'>"
	"<x xmlns='http://jabber.org/protocol/muc'/></presence>",
	"<presence from='" A "' to='" LIVE "/alice'>"
	"<x xmlns='http://jabber.org/protocol/muc'/></presence>",
	NULL,
};
#define FUZZ_WITH_ROOMS true
#else
static const char *const fuzz_setup[] = {NULL};
#define FUZZ_WITH_ROOMS false
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fed fed[FUZZ_STANZAS];
	struct fuzz_bc f;
	char *text = xmalloc(size + 1), *p, *end;
	size_t i, n = 0;

	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_bc_new(&f, FUZZ_WITH_ROOMS);
	for (i = 0; fuzz_setup[i] != NULL; i++) {
		xmpp_stanza_t *s =
			xmpp_stanza_new_from_string(f.xctx, fuzz_setup[i]);

		fuzz_bc_feed(&f, s);
		xmpp_stanza_release(s);
	}
	for (i = 0; i < f.n_sent; i++)
		free(f.sent[i]);
	f.n_sent = 0;

	end = text + size;
	for (p = text; p < end && n < FUZZ_STANZAS; p += strlen(p) + 1) {
		xmpp_stanza_t *s = xmpp_stanza_new_from_string(f.xctx, p);

		if (s == NULL)
			continue;
		if (xmpp_stanza_get_name(s) == NULL) {
			xmpp_stanza_release(s);
			continue;
		}
		fed_init(&fed[n], s);
		fed[n].first = f.n_sent;
		fuzz_bc_feed(&f, s);
		fed[n++].end = f.n_sent;
		xmpp_stanza_release(s);
	}
	/* IQs relayed to occupants and never answered time out. */
	clock_advance(3600 * 1000);
	bc_tick(f.bc);
	if (bc_flush(f.bc) != 0)
		fuzz_fail("bc_flush failed on an in-memory store");
	fuzz_check(&f, fed, n);
	for (i = 0; i < n; i++)
		fed_clear(&fed[i]);
	fuzz_bc_free(&f);
	free(text);
	return 0;
}
