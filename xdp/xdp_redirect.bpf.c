// SPDX-License-Identifier: GPL-2.0
/* xdp_redirect: XDP_REDIRECT through a devmap or a cpumap, as redirect_cfg
 * says (see ofnic_xdp.h):
 *  - OFNIC_REDIRECT_DEV: unicast IPv4 and IPv6 frames leave through the
 *    port in tx_port[0] (its ndo_xdp_xmit), like one router hop: the TTL or
 *    hop limit is decremented (IPv4 header checksum updated); a frame whose
 *    TTL would expire goes to the stack instead. On two ports joined by one
 *    wire the hop count is what ends the loop a frame otherwise makes. The
 *    link's own business stays local: Ethernet multicast and broadcast, and
 *    ICMPv6 (neighbour discovery needs its hop limit of 255).
 *  - OFNIC_REDIRECT_CPU: IPv4 and IPv6 frames go to the stack on the CPU
 *    cpu_map[cpu] names (cpumap kthread), or spread by RX queue.
 * Other frames (ARP...), frames while the mode is OFNIC_REDIRECT_OFF and
 * frames whose map slot is empty go to the stack (XDP_PASS). Redirected
 * frames are counted per RX queue in redir_stats.
 */
#include "xdp_common.h"
#include <xdp/xdp_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ofnic_xdp_redirect_cfg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} redirect_cfg SEC(".maps");

/* key 0: the ifindex (struct bpf_devmap_val) of the egress port */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tx_port SEC(".maps");

/* key N: struct bpf_cpumap_val { qsize; prog fd/id } of CPU N */
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, OFNIC_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cpu_map SEC(".maps");

OFNIC_QSTATS_MAP(redir_stats);

struct {
	__uint(priority, 30);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_redirect);

/* One hop: TTL - 1 with the IPv4 header checksum updated incrementally
 * (RFC 1624: the TTL is the high byte of its 16-bit word).
 */
static __always_inline void ip4_decrease_ttl(struct iphdr *ip)
{
	__u32 sum = ip->check;

	sum += bpf_htons(0x0100);
	ip->check = (__u16)(sum + (sum >= 0xFFFF));
	ip->ttl--;
}

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	struct ofnic_xdp_redirect_cfg *cfg;
	__u32 key = 0, cpu;
	struct hdr h;
	long act;

	cfg = bpf_map_lookup_elem(&redirect_cfg, &key);
	if (!cfg || cfg->mode == OFNIC_REDIRECT_OFF)
		return XDP_PASS;
	if (parse_frame(ctx, &h) < 0 || !is_ip(&h))
		return XDP_PASS;

	if (cfg->mode == OFNIC_REDIRECT_DEV) {
		struct ethhdr *eth = pkt_ptr(ctx, 0, sizeof(*eth));

		if (!eth || (eth->h_dest[0] & 1))
			return XDP_PASS;
		if (!bpf_map_lookup_elem(&tx_port, &key))
			return XDP_PASS;
		if (h.l3proto == ETH_P_IP) {
			struct iphdr *ip = pkt_ptr(ctx, h.l3off, sizeof(*ip));

			if (!ip || ip->ttl <= 1)
				return XDP_PASS;
			ip4_decrease_ttl(ip);
		} else {
			struct ipv6hdr *ip6 = pkt_ptr(ctx, h.l3off, sizeof(*ip6));

			if (!ip6 || ip6->hop_limit <= 1 || ip6->nexthdr == IPPROTO_ICMPV6)
				return XDP_PASS;
			ip6->hop_limit--;
		}
		act = bpf_redirect_map(&tx_port, 0, XDP_PASS);
	} else if (cfg->mode == OFNIC_REDIRECT_CPU) {
		cpu = cfg->cpu;
		if (cpu == OFNIC_REDIRECT_CPU_BY_QUEUE)
			cpu = cfg->ncpus ? ctx->rx_queue_index % cfg->ncpus : 0;
		act = bpf_redirect_map(&cpu_map, cpu, XDP_PASS);
	} else {
		return XDP_PASS;
	}
	if (act == XDP_REDIRECT)
		count_frame(&redir_stats, ctx);
	return act;
}

char _license[] SEC("license") = "GPL";
