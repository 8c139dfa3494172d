/*
 * rooms.c - rooms, their affiliations and their archive.
 *
 * rooms:        room -> v1 | str title | str subject | u8 kind | u8 live |
 *               be64 created
 * affiliations: room \0 who -> v1 | u8 affiliation
 * archive:      room \0 be64 ms be32 seq -> v1 | str stanza-id | be64 ms |
 *               str nick | str from | str stanza
 * archive-ids:  room \0 stanza-id (index of archive)
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "component/clock.h"
#include "component/xmalloc.h"
#include "store/store-int.h"

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

struct store_roomarg {
	char *name;
	const struct store_room *in;
	struct store_room out;
	const char *owner;
	const char *title;
	const char *const *hosts;
	const char *const *speakers;
	const char *who;
	enum store_affil affil;
	struct store_room *rooms;
	size_t nrooms;
	struct store_affiliation *affils;
	size_t naffils;
	const struct store_archive_msg *msg;
	const struct store_archive_query *q;
	struct store_archive_msg *msgs;
	size_t nmsgs;
	bool complete;
	uint32_t flags; /* DB_NOOVERWRITE for create */
};

static char *store_lower(const char *s)
{
	char *d = xstrdup(s);
	char *p;

	for (p = d; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

static int store_roomarg_new(const char *name, struct store_roomarg **out)
{
	struct store_roomarg *a;

	*out = NULL;
	if (name == NULL || name[0] == '\0' || strlen(name) > 1023 ||
	    strchr(name, '@') || strchr(name, '/'))
		return STORE_EINVAL;
	a = xmalloc(sizeof(*a));
	memset(a, 0, sizeof(*a));
	a->name = store_lower(name);
	*out = a;
	return 0;
}

static void store_roomarg_free(struct store_roomarg *a)
{
	if (a == NULL)
		return;
	free(a->name);
	store_room_clear(&a->out);
	store_room_list_free(a->rooms, a->nrooms);
	store_affil_list_free(a->affils, a->naffils);
	store_archive_list_free(a->msgs, a->nmsgs);
	free(a);
}

void store_room_clear(struct store_room *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->title);
	free(r->subject);
	memset(r, 0, sizeof(*r));
}

void store_room_list_free(struct store_room *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_room_clear(&v[i]);
	free(v);
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

static int store_room_decode(const char *name, size_t nlen, const void *p,
			     size_t len, struct store_room *out)
{
	struct store_rd rd;

	memset(out, 0, sizeof(*out));
	store_rd_init(&rd, p, len);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	out->name = xmalloc(nlen + 1);
	memcpy(out->name, name, nlen);
	out->name[nlen] = '\0';
	out->title = store_rd_str(&rd);
	out->subject = store_rd_str(&rd);
	out->kind = (enum store_room_kind)store_rd_u8(&rd);
	out->live = store_rd_u8(&rd) != 0;
	out->created_ms = (int64_t)store_rd_be64(&rd);
	return rd.bad ? STORE_EFORMAT : 0;
}

static int store_room_read(struct store *st, DB_TXN *txn, const char *name,
			   struct store_room *out)
{
	struct store_buf k;
	unsigned char *v = NULL;
	size_t len;
	int rc;

	store_room_clear(out);
	store_buf_init(&k);
	store_buf_put(&k, name, strlen(name));
	rc = store_dbget(st, txn, STORE_DB_ROOMS, &k, &v, &len);
	if (rc == 0)
		rc = store_room_decode(name, strlen(name), v, len, out);
	free(v);
	store_buf_free(&k);
	return rc;
}

static int store_room_write(struct store *st, DB_TXN *txn, const char *name,
			    const struct store_room *r, uint32_t flags)
{
	struct store_buf k, v;
	int rc;

	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_put(&k, name, strlen(name));
	store_buf_u8(&v, STORE_V1);
	store_buf_str(&v, r->title);
	store_buf_str(&v, r->subject);
	store_buf_u8(&v, (uint8_t)r->kind);
	store_buf_u8(&v, r->live ? 1 : 0);
	store_buf_be64(&v, (uint64_t)(r->created_ms ? r->created_ms
						    : clock_now_ms()));
	rc = store_dbput(st, txn, STORE_DB_ROOMS, &k, &v, flags);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

static int store_affil_write(struct store *st, DB_TXN *txn, const char *room,
			     const char *who, enum store_affil affil)
{
	struct store_buf k, v;
	char *w = store_lower(who);
	int rc;

	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_key(&k, room);
	store_buf_put(&k, w, strlen(w));
	if (affil == STORE_AFFIL_NONE) {
		rc = store_dbdel(st, txn, STORE_DB_AFFILS, &k);
		if (rc == DB_NOTFOUND)
			rc = 0;
	} else {
		store_buf_u8(&v, STORE_V1);
		store_buf_u8(&v, (uint8_t)affil);
		rc = store_dbput(st, txn, STORE_DB_AFFILS, &k, &v, 0);
	}
	free(w);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

static int store_room_create_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;
	int rc;

	rc = store_room_write(st, txn, a->name, a->in, a->flags);
	if (rc == 0 && a->owner != NULL)
		rc = store_affil_write(st, txn, a->name, a->owner,
				       STORE_AFFIL_OWNER);
	return rc;
}

int store_room_create(struct store *st, const struct store_room *r,
		      const char *owner)
{
	struct store_roomarg *a;
	int rc;

	rc = store_roomarg_new(r->name, &a);
	if (rc != 0)
		return rc;
	a->in = r;
	a->owner = owner;
	a->flags = DB_NOOVERWRITE;
	rc = store_txn_run(st, "create room", store_room_create_body, a);
	store_roomarg_free(a);
	return rc;
}

int store_room_put(struct store *st, const struct store_room *r)
{
	struct store_roomarg *a;
	int rc;

	rc = store_roomarg_new(r->name, &a);
	if (rc != 0)
		return rc;
	a->in = r;
	rc = store_txn_run(st, "write room", store_room_create_body, a);
	store_roomarg_free(a);
	return rc;
}

static int store_room_get_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;

	return store_room_read(st, txn, a->name, &a->out);
}

int store_room_get(struct store *st, const char *name, struct store_room *out)
{
	struct store_roomarg *a;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = store_roomarg_new(name, &a);
	if (rc != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "read room", store_room_get_body, a);
	if (rc == 0) {
		*out = a->out;
		memset(&a->out, 0, sizeof(a->out));
	}
	store_roomarg_free(a);
	return rc;
}

static int store_room_subject_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;
	int rc;

	rc = store_room_read(st, txn, a->name, &a->out);
	if (rc != 0)
		return rc;
	free(a->out.subject);
	a->out.subject = xstrdup(a->title ? a->title : "");
	return store_room_write(st, txn, a->name, &a->out, 0);
}

int store_room_set_subject(struct store *st, const char *name,
			   const char *subject)
{
	struct store_roomarg *a;
	int rc;

	rc = store_roomarg_new(name, &a);
	if (rc != 0)
		return STORE_NOTFOUND;
	a->title = subject;
	rc = store_txn_run(st, "set subject", store_room_subject_body, a);
	store_roomarg_free(a);
	return rc;
}

static int store_room_open_affils(struct store *st, DB_TXN *txn,
				  const char *room, const char *const *who,
				  enum store_affil affil)
{
	char h[STORE_HANDLE_SIZE];
	int rc;

	for (; who != NULL && *who != NULL; who++) {
		if (store_handle_norm(*who, h) != 0)
			return STORE_NOTFOUND;
		rc = store_identity_check(st, txn, h);
		if (rc == 0)
			rc = store_affil_write(st, txn, room, h, affil);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int store_room_open_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;
	int rc;

	rc = store_room_read(st, txn, a->name, &a->out);
	if (rc == 0 && a->out.kind != STORE_ROOM_AUDIO)
		return STORE_EEXIST;
	if (rc != 0 && rc != DB_NOTFOUND)
		return rc;
	if (rc == DB_NOTFOUND) {
		a->out.kind = STORE_ROOM_AUDIO;
		a->out.created_ms = clock_now_ms();
	}
	free(a->out.title);
	a->out.title = xstrdup(a->title ? a->title : "");
	a->out.live = true;
	rc = store_room_write(st, txn, a->name, &a->out, 0);
	if (rc == 0)
		rc = store_room_open_affils(st, txn, a->name, a->hosts,
					    STORE_AFFIL_HOST);
	if (rc == 0)
		rc = store_room_open_affils(st, txn, a->name, a->speakers,
					    STORE_AFFIL_SPEAKER);
	if (rc == 0)
		rc = store_change_note(st, txn, STORE_CHANGE_ROOM, a->name);
	return rc;
}

int store_room_open(struct store *st, const char *name, const char *title,
		    const char *const *hosts, const char *const *speakers)
{
	struct store_roomarg *a;
	int rc;

	rc = store_roomarg_new(name, &a);
	if (rc != 0)
		return rc;
	a->title = title;
	a->hosts = hosts;
	a->speakers = speakers;
	rc = store_txn_run(st, "open room", store_room_open_body, a);
	store_roomarg_free(a);
	return rc;
}

static int store_room_close_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;
	int rc;

	rc = store_room_read(st, txn, a->name, &a->out);
	if (rc != 0)
		return rc;
	a->out.live = false;
	rc = store_room_write(st, txn, a->name, &a->out, 0);
	if (rc == 0)
		rc = store_change_note(st, txn, STORE_CHANGE_ROOM, a->name);
	return rc;
}

int store_room_close(struct store *st, const char *name)
{
	struct store_roomarg *a;
	int rc;

	rc = store_roomarg_new(name, &a);
	if (rc != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "close room", store_room_close_body, a);
	store_roomarg_free(a);
	return rc;
}

static int store_room_remove_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;
	struct store_buf k;
	int rc;

	store_buf_init(&k);
	store_buf_put(&k, a->name, strlen(a->name));
	rc = store_dbdel(st, txn, STORE_DB_ROOMS, &k);
	store_buf_u8(&k, 0);
	if (rc == 0)
		rc = store_dbdel_prefix(st, txn, STORE_DB_AFFILS, &k);
	if (rc == 0)
		rc = store_dbdel_prefix(st, txn, STORE_DB_ARCHIVE, &k);
	if (rc == 0)
		rc = store_roomstate_remove(st, txn, a->name);
	store_buf_free(&k);
	return rc;
}

