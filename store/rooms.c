/*
 * rooms.c - rooms, their affiliations and their archive.
 *
 * The records (docs/STORE.md has the layouts):
 * rooms:        room -> title, subject, kind, live, created
 * affiliations: room \0 who -> affiliation
 * archive:      room \0 ms seq -> stanza id, ms, nick, from, stanza;
 *               indexed by room \0 stanza id
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "component/clock.h"
#include "component/xmalloc.h"
#include "store/store-int.h"

#define RM struct store_room
static const struct store_field store_room_key[] = {
	STORE_FIELD(STORE_F_STR, RM, name),
	STORE_FIELD_END,
};
static const struct store_field store_room_val[] = {
	STORE_FIELD(STORE_F_STR, RM, title),
	STORE_FIELD(STORE_F_STR, RM, subject),
	STORE_FIELD(STORE_F_U8, RM, kind),
	STORE_FIELD(STORE_F_BOOL, RM, live),
	STORE_FIELD(STORE_F_BE64, RM, created_ms),
	STORE_FIELD_END,
};
#undef RM
const struct store_rec store_rec_room = {
	STORE_DB_ROOMS, false, sizeof(struct store_room),
	store_room_key, store_room_val, 0, NULL,
};

struct store_affil_rec {
	char *room;
	struct store_affiliation a;
};

#define AF struct store_affil_rec
static const struct store_field store_affil_key[] = {
	STORE_FIELD(STORE_F_STR, AF, room),
	STORE_FIELD(STORE_F_STR, AF, a.who),
	STORE_FIELD_END,
};
static const struct store_field store_affil_val[] = {
	STORE_FIELD(STORE_F_U8, AF, a.affil),
	STORE_FIELD_END,
};
#undef AF
static const struct store_rec store_rec_affil = {
	STORE_DB_AFFILS, false, sizeof(struct store_affil_rec),
	store_affil_key, store_affil_val, 0, NULL,
};

#define AR struct store_archive_rec
static const struct store_field store_archive_key[] = {
	STORE_FIELD(STORE_F_STR, AR, room),
	STORE_FIELD(STORE_F_BE64, AR, m.ms),
	STORE_FIELD(STORE_F_BE32, AR, m.seq),
	STORE_FIELD_END,
};
static const struct store_field store_archive_val[] = {
	STORE_FIELD(STORE_F_STR, AR, m.stanza_id),
	STORE_FIELD(STORE_F_BE64, AR, m.ms),
	STORE_FIELD(STORE_F_STR, AR, m.nick),
	STORE_FIELD(STORE_F_STR, AR, m.from),
	STORE_FIELD(STORE_F_STR, AR, m.stanza),
	STORE_FIELD_END,
};
static const struct store_field store_archive_ikey[] = {
	STORE_FIELD(STORE_F_STR, AR, room),
	STORE_FIELD(STORE_F_STR, AR, m.stanza_id),
	STORE_FIELD_END,
};
#undef AR
const struct store_rec store_rec_archive = {
	STORE_DB_ARCHIVE, false, sizeof(struct store_archive_rec),
	store_archive_key, store_archive_val, STORE_DB_ARCHIVE_IDS,
	store_archive_ikey,
};

void store_room_clear(struct store_room *r)
{
	store_rec_clear(&store_rec_room, r);
}

void store_room_list_free(struct store_room *v, size_t n)
{
	store_rec_list_free(&store_rec_room, v, n);
}

void store_affil_list_free(struct store_affiliation *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].who);
	free(v);
}

void store_archive_msg_clear(struct store_archive_msg *m)
{
	if (m == NULL)
		return;
	free(m->stanza_id);
	free(m->nick);
	free(m->from);
	free(m->stanza);
	memset(m, 0, sizeof(*m));
}

void store_archive_list_free(struct store_archive_msg *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_archive_msg_clear(&v[i]);
	free(v);
}

/* Writes who's affiliation in room (NONE removes it). */
static int store_affil_write(struct store *st, DB_TXN *txn, const char *room,
			     const char *who, enum store_affil affil)
{
	char w[STORE_ADDR_SIZE];
	struct store_affil_rec f = {(char *)room, {w, affil}};
	int rc;

	if (store_addr_norm(who, w) != 0)
		return STORE_EINVAL;
	if (affil != STORE_AFFIL_NONE)
		return store_rec_put(st, txn, &store_rec_affil, &f, 0);
	rc = store_rec_del(st, txn, &store_rec_affil, &f, 0);
	return rc == DB_NOTFOUND ? 0 : rc;
}

