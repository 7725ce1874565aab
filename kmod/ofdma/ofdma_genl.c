// SPDX-License-Identifier: GPL-2.0
/*
 * The ofdma generic netlink family (include/uapi/ofdma.yaml, docs/netlink.md):
 * chan-get answers for one channel, named by its dmaengine name (dma<N>chan<M>,
 * unique over every engine), or dumps the channels of every ofdma engine in
 * probe order. Read-only: no operation needs a capability.
 *
 * Engines are on a list of their own while they are registered with
 * dmaengine; remove takes an engine off it (waiting for a request that reads
 * it) before anything a request reads is freed.
 */
#include <linux/list.h>
#include <linux/mutex.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include <uapi/linux/ofdma.h>

#include "ofdma.h"

/* The family's enums are the hardware's. */
static_assert(OFDMA_CHAN_STATE_HALTED == OFDMA_CS_HALTED);
static_assert(OFDMA_CHAN_STATE_SUSPENDED == OFDMA_CS_SUSPENDED);
static_assert(OFDMA_ERR_CODE_OVERLAP == OFDMA_ERR_OVERLAP);
static_assert(OFDMA_ERR_CODE_SRC == OFDMA_ERR_SRC);
/* chan-stats attribute N is u64 N - 1 of struct ofdma_chan_stats. */
static_assert(sizeof(struct ofdma_chan_stats) == OFDMA_A_CHAN_STATS_MAX * sizeof(u64));
static_assert(offsetof(struct ofdma_chan_stats, bytes) ==
	      (OFDMA_A_CHAN_STATS_BYTES - 1) * sizeof(u64));
static_assert(offsetof(struct ofdma_chan_stats, prep_full) ==
	      (OFDMA_A_CHAN_STATS_PREP_FULL - 1) * sizeof(u64));
static_assert(offsetof(struct ofdma_chan_stats, watchdog_reaps) ==
	      (OFDMA_A_CHAN_STATS_WATCHDOG_REAPS - 1) * sizeof(u64));

/* dmaengine channel names: "dma%dchan%d" */
#define OFDMA_GENL_NAME_MAX	31

static DEFINE_MUTEX(ofdma_genl_lock);	/* the list and what its engines hold */
static LIST_HEAD(ofdma_genl_devs);	/* in genl_id order */
static u32 ofdma_genl_next_id;

struct ofdma_genl_dump_ctx {
	u32 dev_id;	/* engine the dump continues with */
	u32 chan;	/* and its next channel */
};

static const struct nla_policy ofdma_chan_get_policy[OFDMA_A_CHAN_NAME + 1] = {
	[OFDMA_A_CHAN_NAME] = { .type = NLA_NUL_STRING, .len = OFDMA_GENL_NAME_MAX },
};

/* An engine registered with dmaengine becomes visible. */
void ofdma_genl_add(struct ofdma_dev *od)
{
	mutex_lock(&ofdma_genl_lock);
	od->genl_id = ofdma_genl_next_id++;
	list_add_tail(&od->genl_node, &ofdma_genl_devs);
	mutex_unlock(&ofdma_genl_lock);
}

/* Called first in remove: returns when no request reads the engine. */
void ofdma_genl_del(struct ofdma_dev *od)
{
	mutex_lock(&ofdma_genl_lock);
	list_del(&od->genl_node);
	mutex_unlock(&ofdma_genl_lock);
}

static int ofdma_put_stats(struct sk_buff *skb, struct ofdma_chan *c)
{
	struct ofdma_chan_stats s;
	const u64 *v = (const u64 *)&s;
	struct nlattr *nest;
	unsigned int i;

	ofdma_read_stats(c, &s);
	nest = nla_nest_start(skb, OFDMA_A_CHAN_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < OFDMA_A_CHAN_STATS_MAX; i++) {
		if (nla_put_uint(skb, i + 1, v[i])) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* One channel as a chan-get reply. Under ofdma_genl_lock. */
static int ofdma_chan_fill(struct sk_buff *skb, struct ofdma_chan *c,
			   const struct genl_info *info)
{
	u32 st = ofdma_chan_status(c);
	u32 state = st & OFDMA_CS_STATE_MASK;
	u32 err = state == OFDMA_CS_HALTED ? OFDMA_CS_ERR(st) : OFDMA_ERR_NONE;
	void *hdr;

	hdr = genlmsg_iput(skb, info);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(skb, OFDMA_A_CHAN_BUS_ADDR, pci_name(c->od->pdev)) ||
	    nla_put_u32(skb, OFDMA_A_CHAN_CHAN_ID, c->idx) ||
	    nla_put_string(skb, OFDMA_A_CHAN_NAME, dma_chan_name(&c->chan)) ||
	    nla_put_u32(skb, OFDMA_A_CHAN_STATE, state) ||
	    nla_put_u32(skb, OFDMA_A_CHAN_ERROR, err) ||
	    nla_put_u32(skb, OFDMA_A_CHAN_IN_USE, READ_ONCE(c->chan.client_count)) ||
	    ofdma_put_stats(skb, c)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* The channel named @name on any engine. Under ofdma_genl_lock. */
static struct ofdma_chan *ofdma_genl_find(const char *name)
{
	struct ofdma_dev *od;
	unsigned int i;

	list_for_each_entry(od, &ofdma_genl_devs, genl_node)
		for (i = 0; i < od->nchan; i++)
			if (!strcmp(dma_chan_name(&od->chan[i].chan), name))
				return &od->chan[i];
	return NULL;
}

static int ofdma_nl_chan_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *name = info->attrs[OFDMA_A_CHAN_NAME];
	struct ofdma_chan *c;
	struct sk_buff *rsp;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, OFDMA_A_CHAN_NAME))
		return -EINVAL;
	rsp = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;
	mutex_lock(&ofdma_genl_lock);
	c = ofdma_genl_find(nla_data(name));
	if (c) {
		err = ofdma_chan_fill(rsp, c, info);
	} else {
		NL_SET_ERR_MSG_ATTR(info->extack, name, "no ofdma channel with this name");
		err = -ENODEV;
	}
	mutex_unlock(&ofdma_genl_lock);
	if (err) {
		nlmsg_free(rsp);
		return err;
	}
	return genlmsg_reply(rsp, info);
}

static int ofdma_nl_chan_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	struct ofdma_genl_dump_ctx *ctx = (struct ofdma_genl_dump_ctx *)cb->ctx;
	struct ofdma_dev *od;
	int err = 0;

	NL_ASSERT_DUMP_CTX_FITS(struct ofdma_genl_dump_ctx);
	mutex_lock(&ofdma_genl_lock);
	list_for_each_entry(od, &ofdma_genl_devs, genl_node) {
		if (od->genl_id < ctx->dev_id)
			continue;
		if (od->genl_id > ctx->dev_id) {
			/* the engine the dump was in went away meanwhile */
			ctx->dev_id = od->genl_id;
			ctx->chan = 0;
		}
		for (; ctx->chan < od->nchan; ctx->chan++) {
			err = ofdma_chan_fill(skb, &od->chan[ctx->chan],
					      genl_info_dump(cb));
			if (err)
				goto out;
		}
		ctx->dev_id++;
		ctx->chan = 0;
	}
out:
	mutex_unlock(&ofdma_genl_lock);
	return err;
}

static const struct genl_split_ops ofdma_nl_ops[] = {
	{
		.cmd		= OFDMA_CMD_CHAN_GET,
		.doit		= ofdma_nl_chan_get_doit,
		.policy		= ofdma_chan_get_policy,
		.maxattr	= OFDMA_A_CHAN_NAME,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= OFDMA_CMD_CHAN_GET,
		.dumpit		= ofdma_nl_chan_get_dumpit,
		.flags		= GENL_CMD_CAP_DUMP,
	},
};

static struct genl_family ofdma_nl_family = {
	.name		= OFDMA_FAMILY_NAME,
	.version	= OFDMA_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= ofdma_nl_ops,
	.n_split_ops	= ARRAY_SIZE(ofdma_nl_ops),
	.resv_start_op	= OFDMA_CMD_CHAN_GET + 1,
};

int ofdma_genl_init(void)
{
	return genl_register_family(&ofdma_nl_family);
}

void ofdma_genl_exit(void)
{
	genl_unregister_family(&ofdma_nl_family);
}
