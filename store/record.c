/*
 * record.c - records: each stored record's layout written once, as a
 * descriptor (struct store_rec: its database, its key parts, its value
 * fields after the version byte), and the generic operations on them that
 * every public function of the store is made of: get, put, delete, walk
 * and list, and the steps of a transaction (docs/STORE.md, "Adding a
 * record").
 *
 * Keys: the parts in order, a string part followed by a NUL byte unless
 * it is the key's last part, numbers big-endian; so the first n parts of
 * a key (with their NULs) are the prefix of every key that starts with
 * them, and a cursor walks them in order.  Values: the version byte, then
 * the fields (store/codec.c has the primitives).
 *
 * Reads of records marked cached go through the batch's read cache
 * (store/cache.c): inside a batch, a record read once is read from the
 * cache until this process writes.
 */
#include "config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "component/xmalloc.h"
#include "store/store-int.h"

/* Members. */

static void *store_member(const void *rec, const struct store_field *f)
{
	return (unsigned char *)rec + f->off;
}

static uint64_t store_int_get(const void *rec, const struct store_field *f)
{
	const void *p = store_member(rec, f);
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (f->width) {
	case 1:
		memcpy(&u8, p, 1);
		return u8;
	case 2:
		memcpy(&u16, p, 2);
		return u16;
	case 4:
		memcpy(&u32, p, 4);
		return u32;
	default:
		memcpy(&u64, p, 8);
		return u64;
	}
}

