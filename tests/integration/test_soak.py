"""Soak: mixed traffic from real clients while backchanneld is killed with
SIGKILL and restarted at random moments, then a quiet stretch without
kills.  Afterwards: every acknowledged event is in the store (each message
the recipient received is in its evidence log, each block the server
answered with a result is in the block list), nothing was delivered twice
(live messages, and held ones when the request is accepted at the end),
and the daemon's anonymous memory (RssAnon) stays flat over the quiet
stretch.

Bounded: BC_SOAK_SECONDS (default 50) for the whole run; set it higher
by hand for a longer soak.  It prints its figures (pytest -s shows them)."""

import os
import random
import statistics
import threading
import time

import harness as h
from test_durability import evidence_bodies
from test_relay import addr, ctl_ok, link, local

SOAK_SECONDS = float(os.environ.get("BC_SOAK_SECONDS", "50"))


def built_with_asan(binary):
    """True when the daemon was built with AddressSanitizer, whose
    allocator keeps freed memory in a quarantine (up to 256 MB): its RSS
    grows by design, so flatness says nothing there."""
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()
CAROL = "carol@" + h.OUTSIDE
CAROL_ADDR = "carol\\40%s@%s" % (h.OUTSIDE, h.SERVICE)


def rss_anon_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    raise AssertionError("no RssAnon for %d" % pid)


def bodies_from(client, sender, prefix):
    """Every body of a non-error message from sender starting with prefix,
    in order, duplicates kept."""
    out = []
    for el in list(client.received):
        if local(el) != "message" or el.get("type") == "error":
            continue
        if el.get("from", "").split("/")[0] != sender:
            continue
        b = el.find("{jabber:client}body")
        if b is not None and b.text and b.text.startswith(prefix):
            out.append(b.text)
    return out


def test_soak_kill9_restart(server, connect):
    d = h.Daemon(server, extra_xml=(
        "<limits rate='0' reports-per-day='0'/>"
        "<requests held='100000'/>"
        "<evidence count='1000000'/>"))
    rng = random.Random(os.environ.get("BC_SOAK_SEED", "soak"))
    try:
        d.start()
        probe = connect("probe", resource="ready")
        d.wait_ready(probe)
        for who in ("alice", "bob"):
            ctl_ok(d, "identity", "add", who)
        alice = connect("alice")
        bob = connect("bob")
        carol = connect("carol", h.OUTSIDE)
        link(d, alice, "alice")
        link(d, bob, "bob")
        ctl_ok(d, "follow", "alice", "bob")

        kill_until = time.monotonic() + SOAK_SECONDS * 0.6
        end = time.monotonic() + SOAK_SECONDS
        next_kill = time.monotonic() + rng.uniform(3, 8)
        blocks_acked, kills, sent = [], 0, 0
        samples = []  # (t, kib) during the quiet stretch
        stop_sampling = threading.Event()

        def sampler():
            while not stop_sampling.wait(0.5):
                if time.monotonic() < kill_until or not d.running():
                    continue
                try:
                    samples.append(rss_anon_kib(d.proc.pid))
                except (OSError, AttributeError):
                    pass

        t = threading.Thread(target=sampler, daemon=True)
        t.start()
        i = 0
        while time.monotonic() < end:
            i += 1
            bob.message(addr("alice"), "live %06d" % i)
            sent += 1
            if i % 7 == 0:
                carol.message("bob@" + h.SERVICE, "held %06d" % i)
            if i % 25 == 0:
                jid = "spam%06d@else.example" % i
                try:
                    r = alice.iq_set(h.SERVICE, "<block xmlns='urn:xmpp:blocking'>"
                                     "<item jid='%s'/></block>" % jid, timeout=2)
                    if r.get("type") == "result":
                        blocks_acked.append(jid)
                except h.Timeout:
                    pass  # in flight at a kill: not acknowledged
            if time.monotonic() >= next_kill and time.monotonic() < kill_until:
                d.kill9()
                kills += 1
                time.sleep(rng.uniform(0, 0.5))
                d.start()
                d.wait_ready(probe, timeout=30)
                next_kill = time.monotonic() + rng.uniform(2, 8)
            time.sleep(0.02)
        stop_sampling.set()
        t.join()
        time.sleep(1.0)

        # Held messages: accepted now, each must arrive once.
        bob.message(h.SERVICE, "accept " + CAROL)
        last, stable_since = -1, time.monotonic()
        while time.monotonic() - stable_since < 2.0:
            n = len(bodies_from(bob, CAROL_ADDR, "held "))
            if n != last:
                last, stable_since = n, time.monotonic()
            time.sleep(0.2)
        held = bodies_from(bob, CAROL_ADDR, "held ")
        live = bodies_from(alice, addr("bob"), "live ")
        assert d.running(), "the daemon died:\n" + d.log_tail()

        # Blocks acknowledged are in the block list.
        r = alice.iq_get(h.SERVICE, "<blocklist xmlns='urn:xmpp:blocking'/>")
        listed = {it.get("jid") for it in r.iter()
                  if local(it) == "item"}
        expect = {"%s@%s" % (j.replace("@", "\\40"), h.SERVICE)
                  for j in blocks_acked}
        missing_blocks = sorted(expect - listed)

        d.stop()
        kept = evidence_bodies(d, "bob", "alice")
        lost = sorted(set(live) - kept)
        dup_live = sorted({b for b in live if live.count(b) > 1})
        dup_held = sorted({b for b in held if held.count(b) > 1})
        third = max(1, len(samples) // 3)
        first = statistics.median(samples[:third]) if samples else 0
        last3 = statistics.median(samples[-third:]) if samples else 0
        print("\nsoak: %.0fs, %d kills, %d live messages sent, %d delivered, "
              "%d held delivered on accept, %d blocks acknowledged; RssAnon "
              "over the quiet stretch: %d samples, first third %d KiB, last "
              "third %d KiB" % (SOAK_SECONDS, kills, sent, len(live), len(held),
                                len(blocks_acked), len(samples), first, last3))
        assert kills >= 2, "too short to kill the daemon twice"
        assert live and held and blocks_acked, "too little traffic got through"
        assert not lost, "delivered but not in the store: %s" % lost[:10]
        assert not dup_live, "delivered twice: %s" % dup_live[:10]
        assert not dup_held, "held messages delivered twice: %s" % dup_held[:10]
        assert not missing_blocks, "acknowledged blocks lost: %s" % missing_blocks[:10]
        assert len(samples) >= 6, "too few memory samples"
        if built_with_asan(d.binary):
            print("soak: RssAnon flatness not checked: the daemon is built "
                  "with AddressSanitizer (quarantine); the plain build "
                  "checks it")
        else:
            assert last3 <= first + max(2048, first * 0.10), (
                "RssAnon grew from %d KiB to %d KiB" % (first, last3))
        assert not d.sanitizer_reports(), d.sanitizer_reports()
    finally:
        d.close()
