/*
 * test_router.c - the router and the first modules (disco, version, ping),
 * through the real dispatch path.
 */
#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "component/bc.h"
#include "component/errors.h"
#include "component/router.h"
#include "tests/unit/harness.h"

static int setup(void **state)
{
	*state = harness_new(NULL, true);
	return 0;
}

static int teardown(void **state)
{
	harness_free(*state);
	return 0;
}

static void disco_info_on_service(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='get' id='d1' from='alice@example.org/pc' "
			"to='bc.test'><query "
			"xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/iq/@type)", "result");
	harness_assert(h, 0, "string(/iq/@id)", "d1");
	harness_assert(h, 0, "string(/iq/@to)", "alice@example.org/pc");
	harness_assert(h, 0, "string(/iq/@from)", "bc.test");
	harness_assert(h, 0,
		       "string(/iq/disco:query/disco:identity"
		       "[@category='gateway']/@type)",
		       "xmpp");
	harness_assert(h, 0,
		       "count(/iq/disco:query/disco:identity"
		       "[@category='component'])",
		       "1");
	harness_assert(h, 0,
		       "count(/iq/disco:query/disco:feature[@var="
		       "'http://jabber.org/protocol/disco#info'])",
		       "1");
	harness_assert(h, 0,
		       "count(/iq/disco:query/disco:feature[@var='urn:xmpp:ping'])",
		       "1");
	harness_assert(h, 0,
		       "count(/iq/disco:query/disco:feature[@var="
		       "'jabber:iq:version'])",
		       "1");
	/* XEP-0128 form with the XEP-0157 abuse address. */
	harness_assert(h, 0,
		       "string(/iq/disco:query/data:x[@type='result']"
		       "/data:field[@var='FORM_TYPE']/data:value)",
		       "http://jabber.org/network/serverinfo");
	harness_assert(h, 0,
		       "string(/iq/disco:query/data:x/data:field"
		       "[@var='abuse-addresses']/data:value)",
		       "xmpp:bc.test");
}

static void disco_info_on_rooms(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='get' id='d2' from='alice@example.org/pc' "
			"to='rooms.bc.test'><query "
			"xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/iq/@from)", "rooms.bc.test");
	harness_assert(h, 0,
		       "string(/iq/disco:query/disco:identity/@category)",
		       "conference");
	harness_assert(h, 0, "string(/iq/disco:query/disco:identity/@type)",
		       "text");
	/* The abuse form belongs to D only. */
	harness_assert(h, 0, "count(/iq/disco:query/data:x)", "0");
}

static void disco_features_are_unique(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='get' id='d3' from='a@example.org/x' "
			"to='bc.test'><query "
			"xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	harness_assert(h, 0,
		       "count(/iq/disco:query/disco:feature) = "
		       "count(/iq/disco:query/disco:feature[not(@var = "
		       "preceding-sibling::disco:feature/@var)])",
		       "true");
}

static void disco_unknown_node(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='get' id='n1' from='a@example.org/x' "
			"to='bc.test'><query node='nope' "
			"xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/iq/@type)", "error");
	harness_assert(h, 0, "count(/iq/error/st:item-not-found)", "1");
}

static void disco_items_lists_rooms_service(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='get' id='i1' from='a@example.org/x' "
			"to='bc.test'><query "
			"xmlns='http://jabber.org/protocol/disco#items'/></iq>");
	harness_assert(h, 0, "string(/iq/items:query/items:item/@jid)",
		       "rooms.bc.test");
}

static void ping_answers(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='get' id='p1' from='a@example.org/x' "
			"to='rooms.bc.test'><ping xmlns='urn:xmpp:ping'/></iq>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/iq/@type)", "result");
	harness_assert(h, 0, "count(/iq/*)", "0");
}

static void version_answers(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='get' id='v1' from='a@example.org/x' "
			"to='bc.test'><query xmlns='jabber:iq:version'/></iq>");
	harness_assert(h, 0, "string(/iq/ver:query/ver:name)", "Backchannel");
	harness_assert(h, 0, "string(/iq/ver:query/ver:version)",
		       PACKAGE_VERSION);
	harness_assert(h, 0, "count(/iq/ver:query/ver:os)", "0");
}

static void unknown_iq_is_service_unavailable(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='get' id='u1' from='a@example.org/x' "
			"to='bc.test'><query xmlns='urn:example:nothing'/></iq>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/iq/@type)", "error");
	harness_assert(h, 0, "string(/iq/@id)", "u1");
	harness_assert(h, 0, "string(/iq/error/@type)", "cancel");
	harness_assert(h, 0, "count(/iq/error/st:service-unavailable)", "1");
	harness_clear(h);
	/* A known payload with the wrong type is not handled either. */
	harness_feed(h, "<iq type='set' id='u2' from='a@example.org/x' "
			"to='bc.test'><ping xmlns='urn:xmpp:ping'/></iq>");
	harness_assert(h, 0, "count(/iq/error/st:service-unavailable)", "1");
}

static void iq_without_child_or_id_is_bad_request(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='get' id='b1' from='a@example.org/x' "
			"to='bc.test'/>");
	harness_feed(h, "<iq type='get' id='b2' from='a@example.org/x' "
			"to='bc.test'><ping xmlns='urn:xmpp:ping'/>"
			"<ping xmlns='urn:xmpp:ping'/></iq>");
	harness_feed(h, "<iq type='get' from='a@example.org/x' to='bc.test'>"
			"<ping xmlns='urn:xmpp:ping'/></iq>");
	harness_feed(h, "<iq type='bogus' id='b4' from='a@example.org/x' "
			"to='bc.test'><ping xmlns='urn:xmpp:ping'/></iq>");
	harness_assert_count(h, 4);
	harness_assert(h, 0, "count(/iq/error/st:bad-request)", "1");
	harness_assert(h, 1, "count(/iq/error/st:bad-request)", "1");
	harness_assert(h, 2, "count(/iq/error/st:bad-request)", "1");
	harness_assert(h, 3, "count(/iq/error/st:bad-request)", "1");
	harness_assert(h, 3, "string(/iq/@id)", "b4");
}

