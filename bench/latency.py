#!/usr/bin/python3
"""latency.py - the latency the component hop adds (docs/BENCHMARKS.md,
"Latency of the component hop").

Starts a private Prosody on 127.0.0.1 (tests/integration/harness.py: free
ports, a private directory, users alice and bob on localhost) and a
backchanneld with a fresh store (no rate limit, log level warn), creates the
identities alice and bob, links them to alice@localhost and bob@localhost
and has them follow each other, then runs bench/latency_client: alice
writes to bob two ways,

  hop:    alice@localhost -> bob@bc.localhost -> Prosody -> backchanneld
          -> Prosody -> bob@localhost
  direct: alice@localhost -> bob@localhost (Prosody alone)

first as fast as a window allows (the maximum rate of each path), then in
ROUNDS rounds of one phase per path at the same fixed rate (half the hop
path's maximum unless -R), alternating which goes first.  It prints p50
and p99 of each path per round and over all rounds, and the difference
hop - direct (the added latency) per round, with the median, minimum and
maximum over the rounds.

Every process it starts is stopped by its PID (the harness's way); loopback
only.  Run from the build directory, or give -b.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

PASSWORD = "password"


def percentile(values, p):
    """The p-th percentile (nearest rank) of values."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def spread(values):
    """median, min, max."""
    v = sorted(values)
    n = len(v)
    med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    return med, v[0], v[-1]


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


def schedstat(pid):
    """(ns on a CPU, ns runnable but waiting for one, timeslices) of pid."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            a, b, c = f.read().split()[:3]
        return int(a), int(b), int(c)
    except (OSError, ValueError):
        return 0, 0, 0


def sched_line(name, before, after):
    run, wait, n = (after[i] - before[i] for i in range(3))
    return ("%s during the client's run: %.0f ms on a CPU, %.0f ms waiting "
            "for one, in %d timeslices (%.0f us of waiting a slice)"
            % (name, run / 1e6, wait / 1e6, n, wait / 1e3 / n if n else 0))


def fdatasync_probe(directory, n=300):
    """Latencies (us) of n appends of 512 bytes, each made durable with
    fdatasync(2), in directory: what one group commit of the daemon's
    store waits for on this disk now."""
    path = os.path.join(directory, "fdatasync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    out = []
    try:
        for _ in range(n):
            os.write(fd, b"x" * 512)
            t = time.perf_counter()
            os.fdatasync(fd)
            out.append((time.perf_counter() - t) * 1e6)
    finally:
        os.close(fd)
        os.remove(path)
    return out


def ctl(daemon, *args):
    rc, out, err = daemon.ctl(*args)
    if rc != 0:
        raise RuntimeError("backchannelctl %s: %s%s" % (" ".join(args), out, err))


def start_daemon(h, daemon):
    """Starts backchanneld at its configured log level (the harness's
    Daemon.start adds -v)."""
    log = open(daemon.log_path, "ab")
    daemon.proc = subprocess.Popen(
        [daemon.binary, "-c", daemon.config_path], stdin=subprocess.DEVNULL,
        stdout=log, stderr=subprocess.STDOUT, cwd=daemon.dir)
    log.close()
    if daemon not in h.ACTIVE:
        h.ACTIVE.append(daemon)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-b", default=".", help="build directory (.)")
    ap.add_argument("-r", type=int, default=5, help="rounds (5)")
    ap.add_argument("-t", type=float, default=3.0,
                    help="seconds of each phase (3)")
    ap.add_argument("-R", type=float, default=0.0,
                    help="messages a second (0: half the hop's maximum)")
    ap.add_argument("-m", type=float, default=2.0,
                    help="seconds of each maximum-rate run (2)")
    ap.add_argument("-W", type=int, default=100,
                    help="unanswered messages in the maximum-rate runs (100)")
    ap.add_argument("-k", action="store_true", help="keep the samples file")
    args = ap.parse_args()

    build = os.path.abspath(args.b)
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.environ.setdefault("BACKCHANNELD", os.path.join(build, "backchanneld"))
    os.environ.setdefault("BACKCHANNELCTL",
                          os.path.join(build, "backchannelctl"))
    client = os.path.join(build, "bench", "latency_client")
    if not os.access(client, os.X_OK):
        sys.exit("latency.py: %s is not built" % client)
    sys.path.insert(0, os.path.join(src, "tests", "integration"))
    import harness as h  # noqa: E402

    h.install_cleanup()
    commit = subprocess.run(["git", "-C", src, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    print("latency benchmark: %d rounds of %.0f s a path, rate %s, commit %s, "
          "load average %s"
          % (args.r, args.t, "%.0f/s" % args.R if args.R else
             "half the hop's maximum", commit or "unknown", loadavg()),
          flush=True)
    server = h.Prosody()
    daemon = None
    samples_dir = tempfile.mkdtemp(prefix="bc-latency-")
    samples = os.path.join(samples_dir, "samples")
    try:
        server.start()
        server.add_users([("alice", h.HOST, PASSWORD),
                          ("bob", h.HOST, PASSWORD)])
        daemon = h.Daemon(server, extra_xml='  <log level="warn"/>\n'
                          '  <limits rate="0"/>')
        start_daemon(h, daemon)
        for handle in ("alice", "bob"):
            ctl(daemon, "identity", "add", handle)
            ctl(daemon, "link", handle, "%s@%s" % (handle, h.HOST))
        ctl(daemon, "follow", "alice", "bob")
        ctl(daemon, "follow", "bob", "alice")
        argv = [client, "-p", str(server.c2s_port),
                "-a", "alice@%s/lat" % h.HOST, "-b", "bob@%s/lat" % h.HOST,
                "-w", PASSWORD, "-H", "bob@%s" % h.SERVICE,
                "-D", "bob@%s" % h.HOST, "-o", samples,
                "-m", str(args.m), "-t", str(args.t), "-r", str(args.r),
                "-W", str(args.W), "-R", str(args.R)]
        limit = 60 + 2 * args.m + 2 * args.r * (args.t + 3)
        d0, p0 = schedstat(daemon.proc.pid), schedstat(server.proc.pid)
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=limit)
        d1, p1 = schedstat(daemon.proc.pid), schedstat(server.proc.pid)
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr)
            sys.stderr.write("---- backchanneld ----\n%s\n---- prosody ----\n%s\n"
                             % (daemon.log_tail(), server.log_tail()))
            sys.exit("latency.py: the client failed (%d)" % proc.returncode)
        if not daemon.running():
            sys.exit("latency.py: backchanneld exited:\n" + daemon.log_tail())
        # The disk the store commits to, right after the run.
        sync = fdatasync_probe(daemon.store_path)
    finally:
        if daemon is not None:
            daemon.close()
        server.close()

    lost = sum(int(line.split("lost=")[1].split()[0])
               for line in proc.stdout.splitlines()
               if line.startswith("PHASE"))
    by = {}
    with open(samples) as f:
        for line in f:
            _, rnd, path, us = line.split()
            by.setdefault((int(rnd), path), []).append(float(us))
    if not args.k:
        os.remove(samples)
        os.rmdir(samples_dir)
    else:
        print("samples kept in %s" % samples)

    rounds = sorted({r for r, _ in by})
    print("per round (microseconds):")
    d50s, d99s = [], []
    for r in rounds:
        hop, direct = by.get((r, "hop"), []), by.get((r, "direct"), [])
        h50, h99 = percentile(hop, 50), percentile(hop, 99)
        x50, x99 = percentile(direct, 50), percentile(direct, 99)
        d50s.append(h50 - x50)
        d99s.append(h99 - x99)
        print("  round %d: hop p50 %.0f p99 %.0f (%d); direct p50 %.0f p99 %.0f "
              "(%d); added p50 %.0f p99 %.0f"
              % (r, h50, h99, len(hop), x50, x99, len(direct),
                 h50 - x50, h99 - x99))
    allhop = [v for (r, p), vs in by.items() if p == "hop" for v in vs]
    alldir = [v for (r, p), vs in by.items() if p == "direct" for v in vs]
    print("all rounds: hop p50 %.0f p99 %.0f us (%d samples); direct p50 %.0f "
          "p99 %.0f us (%d samples); lost %d"
          % (percentile(allhop, 50), percentile(allhop, 99), len(allhop),
             percentile(alldir, 50), percentile(alldir, 99), len(alldir),
             lost))
    print("added by the hop (hop - direct), over all rounds: p50 %.0f us, "
          "p99 %.0f us"
          % (percentile(allhop, 50) - percentile(alldir, 50),
             percentile(allhop, 99) - percentile(alldir, 99)))
    m, lo, hi = spread(d50s)
    print("added p50 per round: median %.0f us (min %.0f, max %.0f)"
          % (m, lo, hi))
    m, lo, hi = spread(d99s)
    print("added p99 per round: median %.0f us (min %.0f, max %.0f); "
          "target < 1000 us" % (m, lo, hi))
    print(sched_line("backchanneld", d0, d1))
    print(sched_line("Prosody", p0, p1))
    print("fdatasync on the store's disk after the run (one group commit): "
          "p50 %.0f us, p99 %.0f us; load average %s"
          % (percentile(sync, 50), percentile(sync, 99), loadavg()))


if __name__ == "__main__":
    main()
