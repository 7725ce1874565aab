#!/bin/bash
# Allocation failures injected (failslab, fail_page_alloc, fail_function; the
# debug kernel of make check-debug):
# - into probe, open, ring sizes, channels and header split: every failure is
#   an error the command reports, never a crash, warning or leak, and once the
#   faults stop the ports come up and pass traffic again. Faults hit only the
#   command under test (task-filter): one allocation in 2, 5, 10 or 20
#   percent, by round (OFNIC_FAULT_PCT: always that), so that some commands
#   get deep into the driver before a fault and others fail early.
# - into the RX refill, page_pool_alloc_pages() failing under traffic (the
#   idea of the kernel's drivers/net/hw/pp_alloc_fail.py): the failures are
#   counted (rx-alloc-fail), nothing is lost, and a ring left with no buffer
#   at all fills again once memory returns.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

DBG=/sys/kernel/debug
PCTS=(2 5 10 20)
[ -n "${OFNIC_FAULT_PCT:-}" ] && PCTS=("$OFNIC_FAULT_PCT")
ROUNDS=${OFNIC_FAULT_ROUNDS:-8}
[ -d $DBG/failslab ] && [ -d $DBG/fail_page_alloc ] && [ -d $DBG/fail_function ] ||
	skip_all "the kernel has no failslab/fail_page_alloc/fail_function (CONFIG_FAULT_INJECTION_DEBUG_FS): make check-debug runs this test"

ktap_header 11

# The faulted commands run chrooted in a tmpfs copy of themselves and their
# libraries: an allocation failing inside a 9p request of the root file
# system (the VM's root is the host's, over 9p) can leave client and server
# disagreeing on a fid, after which every open in the VM fails with EINVAL.
# A faulted task must therefore never touch 9p, not even to load a library.
FR=$OFNIC_TMP/faultroot
stage_faultroot() {
	local b f
	mkdir -p "$FR" && mount -t tmpfs faultroot "$FR" || return 1
	mkdir -p "$FR"/{bin,proc,sys,dev} || return 1
	# LD_PRELOADed into a faulted command: its constructor turns fault
	# injection on for the process once the program is loaded, so that
	# the faults hit what the command asks of the kernel and not its own
	# exec, which makes hundreds of allocations and would rarely complete.
	gcc -O2 -Wall -shared -fPIC -o "$FR/make_it_fail.so" -x c - <<-'EOC' || return 1
		#include <fcntl.h>
		#include <unistd.h>

		__attribute__((constructor)) static void make_it_fail(void)
		{
			int fd = open("/proc/self/make-it-fail", O_WRONLY);

			if (fd < 0 || write(fd, "1", 1) != 1)
				_exit(125);
			close(fd);
		}
	EOC
	cp -L /bin/dash "$FR/bin/sh" &&
		cp -L "$(command -v kmod)" "$FR/bin/insmod" &&
		cp -L "$(command -v ip)" "$FR/bin/ip" &&
		cp -L "$(command -v "$ETHTOOL")" "$FR/bin/ethtool" &&
		cp "$OFNIC_KO" "$FR/ofnic.ko" || return 1
	for b in "$FR"/bin/*; do
		for f in $(ldd "$b" | grep -o '/[^ ]*'); do
			cp -L --parents "$f" "$FR" || return 1
		done
	done
	mount --bind /proc "$FR/proc" && mount --bind /sys "$FR/sys" &&
		mount --bind /dev "$FR/dev"
}
unstage_faultroot() {
	umount "$FR/proc" "$FR/sys" "$FR/dev" "$FR"
}

# faults_on PCT / faults_off: slab and page allocations fail, for tasks that
# ask for it (/proc/PID/make-it-fail).
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

# faulty COMMAND...: COMMAND (run from the tmpfs root) with its allocations
# failing now and then once the program is loaded (make_it_fail.so). Counts
# in OK and FAILED how it ended (both are fine; a crash of the kernel is
# not), in KILLED the times it could not run or died of a signal (logged:
# the program's problem, not the kernel's), in HUNG the times it had not
# ended after FAULTY_WAIT seconds (logged with where it waits, then killed).
OK=0
FAILED=0
KILLED=0
HUNG=0
FAULTY_WAIT=$((60 * ${OFNIC_TIMEOUT_SCALE:-1}))
faulty() {
	local pid rc t p
	chroot "$FR" /bin/sh -c 'LD_PRELOAD=/make_it_fail.so exec "$@"' faulty "$@" \
		>/dev/null 2>&1 &
	pid=$!
	for ((t = 0; t < FAULTY_WAIT * 10; t++)); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		HUNG=$((HUNG + 1))
		log "$*: still running after $FAULTY_WAIT s"
		for p in $pid $(pgrep -P $pid); do
			log "  pid $p: $(ps -o stat=,wchan:32=,comm= -p $p)"
			sed 's/^/#     /' /proc/$p/stack 2>/dev/null
		done
		kill -KILL $pid $(pgrep -P $pid) 2>/dev/null
	fi
	wait $pid
	rc=$?
	case $rc in
	0) OK=$((OK + 1)) ;;
	125) die "cannot turn fault injection on for $*" ;;
	12[6-9] | 1[3-9][0-9] | 2[0-9][0-9])
		[ $t -lt $((FAULTY_WAIT * 10)) ] || return 0
		KILLED=$((KILLED + 1))
		log "$*: exit status $rc"
		;;
	*) FAILED=$((FAILED + 1)) ;;
	esac
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
	wait_for "ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1" 10
}

stage_faultroot || die "cannot stage the faulted commands on tmpfs"
bad=0
for ((r = 1; r <= ROUNDS; r++)); do
	PCT=${PCTS[(r - 1) % ${#PCTS[@]}]}
	faults_on "$PCT"
	# probe (and, failing, the probe error path)
	unload_ofnic
	faulty insmod /ofnic.ko
	faults_off
	sane || { log "round $r: not sane after a faulty probe"; bad=$((bad + 1)); }
	faults_on "$PCT"
	ifc=$LOCAL_IF
	# open, ring sizes, channels, header split: each under faults, each
	# followed by a fault-free check that the port still works
	for cmd in "ip link set $ifc down" "ip link set $ifc up" \
		"ethtool -G $ifc rx 1024 tx 1024" "ethtool -G $ifc rx 512 tx 512" \
		"ethtool -L $ifc combined 1" "ethtool -L $ifc combined 2" \
		"ethtool -G $ifc tcp-data-split on" "ethtool -G $ifc tcp-data-split off"; do
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
	faults_off
done
unstage_faultroot
log "$ROUNDS rounds: $OK faulty commands succeeded, $FAILED failed, $KILLED did not run or died of a signal, $HUNG hung"
check "every command ran to an end (none hung)" \
	test $((OK + FAILED + KILLED)) -eq $((ROUNDS * 9)) -a "$HUNG" -eq 0
check "faults were injected: some commands failed" test "$FAILED" -gt 0
check "after each fault the ports recovered and passed traffic" test "$bad" -eq 0
check "clean traffic afterwards: 8 MiB intact (sha256)" xfer_sha256 local 8

# pp_fail INTERVAL / pp_fail_off: every INTERVAL-th page_pool_alloc_pages()
# fails, in any context (the RX refill runs in NAPI).
pp_fail() {
	grep -qx page_pool_alloc_pages $DBG/fail_function/inject ||
		echo page_pool_alloc_pages >$DBG/fail_function/inject || return 1
	echo N >$DBG/fail_function/task-filter
	echo 0 >$DBG/fail_function/verbose
	echo "$1" >$DBG/fail_function/interval
	echo -1 >$DBG/fail_function/times
	echo 100 >$DBG/fail_function/probability
}
pp_fail_off() {
	echo 0 >$DBG/fail_function/probability
	echo >$DBG/fail_function/inject
}
# alloc_fails: rx-alloc-fail of both ports (ethtool -S, summed over queues)
alloc_fails() {
	echo $(($(stats_save "$LOCAL_IF" | awk '$1 ~ /^rx[0-9]+_alloc_fail$/ { s += $2 } END { print s + 0 }') +
		$(stats_save "$PEER_IF" peer | awk '$1 ~ /^rx[0-9]+_alloc_fail$/ { s += $2 } END { print s + 0 }')))
}

a0=$(alloc_fails)
pp_fail 7 || die "cannot inject into page_pool_alloc_pages (fail_function)"
check "every 7th page_pool allocation failing: 8 MiB intact (sha256)" xfer_sha256 local 8
# and a ring resized meanwhile: it may fail, but cleanly
quiet "$ETHTOOL" -G "$LOCAL_IF" rx 1024
check "the RX ring resized meanwhile: 8 MiB the other way intact (sha256)" xfer_sha256 peer 8
pp_fail_off
a1=$(alloc_fails)
log "rx-alloc-fail: $((a1 - a0))"
check "the failed refills were counted (rx-alloc-fail)" test $((a1 - a0)) -gt 0

# Every allocation failing while the peer sends: the RX rings run dry (the
# device holds the wire), then memory returns and they fill again.
f=$(xfer_data 4)
nsrun peer timeout 30 socat -b 1400 -u - "UDP4-DATAGRAM:$LOCAL_IP:9,sndbuf=262144" <"$f" &
pp_fail 1
sleep 3
pp_fail_off
wait
check "after 3 s of every page_pool allocation failing, traffic flows again" \
	wait_for "ping -c 1 -W 1 $PEER_IP >/dev/null 2>&1 && ip netns exec peer ping -c 1 -W 1 $LOCAL_IP >/dev/null 2>&1" 20
ip netns del peer
check "rmmod" rmmod ofnic
check "no page_pool left (no page in flight)" pools_gone
check "no kernel warnings" dmesg_clean
ktap_finish
