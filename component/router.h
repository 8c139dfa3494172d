/*
 * router.h - the one dispatcher.  The connections hand it every stanza;
 * it parses the addressing once, finds the module that handles it, and
 * turns a handler's error code into the stanza error.
 *
 * Guarantees (RFC 6120 §8.2.3, §8.3.1): every IQ get/set gets exactly one
 * reply; an IQ no module handles gets service-unavailable; a stanza of type
 * error is never answered.
 */
#ifndef BC_ROUTER_H
#define BC_ROUTER_H

#include <strophe.h>

struct bc;

/* Handles one received stanza (borrowed). */
void router_dispatch(struct bc *bc, xmpp_stanza_t *stanza);

/* Builds the error reply to stanza for code (a BC_E* value) with optional
 * text, addressed back to its sender.  Returns NULL for stanzas that must
 * not be answered (type error, or from D or M themselves: logged). */
xmpp_stanza_t *router_error_reply(struct bc *bc, xmpp_stanza_t *stanza,
				  int code, const char *text);

/* The defined condition name for code, e.g. "service-unavailable". */
const char *router_error_condition(int code);

#endif
