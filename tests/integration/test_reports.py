"""Reports that name messages, against a real server: every relayed message
carries the service's own XEP-0359 stanza id; a XEP-0377 report naming one
reaches the moderator with that message forwarded (XEP-0297, with a
XEP-0203 stamp); a report naming none carries the recent messages; a report
on a room message (named by the room's id) reaches the room's owners as
well, with that room's messages only; a report another server forwards
about a member's account names the member's address.  Every stanza the moderator, the reporter and the others receive is
scanned for real JIDs."""

import harness as h
from test_blocking import BLOCKING, REPORTING, members
from test_muc import (create_room, fresh_room, grant, join, say_and_wait,
                      stanza_ids)
from test_relay import addr, assert_private, ctl_ok, is_message_from, link, local

SID = "urn:xmpp:sid:0"
FORWARD = "urn:xmpp:forward:0"
DELAY = "urn:xmpp:delay"
CLIENT = "jabber:client"


def our_id(el, by):
    """The one stanza id by 'by' in a received message."""
    ids = stanza_ids(el, by)
    assert len(ids) == 1, h.xml_text(el)
    return ids[0]


def report(client, who, refs=(), text=None):
    """A block of who with a spam report naming refs ((by, id) pairs)."""
    inner = "".join("<stanza-id xmlns='%s' by='%s' id='%s'/>" % (SID, by, i)
                    for by, i in refs)
    if text:
        inner += "<text>%s</text>" % text
    reply = client.iq_set(h.SERVICE, (
        "<block xmlns='%s'><item jid='%s'><report xmlns='%s' "
        "reason='urn:xmpp:reporting:spam'>%s</report></item></block>")
        % (BLOCKING, who, REPORTING, inner))
    assert reply.get("type") == "result", h.xml_text(reply)
    assert len(reply) == 0, h.xml_text(reply)


def is_report(el):
    return local(el) == "message" and \
        el.find("{%s}report" % REPORTING) is not None


def forwarded(el):
    """(from, to, body, stanza ids, stamp) of each forwarded message."""
    out = []
    for f in el.findall("{%s}forwarded" % FORWARD):
        m = f.find("{%s}message" % CLIENT)
        d = f.find("{%s}delay" % DELAY)
        assert m is not None and d is not None and d.get("stamp"), \
            h.xml_text(el)
        b = m.find("{%s}body" % CLIENT)
        out.append((m.get("from"), m.get("to"), b.text if b is not None
                    else None, [s.get("id") for s in
                                m.findall("{%s}stanza-id" % SID)]))
    return out


def conversation(alice, bob):
    """bob writes alice twice; the copies alice got."""
    got = []
    for body in ("first from bob", "second from bob"):
        mark = alice.mark()
        bob.message(addr("alice"), body)
        got.append(alice.wait_for(is_message_from(addr("bob"), body),
                                  since=mark, what="bob's '%s'" % body))
    return got


def test_reference_reaches_moderator(daemon, connect):
    alice, bob = members(daemon, connect)
    mod = connect("mod")
    first, second = conversation(alice, bob)
    sid = our_id(second, addr("bob"))
    assert sid != our_id(first, addr("bob"))
    mark = mod.mark()
    report(alice, addr("bob"), [(addr("bob"), sid),
                                (addr("bob"), "not-one-of-ours")])
    got = mod.wait_for(is_report, since=mark, what="the report")
    assert forwarded(got) == [(addr("bob"), addr("alice"), "second from bob",
                               [sid])]
    assert addr("bob") in got.find("{%s}body" % CLIENT).text
    rc, out, err = daemon.ctl("reports", "--open")
    assert rc == 0 and "bob" in out, out + err
    assert_private(mod, "mod@" + h.HOST)
    assert_private(alice, "alice@" + h.HOST)
    assert_private(bob, "bob@" + h.HOST)


def test_report_without_references_carries_recent_messages(daemon, connect):
    alice, bob = members(daemon, connect)
    mod = connect("mod")
    conversation(alice, bob)
    mark = mod.mark()
    report(alice, addr("bob"), text="junk")
    got = mod.wait_for(is_report, since=mark, what="the report")
    assert [f[2] for f in forwarded(got)] == ["first from bob",
                                              "second from bob"]
    assert all(f[0] == addr("bob") and f[1] == addr("alice")
               for f in forwarded(got))
    assert_private(mod, "mod@" + h.HOST)
    assert_private(alice, "alice@" + h.HOST)


