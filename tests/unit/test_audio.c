/*
 * test_audio.c - the text chats of audio rooms on M through the real
 * router: the presence-broadcast rules (listeners see the stage, nobody
 * sees listeners, the occupant count in muc#roominfo), XEP-0317 hats,
 * stage changes made in the store and seen through the change log by the
 * module's tick, the chat made stage-only with voice requests, closing
 * (a destroy to everyone, no re-creation, the archive kept), what hosts
 * may not do to the platform's stage, and backchannelctl's room stage.
 *
 * D = bc.test, M = rooms.bc.test.  The audio room live@M is opened with
 * alice as host and bob as speaker; carol and dave are members who
 * listen; dave@outside.example is not a member.
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
#include "ctl/ctl.h"
#include "store/store.h"
#include "tests/unit/harness.h"
#include "tests/unit/muc-steps.h"
#include "xep/ns.h"

#define M "rooms.bc.test"
#define ROOM "live@" M
#define A "alice@example.org/pc"
#define B "bob@example.org/pc"
#define C "carol@example.org/pc"
#define E "dave@example.org/pc"
#define X "dave@outside.example/pc"

/* Joins here ask for no history. */
#undef JOIN
#define JOIN(from, nick) JOINH(from, nick, "<history maxstanzas='0'/>")
#define MODERATED(v)                                                           \
	"<x xmlns='" NS_DATA "' type='submit'>"                                \
	"<field var='FORM_TYPE'><value>" NS_MUC_ROOMCONFIG "</value></field>"  \
	"<field var='muc#roomconfig_moderatedroom'><value>" v "</value>"       \
	"</field></x>"
#define ERR(cond, type)                                                        \
	"[@type='error']/error[@type='" type "']/st:" cond
#define ITEM(to, nick, affil, role)                                            \
	"/presence[@to='" to "'][@from='" ROOM "/" nick "'][not(@type)]"       \
	"/muc_user:x/muc_user:item[@affiliation='" affil "'][@role='" role   \
	"']"
#define HAT(to, nick, title)                                                   \
	"/presence[@to='" to "'][@from='" ROOM "/" nick "']/hats:hats"         \
	"/hats:hat[@title='" title "']"

static int setup(void **state)
{
	struct harness *h = harness_new(NULL, true);
	const char *hosts[] = {"alice", NULL}, *speakers[] = {"bob", NULL};

	clock_pin(1800000000000LL);
	harness_member(h, "alice", NULL, "alice@example.org");
	harness_member(h, "bob", NULL, "bob@example.org");
	harness_member(h, "carol", NULL, "carol@example.org");
	harness_member(h, "dave", NULL, "dave@example.org");
	assert_int_equal(store_room_open(h->store, "live", "Live talk", hosts,
					 speakers),
			 0);
	*state = h;
	return 0;
}

/* Runs the module's tick a change-log period later and flushes what it
 * sent; what was recorded before is forgotten. */
static void tick(struct harness *h)
{
	harness_tick(h, 250);
}

/* alice, bob and carol in the room. */
static const struct harness_step enter_three[] = {
	{.send = JOIN(A, "alice"),
	 .sent = 2,
	 .expect = {"0: " ITEM(A, "alice", "owner", "moderator")
		    "[@jid='alice@bc.test']",
		    "0: /presence/muc_user:x/muc_user:status[@code='110']",
		    "0: " HAT(A, "alice", "Host"),
		    "1: /message[@to='" A "']/subject"}},
	{.send = JOIN(B, "bob"),
	 .sent = 4,
	 .expect = {ITEM(B, "alice", "owner", "moderator"),
		    ITEM(A, "bob", "member", "participant"),
		    HAT(A, "bob", "Speaker"),
		    ITEM(B, "bob", "member", "participant")}},
	{.send = JOIN(C, "carol"),
	 .sent = 4,
	 .expect = {"0: " ITEM(C, "alice", "owner", "moderator"),
		    "1: " ITEM(C, "bob", "member", "participant"),
		    "2: " ITEM(C, "carol", "none", "participant"),
		    "2: /presence[not(hats:hats)]",
		    "3: /message[@to='" C "']/subject",
		    "count(//*[@to!='" C "']) = 0"}},
};

/* A listener gets the stage, its own presence and the subject, and nobody
 * else hears of it; listeners write; the count is in muc#roominfo. */
