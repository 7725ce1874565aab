#!/bin/bash
# Module load/unload: both ports probe with the right identity, remove cleanly,
# and nothing (IRQ, netdev, kernel warning) is left behind. Repeated.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

ROUNDS=3
ktap_header $((ROUNDS * 4 + 1))
for ((r = 1; r <= ROUNDS; r++)); do
	check "round $r: insmod" load_ofnic
	ifs=($(ofnic_ifaces))
	check "round $r: two ports probed" test "${#ifs[@]}" -eq 2
	check "round $r: ethtool -i reports driver ofnic" \
		sh -c "ethtool -i ${ifs[0]} | grep -qx 'driver: ofnic'"
	unload_ofnic
	check "round $r: rmmod leaves no netdev or IRQ" \
		sh -c "! ls /sys/bus/pci/drivers/ofnic 2>/dev/null | grep -q 0000 &&
		       ! grep -q ofnic /proc/interrupts"
done
check "no kernel warnings" dmesg_clean
ktap_finish
