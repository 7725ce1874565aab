#!/bin/bash
# Load and unload the driver OFNIC_CYCLES times (default 10: a cycle takes
# 5-15 s under TCG, and make check has an hour; OFNIC_CYCLES=100 for the long
# run), each time with a TCP stream running each way when rmmod comes. Every cycle must
# probe both ports and pass traffic; at the end no IRQ, netdev or page_pool
# is left and no warning was printed. Leaks are kmemleak's to find, in the
# debug tier (make check-debug): the unreclaimable slab logged here also
# holds the killed streams' orphaned sockets, which retransmit for minutes
# on a route that is gone, and so proves nothing either way.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

CYCLES=${OFNIC_CYCLES:-10}
ktap_header 5

slab_kb() { awk '$1 == "SUnreclaim:" { print $2 }' /proc/meminfo; }

# one_cycle N: load, pair up, traffic, rmmod under it. Logs why it failed.
one_cycle() {
	local n=$1 rc=0
	load_ofnic || { log "cycle $n: insmod failed"; return 1; }
	if ! wait_for '[ "$(ofnic_ifaces | wc -l)" -ge 2 ]' 5; then
		log "cycle $n: ports did not probe"
		return 1
	fi
	pair_up $(ofnic_ifaces) >/dev/null
	ip netns exec peer socat -u TCP-LISTEN:5400,reuseaddr /dev/null &
	socat -u TCP-LISTEN:5401,reuseaddr /dev/null &
	wait_for "ip netns exec peer ss -Hltn 'sport = :5400' | grep -q . &&
		  ss -Hltn 'sport = :5401' | grep -q ." 5
	timeout 30 socat -u /dev/zero TCP:$PEER_IP:5400 2>/dev/null &
	timeout 30 ip netns exec peer socat -u /dev/zero TCP:$LOCAL_IP:5401 2>/dev/null &
	local tx=/sys/class/net/$LOCAL_IF/statistics/tx_packets
	local rx=/sys/class/net/$LOCAL_IF/statistics/rx_packets
	if ! wait_for "[ \$(cat $tx) -gt 200 ] && [ \$(cat $rx) -gt 200 ]" 10; then
		log "cycle $n: no traffic ($(cat "$tx") sent, $(cat "$rx") received)"
		rmmod ofnic
		rc=1
	else
		rmmod ofnic || { log "cycle $n: rmmod failed"; rc=1; }
	fi
	ip netns del peer
	pkill -x socat
	wait 2>/dev/null
	return $rc
}

t0=$SECONDS
failed=0
done_cycles=0
for ((c = 1; c <= CYCLES && failed <= 3; c++)); do
	one_cycle "$c" || failed=$((failed + 1))
	done_cycles=$c
	[ "$c" -eq 5 ] && slab5=$(slab_kb)
done
slab_end=$(slab_kb)
log "$done_cycles cycles in $((SECONDS - t0)) s; unreclaimable slab ${slab5:-?} kB after 5, $slab_end kB after $done_cycles"
check "$CYCLES load/traffic/rmmod cycles, each probed and passed traffic" test "$failed" -eq 0
check "no ofnic IRQ or port left" \
	sh -c "! grep -q ofnic /proc/interrupts && ! ls /sys/bus/pci/drivers/ofnic 2>/dev/null | grep -q 0000"
check "module gone" sh -c "! lsmod | grep -q '^ofnic '"
check "no page_pool left (no page in flight)" pools_gone
check "no kernel warnings" dmesg_clean
ktap_finish
