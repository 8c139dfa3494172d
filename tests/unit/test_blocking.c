/*
 * test_blocking.c - XEP-0191 on D, XEP-0377 reports in <block/> items,
 * and reports forwarded to D by other servers.
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
#include "xep/ns.h"

/* alice and bob are members who know each other; mod a moderator. */
static int setup(void **state)
{
	struct harness *h = harness_new("<moderator jid='mod@example.org'/>",
					true);

	harness_member(h, "alice", NULL, "alice@example.org");
	harness_member(h, "bob", NULL, "bob@example.org");
	assert_int_equal(store_follow(h->store, "alice", "bob"), 0);
	assert_int_equal(store_follow(h->store, "bob", "alice"), 0);
	*state = h;
	return 0;
}

/* IQs from from to D with the request id b1. */
#define GET(from, payload)                                                     \
	"<iq type='get' id='b1' from='" from "' to='bc.test'>" payload "</iq>"
#define SET(from, payload)                                                     \
	"<iq type='set' id='b1' from='" from "' to='bc.test'>" payload "</iq>"

#define BLK "xmlns='urn:xmpp:blocking'"

/* Stanza text: an IQ with its payload, a presence without one, a chat
 * message. */
#define IQ(type, id, from, to, payload)                                        \
	"<iq type='" type "' id='" id "' from='" from "' to='" to "'>"         \
	payload "</iq>"
#define PING "<ping xmlns='" NS_PING "'/>"
#define DISCO_INFO "<query xmlns='" NS_DISCO_INFO "'/>"
#define PRESENCE(type, from, to)                                               \
	"<presence type='" type "' from='" from "' to='" to "'/>"
#define CHAT(id, from, to, body)                                               \
	"<message type='chat' id='" id "' from='" from "' to='" to "'>"        \
	"<body>" body "</body></message>"

/* clang-format off: step tables keep their layout */

HARNESS_TEST(block_list_and_effects,
	{.send = GET("alice@example.org/pc", "<blocklist " BLK "/>"),
	 .sent = 1, .expect = {
		 "/iq[@type='result']",
		 "not(//*[local-name()='item'])",
	 }},
	{.send = SET("alice@example.org/pc",
		     "<block " BLK "><item jid='bob@bc.test'/></block>"),
	 .sent = 1, .expect = {"/iq[@type='result']"}},
	{.send = GET("alice@example.org/pc", "<blocklist " BLK "/>"),
	 .sent = 1, .expect = {"//block:item[@jid='bob@bc.test']"}},
	/* bob's message, presence and IQs find nobody. */
	{.send = CHAT("m", "bob@example.org/x", "alice@bc.test", "hi"),
	 .expect = {"0: /message/error/st:service-unavailable"}},
	{.send = PRESENCE("subscribe", "bob@example.org", "alice@bc.test"),
	 .sent = HARNESS_NONE},
	{.send = PRESENCE("probe", "bob@example.org", "alice@bc.test"),
	 .sent = HARNESS_NONE},
	{.send = IQ("get", "d", "bob@example.org/x", "alice@bc.test",
		    DISCO_INFO),
	 .expect = {"0: /iq/error/st:service-unavailable"}},
	/* alice writing to bob is refused with the XEP-0191 error. */
	{.send = CHAT("n", "alice@example.org/p", "bob@bc.test", "x"),
	 .expect = {"0: /message/error/blk:blocked"}},
	{.send = SET("alice@example.org/pc",
		     "<unblock " BLK "><item jid='bob@bc.test'/></unblock>"),
	 .sent = 1, .expect = {"/iq[@type='result']"}},
	{.send = CHAT("m2", "bob@example.org/x", "alice@bc.test", "back"),
	 .expect = {"0: /message/body[.='back']"}})

HARNESS_TEST(blocked_sender_learns_nothing,
	{.send = SET("alice@example.org/pc",
		     "<block " BLK "><item jid='bob@bc.test'/></block>")},
	/* Neither a retraction nor an unmatched error gets another
	 * answer than a handle that does not exist would give. */
	{.send = "<message type='chat' id='r' from='bob@example.org/x' "
		 "to='alice@bc.test'><retract xmlns='urn:xmpp:message-"
		 "retract:1' id='x'/></message>",
	 .sent = 1, .expect = {"/message/error/st:service-unavailable"}},
	{.send = "<message type='error' id='e' from='bob@example.org/x' "
		 "to='alice@bc.test'><error type='cancel'><gone "
		 "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
		 "</message>",
	 .sent = HARNESS_NONE})

HARNESS_TEST(unblock_all_and_outside_jids,
	{.send = SET("alice@example.org/pc",
		     "<block " BLK "><item jid='bob@bc.test'/>"
		     "<item jid='spammer@else.test'/>"
		     "<item jid='carl\\40other.test@bc.test'/></block>"),
	 .sent = 1, .expect = {"/iq[@type='result']"}},
	{.send = GET("alice@example.org/pc", "<blocklist " BLK "/>"),
	 .sent = 1, .expect = {
		 "count(//*[local-name()='item']) = 3",
		 "//block:item[@jid='spammer\\40else.test@bc.test']",
	 }},
	{.send = SET("alice@example.org/pc", "<unblock " BLK "/>"),
	 .sent = 1, .expect = {"/iq[@type='result']"}},
	{.send = GET("alice@example.org/pc", "<blocklist " BLK "/>"),
	 .sent = 1, .expect = {"not(//*[local-name()='item'])"}})

HARNESS_TEST(bad_requests,
	{.send = SET("alice@example.org/pc", "<block " BLK "/>"),
	 .sent = 1, .expect = {"/iq/error/st:bad-request"}},
	{.send = SET("alice@example.org/pc",
		     "<block " BLK "><item jid='just-a-domain.test'/>"
		     "</block>"),
	 .sent = 1, .expect = {"/iq/error/st:jid-malformed"}},
	{.send = SET("alice@example.org/pc",
		     "<block " BLK "><item jid='bob@bc.test'><report "
		     "xmlns='urn:xmpp:reporting:1' reason='because'/>"
		     "</item></block>"),
	 .sent = 1, .expect = {"/iq/error/st:bad-request"}},
	/* Nothing was blocked by the refused requests. */
	{.send = GET("alice@example.org/pc", "<blocklist " BLK "/>"),
	 .sent = 1, .expect = {"not(//*[local-name()='item'])"}},
	{.send = GET("stranger@example.org/x", "<blocklist " BLK "/>"),
	 .sent = 1, .expect = {"/iq/error/st:registration-required"}})

static void report_in_block(void **state)
{
	static const struct harness_step steps[] = {
		{.send = CHAT("e", "bob@example.org/x", "alice@bc.test",
			      "nasty words")},
		/* The moderator hears of it, then alice gets her result. */
		{.send = SET("alice@example.org/pc",
			     "<block " BLK "><item jid='bob@bc.test'><report "
			     "xmlns='urn:xmpp:reporting:1' "
			     "reason='urn:xmpp:reporting:abuse'>"
			     "<text>rude</text></report></item></block>"),
		 .sent = 2, .expect = {
			 "0: /message[@to='mod@example.org']"
			 "/rep:report[@reason='urn:xmpp:reporting:abuse']",
			 "1: /iq[@type='result']",
		 }},
	};
	struct harness *h = *state;

	harness_run(h, steps);
	harness_assert_report(h, 1, "alice", NULL, "rude", "nasty words");
}

