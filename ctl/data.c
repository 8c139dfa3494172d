/*
 * data.c - backchannelctl dump, load and import: the store as one XML
 * document, validated against ctl/backchannel-data.rng (compiled in), the
 * format of docs/DATA-FORMAT.md.
 *
 * dump writes everything in a fixed order from one batch (one
 * transaction, so the dump is consistent); load restores a dump into an
 * empty store, so that dump, load, dump gives the same bytes; import adds
 * identities (with links, follows and subscriptions) and rooms (with
 * affiliations) to a store, refusing any that already exist.
 *
 * load and import are all or nothing, and their memory does not grow with
 * the file: the file is read as a stream (xmlTextReader), one top-level
 * element in memory at a time, three times: a check (the schema, element
 * by element, and every reference: duplicates, follow targets, what the
 * store has already, through sets of 64-bit keyed hashes), then the
 * identities, then what refers to them, all in one bulk transaction of
 * the store (store_bulk_begin()) that is committed only when everything
 * went in.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>

#include "component/clock.h"
#include "component/strmap.h"
#include "component/xmalloc.h"
#include "ctl/ctl.h"
#include "ctl/data.h"
#include "ctl/data-rng.h"
#include "store/store.h"

static const char *const data_who[] = {"follows", "everyone", "nobody-new"};
static const char *const data_affil[] = {"none",  "outcast", "member",
					 "speaker", "admin", "host", "owner"};
static const struct {
	unsigned flag;
	const char *name;
} data_flags[] = {
	{STORE_REL_ACCEPTED, "accepted"},
	{STORE_REL_DECLINED, "declined"},
	{STORE_REL_WROTE_FIRST, "wrote-first"},
	{STORE_REL_BLOCKED, "blocked"},
};

/* Writing. */

struct data_w {
	xmlTextWriterPtr w;
	int bad;
};

static void data_start(struct data_w *w, const char *name)
{
	if (xmlTextWriterStartElement(w->w, BAD_CAST name) < 0)
		w->bad = 1;
}

static void data_end(struct data_w *w)
{
	if (xmlTextWriterEndElement(w->w) < 0)
		w->bad = 1;
}

static void data_attr(struct data_w *w, const char *name, const char *v)
{
	if (xmlTextWriterWriteAttribute(w->w, BAD_CAST name,
					BAD_CAST(v ? v : "")) < 0)
		w->bad = 1;
}

static void data_time(struct data_w *w, const char *name, int64_t ms)
{
	char buf[40];

	data_attr(w, name, clock_format_xep82(ms, buf, sizeof(buf)));
}

static void data_text(struct data_w *w, const char *s)
{
	if (xmlTextWriterWriteString(w->w, BAD_CAST(s ? s : "")) < 0)
		w->bad = 1;
}

static void data_text_elem(struct data_w *w, const char *name, const char *s)
{
	data_start(w, name);
	data_text(w, s);
	data_end(w);
}

/* Identities are walked a page at a time: a dump's memory does not grow
 * with their number. */
#define DATA_PAGE 1000

static int data_dump_identity(struct store *st, struct data_w *w,
			      const struct store_identity *id)
{
	size_t j;
	char **v;
	int rc;

	data_start(w, "identity");
	data_attr(w, "handle", id->handle);
	if (id->name[0] != '\0')
		data_attr(w, "name", id->name);
	if (id->bot)
		data_attr(w, "bot", "true");
	if (id->who != STORE_WHO_FOLLOWS && (unsigned)id->who < 3)
		data_attr(w, "setting", data_who[id->who]);
	data_time(w, "created", id->created_ms);
	if ((rc = store_link_list(st, id->handle, &v)) == 0) {
		for (j = 0; v[j] != NULL; j++) {
			data_start(w, "link");
			data_attr(w, "jid", v[j]);
			data_end(w);
		}
		store_strv_free(v);
	}
	if (rc == 0 && (rc = store_following_list(st, id->handle, &v)) == 0) {
		for (j = 0; v[j] != NULL; j++) {
			data_start(w, "follow");
			data_attr(w, "handle", v[j]);
			data_end(w);
		}
		store_strv_free(v);
	}
	if (rc == 0 && (rc = store_sub_list(st, id->handle, &v)) == 0) {
		for (j = 0; v[j] != NULL; j++) {
			data_start(w, "subscription");
			data_attr(w, "jid", v[j]);
			data_end(w);
		}
		store_strv_free(v);
	}
	data_end(w);
	return rc;
}

/* Calls fn for every identity, a page at a time. */
static int data_each_identity(struct store *st, struct data_w *w,
			      int (*fn)(struct store *st, struct data_w *w,
					const struct store_identity *id))
{
	char after[STORE_HANDLE_SIZE] = "";
	struct store_identity *ids;
	size_t n, i;
	int rc;

	do {
		rc = store_identity_page(st, after, DATA_PAGE, &ids, &n);
		for (i = 0; rc == 0 && i < n; i++)
			rc = fn(st, w, &ids[i]);
		if (n > 0)
			snprintf(after, sizeof(after), "%s",
				 ids[n - 1].handle);
		free(ids);
	} while (rc == 0 && n == DATA_PAGE);
	return rc;
}

static int data_dump_identities(struct store *st, struct data_w *w)
{
	return data_each_identity(st, w, data_dump_identity);
}

static int data_dump_tokens(struct store *st, struct data_w *w)
{
	struct store_token *t;
	size_t n, i;
	int rc;

	rc = store_token_list(st, &t, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		data_start(w, "token");
		data_attr(w, "token", t[i].token);
		data_attr(w, "handle", t[i].handle);
		data_time(w, "created", t[i].created_ms);
		data_time(w, "expires", t[i].expires_ms);
		if (t[i].used)
			data_attr(w, "used-by", t[i].used_by);
		data_end(w);
	}
	store_token_list_free(t, n);
	return rc;
}

static int data_dump_relations(struct store *st, struct data_w *w)
{
	struct store_relation_entry *r;
	size_t n, i, f;
	int rc;

	rc = store_relation_list_all(st, &r, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		char flags[64] = "";

		for (f = 0; f < sizeof(data_flags) / sizeof(data_flags[0]);
		     f++) {
			if (!(r[i].rel.flags & data_flags[f].flag))
				continue;
			if (flags[0] != '\0')
				strcat(flags, " ");
			strcat(flags, data_flags[f].name);
		}
		data_start(w, "relationship");
		data_attr(w, "owner", r[i].owner);
		data_attr(w, "peer", r[i].peer);
		data_attr(w, "flags", flags);
		if (r[i].rel.flags & STORE_REL_DECLINED)
			data_time(w, "declined-until",
				  r[i].rel.declined_until_ms);
		data_time(w, "updated", r[i].rel.updated_ms);
		data_end(w);
	}
	store_relation_list_free(r, n);
	return rc;
}

