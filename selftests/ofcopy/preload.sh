#!/bin/bash
# The LD_PRELOAD shim (userspace/ofcopy/ofcopy_preload.c) turns ofcopy on for
# an unmodified program by port: the accepted socket of a listed port gets the
# ULP and its 256 MiB arrive intact; a port not listed is left alone.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofcopy/lib.sh

ktap_header 5
ofcopy_setup
dma0=$(ofcopy_stat bytes_dma)
check "256 MiB to a program with the shim" ofcopy_xfer_run 5404 256 preload
check "the shim set the ULP, sha256 equal" \
	test "$(xfer_field ulp)" = ofcopy -a "$(xfer_field sha256)" = "$XFER_TX"
check "the engine copied most of it" test $(($(ofcopy_stat bytes_dma) - dma0)) -gt $((128 << 20))
# a port the shim was not told about:
rm -f "$OFNIC_TMP/rx.out"
env LD_PRELOAD="$PRELOAD" OFCOPY_PORTS=9999 "$XFER" recv 5406 >"$OFNIC_TMP/rx.out" 2>/dev/null &
rx=$!
wait_for "ss -Hltn 'sport = :5406' | grep -q ." 10
ip netns exec peer "$XFER" send "$LOCAL_IP" 5406 16 >/dev/null
wait $rx
XFER_LINE=$(cat "$OFNIC_TMP/rx.out")
check "a port not in OFCOPY_PORTS keeps plain TCP" test "$(xfer_field ulp)" = none
ofcopy_teardown
check "no kernel warnings" dmesg_clean
ktap_finish
