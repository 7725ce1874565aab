#!/bin/bash
# A device that lies in its RX write-backs (the hostile-* properties,
# docs/hw-spec.md): lengths past the buffer or short of a MAC header, zero
# lengths, split headers too short, LRO counts that do not add up, random
# packet types, hash types and L3 offsets, a missing EOP, an interrupt left
# out or one for nothing. Under a ping flood
# and TCP both ways, with header split and rx-gro-hw on, the guest keeps
# running without a warning and counts what it rejected; once the device has
# told its last lie, transfers both ways are intact again, nothing more is
# rejected, and the driver unloads leaving no page in flight.
# vm-run: --ofnic-prop hostile-seed=7 --ofnic-prop hostile-rate=100 --ofnic-prop hostile-lies=300
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

ktap_header 8
setup_pair
$ETHTOOL -G "$LOCAL_IF" tcp-data-split on >/dev/null 2>&1
ip netns exec peer "$ETHTOOL" -G "$PEER_IF" tcp-data-split on >/dev/null 2>&1
wait_for '[ "$(cat /sys/class/net/$LOCAL_IF/carrier 2>/dev/null)" = 1 ]' 10
wait_for 'ip netns exec peer cat /sys/class/net/$PEER_IF/carrier 2>/dev/null | grep -q 1' 10

# rejected: frames both ports' drivers dropped as written back wrong.
rejected() {
	local a b
	a=$(stats_save "$LOCAL_IF")
	b=$(stats_save "$PEER_IF" peer)
	echo $(($(stats_delta "" "$a" '^rx[0-9]+_length_errors$') +
		$(stats_delta "" "$b" '^rx[0-9]+_length_errors$')))
}

# Each port's device tells 300 lies, one in about 10 frames it writes back:
# 3000 echo requests and their replies each way are more than enough.
# (bounded too: a listener whose client never got through would wait forever)
timeout 70 ip netns exec peer socat -u TCP-LISTEN:5500,reuseaddr /dev/null &
timeout 70 socat -u TCP-LISTEN:5501,reuseaddr /dev/null &
wait_for "ip netns exec peer ss -Hltn 'sport = :5500' | grep -q . && ss -Hltn 'sport = :5501' | grep -q ." 30
timeout 40 socat -u /dev/zero TCP:$PEER_IP:5500 2>/dev/null &
timeout 40 ip netns exec peer socat -u /dev/zero TCP:$LOCAL_IP:5501 2>/dev/null &
timeout 60 ping -f -q -c 3000 -s 1200 $PEER_IP >/dev/null 2>&1 &
timeout 60 ip netns exec peer ping -f -q -c 3000 -s 1200 $LOCAL_IP >/dev/null 2>&1 &
sleep 2
for p in $(jobs -p); do wait "$p" 2>/dev/null; done
pkill -x socat
r1=$(rejected)
log "frames rejected while the devices lied: $r1"
check "the drivers rejected frames written back wrong (rxN_length_errors)" test "$r1" -gt 0
check "no kernel warning while the devices lied" dmesg_clean

# How many frames that takes depends on the kernel's speed (the floods above
# are bounded in time): ping floods until one round adds no rejected frame.
# A round while lies remain draws about 200 of them, half of which are
# rejected, so a round with none means the devices have told their last.
for ((i = 0; i < 10; i++)); do
	before=$(rejected)
	timeout 60 ping -f -q -c 2000 -s 1200 $PEER_IP >/dev/null 2>&1
	[ "$(rejected)" -eq "$before" ] && break
done
log "ping rounds that still met lies: $i"

# The devices are honest again.
check "honest again: 16 MiB local -> peer intact (sha256)" xfer_sha256 local 16
check "honest again: 16 MiB peer -> local intact (sha256)" xfer_sha256 peer 16
r2=$(rejected)
check "honest again: nothing more rejected" test "$r2" -eq "$before"
check "honest again: ping" quiet ping -c 3 -W 2 $PEER_IP
ip netns del peer
check "rmmod" rmmod ofnic
check "no page_pool left (no page in flight)" pools_gone
ktap_finish
