"""Integration harness: private XMPP servers, the daemon, and test clients.

Everything here runs on 127.0.0.1 only, on ports chosen free at run time, in
private temporary directories.  Every process it starts is stopped by its own
PID (or the process group it was started in), never by name, so several runs
can share a machine.

- Prosody and Ejabberd write a loopback-only configuration with two virtual
  hosts (``localhost`` for members' real accounts, ``outside.localhost`` for
  outside users) and two component domains (the service ``bc.localhost`` and
  the MUC service ``rooms.bc.localhost``), start the server in the foreground
  as a child process, and register users.
- Daemon writes a backchannel configuration file, runs ``backchanneld`` and
  ``backchannelctl`` against it.
- Client is a synchronous wrapper around a slixmpp client.
"""

import asyncio
import os
import pwd
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

HOST = "localhost"
OUTSIDE = "outside.localhost"
SERVICE = "bc.localhost"
ROOMS = "rooms.bc.localhost"
LOOPBACK = "127.0.0.1"

# Every server or daemon currently running, so a failing test can show the
# tails of their logs (see conftest.py).
ACTIVE = []

_chosen_ports = set()


def stop_all():
    """Stops every server and daemon still running (at exit, or when the run
    is terminated), by their PIDs."""
    for thing in list(ACTIVE):
        try:
            thing.close()
        except Exception:  # noqa: BLE001 - keep stopping the others
            pass


def _on_sigterm(signum, _frame):
    stop_all()
    os._exit(128 + signum)


def install_cleanup():
    """Makes sure nothing started here outlives this process: at exit, and
    on SIGTERM or SIGHUP (e.g. from timeout(1))."""
    import atexit
    atexit.register(stop_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_sigterm)


def _listen_range():
    """Ports to listen on: below the kernel's range for outgoing connections,
    so that no client socket (ours or another program's) takes a server's
    port while the server restarts."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return (10000, max(low, 12000))


def free_port():
    """Returns a TCP port on 127.0.0.1 that is free now and was not handed out
    before by this process."""
    lo, hi = _listen_range()
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randrange(lo, hi)
        if port in _chosen_ports:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((LOOPBACK, port))
            except OSError:
                continue
        if port_open(port):
            continue
        _chosen_ports.add(port)
        return port
    raise RuntimeError("no free port on 127.0.0.1")


def port_open(port):
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
    except OSError:
        return False


def tail(path, lines=60):
    """Returns the last lines of a text file, or a note that it is missing."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            data = f.read().decode("utf-8", "replace")
    except OSError as e:
        return "(no log: %s)" % e
    return "\n".join(data.splitlines()[-lines:])


