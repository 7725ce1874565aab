#!/bin/bash
# The XDP programs of xdp/ load the standard ways: build/xdp/vmlinux.h is the
# BTF of the kernel the VM runs; each program attaches to ofnic and detaches
# with `ip link set dev X xdp{drv,generic} obj F sec xdp`, with `xdp-loader
# load` (libxdp) and with bpftool (prog load + net attach); two of them run
# together behind libxdp's dispatcher (filter first, then pass-and-count:
# the filter's PASS chains to the counter, its DROP does not); the maps are
# pinned by name and bpftool reads them with the layouts of xdp/ofnic_xdp.h.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/xdp_lib.sh

PROGS="xdp_drop xdp_pass_count xdp_tx_reflect xdp_redirect xdp_filter xdp_xsk"
xdp_require
setup_pair
ktap_header 24
log "XDP mode: $XDP_MODE (xdp-loader -m $XDP_LOADER_MODE)"

# 1. vmlinux.h is the guest kernel's BTF, not the host's.
bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$OFNIC_TMP/vmlinux.h"
check "build/xdp/vmlinux.h is the BTF of the running kernel ($(uname -r))" \
	cmp -s "$OFNIC_TMP/vmlinux.h" "$XDP_OBJ_DIR/vmlinux.h"

# 2-7. ip link: attach, shows up under its name, detach.
ip_cycle() {	# ip_cycle PROG
	xdp_attach "$LOCAL_IF" "$1" || return 1
	local name
	name=$(xdp_prog_name "$LOCAL_IF")
	xdp_detach "$LOCAL_IF" || return 1
	[ "$name" = "$1" ] || { log "attached program: '$name'"; return 1; }
	[ -z "$(xdp_prog_name "$LOCAL_IF")" ]
}
for p in $PROGS; do
	check "ip link set xdp$XDP_MODE obj $p.bpf.o sec xdp: attach, detach" ip_cycle "$p"
done

# 8-13. xdp-loader (libxdp): load behind the dispatcher, status, unload.
loader_cycle() {	# loader_cycle PROG
	local st
	xdp-loader load -m "$XDP_LOADER_MODE" -p /sys/fs/bpf/ofnic "$LOCAL_IF" \
		"$XDP_OBJ_DIR/$1.bpf.o" >"$OFNIC_TMP/loader.out" 2>&1 ||
		{ log "xdp-loader load: $(cat "$OFNIC_TMP/loader.out")"; return 1; }
	st=$(xdp-loader status "$LOCAL_IF" 2>&1)
	xdp-loader unload --all "$LOCAL_IF" >/dev/null 2>&1 || return 1
	echo "$st" | grep -q " $1 " || { log "xdp-loader status: $st"; return 1; }
	[ -z "$(xdp_prog_name "$LOCAL_IF")" ]
}
for p in $PROGS; do
	check "xdp-loader load -m $XDP_LOADER_MODE $p.bpf.o: status, unload" loader_cycle "$p"
done

# 14. bpftool: prog load, net attach, net detach.
bpftool_cycle() {
	local pin=/sys/fs/bpf/ofnic_drop rc=0
	bpftool prog load "$XDP_OBJ_DIR/xdp_drop.bpf.o" "$pin" type xdp 2>"$OFNIC_TMP/bpftool.err" ||
		{ log "bpftool prog load: $(cat "$OFNIC_TMP/bpftool.err")"; return 1; }
	bpftool net attach "xdp$XDP_MODE" pinned "$pin" dev "$LOCAL_IF" || rc=1
	[ "$(xdp_prog_name "$LOCAL_IF")" = xdp_drop ] || rc=1
	bpftool net detach "xdp$XDP_MODE" dev "$LOCAL_IF" || rc=1
	rm -f "$pin"
	[ -z "$(xdp_prog_name "$LOCAL_IF")" ] || rc=1
	return $rc
}
check "bpftool prog load + net attach xdp$XDP_MODE + net detach" bpftool_cycle