/* A room and the affiliation of its owner (may be NULL), written with
 * flags (DB_NOOVERWRITE: create). */
struct store_room_new {
	struct store_room r;
	const char *owner;
	uint32_t flags;
};

static int store_room_create_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_room_new *a = arg;
	int rc;

	rc = store_rec_put(st, txn, &store_rec_room, &a->r, a->flags);
	if (rc == 0 && a->owner != NULL)
		rc = store_affil_write(st, txn, a->r.name, a->owner,
				       STORE_AFFIL_OWNER);
	return rc;
}

static int store_room_write(struct store *st, const struct store_room *r,
			    const char *owner, uint32_t flags,
			    const char *what)
{
	char name[STORE_ADDR_SIZE];
	struct store_room_new a = {*r, owner, flags};

	if (store_room_norm(r->name, name) != 0)
		return STORE_EINVAL;
	a.r.name = name;
	if (a.r.created_ms == 0)
		a.r.created_ms = clock_now_ms();
	return store_txn_run(st, what, store_room_create_body, &a);
}

int store_room_create(struct store *st, const struct store_room *r,
		      const char *owner)
{
	return store_room_write(st, r, owner, DB_NOOVERWRITE, "create room");
}

int store_room_put(struct store *st, const struct store_room *r)
{
	return store_room_write(st, r, NULL, 0, "write room");
}

int store_room_get(struct store *st, const char *name, struct store_room *out)
{
	char n[STORE_ADDR_SIZE];
	const struct store_step steps[] = {
		STORE_STEP(STORE_GET, &store_rec_room, out),
		STORE_STEPS_END,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_room_norm(name, n) != 0)
		return STORE_NOTFOUND;
	out->name = n;
	rc = store_read_steps(st, "read room", steps);
	out->name = NULL;
	if (rc == 0)
		out->name = xstrdup(n);
	else
		store_room_clear(out);
	return rc;
}

/* A change to a room's record: its subject, or an audio room opened (with
 * its hosts and speakers) or closed. */
struct store_room_change {
	struct store_room r;
	enum { STORE_ROOM_SUBJECT, STORE_ROOM_OPEN, STORE_ROOM_CLOSE } op;
	const char *text; /* the subject or the title */
	const char *const *hosts, *const *speakers;
};

static int store_room_open_affils(struct store *st, DB_TXN *txn,
				  const char *room, const char *const *who,
				  enum store_affil affil)
{
	int rc;

	for (; who != NULL && *who != NULL; who++) {
		struct store_identity id = {.bot = false};

		if (store_handle_norm(*who, id.handle) != 0)
			return STORE_NOTFOUND;
		rc = store_rec_exists(st, txn, &store_rec_identity, &id);
		if (rc == 0)
			rc = store_affil_write(st, txn, room, id.handle, affil);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int store_room_change_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_room_change *c = arg;
	char **field = c->op == STORE_ROOM_SUBJECT ? &c->r.subject
						   : &c->r.title;
	int rc;

	rc = store_rec_get(st, txn, &store_rec_room, &c->r);
	if (c->op == STORE_ROOM_OPEN) {
		if (rc == 0 && c->r.kind != STORE_ROOM_AUDIO)
			return STORE_EEXIST;
		if (rc == DB_NOTFOUND) {
			c->r.kind = STORE_ROOM_AUDIO;
			c->r.created_ms = clock_now_ms();
			rc = 0;
		}
	}
	if (rc != 0)
		return rc;
	if (c->op != STORE_ROOM_CLOSE) {
		free(*field);
		*field = xstrdup(c->text != NULL ? c->text : "");
	}
	c->r.live = c->op == STORE_ROOM_OPEN ||
		    (c->op == STORE_ROOM_SUBJECT && c->r.live);
	rc = store_rec_put(st, txn, &store_rec_room, &c->r, 0);
	if (rc == 0)
		rc = store_room_open_affils(st, txn, c->r.name, c->hosts,
					    STORE_AFFIL_HOST);
	if (rc == 0)
		rc = store_room_open_affils(st, txn, c->r.name, c->speakers,
					    STORE_AFFIL_SPEAKER);
	if (rc == 0 && c->op != STORE_ROOM_SUBJECT)
		rc = store_change_note(st, txn, STORE_CHANGE_ROOM, c->r.name);
	return rc;
}

static int store_room_change(struct store *st, const char *name,
			     struct store_room_change *c, const char *what)
{
	char n[STORE_ADDR_SIZE];
	int rc;

