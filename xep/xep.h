/*
 * xep.h - the shape of an extension module.
 *
 * Every XEP the component implements is one file in xep/ (or, for a large
 * feature, one folder behind one module) exporting one const struct
 * xep_module, listed in xep/registry.c.  The router (component/router.c)
 * dispatches IQs through the modules' IQ tables and messages and presences
 * through their hook tables; disco (xep/disco.c) builds its feature lists
 * from the same registry, so what is advertised cannot drift from what is
 * handled.
 *
 * Dispatch is scoped: every IQ row and every hook names the targets (D,
 * node@D, M, room@M, room@M/nick) and, for hooks, the stanza kinds it
 * takes.  The router calls only the rows and hooks that match, in registry
 * order and, within a module, table order; a handler never re-checks where
 * a stanza was going.
 *
 * Handlers return XEP_OK after replying with xep_reply() (or when nothing
 * is to be answered), XEP_PASS (hooks only) to let the next matching hook
 * look, or a negative BC_E* code from component/errors.h that the router
 * turns into the stanza error.
 */
#ifndef BC_XEP_H
#define BC_XEP_H

#include <stdbool.h>
#include <stdint.h>

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

/* IQ types (a bit mask in tables). */
enum xep_iq_type {
	XEP_GET = 1 << 0,
	XEP_SET = 1 << 1,
};

/* What a hook takes (a bit mask in tables). */
enum xep_kind {
	XEP_MESSAGE = 1 << 0,
	XEP_PRESENCE = 1 << 1,
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

/* One IQ row.  A row with a NULL name (and NULL ns) takes every payload
 * sent to its targets that no earlier row of any module took: the room
 * module's row for IQs to an occupant, which are relayed whatever they
 * carry.  Tables end with a row whose fn is NULL. */
struct xep_iq {
	const char *name; /* the payload element, or NULL: any */
	const char *ns;
	unsigned type;    /* XEP_GET, XEP_SET or both */
	xep_handler fn;
	unsigned where;   /* XEP_AT_* mask; 0 means XEP_AT_DOMAINS */
};

/* One message or presence hook.  Tables end with a row whose fn is NULL. */
struct xep_hook {
	unsigned kind;  /* XEP_MESSAGE, XEP_PRESENCE or both */
	unsigned where; /* XEP_AT_* mask, never 0 */
	xep_handler fn;
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
	const struct xep_iq *iq;            /* ends with a NULL .fn */
	const struct xep_hook *hooks;       /* ends with a NULL .fn */
	/* Adds module-specific disco#info content (identities, forms) for
	 * the target of st to the <query/> being built. */
	void (*disco_extend)(struct xep_stanza *st, xmpp_stanza_t *query);
	const struct xep_command *commands; /* XEP-0050, NULL-terminated */
	int (*init)(struct bc *bc, void **state);
	void (*fini)(struct bc *bc, void *state);
	/* Lifecycle: the connection of D (XEP_AT_SERVICE) or of M
	 * (XEP_AT_ROOMS) has come up (again).  May be NULL. */
	void (*connected)(struct bc *bc, unsigned where);
	/* Lifecycle: the real account bare was linked to (linked true) or
	 * unlinked from an identity.  May be NULL. */
	void (*linked)(struct bc *bc, const char *bare, bool linked);
	/* Called once a pass, before the pass's commit, with the monotonic
	 * time (clock_mono_ms()): timers, and changes other processes made
	 * to the store.  May be NULL. */
	void (*tick)(struct bc *bc, int64_t now_ms);
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

/* XEP-0004: adds to form a <field var=var type=type (NULL: none)> with
 * one <value/> (none when value is NULL) and returns it (borrowed), for a
 * label or <required/>. */
xmpp_stanza_t *xep_form_field(xmpp_stanza_t *form, const char *var,
			      const char *type, const char *value);

#endif
