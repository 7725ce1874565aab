#!/bin/bash
# Error injection and recovery: the driver's debugfs "inject" submits one
# descriptor the device must refuse (bad source, bad destination, zero length,
# reserved flag, overlap). Each time the descriptor fails with the right
# result, the channel is counted as halted and recovered, and works again
# (a good copy, then dmatest with verification on that channel).
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofdma/lib.sh

kinds=(src:read-failed dst:write-failed len:aborted flags:aborted overlap:aborted)
ktap_header $((3 * ${#kinds[@]} + 4))
load_ofdma || die "insmod ofdma failed"
chans=($(ofdma_chans))
c=$((${#chans[@]} - 1))
inj=$(ofdma_dbg inject)
for k in "${kinds[@]}"; do
	kind=${k%%:*}
	want=${k#*:}
	e0=$(ofdma_stat $c errors)
	r0=$(ofdma_stat $c recoveries)
	echo "$c $kind" >"$inj"
	got=$(cat "$inj")
	log "$got"
	check "$kind: descriptor fails with $want" \
		test "$got" = "chan $c kind $kind result $want"
	check "$kind: counted as an error and a recovery" \
		test "$(ofdma_stat $c errors)" -eq $((e0 + 1)) -a \
		"$(ofdma_stat $c recoveries)" -eq $((r0 + 1))
	echo "$c none" >"$inj"
	check "$kind: the recovered channel copies again" \
		test "$(cat "$inj")" = "chan $c kind none result ok"
done
check "channel state idle after recovery" test "$(ofdma_stat $c state)" = idle
dmatest_start iterations=200 channel="${chans[$c]}" timeout=5000
dmatest_wait
check "dmatest on the recovered channel: 0 failures" dmatest_ok 1 200
rmmod dmatest
check "other channels saw no error" \
	sh -c "! grep -E '^chan[0-$((c - 1))] errors [1-9]' $(ofdma_dbg stats)"
dmesg | grep -c 'halted: error' | sed 's/^/# halts logged: /'
check "no kernel warnings" dmesg_clean
ktap_finish
