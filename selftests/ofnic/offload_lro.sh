#!/bin/bash
# Receive coalescing in the device (LRO, advertised as rx-gro-hw), on the
# receiving (local) port, software GRO off there so that what AF_PACKET sees
# is what the driver built. On: the driver's rxN_lro_packets/segments and the
# device's hw_lro_frames/segments rise by the same amounts, the receiver's
# capture shows frames longer than the MTU with right IPv4 header checksums,
# the netdev qstats report the same hw-gro-packets, and transfers keep their
# sha256 (IPv4 and IPv6). Off: no coalesced frame, no counter moves. The rules
# of docs/offloads.md: `ethtool -K rx off` turns rx-gro-hw off (GRO_HW needs
# RXCSUM) and `rx on` brings it back; IP forwarding keeps it on.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

setup_pair
feature_fixed_off "$LOCAL_IF" rx-gro-hw &&
	skip_all "the device has no LRO (rx-gro-hw off [fixed])"
ktap_header 26

ethtool -K "$LOCAL_IF" gro off >/dev/null 2>&1
ip netns exec peer ethtool -K "$PEER_IF" tx on tso on >/dev/null 2>&1
ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1
ping -6 -c 1 -W 2 $PEER_IP6 >/dev/null 2>&1

# recv_check MB [FAMILY]: MB MiB peer -> local, captured on the local port.
# Sets CAP (pcap-info), LRO_D, LRO_SEGS_D, HW_D, HW_SEGS_D.
recv_check() {
	local b a rc port=$XFER_PORT
	cap_start "" "$LOCAL_IF" "$OFNIC_TMP/lro.pcap" in tcp port $port
	b=$(stats_save "$LOCAL_IF")
	xfer_sha256 peer "$1" "${2:-4}"
	rc=$?
	a=$(stats_save "$LOCAL_IF")
	cap_stop
	CAP=$(pcap_info "$OFNIC_TMP/lro.pcap" --port $port --mtu 1500)
	LRO_D=$(stats_delta "$b" "$a" '^rx[0-9]+_lro_packets$')
	LRO_SEGS_D=$(stats_delta "$b" "$a" '^rx[0-9]+_lro_segments$')
	HW_D=$(stats_delta "$b" "$a" '^hw_lro_frames$')
	HW_SEGS_D=$(stats_delta "$b" "$a" '^hw_lro_segments$')
	RXPK_D=$(stats_delta "$b" "$a" '^rx[0-9]+_packets$')
	log "driver: $LRO_D LRO frames of $LRO_SEGS_D segments ($RXPK_D frames in all);" \
		"device: $HW_D / $HW_SEGS_D"
	log "receiver's capture: $(echo $CAP)"
	return $rc
}

lro_section() {	# lro_section FAMILY MB
	local fam=$1 mb=$2
	check "IPv$fam lro on: rx and rx-gro-hw on" set_features "$LOCAL_IF" "" rx on rx-gro-hw on
	check "IPv$fam lro on: $mb MiB peer -> local intact (sha256)" recv_check "$mb" "$fam"
	check "IPv$fam lro on: the driver received coalesced frames (rxN_lro_packets)" \
		test "$LRO_D" -ge 10 -a "$LRO_SEGS_D" -ge $((2 * LRO_D))
	check "IPv$fam lro on: the device counted the same (hw_lro_frames/segments)" \
		test "$HW_D" -eq "$LRO_D" -a "$HW_SEGS_D" -eq "$LRO_SEGS_D"
	check "IPv$fam lro on: at most 64 segments per frame" \
		test "$LRO_SEGS_D" -le $((64 * LRO_D))
	check "IPv$fam lro on: the receiver saw frames over the MTU, none over 64 KiB" \
		test "$(kv "$CAP" over_mtu)" -ge 1 -a "$(kv "$CAP" max_frame)" -le 65535
	check "IPv$fam lro on: coalesced frames have right IP header checksums" \
		test "$(kv "$CAP" bad_ip_csum)" -eq 0 -a "$(kv "$CAP" tcp_frames)" -ge 10
}

lro_section 4 8
# The qstats of the netdev netlink family report the same coalescing.
q=$(ynl --dump qstats-get --json '{"scope":"queue"}' --output-json 2>/dev/null)
ifindex=$(cat /sys/class/net/$LOCAL_IF/ifindex)
qs=$(echo "$q" | /usr/bin/python3 -S -c '
import json, sys
t = sum(e.get("rx-hw-gro-packets", 0) for e in json.load(sys.stdin)
        if e.get("ifindex") == int(sys.argv[1]) and e.get("queue-type") == "rx")
print(t)' "$ifindex" 2>/dev/null)
drv=$("$OFNIC_TOP/build/userspace/ofnicctl" -j stats "$LOCAL_IF" |
	jq '[.queues[].ofnic."rx-lro-packets" // 0] | add')
log "qstats rx-hw-gro-packets ${qs:-none}, the ofnic family's rx-lro-packets $drv"
check "qstats rx-hw-gro-packets equals the driver's LRO count (ofnic family)" \
	test "${qs:--1}" -eq "${drv:-0}" -a "${drv:-0}" -gt 0
lro_section 6 4

check "lro off: rx-gro-hw off" set_features "$LOCAL_IF" "" rx-gro-hw off
check "lro off: 4 MiB peer -> local intact (sha256)" recv_check 4
check "lro off: no coalesced frame (driver and device counters stay)" \
	test "$LRO_D" -eq 0 -a "$HW_D" -eq 0 -a "$HW_SEGS_D" -eq 0
check "lro off: the receiver saw no frame over the MTU" test "$(kv "$CAP" over_mtu)" -eq 0

# Rules: GRO_HW depends on RXCSUM; forwarding keeps GRO_HW.
set_features "$LOCAL_IF" "" rx on rx-gro-hw on >/dev/null
ethtool -K "$LOCAL_IF" rx off >/dev/null 2>&1
log "after rx off: rx-gro-hw: $(feature_state "$LOCAL_IF" rx-gro-hw)"
check "rules: rx off turns rx-gro-hw off" feature_is "$LOCAL_IF" rx-gro-hw off
check "rules: rx off: 2 MiB peer -> local intact (sha256)" recv_check 2
check "rules: rx off: no coalesced frame" test "$LRO_D" -eq 0 -a "$HW_D" -eq 0
ethtool -K "$LOCAL_IF" rx on >/dev/null 2>&1
check "rules: rx on brings rx-gro-hw back (still requested)" feature_is "$LOCAL_IF" rx-gro-hw on
fwd=$(sysctl -n net.ipv4.ip_forward)
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
check "rules: IP forwarding keeps rx-gro-hw on" feature_is "$LOCAL_IF" rx-gro-hw on
fwd_check() {
	recv_check 2 && [ "$LRO_D" -ge 1 ]
}
check "rules: forwarding on: 2 MiB peer -> local intact, still coalesced" fwd_check
sysctl -qw net.ipv4.ip_forward="$fwd" net.ipv6.conf.all.forwarding=0
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
