"""Group chats on M: roles, affiliations and the owner's powers (XEP-0045
§8-§10): kick (307), ban (301, then <forbidden/> even in a members-only
room), the member, admin and owner lists by handle@D, affiliation changes
announced to the occupants, who may do what, the owner's configuration
form, and destroying a room with a reason and an alternate venue."""

import harness as h
from test_relay import addr
from test_muc import (DATA, MUC_OWNER, MUC_USER, affiliation_list, config_form,
                      disco_info, error_type, form_fields, grant, info_parts,
                      is_presence, is_self_presence, join, join_error, muc_item,
                      muc_user, occ, private, q, say, say_and_wait, set_affiliation,
                      set_role, settle, status_codes, submit_config, trio)


def reason_of(el):
    item = muc_item(el)
    r = None if item is None else item.find(q(MUC_USER, "reason"))
    return None if r is None else r.text


def test_kick(daemon, connect):
    """§8.2: the kicked occupant gets unavailable with 110 and 307 and the
    reason; the others get 307; the kicked member may come back."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.bob, room, "bob")
    join(t.dave, room, "dave")
    mb, md = t.bob.mark(), t.dave.mark()
    r = set_role(t.alice, room, "bob", "none", reason="calm down")
    assert r.get("type") == "result", h.xml_text(r)
    gone = t.bob.wait_for(is_self_presence(occ(room, "bob"), "unavailable"),
                          since=mb, what="bob's removal")
    assert "307" in status_codes(gone), h.xml_text(gone)
    assert muc_item(gone).get("role") == "none"
    assert reason_of(gone) == "calm down", h.xml_text(gone)
    seen = t.dave.wait_for(is_presence(occ(room, "bob"), "unavailable"),
                           since=md, what="bob's removal at dave")
    assert "307" in status_codes(seen) and "110" not in status_codes(seen)
    # Kicked is not banned: bob is still a member.
    join(t.bob, room, "bob")
    private(t.alice, t.bob, t.dave)


def test_kick_permissions(daemon, connect):
    """§8: a participant may not kick (<forbidden/>); a moderator may not
    kick someone of a higher affiliation (<not-allowed/>, §8.2)."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.bob, room, "bob")
    join(t.dave, room, "dave")
    r = set_role(t.bob, room, "dave", "none")
    assert h.error_condition(r) == "forbidden", h.xml_text(r)
    assert error_type(r) == "auth", h.xml_text(r)
    grant(t.alice, room, addr("dave"), "admin")
    r = set_role(t.dave, room, "alice", "none")
    assert h.error_condition(r) == "not-allowed", h.xml_text(r)
    assert error_type(r) == "cancel", h.xml_text(r)
    # Nobody was removed.
    say_and_wait(t.alice, room, "all here", "alice", t.bob, t.dave)
    private(t.alice, t.bob, t.dave)


