/*
 * test_im.c - the one-to-one relay, registration and presence, through
 * the real router with a real store in a temporary directory.
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
#include "xep/ns.h"

/* alice (two accounts) and bob (one) are members; carol is not. */
static struct harness *world(const char *extra)
{
	struct harness *h = harness_new(extra, true);

	harness_member(h, "alice", "Alice", "alice@example.org");
	assert_int_equal(store_link(h->store, "alice", "a2@work.example"), 0);
	harness_member(h, "bob", "Bob", "bob@example.org");
	harness_member(h, "zed", NULL, NULL);
	/* alice and bob know each other (the request rules have their own
	 * tests in test_requests.c). */
	assert_int_equal(store_follow(h->store, "alice", "bob"), 0);
	assert_int_equal(store_follow(h->store, "bob", "alice"), 0);
	return h;
}

static int setup(void **state)
{
	*state = world(NULL);
	return 0;
}

/* A chat message with a body. */
#define CHAT(id, from, to, body)                                               \
	"<message type='chat' id='" id "' from='" from "' to='" to "'>"        \
	"<body>" body "</body></message>"

/* Stanza text: an IQ with its payload, a presence without one. */
#define IQ(type, id, from, to, payload)                                        \
	"<iq type='" type "' id='" id "' from='" from "' to='" to "'>"         \
	payload "</iq>"
#define DISCO_INFO "<query xmlns='" NS_DISCO_INFO "'/>"
#define REG_FORM "<query xmlns='" NS_REGISTER "'/>"
#define PRESENCE(type, from, to)                                               \
	"<presence type='" type "' from='" from "' to='" to "'/>"

/* clang-format off: step tables keep their layout */

HARNESS_TEST(member_to_member,
	{.send = "<message type='chat' id='m1' xml:lang='fr' "
		 "from='bob@example.org/phone' to='alice@bc.test'>"
		 "<body>hi alice</body>"
		 "<active xmlns='http://jabber.org/protocol/chatstates'/>"
		 "<request xmlns='urn:xmpp:receipts'/>"
		 "<origin-id xmlns='urn:xmpp:sid:0' id='o-1'/>"
		 "<stanza-id xmlns='urn:xmpp:sid:0' by='bob@example.org' "
		 "id='s-1'/></message>",
	 .sent = 2, .expect = {
		 "0: /message[@from='bob@bc.test'][@to='a2@work.example']"
		 "[@id='m1'][@type='chat'][@xml:lang='fr'][not(@lang)]",
		 "1: /message[@to='alice@example.org']",
		 "0: /message/body[.='hi alice']",
		 "0: /message/*[local-name()='active']",
		 "0: /message/*[local-name()='request']",
		 "0: /message/sid:origin-id[@id='o-1']",
		 /* Stanza ids stamped by others name real JIDs: never
		  * relayed; the service stamps its own, by the sender's
		  * address (XEP-0359), the same in every copy. */
		 "0: not(/message/sid:stanza-id[@id='s-1'])",
		 "0: count(/message/sid:stanza-id) = 1",
		 "0: /message/sid:stanza-id[@by='bob@bc.test']"
		 "[string-length(@id) = 22]",
		 "1: /message/sid:stanza-id[@id = '${sid}']",
	 },
	 .capture = {{"sid", "0: /message/sid:stanza-id/@id"}},
	 .never = {"bob@example.org"}},
	/* The reply goes back the same way. */
	{.send = CHAT("m2", "alice@example.org/pc", "bob@bc.test",
		      "hi bob"),
	 .sent = 1,
	 .expect = {"/message[@from='alice@bc.test'][@to='bob@example.org']"},
	 .never = {"alice@example.org", "a2@work.example"}})

