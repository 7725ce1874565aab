// SPDX-License-Identifier: GPL-2.0
/* xdp_tx_reflect: send UDP frames (IPv4 and IPv6) back out of the port they
 * came in on (XDP_TX) with the Ethernet and IP addresses and the UDP ports
 * swapped, so that the sender's socket receives its own datagrams back.
 * Swapping leaves the IP and UDP checksums valid (one's complement sums do
 * not depend on the order of the words). Every other frame (ARP, neighbour
 * discovery, TCP, ICMP, IPv4 fragments after the first) goes to the stack.
 * Reflected frames are counted per RX queue in tx_stats.
 */
#include "xdp_common.h"
#include <xdp/xdp_helpers.h>

OFNIC_QSTATS_MAP(tx_stats);

struct {
	__uint(priority, 20);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(xdp_tx_reflect);

SEC("xdp")
int xdp_tx_reflect(struct xdp_md *ctx)
{
	struct udphdr *udp;
	struct ethhdr *eth;
	struct hdr h;
	__be16 port;

	if (parse_frame(ctx, &h) < 0)
		return XDP_PASS;
	udp = udp_header(ctx, &h);
	if (!udp)
		return XDP_PASS;
	/* a first fragment carries the UDP header but not all of the datagram */
	if (h.more_frags)
		return XDP_PASS;
	eth = pkt_ptr(ctx, 0, sizeof(*eth));
	if (!eth)
		return XDP_PASS;

	if (h.l3proto == ETH_P_IP) {
		struct iphdr *ip = pkt_ptr(ctx, h.l3off, sizeof(*ip));
		__be32 a;

		if (!ip)
			return XDP_PASS;
		a = ip->saddr;
		ip->saddr = ip->daddr;
		ip->daddr = a;
	} else {
		struct ipv6hdr *ip6 = pkt_ptr(ctx, h.l3off, sizeof(*ip6));
		struct in6_addr a;

		if (!ip6)
			return XDP_PASS;
		a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
	}
	/* the header pointers above were checked against the same bounds */
	udp = udp_header(ctx, &h);
	if (!udp)
		return XDP_PASS;
	port = udp->source;
	udp->source = udp->dest;
	udp->dest = port;
	swap_mac(eth);

	count_frame(&tx_stats, ctx);
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