static void forwarded_report_intake(void **state)
{
	static const struct harness_step remote[] = {
		{.send = "<message from='remote.example' to='bc.test'>"
			 "<report xmlns='urn:xmpp:reporting:1' "
			 "reason='urn:xmpp:reporting:spam'><jid "
			 "xmlns='urn:xmpp:jid:0'>bob@bc.test</jid><text>spam "
			 "from your user</text></report><forwarded "
			 "xmlns='urn:xmpp:forward:0'><message "
			 "from='bob@bc.test' to='victim@remote.example' "
			 "type='chat'><body>buy now</body></message>"
			 "</forwarded></message>",
		 .sent = 1, .expect = {"/message[@to='mod@example.org']"}},
	};
	/* From a member: named by their address, not their account. */
	static const struct harness_step member[] = {
		{.send = "<message from='alice@example.org/pc' to='bc.test'>"
			 "<report xmlns='urn:xmpp:reporting:1' "
			 "reason='urn:xmpp:reporting:abuse'><jid "
			 "xmlns='urn:xmpp:jid:0'>x@else.test</jid></report>"
			 "</message>",
		 .expect = {"0: /message[@to='mod@example.org']"},
		 .never = {"alice@example.org"}},
	};
	static const struct harness_step refused[] = {
		/* A reason that is not spam or abuse is refused. */
		{.send = "<message id='r3' from='remote.example' to='bc.test'>"
			 "<report xmlns='urn:xmpp:reporting:1' reason='boring'>"
			 "<jid xmlns='urn:xmpp:jid:0'>bob@bc.test</jid>"
			 "</report>"
			 "</message>",
		 .expect = {"0: /message/error/st:bad-request"}},
		/* Without the reported JID: an error, nothing stored. */
		{.send = "<message id='r2' from='remote.example' to='bc.test'>"
			 "<report xmlns='urn:xmpp:reporting:1' "
			 "reason='urn:xmpp:reporting:spam'/></message>",
		 .expect = {"0: /message/error/st:bad-request"}},
	};
	struct harness *h = *state;

	harness_run(h, remote);
	harness_assert_report(h, 1, "remote.example", "bob@bc.test", NULL,
			      "buy now");
	harness_run(h, member);
	harness_assert_report(h, 2, "alice@bc.test", NULL, NULL, NULL);
	harness_run(h, refused);
}

/* A block of jid with a spam report; extra goes into the report. */
#define ORIGIN_BLOCK(jid, extra)                                               \
	SET("alice@example.org/pc",                                            \
	    "<block " BLK "><item jid='" jid "'><report "                      \
	    "xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:spam'>"   \
	    "<text>junk</text>" extra "</report></item></block>")

/* from's answer to the disco#info request ${query}, with the abuse
 * addresses values. */
#define ANSWER(from, values)                                                   \
	"<iq type='result' id='${query}' from='" from "' to='bc.test'><query " \
	"xmlns='http://jabber.org/protocol/disco#info'><x "                    \
	"xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' "          \
	"type='hidden'><value>http://jabber.org/network/serverinfo"            \
	"</value></field><field var='abuse-addresses'>" values "</field></x>"  \
	"</query></iq>"

HARNESS_TEST(report_origin_goes_to_abuse_address,
	/* The moderator, the disco#info to the spammer's domain, the
	 * result. */
	{.send = ORIGIN_BLOCK("spammer@else.test", "<report-origin/>"),
	 .sent = 3,
	 .capture = {{"query", "1: /iq/@id"}},
	 .expect = {
		 "0: /message[@to='mod@example.org']",
		 "1: /iq[@type='get'][@to='else.test'][@from='bc.test']"
		 "/disco:query",
		 "2: /iq[@type='result']",
	 }},
	/* An answer from anyone else is not taken for it. */
	{.send = ANSWER("evil.test", "<value>xmpp:x@evil.test</value>"),
	 .sent = HARNESS_NONE},
	/* A second report waits for the same lookup: no second one. */
	{.send = ORIGIN_BLOCK("spammer@else.test", "<report-origin/>"),
	 .sent = 2, .expect = {
		 "0: /message[@to='mod@example.org']",
		 "1: /iq[@type='result']",
	 }},
	/* Only the xmpp: address that is not ours gets them, both. */
	{.send = ANSWER("else.test",
			"<value>mailto:abuse@else.test</value>"
			"<value>xmpp:abuse@else.test</value>"
			"<value>xmpp:bc.test</value>"),
	 .sent = 2, .expect = {
		 "count(/message[@to='abuse@else.test'][@from='bc.test']"
		 "/rep:report[@reason='urn:xmpp:reporting:spam']"
		 "/jid:jid[.='spammer@else.test']) = 1",
		 "0: /message[@to='abuse@else.test']",
		 "1: /message[@to='abuse@else.test']",
	 },
	 /* No real JID of the reporter leaves. */
	 .never = {"alice"}},
	/* The answer is kept: the next report goes at once. */
	{.send = ORIGIN_BLOCK("other@else.test", "<report-origin/>"),
	 .sent = 3, .expect = {
		 "0: /message[@to='mod@example.org']",
		 "1: /message[@to='abuse@else.test']"
		 "/rep:report/jid:jid[.='other@else.test']",
		 "2: /iq[@type='result']",
	 }})

HARNESS_TEST(report_origin_needs_opt_in,
	/* No opt-in: only the moderator hears of it. */
	{.send = ORIGIN_BLOCK("spammer@else.test", ""),
	 .sent = 2, .expect = {"1: /iq[@type='result']"}},
	/* A member's report never goes anywhere else, opt-in or
	 * not. */
	{.send = ORIGIN_BLOCK("bob@bc.test", "<report-origin/>"),
	 .sent = 2, .expect = {"1: /iq[@type='result']"}})

static void report_origin_times_out(void **state)
{
	static const struct harness_step steps[] = {
		{.send = ORIGIN_BLOCK("spammer@else.test", "<report-origin/>"),
		 .sent = 3,
		 .capture = {{"query", "1: /iq/@id"}}},
		{.advance = 31000,
		 .send = IQ("get", "p", "x@example.org/y", "bc.test", PING)},
		/* Too late: given up, the answer finds nobody. */
		{.send = "<iq type='result' id='${query}' from='else.test' "
			 "to='bc.test'/>",
		 .sent = HARNESS_NONE},
	};

	clock_pin(1800000000000LL);
	harness_run(*state, steps);
	clock_unpin();
}

/* The bounds, small: 3 items a request, 2 reports a member a day, 2
 * reports exchanged with a remote domain a day. */
static int setup_bounded(void **state)
{
	struct harness *h = harness_new(
		"<moderator jid='mod@example.org'/>"
		"<limits block-items='3' reports-per-day='2' "
		"forwarded-per-day='2'/>",
		true);

	clock_pin(1800000000000LL);
	harness_member(h, "alice", NULL, "alice@example.org");
	harness_member(h, "bob", NULL, "bob@example.org");
	*state = h;
	return 0;
}

/* An item with a spam report about jid. */
#define REPORT_ITEM(jid)                                                       \
	"<item jid='" jid "'><report xmlns='urn:xmpp:reporting:1' "            \
	"reason='urn:xmpp:reporting:spam'/></item>"

HARNESS_TEST(items_per_request_bounded,
	{.send = SET("alice@example.org/pc",
		     "<block " BLK "><item jid='a@x.test'/><item jid='b@x.test'/>"
		     "<item jid='c@x.test'/><item jid='d@x.test'/></block>"),
	 .sent = 1, .expect = {
		 "/iq[@id='b1']/error[@type='modify']/st:policy-violation",
		 "boolean(/iq/error/st:text)",
	 }},
	{.send = SET("alice@example.org/pc",
		     "<unblock " BLK "><item jid='a@x.test'/><item jid='b@x.test'/>"
		     "<item jid='c@x.test'/><item jid='d@x.test'/></unblock>"),
	 .sent = 1, .expect = {"/iq/error/st:policy-violation"}},
	/* Nothing was blocked; three items are fine. */
	{.send = GET("alice@example.org/pc", "<blocklist " BLK "/>"),
	 .sent = 1, .expect = {"not(//*[local-name()='item'])"}},
	{.send = SET("alice@example.org/pc",
		     "<block " BLK "><item jid='a@x.test'/><item jid='b@x.test'/>"
		     "<item jid='c@x.test'/></block>"),
	 .sent = 1, .expect = {"/iq[@type='result']"}})

