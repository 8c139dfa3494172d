/*
 * test_mam.c - XEP-0313 archive queries and XEP-0425 moderation on a
 * room, through the real router and error table.
 *
 * The room core is stood in for: this binary has its own registry with
 * one module whose IQ rows are the archive's and moderation's, and the
 * room functions of xep/muc/muc.h that mam.c and moderate.c call are
 * replaced at link time (-Wl,--wrap) by the fakes below: one room,
 * lounge@rooms.bc.test, with three occupants.  The archive itself is the
 * real store, filled with store_archive_add() as the room core does.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "component/bc.h"
#include "component/clock.h"
#include "store/store.h"
#include "tests/unit/harness.h"
#include "xep/muc/muc.h"
#include "xep/ns.h"
#include "xep/xep.h"

/* 2026-09-21T14:13:20Z */
#define T0 1790000000000LL

/* --- the stand-in for the room core --- */

struct muc_room {
	const char *name;
};

static struct muc_room lounge = {"lounge"};

/* whois anyone (true) or moderators only. */
static bool whois_anyone = true;

static const struct {
	const char *jid, *nick, *occupant_id;
	enum muc_role role;
} occupants[] = {
	{"mod@example.org/pc", "Mod", "occ-mod", MUC_ROLE_MODERATOR},
	{"alice@example.org/pc", "Alice", "occ-alice", MUC_ROLE_PARTICIPANT},
	{"bob@example.org/phone", "Bob", "occ-bob", MUC_ROLE_PARTICIPANT},
};
#define N_OCCUPANTS (sizeof(occupants) / sizeof(occupants[0]))

static int occupant_of(const char *jid)
{
	size_t i;

	for (i = 0; i < N_OCCUPANTS; i++)
		if (strcmp(occupants[i].jid, jid) == 0)
			return (int)i;
	return -1;
}

struct muc_room *__wrap_muc_room_get(struct bc *bc, const char *node);
struct muc_room *__wrap_muc_room_find(struct bc *bc, const char *node);
const char *__wrap_muc_room_name(const struct muc_room *r);
enum muc_role __wrap_muc_room_role(const struct muc_room *r, const char *jid);
const char *__wrap_muc_room_nick(const struct muc_room *r, const char *jid);
const char *__wrap_muc_room_occupant_id(const struct muc_room *r,
					const char *jid);
bool __wrap_muc_room_may_read_archive(struct bc *bc, const struct muc_room *r,
				      const char *bare);
void __wrap_muc_room_broadcast(struct bc *bc, struct muc_room *r,
			       xmpp_stanza_t *msg);
bool __wrap_muc_room_shows_addresses(const struct muc_room *r,
				     const char *jid);

bool __wrap_muc_room_shows_addresses(const struct muc_room *r,
				     const char *jid)
{
	return whois_anyone ||
	       __wrap_muc_room_role(r, jid) == MUC_ROLE_MODERATOR;
}

struct muc_room *__wrap_muc_room_get(struct bc *bc, const char *node)
{
	(void)bc;
	return strcmp(node, "lounge") == 0 ? &lounge : NULL;
}

/* Closed audio rooms too: the same room here. */
struct muc_room *__wrap_muc_room_find(struct bc *bc, const char *node)
{
	return __wrap_muc_room_get(bc, node);
}

const char *__wrap_muc_room_name(const struct muc_room *r)
{
	return r->name;
}

enum muc_role __wrap_muc_room_role(const struct muc_room *r, const char *jid)
{
	int i = occupant_of(jid);

	(void)r;
	return i < 0 ? MUC_ROLE_NONE : occupants[i].role;
}

const char *__wrap_muc_room_nick(const struct muc_room *r, const char *jid)
{
	int i = occupant_of(jid);

	(void)r;
	return i < 0 ? NULL : occupants[i].nick;
}

const char *__wrap_muc_room_occupant_id(const struct muc_room *r,
					const char *jid)
{
	int i = occupant_of(jid);

	(void)r;
	return i < 0 ? NULL : occupants[i].occupant_id;
}

/* Occupants (any of their sessions' bare JIDs) read the archive. */
bool __wrap_muc_room_may_read_archive(struct bc *bc, const struct muc_room *r,
				      const char *bare)
{
	size_t i, n = strlen(bare);

	(void)bc;
	(void)r;
	for (i = 0; i < N_OCCUPANTS; i++)
		if (strncmp(occupants[i].jid, bare, n) == 0 &&
		    occupants[i].jid[n] == '/')
			return true;
	return false;
}

void __wrap_muc_room_broadcast(struct bc *bc, struct muc_room *r,
			       xmpp_stanza_t *msg)
{
	const char *to[N_OCCUPANTS];
	size_t i;

	(void)r;
	for (i = 0; i < N_OCCUPANTS; i++)
		to[i] = occupants[i].jid;
	bc_fanout(bc, msg, to, N_OCCUPANTS);
}

/* The module as the room core wires it (xep/muc/muc.c). */
static const struct xep_iq test_mam_iq[] = {
	{"query", NS_MAM, XEP_SET, muc_mam_query, XEP_AT_ROOM},
	{"query", NS_MAM, XEP_GET, muc_mam_form, XEP_AT_ROOM},
	{"metadata", NS_MAM, XEP_GET, muc_mam_metadata, XEP_AT_ROOM},
	{"moderate", NS_MODERATE, XEP_SET, muc_moderate, XEP_AT_ROOM},
	{NULL, NULL, 0, NULL, 0},
};

static const struct xep_module test_mam_module = {
	.name = "test-mam",
	.iq = test_mam_iq,
};

const struct xep_module *const xep_registry[] = {
	&test_mam_module,
	NULL,
};

/* --- fixtures --- */

#define ROOM "lounge@rooms.bc.test"
#define SID "xmlns='urn:xmpp:sid:0'"
#define OCC "xmlns='urn:xmpp:occupant-id:0'"

/* Archives message i (stanza id s<i>, body "text <i>") from occupant who
 * (an index of occupants[]) at T0 + i seconds, as the room core does. */
static void archive_one(struct harness *h, int i, int who)
{
	struct store_archive_msg m;
	char id[16], from[64], stanza[512];
	const char *handle = who == 0 ? "mod" : who == 1 ? "alice" : "bob";

	snprintf(id, sizeof(id), "s%d", i);
	snprintf(from, sizeof(from), "%s@bc.test", handle);
	snprintf(stanza, sizeof(stanza),
		 "<message xmlns='jabber:client' type='groupchat' id='m%d' "
		 "from='" ROOM "/%s'><body>text %d</body>"
		 "<occupant-id " OCC " id='%s'/>"
		 "<stanza-id " SID " id='%s' by='" ROOM "'/></message>",
		 i, occupants[who].nick, i, occupants[who].occupant_id, id);
	memset(&m, 0, sizeof(m));
	m.ms = T0 + (int64_t)i * 1000;
	m.stanza_id = id;
	m.nick = (char *)occupants[who].nick;
	m.from = from;
	m.stanza = stanza;
	assert_int_equal(store_archive_add(h->store, "lounge", &m), 0);
}

/* A room with n messages s0..s(n-1), alternating alice and bob. */
static struct harness *room_with(int n)
{
	struct harness *h = harness_new(NULL, true);
	struct store_room r;
	int i;

	clock_pin(T0 + 3600 * 1000);
	memset(&r, 0, sizeof(r));
	r.name = "lounge";
	assert_int_equal(store_room_create(h->store, &r, NULL), 0);
	for (i = 0; i < n; i++)
		archive_one(h, i, 1 + i % 2);
	return h;
}

static int setup10(void **state)
{
	*state = room_with(10);
	return 0;
}

static int setup300(void **state)
{
	*state = room_with(300);
	return 0;
}

static int teardown(void **state)
{
	harness_free(*state);
	clock_unpin();
	whois_anyone = true;
	return 0;
}

/* Stanzas. */
#define IQ(type, from, payload)                                                \
	"<iq type='" type "' id='q1' from='" from "' to='" ROOM "'>" payload   \
	"</iq>"
#define ALICE "alice@example.org/pc"
#define MOD "mod@example.org/pc"
#define MAM "xmlns='urn:xmpp:mam:2'"
#define RSM(x) "<set xmlns='http://jabber.org/protocol/rsm'>" x "</set>"
#define FORM(x)                                                                \
	"<x xmlns='jabber:x:data' type='submit'>"                              \
	"<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value>"   \
	"</field>" x "</x>"
#define FIELD(var, value)                                                      \
	"<field var='" var "'><value>" value "</value></field>"
#define QUERY(x) IQ("set", ALICE, "<query " MAM " queryid='f1'>" x "</query>")

/* The n-th (from 0) stanza is the result for archived message id. */
#define RESULT(n, id) #n ": /message[@from='" ROOM "'][@to='" ALICE "']"    \
	"/mam:result[@queryid='f1'][@id='" id "']/fwd:forwarded"
/* The fin of a query, with complete='true' or without complete. */
#define FIN_COMPLETE "/iq[@type='result'][@id='q1']/mam:fin[@complete='true']"
#define FIN_PARTIAL "/iq[@type='result'][@id='q1']/mam:fin[not(@complete)]"
#define FIRST_LAST(f, l)                                                       \
	"/iq/mam:fin/rsm:set[rsm:first='" f "'][rsm:last='" l "']"
#define ERROR(cond) "/iq[@type='error'][@id='q1']/error/st:" cond

/* clang-format off: step tables keep their layout */

/* XEP-0059 forward paging: first page, next pages, the last one complete. */
static void page_forward(void **state)
{
	static const struct harness_step steps[] = {
		{.send = QUERY(RSM("<max>3</max>")),
		 .sent = 4,
		 .expect = {RESULT(0, "s0"), RESULT(1, "s1"), RESULT(2, "s2"),
			    "3: " FIN_PARTIAL, FIRST_LAST("s0", "s2"),
			    /* The archived message as occupants got it, with
			     * its time. */
			    "0: /message/mam:result/fwd:forwarded"
			    "[delay:delay/@stamp='2026-09-21T14:13:20.000Z']"
			    "/client:message[@type='groupchat']"
			    "[@from='" ROOM "/Alice'][not(@to)]"
			    "[client:body='text 0']",
			    /* whois anyone: the publisher's address. */
			    "0: //client:message/muc_user:x/muc_user:item"
			    "[@jid='alice@bc.test']"}},
		{.send = QUERY(RSM("<max>3</max><after>s2</after>")),
		 .sent = 4,
		 .expect = {RESULT(0, "s3"), RESULT(2, "s5"), FIN_PARTIAL,
			    FIRST_LAST("s3", "s5")}},
		{.send = QUERY(RSM("<max>3</max><after>s8</after>")),
		 .sent = 2,
		 .expect = {RESULT(0, "s9"), FIN_COMPLETE,
			    FIRST_LAST("s9", "s9")}},
		{.send = QUERY(RSM("<max>3</max><after>s9</after>")),
		 .sent = 1,
		 .expect = {FIN_COMPLETE, "not(/iq/mam:fin/rsm:set/*)"}},
		/* Everything fits the default page. */
		{.send = QUERY(""),
		 .sent = 11,
		 .expect = {RESULT(0, "s0"), RESULT(9, "s9"), FIN_COMPLETE}},
	};

	harness_run(*state, steps);
}

/* Backward: an empty <before/> is the last page, then older pages. */
static void page_backward(void **state)
{
	static const struct harness_step steps[] = {
		{.send = QUERY(RSM("<max>3</max><before/>")),
		 .sent = 4,
		 .expect = {RESULT(0, "s7"), RESULT(1, "s8"), RESULT(2, "s9"),
			    FIN_PARTIAL, FIRST_LAST("s7", "s9")}},
		{.send = QUERY(RSM("<max>3</max><before>s7</before>")),
		 .sent = 4,
		 .expect = {RESULT(0, "s4"), RESULT(2, "s6"), FIN_PARTIAL}},
		{.send = QUERY(RSM("<max>3</max><before>s2</before>")),
		 .sent = 3,
		 .expect = {RESULT(0, "s0"), RESULT(1, "s1"), FIN_COMPLETE,
			    FIRST_LAST("s0", "s1")}},
		/* <flip-page/>: the same page, newest first. */
		{.send = QUERY(RSM("<max>3</max><before/>") "<flip-page/>"),
		 .sent = 4,
		 .expect = {RESULT(0, "s9"), RESULT(2, "s7"),
			    FIRST_LAST("s7", "s9")}},
	};

	harness_run(*state, steps);
}

