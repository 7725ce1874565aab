// SPDX-License-Identifier: GPL-2.0
/*
 * ofnic netdev: open/stop, addresses and MTU, statistics (ndo_get_stats64 and
 * the per-queue netdev netlink statistics), and ring error recovery.
 */
#include <linux/bitfield.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_vlan.h>
#include <linux/rtnetlink.h>
#include <linux/unaligned.h>
#include <net/netdev_queues.h>

#include "ofnic.h"

void ofnic_update_link(struct ofnic_priv *priv)
{
	struct net_device *netdev = priv->netdev;
	bool up = ofnic_rd(priv, OFNIC_REG_STATUS) & OFNIC_STATUS_LINK_UP;

	if (up && netif_running(netdev)) {
		if (!netif_carrier_ok(netdev))
			netdev_info(netdev, "link up\n");
		netif_carrier_on(netdev);
	} else {
		if (netif_carrier_ok(netdev))
			netdev_info(netdev, "link down\n");
		netif_carrier_off(netdev);
	}
}

static u32 ofnic_max_frame(unsigned int mtu)
{
	return mtu + ETH_HLEN + VLAN_HLEN;
}

static void ofnic_free_qp_irqs(struct ofnic_priv *priv, unsigned int n)
{
	/* its IRQ affinity notifiers go before the IRQs */
	ofnic_arfs_close(priv);
	while (n--) {
		struct ofnic_qp *qp = &priv->qp[n];

		netif_napi_set_irq(&qp->napi, -1);
		irq_update_affinity_hint(qp->irq, NULL);
		free_irq(qp->irq, qp);
	}
}

static int ofnic_request_qp_irqs(struct ofnic_priv *priv)
{
	unsigned int i, cpu;
	int err;

	/* aRFS's CPU -> queue map follows the vectors' affinity from here */
	err = ofnic_arfs_open(priv);
	if (err)
		return err;
	for (i = 0; i < priv->num_qp; i++) {
		struct ofnic_qp *qp = &priv->qp[i];

		qp->irq = pci_irq_vector(priv->pdev, OFNIC_MSIX_QP(i));
		snprintf(qp->irq_name, sizeof(qp->irq_name), "%s-qp%u",
			 priv->netdev->name, i);
		err = request_irq(qp->irq, ofnic_qp_irq, 0, qp->irq_name, qp);
		if (!err) {
			err = ofnic_arfs_add_irq(priv, qp->irq);
			if (err)
				free_irq(qp->irq, qp);
		}
		if (err) {
			ofnic_free_qp_irqs(priv, i);
			return err;
		}
		netif_napi_set_irq(&qp->napi, qp->irq);
		/* a queue's vector on a CPU of its own, spread near the device */
		cpu = cpumask_local_spread(i, dev_to_node(&priv->pdev->dev));
		irq_set_affinity_and_hint(qp->irq, cpumask_of(cpu));
	}
	return 0;
}

static void ofnic_teardown(struct ofnic_priv *priv);

int ofnic_open(struct net_device *netdev)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	unsigned int i, n;
	int err;

	for (n = 0; n < priv->num_qp; n++) {
		err = ofnic_qp_alloc(&priv->qp[n]);
		if (err)
			goto err_free;
	}
	err = netif_set_real_num_queues(netdev, priv->num_qp, priv->num_qp);
	if (err)
		goto err_free;
	err = ofnic_request_qp_irqs(priv);
	if (err)
		goto err_free;
	if (ofnic_xdp_on(priv)) {
		err = ofnic_xdp_rings_open(priv);
		if (err) {
			ofnic_free_qp_irqs(priv, priv->num_qp);
			goto err_free;
		}
	}

	ofnic_wr(priv, OFNIC_REG_MAX_FRAME, ofnic_max_frame(netdev->mtu));
	/*
	 * Coalesced frames as large as GRO builds (ofnic_rx_add_buf chains
	 * the buffers one skb has no frags for).
	 */
	ofnic_wr(priv, OFNIC_REG_LRO_MAX_LEN, OFNIC_LRO_MAX_FRAME);
	ofnic_write_rss(priv);
	ofnic_flow_restore(priv);
	ofnic_write_rx_ctrl(priv);
	ofnic_wr(priv, OFNIC_REG_CTRL, OFNIC_CTRL_ENABLE);
	/* XDP TX rings first: the owners' NAPI may use them at once. */
	if (ofnic_xdp_on(priv)) {
		err = ofnic_xdp_rings_start(priv);
		if (err)
			goto err_stop;
	}
	for (i = 0; i < priv->num_qp; i++) {
		err = ofnic_qp_start(&priv->qp[i]);
		if (err)
			goto err_stop;
	}
	priv->up = true;
	ofnic_arfs_set(priv, netdev->features & NETIF_F_NTUPLE);
	netif_tx_start_all_queues(netdev);
	ofnic_update_link(priv);
	return 0;

err_stop:
	ofnic_teardown(priv);
	return err;

err_free:
	while (n--)
		ofnic_qp_free(&priv->qp[n]);
	return err;
}

/* Undo a complete ofnic_open() up to its last step (queues started). */
static void ofnic_teardown(struct ofnic_priv *priv)
{
	unsigned int i;

	for (i = 0; i < priv->num_qp; i++)
		ofnic_qp_stop(&priv->qp[i]);
	if (priv->qp[0].xdp_ring)
		ofnic_xdp_rings_stop(priv);
	ofnic_wr(priv, OFNIC_REG_CTRL, 0);
	ofnic_free_qp_irqs(priv, priv->num_qp);
	ofnic_xdp_rings_free(priv);
	for (i = 0; i < priv->num_qp; i++)
		ofnic_qp_free(&priv->qp[i]);
}

/*
 * Also called by the driver itself before a rebuild; when that rebuild
 * fails the queues are already gone, and dev_close() must not free them
 * again.
 */
int ofnic_stop(struct net_device *netdev)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	netif_carrier_off(netdev);
	if (!priv->up)
		return 0;
	priv->up = false;
	netif_tx_disable(netdev);
	ofnic_teardown(priv);
	return 0;
}

/* Receive control from the netdev's flags and features. */
static u32 ofnic_rx_ctrl(struct ofnic_priv *priv, netdev_features_t features)
{
	u32 rxc = 0;

	/* The device has no multicast filter: it accepts all multicast. */
	if (priv->netdev->flags & IFF_PROMISC)
		rxc |= OFNIC_RXC_PROMISC;
	if (features & NETIF_F_RXCSUM)
		rxc |= OFNIC_RXC_CSUM;
	if (features & NETIF_F_GRO_HW)
		rxc |= OFNIC_RXC_LRO;
	if (priv->hds)
		rxc |= OFNIC_RXC_HDS;
	/* XDP and AF_XDP take whole frames, before fix_features drops GRO_HW */
	if (ofnic_whole_frames(priv))
		rxc &= ~OFNIC_RXC_LRO;
	if (priv->features & OFNIC_F_RSS)
		rxc |= OFNIC_RXC_RSS;
	if ((priv->features & OFNIC_F_FLOW) && (features & NETIF_F_NTUPLE))
		rxc |= OFNIC_RXC_FLOW;
	return rxc;
}

/*
 * RX_CTRL has two writers: ndo_set_rx_mode (under the address lock, not
 * always RTNL) and ndo_set_features (RTNL, before netdev->features changes).
 * Both build it from the features last given to set_features, under a lock.
 */
static void ofnic_update_rx_ctrl(struct ofnic_priv *priv,
				 const netdev_features_t *features)
{
	spin_lock_bh(&priv->rx_ctrl_lock);
	if (features)
		priv->rx_features = *features;
	ofnic_wr(priv, OFNIC_REG_RX_CTRL,
		 ofnic_rx_ctrl(priv, priv->rx_features));
	spin_unlock_bh(&priv->rx_ctrl_lock);
}

