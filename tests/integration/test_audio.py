"""Audio-room chats on M, black-box against a real server: the platform
opens one with backchannelctl (hosts and speakers on the stage), hosts,
speakers and listeners join (listeners see the stage and not each other,
and nobody is told of a listener), a listener writes, the stage changes
while the room is live (backchannelctl and the admin ad-hoc command; the
daemon acts within a second), the hosts make the chat stage-only and a
listener's voice request reaches a host, room close destroys it for
everyone, a join afterwards is refused and does not re-create it, and the
archive is still there for members.  No stanza names a real JID."""

import time

import harness as h
from test_muc import (DATA, MUC_USER, Trio, disco_info, fresh_room,
                      info_parts, is_groupchat, is_presence, is_self_presence,
                      join, join_error, local, muc_item, occ, private, q, say,
                      settle, submit_config)
from test_muc_archive import mam
from test_relay import addr, ctl_ok, link
from test_requests import adhoc

HATS = "urn:xmpp:hats:0"
MUC_REQUEST = "http://jabber.org/protocol/muc#request"
# The daemon reads the store's change log every 250 ms: a change made by
# backchannelctl is acted on well within a second.
AT_ONCE = 1.0


def hat(el):
    """The title of the presence's XEP-0317 hat, or None."""
    x = el.find("%s/%s" % (q(HATS, "hats"), q(HATS, "hat")))
    return None if x is None else x.get("title")


def item_of(el):
    i = muc_item(el)
    return (i.get("affiliation"), i.get("role"))


def presences_from(client, frm, since):
    with client.lock:
        got = client.received[since:]
    return [el for el in got
            if local(el) == "presence" and el.get("from") == frm]


class Stage:
    """The audio room ROOM opened by the platform with alice as host and
    bob as speaker; dave and paul (the probe account) are listeners.
    Everyone is in it."""

    def __init__(self, daemon, connect):
        self.t = Trio(daemon, connect)
        self.daemon = daemon
        ctl_ok(daemon, "identity", "add", "paul")
        self.paul = connect("probe")
        link(daemon, self.paul, "paul")
        self.alice, self.bob, self.dave = self.t.alice, self.t.bob, self.t.dave
        self.room = fresh_room("live")
        self.node = self.room.split("@")[0]
        ctl_ok(daemon, "room", "open", self.node, "--title", "Friday talk",
               "--host", "alice", "--speaker", "bob")
        self.everyone = (self.alice, self.bob, self.dave, self.paul)


def wait_presence(client, frm, since, ptype=None):
    return client.wait_for(is_presence(frm, ptype), since=since,
                           timeout=AT_ONCE,
                           what="presence from %s within %ss" % (frm, AT_ONCE))


def test_audio_room_chat(daemon, connect):
    s = Stage(daemon, connect)
    room = s.room

    # The stage enters: owners and moderators, members and participants,
    # each with a hat.
    j = join(s.alice, room, "alice")
    assert item_of(j.self_presence) == ("owner", "moderator")
    assert hat(j.self_presence) == "Host"
    m = s.alice.mark()
    j = join(s.bob, room, "bob")
    assert [p.get("from") for p in j.presences()] == [occ(room, "alice")]
    assert item_of(j.self_presence) == ("member", "participant")
    el = s.alice.wait_for(is_presence(occ(room, "bob")), since=m)
    assert hat(el) == "Speaker"

    # Listeners get the stage and themselves, and nobody hears of them.
    marks = [c.mark() for c in s.everyone]
    j = join(s.dave, room, "dave")
    assert sorted(p.get("from") for p in j.presences()) == [
        occ(room, "alice"), occ(room, "bob")]
    assert item_of(j.self_presence) == ("none", "participant")
    assert hat(j.self_presence) is None
    j = join(s.paul, room, "paul")
    assert sorted(p.get("from") for p in j.presences()) == [
        occ(room, "alice"), occ(room, "bob")]
    settle(*s.everyone)
    for c, mk in zip(s.everyone, marks):
        for nick, listener in (("dave", s.dave), ("paul", s.paul)):
            if c is not listener:
                assert presences_from(c, occ(room, nick), mk) == [], (
                    "%s was told of listener %s" % (c.bare, nick))
    _, feats, forms = info_parts(disco_info(s.dave, room))
    assert forms["http://jabber.org/protocol/muc#roominfo"][
        "muc#roominfo_occupants"] == ["4"]
    assert "muc_unmoderated" in feats and HATS in feats

    # A listener writes, and everyone reads it.
    marks = [c.mark() for c in s.everyone]
    say(s.dave, room, "a question from the audience")
    for c, mk in zip(s.everyone, marks):
        c.wait_for(is_groupchat(room, "a question from the audience", "dave"),
                   since=mk)

    # The platform puts dave on the stage: everyone sees him come, within
    # a second of backchannelctl's exit.
    marks = [c.mark() for c in s.everyone]
    ctl_ok(daemon, "room", "stage", s.node, "dave", "speaker")
    for c, mk in zip((s.alice, s.bob, s.paul), marks):
        el = wait_presence(c, occ(room, "dave"), mk)
        assert item_of(el) == ("member", "participant") and hat(el) == "Speaker"
    el = s.dave.wait_for(is_self_presence(occ(room, "dave")), since=marks[2],
                         timeout=AT_ONCE)
    assert item_of(el) == ("member", "participant")

    # The admin ad-hoc command takes bob off it: he leaves the others'
    # view and stays in the room as a listener.
    platform = connect("platform")
    marks = [c.mark() for c in s.everyone]
    cmd = adhoc(platform, "room-stage")
    cmd = adhoc(platform, "room-stage", cmd.get("sessionid"),
                {"room": s.node, "handle": "bob", "place": "listener"})
    note = cmd.find("{http://jabber.org/protocol/commands}note")
    assert note.get("type") == "info", h.xml_text(cmd)
    for c, mk in zip((s.alice, s.dave, s.paul), (marks[0], marks[2], marks[3])):
        wait_presence(c, occ(room, "bob"), mk, "unavailable")
    el = s.bob.wait_for(is_self_presence(occ(room, "bob")), since=marks[1],
                        timeout=AT_ONCE)
    assert item_of(el) == ("none", "participant")

    # Stage-only: listeners become visitors and ask for voice.
    mk = s.paul.mark()
    r = submit_config(s.alice, room,
                      {"muc#roomconfig_moderatedroom": "1"})
    assert r.get("type") == "result", h.xml_text(r)
    el = s.paul.wait_for(is_self_presence(occ(room, "paul")), since=mk)
    assert item_of(el) == ("none", "visitor")
    mk = s.paul.mark()
    say(s.paul, room, "can I speak?")
    el = s.paul.wait_for(lambda e: local(e) == "message"
                         and e.get("type") == "error", since=mk)
    assert h.error_condition(el) == "forbidden"
    mk = s.alice.mark()
    s.paul.send_raw(
        "<message to='%s'><x xmlns='%s' type='submit'><field var='FORM_TYPE'>"
        "<value>%s</value></field><field var='muc#role'><value>participant"
        "</value></field></x></message>" % (room, DATA, MUC_REQUEST))
    req = s.alice.wait_for(
        lambda e: local(e) == "message" and e.find(q(DATA, "x")) is not None,
        since=mk, what="voice request")
    fields = {f.get("var"): [v.text for v in f.findall(q(DATA, "value"))]
              for f in req.find(q(DATA, "x")).findall(q(DATA, "field"))}
    assert fields["muc#roomnick"] == ["paul"]
    assert fields["muc#jid"] == [addr("paul")]
    mk = s.paul.mark()
    s.alice.send_raw(
        "<message to='%s'><x xmlns='%s' type='submit'><field var='FORM_TYPE'>"
        "<value>%s</value></field><field var='muc#roomnick'><value>paul"
        "</value></field><field var='muc#request_allow'><value>true</value>"
        "</field></x></message>" % (room, DATA, MUC_REQUEST))
    el = s.paul.wait_for(is_self_presence(occ(room, "paul")), since=mk)
    assert item_of(el) == ("none", "participant")
    mk = s.alice.mark()
    say(s.paul, room, "thank you")
    s.alice.wait_for(is_groupchat(room, "thank you", "paul"), since=mk)

    # room close: a destroy with a reason for everyone, at once.
    marks = [c.mark() for c in s.everyone]
    t0 = time.monotonic()
    ctl_ok(daemon, "room", "close", s.node)
    for c, mk in zip(s.everyone, marks):
        nick = c.bare.split("@")[0].replace("probe", "paul")
        el = c.wait_for(is_self_presence(occ(room, nick), "unavailable"),
                        since=mk, timeout=AT_ONCE + 1)
        d = el.find("%s/%s" % (q(MUC_USER, "x"), q(MUC_USER, "destroy")))
        assert d is not None, h.xml_text(el)
        assert d.findtext(q(MUC_USER, "reason")) == "The audio room has ended"
    assert time.monotonic() - t0 < AT_ONCE + 1

    # Closed: a join is refused, and does not make a group chat of it.
    el = join_error(s.dave, room, "dave")
    assert h.error_condition(el) == "item-not-found"
    el = join_error(s.alice, room, "alice")
    assert h.error_condition(el) == "item-not-found"

    # The archive stays, for those who were there.
    res = mam(s.paul, room)
    assert res.ok(), res.dump()
    assert "a question from the audience" in res.bodies()
    assert "thank you" in res.bodies()

    private(s.alice, s.bob, s.dave, s.paul)
    for c in s.everyone:
        for text in c.stanzas():
            assert "probe@" + h.HOST not in text or c is s.paul, text


def test_outsiders_and_hosts_limits(daemon, connect):
    """Outside users may not enter; hosts ban listeners but may not change
    the platform's stage or destroy the room."""
    s = Stage(daemon, connect)
    room = s.room
    join(s.alice, room, "alice")
    join(s.dave, room, "dave")
    carol = connect("carol", host=h.OUTSIDE)
    el = join_error(carol, room, "carol")
    assert h.error_condition(el) == "registration-required"
    r = s.alice.iq_set(room, "<query xmlns='http://jabber.org/protocol/"
                       "muc#admin'><item affiliation='none' jid='%s'/>"
                       "</query>" % addr("bob"))
    assert h.error_condition(r) == "not-allowed"
    r = s.alice.iq_set(room, "<query xmlns='http://jabber.org/protocol/"
                       "muc#owner'><destroy/></query>")
    assert h.error_condition(r) == "not-allowed"
    mk = s.dave.mark()
    r = s.alice.iq_set(room, "<query xmlns='http://jabber.org/protocol/"
                       "muc#admin'><item affiliation='outcast' jid='%s'/>"
                       "</query>" % addr("dave"))
    assert r.get("type") == "result", h.xml_text(r)
    el = s.dave.wait_for(is_self_presence(occ(room, "dave"), "unavailable"),
                         since=mk)
    assert "301" in {st.get("code") for st in
                     el.find(q(MUC_USER, "x")).findall(q(MUC_USER, "status"))}
    el = join_error(s.dave, room, "dave")
    assert h.error_condition(el) == "forbidden"
    private(s.alice, s.dave)
