#!/bin/bash
# AF_XDP receive with xsk_rx (libxdp's xsk API, xdp_xsk through its
# skeleton): RSS steers everything to queue 3; a socket bound there in copy
# mode receives 200 IPv4 and 50 IPv6 datagrams, each verified (checksums,
# length, sequence, byte pattern), while ping still reaches the stack; a
# socket on another queue gets nothing and the datagrams go to the stack;
# zero-copy runs when the driver advertises NETDEV_XDP_ACT_XSK_ZEROCOPY,
# otherwise the kernel must refuse the zero-copy bind and the subtest says
# why; the program is gone when xsk_rx exits.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/xdp_lib.sh

xdp_require
setup_pair
xdp_static_neigh
ktap_header 12
log "XDP mode: $XDP_MODE (xsk_rx -x $XSK_XDP_MODE)"
Q=3
quiet ethtool -L "$LOCAL_IF" combined 4
check "RSS: every flow to queue $Q (ethtool -X weight 0 0 0 1)" \
	ethtool -X "$LOCAL_IF" weight 0 0 0 1
ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1
ip netns exec peer ping -c 1 -W 2 $LOCAL_IP >/dev/null 2>&1
ip netns exec peer ping -6 -c 1 -W 2 $LOCAL_IP6 >/dev/null 2>&1
rm -f /sys/fs/bpf/xsk_stats	# xsk_rx's skeleton pins it under /sys/fs/bpf

xsk_start() {	# xsk_start OUT ARGS...: xsk_rx in the background until "ready"
	local out=$1
	shift
	"$XSK_RX" -i "$LOCAL_IF" -x "$XSK_XDP_MODE" "$@" >"$out" 2>&1 &
	XSK_PID=$!
	wait_for "grep -q 'ready\|failed' '$out' || ! kill -0 $XSK_PID 2>/dev/null" 15
}
send_mix() {	# send_mix PORT: 200 IPv4 datagrams from 4 flows, 50 IPv6
	local i
	for i in 0 1 2 3; do
		peer_udp send --dst $LOCAL_IP --port "$1" --sport $((44000 + i)) \
			--first $((i * 50)) --count 50 --size $((64 + i * 400)) >/dev/null
	done
	peer_udp send --dst $LOCAL_IP6 --port "$1" --sport 44010 --first 200 --count 50 \
		--size 1000 >/dev/null
}

# copy mode on queue Q
bs=$(stats_save "$LOCAL_IF")
xsk_start "$OFNIC_TMP/xsk.copy" -q $Q -c copy -p 7700 -n 250 -t 90
sed 's/^/# /' "$OFNIC_TMP/xsk.copy"
check "copy mode: socket bound to queue $Q (XDP_COPY)" \
	grep -q "queue $Q: AF_XDP socket bound, copy mode" "$OFNIC_TMP/xsk.copy"
send_mix 7700
ping_rc=0
quiet ip netns exec peer ping -c 3 -i 0.2 -W 2 $LOCAL_IP || ping_rc=1
wait $XSK_PID
rc=$?
as=$(stats_save "$LOCAL_IF")
sed -n '/ready/,$p' "$OFNIC_TMP/xsk.copy" | grep -v ready | sed 's/^/# /'
check "copy mode: 250 datagrams received and verified, none bad (xsk_rx rc $rc)" \
	test $rc -eq 0 -a -n "$(grep 'received .*: 250 verified, 0 bad, 0 duplicate' "$OFNIC_TMP/xsk.copy")"
check "copy mode: ping still reaches the stack on the same queue" test $ping_rc -eq 0
q=$(bpftool -j map lookup pinned /sys/fs/bpf/xsk_stats key $(hexle $Q 4) 2>/dev/null |
	/usr/bin/python3 -S -c '
import json, sys
print(sum(int.from_bytes(bytes(int(x, 16) for x in v["value"][:8]), "little")
          for v in json.load(sys.stdin)["values"]))' 2>/dev/null)
check "xsk_stats[$Q] counted the 250 frames handed to the socket (${q:-none})" \
	test "${q:-0}" -eq 250
if drv_only "driver: rx${Q}_xdp_redirect = 250"; then
	d=$(stats_delta "$bs" "$as" "^rx${Q}_xdp_redirect\$")
	check "driver: rx${Q}_xdp_redirect = 250 ($d)" test "$d" -eq 250
fi
check "xsk_rx detached its program on exit" test -z "$(xdp_prog_name "$LOCAL_IF")"

# a socket on queue 2 sees nothing of queue 3; the frames go to the stack
# (it runs until stopped, so that its window covers the whole send)
xsk_start "$OFNIC_TMP/xsk.q2" -q 2 -c copy -p 7701 -t 300
local_recv_start 7701 30 $((60 * ${OFNIC_TIMEOUT_SCALE:-1}))
peer_udp send --dst $LOCAL_IP --port 7701 --count 30 --size 300 >/dev/null
local_recv_wait 7701
kill -TERM $XSK_PID 2>/dev/null
wait $XSK_PID
log "$(grep 'received' "$OFNIC_TMP/xsk.q2")"
check "socket on queue 2: receives none of queue $Q's frames" \
	grep -q 'received 0 frames' "$OFNIC_TMP/xsk.q2"
check "without a socket on queue $Q the stack gets them (30 verified)" \
	test "$(recv_field verified)" = 30

# zero-copy
feats=$(xdp_features "$LOCAL_IF" | tr '\n' ' ')
log "xdp-features of $LOCAL_IF: ${feats:-none}"
xsk_start "$OFNIC_TMP/xsk.zc" -q $Q -c zerocopy -p 7702 -n 250 -t 90
if grep -q 'zero-copy mode' "$OFNIC_TMP/xsk.zc"; then
	send_mix 7702
	wait $XSK_PID
	rc=$?
	sed 's/^/# /' "$OFNIC_TMP/xsk.zc"
	check "zero-copy is advertised (xsk-zerocopy)" sh -c "echo '$feats' | grep -q xsk-zerocopy"
	check "zero-copy: 250 datagrams (IPv4, IPv6, 64-1264 B) received and verified (rc $rc)" \
		test $rc -eq 0 -a -n "$(grep 'received .*: 250 verified, 0 bad, 0 duplicate' "$OFNIC_TMP/xsk.zc")"
else
	wait $XSK_PID
	why=$(grep -m1 'failed' "$OFNIC_TMP/xsk.zc" | sed 's/^xsk_rx: //')
	log "$why"
	if echo "$feats" | grep -q xsk-zerocopy; then
		check "zero-copy bind works when xsk-zerocopy is advertised" false
	else
		check "zero-copy not advertised: the kernel refuses XDP_ZEROCOPY" test -n "$why"
	fi
	reason="ofnic does not advertise NETDEV_XDP_ACT_XSK_ZEROCOPY (xdp-features: ${feats:-none}; no XSK buffer pool support in ofnic.ko): $why"
	[ "$XDP_MODE" = generic ] && reason="generic XDP has no zero-copy AF_XDP: $why"
	ktap_skip "zero-copy: 250 datagrams received and verified" "$reason"
fi
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