static void listeners_see_the_stage(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = JOIN(E, "dave"),
		 .sent = 4,
		 .expect = {"count(//presence[@from='" ROOM "/carol']) = 0",
			    "count(//*[@to!='" E "']) = 0",
			    ITEM(E, "dave", "none", "participant")}},
		{.send = SAY(C, "c1", "hello from the audience"),
		 .sent = 4,
		 .expect = {"/message[@to='" A "'][@from='" ROOM "/carol']"
			    "[body='hello from the audience']",
			    "/message[@to='" E "'][@from='" ROOM "/carol']"}},
		{.send = "<iq type='get' id='d' from='" E "' to='" ROOM "'>"
			 "<query xmlns='" NS_DISCO_INFO "'/></iq>",
		 .sent = 1,
		 .expect = {"//data:x/data:field[@var='muc#roominfo_occupants']"
			    "[data:value='4']",
			    "//disco:identity[@name='Live talk']",
			    "//disco:feature[@var='muc_open']",
			    "//disco:feature[@var='muc_unmoderated']",
			    "//disco:feature[@var='" NS_HATS "']"}},
		/* A listener leaves quietly. */
		{.send = LEAVE(E, "dave"),
		 .sent = 1,
		 .expect = {"/presence[@to='" E "'][@type='unavailable']"}},
		/* A speaker leaves in front of everyone. */
		{.send = LEAVE(B, "bob"),
		 .sent = 3,
		 .expect = {"/presence[@to='" C "'][@from='" ROOM "/bob']"
			    "[@type='unavailable']"}},
		/* Outside users are not members: not admitted. */
		{.send = JOIN(X, "x"),
		 .sent = 1,
		 .expect = {"/presence" ERR("registration-required", "auth")}},
	};

	harness_run(*state, enter_three);
	harness_run(h, steps);
}

/* The platform moves people on and off the stage; the daemon sees it at
 * its next look at the change log. */
static void stage_changes(void **state)
{
	struct harness *h = *state;
	static const struct harness_step to_speaker[] = {
		{.sent = 3,
		 .expect = {ITEM(A, "carol", "member", "participant"),
			    HAT(A, "carol", "Speaker"),
			    ITEM(B, "carol", "member", "participant"),
			    ITEM(C, "carol", "member", "participant"),
			    "/presence[@to='" C "']/muc_user:x"
			    "/muc_user:status[@code='110']"}},
	};
	static const struct harness_step bob_off[] = {
		/* Off the stage: the others see him go; he stays. */
		{.sent = 3,
		 .expect = {"/presence[@to='" A "'][@from='" ROOM "/bob']"
			    "[@type='unavailable']",
			    "/presence[@to='" C "'][@from='" ROOM "/bob']"
			    "[@type='unavailable']",
			    ITEM(B, "bob", "none", "participant")}},
	};
	static const struct harness_step bob_host[] = {
		{.sent = 3,
		 .expect = {ITEM(A, "bob", "owner", "moderator"),
			    HAT(C, "bob", "Host"),
			    ITEM(B, "bob", "owner", "moderator")}},
	};
	static const struct harness_step quiet[] = {
		{.sent = HARNESS_NONE},
	};
	static const struct harness_step retitled[] = {
		/* §10.2.1: a new name is a configuration change. */
		{.sent = 3,
		 .expect = {"/message[@to='" A "'][@from='" ROOM "']"
			    "/muc_user:x/muc_user:status[@code='104']",
			    "count(//presence) = 0"}},
	};
	static const struct harness_step dave_joins[] = {
		/* The new stage, as a listener entering sees it. */
		{.send = JOIN(E, "dave"),
		 .sent = 5,
		 .expect = {ITEM(E, "carol", "member", "participant"),
			    ITEM(E, "bob", "owner", "moderator"),
			    "count(//*[@to!='" E "']) = 0"}},
	};

	harness_run(h, enter_three);
	assert_int_equal(store_room_stage(h->store, "live", "carol",
					  STORE_AFFIL_SPEAKER),
			 0);
	tick(h);
	harness_run(h, to_speaker);
	/* Read at most every 250 ms: a change right after waits. */
	assert_int_equal(store_room_stage(h->store, "live", "bob",
					  STORE_AFFIL_NONE),
			 0);
	harness_clear(h);
	bc_tick(h->bc);
	assert_int_equal(bc_flush(h->bc), 0);
	harness_run(h, quiet);
	tick(h);
	harness_run(h, bob_off);
	assert_int_equal(store_room_stage(h->store, "live", "bob",
					  STORE_AFFIL_HOST),
			 0);
	tick(h);
	harness_run(h, bob_host);
	/* Nothing new: nothing sent. */
	tick(h);
	harness_run(h, quiet);
	/* A listener stays one; a group chat has no stage. */
	assert_int_equal(store_room_stage(h->store, "live", "dave",
					  STORE_AFFIL_NONE),
			 0);
	tick(h);
	harness_run(h, quiet);
	assert_int_equal(store_room_stage(h->store, "nope", "dave",
					  STORE_AFFIL_HOST),
			 STORE_NOTFOUND);
	assert_int_equal(store_room_stage(h->store, "live", "nobody",
					  STORE_AFFIL_HOST),
			 STORE_NOTFOUND);
	assert_int_equal(store_room_stage(h->store, "live", "dave",
					  STORE_AFFIL_ADMIN),
			 STORE_EINVAL);
	/* Reopened with a new title: the stage stays. */
	assert_int_equal(store_room_open(h->store, "live", "New title", NULL,
					 NULL),
			 0);
	tick(h);
	harness_run(h, retitled);
	harness_run(h, dave_joins);
}

/* Stage-only: listeners become visitors, ask for voice, a host grants
 * it; nobody but the listener concerned hears of listeners' roles. */
static void stage_only_and_voice(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = OWNER_SET(B, "m0", MODERATED("1")),
		 .sent = 1,
		 .expect = {"/iq" ERR("forbidden", "auth")}},
		{.send = OWNER_SET(A, "m1", MODERATED("1")),
		 .sent = 5,
		 .expect = {"/iq[@type='result'][@id='m1']",
			    ITEM(C, "carol", "none", "visitor"),
			    "count(//presence[@to!='" C "']) = 0",
			    "/message[@to='" B "']/muc_user:x"
			    "/muc_user:status[@code='104']"}},
		{.send = SAY(C, "c1", "may I?"),
		 .sent = 1,
		 .expect = {"/message" ERR("forbidden", "auth")}},
		{.send = SAY(B, "b1", "speakers speak"), .sent = 3},
		/* §7.13: the request reaches the hosts, not the speakers. */
		{.send = "<message from='" C "' to='" ROOM "'>"
			 "<x xmlns='" NS_DATA "' type='submit'>"
			 "<field var='FORM_TYPE'><value>" NS_MUC_REQUEST
			 "</value></field><field var='muc#role'>"
			 "<value>participant</value></field></x></message>",
		 .sent = 1,
		 .expect = {"/message[@to='" A "'][@from='" ROOM "']"
			    "/data:x[@type='form']/data:field"
			    "[@var='muc#roomnick'][data:value='carol']",
			    "//data:field[@var='muc#jid']"
			    "[data:value='carol@bc.test']"}},
		/* §8.6: granted with the same form; only carol is told. */
		{.send = "<message from='" A "' to='" ROOM "'>"
			 "<x xmlns='" NS_DATA "' type='submit'>"
			 "<field var='FORM_TYPE'><value>" NS_MUC_REQUEST
			 "</value></field><field var='muc#roomnick'>"
			 "<value>carol</value></field>"
			 "<field var='muc#request_allow'><value>true</value>"
			 "</field></x></message>",
		 .sent = 1,
		 .expect = {ITEM(C, "carol", "none", "participant")}},
		{.send = SAY(C, "c2", "thanks"), .sent = 3},
		/* Open again: visitors get their voice back. */
		{.send = JOIN(E, "dave"),
		 .sent = 4,
		 .expect = {ITEM(E, "dave", "none", "visitor")}},
		{.send = OWNER_SET(A, "m2", MODERATED("0")),
		 .sent = 6,
		 .expect = {ITEM(E, "dave", "none", "participant"),
			    "count(//presence) = 1"}},
	};

	harness_run(h, enter_three);
	harness_run(h, steps);
}

/* room close: a destroy with a reason to everyone; no re-creation by a
 * join; the archive stays readable by members; open again, it is live. */
