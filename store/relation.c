/*
 * relation.c - follows, per-pair relationships, message requests with
 * their held messages, and the evidence log.
 *
 * follows:      a \0 b -> v1 | be64 created             (a follows b)
 * followers:    b \0 a (index of follows)
 * relations:    owner \0 peer -> v1 | u8 flags | be64 declined-until |
 *               be64 updated
 * requests:     recipient \0 sender -> v1 | be64 created | be64 updated |
 *               be32 held
 * held:         recipient \0 sender \0 be64 ms be32 seq -> v1 | be64 ms |
 *               str stanza
 * request-days: sender \0 be32 day -> v1 | be32 new requests that day
 * evidence:     sender \0 recipient \0 be64 ms be32 seq -> v1 | be64 ms |
 *               str text
 */
#include "config.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/clock.h"
#include "component/strmap.h"
#include "store/store-int.h"

#define STORE_DAY_MS 86400000

/* The argument of the bodies below; addresses are lower-cased copies. */
struct store_rarg {
	char a[STORE_ADDR_SIZE], b[STORE_ADDR_SIZE];
	const char *text;
	/* Evidence: the key just added (never pruned), and the pair's count
	 * as the prune leaves it. */
	const void *newkey;
	size_t newkey_len;
	size_t count;
	unsigned set, clear, max1, max2;
	int64_t ms;
	bool is_new;
	struct store_relation rel;
	struct store_request *req;
	size_t nreq;
	struct store_held *held;
	size_t nheld;
	char **strv;
	size_t strv_n;
	int found;
};

static int store_addr_norm(const char *in, char out[STORE_ADDR_SIZE])
{
	size_t i;

	if (in == NULL || in[0] == '\0')
		return STORE_EINVAL;
	for (i = 0; in[i] != '\0'; i++) {
		if (i >= STORE_ADDR_SIZE - 1)
			return STORE_EINVAL;
		out[i] = (char)tolower((unsigned char)in[i]);
	}
	out[i] = '\0';
	return 0;
}

/* A new argument with a and b normalised: handles when handles is set,
 * otherwise addresses. */
static int store_rarg_new(const char *a, const char *b, int handles,
			  struct store_rarg **out)
{
	struct store_rarg *r = store_xmalloc(sizeof(*r));
	int rc;

	/* The two names are filled below: clearing their kilobytes for
	 * every call would cost more than the rest of a small call. */
	memset(&r->text, 0, sizeof(*r) - offsetof(struct store_rarg, text));
	if (handles) {
		rc = store_handle_norm(a, r->a);
		if (rc == 0)
			rc = store_handle_norm(b, r->b);
	} else {
		rc = store_addr_norm(a, r->a);
		if (rc == 0 && b != NULL)
			rc = store_addr_norm(b, r->b);
	}
	if (rc != 0) {
		free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

static void store_pair_key(struct store_buf *k, const char *a, const char *b)
{
	store_buf_key(k, a);
	store_buf_put(k, b, strlen(b));
}

static void store_strv_add(struct store_rarg *r, const void *p, size_t n)
{
	char *s = store_xmalloc(n + 1);

	memcpy(s, p, n);
	s[n] = '\0';
	r->strv = store_xrealloc(r->strv, (r->strv_n + 2) * sizeof(char *));
	r->strv[r->strv_n++] = s;
	r->strv[r->strv_n] = NULL;
}

static void store_strv_start(struct store_rarg *r)
{
	store_strv_free(r->strv);
	r->strv = store_xmalloc(sizeof(char *));
	r->strv[0] = NULL;
	r->strv_n = 0;
}

static int store_strv_done(struct store_rarg *r, int rc, char ***out)
{
	if (rc == 0) {
		*out = r->strv;
	} else {
		store_strv_free(r->strv);
		*out = NULL;
	}
	free(r);
	return rc;
}

/* Follows. */

static int store_follow_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;
	struct store_buf k, v;
	int rc;

	if ((rc = store_identity_check(st, txn, r->a)) != 0 ||
	    (rc = store_identity_check(st, txn, r->b)) != 0)
		return rc;
	store_buf_init(&k);
	store_buf_init(&v);
	store_pair_key(&k, r->a, r->b);
	store_buf_u8(&v, STORE_V1);
	store_buf_be64(&v, (uint64_t)(r->ms ? r->ms : clock_now_ms()));
	rc = store_dbput(st, txn, STORE_DB_FOLLOWS, &k, &v, DB_NOOVERWRITE);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_follow(struct store *st, const char *a, const char *b)
{
	struct store_rarg *r;
	int rc;

	rc = store_rarg_new(a, b, 1, &r);
	if (rc != 0)
		return rc;
	if (strcmp(r->a, r->b) == 0)
		rc = STORE_EINVAL;
	else
		rc = store_txn_run(st, "follow", store_follow_body, r);
	free(r);
	return rc;
}

static int store_unfollow_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;
	struct store_buf k;
	int rc;

	store_buf_init(&k);
	store_pair_key(&k, r->a, r->b);
	rc = store_dbdel(st, txn, STORE_DB_FOLLOWS, &k);
	store_buf_free(&k);
	return rc;
}

int store_unfollow(struct store *st, const char *a, const char *b)
{
	struct store_rarg *r;
	int rc;

	rc = store_rarg_new(a, b, 1, &r);
	if (rc != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "unfollow", store_unfollow_body, r);
	free(r);
	return rc;
}

static int store_follows_in(struct store *st, DB_TXN *txn, const char *a,
			    const char *b)
{
	struct store_buf k;
	unsigned char *v;
	size_t len;
	int rc;

	store_buf_init(&k);
	store_pair_key(&k, a, b);
	rc = store_dbget(st, txn, STORE_DB_FOLLOWS, &k, &v, &len);
	free(v);
	store_buf_free(&k);
	return rc;
}

static int store_follows_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;