static void reports_per_member_bounded(void **state)
{
	static const struct harness_step steps[] = {
		/* Three reports at once: more than a day's; nothing is
		 * filed, nobody is told. */
		{.send = SET("alice@example.org/pc",
			     "<block " BLK ">" REPORT_ITEM("a@x.test")
			     REPORT_ITEM("b@x.test") REPORT_ITEM("c@x.test")
			     "</block>"),
		 .sent = 1, .expect = {"/iq/error/st:policy-violation"}},
		{.send = SET("alice@example.org/pc",
			     "<block " BLK ">" REPORT_ITEM("a@x.test")
			     REPORT_ITEM("b@x.test") "</block>"),
		 .sent = 3, .expect = {
			 "count(/message[@to='mod@example.org']) = 1",
			 "2: /iq[@type='result']",
		 }},
		/* The day's reports are used, by every door. */
		{.send = SET("alice@example.org/pc",
			     "<block " BLK ">" REPORT_ITEM("c@x.test")
			     "</block>"),
		 .sent = 1, .expect = {"/iq/error/st:policy-violation"}},
		{.send = "<message type='chat' id='t' from='alice@example.org/pc' "
			 "to='bc.test'><body>report bob spam</body></message>",
		 .sent = 1, .expect = {
			 "/message[@type='error'][@id='t']/error"
			 "/st:policy-violation",
		 }},
		{.send = "<message from='alice@example.org/pc' to='bc.test'>"
			 "<report xmlns='urn:xmpp:reporting:1' "
			 "reason='urn:xmpp:reporting:spam'><jid "
			 "xmlns='urn:xmpp:jid:0'>x@else.test</jid></report>"
			 "</message>",
		 .sent = 1, .expect = {"/message/error/st:policy-violation"}},
		/* Half a day later, one more. */
		{.advance = 12 * 3600 * 1000LL,
		 .send = SET("alice@example.org/pc",
			     "<block " BLK ">" REPORT_ITEM("c@x.test")
			     "</block>"),
		 .sent = 2, .expect = {"1: /iq[@type='result']"}},
	};
	struct harness *h = *state;

	harness_run(h, steps);
	harness_assert_report(h, 3, "alice", NULL, NULL, NULL);
}

/* A report forwarded to D from from about jid. */
#define FORWARDED(from, jid)                                                   \
	"<message id='f' from='" from "' to='bc.test'>"                        \
	"<report xmlns='urn:xmpp:reporting:1' "                                \
	"reason='urn:xmpp:reporting:spam'><jid xmlns='urn:xmpp:jid:0'>" jid    \
	"</jid></report></message>"

HARNESS_TEST(forwarded_reports_per_domain_bounded,
	{.send = FORWARDED("remote.example", "bob@bc.test"),
	 .sent = 1, .expect = {"/message[@to='mod@example.org']"}},
	{.send = FORWARDED("abuse@remote.example", "bob@bc.test"),
	 .sent = 1, .expect = {"/message[@to='mod@example.org']"}},
	/* The domain's allowance is used, whoever of it sends. */
	{.send = FORWARDED("other@remote.example", "bob@bc.test"),
	 .sent = 1, .expect = {
		 "/message[@type='error'][@to='other@remote.example']"
		 "/error/st:policy-violation",
	 }},
	{.send = FORWARDED("elsewhere.example", "bob@bc.test"),
	 .sent = 1, .expect = {"/message[@to='mod@example.org']"}})

