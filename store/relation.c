/*
 * relation.c - follows, per-pair relationships, message requests with
 * their held messages, the evidence log, and their whole-database lists
 * and as-is writes for backchannelctl dump and load.
 *
 * The records (docs/STORE.md has the layouts):
 * follows:      a \0 b -> created (a follows b); indexed by b \0 a
 * relations:    owner \0 peer -> flags, declined until, updated
 * requests:     recipient \0 sender -> created, updated, held
 * held:         recipient \0 sender \0 ms seq -> received, stanza
 * request-days: sender \0 day -> new requests that day
 * evidence:     sender \0 recipient \0 ms seq -> ms, text
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "component/clock.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "store/store-int.h"

#define STORE_DAY_MS 86400000

struct store_follow_rec {
	char *a, *b;
	int64_t ms;
};

struct store_request_rec {
	char *recipient;
	struct store_request req;
};

struct store_held_rec {
	char *recipient, *sender;
	uint32_t seq;
	struct store_held h;
};

struct store_reqday_rec {
	char *sender;
	uint32_t day, count;
};

struct store_evidence_rec {
	struct store_evidence e;
	uint32_t seq;
};

#define FO struct store_follow_rec
static const struct store_field store_follow_key[] = {
	STORE_FIELD(STORE_F_STR, FO, a),
	STORE_FIELD(STORE_F_STR, FO, b),
	STORE_FIELD_END,
};
static const struct store_field store_follow_val[] = {
	STORE_FIELD(STORE_F_BE64, FO, ms),
	STORE_FIELD_END,
};
static const struct store_field store_follow_ikey[] = {
	STORE_FIELD(STORE_F_STR, FO, b),
	STORE_FIELD(STORE_F_STR, FO, a),
	STORE_FIELD_END,
};
#undef FO
const struct store_rec store_rec_follow = {
	STORE_DB_FOLLOWS, true, sizeof(struct store_follow_rec),
	store_follow_key, store_follow_val, STORE_DB_FOLLOWERS,
	store_follow_ikey,
};

#define RE struct store_relation_entry
static const struct store_field store_relation_key[] = {
	STORE_FIELD(STORE_F_STR, RE, owner),
	STORE_FIELD(STORE_F_STR, RE, peer),
	STORE_FIELD_END,
};
static const struct store_field store_relation_val[] = {
	STORE_FIELD(STORE_F_U8, RE, rel.flags),
	STORE_FIELD(STORE_F_BE64, RE, rel.declined_until_ms),
	STORE_FIELD(STORE_F_BE64, RE, rel.updated_ms),
	STORE_FIELD_END,
};
#undef RE
const struct store_rec store_rec_relation = {
	STORE_DB_RELATIONS, true, sizeof(struct store_relation_entry),
	store_relation_key, store_relation_val, 0, NULL,
};

#define RQ struct store_request_rec
static const struct store_field store_request_key[] = {
	STORE_FIELD(STORE_F_STR, RQ, recipient),
	STORE_FIELD(STORE_F_STR, RQ, req.sender),
	STORE_FIELD_END,
};
static const struct store_field store_request_val[] = {
	STORE_FIELD(STORE_F_BE64, RQ, req.created_ms),
	STORE_FIELD(STORE_F_BE64, RQ, req.updated_ms),
	STORE_FIELD(STORE_F_BE32, RQ, req.held),
	STORE_FIELD_END,
};
#undef RQ
static const struct store_rec store_rec_request = {
	STORE_DB_REQUESTS, true, sizeof(struct store_request_rec),
	store_request_key, store_request_val, 0, NULL,
};

#define HE struct store_held_rec
static const struct store_field store_held_key[] = {
	STORE_FIELD(STORE_F_STR, HE, recipient),
	STORE_FIELD(STORE_F_STR, HE, sender),
	STORE_FIELD(STORE_F_BE64, HE, h.received_ms),
	STORE_FIELD(STORE_F_BE32, HE, seq),
	STORE_FIELD_END,
};
static const struct store_field store_held_val[] = {
	STORE_FIELD(STORE_F_BE64, HE, h.received_ms),
	STORE_FIELD(STORE_F_STR, HE, h.stanza),
	STORE_FIELD_END,
};
#undef HE
static const struct store_rec store_rec_held = {
	STORE_DB_HELD, false, sizeof(struct store_held_rec),
	store_held_key, store_held_val, 0, NULL,
};

#define RD struct store_reqday_rec
static const struct store_field store_reqday_key[] = {
	STORE_FIELD(STORE_F_STR, RD, sender),
	STORE_FIELD(STORE_F_BE32, RD, day),
	STORE_FIELD_END,
};
static const struct store_field store_reqday_val[] = {
	STORE_FIELD(STORE_F_BE32, RD, count),
	STORE_FIELD_END,
};
#undef RD
static const struct store_rec store_rec_reqday = {
	STORE_DB_REQDAY, false, sizeof(struct store_reqday_rec),
	store_reqday_key, store_reqday_val, 0, NULL,
};

#define EV struct store_evidence_rec
static const struct store_field store_evidence_key[] = {
	STORE_FIELD(STORE_F_STR, EV, e.sender),
	STORE_FIELD(STORE_F_STR, EV, e.recipient),
	STORE_FIELD(STORE_F_BE64, EV, e.ms),
	STORE_FIELD(STORE_F_BE32, EV, seq),
	STORE_FIELD_END,
};
static const struct store_field store_evidence_val[] = {
	STORE_FIELD(STORE_F_BE64, EV, e.ms),
	STORE_FIELD(STORE_F_STR, EV, e.text),
	STORE_FIELD_END,
};
#undef EV
static const struct store_rec store_rec_evidence = {
	STORE_DB_EVIDENCE, false, sizeof(struct store_evidence_rec),
	store_evidence_key, store_evidence_val, 0, NULL,
};

/* Two normalised addresses (b may be NULL). */
struct store_pair {
	char a[STORE_ADDR_SIZE], b[STORE_ADDR_SIZE];
};

static int store_pair_norm(const char *a, const char *b, struct store_pair *p)
{
	if (store_addr_norm(a, p->a) != 0)
		return STORE_EINVAL;
	return b != NULL ? store_addr_norm(b, p->b) : 0;
}

/* Follows. */

int store_follow(struct store *st, const char *a, const char *b)
{
	struct store_identity ia = {.bot = false}, ib = {.bot = false};
	struct store_follow_rec f = {ia.handle, ib.handle, 0};
	const struct store_step steps[] = {
		STORE_STEP(STORE_NEED, &store_rec_identity, &ia),
		STORE_STEP(STORE_NEED, &store_rec_identity, &ib),
		STORE_STEP(STORE_ADD, &store_rec_follow, &f),
		STORE_STEPS_END,
	};

	if (store_handle_norm(a, ia.handle) != 0 ||
	    store_handle_norm(b, ib.handle) != 0 ||
	    strcmp(ia.handle, ib.handle) == 0)
		return STORE_EINVAL;
	f.ms = clock_now_ms();
	return store_steps(st, "follow", steps);
}

int store_unfollow(struct store *st, const char *a, const char *b)
{
	char ha[STORE_HANDLE_SIZE], hb[STORE_HANDLE_SIZE];
	struct store_follow_rec f = {ha, hb, 0};
	const struct store_step steps[] = {
		STORE_STEP(STORE_DEL, &store_rec_follow, &f),
		STORE_STEPS_END,
	};

	if (store_handle_norm(a, ha) != 0 || store_handle_norm(b, hb) != 0)
		return STORE_NOTFOUND;
	return store_steps(st, "unfollow", steps);
}

int store_follows(struct store *st, const char *a, const char *b)
{
	struct store_pair p;
	struct store_follow_rec f = {p.a, p.b, 0};
	const struct store_step steps[] = {
		STORE_STEP(STORE_NEED, &store_rec_follow, &f),
		STORE_STEPS_END,
	};

	if (store_pair_norm(a, b, &p) != 0)
		return STORE_NOTFOUND;
	return store_read_steps(st, "read follow", steps);
}

