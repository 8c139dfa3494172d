/*
 * reports.c - abuse reports (XEP-0377): storing them with their evidence
 * and telling the service's moderators.  Shared by the XEP-0191 block
 * items (xep/blocking.c), the text commands (xep/bot.c) and the ad-hoc
 * command (xep/requests.c); not a module of its own.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/bc.h"
#include "component/cfg.h"
#include "component/identity.h"
#include "component/limits.h"
#include "component/log.h"
#include "component/metrics.h"
#include "component/policy.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "xep/ns.h"
#include "xep/reports.h"
#include "xep/xep.h"

/* XEP-0377: tells every configured moderator, naming reporter and
 * reported by the addresses given. */
static void reports_tell_moderators(struct bc *bc, uint64_t id,
				     const char *reporter, const char *reported,
				     const char *reason, const char *text)
{
	char idtext[32];
	size_t i;

	snprintf(idtext, sizeof(idtext), "%llu", (unsigned long long)id);
	for (i = 0; i < bc->cfg->moderators.n; i++) {
		xmpp_stanza_t *m = xmpp_message_new(bc->xctx, "normal",
						    bc->cfg->moderators.v[i],
						    NULL);
		xmpp_stanza_t *r, *j;
		char *summary =
			xasprintf("Report %s: %s reported %s (%s)%s%s", idtext,
				  reporter, reported, reason,
				  text && *text ? ": " : "", text ? text : "");

		xmpp_stanza_set_from(m, bc->cfg->service_domain);
		xmpp_message_set_body(m, summary);
		free(summary);
		r = xep_add_child(m, "report", NS_REPORTING);
		xmpp_stanza_set_attribute(r, "reason", reason);
		j = xep_add_child(r, "jid", NS_JID);
		xep_add_text(j, reported);
		if (text != NULL && *text != '\0')
			xep_add_text_child(r, "text", text);
		bc_send(bc, m);
	}
}

int reports_allow(struct xep_stanza *st, enum limits_kind kind,
		  const char *key, unsigned n)
{
	if (limits_take(st->bc->limits, kind, key, n))
		return 0;
	return xep_fail(st, BC_EPOLICY_VIOLATION,
			kind == LIMITS_REPORTS
				? "You have filed as many reports as you may "
				  "today; try again tomorrow."
				: "This service takes no more reports from "
				  "your domain today.");
}

int reports_received(struct bc *bc, const char *reporter,
			     const char *reported, const char *reason,
			     const char *text, char **evidence,
			     unsigned long *id)
{
	struct store_report r;
	uint64_t rid = 0;

	memset(&r, 0, sizeof(r));
	r.reporter = (char *)reporter;
	r.reported = (char *)reported;
	r.reason = (char *)reason;
	r.text = (char *)text;
	r.evidence = evidence;
	if (store_report_add(bc->store, &r, false, &rid) != 0)
		return BC_EINTERNAL;
	policy_report_filed(bc, reported);
	metrics.reports++;
	reports_tell_moderators(bc, rid, reporter, reported, reason, text);
	log_info("a report (%llu) came from %s", (unsigned long long)rid,
		 reporter);
	*id = (unsigned long)rid;
	return 0;
}

int reports_file(struct bc *bc, const char *handle, const char *peer,
		    const char *reason, const char *text, unsigned long *id)
{
	struct store_report r;
	struct store_held *held = NULL;
	char **evidence;
	size_t n = 0, i;
	uint64_t rid = 0;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = store_held_list(bc->store, handle, peer, &held, &n);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return BC_EINTERNAL;
	evidence = xcalloc(n + 1, sizeof(*evidence));
	for (i = 0; i < n; i++)
		evidence[i] = held[i].stanza;
	r.reporter = (char *)handle;
	r.reported = (char *)peer;
	r.reason = (char *)reason;
	r.text = (char *)text;
	r.evidence = evidence;
	rc = store_report_add(bc->store, &r, true, &rid);
	free(evidence);
	store_held_list_free(held, n);
	if (rc != 0)
		return BC_EINTERNAL;
	policy_report_filed(bc, peer);
	metrics.reports++;
	*id = (unsigned long)rid;
	return 0;
}

void reports_announce(struct bc *bc, unsigned long id, const char *handle,
		      const char *peer, const char *reason, const char *text)
{
	char reporter[JID_MAX], reported[JID_MAX];

	ident_address(bc, handle, reporter);
	ident_address(bc, peer, reported);
	reports_tell_moderators(bc, id, reporter, reported, reason, text);
	log_info("%s reported %s (report %lu)", handle, peer, id);
}