	return store_follows_in(st, txn, r->a, r->b);
}

int store_follows(struct store *st, const char *a, const char *b)
{
	struct store_rarg *r;
	int rc;

	rc = store_rarg_new(a, b, 0, &r);
	if (rc != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "read follow", store_follows_body, r);
	free(r);
	return rc;
}

/* Both the follows table and its index have keys x \0 y: collect y. */
static int store_second_part(DBC *c, const DBT *key, const DBT *val,
			     void *arg)
{
	struct store_rarg *r = arg;
	const char *k = key->data;
	const char *sep = memchr(k, '\0', key->size);

	if (sep != NULL)
		store_strv_add(r, sep + 1, key->size - (size_t)(sep - k) - 1);
	return 0;
}

static int store_follow_list_body(struct store *st, DB_TXN *txn, void *arg,
				  enum store_dbi dbi)
{
	struct store_rarg *r = arg;

	store_strv_start(r);
	return store_dbwalk(st, txn, dbi, r->a, strlen(r->a) + 1, 0,
			    store_second_part, r);
}

static int store_following_body(struct store *st, DB_TXN *txn, void *arg)
{
	return store_follow_list_body(st, txn, arg, STORE_DB_FOLLOWS);
}

static int store_followers_body(struct store *st, DB_TXN *txn, void *arg)
{
	return store_follow_list_body(st, txn, arg, STORE_DB_FOLLOWERS);
}

int store_following_list(struct store *st, const char *a, char ***out)
{
	struct store_rarg *r;
	int rc;

	rc = store_rarg_new(a, NULL, 0, &r);
	if (rc != 0) {
		*out = NULL;
		return rc;
	}
	rc = store_txn_run(st, "list follows", store_following_body, r);
	return store_strv_done(r, rc, out);
}

int store_followers_list(struct store *st, const char *b, char ***out)
{
	struct store_rarg *r;
	int rc;

	rc = store_rarg_new(b, NULL, 0, &r);
	if (rc != 0) {
		*out = NULL;
		return rc;
	}
	rc = store_txn_run(st, "list followers", store_followers_body, r);
	return store_strv_done(r, rc, out);
}

/* Relationships. */

static int store_relation_decode(const void *p, size_t len,
				 struct store_relation *out)
{
	struct store_rd rd;

	store_rd_init(&rd, p, len);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	out->flags = store_rd_u8(&rd);
	out->declined_until_ms = (int64_t)store_rd_be64(&rd);
	out->updated_ms = (int64_t)store_rd_be64(&rd);
	return rd.bad ? STORE_EFORMAT : 0;
}

static int store_relation_read(struct store *st, DB_TXN *txn, const char *a,
			       const char *b, struct store_relation *out)
{
	struct store_buf k;
	unsigned char *v = NULL;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	store_buf_init(&k);
	store_pair_key(&k, a, b);
	rc = store_dbget(st, txn, STORE_DB_RELATIONS, &k, &v, &len);
	if (rc == 0)
		rc = store_relation_decode(v, len, out);
	free(v);
	store_buf_free(&k);
	return rc;
}

