#!/bin/bash
# vm-run: --cpus 1 --qemu-arg -icount --qemu-arg shift=0,sleep=off
# HW-GRO coalesces like GRO: the kernel's GRO conformance tool
# (tools/testing/selftests/net/gro.c of linux-source-6.12, built by
# scripts/linux-src: data, ack, flags, tcp, ip, large; IPv4 and IPv6) against
# ofnic. Its receiver is a packet socket on the local port: AF_PACKET taps see
# a frame after GRO (__netif_receive_skb_core), so it checks the boundaries
# of the skbs the stack gets, whoever coalesced them. Its sender writes raw
# frames from the peer's port (netns "peer"), across the wire. Each test runs
# three ways: rx-gro-hw on (the device coalesces, software GRO above it, as
# normal), off (software GRO alone), and "hw": rx-gro-hw on with software GRO
# off, the device's own boundaries. The tool expects what software GRO
# builds: "off" passing shows the harness works; "on" failing where "off"
# passes is a defect of the device's LRO or the driver; "hw" failing is the
# device coalescing less (or otherwise) than GRO, which "on" would hide when
# software GRO repairs it. Not in "hw": "ipip", which the device leaves to
# the stack by design (hw-spec §7).
#
# Timing (TCG): the peer's frames of one burst arrive tens to hundreds of
# microseconds apart, and software GRO only merges what one NAPI poll sees
# (napi_complete_done flushes it). So the receiver moderates its interrupts
# (rx-usecs 20000): the first frame of a burst starts the device's 20 ms
# timer and one poll then finds the whole burst (gro.c ends each sub-case
# with a FIN and pauses 100 ms or more between them). The device gets the
# same chance: LRO_TIMEOUT 10 ms instead of 50 us (hw-spec §7, "The flush
# timer and interrupt moderation"). One poll hands the packet socket a whole
# test's skbs at once (the "large" test: two 64 KiB skbs, ~280 KB of
# truesize), more than the default receive buffer, which gro.c does not
# raise: net.core.rmem_default is raised for the test. Each test is tried up
# to 3 times, as the kernel's gro.sh does, to ride out a burst the host's
# scheduler split. make check runs it under -icount (the first line), where
# the guest's clock counts its own instructions: a burst's spacing then does
# not depend on what else the host runs (CI runs two VMs on two cores). It
# passes under plain TCG too (qemu/vm-run -- selftests/kernel/gro.sh).
#
# Two tests of ours follow, by selftests/ofnic/gro_cases.py in the same
# manner, for cases the 6.12 tool lacks: "ecn" (CWR and ECE) and "ipip"
# (TCP/IPv4 in IPv4, IPv4 only).
#
# OFNIC_GRO_MODES (default "on off hw"), OFNIC_GRO_TESTS and OFNIC_GRO_PROTOS
# narrow the runs; OFNIC_GRO_RX_USECS, OFNIC_GRO_LRO_TIMEOUT, OFNIC_GRO_FLUSH_NS and
# OFNIC_GRO_DEFER (gro_flush_timeout, napi_defer_hard_irqs) change the timing.
cd "$(dirname "$0")/../.." || exit 1
source selftests/kernel/lib.sh

GRO_DIR=${OFNIC_GRO_DIR:-$KST/../../net}
GRO=$GRO_DIR/gro
GRO_KG=$GRO_DIR/gro_kg
read -r -a TESTS <<<"${OFNIC_GRO_TESTS:-data ack flags tcp ip large ecn ipip}"
read -r -a PROTOS <<<"${OFNIC_GRO_PROTOS:-ipv4 ipv6}"
read -r -a MODES <<<"${OFNIC_GRO_MODES:-on off hw}"
TRIES=${OFNIC_GRO_TRIES:-3}
RX_USECS=${OFNIC_GRO_RX_USECS:-20000}		# ethtool -C rx-usecs, tx-usecs
FLUSH_NS=${OFNIC_GRO_FLUSH_NS:-0}		# gro_flush_timeout
DEFER=${OFNIC_GRO_DEFER:-0}			# napi_defer_hard_irqs
LRO_TIMEOUT=${OFNIC_GRO_LRO_TIMEOUT:-10000}	# device LRO_TIMEOUT, us
MTU=9000	# the "large" test sends 4 KiB segments

[ -x "$GRO" ] || skip_all "the GRO tool is not built (scripts/linux-src)"
setup_pair
feature_fixed_off "$LOCAL_IF" rx-gro-hw &&
	skip_all "the device has no LRO (rx-gro-hw off [fixed])"