def _stop_group(proc, timeout):
    """Stops a child started with start_new_session=True: SIGTERM to its
    process group (whose id is the child's PID), then SIGKILL after timeout.
    Returns the child's exit status."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    # Whatever is left of the group (helpers of the server) goes too.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        return proc.wait(10)
    except subprocess.TimeoutExpired:
        return None


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


class Server:
    """What Prosody and Ejabberd have in common."""

    kind = "?"

    def __init__(self, start_timeout=60):
        self.dir = tempfile.mkdtemp(prefix="bc-%s-" % self.kind)
        os.chmod(self.dir, 0o755)
        self.c2s_port = free_port()
        self.component_port = free_port()
        self.secret = secrets.token_hex(12)
        self.start_timeout = start_timeout
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")
        self.users = []

    # Subclasses fill these in.
    def write_config(self):
        raise NotImplementedError

    def command(self):
        raise NotImplementedError

    def register(self, user, host, password):
        raise NotImplementedError

    def env(self):
        env = dict(os.environ)
        env["HOME"] = self.dir
        env["LC_ALL"] = "C.UTF-8"
        return env

    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("%s already running" % self.kind)
        if not os.path.exists(self.config_path()):
            self.write_config()
        log = open(self.log_path, "ab")
        log.write(b"==== start %s ====\n" % time.ctime().encode())
        log.flush()
        self.proc = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, cwd=self.dir, env=self.env(),
            start_new_session=True)
        log.close()
        if self not in ACTIVE:
            ACTIVE.append(self)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s while starting:\n%s" % (
                    self.kind, self.proc.returncode, self.log_tail()))
            if port_open(self.c2s_port) and port_open(self.component_port):
                self.wait_ready(deadline)
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("%s did not open ports %d and %d within %ds:\n%s" % (
            self.kind, self.c2s_port, self.component_port,
            self.start_timeout, self.log_tail()))

    def wait_ready(self, deadline):
        pass

    def stop(self, timeout=15):
        if self.proc is None:
            return None
        rc = _stop_group(self.proc, timeout)
        pgid = self.proc.pid
        self.proc = None
        end = time.monotonic() + 5
        while _group_alive(pgid) and time.monotonic() < end:
            time.sleep(0.05)
        if _group_alive(pgid):
            raise RuntimeError("%s left processes in group %d" % (self.kind, pgid))
        # Wait for the ports to be free again, so a restart can take them.
        end = time.monotonic() + 10
        while (port_open(self.c2s_port) or port_open(self.component_port)) \
                and time.monotonic() < end:
            time.sleep(0.1)
        return rc

    def restart(self):
        self.stop()
        return self.start()

    def drop_components(self):
        """Cuts every component connection to this server (ss -K on its
        component port: only our daemons connect there), while the server
        and its clients stay up."""
        self._run([_which("ss"), "-K", "dst", LOOPBACK, "dport", "=",
                   ":%d" % self.component_port])

    def close(self):
        """Stops the server and removes its directory."""
        self.stop()
        if self in ACTIVE:
            ACTIVE.remove(self)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, lines=60):
        return tail(self.log_path, lines)

    def add_users(self, users):
        """Registers (user, host, password) triples."""
        for user, host, password in users:
            self.register(user, host, password)
            self.users.append((user, host, password))

    def _run(self, argv, timeout=60):
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=timeout, cwd=self.dir,
                           env=self.env())
        if r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s %s" % (
                " ".join(argv), r.returncode, r.stdout, r.stderr))
        return r


def _which(name, dirs=("/usr/bin", "/usr/sbin", "/bin", "/sbin")):
    found = shutil.which(name)
    if found:
        return found
    for d in dirs:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    raise RuntimeError("%s is not installed (run scripts/deps.sh)" % name)


def self_signed_cert(directory, name=HOST):
    """Writes a self-signed certificate and key for name into directory."""
    os.makedirs(directory, exist_ok=True)
    crt = os.path.join(directory, name + ".crt")
    key = os.path.join(directory, name + ".key")
    subprocess.run(
        [_which("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-days", "30", "-subj", "/CN=" + name, "-keyout", key, "-out", crt],
        check=True, capture_output=True, timeout=60)
    return crt, key


class Prosody(Server):
    kind = "prosody"

    def config_path(self):
        return os.path.join(self.dir, "prosody.cfg.lua")

    def write_config(self):
        certs = os.path.join(self.dir, "certs")
        self_signed_cert(certs, HOST)
        data = os.path.join(self.dir, "data")
        os.makedirs(data, exist_ok=True)
        cfg = """-- Private, loopback-only test server.
run_as_root = true
pidfile = "{dir}/prosody.pid"
data_path = "{data}"
certificates = "{certs}"
interfaces = {{ "127.0.0.1" }}
local_interfaces = {{ "127.0.0.1" }}
component_interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {c2s} }}
c2s_direct_tls_ports = {{ }}
s2s_ports = {{ }}
component_ports = {{ {comp} }}
http_ports = {{ }}
https_ports = {{ }}
authentication = "internal_plain"
c2s_require_encryption = false
s2s_require_encryption = false
allow_unencrypted_plain_auth = true
allow_registration = false
log = {{ {{ levels = {{ min = "info" }}, to = "console" }} }}
limits = {{
  c2s = {{ rate = "10mb/s", burst = "5s" }};
  s2sin = {{ rate = "10mb/s", burst = "5s" }};
}}
modules_enabled = {{
  "roster"; "saslauth"; "disco"; "ping"; "presence"; "message";
  "iq"; "version"; "time"; "private"; "vcard"; "blocklist"; "carbons";
}}
modules_disabled = {{ "s2s" }}

