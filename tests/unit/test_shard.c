/*
 * test_shard.c - rooms instances (<shard/>, docs/SCALING.md) through the
 * real router: an audio room provisioned in the directory is taken into
 * the instance's own rooms store on first use and follows the directory's
 * stage changes and its closing; group chats made by joining stay in the
 * rooms store; a room report on the instance is sent on to D in one
 * <filed/> message from M and changes nothing in the directory; and the
 * daemon serving D files such a message from M alone, when M is left to
 * rooms instances.
 *
 * D = bc.test, M = rooms.bc.test.  alice, bob, carol and dave are members
 * (NAME@example.org).  On the instance the audio room live@M is opened in
 * the directory with alice as host and bob as speaker; friends@M is a
 * group chat alice makes by joining.  mod@example.org is D's moderator.
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
#include "component/cfg.h"
#include "component/clock.h"
#include "component/xmalloc.h"
#include "store/store.h"
#include "tests/unit/harness.h"
#include "tests/unit/muc-steps.h"
#include "xep/ns.h"

#define T0 1800000000000LL
#define D "bc.test"
#define M "rooms.bc.test"
#define LIVE "live@" M
#define FRIENDS "friends@" M
#define A "alice@example.org/pc"
#define B "bob@example.org/pc"
#define C "carol@example.org/pc"
#define E "dave@example.org/pc"
#define MOD "mod@example.org"

/* The room the MUC macros of muc-steps.h address: live@M unless a table
 * says otherwise. */
#define ROOM LIVE

/* Joins here ask for no history. */
#undef JOIN
#define JOIN(from, nick) JOINH(from, nick, "<history maxstanzas='0'/>")
#define JOIN_TO(room, from, nick)                                              \
	"<presence from='" from "' to='" room "/" nick "'>"                    \
	"<x xmlns='" NS_MUC "'><history maxstanzas='0'/></x></presence>"
#define SAY_TO(room, from, text)                                               \
	"<message type='groupchat' from='" from "' to='" room "'><body>" text  \
	"</body></message>"
#define ITEM(room, to, nick, affil, role)                                      \
	"/presence[@to='" to "'][@from='" room "/" nick "'][not(@type)]"       \
	"/muc_user:x/muc_user:item[@affiliation='" affil "'][@role='" role   \
	"']"
#define ERR(cond, type)                                                        \
	"[@type='error']/error[@type='" type "']/st:" cond
#define SID(by, id) "<stanza-id xmlns='urn:xmpp:sid:0' by='" by "' id='" id "'/>"
#define ROOM_REPORT(room, from, extra)                                         \
	"<iq type='set' id='rr' from='" from "' to='" room "'>"                \
	"<report xmlns='urn:xmpp:reporting:1' "                                \
	"reason='urn:xmpp:reporting:abuse'>" extra "</report></iq>"

/* A <filed/> message to D from from, with the attributes attrs and the
 * children body. */
#define FILED(from, attrs, body)                                               \
	"<message from='" from "' to='" D "' id='f1'>"                         \
	"<filed xmlns='" NS_BC_FILED "' " attrs ">" body "</filed></message>"
#define FILED_ATTRS                                                            \
	"reporter='carol' reported='bob' reason='urn:xmpp:reporting:abuse'"
#define FILED_ROOM "<room name='friends'><staff who='alice'/></room>"
#define FILED_EVIDENCE(room)                                                   \
	"<evidence ms='1800000000000' room='" room "'>"                        \
	"<message xmlns='jabber:client' type='groupchat' "                     \
	"from='" FRIENDS "/bob'>"                                              \
	"<body>rude words in the room</body></message></evidence>"
#define FILED_OK                                                               \
	FILED(M, FILED_ATTRS,                                                  \
	      "<text>in the room</text>" FILED_ROOM FILED_EVIDENCE("0"))