int store_room_remove(struct store *st, const char *name)
{
	struct store_roomarg *a;
	int rc;

	rc = store_roomarg_new(name, &a);
	if (rc != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "remove room", store_room_remove_body, a);
	store_roomarg_free(a);
	return rc;
}

static int store_room_list_one(DBC *c, const DBT *key, const DBT *val,
			       void *arg)
{
	struct store_roomarg *a = arg;
	int rc;

	a->rooms = xreallocarray(a->rooms, a->nrooms + 1, sizeof(*a->rooms));
	rc = store_room_decode(key->data, key->size, val->data, val->size,
			       &a->rooms[a->nrooms]);
	a->nrooms++;
	return rc;
}

static int store_room_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;

	store_room_list_free(a->rooms, a->nrooms);
	a->rooms = NULL;
	a->nrooms = 0;
	return store_dbwalk(st, txn, STORE_DB_ROOMS, NULL, 0, 0,
			    store_room_list_one, a);
}

int store_room_list(struct store *st, struct store_room **out, size_t *n)
{
	struct store_roomarg *a;
	int rc;

	*out = NULL;
	*n = 0;
	a = xmalloc(sizeof(*a));
	memset(a, 0, sizeof(*a));
	rc = store_txn_run(st, "list rooms", store_room_list_body, a);
	if (rc == 0) {
		*out = a->rooms;
		*n = a->nrooms;
		a->rooms = NULL;
		a->nrooms = 0;
	}
	store_roomarg_free(a);
	return rc;
}

/* Affiliations. */

static int store_affil_set_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;
	int rc;

	rc = store_room_read(st, txn, a->name, &a->out);
	if (rc == 0)
		rc = store_affil_write(st, txn, a->name, a->who, a->affil);
	return rc;
}

int store_affil_set(struct store *st, const char *room, const char *who,
		    enum store_affil affil)
{
	struct store_roomarg *a;
	int rc;

	if (who == NULL || who[0] == '\0')
		return STORE_EINVAL;
	rc = store_roomarg_new(room, &a);
	if (rc != 0)
		return STORE_NOTFOUND;
	a->who = who;
	a->affil = affil;
	rc = store_txn_run(st, "set affiliation", store_affil_set_body, a);
	store_roomarg_free(a);
	return rc;
}

static int store_affil_decode(const void *p, size_t len, enum store_affil *out)
{
	struct store_rd rd;

	store_rd_init(&rd, p, len);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	*out = (enum store_affil)store_rd_u8(&rd);
	return rd.bad ? STORE_EFORMAT : 0;
}

static int store_affil_get_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;
	struct store_buf k;
	unsigned char *v = NULL;
	size_t len;
	char *w = store_lower(a->who);
	int rc;

	store_buf_init(&k);
	store_buf_key(&k, a->name);
	store_buf_put(&k, w, strlen(w));
	a->affil = STORE_AFFIL_NONE;
	rc = store_dbget(st, txn, STORE_DB_AFFILS, &k, &v, &len);
	if (rc == 0)
		rc = store_affil_decode(v, len, &a->affil);
	else if (rc == DB_NOTFOUND)
		rc = 0;
	free(v);
	free(w);
	store_buf_free(&k);
	return rc;
}

