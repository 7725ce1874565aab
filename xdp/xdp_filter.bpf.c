// SPDX-License-Identifier: GPL-2.0
/* xdp_filter: a 5-tuple filter. Each IPv4/IPv6 frame's (src, dst, sport,
 * dport, proto) is looked up in filter_rules (struct ofnic_xdp_flow ->
 * struct ofnic_xdp_rule, see ofnic_xdp.h): first exactly, then with sport 0,
 * then with src :: and sport 0. The first rule found decides: XDP_DROP,
 * XDP_PASS or XDP_ABORTED (dropped, and the xdp:xdp_exception tracepoint
 * fires); its packets/bytes count the match. No rule, or a frame that is not
 * IP: XDP_PASS. IPv4 addresses are looked up IPv4-mapped (::ffff:a.b.c.d).
 * Ports are those of TCP and UDP (0 for other protocols and for IPv4
 * fragments after the first). filter_stats counts the decisions.
 * The rule map is pinned by name: tools edit it while the program runs.
 */
#include "xdp_common.h"
#include <xdp/xdp_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct ofnic_xdp_flow);
	__type(value, struct ofnic_xdp_rule);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} filter_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, OFNIC_XDP_FILTER_STATS);
	__type(key, __u32);
	__type(value, struct ofnic_xdp_qstats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} filter_stats SEC(".maps");

/* libxdp dispatcher: a filter runs first; the next program sees its PASS. */
struct {
	__uint(priority, 10);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_filter);

static __always_inline int decide(struct xdp_md *ctx, __u32 act)
{
	struct ofnic_xdp_qstats *s = bpf_map_lookup_elem(&filter_stats, &act);

	if (s) {
		s->packets++;
		s->bytes += ctx->data_end - ctx->data;
	}
	return act;
}

SEC("xdp")
int xdp_filter(struct xdp_md *ctx)
{
	struct ofnic_xdp_flow k = {};
	struct ofnic_xdp_rule *r;
	struct hdr h;
	__u32 act;

	if (parse_frame(ctx, &h) < 0 || !is_ip(&h))
		return decide(ctx, XDP_PASS);
	if (h.l3proto == ETH_P_IP) {
		struct iphdr *ip = pkt_ptr(ctx, h.l3off, sizeof(*ip));

		if (!ip)
			return decide(ctx, XDP_PASS);
		k.src[10] = 0xff;
		k.src[11] = 0xff;
		__builtin_memcpy(&k.src[12], &ip->saddr, 4);
		k.dst[10] = 0xff;
		k.dst[11] = 0xff;
		__builtin_memcpy(&k.dst[12], &ip->daddr, 4);
	} else {
		struct ipv6hdr *ip6 = pkt_ptr(ctx, h.l3off, sizeof(*ip6));

		if (!ip6)
			return decide(ctx, XDP_PASS);
		__builtin_memcpy(k.src, &ip6->saddr, 16);
		__builtin_memcpy(k.dst, &ip6->daddr, 16);
	}
	k.proto = h.l4proto;
	if (h.l4off && (h.l4proto == IPPROTO_TCP || h.l4proto == IPPROTO_UDP)) {
		/* source and destination port lead both headers */
		__be16 *ports = pkt_ptr(ctx, h.l4off, 4);

		if (!ports)
			return decide(ctx, XDP_PASS);
		k.sport = ports[0];
		k.dport = ports[1];
	}

	r = bpf_map_lookup_elem(&filter_rules, &k);
	if (!r) {
		k.sport = 0;
		r = bpf_map_lookup_elem(&filter_rules, &k);
	}
	if (!r) {
		__builtin_memset(k.src, 0, sizeof(k.src));
		r = bpf_map_lookup_elem(&filter_rules, &k);
	}
	if (!r)
		return decide(ctx, XDP_PASS);
	act = r->action;
	if (act > XDP_PASS)
		return decide(ctx, XDP_PASS);
	__sync_fetch_and_add(&r->packets, 1);
	__sync_fetch_and_add(&r->bytes, ctx->data_end - ctx->data);
	return decide(ctx, act);
}

char _license[] SEC("license") = "GPL";
