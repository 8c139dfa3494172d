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
	struct store_identity a = {.handle = "alice", .name = "Alice"};
	struct store_identity b = {.handle = "bob", .name = "Bob"};

	snprintf(cfg, sizeof(cfg),
		 "<moderator jid='mod@example.org'/>"
		 "<admin jid='bot@example.org'/>%s",
		 extra ? extra : "");
	clock_pin(T0);
	h = harness_new(cfg, true);
	assert_int_equal(store_identity_add(h->store, &a), 0);
	assert_int_equal(store_identity_add(h->store, &b), 0);
	assert_int_equal(store_link(h->store, "alice", "alice@example.org"), 0);
	assert_int_equal(store_link(h->store, "bob", "bob@example.org"), 0);
	return h;
}

static int setup(void **state)
{
	*state = world(NULL);
	return 0;
}

static int teardown(void **state)
{
	harness_free(*state);
	clock_unpin();
	return 0;
}

static void say(struct harness *h, const char *from, const char *to,
		const char *body)
{
	char msg[1024];

	snprintf(msg, sizeof(msg),
		 "<message type='chat' from='%s' to='%s'><body>%s</body>"
		 "</message>",
		 from, to, body);
	harness_feed(h, msg);
}

static void bot(struct harness *h, const char *from, const char *text)
{
	say(h, from, "bc.test", text);
}

static void unknown_sender_is_held_and_announced(void **state)
{
	struct harness *h = *state;
	struct store_request req;

	say(h, "bob@example.org/x", "alice@bc.test",
	    "hi, see https://evil.example/x and www.spam.test");
	/* Held: nothing reaches alice but one subscription request. */
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/presence/@type)", "subscribe");
	harness_assert(h, 0, "string(/presence/@from)", "bob@bc.test");
	harness_assert(h, 0, "string(/presence/@to)", "alice@example.org");
	harness_assert(h, 0, "string(/presence/*[local-name()='nick'])", "Bob");
	/* The preview is text with inert links. */
	harness_assert(h, 0, "string(/presence/status)",
		       "hi, see https[:]//evil[.]example/x and "
		       "www[.]spam[.]test");
	assert_int_equal(store_request_get(h->store, "alice", "bob", &req), 0);
	assert_int_equal(req.held, 1);
	store_request_clear(&req);
	harness_clear(h);
	/* The second is held silently; the sender hears nothing. */
	say(h, "bob@example.org/x", "alice@bc.test", "are you there?");
	harness_assert_count(h, 0);
}

static void nothing_flows_back_while_pending(void **state)
{
	struct harness *h = *state;

	say(h, "bob@example.org/x", "alice@bc.test", "hello");
	harness_clear(h);
	/* alice's client sends a chat state and a receipt: dropped. */
	harness_feed(h, "<message from='alice@example.org/pc' to='bob@bc.test'>"
			"<received xmlns='urn:xmpp:receipts' id='x'/></message>");
	harness_feed(h, "<message type='chat' from='alice@example.org/pc' "
			"to='bob@bc.test'><composing xmlns='http://jabber.org/"
			"protocol/chatstates'/></message>");
	/* Her presence probe to him is not answered by approval either. */
	harness_feed(h, "<presence type='subscribe' from='alice@example.org' "
			"to='bob@bc.test'/>");
	harness_assert_count(h, 0);
	/* Chat states from the unknown sender are not held. */
	harness_feed(h, "<message type='chat' from='bob@example.org/x' "
			"to='alice@bc.test'><active xmlns='http://jabber.org/"
			"protocol/chatstates'/></message>");
	harness_assert_count(h, 0);
}

static void retraction_from_a_stranger_gets_no_answer(void **state)
{
	struct harness *h = *state;

	say(h, "bob@example.org/x", "alice@bc.test", "held");
	harness_clear(h);
	/* Whatever the answer, it would tell held from delivered. */
	harness_feed(h, "<message type='chat' id='r' from='bob@example.org/x' "
			"to='alice@bc.test'><retract xmlns='urn:xmpp:message-"
			"retract:1' id='x'/><body>retracted</body></message>");
	harness_assert_count(h, 0);
}

static void accept_by_subscribed_delivers_in_order(void **state)
{
	struct harness *h = *state;

	say(h, "bob@example.org/x", "alice@bc.test", "first");
	clock_advance(60000);
	say(h, "bob@example.org/x", "alice@bc.test", "second");
	harness_clear(h);
	clock_advance(60000);
	harness_feed(h, "<presence type='subscribed' from='alice@example.org' "
			"to='bob@bc.test'/>");
	harness_assert_count(h, 2);
	harness_assert(h, 0, "string(/message/body)", "first");
	harness_assert(h, 1, "string(/message/body)", "second");
	harness_assert(h, 0, "string(/message/@from)", "bob@bc.test");
	harness_assert(h, 0, "string(/message/@to)", "alice@example.org");
	/* XEP-0203 stamps of when each was received. */
	harness_assert(h, 0, "string(/message/*[local-name()='delay']/@stamp)",
		       "2025-11-24T16:00:00.000Z");
	harness_assert(h, 1, "string(/message/*[local-name()='delay']/@stamp)",
		       "2025-11-24T16:01:00.000Z");
	harness_clear(h);
	/* Known both ways from now on. */
	say(h, "bob@example.org/x", "alice@bc.test", "third");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/body)", "third");
	harness_clear(h);
	say(h, "alice@example.org/pc", "bob@bc.test", "hi bob");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/@to)", "bob@example.org");
}

static void replying_accepts(void **state)
{
	struct harness *h = *state;

	say(h, "bob@example.org/x", "alice@bc.test", "hello?");
	harness_clear(h);
	say(h, "alice@example.org/pc", "bob@bc.test", "hello bob");
	/* Her held message first, then her reply. */
	harness_assert_count(h, 2);
	harness_assert(h, 0, "string(/message/body)", "hello?");
	harness_assert(h, 0, "string(/message/@to)", "alice@example.org");
	harness_assert(h, 1, "string(/message/body)", "hello bob");
	harness_assert(h, 1, "string(/message/@to)", "bob@example.org");
}

static void decline_by_unsubscribed_then_cooldown(void **state)
{
	struct harness *h = *state;
	struct store_request req;

	say(h, "bob@example.org/x", "alice@bc.test", "buy now");
	harness_clear(h);
	harness_feed(h, "<presence type='unsubscribed' "
			"from='alice@example.org' to='bob@bc.test'/>");
	/* Only the withdrawal of the announcement goes out. */
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/presence/@type)", "unsubscribe");
	harness_assert(h, 0, "string(/presence/@from)", "bob@bc.test");
	harness_clear(h);
	assert_int_equal(store_request_get(h->store, "alice", "bob", &req),
			 STORE_NOTFOUND);
	/* A new request within the cool-down is refused. */
	say(h, "bob@example.org/x", "alice@bc.test", "again");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "count(/message/error/st:policy-violation)", "1");
	harness_clear(h);
	/* After it (7 days by default), he may ask again. */
	clock_advance(7LL * 86400000 + 1);
	say(h, "bob@example.org/x", "alice@bc.test", "third try");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/presence/@type)", "subscribe");
}

static void text_commands(void **state)
{
	struct harness *h = *state;

	say(h, "bob@example.org/x", "alice@bc.test", "hi alice");
	harness_clear(h);
	bot(h, "alice@example.org/pc", "requests");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/@from)", "bc.test");
	harness_assert(h, 0, "string(/message/@to)", "alice@example.org/pc");
	harness_assert(h, 0, "contains(/message/body, 'bob (Bob), 1 message')",
		       "true");
	harness_assert(h, 0, "contains(/message/body, 'hi alice')", "true");
	harness_clear(h);
	bot(h, "alice@example.org/pc", "ACCEPT Bob");
	/* The held message, then the answer. */
	harness_assert_count(h, 2);
	harness_assert(h, 0, "string(/message/body)", "hi alice");
	harness_assert(h, 1, "contains(/message/body, 'Accepted')", "true");
	harness_clear(h);
	bot(h, "alice@example.org/pc", "decline bob");
	harness_assert(h, 0, "contains(/message/body, 'no pending request')",
		       "true");
	harness_clear(h);
	bot(h, "alice@example.org/pc", "help");
	harness_assert(h, 0, "contains(/message/body, 'report HANDLE')", "true");
	harness_clear(h);
	bot(h, "alice@example.org/pc", "frobnicate");
	harness_assert(h, 0, "contains(/message/body, 'frobnicate')", "true");
	harness_clear(h);
	bot(h, "stranger@example.org/x", "requests");
	harness_assert(h, 0, "contains(/message/body, 'not linked')", "true");
}

static void block_looks_like_nobody(void **state)
{
	struct harness *h = *state;

	say(h, "bob@example.org/x", "alice@bc.test", "hi");
	harness_clear(h);
	bot(h, "alice@example.org/pc", "block bob");
	harness_clear(h);
	say(h, "bob@example.org/x", "alice@bc.test", "hi again");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "count(/message/error/st:service-unavailable)",
		       "1");
	harness_clear(h);
	/* Writing to someone you blocked is refused, XEP-0191 §3.3. */
	say(h, "alice@example.org/pc", "bob@bc.test", "oops");
	harness_assert(h, 0, "count(/message/error/st:not-acceptable)", "1");
	harness_assert(h, 0, "count(/message/error/blk:blocked)", "1");
	harness_clear(h);
	bot(h, "alice@example.org/pc", "unblock bob");
	harness_clear(h);
	say(h, "bob@example.org/x", "alice@bc.test", "hello, friend?");
	harness_assert(h, 0, "string(/presence/@type)", "subscribe");
}

static void report_blocks_stores_and_tells_moderators(void **state)
{
	struct harness *h = *state;
	struct store_report *reps = NULL;
	size_t n = 0;

	say(h, "bob@example.org/x", "alice@bc.test", "spam spam spam");
	harness_clear(h);
	bot(h, "alice@example.org/pc", "report bob spam he keeps selling");
	/* The request's announcement is withdrawn, one report goes to the
	 * moderator, and alice gets the answer. */
	harness_assert_count(h, 3);
	harness_assert(h, 0, "string(/presence/@type)", "unsubscribe");
	harness_assert(h, 1, "string(/message/@to)", "mod@example.org");
	harness_assert(h, 1,
		       "string(/message/*[local-name()='report']/@reason)",
		       "urn:xmpp:reporting:spam");
	harness_assert(h, 1,
		       "string(/message/*[local-name()='report']"
		       "/*[local-name()='jid'])",
		       "bob@bc.test");
	harness_assert(h, 1,
		       "string(/message/*[local-name()='report']"
		       "/*[local-name()='text'])",
		       "he keeps selling");
	harness_assert(h, 2, "contains(/message/body, 'Reported bob')", "true");
	assert_int_equal(store_report_list(h->store, true, &reps, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(reps[0].reporter, "alice");
	assert_string_equal(reps[0].reported, "bob");
	assert_non_null(reps[0].evidence);
	assert_non_null(strstr(reps[0].evidence[0], "spam spam spam"));
	store_report_list_free(reps, n);
	harness_clear(h);
	say(h, "bob@example.org/x", "alice@bc.test", "still there?");
	harness_assert(h, 0, "count(/message/error/st:service-unavailable)",
		       "1");
	harness_clear(h);
	bot(h, "alice@example.org/pc", "report bob nonsense");
	harness_assert(h, 0, "contains(/message/body, 'Usage')", "true");
}

static void caps(void **state)
{
	struct harness *h = world("<requests held='2' per-day='2'/>");
	struct store_identity c = {.handle = "carl"};

	(void)state;
	assert_int_equal(store_identity_add(h->store, &c), 0);
	assert_int_equal(store_link(h->store, "carl", "carl@example.org"), 0);
	say(h, "bob@example.org/x", "alice@bc.test", "1");
	say(h, "bob@example.org/x", "alice@bc.test", "2");
	harness_clear(h);
	say(h, "bob@example.org/x", "alice@bc.test", "3");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "count(/message/error/st:policy-violation)", "1");
	harness_assert(h, 0, "boolean(/message/error/st:text)", "true");
	harness_clear(h);
	/* New requests per day: bob opens a second, then a third fails. */
	say(h, "bob@example.org/x", "carl@bc.test", "hi carl");
	harness_assert(h, 0, "string(/presence/@type)", "subscribe");
	harness_clear(h);
	/* A handle that does not exist opens no request. */
	say(h, "bob@example.org/x", "nobody-yet@bc.test", "x");
	harness_assert(h, 0, "count(/message/error/st:service-unavailable)",
		       "1");
	harness_clear(h);
	say(h, "outsider@else.test/r", "alice@bc.test", "a");
	say(h, "outsider@else.test/r", "bob@bc.test", "b");
	harness_clear(h);
	say(h, "outsider@else.test/r", "carl@bc.test", "c");
	harness_assert(h, 0, "count(/message/error/st:policy-violation)", "1");
	harness_free(h);
}

static void settings_everyone_and_nobody_new(void **state)
{
	struct harness *h = *state;
	struct store_identity id;

	assert_int_equal(store_identity_get(h->store, "alice", &id), 0);
	id.who = STORE_WHO_EVERYONE;
	assert_int_equal(store_identity_update(h->store, &id), 0);
	say(h, "bob@example.org/x", "alice@bc.test", "straight through");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/body)", "straight through");
	harness_clear(h);
	id.who = STORE_WHO_NOBODY_NEW;
	assert_int_equal(store_identity_update(h->store, &id), 0);
	say(h, "bob@example.org/x", "alice@bc.test", "refused");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "count(/message/error/st:policy-violation)", "1");
	harness_clear(h);
	/* Admins and moderators are always known. */
	say(h, "mod@example.org/x", "alice@bc.test", "from the moderators");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/body)", "from the moderators");
	harness_clear(h);
	/* Following makes someone known. */
	assert_int_equal(store_follow(h->store, "alice", "bob"), 0);
	say(h, "bob@example.org/x", "alice@bc.test", "now you follow me");
	harness_assert(h, 0, "string(/message/body)", "now you follow me");
}

