/*
 * test_muc_mam.c - the room archive and moderation with the real room
 * core, end to end through the router: messages said in a room are found
 * by XEP-0313 queries without any real JID, a moderator's XEP-0425
 * retraction reaches every occupant, and the tombstone replaces the
 * message both in queries and in the history a rejoining occupant gets.
 * (tests/unit/test_mam.c covers the query and moderation rules in detail,
 * with the room core stood in for.)
 *
 * D = bc.test, M = rooms.bc.test.  alice, bob and carol are members
 * (alice@example.org, ...); alice owns friends@M, bob is a member there,
 * carol is not.
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
#include "tests/unit/muc-steps.h"
#include "xep/ns.h"

#define M "rooms.bc.test"
#define ROOM "friends@" M
#define A "alice@example.org/pc"
#define B "bob@example.org/pc"
#define C "carol@example.org/pc"

#define IQ(type, from, payload)                                                \
	"<iq type='" type "' id='q1' from='" from "' to='" ROOM "'>" payload   \
	"</iq>"
#define MAM_QUERY(from, x)                                                     \
	IQ("set", from, "<query xmlns='" NS_MAM "' queryid='f1'>" x "</query>")
#define MODERATE(from, id, reason)                                             \
	IQ("set", from, "<moderate id='" id "' xmlns='" NS_MODERATE "'>"       \
	   "<retract xmlns='" NS_RETRACT "'/><reason>" reason "</reason>"      \
	   "</moderate>")
#define RESULT(n, id)                                                          \
	#n ": /message[@from='" ROOM "'][@to='" A "']/mam:result"             \
	"[@queryid='f1'][@id='" id "']/fwd:forwarded/client:message"

static void member(struct harness *h, const char *handle, const char *jid)
{
	struct store_identity id = {0};

	snprintf(id.handle, sizeof(id.handle), "%s", handle);
	assert_int_equal(store_identity_add(h->store, &id), 0);
	assert_int_equal(store_link(h->store, handle, jid), 0);
}

static int setup(void **state)
{
	struct harness *h = harness_new(NULL, true);

	clock_pin(1800000000000LL); /* 2027-01-15T08:00:00Z */
	member(h, "alice", "alice@example.org");
	member(h, "bob", "bob@example.org");
	member(h, "carol", "carol@example.org");
	assert_int_equal(store_follow(h->store, "alice", "bob"), 0);
	assert_int_equal(store_follow(h->store, "bob", "alice"), 0);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	harness_free(*state);
	clock_unpin();
	return 0;
}

/* clang-format off: step tables keep their layout */

