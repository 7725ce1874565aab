#!/bin/bash
# Shared helpers for the ofnic selftests. Sourced by each test, which runs
# inside the VM (qemu/vm-run) as root with the repository as working directory.
# Standard topology: two ofnic ports on one wire; the second is moved into the
# network namespace "peer" so traffic between them crosses the wire.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

OFNIC_KO=${OFNIC_KO:-kmod/ofnic/ofnic.ko}
LOCAL_IP=10.77.0.1
PEER_IP=10.77.0.2
LOCAL_IP6=fd77::1
PEER_IP6=fd77::2
# The Toeplitz key of Microsoft's RSS verification suite. A test that needs
# its flows spread over the queues sets it (rss_known_key): with the random
# key of each boot, 16 flows whose source ports differ only in their low bits
# land on one queue of 4 in about 1 boot of 70, and on queues of one parity
# in 1 of 16 (a key bit per varying port bit decides).
RSS_KEY_KNOWN=6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa

ktap_n=0
ktap_failed=0

ktap_header() {	# ktap_header NUM_SUBTESTS
	echo "TAP version 13"
	echo "1..$1"
}

ktap_result() {	# ktap_result ok|not ok DESCRIPTION
	ktap_n=$((ktap_n + 1))
	echo "$1 $ktap_n $2"
	[ "$1" = "ok" ] || ktap_failed=$((ktap_failed + 1))
}

# check DESCRIPTION COMMAND...: run COMMAND as a subtest.
check() {
	local desc=$1
	shift
	if "$@"; then
		ktap_result ok "$desc"
	else
		ktap_result "not ok" "$desc"
	fi
}

ktap_finish() {
	[ "$ktap_failed" -eq 0 ] && exit $KSFT_PASS
	exit $KSFT_FAIL
}

die() {
	echo "# error: $*"
	exit $KSFT_FAIL
}

log() {
	echo "# $*"
}

