#!/bin/bash
# Shared helpers of the ofdma selftests (run inside the VM by selftests/run).
# KTAP helpers (ktap_header, check, ktap_finish, log, die, wait_for,
# dmesg_clean) come from selftests/ofnic/lib.sh.
source selftests/ofnic/lib.sh

OFDMA_KO=${OFDMA_KO:-kmod/ofdma/ofdma.ko}
DMATEST_KO=build/dmatest/dmatest.ko
DMATEST_P=/sys/module/dmatest/parameters

load_ofdma() {
	lsmod | grep -q '^ofdma ' && return 0
	insmod "$OFDMA_KO" "$@"
}

unload_ofdma() {
	lsmod | grep -q '^ofdma ' || return 0
	rmmod ofdma
}

# The PCI name of the ofdma device (e.g. 0000:00:04.0), once bound.
ofdma_pci() {
	local d
	for d in /sys/bus/pci/drivers/ofdma/0000:*; do
		[ -e "$d" ] && basename "$d" && return 0
	done
	return 1
}

# The dmaengine channel names of the device (dma0chan0 ...).
ofdma_chans() {
	local p
	p=$(ofdma_pci) || return 1
	ls "/sys/bus/pci/devices/$p/dma" 2>/dev/null | sort -V
}

ofdma_dbg() {	# ofdma_dbg FILE: the path of a debugfs file of the device
	echo "/sys/kernel/debug/ofdma/$(ofdma_pci)/$1"
}

# ofdma_stat CHAN KEY: one counter of debugfs stats.
ofdma_stat() {
	awk -v c="chan$1" -v k="$2" '$1 == c && $2 == k { print $3 }' "$(ofdma_dbg stats)"
}

# dmatest.ko, built by make (selftests/ofdma/build-dmatest) or here.
need_dmatest() {
	[ -e "$DMATEST_KO" ] || selftests/ofdma/build-dmatest >/dev/null ||
		die "cannot build dmatest.ko"
}

# dmatest_start PARAM=VALUE...: load dmatest and start it on the ofdma device.
dmatest_start() {
	need_dmatest
	lsmod | grep -q '^dmatest ' && rmmod dmatest
	DMESG_MARK=$(dmesg | wc -l)
	insmod "$DMATEST_KO" device="$(ofdma_pci)" "$@" run=1
}

# dmatest_wait: block until the running test is over.
dmatest_wait() {
	cat "$DMATEST_P/wait" >/dev/null
}

# dmatest_failures: the failure lines of the last run.
dmatest_failures() {
	dmesg | tail -n +$((DMESG_MARK + 1)) | grep -o 'dmatest: dma[0-9]*chan[0-9]*-copy[0-9]*: result.*'
}

# dmatest_summaries: the summary lines of the last run.
dmatest_summaries() {
	dmesg | tail -n +$((DMESG_MARK + 1)) | grep -o 'dmatest: dma[0-9]*chan[0-9]*-copy[0-9]*: summary.*'
}

# dmatest_ok NCHAN ITER: NCHAN summaries, each ITER tests and 0 failures.
dmatest_ok() {
	local n=$1 it=$2 lines bad
	lines=$(dmatest_summaries)
	echo "$lines" | sed 's/^/# /'
	[ "$(echo "$lines" | grep -c summary)" -eq "$n" ] || return 1
	bad=$(echo "$lines" | awk -v it="$it" '
		{ for (i = 1; i <= NF; i++) {
			if ($i == "summary") t = $(i + 1)
			if ($i == "failures") f = $(i - 1)
		  }
		  if (t != it || f != 0 || $NF != "(0)") print }')
	[ -z "$bad" ] && return 0
	dmatest_failures | head -n 20 | sed 's/^/# /'
	return 1
}