VirtualHost "{host}"
  -- XEP-0356 (mod_privilege, Debian's prosody-modules): D may write
  -- members' rosters, for the message requests group.
  modules_enabled = {{ "privilege" }}
  privileged_entities = {{ ["{service}"] = {{ roster = "both" }} }}
VirtualHost "{outside}"
  -- XEP-0157: an abuse address, for reports forwarded to the origin.
  modules_enabled = {{ "server_contact_info" }}
  contact_info = {{ abuse = {{ "xmpp:abuse@{outside}" }} }}

Component "{service}"
  component_secret = "{secret}"
  -- mod_privilege must run on the component too, to see it authenticate.
  modules_enabled = {{ "privilege" }}

Component "{rooms}"
  component_secret = "{secret}"
""".format(dir=self.dir, data=data, certs=certs, c2s=self.c2s_port,
           comp=self.component_port, host=HOST, outside=OUTSIDE,
           service=SERVICE, rooms=ROOMS, secret=self.secret)
        with open(self.config_path(), "w") as f:
            f.write(cfg)

    def command(self):
        return [_which("prosody"), "-F", "--config", self.config_path()]

    def register(self, user, host, password):
        self._run([_which("prosodyctl"), "--config", self.config_path(),
                   "register", user, host, password])


class Ejabberd(Server):
    kind = "ejabberd"

    def __init__(self, start_timeout=90, extra_yaml=""):
        super().__init__(start_timeout)
        # Top-level options added to the configuration (test_shards.py).
        self.extra_yaml = extra_yaml
        self.dist_port = free_port()
        # -sname node names must be unique per run; letters and digits only.
        self.node = "bc%s@localhost" % secrets.token_hex(4)
        self.cookie = secrets.token_hex(16)
        self.etc = os.path.join(self.dir, "etc")
        self.spool = os.path.join(self.dir, "spool")
        self.logs = os.path.join(self.dir, "logs")
        self.user = None
        if os.geteuid() == 0:
            self.user = "ejabberd"
            try:
                pwd.getpwnam(self.user)
            except KeyError:
                raise RuntimeError("user ejabberd is missing (install ejabberd)")

    def config_path(self):
        return os.path.join(self.etc, "ejabberd.yml")

    def write_config(self):
        for d in (self.etc, self.spool, self.logs):
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(self.etc, "ejabberdctl.cfg"), "w") as f:
            f.write("""# Private, loopback-only test node: no epmd, no outside listener.
ERLANG_NODE={node}
INET_DIST_INTERFACE=127.0.0.1
ERL_EPMD_ADDRESS=127.0.0.1
ERL_DIST_PORT={dist}
ERL_OPTIONS="-setcookie {cookie} -env ERL_CRASH_DUMP_BYTES 0"
EJABBERD_PID_PATH={dir}/ejabberd.pid
EJABBERD_BYPASS_WARNINGS=true
CONTRIB_MODULES_PATH={dir}/contrib
CONTRIB_MODULES_CONF_DIR={etc}/modules.d
""".format(node=self.node, dist=self.dist_port, cookie=self.cookie,
           dir=self.dir, etc=self.etc))
        with open(os.path.join(self.etc, "inetrc"), "w") as f:
            f.write('{lookup,["file","native"]}.\n'
                    '{host,{127,0,0,1}, ["localhost"]}.\n')
        with open(self.config_path(), "w") as f:
            f.write("""# Private, loopback-only test server.
hosts:
  - {host}
  - {outside}
loglevel: info
hide_sensitive_log_data: false
auth_method: internal
auth_password_format: plain
sql_type: sqlite
default_db: mnesia
acl:
  local:
    user_regexp: ""
  privileged_components:
    server: "{service}"
access_rules:
  local:
    allow: local
  privileged_roster:
    allow: privileged_components
  c2s:
    allow: all
  register:
    deny: all
shaper:
  normal: 10000000
  fast: 50000000
shaper_rules:
  max_user_sessions: 100
  max_user_offline_messages: 5000
  c2s_shaper: normal
  s2s_shaper: fast
listen:
  -
    port: {c2s}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls: false
    starttls_required: false
    max_stanza_size: 1048576
    shaper: c2s_shaper
    access: c2s
  -
    port: {comp}
    ip: "127.0.0.1"
    module: ejabberd_service
    # Each connection routes only the domain it authenticated for: with the
    # default (true), both connections would get both domains' traffic.
    global_routes: false
    max_stanza_size: 1048576
    shaper_rule: fast
    hosts:
      "{service}":
        password: "{secret}"
      "{rooms}":
        password: "{secret}"
s2s_access: none
modules:
  mod_disco:
    # XEP-0157: the outside host publishes an abuse address (the daemon
    # forwards reports there when the reporter allows it).
    server_info:
      -
        modules: all
        name: abuse-addresses
        urls: ["xmpp:abuse@{outside}"]
  mod_ping: {{}}
  mod_roster:
    versioning: true
  mod_blocking: {{}}
  mod_privacy: {{}}
  mod_carboncopy: {{}}
  mod_caps: {{}}
  mod_vcard: {{}}
  mod_version:
    show_os: false
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_stream_mgmt: {{}}
  # XEP-0356: D may write members' rosters (message requests group).
  mod_privilege:
    roster:
      both: privileged_roster
""".format(host=HOST, outside=OUTSIDE, c2s=self.c2s_port,
           comp=self.component_port, service=SERVICE, rooms=ROOMS,
           secret=self.secret) + self.extra_yaml)
        if self.user:
            entry = pwd.getpwnam(self.user)
            for root, dirs, files in os.walk(self.dir):
                for name in dirs + files:
                    os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)

    def _ctl(self, *args):
        argv = [_which("ejabberdctl"), "--config-dir", self.etc,
                "--spool", self.spool, "--logs", self.logs] + list(args)
        if self.user:
            # runuser keeps our process group, so stopping the group reaches
            # the Erlang VM (ejabberdctl's own "su" would start a new session).
            argv = [_which("runuser"), "-u", self.user, "--"] + argv
        return argv

    def command(self):
        return self._ctl("foreground")

    def env(self):
        env = super().env()
        if self.user:
            env["HOME"] = self.spool
        return env

    def wait_ready(self, deadline):
        # The listeners open before the hosts are fully started: wait until
        # ejabberdctl answers "status" before registering users.
        while time.monotonic() < deadline:
            r = subprocess.run(self._ctl("status"), stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=60,
                               cwd=self.dir, env=self.env())
            if r.returncode == 0 and "started" in r.stdout:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.5)
        raise RuntimeError("ejabberd did not report started:\n%s" % self.log_tail())

    def register(self, user, host, password):
        self._run(self._ctl("register", user, host, password))

    def log_tail(self, lines=60):
        return tail(self.log_path, lines // 2) + "\n---- ejabberd.log ----\n" + \
            tail(os.path.join(self.logs, "ejabberd.log"), lines)


SERVERS = {"prosody": Prosody, "ejabberd": Ejabberd}


def server_from_env():
    kind = os.environ.get("BC_SERVER", "prosody")
    if kind not in SERVERS:
        raise RuntimeError("BC_SERVER must be one of %s, not %r" % (
            ", ".join(SERVERS), kind))
    return SERVERS[kind]()


# ---------------------------------------------------------------------------
# The daemon under test.

def _xml_attr(value):
    return (value.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace('"', "&quot;"))


def _binary(env_name, default_name):
    path = os.environ.get(env_name) or os.path.abspath(default_name)
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s not found at %s (set %s)" % (
            default_name, path, env_name))
    return path


class Daemon:
    """One backchanneld with a private store and configuration file."""

    def __init__(self, server, admins=(), moderators=(), extra_xml="",
                 rooms_attrs=""):
        self.server = server
        self.rooms_attrs = rooms_attrs
        self.dir = tempfile.mkdtemp(prefix="bc-daemon-")
        self.config_path = os.path.join(self.dir, "backchannel.xml")
        self.store_path = os.path.join(self.dir, "store")
        self.log_path = os.path.join(self.dir, "backchanneld.log")
        self.admins = list(admins)
        self.moderators = list(moderators)
        self.extra_xml = extra_xml
        self.proc = None
        self.returncode = None
        self.binary = _binary("BACKCHANNELD", "backchanneld")
        self.write_config()

    def config_text(self):
        s = self.server
        lines = [
            "<backchannel>",
            '  <server host="%s" port="%d"/>' % (LOOPBACK, s.component_port),
            '  <service domain="%s" secret="%s"/>' % (SERVICE, _xml_attr(s.secret)),
            '  <rooms domain="%s" secret="%s" %s/>' % (
                ROOMS, _xml_attr(s.secret), self.rooms_attrs),
            '  <store path="%s"/>' % _xml_attr(self.store_path),
        ]
        lines += ['  <admin jid="%s"/>' % _xml_attr(j) for j in self.admins]
        lines += ['  <moderator jid="%s"/>' % _xml_attr(j) for j in self.moderators]
        if self.extra_xml:
            lines.append(self.extra_xml)
        lines.append("</backchannel>")
        return "\n".join(lines) + "\n"

    def write_config(self):
        os.makedirs(self.store_path, exist_ok=True)
        with open(self.config_path, "w") as f:
            f.write(self.config_text())

    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("backchanneld already running")
        log = open(self.log_path, "ab")
        log.write(b"==== start %s ====\n" % time.ctime().encode())
        log.flush()
        self.proc = subprocess.Popen(
            [self.binary, "-c", self.config_path,
             os.environ.get("BC_DAEMON_VERBOSITY", "-v")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=self.dir)
        log.close()
        self.returncode = None
        if self not in ACTIVE:
            ACTIVE.append(self)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        """SIGTERM, then SIGKILL after timeout.  Returns the exit status
        (negative for a signal, as subprocess reports it)."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.returncode = self.proc.returncode
        self.proc = None
        return self.returncode

    def kill9(self):
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.kill()
        self.returncode = self.proc.wait(10)
        self.proc = None
        return self.returncode

    def close(self):
        self.stop()
        if self in ACTIVE:
            ACTIVE.remove(self)
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, *args, timeout=30):
        """Runs backchanneld with other arguments; returns (rc, out, err)."""
        r = subprocess.run([self.binary] + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout,
                           cwd=self.dir)
        return r.returncode, r.stdout, r.stderr

    def ctl(self, *args, timeout=30):
        """Runs backchannelctl -c FILE ARGS; returns (rc, stdout, stderr)."""
        ctl = _binary("BACKCHANNELCTL", "backchannelctl")
        r = subprocess.run([ctl, "-c", self.config_path] + list(args),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=timeout, cwd=self.dir)
        return r.returncode, r.stdout, r.stderr

    def log_tail(self, lines=60):
        return tail(self.log_path, lines)

    SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                       "runtime error:", "WARNING: AddressSanitizer")

    def sanitizer_reports(self):
        """Lines of the log where a sanitizer reported a problem."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return [line.rstrip() for line in f
                        if any(m in line for m in self.SANITIZER_MARKS)]
        except OSError:
            return []

    def wait_ready(self, client, timeout=20):
        """Waits until both component domains answer a ping sent by client
        through the server.  Fails at once if the daemon exits."""
        deadline = time.monotonic() + timeout
        for domain in (SERVICE, ROOMS):
            while True:
                if not self.running():
                    raise AssertionError(
                        "backchanneld exited (status %s) before %s answered:\n%s"
                        % (self.proc.returncode if self.proc else self.returncode,
                           domain, self.log_tail()))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Timeout("%s did not answer a ping within %ss:\n%s" % (
                        domain, timeout, self.log_tail()))
                try:
                    r = client.iq_get(domain, "<ping xmlns='urn:xmpp:ping'/>",
                                      timeout=min(3, max(left, 0.5)))
                    if r.get("type") == "result":
                        break
                except Timeout:
                    pass
                time.sleep(0.2)
        return self

    kind = "backchanneld"


# ---------------------------------------------------------------------------
# Test clients.

class Timeout(AssertionError):
    pass


class _Loop:
    """One asyncio event loop in a background thread shared by every client,
    so all clients keep reading while a test waits on one of them."""

    _instance = None

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.retired = []
        self.thread = threading.Thread(target=self._run, name="xmpp-loop",
                                       daemon=True)
        self.thread.start()

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    @classmethod
    def get(cls):
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def call(self, coro, timeout):
        fut = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return fut.result(timeout)
        except TimeoutError:
            fut.cancel()
            raise Timeout("timed out after %ss" % timeout)

    @classmethod
    def shutdown(cls):
        """Cancels what is left on the shared loop and stops its thread."""
        self = cls._instance
        if self is None:
            return
        cls._instance = None

        async def cancel_all():
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        try:
            self.call(cancel_all(), 5)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def call_soon(self, fn, *args):
        """Runs fn(*args) on the loop thread and returns its result."""
        async def wrap():
            return fn(*args)
        return self.call(wrap(), 10)


ET.register_namespace("", "jabber:client")

NS = {
    "client": "jabber:client",
    "disco_info": "http://jabber.org/protocol/disco#info",
    "disco_items": "http://jabber.org/protocol/disco#items",
    "version": "jabber:iq:version",
    "ping": "urn:xmpp:ping",
    "data": "jabber:x:data",
    "stanzas": "urn:ietf:params:xml:ns:xmpp-stanzas",
    "muc": "http://jabber.org/protocol/muc",
    "muc_user": "http://jabber.org/protocol/muc#user",
}


class Client:
    """A synchronous XMPP client for tests.

    Connects to the private server's c2s port on 127.0.0.1 without TLS,
    records every stanza it receives (as parsed elements and raw XML), and
    offers blocking calls with timeouts.
    """

    def __init__(self, jid, password, port, resource="test"):
        import slixmpp  # Debian's python3-slixmpp: run with /usr/bin/python3
        self._slixmpp = slixmpp
        self.jid = "%s/%s" % (jid, resource)
        self.bare = jid
        self.password = password
        self.port = port
        self.received = []  # parsed elements, in arrival order
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.loop = _Loop.get()
        self.xmpp = None
        self.connected = False
        self.auth_failed = False

    def _make(self):
        slixmpp = self._slixmpp
        asyncio.set_event_loop(self.loop.loop)
        x = slixmpp.ClientXMPP(self.jid, self.password)
        x.loop = self.loop.loop
        x["feature_mechanisms"].unencrypted_plain = True
        # A person answers subscription requests, not the client library:
        # tests approve or refuse them explicitly.
        x.auto_authorize = None
        x.auto_subscribe = False
        x.register_plugin("xep_0030")
        x.register_plugin("xep_0199")
        x.add_filter("in", self._record)
        x.add_event_handler("session_start", self._on_session)
        x.add_event_handler("failed_auth", self._on_failed_auth)
        x.add_event_handler("disconnected", self._on_disconnected)
        self.xmpp = x
        self._session = asyncio.Event()
        return x

    def _record(self, stanza):
        try:
            el = ET.fromstring(ET.tostring(stanza.xml))
        except Exception:  # noqa: BLE001 - never break the stream
            return stanza
        with self.cond:
            self.received.append(el)
            self.cond.notify_all()
        return stanza

    def _on_session(self, _event):
        self.xmpp.send_presence()
        self._session.set()

    def _on_failed_auth(self, _event):
        self.auth_failed = True
        self._session.set()

    def _on_disconnected(self, _event):
        self.connected = False

    def connect(self, timeout=10):
        async def go():
            x = self._make()
            x.connect(address=(LOOPBACK, self.port), use_ssl=False,
                      force_starttls=False, disable_starttls=True)
            await asyncio.wait_for(self._session.wait(), timeout)
        try:
            self.loop.call(go(), timeout + 2)
        except (Timeout, asyncio.TimeoutError):
            raise Timeout("%s: no session within %ss" % (self.jid, timeout))
        if self.auth_failed:
            raise AssertionError("%s: authentication failed" % self.jid)
        self.connected = True
        return self

    def disconnect(self, timeout=5):
        if self.xmpp is None:
            return

        async def go():
            self.xmpp.disconnect(wait=0.5)
            try:
                await asyncio.wait_for(self.xmpp.disconnected, timeout)
            except asyncio.TimeoutError:
                self.xmpp.abort()
        try:
            self.loop.call(go(), timeout + 2)
        except Exception:  # noqa: BLE001 - the server may be gone already
            pass
        self.connected = False
        # slixmpp leaves tasks waiting on the stream's queues; keep the stream
        # alive until the loop shuts down, which cancels them quietly.
        self.loop.retired.append(self.xmpp)
        self.xmpp = None

    # -- sending -----------------------------------------------------------

    def send_raw(self, xml):
        """Sends one stanza given as XML text (default namespace jabber:client)."""
        self.loop.call_soon(self.xmpp.send_raw, xml)

    def iq(self, xml, timeout=5):
        """Sends an IQ given as XML text (an id is added when missing) and
        returns the reply element (result or error).  Raises Timeout."""
        el = ET.fromstring(xml)
        iq_id = el.get("id")
        if not iq_id:
            iq_id = "t" + secrets.token_hex(6)
            el.set("id", iq_id)
        mark = self.mark()
        self.send_raw(ET.tostring(el, encoding="unicode"))
        return self.wait_for(
            lambda s: _local(s.tag) == "iq" and s.get("id") == iq_id
            and s.get("type") in ("result", "error"),
            timeout=timeout, since=mark,
            what="reply to iq %s to %s" % (iq_id, el.get("to")))

    def iq_get(self, to, payload, timeout=5):
        return self.iq("<iq type='get' to='%s'>%s</iq>" % (to, payload), timeout)

    def iq_set(self, to, payload, timeout=5):
        return self.iq("<iq type='set' to='%s'>%s</iq>" % (to, payload), timeout)

    def message(self, to, body, mtype="chat", extra=""):
        self.send_raw("<message to='%s' type='%s'><body>%s</body>%s</message>" % (
            to, mtype, _text(body), extra))

    # -- receiving ---------------------------------------------------------

    def mark(self):
        """A position in the received list, for wait_for(since=...)."""
        with self.lock:
            return len(self.received)

    def wait_for(self, pred, timeout=5, since=0, what="stanza"):
        """Waits until a received stanza (from index since on) matches pred
        and returns it.  Raises Timeout listing what did arrive."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for el in self.received[since:]:
                    if pred(el):
                        return el
                left = deadline - time.monotonic()
                if left <= 0:
                    got = "\n".join(xml_text(e)[:400] for e in self.received[since:])
                    raise Timeout("%s: no %s within %ss; received:\n%s" % (
                        self.jid, what, timeout, got or "(nothing)"))
                self.cond.wait(min(left, 0.2))

    def stanzas(self, since=0):
        """Raw XML of every stanza received (from index since on)."""
        with self.lock:
            return [xml_text(e) for e in self.received[since:]]


def shutdown_clients():
    """Stops the event loop the clients share (call once, at the end)."""
    _Loop.shutdown()


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_text(el):
    return ET.tostring(el, encoding="unicode")


def error_condition(el):
    """Returns the defined condition of an error stanza ('service-unavailable',
    ...) or None."""
    err = el.find("{jabber:client}error")
    if err is None:
        err = el.find("error")
    if err is None:
        return None
    for child in err:
        if child.tag.startswith("{%s}" % NS["stanzas"]):
            return _local(child.tag)
    return None


def wait_until(fn, timeout, interval=0.5, what="condition"):
    """Calls fn until it returns a true value; returns it or raises Timeout."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last_exc = e
        time.sleep(interval)
    raise Timeout("%s not reached within %ss (last error: %s)" % (
        what, timeout, last_exc))