/* Requests are kept per recipient identity. */
static int data_dump_requests_of(struct store *st, struct data_w *w,
				 const struct store_identity *id)
{
	struct store_request *q;
	size_t nq, j, k;
	int rc;

	rc = store_request_list(st, id->handle, &q, &nq);
	for (j = 0; rc == 0 && j < nq; j++) {
		struct store_held *h;
		size_t nh;

		rc = store_held_list(st, id->handle, q[j].sender, &h, &nh);
		if (rc != 0)
			break;
		data_start(w, "request");
		data_attr(w, "recipient", id->handle);
		data_attr(w, "sender", q[j].sender);
		data_time(w, "created", q[j].created_ms);
		data_time(w, "updated", q[j].updated_ms);
		for (k = 0; k < nh; k++) {
			data_start(w, "held");
			data_time(w, "received", h[k].received_ms);
			data_text(w, h[k].stanza);
			data_end(w);
		}
		data_end(w);
		store_held_list_free(h, nh);
	}
	store_request_list_free(q, nq);
	return rc;
}

static int data_dump_requests(struct store *st, struct data_w *w)
{
	return data_each_identity(st, w, data_dump_requests_of);
}

/* A room's configuration and the occupants to restore. */
static int data_dump_room_state(struct store *st, struct data_w *w,
				const char *room)
{
	struct store_room_config c;
	struct store_occupant *o = NULL;
	size_t n = 0, i;
	char num[32];
	int rc;

	rc = store_room_config_get(st, room, &c);
	if (rc == 0) {
		data_start(w, "config");
		snprintf(num, sizeof(num), "%u", (unsigned)c.flags);
		data_attr(w, "flags", num);
		snprintf(num, sizeof(num), "%u", (unsigned)c.max_occupants);
		data_attr(w, "max-occupants", num);
		snprintf(num, sizeof(num), "%u", (unsigned)c.history_max);
		data_attr(w, "history", num);
		snprintf(num, sizeof(num), "%u", (unsigned)c.broadcast);
		data_attr(w, "broadcast", num);
		snprintf(num, sizeof(num), "%u", (unsigned)c.allow_pm);
		data_attr(w, "pm", num);
		if (c.description != NULL && c.description[0] != '\0')
			data_attr(w, "description", c.description);
		if (c.subject_by != NULL && c.subject_by[0] != '\0')
			data_attr(w, "subject-by", c.subject_by);
		if (c.subject_ms != 0)
			data_time(w, "subject-time", c.subject_ms);
		data_end(w);
		store_room_config_clear(&c);
	} else if (rc != STORE_NOTFOUND) {
		return rc;
	}
	rc = store_occupant_list(st, room, &o, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		data_start(w, "occupant");
		data_attr(w, "jid", o[i].jid);
		data_attr(w, "nick", o[i].nick);
		data_attr(w, "who", o[i].who);
		snprintf(num, sizeof(num), "%u", (unsigned)o[i].role);
		data_attr(w, "role", num);
		data_time(w, "joined", o[i].joined_ms);
		data_end(w);
	}
	store_occupant_list_free(o, n);
	return rc;
}

/* The occupant-id secret, so that occupant ids survive a dump and load. */
static int data_dump_room_secret(struct store *st, struct data_w *w)
{
	unsigned char s[STORE_ROOM_SECRET_SIZE];
	char hex[2 * STORE_ROOM_SECRET_SIZE + 1];
	size_t i;
	int rc = store_room_secret(st, s);

	if (rc != 0)
		return rc;
	for (i = 0; i < sizeof(s); i++)
		snprintf(hex + 2 * i, 3, "%02x", s[i]);
	data_start(w, "room-secret");
	data_text(w, hex);
	data_end(w);
	return 0;
}

static int data_dump_rooms(struct store *st, struct data_w *w)
{
	struct store_room *rooms;
	size_t n, i, j;
	int rc;

	rc = store_room_list(st, &rooms, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		const struct store_room *r = &rooms[i];
		struct store_affiliation *af;
		struct store_archive_msg *m;
		struct store_archive_query q;
		size_t naf, nm;
		bool complete;

		data_start(w, "room");
		data_attr(w, "name", r->name);
		if (r->title != NULL && r->title[0] != '\0')
			data_attr(w, "title", r->title);
		if (r->subject != NULL && r->subject[0] != '\0')
			data_attr(w, "subject", r->subject);
		data_attr(w, "kind",
			  r->kind == STORE_ROOM_AUDIO ? "audio" : "group");
		data_attr(w, "live", r->live ? "true" : "false");
		data_time(w, "created", r->created_ms);
		rc = store_affil_list(st, r->name, &af, &naf);
		for (j = 0; rc == 0 && j < naf; j++) {
			if (af[j].affil <= STORE_AFFIL_NONE ||
			    af[j].affil > STORE_AFFIL_OWNER)
				continue;
			data_start(w, "affiliation");
			data_attr(w, "who", af[j].who);
			data_attr(w, "affiliation", data_affil[af[j].affil]);
			data_end(w);
		}
		store_affil_list_free(af, naf);
		if (rc == 0)
			rc = data_dump_room_state(st, w, r->name);
		memset(&q, 0, sizeof(q));
		q.room = r->name;
		if (rc == 0)
			rc = store_archive_query(st, &q, &m, &nm, &complete);
		for (j = 0; rc == 0 && j < nm; j++) {
			data_start(w, "message");
			data_attr(w, "id", m[j].stanza_id);
			data_time(w, "time", m[j].ms);
			if (m[j].nick != NULL && m[j].nick[0] != '\0')
				data_attr(w, "nick", m[j].nick);
			if (m[j].from != NULL && m[j].from[0] != '\0')
				data_attr(w, "from", m[j].from);
			data_text(w, m[j].stanza);
			data_end(w);
		}
		if (rc == 0)
			store_archive_list_free(m, nm);
		data_end(w);
	}
	store_room_list_free(rooms, n);
	return rc;
}

static int data_dump_evidence(struct store *st, struct data_w *w)
{
	struct store_evidence *e;
	size_t n, i;
	int rc;

	rc = store_evidence_list_all(st, &e, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		data_start(w, "evidence");
		data_attr(w, "sender", e[i].sender);
		data_attr(w, "recipient", e[i].recipient);
		data_time(w, "time", e[i].ms);
		data_text(w, e[i].text);
		data_end(w);
	}
	store_evidence_list_free(e, n);
	return rc;
}

/* A report's outcome, as the store numbers them. */
static const char *const data_outcomes[] = {
	"none", "dismiss", "warn", "suspend", "remove",
};

/* Suspensions and repeat-offender restrictions (docs/DATA-FORMAT.md). */
static int data_dump_sanctions(struct store *st, struct data_w *w)
{
	struct store_sanction *v;
	size_t n, i;
	int rc;

	rc = store_sanction_list(st, &v, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		data_start(w, "sanction");
		data_attr(w, "address", v[i].node);
		if (v[i].until_ms != 0)
			data_time(w, "until", v[i].until_ms);
		if (v[i].restricted)
			data_time(w, "restricted", v[i].restricted_ms);
		if (v[i].note != NULL && v[i].note[0] != '\0')
			data_text_elem(w, "note", v[i].note);
		data_end(w);
	}
	store_sanction_list_free(v, n);
	return rc;
}

static int data_dump_reports(struct store *st, struct data_w *w)
{
	struct store_report *r;
	size_t n, i, j;
	char id[24];
	int rc;

	rc = store_report_list(st, false, &r, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		snprintf(id, sizeof(id), "%" PRIu64, r[i].id);
		data_start(w, "report");
		data_attr(w, "id", id);
		data_attr(w, "reporter", r[i].reporter);
		data_attr(w, "reported", r[i].reported);
		if (r[i].reason != NULL && r[i].reason[0] != '\0')
			data_attr(w, "reason", r[i].reason);
		data_attr(w, "state", r[i].state == STORE_REPORT_RESOLVED
					      ? "resolved"
					      : "open");
		data_time(w, "created", r[i].created_ms);
		if (r[i].resolved_ms != 0)
			data_time(w, "resolved", r[i].resolved_ms);
		if (r[i].outcome > STORE_OUTCOME_NONE &&
		    r[i].outcome <= STORE_OUTCOME_MAX)
			data_attr(w, "outcome", data_outcomes[r[i].outcome]);
		if (r[i].resolved_by != NULL && r[i].resolved_by[0] != '\0')
			data_attr(w, "resolved-by", r[i].resolved_by);
		if (r[i].until_ms != 0)
			data_time(w, "until", r[i].until_ms);
		if (r[i].text != NULL && r[i].text[0] != '\0')
			data_text_elem(w, "text", r[i].text);
		if (r[i].note != NULL && r[i].note[0] != '\0')
			data_text_elem(w, "note", r[i].note);
		for (j = 0; r[i].evidence && r[i].evidence[j]; j++)
			data_text_elem(w, "evidence", r[i].evidence[j]);
		data_end(w);
	}
	store_report_list_free(r, n);
	return rc;
}

/* libxml2 would print its own I/O errors: ours is the one line. */
static void data_quiet(void *ctx, xmlErrorPtr e)
{
}

int data_dump(struct store *st, const char *file, FILE *err)
{
	struct data_w w = {NULL, 0};
	bool bulk;
	int rc, brc;

	xmlSetStructuredErrorFunc(NULL, data_quiet);
	w.w = xmlNewTextWriterFilename(file, 0);
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (w.w == NULL) {
		fprintf(err, "backchannelctl: cannot write %s\n", file);
		return CTL_FAIL;
	}
	xmlTextWriterSetIndent(w.w, 1);
	xmlTextWriterSetIndentString(w.w, BAD_CAST "  ");
	if (xmlTextWriterStartDocument(w.w, "1.0", "UTF-8", NULL) < 0)
		w.bad = 1;
	data_start(&w, "backchannel-data");
	data_attr(&w, "version", "1");
	/* One transaction: every list sees the same state (a bulk run, so
	 * that nothing is kept in a batch's read cache; or the batch a
	 * caller has open).  It commits: the occupant-id secret is made on
	 * first use, and the dump has it. */
	bulk = !store_batch_is_open(st);
	rc = bulk ? store_bulk_begin(st) : 0;
	if (rc == 0 && (rc = data_dump_identities(st, &w)) == 0 &&
	    (rc = data_dump_tokens(st, &w)) == 0 &&
	    (rc = data_dump_relations(st, &w)) == 0 &&
	    (rc = data_dump_requests(st, &w)) == 0 &&
	    (rc = data_dump_room_secret(st, &w)) == 0 &&
	    (rc = data_dump_rooms(st, &w)) == 0 &&
	    (rc = data_dump_evidence(st, &w)) == 0 &&
	    (rc = data_dump_reports(st, &w)) == 0)
		rc = data_dump_sanctions(st, &w);
	brc = bulk ? store_bulk_end(st, rc == 0) : 0;
	if (xmlTextWriterEndDocument(w.w) < 0)
		w.bad = 1;
	xmlSetStructuredErrorFunc(NULL, data_quiet);
	xmlFreeTextWriter(w.w); /* flushes and closes */
	xmlSetStructuredErrorFunc(NULL, NULL);
	if (rc != 0 || brc != 0) {
		fprintf(err, "backchannelctl: dump: store failure\n");
		return CTL_FAIL;
	}
	if (w.bad) {
		fprintf(err, "backchannelctl: cannot write %s\n", file);
		return CTL_FAIL;
	}
	return CTL_OK;
}

/* Reading. */

/* A line number of the element being read, kept beside its copy (an
 * element's own field stops at 65535). */
struct data_line {
	const xmlNode *node;
	long line;
};

struct data_r {
	const char *file;
	/* The file, opened once: every pass reads the same file, and one
	 * that changes between the check and the writing is refused. */
	int fd;
	struct stat seen;
	FILE *err;
	int errors;
	xmlDoc *doc; /* while it is validated */
	/* The stream (data_open()): the document is only ever its root and
	 * the one top-level element being read (cur), a copy of the
	 * reader's. */
	xmlTextReaderPtr rd;
	xmlRelaxNGPtr schema;
	xmlRelaxNGValidCtxtPtr vctx; /* NULL: no validation */
	xmlDoc *wrap;
	xmlNode *cur;
	struct data_line *lines;
	size_t nlines, caplines;
};

static long data_line(const struct data_r *r, const xmlNode *node)
{
	size_t i;

	if (node == NULL)
		return 0;
	for (i = 0; i < r->nlines; i++)
		if (r->lines[i].node == node)
			return r->lines[i].line;
	return xmlGetLineNo(node);
}

static int data_err(struct data_r *r, const xmlNode *node, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));

static int data_err(struct data_r *r, const xmlNode *node, const char *fmt,
		    ...)
{
	va_list ap;

	fprintf(r->err, "backchannelctl: %s:%ld: ", r->file,
		data_line(r, node));
	va_start(ap, fmt);
	vfprintf(r->err, fmt, ap);
	va_end(ap);
	fputc('\n', r->err);
	r->errors++;
	return CTL_FAIL;
}

/* What the schema allows on elements called name: their attributes, and
 * (when name is defined once) which are required. */
struct data_attrs {
	const char *names[16];
	bool required[16];
	size_t n;
	int defs;
};

static bool data_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, name) == 0;
}

/* Collects the <attribute name=.../> under def, not looking into nested
 * elements; optional is set inside <optional> and the like. */
static void data_rng_attrs(xmlNode *def, bool optional, struct data_attrs *a)
{
	xmlNode *n;
	xmlChar *name;

	for (n = def->children; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || data_is(n, "element"))
			continue;
		if (data_is(n, "attribute")) {
			name = xmlGetProp(n, BAD_CAST "name");
			if (name != NULL && a->n < sizeof(a->names) /
							   sizeof(a->names[0])) {
				a->names[a->n] = (const char *)name;
				a->required[a->n++] = !optional && a->defs == 1;
			} else {
				xmlFree(name);
			}
			continue;
		}
		data_rng_attrs(n, optional || data_is(n, "optional") ||
					  data_is(n, "zeroOrMore") ||
					  data_is(n, "choice"),
			       a);
	}
}

static void data_rng_find(xmlNode *n, const char *elem, struct data_attrs *a)
{
	xmlChar *name;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (data_is(n, "element") &&
		    (name = xmlGetProp(n, BAD_CAST "name")) != NULL) {
			if (strcmp((const char *)name, elem) == 0) {
				a->defs++;
				data_rng_attrs(n, false, a);
			}
			xmlFree(name);
		}
		data_rng_find(n->children, elem, a);
	}
}

/* The schema's verdict on an element's attributes says only that they
 * failed: name the attribute that is not allowed, or the required one
 * that is missing, into msg.  Returns false when neither is the case. */
static bool data_attr_problem(const xmlNode *node, char *msg, size_t len)
{
	struct data_attrs a;
	const xmlAttr *at;
	char allowed[256] = "";
	size_t i, used = 0;
	bool found = false;
	xmlDoc *rng;

	memset(&a, 0, sizeof(a));
	rng = xmlReadMemory(ctl_data_rng, (int)strlen(ctl_data_rng), "rng",
			    NULL, XML_PARSE_NONET);
	if (rng == NULL)
		abort(); /* the schema is ours */
	data_rng_find(xmlDocGetRootElement(rng), (const char *)node->name, &a);
	for (i = 0; i < a.n && used < sizeof(allowed); i++)
		used += (size_t)snprintf(allowed + used, sizeof(allowed) - used,
					 "%s%s", i ? ", " : "", a.names[i]);
	for (at = node->properties; at != NULL && !found; at = at->next) {
		for (i = 0; i < a.n; i++)
			if (strcmp(a.names[i], (const char *)at->name) == 0)
				break;
		if (i == a.n) {
			snprintf(msg, len, "<%s>: unknown attribute '%s' "
				 "(expected %s)", (const char *)node->name,
				 (const char *)at->name,
				 a.n ? allowed : "none");
			found = true;
		}
	}
	for (i = 0; i < a.n && !found; i++) {
		if (a.required[i] &&
		    !xmlHasProp(node, BAD_CAST a.names[i])) {
			snprintf(msg, len, "<%s>: missing required attribute "
				 "'%s'", (const char *)node->name, a.names[i]);
			found = true;
		}
	}
	for (i = 0; i < a.n; i++)
		xmlFree((xmlChar *)a.names[i]);
	xmlFreeDoc(rng);
	return found;
}

/* The first element at or under n whose attributes have a problem
 * (written into msg), or NULL. */
static const xmlNode *data_attr_culprit(const xmlNode *n, char *msg,
					size_t len)
{
	const xmlNode *found = NULL;

	for (; n != NULL && found == NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (data_attr_problem(n, msg, len))
			return n;
		found = data_attr_culprit(n->children, msg, len);
	}
	return found;
}

/* The first schema or parse problem only: one line. */
static void data_xml_error(void *ctx, xmlErrorPtr e)
{
	struct data_r *r = ctx;
	const xmlNode *node;
	char msg[512], *p;
	long line = e != NULL ? e->line : 0;
	size_t n;

	if (r->errors++ > 0 || e == NULL)
		return;
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "error");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	/* Some of libxml2's messages run on over a second line ("Input is
	 * not proper UTF-8 ...\nBytes: ..."): keep them on one. */
	for (p = msg; (p = strchr(p, '\n')) != NULL;)
		*p = ' ';
	node = e->node;
	if (e->domain == XML_FROM_RELAXNGV && strstr(msg, "attribute")) {
		/* Without a node, the first element whose attributes are
		 * wrong is the one. */
		if (node == NULL && r->doc != NULL)
			node = data_attr_culprit(xmlDocGetRootElement(r->doc),
						 msg, sizeof(msg));
		else if (node != NULL && node->type == XML_ELEMENT_NODE)
			data_attr_problem(node, msg, sizeof(msg));
		if (node != NULL)
			line = data_line(r, node);
	} else if (node != NULL && node->type == XML_ELEMENT_NODE &&
		   node->doc == r->wrap && r->wrap != NULL) {
		line = data_line(r, node);
	}
	fprintf(r->err, "backchannelctl: %s:%ld: %s\n", r->file, line, msg);
}

/* An element's line.  Past 65535 libxml2 keeps the line (with
 * XML_PARSE_BIG_LINES) only in text nodes, as the line where their text
 * ends; the text just before an element ends where the element starts,
 * while xmlGetLineNo() of an empty element asks the text after it. */
static long data_elem_line(const xmlNode *n)
{
	const xmlNode *t = n->prev;

	if (n->line != 65535)
		return n->line;
	if (t != NULL && t->type == XML_TEXT_NODE)
		return t->line != 65535 ? t->line : (long)(ptrdiff_t)t->psvi;
	return xmlGetLineNo(n);
}

/* The lines of orig's elements, for their copies in copy. */
static void data_copy_lines(struct data_r *r, const xmlNode *orig,
			    const xmlNode *copy)
{
	for (; orig != NULL && copy != NULL;
	     orig = orig->next, copy = copy->next) {
		if (orig->type != XML_ELEMENT_NODE)
			continue;
		if (r->nlines == r->caplines) {
			r->caplines = r->caplines ? 2 * r->caplines : 16;
			r->lines = xreallocarray(r->lines, r->caplines,
					    sizeof(*r->lines));
		}
		r->lines[r->nlines].node = copy;
		r->lines[r->nlines++].line = data_elem_line(orig);
		data_copy_lines(r, orig->children, copy->children);
	}
}

static void data_close(struct data_r *r)
{
	if (r->rd != NULL)
		xmlFreeTextReader(r->rd);
	if (r->vctx != NULL)
		xmlRelaxNGFreeValidCtxt(r->vctx);
	if (r->schema != NULL)
		xmlRelaxNGFree(r->schema);
	xmlFreeDoc(r->wrap);
	free(r->lines);
	r->rd = NULL;
	r->vctx = NULL;
	r->schema = NULL;
	r->wrap = NULL;
	r->cur = NULL;
	r->lines = NULL;
	r->nlines = r->caplines = 0;
	xmlSetStructuredErrorFunc(NULL, NULL);
}

/* Validates the document as it stands (the root and cur). */
static int data_validate(struct data_r *r)
{
	if (r->vctx == NULL)
		return 0;
	r->doc = r->wrap;
	if (xmlRelaxNGValidateDoc(r->vctx, r->wrap) != 0 && r->errors == 0)
		data_err(r, r->cur ? r->cur : xmlDocGetRootElement(r->wrap),
			 "not valid");
	r->doc = NULL;
	return r->errors > 0 ? CTL_FAIL : 0;
}

/* Opens the file as a stream positioned on its root element, checking
 * the root (and, with validate, each element data_next() gives) against
 * the schema. */
static int data_open(struct data_r *r, bool validate)
{
	xmlRelaxNGParserCtxtPtr pctx;
	xmlNode *root;
	struct stat now;
	int ret;

	if (r->fd < 0) {
		/* libxml2 would say "failed to load external entity". */
		r->fd = open(r->file, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0 || fstat(r->fd, &r->seen) != 0) {
			fprintf(r->err, "backchannelctl: %s: %s\n", r->file,
				errno == ENOENT ? "no such file"
						: strerror(errno));
			r->errors++;
			return CTL_FAIL;
		}
	} else if (fstat(r->fd, &now) != 0 || now.st_size != r->seen.st_size ||
		   now.st_mtim.tv_sec != r->seen.st_mtim.tv_sec ||
		   now.st_mtim.tv_nsec != r->seen.st_mtim.tv_nsec ||
		   lseek(r->fd, 0, SEEK_SET) != 0) {
		return data_err(r, NULL, "the file changed while it was "
					 "read; nothing was written");
	}
	xmlSetStructuredErrorFunc(r, data_xml_error);
	r->rd = xmlReaderForFd(r->fd, r->file, NULL,
			       XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	if (r->rd == NULL) {
		data_err(r, NULL, "cannot read the file");
		goto out;
	}
	xmlTextReaderSetStructuredErrorHandler(r->rd, data_xml_error, r);
	while ((ret = xmlTextReaderRead(r->rd)) == 1 &&
	       xmlTextReaderNodeType(r->rd) != XML_READER_TYPE_ELEMENT)
		;
	if (ret != 1) {
		if (r->errors == 0)
			data_err(r, NULL, "cannot read the file");
		goto out;
	}
	r->wrap = xmlNewDoc(BAD_CAST "1.0");
	root = xmlDocCopyNode(xmlTextReaderCurrentNode(r->rd), r->wrap, 2);
	if (r->wrap == NULL || root == NULL)
		abort();
	xmlDocSetRootElement(r->wrap, root);
	data_copy_lines(r, xmlTextReaderCurrentNode(r->rd), root);
	if (validate) {
		pctx = xmlRelaxNGNewMemParserCtxt(ctl_data_rng,
						  (int)strlen(ctl_data_rng));
		r->schema = xmlRelaxNGParse(pctx);
		xmlRelaxNGFreeParserCtxt(pctx);
		if (r->schema == NULL)
			abort(); /* the schema is ours */
		r->vctx = xmlRelaxNGNewValidCtxt(r->schema);
		xmlRelaxNGSetValidStructuredErrors(r->vctx, data_xml_error, r);
		if (data_validate(r) != 0)
			goto out;
	}
	/* An empty root has nothing under it to read. */
	if (xmlTextReaderIsEmptyElement(r->rd) == 1)
		r->cur = root; /* data_next() then ends at once */
out:
	if (r->errors > 0) {
		data_close(r);
		return CTL_FAIL;
	}
	return 0;
}

/* The next top-level element (validated when asked for), or NULL at the
 * end of the file or on a problem (then r->errors > 0).  It stays valid
 * until the next call. */
static const xmlNode *data_next(struct data_r *r)
{
	xmlNode *n, *root = xmlDocGetRootElement(r->wrap);
	int ret;

	if (r->cur == root)
		return NULL; /* an empty root */
	if (r->cur != NULL) {
		xmlUnlinkNode(r->cur);
		xmlFreeNode(r->cur);
		r->cur = NULL;
		r->nlines = 1; /* the root's */
		ret = xmlTextReaderNext(r->rd);
	} else {
		ret = xmlTextReaderRead(r->rd);
	}
	for (; ret == 1; ret = xmlTextReaderRead(r->rd)) {
		int type = xmlTextReaderNodeType(r->rd);
		int depth = xmlTextReaderDepth(r->rd);

		if (type == XML_READER_TYPE_ELEMENT && depth == 1)
			break;
		if (depth == 0 && type == XML_READER_TYPE_END_ELEMENT) {
			/* Whatever follows the root is read too: a parse
			 * error after it is still an error. */
			while ((ret = xmlTextReaderRead(r->rd)) == 1)
				;
			break;
		}
	}
	if (ret != 1) {
		if (ret < 0 && r->errors == 0)
			data_err(r, NULL, "cannot read the file");
		return NULL;
	}
	n = xmlTextReaderExpand(r->rd);
	if (n == NULL) {
		if (r->errors == 0)
			data_err(r, NULL, "cannot read the file");
		return NULL;
	}
	r->cur = xmlDocCopyNode(n, r->wrap, 1);
	if (r->cur == NULL)
		abort();
	xmlAddChild(root, r->cur);
	data_copy_lines(r, n, r->cur);
	if (data_validate(r) != 0)
		return NULL;
	return r->cur;
}

/* An attribute's value in a new string (free()), or NULL. */
static char *data_get(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	char *s;

	if (v == NULL)
		return NULL;
	s = strdup((const char *)v);
	xmlFree(v);
	if (s == NULL)
		abort();
	return s;
}

static char *data_content(const xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *s = strdup(v ? (const char *)v : "");

	xmlFree(v);
	if (s == NULL)
		abort();
	return s;
}

/* XEP-0082 UTC time to ms; 0 when absent (the schema has checked the
 * form). */
static int64_t data_get_time(const xmlNode *n, const char *name)
{
	char *v = data_get(n, name);
	int64_t t = 0;

	if (v != NULL && clock_parse_xep82(v, &t) != 0)
		t = 0;
	free(v);
	return t;
}

static bool data_get_bool(const xmlNode *n, const char *name)
{
	char *v = data_get(n, name);
	bool b = v != NULL && strcmp(v, "true") == 0;

	free(v);
	return b;
}

static int data_index(const char *const *names, int n, const char *v)
{
	int i;

	for (i = 0; v != NULL && i < n; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return 0;
}

/* One line for a store refusal of node's record. */
static int data_store_err(struct data_r *r, const xmlNode *node, int rc,
			  const char *what)
{
	switch (rc) {
	case STORE_EEXIST:
		return data_err(r, node, "<%s> %s already exists", node->name,
				what);
	case STORE_NOTFOUND:
		return data_err(r, node, "<%s> %s: unknown handle or room",
				node->name, what);
	case STORE_EINVAL:
		return data_err(r, node, "<%s> %s is invalid", node->name,
				what);
	default:
		return data_err(r, node, "<%s> %s: store failure", node->name,
				what);
	}
}

/* Identities (pass 0) and what hangs on them (pass 1: links, follows,
 * subscriptions, which may name identities further down). */
static int data_load_identity(struct store *st, struct data_r *r,
			      const xmlNode *n, int pass)
{
	char *handle = data_get(n, "handle");
	const xmlNode *c;
	int rc = 0;

	if (pass == 0) {
		struct store_identity id;
		char *name = data_get(n, "name");
		char *who = data_get(n, "setting");

		memset(&id, 0, sizeof(id));
		snprintf(id.handle, sizeof(id.handle), "%s", handle);
		if (name != NULL && strlen(name) >= sizeof(id.name))
			rc = data_err(r, n, "<identity> name of '%s' is too "
				      "long", handle);
		else
			snprintf(id.name, sizeof(id.name), "%s",
				 name ? name : "");
		id.bot = data_get_bool(n, "bot");
		id.who = (enum store_who)data_index(data_who, 3, who);
		id.created_ms = data_get_time(n, "created");
		if (rc == 0) {
			rc = store_identity_add(st, &id);
			if (rc != 0)
				rc = data_store_err(r, n, rc, handle);
		}
		free(name);
		free(who);
		free(handle);
		return rc;
	}
	for (c = n->children; c != NULL && rc == 0; c = c->next) {
		char *v;

		if (data_is(c, "link")) {
			v = data_get(c, "jid");
			rc = store_link(st, handle, v);
		} else if (data_is(c, "follow")) {
			v = data_get(c, "handle");
			rc = store_follow(st, handle, v);
		} else if (data_is(c, "subscription")) {
			v = data_get(c, "jid");
			rc = store_sub_add(st, handle, v);
		} else {
			continue;
		}
		if (rc != 0)
			rc = data_store_err(r, c, rc, v);
		free(v);
	}
	free(handle);
	return rc;
}

static int data_load_token(struct store *st, struct data_r *r,
			   const xmlNode *n)
{
	struct store_token t;
	char *tok = data_get(n, "token"), *h = data_get(n, "handle");
	int rc;

	memset(&t, 0, sizeof(t));
	snprintf(t.token, sizeof(t.token), "%s", tok);
	snprintf(t.handle, sizeof(t.handle), "%s", h);
	t.created_ms = data_get_time(n, "created");
	t.expires_ms = data_get_time(n, "expires");
	t.used_by = data_get(n, "used-by");
	t.used = t.used_by != NULL;
	rc = store_token_put(st, &t);
	if (rc != 0)
		rc = data_store_err(r, n, rc, tok);
	free(t.used_by);
	free(tok);
	free(h);
	return rc;
}

static int data_load_relation(struct store *st, struct data_r *r,
			      const xmlNode *n)
{
	struct store_relation rel;
	char *o = data_get(n, "owner"), *p = data_get(n, "peer");
	char *flags = data_get(n, "flags"), *tok, *save = NULL;
	size_t f;
	int rc;

	memset(&rel, 0, sizeof(rel));
	for (tok = strtok_r(flags, " \t\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\n", &save))
		for (f = 0; f < sizeof(data_flags) / sizeof(data_flags[0]); f++)
			if (strcmp(tok, data_flags[f].name) == 0)
				rel.flags |= data_flags[f].flag;
	rel.declined_until_ms = data_get_time(n, "declined-until");
	rel.updated_ms = data_get_time(n, "updated");
	rc = store_relation_put(st, o, p, &rel);
	if (rc != 0)
		rc = data_store_err(r, n, rc, o);
	free(o);
	free(p);
	free(flags);
	return rc;
}

static int data_load_request(struct store *st, struct data_r *r,
			     const xmlNode *n)
{
	struct store_request q;
	struct store_held *h = NULL;
	char *rcpt = data_get(n, "recipient");
	const xmlNode *c;
	size_t nh = 0, i;
	int rc;

	memset(&q, 0, sizeof(q));
	q.sender = data_get(n, "sender");
	q.created_ms = data_get_time(n, "created");
	q.updated_ms = data_get_time(n, "updated");
	for (c = n->children; c != NULL; c = c->next) {
		if (!data_is(c, "held"))
			continue;
		h = realloc(h, (nh + 1) * sizeof(*h));
		if (h == NULL)
			abort();
		h[nh].received_ms = data_get_time(c, "received");
		h[nh].stanza = data_content(c);
		nh++;
	}
	rc = store_request_put(st, rcpt, &q, h, nh);
	if (rc != 0)
		rc = data_store_err(r, n, rc, q.sender);
	for (i = 0; i < nh; i++)
		free(h[i].stanza);
	free(h);
	free(q.sender);
	free(rcpt);
	return rc;
}

static unsigned data_get_uint(const xmlNode *n, const char *name)
{
	char *v = data_get(n, name);
	unsigned long u = v ? strtoul(v, NULL, 10) : 0;

	free(v);
	return (unsigned)u;
}

static int data_load_room_config(struct store *st, struct data_r *r,
				 const xmlNode *c, const char *room)
{
	struct store_room_config cfg;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = data_get_uint(c, "flags");
	cfg.max_occupants = data_get_uint(c, "max-occupants");
	cfg.history_max = data_get_uint(c, "history");
	cfg.broadcast = (uint8_t)data_get_uint(c, "broadcast");
	cfg.allow_pm = (uint8_t)data_get_uint(c, "pm");
	cfg.description = data_get(c, "description");
	cfg.subject_by = data_get(c, "subject-by");
	cfg.subject_ms = data_get_time(c, "subject-time");
	rc = store_room_config_put(st, room, &cfg);
	if (rc != 0)
		rc = data_store_err(r, c, rc, room);
	store_room_config_clear(&cfg);
	return rc;
}

static int data_load_occupant(struct store *st, struct data_r *r,
			      const xmlNode *c, const char *room)
{
	struct store_occupant o;
	int rc;

	memset(&o, 0, sizeof(o));
	o.room = (char *)room;
	o.jid = data_get(c, "jid");
	o.nick = data_get(c, "nick");
	o.who = data_get(c, "who");
	o.role = (uint8_t)data_get_uint(c, "role");
	o.joined_ms = data_get_time(c, "joined");
	rc = store_occupant_put(st, &o);
	if (rc != 0)
		rc = data_store_err(r, c, rc, o.jid);
	free(o.jid);
	free(o.nick);
	free(o.who);
	return rc;
}

static int data_load_room_secret(struct store *st, struct data_r *r,
				 const xmlNode *n)
{
	unsigned char s[STORE_ROOM_SECRET_SIZE];
	char *hex = data_content(n);
	size_t i;
	int rc = 0;

	if (strlen(hex) != 2 * sizeof(s))
		rc = data_err(r, n, "<room-secret> is %zu hex digits",
			      2 * sizeof(s));
	for (i = 0; rc == 0 && i < sizeof(s); i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			rc = data_err(r, n, "<room-secret> is not hex");
		s[i] = (unsigned char)v;
	}
	if (rc == 0 && store_room_secret_put(st, s) != 0)
		rc = data_err(r, n, "<room-secret>: store failure");
	free(hex);
	return rc;
}

/* A room with its affiliations, and with its archive unless import. */
static int data_load_room(struct store *st, struct data_r *r,
			  const xmlNode *n, bool import)
{
	struct store_room room;
	char *kind = data_get(n, "kind"), *live = data_get(n, "live");
	const xmlNode *c;
	int rc;

	memset(&room, 0, sizeof(room));
	room.name = data_get(n, "name");
	room.title = data_get(n, "title");
	room.subject = data_get(n, "subject");
	room.kind = kind != NULL && strcmp(kind, "audio") == 0
			    ? STORE_ROOM_AUDIO
			    : STORE_ROOM_GROUP;
	room.live = live == NULL || strcmp(live, "true") == 0;
	room.created_ms = data_get_time(n, "created");
	if (room.created_ms == 0)
		room.created_ms = clock_now_ms();
	rc = store_room_create(st, &room, NULL);
	if (rc != 0)
		rc = data_store_err(r, n, rc, room.name);
	for (c = n->children; c != NULL && rc == 0; c = c->next) {
		if (data_is(c, "affiliation")) {
			char *who = data_get(c, "who");
			char *af = data_get(c, "affiliation");

			rc = store_affil_set(st, room.name, who,
					     (enum store_affil)data_index(
						     data_affil, 7, af));
			if (rc != 0)
				rc = data_store_err(r, c, rc, who);
			free(who);
			free(af);
		} else if (data_is(c, "config")) {
			rc = data_load_room_config(st, r, c, room.name);
		} else if (data_is(c, "occupant")) {
			if (import) {
				rc = data_err(r, c, "<occupant> cannot be "
					      "imported (use load)");
				break;
			}
			rc = data_load_occupant(st, r, c, room.name);
		} else if (data_is(c, "message")) {
			struct store_archive_msg m;

			if (import) {
				rc = data_err(r, c, "<message> cannot be "
					      "imported (use load)");
				break;
			}
			memset(&m, 0, sizeof(m));
			m.stanza_id = data_get(c, "id");
			m.ms = data_get_time(c, "time");
			m.nick = data_get(c, "nick");
			m.from = data_get(c, "from");
			m.stanza = data_content(c);
			rc = store_archive_add(st, room.name, &m);
			if (rc != 0)
				rc = data_store_err(r, c, rc, m.stanza_id);
			free(m.stanza_id);
			free(m.nick);
			free(m.from);
			free(m.stanza);
		}
	}
	store_room_clear(&room);
	free(kind);
	free(live);
	return rc;
}

static int data_load_evidence(struct store *st, struct data_r *r,
			      const xmlNode *n)
{
	struct store_evidence e;
	int rc;

	e.sender = data_get(n, "sender");
	e.recipient = data_get(n, "recipient");
	e.ms = data_get_time(n, "time");
	e.text = data_content(n);
	rc = store_evidence_put(st, &e);
	if (rc != 0)
		rc = data_store_err(r, n, rc, e.sender);
	free(e.sender);
	free(e.recipient);
	free(e.text);
	return rc;
}

static int data_load_report(struct store *st, struct data_r *r,
			    const xmlNode *n)
{
	struct store_report rep;
	char *id = data_get(n, "id"), *state = data_get(n, "state"), *outcome;
	const xmlNode *c;
	size_t ne = 0, i;
	int rc;

	memset(&rep, 0, sizeof(rep));
	rep.id = strtoull(id, NULL, 10);
	rep.reporter = data_get(n, "reporter");
	rep.reported = data_get(n, "reported");
	rep.reason = data_get(n, "reason");
	rep.state = strcmp(state, "resolved") == 0 ? STORE_REPORT_RESOLVED
						   : STORE_REPORT_OPEN;
	rep.created_ms = data_get_time(n, "created");
	rep.resolved_ms = data_get_time(n, "resolved");
	rep.until_ms = data_get_time(n, "until");
	rep.resolved_by = data_get(n, "resolved-by");
	outcome = data_get(n, "outcome");
	for (i = 1; outcome != NULL && i <= STORE_OUTCOME_MAX; i++)
		if (strcmp(outcome, data_outcomes[i]) == 0)
			rep.outcome = (enum store_report_outcome)i;
	free(outcome);
	rep.evidence = calloc(1, sizeof(char *));
	if (rep.evidence == NULL)
		abort();
	for (c = n->children; c != NULL; c = c->next) {
		if (data_is(c, "text")) {
			free(rep.text);
			rep.text = data_content(c);
		} else if (data_is(c, "note")) {
			free(rep.note);
			rep.note = data_content(c);
		} else if (data_is(c, "evidence")) {
			rep.evidence = realloc(rep.evidence,
					       (ne + 2) * sizeof(char *));
			if (rep.evidence == NULL)
				abort();
			rep.evidence[ne++] = data_content(c);
			rep.evidence[ne] = NULL;
		}
	}
	rc = store_report_add(st, &rep, false, NULL);
	if (rc != 0)
		rc = data_store_err(r, n, rc, id);
	store_report_clear(&rep);
	free(id);
	free(state);
	return rc;
}

static int data_load_sanction(struct store *st, struct data_r *r,
			      const xmlNode *n)
{
	struct store_sanction s;
	const xmlNode *c;
	int rc;

	memset(&s, 0, sizeof(s));
	s.node = data_get(n, "address");
	s.until_ms = data_get_time(n, "until");
	s.restricted_ms = data_get_time(n, "restricted");
	s.restricted = xmlHasProp((xmlNode *)n, BAD_CAST "restricted") != NULL;
	for (c = n->children; c != NULL; c = c->next)
		if (data_is(c, "note")) {
			free(s.note);
			s.note = data_content(c);
		}
	rc = store_sanction_put(st, &s);
	if (rc != 0)
		rc = data_store_err(r, n, rc, s.node);
	free(s.node);
	free(s.note);
	return rc;
}

static bool data_store_empty(struct store *st, struct data_r *r)
{
	struct store_stats s;

	if (store_stats(st, &s) != 0) {
		fprintf(r->err, "backchannelctl: load: store failure\n");
		return false;
	}
	if (s.identities || s.links || s.tokens || s.follows || s.relations ||
	    s.requests || s.held || s.rooms || s.archive || s.evidence ||
	    s.reports || s.subscriptions) {
		fprintf(r->err, "backchannelctl: load restores into an empty "
			"store only, and this one has %" PRIu64 " identities "
			"and %" PRIu64 " rooms (use import to add)\n",
			s.identities, s.rooms);
		return false;
	}
	return true;
}

/* A set of 64-bit keyed hashes (strmap_hash(), SipHash with a random key
 * per process) of normalised names: 8 bytes a name, whatever the file's
 * size.  Two different names share a hash with a chance of about n^2 /
 * 2^65 (3e-8 for a million names); a false "appears twice" goes away when
 * run again (a new key), and a false "known" follow target is still
 * refused by the store, inside the bulk transaction. */
struct data_set {
	uint64_t *v;
	size_t n, cap;
};

static uint64_t data_fp(const char *s)
{
	uint64_t h = strmap_hash(s);

	return h != 0 ? h : 1; /* 0 marks a free slot */
}

static bool data_set_has(const struct data_set *s, uint64_t h)
{
	size_t i;

	if (s->cap == 0)
		return false;
	for (i = h & (s->cap - 1); s->v[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == h)
			return true;
	return false;
}

/* Adds h: false when it was there already. */
static bool data_set_add(struct data_set *s, uint64_t h)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct data_set g = {NULL, 0, s->cap ? 2 * s->cap : 1024};

		g.v = xcalloc(g.cap, sizeof(*g.v));
		for (i = 0; i < s->cap; i++)
			if (s->v[i] != 0)
				data_set_add(&g, s->v[i]);
		free(s->v);
		*s = g;
	}
	for (i = h & (s->cap - 1); s->v[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == h)
			return false;
	s->v[i] = h;
	s->n++;
	return true;
}

struct data_check {
	struct store *st;
	bool import; /* else load: the store is empty */
	struct data_set handles, jids, rooms;
	/* Follows naming no identity seen so far: checked again in a
	 * second pass, once every identity of the file is in handles. */
	size_t ahead;
	bool second; /* that second pass */
};

/* An identity's follows: each names an identity of the file (seen so
 * far, or at all in the second pass) or, for import, of the store. */
static void data_check_follows(struct data_check *k, struct data_r *r,
			       const xmlNode *n)
{
	char other[STORE_HANDLE_SIZE];
	struct store_identity id;
	const xmlNode *c;
	char *v;

	for (c = n->children; c != NULL && r->errors == 0; c = c->next) {
		if (!data_is(c, "follow"))
			continue;
		v = data_get(c, "handle");
		if (store_handle_norm(v, other) != 0)
			data_err(r, c, "<follow> handle '%s' is invalid", v);
		else if (data_set_has(&k->handles, data_fp(other)))
			; /* an identity of the file */
		else if (k->import &&
			 store_identity_get(k->st, other, &id) == 0)
			; /* one of the store */
		else if (!k->second)
			k->ahead++;
		else
			data_err(r, c, "<follow> '%s' is no identity of the "
				 "file%s", v, k->import ? " or the store" : "");
		free(v);
	}
}

/* An identity and its links: none named twice, none in the store for
 * import; then its follows. */
static int data_check_identity(struct data_check *k, struct data_r *r,
			       const xmlNode *n)
{
	char norm[STORE_JID_SIZE], other[STORE_HANDLE_SIZE];
	struct store_identity id;
	const xmlNode *c;
	char *h, *v;

	if (k->second) {
		data_check_follows(k, r, n);
		return r->errors > 0 ? CTL_FAIL : 0;
	}
	h = data_get(n, "handle");
	if (store_handle_norm(h, other) != 0)
		data_err(r, n, "<identity> handle '%s' is invalid", h);
	else if (!data_set_add(&k->handles, data_fp(other)))
		data_err(r, n, "<identity> '%s' appears twice", h);
	else if (k->import && store_identity_get(k->st, other, &id) == 0)
		data_err(r, n, "<identity> '%s' already exists", h);
	free(h);
	for (c = n->children; c != NULL && r->errors == 0; c = c->next) {
		if (!data_is(c, "link"))
			continue;
		v = data_get(c, "jid");
		if (store_jid_norm(v, norm) != 0)
			data_err(r, c, "<link> '%s' is not an account's JID", v);
		else if (!data_set_add(&k->jids, data_fp(norm)))
			data_err(r, c, "<link> %s appears twice", v);
		else if (k->import && store_link_get(k->st, norm, other) == 0)
			data_err(r, c, "<link> %s is already linked to '%s'", v,
				 other);
		free(v);
	}
	data_check_follows(k, r, n);
	return r->errors > 0 ? CTL_FAIL : 0;
}

static int data_check_room(struct data_check *k, struct data_r *r,
			   const xmlNode *n)
{
	char *name = data_get(n, "name");
	char norm[STORE_JID_SIZE], *p;
	struct store_room room;
	const xmlNode *c;

	/* Room names compare without case (ASCII), as the store's do. */
	snprintf(norm, sizeof(norm), "%s", name);
	for (p = norm; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (!data_set_add(&k->rooms, data_fp(norm)))
		data_err(r, n, "<room> '%s' appears twice", name);
	else if (k->import && store_room_get(k->st, name, &room) == 0) {
		data_err(r, n, "<room> '%s' already exists", name);
		store_room_clear(&room);
	}
	free(name);
	for (c = n->children; c != NULL && r->errors == 0 && k->import;
	     c = c->next)
		if (data_is(c, "message") || data_is(c, "occupant"))
			data_err(r, c, "<%s> cannot be imported (use load)",
				 (const char *)c->name);
	return r->errors > 0 ? CTL_FAIL : 0;
}

/* The check, before anything is written: the schema, element by element,
 * and every reference; a second pass when some follow named an identity
 * further down. */
static int data_check(struct store *st, struct data_r *r, bool import)
{
	struct data_check k;
	const xmlNode *n;
	int rc = 0;

	memset(&k, 0, sizeof(k));
	k.st = st;
	k.import = import;
	for (k.second = false; rc == 0; k.second = true) {
		if (data_open(r, !k.second) != 0) {
			rc = CTL_FAIL;
			break;
		}
		while (rc == 0 && (n = data_next(r)) != NULL) {
			if (data_is(n, "identity"))
				rc = data_check_identity(&k, r, n);
			else if (k.second)
				continue;
			else if (data_is(n, "room"))
				rc = data_check_room(&k, r, n);
			else if (import)
				rc = data_err(r, n, "<%s> cannot be imported "
					      "(use load)", n->name);
		}
		if (r->errors > 0)
			rc = CTL_FAIL;
		data_close(r);
		if (k.second || k.ahead == 0)
			break;
	}
	free(k.handles.v);
	free(k.jids.v);
	free(k.rooms.v);
	return rc;
}

/* The passes that write, in one bulk transaction: the identities, then
 * what refers to them (import: their links and follows, and rooms). */
static int data_write(struct store *st, struct data_r *r, bool import)
{
	const xmlNode *n;
	int rc = 0, pass;

	if (store_bulk_begin(st) != 0)
		return data_err(r, NULL, "store failure");
	for (pass = 0; pass < 2 && rc == 0; pass++) {
		if (data_open(r, false) != 0) {
			rc = CTL_FAIL;
			break;
		}
		while (rc == 0 && (n = data_next(r)) != NULL) {
			if (data_is(n, "identity"))
				rc = data_load_identity(st, r, n, pass);
			else if (pass == 0)
				continue;
			else if (data_is(n, "room"))
				rc = data_load_room(st, r, n, import);
			else if (import)
				continue; /* checked: never here */
			else if (data_is(n, "token"))
				rc = data_load_token(st, r, n);
			else if (data_is(n, "relationship"))
				rc = data_load_relation(st, r, n);
			else if (data_is(n, "request"))
				rc = data_load_request(st, r, n);
			else if (data_is(n, "room-secret"))
				rc = data_load_room_secret(st, r, n);
			else if (data_is(n, "evidence"))
				rc = data_load_evidence(st, r, n);
			else if (data_is(n, "report"))
				rc = data_load_report(st, r, n);
			else if (data_is(n, "sanction"))
				rc = data_load_sanction(st, r, n);
		}
		if (r->errors > 0)
			rc = CTL_FAIL;
		data_close(r);
	}
	if (store_bulk_end(st, rc == 0) != 0 && rc == 0)
		rc = data_err(r, NULL, "store failure: nothing was written");
	return rc;
}

/* Reads file: checked whole, then written in one run (load into an empty
 * store, or import). */
static int data_read(struct store *st, const char *file, FILE *err,
		     bool import)
{
	struct data_r r;
	int rc = CTL_FAIL;

	memset(&r, 0, sizeof(r));
	r.file = file;
	r.err = err;
	r.fd = -1;
	if (data_check(st, &r, import) == 0 &&
	    (import || data_store_empty(st, &r)) &&
	    data_write(st, &r, import) == 0)
		rc = CTL_OK;
	if (r.fd >= 0)
		close(r.fd);
	return rc;
}

int data_load(struct store *st, const char *file, FILE *err)
{
	return data_read(st, file, err, false);
}

int data_import(struct store *st, const char *file, FILE *err)
{
	return data_read(st, file, err, true);
}
