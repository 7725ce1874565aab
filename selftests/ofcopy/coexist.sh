#!/bin/bash
# ofcopy takes its channels privately (channels=2) and leaves the rest of the
# device to other dmaengine users: the kernel's dmatest runs on the remaining
# channels with verification and zero failures while ofcopy is loaded, and a
# transfer through ofcopy still matches afterwards.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofcopy/lib.sh

ktap_header 5
ofcopy_setup channels=2
n=$(ofdma_chans | wc -l)
held=$(wc -l <"$OFCOPY_DBG/channels")
log "ofdma has $n channels, ofcopy holds $held: $(tr '\n' ' ' <"$OFCOPY_DBG/channels")"
check "ofcopy holds 2 channels" test "$held" -eq 2
dmatest_start iterations=200 timeout=5000
dmatest_wait
check "dmatest runs on the other $((n - held)) channels, 0 failures" dmatest_ok $((n - held)) 200
rmmod dmatest
check "256 MiB through ofcopy afterwards" ofcopy_xfer_run 5403 256 --ulp
check "sha256 equal" test "$(xfer_field sha256)" = "$XFER_TX"
ofcopy_teardown
check "no kernel warnings" dmesg_clean
ktap_finish
