/*
 * reports.c - abuse reports, and the counters of store_stats().
 *
 * The records (docs/STORE.md has the layouts):
 * reports:   be64 id -> reporter, reported, reason, text, created,
 *            resolved, state, evidence [, outcome, note, resolved by,
 *            until] (the resolution: optional trailing fields, left out
 *            while a report has none, so older values still read)
 * meta:      "report-id" -> the last id given
 * sanctions: address -> suspended until, note, restricted, since
 *
 * Resolving a report, suspending its address and lifting the
 * repeat-offender restriction happen in one transaction.
 */
#include "config.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "component/clock.h"
#include "component/jid.h"
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
	STORE_FIELD_OPT,
	STORE_FIELD(STORE_F_U8, RP, outcome),
	STORE_FIELD(STORE_F_STR, RP, note),
	STORE_FIELD(STORE_F_STR, RP, resolved_by),
	STORE_FIELD(STORE_F_BE64, RP, until_ms),
	STORE_FIELD_END,
};
/* The index of reports by the address they name, as written (bare,
 * lower-cased: a node, node@D or an outside JID), then the id. */
static const struct store_field store_report_ikey[] = {
	STORE_FIELD(STORE_F_ADDR, RP, reported),
	STORE_FIELD(STORE_F_BE64, RP, id),
	STORE_FIELD_END,
};
#undef RP
const struct store_rec store_rec_report = {
	STORE_DB_REPORTS,    false,           sizeof(struct store_report),
	store_report_key,    store_report_val, STORE_DB_REPORTS_BY_ADDR,
	store_report_ikey,
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

#define SN struct store_sanction
static const struct store_field store_sanction_key[] = {
	STORE_FIELD(STORE_F_STR, SN, node),
	STORE_FIELD_END,
};
static const struct store_field store_sanction_val[] = {
	STORE_FIELD(STORE_F_BE64, SN, until_ms),
	STORE_FIELD(STORE_F_STR, SN, note),
	STORE_FIELD(STORE_F_BOOL, SN, restricted),
	STORE_FIELD(STORE_F_BE64, SN, restricted_ms),
	STORE_FIELD_END,
};
#undef SN
/* Cached: the relay reads the sender's on every message. */
static const struct store_rec store_rec_sanction = {
	STORE_DB_SANCTIONS, true, sizeof(struct store_sanction),
	store_sanction_key, store_sanction_val, 0, NULL,
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

/* One page of open reports: from the first id after the last one shown,
 * up to max + 1 (the one more says more follow). */
struct store_report_pager {
	size_t max;
	uint64_t from;
	struct store_report *v;
	size_t n;
};

static int store_report_page_one(DBC *c, const DBT *key, const DBT *val,
				 void *arg)
{
	struct store_report_pager *p = arg;
	struct store_report r;
	int rc;

	(void)c;
	rc = store_rec_decode(&store_rec_report, key->data, key->size,
			      val->data, val->size, &r);
	if (rc != 0 || r.state != STORE_REPORT_OPEN) {
		store_report_clear(&r);
		return rc;
	}
	p->v[p->n++] = r;
	return p->n > p->max ? 1 : 0;
}

static int store_report_page_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_report_pager *p = arg;
	unsigned char lo[8];
	const struct store_range range = {lo, sizeof(lo), NULL, 0};

	while (p->n > 0) /* a retried body starts again */
		store_report_clear(&p->v[--p->n]);
	store_put_be64(lo, p->from);
	return store_dbwalk_range(st, txn, STORE_DB_REPORTS, &range, 0,
				  store_report_page_one, p);
}

int store_report_page(struct store *st, uint64_t after, size_t max,
		      struct store_report **out, size_t *n, bool *more)
{
	struct store_report_pager p = {max, after + 1, NULL, 0};
	int rc;

	*out = NULL;
	*n = 0;
	*more = false;
	if (after == UINT64_MAX)
		return 0;
	p.v = xcalloc(max + 1, sizeof(*p.v)); /* a page and one more */
	rc = store_txn_run(st, "list reports", store_report_page_body, &p);
	if (rc != 0) {
		store_report_list_free(p.v, p.n);
		return rc;
	}
	if (p.n > max) {
		*more = true;
		store_report_clear(&p.v[--p.n]);
	}
	*out = p.v;
	*n = p.n;
	return 0;
}

/* Sanctions. */

void store_sanction_clear(struct store_sanction *s)
{
	store_rec_clear(&store_rec_sanction, s);
}

void store_sanction_list_free(struct store_sanction *v, size_t n)
{
	store_rec_list_free(&store_rec_sanction, v, n);
}

int store_sanction_get(struct store *st, const char *node,
		       struct store_sanction *out)
{
	char key[STORE_ADDR_SIZE];
	struct store_sanction s = {.node = key};
	const struct store_step steps[] = {
		STORE_STEP(STORE_GET, &store_rec_sanction, &s),
		STORE_STEPS_END,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_addr_norm(node, key) != 0)
		return STORE_NOTFOUND;
	rc = store_read_steps(st, "read sanction", steps);
	if (rc != 0) {
		free(s.note);
		return rc;
	}
	*out = s;
	out->node = xstrdup(key);
	return 0;
}

/* Writes s, or deletes its record when it holds nothing. */
static int store_sanction_write(struct store *st, DB_TXN *txn,
				const struct store_sanction *s)
{
	int rc;

	if (s->until_ms != 0 || s->restricted)
		return store_rec_put(st, txn, &store_rec_sanction, s, 0);
	rc = store_rec_del(st, txn, &store_rec_sanction, s, 0);
	return rc == DB_NOTFOUND ? 0 : rc;
}

struct store_sanction_change {
	struct store_sanction s; /* s.node: normalised */
	int64_t until_ms;
	const char *note;
	bool suspend, lift; /* set until_ms and note / clear restricted */
};

/* Reads node's sanction (or a blank one) and changes it as c says. */
static int store_sanction_change_body(struct store *st, DB_TXN *txn,
				      void *arg)
{
	struct store_sanction_change *c = arg;
	int rc;

	rc = store_rec_get(st, txn, &store_rec_sanction, &c->s);
	if (rc == DB_NOTFOUND) {
		if (c->suspend && c->until_ms == 0)
			return DB_NOTFOUND;
		c->s.until_ms = 0;
		c->s.restricted = false;
		c->s.restricted_ms = 0;
	} else if (rc != 0) {
		return rc;
	}
	if (c->suspend) {
		c->s.until_ms = c->until_ms;
		free(c->s.note);
		c->s.note = c->until_ms != 0 && c->note != NULL
				    ? xstrdup(c->note)
				    : NULL;
	}
	if (c->lift) {
		c->s.restricted = false;
		c->s.restricted_ms = 0;
	}
	return store_sanction_write(st, txn, &c->s);
}

int store_sanction_suspend(struct store *st, const char *node,
			   int64_t until_ms, const char *note)
{
	char key[STORE_ADDR_SIZE];
	struct store_sanction_change c = {{.node = key}, until_ms, note, true,
					  false};
	int rc;

	if (store_addr_norm(node, key) != 0 || until_ms < 0)
		return STORE_EINVAL;
	rc = store_txn_run(st, "suspend", store_sanction_change_body, &c);
	free(c.s.note);
	return rc;
}

static int store_sanction_put_body(struct store *st, DB_TXN *txn, void *arg)
{
	return store_sanction_write(st, txn, arg);
}

int store_sanction_put(struct store *st, const struct store_sanction *s)
{
	char key[STORE_ADDR_SIZE];
	struct store_sanction c = *s;

	if (store_addr_norm(s->node, key) != 0 || s->until_ms < 0 ||
	    s->restricted_ms < 0)
		return STORE_EINVAL;
	c.node = key;
	return store_txn_run(st, "write sanction", store_sanction_put_body,
			     &c);
}

int store_sanction_list(struct store *st, struct store_sanction **out,
			size_t *n)
{
	return store_list(st, "list sanctions", &store_rec_sanction, NULL, 0,
			  0, NULL, NULL, (void **)out, n);
}

int store_report_node(const char *addr, const char *domain, char *out,
		      size_t len)
{
	const char *at = addr != NULL ? strchr(addr, '@') : NULL;
	char bare[JID_MAX];
	size_t i, n;

	if (len > 0)
		out[0] = '\0';
	if (addr == NULL || addr[0] == '\0' || len == 0)
		return STORE_EINVAL;
	if (at == NULL) {
		/* A node as it is (a handle or an escaped address): escaped
		 * addresses hold "\\40" and "\\2f", never '@' or '/'. */
		n = strcspn(addr, "/");
		if (n == 0 || n >= len)
			return STORE_EINVAL;
		memcpy(out, addr, n);
		out[n] = '\0';
	} else if (jid_to_bare(addr, bare, sizeof(bare)) != 0) {
		return STORE_EINVAL;
	} else if ((at = strchr(bare, '@')) != NULL && domain != NULL &&
		   strcasecmp(at + 1, domain) == 0) {
		n = (size_t)(at - bare);
		if (n == 0 || n >= len)
			return STORE_EINVAL;
		memcpy(out, bare, n);
		out[n] = '\0';
	} else if (at == NULL || jid_escape_node(bare, out, len) != 0) {
		return STORE_EINVAL;
	}
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] = (char)(out[i] + 32);
	return 0;
}

/* store_report_node() into a key buffer; "" when it names nothing. */
static void store_report_addr(const char *addr, const char *domain,
			      char out[STORE_ADDR_SIZE])
{
	if (store_report_node(addr, domain, out, STORE_ADDR_SIZE) != 0)
		out[0] = '\0';
}

/* The repeat-offender count: distinct reporters of open reports about one
 * address, made since a time. */
struct store_offender {
	const char *domain;
	const char *reported; /* normalised */
	int64_t since_ms;
	char **reporters;
	size_t n;
	bool any_open; /* an open report about it, of any time */
};

static int store_offender_one(DBC *c, void *rec, void *arg)
{
	struct store_report *r = rec;
	struct store_offender *o = arg;
	char a[STORE_ADDR_SIZE];
	size_t i;

	(void)c;
	if (r->state != STORE_REPORT_OPEN)
		return 0;
	store_report_addr(r->reported, o->domain, a);
	if (strcmp(a, o->reported) != 0)
		return 0;
	o->any_open = true;
	if (r->created_ms < o->since_ms || r->reporter == NULL)
		return 0;
	store_report_addr(r->reporter, o->domain, a);
	for (i = 0; i < o->n; i++)
		if (strcmp(o->reporters[i], a) == 0)
			return 0;
	o->reporters = xreallocarray(o->reporters, o->n + 1,
				     sizeof(*o->reporters));
	o->reporters[o->n++] = xstrdup(a);
	return 0;
}

static void store_offender_free(struct store_offender *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->reporters[i]);
	free(o->reporters);
	o->reporters = NULL;
	o->n = 0;
	o->any_open = false;
}

/* Walks the reports about o->reported (a node under o->domain) through
 * the address index: the forms a report can name it in are the node
 * itself, node@D and, for an escaped address, the outside JID it escapes;
 * store_offender_one() checks each report's address again. */
static int store_offender_walk(struct store *st, DB_TXN *txn,
			       struct store_offender *o)
{
	char forms[3][STORE_ADDR_SIZE];
	struct store_report key;
	size_t i, j, n = 0;
	int rc = 0;

	snprintf(forms[n++], STORE_ADDR_SIZE, "%s", o->reported);
	if (o->domain != NULL &&
	    (size_t)snprintf(forms[n], STORE_ADDR_SIZE, "%s@%s", o->reported,
			     o->domain) < STORE_ADDR_SIZE)
		n++;
	if (strstr(o->reported, "\\40") != NULL &&
	    jid_unescape_node(o->reported, forms[n], STORE_ADDR_SIZE) == 0 &&
	    strchr(forms[n], '@') != NULL)
		n++;
	for (i = 0; rc == 0 && i < n; i++) {
		for (j = 0; j < i; j++)
			if (strcasecmp(forms[i], forms[j]) == 0)
				break;
		if (j < i)
			continue;
		memset(&key, 0, sizeof(key));
		key.reported = forms[i];
		rc = store_rec_walk(st, txn, &store_rec_report, &key, 1,
				    STORE_WALK_INDEX, store_offender_one, o);
	}
	return rc;
}

struct store_offender_check {
	struct store_offender o;
	struct store_sanction s; /* s.node: the key */
	unsigned threshold;
	bool restricted;
};

static int store_offender_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_offender_check *a = arg;
	int rc;

	store_offender_free(&a->o); /* a retried body counts again */
	rc = store_offender_walk(st, txn, &a->o);
	if (rc != 0)
		return rc;
	rc = store_rec_get(st, txn, &store_rec_sanction, &a->s);
	if (rc == DB_NOTFOUND) {
		a->s.until_ms = 0;
		a->s.restricted = false;
		a->s.restricted_ms = 0;
	} else if (rc != 0) {
		return rc;
	}
	a->restricted = a->s.restricted;
	if (a->restricted || a->o.n < a->threshold)
		return 0;
	a->s.restricted = a->restricted = true;
	a->s.restricted_ms = clock_now_ms();
	return store_sanction_write(st, txn, &a->s);
}

int store_report_offender(struct store *st, const char *reported,
			  const char *domain, int64_t since_ms,
			  unsigned threshold, bool *restricted)
{
	char key[STORE_ADDR_SIZE];
	struct store_offender_check a;
	int rc;

	if (restricted != NULL)
		*restricted = false;
	if (reported == NULL || reported[0] == '\0' || threshold == 0)
		return STORE_EINVAL;
	store_report_addr(reported, domain, key);
	memset(&a, 0, sizeof(a));
	a.o.domain = domain;
	a.o.reported = key;
	a.o.since_ms = since_ms;
	a.s.node = key;
	a.threshold = threshold;
	rc = store_txn_run(st, "count reports", store_offender_body, &a);
	if (rc == 0 && restricted != NULL)
		*restricted = a.restricted;
	store_offender_free(&a.o);
	free(a.s.note);
	return rc;
}

struct store_settle {
	uint64_t id;
	const struct store_resolution *res;
	struct store_report r;
	char key[STORE_ADDR_SIZE];
	struct store_sanction_change c;
};

static int store_report_settle_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_settle *a = arg;
	struct store_offender o;
	char idtext[24];
	bool any_open;
	int rc;

	store_report_clear(&a->r);
	a->r.id = a->id;
	rc = store_rec_get(st, txn, &store_rec_report, &a->r);
	if (rc != 0)
		return rc;
	if (a->r.state != STORE_REPORT_OPEN)
		return STORE_EEXIST;
	a->r.state = STORE_REPORT_RESOLVED;
	a->r.resolved_ms = clock_now_ms();
	a->r.outcome = a->res->outcome;
	free(a->r.note);
	free(a->r.resolved_by);
	a->r.note = a->res->note ? xstrdup(a->res->note) : NULL;
	a->r.resolved_by = xstrdup(a->res->by ? a->res->by : "");
	a->r.until_ms = a->res->outcome == STORE_OUTCOME_SUSPEND
				? a->res->until_ms
				: 0;
	rc = store_rec_put(st, txn, &store_rec_report, &a->r, 0);
	if (rc != 0)
		return rc;
	store_report_addr(a->r.reported, a->res->domain, a->key);
	if (a->key[0] == '\0')
		return a->r.outcome == STORE_OUTCOME_REMOVE ? STORE_EINVAL : 0;
	/* Any open report about the same address left? */
	memset(&o, 0, sizeof(o));
	o.domain = a->res->domain;
	o.reported = a->key;
	o.since_ms = INT64_MAX;
	rc = store_offender_walk(st, txn, &o);
	any_open = o.any_open;
	store_offender_free(&o);
	if (rc != 0)
		return rc;
	free(a->c.s.note);
	memset(&a->c, 0, sizeof(a->c));
	a->c.s.node = a->key;
	a->c.suspend = a->r.outcome == STORE_OUTCOME_SUSPEND;
	a->c.until_ms = a->r.until_ms;
	a->c.note = a->r.note;
	a->c.lift = !any_open;
	if (a->r.outcome == STORE_OUTCOME_REMOVE) {
		/* The identity goes in the same transaction as the
		 * resolution: never a report resolved "remove" about an
		 * identity still there.  Nothing is left to sanction. */
		rc = store_identity_remove_txn(st, txn, a->key);
		if (rc == DB_NOTFOUND)
			return STORE_EINVAL;
		if (rc != 0)
			return rc;
		rc = store_rec_del(st, txn, &store_rec_sanction, &a->c.s, 0);
		if (rc != 0 && rc != DB_NOTFOUND)
			return rc;
	} else if (a->c.suspend || a->c.lift) {
		rc = store_sanction_change_body(st, txn, &a->c);
		if (rc != 0 && rc != DB_NOTFOUND)
			return rc;
	}
	if (!a->res->announce)
		return 0;
	snprintf(idtext, sizeof(idtext), "%llu", (unsigned long long)a->id);
	return store_change_note(st, txn, STORE_CHANGE_REPORT, idtext);
}

int store_report_settle(struct store *st, uint64_t id,
			const struct store_resolution *res,
			struct store_report *out)
{
	struct store_settle a;
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (id == 0)
		return STORE_NOTFOUND;
	if (res->outcome <= STORE_OUTCOME_NONE ||
	    res->outcome > STORE_OUTCOME_MAX ||
	    (res->outcome == STORE_OUTCOME_SUSPEND && res->until_ms <= 0))
		return STORE_EINVAL;
	memset(&a, 0, sizeof(a));
	a.id = id;
	a.res = res;
	rc = store_txn_run(st, "resolve report", store_report_settle_body,
			   &a);
	free(a.c.s.note);
	if (rc == 0 && out != NULL)
		*out = a.r;
	else
		store_report_clear(&a.r);
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
