#!/bin/bash
# Allocation failures injected (failslab, fail_page_alloc; the debug kernel
# of make check-debug) into probe, open, ring allocation and queue
# reconfiguration: every failure is an error the command reports, never a
# crash, warning or leak, and once the faults stop the ports come up and
# pass traffic again. Faults hit only the command under test (task-filter),
# in about one allocation of OFNIC_FAULT_PCT (default 10) percent.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

DBG=/sys/kernel/debug
PCT=${OFNIC_FAULT_PCT:-10}
ROUNDS=${OFNIC_FAULT_ROUNDS:-12}
[ -d $DBG/failslab ] && [ -d $DBG/fail_page_alloc ] ||
	skip_all "the kernel has no failslab/fail_page_alloc (CONFIG_FAULT_INJECTION_DEBUG_FS): make check-debug runs this test"

ktap_header 7

# faults_on PCT / faults_off: both injectors, for tasks that ask for them.
faults_on() {
	local f
	for f in failslab fail_page_alloc; do
		echo Y >$DBG/$f/task-filter
		echo 0 >$DBG/$f/verbose
		echo 1 >$DBG/$f/interval
		echo -1 >$DBG/$f/times
		echo 0 >$DBG/$f/space
		echo "$1" >$DBG/$f/probability
	done
	echo N >$DBG/failslab/ignore-gfp-wait
	echo N >$DBG/fail_page_alloc/ignore-gfp-wait
	echo 0 >$DBG/fail_page_alloc/min-order
}
faults_off() {
	echo 0 >$DBG/failslab/probability
	echo 0 >$DBG/fail_page_alloc/probability
}

# faulty COMMAND...: COMMAND with its allocations failing now and then.
# Counts in OK and FAILED how it ended (both are fine; crashing is not).
OK=0
FAILED=0
faulty() {
	if bash -c 'echo 1 >/proc/self/make-it-fail && exec "$@"' faulty "$@" >/dev/null 2>&1; then
		OK=$((OK + 1))
	else
		FAILED=$((FAILED + 1))
	fi
}

# sane: without faults, both ports up in the pair topology and passing pings.
sane() {
	# a probe that failed under faults leaves that port unbound: reload
	if [ "$(ofnic_ifaces | wc -l)" -lt 2 ]; then
		unload_ofnic
		load_ofnic || return 1
	fi
	wait_for '[ "$(ofnic_ifaces | wc -l)" -ge 2 ]' 5 || return 1
	ip netns del peer 2>/dev/null
	pair_up $(ofnic_ifaces) >/dev/null 2>&1 || return 1
	ping -c 2 -W 2 $PEER_IP >/dev/null 2>&1
}

bad=0
faults_on "$PCT"
for ((r = 1; r <= ROUNDS; r++)); do
	# probe (and, failing, the probe error path)
	unload_ofnic
	faulty insmod "$OFNIC_KO"
	faults_off
	sane || { log "round $r: not sane after a faulty probe"; bad=$((bad + 1)); }
	faults_on "$PCT"
	ifc=$LOCAL_IF
	# open, ring sizes, channels, header split: each under faults, each
	# followed by a fault-free check that the port still works
	for cmd in "ip link set $ifc down" "ip link set $ifc up" \
		"$ETHTOOL -G $ifc rx 1024 tx 1024" "$ETHTOOL -G $ifc rx 512 tx 512" \
		"$ETHTOOL -L $ifc combined 1" "$ETHTOOL -L $ifc combined 2" \
		"$ETHTOOL -G $ifc tcp-data-split on" "$ETHTOOL -G $ifc tcp-data-split off"; do
		# shellcheck disable=SC2086 # word-split on purpose
		faulty $cmd
		faults_off
		quiet ip link set "$ifc" up
		if ! wait_for "ping -c 1 -W 1 $PEER_IP >/dev/null 2>&1" 10; then
			log "round $r: $ifc passes no traffic after: $cmd"
			bad=$((bad + 1))
		fi
		faults_on "$PCT"
	done
done
faults_off
log "$ROUNDS rounds: $OK faulty commands succeeded, $FAILED failed"
check "every command ran to an end (none hung or crashed)" test $((OK + FAILED)) -eq $((ROUNDS * 9))
check "faults were injected: some commands failed" test "$FAILED" -gt 0
check "after each fault the ports recovered and passed traffic" test "$bad" -eq 0
check "clean traffic afterwards: 8 MiB intact (sha256)" xfer_sha256 local 8
ip netns del peer
check "rmmod" rmmod ofnic
check "no page_pool left (no page in flight)" pools_gone
check "no kernel warnings" dmesg_clean
ktap_finish
