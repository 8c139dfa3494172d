/*
 * identity.c - identities, links between real JIDs and identities, link
 * tokens, and the normalisation of handles and JIDs.
 *
 * identities: handle -> v1 | str name | u8 bot | u8 who | be64 created
 * links:      jid -> v1 | str handle | be64 linked
 * links-by-handle (index): handle \0 -> jid (sorted duplicates)
 * tokens:     token -> v1 | str handle | be64 created | be64 expires |
 *             u8 used | str used-by
 * subscriptions: handle \0 jid -> v1 | be64 created
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "component/clock.h"
#include "component/jid.h"
#include "component/log.h"
#include "store/store-int.h"

void store_strv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Names follow the component's rules (component/jid.c), so that the store
 * and the router can never disagree on what a handle or a JID is. */
int store_handle_norm(const char *in, char out[STORE_HANDLE_SIZE])
{
	if (in == NULL || handle_normalise(in, out) != 0)
		return STORE_EINVAL;
	return 0;
}

int store_jid_norm(const char *in, char out[STORE_JID_SIZE])
{
	if (in == NULL || jid_to_bare(in, out, STORE_JID_SIZE) != 0)
		return STORE_EINVAL;
	return 0;
}

/* Encodings. */

static void store_identity_encode(struct store_buf *v,
				  const struct store_identity *id)
{
	store_buf_u8(v, STORE_V1);
	store_buf_str(v, id->name);
	store_buf_u8(v, id->bot ? 1 : 0);
	store_buf_u8(v, (uint8_t)id->who);
	store_buf_be64(v, (uint64_t)id->created_ms);
}

static int store_identity_decode(const char *handle, const unsigned char *p,
				 size_t len, struct store_identity *out)
{
	struct store_rd r;
	size_t n;

	memset(out, 0, sizeof(*out));
	n = strlen(handle);
	if (n >= STORE_HANDLE_SIZE)
		return STORE_EFORMAT;
	memcpy(out->handle, handle, n + 1);
	store_rd_init(&r, p, len);
	if (store_rd_version(&r) != 0)
		return STORE_EFORMAT;
	store_rd_strbuf(&r, out->name, sizeof(out->name));
	out->bot = store_rd_u8(&r) != 0;
	out->who = (enum store_who)store_rd_u8(&r);
	out->created_ms = (int64_t)store_rd_be64(&r);
	return r.bad ? STORE_EFORMAT : 0;
}

/* Shared argument of the bodies below. */
struct store_idarg {
	char handle[STORE_HANDLE_SIZE];
	char jid[STORE_JID_SIZE];
	const char *token;
	int64_t ttl_ms;
	const struct store_identity *in;
	struct store_identity *out;
	struct store_identity *list;
	size_t n;
	char linked[STORE_HANDLE_SIZE];
	char **strv;
	size_t strv_n;
	int why; /* token redeem: the positive outcome of a refusal */
};

static int store_identity_exists(struct store *st, DB_TXN *txn,
				 const char *handle)
{
	struct store_buf k;
	unsigned char *v;
	size_t len;
	int rc;

	store_buf_init(&k);
	store_buf_put(&k, handle, strlen(handle));
	rc = store_dbget(st, txn, STORE_DB_IDENTITIES, &k, &v, &len);
	free(v);
	store_buf_free(&k);
	return rc;
}

static int store_identity_put_body(struct store *st, DB_TXN *txn, void *arg,
				   uint32_t flags)
{
	struct store_idarg *a = arg;
	struct store_identity id = *a->in;
	struct store_buf k, v;
	int rc;

	memcpy(id.handle, a->handle, sizeof(id.handle));
	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_put(&k, a->handle, strlen(a->handle));
	if (flags == 0) { /* update: keep the creation time */
		unsigned char *old;
		size_t len;
		struct store_identity cur;

		rc = store_dbget(st, txn, STORE_DB_IDENTITIES, &k, &old, &len);
		if (rc != 0)
			goto out;
		rc = store_identity_decode(a->handle, old, len, &cur);
		free(old);
		if (rc != 0)
			goto out;
		if (id.created_ms == 0)
			id.created_ms = cur.created_ms;
	}
	store_identity_encode(&v, &id);
	rc = store_dbput(st, txn, STORE_DB_IDENTITIES, &k, &v, flags);
out:
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

static int store_identity_add_body(struct store *st, DB_TXN *txn, void *arg)
{
	return store_identity_put_body(st, txn, arg, DB_NOOVERWRITE);
}

static int store_identity_update_body(struct store *st, DB_TXN *txn, void *arg)
{
	return store_identity_put_body(st, txn, arg, 0);
}

int store_identity_add(struct store *st, const struct store_identity *id)
{
	struct store_identity copy = *id;
	struct store_idarg *a;
	int rc;

	a = store_xmalloc(sizeof(*a));
	memset(a, 0, sizeof(*a));
	rc = store_handle_norm(id->handle, a->handle);
	if (rc != 0)
		goto out;
	if (copy.created_ms == 0)
		copy.created_ms = clock_now_ms();
	a->in = &copy;
	rc = store_txn_run(st, "add identity", store_identity_add_body, a);
out:
	free(a);
	return rc;
}

int store_identity_update(struct store *st, const struct store_identity *id)
{
	struct store_idarg *a;
	int rc;

	a = store_xmalloc(sizeof(*a));
	memset(a, 0, sizeof(*a));
	rc = store_handle_norm(id->handle, a->handle);
	if (rc == 0) {
		a->in = id;
		rc = store_txn_run(st, "update identity",
				   store_identity_update_body, a);
	}
	free(a);
	return rc;
}

static int store_identity_get_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_idarg *a = arg;
	struct store_buf k;
	unsigned char *v = NULL;
	size_t len;
	int rc;

	store_buf_init(&k);
	store_buf_put(&k, a->handle, strlen(a->handle));
	rc = store_dbget(st, txn, STORE_DB_IDENTITIES, &k, &v, &len);
	if (rc == 0)
		rc = store_identity_decode(a->handle, v, len, a->out);
	free(v);
	store_buf_free(&k);
	return rc;
}

int store_identity_get(struct store *st, const char *handle,
		       struct store_identity *out)
{
	struct store_idarg *a;
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_cache_get(st, STORE_CACHE_IDENTITY, handle, NULL, &rc, out,
			    sizeof(*out)))
		return rc;
	a = store_xmalloc(sizeof(*a));
	memset(a, 0, sizeof(*a));
	rc = store_handle_norm(handle, a->handle);
	if (rc == STORE_EINVAL)
		rc = STORE_NOTFOUND; /* no identity has a bad handle */
	if (rc == 0) {
		a->out = out;
		rc = store_txn_run(st, "read identity",
				   store_identity_get_body, a);
	}
	free(a);
	if (rc == 0 || rc == STORE_NOTFOUND)
		store_cache_put(st, STORE_CACHE_IDENTITY, handle, NULL, rc, out,
				sizeof(*out));
	return rc;
}

static int store_token_drop(DBC *c, const DBT *key, const DBT *val, void *arg)
{
	const char *handle = arg;
	struct store_rd r;
	char *h;
	int rc = 0;

	store_rd_init(&r, val->data, val->size);
	if (store_rd_version(&r) != 0)
		return 0;
	h = store_rd_str(&r);
	if (strcmp(h, handle) == 0)
		rc = c->del(c, 0);
	free(h);
	return rc;
}

/* affiliations: room \0 who; evidence: sender \0 recipient \0 time: drop
 * the records whose second part is the handle (a whole walk: removing an
 * identity is rare). */
static int store_second_is(DBC *c, const DBT *key, const DBT *val, void *arg)
{
	const char *handle = arg;
	const char *k = key->data;
	const char *sep = memchr(k, '\0', key->size);
	size_t n = strlen(handle), rest;

	if (sep == NULL)
		return 0;
	rest = key->size - (size_t)(sep - k) - 1;
	if (rest >= n && memcmp(sep + 1, handle, n) == 0 &&
	    (rest == n || sep[1 + n] == '\0'))
		return c->del(c, 0);
	return 0;
}

static int store_identity_remove_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_idarg *a = arg;
	struct store_buf k;
	int rc;

	store_buf_init(&k);
	store_buf_put(&k, a->handle, strlen(a->handle));
	rc = store_dbdel(st, txn, STORE_DB_IDENTITIES, &k);
	if (rc != 0)
		goto out;
	store_buf_u8(&k, 0); /* handle \0: the prefix of its records */
	if ((rc = store_dbdel_prefix(st, txn, STORE_DB_LINKS_BY_HANDLE, &k)) ||
	    (rc = store_dbdel_prefix(st, txn, STORE_DB_FOLLOWS, &k)) ||
	    (rc = store_dbdel_prefix(st, txn, STORE_DB_FOLLOWERS, &k)) ||
	    (rc = store_dbdel_prefix(st, txn, STORE_DB_RELATIONS, &k)) ||
	    (rc = store_dbdel_prefix(st, txn, STORE_DB_REQUESTS, &k)) ||
	    (rc = store_dbdel_prefix(st, txn, STORE_DB_HELD, &k)) ||
	    (rc = store_dbdel_prefix(st, txn, STORE_DB_SUBS, &k)) ||
	    (rc = store_dbdel_prefix(st, txn, STORE_DB_EVIDENCE, &k)) ||
	    (rc = store_dbwalk(st, txn, STORE_DB_EVIDENCE, NULL, 0, 0,
			       store_second_is, a->handle)) ||
	    (rc = store_dbwalk(st, txn, STORE_DB_AFFILS, NULL, 0, 0,
			       store_second_is, a->handle)))
		goto out;
	rc = store_dbwalk(st, txn, STORE_DB_TOKENS, NULL, 0, 0,
			  store_token_drop, a->handle);
out:
	store_buf_free(&k);
	return rc;
}

int store_identity_remove(struct store *st, const char *handle)
{
	struct store_idarg *a;
	int rc;

	a = store_xmalloc(sizeof(*a));
	memset(a, 0, sizeof(*a));
	rc = store_handle_norm(handle, a->handle);
	if (rc == STORE_EINVAL)
		rc = STORE_NOTFOUND;
	if (rc == 0)
		rc = store_txn_run(st, "remove identity",
				   store_identity_remove_body, a);
	free(a);
	return rc;
}

static int store_identity_list_one(DBC *c, const DBT *key, const DBT *val,
				   void *arg)
{
	struct store_idarg *a = arg;
	char handle[STORE_HANDLE_SIZE];
	int rc;

	if (key->size >= sizeof(handle))
		return STORE_EFORMAT;
	memcpy(handle, key->data, key->size);
	handle[key->size] = '\0';
	a->list = store_xrealloc(a->list, (a->n + 1) * sizeof(*a->list));
	rc = store_identity_decode(handle, val->data, val->size,
				   &a->list[a->n]);
	if (rc == 0)
		a->n++;
	return rc;
}

static int store_identity_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_idarg *a = arg;

	free(a->list);
	a->list = NULL;
	a->n = 0;
	return store_dbwalk(st, txn, STORE_DB_IDENTITIES, NULL, 0, 0,
			    store_identity_list_one, a);
}

int store_identity_list(struct store *st, struct store_identity **out,
			size_t *n)
{
	struct store_idarg *a;
	int rc;

	a = store_xmalloc(sizeof(*a));
	memset(a, 0, sizeof(*a));
	rc = store_txn_run(st, "list identities", store_identity_list_body, a);
	if (rc == 0) {
		*out = a->list;
		*n = a->n;
	} else {
		free(a->list);
		*out = NULL;
		*n = 0;
	}
	free(a);
	return rc;
}

/* Links. */

static int store_link_lookup(struct store *st, DB_TXN *txn, const char *jid,
			     char handle[STORE_HANDLE_SIZE])
{
	struct store_buf k;
	struct store_rd r;
	unsigned char *v = NULL;
	size_t len;
	int rc;

	store_buf_init(&k);
	store_buf_put(&k, jid, strlen(jid));
	rc = store_dbget(st, txn, STORE_DB_LINKS, &k, &v, &len);
	if (rc == 0) {
		store_rd_init(&r, v, len);
		if (store_rd_version(&r) != 0)
			rc = STORE_EFORMAT;
		else
			store_rd_strbuf(&r, handle, STORE_HANDLE_SIZE);
		if (r.bad)
			rc = STORE_EFORMAT;
	}
	free(v);
	store_buf_free(&k);
	return rc;
}

/* Links a->jid to a->handle inside txn. */
static int store_link_in(struct store *st, DB_TXN *txn, struct store_idarg *a)
{
	struct store_buf k, v;
	int rc;

	rc = store_identity_exists(st, txn, a->handle);
	if (rc != 0)
		return rc;
	rc = store_link_lookup(st, txn, a->jid, a->linked);
	if (rc == 0)
		return STORE_EEXIST;
	if (rc != DB_NOTFOUND)
		return rc;
	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_put(&k, a->jid, strlen(a->jid));
	store_buf_u8(&v, STORE_V1);
	store_buf_str(&v, a->handle);
	store_buf_be64(&v, (uint64_t)clock_now_ms());
	rc = store_dbput(st, txn, STORE_DB_LINKS, &k, &v, 0);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

static int store_link_body(struct store *st, DB_TXN *txn, void *arg)
{
	return store_link_in(st, txn, arg);
}

static int store_idarg_new(const char *handle, const char *jid,
			   struct store_idarg **out)
{
	struct store_idarg *a;
	int rc = 0;

	a = store_xmalloc(sizeof(*a));
	memset(a, 0, sizeof(*a));
	if (handle != NULL && (rc = store_handle_norm(handle, a->handle)) != 0)
		goto out;
	if (jid != NULL && (rc = store_jid_norm(jid, a->jid)) != 0)
		goto out;
out:
	if (rc != 0) {
		free(a);
		a = NULL;
	}
	*out = a;
	return rc;
}

int store_link(struct store *st, const char *handle, const char *jid)
{
	struct store_idarg *a;
	int rc;

	rc = store_idarg_new(handle, jid, &a);
	if (rc == 0)
		rc = store_txn_run(st, "link", store_link_body, a);
	free(a);
	return rc;
}

static int store_unlink_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_idarg *a = arg;
	struct store_buf k;
	int rc;

	rc = store_link_lookup(st, txn, a->jid, a->linked);
	if (rc != 0)
		return rc;
	if (strcmp(a->linked, a->handle) != 0)
		return STORE_NOTFOUND;
	store_buf_init(&k);
	store_buf_put(&k, a->jid, strlen(a->jid));
	rc = store_dbdel(st, txn, STORE_DB_LINKS, &k);
	store_buf_free(&k);
	return rc;
}

int store_unlink(struct store *st, const char *handle, const char *jid)
{
	struct store_idarg *a;
	int rc;

	rc = store_idarg_new(handle, jid, &a);
	if (rc == 0)
		rc = store_txn_run(st, "unlink", store_unlink_body, a);
	free(a);
	return rc;
}

static int store_link_get_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_idarg *a = arg;

	return store_link_lookup(st, txn, a->jid, a->linked);
}

int store_link_get(struct store *st, const char *jid,
		   char handle[STORE_HANDLE_SIZE])
{
	struct store_idarg *a;
	int rc;

	handle[0] = '\0';
	if (store_cache_get(st, STORE_CACHE_LINK, jid, NULL, &rc, handle,
			    STORE_HANDLE_SIZE))
		return rc;
	rc = store_idarg_new(NULL, jid, &a);
	if (rc == STORE_EINVAL)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "look up link", store_link_get_body, a);
	if (rc == 0)
		memcpy(handle, a->linked, STORE_HANDLE_SIZE);
	free(a);
	if (rc == 0 || rc == STORE_NOTFOUND)
		store_cache_put(st, STORE_CACHE_LINK, jid, NULL, rc, handle,
				STORE_HANDLE_SIZE);
	return rc;
}

/* Collects primary keys (or values) as strings into a->strv. */
static void store_strv_push(struct store_idarg *a, const void *p, size_t n)
{
	char *s = store_xmalloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	a->strv = store_xrealloc(a->strv, (a->strv_n + 2) * sizeof(char *));
	a->strv[a->strv_n++] = s;
	a->strv[a->strv_n] = NULL;
}

static int store_link_list_one(DBC *c, const DBT *key, const DBT *val,
			       void *arg)
{
	struct store_idarg *a = arg;
	DBT skey, pkey, data;
	int rc;

	/* The index cursor gives the primary's value; ask for its key. */
	memset(&skey, 0, sizeof(skey));
	skey.flags = DB_DBT_MALLOC;
	memset(&pkey, 0, sizeof(pkey));
	memset(&data, 0, sizeof(data));
	pkey.flags = DB_DBT_MALLOC;
	data.flags = DB_DBT_MALLOC;
	rc = c->pget(c, &skey, &pkey, &data, DB_CURRENT);
	if (rc == 0)
		store_strv_push(a, pkey.data, pkey.size);
	free(skey.data);
	free(pkey.data);
	free(data.data);
	return rc;
}

static int store_link_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_idarg *a = arg;

	store_strv_free(a->strv);
	a->strv = store_xmalloc(sizeof(char *));
	a->strv[0] = NULL;
	a->strv_n = 0;
	return store_dbwalk(st, txn, STORE_DB_LINKS_BY_HANDLE, a->handle,
			    strlen(a->handle) + 1, 0, store_link_list_one, a);
}

static int store_strv_result(struct store_idarg *a, int rc, char ***out)
{
	if (rc == 0) {
		*out = a->strv;
	} else {
		store_strv_free(a->strv);
		*out = NULL;
	}
	free(a);
	return rc;
}

int store_link_list(struct store *st, const char *handle, char ***jids)
{
	struct store_idarg *a;
	int rc;

	const char *cached;
	size_t len, n, i;

	/* Cached as the JIDs one after the other, each NUL-terminated. */
	cached = store_cache_peek(st, STORE_CACHE_LINKS, handle, NULL, &rc,
				  &len);
	if (cached != NULL) {
		for (n = 0, i = 0; i < len; i += strlen(cached + i) + 1)
			n++;
		*jids = store_xmalloc((n + 1) * sizeof(**jids));
		for (n = 0, i = 0; i < len; i += strlen(cached + i) + 1)
			(*jids)[n++] = store_xstrdup(cached + i);
		(*jids)[n] = NULL;
		return rc;
	}
	rc = store_idarg_new(handle, NULL, &a);
	if (rc != 0) {
		*jids = NULL;
		return rc == STORE_EINVAL ? STORE_NOTFOUND : rc;
	}
	rc = store_txn_run(st, "list links", store_link_list_body, a);
	rc = store_strv_result(a, rc, jids);
	if (rc == 0) {
		char *buf;

		for (len = 0, n = 0; (*jids)[n] != NULL; n++)
			len += strlen((*jids)[n]) + 1;
		buf = store_xmalloc(len + 1);
		for (len = 0, n = 0; (*jids)[n] != NULL; n++) {
			strcpy(buf + len, (*jids)[n]);
			len += strlen((*jids)[n]) + 1;
		}
		store_cache_put(st, STORE_CACHE_LINKS, handle, NULL, rc, buf,
				len);
		free(buf);
	}
	return rc;
}

/* Tokens. */

static int store_token_new_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_idarg *a = arg;
	struct store_buf k, v;
	int64_t now = clock_now_ms();
	int rc;

	rc = store_identity_exists(st, txn, a->handle);
	if (rc != 0)
		return rc;
	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_put(&k, a->token, strlen(a->token));
	store_buf_u8(&v, STORE_V1);
	store_buf_str(&v, a->handle);
	store_buf_be64(&v, (uint64_t)now);
	store_buf_be64(&v, (uint64_t)(now + a->ttl_ms));
	store_buf_u8(&v, 0);
	store_buf_str(&v, "");
	rc = store_dbput(st, txn, STORE_DB_TOKENS, &k, &v, DB_NOOVERWRITE);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_token_new(struct store *st, const char *handle, int64_t ttl_ms,
		    char token[STORE_TOKEN_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[STORE_TOKEN_SIZE / 2];
	struct store_idarg *a;
	size_t i;
	int rc;

	token[0] = '\0';
	rc = store_idarg_new(handle, NULL, &a);
	if (rc != 0)
		return rc == STORE_EINVAL ? STORE_NOTFOUND : rc;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		log_err("store: getrandom");
		rc = STORE_EFAIL;
		goto out;
	}
	for (i = 0; i < sizeof(raw); i++) {
		token[2 * i] = hex[raw[i] >> 4];
		token[2 * i + 1] = hex[raw[i] & 15];
	}
	token[2 * sizeof(raw)] = '\0';
	a->token = token;
	a->ttl_ms = ttl_ms;
	rc = store_txn_run(st, "new token", store_token_new_body, a);
	if (rc != 0)
		token[0] = '\0';
out:
	free(a);
	return rc;
}

static int store_token_redeem_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_idarg *a = arg;
	struct store_buf k, v;
	struct store_rd r;
	unsigned char *old = NULL;
	size_t len;
	char *h = NULL;
	int64_t created, expires;
	int used, rc;

	a->why = 0;
	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_put(&k, a->token, strlen(a->token));
	rc = store_dbget(st, txn, STORE_DB_TOKENS, &k, &old, &len);
	if (rc != 0)
		goto out;
	store_rd_init(&r, old, len);
	if (store_rd_version(&r) != 0) {
		rc = STORE_EFORMAT;
		goto out;
	}
	h = store_rd_str(&r);
	created = (int64_t)store_rd_be64(&r);
	expires = (int64_t)store_rd_be64(&r);
	used = store_rd_u8(&r);
	if (r.bad) {
		rc = STORE_EFORMAT;
		goto out;
	}
	/* The body aborts with STORE_NOTFOUND and says why in a->why: the
	 * runner knows nothing of the token outcomes. */
	if (strcmp(h, a->handle) != 0)
		a->why = STORE_TOKEN_UNKNOWN;
	else if (used)
		a->why = STORE_TOKEN_USED;
	else if (clock_now_ms() >= expires)
		a->why = STORE_TOKEN_EXPIRED;
	if (a->why != 0) {
		rc = STORE_NOTFOUND;
		goto out;
	}
	rc = store_link_in(st, txn, a);
	if (rc == STORE_EEXIST && strcmp(a->linked, a->handle) == 0)
		rc = 0; /* already linked to this identity: just use it up */
	if (rc != 0)
		goto out;
	store_buf_u8(&v, STORE_V1);
	store_buf_str(&v, h);
	store_buf_be64(&v, (uint64_t)created);
	store_buf_be64(&v, (uint64_t)expires);
	store_buf_u8(&v, 1);
	store_buf_str(&v, a->jid);
	rc = store_dbput(st, txn, STORE_DB_TOKENS, &k, &v, 0);
