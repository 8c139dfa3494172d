/*
 * message.c - XEP-0045 messages in rooms: to all occupants (§7.4) with
 * XEP-0359 stanza ids and XEP-0421 occupant ids, archived in the same
 * pass; subject changes (§7.3, §8.1); private messages (§7.5) through the
 * message-request rules; mediated invitations and declines (§7.8.2);
 * voice requests and their approval (§7.13, §8.6); IQs to occupants
 * (§7.5, relayed under occupant JIDs) and XEP-0410 self-pings; and the
 * membership that a XEP-0249 direct invitation from an admin grants.
 *
 * A groupchat message is serialised once (bc_body) and the same bytes
 * are archived and written to every session with only 'to' spliced in.
 * XEP-0191 blocks hold: whoever blocks the sender's identity does not get
 * its messages; the sender learns nothing of it.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/identity.h"
#include "component/log.h"
#include "component/policy.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/muc/muc-int.h"
#include "xep/ns.h"
#include "xep/requests.h"

/* True for the children a sender may not set on a room's message: the
 * XEP-0359 stanza ids (the room's own among them), XEP-0421 occupant ids
 * and muc#user payloads (an <item jid=.../> there would claim someone
 * else's address; the room adds its own where one belongs). */
static bool muc_sender_claim(xmpp_stanza_t *c)
{
	const char *name = xmpp_stanza_get_name(c);
	const char *ns = xmpp_stanza_get_ns(c);

	if (!xmpp_stanza_is_tag(c) || name == NULL || ns == NULL)
		return false;
	return (strcmp(name, "stanza-id") == 0 && strcmp(ns, NS_SID) == 0) ||
	       (strcmp(name, "occupant-id") == 0 &&
		strcmp(ns, NS_OCCUPANT_ID) == 0) ||
	       (strcmp(name, "x") == 0 && strcmp(ns, NS_MUC_USER) == 0);
}

/* Drops from e and its descendants a namespace declaration of the
 * stream's own namespace: the server's parser gives every element of the
 * component stream jabber:component:accept, which would stay on the
 * children when the text is read back elsewhere (an archive result,
 * history). */
static void muc_unstream(xmpp_stanza_t *e)
{
	const char *ns;
	xmpp_stanza_t *c;

	if (!xmpp_stanza_is_tag(e))
		return;
	ns = xmpp_stanza_get_ns(e);
	if (ns != NULL &&
	    (strcmp(ns, NS_COMPONENT) == 0 || strcmp(ns, NS_CLIENT) == 0))
		xmpp_stanza_del_attribute(e, "xmlns");
	for (c = xmpp_stanza_get_children(e); c; c = xmpp_stanza_get_next(c))
		muc_unstream(c);
}

/* A copy of msg from the occupant o, without 'to', its claims gone and
 * ours added: a stanza id (when stanza_id is not NULL) and the occupant
 * id. */
static xmpp_stanza_t *muc_from_occupant(struct bc *bc, struct muc_occupant *o,
					xmpp_stanza_t *msg,
					const char *stanza_id)
{
	xmpp_stanza_t *out = xmpp_stanza_new(bc->xctx), *c, *e;
	const char *attrs[2 * 64];
	char from[JID_MAX];
	int n, i;

	xmpp_stanza_set_name(out, xmpp_stanza_get_name(msg));
	n = xmpp_stanza_get_attributes(msg, attrs, 2 * 64);
	for (i = 0; i + 1 < n; i += 2)
		if (strcmp(attrs[i], "to") != 0 &&
		    strcmp(attrs[i], "from") != 0 &&
		    strcmp(attrs[i], "xmlns") != 0)
			xmpp_stanza_set_attribute(out, attrs[i], attrs[i + 1]);
	muc_occ_jid(o->room, o->nick, from);
	xmpp_stanza_set_from(out, from);
	for (c = xmpp_stanza_get_children(msg); c; c = xmpp_stanza_get_next(c))
		if (!muc_sender_claim(c)) {
			xmpp_stanza_t *copy = xmpp_stanza_copy(c);

			muc_unstream(copy);
			xmpp_stanza_add_child_ex(out, copy, 0);
		}
	if (stanza_id != NULL) {
		e = xep_add_child(out, "stanza-id", NS_SID);
		xmpp_stanza_set_attribute(e, "id", stanza_id);
		xmpp_stanza_set_attribute(e, "by", o->room->jid);
	}
	e = xep_add_child(out, "occupant-id", NS_OCCUPANT_ID);
	xmpp_stanza_set_attribute(e, "id", o->id);
	return out;
}

