#!/usr/bin/python3 -S
# recvmsg semantics on an ofcopy socket (loopback, TCP_ULP "ofcopy"), each
# compared with what plain TCP does: EINTR, EAGAIN, MSG_WAITALL, MSG_PEEK,
# short buffers, readv, SO_PEEK_OFF, EOF. Prints KTAP subtests; exit 1 on a failure.
import ctypes, os, signal, socket, sys, time

TCP_ULP = 31
SO_PEEK_OFF = 42
libc = ctypes.CDLL(None, use_errno=True)
n = 0
failed = 0


def ok(cond, desc):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok"), n, desc, flush=True)
    failed += 0 if cond else 1


def pair(port, ulp):
    lsn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsn.bind(("127.0.0.1", port))
    lsn.listen(1)
    c = socket.create_connection(("127.0.0.1", port))
    a, _ = lsn.accept()
    lsn.close()
    if ulp:
        a.setsockopt(socket.IPPROTO_TCP, TCP_ULP, b"ofcopy")
    return c, a


def raw_recv(s, size, flags=0):
    buf = ctypes.create_string_buffer(size)
    r = libc.recv(s.fileno(), buf, size, flags)
    return r, ctypes.get_errno(), buf.raw[:max(r, 0)]


def data(k, seed):
    return bytes((i * 7 + seed) & 0xff for i in range(k))


signal.signal(signal.SIGALRM, lambda s, f: None)
signal.siginterrupt(signal.SIGALRM, True)
print("TAP version 13")
print("1..17")
port = 5700
for ulp in (False, True):
    tag = "ofcopy" if ulp else "plain"
    port += 10
    c, a = pair(port, ulp)
    if ulp:
        got = a.getsockopt(socket.IPPROTO_TCP, TCP_ULP, 16).rstrip(b"\0")
        ok(got == b"ofcopy", f"{tag}: TCP_ULP reads back ofcopy ({got})")
    # a blocked read, nothing arrives, a signal: EINTR
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    t = time.time()
    r, e, _ = raw_recv(a, 65536)
    ok(r == -1 and e == 4 and time.time() - t > 0.15, f"{tag}: signal interrupts a blocked read (EINTR)")
    # non-blocking read with nothing queued: EAGAIN at once
    r, e, _ = raw_recv(a, 65536, socket.MSG_DONTWAIT)
    ok(r == -1 and e == 11, f"{tag}: MSG_DONTWAIT with nothing queued: EAGAIN")
    # MSG_WAITALL: 300 KiB sent in three parts, one read returns all of it
    d = data(300 * 1024, 1)
    pid = os.fork()
    if pid == 0:
        for k in range(3):
            time.sleep(0.1)
            c.sendall(d[k * 102400:(k + 1) * 102400])
        os._exit(0)
    r, e, got = raw_recv(a, len(d), socket.MSG_WAITALL)
    os.waitpid(pid, 0)
    ok(r == len(d) and got == d, f"{tag}: MSG_WAITALL waits for all {len(d)} bytes ({r})")
    # MSG_WAITALL interrupted by a signal returns what it has
    c.sendall(d[:50000])
    time.sleep(0.1)
    signal.setitimer(signal.ITIMER_REAL, 0.2)
    r, e, got = raw_recv(a, len(d), socket.MSG_WAITALL)
    ok(r == 50000 and got == d[:50000], f"{tag}: MSG_WAITALL + signal returns the 50000 bytes read ({r})")
    # MSG_PEEK leaves the data queued; a short buffer takes part of it;
    # readv spreads the rest over three buffers
    d = data(200000, 2)
    c.sendall(d)
    time.sleep(0.2)
    r, e, peek = raw_recv(a, 100000, socket.MSG_PEEK)
    r2, e2, first = raw_recv(a, 1000)
    rest = b""
    while len(first) + len(rest) < len(d):
        bufs = [bytearray(37), bytearray(65536), bytearray(100000)]
        k = a.recvmsg_into(bufs)[0]
        flat = b"".join(bytes(x) for x in bufs)[:k]
        rest += flat
    ok(peek == d[:r] and r > 0 and first == d[:1000] and first + rest == d,
       f"{tag}: MSG_PEEK, a 1000-byte read and readv return the stream in order")
    # SO_PEEK_OFF: each MSG_PEEK starts at the peek offset and moves it on;
    # each read, large ones (the DMA path on ofcopy) included, moves it back
    # by what it consumed. The model: pos consumed, off the peek offset.
    d = data(200000, 3)
    c.sendall(d)
    time.sleep(0.2)
    a.setsockopt(socket.SOL_SOCKET, SO_PEEK_OFF, 0)
    pos = off = 0
    good = True
    for op, size in (("peek", 1000), ("peek", 1000), ("read", 60000), ("peek", 1000),
                     ("peek", 39000), ("read", 20000), ("peek", 1000), ("read", 30000),
                     ("peek", 5000)):
        r, e, got = raw_recv(a, size, socket.MSG_PEEK if op == "peek" else 0)
        at = pos + off if op == "peek" else pos
        if r <= 0 or got != d[at:at + r]:
            good = False
            print(f"# {tag}: {op} {size}: {r} bytes, not the stream from offset {at}")
        r = max(r, 0)
        if op == "peek":
            off += r
        else:
            pos += r
            off = max(off - r, 0)
    a.setsockopt(socket.SOL_SOCKET, SO_PEEK_OFF, -1)
    rest = b""
    while pos + len(rest) < len(d):
        r, e, got = raw_recv(a, 65536)
        if r <= 0:
            break
        rest += got
    ok(good and rest == d[pos:], f"{tag}: SO_PEEK_OFF: peeks continue where the last one ended, reads move the offset back")
    # EOF: the peer closes, reads return 0
    c.close()
    r, e, _ = raw_recv(a, 65536)
    ok(r == 0, f"{tag}: EOF after the peer closed ({r})")
    a.close()
# The ofcopy socket really took the engine path for the large reads.
stats = dict(l.split() for l in open("/sys/kernel/debug/ofcopy/stats"))
ok(int(stats["dma_calls"]) > 0, f"ofcopy: recvmsg took the DMA path ({stats['dma_calls']} calls)")
ok(int(stats["fallback_flags"]) > 0, f"ofcopy: MSG_PEEK went to tcp_recvmsg ({stats['fallback_flags']})")
sys.exit(1 if failed else 0)