static void evidence_and_wrote_first(void **state)
{
	struct harness *h = *state;
	struct store_relation rel;
	char **ev = NULL;

	harness_feed(h, "<message type='chat' id='e1' from='bob@example.org/x' "
			"to='alice@bc.test'><body>one</body></message>");
	harness_feed(h, "<message type='chat' id='e2' from='bob@example.org/x' "
			"to='alice@bc.test'><composing xmlns='http://jabber.org/"
			"protocol/chatstates'/></message>");
	harness_feed(h, "<message type='chat' id='e3' from='bob@example.org/x' "
			"to='alice@bc.test'><body>two</body></message>");
	assert_int_equal(store_evidence_list(h->store, "bob", "alice", &ev), 0);
	/* Only messages with a body are evidence; they name addresses. */
	assert_non_null(ev[0]);
	assert_non_null(ev[1]);
	assert_null(ev[2]);
	assert_non_null(strstr(ev[0], "one"));
	assert_non_null(strstr(ev[0], "from=\"bob@bc.test\""));
	assert_non_null(strstr(ev[0], "to=\"alice@bc.test\""));
	assert_null(strstr(ev[0], "example.org"));
	store_strv_free(ev);
	assert_int_equal(store_relation_get(h->store, "bob", "alice", &rel), 0);
	assert_true(rel.flags & STORE_REL_WROTE_FIRST);
}

HARNESS_TEST(outside_user_both_ways,
	/* alice writes first, so she knows carol from then on. */
	{.send = CHAT("x1", "alice@example.org/pc",
		      "carol\\40outside.test@bc.test", "hello carol"),
	 .sent = 1, .expect = {
		 "/message[@from='alice@bc.test']"
		 "[@to='carol@outside.test']",
	 }},
	{.send = CHAT("x2", "carol@outside.test/laptop", "alice@bc.test",
		      "hello from outside"),
	 .sent = 2, .expect = {
		 "0: /message[@from='carol\\40outside.test@bc.test']"
		 "/body[.='hello from outside']",
	 }})

HARNESS_TEST(no_relay_between_outsiders,
	{.send = CHAT("r1", "carol@outside.test/laptop",
		      "dave\\40elsewhere.test@bc.test", "spam"),
	 .sent = 1, .expect = {"/message/error/st:service-unavailable"}})

HARNESS_TEST(linked_account_not_reachable_escaped,
	{.send = CHAT("l1", "bob@example.org/x",
		      "alice\\40example.org@bc.test", "who are you"),
	 .sent = 1, .expect = {"/message/error/st:service-unavailable"}})

HARNESS_TEST(unknown_handle_and_no_accounts,
	{.send = CHAT("u1", "bob@example.org/x", "nobody@bc.test", "hi"),
	 .sent = 1, .expect = {
		 "/message[@type='error'][@from='nobody@bc.test']"
		 "/error/st:service-unavailable",
	 }},
	/* zed exists but has no linked account: the same answer. */
	{.send = CHAT("u2", "bob@example.org/x", "zed@bc.test", "hi"),
	 .sent = 1, .expect = {"/message/error/st:service-unavailable"}})

HARNESS_TEST(remote_errors_map_back,
	{.send = CHAT("b1", "bob@example.org/x", "alice@bc.test", "hi")},
	/* alice's second server bounces it, naming alice's real JID. */
	{.send = "<message type='error' id='b1' from='a2@work.example' "
		 "to='bob@bc.test'><body>hi</body><error type='cancel' "
		 "by='work.example'><item-not-found xmlns='urn:ietf:"
		 "params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:"
		 "params:xml:ns:xmpp-stanzas'>a2@work.example is "
		 "gone</text></error></message>",
	 .sent = 1,
	 /* Back to the exact account that sent it, from alice's
	  * address. */
	 .expect = {
		 "/message[@type='error'][@id='b1']"
		 "[@to='bob@example.org/x'][@from='alice@bc.test']"
		 "/error[@type='cancel']/st:item-not-found",
	 },
	 .never = {"a2@work.example", "work.example"}})

