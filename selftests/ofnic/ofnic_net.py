#!/usr/bin/python3 -S
# SPDX-License-Identifier: GPL-2.0
"""Packet tools of the ofnic offload selftests (python3 stdlib only).

  send IFACE ...        a hand-made Ethernet/IPv4|IPv6/UDP|TCP frame on an
                        AF_PACKET socket, with a good, bad or zero L4 checksum,
                        a good or bad IPv4 header checksum, optional padding;
                        optionally wait for the answer (TCP: SYN-ACK or RST)
  udp-recv              print the UDP datagrams a socket receives
  udp-send              send N datagrams
  tcp-write             connect and send N bytes with one send() call
  pcap-info FILE        "key value" summary of the TCP (and UDP) frames of a
                        capture: sizes, payloads, IPv4 header, TCP and UDP
                        checksums
  toeplitz-selftest     the Toeplitz hash against Microsoft's test vectors
  rss-predict           the RX queue RSS picks for TCP flows (key, table)
  rss-pick              source ports whose flows spread evenly over queues
  rss-server            accept N TCP connections, read each to the end, print
                        for each its source port, the NAPI ID that received it
                        (SO_INCOMING_NAPI_ID) and the bytes
  rss-client            N TCP connections from given (or picked) source ports
  rss-check             which queue each flow of rss-server landed on, and
                        whether RSS (Toeplitz, key, table) predicted it
  napi-map JSON IFINDEX "napi_id queue" from `ynl --dump queue-get --output-json`
"""
import argparse
import copy
import os
import select
import socket
import struct
import sys
import threading
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
SO_INCOMING_NAPI_ID = 56


# ---- checksums and frames ---------------------------------------------------

def csum16(data):
    """Ones' complement sum of 16-bit words, folded, not complemented."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def inet_csum(data):
    return ~csum16(data) & 0xFFFF


def is_v6(addr):
    return ":" in addr


def pseudo_header(src, dst, proto, length):
    if is_v6(src):
        return (socket.inet_pton(socket.AF_INET6, src) +
                socket.inet_pton(socket.AF_INET6, dst) +
                struct.pack("!IxxxB", length, proto))
    return (socket.inet_aton(src) + socket.inet_aton(dst) +
            struct.pack("!xBH", proto, length))


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def build_frame(a):
    """The frame `send` describes, as bytes."""
    payload = a.payload.encode()
    proto = 17 if a.proto == "udp" else 6
    if proto == 17:
        l4 = struct.pack("!HHHH", a.sport, a.dport, 8 + len(payload), 0) + payload
        off = 6
    else:
        flags = 0
        for c in a.flags:
            flags |= {"F": 1, "S": 2, "R": 4, "P": 8, "A": 16}[c]
        l4 = struct.pack("!HHIIBBHHH", a.sport, a.dport, a.seq, 0, 5 << 4,
                         flags, 65535, 0, 0) + payload
        off = 16
    good = inet_csum(pseudo_header(a.src, a.dst, proto, len(l4)) + l4)
    if proto == 17 and good == 0:
        good = 0xFFFF
    if a.l4 == "good":
        ck = good
    elif a.l4 == "zero":
        ck = 0
    else:
        # Wrong, and not the other encoding of the right sum (0 / 0xffff).
        ck = good ^ 0x5A5A
    l4 = l4[:off] + struct.pack("!H", ck) + l4[off + 2:]
    if is_v6(a.src):
        l3 = struct.pack("!IHBB", 6 << 28, len(l4), proto, 64)
        l3 += socket.inet_pton(socket.AF_INET6, a.src)
        l3 += socket.inet_pton(socket.AF_INET6, a.dst)
        etype = ETH_P_IPV6
    else:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), a.ip_id,
                          0x4000, 64, proto, 0, socket.inet_aton(a.src),
                          socket.inet_aton(a.dst))
        hck = inet_csum(hdr)
        if a.l3 == "bad":
            hck ^= 0x5A5A
        l3 = hdr[:10] + struct.pack("!H", hck) + hdr[12:]
        etype = ETH_P_IP
    frame = mac_bytes(a.dst_mac) + mac_bytes(a.src_mac) + struct.pack("!H", etype)
    frame += l3 + l4
    if len(frame) < a.pad_to:
        frame += bytes([a.pad_byte]) * (a.pad_to - len(frame))
    return frame


def parse_frame(frame):
    """(family, src, dst, proto, l4 bytes, ip header bytes) or None."""
    if len(frame) < 14:
        return None
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype == ETH_P_IP and len(frame) >= 34:
        ihl = (frame[14] & 15) * 4
        tot = struct.unpack("!H", frame[16:18])[0]
        ip = frame[14:14 + ihl]
        return (4, socket.inet_ntoa(frame[26:30]), socket.inet_ntoa(frame[30:34]),
                frame[23], frame[14 + ihl:14 + tot], ip)
    if etype == ETH_P_IPV6 and len(frame) >= 54:
        plen = struct.unpack("!H", frame[18:20])[0]
        src = socket.inet_ntop(socket.AF_INET6, frame[22:38])
        dst = socket.inet_ntop(socket.AF_INET6, frame[38:54])
        return (6, src, dst, frame[20], frame[54:54 + plen], frame[14:54])
    return None


def cmd_send(a):
    frame = build_frame(a)
    sniff = None
    if a.reply_timeout > 0:
        sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                              socket.htons(ETH_P_ALL))
        sniff.bind((a.iface, 0))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    for _ in range(a.count):
        s.send(frame)
    print("sent %d frame(s) of %d bytes" % (a.count, len(frame)))
    if a.good_after:
        # The same frame made right, with another payload: proves the path.
        g = copy.copy(a)
        g.l3, g.l4, g.pad_to, g.payload = "good", "good", 0, a.good_after
        time.sleep(0.2)
        s.send(build_frame(g))
        print("sent 1 good frame")
    if not sniff:
        return 0
    want_proto = 17 if a.proto == "udp" else 6
    end = time.time() + a.reply_timeout
    while time.time() < end:
        r, _, _ = select.select([sniff], [], [], end - time.time())
        if not r:
            break
        data, addr = sniff.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        p = parse_frame(data)
        if not p or p[1] != a.dst or p[2] != a.src or p[3] != want_proto:
            continue
        l4 = p[4]
        if len(l4) < 4:
            continue
        sport, dport = struct.unpack("!HH", l4[:4])
        if sport != a.dport or dport != a.sport:
            continue
        desc = ""
        if want_proto == 6 and len(l4) >= 14:
            fl = l4[13]
            desc = "".join(c for c, b in (("S", 2), ("R", 4), ("A", 16), ("F", 1))
                           if fl & b)
        print("reply %s" % (desc or "udp"))
        return 0
    print("no reply")
    return 1


def cmd_udp_recv(a):
    fam = socket.AF_INET6 if is_v6(a.bind) else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.bind, a.port))
    print("ready", file=sys.stderr, flush=True)
    end = time.time() + a.timeout
    got = 0
    while time.time() < end:
        r, _, _ = select.select([s], [], [], end - time.time())
        if not r:
            break
        data = s.recv(65535).decode(errors="replace")
        print(data, flush=True)
        got += 1
        if (a.until and data == a.until) or got == a.count:
            return 0
    return 0 if not a.until and not a.count else 1


def cmd_udp_send(a):
    fam = socket.AF_INET6 if is_v6(a.dst) else socket.AF_INET
    socks = []
    for i in range(a.flows):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if a.sport:
            s.bind(("", a.sport + i))
        socks.append(s)
    for i in range(a.count):
        body = ("%s%d " % (a.prefix, i)).encode()
        socks[i % a.flows].sendto(body + b"x" * max(0, a.size - len(body)),
                                  (a.dst, a.port))
        time.sleep(a.gap)
    return 0


def cmd_tcp_write(a):
    data = os.urandom(a.bytes)
    s = socket.create_connection((a.dst, a.port), timeout=30)
    n = s.send(data)
    while n < len(data):
        n += s.send(data[n:])
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()
    import hashlib
    print(hashlib.sha256(data).hexdigest())
    return 0


# ---- captures -----------------------------------------------------------------

def read_pcap(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        magic = struct.unpack("<I", hdr[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            end = "<"
        else:
            end = ">"
        linktype = struct.unpack(end + "I", hdr[20:24])[0]
        if linktype != 1:
            raise SystemExit("pcap: link type %d, want Ethernet" % linktype)
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                return
            _, _, incl, orig = struct.unpack(end + "IIII", rh)
            data = f.read(incl)
            yield data, orig


def cmd_pcap_info(a):
    st = dict(frames=0, udp_frames=0, bad_udp_csum=0, udp_zero_csum=0, tcp_frames=0, max_frame=0, over_mtu=0, data_frames=0,
              max_payload=0, at_max_payload=0, bad_ip_csum=0, bad_l4_csum=0,
              l4_checked=0, truncated=0, payload_bytes=0, fin_frames=0,
              syn_frames=0, ip_id_bad=0)
    sizes = {}
    last_id = {}
    for data, orig in read_pcap(a.file):
        st["frames"] += 1
        p = parse_frame(data)
        if p and p[3] == 17 and len(p[4]) >= 8 and len(data) >= orig:
            fam, src, dst, _, l4, ip = p
            if a.port and a.port not in struct.unpack("!HH", l4[:4]):
                continue
            st["udp_frames"] += 1
            if fam == 4 and inet_csum(ip) != 0:
                st["bad_ip_csum"] += 1
            if struct.unpack("!H", l4[6:8])[0] == 0:
                st["udp_zero_csum"] += 1
            elif csum16(pseudo_header(src, dst, 17, len(l4)) + l4) != 0xFFFF:
                st["bad_udp_csum"] += 1
            continue
        if not p or p[3] != 6 or len(p[4]) < 20:
            continue
        fam, src, dst, _, l4, ip = p
        sport, dport = struct.unpack("!HH", l4[:4])
        if a.port and a.port not in (sport, dport):
            continue
        st["tcp_frames"] += 1
        st["max_frame"] = max(st["max_frame"], orig)
        if orig > a.mtu + 14:
            st["over_mtu"] += 1
        if len(data) < orig:
            st["truncated"] += 1
            continue
        if fam == 4 and inet_csum(ip) != 0:
            st["bad_ip_csum"] += 1
        doff = (l4[12] >> 4) * 4
        plen = len(l4) - doff
        if l4[13] & 1:
            st["fin_frames"] += 1
        if l4[13] & 2:
            st["syn_frames"] += 1
        if fam == 4 and plen > 0:
            # Segments of one flow: IPv4 ID + 1 each (TSO must do the same).
            key = (src, dst, sport, dport)
            ipid = struct.unpack("!H", ip[4:6])[0]
            if key in last_id and ipid != (last_id[key] + 1) & 0xFFFF:
                st["ip_id_bad"] += 1
            last_id[key] = ipid
        if plen > 0:
            st["data_frames"] += 1
            st["payload_bytes"] += plen
            sizes[plen] = sizes.get(plen, 0) + 1
        st["l4_checked"] += 1
        if csum16(pseudo_header(src, dst, 6, len(l4)) + l4) != 0xFFFF:
            st["bad_l4_csum"] += 1
    if sizes:
        st["max_payload"] = max(sizes)
        st["at_max_payload"] = sizes[st["max_payload"]]
    for k, v in st.items():
        print(k, v)
    if a.sizes:
        for k in sorted(sizes):
            print("size_%d %d" % (k, sizes[k]))
    return 0


# ---- RSS -----------------------------------------------------------------------

def parse_key(text):
    text = text.strip().replace(":", "")
    return bytes.fromhex(text)


def toeplitz(key, data):
    k = int.from_bytes(key, "big")
    klen = len(key) * 8
    h = 0
    for i, byte in enumerate(data):
        for b in range(8):
            if byte & (0x80 >> b):
                pos = i * 8 + b
                h ^= (k >> (klen - 32 - pos)) & 0xFFFFFFFF
    return h


def rss_input(src, dst, sport, dport, l4):
    if is_v6(src):
        d = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
    else:
        d = socket.inet_aton(src) + socket.inet_aton(dst)
    if l4:
        d += struct.pack("!HH", sport, dport)
    return d


def rss_queue(a, sport):
    h = toeplitz(a.key, rss_input(a.src, a.dst, sport, a.dport, not a.l3))
    return a.reta[h & (len(a.reta) - 1)], h


def cmd_toeplitz_selftest(a):
    key = parse_key("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c"
                    "6a42b73bbeac01fa")
    # (src, sport, dst, dport, hash 2-tuple, hash 4-tuple): Microsoft's
    # "Verifying the RSS Hash Calculation" vectors.
    vec = [("66.9.149.187", 2794, "161.142.100.80", 1766, 0x323E8FC2, 0x51CCC178),
           ("199.92.111.2", 14230, "65.69.140.83", 4739, 0xD718262A, 0xC626B0EA),
           ("24.19.198.95", 12898, "12.22.207.184", 38024, 0xD2D0A5DE, 0x5C2B394A),
           ("38.27.205.30", 48228, "209.142.163.6", 2217, 0x82989176, 0xAFC7327F),
           ("153.39.163.191", 44251, "202.188.127.2", 1303, 0x5D1809C5, 0x10E828A2),
           ("3ffe:2501:200:1fff::7", 2794, "3ffe:2501:200:3::1", 1766,
            0x2CC18CD5, 0x40207D3D),
           ("3ffe:501:8::260:97ff:fe40:efab", 14230, "ff02::1", 4739,
            0x0F0C461C, 0xDDE51BBF)]
    bad = 0
    for src, sp, dst, dp, h2, h4 in vec:
        g2 = toeplitz(key, rss_input(src, dst, sp, dp, False))
        g4 = toeplitz(key, rss_input(src, dst, sp, dp, True))
        if g2 != h2 or g4 != h4:
            print("mismatch %s %s: %08x/%08x want %08x/%08x" % (src, dst, g2, g4, h2, h4))
            bad += 1
    print("toeplitz: %d vectors, %d wrong" % (len(vec), bad))
    return 1 if bad else 0


def rss_args(p):
    p.add_argument("--key", type=parse_key, required=True, help="hex, colons allowed")
    p.add_argument("--reta", required=True, help="128 queue numbers, blank separated")
    p.add_argument("--src", required=True, help="source address of the frames")
    p.add_argument("--dst", required=True)
    p.add_argument("--dport", type=int, required=True)
    p.add_argument("--l3", action="store_true", help="hash the addresses only")


def fix_reta(a):
    a.reta = [int(x) for x in a.reta.split()]
    if len(a.reta) & (len(a.reta) - 1):
        raise SystemExit("RETA size %d is not a power of two" % len(a.reta))


def cmd_rss_predict(a):
    fix_reta(a)
    for sp in (int(x) for x in a.sports.split(",")):
        q, h = rss_queue(a, sp)
        print(sp, q, "%08x" % h)
    return 0


def cmd_rss_pick(a):
    fix_reta(a)
    want = {q: a.per_queue for q in range(a.queues)}
    out = []
    sp = a.base
    while any(want.values()) and sp < 65536:
        q, _ = rss_queue(a, sp)
        if want.get(q):
            want[q] -= 1
            out.append(sp)
        sp += 1
    if any(want.values()):
        raise SystemExit("no ports for queues %s" % [q for q in want if want[q]])
    print(",".join(map(str, out)))
    return 0


def cmd_rss_server(a):
    fam = socket.AF_INET6 if is_v6(a.bind) else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(128)
    ls.settimeout(a.timeout)
    results = []
    lock = threading.Lock()

    def serve(c, peer):
        n = 0
        c.settimeout(a.timeout)
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                n += len(d)
        except OSError:
            pass
        napi = c.getsockopt(socket.SOL_SOCKET, SO_INCOMING_NAPI_ID)
        c.close()
        with lock:
            results.append((peer[1], napi, n))

    threads = []
    try:
        for _ in range(a.conns):
            c, peer = ls.accept()
            t = threading.Thread(target=serve, args=(c, peer))
            t.start()
            threads.append(t)
    except socket.timeout:
        print("accept timed out after %d connections" % len(threads), file=sys.stderr)
    for t in threads:
        t.join()
    for sp, napi, n in sorted(results):
        print(sp, napi, n)
    return 0 if len(results) == a.conns else 1


def cmd_rss_client(a):
    fam = socket.AF_INET6 if is_v6(a.dst) else socket.AF_INET
    data = os.urandom(a.bytes)
    errors = []
    if not a.sports:
        # Ports whose flows the default table (i % queues) spreads evenly.
        p = argparse.Namespace(key=a.key, src=a.src, dst=a.dst, dport=a.port, l3=False,
                               reta=[i % a.queues for i in range(128)])
        want = {q: a.per_queue for q in range(a.queues)}
        ports = []
        sp = a.base
        while any(want.values()) and sp < 65536:
            q, _ = rss_queue(p, sp)
            if want[q]:
                want[q] -= 1
                ports.append(sp)
            sp += 1
        a.sports = ",".join(map(str, ports))

    def run(sp):
        try:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("", sp))
            s.settimeout(60)
            s.connect((a.dst, a.port))
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):
                pass
            s.close()
        except OSError as e:
            errors.append("%d: %s" % (sp, e))

    threads = []
    for sp in (int(x) for x in a.sports.split(",")):
        t = threading.Thread(target=run, args=(sp,))
        t.start()
        threads.append(t)
        if not a.parallel:
            t.join()
    for t in threads:
        t.join()
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


def cmd_rss_check(a):
    """Join rss-server's output with the queues' NAPI IDs and the prediction."""
    import json
    fix_reta(a)
    with open(a.queues_json) as f:
        napi_q = {q["napi-id"]: q["id"] for q in json.load(f)
                  if q.get("ifindex") == a.ifindex and q.get("type") == "rx"
                  and "napi-id" in q}
    flows = mism = short = 0
    seen = {}
    with open(a.server) as f:
        for line in f:
            sp, napi, n = (int(x) for x in line.split())
            flows += 1
            qo = napi_q.get(napi, -1)
            qp, h = rss_queue(a, sp)
            seen[qo] = seen.get(qo, 0) + 1
            if qo != qp:
                mism += 1
            if n != a.bytes:
                short += 1
            print("# flow %s:%d -> %s:%d hash %08x: queue %d, predicted %d%s" %
                  (a.src, sp, a.dst, a.dport, h, qo, qp, "" if qo == qp else "  MISMATCH"))
    print("flows", flows)
    print("short", short)
    print("mismatch", mism)
    print("nqueues", len(seen))
    print("queues", ",".join("%d" % q for q in sorted(seen)))
    return 0


def cmd_napi_map(a):
    import json
    with open(a.json) as f:
        qs = json.load(f)
    for q in qs:
        if q.get("ifindex") == a.ifindex and q.get("type") == "rx" and "napi-id" in q:
            print(q["napi-id"], q["id"])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("send")
    p.add_argument("iface")
    p.add_argument("--dst-mac", required=True)
    p.add_argument("--src-mac", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--proto", choices=("udp", "tcp"), default="udp")
    p.add_argument("--sport", type=int, default=40000)
    p.add_argument("--dport", type=int, default=9000)
    p.add_argument("--payload", default="")
    p.add_argument("--l4", choices=("good", "bad", "zero"), default="good")
    p.add_argument("--l3", choices=("good", "bad"), default="good")
    p.add_argument("--flags", default="S", help="TCP flags: S A P F R")
    p.add_argument("--seq", type=int, default=1000)
    p.add_argument("--ip-id", type=int, default=0x1234)
    p.add_argument("--pad-to", type=int, default=0)
    p.add_argument("--pad-byte", type=lambda x: int(x, 0), default=0)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--reply-timeout", type=float, default=0)
    p.add_argument("--good-after", default="",
                   help="then send the frame right, with this payload")
    p.set_defaults(fn=cmd_send)

    p = sub.add_parser("udp-recv")
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--until", default="", help="stop after this payload")
    p.add_argument("--count", type=int, default=0, help="stop after this many")
    p.set_defaults(fn=cmd_udp_recv)

    p = sub.add_parser("udp-send")
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--size", type=int, default=1000)
    p.add_argument("--prefix", default="dgram")
    p.add_argument("--gap", type=float, default=0.01)
    p.add_argument("--flows", type=int, default=1,
                   help="round robin over this many sockets")
    p.add_argument("--sport", type=int, default=0,
                   help="their source ports: this one and up")
    p.set_defaults(fn=cmd_udp_send)

    p = sub.add_parser("tcp-write")
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bytes", type=int, default=65536)
    p.set_defaults(fn=cmd_tcp_write)

    p = sub.add_parser("pcap-info")
    p.add_argument("file")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--mtu", type=int, default=1500)
    p.add_argument("--sizes", action="store_true")
    p.set_defaults(fn=cmd_pcap_info)

    p = sub.add_parser("toeplitz-selftest")
    p.set_defaults(fn=cmd_toeplitz_selftest)

    p = sub.add_parser("rss-predict")
    rss_args(p)
    p.add_argument("--sports", required=True, help="comma separated")
    p.set_defaults(fn=cmd_rss_predict)

    p = sub.add_parser("rss-pick")
    rss_args(p)
    p.add_argument("--queues", type=int, required=True)
    p.add_argument("--per-queue", type=int, default=4)
    p.add_argument("--base", type=int, default=40000)
    p.set_defaults(fn=cmd_rss_pick)

    p = sub.add_parser("rss-server")
    p.add_argument("--bind", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--conns", type=int, required=True)
    p.add_argument("--timeout", type=float, default=60)
    p.set_defaults(fn=cmd_rss_server)

    p = sub.add_parser("rss-client")
    p.add_argument("--dst", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sports", default="", help="comma separated; default: --key..")
    p.add_argument("--key", type=parse_key, help="pick ports with this key")
    p.add_argument("--src", help="our address, for picking")
    p.add_argument("--queues", type=int, default=4)
    p.add_argument("--per-queue", type=int, default=4)
    p.add_argument("--base", type=int, default=40000)
    p.add_argument("--bytes", type=int, default=262144)
    p.add_argument("--parallel", action="store_true")
    p.set_defaults(fn=cmd_rss_client)

    p = sub.add_parser("rss-check")
    rss_args(p)
    p.add_argument("--server", required=True, help="rss-server's output")
    p.add_argument("--queues-json", required=True,
                   help="ynl --dump queue-get --output-json")
    p.add_argument("--ifindex", type=int, required=True)
    p.add_argument("--bytes", type=int, required=True, help="per flow")
    p.set_defaults(fn=cmd_rss_check)

    p = sub.add_parser("napi-map")
    p.add_argument("json")
    p.add_argument("ifindex", type=int)
    p.set_defaults(fn=cmd_napi_map)

    a = ap.parse_args()
    sys.exit(a.fn(a))


if __name__ == "__main__":
    main()
