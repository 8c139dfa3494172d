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
#include "store/store.h"
#include "tests/unit/harness.h"

/* alice and bob are members who know each other; mod a moderator. */
static int setup(void **state)
{
	struct harness *h = harness_new("<moderator jid='mod@example.org'/>",
					true);
	struct store_identity a = {.handle = "alice"};
	struct store_identity b = {.handle = "bob"};

	assert_int_equal(store_identity_add(h->store, &a), 0);
	assert_int_equal(store_identity_add(h->store, &b), 0);
	assert_int_equal(store_link(h->store, "alice", "alice@example.org"), 0);
	assert_int_equal(store_link(h->store, "bob", "bob@example.org"), 0);
	assert_int_equal(store_follow(h->store, "alice", "bob"), 0);
	assert_int_equal(store_follow(h->store, "bob", "alice"), 0);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	harness_free(*state);
	return 0;
}

static void iq(struct harness *h, const char *from, const char *payload)
{
	char xml[1024];

	snprintf(xml, sizeof(xml),
		 "<iq type='%s' id='b1' from='%s' to='bc.test'>%s</iq>",
		 strstr(payload, "blocklist") ? "get" : "set", from, payload);
	harness_clear(h);
	harness_feed(h, xml);
}

#define BLK "xmlns='urn:xmpp:blocking'"

static void block_list_and_effects(void **state)
{
	struct harness *h = *state;

	iq(h, "alice@example.org/pc", "<blocklist " BLK "/>");
	harness_assert(h, 0, "string(/iq/@type)", "result");
	harness_assert(h, 0, "count(//*[local-name()='item'])", "0");
	iq(h, "alice@example.org/pc",
	   "<block " BLK "><item jid='bob@bc.test'/></block>");
	harness_assert(h, 0, "string(/iq/@type)", "result");
	iq(h, "alice@example.org/pc", "<blocklist " BLK "/>");
	harness_assert(h, 0, "string(//*[local-name()='item']/@jid)",
		       "bob@bc.test");
	/* bob's message, presence and IQs find nobody. */
	harness_clear(h);
	harness_feed(h, "<message type='chat' id='m' from='bob@example.org/x' "
			"to='alice@bc.test'><body>hi</body></message>");
	harness_assert(h, 0, "count(/message/error/st:service-unavailable)",
		       "1");
	harness_clear(h);
	harness_feed(h, "<presence type='subscribe' from='bob@example.org' "
			"to='alice@bc.test'/>");
	harness_feed(h, "<presence type='probe' from='bob@example.org' "
			"to='alice@bc.test'/>");
	harness_assert_count(h, 0);
	harness_feed(h, "<iq type='get' id='d' from='bob@example.org/x' "
			"to='alice@bc.test'><query xmlns='http://jabber.org/"
			"protocol/disco#info'/></iq>");
	harness_assert(h, 0, "count(/iq/error/st:service-unavailable)", "1");
	/* alice writing to bob is refused with the XEP-0191 error. */
	harness_clear(h);
	harness_feed(h, "<message type='chat' id='n' from='alice@example.org/p' "
			"to='bob@bc.test'><body>x</body></message>");
	harness_assert(h, 0, "count(/message/error/blk:blocked)", "1");
	iq(h, "alice@example.org/pc",
	   "<unblock " BLK "><item jid='bob@bc.test'/></unblock>");
	harness_assert(h, 0, "string(/iq/@type)", "result");
	harness_clear(h);
	harness_feed(h, "<message type='chat' id='m2' from='bob@example.org/x' "
			"to='alice@bc.test'><body>back</body></message>");
	harness_assert(h, 0, "string(/message/body)", "back");
}

static void blocked_sender_learns_nothing(void **state)
{
	struct harness *h = *state;

	iq(h, "alice@example.org/pc",
	   "<block " BLK "><item jid='bob@bc.test'/></block>");
	/* Neither a retraction nor an unmatched error gets another answer
	 * than a handle that does not exist would give. */
	harness_clear(h);
	harness_feed(h, "<message type='chat' id='r' from='bob@example.org/x' "
			"to='alice@bc.test'><retract xmlns='urn:xmpp:message-"
			"retract:1' id='x'/></message>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "count(/message/error/st:service-unavailable)",
		       "1");
	harness_clear(h);
	harness_feed(h, "<message type='error' id='e' from='bob@example.org/x' "
			"to='alice@bc.test'><error type='cancel'><gone "
			"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
			"</message>");
	harness_assert_count(h, 0);
}

static void unblock_all_and_outside_jids(void **state)
{
	struct harness *h = *state;

	iq(h, "alice@example.org/pc",
	   "<block " BLK "><item jid='bob@bc.test'/>"
	   "<item jid='spammer@else.test'/>"
	   "<item jid='carl\\40other.test@bc.test'/></block>");
	harness_assert(h, 0, "string(/iq/@type)", "result");
	iq(h, "alice@example.org/pc", "<blocklist " BLK "/>");
	harness_assert(h, 0, "count(//*[local-name()='item'])", "3");
	harness_assert(h, 0,
		       "count(//*[local-name()='item'][@jid="
		       "'spammer\\40else.test@bc.test'])",
		       "1");
	iq(h, "alice@example.org/pc", "<unblock " BLK "/>");
	harness_assert(h, 0, "string(/iq/@type)", "result");
	iq(h, "alice@example.org/pc", "<blocklist " BLK "/>");
	harness_assert(h, 0, "count(//*[local-name()='item'])", "0");
}

static void bad_requests(void **state)
{
	struct harness *h = *state;

	iq(h, "alice@example.org/pc", "<block " BLK "/>");
	harness_assert(h, 0, "count(/iq/error/st:bad-request)", "1");
	iq(h, "alice@example.org/pc",
	   "<block " BLK "><item jid='just-a-domain.test'/></block>");
	harness_assert(h, 0, "count(/iq/error/st:jid-malformed)", "1");
	iq(h, "alice@example.org/pc",
	   "<block " BLK "><item jid='bob@bc.test'><report "
	   "xmlns='urn:xmpp:reporting:1' reason='because'/></item></block>");
	harness_assert(h, 0, "count(/iq/error/st:bad-request)", "1");
	/* Nothing was blocked by the refused requests. */
	iq(h, "alice@example.org/pc", "<blocklist " BLK "/>");
	harness_assert(h, 0, "count(//*[local-name()='item'])", "0");
	iq(h, "stranger@example.org/x", "<blocklist " BLK "/>");
	harness_assert(h, 0, "count(/iq/error/st:registration-required)", "1");
}

static void report_in_block(void **state)
{
	struct harness *h = *state;
	struct store_report *reps = NULL;
	size_t n = 0;

	harness_feed(h, "<message type='chat' id='e' from='bob@example.org/x' "
			"to='alice@bc.test'><body>nasty words</body></message>");
	iq(h, "alice@example.org/pc",
	   "<block " BLK "><item jid='bob@bc.test'><report "
	   "xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:abuse'>"
	   "<text>rude</text></report></item></block>");
	/* The moderator hears of it, then alice gets her result. */
	harness_assert_count(h, 2);
	harness_assert(h, 0, "string(/message/@to)", "mod@example.org");
	harness_assert(h, 0,
		       "string(/message/*[local-name()='report']/@reason)",
		       "urn:xmpp:reporting:abuse");
	harness_assert(h, 1, "string(/iq/@type)", "result");
	assert_int_equal(store_report_list(h->store, true, &reps, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(reps[0].reporter, "alice");
	assert_string_equal(reps[0].text, "rude");
	assert_non_null(reps[0].evidence);
	assert_non_null(strstr(reps[0].evidence[0], "nasty words"));
	store_report_list_free(reps, n);
}

static void forwarded_report_intake(void **state)
{
	struct harness *h = *state;
	struct store_report *reps = NULL;
	size_t n = 0;

	harness_feed(h, "<message from='remote.example' to='bc.test'>"
			"<report xmlns='urn:xmpp:reporting:1' "
			"reason='urn:xmpp:reporting:spam'><jid "
			"xmlns='urn:xmpp:jid:0'>bob@bc.test</jid><text>spam "
			"from your user</text></report><forwarded "
			"xmlns='urn:xmpp:forward:0'><message from='bob@bc.test' "
			"to='victim@remote.example' type='chat'><body>buy "
			"now</body></message></forwarded></message>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/@to)", "mod@example.org");
	assert_int_equal(store_report_list(h->store, true, &reps, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(reps[0].reporter, "remote.example");
	assert_string_equal(reps[0].reported, "bob@bc.test");
	assert_non_null(strstr(reps[0].evidence[0], "buy now"));
	store_report_list_free(reps, n);
	harness_clear(h);
	/* From a member: named by their address, not their account. */
	harness_clear(h);
	harness_feed(h, "<message from='alice@example.org/pc' to='bc.test'>"
			"<report xmlns='urn:xmpp:reporting:1' "
			"reason='urn:xmpp:reporting:abuse'><jid "
			"xmlns='urn:xmpp:jid:0'>x@else.test</jid></report>"
			"</message>");
	harness_assert(h, 0, "string(/message/@to)", "mod@example.org");
	assert_null(strstr(h->sent[0], "alice@example.org"));
	assert_int_equal(store_report_list(h->store, true, &reps, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(reps[1].reporter, "alice@bc.test");
	store_report_list_free(reps, n);
	harness_clear(h);
	/* A reason that is not spam or abuse is refused. */
	harness_feed(h, "<message id='r3' from='remote.example' to='bc.test'>"
			"<report xmlns='urn:xmpp:reporting:1' reason='boring'>"
			"<jid xmlns='urn:xmpp:jid:0'>bob@bc.test</jid></report>"
			"</message>");
	harness_assert(h, 0, "count(/message/error/st:bad-request)", "1");
	harness_clear(h);
	/* Without the reported JID: an error, nothing stored. */
	harness_feed(h, "<message id='r2' from='remote.example' to='bc.test'>"
			"<report xmlns='urn:xmpp:reporting:1' "
			"reason='urn:xmpp:reporting:spam'/></message>");
	harness_assert(h, 0, "count(/message/error/st:bad-request)", "1");
}

#define ORIGIN_BLOCK(jid, extra)                                               \
	"<block " BLK "><item jid='" jid "'><report "                         \
	"xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:spam'>"      \
	"<text>junk</text>" extra "</report></item></block>"

static void answer_disco(struct harness *h, size_t i, const char *from,
			 const char *values)
{
	char *id = harness_xpath(h, i, "string(/iq/@id)");
	char xml[2048];

	snprintf(xml, sizeof(xml),
		 "<iq type='result' id='%s' from='%s' to='bc.test'><query "
		 "xmlns='http://jabber.org/protocol/disco#info'><x "
		 "xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' "
		 "type='hidden'><value>http://jabber.org/network/serverinfo"
		 "</value></field><field var='abuse-addresses'>%s</field></x>"
		 "</query></iq>",
		 id, from, values);
	free(id);
	harness_clear(h);
	harness_feed(h, xml);
}

static void report_origin_goes_to_abuse_address(void **state)
{
	struct harness *h = *state;

	iq(h, "alice@example.org/pc",
	   ORIGIN_BLOCK("spammer@else.test", "<report-origin/>"));
	/* The moderator, the disco#info to the spammer's domain, the
	 * result. */
	harness_assert_count(h, 3);
	harness_assert(h, 0, "string(/message/@to)", "mod@example.org");
	harness_assert(h, 1, "string(/iq/@type)", "get");
	harness_assert(h, 1, "string(/iq/@to)", "else.test");
	harness_assert(h, 1, "string(/iq/@from)", "bc.test");
	harness_assert(h, 1, "count(/iq/disco:query)", "1");
	harness_assert(h, 2, "string(/iq/@type)", "result");
	/* An answer from anyone else is not taken for it. */
	answer_disco(h, 1, "evil.test", "<value>xmpp:x@evil.test</value>");
	harness_assert_count(h, 0);
	iq(h, "alice@example.org/pc",
	   ORIGIN_BLOCK("spammer@else.test", "<report-origin/>"));
	answer_disco(h, 1, "else.test",
		     "<value>mailto:abuse@else.test</value>"
		     "<value>xmpp:abuse@else.test</value>"
		     "<value>xmpp:bc.test</value>");
	/* Only the xmpp: address that is not ours gets it. */
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/@to)", "abuse@else.test");
	harness_assert(h, 0, "string(/message/@from)", "bc.test");
	harness_assert(h, 0,
		       "string(/message/*[local-name()='report']/@reason)",
		       "urn:xmpp:reporting:spam");
	harness_assert(h, 0,
		       "string(/message/*[local-name()='report']"
		       "/*[local-name()='jid'])",
		       "spammer@else.test");
	/* No real JID of the reporter leaves. */
	assert_null(strstr(h->sent[0], "alice"));
}

static void report_origin_needs_opt_in(void **state)
{
	struct harness *h = *state;

	/* No opt-in: only the moderator hears of it. */
	iq(h, "alice@example.org/pc", ORIGIN_BLOCK("spammer@else.test", ""));
	harness_assert_count(h, 2);
	harness_assert(h, 1, "string(/iq/@type)", "result");
	/* A member's report never goes anywhere else, opt-in or not. */
	iq(h, "alice@example.org/pc",
	   ORIGIN_BLOCK("bob@bc.test", "<report-origin/>"));
	harness_assert_count(h, 2);
	harness_assert(h, 1, "string(/iq/@type)", "result");
}

static void report_origin_times_out(void **state)
{
	struct harness *h = *state;

	clock_pin(1800000000000LL);
	iq(h, "alice@example.org/pc",
	   ORIGIN_BLOCK("spammer@else.test", "<report-origin/>"));
	harness_assert_count(h, 3);
	{
		char *id = harness_xpath(h, 1, "string(/iq/@id)");
		char late[512];

		clock_advance(31000);
		harness_clear(h);
		harness_feed(h, "<iq type='get' id='p' from='x@example.org/y' "
				"to='bc.test'><ping xmlns='urn:xmpp:ping'/></iq>");
		harness_clear(h);
		/* Too late: given up, the answer finds nobody. */
		snprintf(late, sizeof(late),
			 "<iq type='result' id='%s' from='else.test' "
			 "to='bc.test'/>",
			 id);
		harness_feed(h, late);
		harness_assert_count(h, 0);
		free(id);
	}
	clock_unpin();
}

static void disco_advertises_blocking(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='get' id='d' from='alice@example.org/x' "
			"to='bc.test'><query xmlns='http://jabber.org/"
			"protocol/disco#info'/></iq>");
	harness_assert(h, 0,
		       "count(//disco:feature[@var='urn:xmpp:blocking'])", "1");
	harness_assert(h, 0,
		       "count(//disco:feature[@var='urn:xmpp:reporting:1'])",
		       "1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
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
#undef T
	};

	return cmocka_run_group_tests_name("blocking", tests, NULL, NULL);
}
