"""Group chats on M: invitations and the message-request rules.  Mediated
(XEP-0045 §7.8.2) and direct (XEP-0249) invitations to handle@D reach
every linked account of the invitee and, from an owner or admin, make the
invitee a member; an invitation from someone the invitee does not know is
held as a message request (announced, delivered on accept, dropped on
decline, counted against the caps); declines go back to the inviter; a
private message from a stranger is held the same way; XEP-0191 blocks
apply to groupchat and private messages and stay unseen by the blocked."""

import secrets

import harness as h
from test_relay import addr, ctl_ok, link, local
from test_requests import NICK, roster_get, subscribe_from
from test_muc import (MUC_USER, affiliation_list, body_of, config_form,
                      create_room, form_fields, fresh_room, grant, join, occ,
                      private, q, say, say_and_wait, settle, trio, truthy)

CONFERENCE = "jabber:x:conference"
BLOCKING = "urn:xmpp:blocking"


def invite_of(el):
    x = el.find(q(MUC_USER, "x"))
    return None if x is None else x.find(q(MUC_USER, "invite"))


def is_invitation(room):
    return lambda el: (local(el) == "message" and el.get("from") == room
                       and invite_of(el) is not None)


def is_direct_invitation(sender, room):
    return lambda el: (local(el) == "message" and el.get("from", "").split("/")[0]
                       == sender and el.find(q(CONFERENCE, "x")) is not None
                       and el.find(q(CONFERENCE, "x")).get("jid") == room)


def mediated_invite(client, room, to, reason=None, mid=None):
    r = "<reason>%s</reason>" % reason if reason else ""
    mid = mid or "inv-" + secrets.token_hex(4)
    client.send_raw("<message to='%s' id='%s'><x xmlns='%s'><invite to='%s'>%s"
                    "</invite></x></message>" % (room, mid, MUC_USER, to, r))
    return mid


def answer_to(client, mid, since, domain=h.ROOMS):
    """The error condition the daemon answered stanza mid with, or None when
    it sent nothing back (checked after a round trip)."""
    settle(client, domain=domain)
    for el in client.received[since:]:
        if el.get("id") == mid and local(el) != "iq":
            assert el.get("type") == "error", h.xml_text(el)
            return h.error_condition(el)
    return None


class Pair:
    """alice and bob, who know each other; bob's identity is linked to two
    accounts (bob and dave), so both must get what is sent to bob@D."""

    def __init__(self, daemon, connect):
        ctl_ok(daemon, "identity", "add", "alice", "--name", "Alice")
        ctl_ok(daemon, "identity", "add", "bob", "--name", "Bob")
        self.alice = connect("alice")
        self.bob = connect("bob")
        self.bob2 = connect("dave")
        link(daemon, self.alice, "alice")
        link(daemon, self.bob, "bob")
        link(daemon, self.bob2, "bob")
        ctl_ok(daemon, "follow", "alice", "bob")
        ctl_ok(daemon, "follow", "bob", "alice")


class Strangers:
    """alice-X and bob-X, linked from the accounts alice and bob, who do not
    know each other (fresh handles: the server keeps rosters between
    tests)."""

    def __init__(self, daemon, connect):
        tag = secrets.token_hex(3)
        self.a, self.b = "alice-" + tag, "bob-" + tag
        ctl_ok(daemon, "identity", "add", self.a, "--name", "Alice")
        ctl_ok(daemon, "identity", "add", self.b, "--name", "Bob")
        self.alice = connect("alice")
        self.bob = connect("bob")
        roster_get(self.alice)
        roster_get(self.bob)
        link(daemon, self.alice, self.a)
        link(daemon, self.bob, self.b)


