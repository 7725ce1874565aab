// SPDX-License-Identifier: GPL-2.0
/*
 * ofnic data path: descriptor rings, transmit with BQL, receive into
 * page_pool pages, NAPI, and ring start/stop/recovery.
 */
#include <linux/bitfield.h>
#include <linux/bpf.h>
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/skbuff.h>
#include <net/netdev_queues.h>
#include <net/netdev_rx_queue.h>
#include <net/gro.h>
#include <net/ip6_checksum.h>
#include <net/page_pool/helpers.h>
#include <net/tcp.h>
#include <net/xdp.h>
#include <net/xdp_sock_drv.h>

#include "ofnic.h"

static struct device *ofnic_dev(struct ofnic_qp *qp)
{
	return &qp->priv->pdev->dev;
}

void ofnic_xmit_stats_read(struct ofnic_ring *ring, struct ofnic_xmit_stats *x)
{
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&ring->xsyncp);
		*x = ring->xstats;
	} while (u64_stats_fetch_retry(&ring->xsyncp, start));
}

/* Both writers' counters of a ring, as one set. */
void ofnic_ring_stats_read(struct ofnic_ring *ring, struct ofnic_ring_stats *s)
{
	struct ofnic_xmit_stats x;
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&ring->syncp);
		*s = ring->stats;
	} while (u64_stats_fetch_retry(&ring->syncp, start));
	ofnic_xmit_stats_read(ring, &x);
	s->drops += x.drops;
	s->stop += x.stop;
	s->csum += x.csum;
	s->gso_packets += x.gso_packets;
	s->gso_bytes += x.gso_bytes;
	s->gso_wire_packets += x.gso_wire_packets;
	s->gso_wire_bytes += x.gso_wire_bytes;
}

/* A counter of the NAPI (or xdp_lock) side. */
void ofnic_stat_add(struct ofnic_ring *ring, u64 *counter, u64 n)
{
	u64_stats_update_begin(&ring->syncp);
	*counter += n;
	u64_stats_update_end(&ring->syncp);
}

/* A counter of ndo_start_xmit's side (TX queue lock held). */
static void ofnic_xstat_add(struct ofnic_ring *ring, u64 *counter)
{
	u64_stats_update_begin(&ring->xsyncp);
	(*counter)++;
	u64_stats_update_end(&ring->xsyncp);
}

/* ---- transmit ------------------------------------------------------------ */

static void ofnic_tx_unmap(struct ofnic_qp *qp, struct ofnic_tx_buf *buf)
{
	if (!buf->len)
		return;
	if (buf->mapped_page)
		dma_unmap_page(ofnic_dev(qp), buf->dma, buf->len, DMA_TO_DEVICE);
	else
		dma_unmap_single(ofnic_dev(qp), buf->dma, buf->len,
				 DMA_TO_DEVICE);
	buf->len = 0;
}

void ofnic_tx_desc_set(struct ofnic_ring *ring, u32 i, dma_addr_t dma,
		       u32 len, u16 flags)
{
	struct ofnic_tx_desc *desc = ofnic_tx_desc(ring, i);

	memset(desc, 0, sizeof(*desc));
	desc->addr = cpu_to_le64(dma);
	desc->len = cpu_to_le16(len);
	desc->flags = cpu_to_le16(flags);
}

/* Record one mapped buffer of a packet and describe it to the device. */
static void ofnic_tx_post_buf(struct ofnic_ring *ring, u32 idx, dma_addr_t dma,
			      u32 len, bool page)
{
	struct ofnic_tx_buf *buf = &ring->tx_buf[idx];

	buf->dma = dma;
	buf->len = len;
	buf->mapped_page = page;
	ofnic_tx_desc_set(ring, idx, dma, len, 0);
}

/* Fill the packet's first descriptor with its checksum/TSO request. */
static void ofnic_tx_offload(struct ofnic_ring *ring, struct sk_buff *skb,
			     struct ofnic_tx_desc *desc)
{
	u16 flags;

	if (skb_is_gso(skb)) {
		struct skb_shared_info *sh = skb_shinfo(skb);
		u32 hdr = skb_tcp_all_headers(skb);

		desc->mss = cpu_to_le16(sh->gso_size);
		desc->hdr_len = cpu_to_le16(hdr);
		flags = OFNIC_TXD_TSO;
		u64_stats_update_begin(&ring->xsyncp);
		ring->xstats.gso_packets++;
		ring->xstats.gso_bytes += skb->len;
		ring->xstats.gso_wire_packets += sh->gso_segs;
		ring->xstats.gso_wire_bytes += skb->len +
					       (sh->gso_segs - 1) * hdr;
		u64_stats_update_end(&ring->xsyncp);
	} else if (skb->ip_summed == CHECKSUM_PARTIAL) {
		desc->csum_start = cpu_to_le16(skb_checksum_start_offset(skb));
		desc->csum_offset = cpu_to_le16(skb->csum_offset);
		flags = OFNIC_TXD_CSUM;
		ofnic_xstat_add(ring, &ring->xstats.csum);
	} else {
		return;
	}
	desc->flags |= cpu_to_le16(flags);
}

