#!/bin/bash
# ofnicctl's read commands on ofnic: `show` (list and one port), `stats`,
# `xdp status`, `copy status`, text and --json (validated against
# docs/ofnicctl.schema.json). Every value is checked against another tool:
# ethtool (-l, --json -g/-c/-x/-k, -S), ip, and the kernel's ynl on the netdev
# family and on ofnic's own family spec (include/uapi/ofnic.yaml).
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/ofnicctl_lib.sh

need_ofnicctl
setup_pair
ktap_header 35
T=$OFNIC_TMP
IFI=$(ifindex "$LOCAL_IF")

# ---- show without a device -------------------------------------------------------
octl -j show >"$T/list.json"
list_ok() {
	jq -e --arg i "$LOCAL_IF" '.interfaces[] | select(.ifname == $i and .driver == "ofnic")' \
		"$T/list.json" >/dev/null
}
check "show: lists $LOCAL_IF, driver ofnic" list_ok
check "show --json (all interfaces) matches the schema" schema_ok list <"$T/list.json"

# ---- show DEV ------------------------------------------------------------------------
octl -j show "$LOCAL_IF" >"$T/show.json"
octl show "$LOCAL_IF" >"$T/show.txt"
check "show DEV --json matches the schema" schema_ok show <"$T/show.json"
sections_ok() {
	jq -e '.unsupported == {} and (.ofnic and .channels and .rings and .coalesce and .features
		and .rss and .queues and ."page-pools" and .xdp and .copy)' "$T/show.json" >/dev/null ||
		{ log "$(jq -c '.unsupported' "$T/show.json")"; return 1; }
}
check "show DEV: every section available on ofnic" sections_ok

link_ok() {
	local ipj
	ipj=$(ip -j link show "$LOCAL_IF")
	eq mtu "$(jq .link.mtu "$T/show.json")" "$(echo "$ipj" | jq '.[0].mtu')" &&
		eq address "$(jq -r .link.address "$T/show.json")" "$(echo "$ipj" | jq -r '.[0].address')" &&
		eq operstate "$(jq -r .link.operstate "$T/show.json")" "$(echo "$ipj" | jq -r '.[0].operstate | ascii_downcase')" &&
		eq driver "$(jq -r .link.driver "$T/show.json")" ofnic
}
check "link: mtu, address, state as ip" link_ok

channels_ok() {
	local want
	want=$($ETHTOOL -l "$LOCAL_IF" | awk '/Current hardware/ { c = 1 } c && /^Combined:/ { print $2 }')
	eq combined "$(jq '.channels."combined-count"' "$T/show.json")" "$want" &&
		eq max "$(jq '.channels."combined-max"' "$T/show.json")" \
			"$($ETHTOOL -l "$LOCAL_IF" | awk '/^Combined:/ { print $2; exit }')"
}
check "channels: as ethtool -l" channels_ok

rings_ok() {
	local e
	e=$($ETHTOOL --json -g "$LOCAL_IF" | jq '.[0]')
	local k
	for k in rx tx rx-max tx-max rx-buf-len; do
		eq "$k" "$(jq --arg k "$k" '.rings[$k]' "$T/show.json")" "$(echo "$e" | jq --arg k "$k" '.[$k]')" || return 1
	done
	eq tcp-data-split "$(jq -r '.rings."tcp-data-split"' "$T/show.json")" \
		"$(echo "$e" | jq -r '."tcp-data-split" | if . == "off" then "disabled" elif . == "on" then "enabled" else . end')"
}
check "rings: sizes and tcp-data-split as ethtool --json -g" rings_ok

coalesce_ok() {
	local e
	e=$($ETHTOOL --json -c "$LOCAL_IF" | jq '.[0]')
	eq rx-usecs "$(jq '.coalesce."rx-usecs"' "$T/show.json")" "$(echo "$e" | jq '."rx-usecs"')" &&
		eq rx-frames "$(jq '.coalesce."rx-max-frames"' "$T/show.json")" "$(echo "$e" | jq '."rx-frames"')" &&
		eq tx-usecs "$(jq '.coalesce."tx-usecs"' "$T/show.json")" "$(echo "$e" | jq '."tx-usecs"')" &&
		eq adaptive-rx "$(jq '.coalesce."use-adaptive-rx"' "$T/show.json")" "$(echo "$e" | jq '."adaptive-rx"')"
}
check "coalesce: as ethtool --json -c" coalesce_ok

