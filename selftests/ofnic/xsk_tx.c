// SPDX-License-Identifier: GPL-2.0
/*
 * xsk_tx: send UDP datagrams from an AF_XDP socket's UMEM (the ofnic
 * zero-copy transmit path), for selftests/ofnic/xdp_xsk_tx.sh. The payload is
 * the one selftests/ofnic/xdp_udp.py verifies: "OFNICXDP", sequence number and
 * payload length (32 bits each, network order), then byte i =
 * (seq * 31 + i) & 0xff.
 *
 *   xsk_tx IFACE QUEUE copy|zerocopy SRC_MAC DST_MAC SRC_IP DST_IP PORT COUNT
 *
 * The interface needs an XDP program already (ofnic transmits AF_XDP frames
 * on the XDP TX ring a program brings). Exit status 0 when all COUNT frames
 * were sent and completed, 1 otherwise, 2 on a setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_xdp.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <xdp/xsk.h>

#define NUM_FRAMES	1024
#define FRAME_SIZE	XSK_UMEM__DEFAULT_FRAME_SIZE
#define PAYLOAD_LEN	256

static __u16 ip_csum(const void *p, int len)
{
	const __u16 *w = p;
	__u32 sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* One Ethernet/IPv4/UDP frame carrying datagram seq; returns its length. */
static int build_frame(__u8 *f, const struct ether_addr *src,
		       const struct ether_addr *dst, struct in_addr sip,
		       struct in_addr dip, __u16 port, __u32 seq)
{
	struct ethhdr *eth = (struct ethhdr *)f;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	__u8 *pl = (__u8 *)(udp + 1);
	__u32 v;
	int i;

	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons(sizeof(*ip) + sizeof(*udp) + PAYLOAD_LEN);
	ip->id = htons(seq);
	ip->saddr = sip.s_addr;
	ip->daddr = dip.s_addr;
	ip->check = ip_csum(ip, sizeof(*ip));
	udp->source = htons(port);
	udp->dest = htons(port);
	udp->len = htons(sizeof(*udp) + PAYLOAD_LEN);
	udp->check = 0;		/* none: allowed for UDP over IPv4 */
	memcpy(pl, "OFNICXDP", 8);
	v = htonl(seq);
	memcpy(pl + 8, &v, 4);
	v = htonl(PAYLOAD_LEN);
	memcpy(pl + 12, &v, 4);
	for (i = 16; i < PAYLOAD_LEN; i++)
		pl[i] = (seq * 31 + i) & 0xff;
	return sizeof(*eth) + sizeof(*ip) + sizeof(*udp) + PAYLOAD_LEN;
}

int main(int argc, char **argv)
{
	struct xsk_socket_config xcfg = {
		.tx_size = XSK_RING_PROD__DEFAULT_NUM_DESCS,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_USE_NEED_WAKEUP,
	};
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp;
	struct xsk_umem *umem = NULL;
	struct xsk_socket *xsk = NULL;
	struct ether_addr src, dst;
	struct in_addr sip, dip;
	struct xdp_options xo;
	socklen_t sl = sizeof(xo);
	__u32 sent = 0, done = 0, count, queue, idx = 0;
	__u16 port;
	time_t end;
	void *area;
	int err;

	if (argc != 10) {
		fprintf(stderr, "usage: xsk_tx IFACE QUEUE copy|zerocopy SRC_MAC DST_MAC SRC_IP DST_IP PORT COUNT\n");
		return 2;
	}
	queue = atoi(argv[2]);
	xcfg.bind_flags |= strcmp(argv[3], "zerocopy") ? XDP_COPY : XDP_ZEROCOPY;
	if (!ether_aton_r(argv[4], &src) || !ether_aton_r(argv[5], &dst) ||
	    !inet_aton(argv[6], &sip) || !inet_aton(argv[7], &dip)) {
		fprintf(stderr, "xsk_tx: bad address\n");
		return 2;
	}
	port = atoi(argv[8]);
	count = atoi(argv[9]);

	area = mmap(NULL, (size_t)NUM_FRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (area == MAP_FAILED)
		return 2;
	err = xsk_umem__create(&umem, area, (__u64)NUM_FRAMES * FRAME_SIZE, &fill,
			       &comp, NULL);
	if (!err)
		err = xsk_socket__create(&xsk, argv[1], queue, umem, NULL, &tx, &xcfg);
	if (err) {
		fprintf(stderr, "xsk_tx: AF_XDP socket on %s queue %u (%s): %s\n",
			argv[1], queue, argv[3], strerror(-err));
		return 2;
	}
	if (getsockopt(xsk_socket__fd(xsk), SOL_XDP, XDP_OPTIONS, &xo, &sl))
		return 2;
	printf("xsk_tx: %s queue %u: %s mode\n", argv[1], queue,
	       (xo.flags & XDP_OPTIONS_ZEROCOPY) ? "zero-copy" : "copy");

	end = time(NULL) + 30;
	while (done < count && time(NULL) < end) {
		__u32 n = 0, i, c;

		/* queue what fits, one UMEM frame per datagram */
		if (sent < count && sent - done < NUM_FRAMES) {
			__u32 want = count - sent;

			if (want > NUM_FRAMES - (sent - done))
				want = NUM_FRAMES - (sent - done);
			if (want > 64)
				want = 64;
			n = xsk_ring_prod__reserve(&tx, want, &idx);
			for (i = 0; i < n; i++) {
				struct xdp_desc *d = xsk_ring_prod__tx_desc(&tx, idx + i);
				__u64 addr = (__u64)((sent + i) % NUM_FRAMES) * FRAME_SIZE;

				d->addr = addr;
				d->len = build_frame(xsk_umem__get_data(area, addr), &src,
						     &dst, sip, dip, port, sent + i);
			}
			xsk_ring_prod__submit(&tx, n);
			sent += n;
		}
		if (xsk_ring_prod__needs_wakeup(&tx))
			sendto(xsk_socket__fd(xsk), NULL, 0, MSG_DONTWAIT, NULL, 0);
		c = xsk_ring_cons__peek(&comp, 64, &idx);
		if (c) {
			xsk_ring_cons__release(&comp, c);
			done += c;
		} else if (!n) {
			struct pollfd pfd = { .fd = xsk_socket__fd(xsk), .events = POLLOUT };

			poll(&pfd, 1, 10);
		}
	}
	printf("xsk_tx: sent %u completed %u of %u\n", sent, done, count);
	xsk_socket__delete(xsk);
	xsk_umem__delete(umem);
	return done == count ? 0 : 1;
}
