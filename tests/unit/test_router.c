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
#include "xep/ns.h"

static int setup(void **state)
{
	*state = harness_new(NULL, true);
	return 0;
}

/* Stanza text: an IQ with its payload. */
#define IQ(type, id, from, to, payload)                                        \
	"<iq type='" type "' id='" id "' from='" from "' to='" to "'>"         \
	payload "</iq>"
#define PING "<ping xmlns='" NS_PING "'/>"
#define DISCO_INFO "<query xmlns='" NS_DISCO_INFO "'/>"
#define DISCO_ITEMS "<query xmlns='" NS_DISCO_ITEMS "'/>"

/* clang-format off: step tables keep their layout */

HARNESS_TEST(disco_info_on_service,
	{.send = IQ("get", "d1", "alice@example.org/pc", "bc.test", DISCO_INFO),
	 .sent = 1, .expect = {
		 "/iq[@type='result'][@id='d1']"
		 "[@to='alice@example.org/pc'][@from='bc.test']",
		 "/iq/disco:query"
		 "/disco:identity[@category='gateway'][@type='xmpp']",
		 "/iq/disco:query/disco:identity[@category='component']",
		 "/iq/disco:query/disco:feature[@var='" NS_DISCO_INFO "']",
		 "/iq/disco:query/disco:feature[@var='" NS_PING "']",
		 "/iq/disco:query/disco:feature[@var='" NS_VERSION "']",
		 /* XEP-0128 form with the XEP-0157 abuse address. */
		 "/iq/disco:query/data:x[@type='result']"
		 "/data:field[@var='FORM_TYPE']"
		 "/data:value[.='" NS_SERVERINFO "']",
		 "/iq/disco:query/data:x"
		 "/data:field[@var='abuse-addresses']"
		 "/data:value[.='xmpp:bc.test']",
	 }})

HARNESS_TEST(disco_info_on_rooms,
	{.send = IQ("get", "d2", "alice@example.org/pc", "rooms.bc.test",
		    DISCO_INFO),
	 .sent = 1, .expect = {
		 "/iq[@from='rooms.bc.test']/disco:query"
		 "/disco:identity[@category='conference'][@type='text']",
		 /* The abuse form belongs to D only. */
		 "not(/iq/disco:query/data:x)",
	 }})

HARNESS_TEST(disco_features_are_unique,
	{.send = IQ("get", "d3", "a@example.org/x", "bc.test", DISCO_INFO),
	 .sent = 1, .expect = {
		 "count(/iq/disco:query/disco:feature) = "
		 "count(/iq/disco:query/disco:feature[not(@var = "
		 "preceding-sibling::disco:feature/@var)])",
	 }})

HARNESS_TEST(disco_unknown_node,
	{.send = "<iq type='get' id='n1' from='a@example.org/x' "
		 "to='bc.test'><query node='nope' "
		 "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
	 .sent = 1, .expect = {"/iq[@type='error']/error/st:item-not-found"}})

HARNESS_TEST(disco_items_lists_rooms_service,
	{.send = IQ("get", "i1", "a@example.org/x", "bc.test", DISCO_ITEMS),
	 .sent = 1,
	 .expect = {"/iq/items:query/items:item[@jid='rooms.bc.test']"}})

HARNESS_TEST(ping_answers,
	{.send = IQ("get", "p1", "a@example.org/x", "rooms.bc.test", PING),
	 .sent = 1, .expect = {"/iq[@type='result'][not(*)]"}})

HARNESS_TEST(version_answers,
	{.send = "<iq type='get' id='v1' from='a@example.org/x' "
		 "to='bc.test'><query xmlns='jabber:iq:version'/></iq>",
	 .sent = 1, .expect = {
		 "/iq/ver:query/ver:name[.='Backchannel']",
		 "/iq/ver:query/ver:version[.='" PACKAGE_VERSION "']",
		 "not(/iq/ver:query/ver:os)",
	 }})

HARNESS_TEST(unknown_iq_is_service_unavailable,
	{.send = "<iq type='get' id='u1' from='a@example.org/x' "
		 "to='bc.test'><query xmlns='urn:example:nothing'/></iq>",
	 .sent = 1, .expect = {
		 "/iq[@type='error'][@id='u1']"
		 "/error[@type='cancel']/st:service-unavailable",
	 }},
	/* A known payload with the wrong type is not handled either. */
	{.send = IQ("set", "u2", "a@example.org/x", "bc.test", PING),
	 .sent = 1, .expect = {"/iq/error/st:service-unavailable"}})

HARNESS_TEST(iq_without_child_or_id_is_bad_request,
	{.send = "<iq type='get' id='b1' from='a@example.org/x' "
		 "to='bc.test'/>",
	 .sent = 1, .expect = {"/iq/error/st:bad-request"}},
	{.send = "<iq type='get' id='b2' from='a@example.org/x' "
		 "to='bc.test'><ping xmlns='urn:xmpp:ping'/>"
		 "<ping xmlns='urn:xmpp:ping'/></iq>",
	 .sent = 1, .expect = {"/iq/error/st:bad-request"}},
	{.send = "<iq type='get' from='a@example.org/x' to='bc.test'>"
		 "<ping xmlns='urn:xmpp:ping'/></iq>",
	 .sent = 1, .expect = {"/iq/error/st:bad-request"}},
	{.send = IQ("bogus", "b4", "a@example.org/x", "bc.test", PING),
	 .sent = 1, .expect = {"/iq[@id='b4']/error/st:bad-request"}})

HARNESS_TEST(errors_and_results_are_never_answered,
	{.send = "<iq type='error' id='e1' from='a@example.org/x' "
		 "to='bc.test'><ping xmlns='urn:xmpp:ping'/><error "
		 "type='cancel'><service-unavailable xmlns='urn:ietf:"
		 "params:xml:ns:xmpp-stanzas'/></error></iq>",
	 .sent = HARNESS_NONE},
	{.send = "<iq type='result' id='e2' from='a@example.org/x' "
		 "to='bc.test'/>",
	 .sent = HARNESS_NONE},
	{.send = "<message type='error' from='a@example.org/x' "
		 "to='bob@bc.test'><error type='cancel'/></message>",
	 .sent = HARNESS_NONE})

/* Nothing handles messages to the rooms service itself yet. */
HARNESS_TEST(message_nobody_handles_bounces,
	{.send = "<message type='chat' id='m1' from='a@example.org/x' "
		 "to='rooms.bc.test'><body>hi</body></message>",
	 .sent = 1, .expect = {
		 "/message[@type='error'][@id='m1']"
		 "/error/st:service-unavailable",
	 }},
	{.send = "<message type='groupchat' from='a@example.org/x' "
		 "to='rooms.bc.test'><body>hi</body></message>",
	 .sent = HARNESS_NONE},
	{.send = "<message type='headline' from='a@example.org/x' "
		 "to='rooms.bc.test'><body>hi</body></message>",
	 .sent = HARNESS_NONE},
	{.send = "<presence from='a@example.org/x' to='rooms.bc.test'/>",
	 .sent = HARNESS_NONE})

HARNESS_TEST(malformed_addresses,
	/* A malformed 'to' gets jid-malformed, from D: the 'to' is no JID
	 * to answer from. */
	{.send = IQ("get", "j1", "a@example.org/x", "@bc.test", PING),
	 .sent = 1, .expect = {"/iq[@from='bc.test']/error/st:jid-malformed"}},
	{.send = IQ("get", "j3", "a@example.org/x", ".", PING),
	 .sent = 1, .expect = {"/iq[@from='bc.test']/error/st:jid-malformed"}},
	/* An element with 65 attributes is malformed, not large. */
	{.send = "<iq type='get' id='j4' from='a@example.org/x' to='bc.test'>"
		 "<ping xmlns='urn:xmpp:ping' a1='' a2='' a3='' a4='' a5='' "
		 "a6='' a7='' a8='' a9='' a10='' a11='' a12='' a13='' a14='' "
		 "a15='' a16='' a17='' a18='' a19='' a20='' a21='' a22='' "
		 "a23='' a24='' a25='' a26='' a27='' a28='' a29='' a30='' "
		 "a31='' a32='' a33='' a34='' a35='' a36='' a37='' a38='' "
		 "a39='' a40='' a41='' a42='' a43='' a44='' a45='' a46='' "
		 "a47='' a48='' a49='' a50='' a51='' a52='' a53='' a54='' "
		 "a55='' a56='' a57='' a58='' a59='' a60='' a61='' a62='' "
		 "a63='' a64=''/></iq>",
	 .sent = 1,
	 .expect = {"/iq[@id='j4']/error/st:bad-request",
		    "contains(/iq/error/st:text, '64 attributes')"}},
	/* Without a usable 'from' there is nobody to answer. */
	{.send = "<iq type='get' id='j2' to='bc.test'>"
		 "<ping xmlns='urn:xmpp:ping'/></iq>",
	 .sent = HARNESS_NONE},
	{.send = IQ("get", "j3", "a@/x", "bc.test", PING),
	 .sent = HARNESS_NONE},
	/* Not one of our domains: dropped. */
	{.send = IQ("get", "j4", "a@example.org/x", "elsewhere.test", PING),
	 .sent = HARNESS_NONE},
	/* From D or M themselves: nothing is answered there, as it could
	 * come back to this very daemon. */
	{.send = "<message type='chat' id='m1' "
		 "from='room@rooms.bc.test/bob'><body>psst</body></message>",
	 .sent = HARNESS_NONE},
	{.send = IQ("get", "j5", "bc.test", "@bc.test", PING),
	 .sent = HARNESS_NONE},
	{.send = IQ("bogus", "j6", "rooms.bc.test", "bc.test", PING),
	 .sent = HARNESS_NONE})

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
	static const struct harness_step down[] = {
		{.send = IQ("get", "o1", "a@example.org/x", "bc.test", PING),
		 .sent = HARNESS_NONE},
	};
	/* Checks what the flush below sent. */
	static const struct harness_step up[] = {
		{.sent = 1, .expect = {"/iq[@id='o1']"}},
	};
	struct harness *h = *state;

	h->transport_down = true;
	harness_run(h, down);
	h->transport_down = false;
	assert_int_equal(bc_flush(h->bc), 0);
	harness_run(h, up);
}

/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
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