/* Whom a follows (the follows, by a) or who follows a (the index). */
static int store_follow_list(struct store *st, const char *a, int flags,
			     char ***out)
{
	struct store_pair p;
	struct store_follow_rec f = {p.a, p.a, 0};

	*out = NULL;
	if (store_pair_norm(a, NULL, &p) != 0)
		return STORE_EINVAL;
	return store_list_strv(st, "list follows", &store_rec_follow, &f, 1,
			       flags, NULL,
			       flags ? offsetof(struct store_follow_rec, a)
				     : offsetof(struct store_follow_rec, b),
			       out);
}

int store_following_list(struct store *st, const char *a, char ***out)
{
	return store_follow_list(st, a, 0, out);
}

int store_followers_list(struct store *st, const char *b, char ***out)
{
	return store_follow_list(st, b, STORE_WALK_INDEX, out);
}

/* Relationships. */

static int store_relation_store(struct store *st, DB_TXN *txn, void *arg);

/* Sets and clears flags of the relationship in e (owner, peer), removing
 * it when no flag is left. */
static int store_relation_write(struct store *st, DB_TXN *txn,
				struct store_relation_entry *e, unsigned set,
				unsigned clear, int64_t until)
{
	int rc;

	rc = store_rec_get(st, txn, &store_rec_relation, e);
	if (rc == DB_NOTFOUND)
		memset(&e->rel, 0, sizeof(e->rel));
	else if (rc != 0)
		return rc;
	e->rel.flags = (e->rel.flags | set) & ~clear;
	if (set & STORE_REL_DECLINED)
		e->rel.declined_until_ms = until;
	if (!(e->rel.flags & STORE_REL_DECLINED))
		e->rel.declined_until_ms = 0;
	e->rel.updated_ms = clock_now_ms();
	return store_relation_store(st, txn, e);
}

/* Writes e as it is, or removes it when it has no flag. */
static int store_relation_store(struct store *st, DB_TXN *txn, void *arg)
{
	const struct store_relation_entry *e = arg;
	int rc;

	if (e->rel.flags != 0)
		return store_rec_put(st, txn, &store_rec_relation, e, 0);
	rc = store_rec_del(st, txn, &store_rec_relation, e, 0);
	return rc == DB_NOTFOUND ? 0 : rc;
}

int store_relation_get(struct store *st, const char *owner, const char *peer,
		       struct store_relation *out)
{
	struct store_pair p;
	struct store_relation_entry e = {p.a, p.b, {0, 0, 0}};
	const struct store_step steps[] = {
		STORE_STEP(STORE_GET, &store_rec_relation, &e),
		STORE_STEPS_END,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_pair_norm(owner, peer, &p) != 0)
		return STORE_NOTFOUND;
	rc = store_read_steps(st, "read relationship", steps);
	if (rc == 0)
		*out = e.rel;
	return rc;
}

struct store_relation_change {
	struct store_relation_entry e;
	unsigned set, clear;
	int64_t until;
};

static int store_relation_set_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_relation_change *c = arg;

	return store_relation_write(st, txn, &c->e, c->set, c->clear,
				    c->until);
}

int store_relation_set(struct store *st, const char *owner, const char *peer,
		       unsigned set, unsigned clear, int64_t declined_until_ms)
{
	struct store_pair p;
	struct store_relation_change c = {{p.a, p.b, {0, 0, 0}}, set, clear,
					  declined_until_ms};

	if (store_pair_norm(owner, peer, &p) != 0)
		return STORE_EINVAL;
	return store_txn_run(st, "write relationship", store_relation_set_body,
			     &c);
}

int store_relation_put(struct store *st, const char *owner, const char *peer,
		       const struct store_relation *rel)
{
	struct store_pair p;
	struct store_relation_entry e = {p.a, p.b, *rel};
	const struct store_step steps[] = {
		{STORE_CALL, NULL, &e, 0, store_relation_store},
		STORE_STEPS_END,
	};

	if (store_pair_norm(owner, peer, &p) != 0)
		return STORE_EINVAL;
	return store_steps(st, "write relationship", steps);
}

static bool store_is_blocked(const void *rec, void *arg)
{
	const struct store_relation_entry *e = rec;

	return (e->rel.flags & STORE_REL_BLOCKED) != 0;
}

int store_blocked_list(struct store *st, const char *owner, char ***out)
{
	struct store_pair p;
	struct store_relation_entry e = {p.a, p.a, {0, 0, 0}};

	*out = NULL;
	if (store_pair_norm(owner, NULL, &p) != 0)
		return STORE_EINVAL;
	return store_list_strv(st, "list blocks", &store_rec_relation, &e, 1,
			       0, store_is_blocked,
			       offsetof(struct store_relation_entry, peer),
			       out);
}

int store_relation_list_all(struct store *st,
			    struct store_relation_entry **out, size_t *n)
{
	return store_list(st, "list relationships", &store_rec_relation, NULL,
			  0, 0, NULL, NULL, (void **)out, n);
}

void store_relation_list_free(struct store_relation_entry *v, size_t n)
{
	store_rec_list_free(&store_rec_relation, v, n);
}

/* Knows: a follow, a relationship that lets the sender in, or a
 * recipient who lets everyone in. */
static int store_knows_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_pair *p = arg;
	struct store_follow_rec f = {p->a, p->b, 0};
	struct store_relation_entry e = {p->a, p->b, {0, 0, 0}};
	struct store_identity id = {.bot = false};
	int rc;

	rc = store_rec_get(st, txn, &store_rec_follow, &f);
	if (rc != DB_NOTFOUND)
		return rc;
	rc = store_rec_get(st, txn, &store_rec_relation, &e);
	if (rc == 0 &&
	    (e.rel.flags & (STORE_REL_ACCEPTED | STORE_REL_WROTE_FIRST)))
		return 0;
	if (rc != 0 && rc != DB_NOTFOUND)
		return rc;
	if (strlen(p->a) >= sizeof(id.handle))
		return DB_NOTFOUND; /* not a handle */
	strcpy(id.handle, p->a);
	rc = store_rec_get(st, txn, &store_rec_identity, &id);
	if (rc == 0 && id.who != STORE_WHO_EVERYONE)
		rc = DB_NOTFOUND;
	return rc;
}

int store_knows(struct store *st, const char *recipient, const char *sender)
{
	struct store_pair p;

	if (store_pair_norm(recipient, sender, &p) != 0)
		return STORE_NOTFOUND;
	return store_read(st, "check known", store_knows_body, &p);
}

/* Requests and held messages. */

/* Holding a message: a new request is counted against the sender's day
 * first. */
struct store_hold {
	struct store_request_rec q;
	struct store_held_rec h;
	unsigned held_max, per_day_max;
	bool is_new;
};

static int store_request_hold_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_hold *a = arg;
	int64_t now = clock_now_ms();
	int rc;

	a->is_new = false;
	rc = store_rec_get(st, txn, &store_rec_request, &a->q);
	if (rc == DB_NOTFOUND) {
		struct store_reqday_rec d = {a->q.req.sender,
					     (uint32_t)(now / STORE_DAY_MS), 0};

		rc = store_rec_get(st, txn, &store_rec_reqday, &d);
		if (rc != 0 && rc != DB_NOTFOUND)
			return rc;
		if (rc == DB_NOTFOUND)
			d.count = 0;
		if (d.count >= a->per_day_max)
			return STORE_ELIMIT;
		d.count++;
		rc = store_rec_put(st, txn, &store_rec_reqday, &d, 0);
		if (rc != 0)
			return rc;
		a->q.req.created_ms = now;
		a->q.req.held = 0;
		a->is_new = true;
	} else if (rc != 0) {
		return rc;
	}
	if (a->q.req.held >= a->held_max)
		return STORE_ELIMIT;
	a->q.req.held++;
	a->q.req.updated_ms = now;
	rc = store_rec_put(st, txn, &store_rec_request, &a->q, 0);
	if (rc != 0)
		return rc;
	a->h.h.received_ms = now;
	a->h.seq = store_next_seq(st);
	return store_rec_put(st, txn, &store_rec_held, &a->h, 0);
}

