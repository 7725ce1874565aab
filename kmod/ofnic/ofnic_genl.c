// SPDX-License-Identifier: GPL-2.0
/*
 * ofnic generic netlink family "ofnic": the device and per-queue counters no
 * standard family carries, and the device's LRO tuning. The family is
 * described by include/uapi/ofnic.yaml (the uAPI header is generated from
 * it); docs/netlink.md explains it. Standard state stays in the ethtool and
 * netdev families.
 */
#include <linux/bitfield.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include <uapi/linux/ofnic.h>

#include "ofnic.h"

/* The device's counters become attributes 1..OFNIC_NUM_STATS of hw-stats. */
static_assert(OFNIC_A_HW_STATS_MAX == OFNIC_NUM_STATS);
/* hw-features mirrors the FEATURES register bit for bit. */
static_assert(OFNIC_HW_FEATURES_TX_CSUM == OFNIC_F_TX_CSUM);
static_assert(OFNIC_HW_FEATURES_ITR == OFNIC_F_ITR);
static_assert(OFNIC_HW_FEATURES_FLOW == OFNIC_F_FLOW);
static_assert(OFNIC_ERR_CODE_OFFLOAD == OFNIC_ERR_OFFLOAD);

#define OFNIC_LRO_SEGS_MIN	2
#define OFNIC_LRO_SEGS_MAX	64
#define OFNIC_LRO_TIMEOUT_MIN	1
#define OFNIC_LRO_TIMEOUT_MAX	10000

struct ofnic_genl_dump_ctx {
	unsigned long ifindex;	/* next device of the dump */
	u32 queue;		/* next queue pair of that device */
};