def test_mediated_invitation_reaches_every_account(daemon, connect):
    """§7.8.2: the room sends the invitation, from the inviter's address,
    to every linked account of bob; an owner's invitation makes bob a
    member of the members-only room (§9.5)."""
    p = Pair(daemon, connect)
    room = fresh_room()
    create_room(p.alice, room, "alice")
    m1, m2 = p.bob.mark(), p.bob2.mark()
    mediated_invite(p.alice, room, addr("bob"), reason="come along")
    for c, m in ((p.bob, m1), (p.bob2, m2)):
        got = c.wait_for(is_invitation(room), since=m, what="the invitation")
        inv = invite_of(got)
        assert inv.get("from") in (addr("alice"), occ(room, "alice")), \
            h.xml_text(got)
        assert inv.find(q(MUC_USER, "reason")).text == "come along"
    assert addr("bob") in affiliation_list(p.alice, room, "member")
    join(p.bob, room, "bob")
    private(p.alice, p.bob, p.bob2)


def test_direct_invitation(daemon, connect):
    """XEP-0249 sent to bob@D reaches every linked account of bob from
    alice@D, and an owner's invitation makes bob a member."""
    p = Pair(daemon, connect)
    room = fresh_room()
    create_room(p.alice, room, "alice")
    m1, m2 = p.bob.mark(), p.bob2.mark()
    p.alice.send_raw("<message to='%s'><x xmlns='%s' jid='%s' reason='ours'/>"
                     "</message>" % (addr("bob"), CONFERENCE, room))
    for c, m in ((p.bob, m1), (p.bob2, m2)):
        got = c.wait_for(is_direct_invitation(addr("alice"), room), since=m,
                         what="the direct invitation")
        assert got.find(q(CONFERENCE, "x")).get("reason") == "ours"
    h.wait_until(lambda: addr("bob") in affiliation_list(p.alice, room, "member"),
                 timeout=5, interval=0.2, what="bob on the member list")
    join(p.bob, room, "bob")
    private(p.alice, p.bob, p.bob2)


def test_decline_goes_back_to_the_inviter(daemon, connect):
    """§7.8.2: bob declines through the room; alice gets the decline from
    bob@D with his reason."""
    p = Pair(daemon, connect)
    room = fresh_room()
    create_room(p.alice, room, "alice")
    mark = p.bob.mark()
    mediated_invite(p.alice, room, addr("bob"))
    p.bob.wait_for(is_invitation(room), since=mark, what="the invitation")
    mark = p.alice.mark()
    p.bob.send_raw("<message to='%s'><x xmlns='%s'><decline to='%s'><reason>"
                   "busy</reason></decline></x></message>"
                   % (room, MUC_USER, addr("alice")))
    got = p.alice.wait_for(
        lambda el: local(el) == "message" and el.get("from") == room
        and el.find("%s/%s" % (q(MUC_USER, "x"), q(MUC_USER, "decline")))
        is not None, since=mark, what="the decline")
    decline = got.find("%s/%s" % (q(MUC_USER, "x"), q(MUC_USER, "decline")))
    assert decline.get("from") == addr("bob"), h.xml_text(got)
    assert decline.find(q(MUC_USER, "reason")).text == "busy"
    private(p.alice, p.bob)


def test_member_may_not_invite_to_members_only(daemon, connect):
    """§9.5: in a members-only room where invitations are for admins, a
    mere member's invitation is <forbidden/> and reaches nobody."""
    p = Pair(daemon, connect)
    ctl_ok(daemon, "identity", "add", "carl")
    room = fresh_room()
    create_room(p.alice, room, "alice")
    grant(p.alice, room, addr("bob"))
    join(p.bob, room, "bob")
    allow = truthy(form_fields(config_form(p.alice, room)).get(
        "muc#roomconfig_allowinvites"))
    assert not allow, "members may invite by default"
    mark = p.bob.mark()
    mid = mediated_invite(p.bob, room, addr("carl"))
    err = p.bob.wait_for(lambda el: el.get("id") == mid, since=mark,
                         what="refusal of a member's invitation")
    assert h.error_condition(err) == "forbidden", h.xml_text(err)
    assert addr("carl") not in affiliation_list(p.alice, room, "member")