/* The members, in h's directory. */
static void members(struct harness *h)
{
	harness_member(h, "alice", NULL, "alice@example.org");
	harness_member(h, "bob", NULL, "bob@example.org");
	harness_member(h, "carol", NULL, "carol@example.org");
	harness_member(h, "dave", NULL, "dave@example.org");
}

/* A rooms instance with live@M opened in its directory. */
static int setup_shard(void **state)
{
	const char *hosts[] = {"alice", NULL}, *speakers[] = {"bob", NULL};
	struct harness *h;

	clock_pin(T0);
	h = harness_new_shard(NULL);
	members(h);
	assert_int_equal(store_room_open(h->store, "live", "Live talk", hosts,
					 speakers),
			 0);
	*state = h;
	return 0;
}

/* The daemon serving D while rooms instances serve M. */
static struct harness *master(void)
{
	struct harness *h = harness_new("<moderator jid='" MOD "'/>", true);

	/* <rooms sharded="true">: the harness's <rooms/> has no such
	 * attribute; the daemon reads the flag from cfg when a message
	 * comes. */
	h->cfg->rooms_sharded = true;
	members(h);
	return h;
}

static int setup_master(void **state)
{
	clock_pin(T0);
	*state = master();
	return 0;
}

/* Runs the module's tick a change-log period later and flushes what it
 * sent; what was recorded before is forgotten. */
static void tick(struct harness *h)
{
	harness_tick(h, 250);
}

/* who's affiliation with room in st is want. */
static void assert_affil(struct store *st, const char *room, const char *who,
			 enum store_affil want)
{
	enum store_affil affil;

	assert_int_equal(store_affil_get(st, room, who, &affil), 0);
	assert_int_equal(affil, want);
}

/* The number of rooms in st. */
static size_t rooms_in(struct store *st)
{
	struct store_room *v = NULL;
	size_t n = 0;

	assert_int_equal(store_room_list(st, &v, &n), 0);
	store_room_list_free(v, n);
	return n;
}

/* The number of reports (open or not) in st. */
static size_t reports_in(struct store *st)
{
	struct store_report *v = NULL;
	size_t n = 0;

	assert_int_equal(store_report_list(st, false, &v, &n), 0);
	store_report_list_free(v, n);
	return n;
}

/* Whether owner blocks peer in st. */
static bool blocks(struct store *st, const char *owner, const char *peer)
{
	struct store_relation rel;
	int rc = store_relation_get(st, owner, peer, &rel);

	assert_true(rc == 0 || rc == STORE_NOTFOUND);
	return rc == 0 && (rel.flags & STORE_REL_BLOCKED) != 0;
}

/* The room name in st: 0 and its kind and state in *kind and *live, or
 * the store's code. */
static int room_in(struct store *st, const char *name,
		   enum store_room_kind *kind, bool *live)
{
	struct store_room r;
	int rc = store_room_get(st, name, &r);

	if (rc == 0) {
		*kind = r.kind;
		*live = r.live;
		store_room_clear(&r);
	}
	return rc;
}

/* clang-format off: step tables keep their layout */

/* alice (host) and bob (speaker) in live@M. */
static const struct harness_step alice_and_bob[] = {
	{.send = JOIN(A, "alice"), .sent = 2, .expect = {
		"0: " ITEM(LIVE, A, "alice", "owner", "moderator")
		"[@jid='alice@" D "']",
		"0: /presence/muc_user:x/muc_user:status[@code='110']",
		"0: /presence/hats:hats/hats:hat[@title='Host']",
		"1: /message[@to='" A "']/subject"}},
	{.send = JOIN(B, "bob"), .sent = 4, .expect = {
		ITEM(LIVE, B, "alice", "owner", "moderator"),
		ITEM(LIVE, A, "bob", "member", "participant"),
		ITEM(LIVE, B, "bob", "member", "participant")}},
};

/* clang-format on */

/* 1. The audio room the directory has is served here: the host's join
 * takes it into the rooms store; the directory is as it was. */
static void audio_room_taken_on_first_use(void **state)
{
	struct harness *h = *state;
	struct store_occupant *occ = NULL;
	enum store_room_kind kind;
	size_t n = 0;
	bool live;

	assert_int_equal(room_in(h->rooms_store, "live", &kind, &live),
			 STORE_NOTFOUND);
	assert_int_equal(rooms_in(h->store), 1);
	harness_run(h, alice_and_bob);
	assert_int_equal(room_in(h->rooms_store, "live", &kind, &live), 0);
	assert_int_equal(kind, STORE_ROOM_AUDIO);
	assert_true(live);
	assert_affil(h->rooms_store, "live", "alice", STORE_AFFIL_HOST);
	assert_affil(h->rooms_store, "live", "bob", STORE_AFFIL_SPEAKER);
	/* The occupants are the instance's. */
	assert_int_equal(store_occupant_list(h->rooms_store, "live", &occ, &n),
			 0);
	store_occupant_list_free(occ, n);
	assert_int_equal(n, 2);
	assert_int_equal(store_occupant_list(h->store, NULL, &occ, &n), 0);
	store_occupant_list_free(occ, n);
	assert_int_equal(n, 0);
	/* The directory: the one room it had, unchanged. */
	assert_int_equal(rooms_in(h->store), 1);
	assert_int_equal(room_in(h->store, "live", &kind, &live), 0);
	assert_int_equal(kind, STORE_ROOM_AUDIO);
	assert_true(live);
	assert_int_equal(rooms_in(h->rooms_store), 1);
}

/* 2. The platform's stage changes, made in the directory, reach the
 * occupants at the next look at its change log; an audio room the
 * instance does not hold stays the directory's. */
static void stage_changes_from_the_directory(void **state)
{
	struct harness *h = *state;
	const char *hosts[] = {"dave", NULL};
	static const struct harness_step carol_listens[] = {
		{.send = JOIN(C, "carol"),
		 .sent = 4,
		 .expect = {ITEM(LIVE, C, "carol", "none", "participant"),
			    "count(//*[@to!='" C "']) = 0"}},
	};
	static const struct harness_step carol_speaks[] = {
		{.sent = 3,
		 .expect = {ITEM(LIVE, A, "carol", "member", "participant"),
			    ITEM(LIVE, B, "carol", "member", "participant"),
			    ITEM(LIVE, C, "carol", "member", "participant"),
			    "/presence[@to='" A "'][@from='" LIVE "/carol']"
			    "/hats:hats/hats:hat[@title='Speaker']"}},
	};
	static const struct harness_step bob_host[] = {
		{.sent = 3,
		 .expect = {ITEM(LIVE, A, "bob", "owner", "moderator"),
			    ITEM(LIVE, B, "bob", "owner", "moderator"),
			    ITEM(LIVE, C, "bob", "owner", "moderator")}},
	};
	static const struct harness_step quiet[] = {
		{.sent = HARNESS_NONE},
	};
	enum store_room_kind kind;
	bool live;

	harness_run(h, alice_and_bob);
	harness_run(h, carol_listens);
	assert_int_equal(store_room_stage(h->store, "live", "carol",
					  STORE_AFFIL_SPEAKER),
			 0);
	tick(h);
	harness_run(h, carol_speaks);
	assert_affil(h->rooms_store, "live", "carol", STORE_AFFIL_SPEAKER);
	assert_int_equal(store_room_stage(h->store, "live", "bob",
					  STORE_AFFIL_HOST),
			 0);
	tick(h);
	harness_run(h, bob_host);
	/* Nothing new: nothing sent. */
	tick(h);
	harness_run(h, quiet);
	/* Another audio room, routed to another instance: its changes are
	 * not taken here. */
	assert_int_equal(store_room_open(h->store, "other", "Elsewhere", hosts,
					 NULL),
			 0);
	assert_int_equal(store_room_stage(h->store, "other", "carol",
					  STORE_AFFIL_SPEAKER),
			 0);
	tick(h);
	harness_run(h, quiet);
	assert_int_equal(room_in(h->rooms_store, "other", &kind, &live),
			 STORE_NOTFOUND);
	assert_int_equal(rooms_in(h->rooms_store), 1);
}

/* 3. Closed in the directory, the room ends here: a destroy to every
 * occupant, and no join brings it back. */
static void closed_in_the_directory(void **state)
{
	struct harness *h = *state;
	static const struct harness_step closed[] = {
		{.sent = 2,
		 .expect = {"/presence[@to='" A "'][@type='unavailable']"
			    "/muc_user:x/muc_user:destroy"
			    "[muc_user:reason='The audio room has ended']",
			    "/presence[@to='" B "'][@type='unavailable']"
			    "/muc_user:x/muc_user:destroy"
			    "[muc_user:reason='The audio room has ended']"}},
		{.send = JOIN(C, "carol"),
		 .sent = 1,
		 .expect = {"/presence" ERR("item-not-found", "cancel")}},
	};
	enum store_room_kind kind;
	bool live;

	harness_run(h, alice_and_bob);
	assert_int_equal(store_room_close(h->store, "live"), 0);
	tick(h);
	harness_run(h, closed);
	assert_int_equal(room_in(h->rooms_store, "live", &kind, &live), 0);
	assert_int_equal(kind, STORE_ROOM_AUDIO);
	assert_false(live);
}

/* A ban made in the room stays through the platform's changes and a
 * restart of the instance; the room's subject too. */
static void room_decisions_stay(void **state)
{
	struct harness *h = *state;
	static const struct harness_step ban[] = {
		{.send = "<message type='groupchat' id='s2' from='" A "' to='"
			 ROOM "'><subject>Ours</subject></message>",
		 .sent = 2,
		 .expect = {"/message[@to='" A "'][subject='Ours']",
			    "/message[@to='" B "'][subject='Ours']"}},
		{.send = ADMIN_SET(A, "b1", "<item affiliation='outcast' "
					    "jid='dave@bc.test'/>"),
		 .sent = 3,
		 .expect = {"/iq[@type='result'][@id='b1']",
			    "/message[@to='" B "']/muc_user:x/muc_user:item"
			    "[@affiliation='outcast']"}},
	};
	struct store_room r;

	harness_run(h, alice_and_bob);
	harness_run(h, ban);
	/* The platform stages someone else, and takes bob off the stage. */
	assert_int_equal(store_room_stage(h->store, "live", "carol",
					  STORE_AFFIL_SPEAKER),
			 0);
	assert_int_equal(store_room_stage(h->store, "live", "bob",
					  STORE_AFFIL_NONE),
			 0);
	tick(h);
	assert_affil(h->rooms_store, "live", "dave", STORE_AFFIL_OUTCAST);
	assert_affil(h->rooms_store, "live", "carol", STORE_AFFIL_SPEAKER);
	assert_affil(h->rooms_store, "live", "bob", STORE_AFFIL_NONE);
	harness_clear(h);
	harness_feed(h, JOIN(E, "dave"));
	harness_assert_count(h, 1);
	harness_assert(h, 0, "local-name(/presence/error/*)", "forbidden");
	assert_int_equal(store_room_get(h->rooms_store, "live", &r), 0);
	assert_string_equal(r.subject, "Ours");
	store_room_clear(&r);
}

/* An account unlinked on the master (the change log brings it) leaves
 * the rooms it is in on the instance, as one unlinked through the
 * instance would (§9.4: status 321); one linked again in between stays. */
