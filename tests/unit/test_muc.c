/*
 * test_muc.c - the MUC service on M (XEP-0045) through the real router:
 * room creation and locking, entering (order and status codes), nick
 * conflicts and changes, history, subject, private messages, roles and
 * affiliations with their errors, invitations, destroy, blocks, IQs to
 * occupants and XEP-0410 self-pings, occupant restore across a restart,
 * and disco.
 *
 * D = bc.test, M = rooms.bc.test.  alice, bob and carol are members
 * (alice@example.org, bob@example.org, carol@example.org); alice and bob
 * follow each other; carol knows nobody and nobody knows her.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "component/bc.h"
#include "component/clock.h"
#include "ctl/data.h"
#include "store/store.h"
#include "tests/unit/harness.h"
#include "tests/unit/muc-steps.h"
#include "xep/muc/muc-int.h"
#include "xep/ns.h"

#define M "rooms.bc.test"
#define ROOM "friends@" M
#define A "alice@example.org/pc"
#define A2 "alice@example.org/phone"
#define B "bob@example.org/pc"
#define C "carol@example.org/pc"
#define X "dave@outside.example/pc"

#define ERR(cond, type)                                                        \
	"[@type='error']/error[@type='" type "'][@by='" ROOM "']/st:" cond

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

	clock_pin(1800000000000LL);
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

/* alice creates friends@M as an instant room, makes bob a member, and
 * both are in it. */
static void room_with_alice_and_bob(struct harness *h)
{
	static const struct harness_step steps[] = {
		{.send = JOIN(A, "alice"), .sent = 2},
		{.send = OWNER_SET(A, "i1", INSTANT), .sent = 1,
		 .expect = {"/iq[@type='result'][@id='i1']"}},
		{.send = ADMIN_SET(A, "m1",
				   "<item affiliation='member' "
				   "jid='bob@bc.test'/>"),
		 .sent = 2,
		 .expect = {"/iq[@type='result'][@id='m1']",
			    /* §9.3: told to those who see addresses. */
			    "/message[@to='" A "']/muc_user:x/muc_user:item"
			    "[@affiliation='member'][@jid='bob@bc.test']"}},
		{.send = JOIN(B, "bob"), .sent = 4},
	};

	harness_run(h, steps);
}

static void create_locked_instant(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		/* §10.1.1: created, locked, 201; the owner sees itself as
		 * owner and moderator; the empty subject follows. */
		{.send = JOIN(A, "alice"),
		 .sent = 2,
		 .expect = {"0: /presence[@from='" ROOM "/alice'][@to='" A "']"
			    "/muc_user:x[muc_user:status/@code='201']"
			    "[muc_user:status/@code='110']"
			    "/muc_user:item[@affiliation='owner']"
			    "[@role='moderator'][@jid='alice@bc.test']",
			    "0: /presence/occupant:occupant-id[@id]",
			    "1: /message[@type='groupchat'][@from='" ROOM "']"
			    "/subject[.='']",
			    "count(//@jid[contains(., 'example.org')]) = 0"}},
		/* §7.2.10: locked for everyone else. */
		{.send = JOIN(B, "bob"),
		 .sent = 1,
		 .expect = {"/presence" ERR("item-not-found", "cancel")}},
		/* §10.1.2: the instant room. */
		{.send = OWNER_SET(A, "i1", INSTANT),
		 .sent = 1,
		 .expect = {"/iq[@type='result'][@id='i1']"}},
		/* §7.2.6: members only. */
		{.send = JOIN(B, "bob"),
		 .sent = 1,
		 .expect = {"/presence" ERR("registration-required", "auth")}},
		/* Outside users do not create rooms (§10.1.1), and learn
		 * nothing about which names exist. */
		{.send = "<presence from='" X "' to='other@" M "/dave'/>",
		 .sent = 1,
		 .expect = {"/presence[@type='error']/error[@type='auth']"
			    "/st:registration-required"}},
		/* §7.12: the reserved nick is the handle. */
		{.send = "<iq type='get' id='rn' from='" B "' to='" ROOM "'>"
			 "<query xmlns='" NS_DISCO_INFO "' "
			 "node='x-roomuser-item'/></iq>",
		 .sent = 1,
		 .expect = {"/iq[@type='result']/disco:query"
			    "[@node='x-roomuser-item']/disco:identity"
			    "[@name='bob']"}},
		/* §7.2.1: no nick. */
		{.send = "<presence from='" B "' to='" ROOM "'/>",
		 .sent = 1,
		 .expect = {"/presence" ERR("jid-malformed", "modify")}},
	};

	harness_run(h, steps);
}

