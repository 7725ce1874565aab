// SPDX-License-Identifier: GPL-2.0
/* xdp_pass_count: pass every frame to the stack (XDP_PASS) and count the
 * frames and bytes of each RX queue, per CPU, in pass_stats.
 */
#include "xdp_common.h"
#include <xdp/xdp_helpers.h>

OFNIC_QSTATS_MAP(pass_stats);

/* libxdp dispatcher: after filters (priority 10..), chain on PASS. */
struct {
	__uint(priority, 60);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_pass_count);

SEC("xdp")
int xdp_pass_count(struct xdp_md *ctx)
{
	count_frame(&pass_stats, ctx);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