void ofnic_write_rx_ctrl(struct ofnic_priv *priv)
{
	ofnic_update_rx_ctrl(priv, NULL);
}

static void ofnic_set_rx_mode(struct net_device *netdev)
{
	ofnic_update_rx_ctrl(netdev_priv(netdev), NULL);
}

/* Coalesced frames span buffers: no hardware GRO under an XDP program. */
static netdev_features_t ofnic_fix_features(struct net_device *netdev,
					    netdev_features_t features)
{
	if (ofnic_whole_frames(netdev_priv(netdev)))
		features &= ~NETIF_F_GRO_HW;
	return features;
}

static int ofnic_set_features(struct net_device *netdev,
			      netdev_features_t features)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	ofnic_update_rx_ctrl(priv, &features);
	/* ntuple off: the stack steers no more flows, the entries go */
	if (priv->up)
		ofnic_arfs_set(priv, features & NETIF_F_NTUPLE);
	return 0;
}

/* Key, indirection table and hash types to the device. */
void ofnic_write_rss(struct ofnic_priv *priv)
{
	unsigned int i;

	if (!(priv->features & OFNIC_F_RSS))
		return;
	for (i = 0; i < OFNIC_RSS_KEY_LEN; i += 4)
		ofnic_wr(priv, OFNIC_REG_RSS_KEY + i,
			 get_unaligned_le32(priv->rss_key + i));
	for (i = 0; i < OFNIC_RSS_RETA_SIZE; i += 4)
		ofnic_wr(priv, OFNIC_REG_RSS_RETA + i,
			 priv->rss_indir[i] | priv->rss_indir[i + 1] << 8 |
			 priv->rss_indir[i + 2] << 16 |
			 priv->rss_indir[i + 3] << 24);
	ofnic_wr(priv, OFNIC_REG_RSS_HASH_TYPES, priv->rss_hash_types);
}

/*
 * Change queue count, ring sizes or header split: the queues are rebuilt
 * while the interface stays up (addresses, routes and TCP connections
 * survive; frames in flight are retransmitted). Called under RTNL.
 */
int ofnic_reconfigure(struct net_device *netdev, u32 num_qp, u32 tx_ring,
		      u32 rx_ring, bool hds)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	u32 old_qp = priv->num_qp, old_tx = priv->tx_ring_size;
	u32 old_rx = priv->rx_ring_size;
	bool old_hds = priv->hds;
	bool running = netif_running(netdev);
	int err;

	if (running)
		ofnic_stop(netdev);
	priv->num_qp = num_qp;
	priv->tx_ring_size = tx_ring;
	priv->rx_ring_size = rx_ring;
	priv->hds = hds;
	if (!netif_is_rxfh_configured(netdev)) {
		unsigned int i;

		for (i = 0; i < OFNIC_RSS_RETA_SIZE; i++)
			priv->rss_indir[i] = ethtool_rxfh_indir_default(i, num_qp);
	}
	if (!running)
		return 0;
	err = ofnic_open(netdev);
	if (!err)
		return 0;
	priv->num_qp = old_qp;
	priv->tx_ring_size = old_tx;
	priv->rx_ring_size = old_rx;
	priv->hds = old_hds;
	if (ofnic_open(netdev))
		dev_close(netdev);
	return err;
}

static void ofnic_write_mac(struct ofnic_priv *priv, const u8 *mac)
{
	ofnic_wr(priv, OFNIC_REG_MAC_LO, get_unaligned_le32(mac));
	ofnic_wr(priv, OFNIC_REG_MAC_HI, get_unaligned_le16(mac + 4));
}

static int ofnic_set_mac_address(struct net_device *netdev, void *p)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	int err;

	err = eth_prepare_mac_addr_change(netdev, p);
	if (err)
		return err;
	eth_commit_mac_addr_change(netdev, p);
	ofnic_write_mac(priv, netdev->dev_addr);
	return 0;
}

static int ofnic_change_mtu(struct net_device *netdev, int mtu)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	if (ofnic_whole_frames(priv) && mtu > OFNIC_XDP_MAX_MTU) {
		netdev_warn(netdev, "MTU %d too large while XDP or AF_XDP zero-copy is in use (at most %lu)\n",
			    mtu, OFNIC_XDP_MAX_MTU);
		return -EINVAL;
	}
	/* RX frames span buffers as needed: no ring rebuild. */
	WRITE_ONCE(netdev->mtu, mtu);
	ofnic_wr(priv, OFNIC_REG_MAX_FRAME, ofnic_max_frame(mtu));
	return 0;
}

static void ofnic_tx_timeout(struct net_device *netdev, unsigned int txq)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	netdev_warn(netdev, "TX queue %u timed out (head %u, tail %u, status %#x)\n",
		    txq, readl(priv->qp[txq].tx.regs + OFNIC_Q_HEAD),
		    readl(priv->qp[txq].tx.regs + OFNIC_Q_TAIL),
		    readl(priv->qp[txq].tx.regs + OFNIC_Q_STATUS));
	set_bit(txq, &priv->restart_req);
	schedule_work(&priv->reset_work);
}

/*
 * Restart every queue pair (or XDP TX ring) the device halted or that timed
 * out. One that does not start again takes all queues with it: they are
 * rebuilt, and if that fails too the interface goes down.
 */
static void ofnic_reset_task(struct work_struct *work)
{
	struct ofnic_priv *priv = container_of(work, struct ofnic_priv,
					       reset_work);
	struct net_device *netdev = priv->netdev;
	bool rebuild = false;
	unsigned int i;

	rtnl_lock();
	for (i = 0; i < priv->num_qp && priv->up; i++) {
		struct ofnic_qp *qp = &priv->qp[i];
		u32 txs = readl(qp->tx.regs + OFNIC_Q_STATUS);
		u32 rxs = readl(qp->rx.regs + OFNIC_Q_STATUS);
		bool req = test_and_clear_bit(i, &priv->restart_req);

		if (!((txs | rxs) & OFNIC_QS_ERROR) && !req)
			continue;
		netdev_warn(netdev, "queue pair %u: tx error %u, rx error %u: resetting it\n",
			    i, FIELD_GET(OFNIC_QS_ERR_MASK, txs),
			    FIELD_GET(OFNIC_QS_ERR_MASK, rxs));
		priv->reset_count++;
		if (ofnic_qp_restart(qp))
			rebuild = true;
	}
	/* XDP TX rings: the TX rings of pairs num_qp.., owned by pairs 0.. */
	for (i = 0; i < priv->num_qp && priv->up && priv->xdp_rings; i++) {
		struct ofnic_qp *xq = &priv->qp[priv->num_qp + i];
		u32 txs = readl(xq->tx.regs + OFNIC_Q_STATUS);

		if (!(txs & OFNIC_QS_ERROR))
			continue;
		netdev_warn(netdev, "XDP TX ring %u: error %u: resetting it\n",
			    i, FIELD_GET(OFNIC_QS_ERR_MASK, txs));
		priv->reset_count++;
		if (ofnic_xdp_ring_restart(priv, i))
			rebuild = true;
	}
	if (rebuild && priv->up) {
		netdev_err(netdev, "a ring did not restart: rebuilding all queues\n");
		ofnic_stop(netdev);
		if (ofnic_open(netdev)) {
			netdev_err(netdev, "rebuild failed: interface down\n");
			dev_close(netdev);
		}
	}
	rtnl_unlock();
}

static void ofnic_get_stats64(struct net_device *netdev,
			      struct rtnl_link_stats64 *stats)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct ofnic_ring_stats s;
	unsigned int i;

	for (i = 0; i < priv->max_qp; i++) {
		ofnic_ring_stats_read(&priv->qp[i].tx, &s);
		stats->tx_packets += s.packets;
		stats->tx_bytes += s.bytes;
		stats->tx_dropped += s.drops;
		ofnic_ring_stats_read(&priv->qp[i].rx, &s);
		stats->rx_packets += s.packets;
		stats->rx_bytes += s.bytes;
		stats->rx_dropped += s.drops;
		/* written back wrong by the device: dropped by the driver */
		stats->rx_length_errors += s.len_errors;
	}
	stats->rx_missed_errors = ofnic_rd_stat(priv, OFNIC_STAT_RX_NO_BUF);
	stats->rx_length_errors += ofnic_rd_stat(priv, OFNIC_STAT_RX_OVERSIZE);
	stats->rx_errors = stats->rx_length_errors +
			   ofnic_rd_stat(priv, OFNIC_STAT_RX_ERRORS);
	stats->tx_errors = ofnic_rd_stat(priv, OFNIC_STAT_TX_ERRORS);
}

static void ofnic_qstats_add_rx(struct netdev_queue_stats_rx *rx,
				const struct ofnic_ring_stats *s)
{
	rx->packets += s->packets;
	rx->bytes += s->bytes;
	rx->alloc_fail += s->alloc_fail;
	rx->csum_unnecessary += s->csum;
	rx->csum_bad += s->csum_bad;
	rx->csum_none += s->csum_none;
	rx->hw_gro_packets += s->gso_packets;
	rx->hw_gro_bytes += s->gso_bytes;
	rx->hw_gro_wire_packets += s->gso_wire_packets;
	rx->hw_gro_wire_bytes += s->gso_wire_bytes;
}

static void ofnic_qstats_add_tx(struct netdev_queue_stats_tx *tx,
				const struct ofnic_ring_stats *s)
{
	tx->packets += s->packets;
	tx->bytes += s->bytes;
	tx->stop += s->stop;
	tx->wake += s->wake;
	tx->needs_csum += s->csum;
	tx->hw_gso_packets += s->gso_packets;
	tx->hw_gso_bytes += s->gso_bytes;
	tx->hw_gso_wire_packets += s->gso_wire_packets;
	tx->hw_gso_wire_bytes += s->gso_wire_bytes;
}

static void ofnic_qstats_zero_rx(struct netdev_queue_stats_rx *rx)
{
	rx->packets = 0;
	rx->bytes = 0;
	rx->alloc_fail = 0;
	rx->csum_unnecessary = 0;
	rx->csum_bad = 0;
	rx->csum_none = 0;
	rx->hw_gro_packets = 0;
	rx->hw_gro_bytes = 0;
	rx->hw_gro_wire_packets = 0;
	rx->hw_gro_wire_bytes = 0;
}

static void ofnic_qstats_zero_tx(struct netdev_queue_stats_tx *tx)
{
	tx->packets = 0;
	tx->bytes = 0;
	tx->stop = 0;
	tx->wake = 0;
	tx->needs_csum = 0;
	tx->hw_gso_packets = 0;
	tx->hw_gso_bytes = 0;
	tx->hw_gso_wire_packets = 0;
	tx->hw_gso_wire_bytes = 0;
}

static void ofnic_qstats_rx(struct net_device *netdev, int idx,
			    struct netdev_queue_stats_rx *rx)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct ofnic_ring_stats s;

	ofnic_ring_stats_read(&priv->qp[idx].rx, &s);
	ofnic_qstats_zero_rx(rx);
	ofnic_qstats_add_rx(rx, &s);
}

static void ofnic_qstats_tx(struct net_device *netdev, int idx,
			    struct netdev_queue_stats_tx *tx)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct ofnic_ring_stats s;

	ofnic_ring_stats_read(&priv->qp[idx].tx, &s);
	ofnic_qstats_zero_tx(tx);
	ofnic_qstats_add_tx(tx, &s);
}

/* Counters of queues not in use now (they live as long as the device). */
static void ofnic_qstats_base(struct net_device *netdev,
			      struct netdev_queue_stats_rx *rx,
			      struct netdev_queue_stats_tx *tx)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct ofnic_ring_stats s;
	unsigned int i;

	ofnic_qstats_zero_rx(rx);
	ofnic_qstats_zero_tx(tx);
	for (i = netdev->real_num_rx_queues; i < priv->max_qp; i++) {
		ofnic_ring_stats_read(&priv->qp[i].rx, &s);
		ofnic_qstats_add_rx(rx, &s);
	}
	for (i = netdev->real_num_tx_queues; i < priv->max_qp; i++) {
		ofnic_ring_stats_read(&priv->qp[i].tx, &s);
		ofnic_qstats_add_tx(tx, &s);
	}
}

static const struct netdev_stat_ops ofnic_stat_ops = {
	.get_queue_stats_rx	= ofnic_qstats_rx,
	.get_queue_stats_tx	= ofnic_qstats_tx,
	.get_base_stats		= ofnic_qstats_base,
};

static const struct net_device_ops ofnic_netdev_ops = {
	.ndo_open		= ofnic_open,
	.ndo_stop		= ofnic_stop,
	.ndo_start_xmit		= ofnic_start_xmit,
	.ndo_set_rx_mode	= ofnic_set_rx_mode,
	.ndo_fix_features	= ofnic_fix_features,
	.ndo_set_features	= ofnic_set_features,
	.ndo_set_mac_address	= ofnic_set_mac_address,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_change_mtu		= ofnic_change_mtu,
	.ndo_tx_timeout		= ofnic_tx_timeout,
	.ndo_get_stats64	= ofnic_get_stats64,
	.ndo_bpf		= ofnic_bpf,
	.ndo_xdp_xmit		= ofnic_xdp_xmit,
	.ndo_xsk_wakeup		= ofnic_xsk_wakeup,
#ifdef CONFIG_RFS_ACCEL
	.ndo_rx_flow_steer	= ofnic_rx_flow_steer,
#endif
};

/* The offloads the device implements become netdev features. */
static void ofnic_set_offload_features(struct net_device *netdev, u32 hwf)
{
	netdev_features_t f = NETIF_F_SG;

	if (hwf & OFNIC_F_TX_CSUM)
		f |= NETIF_F_HW_CSUM;
	if ((hwf & OFNIC_F_TSO) && (hwf & OFNIC_F_TX_CSUM))
		f |= NETIF_F_TSO | NETIF_F_TSO6;
	if (hwf & OFNIC_F_RX_CSUM)
		f |= NETIF_F_RXCSUM;
	if ((hwf & OFNIC_F_LRO) && (hwf & OFNIC_F_RX_CSUM))
		f |= NETIF_F_GRO_HW;
	if (hwf & OFNIC_F_RSS)
		f |= NETIF_F_RXHASH;
	if (hwf & OFNIC_F_FLOW)
		f |= NETIF_F_NTUPLE;
	netdev->hw_features = f;
	netdev->features = f | NETIF_F_HIGHDMA;
	netdev->vlan_features = f & ~(NETIF_F_GRO_HW | NETIF_F_NTUPLE);
	netif_set_tso_max_size(netdev, OFNIC_TX_MAX_PKT);
	netif_set_tso_max_segs(netdev, OFNIC_TSO_MAX_SEGS);
}

struct net_device *ofnic_netdev_alloc(struct pci_dev *pdev, void __iomem *hw,
				      u32 max_qp)
{
	struct net_device *netdev;
	struct ofnic_priv *priv;
	u8 mac[ETH_ALEN];
	unsigned int i;

	netdev = alloc_etherdev_mqs(sizeof(*priv), max_qp, max_qp);
	if (!netdev)
		return NULL;
	SET_NETDEV_DEV(netdev, &pdev->dev);
	priv = netdev_priv(netdev);
	priv->pdev = pdev;
	priv->netdev = netdev;
	priv->hw = hw;
	priv->max_qp = max_qp;
	priv->features = readl(hw + OFNIC_REG_FEATURES);
	/* Without RSS only queue pair 0 receives: use one. */
	priv->num_qp = 1;
	if (priv->features & OFNIC_F_RSS)
		priv->num_qp = min_t(u32, max_qp,
				     netif_get_num_default_rss_queues());
	netdev_rss_key_fill(priv->rss_key, sizeof(priv->rss_key));
	for (i = 0; i < OFNIC_RSS_RETA_SIZE; i++)
		priv->rss_indir[i] = ethtool_rxfh_indir_default(i, priv->num_qp);
	priv->rss_hash_types = OFNIC_RSS_HT_IPV4 | OFNIC_RSS_HT_IPV4_TCP |
			       OFNIC_RSS_HT_IPV4_UDP | OFNIC_RSS_HT_IPV6 |
			       OFNIC_RSS_HT_IPV6_TCP | OFNIC_RSS_HT_IPV6_UDP;
	priv->tx_ring_size = OFNIC_DEF_RING;
	priv->rx_ring_size = OFNIC_DEF_RING;
	INIT_WORK(&priv->reset_work, ofnic_reset_task);
	spin_lock_init(&priv->rx_ctrl_lock);
	priv->qp = kcalloc(max_qp, sizeof(*priv->qp), GFP_KERNEL);
	if (!priv->qp) {
		free_netdev(netdev);
		return NULL;
	}
	if (ofnic_flow_init(priv)) {
		kfree(priv->qp);
		free_netdev(netdev);
		return NULL;
	}
	for (i = 0; i < max_qp; i++) {
		struct ofnic_qp *qp = &priv->qp[i];

		qp->priv = priv;
		qp->idx = i;
		qp->regs = hw + OFNIC_REG_QP(i);
		u64_stats_init(&qp->tx.syncp);
		u64_stats_init(&qp->tx.xsyncp);
		u64_stats_init(&qp->rx.syncp);
		u64_stats_init(&qp->rx.xsyncp);
		qp->irq = -1;
		INIT_WORK(&qp->dim.work, ofnic_dim_work);
		qp->dim.mode = DIM_CQ_PERIOD_MODE_START_FROM_EQE;
	}

	netdev->netdev_ops = &ofnic_netdev_ops;
	netdev->stat_ops = &ofnic_stat_ops;
	netdev->xdp_metadata_ops = &ofnic_xdp_metadata_ops;
	/* NDO_XMIT is added while a program (and so the XDP TX rings) exist. */
	if (max_qp >= 2)
		netdev->xdp_features = NETDEV_XDP_ACT_BASIC |
				       NETDEV_XDP_ACT_REDIRECT |
				       NETDEV_XDP_ACT_XSK_ZEROCOPY;
	ofnic_set_ethtool_ops(netdev);
	netdev->watchdog_timeo = OFNIC_TX_TIMEOUT;
	ofnic_set_offload_features(netdev, priv->features);
	priv->rx_features = netdev->features;
	netdev->min_mtu = ETH_MIN_MTU;
	netdev->max_mtu = OFNIC_MAX_MTU;

	put_unaligned_le32(readl(priv->hw + OFNIC_REG_MAC_LO), mac);
	put_unaligned_le16(readl(priv->hw + OFNIC_REG_MAC_HI), mac + 4);
	if (is_valid_ether_addr(mac)) {
		eth_hw_addr_set(netdev, mac);
	} else {
		eth_hw_addr_random(netdev);
		ofnic_write_mac(priv, netdev->dev_addr);
	}
	return netdev;
}