static void archive_and_moderation(void **state)
{
	static const struct harness_step steps[] = {
		/* alice creates the room; bob becomes a member and joins. */
		{.send = JOIN(A, "alice"), .sent = 2},
		{.send = IQ("set", A, "<query xmlns='" NS_MUC_OWNER "'>"
			    "<x xmlns='" NS_DATA "' type='submit'/></query>"),
		 .sent = 1, .expect = {"/iq[@type='result']"}},
		{.send = IQ("set", A, "<query xmlns='" NS_MUC_ADMIN "'>"
			    "<item affiliation='member' jid='bob@bc.test'/>"
			    "</query>"),
		 .sent = 2},
		{.send = JOIN(B, "bob"), .sent = 4},
		/* Disco of the room names both protocols, the extended
		 * archive fields and tombstones. */
		{.send = IQ("get", B, "<query xmlns='" NS_DISCO_INFO "'/>"),
		 .sent = 1,
		 .expect = {"/iq/disco:query/disco:feature[@var='" NS_MAM "']",
			    "/iq/disco:query/disco:feature"
			    "[@var='" NS_MODERATE "']",
			    "/iq/disco:query/disco:feature"
			    "[@var='" NS_MAM_EXTENDED "']",
			    "/iq/disco:query/disco:feature"
			    "[@var='" NS_RETRACT_TOMBSTONE "']"}},
		{.send = SAY(B, "g1", "one"), .sent = 2,
		 .capture = {{"s1", "/message[@to='" A "']/sid:stanza-id/@id"}}},
		{.advance = 1000, .send = SAY(A, "g2", "two"), .sent = 2,
		 .capture = {{"s2", "/message[@to='" A "']/sid:stanza-id/@id"}}},
		/* The archive as occupants got it: occupant JIDs only. */
		{.send = MAM_QUERY(A, ""),
		 .sent = 3,
		 .expect = {RESULT(0, "${s1}") "[@from='" ROOM "/bob']"
			    "[client:body='one'][@id='g1']"
			    "[occupant:occupant-id/@id]"
			    "[sid:stanza-id/@id='${s1}']"
			    /* Non-anonymous: the publisher's address. */
			    "[muc_user:x/muc_user:item/@jid='bob@bc.test']",
			    RESULT(1, "${s2}") "[client:body='two']",
			    "2: /iq[@type='result']/mam:fin[@complete='true']"
			    "/rsm:set[rsm:first='${s1}'][rsm:last='${s2}']"},
		 .never = {"bob@example.org"}},
		/* Publisher filter by identity address. */
		{.send = MAM_QUERY(A, "<x xmlns='" NS_DATA "' type='submit'>"
				   "<field var='with'><value>bob@bc.test"
				   "</value></field></x>"),
		 .sent = 2, .expect = {RESULT(0, "${s1}")}},
		/* carol is no member of this members-only room. */
		{.send = MAM_QUERY(C, ""),
		 .sent = 1, .expect = {"/iq[@type='error']/error/st:forbidden"},
		 .never = {"one"}},
		/* bob has no moderator role. */
		{.send = MODERATE(B, "${s2}", "mine now"),
		 .sent = 1, .expect = {"/iq[@type='error']/error/st:forbidden"}},
		/* alice (owner, so moderator) retracts bob's message. */
		{.advance = 1000, .send = MODERATE(A, "${s1}", "spam"),
		 .sent = 3,
		 .capture = {{"r", "/message[@to='" B "']/@id"}},
		 .expect = {"/iq[@type='result'][@to='" A "']",
			    "/message[@to='" A "'][@from='" ROOM "']"
			    "/retract:retract[@id='${s1}']",
			    "/message[@to='" B "'][@type='groupchat']"
			    "[@from='" ROOM "']/retract:retract[@id='${s1}']"
			    "[moderate:moderated[@by='" ROOM "/alice']"
			    "/occupant:occupant-id/@id]"
			    "[retract:reason='spam']",
			    "/message[@to='" B "']"
			    "[not(.//@*[contains(., 'alice@example.org')])]"},
		 .never = {">one<"}},
		/* The tombstone in place of the message, the retraction
		 * after the rest. */
		{.send = MAM_QUERY(A, ""),
		 .sent = 4,
		 .expect = {RESULT(0, "${s1}") "[@from='" ROOM "/bob']"
			    "[not(client:body)][occupant:occupant-id]"
			    "/retract:retracted[@id='${r}']"
			    "[moderate:moderated/@by='" ROOM "/alice']"
			    "[retract:reason='spam']",
			    RESULT(1, "${s2}") "[client:body='two']",
			    RESULT(2, "${r}") "/retract:retract[@id='${s1}']"},
		 .never = {">one<"}},
		/* History on joining again (XEP-0424 §6: not replayed). */
		{.send = LEAVE(B, "bob"), .sent = 2},
		{.send = JOIN(B, "bob"),
		 .expect = {"/message[@to='" B "'][delay:delay]"
			    "/retract:retracted[@id='${r}']",
			    "/message[@to='" B "'][delay:delay][body='two']",
			    "/message[@to='" B "'][delay:delay]"
			    "/retract:retract[@id='${s1}']"},
		 .never = {">one<"}},
	};

	harness_run(*state, steps);
}

/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(archive_and_moderation, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
