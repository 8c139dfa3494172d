/*
 * cfg.c - reads the XML configuration file.
 *
 * Two passes.  The first walks the document with a table of the elements and
 * attributes we know, so that a mistake is reported as "FILE:LINE: what is
 * wrong and what was expected" rather than a schema engine's generic text.
 * The second validates the document against the RELAX NG schema compiled
 * from config/backchannel.rng, which stays the authoritative definition.
 * Values are only taken once both passes are clean.
 */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netdb.h>
#include <sys/socket.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>

#include "component/cfg.h"
#include "component/jid.h"
#include "component/log.h"
#include "component/xmalloc.h"

enum cfg_type {
	CFG_HOST,
	CFG_PORT,
	CFG_DOMAIN,
	CFG_SECRET,
	CFG_PATH,
	CFG_JIDS,
	CFG_UINT,
	CFG_SIZE,
	CFG_DURATION,
	CFG_BOOL,
	CFG_LEVEL,
	CFG_LISTEN,
	CFG_ADDRS, /* IP:port, appended to a list */
	CFG_PREFIX, /* the start of room names: [a-z0-9._-], 1 to 32 */
};

struct cfg_attr {
	const char *name;
	enum cfg_type type;
	bool required;
	size_t off; /* where the value goes in struct cfg */
};

struct cfg_elem {
	const char *name;
	bool required;
	bool repeated;
	const struct cfg_attr *attrs;
};

#define F(field) offsetof(struct cfg, field)

/* The other sites one site may list: directory sites and rooms instances
 * together (docs/SCALING.md). */
#define CFG_PEERS_MAX 15

static const struct cfg_attr server_attrs[] = {
	{"host", CFG_HOST, true, F(server_host)},
	{"port", CFG_PORT, false, F(server_port)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr service_attrs[] = {
	{"domain", CFG_DOMAIN, true, F(service_domain)},
	{"secret", CFG_SECRET, true, F(service_secret)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr rooms_attrs[] = {
	{"domain", CFG_DOMAIN, true, F(rooms_domain)},
	{"secret", CFG_SECRET, true, F(rooms_secret)},
	{"sharded", CFG_BOOL, false, F(rooms_sharded)},
	{"audio-prefix", CFG_PREFIX, false, F(rooms_audio_prefix)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr shard_attrs[] = {
	{"store", CFG_PATH, true, F(shard_store_path)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr store_attrs[] = {
	{"path", CFG_PATH, true, F(store_path)},
	{"checkpoint", CFG_DURATION, false, F(checkpoint_ms)},
	{"lazy-evidence", CFG_BOOL, false, F(store_lazy_evidence)},
	{"reserve-mb", CFG_UINT, false, F(store_reserve_mb)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr admin_attrs[] = {
	{"jid", CFG_JIDS, true, F(admins)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr moderator_attrs[] = {
	{"jid", CFG_JIDS, true, F(moderators)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr log_attrs[] = {
	{"level", CFG_LEVEL, false, F(log_level)},
	{"syslog", CFG_BOOL, false, F(log_syslog)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr limits_attrs[] = {
	{"max-stanza", CFG_SIZE, false, F(max_stanza_bytes)},
	{"rate", CFG_UINT, false, F(rate_per_minute)},
	{"burst", CFG_UINT, false, F(rate_burst)},
	{"block-items", CFG_UINT, false, F(block_items_max)},
	{"reports-per-day", CFG_UINT, false, F(reports_per_day)},
	{"forwarded-per-day", CFG_UINT, false, F(forwarded_per_day)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr requests_attrs[] = {
	{"held", CFG_UINT, false, F(requests_held_max)},
	{"per-day", CFG_UINT, false, F(requests_per_day)},
	{"incoming-per-day", CFG_UINT, false, F(requests_incoming_per_day)},
	{"cooldown", CFG_DURATION, false, F(requests_cooldown_ms)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr tokens_attrs[] = {
	{"ttl", CFG_DURATION, false, F(token_ttl_ms)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr evidence_attrs[] = {
	{"count", CFG_UINT, false, F(evidence_count)},
	{"age", CFG_DURATION, false, F(evidence_age_ms)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr reports_attrs[] = {
	{"threshold", CFG_UINT, false, F(report_threshold)},
	{"window", CFG_DURATION, false, F(report_window_ms)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr retraction_attrs[] = {
	{"window", CFG_DURATION, true, F(retraction_window_ms)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr reconnect_attrs[] = {
	{"min", CFG_DURATION, false, F(reconnect_min_ms)},
	{"max", CFG_DURATION, false, F(reconnect_max_ms)},
	{NULL, 0, false, 0},
};

static const struct cfg_attr metrics_attrs[] = {
	{"listen", CFG_LISTEN, true, F(metrics_listen)},
	{NULL, 0, false, 0},
};

/* <replication listen=... priority=... ack-timeout=.../> and one
 * <peer address=.../> per other site (store/repl.c). */
static const struct cfg_attr replication_attrs[] = {
	{"listen", CFG_LISTEN, true, F(repl_listen)},
	{"priority", CFG_UINT, false, F(repl_priority)},
	{"ack-timeout", CFG_DURATION, false, F(repl_ack_timeout_ms)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr peer_attrs[] = {
	{"address", CFG_ADDRS, true, F(repl_peers)},
	{NULL, 0, false, 0},
};
static const struct cfg_attr instance_attrs[] = {
	{"address", CFG_ADDRS, true, F(repl_instances)},
	{NULL, 0, false, 0},
};

static const struct cfg_elem cfg_elems[] = {
	{"server", true, false, server_attrs},
	{"service", true, false, service_attrs},
	{"rooms", true, false, rooms_attrs},
	{"store", true, false, store_attrs},
	{"admin", false, true, admin_attrs},
	{"moderator", false, true, moderator_attrs},
	{"log", false, false, log_attrs},
	{"limits", false, false, limits_attrs},
	{"requests", false, false, requests_attrs},
	{"tokens", false, false, tokens_attrs},
	{"evidence", false, false, evidence_attrs},
	{"reports", false, false, reports_attrs},
	{"retraction", false, false, retraction_attrs},
	{"reconnect", false, false, reconnect_attrs},
	{"metrics", false, false, metrics_attrs},
	{"replication", false, false, replication_attrs},
	{"peer", false, true, peer_attrs},
	{"instance", false, true, instance_attrs},
	{"shard", false, false, shard_attrs},
	{NULL, false, false, NULL},
};

/* Collects "FILE:LINE: message" lines into a caller's buffer. */
struct cfg_errors {
	const char *name;
	char *buf;
	size_t len;
	size_t used;
	int count;
};

static void cfg_error(struct cfg_errors *e, long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cfg_error(struct cfg_errors *e, long line, const char *fmt, ...)
{
	va_list ap;
	int n;

	e->count++;
	if (e->buf == NULL || e->used + 1 >= e->len)
		return;
	if (line > 0)
		n = snprintf(e->buf + e->used, e->len - e->used, "%s%s:%ld: ",
			     e->used ? "\n" : "", e->name, line);
	else
		n = snprintf(e->buf + e->used, e->len - e->used, "%s%s: ",
			     e->used ? "\n" : "", e->name);
	if (n < 0 || (size_t)n >= e->len - e->used) {
		/* No room for this line's start: none of it, so that every
		 * line there is names the file. */
		e->buf[e->used] = '\0';
		e->used = e->len - 1;
		return;
	}
	e->used += (size_t)n;
	va_start(ap, fmt);
	n = vsnprintf(e->buf + e->used, e->len - e->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= e->len - e->used)
		e->used = e->len - 1;
	else
		e->used += (size_t)n;
}

int cfg_parse_duration(const char *text, int64_t *ms)
{
	static const struct {
		const char *suffix;
		int64_t ms;
	} units[] = {
		{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000},
		{"d", 86400000}, {"", 1000},
	};
	char *end;
	long long v;
	size_t i;

	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || v < 0 || v > 999999999)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			*ms = v * units[i].ms;
			return 0;
		}
	}
	return -1;
}

static int cfg_parse_uint(const char *text, unsigned long max,
			  unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)text[0]))
		return -1;
	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A DNS-shaped domain: lower-case labels of letters, digits and inner
 * hyphens, separated by single dots. */
static bool cfg_domain_ok(const char *d)
{
	size_t label = 0, total = strlen(d);
	const char *p;

	if (total == 0 || total > 253)
		return false;
	for (p = d; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') || isdigit((unsigned char)*p) ||
			   *p == '-') {
			if (*p == '-' && label == 0)
				return false;
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 && p[-1] != '-';
}

static bool cfg_host_ok(const char *h)
{
	const char *p;

	if (*h == '\0' || strlen(h) > 253)
		return false;
	for (p = h; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-:[]", *p) == NULL)
			return false;
	return true;
}

static void cfg_jids_add(struct cfg_jids *l, const char *jid)
{
	l->v = xreallocarray(l->v, l->n + 2, sizeof(*l->v));
	l->v[l->n++] = xstrdup(jid);
	l->v[l->n] = NULL;
}

static void cfg_jids_free(struct cfg_jids *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool cfg_jids_has(const struct cfg_jids *l, const char *jid)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], jid) == 0)
			return true;
	return false;
}

/* Checks one attribute value and, when cfg is not NULL, stores it. */
static void cfg_take(struct cfg_errors *e, struct cfg *cfg, long line,
		     const char *elem, const struct cfg_attr *a,
		     const char *value)
{
	void *field = cfg != NULL ? (char *)cfg + a->off : NULL;
	char bare[JID_MAX];
	unsigned long u;
	int64_t ms;
	int level;

	switch (a->type) {
	case CFG_HOST:
		if (!cfg_host_ok(value)) {
			cfg_error(e, line,
				  "<%s %s=\"%s\">: expected a host name or IP "
				  "address",
				  elem, a->name, value);
			return;
		}
		goto string;
	case CFG_PORT:
		if (cfg_parse_uint(value, 65535, &u) < 0 || u == 0) {
			cfg_error(e, line,
				  "<%s %s=\"%s\">: bad port, expected a number "
				  "from 1 to 65535",
				  elem, a->name, value);
			return;
		}
		if (field)
			*(unsigned *)field = (unsigned)u;
		return;
	case CFG_DOMAIN:
		if (!cfg_domain_ok(value)) {
			cfg_error(e, line,
				  "<%s %s=\"%s\">: bad domain, expected "
				  "lower-case DNS labels such as "
				  "bc.example.org",
				  elem, a->name, value);
			return;
		}
		goto string;
	case CFG_SECRET:
		if (value[0] == '\0') {
			cfg_error(e, line, "<%s %s=\"\">: the secret is empty",
				  elem, a->name);
			return;
		}
		goto string;
	case CFG_PREFIX:
		if (value[0] == '\0' || strlen(value) > 32 ||
		    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
			    strlen(value)) {
			cfg_error(e, line,
				  "<%s %s=\"%s\">: expected the start of a room "
				  "name: 1 to 32 of a-z, 0-9, '.', '_', '-'",
				  elem, a->name, value);
			return;
		}
		goto string;
	case CFG_PATH:
		if (value[0] == '\0') {
			cfg_error(e, line, "<%s %s=\"\">: expected a directory",
				  elem, a->name);
			return;
		}
		goto string;
	case CFG_JIDS:
		if (jid_normalise_bare(value, bare, sizeof(bare)) < 0) {
			cfg_error(e, line,
				  "<%s %s=\"%s\">: expected a bare JID such as "
				  "user@example.org",
				  elem, a->name, value);
			return;
		}
		if (field)
			cfg_jids_add(field, bare);
		return;
	case CFG_UINT:
	case CFG_SIZE:
		if (cfg_parse_uint(value, 4294967295UL, &u) < 0) {
			cfg_error(e, line,
				  "<%s %s=\"%s\">: expected a whole number",
				  elem, a->name, value);
			return;
		}
		if (field && a->type == CFG_UINT)
			*(unsigned *)field = (unsigned)u;
		else if (field)
			*(size_t *)field = (size_t)u;
		return;
	case CFG_DURATION:
		if (cfg_parse_duration(value, &ms) < 0) {
			cfg_error(e, line,
				  "<%s %s=\"%s\">: expected a duration such "
				  "as 500ms, 30s, 15m, 24h or 7d",
				  elem, a->name, value);
			return;
		}
		if (field)
			*(int64_t *)field = ms;
		return;
	case CFG_BOOL:
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0 &&
		    strcmp(value, "1") != 0 && strcmp(value, "0") != 0) {
			cfg_error(e, line,
				  "<%s %s=\"%s\">: expected true or false",
				  elem, a->name, value);
			return;
		}
		if (field)
			*(bool *)field = value[0] == 't' || value[0] == '1';
		return;
	case CFG_LISTEN:
		if (cfg_parse_listen(value, NULL, NULL) < 0) {
			cfg_error(e, line,
				  "<%s %s=\"%s\">: expected an IP address and "
				  "port such as 127.0.0.1:9107 or [::1]:9107",
				  elem, a->name, value);
			return;
		}
		goto string;
	case CFG_ADDRS:
		if (cfg_parse_listen(value, NULL, NULL) < 0) {
			cfg_error(e, line,
				  "<%s %s=\"%s\">: expected an IP address and "
				  "port such as 127.0.0.1:7701",
				  elem, a->name, value);
			return;
		}
		if (field)
			cfg_jids_add(field, value);
		return;
	case CFG_LEVEL:
		level = log_level_parse(value);
		if (level < 0) {
			cfg_error(e, line,
				  "<%s %s=\"%s\">: expected error, warn, info "
				  "or debug",
				  elem, a->name, value);
			return;
		}
		if (field)
			*(int *)field = level;
		return;
	}
	return;
string:
	if (field) {
		free(*(char **)field);
		*(char **)field = xstrdup(value);
	}
}

static const struct cfg_elem *cfg_elem_find(const char *name)
{
	const struct cfg_elem *el;

	for (el = cfg_elems; el->name != NULL; el++)
		if (strcmp(el->name, name) == 0)
			return el;
	return NULL;
}

static void cfg_walk_elem(struct cfg_errors *e, struct cfg *cfg,
			  const struct cfg_elem *el, xmlNode *node)
{
	const struct cfg_attr *a;
	xmlAttr *attr;
	xmlNode *child;
	long line = xmlGetLineNo(node);

	for (attr = node->properties; attr != NULL; attr = attr->next) {
		for (a = el->attrs; a->name != NULL; a++)
			if (strcmp(a->name, (const char *)attr->name) == 0)
				break;
		if (a->name == NULL)
			cfg_error(e, line, "<%s>: unknown attribute %s", el->name,
				  (const char *)attr->name);
	}
	for (a = el->attrs; a->name != NULL; a++) {
		xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)a->name);

		if (v == NULL) {
			if (a->required)
				cfg_error(e, line,
					  "<%s>: missing required attribute %s",
					  el->name, a->name);
			continue;
		}
		cfg_take(e, cfg, line, el->name, a, (const char *)v);
		xmlFree(v);
	}
	for (child = node->children; child != NULL; child = child->next)
		if (child->type == XML_ELEMENT_NODE)
			cfg_error(e, xmlGetLineNo(child),
				  "<%s> takes no child elements, found <%s>",
				  el->name, (const char *)child->name);
}

/* First pass: known elements and attributes, with readable messages. */
static void cfg_walk(struct cfg_errors *e, struct cfg *cfg, xmlNode *root)
{
	long seen[sizeof(cfg_elems) / sizeof(cfg_elems[0])] = {0};
	const struct cfg_elem *el;
	xmlNode *node;

	if (root == NULL || strcmp((const char *)root->name, "backchannel")) {
		cfg_error(e, root ? xmlGetLineNo(root) : 0,
			  "the document element must be <backchannel>, found "
			  "<%s>",
			  root ? (const char *)root->name : "nothing");
		return;
	}
	if (root->ns != NULL)
		cfg_error(e, xmlGetLineNo(root),
			  "<backchannel> must not be in a namespace");
	for (node = root->children; node != NULL; node = node->next) {
		if (node->type == XML_TEXT_NODE && !xmlIsBlankNode(node)) {
			cfg_error(e, xmlGetLineNo(node),
				  "unexpected text inside <backchannel>");
			continue;
		}
		if (node->type != XML_ELEMENT_NODE)
			continue;
		el = cfg_elem_find((const char *)node->name);
		if (el == NULL) {
			cfg_error(e, xmlGetLineNo(node),
				  "unknown element <%s> (expected server, "
				  "service, rooms, store, admin, moderator, log, "
				  "limits, requests, tokens, evidence, "
				  "reports, retraction, reconnect, metrics, "
				  "replication or peer)",
				  (const char *)node->name);
			continue;
		}
		if (seen[el - cfg_elems] && !el->repeated)
			cfg_error(e, xmlGetLineNo(node),
				  "<%s> is given twice (first on line %ld)",
				  el->name, seen[el - cfg_elems]);
		else
			seen[el - cfg_elems] = xmlGetLineNo(node);
		cfg_walk_elem(e, cfg, el, node);
	}
	for (el = cfg_elems; el->name != NULL; el++)
		if (el->required && !seen[el - cfg_elems])
			cfg_error(e, xmlGetLineNo(root),
				  "<backchannel> needs a <%s> element", el->name);
}

static void cfg_xml_error(void *ctx, xmlErrorPtr err)
{
	struct cfg_errors *e = ctx;
	char msg[512];
	size_t n, i;

	snprintf(msg, sizeof(msg), "%s", err->message ? err->message : "?");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	/* One line per problem: libxml2 puts details (the bytes of bad
	 * UTF-8) on a line of their own. */
	for (i = 0; i < n; i++)
		if (msg[i] == '\n' || msg[i] == '\r')
			msg[i] = ' ';
	cfg_error(e, err->line, "%s", msg);
}

/* Second pass: the RELAX NG schema. */
static void cfg_validate(struct cfg_errors *e, xmlDoc *doc)
{
	xmlRelaxNGParserCtxtPtr pctx;
	xmlRelaxNGValidCtxtPtr vctx;
	xmlRelaxNGPtr schema;

	pctx = xmlRelaxNGNewMemParserCtxt(cfg_schema_rng,
					  (int)strlen(cfg_schema_rng));
	schema = xmlRelaxNGParse(pctx);
	xmlRelaxNGFreeParserCtxt(pctx);
	if (schema == NULL) {
		cfg_error(e, 0, "internal error: the built-in schema is broken");
		return;
	}
	vctx = xmlRelaxNGNewValidCtxt(schema);
	xmlRelaxNGSetValidStructuredErrors(vctx, cfg_xml_error, e);
	if (xmlRelaxNGValidateDoc(vctx, doc) != 0 && e->count == 0)
		cfg_error(e, 0, "the file does not match the schema");
	xmlRelaxNGFreeValidCtxt(vctx);
	xmlRelaxNGFree(schema);
}

static void cfg_defaults(struct cfg *cfg)
{
	cfg->server_port = 5347;
	cfg->log_level = LOG_LEVEL_INFO;
	cfg->max_stanza_bytes = 65536;
	cfg->rate_per_minute = 60;
	cfg->rate_burst = 20;
	cfg->requests_held_max = 20;
	cfg->requests_per_day = 10;
	cfg->requests_incoming_per_day = 50;
	cfg->block_items_max = 50;
	cfg->reports_per_day = 10;
	cfg->forwarded_per_day = 20;
	cfg->requests_cooldown_ms = 7LL * 86400000;
	cfg->token_ttl_ms = 86400000;
	cfg->evidence_count = 20;
	cfg->evidence_age_ms = 30LL * 86400000;
	cfg->report_threshold = 3;
	cfg->report_window_ms = 86400000;
	cfg->retraction_window_ms = 0;
	cfg->reconnect_min_ms = 1000;
	cfg->reconnect_max_ms = 60000;
	cfg->checkpoint_ms = 60000;
	cfg->store_reserve_mb = 64;
	cfg->repl_priority = 100;
	cfg->repl_ack_timeout_ms = 2000;
}

/* The line of the first child <name> of root, or 0 when there is none
 * (a setting left at its default). */
static long cfg_line_of(xmlNode *root, const char *name)
{
	xmlNode *n;

	for (n = root->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return xmlGetLineNo(n);
	return 0;
}

/* What a schema cannot say. */
static void cfg_cross_check(struct cfg_errors *e, const struct cfg *cfg,
			    xmlNode *root)
{
	if (strcmp(cfg->service_domain, cfg->rooms_domain) == 0)
		cfg_error(e, cfg_line_of(root, "rooms"),
			  "<service> and <rooms> must have different domains "
			  "(both are %s; <service> is on line %ld)",
			  cfg->service_domain, cfg_line_of(root, "service"));
	if (cfg->reconnect_min_ms == 0 ||
	    cfg->reconnect_min_ms > cfg->reconnect_max_ms)
		cfg_error(e, cfg_line_of(root, "reconnect"),
			  "<reconnect>: min must be above 0 and at most max");
	if (cfg->max_stanza_bytes < 1024)
		cfg_error(e, cfg_line_of(root, "limits"),
			  "<limits max-stanza>: must be at least 1024");
	if (cfg->checkpoint_ms < 1000)
		cfg_error(e, cfg_line_of(root, "store"),
			  "<store checkpoint>: must be at least 1s");
	if (cfg->repl_listen == NULL && cfg->repl_peers.n > 0)
		cfg_error(e, cfg_line_of(root, "peer"),
			  "<peer> needs <replication listen=...>");
	if (cfg->repl_listen == NULL && cfg->repl_instances.n > 0)
		cfg_error(e, cfg_line_of(root, "instance"),
			  "<instance> needs <replication listen=...>");
	if (cfg->repl_listen != NULL &&
	    (cfg->repl_peers.n + cfg->repl_instances.n < 1 ||
	     cfg->repl_peers.n + cfg->repl_instances.n > CFG_PEERS_MAX))
		cfg_error(e, cfg_line_of(root, "replication"),
			  "<replication>: a group has 2 to %d sites: give 1 to "
			  "%d <peer> and <instance> elements (%zu and %zu "
			  "given)",
			  CFG_PEERS_MAX + 1, CFG_PEERS_MAX, cfg->repl_peers.n,
			  cfg->repl_instances.n);
	if (cfg->shard_store_path != NULL && cfg->repl_listen != NULL &&
	    cfg->repl_peers.n == 0)
		cfg_error(e, cfg_line_of(root, "shard"),
			  "<shard>: list the directory sites of the group, "
			  "each as <peer address=...>");
	if (cfg->rooms_sharded && cfg->repl_listen != NULL &&
	    cfg->repl_instances.n == 0)
		cfg_error(e, cfg_line_of(root, "rooms"),
			  "<rooms sharded=\"true\">: list the rooms instances "
			  "that serve M, each as <instance address=...>");
	if (cfg->shard_store_path != NULL && cfg->repl_listen == NULL)
		cfg_error(e, cfg_line_of(root, "shard"),
			  "<shard>: a rooms instance reads the directory from "
			  "a replication group: it needs <replication> and "
			  "<peer>");
	if (cfg->shard_store_path != NULL && cfg->repl_listen != NULL &&
	    cfg->repl_priority != 0)
		cfg_error(e, cfg_line_of(root, "replication"),
			  "<replication priority>: a rooms instance (<shard>) "
			  "is never elected: give priority=\"0\"");
	if (cfg->rooms_sharded && cfg->repl_listen == NULL)
		cfg_error(e, cfg_line_of(root, "rooms"),
			  "<rooms sharded=\"true\">: the rooms instances that "
			  "serve M are sites of this daemon's replication "
			  "group: it needs <replication>");
	if (cfg->repl_instances.n > 0 && !cfg->rooms_sharded &&
	    cfg->shard_store_path == NULL)
		cfg_error(e, cfg_line_of(root, "instance"),
			  "<instance>: a group with rooms instances leaves M "
			  "to them: give this directory site <rooms "
			  "sharded=\"true\">");
	if (cfg->shard_store_path != NULL && cfg->rooms_sharded)
		cfg_error(e, cfg_line_of(root, "shard"),
			  "<shard> serves the rooms: <rooms sharded=\"true\"> "
			  "says this daemon does not");
	if (cfg->shard_store_path != NULL && cfg->store_path != NULL &&
	    strcmp(cfg->shard_store_path, cfg->store_path) == 0)
		cfg_error(e, cfg_line_of(root, "shard"),
			  "<shard store>: the rooms need their own store, not "
			  "the directory's (<store path>)");
	if (cfg->repl_listen != NULL && cfg->repl_ack_timeout_ms < 10)
		cfg_error(e, cfg_line_of(root, "replication"),
			  "<replication ack-timeout>: must be at least 10ms");
}

static int cfg_from_doc(const char *name, xmlDoc *doc, struct cfg **out,
			struct cfg_errors *e)
{
	struct cfg *cfg;

	cfg_walk(e, NULL, xmlDocGetRootElement(doc));
	if (e->count > 0)
		return -1;
	cfg_validate(e, doc);
	if (e->count > 0)
		return -1;
	cfg = xcalloc(1, sizeof(*cfg));
	cfg_defaults(cfg);
	cfg->file = xstrdup(name);
	cfg_walk(e, cfg, xmlDocGetRootElement(doc));
	cfg_cross_check(e, cfg, xmlDocGetRootElement(doc));
	if (e->count > 0) {
		cfg_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

static int cfg_parse(const char *name, const char *xml, size_t len,
		     const char *path, struct cfg **out, char *err,
		     size_t errlen)
{
	struct cfg_errors e = {name, err, errlen, 0, 0};
	xmlParserCtxtPtr pctx;
	xmlDoc *doc;
	int opts = XML_PARSE_NONET | XML_PARSE_NOCDATA;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	*out = NULL;
	pctx = xmlNewParserCtxt();
	if (pctx == NULL)
		xalloc_fail();
	xmlSetStructuredErrorFunc(&e, cfg_xml_error);
	if (path != NULL)
		doc = xmlCtxtReadFile(pctx, path, NULL, opts);
	else
		doc = xmlCtxtReadMemory(pctx, xml, (int)len, name, NULL, opts);
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlFreeParserCtxt(pctx);
	if (doc == NULL) {
		if (e.count == 0)
			cfg_error(&e, 0, "cannot read the file: %s",
				  path && errno ? strerror(errno)
						: "not well-formed XML");
		return -1;
	}
	if (doc->intSubset != NULL) {
		cfg_error(&e, 0, "a document type declaration is not allowed");
		xmlFreeDoc(doc);
		return -1;
	}
	rc = cfg_from_doc(name, doc, out, &e);
	xmlFreeDoc(doc);
	return rc;
}

int cfg_load(const char *path, struct cfg **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		*out = NULL;
		return -1;
	}
	fclose(f);
	errno = 0;
	return cfg_parse(path, NULL, 0, path, out, err, errlen);
}

int cfg_load_buffer(const char *name, const char *xml, size_t len,
		    struct cfg **out, char *err, size_t errlen)
{
	return cfg_parse(name, xml, len, NULL, out, err, errlen);
}

void cfg_free(struct cfg *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->file);
	free(cfg->server_host);
	free(cfg->service_domain);
	free(cfg->service_secret);
	free(cfg->rooms_domain);
	free(cfg->rooms_secret);
	free(cfg->store_path);
	free(cfg->shard_store_path);
	free(cfg->rooms_audio_prefix);
	free(cfg->metrics_listen);
	free(cfg->repl_listen);
	cfg_jids_free(&cfg->repl_peers);
	cfg_jids_free(&cfg->repl_instances);
	cfg_jids_free(&cfg->admins);
	cfg_jids_free(&cfg->moderators);
	free(cfg);
}

bool cfg_is_admin(const struct cfg *cfg, const char *bare)
{
	return cfg_jids_has(&cfg->admins, bare);
}

bool cfg_is_moderator(const struct cfg *cfg, const char *bare)
{
	return cfg_jids_has(&cfg->moderators, bare);
}

int cfg_parse_listen(const char *text, struct sockaddr_storage *addr,
		     socklen_t *addrlen)
{
	struct addrinfo hints, *res = NULL;
	char host[64];
	const char *colon, *start = text, *end;
	unsigned long port;
	int rc = -1;

	if (text[0] == '[') {
		start = text + 1;
		end = strchr(start, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		colon = end + 1;
	} else {
		end = colon = strrchr(text, ':');
		if (colon == NULL || memchr(text, ':', (size_t)(colon - text)))
			return -1; /* IPv6 needs its brackets */
	}
	if (end == start || (size_t)(end - start) >= sizeof(host) ||
	    cfg_parse_uint(colon + 1, 65535, &port) < 0 || port == 0)
		return -1;
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = text[0] == '[' ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL)
		goto out;
	if (addr != NULL) {
		memcpy(addr, res->ai_addr, res->ai_addrlen);
		*addrlen = res->ai_addrlen;
	}
	rc = 0;
out:
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}
