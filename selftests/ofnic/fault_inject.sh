#!/bin/bash
# Garbage from the guest: descriptors with bad addresses or lengths and
# out-of-range doorbells, written through the driver's debugfs fault injector.
# The device must halt the ring, count and report the error; the driver must
# reset the ring; traffic must flow again; QEMU must survive (we keep running).
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

FAULTS=(tx-bad-addr tx-zero-len tx-no-eop-overflow tail-oob rx-bad-addr)
ktap_header $((${#FAULTS[@]} * 4 + 2))
setup_pair
pci=$(basename "$(readlink -f /sys/class/net/$LOCAL_IF/device)")
inject=/sys/kernel/debug/ofnic/$pci/inject
[ -w "$inject" ] || die "no fault injector at $inject"
# The injector works on queue pair 0. The peer's pings (one IPv4 flow) land
# on the queue the boot's random RSS key picks, so rx-bad-addr could wait in
# vain on queue 0 (a CI run did): steer every frame there.
quiet ethtool -X "$LOCAL_IF" equal 1 || die "ethtool -X equal 1 failed"

for f in "${FAULTS[@]}"; do
	errs=$(ethtool_stat "$LOCAL_IF" hw_err_count)
	resets=$(ethtool_stat "$LOCAL_IF" reset_count)
	check "$f: injected" sh -c "echo $f >$inject"
	# A frame from the peer makes the device use the RX ring (rx-bad-addr).
	ip netns exec peer ping -c 3 -i 0.2 -W 1 $LOCAL_IP >/dev/null 2>&1 &
	check "$f: device reported an error" wait_for \
		"[ \$(ethtool_stat $LOCAL_IF hw_err_count) -gt $errs ]" 5
	check "$f: driver reset the ring" wait_for \
		"[ \$(ethtool_stat $LOCAL_IF reset_count) -gt ${resets:-0} ]" 10
	wait_for "[ \$(cat /sys/class/net/$LOCAL_IF/carrier) = 1 ]" 5
	check "$f: traffic flows again" quiet ping -c 2 -i 0.2 -W 3 $PEER_IP
done
wait
check "QEMU reported every fault (device ERR_COUNT)" \
	test "$(ethtool_stat "$LOCAL_IF" hw_err_count)" -ge ${#FAULTS[@]}
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish
