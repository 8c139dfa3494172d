/*
 * xep.h - the shape of an extension module.
 *
 * Every XEP the component implements is one file in xep/ exporting one
 * const struct xep_module, listed in xep/registry.c.  The router
 * (component/router.c) dispatches IQs through the modules' IQ tables and
 * offers messages and presences to their hooks; disco (xep/disco.c) builds
 * its feature lists from the same registry, so what is advertised cannot
 * drift from what is handled.
 *
 * Handlers return XEP_OK after replying with xep_reply(), XEP_PASS (hooks
 * only) to let the next module look, or a negative BC_E* code from
 * component/errors.h that the router turns into the stanza error.
 */
#ifndef BC_XEP_H
#define BC_XEP_H

#include <stdbool.h>

#include <strophe.h>

#include "component/errors.h"
#include "component/jid.h"

struct bc;

/* What a stanza's 'to' addresses (a bit mask in tables). */
enum xep_target {
	XEP_AT_SERVICE = 1 << 0,  /* D, or D/resource */
	XEP_AT_IDENTITY = 1 << 1, /* node@D: a handle or an escaped JID */
	XEP_AT_ROOMS = 1 << 2,    /* M */
	XEP_AT_ROOM = 1 << 3,     /* room@M */
	XEP_AT_OCCUPANT = 1 << 4, /* room@M/nick */
};
#define XEP_AT_DOMAINS (XEP_AT_SERVICE | XEP_AT_ROOMS)

enum xep_iq_type {
	XEP_GET = 1,
	XEP_SET = 2,
};

#define XEP_OK   0
#define XEP_PASS 1

/* One stanza being handled: what the router parsed once for every module.
 * The stanza is borrowed for the duration of the call. */
struct xep_stanza {
	struct bc *bc;
	xmpp_stanza_t *stanza;
	const char *name;       /* "iq", "message" or "presence" */
	const char *type;       /* the type attribute, "" when absent */
	const char *id;         /* "" when absent */
	const char *from;       /* as received */
	const char *to;         /* as received */
	struct jid from_jid;    /* parsed and lower-cased */
	struct jid to_jid;
	char from_bare[JID_MAX];
	enum xep_target target;
	xmpp_stanza_t *payload; /* an IQ's single child element */
	const char *error_text; /* optional text for the error reply */
	bool replied;
};

typedef int (*xep_handler)(struct xep_stanza *st);

struct xep_iq {
	const char *name; /* the payload element */
	const char *ns;
	int type;         /* XEP_GET or XEP_SET */
	xep_handler fn;
	unsigned where;   /* XEP_AT_* mask; 0 means XEP_AT_DOMAINS */
};

struct xep_feature {
	const char *var;
	unsigned where; /* XEP_AT_* mask; 0 means XEP_AT_DOMAINS */
};

/* Who may run an ad-hoc command (a bit mask). */
enum xep_cmd_who {
	XEP_CMD_MEMBER = 1 << 0,    /* an account linked to an identity */
	XEP_CMD_ADMIN = 1 << 1,     /* a configured <admin/> */
	XEP_CMD_MODERATOR = 1 << 2, /* a configured <moderator/> */
};

struct adhoc; /* one step of an ad-hoc session (xep/adhoc.h) */

/* XEP-0050: one ad-hoc command offered on D. */
struct xep_command {
	const char *node;
	const char *name;
	unsigned who;
	int (*step)(struct adhoc *a); /* XEP_OK or a BC_E* code */
};

struct xep_module {
	const char *name;
	const struct xep_feature *features; /* NULL-terminated by .var */
	const struct xep_iq *iq;            /* NULL-terminated by .name */
	xep_handler message;                /* may be NULL */
	xep_handler presence;               /* may be NULL */
	/* Adds module-specific disco#info content (identities, forms) for
	 * the target of st to the <query/> being built. */
	void (*disco_extend)(struct xep_stanza *st, xmpp_stanza_t *query);
	const struct xep_command *commands; /* XEP-0050, NULL-terminated */
	int (*init)(struct bc *bc, void **state);
	void (*fini)(struct bc *bc, void *state);
};

/* xep/registry.c: every module, NULL-terminated, in dispatch order. */
extern const struct xep_module *const xep_registry[];

/* Builds an IQ result addressed back to the sender of st, from its 'to'.
 * The caller adds a payload and hands it to xep_reply(). */
xmpp_stanza_t *xep_iq_result(struct xep_stanza *st);

/* Sends reply (taking ownership) as the one answer to st. */
void xep_reply(struct xep_stanza *st, xmpp_stanza_t *reply);

/* Sets the human-readable text of the error the handler is about to return
 * and returns code, for "return xep_fail(st, BC_EBAD_REQUEST, "...")". */
int xep_fail(struct xep_stanza *st, int code, const char *text);

/* Creates an element <name xmlns=ns/> (ns may be NULL). */
xmpp_stanza_t *xep_elem(struct bc *bc, const char *name, const char *ns);

/* Adds a new child element to parent and returns it (borrowed). */
xmpp_stanza_t *xep_add_child(xmpp_stanza_t *parent, const char *name,
			     const char *ns);

/* Adds text content to element. */
void xep_add_text(xmpp_stanza_t *element, const char *text);

/* Adds a child <name>text</name> to parent. */
void xep_add_text_child(xmpp_stanza_t *parent, const char *name,
			const char *text);

#endif
