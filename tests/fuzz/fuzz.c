/*
 * fuzz.c - the component, store and checks the harnesses share (fuzz.h).
 *
 * The members every component harness starts with, D = bc.test:
 *   alice  linked to alice@example.org, follows bob
 *   bob    linked to bob@example.net, follows alice
 *   carol  linked to carol@example.org, follows nobody
 *   dave   no linked account
 * platform-bot@example.org is an admin, mod@example.org a moderator.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/log.h"
#include "component/router.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "tests/fuzz/fuzz.h"

const char *const fuzz_linked[] = {
	"alice@example.org",
	"bob@example.net",
	"carol@example.org",
	NULL,
};

static const char fuzz_cfg_xml[] =
	"<backchannel>"
	"<server host='127.0.0.1'/>"
	"<service domain='" FUZZ_D "' secret='s'/>"
	"<rooms domain='" FUZZ_M "' secret='s'/>"
	"<store path='/nonexistent'/>"
	"<admin jid='platform-bot@example.org'/>"
	"<moderator jid='mod@example.org'/>"
	"<retraction window='5m'/>"
	"</backchannel>";

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

/* libxml2's own error output: the harnesses judge documents themselves. */
static void fuzz_xml_quiet(void *ctx, const char *msg, ...)
{
}

void fuzz_init(void)
{
	const char *level = getenv("FUZZ_LOG");
	int l = level != NULL ? log_level_parse(level) : -1;

	log_init("fuzz", l >= 0 ? (enum log_level)l : LOG_LEVEL_ERROR, false);
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, fuzz_xml_quiet);
	clock_pin(1800000000000LL);
}

struct cfg *fuzz_cfg(void)
{
	struct cfg *cfg = NULL;
	char err[1024];

	if (cfg_load_buffer("fuzz.xml", fuzz_cfg_xml, sizeof(fuzz_cfg_xml) - 1,
			    &cfg, err, sizeof(err)) < 0)
		fuzz_fail("the harness configuration: %s", err);
	return cfg;
}

struct store *fuzz_store(void)
{
	struct store *st = NULL;

	if (store_open(NULL, STORE_IN_MEMORY, &st) != 0)
		fuzz_fail("cannot open an in-memory store");
	return st;
}

/* Records each stanza of a flushed batch as its own string. */
static int fuzz_transport(void *arg, const struct bc_batch *b)
{
	struct fuzz_bc *f = arg;
	size_t i, start = 0;

	f->sent = xreallocarray(f->sent, f->n_sent + b->n, sizeof(*f->sent));
	for (i = 0; i < b->n; i++) {
		size_t len = b->ends[i] - start;
		char *s = xmalloc(len + 1);

		memcpy(s, b->data + start, len);
		s[len] = '\0';
		f->sent[f->n_sent++] = s;
		start = b->ends[i];
	}
	return 0;
}

static void fuzz_member(struct store *st, const char *handle,
			const char *jid)
{
	struct store_identity id = {0};

	snprintf(id.handle, sizeof(id.handle), "%s", handle);
	snprintf(id.name, sizeof(id.name), "%c%s", handle[0] - 'a' + 'A',
		 handle + 1);
	if (store_identity_add(st, &id) != 0 ||
	    (jid != NULL && store_link(st, handle, jid) != 0))
		fuzz_fail("cannot add the member %s", handle);
}

void fuzz_bc_new(struct fuzz_bc *f, bool rooms)
{
	static const char *const hosts[] = {"carol", NULL};
	static const char *const speakers[] = {"bob", NULL};

	memset(f, 0, sizeof(*f));
	clock_pin(1800000000000LL);
	f->cfg = fuzz_cfg();
	f->store = fuzz_store();
	fuzz_member(f->store, "alice", fuzz_linked[0]);
	fuzz_member(f->store, "bob", fuzz_linked[1]);
	fuzz_member(f->store, "carol", fuzz_linked[2]);
	fuzz_member(f->store, "dave", NULL);
	if (store_follow(f->store, "alice", "bob") != 0 ||
	    store_follow(f->store, "bob", "alice") != 0)
		fuzz_fail("cannot add the follows");
	if (rooms && store_room_open(f->store, "live", "Live talk", hosts,
				     speakers) != 0)
		fuzz_fail("cannot open the audio room");
	f->xctx = xmpp_ctx_new(NULL, NULL);
	f->bc = bc_new(f->cfg, f->store, f->xctx, fuzz_transport, f);
	if (f->bc == NULL)
		fuzz_fail("bc_new failed");
}

void fuzz_bc_free(struct fuzz_bc *f)
{
	size_t i;

	bc_free(f->bc);
	xmpp_ctx_free(f->xctx);
	store_close(f->store);
	cfg_free(f->cfg);
	for (i = 0; i < f->n_sent; i++)
		free(f->sent[i]);
	free(f->sent);
	memset(f, 0, sizeof(*f));
}

void fuzz_bc_feed(struct fuzz_bc *f, xmpp_stanza_t *stanza)
{
	router_dispatch(f->bc, stanza);
	bc_tick(f->bc);
	if (bc_flush(f->bc) != 0)
		fuzz_fail("bc_flush failed on an in-memory store");
}

struct _xmlDoc *fuzz_parse_xml(const char *text, size_t len)
{
	if (len > (size_t)INT32_MAX)
		return NULL;
	return xmlReadMemory(text, (int)len, "fuzz.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR |
				     XML_PARSE_NOWARNING);
}
