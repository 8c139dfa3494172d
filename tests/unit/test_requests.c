/*
 * test_requests.c - message requests: who is known, holding, the
 * announcement, accept/decline/block/report by every door (presence, text
 * commands, ad-hoc commands), the caps and the settings, with the clock
 * pinned.
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
#include "xep/requests.h"

#define T0 1764000000000LL

/* alice and bob are members who do not know each other; mod is a
 * moderator, bot an admin. */
static struct harness *world(const char *extra)
{
	char cfg[512];
	struct harness *h;

	snprintf(cfg, sizeof(cfg),
		 "<moderator jid='mod@example.org'/>"
		 "<admin jid='bot@example.org'/>%s",
		 extra ? extra : "");
	clock_pin(T0);
	h = harness_new(cfg, true);
	harness_member(h, "alice", "Alice", "alice@example.org");
	harness_member(h, "bob", "Bob", "bob@example.org");
	return h;
}

static int setup(void **state)
{
	*state = world(NULL);
	return 0;
}

/* A chat message from from to to; BOT() writes to D. */
#define SAY(from, to, body)                                                    \
	"<message type='chat' from='" from "' to='" to "'><body>" body         \
	"</body></message>"
#define BOT(from, text) SAY(from, "bc.test", text)

/* A presence without payload. */
#define PRESENCE(type, from, to)                                               \
	"<presence type='" type "' from='" from "' to='" to "'/>"

/* clang-format off: step tables keep their layout */

static void unknown_sender_is_held_and_announced(void **state)
{
	static const struct harness_step held[] = {
		{.send = SAY("bob@example.org/x", "alice@bc.test",
			     "hi, see https://evil.example/x and "
			     "www.spam.test"),
		 /* Held: nothing reaches alice but one subscription
		  * request. */
		 .sent = 1, .expect = {
			 "/presence[@type='subscribe'][@from='bob@bc.test']"
			 "[@to='alice@example.org']",
			 "/presence/nick:nick[.='Bob']",
		 },
		 /* The preview is text with inert links. */
		 .values = {{"/presence/status",
			     "hi, see https[:]//evil[.]example/x and "
			     "www[.]spam[.]test"}}},
	};
	static const struct harness_step silent[] = {
		/* The second is held silently; the sender hears nothing. */
		{.send = SAY("bob@example.org/x", "alice@bc.test",
			     "are you there?"),
		 .sent = HARNESS_NONE},
	};
	struct harness *h = *state;
	struct store_request req;

	harness_run(h, held);
	assert_int_equal(store_request_get(h->store, "alice", "bob", &req), 0);
	assert_int_equal(req.held, 1);
	store_request_clear(&req);
	harness_run(h, silent);
}

HARNESS_TEST(nothing_flows_back_while_pending,
	{.send = SAY("bob@example.org/x", "alice@bc.test", "hello")},
	/* alice's client sends a chat state and a receipt: dropped. */
	{.send = "<message from='alice@example.org/pc' to='bob@bc.test'>"
		 "<received xmlns='urn:xmpp:receipts' id='x'/></message>",
	 .sent = HARNESS_NONE},
	{.send = "<message type='chat' from='alice@example.org/pc' "
		 "to='bob@bc.test'><composing xmlns='http://jabber.org/"
		 "protocol/chatstates'/></message>",
	 .sent = HARNESS_NONE},
	/* Her presence probe to him is not answered by approval
	 * either. */
	{.send = PRESENCE("subscribe", "alice@example.org", "bob@bc.test"),
	 .sent = HARNESS_NONE},
	/* Chat states from the unknown sender are not held. */
	{.send = "<message type='chat' from='bob@example.org/x' "
		 "to='alice@bc.test'><active xmlns='http://jabber.org/"
		 "protocol/chatstates'/></message>",
	 .sent = HARNESS_NONE})

HARNESS_TEST(retraction_from_a_stranger_gets_no_answer,
	{.send = SAY("bob@example.org/x", "alice@bc.test", "held")},
	/* Whatever the answer, it would tell held from delivered. */
	{.send = "<message type='chat' id='r' from='bob@example.org/x' "
		 "to='alice@bc.test'><retract xmlns='urn:xmpp:message-"
		 "retract:1' id='x'/><body>retracted</body></message>",
	 .sent = HARNESS_NONE})

HARNESS_TEST(accept_by_subscribed_delivers_in_order,
	{.send = SAY("bob@example.org/x", "alice@bc.test", "first")},
	{.advance = 60000,
	 .send = SAY("bob@example.org/x", "alice@bc.test", "second")},
	{.advance = 60000,
	 .send = PRESENCE("subscribed", "alice@example.org", "bob@bc.test"),
	 .sent = 2, .expect = {
		 "0: /message[@from='bob@bc.test']"
		 "[@to='alice@example.org']/body[.='first']",
		 "1: /message/body[.='second']",
		 /* XEP-0203 stamps of when each was received. */
		 "0: /message/delay:delay"
		 "[@stamp='2025-11-24T16:00:00.000Z']",
		 "1: /message/delay:delay"
		 "[@stamp='2025-11-24T16:01:00.000Z']",
	 }},
	/* Known both ways from now on. */
	{.send = SAY("bob@example.org/x", "alice@bc.test", "third"),
	 .sent = 1, .expect = {"/message/body[.='third']"}},
	{.send = SAY("alice@example.org/pc", "bob@bc.test", "hi bob"),
	 .sent = 1, .expect = {"/message[@to='bob@example.org']"}})

HARNESS_TEST(replying_accepts,
	{.send = SAY("bob@example.org/x", "alice@bc.test", "hello?")},
	/* Her held message first, the withdrawn subscription request,
	 * then her reply. */
	{.send = SAY("alice@example.org/pc", "bob@bc.test",
		     "hello bob"),
	 .sent = 3, .expect = {
		 "0: /message[@to='alice@example.org']/body[.='hello?']",
		 "1: /presence[@type='unsubscribe'][@from='bob@bc.test']",
		 "2: /message[@to='bob@example.org']/body[.='hello bob']",
	 }})

/* Held within one millisecond (the pinned clock does not move): the
 * stamps still say which came first, for clients that sort by them. */
HARNESS_TEST(held_stamps_increase,
	{.send = SAY("bob@example.org/x", "alice@bc.test", "one")},
	{.send = SAY("bob@example.org/x", "alice@bc.test", "two")},
	{.send = SAY("bob@example.org/x", "alice@bc.test", "three")},
	{.send = PRESENCE("subscribed", "alice@example.org", "bob@bc.test"),
	 .sent = 3, .expect = {
		 "0: /message[body='one']/delay:delay"
		 "[@stamp='2025-11-24T16:00:00.000Z']",
		 "1: /message[body='two']/delay:delay"
		 "[@stamp='2025-11-24T16:00:00.001Z']",
		 "2: /message[body='three']/delay:delay"
		 "[@stamp='2025-11-24T16:00:00.002Z']",
		 /* Approved by alice herself: nothing to withdraw. */
		 "count(/presence) = 0",
	 }})

static void decline_by_unsubscribed_then_cooldown(void **state)
{
	static const struct harness_step decline[] = {
		{.send = SAY("bob@example.org/x", "alice@bc.test", "buy now")},
		/* Only the withdrawal of the announcement goes out. */
		{.send = PRESENCE("unsubscribed", "alice@example.org",
				  "bob@bc.test"),
		 .sent = 1, .expect = {
			 "/presence[@type='unsubscribe']"
			 "[@from='bob@bc.test']",
		 }},
	};
	static const struct harness_step cooldown[] = {
		/* A new request within the cool-down is refused. */
		{.send = SAY("bob@example.org/x", "alice@bc.test", "again"),
		 .sent = 1, .expect = {"/message/error/st:policy-violation"}},
		/* After it (7 days by default), he may ask again. */
		{.advance = 7LL * 86400000 + 1,
		 .send = SAY("bob@example.org/x", "alice@bc.test", "third try"),
		 .sent = 1, .expect = {"/presence[@type='subscribe']"}},
	};
	struct harness *h = *state;
	struct store_request req;

	harness_run(h, decline);
	assert_int_equal(store_request_get(h->store, "alice", "bob", &req),
			 STORE_NOTFOUND);
	harness_run(h, cooldown);
}

HARNESS_TEST(text_commands,
	{.send = SAY("bob@example.org/x", "alice@bc.test", "hi alice")},
	{.send = BOT("alice@example.org/pc", "requests"),
	 .sent = 1, .expect = {
		 "/message[@from='bc.test'][@to='alice@example.org/pc']",
		 "contains(/message/body, 'bob (Bob), 1 message')",
		 "contains(/message/body, 'hi alice')",
	 }},
	/* The held message, the withdrawal of the subscription request
	 * (nothing stays pending on alice's server), then the answer. */
	{.send = BOT("alice@example.org/pc", "ACCEPT Bob"),
	 .sent = 3, .expect = {
		 "0: /message/body[.='hi alice']",
		 "1: /presence[@type='unsubscribe'][@from='bob@bc.test']"
		 "[@to='alice@example.org']",
		 "2: contains(/message/body, 'Accepted')",
	 }},
	{.send = BOT("alice@example.org/pc", "decline bob"),
	 .sent = 1,
	 .expect = {"contains(/message/body, 'no pending request')"}},
	{.send = BOT("alice@example.org/pc", "help"),
	 .sent = 1, .expect = {"contains(/message/body, 'report HANDLE')"}},
	{.send = BOT("alice@example.org/pc", "frobnicate"),
	 .sent = 1, .expect = {"contains(/message/body, 'frobnicate')"}},
	{.send = BOT("stranger@example.org/x", "requests"),
	 .sent = 1, .expect = {"contains(/message/body, 'not linked')"}})

HARNESS_TEST(block_looks_like_nobody,
	{.send = SAY("bob@example.org/x", "alice@bc.test", "hi")},
	{.send = BOT("alice@example.org/pc", "block bob")},
	{.send = SAY("bob@example.org/x", "alice@bc.test", "hi again"),
	 .sent = 1, .expect = {"/message/error/st:service-unavailable"}},
	/* Writing to someone you blocked is refused, XEP-0191 §3.3. */
	{.send = SAY("alice@example.org/pc", "bob@bc.test", "oops"),
	 .expect = {
		 "0: /message/error/st:not-acceptable",
		 "0: /message/error/blk:blocked",
	 }},
	{.send = BOT("alice@example.org/pc", "unblock bob")},
	{.send = SAY("bob@example.org/x", "alice@bc.test",
		     "hello, friend?"),
	 .expect = {"0: /presence[@type='subscribe']"}})

static void report_blocks_stores_and_tells_moderators(void **state)
{
	static const struct harness_step report[] = {
		{.send = SAY("bob@example.org/x", "alice@bc.test",
			     "spam spam spam")},
		/* The request's announcement is withdrawn, one report goes to
		 * the moderator, and alice gets the answer. */
		{.send = BOT("alice@example.org/pc",
			     "report bob spam he keeps selling"),
		 .sent = 3, .expect = {
			 "0: /message[@to='mod@example.org']"
			 "/rep:report[@reason='urn:xmpp:reporting:spam']",
			 "0: /message/rep:report/jid:jid[.='bob@bc.test']",
			 "0: /message/rep:report"
			 "/rep:text[.='he keeps selling']",
			 /* The held message, forwarded (XEP-0297). */
			 "0: /message/fwd:forwarded/client:message"
			 "[@from='bob@bc.test'][@to='alice@bc.test']"
			 "/client:body[.='spam spam spam']",
			 "1: /presence[@type='unsubscribe']",
			 "2: contains(/message/body, 'Reported bob')",
			 "2: contains(/message/body, 'Your report is noted.')",
		 },
		 .never = {"bob@example.org"}},
	};
	static const struct harness_step after[] = {
		{.send = SAY("bob@example.org/x", "alice@bc.test",
			     "still there?"),
		 .expect = {"0: /message/error/st:service-unavailable"}},
		{.send = BOT("alice@example.org/pc", "report bob nonsense"),
		 .expect = {"0: contains(/message/body, 'Usage')"}},
	};
	struct harness *h = *state;

	harness_run(h, report);
	harness_assert_report(h, 1, "alice", "bob", NULL, "spam spam spam");
	harness_run(h, after);
}

static void caps(void **state)
{
	static const struct harness_step steps[] = {
		{.send = SAY("bob@example.org/x", "alice@bc.test", "1")},
		{.send = SAY("bob@example.org/x", "alice@bc.test", "2")},
		{.send = SAY("bob@example.org/x", "alice@bc.test", "3"),
		 .sent = 1, .expect = {
			 "/message/error/st:policy-violation",
			 "boolean(/message/error/st:text)",
		 }},
		/* New requests per day: bob opens a second, then a third
		 * fails. */
		{.send = SAY("bob@example.org/x", "carl@bc.test", "hi carl"),
		 .expect = {"0: /presence[@type='subscribe']"}},
		/* A handle that does not exist opens no request. */
		{.send = SAY("bob@example.org/x", "nobody-yet@bc.test", "x"),
		 .expect = {"0: /message/error/st:service-unavailable"}},
		{.send = SAY("outsider@else.test/r", "alice@bc.test", "a")},
		{.send = SAY("outsider@else.test/r", "bob@bc.test", "b")},
		{.send = SAY("outsider@else.test/r", "carl@bc.test", "c"),
		 .expect = {"0: /message/error/st:policy-violation"}},
	};
	struct harness *h = world("<requests held='2' per-day='2'/>");

	(void)state;
	harness_member(h, "carl", NULL, "carl@example.org");
	harness_run(h, steps);
	harness_free(h);
}

/* New requests to one member a day: 200 strangers cannot all open one. */
static void incoming_requests_bounded(void **state)
{
	static const struct harness_step steps[] = {
		{.send = SAY("s1@else.test/r", "alice@bc.test", "one"),
		 .sent = 1, .expect = {"/presence[@type='subscribe']"}},
		{.send = SAY("s2@else.test/r", "alice@bc.test", "two"),
		 .sent = 1, .expect = {"/presence[@type='subscribe']"}},
		{.send = SAY("s3@else.test/r", "alice@bc.test", "three"),
		 .sent = 1, .expect = {
			 "/message[@to='s3@else.test/r']/error"
			 "/st:policy-violation",
			 "boolean(/message/error/st:text)",
		 }},
		/* A request already open still takes messages; others
		 * still reach bob. */
		{.send = SAY("s1@else.test/r", "alice@bc.test", "again"),
		 .sent = HARNESS_NONE},
		{.send = SAY("s3@else.test/r", "bob@bc.test", "hi bob"),
		 .sent = 1, .expect = {"/presence[@type='subscribe']"}},
		/* Half a day later, room for one more. */
		{.advance = 12 * 3600 * 1000LL,
		 .send = SAY("s3@else.test/r", "alice@bc.test", "three"),
		 .sent = 1, .expect = {"/presence[@type='subscribe']"}},
		{.send = SAY("s4@else.test/r", "alice@bc.test", "four"),
		 .sent = 1, .expect = {"/message/error/st:policy-violation"}},
	};
	struct harness *h = world("<requests incoming-per-day='2'/>");
	struct store_request req;

	(void)state;
	harness_run(h, steps);
	/* The refused request was not opened. */
	assert_int_equal(store_request_get(h->store, "alice",
					   "s4\\40else.test", &req),
			 STORE_NOTFOUND);
	assert_int_equal(store_request_get(h->store, "alice",
					   "s3\\40else.test", &req),
			 0);
	assert_int_equal(req.held, 1);
	store_request_clear(&req);
	harness_free(h);
}

/* Reports by text and ad-hoc command count against one allowance. */
static void reports_by_text_bounded(void **state)
{
	static const struct harness_step steps[] = {
		{.send = BOT("alice@example.org/pc", "report bob spam junk"),
		 .expect = {"/message[@to='mod@example.org']/rep:report"}},
		{.send = "<message type='chat' id='r2' "
			 "from='alice@example.org/pc' to='bc.test'><body>"
			 "report carl abuse</body></message>",
		 .sent = 1, .expect = {
			 "/message[@type='error'][@id='r2']/error"
			 "/st:policy-violation",
		 }},
		{.send = "<iq type='set' id='c1' from='alice@example.org/pc' "
			 "to='bc.test'><command xmlns='"
			 "http://jabber.org/protocol/commands' node='report' "
			 "action='execute'/></iq>",
		 .capture = {{"sid", "/iq/cmd:command/@sessionid"}}},
		{.send = "<iq type='set' id='c2' from='alice@example.org/pc' "
			 "to='bc.test'><command xmlns='"
			 "http://jabber.org/protocol/commands' node='report' "
			 "sessionid='${sid}'><x xmlns='jabber:x:data' "
			 "type='submit'><field var='peer'><value>carl</value>"
			 "</field><field var='reason'><value>"
			 "urn:xmpp:reporting:spam</value></field></x>"
			 "</command></iq>",
		 .sent = 1, .expect = {"/iq[@id='c2']/error/st:policy-violation"}},
	};
	struct harness *h = world("<limits reports-per-day='1'/>");

	(void)state;
	harness_member(h, "carl", NULL, "carl@example.org");
	harness_run(h, steps);
	harness_assert_report(h, 1, "alice", NULL, "junk", NULL);
	harness_free(h);
}

