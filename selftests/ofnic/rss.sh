#!/bin/bash
# Receive-side scaling on the local port: `ethtool -L combined 4`, `-x`
# (128-entry table, 40-byte key), `-X hkey|equal|weight|default`,
# `-n/-N rx-flow-hash`. Each round sends 16 TCP flows peer -> local from
# source ports chosen so that the default table spreads them 4 per queue; the
# receiver reads each flow's RX queue from its socket (SO_INCOMING_NAPI_ID,
# mapped to queues with the netdev family's queue-get), and the per-queue
# rxN_packets counters must agree. Every flow must land on the queue the
# Toeplitz hash of the key and the table predict (ofnic_net.py rss-check; its
# Toeplitz passes Microsoft's test vectors). Last, `-L combined 2` on the
# receiver (and 3 on the sender) while a TCP stream runs: the stream survives
# intact and the default table is respread.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

setup_pair
max=$(ethtool -l "$LOCAL_IF" | awk '/^Pre-set/ { p = 1 } p && /^Combined:/ { print $2; exit }')
[ "${max:-1}" -ge 4 ] ||
	skip_all "no RSS over 4 queues here (ethtool -l: max combined ${max:-?})"
ktap_header 49

feature_fixed_off "$LOCAL_IF" rx-gro-hw || quiet ethtool -K "$LOCAL_IF" rx-gro-hw off
IFINDEX=$(cat /sys/class/net/$LOCAL_IF/ifindex)
KEY1=$RSS_KEY_KNOWN
KEY2=3c:a1:d2:57:0e:f4:19:88:b6:23:7d:40:c5:9e:12:6b:f0:8a:33:d7:21:5c:e9:04:7b:b2:48:1f:a6:6d:93:c0:5e:0b:d4:71:28:af:e3:16

rss_key() {
	ethtool -x "$LOCAL_IF" | awk '/^RSS hash key:/ { getline; print; exit }'
}
rss_table() {
	$ETHTOOL --json -x "$LOCAL_IF" | tr -d ' \n' |
		sed -n 's/.*"rss-indirection-table":\[\([0-9,]*\)\].*/\1/p' | tr ',' ' '
}
default_table() {	# default_table N: ethtool_rxfh_indir_default() over N queues
	local i
	for ((i = 0; i < 128; i++)); do
		printf '%d ' $((i % $1))
	done | sed 's/ $//'
}
queues_json() {	# the RX queues' NAPI IDs (they change when the queues are rebuilt)
	ynl --dump queue-get --output-json >"$OFNIC_TMP/queues.json" 2>/dev/null
}
# per_queue_max_other: "busiest_queue its_delta sum_of_the_others" of rxN_packets
per_queue_busiest() {
	stats_per_queue "$RSS_B" "$RSS_A" 'rx%d_packets' |
		awk '{ s += $2; if ($2 > m) { m = $2; q = $1 } } END { print q, m, s - m }'
}
# queue_delta Q: rxQ_packets delta of the last round
queue_delta() {
	stats_per_queue "$RSS_B" "$RSS_A" 'rx%d_packets' | awk -v q="$1" '$1 == q { print $2 }'
}
# quiet_queues Q...: the queues Q got (almost) nothing in the last round
quiet_queues() {
	local q
	for q in "$@"; do
		[ "$(queue_delta "$q")" -le 5 ] || return 1
	done
}

combined_is() {	# combined_is N: ethtool -l's current combined count is N
	[ "$(ethtool -l "$LOCAL_IF" |
		awk '/^Current/ { c = 1 } c && /^Combined:/ { print $2 }')" = "$1" ]
}
all_queues_rose() {	# all_queues_rose N MIN: N queues' rxN_packets rose by MIN
	[ "$(stats_per_queue "$RSS_B" "$RSS_A" 'rx%d_packets' |
		awk -v m="$2" '$2 >= m' | wc -l)" -eq "$1" ]
}
table_kept() {	# the count is 4 and the table names queue 3 only
	combined_is 4 && [ "$(rss_table | tr ' ' '\n' | sort -u)" = 3 ]
}

RSS_PORT=8100
RSS_BASE=40000
FLOW_BYTES=131072
# rss_round FAMILY [--l3]: 16 flows (FLOWS) peer -> local; sets RSS (rss-check
# summary), RSS_B and RSS_A (stats before and after). PICK_KEY: the key the
# source ports are chosen with (default: the current key).
rss_round() {
	local fam=$1 l3=${2:-} port=$RSS_PORT src=$PEER_IP dst=$LOCAL_IP key reta spid
	local flows=${FLOWS:-16} queues=4 per=4
	RSS_PORT=$((RSS_PORT + 1))
	RSS_BASE=$((RSS_BASE + 1000))
	[ "$fam" = 6 ] && src=$PEER_IP6 dst=$LOCAL_IP6
	[ "$flows" = 1 ] && queues=1 per=1
	key=$(rss_key)
	reta=$(rss_table)
	$OFNIC_PY rss-server --bind "$dst" --port $port --conns "$flows" --timeout 60 \
		>"$OFNIC_TMP/server.out" &
	spid=$!
	wait_for "ss -Hltn 'sport = :$port' | grep -q ." 10
	RSS_B=$(stats_save "$LOCAL_IF")
	ip netns exec peer $OFNIC_PY rss-client --dst "$dst" --port $port \
		--key "${PICK_KEY:-$key}" --src "$src" --queues $queues --per-queue $per \
		--base $RSS_BASE --bytes $((FLOW_BYTES * ${FLOW_MULT:-1})) --parallel
	wait $spid
	RSS_A=$(stats_save "$LOCAL_IF")
	RSS=$($OFNIC_PY rss-check --key "$key" --reta "$reta" --src "$src" --dst "$dst" \
		--dport $port $l3 --server "$OFNIC_TMP/server.out" \
		--queues-json "$OFNIC_TMP/queues.json" --ifindex "$IFINDEX" \
		--bytes $((FLOW_BYTES * ${FLOW_MULT:-1})))
	RSS_FLOWS=$(echo "$RSS" | grep '^#')
	RSS=$(echo "$RSS" | grep -v '^#')
	log "round: $(echo $RSS); rxN_packets: $(stats_per_queue "$RSS_B" "$RSS_A" 'rx%d_packets' | tr '\n' ' ')"
	[ "$(kv "$RSS" mismatch)" = 0 ] || echo "$RSS_FLOWS"
	[ "$(kv "$RSS" flows)" = "$flows" ] && [ "$(kv "$RSS" short)" = 0 ]
}
predicted() {	# every flow on the queue RSS predicts
	[ "$(kv "$RSS" mismatch)" = 0 ]
}

check "toeplitz helper passes Microsoft's test vectors" quiet $OFNIC_PY toeplitz-selftest
check "ethtool -L combined 4" ethtool -L "$LOCAL_IF" combined 4
check "ethtool -l reports 4 combined channels" combined_is 4
check "ethtool -x: 128-entry table" test "$(rss_table | wc -w)" -eq 128
check "ethtool -x: 40-byte key" test "$(rss_key | tr ':' ' ' | wc -w)" -eq 40
check "default table spreads over the 4 queues (i % 4)" test "$(rss_table)" = "$(default_table 4)"
check "-X hkey sets a key" ethtool -X "$LOCAL_IF" hkey "$KEY1"
check "ethtool -x shows it" test "$(rss_key)" = "$KEY1"
queues_json
check "queue-get lists the 4 RX queues' NAPI IDs" \
	test "$($OFNIC_PY napi-map "$OFNIC_TMP/queues.json" "$IFINDEX" | wc -l)" -eq 4

check "16 flows: all complete, intact in length" rss_round 4
check "16 flows: spread over 4 RX queues (SO_INCOMING_NAPI_ID)" test "$(kv "$RSS" nqueues)" -eq 4
check "16 flows: each on the queue Toeplitz predicts" predicted
check "16 flows: every queue's rxN_packets rose" all_queues_rose 4 50

FLOWS=1 FLOW_MULT=8
check "1 flow (1 MiB): complete" rss_round 4
FLOWS=16 FLOW_MULT=1
read -r bq bn other < <(per_queue_busiest)
log "single flow: queue $bq got $bn frames, the others $other"
check "1 flow: one queue got it all (the others <= 5 frames)" test "$bn" -ge 500 -a "$other" -le 5
check "1 flow: that is the predicted queue" test "$(kv "$RSS" queues)" = "$bq" -a "$(kv "$RSS" mismatch)" = 0

check "-X equal 2" ethtool -X "$LOCAL_IF" equal 2
check "table now names queues 0-1 only" test "$(rss_table)" = "$(default_table 2)"
check "equal 2: 16 flows complete" rss_round 4
check "equal 2: confined to queues 0-1" test "$(kv "$RSS" queues)" = "0,1"
check "equal 2: each flow on the predicted queue" predicted
check "equal 2: queues 2-3 received nothing" quiet_queues 2 3

check "-X weight 1 0 0 0" ethtool -X "$LOCAL_IF" weight 1 0 0 0
check "weight 1 0 0 0: 16 flows complete" rss_round 4
check "weight 1 0 0 0: all on queue 0" test "$(kv "$RSS" queues)" = "0"
check "weight 1 0 0 0: queues 1-3 received nothing" quiet_queues 1 2 3

# The core refuses a queue count the user's table does not fit.
ethtool -X "$LOCAL_IF" weight 0 0 0 1 >/dev/null
check "with a table naming queue 3, -L combined 2 is refused" \
	sh -c "! ethtool -L $LOCAL_IF combined 2 2>/dev/null"
check "... the count stays 4 and the table is kept" table_kept
check "-X default" ethtool -X "$LOCAL_IF" default
check "table is i % 4 again" test "$(rss_table)" = "$(default_table 4)"

check "-N rx-flow-hash tcp4 sd (addresses only)" ethtool -N "$LOCAL_IF" rx-flow-hash tcp4 sd
check "-n rx-flow-hash tcp4 shows IP SA and DA, no port" \
	sh -c "ethtool -n $LOCAL_IF rx-flow-hash tcp4 | grep -q 'IP SA' &&
		ethtool -n $LOCAL_IF rx-flow-hash tcp4 | grep -q 'IP DA' &&
		! ethtool -n $LOCAL_IF rx-flow-hash tcp4 | grep -q 'L4 bytes'"
check "sd: 16 flows complete" rss_round 4 --l3
check "sd: all flows between the two hosts on one queue" test "$(kv "$RSS" nqueues)" -eq 1
check "sd: the queue the address hash predicts" predicted
check "-N rx-flow-hash tcp4 sdfn restores the 4-tuple" \
	sh -c "ethtool -N $LOCAL_IF rx-flow-hash tcp4 sdfn &&
		ethtool -n $LOCAL_IF rx-flow-hash tcp4 | grep -q 'L4 bytes 2 & 3'"

check "-X hkey: a new key" ethtool -X "$LOCAL_IF" hkey "$KEY2"
check "ethtool -x shows the new key" test "$(rss_key)" = "$KEY2"
PICK_KEY=$KEY1
check "new key: 16 flows complete" rss_round 4
PICK_KEY=
check "new key: flows land where the new key predicts" predicted
old=$($OFNIC_PY rss-check --key "$KEY1" --reta "$(rss_table)" --src $PEER_IP --dst $LOCAL_IP \
	--dport $((RSS_PORT - 1)) --server "$OFNIC_TMP/server.out" \
	--queues-json "$OFNIC_TMP/queues.json" --ifindex "$IFINDEX" --bytes $FLOW_BYTES |
	awk '$1 == "mismatch" { print $2 }')
check "new key: the old key would have placed $old of 16 flows elsewhere" test "$old" -ge 4

check "IPv6: 16 flows complete" rss_round 6
check "IPv6: spread over 4 queues, each flow as predicted" \
	test "$(kv "$RSS" nqueues)" -eq 4 -a "$(kv "$RSS" mismatch)" = 0

# Queue count change under a running TCP stream (both ends).
rm -f "$OFNIC_TMP/live.rc"
(xfer_sha256 peer 48 >"$OFNIC_TMP/live.log" 2>&1; echo $? >"$OFNIC_TMP/live.rc") &
live=$!
XFER_PORT=$((XFER_PORT + 1))
sleep 2
check "-L combined 2 on the receiver while a TCP stream runs" ethtool -L "$LOCAL_IF" combined 2
check "-L combined 3 on the sender while it runs" ip netns exec peer ethtool -L "$PEER_IF" combined 3
check "the stream was still running after the changes" test ! -e "$OFNIC_TMP/live.rc"
wait $live
cat "$OFNIC_TMP/live.log"
check "the stream survived, its data intact (sha256)" test "$(cat "$OFNIC_TMP/live.rc")" = 0
check "default table respread over 2 queues" test "$(rss_table)" = "$(default_table 2)"
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