static void errors_and_results_are_never_answered(void **state)
{
	struct harness *h = *state;

	harness_feed(h, "<iq type='error' id='e1' from='a@example.org/x' "
			"to='bc.test'><ping xmlns='urn:xmpp:ping'/><error "
			"type='cancel'><service-unavailable xmlns='urn:ietf:"
			"params:xml:ns:xmpp-stanzas'/></error></iq>");
	harness_feed(h, "<iq type='result' id='e2' from='a@example.org/x' "
			"to='bc.test'/>");
	harness_feed(h, "<message type='error' from='a@example.org/x' "
			"to='bob@bc.test'><error type='cancel'/></message>");
	harness_assert_count(h, 0);
}

static void message_nobody_handles_bounces(void **state)
{
	struct harness *h = *state;

	/* Nothing handles messages to the rooms service itself yet. */
	harness_feed(h, "<message type='chat' id='m1' from='a@example.org/x' "
			"to='rooms.bc.test'><body>hi</body></message>");
	harness_feed(h, "<message type='groupchat' from='a@example.org/x' "
			"to='rooms.bc.test'><body>hi</body></message>");
	harness_feed(h, "<message type='headline' from='a@example.org/x' "
			"to='rooms.bc.test'><body>hi</body></message>");
	harness_feed(h, "<presence from='a@example.org/x' to='rooms.bc.test'/>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/message/@type)", "error");
	harness_assert(h, 0, "string(/message/@id)", "m1");
	harness_assert(h, 0, "count(/message/error/st:service-unavailable)",
		       "1");
}

static void malformed_addresses(void **state)
{
	struct harness *h = *state;

	/* A malformed 'to' gets jid-malformed. */
	harness_feed(h, "<iq type='get' id='j1' from='a@example.org/x' "
			"to='@bc.test'><ping xmlns='urn:xmpp:ping'/></iq>");
	harness_assert_count(h, 1);
	harness_assert(h, 0, "count(/iq/error/st:jid-malformed)", "1");
	harness_assert(h, 0, "string(/iq/@from)", "@bc.test");
	harness_clear(h);
	/* Without a usable 'from' there is nobody to answer. */
	harness_feed(h, "<iq type='get' id='j2' to='bc.test'>"
			"<ping xmlns='urn:xmpp:ping'/></iq>");
	harness_feed(h, "<iq type='get' id='j3' from='a@/x' to='bc.test'>"
			"<ping xmlns='urn:xmpp:ping'/></iq>");
	/* Not one of our domains: dropped. */
	harness_feed(h, "<iq type='get' id='j4' from='a@example.org/x' "
			"to='elsewhere.test'><ping xmlns='urn:xmpp:ping'/></iq>");
	harness_assert_count(h, 0);
}

static void error_table_maps_codes(void **state)
{
	struct harness *h = *state;
	xmpp_stanza_t *in, *out;
	char *text;
	size_t len;

	(void)h;
	assert_string_equal(router_error_condition(BC_EPOLICY_VIOLATION),
			    "policy-violation");
	assert_string_equal(router_error_condition(BC_ERESOURCE_CONSTRAINT),
			    "resource-constraint");
	assert_string_equal(router_error_condition(12345),
			    "internal-server-error");
	in = xmpp_stanza_new_from_string(
		h->xctx, "<message from='a@x.test/r' to='b@bc.test' id='q'/>");
	out = router_error_reply(h->bc, in, BC_EBLOCKED, "you blocked them");
	xmpp_stanza_to_text(out, &text, &len);
	assert_non_null(strstr(text, "<not-acceptable xmlns=\"urn:ietf:params:"
				     "xml:ns:xmpp-stanzas\"/>"));
	assert_non_null(strstr(text, "<blocked xmlns=\"urn:xmpp:blocking:"
				     "errors\"/>"));
	assert_non_null(strstr(text, "you blocked them"));
	xmpp_free(h->xctx, text);
	xmpp_stanza_release(out);
	xmpp_stanza_release(in);
}

static void outbox_keeps_stanzas_while_down(void **state)
{
	struct harness *h = *state;

	h->transport_down = true;
	harness_feed(h, "<iq type='get' id='o1' from='a@example.org/x' "
			"to='bc.test'><ping xmlns='urn:xmpp:ping'/></iq>");
	harness_assert_count(h, 0);
	h->transport_down = false;
	assert_int_equal(bc_flush(h->bc), 0);
	harness_assert_count(h, 1);
	harness_assert(h, 0, "string(/iq/@id)", "o1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(disco_info_on_service),
		T(disco_info_on_rooms),
		T(disco_features_are_unique),
		T(disco_unknown_node),
		T(disco_items_lists_rooms_service),
		T(ping_answers),
		T(version_answers),
		T(unknown_iq_is_service_unavailable),
		T(iq_without_child_or_id_is_bad_request),
		T(errors_and_results_are_never_answered),
		T(message_nobody_handles_bounces),
		T(malformed_addresses),
		T(error_table_maps_codes),
		T(outbox_keeps_stanzas_while_down),
#undef T
	};

	return cmocka_run_group_tests_name("router", tests, NULL, NULL);
}
