/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the ofnic XDP programs: packet parsing with the bounds
 * checks the verifier wants, and the per-queue counters. BPF side only.
 */
#ifndef OFNIC_XDP_COMMON_H
#define OFNIC_XDP_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "ofnic_xdp.h"

/* Macros of the uapi headers that BTF (vmlinux.h) does not carry. */
#define ETH_ALEN	6
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF
#define IPPROTO_ICMPV6	58

/* A per-queue counter map (see ofnic_xdp.h), pinned by name so that bpftool
 * and the C++ tool find it under the loader's pin directory.
 */
#define OFNIC_QSTATS_MAP(name)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);		\
		__uint(max_entries, OFNIC_XDP_MAX_QUEUES);		\
		__type(key, __u32);					\
		__type(value, struct ofnic_xdp_qstats);			\
		__uint(pinning, LIBBPF_PIN_BY_NAME);			\
	} name SEC(".maps")

/* count_frame MAP CTX: one frame of ctx's length on ctx's RX queue. */
static __always_inline void count_frame(void *map, struct xdp_md *ctx)
{
	__u32 q = ctx->rx_queue_index;
	struct ofnic_xdp_qstats *s;

	if (q >= OFNIC_XDP_MAX_QUEUES)
		q = OFNIC_XDP_MAX_QUEUES - 1;
	s = bpf_map_lookup_elem(map, &q);
	if (s) {
		/* per-CPU slot: no other CPU writes it */
		s->packets++;
		s->bytes += ctx->data_end - ctx->data;
	}
}

/* Where the L3 and L4 headers of a frame are, as offsets from ctx->data.
 * The programs turn an offset into a pointer with pkt_ptr(), which does the
 * bounds check the verifier needs right where the pointer is used.
 */
struct hdr {
	__u16 l3proto;			/* ETH_P_*, host order, after VLAN tags */
	__u16 l3off;			/* the IPv4/IPv6 header */
	__u16 l4off;			/* the L4 header; 0: none (not IP, fragment) */
	__u8 l4proto;			/* IPPROTO_*, 0 when not IP */
	__u8 more_frags;		/* IPv4 MF: the datagram continues */
};

#define HDR_MAX_OFF	512		/* headers start within this */

/* pkt_ptr CTX OFF LEN: a pointer to LEN bytes at OFF, or NULL. */
static __always_inline void *pkt_ptr(struct xdp_md *ctx, __u32 off, __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	void *p;

	if (off > HDR_MAX_OFF)
		return NULL;
	p = data + off;
	if (p + len > end)
		return NULL;
	return p;
}

/* parse_frame: the Ethernet header (up to two VLAN tags), the IPv4 or IPv6
 * header and where the L4 header starts. IPv6 extension headers are not
 * followed (l4proto is the first next-header). Non-first IPv4 fragments get
 * no l4off. Returns 0, or -1 when the frame is too short to hold what its
 * headers announce.
 */
static __always_inline int parse_frame(struct xdp_md *ctx, struct hdr *h)
{
	struct vlan_hdr *vh;
	struct ethhdr *eth;
	__u32 off;
	int i;

	__builtin_memset(h, 0, sizeof(*h));
	eth = pkt_ptr(ctx, 0, sizeof(*eth));
	if (!eth)
		return -1;
	h->l3proto = bpf_ntohs(eth->h_proto);
	off = sizeof(*eth);
#pragma unroll
	for (i = 0; i < 2; i++) {
		if (h->l3proto != ETH_P_8021Q && h->l3proto != ETH_P_8021AD)
			break;
		vh = pkt_ptr(ctx, off, sizeof(*vh));
		if (!vh)
			return -1;
		h->l3proto = bpf_ntohs(vh->h_vlan_encapsulated_proto);
		off += sizeof(*vh);
	}
	h->l3off = off;
	if (h->l3proto == ETH_P_IP) {
		struct iphdr *ip = pkt_ptr(ctx, off, sizeof(*ip));

		if (!ip || ip->ihl < 5)
			return -1;
		if (!pkt_ptr(ctx, off, ip->ihl * 4))
			return -1;
		h->l4proto = ip->protocol;
		h->more_frags = !!(ip->frag_off & bpf_htons(IP_MF));
		if (!(ip->frag_off & bpf_htons(IP_OFFSET)))
			h->l4off = off + ip->ihl * 4;
	} else if (h->l3proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = pkt_ptr(ctx, off, sizeof(*ip6));

		if (!ip6)
			return -1;
		h->l4proto = ip6->nexthdr;
		h->l4off = off + sizeof(*ip6);
	}
	return 0;
}

static __always_inline bool is_ip(struct hdr *h)
{
	return h->l3proto == ETH_P_IP || h->l3proto == ETH_P_IPV6;
}

/* udp_header: the frame's UDP header, or NULL (not UDP, or truncated). */
static __always_inline struct udphdr *udp_header(struct xdp_md *ctx, struct hdr *h)
{
	if (!h->l4off || h->l4proto != IPPROTO_UDP)
		return NULL;
	return pkt_ptr(ctx, h->l4off, sizeof(struct udphdr));
}

static __always_inline void swap_mac(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

#endif /* OFNIC_XDP_COMMON_H */