static int store_relation_write(struct store *st, DB_TXN *txn, const char *a,
				const char *b, unsigned set, unsigned clear,
				int64_t until)
{
	struct store_relation rel;
	struct store_buf k, v;
	int rc;

	rc = store_relation_read(st, txn, a, b, &rel);
	if (rc != 0 && rc != DB_NOTFOUND)
		return rc;
	rel.flags = (rel.flags | set) & ~clear;
	if (set & STORE_REL_DECLINED)
		rel.declined_until_ms = until;
	if (!(rel.flags & STORE_REL_DECLINED))
		rel.declined_until_ms = 0;
	store_buf_init(&k);
	store_buf_init(&v);
	store_pair_key(&k, a, b);
	if (rel.flags == 0) {
		rc = store_dbdel(st, txn, STORE_DB_RELATIONS, &k);
		if (rc == DB_NOTFOUND)
			rc = 0;
	} else {
		store_buf_u8(&v, STORE_V1);
		store_buf_u8(&v, (uint8_t)rel.flags);
		store_buf_be64(&v, (uint64_t)rel.declined_until_ms);
		store_buf_be64(&v, (uint64_t)clock_now_ms());
		rc = store_dbput(st, txn, STORE_DB_RELATIONS, &k, &v, 0);
	}
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

static int store_relation_get_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;

	return store_relation_read(st, txn, r->a, r->b, &r->rel);
}

int store_relation_get(struct store *st, const char *owner, const char *peer,
		       struct store_relation *out)
{
	struct store_rarg *r;
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_cache_get(st, STORE_CACHE_RELATION, owner, peer, &rc, out,
			    sizeof(*out)))
		return rc;
	rc = store_rarg_new(owner, peer, 0, &r);
	if (rc != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "read relationship", store_relation_get_body,
			   r);
	if (rc == 0)
		*out = r->rel;
	free(r);
	if (rc == 0 || rc == STORE_NOTFOUND)
		store_cache_put(st, STORE_CACHE_RELATION, owner, peer, rc, out,
				sizeof(*out));
	return rc;
}

static int store_relation_set_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;

	return store_relation_write(st, txn, r->a, r->b, r->set, r->clear,
				    r->ms);
}

int store_relation_set(struct store *st, const char *owner, const char *peer,
		       unsigned set, unsigned clear, int64_t declined_until_ms)
{
	struct store_rarg *r;
	int rc;

	rc = store_rarg_new(owner, peer, 0, &r);
	if (rc != 0)
		return rc;
	r->set = set;
	r->clear = clear;
	r->ms = declined_until_ms;
	rc = store_txn_run(st, "write relationship", store_relation_set_body,
			   r);
	free(r);
	return rc;
}

static int store_blocked_one(DBC *c, const DBT *key, const DBT *val,
			     void *arg)
{
	struct store_relation rel;

	if (store_relation_decode(val->data, val->size, &rel) != 0)
		return STORE_EFORMAT;
	if (rel.flags & STORE_REL_BLOCKED)
		return store_second_part(c, key, val, arg);
	return 0;
}

static int store_blocked_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;

	store_strv_start(r);
	return store_dbwalk(st, txn, STORE_DB_RELATIONS, r->a,
			    strlen(r->a) + 1, 0, store_blocked_one, r);
}

int store_blocked_list(struct store *st, const char *owner, char ***out)
{
	struct store_rarg *r;
	int rc;

	rc = store_rarg_new(owner, NULL, 0, &r);
	if (rc != 0) {
		*out = NULL;
		return rc;
	}
	rc = store_txn_run(st, "list blocks", store_blocked_body, r);
	return store_strv_done(r, rc, out);
}

static int store_knows_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;
	struct store_relation rel;
	struct store_identity id;
	struct store_buf k;
	unsigned char *v = NULL;
	size_t len;
	int rc;

	rc = store_follows_in(st, txn, r->a, r->b);
	if (rc != DB_NOTFOUND)
		return rc;
	rc = store_relation_read(st, txn, r->a, r->b, &rel);
	if (rc == 0 &&
	    (rel.flags & (STORE_REL_ACCEPTED | STORE_REL_WROTE_FIRST)))
		return 0;
	if (rc != 0 && rc != DB_NOTFOUND)
		return rc;
	store_buf_init(&k);
	store_buf_put(&k, r->a, strlen(r->a));
	rc = store_dbget(st, txn, STORE_DB_IDENTITIES, &k, &v, &len);
	store_buf_free(&k);
	if (rc == 0) {
		struct store_rd rd;

		memset(&id, 0, sizeof(id));
		store_rd_init(&rd, v, len);
		if (store_rd_version(&rd) == 0) {
			store_rd_strbuf(&rd, id.name, sizeof(id.name));
			id.bot = store_rd_u8(&rd);
			id.who = (enum store_who)store_rd_u8(&rd);
		}
		rc = (!rd.bad && id.who == STORE_WHO_EVERYONE) ? 0
							     : DB_NOTFOUND;
	}
	free(v);
	return rc;
}

int store_knows(struct store *st, const char *recipient, const char *sender)
{
	struct store_rarg *r;
	int rc;

	if (store_cache_get(st, STORE_CACHE_KNOWS, recipient, sender, &rc,
			    NULL, 0))
		return rc;
	rc = store_rarg_new(recipient, sender, 0, &r);
	if (rc != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "check known", store_knows_body, r);
	free(r);
	if (rc == 0 || rc == STORE_NOTFOUND)
		store_cache_put(st, STORE_CACHE_KNOWS, recipient, sender, rc,
				NULL, 0);
	return rc;
}

/* Requests and held messages. */

struct store_reqval {
	int64_t created, updated;
	uint32_t held;
};

static int store_request_read(struct store *st, DB_TXN *txn,
			      const struct store_buf *k,
			      struct store_reqval *out)
{
	struct store_rd rd;
	unsigned char *v = NULL;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_dbget(st, txn, STORE_DB_REQUESTS, k, &v, &len);
	if (rc == 0) {
		store_rd_init(&rd, v, len);
		if (store_rd_version(&rd) != 0)
			rc = STORE_EFORMAT;
		out->created = (int64_t)store_rd_be64(&rd);
		out->updated = (int64_t)store_rd_be64(&rd);
		out->held = store_rd_be32(&rd);
		if (rd.bad)
			rc = STORE_EFORMAT;
	}
	free(v);
	return rc;
}

static int store_request_write(struct store *st, DB_TXN *txn,
			       const struct store_buf *k,
			       const struct store_reqval *rv)
{
	struct store_buf v;
	int rc;

	store_buf_init(&v);
	store_buf_u8(&v, STORE_V1);
	store_buf_be64(&v, (uint64_t)rv->created);
	store_buf_be64(&v, (uint64_t)rv->updated);
	store_buf_be32(&v, rv->held);
	rc = store_dbput(st, txn, STORE_DB_REQUESTS, k, &v, 0);
	store_buf_free(&v);
	return rc;
}

static int store_request_hold_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;
	struct store_buf k, dk, v;
	struct store_reqval rv;
	unsigned char *dv = NULL;
	size_t dlen;
	int64_t now = clock_now_ms();
	uint32_t day = 0;
	int rc;

	store_buf_init(&k);
	store_buf_init(&dk);
	store_buf_init(&v);
	r->is_new = false;
	store_pair_key(&k, r->a, r->b);
	rc = store_request_read(st, txn, &k, &rv);
	if (rc == DB_NOTFOUND) {
		struct store_rd rd;

		/* A new request: count it against the sender's day. */
		store_buf_key(&dk, r->b);
		store_buf_be32(&dk, (uint32_t)(now / STORE_DAY_MS));
		rc = store_dbget(st, txn, STORE_DB_REQDAY, &dk, &dv, &dlen);
		if (rc == 0) {
			store_rd_init(&rd, dv, dlen);
			if (store_rd_version(&rd) != 0)
				goto bad;
			day = store_rd_be32(&rd);
			if (rd.bad)
				goto bad;
		} else if (rc != DB_NOTFOUND) {
			goto out;
		}
		if (day >= r->max2) {
			rc = STORE_ELIMIT;
			goto out;
		}
		store_buf_u8(&v, STORE_V1);
		store_buf_be32(&v, day + 1);
		rc = store_dbput(st, txn, STORE_DB_REQDAY, &dk, &v, 0);
		if (rc != 0)
			goto out;
		rv.created = now;
		rv.held = 0;
		r->is_new = true;
	} else if (rc != 0) {
		goto out;
	}
	if (rv.held >= r->max1) {
		rc = STORE_ELIMIT;
		goto out;
	}
	rv.held++;
	rv.updated = now;
	rc = store_request_write(st, txn, &k, &rv);
	if (rc != 0)
		goto out;
	store_buf_u8(&k, 0);
	store_buf_be64(&k, (uint64_t)now);
	store_buf_be32(&k, store_next_seq(st));
	store_buf_reset(&v);
	store_buf_u8(&v, STORE_V1);
	store_buf_be64(&v, (uint64_t)now);
	store_buf_str(&v, r->text);
	rc = store_dbput(st, txn, STORE_DB_HELD, &k, &v, 0);
	goto out;
bad:
	rc = STORE_EFORMAT;
out:
	free(dv);
	store_buf_free(&k);
	store_buf_free(&dk);
	store_buf_free(&v);
	return rc;
}

int store_request_hold(struct store *st, const char *recipient,
		       const char *sender, const char *stanza,
		       unsigned held_max, unsigned per_day_max, bool *is_new)
{
	struct store_rarg *r;
	int rc;

	*is_new = false;
	rc = store_rarg_new(recipient, sender, 0, &r);
	if (rc != 0)
		return rc;
	r->text = stanza;
	r->max1 = held_max;
	r->max2 = per_day_max;
	rc = store_txn_run(st, "hold message", store_request_hold_body, r);
	if (rc == 0)
		*is_new = r->is_new;
	free(r);
	return rc;
}