int store_request_hold(struct store *st, const char *recipient,
		       const char *sender, const char *stanza,
		       unsigned held_max, unsigned per_day_max, bool *is_new)
{
	struct store_pair p;
	struct store_hold a = {
		{p.a, {p.b, 0, 0, 0}},
		{p.a, p.b, 0, {0, (char *)stanza}},
		held_max,
		per_day_max,
		false,
	};
	int rc;

	*is_new = false;
	if ((rc = store_pair_norm(recipient, sender, &p)) != 0)
		return rc;
	rc = store_txn_run(st, "hold message", store_request_hold_body, &a);
	if (rc == 0)
		*is_new = a.is_new;
	return rc;
}

int store_request_get(struct store *st, const char *recipient,
		      const char *sender, struct store_request *out)
{
	struct store_pair p;
	struct store_request_rec q = {p.a, {p.b, 0, 0, 0}};
	const struct store_step steps[] = {
		STORE_STEP(STORE_GET, &store_rec_request, &q),
		STORE_STEPS_END,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_pair_norm(recipient, sender, &p) != 0)
		return STORE_NOTFOUND;
	rc = store_read_steps(st, "read request", steps);
	if (rc == 0) {
		*out = q.req;
		out->sender = xstrdup(p.b);
	}
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

int store_request_list(struct store *st, const char *recipient,
		       struct store_request **out, size_t *n)
{
	struct store_pair p;
	struct store_request_rec q = {p.a, {p.a, 0, 0, 0}};
	void *v;
	int rc;

	*out = NULL;
	*n = 0;
	if (store_pair_norm(recipient, NULL, &p) != 0)
		return STORE_EINVAL;
	rc = store_list(st, "list requests", &store_rec_request, &q, 1, 0,
			NULL, NULL, &v, n);
	if (rc == 0)
		*out = store_rec_project(&store_rec_request, v, *n,
					 offsetof(struct store_request_rec, req),
					 sizeof(struct store_request));
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

/* A request's held messages in order (taken when take is set). */
struct store_held_walk {
	struct store_held_rec key;
	bool take;
	struct store_held *v;
	size_t n;
};

static int store_held_one(DBC *c, void *rec, void *arg)
{
	struct store_held_walk *w = arg;
	struct store_held_rec *h = rec;

	w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
	w->v[w->n++] = h->h;
	h->h.stanza = NULL;
	return w->take ? c->del(c, 0) : 0;
}

static int store_held_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_held_walk *w = arg;

	store_held_list_free(w->v, w->n);
	w->v = NULL;
	w->n = 0;
	return store_rec_walk(st, txn, &store_rec_held, &w->key, 2, 0,
			      store_held_one, w);
}

int store_held_list(struct store *st, const char *recipient,
		    const char *sender, struct store_held **out, size_t *n)
{
	struct store_pair p;
	struct store_held_walk w = {{p.a, p.b, 0, {0, NULL}}, false, NULL, 0};
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = store_pair_norm(recipient, sender, &p)) != 0)
		return rc;
	rc = store_txn_run(st, "list held messages", store_held_body, &w);
	if (rc != 0) {
		store_held_list_free(w.v, w.n);
		return rc;
	}
	*out = w.v;
	*n = w.n;
	return 0;
}

/* Accepting or declining: the request goes, its held messages are taken,
 * the decision is recorded. */
struct store_decide {
	struct store_held_walk w;
	struct store_relation_entry e;
	bool accept;
	int64_t cooldown_ms;
};

static int store_request_decide_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_decide *d = arg;
	struct store_request_rec q = {d->w.key.recipient,
				      {d->w.key.sender, 0, 0, 0}};
	int rc;

	rc = store_rec_del(st, txn, &store_rec_request, &q, 0);
	if (rc == 0)
		rc = store_held_body(st, txn, &d->w);
	if (rc != 0)
		return rc;
	if (d->accept)
		return store_relation_write(st, txn, &d->e, STORE_REL_ACCEPTED,
					    STORE_REL_DECLINED, 0);
	return store_relation_write(st, txn, &d->e, STORE_REL_DECLINED,
				    STORE_REL_ACCEPTED,
				    clock_now_ms() + d->cooldown_ms);
}

static int store_request_decide(struct store *st, const char *recipient,
				const char *sender, bool accept,
				int64_t cooldown_ms, struct store_held **out,
				size_t *n)
{
	struct store_pair p;
	struct store_decide d = {
		{{p.a, p.b, 0, {0, NULL}}, true, NULL, 0},
		{p.a, p.b, {0, 0, 0}},
		accept,
		cooldown_ms,
	};
	int rc;

	if (store_pair_norm(recipient, sender, &p) != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, accept ? "accept request" : "decline request",
			   store_request_decide_body, &d);
	if (rc == 0 && out != NULL) {
		*out = d.w.v;
		*n = d.w.n;
	} else {
		store_held_list_free(d.w.v, d.w.n);
	}
	return rc;
}

int store_request_accept(struct store *st, const char *recipient,
			 const char *sender, struct store_held **out,
			 size_t *n)
{
	*out = NULL;
	*n = 0;
	return store_request_decide(st, recipient, sender, true, 0, out, n);
}

int store_request_decline(struct store *st, const char *recipient,
			  const char *sender, int64_t cooldown_ms)
{
	return store_request_decide(st, recipient, sender, false, cooldown_ms,
				    NULL, NULL);
}

/* Writes a request with its held messages, as given (load). */
struct store_request_load {
	struct store_request_rec q;
	const struct store_held *held;
	size_t n;
};

static int store_request_put_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_request_load *l = arg;
	size_t i;
	int rc;

	rc = store_rec_put(st, txn, &store_rec_request, &l->q, DB_NOOVERWRITE);
	for (i = 0; rc == 0 && i < l->n; i++) {
		struct store_held_rec h = {l->q.recipient, l->q.req.sender,
					   store_next_seq(st), l->held[i]};

		rc = store_rec_put(st, txn, &store_rec_held, &h, 0);
	}
	return rc;
}

int store_request_put(struct store *st, const char *recipient,
		      const struct store_request *r,
		      const struct store_held *held, size_t n)
{
	struct store_pair p;
	struct store_request_load l = {
		{p.a, {p.b, r->created_ms, r->updated_ms, (unsigned)n}},
		held,
		n,
	};

	if (store_pair_norm(recipient, r->sender, &p) != 0)
		return STORE_EINVAL;
	return store_txn_run(st, "write request", store_request_put_body, &l);
}

/* Evidence. */

/* The time in an evidence key: it ends in be64 ms, be32 seq. */
static int64_t store_evidence_ms(const DBT *key)
{
	return (int64_t)store_get_be64((const unsigned char *)key->data +
				       key->size - 12);
}

/* How a pair's log is trimmed: its bound, the key just added (never
 * trimmed) and the pair's count as the trim leaves it. */
struct store_ev_trim {
	unsigned max;
	int64_t oldest; /* messages before it go (0: no age bound) */
	const struct store_buf *newkey;
	size_t seen, count;
};

/* Learns a pair's count: walks its log newest first, by key alone,
 * deleting what is past the count or too old. */
static int store_evidence_prune(DBC *c, const DBT *key, const DBT *val,
				void *arg)
{
	struct store_ev_trim *t = arg;

	if (key->size < 12)
		return STORE_EFORMAT;
	t->seen++; /* the pair's messages, newest first */
	if (t->seen > t->max ||
	    (t->oldest > 0 && store_evidence_ms(key) < t->oldest))
		return c->del(c, 0);
	t->count++;
	return 0;
}

/* Keeps a pair whose count is known at the bound: walks from its oldest
 * message, deleting while there are too many or they are too old, and
 * stops at the first one that stays (usually after one step). */
static int store_evidence_trim(DBC *c, const DBT *key, const DBT *val,
			       void *arg)
{
	struct store_ev_trim *t = arg;

	if (key->size < 12)
		return STORE_EFORMAT;
	if (key->size == t->newkey->len &&
	    memcmp(key->data, t->newkey->p, key->size) == 0)
		return 1; /* never the message just added */
	if (t->count > t->max ||
	    (t->oldest > 0 && store_evidence_ms(key) < t->oldest)) {
		t->count--;
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

/* The evidence record of a pending append. */
static struct store_evidence_rec store_ev_rec(const struct store_ev_pending *e)
{
	struct store_evidence_rec r = {{e->a, e->b, e->ms, e->text}, e->seq};

	return r;
}

/* Trims one pair's log after its appends: a pair this process has not
 * counted yet is counted by a full walk (pruning as it goes); a counted
 * one is trimmed from its oldest end once it is a few over its bound. */
static int store_ev_trim_pair(struct store *st, DB_TXN *txn,
			      struct store_ev_pair *p)
{
	const struct store_ev_pending *e = p->last;
	struct store_evidence_rec r = store_ev_rec(e);
	struct store_ev_trim t;
	struct store_buf k, pre;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	store_buf_init(&k);
	store_buf_init(&pre);
	store_rec_key(&store_rec_evidence, &r, 0, &k);
	store_rec_key(&store_rec_evidence, &r, 2, &pre);
	t.max = e->max_count;
	t.oldest = e->max_age_ms > 0 ? e->ms - e->max_age_ms : 0;
	t.newkey = &k;
	if (p->known == 0) {
		rc = store_dbwalk(st, txn, STORE_DB_EVIDENCE, pre.p, pre.len,
				  STORE_WALK_REVERSE | STORE_WALK_KEYS,
				  store_evidence_prune, &t);
	} else {
		t.count = p->known - 1 + p->appended;
		if (t.count > t.max + STORE_EVIDENCE_SLACK(t.max))
			rc = store_dbwalk(st, txn, STORE_DB_EVIDENCE, pre.p,
					  pre.len, STORE_WALK_KEYS,
					  store_evidence_trim, &t);
	}
	p->count = t.count;
	store_buf_free(&k);
	store_buf_free(&pre);
	return rc;
}

/* Writes every pending append, then trims each pair once. */
static int store_ev_drain_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_ev_drain *d = arg;
	size_t i;
	int rc = 0;

	for (i = 0; i < d->n && rc == 0; i++) {
		struct store_evidence_rec r = store_ev_rec(&d->v[i]);

		rc = store_rec_put(st, txn, &store_rec_evidence, &r, 0);
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
	d.pairs = xreallocarray(NULL, d.n, sizeof(*d.pairs));
	d.npairs = 0;
	for (i = 0; i < d.n; i++) {
		char *key = xasprintf("%s\n%s", d.v[i].a, d.v[i].b);

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
		free(d.pairs[j].key);
	}
	for (i = 0; i < d.n; i++) {
		free(d.v[i].a);
		free(d.v[i].b);
		free(d.v[i].text);
	}
	free(d.v);
	free(d.pairs);
	return rc;
}

int store_evidence_add(struct store *st, const char *sender,
		       const char *recipient, const char *text,
		       unsigned max_count, int64_t max_age_ms)
{
	struct store_pair p;
	struct store_ev_pending *e;

	if (store_pair_norm(sender, recipient, &p) != 0 || text == NULL)
		return STORE_EINVAL;
	if (st->ev_n == st->ev_cap) {
		st->ev_cap = st->ev_cap ? 2 * st->ev_cap : 64;
		st->ev_pending = xreallocarray(st->ev_pending, st->ev_cap,
					       sizeof(*e));
	}
	e = &st->ev_pending[st->ev_n++];
	e->a = xstrdup(p.a);
	e->b = xstrdup(p.b);
	e->text = xstrdup(text);
	e->ms = clock_now_ms();
	e->seq = store_next_seq(st);
	e->max_count = max_count;
	e->max_age_ms = max_age_ms;
	/* In a batch, the pass's appends go in at its end, as one call. */
	return st->batch_open ? 0 : store_evidence_drain(st);
}

/* The texts of a pair's log, oldest first, appended to a vector. */
struct store_ev_texts {
	char **v;
	size_t n;
};

static int store_ev_text(DBC *c, void *rec, void *arg)
{
	struct store_evidence_rec *r = rec;
	struct store_ev_texts *t = arg;

	t->v = xreallocarray(t->v, t->n + 2, sizeof(*t->v));
	t->v[t->n++] = r->e.text;
	t->v[t->n] = NULL;
	r->e.text = NULL;
	return 0;
}

int store_evidence_append(struct store *st, DB_TXN *txn, const char *sender,
			  const char *recipient, char ***strv, size_t *n)
{
	struct store_pair p;
	struct store_evidence_rec r = {{p.a, p.b, 0, NULL}, 0};
	struct store_ev_texts t = {*strv, *n};
	int rc;

	if (store_pair_norm(sender, recipient, &p) != 0)
		return 0; /* no such pair, no evidence */
	if (t.v == NULL)
		t.v = xcalloc(1, sizeof(*t.v));
	rc = store_rec_walk(st, txn, &store_rec_evidence, &r, 2, 0,
			    store_ev_text, &t);
	*strv = t.v;
	*n = t.n;
	return rc;
}

struct store_ev_list {
	const char *sender, *recipient;
	char **v;
	size_t n;
};

static int store_evidence_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_ev_list *l = arg;

	store_strv_free(l->v);
	l->v = NULL;
	l->n = 0;
	return store_evidence_append(st, txn, l->sender, l->recipient, &l->v,
				     &l->n);
}

int store_evidence_list(struct store *st, const char *sender,
			const char *recipient, char ***out)
{
	struct store_ev_list l = {sender, recipient, NULL, 0};
	struct store_pair p;
	int rc;

	*out = NULL;
	(void)store_evidence_drain(st); /* logged by the store on failure */
	if ((rc = store_pair_norm(sender, recipient, &p)) != 0)
		return rc;
	rc = store_txn_run(st, "list evidence", store_evidence_list_body, &l);
	if (rc == 0)
		*out = l.v;
	else
		store_strv_free(l.v);
	return rc;
}

int store_evidence_list_all(struct store *st, struct store_evidence **out,
			    size_t *n)
{
	void *v;
	int rc;

	*out = NULL;
	rc = store_list(st, "list evidence", &store_rec_evidence, NULL, 0, 0,
			NULL, NULL, &v, n);
	if (rc == 0)
		*out = store_rec_project(&store_rec_evidence, v, *n,
					 offsetof(struct store_evidence_rec, e),
					 sizeof(struct store_evidence));
	return rc;
}

int store_evidence_list_pair(struct store *st, const char *sender,
			     const char *recipient,
			     struct store_evidence **out, size_t *n)
{
	struct store_pair p;
	struct store_evidence_rec r = {{p.a, p.b, 0, NULL}, 0};
	void *v;
	int rc;

	*out = NULL;
	*n = 0;
	(void)store_evidence_drain(st); /* logged by the store on failure */
	if ((rc = store_pair_norm(sender, recipient, &p)) != 0)
		return rc;
	rc = store_list(st, "list evidence", &store_rec_evidence, &r, 2, 0,
			NULL, NULL, &v, n);
	if (rc == 0)
		*out = store_rec_project(&store_rec_evidence, v, *n,
					 offsetof(struct store_evidence_rec, e),
					 sizeof(struct store_evidence));
	return rc;
}

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

int store_evidence_put(struct store *st, const struct store_evidence *e)
{
	struct store_pair p;
	struct store_evidence_rec r = {{p.a, p.b, e->ms, e->text}, 0};
	const struct store_step steps[] = {
		STORE_STEP(STORE_PUT, &store_rec_evidence, &r),
		STORE_STEPS_END,
	};

	if (store_pair_norm(e->sender, e->recipient, &p) != 0)
		return STORE_EINVAL;
	r.seq = store_next_seq(st);
	return store_steps(st, "write evidence", steps);
}
