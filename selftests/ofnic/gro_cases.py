#!/usr/bin/python3 -S
# SPDX-License-Identifier: GPL-2.0
"""GRO conformance cases the 6.12 tree's gro.c lacks, in its manner
(python3 stdlib only): a sender writes raw TCP frames on one port, a receiver
reads what the stack got on the other with a packet socket (taps see frames
after GRO), and compares each sub-case's payload sizes with those software
GRO gives (net/ipv4/tcp_offload.c tcp_gro_receive, 6.12):

  ecn    (ipv4, ipv6) CWR and ECE. A CWR segment never joins a held packet
         but starts one that later segments without CWR join; ECE must be
         the same in all.
  ipip   (ipv4) TCP/IPv4 inside IPv4 (protocol 4): coalesced by the inner
         headers (ipip_gro_receive), the outer ID not checked under DF.

  gro_cases.py [--tx]|--rx --iface IF --smac MAC --dmac MAC --test T [--ipv6]

Each sub-case ends with a bare FIN, which GRO never merges (no payload); the
sender pauses 100 ms between sub-cases. The receiver prints one line per
sub-case, "NAME: expected [..] received [..]: ok|FAIL", and exits 1 if any
failed or it timed out (--timeout, default 60 s).
"""
import argparse
import socket
import struct
import sys
import time

from ofnic_net import ETH_P_IP, ETH_P_IPV6, inet_csum, mac_bytes, pseudo_header

PACKET_OUTGOING = 4
SRC4, DST4 = "192.168.99.1", "192.168.99.2"  # inner and outer, never routed
OSRC4, ODST4 = "192.168.98.1", "192.168.98.2"
SRC6, DST6 = "fd99::1", "fd99::2"
SPORT, DPORT = 40321, 8123
PAYLOAD = 100
ACK, PSH, FIN, ECE, CWR = 0x10, 0x08, 0x01, 0x40, 0x80


def tcp(src, dst, seq, flags, payload):
    seg = struct.pack("!HHIIBBHHH", SPORT, DPORT, seq, 1, 5 << 4, flags, 1024, 0,
                      0) + payload
    c = inet_csum(pseudo_header(src, dst, 6, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ip4(src, dst, proto, ident, body):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident, 0x4000, 64,
                      proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return hdr[:10] + struct.pack("!H", inet_csum(hdr)) + hdr[12:] + body


def ip6(src, dst, body):
    return struct.pack("!IHBB", 6 << 28, len(body), 6, 64) + socket.inet_pton(
        socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + body


class Flow:
    """Consecutive segments of one flow, as frames."""

    def __init__(self, args):
        self.a, self.seq, self.ident = args, 1000, 100
        self.eth = mac_bytes(args.dmac) + mac_bytes(args.smac) + struct.pack(
            "!H", ETH_P_IPV6 if args.ipv6 else ETH_P_IP)

    def frame(self, flags=ACK, size=PAYLOAD):
        payload = bytes((self.seq + i) & 0xFF for i in range(size))
        if self.a.ipv6:
            l3 = ip6(SRC6, DST6, tcp(SRC6, DST6, self.seq, flags, payload))
        elif self.a.test == "ipip":
            inner = ip4(SRC4, DST4, 6, self.ident,
                        tcp(SRC4, DST4, self.seq, flags, payload))
            l3 = ip4(OSRC4, ODST4, 4, 0, inner)  # outer: DF, one fixed ID
        else:
            l3 = ip4(SRC4, DST4, 6, self.ident,
                     tcp(SRC4, DST4, self.seq, flags, payload))
        self.seq += size
        self.ident += 1
        return self.eth + l3


# name -> (flags of each data segment, expected payload sizes)
CASES = {
    "ecn": [
        ("CWR starts a packet the next segments join",
         [ACK, ACK, ACK | CWR, ACK, ACK], [200, 300]),
        ("CWR on the first segment", [ACK | CWR, ACK, ACK], [300]),
        ("ECE must match", [ACK, ACK, ACK | ECE, ACK | ECE], [200, 200]),
    ],
    "ipip": [
        ("same-size data", [ACK, ACK, ACK], [300]),
        ("PSH ends it", [ACK, ACK | PSH, ACK], [200, 100]),
    ],
}


def tx(args):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((args.iface, 0))
    flow = Flow(args)
    time.sleep(0.1)
    for _name, flags, _want in CASES[args.test]:
        frames = [flow.frame(f) for f in flags] + [flow.frame(ACK | FIN, 0)]
        for f in frames:
            s.send(f)
        time.sleep(0.1)
    return 0


def parse(args, pkt):
    """The TCP flags and payload size of one of our frames, or None."""
    if args.ipv6:
        if len(pkt) < 40 + 20 or pkt[0] >> 4 != 6 or pkt[6] != 6:
            return None
        l4, end = 40, 40 + struct.unpack("!H", pkt[4:6])[0]
    else:
        if len(pkt) < 20 or pkt[0] != 0x45:
            return None
        if args.test == "ipip":
            if pkt[9] != 4:
                return None
            pkt = pkt[20:]
            if len(pkt) < 20 or pkt[0] != 0x45:
                return None
        if pkt[9] != 6:
            return None
        l4, end = 20, struct.unpack("!H", pkt[2:4])[0]
    if end > len(pkt) or end < l4 + 20:
        return None
    sport, dport = struct.unpack("!HH", pkt[l4:l4 + 4])
    if (sport, dport) != (SPORT, DPORT):
        return None
    return pkt[l4 + 13], end - l4 - (pkt[l4 + 12] >> 4) * 4


def rx(args):
    proto = ETH_P_IPV6 if args.ipv6 else ETH_P_IP
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(proto))
    s.bind((args.iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    print("ready", flush=True)
    deadline = time.monotonic() + args.timeout
    failed, sizes = 0, []
    for name, _flags, want in CASES[args.test]:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                print(f"{name}: expected {want} received {sizes}: FAIL (timeout)")
                return 1
            s.settimeout(left)
            try:
                pkt, addr = s.recvfrom(1 << 17)
            except socket.timeout:
                continue
            if addr[2] == PACKET_OUTGOING:
                continue
            got = parse(args, pkt)
            if not got:
                continue
            flags, size = got
            if size:
                sizes.append(size)
            if flags & FIN:
                break
        ok = sizes == want
        failed |= not ok
        print(f"{name}: expected {want} received {sizes}: {'ok' if ok else 'FAIL'}",
              flush=True)
        sizes = []
    return failed


def main():
    p = argparse.ArgumentParser()
    g = p.add_mutually_exclusive_group()
    g.add_argument("--tx", action="store_true", help="send (the default)")
    g.add_argument("--rx", action="store_true", help="receive and judge")
    p.add_argument("--iface", required=True)
    p.add_argument("--smac", required=True)
    p.add_argument("--dmac", required=True)
    p.add_argument("--test", choices=sorted(CASES), required=True)
    p.add_argument("--ipv6", action="store_true")
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args()
    if args.ipv6 and args.test == "ipip":
        p.error("ipip is IPv4 in IPv4")
    return rx(args) if args.rx else tx(args)


if __name__ == "__main__":
    sys.exit(main())