int store_affil_get(struct store *st, const char *room, const char *who,
		    enum store_affil *out)
{
	struct store_roomarg *a;
	int rc;

	*out = STORE_AFFIL_NONE;
	if (who == NULL || who[0] == '\0')
		return 0;
	rc = store_roomarg_new(room, &a);
	if (rc != 0)
		return 0;
	a->who = who;
	rc = store_txn_run(st, "read affiliation", store_affil_get_body, a);
	if (rc == 0)
		*out = a->affil;
	store_roomarg_free(a);
	return rc;
}

static int store_affil_list_one(DBC *c, const DBT *key, const DBT *val,
				void *arg)
{
	struct store_roomarg *a = arg;
	struct store_affiliation *f;
	const char *k = key->data;
	const char *sep = memchr(k, '\0', key->size);
	size_t n;

	if (sep == NULL)
		return STORE_EFORMAT;
	n = key->size - (size_t)(sep - k) - 1;
	a->affils = xreallocarray(a->affils, a->naffils + 1,
				  sizeof(*a->affils));
	f = &a->affils[a->naffils++];
	f->who = xmalloc(n + 1);
	memcpy(f->who, sep + 1, n);
	f->who[n] = '\0';
	return store_affil_decode(val->data, val->size, &f->affil);
}

static int store_affil_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;

	store_affil_list_free(a->affils, a->naffils);
	a->affils = NULL;
	a->naffils = 0;
	return store_dbwalk(st, txn, STORE_DB_AFFILS, a->name,
			    strlen(a->name) + 1, 0, store_affil_list_one, a);
}

int store_affil_list(struct store *st, const char *room,
		     struct store_affiliation **out, size_t *n)
{
	struct store_roomarg *a;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_roomarg_new(room, &a);
	if (rc != 0)
		return rc;
	rc = store_txn_run(st, "list affiliations", store_affil_list_body, a);
	if (rc == 0) {
		*out = a->affils;
		*n = a->naffils;
		a->affils = NULL;
		a->naffils = 0;
	}
	store_roomarg_free(a);
	return rc;
}

/* The archive. */

static int store_archive_add_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;
	const struct store_archive_msg *m = a->msg;
	struct store_buf k, v;
	DBT ik, iv;
	int64_t ms = m->ms ? m->ms : clock_now_ms();
	int rc;

	store_buf_init(&k);
	store_buf_init(&v);
	/* The stanza id is unique in the room. */
	store_buf_key(&k, a->name);
	store_buf_put(&k, m->stanza_id, strlen(m->stanza_id));
	memset(&ik, 0, sizeof(ik));
	memset(&iv, 0, sizeof(iv));
	ik.data = k.p;
	ik.size = (uint32_t)k.len;
	iv.flags = DB_DBT_MALLOC;
	rc = st->db[STORE_DB_ARCHIVE_IDS]->get(st->db[STORE_DB_ARCHIVE_IDS],
					       txn, &ik, &iv, 0);
	free(iv.data);
	if (rc == 0) {
		rc = STORE_EEXIST;
		goto out;
	}
	if (rc != DB_NOTFOUND)
		goto out;
	store_buf_reset(&k);
	store_buf_key(&k, a->name);
	store_buf_be64(&k, (uint64_t)ms);
	store_buf_be32(&k, m->seq ? m->seq : store_next_seq(st));
	store_buf_u8(&v, STORE_V1);
	store_buf_str(&v, m->stanza_id);
	store_buf_be64(&v, (uint64_t)ms);
	store_buf_str(&v, m->nick);
	store_buf_str(&v, m->from);
	store_buf_str(&v, m->stanza);
	rc = store_dbput(st, txn, STORE_DB_ARCHIVE, &k, &v, DB_NOOVERWRITE);
