"""Foundation: the daemon connects both component domains, answers the
service-level IQs (disco, ping, version), rejects what it does not handle,
survives a server restart, stops cleanly and checks its configuration."""

import os
import re
import signal

import pytest

import harness as h
from harness import NS

PING = "<ping xmlns='urn:xmpp:ping'/>"
DISCO_INFO = "<query xmlns='http://jabber.org/protocol/disco#info'/>"


def q(tag, ns):
    return "{%s}%s" % (NS[ns], tag)


def result(reply):
    assert reply.get("type") == "result", h.xml_text(reply)
    return reply


def identities(reply):
    query = result(reply).find(q("query", "disco_info"))
    assert query is not None, h.xml_text(reply)
    return {(i.get("category"), i.get("type"))
            for i in query.findall(q("identity", "disco_info"))}


def features(reply):
    query = result(reply).find(q("query", "disco_info"))
    assert query is not None, h.xml_text(reply)
    return {f.get("var") for f in query.findall(q("feature", "disco_info"))}


def forms(reply):
    """XEP-0128 extended info: {FORM_TYPE: {var: [values]}}."""
    out = {}
    query = result(reply).find(q("query", "disco_info"))
    for x in query.findall(q("x", "data")):
        fields = {}
        for field in x.findall(q("field", "data")):
            fields[field.get("var")] = [v.text or "" for v in field.findall(q("value", "data"))]
        form_type = fields.get("FORM_TYPE", [None])[0]
        out[form_type] = fields
    return out


def test_disco_info_service(daemon, connect):
    alice = connect("alice")
    reply = alice.iq_get(h.SERVICE, DISCO_INFO)
    cats = {c for c, _ in identities(reply)}
    assert "gateway" in cats, h.xml_text(reply)
    assert "component" in cats, h.xml_text(reply)
    feats = features(reply)
    for var in ("http://jabber.org/protocol/disco#info",
                "http://jabber.org/protocol/disco#items",
                "jabber:iq:version",
                "urn:xmpp:ping"):
        assert var in feats, "%s missing from %s" % (var, sorted(feats))
    info = forms(reply)
    assert "http://jabber.org/network/serverinfo" in info, h.xml_text(reply)
    serverinfo = info["http://jabber.org/network/serverinfo"]
    assert serverinfo.get("abuse-addresses") == ["xmpp:" + h.SERVICE], serverinfo


def test_disco_info_rooms(daemon, connect):
    alice = connect("alice")
    reply = alice.iq_get(h.ROOMS, DISCO_INFO)
    assert ("conference", "text") in identities(reply), h.xml_text(reply)
    feats = features(reply)
    assert "http://jabber.org/protocol/disco#info" in feats
    # Features come from the handlers: M serves the MUC protocol, and
    # advertises none of D's own services.
    assert "http://jabber.org/protocol/muc" in feats
    assert "jabber:iq:register" not in feats
    assert "http://jabber.org/protocol/commands" not in feats


@pytest.mark.parametrize("domain", [h.SERVICE, h.ROOMS])
def test_ping(daemon, connect, domain):
    alice = connect("alice")
    reply = alice.iq_get(domain, PING)
    result(reply)
    assert reply.get("from") == domain


def test_ping_from_outside_user(daemon, connect):
    carol = connect("carol", h.OUTSIDE)
    result(carol.iq_get(h.SERVICE, PING))


def test_version(daemon, connect):
    alice = connect("alice")
    reply = result(alice.iq_get(h.SERVICE, "<query xmlns='jabber:iq:version'/>"))
    query = reply.find(q("query", "version"))
    assert query is not None, h.xml_text(reply)
    name = query.find(q("name", "version"))
    version = query.find(q("version", "version"))
    assert name is not None and (name.text or "").strip(), h.xml_text(reply)
    assert version is not None and (version.text or "").strip(), h.xml_text(reply)


@pytest.mark.parametrize("iq_type", ["get", "set"])
@pytest.mark.parametrize("domain", [h.SERVICE, h.ROOMS])
def test_unknown_iq_is_service_unavailable(daemon, connect, iq_type, domain):
    alice = connect("alice")
    reply = alice.iq("<iq type='%s' to='%s'><query xmlns='urn:example:nothing'/></iq>"
                     % (iq_type, domain))
    assert reply.get("type") == "error", h.xml_text(reply)
    assert h.error_condition(reply) == "service-unavailable", h.xml_text(reply)
    # The daemon is still there and answering.
    result(alice.iq_get(h.SERVICE, PING))


def test_reconnects_after_server_restart(daemon, server, connect):
    server.restart()
    assert daemon.running(), daemon.log_tail()
    alice = connect("alice", resource="after-restart")

    def answers():
        r = alice.iq_get(h.SERVICE, DISCO_INFO, timeout=3)
        return r.get("type") == "result"

    h.wait_until(answers, 30, what="disco#info on %s after restart" % h.SERVICE)
    h.wait_until(lambda: alice.iq_get(h.ROOMS, PING, timeout=3).get("type") == "result",
                 15, what="ping %s after restart" % h.ROOMS)


def test_sigterm_exits_zero(daemon):
    assert daemon.running()
    rc = daemon.stop(timeout=15)
    assert rc == 0, "exit status %s:\n%s" % (rc, daemon.log_tail())


def test_sigint_exits_zero(daemon):
    daemon.proc.send_signal(signal.SIGINT)
    rc = daemon.proc.wait(15)
    daemon.proc = None
    daemon.returncode = rc
    assert rc == 0, "exit status %s:\n%s" % (rc, daemon.log_tail())


def test_check_config_good(daemon_config):
    rc, out, err = daemon_config.run("-c", daemon_config.config_path, "--check-config")
    assert rc == 0, "rc=%d\nstdout: %s\nstderr: %s" % (rc, out, err)


BAD_CONFIGS = {
    # Mismatched end tag on line 4.
    "malformed": ('<backchannel>\n'
                  '  <server host="127.0.0.1" port="5347"/>\n'
                  '  <service domain="bc.localhost" secret="s"/>\n'
                  '  <rooms domain="rooms.bc.localhost" secret="s"></room>\n'
                  '  <store path="STORE"/>\n'
                  '</backchannel>\n', 4),
    # Well-formed, but the port on line 2 is not a number.
    "bad-port": ('<backchannel>\n'
                 '  <server host="127.0.0.1" port="not-a-port"/>\n'
                 '  <service domain="bc.localhost" secret="s"/>\n'
                 '  <rooms domain="rooms.bc.localhost" secret="s"/>\n'
                 '  <store path="STORE"/>\n'
                 '</backchannel>\n', 2),
    # An element the schema does not know, on line 5.
    "unknown-element": ('<backchannel>\n'
                        '  <server host="127.0.0.1" port="5347"/>\n'
                        '  <service domain="bc.localhost" secret="s"/>\n'
                        '  <rooms domain="rooms.bc.localhost" secret="s"/>\n'
                        '  <no-such-thing/>\n'
                        '  <store path="STORE"/>\n'
                        '</backchannel>\n', 5),
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_check_config_bad(daemon_config, name):
    text, line = BAD_CONFIGS[name]
    path = os.path.join(daemon_config.dir, "bad-%s.xml" % name)
    with open(path, "w") as f:
        f.write(text.replace("STORE", daemon_config.store_path))
    rc, out, err = daemon_config.run("-c", path, "--check-config")
    both = out + err
    assert rc != 0, "accepted a bad file:\n%s" % both
    assert path in both or os.path.basename(path) in both, \
        "file not named:\n%s" % both
    assert re.search(r"(:|line\s*)%d\b" % line, both), \
        "line %d not named:\n%s" % (line, both)


def test_check_config_missing_file(daemon_config):
    path = os.path.join(daemon_config.dir, "does-not-exist.xml")
    rc, out, err = daemon_config.run("-c", path, "--check-config")
    assert rc != 0
    assert "does-not-exist.xml" in out + err
