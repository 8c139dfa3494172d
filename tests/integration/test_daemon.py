"""The daemon as a process: its command line, connection failures told
clearly in the log and retried with backoff while the other domain keeps
working, SIGHUP reopening the log file, and SIGINT stopping it cleanly.

Every backchanneld started here is a Daemon (harness.py), stopped by its
own PID when the test ends, whatever happened."""

import os
import re
import signal
import subprocess
import time

import pytest

import harness as h

PING = "<ping xmlns='urn:xmpp:ping'/>"


class LogFileDaemon(h.Daemon):
    """A Daemon started with --log-file: its log is the file the daemon
    opens itself (what SIGHUP reopens), and what it writes on stderr
    before that goes to a file of its own."""

    def __init__(self, server, config_text=None):
        self.stderr_path = None
        self._config_text = config_text
        super().__init__(server)
        self.stderr_path = os.path.join(self.dir, "stderr.log")

    def config_text(self):
        text = super().config_text()
        return self._config_text(text) if self._config_text else text

    def start(self):
        if self.running():
            raise RuntimeError("backchanneld already running")
        with open(self.stderr_path, "ab") as err:
            self.proc = subprocess.Popen(
                [self.binary, "-c", self.config_path, "-v",
                 "--log-file", self.log_path],
                stdin=subprocess.DEVNULL, stdout=err, stderr=err,
                cwd=self.dir)
        self.returncode = None
        if self not in h.ACTIVE:
            h.ACTIVE.append(self)
        return self

    def log_tail(self, lines=60):
        out = h.tail(self.log_path, lines)
        if self.stderr_path and os.path.exists(self.stderr_path) \
                and os.path.getsize(self.stderr_path) > 0:
            out += "\n---- stderr ----\n" + h.tail(self.stderr_path, lines)
        return out


@pytest.fixture
def make_daemon(server):
    """make_daemon(edit=None, log_file=False) -> a Daemon (not started)
    whose configuration text is passed through edit; each one is stopped
    by its PID and removed after the test."""
    made = []

    def make(edit=None, log_file=False):
        if log_file:
            d = LogFileDaemon(server, edit)
        else:
            d = h.Daemon(server)
            if edit:
                with open(d.config_path, "w") as f:
                    f.write(edit(d.config_text()))
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()