/* §4.1.2: start and end are inclusive XEP-0082 times. */
static void time_filters(void **state)
{
	static const struct harness_step steps[] = {
		{.send = QUERY(FORM(FIELD("start", "2026-09-21T14:13:22Z")
				    FIELD("end", "2026-09-21T14:13:24Z"))),
		 .sent = 4,
		 .expect = {RESULT(0, "s2"), RESULT(1, "s3"), RESULT(2, "s4"),
			    FIN_COMPLETE}},
		/* The same instant with an offset and fractions. */
		{.send = QUERY(FORM(FIELD("start", "2026-09-21T16:13:27.000+02:00"))),
		 .sent = 4,
		 .expect = {RESULT(0, "s7"), RESULT(2, "s9"), FIN_COMPLETE}},
		/* With paging: the last page of a range. */
		{.send = QUERY(FORM(FIELD("end", "2026-09-21T14:13:25.5Z"))
			       RSM("<max>2</max><before/>")),
		 .sent = 3,
		 .expect = {RESULT(0, "s4"), RESULT(1, "s5"), FIN_PARTIAL}},
		{.send = QUERY(FORM(FIELD("start", "2026-09-21T14:13:25Z")
				    FIELD("end", "2026-09-21T14:13:24Z"))),
		 .sent = 1, .expect = {FIN_COMPLETE}},
		{.send = QUERY(FORM(FIELD("start", "yesterday"))),
		 .sent = 1, .expect = {ERROR("bad-request")}},
		{.send = QUERY(FORM(FIELD("end", "2026-09-21T14:13:24"))),
		 .sent = 1, .expect = {ERROR("bad-request")}},
		{.send = QUERY(FORM(FIELD("end", "2026-13-21T14:13:24Z"))),
		 .sent = 1, .expect = {ERROR("bad-request")}},
	};

	harness_run(*state, steps);
}

/* §4.1.1: 'with' is the publisher, by identity address or occupant JID. */
static void with_filter(void **state)
{
	static const struct harness_step steps[] = {
		{.send = QUERY(FORM(FIELD("with", "bob@bc.test"))
			       RSM("<max>2</max>")),
		 .sent = 3,
		 .expect = {RESULT(0, "s1"), RESULT(1, "s3"), FIN_PARTIAL}},
		{.send = QUERY(FORM(FIELD("with", ROOM "/Alice"))
			       RSM("<max>1</max><before/>")),
		 .sent = 2,
		 .expect = {RESULT(0, "s8"), FIN_PARTIAL}},
		/* A real JID matches nothing: no way to learn who is who. */
		{.send = QUERY(FORM(FIELD("with", "alice@example.org"))),
		 .sent = 1, .expect = {FIN_COMPLETE}},
		{.send = QUERY(FORM(FIELD("with", "not a jid@@"))),
		 .sent = 1, .expect = {FIN_COMPLETE}},
	};

	harness_run(*state, steps);
}

/* A room that shows addresses to moderators only: no publisher address
 * and no filtering by it for others. */
static void hidden_addresses(void **state)
{
	static const struct harness_step steps[] = {
		{.send = QUERY(RSM("<max>1</max>")),
		 .sent = 2,
		 .expect = {RESULT(0, "s0")},
		 .never = {"alice@bc.test", "muc#user"}},
		{.send = QUERY(FORM(FIELD("with", "bob@bc.test"))),
		 .sent = 1, .expect = {ERROR("forbidden")}},
		/* By nick it is what everybody sees anyway. */
		{.send = QUERY(FORM(FIELD("with", ROOM "/Bob"))
			       RSM("<max>1</max>")),
		 .sent = 2, .expect = {RESULT(0, "s1")}},
		/* A moderator sees addresses. */
		{.send = IQ("set", MOD, "<query " MAM ">"
			    FORM(FIELD("with", "bob@bc.test"))
			    RSM("<max>1</max>") "</query>"),
		 .sent = 2,
		 .expect = {"0: /message/mam:result[@id='s1']/fwd:forwarded"
			    "/client:message/muc_user:x/muc_user:item"
			    "[@jid='bob@bc.test']"}},
	};

	whois_anyone = false;
	harness_run(*state, steps);
}

/* A muc#user <x/> the sender put in a message is never passed on. */
static void sender_claims_dropped(void **state)
{
	struct harness *h = *state;
	struct store_archive_msg m;
	static const struct harness_step steps[] = {
		{.send = QUERY(RSM("<max>1</max><before/>")),
		 .sent = 2,
		 .expect = {RESULT(0, "claim"),
			    "0: //client:message[count(muc_user:x) = 1]"
			    "/muc_user:x/muc_user:item[@jid='bob@bc.test']"},
		 .never = {"mallory"}},
	};

	memset(&m, 0, sizeof(m));
	m.ms = T0 + 60000;
	m.stanza_id = "claim";
	m.nick = "Bob";
	m.from = "bob@bc.test";
	m.stanza = "<message xmlns='jabber:client' type='groupchat' "
		   "from='" ROOM "/Bob'><body>hi</body>"
		   "<x xmlns='http://jabber.org/protocol/muc#user'>"
		   "<item jid='mallory@example.org'/></x></message>";
	assert_int_equal(store_archive_add(h->store, "lounge", &m), 0);
	harness_run(h, steps);
}

/* The #extended fields: after-id, before-id, ids. */
static void extended_fields(void **state)
{
	static const struct harness_step steps[] = {
		{.send = QUERY(FORM(FIELD("after-id", "s2")
				    FIELD("before-id", "s6"))),
		 .sent = 4,
		 .expect = {RESULT(0, "s3"), RESULT(2, "s5"), FIN_COMPLETE}},
		/* Paging inside that range: RSM after narrows it. */
		{.send = QUERY(FORM(FIELD("after-id", "s2")
				    FIELD("before-id", "s6"))
			       RSM("<after>s4</after>")),
		 .sent = 2,
		 .expect = {RESULT(0, "s5"), FIN_COMPLETE}},
		{.send = QUERY(FORM("<field var='ids'><value>s7</value>"
				    "<value>s1</value><value>s7</value>"
				    "</field>")),
		 .sent = 3,
		 .expect = {RESULT(0, "s1"), RESULT(1, "s7"), FIN_COMPLETE}},
	};

	harness_run(*state, steps);
}

/* Unknown ids are item-not-found (§4.1.3, §4.3.2). */
static void unknown_ids(void **state)
{
	static const struct harness_step steps[] = {
		{.send = QUERY(RSM("<after>nope</after>")),
		 .sent = 1, .expect = {ERROR("item-not-found")}},
		{.send = QUERY(RSM("<before>nope</before>")),
		 .sent = 1, .expect = {ERROR("item-not-found")}},
		{.send = QUERY(FORM(FIELD("after-id", "nope"))),
		 .sent = 1, .expect = {ERROR("item-not-found")}},
		{.send = QUERY(FORM(FIELD("before-id", "s3")
				    FIELD("after-id", "s1"))
			       RSM("<before>nope</before>")),
		 .sent = 1, .expect = {ERROR("item-not-found")}},
		{.send = QUERY(FORM("<field var='ids'><value>s1</value>"
				    "<value>nope</value></field>")),
		 .sent = 1, .expect = {ERROR("item-not-found")}},
	};

	harness_run(*state, steps);
}

/* Who may ask, and malformed queries. */
static void refusals(void **state)
{
	static const struct harness_step steps[] = {
		{.send = IQ("set", "eve@example.org/x", "<query " MAM "/>"),
		 .sent = 1, .expect = {ERROR("forbidden")},
		 .never = {"text 0"}},
		{.send = "<iq type='set' id='q1' from='" ALICE "' "
			 "to='nowhere@rooms.bc.test'><query " MAM "/></iq>",
		 .sent = 1, .expect = {ERROR("item-not-found")}},
		{.send = QUERY(FORM(FIELD("color", "blue"))),
		 .sent = 1, .expect = {ERROR("feature-not-implemented")}},
		{.send = QUERY("<x xmlns='jabber:x:data' type='submit'>"
			       FIELD("FORM_TYPE", "urn:xmpp:mam:1") "</x>"),
		 .sent = 1, .expect = {ERROR("bad-request")}},
		{.send = QUERY(RSM("<max>many</max>")),
		 .sent = 1, .expect = {ERROR("bad-request")}},
		{.send = QUERY(RSM("<max>-1</max>")),
		 .sent = 1, .expect = {ERROR("bad-request")}},
		{.send = QUERY(RSM("<index>3</index>")),
		 .sent = 1, .expect = {ERROR("feature-not-implemented")}},
		/* max 0: no message, but whether there are any. */
		{.send = QUERY(RSM("<max>0</max>")),
		 .sent = 1, .expect = {FIN_PARTIAL}},
	};

	harness_run(*state, steps);
}

/* Page sizes: 50 by default, at most 250 whatever is asked. */
static void page_caps(void **state)
{
	static const struct harness_step steps[] = {
		{.send = QUERY(""),
		 .sent = 51,
		 .expect = {RESULT(0, "s0"), RESULT(49, "s49"), FIN_PARTIAL}},
		{.send = QUERY(RSM("<max>100000</max>")),
		 .sent = 251,
		 .expect = {RESULT(249, "s249"), FIN_PARTIAL,
			    FIRST_LAST("s0", "s249")}},
		{.send = QUERY(RSM("<max>100000</max><after>s249</after>")),
		 .sent = 51,
		 .expect = {RESULT(49, "s299"), FIN_COMPLETE}},
	};

	harness_run(*state, steps);
}

/* §4.1.5 the form; §6 the metadata. */
static void form_and_metadata(void **state)
{
	static const struct harness_step steps[] = {
		{.send = IQ("get", ALICE, "<query " MAM "/>"),
		 .sent = 1,
		 .expect = {"/iq[@type='result']/mam:query/data:x[@type='form']"
			    "[data:field[@var='FORM_TYPE'][@type='hidden']"
			    "/data:value='urn:xmpp:mam:2']"
			    "[data:field[@var='with'][@type='jid-single']]"
			    "[data:field[@var='start'][@type='text-single']]"
			    "[data:field[@var='end'][@type='text-single']]"
			    "[data:field[@var='before-id']]"
			    "[data:field[@var='after-id']]"
			    "[data:field[@var='ids'][@type='list-multi']"
			    "/xdv:validate/xdv:open]"
			    "[not(.//data:required)]"}},
		{.send = IQ("get", ALICE, "<metadata " MAM "/>"),
		 .sent = 1,
		 .expect = {"/iq[@type='result']/mam:metadata"
			    "[mam:start[@id='s0']"
			    "[@timestamp='2026-09-21T14:13:20.000Z']]"
			    "[mam:end[@id='s9']"
			    "[@timestamp='2026-09-21T14:13:29.000Z']]"}},
		{.send = IQ("get", "eve@example.org/x", "<metadata " MAM "/>"),
		 .sent = 1, .expect = {ERROR("forbidden")}},
	};

	harness_run(*state, steps);
}

#define MODERATE(from, id, x)                                                  \
	IQ("set", from, "<moderate id='" id "' "                               \
	   "xmlns='urn:xmpp:message-moderate:1'>" x "</moderate>")
#define RETRACT "<retract xmlns='urn:xmpp:message-retract:1'/>"

/* XEP-0425: the retraction to every occupant, the tombstone in the
 * archive, the retraction archived too. */
static void moderation(void **state)
{
	static const struct harness_step steps[] = {
		{.send = MODERATE(ALICE, "s1", RETRACT),
		 .sent = 1, .expect = {ERROR("forbidden")}},
		{.send = MODERATE("eve@example.org/x", "s1", RETRACT),
		 .sent = 1, .expect = {ERROR("forbidden")}},
		{.send = MODERATE(MOD, "nope", RETRACT),
		 .sent = 1, .expect = {ERROR("item-not-found")}},
		{.send = MODERATE(MOD, "", RETRACT),
		 .sent = 1, .expect = {ERROR("bad-request")}},
		{.send = MODERATE(MOD, "s1", ""),
		 .sent = 1, .expect = {ERROR("bad-request")}},
		{.send = IQ("set", MOD, "<moderate "
			    "xmlns='urn:xmpp:message-moderate:1'>" RETRACT
			    "</moderate>"),
		 .sent = 1, .expect = {ERROR("bad-request")}},
		/* The moderation itself. */
		{.advance = 60000,
		 .send = MODERATE(MOD, "s1", RETRACT "<reason>spam</reason>"),
		 .sent = 4,
		 .capture = {{"rid", "/message/@id"}},
		 .expect = {
			 "/iq[@type='result'][@id='q1'][@to='" MOD "'][not(*)]",
			 "/message[@type='groupchat'][@from='" ROOM "']"
			 "[@to='" MOD "']/retract:retract[@id='s1']",
			 "/message[@type='groupchat'][@from='" ROOM "']"
			 "[@to='bob@example.org/phone']"
			 "/retract:retract[@id='s1']",
			 "/message[@to='" ALICE "']"
			 "/retract:retract[@id='s1']"
			 "[moderate:moderated[@by='" ROOM "/Mod']"
			 "/occupant:occupant-id[@id='occ-mod']]"
			 "[retract:reason='spam']",
			 "/message[@to='" ALICE "']"
			 "[fallback:fallback/@for='urn:xmpp:message-retract:1']"
			 "[body]"
			 "[sid:stanza-id[@by='" ROOM "'][@id=../@id]]",
			 /* The moderator is named by occupant JID only. */
			 "/message[@to='" ALICE "']"
			 "[not(.//@*[contains(., 'mod@example.org')])]"},
		 .never = {"text 1"}},
		/* The archive: a tombstone in s1's place. */
		{.send = QUERY(RSM("<max>3</max>")),
		 .sent = 4,
		 .expect = {
			 RESULT(1, "s1"),
			 "1: /message/mam:result/fwd:forwarded"
			 "[delay:delay/@stamp='2026-09-21T14:13:21.000Z']"
			 "/client:message[@from='" ROOM "/Bob']"
			 "[not(client:body)]"
			 "[occupant:occupant-id/@id='occ-bob']"
			 "/retract:retracted[@id='${rid}'][@stamp]"
			 "[moderate:moderated[@by='" ROOM "/Mod']"
			 "/occupant:occupant-id[@id='occ-mod']]"
			 "[retract:reason='spam']"},
		 .never = {"text 1"}},
		/* And the retraction at the end of the archive. */
		{.send = QUERY(RSM("<max>1</max><before/>")),
		 .sent = 2,
		 .expect = {RESULT(0, "${rid}"),
			    "0: //client:message/retract:retract[@id='s1']"}},
		/* Twice: success, nothing sent again. */
		{.send = MODERATE(MOD, "s1", RETRACT),
		 .sent = 1, .expect = {"/iq[@type='result'][@id='q1']"}},
		/* The retraction itself cannot be moderated. */
		{.send = MODERATE(MOD, "${rid}", RETRACT),
		 .sent = 1, .expect = {ERROR("not-acceptable")}},
	};

	harness_run(*state, steps);
}

/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(page_forward, setup10,
						teardown),
		cmocka_unit_test_setup_teardown(page_backward, setup10,
						teardown),
		cmocka_unit_test_setup_teardown(time_filters, setup10,
						teardown),
		cmocka_unit_test_setup_teardown(with_filter, setup10,
						teardown),
		cmocka_unit_test_setup_teardown(hidden_addresses, setup10,
						teardown),
		cmocka_unit_test_setup_teardown(sender_claims_dropped, setup10,
						teardown),
		cmocka_unit_test_setup_teardown(extended_fields, setup10,
						teardown),
		cmocka_unit_test_setup_teardown(unknown_ids, setup10,
						teardown),
		cmocka_unit_test_setup_teardown(refusals, setup10, teardown),
		cmocka_unit_test_setup_teardown(page_caps, setup300,
						teardown),
		cmocka_unit_test_setup_teardown(form_and_metadata, setup10,
						teardown),
		cmocka_unit_test_setup_teardown(moderation, setup10,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