static const struct nla_policy ofnic_dev_get_policy[OFNIC_A_DEV_IFINDEX + 1] = {
	[OFNIC_A_DEV_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
};

static const struct nla_policy ofnic_dev_set_policy[OFNIC_A_DEV_LRO_TIMEOUT + 1] = {
	[OFNIC_A_DEV_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[OFNIC_A_DEV_LRO_MAX_SEGS] = NLA_POLICY_RANGE(NLA_U32, OFNIC_LRO_SEGS_MIN,
						      OFNIC_LRO_SEGS_MAX),
	[OFNIC_A_DEV_LRO_TIMEOUT] = NLA_POLICY_RANGE(NLA_U32, OFNIC_LRO_TIMEOUT_MIN,
						     OFNIC_LRO_TIMEOUT_MAX),
};

static const struct nla_policy ofnic_queue_get_policy[OFNIC_A_QUEUE_STATS_QUEUE_ID + 1] = {
	[OFNIC_A_QUEUE_STATS_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[OFNIC_A_QUEUE_STATS_QUEUE_ID] = NLA_POLICY_MAX(NLA_U32, OFNIC_MAX_QP - 1),
};

static const struct nla_policy ofnic_queue_dump_policy[OFNIC_A_QUEUE_STATS_IFINDEX + 1] = {
	[OFNIC_A_QUEUE_STATS_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
};

static struct ofnic_genl_dump_ctx *ofnic_dump_ctx(struct netlink_callback *cb)
{
	NL_ASSERT_DUMP_CTX_FITS(struct ofnic_genl_dump_ctx);
	return (struct ofnic_genl_dump_ctx *)cb->ctx;
}

/* The driver's private data if @netdev is an ofnic port, else NULL. */
static struct ofnic_priv *ofnic_genl_priv(struct net_device *netdev)
{
	if (!netdev->netdev_ops || netdev->netdev_ops->ndo_open != ofnic_open)
		return NULL;
	return netdev_priv(netdev);
}

/* The ofnic port named by attribute @attr of the request. Under RTNL. */
static struct ofnic_priv *ofnic_genl_lookup(struct genl_info *info, int attr)
{
	struct nlattr *a = info->attrs[attr];
	struct net_device *netdev;
	struct ofnic_priv *priv;

	netdev = __dev_get_by_index(genl_info_net(info), nla_get_u32(a));
	if (!netdev) {
		NL_SET_ERR_MSG_ATTR(info->extack, a, "no network device with this ifindex");
		return ERR_PTR(-ENODEV);
	}
	priv = ofnic_genl_priv(netdev);
	if (!priv) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack, a, "%s is not an ofnic device",
					netdev->name);
		return ERR_PTR(-EOPNOTSUPP);
	}
	return priv;
}

static int ofnic_put_hw_stats(struct sk_buff *skb, struct ofnic_priv *priv)
{
	struct nlattr *nest;
	unsigned int i;

	nest = nla_nest_start(skb, OFNIC_A_DEV_HW_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < OFNIC_NUM_STATS; i++) {
		if (nla_put_uint(skb, i + 1, ofnic_rd_stat(priv, i))) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int ofnic_dev_fill(struct sk_buff *skb, struct ofnic_priv *priv,
			  const struct genl_info *info)
{
	struct net_device *netdev = priv->netdev;
	u32 err_last = ofnic_rd(priv, OFNIC_REG_ERR_LAST);
	void *hdr;

	hdr = genlmsg_iput(skb, info);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, OFNIC_A_DEV_IFINDEX, netdev->ifindex) ||
	    nla_put_string(skb, OFNIC_A_DEV_IFNAME, netdev->name) ||
	    nla_put_string(skb, OFNIC_A_DEV_BUS_ADDR, pci_name(priv->pdev)) ||
	    nla_put_u32(skb, OFNIC_A_DEV_HW_VERSION,
			ofnic_rd(priv, OFNIC_REG_VERSION)) ||
	    nla_put_u32(skb, OFNIC_A_DEV_HW_FEATURES, priv->features) ||
	    nla_put_u32(skb, OFNIC_A_DEV_MAX_QUEUES, priv->max_qp) ||
	    nla_put_u32(skb, OFNIC_A_DEV_QUEUES, priv->num_qp) ||
	    nla_put_u32(skb, OFNIC_A_DEV_LRO_MAX_LEN,
			ofnic_rd(priv, OFNIC_REG_LRO_MAX_LEN)) ||
	    nla_put_u32(skb, OFNIC_A_DEV_LRO_MAX_SEGS,
			ofnic_rd(priv, OFNIC_REG_LRO_MAX_SEGS)) ||
	    nla_put_u32(skb, OFNIC_A_DEV_LRO_TIMEOUT,
			ofnic_rd(priv, OFNIC_REG_LRO_TIMEOUT)) ||
	    nla_put_u32(skb, OFNIC_A_DEV_ERR_COUNT,
			ofnic_rd(priv, OFNIC_REG_ERR_COUNT)) ||
	    nla_put_u32(skb, OFNIC_A_DEV_ERR_LAST_CODE, err_last & 0xff) ||
	    nla_put_u32(skb, OFNIC_A_DEV_ERR_LAST_QUEUE, (err_last >> 16) & 0xff) ||
	    nla_put_u32(skb, OFNIC_A_DEV_ERR_LAST_DIR, (err_last >> 24) & 0xff) ||
	    nla_put_uint(skb, OFNIC_A_DEV_RESET_COUNT, priv->reset_count) ||
	    nla_put_uint(skb, OFNIC_A_DEV_ADMIN_IRQS, priv->admin_irqs) ||
	    ofnic_put_hw_stats(skb, priv)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int ofnic_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ofnic_priv *priv;
	struct sk_buff *rsp;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, OFNIC_A_DEV_IFINDEX))
		return -EINVAL;
	rsp = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;
	rtnl_lock();
	priv = ofnic_genl_lookup(info, OFNIC_A_DEV_IFINDEX);
	err = IS_ERR(priv) ? PTR_ERR(priv) : ofnic_dev_fill(rsp, priv, info);
	rtnl_unlock();
	if (err) {
		nlmsg_free(rsp);
		return err;
	}
	return genlmsg_reply(rsp, info);
}

static int ofnic_nl_dev_get_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct ofnic_genl_dump_ctx *ctx = ofnic_dump_ctx(cb);
	struct net *net = sock_net(skb->sk);
	struct net_device *netdev;
	struct ofnic_priv *priv;
	int err = 0;

	rtnl_lock();
	for_each_netdev_dump(net, netdev, ctx->ifindex) {
		priv = ofnic_genl_priv(netdev);
		if (!priv)
			continue;
		err = ofnic_dev_fill(skb, priv, genl_info_dump(cb));
		if (err)
			break;
	}
	rtnl_unlock();
	return err;
}

static int ofnic_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *segs = info->attrs[OFNIC_A_DEV_LRO_MAX_SEGS];
	struct nlattr *timeout = info->attrs[OFNIC_A_DEV_LRO_TIMEOUT];
	struct ofnic_priv *priv;
	int err = 0;

	if (GENL_REQ_ATTR_CHECK(info, OFNIC_A_DEV_IFINDEX))
		return -EINVAL;
	if (!segs && !timeout) {
		GENL_SET_ERR_MSG(info, "nothing to set: give lro-max-segs or lro-timeout");
		return -EINVAL;
	}
	rtnl_lock();
	priv = ofnic_genl_lookup(info, OFNIC_A_DEV_IFINDEX);
	if (IS_ERR(priv)) {
		err = PTR_ERR(priv);
	} else if (!(priv->features & OFNIC_F_LRO)) {
		GENL_SET_ERR_MSG(info, "the device has no LRO");
		err = -EOPNOTSUPP;
	} else {
		/* The policy checked both ranges: apply both or neither. */
		if (segs)
			ofnic_wr(priv, OFNIC_REG_LRO_MAX_SEGS, nla_get_u32(segs));
		if (timeout)
			ofnic_wr(priv, OFNIC_REG_LRO_TIMEOUT, nla_get_u32(timeout));
	}
	rtnl_unlock();
	return err;
}

/* One counter of a ring's stats: (attribute, offset in ofnic_ring_stats). */
struct ofnic_genl_ctr {
	u16 attr;
	u16 off;
};

#define OFNIC_CTR(a, f) { OFNIC_A_QUEUE_STATS_##a, offsetof(struct ofnic_ring_stats, f) }

static const struct ofnic_genl_ctr ofnic_tx_ctrs[] = {
	OFNIC_CTR(TX_PACKETS, packets), OFNIC_CTR(TX_BYTES, bytes),
	OFNIC_CTR(TX_DROPS, drops), OFNIC_CTR(TX_STOP, stop),
	OFNIC_CTR(TX_WAKE, wake), OFNIC_CTR(TX_CSUM, csum),
	OFNIC_CTR(TX_TSO_PACKETS, gso_packets), OFNIC_CTR(TX_TSO_BYTES, gso_bytes),
	OFNIC_CTR(TX_TSO_SEGS, gso_wire_packets),
};

static const struct ofnic_genl_ctr ofnic_rx_ctrs[] = {
	OFNIC_CTR(RX_PACKETS, packets), OFNIC_CTR(RX_BYTES, bytes),
	OFNIC_CTR(RX_DROPS, drops), OFNIC_CTR(RX_ALLOC_FAIL, alloc_fail),
	OFNIC_CTR(RX_CSUM_GOOD, csum), OFNIC_CTR(RX_CSUM_BAD, csum_bad),
	OFNIC_CTR(RX_CSUM_NONE, csum_none),
	OFNIC_CTR(RX_LRO_PACKETS, gso_packets), OFNIC_CTR(RX_LRO_BYTES, gso_bytes),
	OFNIC_CTR(RX_LRO_SEGS, gso_wire_packets),
	OFNIC_CTR(RX_HDS_PACKETS, hds), OFNIC_CTR(RESTARTS, restarts),
	OFNIC_CTR(RX_XDP_PASS, xdp_pass), OFNIC_CTR(RX_XDP_DROP, xdp_drop),
	OFNIC_CTR(RX_XDP_TX, xdp_tx), OFNIC_CTR(RX_XDP_TX_ERR, xdp_tx_err),
	OFNIC_CTR(RX_XDP_REDIRECT, xdp_redirect),
	OFNIC_CTR(RX_XDP_REDIRECT_ERR, xdp_redirect_err),
	OFNIC_CTR(RX_XDP_ABORTED, xdp_aborted),
};

/* The XDP TX ring a queue pair uses while a program is attached. */
static const struct ofnic_genl_ctr ofnic_xdp_ctrs[] = {
	OFNIC_CTR(XDP_TX_PACKETS, packets), OFNIC_CTR(XDP_TX_BYTES, bytes),
	OFNIC_CTR(XDP_TX_DROPS, drops), OFNIC_CTR(XDP_XMIT, xdp_xmit),
	OFNIC_CTR(XDP_XMIT_ERR, xdp_xmit_err),
};

static int ofnic_put_ctrs(struct sk_buff *skb, struct ofnic_ring *ring,
			  const struct ofnic_genl_ctr *c, unsigned int n)
{
	struct ofnic_ring_stats s;
	unsigned int i;

	ofnic_ring_stats_read(ring, &s);
	for (i = 0; i < n; i++)
		if (nla_put_uint(skb, c[i].attr, *(u64 *)((u8 *)&s + c[i].off)))
			return -EMSGSIZE;
	return 0;
}

/* The error that halts a ring now, from its Q_STATUS register. */
static u32 ofnic_ring_error(void __iomem *ring_regs)
{
	u32 st = readl(ring_regs + OFNIC_Q_STATUS);

	return st & OFNIC_QS_ERROR ? FIELD_GET(OFNIC_QS_ERR_MASK, st) : 0;
}

static int ofnic_queue_fill(struct sk_buff *skb, struct ofnic_priv *priv,
			    u32 q, const struct genl_info *info)
{
	struct ofnic_qp *qp = &priv->qp[q];
	void __iomem *txr = qp->regs + OFNIC_QP_TX;
	void __iomem *rxr = qp->regs + OFNIC_QP_RX;
	void *hdr;

	hdr = genlmsg_iput(skb, info);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, OFNIC_A_QUEUE_STATS_IFINDEX, priv->netdev->ifindex) ||
	    nla_put_u32(skb, OFNIC_A_QUEUE_STATS_QUEUE_ID, q) ||
	    ofnic_put_ctrs(skb, &qp->tx, ofnic_tx_ctrs, ARRAY_SIZE(ofnic_tx_ctrs)) ||
	    nla_put_uint(skb, OFNIC_A_QUEUE_STATS_TX_RING_ERRORS,
			 readl(txr + OFNIC_Q_ERRORS)) ||
	    nla_put_u32(skb, OFNIC_A_QUEUE_STATS_TX_RING_ERROR, ofnic_ring_error(txr)) ||
	    ofnic_put_ctrs(skb, &qp->rx, ofnic_rx_ctrs, ARRAY_SIZE(ofnic_rx_ctrs)) ||
	    nla_put_uint(skb, OFNIC_A_QUEUE_STATS_RX_NO_BUF,
			 readl(rxr + OFNIC_Q_DROPS)) ||
	    nla_put_uint(skb, OFNIC_A_QUEUE_STATS_RX_RING_ERRORS,
			 readl(rxr + OFNIC_Q_ERRORS)) ||
	    nla_put_u32(skb, OFNIC_A_QUEUE_STATS_RX_RING_ERROR, ofnic_ring_error(rxr)) ||
	    (qp->xdp_ring &&
	     ofnic_put_ctrs(skb, qp->xdp_ring, ofnic_xdp_ctrs,
			    ARRAY_SIZE(ofnic_xdp_ctrs)))) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int ofnic_nl_queue_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ofnic_priv *priv;
	struct sk_buff *rsp;
	u32 q;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, OFNIC_A_QUEUE_STATS_IFINDEX) ||
	    GENL_REQ_ATTR_CHECK(info, OFNIC_A_QUEUE_STATS_QUEUE_ID))
		return -EINVAL;
	q = nla_get_u32(info->attrs[OFNIC_A_QUEUE_STATS_QUEUE_ID]);
	rsp = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;
	rtnl_lock();
	priv = ofnic_genl_lookup(info, OFNIC_A_QUEUE_STATS_IFINDEX);
	if (IS_ERR(priv)) {
		err = PTR_ERR(priv);
	} else if (q >= priv->num_qp) {
		NL_SET_ERR_MSG_ATTR_FMT(info->extack,
					info->attrs[OFNIC_A_QUEUE_STATS_QUEUE_ID],
					"queue %u is not in use (%u queue pairs)",
					q, priv->num_qp);
		err = -EINVAL;
	} else {
		err = ofnic_queue_fill(rsp, priv, q, info);
	}
	rtnl_unlock();
	if (err) {
		nlmsg_free(rsp);
		return err;
	}
	return genlmsg_reply(rsp, info);
}