/* The text of child name of s (a new string, "" when absent). */
static char *muc_child_text(xmpp_stanza_t *s, const char *name)
{
	xmpp_stanza_t *c = xmpp_stanza_get_child_by_name(s, name);
	char *t = c ? xmpp_stanza_get_text(c) : NULL;
	char *out = xstrdup(t ? t : "");

	if (t != NULL)
		xmpp_free(xmpp_stanza_get_context(s), t);
	return out;
}

/* §7.3, §8.1 */
static int muc_subject(struct xep_stanza *st, struct muc_occupant *o)
{
	struct bc *bc = st->bc;
	struct muc_room *r = o->room;
	xmpp_stanza_t *out;
	char *text;

	if (o->role != MUC_ROLE_MODERATOR &&
	    !(o->role == MUC_ROLE_PARTICIPANT &&
	      (r->cfg.flags & STORE_ROOMCFG_SUBJECT)))
		return muc_fail(st, r, BC_EFORBIDDEN,
				"You may not change the subject");
	text = muc_child_text(st->stanza, "subject");
	if (strlen(text) > MUC_TEXT_MAX) {
		free(text);
		return muc_fail(st, r, BC_ENOT_ACCEPTABLE,
				"The subject is too long");
	}
	if (store_room_set_subject(bc->rooms_store, r->name, text) != 0) {
		free(text);
		return muc_fail(st, r, BC_EINTERNAL, NULL);
	}
	free(r->rec.subject);
	r->rec.subject = text;
	free(r->cfg.subject_by);
	r->cfg.subject_by = xstrdup(o->nick);
	r->cfg.subject_ms = clock_now_ms();
	(void)muc_room_save_config(bc, r);
	out = muc_from_occupant(bc, o, st->stanza, NULL);
	muc_room_broadcast(bc, r, out);
	xmpp_stanza_release(out);
	return XEP_OK;
}

/* True when the message is worth keeping in the archive. */
static bool muc_archivable(xmpp_stanza_t *msg)
{
	return xmpp_stanza_get_child_by_name(msg, "body") != NULL;
}

/* §7.4 */
static int muc_groupchat(struct xep_stanza *st, struct muc_room *r,
			 struct muc_session *s)
{
	struct bc *bc = st->bc;
	struct muc_occupant *o, *v;
	struct bc_body b;
	xmpp_stanza_t *out;
	char sid[32];
	int64_t until;
	size_t i, j;

	if (s == NULL)
		return muc_fail(st, r, BC_ENOT_ACCEPTABLE,
				"You are not in this room");
	o = s->occ;
	if (xmpp_stanza_get_child_by_name(st->stanza, "subject") != NULL &&
	    xmpp_stanza_get_child_by_name(st->stanza, "body") == NULL)
		return muc_subject(st, o);
	if (o->role < MUC_ROLE_PARTICIPANT)
		return muc_fail(st, r, BC_EFORBIDDEN,
				"You need voice to speak in this room");
	if (policy_sanction(bc, o->who, &until) == POLICY_SUSPENDED)
		return muc_fail(st, r, BC_EPOLICY_VIOLATION,
				policy_suspended_text(until));
	muc_new_stanza_id(bc, sid);
	out = muc_from_occupant(bc, o, st->stanza, sid);
	bc_body_init(bc, &b, out);
	xmpp_stanza_release(out);
	if (muc_archivable(st->stanza)) {
		struct store_archive_msg m = {
			.stanza_id = sid,
			.nick = o->nick,
			.from = o->addr,
			.stanza = b.text,
		};

		if (store_archive_add(bc->rooms_store, r->name, &m) != 0) {
			bc_body_clear(&b);
			return muc_fail(st, r, BC_EINTERNAL, NULL);
		}
	}
	for (i = 0; i < r->nocc; i++) {
		v = r->occ[i];
		/* XEP-0191: the blocker does not hear the blocked. */
		if (v != o && v->member && policy_blocks(bc, v->who, o->who))
			continue;
		for (j = 0; j < v->nsessions; j++)
			bc_body_send(bc, &b, v->sessions[j]->jid);
	}
	bc_body_clear(&b);
	return XEP_OK;
}

