#!/bin/bash
# Where ofdma.ko runs its clients' callbacks: only in the channel's tasklet,
# never in a thread that polls with tx_status, and never after
# dmaengine_terminate_sync() returned. The debugfs "cbcheck" client does, on
# each channel: 64 copies with callbacks and no interrupt flag, the last one
# polled until it completes (so the polling thread's tx_status is what finds
# them done), then 64 copies with interrupts, terminated at once.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofdma/lib.sh

load_ofdma || die "insmod ofdma failed"
mapfile -t chans < <(ofdma_chans)
ktap_header $((${#chans[@]} * 2 + 1))
# cb_field LINE NAME: the value after NAME in a cbcheck result line.
cb_field() {
	echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}
for ((c = 0; c < ${#chans[@]}; c++)); do
	echo "$c 64" >"$(ofdma_dbg cbcheck)" || log "cbcheck on channel $c failed"
	r=$(cat "$(ofdma_dbg cbcheck)")
	log "$r"
	check "chan $c: the 64 callbacks ran, none in process context (the poller's tx_status)" \
		test "$(cb_field "$r" callbacks)" = 64 -a "$(cb_field "$r" in_task)" = 0
	check "chan $c: no callback running or starting after terminate_sync returned" \
		test "$(cb_field "$r" running_after_sync)" = 0 -a "$(cb_field "$r" late)" = 0
done
unload_ofdma
check "no kernel warnings" dmesg_clean
ktap_finish
