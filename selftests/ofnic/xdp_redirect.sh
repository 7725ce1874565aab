#!/bin/bash
# XDP_REDIRECT (xdp_redirect):
#  - devmap, to the other ofnic port: local's program sends the peer's IPv4
#    and IPv6 datagrams out of the peer's port (ndo_xdp_xmit) with the TTL
#    decremented; on the one wire they come back to local, again and again
#    until the TTL is 1, then go to local's socket: every datagram arrives
#    intact with TTL 1 after exactly TTL-1 redirects each (redir_stats,
#    local's rxN_xdp_redirect, the peer's xdpN_xmit);
#  - cpumap: the datagrams reach the socket through the cpumap kthread of
#    the chosen CPU (xdp:xdp_cpumap_enqueue/kthread trace events), for CPU 0,
#    CPU 1 and spread by RX queue (16 flows over 4 queues: odd queues to
#    CPU 1, even ones to CPU 0).
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/xdp_lib.sh

xdp_require
setup_pair
xdp_static_neigh
ktap_header 17
log "XDP mode: $XDP_MODE"
quiet ethtool -L "$LOCAL_IF" combined 4
rss_known_key "$LOCAL_IF"	# the 16 flows below: 4 per queue
ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1
ip netns exec peer ping -c 1 -W 2 $LOCAL_IP >/dev/null 2>&1
ip netns exec peer ping -6 -c 1 -W 2 $LOCAL_IP6 >/dev/null 2>&1
xdp_unpin redirect_cfg tx_port cpu_map redir_stats pass_stats
check "attach xdp_redirect ($XDP_MODE) on $LOCAL_IF" xdp_attach "$LOCAL_IF" xdp_redirect
# The peer's port is a redirect target while it has a program (the driver
# sets up its XDP TX rings then): a pass-through one. nsenter keeps our
# mount namespace (bpffs), unlike ip netns exec.
peerns() {
	nsenter --net=/run/netns/peer "$@"
}
check "attach xdp_pass_count on the peer's $PEER_IF (redirect target)" \
	peerns ip link set dev "$PEER_IF" "xdp$XDP_MODE" obj "$XDP_OBJ_DIR/xdp_pass_count.bpf.o" sec xdp

cfg() {	# cfg MODE CPU NCPUS: redirect_cfg[0]
	bpftool map update pinned "$XDP_PIN_DIR/redirect_cfg" key 0 0 0 0 \
		value hex $(hexle "$1" 4) $(hexle "$2" 4) $(hexle "$3" 4) 00 00 00 00
}
pidx=$(ip netns exec peer cat /sys/class/net/"$PEER_IF"/ifindex)
# The devmap resolves the ifindex in the updater's network namespace.
set_tx_port() {
	[ -n "$pidx" ] && peerns bpftool map update pinned "$XDP_PIN_DIR/tx_port" \
		key 0 0 0 0 value hex $(hexle "$pidx" 4) 00 00 00 00
}
check "tx_port[0] = the peer's port (ifindex $pidx in netns peer)" set_tx_port
cfg 1 0 0

# hops FAMILY DST TTL COUNT: COUNT datagrams with TTL, received; sets HOPS_*.
hops() {
	local fam=$1 dst=$2 ttl=$3 count=$4 bind=$LOCAL_IP port=7600 bm bs ps as pa
	[ "$fam" = 6 ] && bind=$LOCAL_IP6 port=7606
	local_recv_start $port "$count" 60 "$bind"
	bm=$(xdp_map_sum redir_stats)
	bs=$(stats_save "$LOCAL_IF")
	ps=$(stats_save "$PEER_IF" peer)
	peer_udp send --dst "$dst" --port $port --count "$count" --ttl "$ttl" --size 300 >/dev/null
	local_recv_wait $port
	sleep 0.5
	HOPS_MAP=$(($(xdp_map_sum redir_stats) - bm))
	as=$(stats_save "$LOCAL_IF")
	pa=$(stats_save "$PEER_IF" peer)
	HOPS_RX=$(stats_delta "$bs" "$as" '^rx[0-9]+_xdp_redirect$')
	HOPS_RXERR=$(stats_delta "$bs" "$as" '^rx[0-9]+_xdp_redirect_err$')
	HOPS_XMIT=$(stats_delta "$ps" "$pa" '^xdp[0-9]+_xmit$')
	HOPS_XERR=$(stats_delta "$ps" "$pa" '^xdp[0-9]+_xmit_err$')
	log "redirects: program $HOPS_MAP, local rxN_xdp_redirect $HOPS_RX (err $HOPS_RXERR), peer xdpN_xmit $HOPS_XMIT (err $HOPS_XERR)"
}
hops 4 $LOCAL_IP 4 50
check "devmap, IPv4 TTL 4: 50 datagrams arrive intact, all with TTL 1" \
	test "$(recv_field verified)" = 50 -a "$(echo "$RECV_OUT" | grep '^ttl')" = "ttl 1 50"
check "devmap, IPv4: 3 redirects per datagram (redir_stats $HOPS_MAP = 150)" test "$HOPS_MAP" -eq 150
if drv_only "devmap, IPv4: local rxN_xdp_redirect = peer xdpN_xmit = 150, no errors"; then
	check "devmap, IPv4: local rxN_xdp_redirect = peer xdpN_xmit = 150, no errors" \
		test "$HOPS_RX" -eq 150 -a "$HOPS_XMIT" -eq 150 -a \
		$((HOPS_RXERR + HOPS_XERR)) -eq 0
