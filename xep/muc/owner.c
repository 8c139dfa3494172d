/*
 * owner.c - XEP-0045 muc#owner on room@M: the configuration form
 * (§10.1 creation with instant or configured rooms, §10.2 later changes
 * with their notices, §10.2.1) and destroying a room (§10.9).
 *
 * The form has the muc#roomconfig fields this service honours: name,
 * description, persistent, public, members-only, moderated, who may
 * change the subject, invite and send private messages, whois, maximum
 * occupants, presence broadcast and history length.  Left out: passwords
 * (rooms are members-only instead), room admins and owners in the form
 * (use muc#admin), logging switches (rooms are always archived).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/identity.h"
#include "component/log.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/muc/muc-int.h"
#include "xep/ns.h"

#define MUC_CFG "muc#roomconfig_"

static const char *const muc_pm_values[] = {"anyone", "participants",
					    "moderators", "none"};

static xmpp_stanza_t *muc_field(xmpp_stanza_t *form, const char *var,
				const char *type, const char *label)
{
	xmpp_stanza_t *f = xep_add_child(form, "field", NULL);

	xmpp_stanza_set_attribute(f, "var", var);
	xmpp_stanza_set_attribute(f, "type", type);
	if (label != NULL)
		xmpp_stanza_set_attribute(f, "label", label);
	return f;
}

static void muc_value(xmpp_stanza_t *f, const char *v)
{
	xep_add_text_child(f, "value", v);
}

static void muc_option(xmpp_stanza_t *f, const char *label, const char *v)
{
	xmpp_stanza_t *o = xep_add_child(f, "option", NULL);

	xmpp_stanza_set_attribute(o, "label", label);
	xep_add_text_child(o, "value", v);
}

static void muc_bool(xmpp_stanza_t *form, const char *var, const char *label,
		     bool on)
{
	muc_value(muc_field(form, var, "boolean", label), on ? "1" : "0");
}

/* §10.2: the form with the current values. */
static xmpp_stanza_t *muc_config_form(struct bc *bc, struct muc_room *r)
{
	xmpp_stanza_t *form = xep_elem(bc, "x", NS_DATA), *f;
	const struct store_room_config *c = &r->cfg;
	char buf[32];
	static const unsigned sizes[] = {10, 20, 50, 100, 200, 500, 1000, 5000};
	size_t i;

	xmpp_stanza_set_type(form, "form");
	xep_add_text_child(form, "title", "Room configuration");
	f = muc_field(form, "FORM_TYPE", "hidden", NULL);
	muc_value(f, NS_MUC_ROOMCONFIG);
	muc_value(muc_field(form, MUC_CFG "roomname", "text-single", "Name"),
		  r->rec.title ? r->rec.title : "");
	muc_value(muc_field(form, MUC_CFG "roomdesc", "text-single",
			    "Description"),
		  c->description ? c->description : "");
	muc_bool(form, MUC_CFG "persistentroom", "Keep the room when empty",
		 c->flags & STORE_ROOMCFG_PERSISTENT);
	muc_bool(form, MUC_CFG "publicroom", "List the room publicly",
		 c->flags & STORE_ROOMCFG_PUBLIC);
	muc_bool(form, MUC_CFG "membersonly", "Only members may enter",
		 c->flags & STORE_ROOMCFG_MEMBERS_ONLY);
	muc_bool(form, MUC_CFG "moderatedroom",
		 "Only participants with voice may speak",
		 c->flags & STORE_ROOMCFG_MODERATED);
	muc_bool(form, MUC_CFG "changesubject",
		 "Participants may change the subject",
		 c->flags & STORE_ROOMCFG_SUBJECT);
	muc_bool(form, MUC_CFG "allowinvites", "Occupants may invite others",
		 c->flags & STORE_ROOMCFG_INVITES);
	f = muc_field(form, MUC_CFG "allowpm", "list-single",
		      "Who may send private messages");
	muc_value(f, muc_pm_values[c->allow_pm < 4 ? c->allow_pm : 3]);
	for (i = 0; i < 4; i++)
		muc_option(f, muc_pm_values[i], muc_pm_values[i]);
	f = muc_field(form, MUC_CFG "whois", "list-single",
		      "Who sees the occupants' addresses");
	muc_value(f, (c->flags & STORE_ROOMCFG_WHOIS_ANYONE) ? "anyone"
							     : "moderators");
	muc_option(f, "Moderators only", "moderators");
	muc_option(f, "Anyone", "anyone");
	f = muc_field(form, MUC_CFG "maxusers", "list-single",
		      "Maximum number of occupants");
	snprintf(buf, sizeof(buf), "%u", (unsigned)c->max_occupants);
	muc_value(f, buf);
	for (i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		snprintf(buf, sizeof(buf), "%u", sizes[i]);
		muc_option(f, buf, buf);
	}
	f = muc_field(form, MUC_CFG "presencebroadcast", "list-multi",
		      "Roles whose presence is broadcast");
	if (muc_broadcasts(r, MUC_ROLE_MODERATOR))
		muc_value(f, "moderator");
	if (muc_broadcasts(r, MUC_ROLE_PARTICIPANT))
		muc_value(f, "participant");
	if (muc_broadcasts(r, MUC_ROLE_VISITOR))
		muc_value(f, "visitor");
	muc_option(f, "Moderator", "moderator");
	muc_option(f, "Participant", "participant");
	muc_option(f, "Visitor", "visitor");
	f = muc_field(form, "muc#maxhistoryfetch", "text-single",
		      "Messages of history sent on entering");
	snprintf(buf, sizeof(buf), "%u", (unsigned)c->history_max);
	muc_value(f, buf);
	return form;
}

