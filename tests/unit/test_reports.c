/*
 * test_reports.c - XEP-0377 reports that name messages by their XEP-0359
 * stanza ids (one-to-one and room messages), the evidence chosen and
 * forwarded to the moderators (XEP-0297 with XEP-0203 stamps), the older
 * urn:xmpp:reporting:0 shape, malformed reports, reports on handles that
 * do not exist, and evidence kept by a block.
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
#include "component/xmalloc.h"
#include "store/store.h"
#include "tests/unit/harness.h"
#include "tests/unit/muc-steps.h"
#include "xep/ns.h"

#define T0 1800000000000LL

#define A "alice@example.org/pc"
#define B "bob@example.org/pc"
#define C "carol@example.org/pc"
#define E "eve@example.org/pc"
#define M "rooms.bc.test"
#define ROOM "friends@" M

/* alice, bob and carol know each other; eve knows nobody; mod is the
 * service's moderator. */
static struct harness *world(const char *extra)
{
	struct harness *h;

	clock_pin(T0);
	h = harness_new(extra, true);
	harness_member(h, "alice", NULL, "alice@example.org");
	harness_member(h, "bob", NULL, "bob@example.org");
	harness_member(h, "carol", NULL, "carol@example.org");
	harness_member(h, "eve", NULL, "eve@example.org");
	assert_int_equal(store_follow(h->store, "alice", "bob"), 0);
	assert_int_equal(store_follow(h->store, "bob", "alice"), 0);
	assert_int_equal(store_follow(h->store, "alice", "carol"), 0);
	assert_int_equal(store_follow(h->store, "carol", "alice"), 0);
	assert_int_equal(store_follow(h->store, "bob", "carol"), 0);
	assert_int_equal(store_follow(h->store, "carol", "bob"), 0);
	return h;
}

static int setup(void **state)
{
	*state = world("<moderator jid='mod@example.org'/>");
	return 0;
}

/* Two distinct reporters restrict. */
static int setup_threshold_two(void **state)
{
	*state = world("<moderator jid='mod@example.org'/>"
		       "<reports threshold='2' window='24h'/>");
	return 0;
}

/* No moderator configured. */
static int setup_no_moderators(void **state)
{
	*state = world(NULL);
	return 0;
}

#define CHAT(from, to, body)                                                   \
	"<message type='chat' from='" from "' to='" to "'><body>" body         \
	"</body></message>"
#define BOT(from, text) CHAT(from, "bc.test", text)
#define SET(from, payload)                                                     \
	"<iq type='set' id='r1' from='" from "' to='bc.test'>" payload "</iq>"
#define BLK "xmlns='urn:xmpp:blocking'"
/* A block of jid with a report (reporting:1, spam) holding extra. */
#define REPORT(from, jid, extra)                                               \
	SET(from, "<block " BLK "><item jid='" jid "'><report "                \
		  "xmlns='urn:xmpp:reporting:1' "                              \
		  "reason='urn:xmpp:reporting:spam'>" extra                    \
		  "</report></item></block>")
#define SID(by, id) "<stanza-id xmlns='urn:xmpp:sid:0' by='" by "' id='" id "'/>"

/* An XPath true of the message to the moderator when it holds no real
 * JID (of anyone under example.org but the moderator, in its 'to') in an
 * attribute or in text. */
#define MOD_CLEAN                                                              \
	"count(/message[@to='mod@example.org']"                                \
	"[count(.//@*[contains(., 'example.org')]) = 1]"                       \
	"[not(contains(., 'example.org'))]) = 1"

/* The latest report holds exactly n pieces of evidence, piece i holding
 * has[i]. */
static void assert_evidence(struct harness *h, size_t n, const char **has)
{
	struct store_report *reps = NULL;
	size_t got = 0, i, k;

	assert_int_equal(store_report_list(h->store, false, &reps, &got), 0);
	assert_true(got > 0);
	for (k = 0; reps[got - 1].evidence != NULL &&
		    reps[got - 1].evidence[k] != NULL;
	     k++)
		;
	assert_int_equal(k, n);
	for (i = 0; i < n; i++)
		assert_non_null(strstr(reps[got - 1].evidence[i], has[i]));
	store_report_list_free(reps, got);
}

static size_t reports_stored(struct harness *h)
{
	struct store_report *reps = NULL;
	size_t got = 0;

	assert_int_equal(store_report_list(h->store, false, &reps, &got), 0);
	store_report_list_free(reps, got);
	return got;
}

/* clang-format off: step tables keep their layout */

/* bob writes alice twice, alice answers, carol writes alice: the ids of
 * each in slots b1, b2, a1, c1. */
