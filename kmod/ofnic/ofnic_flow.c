// SPDX-License-Identifier: GPL-2.0-only
/*
 * ofnic flow steering: the device's flow table, filled with ethtool ntuple
 * rules (the lower half, by location) and aRFS entries (the upper half), and
 * its additional RSS contexts. docs/hw-spec.md, §13 (RSS contexts and the
 * flow table).
 */
#include <linux/bitfield.h>
#include <linux/cpu_rmap.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/unaligned.h>
#include <net/flow_dissector.h>

#include "ofnic.h"

/* One flow table entry as the device takes it. */
struct ofnic_flow_hw {
	u32 ctrl;
	u32 arg;
	u32 src[4], src_mask[4];
	u32 dst[4], dst_mask[4];
	u32 ports, port_mask;
};

static void ofnic_flow_hw_write(struct ofnic_priv *priv, unsigned int i,
				const struct ofnic_flow_hw *e)
{
	u32 base = OFNIC_REG_FLOW(i);
	unsigned int w;

	/* The device reads an entry with every frame: invalid while written. */
	ofnic_wr(priv, base + OFNIC_FLOW_CTRL, 0);
	if (!e)
		return;
	ofnic_wr(priv, base + OFNIC_FLOW_ARG, e->arg);
	for (w = 0; w < 4; w++) {
		ofnic_wr(priv, base + OFNIC_FLOW_SRC + 4 * w, e->src[w]);
		ofnic_wr(priv, base + OFNIC_FLOW_SRC_MASK + 4 * w, e->src_mask[w]);
		ofnic_wr(priv, base + OFNIC_FLOW_DST + 4 * w, e->dst[w]);
		ofnic_wr(priv, base + OFNIC_FLOW_DST_MASK + 4 * w, e->dst_mask[w]);
	}
	ofnic_wr(priv, base + OFNIC_FLOW_PORTS, e->ports);
	ofnic_wr(priv, base + OFNIC_FLOW_PORT_MASK, e->port_mask);
	ofnic_wr(priv, base + OFNIC_FLOW_CTRL, e->ctrl | OFNIC_FLC_VALID);
}

u64 ofnic_flow_hits(struct ofnic_priv *priv, unsigned int i)
{
	return ofnic_rd64(priv, OFNIC_REG_FLOW(i) + OFNIC_FLOW_HITS_LO);
}

/* An address in the table's word layout: network order, byte 0 in 7:0. */
static void ofnic_flow_addr(u32 *w, const __be32 *a, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		w[i] = get_unaligned_le32(&a[i]);
}

static u32 ofnic_flow_ports(__be16 src, __be16 dst)
{
	return ntohs(src) | (u32)ntohs(dst) << 16;
}

static bool ofnic_flow_ctx_exists(struct ofnic_priv *priv, u32 id)
{
	return !id || (id < priv->rss_contexts &&
		       xa_load(&priv->netdev->ethtool->rss_ctx, id));
}

/* The largest queue an indirection table names. */
static u32 ofnic_indir_max(const u32 *indir, u32 n)
{
	u32 i, top = 0;

	for (i = 0; i < n; i++)
		top = max(top, indir[i]);
	return top;
}

/* The largest queue context id's table names now. */
static u32 ofnic_flow_ctx_max_queue(struct ofnic_priv *priv, u32 id)
{
	struct ethtool_rxfh_context *ctx;

	if (!id)
		return ofnic_indir_max(priv->rss_indir, OFNIC_RSS_RETA_SIZE);
	ctx = xa_load(&priv->netdev->ethtool->rss_ctx, id);
	return ofnic_indir_max(ethtool_rxfh_context_indir(ctx), ctx->indir_size);
}

/* A rule's queue offset plus its context's largest entry stays below n. */
static bool ofnic_flow_fits(u32 q, u32 top, u32 n)
{
	return q < n && top < n - q;
}

#define ofnic_flow_refuse(priv, fmt, ...)				\
	({								\
		if (net_ratelimit())					\
			netdev_info((priv)->netdev, "ntuple rule: " fmt "\n", \
				    ##__VA_ARGS__);			\
	})

/*
 * An ethtool rule as a table entry. Only what the device matches may be
 * asked for: a mask on any other field is refused, with the reason in the
 * kernel log (ETHTOOL_SRXCLSRLINS has no extack).
 */
static int ofnic_flow_from_spec(struct ofnic_priv *priv,
				const struct ethtool_rxnfc *nfc,
				struct ofnic_flow_hw *e)
{
	const struct ethtool_rx_flow_spec *fs = &nfc->fs;
	u32 type = fs->flow_type & ~(FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS);
	u32 q, proto = 0, pmask = 0;

	memset(e, 0, sizeof(*e));
	if ((fs->flow_type & (FLOW_EXT | FLOW_MAC_EXT)) &&
	    memchr_inv(&fs->m_ext, 0, sizeof(fs->m_ext))) {
		ofnic_flow_refuse(priv, "VLAN, MAC and user-def fields cannot be matched");
		return -EOPNOTSUPP;
	}
	switch (type) {
	case TCP_V4_FLOW:
	case UDP_V4_FLOW: {
		const struct ethtool_tcpip4_spec *h = &fs->h_u.tcp_ip4_spec;
		const struct ethtool_tcpip4_spec *m = &fs->m_u.tcp_ip4_spec;

		if (m->tos) {
			ofnic_flow_refuse(priv, "tos cannot be matched");
			return -EOPNOTSUPP;
		}
		e->ctrl = (type == TCP_V4_FLOW ? OFNIC_FLT_TCP4 : OFNIC_FLT_UDP4)
			  << OFNIC_FLC_TYPE_SHIFT;
		ofnic_flow_addr(e->src, &h->ip4src, 1);
		ofnic_flow_addr(e->src_mask, &m->ip4src, 1);
		ofnic_flow_addr(e->dst, &h->ip4dst, 1);
		ofnic_flow_addr(e->dst_mask, &m->ip4dst, 1);
		e->ports = ofnic_flow_ports(h->psrc, h->pdst);
		e->port_mask = ofnic_flow_ports(m->psrc, m->pdst);
		break;
	}
	case IPV4_USER_FLOW: {
		const struct ethtool_usrip4_spec *h = &fs->h_u.usr_ip4_spec;
		const struct ethtool_usrip4_spec *m = &fs->m_u.usr_ip4_spec;

		if (m->tos || m->l4_4_bytes || m->ip_ver ||
		    h->ip_ver != ETH_RX_NFC_IP4) {
			ofnic_flow_refuse(priv, "tos, l4data, ip_ver cannot be matched");
			return -EOPNOTSUPP;
		}
		e->ctrl = OFNIC_FLT_IP4 << OFNIC_FLC_TYPE_SHIFT;
		ofnic_flow_addr(e->src, &h->ip4src, 1);
		ofnic_flow_addr(e->src_mask, &m->ip4src, 1);
		ofnic_flow_addr(e->dst, &h->ip4dst, 1);
		ofnic_flow_addr(e->dst_mask, &m->ip4dst, 1);
		proto = h->proto;
		pmask = m->proto;
		break;
	}
	case TCP_V6_FLOW:
	case UDP_V6_FLOW: {
		const struct ethtool_tcpip6_spec *h = &fs->h_u.tcp_ip6_spec;
		const struct ethtool_tcpip6_spec *m = &fs->m_u.tcp_ip6_spec;

		if (m->tclass) {
			ofnic_flow_refuse(priv, "tclass cannot be matched");
			return -EOPNOTSUPP;
		}
		e->ctrl = (type == TCP_V6_FLOW ? OFNIC_FLT_TCP6 : OFNIC_FLT_UDP6)
			  << OFNIC_FLC_TYPE_SHIFT;
		ofnic_flow_addr(e->src, h->ip6src, 4);
		ofnic_flow_addr(e->src_mask, m->ip6src, 4);
		ofnic_flow_addr(e->dst, h->ip6dst, 4);
		ofnic_flow_addr(e->dst_mask, m->ip6dst, 4);
		e->ports = ofnic_flow_ports(h->psrc, h->pdst);
		e->port_mask = ofnic_flow_ports(m->psrc, m->pdst);
		break;
	}
	case IPV6_USER_FLOW: {
		const struct ethtool_usrip6_spec *h = &fs->h_u.usr_ip6_spec;
		const struct ethtool_usrip6_spec *m = &fs->m_u.usr_ip6_spec;

		if (m->tclass || m->l4_4_bytes) {
			ofnic_flow_refuse(priv, "tclass and l4data cannot be matched");
			return -EOPNOTSUPP;
		}
		e->ctrl = OFNIC_FLT_IP6 << OFNIC_FLC_TYPE_SHIFT;
		ofnic_flow_addr(e->src, h->ip6src, 4);
		ofnic_flow_addr(e->src_mask, m->ip6src, 4);
		ofnic_flow_addr(e->dst, h->ip6dst, 4);
		ofnic_flow_addr(e->dst_mask, m->ip6dst, 4);
		proto = h->l4_proto;
		pmask = m->l4_proto;
		break;
	}
	default:
		ofnic_flow_refuse(priv, "flow type %#x: only tcp4, udp4, ip4, tcp6, udp6 and ip6",
				  type);
		return -EOPNOTSUPP;
	}
	e->ctrl |= proto << OFNIC_FLC_PROTO_SHIFT |
		   pmask << OFNIC_FLC_PROTO_MASK_SHIFT;

	if (fs->ring_cookie == RX_CLS_FLOW_DISC) {
		if (fs->flow_type & FLOW_RSS) {
			ofnic_flow_refuse(priv, "a dropping rule takes no context");
			return -EINVAL;
		}
		e->ctrl |= OFNIC_FLA_DROP << OFNIC_FLC_ACTION_SHIFT;
		return 0;
	}
	/* the cookie's bits above the VF byte mean nothing yet */
	if (fs->ring_cookie == RX_CLS_FLOW_WAKE ||
	    ethtool_get_flow_spec_ring_vf(fs->ring_cookie) ||
	    fs->ring_cookie >> 40) {
		ofnic_flow_refuse(priv, "the action must be a queue, a context or drop");
		return -EOPNOTSUPP;
	}
	q = ethtool_get_flow_spec_ring(fs->ring_cookie);
	if (!(fs->flow_type & FLOW_RSS)) {
		if (q >= priv->num_qp) {
			ofnic_flow_refuse(priv, "queue %u, the device has %u", q,
					  priv->num_qp);
			return -EINVAL;
		}
		e->arg = FIELD_PREP(OFNIC_FLOW_ARG_QUEUE_MASK, q);
		return 0;
	}
	if (!ofnic_flow_ctx_exists(priv, nfc->rss_context)) {
		ofnic_flow_refuse(priv, "no RSS context %u", nfc->rss_context);
		return -ENOENT;
	}
	if (!ofnic_flow_fits(q, ofnic_flow_ctx_max_queue(priv, nfc->rss_context),
			     priv->num_qp)) {
		ofnic_flow_refuse(priv, "queue offset %u takes context %u past queue %u",
				  q, nfc->rss_context, priv->num_qp - 1);
		return -EINVAL;
	}
	e->ctrl |= OFNIC_FLA_CONTEXT << OFNIC_FLC_ACTION_SHIFT;
	e->arg = FIELD_PREP(OFNIC_FLOW_ARG_QUEUE_MASK, q) |
		 FIELD_PREP(OFNIC_FLOW_ARG_CTX_MASK, nfc->rss_context);
	return 0;
}

static int ofnic_flow_ins(struct ofnic_priv *priv, struct ethtool_rxnfc *nfc)
{
	struct ethtool_rx_flow_spec *fs = &nfc->fs;
	struct ofnic_flow_hw e;
	u32 loc = fs->location;
	int err;

	if (!(priv->netdev->features & NETIF_F_NTUPLE)) {
		ofnic_flow_refuse(priv, "ntuple filters are off (ethtool -K ntuple on)");
		return -EOPNOTSUPP;
	}
	/* the lowest free entry comes first in the match order, the highest last */
	if (loc & RX_CLS_LOC_SPECIAL) {
		switch (loc) {
		case RX_CLS_LOC_ANY:
		case RX_CLS_LOC_FIRST:
			loc = find_first_zero_bit(priv->ntuple_used, priv->flow_user);
			break;
		case RX_CLS_LOC_LAST:
			for (loc = priv->flow_user; loc--; )
				if (!test_bit(loc, priv->ntuple_used))
					break;
			break;
		default:
			return -EINVAL;
		}
		if (loc >= priv->flow_user) {
			ofnic_flow_refuse(priv, "the table's %u rule entries are in use",
					  priv->flow_user);
			return -ENOSPC;
		}
	} else if (loc >= priv->flow_user) {
		ofnic_flow_refuse(priv, "location %u, the table has %u", loc,
				  priv->flow_user);
		return -EINVAL;
	}
	err = ofnic_flow_from_spec(priv, nfc, &e);
	if (err)
		return err;
	fs->location = loc;
	priv->ntuple[loc].fs = *fs;
	priv->ntuple[loc].rss_context = fs->flow_type & FLOW_RSS ?
					nfc->rss_context : 0;
	set_bit(loc, priv->ntuple_used);
	ofnic_flow_hw_write(priv, loc, &e);
	return 0;
}

static int ofnic_flow_del(struct ofnic_priv *priv, u32 loc)
{
	if (loc >= priv->flow_user || !test_bit(loc, priv->ntuple_used))
		return -ENOENT;
	ofnic_flow_hw_write(priv, loc, NULL);
	clear_bit(loc, priv->ntuple_used);
	return 0;
}

int ofnic_flow_get_rxnfc(struct ofnic_priv *priv, struct ethtool_rxnfc *nfc,
			 u32 *rule_locs)
{
	u32 loc, n = 0;

	if (!(priv->features & OFNIC_F_FLOW))
		return -EOPNOTSUPP;
	switch (nfc->cmd) {
	case ETHTOOL_GRXCLSRLCNT:
		nfc->rule_cnt = bitmap_weight(priv->ntuple_used, priv->flow_user);
		nfc->data = priv->flow_user | RX_CLS_LOC_SPECIAL;
		return 0;
	case ETHTOOL_GRXCLSRULE:
		loc = nfc->fs.location;
		if (loc >= priv->flow_user || !test_bit(loc, priv->ntuple_used))
			return -ENOENT;
		nfc->fs = priv->ntuple[loc].fs;
		nfc->rss_context = priv->ntuple[loc].rss_context;
		return 0;
	case ETHTOOL_GRXCLSRLALL:
		for_each_set_bit(loc, priv->ntuple_used, priv->flow_user) {
			if (n == nfc->rule_cnt)
				return -EMSGSIZE;
			rule_locs[n++] = loc;
		}
		nfc->rule_cnt = n;
		nfc->data = priv->flow_user;
		return 0;
	}
	return -EOPNOTSUPP;
}

int ofnic_flow_set_rxnfc(struct ofnic_priv *priv, struct ethtool_rxnfc *nfc)
{
	if (!(priv->features & OFNIC_F_FLOW))
		return -EOPNOTSUPP;
	switch (nfc->cmd) {
	case ETHTOOL_SRXCLSRLINS:
		return ofnic_flow_ins(priv, nfc);
	case ETHTOOL_SRXCLSRLDEL:
		return ofnic_flow_del(priv, nfc->fs.location);
	}
	return -EOPNOTSUPP;
}

/*
 * The rules that spread over context ctx_id stay within num_qp queues if its
 * table becomes indir: a table or queue count change that would send their
 * frames to a queue not in use is refused.
 */
int ofnic_flow_rules_fit(struct ofnic_priv *priv, u32 ctx_id, const u32 *indir,
			 u32 num_qp, struct netlink_ext_ack *extack)
{
	u32 loc, top = ofnic_indir_max(indir, OFNIC_RSS_RETA_SIZE);

	for_each_set_bit(loc, priv->ntuple_used, priv->flow_user) {
		const struct ofnic_ntuple *r = &priv->ntuple[loc];
		u32 q = ethtool_get_flow_spec_ring(r->fs.ring_cookie);

		if (!(r->fs.flow_type & FLOW_RSS) || r->rss_context != ctx_id)
			continue;
		if (ofnic_flow_fits(q, top, num_qp))
			continue;
		if (extack)
			NL_SET_ERR_MSG_FMT_MOD(extack,
					       "ntuple rule %u adds %u to context %u's queues: past queue %u",
					       loc, q, ctx_id, num_qp - 1);
		else
			netdev_info(priv->netdev,
				    "ntuple rule %u adds %u to context %u's queues: past queue %u\n",
				    loc, q, ctx_id, num_qp - 1);
		return -EINVAL;
	}
	return 0;
}

/* Every context's rules still fit with num_qp queues (ethtool -L). */
int ofnic_flow_channels_fit(struct ofnic_priv *priv, u32 num_qp)
{
	struct ethtool_rxfh_context *ctx;
	u32 indir[OFNIC_RSS_RETA_SIZE];
	unsigned long id;
	unsigned int i;
	int err;

	if (!(priv->features & OFNIC_F_FLOW))
		return 0;
	/* an unconfigured default table is spread anew over the queues */
	for (i = 0; i < OFNIC_RSS_RETA_SIZE; i++)
		indir[i] = netif_is_rxfh_configured(priv->netdev) ?
			   priv->rss_indir[i] :
			   ethtool_rxfh_indir_default(i, num_qp);
	err = ofnic_flow_rules_fit(priv, 0, indir, num_qp, NULL);
	xa_for_each(&priv->netdev->ethtool->rss_ctx, id, ctx) {
		if (err)
			break;
		err = ofnic_flow_rules_fit(priv, id, ethtool_rxfh_context_indir(ctx),
					   num_qp, NULL);
	}
	return err;
}

/* ---- RSS contexts ------------------------------------------------------- */

static void ofnic_rss_ctx_write(struct ofnic_priv *priv, u32 id,
				const u32 *indir, const u8 *key, u32 ht)
{
	u32 base = OFNIC_REG_RSS_CTX(id);
	unsigned int i;

	for (i = 0; i < OFNIC_RSS_KEY_LEN; i += 4)
		ofnic_wr(priv, base + OFNIC_RSSC_KEY + i,
			 key ? get_unaligned_le32(key + i) : 0);
	for (i = 0; i < OFNIC_RSS_RETA_SIZE; i += 4)
		ofnic_wr(priv, base + OFNIC_RSSC_RETA + i,
			 indir ? indir[i] | indir[i + 1] << 8 |
				 indir[i + 2] << 16 | indir[i + 3] << 24 : 0);
	ofnic_wr(priv, base + OFNIC_RSSC_HASH_TYPES, ht);
}

static int ofnic_rss_ctx_check(struct ofnic_priv *priv,
			       const struct ethtool_rxfh_param *rxfh,
			       struct netlink_ext_ack *extack)
{
	unsigned int i;

	if (rxfh->hfunc != ETH_RSS_HASH_NO_CHANGE &&
	    rxfh->hfunc != ETH_RSS_HASH_TOP) {
		NL_SET_ERR_MSG_MOD(extack, "only the Toeplitz hash is supported");
		return -EOPNOTSUPP;
	}
	if (rxfh->input_xfrm != RXH_XFRM_NO_CHANGE && rxfh->input_xfrm) {
		NL_SET_ERR_MSG_MOD(extack, "the device has no input transformation");
		return -EOPNOTSUPP;
	}
	for (i = 0; rxfh->indir && i < OFNIC_RSS_RETA_SIZE; i++) {
		if (rxfh->indir[i] >= priv->num_qp) {
			NL_SET_ERR_MSG_FMT_MOD(extack,
					       "indirection entry %u names queue %u of %u",
					       i, rxfh->indir[i], priv->num_qp);
			return -EINVAL;
		}
	}
	return 0;
}

int ofnic_create_rxfh_context(struct net_device *netdev,
			      struct ethtool_rxfh_context *ctx,
			      const struct ethtool_rxfh_param *rxfh,
			      struct netlink_ext_ack *extack)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct ofnic_rss_ctx *rc = ethtool_rxfh_context_priv(ctx);
	u32 *indir = ethtool_rxfh_context_indir(ctx);
	u8 *key = ethtool_rxfh_context_key(ctx);
	unsigned int i;
	int err;

	/* the core hands out the lowest free id */
	if (!(priv->features & OFNIC_F_FLOW) || !(priv->features & OFNIC_F_RSS) ||
	    rxfh->rss_context >= priv->rss_contexts) {
		NL_SET_ERR_MSG_FMT_MOD(extack, "the device has %u RSS contexts",
				       priv->rss_contexts);
		return -EOPNOTSUPP;
	}
	err = ofnic_rss_ctx_check(priv, rxfh, extack);
	if (err)
		return err;
	/* The core fills in what was given; the rest are the defaults. */
	if (!rxfh->indir)
		for (i = 0; i < OFNIC_RSS_RETA_SIZE; i++)
			indir[i] = ethtool_rxfh_indir_default(i, priv->num_qp);
	if (!rxfh->key)
		netdev_rss_key_fill(key, OFNIC_RSS_KEY_LEN);
	ctx->hfunc = ETH_RSS_HASH_TOP;
	ctx->input_xfrm = 0;
	/* a new context hashes what the default one hashes now */
	rc->hash_types = priv->rss_hash_types;
	ofnic_rss_ctx_write(priv, rxfh->rss_context, rxfh->indir ?: indir,
			    rxfh->key ?: key, rc->hash_types);
	return 0;
}

int ofnic_modify_rxfh_context(struct net_device *netdev,
			      struct ethtool_rxfh_context *ctx,
			      const struct ethtool_rxfh_param *rxfh,
			      struct netlink_ext_ack *extack)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct ofnic_rss_ctx *rc = ethtool_rxfh_context_priv(ctx);
	int err;

	err = ofnic_rss_ctx_check(priv, rxfh, extack);
	if (!err && rxfh->indir)
		err = ofnic_flow_rules_fit(priv, rxfh->rss_context, rxfh->indir,
					   priv->num_qp, extack);
	if (err)
		return err;
	ofnic_rss_ctx_write(priv, rxfh->rss_context,
			    rxfh->indir ?: ethtool_rxfh_context_indir(ctx),
			    rxfh->key ?: ethtool_rxfh_context_key(ctx),
			    rc->hash_types);
	return 0;
}

int ofnic_remove_rxfh_context(struct net_device *netdev,
			      struct ethtool_rxfh_context *ctx, u32 id,
			      struct netlink_ext_ack *extack)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	u32 loc;

	/* At unregister every context goes, rules or not. */
	for_each_set_bit(loc, priv->ntuple_used, priv->flow_user) {
		if (netdev->reg_state != NETREG_REGISTERED)
			break;
		if ((priv->ntuple[loc].fs.flow_type & FLOW_RSS) &&
		    priv->ntuple[loc].rss_context == id) {
			NL_SET_ERR_MSG_FMT_MOD(extack,
					       "RSS context %u is used by ntuple rule %u",
					       id, loc);
			return -EBUSY;
		}
	}
	ofnic_rss_ctx_write(priv, id, NULL, NULL, 0);
	return 0;
}

/* The hash types of context id (0: the default context). */
static u32 *ofnic_rss_ctx_ht(struct ofnic_priv *priv, u32 id)
{
	struct ethtool_rxfh_context *ctx;

	if (!id)
		return &priv->rss_hash_types;
	ctx = xa_load(&priv->netdev->ethtool->rss_ctx, id);
	if (!ctx)
		return NULL;
	return &((struct ofnic_rss_ctx *)ethtool_rxfh_context_priv(ctx))->hash_types;
}

/* rx-flow-hash: which header fields feed the hash, per flow type. */
static u32 ofnic_flow_ht(u32 flow_type, bool *l4)
{
	*l4 = true;
	switch (flow_type) {
	case TCP_V4_FLOW:
		return OFNIC_RSS_HT_IPV4_TCP;
	case UDP_V4_FLOW:
		return OFNIC_RSS_HT_IPV4_UDP;
	case TCP_V6_FLOW:
		return OFNIC_RSS_HT_IPV6_TCP;
	case UDP_V6_FLOW:
		return OFNIC_RSS_HT_IPV6_UDP;
	}
	*l4 = false;
	switch (flow_type) {
	case IPV4_FLOW:
		return OFNIC_RSS_HT_IPV4;
	case IPV6_FLOW:
		return OFNIC_RSS_HT_IPV6;
	}
	return 0;
}

static u32 ofnic_flow_ip_ht(u32 flow_type)
{
	if (flow_type == TCP_V4_FLOW || flow_type == UDP_V4_FLOW ||
	    flow_type == IPV4_FLOW)
		return OFNIC_RSS_HT_IPV4;
	return OFNIC_RSS_HT_IPV6;
}

int ofnic_get_rxfh_fields(struct net_device *netdev,
			  struct ethtool_rxfh_fields *fields)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	u32 *ht = ofnic_rss_ctx_ht(priv, fields->rss_context);
	u32 t;
	bool l4;

	if (!ht)
		return -ENOENT;
	t = ofnic_flow_ht(fields->flow_type, &l4);
	if (!t)
		return -EINVAL;
	fields->data = 0;
	/* L4 types fall back to the 2-tuple when their 4-tuple is off. */
	if (*ht & (t | ofnic_flow_ip_ht(fields->flow_type)))
		fields->data = RXH_IP_SRC | RXH_IP_DST;
	if (l4 && (*ht & t))
		fields->data |= RXH_L4_B_0_1 | RXH_L4_B_2_3;
	return 0;
}

int ofnic_set_rxfh_fields(struct net_device *netdev,
			  const struct ethtool_rxfh_fields *fields,
			  struct netlink_ext_ack *extack)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	const u64 l3 = RXH_IP_SRC | RXH_IP_DST;
	const u64 l4 = RXH_L4_B_0_1 | RXH_L4_B_2_3;
	u32 *ht = ofnic_rss_ctx_ht(priv, fields->rss_context);
	u32 t, v;
	bool is_l4;

	if (!(priv->features & OFNIC_F_RSS))
		return -EOPNOTSUPP;
	if (!ht)
		return -ENOENT;
	t = ofnic_flow_ht(fields->flow_type, &is_l4);
	if (!t) {
		NL_SET_ERR_MSG_MOD(extack, "the device hashes tcp, udp and ip flows only");
		return -EINVAL;
	}
	v = *ht;
	/* The device hashes whole 2- or 4-tuples. */
	if (is_l4 && fields->data == (l3 | l4)) {
		v |= t;
	} else if (is_l4 && fields->data == l3) {
		/* the frames fall back to their IP 2-tuple */
		v &= ~t;
		v |= ofnic_flow_ip_ht(fields->flow_type);
	} else if (!is_l4 && fields->data == l3) {
		v |= t;
	} else if (!is_l4 && !fields->data) {
		v &= ~t;
	} else {
		NL_SET_ERR_MSG_MOD(extack, "the device hashes IP 2-tuples or TCP/UDP 4-tuples");
		return -EINVAL;
	}
	*ht = v;
	/* context 0's block is an alias only on a device with contexts */
	ofnic_wr(priv, fields->rss_context ?
		 OFNIC_REG_RSS_CTX(fields->rss_context) + OFNIC_RSSC_HASH_TYPES :
		 OFNIC_REG_RSS_HASH_TYPES, v);
	return 0;
}

/* ---- aRFS ------------------------------------------------------------------ */

#ifdef CONFIG_RFS_ACCEL
/* The table entry of aRFS filter id: after the rule entries. */
#define OFNIC_ARFS_LOC(priv, id)	((priv)->flow_user + (id))
#define OFNIC_ARFS_EXPIRE	(HZ / 2)

static bool ofnic_arfs_same(const struct ofnic_arfs *a,
			    const struct ofnic_arfs *b)
{
	return a->v6 == b->v6 && a->proto == b->proto &&
	       a->ports == b->ports && !memcmp(a->src, b->src, sizeof(a->src)) &&
	       !memcmp(a->dst, b->dst, sizeof(a->dst));
}

static void ofnic_arfs_hw_write(struct ofnic_priv *priv, unsigned int id,
				const struct ofnic_arfs *a)
{
	struct ofnic_flow_hw e = {};
	unsigned int n = a->v6 ? 4 : 1, i;
	u32 t;

	if (a->v6)
		t = a->proto == IPPROTO_TCP ? OFNIC_FLT_TCP6 : OFNIC_FLT_UDP6;
	else
		t = a->proto == IPPROTO_TCP ? OFNIC_FLT_TCP4 : OFNIC_FLT_UDP4;
	e.ctrl = t << OFNIC_FLC_TYPE_SHIFT;
	e.arg = FIELD_PREP(OFNIC_FLOW_ARG_QUEUE_MASK, a->rxq);
	for (i = 0; i < n; i++) {
		e.src[i] = a->src[i];
		e.dst[i] = a->dst[i];
		e.src_mask[i] = ~0U;
		e.dst_mask[i] = ~0U;
	}
	e.ports = a->ports;
	e.port_mask = ~0U;
	ofnic_flow_hw_write(priv, OFNIC_ARFS_LOC(priv, id), &e);
}

/*
 * The stack asks for a flow's frames on the queue whose vector runs on the
 * CPU its reader last ran on. The entry is written here, in the RX softirq:
 * 22 register writes, once per flow and move.
 */
int ofnic_rx_flow_steer(struct net_device *netdev, const struct sk_buff *skb,
			u16 rxq, u32 flow_id)
{
	struct ofnic_priv *priv = netdev_priv(netdev);
	struct ofnic_arfs key = {}, *a;
	struct flow_keys fk;
	int id, free = -1;

	/* the device matches the outer headers, never a tunnel's inner ones */
	if (!skb_flow_dissect_flow_keys(skb, &fk, 0) ||
	    (fk.control.flags & (FLOW_DIS_IS_FRAGMENT | FLOW_DIS_ENCAPSULATION)) ||
	    (fk.basic.ip_proto != IPPROTO_TCP &&
	     fk.basic.ip_proto != IPPROTO_UDP))
		return -EPROTONOSUPPORT;
	if (fk.basic.n_proto == htons(ETH_P_IP)) {
		ofnic_flow_addr(key.src, &fk.addrs.v4addrs.src, 1);
		ofnic_flow_addr(key.dst, &fk.addrs.v4addrs.dst, 1);
	} else if (fk.basic.n_proto == htons(ETH_P_IPV6)) {
		key.v6 = true;
		ofnic_flow_addr(key.src, fk.addrs.v6addrs.src.s6_addr32, 4);
		ofnic_flow_addr(key.dst, fk.addrs.v6addrs.dst.s6_addr32, 4);
	} else {
		return -EPROTONOSUPPORT;
	}
	key.proto = fk.basic.ip_proto;
	key.ports = ofnic_flow_ports(fk.ports.src, fk.ports.dst);
	key.rxq = rxq;
	key.flow_id = flow_id;
	key.used = true;

	spin_lock_bh(&priv->arfs_lock);
	if (!priv->arfs_on) {
		spin_unlock_bh(&priv->arfs_lock);
		return -EOPNOTSUPP;
	}
	for (id = 0; id < priv->flow_arfs; id++) {
		a = &priv->arfs[id];
		if (!a->used) {
			if (free < 0)
				free = id;
			continue;
		}
		if (ofnic_arfs_same(a, &key))
			break;
	}
	if (id == priv->flow_arfs) {
		if (free < 0) {
			spin_unlock_bh(&priv->arfs_lock);
			return -ENOSPC;
		}
		id = free;
	}
	a = &priv->arfs[id];
	if (!a->used || a->rxq != rxq) {
		*a = key;
		ofnic_arfs_hw_write(priv, id, a);
		priv->arfs_steered++;
	}
	a->flow_id = flow_id;
	/* a pending expiry stays where it is: steady steering must not defer it */
	schedule_delayed_work(&priv->arfs_expire, OFNIC_ARFS_EXPIRE);
	spin_unlock_bh(&priv->arfs_lock);
	return id;
}

/* Entries whose flow the stack no longer steers go (rps_may_expire_flow). */
static void ofnic_arfs_expire(struct work_struct *work)
{
	struct ofnic_priv *priv = container_of(to_delayed_work(work),
					       struct ofnic_priv, arfs_expire);
	bool left = false;
	unsigned int id;

	spin_lock_bh(&priv->arfs_lock);
	for (id = 0; id < priv->flow_arfs; id++) {
		struct ofnic_arfs *a = &priv->arfs[id];

		if (!a->used)
			continue;
		if (rps_may_expire_flow(priv->netdev, a->rxq, a->flow_id, id)) {
			ofnic_flow_hw_write(priv, OFNIC_ARFS_LOC(priv, id), NULL);
			a->used = false;
			priv->arfs_expired++;
		} else {
			left = true;
		}
	}
	if (left && priv->arfs_on)
		schedule_delayed_work(&priv->arfs_expire, OFNIC_ARFS_EXPIRE);
	spin_unlock_bh(&priv->arfs_lock);
}

/*
 * Steering on (the queues are up and ntuple is on) or off; off, every entry
 * goes. Under RTNL.
 */
void ofnic_arfs_set(struct ofnic_priv *priv, bool on)
{
	unsigned int id;

	if (!(priv->features & OFNIC_F_FLOW))
		return;
	spin_lock_bh(&priv->arfs_lock);
	priv->arfs_on = on;
	for (id = 0; !on && id < priv->flow_arfs; id++) {
		if (priv->arfs[id].used) {
			ofnic_flow_hw_write(priv, OFNIC_ARFS_LOC(priv, id), NULL);
			priv->arfs[id].used = false;
		}
	}
	spin_unlock_bh(&priv->arfs_lock);
	/* off: nothing re-arms it now */
	if (!on)
		cancel_delayed_work_sync(&priv->arfs_expire);
}

/* The CPU -> queue map aRFS steers by, before the vectors are requested. */
int ofnic_arfs_open(struct ofnic_priv *priv)
{
	struct net_device *netdev = priv->netdev;

	if (!(priv->features & OFNIC_F_FLOW))
		return 0;
	netdev->rx_cpu_rmap = alloc_irq_cpu_rmap(priv->num_qp);
	return netdev->rx_cpu_rmap ? 0 : -ENOMEM;
}

/* Queue vector irq (in queue order): the map follows its affinity. */
int ofnic_arfs_add_irq(struct ofnic_priv *priv, int irq)
{
	struct cpu_rmap *rmap = priv->netdev->rx_cpu_rmap;

	return rmap ? irq_cpu_rmap_add(rmap, irq) : 0;
}

/* Before the queue vectors are freed: the map's notifiers go first. */
void ofnic_arfs_close(struct ofnic_priv *priv)
{
	struct net_device *netdev = priv->netdev;

	ofnic_arfs_set(priv, false);
	if (netdev->rx_cpu_rmap) {
		free_irq_cpu_rmap(netdev->rx_cpu_rmap);
		netdev->rx_cpu_rmap = NULL;
	}
}
#endif /* CONFIG_RFS_ACCEL */

/* ---- setup ------------------------------------------------------------- */

/* What the table and contexts hold, to the device (at open). */
void ofnic_flow_restore(struct ofnic_priv *priv)
{
	struct ethtool_rxfh_context *ctx;
	struct ethtool_rxnfc nfc = {};
	struct ofnic_flow_hw e;
	unsigned long id;
	u32 loc;

	if (!(priv->features & OFNIC_F_FLOW))
		return;
	mutex_lock(&priv->netdev->ethtool->rss_lock);
	xa_for_each(&priv->netdev->ethtool->rss_ctx, id, ctx) {
		struct ofnic_rss_ctx *rc = ethtool_rxfh_context_priv(ctx);

		if (id < priv->rss_contexts)
			ofnic_rss_ctx_write(priv, id,
					    ethtool_rxfh_context_indir(ctx),
					    ethtool_rxfh_context_key(ctx),
					    rc->hash_types);
	}
	mutex_unlock(&priv->netdev->ethtool->rss_lock);
	for_each_set_bit(loc, priv->ntuple_used, priv->flow_user) {
		nfc.fs = priv->ntuple[loc].fs;
		nfc.rss_context = priv->ntuple[loc].rss_context;
		if (!ofnic_flow_from_spec(priv, &nfc, &e)) {
			ofnic_flow_hw_write(priv, loc, &e);
			continue;
		}
		/* the checks on table and queue changes keep this from happening */
		netdev_warn(priv->netdev, "ntuple rule %u no longer fits: left out\n",
			    loc);
		ofnic_flow_hw_write(priv, loc, NULL);
	}
}

/*
 * The table's and the contexts' sizes as the device reports them, within
 * what the driver has room for: a device that reports no table has none.
 */
int ofnic_flow_init(struct ofnic_priv *priv)
{
	u32 entries;

	spin_lock_init(&priv->arfs_lock);
#ifdef CONFIG_RFS_ACCEL
	INIT_DELAYED_WORK(&priv->arfs_expire, ofnic_arfs_expire);
#endif
	if (!(priv->features & OFNIC_F_FLOW))
		return 0;
	entries = min_t(u32, ofnic_rd(priv, OFNIC_REG_FLOW_ENTRIES),
			OFNIC_FLOW_ENTRIES);
	priv->rss_contexts = min_t(u32, ofnic_rd(priv, OFNIC_REG_RSS_CONTEXTS),
				   OFNIC_RSS_CTX_MAX);
	if (entries < 2 || priv->rss_contexts < 1) {
		priv->features &= ~OFNIC_F_FLOW;
		return 0;
	}
	priv->flow_user = entries / 2;
	priv->flow_arfs = entries - priv->flow_user;
	priv->ntuple = kcalloc(priv->flow_user, sizeof(*priv->ntuple),
			       GFP_KERNEL);
	return priv->ntuple ? 0 : -ENOMEM;
}

void ofnic_flow_free(struct ofnic_priv *priv)
{
	kfree(priv->ntuple);
	priv->ntuple = NULL;
}