# 15-19. libxdp dispatcher: xdp_filter (prio 10) then xdp_pass_count (prio 60).
XDP_PIN_DIR=/sys/fs/bpf/ofnic
rm -rf "$XDP_PIN_DIR"
xdp-loader load -m "$XDP_LOADER_MODE" -p "$XDP_PIN_DIR" "$LOCAL_IF" \
	"$XDP_OBJ_DIR/xdp_filter.bpf.o" "$XDP_OBJ_DIR/xdp_pass_count.bpf.o" \
	>"$OFNIC_TMP/loader.out" 2>&1
rc=$?
[ $rc -eq 0 ] || log "xdp-loader: $(cat "$OFNIC_TMP/loader.out")"
st=$(xdp-loader status "$LOCAL_IF" 2>&1)
echo "$st" | sed 's/^/# /'
dispatcher_order() {
	echo "$st" | awk '/=>/ { print $2, $3 }' | tr '\n' ' ' |
		grep -q '^10 xdp_filter 60 xdp_pass_count $'
}
check "xdp-loader: filter and pass_count together behind the dispatcher" \
	test $rc -eq 0 -a "$(xdp_prog_name "$LOCAL_IF")" = xdp_dispatcher
check "dispatcher runs xdp_filter (prio 10) before xdp_pass_count (prio 60)" dispatcher_order

icmp_rule() {	# icmp_rule ACTION: a rule for ICMP echo from the peer to us
	bpftool map update pinned "$XDP_PIN_DIR/filter_rules" \
		key hex $(ip_hex16 $PEER_IP) $(ip_hex16 $LOCAL_IP) 00 00 00 00 01 00 00 00 \
		value hex $(hexle "$1" 4) 00 00 00 00 $(hexle 0 8) $(hexle 0 8)
}
b=$(xdp_map_sum pass_stats)
quiet ip netns exec peer ping -c 5 -i 0.2 -W 2 $LOCAL_IP
ping_rc=$?
a=$(xdp_map_sum pass_stats)
log "no rule: ping rc $ping_rc, pass_count counted $((a - b)) frames"
check "filter passes (no rule): ping works, pass_count counts it (chain on PASS)" \
	test $ping_rc -eq 0 -a $((a - b)) -ge 5
icmp_rule 1
b=$(xdp_map_sum pass_stats)
quiet ip netns exec peer ping -c 5 -i 0.2 -W 1 $LOCAL_IP
ping_rc=$?
a=$(xdp_map_sum pass_stats)
log "ICMP drop rule: ping rc $ping_rc, pass_count counted $((a - b)) frames"
check "filter drops ICMP (rule via bpftool): ping fails, pass_count never sees it" \
	test $ping_rc -ne 0 -a $((a - b)) -lt 5
check "xdp-loader unload --all" xdp-loader unload --all "$LOCAL_IF"
check "no program left on $LOCAL_IF" test -z "$(xdp_prog_name "$LOCAL_IF")"

# 20-22. pinned maps, read by bpftool, layouts as documented.
map_layout() {	# map_layout PIN KEY_SIZE VALUE_SIZE TYPE
	local j
	j=$(bpftool -j map show pinned "$1") || return 1
	echo "$j" | grep -q "\"type\":\"$4\"" &&
		echo "$j" | grep -q "\"bytes_key\":$2," &&
		echo "$j" | grep -q "\"bytes_value\":$3," ||
		{ log "$1: $j"; return 1; }
}
check "filter_rules pinned: hash, key 40 B (ofnic_xdp_flow), value 24 B (ofnic_xdp_rule)" \
	map_layout "$XDP_PIN_DIR/filter_rules" 40 24 hash
check "pass_stats pinned: percpu_array, key 4 B, value 16 B (ofnic_xdp_qstats)" \
	map_layout "$XDP_PIN_DIR/pass_stats" 4 16 percpu_array
rule_pkts() {	# the ICMP rule's packets counter, as bpftool dumps it
	bpftool -j map dump pinned "$XDP_PIN_DIR/filter_rules" | /usr/bin/python3 -S -c '
import json, sys
for e in json.load(sys.stdin):
    v = e["value"]
    print(v["packets"] if isinstance(v, dict) else
          int.from_bytes(bytes(int(x, 16) for x in v[8:16]), "little"))'
}
n=$(rule_pkts)
log "ICMP rule counted $n frames"
check "bpftool map dump reads the rule's counter (the 5 dropped pings)" test "${n:-0}" -ge 5

check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish
