// SPDX-License-Identifier: GPL-2.0
/*
 * xsk_rx: the AF_XDP receiver of the ofnic XDP examples. Loads xdp_xsk
 * (through its libbpf skeleton), attaches it to IFACE, binds an AF_XDP
 * socket (libxdp's xsk API) to one RX queue in copy or zero-copy mode, and
 * receives frames from it. With --verify (the default) each UDP datagram to
 * the chosen port must carry the test payload xdp_udp.py sends (magic,
 * sequence number, length, byte pattern) with correct IPv4 and UDP
 * checksums; the summary counts verified, bad and duplicate frames.
 *
 *   xsk_rx -i IFACE [-q QUEUE] [-c copy|zerocopy|auto] [-x native|generic]
 *          [-p UDP_PORT] [-n COUNT] [-t SECONDS] [-v]
 *
 * Exit status: 0 when COUNT distinct datagrams arrived intact and none was
 * bad (COUNT 0: run until the timeout, no bad frame), 1 otherwise, 2 when
 * the socket or the program could not be set up (the reason is printed).
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/types.h>
#include <linux/udp.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "ofnic_xdp.h"
#include "xdp_xsk.skel.h"

#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define NUM_FRAMES	4096
#define FRAME_SIZE	XSK_UMEM__DEFAULT_FRAME_SIZE
#define RX_BATCH	64
#define MAX_SEQ		(1u << 20)

/* The payload xdp_udp.py sends: magic, sequence number, payload length
 * (both network order), then byte i = (seq * 31 + i) & 0xff.
 */
#define PAYLOAD_MAGIC	"OFNICXDP"
#define PAYLOAD_HDR	16

static volatile sig_atomic_t stop;

static struct {
	const char *ifname;
	unsigned int ifindex;
	__u32 queue;
	const char *copy;	/* copy, zerocopy, auto */
	const char *xdp_mode;	/* native, generic */
	__u16 port;
	unsigned long count;
	unsigned int timeout;
	bool verify;
	bool verbose;
} opt = {
	.copy = "copy", .xdp_mode = "native", .port = 0, .count = 0,
	.timeout = 30, .verify = true,
};

static struct {
	unsigned long frames, verified, bad, dup, other;
	unsigned char *seen;
} st;

/* libbpf's messages, without the note about libxdp's .xdp_run_config section
 * (the dispatcher's run priority, meaningless to a plain load).
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || strstr(fmt, "unrecognized data section"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xsk_rx -i IFACE [-q QUEUE] [-c copy|zerocopy|auto] [-x native|generic]\n"
		"              [-p UDP_PORT] [-n COUNT] [-t SECONDS] [--no-verify] [-v]\n"
		"  -q  RX queue to bind (default 0)\n"
		"  -c  AF_XDP bind mode: XDP_COPY (default), XDP_ZEROCOPY, or the kernel's choice\n"
		"  -x  attach xdp_xsk in native (driver, default) or generic (skb) mode\n"
		"  -p  only UDP to this port goes to the socket (default: every frame of the queue)\n"
		"  -n  stop after COUNT distinct verified datagrams (default 0: until the timeout)\n"
		"  -t  give up after SECONDS (default 30)\n");
}

static __u16 fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

static __u32 sum16(const void *data, size_t len, __u32 sum)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/* A bad frame: count it, say why (the first few). */
static void bad(const char *why, unsigned long seq)
{
	st.bad++;
	if (st.bad <= 5 || opt.verbose)
		printf("xsk_rx: bad frame %lu (seq %lu): %s\n", st.frames, seq, why);
}

/* check_frame: one received frame; sets the counters. */
static void check_frame(const unsigned char *f, __u32 len)
{
	const struct ethhdr *eth = (const void *)f;
	const unsigned char *l4, *pl;
	const struct udphdr *udp;
	__u32 sum, seq, plen, i;
	__u16 proto, ulen;
	bool v6;

	st.frames++;
	if (len < sizeof(*eth)) {
		bad("shorter than an Ethernet header", 0);
		return;
	}
	proto = ntohs(eth->h_proto);
	if (proto == ETH_P_IP) {
		const struct iphdr *ip = (const void *)(f + sizeof(*eth));

		if (len < sizeof(*eth) + sizeof(*ip) || ip->ihl < 5 ||
		    len < sizeof(*eth) + ip->ihl * 4u) {
			bad("truncated IPv4 header", 0);
			return;
		}
		if (ip->protocol != IPPROTO_UDP)
			goto other;
		if (fold(sum16(ip, ip->ihl * 4u, 0)) != 0xffff) {
			bad("IPv4 header checksum", 0);
			return;
		}
		if (ntohs(ip->tot_len) + sizeof(*eth) > len) {
			bad("IPv4 total length beyond the frame", 0);
			return;
		}
		l4 = (const unsigned char *)ip + ip->ihl * 4;
		sum = sum16(&ip->saddr, 8, 0) + IPPROTO_UDP;
		v6 = false;
	} else if (proto == ETH_P_IPV6) {
		const struct ipv6hdr *ip6 = (const void *)(f + sizeof(*eth));

		if (len < sizeof(*eth) + sizeof(*ip6)) {
			bad("truncated IPv6 header", 0);
			return;
		}
		if (ip6->nexthdr != IPPROTO_UDP)
			goto other;
		l4 = (const unsigned char *)(ip6 + 1);
		sum = sum16(&ip6->saddr, 32, 0) + IPPROTO_UDP;
		v6 = true;
	} else {
		goto other;
	}
	udp = (const void *)l4;
	if (l4 + sizeof(*udp) > f + len) {
		bad("truncated UDP header", 0);
		return;
	}
	if (opt.port && ntohs(udp->dest) != opt.port)
		goto other;
	ulen = ntohs(udp->len);
	if (ulen < sizeof(*udp) || l4 + ulen > f + len) {
		bad("UDP length beyond the frame", 0);
		return;
	}
	if (!opt.verify) {
		st.verified++;
		return;
	}
	pl = l4 + sizeof(*udp);
	plen = ulen - sizeof(*udp);
	if (plen < PAYLOAD_HDR || memcmp(pl, PAYLOAD_MAGIC, 8)) {
		if (!opt.port)
			goto other;	/* someone else's UDP on this queue */
		bad("payload without the test header", 0);
		return;
	}
	memcpy(&seq, pl + 8, 4);
	seq = ntohl(seq);
	memcpy(&i, pl + 12, 4);
	if (ntohl(i) != plen) {
		bad("payload length differs from the sent one", seq);
		return;
	}
	if (udp->check || v6) {
		sum += ulen;
		if (fold(sum16(l4, ulen, sum)) != 0xffff) {
			bad("UDP checksum", seq);
			return;
		}
	}
	for (i = PAYLOAD_HDR; i < plen; i++) {
		if (pl[i] != (unsigned char)(seq * 31 + i)) {
			bad("payload byte pattern", seq);
			return;
		}
	}
	if (seq < MAX_SEQ) {
		if (st.seen[seq]) {
			st.dup++;
			return;
		}
		st.seen[seq] = 1;
	}
	st.verified++;
	if (opt.verbose)
		printf("xsk_rx: seq %u, %u payload bytes, ok\n", seq, plen);
	return;
other:
	st.other++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "queue", required_argument, NULL, 'q' },
		{ "copy-mode", required_argument, NULL, 'c' },
		{ "xdp-mode", required_argument, NULL, 'x' },
		{ "port", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-verify", no_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct xsk_socket_config xcfg = {};
	struct xsk_umem_config ucfg = {
		.fill_size = XSK_RING_PROD__DEFAULT_NUM_DESCS * 2,
		.comp_size = XSK_RING_CONS__DEFAULT_NUM_DESCS,
		.frame_size = FRAME_SIZE,
		.frame_headroom = 0,
	};
	struct ofnic_xdp_xsk_cfg cfg = {};
	struct xdp_statistics xs = {};
	struct xdp_options xo = {};
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp, rx;
	struct xsk_socket *xsk = NULL;
	struct xsk_umem *umem = NULL;
	struct xdp_xsk *skel = NULL;
	__u32 xdp_flags, idx = 0, key = 0, n, i;
	int c, err, fd, ret = 2;
	bool attached = false;
	socklen_t sl;
	void *area;
	double end;

	while ((c = getopt_long(argc, argv, "i:q:c:x:p:n:t:vh", lopts, NULL)) != -1) {
		switch (c) {
		case 'i': opt.ifname = optarg; break;
		case 'q': opt.queue = strtoul(optarg, NULL, 0); break;
		case 'c': opt.copy = optarg; break;
		case 'x': opt.xdp_mode = optarg; break;
		case 'p': opt.port = strtoul(optarg, NULL, 0); break;
		case 'n': opt.count = strtoul(optarg, NULL, 0); break;
		case 't': opt.timeout = strtoul(optarg, NULL, 0); break;
		case 'N': opt.verify = false; break;
		case 'v': opt.verbose = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!opt.ifname || optind != argc) {
		usage(stderr);
		return 2;
	}
	opt.ifindex = if_nametoindex(opt.ifname);
	if (!opt.ifindex) {
		fprintf(stderr, "xsk_rx: no interface %s\n", opt.ifname);
		return 2;
	}
	if (!strcmp(opt.xdp_mode, "native")) {
		xdp_flags = XDP_FLAGS_DRV_MODE;
	} else if (!strcmp(opt.xdp_mode, "generic")) {
		xdp_flags = XDP_FLAGS_SKB_MODE;
	} else {
		fprintf(stderr, "xsk_rx: -x native|generic, not %s\n", opt.xdp_mode);
		return 2;
	}
	if (!strcmp(opt.copy, "copy")) {
		xcfg.bind_flags = XDP_COPY;
	} else if (!strcmp(opt.copy, "zerocopy")) {
		xcfg.bind_flags = XDP_ZEROCOPY;
	} else if (strcmp(opt.copy, "auto")) {
		fprintf(stderr, "xsk_rx: -c copy|zerocopy|auto, not %s\n", opt.copy);
		return 2;
	}
	xcfg.bind_flags |= XDP_USE_NEED_WAKEUP;
	xcfg.rx_size = XSK_RING_CONS__DEFAULT_NUM_DESCS;
	xcfg.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD;
	xcfg.xdp_flags = xdp_flags;
	st.seen = calloc(MAX_SEQ, 1);
	if (!st.seen)
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	/* The program, from the skeleton; only the chosen port if asked. */
	libbpf_set_print(libbpf_print);
	skel = xdp_xsk__open_and_load();
	if (!skel) {
		fprintf(stderr, "xsk_rx: loading xdp_xsk failed: %s\n", strerror(errno));
		goto out;
	}
	cfg.udp_port = opt.port;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xsk_cfg), &key, &cfg, 0)) {
		fprintf(stderr, "xsk_rx: xsk_cfg: %s\n", strerror(errno));
		goto out;
	}
	err = bpf_xdp_attach(opt.ifindex, bpf_program__fd(skel->progs.xdp_xsk),
			     xdp_flags | XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err) {
		fprintf(stderr, "xsk_rx: attaching xdp_xsk (%s) to %s failed: %s\n",
			opt.xdp_mode, opt.ifname, strerror(-err));
		goto out;
	}
	attached = true;

	/* UMEM, then the socket bound to the queue. */
	area = mmap(NULL, (size_t)NUM_FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (area == MAP_FAILED) {
		fprintf(stderr, "xsk_rx: mmap: %s\n", strerror(errno));
		goto out;
	}
	err = xsk_umem__create(&umem, area, (__u64)NUM_FRAMES * FRAME_SIZE, &fill, &comp,
			       &ucfg);
	if (err) {
		fprintf(stderr, "xsk_rx: xsk_umem__create: %s\n", strerror(-err));
		goto out;
	}
	err = xsk_socket__create(&xsk, opt.ifname, opt.queue, umem, &rx, NULL, &xcfg);
	if (err) {
		fprintf(stderr, "xsk_rx: binding an AF_XDP socket to %s queue %u (%s) failed: %s\n",
			opt.ifname, opt.queue,
			!strcmp(opt.copy, "zerocopy") ? "XDP_ZEROCOPY" :
			!strcmp(opt.copy, "copy") ? "XDP_COPY" : "auto", strerror(-err));
		goto out;
	}
	fd = xsk_socket__fd(xsk);
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.xsks_map), &opt.queue, &fd, 0)) {
		fprintf(stderr, "xsk_rx: xsks_map[%u]: %s\n", opt.queue, strerror(errno));
		goto out;
	}
	/* Every frame of the UMEM into the fill ring. */
	n = xsk_ring_prod__reserve(&fill, ucfg.fill_size, &idx);
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&fill, idx + i) = (__u64)i * FRAME_SIZE;
	xsk_ring_prod__submit(&fill, n);

	sl = sizeof(xo);
	if (getsockopt(fd, SOL_XDP, XDP_OPTIONS, &xo, &sl)) {
		fprintf(stderr, "xsk_rx: XDP_OPTIONS: %s\n", strerror(errno));
		goto out;
	}
	printf("xsk_rx: %s queue %u: AF_XDP socket bound, %s mode, xdp_xsk %s, port %s%u\n",
	       opt.ifname, opt.queue, (xo.flags & XDP_OPTIONS_ZEROCOPY) ? "zero-copy" : "copy",
	       opt.xdp_mode, opt.port ? "" : "any/", opt.port);
	printf("xsk_rx: ready\n");
	fflush(stdout);

	ret = 1;
	end = now() + opt.timeout;
	while (!stop && now() < end && (!opt.count || st.verified < opt.count)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (xsk_ring_prod__needs_wakeup(&fill))
			recvfrom(fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		n = xsk_ring_cons__peek(&rx, RX_BATCH, &idx);
		if (!n) {
			poll(&pfd, 1, 100);
			continue;
		}
		for (i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rx, idx + i);
			__u64 addr = xsk_umem__add_offset_to_addr(d->addr);

			check_frame(xsk_umem__get_data(area, addr), d->len);
		}
		/* The frames go back to the fill ring (their chunk addresses). */
		{
			__u32 fidx = 0, got;

			got = xsk_ring_prod__reserve(&fill, n, &fidx);
			while (got != n && !stop) {
				got = xsk_ring_prod__reserve(&fill, n, &fidx);
			}
			for (i = 0; i < got; i++) {
				const struct xdp_desc *d = xsk_ring_cons__rx_desc(&rx, idx + i);

				*xsk_ring_prod__fill_addr(&fill, fidx + i) =
					xsk_umem__extract_addr(d->addr);
			}
			xsk_ring_prod__submit(&fill, got);
		}
		xsk_ring_cons__release(&rx, n);
	}

	sl = sizeof(xs);
	if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, &xs, &sl))
		memset(&xs, 0, sizeof(xs));
	printf("xsk_rx: received %lu frames: %lu verified, %lu bad, %lu duplicate, %lu other\n",
	       st.frames, st.verified, st.bad, st.dup, st.other);
	printf("xsk_rx: socket: rx_dropped %llu rx_invalid_descs %llu rx_ring_full %llu "
	       "rx_fill_ring_empty_descs %llu\n",
	       (unsigned long long)xs.rx_dropped, (unsigned long long)xs.rx_invalid_descs,
	       (unsigned long long)xs.rx_ring_full,
	       (unsigned long long)xs.rx_fill_ring_empty_descs);
	if (st.bad == 0 && (opt.count ? st.verified >= opt.count : true))
		ret = 0;
out:
	if (xsk)
		xsk_socket__delete(xsk);
	if (umem)
		xsk_umem__delete(umem);
	if (attached) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, dopts,
			    .old_prog_fd = bpf_program__fd(skel->progs.xdp_xsk));
		bpf_xdp_detach(opt.ifindex, xdp_flags | XDP_FLAGS_REPLACE, &dopts);
	}
	xdp_xsk__destroy(skel);
	free(st.seen);
	return ret;
}
