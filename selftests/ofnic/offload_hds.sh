#!/bin/bash
# Header-data split (`ethtool -G tcp-data-split on|off`, Debian 13's ethtool):
# `-g` reports the setting; with it on, the device writes the headers of TCP
# and UDP frames to the header buffers: the driver's rxN_hds_headers and the
# device's hw_hds_frames rise together for (nearly) every frame, TCP over IPv4
# and IPv6 and UDP arrive intact, other frames (ICMP, multi-buffer pings)
# still work, with LRO as well, and across a ring size change. Off: nothing
# is split.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

setup_pair
dsplit() {	# the tcp-data-split setting `ethtool --json -g` reports
	$ETHTOOL --json -g "$LOCAL_IF" 2>/dev/null |
		sed -n 's/.*"tcp-data-split": *"\([^"]*\)".*/\1/p'
}
state=$(dsplit)
[ -n "$state" ] && [ "$state" != "n/a" ] ||
	skip_all "the device has no header-data split ($ETHTOOL -g: tcp-data-split '${state:-absent}')"
ktap_header 25

set_features "$LOCAL_IF" "" rx-gro-hw off >/dev/null 2>&1
ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1
ping -6 -c 1 -W 2 $PEER_IP6 >/dev/null 2>&1

# recv MB [FAMILY]: MB MiB peer -> local; sets HDS_D, HW_D, RXPK_D.
recv() {
	local b a rc
	b=$(stats_save "$LOCAL_IF")
	xfer_sha256 peer "$1" "${2:-4}"
	rc=$?
	a=$(stats_save "$LOCAL_IF")
	HDS_D=$(stats_delta "$b" "$a" '^rx[0-9]+_hds_headers$')
	HW_D=$(stats_delta "$b" "$a" '^hw_hds_frames$')
	RXPK_D=$(stats_delta "$b" "$a" '^rx[0-9]+_packets$')
	LRO_D=$(stats_delta "$b" "$a" '^rx[0-9]+_lro_packets$')
	log "split: driver $HDS_D, device $HW_D, of $RXPK_D frames ($LRO_D LRO)"
	return $rc
}

ring_is() {	# ring_is RX TX: the ring sizes `ethtool -g` reports
	local j
	j=$($ETHTOOL --json -g "$LOCAL_IF")
	echo "$j" | grep -q "\"rx\": $1," && echo "$j" | grep -q "\"tx\": $2,"
}

udp_in() {	# 20 UDP datagrams peer -> local, all received
	local port=7200 got
	$OFNIC_PY udp-recv --bind $LOCAL_IP --port $port --timeout $((30 * ${OFNIC_TIMEOUT_SCALE:-1})) --count 20 \
		>"$OFNIC_TMP/udp.out" 2>/dev/null &
	local pid=$!
	wait_for "ss -Hlun 'sport = :$port' | grep -q ." 30
	ip netns exec peer $OFNIC_PY udp-send --dst $LOCAL_IP --port $port \
		--count 20 --size 1200
	wait $pid
	got=$(grep -c '^dgram[0-9]* x\{1190,\}$' "$OFNIC_TMP/udp.out")
	log "udp: $got of 20 datagrams received whole"
	[ "$got" -eq 20 ]
}

check "tcp-data-split on accepted" $ETHTOOL -G "$LOCAL_IF" tcp-data-split on
check "ethtool -g reports tcp-data-split on" test "$(dsplit)" = on
check "ring sizes unchanged (512/512)" ring_is 512 512
check "hds on: 8 MiB TCP/IPv4 peer -> local intact (sha256)" recv 8
check "hds on: (nearly) every frame split (rxN_hds_headers)" \
	test "$HDS_D" -ge $((RXPK_D * 9 / 10)) -a "$HDS_D" -ge 1000
check "hds on: the device counted the same (hw_hds_frames)" test "$HW_D" -eq "$HDS_D"
check "hds on: 4 MiB TCP/IPv6 peer -> local intact (sha256)" recv 4 6
check "hds on: IPv6 frames split" test "$HDS_D" -ge $((RXPK_D * 9 / 10)) -a "$HDS_D" -ge 500
b=$(stats_save "$LOCAL_IF")
check "hds on: 20 UDP datagrams received whole" udp_in
a=$(stats_save "$LOCAL_IF")
check "hds on: UDP frames split" test "$(stats_delta "$b" "$a" '^rx[0-9]+_hds_headers$')" -ge 20
check "hds on: ping (ICMP, not split) works" quiet ip netns exec peer ping -c 3 -i 0.2 -W 2 $LOCAL_IP
check "hds on: 8000-byte pings (multi-buffer, not split) work" \
	quiet ip netns exec peer ping -c 3 -i 0.2 -W 2 -s 8000 $LOCAL_IP
check "hds on: sending (local -> peer 4 MiB) unaffected" xfer_sha256 local 4
ip link set "$LOCAL_IF" mtu 9000
ip -n peer link set "$PEER_IF" mtu 9000
check "hds on, MTU 9000: 8900-byte unfragmented pings work" \
	quiet ip netns exec peer ping -c 2 -i 0.2 -W 2 -M do -s 8900 $LOCAL_IP
check "hds on, MTU 9000: 4 MiB peer -> local intact (sha256)" recv 4
ip link set "$LOCAL_IF" mtu 1500
ip -n peer link set "$PEER_IF" mtu 1500
check "hds on, MTU 9000: jumbo frames split" test "$HDS_D" -ge $((RXPK_D * 9 / 10))

if feature_fixed_off "$LOCAL_IF" rx-gro-hw; then
	ktap_skip "hds + lro: 4 MiB intact" "no LRO"
	ktap_skip "hds + lro: frames split and coalesced" "no LRO"
else
	set_features "$LOCAL_IF" "" rx on rx-gro-hw on >/dev/null
	check "hds + lro: 4 MiB peer -> local intact (sha256)" recv 4
	check "hds + lro: frames split and coalesced" test "$HDS_D" -ge 1 -a "$LRO_D" -ge 1
	set_features "$LOCAL_IF" "" rx-gro-hw off >/dev/null
fi

$ETHTOOL -G "$LOCAL_IF" rx 1024 >/dev/null
check "ring size change (-G rx 1024) keeps the split" test "$(dsplit)" = on
recv_split() {
	recv 2 && [ "$HDS_D" -ge 1000 ]
}
check "hds on, rx ring 1024: 2 MiB intact, split" recv_split
$ETHTOOL -G "$LOCAL_IF" rx 512 >/dev/null 2>&1

check "tcp-data-split off accepted" $ETHTOOL -G "$LOCAL_IF" tcp-data-split off
check "ethtool -g reports tcp-data-split off" test "$(dsplit)" = off
check "hds off: 4 MiB peer -> local intact (sha256)" recv 4
check "hds off: nothing split (driver and device counters stay)" \
	test "$HDS_D" -eq 0 -a "$HW_D" -eq 0
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
