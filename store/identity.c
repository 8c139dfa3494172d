/*
 * identity.c - identities, links between real JIDs and identities, link
 * tokens, presence subscriptions, and the normalisation of names.
 *
 * The records (docs/STORE.md has the layouts):
 * identities:    handle -> name, bot, who, created
 * links:         jid -> handle, linked; indexed by handle \0
 * tokens:        token -> handle, created, expires, used, used by
 * subscriptions: handle \0 jid -> created
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "component/clock.h"
#include "component/jid.h"
#include "component/log.h"
#include "component/xmalloc.h"
#include "store/store-int.h"

#define ID struct store_identity
static const struct store_field store_identity_key[] = {
	STORE_FIELD(STORE_F_BUF, ID, handle),
	STORE_FIELD_END,
};
static const struct store_field store_identity_val[] = {
	STORE_FIELD(STORE_F_BUF, ID, name),
	STORE_FIELD(STORE_F_BOOL, ID, bot),
	STORE_FIELD(STORE_F_U8, ID, who),
	STORE_FIELD(STORE_F_BE64, ID, created_ms),
	STORE_FIELD_END,
};
#undef ID
const struct store_rec store_rec_identity = {
	STORE_DB_IDENTITIES, true, sizeof(struct store_identity),
	store_identity_key, store_identity_val, 0, NULL,
};

#define LK struct store_link_rec
static const struct store_field store_link_key[] = {
	STORE_FIELD(STORE_F_STR, LK, jid),
	STORE_FIELD_END,
};
static const struct store_field store_link_val[] = {
	STORE_FIELD(STORE_F_BUF, LK, handle),
	STORE_FIELD(STORE_F_BE64, LK, ms),
	STORE_FIELD_END,
};
static const struct store_field store_link_ikey[] = {
	STORE_FIELD(STORE_F_BUF, LK, handle),
	STORE_FIELD_NUL,
	STORE_FIELD_END,
};
#undef LK
const struct store_rec store_rec_link = {
	STORE_DB_LINKS, true, sizeof(struct store_link_rec),
	store_link_key, store_link_val, STORE_DB_LINKS_BY_HANDLE,
	store_link_ikey,
};

#define TK struct store_token
static const struct store_field store_token_key[] = {
	STORE_FIELD(STORE_F_BUF, TK, token),
	STORE_FIELD_END,
};
static const struct store_field store_token_val[] = {
	STORE_FIELD(STORE_F_BUF, TK, handle),
	STORE_FIELD(STORE_F_BE64, TK, created_ms),
	STORE_FIELD(STORE_F_BE64, TK, expires_ms),
	STORE_FIELD(STORE_F_BOOL, TK, used),
	STORE_FIELD(STORE_F_STR, TK, used_by),
	STORE_FIELD_END,
};
#undef TK
static const struct store_rec store_rec_token = {
	STORE_DB_TOKENS, false, sizeof(struct store_token),
	store_token_key, store_token_val, 0, NULL,
};

/* A presence subscription of jid to handle. */
struct store_sub_rec {
	char *handle, *jid;
	int64_t ms;
};

#define SB struct store_sub_rec
static const struct store_field store_sub_key[] = {
	STORE_FIELD(STORE_F_STR, SB, handle),
	STORE_FIELD(STORE_F_STR, SB, jid),
	STORE_FIELD_END,
};
static const struct store_field store_sub_val[] = {
	STORE_FIELD(STORE_F_BE64, SB, ms),
	STORE_FIELD_END,
};
#undef SB
static const struct store_rec store_rec_sub = {
	STORE_DB_SUBS, false, sizeof(struct store_sub_rec),
	store_sub_key, store_sub_val, 0, NULL,
};

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

int store_addr_norm(const char *in, char out[STORE_ADDR_SIZE])
{
	size_t i;

	if (in == NULL || in[0] == '\0')
		return STORE_EINVAL;
	for (i = 0; in[i] != '\0'; i++) {
		if (i >= STORE_ADDR_SIZE - 1)
			return STORE_EINVAL;
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	}
	out[i] = '\0';
	return 0;
}

/* Identities. */