def test_ban(daemon, connect):
    """§9.1: banning handle@D removes the occupant with 301, puts the
    identity on the ban list, and the banned identity then gets
    <forbidden/> (§7.2.7), not registration-required, although the room is
    members-only; an owner cannot ban himself (<conflict/>)."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.bob, room, "bob")
    join(t.dave, room, "dave")
    mb, md = t.bob.mark(), t.dave.mark()
    r = set_affiliation(t.alice, room, addr("bob"), "outcast", reason="spam")
    assert r.get("type") == "result", h.xml_text(r)
    gone = t.bob.wait_for(is_presence(occ(room, "bob"), "unavailable"),
                          since=mb, what="bob's removal")
    assert "301" in status_codes(gone), h.xml_text(gone)
    assert muc_item(gone).get("affiliation") == "outcast", h.xml_text(gone)
    assert muc_item(gone).get("role") == "none"
    seen = t.dave.wait_for(is_presence(occ(room, "bob"), "unavailable"),
                           since=md, what="bob's removal at dave")
    assert "301" in status_codes(seen), h.xml_text(seen)
    assert muc_item(seen).get("affiliation") == "outcast"
    assert muc_item(seen).get("jid") == addr("bob"), h.xml_text(seen)
    banned = affiliation_list(t.alice, room, "outcast")
    assert set(banned) == {addr("bob")}, banned
    assert addr("bob") not in affiliation_list(t.alice, room, "member")
    err = join_error(t.bob, room, "bob")
    assert h.error_condition(err) == "forbidden", h.xml_text(err)
    assert error_type(err) == "auth", h.xml_text(err)
    r = set_affiliation(t.alice, room, addr("alice"), "outcast")
    assert h.error_condition(r) == "conflict", h.xml_text(r)
    # Lifting the ban does not make bob a member again.
    r = set_affiliation(t.alice, room, addr("bob"), "none")
    assert r.get("type") == "result", h.xml_text(r)
    err = join_error(t.bob, room, "bob")
    assert h.error_condition(err) == "registration-required", h.xml_text(err)
    private(t.alice, t.bob, t.dave)


def test_ban_owner_not_allowed(daemon, connect):
    """§9.1: an admin cannot ban an owner (<not-allowed/>)."""
    t = trio(daemon, connect)
    room = t.room("bob")
    grant(t.alice, room, addr("bob"), "admin")
    join(t.bob, room, "bob")
    r = set_affiliation(t.bob, room, addr("alice"), "outcast")
    assert h.error_condition(r) == "not-allowed", h.xml_text(r)
    assert addr("alice") in affiliation_list(t.alice, room, "owner")


def test_affiliation_lists_by_handle(daemon, connect):
    """§9.5, §10.5, §10.8: member, admin and owner lists name handle@D,
    each item with its affiliation and no role (§17.4)."""
    t = trio(daemon, connect)
    room = t.room("bob")
    grant(t.alice, room, addr("dave"), "admin")
    members = affiliation_list(t.alice, room, "member")
    assert set(members) == {addr("bob")}, members
    admins = affiliation_list(t.alice, room, "admin")
    assert set(admins) == {addr("dave")}, admins
    owners = affiliation_list(t.alice, room, "owner")
    assert set(owners) == {addr("alice")}, owners
    for items, aff in ((members, "member"), (admins, "admin"), (owners, "owner")):
        for jid, item in items.items():
            assert item.get("affiliation") == aff, h.xml_text(item)
    # An admin may read and change the member list too.
    r = set_affiliation(t.dave, room, addr("bob"), "none")
    assert r.get("type") == "result", h.xml_text(r)
    assert affiliation_list(t.dave, room, "member") == {}
    private(t.alice, t.dave)


def test_members_cannot_change_affiliations(daemon, connect):
    """§9: a mere member's admin requests are <forbidden/>."""
    t = trio(daemon, connect)
    room = t.room("bob")
    join(t.bob, room, "bob")
    r = set_affiliation(t.bob, room, addr("dave"), "member")
    assert h.error_condition(r) == "forbidden", h.xml_text(r)
    r = set_affiliation(t.bob, room, addr("alice"), "outcast")
    assert h.error_condition(r) == "forbidden", h.xml_text(r)
    assert addr("dave") not in affiliation_list(t.alice, room, "member")


def test_affiliation_changes_announced(daemon, connect):
    """§9.8, §9.4: granting admin to an occupant is announced to every
    occupant; revoking a present member's membership in a members-only
    room removes him with 321."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.bob, room, "bob")
    join(t.dave, room, "dave")
    marks = [c.mark() for c in (t.alice, t.bob, t.dave)]
    grant(t.alice, room, addr("bob"), "admin")
    for c, m in zip((t.alice, t.bob, t.dave), marks):
        got = c.wait_for(lambda el: is_presence(occ(room, "bob"))(el)
                         and muc_item(el) is not None
                         and muc_item(el).get("affiliation") == "admin",
                         since=m, what="bob's new affiliation")
        assert muc_item(got).get("jid") in (None, addr("bob"))
    marks = [c.mark() for c in (t.alice, t.dave)]
    md = t.dave.mark()
    r = set_affiliation(t.alice, room, addr("dave"), "none")
    assert r.get("type") == "result", h.xml_text(r)
    gone = t.dave.wait_for(is_self_presence(occ(room, "dave"), "unavailable"),
                           since=md, what="dave's removal")
    assert "321" in status_codes(gone), h.xml_text(gone)
    assert muc_item(gone).get("affiliation") == "none"
    seen = t.alice.wait_for(is_presence(occ(room, "dave"), "unavailable"),
                            since=marks[0], what="dave's removal at alice")
    assert "321" in status_codes(seen), h.xml_text(seen)
    err = join_error(t.dave, room, "dave")
    assert h.error_condition(err) == "registration-required", h.xml_text(err)
    private(t.alice, t.bob, t.dave)


def test_owner_configuration_form(daemon, connect):
    """§10.2: the owner reads and changes the configuration; a member may
    not (<forbidden/>); an unknown value is refused without a change."""
    t = trio(daemon, connect)
    room = t.room("bob")
    join(t.bob, room, "bob")
    r = t.bob.iq_get(room, "<query xmlns='%s'/>" % MUC_OWNER)
    assert h.error_condition(r) == "forbidden", h.xml_text(r)
    x = config_form(t.alice, room)
    assert x.get("type") == "form", h.xml_text(x)
    fields = form_fields(x)
    for var in ("muc#roomconfig_roomname", "muc#roomconfig_roomdesc",
                "muc#roomconfig_membersonly", "muc#roomconfig_persistentroom",
                "muc#roomconfig_publicroom", "muc#roomconfig_whois",
                "muc#roomconfig_changesubject", "muc#roomconfig_allowinvites"):
        assert var in fields, "%s missing: %s" % (var, sorted(fields))
    r = submit_config(t.alice, room, {"muc#roomconfig_roomname": "Renamed",
                                      "muc#roomconfig_roomdesc": "New words"})
    assert r.get("type") == "result", h.xml_text(r)
    fields = form_fields(config_form(t.alice, room))
    assert fields["muc#roomconfig_roomname"] == ["Renamed"]
    assert fields["muc#roomconfig_roomdesc"] == ["New words"]
    idents, _, _ = info_parts(disco_info(t.bob, room))
    assert ("conference", "text", "Renamed") in idents, idents
    r = submit_config(t.alice, room, {"muc#roomconfig_whois": "nonsense",
                                      "muc#roomconfig_roomname": "Bad"})
    assert r.get("type") == "error", h.xml_text(r)
    assert h.error_condition(r) in ("not-acceptable", "bad-request"), h.xml_text(r)
    assert form_fields(config_form(t.alice, room))["muc#roomconfig_roomname"] \
        == ["Renamed"]
    # A member cannot submit either.
    r = t.bob.iq_set(room, "<query xmlns='%s'><x xmlns='%s' type='submit'/>"
                     "</query>" % (MUC_OWNER, DATA))
    assert h.error_condition(r) == "forbidden", h.xml_text(r)
    private(t.alice, t.bob)


def test_destroy(daemon, connect):
    """§10.9: only an owner destroys (<forbidden/> otherwise); every
    occupant gets one unavailable presence with <destroy/>, the alternate
    venue and the reason; the room is gone."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    other = t.room(prefix="venue")
    join(t.bob, room, "bob")
    join(t.dave, room, "dave")
    destroy = ("<query xmlns='%s'><destroy jid='%s'><reason>moving on</reason>"
               "</destroy></query>" % (MUC_OWNER, other))
    r = t.bob.iq_set(room, destroy)
    assert h.error_condition(r) == "forbidden", h.xml_text(r)
    assert error_type(r) == "auth", h.xml_text(r)
    marks = [c.mark() for c in (t.alice, t.bob, t.dave)]
    r = t.alice.iq_set(room, destroy)
    assert r.get("type") == "result", h.xml_text(r)
    for c, m, nick in zip((t.alice, t.bob, t.dave), marks, ("alice", "bob", "dave")):
        got = c.wait_for(is_presence(occ(room, nick), "unavailable"), since=m,
                         what="the destroy notice for " + nick)
        d = muc_user(got).find(q(MUC_USER, "destroy"))
        assert d is not None, h.xml_text(got)
        assert d.get("jid") == other, h.xml_text(got)
        assert d.find(q(MUC_USER, "reason")).text == "moving on"
        assert muc_item(got).get("role") == "none"
    settle(t.alice, t.bob, t.dave)
    # One presence each, not the whole room's departures.
    for c, m in zip((t.alice, t.bob, t.dave), marks):
        leaving = [el for el in c.received[m:] if el.get("type") == "unavailable"
                   and el.get("from", "").startswith(room + "/")]
        assert len(leaving) == 1, [h.xml_text(el) for el in leaving]
    # Gone (RFC 6120 <gone/> may point at the new venue) or never was.
    reply = disco_info(t.bob, room)
    assert h.error_condition(reply) in ("item-not-found", "gone"), h.xml_text(reply)
    mark = t.bob.mark()
    say(t.bob, room, "anyone?", mid="after-destroy")
    err = t.bob.wait_for(lambda el: el.get("id") == "after-destroy", since=mark,
                         what="refusal after the destroy")
    assert err.get("type") == "error", h.xml_text(err)
    private(t.alice, t.bob, t.dave)
