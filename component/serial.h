/*
 * serial.h - turns stanzas into XML text, once, straight into a buffer.
 *
 * libstrophe's xmpp_stanza_to_text() formats every piece with snprintf
 * into a new allocation; the outbox needs the text appended to its own
 * buffer, the relay needs the top element readdressed and some children
 * left out, and both happen for every stanza.  This writer does that in
 * one walk with memcpy and a table-free escape.
 */
#ifndef BC_SERIAL_H
#define BC_SERIAL_H

#include <stdbool.h>
#include <stddef.h>

#include <strophe.h>

/* A growable byte buffer; zero it to start.  The owner frees p. */
struct serial_buf {
	char *p;
	size_t len, cap;
};

/* How the top element is written. */
struct serial_top {
	const char *from;     /* replaces 'from' (NULL: keep the stanza's) */
	const char *to;       /* replaces 'to' (NULL: keep the stanza's) */
	bool drop_to;         /* leave 'to' out (and to unused) */
	/* Leaves out the top element's children for which this is true
	 * (NULL: keep all). */
	bool (*drop)(xmpp_stanza_t *child);
	size_t *splice;       /* when set: where ' to="..."' may be inserted
			       * (just after the element name), as an offset
			       * from the start of what this call wrote */
};

/* Makes room for n more bytes. */
void serial_reserve(struct serial_buf *b, size_t n);

/* Appends s escaped for an attribute value or text. */
void serial_escaped(struct serial_buf *b, const char *s);

/* Appends the XML of stanza (borrowed), with top (may be NULL) applied
 * to its top element.  The prefix of xml:lang, which libstrophe's parser
 * drops, is put back on the top element. */
void serial_stanza(struct serial_buf *b, xmpp_stanza_t *stanza,
		   const struct serial_top *top);

#endif
