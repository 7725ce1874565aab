#!/bin/bash
# What native XDP refuses, and how it meets the offloads: attaching with
# header-data split on, or with an MTU above one page buffer, or with more
# channels than the XDP TX rings allow, fails with the driver's reason
# printed by ip (extack); with a program attached, turning HDS on, raising
# the MTU past the limit and adding channels past it are refused the same
# way (the MTU's reason goes to the kernel log: ndo_change_mtu has no extack
# in 6.12), and nothing changes; LRO (rx-gro-hw) is off while a program is
# attached and back on after; xdp-features tells the truth (ndo-xmit only
# while the XDP TX rings exist; no multi-buffer). tcp-data-split auto is the
# driver's choice (whole frames): it turns a split off and never blocks XDP;
# the legacy ioctl path (ethtool --disable-netlink -G) leaves the split as
# it is.
cd "$(dirname "$0")/../.." || exit 1
source selftests/ofnic/xdp_lib.sh

xdp_require
setup_pair
[ "$XDP_MODE" = drv ] ||
	skip_all "the refusals are the driver's (native XDP); OFNIC_XDP_MODE=$XDP_MODE"
ktap_header 24

# refused DESC: the last attach failed, ip printed the driver's message, and
# no program is attached.
refused() {
	local msg
	msg=$(grep -m1 'Error:' "$OFNIC_TMP/ip.err")
	log "ip: ${msg:-$(tr '\n' ' ' <"$OFNIC_TMP/ip.err")}"
	[ -n "$msg" ] && echo "$msg" | grep -q 'ofnic: ' && [ -z "$(xdp_prog_name "$LOCAL_IF")" ]
}
attach_refused() {	# attach_refused: xdp_pass_count must not attach
	! xdp_attach "$LOCAL_IF" xdp_pass_count >/dev/null 2>&1 && refused
}
mtu() { cat /sys/class/net/"$LOCAL_IF"/mtu; }
dsplit() {
	$ETHTOOL --json -g "$LOCAL_IF" 2>/dev/null |
		sed -n 's/.*"tcp-data-split": *"\([^"]*\)".*/\1/p'
}
auto_stays_off() {
	$ETHTOOL -G "$LOCAL_IF" tcp-data-split auto && test "$(dsplit)" = off
}
set_err() {	# set_err COMMAND...: COMMAND fails; its message -> SET_MSG
	SET_MSG=$("$@" 2>&1) && return 1
	SET_MSG=$(echo "$SET_MSG" | tr '\n' ' ')
	log "$*: $SET_MSG"
	return 0
}

# header-data split
if [ -z "$(dsplit)" ] || [ "$(dsplit)" = n/a ]; then
	for d in "HDS on: attach refused with the driver's message" \
		"HDS off: attach works" "attached: HDS on refused (message)" \
		"attached: HDS stays off" "ioctl -G rx: HDS stays on" \
		"HDS on, then auto: off" "auto: attach works" \
		"attached: auto accepted, HDS stays off"; do
		ktap_skip "$d" "the device has no header-data split ($ETHTOOL -g)"
	done
else
	$ETHTOOL -G "$LOCAL_IF" tcp-data-split on >/dev/null 2>&1
	check "HDS on: attach refused with the driver's message" attach_refused
	rx=$($ETHTOOL --json -g "$LOCAL_IF" | sed -n 's/.*"rx": *\([0-9]*\).*/\1/p')
	$ETHTOOL --disable-netlink -G "$LOCAL_IF" rx $((rx == 512 ? 256 : 512)) >/dev/null 2>&1
	check "ioctl -G rx: HDS stays on" test "$(dsplit)" = on
	$ETHTOOL --disable-netlink -G "$LOCAL_IF" rx "$rx" >/dev/null 2>&1
	$ETHTOOL -G "$LOCAL_IF" tcp-data-split auto >/dev/null 2>&1
	check "HDS on, then auto: off (the driver's choice)" test "$(dsplit)" = off
	check "auto: attach works" xdp_attach "$LOCAL_IF" xdp_pass_count
	check "attached: auto accepted, HDS stays off" auto_stays_off
	xdp_detach "$LOCAL_IF"
	$ETHTOOL -G "$LOCAL_IF" tcp-data-split off >/dev/null 2>&1
	check "HDS off: attach works" xdp_attach "$LOCAL_IF" xdp_pass_count
	check "attached: HDS on refused (message)" \
		set_err $ETHTOOL -G "$LOCAL_IF" tcp-data-split on
	check "attached: HDS stays off" test "$(dsplit)" = off
	xdp_detach "$LOCAL_IF"
fi

# MTU: one buffer per frame
check "MTU 9000 accepted without XDP" ip link set dev "$LOCAL_IF" mtu 9000
check "MTU 9000: attach refused with the driver's message" attach_refused
# the limit the message names
lim=$(grep -o 'MTU <= [0-9]*' "$OFNIC_TMP/ip.err" | grep -o '[0-9]*$')
ip link set dev "$LOCAL_IF" mtu 1500
check "MTU 1500: attach works" xdp_attach "$LOCAL_IF" xdp_pass_count
# ndo_change_mtu has no extack in 6.12: the reason goes to the kernel log
mtu_refused() {	# mtu_refused MTU: refused, the log names it, MTU unchanged
	local before n
	before=$(mtu)
	n=$(dmesg | grep -c "MTU $1 too large")
	set_err ip link set dev "$LOCAL_IF" mtu "$1" || return 1
	log "kernel: $(dmesg | grep "MTU $1 too large" | tail -1 | sed 's/^\[[^]]*\] //')"
	[ "$(dmesg | grep -c "MTU $1 too large")" -gt "$n" ] && [ "$(mtu)" = "$before" ]
}
check "attached: MTU 9000 refused, the kernel log says why" mtu_refused 9000
check "attached: MTU still 1500" test "$(mtu)" = 1500
if [ -n "$lim" ]; then
	check "attached: MTU $lim (the limit) accepted" ip link set dev "$LOCAL_IF" mtu "$lim"
	check "attached: MTU $((lim + 1)) refused" mtu_refused $((lim + 1))
	ip -n peer link set dev "$PEER_IF" mtu "$lim"
	check "attached, MTU $lim: $((lim - 28))-byte unfragmented pings through XDP" \
		quiet ip netns exec peer ping -c 3 -i 0.2 -W 2 -M do -s $((lim - 28)) $LOCAL_IP
	ip -n peer link set dev "$PEER_IF" mtu 1500
else
	check "the MTU message names the limit (MTU <= N)" false
	ktap_skip "attached: MTU at the limit" "no limit in the message"
	ktap_skip "attached: pings at the limit" "no limit in the message"
fi
ip link set dev "$LOCAL_IF" mtu 1500

# LRO (rx-gro-hw) while attached
if feature_fixed_off "$LOCAL_IF" rx-gro-hw; then
	ktap_skip "attached: rx-gro-hw off" "the device has no LRO"
	ktap_skip "detached: rx-gro-hw on again" "the device has no LRO"
else
	xdp_detach "$LOCAL_IF"
	set_features "$LOCAL_IF" "" rx-gro-hw on >/dev/null
	xdp_attach "$LOCAL_IF" xdp_pass_count
	ethtool -K "$LOCAL_IF" rx-gro-hw on >/dev/null 2>&1
	log "attached: rx-gro-hw $(feature_state "$LOCAL_IF" rx-gro-hw)"
	check "attached: rx-gro-hw off (even when asked on)" feature_is "$LOCAL_IF" rx-gro-hw off
	xdp_detach "$LOCAL_IF"
	log "detached: rx-gro-hw $(feature_state "$LOCAL_IF" rx-gro-hw)"
	check "detached: rx-gro-hw on again" feature_is "$LOCAL_IF" rx-gro-hw on
fi

# channels: each needs an XDP TX ring
max=$(ethtool -l "$LOCAL_IF" | awk '/^Combined:/ { print $2; exit }')
cur=$(ethtool -l "$LOCAL_IF" | awk '/^Combined:/ { v = $2 } END { print v }')
log "channels: $cur of $max"
if [ "${max:-1}" -ge 2 ]; then
	xdp_detach "$LOCAL_IF" 2>/dev/null
	ethtool -L "$LOCAL_IF" combined "$max" >/dev/null
	check "$max channels: attach refused with the driver's message" attach_refused
	ethtool -L "$LOCAL_IF" combined $((max / 2)) >/dev/null
	check "$((max / 2)) channels: attach works" xdp_attach "$LOCAL_IF" xdp_pass_count
	check "attached: $((max / 2 + 1)) channels refused (message)" \
		set_err ethtool -L "$LOCAL_IF" combined $((max / 2 + 1))
else
	for d in "max channels: attach refused" "half: attach works" "attached: more refused"; do
		ktap_skip "$d" "$max channel(s)"
	done
fi

# xdp-features (no rx-sg: the jumbo refusal above; xsk-zerocopy: xdp_xsk.sh)
xdp_detach "$LOCAL_IF" 2>/dev/null
f_off=$(xdp_features "$LOCAL_IF" | sort | tr '\n' ' ')
xdp_attach "$LOCAL_IF" xdp_pass_count
f_on=$(xdp_features "$LOCAL_IF" | sort | tr '\n' ' ')
xdp_detach "$LOCAL_IF"
log "xdp-features: detached '$f_off', attached '$f_on'"
check "xdp-features: basic and redirect, with or without a program" \
	sh -c "echo ' $f_off' | grep -q ' basic ' && echo ' $f_off' | grep -q ' redirect ' &&
		echo ' $f_on' | grep -q ' basic ' && echo ' $f_on' | grep -q ' redirect '"
check "xdp-features: ndo-xmit (redirect target) only while the XDP TX rings exist" \
	sh -c "! echo ' $f_off' | grep -q ' ndo-xmit ' && echo ' $f_on' | grep -q ' ndo-xmit '"
check "no kernel warnings" dmesg_clean
teardown_pair
ktap_finish_skip
