// SPDX-License-Identifier: GPL-2.0
/*
 * ofnic debugfs: /sys/kernel/debug/ofnic/<pci>/
 *   rings   the device's view of every ring in use (head, tail, status)
 *   flow_table  the valid flow table entries: ntuple rules (rule N, at their
 *           ethtool location) and aRFS entries, each with its action and
 *           the frames it decided (hits)
 *   inject  write a fault name to hand the device garbage on queue pair 0:
 *     tx-bad-addr         a TX descriptor whose buffer is outside guest memory
 *     tx-zero-len         a TX descriptor of length 0
 *     tx-no-eop-overflow  OFNIC_TX_MAX_DESC_PER_PKT + 1 descriptors, no EOP
 *     tail-oob            a TX doorbell with tail = ring size
 *     rx-bad-addr         the RX descriptor the device fills next points
 *                         outside guest memory
 * The device must halt the ring, count and report the error; the driver then
 * resets the queue pair. This is how the selftests prove both sides cope.
 */
#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>

#include "ofnic.h"

/* A bus address no guest has memory at: 1 PiB. */
#define OFNIC_INJECT_BAD_DMA	BIT_ULL(50)
#define OFNIC_INJECT_LEN	64

static struct dentry *ofnic_dbg_root;

/* Post n garbage descriptors on queue pair 0's TX ring and ring the bell. */
static int ofnic_inject_tx(struct ofnic_priv *priv, u32 n, u64 addr, u16 len,
			   u16 last_flags)
{
	struct ofnic_ring *ring = &priv->qp[0].tx;
	struct netdev_queue *txq = netdev_get_tx_queue(priv->netdev, 0);
	int err = 0;
	u32 k;

	__netif_tx_lock_bh(txq);
	if (ofnic_ring_unused(ring) < n) {
		err = -EBUSY;
		goto out;
	}
	for (k = 0; k < n; k++) {
		u32 idx = ring->next_to_use;
		struct ofnic_tx_desc *desc = (struct ofnic_tx_desc *)ring->desc + idx;
		struct ofnic_tx_buf *buf = &ring->tx_buf[idx];

		memset(buf, 0, sizeof(*buf));
		buf->injected = 1;
		buf->eop = idx;
		memset(desc, 0, sizeof(*desc));
		desc->addr = cpu_to_le64(addr);
		desc->len = cpu_to_le16(len);
		desc->flags = cpu_to_le16(k == n - 1 ? last_flags : 0);
		ring->next_to_use = (idx + 1) & (ring->size - 1);
	}
	writel(ring->next_to_use, ring->regs + OFNIC_Q_TAIL);
out:
	__netif_tx_unlock_bh(txq);
	return err;
}

static void ofnic_inject_tail_oob(struct ofnic_priv *priv)
{
	struct ofnic_ring *ring = &priv->qp[0].tx;
	struct netdev_queue *txq = netdev_get_tx_queue(priv->netdev, 0);

	__netif_tx_lock_bh(txq);
	writel(ring->size, ring->regs + OFNIC_Q_TAIL);
	__netif_tx_unlock_bh(txq);
}

/* Point the descriptor at the device's RX head outside guest memory. */
static int ofnic_inject_rx_bad_addr(struct ofnic_priv *priv)
{
	struct ofnic_ring *ring = &priv->qp[0].rx;
	u32 head = readl(ring->regs + OFNIC_Q_HEAD);
	struct ofnic_rx_desc *desc;

	if (head >= ring->size || head == ring->next_to_use)
		return -EBUSY;	/* no buffer posted at the head */
	desc = (struct ofnic_rx_desc *)ring->desc + head;
	WRITE_ONCE(desc->addr, cpu_to_le64(OFNIC_INJECT_BAD_DMA));
	return 0;
}

static ssize_t ofnic_inject_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct ofnic_priv *priv = file->private_data;
	char cmd[32];
	int err;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';
	strim(cmd);

	rtnl_lock();
	if (!netif_running(priv->netdev) || !priv->qp[0].started) {
		err = -ENETDOWN;
	} else if (!strcmp(cmd, "tx-bad-addr")) {
		err = ofnic_inject_tx(priv, 1, OFNIC_INJECT_BAD_DMA,
				      OFNIC_INJECT_LEN, OFNIC_TXD_EOP);
	} else if (!strcmp(cmd, "tx-zero-len")) {
		err = ofnic_inject_tx(priv, 1, priv->inject_dma, 0,
				      OFNIC_TXD_EOP);
	} else if (!strcmp(cmd, "tx-no-eop-overflow")) {
		err = ofnic_inject_tx(priv, OFNIC_TX_MAX_DESC_PER_PKT + 1,
				      priv->inject_dma, OFNIC_INJECT_LEN, 0);
	} else if (!strcmp(cmd, "tail-oob")) {
		ofnic_inject_tail_oob(priv);
		err = 0;
	} else if (!strcmp(cmd, "rx-bad-addr")) {
		err = ofnic_inject_rx_bad_addr(priv);
	} else {
		err = -EINVAL;
	}
	rtnl_unlock();
	if (!err)
		netdev_info(priv->netdev, "debugfs: injected fault %s\n", cmd);
	return err ? err : count;
}

static const struct file_operations ofnic_inject_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= ofnic_inject_write,
	.llseek	= noop_llseek,
};

static int ofnic_rings_show(struct seq_file *m, void *v)
{
	struct ofnic_priv *priv = m->private;
	unsigned int q;

	seq_printf(m, "status %#x err_count %u err_last %#x\n",
		   ofnic_rd(priv, OFNIC_REG_STATUS),
		   ofnic_rd(priv, OFNIC_REG_ERR_COUNT),
		   ofnic_rd(priv, OFNIC_REG_ERR_LAST));
	for (q = 0; q < priv->num_qp; q++) {
		void __iomem *regs = priv->hw + OFNIC_REG_QP(q);
		static const char * const dir[] = { "tx", "rx" };
		unsigned int d;

		for (d = 0; d < 2; d++) {
			void __iomem *r = regs + (d ? OFNIC_QP_RX : OFNIC_QP_TX);

			seq_printf(m, "%s%u size %u head %u tail %u status %#x errors %u\n",
				   dir[d], q, readl(r + OFNIC_Q_SIZE),
				   readl(r + OFNIC_Q_HEAD), readl(r + OFNIC_Q_TAIL),
				   readl(r + OFNIC_Q_STATUS),
				   readl(r + OFNIC_Q_ERRORS));
		}
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ofnic_rings);

/*
 * The device's flow table as it stands: a line per valid entry, its action
 * and the frames it decided (HITS, counted since the entry was written).
 * The first priv->flow_user entries are ntuple rules at their ethtool
 * location, the rest aRFS entries.
 */
static int ofnic_flow_table_show(struct seq_file *m, void *v)
{
	static const char * const act[] = { "queue", "context", "drop", "drop" };
	struct ofnic_priv *priv = m->private;
	u64 steered, expired;
	unsigned int i;

	if (!(priv->features & OFNIC_F_FLOW))
		return 0;
	spin_lock_bh(&priv->arfs_lock);
	steered = priv->arfs_steered;
	expired = priv->arfs_expired;
	spin_unlock_bh(&priv->arfs_lock);
	seq_printf(m, "arfs steered %llu expired %llu\n", steered, expired);
	for (i = 0; i < priv->flow_user + priv->flow_arfs; i++) {
		u32 ctrl = ofnic_rd(priv, OFNIC_REG_FLOW(i) + OFNIC_FLOW_CTRL);
		u32 arg = ofnic_rd(priv, OFNIC_REG_FLOW(i) + OFNIC_FLOW_ARG);

		if (!(ctrl & OFNIC_FLC_VALID))
			continue;
		seq_printf(m, "%s %u type %u %s %u context %u hits %llu\n",
			   i < priv->flow_user ? "rule" : "arfs",
			   i < priv->flow_user ? i : i - priv->flow_user,
			   FIELD_GET(OFNIC_FLC_TYPE_MASK, ctrl),
			   act[FIELD_GET(OFNIC_FLC_ACTION_MASK, ctrl)],
			   FIELD_GET(OFNIC_FLOW_ARG_QUEUE_MASK, arg),
			   FIELD_GET(OFNIC_FLOW_ARG_CTX_MASK, arg),
			   ofnic_flow_hits(priv, i));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ofnic_flow_table);

void ofnic_debugfs_add(struct ofnic_priv *priv)
{
	struct device *dev = &priv->pdev->dev;

	priv->inject_buf = dmam_alloc_coherent(dev, OFNIC_INJECT_LEN,
					       &priv->inject_dma, GFP_KERNEL);
	priv->dbg_dir = debugfs_create_dir(pci_name(priv->pdev),
					   ofnic_dbg_root);
	debugfs_create_file("rings", 0400, priv->dbg_dir, priv,
			    &ofnic_rings_fops);
	debugfs_create_file("flow_table", 0400, priv->dbg_dir, priv,
			    &ofnic_flow_table_fops);
	if (priv->inject_buf)
		debugfs_create_file("inject", 0200, priv->dbg_dir, priv,
				    &ofnic_inject_fops);
}

void ofnic_debugfs_remove(struct ofnic_priv *priv)
{
	debugfs_remove_recursive(priv->dbg_dir);
	priv->dbg_dir = NULL;
}

void ofnic_debugfs_init(void)
{
	ofnic_dbg_root = debugfs_create_dir(OFNIC_DRV_NAME, NULL);
}

void ofnic_debugfs_exit(void)
{
	debugfs_remove_recursive(ofnic_dbg_root);
}
