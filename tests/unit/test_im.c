/*
 * test_im.c - the one-to-one relay, registration and presence, through
 * the real router with a real store in a temporary directory.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "component/bc.h"
#include "component/clock.h"
#include "store/store.h"
#include "tests/unit/harness.h"

/* alice (two accounts) and bob (one) are members; carol is not. */
static struct harness *world(const char *extra)
{
	struct harness *h = harness_new(extra, true);
	struct store_identity a = {.handle = "alice", .name = "Alice"};
	struct store_identity b = {.handle = "bob", .name = "Bob"};
	struct store_identity z = {.handle = "zed"};

	assert_int_equal(store_identity_add(h->store, &a), 0);
	assert_int_equal(store_identity_add(h->store, &b), 0);
	assert_int_equal(store_identity_add(h->store, &z), 0);
	assert_int_equal(store_link(h->store, "alice", "alice@example.org"), 0);
	assert_int_equal(store_link(h->store, "alice", "a2@work.example"), 0);
	assert_int_equal(store_link(h->store, "bob", "bob@example.org"), 0);
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

static int teardown(void **state)
{
	harness_free(*state);
	return 0;
}

/* True when no recorded stanza names a real JID from the list. */
static void assert_no_real_jid(struct harness *h, const char *const *jids)
{
	size_t i, k;

	for (i = 0; i < h->n_sent; i++)
		for (k = 0; jids[k] != NULL; k++)
			if (strstr(h->sent[i], jids[k]) != NULL)
				fail_msg("stanza %zu names %s: %s", i, jids[k],
					 h->sent[i]);
}

static void member_to_member(void **state)
{
	struct harness *h = *state;
	static const char *const alice[] = {"alice@example.org",
					    "a2@work.example", NULL};

	harness_feed(h, "<message type='chat' id='m1' xml:lang='fr' "
			"from='bob@example.org/phone' to='alice@bc.test'>"
			"<body>hi alice</body>"
			"<active xmlns='http://jabber.org/protocol/chatstates'/>"
			"<request xmlns='urn:xmpp:receipts'/>"
			"<origin-id xmlns='urn:xmpp:sid:0' id='o-1'/>"
			"<stanza-id xmlns='urn:xmpp:sid:0' by='bob@example.org' "
			"id='s-1'/></message>");
	harness_assert_count(h, 2);
	harness_assert(h, 0, "string(/message/@from)", "bob@bc.test");
	harness_assert(h, 0, "string(/message/@to)", "a2@work.example");
	harness_assert(h, 1, "string(/message/@to)", "alice@example.org");
	harness_assert(h, 0, "string(/message/@id)", "m1");
	harness_assert(h, 0, "string(/message/@type)", "chat");
	harness_assert(h, 0, "string(/message/@xml:lang)", "fr");
	harness_assert(h, 0, "count(/message/@lang)", "0");
	harness_assert(h, 0, "string(/message/body)", "hi alice");
	harness_assert(h, 0, "count(/message/*[local-name()='active'])", "1");
	harness_assert(h, 0, "count(/message/*[local-name()='request'])", "1");
	harness_assert(h, 0, "string(/message/*[local-name()='origin-id']/@id)",
		       "o-1");
	/* Stanza ids stamped by others name real JIDs: never relayed. */
	harness_assert(h, 0, "count(/message/*[local-name()='stanza-id'])",
		       "0");
	{
		static const char *const bob[] = {"bob@example.org", NULL};

		assert_no_real_jid(h, bob);
	}
	harness_clear(h);
	/* The reply goes back the same way. */
	harness_feed(h, "<message type='chat' id='m2' "
			"from='alice@example.org/pc' to='bob@bc.test'>"
			"<body>hi bob</body></message>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/@from)", "alice@bc.test");
	harness_assert(h, 0, "string(/message/@to)", "bob@example.org");
	assert_no_real_jid(h, alice);
}

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

static void outside_user_both_ways(void **state)
{
	struct harness *h = *state;

	/* alice writes first, so she knows carol from then on. */
	harness_feed(h, "<message type='chat' id='x1' "
			"from='alice@example.org/pc' "
			"to='carol\\40outside.test@bc.test'>"
			"<body>hello carol</body></message>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/@from)", "alice@bc.test");
	harness_assert(h, 0, "string(/message/@to)", "carol@outside.test");
	harness_clear(h);
	harness_feed(h, "<message type='chat' id='x2' "
			"from='carol@outside.test/laptop' to='alice@bc.test'>"
			"<body>hello from outside</body></message>");
	harness_assert_count(h, 2);
	harness_assert(h, 0, "string(/message/@from)",
		       "carol\\40outside.test@bc.test");
	harness_assert(h, 0, "string(/message/body)", "hello from outside");
}

static void no_relay_between_outsiders(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<message type='chat' id='r1' "
			"from='carol@outside.test/laptop' "
			"to='dave\\40elsewhere.test@bc.test'>"
			"<body>spam</body></message>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "count(/message/error/st:service-unavailable)",
		       "1");
}

static void linked_account_not_reachable_escaped(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<message type='chat' id='l1' "
			"from='bob@example.org/x' "
			"to='alice\\40example.org@bc.test'><body>who are "
			"you</body></message>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "count(/message/error/st:service-unavailable)",
		       "1");
}

static void unknown_handle_and_no_accounts(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<message type='chat' id='u1' from='bob@example.org/x' "
			"to='nobody@bc.test'><body>hi</body></message>");
	/* zed exists but has no linked account: the same answer. */
	harness_feed(h, "<message type='chat' id='u2' from='bob@example.org/x' "
			"to='zed@bc.test'><body>hi</body></message>");
	harness_assert_count(h, 2);
	harness_assert(h, 0, "string(/message/@type)", "error");
	harness_assert(h, 0, "string(/message/@from)", "nobody@bc.test");
	harness_assert(h, 0, "count(/message/error/st:service-unavailable)",
		       "1");
	harness_assert(h, 1, "count(/message/error/st:service-unavailable)",
		       "1");
}

static void remote_errors_map_back(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<message type='chat' id='b1' from='bob@example.org/x' "
			"to='alice@bc.test'><body>hi</body></message>");
	harness_clear(h);
	/* alice's second server bounces it, naming alice's real JID. */
	harness_feed(h, "<message type='error' id='b1' from='a2@work.example' "
			"to='bob@bc.test'><body>hi</body><error type='cancel' "
			"by='work.example'><item-not-found xmlns='urn:ietf:"
			"params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:"
			"params:xml:ns:xmpp-stanzas'>a2@work.example is "
			"gone</text></error></message>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/@type)", "error");
	harness_assert(h, 0, "string(/message/@id)", "b1");
	/* Back to the exact account that sent it, from alice's address. */
	harness_assert(h, 0, "string(/message/@to)", "bob@example.org/x");
	harness_assert(h, 0, "string(/message/@from)", "alice@bc.test");
	harness_assert(h, 0, "string(/message/error/@type)", "cancel");
	harness_assert(h, 0, "count(/message/error/st:item-not-found)", "1");
	{
		static const char *const a2[] = {"a2@work.example",
						 "work.example", NULL};

		assert_no_real_jid(h, a2);
	}
}

static void rate_limit(void **state)
{
	struct harness *h = world("<limits rate='60' burst='3'/>");
	char msg[256];
	int i;

	(void)state;
	clock_pin(1000000);
	for (i = 0; i < 4; i++) {
		snprintf(msg, sizeof(msg),
			 "<message type='chat' id='q%d' from='bob@example.org/x' "
			 "to='alice@bc.test'><body>%d</body></message>",
			 i, i);
		harness_feed(h, msg);
	}
	/* Three bursts of two copies, then an error for the fourth. */
	harness_assert_count(h, 7);
	harness_assert(h, 6, "string(/message/@id)", "q3");
	harness_assert(h, 6, "count(/message/error/st:resource-constraint)",
		       "1");
	harness_assert(h, 6, "string(/message/error/@type)", "wait");
	harness_clear(h);
	/* A second later one token is back. */
	clock_advance(1000);
	harness_feed(h, "<message type='chat' id='q9' from='bob@example.org/x' "
			"to='alice@bc.test'><body>later</body></message>");
	harness_assert_count(h, 2);
	harness_assert(h, 0, "string(/message/body)", "later");
	clock_unpin();
	harness_free(h);
}