out:
	free(h);
	free(old);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_token_claim(struct store *st, const char *handle, const char *token,
		      const char *jid)
{
	struct store_idarg *a;
	int rc;

	if (token == NULL || token[0] == '\0' || strlen(token) > 256)
		return STORE_NOTFOUND;
	rc = store_idarg_new(handle, NULL, &a);
	if (rc != 0)
		return STORE_NOTFOUND;
	if (store_jid_norm(jid, a->jid) != 0) {
		free(a);
		return STORE_EINVAL;
	}
	a->token = token;
	rc = store_txn_run(st, "redeem token", store_token_redeem_body, a);
	if (rc == STORE_NOTFOUND && a->why != 0)
		rc = a->why;
	free(a);
	return rc;
}

int store_token_redeem(struct store *st, const char *handle, const char *token,
		       const char *jid)
{
	int rc = store_token_claim(st, handle, token, jid);

	if (rc == STORE_TOKEN_USED || rc == STORE_TOKEN_EXPIRED)
		rc = STORE_NOTFOUND;
	return rc;
}

/* Subscriptions. */

static void store_sub_key(struct store_buf *k, const struct store_idarg *a)
{
	store_buf_key(k, a->handle);
	store_buf_put(k, a->jid, strlen(a->jid));
}

static int store_sub_add_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_idarg *a = arg;
	struct store_buf k, v;
	int rc;

	rc = store_identity_exists(st, txn, a->handle);
	if (rc != 0)
		return rc;
	store_buf_init(&k);
	store_buf_init(&v);
	store_sub_key(&k, a);
	store_buf_u8(&v, STORE_V1);
	store_buf_be64(&v, (uint64_t)clock_now_ms());
	rc = store_dbput(st, txn, STORE_DB_SUBS, &k, &v, DB_NOOVERWRITE);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_sub_add(struct store *st, const char *handle, const char *jid)
{
	struct store_idarg *a;
	int rc;

	rc = store_idarg_new(handle, jid, &a);
	if (rc == 0)
		rc = store_txn_run(st, "add subscription", store_sub_add_body,
				   a);
	free(a);
	return rc;
}

static int store_sub_remove_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_buf k;
	int rc;

	store_buf_init(&k);
	store_sub_key(&k, arg);
	rc = store_dbdel(st, txn, STORE_DB_SUBS, &k);
	store_buf_free(&k);
	return rc;
}

int store_sub_remove(struct store *st, const char *handle, const char *jid)
{
	struct store_idarg *a;
	int rc;

	rc = store_idarg_new(handle, jid, &a);
	if (rc != 0)
		return STORE_NOTFOUND; /* nothing bad was ever stored */
	rc = store_txn_run(st, "remove subscription", store_sub_remove_body,
			   a);
	free(a);
	return rc;
}

static int store_sub_list_one(DBC *c, const DBT *key, const DBT *val,
			      void *arg)
{
	const char *k = key->data;
	const char *sep = memchr(k, '\0', key->size);

	if (sep == NULL)
		return STORE_EFORMAT;
	store_strv_push(arg, sep + 1, key->size - (size_t)(sep - k) - 1);
	return 0;
}

static int store_sub_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_idarg *a = arg;

	store_strv_free(a->strv);
	a->strv = store_xmalloc(sizeof(char *));
	a->strv[0] = NULL;
	a->strv_n = 0;
	return store_dbwalk(st, txn, STORE_DB_SUBS, a->handle,
			    strlen(a->handle) + 1, 0, store_sub_list_one, a);
}

int store_sub_list(struct store *st, const char *handle, char ***out)
{
	struct store_idarg *a;
	int rc;

	rc = store_idarg_new(handle, NULL, &a);
	if (rc != 0) {
		*out = NULL;
		return rc;
	}
	rc = store_txn_run(st, "list subscriptions", store_sub_list_body, a);
	return store_strv_result(a, rc, out);
}

int store_identity_check(struct store *st, DB_TXN *txn, const char *handle)
{
	return store_identity_exists(st, txn, handle);
}