static void unlinked_on_the_master_leaves(void **state)
{
	struct harness *h = *state;
	static const struct harness_step gone[] = {
		{.sent = 2,
		 .expect = {"/presence[@to='" B "'][@type='unavailable']"
			    "[@from='" LIVE "/bob']"
			    "/muc_user:x/muc_user:status[@code='321']",
			    "/presence[@to='" A "'][@type='unavailable']"
			    "[@from='" LIVE "/bob']"
			    "/muc_user:x/muc_user:status[@code='321']"}},
	};

	harness_run(h, alice_and_bob);
	/* Unlinked and linked again before the instance looks: it stays. */
	assert_int_equal(store_unlink(h->store, "alice", "alice@example.org"),
			 0);
	assert_int_equal(store_link(h->store, "alice", "alice@example.org"),
			 0);
	tick(h);
	assert_int_equal(h->n_sent, 0);
	assert_int_equal(store_unlink(h->store, "bob", "bob@example.org"), 0);
	tick(h);
	harness_run(h, gone);
	tick(h);
	assert_int_equal(h->n_sent, 0);
	/* Linked again, but to another identity: it leaves as alice. */
	assert_int_equal(store_unlink(h->store, "alice", "alice@example.org"),
			 0);
	assert_int_equal(store_link(h->store, "dave", "alice@example.org"),
			 0);
	tick(h);
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/presence[@type='unavailable']/@from)",
		       LIVE "/alice");
	harness_assert(h, 0,
		       "string(/presence/muc_user:x/muc_user:status"
		       "[@code='321']/@code)",
		       "321");
}

/* 4. A group chat made by joining on the instance is the instance's
 * alone. */
static void group_chat_stays_in_the_rooms_store(void **state)
{
	struct harness *h = *state;
	static const struct harness_step made[] = {
		{.send = JOIN_TO(FRIENDS, A, "alice"),
		 .sent = 2,
		 .expect = {"0: " ITEM(FRIENDS, A, "alice", "owner",
				       "moderator"),
			    "0: /presence/muc_user:x"
			    "/muc_user:status[@code='201']"}},
		{.send = "<iq type='set' id='i1' from='" A "' to='" FRIENDS
			 "'><query xmlns='" NS_MUC_OWNER "'>" INSTANT
			 "</query></iq>",
		 .sent = 1,
		 .expect = {"/iq[@type='result'][@id='i1']"}},
	};
	static const struct harness_step invite[] = {
		/* An invitation to a member who does not know alice would
		 * open a message request, which only D keeps: refused, and
		 * dave is not made a member. */
		{.send = "<message id='v1' from='" A "' to='" FRIENDS "'>"
			 "<x xmlns='" NS_MUC_USER "'><invite to='dave@" D "'/>"
			 "</x></message>",
		 .sent = 1,
		 .expect = {"/message[@type='error'][@id='v1']"
			    "/error/st:not-allowed"}},
		{.send = JOIN_TO(FRIENDS, E, "dave"),
		 .sent = 1,
		 .expect = {"/presence" ERR("registration-required", "auth")}},
	};
	enum store_room_kind kind;
	bool live;

	harness_run(h, made);
	harness_run(h, invite);
	/* With <rooms audio-prefix>, a member's join makes no group chat of
	 * a name kept for audio rooms, and nothing is stored. */
	h->cfg->rooms_audio_prefix = strdup("live-");
	harness_clear(h);
	harness_feed(h, JOIN_TO("live-later@" M, A, "alice"));
	harness_assert_count(h, 1);
	harness_assert(h, 0, "local-name(/presence/error/*)", "not-allowed");
	assert_int_equal(room_in(h->rooms_store, "live-later", &kind, &live),
			 STORE_NOTFOUND);
	assert_int_equal(room_in(h->rooms_store, "friends", &kind, &live), 0);
	assert_int_equal(kind, STORE_ROOM_GROUP);
	assert_affil(h->rooms_store, "friends", "alice", STORE_AFFIL_OWNER);
	assert_int_equal(room_in(h->store, "friends", &kind, &live),
			 STORE_NOTFOUND);
	assert_int_equal(rooms_in(h->store), 1);
	/* A change note of the directory naming it changes nothing here. */
	tick(h);
	harness_assert_count(h, 0);
	assert_int_equal(room_in(h->rooms_store, "friends", &kind, &live), 0);
}

/* friends@M on the instance: alice owns it, bob and carol are members and
 * in it; bob says something rude, its id in slot g1. */
static const struct harness_step friends_room[] = {
	{.send = JOIN_TO(FRIENDS, A, "alice"), .sent = 2},
	{.send = "<iq type='set' id='i1' from='" A "' to='" FRIENDS "'>"
		 "<query xmlns='" NS_MUC_OWNER "'>" INSTANT "</query></iq>",
	 .expect = {"/iq[@type='result'][@id='i1']"}},
	{.send = "<iq type='set' id='m1' from='" A "' to='" FRIENDS "'>"
		 "<query xmlns='" NS_MUC_ADMIN "'>"
		 "<item affiliation='member' jid='bob@" D "'/>"
		 "<item affiliation='member' jid='carol@" D "'/>"
		 "</query></iq>",
	 .expect = {"/iq[@type='result'][@id='m1']"}},
	{.send = JOIN_TO(FRIENDS, B, "bob")},
	{.send = JOIN_TO(FRIENDS, C, "carol")},
	{.send = SAY_TO(FRIENDS, B, "rude words in the room"),
	 .sent = 3,
	 .capture = {{"g1", "/message[@to='" C "']/sid:stanza-id"
			    "[@by='" FRIENDS "']/@id"}}},
};

/* The <filed/> message the instance sends on a report of carol on bob's
 * message g1, with the text 'in the room'. */
#define FILED_SENT                                                             \
	"/message[@from='" M "'][@to='" D "']"                                 \
	"[not(.//@*[contains(., 'example.org')])]"                             \
	"[not(contains(., 'example.org'))]"                                    \
	"/filed:filed[@reporter='carol'][@reported='bob']"                     \
	"[@reason='urn:xmpp:reporting:abuse'][filed:text='in the room']"

/* 5. A room report on the instance: one message from M to D with what was
 * chosen here; the directory is not written. */
static void room_report_sent_on_to_d(void **state)
{
	struct harness *h = *state;
	static const struct harness_step report[] = {
		{.send = ROOM_REPORT(FRIENDS, C,
				     SID(FRIENDS, "${g1}")
				     "<text>in the room</text>"),
		 .sent = 2,
		 .expect = {"/iq[@type='result'][@id='rr'][@to='" C "']"
			    "[not(*)]",
			    "count(/message) = 1",
			    FILED_SENT,
			    FILED_SENT "[count(filed:room) = 1]"
			    "/filed:room[@name='friends']"
			    "[count(filed:staff) = 1]"
			    "/filed:staff[@who='alice']",
			    FILED_SENT "[count(filed:evidence) = 1]"
			    "/filed:evidence[@room='0']"
			    "[@ms='1800000000000']/client:message"
			    "[@from='" FRIENDS "/bob']"
			    "[client:body='rude words in the room']"
			    "/sid:stanza-id[@by='" FRIENDS "'][@id='${g1}']"},
		 .never = {"bob@example.org", "alice@example.org"}},
		/* Not blocked here: the instance does not change the
		 * directory; carol still hears bob. */
		{.send = SAY_TO(FRIENDS, B, "more"),
		 .sent = 3,
		 .expect = {"/message[@to='" C "'][body='more']"}},
	};

	harness_run(h, friends_room);
	harness_run(h, report);
	assert_false(blocks(h->store, "carol", "bob"));
	assert_int_equal(reports_in(h->store), 0);
	assert_false(blocks(h->rooms_store, "carol", "bob"));
	assert_int_equal(reports_in(h->rooms_store), 0);
}

