/*
 * reports.h - abuse reports: stored with evidence, sent on to the
 * moderators as XEP-0377 stanzas.
 */
#ifndef BC_XEP_REPORTS_H
#define BC_XEP_REPORTS_H

struct bc;

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
