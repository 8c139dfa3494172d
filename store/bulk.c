/*
 * bulk.c - whole-database lists and as-is writes for backup and restore
 * (backchannelctl dump and load): tokens, relationships, requests with
 * their held messages, and evidence.  The value formats are those of
 * identity.c and relation.c (docs/STORE.md).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"

struct store_bulkarg {
	const char *a, *b;
	const struct store_token *token;
	const struct store_relation *rel;
	const struct store_request *req;
	const struct store_held *held;
	size_t nheld;
	const struct store_evidence *ev;
	struct store_token *tokens;
	struct store_relation_entry *rels;
	struct store_evidence *evs;
	size_t n;
};

static char *store_lower_dup(const char *s)
{
	char *d = store_xstrdup(s);
	char *p;

	for (p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static char *store_part(const void *p, size_t n)
{
	char *s = store_xmalloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Tokens. */

void store_token_list_free(struct store_token *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].used_by);
	free(v);
}

static int store_token_one(DBC *c, const DBT *key, const DBT *val, void *arg)
{
	struct store_bulkarg *a = arg;
	struct store_token *t;
	struct store_rd rd;

	if (key->size >= STORE_TOKEN_SIZE)
		return STORE_EFORMAT;
	a->tokens = store_xrealloc(a->tokens, (a->n + 1) * sizeof(*a->tokens));
	t = &a->tokens[a->n++];
	memset(t, 0, sizeof(*t));
	memcpy(t->token, key->data, key->size);
	store_rd_init(&rd, val->data, val->size);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	store_rd_strbuf(&rd, t->handle, sizeof(t->handle));
	t->created_ms = (int64_t)store_rd_be64(&rd);
	t->expires_ms = (int64_t)store_rd_be64(&rd);
	t->used = store_rd_u8(&rd) != 0;
	t->used_by = store_rd_str(&rd);
	return rd.bad ? STORE_EFORMAT : 0;
}

static int store_token_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_bulkarg *a = arg;

	store_token_list_free(a->tokens, a->n);
	a->tokens = NULL;
	a->n = 0;
	return store_dbwalk(st, txn, STORE_DB_TOKENS, NULL, 0, 0,
			    store_token_one, a);
}

int store_token_list(struct store *st, struct store_token **out, size_t *n)
{
	struct store_bulkarg a;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = store_txn_run(st, "list tokens", store_token_list_body, &a);
	if (rc != 0) {
		store_token_list_free(a.tokens, a.n);
		a.tokens = NULL;
		a.n = 0;
	}
	*out = a.tokens;
	*n = a.n;
	return rc;
}

static int store_token_put_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_bulkarg *a = arg;
	const struct store_token *t = a->token;
	struct store_buf k, v;
	int rc;

	rc = store_identity_check(st, txn, a->a);
	if (rc != 0)
		return rc;
	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_put(&k, t->token, strlen(t->token));
	store_buf_u8(&v, STORE_V1);
	store_buf_str(&v, a->a);
	store_buf_be64(&v, (uint64_t)t->created_ms);
	store_buf_be64(&v, (uint64_t)t->expires_ms);
	store_buf_u8(&v, t->used ? 1 : 0);
	store_buf_str(&v, t->used_by);
	rc = store_dbput(st, txn, STORE_DB_TOKENS, &k, &v, DB_NOOVERWRITE);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_token_put(struct store *st, const struct store_token *t)
{
	char h[STORE_HANDLE_SIZE];
	struct store_bulkarg a;
	size_t len = strnlen(t->token, STORE_TOKEN_SIZE);

	if (len == 0 || len >= STORE_TOKEN_SIZE)
		return STORE_EINVAL;
	if (store_handle_norm(t->handle, h) != 0)
		return STORE_NOTFOUND;
	memset(&a, 0, sizeof(a));
	a.a = h;
	a.token = t;
	return store_txn_run(st, "write token", store_token_put_body, &a);
}

/* Relationships. */

void store_relation_list_free(struct store_relation_entry *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].owner);
		free(v[i].peer);
	}
	free(v);
}

static int store_relation_one(DBC *c, const DBT *key, const DBT *val,
			      void *arg)
{
	struct store_bulkarg *a = arg;
	struct store_relation_entry *e;
	const char *k = key->data;
	const char *sep = memchr(k, '\0', key->size);
	struct store_rd rd;

	if (sep == NULL)
		return STORE_EFORMAT;
	a->rels = store_xrealloc(a->rels, (a->n + 1) * sizeof(*a->rels));
	e = &a->rels[a->n++];
	e->owner = store_part(k, (size_t)(sep - k));
	e->peer = store_part(sep + 1, key->size - (size_t)(sep - k) - 1);
	store_rd_init(&rd, val->data, val->size);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	e->rel.flags = store_rd_u8(&rd);
	e->rel.declined_until_ms = (int64_t)store_rd_be64(&rd);
	e->rel.updated_ms = (int64_t)store_rd_be64(&rd);
	return rd.bad ? STORE_EFORMAT : 0;
}

static int store_relation_all_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_bulkarg *a = arg;

	store_relation_list_free(a->rels, a->n);
	a->rels = NULL;
	a->n = 0;
	return store_dbwalk(st, txn, STORE_DB_RELATIONS, NULL, 0, 0,
			    store_relation_one, a);
}

int store_relation_list_all(struct store *st,
			    struct store_relation_entry **out, size_t *n)
{
	struct store_bulkarg a;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = store_txn_run(st, "list relationships", store_relation_all_body,
			   &a);
	if (rc != 0) {
		store_relation_list_free(a.rels, a.n);
		a.rels = NULL;
		a.n = 0;
	}
	*out = a.rels;
	*n = a.n;
	return rc;
}

static void store_pair(struct store_buf *k, const char *a, const char *b)
{
	store_buf_key(k, a);
	store_buf_put(k, b, strlen(b));
}

static int store_relation_put_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_bulkarg *a = arg;
	struct store_buf k, v;
	int rc;

	store_buf_init(&k);
	store_buf_init(&v);
	store_pair(&k, a->a, a->b);
	if (a->rel->flags == 0) {
		rc = store_dbdel(st, txn, STORE_DB_RELATIONS, &k);
		if (rc == DB_NOTFOUND)
			rc = 0;
	} else {
		store_buf_u8(&v, STORE_V1);
		store_buf_u8(&v, (uint8_t)a->rel->flags);
		store_buf_be64(&v, (uint64_t)a->rel->declined_until_ms);
		store_buf_be64(&v, (uint64_t)a->rel->updated_ms);
		rc = store_dbput(st, txn, STORE_DB_RELATIONS, &k, &v, 0);
	}
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_relation_put(struct store *st, const char *owner, const char *peer,
		       const struct store_relation *rel)
{
	struct store_bulkarg a;
	int rc;

	if (owner == NULL || peer == NULL || *owner == '\0' || *peer == '\0')
		return STORE_EINVAL;
	memset(&a, 0, sizeof(a));
	a.a = store_lower_dup(owner);
	a.b = store_lower_dup(peer);
	a.rel = rel;
	rc = store_txn_run(st, "write relationship", store_relation_put_body,
			   &a);
	free((char *)a.a);
	free((char *)a.b);
	return rc;
}

/* Requests. */

static int store_request_put_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_bulkarg *a = arg;
	struct store_buf k, v;
	size_t i, plen;
	int rc;

	store_buf_init(&k);
	store_buf_init(&v);
	store_pair(&k, a->a, a->b);
	store_buf_u8(&v, STORE_V1);
	store_buf_be64(&v, (uint64_t)a->req->created_ms);
	store_buf_be64(&v, (uint64_t)a->req->updated_ms);
	store_buf_be32(&v, (uint32_t)a->nheld);
	rc = store_dbput(st, txn, STORE_DB_REQUESTS, &k, &v, DB_NOOVERWRITE);
	store_buf_u8(&k, 0);
	plen = k.len;
	for (i = 0; rc == 0 && i < a->nheld; i++) {
		k.len = plen;
		store_buf_be64(&k, (uint64_t)a->held[i].received_ms);
		store_buf_be32(&k, store_next_seq(st));
		store_buf_reset(&v);
		store_buf_u8(&v, STORE_V1);
		store_buf_be64(&v, (uint64_t)a->held[i].received_ms);
		store_buf_str(&v, a->held[i].stanza);
		rc = store_dbput(st, txn, STORE_DB_HELD, &k, &v, 0);
	}
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_request_put(struct store *st, const char *recipient,
		      const struct store_request *r,
		      const struct store_held *held, size_t n)
{
	struct store_bulkarg a;
	int rc;

	if (recipient == NULL || r->sender == NULL || *recipient == '\0' ||
	    *r->sender == '\0')
		return STORE_EINVAL;
	memset(&a, 0, sizeof(a));
	a.a = store_lower_dup(recipient);
	a.b = store_lower_dup(r->sender);
	a.req = r;
	a.held = held;
	a.nheld = n;
	rc = store_txn_run(st, "write request", store_request_put_body, &a);
	free((char *)a.a);
	free((char *)a.b);
	return rc;
}

/* Evidence. */

void store_evidence_list_free(struct store_evidence *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].sender);
		free(v[i].recipient);
		free(v[i].text);
	}
	free(v);
}

static int store_evidence_all_one(DBC *c, const DBT *key, const DBT *val,
				  void *arg)
{
	struct store_bulkarg *a = arg;
	struct store_evidence *e;
	struct store_rd kr, rd;

	a->evs = store_xrealloc(a->evs, (a->n + 1) * sizeof(*a->evs));
	e = &a->evs[a->n++];
	memset(e, 0, sizeof(*e));
	store_rd_init(&kr, key->data, key->size);
	e->sender = store_rd_key(&kr);
	e->recipient = store_rd_key(&kr);
	store_rd_init(&rd, val->data, val->size);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	e->ms = (int64_t)store_rd_be64(&rd);
	e->text = store_rd_str(&rd);
	return rd.bad ? STORE_EFORMAT : 0;
}

static int store_evidence_all_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_bulkarg *a = arg;

	store_evidence_list_free(a->evs, a->n);
	a->evs = NULL;
	a->n = 0;
	return store_dbwalk(st, txn, STORE_DB_EVIDENCE, NULL, 0, 0,
			    store_evidence_all_one, a);
}

int store_evidence_list_all(struct store *st, struct store_evidence **out,
			    size_t *n)
{
	struct store_bulkarg a;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = store_txn_run(st, "list evidence", store_evidence_all_body, &a);
	if (rc != 0) {
		store_evidence_list_free(a.evs, a.n);
		a.evs = NULL;
		a.n = 0;
	}
	*out = a.evs;
	*n = a.n;
	return rc;
}

static int store_evidence_put_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_bulkarg *a = arg;
	struct store_buf k, v;
	int rc;

	store_buf_init(&k);
	store_buf_init(&v);
	store_pair(&k, a->a, a->b);
	store_buf_u8(&k, 0);
	store_buf_be64(&k, (uint64_t)a->ev->ms);
	store_buf_be32(&k, store_next_seq(st));
	store_buf_u8(&v, STORE_V1);
	store_buf_be64(&v, (uint64_t)a->ev->ms);
	store_buf_str(&v, a->ev->text);
	rc = store_dbput(st, txn, STORE_DB_EVIDENCE, &k, &v, 0);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_evidence_put(struct store *st, const struct store_evidence *e)
{
	struct store_bulkarg a;
	int rc;

	if (e->sender == NULL || e->recipient == NULL || *e->sender == '\0' ||
	    *e->recipient == '\0')
		return STORE_EINVAL;
	memset(&a, 0, sizeof(a));
	a.a = store_lower_dup(e->sender);
	a.b = store_lower_dup(e->recipient);
	a.ev = e;
	rc = store_txn_run(st, "write evidence", store_evidence_put_body, &a);
	free((char *)a.a);
	free((char *)a.b);
	return rc;
}
