#!/bin/bash
# Shared helpers for the ofnic selftests. Sourced by each test, which runs
# inside the VM (qemu/vm-run) as root with the repository as working directory.
# Standard topology: two ofnic ports on one wire; the second is moved into the
# network namespace "peer" so traffic between them crosses the wire.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

OFNIC_KO=${OFNIC_KO:-kmod/ofnic/ofnic.ko}
# Debian 13's ethtool (tcp-data-split, --json -c/-g/-x), unpacked by
# scripts/ethtool-trixie; Debian 12's 6.1 otherwise.
ETHTOOL=build/ethtool-trixie/root/usr/sbin/ethtool
[ -x "$ETHTOOL" ] || ETHTOOL=ethtool
LOCAL_IP=10.77.0.1
PEER_IP=10.77.0.2
LOCAL_IP6=fd77::1
PEER_IP6=fd77::2

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

# Wait up to $2 (default 10) seconds for COMMAND $1 to succeed.
wait_for() {
	local cmd=$1 t=${2:-10} i
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
	! dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|leak|stalled pool' 
}

# ethtool_stat IFACE NAME [NETNS]: one counter of `ethtool -S`.
ethtool_stat() {
	local ns=()
	[ -n "${3:-}" ] && ns=(ip netns exec "$3")
	"${ns[@]}" ethtool -S "$1" | awk -v k="$2:" '$1 == k { print $2 }'
}
