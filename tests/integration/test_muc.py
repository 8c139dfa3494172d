"""Group chats on M (XEP-0045), black-box against a real server: creating a
room by joining it (locked with 201 until configured), the defaults
(members-only, persistent, hidden, non-anonymous towards members), the
order of what a join brings, the subject, the errors of a refused join,
nick changes, leaving, private messages, one occupant for the several
linked accounts of one identity, outside users admitted to a room, and
disco on the service and on rooms.  Every stanza each client receives is
scanned for the other users' real JIDs: a room shows only handle@D.

The helpers here (joining, rooms, forms, admin lists) are shared by the
other test_muc_*.py files."""

import secrets

import pytest

import harness as h
from test_relay import addr, assert_private, ctl_ok, link, local

MUC = "http://jabber.org/protocol/muc"
MUC_USER = MUC + "#user"
MUC_ADMIN = MUC + "#admin"
MUC_OWNER = MUC + "#owner"
ROOMCONFIG = MUC + "#roomconfig"
ROOMINFO = MUC + "#roominfo"
DISCO_INFO = "http://jabber.org/protocol/disco#info"
DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
DATA = "jabber:x:data"
DELAY = "urn:xmpp:delay"
SID = "urn:xmpp:sid:0"
OCCUPANT_ID = "urn:xmpp:occupant-id:0"
MAM = "urn:xmpp:mam:2"
PING = "<ping xmlns='urn:xmpp:ping'/>"
CLIENT = "jabber:client"


def q(ns, tag):
    return "{%s}%s" % (ns, tag)


def bare(jid):
    return (jid or "").split("/")[0]


def fresh_room(prefix="room"):
    """A room address no test used before."""
    return "%s-%s@%s" % (prefix, secrets.token_hex(4), h.ROOMS)


def occ(room, nick):
    return "%s/%s" % (room, nick)


def escaped(user_at_host):
    """An outside user's address under D (XEP-0106)."""
    return "%s@%s" % (user_at_host.replace("@", "\\40"), h.SERVICE)


# -- reading stanzas ---------------------------------------------------------

def muc_user(el):
    return el.find(q(MUC_USER, "x"))


def status_codes(el):
    x = muc_user(el)
    if x is None:
        return set()
    return {s.get("code") for s in x.findall(q(MUC_USER, "status"))}


def muc_item(el):
    x = muc_user(el)
    return None if x is None else x.find(q(MUC_USER, "item"))


def body_of(el):
    b = el.find(q(CLIENT, "body"))
    return None if b is None else (b.text or "")


def error_type(el):
    err = el.find(q(CLIENT, "error"))
    return None if err is None else err.get("type")


def is_presence(frm, ptype=None):
    """Presence from exactly frm, of type ptype (None: available)."""
    return lambda el: (local(el) == "presence" and el.get("from") == frm
                       and el.get("type") == ptype)


def is_self_presence(frm, ptype=None):
    return lambda el: is_presence(frm, ptype)(el) and "110" in status_codes(el)


def is_subject(room):
    """A subject message of the room (XEP-0045 §7.2.15): <subject/> and no
    <body/>."""
    return lambda el: (local(el) == "message" and bare(el.get("from")) == room
                       and el.get("type") == "groupchat"
                       and el.find(q(CLIENT, "subject")) is not None
                       and el.find(q(CLIENT, "body")) is None)


def is_groupchat(room, body=None, nick=None, live=None):
    """A groupchat message from the room (from the occupant nick, when
    given) with that body; live=True: no delay stamp, False: history."""
    def pred(el):
        if local(el) != "message" or el.get("type") != "groupchat":
            return False
        if bare(el.get("from")) != room:
            return False
        if nick is not None and el.get("from") != occ(room, nick):
            return False
        if body is not None and body_of(el) != body:
            return False
        if live is not None and (el.find(q(DELAY, "delay")) is None) != live:
            return False
        return True
    return pred


def is_reply(stanza_id):
    return lambda el: el.get("id") == stanza_id and local(el) != "iq"


def occupant_id(el):
    oid = el.findall(q(OCCUPANT_ID, "occupant-id"))
    assert len(oid) <= 1, "more than one occupant-id: %s" % h.xml_text(el)
    return oid[0].get("id") if oid else None


def stanza_ids(el, by):
    return [s.get("id") for s in el.findall(q(SID, "stanza-id"))
            if s.get("by") == by]


# -- doing things ------------------------------------------------------------

def settle(*clients, domain=h.ROOMS):
    """A ping to the daemon from each client in turn: what a client sent
    before its ping has been handled, and whatever the daemon sent it
    before the answer has arrived (one component connection, in order)."""
    for c in clients:
        r = c.iq_get(domain, PING)
        assert r.get("type") == "result", h.xml_text(r)


def join_presence(room, nick, history=None, sid=None, extra=""):
    hist = ""
    if history:
        hist = "<history %s/>" % " ".join(
            "%s='%s'" % kv for kv in sorted(history.items()))
    return "<presence to='%s' id='%s'><x xmlns='%s'>%s</x>%s</presence>" % (
        occ(room, nick), sid or "j-" + secrets.token_hex(4), MUC, hist, extra)


class Joined:
    """What a join brought: the stanzas from the room, in arrival order, from
    the join up to the subject (or the self-presence, without a subject)."""

    def __init__(self, client, room, nick, mark):
        self.client, self.room, self.nick, self.mark = client, room, nick, mark
        self.self_presence = None
        self.subject = None
        self.stanzas = []

    def codes(self):
        return status_codes(self.self_presence)

    def history(self):
        return [el for el in self.stanzas
                if local(el) == "message" and body_of(el) is not None]

    def presences(self):
        """Other occupants' presences, before the self-presence."""
        out = []
        for el in self.stanzas:
            if el is self.self_presence:
                break
            if local(el) == "presence":
                out.append(el)
        return out


def join(client, room, nick, history=None, subject=True, timeout=5):
    """Enters room as nick and waits for the self-presence (110) and, unless
    subject=False, the subject that ends the join (§7.1)."""
    mark = client.mark()
    client.send_raw(join_presence(room, nick, history))
    me = occ(room, nick)
    el = client.wait_for(
        lambda s: (local(s) == "presence" and s.get("from") == me
                   and (s.get("type") == "error" or is_self_presence(me)(s))),
        since=mark, timeout=timeout, what="self-presence from " + me)
    assert el.get("type") != "error", "join refused: " + h.xml_text(el)
    j = Joined(client, room, nick, mark)
    j.self_presence = el
    if subject:
        j.subject = client.wait_for(is_subject(room), since=mark,
                                    timeout=timeout, what="subject of " + room)
    end = j.subject if subject else el
    with client.lock:
        got = client.received[mark:]
    for s in got:
        if bare(s.get("from")) == room:
            j.stanzas.append(s)
        if s is end:
            break
    return j


def join_error(client, room, nick, timeout=5):
    """Tries to enter room as nick; returns the error presence."""
    mark = client.mark()
    sid = "je-" + secrets.token_hex(4)
    client.send_raw(join_presence(room, nick, sid=sid))
    me = occ(room, nick)
    el = client.wait_for(
        lambda s: (local(s) == "presence" and s.get("from") == me
                   and (s.get("type") == "error" or is_self_presence(me)(s))),
        since=mark, timeout=timeout, what="answer to the join of " + me)
    assert el.get("type") == "error", "join accepted: " + h.xml_text(el)
    return el


def leave(client, room, nick, timeout=5):
    mark = client.mark()
    client.send_raw("<presence to='%s' type='unavailable'/>" % occ(room, nick))
    return client.wait_for(is_self_presence(occ(room, nick), "unavailable"),
                           since=mark, timeout=timeout,
                           what="self-presence leaving " + room)


def create_room(client, room, nick, instant=True):
    """Creates room by entering it (§10.1.1), then accepts the default
    configuration (§10.1.2) unless instant=False.  Returns the self-presence."""
    mark = client.mark()
    client.send_raw(join_presence(room, nick))
    me = occ(room, nick)
    el = client.wait_for(
        lambda s: (local(s) == "presence" and s.get("from") == me
                   and (s.get("type") == "error" or is_self_presence(me)(s))),
        since=mark, what="self-presence creating " + room)
    assert el.get("type") != "error", "creation refused: " + h.xml_text(el)
    assert "201" in status_codes(el), "no 201 on creation: " + h.xml_text(el)
    if instant:
        r = client.iq_set(room, "<query xmlns='%s'><x xmlns='%s' type='submit'/>"
                          "</query>" % (MUC_OWNER, DATA))
        assert r.get("type") == "result", h.xml_text(r)
    return el


def say(client, room, body, mid=None, extra="", to=None, mtype="groupchat"):
    """Sends a message to the room (or to an occupant: to=); returns its id."""
    mid = mid or "m-" + secrets.token_hex(4)
    client.send_raw("<message to='%s' type='%s' id='%s'><body>%s</body>%s"
                    "</message>" % (to or room, mtype, mid, h._text(body), extra))
    return mid


def say_and_wait(sender, room, body, nick, *others):
    """Sends a groupchat message and waits for its reflection at the sender
    and at every other client given; returns the sender's copy."""
    marks = [c.mark() for c in (sender,) + others]
    say(sender, room, body)
    got = None
    for c, m in zip((sender,) + others, marks):
        el = c.wait_for(is_groupchat(room, body, nick, live=True), since=m,
                        what="'%s' in %s" % (body, room))
        if c is sender:
            got = el
    return got


def set_affiliation(client, room, jid, affiliation, reason=None):
    r = "<reason>%s</reason>" % h._text(reason) if reason else ""
    return client.iq_set(room, "<query xmlns='%s'><item affiliation='%s' "
                         "jid='%s'>%s</item></query>" % (MUC_ADMIN, affiliation,
                                                         jid, r))


def set_role(client, room, nick, role, reason=None):
    r = "<reason>%s</reason>" % h._text(reason) if reason else ""
    return client.iq_set(room, "<query xmlns='%s'><item nick='%s' role='%s'>"
                         "%s</item></query>" % (MUC_ADMIN, nick, role, r))


