/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ofnic: driver-private definitions. The hardware interface itself is in
 * include/ofnic_hw.h, shared with the device model.
 */
#ifndef _OFNIC_H_
#define _OFNIC_H_

#include <linux/debugfs.h>
#include <linux/dim.h>
#include <linux/ethtool.h>
#include <linux/io.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <net/xdp.h>

#include "ofnic_hw.h"

#define OFNIC_DRV_NAME		"ofnic"
#define OFNIC_DEF_RING		512
#define OFNIC_TX_WAKE_THRESH	(2 * (MAX_SKB_FRAGS + 2))
#define OFNIC_TX_STOP_THRESH	(MAX_SKB_FRAGS + 2)
#define OFNIC_TX_TIMEOUT	(5 * HZ)
#define OFNIC_MAX_MTU		9000
/* A coalesced frame: below 64 KiB past the Ethernet header, GRO's limit. */
#define OFNIC_LRO_MAX_FRAME	(ETH_HLEN + GRO_LEGACY_MAX_SIZE - 1)
#define OFNIC_HDR_BUF_LEN	256	/* HDS header buffer per RX slot */
#define OFNIC_ITR_MAX		0xffff	/* usecs and frames */

/*
 * RX buffers are whole pages from the page_pool: headroom (room for an XDP
 * program's headers and the xdp_frame), data, skb_shared_info.
 */
#define OFNIC_RX_HEADROOM	XDP_PACKET_HEADROOM
#define OFNIC_RX_TAILROOM	SKB_DATA_ALIGN(sizeof(struct skb_shared_info))
#define OFNIC_RX_BUF_LEN	\
	((PAGE_SIZE - OFNIC_RX_HEADROOM - OFNIC_RX_TAILROOM) & ~63UL)
/* XDP sees a frame in one buffer (no multi-buffer XDP): the MTU it allows. */
#define OFNIC_XDP_MAX_MTU	(OFNIC_RX_BUF_LEN - ETH_HLEN - VLAN_HLEN)

struct ofnic_tx_buf {
	struct sk_buff *skb;	/* set on the packet's first slot */
	struct xdp_frame *xdpf;	/* XDP TX ring: the frame of this slot */
	dma_addr_t dma;
	u32 len;
	u16 eop;		/* first slot: index of the packet's last slot */
	u8 mapped_page;		/* frag mapping (dma_unmap_page) */
	u8 xsk;			/* XDP TX ring: an AF_XDP zero-copy frame */
	u8 own_pool;		/* XDP TX ring: XDP_TX of the owner's page_pool */
	u8 injected;		/* debugfs fault injection: nothing mapped */
	u32 bytes;		/* first slot: bytes accounted to BQL */
};

/*
 * Counters with one writer each: NAPI (or, for an XDP TX ring, whoever holds
 * xdp_lock) writes struct ofnic_ring_stats; ndo_start_xmit, under the TX
 * queue's lock, writes struct ofnic_xmit_stats. Each has its own syncp.
 */
struct ofnic_ring_stats {
	u64 packets;		/* RX: wire packets (a coalesced frame: its segments) */
	u64 bytes;
	u64 drops;		/* TX: completed with an error; RX: bad frame */
	u64 len_errors;		/* RX: lengths or metadata the device got wrong */
	u64 alloc_fail;		/* RX: page_pool allocation failed */
	u64 stop;		/* TX: queue stopped (merged from ofnic_xmit_stats) */
	u64 wake;		/* TX: queue woken */
	u64 restarts;		/* RX: pair recovered (written while NAPI is off) */
	u64 csum;		/* TX: CHECKSUM_PARTIAL offloaded; RX: verified */
	u64 csum_bad;		/* RX: device found a bad L3/L4 checksum */
	u64 csum_none;		/* RX: not checked by the device */
	u64 gso_packets;	/* TX: TSO requests; RX: LRO frames */
	u64 gso_bytes;
	u64 gso_wire_packets;	/* segments on the wire */
	u64 gso_wire_bytes;
	u64 hds;		/* RX: frames with headers split off */
	/* RX, the XDP program's verdicts */
	u64 xdp_pass;
	u64 xdp_drop;
	u64 xdp_tx;		/* queued on the XDP TX ring */
	u64 xdp_tx_err;		/* XDP_TX that could not be queued */
	u64 xdp_redirect;
	u64 xdp_redirect_err;
	u64 xdp_aborted;	/* XDP_ABORTED and invalid verdicts */
	u64 xdp_xmit;		/* XDP TX ring: frames from ndo_xdp_xmit */
	u64 xdp_xmit_err;	/* ndo_xdp_xmit frames not queued */
};