out:
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_archive_add(struct store *st, const char *room,
		      const struct store_archive_msg *m)
{
	struct store_roomarg *a;
	int rc;

	if (m->stanza_id == NULL || m->stanza_id[0] == '\0')
		return STORE_EINVAL;
	rc = store_roomarg_new(room, &a);
	if (rc != 0)
		return rc;
	a->msg = m;
	rc = store_txn_run(st, "archive message", store_archive_add_body, a);
	store_roomarg_free(a);
	return rc;
}

static int store_archive_decode(const DBT *key, const DBT *val,
				struct store_archive_msg *m)
{
	struct store_rd rd;

	memset(m, 0, sizeof(*m));
	store_rd_init(&rd, val->data, val->size);
	if (store_rd_version(&rd) != 0 || key->size < 12)
		return STORE_EFORMAT;
	m->stanza_id = store_rd_str(&rd);
	m->ms = (int64_t)store_rd_be64(&rd);
	m->nick = store_rd_str(&rd);
	m->from = store_rd_str(&rd);
	m->stanza = store_rd_str(&rd);
	{
		const unsigned char *s = (const unsigned char *)key->data +
					 key->size - 4;
		m->seq = (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
			 (uint32_t)s[2] << 8 | s[3];
	}
	return rd.bad ? STORE_EFORMAT : 0;
}

/* The archive key of a stanza id in room, into out (12 + room bytes). */
static int store_archive_key_of(struct store *st, DB_TXN *txn,
				const char *room, const char *id,
				struct store_buf *out)
{
	struct store_buf k;
	DBT ik, pk, pv;
	int rc;

	store_buf_init(&k);
	store_buf_key(&k, room);
	store_buf_put(&k, id, strlen(id));
	memset(&ik, 0, sizeof(ik));
	memset(&pk, 0, sizeof(pk));
	memset(&pv, 0, sizeof(pv));
	ik.data = k.p;
	ik.size = (uint32_t)k.len;
	pk.flags = DB_DBT_MALLOC;
	pv.flags = DB_DBT_MALLOC;
	rc = st->db[STORE_DB_ARCHIVE_IDS]->pget(st->db[STORE_DB_ARCHIVE_IDS],
						txn, &ik, &pk, &pv, 0);
	if (rc == 0)
		store_buf_put(out, pk.data, pk.size);
	free(pk.data);
	free(pv.data);
	store_buf_free(&k);
	return rc;
}

static int store_keycmp(const DBT *k, const struct store_buf *b)
{
	size_t n = k->size < b->len ? k->size : b->len;
	int c = memcmp(k->data, b->p, n);

	if (c != 0)
		return c;
	return (k->size > b->len) - (k->size < b->len);
}

/* The filters of a query beside its range: the publisher (XEP-0313
 * §4.1.1), by address (case-insensitive) or by nick (exact). */
static bool store_archive_match(const struct store_archive_query *q,
				const struct store_archive_msg *m)
{
	const char *x = m->from, *y = q->with_from;

	if (y != NULL) {
		if (x == NULL)
			return false;
		while (*x != '\0' && tolower((unsigned char)*x) ==
					     tolower((unsigned char)*y)) {
			x++;
			y++;
		}
		if (*x != '\0' || *y != '\0')
			return false;
	}
	if (q->with_nick != NULL &&
	    (m->nick == NULL || strcmp(m->nick, q->with_nick) != 0))
		return false;
	return true;
}

static int store_archive_query_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_roomarg *a = arg;
	const struct store_archive_query *q = a->q;
	struct store_buf lo, hi;
	DBC *c = NULL;
	DBT k, v;
	int rc, skip_lo = 0, have_hi = 0;
	size_t plen = strlen(a->name) + 1;

	store_archive_list_free(a->msgs, a->nmsgs);
	a->msgs = NULL;
	a->nmsgs = 0;
	a->complete = true;
	store_buf_init(&lo);
	store_buf_init(&hi);
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.flags = DB_DBT_REALLOC;
	v.flags = DB_DBT_REALLOC;

	/* The range [lo, hi): lo inclusive unless it is after_id's key. */
	if (q->after_id != NULL) {
		rc = store_archive_key_of(st, txn, a->name, q->after_id, &lo);
		if (rc != 0)
			goto out;
		skip_lo = 1;
	}
	if (q->start_ms > 0) {
		struct store_buf s;

		store_buf_init(&s);
		store_buf_key(&s, a->name);
		store_buf_be64(&s, (uint64_t)q->start_ms);
		store_buf_be32(&s, 0);
		if (lo.len == 0 || memcmp(s.p, lo.p, s.len) > 0) {
			store_buf_reset(&lo);
			store_buf_put(&lo, s.p, s.len);
			skip_lo = 0;
		}
		store_buf_free(&s);
	}
	if (lo.len == 0) {
		store_buf_key(&lo, a->name);
		skip_lo = 0;
	}
	if (q->before_id != NULL) {
		rc = store_archive_key_of(st, txn, a->name, q->before_id, &hi);
		if (rc != 0)
			goto out;
		have_hi = 1;
	}
	if (q->end_ms > 0) {
		struct store_buf e;

		store_buf_init(&e);
		store_buf_key(&e, a->name);
		store_buf_be64(&e, (uint64_t)q->end_ms + 1);
		store_buf_be32(&e, 0);
		if (!have_hi || memcmp(e.p, hi.p, e.len) < 0) {
			store_buf_reset(&hi);
			store_buf_put(&hi, e.p, e.len);
		}
		have_hi = 1;
		store_buf_free(&e);
	}

	rc = st->db[STORE_DB_ARCHIVE]->cursor(st->db[STORE_DB_ARCHIVE], txn, &c,
					      0);
	if (rc != 0)
		goto out;
	if (!q->last) {
		k.data = xmalloc(lo.len);
		memcpy(k.data, lo.p, lo.len);
		k.size = (uint32_t)lo.len;
		rc = c->get(c, &k, &v, DB_SET_RANGE);
		if (rc == 0 && skip_lo && store_keycmp(&k, &lo) == 0)
			rc = c->get(c, &k, &v, DB_NEXT);
	} else if (have_hi) {
		k.data = xmalloc(hi.len);
		memcpy(k.data, hi.p, hi.len);
		k.size = (uint32_t)hi.len;
		rc = c->get(c, &k, &v, DB_SET_RANGE);
		if (rc == 0)
			rc = c->get(c, &k, &v, DB_PREV);
		else if (rc == DB_NOTFOUND)
			rc = c->get(c, &k, &v, DB_LAST);
	} else {
		/* The end of the room's keys: the name with its NUL raised. */
		struct store_buf e;

		store_buf_init(&e);
		store_buf_put(&e, a->name, strlen(a->name));
		store_buf_u8(&e, 1);
		k.data = xmalloc(e.len);
		memcpy(k.data, e.p, e.len);
		k.size = (uint32_t)e.len;
		store_buf_free(&e);
		rc = c->get(c, &k, &v, DB_SET_RANGE);
		if (rc == 0)
			rc = c->get(c, &k, &v, DB_PREV);
		else if (rc == DB_NOTFOUND)
			rc = c->get(c, &k, &v, DB_LAST);
	}
	while (rc == 0) {
		struct store_archive_msg m;
		int in = k.size >= plen && memcmp(k.data, a->name, plen) == 0 &&
			 store_keycmp(&k, &lo) >= 0 &&
			 !(skip_lo && store_keycmp(&k, &lo) == 0) &&
			 (!have_hi || store_keycmp(&k, &hi) < 0);

		if (!in)
			break;
		rc = store_archive_decode(&k, &v, &m);
		if (rc != 0) {
			store_archive_msg_clear(&m);
			goto out;
		}
		if (!store_archive_match(q, &m)) {
			store_archive_msg_clear(&m);
			rc = c->get(c, &k, &v, q->last ? DB_PREV : DB_NEXT);
			continue;
		}
		if (q->max > 0 && a->nmsgs == q->max) {
			store_archive_msg_clear(&m);
			a->complete = false;
			break;
		}
		a->msgs = xreallocarray(a->msgs, a->nmsgs + 1,
					sizeof(*a->msgs));
		a->msgs[a->nmsgs++] = m;
		rc = c->get(c, &k, &v, q->last ? DB_PREV : DB_NEXT);
	}
	if (rc == DB_NOTFOUND)
		rc = 0;
	if (rc == 0 && q->last) { /* back to time order */
		size_t i;

		for (i = 0; i < a->nmsgs / 2; i++) {
			struct store_archive_msg t = a->msgs[i];

			a->msgs[i] = a->msgs[a->nmsgs - 1 - i];
			a->msgs[a->nmsgs - 1 - i] = t;
		}
	}
out:
	if (c != NULL) {
		int crc = c->close(c);

		if (rc == 0)
			rc = crc;
	}
	free(k.data);
	free(v.data);
	store_buf_free(&lo);
	store_buf_free(&hi);
	return rc;
}

