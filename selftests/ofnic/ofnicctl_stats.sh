#!/bin/bash
# ofnicctl stats --watch: live per-queue rates while 8 TCP flows (iperf3 -P 8)
# spread over 4 RSS queues. JSON (one object per refresh and line, schema
# checked): several queues busy, the queues' rates add up to the total, and the
# packets the rates account for agree with the counters of ip -s link. Text on
# a terminal: redrawn in place (cursor home + clear, cursor hidden then
# restored, also when interrupted); through a pipe: plain frames. The per-queue
# counters after the run are the ones the kernel's ynl reads.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/ofnicctl_lib.sh

need_ofnicctl
command -v iperf3 >/dev/null || skip_all "iperf3 is not installed (scripts/setup)"
setup_pair
ktap_header 12
T=$OFNIC_TMP
IF=$LOCAL_IF
$ETHTOOL -L "$IF" combined 4 || die "ethtool -L combined 4"
wait_for '[ "$(cat /sys/class/net/$IF/carrier 2>/dev/null)" = 1 ]' 10

rx_packets() { ip -j -s link show "$IF" | jq '.[0].stats64.rx.packets'; }

# ---- JSON watch during traffic -----------------------------------------------------------
iperf3 -s -1 -B "$LOCAL_IP" -p 5201 >"$T/iperf-s.log" 2>&1 &
wait_for "ss -Hltn 'sport = :5201' | grep -q ." 10
# the flows run until the watch is over, however slow the host
p0=$(rx_packets)
ip netns exec peer iperf3 -c "$LOCAL_IP" -p 5201 -P 8 -t 120 -l 16K >"$T/iperf-c.log" 2>&1 &
client=$!
wait_for "[ \$(rx_packets) -gt $((p0 + 2000)) ]" 30
p0=$(rx_packets)
"$OFNICCTL" -j stats "$IF" --watch -i 1 -c 4 >"$T/watch.ndjson" 2>"$T/err"
rc=$?
p1=$(rx_packets)
kill $client 2>/dev/null
wait $client
check "stats --watch -j -c 4 during iperf3 -P 8: exit 0, 4 lines" \
	eq lines "$rc $(wc -l <"$T/watch.ndjson")" "0 4"
check "  every line matches the schema (rates)" schema_ok rates lines <"$T/watch.ndjson"
log "totals (rx Mbit/s): $(jq -r '.total."rx-bps" / 1e6 | floor' "$T/watch.ndjson" | tr '\n' ' ')"
busy_ok() {
	local n
	n=$(jq -s '[.[].queues[] | select(."rx-pps" > 0) | .id] | unique | length' "$T/watch.ndjson")
	log "queues that received: $n of $(jq -s '.[0].queues | length' "$T/watch.ndjson")"
	[ "$n" -ge 2 ] && jq -se 'all(.[]; .source == "qstats" and (.queues | length) == 4)' \
		"$T/watch.ndjson" >/dev/null
}
check "  4 queues from qstats, at least 2 of them receiving" busy_ok
sum_ok() {
	jq -se 'all(.[]; ((.queues | map(."rx-pps") | add) - .total."rx-pps" | fabs) < 1e-6 * (1 + .total."rx-pps")
		and ((.queues | map(."tx-bps") | add) - .total."tx-bps" | fabs) < 1e-6 * (1 + .total."tx-bps"))' \
		"$T/watch.ndjson" >/dev/null
}
check "  the queues' rates add up to the total" sum_ok
acct_ok() {
	local got
	got=$(jq -s '[.[] | .total."rx-pps" * .interval] | add | round' "$T/watch.ndjson")
	log "packets in the rates: $got; ip -s link over the watch: $((p1 - p0))"
	[ "$got" -ge 1000 ] && [ "$got" -le $((p1 - p0)) ]
}
check "  the packets behind the rates: > 1000, within ip -s link's count over the watch" acct_ok

# ---- counters after the run ------------------------------------------------------------------
ynl_rx_packets() {	# ynl_rx_packets Q: the kernel's ynl reading queue Q's qstats
	ynl --dump qstats-get --output-json \
		--json "{\"ifindex\": $(cat /sys/class/net/$IF/ifindex), \"scope\": [\"queue\"]}" |
		jq --argjson q "$1" '.[] | select(."queue-type" == "rx" and ."queue-id" == $q) | ."rx-packets"'
}
counters_ok() {
	local q a b c bad=0
	for q in 0 1 2 3; do
		a=$(ynl_rx_packets $q)
		b=$("$OFNICCTL" -j stats "$IF" | jq --argjson q $q '.queues[] | select(.id == $q) | .netdev."rx-packets"')
		c=$(ynl_rx_packets $q)
		between "queue $q rx-packets" "$a" "$b" "$c" || bad=1
	done
	return $bad
}
check "stats: per-queue rx-packets as the kernel's ynl reads them (qstats)" counters_ok
check "stats --all: every counter by source and queue" \
	sh -c "'$OFNICCTL' stats '$IF' --all | grep -q '^  ofnic    rx-hds-packets' && '$OFNICCTL' stats '$IF' --all | grep -q '^queue 3:'"

# ---- text watch ----------------------------------------------------------------------------------
tty_ok() {
	script -qfec "$OFNICCTL stats $IF --watch -i 0.3 -c 3" /dev/null >"$T/tty.out" 2>&1 || return 1
	local frames
	frames=$(grep -o $'\e\\[H\e\\[J' "$T/tty.out" | wc -l)
	log "frames redrawn in place: $frames"
	[ "$frames" = 3 ] && grep -q $'\e\\[?25l' "$T/tty.out" && grep -q $'\e\\[?25h' "$T/tty.out" &&
		[ "$(grep -c 'per-queue rates over' "$T/tty.out")" = 3 ]
}
check "text watch on a terminal: 3 frames redrawn in place, cursor hidden and restored" tty_ok
pipe_ok() {
	"$OFNICCTL" stats "$IF" --watch -i 0.3 -c 2 >"$T/pipe.out" 2>&1 || return 1
	! grep -q $'\e' "$T/pipe.out" && [ "$(grep -c '^total ' "$T/pipe.out")" = 2 ]
}
check "text watch through a pipe: 2 plain frames, no escape sequences" pipe_ok
sigint_ok() {
	script -qfec "$OFNICCTL stats $IF --watch -i 0.3" /dev/null >"$T/int.out" 2>&1 &
	local s=$!
	wait_for "grep -q 'per-queue rates over' '$T/int.out'" 30
	local pid
	pid=$(pgrep -P "$s")	# script's child: ofnicctl (the shell execs it)
	[ -n "$pid" ] && kill -INT "$pid" || return 1
	wait $s
	local rc=$?
	log "exit status after SIGINT: $rc"
	[ $rc = 0 ] && [ "$(tail -c 16 "$T/int.out" | grep -c $'\e\\[?25h')" = 1 ]
}
check "watch until interrupted: SIGINT ends it with status 0, cursor restored" sigint_ok
noqs_ok() {
	ip link add octl-va type veth peer name octl-vb
	ip link set octl-va up
	ip link set octl-vb up
	"$OFNICCTL" -j stats octl-va --watch -i 0.3 -c 1 >"$T/v.ndjson"
	local rc=$?
	ip link del octl-va
	[ $rc = 0 ] && jq -e '.source | startswith("device totals")' "$T/v.ndjson" >/dev/null &&
		schema_ok rates lines <"$T/v.ndjson"
}
check "watch on a veth (no per-queue counters): device totals, schema" noqs_ok
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish
