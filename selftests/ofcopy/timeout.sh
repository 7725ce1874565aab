#!/bin/bash
# timeout_ms, how long a reader waits for the engine with its socket locked:
# bounded to 1..10000 ms through the module parameter and through the ofcopy
# netlink family (out of range: refused with an extack message, nothing
# changes). Then a timeout's reset of a channel shared by two sockets: with
# one channel and timeout_ms=1, batches of two transfers running at once time
# out and reset the channel under each other again and again; every batch a
# reset drops is re-copied by the CPU, and both sha256 still match.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofcopy/lib.sh

command -v jq >/dev/null || skip_all "jq is not installed (scripts/setup)"
LSRC=$(scripts/linux-src) || die "scripts/linux-src failed"
# ynl ARGS...: ynl on the ofcopy spec, JSON output, error text on stdout too.
ynl() {
	timeout 120 /usr/bin/python3 "$LSRC/tools/net/ynl/cli.py" --spec include/uapi/ofcopy.yaml \
		--no-schema --output-json "$@" 2>&1
}

ktap_header 11
ofcopy_setup channels=1
P=/sys/module/ofcopy/parameters/timeout_ms
check "module parameter refuses 0" sh -c "! echo 0 >$P 2>/dev/null"
check "module parameter refuses 10001" sh -c "! echo 10001 >$P 2>/dev/null"
out=$(ynl --do config-set --json '{"timeout-ms": 0}')
log "$out"
check "netlink refuses timeout-ms 0 with a message" grep -q "out of range" <<<"$out"
out=$(ynl --do config-set --json '{"timeout-ms": 10001, "copybreak": 20000}')
log "$out"
check "netlink refuses timeout-ms 10001 with a message" grep -q "out of range" <<<"$out"
check "nothing changed (timeout 2000, copybreak 16384)" \
	test "$(cat $P)" = 2000 -a "$(cat /sys/module/ofcopy/parameters/copybreak)" = 16384
ynl --do config-set --json '{"timeout-ms": 1}' >/dev/null
check "netlink sets timeout-ms 1; config-get reports it" \
	test "$(cat $P)" = 1 -a "$(ynl --do config-get | jq '."timeout-ms"')" = 1

mb=$((OFCOPY_MB < 256 ? OFCOPY_MB : 256))
# pair_run PORT: mb MiB from the peer to an ofcopy socket; true if the
# receiver's sha256 and byte count match the sender's.
pair_run() {
	local port=$1 rx tx
	"$XFER" recv "$port" --ulp >"$OFNIC_TMP/$port.rx" 2>"$OFNIC_TMP/$port.err" &
	rx=$!
	wait_for "ss -Hltn 'sport = :$port' | grep -q ." 10 || return 1
	tx=$(ip netns exec peer timeout $((120 + 2 * mb)) "$XFER" send "$LOCAL_IP" "$port" "$mb")
	wait $rx || return 1
	log "receiver $port: $(cat "$OFNIC_TMP/$port.rx")"
	awk -v h="$tx" -v n=$((mb << 20)) '{
		for (i = 1; i < NF; i++) {
			if ($i == "sha256") s = $(i + 1)
			if ($i == "bytes") b = $(i + 1)
		}
	} END { exit !(s == h && b == n) }' "$OFNIC_TMP/$port.rx"
}
t0=$(ofcopy_stat fallback_timeout)
pair_run 5440 &
p1=$!
pair_run 5441 &
p2=$!
check "first of two transfers at once on one channel, timeout 1 ms: sha256 equal" wait $p1
check "second: sha256 equal" wait $p2
log "fallback_timeout: $(($(ofcopy_stat fallback_timeout) - t0))"
grep -E 'fallback|bytes' "$OFCOPY_DBG/stats" | sed 's/^/# /'
check "batches timed out and were re-copied (fallback_timeout grew)" \
	test "$(ofcopy_stat fallback_timeout)" -gt "$t0"
echo 2000 >$P
check "timeout_ms back to 2000" test "$(cat $P)" = 2000
ofcopy_teardown
check "no kernel warnings" dmesg_clean
ktap_finish