def affiliation_list(client, room, affiliation):
    """{jid: item} of the room's list for an affiliation (§9.5, §10.5)."""
    r = client.iq_get(room, "<query xmlns='%s'><item affiliation='%s'/></query>"
                      % (MUC_ADMIN, affiliation))
    assert r.get("type") == "result", h.xml_text(r)
    items = r.findall("%s/%s" % (q(MUC_ADMIN, "query"), q(MUC_ADMIN, "item")))
    return {i.get("jid"): i for i in items}


def grant(client, room, jid, affiliation="member"):
    r = set_affiliation(client, room, jid, affiliation)
    assert r.get("type") == "result", h.xml_text(r)


def form_fields(x):
    """{var: [values]} of a data form."""
    out = {}
    for f in x.findall(q(DATA, "field")):
        if f.get("var"):
            out[f.get("var")] = [v.text or "" for v in f.findall(q(DATA, "value"))]
    return out


def config_form(client, room):
    r = client.iq_get(room, "<query xmlns='%s'/>" % MUC_OWNER)
    assert r.get("type") == "result", h.xml_text(r)
    x = r.find("%s/%s" % (q(MUC_OWNER, "query"), q(DATA, "x")))
    assert x is not None, "no form: " + h.xml_text(r)
    return x


def submit_config(client, room, changes):
    """Submits the room's configuration form with changes applied (values as
    strings or lists); returns the reply."""
    x = config_form(client, room)
    values = form_fields(x)
    for var, v in changes.items():
        values[var] = v if isinstance(v, list) else [v]
    fields = []
    for f in x.findall(q(DATA, "field")):
        var = f.get("var")
        if not var or f.get("type") == "fixed":
            continue
        fields.append("<field var='%s'>%s</field>" % (var, "".join(
            "<value>%s</value>" % h._text(v) for v in values.get(var, []))))
    return client.iq_set(room, "<query xmlns='%s'><x xmlns='%s' type='submit'>"
                         "%s</x></query>" % (MUC_OWNER, DATA, "".join(fields)))


def truthy(values):
    return bool(values) and values[0] in ("1", "true")


def disco_info(client, jid, node=None):
    n = " node='%s'" % node if node else ""
    return client.iq_get(jid, "<query xmlns='%s'%s/>" % (DISCO_INFO, n))


def info_parts(reply):
    """(identities, features, {FORM_TYPE: fields}) of a disco#info result."""
    assert reply.get("type") == "result", h.xml_text(reply)
    query = reply.find(q(DISCO_INFO, "query"))
    idents = [(i.get("category"), i.get("type"), i.get("name"))
              for i in query.findall(q(DISCO_INFO, "identity"))]
    feats = {f.get("var") for f in query.findall(q(DISCO_INFO, "feature"))}
    forms = {}
    for x in query.findall(q(DATA, "x")):
        fields = form_fields(x)
        forms[fields.get("FORM_TYPE", [None])[0]] = fields
    return idents, feats, forms


def private(*clients):
    """No stanza any of the clients received names another user's real JID."""
    for c in clients:
        assert_private(c, c.bare)


class Trio:
    """alice, bob and dave: identities of the same names linked to the
    accounts of the same names, all following each other (they know each
    other: message requests have their own tests)."""

    def __init__(self, daemon, connect, handles=("alice", "bob", "dave")):
        self.daemon = daemon
        self.handles = handles
        clients = []
        for handle, account in zip(handles, ("alice", "bob", "dave")):
            ctl_ok(daemon, "identity", "add", handle, "--name", handle.title())
            c = connect(account)
            link(daemon, c, handle)
            clients.append(c)
        for a in handles:
            for b in handles:
                if a != b:
                    ctl_ok(daemon, "follow", a, b)
        self.alice, self.bob, self.dave = clients

    def room(self, *members, prefix="room"):
        """A configured room owned by alice (in it as "alice"), with the
        given handles as members (not in it)."""
        room = fresh_room(prefix)
        create_room(self.alice, room, "alice")
        for m in members:
            grant(self.alice, room, addr(m))
        return room


def trio(daemon, connect):
    return Trio(daemon, connect)


# -- the tests ---------------------------------------------------------------

def test_service_disco(daemon, connect):
    """M is a conference service (§6.1, §6.2) and lists only public rooms
    (§6.3)."""
    t = trio(daemon, connect)
    idents, feats, _ = info_parts(disco_info(t.alice, h.ROOMS))
    assert ("conference", "text") in {(c, ty) for c, ty, _ in idents}
    assert MUC in feats, sorted(feats)
    hidden = t.room(prefix="hidden")
    public = t.room(prefix="public")
    r = submit_config(t.alice, public, {
        "muc#roomconfig_publicroom": "1",
        "muc#roomconfig_roomname": "The Public One"})
    assert r.get("type") == "result", h.xml_text(r)
    items = t.bob.iq_get(h.ROOMS, "<query xmlns='%s'/>" % DISCO_ITEMS)
    assert items.get("type") == "result", h.xml_text(items)
    listed = {i.get("jid"): i.get("name")
              for i in items.iter(q(DISCO_ITEMS, "item"))}
    assert public in listed, h.xml_text(items)
    assert listed[public] == "The Public One"
    assert hidden not in listed, h.xml_text(items)
    private(t.alice, t.bob)


def test_create_room_locked_until_configured(daemon, connect):
    """§10.1.1: the creator is owner and moderator, gets 110 and 201; nobody
    else may enter (item-not-found, §7.2.10) until the owner accepts the
    instant room (§10.1.2)."""
    t = trio(daemon, connect)
    room = fresh_room()
    me = create_room(t.alice, room, "alice", instant=False)
    item = muc_item(me)
    assert item.get("affiliation") == "owner", h.xml_text(me)
    assert item.get("role") == "moderator", h.xml_text(me)
    assert item.get("jid") in (None, addr("alice")), h.xml_text(me)
    assert "110" in status_codes(me)
    grant(t.alice, room, addr("bob"))
    err = join_error(t.bob, room, "bob")
    assert h.error_condition(err) == "item-not-found", h.xml_text(err)
    assert error_type(err) == "cancel", h.xml_text(err)
    r = t.alice.iq_set(room, "<query xmlns='%s'><x xmlns='%s' type='submit'/>"
                       "</query>" % (MUC_OWNER, DATA))
    assert r.get("type") == "result", h.xml_text(r)
    j = join(t.bob, room, "bob")
    assert "201" not in j.codes()
    private(t.alice, t.bob)


def test_reserved_room_configured_before_unlock(daemon, connect):
    """§10.1.3: the owner asks for the form while the room is locked,
    submits it, and the room opens with that configuration."""
    t = trio(daemon, connect)
    room = fresh_room()
    create_room(t.alice, room, "alice", instant=False)
    x = config_form(t.alice, room)
    assert form_fields(x).get("FORM_TYPE") == [ROOMCONFIG], h.xml_text(x)
    r = submit_config(t.alice, room, {
        "muc#roomconfig_roomname": "Reserved",
        "muc#roomconfig_roomdesc": "Configured first"})
    assert r.get("type") == "result", h.xml_text(r)
    grant(t.alice, room, addr("bob"))
    join(t.bob, room, "bob")
    idents, _, forms = info_parts(disco_info(t.bob, room))
    assert ("conference", "text", "Reserved") in idents, idents
    assert forms[ROOMINFO].get("muc#roominfo_description") == ["Configured first"]


def test_cancel_initial_configuration_destroys(daemon, connect):
    """§10.1.3: cancelling the initial configuration destroys the room and
    sends the owner unavailable presence."""
    t = trio(daemon, connect)
    room = fresh_room()
    create_room(t.alice, room, "alice", instant=False)
    mark = t.alice.mark()
    r = t.alice.iq_set(room, "<query xmlns='%s'><x xmlns='%s' type='cancel'/>"
                       "</query>" % (MUC_OWNER, DATA))
    assert r.get("type") == "result", h.xml_text(r)
    t.alice.wait_for(is_presence(occ(room, "alice"), "unavailable"), since=mark,
                     what="unavailable presence after the cancel")
    reply = disco_info(t.bob, room)
    assert h.error_condition(reply) == "item-not-found", h.xml_text(reply)


def test_default_configuration(daemon, connect):
    """The defaults: members-only, persistent, not public, non-anonymous
    (whois anyone), owned by the creator's identity, and disco says so."""
    t = trio(daemon, connect)
    room = t.room()
    f = form_fields(config_form(t.alice, room))
    assert f.get("FORM_TYPE") == [ROOMCONFIG]
    assert truthy(f.get("muc#roomconfig_membersonly")), f
    assert truthy(f.get("muc#roomconfig_persistentroom")), f
    assert not truthy(f.get("muc#roomconfig_publicroom")), f
    assert f.get("muc#roomconfig_whois") == ["anyone"], f
    owners = affiliation_list(t.alice, room, "owner")
    assert set(owners) == {addr("alice")}, owners
    _, feats, _ = info_parts(disco_info(t.alice, room))
    for var in (MUC, "muc_membersonly", "muc_persistent", "muc_hidden",
                "muc_nonanonymous"):
        assert var in feats, "%s missing: %s" % (var, sorted(feats))
    for var in ("muc_open", "muc_temporary", "muc_public", "muc_semianonymous"):
        assert var not in feats, "%s advertised: %s" % (var, sorted(feats))
    private(t.alice)