static void rate_limit(void **state)
{
	static const struct harness_step steps[] = {
		/* Three bursts of two copies, then an error for the fourth. */
		{.send = CHAT("q0", "bob@example.org/x", "alice@bc.test", "0"),
		 .sent = 2},
		{.send = CHAT("q1", "bob@example.org/x", "alice@bc.test", "1"),
		 .sent = 2},
		{.send = CHAT("q2", "bob@example.org/x", "alice@bc.test", "2"),
		 .sent = 2},
		{.send = CHAT("q3", "bob@example.org/x", "alice@bc.test", "3"),
		 .sent = 1, .expect = {
			 "/message[@id='q3']"
			 "/error[@type='wait']/st:resource-constraint",
		 }},
		/* A second later one token is back. */
		{.advance = 1000,
		 .send = CHAT("q9", "bob@example.org/x", "alice@bc.test",
			      "later"),
		 .sent = 2, .expect = {"0: /message/body[.='later']"}},
	};
	struct harness *h = world("<limits rate='60' burst='3'/>");

	(void)state;
	clock_pin(1000000);
	harness_run(h, steps);
	clock_unpin();
	harness_free(h);
}

static void oversized_stanza(void **state)
{
	static const struct harness_step steps[] = {
		{.send = CHAT("big", "bob@example.org/x", "alice@bc.test",
			      "${big}"),
		 .sent = 1, .expect = {"/message/error/st:policy-violation"}},
	};
	struct harness *h = world("<limits max-stanza='1024'/>");
	char big[2048];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	harness_var_set(h, "big", big);
	harness_run(h, steps);
	harness_free(h);
}

#define RETRACT(id)                                                            \
	"<message type='chat' id='r-" id "' from='bob@example.org/x' "         \
	"to='alice@bc.test'><retract xmlns='urn:xmpp:message-retract:1' "      \
	"id='" id "'/><fallback xmlns='urn:xmpp:fallback:0' "                  \
	"for='urn:xmpp:message-retract:1'/><body>retracted</body></message>"

HARNESS_TEST(retraction_refused_by_default,
	{.send = CHAT("m1", "bob@example.org/x", "alice@bc.test", "oops")},
	{.send = RETRACT("m1"),
	 .sent = 1, .expect = {
		 "/message[@type='error']/error/st:not-allowed",
		 "contains(/message/error/st:text, 'report')",
	 }})

static void retraction_within_the_window(void **state)
{
	static const struct harness_step steps[] = {
		{.send = "<message type='chat' id='m1' "
			 "from='bob@example.org/x' to='alice@bc.test'>"
			 "<origin-id xmlns='urn:xmpp:sid:0' id='o-1'/>"
			 "<body>oops</body></message>"},
		/* By origin-id (XEP-0424), within the window: relayed to both
		 * of alice's accounts. */
		{.advance = 60000,
		 .send = RETRACT("o-1"),
		 .sent = 2,
		 .expect = {"0: /message/retract:retract[@id='o-1']"}},
		/* The older fastening form, by message id. */
		{.send = "<message type='chat' id='r2' "
			 "from='bob@example.org/x' to='alice@bc.test'>"
			 "<apply-to xmlns='urn:xmpp:fasten:0' id='m1'>"
			 "<retract xmlns='urn:xmpp:message-retract:0'/>"
			 "</apply-to></message>",
		 .sent = 2},
		/* Something never sent, or sent too long ago: refused. */
		{.send = RETRACT("nope"),
		 .sent = 1, .expect = {"/message/error/st:not-allowed"}},
		{.advance = 5 * 60000,
		 .send = RETRACT("o-1"),
		 .sent = 1, .expect = {"/message/error/st:not-allowed"}},
	};
	struct harness *h = world("<retraction window='5m'/>");

	(void)state;
	clock_pin(1800000000000LL);
	harness_run(h, steps);
	clock_unpin();
	harness_free(h);
}

/* Registration with the token in the slot ${token}. */
#define REGISTER(id, from, user)                                               \
	"<iq type='set' id='" id "' from='" from "' to='bc.test'>"             \
	"<query xmlns='jabber:iq:register'><username>" user "</username>"      \
	"<password>${token}</password></query></iq>"

static void registration_links_with_token(void **state)
{
	static const struct harness_step form[] = {
		{.send = IQ("get", "g1", "new@example.org/x", "bc.test",
			    REG_FORM),
		 .sent = 1, .expect = {
			 "/iq[@type='result'][not(*[local-name()='query']"
			 "/*[local-name()='registered'])]",
		 }},
	};
	static const struct harness_step link[] = {
		/* A wrong token is refused with a reason. */
		{.send = "<iq type='set' id='s0' from='new@example.org/x' "
			 "to='bc.test'><query xmlns='jabber:iq:register'>"
			 "<username>zed</username><password>nope</password>"
			 "</query></iq>",
		 .sent = 1, .expect = {
			 "/iq/error/st:not-authorized",
			 "boolean(/iq/error/st:text)",
		 }},
		{.send = REGISTER("s1", "New@Example.org/x", "ZED"),
		 .expect = {
			 "0: /iq[@type='result']",
			 /* D asks the new account for its presence, as a
			  * transport does. */
			 "1: /presence[@type='subscribe']"
			 "[@to='new@example.org']",
		 }},
	};
	static const struct harness_step remove[] = {
		/* The token is used up. */
		{.send = REGISTER("s2", "other@example.org/x", "zed"),
		 .sent = 1, .expect = {
			 "/iq/error/st:not-authorized",
			 "contains(/iq/error/st:text, 'already used')",
		 }},
		/* Now registered, and the form says so. */
		{.send = IQ("get", "g2", "new@example.org/x", "bc.test",
			    REG_FORM),
		 .sent = 1, .expect = {"/iq/reg:query/reg:username[.='zed']"}},
		{.send = "<iq type='set' id='r1' from='new@example.org/x' "
			 "to='bc.test'><query xmlns='jabber:iq:register'>"
			 "<remove/></query></iq>",
		 .expect = {"0: /iq[@type='result']"}},
	};
	static const struct harness_step removed[] = {
		{.send = "<iq type='set' id='r2' from='new@example.org/x' "
			 "to='bc.test'><query xmlns='jabber:iq:register'>"
			 "<remove/></query></iq>",
		 .sent = 1, .expect = {"/iq/error/st:registration-required"}},
	};
	struct harness *h = *state;
	char token[STORE_TOKEN_SIZE], handle[STORE_HANDLE_SIZE];

	harness_run(h, form);
	assert_int_equal(store_token_new(h->store, "zed", 60000, token), 0);
	harness_var_set(h, "token", token);
	harness_run(h, link);
	assert_int_equal(store_link_get(h->store, "new@example.org", handle),
			 0);
	assert_string_equal(handle, "zed");
	harness_run(h, remove);
	assert_int_equal(store_link_get(h->store, "new@example.org", handle),
			 STORE_NOTFOUND);
	harness_run(h, removed);
}

static void registration_token_expires(void **state)
{
	static const struct harness_step steps[] = {
		{.advance = 60001,
		 .send = REGISTER("e1", "late@example.org/x", "zed"),
		 .sent = 1, .expect = {
			 "/iq/error/st:not-authorized",
			 "contains(/iq/error/st:text, 'expired')",
		 }},
	};
	struct harness *h = *state;
	char token[STORE_TOKEN_SIZE];

	clock_pin(2000000000000LL);
	assert_int_equal(store_token_new(h->store, "zed", 60000, token), 0);
	harness_var_set(h, "token", token);
	harness_run(h, steps);
}

static void registration_refuses_bad_input(void **state)
{
	static const struct harness_step bad[] = {
		{.send = "<iq type='set' id='s1' from='n@example.org/x' "
			 "to='bc.test'><query xmlns='jabber:iq:register'>"
			 "<username>zed</username></query></iq>",
		 .sent = 1, .expect = {"/iq/error/st:not-acceptable"}},
		{.send = "<iq type='set' id='s2' from='n@example.org/x' "
			 "to='bc.test'><query xmlns='jabber:iq:register'>"
			 "<username>not a handle</username><password>x"
			 "</password></query></iq>",
		 .sent = 1, .expect = {"/iq/error/st:not-acceptable"}},
	};
	/* A JID linked elsewhere cannot take another identity. */
	static const struct harness_step taken[] = {
		{.send = REGISTER("s3", "bob@example.org/x", "zed"),
		 .sent = 1, .expect = {"/iq/error/st:conflict"}},
	};
	struct harness *h = *state;
	char token[STORE_TOKEN_SIZE];

	harness_run(h, bad);
	assert_int_equal(store_token_new(h->store, "zed", 60000, token), 0);
	harness_var_set(h, "token", token);
	harness_run(h, taken);
}

HARNESS_TEST(presence_of_identities,
	/* bob subscribes to alice@D: approved, and told she is
	 * away. */
	{.send = PRESENCE("subscribe", "bob@example.org", "alice@bc.test"),
	 .sent = 2, .expect = {
		 "0: /presence[@type='subscribed'][@from='alice@bc.test']",
		 "1: /presence[@type='unavailable']",
	 }},
	/* One of alice's accounts comes online: bob hears alice@D. */
	{.send = "<presence from='a2@work.example/desk' to='bc.test'>"
		 "<show>dnd</show><c xmlns='http://jabber.org/protocol/"
		 "caps' node='x' ver='y' hash='sha-1'/></presence>",
	 .sent = 1,
	 /* Nothing of the real account's presence is copied. */
	 .expect = {
		 "/presence[@from='alice@bc.test']"
		 "[@to='bob@example.org'][string(@type)=''][not(*)]",
	 }},
	/* A second account changes nothing; probes are answered. */
	{.send = "<presence from='alice@example.org/pc' to='bc.test'/>",
	 .sent = HARNESS_NONE},
	{.send = PRESENCE("probe", "bob@example.org", "alice@bc.test"),
	 .sent = 1, .expect = {"/presence[string(@type)='']"}},
	{.send = PRESENCE("unavailable", "a2@work.example/desk", "bc.test"),
	 .sent = HARNESS_NONE},
	{.send = PRESENCE("unavailable", "alice@example.org/pc", "bc.test"),
	 .sent = 1, .expect = {"/presence[@type='unavailable']"}},
	/* No such identity: unsubscribed. */
	{.send = PRESENCE("subscribe", "bob@example.org", "nobody@bc.test"),
	 .sent = 1, .expect = {"/presence[@type='unsubscribed']"}})

HARNESS_TEST(presence_private_to_strangers,
	/* A stranger's probe learns nothing of alice's presence. */
	{.send = PRESENCE("probe", "stranger@else.test", "alice@bc.test"),
	 .sent = 1, .expect = {"/presence[@type='unsubscribed']"}},
	/* zed has no account: as if there were no zed. */
	{.send = PRESENCE("subscribe", "bob@example.org", "zed@bc.test"),
	 .sent = 1, .expect = {"/presence[@type='unsubscribed']"}},
	/* alice's presence to an outside contact: type and show
	 * only. */
	{.send = "<presence from='alice@example.org/pc' "
		 "to='carol\\40outside.test@bc.test'><show>away</show>"
		 "<status>at the dentist</status><c xmlns='http://jabber."
		 "org/protocol/caps' node='n' ver='v' hash='sha-1'/>"
		 "</presence>",
	 .sent = 1, .expect = {
		 "/presence[@from='alice@bc.test']"
		 "[@to='carol@outside.test'][count(*)=1]"
		 "/show[.='away']",
	 }})

HARNESS_TEST(presence_to_service,
	{.send = PRESENCE("subscribe", "bob@example.org", "bc.test"),
	 .sent = 2, .expect = {
		 "0: /presence[@type='subscribed']",
		 "1: /presence[string(@type)='']",
	 }},
	{.send = PRESENCE("probe", "bob@example.org/x", "bc.test"),
	 .sent = 1, .expect = {"/presence[@to='bob@example.org/x']"}})

HARNESS_TEST(disco_on_identities,
	{.send = IQ("get", "i1", "bob@example.org/x", "alice@bc.test",
		    DISCO_INFO),
	 .sent = 1, .expect = {
		 "/iq/disco:query"
		 "/disco:identity[@category='account'][@name='Alice']",
		 "not(/iq/disco:query"
		 "/disco:feature[@var='jabber:iq:register'])",
	 }},
	{.send = IQ("get", "i2", "bob@example.org/x", "nobody@bc.test",
		    DISCO_INFO),
	 .sent = 1, .expect = {"/iq/error/st:service-unavailable"}})

/* clang-format on */