static void settings_everyone_and_nobody_new(void **state)
{
	static const struct harness_step everyone[] = {
		{.send = SAY("bob@example.org/x", "alice@bc.test",
			     "straight through"),
		 .sent = 1, .expect = {"/message/body[.='straight through']"}},
	};
	static const struct harness_step nobody_new[] = {
		{.send = SAY("bob@example.org/x", "alice@bc.test", "refused"),
		 .sent = 1, .expect = {"/message/error/st:policy-violation"}},
		/* Admins and moderators are always known. */
		{.send = SAY("mod@example.org/x", "alice@bc.test",
			     "from the moderators"),
		 .sent = 1,
		 .expect = {"/message/body[.='from the moderators']"}},
	};
	/* Following makes someone known. */
	static const struct harness_step followed[] = {
		{.send = SAY("bob@example.org/x", "alice@bc.test",
			     "now you follow me"),
		 .expect = {"0: /message/body[.='now you follow me']"}},
	};
	struct harness *h = *state;
	struct store_identity id;

	assert_int_equal(store_identity_get(h->store, "alice", &id), 0);
	id.who = STORE_WHO_EVERYONE;
	assert_int_equal(store_identity_update(h->store, &id), 0);
	harness_run(h, everyone);
	id.who = STORE_WHO_NOBODY_NEW;
	assert_int_equal(store_identity_update(h->store, &id), 0);
	harness_run(h, nobody_new);
	assert_int_equal(store_follow(h->store, "alice", "bob"), 0);
	harness_run(h, followed);
}

/* An ad-hoc command: its first step, and the next step of the session in
 * ${sid} with a form. */
#define EXECUTE(from, node)                                                    \
	"<iq type='set' id='c1' from='" from "' to='bc.test'><command "        \
	"xmlns='http://jabber.org/protocol/commands' node='" node "' "         \
	"action='execute'></command></iq>"
#define COMPLETE(from, node, form)                                             \
	"<iq type='set' id='c1' from='" from "' to='bc.test'><command "        \
	"xmlns='http://jabber.org/protocol/commands' node='" node "' "         \
	"sessionid='${sid}' action='complete'>" form "</command></iq>"
#define FORM(fields) "<x xmlns='jabber:x:data' type='submit'>" fields "</x>"
#define FIELD(var, val) "<field var='" var "'><value>" val "</value></field>"
/* Keeps the session id of the answer in ${sid}. */
#define SESSION {{"sid", "/iq/cmd:command/@sessionid"}}

HARNESS_TEST(adhoc_requests_flow,
	{.send = EXECUTE("alice@example.org/pc", "requests"),
	 .expect = {
		 "0: /iq/cmd:command[@status='completed']",
		 "0: contains(string(/iq/cmd:command/cmd:note), "
		 "'no pending')",
	 }},
	{.send = SAY("bob@example.org/x", "alice@bc.test",
		     "&lt;b&gt;hey&lt;/b&gt; look at this")},
	{.send = EXECUTE("alice@example.org/pc", "requests"),
	 .capture = SESSION,
	 .expect = {
		 "0: /iq/cmd:command[@status='executing']",
		 "0: //data:field[@var='peer']/data:option"
		 "/data:value[.='bob']",
	 }},
	/* Step two shows the held message, defanged. */
	{.send = COMPLETE("alice@example.org/pc", "requests",
			  FORM(FIELD("peer", "bob"))),
	 .expect = {
		 "0: contains(//data:field[@type='fixed']/data:value, "
		 "'<b>hey</b> look at this')",
		 "0: count(//data:field[@var='action']/data:option) = 4",
	 }},
	/* Another account cannot take over the session. */
	{.send = COMPLETE("alice@example.org/other", "requests",
			  FORM(FIELD("action", "accept"))),
	 .expect = {"0: /iq/error/st:bad-request"}},
	/* The held message is delivered, the subscription request
	 * withdrawn, then the completed answer. */
	{.send = COMPLETE("alice@example.org/pc", "requests",
			  FORM(FIELD("action", "accept"))),
	 .expect = {
		 "0: /message[@from='bob@bc.test']",
		 "1: /presence[@type='unsubscribe'][@from='bob@bc.test']",
		 "2: /iq/cmd:command[@status='completed']",
	 }})

static void adhoc_settings_and_permissions(void **state)
{
	static const struct harness_step settings[] = {
		{.send = EXECUTE("alice@example.org/pc", "settings"),
		 .capture = SESSION,
		 .expect = {"0: //data:field[@var='who']"
			    "/data:value[.='follows']"}},
		{.send = COMPLETE("alice@example.org/pc", "settings",
				  FORM(FIELD("who", "nobody-new"))),
		 .expect = {"0: /iq/cmd:command[@status='completed']"}},
	};
	/* Members don't see admin commands; strangers see none. */
	static const struct harness_step permissions[] = {
		{.send = "<iq type='get' id='l1' from='alice@example.org/pc' "
			 "to='bc.test'><query "
			 "xmlns='http://jabber.org/protocol/disco#items' "
			 "node='http://jabber.org/protocol/commands'/></iq>",
		 .expect = {
			 "0: //items:item[@node='requests']",
			 "0: not(//items:item[@node='token'])",
		 }},
		{.send = EXECUTE("stranger@example.org/x", "requests"),
		 .expect = {"0: /iq/error/st:forbidden"}},
		{.send = EXECUTE("alice@example.org/pc", "identity-add"),
		 .expect = {"0: /iq/error/st:forbidden"}},
	};
	struct harness *h = *state;
	struct store_identity id;

	harness_run(h, settings);
	assert_int_equal(store_identity_get(h->store, "alice", &id), 0);
	assert_int_equal(id.who, STORE_WHO_NOBODY_NEW);
	harness_run(h, permissions);
}

static void adhoc_sessions_survive_a_wrong_answer_and_are_capped(void **state)
{
	static const struct harness_step wrong[] = {
		{.send = EXECUTE("alice@example.org/pc", "settings"),
		 .capture = SESSION},
		{.send = COMPLETE("alice@example.org/pc", "settings",
				  FORM(FIELD("who", "bogus"))),
		 .expect = {"0: /iq/error/st:bad-request"}},
		{.send = COMPLETE("alice@example.org/pc", "settings",
				  FORM(FIELD("who", "everyone"))),
		 .expect = {"0: /iq/cmd:command[@status='completed']"}},
	};
	/* One account cannot hold every session open. */
	static const struct harness_step open[] = {
		{.send = EXECUTE("alice@example.org/pc", "settings"),
		 .expect = {"0: /iq[@type='result']"}},
	};
	static const struct harness_step capped[] = {
		{.send = EXECUTE("alice@example.org/pc", "settings"),
		 .expect = {"0: /iq/error/st:resource-constraint"}},
		{.send = EXECUTE("bob@example.org/x", "settings"),
		 .expect = {"0: /iq[@type='result']"}},
	};
	struct harness *h = *state;
	int i;

	harness_run(h, wrong);
	for (i = 0; i < 16; i++)
		harness_run(h, open);
	harness_run(h, capped);
}

static void adhoc_provisioning_for_admins(void **state)
{
	static const struct harness_step add[] = {
		{.send = EXECUTE("bot@example.org/svc", "identity-add"),
		 .capture = SESSION},
		{.send = COMPLETE("bot@example.org/svc", "identity-add",
				  FORM(FIELD("handle", "dora")
				       FIELD("name", "Dora"))),
		 .expect = {
			 "0: /iq/cmd:command[@status='completed']",
			 "0: //cmd:note[@type='info']",
		 }},
		{.send = EXECUTE("bot@example.org/svc", "link"),
		 .capture = SESSION},
		{.send = COMPLETE("bot@example.org/svc", "link",
				  FORM(FIELD("handle", "dora")
				       FIELD("jid", "dora@example.org")))},
	};
	static const struct harness_step errors[] = {
		/* Errors come back as the note, in backchannelctl's words. */
		{.send = EXECUTE("bot@example.org/svc", "link"),
		 .capture = SESSION},
		{.send = COMPLETE("bot@example.org/svc", "link",
				  FORM(FIELD("handle", "nobody")
				       FIELD("jid", "x@example.org"))),
		 .expect = {"0: //cmd:note[@type='error']"}},
		{.send = EXECUTE("bot@example.org/svc", "token"),
		 .capture = SESSION},
		{.send = COMPLETE("bot@example.org/svc", "token",
				  FORM(FIELD("handle", "dora"))),
		 .expect = {"0: string-length(//cmd:note) = 32"}},
	};
	struct harness *h = *state;
	char handle[STORE_HANDLE_SIZE];

	harness_run(h, add);
	assert_int_equal(store_link_get(h->store, "dora@example.org", handle),
			 0);
	assert_string_equal(handle, "dora");
	harness_run(h, errors);
}

