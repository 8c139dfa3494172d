"""bench/audio.py - the audio-room chat benchmark (docs/BENCHMARKS.md,
"Audio-room chats: join storm").

For each server (a private ejabberd and a private Prosody, each with its
own MUC service conference.localhost beside backchanneld's M) and each N:

  join storm   N listeners enter one live audio-room chat on M (opened with
               backchannelctl room open, a host and a speaker in it, a few
               messages of history), all at once; the time from the first
               join sent until every listener has its self-presence (status
               110), and the CPU each process used meanwhile: backchanneld
               and the server (every process of its group).  Then the same
               N listeners enter a room of the server's own MUC (default
               configuration: every presence broadcast), with the same host,
               speaker and history, in the same run.
  fan-out      the host sends MSGS messages to each room; the CPU of
               backchanneld (or of the server, for its own MUC) per
               delivered copy, once every occupant has every message.
  memory       backchanneld's RSS (and its anonymous part) before and after
               the storm: per 1,000 occupants.

Then, with no server: the store size and backchanneld's RSS for 0, 1,000
and 10,000 audio rooms imported into a fresh store.

Clients: one asyncio program speaking raw XML over one socket per
account (SASL PLAIN, bind), counting what arrives by searching the bytes
(no XML parsing, so that the O(N^2) presences of a MUC that broadcasts
every join cost the clients as little as possible).  slixmpp would spend
more CPU per stanza than the servers measured here; a libstrophe driver
in C would work as well but select() limits it below 1,024 sockets.

Loopback only; every process is stopped by its own PID (or process group)
and each wait is bounded.  Output: a table on stdout, the data file and
the plot (gnuplot) when asked.

usage: audio.py -b BUILDDIR [-N "200 500"] [-s "ejabberd prosody"]
                [-m MSGS] [-o DATAFILE] [-p PNG]
"""

import argparse
import asyncio
import base64
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

import harness as h  # noqa: E402

PASSWORD = "benchpass"
CONFERENCE = "conference.localhost"
HISTORY = 5
STORM_TIMEOUT = 90
SELF = re.compile(rb"code=['\"]110['\"]")
MSG = b">BMSG-"
CLK = os.sysconf("SC_CLK_TCK")


# -- servers with their own MUC ----------------------------------------------

class Prosody(h.Prosody):
    """The integration harness's Prosody with mod_muc on conference.localhost
    and accounts written straight into its data directory."""

    def write_config(self):
        super().write_config()
        with open(self.config_path(), "a") as f:
            f.write('\nComponent "%s" "muc"\n'
                    '  muc_room_locking = false\n'
                    '  max_history_messages = 20\n' % CONFERENCE)

    def add_accounts(self, names):
        d = os.path.join(self.dir, "data", h.HOST.replace(".", "%2e"),
                         "accounts")
        os.makedirs(d, exist_ok=True)
        for n in names:
            with open(os.path.join(d, n + ".dat"), "w") as f:
                f.write('return {\n\t["password"] = "%s";\n};\n' % PASSWORD)

    register_inband = False


class Ejabberd(h.Ejabberd):
    """The harness's ejabberd with mod_muc on conference.localhost and
    in-band registration open on loopback (ejabberdctl register costs about
    a second a user)."""

    def write_config(self):
        super().write_config()
        with open(self.config_path()) as f:
            text = f.read()
        text = text.replace("  register:\n    deny: all",
                            "  register:\n    allow: all")
        text = "registration_timeout: infinity\n" + text
        text += ("  mod_register:\n"
                 "    access: register\n"
                 "    ip_access: all\n"
                 "  mod_muc:\n"
                 "    host: %s\n"
                 "    max_users: 1000\n"
                 "    history_size: 20\n"
                 "    default_room_options:\n"
                 "      max_users: 1000\n"
                 "      mam: false\n" % CONFERENCE)
        with open(self.config_path(), "w") as f:
            f.write(text)
        if self.user:
            import pwd
            e = pwd.getpwnam(self.user)
            os.chown(self.config_path(), e.pw_uid, e.pw_gid)

    def add_accounts(self, names):
        pass  # in-band, by the clients

    register_inband = True


SERVERS = {"prosody": Prosody, "ejabberd": Ejabberd}


# -- process accounting --------------------------------------------------------

def cpu_of_pids(pids):
    """CPU seconds used so far by the processes pids (every thread): from
    /proc/PID/task/TID/schedstat, in nanoseconds, where the kernel has it
    (the clock ticks of /proc/PID/stat are 10 ms, too coarse for the
    daemon's share of a fan-out)."""
    total = 0.0
    for p in pids:
        try:
            tids = os.listdir("/proc/%d/task" % p)
            ns = 0
            for t in tids:
                with open("/proc/%d/task/%s/schedstat" % (p, t)) as f:
                    ns += int(f.read().split()[0])
            total += ns / 1e9
            continue
        except (OSError, IndexError, ValueError):
            pass
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK
        except (OSError, IndexError, ValueError):
            pass
    return total


def group_pids(pgid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                out.append(int(d))
        except (OSError, IndexError, ValueError):
            pass
    return out


def memory_of(pid):
    """(VmRSS, RssAnon) in KiB."""
    rss = anon = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("RssAnon:"):
                anon = int(line.split()[1])
    return rss, anon


# -- clients -----------------------------------------------------------------

class Conn:
    """One c2s connection speaking raw XML."""

    def __init__(self, user, port):
        self.user = user
        self.jid = "%s@%s/b" % (user, h.HOST)
        self.port = port
        self.buf = b""
        self.selfs = 0
        self.msgs = 0
        self.event = None
        self.want = None

    async def expect(self, pattern, timeout=30):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.buf)
            if m:
                self.buf = self.buf[m.end():]
                return m
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("%s: no %r; got %r" % (
                    self.user, pattern, self.buf[-400:]))
            data = await asyncio.wait_for(self.r.read(65536), left)
            if not data:
                raise RuntimeError("%s: connection closed; got %r" % (
                    self.user, self.buf[-400:]))
            self.buf += data

    def send(self, xml):
        self.w.write(xml.encode() if isinstance(xml, str) else xml)

    def open_stream(self):
        self.send("<?xml version='1.0'?><stream:stream to='%s' "
                  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber."
                  "org/streams' version='1.0'>" % h.HOST)

    async def login(self, register):
        self.r, self.w = await asyncio.open_connection(h.LOOPBACK, self.port)
        self.open_stream()
        await self.expect(rb"</stream:features>")
        if register:
            self.send("<iq type='set' id='reg'><query xmlns='jabber:iq:"
                      "register'><username>%s</username><password>%s"
                      "</password></query></iq>" % (self.user, PASSWORD))
            await self.expect(rb"<iq[^>]*id=['\"]reg['\"][^>]*>")
        cred = base64.b64encode(("\0%s\0%s" % (self.user, PASSWORD)).encode())
        self.send(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                  b"mechanism='PLAIN'>" + cred + b"</auth>")
        m = await self.expect(rb"<(success|failure)")
        if m.group(1) != b"success":
            raise RuntimeError("%s: authentication failed" % self.user)
        self.buf = b""
        self.open_stream()
        await self.expect(rb"</stream:features>")
        self.send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:"
                  "xml:ns:xmpp-bind'><resource>b</resource></bind></iq>")
        await self.expect(rb"id=['\"]bind['\"]")
        self.send("<iq type='set' id='sess'><session xmlns='urn:ietf:params:"
                  "xml:ns:xmpp-session'/></iq>")
        await self.expect(rb"id=['\"]sess['\"]")

    async def ping(self, to, timeout=20):
        """Until to answers a ping with a result (the daemon may still be
        connecting)."""
        deadline = time.monotonic() + timeout
        n = 0
        while True:
            n += 1
            pid = "ping%d" % n
            self.send("<iq type='get' id='%s' to='%s'><ping xmlns='urn:xmpp:"
                      "ping'/></iq>" % (pid, to))
            m = await self.expect(
                (r"<iq[^>]*id=['\"]%s['\"][^>]*>" % pid).encode(),
                timeout=max(deadline - time.monotonic(), 1))
            if b"result" in m.group(0):
                return
            if time.monotonic() > deadline:
                raise RuntimeError("%s does not answer" % to)
            await asyncio.sleep(0.3)

    async def iq(self, xml, iid, timeout=20):
        self.send(xml)
        m = await self.expect((r"<iq[^>]*id=['\"]%s['\"][^>]*>" % iid).encode(),
                              timeout=timeout)
        return m.group(0)

    def start_counting(self):
        """From now on, only counts self-presences and bench messages."""
        self.task = asyncio.ensure_future(self._count())

    async def _count(self):
        # Each marker is searched in the new bytes with the few before
        # them that could start one (shorter than a marker: nothing is
        # counted twice).
        data = self.buf
        self.buf = b""
        tail_s = tail_m = b""
        while True:
            c = tail_s + data
            self.selfs += len(SELF.findall(c))
            tail_s = c[-9:]
            c = tail_m + data
            self.msgs += c.count(MSG)
            tail_m = c[-(len(MSG) - 1):]
            if self.event is not None and self.want is not None \
                    and self.want(self):
                self.event.set()
                self.event = None
            data = await self.r.read(65536)
            if not data:
                return

    def wait_until(self, pred):
        self.want = pred
        self.event = asyncio.Event()
        if pred(self):
            self.event.set()
        return self.event

    def close(self):
        try:
            self.send("</stream:stream>")
            self.w.close()
        except Exception:  # noqa: BLE001 - at the end, whatever state
            pass


async def wait_all(conns, pred, timeout):
    events = [c.wait_until(pred) for c in conns]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)),
                           timeout)


def join_xml(room, nick):
    return "<presence to='%s/%s'><x xmlns='http://jabber.org/protocol/muc'/>" \
           "</presence>" % (room, nick)


# -- one server ------------------------------------------------------------------

class Run:
    def __init__(self, kind, build, ns, msgs, log, cap):
        self.kind, self.build, self.ns, self.msgs = kind, build, ns, msgs
        self.cap = cap
        self.log = log
        self.rows = []
        self.memrow = None

    def say(self, *a):
        print(*a, file=self.log, flush=True)

    async def clients(self, server, names):
        conns = [Conn(n, server.c2s_port) for n in names]
        sem = asyncio.Semaphore(50)

        async def one(c):
            async with sem:
                await c.login(server.register_inband)
        await asyncio.gather(*(one(c) for c in conns))
        return conns

    async def storm(self, label, room, stage, listeners, pids, daemon_pid,
                    cap=STORM_TIMEOUT):
        """The stage enters and writes history; the listeners enter at
        once; then the fan-out.  A storm that takes longer than cap seconds
        is cut there: its time is a lower bound, and it has no fan-out
        (the server is still busy with it)."""
        host, speaker = stage
        before = {c: c.selfs for c in stage}
        host.send(join_xml(room, "host"))
        await wait_all([host], lambda c: c.selfs > before[c], 20)
        if room.endswith(CONFERENCE):
            # Our own MUC's rooms open unlocked; a server's may be locked
            # until configured: an instant room (§10.1.2).
            host.send("<iq type='set' id='inst' to='%s'><query xmlns='http://"
                      "jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data'"
                      " type='submit'/></query></iq>" % room)
        speaker.send(join_xml(room, "speaker"))
        await wait_all([speaker], lambda c: c.selfs > before[c], 20)
        for i in range(HISTORY):
            host.send("<message type='groupchat' to='%s'><body>HIST %d</body>"
                      "</message>" % (room, i))
        await asyncio.sleep(0.5)
        base = {c: c.selfs for c in listeners}
        mem0 = memory_of(daemon_pid) if daemon_pid else (0, 0)
        cpu0 = {k: cpu_of_pids(v) for k, v in pids.items()}
        me0 = time.process_time()
        t0 = time.monotonic()
        for c in listeners:
            c.send(join_xml(room, c.user))
        cut = False
        try:
            await wait_all(listeners, lambda c: c.selfs > base[c], cap)
        except asyncio.TimeoutError:
            cut = True
        took = time.monotonic() - t0
        me1 = time.process_time()
        if cut:
            cpu1 = {k: cpu_of_pids(v) for k, v in pids.items()}
            return {
                "label": label, "n": len(listeners), "join_s": took,
                "cut": True, "join_cpu": {k: cpu1[k] - cpu0[k] for k in pids},
                "driver_s": me1 - me0, "fan_s": float("nan"),
                "deliveries": 0, "fan_cpu": {k: float("nan") for k in pids},
                "rss_kib": 0, "anon_kib": 0,
            }
        # Let what the joins cost settle (presences still being written).
        await asyncio.sleep(0.5)
        cpu1 = {k: cpu_of_pids(v) for k, v in pids.items()}
        mem1 = memory_of(daemon_pid) if daemon_pid else (0, 0)
        # Fan-out: every occupant gets every message.
        everyone = list(stage) + list(listeners)
        mbase = {c: c.msgs for c in everyone}
        cpu2 = {k: cpu_of_pids(v) for k, v in pids.items()}
        t1 = time.monotonic()
        for i in range(self.msgs):
            host.send("<message type='groupchat' to='%s'><body>BMSG-%d"
                      "</body></message>" % (room, i))
        await wait_all(everyone, lambda c: c.msgs >= mbase[c] + self.msgs,
                       STORM_TIMEOUT)
        fan = time.monotonic() - t1
        cpu3 = {k: cpu_of_pids(v) for k, v in pids.items()}
        return {
            "label": label, "n": len(listeners), "join_s": took,
            "join_cpu": {k: cpu1[k] - cpu0[k] for k in pids},
            "driver_s": me1 - me0, "cut": False,
            "fan_s": fan, "deliveries": self.msgs * len(everyone),
            "fan_cpu": {k: cpu3[k] - cpu2[k] for k in pids},
            "rss_kib": mem1[0] - mem0[0], "anon_kib": mem1[1] - mem0[1],
        }

    async def run(self):
        nmax = max(self.ns)
        names = ["h1", "s1"] + ["u%d" % i for i in range(1, nmax + 1)]
        server = SERVERS[self.kind]()
        daemon = None
        conns = []
        try:
            server.write_config()
            server.add_accounts(names)
            t = time.monotonic()
            server.start()
            self.say("%s: started in %.1f s" % (self.kind, time.monotonic() - t))
            daemon = h.Daemon(server)
            with open(os.path.join(daemon.dir, "dir.xml"), "w") as f:
                f.write("<backchannel-data version='1'>\n")
                for n in names:
                    f.write("<identity handle='%s'><link jid='%s@%s'/>"
                            "</identity>\n" % (n, n, h.HOST))
                f.write("</backchannel-data>\n")
            rc, out, err = daemon.ctl("import", os.path.join(daemon.dir,
                                                             "dir.xml"))
            assert rc == 0, err
            daemon.start()
            t = time.monotonic()
            conns = await self.clients(server, names)
            self.say("%s: %d clients logged in in %.1f s" % (
                self.kind, len(conns), time.monotonic() - t))
            await conns[0].ping(h.ROOMS)
            await conns[0].ping(h.SERVICE)
            for c in conns:
                c.start_counting()
            stage, listeners = conns[:2], conns[2:]
            # First, while the daemon's heap has no room left by storms.
            await self.memory(daemon, stage, listeners)
            for n in self.ns:
                node = "audio%d" % n
                rc, out, err = daemon.ctl("room", "open", node, "--title",
                                          "Bench %d" % n, "--host", "h1",
                                          "--speaker", "s1")
                assert rc == 0, err
                await asyncio.sleep(0.4)  # the change log's period
                pids = {"daemon": [daemon.proc.pid],
                        "server": group_pids(server.proc.pid)}
                r = await self.storm("backchanneld", "%s@%s" % (node, h.ROOMS),
                                     stage, listeners[:n], pids,
                                     daemon.proc.pid)
                self.report(r)
                pids = {"server": group_pids(server.proc.pid)}
                r = await self.storm("%s mod_muc" % self.kind,
                                     "native%d@%s" % (n, CONFERENCE), stage,
                                     listeners[:n], pids, None, self.cap)
                self.report(r)
                if r["cut"]:
                    break  # the server is still at it
        finally:
            for c in conns:
                c.close()
            await asyncio.sleep(0.2)
            if daemon is not None:
                daemon.close()
            server.close()

    async def memory(self, daemon, stage, listeners):
        """backchanneld's memory per occupant: every listener enters an audio
        room, 50 at a time, before any storm, so that neither what a storm
        holds for a moment (its output, written at once) nor the room it
        leaves in the heap afterwards is counted.  An upper bound: the
        first occupants also grow the daemon's buffers once."""
        rc, out, err = daemon.ctl("room", "open", "memory", "--title", "M",
                                  "--host", "h1", "--speaker", "s1")
        assert rc == 0, err
        await asyncio.sleep(0.4)
        room = "memory@" + h.ROOMS
        for c in stage:
            base = c.selfs
            c.send(join_xml(room, c.user))
            await wait_all([c], lambda x, b=base: x.selfs > b, 20)
        await asyncio.sleep(0.5)
        mem0 = memory_of(daemon.proc.pid)
        for i in range(0, len(listeners), 50):
            batch = listeners[i:i + 50]
            base = {c: c.selfs for c in batch}
            for c in batch:
                c.send(join_xml(room, c.user))
            await wait_all(batch, lambda c: c.selfs > base[c], 30)
        await asyncio.sleep(0.5)
        mem1 = memory_of(daemon.proc.pid)
        n = len(listeners)
        self.memrow = (n, mem1[0] - mem0[0], mem1[1] - mem0[1])
        self.say("backchanneld at rest: %d occupants: RSS +%d KiB (anon +%d "
                 "KiB): %.0f KiB per 1,000" % (n, mem1[0] - mem0[0],
                                               mem1[1] - mem0[1],
                                               (mem1[0] - mem0[0]) * 1000 / n))

    def report(self, r):
        self.rows.append((self.kind, r))
        cpu = " ".join("%s=%.2fs" % kv for kv in sorted(r["join_cpu"].items()))
        fcpu = " ".join("%s=%.2fs" % kv for kv in sorted(r["fan_cpu"].items()))
        cpu += " driver=%.2fs" % r["driver_s"]
        if r["cut"]:
            self.say("%-20s N=%-4d join cut after %.1f s: not every listener "
                     "had its self-presence (%s)" % (r["label"], r["n"],
                                                      r["join_s"], cpu))
            return
        self.say("%-20s N=%-4d join %.3f s (%s); fan-out %d copies in %.2f s "
                 "(%s)%s" % (r["label"], r["n"], r["join_s"], cpu,
                             r["deliveries"], r["fan_s"], fcpu,
                             "; RSS +%d KiB (anon +%d KiB)" % (
                                 r["rss_kib"], r["anon_kib"])
                             if r["label"] == "backchanneld" else ""))


# -- rooms in the store -----------------------------------------------------------

def rooms_in_store(build, counts, log):
    """Store size and backchanneld RSS with 0, 1,000 and 10,000 audio rooms
    (each with a host and a speaker), no server: the daemon loads every
    room at start whether or not it is connected."""
    out = []
    base = tempfile.mkdtemp(prefix="bc-audio-rooms-")
    try:
        for n in counts:
            d = os.path.join(base, str(n))
            store = os.path.join(d, "store")
            os.makedirs(store)
            cfg = os.path.join(d, "bc.xml")
            with open(cfg, "w") as f:
                f.write("<backchannel><server host='127.0.0.1' port='%d'/>"
                        "<service domain='bc.localhost' secret='x'/>"
                        "<rooms domain='rooms.bc.localhost' secret='x'/>"
                        "<store path='%s'/></backchannel>\n"
                        % (h.free_port(), store))
            data = os.path.join(d, "rooms.xml")
            with open(data, "w") as f:
                f.write("<backchannel-data version='1'>\n"
                        "<identity handle='h'/><identity handle='s'/>\n")
                for i in range(n):
                    f.write("<room name='r%d' title='Room %d' kind='audio' "
                            "live='true'><affiliation who='h' affiliation="
                            "'host'/><affiliation who='s' affiliation="
                            "'speaker'/></room>\n" % (i, i))
                f.write("</backchannel-data>\n")
            subprocess.run([os.path.join(build, "backchannelctl"), "-c", cfg,
                            "import", data], check=True, timeout=120,
                           stdin=subprocess.DEVNULL)
            size = sum(os.path.getsize(os.path.join(store, f))
                       for f in os.listdir(store)
                       if not f.startswith("log.") and
                       os.path.isfile(os.path.join(store, f)))
            p = subprocess.Popen([os.path.join(build, "backchanneld"), "-c",
                                  cfg], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            try:
                time.sleep(1.5 + n / 10000)
                rss, anon = memory_of(p.pid)
            finally:
                p.terminate()
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
            out.append((n, size, rss, anon))
            print("rooms in the store: %6d: store %8d KiB (without logs), "
                  "backchanneld RSS %6d KiB (anon %6d KiB)" % (
                      n, size // 1024, rss, anon), file=log, flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return out


# -- output ----------------------------------------------------------------------

def write_data(rows, path):
    """One line per (N): join seconds and µs of CPU per delivery of each
    implementation, in a fixed column order for the plot."""
    cols = ["backchanneld@ejabberd", "ejabberd mod_muc",
            "backchanneld@prosody", "prosody mod_muc"]
    table = {}
    for kind, r in rows:
        name = r["label"] + ("@" + kind if r["label"] == "backchanneld" else "")
        who = "daemon" if r["label"] == "backchanneld" else "server"
        table.setdefault(r["n"], {})[name] = (
            r["join_s"], float("nan") if r["cut"] else
            1e6 * r["fan_cpu"][who] / r["deliveries"])
    with open(path, "w") as f:
        f.write("# N " + " ".join('"%s join s" "%s us/delivery"' % (c, c)
                                  for c in cols) + "\n")
        for n in sorted(table):
            vals = []
            for c in cols:
                j, u = table[n].get(c, (float("nan"), float("nan")))
                vals += ["%.4f" % j, "%.3f" % u]
            f.write("%d %s\n" % (n, " ".join(vals)))


def plot(data, png, cap):
    script = """
set terminal pngcairo noenhanced size 1100,450 font ",10"
set output '{png}'
set multiplot layout 1,2 title "Audio-room chat: N listeners join one room (loopback, 2 cores; a storm cut at {cap:.0f} s is plotted there, a lower bound)"
set key top left
set xlabel "listeners N"
set logscale y
set grid
set ylabel "seconds until every listener has its self-presence"
plot '{data}' using 1:2 with linespoints title "backchanneld behind ejabberd", \\
     '' using 1:4 with linespoints title "ejabberd mod_muc", \\
     '' using 1:6 with linespoints title "backchanneld behind Prosody", \\
     '' using 1:8 with linespoints title "Prosody mod_muc"
set ylabel "CPU µs per delivered copy (component or server)"
set yrange [0.5:*]
plot '{data}' using 1:3 with linespoints title "backchanneld (ejabberd run)", \\
     '' using 1:5 with linespoints title "ejabberd mod_muc", \\
     '' using 1:7 with linespoints title "backchanneld (Prosody run)", \\
     '' using 1:9 with linespoints title "Prosody mod_muc"
unset multiplot
""".format(png=png, data=data, cap=cap)
    gp = shutil.which("gnuplot")
    if gp is None:
        print("audio.py: gnuplot is not installed (scripts/deps.sh): no plot",
              file=sys.stderr)
        return
    subprocess.run([gp], input=script, text=True, check=True, timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-b", "--build", default=".")
    ap.add_argument("-N", default="200 500")
    ap.add_argument("-s", "--servers", default="ejabberd prosody")
    ap.add_argument("-m", "--msgs", type=int, default=20)
    ap.add_argument("-o", "--data", default=None)
    ap.add_argument("-p", "--png", default=None)
    ap.add_argument("-R", "--rooms", default="0 1000 10000")
    ap.add_argument("-T", "--cap", type=float, default=40,
                    help="seconds after which a server's own MUC storm is "
                    "cut (a lower bound is reported)")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.environ["BACKCHANNELD"] = os.path.join(build, "backchanneld")
    os.environ["BACKCHANNELCTL"] = os.path.join(build, "backchannelctl")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    h.install_cleanup()
    ns = [int(x) for x in a.N.split()]
    rows = []
    mems = []
    for kind in a.servers.split():
        run = Run(kind, build, ns, a.msgs, sys.stdout, a.cap)
        asyncio.run(run.run())
        rows += run.rows
        if run.memrow:
            mems.append((kind,) + run.memrow)
    print()
    print("| N | implementation | join storm | CPU during the storm | "
          "driver CPU | CPU per delivered copy |")
    print("| --- | --- | --- | --- | --- | --- |")
    for kind, r in rows:
        who = "daemon" if r["label"] == "backchanneld" else "server"
        name = r["label"] + (" behind " + kind
                             if r["label"] == "backchanneld" else "")
        print("| %d | %s | %s%.3f s | %s | %.2f s | %s |" % (
            r["n"], name, "> " if r["cut"] else "", r["join_s"],
            ", ".join("%s %.2f s" % kv for kv in sorted(r["join_cpu"].items())),
            r["driver_s"], "-" if r["cut"] else "%.2f µs" % (
                1e6 * r["fan_cpu"][who] / r["deliveries"])))
    for kind, r in rows:
        if r["label"] == "backchanneld":
            print("backchanneld behind %s, N=%d, right after the storm: RSS "
                  "+%.0f KiB per 1,000 occupants (anonymous memory +%.0f KiB)"
                  % (kind, r["n"], r["rss_kib"] * 1000 / r["n"],
                     r["anon_kib"] * 1000 / r["n"]))
    for kind, n, rss, anon in mems:
        print("backchanneld behind %s, %d occupants entering 50 at a time: "
              "RSS +%.0f KiB per 1,000 occupants (anonymous memory +%.0f KiB)"
              % (kind, n, rss * 1000 / n, anon * 1000 / n))
    counts = [int(x) for x in a.rooms.split()]
    if counts:
        st = rooms_in_store(build, counts, sys.stdout)
        if len(st) >= 2:
            (n0, s0, r0, a0), (n1, s1, r1, a1) = st[0], st[-1]
            k = 1000 / (n1 - n0)
            print("per 1,000 audio rooms: store +%.0f KiB, backchanneld RSS "
                  "+%.0f KiB (anonymous +%.0f KiB)" % (
                      (s1 - s0) * k / 1024, (r1 - r0) * k, (a1 - a0) * k))
    if a.data:
        write_data(rows, a.data)
        if a.png:
            plot(a.data, a.png, a.cap)


if __name__ == "__main__":
    main()