# runs MODE PROTO TEST: whether the test runs so ("ipip" is IPv4 only, and
# left to the stack's GRO by the device)
runs() {
	[ "$3" = ipip ] && { [ "$2" = ipv6 ] || [ "$1" = hw ]; } && return 1
	return 0
}
NCASES=0
for proto in "${PROTOS[@]}"; do
	for t in "${TESTS[@]}"; do
		for mode in "${MODES[@]}"; do
			runs "$mode" "$proto" "$t" && NCASES=$((NCASES + 1))
		done
	done
done
ktap_header $((NCASES + 2))

ip link set "$LOCAL_IF" mtu $MTU
ip -n peer link set "$PEER_IF" mtu $MTU
LOCAL_MAC=$(cat /sys/class/net/$LOCAL_IF/address)
PEER_MAC=$(ip netns exec peer cat /sys/class/net/$PEER_IF/address)
IFINDEX=$(cat /sys/class/net/$LOCAL_IF/ifindex)
RMEM_DEFAULT=$(sysctl -n net.core.rmem_default)
sysctl -qw net.core.rmem_default=$((4 << 20))

# set_lro_timeout USECS: the device's LRO_TIMEOUT (ofnic's netlink family).
set_lro_timeout() {
	"$OFNIC_TOP/build/userspace/ofnicctl" set lro "$LOCAL_IF" --timeout "$1" >/dev/null
}

# mode_setup on|off|hw: the receiver's offloads and GRO timing.
mode_setup() {
	local ok=0
	case $1 in
	on) set_features "$LOCAL_IF" "" rx on gro on rx-gro-hw on || ok=1 ;;
	off) set_features "$LOCAL_IF" "" rx on gro on rx-gro-hw off || ok=1 ;;
	hw) set_features "$LOCAL_IF" "" rx on gro off rx-gro-hw on || ok=1 ;;
	esac
	echo "$FLUSH_NS" >/sys/class/net/$LOCAL_IF/gro_flush_timeout || ok=1
	echo "$DEFER" >/sys/class/net/$LOCAL_IF/napi_defer_hard_irqs || ok=1
	set_lro_timeout "$LRO_TIMEOUT" || { log "cannot set LRO_TIMEOUT"; ok=1; }
	quiet ethtool -C "$LOCAL_IF" adaptive-rx off rx-usecs "$RX_USECS" rx-frames 0 \
		tx-usecs "$RX_USECS" tx-frames 0
	[ "$(ethtool -c "$LOCAL_IF" | awk '$1 == "rx-usecs:" { print $2 }')" = "$RX_USECS" ] ||
		{ log "cannot set rx-usecs"; ok=1; }
	return $ok
}

# rx_ready PROTO: the receiver's packet socket is bound to the local port.
rx_ready() {
	local p=0800
	[ "$1" = ipv6 ] && p=86dd
	awk -v p="$p" -v i="$IFINDEX" 'NR > 1 && $4 == p && $5 == i && $6 == 1 { f = 1 }
		END { exit !f }' /proc/net/packet
}

# gro_once BIN MODE PROTO TEST: one receiver/sender run; the receiver's
# output in $OFNIC_TMP/gro.out; its exit status. Sets LRO_F, LRO_S (the
# device's coalesced frames and their segments meanwhile) and IRQS (the
# receiver's queue-pair interrupts, i.e. its NAPI batches).
gro_once() {
	local bin=$1 proto=$3 t=$4 rxpid rc b a i0
	local args=("--$proto" --smac "$PEER_MAC" --dmac "$LOCAL_MAC" --test "$t" --verbose)
	if ours "$t"; then
		bin=$OFNIC_TOP/selftests/ofnic/gro_cases.py
		args=(--smac "$PEER_MAC" --dmac "$LOCAL_MAC" --test "$t")
		[ "$proto" = ipv6 ] && args+=(--ipv6)
	fi
	b=$(stats_save "$LOCAL_IF")
	i0=$(qp_irqs "$LOCAL_IF")
	# (stdout line-buffered: the sub-case names and the verbose lists, which
	# go to stderr, stay in order)
	timeout 180 stdbuf -oL "$bin" "${args[@]}" --rx --iface "$LOCAL_IF" \
		>"$OFNIC_TMP/gro.out" 2>&1 &
	rxpid=$!
	if ! wait_for "rx_ready $proto" 20; then
		log "$t: the receiver did not bind"
		kill "$rxpid" 2>/dev/null
		wait "$rxpid"
		return 1
	fi
	ip netns exec peer timeout 180 "$bin" "${args[@]}" --iface "$PEER_IF" \
		>"$OFNIC_TMP/gro.tx" 2>&1 ||
		log "$t: sender failed: $(tr '\n' ' ' <"$OFNIC_TMP/gro.tx")"
	wait "$rxpid"
	rc=$?
	a=$(stats_save "$LOCAL_IF")
	LRO_F=$(stats_delta "$b" "$a" '^hw_lro_frames$')
	LRO_S=$(stats_delta "$b" "$a" '^hw_lro_segments$')
	IRQS=$(($(qp_irqs "$LOCAL_IF") - i0))
	return $rc
}

# ours TEST: a test of gro_cases.py, not of gro.c.
ours() {
	[ "$1" = ecn ] || [ "$1" = ipip ]
}

# subcases: the receiver's output as one line per sub-case:
# "NAME: expected {..} received {..}: ok|FAIL ...".
subcases() {
	if ours "$t"; then
		grep -E ': (ok|FAIL)' "$OFNIC_TMP/gro.out" | sed 's/^/  /'
		return
	fi
	awk '
		/Expected \{/ { e = $0; sub(/^.*Expected /, "expected ", e); sub(/, Total.*/, "", e); next }
		/^Received \{.*could not/ { r = $0; sub(/^Received /, "received ", r); sub(/ *\/[^ ]*: .*/, "", r)
			m = $0; sub(/^.*\/[^ ]*: /, "", m)
			print "  " e " " r ": FAIL (" m ")"; e = r = ""; next }
		/^Received \{/ { r = $0; sub(/^Received /, "received ", r); sub(/, Total.*/, "", r); next }
		/Test succeeded/ { n = $0; sub(/ *Test succeeded.*/, "", n)
			print "  " n " " e " " r ": ok"; e = r = ""; next }
		/FAILED|incorrect|could not/ { n = $0; sub(/ *(\/[^ ]*: |FAILED: ).*/, "", n)
			m = $0; sub(/^.*(\/[^ ]*: |FAILED: )/, "", m)
			print "  " n " " e " " r ": FAIL (" m ")"; e = r = ""; next }
	' "$OFNIC_TMP/gro.out"
}

RESULTS=()

# gro_case MODE PROTO TEST: up to TRIES runs, the first pass wins.
gro_case() {
	local mode=$1 proto=$2 t=$3 try tries=$TRIES
	for ((try = 1; try <= tries; try++)); do
		if gro_once "$GRO" "$@"; then
			log "$mode $proto $t: pass on try $try; device LRO: $LRO_F frames of $LRO_S segments; $IRQS interrupts"
			subcases | sed 's/^/# /'
			RESULTS+=("$mode $proto $t pass $try")
			return 0
		fi
		log "$mode $proto $t: try $try failed; device LRO: $LRO_F frames of $LRO_S segments; $IRQS interrupts"
		sed 's/^/#   | /' "$OFNIC_TMP/gro.out"
	done
	# Every sub-case of the test, past the first that failed.
	if ours "$t"; then
		subcases | sed 's/^/# /'
	elif [ -x "$GRO_KG" ]; then
		gro_once "$GRO_KG" "$@"
		log "$mode $proto $t: all sub-cases (keep-going run); device LRO: $LRO_F frames of $LRO_S segments; $IRQS interrupts"
		subcases | sed 's/^/# /'
	fi
	RESULTS+=("$mode $proto $t FAIL $tries")
	return 1
}

ping -c 1 -W 2 $PEER_IP >/dev/null 2>&1
log "receiver: rx-usecs $RX_USECS, gro_flush_timeout $FLUSH_NS, napi_defer_hard_irqs $DEFER," \
	"LRO_TIMEOUT $LRO_TIMEOUT us, MTU $MTU"
STATS0=$(stats_save "$LOCAL_IF")
for proto in "${PROTOS[@]}"; do
	for t in "${TESTS[@]}"; do
		for mode in "${MODES[@]}"; do
			runs "$mode" "$proto" "$t" || continue
			if ! mode_setup "$mode"; then
				ktap_result "not ok" "$mode $proto $t: receiver setup"
				continue
			fi
			check "rx-gro-hw $mode: $proto $t" gro_case "$mode" "$proto" "$t"
		done
	done
done

log "results (mode proto test verdict tries):"
for r in "${RESULTS[@]}"; do
	log "  $r"
done
# The stack never saw a coalesced frame it could not take.
check "no frame dropped by the driver (rxN_length_errors)" \
	test "$(stats_delta "$STATS0" "$(stats_save "$LOCAL_IF")" '^rx[0-9]+_length_errors$')" -eq 0
check "no kernel warnings" dmesg_clean
sysctl -qw net.core.rmem_default="$RMEM_DEFAULT"
teardown_pair
ktap_finish