int store_identity_add(struct store *st, const struct store_identity *id)
{
	struct store_identity rec = *id;
	const struct store_step steps[] = {
		STORE_STEP(STORE_ADD, &store_rec_identity, &rec),
		STORE_STEPS_END,
	};

	if (store_handle_norm(id->handle, rec.handle) != 0)
		return STORE_EINVAL;
	if (rec.created_ms == 0)
		rec.created_ms = clock_now_ms();
	return store_steps(st, "add identity", steps);
}

/* Replaces an identity, keeping its creation time unless one is given. */
static int store_identity_update_body(struct store *st, DB_TXN *txn,
				      void *arg)
{
	struct store_identity *in = arg, cur = {.bot = false};
	int rc;

	memcpy(cur.handle, in->handle, sizeof(cur.handle));
	rc = store_rec_get(st, txn, &store_rec_identity, &cur);
	if (rc != 0)
		return rc;
	if (in->created_ms == 0)
		in->created_ms = cur.created_ms;
	return store_rec_put(st, txn, &store_rec_identity, in, 0);
}

int store_identity_update(struct store *st, const struct store_identity *id)
{
	struct store_identity rec = *id;
	const struct store_step steps[] = {
		{STORE_CALL, NULL, &rec, 0, store_identity_update_body},
		STORE_STEPS_END,
	};

	if (store_handle_norm(id->handle, rec.handle) != 0)
		return STORE_EINVAL;
	return store_steps(st, "update identity", steps);
}

int store_identity_get(struct store *st, const char *handle,
		       struct store_identity *out)
{
	const struct store_step steps[] = {
		STORE_STEP(STORE_GET, &store_rec_identity, out),
		STORE_STEPS_END,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_handle_norm(handle, out->handle) != 0)
		return STORE_NOTFOUND; /* no identity has a bad handle */
	rc = store_read_steps(st, "read identity", steps);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

static int store_token_drop(DBC *c, void *rec, void *arg)
{
	const struct store_token *t = rec;

	return strcmp(t->handle, arg) == 0 ? c->del(c, 0) : 0;
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

/* The linked accounts of an identity being removed, gathered first: the
 * notes that they are no longer linked (as store_unlink_body() writes)
 * are written after the walk, which a write could otherwise disturb (the
 * read cache it may come from is dropped by any write). */
struct store_unlink_notes {
	char **jids;
	size_t n;
};

static int store_unlink_gather(DBC *c, void *rec, void *arg)
{
	struct store_unlink_notes *a = arg;
	struct store_link_rec *l = rec;

	(void)c;
	a->jids = xreallocarray(a->jids, a->n + 1, sizeof(*a->jids));
	a->jids[a->n++] = l->jid;
	l->jid = NULL;
	return 0;
}

/* What an identity leaves behind: every record keyed by its handle \0,
 * the affiliations and evidence naming it second, and its tokens. */
static int store_identity_remove_rest(struct store *st, DB_TXN *txn,
				      void *arg)
{
	static const enum store_dbi owned[] = {
		STORE_DB_LINKS_BY_HANDLE, STORE_DB_FOLLOWS, STORE_DB_FOLLOWERS,
		STORE_DB_RELATIONS,       STORE_DB_REQUESTS, STORE_DB_HELD,
		STORE_DB_SUBS,            STORE_DB_EVIDENCE,
	};
	const char *handle = arg;
	struct store_unlink_notes notes = {NULL, 0};
	struct store_link_rec l = {NULL};
	struct store_buf k;
	size_t i;
	int rc;

	snprintf(l.handle, sizeof(l.handle), "%s", handle);
	rc = store_rec_walk(st, txn, &store_rec_link, &l, 1, STORE_WALK_INDEX,
			    store_unlink_gather, &notes);
	if (rc == DB_NOTFOUND)
		rc = 0;
	for (i = 0; i < notes.n; i++) {
		if (rc == 0)
			rc = store_change_note(st, txn, STORE_CHANGE_UNLINK,
					       notes.jids[i]);
		free(notes.jids[i]);
	}
	free(notes.jids);
	if (rc != 0)
		return rc;
	store_buf_init(&k);
	store_buf_put(&k, handle, strlen(handle) + 1);
	for (i = 0; rc == 0 && i < sizeof(owned) / sizeof(owned[0]); i++)
		rc = store_dbdel_prefix(st, txn, owned[i], &k);
	store_buf_free(&k);
	if (rc == 0)
		rc = store_dbwalk(st, txn, STORE_DB_EVIDENCE, NULL, 0, 0,
				  store_second_is, (void *)handle);
	if (rc == 0)
		rc = store_dbwalk(st, txn, STORE_DB_AFFILS, NULL, 0, 0,
				  store_second_is, (void *)handle);
	if (rc == 0)
		rc = store_rec_walk(st, txn, &store_rec_token, NULL, 0, 0,
				    store_token_drop, (void *)handle);
	return rc;
}

int store_identity_remove_txn(struct store *st, DB_TXN *txn,
			      const char *handle)
{
	struct store_identity id = {.bot = false};
	int rc;

	if (store_handle_norm(handle, id.handle) != 0)
		return DB_NOTFOUND;
	rc = store_rec_del(st, txn, &store_rec_identity, &id, 0);
	if (rc == 0)
		rc = store_identity_remove_rest(st, txn, id.handle);
	return rc;
}

static int store_identity_remove_body(struct store *st, DB_TXN *txn,
				      void *arg)
{
	return store_identity_remove_txn(st, txn, arg);
}

int store_identity_remove(struct store *st, const char *handle)
{
	char h[STORE_HANDLE_SIZE];

	if (store_handle_norm(handle, h) != 0)
		return STORE_NOTFOUND;
	return store_txn_run(st, "remove identity", store_identity_remove_body,
			     h);
}

int store_identity_list(struct store *st, struct store_identity **out,
			size_t *n)
{
	return store_list(st, "list identities", &store_rec_identity, NULL, 0,
			  0, NULL, NULL, (void **)out, n);
}

int store_identity_check(struct store *st, DB_TXN *txn, const char *handle)
{
	struct store_identity id = {.bot = false};

	if (strlen(handle) >= sizeof(id.handle))
		return DB_NOTFOUND;
	strcpy(id.handle, handle);
	return store_rec_exists(st, txn, &store_rec_identity, &id);
}

/* Links. */

/* Links l->jid to l->handle inside txn: the identity must exist and the
 * JID be free (otherwise DB_KEYEXIST, and l->handle says to whom). */
static int store_link_in(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_link_rec *l = arg, cur = {.jid = l->jid};
	struct store_identity id = {.bot = false};
	int rc;

	memcpy(id.handle, l->handle, sizeof(id.handle));
	rc = store_rec_exists(st, txn, &store_rec_identity, &id);
	if (rc != 0)
		return rc;
	rc = store_rec_get(st, txn, &store_rec_link, &cur);
	if (rc == 0) {
		memcpy(l->handle, cur.handle, sizeof(l->handle));
		return DB_KEYEXIST;
	}
	if (rc != DB_NOTFOUND)
		return rc;
	l->ms = clock_now_ms();
	return store_rec_put(st, txn, &store_rec_link, l, 0);
}

/* A link record of a normalised handle (may be NULL) and JID. */
static int store_link_norm(const char *handle, const char *jid,
			   char buf[STORE_JID_SIZE], struct store_link_rec *l)
{
	memset(l, 0, sizeof(*l));
	l->jid = buf;
	if (handle != NULL && store_handle_norm(handle, l->handle) != 0)
		return STORE_EINVAL;
	return store_jid_norm(jid, buf);
}

int store_link(struct store *st, const char *handle, const char *jid)
{
	char buf[STORE_JID_SIZE];
	struct store_link_rec l;
	const struct store_step steps[] = {
		{STORE_CALL, NULL, &l, 0, store_link_in},
		STORE_STEPS_END,
	};
	int rc;

	if ((rc = store_link_norm(handle, jid, buf, &l)) != 0)
		return rc;
	return store_steps(st, "link", steps);
}

static int store_unlink_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_link_rec *want = arg, cur = {.jid = want->jid};
	int rc;

	rc = store_rec_get(st, txn, &store_rec_link, &cur);
	if (rc == 0 && strcmp(cur.handle, want->handle) != 0)
		rc = STORE_NOTFOUND;
	if (rc == 0)
		rc = store_rec_del(st, txn, &store_rec_link, want, 0);
	/* Noted for the daemons that keep the account in rooms (a rooms
	 * instance, or the daemon when another process unlinks). */
	return rc != 0 ? rc
		       : store_change_note(st, txn, STORE_CHANGE_UNLINK,
					   want->jid);
}

int store_unlink(struct store *st, const char *handle, const char *jid)
{
	char buf[STORE_JID_SIZE];
	struct store_link_rec l;
	const struct store_step steps[] = {
		{STORE_CALL, NULL, &l, 0, store_unlink_body},
		STORE_STEPS_END,
	};
	int rc;

	if ((rc = store_link_norm(handle, jid, buf, &l)) != 0)
		return rc;
	return store_steps(st, "unlink", steps);
}

/* True when jid has nothing that store_jid_norm() would change: no
 * upper case, resource or trailing dot. */
static bool store_jid_is_bare(const char *jid)
{
	size_t i;

	if (jid == NULL || jid[0] == '\0')
		return false;
	for (i = 0; jid[i] != '\0'; i++)
		if ((jid[i] >= 'A' && jid[i] <= 'Z') || jid[i] == '/' ||
		    i >= STORE_JID_SIZE - 1)
			return false;
	return jid[i - 1] != '.';
}

int store_link_get(struct store *st, const char *jid,
		   char handle[STORE_HANDLE_SIZE])
{
	char buf[STORE_JID_SIZE];
	struct store_link_rec l;
	const struct store_step steps[] = {
		STORE_STEP(STORE_GET, &store_rec_link, &l),
		STORE_STEPS_END,
	};
	int rc;

	handle[0] = '\0';
	/* A JID already bare and lower-case (as the daemon's usually are) is
	 * looked up as it is: parsing it would give it back unchanged, or
	 * refuse it, and then no link has it either. */
	if (store_jid_is_bare(jid)) {
		memset(&l, 0, sizeof(l));
		l.jid = (char *)jid;
	} else if (store_link_norm(NULL, jid, buf, &l) != 0) {
		return STORE_NOTFOUND;
	}
	rc = store_read_steps(st, "look up link", steps);
	if (rc == 0)
		memcpy(handle, l.handle, STORE_HANDLE_SIZE);
	return rc;
}

int store_link_list(struct store *st, const char *handle, char ***jids)
{
	struct store_link_rec l = {NULL};

	*jids = NULL;
	if (store_handle_norm(handle, l.handle) != 0)
		return STORE_NOTFOUND;
	return store_list_strv(st, "list links", &store_rec_link, &l, 1,
			       STORE_WALK_INDEX, NULL,
			       offsetof(struct store_link_rec, jid), jids);
}

/* A page of a database in key order: up to max records from the first
 * key after `after` (or the very first), each handed to fn. */
struct store_page_arg {
	enum store_dbi db;
	const char *after;
	size_t max, n;
	bool keys_only;
	int (*fn)(struct store_page_arg *a, const DBT *k, const DBT *v);
	void *out; /* fn's: the vector being filled */
};

/* One key of a page: after's own key is not part of it. */
static int store_page_one(DBC *c, const DBT *k, const DBT *v, void *arg)
{
	struct store_page_arg *a = arg;
	size_t alen = strlen(a->after);
	int rc;

	(void)c;
	if (a->n == a->max)
		return 1;
	if (alen > 0 && k->size == alen && memcmp(k->data, a->after, alen) == 0)
		return 0;
	if ((rc = a->fn(a, k, v)) == 0)
		a->n++;
	return rc;
}

static int store_page_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_page_arg *a = arg;
	struct store_range r = {a->after, strlen(a->after), NULL, 0};

	a->n = 0;
	return store_dbwalk_range(st, txn, a->db, &r,
				  a->keys_only ? STORE_WALK_KEYS : 0,
				  store_page_one, a);
}

static int store_page_jid(struct store_page_arg *a, const DBT *k,
			  const DBT *v)
{
	char **out = a->out;

	free(out[a->n]); /* a retried body's */
	out[a->n] = xmalloc(k->size + 1);
	memcpy(out[a->n], k->data, k->size);
	out[a->n][k->size] = '\0';
	return 0;
}

int store_link_page(struct store *st, const char *after, size_t max,
		    char ***jids)
{
	struct store_page_arg a = {STORE_DB_LINKS, after, max, 0, true,
				   store_page_jid, NULL};
	char **v = xcalloc(max + 1, sizeof(char *));
	size_t i;
	int rc;

	a.out = v;
	rc = store_read(st, "page links", store_page_body, &a);
	for (i = rc == 0 ? a.n : 0; i <= max; i++) {
		free(v[i]); /* beyond the page: left by a retried body */
		v[i] = NULL;
	}
	if (rc != 0) {
		free(v);
		v = NULL;
	}
	*jids = v;
	return rc;
}

static int store_page_identity(struct store_page_arg *a, const DBT *k,
			       const DBT *v)
{
	struct store_identity *out = a->out;

	return store_rec_decode(&store_rec_identity, k->data, k->size,
				v->data, v->size, &out[a->n]);
}

int store_identity_page(struct store *st, const char *after, size_t max,
			struct store_identity **ids, size_t *n)
{
	struct store_page_arg a = {STORE_DB_IDENTITIES, after, max, 0, false,
				   store_page_identity, NULL};
	int rc;

	a.out = xcalloc(max ? max : 1, sizeof(struct store_identity));
	rc = store_read(st, "page identities", store_page_body, &a);
	if (rc != 0) {
		free(a.out);
		a.out = NULL;
		a.n = 0;
	}
	*ids = a.out;
	*n = a.n;
	return rc;
}

/* Tokens. */

int store_token_new(struct store *st, const char *handle, int64_t ttl_ms,
		    char token[STORE_TOKEN_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[STORE_TOKEN_SIZE / 2];
	struct store_token t = {.used_by = ""};
	struct store_identity id = {.bot = false};
	const struct store_step steps[] = {
		STORE_STEP(STORE_NEED, &store_rec_identity, &id),
		STORE_STEP(STORE_ADD, &store_rec_token, &t),
		STORE_STEPS_END,
	};
	size_t i;
	int rc;

	token[0] = '\0';
	if (store_handle_norm(handle, id.handle) != 0)
		return STORE_NOTFOUND;
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		log_err("store: getrandom");
		return STORE_EFAIL;
	}
	for (i = 0; i < sizeof(raw); i++) {
		t.token[2 * i] = hex[raw[i] >> 4];
		t.token[2 * i + 1] = hex[raw[i] & 15];
	}
	memcpy(t.handle, id.handle, sizeof(t.handle));
	t.created_ms = clock_now_ms();
	t.expires_ms = t.created_ms + ttl_ms;
	rc = store_steps(st, "new token", steps);
	if (rc == 0)
		memcpy(token, t.token, STORE_TOKEN_SIZE);
	return rc;
}

/* Redeeming: the token, then the link, in one transaction. */
struct store_redeem {
	struct store_token t;
	struct store_link_rec l;
	int why; /* the positive outcome of a refusal */
};

static int store_token_redeem_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_redeem *a = arg;
	int rc;

	/* The body aborts with STORE_NOTFOUND and says why in a->why: the
	 * runner knows nothing of the token outcomes. */
	a->why = 0;
	rc = store_rec_get(st, txn, &store_rec_token, &a->t);
	if (rc != 0)
		return rc;
	if (strcmp(a->t.handle, a->l.handle) != 0)
		a->why = STORE_TOKEN_UNKNOWN;
	else if (a->t.used)
		a->why = STORE_TOKEN_USED;
	else if (clock_now_ms() >= a->t.expires_ms)
		a->why = STORE_TOKEN_EXPIRED;
	if (a->why != 0)
		return STORE_NOTFOUND;
	rc = store_link_in(st, txn, &a->l);
	if (rc == DB_KEYEXIST && strcmp(a->l.handle, a->t.handle) == 0)
		rc = 0; /* already linked to this identity: just use it up */
	if (rc != 0)
		return rc;
	a->t.used = true;
	free(a->t.used_by);
	a->t.used_by = xstrdup(a->l.jid);
	return store_rec_put(st, txn, &store_rec_token, &a->t, 0);
}

int store_token_claim(struct store *st, const char *handle, const char *token,
		      const char *jid)
{
	char buf[STORE_JID_SIZE];
	struct store_redeem a;
	size_t n;
	int rc;

	if (token == NULL || (n = strlen(token)) == 0 ||
	    n >= STORE_TOKEN_SIZE)
		return STORE_NOTFOUND;
	memset(&a, 0, sizeof(a));
	memcpy(a.t.token, token, n);
	if (store_handle_norm(handle, a.l.handle) != 0)
		return STORE_NOTFOUND;
	a.l.jid = buf;
	if (store_jid_norm(jid, buf) != 0)
		return STORE_EINVAL;
	rc = store_txn_run(st, "redeem token", store_token_redeem_body, &a);
	if (rc == STORE_NOTFOUND && a.why != 0)
		rc = a.why;
	free(a.t.used_by);
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

void store_token_list_free(struct store_token *v, size_t n)
{
	store_rec_list_free(&store_rec_token, v, n);
}

int store_token_list(struct store *st, struct store_token **out, size_t *n)
{
	return store_list(st, "list tokens", &store_rec_token, NULL, 0, 0,
			  NULL, NULL, (void **)out, n);
}

int store_token_put(struct store *st, const struct store_token *t)
{
	struct store_token rec = *t;
	struct store_identity id = {.bot = false};
	const struct store_step steps[] = {
		STORE_STEP(STORE_NEED, &store_rec_identity, &id),
		STORE_STEP(STORE_ADD, &store_rec_token, &rec),
		STORE_STEPS_END,
	};
	size_t len = strnlen(t->token, STORE_TOKEN_SIZE);

	if (len == 0 || len >= STORE_TOKEN_SIZE)
		return STORE_EINVAL;
	if (store_handle_norm(t->handle, id.handle) != 0)
		return STORE_NOTFOUND;
	memcpy(rec.handle, id.handle, sizeof(rec.handle));
	return store_steps(st, "write token", steps);
}

/* Subscriptions. */

/* A subscription record of a normalised handle and JID (jid may be NULL:
 * the handle alone, for a prefix). */
static int store_sub_norm(const char *handle, const char *jid,
			  char h[STORE_HANDLE_SIZE], char j[STORE_JID_SIZE],
			  struct store_sub_rec *s)
{
	memset(s, 0, sizeof(*s));
	s->handle = h;
	s->jid = j;
	if (store_handle_norm(handle, h) != 0)
		return STORE_EINVAL;
	return jid != NULL ? store_jid_norm(jid, j) : 0;
}

int store_sub_add(struct store *st, const char *handle, const char *jid)
{
	char j[STORE_JID_SIZE];
	struct store_identity id = {.bot = false};
	struct store_sub_rec s;
	const struct store_step steps[] = {
		STORE_STEP(STORE_NEED, &store_rec_identity, &id),
		STORE_STEP(STORE_ADD, &store_rec_sub, &s),
		STORE_STEPS_END,
	};
	int rc;

	if ((rc = store_sub_norm(handle, jid, id.handle, j, &s)) != 0)
		return rc;
	s.ms = clock_now_ms();
	return store_steps(st, "add subscription", steps);
}

int store_sub_remove(struct store *st, const char *handle, const char *jid)
{
	char h[STORE_HANDLE_SIZE], j[STORE_JID_SIZE];
	struct store_sub_rec s;
	const struct store_step steps[] = {
		STORE_STEP(STORE_DEL, &store_rec_sub, &s),
		STORE_STEPS_END,
	};

	if (store_sub_norm(handle, jid, h, j, &s) != 0)
		return STORE_NOTFOUND; /* nothing bad was ever stored */
	return store_steps(st, "remove subscription", steps);
}

int store_sub_list(struct store *st, const char *handle, char ***out)
{
	char h[STORE_HANDLE_SIZE], j[STORE_JID_SIZE];
	struct store_sub_rec s;
	int rc;

	*out = NULL;
	if ((rc = store_sub_norm(handle, NULL, h, j, &s)) != 0)
		return rc;
	return store_list_strv(st, "list subscriptions", &store_rec_sub, &s, 1,
			       0, NULL, offsetof(struct store_sub_rec, jid),
			       out);
}
