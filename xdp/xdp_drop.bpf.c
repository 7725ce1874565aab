// SPDX-License-Identifier: GPL-2.0
/* xdp_drop: drop every frame (XDP_DROP), counting them per RX queue in
 * drop_stats. The program of the XDP_DROP benchmark and selftest.
 */
#include "xdp_common.h"
#include <xdp/xdp_helpers.h>

OFNIC_QSTATS_MAP(drop_stats);

/* libxdp dispatcher: run early; nothing runs after a drop anyway. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_drop);

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	count_frame(&drop_stats, ctx);
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
