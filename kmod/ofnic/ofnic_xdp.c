// SPDX-License-Identifier: GPL-2.0
/*
 * ofnic native XDP: attaching a program, running it on received frames,
 * the dedicated XDP TX rings (XDP_TX and ndo_xdp_xmit), and the RX metadata
 * kfuncs.
 *
 * An XDP program sees each frame in one page_pool buffer, so it needs whole
 * frames: header-data split is refused while a program is attached, the MTU
 * is capped at OFNIC_XDP_MAX_MTU, and hardware coalescing (GRO_HW) is off.
 * Queue pair i gets the TX ring of queue pair num_qp + i as its XDP TX ring,
 * so XDP allows at most max_qp / 2 channels.
 */
#include <linux/bpf.h>
#include <linux/bpf_trace.h>
#include <linux/filter.h>
#include <net/page_pool/helpers.h>
#include <net/xdp.h>
#include <net/xdp_sock_drv.h>

#include "ofnic.h"

/*
 * The xdp_buff of a frame, with the write-back the metadata kfuncs read. For
 * AF_XDP zero-copy buffers .wb lives in struct xdp_buff_xsk's cb[], at the
 * same offset (ofnic_xsk_rxq_setup fills it).
 */
struct ofnic_xdp_buff {
	struct xdp_buff xdp;
	const struct ofnic_rx_wb *wb;
};

static struct device *ofnic_xdp_dev(struct ofnic_ring *ring)
{
	return &ring->qp->priv->pdev->dev;
}

/* ---- XDP TX rings -------------------------------------------------------- */

/*
 * Queue one frame on an XDP TX ring. Called with ring->xdp_lock held.
 * mapped: we mapped it (ndo_xdp_xmit, a copied AF_XDP frame); otherwise it
 * is XDP_TX of a page of the ring owner's own page_pool, the only kind its
 * NAPI may return to that pool's lockless cache.
 */
static bool ofnic_xdp_post(struct ofnic_ring *ring, struct xdp_frame *xdpf,
			   dma_addr_t dma, bool mapped)
{
	u32 idx = ring->next_to_use;
	struct ofnic_tx_buf *buf = &ring->tx_buf[idx];

	if (!ofnic_ring_unused(ring))
		return false;
	buf->xdpf = xdpf;
	buf->dma = dma;
	buf->len = xdpf->len;
	buf->mapped_page = mapped;
	buf->own_pool = !mapped;
	buf->xsk = 0;
	buf->eop = idx;
	buf->bytes = xdpf->len;
	ofnic_tx_desc_set(ring, idx, dma, xdpf->len, OFNIC_TXD_EOP);
	/* publishes the slot to ofnic_xdp_clean_tx() */
	smp_store_release(&ring->next_to_use, ofnic_next(ring, idx));
	return true;
}

/*
 * Give a sent (or dropped) frame back. In the owner's NAPI (bq set) its own
 * XDP_TX pages go straight to its page_pool cache and the rest in bulk; else
 * (teardown) each through the generic path.
 */
static void ofnic_xdp_buf_free(struct ofnic_ring *ring,
			       struct ofnic_tx_buf *buf,
			       struct xdp_frame_bulk *bq)
{
	if (!buf->xdpf)
		return;
	if (buf->mapped_page)
		dma_unmap_single(ofnic_xdp_dev(ring), buf->dma, buf->len,
				 DMA_TO_DEVICE);
	if (!bq)
		xdp_return_frame(buf->xdpf);
	else if (buf->own_pool)
		xdp_return_frame_rx_napi(buf->xdpf);
	else
		xdp_return_frame_bulk(buf->xdpf, bq);
	buf->xdpf = NULL;
	buf->own_pool = 0;
	buf->len = 0;
}

/* Tell the device about the frames queued on pair qp's XDP TX ring. */
void ofnic_xdp_tx_doorbell(struct ofnic_qp *qp)
{
	struct ofnic_ring *ring = qp->xdp_ring;

	spin_lock(&ring->xdp_lock);
	writel(ring->next_to_use, ring->regs + OFNIC_Q_TAIL);
	spin_unlock(&ring->xdp_lock);
}

/* Reap the frames the device sent from pair qp's XDP TX ring (NAPI). */
void ofnic_xdp_clean_tx(struct ofnic_qp *qp, struct ofnic_ring *ring)
{
	unsigned int pkts = 0, bytes = 0, errs = 0, xsk = 0;
	u32 ntc = ring->next_to_clean;
	struct xdp_frame_bulk bq;

	xdp_frame_bulk_init(&bq);
	rcu_read_lock();	/* xdp_return_frame_bulk() looks up the pools */
	/* next_to_use may grow under us (ndo_xdp_xmit): acquire pairs with post */
	while (ntc != smp_load_acquire(&ring->next_to_use)) {
		struct ofnic_tx_buf *buf = &ring->tx_buf[ntc];
		u16 status;

		status = le16_to_cpu(READ_ONCE(ofnic_tx_desc(ring, ntc)->status));
		if (!(status & OFNIC_TXS_DD))
			break;
		dma_rmb();
		if (status & OFNIC_TXS_ERR)
			errs++;
		pkts++;
		bytes += buf->bytes;
		if (buf->xsk) {
			buf->xsk = 0;	/* the pool's own memory */
			xsk++;
		}
		ofnic_xdp_buf_free(ring, buf, &bq);
		ntc = ofnic_next(ring, ntc);
	}
	xdp_flush_frame_bulk(&bq);
	rcu_read_unlock();
	if (!pkts)
		return;
	if (xsk)
		xsk_tx_completed(qp->xsk_pool, xsk);
	spin_lock(&ring->xdp_lock);
	ring->next_to_clean = ntc;
	ofnic_tx_stats_commit(ring, pkts, bytes, errs);
	spin_unlock(&ring->xdp_lock);
}

/* Queue a frame in memory of its own (mapped here) on pair qp's XDP ring. */
bool ofnic_xdp_tx_frame(struct ofnic_qp *qp, struct xdp_frame *xdpf)
{
	struct ofnic_ring *ring = qp->xdp_ring;
	struct device *dev = ofnic_xdp_dev(ring);
	dma_addr_t dma;
	bool ok;

	dma = dma_map_single(dev, xdpf->data, xdpf->len, DMA_TO_DEVICE);
	if (dma_mapping_error(dev, dma))
		return false;
	spin_lock(&ring->xdp_lock);
	ok = ofnic_xdp_post(ring, xdpf, dma, true);
	spin_unlock(&ring->xdp_lock);
	if (!ok)
		dma_unmap_single(dev, dma, xdpf->len, DMA_TO_DEVICE);
	return ok;
}

/* XDP_TX: send the frame back out of the port it came in on. */
static bool ofnic_xdp_tx(struct ofnic_qp *qp, struct xdp_buff *xdp,
			 struct page *page)
{
	struct ofnic_ring *ring = qp->xdp_ring;
	struct xdp_frame *xdpf = xdp_convert_buff_to_frame(xdp);
	dma_addr_t dma;
	bool ok;

	if (unlikely(!xdpf))
		return false;
	/* The page is mapped by the page_pool (bidirectional). */
	dma = page_pool_get_dma_addr(page) +
	      ((void *)xdpf->data - page_address(page));
	dma_sync_single_for_device(ofnic_xdp_dev(ring), dma, xdpf->len,
				   DMA_BIDIRECTIONAL);
	spin_lock(&ring->xdp_lock);
	ok = ofnic_xdp_post(ring, xdpf, dma, false);
	spin_unlock(&ring->xdp_lock);
	return ok;
}

/* ndo_xdp_xmit: frames redirected to this port from elsewhere. */
int ofnic_xdp_xmit(struct net_device *netdev, int n, struct xdp_frame **frames,
		   u32 flags)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct ofnic_ring *ring;
	struct ofnic_qp *qp;
	u32 num_qp;
	int i, sent = 0;

	if (unlikely(flags & ~XDP_XMIT_FLAGS_MASK))
		return -EINVAL;
	num_qp = READ_ONCE(priv->num_qp);
	if (unlikely(!netif_running(netdev) || !netif_carrier_ok(netdev)))
		return -ENETDOWN;
	qp = &priv->qp[smp_processor_id() % num_qp];
	/* Rings are torn down after synchronize_net() (ofnic_xdp_rings_stop). */
	ring = READ_ONCE(qp->xdp_ring);
	if (unlikely(!ring))
		return -ENXIO;

	spin_lock(&ring->xdp_lock);
	for (i = 0; i < n; i++) {
		struct xdp_frame *xdpf = frames[i];
		dma_addr_t dma;

		dma = dma_map_single(ofnic_xdp_dev(ring), xdpf->data, xdpf->len,
				     DMA_TO_DEVICE);
		if (dma_mapping_error(ofnic_xdp_dev(ring), dma))
			break;
		if (!ofnic_xdp_post(ring, xdpf, dma, true)) {
			dma_unmap_single(ofnic_xdp_dev(ring), dma, xdpf->len,
					 DMA_TO_DEVICE);
			break;
		}
		sent++;
	}
	if (sent && (flags & XDP_XMIT_FLUSH))
		writel(ring->next_to_use, ring->regs + OFNIC_Q_TAIL);
	u64_stats_update_begin(&ring->syncp);
	ring->stats.xdp_xmit += sent;
	ring->stats.xdp_xmit_err += n - sent;
	u64_stats_update_end(&ring->syncp);
	spin_unlock(&ring->xdp_lock);
	/* The caller frees the frames we did not take. */
	return sent;
}

/* ---- receive --------------------------------------------------------------- */

/*
 * Carry out the program's verdict on the frame in xdp, a page_pool page or
 * (zc) an AF_XDP buffer. On XDP_PASS the buffer is still the caller's; on
 * any other verdict it has been sent, redirected or freed.
 */
u32 ofnic_xdp_act(struct ofnic_qp *qp, struct bpf_prog *prog,
		  struct xdp_buff *xdp, struct ofnic_ring_stats *st, bool zc)
{
	struct net_device *netdev = qp->priv->netdev;
	struct xdp_frame *xdpf;
	u32 act;

	act = bpf_prog_run_xdp(prog, xdp);
	switch (act) {
	case XDP_PASS:
		st->xdp_pass++;
		return act;
	case XDP_TX:
		if (!zc) {
			if (likely(ofnic_xdp_tx(qp, xdp,
						virt_to_head_page(xdp->data)))) {
				st->xdp_tx++;
				return act;
			}
		} else {
			/* copies the frame out and frees the AF_XDP buffer */
			xdpf = xdp_convert_buff_to_frame(xdp);
			if (likely(xdpf)) {
				if (likely(ofnic_xdp_tx_frame(qp, xdpf))) {
					st->xdp_tx++;
					return act;
				}
				xdp_return_frame_rx_napi(xdpf);
				st->xdp_tx_err++;
				trace_xdp_exception(netdev, prog, act);
				return act;
			}
		}
		st->xdp_tx_err++;
		trace_xdp_exception(netdev, prog, act);
		break;
	case XDP_REDIRECT:
		if (likely(!xdp_do_redirect(netdev, xdp, prog))) {
			st->xdp_redirect++;
			qp->xdp_redirected = true;
			return act;
		}
		st->xdp_redirect_err++;
		trace_xdp_exception(netdev, prog, act);
		break;
	case XDP_DROP:
		st->xdp_drop++;
		break;
	default:
		bpf_warn_invalid_xdp_action(netdev, prog, act);
		fallthrough;
	case XDP_ABORTED:
		trace_xdp_exception(netdev, prog, act);
		st->xdp_aborted++;
		break;
	}
	if (zc)
		xsk_buff_free(xdp);
	else
		page_pool_put_full_page(qp->page_pool,
					virt_to_head_page(xdp->data), true);
	return act;
}

/*
 * Run the program on a frame the device wrote into one page at
 * OFNIC_RX_HEADROOM. On OFNIC_XDP_PASS, *off, *len and *metasize describe the
 * frame as the program left it; otherwise the page is no longer ours.
 */
enum ofnic_xdp_res ofnic_rx_xdp(struct ofnic_qp *qp, struct bpf_prog *prog,
				struct page *page, u32 *off, u32 *len,
				u32 *metasize, struct ofnic_ring_stats *st)
{
	struct ofnic_xdp_buff ctx;

	xdp_init_buff(&ctx.xdp, PAGE_SIZE, &qp->xdp_rxq);
	xdp_prepare_buff(&ctx.xdp, page_address(page), OFNIC_RX_HEADROOM, *len,
			 true);
	ctx.wb = &qp->rx_first;

	if (ofnic_xdp_act(qp, prog, &ctx.xdp, st, false) != XDP_PASS)
		return OFNIC_XDP_CONSUMED;
	*off = ctx.xdp.data - ctx.xdp.data_hard_start;
	*len = ctx.xdp.data_end - ctx.xdp.data;
	*metasize = ctx.xdp.data - ctx.xdp.data_meta;
	return OFNIC_XDP_PASS;
}

/* ---- XDP TX ring lifecycle (under RTNL, with the device open) -------------- */

static irqreturn_t ofnic_xdp_irq(int irq, void *data)
{
	struct ofnic_qp *xq = data;

	/* Completions on an XDP TX ring: its owner's NAPI reaps them. */
	napi_schedule_irqoff(&xq->xdp_owner->napi);
	return IRQ_HANDLED;
}

/* Re-arm an XDP TX ring's vector once its owner's NAPI is done. */
void ofnic_xdp_arm(struct ofnic_ring *ring)
{
	writel(1, ring->qp->regs + OFNIC_QP_INT_ARM);
}

/* Allocate the XDP TX rings and their interrupts (device stopped). */
int ofnic_xdp_rings_open(struct ofnic_priv *priv)
{
	unsigned int i;
	int err;

	for (i = 0; i < priv->num_qp; i++) {
		struct ofnic_qp *xq = &priv->qp[priv->num_qp + i];

		xq->tx.regs = xq->regs + OFNIC_QP_TX;
		xq->xdp_owner = &priv->qp[i];
		spin_lock_init(&xq->tx.xdp_lock);
		err = ofnic_ring_alloc(xq, &xq->tx, priv->tx_ring_size,
				       sizeof(struct ofnic_tx_buf));
		if (err)
			goto err_free;
		xq->irq = pci_irq_vector(priv->pdev, OFNIC_MSIX_QP(xq->idx));
		snprintf(xq->irq_name, sizeof(xq->irq_name), "%s-xdp%u",
			 priv->netdev->name, i);
		err = request_irq(xq->irq, ofnic_xdp_irq, 0, xq->irq_name, xq);
		if (err) {
			ofnic_ring_free(xq, &xq->tx);
			goto err_free;
		}
	}
	priv->xdp_rings = true;
	return 0;

err_free:
	while (i--) {
		struct ofnic_qp *xq = &priv->qp[priv->num_qp + i];

		free_irq(xq->irq, xq);
		ofnic_ring_free(xq, &xq->tx);
		xq->xdp_owner = NULL;
	}
	return err;
}

/* Start pair i's XDP TX ring and hand it to its owner. */
static int ofnic_xdp_ring_start(struct ofnic_priv *priv, unsigned int i)
{
	struct ofnic_qp *xq = &priv->qp[priv->num_qp + i];
	int err;

	err = ofnic_ring_hw_start(&xq->tx, false);
	ofnic_qp_set_itr(xq);
	writel(1, xq->regs + OFNIC_QP_INT_ARM);
	/*
	 * Handed over even if it did not start, as the owner's XDP_TX needs a
	 * ring: the caller then rebuilds all queues (ofnic_reset_task).
	 */
	WRITE_ONCE(priv->qp[i].xdp_ring, &xq->tx);
	return err;
}

int ofnic_xdp_rings_start(struct ofnic_priv *priv)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < priv->num_qp; i++)
		err = ofnic_xdp_ring_start(priv, i) ?: err;
	return err;
}

/*
 * Take back every frame still on pair i's XDP TX ring and reset it. Nobody
 * may use the ring: its owner's NAPI is off and synchronize_net() has run
 * since the owner's xdp_ring was cleared.
 */
static void ofnic_xdp_ring_drain(struct ofnic_priv *priv, unsigned int i)
{
	struct ofnic_ring *ring = &priv->qp[priv->num_qp + i].tx;
	u32 j, xsk = 0;

	writel(OFNIC_QC_RESET, ring->regs + OFNIC_Q_CTRL);
	for (j = ring->next_to_clean; j != ring->next_to_use;
	     j = ofnic_next(ring, j)) {
		struct ofnic_tx_buf *buf = &ring->tx_buf[j];

		if (buf->xsk) {
			buf->xsk = 0;
			xsk++;
		}
		ofnic_xdp_buf_free(ring, buf, NULL);
	}
	/* AF_XDP frames never sent still go back to their socket */
	if (xsk && priv->qp[i].xsk_pool)
		xsk_tx_completed(priv->qp[i].xsk_pool, xsk);
	ring->next_to_use = 0;
	ring->next_to_clean = 0;
}

/* Stop the XDP TX rings; the owners' NAPI is already disabled. */
void ofnic_xdp_rings_stop(struct ofnic_priv *priv)
{
	unsigned int i;

	for (i = 0; i < priv->num_qp; i++)
		WRITE_ONCE(priv->qp[i].xdp_ring, NULL);
	/* No ndo_xdp_xmit still looks at a ring after this. */
	synchronize_net();
	for (i = 0; i < priv->num_qp; i++)
		ofnic_xdp_ring_drain(priv, i);
}

/* Recover pair i's XDP TX ring after the device halted it. Under RTNL. */
int ofnic_xdp_ring_restart(struct ofnic_priv *priv, unsigned int i)
{
	struct ofnic_qp *owner = &priv->qp[i];
	int err;

	if (!owner->started || !owner->xdp_ring)
		return 0;
	napi_disable(&owner->napi);
	WRITE_ONCE(owner->xdp_ring, NULL);
	synchronize_net();
	ofnic_xdp_ring_drain(priv, i);
	/* NAPI, the other writer of these counters, is off */
	ofnic_stat_add(&owner->rx, &owner->rx.stats.restarts, 1);
	err = ofnic_xdp_ring_start(priv, i);
	napi_enable(&owner->napi);
	local_bh_disable();
	napi_schedule(&owner->napi);
	local_bh_enable();
	return err;
}

void ofnic_xdp_rings_free(struct ofnic_priv *priv)
{
	unsigned int i;

	/* Only while they exist: num_qp + i is past max_qp otherwise. */
	if (!priv->xdp_rings)
		return;
	priv->xdp_rings = false;
	for (i = 0; i < priv->num_qp; i++) {
		struct ofnic_qp *xq = &priv->qp[priv->num_qp + i];

		if (!xq->xdp_owner)
			continue;
		free_irq(xq->irq, xq);
		xq->irq = -1;
		ofnic_ring_free(xq, &xq->tx);
		xq->xdp_owner = NULL;
	}
}

/* ---- attaching a program --------------------------------------------------- */

static int ofnic_xdp_check(struct ofnic_priv *priv,
			   struct netlink_ext_ack *extack)
{
	struct net_device *netdev = priv->netdev;

	if (priv->hds) {
		NL_SET_ERR_MSG_MOD(extack,
				   "XDP needs whole frames: turn header-data split off first (ethtool -G dev tcp-data-split off)");
		return -EOPNOTSUPP;
	}
	if (netdev->mtu > OFNIC_XDP_MAX_MTU) {
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "MTU %u too large for XDP (one buffer: MTU <= %lu)",
				       netdev->mtu, OFNIC_XDP_MAX_MTU);
		return -EINVAL;
	}
	if (priv->num_qp * 2 > priv->max_qp) {
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "XDP takes a TX ring per channel: at most %u channels",
				       priv->max_qp / 2);
		return -EINVAL;
	}
	return 0;
}

static int ofnic_xdp_setup(struct net_device *netdev, struct bpf_prog *prog,
			   struct netlink_ext_ack *extack)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct bpf_prog *old = priv->xdp_prog;
	bool running = netif_running(netdev);
	int err;

	if (prog) {
		err = ofnic_xdp_check(priv, extack);
		if (err)
			return err;
	}
	/* Replacing one program by another: the rings stay as they are. */
	if (!!old == !!prog) {
		WRITE_ONCE(priv->xdp_prog, prog);
		if (old)
			bpf_prog_put(old);
		return 0;
	}

	/* XDP TX rings come and go: rebuild the queues (like ethtool -L). */
	if (running)
		ofnic_stop(netdev);
	WRITE_ONCE(priv->xdp_prog, prog);
	if (running) {
		err = ofnic_open(netdev);
		if (err) {
			NL_SET_ERR_MSG_MOD(extack,
					   "cannot allocate the XDP rings, keeping the old setup");
			WRITE_ONCE(priv->xdp_prog, old);
			if (ofnic_open(netdev))
				dev_close(netdev);
			return err;
		}
	}
	if (old)
		bpf_prog_put(old);
	/* GRO_HW off while a program is attached (ofnic_fix_features). */
	netdev_update_features(netdev);
	if (prog)
		xdp_features_set_redirect_target(netdev, false);
	else
		xdp_features_clear_redirect_target(netdev);
	return 0;
}

int ofnic_bpf(struct net_device *netdev, struct netdev_bpf *bpf)
{
	switch (bpf->command) {
	case XDP_SETUP_PROG:
		return ofnic_xdp_setup(netdev, bpf->prog, bpf->extack);
	case XDP_SETUP_XSK_POOL:
		return ofnic_xsk_pool_setup(netdev, bpf->xsk.pool,
					    bpf->xsk.queue_id, bpf->extack);
	default:
		return -EINVAL;
	}
}

/* ---- RX metadata kfuncs ---------------------------------------------------- */

static int ofnic_xdp_rx_hash(const struct xdp_md *md, u32 *hash,
			     enum xdp_rss_hash_type *rss_type)
{
	const struct ofnic_xdp_buff *ctx = (const struct ofnic_xdp_buff *)md;
	const struct ofnic_rx_wb *wb = ctx->wb;

	if (!(le32_to_cpu(wb->status) & OFNIC_RXS_RSS))
		return -ENODATA;
	*hash = le32_to_cpu(wb->rss_hash);
	switch (wb->rss_type) {
	case OFNIC_RSS_TYPE_IPV4:
		*rss_type = XDP_RSS_TYPE_L3_IPV4;
		break;
	case OFNIC_RSS_TYPE_IPV4_TCP:
		*rss_type = XDP_RSS_TYPE_L4_IPV4_TCP;
		break;
	case OFNIC_RSS_TYPE_IPV4_UDP:
		*rss_type = XDP_RSS_TYPE_L4_IPV4_UDP;
		break;
	case OFNIC_RSS_TYPE_IPV6:
		*rss_type = XDP_RSS_TYPE_L3_IPV6;
		break;
	case OFNIC_RSS_TYPE_IPV6_TCP:
		*rss_type = XDP_RSS_TYPE_L4_IPV6_TCP;
		break;
	case OFNIC_RSS_TYPE_IPV6_UDP:
		*rss_type = XDP_RSS_TYPE_L4_IPV6_UDP;
		break;
	default:
		*rss_type = XDP_RSS_TYPE_NONE;
		break;
	}
	return 0;
}

/* The device keeps no receive timestamp: only the hash is offered. */
const struct xdp_metadata_ops ofnic_xdp_metadata_ops = {
	.xmo_rx_hash	= ofnic_xdp_rx_hash,
};