/* 5 and 6 together: what the instance sent is what D files. */
static void instance_report_filed_by_d(void **state)
{
	struct harness *h = *state, *d;
	static const struct harness_step report[] = {
		{.send = ROOM_REPORT(FRIENDS, C,
				     SID(FRIENDS, "${g1}")
				     "<text>in the room</text>"),
		 .sent = 2,
		 .expect = {FILED_SENT}},
	};
	static const struct harness_step filed[] = {
		{.send = "${filed}",
		 .sent = 2,
		 .expect = {"/message[@to='" MOD "'][@from='" D "']"
			    "/rep:report[@reason='urn:xmpp:reporting:abuse']"
			    "[jid:jid='bob@" D "'][rep:text='in the room']",
			    "/message[@to='" MOD "']/fwd:forwarded"
			    "/client:message[@from='" FRIENDS "/bob']"
			    "[client:body='rude words in the room']",
			    "/message[@to='alice@example.org'][@from='" D "']"
			    "/fwd:forwarded/client:message"
			    "[client:body='rude words in the room']"},
		 .never = {"bob@example.org", "carol@example.org"}},
	};
	size_t i;

	harness_run(h, friends_room);
	harness_run(h, report);
	d = master();
	for (i = 0; i < h->n_sent; i++)
		if (strncmp(h->sent[i], "<message", 8) == 0)
			harness_var_set(d, "filed", h->sent[i]);
	assert_non_null(harness_var(d, "filed"));
	harness_run(d, filed);
	harness_assert_report(d, 1, "carol", "bob", "in the room",
			      "rude words in the room");
	assert_true(blocks(d->store, "carol", "bob"));
	harness_free(d);
}

/* 6. D files a <filed/> message from M: the report stored, the block
 * made, the moderator and the room's staff told with the evidence. */
static void d_files_what_m_sent(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = FILED_OK,
		 .sent = 2,
		 .expect = {"/message[@to='" MOD "'][@from='" D "']"
			    "/rep:report[@reason='urn:xmpp:reporting:abuse']"
			    "[jid:jid='bob@" D "'][rep:text='in the room']",
			    "/message[@to='" MOD "'][count(fwd:forwarded) = 1]"
			    "/fwd:forwarded[delay:delay]/client:message"
			    "[@from='" FRIENDS "/bob']"
			    "[client:body='rude words in the room']",
			    "/message[@to='alice@example.org'][@from='" D "']"
			    "/rep:report/jid:jid[.='bob@" D "']",
			    "/message[@to='alice@example.org']"
			    "[count(fwd:forwarded) = 1]/fwd:forwarded"
			    "/client:message"
			    "[client:body='rude words in the room']",
			    "count(//*[local-name()='error']) = 0"},
		 .never = {"bob@example.org", "carol@example.org"}},
	};

	assert_int_equal(reports_in(h->store), 0);
	assert_false(blocks(h->store, "carol", "bob"));
	harness_run(h, steps);
	harness_assert_report(h, 1, "carol", "bob", "in the room",
			      "rude words in the room");
	assert_true(blocks(h->store, "carol", "bob"));
	assert_false(blocks(h->store, "bob", "carol"));
}

/* The staff of the room is told at its linked JIDs, never the reporter
 * or the reported even when they are staff. */
static void d_tells_staff_but_not_the_parties(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = FILED(M, FILED_ATTRS,
			       "<room name='friends'><staff who='alice'/>"
			       "<staff who='dave'/><staff who='bob'/>"
			       "<staff who='carol'/></room>"
			       FILED_EVIDENCE("0")),
		 .sent = 3,
		 .expect = {"/message[@to='" MOD "']/rep:report",
			    "/message[@to='alice@example.org']/rep:report",
			    "/message[@to='dave@example.org']/rep:report"},
		 .never = {"bob@example.org", "carol@example.org"}},
	};

	harness_run(h, steps);
	assert_int_equal(reports_in(h->store), 1);
}

/* The same message from anyone but M itself, or when M is not left to
 * rooms instances: <forbidden/>, nothing filed or blocked. */
