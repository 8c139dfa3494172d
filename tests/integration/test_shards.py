"""Rooms spread over two rooms instances (<shard/>, docs/SCALING.md) behind
one ejabberd that balances M's component connections by bare destination
(domain_balancing): a replication group of a directory site (the master,
serving D alone) and two rooms instances (never elected, serving M alone).

Group chats land on both instances and work there, with members made on
the master after the instances started; an audio room opened on the
master is served by whichever instance its address lands on and follows
the platform's stage changes; a room report made on an instance is filed
by the master, and a private message that would open a message request
is refused there; an account unlinked on the master leaves the instances'
rooms; one instance killed with SIGKILL takes its
rooms away while the other's keep working, and brings them back, with
their history and occupants, when it starts again.  Every stanza the
clients received is scanned for real JIDs.

Prosody takes one connection per component domain, so this suite runs on
ejabberd only."""

import contextlib
import os
import time
import xml.etree.ElementTree as ET

import pytest

import harness as h
from conftest import MODERATORS, clients_of, running
from test_blocking import BLOCKING, REPORTING
from test_failover import close_all, the_master
from test_reports import SID, forwarded, is_report, our_id
from test_muc import (create_room, grant, is_groupchat, is_self_presence,
                      join, join_error, occ, say, fresh_room, settle,
                      status_codes)
from test_relay import addr, assert_private, ctl_ok, link, local

pytestmark = pytest.mark.skipif(
    os.environ.get("BC_SERVER", "prosody") != "ejabberd",
    reason="one room domain over several component connections is "
           "ejabberd's domain_balancing; Prosody takes one connection "
           "per component domain")

BALANCING = """
domain_balancing:
  "%s":
    type: bare_destination
    component_number: 2
""" % h.ROOMS

# Enough rooms that both instances get some (all on one: 2 in 65,536).
ROOMS_N = 16


@pytest.fixture(scope="module")
def balanced():
    """A private ejabberd that spreads M over two component connections."""
    yield from running(h.Ejabberd(extra_yaml=BALANCING))


@pytest.fixture
def clients(balanced):
    yield from clients_of(balanced)


def make_group(server, directory_sites=1):
    """The directory sites (priorities 100, 99, ...; M left to the
    instances) and two rooms instances (priority 0, each with its own
    rooms store), in that order."""
    n = directory_sites + 2
    ports = [h.free_port() for _ in range(n)]
    sites = []
    for i in range(n):
        instance = i >= directory_sites
        # The directory sites as <peer>s, the instances as <instance>s.
        peers = "".join('<%s address="127.0.0.1:%d"/>' % (
            "instance" if j >= directory_sites else "peer", p)
            for j, p in enumerate(ports) if j != i)
        extra = ('<limits rate="0"/><reconnect min="100ms" max="1s"/>'
                 '<replication listen="127.0.0.1:%d" priority="%d" '
                 'ack-timeout="2s"/>%s' % (ports[i], 0 if instance
                                           else 100 - i, peers))
        # Names that start with "stage-" are kept for audio rooms.
        d = h.Daemon(server, extra_xml=extra,
                     moderators=() if instance else MODERATORS,
                     rooms_attrs='audio-prefix="stage-"' + (
                         "" if instance else ' sharded="true"'))
        if instance:
            d.extra_xml += '<shard store="%s"/>' % os.path.join(d.dir, "rooms")
            d.write_config()
        sites.append(d)
    return sites


def connections_up(d):
    """How many times the instance's M connection came up (its log)."""
    with open(d.log_path, errors="replace") as f:
        return f.read().count("%s: connected to" % h.ROOMS)


def ping(client, domain, timeout=20):
    def answers():
        try:
            r = client.iq_get(domain, "<ping xmlns='urn:xmpp:ping'/>",
                              timeout=2)
            return r.get("type") == "result"
        except h.Timeout:
            return False
    h.wait_until(answers, timeout, interval=0.2, what=domain + " answering")


def log_position(d):
    """The site's place in the group's log, as (file, offset)."""
    out = ctl_ok(d, "group")
    text = [l.split(":", 1)[1].strip() for l in out.splitlines()
            if l.startswith("log position")][0]
    return tuple(int(x) for x in text.split("/"))


def replicated(directory, shards, timeout=10):
    """Waits until the instances have everything the master wrote so far:
    what is made on the master is usable there after this lag."""
    start = time.monotonic()
    want = log_position(directory)
    h.wait_until(lambda: all(log_position(d) >= want for d in shards),
                 timeout, interval=0.02, what="the instances at %s" % (want,))
    return time.monotonic() - start


def held_rooms(d):
    """The rooms in an instance's own store (backchannelctl dump there)."""
    path = os.path.join(d.dir, "rooms-dump.xml")
    ctl_ok(d, "dump", path)
    return {r.get("name"): r for r in ET.parse(path).getroot().iter("room")}


@contextlib.contextmanager
def group(sites):
    """Runs the body with the group's sites; on a failure prints their
    logs whole; stops and removes them after."""
    try:
        yield
    except BaseException:
        for i, d in enumerate(sites):
            print("---- site %d (%s) ----\n%s" % (i, d.dir, d.log_tail(3000)))
        raise
    finally:
        close_all(sites)


def start(sites, shards, clients):
    """Starts the group (an election needs a majority of it: the instances
    vote, though they cannot be elected); returns its master and a probe
    client once D answers and both instances are connected to M."""
    for d in sites:
        d.start()
    master = the_master(sites)
    probe = clients("probe", resource="ready")
    ping(probe, h.SERVICE)
    h.wait_until(lambda: all(connections_up(d) == 1 for d in shards), 30,
                 interval=0.2, what="both instances connected to M")
    return master, probe


def alice_and_bob(master, shards, clients):
    """alice and bob, made and linked on the master, known to the
    instances."""
    for handle in ("alice", "bob"):
        ctl_ok(master, "identity", "add", handle)
    alice, bob = clients("alice"), clients("bob")
    link(master, alice, "alice")
    link(master, bob, "bob")
    replicated(master, shards)
    return alice, bob


def test_rooms_spread_over_two_instances(balanced, clients):
    sites = make_group(balanced)
    directory, shards = sites[0], sites[1:]
    with group(sites):
        master, probe = start(sites, shards, clients)
        assert master is directory
        # The instances are replicas of the directory, never its master.
        for d in shards:
            out = ctl_ok(d, "group")
            assert any(l.endswith("this site") and l.split()[1] == "replica"
                       for l in out.splitlines()), out
            rc, _, err = d.ctl("identity", "add", "nobody")
            assert rc != 0 and "rooms instance" in err, err

        alice, bob = alice_and_bob(directory, shards, clients)

        # Group chats: made by joining, on whichever instance each lands.
        rooms = [fresh_room("spread") for _ in range(ROOMS_N)]
        for room in rooms:
            create_room(alice, room, "alice")
            grant(alice, room, addr("bob"))
        held = [held_rooms(d) for d in shards]
        where = {}
        for i, names in enumerate(held):
            for name in names:
                where["%s@%s" % (name, h.ROOMS)] = i
        assert sorted(where) == sorted(rooms), (sorted(where), rooms)
        assert all(held), "one instance holds every room: %s" % where

        for room in rooms:
            join(bob, room, "bob")
            mark = bob.mark()
            say(alice, room, "hello " + room)
            bob.wait_for(is_groupchat(room, "hello " + room, "alice"),
                         since=mark)

        # A private message to a member who does not know the sender
        # would become a message request, which only D keeps: refused
        # on an instance, with where to write instead.
        mark = bob.mark()
        bob.send_raw("<message to='%s' type='chat'><body>psst</body>"
                     "</message>" % occ(rooms[0], "alice"))
        err = bob.wait_for(lambda el: local(el) == "message"
                           and el.get("type") == "error", since=mark,
                           what="the private message refused")
        assert "not-allowed" in h.xml_text(err) and \
            "message request" in h.xml_text(err), h.xml_text(err)

        # A member made on the master after the instances started: the
        # directory reaches them by replication.
        ctl_ok(directory, "identity", "add", "dave")
        dave = clients("dave")
        link(directory, dave, "dave")
        replicated(directory, shards)
        one_each = [next(r for r in rooms if where[r] == i) for i in (0, 1)]
        for room in one_each:
            grant(alice, room, addr("dave"))
            join(dave, room, "dave")
            leave_mark = dave.mark()
            dave.send_raw("<presence to='%s' type='unavailable'/>"
                          % occ(room, "dave"))
            dave.wait_for(lambda el: local(el) == "presence"
                          and el.get("type") == "unavailable"
                          and el.get("from") == occ(room, "dave"),
                          since=leave_mark)

        # A room report made on an instance is filed by the master, which
        # holds the directory: the moderator and the room's owner hear of
        # it with the message, and dave has blocked bob.
        room = one_each[1]
        join(dave, room, "dave")
        mod = clients("mod")
        mark = dave.mark()
        say(bob, room, "rude words")
        el = dave.wait_for(is_groupchat(room, "rude words", "bob"), since=mark)
        sid = our_id(el, room)
        marks = (mod.mark(), alice.mark())
        reply = dave.iq_set(room, (
            "<report xmlns='%s' reason='urn:xmpp:reporting:abuse'>"
            "<stanza-id xmlns='%s' by='%s' id='%s'/><text>on a shard</text>"
            "</report>") % (REPORTING, SID, room, sid))
        assert reply.get("type") == "result", h.xml_text(reply)
        for c, m in zip((mod, alice), marks):
            got = c.wait_for(is_report, since=m, timeout=10,
                             what="the report at " + c.bare)
            fw = forwarded(got)
            assert [f[2] for f in fw] == ["rude words"], h.xml_text(got)
            assert fw[0][0] == room + "/bob" and fw[0][3] == [sid]
        assert "bob" in ctl_ok(directory, "reports")
        r = dave.iq_get(h.SERVICE, "<blocklist xmlns='%s'/>" % BLOCKING)
        assert [i.get("jid") for i in r.iter("{%s}item" % BLOCKING)] == \
            [addr("bob")], h.xml_text(r)

        # A member cannot take a future audio room's name: joining one
        # that is not open makes no group chat.
        err = join_error(alice, "stage-%s@%s" % (os.urandom(3).hex(),
                                                  h.ROOMS), "alice")
        assert err.find("{jabber:client}error/"
                        "{urn:ietf:params:xml:ns:xmpp-stanzas}not-allowed") \
            is not None, h.xml_text(err)

        # An audio room opened on the master: served where it lands, and
        # the platform's stage changes reach that instance.
        stage = "stage-%s" % os.urandom(3).hex()
        stage_room = "%s@%s" % (stage, h.ROOMS)
        ctl_ok(directory, "room", "open", stage, "--title", "Live",
               "--host", "alice")
        print("INSTANCES HAVE A BACKCHANNELCTL WRITE within %.2f s"
              % replicated(directory, shards))
        j = join(alice, stage_room, "alice")
        item = j.self_presence.find(
            "{http://jabber.org/protocol/muc#user}x/"
            "{http://jabber.org/protocol/muc#user}item")
        assert item.get("affiliation") == "owner", h.xml_text(j.self_presence)
        join(bob, stage_room, "bob")
        mark = bob.mark()
        ctl_ok(directory, "room", "stage", stage, "bob", "speaker")
        el = bob.wait_for(is_self_presence(occ(stage_room, "bob")),
                          since=mark, timeout=10,
                          what="bob told he is on the stage")
        item = el.find("{http://jabber.org/protocol/muc#user}x/"
                       "{http://jabber.org/protocol/muc#user}item")
        assert item.get("affiliation") == "member", h.xml_text(el)
        marks = [c.mark() for c in (alice, bob)]
        ctl_ok(directory, "room", "close", stage)
        for c, m in zip((alice, bob), marks):
            c.wait_for(lambda el: local(el) == "presence"
                       and el.get("type") == "unavailable"
                       and h.xml_text(el).find("destroy") >= 0
                       and el.get("from", "").startswith(stage_room),
                       since=m, timeout=10, what="the audio room ended")
        assert stage in held[0] or stage in held_rooms(shards[0]) or \
            stage in held_rooms(shards[1])

        # One instance killed: its rooms go quiet, the other's work on.
        victim = shards[0]
        lost = [r for r in rooms if where[r] == 0]
        kept = [r for r in rooms if where[r] == 1]
        before = sorted(held_rooms(victim))
        victim.kill9()
        mark = bob.mark()
        say(alice, kept[0], "still here")
        bob.wait_for(is_groupchat(kept[0], "still here", "alice"), since=mark)
        mark = dave.mark()
        dave.send_raw("<presence to='%s'><x xmlns='http://jabber.org/"
                      "protocol/muc'/></presence>" % occ(lost[0], "dave"))
        # Nothing answers (the server drops what it routes to the dead
        # connection's place); D answering shows the server is not stuck.
        time.sleep(2)
        settle(dave, domain=h.SERVICE)
        assert not [el for el in dave.received[mark:]
                    if el.get("from", "").startswith(lost[0])], \
            "a room of the killed instance answered"

        # Back after a restart: the same rooms, their history, their
        # occupants (bob is still in them).
        victim.start()
        h.wait_until(lambda: connections_up(victim) == 2, 30, interval=0.2,
                     what="the instance connected again")
        assert sorted(held_rooms(victim)) == before
        j = join(dave, lost[0], "dave", timeout=15)
        assert any(is_groupchat(lost[0], "hello " + lost[0], "alice",
                                live=False)(el) for el in j.stanzas), \
            "the room's history did not come back"
        mark = bob.mark()
        say(alice, lost[0], "back again")
        bob.wait_for(is_groupchat(lost[0], "back again", "alice"), since=mark,
                     timeout=10)
        assert "110" in status_codes(j.self_presence)

        # An account unlinked on the master leaves the rooms it is in on
        # the instances (XEP-0045 status 321).
        mark = dave.mark()
        ctl_ok(directory, "unlink", "dave", "dave@" + h.HOST)
        for room in (lost[0], one_each[1]):
            dave.wait_for(lambda el, room=room: local(el) == "presence"
                          and el.get("type") == "unavailable"
                          and el.get("from") == occ(room, "dave")
                          and "321" in status_codes(el), since=mark,
                          timeout=10, what="dave out of " + room)

        for c in (alice, bob, dave):
            assert_private(c, c.bare)


def test_instances_follow_a_new_master(balanced, clients):
    """Three directory sites and two instances: the directory's master is
    killed; another directory site is elected and serves (a commit waits
    for one other directory site, not for the instances), the rooms keep
    working throughout, and what the new master makes reaches the
    instances."""
    sites = make_group(balanced, directory_sites=3)
    directories, shards = sites[:3], sites[3:]
    with group(sites):
        master, probe = start(sites, shards, clients)
        assert master in directories
        alice, bob = alice_and_bob(master, shards, clients)
        rooms = [fresh_room("fail") for _ in range(4)]
        for room in rooms:
            create_room(alice, room, "alice")
            grant(alice, room, addr("bob"))
            join(bob, room, "bob")

        master.kill9()
        new = the_master([d for d in directories if d is not master],
                         timeout=20)
        # The rooms never stopped: they are the instances'.
        for room in rooms:
            mark = bob.mark()
            say(alice, room, "during " + room)
            bob.wait_for(is_groupchat(room, "during " + room, "alice"),
                         since=mark, timeout=10)
        ping(probe, h.SERVICE)
        # A member made on the new master reaches the instances.
        ctl_ok(new, "identity", "add", "dave")
        dave = clients("dave")
        link(new, dave, "dave")
        replicated(new, shards)
        for room in rooms:
            grant(alice, room, addr("dave"))
            join(dave, room, "dave")
        for c in (alice, bob, dave):
            assert_private(c, c.bare)