def log_text(d):
    try:
        with open(d.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def wait_log(d, pattern, timeout, count=1, path=None):
    """Waits until the daemon's log (or path) has count lines matching the
    regular expression; returns the matches."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while True:
        if path is None:
            text = log_text(d)
        else:
            try:
                with open(path, encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError:
                text = ""
        found = [m for m in (rx.search(line) for line in text.splitlines()) if m]
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise h.Timeout("no %d line(s) matching %r within %ss in %s:\n%s" % (
                count, pattern, timeout, path or d.log_path,
                text[-4000:] or "(empty)"))
        time.sleep(0.1)


def stop_ok(d):
    """SIGTERM: the daemon exits 0 and says so."""
    rc = d.stop(timeout=15)
    assert rc == 0, "exit status %s:\n%s" % (rc, d.log_tail())
    assert re.search(r"backchanneld: stopped$", log_text(d), re.M), d.log_tail()


def ping_answers(client, domain, timeout=15):
    def answered():
        r = client.iq_get(domain, PING, timeout=3)
        return r.get("type") == "result"
    h.wait_until(answered, timeout, interval=0.3, what="ping answered by %s" % domain)


def with_secret(domain, secret):
    """A config edit: the given secret for the component domain."""
    def edit(text):
        new, n = re.subn(r'(domain="%s" secret=")[^"]*(")' % re.escape(domain),
                         r"\g<1>%s\g<2>" % secret, text)
        assert n == 1, text
        return new
    return edit


def with_rooms_domain(domain):
    def edit(text):
        new, n = re.subn(r'(<rooms domain=")[^"]*(")', r"\g<1>%s\g<2>" % domain, text)
        assert n == 1, text
        return new
    return edit


# -- the command line ---------------------------------------------------------

def test_version(daemon_config):
    rc, out, err = daemon_config.run("--version")
    assert rc == 0, (rc, out, err)
    assert re.fullmatch(r"backchanneld [0-9]+\.[0-9]+\S*\n", out), repr(out)
    assert err == ""
    rc, out2, _ = daemon_config.run("-V")
    assert (rc, out2) == (0, out)


def test_no_config_is_a_usage_error(daemon_config):
    rc, out, err = daemon_config.run()
    assert rc == 2, (rc, out, err)
    assert "-c FILE is required" in err, err
    assert "usage:" in err, err
    assert out == ""


@pytest.mark.parametrize("argv", [["--bogus"], ["-x"],
                                  ["-c", "FILE", "extra"]])
def test_bad_arguments_are_usage_errors(daemon_config, argv):
    argv = [daemon_config.config_path if a == "FILE" else a for a in argv]
    rc, out, err = daemon_config.run(*argv)
    assert rc == 2, (argv, rc, out, err)
    assert "usage:" in err, err
    assert out == ""


def test_help(daemon_config):
    rc, out, err = daemon_config.run("--help")
    assert rc == 0, (rc, out, err)
    assert "usage: backchanneld -c FILE" in out
    assert "--log-file" in out


# -- connection failures --------------------------------------------------------

def test_wrong_secret_is_told_and_retried(make_daemon, connect):
    d = make_daemon(with_secret(h.SERVICE, "not-the-secret")).start()
    dom = re.escape(h.SERVICE)
    errors = wait_log(d, r"<3>backchanneld: %s: .*(not-authorized|check the secret)"
                      % dom, 10, count=2)
    assert "check the secret" in errors[0].string, errors[0].string
    retries = wait_log(d, r"backchanneld: %s: next connection attempt in (\d+) ms"
                       % dom, 10, count=2)
    delays = [int(m.group(1)) for m in retries]
    assert 0 < delays[0] <= delays[1], delays
    # The rooms domain, whose secret is right, is connected all along.
    assert re.search(r"backchanneld: %s: connected to " % re.escape(h.ROOMS),
                     log_text(d)), d.log_tail()
    ping_answers(connect("probe"), h.ROOMS)
    assert d.running(), d.log_tail()
    assert not re.search(r"backchanneld: %s: connected to " % dom, log_text(d))
    stop_ok(d)


def test_unknown_domain_is_told_and_retried(make_daemon, connect, server):
    nope = "nope." + h.SERVICE
    d = make_daemon(with_rooms_domain(nope)).start()
    errors = wait_log(d, r"<3>backchanneld: %s: (.*)" % re.escape(nope), 10)
    why = errors[0].group(1)
    # Prosody answers the stream header with host-unknown.  ejabberd
    # cannot tell an unknown domain from a wrong secret: it refuses the
    # handshake with not-authorized, and the daemon names both causes.
    expected = {"prosody": "(host-unknown): check its configuration",
                "ejabberd": "(not-authorized): check the secret, and that "
                            "the server serves this component domain"}[server.kind]
    assert expected in why, "%s: %s" % (server.kind, why)
    wait_log(d, r"backchanneld: %s: next connection attempt in \d+ ms"
             % re.escape(nope), 10, count=2)
    # D is not held back by M.
    ping_answers(connect("probe"), h.SERVICE)
    assert d.running(), d.log_tail()
    stop_ok(d)


# -- signals --------------------------------------------------------------------

def test_sighup_reopens_the_log_file(make_daemon, connect):
    d = make_daemon(log_file=True).start()
    probe = connect("probe", resource="ready")
    d.wait_ready(probe, timeout=20)
    started = wait_log(d, r"backchanneld: backchanneld (\S+): service %s, rooms %s"
                       % (re.escape(h.SERVICE), re.escape(h.ROOMS)), 5)
    rc, out, _ = d.run("--version")
    assert out.strip() == "backchanneld " + started[0].group(1)

    old = d.log_path + ".1"
    os.rename(d.log_path, old)  # as logrotate does
    d.proc.send_signal(signal.SIGHUP)
    wait_log(d, r"backchanneld: log reopened$", 5)
    assert d.running(), d.log_tail()
    with open(old, encoding="utf-8", errors="replace") as f:
        rotated = f.read()
    assert "connected to" in rotated, rotated
    assert "log reopened" not in rotated, rotated
    # Still serving, and what it says next goes to the new file.
    ping_answers(probe, h.SERVICE)
    stop_ok(d)
    text = log_text(d)
    assert "shutting down" in text, text
    with open(old, encoding="utf-8", errors="replace") as f:
        assert "shutting down" not in f.read()
    assert os.path.getsize(d.stderr_path) == 0, h.tail(d.stderr_path)


def test_sighup_without_log_file_keeps_running(daemon, connect):
    daemon.proc.send_signal(signal.SIGHUP)
    wait_log(daemon, r"backchanneld: log reopened$", 5)
    ping_answers(connect("alice"), h.SERVICE)
    stop_ok(daemon)


def test_sigint_stops_cleanly(daemon):
    daemon.proc.send_signal(signal.SIGINT)
    try:
        rc = daemon.proc.wait(15)
    except subprocess.TimeoutExpired:
        pytest.fail("backchanneld still running 15 s after SIGINT:\n%s"
                    % daemon.log_tail())
    daemon.stop()
    assert rc == 0, "exit status %s:\n%s" % (rc, daemon.log_tail())
    text = log_text(daemon)
    assert "shutting down" in text, text
    assert re.search(r"backchanneld: stopped$", text, re.M), text
