#!/bin/bash
# The kernel's own driver selftests (tools/testing/selftests/drivers/net of
# Debian's linux-source-6.12, extracted by scripts/linux-src) in HW mode
# against ofnic, the way netdev's CI runs them on virtio: the local port is
# NETIF, the second port (on the same wire) sits in netns "peer" as the
# remote end (REMOTE_TYPE=netns). Each wrapper runs one upstream file and
# prints its KTAP nested under ours; the file's exit status is the result.
source selftests/ofnic/lib.sh

KST=$(ls -d "$PWD"/build/linux-source-6.12*/tools/testing/selftests/drivers/net 2>/dev/null | head -n 1)

# kst_setup: the pair up and the environment the upstream library reads.
kst_setup() {
	[ -r "$KST/lib/py/env.py" ] ||
		skip_all "the kernel's selftests are not extracted (scripts/linux-src)"
	setup_pair
	# ethtool --json for -x/-k/-g/-c (Debian 12's ethtool has no --json there)
	PATH=$(dirname "$ETHTOOL"):$PATH
	# stats.py takes the link down and up and must find its addresses again
	sysctl -qw net.ipv6.conf."$LOCAL_IF".keep_addr_on_down=1
	export NETIF=$LOCAL_IF LOCAL_V4=$LOCAL_IP REMOTE_V4=$PEER_IP \
		LOCAL_V6=$LOCAL_IP6 REMOTE_V6=$PEER_IP6 \
		REMOTE_TYPE=netns REMOTE_ARGS=peer DISRUPTIVE=1 \
		OFNIC_REMOTE_IFNAME=$PEER_IF
}

# kst_run FILE: run drivers/net/FILE; its KTAP nested, its exit status ours.
# The Python library exits 0 when no case failed, skipped or not: a file whose
# every case skipped is a skip here (exit 4), with the first case's reason.
kst_run() {
	local out rc cases skips
	out=$(/usr/bin/python3 selftests/kernel/kst_run.py "$KST/$1" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	cases=$(grep -cE '^(not )?ok [0-9]+ ' <<<"$out")
	skips=$(grep -cE '^ok [0-9]+ .* # SKIP' <<<"$out")
	if [ "$rc" = 0 ] && [ "$cases" -gt 0 ] && [ "$skips" = "$cases" ]; then
		echo "# SKIP $(grep -m 1 -oE '# SKIP .*' <<<"$out" | sed 's/^# SKIP //')"
		rc=$KSFT_SKIP
	elif [ "$rc" = 0 ] && [ "$cases" = 0 ]; then
		echo "# $1 ran no case"
		rc=$KSFT_FAIL
	fi
	dmesg_clean || rc=$KSFT_FAIL
	exit "$rc"
}
