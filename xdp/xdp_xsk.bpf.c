// SPDX-License-Identifier: GPL-2.0
/* xdp_xsk: the XDP program of the AF_XDP receiver (xsk_rx). A frame that
 * arrives on RX queue N goes to the AF_XDP socket in xsks_map[N] when one is
 * bound there and the frame is selected: every frame when xsk_cfg.udp_port
 * is 0, else only IPv4/IPv6 UDP to that port (so ARP and the rest of the
 * queue's traffic still reach the stack). Everything else: XDP_PASS.
 * Frames handed to a socket are counted per RX queue in xsk_stats.
 */
#include "xdp_common.h"
#include <xdp/xdp_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, OFNIC_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ofnic_xdp_xsk_cfg);
} xsk_cfg SEC(".maps");

OFNIC_QSTATS_MAP(xsk_stats);

struct {
	__uint(priority, 40);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_xsk);

SEC("xdp")
int xdp_xsk(struct xdp_md *ctx)
{
	__u32 key = 0, q = ctx->rx_queue_index;
	struct ofnic_xdp_xsk_cfg *cfg;
	struct udphdr *udp;
	struct hdr h;
	long act;

	cfg = bpf_map_lookup_elem(&xsk_cfg, &key);
	if (cfg && cfg->udp_port) {
		if (parse_frame(ctx, &h) < 0)
			return XDP_PASS;
		udp = udp_header(ctx, &h);
		if (!udp || udp->dest != bpf_htons(cfg->udp_port))
			return XDP_PASS;
	}
	act = bpf_redirect_map(&xsks_map, q, XDP_PASS);
	if (act == XDP_REDIRECT)
		count_frame(&xsk_stats, ctx);
	return act;
}

char _license[] SEC("license") = "GPL";
