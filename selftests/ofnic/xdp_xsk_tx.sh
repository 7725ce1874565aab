#!/bin/bash
# AF_XDP transmit: UDP datagrams written into an AF_XDP socket's UMEM reach a
# UDP socket on the peer intact, in zero-copy mode (ofnic sends them from the
# UMEM on the XDP TX ring an attached program brings) and in copy mode, and
# zero-copy transmit without an XDP program is refused, not silently lost.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

N=300
PORT=9310
PROG=build/xdp/xdp_pass_count.bpf.o
BIN=build/selftests/xsk_tx

ktap_header 8
[ -e "$PROG" ] || die "$PROG missing: run make"
mkdir -p build/selftests
gcc -O2 -Wall -o "$BIN" selftests/ofnic/xsk_tx.c -lxdp -lbpf ||
	die "cannot build xsk_tx"
setup_pair
# the Python receiver is slow under TCG: room for a whole burst
sysctl -qw net.core.rmem_default=8388608 net.core.rmem_max=8388608
lmac=$(cat /sys/class/net/$LOCAL_IF/address)
pmac=$(ip netns exec peer cat /sys/class/net/$PEER_IF/address)

# xsk_send MODE: N datagrams from the AF_XDP socket, counted by the peer.
xsk_send() {
	local out
	ip netns exec peer /usr/bin/python3 -S selftests/ofnic/xdp_udp.py recv \
		--bind $PEER_IP --port $PORT --count $N --timeout 40 >/tmp/recv.$1 &
	local rpid=$!
	wait_for "grep -q listening /tmp/recv.$1" 20 || return 1
	"$BIN" "$LOCAL_IF" 0 "$1" "$lmac" "$pmac" $LOCAL_IP $PEER_IP $PORT $N |
		tee /tmp/send.$1 | sed 's/^/# /'
	wait $rpid
	out=$(grep '^received' /tmp/recv.$1)
	log "peer: $out"
	ip netns exec peer nstat -az UdpRcvbufErrors UdpInErrors | sed -n 's/^/# peer /p'
	[ "$out" = "received $N verified $N bad 0 dup 0" ]
}

ip link set dev "$LOCAL_IF" xdpdrv obj "$PROG" sec xdp ||
	die "cannot attach $PROG"
x0=$(ethtool_stat "$LOCAL_IF" xdp0_xmit)
check "zero-copy: $N datagrams arrive intact at the peer" xsk_send zerocopy
check "zero-copy: the socket was bound in zero-copy mode" grep -q "zero-copy mode" /tmp/send.zerocopy
x1=$(ethtool_stat "$LOCAL_IF" xdp0_xmit)
log "xdp0_xmit $x0 -> $x1"
check "zero-copy: frames went out on the XDP TX ring (xdp0_xmit +$N)" \
	test $((x1 - x0)) -eq $N
check "copy mode: $N datagrams arrive intact at the peer" xsk_send copy
check "copy mode: the socket was bound in copy mode" grep -q "copy mode" /tmp/send.copy

ip link set dev "$LOCAL_IF" xdp off
"$BIN" "$LOCAL_IF" 0 zerocopy "$lmac" "$pmac" $LOCAL_IP $PEER_IP $PORT 10 >/tmp/send.noprog 2>&1
rc=$?
sed 's/^/# /' /tmp/send.noprog
check "zero-copy without an XDP program: nothing completes (rc $rc)" test $rc -ne 0
check "ping still works afterwards" ping -c 2 -i 0.2 -W 2 $PEER_IP
teardown_pair
check "no kernel warning, unload clean" dmesg_clean
ktap_finish
