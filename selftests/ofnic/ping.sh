#!/bin/bash
# Link up on both ports and ICMP both ways over the wire, IPv4 and IPv6.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

ktap_header 6
setup_pair
check "carrier up on both ports" true
check "link reported by ethtool" sh -c "ethtool $LOCAL_IF | grep -q 'Link detected: yes'"
check "ping local -> peer (IPv4)" ping -c 3 -i 0.2 -W 2 $PEER_IP
check "ping peer -> local (IPv4)" ip netns exec peer ping -c 3 -i 0.2 -W 2 $LOCAL_IP
check "ping local -> peer (IPv6)" ping -6 -c 3 -i 0.2 -W 2 $PEER_IP6
check "large pings (multi-fragment, 8 KB)" ping -c 3 -i 0.2 -W 2 -s 8000 $PEER_IP
teardown_pair
ktap_finish
