#!/bin/bash
# The 5-tuple filter (xdp_filter) with its rule map edited live by bpftool:
# no rule passes everything; an exact IPv4 rule drops one flow and not its
# neighbour; changing the rule to PASS lets the flow through again; a rule
# with sport 0 drops a destination port from every source port; an IPv6
# rule with src :: drops from any source; a rule added while a stream runs
# stops it at once with nothing else lost (received + rule's count = sent);
# deleting rules restores the traffic; the rule and decision counters match.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/xdp_lib.sh

xdp_require
setup_pair
xdp_static_neigh
ktap_header 16
log "XDP mode: $XDP_MODE"
ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1
ip netns exec peer ping -c 1 -W 2 $LOCAL_IP >/dev/null 2>&1
ip netns exec peer ping -6 -c 1 -W 2 $LOCAL_IP6 >/dev/null 2>&1
xdp_unpin filter_rules filter_stats
check "attach xdp_filter ($XDP_MODE)" xdp_attach "$LOCAL_IF" xdp_filter
RULES=$XDP_PIN_DIR/filter_rules

key() {	# key SRC DST SPORT DPORT PROTO: struct ofnic_xdp_flow as hex
	echo "$(ip_hex16 "$1") $(ip_hex16 "$2") $(hexbe "$3" 2) $(hexbe "$4" 2) $(hexle "$5" 1) 00 00 00"
}
rule_set() {	# rule_set ACTION SRC DST SPORT DPORT PROTO
	local act=$1
	shift
	bpftool map update pinned "$RULES" key hex $(key "$@") \
		value hex $(hexle "$act" 4) 00 00 00 00 $(hexle 0 8) $(hexle 0 8)
}
rule_del() {	# rule_del SRC DST SPORT DPORT PROTO
	bpftool map delete pinned "$RULES" key hex $(key "$@")
}
rule_pkts() {	# rule_pkts SRC DST SPORT DPORT PROTO: the rule's packets counter
	bpftool -j map lookup pinned "$RULES" key hex $(key "$@") | /usr/bin/python3 -S -c '
import json, sys
v = json.load(sys.stdin)["value"]
print(v["packets"] if isinstance(v, dict) else
      int.from_bytes(bytes(int(x, 16) for x in v[8:16]), "little"))'
}
# flows SPORT:DPORT...: 30 datagrams per flow peer -> local (IPv4, or IPv6
# with FLOW_FAM=6); prints "dport received" per flow.
flows() {
	local f sp dp dst=$LOCAL_IP bind=$LOCAL_IP pids=() mark
	[ "${FLOW_FAM:-4}" = 6 ] && dst=$LOCAL_IP6 bind=$LOCAL_IP6
	for f in "$@"; do
		dp=${f#*:}
		$XDP_UDP recv --bind "$bind" --port "$dp" --timeout 120 >"$OFNIC_TMP/flow.$dp" 2>&1 &
		pids+=($!)
	done
	for f in "$@"; do
		wait_for "grep -q listening '$OFNIC_TMP/flow.${f#*:}'" 30 ||
			log "receiver on port ${f#*:} not listening after 30 s" >&2
	done
	mark=$(rx_frames "$LOCAL_IF")
	for f in "$@"; do
		sp=${f%:*} dp=${f#*:}
		peer_udp send --dst "$dst" --port "$dp" --sport "$sp" --count 30 --size 200 >/dev/null
	done
	# every datagram past the program, then the receivers' summaries (SIGTERM)
	rx_frames_wait "$LOCAL_IF" "$mark" $((30 * $#))
	kill -TERM "${pids[@]}" 2>/dev/null
	wait "${pids[@]}"
	for f in "$@"; do
		echo "${f#*:} $(awk '/^received/ { print $4 }' "$OFNIC_TMP/flow.${f#*:}")"
	done | tr '\n' ' '
}
got() {	# got RESULT DPORT: the verified count of one flow
	echo "$1" | awk -v p="$2" '{ for (i = 1; i < NF; i += 2) if ($i == p) print $(i + 1) }'
}

r=$(flows 43001:7401 43002:7402)
log "no rule: $r"
check "no rule: both flows pass (30 + 30)" test "$(got "$r" 7401)" = 30 -a "$(got "$r" 7402)" = 30

check "add exact rule: UDP $PEER_IP:43001 -> $LOCAL_IP:7401 DROP" \
	rule_set 1 $PEER_IP $LOCAL_IP 43001 7401 17
sb=$(xdp_map_dump filter_stats)
r=$(flows 43001:7401 43002:7402)
sa=$(xdp_map_dump filter_stats)
log "exact drop rule: $r"
check "exact rule: that flow is dropped (0), the other passes (30)" \
	test "$(got "$r" 7401)" = 0 -a "$(got "$r" 7402)" = 30
n=$(rule_pkts $PEER_IP $LOCAL_IP 43001 7401 17)
drops=$(awk 'NR == FNR { b[$1] = $2; next } $1 == 1 { print $2 - b[1] }' <(echo "$sb") <(echo "$sa"))
check "the rule counted 30, filter_stats[XDP_DROP] +30 ($n, $drops)" test "$n" = 30 -a "$drops" = 30

rule_set 2 $PEER_IP $LOCAL_IP 43001 7401 17
r=$(flows 43001:7401)
check "rule changed to PASS: the flow passes again ($(got "$r" 7401))" test "$(got "$r" 7401)" = 30
rule_del $PEER_IP $LOCAL_IP 43001 7401 17

check "add rule with sport 0: UDP $PEER_IP:* -> :7401 DROP" \
	rule_set 1 $PEER_IP $LOCAL_IP 0 7401 17
r=$(flows 43003:7401 43004:7402)
r2=$(flows 43005:7401)
log "sport wildcard: $r $r2"
check "sport 0: dropped from any source port, port 7402 untouched" \
	test "$(got "$r" 7401)" = 0 -a "$(got "$r2" 7401)" = 0 -a "$(got "$r" 7402)" = 30
rule_del $PEER_IP $LOCAL_IP 0 7401 17

check "add IPv6 rule with src :: and sport 0: UDP * -> [$LOCAL_IP6]:7402 DROP" \
	rule_set 1 :: $LOCAL_IP6 0 7402 17
r=$(FLOW_FAM=6 flows 43006:7402 43007:7403)
log "IPv6 src wildcard: $r"
check "IPv6: port 7402 dropped, 7403 passes" \
	test "$(got "$r" 7402)" = 0 -a "$(got "$r" 7403)" = 30
r=$(flows 43008:7402)
check "the IPv6 rule leaves IPv4 to port 7402 alone ($(got "$r" 7402))" test "$(got "$r" 7402)" = 30
rule_del :: $LOCAL_IP6 0 7402 17

# Live: a stream at 50 datagrams/s; the rule arrives once 30 datagrams got
# through, the stream stops once the rule dropped 30, the receiver once the
# driver has taken every frame sent (both print their counts on SIGTERM).
$XDP_UDP recv --bind $LOCAL_IP --port 7404 --timeout 120 >"$OFNIC_TMP/live" 2>&1 &
rpid=$!
wait_for "grep -q listening '$OFNIC_TMP/live'" 30 || log "live receiver not listening"
in0=$(snmp_counter "" Udp InDatagrams)
mark=$(rx_frames "$LOCAL_IF")
ip netns exec peer $XDP_UDP stream --dst $LOCAL_IP --port 7404 --sport 43009 --secs 100 \
	--rate 50 >"$OFNIC_TMP/sent" 2>&1 &
spid=$!
wait_for '[ $(($(snmp_counter "" Udp InDatagrams) - in0)) -ge 30 ]' 60 ||
	log "the stream did not get going"
rule_set 1 $PEER_IP $LOCAL_IP 43009 7404 17
wait_for '[ "$(rule_pkts $PEER_IP $LOCAL_IP 43009 7404 17)" -ge 30 ]' 60 ||
	log "the rule did not take 30 datagrams"
kill -TERM $spid
wait $spid
sent=$(awk '/^sent/ { print $2 }' "$OFNIC_TMP/sent")
rx_frames_wait "$LOCAL_IF" "$mark" "${sent:-0}"
kill -TERM $rpid
wait $rpid
rcvd=$(awk '/^received/ { print $4 }' "$OFNIC_TMP/live")
dropped=$(rule_pkts $PEER_IP $LOCAL_IP 43009 7404 17)
log "live: sent ${sent:-?}, received ${rcvd:-?}, dropped by the rule ${dropped:-?}"
check "rule added during a stream: the stream stops (received $rcvd of $sent)" \
	test "${rcvd:-0}" -ge 30 -a "${dropped:-0}" -ge 30
check "nothing else lost: received + dropped = sent" \
	test $((${rcvd:-0} + ${dropped:-0})) -eq "${sent:--1}"
rule_del $PEER_IP $LOCAL_IP 43009 7404 17
check "all rules deleted: the map is empty" \
	test "$(bpftool -j map dump pinned "$RULES")" = "[]"
r=$(flows 43009:7404)
check "no rule left: the flow passes again ($(got "$r" 7404))" test "$(got "$r" 7404)" = 30

xdp_detach "$LOCAL_IF"
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish
