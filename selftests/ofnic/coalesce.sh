#!/bin/bash
# Interrupt moderation (`ethtool -C`): values read back with `-c` (JSON),
# adaptive-rx on/off, out-of-range values refused with the driver's message
# and nothing changed. Effect: the same paced UDP stream (one datagram every
# 2 ms) and the same TCP transfer raise fewer interrupts on the receiver's
# queue-pair vectors (/proc/interrupts) with heavy moderation than with none,
# and a ping's round trip grows by about rx-usecs; transfers stay intact.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

setup_pair
if ethtool -C "$LOCAL_IF" rx-usecs 0 2>&1 | grep -qi 'not supported'; then
	skip_all "the device has no interrupt moderation (ethtool -C: not supported)"
fi
ktap_header 23

coal() {	# coal KEY: a value of `ethtool --json -c`
	$ETHTOOL --json -c "$LOCAL_IF" | tr -d ' \n' |
		sed -n "s/.*\"$1\":\([a-z0-9]*\).*/\1/p"
}
coal_is() {	# coal_is RXU RXF TXU TXF ADAPTIVE
	local got
	got="$(coal rx-usecs) $(coal rx-frames) $(coal tx-usecs) $(coal tx-frames) $(coal adaptive-rx)"
	[ "$got" = "$*" ] || { log "ethtool -c: $got, want $*"; return 1; }
}
NONE="rx-usecs 0 rx-frames 0 tx-usecs 0 tx-frames 0 adaptive-rx off"
HEAVY="rx-usecs 20000 rx-frames 64 tx-usecs 20000 tx-frames 64 adaptive-rx off"

# paced_udp: 300 datagrams peer -> local, one every 2 ms; IRQS: local
# queue-pair interrupts meanwhile.
paced_udp() {
	local port=7300 i0 got
	$OFNIC_PY udp-recv --bind $LOCAL_IP --port $port --timeout $((60 * ${OFNIC_TIMEOUT_SCALE:-1})) --count 300 \
		>"$OFNIC_TMP/udp.out" 2>/dev/null &
	local pid=$!
	wait_for "ss -Hlun 'sport = :$port' | grep -q ." 30
	i0=$(qp_irqs "$LOCAL_IF")
	ip netns exec peer $OFNIC_PY udp-send --dst $LOCAL_IP --port $port \
		--count 300 --size 200 --gap 0.002
	wait $pid
	IRQS=$(($(qp_irqs "$LOCAL_IF") - i0))
	got=$(grep -c '^dgram' "$OFNIC_TMP/udp.out")
	log "paced UDP: $got of 300 received, $IRQS queue interrupts"
	[ "$got" -eq 300 ]
}

# tcp_in: 4 MiB peer -> local; IRQS: local queue-pair interrupts meanwhile.
tcp_in() {
	local i0 rc
	i0=$(qp_irqs "$LOCAL_IF")
	xfer_sha256 peer 4
	rc=$?
	IRQS=$(($(qp_irqs "$LOCAL_IF") - i0))
	log "TCP 4 MiB: $IRQS queue interrupts"
	return $rc
}

# rtt: the shortest of 5 ping round trips peer -> local, ms (integer). The
# shortest: moderation delays every one, a host stall only some.
rtt() {
	ip netns exec peer ping -c 5 -i 0.2 -W 2 $LOCAL_IP |
		awk '/^rtt/ { split($4, v, "/"); printf "%d\n", v[1] }'
}

check "-C rx-usecs 100 rx-frames 32 tx-usecs 50 tx-frames 16" \
	$ETHTOOL -C "$LOCAL_IF" rx-usecs 100 rx-frames 32 tx-usecs 50 tx-frames 16
check "-c shows 100 32 50 16, adaptive off" coal_is 100 32 50 16 false
check "adaptive-rx on" $ETHTOOL -C "$LOCAL_IF" adaptive-rx on
check "-c shows adaptive-rx on, the static values kept" coal_is 100 32 50 16 true
check "adaptive-rx on: 4 MiB peer -> local intact (sha256)" tcp_in
check "adaptive-rx off" $ETHTOOL -C "$LOCAL_IF" adaptive-rx off
check "-c shows adaptive-rx off" coal_is 100 32 50 16 false

# out of range: refused with the driver's message, nothing changed
err=$($ETHTOOL -C "$LOCAL_IF" rx-usecs 70000 2>&1)
rc=$?
log "rx-usecs 70000: rc $rc: $(echo $err)"
check "rx-usecs 70000 refused with an explanation" \
	sh -c "[ $rc -ne 0 ] && echo '$err' | grep -q 'at most 65535' && echo '$err' | grep -q 'Invalid argument'"
err=$($ETHTOOL -C "$LOCAL_IF" rx-usecs 10 tx-frames 65536 2>&1)
rc=$?
check "tx-frames 65536 (with a valid rx-usecs) refused" \
	sh -c "[ $rc -ne 0 ] && echo '$err' | grep -q 'at most 65535'"
check "nothing changed (100 32 50 16)" coal_is 100 32 50 16 false
check "65535 (the maximum) accepted" $ETHTOOL -C "$LOCAL_IF" rx-usecs 65535 tx-frames 65535
check "-c shows it" coal_is 65535 32 50 65535 false

# effect
check "no moderation: set" $ETHTOOL -C "$LOCAL_IF" $NONE
check "no moderation: paced UDP received" paced_udp
irq_udp_none=$IRQS
check "no moderation: 4 MiB TCP intact (sha256)" tcp_in
irq_tcp_none=$IRQS
rtt_none=$(rtt)
check "heavy moderation (20 ms / 64 frames): set" $ETHTOOL -C "$LOCAL_IF" $HEAVY
check "heavy moderation: paced UDP received" paced_udp
irq_udp_heavy=$IRQS
check "heavy moderation: 4 MiB TCP intact (sha256)" tcp_in
irq_tcp_heavy=$IRQS
rtt_heavy=$(rtt)
log "interrupts: paced UDP $irq_udp_none -> $irq_udp_heavy, TCP $irq_tcp_none -> $irq_tcp_heavy;" \
	"ping rtt ${rtt_none}ms -> ${rtt_heavy}ms"
check "paced UDP: less than half the interrupts with moderation" \
	test $((irq_udp_heavy * 2)) -lt "$irq_udp_none"
check "TCP: fewer interrupts with moderation (< 80%)" test $((irq_tcp_heavy * 10)) -lt $((irq_tcp_none * 8))
check "ping: moderation delays the receive by about rx-usecs (rtt >= 10 ms)" \
	test "${rtt_heavy:-0}" -ge 10 -a "${rtt_none:-99}" -lt 10
$ETHTOOL -C "$LOCAL_IF" $NONE >/dev/null
check "no moderation again: rtt back under 10 ms" test "$(rtt)" -lt 10
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
