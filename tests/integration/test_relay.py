"""One-to-one messaging through identities: linking by registration with a
token, relaying both ways with every payload intact, outside users, errors
mapped back, unknown handles, the rate limit and unlinking.  Every stanza
each client receives is scanned for the other users' real JIDs."""

import secrets
import time

import pytest

import harness as h
from conftest import PASSWORD

REGISTER = "jabber:iq:register"
ALICE = "alice@" + h.HOST
BOB = "bob@" + h.HOST
CAROL = "carol@" + h.OUTSIDE
CAROL_ESCAPED = "carol\\40%s@%s" % (h.OUTSIDE, h.SERVICE)
REAL_JIDS = [ALICE, BOB, CAROL, "dave@" + h.HOST]


def addr(handle):
    return "%s@%s" % (handle, h.SERVICE)


def assert_private(client, own):
    """No stanza client received names another user's real JID."""
    others = [j for j in REAL_JIDS if j != own]
    for text in client.stanzas():
        for jid in others:
            assert jid not in text, "%s received %s in:\n%s" % (own, jid, text)


def ctl_ok(daemon, *args):
    rc, out, err = daemon.ctl(*args)
    assert rc == 0, "backchannelctl %s: %s%s" % (" ".join(args), out, err)
    return out


def link(daemon, client, handle):
    """Links client's account to handle the way a user does: a token from
    the platform, then in-band registration with D."""
    token = ctl_ok(daemon, "token", handle).strip()
    assert token and "\n" not in token
    reply = client.iq_set(h.SERVICE, (
        "<query xmlns='%s'><username>%s</username><password>%s</password>"
        "</query>") % (REGISTER, handle, token))
    assert reply.get("type") == "result", h.xml_text(reply)
    return token


def same_xml(a, b):
    """Elements equal in name, attributes, text and children."""
    return (a.tag == b.tag and a.attrib == b.attrib
            and (a.text or "").strip() == (b.text or "").strip()
            and len(a) == len(b)
            and all(same_xml(x, y) for x, y in zip(a, b)))


def local(el):
    return el.tag.rsplit("}", 1)[-1]


def is_message_from(sender, body=None):
    def pred(el):
        if local(el) != "message" or el.get("from", "").split("/")[0] != sender:
            return False
        if el.get("type") == "error":
            return False
        if body is None:
            return True
        b = el.find("{jabber:client}body")
        return b is not None and b.text == body
    return pred


@pytest.fixture
def members(daemon, connect):
    """alice and bob, both linked by registration."""
    ctl_ok(daemon, "identity", "add", "alice", "--name", "Alice")
    ctl_ok(daemon, "identity", "add", "bob", "--name", "Bob")
    alice = connect("alice")
    bob = connect("bob")
    link(daemon, alice, "alice")
    link(daemon, bob, "bob")
    # They know each other (message requests have their own tests).
    ctl_ok(daemon, "follow", "alice", "bob")
    ctl_ok(daemon, "follow", "bob", "alice")
    return alice, bob


def test_registration_form_and_bad_tokens(daemon, connect):
    ctl_ok(daemon, "identity", "add", "alice")
    alice = connect("alice")
    form = alice.iq_get(h.SERVICE, "<query xmlns='%s'/>" % REGISTER)
    assert form.get("type") == "result", h.xml_text(form)
    query = form.find("{%s}query" % REGISTER)
    assert query.find("{%s}username" % REGISTER) is not None
    assert query.find("{%s}password" % REGISTER) is not None
    assert query.find("{%s}registered" % REGISTER) is None

    bad = alice.iq_set(h.SERVICE, (
        "<query xmlns='%s'><username>alice</username><password>wrong"
        "</password></query>") % REGISTER)
    assert h.error_condition(bad) == "not-authorized", h.xml_text(bad)

    token = link(daemon, alice, "alice")
    # The token is one-time.
    again = connect("dave").iq_set(h.SERVICE, (
        "<query xmlns='%s'><username>alice</username><password>%s"
        "</password></query>") % (REGISTER, token))
    assert h.error_condition(again) == "not-authorized", h.xml_text(again)

    form = alice.iq_get(h.SERVICE, "<query xmlns='%s'/>" % REGISTER)
    query = form.find("{%s}query" % REGISTER)
    assert query.find("{%s}registered" % REGISTER) is not None
    assert query.find("{%s}username" % REGISTER).text == "alice"
    # D asked the new account for its presence.
    alice.wait_for(lambda el: local(el) == "presence"
                   and el.get("from") == h.SERVICE
                   and el.get("type") == "subscribe",
                   what="subscription request from D")


def test_chat_both_ways(members):
    alice, bob = members
    mark_b = bob.mark()
    alice.message(addr("bob"), "hello bob")
    got = bob.wait_for(is_message_from(addr("alice"), "hello bob"),
                       since=mark_b, what="alice's message")
    assert got.get("type") == "chat"
    mark_a = alice.mark()
    bob.message(addr("alice"), "hello alice")
    alice.wait_for(is_message_from(addr("bob"), "hello alice"),
                   since=mark_a, what="bob's reply")
    assert_private(alice, ALICE)
    assert_private(bob, BOB)


PAYLOADS = [
    ("oob", "<x xmlns='jabber:x:oob'><url>https://example.org/a.png</url></x>"),
    ("receipt-request", "<request xmlns='urn:xmpp:receipts'/>"),
    ("marker", "<markable xmlns='urn:xmpp:chat-markers:0'/>"),
    ("chat-state", "<composing xmlns='http://jabber.org/protocol/chatstates'/>"),
    ("correction", "<replace xmlns='urn:xmpp:message-correct:0' id='old-1'/>"),
    ("reaction", "<reactions xmlns='urn:xmpp:reactions:0' id='m-7'>"
                 "<reaction>\U0001F44D</reaction></reactions>"),
    ("reply", "<reply xmlns='urn:xmpp:reply:0' to='%s' id='m-3'/>" % addr("bob")),
    ("origin-id", "<origin-id xmlns='urn:xmpp:sid:0' id='orig-42'/>"),
    ("omemo", "<encrypted xmlns='eu.siacs.conversations.axolotl'><header sid='7'>"
              "<key rid='9'>a2V5</key><iv>aXY=</iv></header><payload>cGF5</payload>"
              "</encrypted>"),
    ("xhtml", "<html xmlns='http://jabber.org/protocol/xhtml-im'><body "
              "xmlns='http://www.w3.org/1999/xhtml'><p>rich</p></body></html>"),
]


def test_payloads_pass_through(members):
    alice, bob = members
    for name, payload in PAYLOADS:
        mark = bob.mark()
        body = "payload " + name
        alice.send_raw("<message to='%s' type='chat' id='id-%s'><body>%s</body>"
                       "<thread>th-1</thread>%s</message>"
                       % (addr("bob"), name, body, payload))
        got = bob.wait_for(is_message_from(addr("alice"), body), since=mark,
                           what="message with " + name)
        assert got.get("id") == "id-" + name
        assert got.get("type") == "chat"
        assert got.find("{jabber:client}thread").text == "th-1"
        want = h.ET.fromstring(payload)
        found = got.find(want.tag)
        assert found is not None, "%s lost: %s" % (name, h.xml_text(got))
        assert same_xml(found, want), "%s changed: %s" % (name, h.xml_text(got))
    # A receipt goes back the same way, untouched.
    mark = alice.mark()
    bob.send_raw("<message to='%s'><received xmlns='urn:xmpp:receipts' "
                 "id='id-receipt-request'/></message>" % addr("alice"))
    got = alice.wait_for(lambda el: local(el) == "message"
                         and el.find("{urn:xmpp:receipts}received") is not None,
                         since=mark, what="receipt")
    assert got.get("from") == addr("bob")
    assert_private(alice, ALICE)
    assert_private(bob, BOB)


def test_outside_user(members, connect):
    alice, _ = members
    carol = connect("carol", host=h.OUTSIDE)
    # alice writes first, so carol's answer is from someone she knows.
    mark = carol.mark()
    alice.message(CAROL_ESCAPED, "hi carol")
    carol.wait_for(is_message_from(addr("alice"), "hi carol"), since=mark,
                   what="alice's message to carol")
    mark = alice.mark()
    carol.message(addr("alice"), "hi from outside")
    alice.wait_for(is_message_from(CAROL_ESCAPED, "hi from outside"),
                   since=mark, what="carol's answer")
    assert_private(carol, CAROL)
    assert_private(alice, ALICE)
    # Outside users cannot use the service to reach each other.
    erin_escaped = "erin\\40%s@%s" % (h.OUTSIDE, h.SERVICE)
    mark = carol.mark()
    carol.send_raw("<message to='%s' type='chat' id='relay-1'><body>x</body>"
                   "</message>" % erin_escaped)
    err = carol.wait_for(lambda el: el.get("id") == "relay-1"
                         and el.get("type") == "error", since=mark,
                         what="error for relaying between outsiders")
    assert h.error_condition(err) == "service-unavailable"


def test_retraction_refused_by_default(members):
    alice, bob = members
    mark = bob.mark()
    alice.send_raw("<message to='%s' type='chat' id='keep-1'><body>kept</body>"
                   "</message>" % addr("bob"))
    bob.wait_for(is_message_from(addr("alice"), "kept"), since=mark,
                 what="the message to retract")
    mark, mark_b = alice.mark(), bob.mark()
    alice.send_raw("<message to='%s' type='chat' id='ret-1'><retract "
                   "xmlns='urn:xmpp:message-retract:1' id='keep-1'/><body>"
                   "retracted</body></message>" % addr("bob"))
    err = alice.wait_for(lambda el: el.get("id") == "ret-1", since=mark,
                         what="refusal of the retraction")
    assert h.error_condition(err) == "not-allowed"
    bob.iq_get(h.SERVICE, "<ping xmlns='urn:xmpp:ping'/>")
    for el in bob.received[mark_b:]:
        assert el.find("{urn:xmpp:message-retract:1}retract") is None


def test_unknown_handle(members):
    alice, _ = members
    mark = alice.mark()
    alice.send_raw("<message to='%s' type='chat' id='nobody-1'><body>hi</body>"
                   "</message>" % addr("nobody"))
    err = alice.wait_for(lambda el: el.get("id") == "nobody-1", since=mark,
                         what="error for an unknown handle")
    assert err.get("type") == "error"
    assert err.get("from") == addr("nobody")
    assert h.error_condition(err) == "service-unavailable"


def test_remote_error_maps_back(daemon, members):
    alice, _ = members
    # ghost's linked account does not exist on the server, which bounces.
    ctl_ok(daemon, "identity", "add", "ghost")
    ctl_ok(daemon, "link", "ghost", "ghost@" + h.HOST)
    ctl_ok(daemon, "follow", "ghost", "alice")
    mark = alice.mark()
    alice.send_raw("<message to='%s' type='chat' id='ghost-1'><body>boo</body>"
                   "</message>" % addr("ghost"))
    err = alice.wait_for(lambda el: el.get("id") == "ghost-1"
                         and el.get("type") == "error", since=mark,
                         what="bounce from ghost's server")
    assert err.get("from") == addr("ghost"), h.xml_text(err)
    assert h.error_condition(err) is not None
    for text in alice.stanzas(mark):
        assert "ghost@" + h.HOST not in text, text
    assert_private(alice, ALICE)


def test_unlink(members):
    alice, bob = members
    reply = alice.iq_set(h.SERVICE, "<query xmlns='%s'><remove/></query>"
                         % REGISTER)
    assert reply.get("type") == "result", h.xml_text(reply)
    # alice's account is now an outside user whom bob does not know: her
    # message to bob becomes a request from her escaped address, and
    # bob's to alice@D find nobody.
    roster = bob.iq("<iq type='get'><query xmlns='jabber:iq:roster'/></iq>")
    assert roster.get("type") == "result"
    mark = bob.mark()
    alice.message(addr("bob"), "after unlink")
    escaped = "alice\\40%s@%s" % (h.HOST, h.SERVICE)
    req = bob.wait_for(lambda el: local(el) == "presence"
                       and el.get("type") == "subscribe"
                       and el.get("from") == escaped, since=mark,
                       what="request from alice's escaped address")
    assert req.find("{jabber:client}status").text == "after unlink"
    # bob declines: the request (and its pending subscription on his
    # server) goes away.
    bob.send_raw("<presence to='%s' type='unsubscribed'/>" % escaped)
    mark = bob.mark()
    bob.send_raw("<message to='%s' type='chat' id='gone-1'><body>x</body>"
                 "</message>" % addr("alice"))
    err = bob.wait_for(lambda el: el.get("id") == "gone-1", since=mark,
                       what="error for an identity with no account")
    assert h.error_condition(err) == "service-unavailable"
    again = alice.iq_set(h.SERVICE, "<query xmlns='%s'><remove/></query>"
                         % REGISTER)
    assert h.error_condition(again) == "registration-required"


def fresh_account(server, prefix):
    """A new account on the members' host: the server keeps rosters across
    the tests of a run, and presence depends on roster state."""
    name = "%s-%s" % (prefix, secrets.token_hex(3))
    server.register(name, h.HOST, PASSWORD)
    return name


def test_identity_presence(server, daemon, connect):
    a_user = fresh_account(server, "pa")
    b_user = fresh_account(server, "pb")
    ctl_ok(daemon, "identity", "add", "pal")
    ctl_ok(daemon, "identity", "add", "pbl")
    ctl_ok(daemon, "follow", "pal", "pbl")
    alice = connect(a_user)
    bob = connect(b_user)
    for c in (alice, bob):
        roster = c.iq("<iq type='get'><query xmlns='jabber:iq:roster'/></iq>")
        assert roster.get("type") == "result", h.xml_text(roster)
    mark = alice.mark()
    link(daemon, alice, "pal")
    link(daemon, bob, "pbl")
    # D asks alice's account for its presence; she agrees, as she would
    # with a transport.
    alice.wait_for(lambda el: local(el) == "presence"
                   and el.get("from") == h.SERVICE
                   and el.get("type") == "subscribe", since=mark,
                   what="D's subscription request")
    alice.send_raw("<presence to='%s' type='subscribed'/>" % h.SERVICE)
    mark = bob.mark()
    bob.send_raw("<presence to='%s' type='subscribe'/>" % addr("pal"))
    bob.wait_for(lambda el: local(el) == "presence"
                 and el.get("from") == addr("pal")
                 and el.get("type") == "subscribed", since=mark,
                 what="subscription approved by pal@D")
    bob.wait_for(lambda el: local(el) == "presence"
                 and el.get("from", "").split("/")[0] == addr("pal")
                 and el.get("type") is None, since=mark, timeout=10,
                 what="pal@D available")
    mark = bob.mark()
    alice.disconnect()
    bob.wait_for(lambda el: local(el) == "presence"
                 and el.get("from", "").split("/")[0] == addr("pal")
                 and el.get("type") == "unavailable", since=mark, timeout=10,
                 what="pal@D unavailable once her account leaves")
    for text in bob.stanzas():
        assert "%s@%s" % (a_user, h.HOST) not in text, text


def test_rate_limit(server, connect):
    d = h.Daemon(server, extra_xml="<limits rate='6' burst='3'/>")
    try:
        d.start()
        d.wait_ready(connect("probe", resource="ready"))
        ctl_ok(d, "identity", "add", "alice")
        ctl_ok(d, "identity", "add", "bob")
        alice = connect("alice")
        bob = connect("bob")
        link(d, alice, "alice")
        link(d, bob, "bob")
        ctl_ok(d, "follow", "bob", "alice")
        mark = alice.mark()
        for i in range(5):
            alice.send_raw("<message to='%s' type='chat' id='rl-%d'><body>%d"
                           "</body></message>" % (addr("bob"), i, i))
        err = alice.wait_for(lambda el: el.get("type") == "error"
                             and el.get("id", "").startswith("rl-"),
                             since=mark, what="rate limit error")
        assert h.error_condition(err) == "resource-constraint"
        # The first three arrived.
        for i in range(3):
            bob.wait_for(is_message_from(addr("alice"), str(i)),
                         what="message %d under the limit" % i)
    finally:
        d.close()