	if (store_room_norm(name, n) != 0)
		return c->op == STORE_ROOM_OPEN ? STORE_EINVAL : STORE_NOTFOUND;
	c->r.name = n;
	rc = store_txn_run(st, what, store_room_change_body, c);
	c->r.name = NULL;
	store_room_clear(&c->r);
	return rc;
}

int store_room_set_subject(struct store *st, const char *name,
			   const char *subject)
{
	struct store_room_change c = {{NULL, NULL, NULL, 0, false, 0},
				      STORE_ROOM_SUBJECT, subject, NULL,
				      NULL};

	return store_room_change(st, name, &c, "set subject");
}

int store_room_open(struct store *st, const char *name, const char *title,
		    const char *const *hosts, const char *const *speakers)
{
	struct store_room_change c = {{NULL, NULL, NULL, 0, false, 0},
				      STORE_ROOM_OPEN, title, hosts,
				      speakers};

	return store_room_change(st, name, &c, "open room");
}

int store_room_close(struct store *st, const char *name)
{
	struct store_room_change c = {{NULL, NULL, NULL, 0, false, 0},
				      STORE_ROOM_CLOSE, NULL, NULL, NULL};

	return store_room_change(st, name, &c, "close room");
}

/* A member's place on an audio room's stage. */
struct store_room_stage_arg {
	struct store_room r;
	const char *handle;
	enum store_affil affil;
};

static int store_room_stage_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_room_stage_arg *a = arg;
	struct store_identity id = {.bot = false};
	struct store_affil_rec f = {a->r.name, {id.handle, STORE_AFFIL_NONE}};
	int rc;

	rc = store_rec_get(st, txn, &store_rec_room, &a->r);
	if (rc != 0)
		return rc;
	if (a->r.kind != STORE_ROOM_AUDIO)
		return STORE_EEXIST;
	if (store_handle_norm(a->handle, id.handle) != 0)
		return STORE_NOTFOUND;
	rc = store_rec_exists(st, txn, &store_rec_identity, &id);
	if (rc != 0)
		return rc;
	if (a->affil == STORE_AFFIL_NONE) {
		/* A listener: no place on the stage; a ban stays a ban. */
		rc = store_rec_get(st, txn, &store_rec_affil, &f);
		if (rc == DB_NOTFOUND ||
		    (rc == 0 && f.a.affil != STORE_AFFIL_HOST &&
		     f.a.affil != STORE_AFFIL_SPEAKER))
			return 0;
		if (rc != 0)
			return rc;
	}
	rc = store_affil_write(st, txn, a->r.name, id.handle, a->affil);
	if (rc == 0)
		rc = store_change_note(st, txn, STORE_CHANGE_ROOM, a->r.name);
	return rc;
}

int store_room_stage(struct store *st, const char *name, const char *handle,
		     enum store_affil affil)
{
	char n[STORE_ADDR_SIZE];
	struct store_room_stage_arg a = {{.name = n}, handle, affil};
	int rc;

	if (affil != STORE_AFFIL_HOST && affil != STORE_AFFIL_SPEAKER &&
	    affil != STORE_AFFIL_NONE)
		return STORE_EINVAL;
	if (handle == NULL || store_room_norm(name, n) != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "set stage", store_room_stage_body, &a);
	a.r.name = NULL;
	store_room_clear(&a.r);
	return rc;
}

static int store_room_remove_rest(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_affil_rec f = {arg, {NULL, 0}};
	struct store_archive_rec m = {.room = arg};
	int rc;

	rc = store_rec_del(st, txn, &store_rec_affil, &f, 1);
	if (rc == 0)
		rc = store_rec_del(st, txn, &store_rec_archive, &m, 1);
	if (rc == 0)
		rc = store_roomstate_remove(st, txn, arg);
	return rc;
}

