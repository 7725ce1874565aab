#!/bin/bash
# Unload with transfers in flight: while dmatest keeps every channel busy, ofdma
# cannot be removed (its channels are held); stopping the clients lets it go
# with nothing left behind. Unbinding the device under a running dmatest
# completes without a crash, and a reload works. Repeated.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofdma/lib.sh

ROUNDS=2
ktap_header $((ROUNDS * 5 + 3))
need_dmatest
for ((r = 1; r <= ROUNDS; r++)); do
	load_ofdma || die "insmod ofdma failed"
	n=$(ofdma_chans | wc -l)
	dmatest_start threads_per_chan=2 timeout=5000	# no iteration limit
	sleep 2
	check "round $r: dmatest running on $n channels" \
		test "$(dmesg | tail -n +$((DMESG_MARK + 1)) | grep -c 'dmatest: Added')" -ge 1
	check "round $r: rmmod ofdma refused while channels are in use" \
		sh -c '! rmmod ofdma 2>/dev/null'
	echo 0 >"$DMATEST_P/run"
	rmmod dmatest
	dmatest_failures | head -n 10 | sed 's/^/# /'
	# kthread_stop() makes dmatest's interruptible wait return at once, so
	# the transfer a thread was waiting for when stopped reports "test timed
	# out" whatever the driver does; any other failure is a real one.
	check "round $r: dmatest stopped with no data or status error" \
		sh -c "! dmesg | tail -n +$((DMESG_MARK + 1)) | grep -o 'dmatest: .*result.*' |
			grep -v 'test timed out'"
	check "round $r: rmmod ofdma" unload_ofdma
	check "round $r: no IRQ or debugfs left" \
		sh -c '! grep -q ofdma /proc/interrupts && [ ! -e /sys/kernel/debug/ofdma ]'
done

# Unbind under load: the driver's remove runs while dmatest holds channels.
load_ofdma || die "insmod ofdma failed"
pci=$(ofdma_pci)
dmatest_start threads_per_chan=1 timeout=2000
sleep 1
echo "$pci" >/sys/bus/pci/drivers/ofdma/unbind
echo 0 >"$DMATEST_P/run"
rmmod dmatest
check "unbind under load, then dmatest stops" test ! -e "/sys/bus/pci/drivers/ofdma/$pci"
echo "$pci" >/sys/bus/pci/drivers/ofdma/bind
wait_for "[ -e $(ofdma_dbg inject) ]" 5
echo "0 none" >"$(ofdma_dbg inject)"
check "rebind: the device copies again" test "$(cat "$(ofdma_dbg inject)")" = "chan 0 kind none result ok"
unload_ofdma
check "no kernel warnings" dmesg_clean
ktap_finish