struct ofnic_xmit_stats {
	u64 drops;		/* not sent: too long, mapping failure */
	u64 stop;
	u64 csum;
	u64 gso_packets;
	u64 gso_bytes;
	u64 gso_wire_packets;
	u64 gso_wire_bytes;
};

struct ofnic_ring {
	struct ofnic_qp *qp;
	void __iomem *regs;		/* the ring's register block */
	void *desc;			/* OFNIC_DESC_SIZE * size */
	dma_addr_t desc_dma;
	u32 size;
	u32 buf_len;			/* RX: bytes per data buffer */
	u32 next_to_use;		/* next slot the driver fills */
	u32 next_to_clean;		/* next slot the driver reaps */
	union {
		struct ofnic_tx_buf *tx_buf;
		struct page **rx_page;
		struct xdp_buff **rx_xsk;	/* AF_XDP zero-copy queue */
	};
	void *hdr_buf;			/* RX, HDS: OFNIC_HDR_BUF_LEN per slot */
	dma_addr_t hdr_dma;
	spinlock_t xdp_lock;		/* XDP TX ring: posting (NAPI, xmit) */
	struct ofnic_ring_stats stats;
	struct u64_stats_sync syncp;
	struct ofnic_xmit_stats xstats;	/* TX ring: ndo_start_xmit's */
	struct u64_stats_sync xsyncp;
};

struct ofnic_qp {
	struct ofnic_priv *priv;
	unsigned int idx;
	void __iomem *regs;		/* OFNIC_REG_QP(idx) */
	struct napi_struct napi;
	struct ofnic_ring tx;
	struct ofnic_ring rx;
	struct page_pool *page_pool;
	struct xdp_rxq_info xdp_rxq;
	/*
	 * While an XDP program is attached, queue pair i has a dedicated XDP
	 * TX ring: the TX ring of queue pair num_qp + i, cleaned by pair i's
	 * NAPI (xdp_owner of that pair points back to pair i).
	 */
	struct ofnic_ring *xdp_ring;
	struct ofnic_qp *xdp_owner;
	struct xsk_buff_pool *xsk_pool;	/* AF_XDP zero-copy on this queue */
	bool xdp_redirected;		/* xdp_do_flush() due at end of poll */
	struct sk_buff *rx_skb;		/* frame being assembled (multi-buffer) */
	struct sk_buff *rx_tail;	/* last skb of rx_skb's frag_list */
	u32 rx_bufs;			/* buffers in rx_skb */
	struct ofnic_rx_wb rx_first;	/* its first descriptor's write-back */
	struct dim dim;			/* adaptive RX moderation */
	u16 irq_events;
	int irq;
	bool started;
	char irq_name[IFNAMSIZ + 16];
};

/* Device-wide counters read from the device (OFNIC_REG_STAT). */
struct ofnic_hw_stat_desc {
	const char *name;
	unsigned int reg;
};

/*
 * The flow table: ethtool ntuple rules at their locations in the lower half
 * (a lower index wins), aRFS entries in the upper half. The device says how
 * many entries it has (priv->flow_user + priv->flow_arfs, at most these).
 */
#define OFNIC_FLOW_USER		(OFNIC_FLOW_ENTRIES / 2)
#define OFNIC_FLOW_ARFS		(OFNIC_FLOW_ENTRIES - OFNIC_FLOW_USER)

struct ofnic_ntuple {
	struct ethtool_rx_flow_spec fs;	/* as given, location filled in */
	u32 rss_context;		/* FLOW_RSS rules */
};

/* One aRFS entry: a received flow's tuple in the table's word layout. */
struct ofnic_arfs {
	bool used;
	bool v6;
	u8 proto;
	u16 rxq;
	u32 flow_id;
	u32 src[4], dst[4];
	u32 ports;
};

/* The driver's part of an RSS context (ethtool_rxfh_context_priv()). */
struct ofnic_rss_ctx {
	u32 hash_types;		/* OFNIC_RSS_HT_* */
};