/* Runs one ad-hoc step; returns the session id (static buffer). */
static const char *adhoc(struct harness *h, const char *from, const char *node,
			 const char *sid, const char *form)
{
	static char session[64];
	char iq[2048];
	char *got;

	snprintf(iq, sizeof(iq),
		 "<iq type='set' id='c1' from='%s' to='bc.test'><command "
		 "xmlns='http://jabber.org/protocol/commands' node='%s' "
		 "%s%s%s action='%s'>%s</command></iq>",
		 from, node, sid ? "sessionid='" : "", sid ? sid : "",
		 sid ? "'" : "", sid ? "complete" : "execute",
		 form ? form : "");
	harness_clear(h);
	harness_feed(h, iq);
	got = harness_xpath(h, h->n_sent - 1,
			    "string(/iq/*[local-name()='command']/@sessionid)");
	snprintf(session, sizeof(session), "%s", got);
	free(got);
	return session;
}

#define FORM(fields) "<x xmlns='jabber:x:data' type='submit'>" fields "</x>"
#define FIELD(var, val) "<field var='" var "'><value>" val "</value></field>"

static void adhoc_requests_flow(void **state)
{
	struct harness *h = *state;
	char sid[64];

	adhoc(h, "alice@example.org/pc", "requests", NULL, NULL);
	harness_assert(h, 0, "string(/iq/*[local-name()='command']/@status)",
		       "completed");
	harness_assert(h, 0,
		       "contains(string(/iq/*[local-name()='command']/"
		       "*[local-name()='note']), 'no pending')",
		       "true");
	say(h, "bob@example.org/x", "alice@bc.test",
	    "&lt;b&gt;hey&lt;/b&gt; look at this");
	snprintf(sid, sizeof(sid), "%s",
		 adhoc(h, "alice@example.org/pc", "requests", NULL, NULL));
	harness_assert(h, 0, "string(/iq/*[local-name()='command']/@status)",
		       "executing");
	harness_assert(h, 0,
		       "string(//data:field[@var='peer']/data:option/"
		       "data:value)",
		       "bob");
	/* Step two shows the held message, defanged. */
	adhoc(h, "alice@example.org/pc", "requests", sid,
	      FORM(FIELD("peer", "bob")));
	harness_assert(h, 0,
		       "contains(//data:field[@type='fixed']/data:value, "
		       "'<b>hey</b> look at this')",
		       "true");
	harness_assert(h, 0, "count(//data:field[@var='action']/data:option)",
		       "4");
	/* Another account cannot take over the session. */
	adhoc(h, "alice@example.org/other", "requests", sid,
	      FORM(FIELD("action", "accept")));
	harness_assert(h, 0, "count(/iq/error/st:bad-request)", "1");
	adhoc(h, "alice@example.org/pc", "requests", sid,
	      FORM(FIELD("action", "accept")));
	/* The held message is delivered, then the completed answer. */
	harness_assert(h, 0, "string(/message/@from)", "bob@bc.test");
	harness_assert(h, 1, "string(/iq/*[local-name()='command']/@status)",
		       "completed");
}

static void adhoc_settings_and_permissions(void **state)
{
	struct harness *h = *state;
	const char *sid;
	struct store_identity id;

	sid = adhoc(h, "alice@example.org/pc", "settings", NULL, NULL);
	harness_assert(h, 0, "string(//data:field[@var='who']/data:value)",
		       "follows");
	adhoc(h, "alice@example.org/pc", "settings", sid,
	      FORM(FIELD("who", "nobody-new")));
	harness_assert(h, 0, "string(/iq/*[local-name()='command']/@status)",
		       "completed");
	assert_int_equal(store_identity_get(h->store, "alice", &id), 0);
	assert_int_equal(id.who, STORE_WHO_NOBODY_NEW);
	/* Members don't see admin commands; strangers see none. */
	harness_clear(h);
	harness_feed(h, "<iq type='get' id='l1' from='alice@example.org/pc' "
			"to='bc.test'><query xmlns='http://jabber.org/protocol/"
			"disco#items' node='http://jabber.org/protocol/"
			"commands'/></iq>");
	harness_assert(h, 0, "count(//items:item[@node='requests'])", "1");
	harness_assert(h, 0, "count(//items:item[@node='token'])", "0");
	adhoc(h, "stranger@example.org/x", "requests", NULL, NULL);
	harness_assert(h, 0, "count(/iq/error/st:forbidden)", "1");
	adhoc(h, "alice@example.org/pc", "identity-add", NULL, NULL);
	harness_assert(h, 0, "count(/iq/error/st:forbidden)", "1");
}

static void adhoc_sessions_survive_a_wrong_answer_and_are_capped(void **state)
{
	struct harness *h = *state;
	char sid[64];
	int i;

	snprintf(sid, sizeof(sid), "%s",
		 adhoc(h, "alice@example.org/pc", "settings", NULL, NULL));
	adhoc(h, "alice@example.org/pc", "settings", sid,
	      FORM(FIELD("who", "bogus")));
	harness_assert(h, 0, "count(/iq/error/st:bad-request)", "1");
	adhoc(h, "alice@example.org/pc", "settings", sid,
	      FORM(FIELD("who", "everyone")));
	harness_assert(h, 0, "string(/iq/*[local-name()='command']/@status)",
		       "completed");
	/* One account cannot hold every session open. */
	for (i = 0; i < 16; i++) {
		adhoc(h, "alice@example.org/pc", "settings", NULL, NULL);
		harness_assert(h, 0, "string(/iq/@type)", "result");
	}
	adhoc(h, "alice@example.org/pc", "settings", NULL, NULL);
	harness_assert(h, 0, "count(/iq/error/st:resource-constraint)", "1");
	adhoc(h, "bob@example.org/x", "settings", NULL, NULL);
	harness_assert(h, 0, "string(/iq/@type)", "result");
}

static void adhoc_provisioning_for_admins(void **state)
{
	struct harness *h = *state;
	char sid[64], handle[STORE_HANDLE_SIZE];

	snprintf(sid, sizeof(sid), "%s",
		 adhoc(h, "bot@example.org/svc", "identity-add", NULL, NULL));
	adhoc(h, "bot@example.org/svc", "identity-add", sid,
	      FORM(FIELD("handle", "dora") FIELD("name", "Dora")));
	harness_assert(h, 0, "string(/iq/*[local-name()='command']/@status)",
		       "completed");
	harness_assert(h, 0, "string(//*[local-name()='note']/@type)", "info");
	snprintf(sid, sizeof(sid), "%s",
		 adhoc(h, "bot@example.org/svc", "link", NULL, NULL));
	adhoc(h, "bot@example.org/svc", "link", sid,
	      FORM(FIELD("handle", "dora") FIELD("jid", "dora@example.org")));
	assert_int_equal(store_link_get(h->store, "dora@example.org", handle),
			 0);
	assert_string_equal(handle, "dora");
	/* Errors come back as the note, in backchannelctl's words. */
	snprintf(sid, sizeof(sid), "%s",
		 adhoc(h, "bot@example.org/svc", "link", NULL, NULL));
	adhoc(h, "bot@example.org/svc", "link", sid,
	      FORM(FIELD("handle", "nobody") FIELD("jid", "x@example.org")));
	harness_assert(h, 0, "string(//*[local-name()='note']/@type)", "error");
	snprintf(sid, sizeof(sid), "%s",
		 adhoc(h, "bot@example.org/svc", "token", NULL, NULL));
	adhoc(h, "bot@example.org/svc", "token", sid,
	      FORM(FIELD("handle", "dora")));
	harness_assert(h, 0,
		       "string-length(//*[local-name()='note'])", "32");
}

static void privileged_roster_group(void **state)
{
	struct harness *h = *state;

	/* Before the server grants anything, no roster push. */
	say(h, "bob@example.org/x", "alice@bc.test", "first");
	harness_assert_count(h, 1);
	bot(h, "alice@example.org/pc", "decline bob");
	harness_clear(h);
	harness_feed(h, "<message from='example.org' to='bc.test'><privilege "
			"xmlns='urn:xmpp:privilege:2'><perm access='roster' "
			"type='both'/><perm access='message' type='none'/>"
			"</privilege></message>");
	harness_assert_count(h, 0);
	clock_advance(8LL * 86400000);
	say(h, "bob@example.org/x", "alice@bc.test", "second");
	/* The announcement, then the roster push into the group. */
	harness_assert_count(h, 2);
	harness_assert(h, 1, "string(/iq/@type)", "set");
	harness_assert(h, 1, "string(/iq/@from)", "bc.test");
	harness_assert(h, 1, "string(/iq/@to)", "alice@example.org");
	harness_assert(h, 1, "string(//*[local-name()='item']/@jid)",
		       "bob@bc.test");
	harness_assert(h, 1, "string(//*[local-name()='item']/@name)", "Bob");
	harness_assert(h, 1, "string(//*[local-name()='group'])",
		       "Message Requests");
	harness_clear(h);
	/* Accepting moves the contact out of the group. */
	bot(h, "alice@example.org/pc", "accept bob");
	harness_assert(h, 1, "string(/iq/@type)", "set");
	harness_assert(h, 1, "count(//*[local-name()='group'])", "0");
	harness_assert(h, 1, "string(//*[local-name()='item']/@subscription)",
		       "");
	harness_clear(h);
	/* A server of other users grants nothing for them; and a server
	 * that withdraws the permission gets no more pushes. */
	harness_feed(h, "<message from='example.org' to='bc.test'><privilege "
			"xmlns='urn:xmpp:privilege:1'><perm access='roster' "
			"type='none'/></privilege></message>");
	say(h, "carl@else.test/x", "alice@bc.test", "hi");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/presence/@type)", "subscribe");
}

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

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(unknown_sender_is_held_and_announced),
		T(nothing_flows_back_while_pending),
		T(retraction_from_a_stranger_gets_no_answer),
		T(accept_by_subscribed_delivers_in_order),
		T(replying_accepts),
		T(decline_by_unsubscribed_then_cooldown),
		T(text_commands),
		T(block_looks_like_nobody),
		T(report_blocks_stores_and_tells_moderators),
		cmocka_unit_test_teardown(caps, teardown),
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
