/*
 * test_moderation.c - the moderators' side of reports through the real
 * router: the repeat-offender restriction (distinct reporters, the window,
 * resolution lifting it), suspensions against the pinned clock, the
 * ad-hoc command "moderation" (moderators only, paging, outcomes, who is
 * told) and the announcements of what backchannelctl resolved.
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

/* 2027-01-15T08:00:00Z */
#define T0 1800000000000LL
#define HOUR 3600000LL

/* alice, bob, carol, dave and erin are members; mal is the one reported;
 * erin follows mal (knows it), dave does not; mod is a moderator. */
static int setup(void **state)
{
	struct harness *h = harness_new("<moderator jid='mod@example.org'/>"
					"<reports threshold='3' window='24h'/>",
					true);

	clock_pin(T0);
	harness_member(h, "alice", NULL, "alice@example.org");
	harness_member(h, "bob", NULL, "bob@example.org");
	harness_member(h, "carol", NULL, "carol@example.org");
	harness_member(h, "dave", NULL, "dave@example.org");
	harness_member(h, "erin", NULL, "erin@example.org");
	harness_member(h, "mal", NULL, "mal@example.org");
	assert_int_equal(store_link(h->store, "mal", "mal2@example.net"), 0);
	assert_int_equal(store_follow(h->store, "erin", "mal"), 0);
	*state = h;
	return 0;
}

#define BLK "xmlns='urn:xmpp:blocking'"
/* who blocks and reports mal. */
#define REPORT(who)                                                            \
	"<iq type='set' id='r1' from='" who "@example.org/pc' to='bc.test'>"   \
	"<block " BLK "><item jid='mal@bc.test'><report "                      \
	"xmlns='urn:xmpp:reporting:1' reason='urn:xmpp:reporting:spam'>"       \
	"<text>spam</text></report></item></block></iq>"
#define CHAT(id, from, to, body)                                               \
	"<message type='chat' id='" id "' from='" from "' to='" to "'>"        \
	"<body>" body "</body></message>"
/* An ad-hoc command: its first step, and the next step of the session in
 * ${sid} with a form. */
#define EXECUTE(from, node)                                                    \
	"<iq type='set' id='c1' from='" from "' to='bc.test'><command "        \
	"xmlns='http://jabber.org/protocol/commands' node='" node "' "         \
	"action='execute'></command></iq>"
#define NEXT(from, node, form)                                                 \
	"<iq type='set' id='c1' from='" from "' to='bc.test'><command "        \
	"xmlns='http://jabber.org/protocol/commands' node='" node "' "         \
	"sessionid='${sid}' action='next'>" form "</command></iq>"
#define FORM(fields) "<x xmlns='jabber:x:data' type='submit'>" fields "</x>"
#define FIELD(var, val) "<field var='" var "'><value>" val "</value></field>"
#define SESSION {{"sid", "/iq/cmd:command/@sessionid"}}
#define MOD "mod@example.org/desk"

/* A report about mal by reporter, made now, straight into the store. */
static uint64_t add_report(struct harness *h, const char *reporter)
{
	struct store_report r;
	uint64_t id = 0;

	memset(&r, 0, sizeof(r));
	r.reporter = (char *)reporter;
	r.reported = "mal";
	r.reason = "urn:xmpp:reporting:abuse";
	r.text = "rude";
	assert_int_equal(store_report_add(h->store, &r, true, &id), 0);
	return id;
}

/* clang-format off: step tables keep their layout */

/* mal writing to dave (who does not know it) and erin (who does). */
static const struct harness_step free_to_write[] = {
	{.send = CHAT("f1", "mal@example.org/x", "dave@bc.test", "hello"),
	 .never = {"policy-violation"}},
	{.send = CHAT("f2", "mal@example.org/x", "erin@bc.test", "hi"),
	 .expect = {"0: /message[@to='erin@example.org'][@from='mal@bc.test']"
		    "/body[.='hi']"}},
};
static const struct harness_step restricted[] = {
	{.send = CHAT("r1", "mal@example.org/x", "dave@bc.test", "hello"),
	 .sent = 1, .expect = {
		 "0: /message[@type='error'][@to='mal@example.org/x']"
		 "/error/st:policy-violation",
		 "0: contains(//st:text, 'people who know you')",
	 }},
	/* From its other account too. */
	{.send = CHAT("r2", "mal2@example.net/y", "dave@bc.test", "hello"),
	 .sent = 1, .expect = {"0: //st:policy-violation"}},
	/* Someone who knows it still hears from it. */
	{.send = CHAT("r3", "mal@example.org/x", "erin@bc.test", "hi"),
	 .expect = {"0: /message[@to='erin@example.org']/body[.='hi']"}},
};

static const struct harness_step by_carol[] = {
	{.send = REPORT("carol")},
};

/* Three distinct reporters restrict; two, or one three times, do not. */
static void threshold_distinct_reporters(void **state)
{
	static const struct harness_step two[] = {
		{.send = REPORT("alice")},
		{.send = REPORT("alice")},
		{.send = REPORT("bob")},
	};
	static const struct harness_step third[] = {
		{.send = REPORT("carol"), .expect = {
			 "/iq[@type='result'][@id='r1']"}},
	};
	struct harness *h = *state;
	struct store_sanction s;

	harness_run(h, two);
	harness_run(h, free_to_write);
	assert_int_equal(store_sanction_get(h->store, "mal", &s),
			 STORE_NOTFOUND);
	harness_run(h, third);
	assert_int_equal(store_sanction_get(h->store, "mal", &s), 0);
	assert_true(s.restricted);
	assert_int_equal(s.restricted_ms, T0);
	store_sanction_clear(&s);
	harness_run(h, restricted);
}

/* Reports older than the window do not count. */
static void threshold_window(void **state)
{
	struct harness *h = *state;

	add_report(h, "alice");
	add_report(h, "bob");
	clock_advance(24 * HOUR + 1);
	harness_run(h, by_carol);
	harness_run(h, free_to_write);
	/* The same two again, within the window: three now. */
	add_report(h, "alice");
	add_report(h, "bob");
	harness_run(h, by_carol);
	harness_run(h, restricted);
}

/* Resolving all open reports about it lifts the restriction; resolving
 * some does not. */
static void resolution_lifts(void **state)
{
	struct store_resolution res = {STORE_OUTCOME_DISMISS, "ok",
				       "mod@example.org", 0, false, "bc.test"};
	struct harness *h = *state;
	uint64_t a = add_report(h, "alice"), b = add_report(h, "bob");
	uint64_t c;

	harness_run(h, by_carol);
	c = 3;
	harness_run(h, restricted);
	assert_int_equal(store_report_settle(h->store, a, &res, NULL), 0);
	assert_int_equal(store_report_settle(h->store, b, &res, NULL), 0);
	harness_run(h, restricted);
	assert_int_equal(store_report_settle(h->store, c, &res, NULL), 0);
	harness_run(h, free_to_write);
	/* Resolved twice: refused, nothing changes. */
	assert_int_equal(store_report_settle(h->store, c, &res, NULL),
			 STORE_EEXIST);
}

/* A suspension: everything mal sends is refused, with the end named,
 * until the end; then it writes again. */
static void suspension_clock(void **state)
{
	static const struct harness_step during[] = {
		{.send = CHAT("s1", "mal@example.org/x", "erin@bc.test", "hi"),
		 .sent = 1, .expect = {"0: //st:policy-violation"},
		 .values = {{"0: //st:text", "Your account is suspended by "
			     "the moderators until 2027-01-15T09:00:00.000Z."}}},
		/* A request to a stranger cannot be opened either. */
		{.send = CHAT("s2", "mal2@example.net/y", "dave@bc.test", "hey"),
		 .sent = 1, .expect = {"0: //st:policy-violation"}},
		/* Nor a message to an outside user. */
		{.send = CHAT("s3", "mal@example.org/x",
			      "zed\\40else.test@bc.test", "hey"),
		 .sent = 1, .expect = {"0: //st:policy-violation"}},
	};
	static const struct harness_step last_ms[] = {
		{.advance = HOUR - 1,
		 .send = CHAT("s4", "mal@example.org/x", "erin@bc.test", "hi"),
		 .sent = 1, .expect = {"0: //st:policy-violation"}},
	};
	static const struct harness_step after[] = {
		{.advance = 1,
		 .send = CHAT("s5", "mal@example.org/x", "erin@bc.test", "back"),
		 .expect = {"0: /message[@to='erin@example.org']"
			    "/body[.='back']"}},
		{.send = CHAT("s6", "mal@example.org/x", "dave@bc.test", "hi"),
		 .never = {"policy-violation"}},
	};
	static const struct harness_step again[] = {
		{.send = CHAT("s7", "mal@example.org/x", "erin@bc.test", "x"),
		 .expect = {"0: //st:policy-violation"}},
	};
	static const struct harness_step lifted[] = {
		{.send = CHAT("s8", "mal@example.org/x", "erin@bc.test", "y"),
		 .expect = {"0: /message/body[.='y']"}},
	};
	struct harness *h = *state;

	assert_int_equal(store_sanction_suspend(h->store, "mal", T0 + HOUR,
						"spam"), 0);
	harness_run(h, during);
	harness_run(h, last_ms);
	harness_run(h, after);
	/* Lifted before its end. */
	assert_int_equal(store_sanction_suspend(h->store, "mal",
						T0 + 10 * HOUR, NULL), 0);
	harness_run(h, again);
	assert_int_equal(store_sanction_suspend(h->store, "mal", 0, NULL), 0);
	harness_run(h, lifted);
	assert_int_equal(store_sanction_suspend(h->store, "mal", 0, NULL),
			 STORE_NOTFOUND);
}

/* In a room: a suspended occupant's groupchat and private messages are
 * refused, to nobody's hearing; others go on. */
#define ROOM "den@rooms.bc.test"
/* mal in the room invites who. */
#define INVITE(id, who)                                                        \
	"<message id='" id "' from='mal@example.org/pc' to='" ROOM "'>"        \
	"<x xmlns='" NS_MUC_USER "'><invite to='" who "'/></x></message>"

/* erin's room, with mal a member and in it. */
static const struct harness_step erins_room[] = {
	{.send = JOIN("erin@example.org/pc", "erin")},
	/* Members may invite. */
	{.send = "<iq type='set' id='i1' from='erin@example.org/pc' "
		 "to='" ROOM "'><query xmlns='" NS_MUC_OWNER "'><x "
		 "xmlns='" NS_DATA "' type='submit'><field "
		 "var='muc#roomconfig_allowinvites'><value>1</value></field>"
		 "</x></query></iq>",
	 .expect = {"/iq[@type='result'][@id='i1']"}},
	{.send = "<iq type='set' id='m1' from='erin@example.org/pc' "
		 "to='" ROOM "'><query xmlns='" NS_MUC_ADMIN "'><item "
		 "affiliation='member' jid='mal@bc.test'/></query></iq>",
	 .expect = {"/iq[@type='result'][@id='m1']"}},
	{.send = JOIN("mal@example.org/pc", "mal")},
};

/* Restricted, mal still speaks in the room and writes to erin (who knows
 * it), but neither invites dave nor writes privately to him. */
static void restricted_in_rooms(void **state)
{
	static const struct harness_step restricted_room[] = {
		{.send = "<iq type='set' id='m2' from='erin@example.org/pc' "
			 "to='" ROOM "'><query xmlns='" NS_MUC_ADMIN "'><item "
			 "affiliation='member' jid='dave@bc.test'/></query></iq>",
		 .expect = {"/iq[@type='result'][@id='m2']"}},
		{.send = JOIN("dave@example.org/pc", "dave")},
		{.send = SAY("mal@example.org/pc", "g1", "hello all"),
		 .expect = {"/message[@to='dave@example.org/pc']"
			    "/body[.='hello all']"}},
		{.send = "<message type='chat' id='p1' from='mal@example.org/pc' "
			 "to='" ROOM "/dave'><body>psst</body></message>",
		 .sent = 1, .expect = {
			 "0: /message[@type='error']//st:policy-violation",
			 "0: contains(//st:text, 'people who know you')",
		 }},
		{.send = "<message type='chat' id='p2' from='mal@example.org/pc' "
			 "to='" ROOM "/erin'><body>hi erin</body></message>",
		 .expect = {"/message[@to='erin@example.org/pc']"
			    "/body[.='hi erin']"},
		 .never = {"policy-violation"}},
		{.send = INVITE("v1", "carol@bc.test"),
		 .sent = 1, .expect = {
			 "0: /message[@type='error']//st:policy-violation",
			 "0: contains(//st:text, 'people who know you')",
		 }},
	};
	struct harness *h = *state;
	struct store_sanction s = {"mal", 0, NULL, true, T0};

	harness_run(h, erins_room);
	assert_int_equal(store_sanction_put(h->store, &s), 0);
	harness_run(h, restricted_room);
}

static void suspended_in_rooms(void **state)
{
	static const struct harness_step room[] = {
		{.send = SAY("mal@example.org/pc", "g1", "before"),
		 .expect = {"/message[@to='erin@example.org/pc']"
			    "/body[.='before']"}},
	};
	static const struct harness_step suspended[] = {
		{.send = SAY("mal@example.org/pc", "g2", "during"),
		 .sent = 1, .expect = {
			 "0: /message[@type='error'][@to='mal@example.org/pc']"
			 "//st:policy-violation",
			 "0: contains(//st:text, 'until 2027-01-15T09:00:00.000Z')",
		 }},
		{.send = "<message type='chat' id='p1' from='mal@example.org/pc' "
			 "to='" ROOM "/erin'><body>psst</body></message>",
		 .sent = 1, .expect = {"0: //st:policy-violation"}},
		/* Nor does it invite anyone (an invitation can open a
		 * request). */
		{.send = INVITE("v1", "dave@bc.test"),
		 .sent = 1, .expect = {
			 "0: /message[@type='error'][@to='mal@example.org/pc']"
			 "//st:policy-violation",
			 "0: contains(//st:text, 'suspended')",
		 }},
		{.send = SAY("erin@example.org/pc", "g3", "others speak"),
		 .expect = {"/message[@to='mal@example.org/pc']"
			    "/body[.='others speak']"}},
		{.advance = HOUR,
		 .send = SAY("mal@example.org/pc", "g4", "after"),
		 .expect = {"/message[@to='erin@example.org/pc']"
			    "/body[.='after']"}},
	};
	struct harness *h = *state;

	harness_run(h, erins_room);
	harness_run(h, room);
	assert_int_equal(store_sanction_suspend(h->store, "mal", T0 + HOUR,
						NULL), 0);
	harness_run(h, suspended);
}

HARNESS_TEST(adhoc_moderators_only,
	{.send = EXECUTE("alice@example.org/pc", "moderation"),
	 .sent = 1, .expect = {"0: /iq/error/st:forbidden"}},
	{.send = EXECUTE("stranger@else.test/x", "moderation"),
	 .sent = 1, .expect = {"0: /iq/error/st:forbidden"}},
	/* Not listed for a member; listed for the moderator. */
	{.send = "<iq type='get' id='l1' from='alice@example.org/pc' "
		 "to='bc.test'><query xmlns='" NS_DISCO_ITEMS "' "
		 "node='" NS_COMMANDS "'/></iq>",
	 .sent = 1, .expect = {"0: not(//items:item[@node='moderation'])"}},
	{.send = "<iq type='get' id='l1' from='" MOD "' to='bc.test'><query "
		 "xmlns='" NS_DISCO_ITEMS "' node='" NS_COMMANDS "'/></iq>",
	 .sent = 1, .expect = {"0: //items:item[@node='moderation']"}},
	{.send = EXECUTE(MOD, "moderation"),
	 .sent = 1, .expect = {
		 "0: /iq/cmd:command[@status='completed']",
		 "0: /iq/cmd:command/cmd:note[.='No open reports.']",
	 }})