/* The identity and real addresses behind an address under D, or an
 * outside JID: 0, or -1 when it names nobody. */
struct muc_target {
	char node[JID_PART_MAX + 1];
	bool member;
	struct ident_target t; /* members: their linked JIDs */
	char outside[JID_MAX]; /* outside users: their bare JID */
};

static int muc_target_resolve(struct bc *bc, const char *jid,
			      struct muc_target *out)
{
	struct jid j;
	char bare[JID_MAX];

	memset(out, 0, sizeof(*out));
	if (jid == NULL || jid_parse(jid, &j) < 0 || j.node[0] == '\0')
		return -1;
	if (strcmp(j.domain, bc->cfg->service_domain) == 0) {
		if (ident_resolve(bc, j.node, &out->t) != 0 ||
		    out->t.kind == IDENT_NONE) {
			ident_target_clear(&out->t);
			return -1;
		}
		snprintf(out->node, sizeof(out->node), "%s", j.node);
		out->member = out->t.kind == IDENT_MEMBER;
		if (!out->member)
			snprintf(out->outside, sizeof(out->outside), "%s",
				 out->t.outside);
		return 0;
	}
	if (strcmp(j.domain, bc->cfg->rooms_domain) == 0)
		return -1;
	jid_format_bare(&j, bare, sizeof(bare));
	if (jid_escape_node(bare, out->node, sizeof(out->node)) < 0)
		return -1;
	snprintf(out->outside, sizeof(out->outside), "%s", bare);
	out->t.kind = IDENT_OUTSIDE;
	return 0;
}

static void muc_target_clear(struct muc_target *t)
{
	ident_target_clear(&t->t);
}

/* Sends a copy of m to every real address of t. */
static void muc_target_send(struct bc *bc, const struct muc_target *t,
			    xmpp_stanza_t *m)
{
	const char *one[1] = {t->outside};
	size_t n = 0;

	if (!t->member) {
		bc_fanout(bc, m, one, 1);
		return;
	}
	while (t->t.jids != NULL && t->t.jids[n] != NULL)
		n++;
	bc_fanout(bc, m, (const char *const *)t->t.jids, n);
}

/* §7.5: a private message between occupants, through the request rules
 * of the recipient. */
static int muc_private(struct xep_stanza *st, struct muc_room *r,
		       struct muc_session *s)
{
	struct bc *bc = st->bc;
	struct muc_occupant *o, *to;
	struct bc_body body;
	xmpp_stanza_t *out;
	int64_t until;
	size_t j;

	if (s == NULL)
		return muc_fail(st, r, BC_ENOT_ACCEPTABLE,
				"You are not in this room");
	if (strcmp(st->type, "groupchat") == 0)
		return muc_fail(st, r, BC_EBAD_REQUEST,
				"A groupchat message goes to the room");
	o = s->occ;
	to = muc_occ_by_nick(r, st->to_jid.resource);
	if (to == NULL)
		return muc_fail(st, r, BC_EITEM_NOT_FOUND,
				"Nobody here has that nickname");
	if (policy_sanction(bc, o->who, &until) == POLICY_SUSPENDED)
		return muc_fail(st, r, BC_EPOLICY_VIOLATION,
				policy_suspended_text(until));
	switch (r->cfg.allow_pm) {
	case 0:
		break;
	case 1:
		if (o->role >= MUC_ROLE_PARTICIPANT)
			break;
		/* fall through */
	case 2:
		if (o->role == MUC_ROLE_MODERATOR)
			break;
		/* fall through */
	default:
		return muc_fail(st, r, BC_EFORBIDDEN,
				"Private messages are not allowed here");
	}
	if (to != o && to->member) {
		struct ident_sender from = {.member = o->member};
		struct muc_target t;
		enum requests_verdict verdict;
		int rc;

		if (policy_blocks(bc, to->who, o->who))
			return XEP_OK; /* dropped without a word */
		/* Restricted: only to members who know it, as one to one. */
		if ((rc = policy_may_send(st, o->who, to->who)) != 0)
			return muc_fail(st, r, rc, st->error_text);
		snprintf(from.node, sizeof(from.node), "%s", o->who);
		memset(&t, 0, sizeof(t));
		if (ident_resolve(bc, to->who, &t.t) != 0)
			return muc_fail(st, r, BC_EINTERNAL, NULL);
		rc = t.t.kind == IDENT_MEMBER
			     ? requests_gate(st, &from, &t.t, NULL, &verdict)
			     : (verdict = REQUESTS_DELIVER, 0);
		ident_target_clear(&t.t);
		if (rc < 0)
			return muc_fail(st, r, rc, st->error_text);
		if (verdict != REQUESTS_DELIVER)
			return XEP_OK;
	}
	out = muc_from_occupant(bc, o, st->stanza, NULL);
	if (xmpp_stanza_get_child_by_name_and_ns(out, "x", NS_MUC_USER) == NULL)
		xep_add_child(out, "x", NS_MUC_USER);
	bc_body_init(bc, &body, out);
	for (j = 0; j < to->nsessions; j++)
		bc_body_send(bc, &body, to->sessions[j]->jid);
	bc_body_clear(&body);
	xmpp_stanza_release(out);
	return XEP_OK;
}

