#!/bin/bash
# ofnicctl copy: status with nothing loaded ("not loaded", enable refused with
# a hint), with ofdma.ko (its channels over the ofdma family, and the dmaengine
# sysfs counters), and with ofcopy.ko after a 64 MiB transfer through the
# ofcopy ULP (bytes copied by the engine, as ofcopy's own counters say).
# Then the ofcopy family, driven by ofnicctl and by the kernel's ynl CLI on
# include/uapi/ofcopy.yaml, each effect checked with the other tool and with
# transfers: disabled, every read takes tcp_recvmsg (bytes-fallback-recvmsg,
# not bytes-dma); enabled again, the engine copies; copybreak set over netlink
# moves reads between the engine and tcp_recvmsg. Out-of-range values are
# refused by the policy, and a set without CAP_NET_ADMIN by GENL_ADMIN_PERM,
# changing nothing.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofcopy/lib.sh
source selftests/ofnic/ofnicctl_lib.sh

need_ofnicctl
[ -s "$OFDMA_KO" ] && [ -s "$OFCOPY_KO" ] || skip_all "kmod/ofdma or kmod/ofcopy is not built (make modules)"
[ -x "$XFER" ] || skip_all "$XFER is not built (make userspace)"
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
ktap_header 32
T=$OFNIC_TMP
LSRC=$(scripts/linux-src) || die "scripts/linux-src failed"

# ynl_ofcopy ARGS...: the kernel's ynl CLI on the ofcopy spec (JSON output;
# the spec's schema check is done once, by ynl_ofcopy_checked).
ynl_ofcopy() {
	[ -n "${LSRC:-}" ] || LSRC=$(scripts/linux-src) || return 1
	/usr/bin/python3 "$LSRC/tools/net/ynl/cli.py" --spec include/uapi/ofcopy.yaml \
		--no-schema --output-json "$@"
}
ynl_ofcopy_checked() {
	include/uapi/ynl --spec include/uapi/ofcopy.yaml --output-json "$@"
}
# snap FILE: ofcopy config-get (ynl) into FILE.
snap() { ynl_ofcopy --do config-get >"$1"; }
# grown FROM TO COUNTER: how much a counter of two snapshots grew.
grown() { echo $(($(jq ".stats.\"$3\"" "$2") - $(jq ".stats.\"$3\"" "$1"))); }
# state: "enabled copybreak" as ynl config-get says.
state() { ynl_ofcopy --do config-get | jq -r '"\(.enabled) \(.copybreak)"'; }
# no_net_admin COMMAND...: COMMAND as root without CAP_NET_ADMIN.
no_net_admin() { setpriv --inh-caps=-net_admin --bounding-set=-net_admin -- "$@"; }

# ---- nothing loaded ------------------------------------------------------------------------
unload_ofcopy
unload_ofdma
octl -j copy status >"$T/c0.json"
check "nothing loaded: both not loaded, schema" \
	sh -c "jq -e '.ofdma.loaded == false and .ofcopy.loaded == false' '$T/c0.json' >/dev/null"
check "  ... and the JSON matches the schema" schema_ok copy-status <"$T/c0.json"
check "  text says so" sh -c "'$OFNICCTL' copy status | grep -q '^ofdma: not loaded' && '$OFNICCTL' copy status | grep -q '^ofcopy: not loaded'"
RC=$(octl_rc copy enable)
check "copy enable with ofcopy not loaded: exit 4, reason and hint" rc_is 4 "ofcopy is not loaded" "hint: " "insmod"

# ---- ofdma ------------------------------------------------------------------------------------
load_ofdma || die "insmod ofdma failed"
octl -j copy status >"$T/c1.json"
chans=$(ofdma_chans)
nchan=$(echo "$chans" | grep -c .)
log "ofdma channels: $(echo $chans)"
dma_ok() {
	jq -e '.ofdma.loaded == true and .ofdma.source == "netlink"' "$T/c1.json" >/dev/null &&
		eq "channels" "$(jq -r '.ofdma.channels[].name' "$T/c1.json" | tr '\n' ' ')" \
			"$(echo $chans) " &&
		eq "dmaengine names" "$(jq -r '.ofdma.dmaengine[].name' "$T/c1.json" | sort -V | tr '\n' ' ')" \
			"$(echo $chans | tr ' ' '\n' | sort -V | tr '\n' ' ')"
}
check "ofdma loaded: its $nchan channels over the ofdma family, and the dmaengine channels of /sys/class/dma" dma_ok
sysfs_ok() {
	local c bad=0
	for c in $chans; do
		eq "$c memcpy_count" \
			"$(jq --arg c "$c" '.ofdma.dmaengine[] | select(.name == $c) | ."memcpy-count"' "$T/c1.json")" \
			"$(cat /sys/class/dma/$c/memcpy_count)" || bad=1
	done
	return $bad
}
check "  per-channel memcpy counts as /sys/class/dma/*/memcpy_count" sysfs_ok
check "  schema" schema_ok copy-status <"$T/c1.json"

# ---- ofcopy and a transfer -----------------------------------------------------------------
load_ofcopy || die "insmod ofcopy failed"
setup_pair
xfer_ok() { ofcopy_xfer_run 5411 64 --ulp && eq sha256 "$(xfer_field sha256)" "$XFER_TX"; }
check "64 MiB through the ofcopy ULP (sha256 equal)" xfer_ok
octl -j copy status >"$T/c2.json"
octl copy status >"$T/c2.txt"
ofcopy_ok() {
	local dma
	dma=$(ofcopy_stat bytes_dma)
	jq -e '.ofcopy.loaded == true' "$T/c2.json" >/dev/null &&
		eq "bytes-dma" "$(jq '.ofcopy.stats."bytes-dma"' "$T/c2.json")" "$dma" &&
		[ "$dma" -gt $((32 << 20)) ]
}
check "ofcopy: bytes copied by the engine as its counters say (> 32 MiB of 64)" ofcopy_ok
engine_ok() {
	local sum
	sum=$(jq '[.ofdma.channels[].stats.bytes] | add' "$T/c2.json")
	log "ofdma channels copied $sum bytes, ofcopy counted $(jq '.ofcopy.stats."bytes-dma"' "$T/c2.json")"
	[ "$sum" -ge "$(jq '.ofcopy.stats."bytes-dma"' "$T/c2.json")" ]
}
check "ofdma: its channels copied at least what ofcopy offloaded" engine_ok
check "copy status (text): both loaded, the counters listed" \
	sh -c "grep -q '^ofdma: loaded' '$T/c2.txt' && grep -q '^ofcopy: loaded' '$T/c2.txt' && grep -q 'bytes-dma' '$T/c2.txt'"


# ---- the ofcopy family ------------------------------------------------------------------
ynl_get_ok() {
	local chans
	ynl_ofcopy_checked --do config-get >"$T/y0.json" || return 1
	chans=$(grep -c . "$OFCOPY_DBG/channels")
	eq "ynl enabled copybreak channels" "$(jq -r '"\(.enabled) \(.copybreak) \(.channels)"' "$T/y0.json")" \
		"1 16384 $chans" &&
		eq "bytes-dma (ynl, debugfs)" "$(jq '.stats."bytes-dma"' "$T/y0.json")" "$(ofcopy_stat bytes_dma)" &&
		eq "recv-calls (ynl, debugfs)" "$(jq '.stats."recv-calls"' "$T/y0.json")" "$(ofcopy_stat recv_calls)" &&
		eq "ofnicctl's view" "$(jq -c '[.ofcopy.source, .ofcopy.enabled, .ofcopy.copybreak]' "$T/c2.json")" \
			'["netlink",true,16384]'
}
check "ynl config-get (spec checked): enabled, copybreak 16384, channels, counters as debugfs and ofnicctl say" \
	ynl_get_ok

# xfer PORT MB [RECV-ARGS...]: MB MiB through an ofcopy socket, sha256 equal;
# snapshots of the family's counters before and after in $T/a.json, $T/b.json.
xfer() {
	local port=$1 mb=$2
	shift 2
	snap "$T/a.json" && ofcopy_xfer_run "$port" "$mb" --ulp "$@" &&
		eq sha256 "$(xfer_field sha256)" "$XFER_TX" && eq ulp "$(xfer_field ulp)" ofcopy &&
		snap "$T/b.json" || return 1
	log "grew: bytes-dma $(grown "$T/a.json" "$T/b.json" bytes-dma)" \
		"bytes-fallback-recvmsg $(grown "$T/a.json" "$T/b.json" bytes-fallback-recvmsg)" \
		"fallback-disabled $(grown "$T/a.json" "$T/b.json" fallback-disabled)" \
		"fallback-short-read $(grown "$T/a.json" "$T/b.json" fallback-short-read)"
}

check "copy disable: ynl config-get says enabled 0" \
	sh -c "'$OFNICCTL' copy disable >/dev/null && [ \"\$(include/uapi/ynl --no-schema --spec include/uapi/ofcopy.yaml --output-json --do config-get | jq .enabled)\" = 0 ]"
# all_by_recvmsg PORT REASON: 16 MiB in 256 KiB reads, every byte by tcp_recvmsg
# (bytes-fallback-recvmsg), none by the engine, and counter REASON grew
all_by_recvmsg() {
	xfer "$1" 16 &&
		eq "bytes-dma grew" "$(grown "$T/a.json" "$T/b.json" bytes-dma)" 0 &&
		eq "bytes-fallback-recvmsg grew" "$(grown "$T/a.json" "$T/b.json" bytes-fallback-recvmsg)" \
			$((16 << 20)) &&
		[ "$(grown "$T/a.json" "$T/b.json" "$2")" -gt 0 ]
}
check "  16 MiB disabled: all by tcp_recvmsg (bytes-fallback-recvmsg), none by the engine" \
	all_by_recvmsg 5412 fallback-disabled
octl -j copy status >"$T/c4.json"
check "  copy status says disabled (JSON and text)" \
	sh -c "jq -e '.ofcopy.enabled == false' '$T/c4.json' >/dev/null && '$OFNICCTL' copy status | grep -q '^ofcopy: loaded, disabled'"

check "copy enable --copybreak 4096" sh -c "'$OFNICCTL' copy enable --copybreak 4096 >/dev/null"
check "  ... as ynl config-get says" eq state "$(state)" "1 4096"
enabled_ok() {
	xfer 5413 16 --buf 8192 &&
		[ "$(grown "$T/a.json" "$T/b.json" bytes-dma)" -gt $((8 << 20)) ] &&
		eq "fallback-short-read grew" "$(grown "$T/a.json" "$T/b.json" fallback-short-read)" 0 &&
		eq "fallback-disabled grew" "$(grown "$T/a.json" "$T/b.json" fallback-disabled)" 0
}
check "  16 MiB in 8 KiB reads (short of the default copybreak 16384): the engine copies most" enabled_ok

check "ynl config-set copybreak 16777216 (the maximum)" \
	sh -c "include/uapi/ynl --no-schema --spec include/uapi/ofcopy.yaml --do config-set --json '{\"copybreak\": 16777216}' >/dev/null"
check "  ... as ynl config-get says" eq state "$(state)" "1 16777216"
check "  16 MiB in 256 KiB reads: all short of copybreak, by tcp_recvmsg" \
	all_by_recvmsg 5414 fallback-short-read

# ---- refusals -------------------------------------------------------------------------------
ynl_refused() {	# ynl_refused JSON WANT...: config-set refused, its output has each WANT
	local json=$1 t
	shift
	# ynl prints the kernel's error and extack on stdout
	ynl_ofcopy --do config-set --json "$json" >"$OFNIC_TMP/err" 2>&1 && {
		log "config-set $json was accepted"
		return 1
	}
	sed 's/^/# ynl: /' "$OFNIC_TMP/err" | grep -v Traceback | tail -n 4
	err_has "$@" && eq "state" "$(state)" "1 16777216"
}
check "ynl config-set enabled 2: policy refusal (ERANGE, bounds 0..1), nothing changed" \
	ynl_refused '{"enabled": 2, "copybreak": 4096}' "error: -34" "integer out of range" \
	"'max-value': 1" "'bad-attr': '.enabled'"
check "ynl config-set copybreak 16777217: policy refusal (bounds ..16777216), nothing changed" \
	ynl_refused '{"copybreak": 16777217}' "error: -34" "'max-value': 16777216" "'bad-attr': '.copybreak'"
check "ynl config-set with nothing: EINVAL with a message" \
	ynl_refused '{}' "error: -22" "nothing to set"
RC=$(octl_rc copy enable --copybreak 16777217)
octl_refused() { rc_is "$@" && eq "state" "$(state)" "1 16777216"; }
check "copy enable --copybreak 16777217: exit 1, the attribute and the range, nothing changed" \
	octl_refused 1 "integer out of range" "attribute: copybreak" "valid range 0..16777216"
param_ok() {
	! echo 16777217 2>/dev/null >/sys/module/ofcopy/parameters/copybreak &&
		eq "state" "$(state)" "1 16777216" &&
		echo 16384 >/sys/module/ofcopy/parameters/copybreak && eq "state" "$(state)" "1 16384"
}
check "module parameter copybreak: 16777217 refused, 16384 taken (as the family says)" param_ok

RC=$(no_net_admin "$OFNICCTL" copy disable >"$OFNIC_TMP/out" 2>"$OFNIC_TMP/err"; echo $?)
check "without CAP_NET_ADMIN: copy disable refused (EPERM, hint)" \
	rc_is 1 "Operation not permitted" "hint: changing settings needs CAP_NET_ADMIN"
check "  ... still enabled" eq state "$(state)" "1 16384"
uns_ok() {
	no_net_admin /usr/bin/python3 "$LSRC/tools/net/ynl/cli.py" --spec include/uapi/ofcopy.yaml \
		--no-schema --do config-set --json '{"enabled": 0}' >"$OFNIC_TMP/err" 2>&1 && {
		log "accepted without CAP_NET_ADMIN"
		return 1
	}
	err_has "Operation not permitted" "error: -1" && eq "state" "$(state)" "1 16384"
}
check "without CAP_NET_ADMIN: ynl config-set refused (EPERM), nothing changed" uns_ok
ro_ok() {
	no_net_admin /usr/bin/python3 "$LSRC/tools/net/ynl/cli.py" --spec include/uapi/ofcopy.yaml \
		--no-schema --output-json --do config-get | jq -e '.enabled == 1' >/dev/null &&
		no_net_admin "$OFNICCTL" -j copy status | jq -e '.ofcopy.enabled == true and
			.ofcopy.copybreak == 16384 and (.ofdma.channels | length) == '"$nchan" >/dev/null
}
check "without CAP_NET_ADMIN: config-get (ynl) and copy status (ofnicctl, both families) work" ro_ok
ofcopy_teardown
octl -j copy status >"$T/c3.json"
check "unloaded again: not loaded" \
	sh -c "jq -e '.ofdma.loaded == false and .ofcopy.loaded == false' '$T/c3.json' >/dev/null"
check "no kernel warnings" dmesg_clean
ktap_finish
