#!/bin/bash
# DMA errors in the middle of ofcopy transfers: while 512 MiB flow through an
# ofcopy socket, the ofdma fault injector spoils one of ofcopy's descriptors
# again and again ("inject CHAN next": a bad source address), so the channel
# halts under a batch. Every such batch is copied again by the CPU
# (fallback_dma_error), the channels recover, and the sha256 still matches.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofcopy/lib.sh

ktap_header 5
ofcopy_setup
mb=${OFNIC_OFCOPY_ERR_MB:-512}
e0=$(ofcopy_stat fallback_dma_error)
chans=$(sed 's/^dma[0-9]*chan//' "$OFCOPY_DBG/channels" | tr '\n' ' ')
(
	sleep 2
	for ((i = 0; i < 40; i++)); do
		for c in $chans; do
			echo "$c next" >"$(ofdma_dbg inject)" 2>/dev/null
		done
		sleep 0.5
	done
) &
inj=$!
check "$mb MiB while the channels keep halting" ofcopy_xfer_run 5410 "$mb" --ulp
kill $inj 2>/dev/null
wait $inj 2>/dev/null
check "sha256 equal on both ends" \
	test "$(xfer_field sha256)" = "$XFER_TX" -a "$(xfer_field bytes)" = $((mb << 20))
errs=$(($(ofcopy_stat fallback_dma_error) - e0))
rec=0
for c in $chans; do rec=$((rec + $(ofdma_stat "$c" recoveries))); done
log "batches re-copied by the CPU after a DMA error: $errs; channel recoveries: $rec"
grep -E 'fallback|bytes' "$OFCOPY_DBG/stats" | sed 's/^/# /'
check "batches hit by an error were re-copied by the CPU" test "$errs" -gt 0 -a "$rec" -gt 0
check "the engine still did most of the work" \
	test $(($(ofcopy_stat bytes_dma) * 2)) -gt $((mb << 20))
ofcopy_teardown
check "no kernel warnings" dmesg_clean
ktap_finish
