// SPDX-License-Identifier: GPL-2.0
/*
 * ofnic ethtool: driver info, link, ring sizes, channels, statistics.
 */
#include <linux/ethtool.h>
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
	u32 old_tx = priv->tx_ring_size, old_rx = priv->rx_ring_size;
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
	if (ring->tx_pending == old_tx && ring->rx_pending == old_rx)
		return 0;
	if (!netif_running(netdev)) {
		priv->tx_ring_size = ring->tx_pending;
		priv->rx_ring_size = ring->rx_pending;
		return 0;
	}

	ofnic_stop(netdev);
	priv->tx_ring_size = ring->tx_pending;
	priv->rx_ring_size = ring->rx_pending;
	err = ofnic_open(netdev);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "cannot allocate the new rings, keeping the old size");
		priv->tx_ring_size = old_tx;
		priv->rx_ring_size = old_rx;
		if (ofnic_open(netdev))
			dev_close(netdev);
	}
	return err;
}

static void ofnic_get_channels(struct net_device *netdev,
			       struct ethtool_channels *ch)
{
	struct ofnic_priv *priv = netdev_priv(netdev);

	/* Receive uses queue pair 0 only until the device spreads traffic. */
	ch->max_combined = 1;
	ch->combined_count = priv->num_qp;
	ch->max_other = 1;
	ch->other_count = 1;	/* the admin vector */
}

/* ---- statistics ---------------------------------------------------------- */

static const struct ofnic_hw_stat_desc ofnic_hw_stats[] = {
	{ "hw_tx_packets",	OFNIC_STAT_TX_PKTS },
	{ "hw_tx_bytes",	OFNIC_STAT_TX_BYTES },
	{ "hw_rx_packets",	OFNIC_STAT_RX_PKTS },
	{ "hw_rx_bytes",	OFNIC_STAT_RX_BYTES },
	{ "hw_rx_no_buf",	OFNIC_STAT_RX_NO_BUF },
	{ "hw_rx_filtered",	OFNIC_STAT_RX_FILTERED },
	{ "hw_rx_oversize",	OFNIC_STAT_RX_OVERSIZE },
	{ "hw_tx_errors",	OFNIC_STAT_TX_ERRORS },
	{ "hw_rx_errors",	OFNIC_STAT_RX_ERRORS },
	{ "hw_doorbell_errors",	OFNIC_STAT_DOORBELL_ERRORS },
};

static const char * const ofnic_drv_stats[] = {
	"tx_packets", "tx_bytes", "tx_dropped",
	"rx_packets", "rx_bytes", "rx_dropped",
	"reset_count", "admin_irqs", "hw_err_count", "hw_err_last",
};

static const char * const ofnic_qp_stats[] = {
	"tx%u_packets", "tx%u_bytes", "tx%u_dropped", "tx%u_stop", "tx%u_wake",
	"tx%u_ring_errors",
	"rx%u_packets", "rx%u_bytes", "rx%u_dropped", "rx%u_alloc_fail",
	"rx%u_ring_errors", "rx%u_no_buf", "qp%u_restarts",
};

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
	struct rtnl_link_stats64 s64 = {};
	struct ofnic_ring_stats tx, rx;
	unsigned int i, q;

	netdev->netdev_ops->ndo_get_stats64(netdev, &s64);
	*data++ = s64.tx_packets;
	*data++ = s64.tx_bytes;
	*data++ = s64.tx_dropped;
	*data++ = s64.rx_packets;
	*data++ = s64.rx_bytes;
	*data++ = s64.rx_dropped;
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
		*data++ = tx.packets;
		*data++ = tx.bytes;
		*data++ = tx.drops;
		*data++ = tx.stop;
		*data++ = tx.wake;
		*data++ = readl(regs + OFNIC_QP_TX + OFNIC_Q_ERRORS);
		*data++ = rx.packets;
		*data++ = rx.bytes;
		*data++ = rx.drops;
		*data++ = rx.alloc_fail;
		*data++ = readl(regs + OFNIC_QP_RX + OFNIC_Q_ERRORS);
		*data++ = readl(regs + OFNIC_QP_RX + OFNIC_Q_DROPS);
		*data++ = rx.restarts;
	}
}

static const struct ethtool_ops ofnic_ethtool_ops = {
	.get_drvinfo		= ofnic_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_ringparam		= ofnic_get_ringparam,
	.set_ringparam		= ofnic_set_ringparam,
	.get_channels		= ofnic_get_channels,
	.get_sset_count		= ofnic_get_sset_count,
	.get_strings		= ofnic_get_strings,
	.get_ethtool_stats	= ofnic_get_ethtool_stats,
};

void ofnic_set_ethtool_ops(struct net_device *netdev)
{
	netdev->ethtool_ops = &ofnic_ethtool_ops;
}