static void close_and_reopen(void **state)
{
	struct harness *h = *state;
	const char *hosts[] = {"alice", NULL};
	static const struct harness_step said[] = {
		{.send = SAY(C, "c1", "before the end"), .sent = 3},
	};
	static const struct harness_step closed[] = {
		{.sent = 3,
		 .expect = {"/presence[@to='" A "'][@type='unavailable']"
			    "/muc_user:x/muc_user:destroy"
			    "[muc_user:reason='The audio room has ended']",
			    "/presence[@to='" B "'][@type='unavailable']"
			    "/muc_user:x/muc_user:destroy",
			    "/presence[@to='" C "'][@from='" ROOM "/carol']"
			    "[@type='unavailable']/muc_user:x/muc_user:destroy"}},
		{.send = JOIN(E, "dave"),
		 .sent = 1,
		 .expect = {"/presence" ERR("item-not-found", "cancel")}},
		{.send = SAY(C, "c2", "after the end"),
		 .sent = 1,
		 .expect = {"/message[@type='error']/error/st:item-not-found"}},
		/* The archive: for members, not for outsiders. */
		{.send = "<iq type='set' id='q1' from='" E "' to='" ROOM "'>"
			 "<query xmlns='" NS_MAM "' queryid='a'/></iq>",
		 .sent = 2,
		 .expect = {"/message[@to='" E "']/mam:result[@queryid='a']"
			    "/fwd:forwarded/client:message"
			    "[client:body='before the end']",
			    "/iq[@type='result'][@id='q1']/mam:fin"}},
		{.send = "<iq type='set' id='q2' from='" X "' to='" ROOM "'>"
			 "<query xmlns='" NS_MAM "'/></iq>",
		 .sent = 1,
		 .expect = {"/iq[@type='error']/error/st:forbidden"}},
	};
	static const struct harness_step reopened[] = {
		{.sent = HARNESS_NONE},
		/* Everyone left with the destroy: an empty room. */
		{.send = JOIN(E, "dave"),
		 .sent = 2,
		 .expect = {ITEM(E, "dave", "none", "participant")}},
		{.send = "<iq type='get' id='d' from='" E "' to='" ROOM "'>"
			 "<query xmlns='" NS_DISCO_INFO "'/></iq>",
		 .sent = 1,
		 .expect = {"//disco:identity[@name='Live again']",
			    "//data:field[@var='muc#roominfo_occupants']"
			    "[data:value='1']"}},
	};
	struct store_room rec;

	harness_run(h, enter_three);
	harness_run(h, said);
	assert_int_equal(store_room_close(h->store, "live"), 0);
	tick(h);
	harness_run(h, closed);
	/* Still an audio room, not live: the join did not make a group
	 * chat of it. */
	assert_int_equal(store_room_get(h->store, "live", &rec), 0);
	assert_int_equal(rec.kind, STORE_ROOM_AUDIO);
	assert_false(rec.live);
	store_room_clear(&rec);
	assert_int_equal(store_room_open(h->store, "live", "Live again", hosts,
					 NULL),
			 0);
	tick(h);
	harness_run(h, reopened);
}

/* Closed while the daemon was not running: the occupants restored at
 * start get their destroy when M comes up, and are not pinged. */
static void closed_while_away(void **state)
{
	struct harness *h = *state;
	bc_transport_fn transport;
	void *arg;

	harness_run(h, enter_three);
	assert_int_equal(bc_flush(h->bc), 0);
	transport = h->bc->transport;
	arg = h->bc->transport_arg;
	bc_free(h->bc); /* ends the pass's batch */
	assert_int_equal(store_room_close(h->store, "live"), 0);
	h->bc = bc_new(h->cfg, h->store, h->xctx, transport, arg);
	assert_non_null(h->bc);
	harness_clear(h);
	bc_connected(h->bc, BC_LINK_ROOMS);
	assert_int_equal(bc_flush(h->bc), 0);
	{
		static const struct harness_step destroyed[] = {
			{.sent = 3,
			 .expect = {"/presence[@to='" A "'][@type='unavailable']"
				    "/muc_user:x/muc_user:destroy",
				    "/presence[@to='" B "'][@type='unavailable']"
				    "/muc_user:x/muc_user:destroy",
				    "/presence[@to='" C "'][@type='unavailable']"
				    "/muc_user:x/muc_user:destroy",
				    "count(//ping:ping) = 0"}},
		};

		harness_run(h, destroyed);
	}
	/* A tick finds nothing more to do. */
	tick(h);
	harness_assert_count(h, 0);
}

