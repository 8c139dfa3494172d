/*
 * relay.c - the one relay path (see relay.h).
 *
 * The ring: the last RELAY_RING messages relayed, by "sender node \n
 * recipient bare JID \n id", so that an error a recipient's server sends
 * back reaches the account that sent the message (and nobody else), and
 * a XEP-0424 retraction can be checked against its window.  A string map
 * indexes the ring, so a lookup is O(1) whatever the traffic.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/errors.h"
#include "component/identity.h"
#include "component/log.h"
#include "component/metrics.h"
#include "component/relay.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/ns.h"

/* Message ids remembered for mapping errors back to their sender. */
#define RELAY_RING 8192

struct relay_entry {
	char *key;    /* sender node \n recipient bare JID \n id */
	char *sender; /* the real full JID that sent it */
	int64_t ms;
};

/* Random bytes drawn at once for stanza ids: one getrandom() call per
 * RELAY_POOL / 16 ids. */
#define RELAY_POOL 1024

struct relay {
	struct relay_entry ring[RELAY_RING];
	size_t next;
	struct strmap *index; /* key -> ring slot + 1 (as a pointer) */
	unsigned char pool[RELAY_POOL];
	size_t pool_used; /* bytes of pool handed out; RELAY_POOL: empty */
};

struct relay *relay_new(void)
{
	struct relay *r = xcalloc(1, sizeof(*r));

	r->index = strmap_new(NULL);
	r->pool_used = RELAY_POOL;
	return r;
}

void relay_free(struct relay *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < RELAY_RING; i++) {
		free(r->ring[i].key);
		free(r->ring[i].sender);
	}
	strmap_free(r->index);
	free(r);
}

/* "node \n bare \n id", a new string (built with memcpy: once or twice
 * for every message relayed). */
static char *relay_key(const char *node, const char *bare, const char *id)
{
	size_t ln = strlen(node), lb = strlen(bare), li = strlen(id);
	char *k = xmalloc(ln + lb + li + 3), *p = k;

	memcpy(p, node, ln);
	p += ln;
	*p++ = '\n';
	memcpy(p, bare, lb);
	p += lb;
	*p++ = '\n';
	memcpy(p, id, li + 1);
	return k;
}

static void relay_remember(struct relay *r, const char *node,
			   const char *recipient, const char *id,
			   const char *sender)
{
	struct relay_entry *e = &r->ring[r->next];
	uintptr_t slot = r->next + 1;

	/* The slot's old key leaves the index, unless a newer message with
	 * the same key took it over. */
	if (e->key != NULL &&
	    (uintptr_t)strmap_get(r->index, e->key) == slot)
		strmap_del(r->index, e->key);
	free(e->key);
	free(e->sender);
	e->key = relay_key(node, recipient, id);
	e->sender = xstrdup(sender);
	e->ms = clock_now_ms();
	strmap_put(r->index, e->key, (void *)slot);
	r->next = (r->next + 1) % RELAY_RING;
}

bool relay_recall(struct bc *bc, const char *from_node, const char *recipient,
		  const char *id, struct relay_sent *out)
{
	struct relay *r = bc->relay;
	char *key = relay_key(from_node, recipient, id);
	uintptr_t slot = (uintptr_t)strmap_get(r->index, key);

	free(key);
	if (slot == 0)
		return false;
	out->sender = r->ring[slot - 1].sender;
	out->ms = r->ring[slot - 1].ms;
	return true;
}

/* XEP-0359 ids that others stamped name real JIDs in 'by': never passed
 * on. */
static bool relay_drop_child(xmpp_stanza_t *c)
{
	const char *name = xmpp_stanza_get_name(c);
	const char *ns = xmpp_stanza_get_ns(c);

	return name != NULL && ns != NULL && strcmp(name, "stanza-id") == 0 &&
	       strcmp(ns, NS_SID) == 0;
}

void relay_body(struct bc *bc, struct bc_body *b, xmpp_stanza_t *msg,
		const char *from)
{
	bc_body_init_from(bc, b, msg, from, relay_drop_child);
}

void relay_new_stanza_id(struct bc *bc, char out[RELAY_SID_SIZE])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_";
	struct relay *r = bc->relay;
	const unsigned char *raw;
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0;

	if (r->pool_used + 16 > RELAY_POOL) {
		if (getrandom(r->pool, sizeof(r->pool), 0) !=
		    (ssize_t)sizeof(r->pool)) {
			/* Not expected (the kernel's pool is ready once the
			 * system is up); an id nobody can guess is what
			 * makes a reference safe, so there is no fallback. */
			log_err("getrandom");
			abort();
		}
		r->pool_used = 0;
	}
	raw = r->pool + r->pool_used;
	r->pool_used += 16;
	/* base64url without padding: 128 bits in 22 characters. */
	for (i = 0; i < 16; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (6 - bits)) & 63];
	out[o] = '\0';
}

/* Appends the literal s to buf. */
static void relay_append(struct serial_buf *buf, const char *s)
{
	size_t n = strlen(s);

	serial_reserve(buf, n);
	memcpy(buf->p + buf->len, s, n);
	buf->len += n;
}

