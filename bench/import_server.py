#!/usr/bin/env python3
"""bench/import_server.py - the server side of XEP-0114 for the import
benchmark (bench/import.sh): accepts the daemon's component connections
on 127.0.0.1 (the port written to PORTFILE), answers the stream header
and the handshake (XEP-0114 §3; the digest is not checked: loopback, our
own daemon), and counts the presence probes the daemon sends.  Prints
one line "probes=N seconds=S first=F" once SECONDS have passed since the
first connection or N reached EXPECT; F is the seconds from the first
connection to the first probe.

usage: import_server.py PORTFILE SECONDS EXPECT
"""
import os
import selectors
import socket
import sys
import time

PROBE = b'type="probe"'


def main():
    portfile, seconds, expect = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(4)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(lsock.getsockname()[1]))
    os.rename(portfile + ".tmp", portfile)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ)
    conns = {}  # socket -> [phase, pending bytes]
    probes = 0
    connected = first = None
    limit = time.monotonic() + 600
    while probes < expect and time.monotonic() < limit:
        if connected is not None:
            limit = min(limit, connected + seconds)
        for key, _ in sel.select(0.2):
            if key.fileobj is lsock:
                c, _ = lsock.accept()
                sel.register(c, selectors.EVENT_READ)
                conns[c] = ["header", b""]
                if connected is None:
                    connected = time.monotonic()
                continue
            c = key.fileobj
            data = c.recv(1 << 20)
            if not data:
                sel.unregister(c)
                c.close()
                continue
            st = conns[c]
            buf = st[1] + data
            if st[0] == "header" and b"<stream:stream" in buf:
                c.sendall(b"<?xml version='1.0'?><stream:stream "
                          b"xmlns='jabber:component:accept' "
                          b"xmlns:stream='http://etherx.jabber.org/streams' "
                          b"id='bench'>")
                st[0] = "handshake"
            if st[0] == "handshake":
                if b"</handshake>" in buf:
                    c.sendall(b"<handshake/>")
                    st[0] = "up"
                    buf = buf[buf.index(b"</handshake>") + 12:]
                else:
                    st[1] = buf
                    continue
            n = buf.count(PROBE)
            if n and first is None:
                first = time.monotonic() - connected
            probes += n
            # Keep what may begin a probe cut by the next read.
            last = buf.rfind(PROBE)
            cut = max(len(buf) - (len(PROBE) - 1),
                      last + len(PROBE) if last >= 0 else 0)
            st[1] = buf[cut:]
    print("probes=%d seconds=%.1f first=%.2f"
          % (probes, time.monotonic() - (connected or time.monotonic()),
             first if first is not None else -1))


main()
