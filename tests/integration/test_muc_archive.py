"""Group chats on M: what a room remembers and how it names things.
Discussion history on join and its limits (XEP-0045 §7.2.13-14, XEP-0203
stamps), XEP-0359 stanza ids stamped by the room, XEP-0421 occupant ids,
XEP-0313 archive queries with XEP-0059 paging and filters, XEP-0425
moderation (a retraction for the occupants, a tombstone in the archive),
XEP-0410 self-pings, and a kill -9 of the daemon: rooms, configuration,
affiliations, subject, archive and occupants all survive it."""

import base64
import hashlib
import secrets
import time

import harness as h
from test_relay import addr
from test_muc import (CLIENT, DATA, DELAY, MAM, OCCUPANT_ID, PING, affiliation_list,
                      body_of, config_form, disco_info, error_type, form_fields,
                      grant, info_parts, is_groupchat, is_presence, is_subject,
                      join, join_error, leave, muc_item, muc_user, occ,
                      occupant_id, private, q, say, say_and_wait, set_affiliation,
                      settle, stanza_ids, submit_config, trio)

RSM = "http://jabber.org/protocol/rsm"
FORWARD = "urn:xmpp:forward:0"
RETRACT = "urn:xmpp:message-retract:1"
MODERATE = "urn:xmpp:message-moderate:1"


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# -- XEP-0313 ----------------------------------------------------------------

class Page:
    """One archive query: the IQ reply, the result messages and their parts."""

    def __init__(self, reply, results):
        self.reply = reply
        self.results = results

    def ok(self):
        assert self.reply.get("type") == "result", h.xml_text(self.reply)
        return self

    def ids(self):
        return [r.find(q(MAM, "result")).get("id") for r in self.results]

    def dump(self):
        return "\n".join(h.xml_text(el) for el in self.results + [self.reply])

    def messages(self):
        return [r.find("%s/%s/%s" % (q(MAM, "result"), q(FORWARD, "forwarded"),
                                     q(CLIENT, "message"))) for r in self.results]

    def bodies(self):
        return [body_of(m) for m in self.messages()]

    def fin(self):
        return self.reply.find(q(MAM, "fin"))

    def complete(self):
        return self.fin().get("complete") in ("true", "1")

    def rsm(self, tag):
        el = self.fin().find("%s/%s" % (q(RSM, "set"), q(RSM, tag)))
        return None if el is None else el.text


def mam(client, room, fields=None, rsm=None, timeout=10):
    """Queries the room's archive; fields {var: value}, rsm the inner XML of
    the <set/>."""
    qid = "q" + secrets.token_hex(4)
    form = ""
    if fields is not None:
        form = ("<x xmlns='%s' type='submit'><field var='FORM_TYPE' type='hidden'>"
                "<value>%s</value></field>%s</x>" % (DATA, MAM, "".join(
                    "<field var='%s'><value>%s</value></field>" % kv
                    for kv in fields.items())))
    rset = "<set xmlns='%s'>%s</set>" % (RSM, rsm) if rsm is not None else ""
    mark = client.mark()
    reply = client.iq_set(room, "<query xmlns='%s' queryid='%s'>%s%s</query>"
                          % (MAM, qid, form, rset), timeout=timeout)
    with client.lock:
        got = client.received[mark:]
    results = [el for el in got if local_is_result(el, qid)]
    for el in results:
        assert el.get("from") == room, h.xml_text(el)
    return Page(reply, results)


def local_is_result(el, qid):
    r = el.find(q(MAM, "result"))
    return r is not None and r.get("queryid") == qid


def chat(t, room, bodies):
    """alice and bob take turns saying bodies; returns the stanza ids the
    room stamped, as alice saw them."""
    ids = []
    for i, body in enumerate(bodies):
        sender, nick, other = ((t.alice, "alice", t.bob) if i % 2 == 0
                               else (t.bob, "bob", t.alice))
        mark = t.alice.mark()
        say_and_wait(sender, room, body, nick, other)
        got = t.alice.wait_for(is_groupchat(room, body, nick), since=mark,
                               what=body)
        sids = stanza_ids(got, room)
        assert len(sids) == 1, h.xml_text(got)
        ids.append(sids[0])
    return ids


# -- history -----------------------------------------------------------------

def test_history_on_rejoin(daemon, connect):
    """§7.2.13: coming back, bob gets what was said, oldest first, each
    from the speaker's occupant JID with a XEP-0203 stamp from the room, a
    stanza id and an occupant id."""
    t = trio(daemon, connect)
    room = t.room("bob")
    join(t.bob, room, "bob")
    say_and_wait(t.bob, room, "before I go", "bob", t.alice)
    leave(t.bob, room, "bob")
    for i in range(3):
        say_and_wait(t.alice, room, "while away %d" % i, "alice")
    j = join(t.bob, room, "bob")
    hist = j.history()
    assert [body_of(el) for el in hist] == [
        "before I go", "while away 0", "while away 1", "while away 2"]
    for el, nick in zip(hist, ("bob", "alice", "alice", "alice")):
        assert el.get("from") == occ(room, nick), h.xml_text(el)
        d = el.find(q(DELAY, "delay"))
        assert d is not None and d.get("from") == room and d.get("stamp"), \
            h.xml_text(el)
        assert len(stanza_ids(el, room)) == 1, h.xml_text(el)
        assert occupant_id(el), h.xml_text(el)
    private(t.alice, t.bob)


def test_history_limits(daemon, connect):
    """§7.2.14: maxstanzas, maxchars, seconds and since each cut the
    history the way the joiner asked."""
    t = trio(daemon, connect)
    room = t.room("bob")
    for i in range(3):
        say_and_wait(t.alice, room, "old %d" % i, "alice")
    time.sleep(2.2)  # a gap the time limits can see, at second precision
    since = utc(int(time.time()))
    for i in range(2):
        say_and_wait(t.alice, room, "new %d" % i, "alice")
    everything = ["old 0", "old 1", "old 2", "new 0", "new 1"]
    for history, want in (
            ({"maxstanzas": "2"}, ["new 0", "new 1"]),
            ({"maxstanzas": "0"}, []),
            ({"maxchars": "0"}, []),
            ({"maxchars": "1"}, []),
            ({"seconds": "2"}, ["new 0", "new 1"]),
            ({"since": since}, ["new 0", "new 1"]),
            ({"since": "1970-01-01T00:00:00Z"}, everything),
            ({"seconds": "3600", "maxstanzas": "1"}, ["new 1"]),
            (None, everything)):
        j = join(t.bob, room, "bob", history=history)
        got = [body_of(el) for el in j.history()]
        assert got == want, "history %s: got %s, want %s" % (history, got, want)
        leave(t.bob, room, "bob")
    private(t.alice, t.bob)


# -- XEP-0359 and XEP-0421 ---------------------------------------------------