/* Hosts run the chat, not the stage: no affiliations but bans, no
 * moderators made, no destroy. */
static void hosts_and_the_platform(void **state)
{
	struct harness *h = *state;
	static const struct harness_step steps[] = {
		{.send = ADMIN_SET(A, "a1", "<item affiliation='admin' "
					    "jid='carol@bc.test'/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("not-allowed", "cancel")}},
		{.send = ADMIN_SET(A, "a2", "<item affiliation='none' "
					    "jid='bob@bc.test'/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("not-allowed", "cancel")}},
		{.send = ADMIN_SET(A, "a3", "<item role='moderator' "
					    "nick='carol'/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("not-allowed", "cancel")}},
		{.send = OWNER_SET(A, "d1", "<destroy/>"),
		 .sent = 1,
		 .expect = {"/iq" ERR("not-allowed", "cancel")}},
		/* The platform's settings stay as they are. */
		{.send = OWNER_SET(A, "f1",
				   "<x xmlns='" NS_DATA "' type='submit'>"
				   "<field var='muc#roomconfig_membersonly'>"
				   "<value>1</value></field>"
				   "<field var='muc#roomconfig_roomname'>"
				   "<value>Mine</value></field></x>"),
		 .expect = {"/iq[@type='result'][@id='f1']"}},
		{.send = "<iq type='get' id='d' from='" C "' to='" ROOM "'>"
			 "<query xmlns='" NS_DISCO_INFO "'/></iq>",
		 .sent = 1,
		 .expect = {"//disco:feature[@var='muc_open']",
			    "//disco:identity[@name='Live talk']"}},
		/* A ban is theirs: carol leaves with 301. */
		{.send = ADMIN_SET(A, "b1", "<item affiliation='outcast' "
					    "jid='carol@bc.test'/>"),
		 .expect = {"/iq[@type='result'][@id='b1']",
			    "/presence[@to='" C "'][@type='unavailable']"
			    "/muc_user:x/muc_user:status[@code='301']"}},
		{.send = JOIN(C, "carol"),
		 .sent = 1,
		 .expect = {"/presence" ERR("forbidden", "auth")}},
	};

	harness_run(h, enter_three);
	harness_run(h, steps);
	/* Made a listener, a banned member stays banned. */
	assert_int_equal(store_room_stage(h->store, "live", "carol",
					  STORE_AFFIL_NONE),
			 0);
	tick(h);
	harness_feed(h, JOIN(C, "carol"));
	harness_assert_count(h, 1);
	harness_assert(h, 0, "local-name(/presence/error/*)", "forbidden");
}

/* backchannelctl room stage, as the CLI and the ad-hoc command run it. */
static void ctl_room_stage(void **state)
{
	struct harness *h = *state;
	char out[256], err[256];
	enum store_affil a;
	struct {
		const char *args[6];
		int rc;
		const char *err;
	} cases[] = {
		{{"room", "stage", "live", "carol", "speaker"}, CTL_OK, ""},
		{{"room", "stage", "live", "carol", "boss"}, CTL_USAGE,
		 "host, speaker or listener"},
		{{"room", "stage", "live", "nobody", "host"}, CTL_FAIL,
		 "unknown handle"},
		{{"room", "stage", "nope", "carol", "host"}, CTL_FAIL,
		 "unknown room 'nope'"},
		{{"room", "stage", "live", "carol"}, CTL_USAGE, "usage"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		FILE *fo = fmemopen(out, sizeof(out), "w");
		FILE *fe = fmemopen(err, sizeof(err), "w");
		int argc = 0;

		memset(err, 0, sizeof(err));
		while (cases[i].args[argc] != NULL)
			argc++;
		assert_int_equal(ctl_run(h->store, 60000, argc,
					 (char **)cases[i].args, fo, fe),
				 cases[i].rc);
		fclose(fo);
		fclose(fe);
		if (strstr(err, cases[i].err) == NULL)
			fail_msg("case %zu: '%s' not in '%s'", i, cases[i].err,
				 err);
	}
	assert_int_equal(store_affil_get(h->store, "live", "carol", &a), 0);
	assert_int_equal(a, STORE_AFFIL_SPEAKER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(listeners_see_the_stage, setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(stage_changes, setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(stage_only_and_voice, setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(close_and_reopen, setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(closed_while_away, setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(hosts_and_the_platform, setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(ctl_room_stage, setup,
						harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