/* Twelve reports: a page of ten with "next", then two. */
static void adhoc_paging(void **state)
{
	static const struct harness_step steps[] = {
		{.send = EXECUTE(MOD, "moderation"), .capture = SESSION,
		 .sent = 1, .expect = {
			 "0: /iq/cmd:command[@status='executing']"
			 "/cmd:actions/cmd:next",
			 "0: count(//data:field[@var='report']/data:option) = 11",
			 "0: //data:field[@var='report']/data:option"
			 "/data:value[.='next']",
			 "0: //data:field[@var='report']/data:option"
			 "/data:value[.='10']",
			 "0: not(//data:option/data:value[.='11'])",
			 "0: contains(//data:field[@type='fixed']/data:value, "
			 "'#1 2027-01-15T08:00:00.000Z: alice@bc.test reported "
			 "mal@bc.test (abuse): rude')",
		 },
		 .never = {"alice@example.org", "bob@example.org",
			   "mal@example.org"}},
		{.send = NEXT(MOD, "moderation",
			      FORM(FIELD("report", "next"))),
		 .sent = 1, .expect = {
			 "0: count(//data:field[@var='report']/data:option) = 2",
			 "0: //data:option/data:value[.='11']",
			 "0: //data:option/data:value[.='12']",
		 }},
		{.send = NEXT(MOD, "moderation",
			      FORM(FIELD("report", "99"))),
		 .sent = 1, .expect = {"0: /iq/error/st:item-not-found"}},
	};
	struct harness *h = *state;
	int i;

	for (i = 0; i < 12; i++)
		add_report(h, i % 2 ? "bob" : "alice");
	harness_run(h, steps);
}

/* Show one with its evidence; resolve it with warn: the reporter and the
 * warned are told, from D, without a real JID. */
static void adhoc_resolve_warn(void **state)
{
	static const struct harness_step steps[] = {
		{.send = CHAT("e1", "mal@example.org/x", "erin@bc.test",
			      "buy my stuff")},
		{.send = "<iq type='set' id='r1' from='erin@example.org/pc' "
			 "to='bc.test'><block " BLK "><item jid='mal@bc.test'>"
			 "<report xmlns='urn:xmpp:reporting:1' "
			 "reason='urn:xmpp:reporting:spam'/></item></block>"
			 "</iq>"},
		{.send = EXECUTE(MOD, "moderation"), .capture = SESSION},
		{.send = NEXT(MOD, "moderation", FORM(FIELD("report", "1"))),
		 .sent = 1, .expect = {
			 "0: /iq/cmd:command[@status='executing']"
			 "/cmd:actions/cmd:complete",
			 "0: //data:field[@type='fixed']/data:value"
			 "[.='Evidence 1: buy my stuff']",
			 "0: count(//data:field[@var='outcome']/data:option) = 4",
		 },
		 .never = {"erin@example.org", "mal@example.org"}},
		/* A wrong answer keeps the session. */
		{.send = NEXT(MOD, "moderation",
			      FORM(FIELD("outcome", "frown"))),
		 .sent = 1, .expect = {"0: /iq/error/st:bad-request"}},
		{.send = NEXT(MOD, "moderation",
			      FORM(FIELD("outcome", "warn")
				   FIELD("note", "No advertising."))),
		 .sent = 4, .expect = {
			 "/message[@to='mal@example.org'][@from='bc.test']"
			 "/body[.='The moderators of bc.test warn you about "
			 "your messages: No advertising.']",
			 "/message[@to='mal2@example.net'][@from='bc.test']",
			 "/message[@to='erin@example.org'][@from='bc.test']"
			 "/body[.='Your report 1 was reviewed by the "
			 "moderators: mal@bc.test has been warned.']",
			 "/iq/cmd:command[@status='completed']"
			 "/cmd:note[.='Report 1 resolved: warn.']",
		 },
		 /* No body names a real JID (the stanzas' own 'to'
		  * attributes aside). */
		 .never = {" erin@example.org", " mal@example.org",
			   " mod@example.org", "example.org<",
			   "example.org.<"}},
		/* Gone from the list. */
		{.send = EXECUTE(MOD, "moderation"),
		 .expect = {"0: /iq/cmd:command/cmd:note"
			    "[.='No open reports.']"}},
	};
	struct harness *h = *state;
	struct store_report r;

	harness_run(h, steps);
	assert_int_equal(store_report_get(h->store, 1, &r), 0);
	assert_int_equal(r.state, STORE_REPORT_RESOLVED);
	assert_int_equal(r.outcome, STORE_OUTCOME_WARN);
	assert_string_equal(r.note, "No advertising.");
	assert_string_equal(r.resolved_by, "mod@example.org");
	assert_int_equal(r.resolved_ms, T0);
	store_report_clear(&r);
}