def test_stanza_id_and_occupant_id(daemon, connect):
    """Every groupchat message carries one <stanza-id by='room@M'/>, the same
    for every recipient, and a forged one is not passed on; occupant ids
    are the room's own, the same in presence and messages, stable across
    rejoins, one per identity, and not derived from the handle."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.bob, room, "bob")
    join(t.dave, room, "dave")
    marks = [c.mark() for c in (t.alice, t.bob, t.dave)]
    say(t.bob, room, "stamped", extra=(
        "<stanza-id xmlns='urn:xmpp:sid:0' by='%s' id='forged-sid'/>"
        "<occupant-id xmlns='%s' id='forged-oid'/>" % (room, OCCUPANT_ID)))
    copies = [c.wait_for(is_groupchat(room, "stamped", "bob"), since=m,
                         what="the stamped message")
              for c, m in zip((t.alice, t.bob, t.dave), marks)]
    sids = [stanza_ids(el, room) for el in copies]
    for s, el in zip(sids, copies):
        assert len(s) == 1 and s[0] != "forged-sid", h.xml_text(el)
    assert sids[0] == sids[1] == sids[2]
    oids = [occupant_id(el) for el in copies]
    assert oids[0] and oids[0] != "forged-oid", h.xml_text(copies[0])
    assert oids[0] == oids[1] == oids[2]
    bob_oid = oids[0]
    # bob's presence at alice carries the same id; alice's own is another.
    pres = [el for el in t.alice.received if is_presence(occ(room, "bob"))(el)]
    assert pres and occupant_id(pres[-1]) == bob_oid, h.xml_text(pres[-1])
    alice_msg = say_and_wait(t.alice, room, "mine", "alice", t.bob)
    alice_oid = occupant_id(alice_msg)
    assert alice_oid and alice_oid != bob_oid
    # Stable across a rejoin.
    leave(t.bob, room, "bob")
    mark = t.alice.mark()
    join(t.bob, room, "bob")
    back = t.alice.wait_for(is_presence(occ(room, "bob")), since=mark,
                            what="bob back")
    assert occupant_id(back) == bob_oid, h.xml_text(back)
    # Not the handle, nor a plain hash of it.
    for s in ("bob", addr("bob"), "bob@" + h.HOST):
        raw = s.encode()
        for digest in (hashlib.sha1, hashlib.sha256, hashlib.md5):
            d = digest(raw)
            assert bob_oid not in (d.hexdigest(),
                                   base64.b64encode(d.digest()).decode(),
                                   base64.urlsafe_b64encode(d.digest())
                                   .decode().rstrip("="))
        assert s not in bob_oid
    private(t.alice, t.bob, t.dave)


# -- XEP-0313 ----------------------------------------------------------------

def test_archive_paging(daemon, connect):
    """XEP-0313 with XEP-0059: pages in order, ids that are the stanza ids
    the room stamped, <after/>, an empty <before/> for the last page,
    complete='true' on the last one; each result from the occupant JID
    without a 'to', with a stamp and the occupant id."""
    t = trio(daemon, connect)
    room = t.room("bob")
    join(t.bob, room, "bob")
    bodies = ["p%d" % i for i in range(7)]
    sids = chat(t, room, bodies)
    p1 = mam(t.bob, room, rsm="<max>3</max>").ok()
    assert p1.bodies() == bodies[0:3], p1.dump()
    assert p1.ids() == sids[0:3]
    assert not p1.complete()
    assert p1.rsm("first") == sids[0] and p1.rsm("last") == sids[2]
    assert p1.rsm("count") in (None, "7")
    p2 = mam(t.bob, room, rsm="<max>3</max><after>%s</after>" % sids[2]).ok()
    assert p2.bodies() == bodies[3:6], p2.dump()
    assert not p2.complete()
    p3 = mam(t.bob, room, rsm="<max>3</max><after>%s</after>" % sids[5]).ok()
    assert p3.bodies() == bodies[6:], p3.dump()
    assert p3.complete(), h.xml_text(p3.reply)
    last = mam(t.bob, room, rsm="<max>3</max><before/>").ok()
    assert last.bodies() == bodies[4:], last.dump()
    mid = mam(t.bob, room, rsm="<max>2</max><before>%s</before>" % sids[4]).ok()
    assert mid.bodies() == bodies[2:4], mid.dump()
    whole = mam(t.alice, room).ok()
    assert whole.bodies() == bodies and whole.complete()
    for r, m in zip(whole.results, whole.messages()):
        fwd = r.find("%s/%s" % (q(MAM, "result"), q(FORWARD, "forwarded")))
        d = fwd.find(q(DELAY, "delay"))
        assert d is not None and d.get("stamp"), h.xml_text(r)
        assert m.get("to") is None, h.xml_text(r)
        assert m.get("from") in (occ(room, "alice"), occ(room, "bob")), h.xml_text(r)
        assert m.get("type") == "groupchat"
        assert occupant_id(m), h.xml_text(r)
        x = muc_user(m)
        if x is not None:
            item = muc_item(m)
            nick = m.get("from").split("/", 1)[1]
            assert item.get("jid") == addr(nick), h.xml_text(r)
    private(t.alice, t.bob)


def test_archive_filters_and_errors(daemon, connect):
    """XEP-0313 §4.1: the form lists with/start/end; 'with' picks one
    member's messages, start and end a time span; an unknown field is
    <feature-not-implemented/>, an unknown <after/> <item-not-found/>; a
    non-member may not read a members-only room's archive."""
    t = trio(daemon, connect)
    room = t.room("bob")
    join(t.bob, room, "bob")
    r = t.bob.iq_get(room, "<query xmlns='%s'/>" % MAM)
    assert r.get("type") == "result", h.xml_text(r)
    fields = form_fields(r.find("%s/%s" % (q(MAM, "query"), q(DATA, "x"))))
    assert fields.get("FORM_TYPE") == [MAM]
    assert {"with", "start", "end"} <= set(fields), fields
    chat(t, room, ["a0", "b0", "a1", "b1"])
    time.sleep(2.2)  # a gap the time filters can see, at second precision
    split = int(time.time())
    chat(t, room, ["a2", "b2"])
    page = mam(t.alice, room, {"with": addr("bob")}).ok()
    assert page.bodies() == ["b0", "b1", "b2"], page.dump()
    page = mam(t.alice, room, {"start": utc(split)}).ok()
    assert page.bodies() == ["a2", "b2"], page.dump()
    page = mam(t.alice, room, {"end": utc(split - 1)}).ok()
    assert page.bodies() == ["a0", "b0", "a1", "b1"], page.dump()
    page = mam(t.alice, room, {"start": utc(split), "with": addr("alice")}).ok()
    assert page.bodies() == ["a2"], page.dump()
    page = mam(t.alice, room, {"{urn:example}nonsense": "x"})
    assert h.error_condition(page.reply) == "feature-not-implemented", \
        h.xml_text(page.reply)
    page = mam(t.alice, room, rsm="<max>2</max><after>no-such-id</after>")
    assert h.error_condition(page.reply) == "item-not-found", h.xml_text(page.reply)
    assert page.results == []
    page = mam(t.dave, room)
    assert page.reply.get("type") == "error", h.xml_text(page.reply)
    assert error_type(page.reply) == "auth", h.xml_text(page.reply)
    assert page.results == []
    private(t.alice, t.bob, t.dave)


# -- XEP-0425 ----------------------------------------------------------------

def moderate(client, room, sid, reason):
    return client.iq_set(room, "<moderate xmlns='%s' id='%s'><retract xmlns='%s'/>"
                         "<reason>%s</reason></moderate>"
                         % (MODERATE, sid, RETRACT, reason))


def test_moderation(daemon, connect):
    """XEP-0425: a participant may not moderate (<forbidden/>); a moderator
    retracts a message by its stanza id with a reason, every occupant gets
    the retraction from the room, the archive keeps a tombstone without
    the text, and later joiners do not get the text in the history."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.bob, room, "bob")
    join(t.dave, room, "dave")
    got = say_and_wait(t.bob, room, "something awful", "bob", t.alice, t.dave)
    sid = stanza_ids(got, room)[0]
    ok = say_and_wait(t.dave, room, "something fine", "dave", t.alice, t.bob)
    ok_sid = stanza_ids(ok, room)[0]
    r = moderate(t.bob, room, ok_sid, "mine now")
    assert h.error_condition(r) == "forbidden", h.xml_text(r)
    r = moderate(t.alice, room, "no-such-id", "x")
    assert h.error_condition(r) == "item-not-found", h.xml_text(r)
    marks = [c.mark() for c in (t.alice, t.bob, t.dave)]
    r = moderate(t.alice, room, sid, "not here")
    assert r.get("type") == "result", h.xml_text(r)
    for c, m in zip((t.alice, t.bob, t.dave), marks):
        el = c.wait_for(lambda s: s.find(q(RETRACT, "retract")) is not None,
                        since=m, what="the retraction")
        assert el.get("from") == room, h.xml_text(el)
        assert el.get("type") == "groupchat", h.xml_text(el)
        retract = el.find(q(RETRACT, "retract"))
        assert retract.get("id") == sid, h.xml_text(el)
        moderated = retract.find(q(MODERATE, "moderated"))
        assert moderated is not None, h.xml_text(el)
        assert moderated.get("by") in (None, room, occ(room, "alice"),
                                       addr("alice")), h.xml_text(el)
        assert retract.find(q(RETRACT, "reason")).text == "not here"
    page = mam(t.bob, room).ok()
    by_id = dict(zip(page.ids(), page.results))
    assert sid in by_id and ok_sid in by_id, page.ids()
    tomb = by_id[sid]
    assert "something awful" not in h.xml_text(tomb), h.xml_text(tomb)
    msg = tomb.find("%s/%s/%s" % (q(MAM, "result"), q(FORWARD, "forwarded"),
                                  q(CLIENT, "message")))
    retracted = msg.find(q(RETRACT, "retracted"))
    assert retracted is not None, h.xml_text(tomb)
    assert retracted.find(q(MODERATE, "moderated")) is not None, h.xml_text(tomb)
    assert "something fine" in h.xml_text(by_id[ok_sid])
    leave(t.dave, room, "dave")
    j = join(t.dave, room, "dave")
    for el in j.history():
        assert "something awful" not in h.xml_text(el), h.xml_text(el)
    assert "something fine" in [body_of(el) for el in j.history()]
    private(t.alice, t.bob, t.dave)


# -- XEP-0410 ----------------------------------------------------------------

def test_self_ping(daemon, connect):
    """XEP-0410: a joined occupant's self-ping is answered with a result; a
    member who is not in the room, or no longer, gets <not-acceptable/>."""
    t = trio(daemon, connect)
    room = t.room("bob", "dave")
    join(t.bob, room, "bob")
    r = t.bob.iq_get(occ(room, "bob"), PING)
    assert r.get("type") == "result", h.xml_text(r)
    assert r.get("from") == occ(room, "bob"), h.xml_text(r)
    r = t.dave.iq_get(occ(room, "dave"), PING)
    assert h.error_condition(r) == "not-acceptable", h.xml_text(r)
    leave(t.bob, room, "bob")
    r = t.bob.iq_get(occ(room, "bob"), PING)
    assert h.error_condition(r) == "not-acceptable", h.xml_text(r)
    private(t.bob, t.dave)


# -- kill -9 -----------------------------------------------------------------

def test_kill9_keeps_rooms_archive_and_occupants(daemon, connect):
    """kill -9 and a restart: the configuration, affiliations, subject and
    archive are still there, and so are the occupants: clients that stayed
    connected are still joined (self-ping answers, messages flow) without
    rejoining."""
    t = trio(daemon, connect)
    room = t.room("bob")
    r = submit_config(t.alice, room, {"muc#roomconfig_roomname": "Durable"})
    assert r.get("type") == "result", h.xml_text(r)
    r = set_affiliation(t.alice, room, addr("dave"), "outcast")
    assert r.get("type") == "result", h.xml_text(r)
    join(t.bob, room, "bob")
    mark = t.alice.mark()
    t.alice.send_raw("<message to='%s' type='groupchat'><subject>Kept</subject>"
                     "</message>" % room)
    t.alice.wait_for(is_subject(room), since=mark, what="subject")
    say_and_wait(t.alice, room, "before 1", "alice", t.bob)
    say_and_wait(t.bob, room, "before 2", "bob", t.alice)
    settle(t.alice, t.bob)
    daemon.kill9()
    daemon.start()
    daemon.wait_ready(connect("probe", resource="again"))
    for c, nick in ((t.alice, "alice"), (t.bob, "bob")):
        r = c.iq_get(occ(room, nick), PING)
        assert r.get("type") == "result", "%s not joined after the restart: %s" % (
            nick, h.xml_text(r))
    say_and_wait(t.bob, room, "after", "bob", t.alice)
    idents, _, forms = info_parts(disco_info(t.alice, room))
    assert ("conference", "text", "Durable") in idents, idents
    info = forms.get("http://jabber.org/protocol/muc#roominfo", {})
    assert info.get("muc#roominfo_occupants") == ["2"], info
    assert info.get("muc#roominfo_subject") == ["Kept"], info
    assert form_fields(config_form(t.alice, room))["muc#roomconfig_roomname"] \
        == ["Durable"]
    assert set(affiliation_list(t.alice, room, "member")) == {addr("bob")}
    assert set(affiliation_list(t.alice, room, "outcast")) == {addr("dave")}
    assert set(affiliation_list(t.alice, room, "owner")) == {addr("alice")}
    err = join_error(t.dave, room, "dave")
    assert h.error_condition(err) == "forbidden", h.xml_text(err)
    page = mam(t.bob, room).ok()
    assert page.bodies() == ["before 1", "before 2", "after"], page.dump()
    # A rejoin sees the restored occupant and the kept subject.
    leave(t.bob, room, "bob")
    grant(t.alice, room, addr("dave"))
    j = join(t.dave, room, "dave")
    assert {el.get("from") for el in j.presences()} == {occ(room, "alice")}
    assert j.subject.find(q(CLIENT, "subject")).text == "Kept"
    assert [body_of(el) for el in j.history()] == ["before 1", "before 2", "after"]
    private(t.alice, t.bob, t.dave)


def test_server_connection_loss_keeps_occupants(server, daemon, connect):
    """The daemon loses its connections to the server and reconnects: the
    occupants that stayed connected are still joined, without rejoining."""
    t = trio(daemon, connect)
    room = t.room("bob")
    join(t.bob, room, "bob")
    say_and_wait(t.bob, room, "before the cut", "bob", t.alice)
    server.drop_components()
    daemon.wait_ready(connect("probe", resource="again"), timeout=30)
    assert daemon.running(), daemon.log_tail()
    for c, nick in ((t.alice, "alice"), (t.bob, "bob")):
        r = c.iq_get(occ(room, nick), PING)
        assert r.get("type") == "result", "%s not joined after the reconnect: %s" % (
            nick, h.xml_text(r))
    say_and_wait(t.bob, room, "after the cut", "bob", t.alice)
    _, _, forms = info_parts(disco_info(t.alice, room))
    info = forms.get("http://jabber.org/protocol/muc#roominfo", {})
    assert info.get("muc#roominfo_occupants") == ["2"], info
    private(t.alice, t.bob)