netdev_tx_t ofnic_start_xmit(struct sk_buff *skb, struct net_device *netdev)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	u16 q = skb_get_queue_mapping(skb);
	struct ofnic_qp *qp = &priv->qp[q];
	struct ofnic_ring *ring = &qp->tx;
	struct netdev_queue *txq = netdev_get_tx_queue(netdev, q);
	struct device *dev = ofnic_dev(qp);
	u32 first, idx, last, nfrags, i;
	struct ofnic_tx_buf *buf;
	dma_addr_t dma;
	int res;

	if (skb_shinfo(skb)->nr_frags + 1 > OFNIC_TX_MAX_DESC_PER_PKT &&
	    skb_linearize(skb))
		goto drop;
	if (unlikely(skb->len > OFNIC_TX_MAX_PKT))
		goto drop;
	nfrags = skb_shinfo(skb)->nr_frags;
	if (unlikely(ofnic_ring_unused(ring) < nfrags + 1)) {
		netif_tx_stop_queue(txq);
		ofnic_xstat_add(ring, &ring->xstats.stop);
		return NETDEV_TX_BUSY;
	}

	first = ring->next_to_use;
	idx = first;
	last = first;
	if (skb_headlen(skb)) {
		dma = dma_map_single(dev, skb->data, skb_headlen(skb),
				     DMA_TO_DEVICE);
		if (dma_mapping_error(dev, dma))
			goto drop;
		ofnic_tx_post_buf(ring, idx, dma, skb_headlen(skb), false);
		last = idx;
		idx = ofnic_next(ring, idx);
	}
	for (i = 0; i < nfrags; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

		dma = skb_frag_dma_map(dev, frag, 0, skb_frag_size(frag),
				       DMA_TO_DEVICE);
		if (dma_mapping_error(dev, dma))
			goto unwind;
		ofnic_tx_post_buf(ring, idx, dma, skb_frag_size(frag), true);
		last = idx;
		idx = ofnic_next(ring, idx);
	}
	ofnic_tx_desc(ring, last)->flags |= cpu_to_le16(OFNIC_TXD_EOP);
	ofnic_tx_offload(ring, skb, ofnic_tx_desc(ring, first));

	buf = &ring->tx_buf[first];
	buf->skb = skb;
	buf->eop = last;
	buf->bytes = skb->len;
	/* Publishes skb and eop to ofnic_clean_tx() (its load-acquire). */
	smp_store_release(&ring->next_to_use, idx);
	skb_tx_timestamp(skb);

	res = netif_txq_maybe_stop(txq, ofnic_ring_unused(ring),
				   OFNIC_TX_STOP_THRESH, OFNIC_TX_WAKE_THRESH);
	/* 1: still running; 0: stopped; -1: stopped and woken again */
	if (res <= 0)
		ofnic_xstat_add(ring, &ring->xstats.stop);
	/* writel() orders the descriptor writes before the doorbell. */
	if (__netdev_tx_sent_queue(txq, skb->len, netdev_xmit_more()))
		writel(ring->next_to_use, ring->regs + OFNIC_Q_TAIL);
	return NETDEV_TX_OK;

unwind:
	for (i = first; i != idx; i = ofnic_next(ring, i))
		ofnic_tx_unmap(qp, &ring->tx_buf[i]);
drop:
	ofnic_xstat_add(ring, &ring->xstats.drops);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

/* Count packets the device has sent (errs of them dropped as malformed). */
void ofnic_tx_stats_commit(struct ofnic_ring *ring, unsigned int pkts,
			   unsigned int bytes, unsigned int errs)
{
	u64_stats_update_begin(&ring->syncp);
	ring->stats.packets += pkts - errs;
	ring->stats.bytes += bytes;
	ring->stats.drops += errs;
	u64_stats_update_end(&ring->syncp);
}

/* Reap packets the device has sent (DD in their last descriptor). */
static void ofnic_clean_tx(struct ofnic_qp *qp, int budget)
{
	struct ofnic_ring *ring = &qp->tx;
	struct netdev_queue *txq;
	u32 ntc = ring->next_to_clean;
	unsigned int pkts = 0, bytes = 0, errs = 0;

	/* acquire: the slot's skb and eop as ofnic_start_xmit() published them */
	while (ntc != smp_load_acquire(&ring->next_to_use)) {
		struct ofnic_tx_buf *buf = &ring->tx_buf[ntc];
		u32 eop = buf->eop;
		u16 status;

		if (!buf->skb)
			break;	/* an injected fault: the ring is halted */
		status = le16_to_cpu(READ_ONCE(ofnic_tx_desc(ring, eop)->status));
		if (!(status & OFNIC_TXS_DD))
			break;
		dma_rmb();
		if (status & OFNIC_TXS_ERR)
			errs++;
		pkts++;
		bytes += buf->bytes;
		napi_consume_skb(buf->skb, budget);
		buf->skb = NULL;
		for (;;) {
			bool done = ntc == eop;

			ofnic_tx_unmap(qp, &ring->tx_buf[ntc]);
			ntc = ofnic_next(ring, ntc);
			if (done)
				break;
		}
	}
	if (!pkts)
		return;
	/* release: the slots are free only after we stopped touching them */
	smp_store_release(&ring->next_to_clean, ntc);

	ofnic_tx_stats_commit(ring, pkts, bytes, errs);

	txq = netdev_get_tx_queue(qp->priv->netdev, qp->idx);
	if (!netif_txq_completed_wake(txq, pkts, bytes, ofnic_ring_unused(ring),
				      OFNIC_TX_WAKE_THRESH))
		ofnic_stat_add(ring, &ring->stats.wake, 1);
}

/* Drop everything still on the TX ring (the device no longer owns it). */
static void ofnic_tx_flush(struct ofnic_qp *qp)
{
	struct ofnic_ring *ring = &qp->tx;
	u32 i;

	for (i = ring->next_to_clean; i != ring->next_to_use;
	     i = ofnic_next(ring, i)) {
		struct ofnic_tx_buf *buf = &ring->tx_buf[i];

		ofnic_tx_unmap(qp, buf);
		if (buf->skb) {
			dev_kfree_skb_any(buf->skb);
			buf->skb = NULL;
		}
		buf->injected = 0;
	}
	ring->next_to_use = 0;
	ring->next_to_clean = 0;
	netdev_tx_reset_queue(netdev_get_tx_queue(qp->priv->netdev, qp->idx));
}

/* ---- receive ------------------------------------------------------------- */

/* Post fresh page_pool pages on every free RX slot, then ring the doorbell. */
static void ofnic_rx_fill(struct ofnic_qp *qp)
{
	struct ofnic_ring *ring = &qp->rx;
	u32 n = ofnic_ring_unused(ring);
	u32 idx = ring->next_to_use;

	if (qp->xsk_pool) {
		ofnic_xsk_rx_fill(qp);
		return;
	}
	while (n--) {
		struct ofnic_rx_desc *desc = ofnic_rx_desc(ring, idx);
		struct page *page = page_pool_dev_alloc_pages(qp->page_pool);

		if (!page) {
			ofnic_stat_add(ring, &ring->stats.alloc_fail, 1);
			break;
		}
		ring->rx_page[idx] = page;
		memset(desc, 0, sizeof(*desc));
		desc->addr = cpu_to_le64(page_pool_get_dma_addr(page) +
					 OFNIC_RX_HEADROOM);
		if (ring->hdr_buf)
			desc->hdr_addr = cpu_to_le64(ring->hdr_dma +
						     idx * OFNIC_HDR_BUF_LEN);
		idx = ofnic_next(ring, idx);
	}
	if (idx == ring->next_to_use)
		return;
	ring->next_to_use = idx;
	writel(idx, ring->regs + OFNIC_Q_TAIL);
}

/* Drop the frame being assembled, if any. */
static void ofnic_rx_drop_partial(struct ofnic_qp *qp)
{
	if (!IS_ERR_OR_NULL(qp->rx_skb))
		dev_kfree_skb_any(qp->rx_skb);
	qp->rx_skb = NULL;
}

/*
 * Start a frame from its first buffer: the page itself, or a copy of the
 * headers the device split off (HDS) with the payload page as a fragment.
 * The write-back's lengths were bounded by the caller. Returns 0, -EBADMSG
 * for a write-back no frame can have, or -ENOMEM.
 */
static int ofnic_rx_first(struct ofnic_qp *qp, u32 idx, struct page *page,
			  u32 off, u32 len, u32 metasize)
{
	struct ofnic_ring *ring = &qp->rx;
	u32 status = le32_to_cpu(qp->rx_first.status);
	u32 hlen = le16_to_cpu(qp->rx_first.hdr_len);
	struct sk_buff *skb;

	if (!(status & OFNIC_RXS_HDS)) {
		if (!len)
			return -EBADMSG;
		skb = napi_build_skb(page_address(page), PAGE_SIZE);
		if (!skb)
			return -ENOMEM;
		skb_mark_for_recycle(skb);
		skb_reserve(skb, off);
		__skb_put(skb, len);
		if (metasize)
			skb_metadata_set(skb, metasize);
		qp->rx_skb = skb;
		qp->rx_bufs = 1;
		return 0;
	}
	/* Split headers hold at least the MAC header (eth_type_trans). */
	if (!ring->hdr_buf || hlen < ETH_HLEN || hlen > OFNIC_HDR_BUF_LEN)
		return -EBADMSG;
	skb = napi_alloc_skb(&qp->napi, hlen);
	if (!skb)
		return -ENOMEM;
	skb_mark_for_recycle(skb);
	/* coherent memory: no sync needed */
	skb_put_data(skb, ring->hdr_buf + idx * OFNIC_HDR_BUF_LEN, hlen);
	if (len)
		skb_add_rx_frag(skb, 0, page, OFNIC_RX_HEADROOM, len, PAGE_SIZE);
	else
		page_pool_put_full_page(qp->page_pool, page, true);
	qp->rx_skb = skb;
	qp->rx_bufs = 1;
	return 0;
}

/* Add one written-back buffer to the frame being assembled (0 or -errno). */
static int ofnic_rx_add_buf(struct ofnic_qp *qp, u32 idx, struct page *page,
			    u32 len)
{
	struct sk_buff *skb = qp->rx_skb, *tail;

	if (!skb)
		return ofnic_rx_first(qp, idx, page, OFNIC_RX_HEADROOM, len, 0);
	/*
	 * No frame spans more buffers (hw-spec §7), and none the driver
	 * allows (LRO_MAX_LEN) is longer: a device that never ends a frame
	 * cannot pin more than that.
	 */
	if (!len || qp->rx_bufs >= OFNIC_RX_MAX_DESC_PER_PKT ||
	    skb->len + len > OFNIC_LRO_MAX_FRAME)
		return -EBADMSG;
	qp->rx_bufs++;
	/*
	 * A coalesced frame of a 64 KiB datagram spans more buffers (19) than
	 * an skb has frags: the rest go to skbs of page frags (no linear
	 * part) on its frag_list, as skb_gro_receive() chains segments; GSO
	 * (skb_segment) and the socket layer walk such lists.
	 */
	tail = skb_has_frag_list(skb) ? qp->rx_tail : skb;
	if (skb_shinfo(tail)->nr_frags >= MAX_SKB_FRAGS) {
		struct sk_buff *nskb;

		/* only LRO_MAX_LEN frames are that long */
		if (!(le32_to_cpu(qp->rx_first.status) & OFNIC_RXS_LRO))
			return -EBADMSG;
		nskb = napi_alloc_skb(&qp->napi, 0);
		if (!nskb)
			return -ENOMEM;
		skb_mark_for_recycle(nskb);
		skb->truesize += nskb->truesize;
		if (tail == skb)
			skb_shinfo(skb)->frag_list = nskb;
		else
			tail->next = nskb;
		tail = nskb;
		qp->rx_tail = nskb;
	}
	skb_add_rx_frag(tail, skb_shinfo(tail)->nr_frags, page,
			OFNIC_RX_HEADROOM, len, PAGE_SIZE);
	if (tail != skb) {
		skb->len += len;
		skb->data_len += len;
		skb->truesize += PAGE_SIZE;
	}
	return 0;
}

/*
 * Is the header at l3 (from skb->data, past the MAC header) the proto the
 * frame's EtherType chain leads to? Only VLAN tags may stand before it.
 */
static bool ofnic_rx_l3_is(struct sk_buff *skb, u32 l3, __be16 proto)
{
	__be16 type = skb->protocol;
	u32 off;

	for (off = 0; off < l3; off += VLAN_HLEN) {
		if (!eth_type_vlan(type) || !pskb_may_pull(skb, off + VLAN_HLEN))
			return false;
		type = ((struct vlan_hdr *)(skb->data + off))->h_vlan_encapsulated_proto;
	}
	return off == l3 && type == proto;
}

/*
 * A frame the device coalesced (LRO): make it look like one GRO built, so
 * the stack can re-segment it (the device left the TCP checksum invalid).
 * skb->data is past the MAC header; the IP header is at the device's l3_off,
 * past any VLAN tags. Every field is checked against the frame itself.
 * Returns the frame's wire segments, or 0 if the write-back does not add up.
 */
static u32 ofnic_rx_lro(struct sk_buff *skb, const struct ofnic_rx_wb *wb,
			u32 *hdrs)
{
	u32 segs = le16_to_cpu(wb->lro_segs), mss = le16_to_cpu(wb->lro_mss);
	u32 l3 = wb->l3_off, thoff, thlen, payload;
	struct tcphdr *th;
	u8 nexthdr;

	if (segs < 2 || segs > OFNIC_LRO_MAX_SEGS || !mss ||
	    l3 < ETH_HLEN || l3 > ETH_HLEN + 2 * VLAN_HLEN)
		return 0;
	l3 -= ETH_HLEN;
	/* the device fixed the IP length to the coalesced frame's (no padding) */
	if (wb->ptype & OFNIC_PTYPE_IPV4) {
		const struct iphdr *iph;

		if (!ofnic_rx_l3_is(skb, l3, htons(ETH_P_IP)) ||
		    !pskb_may_pull(skb, l3 + sizeof(*iph)))
			return 0;
		iph = (const struct iphdr *)(skb->data + l3);
		if (iph->version != 4 || iph->ihl < 5 ||
		    iph->protocol != IPPROTO_TCP ||
		    ntohs(iph->tot_len) != skb->len - l3)
			return 0;
		thoff = l3 + iph->ihl * 4;
		skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
		/* as tcp4_gro_complete() marks a fixed-ID flow */
		if (le32_to_cpu(wb->status) & OFNIC_RXS_LRO_FIXEDID)
			skb_shinfo(skb)->gso_type |= SKB_GSO_TCP_FIXEDID;
	} else {
		const struct ipv6hdr *ip6;

		if (!ofnic_rx_l3_is(skb, l3, htons(ETH_P_IPV6)) ||
		    !pskb_may_pull(skb, l3 + sizeof(*ip6)))
			return 0;
		ip6 = (const struct ipv6hdr *)(skb->data + l3);
		if (ip6->version != 6 ||
		    sizeof(*ip6) + ntohs(ip6->payload_len) != skb->len - l3)
			return 0;
		/* hop-by-hop, routing, destination options, as GRO takes them */
		nexthdr = ip6->nexthdr;
		thoff = l3 + sizeof(*ip6);
		while (nexthdr == NEXTHDR_HOP || nexthdr == NEXTHDR_ROUTING ||
		       nexthdr == NEXTHDR_DEST) {
			const struct ipv6_opt_hdr *oh;

			if (!pskb_may_pull(skb, thoff + sizeof(*oh)))
				return 0;
			oh = (const struct ipv6_opt_hdr *)(skb->data + thoff);
			nexthdr = oh->nexthdr;
			thoff += ipv6_optlen(oh);
		}
		if (nexthdr != IPPROTO_TCP)
			return 0;
		skb_shinfo(skb)->gso_type = SKB_GSO_TCPV6;
	}
	if (!pskb_may_pull(skb, thoff + sizeof(*th)))
		return 0;
	thlen = ((struct tcphdr *)(skb->data + thoff))->doff * 4;
	if (thlen < sizeof(*th) || !pskb_may_pull(skb, thoff + thlen) ||
	    skb->len < thoff + thlen)
		return 0;
	payload = skb->len - thoff - thlen;
	/* every segment but the last carried mss bytes */
	if (payload <= (segs - 1) * mss || payload > segs * mss)
		return 0;

	skb_set_network_header(skb, l3);
	skb_set_transport_header(skb, thoff);
	th = tcp_hdr(skb);
	if (skb_shinfo(skb)->gso_type & SKB_GSO_TCPV4) {
		const struct iphdr *iph = ip_hdr(skb);

		th->check = ~tcp_v4_check(skb->len - thoff, iph->saddr,
					  iph->daddr, 0);
	} else {
		const struct ipv6hdr *ip6 = ipv6_hdr(skb);

		th->check = ~tcp_v6_check(skb->len - thoff, &ip6->saddr,
					  &ip6->daddr, 0);
	}
	skb_shinfo(skb)->gso_size = mss;
	NAPI_GRO_CB(skb)->count = segs;
	tcp_gro_complete(skb);
	*hdrs = ETH_HLEN + thoff + thlen;
	return segs;
}

/*
 * Checksum, hash and coalescing results of the device, for the stack.
 * Returns the wire packets the frame stands for (0: drop it) and adds the
 * bytes of the ones beyond the first to *wire_len.
 */
static u32 ofnic_rx_offloads(struct ofnic_qp *qp, struct sk_buff *skb,
			     struct ofnic_ring_stats *st, u32 *wire_len)
{
	const struct ofnic_rx_wb *wb = &qp->rx_first;
	netdev_features_t features = qp->priv->netdev->features;
	u32 status = le32_to_cpu(wb->status);
	u32 segs, hdrs;

	if ((features & NETIF_F_RXHASH) && (status & OFNIC_RXS_RSS)) {
		bool l4 = wb->rss_type == OFNIC_RSS_TYPE_IPV4_TCP ||
			  wb->rss_type == OFNIC_RSS_TYPE_IPV4_UDP ||
			  wb->rss_type == OFNIC_RSS_TYPE_IPV6_TCP ||
			  wb->rss_type == OFNIC_RSS_TYPE_IPV6_UDP;

		skb_set_hash(skb, le32_to_cpu(wb->rss_hash),
			     l4 ? PKT_HASH_TYPE_L4 : PKT_HASH_TYPE_L3);
	}
	if (status & OFNIC_RXS_HDS)
		st->hds++;
	if (!(features & NETIF_F_RXCSUM)) {
		st->csum_none++;	/* the device was told not to check */
		return 1;
	}
	if (status & (OFNIC_RXS_L3_BAD | OFNIC_RXS_L4_BAD)) {
		st->csum_bad++;		/* the stack verifies and drops it */
		return 1;
	}
	if (!(status & OFNIC_RXS_L4_OK)) {
		st->csum_none++;
		return 1;
	}
	if (!(status & OFNIC_RXS_LRO)) {
		st->csum++;
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		return 1;
	}
	/* Its TCP checksum is not valid: a frame we cannot fix is dropped. */
	if (!(wb->ptype & OFNIC_PTYPE_TCP) ||
	    !(wb->ptype & (OFNIC_PTYPE_IPV4 | OFNIC_PTYPE_IPV6)))
		return 0;
	segs = ofnic_rx_lro(skb, wb, &hdrs);
	if (!segs)
		return 0;
	st->csum++;
	st->gso_packets++;
	st->gso_bytes += *wire_len;
	*wire_len += (segs - 1) * hdrs;
	st->gso_wire_packets += segs;
	st->gso_wire_bytes += *wire_len;
	return segs;
}

/* Hand a completed frame to the stack, or drop a runt or a bad LRO frame. */
void ofnic_rx_deliver(struct ofnic_qp *qp, struct sk_buff *skb,
		      struct ofnic_ring_stats *st)
{
	u32 wire_len = skb->len, segs;

	if (unlikely(skb_headlen(skb) < ETH_HLEN)) {
		st->len_errors++;
		dev_kfree_skb_any(skb);
		return;
	}
	skb->protocol = eth_type_trans(skb, qp->priv->netdev);
	skb_record_rx_queue(skb, qp->idx);
	segs = ofnic_rx_offloads(qp, skb, st, &wire_len);
	if (unlikely(!segs)) {
		st->len_errors++;
		dev_kfree_skb_any(skb);
		return;
	}
	st->packets += segs;
	st->bytes += wire_len;
	napi_gro_receive(&qp->napi, skb);
}

/* Stop assembling the current frame: its buffers up to EOP are dropped. */
static void ofnic_rx_discard(struct ofnic_qp *qp, int err)
{
	ofnic_rx_drop_partial(qp);
	qp->rx_skb = ERR_PTR(err);
}

/*
 * The first buffer of a frame while an XDP program is attached. Returns
 * true if the program consumed the frame.
 */
static bool ofnic_rx_first_xdp(struct ofnic_qp *qp, struct bpf_prog *prog,
			       u32 idx, struct page *page, u32 len, u32 status,
			       struct ofnic_ring_stats *st)
{
	u32 off = OFNIC_RX_HEADROOM, metasize = 0;
	int err;

	/* Whole frames only (no HDS, no LRO, MTU fits a buffer). */
	if (unlikely(!(status & OFNIC_RXS_EOP) || (status & OFNIC_RXS_HDS) ||
		     len < ETH_HLEN)) {
		page_pool_put_full_page(qp->page_pool, page, true);
		ofnic_rx_discard(qp, -EBADMSG);
		return false;
	}
	if (ofnic_rx_xdp(qp, prog, page, &off, &len, &metasize, st) ==
	    OFNIC_XDP_CONSUMED) {
		st->packets++;
		st->bytes += len;
		return true;
	}
	err = ofnic_rx_first(qp, idx, page, off, len, metasize);
	if (err) {
		page_pool_put_full_page(qp->page_pool, page, true);
		ofnic_rx_discard(qp, err);
	}
	return false;
}

static int ofnic_clean_rx(struct ofnic_qp *qp, int budget)
{
	struct ofnic_ring *ring = &qp->rx;
	struct bpf_prog *prog = READ_ONCE(qp->priv->xdp_prog);
	struct ofnic_ring_stats st = {};
	int done = 0;

	while (done < budget && ring->next_to_clean != ring->next_to_use) {
		u32 idx = ring->next_to_clean;
		struct ofnic_rx_wb *wb = ofnic_rx_wb(ring, idx);
		u32 status = le32_to_cpu(READ_ONCE(wb->status));
		bool first = !qp->rx_skb;
		struct page *page;
		struct sk_buff *skb;
		u32 len;
		int err;

		if (!(status & OFNIC_RXS_DD))
			break;
		dma_rmb();
		if (first)
			qp->rx_first = *wb;
		len = le16_to_cpu(wb->len);
		page = ring->rx_page[idx];
		ring->rx_page[idx] = NULL;
		ring->next_to_clean = ofnic_next(ring, idx);

		if (unlikely(len > ring->buf_len)) {
			page_pool_put_full_page(qp->page_pool, page, true);
			ofnic_rx_discard(qp, -EBADMSG);
		} else if (IS_ERR(qp->rx_skb)) {
			/* the rest of a frame being discarded */
			page_pool_put_full_page(qp->page_pool, page, true);
		} else {
			/* the pool's .offset (the headroom) is added for us */
			if (len)
				page_pool_dma_sync_for_cpu(qp->page_pool, page,
							   0, len);
			if (prog && first) {
				if (ofnic_rx_first_xdp(qp, prog, idx, page, len,
						       status, &st)) {
					done++;
					continue;
				}
			} else {
				err = ofnic_rx_add_buf(qp, idx, page, len);
				if (unlikely(err)) {
					page_pool_put_full_page(qp->page_pool,
								page, true);
					ofnic_rx_discard(qp, err);
				}
			}
		}
		if (!(status & OFNIC_RXS_EOP))
			continue;

		done++;
		skb = qp->rx_skb;
		qp->rx_skb = NULL;
		if (IS_ERR(skb)) {
			if (PTR_ERR(skb) == -EBADMSG)
				st.len_errors++;
			else
				st.drops++;
			continue;
		}
		ofnic_rx_deliver(qp, skb, &st);
	}
	ofnic_rx_stats_commit(ring, &st);
	if (st.xdp_tx)
		ofnic_xdp_tx_doorbell(qp);
	return done;
}

/* Add a poll's receive counters to the ring's. */
void ofnic_rx_stats_commit(struct ofnic_ring *ring,
			   const struct ofnic_ring_stats *st)
{
	if (st->packets || st->drops || st->len_errors) {
		struct ofnic_ring_stats *rs = &ring->stats;

		u64_stats_update_begin(&ring->syncp);
		rs->packets += st->packets;
		rs->bytes += st->bytes;
		rs->drops += st->drops;
		rs->len_errors += st->len_errors;
		rs->csum += st->csum;
		rs->csum_bad += st->csum_bad;
		rs->csum_none += st->csum_none;
		rs->gso_packets += st->gso_packets;
		rs->gso_bytes += st->gso_bytes;
		rs->gso_wire_packets += st->gso_wire_packets;
		rs->gso_wire_bytes += st->gso_wire_bytes;
		rs->hds += st->hds;
		rs->xdp_pass += st->xdp_pass;
		rs->xdp_drop += st->xdp_drop;
		rs->xdp_tx += st->xdp_tx;
		rs->xdp_tx_err += st->xdp_tx_err;
		rs->xdp_redirect += st->xdp_redirect;
		rs->xdp_redirect_err += st->xdp_redirect_err;
		rs->xdp_aborted += st->xdp_aborted;
		u64_stats_update_end(&ring->syncp);
	}
}

static void ofnic_rx_flush(struct ofnic_qp *qp)
{
	struct ofnic_ring *ring = &qp->rx;
	u32 i;

	ofnic_rx_drop_partial(qp);
	if (qp->xsk_pool) {
		ofnic_xsk_rx_flush(qp);
		return;
	}
	for (i = 0; i < ring->size; i++) {
		if (ring->rx_page[i]) {
			page_pool_put_full_page(qp->page_pool,
						ring->rx_page[i], false);
			ring->rx_page[i] = NULL;
		}
	}
	ring->next_to_use = 0;
	ring->next_to_clean = 0;
}

/* ---- NAPI and interrupts --------------------------------------------------- */

int ofnic_poll(struct napi_struct *napi, int budget)
{
	struct ofnic_qp *qp = container_of(napi, struct ofnic_qp, napi);
	/*
	 * Stable until napi_complete_done(): ofnic_xdp_rings_stop() clears it
	 * only after napi_disable(), which may return once we completed.
	 */
	struct ofnic_ring *xdp_ring = READ_ONCE(qp->xdp_ring);
	int done;

	ofnic_clean_tx(qp, budget);
	/*
	 * netpoll (budget 0) may run in any context: only skbs are reaped,
	 * the page_pool, XDP and AF_XDP are left to the next real poll.
	 */
	if (!budget)
		return 0;
	if (xdp_ring) {
		ofnic_xdp_clean_tx(qp, xdp_ring);
		if (qp->xsk_pool)
			ofnic_xsk_xmit(qp, budget);
	}
	if (qp->xsk_pool)
		done = ofnic_xsk_clean_rx(qp, budget);
	else
		done = ofnic_clean_rx(qp, budget);
	if (qp->xdp_redirected) {
		qp->xdp_redirected = false;
		xdp_do_flush();
	}
	ofnic_rx_fill(qp);

	/*
	 * No buffer could be posted at all: keep polling until memory returns
	 * (an AF_XDP socket that uses need_wakeup kicks us when it refills).
	 */
	if (qp->rx.next_to_use == qp->rx.next_to_clean &&
	    !(qp->xsk_pool && xsk_uses_need_wakeup(qp->xsk_pool)))
		return budget;
	if (done >= budget)
		return done;
	/* Before completing: ofnic_qp_stop() cancels the DIM work after it. */
	if (READ_ONCE(qp->priv->itr.adaptive_rx)) {
		struct dim_sample sample;

		dim_update_sample(qp->irq_events, qp->rx.stats.packets,
				  qp->rx.stats.bytes, &sample);
		net_dim(&qp->dim, sample);
	}
	if (napi_complete_done(napi, done)) {
		/*
		 * From here ofnic_qp_stop() may run: only the registers and
		 * the ring read above, whose teardown waits for us in
		 * synchronize_net().
		 */
		writel(1, qp->regs + OFNIC_QP_INT_ARM);
		if (xdp_ring)
			ofnic_xdp_arm(xdp_ring);
	}
	return done;
}

static u32 ofnic_itr_val(u32 usecs, u32 frames)
{
	return usecs | frames << OFNIC_ITR_FRAMES_SHIFT;
}

/* Program the queue pair's interrupt moderation from the ethtool settings. */
void ofnic_qp_set_itr(struct ofnic_qp *qp)
{
	struct ofnic_priv *priv = qp->priv;

	if (!(priv->features & OFNIC_F_ITR))
		return;
	writel(ofnic_itr_val(priv->itr.tx_usecs, priv->itr.tx_frames),
	       qp->regs + OFNIC_QP_ITR_TX);
	if (!priv->itr.adaptive_rx)
		writel(ofnic_itr_val(priv->itr.rx_usecs, priv->itr.rx_frames),
		       qp->regs + OFNIC_QP_ITR_RX);
}

/* net_dim picked a new RX moderation profile for this queue pair. */
void ofnic_dim_work(struct work_struct *work)
{
	struct dim *dim = container_of(work, struct dim, work);
	struct ofnic_qp *qp = container_of(dim, struct ofnic_qp, dim);
	struct dim_cq_moder m = net_dim_get_rx_moderation(dim->mode,
							   dim->profile_ix);

	/* a step decided just before the user turned adaptive moderation off */
	if (READ_ONCE(qp->priv->itr.adaptive_rx))
		writel(ofnic_itr_val(min_t(u32, m.usec, OFNIC_ITR_MAX),
				     min_t(u32, m.pkts, OFNIC_ITR_MAX)),
		       qp->regs + OFNIC_QP_ITR_RX);
	dim->state = DIM_START_MEASURE;
}

/*
 * Cancel a pending DIM step. net_dim() waits in DIM_APPLY_NEW_PROFILE for
 * the work to reset the state: a cancelled work must do it here.
 */
void ofnic_dim_cancel(struct ofnic_qp *qp)
{
	cancel_work_sync(&qp->dim.work);
	qp->dim.state = DIM_START_MEASURE;
}

irqreturn_t ofnic_qp_irq(int irq, void *data)
{
	struct ofnic_qp *qp = data;

	/* The vector masked itself; ofnic_poll() re-arms it when done. */
	qp->irq_events++;
	napi_schedule_irqoff(&qp->napi);
	return IRQ_HANDLED;
}

/* ---- ring lifecycle -------------------------------------------------------- */

int ofnic_ring_alloc(struct ofnic_qp *qp, struct ofnic_ring *ring, u32 size,
		     size_t buf_size)
{
	ring->qp = qp;
	ring->size = size;
	ring->next_to_use = 0;
	ring->next_to_clean = 0;
	ring->desc = dma_alloc_coherent(ofnic_dev(qp), size * OFNIC_DESC_SIZE,
					&ring->desc_dma, GFP_KERNEL);
	if (!ring->desc)
		return -ENOMEM;
	ring->tx_buf = kvcalloc(size, buf_size, GFP_KERNEL);
	if (!ring->tx_buf) {
		dma_free_coherent(ofnic_dev(qp), size * OFNIC_DESC_SIZE,
				  ring->desc, ring->desc_dma);
		ring->desc = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int ofnic_ring_alloc_hdr(struct ofnic_qp *qp, struct ofnic_ring *ring)
{
	ring->hdr_buf = dma_alloc_coherent(ofnic_dev(qp),
					   ring->size * OFNIC_HDR_BUF_LEN,
					   &ring->hdr_dma, GFP_KERNEL);
	return ring->hdr_buf ? 0 : -ENOMEM;
}

void ofnic_ring_free(struct ofnic_qp *qp, struct ofnic_ring *ring)
{
	if (ring->hdr_buf)
		dma_free_coherent(ofnic_dev(qp), ring->size * OFNIC_HDR_BUF_LEN,
				  ring->hdr_buf, ring->hdr_dma);
	ring->hdr_buf = NULL;
	if (!ring->desc)
		return;
	kvfree(ring->tx_buf);
	ring->tx_buf = NULL;
	dma_free_coherent(ofnic_dev(qp), ring->size * OFNIC_DESC_SIZE,
			  ring->desc, ring->desc_dma);
	ring->desc = NULL;
}

/*
 * Reset the ring in the device, program it and enable it. The device
 * refuses a configuration it cannot take (a buffer size past
 * OFNIC_RX_BUF_MAX on large-page kernels): that fails the start.
 */
int ofnic_ring_hw_start(struct ofnic_ring *ring, bool rx)
{
	u32 qs;

	writel(OFNIC_QC_RESET, ring->regs + OFNIC_Q_CTRL);
	memset(ring->desc, 0, ring->size * OFNIC_DESC_SIZE);
	writel(lower_32_bits(ring->desc_dma), ring->regs + OFNIC_Q_BASE_LO);
	writel(upper_32_bits(ring->desc_dma), ring->regs + OFNIC_Q_BASE_HI);
	writel(ring->size, ring->regs + OFNIC_Q_SIZE);
	if (rx) {
		writel(ring->buf_len, ring->regs + OFNIC_Q_BUF_SIZE);
		writel(ring->hdr_buf ? OFNIC_HDR_BUF_LEN : 0,
		       ring->regs + OFNIC_Q_HDR_SIZE);
	}
	writel(OFNIC_QC_ENABLE, ring->regs + OFNIC_Q_CTRL);
	qs = readl(ring->regs + OFNIC_Q_STATUS);
	if ((qs & (OFNIC_QS_ENABLED | OFNIC_QS_ERROR)) != OFNIC_QS_ENABLED) {
		dev_err(&ring->qp->priv->pdev->dev,
			"ring did not start (status %#x, error %u)\n", qs,
			FIELD_GET(OFNIC_QS_ERR_MASK, qs));
		writel(OFNIC_QC_RESET, ring->regs + OFNIC_Q_CTRL);
		return -EIO;
	}
	return 0;
}

int ofnic_qp_alloc(struct ofnic_qp *qp)
{
	struct ofnic_priv *priv = qp->priv;
	struct page_pool_params pp = {
		.flags = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV,
		.order = 0,
		.pool_size = priv->rx_ring_size,
		.nid = dev_to_node(&priv->pdev->dev),
		.dev = &priv->pdev->dev,
		.napi = &qp->napi,
		.netdev = priv->netdev,
		.queue_idx = qp->idx,
		/* XDP_TX sends from the RX pages */
		.dma_dir = DMA_BIDIRECTIONAL,
		.offset = OFNIC_RX_HEADROOM,
		.max_len = OFNIC_RX_BUF_LEN,
	};
	int err;

	qp->tx.regs = qp->regs + OFNIC_QP_TX;
	qp->rx.regs = qp->regs + OFNIC_QP_RX;
	netif_napi_add(priv->netdev, &qp->napi, ofnic_poll);

	err = ofnic_ring_alloc(qp, &qp->tx, priv->tx_ring_size,
			       sizeof(struct ofnic_tx_buf));
	if (err)
		goto err_napi;
	err = ofnic_ring_alloc(qp, &qp->rx, priv->rx_ring_size,
			       sizeof(struct page *));
	if (err)
		goto err_tx;
	if (priv->hds) {
		err = ofnic_ring_alloc_hdr(qp, &qp->rx);
		if (err)
			goto err_rx;
	}
	qp->page_pool = page_pool_create(&pp);
	if (IS_ERR(qp->page_pool)) {
		err = PTR_ERR(qp->page_pool);
		qp->page_pool = NULL;
		goto err_rx;
	}
	err = xdp_rxq_info_reg(&qp->xdp_rxq, priv->netdev, qp->idx,
			       qp->napi.napi_id);
	if (err)
		goto err_pool;
	qp->rx.buf_len = OFNIC_RX_BUF_LEN;
	qp->xsk_pool = NULL;
	if (test_bit(qp->idx, priv->xsk_zc))
		qp->xsk_pool = xsk_get_pool_from_qid(priv->netdev, qp->idx);
	if (qp->xsk_pool)
		err = ofnic_xsk_rxq_setup(qp);
	else
		err = xdp_rxq_info_reg_mem_model(&qp->xdp_rxq,
						 MEM_TYPE_PAGE_POOL,
						 qp->page_pool);
	if (err)
		goto err_rxq;
	return 0;

err_rxq:
	xdp_rxq_info_unreg(&qp->xdp_rxq);
err_pool:
	page_pool_destroy(qp->page_pool);
	qp->page_pool = NULL;

err_rx:
	ofnic_ring_free(qp, &qp->rx);
err_tx:
	ofnic_ring_free(qp, &qp->tx);
err_napi:
	netif_napi_del(&qp->napi);
	return err;
}

void ofnic_qp_free(struct ofnic_qp *qp)
{
	if (xdp_rxq_info_is_reg(&qp->xdp_rxq))
		xdp_rxq_info_unreg(&qp->xdp_rxq);
	if (qp->page_pool)
		page_pool_destroy(qp->page_pool);
	qp->page_pool = NULL;
	ofnic_ring_free(qp, &qp->rx);
	ofnic_ring_free(qp, &qp->tx);
	netif_napi_del(&qp->napi);
}

/* Program both rings, post RX buffers and start NAPI. Called under RTNL. */
int ofnic_qp_start(struct ofnic_qp *qp)
{
	struct net_device *netdev = qp->priv->netdev;
	int err;

	err = ofnic_ring_hw_start(&qp->tx, false);
	if (err)
		return err;
	err = ofnic_ring_hw_start(&qp->rx, true);
	if (err) {
		writel(OFNIC_QC_RESET, qp->tx.regs + OFNIC_Q_CTRL);
		return err;
	}
	ofnic_qp_set_itr(qp);
	/* NAPI is off: nothing else touches the page_pool's cache. */
	ofnic_rx_fill(qp);
	netif_queue_set_napi(netdev, qp->idx, NETDEV_QUEUE_TYPE_RX, &qp->napi);
	netif_queue_set_napi(netdev, qp->idx, NETDEV_QUEUE_TYPE_TX, &qp->napi);
	napi_enable(&qp->napi);
	/* An event that fired while NAPI was off was lost: poll once. */
	local_bh_disable();
	napi_schedule(&qp->napi);
	local_bh_enable();
	qp->started = true;
	return 0;
}

/* Stop NAPI and the rings, and take every buffer back. Called under RTNL. */
void ofnic_qp_stop(struct ofnic_qp *qp)
{
	struct net_device *netdev = qp->priv->netdev;
	struct netdev_queue *txq = netdev_get_tx_queue(netdev, qp->idx);

	if (!qp->started)
		return;
	qp->started = false;
	/*
	 * NAPI first: a TX completion still running could wake the queue
	 * after we stopped it. Once NAPI is off nothing wakes it, and taking
	 * the TX lock waits for an ndo_start_xmit already past the check.
	 */
	napi_disable(&qp->napi);
	__netif_tx_lock_bh(txq);
	netif_tx_stop_queue(txq);
	__netif_tx_unlock_bh(txq);
	ofnic_dim_cancel(qp);
	netif_queue_set_napi(netdev, qp->idx, NETDEV_QUEUE_TYPE_RX, NULL);
	netif_queue_set_napi(netdev, qp->idx, NETDEV_QUEUE_TYPE_TX, NULL);
	/* After these writes the device does not touch the rings any more. */
	writel(OFNIC_QC_RESET, qp->tx.regs + OFNIC_Q_CTRL);
	writel(OFNIC_QC_RESET, qp->rx.regs + OFNIC_Q_CTRL);
	ofnic_tx_flush(qp);
	ofnic_rx_flush(qp);
}

/* Recover a queue pair the device halted on an error. Called under RTNL. */
int ofnic_qp_restart(struct ofnic_qp *qp)
{
	struct netdev_queue *txq;
	int err;

	if (!qp->started)
		return 0;
	ofnic_qp_stop(qp);
	/* NAPI, the RX counters' only other writer, is off until the start. */
	ofnic_stat_add(&qp->rx, &qp->rx.stats.restarts, 1);
	err = ofnic_qp_start(qp);
	if (err)
		return err;
	txq = netdev_get_tx_queue(qp->priv->netdev, qp->idx);
	netif_tx_wake_queue(txq);
	return 0;
}
