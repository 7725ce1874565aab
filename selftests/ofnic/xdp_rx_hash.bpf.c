// SPDX-License-Identifier: GPL-2.0
/*
 * For selftests/ofnic/xdp_rx_hash.sh: records, per UDP source port, what the
 * bpf_xdp_metadata_rx_hash kfunc answers for datagrams to port 9400 (the RSS
 * hash and hash type the ofnic device wrote back), and passes every frame.
 * Loaded device-bound by xdp_rx_hash_load.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define ETH_P_IP	0x0800
#define TEST_PORT	9400

extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash,
				    enum xdp_rss_hash_type *rss_type) __ksym;

struct rx_hash_rec {
	__u32 hash;
	__u32 type;
	__s32 err;
	__u32 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);		/* UDP source port */
	__type(value, struct rx_hash_rec);
} rx_hash_seen SEC(".maps");

SEC("xdp")
int xdp_rx_hash(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct rx_hash_rec rec = {}, *old;
	enum xdp_rss_hash_type type = 0;
	struct udphdr *udp;
	struct iphdr *ip;
	__u32 sport;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end || udp->dest != bpf_htons(TEST_PORT))
		return XDP_PASS;
	rec.err = bpf_xdp_metadata_rx_hash(ctx, &rec.hash, &type);
	rec.type = type;
	sport = bpf_ntohs(udp->source);
	old = bpf_map_lookup_elem(&rx_hash_seen, &sport);
	rec.count = old ? old->count + 1 : 1;
	bpf_map_update_elem(&rx_hash_seen, &sport, &rec, BPF_ANY);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