static void configure_form(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = JOIN(A, "alice"), .sent = 2},
		{.send = "<iq type='get' id='g' from='" A "' to='" ROOM "'>"
			 "<query xmlns='" NS_MUC_OWNER "'/></iq>",
		 .sent = 1,
		 .expect = {"/iq[@type='result']/muc_owner:query/data:x"
			    "[@type='form']/data:field[@var='FORM_TYPE']"
			    "[data:value='" NS_MUC_ROOMCONFIG "']",
			    "//data:field[@var='muc#roomconfig_membersonly']"
			    "[data:value='1']",
			    "//data:field[@var='muc#roomconfig_persistentroom']"
			    "[data:value='1']",
			    "//data:field[@var='muc#roomconfig_publicroom']"
			    "[data:value='0']",
			    "//data:field[@var='muc#roomconfig_whois']"
			    "[data:value='anyone']",
			    "count(//data:field[@var='muc#roomconfig_"
			    "presencebroadcast']/data:value) = 3"}},
		/* A bad value is refused and changes nothing. */
		{.send = OWNER_SET(A, "s0",
				   "<x xmlns='" NS_DATA "' type='submit'>"
				   "<field var='muc#roomconfig_maxusers'>"
				   "<value>many</value></field></x>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("bad-request", "modify")}},
		{.send = OWNER_SET(A, "s1",
				   "<x xmlns='" NS_DATA "' type='submit'>"
				   "<field var='FORM_TYPE'><value>"
				   NS_MUC_ROOMCONFIG "</value></field>"
				   "<field var='muc#roomconfig_roomname'>"
				   "<value>Friends</value></field>"
				   "<field var='muc#roomconfig_publicroom'>"
				   "<value>1</value></field></x>"),
		 .sent = 1,
		 .expect = {"/iq[@type='result'][@id='s1']"}},
		/* Public now: listed on M. */
		{.send = "<iq type='get' id='d' from='" B "' to='" M "'>"
			 "<query xmlns='" NS_DISCO_ITEMS "'/></iq>",
		 .sent = 1,
		 .expect = {"/iq/items:query/items:item[@jid='" ROOM "']"
			    "[@name='Friends']"}},
		/* Only owners. */
		{.send = "<iq type='get' id='g2' from='" B "' to='" ROOM "'>"
			 "<query xmlns='" NS_MUC_OWNER "'/></iq>",
		 .sent = 1,
		 .expect = {"/iq" ERR("forbidden", "auth")}},
		/* A later change tells the occupants (104). */
		{.send = OWNER_SET(A, "s2",
				   "<x xmlns='" NS_DATA "' type='submit'>"
				   "<field var='muc#roomconfig_roomdesc'>"
				   "<value>Us</value></field></x>"),
		 .sent = 2,
		 .expect = {"/message[@type='groupchat'][@to='" A "']"
			    "/muc_user:x/muc_user:status[@code='104']"}},
	};

	harness_run(h, steps);
}

static void cancel_destroys_new_room(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = JOIN(A, "alice"), .sent = 2},
		{.send = OWNER_SET(A, "c", "<x xmlns='" NS_DATA
					   "' type='cancel'/>"),
		 .expect = {"/iq[@type='result'][@id='c']"}},
		{.send = "<iq type='get' id='d' from='" A "' to='" ROOM "'>"
			 "<query xmlns='" NS_DISCO_INFO "'/></iq>",
		 .sent = 1,
		 .expect = {"/iq[@type='error']/error/st:item-not-found"}},
	};

	harness_run(h, steps);
}

static void enter_order_and_codes(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = JOIN(A, "alice"), .sent = 2},
		{.send = OWNER_SET(A, "i1", INSTANT), .sent = 1},
		{.send = ADMIN_SET(A, "m1", "<item affiliation='member' "
					    "jid='bob@bc.test'/>"),
		 .sent = 2},
		/* §7.2.2-3: occupants first, then the newcomer to the others,
		 * then self-presence with 110 and 100 last, then the
		 * subject. */
		{.send = JOIN(B, "bob"),
		 .sent = 4,
		 .expect = {"0: /presence[@to='" B "'][@from='" ROOM "/alice']"
			    "/muc_user:x[not(muc_user:status)]/muc_user:item"
			    "[@affiliation='owner'][@jid='alice@bc.test']",
			    "1: /presence[@to='" A "'][@from='" ROOM "/bob']"
			    "/muc_user:x[not(muc_user:status)]/muc_user:item"
			    "[@affiliation='member'][@role='participant']"
			    "[@jid='bob@bc.test']",
			    "2: /presence[@to='" B "'][@from='" ROOM "/bob']"
			    "/muc_user:x[muc_user:status/@code='110']"
			    "[muc_user:status/@code='100']"
			    "[muc_user:status/@code='170']"
			    "[not(muc_user:status/@code='201')]",
			    "3: /message[@to='" B "']/subject",
			    "count(//@jid[contains(., 'example.org')]) = 0"}},
		/* §7.2.8: a nick in use by another identity. */
		{.send = ADMIN_SET(A, "m2", "<item affiliation='member' "
					    "jid='carol@bc.test'/>"),
		 .sent = 3},
		{.send = JOIN(C, "bob"),
		 .sent = 1,
		 .expect = {"/presence" ERR("conflict", "cancel")}},
	};

	harness_run(h, steps);
}