static void store_request_push(struct store_rarg *r, const char *sender,
			       size_t n, const struct store_reqval *rv)
{
	struct store_request *q;

	r->req = store_xrealloc(r->req, (r->nreq + 1) * sizeof(*r->req));
	q = &r->req[r->nreq++];
	q->sender = store_xmalloc(n + 1);
	memcpy(q->sender, sender, n);
	q->sender[n] = '\0';
	q->created_ms = rv->created;
	q->updated_ms = rv->updated;
	q->held = rv->held;
}

static int store_request_get_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;
	struct store_reqval rv;
	struct store_buf k;
	int rc;

	store_request_list_free(r->req, r->nreq);
	r->req = NULL;
	r->nreq = 0;
	store_buf_init(&k);
	store_pair_key(&k, r->a, r->b);
	rc = store_request_read(st, txn, &k, &rv);
	if (rc == 0)
		store_request_push(r, r->b, strlen(r->b), &rv);
	store_buf_free(&k);
	return rc;
}

void store_request_clear(struct store_request *q)
{
	if (q == NULL)
		return;
	free(q->sender);
	memset(q, 0, sizeof(*q));
}

void store_request_list_free(struct store_request *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_request_clear(&v[i]);
	free(v);
}

int store_request_get(struct store *st, const char *recipient,
		      const char *sender, struct store_request *out)
{
	struct store_rarg *r;
	int rc;

	memset(out, 0, sizeof(*out));
	/* Only the absence of a request is cached (the common case). */
	if (store_cache_get(st, STORE_CACHE_REQUEST, recipient, sender, &rc,
			    NULL, 0))
		return rc;
	rc = store_rarg_new(recipient, sender, 0, &r);
	if (rc != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "read request", store_request_get_body, r);
	if (rc == STORE_NOTFOUND)
		store_cache_put(st, STORE_CACHE_REQUEST, recipient, sender, rc,
				NULL, 0);
	if (rc == 0) {
		*out = r->req[0];
		free(r->req);
	} else {
		store_request_list_free(r->req, r->nreq);
	}
	free(r);
	return rc;
}

static int store_request_list_one(DBC *c, const DBT *key, const DBT *val,
				  void *arg)
{
	struct store_rarg *r = arg;
	struct store_reqval rv;
	struct store_rd rd;
	const char *k = key->data;
	const char *sep = memchr(k, '\0', key->size);

	store_rd_init(&rd, val->data, val->size);
	if (sep == NULL || store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	rv.created = (int64_t)store_rd_be64(&rd);
	rv.updated = (int64_t)store_rd_be64(&rd);
	rv.held = store_rd_be32(&rd);
	if (rd.bad)
		return STORE_EFORMAT;
	store_request_push(r, sep + 1, key->size - (size_t)(sep - k) - 1, &rv);
	return 0;
}

static int store_request_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;

	store_request_list_free(r->req, r->nreq);
	r->req = NULL;
	r->nreq = 0;
	return store_dbwalk(st, txn, STORE_DB_REQUESTS, r->a, strlen(r->a) + 1,
			    0, store_request_list_one, r);
}

int store_request_list(struct store *st, const char *recipient,
		       struct store_request **out, size_t *n)
{
	struct store_rarg *r;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_rarg_new(recipient, NULL, 0, &r);
	if (rc != 0)
		return rc;
	rc = store_txn_run(st, "list requests", store_request_list_body, r);
	if (rc == 0) {
		*out = r->req;
		*n = r->nreq;
	} else {
		store_request_list_free(r->req, r->nreq);
	}
	free(r);
	return rc;
}

void store_held_list_free(struct store_held *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].stanza);
	free(v);
}

static int store_held_one(DBC *c, const DBT *key, const DBT *val, void *arg)
{
	struct store_rarg *r = arg;
	struct store_rd rd;
	struct store_held *h;

	store_rd_init(&rd, val->data, val->size);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	r->held = store_xrealloc(r->held, (r->nheld + 1) * sizeof(*r->held));
	h = &r->held[r->nheld++];
	h->received_ms = (int64_t)store_rd_be64(&rd);
	h->stanza = store_rd_str(&rd);
	if (rd.bad)
		return STORE_EFORMAT;
	return r->found ? c->del(c, 0) : 0; /* found: take them */
}

static int store_held_walk(struct store *st, DB_TXN *txn, struct store_rarg *r)
{
	struct store_buf k;
	int rc;

	store_held_list_free(r->held, r->nheld);
	r->held = NULL;
	r->nheld = 0;
	store_buf_init(&k);
	store_pair_key(&k, r->a, r->b);
	store_buf_u8(&k, 0);
	rc = store_dbwalk(st, txn, STORE_DB_HELD, k.p, k.len, 0,
			  store_held_one, r);
	store_buf_free(&k);
	return rc;
}

static int store_held_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	return store_held_walk(st, txn, arg);
}

static int store_held_result(struct store_rarg *r, int rc,
			     struct store_held **out, size_t *n)
{
	if (rc == 0) {
		*out = r->held;
		*n = r->nheld;
	} else {
		store_held_list_free(r->held, r->nheld);
	}
	free(r);
	return rc;
}

int store_held_list(struct store *st, const char *recipient,
		    const char *sender, struct store_held **out, size_t *n)
{
	struct store_rarg *r;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_rarg_new(recipient, sender, 0, &r);
	if (rc != 0)
		return rc;
	rc = store_txn_run(st, "list held messages", store_held_list_body, r);
	return store_held_result(r, rc, out, n);
}

/* Accept (r->set = STORE_REL_ACCEPTED) or decline: take or drop the held
 * messages, remove the request, record the decision. */
static int store_request_decide_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;
	struct store_buf k;
	int rc;

	store_buf_init(&k);
	store_pair_key(&k, r->a, r->b);
	rc = store_dbdel(st, txn, STORE_DB_REQUESTS, &k);
	if (rc != 0)
		goto out;
	r->found = 1;
	rc = store_held_walk(st, txn, r);
	if (rc != 0)
		goto out;
	if (r->set == STORE_REL_ACCEPTED)
		rc = store_relation_write(st, txn, r->a, r->b,
					  STORE_REL_ACCEPTED,
					  STORE_REL_DECLINED, 0);
	else
		rc = store_relation_write(st, txn, r->a, r->b,
					  STORE_REL_DECLINED,
					  STORE_REL_ACCEPTED,
					  clock_now_ms() + r->ms);
out:
	store_buf_free(&k);
	return rc;
}

int store_request_accept(struct store *st, const char *recipient,
			 const char *sender, struct store_held **out,
			 size_t *n)
{
	struct store_rarg *r;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_rarg_new(recipient, sender, 0, &r);
	if (rc != 0)
		return STORE_NOTFOUND;
	r->set = STORE_REL_ACCEPTED;
	rc = store_txn_run(st, "accept request", store_request_decide_body, r);
	return store_held_result(r, rc, out, n);
}

int store_request_decline(struct store *st, const char *recipient,
			  const char *sender, int64_t cooldown_ms)
{
	struct store_rarg *r;
	int rc;

	rc = store_rarg_new(recipient, sender, 0, &r);
	if (rc != 0)
		return STORE_NOTFOUND;
	r->set = STORE_REL_DECLINED;
	r->ms = cooldown_ms;
	rc = store_txn_run(st, "decline request", store_request_decide_body,
			   r);
	store_held_list_free(r->held, r->nheld);
	free(r);
	return rc;
}

/* Evidence. */

/* The time in an evidence key, after the pair prefix (r->max2 bytes). */
static int64_t store_evidence_time(const struct store_rarg *r, const DBT *key)
{
	const unsigned char *p = (const unsigned char *)key->data + r->max2;
	int64_t ms = 0;
	int i;

	for (i = 0; i < 8; i++)
		ms = (ms << 8) | p[i];
	return ms;
}

/* Learns a pair's count: walks its log newest first, by key alone,
 * deleting what is past the count or too old. */
static int store_evidence_prune(DBC *c, const DBT *key, const DBT *val,
				void *arg)
{
	struct store_rarg *r = arg;
	int64_t ms;

	(void)val;
	if (key->size < r->max2 + 8)
		return STORE_EFORMAT;
	ms = store_evidence_time(r, key);
	r->nheld++; /* counts the pair's messages, newest first */
	if (r->nheld > r->max1 || (r->ms > 0 && ms < r->ms))
		return c->del(c, 0);
	r->count++;
	return 0;
}

/* Keeps a pair whose count is known at the bound: walks from its oldest
 * message, deleting while there are too many or they are too old, and
 * stops at the first one that stays (usually after one step). */
static int store_evidence_trim(DBC *c, const DBT *key, const DBT *val,
			       void *arg)
{
	struct store_rarg *r = arg;

	(void)val;
	if (key->size < r->max2 + 8)
		return STORE_EFORMAT;
	if (key->size == r->newkey_len &&
	    memcmp(key->data, r->newkey, r->newkey_len) == 0)
		return 1; /* never the message just added */
	if (r->count > r->max1 ||
	    (r->ms > 0 && store_evidence_time(r, key) < r->ms)) {
		r->count--;
		return c->del(c, 0);
	}
	return 1;
}

