#!/bin/bash
# The kernel's drivers/net/hw/rss_ctx.py (6.12) against ofnic: the main RSS
# context, additional contexts with ntuple rules steering into them, queue
# count changes under contexts. It reads per-queue packet counts from qstats.
# Its cases start from 4 queues (key_indir needs 3); they raise the count
# themselves where they need more. LRO off: it counts the wire's packets.
# test_hitless_key_update (a key change within 0.2 s) runs under -icount:
# rss_ctx_icount.sh.
cd "$(dirname "$0")/../.." || exit 1
source selftests/kernel/lib.sh
kst_setup
ethtool -L "$LOCAL_IF" combined 4
ethtool -K "$LOCAL_IF" rx-gro-hw off 2>/dev/null
OFNIC_KST_EXCEPT=test_hitless_key_update kst_run hw/rss_ctx.py
