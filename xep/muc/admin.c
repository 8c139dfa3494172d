/*
 * admin.c - XEP-0045 muc#admin on room@M: roles by nick (kick §8.2,
 * voice §8.3-8.5, moderators §9.6-9.8) and affiliations by JID (bans
 * §9.1-9.2, members §9.3-9.5, admins and owners §10.3-10.8), with their
 * lists and the presence that tells the room.
 *
 * Affiliations are held by identities: a JID under D names one (handle@D
 * or an escaped outside JID); any other JID names the outside user it is.
 * An admin set is checked whole before anything changes, and carries at
 * most MUC_ADMIN_ITEMS_MAX items.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/identity.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/muc/muc-int.h"
#include "xep/ns.h"

/* The order of affiliations for "lower than" (§5.2). */
static int muc_rank(enum store_affil a)
{
	switch (a) {
	case STORE_AFFIL_OWNER:
	case STORE_AFFIL_HOST:
		return 4;
	case STORE_AFFIL_ADMIN:
		return 3;
	case STORE_AFFIL_MEMBER:
	case STORE_AFFIL_SPEAKER:
		return 2;
	case STORE_AFFIL_NONE:
		return 1;
	default:
		return 0;
	}
}

/* What goes into the <item/> of a presence about a change. */
struct muc_why {
	const char *actor;  /* the actor's nick, or NULL */
	const char *reason; /* or NULL */
};

static void muc_why_extra(xmpp_stanza_t *x, void *arg)
{
	const struct muc_why *w = arg;
	xmpp_stanza_t *item = xmpp_stanza_get_child_by_name(x, "item");

	if (w == NULL || item == NULL)
		return;
	if (w->actor != NULL)
		xmpp_stanza_set_attribute(xep_add_child(item, "actor", NULL),
					  "nick", w->actor);
	if (w->reason != NULL && w->reason[0] != '\0')
		xep_add_text_child(item, "reason", w->reason);
}

int muc_affil_apply(struct bc *bc, struct muc_room *r, const char *who,
		    enum store_affil affil, const char *actor,
		    const char *reason)
{
	struct muc_why why = {actor, reason};
	struct muc_occupant *o;
	int rc;

	rc = muc_affil_set(bc, r, who, affil);
	if (rc != 0)
		return rc;
	o = muc_occ_by_who(r, who);
	if (o != NULL) {
		struct muc_codes codes = {{0}};
		enum muc_role role;
		bool was;

		if (affil == STORE_AFFIL_OUTCAST) {
			codes.c[0] = MUC_S_BANNED;
			muc_occ_eject(bc, o, &codes, muc_why_extra, &why);
			return 0;
		}
		/* §9.4: no non-member stays in a members-only room. */
		if ((r->cfg.flags & STORE_ROOMCFG_MEMBERS_ONLY) &&
		    affil < STORE_AFFIL_MEMBER) {
			codes.c[0] = MUC_S_AFFIL_CHANGE;
			muc_occ_eject(bc, o, &codes, muc_why_extra, &why);
			return 0;
		}
		was = muc_occ_staged(o);
		role = muc_default_role(r, affil);
		/* A visitor given voice keeps it when it becomes nobody. */
		if (role < o->role && o->role != MUC_ROLE_MODERATOR &&
		    affil >= STORE_AFFIL_NONE)
			role = o->role;
		muc_occ_set_role(bc, o, role);
		muc_occ_changed(bc, o, was, muc_why_extra, &why);
		return 0;
	}
	/* §9.3, §10.3: someone not in the room; tell those who may see
	 * addresses. */
	{
		xmpp_stanza_t *m = xmpp_message_new(bc->xctx, NULL, NULL, NULL);
		xmpp_stanza_t *x, *item;
		char addr[JID_MAX], id[32];
		size_t i;

		xmpp_stanza_set_from(m, r->jid);
		xmpp_stanza_set_id(m, bc_new_id(bc, id, sizeof(id)));
		x = xep_add_child(m, "x", NS_MUC_USER);
		item = xep_add_child(x, "item", NULL);
		xmpp_stanza_set_attribute(item, "affiliation",
					  muc_affil_name(affil));
		ident_address(bc, who, addr);
		xmpp_stanza_set_attribute(item, "jid", addr);
		for (i = 0; i < r->nocc; i++)
			if (muc_sees_jids(r, r->occ[i]))
				muc_send_occ(bc, r->occ[i], m);
		xmpp_stanza_release(m);
	}
	return 0;
}

/* The identity node a JID in an item names, into out; -1 for none. */
static int muc_item_who(struct bc *bc, const char *jid, char *out,
			size_t len)
{
	struct jid j;
	char bare[JID_MAX];

	if (jid == NULL || jid_parse(jid, &j) < 0 || j.node[0] == '\0')
		return -1;
	if (strcmp(j.domain, bc->cfg->service_domain) == 0) {
		snprintf(out, len, "%s", j.node);
		return 0;
	}
	if (strcmp(j.domain, bc->cfg->rooms_domain) == 0)
		return -1;
	jid_format_bare(&j, bare, sizeof(bare));
	return jid_escape_node(bare, out, len);
}

struct muc_list {
	struct bc *bc;
	struct muc_room *r;
	enum store_affil want;
	xmpp_stanza_t *query;
};

static bool muc_affil_is(enum store_affil have, enum store_affil want)
{
	if (want == STORE_AFFIL_OWNER)
		return muc_is_owner(have);
	if (want == STORE_AFFIL_MEMBER)
		return have == STORE_AFFIL_MEMBER ||
		       have == STORE_AFFIL_SPEAKER;
	return have == want;
}

static void muc_list_one(const char *who, void *value, void *arg)
{
	struct muc_list *l = arg;
	enum store_affil a = (enum store_affil)(uintptr_t)value;
	struct muc_occupant *o;
	xmpp_stanza_t *item;
	char addr[JID_MAX];

	if (!muc_affil_is(a, l->want))
		return;
	item = xep_add_child(l->query, "item", NULL);
	xmpp_stanza_set_attribute(item, "affiliation", muc_affil_name(a));
	ident_address(l->bc, who, addr);
	xmpp_stanza_set_attribute(item, "jid", addr);
	o = muc_occ_by_who(l->r, who);
	if (o != NULL) {
		xmpp_stanza_set_attribute(item, "nick", o->nick);
		xmpp_stanza_set_attribute(item, "role", muc_role_name(o->role));
	}
}

/* Who is asking: the occupant of the session, or the identity. */
static int muc_asker(struct xep_stanza *st, struct muc_room *r,
		     struct ident_sender *who, enum store_affil *affil,
		     struct muc_occupant **occ)
{
	struct muc_session *s = muc_session_of(r, st->from);

	if (ident_sender(st->bc, st->from_bare, who) != 0)
		return BC_EFORBIDDEN;
	*affil = muc_affil(r, who->node);
	*occ = s ? s->occ : NULL;
	return 0;
}

int muc_admin_get(struct xep_stanza *st)
{
	struct bc *bc = st->bc;
	struct muc_room *r = muc_room_get(bc, st->to_jid.node);
	struct ident_sender who;
	struct muc_occupant *me;
	enum store_affil mine, want;
	enum muc_role role;
	xmpp_stanza_t *item, *reply, *query;
	const char *a, *ro;
	size_t i;

	if (r == NULL)
		return muc_fail(st, NULL, BC_EITEM_NOT_FOUND, "No such room");
	if (muc_asker(st, r, &who, &mine, &me) != 0)
		return muc_fail(st, r, BC_EFORBIDDEN, NULL);
	item = xmpp_stanza_get_child_by_name(st->payload, "item");
	a = item ? xmpp_stanza_get_attribute(item, "affiliation") : NULL;
	ro = item ? xmpp_stanza_get_attribute(item, "role") : NULL;
	reply = xep_iq_result(st);
	query = xep_add_child(reply, "query", NS_MUC_ADMIN);
	if (a != NULL && muc_affil_parse(a, &want) == 0 &&
	    want != STORE_AFFIL_NONE) {
		struct muc_list l = {bc, r, want, query};

		/* §9.5, §7.11: members may see who belongs; the ban list is
		 * for admins. */
		if (!(muc_is_admin(mine) ||
		      (mine >= STORE_AFFIL_MEMBER &&
		       want != STORE_AFFIL_OUTCAST))) {
			xmpp_stanza_release(reply);
			return muc_fail(st, r, BC_EFORBIDDEN, NULL);
		}
		strmap_each(r->affils, muc_list_one, &l);
	} else if (ro != NULL && muc_role_parse(ro, &role) == 0 &&
		   role != MUC_ROLE_NONE) {
		/* §8.5, §9.8 */
		if (me == NULL || me->role != MUC_ROLE_MODERATOR) {
			xmpp_stanza_release(reply);
			return muc_fail(st, r, BC_EFORBIDDEN, NULL);
		}
		for (i = 0; i < r->nocc; i++) {
			struct muc_occupant *o = r->occ[i];
			xmpp_stanza_t *it;

			if (o->role != role)
				continue;
			it = xep_add_child(query, "item", NULL);
			xmpp_stanza_set_attribute(it, "nick", o->nick);
			xmpp_stanza_set_attribute(it, "role",
						  muc_role_name(o->role));
			xmpp_stanza_set_attribute(
				it, "affiliation",
				muc_affil_name(muc_affil(r, o->who)));
			xmpp_stanza_set_attribute(it, "jid", o->addr);
		}
	} else {
		xmpp_stanza_release(reply);
		return muc_fail(st, r, BC_EBAD_REQUEST,
				"Ask for one affiliation or one role");
	}
	xep_reply(st, reply);
	return XEP_OK;
}

/* One checked change of an admin set. */
struct muc_change {
	bool is_role;
	struct muc_occupant *occ; /* role changes */
	char who[JID_PART_MAX + 1]; /* affiliation changes */
	enum muc_role role;
	enum store_affil affil;
	char *reason;
};

static int muc_check_role(struct muc_room *r, struct muc_occupant *me,
			  enum store_affil mine, struct muc_change *c)
{
	enum store_affil theirs = muc_affil(r, c->occ->who);

	if (me == NULL || me->role != MUC_ROLE_MODERATOR)
		return BC_EFORBIDDEN;
	if (c->role == MUC_ROLE_MODERATOR ||
	    c->occ->role == MUC_ROLE_MODERATOR) {
		/* An audio room's moderators are its hosts. */
		if (r->rec.kind == STORE_ROOM_AUDIO)
			return BC_ENOT_ALLOWED;
		/* §9.6-9.7: admins grant and revoke moderation, never from
		 * an admin or owner. */
		if (!muc_is_admin(mine))
			return BC_EFORBIDDEN;
		if (c->role != MUC_ROLE_MODERATOR && muc_is_admin(theirs))
			return BC_ENOT_ALLOWED;
		return 0;
	}
	/* §8.2, §8.4: not against a higher affiliation. */
	if (muc_rank(theirs) > muc_rank(mine))
		return BC_ENOT_ALLOWED;
	if (c->role == MUC_ROLE_VISITOR && c->occ != me &&
	    muc_rank(theirs) >= muc_rank(mine) && muc_is_admin(theirs))
		return BC_ENOT_ALLOWED;
	return 0;
}

static size_t muc_count_owners(const struct muc_room *r);

static int muc_check_affil(struct muc_room *r, enum store_affil mine,
			   const char *me, struct muc_change *c)
{
	enum store_affil old = muc_affil(r, c->who);

	if (!muc_is_admin(mine))
		return BC_EFORBIDDEN; /* §9 */
	/* An audio room's stage is the platform's: its hosts ban and
	 * unban listeners, and that is all. */
	if (r->rec.kind == STORE_ROOM_AUDIO &&
	    ((c->affil != STORE_AFFIL_OUTCAST && c->affil != STORE_AFFIL_NONE) ||
	     muc_stage_affil(old)))
		return BC_ENOT_ALLOWED;
	/* §9.1: not against a higher affiliation; not oneself. */
	if (muc_rank(old) > muc_rank(mine))
		return BC_ENOT_ALLOWED;
	if (c->affil == STORE_AFFIL_OUTCAST && strcmp(c->who, me) == 0)
		return BC_ECONFLICT;
	/* §10.3-10.8: owners handle owners and admins. */
	if (c->affil == STORE_AFFIL_OWNER || c->affil == STORE_AFFIL_ADMIN ||
	    muc_is_admin(old)) {
		if (!muc_is_owner(mine))
			return BC_EFORBIDDEN;
	} else if (!muc_is_admin(mine)) {
		return BC_EFORBIDDEN; /* §9.1, §9.3 */
	}
	/* §10.6: a room keeps an owner. */
	if (old == STORE_AFFIL_OWNER && c->affil != STORE_AFFIL_OWNER &&
	    muc_count_owners(r) <= 1)
		return BC_ECONFLICT;
	return 0;
}

static void muc_count_one(const char *who, void *value, void *arg)
{
	(void)who;
	if ((enum store_affil)(uintptr_t)value == STORE_AFFIL_OWNER)
		(*(size_t *)arg)++;
}

static size_t muc_count_owners(const struct muc_room *r)
{
	size_t n = 0;

	strmap_each(r->affils, muc_count_one, &n);
	return n;
}

int muc_admin_set(struct xep_stanza *st)
{
	struct bc *bc = st->bc;
	struct muc_room *r = muc_room_get(bc, st->to_jid.node);
	struct muc_change *ch = NULL;
	struct ident_sender who;
	struct muc_occupant *me;
	enum store_affil mine;
	xmpp_stanza_t *item;
	size_t n = 0, i;
	int rc = 0;
	const char *text = NULL;

	if (r == NULL)
		return muc_fail(st, NULL, BC_EITEM_NOT_FOUND, "No such room");
	if (muc_asker(st, r, &who, &mine, &me) != 0)
		return muc_fail(st, r, BC_EFORBIDDEN, NULL);
	for (item = xmpp_stanza_get_children(st->payload); item;
	     item = xmpp_stanza_get_next(item))
		if (xmpp_stanza_is_tag(item) &&
		    strcmp(xmpp_stanza_get_name(item), "item") == 0)
			n++;
	if (n == 0)
		return muc_fail(st, r, BC_EBAD_REQUEST, "No item");
	if (n > MUC_ADMIN_ITEMS_MAX)
		return muc_fail(st, r, BC_EPOLICY_VIOLATION,
				"Too many items in one request");
	ch = xcalloc(n, sizeof(*ch));
	n = 0;
	/* Check everything first. */
	for (item = xmpp_stanza_get_children(st->payload); item && rc == 0;
	     item = xmpp_stanza_get_next(item)) {
		struct muc_change *c = &ch[n];
		const char *a = xmpp_stanza_get_attribute(item, "affiliation");
		const char *ro = xmpp_stanza_get_attribute(item, "role");
		const char *nick = xmpp_stanza_get_attribute(item, "nick");
		const char *jid = xmpp_stanza_get_attribute(item, "jid");
		xmpp_stanza_t *re;
		char *t;

		if (!xmpp_stanza_is_tag(item) ||
		    strcmp(xmpp_stanza_get_name(item), "item") != 0)
			continue;
		n++;
		re = xmpp_stanza_get_child_by_name(item, "reason");
		t = re ? xmpp_stanza_get_text(re) : NULL;
		c->reason = xstrdup(t ? t : "");
		if (t != NULL)
			xmpp_free(bc->xctx, t);
		if (strlen(c->reason) > MUC_TEXT_MAX)
			c->reason[MUC_TEXT_MAX] = '\0';
		if (ro != NULL && a == NULL) {
			c->is_role = true;
			if (muc_role_parse(ro, &c->role) != 0 || nick == NULL) {
				rc = BC_EBAD_REQUEST;
				text = "A role item has a role and a nick";
				break;
			}
			c->occ = muc_occ_by_nick(r, nick);
			if (c->occ == NULL) {
				rc = BC_EITEM_NOT_FOUND;
				text = "Nobody here has that nickname";
				break;
			}
			rc = muc_check_role(r, me, mine, c);
		} else if (a != NULL && ro == NULL) {
			if (muc_affil_parse(a, &c->affil) != 0) {
				rc = BC_EBAD_REQUEST;
				text = "Unknown affiliation";
				break;
			}
			if (jid == NULL && nick != NULL &&
			    muc_occ_by_nick(r, nick) != NULL)
				snprintf(c->who, sizeof(c->who), "%s",
					 muc_occ_by_nick(r, nick)->who);
			else if (muc_item_who(bc, jid, c->who,
					      sizeof(c->who)) != 0) {
				rc = BC_EBAD_REQUEST;
				text = "An affiliation item names a JID";
				break;
			}
			rc = muc_check_affil(r, mine, who.node, c);
		} else {
			rc = BC_EBAD_REQUEST;
			text = "An item changes a role or an affiliation";
		}
	}
	if (rc != 0)
		goto out;
	/* Then apply, store writes before the presence they cause. */
	for (i = 0; i < n; i++) {
		struct muc_change *c = &ch[i];
		struct muc_why why = {me ? me->nick : NULL, c->reason};

		if (!c->is_role) {
			rc = muc_affil_apply(bc, r, c->who, c->affil,
					     why.actor, c->reason);
			if (rc != 0)
				goto out;
			continue;
		}
		/* A kick or an earlier change may have removed it. */
		if (muc_occ_by_nick(r, c->occ->nick) != c->occ)
			continue;
		if (c->role == MUC_ROLE_NONE) {
			struct muc_codes k = {{MUC_S_KICKED, 0}};

			muc_occ_eject(bc, c->occ, &k, muc_why_extra, &why);
		} else {
			bool was = muc_occ_staged(c->occ);

			muc_occ_set_role(bc, c->occ, c->role);
			muc_occ_changed(bc, c->occ, was, muc_why_extra, &why);
		}
	}
	xep_reply(st, xep_iq_result(st));
out:
	for (i = 0; i < n; i++)
		free(ch[i].reason);
	free(ch);
	return rc != 0 ? muc_fail(st, r, rc, text) : XEP_OK;
}