struct ofnic_priv {
	struct pci_dev *pdev;
	struct net_device *netdev;
	void __iomem *hw;
	u32 features;			/* OFNIC_REG_FEATURES */
	u32 max_qp;			/* OFNIC_REG_MAX_QP */
	u32 num_qp;			/* queue pairs in use */
	bool up;			/* ofnic_open() succeeded, no stop since */
	u32 tx_ring_size;
	u32 rx_ring_size;
	bool hds;			/* tcp-data-split on */
	u32 rss_hash_types;		/* OFNIC_RSS_HT_* */
	/* RX_CTRL writers: ndo_set_rx_mode (addr lock) and set_features (RTNL) */
	spinlock_t rx_ctrl_lock;
	netdev_features_t rx_features;	/* the features RX_CTRL was built from */
	u8 rss_key[OFNIC_RSS_KEY_LEN];
	u32 rss_indir[OFNIC_RSS_RETA_SIZE];
	struct {
		u32 rx_usecs, rx_frames, tx_usecs, tx_frames;
		bool adaptive_rx;
	} itr;
	struct bpf_prog *xdp_prog;	/* native XDP program, or NULL */
	bool xdp_rings;			/* XDP TX rings allocated (open) */
	DECLARE_BITMAP(xsk_zc, OFNIC_MAX_QP);	/* queues bound to AF_XDP ZC */
	struct ofnic_qp *qp;		/* max_qp entries, live for the device */
	int admin_irq;
	char admin_irq_name[32];
	struct work_struct reset_work;	/* recover rings a device error halted */
	unsigned long restart_req;	/* queue pairs to restart (TX timeout) */
	u64 reset_count;
	u64 admin_irqs;
	struct dentry *dbg_dir;
	u32 flow_user;			/* ntuple rule entries (F_FLOW) */
	u32 flow_arfs;			/* aRFS entries, after them */
	u32 rss_contexts;		/* RSS contexts, context 0 included */
	struct ofnic_ntuple *ntuple;	/* flow_user entries (RTNL) */
	DECLARE_BITMAP(ntuple_used, OFNIC_FLOW_USER);
	spinlock_t arfs_lock;		/* arfs[], arfs_on, from the RX softirq */
	bool arfs_on;			/* steering allowed (open, ntuple on) */
	struct ofnic_arfs arfs[OFNIC_FLOW_ARFS];
	struct delayed_work arfs_expire;
	u64 arfs_steered;		/* entries written (new or moved) */
	u64 arfs_expired;		/* entries the stack let go */
	/* fault injection: DMA-able scratch the injected descriptors point at */
	void *inject_buf;
	dma_addr_t inject_dma;
};

static inline u32 ofnic_rd(struct ofnic_priv *priv, u32 reg)
{
	return readl(priv->hw + reg);
}

static inline void ofnic_wr(struct ofnic_priv *priv, u32 reg, u32 val)
{
	writel(val, priv->hw + reg);
}

/*
 * The device's 64-bit counters (LO at reg, HI at reg + 4) are not latched:
 * read HI, LO, HI and retry while HI moved (a few times at most: the device
 * is not trusted to settle).
 */
static inline u64 ofnic_rd64(struct ofnic_priv *priv, u32 reg)
{
	u32 hi, lo, tries = 3;

	hi = ofnic_rd(priv, reg + 4);
	do {
		u32 hi2;

		lo = ofnic_rd(priv, reg);
		hi2 = ofnic_rd(priv, reg + 4);
		if (hi2 == hi)
			break;
		hi = hi2;
	} while (--tries);
	return lo | (u64)hi << 32;
}

static inline u64 ofnic_rd_stat(struct ofnic_priv *priv, unsigned int i)
{
	return ofnic_rd64(priv, OFNIC_REG_STAT(i));
}

static inline u32 ofnic_ring_unused(const struct ofnic_ring *ring)
{
	/* acquire: pairs with the cleaner's release of the slots it freed */
	return (smp_load_acquire(&ring->next_to_clean) - ring->next_to_use - 1) &
	       (ring->size - 1);
}

static inline u32 ofnic_next(const struct ofnic_ring *ring, u32 i)
{
	return (i + 1) & (ring->size - 1);
}

static inline struct ofnic_tx_desc *ofnic_tx_desc(struct ofnic_ring *ring,
						  u32 i)
{
	return (struct ofnic_tx_desc *)ring->desc + i;
}

static inline struct ofnic_rx_desc *ofnic_rx_desc(struct ofnic_ring *ring,
						  u32 i)
{
	return (struct ofnic_rx_desc *)ring->desc + i;
}

static inline struct ofnic_rx_wb *ofnic_rx_wb(struct ofnic_ring *ring, u32 i)
{
	return (struct ofnic_rx_wb *)ring->desc + i;
}

