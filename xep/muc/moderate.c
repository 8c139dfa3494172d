/*
 * moderate.c - XEP-0425 Moderated Message Retraction 0.3 in a room
 * (room@M), with the XEP-0424 0.4 retraction and tombstone it carries.
 *
 * A moderator of the room sends
 *   <iq type='set' to='room@M'><moderate id='STANZA-ID'
 *     xmlns='urn:xmpp:message-moderate:1'><retract
 *     xmlns='urn:xmpp:message-retract:1'/><reason>..</reason></moderate>
 * naming a message by the XEP-0359 stanza id the room gave it.  Then, in
 * this order:
 *   1. the archived message is replaced by a tombstone (XEP-0425 §4): the
 *      same <message/> attributes, its <occupant-id/> and <stanza-id/>,
 *      and <retracted stamp id><moderated by><occupant-id/></moderated>
 *      <reason/></retracted> in place of its body and every other child;
 *      it keeps its stanza id and place in the archive;
 *   2. the retraction message (XEP-0425 §3.1) is archived, with a stanza
 *      id of its own (XEP-0424 §5: the archive MUST keep it), and sent to
 *      every occupant, with a XEP-0428 fallback body;
 *   3. the moderator gets an empty result.
 *
 * 'by' is the moderator's occupant JID room@M/nick, never a real JID.
 * Moderating a message twice answers success and sends nothing more.
 * Left out: moderation actions other than retraction (none is defined);
 * messages the room itself sent (retractions) cannot be moderated.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "component/bc.h"
#include "component/clock.h"
#include "component/log.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/muc/muc.h"
#include "xep/ns.h"
#include "xep/xep.h"

/* What non-supporting clients show instead (XEP-0428). */
#define MODERATE_FALLBACK "A message was removed by a moderator."

/* A new stanza id for a message of the room: 96 random bits in hex, so it
 * is unique across restarts too (XEP-0359 §4). */
static void moderate_new_id(char out[25])
{
	unsigned char raw[12];
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		/* Not expected with a 12-byte request; time and a counter
		 * keep the id unique in this process at least. */
		static unsigned counter;

		snprintf(out, 25, "%012llx%08x%04x",
			 (unsigned long long)clock_now_ms() & 0xffffffffffffULL,
			 ++counter, 0u);
		return;
	}
	for (i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* The child of e named name in ns, or NULL. */
static xmpp_stanza_t *moderate_child(xmpp_stanza_t *e, const char *name,
				     const char *ns)
{
	return xmpp_stanza_get_child_by_name_and_ns(e, name, ns);
}

/* Adds <moderated by><occupant-id/></moderated> to parent. */
static void moderate_add_moderated(xmpp_stanza_t *parent, const char *by,
				   const char *occupant_id)
{
	xmpp_stanza_t *m = xep_add_child(parent, "moderated", NS_MODERATE);

	if (by != NULL)
		xmpp_stanza_set_attribute(m, "by", by);
	if (occupant_id != NULL)
		xmpp_stanza_set_attribute(
			xep_add_child(m, "occupant-id", NS_OCCUPANT_ID), "id",
			occupant_id);
}

/* The tombstone of the archived stanza text orig (XEP-0425 §4), as a new
 * string (free()), or NULL when orig does not parse. */
static char *moderate_tombstone(struct bc *bc, const char *orig,
				const char *retraction_id, const char *by,
				const char *occupant_id, const char *reason)
{
	xmpp_stanza_t *old, *t, *c, *r;
	char **names = NULL;
	char stamp[40], *text = NULL, *out;
	size_t len;
	int i, n;

	old = xmpp_stanza_new_from_string(bc->xctx, orig);
	if (old == NULL)
		return NULL;
	t = xep_elem(bc, "message", xmpp_stanza_get_ns(old));
	n = xmpp_stanza_get_attribute_count(old);
	names = xcalloc((size_t)n * 2 + 1, sizeof(*names));
	xmpp_stanza_get_attributes(old, (const char **)names, n * 2);
	for (i = 0; i < n; i++)
		if (strcmp(names[2 * i], "to") != 0 &&
		    strcmp(names[2 * i], "xmlns") != 0)
			xmpp_stanza_set_attribute(t, names[2 * i],
						  names[2 * i + 1]);
	free(names);
	/* Kept: who wrote it (XEP-0421) and the room's id for it. */
	if ((c = moderate_child(old, "occupant-id", NS_OCCUPANT_ID)) != NULL)
		xmpp_stanza_add_child_ex(t, xmpp_stanza_copy(c), 0);
	if ((c = moderate_child(old, "stanza-id", NS_SID)) != NULL)
		xmpp_stanza_add_child_ex(t, xmpp_stanza_copy(c), 0);
	r = xep_add_child(t, "retracted", NS_RETRACT);
	xmpp_stanza_set_attribute(r, "id", retraction_id);
	xmpp_stanza_set_attribute(
		r, "stamp", clock_format_xep82(clock_now_ms(), stamp,
					       sizeof(stamp)));
	moderate_add_moderated(r, by, occupant_id);
	if (reason != NULL)
		xep_add_text_child(r, "reason", reason);
	if (xmpp_stanza_to_text(t, &text, &len) == XMPP_EOK) {
		out = xstrdup(text);
		xmpp_free(bc->xctx, text);
	} else {
		out = NULL;
	}
	xmpp_stanza_release(t);
	xmpp_stanza_release(old);
	return out;
}

/* True when the archived text is a tombstone already. */
static bool moderate_is_tombstone(struct bc *bc, const char *text)
{
	xmpp_stanza_t *s = xmpp_stanza_new_from_string(bc->xctx, text);
	bool yes = s != NULL &&
		   moderate_child(s, "retracted", NS_RETRACT) != NULL;

	if (s != NULL)
		xmpp_stanza_release(s);
	return yes;
}

/* The retraction sent to the occupants (XEP-0425 §3.1). */
static xmpp_stanza_t *moderate_retraction(struct bc *bc, const char *room_jid,
					  const char *new_id,
					  const char *target_id, const char *by,
					  const char *occupant_id,
					  const char *reason)
{
	xmpp_stanza_t *msg, *r, *f, *sid;

	msg = xmpp_message_new(bc->xctx, "groupchat", NULL, new_id);
	xmpp_stanza_set_from(msg, room_jid);
	r = xep_add_child(msg, "retract", NS_RETRACT);
	xmpp_stanza_set_attribute(r, "id", target_id);
	moderate_add_moderated(r, by, occupant_id);
	if (reason != NULL)
		xep_add_text_child(r, "reason", reason);
	f = xep_add_child(msg, "fallback", NS_FALLBACK);
	xmpp_stanza_set_attribute(f, "for", NS_RETRACT);
	xep_add_text_child(msg, "body", MODERATE_FALLBACK);
	sid = xep_add_child(msg, "stanza-id", NS_SID);
	xmpp_stanza_set_attribute(sid, "id", new_id);
	xmpp_stanza_set_attribute(sid, "by", room_jid);
	return msg;
}

int muc_moderate(struct xep_stanza *st)
{
	struct bc *bc = st->bc;
	struct muc_room *r;
	struct store_archive_msg m;
	struct store_archive_msg add;
	xmpp_stanza_t *reason_el, *msg = NULL;
	const char *target, *room, *nick, *occupant_id;
	char *reason = NULL, *tomb = NULL, *text = NULL;
	char *room_jid = NULL, *by = NULL, new_id[25];
	size_t len;
	int rc;

	memset(&m, 0, sizeof(m));
	r = muc_room_get(bc, st->to_jid.node);
	if (r == NULL)
		return xep_fail(st, BC_EITEM_NOT_FOUND, "No such room");
	if (muc_room_role(r, st->from) != MUC_ROLE_MODERATOR)
		return xep_fail(st, BC_EFORBIDDEN,
				"Only moderators may moderate messages");
	target = xmpp_stanza_get_attribute(st->payload, "id");
	if (target == NULL || target[0] == '\0')
		return xep_fail(st, BC_EBAD_REQUEST,
				"The message to moderate has no id");
	if (moderate_child(st->payload, "retract", NS_RETRACT) == NULL)
		return xep_fail(st, BC_EBAD_REQUEST,
				"Only retraction is supported");
	reason_el = xmpp_stanza_get_child_by_name(st->payload, "reason");
	if (reason_el != NULL)
		reason = xmpp_stanza_get_text(reason_el);

	room = muc_room_name(r);
	rc = store_archive_get(bc->rooms_store, room, target, &m);
	if (rc == STORE_NOTFOUND) {
		rc = xep_fail(st, BC_EITEM_NOT_FOUND,
			      "No such message in the room");
		goto out;
	}
	if (rc != 0) {
		rc = xep_fail(st, BC_EINTERNAL, NULL);
		goto out;
	}
	if (m.nick == NULL || m.nick[0] == '\0') {
		rc = xep_fail(st, BC_ENOT_ACCEPTABLE,
			      "Messages of the room itself cannot be "
			      "moderated");
		goto out;
	}
	if (moderate_is_tombstone(bc, m.stanza)) {
		/* Done before: nothing more to say to anyone. */
		xep_reply(st, xep_iq_result(st));
		rc = XEP_OK;
		goto out;
	}

	room_jid = xasprintf("%s@%s", room, st->to_jid.domain);
	nick = muc_room_nick(r, st->from);
	occupant_id = muc_room_occupant_id(r, st->from);
	by = nick != NULL ? xasprintf("%s/%s", room_jid, nick)
			  : xstrdup(room_jid);
	moderate_new_id(new_id);

	/* 1. The tombstone in place of the message. */
	tomb = moderate_tombstone(bc, m.stanza, new_id, by, occupant_id,
				  reason);
	if (tomb == NULL) {
		log_warnx("moderate: archived message %s of %s does not "
			  "parse; replaced by a bare tombstone",
			  target, room);
		tomb = xasprintf("<message type='groupchat'><retracted xmlns='"
				 NS_RETRACT "' id='%s'/></message>",
				 new_id);
	}
	rc = store_archive_retract(bc->rooms_store, room, target, tomb);
	if (rc != 0) {
		rc = xep_fail(st, BC_EINTERNAL, NULL);
		goto out;
	}

	/* 2. The retraction, archived and sent to every occupant. */
	msg = moderate_retraction(bc, room_jid, new_id, target, by,
				  occupant_id, reason);
	if (xmpp_stanza_to_text(msg, &text, &len) != XMPP_EOK) {
		rc = xep_fail(st, BC_EINTERNAL, NULL);
		goto out;
	}
	memset(&add, 0, sizeof(add));
	add.stanza_id = new_id;
	add.nick = "";
	add.from = room_jid;
	add.stanza = text;
	rc = store_archive_add(bc->rooms_store, room, &add);
	if (rc != 0) {
		rc = xep_fail(st, BC_EINTERNAL, NULL);
		goto out;
	}
	muc_room_broadcast(bc, r, msg);

	/* 3. The moderator's answer. */
	xep_reply(st, xep_iq_result(st));
	rc = XEP_OK;
out:
	if (text != NULL)
		xmpp_free(bc->xctx, text);
	if (reason != NULL)
		xmpp_free(bc->xctx, reason);
	if (msg != NULL)
		xmpp_stanza_release(msg);
	free(tomb);
	free(by);
	free(room_jid);
	store_archive_msg_clear(&m);
	return rc;
}
