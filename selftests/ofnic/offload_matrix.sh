#!/bin/bash
# Offload combinations on both ports: none / checksums / + TSO / + LRO /
# all (+ header-data split and interrupt moderation). For each, a 16 MiB TCP
# transfer each way keeps its sha256, and the device counters of both ports
# show that exactly the offloads of the set were at work.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

MB=${OFNIC_MATRIX_MB:-16}
setup_pair
feature_fixed_off "$LOCAL_IF" tx-checksum-ip-generic && feature_fixed_off "$LOCAL_IF" rx-checksumming &&
	skip_all "the device offers no offload"
ktap_header 21

has_hds() {
	$ETHTOOL --json -g "$LOCAL_IF" 2>/dev/null | grep -q '"tcp-data-split": "o[nf]'
}
has_itr() {
	! ethtool -C "$LOCAL_IF" rx-usecs 0 2>&1 | grep -qi 'not supported'
}

# port_config IFACE NETNS TX RX TSO LRO HDS ITR (on|off each)
port_config() {
	local ifc=$1 ns=$2 ok=0
	set_features "$ifc" "$ns" tx "$3" rx "$4" tso "$5" || ok=1
	if ! feature_fixed_off "$ifc" rx-gro-hw "$ns"; then
		set_features "$ifc" "$ns" rx-gro-hw "$6" || ok=1
	elif [ "$6" = on ]; then
		ok=1
	fi
	if has_hds; then
		nsrun "$ns" $ETHTOOL -G "$ifc" tcp-data-split "$7" || ok=1
	elif [ "$7" = on ]; then
		ok=1
	fi
	if [ "$8" = on ]; then
		nsrun "$ns" $ETHTOOL -C "$ifc" rx-usecs 50 rx-frames 16 tx-usecs 50 tx-frames 16 || ok=1
	elif has_itr; then
		nsrun "$ns" $ETHTOOL -C "$ifc" rx-usecs 0 rx-frames 0 tx-usecs 0 tx-frames 0 || ok=1
	fi
	return $ok
}

configure_both() {
	port_config "$LOCAL_IF" "" "$@" && port_config "$PEER_IF" peer "$@"
}

dev_stats() {	# device counters of both ports, one "name value" list
	stats_save "$LOCAL_IF" | sed 's/^/l_/'
	stats_save "$PEER_IF" peer | sed 's/^/p_/'
}

# engaged TX RX TSO LRO HDS: the counters of the last set match it
engaged() {
	local d bad=0 name want i
	local names=(hw_tx_csum hw_rx_csum_good hw_tso_packets hw_lro_frames hw_hds_frames)
	local wants=("$@")
	for i in "${!names[@]}"; do
		name=${names[$i]}
		want=${wants[$i]}
		d=$(stats_delta "$B" "$A" "_${name}\$")
		log "  $name (both ports): $d, offload $want"
		if [ "$want" = on ] && [ "$d" -lt 10 ]; then
			bad=1
		elif [ "$want" = off ] && [ "$d" -ne 0 ]; then
			bad=1
		fi
	done
	return $bad
}

SETS=(
	"none:off off off off off off"
	"csum:on on off off off off"
	"csum+tso:on on on off off off"
	"csum+tso+lro:on on on on off off"
	"all:on on on on on on"
)
for set in "${SETS[@]}"; do
	name=${set%%:*}
	read -r tx rx tso lro hds itr <<<"${set#*:}"
	missing=""
	[ "$tx" = on ] && feature_fixed_off "$LOCAL_IF" tx-checksum-ip-generic && missing+=" tx-csum"
	[ "$rx" = on ] && feature_fixed_off "$LOCAL_IF" rx-checksumming && missing+=" rx-csum"
	[ "$tso" = on ] && feature_fixed_off "$LOCAL_IF" tx-tcp-segmentation && missing+=" tso"
	[ "$lro" = on ] && feature_fixed_off "$LOCAL_IF" rx-gro-hw && missing+=" lro"
	[ "$hds" = on ] && ! has_hds && missing+=" hds"
	[ "$itr" = on ] && ! has_itr && missing+=" itr"
	if [ -n "$missing" ]; then
		for what in "configured" "$MB MiB local -> peer" "$MB MiB peer -> local" "offloads engaged"; do
			ktap_skip "$name: $what" "the device lacks$missing"
		done
		continue
	fi
	check "$name: configured on both ports" configure_both $tx $rx $tso $lro $hds $itr
	B=$(dev_stats)
	check "$name: $MB MiB local -> peer intact (sha256)" xfer_sha256 local "$MB"
	check "$name: $MB MiB peer -> local intact (sha256)" xfer_sha256 peer "$MB"
	A=$(dev_stats)
	check "$name: the device counters show these offloads and no other" \
		engaged "$tx" "$rx" "$tso" "$lro" "$hds"
done
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
