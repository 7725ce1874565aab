#!/bin/bash
# Shared helpers of the ofcopy selftests (inside the VM, run by selftests/run):
# the ofnic pair (selftests/ofnic/lib.sh), ofdma (selftests/ofdma/lib.sh), and
# 1 GiB transfers whose sha256 must match through the ofcopy receive path.
source selftests/ofdma/lib.sh

OFCOPY_KO=${OFCOPY_KO:-kmod/ofcopy/ofcopy.ko}
XFER=build/userspace/ofcopy/ofcopy_xfer
PRELOAD=$OFNIC_TOP/build/userspace/ofcopy/libofcopy_preload.so
# sha256_read.sh moves 1 GiB; the other read patterns (the same receive path
# read another way) 256 MiB, so that make check stays within its hour.
OFCOPY_MB=${OFNIC_OFCOPY_MB:-${OFCOPY_PATTERN_MB:-1024}}
OFCOPY_DBG=/sys/kernel/debug/ofcopy

load_ofcopy() {
	lsmod | grep -q '^ofcopy ' && return 0
	insmod "$OFCOPY_KO" "$@"
}

unload_ofcopy() {
	lsmod | grep -q '^ofcopy ' || return 0
	rmmod ofcopy
}

# ofcopy_stat NAME: one counter of /sys/kernel/debug/ofcopy/stats.
ofcopy_stat() {
	awk -v k="$1" '$1 == k { print $2 }' "$OFCOPY_DBG/stats"
}

# ofcopy_setup [ofcopy params]: ofdma + ofcopy + the ofnic pair.
ofcopy_setup() {
	[ -x "$XFER" ] || die "$XFER missing: build it (make userspace)"
	load_ofdma || die "insmod ofdma failed"
	load_ofcopy "$@" || die "insmod ofcopy failed"
	setup_pair
}

ofcopy_teardown() {
	ip netns del peer 2>/dev/null
	unload_ofcopy
	unload_ofdma
	unload_ofnic
}

XFER_LINE=""
# ofcopy_xfer_run PORT MB RECV-ARGS...: the peer sends MB MiB to a receiver here
# (RECV-ARGS: ofcopy_xfer recv options; "preload" first: enable ofcopy with
# LD_PRELOAD instead of --ulp). Sets XFER_LINE (the receiver's report) and
# XFER_TX (the sender's sha256). True if both ran.
ofcopy_xfer_run() {
	local port=$1 mb=$2 pre=() rxpid
	shift 2
	if [ "${1:-}" = preload ]; then
		pre=(env LD_PRELOAD="$PRELOAD" OFCOPY_PORTS="$port" OFCOPY_DEBUG=1)
		shift
	fi
	rm -f "$OFNIC_TMP/rx.out"
	timeout $((120 + 2 * mb)) "${pre[@]}" "$XFER" recv "$port" "$@" \
		>"$OFNIC_TMP/rx.out" 2>"$OFNIC_TMP/rx.err" &
	rxpid=$!
	wait_for "ss -Hltn 'sport = :$port' | grep -q ." 10 || { log "receiver not listening"; return 1; }
	XFER_TX=$(ip netns exec peer timeout $((120 + 2 * mb)) "$XFER" send "$LOCAL_IP" "$port" "$mb" \
		"${XFER_PAUSE_US:-0}")
	wait $rxpid || { log "receiver failed: $(cat "$OFNIC_TMP/rx.err")"; return 1; }
	XFER_LINE=$(cat "$OFNIC_TMP/rx.out")
	log "receiver: $XFER_LINE"
	grep -v listening "$OFNIC_TMP/rx.err" | sed 's/^/# /'
	[ -n "$XFER_TX" ] && [ -n "$XFER_LINE" ]
}

xfer_field() {	# xfer_field NAME: a field of XFER_LINE
	echo "$XFER_LINE" | awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}

# ofcopy_pattern_test PATTERN EXPECT: the standard 1 GiB test of one read
# pattern. EXPECT: dma (most bytes by the engine) or a fallback counter that
# must grow (the pattern is served by tcp_recvmsg).
ofcopy_pattern_test() {
	local pattern=$1 expect=$2 mb=$OFCOPY_MB
	local dma0 cpu0 base0 fb0 dma cpu base
	local n=6
	[ "$pattern" = signal ] && n=7
	ktap_header $n
	ofcopy_setup
	check "ofcopy holds DMA channels" grep -q dma "$OFCOPY_DBG/channels"
	dma0=$(ofcopy_stat bytes_dma)
	cpu0=$(ofcopy_stat bytes_cpu)
	base0=$(ofcopy_stat bytes_fallback_recvmsg)
	[ "$expect" = dma ] || fb0=$(ofcopy_stat "$expect")
	check "$mb MiB, pattern $pattern: transfer ran" \
		ofcopy_xfer_run 5401 "$mb" --ulp --pattern "$pattern"
	check "socket had the ofcopy ULP" test "$(xfer_field ulp)" = ofcopy
	check "sha256 equal on both ends ($(xfer_field bytes) bytes)" \
		test "$(xfer_field sha256)" = "$XFER_TX" -a "$(xfer_field bytes)" = $((mb << 20))
	dma=$(($(ofcopy_stat bytes_dma) - dma0))
	cpu=$(($(ofcopy_stat bytes_cpu) - cpu0))
	base=$(($(ofcopy_stat bytes_fallback_recvmsg) - base0))
	log "bytes by DMA $dma, by CPU on the offload path $cpu, by tcp_recvmsg $base"
	sed 's/^/# /' "$OFCOPY_DBG/stats" | grep -v ' 0$'
	if [ "$pattern" = signal ]; then
		check "timer signals arrived during the reads ($(xfer_field alarms), EINTR $(xfer_field eintr))" \
			test "$(xfer_field alarms)" -gt 100
	fi
	if [ "$expect" = dma ]; then
		check "most bytes copied by the engine" test $((dma * 2)) -gt $((mb << 20))
	else
		check "served by tcp_recvmsg ($expect grew)" \
			test "$(ofcopy_stat "$expect")" -gt "$fb0" -a $((dma + cpu + base)) -ge $((mb << 20))
	fi
	ofcopy_teardown
	check "no kernel warnings" dmesg_clean
	ktap_finish
}