static void store_int_set(void *rec, const struct store_field *f, uint64_t v)
{
	void *p = store_member(rec, f);
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (f->width) {
	case 1:
		memcpy(p, &u8, 1);
		break;
	case 2:
		memcpy(p, &u16, 2);
		break;
	case 4:
		memcpy(p, &u32, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}

/* A string member (STR or BUF); NULL is "". */
static const char *store_str_get(const void *rec, const struct store_field *f)
{
	const char *s;

	if (f->type == STORE_F_BUF)
		return store_member(rec, f);
	memcpy(&s, store_member(rec, f), sizeof(s));
	return s != NULL ? s : "";
}

/* Sets a string member to n bytes at p: a new string, or a copy into the
 * buffer; false when it does not fit. */
static bool store_str_set(void *rec, const struct store_field *f,
			  const void *p, size_t n)
{
	char *d;

	if (f->type == STORE_F_BUF) {
		if (n >= f->width)
			return false;
		d = store_member(rec, f);
	} else {
		d = xmalloc(n + 1);
		memcpy(store_member(rec, f), &d, sizeof(d));
	}
	memcpy(d, p, n);
	d[n] = '\0';
	return true;
}

/* An integer field (U8, BOOL, BE32, BE64) of rec appended to b; false
 * for a field of another type. */
static bool store_int_put(struct store_buf *b, const struct store_field *f,
			  const void *rec)
{
	uint64_t v;

	if (f->type != STORE_F_U8 && f->type != STORE_F_BOOL &&
	    f->type != STORE_F_BE32 && f->type != STORE_F_BE64)
		return false;
	v = store_int_get(rec, f);
	if (f->type == STORE_F_BE64)
		store_buf_be64(b, v);
	else if (f->type == STORE_F_BE32)
		store_buf_be32(b, (uint32_t)v);
	else
		store_buf_u8(b, f->type == STORE_F_BOOL ? v != 0 : (uint8_t)v);
	return true;
}

/* The same, read from r into out. */
static bool store_int_read(struct store_rd *r, const struct store_field *f,
			   void *out)
{
	if (f->type == STORE_F_BE64)
		store_int_set(out, f, store_rd_be64(r));
	else if (f->type == STORE_F_BE32)
		store_int_set(out, f, store_rd_be32(r));
	else if (f->type == STORE_F_U8)
		store_int_set(out, f, store_rd_u8(r));
	else if (f->type == STORE_F_BOOL)
		store_int_set(out, f, store_rd_u8(r) != 0);
	else
		return false;
	return true;
}

/* Keys. */

static void store_fields_key(const struct store_field *f, const void *rec,
			     size_t nparts, struct store_buf *k)
{
	size_t i;

	for (i = 0; f->type != STORE_F_END; f++, i++) {
		const char *s;

		if (nparts > 0 && i == nparts)
			break;
		if (f->type == STORE_F_ADDR) {
			size_t j;

			s = store_str_get(rec, f);
			for (j = 0; s[j] != '\0' && s[j] != '/'; j++)
				store_buf_u8(k, s[j] >= 'A' && s[j] <= 'Z'
							? (uint8_t)(s[j] + 32)
							: (uint8_t)s[j]);
			if (f[1].type != STORE_F_END)
				store_buf_u8(k, 0);
			continue;
		}
		if (f->type != STORE_F_STR && f->type != STORE_F_BUF) {
			store_int_put(k, f, rec); /* a NUL part puts nothing */
			continue;
		}
		s = store_str_get(rec, f);
		store_buf_put(k, s, strlen(s));
		if (f[1].type != STORE_F_END)
			store_buf_u8(k, 0);
	}
}

void store_rec_key(const struct store_rec *r, const void *rec, size_t nparts,
		   struct store_buf *k)
{
	store_fields_key(r->key, rec, nparts, k);
}

/* The read cache's key of a record (or, walk, of a walk over its first
 * nparts key parts): a letter for the database and the kind, then the
 * string parts joined by \x1f (names hold neither NUL nor \x1f); false
 * when it does not fit. */
static bool store_rec_cache_key(const struct store_field *f,
				enum store_dbi db, const void *rec,
				size_t nparts, bool walk,
				char out[STORE_CACHE_KEY])
{
	size_t i, n, len = 1;

	out[0] = (char)((walk ? 'a' : 'A') + db);
	for (i = 0; f->type != STORE_F_END && (nparts == 0 || i < nparts);
	     f++, i++) {
		const char *s;

		if (f->type != STORE_F_STR && f->type != STORE_F_BUF)
			return false;
		s = store_str_get(rec, f);
		n = strlen(s);
		if (len + n + 2 >= STORE_CACHE_KEY)
			return false;
		memcpy(out + len, s, n);
		len += n;
		if (f[1].type != STORE_F_END)
			out[len++] = '\x1f';
	}
	out[len] = '\0';
	return true;
}

static int store_key_decode(const struct store_rec *r, const void *p,
			    size_t len, void *out)
{
	const struct store_field *f;
	struct store_rd rd;

	store_rd_init(&rd, p, len);
	for (f = r->key; f->type != STORE_F_END && !rd.bad; f++) {
		const unsigned char *s = rd.p + rd.off, *nul;
		size_t n = rd.len - rd.off;

		if (f->type != STORE_F_STR && f->type != STORE_F_BUF) {
			store_int_read(&rd, f, out); /* a NUL part reads nothing */
			continue;
		}
		if (f[1].type != STORE_F_END) {
			nul = memchr(s, '\0', n);
			if (nul == NULL)
				return STORE_EFORMAT;
			n = (size_t)(nul - s);
		}
		if (!store_str_set(out, f, s, n))
			return STORE_EFORMAT;
		rd.off += n + (f[1].type != STORE_F_END);
	}
	return rd.bad || rd.off != rd.len ? STORE_EFORMAT : 0;
}

/* Values. */

/* True when every value field from f on is zero, NULL or empty. */
static bool store_fields_unset(const struct store_field *f, const void *rec)
{
	char *const *sv;

	for (; f->type != STORE_F_END; f++) {
		switch (f->type) {
		case STORE_F_U8:
		case STORE_F_BOOL:
		case STORE_F_BE32:
		case STORE_F_BE64:
			if (store_int_get(rec, f) != 0)
				return false;
			break;
		case STORE_F_STR:
		case STORE_F_BUF:
			if (*store_str_get(rec, f) != '\0')
				return false;
			break;
		case STORE_F_STRV:
			memcpy(&sv, store_member(rec, f), sizeof(sv));
			if (sv != NULL && sv[0] != NULL)
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

void store_rec_encode(const struct store_rec *r, const void *rec,
		      struct store_buf *v)
{
	const struct store_field *f;
	char *const *sv;
	size_t i, n;

	store_buf_u8(v, STORE_V1);
	for (f = r->val; f->type != STORE_F_END; f++) {
		if (f->type == STORE_F_OPT) {
			if (store_fields_unset(f + 1, rec))
				break;
			continue;
		}
		if (store_int_put(v, f, rec))
			continue;
		if (f->type != STORE_F_STRV) {
			store_buf_str(v, store_str_get(rec, f));
			continue;
		}
		memcpy(&sv, store_member(rec, f), sizeof(sv));
		for (n = 0; sv != NULL && sv[n] != NULL; n++)
			;
		store_buf_be32(v, (uint32_t)n);
		for (i = 0; i < n; i++)
			store_buf_str(v, sv[i]);
	}
}

/* Decodes the value's fields into out (the first nfields of them; 0:
 * all). */
static int store_val_decode(const struct store_rec *r, const void *p,
			    size_t len, void *out, size_t nfields)
{
	const struct store_field *f;
	struct store_rd rd;
	char **sv;
	uint32_t i, n;
	size_t done = 0;

	store_rd_init(&rd, p, len);
	if (store_rd_version(&rd) != 0)
		return STORE_EFORMAT;
	for (f = r->val; f->type != STORE_F_END && !rd.bad; f++) {
		const unsigned char *s;

		if (nfields > 0 && done++ == nfields)
			break;
		if (f->type == STORE_F_OPT) {
			if (rd.off == rd.len)
				break; /* written before they were added */
			continue;
		}
		if (store_int_read(&rd, f, out))
			continue;
		switch (f->type) {
		case STORE_F_STRV:
			n = store_rd_be32(&rd);
			if (rd.bad || n > (rd.len - rd.off) / 4)
				return STORE_EFORMAT;
			sv = xreallocarray(NULL, (size_t)n + 1, sizeof(*sv));
			for (i = 0; i < n; i++)
				sv[i] = store_rd_str(&rd);
			sv[n] = NULL;
			memcpy(store_member(out, f), &sv, sizeof(sv));
			break;
		default:
			n = store_rd_be32(&rd);
			s = rd.p + rd.off;
			if (rd.bad || n > rd.len - rd.off) {
				rd.bad = 1;
				break;
			}
			if (!store_str_set(out, f, s, n))
				return STORE_EFORMAT;
			rd.off += n;
			break;
		}
	}
	return rd.bad ? STORE_EFORMAT : 0;
}

int store_rec_decode(const struct store_rec *r, const void *key, size_t klen,
		     const void *val, size_t vlen, void *out)
{
	int rc;

	memset(out, 0, r->size);
	rc = store_key_decode(r, key, klen, out);
	if (rc == 0)
		rc = store_val_decode(r, val, vlen, out, 0);
	return rc;
}

int store_rec_index_key(const struct store_rec *r, const void *key,
			size_t klen, const void *val, size_t vlen,
			struct store_buf *k)
{
	unsigned char rec[STORE_REC_MAX];
	const struct store_field *f, *v;
	size_t need = 0, i;
	int rc;

	assert(r->size <= sizeof(rec));
	/* Only the value fields up to the last one the index key uses: an
	 * archived message's stanza is not copied for its index. */
	for (f = r->ikey; f->type != STORE_F_END; f++)
		for (v = r->val, i = 1; v->type != STORE_F_END; v++, i++)
			if (v->off == f->off && i > need)
				need = i;
	memset(rec, 0, r->size);
	rc = store_key_decode(r, key, klen, rec);
	if (rc == 0 && need > 0)
		rc = store_val_decode(r, val, vlen, rec, need);
	/* A record with an empty name in its index key is not indexed. */
	for (f = r->ikey; rc == 0 && f->type != STORE_F_END; f++)
		if ((f->type == STORE_F_STR || f->type == STORE_F_BUF ||
		     f->type == STORE_F_ADDR) &&
		    *store_str_get(rec, f) == '\0')
			rc = STORE_EFORMAT;
	if (rc == 0)
		store_fields_key(r->ikey, rec, 0, k);
	store_rec_clear(r, rec);
	return rc;
}

/* Zeroes the string members of f in rec, without freeing them. */
static void store_fields_zero(const struct store_field *f, void *rec)
{
	for (; f->type != STORE_F_END; f++)
		if (f->type == STORE_F_STR || f->type == STORE_F_STRV)
			memset(store_member(rec, f), 0, sizeof(char *));
}

/* Frees the string members of f in rec and zeroes them. */
static void store_fields_clear(const struct store_field *f, void *rec)
{
	char **sv;
	char *s;
	size_t i;

	for (; f->type != STORE_F_END; f++) {
		if (f->type == STORE_F_STR) {
			memcpy(&s, store_member(rec, f), sizeof(s));
			free(s);
		} else if (f->type == STORE_F_STRV) {
			memcpy(&sv, store_member(rec, f), sizeof(sv));
			for (i = 0; sv != NULL && sv[i] != NULL; i++)
				free(sv[i]);
			free(sv);
		} else {
			continue;
		}
		memset(store_member(rec, f), 0, sizeof(char *));
	}
}

void store_rec_clear(const struct store_rec *r, void *rec)
{
	if (rec == NULL)
		return;
	store_fields_clear(r->key, rec);
	store_fields_clear(r->val, rec);
	memset(rec, 0, r->size);
}

void store_rec_list_free(const struct store_rec *r, void *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		store_rec_clear(r, (unsigned char *)v + i * r->size);
	free(v);
}

/* Operations inside a transaction. */

int store_rec_get(struct store *st, DB_TXN *txn, const struct store_rec *r,
		  void *rec)
{
	char ck[STORE_CACHE_KEY];
	struct store_buf k;
	const void *cv;
	unsigned char *v = NULL;
	size_t len;
	bool cached;
	int rc;

	store_fields_clear(r->val, rec); /* a retried body reads again */
	cached = r->cached && st->batch_open &&
		 store_rec_cache_key(r->key, r->db, rec, 0, false, ck);
	if (cached && store_cache_get(st, ck, &rc, &cv, &len))
		return rc == 0 ? store_val_decode(r, cv, len, rec, 0) : rc;
	store_buf_init(&k);
	store_rec_key(r, rec, 0, &k);
	rc = store_dbget(st, txn, r->db, &k, &v, &len);
	if (cached && (rc == 0 || rc == DB_NOTFOUND))
		store_cache_put(st, ck, rc, v, len);
	if (rc == 0)
		rc = store_val_decode(r, v, len, rec, 0);
	free(v);
	store_buf_free(&k);
	return rc;
}

int store_rec_get_index(struct store *st, DB_TXN *txn,
			const struct store_rec *r, void *rec,
			struct store_buf *pkey)
{
	struct store_buf k;
	DBT ik, pk, pv;
	int rc;

	if (st->cache_only)
		return STORE_MISS;
	store_buf_init(&k);
	store_fields_key(r->ikey, rec, 0, &k);
	memset(&ik, 0, sizeof(ik));
	memset(&pk, 0, sizeof(pk));
	memset(&pv, 0, sizeof(pv));
	ik.data = k.p;
	ik.size = (uint32_t)k.len;
	pk.flags = pv.flags = DB_DBT_MALLOC;
	rc = st->db[r->index]->pget(st->db[r->index], txn, &ik, &pk, &pv, 0);
	if (rc == 0) {
		rc = store_rec_decode(r, pk.data, pk.size, pv.data, pv.size,
				      rec);
		if (pkey != NULL)
			store_buf_put(pkey, pk.data, pk.size);
	}
	free(pk.data);
	free(pv.data);
	store_buf_free(&k);
	return rc;
}

int store_rec_exists(struct store *st, DB_TXN *txn, const struct store_rec *r,
		     const void *keyrec)
{
	unsigned char tmp[STORE_REC_MAX];
	int rc;

	assert(r->size <= sizeof(tmp));
	memcpy(tmp, keyrec, r->size);
	store_fields_zero(r->val, tmp); /* the caller's, if any */
	rc = store_rec_get(st, txn, r, tmp);
	/* Only the key was the caller's: drop what the value gave. */
	if (rc == 0)
		store_fields_clear(r->val, tmp);
	return rc;
}

int store_rec_put(struct store *st, DB_TXN *txn, const struct store_rec *r,
		  const void *rec, uint32_t flags)
{
	struct store_buf k, v;
	int rc;

	store_buf_init(&k);
	store_buf_init(&v);
	store_rec_key(r, rec, 0, &k);
	store_rec_encode(r, rec, &v);
	rc = store_dbput(st, txn, r->db, &k, &v, flags);
	store_buf_free(&k);
	store_buf_free(&v);
	return rc;
}

int store_rec_del(struct store *st, DB_TXN *txn, const struct store_rec *r,
		  const void *rec, size_t nparts)
{
	struct store_buf k;
	int rc;

	store_buf_init(&k);
	store_rec_key(r, rec, nparts, &k);
	if (nparts == 0)
		rc = store_dbdel(st, txn, r->db, &k);
	else
		rc = store_dbdel_prefix(st, txn, r->db, &k);
	store_buf_free(&k);
	return rc;
}

/* A walk's decoding of each record for its callback. */
struct store_rec_walker {
	const struct store_rec *r;
	store_rec_fn *fn;
	void *arg;
	struct store_buf *keep; /* the entries, for the cache */
	bool pkey;              /* a secondary index: decode the primary */
	bool stopped;           /* fn ended the walk early */
};

static int store_rec_one(struct store_rec_walker *w, DBC *c,
			 const void *key, size_t klen, const void *val,
			 size_t vlen)
{
	unsigned char rec[STORE_REC_MAX];
	int rc;

	assert(w->r->size <= sizeof(rec));
	rc = store_rec_decode(w->r, key, klen, val, vlen, rec);
	if (rc == 0)
		rc = w->fn(c, rec, w->arg);
	if (rc == 1)
		w->stopped = true;
	/* A callback that keeps the record takes its strings and zeroes
	 * them; whatever is left is freed. */
	store_rec_clear(w->r, rec);
	return rc;
}

static int store_rec_walk_one(DBC *c, const DBT *key, const DBT *val,
			      void *arg)
{
	struct store_rec_walker *w = arg;
	DBT skey, pkey, data;
	int rc;

	if (!w->pkey) {
		if (w->keep != NULL) {
			store_buf_be32(w->keep, key->size);
			store_buf_put(w->keep, key->data, key->size);
			store_buf_be32(w->keep, val->size);
			store_buf_put(w->keep, val->data, val->size);
		}
		return store_rec_one(w, c, key->data, key->size, val->data,
				     val->size);
	}
	/* The index cursor gives the primary's value; ask for its key. */
	memset(&skey, 0, sizeof(skey));
	memset(&pkey, 0, sizeof(pkey));
	memset(&data, 0, sizeof(data));
	skey.flags = pkey.flags = data.flags = DB_DBT_MALLOC;
	rc = c->pget(c, &skey, &pkey, &data, DB_CURRENT);
	if (rc == 0) {
		if (w->keep != NULL) {
			store_buf_be32(w->keep, pkey.size);
			store_buf_put(w->keep, pkey.data, pkey.size);
			store_buf_be32(w->keep, data.size);
			store_buf_put(w->keep, data.data, data.size);
		}
		rc = store_rec_one(w, c, pkey.data, pkey.size, data.data,
				   data.size);
	}
	free(skey.data);
	free(pkey.data);
	free(data.data);
	return rc;
}

/* The walk again from the entries the cache kept. */
static int store_rec_replay(struct store_rec_walker *w, const void *p,
			    size_t len)
{
	struct store_rd rd;
	int rc = 0;

	store_rd_init(&rd, p, len);
	while (rc == 0 && rd.off < rd.len) {
		uint32_t kl = store_rd_be32(&rd);
		const unsigned char *k = rd.p + rd.off;
		uint32_t vl;

		rd.off += kl;
		vl = store_rd_be32(&rd);
		rc = store_rec_one(w, NULL, k, kl, rd.p + rd.off, vl);
		rd.off += vl;
	}
	return rc == 1 ? 0 : rc;
}

int store_rec_walk(struct store *st, DB_TXN *txn, const struct store_rec *r,
		   const void *keyrec, size_t nparts, int flags,
		   store_rec_fn *fn, void *arg)
{
	struct store_rec_walker w = {r, fn, arg, NULL, false, false};
	const struct store_field *kf = r->key;
	char ck[STORE_CACHE_KEY];
	struct store_buf k, keep;
	enum store_dbi db = r->db;
	const void *cv;
	size_t len;
	int rc;

	if (flags & STORE_WALK_INDEX) {
		db = r->index;
		kf = r->ikey;
		w.pkey = true;
	}
	/* Walks of cached records over one prefix are cached whole (a walk
	 * that deletes never is: it goes newest first or has no prefix). */
	if (r->cached && st->batch_open && keyrec != NULL && nparts > 0 &&
	    !(flags & STORE_WALK_REVERSE) &&
	    store_rec_cache_key(kf, db, keyrec, nparts, true, ck)) {
		if (store_cache_get(st, ck, &rc, &cv, &len))
			return store_rec_replay(&w, cv, len);
		w.keep = &keep;
	}
	store_buf_init(&k);
	store_buf_init(&keep);
	if (keyrec != NULL)
		store_fields_key(kf, keyrec, nparts, &k);
	rc = store_dbwalk(st, txn, db, k.p, k.len, flags & ~STORE_WALK_INDEX,
			  store_rec_walk_one, &w);
	if (rc == 0 && w.keep != NULL && !w.stopped)
		store_cache_put(st, ck, 0, keep.p, keep.len);
	store_buf_free(&k);
	store_buf_free(&keep);
	return rc;
}

/* Collects the records a walk sees into a growing array. */
struct store_rec_lister {
	const struct store_rec *r;
	bool (*keep)(const void *rec, void *arg);
	void *arg;
	unsigned char *v;
	size_t n;
};

static int store_rec_list_one(DBC *c, void *rec, void *arg)
{
	struct store_rec_lister *l = arg;

	if (l->keep != NULL && !l->keep(rec, l->arg))
		return 0;
	l->v = xreallocarray(l->v, l->n + 1, l->r->size);
	memcpy(l->v + l->n * l->r->size, rec, l->r->size);
	l->n++;
	memset(rec, 0, l->r->size); /* the array has its strings now */
	return 0;
}

int store_rec_list(struct store *st, DB_TXN *txn, const struct store_rec *r,
		   const void *keyrec, size_t nparts, int flags,
		   bool (*keep)(const void *rec, void *arg), void *arg,
		   void **out, size_t *n)
{
	struct store_rec_lister l = {r, keep, arg, NULL, 0};
	int rc;

	rc = store_rec_walk(st, txn, r, keyrec, nparts, flags,
			    store_rec_list_one, &l);
	if (rc != 0) {
		store_rec_list_free(r, l.v, l.n);
		l.v = NULL;
		l.n = 0;
	}
	*out = l.v;
	*n = l.n;
	return rc;
}

void *store_rec_project(const struct store_rec *r, void *v, size_t n,
			size_t off, size_t size)
{
	unsigned char *out = xreallocarray(NULL, n + 1, size);
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char *rec = (unsigned char *)v + i * r->size;

		memcpy(out + i * size, rec + off, size);
		memset(rec + off, 0, size);
	}
	memset(out + n * size, 0, size);
	store_rec_list_free(r, v, n);
	return out;
}

/* One list of records in a transaction of its own (store_rec_list()). */
struct store_list_arg {
	const struct store_rec *r;
	const void *keyrec;
	size_t nparts;
	int flags;
	bool (*keep)(const void *rec, void *arg);
	void *keep_arg;
	void *v;
	size_t n;
};

static int store_list_body(struct store *st, DB_TXN *txn, void *arg)
{
	struct store_list_arg *a = arg;

	store_rec_list_free(a->r, a->v, a->n);
	return store_rec_list(st, txn, a->r, a->keyrec, a->nparts, a->flags,
			      a->keep, a->keep_arg, &a->v, &a->n);
}

int store_list(struct store *st, const char *what, const struct store_rec *r,
	       const void *keyrec, size_t nparts, int flags,
	       bool (*keep)(const void *rec, void *arg), void *keep_arg,
	       void **out, size_t *n)
{
	struct store_list_arg a = {r, keyrec, nparts, flags, keep, keep_arg,
				   NULL, 0};
	int rc;

	rc = store_read(st, what, store_list_body, &a);

	if (rc != 0) {
		store_rec_list_free(r, a.v, a.n);
		a.v = NULL;
		a.n = 0;
	}
	*out = a.v;
	*n = a.n;
	return rc;
}

int store_list_strv(struct store *st, const char *what,
		    const struct store_rec *r, const void *keyrec,
		    size_t nparts, int flags,
		    bool (*keep)(const void *rec, void *arg), size_t off,
		    char ***out)
{
	void *v;
	size_t n;
	int rc;

	rc = store_list(st, what, r, keyrec, nparts, flags, keep, NULL, &v,
			&n);
	*out = rc == 0 ? store_rec_project(r, v, n, off, sizeof(char *))
		       : NULL;
	return rc;
}

/* Steps: a transaction as a table. */

static int store_step_run(struct store *st, DB_TXN *txn,
			  const struct store_step *s)
{
	int rc;

	switch (s->op) {
	case STORE_GET:
		return store_rec_get(st, txn, s->r, s->rec);
	case STORE_NEED:
		return store_rec_exists(st, txn, s->r, s->rec);
	case STORE_ABSENT:
		rc = store_rec_exists(st, txn, s->r, s->rec);
		return rc == 0 ? DB_KEYEXIST : rc == DB_NOTFOUND ? 0 : rc;
	case STORE_PUT:
		return store_rec_put(st, txn, s->r, s->rec, 0);
	case STORE_ADD:
		return store_rec_put(st, txn, s->r, s->rec, DB_NOOVERWRITE);
	case STORE_DEL:
		return store_rec_del(st, txn, s->r, s->rec, s->nparts);
	case STORE_DROP:
		rc = store_rec_del(st, txn, s->r, s->rec, s->nparts);
		return rc == DB_NOTFOUND ? 0 : rc;
	default:
		return s->fn(st, txn, s->rec);
	}
}

static int store_steps_body(struct store *st, DB_TXN *txn, void *arg)
{
	const struct store_step *s;
	int rc = 0;

	for (s = arg; s->r != NULL || s->fn != NULL; s++)
		if ((rc = store_step_run(st, txn, s)) != 0)
			break;
	return rc;
}

int store_steps(struct store *st, const char *what,
		const struct store_step *steps)
{
	return store_txn_run(st, what, store_steps_body, (void *)steps);
}

int store_read(struct store *st, const char *what,
	       int (*body)(struct store *st, DB_TXN *txn, void *arg),
	       void *arg)
{
	int rc;

	/* In a batch, first from the cache alone, with no transaction. */
	if (st->batch_open && st->cache != NULL) {
		st->cache_only = true;
		rc = body(st, NULL, arg);
		st->cache_only = false;
		if (rc != STORE_MISS) {
			st->cache_hits++;
			return rc == DB_NOTFOUND ? STORE_NOTFOUND : rc;
		}
	}
	st->read_only = true;
	rc = store_txn_run(st, what, body, arg);
	st->read_only = false;
	return rc;
}

int store_read_steps(struct store *st, const char *what,
		     const struct store_step *steps)
{
	return store_read(st, what, store_steps_body, (void *)steps);
}
