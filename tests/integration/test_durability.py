"""Nothing anyone was told about is lost to kill -9: the daemon is killed
in the middle of a burst of relayed messages, and every message the
recipient received is in the store afterwards (its evidence log, written in
the same pass, before the message was sent)."""

import os
import time
import xml.etree.ElementTree as ET

import harness as h
from test_relay import addr, ctl_ok, is_message_from, link, local


def evidence_bodies(daemon, sender, recipient):
    """The bodies in the evidence log of sender -> recipient, read from a
    full dump taken with backchannelctl (which recovers the store)."""
    path = os.path.join(daemon.dir, "dump.xml")
    ctl_ok(daemon, "dump", path)
    bodies = set()
    for ev in ET.parse(path).getroot().iter("evidence"):
        if ev.get("sender") != sender or ev.get("recipient") != recipient:
            continue
        stanza = ET.fromstring(ev.text)
        for child in stanza:
            if local(child) == "body":
                bodies.add(child.text)
    return bodies


def test_kill9_mid_burst_loses_nothing_delivered(server, connect):
    d = h.Daemon(server, extra_xml="<limits rate='0'/><evidence count='5000'/>")
    try:
        d.start()
        d.wait_ready(connect("probe", resource="ready"))
        ctl_ok(d, "identity", "add", "alice")
        ctl_ok(d, "identity", "add", "bob")
        alice = connect("alice")
        bob = connect("bob")
        link(d, alice, "alice")
        link(d, bob, "bob")
        ctl_ok(d, "follow", "alice", "bob")
        mark = alice.mark()
        total = 600
        for i in range(total):
            bob.send_raw("<message to='%s' type='chat'><body>burst %04d</body>"
                         "</message>" % (addr("alice"), i))
            if i == 60:
                # The first messages are through: kill it with the rest
                # still coming in.
                alice.wait_for(is_message_from(addr("bob")), since=mark,
                               timeout=10, what="the start of the burst")
                d.kill9()
        time.sleep(1.0)
        got = {el.find("{jabber:client}body").text
               for el in alice.received[mark:]
               if local(el) == "message" and el.get("from") == addr("bob")}
        assert got, "nothing was delivered before the kill"
        assert len(got) < total, "the kill came too late to test anything"
        kept = evidence_bodies(d, "bob", "alice")
        lost = sorted(got - kept)
        assert not lost, "delivered but not in the store: %s" % lost[:10]
        # And the daemon comes back on the recovered store.
        d.start()
        d.wait_ready(connect("probe", resource="again"))
    finally:
        d.close()
