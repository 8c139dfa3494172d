"""What an operator sees of a running daemon: the metrics listener scraped
over HTTP and parsed by a real OpenMetrics parser, counting a relayed
message; "backchannelctl stats" showing the same counters; the log file's
ISO 8601 timestamps."""

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

import harness as h

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "ops"))
import check_openmetrics  # noqa: E402

PASSWORD = "password"


@pytest.fixture
def metered(server, connect):
    """A running daemon with a metrics listener, alice and bob linked and
    following each other, dave linked and known to nobody; yields
    (daemon, port, alice, bob)."""
    port = h.free_port()
    d = h.Daemon(server, extra_xml='  <metrics listen="127.0.0.1:%d"/>' % port)
    try:
        for who in ("alice", "bob", "dave"):
            assert d.ctl("identity", "add", who)[0] == 0
            assert d.ctl("link", who, "%s@%s" % (who, h.HOST))[0] == 0
        assert d.ctl("follow", "alice", "bob")[0] == 0
        assert d.ctl("follow", "bob", "alice")[0] == 0
        d.start()
        alice = connect("alice")
        bob = connect("bob")
        d.wait_ready(alice)
        yield d, port, alice, bob
        assert d.stop() == 0, d.log_tail()
    finally:
        d.close()


def scrape(port):
    url = "http://127.0.0.1:%d/metrics" % port
    with urllib.request.urlopen(url, timeout=5) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("application/openmetrics-text")
        return r.read().decode()


def scrape_until(port, done, timeout=5):
    """Scrapes until done(families) holds or timeout passes (the listener
    serves what the loop published at the end of a pass); returns the last
    families."""
    deadline = time.monotonic() + timeout
    while True:
        fams = check_openmetrics.families(scrape(port))
        if done(fams) or time.monotonic() > deadline:
            return fams
        time.sleep(0.1)


def counter(fams, family, **labels):
    return check_openmetrics.value(fams, family, family + "_total", **labels)


def test_scrape_counts_a_relay(metered):
    d, port, alice, bob = metered
    before = check_openmetrics.families(scrape(port))
    for dom in (h.SERVICE, h.ROOMS):
        assert check_openmetrics.value(before, "backchannel_connected",
                                       "backchannel_connected", domain=dom) == 1
    in0 = counter(before, "backchannel_stanzas_received", domain=h.SERVICE)
    out0 = counter(before, "backchannel_stanzas_sent", domain=h.SERVICE)
    relays0 = counter(before, "backchannel_relays")
    commits0 = check_openmetrics.value(before, "backchannel_store_commit_seconds",
                                       "backchannel_store_commit_seconds_count")

    mark = bob.mark()
    alice.message("bob@" + h.SERVICE, "counted")
    bob.wait_for(lambda el: h._local(el.tag) == "message"
                 and el.get("from", "").startswith("alice@" + h.SERVICE),
                 since=mark, timeout=10, what="the relayed message")

    after = scrape_until(port, lambda f: counter(
        f, "backchannel_stanzas_sent", domain=h.SERVICE) > out0)
    out1 = counter(after, "backchannel_stanzas_sent", domain=h.SERVICE)
    assert counter(after, "backchannel_stanzas_received", domain=h.SERVICE) > in0
    assert out1 > out0
    assert counter(after, "backchannel_relays") == relays0 + 1
    # The relay was answered on D only.
    assert counter(after, "backchannel_stanzas_sent", domain=h.ROOMS) == \
        counter(before, "backchannel_stanzas_sent", domain=h.ROOMS)
    # Each scrape is a consistent snapshot: buckets end at the count.
    count = check_openmetrics.value(after, "backchannel_store_commit_seconds",
                                    "backchannel_store_commit_seconds_count")
    inf = check_openmetrics.value(after, "backchannel_store_commit_seconds",
                                  "backchannel_store_commit_seconds_bucket",
                                  le="+Inf")
    assert count == inf
    assert count >= commits0


def test_scrape_counts_a_message_request(metered, connect):
    """dave, whom bob does not know, writes: held; bob accepts."""
    _d, port, _alice, bob = metered
    dave = connect("dave")
    fams = check_openmetrics.families(scrape(port))
    held0 = counter(fams, "backchannel_requests_held")
    accepted0 = counter(fams, "backchannel_requests_accepted")
    mark = bob.mark()
    dave.message("bob@" + h.SERVICE, "may I?")
    bob.wait_for(lambda el: h._local(el.tag) == "presence"
                 and el.get("type") == "subscribe", since=mark, timeout=10,
                 what="the message request")
    mark = bob.mark()
    bob.message(h.SERVICE, "accept dave")
    bob.wait_for(lambda el: h._local(el.tag) == "message"
                 and el.get("from", "").startswith("dave@" + h.SERVICE),
                 since=mark, timeout=10, what="the held message")
    fams = scrape_until(port, lambda f: counter(
        f, "backchannel_requests_accepted") > accepted0)
    assert counter(fams, "backchannel_requests_held") == held0 + 1
    assert counter(fams, "backchannel_requests_accepted") == accepted0 + 1


def test_listener_refuses_other_paths_and_methods(metered):
    _d, port, _alice, _bob = metered
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5)
    assert e.value.code == 404
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port,
                                 data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 405


def test_ctl_stats_shows_the_daemon_counters(metered):
    d, port, _alice, _bob = metered
    rc, out, err = d.ctl("stats")
    assert rc == 0, err
    assert re.search(r"^identities 3$", out, re.M), out
    samples = [line for line in out.splitlines() if line.startswith("backchannel_")]
    assert any(re.fullmatch(r'backchannel_stanzas_received_total\{domain="%s"\} \d+'
                            % re.escape(h.SERVICE), s) for s in samples), out
    # The same sample names as a scrape, no metadata lines.
    scraped = {line.split(" ")[0] for line in scrape(port).splitlines()
               if line and not line.startswith("#")}
    assert {s.split(" ")[0] for s in samples} == scraped
    # The daemon gone: the store's counts stay, one line says why.
    d.stop()
    rc, out, err = d.ctl("stats")
    assert rc == 0
    assert "identities 3" in out and "backchannel_" not in out
    assert "no counters from the daemon" in err


def test_log_file_lines_carry_a_timestamp(server):
    d = h.Daemon(server)
    log_path = os.path.join(d.dir, "file.log")
    try:
        proc = subprocess.Popen([d.binary, "-c", d.config_path, "-v",
                                 "--log-file", log_path],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        text = ""
        while time.monotonic() < deadline:
            try:
                with open(log_path, encoding="utf-8") as f:
                    text = f.read()
            except FileNotFoundError:
                text = ""
            if text.count("connected to") >= 2:
                break
            time.sleep(0.1)
        proc.terminate()
        assert proc.wait(15) == 0
        with open(log_path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        assert len(lines) >= 3, lines
        stamp = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z "
                           r"<[0-7]>backchanneld: ")
        for line in lines:
            assert stamp.match(line), line
        assert lines[-1].endswith("backchanneld: stopped")
    finally:
        d.close()