features_ok() {
	local f n=0 bad=0
	# kernel name:ethtool -k name (ethtool keeps its older names for some)
	for f in rx-checksum:rx-checksumming tx-checksum-ip-generic: tx-scatter-gather: \
		tx-tcp-segmentation: tx-tcp6-segmentation: rx-gro-hw: rx-lro:large-receive-offload \
		rx-hashing:receive-hashing rx-gro:generic-receive-offload \
		tx-generic-segmentation:generic-segmentation-offload; do
		local want got e=${f#*:}
		f=${f%%:*}
		want=$(feature_active "$LOCAL_IF" "${e:-$f}")
		got=$(jq -r --arg f "$f" '.features[$f].active | if . then "on" else "off" end' "$T/show.json")
		eq "$f" "$got" "$want" || bad=1
		n=$((n + 1))
	done
	[ "$(jq '.features | length' "$T/show.json")" -ge 50 ] || { log "fewer than 50 features"; bad=1; }
	return $bad
}
check "features: active states as ethtool -k" features_ok

rss_ok() {
	local e
	e=$($ETHTOOL --json -x "$LOCAL_IF" | jq '.[0]')
	# ethtool lists the key as numbers, ofnicctl as hex bytes
	local key
	key=$(jq -r '.rss.key' "$T/show.json" | tr ':' '\n' | while read -r b; do echo $((16#$b)); done |
		jq -cs .)
	eq indir "$(jq -c '.rss.indir' "$T/show.json")" "$(echo "$e" | jq -c '."rss-indirection-table"')" &&
		eq key "$key" "$(echo "$e" | jq -c '."rss-hash-key"')" &&
		eq hfunc "$(jq -r '.rss.hfunc' "$T/show.json")" "$(echo "$e" | jq -r '."rss-hash-function"')"
}
check "rss: indirection table, key and hash as ethtool --json -x" rss_ok

queues_ok() {
	local y
	y=$(ynl_netdev --dump queue-get --json "{\"ifindex\": $IFI}") || return 1
	eq "queues" "$(jq -c '[.queues[] | [.type, .id, ."napi-id"]] | sort' "$T/show.json")" \
		"$(echo "$y" | jq -c '[.[] | [.type, .id, ."napi-id"]] | sort')" || return 1
	# and each queue's IRQ is its NAPI's, as napi-get says
	local n
	n=$(ynl_netdev --dump napi-get --json "{\"ifindex\": $IFI}") || return 1
	eq "irqs" "$(jq -c '[.queues[] | select(.irq) | [."napi-id", .irq]] | unique' "$T/show.json")" \
		"$(echo "$n" | jq -c '[.[] | [.id, .irq]] | unique')"
}
check "queues: ids, types, NAPI ids and IRQs as ynl queue-get/napi-get" queues_ok

pools_ok() {
	local y
	y=$(ynl_netdev --dump page-pool-get) || return 1
	eq "page pools" "$(jq -c '[."page-pools"[].id] | sort' "$T/show.json")" \
		"$(echo "$y" | jq -c --argjson i "$IFI" '[.[] | select(.ifindex == $i) | .id] | sort')"
}
check "page pools: as ynl page-pool-get" pools_ok

xdpf_ok() {
	local y
	y=$(ynl_netdev --do dev-get --json "{\"ifindex\": $IFI}") || return 1
	eq "xdp features" "$(jq -c '.xdp.features | sort' "$T/show.json")" \
		"$(echo "$y" | jq -c '."xdp-features" | sort')" &&
		eq "attached" "$(jq .xdp.status.attached "$T/show.json")" false
}
check "xdp: features as ynl dev-get, nothing attached" xdpf_ok

ofnic_ok() {
	local y k
	y=$(ynl_ofnic --do dev-get --json "{\"ifindex\": $IFI}") || return 1
	for k in ifname bus-addr hw-version max-queues queues lro-max-len lro-max-segs lro-timeout err-count; do
		eq "$k" "$(jq -c --arg k "$k" '.ofnic[$k]' "$T/show.json")" "$(echo "$y" | jq -c --arg k "$k" '.[$k]')" || return 1
	done
	eq hw-features "$(jq -c '.ofnic."hw-features" | sort' "$T/show.json")" "$(echo "$y" | jq -c '."hw-features" | sort')"
}
check "ofnic: device as ynl --spec include/uapi/ofnic.yaml dev-get" ofnic_ok

ynl_dump_ok() {
	local here there
	here=$(ynl_ofnic_checked --dump dev-get | jq -r '.[].ifname') || return 1
	there=$(ip netns exec peer bash -c "source selftests/ofnic/ofnicctl_lib.sh; ynl_ofnic --dump dev-get" |
		jq -r '.[].ifname') || return 1
	eq "this namespace" "$here" "$LOCAL_IF" && eq "peer namespace" "$there" "$PEER_IF"
}
check "ynl --dump dev-get on include/uapi/ofnic.yaml (spec schema-checked): one port per namespace" ynl_dump_ok

text_ok() {
	local c
	c=$(jq '.channels."combined-count"' "$T/show.json")
	grep -q "^$LOCAL_IF: ifindex $IFI  driver ofnic  up  carrier on" "$T/show.txt" &&
		grep -q "device: ofnic 1.0, .* queue pairs ($c in use)" "$T/show.txt" &&
		grep -q "channels: combined $c (max " "$T/show.txt" &&
		grep -q "rings: rx 512 (max 4096), tx 512 (max 4096)" "$T/show.txt" &&
		grep -q "offloads: .*tso on" "$T/show.txt" &&
		grep -q "lro tuning: max-segs 64, timeout 50 us" "$T/show.txt" &&
		grep -q "copy offload: ofdma" "$T/show.txt" ||
		{ log "text: $(tr '\n' '|' <"$T/show.txt")"; return 1; }
}
check "show DEV (text): link, device, channels, rings, offloads, LRO tuning" text_ok

peer_ok() {
	ip netns exec peer "$OFNICCTL" -j show "$PEER_IF" >"$T/peer.json" 2>"$T/err" &&
		eq peer "$(jq -r .ofnic.ifname "$T/peer.json")" "$PEER_IF"
}
check "show in the peer namespace (ip netns exec) sees the peer port" peer_ok

# ---- stats ------------------------------------------------------------------------------
ping -c 20 -i 0.05 -q "$PEER_IP" >/dev/null
check "traffic: 2 MiB TCP from the peer (sha256)" xfer_sha256 peer 2
sleep 0.5
rxq_sum_ynl() {	# sum of rx-packets over the queues (ynl qstats scope queue)
	ynl_netdev --dump qstats-get --json "{\"ifindex\": $IFI, \"scope\": \"queue\"}" |
		jq '[.[] | select(."queue-type" == "rx") | ."rx-packets"] | add'
}
y0=$(rxq_sum_ynl)
octl -j stats "$LOCAL_IF" --driver >"$T/stats.json"
octl stats "$LOCAL_IF" >"$T/stats.txt"
y1=$(rxq_sum_ynl)
check "stats --json matches the schema" schema_ok stats <"$T/stats.json"
check "stats: sum of the queues' rx-packets as ynl qstats-get (scope queue)" \
	between rx-packets "$y0" "$(jq '[.queues[].netdev."rx-packets"] | add' "$T/stats.json")" "$y1"
lro_ok() {
	# one counter, two families: qstats rx-hw-gro-packets and ofnic rx-lro-packets
	eq "per queue" "$(jq -c '[.queues[] | .netdev."rx-hw-gro-packets"]' "$T/stats.json")" \
		"$(jq -c '[.queues[] | .ofnic."rx-lro-packets"]' "$T/stats.json")" &&
		[ "$(jq '[.queues[].ofnic."rx-lro-packets"] | add' "$T/stats.json")" -gt 0 ]
}
check "stats: ofnic rx-lro-packets = qstats rx-hw-gro-packets per queue, > 0 after TCP" lro_ok
ip_ok() {
	local ip_rx
	ip_rx=$(ip -j -s link show "$LOCAL_IF" | jq '.[0].stats64.rx.packets')
	[ "$(jq '.device.netdev."rx-packets"' "$T/stats.json")" -le "$ip_rx" ] &&
		[ "$(jq '.device.netdev."rx-packets"' "$T/stats.json")" -ge "$y0" ] &&
		[ "$(jq '.device.sysfs."rx-packets"' "$T/stats.json")" -le "$ip_rx" ] ||
		{ log "device rx-packets $(jq -c .device "$T/stats.json"), ip $ip_rx"; return 1; }
}
check "stats: device rx-packets (qstats, sysfs) up to ip -s link" ip_ok
drv_ok() {
	local e
	e=$($ETHTOOL -S "$LOCAL_IF" | awk '$1 == "admin_irqs:" { print $2 }')
	between admin_irqs "$(jq '.driver.admin_irqs' "$T/stats.json")" "$e" "$e" &&
		[ "$(jq '.driver | length' "$T/stats.json")" -eq "$(($($ETHTOOL -S "$LOCAL_IF" | wc -l) - 1))" ]
}
check "stats --driver: the names and values of ethtool -S" drv_ok
stats_text_ok() {
	local total
	total=$(jq '[.queues[].netdev."rx-packets"] | add' "$T/stats.json")
	grep -q "^queue  rx-packets" "$T/stats.txt" &&
		awk -v t="$total" '$1 == "total" { exit !($2 >= t) }' "$T/stats.txt" ||
		{ log "text: $(tr '\n' '|' <"$T/stats.txt")"; return 1; }
}
check "stats (text): per-queue table with a total row" stats_text_ok

# ---- xdp status, copy status -------------------------------------------------------------
octl -j xdp status "$LOCAL_IF" >"$T/xdp.json"
xdp_ok() {
	jq -e '.interfaces[0].xdp.attached == false' "$T/xdp.json" >/dev/null &&
		schema_ok xdp-status <"$T/xdp.json"
}
check "xdp status --json: nothing attached, schema" xdp_ok
octl -j copy status >"$T/copy.json"
copy_ok() {
	local m
	for m in ofdma ofcopy; do
		local loaded=false
		[ -d "/sys/module/$m" ] && loaded=true
		eq "$m loaded" "$(jq ".$m.loaded" "$T/copy.json")" "$loaded" || return 1
	done
	schema_ok copy-status <"$T/copy.json"
}
check "copy status: loaded as /sys/module says, schema" copy_ok
octl copy status >"$T/copy.txt"
check "copy status (text): says not loaded" \
	sh -c "[ -d /sys/module/ofcopy ] || grep -q '^ofcopy: not loaded' '$T/copy.txt'"

# ---- a NIC that is not ofnic: a veth pair ----------------------------------------------------
ip link add octl-va type veth peer name octl-vb
ip addr add 10.78.0.1/24 dev octl-va
ip link set octl-va up
ip link set octl-vb up
check "veth: show exits 0" sh -c "'$OFNICCTL' -j show octl-va >'$T/veth.json' 2>'$T/err'"
check "veth: show --json matches the schema" schema_ok show <"$T/veth.json"
veth_ok() {
	jq -e '(has("ofnic") | not) and (.unsupported | length > 0) and .link.driver == null' "$T/veth.json" >/dev/null &&
		eq "veth channels" "$(jq '.channels."combined-count" // .channels."rx-count"' "$T/veth.json")" \
			"$($ETHTOOL -l octl-va | awk '/Current hardware/ { c = 1 } c && /^(RX|Combined):/ && $2 != "0" { print $2; exit }')"
}
check "veth: no ofnic section, the rest as ethtool, unsupported parts named" veth_ok
check "veth: show (text) exits 0 and lists n/a parts" sh -c "'$OFNICCTL' show octl-va | grep -q '  n/a: '"
ping -c 5 -i 0.05 -q -I octl-va 10.78.0.2 >/dev/null 2>&1
vstats_ok() {
	"$OFNICCTL" -j stats octl-va >"$T/vstats.json" && schema_ok stats <"$T/vstats.json"
}
check "veth: stats --json exits 0 and matches the schema" vstats_ok
vtot_ok() {
	local a b
	a=$(ip -j -s link show octl-va | jq '.[0].stats64.tx.packets')
	"$OFNICCTL" -j stats octl-va >"$T/vstats.json"
	b=$(ip -j -s link show octl-va | jq '.[0].stats64.tx.packets')
	[ "$a" -ge 5 ] && between tx "$a" "$(jq '.device.sysfs."tx-packets"' "$T/vstats.json")" "$b"
}
check "veth: stats device totals as ip -s link" vtot_ok
rc=$(octl_rc set lro octl-va --timeout 100)
check "veth: set lro refused, exit 1, kernel's message and a hint" \
	sh -c "[ $rc = 1 ] && grep -q 'octl-va is not an ofnic device' '$T/err' && grep -q '^hint: ' '$T/err'"
ip link del octl-va

check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish
