#!/bin/bash
# The kernel's own dmatest (verification on) passes on every ofdma channel:
# interrupt-driven completion with one and two threads per channel, polled
# completion, small random transfers and 1 MiB ones, then the driver's 4 MiB
# copy check. Zero failures everywhere.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofdma/lib.sh

ktap_header 10
check "insmod ofdma" load_ofdma
chans=($(ofdma_chans))
n=${#chans[@]}
log "device $(ofdma_pci), channels: ${chans[*]}"
check "every channel registered (NUM_CHAN $n >= 1)" test "$n" -ge 1

it=${OFDMA_DMATEST_ITER:-300}
dmatest_start iterations="$it" threads_per_chan=1 timeout=5000
dmatest_wait
check "dmatest memcpy, callbacks: $n channels x $it, 0 failures" dmatest_ok "$n" "$it"

dmatest_start iterations="$it" threads_per_chan=2 timeout=5000
dmatest_wait
check "dmatest memcpy, callbacks, 2 threads per channel: 0 failures" dmatest_ok $((2 * n)) "$it"

# Polled mode calls terminate_sync after each transfer, which (correctly)
# aborts whatever else is queued on the channel: one thread per channel.
dmatest_start iterations="$it" threads_per_chan=1 polled=1 timeout=5000
dmatest_wait
check "dmatest memcpy, polled (tx_status): 0 failures" dmatest_ok "$n" "$it"

dmatest_start iterations=20 test_buf_size=1048576 timeout=5000
dmatest_wait
check "dmatest memcpy, 1 MiB buffers: 0 failures" dmatest_ok "$n" 20
rmmod dmatest

busy=1
for ((c = 0; c < n; c++)); do
	[ "$(ofdma_stat $c completed)" -gt 0 ] || busy=0
done
check "every channel completed descriptors" test $busy -eq 1
check "no channel errors" sh -c "! grep -E ' (errors|aborted) [1-9]' $(ofdma_dbg stats)"

ok=1
for ((c = 0; c < n; c++)); do
	echo "$c 4096 4" >"$(ofdma_dbg bench)" || ok=0
	log "$(cat "$(ofdma_dbg bench)")"
	grep -q 'verified 1' "$(ofdma_dbg bench)" || ok=0
done
check "4 MiB copies on every channel verified" test $ok -eq 1
check "no kernel warnings" dmesg_clean
ktap_finish
