#!/bin/bash
# Accelerated RFS (docs/hw-spec.md §13): with RFS configured, the driver's
# ndo_rx_flow_steer puts a flow's frames on the queue whose vector runs on
# the CPU its reader last ran on. RSS sends every flow to queue 1; a TCP
# stream from the peer is read by a receiver pinned to CPU 0 (its frames
# must arrive on queue 0, through an aRFS entry in the device's flow table),
# then moved to CPU 1 (they must follow to queue 1, rxN_packets). ntuple off removes the entries; on, the next move is
# steered again. Then the stack lets the flows go (a new RFS flow table:
# rps_may_expire_flow says yes to every old filter) and the driver's expiry
# removes the entries.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

setup_pair
[ "$(nproc)" -ge 2 ] || skip_all "needs 2 CPUs (the VM has $(nproc))"
grep -q '^ntuple-filters: on' <(ethtool -k "$LOCAL_IF") ||
	skip_all "ofnic without a flow table (ntuple-filters not on)"
ktap_header 11

quiet ethtool -L "$LOCAL_IF" combined 2
feature_fixed_off "$LOCAL_IF" rx-gro-hw || quiet ethtool -K "$LOCAL_IF" rx-gro-hw off
TABLE=/sys/kernel/debug/ofnic/$(basename "$(readlink "/sys/class/net/$LOCAL_IF/device")")/flow_table
PORT=9100

irq_cpus() {	# irq_cpus: each queue vector's CPU list, in queue order
	local q irq
	for q in 0 1; do
		irq=$(awk -v n="$LOCAL_IF-qp$q" '$NF == n { sub(":", "", $1); print $1 }' /proc/interrupts)
		cat "/proc/irq/$irq/smp_affinity_list"
	done | tr '\n' ' '
}
rfs_on() {	# rfs_on FLOWS: RFS with FLOWS entries per RX queue
	sysctl -qw net.core.rps_sock_flow_entries=32768
	for q in /sys/class/net/"$LOCAL_IF"/queues/rx-*; do
		echo "$1" >"$q/rps_flow_cnt"
	done
}
# window: the stream's frames per queue over 3 s, "q0 q1"
window() {
	local b a
	b=$(stats_save "$LOCAL_IF")
	sleep 3
	a=$(stats_save "$LOCAL_IF")
	stats_per_queue "$b" "$a" 'rx%d_packets' | awk '{ printf "%d ", $2 }'
}
mostly_on() {	# mostly_on Q "q0 q1": queue Q had 90% of the window's frames
	local -a n=($2)
	[ $((n[0] + n[1])) -ge 200 ] && [ $((n[$1] * 10)) -ge $(((n[0] + n[1]) * 9)) ]
}
arfs_entries() { grep -c '^arfs [0-9]' "$TABLE"; }
arfs_counter() { awk -v k="$1" 'NR == 1 { for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' "$TABLE"; }

check "queue vectors on CPUs 0 and 1" test "$(irq_cpus)" = "0 1 "
# RSS alone puts every flow on queue 1: a frame on queue 0 was steered there
quiet ethtool -X "$LOCAL_IF" weight 0 1
rfs_on 2048
taskset -c 0 socat -u TCP-LISTEN:$PORT,reuseaddr OPEN:/dev/null &
reader=$!
wait_for "ss -Hltn 'sport = :$PORT' | grep -q ." 10
ip netns exec peer socat -u /dev/zero TCP:$LOCAL_IP:$PORT &
sender=$!
# the stream has begun and the stack has steered it (checked below)
wait_for 'grep -q "^arfs [0-9]* type 1 queue 0 " "$TABLE"' 30
w0=$(window)
log "reader on CPU 0: rxN_packets $w0; $(head -n 1 "$TABLE")"
check "reader on CPU 0: the stream arrives on queue 0" mostly_on 0 "$w0"
check "an aRFS entry steers it" eval '[ "$(arfs_entries)" -ge 1 ] && grep -q "^arfs [0-9]* type 1 queue 0 " "$TABLE"'
taskset -p -c 1 $reader >/dev/null
wait_for 'grep -q "^arfs [0-9]* type 1 queue 1 " "$TABLE"' 30
w1=$(window)
log "reader moved to CPU 1: rxN_packets $w1; $(head -n 1 "$TABLE")"
check "reader moved to CPU 1: the stream follows to queue 1" mostly_on 1 "$w1"
check "the entry now names queue 1" grep -q "^arfs [0-9]* type 1 queue 1 " "$TABLE"
check "arfs steered counts both" test "$(arfs_counter steered)" -ge 2
check "ntuple off removes the entries" \
	eval 'ethtool -K "$LOCAL_IF" ntuple off && [ "$(arfs_entries)" = 0 ]'
# on again: the stack steers a flow when its reader moves
quiet ethtool -K "$LOCAL_IF" ntuple on
taskset -p -c 0 $reader >/dev/null
check "ntuple on, reader back on CPU 0: steered to queue 0 again" \
	wait_for 'grep -q "^arfs [0-9]* type 1 queue 0 " "$TABLE"' 10
kill $sender 2>/dev/null
wait $sender 2>/dev/null
kill $reader 2>/dev/null
wait $reader 2>/dev/null
# a new RFS flow table: every filter the driver holds is unknown to it
rfs_on 1024
check "entries of flows the stack let go expire" \
	wait_for '[ "$(arfs_entries)" = 0 ] && [ "$(arfs_counter expired)" -ge 1 ]' 10
check "traffic still flows (ping)" quiet ping -c 3 -i 0.2 -W 2 $PEER_IP
check "no kernel warnings" dmesg_clean
ktap_finish
