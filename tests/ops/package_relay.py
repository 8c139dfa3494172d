#!/usr/bin/python3
"""The installed package's service, end to end (tests/ops/package-test.sh
runs this after installing the .deb, as root).

A private Prosody (tests/integration/harness.py) on 127.0.0.1 with the
accounts alice and bob; the installed configuration file rewritten for it
(as an operator would), with a metrics listener; the identities made with
the installed backchannelctl; the service started the way the system would
start it: "systemctl start" under a real systemd (BC_PACKAGE_MODE=systemd),
otherwise the unit's ExecStartPre and ExecStart lines run as the unit's
User= (BC_PACKAGE_MODE=exec).  Then alice writes to bob@D, bob receives it
from alice@D, and a scrape of the metrics (parsed by a real OpenMetrics
parser) and "backchannelctl stats" both count the stanzas.
"""

import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import check_openmetrics  # noqa: E402
import harness as h  # noqa: E402

UNIT = "/lib/systemd/system/backchanneld.service"
CONFIG = "/etc/backchannel/backchannel.xml"
CTL = "/usr/sbin/backchannelctl"
PASSWORD = "password"
MODE = os.environ.get("BC_PACKAGE_MODE", "exec")


def unit_lines(key):
    """The values of key= in the installed unit's [Service] section."""
    values = []
    with open(UNIT) as f:
        for line in f:
            if line.startswith(key + "="):
                values.append(line.split("=", 1)[1].strip())
    return values


def ctl(*args):
    r = subprocess.run([CTL, "-c", CONFIG] + list(args), capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("backchannelctl %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


class Service:
    """The installed daemon, run as the system would run it."""

    def __init__(self, log_path):
        self.log_path = log_path
        self.proc = None

    def start(self):
        if MODE == "systemd":
            subprocess.run(["systemctl", "daemon-reload"], check=True, timeout=60)
            subprocess.run(["systemctl", "start", "backchanneld"], check=True,
                           timeout=60)
            return
        user = unit_lines("User")[0]
        group = unit_lines("Group")[0]
        as_user = ["setpriv", "--reuid=" + user, "--regid=" + group,
                   "--clear-groups", "--"]
        for pre in unit_lines("ExecStartPre"):
            subprocess.run(as_user + shlex.split(pre), check=True, timeout=30,
                           capture_output=True)
        (start,) = unit_lines("ExecStart")
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                as_user + shlex.split(start), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def running(self):
        if MODE == "systemd":
            return subprocess.run(["systemctl", "is-active", "--quiet",
                                   "backchanneld"]).returncode == 0
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Stops it as systemd would (SIGTERM); returns the exit status."""
        if MODE == "systemd":
            subprocess.run(["systemctl", "stop", "backchanneld"], timeout=60)
            return 0
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def log_tail(self):
        if MODE == "systemd":
            r = subprocess.run(["journalctl", "-u", "backchanneld", "-n", "60",
                                "--no-pager"], capture_output=True, text=True)
            return r.stdout
        return h.tail(self.log_path)


def wait_ready(service, client, timeout=30):
    deadline = time.monotonic() + timeout
    for domain in (h.SERVICE, h.ROOMS):
        while True:
            if not service.running():
                raise AssertionError("the service exited:\n" + service.log_tail())
            if time.monotonic() > deadline:
                raise AssertionError("%s did not answer:\n%s" % (
                    domain, service.log_tail()))
            try:
                r = client.iq_get(domain, "<ping xmlns='urn:xmpp:ping'/>", timeout=2)
                if r.get("type") == "result":
                    break
            except h.Timeout:
                pass
            time.sleep(0.2)


def main():
    h.install_cleanup()
    server = h.Prosody()
    service = Service(os.path.join(server.dir, "backchanneld.log"))
    clients = []
    try:
        server.start()
        server.add_users([("alice", h.HOST, PASSWORD), ("bob", h.HOST, PASSWORD)])
        metrics_port = h.free_port()
        # What an operator does: edit the installed file in place (its
        # owner and mode stay: root:backchannel 0640).
        with open(CONFIG, "w") as f:
            f.write("""<backchannel>
  <server host="%s" port="%d"/>
  <service domain="%s" secret="%s"/>
  <rooms domain="%s" secret="%s"/>
  <store path="/var/lib/backchannel"/>
  <metrics listen="127.0.0.1:%d"/>
</backchannel>
""" % (h.LOOPBACK, server.component_port, h.SERVICE, server.secret,
                h.ROOMS, server.secret, metrics_port))
        for who in ("alice", "bob"):
            ctl("identity", "add", who)
            ctl("link", who, "%s@%s" % (who, h.HOST))
        ctl("follow", "alice", "bob")
        ctl("follow", "bob", "alice")

        service.start()
        alice = h.Client("alice@" + h.HOST, PASSWORD, server.c2s_port).connect()
        bob = h.Client("bob@" + h.HOST, PASSWORD, server.c2s_port).connect()
        clients += [alice, bob]
        wait_ready(service, alice)

        mark = bob.mark()
        alice.message("bob@" + h.SERVICE, "hello from the package")
        bob.wait_for(lambda el: h._local(el.tag) == "message"
                     and el.get("from", "").startswith("alice@" + h.SERVICE)
                     and any(c.text == "hello from the package" for c in el
                             if h._local(c.tag) == "body"),
                     timeout=15, since=mark, what="the relayed message")
        print("package_relay: alice@%s -> bob@%s relayed by the installed "
              "service" % (h.SERVICE, h.SERVICE))

        # The counters, scraped (a pass publishes them: allow one).
        text = ""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            url = "http://127.0.0.1:%d/metrics" % metrics_port
            with urllib.request.urlopen(url, timeout=5) as r:
                text = r.read().decode()
            fams = check_openmetrics.families(text)
            sent = check_openmetrics.value(
                fams, "backchannel_stanzas_sent",
                "backchannel_stanzas_sent_total", domain=h.SERVICE)
            if sent >= 1:
                break
            time.sleep(0.3)
        got = check_openmetrics.value(
            fams, "backchannel_stanzas_received",
            "backchannel_stanzas_received_total", domain=h.SERVICE)
        assert got >= 1, text
        assert sent >= 1, text
        for dom in (h.SERVICE, h.ROOMS):
            assert check_openmetrics.value(
                fams, "backchannel_connected", "backchannel_connected",
                domain=dom) == 1, text
        stats = ctl("stats")
        assert re.search(r'^backchannel_stanzas_received_total\{domain="%s"\} \d+$'
                         % re.escape(h.SERVICE), stats, re.M), stats
        assert re.search(r"^identities 2$", stats, re.M), stats

        rc = service.stop()
        assert rc == 0, "exit status %s:\n%s" % (rc, service.log_tail())
        print("package_relay: metrics scraped, stats read, stopped cleanly")
    except BaseException:
        print(service.log_tail(), file=sys.stderr)
        print(server.log_tail(), file=sys.stderr)
        raise
    finally:
        for c in clients:
            c.disconnect()
        service.stop()
        server.close()
        h.shutdown_clients()


if __name__ == "__main__":
    main()