/* The owner of r asking, or an error code. */
static int muc_owner_check(struct xep_stanza *st, struct muc_room *r)
{
	struct ident_sender who;

	if (ident_sender(st->bc, st->from_bare, &who) != 0 ||
	    !muc_is_owner(muc_affil(r, who.node)))
		return BC_EFORBIDDEN;
	return 0;
}

int muc_owner_get(struct xep_stanza *st)
{
	struct muc_room *r = muc_room_get(st->bc, st->to_jid.node);
	xmpp_stanza_t *reply, *q;

	if (r == NULL)
		return muc_fail(st, NULL, BC_EITEM_NOT_FOUND, "No such room");
	if (muc_owner_check(st, r) != 0)
		return muc_fail(st, r, BC_EFORBIDDEN,
				"Only owners configure the room");
	reply = xep_iq_result(st);
	q = xep_add_child(reply, "query", NS_MUC_OWNER);
	xmpp_stanza_add_child_ex(q, muc_config_form(st->bc, r), 0);
	xep_reply(st, reply);
	return XEP_OK;
}

/* The values of a submitted field (NULL-terminated, borrowed texts in a
 * new array), or NULL when the form lacks it. */
static char **muc_values(xmpp_stanza_t *form, const char *var)
{
	xmpp_stanza_t *f, *v;
	char **out = NULL;
	size_t n = 0;

	for (f = xmpp_stanza_get_children(form); f; f = xmpp_stanza_get_next(f)) {
		const char *fv = xmpp_stanza_get_attribute(f, "var");

		if (!xmpp_stanza_is_tag(f) || fv == NULL || strcmp(fv, var) != 0)
			continue;
		out = xreallocarray(NULL, 1, sizeof(*out));
		out[0] = NULL;
		for (v = xmpp_stanza_get_children(f); v && n < 16;
		     v = xmpp_stanza_get_next(v)) {
			char *t;

			if (!xmpp_stanza_is_tag(v) ||
			    strcmp(xmpp_stanza_get_name(v), "value") != 0)
				continue;
			t = xmpp_stanza_get_text(v);
			out = xreallocarray(out, n + 2, sizeof(*out));
			out[n++] = xstrdup(t ? t : "");
			out[n] = NULL;
			if (t != NULL)
				xmpp_free(xmpp_stanza_get_context(v), t);
		}
		return out;
	}
	return NULL;
}

static void muc_values_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* A boolean field into flag of *flags; -1 for a bad value. */
static int muc_set_bool(xmpp_stanza_t *form, const char *var,
			uint32_t *flags, uint32_t flag)
{
	char **v = muc_values(form, var);
	int rc = 0;

	if (v == NULL)
		return 0;
	if (v[0] != NULL &&
	    (strcmp(v[0], "1") == 0 || strcmp(v[0], "true") == 0))
		*flags |= flag;
	else if (v[0] != NULL &&
		 (strcmp(v[0], "0") == 0 || strcmp(v[0], "false") == 0))
		*flags &= ~flag;
	else
		rc = -1;
	muc_values_free(v);
	return rc;
}