static void oversized_stanza(void **state)
{
	struct harness *h = world("<limits max-stanza='1024'/>");
	char big[2048], msg[2300];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(msg, sizeof(msg),
		 "<message type='chat' id='big' from='bob@example.org/x' "
		 "to='alice@bc.test'><body>%s</body></message>",
		 big);
	harness_feed(h, msg);
	harness_assert_count(h, 1);
	harness_assert(h, 0, "count(/message/error/st:policy-violation)", "1");
	harness_free(h);
}

#define RETRACT(id)                                                            \
	"<message type='chat' id='r-" id "' from='bob@example.org/x' "        \
	"to='alice@bc.test'><retract xmlns='urn:xmpp:message-retract:1' "     \
	"id='" id "'/><fallback xmlns='urn:xmpp:fallback:0' "                 \
	"for='urn:xmpp:message-retract:1'/><body>retracted</body></message>"

static void retraction_refused_by_default(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<message type='chat' id='m1' from='bob@example.org/x' "
			"to='alice@bc.test'><body>oops</body></message>");
	harness_clear(h);
	harness_feed(h, RETRACT("m1"));
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/@type)", "error");
	harness_assert(h, 0, "count(/message/error/st:not-allowed)", "1");
	harness_assert(h, 0, "contains(/message/error/st:text, 'report')",
		       "true");
}

static void retraction_within_the_window(void **state)
{
	struct harness *h = world("<retraction window='5m'/>");

	(void)state;
	clock_pin(1800000000000LL);
	harness_feed(h, "<message type='chat' id='m1' from='bob@example.org/x' "
			"to='alice@bc.test'><origin-id xmlns='urn:xmpp:sid:0' "
			"id='o-1'/><body>oops</body></message>");
	harness_clear(h);
	/* By origin-id (XEP-0424), within the window: relayed to both of
	 * alice's accounts. */
	clock_advance(60000);
	harness_feed(h, RETRACT("o-1"));
	harness_assert_count(h, 2);
	harness_assert(h, 0,
		       "string(/message/*[local-name()='retract']/@id)", "o-1");
	harness_clear(h);
	/* The older fastening form, by message id. */
	harness_feed(h, "<message type='chat' id='r2' from='bob@example.org/x' "
			"to='alice@bc.test'><apply-to xmlns='urn:xmpp:fasten:0' "
			"id='m1'><retract xmlns='urn:xmpp:message-retract:0'/>"
			"</apply-to></message>");
	harness_assert_count(h, 2);
	harness_clear(h);
	/* Something never sent, or sent too long ago: refused. */
	harness_feed(h, RETRACT("nope"));
	harness_assert(h, 0, "count(/message/error/st:not-allowed)", "1");
	harness_clear(h);
	clock_advance(5 * 60000);
	harness_feed(h, RETRACT("o-1"));
	harness_assert(h, 0, "count(/message/error/st:not-allowed)", "1");
	clock_unpin();
	harness_free(h);
}

static void registration_links_with_token(void **state)
{
	struct harness *h = *state;
	char token[STORE_TOKEN_SIZE], iq[512], handle[STORE_HANDLE_SIZE];

	harness_feed(h, "<iq type='get' id='g1' from='new@example.org/x' "
			"to='bc.test'><query xmlns='jabber:iq:register'/></iq>");
	harness_assert(h, 0, "string(/iq/@type)", "result");
	harness_assert(h, 0,
		       "count(/iq/*[local-name()='query']/*[local-name()="
		       "'registered'])",
		       "0");
	harness_clear(h);
	assert_int_equal(store_token_new(h->store, "zed", 60000, token), 0);
	/* A wrong token is refused with a reason. */
	harness_feed(h, "<iq type='set' id='s0' from='new@example.org/x' "
			"to='bc.test'><query xmlns='jabber:iq:register'>"
			"<username>zed</username><password>nope</password>"
			"</query></iq>");
	harness_assert(h, 0, "count(/iq/error/st:not-authorized)", "1");
	harness_assert(h, 0, "boolean(/iq/error/st:text)", "true");
	harness_clear(h);
	snprintf(iq, sizeof(iq),
		 "<iq type='set' id='s1' from='New@Example.org/x' "
		 "to='bc.test'><query xmlns='jabber:iq:register'>"
		 "<username>ZED</username><password>%s</password></query></iq>",
		 token);
	harness_feed(h, iq);
	harness_assert(h, 0, "string(/iq/@type)", "result");
	/* D asks the new account for its presence, as a transport does. */
	harness_assert(h, 1, "string(/presence/@type)", "subscribe");
	harness_assert(h, 1, "string(/presence/@to)", "new@example.org");
	assert_int_equal(store_link_get(h->store, "new@example.org", handle), 0);
	assert_string_equal(handle, "zed");
	harness_clear(h);
	/* The token is used up. */
	snprintf(iq, sizeof(iq),
		 "<iq type='set' id='s2' from='other@example.org/x' "
		 "to='bc.test'><query xmlns='jabber:iq:register'>"
		 "<username>zed</username><password>%s</password></query></iq>",
		 token);
	harness_feed(h, iq);
	harness_assert(h, 0, "count(/iq/error/st:not-authorized)", "1");
	harness_assert(h, 0, "contains(/iq/error/st:text, 'already used')",
		       "true");
	harness_clear(h);
	/* Now registered, and the form says so. */
	harness_feed(h, "<iq type='get' id='g2' from='new@example.org/x' "
			"to='bc.test'><query xmlns='jabber:iq:register'/></iq>");
	harness_assert(h, 0,
		       "string(/iq/*[local-name()='query']/*[local-name()="
		       "'username'])",
		       "zed");
	harness_clear(h);
	harness_feed(h, "<iq type='set' id='r1' from='new@example.org/x' "
			"to='bc.test'><query xmlns='jabber:iq:register'>"
			"<remove/></query></iq>");
	harness_assert(h, 0, "string(/iq/@type)", "result");
	assert_int_equal(store_link_get(h->store, "new@example.org", handle),
			 STORE_NOTFOUND);
	harness_clear(h);
	harness_feed(h, "<iq type='set' id='r2' from='new@example.org/x' "
			"to='bc.test'><query xmlns='jabber:iq:register'>"
			"<remove/></query></iq>");
	harness_assert(h, 0, "count(/iq/error/st:registration-required)", "1");
}

static void registration_token_expires(void **state)
{
	struct harness *h = *state;
	char token[STORE_TOKEN_SIZE], iq[512];

	clock_pin(2000000000000LL);
	assert_int_equal(store_token_new(h->store, "zed", 60000, token), 0);
	clock_advance(60001);
	snprintf(iq, sizeof(iq),
		 "<iq type='set' id='e1' from='late@example.org/x' "
		 "to='bc.test'><query xmlns='jabber:iq:register'>"
		 "<username>zed</username><password>%s</password></query></iq>",
		 token);
	harness_feed(h, iq);
	clock_unpin();
	harness_assert(h, 0, "count(/iq/error/st:not-authorized)", "1");
	harness_assert(h, 0, "contains(/iq/error/st:text, 'expired')", "true");
}

static void registration_refuses_bad_input(void **state)
{
	struct harness *h = *state;
	char token[STORE_TOKEN_SIZE], iq[512];

	harness_feed(h, "<iq type='set' id='s1' from='n@example.org/x' "
			"to='bc.test'><query xmlns='jabber:iq:register'>"
			"<username>zed</username></query></iq>");
	harness_feed(h, "<iq type='set' id='s2' from='n@example.org/x' "
			"to='bc.test'><query xmlns='jabber:iq:register'>"
			"<username>not a handle</username><password>x"
			"</password></query></iq>");
	harness_assert(h, 0, "count(/iq/error/st:not-acceptable)", "1");
	harness_assert(h, 1, "count(/iq/error/st:not-acceptable)", "1");
	harness_clear(h);
	/* A JID linked elsewhere cannot take another identity. */
	assert_int_equal(store_token_new(h->store, "zed", 60000, token), 0);
	snprintf(iq, sizeof(iq),
		 "<iq type='set' id='s3' from='bob@example.org/x' "
		 "to='bc.test'><query xmlns='jabber:iq:register'>"
		 "<username>zed</username><password>%s</password></query></iq>",
		 token);
	harness_feed(h, iq);
	harness_assert(h, 0, "count(/iq/error/st:conflict)", "1");
}

