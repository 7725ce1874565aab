#!/bin/bash
# TCP segmentation offload (`ethtool -K tso on|off`), IPv4 and IPv6.
# A 64 KiB write on a TCP socket: with TSO on the stack hands the driver
# super-packets (the local capture shows frames longer than the MTU), the
# driver's txN_tso_packets/segments and the device's hw_tso_packets/segments
# rise by the same amounts, and the peer (GRO and rx-gro-hw off, so its
# capture shows wire frames) sees only MSS-sized segments no longer than
# MTU + 14, with right IPv4 header and TCP checksums, IPv4 IDs + 1 per segment
# and one FIN. With TSO off the counters stay, the stack segments (no frame
# over the MTU even locally) and the wire looks the same. Bulk transfers keep
# their sha256 both ways.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

setup_pair
feature_fixed_off "$LOCAL_IF" tx-tcp-segmentation &&
	skip_all "the device has no TSO (tx-tcp-segmentation off [fixed])"
ktap_header 37

ip netns exec peer ethtool -K "$PEER_IF" gro off >/dev/null 2>&1
feature_fixed_off "$PEER_IF" rx-gro-hw peer ||
	ip netns exec peer ethtool -K "$PEER_IF" rx-gro-hw off >/dev/null 2>&1
ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1
ping -6 -c 1 -W 2 $PEER_IP6 >/dev/null 2>&1
PORT=6100

# write64k FAMILY: one 64 KiB send() local -> peer, captured on both ends.
# Sets LOCAL_CAP, PEER_CAP (pcap-info), TSO_D, TSO_SEGS_D, HW_D, HW_SEGS_D.
write64k() {
	local fam=$1 dst=$PEER_IP lsn=TCP4-LISTEN port=$PORT b a tx rx
	PORT=$((PORT + 1))
	[ "$fam" = 6 ] && dst=$PEER_IP6 lsn=TCP6-LISTEN
	ip netns exec peer timeout 30 socat -u $lsn:$port,reuseaddr - |
		sha256sum | cut -d' ' -f1 >"$OFNIC_TMP/w64.rx" &
	local rxpid=$!
	wait_for "ip netns exec peer ss -Hltn 'sport = :$port' | grep -q ." 10
	cap_start "" "$LOCAL_IF" "$OFNIC_TMP/local.pcap" out tcp port $port
	local lpid=$CAP_PID
	cap_start peer "$PEER_IF" "$OFNIC_TMP/peer.pcap" in tcp port $port
	local ppid=$CAP_PID
	b=$(stats_save "$LOCAL_IF")
	tx=$(timeout 30 $OFNIC_PY tcp-write --dst "$dst" --port $port --bytes 65536)
	wait $rxpid
	a=$(stats_save "$LOCAL_IF")
	CAP_PID=$lpid
	cap_stop
	CAP_PID=$ppid
	cap_stop
	rx=$(cat "$OFNIC_TMP/w64.rx")
	LOCAL_CAP=$(pcap_info "$OFNIC_TMP/local.pcap" --port $port)
	PEER_CAP=$(pcap_info "$OFNIC_TMP/peer.pcap" --port $port)
	TSO_D=$(stats_delta "$b" "$a" '^tx[0-9]+_tso_packets$')
	TSO_SEGS_D=$(stats_delta "$b" "$a" '^tx[0-9]+_tso_segments$')
	HW_D=$(stats_delta "$b" "$a" '^hw_tso_packets$')
	HW_SEGS_D=$(stats_delta "$b" "$a" '^hw_tso_segments$')
	log "IPv$fam 64 KiB: driver TSO $TSO_D requests / $TSO_SEGS_D segments," \
		"device $HW_D / $HW_SEGS_D"
	log "local (stack) view: $(echo $LOCAL_CAP)"
	log "peer (wire) view: $(echo $PEER_CAP)"
	[ -n "$tx" ] && [ "$tx" = "$rx" ]
}

# wire_segments MSS: the peer saw only frames <= MTU + 14, data in MSS-sized
# segments (all but the last), all 64 KiB, checksums right, IDs in sequence.
wire_segments() {
	local mss=$1 n_full=$((65536 / $1))
	[ "$(kv "$PEER_CAP" over_mtu)" -eq 0 ] &&
		[ "$(kv "$PEER_CAP" max_frame)" -le 1514 ] &&
		[ "$(kv "$PEER_CAP" max_payload)" -eq "$mss" ] &&
		[ "$(kv "$PEER_CAP" at_max_payload)" -ge "$n_full" ] &&
		[ "$(kv "$PEER_CAP" payload_bytes)" -ge 65536 ]
}

wire_valid() {
	[ "$(kv "$PEER_CAP" bad_ip_csum)" -eq 0 ] &&
		[ "$(kv "$PEER_CAP" bad_l4_csum)" -eq 0 ] &&
		[ "$(kv "$PEER_CAP" ip_id_bad)" -eq 0 ] &&
		[ "$(kv "$PEER_CAP" fin_frames)" -eq 1 ] &&
		[ "$(kv "$PEER_CAP" l4_checked)" -ge 45 ]
}

tso_section() {	# tso_section FAMILY MSS
	local fam=$1 mss=$2 b a
	check "IPv$fam tso on: TSO on" set_features "$LOCAL_IF" "" tx on tso on
	check "IPv$fam tso on: 64 KiB write arrives intact (sha256)" write64k "$fam"
	check "IPv$fam tso on: most segments came from TSO requests ($TSO_D for $TSO_SEGS_D)" \
		test "$TSO_D" -ge 1 -a "$TSO_SEGS_D" -ge $((65536 / mss / 2)) -a \
		"$TSO_SEGS_D" -gt "$TSO_D"
	check "IPv$fam tso on: the device segmented them (hw_tso_packets/segments equal)" \
		test "$HW_D" -eq "$TSO_D" -a "$HW_SEGS_D" -eq "$TSO_SEGS_D"
	check "IPv$fam tso on: the stack passed frames over the MTU to the driver" \
		test "$(kv "$LOCAL_CAP" over_mtu)" -ge 1
	check "IPv$fam tso on: wire: only <= 1514-byte frames, $mss-byte segments" \
		wire_segments "$mss"
	check "IPv$fam tso on: wire: IP/TCP checksums right, IDs +1, one FIN" wire_valid
	b=$(stats_save "$LOCAL_IF")
	check "IPv$fam tso on: 8 MiB local -> peer intact (sha256)" xfer_sha256 local 8 "$fam"
	a=$(stats_save "$LOCAL_IF")
	check "IPv$fam tso on: the bulk transfer used TSO (driver and device)" \
		test "$(stats_delta "$b" "$a" '^tx[0-9]+_tso_packets$')" -ge 10 -a \
		"$(stats_delta "$b" "$a" '^hw_tso_segments$')" -eq \
		"$(stats_delta "$b" "$a" '^tx[0-9]+_tso_segments$')"
	check "IPv$fam tso on: no offload error (hw_tx_offload_errors, tx drops)" \
		test "$(stats_delta "$b" "$a" '^(hw_tx_offload_errors|tx[0-9]+_dropped)$')" -eq 0

	check "IPv$fam tso off: TSO off" set_features "$LOCAL_IF" "" tso off
	check "IPv$fam tso off: 64 KiB write arrives intact (sha256)" write64k "$fam"
	check "IPv$fam tso off: no TSO request (driver and device counters stay)" \
		test "$TSO_D" -eq 0 -a "$HW_D" -eq 0 -a "$HW_SEGS_D" -eq 0
	check "IPv$fam tso off: the stack segmented (no local frame over the MTU)" \
		test "$(kv "$LOCAL_CAP" over_mtu)" -eq 0 -a "$(kv "$LOCAL_CAP" tcp_frames)" -ge 45
	check "IPv$fam tso off: wire: only <= 1514-byte frames, $mss-byte segments" \
		wire_segments "$mss"
	check "IPv$fam tso off: wire: IP/TCP checksums right, IDs +1, one FIN" wire_valid
	ethtool -K "$LOCAL_IF" tso on >/dev/null 2>&1
}

tso_section 4 1448
tso_section 6 1428
# The other way: the peer sends with TSO (its defaults), the local port receives.
set_features "$PEER_IF" peer tx on tso on >/dev/null
b=$(stats_save "$PEER_IF" peer)
check "tso on: 8 MiB peer -> local intact (sha256)" xfer_sha256 peer 8
a=$(stats_save "$PEER_IF" peer)
check "tso on: the peer's transfer used TSO" \
	test "$(stats_delta "$b" "$a" '^hw_tso_packets$')" -ge 10
ethtool -K "$LOCAL_IF" tx off >/dev/null 2>&1
check "tx off turns TSO off too (TSO needs checksum offload)" \
	feature_is "$LOCAL_IF" tcp-segmentation-offload off
check "tx and TSO off: 4 MiB local -> peer intact (sha256)" xfer_sha256 local 4
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
