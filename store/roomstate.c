/*
 * roomstate.c - what the MUC service keeps about rooms beside their
 * records (store/rooms.c): each room's configuration, the occupants to
 * restore after a restart, and the service's occupant-id secret.
 *
 * room-config: room -> v1 | be32 flags | be32 max occupants |
 *              be32 history max | u8 broadcast roles | u8 allow pm |
 *              str description | str subject by | be64 subject ms
 * occupants:   room \0 real full JID -> v1 | str nick | str who | u8 role |
 *              be64 joined
 * meta:        "room-secret" -> v1 | str 64 hex digits
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "component/clock.h"
#include "component/log.h"
#include "component/xmalloc.h"
#include "store/store-int.h"

#define STORE_META_ROOM_SECRET "room-secret"

struct store_rsarg {
	char *room; /* lower-cased, or NULL: every room */
	const char *jid;
	const struct store_room_config *cfg_in;
	struct store_room_config cfg_out;
	const struct store_occupant *occ_in;
	struct store_occupant *occs;
	size_t nocc;
	unsigned char secret[STORE_ROOM_SECRET_SIZE];
	bool secret_given;
};

static int store_rsarg_new(const char *room, struct store_rsarg **out)
{
	struct store_rsarg *a;
	char *p;

	*out = NULL;
	if (room != NULL && (room[0] == '\0' || strlen(room) > 1023 ||
			     strchr(room, '@') || strchr(room, '/')))
		return STORE_EINVAL;
	a = xmalloc(sizeof(*a));
	memset(a, 0, sizeof(*a));
	if (room != NULL) {
		a->room = xstrdup(room);
		for (p = a->room; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	*out = a;
	return 0;
}

static void store_rsarg_free(struct store_rsarg *a)
{
	if (a == NULL)
		return;
	free(a->room);
	store_room_config_clear(&a->cfg_out);
	store_occupant_list_free(a->occs, a->nocc);
	free(a);
}

void store_room_config_clear(struct store_room_config *c)
{
	if (c == NULL)
		return;
	free(c->description);
	free(c->subject_by);
	memset(c, 0, sizeof(*c));
}

void store_occupant_list_free(struct store_occupant *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].room);
		free(v[i].jid);
		free(v[i].nick);
		free(v[i].who);
	}
	free(v);
}

/* 0 when room has a record, DB_NOTFOUND when not. */
static int store_rs_room_exists(struct store *st, DB_TXN *txn,
				const char *room)
{
	struct store_buf k;
	unsigned char *v = NULL;
	size_t len;
	int rc;

	store_buf_init(&k);
	store_buf_put(&k, room, strlen(room));
	rc = store_dbget(st, txn, STORE_DB_ROOMS, &k, &v, &len);
	free(v);
	store_buf_free(&k);
	return rc;
}

/* Configuration. */

static int store_room_config_decode(const void *p, size_t len,
				    struct store_room_config *out)
{
	struct store_rd rd;

	memset(out, 0, sizeof(*out));
	store_rd_init(&rd, p, len);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	out->flags = store_rd_be32(&rd);
	out->max_occupants = store_rd_be32(&rd);
	out->history_max = store_rd_be32(&rd);
	out->broadcast = store_rd_u8(&rd);
	out->allow_pm = store_rd_u8(&rd);
	out->description = store_rd_str(&rd);
	out->subject_by = store_rd_str(&rd);
	out->subject_ms = (int64_t)store_rd_be64(&rd);
	return rd.bad ? STORE_EFORMAT : 0;
}

static int store_room_config_get_body(struct store *st, DB_TXN *txn,
				      void *arg)
{
	struct store_rsarg *a = arg;
	struct store_buf k;
	unsigned char *v = NULL;
	size_t len;
	int rc;

	store_buf_init(&k);
	store_buf_put(&k, a->room, strlen(a->room));
	rc = store_dbget(st, txn, STORE_DB_ROOM_CONFIG, &k, &v, &len);
	if (rc == 0)
		rc = store_room_config_decode(v, len, &a->cfg_out);
	free(v);
	store_buf_free(&k);
	return rc;
}

int store_room_config_get(struct store *st, const char *room,
			  struct store_room_config *out)
{
	struct store_rsarg *a;
	int rc;

	memset(out, 0, sizeof(*out));
	if (room == NULL || store_rsarg_new(room, &a) != 0)
		return STORE_NOTFOUND;
	rc = store_txn_run(st, "read room configuration",
			   store_room_config_get_body, a);
	if (rc == 0) {
		*out = a->cfg_out;
		memset(&a->cfg_out, 0, sizeof(a->cfg_out));
	}
	store_rsarg_free(a);
	return rc;
}

static int store_room_config_put_body(struct store *st, DB_TXN *txn,
				      void *arg)
{
	struct store_rsarg *a = arg;
	const struct store_room_config *c = a->cfg_in;
	struct store_buf k, v;
	int rc;

	rc = store_rs_room_exists(st, txn, a->room);
	if (rc != 0)
		return rc;
	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_put(&k, a->room, strlen(a->room));
	store_buf_u8(&v, STORE_V1);
	store_buf_be32(&v, c->flags);
	store_buf_be32(&v, c->max_occupants);
	store_buf_be32(&v, c->history_max);
	store_buf_u8(&v, c->broadcast);
	store_buf_u8(&v, c->allow_pm);
	store_buf_str(&v, c->description);
	store_buf_str(&v, c->subject_by);
	store_buf_be64(&v, (uint64_t)c->subject_ms);
	rc = store_dbput(st, txn, STORE_DB_ROOM_CONFIG, &k, &v, 0);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_room_config_put(struct store *st, const char *room,
			  const struct store_room_config *c)
{
	struct store_rsarg *a;
	int rc;

	if (room == NULL)
		return STORE_EINVAL;
	rc = store_rsarg_new(room, &a);
	if (rc != 0)
		return rc;
	a->cfg_in = c;
	rc = store_txn_run(st, "write room configuration",
			   store_room_config_put_body, a);
	store_rsarg_free(a);
	return rc;
}

/* Occupants. */

static void store_occupant_key(struct store_buf *k, const char *room,
			       const char *jid)
{
	store_buf_key(k, room);
	store_buf_put(k, jid, strlen(jid));
}

static int store_occupant_put_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rsarg *a = arg;
	const struct store_occupant *o = a->occ_in;
	struct store_buf k, v;
	int rc;

	rc = store_rs_room_exists(st, txn, a->room);
	if (rc != 0)
		return rc;
	store_buf_init(&k);
	store_buf_init(&v);
	store_occupant_key(&k, a->room, o->jid);
	store_buf_u8(&v, STORE_V1);
	store_buf_str(&v, o->nick);
	store_buf_str(&v, o->who);
	store_buf_u8(&v, o->role);
	store_buf_be64(&v, (uint64_t)(o->joined_ms ? o->joined_ms
						   : clock_now_ms()));
	rc = store_dbput(st, txn, STORE_DB_OCCUPANTS, &k, &v, 0);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_occupant_put(struct store *st, const struct store_occupant *o)
{
	struct store_rsarg *a;
	int rc;

	if (o->room == NULL || o->jid == NULL || o->jid[0] == '\0' ||
	    o->nick == NULL || o->nick[0] == '\0' || o->who == NULL ||
	    o->who[0] == '\0')
		return STORE_EINVAL;
	rc = store_rsarg_new(o->room, &a);
	if (rc != 0)
		return rc;
	a->occ_in = o;
	rc = store_txn_run(st, "write occupant", store_occupant_put_body, a);
	store_rsarg_free(a);
	return rc;
}

static int store_occupant_del_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rsarg *a = arg;
	struct store_buf k;
	int rc;

	store_buf_init(&k);
	store_occupant_key(&k, a->room, a->jid);
	rc = store_dbdel(st, txn, STORE_DB_OCCUPANTS, &k);
	store_buf_free(&k);
	return rc;
}

int store_occupant_del(struct store *st, const char *room, const char *jid)
{
	struct store_rsarg *a;
	int rc;

	if (room == NULL || jid == NULL || store_rsarg_new(room, &a) != 0)
		return STORE_NOTFOUND;
	a->jid = jid;
	rc = store_txn_run(st, "remove occupant", store_occupant_del_body, a);
	store_rsarg_free(a);
	return rc;
}

static int store_occupant_list_one(DBC *c, const DBT *key, const DBT *val,
				   void *arg)
{
	struct store_rsarg *a = arg;
	struct store_occupant *o;
	const char *k = key->data;
	const char *sep = memchr(k, '\0', key->size);
	struct store_rd rd;
	size_t n;

	if (sep == NULL)
		return STORE_EFORMAT;
	a->occs = xreallocarray(a->occs, a->nocc + 1, sizeof(*a->occs));
	o = &a->occs[a->nocc++];
	memset(o, 0, sizeof(*o));
	o->room = xmalloc((size_t)(sep - k) + 1);
	memcpy(o->room, k, (size_t)(sep - k));
	o->room[sep - k] = '\0';
	n = key->size - (size_t)(sep - k) - 1;
	o->jid = xmalloc(n + 1);
	memcpy(o->jid, sep + 1, n);
	o->jid[n] = '\0';
	store_rd_init(&rd, val->data, val->size);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	o->nick = store_rd_str(&rd);
	o->who = store_rd_str(&rd);
	o->role = store_rd_u8(&rd);
	o->joined_ms = (int64_t)store_rd_be64(&rd);
	return rd.bad ? STORE_EFORMAT : 0;
}

