// SPDX-License-Identifier: GPL-2.0
/*
 * ofnic ethtool: driver info, link, ring sizes, channels, statistics.
 */
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>

#include "ofnic.h"

static void ofnic_get_drvinfo(struct net_device *netdev,
			      struct ethtool_drvinfo *info)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	u32 ver = ofnic_rd(priv, OFNIC_REG_VERSION);

	strscpy(info->driver, OFNIC_DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, pci_name(priv->pdev), sizeof(info->bus_info));
	snprintf(info->fw_version, sizeof(info->fw_version), "hw %u.%u",
		 ver >> 16, ver & 0xffff);
}

static void ofnic_get_ringparam(struct net_device *netdev,
				struct ethtool_ringparam *ring,
				struct kernel_ethtool_ringparam *kring,
				struct netlink_ext_ack *extack)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	ring->rx_max_pending = OFNIC_RING_MAX;
	ring->tx_max_pending = OFNIC_RING_MAX;
	ring->rx_pending = priv->rx_ring_size;
	ring->tx_pending = priv->tx_ring_size;
	kring->rx_buf_len = OFNIC_RX_BUF_LEN;
	if (priv->features & OFNIC_F_HDS)
		kring->tcp_data_split = priv->hds ? ETHTOOL_TCP_DATA_SPLIT_ENABLED :
						    ETHTOOL_TCP_DATA_SPLIT_DISABLED;
}

static int ofnic_check_ring_size(u32 n, const char *which,
				 struct netlink_ext_ack *extack)
{
	if (n < OFNIC_RING_MIN || n > OFNIC_RING_MAX || !is_power_of_2(n)) {
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "%s ring size %u: must be a power of two from %u to %u",
				       which, n, OFNIC_RING_MIN, OFNIC_RING_MAX);
		return -EINVAL;
	}
	return 0;
}

static int ofnic_set_ringparam(struct net_device *netdev,
			       struct ethtool_ringparam *ring,
			       struct kernel_ethtool_ringparam *kring,
			       struct netlink_ext_ack *extack)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	bool hds = priv->hds;
	int err;

	if (ring->rx_mini_pending || ring->rx_jumbo_pending) {
		NL_SET_ERR_MSG_MOD(extack, "no mini or jumbo rings");
		return -EINVAL;
	}
	if (kring->rx_buf_len && kring->rx_buf_len != OFNIC_RX_BUF_LEN) {
		NL_SET_ERR_MSG_FMT_MOD(extack, "rx-buf-len is fixed at %lu",
				       OFNIC_RX_BUF_LEN);
		return -EINVAL;
	}
	err = ofnic_check_ring_size(ring->tx_pending, "TX", extack);
	if (!err)
		err = ofnic_check_ring_size(ring->rx_pending, "RX", extack);
	if (err)
		return err;
	/*
	 * Both paths hand in what get_ringparam reported unless the user named
	 * a value (netlink), so UNKNOWN is "auto": the driver's choice, whole
	 * frames, which never stands in XDP's way. Only ENABLED asks for a split
	 * that XDP then refuses.
	 */
	switch (kring->tcp_data_split) {
	case ETHTOOL_TCP_DATA_SPLIT_UNKNOWN:
		hds = false;
		break;
	case ETHTOOL_TCP_DATA_SPLIT_ENABLED:
		if (!(priv->features & OFNIC_F_HDS)) {
			NL_SET_ERR_MSG_MOD(extack, "the device cannot split headers");
			return -EOPNOTSUPP;
		}
		if (ofnic_whole_frames(priv)) {
			NL_SET_ERR_MSG_MOD(extack,
					   "header-data split is not possible while XDP or AF_XDP zero-copy is in use");
			return -EBUSY;
		}
		hds = true;
		break;
	default:
		hds = false;
		break;
	}
	if (ring->tx_pending == priv->tx_ring_size &&
	    ring->rx_pending == priv->rx_ring_size && hds == priv->hds)
		return 0;
	err = ofnic_reconfigure(netdev, priv->num_qp, ring->tx_pending,
				ring->rx_pending, hds);
	if (err)
		NL_SET_ERR_MSG_MOD(extack, "cannot allocate the new rings, keeping the old ones");
	return err;
}

static void ofnic_get_channels(struct net_device *netdev,
			       struct ethtool_channels *ch)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	/* Without RSS only queue pair 0 receives; XDP takes a TX ring each. */
	ch->max_combined = priv->features & OFNIC_F_RSS ? priv->max_qp : 1;
	if (ofnic_xdp_on(priv))
		ch->max_combined = max(1U, ch->max_combined / 2);
	ch->combined_count = priv->num_qp;
	ch->max_other = 1;
	ch->other_count = 1;	/* the admin vector */
}

static int ofnic_set_channels(struct net_device *netdev,
			      struct ethtool_channels *ch)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	/* The core checked the maxima, the tables and the queue rules. */
	if (!ch->combined_count || ch->rx_count || ch->tx_count ||
	    ch->other_count != 1)
		return -EINVAL;
	if (ch->combined_count == priv->num_qp)
		return 0;
	/* a rule's offset over its context's queues is ours to check */
	if (ofnic_flow_channels_fit(priv, ch->combined_count))
		return -EINVAL;
	return ofnic_reconfigure(netdev, ch->combined_count,
				 priv->tx_ring_size, priv->rx_ring_size,
				 priv->hds);
}

/* ---- RSS ----------------------------------------------------------------- */

static u32 ofnic_get_rxfh_key_size(struct net_device *netdev)
{
	return OFNIC_RSS_KEY_LEN;
}

static u32 ofnic_get_rxfh_indir_size(struct net_device *netdev)
{
	return OFNIC_RSS_RETA_SIZE;
}

static int ofnic_get_rxfh(struct net_device *netdev,
			  struct ethtool_rxfh_param *rxfh)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	rxfh->hfunc = ETH_RSS_HASH_TOP;
	if (rxfh->indir)
		memcpy(rxfh->indir, priv->rss_indir, sizeof(priv->rss_indir));
	if (rxfh->key)
		memcpy(rxfh->key, priv->rss_key, sizeof(priv->rss_key));
	return 0;
}

static int ofnic_set_rxfh(struct net_device *netdev,
			  struct ethtool_rxfh_param *rxfh,
			  struct netlink_ext_ack *extack)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	unsigned int i;

	if (!(priv->features & OFNIC_F_RSS)) {
		NL_SET_ERR_MSG_MOD(extack, "the device has no RSS");
		return -EOPNOTSUPP;
	}
	if (rxfh->hfunc != ETH_RSS_HASH_NO_CHANGE &&
	    rxfh->hfunc != ETH_RSS_HASH_TOP) {
		NL_SET_ERR_MSG_MOD(extack, "only the Toeplitz hash is supported");
		return -EOPNOTSUPP;
	}
	if (rxfh->indir) {
		for (i = 0; i < OFNIC_RSS_RETA_SIZE; i++) {
			if (rxfh->indir[i] >= priv->num_qp) {
				NL_SET_ERR_MSG_FMT_MOD(extack,
						       "indirection entry %u names queue %u of %u",
						       i, rxfh->indir[i], priv->num_qp);
				return -EINVAL;
			}
		}
		if (ofnic_flow_rules_fit(priv, 0, rxfh->indir, priv->num_qp,
					 extack))
			return -EINVAL;
		memcpy(priv->rss_indir, rxfh->indir, sizeof(priv->rss_indir));
	}
	if (rxfh->key)
		memcpy(priv->rss_key, rxfh->key, sizeof(priv->rss_key));
	/* Live: the device picks the new table up with the next frame. */
	ofnic_write_rss(priv);
	return 0;
}

/* ntuple rules: ofnic_flow.c; rx-flow-hash: get/set_rxfh_fields */
static int ofnic_get_rxnfc(struct net_device *netdev,
			   struct ethtool_rxnfc *nfc, u32 *rule_locs)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	if (nfc->cmd == ETHTOOL_GRXRINGS) {
		nfc->data = priv->num_qp;
		return 0;
	}
	return ofnic_flow_get_rxnfc(priv, nfc, rule_locs);
}

static int ofnic_set_rxnfc(struct net_device *netdev, struct ethtool_rxnfc *nfc)
{
	return ofnic_flow_set_rxnfc(netdev_priv(netdev), nfc);
}

/* ---- interrupt moderation ---------------------------------------------------- */

static int ofnic_get_coalesce(struct net_device *netdev,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec,
			      struct netlink_ext_ack *extack)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	ec->rx_coalesce_usecs = priv->itr.rx_usecs;
	ec->rx_max_coalesced_frames = priv->itr.rx_frames;
	ec->tx_coalesce_usecs = priv->itr.tx_usecs;
	ec->tx_max_coalesced_frames = priv->itr.tx_frames;
	ec->use_adaptive_rx_coalesce = priv->itr.adaptive_rx;
	return 0;
}

static int ofnic_set_coalesce(struct net_device *netdev,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec,
			      struct netlink_ext_ack *extack)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	unsigned int i;

	if (!(priv->features & OFNIC_F_ITR)) {
		NL_SET_ERR_MSG_MOD(extack, "the device has no interrupt moderation");
		return -EOPNOTSUPP;
	}
	if (ec->rx_coalesce_usecs > OFNIC_ITR_MAX ||
	    ec->tx_coalesce_usecs > OFNIC_ITR_MAX ||
	    ec->rx_max_coalesced_frames > OFNIC_ITR_MAX ||
	    ec->tx_max_coalesced_frames > OFNIC_ITR_MAX) {
		NL_SET_ERR_MSG_FMT_MOD(extack, "usecs and frames must be at most %u",
				       OFNIC_ITR_MAX);
		return -EINVAL;
	}
	priv->itr.rx_usecs = ec->rx_coalesce_usecs;
	priv->itr.rx_frames = ec->rx_max_coalesced_frames;
	priv->itr.tx_usecs = ec->tx_coalesce_usecs;
	priv->itr.tx_frames = ec->tx_max_coalesced_frames;
	WRITE_ONCE(priv->itr.adaptive_rx, ec->use_adaptive_rx_coalesce);
	if (!netif_running(netdev))
		return 0;
	for (i = 0; i < priv->num_qp; i++) {
		struct ofnic_qp *qp = &priv->qp[i];

		/*
		 * A DIM step already pending would overwrite these values; one
		 * a poll still running schedules sees adaptive_rx off and
		 * writes nothing (ofnic_dim_work).
		 */
		ofnic_dim_cancel(qp);
		ofnic_qp_set_itr(qp);
		if (priv->xdp_rings)
			ofnic_qp_set_itr(&priv->qp[priv->num_qp + i]);
	}
	return 0;
}

/* ---- statistics ---------------------------------------------------------- */

static const struct ofnic_hw_stat_desc ofnic_hw_stats[] = {
	{ "hw_rx_filtered",	OFNIC_STAT_RX_FILTERED },
	{ "hw_rx_errors",	OFNIC_STAT_RX_ERRORS },
	{ "hw_doorbell_errors",	OFNIC_STAT_DOORBELL_ERRORS },
	{ "hw_tx_csum",		OFNIC_STAT_TX_CSUM },
	{ "hw_tso_packets",	OFNIC_STAT_TSO_PKTS },
	{ "hw_tso_segments",	OFNIC_STAT_TSO_SEGS },
	{ "hw_tx_offload_errors", OFNIC_STAT_TX_OFFLOAD_ERRORS },
	{ "hw_rx_csum_good",	OFNIC_STAT_RX_CSUM_GOOD },
	{ "hw_rx_csum_bad",	OFNIC_STAT_RX_CSUM_BAD },
	{ "hw_lro_frames",	OFNIC_STAT_LRO_FRAMES },
	{ "hw_lro_segments",	OFNIC_STAT_LRO_SEGS },
	{ "hw_hds_frames",	OFNIC_STAT_HDS_FRAMES },
	{ "hw_tx_gso",		OFNIC_STAT_TX_GSO },
	{ "hw_rx_gso",		OFNIC_STAT_RX_GSO },
	{ "hw_rx_gso_split",	OFNIC_STAT_RX_GSO_SPLIT },
	{ "hw_vnet_hdr_errors",	OFNIC_STAT_VNET_HDR_ERRORS },
	{ "hw_rx_flow_drops",	OFNIC_STAT_RX_FLOW_DROPS },
};

/*
 * ethtool -S carries only what has no standard home
 * (Documentation/networking/statistics.rst): the interface totals are in
 * ndo_get_stats64 (the device's RX_NO_BUF as rx_missed_errors, TX_ERRORS
 * as tx_errors), the per-queue packets, bytes, checksums, HW-GRO/GSO,
 * stop/wake and allocation failures in qstats (ofnic_stat_ops), the MAC's
 * frame and octet counts in eth-mac, its oversize frames in rmon.
 */
static const char * const ofnic_drv_stats[] = {
	"reset_count", "admin_irqs", "hw_err_count", "hw_err_last",
};

static const char * const ofnic_qp_stats[] = {
	"tx%u_dropped", "tx%u_ring_errors",
	"rx%u_dropped", "rx%u_length_errors", "rx%u_ring_errors", "rx%u_no_buf",
	"rx%u_hds_headers", "qp%u_restarts",
	"rx%u_xdp_pass", "rx%u_xdp_drop", "rx%u_xdp_tx", "rx%u_xdp_tx_err",
	"rx%u_xdp_redirect", "rx%u_xdp_redirect_err", "rx%u_xdp_aborted",
	"xdp%u_xmit", "xdp%u_xmit_err", "xdp%u_tx_packets", "xdp%u_tx_bytes",
	"xdp%u_tx_errors",
};

/* The MAC's counters (IEEE 802.3 30.3.1.1), from the device's. */
static void ofnic_get_eth_mac_stats(struct net_device *netdev,
				    struct ethtool_eth_mac_stats *mac)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	mac->FramesTransmittedOK = ofnic_rd_stat(priv, OFNIC_STAT_TX_PKTS);
	mac->OctetsTransmittedOK = ofnic_rd_stat(priv, OFNIC_STAT_TX_BYTES);
	mac->FramesReceivedOK = ofnic_rd_stat(priv, OFNIC_STAT_RX_PKTS);
	mac->OctetsReceivedOK = ofnic_rd_stat(priv, OFNIC_STAT_RX_BYTES);
	mac->FrameTooLongErrors = ofnic_rd_stat(priv, OFNIC_STAT_RX_OVERSIZE);
}

/* The device counts no frame sizes: no histogram, only the oversize frames. */
static const struct ethtool_rmon_hist_range ofnic_rmon_ranges[] = {
	{}
};

static void ofnic_get_rmon_stats(struct net_device *netdev,
				 struct ethtool_rmon_stats *rmon,
				 const struct ethtool_rmon_hist_range **ranges)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	rmon->oversize_pkts = ofnic_rd_stat(priv, OFNIC_STAT_RX_OVERSIZE);
	*ranges = ofnic_rmon_ranges;
}

static int ofnic_get_sset_count(struct net_device *netdev, int sset)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return ARRAY_SIZE(ofnic_drv_stats) + ARRAY_SIZE(ofnic_hw_stats) +
	       priv->num_qp * ARRAY_SIZE(ofnic_qp_stats);
}

static void ofnic_get_strings(struct net_device *netdev, u32 sset, u8 *data)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	unsigned int i, q;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < ARRAY_SIZE(ofnic_drv_stats); i++)
		ethtool_puts(&data, ofnic_drv_stats[i]);
	for (i = 0; i < ARRAY_SIZE(ofnic_hw_stats); i++)
		ethtool_puts(&data, ofnic_hw_stats[i].name);
	for (q = 0; q < priv->num_qp; q++)
		for (i = 0; i < ARRAY_SIZE(ofnic_qp_stats); i++)
			ethtool_sprintf(&data, ofnic_qp_stats[i], q);
}

static void ofnic_get_ethtool_stats(struct net_device *netdev,
				    struct ethtool_stats *estats, u64 *data)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct ofnic_ring_stats tx, rx;
	unsigned int i, q;

	*data++ = priv->reset_count;
	*data++ = priv->admin_irqs;
	*data++ = ofnic_rd(priv, OFNIC_REG_ERR_COUNT);
	*data++ = ofnic_rd(priv, OFNIC_REG_ERR_LAST);
	for (i = 0; i < ARRAY_SIZE(ofnic_hw_stats); i++)
		*data++ = ofnic_rd_stat(priv, ofnic_hw_stats[i].reg);
	for (q = 0; q < priv->num_qp; q++) {
		struct ofnic_qp *qp = &priv->qp[q];
		void __iomem *regs = priv->hw + OFNIC_REG_QP(q);

		ofnic_ring_stats_read(&qp->tx, &tx);
		ofnic_ring_stats_read(&qp->rx, &rx);
		*data++ = tx.drops;
		*data++ = readl(regs + OFNIC_QP_TX + OFNIC_Q_ERRORS);
		*data++ = rx.drops;
		*data++ = rx.len_errors;
		*data++ = readl(regs + OFNIC_QP_RX + OFNIC_Q_ERRORS);
		*data++ = readl(regs + OFNIC_QP_RX + OFNIC_Q_DROPS);
		*data++ = rx.hds;
		*data++ = rx.restarts;
		*data++ = rx.xdp_pass;
		*data++ = rx.xdp_drop;
		*data++ = rx.xdp_tx;
		*data++ = rx.xdp_tx_err;
		*data++ = rx.xdp_redirect;
		*data++ = rx.xdp_redirect_err;
		*data++ = rx.xdp_aborted;
		/* the XDP TX ring while one exists (counted anew each time) */
		memset(&tx, 0, sizeof(tx));
		if (qp->xdp_ring)
			ofnic_ring_stats_read(qp->xdp_ring, &tx);
		*data++ = tx.xdp_xmit;
		*data++ = tx.xdp_xmit_err;
		*data++ = tx.packets;
		*data++ = tx.bytes;
		*data++ = tx.drops;
	}
}

static const struct ethtool_ops ofnic_ethtool_ops = {
	/* every RSS context has its own key, table and hash fields */
	.rxfh_per_ctx_key	= 1,
	.rxfh_per_ctx_fields	= 1,
	/* a rule's queue is added to its context's table entry */
	.cap_rss_rxnfc_adds	= 1,
	.rxfh_priv_size		= sizeof(struct ofnic_rss_ctx),
	.rxfh_max_num_contexts	= OFNIC_RSS_CTX_MAX,
	.supported_ring_params	= ETHTOOL_RING_USE_TCP_DATA_SPLIT,
	.supported_coalesce_params = ETHTOOL_COALESCE_USECS |
				     ETHTOOL_COALESCE_MAX_FRAMES |
				     ETHTOOL_COALESCE_USE_ADAPTIVE_RX,
	.get_drvinfo		= ofnic_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_ringparam		= ofnic_get_ringparam,
	.set_ringparam		= ofnic_set_ringparam,
	.get_channels		= ofnic_get_channels,
	.set_channels		= ofnic_set_channels,
	.get_rxfh_key_size	= ofnic_get_rxfh_key_size,
	.get_rxfh_indir_size	= ofnic_get_rxfh_indir_size,
	.get_rxfh		= ofnic_get_rxfh,
	.set_rxfh		= ofnic_set_rxfh,
	.get_rxnfc		= ofnic_get_rxnfc,
	.set_rxnfc		= ofnic_set_rxnfc,
	.get_rxfh_fields	= ofnic_get_rxfh_fields,
	.set_rxfh_fields	= ofnic_set_rxfh_fields,
	.create_rxfh_context	= ofnic_create_rxfh_context,
	.modify_rxfh_context	= ofnic_modify_rxfh_context,
	.remove_rxfh_context	= ofnic_remove_rxfh_context,
	.get_coalesce		= ofnic_get_coalesce,
	.set_coalesce		= ofnic_set_coalesce,
	.get_sset_count		= ofnic_get_sset_count,
	.get_strings		= ofnic_get_strings,
	.get_ethtool_stats	= ofnic_get_ethtool_stats,
	.get_eth_mac_stats	= ofnic_get_eth_mac_stats,
	.get_rmon_stats		= ofnic_get_rmon_stats,
};

void ofnic_set_ethtool_ops(struct net_device *netdev)
{
	netdev->ethtool_ops = &ofnic_ethtool_ops;
}
