// SPDX-License-Identifier: GPL-2.0
/*
 * The ofcopy generic netlink family (include/uapi/ofcopy.yaml,
 * docs/netlink.md): config-get returns the configuration and every counter,
 * config-set (CAP_NET_ADMIN) switches the offload on or off and sets the
 * copybreak and the timeout. The policy checks every value before anything is
 * written, so a request with one bad value changes nothing (the extack names
 * it).
 */
#include <linux/mutex.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include <uapi/linux/ofcopy.h>

#include "ofcopy.h"

/* stats attribute N is counter N - 1 of ofcopy_read_stats(). */
#define OFCOPY_STAT_ATTR(counter)	((counter) + 1)
static_assert((int)OFCOPY_A_STATS_MAX == (int)OFCOPY_NR_COUNTERS);
static_assert(OFCOPY_STAT_ATTR(OFCOPY_BYTES_BASE) == OFCOPY_A_STATS_BYTES_FALLBACK_RECVMSG);
static_assert(OFCOPY_STAT_ATTR(OFCOPY_FB_TIMEOUT) == OFCOPY_A_STATS_FALLBACK_TIMEOUT);
static_assert(OFCOPY_STAT_ATTR(OFCOPY_FB_DISABLED) == OFCOPY_A_STATS_FALLBACK_DISABLED);

static DEFINE_MUTEX(ofcopy_genl_lock);	/* serialises config-set */

static const struct netlink_range_validation ofcopy_copybreak_range = {
	.max = OFCOPY_COPYBREAK_MAX,
};

static const struct netlink_range_validation ofcopy_timeout_range = {
	.min = OFCOPY_TIMEOUT_MIN_MS,
	.max = OFCOPY_TIMEOUT_MAX_MS,
};

static const struct nla_policy ofcopy_config_set_policy[OFCOPY_A_CONFIG_TIMEOUT_MS + 1] = {
	[OFCOPY_A_CONFIG_ENABLED] = NLA_POLICY_MAX(NLA_U32, 1),
	[OFCOPY_A_CONFIG_COPYBREAK] = NLA_POLICY_FULL_RANGE(NLA_U32, &ofcopy_copybreak_range),
	[OFCOPY_A_CONFIG_CHANNELS] = { .type = NLA_REJECT },
	[OFCOPY_A_CONFIG_STATS] = { .type = NLA_REJECT },
	[OFCOPY_A_CONFIG_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &ofcopy_timeout_range),
};

static int ofcopy_put_stats(struct sk_buff *skb)
{
	u64 v[OFCOPY_NR_COUNTERS];
	struct nlattr *nest;
	unsigned int i;

	ofcopy_read_stats(v);
	nest = nla_nest_start(skb, OFCOPY_A_CONFIG_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < OFCOPY_NR_COUNTERS; i++) {
		if (nla_put_uint(skb, OFCOPY_STAT_ATTR(i), v[i])) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int ofcopy_nl_config_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *rsp;
	void *hdr;

	rsp = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;
	hdr = genlmsg_iput(rsp, info);
	if (!hdr)
		goto err;
	if (nla_put_u32(rsp, OFCOPY_A_CONFIG_ENABLED, READ_ONCE(ofcopy_enabled)) ||
	    nla_put_u32(rsp, OFCOPY_A_CONFIG_COPYBREAK, READ_ONCE(ofcopy_copybreak)) ||
	    nla_put_u32(rsp, OFCOPY_A_CONFIG_CHANNELS, ofcopy_channels()) ||
	    ofcopy_put_stats(rsp) ||
	    nla_put_u32(rsp, OFCOPY_A_CONFIG_TIMEOUT_MS, READ_ONCE(ofcopy_timeout_ms)))
		goto err;
	genlmsg_end(rsp, hdr);
	return genlmsg_reply(rsp, info);
err:
	nlmsg_free(rsp);
	return -EMSGSIZE;
}

static int ofcopy_nl_config_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *enabled = info->attrs[OFCOPY_A_CONFIG_ENABLED];
	struct nlattr *copybreak = info->attrs[OFCOPY_A_CONFIG_COPYBREAK];
	struct nlattr *timeout = info->attrs[OFCOPY_A_CONFIG_TIMEOUT_MS];

	if (!enabled && !copybreak && !timeout) {
		GENL_SET_ERR_MSG(info, "nothing to set: give enabled, copybreak or timeout-ms");
		return -EINVAL;
	}
	/* The policy checked them all: apply them all. */
	mutex_lock(&ofcopy_genl_lock);
	if (copybreak)
		WRITE_ONCE(ofcopy_copybreak, nla_get_u32(copybreak));
	if (timeout)
		WRITE_ONCE(ofcopy_timeout_ms, nla_get_u32(timeout));
	if (enabled)
		WRITE_ONCE(ofcopy_enabled, !!nla_get_u32(enabled));
	mutex_unlock(&ofcopy_genl_lock);
	return 0;
}

static const struct genl_split_ops ofcopy_nl_ops[] = {
	{
		.cmd		= OFCOPY_CMD_CONFIG_GET,
		.doit		= ofcopy_nl_config_get_doit,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= OFCOPY_CMD_CONFIG_SET,
		.doit		= ofcopy_nl_config_set_doit,
		.policy		= ofcopy_config_set_policy,
		.maxattr	= OFCOPY_A_CONFIG_TIMEOUT_MS,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static struct genl_family ofcopy_nl_family = {
	.name		= OFCOPY_FAMILY_NAME,
	.version	= OFCOPY_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= ofcopy_nl_ops,
	.n_split_ops	= ARRAY_SIZE(ofcopy_nl_ops),
	.resv_start_op	= OFCOPY_CMD_CONFIG_SET + 1,
};

int ofcopy_genl_init(void)
{
	return genl_register_family(&ofcopy_nl_family);
}

void ofcopy_genl_exit(void)
{
	genl_unregister_family(&ofcopy_nl_family);
}