/* XDP rings are in use: queue pairs num_qp..2*num_qp-1 lend their TX ring. */
static inline bool ofnic_xdp_on(const struct ofnic_priv *priv)
{
	return !!READ_ONCE(priv->xdp_prog);
}

/* Every frame must arrive in one buffer: XDP or AF_XDP zero-copy in use. */
static inline bool ofnic_whole_frames(const struct ofnic_priv *priv)
{
	return ofnic_xdp_on(priv) || !bitmap_empty(priv->xsk_zc, OFNIC_MAX_QP);
}

/* ofnic_txrx.c */
int ofnic_qp_alloc(struct ofnic_qp *qp);
void ofnic_qp_free(struct ofnic_qp *qp);
int ofnic_qp_start(struct ofnic_qp *qp);
void ofnic_qp_stop(struct ofnic_qp *qp);
int ofnic_qp_restart(struct ofnic_qp *qp);
int ofnic_poll(struct napi_struct *napi, int budget);
netdev_tx_t ofnic_start_xmit(struct sk_buff *skb, struct net_device *netdev);
irqreturn_t ofnic_qp_irq(int irq, void *data);
void ofnic_ring_stats_read(struct ofnic_ring *ring, struct ofnic_ring_stats *s);
void ofnic_stat_add(struct ofnic_ring *ring, u64 *counter, u64 n);
void ofnic_xmit_stats_read(struct ofnic_ring *ring, struct ofnic_xmit_stats *x);
int ofnic_ring_alloc(struct ofnic_qp *qp, struct ofnic_ring *ring, u32 size,
		     size_t buf_size);
void ofnic_ring_free(struct ofnic_qp *qp, struct ofnic_ring *ring);
int ofnic_ring_hw_start(struct ofnic_ring *ring, bool rx);
void ofnic_tx_desc_set(struct ofnic_ring *ring, u32 i, dma_addr_t dma, u32 len,
		       u16 flags);
void ofnic_tx_stats_commit(struct ofnic_ring *ring, unsigned int pkts,
			   unsigned int bytes, unsigned int errs);
void ofnic_rx_deliver(struct ofnic_qp *qp, struct sk_buff *skb,
		      struct ofnic_ring_stats *st);
void ofnic_rx_stats_commit(struct ofnic_ring *ring,
			   const struct ofnic_ring_stats *st);

void ofnic_qp_set_itr(struct ofnic_qp *qp);
void ofnic_dim_work(struct work_struct *work);
void ofnic_dim_cancel(struct ofnic_qp *qp);

/* ofnic_netdev.c */
struct net_device *ofnic_netdev_alloc(struct pci_dev *pdev, void __iomem *hw,
				      u32 max_qp);
int ofnic_open(struct net_device *netdev);
int ofnic_stop(struct net_device *netdev);
void ofnic_update_link(struct ofnic_priv *priv);
void ofnic_write_rss(struct ofnic_priv *priv);
void ofnic_write_rx_ctrl(struct ofnic_priv *priv);
int ofnic_reconfigure(struct net_device *netdev, u32 num_qp, u32 tx_ring,
		      u32 rx_ring, bool hds);

/* ofnic_xdp.c */
enum ofnic_xdp_res {
	OFNIC_XDP_PASS,		/* build an skb from the (possibly changed) frame */
	OFNIC_XDP_CONSUMED,	/* the program kept, sent or dropped the frame */
};

int ofnic_bpf(struct net_device *netdev, struct netdev_bpf *bpf);
int ofnic_xdp_xmit(struct net_device *netdev, int n, struct xdp_frame **frames,
		   u32 flags);
enum ofnic_xdp_res ofnic_rx_xdp(struct ofnic_qp *qp, struct bpf_prog *prog,
				struct page *page, u32 *off, u32 *len,
				u32 *metasize, struct ofnic_ring_stats *st);
void ofnic_xdp_tx_doorbell(struct ofnic_qp *qp);
void ofnic_xdp_clean_tx(struct ofnic_qp *qp, struct ofnic_ring *ring);
int ofnic_xdp_rings_open(struct ofnic_priv *priv);
int ofnic_xdp_rings_start(struct ofnic_priv *priv);
int ofnic_xdp_ring_restart(struct ofnic_priv *priv, unsigned int i);
void ofnic_xdp_rings_stop(struct ofnic_priv *priv);
void ofnic_xdp_rings_free(struct ofnic_priv *priv);
void ofnic_xdp_arm(struct ofnic_ring *ring);
extern const struct xdp_metadata_ops ofnic_xdp_metadata_ops;
bool ofnic_xdp_tx_frame(struct ofnic_qp *qp, struct xdp_frame *xdpf);
u32 ofnic_xdp_act(struct ofnic_qp *qp, struct bpf_prog *prog,
		  struct xdp_buff *xdp, struct ofnic_ring_stats *st, bool zc);

/* ofnic_xsk.c: AF_XDP zero-copy */
int ofnic_xsk_pool_setup(struct net_device *netdev, struct xsk_buff_pool *pool,
			 u16 qid, struct netlink_ext_ack *extack);
int ofnic_xsk_wakeup(struct net_device *netdev, u32 qid, u32 flags);
int ofnic_xsk_rxq_setup(struct ofnic_qp *qp);
bool ofnic_xsk_rx_fill(struct ofnic_qp *qp);
int ofnic_xsk_clean_rx(struct ofnic_qp *qp, int budget);
void ofnic_xsk_rx_flush(struct ofnic_qp *qp);
void ofnic_xsk_xmit(struct ofnic_qp *qp, int budget);

/* ofnic_ethtool.c */
void ofnic_set_ethtool_ops(struct net_device *netdev);

/* ofnic_flow.c: the flow table (ntuple, aRFS) and RSS contexts */
int ofnic_flow_init(struct ofnic_priv *priv);
int ofnic_flow_rules_fit(struct ofnic_priv *priv, u32 ctx_id, const u32 *indir,
			 u32 num_qp, struct netlink_ext_ack *extack);
int ofnic_flow_channels_fit(struct ofnic_priv *priv, u32 num_qp);
void ofnic_flow_free(struct ofnic_priv *priv);
void ofnic_flow_restore(struct ofnic_priv *priv);
u64 ofnic_flow_hits(struct ofnic_priv *priv, unsigned int i);
int ofnic_flow_get_rxnfc(struct ofnic_priv *priv, struct ethtool_rxnfc *nfc,
			 u32 *rule_locs);
int ofnic_flow_set_rxnfc(struct ofnic_priv *priv, struct ethtool_rxnfc *nfc);
int ofnic_create_rxfh_context(struct net_device *netdev,
			      struct ethtool_rxfh_context *ctx,
			      const struct ethtool_rxfh_param *rxfh,
			      struct netlink_ext_ack *extack);
int ofnic_modify_rxfh_context(struct net_device *netdev,
			      struct ethtool_rxfh_context *ctx,
			      const struct ethtool_rxfh_param *rxfh,
			      struct netlink_ext_ack *extack);
int ofnic_remove_rxfh_context(struct net_device *netdev,
			      struct ethtool_rxfh_context *ctx, u32 id,
			      struct netlink_ext_ack *extack);
int ofnic_get_rxfh_fields(struct net_device *netdev,
			  struct ethtool_rxfh_fields *fields);
int ofnic_set_rxfh_fields(struct net_device *netdev,
			  const struct ethtool_rxfh_fields *fields,
			  struct netlink_ext_ack *extack);
#ifdef CONFIG_RFS_ACCEL
int ofnic_rx_flow_steer(struct net_device *netdev, const struct sk_buff *skb,
			u16 rxq, u32 flow_id);
int ofnic_arfs_open(struct ofnic_priv *priv);
int ofnic_arfs_add_irq(struct ofnic_priv *priv, int irq);
void ofnic_arfs_close(struct ofnic_priv *priv);
void ofnic_arfs_set(struct ofnic_priv *priv, bool on);
#else
static inline int ofnic_arfs_open(struct ofnic_priv *priv) { return 0; }
static inline int ofnic_arfs_add_irq(struct ofnic_priv *priv, int irq)
{
	return 0;
}

static inline void ofnic_arfs_close(struct ofnic_priv *priv) { }
static inline void ofnic_arfs_set(struct ofnic_priv *priv, bool on) { }
#endif

/* ofnic_debugfs.c */
void ofnic_debugfs_init(void);
void ofnic_debugfs_exit(void);
void ofnic_debugfs_add(struct ofnic_priv *priv);
void ofnic_debugfs_remove(struct ofnic_priv *priv);

/* ofnic_genl.c */
int ofnic_genl_init(void);
void ofnic_genl_exit(void);

#endif /* _OFNIC_H_ */