def test_join_order_and_status_codes(daemon, connect):
    """§7.1 and §7.2: the others' presences, then the self-presence (110, and
    100 in a non-anonymous room), then the history, then the subject; every
    occupant item names handle@D, never a real JID."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.dave, room, "dave")
    mark = t.alice.mark()
    t.alice.send_raw("<message to='%s' type='groupchat'><subject>Order"
                     "</subject></message>" % room)
    t.alice.wait_for(is_subject(room), since=mark, what="subject change")
    say_and_wait(t.alice, room, "first", "alice", t.dave)
    say_and_wait(t.dave, room, "second", "dave", t.alice)
    mark_a = t.alice.mark()
    j = join(t.bob, room, "bob")
    kinds = []
    for el in j.stanzas:
        if el is j.self_presence:
            kinds.append("self")
        elif local(el) == "presence":
            kinds.append("presence")
        elif el is j.subject:
            kinds.append("subject")
        elif local(el) == "message" and body_of(el) is not None:
            kinds.append("history")
        else:
            kinds.append(local(el))
    assert kinds == ["presence", "presence", "self", "history", "history",
                     "subject"], kinds
    others = {el.get("from"): muc_item(el) for el in j.presences()}
    assert set(others) == {occ(room, "alice"), occ(room, "dave")}, others
    assert others[occ(room, "alice")].get("jid") == addr("alice")
    assert others[occ(room, "alice")].get("affiliation") == "owner"
    assert others[occ(room, "alice")].get("role") == "moderator"
    assert others[occ(room, "dave")].get("jid") == addr("dave")
    assert others[occ(room, "dave")].get("affiliation") == "member"
    assert others[occ(room, "dave")].get("role") == "participant"
    assert {"100", "110"} <= j.codes(), h.xml_text(j.self_presence)
    item = muc_item(j.self_presence)
    assert item.get("affiliation") == "member" and item.get("role") == "participant"
    assert item.get("jid") in (None, addr("bob")), h.xml_text(j.self_presence)
    assert [body_of(el) for el in j.history()] == ["first", "second"]
    for el in j.history():
        d = el.find(q(DELAY, "delay"))
        assert d is not None and d.get("stamp"), h.xml_text(el)
        assert d.get("from") == room, h.xml_text(el)
    assert j.subject.find(q(CLIENT, "subject")).text == "Order"
    # alice sees bob arrive, with his address and no 110.
    got = t.alice.wait_for(is_presence(occ(room, "bob")), since=mark_a,
                           what="bob's arrival at alice")
    assert muc_item(got).get("jid") == addr("bob"), h.xml_text(got)
    assert "110" not in status_codes(got)
    private(t.alice, t.bob, t.dave)


def test_empty_subject_sent_on_join(daemon, connect):
    """§7.2.15: a room without a subject still sends an empty <subject/>."""
    t = trio(daemon, connect)
    room = t.room("bob")
    j = join(t.bob, room, "bob")
    assert not (j.subject.find(q(CLIENT, "subject")).text or "")
    assert j.history() == []


def test_subject_change(daemon, connect):
    """§8.1: a moderator changes the subject, every occupant gets it and
    later joiners too; a participant may only if the configuration says
    so (forbidden otherwise)."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.bob, room, "bob")
    marks = [c.mark() for c in (t.alice, t.bob)]
    t.alice.send_raw("<message to='%s' type='groupchat' id='subj-1'><subject>"
                     "Plans</subject></message>" % room)
    for c, m in zip((t.alice, t.bob), marks):
        got = c.wait_for(is_subject(room), since=m, what="the new subject")
        assert got.find(q(CLIENT, "subject")).text == "Plans"
        assert got.get("from") in (room, occ(room, "alice")), h.xml_text(got)
    j = join(t.dave, room, "dave")
    assert j.subject.find(q(CLIENT, "subject")).text == "Plans"
    _, _, forms = info_parts(disco_info(t.dave, room))
    assert forms[ROOMINFO].get("muc#roominfo_subject") == ["Plans"], forms
    may = truthy(form_fields(config_form(t.alice, room)).get(
        "muc#roomconfig_changesubject"))
    mark = t.bob.mark()
    t.bob.send_raw("<message to='%s' type='groupchat' id='subj-2'><subject>"
                   "Mine</subject></message>" % room)
    if may:
        t.bob.wait_for(is_subject(room), since=mark, what="bob's subject")
    else:
        err = t.bob.wait_for(is_reply("subj-2"), since=mark,
                             what="refusal of bob's subject")
        assert h.error_condition(err) == "forbidden", h.xml_text(err)
        assert error_type(err) == "auth"
    private(t.alice, t.bob, t.dave)


def test_members_only_refuses_others(daemon, connect):
    """§7.2.6: a linked non-member and an unlinked account both get
    <registration-required/> (type auth)."""
    t = trio(daemon, connect)
    room = t.room("bob")
    err = join_error(t.dave, room, "dave")
    assert h.error_condition(err) == "registration-required", h.xml_text(err)
    assert error_type(err) == "auth", h.xml_text(err)
    carol = connect("carol", host=h.OUTSIDE)
    err = join_error(carol, room, "carol")
    assert h.error_condition(err) == "registration-required", h.xml_text(err)
    assert error_type(err) == "auth", h.xml_text(err)
    private(t.dave, carol)


def test_unlinked_by_the_platform_leaves_rooms(daemon, connect):
    """An account the platform unlinks (backchannelctl, another process)
    leaves the rooms it is in (§9.4 status 321): the change log tells the
    daemon within a moment, and the others see it go."""
    t = trio(daemon, connect)
    room = t.room("bob")
    join(t.bob, room, "bob")
    marks = (t.alice.mark(), t.bob.mark())
    ctl_ok(daemon, "unlink", "bob", "bob@" + h.HOST)
    for c, mark in zip((t.alice, t.bob), marks):
        c.wait_for(lambda el: local(el) == "presence"
                   and el.get("type") == "unavailable"
                   and el.get("from") == occ(room, "bob")
                   and "321" in status_codes(el), since=mark, timeout=5,
                   what="bob out of the room, at " + c.bare)
    private(t.alice, t.bob)


