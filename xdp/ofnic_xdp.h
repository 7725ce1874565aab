/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Map key and value layouts of the ofnic XDP programs (xdp/NAME.bpf.c), shared
 * by the programs, their user-space loaders and the tools that edit or read
 * the maps (bpftool map, the C++ tool). xdp/README.md documents each map.
 *
 * The includer provides the __u8/__u16/__u32/__u64 types: vmlinux.h in the
 * BPF programs, <linux/types.h> in user space. Multi-byte fields are in host
 * byte order unless the comment says "network order". Every layout has
 * explicit padding so that it is the same for clang -target bpf and for the
 * host compilers.
 */
#ifndef OFNIC_XDP_H
#define OFNIC_XDP_H

/* Entries of every per-queue counter map: one slot per RX queue. */
#define OFNIC_XDP_MAX_QUEUES	64

/* Value of the per-queue counter maps (BPF_MAP_TYPE_PERCPU_ARRAY keyed by
 * the RX queue index, __u32): frames and bytes the program handled there.
 * Maps: drop_stats, pass_stats, tx_stats, redir_stats, xsk_stats.
 */
struct ofnic_xdp_qstats {
	__u64 packets;
	__u64 bytes;
};

/* xdp_filter: the rule map filter_rules (BPF_MAP_TYPE_HASH). Addresses are
 * IPv6 or IPv4-mapped IPv6 (::ffff:a.b.c.d), network order. A zero field is
 * a wildcard at the lookup that uses it: the program looks up the exact
 * 5-tuple, then with sport 0, then with src :: and sport 0.
 */
struct ofnic_xdp_flow {
	__u8 src[16];		/* network order */
	__u8 dst[16];		/* network order */
	__u16 sport;		/* network order; 0: any (2nd/3rd lookup) */
	__u16 dport;		/* network order */
	__u8 proto;		/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP... */
	__u8 pad[3];		/* must be 0 */
};

/* Value of filter_rules. action: XDP_ABORTED (0, drop and fire the
 * xdp:xdp_exception tracepoint), XDP_DROP (1) or XDP_PASS (2); a rule with
 * another value is ignored (the frame passes). packets/bytes: frames that
 * matched the rule, updated by the program (start them at 0).
 */
struct ofnic_xdp_rule {
	__u32 action;
	__u32 pad;
	__u64 packets;
	__u64 bytes;
};

/* xdp_filter: filter_stats (BPF_MAP_TYPE_PERCPU_ARRAY) keyed by the XDP
 * action the filter returned (0 aborted, 1 drop, 2 pass); value
 * struct ofnic_xdp_qstats.
 */
#define OFNIC_XDP_FILTER_STATS	3

/* xdp_redirect: redirect_cfg (BPF_MAP_TYPE_ARRAY, one entry, key 0). */
enum ofnic_xdp_redirect_mode {
	OFNIC_REDIRECT_OFF = 0,	/* every frame goes to the stack (XDP_PASS) */
	OFNIC_REDIRECT_DEV = 1,	/* IPv4/IPv6 out of the port in tx_port[0] */
	OFNIC_REDIRECT_CPU = 2,	/* IPv4/IPv6 to the stack on a cpu_map CPU */
};

#define OFNIC_REDIRECT_CPU_BY_QUEUE	0xffffffffu	/* cpu: rx queue % ncpus */

struct ofnic_xdp_redirect_cfg {
	__u32 mode;		/* enum ofnic_xdp_redirect_mode */
	__u32 cpu;		/* CPU mode: cpu_map key, or ..._CPU_BY_QUEUE */
	__u32 ncpus;		/* CPU_BY_QUEUE: spread over keys 0..ncpus-1 */
	__u32 pad;
};

/* xdp_xsk: xsk_cfg (BPF_MAP_TYPE_ARRAY, one entry, key 0). */
struct ofnic_xdp_xsk_cfg {
	__u16 udp_port;		/* host order; 0: every frame of the queue */
	__u16 pad;
};

#endif /* OFNIC_XDP_H */
