"""A full disk under the store: the daemon logs it, refuses messages and
changes with <resource-constraint/> while reads are still answered, and
serves as usual once space returns, without a restart.

The store lives on a small tmpfs mounted for the test (mounting needs
root, which CI has).  Where no tmpfs can be mounted the test is reported
as skipped, with the reason: it did not run."""

import os
import subprocess
import tempfile
import time

import pytest

import harness as h
from test_relay import addr, ctl_ok, is_message_from, link, local

RESERVE_MB = 8
TMPFS_MB = 128


class SmallDiskDaemon(h.Daemon):
    """A daemon whose store is on mount, with a reserve of RESERVE_MB."""

    def __init__(self, server, mount, **kw):
        self.mount = mount
        super().__init__(server, **kw)

    def config_text(self):
        self.store_path = os.path.join(self.mount, "store")
        text = super().config_text()
        return text.replace(
            '<store path="%s"/>' % self.store_path,
            '<store path="%s" reserve-mb="%d"/>' % (self.store_path, RESERVE_MB))


@pytest.fixture
def small_disk():
    mount = tempfile.mkdtemp(prefix="bc-tmpfs-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dm" % TMPFS_MB,
                        "tmpfs", mount], capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(mount)
        pytest.skip("NOT RUN: cannot mount a tmpfs here (%s); the full-disk "
                    "behaviour was not tested" % (r.stderr.strip() or r.returncode))
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", mount], capture_output=True)
        os.rmdir(mount)


def free_bytes(path):
    sv = os.statvfs(path)
    return sv.f_bavail * sv.f_frsize


def log_has(daemon, text):
    with open(daemon.log_path, encoding="utf-8", errors="replace") as f:
        return text in f.read()


def is_error(condition, sender, id_):
    def pred(el):
        return (local(el) == "message" and el.get("type") == "error"
                and el.get("id") == id_ and el.get("from") == sender
                and h.error_condition(el) == condition)
    return pred


def test_full_disk_refuses_then_recovers(server, connect, small_disk):
    d = SmallDiskDaemon(server, small_disk, extra_xml="<limits rate='0'/>")
    filler = os.path.join(small_disk, "filler")
    try:
        d.start()
        d.wait_ready(connect("probe", resource="ready"))
        pid = d.proc.pid
        ctl_ok(d, "identity", "add", "alice")
        ctl_ok(d, "identity", "add", "bob")
        alice = connect("alice")
        bob = connect("bob")
        link(d, alice, "alice")
        link(d, bob, "bob")
        ctl_ok(d, "follow", "alice", "bob")
        mark = alice.mark()
        bob.message(addr("alice"), "before")
        alice.wait_for(is_message_from(addr("bob"), "before"), since=mark)

        # Leave less than the reserve.
        left = free_bytes(small_disk) - (RESERVE_MB << 20) // 2
        assert left > 0, "the tmpfs is too small for the store"
        fd = os.open(filler, os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            os.posix_fallocate(fd, 0, left)
        finally:
            os.close(fd)
        h.wait_until(lambda: log_has(d, "the store's disk is full"), 10,
                     interval=0.2, what="the full-disk log line")

        mark = alice.mark()
        bmark = bob.mark()
        bob.send_raw("<message to='%s' type='chat' id='full1'><body>during"
                     "</body></message>" % addr("alice"))
        bob.wait_for(is_error("resource-constraint", addr("alice"), "full1"),
                     since=bmark, what="resource-constraint")
        # A change is refused the same way; a read is still answered.
        r = alice.iq_set(h.SERVICE, "<block xmlns='urn:xmpp:blocking'><item "
                         "jid='%s'/></block>" % addr("bob"))
        assert r.get("type") == "error", h.xml_text(r)
        assert h.error_condition(r) == "resource-constraint", h.xml_text(r)
        r = alice.iq_get(h.SERVICE, "<blocklist xmlns='urn:xmpp:blocking'/>")
        assert r.get("type") == "result", h.xml_text(r)
        assert d.running()

        os.unlink(filler)
        h.wait_until(lambda: log_has(d, "the store's disk has room again"), 10,
                     interval=0.2, what="the recovery log line")
        bob.message(addr("alice"), "after")
        alice.wait_for(is_message_from(addr("bob"), "after"), since=mark)
        assert not [el for el in alice.received[mark:]
                    if is_message_from(addr("bob"), "during")(el)], \
            "the refused message was delivered"
        assert d.running() and d.proc.pid == pid, "the daemon restarted"
    finally:
        if os.path.exists(filler):
            os.unlink(filler)
        d.close()


def directory(path, prefix, n):
    """An import file of n identities PREFIXnnnnnn, each with a link and a
    follow of the next (the last follows the first)."""
    with open(path, "w") as f:
        f.write('<backchannel-data version="1">\n')
        for i in range(n):
            f.write('<identity handle="%s%06d" name="Someone %d">'
                    '<link jid="%s%06d@example.net"/>'
                    '<follow handle="%s%06d"/></identity>\n'
                    % (prefix, i, i, prefix, i, prefix, (i + 1) % n))
        f.write("</backchannel-data>\n")


def ctl_run(config, *args):
    ctl = h._binary("BACKCHANNELCTL", "backchannelctl")
    return subprocess.run([ctl, "-c", config] + list(args),
                          capture_output=True, text=True, timeout=300)


def test_import_on_a_full_disk_changes_nothing(small_disk):
    """An import that runs out of disk part way (Berkeley DB's ENOSPC, no
    daemon watching) writes nothing: the store is as it was, and once
    there is room the same file goes in."""
    config = os.path.join(small_disk, "bc.xml")
    with open(config, "w") as f:
        f.write('<backchannel><server host="127.0.0.1" port="5347"/>'
                '<service domain="bc.example.org" secret="s"/>'
                '<rooms domain="rooms.bc.example.org" secret="s"/>'
                '<store path="%s/store"/></backchannel>' % small_disk)
    small = os.path.join(small_disk, "small.xml")
    big = tempfile.mktemp(suffix=".xml")
    try:
        directory(small, "a", 500)
        directory(big, "b", 60000)
        subprocess.run(["mount", "-o", "remount,size=48m", small_disk],
                       check=True)
        r = ctl_run(config, "import", small)
        assert r.returncode == 0, r.stderr
        # 60,000 identities need about 150 MB of store and log.
        r = ctl_run(config, "import", big)
        assert r.returncode == 1, r.stderr
        assert "store failure" in r.stderr, r.stderr
        subprocess.run(["mount", "-o", "remount,size=400m", small_disk],
                       check=True)
        r = ctl_run(config, "stats")
        assert r.returncode == 0, r.stderr
        assert "identities 500\n" in r.stdout, r.stdout
        assert "follows 500\n" in r.stdout, r.stdout
        r = ctl_run(config, "import", big)
        assert r.returncode == 0, r.stderr
        r = ctl_run(config, "stats")
        assert "identities 60500\n" in r.stdout, r.stdout
        assert "links 60500\n" in r.stdout, r.stdout
    finally:
        if os.path.exists(big):
            os.unlink(big)