def test_unlinked_cannot_create(daemon, connect):
    """Creating a room needs a linked account: an unlinked JID gets
    <registration-required/>, and no room exists afterwards."""
    carol = connect("carol", host=h.OUTSIDE)
    ctl_ok(daemon, "identity", "add", "alice")
    alice = connect("alice")
    link(daemon, alice, "alice")
    room = fresh_room()
    err = join_error(carol, room, "carol")
    assert h.error_condition(err) == "registration-required", h.xml_text(err)
    # The name is still free: alice creates it.
    create_room(alice, room, "alice")


def test_join_without_nick(daemon, connect):
    """§7.2.1: presence to the bare room JID is <jid-malformed/>."""
    t = trio(daemon, connect)
    room = t.room("bob")
    mark = t.bob.mark()
    t.bob.send_raw("<presence to='%s' id='nonick'><x xmlns='%s'/></presence>"
                   % (room, MUC))
    err = t.bob.wait_for(lambda el: el.get("id") == "nonick", since=mark,
                         what="answer to a join without a nick")
    assert err.get("type") == "error"
    assert h.error_condition(err) == "jid-malformed", h.xml_text(err)
    assert error_type(err) == "modify"


def test_nick_conflict(daemon, connect):
    """§7.2.8: another identity cannot enter under a nick in use, nor
    (§7.15) under a member's reserved nick, their handle, while the member
    is away, nor change to it (§7.6)."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    err = join_error(t.dave, room, "bob")
    assert h.error_condition(err) == "conflict", h.xml_text(err)
    join(t.dave, room, "dave")
    mark = t.dave.mark()
    t.dave.send_raw("<presence to='%s' id='nc-res'/>" % occ(room, "bob"))
    err = t.dave.wait_for(lambda el: el.get("id") == "nc-res"
                          or (local(el) == "presence"
                              and el.get("type") == "error"), since=mark,
                          what="refusal of a reserved nick")
    assert h.error_condition(err) == "conflict", h.xml_text(err)
    leave(t.dave, room, "dave")
    join(t.bob, room, "bob")
    err = join_error(t.dave, room, "bob")
    assert h.error_condition(err) == "conflict", h.xml_text(err)
    assert error_type(err) == "cancel", h.xml_text(err)
    # dave under his own nick is fine, and bob saw no second "bob".
    join(t.dave, room, "dave")
    private(t.bob, t.dave)


def test_reserved_nick_is_the_handle(daemon, connect):
    """§7.15: the nick a member is offered is their handle."""
    t = trio(daemon, connect)
    room = t.room("bob")
    r = disco_info(t.bob, room, node="x-roomuser-item")
    idents, _, _ = info_parts(r)
    assert ("conference", "text", "bob") in idents, h.xml_text(r)


def test_nick_change(daemon, connect):
    """§7.6: unavailable with 303 and the new nick, then available under the
    new nick, to everyone (110 on the changer's own copies); a nick in use
    is <conflict/>."""
    t = trio(daemon, connect)
    room = t.room("bob")
    join(t.bob, room, "bob")
    ma, mb = t.alice.mark(), t.bob.mark()
    t.bob.send_raw("<presence to='%s'/>" % occ(room, "bobby"))
    for c, m, own in ((t.alice, ma, False), (t.bob, mb, True)):
        gone = c.wait_for(is_presence(occ(room, "bob"), "unavailable"), since=m,
                          what="303 for the old nick")
        assert "303" in status_codes(gone), h.xml_text(gone)
        assert muc_item(gone).get("nick") == "bobby", h.xml_text(gone)
        assert ("110" in status_codes(gone)) == own
        new = c.wait_for(is_presence(occ(room, "bobby")), since=m,
                         what="presence of the new nick")
        assert ("110" in status_codes(new)) == own
        assert c.received.index(gone, m) < c.received.index(new, m)
        assert muc_item(new).get("jid") in ((None, addr("bob")) if own
                                            else (addr("bob"),))
    say_and_wait(t.bob, room, "renamed", "bobby", t.alice)
    mark = t.bob.mark()
    t.bob.send_raw("<presence to='%s' id='nc-1'/>" % occ(room, "alice"))
    err = t.bob.wait_for(lambda el: el.get("id") == "nc-1"
                         or (local(el) == "presence"
                             and el.get("type") == "error"), since=mark,
                         what="refusal of a nick in use")
    assert h.error_condition(err) == "conflict", h.xml_text(err)
    private(t.alice, t.bob)


def test_leave(daemon, connect):
    """§7.14: the leaver gets unavailable with 110 and role none, the
    others unavailable without 110; afterwards the room refuses its
    messages (§7.4, §7.5)."""
    t = trio(daemon, connect)
    room = t.room("bob")
    join(t.bob, room, "bob")
    ma = t.alice.mark()
    gone = leave(t.bob, room, "bob")
    assert muc_item(gone).get("role") == "none", h.xml_text(gone)
    other = t.alice.wait_for(is_presence(occ(room, "bob"), "unavailable"),
                             since=ma, what="bob leaving, at alice")
    assert "110" not in status_codes(other)
    assert muc_item(other).get("role") == "none"
    mark = t.bob.mark()
    say(t.bob, room, "not in", mid="out-1")
    say(t.bob, room, "not in either", mid="out-2", to=occ(room, "alice"),
        mtype="chat")
    e1 = t.bob.wait_for(is_reply("out-1"), since=mark, what="groupchat refusal")
    e2 = t.bob.wait_for(is_reply("out-2"), since=mark, what="private refusal")
    assert h.error_condition(e1) in ("not-acceptable", "forbidden"), h.xml_text(e1)
    assert h.error_condition(e2) == "not-acceptable", h.xml_text(e2)
    settle(t.bob)
    settle(t.alice)
    for el in t.alice.received[ma:]:
        assert body_of(el) not in ("not in", "not in either"), h.xml_text(el)
    private(t.alice, t.bob)


def test_groupchat_reflected(daemon, connect):
    """§7.4: a message goes to every occupant, the sender too, from the
    sender's occupant JID with the sender's id."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.bob, room, "bob")
    join(t.dave, room, "dave")
    marks = [c.mark() for c in (t.alice, t.bob, t.dave)]
    # A muc#user <x/> of the sender's own, naming a real JID, must not be
    # passed on (the scan below would find it).
    say(t.bob, room, "hello all", mid="hello-1", extra=(
        "<x xmlns='%s'><item affiliation='owner' jid='%s'/></x>"
        % (MUC_USER, t.bob.bare)))
    for c, m in zip((t.alice, t.bob, t.dave), marks):
        got = c.wait_for(is_groupchat(room, "hello all", "bob"), since=m,
                         what="the reflected message")
        assert got.get("id") == "hello-1", h.xml_text(got)
    private(t.alice, t.dave)


def test_private_message(daemon, connect):
    """§7.5: a private message between occupants who know each other
    arrives from the sender's occupant JID; to a nick not in the room it
    is <item-not-found/>, of type groupchat <bad-request/>."""
    t = trio(daemon, connect)
    room = t.room("bob")
    join(t.bob, room, "bob")
    mark = t.bob.mark()
    t.alice.send_raw("<message to='%s' type='chat' id='pm-1'><body>psst</body>"
                     "<x xmlns='%s'/></message>" % (occ(room, "bob"), MUC_USER))
    got = t.bob.wait_for(lambda el: local(el) == "message"
                         and body_of(el) == "psst", since=mark,
                         what="the private message")
    assert got.get("from") == occ(room, "alice"), h.xml_text(got)
    assert got.get("type") == "chat"
    assert muc_user(got) is not None, h.xml_text(got)
    mark = t.bob.mark()
    t.bob.send_raw("<message to='%s' type='chat' id='pm-2'><body>back</body>"
                   "</message>" % occ(room, "alice"))
    t.alice.wait_for(lambda el: el.get("from") == occ(room, "bob")
                     and body_of(el) == "back", what="bob's answer")
    say(t.bob, room, "x", mid="pm-3", to=occ(room, "nobody"), mtype="chat")
    say(t.bob, room, "y", mid="pm-4", to=occ(room, "alice"), mtype="groupchat")
    e3 = t.bob.wait_for(is_reply("pm-3"), since=mark, what="no such nick")
    e4 = t.bob.wait_for(is_reply("pm-4"), since=mark, what="groupchat PM")
    assert h.error_condition(e3) == "item-not-found", h.xml_text(e3)
    assert h.error_condition(e4) == "bad-request", h.xml_text(e4)
    private(t.alice, t.bob)


@pytest.mark.parametrize("second", ["account", "resource"])
def test_one_occupant_per_identity(daemon, connect, second):
    """Two sessions of one identity (two linked accounts, or two resources
    of one account) are one occupant: both get the room's traffic and
    private messages; the others see one arrival, and a departure only when
    the last session leaves."""
    ctl_ok(daemon, "identity", "add", "alice")
    ctl_ok(daemon, "identity", "add", "bob")
    a1, bob = connect("alice"), connect("bob")
    link(daemon, a1, "alice")
    if second == "account":
        a2 = connect("dave")
        link(daemon, a2, "alice")
    else:
        a2 = connect("alice", resource="second")
    link(daemon, bob, "bob")
    ctl_ok(daemon, "follow", "alice", "bob")
    ctl_ok(daemon, "follow", "bob", "alice")
    room = fresh_room()
    create_room(bob, room, "bob")
    grant(bob, room, addr("alice"))
    mb = bob.mark()
    join(a1, room, "alice")
    j2 = join(a2, room, "alice")
    others = {el.get("from") for el in j2.presences()}
    assert others == {occ(room, "bob")}, others
    settle(a2)
    settle(bob)
    assert not [el for el in bob.received[mb:]
                if is_presence(occ(room, "alice"), "unavailable")(el)]
    say_and_wait(bob, room, "to both", "bob", a1, a2)
    m1, m2 = a1.mark(), a2.mark()
    say(bob, room, "private to both", to=occ(room, "alice"), mtype="chat")
    for c, m in ((a1, m1), (a2, m2)):
        c.wait_for(lambda el: el.get("from") == occ(room, "bob")
                   and body_of(el) == "private to both", since=m,
                   what="the private message at each session")
    # Either session speaks as the one occupant.
    say_and_wait(a2, room, "from the second", "alice", bob, a1)
    mb = bob.mark()
    leave(a1, room, "alice")
    settle(a1)
    settle(bob)
    assert not [el for el in bob.received[mb:]
                if is_presence(occ(room, "alice"), "unavailable")(el)], \
        "alice left while a session of hers is still in the room"
    say_and_wait(bob, room, "still there?", "bob", a2)
    leave(a2, room, "alice")
    bob.wait_for(is_presence(occ(room, "alice"), "unavailable"), since=mb,
                 what="alice leaving with her last session")
    private(a1, a2, bob)


def test_outside_user_admitted(daemon, connect):
    """An outside user the room admits joins as their escaped address
    under D: that is what the others see, and they see handles."""
    ctl_ok(daemon, "identity", "add", "alice")
    alice = connect("alice")
    link(daemon, alice, "alice")
    carol = connect("carol", host=h.OUTSIDE)
    room = fresh_room()
    create_room(alice, room, "alice")
    carol_addr = escaped("carol@" + h.OUTSIDE)
    grant(alice, room, carol_addr)
    mark = alice.mark()
    j = join(carol, room, "carol")
    seen = {el.get("from"): muc_item(el) for el in j.presences()}
    assert seen[occ(room, "alice")].get("jid") == addr("alice"), seen
    got = alice.wait_for(is_presence(occ(room, "carol")), since=mark,
                         what="carol's arrival")
    assert muc_item(got).get("jid") == carol_addr, h.xml_text(got)
    say_and_wait(carol, room, "hi from outside", "carol", alice)
    say_and_wait(alice, room, "welcome", "alice", carol)
    members = affiliation_list(alice, room, "member")
    assert carol_addr in members, members
    private(alice, carol)
    for text in alice.stanzas():
        assert "carol@" + h.OUTSIDE not in text, text


def test_room_disco_info(daemon, connect):
    """§6.4: the room's identity and features, and the muc#roominfo form
    with the occupant count, the description and the subject."""
    t = trio(daemon, connect)
    room = t.room("bob")
    r = submit_config(t.alice, room, {"muc#roomconfig_roomname": "Info Room",
                                      "muc#roomconfig_roomdesc": "About it"})
    assert r.get("type") == "result", h.xml_text(r)
    mark = t.alice.mark()
    t.alice.send_raw("<message to='%s' type='groupchat'><subject>Now</subject>"
                     "</message>" % room)
    t.alice.wait_for(is_subject(room), since=mark, what="subject")
    join(t.bob, room, "bob")
    idents, feats, forms = info_parts(disco_info(t.bob, room))
    assert ("conference", "text", "Info Room") in idents, idents
    for var in (MUC, MAM, OCCUPANT_ID, "urn:xmpp:message-moderate:1"):
        assert var in feats, "%s missing: %s" % (var, sorted(feats))
    info = forms.get(ROOMINFO)
    assert info is not None, forms
    assert info.get("muc#roominfo_occupants") == ["2"], info
    assert info.get("muc#roominfo_description") == ["About it"], info
    assert info.get("muc#roominfo_subject") == ["Now"], info
    private(t.alice, t.bob)


def test_presence_update_and_forged_extension(daemon, connect):
    """§7.7: a change of availability reaches the others with its show and
    status; §17.3: the muc#user data an occupant puts in its own presence is
    not passed on, the room states the real role and affiliation once."""
    t = trio(daemon, connect)
    room = t.room("bob")
    join(t.bob, room, "bob")
    mark = t.alice.mark()
    t.bob.send_raw(
        "<presence to='%s'><show>away</show><status>brb</status><x xmlns='%s'>"
        "<item affiliation='owner' role='moderator' jid='%s'/><status code='110'/>"
        "</x></presence>" % (occ(room, "bob"), MUC_USER, addr("alice")))
    got = t.alice.wait_for(lambda el: is_presence(occ(room, "bob"))(el)
                           and el.find(q(CLIENT, "show")) is not None,
                           since=mark, what="bob's new availability")
    assert got.find(q(CLIENT, "show")).text == "away"
    assert got.find(q(CLIENT, "status")).text == "brb"
    xs = got.findall(q(MUC_USER, "x"))
    assert len(xs) == 1, h.xml_text(got)
    items = xs[0].findall(q(MUC_USER, "item"))
    assert len(items) == 1, h.xml_text(got)
    assert items[0].get("affiliation") == "member", h.xml_text(got)
    assert items[0].get("role") == "participant", h.xml_text(got)
    assert items[0].get("jid") == addr("bob"), h.xml_text(got)
    assert "110" not in status_codes(got), h.xml_text(got)
    private(t.alice, t.bob)


def test_iq_to_occupant_relayed(daemon, connect):
    """IQs between occupants go through their occupant JIDs (§17.4) and
    carry no real JID either way; a non-occupant's is refused."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.bob, room, "bob")
    mark = t.bob.mark()
    r = t.alice.iq_get(occ(room, "bob"), PING)
    assert r.get("type") == "result", h.xml_text(r)
    assert r.get("from") == occ(room, "bob"), h.xml_text(r)
    got = t.bob.wait_for(lambda el: local(el) == "iq" and el.get("type") == "get",
                         since=mark, what="the relayed ping")
    assert got.get("from") == occ(room, "alice"), h.xml_text(got)
    r = t.dave.iq_get(occ(room, "bob"), PING)
    assert r.get("type") == "error", h.xml_text(r)
    assert h.error_condition(r) in ("bad-request", "not-acceptable"), h.xml_text(r)
    private(t.alice, t.bob, t.dave)