static void presence_of_identities(void **state)
{
	struct harness *h = *state;

	/* bob subscribes to alice@D: approved, and told she is away. */
	harness_feed(h, "<presence type='subscribe' from='bob@example.org' "
			"to='alice@bc.test'/>");
	harness_assert_count(h, 2);
	harness_assert(h, 0, "string(/presence/@type)", "subscribed");
	harness_assert(h, 0, "string(/presence/@from)", "alice@bc.test");
	harness_assert(h, 1, "string(/presence/@type)", "unavailable");
	harness_clear(h);
	/* One of alice's accounts comes online: bob hears alice@D. */
	harness_feed(h, "<presence from='a2@work.example/desk' to='bc.test'>"
			"<show>dnd</show><c xmlns='http://jabber.org/protocol/"
			"caps' node='x' ver='y' hash='sha-1'/></presence>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/presence/@from)", "alice@bc.test");
	harness_assert(h, 0, "string(/presence/@to)", "bob@example.org");
	harness_assert(h, 0, "string(/presence/@type)", "");
	/* Nothing of the real account's presence is copied. */
	harness_assert(h, 0, "count(/presence/*)", "0");
	harness_clear(h);
	/* A second account changes nothing; probes are answered. */
	harness_feed(h, "<presence from='alice@example.org/pc' to='bc.test'/>");
	harness_feed(h, "<presence type='probe' from='bob@example.org' "
			"to='alice@bc.test'/>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/presence/@type)", "");
	harness_clear(h);
	harness_feed(h, "<presence type='unavailable' "
			"from='a2@work.example/desk' to='bc.test'/>");
	harness_feed(h, "<presence type='unavailable' "
			"from='alice@example.org/pc' to='bc.test'/>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/presence/@type)", "unavailable");
	harness_clear(h);
	/* No such identity: unsubscribed. */
	harness_feed(h, "<presence type='subscribe' from='bob@example.org' "
			"to='nobody@bc.test'/>");
	harness_assert(h, 0, "string(/presence/@type)", "unsubscribed");
}

static void presence_private_to_strangers(void **state)
{
	struct harness *h = *state;

	/* A stranger's probe learns nothing of alice's presence. */
	harness_feed(h, "<presence type='probe' from='stranger@else.test' "
			"to='alice@bc.test'/>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/presence/@type)", "unsubscribed");
	harness_clear(h);
	/* zed has no account: as if there were no zed. */
	harness_feed(h, "<presence type='subscribe' from='bob@example.org' "
			"to='zed@bc.test'/>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/presence/@type)", "unsubscribed");
	harness_clear(h);
	/* alice's presence to an outside contact: type and show only. */
	harness_feed(h, "<presence from='alice@example.org/pc' "
			"to='carol\\40outside.test@bc.test'><show>away</show>"
			"<status>at the dentist</status><c xmlns='http://jabber."
			"org/protocol/caps' node='n' ver='v' hash='sha-1'/>"
			"</presence>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/presence/@from)", "alice@bc.test");
	harness_assert(h, 0, "string(/presence/@to)", "carol@outside.test");
	harness_assert(h, 0, "string(/presence/show)", "away");
	harness_assert(h, 0, "count(/presence/*)", "1");
}

static void presence_to_service(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<presence type='subscribe' from='bob@example.org' "
			"to='bc.test'/>");
	harness_assert_count(h, 2);
	harness_assert(h, 0, "string(/presence/@type)", "subscribed");
	harness_assert(h, 1, "string(/presence/@type)", "");
	harness_clear(h);
	harness_feed(h, "<presence type='probe' from='bob@example.org/x' "
			"to='bc.test'/>");
	harness_assert(h, 0, "string(/presence/@to)", "bob@example.org/x");
}

static void disco_on_identities(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='get' id='i1' from='bob@example.org/x' "
			"to='alice@bc.test'><query xmlns='http://jabber.org/"
			"protocol/disco#info'/></iq>");
	harness_feed(h, "<iq type='get' id='i2' from='bob@example.org/x' "
			"to='nobody@bc.test'><query xmlns='http://jabber.org/"
			"protocol/disco#info'/></iq>");
	harness_assert(h, 0, "string(/iq/disco:query/disco:identity/@category)",
		       "account");
	harness_assert(h, 0, "string(/iq/disco:query/disco:identity/@name)",
		       "Alice");
	harness_assert(h, 0, "count(/iq/disco:query/disco:feature[@var="
			     "'jabber:iq:register'])",
		       "0");
	harness_assert(h, 1, "count(/iq/error/st:service-unavailable)", "1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
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
#undef T
	};

	return cmocka_run_group_tests_name("im", tests, NULL, NULL);
}