static const struct harness_step conversation[] = {
	{.send = CHAT(B, "alice@bc.test", "first from bob"), .sent = 1,
	 .capture = {{"b1", "/message/sid:stanza-id[@by='bob@bc.test']/@id"}}},
	{.send = CHAT(B, "alice@bc.test", "second from bob"), .sent = 1,
	 .capture = {{"b2", "/message/sid:stanza-id[@by='bob@bc.test']/@id"}},
	 /* Unguessable and unique: not the first one again. */
	 .expect = {"/message/sid:stanza-id[@id != '${b1}']"}},
	{.send = CHAT(A, "bob@bc.test", "alice answers"), .sent = 1,
	 .capture = {{"a1", "/message/sid:stanza-id[@by='alice@bc.test']"
			    "/@id"}}},
	{.send = CHAT(C, "alice@bc.test", "carol to alice"), .sent = 1,
	 .capture = {{"c1", "/message/sid:stanza-id[@by='carol@bc.test']"
			    "/@id"}}},
};

/* Every relayed message carries the service's id, a childless one and
 * one with forged ids too (those are dropped). */
HARNESS_TEST(every_relayed_message_is_stamped,
	{.send = "<message type='chat' id='e' from='" B "' to='alice@bc.test'/>",
	 .sent = 1, .expect = {
		 "/message[@id='e'][count(*) = 1]/sid:stanza-id"
		 "[@by='bob@bc.test'][string-length(@id) = 22]",
	 }},
	{.send = "<message type='chat' id='f' from='" B "' to='alice@bc.test'>"
		 "<body>x</body>" SID("bob@bc.test", "forged")
		 SID("alice@bc.test", "forged2") "</message>",
	 .sent = 1, .expect = {
		 "count(/message/sid:stanza-id) = 1",
		 "/message/sid:stanza-id[@by='bob@bc.test'][@id != 'forged']",
		 "/message/*[last()][local-name() = 'stanza-id']",
	 }})

/* A report naming ids keeps exactly the named messages between the two
 * (either way); ids of another pair and made-up ids are ignored, and the
 * answer is the same. */
static void references_choose_the_evidence(void **state)
{
	static const struct harness_step report[] = {
		{.send = REPORT(A, "bob@bc.test",
				SID("bob@bc.test", "${b2}")
				SID("alice@bc.test", "${a1}")
				SID("carol@bc.test", "${c1}")
				SID("bob@bc.test", "made-up")),
		 .sent = 2, .expect = {
			 MOD_CLEAN,
			 "0: /message[@to='mod@example.org'][@from='bc.test']"
			 "/rep:report[@reason='urn:xmpp:reporting:spam']"
			 "/jid:jid[.='bob@bc.test']",
			 "0: count(/message/fwd:forwarded) = 2",
			 /* XEP-0297 with a XEP-0203 stamp, in order. */
			 "0: /message/fwd:forwarded[1][delay:delay/@stamp]"
			 "/client:message[@from='bob@bc.test']"
			 "[@to='alice@bc.test'][@type='chat']"
			 "[client:body='second from bob']"
			 "/sid:stanza-id[@id='${b2}']",
			 "0: /message/fwd:forwarded[2]/client:message"
			 "[@from='alice@bc.test'][@to='bob@bc.test']"
			 "[client:body='alice answers']",
			 "0: contains(/message/body, '2 messages attached')",
			 "0: not(//*[contains(., 'carol to alice')])",
			 "1: /iq[@type='result'][@id='r1'][not(*)]",
		 },
		 .never = {"bob@example.org", "carol@example.org",
			    "eve@example.org"}},
	};
	struct harness *h = *state;
	const char *has[] = {"second from bob", "alice answers"};

	harness_run(h, conversation);
	harness_run(h, report);
	assert_evidence(h, 2, has);
}

/* Only ids nobody gave, or of other people's messages: the same answer,
 * nothing kept, nothing forwarded. */
static void foreign_references_are_ignored(void **state)
{
	static const struct harness_step report[] = {
		{.send = REPORT(A, "bob@bc.test",
				SID("carol@bc.test", "${c1}")
				SID("bob@bc.test", "AAAAAAAAAAAAAAAAAAAAAA")
				SID("bob@example.org", "${b1}x")),
		 .sent = 2, .expect = {
			 MOD_CLEAN,
			 "0: /message[@to='mod@example.org']/rep:report",
			 "0: count(/message/fwd:forwarded) = 0",
			 "0: contains(/message/body, '0 messages attached')",
			 "1: /iq[@type='result'][@id='r1'][not(*)]",
		 },
		 .never = {"bob@example.org", "carol@example.org",
			    "eve@example.org"}},
		/* bob reports carol naming alice's message to him: not
		 * between bob and carol. */
		{.send = REPORT(B, "carol@bc.test",
				SID("alice@bc.test", "${a1}")),
		 .sent = 2, .expect = {
			 "0: count(/message/fwd:forwarded) = 0",
			 "1: /iq[@type='result'][not(*)]",
		 }},
	};
	struct harness *h = *state;

	harness_run(h, conversation);
	harness_run(h, report);
	assert_evidence(h, 0, NULL);
	assert_int_equal(reports_stored(h), 2);
}

/* Without references: the recent messages from the reported to the
 * reporter, forwarded with their times. */
static void without_references_the_recent_messages(void **state)
{
	static const struct harness_step report[] = {
		{.advance = 60000,
		 .send = REPORT(A, "bob@bc.test", "<text>junk</text>"),
		 .sent = 2, .expect = {
			 "0: count(/message/fwd:forwarded) = 2",
			 "0: /message/fwd:forwarded[1]/delay:delay"
			 "[@stamp='2027-01-15T08:00:00.000Z'][@from='bc.test']",
			 "0: /message/fwd:forwarded[1]/client:message"
			 "[client:body='first from bob'][@from='bob@bc.test']",
			 "0: /message/fwd:forwarded[2]/client:message"
			 "[client:body='second from bob']",
			 "0: /message/rep:report/rep:text[.='junk']",
			 "0: contains(/message/body, 'alice@bc.test reported "
			 "bob@bc.test')",
		 },
		 .never = {"bob@example.org", "carol@example.org",
			    "alice answers"}},
	};
	struct harness *h = *state;
	const char *has[] = {"first from bob", "second from bob"};

	harness_run(h, conversation);
	harness_run(h, report);
	assert_evidence(h, 2, has);
}

/* A message held in a request keeps the id it was held with when it is
 * delivered, and a report naming it finds it. */
static void held_messages_keep_their_id(void **state)
{
	static const struct harness_step steps[] = {
		{.send = CHAT(E, "alice@bc.test", "hello from a stranger")},
		{.send = BOT(A, "accept eve"),
		 .capture = {{"e1", "/message[@from='eve@bc.test']"
				    "/sid:stanza-id[@by='eve@bc.test']/@id"}},
		 .expect = {"/message[@from='eve@bc.test']"
			    "[body='hello from a stranger']/delay:delay"}},
		{.send = REPORT(A, "eve@bc.test", SID("eve@bc.test", "${e1}")),
		 .sent = 2, .expect = {
			 MOD_CLEAN,
			 "0: /message/fwd:forwarded/client:message"
			 "[client:body='hello from a stranger']"
			 "/sid:stanza-id[@id='${e1}']",
		 },
		 .never = {"bob@example.org", "carol@example.org",
			    "eve@example.org"}},
	};
	struct harness *h = *state;
	const char *has[] = {"hello from a stranger"};

	harness_run(h, steps);
	assert_evidence(h, 1, has);
}

/* A block drops the request, but its held messages stay as evidence for
 * a later report. */
static void block_then_report_keeps_held_messages(void **state)
{
	static const struct harness_step steps[] = {
		{.send = CHAT(E, "alice@bc.test", "buy my stuff")},
		{.send = BOT(A, "block eve"),
		 .expect = {"contains(/message/body, 'Blocked eve')"}},
		{.send = BOT(A, "report eve spam still at it"),
		 .expect = {
			 MOD_CLEAN,
			 "/message[@to='mod@example.org']"
			 "/fwd:forwarded/client:message"
			 "[client:body='buy my stuff'][@from='eve@bc.test']",
		 },
		 .never = {"bob@example.org", "carol@example.org",
			    "eve@example.org"}},
	};
	struct harness *h = *state;
	const char *has[] = {"buy my stuff"};

	harness_run(h, steps);
	assert_evidence(h, 1, has);
}

/* M's moderators: alice owns friends@M, bob and carol are members. */
#define GROUPCHAT(from, text)                                                  \
	"<message type='groupchat' from='" from "' to='" ROOM "'><body>" text  \
	"</body></message>"

static const struct harness_step room[] = {
	{.send = JOIN(A, "alice"), .sent = 2},
	{.send = "<iq type='set' id='i1' from='" A "' to='" ROOM "'>"
		 "<query xmlns='" NS_MUC_OWNER "'><x xmlns='" NS_DATA "' "
		 "type='submit'/></query></iq>",
	 .expect = {"/iq[@type='result'][@id='i1']"}},
	{.send = "<iq type='set' id='m1' from='" A "' to='" ROOM "'>"
		 "<query xmlns='" NS_MUC_ADMIN "'>"
		 "<item affiliation='member' jid='bob@bc.test'/>"
		 "<item affiliation='member' jid='carol@bc.test'/>"
		 "</query></iq>",
	 .expect = {"/iq[@type='result'][@id='m1']"}},
	{.send = JOIN(B, "bob")},
	{.send = JOIN(C, "carol")},
	{.send = GROUPCHAT(B, "rude words in the room"),
	 .capture = {{"g1", "/message[@to='" C "']/sid:stanza-id"
			    "[@by='" ROOM "']/@id"}}},
	{.send = GROUPCHAT(A, "the owner speaks"),
	 .capture = {{"g2", "/message[@to='" C "']/sid:stanza-id"
			    "[@by='" ROOM "']/@id"}}},
};

/* A room message named by the room's id: kept only when the reported
 * sent it and the reporter belongs to the room; the room's owners hear
 * of it, beside the service's moderators. */
static void room_message_reports(void **state)
{
	static const struct harness_step steps[] = {
		/* carol names bob's message, and alice's, as bob's. */
		{.send = REPORT(C, "bob@bc.test",
				SID(ROOM, "${g1}") SID(ROOM, "${g2}")
				SID(ROOM, "${g1}")),
		 .sent = 3, .expect = {
			 "/message[@to='mod@example.org']"
			 "[count(fwd:forwarded) = 1]/fwd:forwarded"
			 "[delay:delay]/client:message"
			 "[@from='" ROOM "/bob']"
			 "[client:body='rude words in the room']"
			 "/sid:stanza-id[@by='" ROOM "'][@id='${g1}']",
			 /* The owner, at her linked JID. */
			 "/message[@to='alice@example.org']"
			 "/rep:report/jid:jid[.='bob@bc.test']",
			 "/message[@to='alice@example.org']"
			 "/fwd:forwarded/client:message"
			 "[client:body='rude words in the room']",
			 "not(//*[contains(., 'the owner speaks')])",
			 "/iq[@type='result'][@id='r1'][not(*)]",
			 /* The reporter's real JID reaches nobody but her. */
			 "count(/message[contains(., 'example.org') or "
			 ".//@*[contains(., 'carol@example.org')]]) = 0",
		 },
		 .never = {"bob@example.org", "eve@example.org"}},
	};
	/* eve is not in the room: the same id gives her nothing, and the
	 * room's owner hears nothing of it. */
	static const struct harness_step outsider[] = {
		{.send = REPORT(E, "bob@bc.test", SID(ROOM, "${g1}")),
		 .sent = 2, .expect = {
			 MOD_CLEAN,
			 "0: /message[@to='mod@example.org']"
			 "[count(fwd:forwarded) = 0]",
			 "1: /iq[@type='result'][@id='r1'][not(*)]",
		 },
		 .never = {"alice@example.org", "bob@example.org",
			    "carol@example.org"}},
	};
	/* A report on the room's owner never reaches the owner: the
	 * reported does not learn who reported them. */
	static const struct harness_step about_the_owner[] = {
		{.send = REPORT(C, "alice@bc.test", SID(ROOM, "${g2}")),
		 .sent = 2, .expect = {
			 "0: /message[@to='mod@example.org']/fwd:forwarded"
			 "/client:message[client:body='the owner speaks']",
			 "1: /iq[@type='result'][@id='r1'][not(*)]",
		 },
		 .never = {"alice@example.org"}},
	};
	struct harness *h = *state;
	const char *has[] = {"rude words in the room"};
	const char *owner_said[] = {"the owner speaks"};

	harness_run(h, room);
	harness_run(h, steps);
	assert_evidence(h, 1, has);
	harness_run(h, outsider);
	assert_evidence(h, 0, NULL);
	harness_run(h, about_the_owner);
	assert_evidence(h, 1, owner_said);
}

/* A report naming a room message and one-to-one messages: the room's
 * owner hears of the room message only, never of the reporter's private
 * conversation; the service's moderator gets all of it. */
