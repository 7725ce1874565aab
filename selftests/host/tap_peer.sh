#!/bin/bash
# The host's own TCP stack as the peer, over taps: one VM, two ofnic ports,
# each on a tap in a network namespace this test creates on the host. Port 0
# has vnet-hdr=auto (the tap's vnet header: TSO leaves as GSO frames, the
# host's GSO frames come in coalesced), port 1 vnet-hdr=off (the device
# segments and coalesces itself, as on the hub). Over each, OFNIC_XFER_MB MiB
# (default 96) go guest -> host and host -> guest, checked with sha256; the
# Mbit/s of each are logged (a figure, not a threshold: make bench has those).
# The device counters show which path the frames took.
#
# Runs on the host as root (a host suite: selftests/run starts it there, it
# boots its own VM); needs /dev/net/tun, ip netns and socat.
#   selftests/host/tap_peer.sh
# OFNIC_VM_LOG: the VM's serial log (default build/tap_peer.serial.log).
# OFNIC_TAP_NIC=virtio-net-pci: the same transfers over virtio-net-pci (for
# a comparison; the ofnic counter checks are then skipped).
# OFNIC_TAP_ORDER="1 0": port 1 (vnet-hdr=off) first; the first transfers of a
# boot tend to be the slower ones, so comparisons alternate the order.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/lib.sh

MB=${OFNIC_XFER_MB:-96}
HOST_IP=(10.78.1.1 10.78.2.1)
GUEST_IP=(10.78.1.2 10.78.2.2)
MODE=(auto off)
COUNTERS=(hw_tx_gso hw_rx_gso hw_rx_gso_split hw_vnet_hdr_errors
	hw_tso_packets hw_lro_frames)

# ---- inside the VM -----------------------------------------------------------

# mbit START END: Mbit/s of MB MiB moved between the two times.
mbit() {
	awk -v s="$1" -v e="$2" -v mb="$MB" 'BEGIN { printf "%.0f\n", mb * 8.388608 / (e - s) }'
}

guest() {
	local res=$OFNIC_TAP_RES ifs=() i if m before after start end c
	if [ "${OFNIC_TAP_NIC:-ofnic}" = ofnic ]; then
		load_ofnic || die "insmod failed"
		wait_for '[ "$(ofnic_ifaces | wc -l)" -ge 2 ]' 5 || die "two ofnic ports expected"
		read -r -a ifs < <(ofnic_ifaces | tr '\n' ' ')
	else
		# vm-run loaded the model's driver
		read -r -a ifs < <(pci_ifaces | tr '\n' ' ')
	fi
	[ "${#ifs[@]}" -ge 2 ] || die "two ports expected, found: ${ifs[*]}"
	head -c $((MB * 1024 * 1024)) /dev/urandom >/tmp/data || die "no room for the data"
	sha256sum </tmp/data | cut -d' ' -f1 >"$res/guest.sha"
	for i in ${OFNIC_TAP_ORDER:-0 1}; do
		if=${ifs[i]} m=${MODE[i]}
		ip addr add "${GUEST_IP[i]}/24" dev "$if"
		ip link set "$if" up
		wait_for "ping -c 1 -W 1 ${HOST_IP[i]} >/dev/null" 20 ||
			{ echo "no ping from $if" >"$res/$m.error"; continue; }
		ethtool -k "$if" | grep -E '^(rx-gro-hw|tcp-segmentation-offload|rx-checksumming):' |
			tr -d ' ' >"$res/$m.features"
		before=$(stats_save "$if")
		start=$(date +%s.%N)
		socat -u FILE:/tmp/data "TCP:${HOST_IP[i]}:5001" 2>"$res/$m.tx.err"
		echo $? >"$res/$m.tx.rc"
		end=$(date +%s.%N)
		mbit "$start" "$end" >"$res/$m.tx.mbit"
		# into tmpfs, hashed after: sha256 under TCG would be the bottleneck
		start=$(date +%s.%N)
		socat -u "TCP:${HOST_IP[i]}:5002" CREATE:/tmp/rx 2>"$res/$m.rx.err"
		end=$(date +%s.%N)
		mbit "$start" "$end" >"$res/$m.rx.mbit"
		sha256sum </tmp/rx | cut -d' ' -f1 >"$res/$m.rx.sha"
		rm -f /tmp/rx
		after=$(stats_save "$if")
		for c in "${COUNTERS[@]}"; do
			echo "$c $(stats_delta "$before" "$after" "^$c\$")"
		done >"$res/$m.counters"
		ip link set "$if" down
	done
	dmesg_clean >"$res/dmesg" 2>&1 && echo clean >"$res/dmesg.state"
	return 0
}

