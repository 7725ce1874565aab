#!/bin/bash
# XDP_PASS with per-queue counting (xdp_pass_count): 400 UDP datagrams from
# 16 flows spread over 4 queues (4 flows each with the known RSS key) all
# reach the local socket intact; for every RX queue the program's count
# (pass_stats, summed over CPUs) equals the frames the driver received there
# (rxN_packets) and, in native mode, the driver's rxN_xdp_pass; an 8 MiB TCP
# transfer arrives intact through the program; after detach the program
# counts nothing more.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/xdp_lib.sh

xdp_require
setup_pair
xdp_static_neigh
ktap_header 10
log "XDP mode: $XDP_MODE"
quiet ethtool -L "$LOCAL_IF" combined 4
rss_known_key "$LOCAL_IF"	# the 16 flows below: 4 per queue
xdp_unpin pass_stats
check "attach xdp_pass_count ($XDP_MODE)" xdp_attach "$LOCAL_IF" xdp_pass_count

# per_queue_equal A B: two "queue delta" lists are equal (queues absent = 0).
per_queue_equal() {
	awk 'NR == FNR { a[$1] = $2; q[$1] = 1; next } { b[$1] = $2; q[$1] = 1 }
		END { for (k in q) if (a[k] + 0 != b[k] + 0) { bad = 1
			printf "# queue %s: %d vs %d\n", k, a[k], b[k] }
		exit bad }' <(echo "$1") <(echo "$2")
}
map_delta() {	# map_delta BEFORE AFTER: "queue packets" deltas of two dumps
	awk 'NR == FNR { b[$1] = $2; next } { print $1, $2 - b[$1] }' \
		<(echo "$1") <(echo "$2") | awk '$2 != 0'
}

ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1
sleep 1
local_recv_start 7100 400 $((120 * ${OFNIC_TIMEOUT_SCALE:-1}))
xdp_snap "$LOCAL_IF" pass_stats
bm=$SNAP_MAP bs=$SNAP_DRV
for i in $(seq 0 15); do
	peer_udp send --dst $LOCAL_IP --port 7100 --sport $((41000 + i)) --count 25 \
		--first $((i * 25)) --size 300 >/dev/null
done
local_recv_wait 7100
sleep 1
xdp_snap "$LOCAL_IF" pass_stats
am=$SNAP_MAP as=$SNAP_DRV
check "400 UDP datagrams from 16 flows arrive intact (payload verified)" \
	test "$(recv_field verified)" = 400
prog=$(map_delta "$bm" "$am")
drv=$(stats_per_queue "$bs" "$as" 'rx%d_packets' | awk '$2 != 0')
log "per queue, program: $(echo "$prog" | tr '\n' ',')  driver rxN_packets: $(echo "$drv" | tr '\n' ',')"
check "the known key spread them: 100 on each of the 4 RX queues" \
	test "$(echo "$drv" | awk '$2 >= 100' | wc -l)" -eq 4
check "per queue: pass_stats = the driver's rxN_packets" per_queue_equal "$prog" "$drv"
total=$(echo "$prog" | awk '{ s += $2 } END { print s + 0 }')
check "pass_stats counted every datagram ($total >= 400)" test "$total" -ge 400
if drv_only "per queue: pass_stats = rxN_xdp_pass"; then
	xp=$(stats_per_queue "$bs" "$as" 'rx%d_xdp_pass' | awk '$2 != 0')
	check "per queue: pass_stats = rxN_xdp_pass" per_queue_equal "$prog" "$xp"
fi

b=$(xdp_map_sum pass_stats)
check "8 MiB TCP peer -> local through the program, intact (sha256)" xfer_sha256 peer 8
a=$(xdp_map_sum pass_stats)
log "TCP: the program saw $((a - b)) frames"
# every segment, in both modes (the core skips GRO while a generic program
# is attached: netif_elide_gro)
check "the program saw the transfer's frames ($((a - b)) >= 5000)" test $((a - b)) -ge 5000

xdp_detach "$LOCAL_IF"
b=$(xdp_map_sum pass_stats)
quiet ip netns exec peer ping -c 3 -i 0.2 -W 2 $LOCAL_IP
a=$(xdp_map_sum pass_stats)
check "detached: nothing counted any more (ping: $((a - b)) counted)" test "$a" -eq "$b"
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
