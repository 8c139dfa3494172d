/*
 * reports.c - abuse reports, and the counters of store_stats().
 *
 * The records (docs/STORE.md has the layouts):
 * reports: be64 id -> reporter, reported, reason, text, created, resolved,
 *          state, evidence
 * meta:    "report-id" -> the last id given
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "component/clock.h"
#include "component/xmalloc.h"
#include "store/store-int.h"

#define RP struct store_report
static const struct store_field store_report_key[] = {
	STORE_FIELD(STORE_F_BE64, RP, id),
	STORE_FIELD_END,
};
static const struct store_field store_report_val[] = {
	STORE_FIELD(STORE_F_STR, RP, reporter),
	STORE_FIELD(STORE_F_STR, RP, reported),
	STORE_FIELD(STORE_F_STR, RP, reason),
	STORE_FIELD(STORE_F_STR, RP, text),
	STORE_FIELD(STORE_F_BE64, RP, created_ms),
	STORE_FIELD(STORE_F_BE64, RP, resolved_ms),
	STORE_FIELD(STORE_F_U8, RP, state),
	STORE_FIELD(STORE_F_STRV, RP, evidence),
	STORE_FIELD_END,
};
#undef RP
static const struct store_rec store_rec_report = {
	STORE_DB_REPORTS, false, sizeof(struct store_report),
	store_report_key, store_report_val, 0, NULL,
};

/* The last report id given. */
struct store_report_id {
	char *name; /* "report-id" */
	uint64_t last;
};

#define RI struct store_report_id
static const struct store_field store_report_id_key[] = {
	STORE_FIELD(STORE_F_STR, RI, name),
	STORE_FIELD_END,
};
static const struct store_field store_report_id_val[] = {
	STORE_FIELD(STORE_F_BE64, RI, last),
	STORE_FIELD_END,
};
#undef RI
static const struct store_rec store_rec_report_id = {
	STORE_DB_META, false, sizeof(struct store_report_id),
	store_report_id_key, store_report_id_val, 0, NULL,
};

void store_report_clear(struct store_report *r)
{
	store_rec_clear(&store_rec_report, r);
}

void store_report_list_free(struct store_report *v, size_t n)
{
	store_rec_list_free(&store_rec_report, v, n);
}

struct store_report_new {
	struct store_report r; /* its strings are the caller's */
	bool with_log;
};

static int store_report_add_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_report_new *a = arg;
	struct store_report_id last = {"report-id", 0};
	struct store_report r = a->r;
	size_t n = 0;
	int rc;

	rc = store_rec_get(st, txn, &store_rec_report_id, &last);
	if (rc == DB_NOTFOUND)
		last.last = 0;
	else if (rc != 0)
		return rc;
	if (r.id == 0) {
		r.id = last.last + 1;
		r.created_ms = clock_now_ms();
		r.resolved_ms = 0;
		r.state = STORE_REPORT_OPEN;
	}
	if (r.id > last.last) {
		last.last = r.id;
		rc = store_rec_put(st, txn, &store_rec_report_id, &last, 0);
		if (rc != 0)
			return rc;
	}
	/* The evidence: what the caller gave, then the log. */
	r.evidence = xcalloc(1, sizeof(char *));
	while (a->r.evidence != NULL && a->r.evidence[n] != NULL) {
		r.evidence = xreallocarray(r.evidence, n + 2, sizeof(char *));
		r.evidence[n] = xstrdup(a->r.evidence[n]);
		r.evidence[++n] = NULL;
	}
	if (a->with_log && r.reported != NULL && r.reporter != NULL)
		rc = store_evidence_append(st, txn, r.reported, r.reporter,
					   &r.evidence, &n);
	if (rc == 0)
		rc = store_rec_put(st, txn, &store_rec_report, &r, 0);
	a->r.id = r.id;
	store_strv_free(r.evidence);
	return rc;
}

int store_report_add(struct store *st, const struct store_report *r,
		     bool with_log, uint64_t *id)
{
	struct store_report_new a = {*r, with_log};
	int rc;

	if (r->reporter == NULL || r->reported == NULL)
		return STORE_EINVAL;
	if (with_log)
		(void)store_evidence_drain(st); /* the log read below */
	rc = store_txn_run(st, "add report", store_report_add_body, &a);
	if (id != NULL)
		*id = rc == 0 ? a.r.id : 0;
	return rc;
}

int store_report_get(struct store *st, uint64_t id, struct store_report *out)
{
	const struct store_step steps[] = {
		STORE_STEP(STORE_GET, &store_rec_report, out),
		STORE_STEPS_END,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	if (id == 0)
		return STORE_NOTFOUND;
	out->id = id;
	rc = store_read_steps(st, "read report", steps);
	if (rc != 0)
		store_report_clear(out);
	return rc;
}

static bool store_report_is_open(const void *rec, void *arg)
{
	return ((const struct store_report *)rec)->state == STORE_REPORT_OPEN;
}

int store_report_list(struct store *st, bool open_only,
		      struct store_report **out, size_t *n)
{
	return store_list(st, "list reports", &store_rec_report, NULL, 0, 0,
			  open_only ? store_report_is_open : NULL, NULL,
			  (void **)out, n);
}

static int store_report_resolve_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_report *r = arg;
	int rc;

	rc = store_rec_get(st, txn, &store_rec_report, r);
	if (rc != 0)
		return rc;
	r->state = STORE_REPORT_RESOLVED;
	r->resolved_ms = clock_now_ms();
	return store_rec_put(st, txn, &store_rec_report, r, 0);
}

int store_report_resolve(struct store *st, uint64_t id)
{
	struct store_report r = {.id = id};
	int rc;

	rc = store_txn_run(st, "resolve report", store_report_resolve_body,
			   &r);
	store_report_clear(&r);
	return rc;
}

/* Stats. */

static int store_stats_room(DBC *c, void *rec, void *arg)
{
	struct store_stats *s = arg;

	s->rooms++;
	if (((struct store_room *)rec)->live)
		s->live_rooms++;
	return 0;
}

static int store_stats_report(DBC *c, void *rec, void *arg)
{
	struct store_stats *s = arg;

	s->reports++;
	if (((struct store_report *)rec)->state == STORE_REPORT_OPEN)
		s->open_reports++;
	return 0;
}

static int store_stats_relation(DBC *c, void *rec, void *arg)
{
	struct store_stats *s = arg;

	s->relations++;
	if (((struct store_relation_entry *)rec)->rel.flags &
	    STORE_REL_BLOCKED)
		s->blocks++;
	return 0;
}

static int store_stats_body(struct store *st, DB_TXN *txn, void *arg)
{
	static const struct {
		enum store_dbi db;
		size_t off;
	} counts[] = {
#define C(db, m) {db, offsetof(struct store_stats, m)}
		C(STORE_DB_IDENTITIES, identities), C(STORE_DB_LINKS, links),
		C(STORE_DB_TOKENS, tokens),	    C(STORE_DB_FOLLOWS, follows),
		C(STORE_DB_REQUESTS, requests),	    C(STORE_DB_HELD, held),
		C(STORE_DB_ARCHIVE, archive),	    C(STORE_DB_EVIDENCE, evidence),
		C(STORE_DB_SUBS, subscriptions),
#undef C
	};
	struct store_stats *s = arg;
	size_t i;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	for (i = 0; rc == 0 && i < sizeof(counts) / sizeof(counts[0]); i++)
		rc = store_dbcount(st, txn, counts[i].db,
				   (uint64_t *)((char *)s + counts[i].off));
	if (rc == 0)
		rc = store_rec_walk(st, txn, &store_rec_relation, NULL, 0, 0,
				    store_stats_relation, s);
	if (rc == 0)
		rc = store_rec_walk(st, txn, &store_rec_room, NULL, 0, 0,
				    store_stats_room, s);
	if (rc == 0)
		rc = store_rec_walk(st, txn, &store_rec_report, NULL, 0, 0,
				    store_stats_report, s);
	return rc;
}

int store_stats(struct store *st, struct store_stats *out)
{
	return store_txn_run(st, "count records", store_stats_body, out);
}
