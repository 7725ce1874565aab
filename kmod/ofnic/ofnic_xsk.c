// SPDX-License-Identifier: GPL-2.0
/*
 * ofnic AF_XDP zero-copy: a queue bound to an XSK buffer pool receives
 * straight into the socket's UMEM (the device DMAs into the user's frames),
 * and, while an XDP program gives the queue an XDP TX ring, transmits the
 * socket's frames from the UMEM too.
 *
 * Binding or unbinding a pool rebuilds the queues (like ethtool -L). Frames
 * must fit one buffer, as for XDP: header-data split and jumbo MTUs are
 * refused while a pool is bound, and GRO_HW is off.
 */
#include <linux/bpf_trace.h>
#include <linux/filter.h>
#include <linux/rtnetlink.h>
#include <net/xdp.h>
#include <net/xdp_sock_drv.h>

#include "ofnic.h"

/* What ofnic keeps in struct xdp_buff_xsk's cb[] (see ofnic_xdp_buff). */
struct ofnic_xsk_cb {
	const struct ofnic_rx_wb *wb;
};

/* Register the queue's AF_XDP memory model (ofnic_qp_alloc). */
int ofnic_xsk_rxq_setup(struct ofnic_qp *qp)
{
	struct ofnic_xsk_cb cb = { .wb = &qp->rx_first };
	struct xsk_cb_desc desc = {
		.src = &cb,
		.off = 0,
		.bytes = sizeof(cb),
	};
	int err;

	XSK_CHECK_PRIV_TYPE(struct ofnic_xsk_cb);
	err = xdp_rxq_info_reg_mem_model(&qp->xdp_rxq, MEM_TYPE_XSK_BUFF_POOL,
					 NULL);
	if (err)
		return err;
	xsk_pool_set_rxq_info(qp->xsk_pool, &qp->xdp_rxq);
	xsk_pool_fill_cb(qp->xsk_pool, &desc);
	qp->rx.buf_len = min_t(u32, OFNIC_RX_BUF_LEN,
			       xsk_pool_get_rx_frame_size(qp->xsk_pool));
	return 0;
}

/* Post the socket's free frames (its fill ring) on the RX ring. */
bool ofnic_xsk_rx_fill(struct ofnic_qp *qp)
{
	struct ofnic_ring *ring = &qp->rx;
	u32 n = ofnic_ring_unused(ring);
	u32 idx = ring->next_to_use;
	bool empty = false;

	while (n--) {
		struct ofnic_rx_desc *desc = ofnic_rx_desc(ring, idx);
		struct xdp_buff *xdp = xsk_buff_alloc(qp->xsk_pool);

		if (!xdp) {
			empty = true;
			break;
		}
		ring->rx_xsk[idx] = xdp;
		memset(desc, 0, sizeof(*desc));
		desc->addr = cpu_to_le64(xsk_buff_xdp_get_dma(xdp));
		idx = ofnic_next(ring, idx);
	}
	if (xsk_uses_need_wakeup(qp->xsk_pool)) {
		if (empty)
			xsk_set_rx_need_wakeup(qp->xsk_pool);
		else
			xsk_clear_rx_need_wakeup(qp->xsk_pool);
	}
	if (idx == ring->next_to_use)
		return false;
	ring->next_to_use = idx;
	writel(idx, ring->regs + OFNIC_Q_TAIL);
	return true;
}

/* XDP_PASS (or no program) on a zero-copy queue: copy into an skb. */
static void ofnic_xsk_pass(struct ofnic_qp *qp, struct xdp_buff *xdp,
			   struct ofnic_ring_stats *st)
{
	u32 len = xdp->data_end - xdp->data;
	u32 metasize = xdp->data - xdp->data_meta;
	struct sk_buff *skb;

