#!/bin/bash
# Helpers of the XDP selftests (xdp_*.sh), on top of lib.sh. Sourced by each
# XDP test inside the VM. The programs are build/xdp/*.bpf.o (make xdp).
#
# OFNIC_XDP_MODE: drv (default: the driver's native XDP, `ip link set ...
# xdpdrv`) or generic (`xdpgeneric`, the kernel's skb-mode XDP; for checking
# the programs and the tests apart from the driver).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

XDP_OBJ_DIR=$OFNIC_TOP/build/xdp
XSK_RX=$XDP_OBJ_DIR/xsk_rx
XDP_UDP="/usr/bin/python3 -S $OFNIC_TOP/selftests/ofnic/xdp_udp.py"
XDP_MODE=${OFNIC_XDP_MODE:-drv}
case $XDP_MODE in
drv | native) XDP_MODE=drv XDP_LOADER_MODE=native XSK_XDP_MODE=native ;;
generic | skb) XDP_MODE=generic XDP_LOADER_MODE=skb XSK_XDP_MODE=generic ;;
*) die "OFNIC_XDP_MODE=$XDP_MODE: drv or generic" ;;
esac
# Where iproute2 (libbpf) pins the maps declared LIBBPF_PIN_BY_NAME.
XDP_PIN_DIR=/sys/fs/bpf/xdp/globals
TRACEFS=/sys/kernel/tracing

# xdp_require: the programs are built; else the whole test is skipped.
xdp_require() {
	local p
	for p in xdp_drop xdp_pass_count xdp_tx_reflect xdp_redirect xdp_filter xdp_xsk; do
		[ -e "$XDP_OBJ_DIR/$p.bpf.o" ] || skip_all "$XDP_OBJ_DIR/$p.bpf.o missing (make xdp)"
	done
	[ -x "$XSK_RX" ] || skip_all "$XSK_RX missing (make xdp)"
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
}

# xdp_attach IFACE PROG [NETNS]: attach build/xdp/PROG.bpf.o in $XDP_MODE
# with iproute2; the output of ip (the extack) goes to $OFNIC_TMP/ip.err.
xdp_attach() {
	nsrun "${3:-}" ip link set dev "$1" "xdp$XDP_MODE" \
		obj "$XDP_OBJ_DIR/$2.bpf.o" sec xdp >"$OFNIC_TMP/ip.err" 2>&1
	local rc=$?
	[ $rc -eq 0 ] || log "ip link set dev $1 xdp$XDP_MODE obj $2.bpf.o: $(tr '\n' ' ' <"$OFNIC_TMP/ip.err")"
	return $rc
}

# xdp_replace IFACE PROG: swap the attached program for PROG (ip -force).
xdp_replace() {
	ip -force link set dev "$1" "xdp$XDP_MODE" obj "$XDP_OBJ_DIR/$2.bpf.o" sec xdp \
		>"$OFNIC_TMP/ip.err" 2>&1
}

# xdp_detach IFACE [NETNS]
xdp_detach() {
	nsrun "${2:-}" ip link set dev "$1" "xdp$XDP_MODE" off
}

# xdp_prog_name IFACE [NETNS]: the name of the program attached in
# $XDP_MODE, empty when none.
xdp_prog_name() {
	nsrun "${2:-}" ip -d -j link show dev "$1" | /usr/bin/python3 -S -c '
import json, sys
mode = {"drv": 1, "generic": 2}[sys.argv[1]]
x = json.load(sys.stdin)[0].get("xdp", {})
for a in x.get("attached", [x]):
    if a.get("mode") == mode and "prog" in a:
        print(a["prog"].get("name", "?"))' "$XDP_MODE"
}

# xdp_map_dump NAME: "key packets bytes" of the pinned per-queue counter map
# NAME (summed over the CPUs), one line per key.
xdp_map_dump() {
	bpftool -j map dump pinned "$XDP_PIN_DIR/$1" | /usr/bin/python3 -S -c '
import json, sys
def num(b):
    return int.from_bytes(bytes(int(x, 16) for x in b), "little")
for e in json.load(sys.stdin):
    k = e.get("key")
    k = num(k) if isinstance(k, list) else int(k)
    p = b = 0
    for v in e.get("values", []):
        val = v["value"]
        if isinstance(val, dict):
            p += val["packets"]; b += val["bytes"]
        else:
            p += num(val[:8]); b += num(val[8:16])
    print(k, p, b)'
}

# xdp_map_sum NAME: total packets of the counter map NAME.
xdp_map_sum() {
	xdp_map_dump "$1" | awk '{ s += $2 } END { print s + 0 }'
}

# xdp_map_key NAME KEY: packets of one key of the counter map NAME.
xdp_map_key() {
	xdp_map_dump "$1" | awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }'
}

# xdp_unpin NAME...: remove pinned maps (a fresh map at the next attach).
xdp_unpin() {
	local m
	for m in "$@"; do rm -f "$XDP_PIN_DIR/$m"; done
}

# hexle N BYTES: N as BYTES little-endian hex bytes for bpftool.
hexle() {
	local v=$1 n=$2 i out=""
	for ((i = 0; i < n; i++)); do
		out+=" $(printf '%02x' $((v & 255)))"
		v=$((v >> 8))
	done
	echo "${out# }"
}

# hexbe N BYTES: network order.
hexbe() {
	local v=$1 n=$2 i out=""
	for ((i = 0; i < n; i++)); do
		out="$(printf '%02x' $((v & 255))) $out"
		v=$((v >> 8))
	done
	echo "${out% }"
}

# ip_hex16 ADDR: an IPv6 address, or an IPv4 one as IPv4-mapped IPv6, as 16
# hex bytes (struct ofnic_xdp_flow src/dst).
ip_hex16() {
	/usr/bin/python3 -S -c '
import socket, sys
a = sys.argv[1]
b = socket.inet_pton(socket.AF_INET6, a) if ":" in a else \
    bytes(10) + b"\xff\xff" + socket.inet_aton(a)
print(" ".join("%02x" % x for x in b))' "$1"
}

# ---- the kernel's ftrace ring ----------------------------------------------

# trace_start EVENT...: clear the ring, enable the events (e.g. xdp:xdp_exception).
trace_start() {
	local e
	echo 0 >$TRACEFS/tracing_on
	echo >$TRACEFS/set_event
	echo 8192 >$TRACEFS/buffer_size_kb
	: >$TRACEFS/trace
	for e in "$@"; do
		echo "$e" >>$TRACEFS/set_event || return 1
	done
	echo 1 >$TRACEFS/tracing_on
}

# trace_stop FILE: stop, save the ring to FILE.
trace_stop() {
	echo 0 >$TRACEFS/tracing_on
	cat $TRACEFS/trace >"$1"
	echo >$TRACEFS/set_event
}

# ---- the peer's frames --------------------------------------------------------

# peer_udp ARGS...: xdp_udp.py in the peer namespace.
peer_udp() {
	ip netns exec peer $XDP_UDP "$@"
}

# local_recv_start PORT COUNT [TIMEOUT] [BIND]: an xdp_udp.py receiver in the
# background, output in $OFNIC_TMP/recv.PORT; waits until it listens.
local_recv_start() {
	local port=$1 count=$2 t=${3:-20} bind=${4:-$LOCAL_IP}
	RECV_RX0=$(rx_frames "$LOCAL_IF")
	$XDP_UDP recv --bind "$bind" --port "$port" --count "$count" --timeout "$t" \
		>"$OFNIC_TMP/recv.$port" 2>&1 &
	RECV_PID=$!
	wait_for "grep -q listening '$OFNIC_TMP/recv.$port'" 30 ||
		log "receiver on port $port not listening after 30 s"
}

# local_recv_stop PORT N: once the driver has taken the N frames sent since
# local_recv_start, end the receiver (SIGTERM: it reads what is queued and
# prints its summary) and wait for it.
local_recv_stop() {
	rx_frames_wait "$LOCAL_IF" "$RECV_RX0" "$2"
	kill -TERM "$RECV_PID" 2>/dev/null
	local_recv_wait "$1"
}

# local_recv_wait PORT: wait for the receiver; its summary is RECV_OUT.
local_recv_wait() {
	wait "$RECV_PID"
	RECV_RC=$?
	RECV_OUT=$(cat "$OFNIC_TMP/recv.$1")
	log "receiver: $(echo "$RECV_OUT" | grep -v listening | tr '\n' ' ')"
	return $RECV_RC
}

# recv_field NAME: a number of the receiver's summary line ("received N ...").
recv_field() {
	echo "$RECV_OUT" | awk -v k="$1" '/^received/ {
		for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}

# xdp_features IFACE: the netdev family's xdp-features of IFACE, one per line.
xdp_features() {
	local idx
	idx=$(cat /sys/class/net/"$1"/ifindex) || return 1
	ynl --do dev-get --json "{\"ifindex\": $idx}" --output-json 2>/dev/null |
		/usr/bin/python3 -S -c '
import json, sys
for f in json.load(sys.stdin).get("xdp-features", []):
    print(f)'
}

# drv_only DESCRIPTION...: true in native mode; in generic mode the
# subtests DESCRIPTION... are reported as skipped (the driver is not involved).
drv_only() {
	[ "$XDP_MODE" = drv ] && return 0
	local d
	for d in "$@"; do
		ktap_skip "$d" "OFNIC_XDP_MODE=generic: a driver counter"
	done
	return 1
}

# xdp_static_neigh: permanent neighbour entries (IPv4 and IPv6) on both
# ports. A program that drops or redirects frames also takes ARP/ND probes;
# on a slow (TCG, loaded) machine an entry going stale mid-test would then
# make the sender drop its own datagrams.
xdp_static_neigh() {
	local lmac pmac
	lmac=$(cat /sys/class/net/"$LOCAL_IF"/address)
	pmac=$(ip netns exec peer cat /sys/class/net/"$PEER_IF"/address)
	ip neigh replace $PEER_IP lladdr "$pmac" nud permanent dev "$LOCAL_IF"
	ip neigh replace $PEER_IP6 lladdr "$pmac" nud permanent dev "$LOCAL_IF"
	ip -n peer neigh replace $LOCAL_IP lladdr "$lmac" nud permanent dev "$PEER_IF"
	ip -n peer neigh replace $LOCAL_IP6 lladdr "$lmac" nud permanent dev "$PEER_IF"
}

# xdp_snap IFACE MAP: the driver's counters (SNAP_DRV, stats_save) and the
# counter map MAP (SNAP_MAP, xdp_map_dump) at one moment: read again until
# no frame arrived on IFACE while they were read.
xdp_snap() {
	local i s2
	for i in 1 2 3 4 5 6 7 8 9 10; do
		SNAP_DRV=$(stats_save "$1")
		SNAP_MAP=$(xdp_map_dump "$2")
		s2=$(stats_save "$1")
		# every RX counter still (stats_save reads ethtool -S and the
		# qstats at different moments)
		[ "$(stats_delta "$SNAP_DRV" "$s2" '^rx[0-9]+_')" = 0 ] && return 0
	done
	log "frames kept arriving while the counters were read"
}