int store_room_remove(struct store *st, const char *name)
{
	char n[STORE_ADDR_SIZE];
	struct store_room r = {.name = n};
	const struct store_step steps[] = {
		STORE_STEP(STORE_DEL, &store_rec_room, &r),
		{STORE_CALL, NULL, n, 0, store_room_remove_rest},
		STORE_STEPS_END,
	};

	if (store_room_norm(name, n) != 0)
		return STORE_NOTFOUND;
	return store_steps(st, "remove room", steps);
}

int store_room_list(struct store *st, struct store_room **out, size_t *n)
{
	return store_list(st, "list rooms", &store_rec_room, NULL, 0, 0, NULL,
			  NULL, (void **)out, n);
}

/* Affiliations. */

static int store_affil_set_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_affil_rec *f = arg;
	struct store_room r = {.name = f->room};
	int rc;

	rc = store_rec_exists(st, txn, &store_rec_room, &r);
	if (rc == 0)
		rc = store_affil_write(st, txn, f->room, f->a.who, f->a.affil);
	return rc;
}

int store_affil_set(struct store *st, const char *room, const char *who,
		    enum store_affil affil)
{
	char n[STORE_ADDR_SIZE];
	struct store_affil_rec f = {n, {(char *)who, affil}};

	if (who == NULL || who[0] == '\0')
		return STORE_EINVAL;
	if (store_room_norm(room, n) != 0)
		return STORE_NOTFOUND;
	return store_txn_run(st, "set affiliation", store_affil_set_body, &f);
}

int store_affil_get(struct store *st, const char *room, const char *who,
		    enum store_affil *out)
{
	char n[STORE_ADDR_SIZE], w[STORE_ADDR_SIZE];
	struct store_affil_rec f = {n, {w, STORE_AFFIL_NONE}};
	const struct store_step steps[] = {
		STORE_STEP(STORE_GET, &store_rec_affil, &f),
		STORE_STEPS_END,
	};
	int rc;

	*out = STORE_AFFIL_NONE;
	if (store_addr_norm(who, w) != 0 || store_room_norm(room, n) != 0)
		return 0;
	rc = store_read_steps(st, "read affiliation", steps);
	if (rc == 0)
		*out = f.a.affil;
	return rc == STORE_NOTFOUND ? 0 : rc;
}

int store_affil_list(struct store *st, const char *room,
		     struct store_affiliation **out, size_t *n)
{
	char name[STORE_ADDR_SIZE];
	struct store_affil_rec f = {name, {NULL, 0}};
	void *v;
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = store_room_norm(room, name)) != 0)
		return rc;
	rc = store_list(st, "list affiliations", &store_rec_affil, &f, 1, 0,
			NULL, NULL, &v, n);
	if (rc == 0)
		*out = store_rec_project(&store_rec_affil, v, *n,
					 offsetof(struct store_affil_rec, a),
					 sizeof(struct store_affiliation));
	return rc;
}

/* The archive. */

static int store_archive_add_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_archive_rec *a = arg, dup = *a;
	int rc;

	/* The stanza id is unique in the room. */
	rc = store_rec_get_index(st, txn, &store_rec_archive, &dup, NULL);
	if (rc == 0)
		rc = STORE_EEXIST;
	if (rc == 0 || rc == STORE_EEXIST || rc == STORE_EFORMAT)
		store_rec_clear(&store_rec_archive, &dup);
	if (rc != DB_NOTFOUND)
		return rc;
	return store_rec_put(st, txn, &store_rec_archive, a, DB_NOOVERWRITE);
}

int store_archive_add(struct store *st, const char *room,
		      const struct store_archive_msg *m)
{
	char n[STORE_ADDR_SIZE];
	struct store_archive_rec a = {n, *m};
	int rc;

	if (m->stanza_id == NULL || m->stanza_id[0] == '\0')
		return STORE_EINVAL;
	if ((rc = store_room_norm(room, n)) != 0)
		return rc;
	if (a.m.ms == 0)
		a.m.ms = clock_now_ms();
	if (a.m.seq == 0)
		a.m.seq = store_next_seq(st);
	return store_txn_run(st, "archive message", store_archive_add_body,
			     &a);
}

/* A query's walk over one room's archive. */
struct store_archive_walk {
	char *name; /* the room, normalised */
	const struct store_archive_query *q;
	struct store_archive_msg *msgs;
	size_t nmsgs;
	bool complete;
};

/* The archive key of stanza id in room into out, or of (room, ms, 0) when
 * id is NULL; with neither, out is left empty. */
static int store_archive_bound(struct store *st, DB_TXN *txn, char *room,
			       const char *id, int64_t ms,
			       struct store_buf *out)
{
	struct store_archive_rec r = {room, {ms, 0, (char *)id, NULL, NULL,
					     NULL}};
	int rc;

	if (id == NULL) {
		if (ms > 0)
			store_rec_key(&store_rec_archive, &r, 0, out);
		return 0;
	}
	rc = store_rec_get_index(st, txn, &store_rec_archive, &r, out);
	if (rc == 0 || rc == STORE_EFORMAT)
		store_rec_clear(&store_rec_archive, &r);
	return rc;
}

/* The filters of a query beside its range: the publisher (XEP-0313
 * §4.1.1), by address (case-insensitive) or by nick (exact). */
static bool store_archive_match(const struct store_archive_query *q,
				const struct store_archive_msg *m)
{
	return (q->with_from == NULL || strcasecmp(m->from, q->with_from) == 0) &&
	       (q->with_nick == NULL || strcmp(m->nick, q->with_nick) == 0);
}

/* One key of a query's range: kept when it matches, until max. */
struct store_archive_step {
	struct store_archive_walk *a;
	const struct store_buf *lo;
	bool skip_lo; /* lo is after_id's key: not part of the page */
};

static int store_archive_step(DBC *c, const DBT *k, const DBT *v, void *arg)
{
	struct store_archive_step *s = arg;
	struct store_archive_walk *a = s->a;
	struct store_archive_rec r;
	int rc;

	if (s->skip_lo && store_keycmp(k, s->lo->p, s->lo->len) == 0)
		return 0;
	rc = store_rec_decode(&store_rec_archive, k->data, k->size, v->data,
			      v->size, &r);
	if (rc != 0) {
		store_rec_clear(&store_rec_archive, &r); /* what was decoded */
		return rc;
	}
	free(r.room);
	if (!store_archive_match(a->q, &r.m)) {
		store_archive_msg_clear(&r.m);
		return 0;
	}
	if (a->q->max > 0 && a->nmsgs == a->q->max) {
		store_archive_msg_clear(&r.m);
		a->complete = false;
		return 1;
	}
	a->msgs = xreallocarray(a->msgs, a->nmsgs + 1, sizeof(*a->msgs));
	a->msgs[a->nmsgs++] = r.m;
	return 0;
}

/* Narrows one end of a range to the key in t when that is inside it:
 * lo up (sign > 0) or hi down (sign < 0). */
static bool store_archive_narrow(struct store_buf *end,
				 const struct store_buf *t, int sign)
{
	DBT k = {.data = t->p, .size = (uint32_t)t->len};

	if (t->len == 0 ||
	    (end->len > 0 && store_keycmp(&k, end->p, end->len) * sign <= 0))
		return false;
	store_buf_reset(end);
	store_buf_put(end, t->p, t->len);
	return true;
}

/* The messages of the range [lo, hi) of a room's archive, from lo on or
 * (last) from hi back; lo is left out when it is after_id's key. */
static int store_archive_query_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_archive_walk *a = arg;
	const struct store_archive_query *q = a->q;
	struct store_buf lo, hi, t;
	struct store_archive_step s = {a, &lo, q->after_id != NULL};
	struct store_range r;
	int rc;

	store_archive_list_free(a->msgs, a->nmsgs);
	a->msgs = NULL;
	a->nmsgs = 0;
	a->complete = true;
	store_buf_init(&lo);
	store_buf_init(&hi);
	store_buf_init(&t);
	if ((rc = store_archive_bound(st, txn, a->name, q->after_id, 0, &lo)) ||
	    (rc = store_archive_bound(st, txn, a->name, NULL, q->start_ms,
				      &t)) ||
	    (rc = store_archive_bound(st, txn, a->name, q->before_id, 0, &hi)))
		goto out;
	if (store_archive_narrow(&lo, &t, 1))
		s.skip_lo = false;
	store_buf_reset(&t);
	(void)store_archive_bound(st, txn, a->name, NULL,
				  q->end_ms > 0 ? q->end_ms + 1 : 0, &t);
	(void)store_archive_narrow(&hi, &t, -1);
	/* Open ends: the room's first key, and past its last (the name with
	 * its NUL raised). */
	if (lo.len == 0)
		store_buf_put(&lo, a->name, strlen(a->name) + 1);
	if (hi.len == 0) {
		store_buf_put(&hi, a->name, strlen(a->name));
		store_buf_u8(&hi, 1);
	}
	r = (struct store_range){lo.p, lo.len, hi.p, hi.len};
	rc = store_dbwalk_range(st, txn, STORE_DB_ARCHIVE, &r,
				q->last ? STORE_WALK_REVERSE : 0,
				store_archive_step, &s);
	if (rc == 0 && q->last) { /* back to time order */
		size_t i;

		for (i = 0; i < a->nmsgs / 2; i++) {
			struct store_archive_msg m = a->msgs[i];

			a->msgs[i] = a->msgs[a->nmsgs - 1 - i];
			a->msgs[a->nmsgs - 1 - i] = m;
		}
	}
out:
	store_buf_free(&lo);
	store_buf_free(&hi);
	store_buf_free(&t);
	return rc;
}

int store_archive_query(struct store *st, const struct store_archive_query *q,
			struct store_archive_msg **out, size_t *n,
			bool *complete)
{
	char name[STORE_ADDR_SIZE];
	struct store_archive_walk w = {name, q, NULL, 0, true};
	int rc;

	*out = NULL;
	*n = 0;
	*complete = true;
	if (store_room_norm(q->room, name) != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "query archive", store_archive_query_body, &w);
	if (rc == 0) {
		*out = w.msgs;
		*n = w.nmsgs;
		*complete = w.complete;
	} else {
		store_archive_list_free(w.msgs, w.nmsgs);
	}
	return rc;
}

/* One archived message by stanza id, and its tombstone. */

struct store_archive_one {
	struct store_archive_rec r;
	const char *tombstone; /* the replacement text (retract) */
};

static int store_archive_one_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_archive_one *o = arg;
	int rc;

	rc = store_rec_get_index(st, txn, &store_rec_archive, &o->r, NULL);
	if (rc != 0 || o->tombstone == NULL)
		return rc;
	/* Retract: the same record with only its text replaced, so the
	 * message keeps its key (its place) and its stanza id. */
	free(o->r.m.stanza);
	o->r.m.stanza = xstrdup(o->tombstone);
	return store_rec_put(st, txn, &store_rec_archive, &o->r, 0);
}

static int store_archive_one(struct store *st, const char *room,
			     const char *id, const char *tombstone,
			     struct store_archive_msg *out, const char *what)
{
	char n[STORE_ADDR_SIZE];
	struct store_archive_one o = {{n, {0, 0, (char *)id, NULL, NULL, NULL}},
				      tombstone};
	int rc;

	if (id == NULL || id[0] == '\0' || store_room_norm(room, n) != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, what, store_archive_one_body, &o);
	if (o.r.room == n) /* nothing was read */
		return rc;
	if (rc == 0 && out != NULL) {
		*out = o.r.m;
		memset(&o.r.m, 0, sizeof(o.r.m));
	}
	store_rec_clear(&store_rec_archive, &o.r);
	return rc;
}

int store_archive_get(struct store *st, const char *room, const char *id,
		      struct store_archive_msg *out)
{
	memset(out, 0, sizeof(*out));
	return store_archive_one(st, room, id, NULL, out,
				 "read archived message");
}

int store_archive_retract(struct store *st, const char *room, const char *id,
			  const char *tombstone)
{
	if (tombstone == NULL)
		return STORE_EINVAL;
	return store_archive_one(st, room, id, tombstone, NULL,
				 "retract archived message");
}