if [ "${1:-}" = guest ]; then
	guest
	exit
fi

# ---- on the host -------------------------------------------------------------

# (lib.sh's skip_all tears down the in-VM topology: not for the host)
host_skip() {
	echo "TAP version 13"
	echo "1..0 # SKIP $*"
	exit $KSFT_SKIP
}
[ "$(id -u)" = 0 ] || host_skip "needs root on the host (taps, a netns)"
[ -c /dev/net/tun ] || host_skip "no /dev/net/tun"
command -v socat >/dev/null || host_skip "no socat"

case ${OFNIC_TAP_ORDER:-0 1} in
"0 1" | "1 0") ;;
*) die "OFNIC_TAP_ORDER: \"0 1\" or \"1 0\", not ${OFNIC_TAP_ORDER}" ;;
esac
ns=ofnic-tap-$$
tap=(oft$$a oft$$b)
res=$(mktemp -d "$PWD/build/tap_peer.XXXXXX") || die "mktemp"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$res"
}
trap cleanup EXIT
trap "exit 1" TERM INT

# cpu FILE: the CPU seconds of QEMU's main thread between two marks, its share
# of the time, and the share of QEMU's other threads (the TCG vCPU thread)
cpu() {
	awk -v hz="$(getconf CLK_TCK)" 'NR == 1 { t = $1; c = $2; a = $3 } NR == 2 {
		printf "%.2f s (%.0f%% of %.1f s; other threads %.0f%%)", ($2 - c) / hz,
			100 * ($2 - c) / hz / ($1 - t), $1 - t, 100 * ($3 - a - $2 + c) / hz / ($1 - t) }' \
		"$1" 2>/dev/null
}

counter() {	# counter MODE NAME
	awk -v k="$2" '$1 == k { print $2 }' "$res/$1.counters" 2>/dev/null
}

ip netns add "$ns" || die "ip netns add $ns"
ip -n "$ns" link set lo up
for i in 0 1; do
	ip -n "$ns" tuntap add dev "${tap[i]}" mode tap || die "ip tuntap add ${tap[i]}"
	ip -n "$ns" addr add "${HOST_IP[i]}/24" dev "${tap[i]}"
	ip -n "$ns" link set "${tap[i]}" up
done
head -c $((MB * 1024 * 1024)) /dev/urandom >"$res/data"
sha256sum <"$res/data" | cut -d' ' -f1 >"$res/host.sha"
# The CPU time of QEMU's main thread (its main loop: the device model and the
# tap's reads and writes; the vCPUs run in a thread of their own) around each
# transfer, as the host's end sees it start (accept) and end.
cat >"$res/mark" <<'MARK'
#!/bin/bash
# mark TAP FILE: append "seconds main-thread-ticks all-threads-ticks" of the
# QEMU on TAP
q=$(pgrep -o -f "ifname=$1,")
st=($(cat "/proc/$q/task/$q/stat" 2>/dev/null))
all=($(cat "/proc/$q/stat" 2>/dev/null))
echo "$(date +%s.%N) $((${st[13]:-0} + ${st[14]:-0})) $((${all[13]:-0} + ${all[14]:-0}))" >>"$2"
MARK
cat >"$res/sink" <<'SINK'
#!/bin/bash
# sink TAP NAME: hash what arrives on stdin into NAME.host_rx.sha
d=$(dirname "$0")
"$d/mark" "$1" "$d/$2.tx.cpu"
sha256sum | cut -d' ' -f1 >"$d/$2.host_rx.sha"
"$d/mark" "$1" "$d/$2.tx.cpu"
SINK
cat >"$res/source" <<'SOURCE'
#!/bin/bash
# source TAP NAME: the data to stdout
d=$(dirname "$0")
"$d/mark" "$1" "$d/$2.rx.cpu"
cat "$d/data"
"$d/mark" "$1" "$d/$2.rx.cpu"
SOURCE
chmod +x "$res/mark" "$res/sink" "$res/source"
# One connection each way per port: the guest sends to 5001, reads from 5002.
for i in 0 1; do
	ip netns exec "$ns" socat -u "TCP-LISTEN:5001,bind=${HOST_IP[i]},reuseaddr" \
		"SYSTEM:$res/sink ${tap[i]} ${MODE[i]}" &
	pids+=($!)
	ip netns exec "$ns" socat -U "TCP-LISTEN:5002,bind=${HOST_IP[i]},reuseaddr" \
		"SYSTEM:$res/source ${tap[i]} ${MODE[i]}" &
	pids+=($!)
done
wait_for "[ \$(ip netns exec $ns ss -ltn | grep -c ':500[12] ') -eq 4 ]" 10 || die "listeners not up"

nic=${OFNIC_TAP_NIC:-ofnic}
nic1=vnet-hdr=off
[ "$nic" = ofnic ] || nic1=
OFNIC_TAP_RES=$res OFNIC_XFER_MB=$MB ip netns exec "$ns" qemu/vm-run --quiet --nic "$nic" \
	--tap "${tap[0]}" --tap "${tap[1]}" ${nic1:+--nic1-prop "$nic1"} \
	--timeout 1200 --log "${OFNIC_VM_LOG:-$PWD/build/tap_peer.serial.log}" \
	-- selftests/host/tap_peer.sh guest
vmrc=$?
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
wait 2>/dev/null

ktap_header 11
log "ports in the order ${OFNIC_TAP_ORDER:-0 1}"
check "the VM ran the guest side (vm-run exit $vmrc)" test "$vmrc" -eq 0
for i in 0 1; do
	m=${MODE[i]}
	what=vnet-hdr=$m
	[ "$nic" = ofnic ] || what="$nic port $i"
	[ -e "$res/$m.error" ] && log "$what: $(cat "$res/$m.error")"
	log "$what: features $(tr '\n' ' ' <"$res/$m.features" 2>/dev/null)"
	log "$what: guest -> host $(cat "$res/$m.tx.mbit" 2>/dev/null) Mbit/s, host -> guest $(cat "$res/$m.rx.mbit" 2>/dev/null) Mbit/s ($MB MiB each way, $nic, tmpfs to tmpfs, guest clock)"
	log "$what: counters $(tr '\n' ' ' <"$res/$m.counters" 2>/dev/null)"
	log "$what: QEMU main thread CPU: guest -> host $(cpu "$res/$m.tx.cpu"), host -> guest $(cpu "$res/$m.rx.cpu")"
	check "$what: guest -> host intact (sha256)" \
		test -s "$res/guest.sha" -a "$(cat "$res/$m.host_rx.sha")" = "$(cat "$res/guest.sha")"
	check "$what: host -> guest intact (sha256)" \
		test -s "$res/host.sha" -a "$(cat "$res/$m.rx.sha" 2>/dev/null)" = "$(cat "$res/host.sha")"
done
if [ "$nic" = ofnic ]; then
	# auto: TSO requests left whole and the host's GSO frames came in;
	# off: the device segmented (TSO) and saw no GSO frame at all.
	check "vnet-hdr=auto: TSO handed on as GSO frames, the host's GSO frames taken" \
		test "$(counter auto hw_tx_gso)" -gt 0 -a "$(counter auto hw_rx_gso)" -gt 0 \
		-a "$(counter auto hw_tso_packets)" -eq 0
	check "vnet-hdr=auto: no malformed vnet header" test "$(counter auto hw_vnet_hdr_errors)" -eq 0
	check "vnet-hdr=off: the device segmented itself, no GSO frame" \
		test "$(counter off hw_tso_packets)" -gt 0 -a "$(counter off hw_tx_gso)" -eq 0 \
		-a "$(counter off hw_rx_gso)" -eq 0
	check "vnet-hdr=off: the device coalesced itself (LRO)" test "$(counter off hw_lro_frames)" -gt 0
else
	ktap_skip "vnet-hdr=auto: GSO counters" "$nic has no ofnic counters"
	ktap_skip "vnet-hdr=auto: vnet header errors" "$nic"
	ktap_skip "vnet-hdr=off: TSO counters" "$nic"
	ktap_skip "vnet-hdr=off: LRO counters" "$nic"
fi
check "guest dmesg clean" test -e "$res/dmesg.state"
ktap_finish_skip