/* The invitation as a XEP-0249 direct invitation from the inviter: what a
 * member who does not know the inviter finds in a message request. */
static xmpp_stanza_t *muc_direct_form(struct bc *bc, struct muc_room *r,
				      const char *inviter_addr,
				      const char *reason)
{
	xmpp_stanza_t *m = xmpp_message_new(bc->xctx, "normal", NULL, NULL);
	xmpp_stanza_t *x;
	char body[JID_MAX * 2 + MUC_TEXT_MAX + 64], id[32];

	xmpp_stanza_set_from(m, inviter_addr);
	xmpp_stanza_set_id(m, bc_new_id(bc, id, sizeof(id)));
	snprintf(body, sizeof(body), "%s invites you to the room %s%s%s",
		 inviter_addr, r->jid, reason[0] ? ": " : "", reason);
	xep_add_text_child(m, "body", body);
	x = xep_add_child(m, "x", NS_CONFERENCE);
	xmpp_stanza_set_attribute(x, "jid", r->jid);
	if (reason[0])
		xmpp_stanza_set_attribute(x, "reason", reason);
	return m;
}

/* §7.8.2: one invitation from occupant o. */
static int muc_invite_one(struct xep_stanza *st, struct muc_room *r,
			  struct muc_occupant *o, xmpp_stanza_t *inv)
{
	struct bc *bc = st->bc;
	struct muc_target t;
	enum store_affil a, mine = muc_affil(r, o->who);
	xmpp_stanza_t *m, *x, *e;
	char *reason;
	char body[JID_MAX * 2 + MUC_TEXT_MAX + 64], id[32];
	int rc = XEP_OK;

