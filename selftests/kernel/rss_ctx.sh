#!/bin/bash
# The kernel's drivers/net/hw/rss_ctx.py (6.12) against ofnic: the main RSS
# context, additional contexts with ntuple rules steering into them, queue
# count changes under contexts. It reads per-queue packet counts from qstats.
# Its cases start from 8 queues; they raise the count themselves where they
# need more. (From 4 or fewer, test_rss_key_indir wants one queue in four to
# get 3500 of 20000 packets of iperf3's 16 flows, which random ports deny in
# about one run in 15; from more, it compares two queues' share with the
# rest's.) LRO off: it counts the wire's packets.
# test_hitless_key_update (a key change within 0.2 s) runs under -icount:
# rss_ctx_icount.sh.
cd "$(dirname "$0")/../.." || exit 1
source selftests/kernel/lib.sh
kst_setup
ethtool -L "$LOCAL_IF" combined 8
ethtool -K "$LOCAL_IF" rx-gro-hw off 2>/dev/null
OFNIC_KST_EXCEPT=test_hitless_key_update kst_run hw/rss_ctx.py
