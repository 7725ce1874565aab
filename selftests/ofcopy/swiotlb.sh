#!/bin/bash
# ofcopy when every DMA mapping bounces (swiotlb=force): unmapping a
# destination page copies its bounce buffer over the page, so the CPU may only
# write a page the engine maps once it is unmapped. 256 MiB (OFNIC_OFCOPY_MB
# caps it) go through the engine; then through the CPU tail of batches whose
# descriptors the engine refuses ("inject CHAN full"); then through whole-batch
# CPU re-copies after DMA errors ("inject CHAN next"). The sha256 must match
# each time. The point is the kernel command line swiotlb=force:
#   selftests/run 'ofcopy/swiotlb.sh [swiotlb=force]'
# Without it the same transfers run on direct mappings (the CPU tail and the
# re-copies are checked all the same) and the bounce check is left out.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofcopy/lib.sh

bounce=0
grep -qw 'swiotlb=force' /proc/cmdline && bounce=1
[ $bounce = 1 ] ||
	log "no swiotlb=force: direct mappings (selftests/run 'ofcopy/swiotlb.sh [swiotlb=force]' bounces them)"
ktap_header $((7 + bounce))
ofcopy_setup
mb=$((OFCOPY_MB < 256 ? OFCOPY_MB : 256))
chans=$(sed 's/^dma[0-9]*chan//' "$OFCOPY_DBG/channels" | tr '\n' ' ')

# xfer_ok PORT: mb MiB through an ofcopy socket, sha256 equal on both ends.
xfer_ok() {
	ofcopy_xfer_run "$1" "$mb" --ulp &&
		[ "$(xfer_field sha256)" = "$XFER_TX" ] &&
		[ "$(xfer_field bytes)" = $((mb << 20)) ]
}

# inject_loop KIND: arm KIND on every ofcopy channel, 20 times a second.
inject_loop() {
	local c i
	sleep 1
	for ((i = 0; i < 600; i++)); do
		for c in $chans; do
			echo "$c $1" >"$(ofdma_dbg inject)" 2>/dev/null
		done
		sleep 0.05
	done
}

d0=$(ofcopy_stat bytes_dma)
check "$mb MiB through the engine: sha256 equal" xfer_ok 5420
check "the engine copied most of it" \
	test $((($(ofcopy_stat bytes_dma) - d0) * 2)) -gt $((mb << 20))

# injected_xfer KIND COUNTER PORT WHAT: a transfer while KIND is injected;
# intact, and COUNTER (the fallback it forces) grew.
injected_xfer() {
	local c0 inj
	c0=$(ofcopy_stat "$2")
	inject_loop "$1" &
	inj=$!
	check "$mb MiB with $4: sha256 equal" xfer_ok "$3"
	kill $inj 2>/dev/null
	wait $inj 2>/dev/null
	log "$2: $(($(ofcopy_stat "$2") - c0))"
	check "the CPU took over ($2 grew)" test "$(ofcopy_stat "$2")" -gt "$c0"
}
injected_xfer full fallback_ring_full 5421 "descriptors refused"
injected_xfer next fallback_dma_error 5422 "DMA errors"
grep -E 'fallback|bytes' "$OFCOPY_DBG/stats" | sed 's/^/# /'
ofcopy_teardown
[ $bounce = 1 ] && check "swiotlb was in use" sh -c 'dmesg | grep -qi "software IO TLB"'
check "no kernel warnings" dmesg_clean
ktap_finish
