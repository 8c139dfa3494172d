/*
 * jid.c - JID parsing, handles and XEP-0106 (JID Escaping, version 1.0).
 *
 * What it leaves out: full PRECIS/stringprep.  Non-ASCII parts are accepted
 * byte for byte; only ASCII is case-folded.
 */
#include <config.h>

#include <string.h>

#include "component/jid.h"

/* RFC 7622 §3.3.1: characters a localpart may not contain. */
static const char jid_node_forbidden[] = "\"&'/:<>@";

static void jid_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int jid_copy_part(char *dst, const char *src, size_t n)
{
	if (n > JID_PART_MAX)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int jid_parse(const char *s, struct jid *out)
{
	const char *slash, *at, *dom;
	size_t i;

	out->node[0] = out->domain[0] = out->resource[0] = '\0';
	if (s == NULL || *s == '\0')
		return -1;
	slash = strchr(s, '/');
	at = memchr(s, '@', slash ? (size_t)(slash - s) : strlen(s));
	dom = at ? at + 1 : s;
	if (at != NULL) {
		if (at == s || jid_copy_part(out->node, s, (size_t)(at - s)) < 0)
			return -1;
		for (i = 0; out->node[i] != '\0'; i++)
			if ((unsigned char)out->node[i] <= ' ' ||
			    strchr(jid_node_forbidden, out->node[i]))
				return -1;
	}
	if (jid_copy_part(out->domain, dom,
			  slash ? (size_t)(slash - dom) : strlen(dom)) < 0)
		return -1;
	if (out->domain[0] == '\0')
		return -1;
	for (i = 0; out->domain[i] != '\0'; i++)
		if ((unsigned char)out->domain[i] <= ' ' ||
		    strchr("@/\"&'<>\\", out->domain[i]))
			return -1;
	if (out->domain[i - 1] == '.')
		out->domain[i - 1] = '\0'; /* RFC 7622 §3.2: trailing dot */
	if (out->domain[0] == '\0' || out->domain[0] == '.' ||
	    strstr(out->domain, "..") != NULL ||
	    out->domain[strlen(out->domain) - 1] == '.')
		return -1; /* an empty label: ".", ".x", "x..y", "x.." */
	if (slash != NULL) {
		if (slash[1] == '\0' ||
		    jid_copy_part(out->resource, slash + 1, strlen(slash + 1)) < 0)
			return -1;
	}
	jid_lower(out->node);
	jid_lower(out->domain);
	return 0;
}

int jid_format_bare(const struct jid *j, char *out, size_t len)
{
	size_t n = strlen(j->node), d = strlen(j->domain);
	size_t need = (n ? n + 1 : 0) + d + 1;

	if (need > len)
		return -1;
	if (n) {
		memcpy(out, j->node, n);
		out[n++] = '@';
	}
	memcpy(out + n, j->domain, d + 1);
	return 0;
}

int jid_to_bare(const char *in, char *out, size_t len)
{
	struct jid j;

	if (jid_parse(in, &j) < 0)
		return -1;
	return jid_format_bare(&j, out, len);
}

int jid_normalise_bare(const char *in, char *out, size_t len)
{
	struct jid j;

	if (jid_parse(in, &j) < 0 || j.resource[0] != '\0')
		return -1;
	return jid_format_bare(&j, out, len);
}

/* XEP-0106 §4.2: the escapable characters and their codes. */
static const char jid_esc_chars[] = " \"&'/:<>@\\";

static int jid_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The escaped character at s ("\20" ...), or 0 when s is no escape. */
static char jid_escape_at(const char *s)
{
	int hi, lo;
	char c;

	if (s[0] != '\\' || (hi = jid_hex(s[1])) < 0 || (lo = jid_hex(s[2])) < 0)
		return 0;
	c = (char)(hi * 16 + lo);
	return c != '\0' && strchr(jid_esc_chars, c) ? c : 0;
}

int jid_escape_node(const char *bare, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	const char *p;

	for (p = bare; *p != '\0'; p++) {
		/* A backslash is escaped only where it would otherwise
		 * read as an escape sequence (§4.3). */
		bool esc = *p != '\\' ? strchr(jid_esc_chars, *p) != NULL
				      : jid_escape_at(p) != 0;

		if (o + (esc ? 3 : 1) >= len)
			return -1;
		if (esc) {
			out[o++] = '\\';
			out[o++] = hex[(unsigned char)*p >> 4];
			out[o++] = hex[(unsigned char)*p & 15];
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return o > JID_PART_MAX || o == 0 ? -1 : 0;
}

int jid_unescape_node(const char *node, char *out, size_t len)
{
	size_t o = 0;
	const char *p;
	char c;

	for (p = node; *p != '\0'; p++) {
		if (o + 1 >= len)
			return -1;
		if ((c = jid_escape_at(p)) != 0) {
			out[o++] = c;
			p += 2;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return 0;
}

bool handle_is_valid(const char *node)
{
	size_t i;

	for (i = 0; node[i] != '\0'; i++) {
		char c = node[i];

		if (i >= HANDLE_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return i > 0;
}

int handle_normalise(const char *in, char *out)
{
	size_t n = strlen(in);

	if (n == 0 || n > HANDLE_MAX)
		return -1;
	memcpy(out, in, n + 1);
	jid_lower(out);
	return handle_is_valid(out) ? 0 : -1;
}