int store_archive_query(struct store *st, const struct store_archive_query *q,
			struct store_archive_msg **out, size_t *n,
			bool *complete)
{
	struct store_roomarg *a;
	int rc;

	*out = NULL;
	*n = 0;
	*complete = true;
	rc = store_roomarg_new(q->room, &a);
	if (rc != 0)
		return STORE_NOTFOUND;
	a->q = q;
	rc = store_txn_run(st, "query archive", store_archive_query_body, a);
	if (rc == 0) {
		*out = a->msgs;
		*n = a->nmsgs;
		*complete = a->complete;
		a->msgs = NULL;
		a->nmsgs = 0;
	}
	store_roomarg_free(a);
	return rc;
}

/* One archived message by stanza id, and its tombstone. */

struct store_archive_one {
	const char *name; /* the room, normalised */
	const char *id;
	const char *stanza; /* the replacement text (retract) */
	struct store_archive_msg msg;
};

static int store_archive_get_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_archive_one *o = arg;
	struct store_buf k;
	DBT dk, dv;
	unsigned char *v = NULL;
	size_t len;
	int rc;

	store_archive_msg_clear(&o->msg);
	store_buf_init(&k);
	rc = store_archive_key_of(st, txn, o->name, o->id, &k);
	if (rc == 0)
		rc = store_dbget(st, txn, STORE_DB_ARCHIVE, &k, &v, &len);
	if (rc != 0)
		goto out;
	memset(&dk, 0, sizeof(dk));
	memset(&dv, 0, sizeof(dv));
	dk.data = k.p;
	dk.size = (uint32_t)k.len;
	dv.data = v;
	dv.size = (uint32_t)len;
	rc = store_archive_decode(&dk, &dv, &o->msg);
	if (rc != 0 || o->stanza == NULL)
		goto out;
	/* Retract: the same record with only its text replaced, so the
	 * message keeps its key (its place) and its stanza id. */
	{
		struct store_buf nv;

		store_buf_init(&nv);
		store_buf_u8(&nv, STORE_V1);
		store_buf_str(&nv, o->msg.stanza_id);
		store_buf_be64(&nv, (uint64_t)o->msg.ms);
		store_buf_str(&nv, o->msg.nick);
		store_buf_str(&nv, o->msg.from);
		store_buf_str(&nv, o->stanza);
		rc = store_dbput(st, txn, STORE_DB_ARCHIVE, &k, &nv, 0);
		store_buf_free(&nv);
	}
out:
	free(v);
	store_buf_free(&k);
	return rc;
}

static int store_archive_one_run(struct store *st, const char *room,
				 struct store_archive_one *o, const char *what)
{
	struct store_roomarg *a;
	int rc;

	if (o->id == NULL || o->id[0] == '\0')
		return STORE_NOTFOUND;
	rc = store_roomarg_new(room, &a);
	if (rc != 0)
		return STORE_NOTFOUND;
	o->name = a->name;
	rc = store_txn_run(st, what, store_archive_get_body, o);
	store_roomarg_free(a);
	return rc;
}

int store_archive_get(struct store *st, const char *room, const char *id,
		      struct store_archive_msg *out)
{
	struct store_archive_one o;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(out, 0, sizeof(*out));
	o.id = id;
	rc = store_archive_one_run(st, room, &o, "read archived message");
	if (rc == 0)
		*out = o.msg;
	else
		store_archive_msg_clear(&o.msg);
	return rc;
}

int store_archive_retract(struct store *st, const char *room, const char *id,
			  const char *tombstone)
{
	struct store_archive_one o;
	int rc;

	if (tombstone == NULL)
		return STORE_EINVAL;
	memset(&o, 0, sizeof(o));
	o.id = id;
	o.stanza = tombstone;
	rc = store_archive_one_run(st, room, &o, "retract archived message");
	store_archive_msg_clear(&o.msg);
	return rc;
}