def test_room_message_report_reaches_room_owner(daemon, connect):
    """dave reports what bob said in alice's room: the moderator and alice,
    the room's owner, get it with the message; nobody sees dave's JID."""
    alice, bob = members(daemon, connect)
    ctl_ok(daemon, "identity", "add", "dave")
    dave = connect("dave")
    link(daemon, dave, "dave")
    mod = connect("mod")
    room = fresh_room("rep")
    create_room(alice, room, "alice")
    grant(alice, room, addr("bob"))
    grant(alice, room, addr("dave"))
    join(bob, room, "bob")
    join(dave, room, "dave")
    # The room's stanza id: the same on every copy, the sender's too.
    sid = our_id(say_and_wait(bob, room, "rude words", "bob", dave), room)
    marks = (mod.mark(), alice.mark())
    report(dave, addr("bob"), [(room, sid)])
    for client, mark, who in zip((mod, alice), marks, ("mod", "alice")):
        got = client.wait_for(is_report, since=mark,
                              what="the room report at " + who)
        fw = forwarded(got)
        assert len(fw) == 1 and fw[0][2] == "rude words" and \
            fw[0][3] == [sid], h.xml_text(got)
        assert fw[0][0] == room + "/bob"
        assert addr("dave") in got.find("{%s}body" % CLIENT).text
    # The same, sent to the room itself (docs/PROTOCOL.md): the sender of
    # the message named is the one reported.
    mark = mod.mark()
    reply = dave.iq_set(room, (
        "<report xmlns='%s' reason='urn:xmpp:reporting:abuse'>"
        "<stanza-id xmlns='%s' by='%s' id='%s'/><text>again</text></report>")
        % (REPORTING, SID, room, sid))
    assert reply.get("type") == "result" and len(reply) == 0, \
        h.xml_text(reply)
    got = mod.wait_for(is_report, since=mark, what="the report via the room")
    assert got.find("{%s}report/{urn:xmpp:jid:0}jid" % REPORTING).text == \
        addr("bob")
    assert [f[2] for f in forwarded(got)] == ["rude words"]
    for client, own in ((mod, "mod"), (alice, "alice"), (bob, "bob"),
                        (dave, "dave")):
        assert_private(client, own + "@" + h.HOST)


def test_outside_sender_report_and_origin(daemon, connect):
    """erin, an outside user, writes to alice (a message request); alice
    reports her with the origin opt-in: the moderator gets the held message
    under erin's address, erin's domain gets the report, and neither sees
    alice's real JID."""
    from test_requests import subscribe_from
    ctl_ok(daemon, "identity", "add", "alice")
    alice = connect("alice")
    link(daemon, alice, "alice")
    mod = connect("mod")
    abuse = connect("abuse", host=h.OUTSIDE)
    erin = connect("erin", host=h.OUTSIDE)
    erin_addr = "erin\\40%s@%s" % (h.OUTSIDE, h.SERVICE)
    mark = alice.mark()
    erin.message(addr("alice"), "cheap pills")
    alice.wait_for(subscribe_from(erin_addr), since=mark, what="the request")
    marks = (mod.mark(), abuse.mark())
    reply = alice.iq_set(h.SERVICE, (
        "<block xmlns='%s'><item jid='erin@%s'><report xmlns='%s' "
        "reason='urn:xmpp:reporting:spam'><report-origin/></report></item>"
        "</block>") % (BLOCKING, h.OUTSIDE, REPORTING))
    assert reply.get("type") == "result", h.xml_text(reply)
    got = mod.wait_for(is_report, since=marks[0], what="the report")
    fw = forwarded(got)
    assert len(fw) == 1 and fw[0][:3] == (erin_addr, addr("alice"),
                                          "cheap pills"), h.xml_text(got)
    origin = abuse.wait_for(is_report, since=marks[1], timeout=10,
                            what="the report at erin's domain")
    assert origin.find("{%s}report/{urn:xmpp:jid:0}jid" % REPORTING).text \
        == "erin@" + h.OUTSIDE
    for client in (mod, abuse, erin):
        for text in client.stanzas():
            assert "alice@" + h.HOST not in text, text
    assert_private(mod, "mod@" + h.HOST)


def test_forwarded_report_loses_real_jids(daemon, connect):
    """Another server forwards D a report whose message names alice's real
    account: the moderator gets it under alice's address only."""
    alice, _ = members(daemon, connect)
    mod = connect("mod")
    carol = connect("carol", host=h.OUTSIDE)
    mark = mod.mark()
    carol.send_raw(
        "<message to='%s'><report xmlns='%s' reason='urn:xmpp:reporting:spam'>"
        "<jid xmlns='urn:xmpp:jid:0'>%s</jid></report><forwarded "
        "xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='%s' "
        "to='alice@%s/pc' type='chat'><body>buy</body></message></forwarded>"
        "</message>" % (h.SERVICE, REPORTING, addr("bob"), addr("bob"),
                        h.HOST))
    got = mod.wait_for(is_report, since=mark, what="the forwarded report")
    assert forwarded(got) == [(addr("bob"), addr("alice"), "buy", [])]
    # The forwarding party is named as it came (it is not a member); no
    # member's account is.
    for text in mod.stanzas():
        for member in ("alice", "bob", "dave"):
            assert "%s@%s" % (member, h.HOST) not in text, text


def test_room_owner_gets_only_the_room_evidence(daemon, connect):
    """alice reports bob naming what he said in dave's room and what he
    wrote her privately: the moderator gets both, dave (the room's owner)
    only the room message, never their private conversation."""
    alice, bob = members(daemon, connect)
    ctl_ok(daemon, "identity", "add", "dave")
    dave = connect("dave")
    link(daemon, dave, "dave")
    mod = connect("mod")
    room = fresh_room("own")
    create_room(dave, room, "dave")
    grant(dave, room, addr("alice"))
    grant(dave, room, addr("bob"))
    join(alice, room, "alice")
    join(bob, room, "bob")
    rsid = our_id(say_and_wait(bob, room, "rude in the room", "bob", alice),
                  room)
    mark = alice.mark()
    bob.message(addr("alice"), "private insult")
    psid = our_id(alice.wait_for(is_message_from(addr("bob"),
                                                 "private insult"),
                                 since=mark, what="bob's private message"),
                  addr("bob"))
    marks = (mod.mark(), dave.mark())
    report(alice, addr("bob"), [(addr("bob"), psid), (room, rsid)])
    got = mod.wait_for(is_report, since=marks[0], what="the report")
    assert sorted(f[2] for f in forwarded(got)) == ["private insult",
                                                     "rude in the room"]
    got = dave.wait_for(is_report, since=marks[1],
                        what="the report at the room's owner")
    fw = forwarded(got)
    assert [f[2] for f in fw] == ["rude in the room"], h.xml_text(got)
    assert fw[0][0] == room + "/bob"
    for text in dave.stanzas():
        assert "private insult" not in text, text
    for client, own in ((mod, "mod"), (alice, "alice"), (bob, "bob"),
                        (dave, "dave")):
        assert_private(client, own + "@" + h.HOST)


def test_forwarded_report_about_a_member(daemon, connect):
    """Another server reports bob's real account: the report names bob's
    address, to the moderator and in the store, never his real JID."""
    members(daemon, connect)
    mod = connect("mod")
    carol = connect("carol", host=h.OUTSIDE)
    mark = mod.mark()
    carol.send_raw(
        "<message to='%s'><report xmlns='%s' reason='urn:xmpp:reporting:abuse'>"
        "<jid xmlns='urn:xmpp:jid:0'>bob@%s</jid><text>from afar</text>"
        "</report></message>" % (h.SERVICE, REPORTING, h.HOST))
    got = mod.wait_for(is_report, since=mark, what="the forwarded report")
    assert got.find("{%s}report/{urn:xmpp:jid:0}jid" % REPORTING).text == \
        addr("bob"), h.xml_text(got)
    assert addr("bob") in got.find("{%s}body" % CLIENT).text
    for text in mod.stanzas():
        assert "bob@" + h.HOST not in text, text
    rc, out, err = daemon.ctl("reports", "--open")
    assert rc == 0 and addr("bob") in out, out + err
    assert "bob@" + h.HOST not in out, out
