#!/bin/bash
# A read waiting for an engine that stopped ("inject CHAN stall": ofdma rings
# no doorbell until the next terminate_all), with timeout_ms at its maximum,
# 10000, and one channel shared by the sockets:
#  - SIGKILL ends the wait at once: the reader is gone within 3 s, and the
#    channel works again after its reset;
#  - a second socket whose batch is stuck behind the first one's is woken by
#    the first one's reset: it resumes with the first, not timeout_ms after
#    its own batch started, and its data is intact.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofcopy/lib.sh

ktap_header 6
ofcopy_setup channels=1
echo 10000 >/sys/module/ofcopy/parameters/timeout_ms
ch=$(sed 's/^dma[0-9]*chan//' "$OFCOPY_DBG/channels")
[ -n "$ch" ] || die "ofcopy holds no channel"
stall() { echo "$ch stall" >"$(ofdma_dbg inject)"; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }	# elapsed START: seconds since START

# 1. SIGKILL while the reader waits for the engine.
dma0=$(ofcopy_stat bytes_dma)
"$XFER" recv 5450 --ulp >/dev/null 2>&1 &
rx=$!
wait_for "ss -Hltn 'sport = :5450' | grep -q ." 10 || die "receiver not listening"
ip netns exec peer "$XFER" send "$LOCAL_IP" 5450 4096 >/dev/null 2>&1 &
tx=$!
wait_for "[ \$(ofcopy_stat bytes_dma) -gt $((dma0 + (16 << 20))) ]" 60 ||
	log "the transfer did not get going"
stall
# stuck: waiting (D) with no DMA progress over a second; every batch's normal
# wait is D too. Polled, as a loaded host may take a while to get there.
reader_state() { awk '{ print $3 }' "/proc/$rx/stat" 2>/dev/null; }
stuck() {
	local b
	b=$(ofcopy_stat bytes_dma)
	sleep 1
	[ "$(reader_state)" = D ] && [ "$(ofcopy_stat bytes_dma)" = "$b" ]
}
wait_for stuck 5
state=$(reader_state)
log "reader state after the stall: $state"
check "the reader is stuck waiting (state D)" test "$state" = D
t0=$(now)
kill -KILL $rx
wait $rx 2>/dev/null
t=$(elapsed "$t0")
log "SIGKILL took $t s"
check "SIGKILL ended the wait within 3 s (timeout_ms 10000)" test "$(echo "$t < 3" | bc)" = 1
kill $tx 2>/dev/null
wait $tx 2>/dev/null
ofcopy_xfer_run 5451 64 --ulp
check "64 MiB through the channel after its reset, sha256 equal" \
	test "$(xfer_field sha256)" = "$XFER_TX" -a "$(xfer_field bytes)" = $((64 << 20))

# 2. Two sockets on the stalled channel: the second is woken by the first's reset.
rm -f "$OFNIC_TMP/a.rx" "$OFNIC_TMP/b.rx"
"$XFER" recv 5452 --ulp >"$OFNIC_TMP/a.rx" 2>/dev/null &
ra=$!
"$XFER" recv 5453 --ulp >"$OFNIC_TMP/b.rx" 2>/dev/null &
rb=$!
wait_for "ss -Hltn 'sport = :5453' | grep -q ." 10 || die "receivers not listening"
ip netns exec peer "$XFER" send "$LOCAL_IP" 5452 64 >"$OFNIC_TMP/a.tx" 2>/dev/null &
ta=$!
dma0=$(ofcopy_stat bytes_dma)
wait_for "[ \$(ofcopy_stat bytes_dma) -gt $((dma0 + (8 << 20))) ]" 60 ||
	log "the first transfer did not get going"
stall
t0=$(now)
sleep 4
# B's first batch now waits behind A's stuck one; A's timeout comes at about
# 10 s, B's own would come at about 14 s.
ip netns exec peer "$XFER" send "$LOCAL_IP" 5453 4 >"$OFNIC_TMP/b.tx" 2>/dev/null
tb=$(elapsed "$t0")
wait $ta $ra $rb
log "A: $(cat "$OFNIC_TMP/a.rx"); B: $(cat "$OFNIC_TMP/b.rx"); B done $tb s after the stall"
sha_ok() {	# sha_ok RX TX: the receiver's sha256 is the sender's
	[ "$(awk '{ for (i = 1; i < NF; i++) if ($i == "sha256") print $(i + 1) }' "$1")" = "$(cat "$2")" ]
}
check "both transfers intact" sh -c "$(declare -f sha_ok); sha_ok $OFNIC_TMP/a.rx $OFNIC_TMP/a.tx && sha_ok $OFNIC_TMP/b.rx $OFNIC_TMP/b.tx"
check "B resumed with A's reset (done within 13 s of the stall, its own timeout would be 14 s)" \
	test "$(echo "$tb < 13" | bc)" = 1
echo 2000 >/sys/module/ofcopy/parameters/timeout_ms
ofcopy_teardown
check "no kernel warnings" dmesg_clean
ktap_finish
