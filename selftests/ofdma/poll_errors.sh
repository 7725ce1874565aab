#!/bin/bash
# A polled client (dma_sync_wait()/tx_status, no callback) must never be told
# that a failed copy succeeded, however many errors come after it. The driver's
# debugfs "pollcheck" is that client: it takes one channel as a private client,
# makes one 64-byte copy per letter of a pattern (g: good, f: the fault
# injector spoils it as "CHAN next" does), each waited for by polling, then
# asks tx_status about every cookie again and compares the data.
#
# Expected, from the pattern alone: every f copy fails (DMA_ERROR when polled
# and later, nothing copied); every g copy completes and copies. Later, a g
# copy reads DMA_COMPLETE, except inside the span of error ranges pushed out
# of the channel's ring (more than "ring" separate runs of f): the driver then
# answers DMA_ERROR for the whole span from the first pushed-out range to the
# last (a false error is safe, a false success is not; kmod/ofdma/ofdma_main.c).
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofdma/lib.sh

rep() {	# rep N STRING: STRING N times
	local i s=
	for ((i = 0; i < $1; i++)); do s+=$2; done
	echo "$s"
}

# expect PATTERN RING: "i kind polled P now N data D" per copy, as the rule says.
expect() {
	awk -v p="$1" -v r="$2" 'BEGIN {
		n = length(p); runs = 0
		for (i = 1; i <= n; i++) {
			k = substr(p, i, 1)
			if (k != "f")
				continue
			if (i == 1 || substr(p, i - 1, 1) != "f")
				lo[++runs] = i
			hi[runs] = i
		}
		out = runs - r	# ranges pushed out of the ring
		for (i = 1; i <= n; i++) {
			k = substr(p, i, 1)
			bad = k == "f"
			now = bad || (out > 0 && i >= lo[1] && i <= hi[out])
			printf "%d %s polled %s now %s data %s\n", i - 1, k,
				bad ? "error" : "complete", now ? "error" : "complete",
				bad ? "not-copied" : "copied"
		}
	}'
}

scenarios=(
	"two back-to-back errors:gffg"
	"two errors, a good copy between:gfgfg"
	"20 back-to-back errors:g$(rep 20 f)g"
	"20 separate errors (more than the ring holds):gg$(rep 20 fg)g"
	"19 error ranges, the first and last copies among them:$(rep 18 fgg)f"
)
ktap_header $((2 * ${#scenarios[@]} + 4))
load_ofdma || die "insmod ofdma failed"
mapfile -t chans < <(ofdma_chans)
c=$((${#chans[@]} - 1))
pc=$(ofdma_dbg pollcheck)
[ -e "$pc" ] || die "no $pc"

nf=0
e0=$(ofdma_stat $c errors)
r0=$(ofdma_stat $c recoveries)
for s in "${scenarios[@]}"; do
	name=${s%%:*}
	pat=${s#*:}
	f=${pat//g/}
	nf=$((nf + ${#f}))
	log "$name: $pat"
	if ! echo "$c $pat" >"$pc"; then
		check "$name: pollcheck ran" false
		check "$name: re-polled: failed read DMA_ERROR, good DMA_COMPLETE" false
		continue
	fi
	ring=$(awk 'NR == 1 && $5 == "ring" { print $6 }' "$pc")
	[ -n "$ring" ] || die "no ring size in $(head -n 1 "$pc")"
	got=$(awk 'NR > 1 { $3 = $4 = ""; print }' "$pc" | tr -s ' ')
	want=$(expect "$pat" "$ring")
	# when polled to completion: status and data of each copy
	bad=$(diff <(echo "$want" | cut -d' ' -f1-4,7-) <(echo "$got" | cut -d' ' -f1-4,7-))
	[ -z "$bad" ] || echo "$bad" | sed 's/^/# /'
	check "$name: each copy polled to completion: f DMA_ERROR and not copied, g DMA_COMPLETE and copied" \
		test -z "$bad"
	# asked again after all of them: the driver's error record
	bad=$(diff <(echo "$want" | cut -d' ' -f1,2,5,6) <(echo "$got" | cut -d' ' -f1,2,5,6))
	[ -z "$bad" ] || echo "$bad" | sed 's/^/# /'
	log "re-polled DMA_ERROR: $(echo "$got" | awk '$6 == "error"' | wc -l) of ${#pat}"
	check "$name: re-polled: failed read DMA_ERROR, good DMA_COMPLETE (pushed-out span: DMA_ERROR)" \
		test -z "$bad"
done

check "every spoiled copy counted as an error and a recovery ($nf)" \
	test "$(ofdma_stat $c errors)" -eq $((e0 + nf)) -a \
	"$(ofdma_stat $c recoveries)" -eq $((r0 + nf))
ok=1
for bad in "$c x" "$c gfx" "${#chans[@]} g" "$c" "$c $(rep 65 g)" "$c g g"; do
	if echo "$bad" >"$pc" 2>/dev/null; then
		log "accepted: '$bad'"
		ok=0
	fi
done
check "bad requests refused (letters, channel, length)" test $ok -eq 1
check "channel state idle, not in use" \
	test "$(ofdma_stat $c state)" = idle -a "$(ofdma_stat $c in_use)" -eq 0
check "no kernel warnings" dmesg_clean
ktap_finish