/* Suspend through the command: the reporter is told the end; mal is
 * refused.  Remove: the identity is gone. */
static void adhoc_resolve_suspend_remove(void **state)
{
	static const struct harness_step suspend[] = {
		{.send = EXECUTE(MOD, "moderation"), .capture = SESSION},
		{.send = NEXT(MOD, "moderation", FORM(FIELD("report", "1")))},
		{.send = NEXT(MOD, "moderation",
			      FORM(FIELD("outcome", "suspend")
				   FIELD("duration", "bad"))),
		 .sent = 1, .expect = {"0: /iq/error/st:bad-request"}},
		{.send = NEXT(MOD, "moderation",
			      FORM(FIELD("outcome", "suspend")
				   FIELD("duration", "2h"))),
		 .expect = {
			 "/message[@to='alice@example.org']/body[.='Your "
			 "report 1 was reviewed by the moderators: mal@bc.test "
			 "is suspended until 2027-01-15T10:00:00.000Z.']",
			 "/message[@to='mal@example.org']/body[contains(., "
			 "'suspended you until 2027-01-15T10:00:00.000Z')]",
			 "/iq/cmd:command[@status='completed']",
		 }},
		{.send = CHAT("x", "mal@example.org/x", "erin@bc.test", "hi"),
		 .sent = 1, .expect = {"0: //st:policy-violation"}},
	};
	static const struct harness_step remove[] = {
		{.send = EXECUTE(MOD, "moderation"), .capture = SESSION},
		{.send = NEXT(MOD, "moderation", FORM(FIELD("report", "2")))},
		{.send = NEXT(MOD, "moderation",
			      FORM(FIELD("outcome", "remove"))),
		 .expect = {
			 "/message[@to='bob@example.org']/body[.='Your "
			 "report 2 was reviewed by the moderators: mal@bc.test "
			 "has been removed.']",
			 "/iq/cmd:command[@status='completed']",
		 }},
		{.send = CHAT("y", "erin@example.org/x", "mal@bc.test", "hi"),
		 .sent = 1, .expect = {"0: //st:service-unavailable"}},
	};
	struct harness *h = *state;
	struct store_identity id;
	struct store_sanction s;

	add_report(h, "alice");
	add_report(h, "bob");
	harness_run(h, suspend);
	assert_int_equal(store_sanction_get(h->store, "mal", &s), 0);
	assert_int_equal(s.until_ms, T0 + 2 * HOUR);
	store_sanction_clear(&s);
	harness_run(h, remove);
	assert_int_equal(store_identity_get(h->store, "mal", &id),
			 STORE_NOTFOUND);
	assert_int_equal(store_sanction_get(h->store, "mal", &s),
			 STORE_NOTFOUND);
}

/* A resolution made by another process (backchannelctl) is announced
 * by the daemon's tick. */
static void ctl_resolution_announced(void **state)
{
	struct store_resolution res = {STORE_OUTCOME_DISMISS, NULL,
				       "backchannelctl", 0, true, NULL};
	static const struct harness_step told[] = {
		{.sent = 1, .expect = {
			 "0: /message[@to='carol@example.org'][@from='bc.test']"
			 "/body[.='Your report 1 was reviewed by the "
			 "moderators: no action against mal@bc.test was "
			 "needed.']",
		 }},
	};
	struct harness *h = *state;

	add_report(h, "carol");
	bc_tick(h->bc); /* starts reading the change log here */
	assert_int_equal(store_report_settle(h->store, 1, &res, NULL), 0);
	clock_advance(300);
	harness_clear(h);
	bc_tick(h->bc);
	assert_int_equal(bc_flush(h->bc), 0);
	harness_run(h, told);
	/* Once only. */
	clock_advance(300);
	harness_clear(h);
	bc_tick(h->bc);
	assert_int_equal(bc_flush(h->bc), 0);
	harness_assert_count(h, 0);
}