HARNESS_TEST(abuse_addresses_and_lookups_bounded,
	{.send = ORIGIN_BLOCK("s1@else.test", "<report-origin/>"),
	 .sent = 3, .capture = {{"query", "1: /iq/@id"}}},
	/* Five addresses listed: three are used. */
	{.send = ANSWER("else.test",
			"<value>xmpp:a1@else.test</value>"
			"<value>xmpp:a2@else.test</value>"
			"<value>xmpp:a3@else.test</value>"
			"<value>xmpp:a4@else.test</value>"
			"<value>xmpp:a5@else.test</value>"),
	 .sent = 3, .expect = {
		 "count(/message[@to='a1@else.test']) = 1",
		 "count(/message[@to='a2@else.test']) = 1",
		 "count(/message[@to='a3@else.test']) = 1",
	 }},
	/* Cached: no second lookup for the domain. */
	{.send = ORIGIN_BLOCK("s2@else.test", "<report-origin/>"),
	 .sent = 5, .expect = {
		 "not(/iq[@type='get'])",
		 "2: /message[@to='a2@else.test']",
		 "4: /iq[@type='result']",
	 }},
	/* Two reports to else.test a day: the third (bob's) is filed and
	 * the moderator told, but it is not sent on. */
	{.send = SET("bob@example.org/pc",
		     "<block " BLK "><item jid='s3@else.test'><report "
		     "xmlns='urn:xmpp:reporting:1' "
		     "reason='urn:xmpp:reporting:spam'><report-origin/>"
		     "</report></item></block>"),
	 .sent = 2, .expect = {
		 "0: /message[@to='mod@example.org']",
		 "1: /iq[@type='result']",
	 }},
	/* After the cache's hour (and a refill), a new lookup. */
	{.advance = 12 * 3600 * 1000LL,
	 .send = ORIGIN_BLOCK("s4@else.test", "<report-origin/>"),
	 .sent = 3, .expect = {"1: /iq[@type='get'][@to='else.test']"}})

/* The amplification of the issue: 150 report items, with the default
 * bounds, give one error and nothing else. */
static void many_report_items_one_error(void **state)
{
	struct harness *h = *state;
	char *iq = xstrdup("<iq type='set' id='big' from='alice@example.org/pc' "
			   "to='bc.test'><block xmlns='urn:xmpp:blocking'>");
	char item[160];
	int i;

	for (i = 0; i < 150; i++) {
		char *next;

		snprintf(item, sizeof(item),
			 REPORT_ITEM("s%d@else.test"), i);
		next = xasprintf("%s%s", iq, item);
		free(iq);
		iq = next;
	}
	{
		char *next = xasprintf("%s</block></iq>", iq);

		free(iq);
		iq = next;
	}
	harness_feed(h, iq);
	free(iq);
	harness_assert_count(h, 1);
	harness_assert(h, 0, "local-name(/iq/error/*[1])", "policy-violation");
}

HARNESS_TEST(disco_advertises_blocking,
	{.send = IQ("get", "d", "alice@example.org/x", "bc.test", DISCO_INFO),
	 .sent = 1, .expect = {
		 "//disco:feature[@var='urn:xmpp:blocking']",
		 "//disco:feature[@var='urn:xmpp:reporting:1']",
	 }})

/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
		T(block_list_and_effects),
		T(blocked_sender_learns_nothing),
		T(unblock_all_and_outside_jids),
		T(bad_requests),
		T(report_in_block),
		T(forwarded_report_intake),
		T(report_origin_goes_to_abuse_address),
		T(report_origin_needs_opt_in),
		T(report_origin_times_out),
		T(disco_advertises_blocking),
		T(many_report_items_one_error),
#define B(fn) cmocka_unit_test_setup_teardown(fn, setup_bounded, \
					      harness_teardown)
		B(items_per_request_bounded),
		B(reports_per_member_bounded),
		B(forwarded_reports_per_domain_bounded),
		B(abuse_addresses_and_lookups_bounded),
#undef B
#undef T
	};

	return cmocka_run_group_tests_name("blocking", tests, NULL, NULL);
}
