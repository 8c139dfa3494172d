/*
 * test_dispatch.c - the router's scoped dispatch and the lifecycle hooks,
 * against a registry of test modules of its own (this file defines
 * xep_registry, so xep/registry.c is not linked in): which hook or IQ row
 * runs for which target and kind, in which order, and what the router
 * answers when none does.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "component/bc.h"
#include "tests/unit/harness.h"
#include "xep/ns.h"
#include "xep/xep.h"

/* What the test modules saw, in order: one letter per call. */
static char calls[64];
static size_t ncalls;
static int pass_rc = XEP_PASS; /* what hook "a" returns */

static void saw(char c)
{
	if (ncalls + 1 < sizeof(calls)) {
		calls[ncalls++] = c;
		calls[ncalls] = '\0';
	}
}

static int hook_a(struct xep_stanza *st)
{
	(void)st;
	saw('a');
	return pass_rc;
}

static int hook_b(struct xep_stanza *st)
{
	(void)st;
	saw('b');
	return XEP_OK;
}

static int hook_p(struct xep_stanza *st)
{
	(void)st;
	saw('p');
	return XEP_OK;
}

/* Answers an IQ with an empty result naming who answered in its id. */
static int iq_reply(struct xep_stanza *st, char who)
{
	xmpp_stanza_t *r = xep_iq_result(st);
	char id[2] = {who, '\0'};

	saw(who);
	xmpp_stanza_set_id(r, id);
	xep_reply(st, r);
	return XEP_OK;
}

static int iq_named(struct xep_stanza *st) { return iq_reply(st, 'n'); }
static int iq_any(struct xep_stanza *st) { return iq_reply(st, 'w'); }

static int iq_silent(struct xep_stanza *st)
{
	(void)st;
	saw('s');
	return XEP_OK; /* no reply: the router must answer */
}

static unsigned connected_where;
static const char *linked_bare;
static bool linked_yes;
static int ticks;

static void mod_connected(struct bc *bc, unsigned where)
{
	(void)bc;
	connected_where |= where;
}

static void mod_linked(struct bc *bc, const char *bare, bool linked)
{
	(void)bc;
	linked_bare = bare;
	linked_yes = linked;
}

static void mod_tick(struct bc *bc, int64_t now)
{
	(void)bc;
	(void)now;
	ticks++;
}

/* First module: a message hook on node@D that passes or takes, a
 * wildcard IQ row on occupants (listed before the named row of the second
 * module, which must still win for its payload), lifecycle hooks. */
static const struct xep_hook first_hooks[] = {
	{XEP_MESSAGE, XEP_AT_IDENTITY, hook_a},
	{0, 0, NULL},
};
static const struct xep_iq first_iq[] = {
	{NULL, NULL, XEP_GET | XEP_SET, iq_any, XEP_AT_OCCUPANT},
	{"silent", "urn:test", XEP_GET, iq_silent, XEP_AT_SERVICE},
	{NULL, NULL, 0, NULL, 0},
};
static const struct xep_module first = {
	.name = "first",
	.iq = first_iq,
	.hooks = first_hooks,
	.connected = mod_connected,
	.linked = mod_linked,
	.tick = mod_tick,
};

/* Second module: hooks on node@D (messages) and on rooms (presence). */
static const struct xep_hook second_hooks[] = {
	{XEP_MESSAGE, XEP_AT_IDENTITY, hook_b},
	{XEP_PRESENCE, XEP_AT_ROOM | XEP_AT_OCCUPANT, hook_p},
	{0, 0, NULL},
};
static const struct xep_iq second_iq[] = {
	{"query", "urn:test", XEP_GET, iq_named,
	 XEP_AT_OCCUPANT | XEP_AT_SERVICE},
	{NULL, NULL, 0, NULL, 0},
};
static const struct xep_module second = {
	.name = "second",
	.iq = second_iq,
	.hooks = second_hooks,
};

const struct xep_module *const xep_registry[] = {&first, &second, NULL};

static int setup(void **state)
{
	ncalls = 0;
	calls[0] = '\0';
	pass_rc = XEP_PASS;
	connected_where = 0;
	linked_bare = NULL;
	ticks = 0;
	*state = harness_new(NULL, false);
	return 0;
}

#define MSG(to, type)                                                          \
	"<message from='u@example.org/r' to='" to "' type='" type "' id='m'>"  \
	"<body>hi</body></message>"

/* A message to node@D goes to every hook that declared it, in registry
 * order, until one takes it. */
static void hooks_in_order_until_taken(void **state)
{
	struct harness *h = *state;

	harness_feed(h, MSG("bob@bc.test", "chat"));
	assert_string_equal(calls, "ab");
	harness_assert_count(h, 0);
	ncalls = 0;
	pass_rc = XEP_OK;
	harness_feed(h, MSG("bob@bc.test", "chat"));
	assert_string_equal(calls, "a");
}

/* Nobody declared messages to D, to M or to a room: no hook runs and the
 * router bounces the message (RFC 6121 §8.5.2), except groupchat. */
HARNESS_TEST(undeclared_targets_reach_no_hook,
	{.send = MSG("bc.test", "chat"), .sent = 1,
	 .expect = {"0: /message[@type='error'][@from='bc.test']"
		    "/error/st:service-unavailable"}},
	{.send = MSG("room@rooms.bc.test", "normal"), .sent = 1,
	 .expect = {"0: /message[@type='error']/error/st:service-unavailable"}},
	{.send = MSG("room@rooms.bc.test", "groupchat"), .sent = HARNESS_NONE},
	{.send = "<presence from='u@example.org/r' to='bob@bc.test'/>",
	 .sent = HARNESS_NONE})

static void undeclared_targets_call_nothing(void **state)
{
	undeclared_targets_reach_no_hook(state);
	assert_string_equal(calls, "");
}

/* Presence reaches the presence hook of rooms and occupants only. */
static void kinds_are_kept_apart(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<presence from='u@example.org/r' "
			"to='room@rooms.bc.test/nick'/>");
	harness_feed(h, "<presence from='u@example.org/r' "
			"to='room@rooms.bc.test'/>");
	harness_feed(h, MSG("room@rooms.bc.test/nick", "chat"));
	assert_string_equal(calls, "pp");
}

/* A named row wins over a wildcard row listed earlier; the wildcard takes
 * any other payload at its targets only; elsewhere the payload is
 * service-unavailable. */
HARNESS_TEST(named_rows_before_wildcards,
	{.send = "<iq type='get' id='1' from='u@example.org/r' "
		 "to='room@rooms.bc.test/nick'><query xmlns='urn:test'/></iq>",
	 .sent = 1, .expect = {"0: /iq[@type='result'][@id='n']"}},
	{.send = "<iq type='set' id='2' from='u@example.org/r' "
		 "to='room@rooms.bc.test/nick'><vcard xmlns='vcard-temp'/></iq>",
	 .sent = 1, .expect = {"0: /iq[@type='result'][@id='w']"}},
	{.send = "<iq type='get' id='3' from='u@example.org/r' "
		 "to='room@rooms.bc.test'><vcard xmlns='vcard-temp'/></iq>",
	 .sent = 1,
	 .expect = {"0: /iq[@type='error'][@id='3']/error/st:service-unavailable"}},
	{.send = "<iq type='get' id='4' from='u@example.org/r' "
		 "to='bc.test'><query xmlns='urn:test'/></iq>",
	 .sent = 1, .expect = {"0: /iq[@type='result'][@id='n']"}},
	{.send = "<iq type='set' id='5' from='u@example.org/r' "
		 "to='bc.test'><query xmlns='urn:test'/></iq>",
	 .sent = 1,
	 .expect = {"0: /iq[@id='5']/error/st:service-unavailable"}})

/* A handler that returns without replying: the router answers for it. */
HARNESS_TEST(unanswered_iq_gets_an_error,
	{.send = "<iq type='get' id='6' from='u@example.org/r' "
		 "to='bc.test'><silent xmlns='urn:test'/></iq>",
	 .sent = 1,
	 .expect = {"0: /iq[@type='error'][@id='6']"
		    "/error/st:internal-server-error"}})

/* The lifecycle hooks: a connection up, an account linked, a pass. */
static void lifecycle_hooks(void **state)
{
	struct harness *h = *state;

	bc_connected(h->bc, BC_LINK_ROOMS);
	assert_int_equal(connected_where, XEP_AT_ROOMS);
	bc_connected(h->bc, BC_LINK_SERVICE);
	assert_int_equal(connected_where, XEP_AT_ROOMS | XEP_AT_SERVICE);
	bc_linked(h->bc, "u@example.org", true);
	assert_string_equal(linked_bare, "u@example.org");
	assert_true(linked_yes);
	bc_linked(h->bc, "u@example.org", false);
	assert_false(linked_yes);
	bc_tick(h->bc);
	bc_tick(h->bc);
	assert_int_equal(ticks, 2);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, harness_teardown)
	const struct CMUnitTest tests[] = {
		T(hooks_in_order_until_taken),
		T(undeclared_targets_call_nothing),
		T(kinds_are_kept_apart),
		T(named_rows_before_wildcards),
		T(unanswered_iq_gets_an_error),
		T(lifecycle_hooks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