/* The moderators' "report-resolve" (backchannelctl's report resolve run
 * in the daemon) takes an outcome too; the tick announces it. */
static void provision_resolve(void **state)
{
	static const struct harness_step steps[] = {
		{.send = EXECUTE(MOD, "report-resolve"), .capture = SESSION,
		 .expect = {"0: //data:field[@var='outcome']",
			    "0: //data:field[@var='for']"}},
		{.send = NEXT(MOD, "report-resolve",
			      FORM(FIELD("id", "1") FIELD("outcome", "suspend")
				   FIELD("for", "3h") FIELD("note", "x"))),
		 .sent = 1, .expect = {"0: /iq/cmd:command[@status='completed']"
				       "/cmd:note[@type='info']"}},
	};
	static const struct harness_step told[] = {
		{.expect = {
			 "/message[@to='dave@example.org']/body[.='Your report 1 "
			 "was reviewed by the moderators: mal@bc.test is "
			 "suspended until 2027-01-15T11:00:00.300Z.']",
			 "/message[@to='mal@example.org']",
		 }},
	};
	struct harness *h = *state;
	struct store_sanction s;

	add_report(h, "dave");
	bc_tick(h->bc);
	clock_advance(300);
	harness_run(h, steps);
	assert_int_equal(store_sanction_get(h->store, "mal", &s), 0);
	assert_int_equal(s.until_ms, T0 + 300 + 3 * HOUR);
	store_sanction_clear(&s);
	clock_advance(300);
	harness_clear(h);
	bc_tick(h->bc);
	assert_int_equal(bc_flush(h->bc), 0);
	harness_run(h, told);
}

/* Reports forwarded from three servers name one outside user in three
 * forms, the last a full JID with its resource: they count together and
 * restrict its escaped address. */
#define FORWARDED(from, jid)                                                   \
	"<message id='f' from='" from "' to='bc.test'>"                        \
	"<report xmlns='urn:xmpp:reporting:1' "                                \
	"reason='urn:xmpp:reporting:spam'><jid xmlns='urn:xmpp:jid:0'>" jid    \
	"</jid></report></message>"
static void outside_forms_restrict(void **state)
{
	static const struct harness_step reports[] = {
		{.send = FORWARDED("a@one.example", "Troll@Elsewhere.net")},
		{.send = FORWARDED("b@two.example",
				   "troll\\40elsewhere.net@bc.test")},
		{.send = FORWARDED("c@three.example",
				   "troll@elsewhere.net/phone")},
	};
	static const struct harness_step troll_restricted[] = {
		{.send = CHAT("t1", "troll@elsewhere.net/x", "dave@bc.test",
			      "hello"),
		 .sent = 1, .expect = {
			 "0: /message[@type='error'][@to='troll@elsewhere.net/x']"
			 "/error/st:policy-violation",
			 "0: contains(//st:text, 'people who know you')",
		 }},
	};
	struct harness *h = *state;
	struct store_sanction s;

	harness_run(h, reports);
	assert_int_equal(store_sanction_get(h->store,
					    "troll\\40elsewhere.net", &s), 0);
	assert_true(s.restricted);
	store_sanction_clear(&s);
	harness_run(h, troll_restricted);
}

/* clang-format on */

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
	const struct CMUnitTest tests[] = {
		T(threshold_distinct_reporters),
		T(threshold_window),
		T(resolution_lifts),
		T(suspension_clock),
		T(suspended_in_rooms),
		T(restricted_in_rooms),
		T(adhoc_moderators_only),
		T(adhoc_paging),
		T(adhoc_resolve_warn),
		T(adhoc_resolve_suspend_remove),
		T(ctl_resolution_announced),
		T(provision_resolve),
		T(outside_forms_restrict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