/* How far past its count a pair's log may grow before it is trimmed (and
 * messages past the age bound with it): a quarter of the count. */
#define STORE_EVIDENCE_SLACK(n) ((n) / 4)

/* How many messages each pair's log holds, as this process last left it
 * (pair -> count + 1).  A pair not in it is counted by a full walk on its
 * next append; past STORE_EVIDENCE_PAIRS pairs the map starts again. */
#define STORE_EVIDENCE_PAIRS 100000

/* One pair's share of a drain: how its log is trimmed afterwards. */
struct store_ev_pair {
	char *key; /* a \n b, for ev_appends */
	const struct store_ev_pending *last; /* its newest append */
	size_t appended;
	uintptr_t known; /* ev_appends' count + 1 before the drain; 0: none */
	size_t count;    /* the count after the drain (set by the body) */
};

struct store_ev_drain {
	struct store_ev_pending *v;
	size_t n;
	struct store_ev_pair *pairs;
	size_t npairs;
};

static void store_ev_key(struct store_buf *k, const struct store_ev_pending *e,
			 size_t *plen)
{
	store_buf_init(k);
	store_pair_key(k, e->a, e->b);
	store_buf_u8(k, 0);
	*plen = k->len;
	store_buf_be64(k, (uint64_t)e->ms);
	store_buf_be32(k, e->seq);
}

/* Trims one pair's log after its appends: a pair this process has not
 * counted yet is counted by a full walk (pruning as it goes); a counted
 * one is trimmed from its oldest end once it is a few over its bound. */
static int store_ev_trim_pair(struct store *st, DB_TXN *txn,
			      struct store_ev_pair *p)
{
	const struct store_ev_pending *e = p->last;
	struct store_rarg r;
	struct store_buf k;
	size_t plen;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	store_ev_key(&k, e, &plen);
	r.max1 = e->max_count;
	r.max2 = (unsigned)plen;
	r.ms = e->max_age_ms > 0 ? e->ms - e->max_age_ms : 0;
	r.newkey = k.p;
	r.newkey_len = k.len;
	if (p->known == 0) {
		rc = store_dbwalk(st, txn, STORE_DB_EVIDENCE, k.p, plen,
				  STORE_WALK_REVERSE | STORE_WALK_KEYS,
				  store_evidence_prune, &r);
	} else {
		r.count = p->known - 1 + p->appended;
		if (r.count > r.max1 + STORE_EVIDENCE_SLACK(r.max1))
			rc = store_dbwalk(st, txn, STORE_DB_EVIDENCE, k.p, plen,
					  STORE_WALK_KEYS, store_evidence_trim,
					  &r);
	}
	p->count = r.count;
	store_buf_free(&k);
	return rc;
}

/* Writes every pending append, then trims each pair once. */
static int store_ev_drain_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_ev_drain *d = arg;
	struct store_buf k, v;
	size_t i, plen;
	int rc = 0;

	for (i = 0; i < d->n && rc == 0; i++) {
		const struct store_ev_pending *e = &d->v[i];

		store_ev_key(&k, e, &plen);
		store_buf_init(&v);
		store_buf_u8(&v, STORE_V1);
		store_buf_be64(&v, (uint64_t)e->ms);
		store_buf_str(&v, e->text);
		rc = store_dbput(st, txn, STORE_DB_EVIDENCE, &k, &v, 0);
		store_buf_free(&k);
		store_buf_free(&v);
	}
	for (i = 0; i < d->npairs && rc == 0; i++)
		rc = store_ev_trim_pair(st, txn, &d->pairs[i]);
	return rc;
}

