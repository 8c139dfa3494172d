/*
 * requests.c - message requests for senders a member does not know.
 *
 * A member knows a sender who they follow, accepted, wrote to first, who
 * is a configured admin or moderator, or anyone when their setting says
 * so.  A message from anyone else is held in the store (committed before
 * anything is sent: the outbox flushes after the commit) and the first one
 * of a request reaches the member's accounts as a presence subscription
 * request from the sender's address, with a XEP-0172 nick and the
 * defanged text as <status/>.  Approving the subscription accepts
 * (the held messages arrive in order, each with its XEP-0203 delay
 * stamp); refusing it declines (the messages are dropped and the sender
 * waits out a cool-down).  The same actions are offered as text commands
 * (xep/bot.c) and ad-hoc commands (xep/adhoc.c).
 *
 * Nothing flows back to a pending sender: chat states, receipts and
 * markers from the member to them are dropped until the member accepts.
 *
 * Room invitations and private messages from occupants go through the
 * same gate (xep/muc/message.c): an invitation from a stranger is held
 * like a message and delivered as a XEP-0249 invitation on accept.
 */
#include <config.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/clock.h"
#include "component/limits.h"
#include "component/log.h"
#include "component/metrics.h"
#include "component/policy.h"
#include "component/relay.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/adhoc.h"
#include "xep/ns.h"
#include "xep/privilege.h"
#include "xep/reports.h"
#include "xep/requests.h"
#include "xep/xep.h"

/* How much of the first message a request preview shows. */
#define REQUESTS_PREVIEW_MAX 200

/* A link-like word: a scheme, "www." or a dotted name followed by '/'. */
static bool requests_linky(const char *w, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		if (w[i] == ':' && (w[i + 1] == '/' || i > 1))
			return true;
	return (n > 4 && strncasecmp(w, "www.", 4) == 0) ||
	       (memchr(w, '.', n) != NULL && memchr(w, '/', n) != NULL);
}

char *requests_defang(const char *text, size_t max)
{
	size_t len = strlen(text), o = 0, i = 0;
	char *out = xmalloc(len * 3 + 8);
	bool cut = false;

	while (i < len && o < max) {
		size_t start = i, n;
		bool link;

		if (isspace((unsigned char)text[i]) ||
		    (unsigned char)text[i] < 0x20) {
			if (o > 0 && out[o - 1] != ' ')
				out[o++] = ' ';
			i++;
			continue;
		}
		while (i < len && !isspace((unsigned char)text[i]) &&
		       (unsigned char)text[i] >= 0x20)
			i++;
		n = i - start;
		link = requests_linky(text + start, n);
		for (; start < i && o < max; start++) {
			char c = text[start];

			/* Links are shown, never clickable: hxxp[:]//x[.]y */
			if (link && c == '.') {
				memcpy(out + o, "[.]", 3);
				o += 3;
			} else if (link && c == ':') {
				memcpy(out + o, "[:]", 3);
				o += 3;
			} else {
				out[o++] = c;
			}
		}
		cut = start < i;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	/* Do not leave half a UTF-8 character at the cut. */
	if (cut || i < len) {
		while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
			o--;
		if (o > 0 && ((unsigned char)out[o - 1] & 0x80))
			o--;
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* The body text of a stanza given as text (a new string or NULL). */
static char *requests_body_of(struct bc *bc, const char *stanza_text)
{
	xmpp_stanza_t *s = xmpp_stanza_new_from_string(bc->xctx, stanza_text);
	char *body = NULL, *b;

	if (s == NULL)
		return NULL;
	b = xmpp_message_get_body(s);
	if (b != NULL) {
		body = xstrdup(b);
		xmpp_free(bc->xctx, b);
	}
	xmpp_stanza_release(s);
	return body;
}

/* The name a member sees for peer: a display name, or the address. */
static void requests_nick(struct bc *bc, const char *peer, char *out,
			  size_t len)
{
	struct store_identity id;

	if (handle_is_valid(peer) &&
	    store_identity_get(bc->store, peer, &id) == 0 && id.name[0]) {
		snprintf(out, len, "%s", id.name);
		return;
	}
	if (handle_is_valid(peer) || jid_unescape_node(peer, out, len) < 0)
		snprintf(out, len, "%s", peer);
}

/* The first message of a new request reaches the member's accounts as a
 * subscription request from the sender (and, where the server lets us,
 * as a roster entry in "Message Requests"). */
static void requests_notify(struct bc *bc, const struct ident_sender *from,
			    const struct ident_target *to, const char *body)
{
	char from_addr[JID_MAX], nick[JID_MAX];
	char *preview = requests_defang(body, REQUESTS_PREVIEW_MAX);
	size_t i;

	ident_address(bc, from->node, from_addr);
	requests_nick(bc, from->node, nick, sizeof(nick));
	for (i = 0; to->jids[i] != NULL; i++) {
		xmpp_stanza_t *p = xmpp_presence_new(bc->xctx);
		xmpp_stanza_t *n;

		xmpp_stanza_set_type(p, "subscribe");
		xmpp_stanza_set_from(p, from_addr);
		xmpp_stanza_set_to(p, to->jids[i]);
		n = xep_add_child(p, "nick", NS_NICK);
		xep_add_text(n, nick);
		xep_add_text_child(p, "status", preview);
		bc_send(bc, p);
		privilege_roster_set(bc, to->jids[i], from_addr, nick, true);
	}
	free(preview);
}

int requests_gate(struct xep_stanza *st, const struct ident_sender *from,
		  const struct ident_target *to,
		  const struct store_relation *known,
		  enum requests_verdict *verdict)
{
	struct bc *bc = st->bc;
	struct store_relation rel;
	struct store_identity id;
	char from_addr[JID_MAX], to_addr[JID_MAX], *text = NULL, *body;
	char sid[RELAY_SID_SIZE];
	struct store_request req;
	struct bc_body canon;
	bool is_new = false, fresh;
	int rc;

	*verdict = REQUESTS_HELD;
	if (known != NULL) {
		rel = *known;
	} else {
		rc = store_relation_get(bc->store, to->handle, from->node,
					&rel);
		if (rc != 0 && rc != STORE_NOTFOUND)
			return BC_EINTERNAL;
	}
	/* A block looks exactly like a handle that does not exist. */
	if (rel.flags & STORE_REL_BLOCKED)
		return BC_ESERVICE_UNAVAILABLE;
	if (policy_knows(bc, to->handle, from->node, st->from_bare)) {
		*verdict = REQUESTS_DELIVER;
		return 0;
	}
	if (store_identity_get(bc->store, to->handle, &id) != 0)
		return BC_EINTERNAL;
	if (id.who == STORE_WHO_NOBODY_NEW)
		return xep_fail(st, BC_EPOLICY_VIOLATION,
				"This person only accepts messages from people "
				"they know.");
	body = xmpp_message_get_body(st->stanza);
	if (body == NULL)
		return 0; /* chat states and the like: nothing to hold */
	/* A rooms instance holds nothing: requests are the directory's,
	 * which the group's master keeps (docs/SCALING.md). */
	if (!bc_serves(bc, BC_LINK_SERVICE)) {
		xmpp_free(bc->xctx, body);
		return xep_fail(st, BC_ENOT_ALLOWED,
				REQUESTS_NOT_HERE);
	}
	if ((rel.flags & STORE_REL_DECLINED) &&
	    rel.declined_until_ms > clock_now_ms()) {
		xmpp_free(bc->xctx, body);
		return xep_fail(st, BC_EPOLICY_VIOLATION,
				"This person declined your message request; "
				"you cannot send a new one yet.");
	}
	/* The bound on new requests to one member: taken before the
	 * request is opened, given back when it is not. */
	rc = store_request_get(bc->store, to->handle, from->node, &req);
	store_request_clear(&req);
	if (rc != 0 && rc != STORE_NOTFOUND) {
		xmpp_free(bc->xctx, body);
		return BC_EINTERNAL;
	}
	fresh = rc == STORE_NOTFOUND;
	if (fresh &&
	    !limits_take(bc->limits, LIMITS_REQUESTS_IN, to->handle, 1)) {
		xmpp_free(bc->xctx, body);
		return xep_fail(st, BC_EPOLICY_VIOLATION,
				"This person has received too many new "
				"message requests today.  Try again later.");
	}
	ident_address(bc, from->node, from_addr);
	ident_address(bc, to->handle, to_addr);
	relay_body(bc, &canon, st->stanza, from_addr);
	/* XEP-0359: the id it keeps when it is delivered, for reports. */
	relay_new_stanza_id(bc, sid);
	relay_body_stamp(&canon, from_addr, sid);
	text = bc_body_text(&canon, to_addr);
	bc_body_clear(&canon);
	rc = store_request_hold(bc->store, to->handle, from->node, text,
				bc->cfg->requests_held_max,
				bc->cfg->requests_per_day, &is_new);
	free(text);
	if (fresh && (rc != 0 || !is_new))
		limits_refund(bc->limits, LIMITS_REQUESTS_IN, to->handle);
	if (rc == STORE_ELIMIT)
		rc = xep_fail(st, BC_EPOLICY_VIOLATION,
			      "Too many of your messages are waiting for this "
			      "person to answer, or you opened too many new "
			      "conversations today.  Try again later.");
	else if (rc != 0)
		rc = BC_EINTERNAL;
	else
		metrics.requests_held++;
	if (rc == 0 && is_new)
		requests_notify(bc, from, to, body);
	xmpp_free(bc->xctx, body);
	return rc;
}

/* The request is answered: with withdraw, its subscription request is
 * withdrawn (an unsubscribe from the sender's address: RFC 6121 has the
 * member's server drop a pending inbound request then), so that it is
 * not shown again at the next login.  An answer the member
 * gave by approving or refusing the subscription itself needs none (and
 * after an approval it would cancel what was approved).  keep moves the
 * roster entry out of "Message Requests" rather than removing it. */
static void requests_roster_done(struct bc *bc, char **jids,
				 const char *peer, bool keep, bool withdraw)
{
	char addr[JID_MAX], nick[JID_MAX];
	size_t i;

	ident_address(bc, peer, addr);
	requests_nick(bc, peer, nick, sizeof(nick));
	for (i = 0; jids != NULL && jids[i] != NULL; i++) {
		if (withdraw) {
			xmpp_stanza_t *p = xmpp_presence_new(bc->xctx);

			xmpp_stanza_set_type(p, "unsubscribe");
			xmpp_stanza_set_from(p, addr);
			xmpp_stanza_set_to(p, jids[i]);
			bc_send(bc, p);
		}
		privilege_roster_move(bc, jids[i], addr, nick, keep);
	}
}

int requests_accept(struct bc *bc, const char *handle, const char *peer,
		    bool by_presence)
{
	const struct cfg *cfg = bc->cfg;
	struct store_held *held = NULL;
	char **jids = NULL;
	size_t n = 0, i;
	int rc;

	/* Where they go first: once accepted, the held messages exist only
	 * in memory until they are delivered. */
	if (store_link_list(bc->store, handle, &jids) != 0)
		return BC_EINTERNAL;
	rc = store_request_accept(bc->store, handle, peer, &held, &n);
	if (rc == STORE_NOTFOUND) {
		rc = REQUESTS_NONE_PENDING;
		goto out;
	}
	if (rc != 0) {
		rc = BC_EINTERNAL;
		goto out;
	}
	/* Known both ways: the sender may also hear back.  This and the
	 * evidence are bookkeeping: if they fail, the messages are still
	 * delivered (logged once by the store). */
	if (handle_is_valid(peer))
		(void)store_relation_set(bc->store, peer, handle,
					 STORE_REL_ACCEPTED, 0, 0);
	for (i = 0; i < n; i++)
		(void)store_evidence_add(bc->store, peer, handle,
					 held[i].stanza, cfg->evidence_count,
					 cfg->evidence_age_ms);
	/* In order, and with stamps that say so: messages held within one
	 * millisecond would otherwise carry the same stamp, and a client
	 * that sorts by stamp may show them in any order. */
	for (i = 1; i < n; i++)
		if (held[i].received_ms <= held[i - 1].received_ms)
			held[i].received_ms = held[i - 1].received_ms + 1;
	for (i = 0; i < n; i++)
		(void)relay_deliver_held(bc, (const char *const *)jids,
					 &held[i]);
	requests_roster_done(bc, jids, peer, true, !by_presence);
	metrics.requests_accepted++;
	log_info("%s accepted a message request (%zu held messages)", handle,
		 n);
out:
	store_held_list_free(held, n);
	store_strv_free(jids);
	return rc;
}

int requests_decline(struct bc *bc, const char *handle, const char *peer)
{
	char **jids = NULL;
	int rc = store_request_decline(bc->store, handle, peer,
				       bc->cfg->requests_cooldown_ms);

	if (rc == STORE_NOTFOUND)
		return REQUESTS_NONE_PENDING;
	if (rc != 0)
		return BC_EINTERNAL;
	if (store_link_list(bc->store, handle, &jids) == 0)
		requests_roster_done(bc, jids, peer, false, true);
	store_strv_free(jids);
	metrics.requests_declined++;
	log_info("%s declined a message request", handle);
	return 0;
}

/* Blocking drops a pending request with its messages: the last step of
 * a block, after which the block stands even if this fails (logged by
 * the store; the request stays until the next block or decline).  The
 * held messages go into the evidence log first, so that a report made
 * after the block still has them (bounded and aged out like the rest of
 * the log). */
static void requests_drop_blocked(struct bc *bc, const char *handle,
				  const char *peer)
{
	const struct cfg *cfg = bc->cfg;
	struct store_held *held = NULL;
	char **jids = NULL;
	size_t n = 0, i;
	int rc;

	if (store_held_list(bc->store, handle, peer, &held, &n) == 0)
		for (i = 0; i < n; i++)
			(void)store_evidence_add(bc->store, peer, handle,
						 held[i].stanza,
						 cfg->evidence_count,
						 cfg->evidence_age_ms);
	store_held_list_free(held, n);
	rc = store_request_decline(bc->store, handle, peer, 0);
	if (rc == 0 && store_link_list(bc->store, handle, &jids) == 0)
		requests_roster_done(bc, jids, peer, false, true);
	else if (rc < 0)
		log_warnx("%s blocked %s, but the pending request could not "
			  "be dropped",
			  handle, peer);
	store_strv_free(jids);
}

int requests_block(struct bc *bc, const char *handle, const char *peer)
{
	if (store_relation_set(bc->store, handle, peer, STORE_REL_BLOCKED, 0,
			       0) != 0)
		return BC_EINTERNAL;
	requests_drop_blocked(bc, handle, peer);
	return 0;
}

/* What files a report once peer is blocked: reports_file() with the
 * references, or reports_file_filed() with what a rooms instance chose. */
struct requests_filing {
	const char *reason, *text;
	const struct reports_ref *refs;
	size_t n_refs;
	const struct reports_filed *filed;
};

static int requests_block_and_file(struct bc *bc, const char *handle,
				   const char *peer,
				   const struct requests_filing *how,
				   unsigned long *id)
{
	struct store_relation rel;
	struct store_identity who;
	bool was_blocked;
	int rc;

	*id = 0;
	/* A handle that does not exist: blocked like any other (a block
	 * cannot be told from a missing handle, the contract's rule), but
	 * nothing is filed about nobody.  The caller answers the same. */
	if (handle_is_valid(peer)) {
		rc = store_identity_get(bc->store, peer, &who);
		if (rc == STORE_NOTFOUND)
			return requests_block(bc, handle, peer);
		if (rc != 0)
			return BC_EINTERNAL;
	}
	/* Block, then file (the held messages, still there, are its
	 * evidence), then drop the request.  When filing fails the block
	 * is taken back, so that nothing of a failed report stays. */
	rc = store_relation_get(bc->store, handle, peer, &rel);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return BC_EINTERNAL;
	was_blocked = rc == 0 && (rel.flags & STORE_REL_BLOCKED);
	if (!was_blocked && store_relation_set(bc->store, handle, peer,
					       STORE_REL_BLOCKED, 0, 0) != 0)
		return BC_EINTERNAL;
	rc = how->filed != NULL
		     ? reports_file_filed(bc, how->filed, id)
		     : reports_file(bc, handle, peer, how->reason, how->text,
				    how->refs, how->n_refs, id);
	if (rc != 0) {
		if (!was_blocked)
			(void)store_relation_set(bc->store, handle, peer, 0,
						 STORE_REL_BLOCKED, 0);
		return rc;
	}
	requests_drop_blocked(bc, handle, peer);
	return 0;
}

int requests_report(struct bc *bc, const char *handle, const char *peer,
		    const char *reason, const char *text,
		    const struct reports_ref *refs, size_t n_refs,
		    unsigned long *id)
{
	struct requests_filing how = {reason, text, refs, n_refs, NULL};

	return requests_block_and_file(bc, handle, peer, &how, id);
}

int requests_report_filed(struct bc *bc, const struct reports_filed *f,
			  unsigned long *id)
{
	struct requests_filing how = {f->reason, f->text, NULL, 0, f};

	return requests_block_and_file(bc, f->handle, f->peer, &how, id);
}

int requests_unblock(struct bc *bc, const char *handle, const char *peer)
{
	return store_relation_set(bc->store, handle, peer, 0, STORE_REL_BLOCKED,
				  0) == 0
		       ? 0
		       : BC_EINTERNAL;
}

char *requests_describe(struct bc *bc, const char *handle)
{
	struct store_request *reqs = NULL;
	size_t n = 0, i, used = 0, cap = 1;
	char *out = xcalloc(1, 1);

	if (store_request_list(bc->store, handle, &reqs, &n) != 0)
		return out;
	for (i = 0; i < n; i++) {
		struct store_held *held = NULL;
		size_t nh = 0;
		char nick[JID_MAX], when[40], *body = NULL, *preview, *line;

		requests_nick(bc, reqs[i].sender, nick, sizeof(nick));
		if (store_held_list(bc->store, handle, reqs[i].sender, &held,
				    &nh) == 0 &&
		    nh > 0)
			body = requests_body_of(bc, held[0].stanza);
		store_held_list_free(held, nh);
		preview = requests_defang(body ? body : "", 80);
		clock_format_xep82(reqs[i].created_ms, when, sizeof(when));
		when[16] = '\0'; /* to the minute */
		when[10] = ' ';
		line = xasprintf("%s (%s), %u message%s since %s UTC: %s\n",
				 reqs[i].sender, nick, reqs[i].held,
				 reqs[i].held == 1 ? "" : "s", when, preview);
		free(body);
		free(preview);
		cap = used + strlen(line) + 1;
		out = xreallocarray(out, cap, 1);
		strcpy(out + used, line);
		used += strlen(line);
		free(line);
	}
	store_request_list_free(reqs, n);
	return out;
}

/* Answers to the subscription request that announced a request. */
static int requests_presence(struct xep_stanza *st)
{
	char handle[STORE_HANDLE_SIZE];
	bool yes;
	int rc;

	yes = strcmp(st->type, "subscribed") == 0;
	if (!yes && strcmp(st->type, "unsubscribed") != 0)
		return XEP_PASS;
	rc = store_link_get(st->bc->store, st->from_bare, handle);
	if (rc != 0)
		return XEP_PASS;
	rc = yes ? requests_accept(st->bc, handle, st->to_jid.node, true)
		 : requests_decline(st->bc, handle, st->to_jid.node);
	if (rc == REQUESTS_NONE_PENDING)
		return XEP_PASS; /* no request: an ordinary answer */
	return XEP_OK;       /* presence errors are never answered */
}

/* Ad-hoc "requests": pick a request, see it, answer it. */

static void requests_reason_fields(xmpp_stanza_t *form)
{
	xmpp_stanza_t *f = adhoc_field(form, "reason", "list-single",
				       "Reason (for a report)",
				       "urn:xmpp:reporting:spam");

	adhoc_option(f, "Spam", "urn:xmpp:reporting:spam");
	adhoc_option(f, "Abuse", "urn:xmpp:reporting:abuse");
	adhoc_field(form, "text", "text-single", "Comment (for a report)",
		    NULL);
}

/* Runs action on the request of a->handle from peer; ends the session. */
static int requests_act(struct adhoc *a, const char *peer, const char *action)
{
	char *reason = adhoc_value(a, "reason"), *text = adhoc_value(a, "text");
	char note[JID_MAX + 128];
	unsigned long id = 0;
	int rc;

	if (strcmp(action, "accept") == 0)
		rc = requests_accept(a->st->bc, a->handle, peer, false);
	else if (strcmp(action, "decline") == 0)
		rc = requests_decline(a->st->bc, a->handle, peer);
	else if (strcmp(action, "block") == 0)
		rc = requests_block(a->st->bc, a->handle, peer);
	else if (strcmp(action, "report") == 0 && reason != NULL &&
		 (strcmp(reason, "urn:xmpp:reporting:spam") == 0 ||
		  strcmp(reason, "urn:xmpp:reporting:abuse") == 0))
		rc = reports_allow(a->st, LIMITS_REPORTS, a->handle, 1) != 0
			     ? BC_EPOLICY_VIOLATION
			     : requests_report(a->st->bc, a->handle, peer,
					       reason,
					       text && *text ? text : NULL,
					       NULL, 0, &id);
	else
		rc = xep_fail(a->st, BC_EBAD_REQUEST,
			      "Choose accept, decline, block, or report with "
			      "a reason.");
	free(reason);
	free(text);
	if (rc < 0)
		return rc;
	if (rc == REQUESTS_NONE_PENDING)
		snprintf(note, sizeof(note),
			 "There is no longer a request from %s.", peer);
	else if (strcmp(action, "report") == 0)
		/* The same words whether peer exists or not (no report is
		 * filed about nobody), and no claim about moderators. */
		snprintf(note, sizeof(note),
			 "Reported %s and blocked them.  Your report is "
			 "noted.", peer);
	else
		snprintf(note, sizeof(note), "Done: %s %s.", action, peer);
	adhoc_done(a, rc == REQUESTS_NONE_PENDING ? "warn" : "info", note);
	return XEP_OK;
}

static int requests_cmd(struct adhoc *a)
{
	struct bc *bc = a->st->bc;
	struct store_request *reqs = NULL;
	struct store_held *held = NULL;
	xmpp_stanza_t *form, *f;
	char *peer = NULL, *action = NULL, *body, *preview, when[40], *line;
	size_t n = 0, i;
	int rc = XEP_OK;

	switch (a->stage) {
	case 0:
		if (store_request_list(bc->store, a->handle, &reqs, &n) != 0)
			return BC_EINTERNAL;
		if (n == 0) {
			adhoc_done(a, "info",
				   "You have no pending message requests.");
			break;
		}
		form = adhoc_form(a, "Message requests",
				  "Choose a request to read and answer.", false);
		f = adhoc_field(form, "peer", "list-single", "Request",
				reqs[0].sender);
		xep_add_child(f, "required", NULL);
		for (i = 0; i < n; i++) {
			char nick[JID_MAX];

			requests_nick(bc, reqs[i].sender, nick, sizeof(nick));
			line = xasprintf("%s (%s): %u message%s", nick,
					 reqs[i].sender, reqs[i].held,
					 reqs[i].held == 1 ? "" : "s");
			adhoc_option(f, line, reqs[i].sender);
			free(line);
		}
		a->stage = 1;
		break;
	case 1:
		peer = adhoc_value(a, "peer");
		if (peer == NULL ||
		    store_held_list(bc->store, a->handle, peer, &held, &n) != 0 ||
		    n == 0) {
			rc = xep_fail(a->st, BC_EITEM_NOT_FOUND,
				      "There is no such request.");
			break;
		}
		form = adhoc_form(a, "Message request",
				  "The messages below are waiting.  Accept "
				  "to receive them.",
				  true);
		for (i = 0; i < n; i++) {
			body = requests_body_of(bc, held[i].stanza);
			preview = requests_defang(body ? body : "",
						  REQUESTS_PREVIEW_MAX);
			clock_format_xep82(held[i].received_ms, when,
					   sizeof(when));
			line = xasprintf("%s: %s", when, preview);
			adhoc_field(form, NULL, "fixed", NULL, line);
			free(line);
			free(preview);
			free(body);
		}
		f = adhoc_field(form, "action", "list-single", "Answer",
				"accept");
		xep_add_child(f, "required", NULL);
		adhoc_option(f, "Accept", "accept");
		adhoc_option(f, "Decline", "decline");
		adhoc_option(f, "Block", "block");
		adhoc_option(f, "Report and block", "report");
		requests_reason_fields(form);
		free(a->data);
		a->data = peer;
		peer = NULL;
		a->stage = 2;
		break;
	default:
		action = adhoc_value(a, "action");
		if (a->data == NULL || action == NULL)
			rc = xep_fail(a->st, BC_EBAD_REQUEST,
				      "Choose an answer.");
		else
			rc = requests_act(a, a->data, action);
		break;
	}
	store_request_list_free(reqs, n && reqs ? n : 0);
	store_held_list_free(held, held ? n : 0);
	free(peer);
	free(action);
	return rc;
}

/* Ad-hoc "settings": who may message me directly. */
static int requests_settings_cmd(struct adhoc *a)
{
	static const char *const who_value[] = {
		[STORE_WHO_FOLLOWS] = "follows",
		[STORE_WHO_EVERYONE] = "everyone",
		[STORE_WHO_NOBODY_NEW] = "nobody-new",
	};
	struct store_identity id;
	xmpp_stanza_t *form, *f;
	char *who;
	int i;

	if (store_identity_get(a->st->bc->store, a->handle, &id) != 0)
		return BC_EINTERNAL;
	if (a->stage == 0) {
		form = adhoc_form(a, "Message settings", NULL, true);
		f = adhoc_field(form, "who", "list-single",
				"Who may message me directly", who_value[id.who]);
		adhoc_option(f, "Everyone", "everyone");
		adhoc_option(f, "People I follow (others ask first)",
			     "follows");
		adhoc_option(f, "Nobody new (people I don't know are refused)",
			     "nobody-new");
		a->stage = 1;
		return XEP_OK;
	}
	who = adhoc_value(a, "who");
	for (i = 0; i < 3; i++)
		if (who != NULL && strcmp(who, who_value[i]) == 0)
			break;
	free(who);
	if (i == 3)
		return xep_fail(a->st, BC_EBAD_REQUEST,
				"Choose everyone, follows or nobody-new.");
	id.who = (enum store_who)i;
	if (store_identity_update(a->st->bc->store, &id) != 0)
		return BC_EINTERNAL;
	adhoc_done(a, "info", "Saved.");
	return XEP_OK;
}

/* Ad-hoc "report": report (and block) anyone. */
static int requests_report_cmd(struct adhoc *a)
{
	xmpp_stanza_t *form, *f;
	char *who, peer[JID_MAX];
	int rc;

	if (a->stage == 0) {
		form = adhoc_form(a, "Report someone",
				  "They will be blocked, and the report kept "
				  "for the moderators with the last messages "
				  "they sent you.",
				  true);
		f = adhoc_field(form, "peer", "text-single",
				"Handle or address", NULL);
		xep_add_child(f, "required", NULL);
		requests_reason_fields(form);
		a->stage = 1;
		return XEP_OK;
	}
	who = adhoc_value(a, "peer");
	rc = who != NULL &&
	     ident_peer_node(a->st->bc, who, peer, sizeof(peer)) == 0;
	free(who);
	if (!rc)
		return xep_fail(a->st, BC_EBAD_REQUEST,
				"Give a handle or an address.");
	return requests_act(a, peer, "report");
}

static const struct xep_command requests_commands[] = {
	{"requests", "Message requests", XEP_CMD_MEMBER, requests_cmd},
	{"settings", "Message settings", XEP_CMD_MEMBER, requests_settings_cmd},
	{"report", "Report someone", XEP_CMD_MEMBER, requests_report_cmd},
	{NULL, NULL, 0, NULL},
};

static const struct xep_hook requests_hooks[] = {
	{XEP_PRESENCE, XEP_AT_IDENTITY, requests_presence},
	{0, 0, NULL},
};

const struct xep_module xep_requests = {
	.name = "requests",
	.hooks = requests_hooks,
	.commands = requests_commands,
};