void relay_body_stamp(struct bc_body *b, const char *by, const char *sid)
{
	struct serial_buf out = {NULL, 0, 0};
	size_t cut = b->len;
	const char *open = "", *close;

	/* XEP-0359 §3: the element goes in as the top element's last child.
	 * The body ends in "</message>", or "/>" when it has no children. */
	if (cut >= 2 && memcmp(b->text + cut - 2, "/>", 2) == 0) {
		cut -= 2;
		open = ">";
		close = "</message>";
	} else {
		while (cut > 0 && b->text[cut - 1] != '<')
			cut--;
		if (cut == 0)
			return; /* not an element: left as it is */
		close = b->text + --cut;
	}
	serial_reserve(&out, b->len + 128);
	memcpy(out.p, b->text, cut);
	out.len = cut;
	relay_append(&out, open);
	relay_append(&out, "<stanza-id xmlns=\"" NS_SID "\" by=\"");
	serial_escaped(&out, by);
	relay_append(&out, "\" id=\"");
	serial_escaped(&out, sid);
	relay_append(&out, "\"/>");
	relay_append(&out, close);
	serial_reserve(&out, 1);
	out.p[out.len] = '\0';
	free(b->text);
	b->text = out.p;
	b->len = out.len;
}

/* Remembers that a member wrote to peer first (a rule of "knows"); known
 * is the relationship owner -> peer when the caller already read it. */
static int relay_note_wrote(struct bc *bc, const char *owner,
			    const char *peer,
			    const struct store_relation *known)
{
	struct store_relation rel;
	int rc = 0;

	if (known == NULL) {
		rc = store_relation_get(bc->store, owner, peer, &rel);
		known = &rel;
	}
	if (rc != 0 && rc != STORE_NOTFOUND)
		return BC_EINTERNAL;
	if (known->flags & STORE_REL_WROTE_FIRST)
		return 0;
	return store_relation_set(bc->store, owner, peer, STORE_REL_WROTE_FIRST,
				  0, 0) == 0
		       ? 0
		       : BC_EINTERNAL;
}

int relay_deliver(struct bc *bc, const struct relay_msg *m)
{
	const struct cfg *cfg = bc->cfg;
	char from_addr[JID_MAX], to_addr[JID_MAX], sid[RELAY_SID_SIZE];
	const char *id = xmpp_stanza_get_id(m->stanza), *origin = NULL;
	xmpp_stanza_t *oid;
	struct bc_body body;
	size_t i;
	int rc = 0;

	ident_address(bc, m->from_node, from_addr);
	ident_address(bc, m->to_node, to_addr);
	relay_body(bc, &body, m->stanza, from_addr);
	/* XEP-0359: our own id, by the address the recipient sees, so a
	 * report can name this very message (xep/reports.c).  It is in the
	 * evidence copy too. */
	relay_new_stanza_id(bc, sid);
	relay_body_stamp(&body, from_addr, sid);
	/* Store first: if that fails the sender gets an error and nobody
	 * received anything.  The evidence is the copy as the recipient
	 * got it, under addresses only. */
	if (xmpp_stanza_get_child_by_name(m->stanza, "body") != NULL) {
		char *text = bc_body_text(&body, to_addr);

		if (store_evidence_add(bc->store, m->from_node, m->to_node,
				       text, cfg->evidence_count,
				       cfg->evidence_age_ms) != 0)
			rc = BC_EINTERNAL;
		free(text);
	}
	if (rc == 0 && m->from_member)
		rc = relay_note_wrote(bc, m->from_node, m->to_node, m->known);
	if (rc != 0)
		goto out;
	oid = xmpp_stanza_get_child_by_name_and_ns(m->stanza, "origin-id",
						   NS_SID);
	if (oid != NULL)
		origin = xmpp_stanza_get_attribute(oid, "id");
	for (i = 0; m->jids[i] != NULL; i++) {
		bc_body_send(bc, &body, m->jids[i]);
		if (m->sender == NULL)
			continue;
		if (id != NULL && id[0] != '\0')
			relay_remember(bc->relay, m->from_node, m->jids[i], id,
				       m->sender);
		/* XEP-0424 names a message by its origin-id. */
		if (origin != NULL && (id == NULL || strcmp(origin, id) != 0))
			relay_remember(bc->relay, m->from_node, m->jids[i],
				       origin, m->sender);
	}
	metrics.relays++;
out:
	bc_body_clear(&body);
	return rc;
}

int relay_deliver_held(struct bc *bc, const char *const *jids,
		       const struct store_held *h)
{
	xmpp_stanza_t *msg = xmpp_stanza_new_from_string(bc->xctx, h->stanza);
	xmpp_stanza_t *delay;
	struct bc_body body;
	char stamp[40];
	size_t i;

	if (msg == NULL) {
		log_errx("a held message could not be parsed; dropped");
		return -1;
	}
	delay = xmpp_stanza_new(bc->xctx);
	xmpp_stanza_set_name(delay, "delay");
	xmpp_stanza_set_ns(delay, NS_DELAY);
	xmpp_stanza_set_attribute(delay, "from", bc->cfg->service_domain);
	xmpp_stanza_set_attribute(delay, "stamp",
				  clock_format_xep82(h->received_ms, stamp,
						     sizeof(stamp)));
	xmpp_stanza_add_child_ex(msg, delay, 0);
	/* The held text is ours (xep/requests.c wrote it without anyone
	 * else's stanza ids): the id it got when it was held stays. */
	bc_body_init_from(bc, &body, msg, xmpp_stanza_get_from(msg), NULL);
	for (i = 0; jids[i] != NULL; i++)
		bc_body_send(bc, &body, jids[i]);
	metrics.relays++;
	bc_body_clear(&body);
	xmpp_stanza_release(msg);
	return 0;
}
