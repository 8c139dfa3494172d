"""Fixtures for the end-to-end suites: one private XMPP server per session
(BC_SERVER=prosody or ejabberd), a fresh daemon per test, and clients."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness as h  # noqa: E402

PASSWORD = "password"

# Members' real accounts live on HOST; outside users on OUTSIDE.
# "platform" is a configured admin (the platform's bot), "mod" a moderator.
USERS = [
    ("alice", h.HOST, PASSWORD),
    ("bob", h.HOST, PASSWORD),
    ("dave", h.HOST, PASSWORD),
    ("platform", h.HOST, PASSWORD),
    ("mod", h.HOST, PASSWORD),
    ("probe", h.HOST, PASSWORD),
    ("carol", h.OUTSIDE, PASSWORD),
    ("erin", h.OUTSIDE, PASSWORD),
    ("abuse", h.OUTSIDE, PASSWORD),
]

ADMINS = ["platform@" + h.HOST]
MODERATORS = ["mod@" + h.HOST]


def pytest_configure(config):
    h.install_cleanup()


def pytest_report_header(config):
    return "server: %s; backchanneld: %s" % (
        os.environ.get("BC_SERVER", "prosody"),
        os.environ.get("BACKCHANNELD", "./backchanneld"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, append the tails of the daemon and server logs."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for thing in list(h.ACTIVE):
            rep.sections.append(("%s log (%s)" % (thing.kind, thing.log_path),
                                 thing.log_tail()))


def running(s):
    """A generator for fixtures: yields the server s started, with USERS
    registered, and closes it after."""
    try:
        s.start()
        s.add_users(USERS)
        yield s
    finally:
        s.close()


@pytest.fixture(scope="session")
def server():
    """The private XMPP server, started once, with USERS registered."""
    try:
        yield from running(h.server_from_env())
    finally:
        h.shutdown_clients()


def clients_of(server):
    """A generator for fixtures: yields connect(user, host=localhost) ->
    a connected Client of server; all are disconnected after the test."""
    clients = []

    def make(user, host=h.HOST, password=PASSWORD, resource="test", timeout=10):
        c = h.Client("%s@%s" % (user, host), password, server.c2s_port, resource)
        clients.append(c)
        return c.connect(timeout)

    yield make
    for c in clients:
        c.disconnect()


@pytest.fixture
def connect(server):
    """connect(user, host=localhost) -> a connected Client; all are
    disconnected after the test."""
    yield from clients_of(server)


@pytest.fixture
def daemon_config(server):
    """A Daemon with its configuration written but not started."""
    d = h.Daemon(server, admins=ADMINS, moderators=MODERATORS)
    try:
        yield d
        # A daemon still running must stop cleanly on SIGTERM, and no
        # sanitizer may have complained (builds with --enable-sanitizers).
        was_running = d.running()
        rc = d.stop()
        if was_running and rc != 0:
            pytest.fail("backchanneld exited with status %s on SIGTERM:\n%s"
                        % (rc, d.log_tail()))
        reports = d.sanitizer_reports()
        if reports:
            pytest.fail("sanitizer reports in the daemon log:\n%s\n%s"
                        % ("\n".join(reports[:20]), d.log_tail(120)))
    finally:
        d.close()


@pytest.fixture
def daemon(daemon_config, connect):
    """A running daemon whose two component domains answer pings."""
    daemon_config.start()
    probe = connect("probe", resource="ready")
    daemon_config.wait_ready(probe, timeout=20)
    return daemon_config
