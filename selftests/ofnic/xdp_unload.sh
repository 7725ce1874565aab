#!/bin/bash
# rmmod while XDP is busy: with a reflector program bouncing a UDP flood back
# to the peer (XDP_TX), and with an AF_XDP zero-copy socket receiving on a
# queue. The module goes away, leaves no IRQ, no page_pool and no kernel
# warning, the AF_XDP socket is unbound (its program gone), and the driver
# loads again and passes traffic.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

REFLECT=build/xdp/xdp_tx_reflect.bpf.o
XSK_RX=build/xdp/xsk_rx
PORT=9320

ktap_header 9
[ -e "$REFLECT" ] && [ -x "$XSK_RX" ] || die "build/xdp missing: run make"

flood() {	# flood SECONDS: UDP from the peer to the local port
	ip netns exec peer /usr/bin/python3 -S selftests/ofnic/xdp_udp.py stream \
		--dst $LOCAL_IP --port $PORT --secs "$1" --rate 5000 >/dev/null 2>&1 &
}

# 1: XDP_TX under a flood
setup_pair
ip link set dev "$LOCAL_IF" xdpdrv obj "$REFLECT" sec xdp || die "cannot attach $REFLECT"
flood 30
fpid=$!
wait_for '[ "$(ethtool_stat $LOCAL_IF rx0_xdp_tx)" -gt 200 ] || [ "$(ethtool_stat $LOCAL_IF rx1_xdp_tx)" -gt 200 ]' 20
tx=$(ethtool -S "$LOCAL_IF" | awk '/rx[0-9]+_xdp_tx:/ { s += $2 } END { print s + 0 }')
log "frames reflected before rmmod: $tx"
check "XDP_TX is reflecting the flood" test "$tx" -gt 200
check "rmmod while XDP_TX runs" rmmod ofnic
kill $fpid 2>/dev/null
wait 2>/dev/null
ip netns del peer
check "no ofnic IRQ left" sh -c "! grep -q ofnic /proc/interrupts"
check "no page_pool left" pools_gone

# 2: an AF_XDP zero-copy socket receiving
setup_pair
ethtool -L "$LOCAL_IF" combined 1
"$XSK_RX" -i "$LOCAL_IF" -q 0 -c zerocopy -p $PORT -t 60 >/tmp/xsk_unload 2>&1 &
xpid=$!
wait_for "grep -q ready /tmp/xsk_unload" 20
flood 30
fpid=$!
wait_for '[ "$(ethtool_stat $LOCAL_IF rx0_xdp_redirect)" -gt 200 ]' 20
red=$(ethtool_stat "$LOCAL_IF" rx0_xdp_redirect)
log "frames redirected to the socket before rmmod: $red"
check "the zero-copy socket is receiving" test "${red:-0}" -gt 200
check "rmmod with an AF_XDP zero-copy socket bound" rmmod ofnic
kill $fpid $xpid 2>/dev/null
wait 2>/dev/null
sed 's/^/# /' /tmp/xsk_unload | tail -3
ip netns del peer
check "no page_pool left" pools_gone

setup_pair
check "the driver loads again and passes traffic" ping -c 2 -i 0.2 -W 2 $PEER_IP
teardown_pair
check "no kernel warnings" dmesg_clean
ktap_finish
