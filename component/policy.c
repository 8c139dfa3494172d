/*
 * policy.c - blocks, "knows" and moderation's sanctions (see policy.h and
 * the contract's one-to-one and report rules).
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
#include "store/store.h"
#include "xep/xep.h"

bool policy_blocks(struct bc *bc, const char *handle, const char *peer)
{
	struct store_relation rel;

	return store_relation_get(bc->store, handle, peer, &rel) == 0 &&
	       (rel.flags & STORE_REL_BLOCKED);
}

bool policy_knows(struct bc *bc, const char *handle, const char *sender,
		  const char *bare)
{
	if (bare != NULL &&
	    (cfg_is_admin(bc->cfg, bare) || cfg_is_moderator(bc->cfg, bare)))
		return true;
	return store_knows(bc->store, handle, sender) == 0;
}

enum policy_sanction policy_sanction(struct bc *bc, const char *node,
				     int64_t *until_ms)
{
	struct store_sanction s;
	enum policy_sanction out = POLICY_FREE;

	*until_ms = 0;
	if (store_sanction_get(bc->store, node, &s) != 0)
		return POLICY_FREE; /* none, or a failure the store logged */
	if (s.until_ms > clock_now_ms()) {
		out = POLICY_SUSPENDED;
		*until_ms = s.until_ms;
	} else if (s.restricted) {
		out = POLICY_RESTRICTED;
	}
	store_sanction_clear(&s);
	return out;
}

const char *policy_suspended_text(int64_t until_ms)
{
	/* The error text outlives the call (the router sends it after the
	 * handler returns); one stanza is handled at a time. */
	static char text[160];
	char when[40];

	clock_format_xep82(until_ms, when, sizeof(when));
	snprintf(text, sizeof(text),
		 "Your account is suspended by the moderators until %s.",
		 when);
	return text;
}

int policy_may_send(struct xep_stanza *st, const char *sender,
		    const char *to_handle)
{
	int64_t until;

	switch (policy_sanction(st->bc, sender, &until)) {
	case POLICY_SUSPENDED:
		return xep_fail(st, BC_EPOLICY_VIOLATION,
				policy_suspended_text(until));
	case POLICY_RESTRICTED:
		if (to_handle == NULL ||
		    policy_knows(st->bc, to_handle, sender, st->from_bare))
			return 0;
		return xep_fail(st, BC_EPOLICY_VIOLATION,
				"Reports about you are being reviewed: until "
				"then you can only write to people who know "
				"you.");
	default:
		return 0;
	}
}

void policy_report_filed(struct bc *bc, const char *reported)
{
	char node[JID_MAX];
	bool restricted = false;

	if (bc->cfg->report_threshold == 0 || reported == NULL ||
	    store_report_node(reported, bc->cfg->service_domain, node,
			      sizeof(node)) != 0)
		return;
	if (store_report_offender(bc->store, node, bc->cfg->service_domain,
				  clock_now_ms() - bc->cfg->report_window_ms,
				  bc->cfg->report_threshold, &restricted) != 0)
		log_warnx("reports: the reports about %s could not be counted",
			  node);
	else if (restricted)
		log_info("%s is restricted as a repeat offender", node);
}