HARNESS_TEST(privileged_roster_group,
	/* Before the server grants anything, no roster push. */
	{.send = SAY("bob@example.org/x", "alice@bc.test", "first"),
	 .sent = 1},
	{.send = BOT("alice@example.org/pc", "decline bob")},
	{.send = "<message from='example.org' to='bc.test'><privilege "
		 "xmlns='urn:xmpp:privilege:2'><perm access='roster' "
		 "type='both'/><perm access='message' type='none'/>"
		 "</privilege></message>",
	 .sent = HARNESS_NONE},
	/* The announcement, then the roster push into the group. */
	{.advance = 8LL * 86400000,
	 .send = SAY("bob@example.org/x", "alice@bc.test", "second"),
	 .sent = 2, .expect = {
		 "1: /iq[@type='set'][@from='bc.test']"
		 "[@to='alice@example.org']",
		 "1: //roster:item[@jid='bob@bc.test'][@name='Bob']"
		 "/roster:group[.='Message Requests']",
	 }},
	/* Accepting moves the contact out of the group. */
	{.send = BOT("alice@example.org/pc", "accept bob"),
	 .expect = {
		 "1: /presence[@type='unsubscribe']",
		 "2: /iq[@type='set']",
		 "2: not(//*[local-name()='group'])",
		 "2: //roster:item[string(@subscription)='']",
	 }},
	/* A server of other users grants nothing for them; and a
	 * server that withdraws the permission gets no more
	 * pushes. */
	{.send = "<message from='example.org' to='bc.test'><privilege "
		 "xmlns='urn:xmpp:privilege:1'><perm access='roster' "
		 "type='none'/></privilege></message>",
	 .sent = HARNESS_NONE},
	{.send = SAY("carl@else.test/x", "alice@bc.test", "hi"),
	 .sent = 1, .expect = {"/presence[@type='subscribe']"}})

static void defang(void **state)
{
	char *s;

	(void)state;
	s = requests_defang("  hello\n\tworld  ", 100);
	assert_string_equal(s, "hello world");
	free(s);
	s = requests_defang("go to xmpp:evil@x.test?join now", 100);
	assert_string_equal(s, "go to xmpp[:]evil@x[.]test?join now");
	free(s);
	s = requests_defang("abcdefghij", 4);
	assert_string_equal(s, "abcd...");
	free(s);
	/* A cut never splits a UTF-8 character. */
	s = requests_defang("caf\xc3\xa9s", 4);
	assert_string_equal(s, "caf...");
	free(s);
}

/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
		T(unknown_sender_is_held_and_announced),
		T(nothing_flows_back_while_pending),
		T(retraction_from_a_stranger_gets_no_answer),
		T(accept_by_subscribed_delivers_in_order),
		T(replying_accepts),
		T(held_stamps_increase),
		T(decline_by_unsubscribed_then_cooldown),
		T(text_commands),
		T(block_looks_like_nobody),
		T(report_blocks_stores_and_tells_moderators),
		cmocka_unit_test_teardown(caps, harness_teardown),
		cmocka_unit_test_teardown(incoming_requests_bounded,
					  harness_teardown),
		cmocka_unit_test_teardown(reports_by_text_bounded,
					  harness_teardown),
		T(settings_everyone_and_nobody_new),
		T(adhoc_requests_flow),
		T(adhoc_settings_and_permissions),
		T(adhoc_sessions_survive_a_wrong_answer_and_are_capped),
		T(adhoc_provisioning_for_admins),
		T(privileged_roster_group),
		cmocka_unit_test(defang),
#undef T
	};

	return cmocka_run_group_tests_name("requests", tests, NULL, NULL);
}
