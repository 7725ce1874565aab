#!/bin/bash
# rmmod while TCP traffic flows in both directions: the module goes away, and
# leaves no IRQ, no page_pool with pages in flight (once the sockets are gone
# and the per-CPU deferred skb frees are flushed) and no kernel warning.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

LSRC=$(scripts/linux-src) || die "no kernel source tree"
ynl() {	# bounded: a dump must never hold the test until the VM's timeout
	timeout 30 /usr/bin/python3 "$LSRC/tools/net/ynl/cli.py" \
		--spec "$LSRC/Documentation/netlink/specs/netdev.yaml" "$@"
}

ktap_header 7
setup_pair
ip netns exec peer iperf3 -s -D -1 >/dev/null
iperf3 -s -D -1 >/dev/null
sleep 0.5
iperf3 -c $PEER_IP -t 60 >/dev/null 2>&1 &
ip netns exec peer iperf3 -c $LOCAL_IP -t 60 >/dev/null 2>&1 &
sleep 3
pools=$(ynl --dump page-pool-get 2>&1)
log "page pools while running: $(echo "$pools" | grep -c "'id'")"
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
pkill iperf3
if ! wait_for "! pgrep -x iperf3 >/dev/null" 10; then
	log "iperf3 after SIGTERM: $(ps -o pid=,stat=,wchan:32=,args= -C iperf3 | tr '\n' ';')"
	pkill -KILL -x iperf3
fi
check "the iperf3 processes exit" wait_for "! pgrep -x iperf3 >/dev/null" 20
# pools_remain SECONDS: poll the page pools (by the clock: a ynl call takes
# a second or more under TCG) until none is left; succeeds if some remain
# after SECONDS. LEFT holds the last dump.
pools_remain() {
	local end=$((SECONDS + $1))
	while LEFT=$(ynl --dump page-pool-get 2>&1); [ "$LEFT" != "[]" ]; do
		[ $SECONDS -lt $end ] || return 0
		sleep 0.5
	done
	return 1
}
# A received skb freed on another CPU than the one whose NAPI built it waits
# on that CPU's defer list (skb_attempt_defer_free) until its next NET_RX
# softirq, and its pages stay in flight meanwhile. With the NIC gone nothing
# raises one, so a loopback ping from each CPU does; a page still in flight
# after that is the driver's.
if pools_remain 3; then
	log "page pools 3 s after the last iperf3: $(echo "$LEFT" | grep -o "'inflight': [0-9]*" | tr '\n' ' ')-- flushing the per-CPU defer lists"
	ip link set lo up
	for c in $(seq 0 $(($(nproc) - 1))); do
		taskset -c "$c" ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1
	done
	t0=$SECONDS
	pools_remain 20
	log "  after the flush: $(echo "$LEFT" | grep -c "'inflight'") pool(s) left, $((SECONDS - t0)) s"
fi
left=$LEFT
log "page pools after rmmod: $left"
check "no page_pool left (no page in flight)" test "$left" = "[]"
check "no kernel warnings" dmesg_clean
ktap_finish
