#!/bin/bash
# The ofdma generic netlink family (include/uapi/ofdma.yaml), through the
# kernel's ynl CLI and ofnicctl: the dump lists every channel of the engine
# as sysfs names them; a do by dmaengine name returns that channel; the
# counters are the driver's (as debugfs says) after dmatest and after an
# injected error and its recovery; bad requests get an error and a message;
# reads need no privilege; an engine unbound from the driver leaves the dump
# and comes back under its new names; without the module the family is gone.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofdma/lib.sh

OFNICCTL=${OFNIC_CTL:-$OFNIC_TOP/build/userspace/ofnicctl}
[ -x "$OFNICCTL" ] || skip_all "$OFNICCTL is not built (make userspace)"
command -v jq >/dev/null || skip_all "jq is not installed (scripts/setup)"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
LSRC=$(scripts/linux-src) || die "scripts/linux-src failed"
T=$(mktemp -d)
ktap_header 14

# ynl ARGS...: ynl on the ofdma spec, JSON output, error text on stdout too.
ynl() {
	/usr/bin/python3 "$LSRC/tools/net/ynl/cli.py" --spec include/uapi/ofdma.yaml \
		--no-schema --output-json "$@"
}
# no_net_admin COMMAND...: COMMAND as root without CAP_NET_ADMIN.
no_net_admin() { setpriv --inh-caps=-net_admin --bounding-set=-net_admin -- "$@"; }
eq() {
	[ "$2" = "$3" ] && return 0
	log "$1: got '$2', want '$3'"
	return 1
}
# dbg_chan N: the debugfs counters of channel N as "key value ..." (stats keys).
dbg_chan() {
	awk -v c="chan$1" '$1 == c && $2 != "name" && $2 != "state" && $2 != "in_use" {
		printf "%s %s ", $2, $3 }' "$(ofdma_dbg stats)"
}
# nl_chan FILE N: the same from a chan-get reply (dump array or one object).
nl_chan() {
	jq -r --argjson n "$2" '[.] | flatten | .[] | select(."chan-id" == $n) | .stats |
		to_entries | map("\(.key | gsub("-"; "_")) \(.value) ") | join("")' "$1"
}

load_ofdma || die "insmod ofdma failed"
pci=$(ofdma_pci)
chans=($(ofdma_chans))
n=${#chans[@]}
log "engine $pci, channels ${chans[*]}"

# ---- dump and do ----------------------------------------------------------------------------
check "ynl dump chan-get (spec checked by include/uapi/ynl)" \
	sh -c "include/uapi/ynl --spec include/uapi/ofdma.yaml --output-json --dump chan-get >'$T/d0.json'"
dump_ok() {
	eq names "$(jq -r '.[].name' "$T/d0.json" | tr '\n' ' ')" "${chans[*]} " &&
		eq "chan-ids" "$(jq -r '.[]."chan-id"' "$T/d0.json" | tr '\n' ' ')" "$(seq -s ' ' 0 $((n - 1))) " &&
		eq "bus-addr" "$(jq -r '[.[]."bus-addr"] | unique | join(" ")' "$T/d0.json")" "$pci" &&
		eq "state error" "$(jq -r '[.[] | "\(.state)/\(.error)"] | unique | join(" ")' "$T/d0.json")" \
			"idle/none" &&
		eq "in-use" "$(jq -r '[.[]."in-use"] | join(" ")' "$T/d0.json")" \
			"$(for c in "${chans[@]}"; do cat /sys/class/dma/$c/in_use; done | tr '\n' ' ' | sed 's/ $//')"
}
check "  $n channels as sysfs names them, on $pci, idle, in-use as sysfs says" dump_ok
do_ok() {
	local i
	for ((i = 0; i < n; i++)); do
		ynl --do chan-get --json "{\"name\": \"${chans[$i]}\"}" >"$T/one.json" || return 1
		eq "do ${chans[$i]}" "$(jq -c 'del(.stats)' "$T/one.json")" \
			"$(jq -c ".[$i] | del(.stats)" "$T/d0.json")" || return 1
	done
}
check "do chan-get by each name: that channel" do_ok

# ---- counters ---------------------------------------------------------------------------------
dmatest_start iterations=100 channel="${chans[0]}" timeout=5000
dmatest_wait
check "dmatest on ${chans[0]}: 0 failures" dmatest_ok 1 100
rmmod dmatest
stats_ok() {
	ynl --dump chan-get >"$T/d1.json" || return 1
	log "${chans[0]}: $(nl_chan "$T/d1.json" 0)"
	eq "${chans[0]} (netlink, debugfs)" "$(nl_chan "$T/d1.json" 0)" "$(dbg_chan 0)" &&
		[ "$(jq '.[0].stats.completed' "$T/d1.json")" -ge 100 ] &&
		[ "$(jq '.[0].stats.bytes' "$T/d1.json")" -gt 0 ] &&
		eq "memcpy_count" "$(jq '.[0].stats.completed' "$T/d1.json")" \
			"$(cat /sys/class/dma/${chans[0]}/memcpy_count)"
}
check "  its counters: the driver's (debugfs), completed as dmaengine's memcpy_count" stats_ok
c=$((n - 1))
echo "$c src" >"$(ofdma_dbg inject)"
log "inject: $(cat "$(ofdma_dbg inject)")"
err_ok() {
	ynl --do chan-get --json "{\"name\": \"${chans[$c]}\"}" >"$T/e.json" || return 1
	eq "${chans[$c]} (netlink, debugfs)" "$(nl_chan "$T/e.json" "$c")" "$(dbg_chan "$c")" &&
		eq "errors recoveries state" \
			"$(jq -r '"\(.stats.errors) \(.stats.recoveries) \(.state) \(.error)"' "$T/e.json")" \
			"1 1 idle none"
}
check "an injected source error on ${chans[$c]}: errors 1, recoveries 1, idle again" err_ok
octl_ok() {
	"$OFNICCTL" -j copy status >"$T/o.json" || return 1
	eq "ofnicctl channels" "$(jq -c '[.ofdma.source, [.ofdma.channels[].name]]' "$T/o.json")" \
		"$(jq -c '["netlink", [.[].name]]' "$T/d0.json")" &&
		eq "ofnicctl ${chans[$c]} stats" "$(jq -c ".ofdma.channels[$c].stats" "$T/o.json")" \
			"$(jq -c .stats "$T/e.json")"
}
check "ofnicctl copy status: the same channels and counters" octl_ok

# ---- bad requests, privilege ----------------------------------------------------------------
refused() {	# refused JSON WANT...: do chan-get fails, its output has each WANT
	local json=$1 t
	shift
	ynl --do chan-get ${json:+--json "$json"} >"$T/err" 2>&1 && { log "accepted: $json"; return 1; }
	for t in "$@"; do
		grep -qF -- "$t" "$T/err" || { log "lacks '$t': $(tr '\n' '|' <"$T/err")"; return 1; }
	done
}
check "do chan-get of an unknown name: ENODEV, message, attribute" \
	refused '{"name": "dma99chan0"}' "error: -19" "no ofdma channel with this name" "'bad-attr': '.name'"
check "do chan-get without a name: EINVAL, the missing attribute" \
	refused "" "error: -22" "'miss-type': 'name'"
check "do chan-get with a 40-byte name: refused by the policy" \
	refused "{\"name\": \"$(printf 'x%.0s' {1..40})\"}" "'bad-attr': '.name'"
uns_ok() {
	no_net_admin /usr/bin/python3 "$LSRC/tools/net/ynl/cli.py" --spec include/uapi/ofdma.yaml \
		--no-schema --output-json --dump chan-get | jq -e "length == $n" >/dev/null &&
		no_net_admin "$OFNICCTL" -j copy status | jq -e ".ofdma.channels | length == $n" >/dev/null
}
check "without CAP_NET_ADMIN: dump (ynl) and copy status (ofnicctl) work" uns_ok

# ---- unbind, bind, unload -------------------------------------------------------------------
rebind_ok() {
	echo "$pci" >/sys/bus/pci/drivers/ofdma/unbind || return 1
	eq "dump while unbound" "$(ynl --dump chan-get | jq length)" 0 || return 1
	echo "$pci" >/sys/bus/pci/drivers/ofdma/bind || return 1
	local now=($(ofdma_chans))
	log "bound again: ${now[*]}"
	ynl --dump chan-get >"$T/d2.json" &&
		eq names "$(jq -r '.[].name' "$T/d2.json" | tr '\n' ' ')" "${now[*]} " &&
		eq "completed" "$(jq '[.[].stats.completed] | add' "$T/d2.json")" 0 &&
		ynl --do chan-get --json "{\"name\": \"${now[0]}\"}" | jq -e '."chan-id" == 0' >/dev/null
}
check "engine unbound: no channels; bound again: its new channels, counters from 0" rebind_ok
unload_ofdma
gone_ok() {
	! ynl --dump chan-get >"$T/err" 2>&1 &&
		"$OFNICCTL" -j copy status | jq -e '.ofdma.loaded == false' >/dev/null
}
check "ofdma unloaded: no family (ynl fails), ofnicctl says not loaded" gone_ok
check "no kernel warnings" dmesg_clean
rm -rf "$T"
ktap_finish
