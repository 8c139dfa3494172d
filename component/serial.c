/*
 * serial.c - stanzas to XML text (see serial.h).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "component/serial.h"
#include "component/xmalloc.h"

/* Attributes an element may have before it is treated as malformed: the
 * router refuses such stanzas before any module sees them. */
#define SERIAL_MAX_ATTRS 64

void serial_reserve(struct serial_buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 1024;
	while (b->len + n > b->cap)
		b->cap *= 2;
	b->p = xreallocarray(b->p, b->cap, 1);
}

static void serial_put(struct serial_buf *b, const char *s, size_t n)
{
	serial_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void serial_escaped(struct serial_buf *b, const char *s)
{
	const char *run = s;

	for (;; s++) {
		const char *rep;
		size_t rlen;

		switch (*s) {
		case '&': rep = "&amp;"; rlen = 5; break;
		case '<': rep = "&lt;"; rlen = 4; break;
		case '>': rep = "&gt;"; rlen = 4; break;
		case '"': rep = "&quot;"; rlen = 6; break;
		case '\'': rep = "&apos;"; rlen = 6; break;
		case '\0': serial_put(b, run, (size_t)(s - run)); return;
		default: continue;
		}
		serial_put(b, run, (size_t)(s - run));
		serial_put(b, rep, rlen);
		run = s + 1;
	}
}

static void serial_attr(struct serial_buf *b, const char *name,
			const char *value)
{
	size_t n = strlen(name);

	serial_reserve(b, n + 4);
	b->p[b->len++] = ' ';
	memcpy(b->p + b->len, name, n);
	b->len += n;
	b->p[b->len++] = '=';
	b->p[b->len++] = '"';
	serial_escaped(b, value);
	serial_put(b, "\"", 1);
}

/* Writes s; scope is the namespace its parent is in (NULL at the top): a
 * child's xmlns that says the same again is left out, as libstrophe's
 * parser gives one to every child of a received stanza. */
static void serial_elem(struct serial_buf *b, xmpp_stanza_t *s,
			const struct serial_top *top, size_t start,
			const char *scope)
{
	const char *attrs[2 * SERIAL_MAX_ATTRS];
	const char *name, *ns = NULL;
	xmpp_stanza_t *c;
	size_t nlen;
	int n, i;

	if (xmpp_stanza_is_text(s)) {
		const char *t = xmpp_stanza_get_text_ptr(s);

		if (t != NULL)
			serial_escaped(b, t);
		return;
	}
	name = xmpp_stanza_get_name(s);
	if (name == NULL)
		return;
	nlen = strlen(name);
	serial_reserve(b, nlen + 1);
	b->p[b->len++] = '<';
	memcpy(b->p + b->len, name, nlen);
	b->len += nlen;
	if (top != NULL && top->splice != NULL)
		*top->splice = b->len - start;
	n = xmpp_stanza_get_attributes(s, attrs, 2 * SERIAL_MAX_ATTRS);
	for (i = 0; i + 1 < n; i += 2) {
		const char *an = attrs[i], *av = attrs[i + 1];

		if (strcmp(an, "xmlns") == 0) {
			ns = av;
			if (scope != NULL && strcmp(av, scope) == 0)
				continue;
		}
		if (top != NULL) {
			if (top->from != NULL && strcmp(an, "from") == 0)
				continue;
			if ((top->to != NULL || top->drop_to) &&
			    strcmp(an, "to") == 0)
				continue;
			if (strcmp(an, "lang") == 0)
				an = "xml:lang";
		}
		serial_attr(b, an, av);
	}
	if (top != NULL && top->from != NULL)
		serial_attr(b, "from", top->from);
	if (top != NULL && top->to != NULL && !top->drop_to)
		serial_attr(b, "to", top->to);
	c = xmpp_stanza_get_children(s);
	if (top != NULL && top->drop != NULL)
		while (c != NULL && top->drop(c))
			c = xmpp_stanza_get_next(c);
	if (c == NULL) {
		serial_put(b, "/>", 2);
		return;
	}
	serial_put(b, ">", 1);
	for (; c != NULL; c = xmpp_stanza_get_next(c))
		if (top == NULL || top->drop == NULL || !top->drop(c))
			serial_elem(b, c, NULL, 0, ns != NULL ? ns : scope);
	serial_reserve(b, nlen + 3);
	b->p[b->len++] = '<';
	b->p[b->len++] = '/';
	memcpy(b->p + b->len, name, nlen);
	b->len += nlen;
	b->p[b->len++] = '>';
}

void serial_stanza(struct serial_buf *b, xmpp_stanza_t *stanza,
		   const struct serial_top *top)
{
	serial_elem(b, stanza, top, b->len, NULL);
}