static void d_takes_filings_from_m_alone(void **state)
{
	struct harness *h = *state;
	static const struct harness_step others[] = {
		{.send = FILED(C, FILED_ATTRS, FILED_ROOM FILED_EVIDENCE("0")),
		 .sent = 1,
		 .expect = {"/message[@to='" C "']" ERR("forbidden", "auth")}},
		/* From D or M themselves: nothing is answered there (a
		 * reply could come back to this daemon), only logged. */
		{.send = FILED(M "/res", FILED_ATTRS,
			       FILED_ROOM FILED_EVIDENCE("0")),
		 .sent = 0},
		{.send = FILED("carol@" D, FILED_ATTRS,
			       FILED_ROOM FILED_EVIDENCE("0")),
		 .sent = 0},
		{.send = FILED("other." M, FILED_ATTRS,
			       FILED_ROOM FILED_EVIDENCE("0")),
		 .sent = 1,
		 .expect = {"/message" ERR("forbidden", "auth")}},
	};
	static const struct harness_step not_sharded[] = {
		{.send = FILED_OK, .sent = 0},
	};

	harness_run(h, others);
	h->cfg->rooms_sharded = false;
	harness_run(h, not_sharded);
	assert_int_equal(reports_in(h->store), 0);
	assert_false(blocks(h->store, "carol", "bob"));
}

/* Malformed filings from M: nothing filed or blocked, and nothing answered
 * to M (logged). */
static void d_refuses_malformed_filings(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		/* No reporter. */
		{.send = FILED(M, "reported='bob' "
				  "reason='urn:xmpp:reporting:abuse'",
			       FILED_ROOM FILED_EVIDENCE("0")),
		 .sent = 0},
		/* No reason, then one that is not XEP-0377's. */
		{.send = FILED(M, "reporter='carol' reported='bob'",
			       FILED_ROOM FILED_EVIDENCE("0")),
		 .sent = 0},
		{.send = FILED(M, "reporter='carol' reported='bob' "
				  "reason='urn:example:rude'",
			       FILED_ROOM FILED_EVIDENCE("0")),
		 .sent = 0},
		/* No reported. */
		{.send = FILED(M, "reporter='carol' "
				  "reason='urn:xmpp:reporting:abuse'",
			       FILED_ROOM FILED_EVIDENCE("0")),
		 .sent = 0},
		/* Evidence naming a room that is not there. */
		{.send = FILED(M, FILED_ATTRS, FILED_ROOM FILED_EVIDENCE("1")),
		 .sent = 0},
		{.send = FILED(M, FILED_ATTRS, FILED_EVIDENCE("0")),
		 .sent = 0},
		/* A room without a name; evidence without its message. */
		{.send = FILED(M, FILED_ATTRS,
			       "<room><staff who='alice'/></room>"
			       FILED_EVIDENCE("0")),
		 .sent = 0},
		{.send = FILED(M, FILED_ATTRS,
			       FILED_ROOM "<evidence ms='1' room='0'/>"),
		 .sent = 0},
	};

	harness_run(h, steps);
	assert_int_equal(reports_in(h->store), 0);
	assert_false(blocks(h->store, "carol", "bob"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define SHARD(fn) cmocka_unit_test_setup_teardown(fn, setup_shard,            \
						   harness_teardown)
#define MASTER(fn) cmocka_unit_test_setup_teardown(fn, setup_master,          \
						    harness_teardown)
		SHARD(audio_room_taken_on_first_use),
		SHARD(stage_changes_from_the_directory),
		SHARD(closed_in_the_directory),
		SHARD(unlinked_on_the_master_leaves),
		SHARD(room_decisions_stay),
		SHARD(group_chat_stays_in_the_rooms_store),
		SHARD(room_report_sent_on_to_d),
		SHARD(instance_report_filed_by_d),
		MASTER(d_files_what_m_sent),
		MASTER(d_tells_staff_but_not_the_parties),
		MASTER(d_takes_filings_from_m_alone),
		MASTER(d_refuses_malformed_filings),
#undef SHARD
#undef MASTER
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
