/*
 * moderation.h - resolving reports (xep/moderation.c): shared by the
 * moderators' ad-hoc commands and the daemon's announcements of what
 * backchannelctl resolved.
 */
#ifndef BC_XEP_MODERATION_H
#define BC_XEP_MODERATION_H

#include <stdint.h>

#include "store/store.h"

struct bc;

/* moderation_resolve()'s refusals (positive: nothing changed). */
#define MOD_ENOREPORT 1  /* no such report */
#define MOD_EDONE 2      /* it was resolved already */
#define MOD_EDURATION 3  /* a suspension needs a length */
#define MOD_ENOTMEMBER 4 /* only an identity can be removed */

/* The outcome's name (dismiss, warn, suspend, remove, none) and back:
 * 0, or -1 for a name that is none of the four actions. */
const char *moderation_outcome_name(enum store_report_outcome o);
int moderation_outcome_parse(const char *name, enum store_report_outcome *out);

/* Resolves open report id as moderator by (a bare JID) decided: a
 * suspension lasts duration_ms from now; remove removes the reported
 * identity.  The report as stored goes into *out (store_report_clear()).
 * Tells nobody: moderation_announce() does.  Returns 0, a MOD_E* refusal
 * or a BC_E* code. */
int moderation_resolve(struct bc *bc, uint64_t id,
		       enum store_report_outcome outcome, int64_t duration_ms,
		       const char *note, const char *by,
		       struct store_report *out);

/* Sends, from D, the reporter the outcome of resolved report r (to its
 * linked accounts, or to its bare JID), and the reported account a
 * warning or its suspension. */
void moderation_announce(struct bc *bc, const struct store_report *r);

#endif
