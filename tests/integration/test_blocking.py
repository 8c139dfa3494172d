"""Blocking and reports against a real server: XEP-0191 on D, a blocked
sender answered as if the handle did not exist, writing to someone you
blocked refused with the XEP-0191 error, a XEP-0377 report inside a block
reaching the moderator, and a report message sent to D's abuse address."""

import harness as h
from test_relay import addr, assert_private, ctl_ok, is_message_from, link, local

BLOCKING = "urn:xmpp:blocking"
REPORTING = "urn:xmpp:reporting:1"


def blocklist(client):
    reply = client.iq_get(h.SERVICE, "<blocklist xmlns='%s'/>" % BLOCKING)
    assert reply.get("type") == "result", h.xml_text(reply)
    return {i.get("jid") for i in reply.iter("{%s}item" % BLOCKING)}


def members(daemon, connect):
    ctl_ok(daemon, "identity", "add", "alice")
    ctl_ok(daemon, "identity", "add", "bob")
    alice, bob = connect("alice"), connect("bob")
    link(daemon, alice, "alice")
    link(daemon, bob, "bob")
    ctl_ok(daemon, "follow", "alice", "bob")
    ctl_ok(daemon, "follow", "bob", "alice")
    return alice, bob


def test_block_unblock(daemon, connect):
    alice, bob = members(daemon, connect)
    disco = "<query xmlns='http://jabber.org/protocol/disco#info'/>"
    feats = {f.get("var") for f in alice.iq_get(h.SERVICE, disco).iter(
        "{http://jabber.org/protocol/disco#info}feature")}
    assert BLOCKING in feats and REPORTING in feats
    assert blocklist(alice) == set()
    reply = alice.iq_set(h.SERVICE, "<block xmlns='%s'><item jid='%s'/>"
                         "</block>" % (BLOCKING, addr("bob")))
    assert reply.get("type") == "result", h.xml_text(reply)
    assert blocklist(alice) == {addr("bob")}

    # bob is answered exactly as for a handle that does not exist.
    mark = bob.mark()
    bob.send_raw("<message to='%s' type='chat' id='blk-1'><body>hi</body>"
                 "</message>" % addr("alice"))
    bob.send_raw("<message to='%s' type='chat' id='blk-2'><body>hi</body>"
                 "</message>" % addr("nobody"))
    e1 = bob.wait_for(lambda el: el.get("id") == "blk-1", since=mark,
                      what="refusal of a blocked sender")
    e2 = bob.wait_for(lambda el: el.get("id") == "blk-2", since=mark,
                      what="refusal for a handle that does not exist")
    assert h.error_condition(e1) == h.error_condition(e2) == \
        "service-unavailable"
    reply = bob.iq_get(addr("alice"), disco)
    assert h.error_condition(reply) == "service-unavailable"

    # alice writing to bob gets the XEP-0191 error.
    mark = alice.mark()
    alice.send_raw("<message to='%s' type='chat' id='blk-3'><body>x</body>"
                   "</message>" % addr("bob"))
    err = alice.wait_for(lambda el: el.get("id") == "blk-3", since=mark,
                         what="refusal to write to a blocked address")
    assert h.error_condition(err) == "not-acceptable"
    assert err.find(".//{urn:xmpp:blocking:errors}blocked") is not None

    reply = alice.iq_set(h.SERVICE, "<unblock xmlns='%s'/>" % BLOCKING)
    assert reply.get("type") == "result", h.xml_text(reply)
    assert blocklist(alice) == set()
    mark = alice.mark()
    bob.message(addr("alice"), "unblocked")
    alice.wait_for(is_message_from(addr("bob"), "unblocked"), since=mark,
                   what="bob's message after the unblock")
    assert_private(alice, "alice@" + h.HOST)
    assert_private(bob, "bob@" + h.HOST)


def test_report_in_block_reaches_moderator(daemon, connect):
    alice, bob = members(daemon, connect)
    mod = connect("mod")
    mark = alice.mark()
    bob.message(addr("alice"), "something nasty")
    alice.wait_for(is_message_from(addr("bob"), "something nasty"),
                   since=mark, what="bob's message")
    mark = mod.mark()
    reply = alice.iq_set(h.SERVICE, (
        "<block xmlns='%s'><item jid='%s'><report xmlns='%s' "
        "reason='urn:xmpp:reporting:abuse'><text>threats</text></report>"
        "</item></block>") % (BLOCKING, addr("bob"), REPORTING))
    assert reply.get("type") == "result", h.xml_text(reply)
    got = mod.wait_for(lambda el: local(el) == "message"
                       and el.find("{%s}report" % REPORTING) is not None,
                       since=mark, what="the report at the moderator")
    report = got.find("{%s}report" % REPORTING)
    assert report.get("reason") == "urn:xmpp:reporting:abuse"
    assert report.find("{urn:xmpp:jid:0}jid").text == addr("bob")
    assert report.find("{%s}text" % REPORTING).text == "threats"
    assert addr("bob") in blocklist(alice)
    rc, out, err = daemon.ctl("reports", "--open")
    assert rc == 0 and "bob" in out, out + err
    # The moderator sees addresses, never the accounts behind them.
    assert_private(mod, "mod@" + h.HOST)


def test_forwarded_report_to_abuse_address(daemon, connect):
    mod = connect("mod")
    carol = connect("carol", host=h.OUTSIDE)
    mark = mod.mark()
    carol.send_raw(
        "<message to='%s'><report xmlns='%s' reason='urn:xmpp:reporting:spam'>"
        "<jid xmlns='urn:xmpp:jid:0'>%s</jid><text>spam from your user</text>"
        "</report><forwarded xmlns='urn:xmpp:forward:0'><message "
        "xmlns='jabber:client' from='%s' to='carol@%s' type='chat'><body>buy"
        "</body></message></forwarded></message>"
        % (h.SERVICE, REPORTING, addr("bob"), addr("bob"), h.OUTSIDE))
    got = mod.wait_for(lambda el: local(el) == "message"
                       and el.find("{%s}report" % REPORTING) is not None,
                       since=mark, what="the forwarded report at the moderator")
    assert got.find("{%s}report/{urn:xmpp:jid:0}jid" % REPORTING).text == \
        addr("bob")
    rc, out, err = daemon.ctl("reports")
    assert rc == 0 and "carol@" + h.OUTSIDE in out, out + err


def test_report_origin_reaches_the_outside_domain(daemon, connect):
    """A report about an outside user, with the reporter's <report-origin/>
    opt-in, also goes to the abuse address their domain publishes."""
    ctl_ok(daemon, "identity", "add", "alice")
    alice = connect("alice")
    link(daemon, alice, "alice")
    abuse = connect("abuse", host=h.OUTSIDE)
    spammer = "erin@" + h.OUTSIDE
    mark = abuse.mark()
    reply = alice.iq_set(h.SERVICE, (
        "<block xmlns='%s'><item jid='%s'><report xmlns='%s' "
        "reason='urn:xmpp:reporting:spam'><text>junk</text><report-origin/>"
        "</report></item></block>") % (BLOCKING, spammer, REPORTING))
    assert reply.get("type") == "result", h.xml_text(reply)
    got = abuse.wait_for(lambda el: local(el) == "message"
                         and el.find("{%s}report" % REPORTING) is not None,
                         since=mark, timeout=10,
                         what="the report at the origin's abuse address")
    assert got.get("from") == h.SERVICE
    assert got.find("{%s}report/{urn:xmpp:jid:0}jid" % REPORTING).text == \
        spammer
    # The reporter's account is not named.
    assert "alice@" + h.HOST not in h.xml_text(got)