	/* §7.8.2: nobody there; a block answers the same (XEP-0191). */
	if (muc_target_resolve(bc, xmpp_stanza_get_attribute(inv, "to"),
			       &t) != 0)
		return BC_EITEM_NOT_FOUND;
	if (t.member && policy_blocks(bc, t.t.handle, o->who)) {
		muc_target_clear(&t);
		return BC_EITEM_NOT_FOUND;
	}
	reason = muc_child_text(inv, "reason");
	if (strlen(reason) > MUC_TEXT_MAX)
		reason[MUC_TEXT_MAX] = '\0';
	/* Moderation: a suspended occupant invites nobody, a restricted one
	 * only people who know it (an invitation can open a request). */
	if ((rc = policy_may_send(st, o->who, t.member ? t.t.handle : NULL)) !=
	    0)
		goto out;
	rc = XEP_OK;
	a = muc_affil(r, t.node);
	if (a == STORE_AFFIL_OUTCAST)
		goto out;
	/* A rooms instance cannot hold the request an invitation to a
	 * stranger opens (requests_gate() refuses it): refused before it
	 * makes anyone a member. */
	if (t.member && !bc_serves(bc, BC_LINK_SERVICE) &&
	    !policy_knows(bc, t.t.handle, o->who, st->from_bare)) {
		rc = xep_fail(st, BC_ENOT_ALLOWED,
			      REQUESTS_NOT_HERE);
		goto out;
	}
	/* An admin's invitation makes a member of a members-only room. */
	if ((r->cfg.flags & STORE_ROOMCFG_MEMBERS_ONLY) && muc_is_admin(mine) &&
	    a < STORE_AFFIL_MEMBER) {
		rc = muc_affil_apply(bc, r, t.node, STORE_AFFIL_MEMBER, o->nick,
				     NULL);
		if (rc < 0)
			goto out;
		rc = XEP_OK;
	}
	if (t.member) {
		struct ident_sender from = {.member = o->member};
		struct xep_stanza held = *st;
		enum requests_verdict verdict;

		if (!policy_knows(bc, t.t.handle, o->who, st->from_bare)) {
			snprintf(from.node, sizeof(from.node), "%s", o->who);
			held.stanza = muc_direct_form(bc, r, o->addr, reason);
			held.error_text = NULL;
			rc = requests_gate(&held, &from, &t.t, NULL, &verdict);
			xmpp_stanza_release(held.stanza);
			if (rc < 0) {
				st->error_text = held.error_text;
				goto out;
			}
			rc = XEP_OK;
			if (verdict != REQUESTS_DELIVER)
				goto out;
		}
	}
	m = xmpp_message_new(bc->xctx, "normal", NULL, NULL);
	xmpp_stanza_set_from(m, r->jid);
	xmpp_stanza_set_id(m, bc_new_id(bc, id, sizeof(id)));
	x = xep_add_child(m, "x", NS_MUC_USER);
	e = xep_add_child(x, "invite", NULL);
	xmpp_stanza_set_attribute(e, "from", o->addr);
	if (reason[0])
		xep_add_text_child(e, "reason", reason);
	snprintf(body, sizeof(body), "%s invites you to the room %s%s%s",
		 o->addr, r->jid, reason[0] ? ": " : "", reason);
	xep_add_text_child(m, "body", body);
	x = xep_add_child(m, "x", NS_CONFERENCE);
	xmpp_stanza_set_attribute(x, "jid", r->jid);
	muc_target_send(bc, &t, m);
	xmpp_stanza_release(m);
out:
	free(reason);
	muc_target_clear(&t);
	return rc;
}

/* §7.8.2 */
static int muc_invite(struct xep_stanza *st, struct muc_room *r,
		      struct muc_session *s, xmpp_stanza_t *x)
{
	struct muc_occupant *o;
	xmpp_stanza_t *c;
	size_t n = 0;
	int rc;

	if (s == NULL)
		return muc_fail(st, r, BC_ENOT_ACCEPTABLE,
				"You are not in this room");
	o = s->occ;
	for (c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c))
		if (xmpp_stanza_is_tag(c) &&
		    strcmp(xmpp_stanza_get_name(c), "invite") == 0)
			n++;
	if (n > MUC_INVITES_MAX)
		return muc_fail(st, r, BC_EPOLICY_VIOLATION,
				"Too many invitations in one message");
	if (o->role < MUC_ROLE_PARTICIPANT ||
	    ((r->cfg.flags & STORE_ROOMCFG_MEMBERS_ONLY) &&
	     !muc_is_admin(muc_affil(r, o->who)) &&
	     !(r->cfg.flags & STORE_ROOMCFG_INVITES)))
		return muc_fail(st, r, BC_EFORBIDDEN,
				"You may not invite people to this room");
	for (c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c)) {
		if (!xmpp_stanza_is_tag(c) ||
		    strcmp(xmpp_stanza_get_name(c), "invite") != 0)
			continue;
		rc = muc_invite_one(st, r, o, c);
		if (rc < 0)
			return muc_fail(st, r, rc, st->error_text);
	}
	return XEP_OK;
}

