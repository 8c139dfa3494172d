/*
 * roomstate.c - what the MUC service keeps about rooms beside their
 * records (store/rooms.c): each room's configuration, the occupants to
 * restore after a restart, and the service's occupant-id secret.
 *
 * The records (docs/STORE.md has the layouts):
 * room-config: room -> flags, max occupants, history max, broadcast
 *              roles, allow pm, description, subject by, subject ms
 * occupants:   room \0 real full JID -> nick, who, role, joined
 * meta:        "room-secret" -> 64 hex digits
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "component/clock.h"
#include "component/log.h"
#include "store/store-int.h"

struct store_room_config_rec {
	char *room;
	struct store_room_config c;
};

#define RC struct store_room_config_rec
static const struct store_field store_room_config_key[] = {
	STORE_FIELD(STORE_F_STR, RC, room),
	STORE_FIELD_END,
};
static const struct store_field store_room_config_val[] = {
	STORE_FIELD(STORE_F_BE32, RC, c.flags),
	STORE_FIELD(STORE_F_BE32, RC, c.max_occupants),
	STORE_FIELD(STORE_F_BE32, RC, c.history_max),
	STORE_FIELD(STORE_F_U8, RC, c.broadcast),
	STORE_FIELD(STORE_F_U8, RC, c.allow_pm),
	STORE_FIELD(STORE_F_STR, RC, c.description),
	STORE_FIELD(STORE_F_STR, RC, c.subject_by),
	STORE_FIELD(STORE_F_BE64, RC, c.subject_ms),
	STORE_FIELD_END,
};
#undef RC
static const struct store_rec store_rec_room_config = {
	STORE_DB_ROOM_CONFIG, false, sizeof(struct store_room_config_rec),
	store_room_config_key, store_room_config_val, 0, NULL,
};

#define OC struct store_occupant
static const struct store_field store_occupant_key[] = {
	STORE_FIELD(STORE_F_STR, OC, room),
	STORE_FIELD(STORE_F_STR, OC, jid),
	STORE_FIELD_END,
};
static const struct store_field store_occupant_val[] = {
	STORE_FIELD(STORE_F_STR, OC, nick),
	STORE_FIELD(STORE_F_STR, OC, who),
	STORE_FIELD(STORE_F_U8, OC, role),
	STORE_FIELD(STORE_F_BE64, OC, joined_ms),
	STORE_FIELD_END,
};
#undef OC
static const struct store_rec store_rec_occupant = {
	STORE_DB_OCCUPANTS, false, sizeof(struct store_occupant),
	store_occupant_key, store_occupant_val, 0, NULL,
};

/* The occupant-id secret, as hex digits. */
struct store_room_secret_rec {
	char *name; /* "room-secret" */
	char hex[2 * STORE_ROOM_SECRET_SIZE + 1];
};

#define RS struct store_room_secret_rec
static const struct store_field store_room_secret_key[] = {
	STORE_FIELD(STORE_F_STR, RS, name),
	STORE_FIELD_END,
};
static const struct store_field store_room_secret_val[] = {
	STORE_FIELD(STORE_F_BUF, RS, hex),
	STORE_FIELD_END,
};
#undef RS
static const struct store_rec store_rec_room_secret = {
	STORE_DB_META, false, sizeof(struct store_room_secret_rec),
	store_room_secret_key, store_room_secret_val, 0, NULL,
};

int store_room_norm(const char *in, char out[STORE_ADDR_SIZE])
{
	if (in == NULL || strlen(in) > 1023 || strchr(in, '@') ||
	    strchr(in, '/'))
		return STORE_EINVAL;
	return store_addr_norm(in, out);
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
	store_rec_list_free(&store_rec_occupant, v, n);
}

/* Configuration. */

int store_room_config_get(struct store *st, const char *room,
			  struct store_room_config *out)
{
	char name[STORE_ADDR_SIZE];
	struct store_room_config_rec r = {name, {0, 0, 0, 0, 0, NULL, NULL, 0}};
	const struct store_step steps[] = {
		STORE_STEP(STORE_GET, &store_rec_room_config, &r),
		STORE_STEPS_END,
	};
	int rc;

	memset(out, 0, sizeof(*out));
	if (store_room_norm(room, name) != 0)
		return STORE_NOTFOUND;
	rc = store_read_steps(st, "read room configuration", steps);
	if (rc == 0)
		*out = r.c;
	else
		store_room_config_clear(&r.c);
	return rc;
}

int store_room_config_put(struct store *st, const char *room,
			  const struct store_room_config *c)
{
	char name[STORE_ADDR_SIZE];
	struct store_room_config_rec r = {name, *c};
	struct store_room rm = {.name = name};
	const struct store_step steps[] = {
		STORE_STEP(STORE_NEED, &store_rec_room, &rm),
		STORE_STEP(STORE_PUT, &store_rec_room_config, &r),
		STORE_STEPS_END,
	};

	if (store_room_norm(room, name) != 0)
		return STORE_EINVAL;
	return store_steps(st, "write room configuration", steps);
}

/* Occupants. */

int store_occupant_put(struct store *st, const struct store_occupant *o)
{
	char name[STORE_ADDR_SIZE];
	struct store_occupant r = *o;
	struct store_room room = {.name = name};
	const struct store_step steps[] = {
		STORE_STEP(STORE_NEED, &store_rec_room, &room),
		STORE_STEP(STORE_PUT, &store_rec_occupant, &r),
		STORE_STEPS_END,
	};

	if (o->jid == NULL || o->jid[0] == '\0' || o->nick == NULL ||
	    o->nick[0] == '\0' || o->who == NULL || o->who[0] == '\0' ||
	    store_room_norm(o->room, name) != 0)
		return STORE_EINVAL;
	r.room = name;
	if (r.joined_ms == 0)
		r.joined_ms = clock_now_ms();
	return store_steps(st, "write occupant", steps);
}

int store_occupant_del(struct store *st, const char *room, const char *jid)
{
	char name[STORE_ADDR_SIZE];
	struct store_occupant r = {.room = name, .jid = (char *)jid};
	const struct store_step steps[] = {
		STORE_STEP(STORE_DEL, &store_rec_occupant, &r),
		STORE_STEPS_END,
	};

	if (jid == NULL || store_room_norm(room, name) != 0)
		return STORE_NOTFOUND;
	return store_steps(st, "remove occupant", steps);
}

int store_occupant_list(struct store *st, const char *room,
			struct store_occupant **out, size_t *n)
{
	char name[STORE_ADDR_SIZE];
	struct store_occupant r = {.room = name};

	*out = NULL;
	*n = 0;
	if (room != NULL && store_room_norm(room, name) != 0)
		return STORE_EINVAL;
	return store_list(st, "list occupants", &store_rec_occupant,
			  room != NULL ? &r : NULL, 1, 0, NULL, NULL,
			  (void **)out, n);
}

int store_roomstate_remove(struct store *st, DB_TXN *txn, const char *room)
{
	struct store_room_config_rec c = {(char *)room,
					  {0, 0, 0, 0, 0, NULL, NULL, 0}};
	struct store_occupant o = {.room = (char *)room};
	int rc;

	rc = store_rec_del(st, txn, &store_rec_room_config, &c, 0);
	if (rc == 0 || rc == DB_NOTFOUND)
		rc = store_rec_del(st, txn, &store_rec_occupant, &o, 1);
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
	unsigned v;

	if (strlen(in) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if (strspn(in + 2 * i, "0123456789abcdef") < 2 ||
		    sscanf(in + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

struct store_secret {
	struct store_room_secret_rec r;
	unsigned char secret[STORE_ROOM_SECRET_SIZE];
	bool given; /* write this one */
};

/* Reads the secret, or makes one (or writes the one given). */
static int store_room_secret_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_secret *a = arg;
	int rc;

	rc = a->given ? DB_NOTFOUND
		      : store_rec_get(st, txn, &store_rec_room_secret, &a->r);
	if (rc == 0)
		return store_unhex(a->r.hex, a->secret, sizeof(a->secret)) == 0
			       ? 0
			       : STORE_EFORMAT;
	if (rc != DB_NOTFOUND)
		return rc;
	if (!a->given && getrandom(a->secret, sizeof(a->secret), 0) !=
				 (ssize_t)sizeof(a->secret)) {
		log_err("store: getrandom");
		return STORE_EFAIL;
	}
	store_hex(a->secret, sizeof(a->secret), a->r.hex);
	return store_rec_put(st, txn, &store_rec_room_secret, &a->r, 0);
}

int store_room_secret(struct store *st,
		      unsigned char out[STORE_ROOM_SECRET_SIZE])
{
	struct store_secret a = {{"room-secret", ""}, {0}, false};
	int rc;

	rc = store_txn_run(st, "room secret", store_room_secret_body, &a);
	if (rc == 0)
		memcpy(out, a.secret, STORE_ROOM_SECRET_SIZE);
	return rc;
}

int store_room_secret_put(struct store *st,
			  const unsigned char in[STORE_ROOM_SECRET_SIZE])
{
	struct store_secret a = {{"room-secret", ""}, {0}, true};

	memcpy(a.secret, in, STORE_ROOM_SECRET_SIZE);
	return store_txn_run(st, "write room secret", store_room_secret_body,
			     &a);
}