int store_evidence_drain(struct store *st)
{
	struct store_ev_drain d;
	size_t i, j;
	int rc;

	if (st->ev_n == 0)
		return 0;
	d.v = st->ev_pending;
	d.n = st->ev_n;
	st->ev_pending = NULL;
	st->ev_n = st->ev_cap = 0;
	if (st->ev_appends == NULL ||
	    strmap_count(st->ev_appends) >= STORE_EVIDENCE_PAIRS) {
		strmap_free(st->ev_appends);
		st->ev_appends = strmap_new(NULL);
	}
	/* The pairs, in order of first append (a pass has few). */
	d.pairs = store_xmalloc(d.n * sizeof(*d.pairs));
	d.npairs = 0;
	for (i = 0; i < d.n; i++) {
		size_t la = strlen(d.v[i].a), lb = strlen(d.v[i].b);
		char *key = store_xmalloc(la + lb + 2);

		memcpy(key, d.v[i].a, la);
		key[la] = '\n';
		memcpy(key + la + 1, d.v[i].b, lb + 1);
		for (j = 0; j < d.npairs; j++)
			if (strcmp(d.pairs[j].key, key) == 0)
				break;
		if (j < d.npairs) {
			free(key);
		} else {
			d.pairs[j].key = key;
			d.pairs[j].appended = 0;
			d.pairs[j].known = (uintptr_t)strmap_get(st->ev_appends,
								 key);
			d.npairs++;
		}
		d.pairs[j].appended++;
		d.pairs[j].last = &d.v[i];
	}
	rc = store_txn_run(st, "add evidence", store_ev_drain_body, &d);
	/* Only a committed count is remembered; a failure makes the pair
	 * unknown again, so its next append counts it afresh. */
	for (j = 0; j < d.npairs; j++) {
		if (rc == 0)
			strmap_put(st->ev_appends, d.pairs[j].key,
				   (void *)(d.pairs[j].count + 1));
		else
			strmap_del(st->ev_appends, d.pairs[j].key);
	}
	for (i = 0; i < d.n; i++) {
		free(d.v[i].a);
		free(d.v[i].b);
		free(d.v[i].text);
	}
	for (j = 0; j < d.npairs; j++)
		free(d.pairs[j].key);
	free(d.v);
	free(d.pairs);
	return rc;
}

int store_evidence_add(struct store *st, const char *sender,
		       const char *recipient, const char *text,
		       unsigned max_count, int64_t max_age_ms)
{
	char a[STORE_ADDR_SIZE], b[STORE_ADDR_SIZE];
	struct store_ev_pending *e;

	if (store_addr_norm(sender, a) != 0 ||
	    store_addr_norm(recipient, b) != 0 || text == NULL)
		return STORE_EINVAL;
	if (st->ev_n == st->ev_cap) {
		st->ev_cap = st->ev_cap ? 2 * st->ev_cap : 64;
		st->ev_pending = store_xrealloc(st->ev_pending,
						st->ev_cap * sizeof(*e));
	}
	e = &st->ev_pending[st->ev_n];
	e->a = store_xstrdup(a);
	e->b = store_xstrdup(b);
	e->text = store_xstrdup(text);
	e->ms = clock_now_ms();
	e->seq = store_next_seq(st);
	e->max_count = max_count;
	e->max_age_ms = max_age_ms;
	st->ev_n++;
	/* In a batch, the pass's appends go in at its end, as one call. */
	return st->batch_open ? 0 : store_evidence_drain(st);
}

static int store_evidence_one(DBC *c, const DBT *key, const DBT *val,
			      void *arg)
{
	struct store_rarg *r = arg;
	struct store_rd rd;
	char *s;

	store_rd_init(&rd, val->data, val->size);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	store_rd_be64(&rd);
	s = store_rd_str(&rd);
	store_strv_add(r, s, strlen(s));
	free(s);
	return rd.bad ? STORE_EFORMAT : 0;
}

static int store_evidence_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rarg *r = arg;
	struct store_buf k;
	int rc;

	store_strv_start(r);
	store_buf_init(&k);
	store_pair_key(&k, r->a, r->b);
	store_buf_u8(&k, 0);
	rc = store_dbwalk(st, txn, STORE_DB_EVIDENCE, k.p, k.len, 0,
			  store_evidence_one, r);
	store_buf_free(&k);
	return rc;
}

int store_evidence_list(struct store *st, const char *sender,
			const char *recipient, char ***out)
{
	struct store_rarg *r;
	int rc;

	(void)store_evidence_drain(st); /* logged by the store on failure */
	rc = store_rarg_new(sender, recipient, 0, &r);
	if (rc != 0) {
		*out = NULL;
		return rc;
	}
	rc = store_txn_run(st, "list evidence", store_evidence_list_body, r);
	return store_strv_done(r, rc, out);
}

int store_evidence_append(struct store *st, DB_TXN *txn, const char *sender,
			  const char *recipient, char ***strv, size_t *n)
{
	struct store_rarg *r;
	struct store_buf k;
	int rc;

	rc = store_rarg_new(sender, recipient, 0, &r);
	if (rc != 0)
		return 0; /* no such pair, no evidence */
	r->strv = *strv;
	r->strv_n = *n;
	if (r->strv == NULL) {
		r->strv = store_xmalloc(sizeof(char *));
		r->strv[0] = NULL;
	}
	store_buf_init(&k);
	store_pair_key(&k, r->a, r->b);
	store_buf_u8(&k, 0);
	rc = store_dbwalk(st, txn, STORE_DB_EVIDENCE, k.p, k.len, 0,
			  store_evidence_one, r);
	store_buf_free(&k);
	*strv = r->strv;
	*n = r->strv_n;
	free(r);
	return rc;
}