/* A bare domain has no address under D: escaped it would read as a
 * handle (a domain "bob" or "ann.example" posing as that member). */
HARNESS_TEST(domains_are_not_members,
	{.send = CHAT("d1", "ann.example", "alice@bc.test", "I am ann"),
	 .sent = 1,
	 .expect = {"0: /message[@type='error'][@to='ann.example']"
		    "[@from='alice@bc.test']/error/st:not-allowed"}},
	{.send = CHAT("d2", "bob", "alice@bc.test", "I am bob"), .sent = 1,
	 .expect = {"0: /message[@type='error']/error/st:not-allowed"},
	 .never = {"I am bob"}},
	{.send = PRESENCE("probe", "bob", "alice@bc.test"),
	 .sent = HARNESS_NONE},
	{.send = PRESENCE("subscribe", "ann.example", "alice@bc.test"),
	 .sent = HARNESS_NONE})

/* The probes after D connects, paced: every linked account is probed
 * exactly once, at most 200 (a probe and a subscribe each) at a time,
 * a page per tick and at most one per 100 ms. */
static void probes_are_paced(void **state)
{
	struct harness *h = *state;
	char jid[64], **seen = NULL, **links = NULL;
	size_t i, j, n = 0, nlinks = 0, sizes[4];

	clock_pin(1790000000000LL);
	for (i = 0; i < 450; i++) {
		snprintf(jid, sizeof(jid), "p%03zu@example.org", i);
		assert_int_equal(store_link(h->store, "alice", jid), 0);
	}
	/* Every link there is, the world's members' included. */
	assert_int_equal(store_link_page(h->store, "", 100000, &links), 0);
	while (links[nlinks] != NULL)
		nlinks++;
	assert_true(nlinks >= 450 && nlinks < 600);

	harness_clear(h);
	bc_connected(h->bc, BC_LINK_SERVICE);
	assert_int_equal(bc_flush(h->bc), 0);
	for (i = 0; i < 4; i++) {
		if (i > 0) {
			/* Too soon: nothing. */
			harness_clear(h);
			bc_tick(h->bc);
			assert_int_equal(bc_flush(h->bc), 0);
			assert_int_equal(h->n_sent, 0);
			clock_advance(100);
			bc_tick(h->bc);
			assert_int_equal(bc_flush(h->bc), 0);
		}
		sizes[i] = h->n_sent;
		assert_true(h->n_sent <= 2 * 200);
		seen = realloc(seen, (n + h->n_sent + 1) * sizeof(*seen));
		assert_non_null(seen);
		for (j = 0; j < h->n_sent; j++) {
			char *to = harness_xpath(h, j, "string(/presence"
						       "[@type='probe']/@to)");

			if (to[0] != '\0')
				seen[n++] = to;
			else
				free(to);
		}
		harness_clear(h);
	}
	assert_int_equal(sizes[0], 400);
	assert_int_equal(sizes[1], 400);
	assert_int_equal(sizes[2], 2 * (nlinks - 400));
	assert_int_equal(sizes[3], 0); /* the round is over */
	/* Each link probed once. */
	assert_int_equal(n, nlinks);
	for (i = 0; i < n; i++) {
		assert_string_equal(seen[i], links[i]);
		free(seen[i]);
	}
	free(seen);
	store_strv_free(links);
	clock_unpin();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
		T(member_to_member),
		T(evidence_and_wrote_first),
		T(outside_user_both_ways),
		T(no_relay_between_outsiders),
		T(linked_account_not_reachable_escaped),
		T(unknown_handle_and_no_accounts),
		T(remote_errors_map_back),
		cmocka_unit_test(rate_limit),
		cmocka_unit_test(oversized_stanza),
		T(retraction_refused_by_default),
		cmocka_unit_test(retraction_within_the_window),
		T(registration_links_with_token),
		T(registration_token_expires),
		T(registration_refuses_bad_input),
		T(presence_of_identities),
		T(presence_private_to_strangers),
		T(presence_to_service),
		T(disco_on_identities),
		T(domains_are_not_members),
		T(probes_are_paced),
#undef T
	};

	return cmocka_run_group_tests_name("im", tests, NULL, NULL);
}