# The netdevs the ofnic driver bound, in PCI order.
ofnic_ifaces() {
	local d
	for d in /sys/bus/pci/drivers/ofnic/0000:*/net/*; do
		[ -e "$d" ] && basename "$d"
	done
}

load_ofnic() {
	lsmod | grep -q '^ofnic ' && return 0
	insmod "$OFNIC_KO" "$@" || return 1
}

unload_ofnic() {
	lsmod | grep -q '^ofnic ' || return 0
	rmmod ofnic
}

# Try COMMAND $1 every 0.1 s, $2 * 10 times (default 10 s): the bound counts
# tries, not the clock, so a COMMAND that itself takes a second (a Python
# tool under TCG) stretches it accordingly; poll such ones by $SECONDS.
wait_for() {
	# (seconds scaled by selftests/run's factor: 6 under the debug kernel)
	local cmd=$1 t=$((${2:-10} * ${OFNIC_TIMEOUT_SCALE:-1})) i
	for ((i = 0; i < t * 10; i++)); do
		eval "$cmd" && return 0
		sleep 0.1
	done
	return 1
}

# The netdevs backed by a device, of any NIC model (baselines), by name.
pci_ifaces() {
	local d
	for d in /sys/class/net/*; do
		[ -e "$d/device" ] && basename "$d"
	done
}

# setup_pair: load the driver, put the second port in netns "peer", address
# both, wait for carrier. Sets LOCAL_IF and PEER_IF.
setup_pair() {
	load_ofnic || die "insmod failed"
	wait_for '[ "$(ofnic_ifaces | wc -l)" -ge 2 ]' 5 || die "two ofnic ports expected"
	pair_up $(ofnic_ifaces)
}

# setup_pair_any: the same for whatever two NICs the VM has (qemu/vm-run
# --nic virtio-net-pci|e1000e loads their driver).
setup_pair_any() {
	wait_for '[ "$(pci_ifaces | wc -l)" -ge 2 ]' 5 || die "two NICs expected"
	pair_up $(pci_ifaces)
}

pair_up() {	# pair_up LOCAL PEER
	LOCAL_IF=$1
	PEER_IF=$2
	ip netns del peer 2>/dev/null
	ip netns add peer
	ip link set "$PEER_IF" netns peer
	ip addr add $LOCAL_IP/24 dev "$LOCAL_IF"
	ip addr add $LOCAL_IP6/64 dev "$LOCAL_IF" nodad
	ip link set "$LOCAL_IF" up
	ip -n peer addr add $PEER_IP/24 dev "$PEER_IF"
	ip -n peer addr add $PEER_IP6/64 dev "$PEER_IF" nodad
	ip -n peer link set "$PEER_IF" up
	ip -n peer link set lo up
	wait_for '[ "$(cat /sys/class/net/$LOCAL_IF/carrier 2>/dev/null)" = 1 ]' 10 ||
		die "no carrier on $LOCAL_IF"
	wait_for 'ip netns exec peer cat /sys/class/net/$PEER_IF/carrier 2>/dev/null | grep -q 1' 10 ||
		die "no carrier on $PEER_IF"
}

teardown_pair() {
	ip netns del peer 2>/dev/null
	unload_ofnic
}

# dmesg_clean: no kernel warning, bug or leak report since the boot.
dmesg_clean() {
	# (the debug kernel's kmemleak announces itself with "memory leak" in
	# the line)
	! dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|memory leak|stalled pool' |
		grep -vE 'kmemleak: (Kernel memory leak detector initialized|Automatic memory scanning thread)'
}

# ethtool_stat IFACE NAME [NETNS]: one counter of `ethtool -S`, or of the
# rest of stats_save (a counter that moved to its standard home).
ethtool_stat() {
	local ns=() v
	[ -n "${3:-}" ] && ns=(ip netns exec "$3")
	v=$("${ns[@]}" ethtool -S "$1" | awk -v k="$2:" '$1 == k { print $2 }')
	[ -n "$v" ] || v=$(stats_save "$1" "${3:-}" | awk -v k="$2" '$1 == k { print $2 }')
	echo "$v"
}

# ---- helpers of the offload tests ------------------------------------------

# Debian 13's ethtool (tcp-data-split, --json for -g/-c/-x; scripts/ethtool-trixie
# unpacks it on the host), else the system's.
OFNIC_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -z "${ETHTOOL:-}" ]; then
	ETHTOOL=ethtool
	[ -x "$OFNIC_TOP/build/ethtool-trixie/root/usr/sbin/ethtool" ] &&
		ETHTOOL=$OFNIC_TOP/build/ethtool-trixie/root/usr/sbin/ethtool
fi
OFNIC_PY="/usr/bin/python3 -S $OFNIC_TOP/selftests/ofnic/ofnic_net.py"

ktap_skipped=0

# ktap_skip DESCRIPTION REASON: a subtest that cannot run here.
ktap_skip() {
	ktap_n=$((ktap_n + 1))
	echo "ok $ktap_n $1 # SKIP $2"
	ktap_skipped=$((ktap_skipped + 1))
}

# ktap_finish_skip: like ktap_finish, but a test with skipped subtests and no
# failure exits with KSFT_SKIP (a skip is not a pass).
ktap_finish_skip() {
	[ "$ktap_failed" -eq 0 ] || exit $KSFT_FAIL
	[ "$ktap_skipped" -eq 0 ] || exit $KSFT_SKIP
	exit $KSFT_PASS
}

# skip_all REASON: the whole test cannot run (before ktap_header).
skip_all() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	teardown_pair >/dev/null 2>&1
	exit $KSFT_SKIP
}

# quiet COMMAND...: COMMAND with its output discarded (KTAP stays clean).
quiet() {
	"$@" >/dev/null 2>&1
}

# rss_known_key IF: RSS_KEY_KNOWN on IF, so that fixed flows spread the same
# way on every boot (dies if the device refuses it).
rss_known_key() {
	quiet ethtool -X "$1" hkey "$RSS_KEY_KNOWN" || die "ethtool -X $1 hkey failed"
}

# nsrun NETNS COMMAND...: COMMAND in NETNS, or here when NETNS is empty.
nsrun() {
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

# feature_state IFACE FEATURE [NETNS]: "on", "off", "off [fixed]"... of ethtool -k.
feature_state() {
	nsrun "${3:-}" ethtool -k "$1" |
		awk -v f="$2:" '$1 == f { $1 = ""; sub(/^ /, ""); print; exit }'
}

# feature_fixed_off IFACE FEATURE [NETNS]: the device does not offer FEATURE.
feature_fixed_off() {
	[ "$(feature_state "$@")" = "off [fixed]" ]
}

# feature_is IFACE FEATURE on|off [NETNS]
feature_is() {
	local s
	s=$(feature_state "$1" "$2" "${4:-}")
	[ "${s%% *}" = "$3" ]
}

# set_features IFACE NETNS FEATURE on|off...: ethtool -K, then check each
# FEATURE reads back as asked.
set_features() {
	local ifc=$1 ns=$2 ok=0
	shift 2
	nsrun "$ns" ethtool -K "$ifc" "$@" >/dev/null 2>&1
	while [ $# -ge 2 ]; do
		local name=$1
		case $1 in
		tx) name=tx-checksumming ;;
		rx) name=rx-checksumming ;;
		tso) name=tcp-segmentation-offload ;;
		gro) name=generic-receive-offload ;;
		gso) name=generic-segmentation-offload ;;
		sg) name=scatter-gather ;;
		lro) name=large-receive-offload ;;
		rxhash) name=receive-hashing ;;
		esac
		if ! feature_is "$ifc" "$name" "$2" "$ns"; then
			log "$ifc: $name is $(feature_state "$ifc" "$name" "$ns"), wanted $2"
			ok=1
		fi
		shift 2
	done
	return $ok
}

# stats_save IFACE [NETNS]: the interface's counters as "name value" lines:
# `ethtool -S` (what has no standard home), the interface totals of
# /sys/class/net/IFACE/statistics (tx_packets, rx_bytes...), and each queue's
# netdev qstats (ynl) under the names ethtool -S gave them before they moved
# there: rxN_packets, rxN_bytes, rxN_alloc_fail, rxN_csum_good (unnecessary),
# rxN_csum_bad, rxN_csum_none, rxN_lro_packets and rxN_lro_segments
# (hw-gro packets and wire packets), txN_packets, txN_bytes, txN_stop,
# txN_wake, txN_csum_offload (needs-csum), txN_tso_packets and
# txN_tso_segments (hw-gso packets and wire packets).
stats_save() {
	local ns=${2:-}
	nsrun "$ns" ethtool -S "$1" | awk 'NR > 1 { sub(/:$/, "", $1); print $1, $2 }'
	nsrun "$ns" grep -r . "/sys/class/net/$1/statistics/" | sed 's|.*/||; s|:| |'
	qstats_lines "$1" "$ns"
}

# qstats_lines IFACE [NETNS]: the per-queue qstats part of stats_save, read
# with ofnicctl (a C++ netlink client: ynl's Python takes ~7 s a call under
# TCG; ofnicctl_stats.sh checks ofnicctl's qstats against ynl's).
qstats_lines() {
	nsrun "${2:-}" "$OFNIC_TOP/build/userspace/ofnicctl" stats "$1" --json 2>/dev/null |
		jq -r '.queues[]? | . as $q | ($q.netdev // {}) as $n |
			([["rx", "packets", "rx-packets"], ["rx", "bytes", "rx-bytes"],
			  ["rx", "alloc_fail", "rx-alloc-fail"],
			  ["rx", "csum_good", "rx-csum-unnecessary"],
			  ["rx", "csum_bad", "rx-csum-bad"], ["rx", "csum_none", "rx-csum-none"],
			  ["rx", "lro_packets", "rx-hw-gro-packets"],
			  ["rx", "lro_segments", "rx-hw-gro-wire-packets"],
			  ["tx", "packets", "tx-packets"], ["tx", "bytes", "tx-bytes"],
			  ["tx", "stop", "tx-stop"], ["tx", "wake", "tx-wake"],
			  ["tx", "csum_offload", "tx-needs-csum"],
			  ["tx", "tso_packets", "tx-hw-gso-packets"],
			  ["tx", "tso_segments", "tx-hw-gso-wire-packets"]])[] |
			select($n[.[2]] != null) | "\(.[0])\($q.id)_\(.[1]) \($n[.[2]])"'
}

# stats_delta BEFORE AFTER REGEX: the sum over the counters whose name matches
# REGEX of AFTER - BEFORE (two stats_save outputs).
stats_delta() {
	awk -v re="$3" 'NR == FNR { if ($1 ~ re) b[$1] = $2; next }
		$1 ~ re { s += $2 - b[$1] } END { printf "%d\n", s }' \
		<(echo "$1") <(echo "$2")
}

# stats_per_queue BEFORE AFTER FMT: "queue delta" for every queue whose
# counter FMT (e.g. rx%d_packets) exists in AFTER.
stats_per_queue() {
	local re=${3/\%d/([0-9]+)}
	awk -v re="^${re}$" -v pre="${3%%\%d*}" 'NR == FNR { b[$1] = $2; next }
		$1 ~ re { q = substr($1, length(pre) + 1); q = q + 0; print q, $2 - b[$1] }' \
		<(echo "$1") <(echo "$2") | sort -n
}

# rx_frames IFACE: the frames that reached IFACE's driver: rx_packets (ofnic
# counts XDP's verdicts there too) and the ones it or the device dropped.
rx_frames() {
	local d=/sys/class/net/$1/statistics
	echo $(($(cat $d/rx_packets) + $(cat $d/rx_dropped) + $(cat $d/rx_errors) +
		$(cat $d/rx_missed_errors)))
}

# counter_wait CMD MARK N: until the number CMD prints has risen by N since
# it printed MARK (bounded, logged on stderr); then a moment for the softirq
# to finish with what it counted. For a test that reads counters once a
# sender is done.
counter_wait() {
	wait_for "[ \$((\$($1) - $2)) -ge $3 ]" 30 ||
		log "$1: up by $(($($1) - $2)) of $3" >&2
	sleep 0.2
}

# rx_frames_wait IFACE MARK N: until the driver has taken N frames off the
# rings since rx_frames read MARK.
rx_frames_wait() {
	counter_wait "rx_frames $1" "$2" "$3"
}

# snmp_counter NETNS PROTO FIELD: a counter of /proc/net/snmp (Tcp, Udp, Ip...)
snmp_counter() {
	nsrun "$1" cat /proc/net/snmp | awk -v p="$2:" -v f="$3" '
		$1 == p && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == p && h { print $col[f]; exit }'
}

# nstat_counter NETNS NAME: a counter of /proc/net/netstat or snmp6 (e.g.
# Ip6InCsumErrors, Udp6InCsumErrors, IpExtInCsumErrors).
nstat_counter() {
	nsrun "$1" nstat -az "$2" 2>/dev/null | awk -v n="$2" '$1 == n { print $2 }'
}

# ---- TCP transfers with sha256 ----------------------------------------------

OFNIC_TMP=${OFNIC_TMP:-$(mktemp -d /tmp/ofnic.XXXXXX)}
XFER_PORT=${XFER_PORT:-5300}
XFER_RATE=""

# xfer_data MB: a file of MB MiB of random bytes (made once), its path.
xfer_data() {
	local f=$OFNIC_TMP/data-$1
	[ -s "$f" ] || head -c $(($1 * 1024 * 1024)) /dev/urandom >"$f"
	echo "$f"
}

