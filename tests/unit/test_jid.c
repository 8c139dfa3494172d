/*
 * test_jid.c - JID parsing, handles and XEP-0106 escaping.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "component/jid.h"

static void parse_parts(void **state)
{
	struct jid j;

	(void)state;
	assert_int_equal(jid_parse("Alice@Example.ORG/Phone/x", &j), 0);
	assert_string_equal(j.node, "alice");
	assert_string_equal(j.domain, "example.org");
	assert_string_equal(j.resource, "Phone/x");
	assert_int_equal(jid_parse("example.org", &j), 0);
	assert_string_equal(j.node, "");
	assert_string_equal(j.resource, "");
	assert_int_equal(jid_parse("example.org./r", &j), 0);
	assert_string_equal(j.domain, "example.org");
	assert_int_equal(jid_parse(".", &j), -1); /* no domain left */
	assert_int_equal(jid_parse("a@./r", &j), -1);
	assert_int_equal(jid_parse("x..", &j), -1);
	assert_int_equal(jid_parse("a@x..y", &j), -1);
	assert_int_equal(jid_parse(".x", &j), -1);
	assert_int_equal(jid_parse("a@b@c", &j), -1);
}

static void parse_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"", "@example.org", "a@", "a@/r", "example.org/", "a b@example.org",
		"a\"b@x", "a<b@x", "a@x y", "a:b@x",
	};
	struct jid j;
	char longnode[1100];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (jid_parse(bad[i], &j) == 0)
			fail_msg("accepted '%s'", bad[i]);
	memset(longnode, 'a', 1024);
	strcpy(longnode + 1024, "@x");
	assert_int_equal(jid_parse(longnode, &j), -1);
	assert_int_equal(jid_parse(NULL, &j), -1);
}

static void bare_forms(void **state)
{
	char out[JID_MAX];

	(void)state;
	assert_int_equal(jid_to_bare("Bob@Example.org/res", out, sizeof(out)), 0);
	assert_string_equal(out, "bob@example.org");
	assert_int_equal(jid_normalise_bare("Bob@Example.org", out, sizeof(out)),
			 0);
	assert_string_equal(out, "bob@example.org");
	assert_int_equal(jid_normalise_bare("bob@example.org/r", out,
					    sizeof(out)),
			 -1);
	assert_int_equal(jid_to_bare("bob@example.org", out, 5), -1);
}

static void escape_round_trip(void **state)
{
	static const struct {
		const char *bare;
		const char *node;
	} cases[] = {
		/* XEP-0106 §5 examples, adapted to bare JIDs. */
		{"carol@jabber.org", "carol\\40jabber.org"},
		{"space cadet@example.com", "space\\20cadet\\40example.com"},
		{"call me \"ishmael\"@example.com",
		 "call\\20me\\20\\22ishmael\\22\\40example.com"},
		{"at&t guy@example.com", "at\\26t\\20guy\\40example.com"},
		{"d'artagnan@example.com", "d\\27artagnan\\40example.com"},
		{"/.fanboy@example.com", "\\2f.fanboy\\40example.com"},
		{"::foo::@example.com", "\\3a\\3afoo\\3a\\3a\\40example.com"},
		{"<foo>@example.com", "\\3cfoo\\3e\\40example.com"},
		{"c:\\net@example.com", "c\\3a\\net\\40example.com"},
		{"c:\\5commas@example.com", "c\\3a\\5c5commas\\40example.com"},
		{"example.org", "example.org"},
	};
	char node[JID_MAX], back[JID_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(jid_escape_node(cases[i].bare, node,
						 sizeof(node)),
				 0);
		assert_string_equal(node, cases[i].node);
		assert_int_equal(jid_unescape_node(node, back, sizeof(back)), 0);
		assert_string_equal(back, cases[i].bare);
	}
	assert_int_equal(jid_escape_node("a@b", node, 4), -1);
	assert_int_equal(jid_escape_node("", node, sizeof(node)), -1);
}

static void handles(void **state)
{
	char h[HANDLE_MAX + 1];
	char big[80];

	(void)state;
	assert_int_equal(handle_normalise("Alice.B_2-x", h), 0);
	assert_string_equal(h, "alice.b_2-x");
	assert_int_equal(handle_normalise("", h), -1);
	assert_int_equal(handle_normalise("al ice", h), -1);
	assert_int_equal(handle_normalise("al@ice", h), -1);
	assert_int_equal(handle_normalise("caf\xc3\xa9", h), -1);
	memset(big, 'a', 64);
	big[64] = '\0';
	assert_int_equal(handle_normalise(big, h), 0);
	big[64] = 'a';
	big[65] = '\0';
	assert_int_equal(handle_normalise(big, h), -1);
	assert_true(handle_is_valid("bob"));
	assert_false(handle_is_valid("carol\\40jabber.org"));
	assert_false(handle_is_valid("Bob"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_parts),
		cmocka_unit_test(parse_rejects_malformed),
		cmocka_unit_test(bare_forms),
		cmocka_unit_test(escape_round_trip),
		cmocka_unit_test(handles),
	};

	return cmocka_run_group_tests_name("jid", tests, NULL, NULL);
}