static void nick_change_and_leave(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		/* §7.6: 303 with the new nick, then the new presence. */
		{.send = "<presence from='" B "' to='" ROOM "/bobby'/>",
		 .sent = 4,
		 .expect = {"/presence[@to='" A "'][@type='unavailable']"
			    "[@from='" ROOM "/bob']/muc_user:x"
			    "[muc_user:status/@code='303']"
			    "/muc_user:item[@nick='bobby']",
			    "/presence[@to='" B "'][@type='unavailable']"
			    "/muc_user:x[muc_user:status/@code='303']"
			    "[muc_user:status/@code='110']",
			    "/presence[@to='" A "'][not(@type)]"
			    "[@from='" ROOM "/bobby']",
			    "/presence[@to='" B "'][not(@type)]"
			    "[@from='" ROOM "/bobby']/muc_user:x"
			    "/muc_user:status[@code='110']"}},
		/* A taken nick. */
		{.send = "<presence from='" B "' to='" ROOM "/alice'/>",
		 .sent = 1,
		 .expect = {"/presence" ERR("conflict", "cancel")}},
		/* §7.14 */
		{.send = "<presence type='unavailable' from='" B "' to='" ROOM
			 "/bobby'><status>bye</status></presence>",
		 .sent = 2,
		 .expect = {"/presence[@to='" A "'][@type='unavailable']"
			    "[status='bye']/muc_user:x/muc_user:item"
			    "[@role='none']",
			    "/presence[@to='" B "'][@type='unavailable']"
			    "/muc_user:x/muc_user:status[@code='110']"}},
		/* Not in the room any more. */
		{.send = SAY(B, "g1", "hello?"),
		 .sent = 1,
		 .expect = {"/message" ERR("not-acceptable", "cancel")}},
		/* A member's handle is theirs while they are away: alice may
		 * not take "bob" (§7.6), carol may not enter as "Bob" (§7.2.9;
		 * the room is members-only, so make carol a member first). */
		{.send = "<presence from='" A "' to='" ROOM "/bob'/>",
		 .sent = 1,
		 .expect = {"/presence" ERR("conflict", "cancel")}},
		{.send = ADMIN_SET(A, "m2", "<item affiliation='member' "
					    "jid='carol@bc.test'/>"),
		 .sent = 2},
		{.send = JOIN(C, "Bob"), .sent = 1,
		 .expect = {"/presence" ERR("conflict", "cancel")}},
		{.send = JOIN(C, "carol"), .sent = 4},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

/* §7.7: a presence update passes its show and status on (as the server's
 * parser gives them: in the component stream's namespace, which does not
 * stay on the copies). */
static void presence_update_passes_show(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = "<presence xmlns='" NS_COMPONENT "' from='" B
			 "' to='" ROOM "/bob'><show xmlns='" NS_COMPONENT
			 "'>away</show><status xmlns='" NS_COMPONENT
			 "'>brb</status></presence>",
		 .sent = 2,
		 .expect = {"/presence[@to='" A "'][@from='" ROOM "/bob']"
			    "[show='away'][status='brb']",
			    "/presence[@to='" B "'][show='away']"
			    "/muc_user:x/muc_user:status[@code='110']"},
		 .never = {NS_COMPONENT}},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void groupchat_ids_and_history(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		/* §7.4, XEP-0359, XEP-0421: one message to every session;
		 * a stanza id the sender made up is dropped. */
		{.send = "<message type='groupchat' id='g1' from='" B
			 "' to='" ROOM "'><body>one</body>"
			 "<stanza-id xmlns='" NS_SID "' id='fake' by='" ROOM
			 "'/></message>",
		 .sent = 2,
		 .capture = {{"sid", "/message[@to='" A "']/sid:stanza-id"
				     "[@by='" ROOM "']/@id"}},
		 .expect = {"/message[@to='" A "'][@from='" ROOM "/bob']"
			    "[@id='g1'][body='one']/occupant:occupant-id",
			    "/message[@to='" B "'][@from='" ROOM "/bob']"
			    "/sid:stanza-id[@id='${sid}']",
			    "count(//sid:stanza-id[@id='fake']) = 0"}},
		/* What the server's parser gives: every element in the
		 * stream's namespace; none of it stays on the copies. */
		{.advance = 60000,
		 .send = "<message xmlns='" NS_COMPONENT "' type='groupchat' "
			 "id='g2' from='" A "' to='" ROOM "'><body xmlns='"
			 NS_COMPONENT "'>two</body></message>",
		 .sent = 2,
		 .never = {NS_COMPONENT}},
		{.advance = 60000, .send = SAY(B, "g3", "three"), .sent = 2},
		{.send = LEAVE(B, "bob"), .sent = 2},
		/* §7.2.13: history before the subject, with delays. */
		{.send = JOIN(B, "bob"),
		 .sent = 7,
		 .expect = {"3: /message[body='one']/delay:delay[@from='" ROOM
			    "'][@stamp='2027-01-15T08:00:00.000Z']",
			    "4: /message[body='two']/delay:delay",
			    "5: /message[body='three']/delay:delay",
			    "6: /message/subject"}},
		{.send = LEAVE(B, "bob"), .sent = 2},
		/* §7.2.14: maxstanzas. */
		{.send = JOINH(B, "bob", "<history maxstanzas='1'/>"),
		 .sent = 5,
		 .expect = {"3: /message[body='three']"}},
		{.send = LEAVE(B, "bob"), .sent = 2},
		/* seconds: the last 90 s hold "two" and "three". */
		{.send = JOINH(B, "bob", "<history seconds='90'/>"),
		 .sent = 6,
		 .expect = {"3: /message[body='two']",
			    "4: /message[body='three']"}},
		{.send = LEAVE(B, "bob"), .sent = 2},
		/* maxchars='0': none. */
		{.send = JOINH(B, "bob", "<history maxchars='0'/>"),
		 .sent = 4,
		 .expect = {"3: /message/subject"}},
		{.send = LEAVE(B, "bob"), .sent = 2},
		/* since: after the first. */
		{.send = JOINH(B, "bob",
			       "<history since='2027-01-15T08:00:30Z'/>"),
		 .sent = 6,
		 .expect = {"3: /message[body='two']"}},
		/* A muc#user payload of the sender's own, naming someone
		 * else's address, never reaches anyone. */
		{.send = "<message type='groupchat' id='gx' from='" B
			 "' to='" ROOM "'><body>me?</body><x xmlns='"
			 NS_MUC_USER "'><item jid='carol@bc.test'/></x>"
			 "</message>",
		 .sent = 2,
		 .expect = {"count(/message[@to='" A "']/muc_user:x) = 0"},
		 .never = {"carol@bc.test"}},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void subject_rules(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		/* §8.1: participants may not by default. */
		{.send = "<message type='groupchat' id='s1' from='" B
			 "' to='" ROOM "'><subject>mine</subject></message>",
		 .sent = 1,
		 .expect = {"/message" ERR("forbidden", "auth")}},
		{.send = "<message type='groupchat' id='s2' from='" A
			 "' to='" ROOM "'><subject>Plans</subject></message>",
		 .sent = 2,
		 .expect = {"/message[@to='" B "'][@from='" ROOM "/alice']"
			    "[subject='Plans']"}},
		{.send = LEAVE(B, "bob"), .sent = 2},
		{.send = JOINH(B, "bob", "<history maxstanzas='0'/>"),
		 .sent = 4,
		 .expect = {"3: /message[@from='" ROOM "/alice']"
			    "[subject='Plans'][not(body)]/delay:delay"}},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void private_messages(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		/* §7.5, between people who know each other. */
		{.send = "<message type='chat' id='p1' from='" A "' to='" ROOM
			 "/bob'><body>psst</body></message>",
		 .sent = 1,
		 .expect = {"/message[@to='" B "'][@from='" ROOM "/alice']"
			    "[body='psst']/muc_user:x"}},
		{.send = "<message type='chat' id='p2' from='" A "' to='" ROOM
			 "/nobody'><body>?</body></message>",
		 .sent = 1,
		 .expect = {"/message" ERR("item-not-found", "cancel")}},
		{.send = "<message type='groupchat' id='p3' from='" A
			 "' to='" ROOM "/bob'><body>?</body></message>",
		 .sent = 1,
		 .expect = {"/message" ERR("bad-request", "modify")}},
		{.send = ADMIN_SET(A, "m2", "<item affiliation='member' "
					    "jid='carol@bc.test'/>"),
		 .sent = 3},
		{.send = JOIN(C, "carol"), .sent = 6},
		/* carol is a stranger to bob: a message request from her
		 * identity, nothing from the room. */
		{.send = "<message type='chat' id='p4' from='" C "' to='" ROOM
			 "/bob'><body>hi stranger</body></message>",
		 .expect = {"/presence[@type='subscribe'][@from="
			    "'carol@bc.test'][@to='bob@example.org']"
			    "[status='hi stranger']",
			    "count(/message) = 0"},
		 .never = {"carol@example.org"}},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void kick_ban_and_errors(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		/* A participant is no moderator. */
		{.send = ADMIN_SET(B, "k0", "<item nick='alice' role='none'/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("forbidden", "auth")}},
		{.send = ADMIN_SET(B, "b0", "<item jid='alice@bc.test' "
					    "affiliation='outcast'/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("forbidden", "auth")}},
		{.send = ADMIN_SET(A, "k1", "<item nick='ghost' role='none'/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("item-not-found", "cancel")}},
		{.send = ADMIN_SET(A, "x1", "<item nick='bob'/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("bad-request", "modify")}},
		/* §9.1: nobody bans themselves. */
		{.send = ADMIN_SET(A, "o0", "<item jid='alice@bc.test' "
					    "affiliation='outcast'/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("conflict", "cancel")}},
		/* §10.6: the last owner stays. */
		{.send = ADMIN_SET(A, "o1", "<item jid='alice@bc.test' "
					    "affiliation='member'/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("conflict", "cancel")}},
		/* §8.2: kick with 307, reason and actor. */
		{.send = ADMIN_SET(A, "k2", "<item nick='bob' role='none'>"
					    "<reason>calm down</reason></item>"),
		 .sent = 3,
		 .expect = {"/presence[@to='" B "'][@type='unavailable']"
			    "/muc_user:x[muc_user:status/@code='307']"
			    "[muc_user:status/@code='110']/muc_user:item"
			    "[@role='none'][muc_user:reason='calm down']"
			    "/muc_user:actor[@nick='alice']",
			    "/presence[@to='" A "'][@type='unavailable']"
			    "[@from='" ROOM "/bob']/muc_user:x/muc_user:status"
			    "[@code='307']",
			    "/iq[@type='result'][@id='k2']"}},
		{.send = JOIN(B, "bob"), .sent = 4},
		/* §9.1: ban with 301; the banned cannot come back. */
		{.send = ADMIN_SET(A, "b1", "<item jid='bob@bc.test' "
					    "affiliation='outcast'/>"),
		 .sent = 3,
		 .expect = {"/presence[@to='" B "'][@type='unavailable']"
			    "/muc_user:x[muc_user:status/@code='301']"
			    "/muc_user:item[@affiliation='outcast']",
			    "/iq[@type='result'][@id='b1']"}},
		{.send = JOIN(B, "bob"),
		 .sent = 1,
		 .expect = {"/presence" ERR("forbidden", "auth")}},
		{.send = ADMIN_GET(A, "l1", "<item affiliation='outcast'/>"),
		 .sent = 1,
		 .expect = {"/iq/muc_admin:query/muc_admin:item"
			    "[@jid='bob@bc.test'][@affiliation='outcast']"}},
		/* Members see the member list, not the ban list. */
		{.send = ADMIN_SET(A, "m3", "<item affiliation='member' "
					    "jid='carol@bc.test'/>"),
		 .sent = 2},
		{.send = ADMIN_GET(C, "l2", "<item affiliation='outcast'/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("forbidden", "auth")}},
		{.send = ADMIN_GET(C, "l3", "<item affiliation='member'/>"),
		 .sent = 1,
		 .expect = {"/iq/muc_admin:query/muc_admin:item"
			    "[@jid='carol@bc.test']"}},
		/* §9.4: a member removed from a members-only room leaves
		 * with 321. */
		{.send = JOIN(C, "carol"), .sent = 4},
		{.send = ADMIN_SET(A, "r1", "<item affiliation='none' "
					    "jid='carol@bc.test'/>"),
		 .sent = 3,
		 .expect = {"/presence[@to='" C "'][@type='unavailable']"
			    "/muc_user:x/muc_user:status[@code='321']"}},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void voice_in_moderated_room(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = OWNER_SET(A, "s1",
				   "<x xmlns='" NS_DATA "' type='submit'>"
				   "<field var='muc#roomconfig_membersonly'>"
				   "<value>0</value></field>"
				   "<field var='muc#roomconfig_moderatedroom'>"
				   "<value>1</value></field></x>"),
		 .expect = {"/iq[@type='result'][@id='s1']"}},
		/* carol, no affiliation: a visitor. */
		{.send = JOIN(C, "carol"),
		 .sent = 6,
		 .expect = {"/presence[@to='" C "'][@from='" ROOM "/carol']"
			    "/muc_user:x/muc_user:item[@role='visitor']"}},
		{.send = SAY(C, "v1", "may I?"),
		 .sent = 1,
		 .expect = {"/message" ERR("forbidden", "auth")}},
		/* §7.13: a voice request reaches the moderator. */
		{.send = "<message from='" C "' to='" ROOM "'>"
			 "<x xmlns='" NS_DATA "' type='submit'>"
			 "<field var='FORM_TYPE'><value>" NS_MUC_REQUEST
			 "</value></field><field var='muc#role'>"
			 "<value>participant</value></field></x></message>",
		 .sent = 1,
		 .expect = {"/message[@to='" A "']/data:x[@type='form']"
			    "/data:field[@var='muc#roomnick']"
			    "[data:value='carol']"}},
		/* §8.3: granted. */
		{.send = ADMIN_SET(A, "v2", "<item nick='carol' "
					    "role='participant'/>"),
		 .sent = 4,
		 .expect = {"/presence[@to='" B "'][@from='" ROOM "/carol']"
			    "/muc_user:x/muc_user:item[@role='participant']"}},
		{.send = SAY(C, "v3", "thanks"), .sent = 3},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void presence_broadcast_stage(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		/* Only moderators' presence is broadcast. */
		{.send = OWNER_SET(A, "s1",
				   "<x xmlns='" NS_DATA "' type='submit'>"
				   "<field var='muc#roomconfig_"
				   "presencebroadcast'><value>moderator"
				   "</value></field></x>"),
		 .expect = {"/iq[@type='result'][@id='s1']"}},
		{.send = LEAVE(B, "bob"),
		 .sent = 1,
		 .expect = {"/presence[@to='" B "']"}},
		/* bob gets alice's presence and his own; alice hears
		 * nothing. */
		{.send = JOIN(B, "bob"),
		 .sent = 3,
		 .expect = {"0: /presence[@to='" B "'][@from='" ROOM "/alice']",
			    "1: /presence[@to='" B "'][@from='" ROOM "/bob']",
			    "count(//*[@to='" A "']) = 0"}},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void multi_session(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		/* Another session of alice joins alice's occupant; bob is
		 * told nothing; a different nick gets 210. */
		{.send = JOIN(A2, "ali"),
		 .sent = 3,
		 .expect = {"0: /presence[@to='" A2 "'][@from='" ROOM "/bob']",
			    "1: /presence[@to='" A2 "'][@from='" ROOM "/alice']"
			    "/muc_user:x[muc_user:status/@code='110']"
			    "[muc_user:status/@code='210']",
			    "count(//*[@to='" B "']) = 0"}},
		{.send = SAY(B, "g", "both?"),
		 .sent = 3,
		 .expect = {"/message[@to='" A "']", "/message[@to='" A2 "']"}},
		{.send = LEAVE(A2, "alice"),
		 .sent = 1,
		 .expect = {"/presence[@to='" A2 "'][@type='unavailable']"}},
		{.send = LEAVE(A, "alice"),
		 .sent = 2,
		 .expect = {"/presence[@to='" B "'][@type='unavailable']"
			    "[@from='" ROOM "/alice']"}},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void blocks_hold(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = ADMIN_SET(A, "m2", "<item affiliation='member' "
					    "jid='carol@bc.test'/>"),
		 .sent = 3},
		{.send = JOIN(C, "carol"), .sent = 6},
		/* bob blocks carol: her words reach alice and herself. */
		{.send = SAY(C, "g", "hello all"),
		 .sent = 2,
		 .expect = {"/message[@to='" A "']", "/message[@to='" C "']",
			    "count(//*[@to='" B "']) = 0"}},
		/* Her private message to bob is dropped without a word. */
		{.send = "<message type='chat' id='p' from='" C "' to='" ROOM
			 "/bob'><body>hi</body></message>",
		 .sent = HARNESS_NONE},
	};

	room_with_alice_and_bob(h);
	assert_int_equal(store_relation_set(h->store, "bob", "carol",
					    STORE_REL_BLOCKED, 0, 0),
			 0);
	harness_run(h, steps);
}

static void invitations(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		/* §7.8.2 from the owner: carol becomes a member; she does
		 * not know alice, so the invitation waits as a request. */
		{.send = "<message from='" A "' to='" ROOM "'>"
			 "<x xmlns='" NS_MUC_USER "'><invite to='carol@bc.test'>"
			 "<reason>join us</reason></invite></x></message>",
		 .expect = {"/presence[@type='subscribe'][@from="
			    "'alice@bc.test'][@to='carol@example.org']"
			    "[contains(status, '" ROOM "')]",
			    "count(//*[@to='carol@example.org']"
			    "/muc_user:x) = 0"}},
		{.send = JOIN(C, "carol"), .sent = 6},
		{.send = LEAVE(C, "carol"), .sent = 3},
		/* bob knows alice: the invitation is delivered. */
		{.send = "<message from='" A "' to='" ROOM "'>"
			 "<x xmlns='" NS_MUC_USER "'><invite to='bob@bc.test'/>"
			 "</x></message>",
		 .sent = 1,
		 .expect = {"/message[@from='" ROOM "'][@to='bob@example.org']"
			    "/muc_user:x/muc_user:invite[@from='alice@bc.test']"},
		 .never = {"alice@example.org"}},
		/* A decline goes back to the inviter. */
		{.send = "<message from='" B "' to='" ROOM "'>"
			 "<x xmlns='" NS_MUC_USER "'><decline to='alice@bc.test'>"
			 "<reason>busy</reason></decline></x></message>",
		 .sent = 1,
		 .expect = {"/message[@from='" ROOM "'][@to='alice@example.org']"
			    "/muc_user:x/muc_user:decline[@from='bob@bc.test']"
			    "[muc_user:reason='busy']"}},
		/* Nobody by that handle: item-not-found (§7.8.2). */
		{.send = "<message from='" A "' to='" ROOM "'><x xmlns='"
			 NS_MUC_USER "'><invite to='nobody@bc.test'/></x>"
			 "</message>",
		 .sent = 1,
		 .expect = {"/message" ERR("item-not-found", "cancel")}},
		/* Too many at once. */
		{.send = "<message from='" A "' to='" ROOM "'><x xmlns='"
			 NS_MUC_USER "'><invite to='a@bc.test'/><invite "
			 "to='b@bc.test'/><invite to='c@bc.test'/><invite "
			 "to='d@bc.test'/><invite to='e@bc.test'/><invite "
			 "to='f@bc.test'/></x></message>",
		 .sent = 1,
		 .expect = {"/message[@type='error']/error/st:policy-violation"}},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void occupant_iq_and_self_ping(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		/* XEP-0410 */
		{.send = "<iq type='get' id='sp' from='" B "' to='" ROOM
			 "/bob'><ping xmlns='" NS_PING "'/></iq>",
		 .sent = 1,
		 .expect = {"/iq[@type='result'][@id='sp'][@from='" ROOM
			    "/bob']"}},
		{.send = "<iq type='get' id='sp2' from='" C "' to='" ROOM
			 "/bob'><ping xmlns='" NS_PING "'/></iq>",
		 .sent = 1,
		 .expect = {"/iq" ERR("not-acceptable", "cancel")}},
		/* §7.5: relayed under occupant JIDs. */
		{.send = "<iq type='get' id='v1' from='" B "' to='" ROOM
			 "/alice'><vCard xmlns='vcard-temp'/></iq>",
		 .sent = 1,
		 .capture = {{"rid", "/iq/@id"}},
		 .expect = {"/iq[@type='get'][@to='" A "'][@from='" ROOM
			    "/bob']/*[local-name()='vCard']"}},
		{.send = "<iq type='result' id='${rid}' from='" A "' to='" ROOM
			 "/bob'><vCard xmlns='vcard-temp'><FN>Al</FN></vCard>"
			 "</iq>",
		 .sent = 1,
		 .expect = {"/iq[@type='result'][@id='v1'][@to='" B "']"
			    "[@from='" ROOM "/alice']"},
		 .never = {"alice@example.org"}},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void destroy_room(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = OWNER_SET(B, "d0", "<destroy/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("forbidden", "auth")}},
		/* §10.9 */
		{.send = OWNER_SET(A, "d1", "<destroy jid='new@" M "'>"
					    "<reason>moved</reason></destroy>"),
		 .sent = 3,
		 .expect = {"/presence[@to='" B "'][@type='unavailable']"
			    "/muc_user:x/muc_user:destroy[@jid='new@" M "']"
			    "[muc_user:reason='moved']",
			    "/presence[@to='" A "'][@type='unavailable']",
			    "/iq[@type='result'][@id='d1']"}},
		{.send = "<iq type='get' id='d' from='" B "' to='" ROOM "'>"
			 "<query xmlns='" NS_DISCO_INFO "'/></iq>",
		 .sent = 1,
		 .expect = {"/iq[@type='error']/error/st:item-not-found"}},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void disco_room(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = "<iq type='get' id='d' from='" B "' to='" ROOM "'>"
			 "<query xmlns='" NS_DISCO_INFO "'/></iq>",
		 .sent = 1,
		 .expect = {"/iq/disco:query/disco:identity"
			    "[@category='conference'][@type='text']",
			    "//disco:feature[@var='" NS_MUC "']",
			    "//disco:feature[@var='muc_membersonly']",
			    "//disco:feature[@var='muc_persistent']",
			    "//disco:feature[@var='muc_nonanonymous']",
			    "//disco:feature[@var='muc_hidden']",
			    "//disco:feature[@var='muc_unsecured']",
			    "//disco:feature[@var='" NS_MAM "']",
			    "//disco:feature[@var='" NS_OCCUPANT_ID "']",
			    "//data:x/data:field[@var='muc#roominfo_occupants']"
			    "[data:value='2']"}},
		{.send = "<iq type='get' id='d2' from='" B "' to='nope@" M "'>"
			 "<query xmlns='" NS_DISCO_INFO "'/></iq>",
		 .sent = 1,
		 .expect = {"/iq[@type='error']/error/st:item-not-found"}},
		/* Hidden: not listed. */
		{.send = "<iq type='get' id='d3' from='" B "' to='" M "'>"
			 "<query xmlns='" NS_DISCO_ITEMS "'/></iq>",
		 .sent = 1,
		 .expect = {"count(/iq/items:query/items:item) = 0"}},
	};

	room_with_alice_and_bob(h);
	harness_run(h, steps);
}

static void restore_after_restart(void **state)
{
	struct harness *h = *state;
	static const struct harness_step after[] = {
		/* Still joined: self-ping and messages work at once. */
		{.send = "<iq type='get' id='sp' from='" B "' to='" ROOM
			 "/bob'><ping xmlns='" NS_PING "'/></iq>",
		 .sent = 1,
		 .expect = {"/iq[@type='result'][@id='sp']"}},
		{.send = SAY(A, "g", "still here"),
		 .sent = 2,
		 .expect = {"/message[@to='" B "'][body='still here']"}},
	};
	bc_transport_fn transport;
	void *arg;
	size_t i;

	room_with_alice_and_bob(h);
	assert_int_equal(bc_flush(h->bc), 0);
	transport = h->bc->transport;
	arg = h->bc->transport_arg;
	bc_free(h->bc); /* ends the pass's batch */
	h->bc = bc_new(h->cfg, h->store, h->xctx, transport, arg);
	assert_non_null(h->bc);
	harness_run(h, after);
	/* M comes up: every session is asked; bob's is gone. */
	harness_clear(h);
	bc_connected(h->bc, BC_LINK_ROOMS);
	assert_int_equal(bc_flush(h->bc), 0);
	harness_assert_count(h, 2);
	for (i = 0; i < 2; i++) {
		char *to = harness_xpath(h, i, "string(/iq/@to)");
		char *id = harness_xpath(h, i, "string(/iq/@id)");
		char xml[512];

		harness_assert(h, i, "count(/iq[@type='get']/ping:ping)", "1");
		if (strcmp(to, B) == 0)
			snprintf(xml, sizeof(xml),
				 "<iq type='error' id='%s' from='%s' to='"
				 ROOM "'><ping xmlns='" NS_PING "'/><error "
				 "type='cancel'><service-unavailable xmlns='"
				 NS_STANZAS "'/></error></iq>", id, to);
		else
			snprintf(xml, sizeof(xml),
				 "<iq type='result' id='%s' from='%s' to='"
				 ROOM "'/>", id, to);
		harness_var_set(h, strcmp(to, B) == 0 ? "bob" : "alice", xml);
		free(to);
		free(id);
	}
	{
		const struct harness_step answers[] = {
			{.send = harness_var(h, "alice"), .sent = HARNESS_NONE},
			/* §11.1 / 333: bob is gone. */
			{.send = harness_var(h, "bob"),
			 .sent = 2,
			 .expect = {"/presence[@to='" A "'][@type='unavailable']"
				    "[@from='" ROOM "/bob']/muc_user:x"
				    "/muc_user:status[@code='333']"}},
		};

		harness_run(h, answers);
	}
}

/* After M's connection comes up, the sessions are asked a bounded number
 * at a time: MUC_VERIFY_INFLIGHT pings, then one more for each answer. */
static void verification_is_paced(void **state)
{
	struct harness *h = *state;
	enum { SESSIONS = MUC_VERIFY_INFLIGHT + 20 };
	size_t i, sent = 0, answered = 0;
	char xml[512];

	room_with_alice_and_bob(h);
	/* SESSIONS - 2 more members, each in the room. */
	for (i = 0; i < SESSIONS - 2; i++) {
		char handle[32], jid[64];

		snprintf(handle, sizeof(handle), "m%zu", i);
		snprintf(jid, sizeof(jid), "m%zu@example.org", i);
		harness_member(h, handle, NULL, jid);
		snprintf(xml, sizeof(xml),
			 "<iq type='set' id='a%zu' from='" A "' to='" ROOM
			 "'><query xmlns='" NS_MUC_ADMIN "'><item "
			 "affiliation='member' jid='m%zu@bc.test'/></query>"
			 "</iq>",
			 i, i);
		harness_feed(h, xml);
		snprintf(xml, sizeof(xml),
			 "<presence from='m%zu@example.org/pc' to='" ROOM
			 "/m%zu'><x xmlns='" NS_MUC "'/></presence>",
			 i, i);
		harness_feed(h, xml);
	}
	harness_clear(h);
	bc_connected(h->bc, BC_LINK_ROOMS);
	assert_int_equal(bc_flush(h->bc), 0);
	harness_assert_count(h, MUC_VERIFY_INFLIGHT);
	/* Answer the oldest ping each time: exactly one more goes out,
	 * until all were asked; then answers send nothing. */
	while (answered < SESSIONS) {
		char *to = harness_xpath(h, 0, "string(/iq/@to)");
		char *id = harness_xpath(h, 0, "string(/iq/@id)");
		size_t before = h->n_sent;

		assert_true(before > 0);
		sent += answered == 0 ? before : 0;
		snprintf(xml, sizeof(xml),
			 "<iq type='result' id='%s' from='%s' to='" ROOM
			 "'/>",
			 id, to);
		free(to);
		free(id);
		/* Keep the pings not yet answered, drop the answered one. */
		free(h->sent[0]);
		memmove(h->sent, h->sent + 1, (before - 1) * sizeof(*h->sent));
		h->n_sent = before - 1;
		harness_feed(h, xml);
		answered++;
		assert_int_equal(h->n_sent - (before - 1),
				 sent < SESSIONS ? 1 : 0);
		if (sent < SESSIONS)
			sent++;
		assert_true(h->n_sent <= MUC_VERIFY_INFLIGHT);
	}
	assert_int_equal(sent, SESSIONS);
	assert_int_equal(h->n_sent, 0);
}

/* Stopping while sessions are being asked is no verdict on them: they
 * stay in the store, to be restored and asked at the next start. */
static void stopping_keeps_unanswered_sessions(void **state)
{
	struct harness *h = *state;
	struct store_occupant *v = NULL;
	bc_transport_fn transport = h->bc->transport;
	void *arg = h->bc->transport_arg;
	size_t n = 0;

	room_with_alice_and_bob(h);
	harness_clear(h);
	bc_connected(h->bc, BC_LINK_ROOMS);
	assert_int_equal(bc_flush(h->bc), 0);
	harness_assert_count(h, 2); /* two pings, unanswered */
	bc_free(h->bc); /* ends the pass's batch */
	h->bc = NULL;
	assert_int_equal(store_occupant_list(h->store, NULL, &v, &n), 0);
	assert_int_equal(n, 2);
	store_occupant_list_free(v, n);
	h->bc = bc_new(h->cfg, h->store, h->xctx, transport, arg);
	assert_non_null(h->bc);
}

/* backchannelctl dump and load carry configuration, occupants and the
 * occupant-id secret. */
static void dump_and_load(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = OWNER_SET(A, "s1",
				   "<x xmlns='" NS_DATA "' type='submit'>"
				   "<field var='muc#roomconfig_roomdesc'>"
				   "<value>Us &amp; them</value></field></x>"),
		 .expect = {"/iq[@type='result'][@id='s1']"}},
	};
	struct store_room_config c1, c2;
	struct store_occupant *o1, *o2;
	unsigned char s1[STORE_ROOM_SECRET_SIZE], s2[STORE_ROOM_SECRET_SIZE];
	struct store *st2;
	size_t n1, n2, i;
	char file[128];
	FILE *err = tmpfile();

	room_with_alice_and_bob(h);
	harness_run(h, steps);
	assert_int_equal(bc_flush(h->bc), 0);
	snprintf(file, sizeof(file), "%s/dump.xml", h->dir);
	assert_int_equal(data_dump(h->store, file, err), 0);
	assert_int_equal(store_open(NULL, STORE_IN_MEMORY, &st2), 0);
	assert_int_equal(data_load(st2, file, err), 0);
	assert_int_equal(store_room_config_get(h->store, "friends", &c1), 0);
	assert_int_equal(store_room_config_get(st2, "friends", &c2), 0);
	assert_int_equal(c1.flags, c2.flags);
	assert_int_equal(c1.max_occupants, c2.max_occupants);
	assert_int_equal(c1.broadcast, c2.broadcast);
	assert_string_equal(c2.description, "Us & them");
	store_room_config_clear(&c1);
	store_room_config_clear(&c2);
	assert_int_equal(store_occupant_list(h->store, NULL, &o1, &n1), 0);
	assert_int_equal(store_occupant_list(st2, NULL, &o2, &n2), 0);
	assert_int_equal(n1, 2);
	assert_int_equal(n2, 2);
	for (i = 0; i < n1; i++) {
		assert_string_equal(o1[i].jid, o2[i].jid);
		assert_string_equal(o1[i].nick, o2[i].nick);
		assert_string_equal(o1[i].who, o2[i].who);
		assert_int_equal(o1[i].role, o2[i].role);
	}
	store_occupant_list_free(o1, n1);
	store_occupant_list_free(o2, n2);
	assert_int_equal(store_room_secret(h->store, s1), 0);
	assert_int_equal(store_room_secret(st2, s2), 0);
	assert_memory_equal(s1, s2, sizeof(s1));
	store_close(st2);
	fclose(err);
	unlink(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(create_locked_instant, setup,
						teardown),
		cmocka_unit_test_setup_teardown(configure_form, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cancel_destroys_new_room, setup,
						teardown),
		cmocka_unit_test_setup_teardown(enter_order_and_codes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(nick_change_and_leave, setup,
						teardown),
		cmocka_unit_test_setup_teardown(presence_update_passes_show,
						setup, teardown),
		cmocka_unit_test_setup_teardown(groupchat_ids_and_history,
						setup, teardown),
		cmocka_unit_test_setup_teardown(subject_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(private_messages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(kick_ban_and_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(voice_in_moderated_room, setup,
						teardown),
		cmocka_unit_test_setup_teardown(presence_broadcast_stage, setup,
						teardown),
		cmocka_unit_test_setup_teardown(multi_session, setup, teardown),
		cmocka_unit_test_setup_teardown(blocks_hold, setup, teardown),
		cmocka_unit_test_setup_teardown(invitations, setup, teardown),
		cmocka_unit_test_setup_teardown(verification_is_paced, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			stopping_keeps_unanswered_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(occupant_iq_and_self_ping,
						setup, teardown),
		cmocka_unit_test_setup_teardown(destroy_room, setup, teardown),
		cmocka_unit_test_setup_teardown(disco_room, setup, teardown),
		cmocka_unit_test_setup_teardown(restore_after_restart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(dump_and_load, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
