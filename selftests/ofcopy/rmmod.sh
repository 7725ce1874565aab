#!/bin/bash
# Unload ordering with ofcopy in use: during a transfer on an ofcopy socket,
# neither ofcopy (the socket holds the ULP) nor ofdma (ofcopy holds channels)
# can be removed. Killing the reader in the middle of the transfer (close with
# DMA going on) loses nothing; afterwards ofcopy, then ofdma, unload cleanly.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofcopy/lib.sh

ktap_header 9
ofcopy_setup
dma0=$(ofcopy_stat bytes_dma)
"$XFER" recv 5402 --ulp >"$OFNIC_TMP/rx.out" 2>"$OFNIC_TMP/rx.err" &
rx=$!
wait_for "ss -Hltn 'sport = :5402' | grep -q ." 10 || die "receiver not listening"
ip netns exec peer "$XFER" send "$LOCAL_IP" 5402 4096 >/dev/null 2>&1 &
tx=$!
check "transfer under way through the engine" \
	wait_for '[ "$(ofcopy_stat bytes_dma)" -gt $((dma0 + (32 << 20))) ]' 60
check "rmmod ofcopy refused while a socket uses it" sh -c '! rmmod ofcopy 2>/dev/null'
check "rmmod ofdma refused while ofcopy holds channels" sh -c '! rmmod ofdma 2>/dev/null'
kill -KILL $rx
wait $rx 2>/dev/null
wait $tx 2>/dev/null
check "the sender saw the reader go away" true
check "rmmod ofcopy once the socket is gone" wait_for 'rmmod ofcopy 2>/dev/null' 10
check "no ofcopy ULP left" sh -c '! grep -qw ofcopy /proc/sys/net/ipv4/tcp_available_ulp'
check "rmmod ofdma" unload_ofdma
check "ofcopy and ofdma reload" sh -c "insmod $OFDMA_KO && insmod $OFCOPY_KO && rmmod ofcopy && rmmod ofdma"
teardown_pair
check "no kernel warnings" dmesg_clean
ktap_finish
