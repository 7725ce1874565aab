#!/bin/bash
# Attach, replace and detach XDP programs while a TCP transfer runs (peer ->
# local, 40 MiB hashed on both ends; the programs are loaded and pinned
# first, so that each operation is quick): on the receiving port (attach and
# detach rebuild its queues in native mode; replace swaps the program in
# place), a one-second XDP_DROP window the connection has to recover from,
# and on the peer's port (the ACK path). The data arrives intact; the
# programs saw the traffic; afterwards the module unloads and leaves no
# page_pool, no IRQ and no kernel warning.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/xdp_lib.sh

xdp_require
setup_pair
xdp_static_neigh
ktap_header 10
log "XDP mode: $XDP_MODE"
xdp_unpin pass_stats drop_stats filter_rules filter_stats tx_stats
PINS=/sys/fs/bpf/ofnic_progs
rm -rf "$PINS" && mkdir -p "$PINS"
# bpftool pins their maps by name under /sys/fs/bpf (libbpf's default)
rm -f /sys/fs/bpf/{pass_stats,drop_stats,filter_rules,filter_stats,tx_stats}
for p in xdp_pass_count xdp_filter xdp_tx_reflect xdp_drop; do
	bpftool prog load "$XDP_OBJ_DIR/$p.bpf.o" "$PINS/$p" type xdp 2>"$OFNIC_TMP/load.err" ||
		die "bpftool prog load $p: $(cat "$OFNIC_TMP/load.err")"
done
nsenter_opt() {	# nsenter_opt NETNS COMMAND...: in NETNS's network namespace
	# only (ip netns exec would hide bpffs, where the programs are pinned)
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		nsenter --net=/run/netns/"$ns" "$@"
	else
		"$@"
	fi
}
pin_set() {	# pin_set IFACE PROG|off [NETNS]: ip -force link set ... pinned
	if [ "$2" = off ]; then
		nsenter_opt "${3:-}" ip link set dev "$1" "xdp$XDP_MODE" off
	else
		nsenter_opt "${3:-}" ip -force link set dev "$1" "xdp$XDP_MODE" pinned "$PINS/$2"
	fi
}
pinned_sum() {	# pinned_sum MAP: packets of a counter map of the pinned programs
	XDP_PIN_DIR=/sys/fs/bpf xdp_map_sum "$1"
}

MB=${OFNIC_XDP_XFER_MB:-40}
# The transfer: a stream of random bytes hashed as it is sent and received,
# paced (tbf, 16 Mbit/s) so that it outlasts the operations on any machine.
ip netns exec peer tc qdisc add dev "$PEER_IF" root tbf rate 16mbit burst 32kb latency 100ms ||
	log "no tbf qdisc: the transfer runs unpaced"
timeout 300 socat -u TCP-LISTEN:5300,reuseaddr - | sha256sum | cut -d' ' -f1 >"$OFNIC_TMP/rx.sha" &
rxpid=$!
wait_for "ss -Hltn 'sport = :5300' | grep -q ." 10 || die "receiver not listening"
rx0=$(cat /sys/class/net/"$LOCAL_IF"/statistics/rx_bytes)
ip netns exec peer bash -c "head -c $((MB * 1024 * 1024)) /dev/urandom |
	tee >(sha256sum | cut -d' ' -f1 >'$OFNIC_TMP/tx.sha') |
	timeout 300 socat -u - TCP:$LOCAL_IP:5300" &
xpid=$!
# going: a MiB has arrived
wait_for "[ \$((\$(cat /sys/class/net/$LOCAL_IF/statistics/rx_bytes) - rx0)) -gt 1048576 ]" 30 ||
	log "the transfer did not start"
t_start=$(date +%s.%N)
running() { kill -0 $xpid 2>/dev/null; }

ops=0 fails=0
op() {	# op DESCRIPTION COMMAND...: one operation, counted if the transfer ran
	local t0=${EPOCHREALTIME/./}
	if "${@:2}"; then
		if running; then
			ops=$((ops + 1))
			OP_LOG+="$1 $(((${EPOCHREALTIME/./} - t0) / 1000)) ms; "
		fi
	else
		fails=$((fails + 1))
		log "failed: $1"
	fi
	sleep 0.3
}
round=0
while running && [ $round -lt 3 ]; do
	round=$((round + 1))
	op "attach pass_count" pin_set "$LOCAL_IF" xdp_pass_count
	op "replace by filter" pin_set "$LOCAL_IF" xdp_filter
	op "replace by tx_reflect" pin_set "$LOCAL_IF" xdp_tx_reflect
	if [ $round = 1 ]; then
		op "replace by drop" pin_set "$LOCAL_IF" xdp_drop
		sleep 1
		op "replace by pass_count" pin_set "$LOCAL_IF" xdp_pass_count
	fi
	op "detach" pin_set "$LOCAL_IF" off
	op "attach (ip link obj)" xdp_attach "$LOCAL_IF" xdp_pass_count
	op "detach" xdp_detach "$LOCAL_IF"
	op "peer: attach pass_count" pin_set "$PEER_IF" xdp_pass_count peer
	op "peer: detach" pin_set "$PEER_IF" off peer
done
# the transfer must finish: 60 s more at most
if ! wait_for "! kill -0 $xpid 2>/dev/null" 60; then
	log "the transfer stalled after the operations; its state:"
	ss -tni "( sport = :5300 )" | sed 's/^/#   local: /'
	ip netns exec peer ss -tni "( dport = :5300 )" | sed 's/^/#   peer: /'
	cat /sys/kernel/debug/ofnic/*/rings 2>/dev/null | sed 's/^/#   /'
	ethtool -S "$LOCAL_IF" | awk '$2 != 0' | grep -v 'packets\|bytes' | sed 's/^/#   local /'
	ethtool -S "$PEER_IF" 2>/dev/null; ip netns exec peer ethtool -S "$PEER_IF" |
		awk '$2 != 0' | grep -v 'packets\|bytes' | sed 's/^/#   peer /'
	kill $xpid $rxpid 2>/dev/null
	pkill -f "socat -u" 2>/dev/null
fi
wait $xpid
send_rc=$?
t_end=$(date +%s.%N)
wait $rxpid
# the sender's hash is written by a process substitution nobody waits for
wait_for "[ -s '$OFNIC_TMP/tx.sha' ]" 30
log "$ops attach/replace/detach operations during the transfer, $fails failed, $round rounds"
log "while the transfer ran: $OP_LOG"
awk -v s="$t_start" -v e="$t_end" -v mb="$MB" 'BEGIN {
	printf "# transfer: %d MiB, %.1f s after it got going (sender rc '"$send_rc"')\n", mb, e - s }'
log "sha256 sent $(cat "$OFNIC_TMP/tx.sha"), received $(cat "$OFNIC_TMP/rx.sha")"
seen=$(($(pinned_sum pass_stats) + $(xdp_map_sum pass_stats)))
dropped=$(pinned_sum drop_stats)
check "every attach/replace/detach succeeded" test $fails -eq 0
check "the first 8 (attach, 4 replaces incl. XDP_DROP, detach, attach, detach) while the transfer ran ($ops)" \
	test $ops -ge 8
check "$MB MiB TCP transfer intact across them (sha256)" \
	test "$send_rc" = 0 -a -s "$OFNIC_TMP/rx.sha" -a "$(cat "$OFNIC_TMP/tx.sha")" = "$(cat "$OFNIC_TMP/rx.sha")"
check "the programs saw the traffic (pass_count: $seen frames)" test "$seen" -ge 100
check "the XDP_DROP second dropped segments ($dropped), TCP recovered" test "$dropped" -ge 1
check "no program left on either port" \
	test -z "$(xdp_prog_name "$LOCAL_IF")" -a -z "$(xdp_prog_name "$PEER_IF" peer)"
rm -rf "$PINS" /sys/fs/bpf/{pass_stats,drop_stats,filter_rules,filter_stats,tx_stats}

pools=$(ynl --dump page-pool-get 2>&1)
log "page pools before rmmod: $(echo "$pools" | grep -c "'id'")"
ip netns del peer
check "rmmod ofnic" rmmod ofnic
sleep 1
check "no page_pool left (no page in flight)" pools_gone
check "no ofnic IRQ left" sh -c "! grep -q ofnic /proc/interrupts"
check "no kernel warnings" dmesg_clean
ktap_finish