static void room_owners_get_only_the_room_evidence(void **state)
{
	static const struct harness_step private[] = {
		{.send = CHAT(B, "carol@bc.test", "private words to carol"),
		 .sent = 1,
		 .capture = {{"p1", "/message/sid:stanza-id"
				    "[@by='bob@bc.test']/@id"}}},
		{.send = CHAT(C, "bob@bc.test", "carol answers privately"),
		 .sent = 1,
		 .capture = {{"p2", "/message/sid:stanza-id"
				    "[@by='carol@bc.test']/@id"}}},
	};
	static const struct harness_step steps[] = {
		{.send = REPORT(C, "bob@bc.test",
				SID("bob@bc.test", "${p1}")
				SID(ROOM, "${g1}")
				SID("carol@bc.test", "${p2}")),
		 .sent = 3, .expect = {
			 "count(/message[@to='mod@example.org']"
			 "/fwd:forwarded) = 3",
			 "/message[@to='mod@example.org']/fwd:forwarded"
			 "/client:message[client:body='private words to carol']",
			 "/message[@to='alice@example.org']"
			 "[count(fwd:forwarded) = 1]/fwd:forwarded"
			 "/client:message[client:body='rude words in the room']",
			 "/message[@to='alice@example.org']"
			 "[contains(body, '1 message attached')]",
			 "not(/message[@to='alice@example.org']"
			 "[contains(., 'privately') or contains(., 'private "
			 "words')])",
			 "/iq[@type='result'][@id='r1'][not(*)]",
		 },
		 .never = {"bob@example.org", "eve@example.org"}},
		/* Only one-to-one ids: the room's owner is not told. */
		{.send = REPORT(C, "bob@bc.test", SID("bob@bc.test", "${p1}")),
		 .sent = 2, .expect = {
			 "0: /message[@to='mod@example.org']/fwd:forwarded"
			 "/client:message[client:body='private words to carol']",
			 "1: /iq[@type='result'][@id='r1']",
		 },
		 .never = {"alice@example.org"}},
	};
	struct harness *h = *state;
	const char *has[] = {"private words to carol"};

	harness_run(h, room);
	harness_run(h, private);
	harness_run(h, steps);
	assert_evidence(h, 1, has);
}

#define ROOM_REPORT(from, extra)                                               \
	"<iq type='set' id='rr' from='" from "' to='" ROOM "'>"                \
	"<report xmlns='urn:xmpp:reporting:1' "                                \
	"reason='urn:xmpp:reporting:abuse'>" extra "</report></iq>"

/* The same report sent to the room itself: the sender of the message
 * named is the one reported; an id that names nothing the reporter could
 * see gets the same empty result and files nothing. */
static void room_report_sent_to_the_room(void **state)
{
	static const struct harness_step steps[] = {
		{.send = "<iq type='get' id='d' from='" C "' to='" ROOM "'>"
			 "<query xmlns='" NS_DISCO_INFO "'/></iq>",
		 .expect = {"/iq/disco:query/disco:feature"
			    "[@var='urn:xmpp:reporting:1']"}},
		{.send = ROOM_REPORT(C, SID(ROOM, "made-up")),
		 .sent = 1, .expect = {"/iq[@type='result'][@id='rr'][not(*)]"}},
		{.send = ROOM_REPORT(E, SID(ROOM, "${g1}")),
		 .sent = 1, .expect = {"/iq[@type='result'][@id='rr'][not(*)]"}},
		/* No id of this room: nothing to report. */
		{.send = ROOM_REPORT(C, SID("bob@bc.test", "${g1}")),
		 .sent = 1, .expect = {"/iq/error/st:bad-request"}},
		{.send = ROOM_REPORT(C, SID(ROOM, "${g1}")
					"<text>in the room</text>"),
		 .sent = 3, .expect = {
			 MOD_CLEAN,
			 "/message[@to='mod@example.org']/rep:report"
			 "[@reason='urn:xmpp:reporting:abuse']"
			 "[jid:jid='bob@bc.test'][rep:text='in the room']",
			 "/message[@to='mod@example.org']/fwd:forwarded"
			 "/client:message[client:body='rude words in the room']",
			 "/message[@to='alice@example.org']/fwd:forwarded"
			 "/client:message[client:body='rude words in the room']",
			 "/iq[@type='result'][@id='rr'][not(*)]",
		 },
		 .never = {"bob@example.org", "eve@example.org"}},
		/* A report blocks: carol no longer hears bob in the room. */
		{.send = GROUPCHAT(B, "more"),
		 .expect = {"/message[@to='" A "'][body='more']"},
		 .never = {"carol@example.org"}},
	};
	struct harness *h = *state;
	const char *has[] = {"rude words in the room"};

	harness_run(h, room);
	harness_run(h, steps);
	assert_int_equal(reports_stored(h), 1);
	assert_evidence(h, 1, has);
}

/* XEP-0377 0.2: <report xmlns='urn:xmpp:reporting:0'><spam/></report>,
 * handled like the current shape, and advertised. */
static void reporting_0(void **state)
{
	static const struct harness_step steps[] = {
		{.send = "<iq type='get' id='d' from='" A "' to='bc.test'>"
			 "<query xmlns='" NS_DISCO_INFO "'/></iq>",
		 .expect = {
			 "/iq/disco:query/disco:feature"
			 "[@var='urn:xmpp:reporting:0']",
			 "/iq/disco:query/disco:feature"
			 "[@var='urn:xmpp:reporting:reason:abuse:0']",
			 "/iq/disco:query/disco:feature"
			 "[@var='urn:xmpp:reporting:1']",
		 }},
		{.send = SET(A, "<block " BLK "><item jid='bob@bc.test'>"
			        "<report xmlns='urn:xmpp:reporting:0'><abuse/>"
			        "<text>old client</text></report></item>"
			        "</block>"),
		 .sent = 2, .expect = {
			 "0: /message[@to='mod@example.org']/rep:report"
			 "[@reason='urn:xmpp:reporting:abuse']"
			 "[rep:text='old client']",
			 "0: count(/message/fwd:forwarded) = 2",
			 "1: /iq[@type='result']",
		 }},
		/* It blocked, as every report does. */
		{.send = CHAT(B, "alice@bc.test", "still here"),
		 .expect = {"/message/error/st:service-unavailable"}},
	};
	struct harness *h = *state;
	struct store_report *reps = NULL;
	size_t n = 0;

	harness_run(h, conversation);
	harness_run(h, steps);
	assert_int_equal(store_report_list(h->store, false, &reps, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(reps[0].reason, "urn:xmpp:reporting:abuse");
	assert_string_equal(reps[0].text, "old client");
	store_report_list_free(reps, n);
}

#define BAD(payload)                                                           \
	{.send = SET(A, "<block " BLK "><item jid='bob@bc.test'>" payload      \
			"</item></block>"),                                    \
	 .sent = 1, .expect = {"/iq[@type='error']/error/st:bad-request",     \
			       "/iq/error/st:text[string-length(.) > 0]"}}
#define R1(extra)                                                              \
	"<report xmlns='urn:xmpp:reporting:1' "                                \
	"reason='urn:xmpp:reporting:spam'>" extra "</report>"

HARNESS_TEST(malformed_reports,
	/* An unknown reason, in either shape. */
	BAD("<report xmlns='urn:xmpp:reporting:1' reason='boring'/>"),
	BAD("<report xmlns='urn:xmpp:reporting:1'/>"),
	BAD("<report xmlns='urn:xmpp:reporting:0'><boring/></report>"),
	BAD("<report xmlns='urn:xmpp:reporting:0'/>"),
	BAD("<report xmlns='urn:xmpp:reporting:0'><spam/><abuse/></report>"),
	/* Two reports in one item. */
	BAD(R1("") R1("")),
	BAD(R1("") "<report xmlns='urn:xmpp:reporting:0'><spam/></report>"),
	/* Stanza ids without an id, without a 'by', with a bad 'by', too
	 * long. */
	BAD(R1("<stanza-id xmlns='urn:xmpp:sid:0' by='bob@bc.test'/>")),
	BAD(R1("<stanza-id xmlns='urn:xmpp:sid:0' id='x'/>")),
	BAD(R1("<stanza-id xmlns='urn:xmpp:sid:0' by='@' id='x'/>")),
	BAD(R1(SID("bob@bc.test", "0123456789012345678901234567890123456789"
				 "01234567890123456789012345"))),
	/* More than 16 references. */
	BAD(R1(SID("bob@bc.test", "1") SID("bob@bc.test", "2")
	       SID("bob@bc.test", "3") SID("bob@bc.test", "4")
	       SID("bob@bc.test", "5") SID("bob@bc.test", "6")
	       SID("bob@bc.test", "7") SID("bob@bc.test", "8")
	       SID("bob@bc.test", "9") SID("bob@bc.test", "10")
	       SID("bob@bc.test", "11") SID("bob@bc.test", "12")
	       SID("bob@bc.test", "13") SID("bob@bc.test", "14")
	       SID("bob@bc.test", "15") SID("bob@bc.test", "16")
	       SID("bob@bc.test", "17"))),
	/* None of it blocked anyone. */
	{.send = "<iq type='get' id='l' from='" A "' to='bc.test'>"
		 "<blocklist " BLK "/></iq>",
	 .sent = 1, .expect = {"not(//*[local-name()='item'])"}})

static void malformed_reports_store_nothing(void **state)
{
	malformed_reports(state);
	assert_int_equal(reports_stored(*state), 0);
}

/* A handle that does not exist: nothing is filed, nobody is told, and
 * the answers are the same words as for one that exists (which may have
 * blocked the reporter); a block stands either way, as for "block". */
static void no_such_handle(void **state)
{
	static const struct harness_step steps[] = {
		/* bob blocked alice: her report on bob is still filed. */
		{.send = BOT(B, "block alice")},
		{.send = BOT(A, "report bob spam bad"),
		 .sent = 2, .expect = {
			 "/message[@to='mod@example.org']",
			 "/message[@to='" A "'][body='Reported bob for spam "
			 "and blocked them.  Your report is noted.']",
		 }},
		{.send = BOT(A, "report nosuch spam bad"),
		 .sent = 1, .expect = {
			 "/message[@to='" A "'][body='Reported nosuch for spam "
			 "and blocked them.  Your report is noted.']",
		 }},
		/* The IQ form: the same empty result. */
		{.send = REPORT(A, "nosuch2@bc.test", ""),
		 .sent = 1, .expect = {"/iq[@type='result'][not(*)]"}},
		{.send = "<iq type='get' id='l' from='" A "' to='bc.test'>"
			 "<blocklist " BLK "/></iq>",
		 .expect = {"//block:item[@jid='nosuch@bc.test']",
			    "//block:item[@jid='nosuch2@bc.test']"}},
	};
	struct harness *h = *state;

	harness_run(h, steps);
	assert_int_equal(reports_stored(h), 1);
}

/* The ad-hoc "report" command: the same note for a handle that does not
 * exist as for one that does, and nothing filed about nobody. */
#define ADHOC_REPORT(peer)                                                     \
	{.send = "<iq type='set' id='c1' from='" A "' to='bc.test'>"           \
		 "<command xmlns='" NS_COMMANDS "' node='report' "             \
		 "action='execute'/></iq>",                                    \
	 .capture = {{"sid", "/iq/cmd:command/@sessionid"}}},                  \
	{.send = "<iq type='set' id='c2' from='" A "' to='bc.test'>"           \
		 "<command xmlns='" NS_COMMANDS "' node='report' "             \
		 "sessionid='${sid}'><x xmlns='jabber:x:data' type='submit'>"  \
		 "<field var='peer'><value>" peer "</value></field>"           \
		 "<field var='reason'><value>urn:xmpp:reporting:abuse"         \
		 "</value></field></x></command></iq>",                        \
	 .expect = {"/iq[@id='c2'][@type='result']/cmd:command"                \
		    "[@status='completed']/cmd:note[.='Reported " peer         \
		    " and blocked them.  Your report is noted.']"}}

HARNESS_TEST(adhoc_report_no_such_handle,
	ADHOC_REPORT("bob"),
	ADHOC_REPORT("nosuch"))

static void adhoc_report_files_once(void **state)
{
	adhoc_report_no_such_handle(state);
	assert_int_equal(reports_stored(*state), 1);
}

/* With no moderator configured, no answer claims one was told. */
static void no_moderators_no_claim(void **state)
{
	static const struct harness_step steps[] = {
		{.send = CHAT(B, "alice@bc.test", "hi")},
		{.send = BOT(A, "report bob abuse"),
		 .sent = 1, .expect = {
			 "/message[@to='" A "'][contains(body, 'Reported bob')]"
			 "[not(contains(body, 'oderator'))]",
		 }},
	};
	struct harness *h = *state;

	harness_run(h, steps);
	assert_int_equal(reports_stored(h), 1);
}

/* A report another server forwards to D: its message goes on to the
 * moderators rebuilt, a member's real JID in it made their address. */
HARNESS_TEST(forwarded_report_sanitised,
	{.send = "<message from='remote.example' to='bc.test'>"
		 "<report xmlns='urn:xmpp:reporting:1' "
		 "reason='urn:xmpp:reporting:spam'><jid "
		 "xmlns='urn:xmpp:jid:0'>bob@bc.test</jid></report>"
		 "<forwarded xmlns='urn:xmpp:forward:0'><message "
		 "from='bob@bc.test/x' to='alice@example.org/pc' type='chat'>"
		 "<body>buy now</body><thread>t</thread>"
		 SID("bob@bc.test", "made-up-elsewhere")
		 "<x xmlns='jabber:x:oob'><url>http://x</url></x>"
		 "</message></forwarded></message>",
	 .sent = 1, .expect = {
		 "/message[@to='mod@example.org']/fwd:forwarded"
		 "[delay:delay/@stamp]/client:message[@from='bob@bc.test']"
		 "[@to='alice@bc.test'][client:body='buy now'][count(*) = 1]",
	 },
	 /* Nothing but the body: no other element, no stanza id that
	  * another server could have made up. */
	 .never = {"alice@example.org", "jabber:x:oob", "made-up-elsewhere"}})

/* A report another server forwards about a member's linked account
 * names the member's address: stored, shown and counted against the
 * member (two distinct reporters restrict here), never the real JID. */
#define FORWARDED_ABOUT_BOB(domain)                                            \
	"<message from='" domain "' to='bc.test'>"                             \
	"<report xmlns='urn:xmpp:reporting:1' "                                \
	"reason='urn:xmpp:reporting:abuse'><jid xmlns='urn:xmpp:jid:0'>"       \
	"bob@example.org/phone</jid><text>from afar</text></report></message>"

static void forwarded_report_about_a_member(void **state)
{
	static const struct harness_step steps[] = {
		{.send = FORWARDED_ABOUT_BOB("remote.example"),
		 .sent = 1, .expect = {
			 "/message[@to='mod@example.org']/rep:report"
			 "[@reason='urn:xmpp:reporting:abuse']"
			 "/jid:jid[.='bob@bc.test']",
			 "/message[@to='mod@example.org'][contains(body, "
			 "'remote.example reported bob@bc.test')]",
		 },
		 .never = {"bob@example.org", "bob\\40example.org"}},
		{.send = FORWARDED_ABOUT_BOB("other.example"),
		 .sent = 1, .expect = {
			 "/message[@to='mod@example.org']/rep:report"
			 "/jid:jid[.='bob@bc.test']",
		 },
		 .never = {"bob@example.org", "bob\\40example.org"}},
	};
	struct harness *h = *state;
	struct store_report *reps = NULL;
	struct store_sanction s;
	size_t n = 0, i;

	harness_run(h, steps);
	assert_int_equal(store_report_list(h->store, false, &reps, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_string_equal(reps[i].reported, "bob@bc.test");
		assert_null(strstr(reps[i].reporter, "bob"));
	}
	store_report_list_free(reps, n);
	/* The repeat-offender restriction reaches bob himself. */
	assert_int_equal(store_sanction_get(h->store, "bob", &s), 0);
	assert_true(s.restricted);
	store_sanction_clear(&s);
	/* An outside user's JID stays as given. */
	harness_clear(h);
	harness_feed(h, "<message from='third.example' to='bc.test'>"
			"<report xmlns='urn:xmpp:reporting:1' "
			"reason='urn:xmpp:reporting:spam'><jid "
			"xmlns='urn:xmpp:jid:0'>zed@elsewhere.example</jid>"
			"</report></message>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "/message/rep:report/jid:jid",
		       "zed@elsewhere.example");
}

/* One report cannot make a huge stanza: the evidence forwarded is
 * bounded in number and size, and long bodies are cut. */
static void forwarded_evidence_is_bounded(void **state)
{
	struct harness *h = *state;
	char *big = xmalloc(5001), *msg, *v;
	size_t i;

	memset(big, 'x', 5000);
	big[5000] = '\0';
	for (i = 0; i < 30; i++) {
		msg = xasprintf(CHAT(B, "alice@bc.test", "%s"),
				i < 25 ? "short" : big);
		harness_feed(h, msg);
		free(msg);
	}
	harness_clear(h);
	harness_feed(h, REPORT(A, "bob@bc.test", ""));
	harness_assert_count(h, 2);
	v = harness_xpath(h, 0, "count(/message/fwd:forwarded)");
	assert_true(atoi(v) >= 1 && atoi(v) <= 20);
	free(v);
	/* 12 KiB of evidence text at most, and the envelopes. */
	assert_true(strlen(h->sent[0]) < 24576);
	v = harness_xpath(h, 0, "string-length(/message/fwd:forwarded[last()]"
				"/client:message/client:body)");
	assert_true(atoi(v) > 0 && atoi(v) <= 2048);
	free(v);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
		T(every_relayed_message_is_stamped),
		T(references_choose_the_evidence),
		T(foreign_references_are_ignored),
		T(without_references_the_recent_messages),
		T(held_messages_keep_their_id),
		T(block_then_report_keeps_held_messages),
		T(room_message_reports),
		T(room_report_sent_to_the_room),
		T(room_owners_get_only_the_room_evidence),
		T(reporting_0),
		T(malformed_reports_store_nothing),
		T(no_such_handle),
		T(adhoc_report_files_once),
		T(forwarded_report_sanitised),
		T(forwarded_evidence_is_bounded),
		cmocka_unit_test_setup_teardown(forwarded_report_about_a_member,
						setup_threshold_two,
						harness_teardown),
		cmocka_unit_test_setup_teardown(no_moderators_no_claim,
						setup_no_moderators,
						harness_teardown),
#undef T
	};

	return cmocka_run_group_tests_name("reports", tests, NULL, NULL);
}
