/*
 * reports.c - abuse reports, and the counters of store_stats().
 *
 * reports: be64 id -> v1 | str reporter | str reported | str reason |
 *          str text | be64 created | be64 resolved | u8 state |
 *          be32 n | n x str evidence
 * meta:    "report-id" -> v1 | be64 the last id given
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "component/clock.h"
#include "store/store-int.h"

#define STORE_META_REPORT_ID "report-id"

struct store_reparg {
	const struct store_report *in;
	bool with_log;
	uint64_t id;
	bool open_only;
	struct store_report *list;
	size_t n;
	struct store_stats stats;
};

void store_report_clear(struct store_report *r)
{
	if (r == NULL)
		return;
	free(r->reporter);
	free(r->reported);
	free(r->reason);
	free(r->text);
	store_strv_free(r->evidence);
	memset(r, 0, sizeof(*r));
}

void store_report_list_free(struct store_report *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_report_clear(&v[i]);
	free(v);
}

static int store_report_decode(const DBT *key, const DBT *val,
			       struct store_report *r)
{
	struct store_rd rd;
	uint32_t i, n;

	memset(r, 0, sizeof(*r));
	if (key->size != 8)
		return STORE_EFORMAT;
	r->id = store_get_be64(key->data);
	store_rd_init(&rd, val->data, val->size);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	r->reporter = store_rd_str(&rd);
	r->reported = store_rd_str(&rd);
	r->reason = store_rd_str(&rd);
	r->text = store_rd_str(&rd);
	r->created_ms = (int64_t)store_rd_be64(&rd);
	r->resolved_ms = (int64_t)store_rd_be64(&rd);
	r->state = (enum store_report_state)store_rd_u8(&rd);
	n = store_rd_be32(&rd);
	if (rd.bad || n > rd.len / 4)
		return STORE_EFORMAT;
	r->evidence = store_xmalloc(((size_t)n + 1) * sizeof(char *));
	for (i = 0; i < n; i++)
		r->evidence[i] = store_rd_str(&rd);
	r->evidence[n] = NULL;
	return rd.bad ? STORE_EFORMAT : 0;
}

static void store_report_encode(struct store_buf *v,
				const struct store_report *r,
				char *const *evidence)
{
	size_t i, n = 0;

	while (evidence != NULL && evidence[n] != NULL)
		n++;
	store_buf_u8(v, STORE_V1);
	store_buf_str(v, r->reporter);
	store_buf_str(v, r->reported);
	store_buf_str(v, r->reason);
	store_buf_str(v, r->text);
	store_buf_be64(v, (uint64_t)r->created_ms);
	store_buf_be64(v, (uint64_t)r->resolved_ms);
	store_buf_u8(v, (uint8_t)r->state);
	store_buf_be32(v, (uint32_t)n);
	for (i = 0; i < n; i++)
		store_buf_str(v, evidence[i]);
}

static int store_report_add_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_reparg *a = arg;
	struct store_report r = *a->in;
	struct store_buf k, v;
	struct store_rd rd;
	unsigned char *old = NULL;
	size_t len, n = 0;
	uint64_t last = 0;
	char **ev = NULL;
	int rc;

	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_put(&k, STORE_META_REPORT_ID, strlen(STORE_META_REPORT_ID));
	rc = store_dbget(st, txn, STORE_DB_META, &k, &old, &len);
	if (rc == 0) {
		store_rd_init(&rd, old, len);
		if (store_rd_version(&rd) != 0) {
			rc = STORE_EFORMAT;
			goto out;
		}
		last = store_rd_be64(&rd);
		/* A cut-short counter must not read as 0: the next report
		 * would take id 1 again and replace it. */
		if (rd.bad) {
			rc = STORE_EFORMAT;
			goto out;
		}
	} else if (rc != DB_NOTFOUND) {
		goto out;
	}
	if (r.id == 0) {
		r.id = last + 1;
		r.created_ms = clock_now_ms();
		r.resolved_ms = 0;
		r.state = STORE_REPORT_OPEN;
	}
	if (r.id > last) {
		store_buf_u8(&v, STORE_V1);
		store_buf_be64(&v, r.id);
		rc = store_dbput(st, txn, STORE_DB_META, &k, &v, 0);
		if (rc != 0)
			goto out;
	}
	/* The evidence: what the caller gave, then the log. */
	ev = store_xmalloc(sizeof(char *));
	ev[0] = NULL;
	while (r.evidence != NULL && r.evidence[n] != NULL) {
		ev = store_xrealloc(ev, (n + 2) * sizeof(char *));
		ev[n] = store_xstrdup(r.evidence[n]);
		ev[++n] = NULL;
	}
	if (a->with_log && r.reported != NULL && r.reporter != NULL) {
		rc = store_evidence_append(st, txn, r.reported, r.reporter,
					   &ev, &n);
		if (rc != 0)
			goto out;
	}
	store_buf_reset(&k);
	store_buf_be64(&k, r.id);
	store_buf_reset(&v);
	store_report_encode(&v, &r, ev);
	rc = store_dbput(st, txn, STORE_DB_REPORTS, &k, &v, 0);
	a->id = r.id;
out:
	store_strv_free(ev);
	free(old);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_report_add(struct store *st, const struct store_report *r,
		     bool with_log, uint64_t *id)
{
	struct store_reparg a;
	int rc;

	memset(&a, 0, sizeof(a));
	if (r->reporter == NULL || r->reported == NULL)
		return STORE_EINVAL;
	a.in = r;
	a.with_log = with_log;
	if (with_log)
		(void)store_evidence_drain(st); /* the log read below */
	rc = store_txn_run(st, "add report", store_report_add_body, &a);
	if (id != NULL)
		*id = rc == 0 ? a.id : 0;
	return rc;
}

static int store_report_list_one(DBC *c, const DBT *key, const DBT *val,
				  void *arg)
{
	struct store_reparg *a = arg;
	struct store_report r;
	int rc;

	rc = store_report_decode(key, val, &r);
	if (rc != 0 || (a->open_only && r.state != STORE_REPORT_OPEN)) {
		store_report_clear(&r);
		return rc;
	}
	a->list = store_xrealloc(a->list, (a->n + 1) * sizeof(*a->list));
	a->list[a->n++] = r;
	return 0;
}

static int store_report_walk_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_reparg *a = arg;
	unsigned char k[8];

	store_report_list_free(a->list, a->n);
	a->list = NULL;
	a->n = 0;
	if (a->id == 0)
		return store_dbwalk(st, txn, STORE_DB_REPORTS, NULL, 0, 0,
				    store_report_list_one, a);
	store_put_be64(k, a->id);
	return store_dbwalk(st, txn, STORE_DB_REPORTS, k, 8, 0,
			    store_report_list_one, a);
}

int store_report_get(struct store *st, uint64_t id, struct store_report *out)
{
	struct store_reparg a;
	int rc;

	memset(out, 0, sizeof(*out));
	if (id == 0)
		return STORE_NOTFOUND;
	memset(&a, 0, sizeof(a));
	a.id = id;
	rc = store_txn_run(st, "read report", store_report_walk_body, &a);
	if (rc == 0 && a.n == 0)
		rc = STORE_NOTFOUND;
	if (rc == 0) {
		*out = a.list[0];
		free(a.list);
	} else {
		store_report_list_free(a.list, a.n);
	}
	return rc;
}

int store_report_list(struct store *st, bool open_only,
		      struct store_report **out, size_t *n)
{
	struct store_reparg a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.open_only = open_only;
	rc = store_txn_run(st, "list reports", store_report_walk_body, &a);
	if (rc == 0) {
		*out = a.list;
		*n = a.n;
	} else {
		store_report_list_free(a.list, a.n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static int store_report_resolve_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_reparg *a = arg;
	struct store_report r;
	struct store_buf k, v;
	unsigned char *old = NULL;
	size_t len;
	DBT dk, dv;
	int rc;

	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_be64(&k, a->id);
	rc = store_dbget(st, txn, STORE_DB_REPORTS, &k, &old, &len);
	if (rc != 0)
		goto out;
	memset(&dk, 0, sizeof(dk));
	memset(&dv, 0, sizeof(dv));
	dk.data = k.p;
	dk.size = (uint32_t)k.len;
	dv.data = old;
	dv.size = (uint32_t)len;
	rc = store_report_decode(&dk, &dv, &r);
	if (rc == 0) {
		r.state = STORE_REPORT_RESOLVED;
		r.resolved_ms = clock_now_ms();
		store_report_encode(&v, &r, r.evidence);
		rc = store_dbput(st, txn, STORE_DB_REPORTS, &k, &v, 0);
	}
	store_report_clear(&r);
out:
	free(old);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_report_resolve(struct store *st, uint64_t id)
{
	struct store_reparg a;

	memset(&a, 0, sizeof(a));
	a.id = id;
	return store_txn_run(st, "resolve report", store_report_resolve_body,
			     &a);
}

/* Stats. */

static int store_stats_rooms(DBC *c, const DBT *key, const DBT *val,
			     void *arg)
{
	struct store_stats *s = arg;
	struct store_rd rd;
	char *t;

	store_rd_init(&rd, val->data, val->size);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	free(store_rd_str(&rd));
	t = store_rd_str(&rd);
	free(t);
	store_rd_u8(&rd);
	if (store_rd_u8(&rd))
		s->live_rooms++;
	s->rooms++;
	return 0;
}

static int store_stats_reports(DBC *c, const DBT *key, const DBT *val,
			       void *arg)
{
	struct store_stats *s = arg;
	struct store_report r;
	int rc;

	rc = store_report_decode(key, val, &r);
	if (rc == 0) {
		s->reports++;
		if (r.state == STORE_REPORT_OPEN)
			s->open_reports++;
	}
	store_report_clear(&r);
	return rc;
}

static int store_stats_relations(DBC *c, const DBT *key, const DBT *val,
				 void *arg)
{
	struct store_stats *s = arg;
	const unsigned char *p = val->data;

	s->relations++;
	if (val->size >= 2 && (p[1] & STORE_REL_BLOCKED))
		s->blocks++;
	return 0;
}

static int store_stats_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_stats *s = &((struct store_reparg *)arg)->stats;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = store_dbcount(st, txn, STORE_DB_IDENTITIES, &s->identities)) ||
	    (rc = store_dbcount(st, txn, STORE_DB_LINKS, &s->links)) ||
	    (rc = store_dbcount(st, txn, STORE_DB_TOKENS, &s->tokens)) ||
	    (rc = store_dbcount(st, txn, STORE_DB_FOLLOWS, &s->follows)) ||
	    (rc = store_dbcount(st, txn, STORE_DB_REQUESTS, &s->requests)) ||
	    (rc = store_dbcount(st, txn, STORE_DB_HELD, &s->held)) ||
	    (rc = store_dbcount(st, txn, STORE_DB_ARCHIVE, &s->archive)) ||
	    (rc = store_dbcount(st, txn, STORE_DB_EVIDENCE, &s->evidence)) ||
	    (rc = store_dbcount(st, txn, STORE_DB_SUBS, &s->subscriptions)))
		return rc;
	rc = store_dbwalk(st, txn, STORE_DB_RELATIONS, NULL, 0, 0,
			  store_stats_relations, s);
	if (rc == 0)
		rc = store_dbwalk(st, txn, STORE_DB_ROOMS, NULL, 0, 0,
				  store_stats_rooms, s);
	if (rc == 0)
		rc = store_dbwalk(st, txn, STORE_DB_REPORTS, NULL, 0, 0,
				  store_stats_reports, s);
	return rc;
}

int store_stats(struct store *st, struct store_stats *out)
{
	struct store_reparg a;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = store_txn_run(st, "count records", store_stats_body, &a);
	*out = a.stats;
	return rc;
}
