"""Moderation against a real server: a moderator resolves a report with the
ad-hoc command "moderation" (suspend), the reporter is told by D, the
suspended identity's messages get <policy-violation/> naming the end;
three distinct reporters (two members, one outside user's forwarded
report) restrict an outside spammer until backchannelctl resolves the
reports, and the daemon tells the reporters.  Every stanza the moderator,
the reporters and the reported receive is scanned for real JIDs."""

import re

import harness as h
from test_blocking import BLOCKING, REPORTING
from test_relay import addr, ctl_ok, is_message_from, link, local
from test_requests import COMMANDS, DATA, adhoc

MOD = "mod@" + h.HOST
ERIN = "erin@" + h.OUTSIDE
ERIN_ESCAPED = "erin\\40%s@%s" % (h.OUTSIDE, h.SERVICE)
CAROL = "carol@" + h.OUTSIDE
REAL = ["alice@" + h.HOST, "bob@" + h.HOST, "dave@" + h.HOST, MOD, ERIN,
        CAROL]
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def assert_no_real_jids(client, own, shown=()):
    """No stanza client received names anybody else's real JID (but those
    of shown: outside users who wrote to it, whose address under D is
    their escaped JID)."""
    for text in client.stanzas():
        for jid in REAL:
            if jid != own and jid not in shown:
                assert jid not in text, "%s got %s in:\n%s" % (own, jid, text)


def from_service(body_part):
    def pred(el):
        if local(el) != "message" or el.get("from") != h.SERVICE:
            return False
        b = el.find("{jabber:client}body")
        return b is not None and body_part in (b.text or "")
    return pred


def report(client, jid, text):
    reply = client.iq_set(h.SERVICE, (
        "<block xmlns='%s'><item jid='%s'><report xmlns='%s' "
        "reason='urn:xmpp:reporting:spam'><text>%s</text></report>"
        "</item></block>") % (BLOCKING, jid, REPORTING, text))
    assert reply.get("type") == "result", h.xml_text(reply)


def send_and_settle(client, to, body, mid):
    """Sends a chat message, then pings D: what D answered to the message
    has arrived by the time the ping's answer has.  Returns the error
    about the message, or None."""
    mark = client.mark()
    client.send_raw("<message to='%s' type='chat' id='%s'><body>%s</body>"
                    "</message>" % (to, mid, body))
    reply = client.iq_get(h.SERVICE, "<ping xmlns='urn:xmpp:ping'/>")
    assert reply.get("type") == "result", h.xml_text(reply)
    for el in client.received[mark:]:
        if local(el) == "message" and el.get("id") == mid and \
                el.get("type") == "error":
            return el
    return None


def error_text(el):
    t = el.find(".//{urn:ietf:params:xml:ns:xmpp-stanzas}text")
    return t.text if t is not None else ""


def test_resolve_with_suspend(daemon, connect):
    for handle in ("alice", "bob", "dave"):
        ctl_ok(daemon, "identity", "add", handle)
    alice, bob, dave = connect("alice"), connect("bob"), connect("dave")
    mod = connect("mod")
    link(daemon, alice, "alice")
    link(daemon, bob, "bob")
    link(daemon, dave, "dave")
    ctl_ok(daemon, "follow", "dave", "bob")

    # Members do not get the command.
    reply = alice.iq_set(h.SERVICE, "<command xmlns='%s' node='moderation' "
                         "action='execute'/>" % COMMANDS)
    assert h.error_condition(reply) == "forbidden", h.xml_text(reply)

    assert send_and_settle(bob, addr("alice"), "buy my pills", "ev-1") is None
    mark = mod.mark()
    report(alice, addr("bob"), "pills")
    mod.wait_for(lambda el: local(el) == "message"
                 and el.find("{%s}report" % REPORTING) is not None,
                 since=mark, what="the report at the moderator")

    cmd = adhoc(mod, "moderation")
    assert cmd.get("status") == "executing", h.xml_text(cmd)
    sid = cmd.get("sessionid")
    options = [v.text for v in cmd.iter("{%s}value" % DATA)]
    assert "1" in options, options
    cmd = adhoc(mod, "moderation", sid, {"report": "1"})
    fixed = [f.find("{%s}value" % DATA).text for f in cmd.iter(
        "{%s}field" % DATA) if f.get("type") == "fixed"]
    assert any("buy my pills" in (v or "") for v in fixed), fixed
    mark_a, mark_b = alice.mark(), bob.mark()
    cmd = adhoc(mod, "moderation", sid, {"outcome": "suspend",
                                         "duration": "1h",
                                         "note": "pill spam"})
    assert cmd.get("status") == "completed", h.xml_text(cmd)

    told = alice.wait_for(from_service("Your report 1 was reviewed"),
                          since=mark_a, what="the outcome at the reporter")
    body = told.find("{jabber:client}body").text
    m = re.search(r"%s is suspended until (%s)" % (re.escape(addr("bob")),
                                                   STAMP), body)
    assert m, body
    until = m.group(1)
    bob.wait_for(from_service("suspended you until " + until), since=mark_b,
                 what="the suspension notice")

    # bob cannot write to anyone, not even to dave who knows him.
    err = send_and_settle(bob, addr("dave"), "hello?", "sus-1")
    assert err is not None and h.error_condition(err) == "policy-violation"
    assert until in error_text(err), h.xml_text(err)
    # Nor to an outside user; alice, who blocked him, still looks like
    # nobody (the block is checked first).
    err = send_and_settle(bob, "carol\\40%s@%s" % (h.OUTSIDE, h.SERVICE),
                          "hi carol", "sus-2")
    assert err is not None and h.error_condition(err) == "policy-violation"
    err = send_and_settle(bob, addr("alice"), "sorry", "sus-4")
    assert err is not None and \
        h.error_condition(err) == "service-unavailable"

    out = ctl_ok(daemon, "report", "show", "1")
    assert "\tresolution\tsuspend\t" in out and MOD in out, out
    # Lifted: bob writes again.
    ctl_ok(daemon, "unsuspend", "bob")
    mark = dave.mark()
    assert send_and_settle(bob, addr("dave"), "back again", "sus-3") is None
    dave.wait_for(is_message_from(addr("bob"), "back again"), since=mark,
                  what="bob's message after the suspension")

    for client, own in ((alice, "alice@" + h.HOST), (bob, "bob@" + h.HOST),
                        (dave, "dave@" + h.HOST), (mod, MOD)):
        assert_no_real_jids(client, own)


def test_three_reporters_restrict(daemon, connect):
    for handle in ("alice", "bob", "dave"):
        ctl_ok(daemon, "identity", "add", handle)
    alice, bob, dave = connect("alice"), connect("bob"), connect("dave")
    carol = connect("carol", host=h.OUTSIDE)
    erin = connect("erin", host=h.OUTSIDE)
    mod = connect("mod")
    link(daemon, alice, "alice")
    link(daemon, bob, "bob")
    link(daemon, dave, "dave")

    # Two reporters, one by the escaped address, one by the real JID.
    report(alice, ERIN_ESCAPED, "spam")
    report(bob, ERIN, "more spam")
    assert send_and_settle(erin, addr("dave"), "hi dave", "rst-1") is None
    # The third: an outside user's report forwarded to D.
    mark = mod.mark()
    carol.send_raw(
        "<message to='%s' id='fwd-1'><report xmlns='%s' "
        "reason='urn:xmpp:reporting:spam'><jid xmlns='urn:xmpp:jid:0'>%s"
        "</jid><text>spam here too</text></report></message>"
        % (h.SERVICE, REPORTING, ERIN_ESCAPED))
    mod.wait_for(lambda el: local(el) == "message"
                 and el.find("{%s}report" % REPORTING) is not None,
                 since=mark, what="the forwarded report at the moderator")
    err = send_and_settle(erin, addr("dave"), "hi again", "rst-2")
    assert err is not None and h.error_condition(err) == "policy-violation", \
        err is not None and h.xml_text(err)
    assert "people who know you" in error_text(err)
    out = ctl_ok(daemon, "sanctions")
    assert out.startswith("erin\\40%s\t-\t" % h.OUTSIDE), out

    # backchannelctl resolves them; the daemon tells each reporter.
    marks = alice.mark(), bob.mark(), carol.mark()
    for rid in ("1", "2"):
        ctl_ok(daemon, "report", "resolve", rid, "dismiss")
    # One report still open: still restricted.
    err = send_and_settle(erin, addr("dave"), "third try", "rst-3")
    assert err is not None and h.error_condition(err) == "policy-violation"
    ctl_ok(daemon, "report", "resolve", "3", "warn", "--note", "stop it")
    for client, mark, rid in ((alice, marks[0], 1), (bob, marks[1], 2),
                              (carol, marks[2], 3)):
        client.wait_for(from_service("Your report %d was reviewed" % rid),
                        since=mark, timeout=10,
                        what="the outcome of report %d" % rid)
    erin.wait_for(from_service("warn you about your messages: stop it"),
                  timeout=10, what="the warning")
    assert send_and_settle(erin, addr("dave"), "last", "rst-4") is None
    assert ctl_ok(daemon, "sanctions") == ""

    for client, own in ((alice, "alice@" + h.HOST), (bob, "bob@" + h.HOST),
                        (carol, CAROL), (erin, ERIN)):
        assert_no_real_jids(client, own)
    assert_no_real_jids(dave, "dave@" + h.HOST, shown=(ERIN,))
    # The moderators are told who forwarded a report: an outside user by
    # its JID (xep/reports.c); never a member's.
    assert_no_real_jids(mod, MOD, shown=(CAROL,))