fi
hops 6 $LOCAL_IP6 3 30
check "devmap, IPv6 hop limit 3: 30 datagrams arrive intact, hop limit 1" \
	test "$(recv_field verified)" = 30 -a "$(echo "$RECV_OUT" | grep '^ttl')" = "ttl 1 30"
check "devmap, IPv6: 2 redirects per datagram (redir_stats $HOPS_MAP = 60)" test "$HOPS_MAP" -eq 60
check "devmap: TCP 1 MiB peer -> local (TTL 64: 63 hops per segment) intact" xfer_sha256 peer 1

# cpumap: CPU N's kthread takes the frames to the stack.
cpumap_run() {	# cpumap_run CPU|q COUNT: sets CM_ENQ, CM_KT (per-CPU processed)
	local port=7610 tr=$OFNIC_TMP/cpumap.trace sports="" i
	# 120 s: with q, 16 senders start one after the other (a Python start
	# each); on a host with four VMs on two cores 60 s ran out mid-way, and
	# under the debug kernel (OFNIC_TIMEOUT_SCALE) 120 s did
	local_recv_start $port "$2" $((120 * ${OFNIC_TIMEOUT_SCALE:-1}))
	local bs as
	bs=$(stats_save "$LOCAL_IF")
	trace_start xdp:xdp_cpumap_enqueue xdp:xdp_cpumap_kthread
	if [ "$1" = q ]; then
		for i in $(seq 0 15); do
			peer_udp send --dst $LOCAL_IP --port $port --sport $((42000 + i)) \
				--first $((i * $2 / 16)) --count $(($2 / 16)) --size 300 >/dev/null
		done
	else
		peer_udp send --dst $LOCAL_IP --port $port --count "$2" --size 300 >/dev/null
	fi
	local_recv_wait $port
	trace_stop "$tr"
	as=$(stats_save "$LOCAL_IF")
	log "per RX queue: $(stats_per_queue "$bs" "$as" 'rx%d_packets' | awk '$2' | tr '\n' ',')"
	# "to_cpu processed" of the enqueues, "cpu processed" of the kthread runs
	CM_ENQ=$(grep -o 'xdp_cpumap_enqueue:.*' "$tr" | sed -n 's/.*processed=\([0-9]*\).*to_cpu=\([0-9]*\).*/\2 \1/p' |
		awk '{ s[$1] += $2 } END { for (c in s) print c, s[c] }' | sort -n | tr '\n' ' ')
	CM_KT=$(grep -o 'xdp_cpumap_kthread:.*' "$tr" | sed -n 's/.* cpu=\([0-9]*\) .*processed=\([0-9]*\).*/\1 \2/p' |
		awk '{ s[$1] += $2 } END { for (c in s) print c, s[c] }' | sort -n | tr '\n' ' ')
	log "cpumap: enqueued to CPU (cpu frames): $CM_ENQ; kthread processed: $CM_KT"
}
cpu_frames() {	# cpu_frames LIST CPU: frames of CPU in "cpu frames ..." LIST
	echo "$1" | awk -v c="$2" '{ for (i = 1; i < NF; i += 2) if ($i == c) print $(i + 1) }'
}
ncpu=$(nproc)
for c in 0 1; do
	if [ "$c" -ge "$ncpu" ]; then
		ktap_skip "cpumap to CPU $c: datagrams intact" "the VM has $ncpu CPU"
		ktap_skip "cpumap to CPU $c: only CPU $c's kthread" "the VM has $ncpu CPU"
		continue
	fi
	bpftool map update pinned "$XDP_PIN_DIR/cpu_map" key $(hexle "$c" 4) \
		value hex $(hexle 256 4) 00 00 00 00
	cfg 2 "$c" 0
	bm=$(xdp_map_sum redir_stats)
	cpumap_run "$c" 100
	am=$(xdp_map_sum redir_stats)
	check "cpumap to CPU $c: 100 datagrams arrive intact (redir_stats +$((am - bm)))" \
		test "$(recv_field verified)" = 100 -a $((am - bm)) -ge 100
	other=$((1 - c))
	check "cpumap to CPU $c: all through CPU $c's kthread" \
		test "$(cpu_frames "$CM_ENQ" "$c")" -ge 100 -a "$(cpu_frames "$CM_KT" "$c")" -ge 100 \
		-a -z "$(cpu_frames "$CM_ENQ" "$other")" -a -z "$(cpu_frames "$CM_KT" "$other")"
done
if [ "$ncpu" -ge 2 ]; then
	cfg 2 $((0xffffffff)) 2
	cpumap_run q 160
	check "cpumap by RX queue: 160 datagrams from 16 flows intact" test "$(recv_field verified)" = 160
	check "cpumap by RX queue: both CPUs' kthreads took frames" \
		test "$(cpu_frames "$CM_KT" 0)" -ge 1 -a "$(cpu_frames "$CM_KT" 1)" -ge 1 2>/dev/null
else
	ktap_skip "cpumap by RX queue: intact" "the VM has $ncpu CPU"
	ktap_skip "cpumap by RX queue: both CPUs" "the VM has $ncpu CPU"
fi

cfg 0 0 0
b=$(xdp_map_sum redir_stats)
quiet ip netns exec peer ping -c 3 -i 0.2 -W 2 $LOCAL_IP
check "mode off: frames pass, nothing redirected" test "$(xdp_map_sum redir_stats)" -eq "$b"
xdp_detach "$LOCAL_IF"
peerns ip link set dev "$PEER_IF" "xdp$XDP_MODE" off
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
