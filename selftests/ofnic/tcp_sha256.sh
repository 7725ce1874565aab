#!/bin/bash
# A TCP transfer between the two ports arrives intact: the sha256 computed by
# the receiver equals the sender's. Size: OFNIC_XFER_MB (default 1024 MiB).
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

MB=${OFNIC_XFER_MB:-1024}
ktap_header 3
setup_pair
tmp=$(mktemp -d)
ip netns exec peer socat -u TCP-LISTEN:5001,reuseaddr - |
	sha256sum | cut -d' ' -f1 >"$tmp/rx" &
rx=$!
wait_for "ip netns exec peer ss -ltn | grep -q :5001" 10 || die "receiver not listening"
start=$(date +%s.%N)
# The data: a reproducible pseudo-random stream, hashed as it is sent.
head -c $((MB * 1024 * 1024)) /dev/urandom | tee >(sha256sum | cut -d' ' -f1 >"$tmp/tx") |
	socat -u - TCP:$PEER_IP:5001
send_rc=$?
wait $rx
end=$(date +%s.%N)
# the sender's hash is written by a process substitution nobody waits for
wait_for "[ -s '$tmp/tx' ]" 30
awk -v s="$start" -v e="$end" -v mb="$MB" 'BEGIN {
	printf "# sent %d MiB in %.1f s: %.0f Mbit/s (including hashing)\n",
		mb, e - s, mb * 8.388608 / (e - s) }'
log "tx sha256 $(cat "$tmp/tx")"
log "rx sha256 $(cat "$tmp/rx")"
check "sender finished" test $send_rc -eq 0
check "receiver got data" test -s "$tmp/rx"
check "sha256 equal on both ends" test "$(cat "$tmp/tx")" = "$(cat "$tmp/rx")"
teardown_pair
ktap_finish