# xfer_sha256 FROM MB [4|6]: FROM (local or peer) sends MB MiB over TCP to the
# other end, which hashes what it receives. True when the receiver's sha256
# equals the sender's. Sets XFER_RATE (Mbit/s).
xfer_sha256() {
	local from=$1 mb=$2 fam=${3:-4} port=$XFER_PORT
	local tx_ns="" rx_ns=peer dst=$PEER_IP f rxpid rc t0 t1 tx rx
	XFER_PORT=$((XFER_PORT + 1))
	if [ "$from" = peer ]; then
		tx_ns=peer
		rx_ns=""
		dst=$LOCAL_IP
		[ "$fam" = 6 ] && dst=$LOCAL_IP6
	elif [ "$fam" = 6 ]; then
		dst=$PEER_IP6
	fi
	local lsn=TCP4-LISTEN:$port,reuseaddr con=TCP4:$dst:$port
	[ "$fam" = 6 ] && lsn=TCP6-LISTEN:$port,reuseaddr && con="TCP6:[$dst]:$port"
	f=$(xfer_data "$mb")
	tx=$(sha256sum <"$f" | cut -d' ' -f1)
	rm -f "$OFNIC_TMP/rx.sha"
	# (OFNIC_TIMEOUT_SCALE: selftests/run's factor, 6 under the debug kernel)
	local limit=$(((60 + 4 * mb) * ${OFNIC_TIMEOUT_SCALE:-1}))
	nsrun "$rx_ns" timeout $limit socat -u "$lsn" - |
		sha256sum | cut -d' ' -f1 >"$OFNIC_TMP/rx.sha" &
	rxpid=$!
	if ! wait_for "nsrun '$rx_ns' ss -Hltn 'sport = :$port' | grep -q ." 10; then
		log "receiver not listening on port $port"
		kill $rxpid 2>/dev/null
		return 1
	fi
	t0=$(date +%s.%N)
	nsrun "$tx_ns" timeout $limit socat -u - "$con" <"$f"
	rc=$?
	wait $rxpid
	t1=$(date +%s.%N)
	rx=$(cat "$OFNIC_TMP/rx.sha" 2>/dev/null)
	XFER_RATE=$(awk -v s="$t0" -v e="$t1" -v mb="$mb" \
		'BEGIN { printf "%.0f", mb * 8.388608 / (e - s) }')
	log "$from -> other end, IPv$fam, $mb MiB: $XFER_RATE Mbit/s, sender rc $rc"
	if [ "$rc" -ne 0 ] || [ "$tx" != "$rx" ]; then
		log "sha256 sent $tx"
		log "sha256 received ${rx:-none}"
		return 1
	fi
	return 0
}

# ---- packet captures ----------------------------------------------------------

CAP_PID=""
CAP_FILE=""

# cap_start NETNS IFACE FILE in|out|inout FILTER...: tcpdump of the frames
# IFACE receives (in) and/or sends (out) to FILE, in the background.
cap_start() {
	local ns=$1 ifc=$2 dir=$4
	CAP_FILE=$3
	shift 4
	rm -f "$CAP_FILE" "$CAP_FILE.log"
	# No function or subshell around tcpdump: CAP_PID must be tcpdump itself.
	if [ -n "$ns" ]; then
		ip netns exec "$ns" tcpdump -i "$ifc" -Q "$dir" -n -s 0 -U -B 8192 --immediate-mode \
			-w "$CAP_FILE" "$@" >"$CAP_FILE.log" 2>&1 &
	else
		tcpdump -i "$ifc" -Q "$dir" -n -s 0 -U -B 8192 --immediate-mode -w "$CAP_FILE" "$@" \
			>"$CAP_FILE.log" 2>&1 &
	fi
	CAP_PID=$!
	wait_for "grep -q 'listening on' '$CAP_FILE.log'" 10 ||
		log "tcpdump did not start: $(cat "$CAP_FILE.log")"
}

# cap_stop [MIN]: stop the capture, once it holds MIN frames (tcpdump may lag
# the socket that got them) or else after a second for the last to arrive.
cap_stop() {
	if [ -n "${1:-}" ]; then
		wait_for "[ \$(tcpdump -n -r '$CAP_FILE' 2>/dev/null | wc -l) -ge $1 ]" 30 ||
			log "capture: fewer than $1 frames"
	else
		sleep 1
	fi
	[ -n "$CAP_PID" ] && kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	CAP_PID=""
	CAP_DROPS=$(awk '/dropped by kernel/ { print $1 }' "$CAP_FILE.log")
	local got seen
	got=$(awk '/packets captured/ { print $1 }' "$CAP_FILE.log")
	seen=$(awk '/received by filter/ { print $1 }' "$CAP_FILE.log")
	[ "${CAP_DROPS:-0}" = 0 ] && [ "$got" = "$seen" ] ||
		log "tcpdump: $got captured, $seen received by filter, $CAP_DROPS dropped by kernel"
}

# pcap_info FILE [ARGS...]: "key value" lines describing the TCP frames of the
# capture (see ofnic_net.py pcap-info).
pcap_info() {
	$OFNIC_PY pcap-info "$@"
}

# kv TEXT KEY: the value of KEY in "key value" lines.
kv() {
	echo "$1" | awk -v k="$2" '$1 == k { print $2; exit }'
}

# ---- interrupts and queues ---------------------------------------------------------

# qp_irqs IFACE: interrupts of the queue-pair vectors of IFACE so far (all CPUs).
qp_irqs() {
	awk -v pat="$1-qp" '$NF ~ "^" pat "[0-9]+$" {
		for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; else break
	} END { print s + 0 }' /proc/interrupts
}

# ynl ARGS...: the kernel's netlink CLI on the netdev family. Bounded at
# 120 s, so a call never holds a test until the VM's timeout (under TCG one
# took 32-54 s while iperf3 ran and a second VM shared the host). Without the
# JSON-schema check of the kernel's own spec, which doubles a call (idle VM:
# 3.4-4.3 s against 1.5-1.9 s).
ynl() {
	[ -n "${LSRC:-}" ] || LSRC=$(scripts/linux-src) || return 1
	timeout 120 /usr/bin/python3 "$LSRC/tools/net/ynl/cli.py" --no-schema \
		--spec "$LSRC/Documentation/netlink/specs/netdev.yaml" "$@"
}

# pools_remain SECONDS: poll the page pools by the clock (a ynl call takes a
# second or more under TCG) until none is left; succeeds if some remain after
# SECONDS. POOLS_LEFT holds the last dump.
pools_remain() {
	local end=$((SECONDS + $1))
	while POOLS_LEFT=$(ynl --dump page-pool-get 2>&1); [ "$POOLS_LEFT" != "[]" ]; do
		[ $SECONDS -lt $end ] || return 0
		sleep 0.5
	done
	return 1
}

# pools_gone: after the driver is gone and the sockets closed, every page
# pool goes once its pages are back. A received skb freed on another CPU
# than the one whose NAPI built it waits on that CPU's defer list
# (skb_attempt_defer_free) until that CPU's next NET_RX softirq, and its
# pages stay in flight meanwhile; with the NIC gone nothing may raise one.
# So after 3 s a loopback ping from each CPU flushes the lists; a page still
# in flight after that is the driver's. Logs what it saw, the last dump
# included (POOLS_LEFT).
pools_gone() {
	local c t0
	if ! pools_remain 3; then
		log "page pools after rmmod: $POOLS_LEFT"
		return 0
	fi
	log "page pools 3 s on: $(echo "$POOLS_LEFT" | grep -o "'inflight': [0-9]*" | tr '\n' ' ')-- flushing the per-CPU defer lists"
	ip link set lo up
	for c in $(seq 0 $(($(nproc) - 1))); do
		taskset -c "$c" ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1
	done
	t0=$SECONDS
	pools_remain 20
	log "  after the flush: $(echo "$POOLS_LEFT" | grep -c "'inflight'") pool(s) left, $((SECONDS - t0)) s"
	log "page pools after rmmod: $POOLS_LEFT"
	[ "$POOLS_LEFT" = "[]" ]
}
