#!/bin/bash
# A short round of QEMU's generic fuzzer over both devices (scripts/fuzz: two
# ofnic ports on a hub, then ofdma), OFNIC_FUZZ_SECS seconds each (default
# 120). Fails on any crash, sanitizer report (ASan, UBSan) or hang; the input
# that found it stays in build/fuzz/<target>/ (replay: the fuzzer binary with
# that file as its argument; docs/testing.md). make fuzz is the long run.
#
# Runs on the host (a host suite); boots no VM, so the guest kernel does not
# matter to it.
cd "$(dirname "$0")/../.." || exit 1
exec scripts/fuzz --time "${OFNIC_FUZZ_SECS:-120}"
