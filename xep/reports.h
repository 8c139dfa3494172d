/*
 * reports.h - abuse reports: stored with evidence, sent on to the
 * moderators as XEP-0377 stanzas.
 */
#ifndef BC_XEP_REPORTS_H
#define BC_XEP_REPORTS_H

#include "component/limits.h"

struct bc;
struct xep_stanza;

/* The abuse bound on reports: takes n from the allowance of key (of kind
 * LIMITS_REPORTS or LIMITS_FORWARDED_IN) for the stanza st that files
 * them.  Returns 0, or fails st with <policy-violation/> (logged by
 * component/limits.c) and returns that code. */
int reports_allow(struct xep_stanza *st, enum limits_kind kind,
		  const char *key, unsigned n);

/* The member handle reports peer (a handle or an escaped address) for
 * reason (a XEP-0377 URN) with optional text: the report is stored with
 * its evidence (the messages held from peer and the evidence log).
 * Returns 0 (the report's id in *id) or a BC_E* code.  Blocking and
 * telling the moderators (reports_announce()) are the caller's:
 * requests_report() does all three. */
int reports_file(struct bc *bc, const char *handle, const char *peer,
		 const char *reason, const char *text, unsigned long *id);

/* Tells every configured moderator of the filed report id (XEP-0377),
 * naming reporter and reported by their addresses. */
void reports_announce(struct bc *bc, unsigned long id, const char *handle,
		      const char *peer, const char *reason, const char *text);

/* Stores a report that came from elsewhere (a server forwarding one, a
 * non-member) and tells the moderators; reporter and reported are kept as
 * given.  evidence may be NULL.  Returns 0 (the id in *id) or a BC_E*
 * code. */
int reports_received(struct bc *bc, const char *reporter,
		     const char *reported, const char *reason,
		     const char *text, char **evidence, unsigned long *id);

#endif