/* §7.8.2: a decline goes back to the inviter. */
static int muc_decline(struct xep_stanza *st, struct muc_room *r,
		       xmpp_stanza_t *d)
{
	struct bc *bc = st->bc;
	struct ident_sender who;
	struct muc_target t;
	xmpp_stanza_t *m, *x, *e;
	char addr[JID_MAX], id[32], *reason;

	if (ident_sender(bc, st->from_bare, &who) != 0)
		return XEP_OK;
	if (muc_target_resolve(bc, xmpp_stanza_get_attribute(d, "to"), &t) !=
		    0 ||
	    (!t.member && t.t.kind != IDENT_OUTSIDE)) {
		muc_target_clear(&t);
		return muc_fail(st, r, BC_EBAD_REQUEST,
				"A decline names the inviter");
	}
	if (t.member && policy_blocks(bc, t.t.handle, who.node)) {
		muc_target_clear(&t);
		return XEP_OK;
	}
	ident_address(bc, who.node, addr);
	reason = muc_child_text(d, "reason");
	if (strlen(reason) > MUC_TEXT_MAX)
		reason[MUC_TEXT_MAX] = '\0';
	m = xmpp_message_new(bc->xctx, "normal", NULL, NULL);
	xmpp_stanza_set_from(m, r->jid);
	xmpp_stanza_set_id(m, bc_new_id(bc, id, sizeof(id)));
	x = xep_add_child(m, "x", NS_MUC_USER);
	e = xep_add_child(x, "decline", NULL);
	xmpp_stanza_set_attribute(e, "from", addr);
	if (reason[0])
		xep_add_text_child(e, "reason", reason);
	muc_target_send(bc, &t, m);
	xmpp_stanza_release(m);
	free(reason);
	muc_target_clear(&t);
	return XEP_OK;
}

/* The value of field var of a data form, or NULL (borrowed text is
 * copied into a new string). */
static char *muc_form_value(xmpp_stanza_t *form, const char *var)
{
	xmpp_stanza_t *f;

	for (f = xmpp_stanza_get_children(form); f; f = xmpp_stanza_get_next(f)) {
		const char *v = xmpp_stanza_get_attribute(f, "var");

		if (xmpp_stanza_is_tag(f) && v != NULL && strcmp(v, var) == 0)
			return muc_child_text(f, "value");
	}
	return NULL;
}

static void muc_form_field(xmpp_stanza_t *form, const char *var,
			   const char *type, const char *label,
			   const char *value)
{
	xmpp_stanza_t *f = xep_form_field(form, var, type, value);

	if (label != NULL)
		xmpp_stanza_set_attribute(f, "label", label);
}

/* §7.13 and §8.6: voice requests and their approval. */
static int muc_voice(struct xep_stanza *st, struct muc_room *r,
		     struct muc_session *s, xmpp_stanza_t *form)
{
	struct bc *bc = st->bc;
	const char *type = xmpp_stanza_get_type(form);
	struct muc_occupant *o;
	xmpp_stanza_t *m, *f;
	char id[32], *allow, *nick;
	size_t i;

	if (s == NULL)
		return muc_fail(st, r, BC_ENOT_ACCEPTABLE,
				"You are not in this room");
	o = s->occ;
	allow = muc_form_value(form, "muc#request_allow");
	if (allow != NULL) {
		/* §8.6: a moderator's answer. */
		struct muc_occupant *v;
		int rc = XEP_OK;

		nick = muc_form_value(form, "muc#roomnick");
		v = nick ? muc_occ_by_nick(r, nick) : NULL;
		if (o->role != MUC_ROLE_MODERATOR)
			rc = muc_fail(st, r, BC_EFORBIDDEN, NULL);
		else if (v == NULL)
			rc = muc_fail(st, r, BC_EITEM_NOT_FOUND, NULL);
		else if ((strcmp(allow, "true") == 0 ||
			  strcmp(allow, "1") == 0) &&
			 v->role == MUC_ROLE_VISITOR) {
			bool was = muc_occ_staged(v);

			muc_occ_set_role(bc, v, MUC_ROLE_PARTICIPANT);
			muc_occ_changed(bc, v, was, NULL, NULL);
		}
		free(nick);
		free(allow);
		return rc;
	}
	if (type == NULL || strcmp(type, "submit") != 0 ||
	    o->role != MUC_ROLE_VISITOR)
		return XEP_OK;
	/* §7.13: to every moderator. */
	m = xmpp_message_new(bc->xctx, "normal", NULL, NULL);
	xmpp_stanza_set_from(m, r->jid);
	xmpp_stanza_set_id(m, bc_new_id(bc, id, sizeof(id)));
	f = xep_add_child(m, "x", NS_DATA);
	xmpp_stanza_set_type(f, "form");
	xep_add_text_child(f, "title", "Voice request");
	xep_add_text_child(f, "instructions",
			   "To approve this request for voice, select the "
			   "\"Grant voice to this person?\" checkbox and "
			   "click OK. To skip this request, click the cancel "
			   "button.");
	muc_form_field(f, "FORM_TYPE", "hidden", NULL, NS_MUC_REQUEST);
	muc_form_field(f, "muc#role", "list-single", "Requested role",
		       "participant");
	muc_form_field(f, "muc#jid", "jid-single", "User ID", o->addr);
	muc_form_field(f, "muc#roomnick", "text-single", "Room Nickname",
		       o->nick);
	muc_form_field(f, "muc#request_allow", "boolean",
		       "Grant voice to this person?", "false");
	for (i = 0; i < r->nocc; i++)
		if (r->occ[i]->role == MUC_ROLE_MODERATOR)
			muc_send_occ(bc, r->occ[i], m);
	xmpp_stanza_release(m);
	return XEP_OK;
}

int muc_message_in(struct xep_stanza *st)
{
	struct bc *bc = st->bc;
	struct muc_room *r = muc_room_get(bc, st->to_jid.node);
	struct muc_session *s;
	xmpp_stanza_t *x, *c, *form;

	if (strcmp(st->type, "error") == 0) {
		/* §11.1: an error from an occupant's session removes it. */
		s = r ? muc_session_of(r, st->from) : NULL;
		if (s != NULL)
			muc_session_gone(bc, s, MUC_S_ERROR);
		return XEP_OK;
	}
	if (r == NULL || (r->cfg.flags & STORE_ROOMCFG_LOCKED &&
			  muc_session_of(r, st->from) == NULL))
		return muc_fail(st, NULL, BC_EITEM_NOT_FOUND,
				"No such room");
	s = muc_session_of(r, st->from);
	if (st->target == XEP_AT_OCCUPANT)
		return muc_private(st, r, s);
	if (strcmp(st->type, "groupchat") == 0)
		return muc_groupchat(st, r, s);
	x = xmpp_stanza_get_child_by_name_and_ns(st->stanza, "x", NS_MUC_USER);
	if (x != NULL) {
		if (xmpp_stanza_get_child_by_name(x, "invite") != NULL)
			return muc_invite(st, r, s, x);
		c = xmpp_stanza_get_child_by_name(x, "decline");
		if (c != NULL)
			return muc_decline(st, r, c);
	}
	for (form = xmpp_stanza_get_children(st->stanza); form;
	     form = xmpp_stanza_get_next(form)) {
		char *ft;
		bool ours;

		if (!xmpp_stanza_is_tag(form) ||
		    strcmp(xmpp_stanza_get_name(form), "x") != 0 ||
		    xmpp_stanza_get_ns(form) == NULL ||
		    strcmp(xmpp_stanza_get_ns(form), NS_DATA) != 0)
			continue;
		ft = muc_form_value(form, "FORM_TYPE");
		ours = ft != NULL && strcmp(ft, NS_MUC_REQUEST) == 0;
		free(ft);
		if (ours)
			return muc_voice(st, r, s, form);
	}
	return muc_fail(st, r, BC_EBAD_REQUEST,
			"Messages to a room are of type groupchat");
}

/* XEP-0249: a direct invitation to a member from an admin or owner of a
 * members-only room makes the invitee a member; the message itself goes
 * on to the one-to-one relay. */
int muc_direct_invite(struct xep_stanza *st)
{
	struct bc *bc = st->bc;
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(
		st->stanza, "x", NS_CONFERENCE);
	struct ident_sender who;
	struct muc_room *r;
	struct jid j;

	if (x == NULL || st->type[0] == 'e' ||
	    jid_parse(xmpp_stanza_get_attribute(x, "jid")
			      ? xmpp_stanza_get_attribute(x, "jid")
			      : "",
		      &j) < 0 ||
	    strcmp(j.domain, bc->cfg->rooms_domain) != 0 ||
	    !handle_is_valid(st->to_jid.node))
		return XEP_PASS;
	r = muc_room_get(bc, j.node);
	if (r == NULL || !(r->cfg.flags & STORE_ROOMCFG_MEMBERS_ONLY) ||
	    ident_sender(bc, st->from_bare, &who) != 0 || !who.member ||
	    !muc_is_admin(muc_affil(r, who.node)) ||
	    muc_affil(r, st->to_jid.node) != STORE_AFFIL_NONE ||
	    policy_blocks(bc, st->to_jid.node, who.node))
		return XEP_PASS;
	if (store_identity_get(bc->store, st->to_jid.node,
			       &(struct store_identity){0}) != 0)
		return XEP_PASS;
	(void)muc_affil_apply(bc, r, st->to_jid.node, STORE_AFFIL_MEMBER,
			      NULL, NULL);
	return XEP_PASS;
}

/* IQs to occupants: the answer of a relayed one goes back to its asker. */
struct muc_relay {
	char *asker;    /* real full JID */
	char *id;       /* the asker's id */
	char *from;     /* room@M/nick of the answering occupant */
};

static void muc_relay_done(struct bc *bc, xmpp_stanza_t *answer, void *arg)
{
	struct muc_relay *w = arg;
	xmpp_stanza_t *reply;

	if (answer != NULL &&
	    strcmp(xmpp_stanza_get_type(answer) ? xmpp_stanza_get_type(answer)
						: "",
		   "result") == 0) {
		reply = xmpp_stanza_copy(answer);
	} else {
		/* Errors are rebuilt from type and condition alone. */
		xmpp_stanza_t *err = answer ? xmpp_stanza_get_child_by_name(
						      answer, "error")
					    : NULL;
		xmpp_stanza_t *cond = NULL, *e;
		const char *etype = err ? xmpp_stanza_get_type(err) : NULL;

		for (cond = err ? xmpp_stanza_get_children(err) : NULL; cond;
		     cond = xmpp_stanza_get_next(cond)) {
			const char *ns = xmpp_stanza_get_ns(cond);

			if (xmpp_stanza_is_tag(cond) && ns != NULL &&
			    strcmp(ns, NS_STANZAS) == 0 &&
			    strcmp(xmpp_stanza_get_name(cond), "text") != 0)
				break;
		}
		reply = xmpp_iq_new(bc->xctx, "error", NULL);
		e = xep_add_child(reply, "error", NULL);
		xmpp_stanza_set_type(e, etype ? etype
					      : (answer ? "cancel" : "wait"));
		xep_add_child(e,
			      cond ? xmpp_stanza_get_name(cond)
				   : (answer ? "undefined-condition"
					     : "recipient-unavailable"),
			      NS_STANZAS);
	}
	xmpp_stanza_set_id(reply, w->id);
	xmpp_stanza_set_from(reply, w->from);
	xmpp_stanza_set_to(reply, w->asker);
	bc_send(bc, reply);
	free(w->asker);
	free(w->id);
	free(w->from);
	free(w);
}

/* §7.5 IQs to an occupant, and XEP-0410 §3 self-pings. */
int muc_occupant_iq(struct xep_stanza *st)
{
	struct bc *bc = st->bc;
	struct muc_room *r = muc_room_get(bc, st->to_jid.node);
	struct muc_session *s;
	struct muc_occupant *to;
	struct muc_relay *w;
	xmpp_stanza_t *iq;
	char from[JID_MAX];

	if (r == NULL)
		return muc_fail(st, NULL, BC_EITEM_NOT_FOUND, "No such room");
	s = muc_session_of(r, st->from);
	if (s == NULL)
		return muc_fail(st, r, BC_ENOT_ACCEPTABLE,
				"You are not in this room");
	to = muc_occ_by_nick(r, st->to_jid.resource);
	if (to == s->occ && strcmp(xmpp_stanza_get_name(st->payload),
				   "ping") == 0 &&
	    xmpp_stanza_get_ns(st->payload) != NULL &&
	    strcmp(xmpp_stanza_get_ns(st->payload), NS_PING) == 0) {
		s->unverified = false;
		xep_reply(st, xep_iq_result(st));
		return XEP_OK;
	}
	if (to == NULL)
		return muc_fail(st, r, BC_EITEM_NOT_FOUND,
				"Nobody here has that nickname");
	iq = xmpp_stanza_copy(st->stanza);
	muc_occ_jid(r, s->occ->nick, from);
	xmpp_stanza_set_from(iq, from);
	xmpp_stanza_set_to(iq, to->sessions[to->nsessions - 1]->jid);
	w = xcalloc(1, sizeof(*w));
	w->asker = xstrdup(st->from);
	w->id = xstrdup(st->id);
	w->from = xstrdup(st->to);
	bc_iq_send(bc, iq, MUC_IQ_RELAY_MS, muc_relay_done, w);
	/* The answer comes later, from muc_relay_done(). */
	st->replied = true;
	return XEP_OK;
}
