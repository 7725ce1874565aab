#!/bin/bash
# ofnicctl copy: status with nothing loaded ("not loaded", enable refused with
# a hint), with ofdma.ko (its channels and the dmaengine sysfs counters, as
# sysfs and debugfs say), and with ofcopy.ko after a 64 MiB transfer through
# the ofcopy ULP (bytes copied by the engine, as ofcopy's own counters say).
# enable/disable go through the ofcopy netlink family: when ofcopy.ko
# registers it, the state toggles (checked with ynl on include/uapi/ofcopy.yaml);
# when it does not, the tool refuses with that reason.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofcopy/lib.sh
source selftests/ofnic/ofnicctl_lib.sh

need_ofnicctl
[ -s "$OFDMA_KO" ] && [ -s "$OFCOPY_KO" ] || skip_all "kmod/ofdma or kmod/ofcopy is not built (make modules)"
[ -x "$XFER" ] || skip_all "$XFER is not built (make userspace)"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
ktap_header 14
T=$OFNIC_TMP

ynl_ofcopy() {
	[ -n "${LSRC:-}" ] || LSRC=$(scripts/linux-src) || return 1
	/usr/bin/python3 "$LSRC/tools/net/ynl/cli.py" --spec include/uapi/ofcopy.yaml \
		--schema "$LSRC/Documentation/netlink/genetlink.yaml" --output-json "$@"
}

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
	jq -e '.ofdma.loaded == true and (.ofdma.source == "netlink" or .ofdma.source == "debugfs")' \
		"$T/c1.json" >/dev/null &&
		eq "channels" "$(jq '.ofdma.channels | length' "$T/c1.json")" "$nchan" &&
		eq "dmaengine names" "$(jq -r '.ofdma.dmaengine[].name' "$T/c1.json" | sort -V | tr '\n' ' ')" \
			"$(echo $chans | tr ' ' '\n' | sort -V | tr '\n' ' ')"
}
check "ofdma loaded: its $nchan channels, and the dmaengine channels of /sys/class/dma" dma_ok
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

if [ "$(jq -r .ofcopy.source "$T/c2.json")" = netlink ]; then
	toggle_ok() {
		octl_log copy disable && eq enabled "$(ynl_ofcopy --do config-get | jq .enabled)" 0 &&
			octl_log copy enable --copybreak 32768 &&
			eq "enabled copybreak" "$(ynl_ofcopy --do config-get | jq -r '"\(.enabled) \(.copybreak)"')" "1 32768"
	}
	check "copy disable / enable --copybreak: as ynl config-get says" toggle_ok
else
	RC=$(octl_rc copy disable)
	check "copy disable: ofcopy.ko has no netlink family yet: exit 4, says so" \
		rc_is 4 "registers no ofcopy netlink family" "debugfs"
fi
ofcopy_teardown
octl -j copy status >"$T/c3.json"
check "unloaded again: not loaded" \
	sh -c "jq -e '.ofdma.loaded == false and .ofcopy.loaded == false' '$T/c3.json' >/dev/null"
check "no kernel warnings" dmesg_clean
ktap_finish
