#!/bin/bash
# Link up on both ports and ICMP both ways over the wire, IPv4 and IPv6.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

ktap_header 10
setup_pair
check "carrier up on both ports" true
check "link reported by ethtool" sh -c "ethtool $LOCAL_IF | grep -q 'Link detected: yes'"
check "ping local -> peer (IPv4)" ping -c 3 -i 0.2 -W 2 $PEER_IP
check "ping peer -> local (IPv4)" ip netns exec peer ping -c 3 -i 0.2 -W 2 $LOCAL_IP
check "ping local -> peer (IPv6)" ping -6 -c 3 -i 0.2 -W 2 $PEER_IP6
check "large pings (multi-fragment, 8 KB)" ping -c 3 -i 0.2 -W 2 -s 8000 $PEER_IP

# The MAC's counters (ethtool's eth-mac and rmon groups): the device's frames
# and octets, and its oversize frames (the peer's MTU above ours).
mac_stat() { $ETHTOOL -S "$LOCAL_IF" --groups "$1" | awk -v k="$2:" '$1 == k { print $2 }'; }
f0=$(mac_stat eth-mac eth-mac-FramesReceivedOK)
o0=$(mac_stat eth-mac eth-mac-OctetsReceivedOK)
z0=$(mac_stat rmon rmon-etherStatsOversizePkts)
ip netns exec peer ping -q -c 5 -i 0.2 -W 2 $LOCAL_IP >/dev/null
ip -n peer link set "$PEER_IF" mtu 3000
ip netns exec peer ping -q -c 2 -i 0.2 -W 1 -M do -s 2500 $LOCAL_IP >/dev/null
ip -n peer link set "$PEER_IF" mtu 1500
f1=$(mac_stat eth-mac eth-mac-FramesReceivedOK)
o1=$(mac_stat eth-mac eth-mac-OctetsReceivedOK)
z1=$(mac_stat rmon rmon-etherStatsOversizePkts)
log "eth-mac FramesReceivedOK +$((f1 - f0)), OctetsReceivedOK +$((o1 - o0)); rmon oversize +$((z1 - z0))"
check "eth-mac: FramesReceivedOK and OctetsReceivedOK count the 5 pings" \
	test $((f1 - f0)) -ge 5 -a $((o1 - o0)) -ge $((5 * 98))
check "rmon: the 2 frames over MAX_FRAME are etherStatsOversizePkts" test $((z1 - z0)) -eq 2

# A port that is down drops what reaches it, as a real MAC with RX off does:
# its link partner must not stall (and trip the TX watchdog, 5 s) meanwhile.
# (a permanent neighbour entry: every ping goes on the wire, none waits for ARP)
ip neigh replace $PEER_IP dev "$LOCAL_IF" nud permanent \
	lladdr "$(ip -n peer -br link show "$PEER_IF" | awk '{ print $3 }')"
ip -n peer link set "$PEER_IF" down
tx0=$(cat /sys/class/net/$LOCAL_IF/statistics/tx_packets)
kmsg0=$(dmesg | wc -l)
ping -q -c 40 -i 0.2 -W 1 $PEER_IP >/dev/null
# (tx_packets counts completions, which the driver may reap a little later)
wait_for "[ \$((\$(cat /sys/class/net/$LOCAL_IF/statistics/tx_packets) - tx0)) -ge 40 ]" 5
tx1=$(cat /sys/class/net/$LOCAL_IF/statistics/tx_packets)
log "sent $((tx1 - tx0)) frames to a port that is down"
check "sending to a port that is down: no stall, no TX timeout" \
	sh -c "[ $((tx1 - tx0)) -ge 40 ] &&
	       ! dmesg | tail -n +$((kmsg0 + 1)) | grep -qE 'NETDEV WATCHDOG|TX queue [0-9]+ timed out'"
ip -n peer link set "$PEER_IF" up
wait_for 'ip netns exec peer cat /sys/class/net/$PEER_IF/carrier 2>/dev/null | grep -q 1' 10
check "ping local -> peer once it is up again" ping -c 3 -i 0.2 -W 2 $PEER_IP
teardown_pair
ktap_finish