	skb = napi_alloc_skb(&qp->napi, metasize + len);
	if (unlikely(!skb)) {
		xsk_buff_free(xdp);
		st->drops++;
		return;
	}
	skb_put_data(skb, xdp->data_meta, metasize + len);
	if (metasize) {
		__skb_pull(skb, metasize);
		skb_metadata_set(skb, metasize);
	}
	xsk_buff_free(xdp);
	ofnic_rx_deliver(qp, skb, st);
}

int ofnic_xsk_clean_rx(struct ofnic_qp *qp, int budget)
{
	struct bpf_prog *prog = READ_ONCE(qp->priv->xdp_prog);
	struct ofnic_ring *ring = &qp->rx;
	struct ofnic_ring_stats st = {};
	int done = 0;

	while (done < budget &&
	       ring->next_to_clean != ring->next_to_use) {
		u32 idx = ring->next_to_clean;
		struct ofnic_rx_wb *wb = ofnic_rx_wb(ring, idx);
		u32 status = le32_to_cpu(READ_ONCE(wb->status));
		struct xdp_buff *xdp;
		u32 len;

		if (!(status & OFNIC_RXS_DD))
			break;
		dma_rmb();
		qp->rx_first = *wb;
		len = le16_to_cpu(wb->len);
		xdp = ring->rx_xsk[idx];
		ring->rx_xsk[idx] = NULL;
		ring->next_to_clean = ofnic_next(ring, idx);

		/*
		 * Frames fit one buffer here (MTU and no HDS or LRO): anything
		 * else is a write-back no frame can have, dropped to its EOP.
		 */
		if (IS_ERR(qp->rx_skb) || !(status & OFNIC_RXS_EOP) ||
		    (status & OFNIC_RXS_HDS) || len < ETH_HLEN ||
		    len > ring->buf_len) {
			xsk_buff_free(xdp);
			qp->rx_skb = (status & OFNIC_RXS_EOP) ? NULL :
				     ERR_PTR(-EBADMSG);
			if (status & OFNIC_RXS_EOP) {
				st.len_errors++;
				done++;
			}
			continue;
		}
		done++;
		xsk_buff_set_size(xdp, len);
		xsk_buff_dma_sync_for_cpu(xdp);
		if (prog && ofnic_xdp_act(qp, prog, xdp, &st, true) != XDP_PASS) {
			st.packets++;
			st.bytes += len;
			continue;
		}
		ofnic_xsk_pass(qp, xdp, &st);
	}
	ofnic_rx_stats_commit(ring, &st);
	if (st.xdp_tx)
		ofnic_xdp_tx_doorbell(qp);
	return done;
}

/* Give the frames still on the RX ring back to the socket's pool. */
void ofnic_xsk_rx_flush(struct ofnic_qp *qp)
{
	struct ofnic_ring *ring = &qp->rx;
	u32 i;

	for (i = 0; i < ring->size; i++) {
		if (ring->rx_xsk[i]) {
			xsk_buff_free(ring->rx_xsk[i]);
			ring->rx_xsk[i] = NULL;
		}
	}
	ring->next_to_use = 0;
	ring->next_to_clean = 0;
}