static int store_occupant_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rsarg *a = arg;

	store_occupant_list_free(a->occs, a->nocc);
	a->occs = NULL;
	a->nocc = 0;
	return store_dbwalk(st, txn, STORE_DB_OCCUPANTS, a->room,
			    a->room ? strlen(a->room) + 1 : 0, 0,
			    store_occupant_list_one, a);
}

int store_occupant_list(struct store *st, const char *room,
			struct store_occupant **out, size_t *n)
{
	struct store_rsarg *a;
	int rc;

	*out = NULL;
	*n = 0;
	rc = store_rsarg_new(room, &a);
	if (rc != 0)
		return rc;
	rc = store_txn_run(st, "list occupants", store_occupant_list_body, a);
	if (rc == 0) {
		*out = a->occs;
		*n = a->nocc;
		a->occs = NULL;
		a->nocc = 0;
	}
	store_rsarg_free(a);
	return rc;
}

/* Removes what this file keeps about room (store_room_remove()). */
int store_roomstate_remove(struct store *st, DB_TXN *txn, const char *room)
{
	struct store_buf k;
	int rc;

	store_buf_init(&k);
	store_buf_put(&k, room, strlen(room));
	rc = store_dbdel(st, txn, STORE_DB_ROOM_CONFIG, &k);
	if (rc == DB_NOTFOUND)
		rc = 0;
	store_buf_u8(&k, 0);
	if (rc == 0)
		rc = store_dbdel_prefix(st, txn, STORE_DB_OCCUPANTS, &k);
	store_buf_free(&k);
	return rc;
}

/* The occupant-id secret. */

static void store_hex(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int store_unhex(const char *in, unsigned char *out, size_t n)
{
	size_t i;

	if (strlen(in) != 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++) {
		const char *d = strchr("0123456789abcdef", in[i]);

		if (d == NULL || in[i] == '\0')
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (unsigned char)((d - "0123456789abcdef") << 4);
		else
			out[i / 2] |= (unsigned char)(d - "0123456789abcdef");
	}
	return 0;
}

static int store_room_secret_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_rsarg *a = arg;
	struct store_buf k, v;
	unsigned char *old = NULL;
	char hex[2 * STORE_ROOM_SECRET_SIZE + 1];
	size_t len;
	int rc;

	store_buf_init(&k);
	store_buf_init(&v);
	store_buf_put(&k, STORE_META_ROOM_SECRET,
		      strlen(STORE_META_ROOM_SECRET));
	rc = a->secret_given ? DB_NOTFOUND
			     : store_dbget(st, txn, STORE_DB_META, &k, &old,
					   &len);
	if (rc == 0) {
		struct store_rd rd;
		char *s;

		store_rd_init(&rd, old, len);
		if (store_rd_version(&rd) != 0) {
			rc = STORE_EFORMAT;
			goto out;
		}
		s = store_rd_str(&rd);
		if (rd.bad || store_unhex(s, a->secret, sizeof(a->secret)) != 0)
			rc = STORE_EFORMAT;
		free(s);
		goto out;
	}
	if (rc != DB_NOTFOUND)
		goto out;
	if (!a->secret_given &&
	    getrandom(a->secret, sizeof(a->secret), 0) !=
		    (ssize_t)sizeof(a->secret)) {
		log_err("store: getrandom");
		rc = STORE_EFAIL;
		goto out;
	}
	store_hex(a->secret, sizeof(a->secret), hex);
	store_buf_u8(&v, STORE_V1);
	store_buf_str(&v, hex);
	rc = store_dbput(st, txn, STORE_DB_META, &k, &v, 0);
out:
	free(old);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_room_secret(struct store *st,
		      unsigned char out[STORE_ROOM_SECRET_SIZE])
{
	struct store_rsarg *a;
	int rc;

	store_rsarg_new(NULL, &a);
	rc = store_txn_run(st, "room secret", store_room_secret_body, a);
	if (rc == 0)
		memcpy(out, a->secret, STORE_ROOM_SECRET_SIZE);
	store_rsarg_free(a);
	return rc;
}

int store_room_secret_put(struct store *st,
			  const unsigned char in[STORE_ROOM_SECRET_SIZE])
{
	struct store_rsarg *a;
	int rc;

	store_rsarg_new(NULL, &a);
	memcpy(a->secret, in, STORE_ROOM_SECRET_SIZE);
	a->secret_given = true;
	rc = store_txn_run(st, "write room secret", store_room_secret_body, a);
	store_rsarg_free(a);
	return rc;
}
