#!/bin/bash
# A copy engine that lies in its completion records and interrupts (the
# hostile-* properties, docs/ofdma-spec.md section 10): counts ahead of or
# behind the truth, wrong last slots, halts that did not happen, random status
# words, interrupts left out or sent for nothing. The driver checks every
# record before it uses it, so dmatest (verification on, callbacks, then
# polled) sees no failure at all while the device lies; the driver counts the
# records it refused and the completions its watchdog found. Once the device
# has told its last lie, nothing more is refused, copies verify, and the
# module unloads cleanly.
# vm-run: --ofdma-prop hostile-seed=3 --ofdma-prop hostile-rate=200 --ofdma-prop hostile-lies=300
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofdma/lib.sh

ktap_header 10
check "insmod ofdma" load_ofdma
chans=($(ofdma_chans))
n=${#chans[@]}
log "device $(ofdma_pci), channels: ${chans[*]}"

# total KEY: a debugfs counter summed over the channels.
total() {
	local c s=0
	for ((c = 0; c < n; c++)); do
		s=$((s + $(ofdma_stat $c "$1")))
	done
	echo $s
}

# One lie in five records, 300 in all: the two runs below write about 2400
# records, so the device has stopped lying by their end.
it=300
dmatest_start iterations=$it threads_per_chan=1 timeout=5000
dmatest_wait
check "dmatest, callbacks, device lying: $n channels x $it, 0 failures" dmatest_ok "$n" $it
dmatest_start iterations=$it threads_per_chan=1 polled=1 timeout=5000
dmatest_wait
check "dmatest, polled, device lying: 0 failures" dmatest_ok "$n" $it
bad=$(total bad_records)
reaps=$(total watchdog_reaps)
log "refused records: $bad, completions found by the watchdog: $reaps," \
	"interrupts: $(total interrupts)"
check "records that did not add up were refused and counted ($bad)" test "$bad" -gt 0
check "completions whose interrupt was left out were reaped by the watchdog ($reaps)" \
	test "$reaps" -gt 0
check "no channel halted: the halts the device claimed were refused" test "$(total errors)" -eq 0

# The device tells the truth again.
dmatest_start iterations=100 threads_per_chan=1 timeout=5000
dmatest_wait
check "dmatest, device honest again: 0 failures" dmatest_ok "$n" 100
ok=1
for ((c = 0; c < n; c++)); do
	echo "$c 4096 4" >"$(ofdma_dbg bench)" || ok=0
	grep -q 'verified 1' "$(ofdma_dbg bench)" || ok=0
done
check "4 MiB copies on every channel verified" test $ok -eq 1
check "nothing refused once the device is honest" test "$(total bad_records)" -eq "$bad"
rmmod dmatest
unload_ofdma
check "rmmod ofdma, no kernel warnings" dmesg_clean
ktap_finish