/* Send what the socket queued on its TX ring, from its UMEM (NAPI). */
void ofnic_xsk_xmit(struct ofnic_qp *qp, int budget)
{
	struct xsk_buff_pool *pool = qp->xsk_pool;
	struct ofnic_ring *ring = qp->xdp_ring;
	struct xdp_desc xd;
	int sent = 0;

	spin_lock(&ring->xdp_lock);
	while (sent < budget && ofnic_ring_unused(ring) &&
	       xsk_tx_peek_desc(pool, &xd)) {
		u32 idx = ring->next_to_use;
		struct ofnic_tx_buf *buf = &ring->tx_buf[idx];
		dma_addr_t dma = xsk_buff_raw_get_dma(pool, xd.addr);

		xsk_buff_raw_dma_sync_for_device(pool, dma, xd.len);
		buf->xdpf = NULL;
		buf->xsk = 1;
		buf->own_pool = 0;
		buf->dma = dma;
		buf->len = 0;		/* nothing for us to unmap */
		buf->bytes = xd.len;
		buf->eop = idx;
		ofnic_tx_desc_set(ring, idx, dma, xd.len, OFNIC_TXD_EOP);
		/* publishes the slot to ofnic_xdp_clean_tx() */
		smp_store_release(&ring->next_to_use, ofnic_next(ring, idx));
		sent++;
	}
	if (sent) {
		xsk_tx_release(pool);
		writel(ring->next_to_use, ring->regs + OFNIC_Q_TAIL);
		u64_stats_update_begin(&ring->syncp);
		ring->stats.xdp_xmit += sent;
		u64_stats_update_end(&ring->syncp);
	}
	spin_unlock(&ring->xdp_lock);
	/* the socket says when it has more (sendto/poll): ndo_xsk_wakeup */
	if (xsk_uses_need_wakeup(pool))
		xsk_set_tx_need_wakeup(pool);
}

/* ndo_xsk_wakeup: the socket filled its rings; poll the queue. */
int ofnic_xsk_wakeup(struct net_device *netdev, u32 qid, u32 flags)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct ofnic_qp *qp;

	if (!netif_running(netdev) || !netif_carrier_ok(netdev))
		return -ENETDOWN;
	if (qid >= priv->num_qp)
		return -EINVAL;
	qp = &priv->qp[qid];
	if (!qp->xsk_pool)
		return -ENXIO;
	/* transmitting needs the XDP TX ring an XDP program brings */
	if (flags == XDP_WAKEUP_TX && !READ_ONCE(qp->xdp_ring))
		return -ENXIO;
	if (!napi_if_scheduled_mark_missed(&qp->napi)) {
		local_bh_disable();
		napi_schedule(&qp->napi);
		local_bh_enable();
	}
	return 0;
}

/* XDP_SETUP_XSK_POOL: bind (pool) or unbind (NULL) queue qid. RTNL held. */
int ofnic_xsk_pool_setup(struct net_device *netdev, struct xsk_buff_pool *pool,
			 u16 qid, struct netlink_ext_ack *extack)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct device *dev = &priv->pdev->dev;
	bool running = netif_running(netdev);
	struct xsk_buff_pool *old = NULL;
	int err;

	if (qid >= priv->num_qp) {
		NL_SET_ERR_MSG_MOD(extack, "no such queue");
		return -EINVAL;
	}
	if (pool) {
		if (priv->hds) {
			NL_SET_ERR_MSG_MOD(extack,
					   "AF_XDP zero-copy needs whole frames: turn header-data split off");
			return -EOPNOTSUPP;
		}
		if (netdev->mtu > OFNIC_XDP_MAX_MTU) {
			NL_SET_ERR_MSG_MOD(extack,
					   "MTU too large for AF_XDP zero-copy");
			return -EINVAL;
		}
		err = xsk_pool_dma_map(pool, dev, 0);
		if (err)
			return err;
		set_bit(qid, priv->xsk_zc);
	} else {
		if (!test_bit(qid, priv->xsk_zc))
			return 0;
		old = xsk_get_pool_from_qid(netdev, qid);
		clear_bit(qid, priv->xsk_zc);
	}

	if (running) {
		ofnic_stop(netdev);
		err = ofnic_open(netdev);
		if (err && pool) {
			NL_SET_ERR_MSG_MOD(extack,
					   "cannot rebuild the queue for AF_XDP");
			clear_bit(qid, priv->xsk_zc);
			xsk_pool_dma_unmap(pool, 0);
			if (ofnic_open(netdev))
				dev_close(netdev);
			netdev_update_features(netdev);
			return err;
		}
		if (err)
			dev_close(netdev);
	}
	if (old)
		xsk_pool_dma_unmap(old, 0);
	/* GRO_HW off while frames must be whole (ofnic_fix_features). */
	netdev_update_features(netdev);
	return 0;
}
