#!/bin/bash
# The flow table and RSS contexts through ethtool (docs/hw-spec.md, "Flow
# table"): `-N flow-type tcp4|udp4|ip4|tcp6|udp6|ip6 ... action Q|-1 |
# context C [loc L]`, `-n`, `delete`, `-X context new|N ... delete`,
# `-K ntuple off|on`, `-N rx-flow-hash ... context C`. Every rule is shown by traffic from the peer: the
# per-queue rxN_packets counters and the entry's hits in debugfs's
# flow_table must rise by the frames sent, and a lower location must win.
# Out-of-range and unmatchable rules are refused with a reason in the log.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

setup_pair
max=$(ethtool -l "$LOCAL_IF" | awk '/^Pre-set/ { p = 1 } p && /^Combined:/ { print $2; exit }')
[ "${max:-1}" -ge 4 ] ||
	skip_all "no 4 queues here (ethtool -l: max combined ${max:-?})"
$ETHTOOL -k "$LOCAL_IF" | grep -q '^ntuple-filters: on' ||
	skip_all "ofnic without a flow table (ntuple-filters not on)"
ktap_header 49

feature_fixed_off "$LOCAL_IF" rx-gro-hw || quiet ethtool -K "$LOCAL_IF" rx-gro-hw off
quiet ethtool -L "$LOCAL_IF" combined 4
TABLE=/sys/kernel/debug/ofnic/$(basename "$(readlink "/sys/class/net/$LOCAL_IF/device")")/flow_table
N=200
# Rules and contexts go through Debian 13's ethtool ($ETHTOOL): Debian 12's
# exits 0 when the driver refuses a rule.

rx_seen() {	# the frames that reached the driver or that a rule dropped
	echo $(($(rx_frames "$LOCAL_IF") + $(ethtool_stat "$LOCAL_IF" hw_rx_flow_drops)))
}
hits() {	# hits LOC: the frames ntuple rule LOC decided
	awk -v l="$1" '$1 == "rule" && $2 == l { print $NF; f = 1 } END { if (!f) print "none" }' "$TABLE"
}
# send PROTO DST PORT [COUNT [FLOWS]]: COUNT frames peer -> local (UDP:
# datagrams from FLOWS source ports; TCP: one connection of COUNT * 1000
# bytes); sets B and A (ethtool -S before and after)
send() {
	local proto=$1 dst=$2 port=$3 count=${4:-$N} flows=${5:-1}
	local seen0
	B=$(stats_save "$LOCAL_IF")
	if [ "$proto" = udp ]; then
		seen0=$(rx_seen)
		ip netns exec peer $OFNIC_PY udp-send --dst "$dst" --port "$port" \
			--count "$count" --size 200 --gap 0 --flows "$flows" \
			--sport $((20000 + RANDOM % 20000))
		# the tail of the burst may still be in the peer's qdisc, the
		# device or a NAPI poll
		counter_wait rx_seen "$seen0" "$count"
	else
		if [[ $dst == *:* ]]; then
			socat -u TCP6-LISTEN:"$port",reuseaddr,bind="[$dst]" /dev/null &
		else
			socat -u TCP-LISTEN:"$port",reuseaddr,bind="$dst" /dev/null &
		fi
		wait_for "ss -Hltn 'sport = :$port' | grep -q ." 10
		ip netns exec peer $OFNIC_PY tcp-write --dst "$dst" --port "$port" \
			--bytes $((count * 1000)) >/dev/null
		wait
	fi
	sleep 0.5
	A=$(stats_save "$LOCAL_IF")
}
rxq() {	# rxq Q: rxQ_packets delta of the last send
	stats_per_queue "$B" "$A" 'rx%d_packets' | awk -v q="$1" '$1 == q { print $2 }'
}
rx_others() {	# rx_others Q...: rxN_packets delta summed over the queues not named
	stats_per_queue "$B" "$A" 'rx%d_packets' |
		awk -v qs=" $* " 'index(qs, " " $1 " ") == 0 { s += $2 } END { print s + 0 }'
}
at_least() { [ "${1:-0}" -ge "$2" ]; }
at_most() { [ "${1:-0}" -le "$2" ]; }
added_id() { sed -n 's/^Added rule with ID \([0-9]*\)$/\1/p'; }
rule_count() { $ETHTOOL -n "$LOCAL_IF" | sed -n 's/^Total \([0-9]*\) rules$/\1/p'; }
refused() {	# refused ARGS...: $ETHTOOL -N ARGS fails and the log says why
	local before
	before=$(dmesg | grep -c 'ntuple rule:')
	! $ETHTOOL -N "$LOCAL_IF" "$@" 2>/dev/null &&
		[ "$(dmesg | grep -c 'ntuple rule:')" -gt "$before" ]
}

check "ethtool -n: 4 RX rings, no rule" \
	eval '$ETHTOOL -n "$LOCAL_IF" | grep -q "^4 RX rings available" && [ "$(rule_count)" = 0 ]'

# a rule at the first free location: udp4 to port 9001 -> queue 3
id=$($ETHTOOL -N "$LOCAL_IF" flow-type udp4 dst-port 9001 action 3 | added_id)
check "udp4 dst-port 9001 action 3: added at location 0" test "$id" = 0
check "$ETHTOOL -n rule 0 shows it" \
	eval '$ETHTOOL -n "$LOCAL_IF" rule 0 | grep -q "Dest port: 9001"'
send udp $LOCAL_IP 9001
log "udp 9001: rx3 $(rxq 3), others $(rx_others 3), hits $(hits 0)"
check "udp4 rule: the $N datagrams arrive on queue 3" at_least "$(rxq 3)" $N
check "udp4 rule: other queues quiet" at_most "$(rx_others 3)" 10
check "udp4 rule: its hits count them" test "$(hits 0)" = $N

# tcp4 with a source address, at a chosen location
check "tcp4 src-ip dst-port 9002 action 2 loc 5" \
	quiet $ETHTOOL -N "$LOCAL_IF" flow-type tcp4 src-ip $PEER_IP dst-port 9002 action 2 loc 5
send tcp $LOCAL_IP 9002 300
log "tcp 9002: rx2 $(rxq 2), others $(rx_others 2), hits $(hits 5)"
check "tcp4 rule: the connection's frames arrive on queue 2" at_least "$(rxq 2)" 200
check "tcp4 rule: other queues quiet" at_most "$(rx_others 2)" 10
check "tcp4 rule: hits match the queue's frames" \
	test "$(hits 5)" -ge "$(($(rxq 2) - 10))"
check "tcp4 rule with another source address matches nothing" \
	quiet $ETHTOOL -N "$LOCAL_IF" flow-type tcp4 src-ip 10.77.0.99 dst-port 9003 action 1 loc 6
send tcp $LOCAL_IP 9003 100
check "... its traffic is spread by RSS, hits 0" test "$(hits 6)" = 0

# IPv6
check "tcp6 dst-port 9004 action 1" \
	quiet $ETHTOOL -N "$LOCAL_IF" flow-type tcp6 dst-port 9004 action 1 loc 7
send tcp $LOCAL_IP6 9004 300
log "tcp6 9004: rx1 $(rxq 1), others $(rx_others 1), hits $(hits 7)"
check "tcp6 rule: the connection's frames arrive on queue 1" at_least "$(rxq 1)" 200
check "tcp6 rule: other queues quiet" at_most "$(rx_others 1)" 10
check "udp6 dst-port 9005 action 2" \
	quiet $ETHTOOL -N "$LOCAL_IF" flow-type udp6 dst-port 9005 action 2 loc 8
send udp $LOCAL_IP6 9005
check "udp6 rule: the datagrams arrive on queue 2" at_least "$(rxq 2)" $N
check "udp6 rule: hits count them" test "$(hits 8)" = $N

# match order: ip4 proto udp from the peer at 20 loses to rule 0 (udp 9001)
check "ip4 src-ip l4proto 17 action 1 loc 20" \
	quiet $ETHTOOL -N "$LOCAL_IF" flow-type ip4 src-ip $PEER_IP l4proto 17 action 1 loc 20
send udp $LOCAL_IP 9001
check "the lower location wins: udp 9001 still on queue 3" at_least "$(rxq 3)" $N
check "... rule 20 decided none of it" test "$(hits 20)" = 0
send udp $LOCAL_IP 9010
check "other udp from the peer: rule 20, queue 1" at_least "$(rxq 1)" $N
check "... its hits count them" test "$(hits 20)" = $N
check "ip6 l4proto 17 action 3 loc 21" \
	quiet $ETHTOOL -N "$LOCAL_IF" flow-type ip6 l4proto 17 action 3 loc 21
send udp $LOCAL_IP6 9011
check "ip6 rule: udp6 to another port on queue 3" at_least "$(rxq 3)" $N

# drop
before=$(ethtool_stat "$LOCAL_IF" hw_rx_flow_drops)
check "udp4 dst-port 9012 action -1 loc 9" \
	quiet $ETHTOOL -N "$LOCAL_IF" flow-type udp4 dst-port 9012 action -1 loc 9
send udp $LOCAL_IP 9012
check "drop rule: hw_rx_flow_drops counts the $N datagrams" \
	test "$(($(ethtool_stat "$LOCAL_IF" hw_rx_flow_drops) - before))" = $N
check "drop rule: no queue got them" at_most "$(rx_others)" 10

# RSS contexts
ctx=$($ETHTOOL -X "$LOCAL_IF" context new start 2 equal 2 | sed -n 's/^New RSS context is \([0-9]*\)$/\1/p')
check "-X context new start 2 equal 2" test -n "$ctx"
check "-x context $ctx shows queues 2 and 3" \
	eval '[ "$($ETHTOOL --json -x "$LOCAL_IF" context "$ctx" | tr -d " \n" |
		sed -n "s/.*\"rss-indirection-table\":\[\([0-9,]*\)\].*/\1/p" | tr , "\n" | sort -u | tr "\n" " ")" = "2 3 " ]'
check "udp4 dst-port 9013 context $ctx loc 10" \
	quiet $ETHTOOL -N "$LOCAL_IF" flow-type udp4 dst-port 9013 context "$ctx" loc 10
send udp $LOCAL_IP 9013 $N 16
log "context $ctx: rx2 $(rxq 2) rx3 $(rxq 3), others $(rx_others 2 3)"
check "context rule: 16 flows spread over queues 2 and 3 only" \
	eval 'at_least "$(rxq 2)" 20 && at_least "$(rxq 3)" 20 && at_most "$(rx_others 2 3)" 10'
ctx2=$($ETHTOOL -X "$LOCAL_IF" context new equal 2 | sed -n 's/^New RSS context is \([0-9]*\)$/\1/p')
check "context $ctx2 over queues 0-1; udp4 9014 action 2 context $ctx2 (offset)" \
	quiet $ETHTOOL -N "$LOCAL_IF" flow-type udp4 dst-port 9014 action 2 context "$ctx2" loc 11
send udp $LOCAL_IP 9014 $N 16
check "context rule + queue offset: flows on queues 2 and 3 only" \
	eval 'at_least "$(rxq 2)" 20 && at_least "$(rxq 3)" 20 && at_most "$(rx_others 2 3)" 10'
# the context's own hash fields: the 2-tuple only puts all 16 flows (one
# address pair) on one of its queues; the default context still hashes 4-tuples
check "rx-flow-hash udp4 sd context $ctx (its own hash fields)" \
	eval '$ETHTOOL -N "$LOCAL_IF" rx-flow-hash udp4 sd context "$ctx" &&
	      $ETHTOOL -n "$LOCAL_IF" rx-flow-hash udp4 | grep -q "L4 bytes 0 & 1"'
send udp $LOCAL_IP 9013 $N 16
log "context $ctx, 2-tuple: rx2 $(rxq 2) rx3 $(rxq 3), others $(rx_others 2 3)"
check "... all 16 flows on one queue of the context" \
	eval '{ at_least "$(rxq 2)" $((N - 5)) && at_most "$(rxq 3)" 5; } ||
	      { at_least "$(rxq 3)" $((N - 5)) && at_most "$(rxq 2)" 5; }'
check "a context a rule uses cannot be deleted" \
	eval '! $ETHTOOL -X "$LOCAL_IF" context "$ctx" delete 2>/dev/null'

# refused
check "refused: queue 4 of 4" refused flow-type udp4 dst-port 1 action 4
check "refused: location 64 of 64" refused flow-type udp4 dst-port 1 action 1 loc 64
check "refused: tos match" refused flow-type tcp4 tos 4 action 1
check "refused: unknown context" refused flow-type tcp4 dst-port 1 context 7
check "refused: context queue offset past the queues" \
	refused flow-type tcp4 dst-port 1 action 3 context "$ctx"
check "-L combined 3 refused while a rule names queue 3" \
	eval '! ethtool -L "$LOCAL_IF" combined 3 2>/dev/null'

# ntuple off and on
rules=$(rule_count)
quiet ethtool -K "$LOCAL_IF" ntuple off
h=$(hits 0)
send udp $LOCAL_IP 9001
check "ntuple off: the table is not consulted (rule 0's hits stay)" test "$(hits 0)" = "$h"
check "ntuple off: rules kept, adding refused" \
	eval '[ "$(rule_count)" = "$rules" ] && refused flow-type udp4 dst-port 9 action 1'
quiet ethtool -K "$LOCAL_IF" ntuple on
send udp $LOCAL_IP 9001
check "ntuple on: queue 3 again" at_least "$(rxq 3)" $N

# deleting
for loc in $($ETHTOOL -n "$LOCAL_IF" | sed -n 's/^Filter: \([0-9]*\)$/\1/p'); do
	quiet $ETHTOOL -N "$LOCAL_IF" delete "$loc"
done
check "all rules deleted: none listed, the device's table empty" \
	eval '[ "$(rule_count)" = 0 ] && ! grep -q "^rule" "$TABLE"'
check "contexts deleted once unused" \
	eval '$ETHTOOL -X "$LOCAL_IF" context "$ctx" delete && $ETHTOOL -X "$LOCAL_IF" context "$ctx2" delete'
check "no kernel warnings" dmesg_clean
ktap_finish
