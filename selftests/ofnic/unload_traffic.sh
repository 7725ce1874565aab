#!/bin/bash
# rmmod while TCP traffic flows in both directions: the module goes away, and
# leaves no IRQ, no page_pool with pages in flight (once the sockets are gone
# and the per-CPU deferred skb frees are flushed) and no kernel warning.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

ktap_header 7
setup_pair
ip netns exec peer iperf3 -s -D -1 >/dev/null
iperf3 -s -D -1 >/dev/null
# the daemons listen after they fork
wait_for "ss -Hltn 'sport = :5201' | grep -q . &&
	ip netns exec peer ss -Hltn 'sport = :5201' | grep -q ." 30
tx0=$(cat /sys/class/net/$LOCAL_IF/statistics/tx_packets)
rx0=$(cat /sys/class/net/$LOCAL_IF/statistics/rx_packets)
iperf3 -c $PEER_IP -t 60 >/dev/null 2>&1 &
ip netns exec peer iperf3 -c $LOCAL_IP -t 60 >/dev/null 2>&1 &
# both directions under way, some thousands of frames each
wait_for "[ \$(cat /sys/class/net/$LOCAL_IF/statistics/tx_packets) -gt $((tx0 + 3000)) ] &&
	[ \$(cat /sys/class/net/$LOCAL_IF/statistics/rx_packets) -gt $((rx0 + 3000)) ]" 30
t0=$SECONDS
pools=$(ynl --dump page-pool-get 2>&1)
log "page pools while running: $(echo "$pools" | grep -c "'id'") (ynl took $((SECONDS - t0)) s)"
echo "$pools" | grep -q inflight ||
	log "ynl said: $(echo "$pools" | tail -3 | tr '\n' ' ' | cut -c1-300)"
check "page pools visible over netlink while up" sh -c "echo \"\$0\" | grep -q inflight" "$pools"
before=$(ethtool_stat "$LOCAL_IF" tx_packets)
check "traffic is flowing" test "${before:-0}" -gt 100
check "rmmod under traffic" rmmod ofnic
ip netns del peer
sleep 1
check "no ofnic IRQ left" sh -c "! grep -q ofnic /proc/interrupts"
# The sockets let go of the last received pages when their owners exit.
# An iperf3 that outlives SIGTERM (a CI run once waited here until the VM's
# 600 s timeout) is logged with its state and killed: a hang becomes a failed
# check with a reason, not a timeout.
pkill -x iperf3
if ! wait_for "! pgrep -x iperf3 >/dev/null" 10; then
	log "iperf3 after SIGTERM: $(ps -o pid=,stat=,wchan:32=,args= -C iperf3 | tr '\n' ';')"
	pkill -KILL -x iperf3
fi
check "the iperf3 processes exit" wait_for "! pgrep -x iperf3 >/dev/null" 20
check "no page_pool left (no page in flight)" pools_gone
check "no kernel warnings" dmesg_clean
ktap_finish