/* A single text value of var (a new string), NULL when absent. */
static char *muc_text(xmpp_stanza_t *form, const char *var)
{
	char **v = muc_values(form, var);
	char *t;

	if (v == NULL)
		return NULL;
	t = xstrdup(v[0] ? v[0] : "");
	muc_values_free(v);
	return t;
}

static int muc_number(const char *s, unsigned long max, uint32_t *out)
{
	char *end;
	unsigned long n;

	if (s == NULL || *s == '\0')
		return -1;
	n = strtoul(s, &end, 10);
	if (*end != '\0' || n > max)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

/* Reads a submitted form into c and *title; -1 (and *why) when a value
 * is bad. */
static int muc_config_read(xmpp_stanza_t *form, struct store_room_config *c,
			   char **title, const char **why)
{
	char *t, **v;
	size_t i;

	if (muc_set_bool(form, MUC_CFG "persistentroom", &c->flags,
			 STORE_ROOMCFG_PERSISTENT) < 0 ||
	    muc_set_bool(form, MUC_CFG "publicroom", &c->flags,
			 STORE_ROOMCFG_PUBLIC) < 0 ||
	    muc_set_bool(form, MUC_CFG "membersonly", &c->flags,
			 STORE_ROOMCFG_MEMBERS_ONLY) < 0 ||
	    muc_set_bool(form, MUC_CFG "moderatedroom", &c->flags,
			 STORE_ROOMCFG_MODERATED) < 0 ||
	    muc_set_bool(form, MUC_CFG "changesubject", &c->flags,
			 STORE_ROOMCFG_SUBJECT) < 0 ||
	    muc_set_bool(form, MUC_CFG "allowinvites", &c->flags,
			 STORE_ROOMCFG_INVITES) < 0) {
		*why = "A yes/no field has another value";
		return -1;
	}
	t = muc_text(form, MUC_CFG "roomname");
	if (t != NULL) {
		if (strlen(t) > MUC_TEXT_MAX) {
			free(t);
			*why = "The name is too long";
			return -1;
		}
		free(*title);
		*title = t;
	}
	t = muc_text(form, MUC_CFG "roomdesc");
	if (t != NULL) {
		if (strlen(t) > MUC_TEXT_MAX) {
			free(t);
			*why = "The description is too long";
			return -1;
		}
		free(c->description);
		c->description = t;
	}
	t = muc_text(form, MUC_CFG "allowpm");
	if (t != NULL) {
		for (i = 0; i < 4 && strcmp(t, muc_pm_values[i]) != 0; i++)
			;
		free(t);
		if (i == 4) {
			*why = "Unknown allowpm value";
			return -1;
		}
		c->allow_pm = (uint8_t)i;
	}
	t = muc_text(form, MUC_CFG "whois");
	if (t != NULL) {
		if (strcmp(t, "anyone") == 0)
			c->flags |= STORE_ROOMCFG_WHOIS_ANYONE;
		else if (strcmp(t, "moderators") == 0)
			c->flags &= ~STORE_ROOMCFG_WHOIS_ANYONE;
		else {
			free(t);
			*why = "Unknown whois value";
			return -1;
		}
		free(t);
	}
	t = muc_text(form, MUC_CFG "maxusers");
	if (t != NULL) {
		uint32_t n;
		int bad = strcmp(t, "none") == 0
				  ? (n = MUC_MAX_OCCUPANTS_LIMIT, 0)
				  : muc_number(t, MUC_MAX_OCCUPANTS_LIMIT, &n);

		free(t);
		if (bad || n == 0) {
			*why = "maxusers is a number from 1 to 5000";
			return -1;
		}
		c->max_occupants = n;
	}
	t = muc_text(form, "muc#maxhistoryfetch");
	if (t != NULL) {
		uint32_t n;
		int bad = muc_number(t, MUC_HISTORY_LIMIT, &n);

		free(t);
		if (bad) {
			*why = "maxhistoryfetch is a number from 0 to 100";
			return -1;
		}
		c->history_max = n;
	}
	v = muc_values(form, MUC_CFG "presencebroadcast");
	if (v != NULL) {
		uint8_t b = 0;

		for (i = 0; v[i] != NULL; i++) {
			enum muc_role role;

			if (muc_role_parse(v[i], &role) != 0 ||
			    role == MUC_ROLE_NONE) {
				muc_values_free(v);
				*why = "Unknown role in presencebroadcast";
				return -1;
			}
			b |= (uint8_t)(1u << role);
		}
		muc_values_free(v);
		c->broadcast = b;
	}
	return 0;
}

static void muc_destroy_extra(xmpp_stanza_t *x, void *arg)
{
	const char *const *a = arg;
	xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(x, "item");
	xmpp_stanza_t *d = xep_add_child(x, "destroy", NULL);

	xmpp_stanza_set_attribute(item, "affiliation", "none");

	if (a[0] != NULL && a[0][0] != '\0')
		xmpp_stanza_set_attribute(d, "jid", a[0]);
	if (a[1] != NULL && a[1][0] != '\0')
		xep_add_text_child(d, "reason", a[1]);
}

void muc_room_destroy(struct bc *bc, struct muc_room *r, const char *alt,
		      const char *reason)
{
	/* Store first; then every occupant is told (§10.9). */
	if (store_room_remove(bc->rooms_store, r->name) != 0)
		log_warnx("room %s could not be removed from the store",
			  r->name);
	muc_room_evacuate(bc, r, alt, reason);
	muc_room_drop(bc, r);
}

void muc_room_evacuate(struct bc *bc, struct muc_room *r, const char *alt,
		       const char *reason)
{
	const char *a[2] = {alt, reason};

	while (r->nocc > 0) {
		struct muc_occupant *o = r->occ[r->nocc - 1];
		xmpp_stanza_t *p;

		o->role = MUC_ROLE_NONE;
		p = muc_presence(bc, o, "unavailable", true, true, NULL,
				 muc_destroy_extra, (void *)a);
		muc_send_occ(bc, o, p);
		xmpp_stanza_release(p);
		muc_occ_remove(bc, o);
	}
}

/* §10.9 */
static int muc_destroy(struct xep_stanza *st, struct muc_room *r,
		       xmpp_stanza_t *d)
{
	xmpp_stanza_t *re = xmpp_stanza_get_child_by_name(d, "reason");
	char *reason = re ? xmpp_stanza_get_text(re) : NULL;
	const char *alt = xmpp_stanza_get_attribute(d, "jid");
	struct jid j;

	if (alt != NULL && jid_parse(alt, &j) < 0) {
		if (reason != NULL)
			xmpp_free(st->bc->xctx, reason);
		return muc_fail(st, r, BC_EJID_MALFORMED,
				"The alternate venue is not a JID");
	}
	if (reason != NULL && strlen(reason) > MUC_TEXT_MAX)
		reason[MUC_TEXT_MAX] = '\0';
	log_info("room %s destroyed by its owner", r->name);
	muc_room_destroy(st->bc, r, alt, reason);
	if (reason != NULL)
		xmpp_free(st->bc->xctx, reason);
	xep_reply(st, xep_iq_result(st));
	return XEP_OK;
}

/* Kicks those who are not members any more (§9.4 via §10.2). */
static void muc_members_only_now(struct bc *bc, struct muc_room *r)
{
	struct muc_codes c = {{MUC_S_MEMBERS_ONLY, 0}};
	size_t i = r->nocc;

	while (i-- > 0)
		if (i < r->nocc &&
		    muc_affil(r, r->occ[i]->who) < STORE_AFFIL_MEMBER)
			muc_occ_eject(bc, r->occ[i], &c, NULL, NULL);
}

/* The stage follows a changed presence-broadcast set. */
static void muc_restage(struct bc *bc, struct muc_room *r)
{
	size_t i;

	for (i = 0; i < r->nocc; i++) {
		struct muc_occupant *o = r->occ[i];
		if (muc_on_stage(r, o) != muc_occ_staged(o))
			muc_occ_set_role(bc, o, o->role);
	}
}

int muc_owner_set(struct xep_stanza *st)
{
	struct bc *bc = st->bc;
	struct muc_room *r = muc_room_get(bc, st->to_jid.node);
	struct store_room_config c, old;
	xmpp_stanza_t *form, *d;
	const char *type, *why = NULL;
	char *title;
	bool was_locked;

	if (r == NULL)
		return muc_fail(st, NULL, BC_EITEM_NOT_FOUND, "No such room");
	if (muc_owner_check(st, r) != 0)
		return muc_fail(st, r, BC_EFORBIDDEN,
				"Only owners configure the room");
	d = xmpp_stanza_get_child_by_name(st->payload, "destroy");
	/* An audio room's chat ends when the platform closes it, and its
	 * archive stays. */
	if (d != NULL && r->rec.kind == STORE_ROOM_AUDIO)
		return muc_fail(st, r, BC_ENOT_ALLOWED,
				"This room closes when its audio room ends");
	if (d != NULL)
		return muc_destroy(st, r, d);
	form = xmpp_stanza_get_child_by_name_and_ns(st->payload, "x", NS_DATA);
	type = form ? xmpp_stanza_get_type(form) : NULL;
	if (type == NULL)
		return muc_fail(st, r, BC_EBAD_REQUEST,
				"Send a form or a destroy request");
	was_locked = (r->cfg.flags & STORE_ROOMCFG_LOCKED) != 0;
	if (strcmp(type, "cancel") == 0) {
		/* §10.1.3: cancelling the first configuration destroys
		 * the room. */
		xep_reply(st, xep_iq_result(st));
		if (was_locked)
			muc_room_destroy(bc, r, NULL, NULL);
		return XEP_OK;
	}
	if (strcmp(type, "submit") != 0)
		return muc_fail(st, r, BC_EBAD_REQUEST,
				"A configuration form is of type submit");
	old = r->cfg;
	c = r->cfg;
	c.description = xstrdup(r->cfg.description ? r->cfg.description : "");
	c.subject_by = xstrdup(r->cfg.subject_by ? r->cfg.subject_by : "");
	title = xstrdup(r->rec.title ? r->rec.title : "");
	if (muc_config_read(form, &c, &title, &why) != 0) {
		store_room_config_clear(&c);
		free(title);
		return muc_fail(st, r, BC_EBAD_REQUEST, why);
	}
	c.flags &= ~STORE_ROOMCFG_LOCKED;
	if (r->rec.kind == STORE_ROOM_AUDIO) {
		/* What makes an audio room's chat what it is stays: open,
		 * public, persistent, broadcasting the stage only, with
		 * addresses shown; the title is the platform's. */
		const uint32_t fixed = STORE_ROOMCFG_MEMBERS_ONLY |
				       STORE_ROOMCFG_PERSISTENT |
				       STORE_ROOMCFG_PUBLIC |
				       STORE_ROOMCFG_WHOIS_ANYONE;

		c.flags = (c.flags & ~fixed) | (old.flags & fixed);
		c.broadcast = old.broadcast;
		free(title);
		title = xstrdup(r->rec.title ? r->rec.title : "");
	}
	/* Store first: the record (for the name) and the configuration. */
	if (strcmp(title, r->rec.title ? r->rec.title : "") != 0) {
		char *keep = r->rec.title;

		r->rec.title = title;
		if (store_room_put(bc->rooms_store, &r->rec) != 0) {
			r->rec.title = keep;
			store_room_config_clear(&c);
			return muc_fail(st, r, BC_EINTERNAL, NULL);
		}
		free(keep);
	} else {
		free(title);
	}
	if (store_room_config_put(bc->rooms_store, r->name, &c) != 0) {
		store_room_config_clear(&c);
		return muc_fail(st, r, BC_EINTERNAL, NULL);
	}
	r->cfg = c;
	xep_reply(st, xep_iq_result(st));
	if (r->cfg.broadcast != old.broadcast)
		muc_restage(bc, r);
	if (r->rec.kind == STORE_ROOM_AUDIO &&
	    (r->cfg.flags & STORE_ROOMCFG_MODERATED) !=
		    (old.flags & STORE_ROOMCFG_MODERATED))
		muc_audio_moderated(bc, r,
				    (r->cfg.flags & STORE_ROOMCFG_MODERATED) != 0);
	if ((r->cfg.flags & STORE_ROOMCFG_MEMBERS_ONLY) &&
	    !(old.flags & STORE_ROOMCFG_MEMBERS_ONLY))
		muc_members_only_now(bc, r);
	/* §10.2.1: tell the occupants, unless this ends the creation. */
	if (!was_locked) {
		struct muc_codes n = {{MUC_S_CONFIG, 0}};
		bool anon_was = !(old.flags & STORE_ROOMCFG_WHOIS_ANYONE);
		bool anon_now = !(r->cfg.flags & STORE_ROOMCFG_WHOIS_ANYONE);

		if (anon_was != anon_now)
			n.c[1] = anon_now ? 173 : 172;
		muc_room_notice(bc, r, &n);
	}
	/* Only now: the comparisons above read the old values. */
	store_room_config_clear(&old);
	return XEP_OK;
}
