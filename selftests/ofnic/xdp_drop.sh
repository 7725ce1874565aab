#!/bin/bash
# XDP_DROP (xdp_drop): while attached, the peer's UDP datagrams and pings do
# not reach the local stack (no socket sees them, Udp InDatagrams stays),
# the program's drop_stats and (native) the driver's rxN_xdp_drop count
# them; after detach the same traffic gets through again.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/xdp_lib.sh

xdp_require
setup_pair
xdp_static_neigh
ktap_header 9
log "XDP mode: $XDP_MODE"
ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1	# neighbours known before the drop
ip netns exec peer ping -c 1 -W 2 $LOCAL_IP >/dev/null 2>&1
xdp_unpin drop_stats
check "attach xdp_drop ($XDP_MODE)" xdp_attach "$LOCAL_IF" xdp_drop

local_recv_start 7200 0 120
xdp_snap "$LOCAL_IF" drop_stats
bs=$SNAP_DRV bm=$(echo "$SNAP_MAP" | awk '{ s += $2 } END { print s + 0 }')
bu=$(snmp_counter "" Udp InDatagrams)
peer_udp send --dst $LOCAL_IP --port 7200 --count 200 --size 300 >/dev/null
local_recv_stop 7200 200
xdp_snap "$LOCAL_IF" drop_stats
as=$SNAP_DRV am=$(echo "$SNAP_MAP" | awk '{ s += $2 } END { print s + 0 }')
au=$(snmp_counter "" Udp InDatagrams)
check "no datagram reaches the socket (received $(recv_field received))" \
	test "$(recv_field received)" = 0
check "the stack saw none (Udp InDatagrams +$((au - bu)))" test $((au - bu)) -eq 0
check "drop_stats counted them ($((am - bm)) >= 200)" test $((am - bm)) -ge 200
if drv_only "driver rxN_xdp_drop counted them"; then
	d=$(stats_delta "$bs" "$as" '^rx[0-9]+_xdp_drop$')
	check "driver rxN_xdp_drop counted them ($d = program's $((am - bm)))" \
		test "$d" -eq $((am - bm))
fi
check "pings from the peer are dropped" \
	sh -c "! ip netns exec peer ping -c 3 -i 0.2 -W 1 $LOCAL_IP >/dev/null 2>&1"

xdp_detach "$LOCAL_IF"
check "detached: pings get through" quiet ip netns exec peer ping -c 3 -i 0.2 -W 2 $LOCAL_IP
local_recv_start 7201 50 $((60 * ${OFNIC_TIMEOUT_SCALE:-1}))
peer_udp send --dst $LOCAL_IP --port 7201 --count 50 --size 300 >/dev/null
local_recv_wait 7201
check "detached: 50 datagrams received intact" test "$(recv_field verified)" = 50
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
