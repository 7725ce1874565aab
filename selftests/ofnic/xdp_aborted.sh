#!/bin/bash
# XDP_ABORTED: a filter rule with action 0 makes xdp_filter return
# XDP_ABORTED for one flow. Its frames are dropped (the socket gets none),
# the xdp:xdp_exception trace event fires once per frame with action
# XDP_ABORTED, the port's ifindex and the attached program's id, and (native)
# the driver counts them in rxN_xdp_aborted; other traffic is unaffected.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/xdp_lib.sh

xdp_require
setup_pair
xdp_static_neigh
ktap_header 8
log "XDP mode: $XDP_MODE"
ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1
ip netns exec peer ping -c 1 -W 2 $LOCAL_IP >/dev/null 2>&1
xdp_unpin filter_rules filter_stats
check "attach xdp_filter ($XDP_MODE)" xdp_attach "$LOCAL_IF" xdp_filter
check "rule: UDP $PEER_IP:* -> $LOCAL_IP:7500 action 0 (XDP_ABORTED)" \
	bpftool map update pinned "$XDP_PIN_DIR/filter_rules" \
	key hex $(ip_hex16 $PEER_IP) $(ip_hex16 $LOCAL_IP) 00 00 $(hexbe 7500 2) 11 00 00 00 \
	value hex 00 00 00 00 00 00 00 00 $(hexle 0 8) $(hexle 0 8)
ifidx=$(cat /sys/class/net/"$LOCAL_IF"/ifindex)
progid=$(ip -j -d link show dev "$LOCAL_IF" | /usr/bin/python3 -S -c '
import json, sys
x = json.load(sys.stdin)[0]["xdp"]
print(x.get("prog", {}).get("id", ""))')

local_recv_start 7500 0 120
bs=$(stats_save "$LOCAL_IF")
trace_start xdp:xdp_exception
peer_udp send --dst $LOCAL_IP --port 7500 --count 40 --size 200 >/dev/null
local_recv_stop 7500 40
trace_stop "$OFNIC_TMP/trace"
as=$(stats_save "$LOCAL_IF")
ev=$(grep -c 'xdp_exception:' "$OFNIC_TMP/trace")
good=$(grep -c "xdp_exception: prog_id=$progid action=ABORTED ifindex=$ifidx\$" "$OFNIC_TMP/trace")
log "xdp_exception events: $ev, $good with prog_id=$progid action=ABORTED ifindex=$ifidx"
grep -m1 'xdp_exception:' "$OFNIC_TMP/trace" | sed 's/^ */# /'
check "the aborted flow reaches no socket (received $(recv_field received))" \
	test "$(recv_field received)" = 0
check "xdp:xdp_exception fired for each of the 40 frames" test "$ev" -eq 40
check "each event names XDP_ABORTED, ifindex $ifidx, prog $progid" test "$good" -eq 40
if drv_only "driver rxN_xdp_aborted = 40"; then
	d=$(stats_delta "$bs" "$as" '^rx[0-9]+_xdp_aborted$')
	check "driver rxN_xdp_aborted = 40 ($d)" test "$d" -eq 40
fi
check "other traffic unaffected (ping)" quiet ip netns exec peer ping -c 3 -i 0.2 -W 2 $LOCAL_IP
xdp_detach "$LOCAL_IF"
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
