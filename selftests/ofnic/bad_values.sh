#!/bin/bash
# Out-of-range ethtool (and MTU) values are refused with EINVAL (or
# EOPNOTSUPP) and, where ethtool goes over netlink (-G, -L, -C), with the
# driver's or the core's extack message; a refused request changes nothing,
# even when it also carries valid values; afterwards everything reads back as
# before and traffic still flows intact.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

setup_pair
ktap_header 35

# refused PATTERN COMMAND...: COMMAND fails and its output matches PATTERN
# (extended regex, case-insensitive).
refused() {
	local pat=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	local cmd="$*"
	log "${cmd/#$ETHTOOL/ethtool}: rc $rc: $(echo $out)"
	[ $rc -ne 0 ] && echo "$out" | grep -qiE "$pat"
}
state() {	# everything the refused requests could have changed
	$ETHTOOL --json -g "$LOCAL_IF" | tr -d ' \n' | grep -o '"rx":[0-9]*,"tx":[0-9]*'
	ethtool -l "$LOCAL_IF" | awk '/^Current/ { c = 1 } c && /^Combined:/ { print $2 }'
	ethtool -x "$LOCAL_IF" | grep -v '^RX flow hash'
	ethtool -n "$LOCAL_IF" rx-flow-hash tcp4
	$ETHTOOL --json -c "$LOCAL_IF" | tr -d ' \n'
	echo
	ip -br link show "$LOCAL_IF" | awk '{ print $1 }'
	ip link show "$LOCAL_IF" | grep -o 'mtu [0-9]*'
	ethtool -k "$LOCAL_IF"
}
unchanged() {	# unchanged WHAT: state equals the saved one
	local now
	now=$(state)
	[ "$now" = "$SAVED" ] && return 0
	log "$1 changed:"
	diff <(echo "$SAVED") <(echo "$now") | sed 's/^/# /'
	return 1
}

max=$(ethtool -l "$LOCAL_IF" | awk '/^Pre-set/ { p = 1 } p && /^Combined:/ { print $2; exit }')
cur=$(ethtool -l "$LOCAL_IF" | awk '/^Current/ { c = 1 } c && /^Combined:/ { print $2 }')
itr=1
ethtool -C "$LOCAL_IF" rx-usecs 0 2>&1 | grep -qi 'not supported' && itr=0
rss=1
[ "${max:-1}" -ge 2 ] || rss=0
SAVED=$(state)
log "queues: $cur of $max; ITR: $itr; RSS: $rss"

# ring sizes (driver: power of two 64..4096; core: max from get_ringparam)
check "-G rx 100 (not a power of two) refused, with the reason" \
	refused 'ofnic: RX ring size 100: must be a power of two from 64 to 4096' $ETHTOOL -G "$LOCAL_IF" rx 100
check "-G rx 8192 (above the maximum) refused, with the reason" \
	refused 'exceeds maximum' $ETHTOOL -G "$LOCAL_IF" rx 8192
check "-G tx 32 (below the minimum) refused, with the reason" \
	refused 'TX ring size 32: must be a power of two from 64' $ETHTOOL -G "$LOCAL_IF" tx 32
check "-G tx 256 rx 100 (one valid, one not) refused" \
	refused 'Invalid argument' $ETHTOOL -G "$LOCAL_IF" tx 256 rx 100
check "-G rx-buf-len 2048 refused" refused 'not supported|Invalid argument|fixed' \
	$ETHTOOL -G "$LOCAL_IF" rx-buf-len 2048
check "ring sizes unchanged" unchanged "rings"

# channels
check "-L combined 0 refused, with the reason" \
	refused 'no RX or TX channel' $ETHTOOL -L "$LOCAL_IF" combined 0
check "-L combined $((max + 1)) (above the maximum) refused, with the reason" \
	refused 'exceeds maximum' $ETHTOOL -L "$LOCAL_IF" combined $((max + 1))
check "-L rx 1 (no separate RX channels) refused" \
	refused 'exceeds maximum|Invalid argument|not supported' $ETHTOOL -L "$LOCAL_IF" rx 1
check "channels unchanged ($cur)" unchanged "channels"

# RSS: ioctl (no extack in 6.12): Invalid argument / Operation not supported
if [ $rss = 1 ]; then
	check "-X equal $((cur + 1)) (past the queue count) refused" \
		refused 'Invalid argument' $ETHTOOL -X "$LOCAL_IF" equal $((cur + 1))
	w=$(printf '1 %.0s' $(seq 0 "$cur"))
	check "-X weight with $((cur + 1)) queues refused" \
		refused 'Invalid argument' $ETHTOOL -X "$LOCAL_IF" weight $w
	check "-X hkey of 20 bytes refused" refused 'too short|size|length|Invalid' \
		$ETHTOOL -X "$LOCAL_IF" hkey 01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f:10:11:12:13:14
	check "-X hfunc xor (only Toeplitz) refused" \
		refused 'not supported|Invalid argument' $ETHTOOL -X "$LOCAL_IF" hfunc xor
	check "-N rx-flow-hash tcp4 s (half a tuple) refused" \
		refused 'Invalid argument' $ETHTOOL -N "$LOCAL_IF" rx-flow-hash tcp4 s
	check "-N rx-flow-hash tcp4 sdf (3 fields) refused" \
		refused 'Invalid argument' $ETHTOOL -N "$LOCAL_IF" rx-flow-hash tcp4 sdf
	check "RSS table, key and hash fields unchanged" unchanged "RSS"
else
	for i in 1 2 3 4 5 6 7; do
		ktap_skip "RSS bad value ($i)" "one queue only: no RSS to configure"
	done
fi

# interrupt moderation
if [ $itr = 1 ]; then
	check "-C rx-usecs 70000 refused, with the reason" \
		refused 'at most 65535' $ETHTOOL -C "$LOCAL_IF" rx-usecs 70000
	check "-C rx-frames 10 tx-frames 100000 (one valid) refused" \
		refused 'at most 65535' $ETHTOOL -C "$LOCAL_IF" rx-frames 10 tx-frames 100000
	check "-C rx-usecs-irq 5 (not supported) refused" \
		refused 'unsupported parameter|not supported' $ETHTOOL -C "$LOCAL_IF" rx-usecs-irq 5
	check "coalescing unchanged" unchanged "coalescing"
else
	for i in 1 2 3 4; do
		ktap_skip "ITR bad value ($i)" "the device has no interrupt moderation"
	done
fi

# MTU: 68..9000
check "MTU 9001 refused" refused 'greater than device maximum|Invalid' \
	ip link set "$LOCAL_IF" mtu 9001
check "MTU 67 refused" refused 'less than device minimum|Invalid' \
	ip link set "$LOCAL_IF" mtu 67
check "MTU unchanged" unchanged "MTU"

# features the device cannot change
check "-K tx-checksum-ipv4 on (fixed) not done" \
	sh -c "ethtool -K $LOCAL_IF tx-checksum-ipv4 on >/dev/null 2>&1; ethtool -k $LOCAL_IF | grep -q '^	tx-checksum-ipv4: off \[fixed\]'"
check "-K rx-fcs on (not offered) not done" \
	sh -c "ethtool -K $LOCAL_IF rx-fcs on >/dev/null 2>&1; ethtool -k $LOCAL_IF | grep -q '^rx-fcs: off \[fixed\]'"
check "features unchanged" unchanged "features"

# tcp-data-split: on a device without HDS it must be refused; with HDS a
# refused -G (bad ring size) must not switch it either
if $ETHTOOL --json -g "$LOCAL_IF" | grep -q '"tcp-data-split": "off"'; then
	check "-G tcp-data-split on rx 100 refused as a whole" \
		refused 'power of two' $ETHTOOL -G "$LOCAL_IF" tcp-data-split on rx 100
	check "... tcp-data-split still off" \
		sh -c "$ETHTOOL --json -g $LOCAL_IF | grep -q '\"tcp-data-split\": \"off\"'"
else
	check "-G tcp-data-split on refused (no HDS)" \
		refused 'cannot split headers|not supported' $ETHTOOL -G "$LOCAL_IF" tcp-data-split on
	ktap_skip "... tcp-data-split still off" "the device has no HDS"
fi

check "everything reads back as before" unchanged "state"
check "ping both ways" sh -c "ping -c 2 -i 0.2 -W 2 $PEER_IP >/dev/null &&
	ip netns exec peer ping -c 2 -i 0.2 -W 2 $LOCAL_IP >/dev/null"
check "4 MiB local -> peer intact (sha256)" xfer_sha256 local 4
check "4 MiB peer -> local intact (sha256)" xfer_sha256 peer 4
check "the device saw no guest error (hw_err_count 0)" \
	test "$(ethtool_stat "$LOCAL_IF" hw_err_count)" -eq 0
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
