/*
 * im.h - the one-to-one relay, shared with the modules that deliver
 * messages later (held message requests).
 */
#ifndef BC_XEP_IM_H
#define BC_XEP_IM_H

#include <strophe.h>

#include "component/identity.h"
#include "store/store.h"
#include "xep/xep.h"

extern const struct xep_module xep_im;

/* Returns a copy of msg addressed from -> to, without the elements that
 * must not cross the component (XEP-0359 stanza-id).  The caller owns it. */
xmpp_stanza_t *im_readdress(struct bc *bc, xmpp_stanza_t *msg,
			    const char *from, const char *to);

/* Relays msg (st's stanza or a held one) from sender to every JID of to,
 * logging the evidence and noting that a member wrote first.  known is
 * the relationship sender -> recipient when the caller read it already
 * (NULL: read it).  Store writes come before any stanza is queued;
 * returns 0 or a BC_E* code. */
int im_deliver(struct xep_stanza *st, const struct ident_sender *from,
	       const struct ident_target *to, xmpp_stanza_t *msg,
	       const struct store_relation *known);

#endif
