#!/bin/bash
# vm-run: --cpus 1 --qemu-arg -icount --qemu-arg shift=0,sleep=off
# rss_ctx.py's test_hitless_key_update: `ethtool -X hkey` under traffic must
# return within 0.2 s. Under plain TCG the guest's clock is the host's and
# the Python harness's fork and exec alone take longer; under -icount
# (shift=0: one instruction per ns, idle time skipped) the guest's clock
# counts the work done, as on a 1 GHz machine.
cd "$(dirname "$0")/../.." || exit 1
source selftests/kernel/lib.sh
kst_setup
ethtool -K "$LOCAL_IF" rx-gro-hw off 2>/dev/null
OFNIC_KST_CASES=test_hitless_key_update kst_run hw/rss_ctx.py
