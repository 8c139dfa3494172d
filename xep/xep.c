/*
 * xep.c - small stanza helpers shared by the modules (see xep/xep.h).
 */
#include <config.h>

#include "component/bc.h"
#include "component/log.h"
#include "xep/xep.h"

xmpp_stanza_t *xep_iq_result(struct xep_stanza *st)
{
	xmpp_stanza_t *iq = xmpp_iq_new(st->bc->xctx, "result", st->id);

	xmpp_stanza_set_to(iq, st->from);
	xmpp_stanza_set_from(iq, st->to);
	return iq;
}

void xep_reply(struct xep_stanza *st, xmpp_stanza_t *reply)
{
	if (st->replied) {
		log_errx("a second reply to <%s id='%s'/> was dropped", st->name,
			 st->id);
		xmpp_stanza_release(reply);
		return;
	}
	st->replied = true;
	bc_send(st->bc, reply);
}

int xep_fail(struct xep_stanza *st, int code, const char *text)
{
	st->error_text = text;
	return code;
}

xmpp_stanza_t *xep_elem(struct bc *bc, const char *name, const char *ns)
{
	xmpp_stanza_t *e = xmpp_stanza_new(bc->xctx);

	xmpp_stanza_set_name(e, name);
	if (ns != NULL)
		xmpp_stanza_set_ns(e, ns);
	return e;
}

xmpp_stanza_t *xep_add_child(xmpp_stanza_t *parent, const char *name,
			     const char *ns)
{
	xmpp_stanza_t *e = xmpp_stanza_new(xmpp_stanza_get_context(parent));

	xmpp_stanza_set_name(e, name);
	if (ns != NULL)
		xmpp_stanza_set_ns(e, ns);
	xmpp_stanza_add_child_ex(parent, e, 0);
	return e;
}

void xep_add_text(xmpp_stanza_t *element, const char *text)
{
	xmpp_stanza_t *t = xmpp_stanza_new(xmpp_stanza_get_context(element));

	xmpp_stanza_set_text(t, text);
	xmpp_stanza_add_child_ex(element, t, 0);
}

void xep_add_text_child(xmpp_stanza_t *parent, const char *name,
			const char *text)
{
	xep_add_text(xep_add_child(parent, name, NULL), text);
}

xmpp_stanza_t *xep_form_field(xmpp_stanza_t *form, const char *var,
			      const char *type, const char *value)
{
	xmpp_stanza_t *field = xep_add_child(form, "field", NULL);

	xmpp_stanza_set_attribute(field, "var", var);
	if (type != NULL)
		xmpp_stanza_set_attribute(field, "type", type);
	if (value != NULL)
		xep_add_text_child(field, "value", value);
	return field;
}
