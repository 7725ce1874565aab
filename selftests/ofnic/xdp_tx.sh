#!/bin/bash
# XDP_TX (xdp_tx_reflect): the peer's UDP datagrams come back to the socket
# that sent them (IPv4 and IPv6, small and 1400-byte payloads verified): the
# reflector swapped the MAC and IP addresses and the ports (the peer's
# capture shows local's MAC as the source), the local stack never saw them,
# tx_stats and (native) rxN_xdp_tx and the XDP TX ring (xdpN_tx_packets)
# count them; other traffic (ping) still reaches the stack; after detach
# nothing comes back.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/xdp_lib.sh

xdp_require
setup_pair
xdp_static_neigh
ktap_header 11
log "XDP mode: $XDP_MODE"
ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1
ip netns exec peer ping -c 1 -W 2 $LOCAL_IP >/dev/null 2>&1
ip netns exec peer ping -6 -c 1 -W 2 $LOCAL_IP6 >/dev/null 2>&1
xdp_unpin tx_stats
check "attach xdp_tx_reflect ($XDP_MODE)" xdp_attach "$LOCAL_IF" xdp_tx_reflect

echo_ok() {	# echo_ok ARGS...: every datagram came back, verified
	local out
	out=$(peer_udp echo "$@")
	log "echo $*: $out"
	echo "$out" | grep -q "verified $(echo "$out" | awk '{ print $2 }') bad 0$"
}
cap_start peer "$PEER_IF" "$OFNIC_TMP/tx.pcap" in udp port 7300
bm=$(xdp_map_sum tx_stats)
bs=$(stats_save "$LOCAL_IF")
bn=$(snmp_counter "" Udp NoPorts)
b6=$(nstat_counter "" Udp6NoPorts)
check "IPv4: 100 datagrams (200 B) come back to the sender, payload intact" \
	echo_ok --dst $LOCAL_IP --port 7300 --count 100 --size 200
check "IPv4: 50 datagrams (1400 B) come back intact" \
	echo_ok --dst $LOCAL_IP --port 7300 --count 50 --size 1400
check "IPv6: 50 datagrams (1200 B) come back intact" \
	echo_ok --dst $LOCAL_IP6 --port 7300 --count 50 --size 1200
cap_stop
am=$(xdp_map_sum tx_stats)
as=$(stats_save "$LOCAL_IF")
an=$(snmp_counter "" Udp NoPorts)
a6=$(nstat_counter "" Udp6NoPorts)
lmac=$(cat /sys/class/net/"$LOCAL_IF"/address)
pmac=$(ip netns exec peer cat /sys/class/net/"$PEER_IF"/address)
macs=$(tcpdump -r "$OFNIC_TMP/tx.pcap" -e -n 2>/dev/null | awk '{ print $2, $3, $4 }' | sort | uniq -c)
log "reflected frames at the peer (count src > dst): $(echo "$macs" | tr '\n' ';')"
check "the peer received them from local's MAC $lmac to its own $pmac" \
	test "$(echo "$macs" | awk '{ print $2, $3, $4 }')" = "$lmac > $pmac," -a \
	"$(echo "$macs" | awk '{ print $1 }')" -ge 200
check "tx_stats counted 200 reflected frames ($((am - bm)))" test $((am - bm)) -eq 200
check "the local stack never saw them (Udp NoPorts +$((an - bn)), Udp6NoPorts +$((${a6:-0} - ${b6:-0})))" \
	test $((an - bn)) -eq 0 -a $((${a6:-0} - ${b6:-0})) -eq 0
if drv_only "driver: rxN_xdp_tx and xdpN_tx_packets = 200"; then
	d=$(stats_delta "$bs" "$as" '^rx[0-9]+_xdp_tx$')
	t=$(stats_delta "$bs" "$as" '^xdp[0-9]+_tx_packets$')
	e=$(stats_delta "$bs" "$as" '^(rx[0-9]+_xdp_tx_err|xdp[0-9]+_tx_errors)$')
	log "driver: rxN_xdp_tx +$d, xdpN_tx_packets +$t, errors +$e"
	check "driver: rxN_xdp_tx and xdpN_tx_packets = 200, no error" \
		test "$d" -eq 200 -a "$t" -eq 200 -a "$e" -eq 0
fi
check "ping (not UDP) still reaches the stack" \
	quiet ip netns exec peer ping -c 3 -i 0.2 -W 2 $LOCAL_IP
xdp_detach "$LOCAL_IF"
out=$(peer_udp echo --dst $LOCAL_IP --port 7300 --count 3 --timeout 1)
log "detached: $out"
check "detached: nothing comes back" test "$(echo "$out" | awk '{ print $6 }')" = 0
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
