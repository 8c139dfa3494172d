/*
 * codec.c - the byte encoding of keys and values.
 *
 * Values: a format version byte, then fields: u8, big-endian u32/u64, and
 * strings as a be32 length and the bytes.  Keys: strings separated by a NUL
 * byte and big-endian numbers, so bytewise order is the order we want.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/xmalloc.h"
#include "store/store-int.h"

void store_buf_init(struct store_buf *b)
{
	b->p = b->small;
	b->len = 0;
	b->cap = sizeof(b->small);
}

void store_buf_free(struct store_buf *b)
{
	if (b->p != b->small)
		free(b->p);
	store_buf_init(b);
}

void store_buf_reset(struct store_buf *b)
{
	b->len = 0;
}

void store_buf_put(struct store_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n)
			cap *= 2;
		if (b->p == b->small) {
			b->p = xmalloc(cap);
			memcpy(b->p, b->small, b->len);
		} else {
			b->p = xreallocarray(b->p, cap, 1);
		}
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void store_buf_u8(struct store_buf *b, uint8_t v)
{
	if (b->len < b->cap)
		b->p[b->len++] = v;
	else
		store_buf_put(b, &v, 1);
}

void store_buf_be32(struct store_buf *b, uint32_t v)
{
	unsigned char p[4] = {v >> 24, v >> 16, v >> 8, v};

	store_buf_put(b, p, 4);
}

void store_put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

uint64_t store_get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

void store_buf_be64(struct store_buf *b, uint64_t v)
{
	unsigned char p[8];

	store_put_be64(p, v);
	store_buf_put(b, p, 8);
}

void store_buf_str(struct store_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	store_buf_be32(b, (uint32_t)n);
	store_buf_put(b, s, n);
}

void store_buf_key(struct store_buf *b, const char *s)
{
	store_buf_put(b, s, strlen(s) + 1);
}

void store_rd_init(struct store_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->bad = 0;
}

static int store_rd_need(struct store_rd *r, size_t n)
{
	if (r->bad || r->len - r->off < n) {
		r->bad = 1;
		return 0;
	}
	return 1;
}

uint8_t store_rd_u8(struct store_rd *r)
{
	if (!store_rd_need(r, 1))
		return 0;
	return r->p[r->off++];
}

uint32_t store_rd_be32(struct store_rd *r)
{
	const unsigned char *p;

	if (!store_rd_need(r, 4))
		return 0;
	p = r->p + r->off;
	r->off += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

uint64_t store_rd_be64(struct store_rd *r)
{
	uint64_t v;

	if (!store_rd_need(r, 8))
		return 0;
	v = store_get_be64(r->p + r->off);
	r->off += 8;
	return v;
}

char *store_rd_str(struct store_rd *r)
{
	uint32_t n = store_rd_be32(r);
	char *s;

	if (!store_rd_need(r, n))
		return xstrdup("");
	s = xmalloc((size_t)n + 1);
	memcpy(s, r->p + r->off, n);
	s[n] = '\0';
	r->off += n;
	return s;
}

void store_rd_strbuf(struct store_rd *r, char *buf, size_t size)
{
	uint32_t n = store_rd_be32(r);

	buf[0] = '\0';
	if (!store_rd_need(r, n))
		return;
	if (n >= size) {
		r->bad = 1;
		return;
	}
	memcpy(buf, r->p + r->off, n);
	buf[n] = '\0';
	r->off += n;
}

char *store_rd_key(struct store_rd *r)
{
	const unsigned char *start = r->p + r->off;
	const unsigned char *nul = memchr(start, '\0', r->len - r->off);
	size_t n = nul ? (size_t)(nul - start) : r->len - r->off;
	char *s = xmalloc(n + 1);

	memcpy(s, start, n);
	s[n] = '\0';
	r->off += n + (nul ? 1 : 0);
	return s;
}

int store_rd_version(struct store_rd *r)
{
	uint8_t v = store_rd_u8(r);

	if (r->bad || v != STORE_V1)
		return STORE_EFORMAT;
	return 0;
}