def test_unknown_inviter_held_then_accepted(daemon, connect):
    """An invitation from a stranger is a message request: bob gets a
    subscription request from alice@D with her nick and a preview naming
    the room, and no invitation; approving it delivers the invitation."""
    s = Strangers(daemon, connect)
    room = fresh_room()
    create_room(s.alice, room, s.a)
    mark = s.bob.mark()
    mediated_invite(s.alice, room, addr(s.b))
    sub = s.bob.wait_for(subscribe_from(addr(s.a)), since=mark,
                         what="the request announcing the invitation")
    assert sub.find(NICK).text == "Alice", h.xml_text(sub)
    status = sub.find("{jabber:client}status").text or ""
    assert room.split("@")[0] in status, h.xml_text(sub)
    settle(s.alice)
    settle(s.bob)
    settle(s.bob, domain=h.SERVICE)
    assert not [el for el in s.bob.received[mark:] if is_invitation(room)(el)
                or is_direct_invitation(addr(s.a), room)(el)]
    mark = s.bob.mark()
    s.bob.send_raw("<presence to='%s' type='subscribed'/>" % addr(s.a))
    # Delivered as the room's invitation or as alice's direct one.
    s.bob.wait_for(lambda el: is_invitation(room)(el)
                   or is_direct_invitation(addr(s.a), room)(el), since=mark,
                   timeout=10, what="the invitation after the accept")
    join(s.bob, room, s.b)
    private(s.alice, s.bob)


def test_unknown_inviter_declined_drops_it(daemon, connect):
    """Declining the request drops the held invitation."""
    s = Strangers(daemon, connect)
    room = fresh_room()
    create_room(s.alice, room, s.a)
    mark = s.bob.mark()
    mediated_invite(s.alice, room, addr(s.b))
    s.bob.wait_for(subscribe_from(addr(s.a)), since=mark, what="the request")
    s.bob.send_raw("<presence to='%s' type='unsubscribed'/>" % addr(s.a))
    settle(s.bob, domain=h.SERVICE)
    settle(s.bob)
    assert not [el for el in s.bob.received[mark:] if is_invitation(room)(el)
                or is_direct_invitation(addr(s.a), room)(el)]
    private(s.alice, s.bob)


def test_invitation_counts_against_the_caps(server, connect):
    """A held invitation is a held message: with two held per sender, the
    invitation and one message fill the cap and the next message is
    refused with <policy-violation/>."""
    d = h.Daemon(server, extra_xml="<requests held='2' per-day='5'/>")
    try:
        d.start()
        d.wait_ready(connect("probe", resource="ready"))
        s = Strangers(d, connect)
        room = fresh_room()
        create_room(s.alice, room, s.a)
        mark = s.bob.mark()
        mediated_invite(s.alice, room, addr(s.b))
        s.bob.wait_for(subscribe_from(addr(s.a)), since=mark, what="the request")
        mark = s.alice.mark()
        for i in range(2):
            s.alice.send_raw("<message to='%s' type='chat' id='capi-%d'><body>"
                             "%d</body></message>" % (addr(s.b), i, i))
        err = s.alice.wait_for(lambda el: el.get("id") == "capi-1", since=mark,
                               what="the cap's refusal")
        assert h.error_condition(err) == "policy-violation", h.xml_text(err)
        assert not [el for el in s.alice.received[mark:]
                    if el.get("id") == "capi-0"], "the first message was refused"
    finally:
        d.close()


def test_blocked_inviter_not_revealed(daemon, connect):
    """bob blocked alice: her invitation reaches none of his accounts, and
    she is answered exactly as for a handle that does not exist."""
    p = Pair(daemon, connect)
    room = fresh_room()
    create_room(p.alice, room, "alice")
    r = p.bob.iq_set(h.SERVICE, "<block xmlns='%s'><item jid='%s'/></block>"
                     % (BLOCKING, addr("alice")))
    assert r.get("type") == "result", h.xml_text(r)
    m1, m2 = p.bob.mark(), p.bob2.mark()
    mark = p.alice.mark()
    to_nobody = answer_to(p.alice, mediated_invite(p.alice, room, addr("nobody")),
                          mark)
    mark = p.alice.mark()
    to_bob = answer_to(p.alice, mediated_invite(p.alice, room, addr("bob")), mark)
    # §7.8.2 says item-not-found for a nonexistent invitee; the 1:1 relay
    # says service-unavailable for a nonexistent handle.  Either, but the
    # same for both.
    assert to_nobody in ("item-not-found", "service-unavailable"), to_nobody
    assert to_bob == to_nobody
    settle(p.bob, p.bob2)
    settle(p.bob, p.bob2, domain=h.SERVICE)
    for c, m in ((p.bob, m1), (p.bob2, m2)):
        for el in c.received[m:]:
            assert not is_invitation(room)(el), h.xml_text(el)
            assert not is_direct_invitation(addr("alice"), room)(el), h.xml_text(el)
            assert el.get("from", "").split("/")[0] != addr("alice"), h.xml_text(el)


def test_private_message_from_stranger_is_a_request(daemon, connect):
    """A private message from an occupant bob does not know is held as a
    request from that occupant's identity; the sender hears nothing; the
    accept delivers it with a delay stamp."""
    s = Strangers(daemon, connect)
    room = fresh_room()
    create_room(s.alice, room, s.a)
    grant(s.alice, room, addr(s.b))
    join(s.bob, room, s.b)
    mb, ma = s.bob.mark(), s.alice.mark()
    s.alice.send_raw("<message to='%s' type='chat' id='spm-1'><body>a quiet "
                     "word</body></message>" % occ(room, s.b))
    sub = s.bob.wait_for(subscribe_from(addr(s.a)), since=mb,
                         what="the request for the private message")
    assert sub.find(NICK).text == "Alice", h.xml_text(sub)
    assert "a quiet word" in (sub.find("{jabber:client}status").text or "")
    settle(s.alice)
    settle(s.bob)
    assert not [el for el in s.bob.received[mb:]
                if body_of(el) == "a quiet word"], "delivered before the accept"
    assert not [el for el in s.alice.received[ma:] if el.get("id") == "spm-1"]
    mb = s.bob.mark()
    s.bob.send_raw("<presence to='%s' type='subscribed'/>" % addr(s.a))
    got = s.bob.wait_for(lambda el: local(el) == "message"
                         and body_of(el) == "a quiet word", since=mb,
                         timeout=10, what="the private message after the accept")
    assert got.get("from") in (occ(room, s.a), addr(s.a)), h.xml_text(got)
    assert got.find("{urn:xmpp:delay}delay") is not None, h.xml_text(got)
    private(s.alice, s.bob)


def test_block_applies_in_rooms(daemon, connect):
    """bob blocked alice: her groupchat messages and private messages do not
    reach him, while everyone else gets them and she sees nothing
    different; after the unblock he gets her messages again."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.bob, room, "bob")
    join(t.dave, room, "dave")
    r = t.bob.iq_set(h.SERVICE, "<block xmlns='%s'><item jid='%s'/></block>"
                     % (BLOCKING, addr("alice")))
    assert r.get("type") == "result", h.xml_text(r)
    mb, ma = t.bob.mark(), t.alice.mark()
    say_and_wait(t.alice, room, "can you hear me", "alice", t.dave)
    say(t.alice, room, "just you", mid="bpm-1", to=occ(room, "bob"), mtype="chat")
    settle(t.alice)
    settle(t.bob)
    for el in t.bob.received[mb:]:
        assert body_of(el) not in ("can you hear me", "just you"), h.xml_text(el)
    assert not [el for el in t.alice.received[ma:] if el.get("id") == "bpm-1"], \
        "the private message to a blocker was answered"
    r = t.bob.iq_set(h.SERVICE, "<unblock xmlns='%s'><item jid='%s'/></unblock>"
                     % (BLOCKING, addr("alice")))
    assert r.get("type") == "result", h.xml_text(r)
    say_and_wait(t.alice, room, "and now", "alice", t.bob)
    private(t.alice, t.bob, t.dave)
