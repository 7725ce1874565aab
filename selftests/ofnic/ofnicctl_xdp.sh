#!/bin/bash
# ofnicctl xdp: load (native and generic), atomic replace (refused without
# --replace), replace under a running TCP transfer (sha256 intact), unload,
# status and map contents; checked with ip, bpftool and ethtool -S. Refusals
# print the kernel's extack message (HDS on, MTU too large) and leave nothing
# attached.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/ofnicctl_lib.sh

need_ofnicctl
PASS_O=$OFNIC_TOP/build/xdp/xdp_pass_count.bpf.o
DROP_O=$OFNIC_TOP/build/xdp/xdp_drop.bpf.o
[ -s "$PASS_O" ] && [ -s "$DROP_O" ] || skip_all "build/xdp/*.bpf.o are not built (make xdp)"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
setup_pair
ktap_header 26
T=$OFNIC_TMP
IF=$LOCAL_IF

ip_prog() { ip -j -d link show "$IF" | jq -r '.[0].xdp.prog.id // "none"'; }
ip_mode() { ip -j -d link show "$IF" | jq -r '.[0].xdp.mode // 0'; }
status_id() { "$OFNICCTL" -j xdp status "$IF" | jq -r '.interfaces[0].xdp.programs[0].id // "none"'; }
prog_name() { bpftool -j prog show id "$1" | jq -r .name; }
# pings N [DEADLINE]: peer -> local, the number answered. With a DEADLINE ping
# waits for every answer until then; without, only 2 RTTs after the last.
pings() {
	ip netns exec peer ping -c "$1" -i 0.05 -W 1 ${2:+-w "$2"} -q "$LOCAL_IP" |
		awk '/received/ { print $4 }'
}
map_packets() {	# map_packets NAME: frames counted by the attached program's map NAME
	"$OFNICCTL" -j xdp map "$IF" "$1" | jq '[.maps[0].entries[].value.packets] | add // 0'
}
bpftool_packets() {	# the same from the pinned map, with bpftool
	bpftool -j map dump pinned "/sys/fs/bpf/$1" |
		jq '[.[].formatted.values[].value.packets] | add // 0'
}
ethtool_sum() {	# ethtool_sum REGEX: sum of ethtool -S counters named REGEX
	$ETHTOOL -S "$IF" | awk -v re="$1" '{ sub(/:$/, "", $1) } $1 ~ re { s += $2 } END { print s + 0 }'
}

# ---- native load, counters ---------------------------------------------------------------
check "xdp load pass_count --mode native" octl_log xdp load "$IF" "$PASS_O" --mode native
id1=$(ip_prog)
check "  ip: a native (driver) program, the id ofnicctl reports" \
	sh -c "[ '$(ip_mode)' = 1 ] && [ '$id1' != none ] && [ '$id1' = '$(status_id)' ]"
check "  bpftool: it is xdp_pass_count" eq name "$(prog_name "$id1")" xdp_pass_count
octl -j xdp status "$IF" >"$T/st.json"
check "xdp status --json: schema, mode native, map pass_stats listed" \
	sh -c "jq -e '.interfaces[0].xdp.mode == \"native\" and ([.interfaces[0].xdp.programs[0].maps[].name] | index(\"pass_stats\"))' '$T/st.json' >/dev/null"
check "  ... and matches the schema" schema_ok xdp-status <"$T/st.json"
check "30 pings answered through XDP_PASS" eq answered "$(pings 30 30)" 30
counted_ok() {
	local a b c
	a=$(bpftool_packets pass_stats)
	b=$(map_packets pass_stats)
	c=$(bpftool_packets pass_stats)
	[ "$a" -ge 30 ] && between "pass_stats" "$a" "$b" "$c"
}
check "xdp map pass_stats: frames counted (>= 30), as bpftool map dump" counted_ok
qpass_ok() {
	local a b c
	a=$(ethtool_sum '^rx[0-9]+_xdp_pass$')
	b=$("$OFNICCTL" -j stats "$IF" | jq '[.queues[].ofnic."rx-xdp-pass"] | add')
	c=$(ethtool_sum '^rx[0-9]+_xdp_pass$')
	[ "$a" -ge 30 ] && between "rx-xdp-pass" "$a" "$b" "$c"
}
check "stats: per-queue rx-xdp-pass (ofnic family) as ethtool -S, >= 30" qpass_ok
check "xdp map (text) shows the map" sh -c "'$OFNICCTL' xdp map '$IF' pass_stats | grep -q '^map pass_stats (id '"
octl -j xdp map "$IF" >"$T/maps.json"
check "xdp map --json matches the schema" schema_ok xdp-maps <"$T/maps.json"

# ---- replace -------------------------------------------------------------------------------
RC=$(octl_rc xdp load "$IF" "$DROP_O")
busy_refused() { rc_is 1 "already attached" "--replace" && eq prog "$(ip_prog)" "$id1"; }
check "load over an attached program without --replace: refused, hint, unchanged" busy_refused
check "xdp load drop --replace" octl_log xdp load "$IF" "$DROP_O" --replace
id2=$(ip_prog)
check "  ip: a new program (xdp_drop), still native" \
	sh -c "[ '$id2' != '$id1' ] && [ '$(ip_mode)' = 1 ] && [ '$(prog_name "$id2")' = xdp_drop ]"
check "  pings are dropped now" eq answered "$(pings 10)" 0
check "  drop_stats counts them (>= 10)" sh -c "[ $(map_packets drop_stats) -ge 10 ]"
check "xdp load pass_count --replace (back to passing)" octl_log xdp load "$IF" "$PASS_O" --replace
replace_under_load() {
	local i ids="" rc=0
	xfer_sha256 peer 8 >"$T/xfer.log" 2>&1 &
	local xfer=$!
	sleep 1
	for i in 1 2 3; do
		"$OFNICCTL" xdp load "$IF" "$PASS_O" --replace >/dev/null 2>>"$T/err" || rc=1
		ids="$ids $(ip_prog)"
		sleep 0.5
	done
	wait $xfer || { log "transfer: $(cat "$T/xfer.log")"; rc=1; }
	cat "$T/xfer.log"
	log "program ids during the transfer:$ids"
	[ "$(echo $ids | tr ' ' '\n' | sort -u | wc -l)" = 3 ] || rc=1
	return $rc
}
check "3 atomic replaces during an 8 MiB TCP transfer: sha256 intact" replace_under_load

# ---- unload, generic mode -----------------------------------------------------------------
check "xdp unload" octl_log xdp unload "$IF"
check "  ip: nothing attached" eq prog "$(ip_prog)" none
RC=$(octl_rc xdp unload "$IF")
check "xdp unload with nothing attached: exit 4, says so" rc_is 4 "no XDP program is attached"
check "xdp load --mode generic" octl_log xdp load "$IF" "$PASS_O" --mode generic
check "  ip: a generic (skb) program; status says generic" \
	sh -c "[ '$(ip_mode)' = 2 ] && '$OFNICCTL' -j xdp status '$IF' | jq -e '.interfaces[0].xdp.mode == \"generic\"' >/dev/null"
octl_log xdp unload "$IF" >/dev/null

# ---- refusals ------------------------------------------------------------------------------
$ETHTOOL -G "$IF" tcp-data-split on
RC=$(octl_rc xdp load "$IF" "$PASS_O" --mode native)
hds_refused() { rc_is 1 "XDP needs whole frames" "hint: " && eq prog "$(ip_prog)" none; }
check "header-data split on: native load refused with the driver's message, nothing attached" \
	hds_refused
$ETHTOOL -G "$IF" tcp-data-split off
ip link set "$IF" mtu 9000
RC=$(octl_rc xdp load "$IF" "$PASS_O" --mode native)
mtu_refused() { rc_is 1 "too large for XDP" "hint: " && eq prog "$(ip_prog)" none; }
check "MTU 9000: native load refused (MTU too large), nothing attached" mtu_refused
ip link set "$IF" mtu 1500
RC=$(octl_rc xdp load "$IF" "$PASS_O" --prog nope)
check "--prog nope: exit 4, lists the programs the object has" rc_is 4 "it has: xdp_pass_count"

check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish
