#!/usr/bin/python3 -S
# SPDX-License-Identifier: GPL-2.0
"""UDP traffic with verifiable payloads for the ofnic XDP selftests
(python3 stdlib only).

Every datagram carries the payload xdp/xsk_rx.c verifies: the magic
b"OFNICXDP", the sequence number and the payload length (32 bits each,
network order), then byte i = (seq * 31 + i) & 0xff.

  send   --dst IP --port P [--sport S] [--count N] [--size N] [--ttl T]
         [--first SEQ] [--interval S]      send N datagrams
  recv   --bind IP --port P [--count N] [--timeout S]
         receive and verify; prints "received N verified N bad N dup N",
         then "ttl T N" lines (how many arrived with IP TTL / hop limit T)
  echo   --dst IP --port P [--sport S] [--count N] [--size N] [--timeout S]
         send N datagrams from one connected socket and receive them back
         on it (an XDP_TX reflector answers from dst:P): prints "sent N
         returned N verified N bad N"
  stream --dst IP --port P [--sport S] [--secs S] [--rate PPS]
         send datagrams for S seconds (rate per second) or until SIGTERM,
         print how many (recv too ends on SIGTERM with its summary)
"""
import argparse
import select
import signal
import socket
import struct
import sys
import time

MAGIC = b"OFNICXDP"
HDR = 16
SO_RCVBUFFORCE = 33
IP_RECVTTL = 12
IP_TTL = 2
IPV6_RECVHOPLIMIT = 51
IPV6_HOPLIMIT = 52
IPV6_UNICAST_HOPS = 16


STOP = []  # set by SIGTERM/SIGINT: finish the loop, print the summary


def on_signal(signum, frame):
    STOP.append(signum)


def payload(seq, size):
    size = max(size, HDR)
    body = bytes(((seq * 31 + i) & 0xFF) for i in range(HDR, size))
    return MAGIC + struct.pack("!II", seq, size) + body


def check(data):
    """The sequence number of a good payload, or None."""
    if len(data) < HDR or data[:8] != MAGIC:
        return None
    seq, size = struct.unpack("!II", data[8:16])
    if size != len(data):
        return None
    if data != payload(seq, size):
        return None
    return seq


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def cmd_send(a):
    s = socket.socket(family(a.dst), socket.SOCK_DGRAM)
    if a.sport:
        s.bind(("", a.sport))
    if a.ttl:
        if family(a.dst) == socket.AF_INET:
            s.setsockopt(socket.IPPROTO_IP, IP_TTL, a.ttl)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, IPV6_UNICAST_HOPS, a.ttl)
    s.connect((a.dst, a.port))
    sent = 0
    for seq in range(a.first, a.first + a.count):
        try:
            s.send(payload(seq, a.size))
            sent += 1
        except OSError as e:
            print("send: seq %d: %s" % (seq, e), file=sys.stderr)
        if a.interval:
            time.sleep(a.interval)
    print("sent %d" % sent)
    return 0 if sent == a.count else 1


def cmd_recv(a):
    fam = family(a.bind)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Room for bursts: a frame built from an XDP page (cpumap, page_pool)
    # has a truesize of a whole page; a slow reader must not lose them.
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
    s.bind((a.bind, a.port))
    print("listening", flush=True)
    got = ok = bad = dup = 0
    seen = set()
    ttls = {}
    end = time.monotonic() + a.timeout
    while (not a.count or ok + dup + bad < a.count) and time.monotonic() < end:
        # short waits: a signal (PEP 475 restarts select) ends the loop soon
        r, _, _ = select.select([s], [], [], 0.2)
        if STOP:
            break
        if not r:
            continue
        data, anc, _, _ = s.recvmsg(65536, 64)
        got, ok, bad, dup = account(data, anc, ttls, seen, got, ok, bad, dup)
    # what is already queued on the socket counts too
    while True:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            break
        data, anc, _, _ = s.recvmsg(65536, 64)
        got, ok, bad, dup = account(data, anc, ttls, seen, got, ok, bad, dup)
    print("received %d verified %d bad %d dup %d" % (got, ok, bad, dup))
    for t in sorted(ttls):
        print("ttl %d %d" % (t, ttls[t]))
    return 0 if bad == 0 and (not a.count or ok == a.count) else 1


def account(data, anc, ttls, seen, got, ok, bad, dup):
    """One received datagram: its TTL, whether its payload is good."""
    got += 1
    for lvl, typ, val in anc:
        if (lvl, typ) in ((socket.IPPROTO_IP, IP_TTL),
                          (socket.IPPROTO_IPV6, IPV6_HOPLIMIT)):
            t = struct.unpack("i", val[:4])[0] if len(val) >= 4 else val[0]
            ttls[t] = ttls.get(t, 0) + 1
    seq = check(data)
    if seq is None:
        bad += 1
    elif seq in seen:
        dup += 1
    else:
        seen.add(seq)
        ok += 1
    return got, ok, bad, dup


def cmd_echo(a):
    s = socket.socket(family(a.dst), socket.SOCK_DGRAM)
    if a.sport:
        s.bind(("", a.sport))
    s.connect((a.dst, a.port))
    sent = ret = ok = bad = 0
    seen = set()
    for seq in range(a.count):
        s.send(payload(seq, a.size))
        sent += 1
        # one in flight at a time: the answer to each, or a timeout
        end = time.monotonic() + a.timeout
        while time.monotonic() < end:
            r, _, _ = select.select([s], [], [], max(0.0, end - time.monotonic()))
            if not r:
                break
            try:
                data, src = s.recvfrom(65536)
            except ConnectionRefusedError:
                continue  # an ICMP error: the reflector is not there
            ret += 1
            if check(data) == seq and seq not in seen:
                seen.add(seq)
                ok += 1
                break
            bad += 1
    print("sent %d returned %d verified %d bad %d" % (sent, ret, ok, bad))
    return 0 if ok == a.count and bad == 0 else 1


def cmd_stream(a):
    s = socket.socket(family(a.dst), socket.SOCK_DGRAM)
    if a.sport:
        s.bind(("", a.sport))
    s.connect((a.dst, a.port))
    sent = 0
    start = time.monotonic()
    gap = 1.0 / a.rate
    nxt = start
    while time.monotonic() - start < a.secs and not STOP:
        try:
            s.send(payload(sent, a.size))
            sent += 1
        except OSError:
            pass
        nxt += gap
        d = nxt - time.monotonic()
        if d > 0:
            time.sleep(d)
    print("sent %d" % sent, flush=True)
    return 0


def main():
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("send", "echo", "stream"):
        c = sub.add_parser(name)
        c.add_argument("--dst", required=True)
        c.add_argument("--port", type=int, required=True)
        c.add_argument("--sport", type=int, default=0)
        c.add_argument("--size", type=int, default=200)
        c.add_argument("--count", type=int, default=100)
        if name == "send":
            c.add_argument("--ttl", type=int, default=0)
            c.add_argument("--first", type=int, default=0)
            c.add_argument("--interval", type=float, default=0.0)
        if name == "echo":
            c.add_argument("--timeout", type=float, default=10.0)
        if name == "stream":
            c.add_argument("--secs", type=float, default=5.0)
            c.add_argument("--rate", type=float, default=200.0)
    c = sub.add_parser("recv")
    c.add_argument("--bind", required=True)
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--count", type=int, default=0)
    c.add_argument("--timeout", type=float, default=10.0)
    a = p.parse_args()
    return {"send": cmd_send, "recv": cmd_recv, "echo": cmd_echo,
            "stream": cmd_stream}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
