#!/bin/bash
# Checksum offload, both directions, on and off.
# TX (`ethtool -K tx on|off`, TSO off so that every TCP frame is a checksum
# request): with tx on the driver's txN_csum_offload and the device's
# hw_tx_csum count the frames, and every TCP/UDP and IPv4 header checksum the
# peer captures on the wire is right; with tx off neither counter moves and
# the stack's checksums are right. Transfers keep their sha256.
# RX (`ethtool -K rx on|off`): the peer sends hand-made frames with a wrong
# UDP, TCP or IPv4 header checksum (AF_PACKET): nothing reaches the socket,
# the device (hw_rx_csum_bad) and the driver (rxN_csum_bad) count them with rx
# on, the stack drops them (InCsumErrors) in both cases; a good frame right
# after is received. With rx off the device checks nothing (hw_rx_csum_*
# stay, the driver's rxN_csum_none rises).
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

N_TX=15
N_RX=20
N_RXOFF=8
setup_pair
tx_ok=1
rx_ok=1
feature_fixed_off "$LOCAL_IF" tx-checksum-ip-generic && tx_ok=0
feature_fixed_off "$LOCAL_IF" rx-checksumming && rx_ok=0
[ $tx_ok = 0 ] && [ $rx_ok = 0 ] &&
	skip_all "the device offers no checksum offload (tx and rx off [fixed])"
ktap_header $((N_TX + N_RX + N_RXOFF + 1))

LOCAL_MAC=$(cat /sys/class/net/$LOCAL_IF/address)
PEER_MAC=$(ip netns exec peer cat /sys/class/net/$PEER_IF/address)
# The peer's captures must see wire frames, not GRO'd skbs.
ip netns exec peer ethtool -K "$PEER_IF" gro off >/dev/null 2>&1
feature_fixed_off "$PEER_IF" rx-gro-hw peer ||
	ip netns exec peer ethtool -K "$PEER_IF" rx-gro-hw off >/dev/null 2>&1
feature_fixed_off "$LOCAL_IF" rx-gro-hw ||
	ethtool -K "$LOCAL_IF" rx-gro-hw off >/dev/null 2>&1
ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1
ping -6 -c 1 -W 2 $PEER_IP6 >/dev/null 2>&1

skip_n() {	# skip_n N DESCRIPTION REASON
	local i
	for ((i = 1; i <= $1; i++)); do
		ktap_skip "$2 ($i)" "$3"
	done
}

# wire_check MB: local -> peer transfer of MB MiB captured on the peer; sets
# WIRE (pcap-info of the capture) and returns the transfer's result.
wire_check() {
	local rc port=$XFER_PORT
	cap_start peer "$PEER_IF" "$OFNIC_TMP/wire.pcap" in tcp port $port
	xfer_sha256 local "$1"
	rc=$?
	cap_stop
	WIRE=$(pcap_info "$OFNIC_TMP/wire.pcap" --port $port)
	log "wire: $(echo $WIRE)"
	return $rc
}

# udp_tx_check: 20 datagrams local -> peer, captured on the peer; true when
# all 20 arrive with a right (non-zero) UDP checksum. Sets UDP_WIRE.
udp_tx_check() {
	local port=7100 got
	cap_start peer "$PEER_IF" "$OFNIC_TMP/udp.pcap" in udp port $port
	ip netns exec peer $OFNIC_PY udp-recv --bind $PEER_IP --port $port \
		--timeout $((30 * ${OFNIC_TIMEOUT_SCALE:-1})) --count 20 >"$OFNIC_TMP/udp-tx.out" 2>/dev/null &
	local pid=$!
	wait_for "ip netns exec peer ss -Hlun 'sport = :$port' | grep -q ." 30
	$OFNIC_PY udp-send --dst $PEER_IP --port $port --count 20 --size 1200
	wait $pid
	cap_stop 20
	UDP_WIRE=$(pcap_info "$OFNIC_TMP/udp.pcap" --port $port)
	got=$(grep -c '^dgram' "$OFNIC_TMP/udp-tx.out")
	log "udp: $got of 20 datagrams received; $(echo $UDP_WIRE | tr '\n' ' ')"
	[ "$got" -eq 20 ] && [ "$(kv "$UDP_WIRE" udp_frames)" -eq 20 ] &&
		[ "$(kv "$UDP_WIRE" bad_udp_csum)" -eq 0 ] &&
		[ "$(kv "$UDP_WIRE" udp_zero_csum)" -eq 0 ]
}

# wire_ok: every captured checksum right, and enough frames checked (under
# TCG tcpdump may not keep up with every frame).
wire_ok() {
	[ "$(kv "$WIRE" bad_l4_csum)" = 0 ] && [ "$(kv "$WIRE" bad_ip_csum)" = 0 ] &&
		[ "$(kv "$WIRE" l4_checked)" -ge 300 ]
}

# ---- TX -------------------------------------------------------------------------
tx_section() {
	local b a d hw pk peer_err0 peer_err1
	check "tx on: tx-checksumming on (TSO off)" \
		set_features "$LOCAL_IF" "" tx on tso off
	peer_err0=$(snmp_counter peer Tcp InCsumErrors)
	b=$(stats_save "$LOCAL_IF")
	check "tx on: 1 MiB TCP/IPv4 local -> peer intact (sha256)" wire_check 1
	a=$(stats_save "$LOCAL_IF")
	d=$(stats_delta "$b" "$a" '^tx[0-9]+_csum_offload$')
	hw=$(stats_delta "$b" "$a" '^hw_tx_csum$')
	pk=$(stats_delta "$b" "$a" '^tx[0-9]+_packets$')
	log "tx on: $pk packets, driver csum requests $d, device checksummed $hw"
	check "tx on: driver offloaded the checksum of (nearly) every frame" \
		test "$d" -ge $((pk * 9 / 10)) -a "$d" -ge 700
	check "tx on: device checksummed as many frames (hw_tx_csum)" test "$hw" -eq "$d"
	check "tx on: every TCP and IPv4 header checksum on the wire is right" wire_ok
	peer_err1=$(snmp_counter peer Tcp InCsumErrors)
	check "tx on: peer's stack saw no TCP checksum error" test "$peer_err1" -eq "$peer_err0"
	b=$(stats_save "$LOCAL_IF")
	check "tx on: 1 MiB TCP/IPv6 local -> peer intact (sha256)" xfer_sha256 local 1 6
	a=$(stats_save "$LOCAL_IF")
	d=$(stats_delta "$b" "$a" '^tx[0-9]+_csum_offload$')
	check "tx on: IPv6 frames checksummed by the device ($d)" test "$d" -ge 700
	b=$(stats_save "$LOCAL_IF")
	check "tx on: UDP datagrams arrive with right checksums" udp_tx_check
	a=$(stats_save "$LOCAL_IF")
	d=$(stats_delta "$b" "$a" '^tx[0-9]+_csum_offload$')
	check "tx on: UDP checksums offloaded ($d)" test "$d" -ge 20

	check "tx off: tx-checksumming and TSO off" set_features "$LOCAL_IF" "" tx off tso off
	b=$(stats_save "$LOCAL_IF")
	check "tx off: 1 MiB TCP/IPv4 local -> peer intact (sha256)" wire_check 1
	check "tx off: UDP datagrams arrive with right checksums" udp_tx_check
	a=$(stats_save "$LOCAL_IF")
	d=$(stats_delta "$b" "$a" '^tx[0-9]+_csum_offload$')
	hw=$(stats_delta "$b" "$a" '^hw_tx_csum$')
	log "tx off: driver csum requests $d, device checksummed $hw"
	check "tx off: no checksum request to the device (driver and device counters stay)" \
		test "$d" -eq 0 -a "$hw" -eq 0
	check "tx off: software checksums on the wire are right" wire_ok
	ethtool -K "$LOCAL_IF" tx on >/dev/null 2>&1
}

# ---- RX -------------------------------------------------------------------------
UDP_PORT=9100

# peer_send FAMILY ARGS...: a hand-made frame from the peer to the local port.
peer_send() {
	local fam=$1 src=$PEER_IP dst=$LOCAL_IP
	shift
	[ "$fam" = 6 ] && src=$PEER_IP6 dst=$LOCAL_IP6
	ip netns exec peer $OFNIC_PY send "$PEER_IF" --src-mac "$PEER_MAC" \
		--dst-mac "$LOCAL_MAC" --src "$src" --dst "$dst" "$@"
}

# udp_probe FAMILY BAD-ARGS...: 3 frames "BAD" made with BAD-ARGS, then one
# right frame "GOOD", to a local UDP socket; UDP_OUT: what the socket got.
udp_probe() {
	local fam=$1 dst=$LOCAL_IP port=$UDP_PORT pid
	shift
	UDP_PORT=$((UDP_PORT + 1))
	[ "$fam" = 6 ] && dst=$LOCAL_IP6
	$OFNIC_PY udp-recv --bind "$dst" --port $port --timeout $((30 * ${OFNIC_TIMEOUT_SCALE:-1})) --until GOOD \
		>"$OFNIC_TMP/udp.out" 2>/dev/null &
	pid=$!
	wait_for "ss -Hlun 'sport = :$port' | grep -q ." 30
	peer_send "$fam" --proto udp --dport $port --payload BAD --count 3 \
		--good-after GOOD "$@" >/dev/null
	wait $pid
	UDP_OUT=$(cat "$OFNIC_TMP/udp.out")
	log "socket received: $(echo $UDP_OUT)"
}

no_reply() {	# no_reply FAMILY ARGS...: peer_send ARGS gets no answer
	! peer_send "$@" >/dev/null
}

got_reply() {	# got_reply FAMILY ARGS...: peer_send ARGS gets an answer
	peer_send "$@" >/dev/null
}

got_only_good() {
	[ "$UDP_OUT" = GOOD ]
}

rx_section() {
	local b a e0 e1 d pk
	check "rx on: rx-checksumming on" set_features "$LOCAL_IF" "" rx on

	# UDP/IPv4, wrong L4 checksum
	e0=$(snmp_counter "" Udp InCsumErrors)
	b=$(stats_save "$LOCAL_IF")
	udp_probe 4 --l4 bad
	a=$(stats_save "$LOCAL_IF")
	e1=$(snmp_counter "" Udp InCsumErrors)
	check "rx on: UDP/IPv4 bad checksum: socket gets only the good frame after" got_only_good
	check "rx on: UDP/IPv4 bad checksum: device counted 3 bad (hw_rx_csum_bad)" \
		test "$(stats_delta "$b" "$a" '^hw_rx_csum_bad$')" -eq 3
	check "rx on: UDP/IPv4 bad checksum: driver counted 3 bad (rxN_csum_bad)" \
		test "$(stats_delta "$b" "$a" '^rx[0-9]+_csum_bad$')" -eq 3
	check "rx on: UDP/IPv4 bad checksum: the stack dropped 3 (Udp InCsumErrors)" \
		test $((e1 - e0)) -eq 3
	check "rx on: UDP/IPv4 good frame counted good (device and driver)" \
		test "$(stats_delta "$b" "$a" '^hw_rx_csum_good$')" -ge 1 -a \
		"$(stats_delta "$b" "$a" '^rx[0-9]+_csum_good$')" -ge 1

	# UDP/IPv6, wrong L4 checksum
	e0=$(nstat_counter "" Udp6InCsumErrors)
	b=$(stats_save "$LOCAL_IF")
	udp_probe 6 --l4 bad
	a=$(stats_save "$LOCAL_IF")
	e1=$(nstat_counter "" Udp6InCsumErrors)
	check "rx on: UDP/IPv6 bad checksum: socket gets only the good frame after" got_only_good
	check "rx on: UDP/IPv6 bad checksum: device and driver counted 3 bad" \
		test "$(stats_delta "$b" "$a" '^hw_rx_csum_bad$')" -eq 3 -a \
		"$(stats_delta "$b" "$a" '^rx[0-9]+_csum_bad$')" -eq 3
	check "rx on: UDP/IPv6 bad checksum: the stack dropped 3 (Udp6InCsumErrors)" \
		test $((e1 - e0)) -eq 3

	# IPv4 header checksum wrong (UDP checksum right)
	e0=$(nstat_counter "" IpExtInCsumErrors)
	b=$(stats_save "$LOCAL_IF")
	udp_probe 4 --l3 bad
	a=$(stats_save "$LOCAL_IF")
	e1=$(nstat_counter "" IpExtInCsumErrors)
	check "rx on: bad IPv4 header checksum: socket gets only the good frame after" got_only_good
	check "rx on: bad IPv4 header checksum: device and driver counted 3 bad" \
		test "$(stats_delta "$b" "$a" '^hw_rx_csum_bad$')" -eq 3 -a \
		"$(stats_delta "$b" "$a" '^rx[0-9]+_csum_bad$')" -eq 3
	check "rx on: bad IPv4 header checksum: the stack dropped 3 (IpExtInCsumErrors)" \
		test $((e1 - e0)) -eq 3

	# UDP/IPv4 without checksum (0: none, RFC 768) and a padded short frame
	b=$(stats_save "$LOCAL_IF")
	udp_probe 4 --l4 zero
	a=$(stats_save "$LOCAL_IF")
	check "rx on: UDP/IPv4 checksum 0 (none) is delivered" \
		test "$UDP_OUT" = "$(printf 'BAD\nBAD\nBAD\nGOOD')"
	check "rx on: UDP/IPv4 checksum 0 is not counted bad" \
		test "$(stats_delta "$b" "$a" '^hw_rx_csum_bad$')" -eq 0 -a \
		"$(stats_delta "$b" "$a" '^rx[0-9]+_csum_bad$')" -eq 0
	b=$(stats_save "$LOCAL_IF")
	udp_probe 4 --pad-to 60 --pad-byte 0xff
	a=$(stats_save "$LOCAL_IF")
	check "rx on: short UDP frame with non-zero Ethernet padding: delivered, not bad" \
		test "$UDP_OUT" = "$(printf 'BAD\nBAD\nBAD\nGOOD')" -a \
		"$(stats_delta "$b" "$a" '^hw_rx_csum_bad$')" -eq 0

	# TCP/IPv4 SYN to a closed port: a right one is answered (RST), a wrong one not
	e0=$(snmp_counter "" Tcp InCsumErrors)
	b=$(stats_save "$LOCAL_IF")
	check "rx on: TCP SYN with a bad checksum gets no answer" \
		no_reply 4 --proto tcp --sport 40001 --dport 9999 --l4 bad --count 3 \
		--reply-timeout 1.5
	a=$(stats_save "$LOCAL_IF")
	e1=$(snmp_counter "" Tcp InCsumErrors)
	check "rx on: TCP bad checksum: device, driver and stack counted 3" \
		test "$(stats_delta "$b" "$a" '^hw_rx_csum_bad$')" -eq 3 -a \
		"$(stats_delta "$b" "$a" '^rx[0-9]+_csum_bad$')" -eq 3 -a $((e1 - e0)) -eq 3
	check "rx on: TCP SYN with a right checksum is answered (RST)" \
		got_reply 4 --proto tcp --sport 40002 --dport 9999 --reply-timeout 30

	# bulk TCP peer -> local
	b=$(stats_save "$LOCAL_IF")
	check "rx on: 1 MiB TCP peer -> local intact (sha256)" xfer_sha256 peer 1
	a=$(stats_save "$LOCAL_IF")
	d=$(stats_delta "$b" "$a" '^rx[0-9]+_csum_good$')
	pk=$(stats_delta "$b" "$a" '^rx[0-9]+_packets$')
	log "rx on: $pk packets, $d verified by the device"
	check "rx on: the device verified (nearly) every frame (rxN_csum_good, hw_rx_csum_good)" \
		test "$d" -ge $((pk * 9 / 10)) -a "$d" -ge 700 -a \
		"$(stats_delta "$b" "$a" '^hw_rx_csum_good$')" -ge "$d"
}

rxoff_section() {
	local b a e0 e1
	check "rx off: rx-checksumming off" set_features "$LOCAL_IF" "" rx off
	e0=$(snmp_counter "" Udp InCsumErrors)
	b=$(stats_save "$LOCAL_IF")
	udp_probe 4 --l4 bad
	a=$(stats_save "$LOCAL_IF")
	e1=$(snmp_counter "" Udp InCsumErrors)
	check "rx off: UDP/IPv4 bad checksum: socket gets only the good frame after" got_only_good
	check "rx off: the stack dropped the 3 bad frames (Udp InCsumErrors)" \
		test $((e1 - e0)) -eq 3
	check "rx off: the device checked nothing (hw_rx_csum_good/bad stay)" \
		test "$(stats_delta "$b" "$a" '^hw_rx_csum_(good|bad)$')" -eq 0
	check "rx off: driver reports the frames unchecked (rxN_csum_none +4)" \
		test "$(stats_delta "$b" "$a" '^rx[0-9]+_csum_none$')" -ge 4
	check "rx off: driver counted nothing good or bad" \
		test "$(stats_delta "$b" "$a" '^rx[0-9]+_csum_(good|bad)$')" -eq 0
	b=$(stats_save "$LOCAL_IF")
	check "rx off: 1 MiB TCP peer -> local intact (sha256)" xfer_sha256 peer 1
	a=$(stats_save "$LOCAL_IF")
	check "rx off: no frame verified by the device during the transfer" \
		test "$(stats_delta "$b" "$a" '^(hw_rx_csum_good|rx[0-9]+_csum_good)$')" -eq 0
	ethtool -K "$LOCAL_IF" rx on >/dev/null 2>&1
}

if [ $tx_ok = 1 ]; then
	tx_section
else
	skip_n $N_TX "TX checksum" "tx-checksumming off [fixed]"
fi
if [ $rx_ok = 1 ]; then
	rx_section
	rxoff_section
else
	skip_n $((N_RX + N_RXOFF)) "RX checksum" "rx-checksumming off [fixed]"
fi
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