/* Queue pairs of one device from ctx->queue on; ctx->queue = 0 when done. */
static int ofnic_queue_dump_dev(struct sk_buff *skb, struct netlink_callback *cb,
				struct ofnic_priv *priv)
{
	struct ofnic_genl_dump_ctx *ctx = ofnic_dump_ctx(cb);
	int err;

	for (; ctx->queue < priv->num_qp; ctx->queue++) {
		err = ofnic_queue_fill(skb, priv, ctx->queue, genl_info_dump(cb));
		if (err)
			return err;
	}
	ctx->queue = 0;
	return 0;
}

static int ofnic_nl_queue_get_dumpit(struct sk_buff *skb,
				     struct netlink_callback *cb)
{
	const struct genl_info *info = genl_info_dump(cb);
	struct ofnic_genl_dump_ctx *ctx = ofnic_dump_ctx(cb);
	struct nlattr *ifa = info->attrs[OFNIC_A_QUEUE_STATS_IFINDEX];
	struct net *net = sock_net(skb->sk);
	struct net_device *netdev;
	struct ofnic_priv *priv;
	int err = 0;

	rtnl_lock();
	if (ifa) {
		netdev = __dev_get_by_index(net, nla_get_u32(ifa));
		priv = netdev ? ofnic_genl_priv(netdev) : NULL;
		if (!netdev) {
			NL_SET_ERR_MSG_ATTR(cb->extack, ifa, "no network device with this ifindex");
			err = -ENODEV;
		} else if (!priv) {
			NL_SET_ERR_MSG_ATTR(cb->extack, ifa, "not an ofnic device");
			err = -EOPNOTSUPP;
		} else {
			err = ofnic_queue_dump_dev(skb, cb, priv);
		}
	} else {
		for_each_netdev_dump(net, netdev, ctx->ifindex) {
			priv = ofnic_genl_priv(netdev);
			if (!priv)
				continue;
			err = ofnic_queue_dump_dev(skb, cb, priv);
			if (err)
				break;
		}
	}
	rtnl_unlock();
	return err;
}

static const struct genl_split_ops ofnic_nl_ops[] = {
	{
		.cmd		= OFNIC_CMD_DEV_GET,
		.doit		= ofnic_nl_dev_get_doit,
		.policy		= ofnic_dev_get_policy,
		.maxattr	= OFNIC_A_DEV_IFINDEX,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= OFNIC_CMD_DEV_GET,
		.dumpit		= ofnic_nl_dev_get_dumpit,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= OFNIC_CMD_DEV_SET,
		.doit		= ofnic_nl_dev_set_doit,
		.policy		= ofnic_dev_set_policy,
		.maxattr	= OFNIC_A_DEV_LRO_TIMEOUT,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= OFNIC_CMD_QUEUE_STATS_GET,
		.doit		= ofnic_nl_queue_get_doit,
		.policy		= ofnic_queue_get_policy,
		.maxattr	= OFNIC_A_QUEUE_STATS_QUEUE_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= OFNIC_CMD_QUEUE_STATS_GET,
		.dumpit		= ofnic_nl_queue_get_dumpit,
		.policy		= ofnic_queue_dump_policy,
		.maxattr	= OFNIC_A_QUEUE_STATS_IFINDEX,
		.flags		= GENL_CMD_CAP_DUMP,
	},
};

static struct genl_family ofnic_nl_family = {
	.name		= OFNIC_FAMILY_NAME,
	.version	= OFNIC_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= ofnic_nl_ops,
	.n_split_ops	= ARRAY_SIZE(ofnic_nl_ops),
	.resv_start_op	= OFNIC_CMD_QUEUE_STATS_GET + 1,
};

int ofnic_genl_init(void)
{
	return genl_register_family(&ofnic_nl_family);
}

void ofnic_genl_exit(void)
{
	genl_unregister_family(&ofnic_nl_family);
}
