/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ofdma.ko: dmaengine driver of the ofdma memory-copy engine
 * (docs/ofdma-spec.md, include/ofdma_hw.h).
 */
#ifndef OFDMA_H
#define OFDMA_H

#include <linux/dmaengine.h>
#include <linux/interrupt.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "ofdma_hw.h"

#define OFDMA_DRV_NAME		"ofdma"
#define OFDMA_RING_SLOTS	1024	/* descriptors per channel ring */
/* A bus address no memory answers at (beyond any RAM the VM has). */
#define OFDMA_NO_MEMORY		0xfff0000000ULL
/* Failed descriptor ranges a channel remembers for tx_status (power of two). */
#define OFDMA_ERR_RANGES	16

/* Counters of one channel; names are the debugfs "stats" keys. */
struct ofdma_chan_stats {
	u64 submitted;		/* descriptors submitted */
	u64 completed;		/* descriptors completed without error */
	u64 bytes;		/* bytes they copied */
	u64 errors;		/* descriptors the device failed */
	u64 aborted;		/* descriptors dropped by an error or terminate */
	u64 recoveries;		/* channel resets after a halt */
	u64 interrupts;		/* MSI-X messages */
	u64 prep_full;		/* prep refused: ring full */
	u64 bad_records;	/* completion records that did not add up */
	u64 watchdog_reaps;	/* completions found by the watchdog, not an interrupt */
};

/*
 * A descriptor as the client sees it: taken from the channel's free list by
 * prep, written into the ring by tx_submit, back on the free list once
 * completed.
 */
struct ofdma_sw_desc {
	struct dma_async_tx_descriptor txd;
	struct list_head node;	/* on the free list */
	u64 src;
	u64 dst;
	u32 len;
	u32 hw_flags;
	enum dmaengine_tx_result result;	/* set when completed */
};

/* Descriptors ofdma_process or terminate failed: sequence numbers lo..hi. */
struct ofdma_err_range {
	u64 lo;
	u64 hi;
};

struct ofdma_dev;

struct ofdma_chan {
	struct dma_chan chan;
	struct ofdma_dev *od;
	unsigned int idx;
	void __iomem *regs;
	int irq;
	bool irq_ok;
	struct tasklet_struct tasklet;
	/*
	 * Armed while descriptors are issued: completions whose interrupt was
	 * lost (or never asked for) are reaped anyway. irq_seen: an interrupt
	 * came since the watchdog last looked.
	 */
	struct timer_list watchdog;
	bool irq_seen;

	spinlock_t lock;	/* everything below */
	struct ofdma_desc *ring;
	dma_addr_t ring_dma;
	struct ofdma_cmpl *cmpl;
	dma_addr_t cmpl_dma;
	struct ofdma_sw_desc *sw;	/* OFDMA_RING_SLOTS - 1 of them */
	struct list_head free;		/* sw descriptors prep may hand out */
	/* the sw descriptor of each outstanding sequence number, at seq % slots */
	struct ofdma_sw_desc **seq_sw;
	/*
	 * Descriptor sequence numbers: base maps to slot 0 since the last
	 * enable; [completed, issued) are the device's, [issued, submitted)
	 * wait for a doorbell, [cb_done, completed) for the tasklet to run
	 * their callbacks.
	 */
	u64 base;
	u64 cb_done;
	u64 submitted;
	u64 issued;
	u64 completed;
	bool halted;		/* aborting outstanding descriptors */
	u32 last_err;		/* OFDMA_ERR_* of the last halt */
	/*
	 * Descriptors that ended in error, for tx_status (DMA_ERROR): the last
	 * OFDMA_ERR_RANGES ranges of sequence numbers, oldest at err_head, and
	 * the span [evict_lo, evict_hi] that covers every range pushed out
	 * since the client took the channel (all of it reads as failed).
	 */
	struct ofdma_err_range err[OFDMA_ERR_RANGES];
	unsigned int err_head;
	unsigned int err_count;
	bool evicted;
	u64 evict_lo;
	u64 evict_hi;
	struct ofdma_chan_stats stats;
	struct {		/* the last record refused, counted once */
		u64 done;
		u32 last_desc, status, err_desc;
	} bad;
	atomic_t poison;	/* fault injection: spoil the next N client descriptors */
	atomic_t refuse;	/* fault injection: refuse the next N client preps */
	atomic_t stall;		/* fault injection: no doorbell until terminate_all */
};

struct ofdma_dev {
	struct dma_device dma;
	struct pci_dev *pdev;
	void __iomem *bar;
	unsigned int nchan;
	bool gone;		/* removed: channels still held must not touch it */
	struct dentry *dbg;
	struct list_head genl_node;	/* on the netlink family's device list */
	u32 genl_id;		/* its position there: dumps resume by it */
	struct mutex dbg_lock;	/* debugfs inject/bench */
	char inject_result[128];
	char bench_result[256];
	char cbcheck_result[128];
	char *poll_result;	/* debugfs pollcheck, kmalloc'ed */
	struct work_struct free_work;	/* frees it after the last reference */
	struct ofdma_chan chan[] __counted_by(nchan);
};

static inline struct ofdma_chan *to_ofdma_chan(struct dma_chan *c)
{
	return container_of(c, struct ofdma_chan, chan);
}

void ofdma_read_stats(struct ofdma_chan *c, struct ofdma_chan_stats *out);
u32 ofdma_chan_status(struct ofdma_chan *c);
struct dma_async_tx_descriptor *ofdma_prep_raw(struct ofdma_chan *c, u64 dst,
					       u64 src, u32 len, u32 hw_flags,
					       unsigned long flags);
void ofdma_debugfs_init(struct ofdma_dev *od);
void ofdma_debugfs_exit(struct ofdma_dev *od);
int ofdma_debugfs_module_init(void);
void ofdma_debugfs_module_exit(void);
void ofdma_genl_add(struct ofdma_dev *od);
void ofdma_genl_del(struct ofdma_dev *od);
int ofdma_genl_init(void);
void ofdma_genl_exit(void);

#endif /* OFDMA_H */
