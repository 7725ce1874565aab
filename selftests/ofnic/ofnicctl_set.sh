#!/bin/bash
# ofnicctl's set and apply commands on ofnic, each checked with ethtool (-l,
# --json -g/-c/-x, -k) or ynl on include/uapi/ofnic.yaml: channels (with and
# without --rss-reset), rings and tcp-data-split, offloads, coalescing, RSS
# weights and key, the device's LRO tuning; `apply` of a saved `show --json`
# restores everything. Bad values are refused with the kernel's message (and
# the policy's bounds), exit 1 and change nothing; a failing later step undoes
# the earlier ones; an unprivileged user can read but not set.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/ofnicctl_lib.sh

need_ofnicctl
setup_pair
ktap_header 34
T=$OFNIC_TMP
IF=$LOCAL_IF
IFI=$(ifindex "$IF")

combined() { $ETHTOOL -l "$IF" | awk '/Current hardware/ { c = 1 } c && /^Combined:/ { print $2 }'; }
ring() { $ETHTOOL --json -g "$IF" | jq -r --arg k "$1" '.[0][$k]'; }
coal() { $ETHTOOL --json -c "$IF" | jq -r --arg k "$1" '.[0][$k]'; }
indir_count() { $ETHTOOL --json -x "$IF" | jq --argjson q "$1" '[.[0]."rss-indirection-table"[] | select(. == $q)] | length'; }
lro_both() {	# "lro-max-segs lro-timeout" as ynl dev-get says
	ynl_ofnic --do dev-get --json "{\"ifindex\": $IFI}" | jq -r '"\(."lro-max-segs") \(."lro-timeout")"'
}
setting() {	# setting: the state the refusals must not change (LRO: with ynl, slow)
	echo "$(combined)" \
		"$($ETHTOOL --json -g "$IF" | jq -r '.[0] | "\(.rx) \(.tx) \(."tcp-data-split")"')" \
		"$($ETHTOOL --json -c "$IF" | jq -r '.[0] | "\(."rx-usecs") \(."tx-frames")"')" \
		"$($ETHTOOL -k "$IF" | awk '$1 ~ /^(tcp-segmentation-offload|rx-gro-hw|rx-checksumming):$/ { printf "%s ", $2 }')" \
		"$($ETHTOOL --json -x "$IF" | md5sum | cut -c1-8)" \
		"${WITH_LRO:+$(lro_both)}"
}
# refused DESC RC-WANT TEXT... (after octl_rc): exit status and messages, state unchanged
refused() {
	local rc=$1
	shift
	eq "exit status" "$RC" "$rc" && err_has "$@" && eq "state" "$(setting)" "$BEFORE"
}

octl -j show "$IF" >"$T/base.json"
ch0=$(combined)
log "initially: $(setting)"

# ---- channels --------------------------------------------------------------------------
check "set channels --combined 4" sh -c "'$OFNICCTL' set channels '$IF' --combined 4 >'$T/out'"
ch_ok() { eq combined "$(combined)" 4 && grep -q "channels: combined-count $ch0 -> 4" "$T/out"; }
check "  ethtool -l: combined 4; said what changed" ch_ok
BEFORE=$(setting)
RC=$(octl_rc set channels "$IF" --combined 17)
check "set channels --combined 17: refused (kernel's message, hint), nothing changed" \
	refused 1 "exceeds maximum" "hint: "

# ---- rings --------------------------------------------------------------------------------
check "set rings --rx 1024 --tx 256" octl_log set rings "$IF" --rx 1024 --tx 256
check "  ethtool -g: rx 1024, tx 256" eq value "$(ring rx) $(ring tx)" "1024 256"
check "set rings --tcp-data-split on" octl_log set rings "$IF" --tcp-data-split on
check "  ethtool -g: tcp-data-split on" eq hds "$(ring tcp-data-split)" on
BEFORE=$(setting)
RC=$(octl_rc set rings "$IF" --rx 1000)
check "set rings --rx 1000: refused (must be a power of two), nothing changed" \
	refused 1 "power of two"

# ---- offloads --------------------------------------------------------------------------------
check "set offload tso off gro-hw off" octl_log set offload "$IF" tso off gro-hw off
check "  ethtool -k: tcp-segmentation-offload off, rx-gro-hw off" \
	eq value "$(feature_active "$IF" tcp-segmentation-offload) $(feature_active "$IF" rx-gro-hw)" "off off"
BEFORE=$(setting)
RC=$(octl_rc set offload "$IF" gro-hw on rx off)
# rx-gro-hw needs rx-checksum: the kernel applies rx off and keeps gro-hw off
check "set offload gro-hw on rx off: gro-hw stays off, undone, exit 1, nothing changed" \
	refused 1 "rx-gro-hw: set to on, reads back off" "nothing was left changed" "hint: "
BEFORE=$(setting)
RC=$(octl_rc set offload "$IF" lro on)
check "set offload lro on: rx-lro is fixed off, refused, nothing changed" \
	refused 1 "rx-lro is fixed off"
"$OFNICCTL" set offload "$IF" tso on gro-hw on >/dev/null

# ---- coalescing ----------------------------------------------------------------------------
check "set coalesce --rx-usecs 100 --tx-frames 16 --adaptive-rx on" \
	octl_log set coalesce "$IF" --rx-usecs 100 --tx-frames 16 --adaptive-rx on
check "  ethtool -c: rx-usecs 100, tx-frames 16, adaptive-rx on" \
	eq value "$(coal rx-usecs) $(coal tx-frames) $(coal adaptive-rx)" "100 16 true"
BEFORE=$(setting)
RC=$(octl_rc set coalesce "$IF" --tx-frames 70000)
check "set coalesce --tx-frames 70000: refused (at most 65535), nothing changed" \
	refused 1 "at most 65535"

# ---- RSS (4 channels) -------------------------------------------------------------------
check "set rss --weight 3 1" octl_log set rss "$IF" --weight 3 1
check "  ethtool -x: 96 entries on queue 0, 32 on queue 1" \
	eq value "$(indir_count 0) $(indir_count 1) $(indir_count 2)" "96 32 0"
key=$(for i in $(seq 0 39); do printf '%02x' $((i * 7 % 256)); done)
check "set rss --key (40 bytes)" octl_log set rss "$IF" --key "$key"
key_ok() {
	eq key "$($ETHTOOL --json -x "$IF" | jq -c '.[0]."rss-hash-key"')" \
		"$(echo "$key" | fold -w2 | while read -r b; do echo $((16#$b)); done | jq -cs .)"
}
check "  ethtool -x: the key" key_ok
BEFORE=$(setting)
RC=$(octl_rc set rss "$IF" --equal 8)
check "set rss --equal 8 with 4 queues: refused by the tool, nothing changed" \
	refused 2 "has 4 RX queues"
"$OFNICCTL" set rss "$IF" --equal 4 >/dev/null
BEFORE=$(setting)
RC=$(octl_rc set channels "$IF" --combined 2)
check "set channels --combined 2 under a table over 4 queues: refused, hint --rss-reset" \
	refused 1 "indirection table" "--rss-reset"
check "set channels --combined 2 --rss-reset" octl_log set channels "$IF" --combined 2 --rss-reset
check "  ethtool -l: 2; ethtool -x: 64 + 64 entries" \
	eq value "$(combined) $(indir_count 0) $(indir_count 1)" "2 64 64"

# ---- LRO tuning (ofnic family) ----------------------------------------------------------
WITH_LRO=1	# from here on, "nothing changed" includes the LRO tuning
check "set lro --max-segs 16 --timeout 200" octl_log set lro "$IF" --max-segs 16 --timeout 200
check "  ynl dev-get: lro-max-segs 16, lro-timeout 200" \
	eq value "$(lro_both)" "16 200"
BEFORE=$(setting)
RC=$(octl_rc set lro "$IF" --max-segs 65)
check "set lro --max-segs 65: policy refusal with attribute and bounds, nothing changed" \
	refused 1 "integer out of range" "attribute: lro-max-segs" "valid range 2..64"
BEFORE=$(setting)
RC=$(octl_rc set lro "$IF" --timeout 0 --max-segs 8)
check "set lro --timeout 0 --max-segs 8: refused whole (1..10000), nothing changed" \
	refused 1 "attribute: lro-timeout" "valid range 1..10000"

# ---- apply ------------------------------------------------------------------------------------
dry_ok() {
	local before
	before=$(setting)
	"$OFNICCTL" apply "$IF" "$T/base.json" --dry-run >"$T/dry" 2>"$T/err" || return 1
	grep -q "would set lro" "$T/dry" && grep -q "would set rings" "$T/dry" &&
		grep -q "would set coalesce" "$T/dry" && eq "state" "$(setting)" "$before"
}
check "apply --dry-run: lists the steps, changes nothing" dry_ok
BEFORE=$(setting)
RC=$(octl_rc apply "$IF" - <<EOF
{"ofnic": {"lro-timeout": 300}, "rings": {"rx": 2048}, "channels": {"combined-count": 99}}
EOF
)
check "apply with a bad last step: lro and rings undone, exit 1, nothing changed" \
	refused 1 "undone: rings: rx 1024 -> 2048" "undone: lro: lro-timeout 200 -> 300"
check "apply the saved show --json" octl_log apply "$IF" "$T/base.json"
restored() {
	eq channels "$(combined)" "$ch0" &&
		eq rings "$(ring rx) $(ring tx) $(ring tcp-data-split)" "512 512 off" &&
		eq coalesce "$(coal rx-usecs) $(coal adaptive-rx)" "0 false" &&
		eq lro "$(lro_both)" "64 50" &&
		eq rss "$($ETHTOOL --json -x "$IF" | jq -c '.[0] | [."rss-indirection-table", ."rss-hash-key"]')" \
			"$(jq -c '.rss.indir' "$T/base.json" | sed 's/^/[/'),$(jq -r '.rss.key' "$T/base.json" |
				tr ':' '\n' | while read -r b; do echo $((16#$b)); done | jq -cs .)]"
}
check "  everything as before: ethtool -l/-g/-c/-x, ynl dev-get" restored

# ---- privileges --------------------------------------------------------------------------------
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
BEFORE=$(setting)
RC=$(nobody "$OFNICCTL" set lro "$IF" --timeout 77 >/dev/null 2>"$T/err"; echo $?)
check "unprivileged set lro: refused (GENL_ADMIN_PERM), CAP_NET_ADMIN hint, nothing changed" \
	refused 1 "Operation not permitted" "CAP_NET_ADMIN"
check "unprivileged show: works" sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all '$OFNICCTL' -j show '$IF' | jq -e '.ofnic.queues' >/dev/null"

check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish
