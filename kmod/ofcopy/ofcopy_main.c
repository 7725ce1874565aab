// SPDX-License-Identifier: GPL-2.0
/*
 * ofcopy.ko: TCP receive copy offload, NET_DMA rebuilt as a TCP ULP.
 *
 * setsockopt(fd, SOL_TCP, TCP_ULP, "ofcopy") swaps the socket's proto for a
 * copy whose recvmsg copies the payload into the reader's buffer with a
 * dmaengine DMA_MEMCPY channel. Per batch, with the socket lock held all along:
 *
 *   1. take up to batch_kb KiB of queued payload (tcp_recv_skb; the skbs stay
 *      on sk_receive_queue, nothing is consumed),
 *   2. pin the user pages (iov_iter_extract_pages: FOLL_PIN, advances the iter),
 *   3. map source regions (skb head, frags, frag_list) and destination pages with
 *      the engine's device, submit one descriptor per piece, one doorbell,
 *   4. if more payload is queued, start the next batch the same way (its
 *      descriptors queue behind this one's on the engine),
 *   5. sleep until this batch's last descriptor completed (other tasks,
 *      softirqs and the NIC keep working: arriving segments queue on the
 *      socket backlog),
 *   6. unmap, unpin (dirty), then tcp_read_done() consumes the bytes (frees the
 *      skbs, updates the window, ACKs); the next batch becomes this one.
 *
 * So the CPU pins, maps and submits batch k+1 while the engine copies batch k.
 * That is as far as overlap goes on 6.12: NET_DMA's early copy from the
 * softirq (tcp_dma_try_early_copy on the prequeue) has no hook left, and the
 * backlog must not be processed while descriptors are in flight.
 *
 * Invariants: no descriptor is in flight when the socket lock is released or
 * recvmsg returns, and the skbs a descriptor reads stay queued until it
 * completed (the lock keeps tcp_prune_queue/collapse away). Any error or
 * timeout re-copies the whole batch with the CPU from the still-queued skbs
 * into the still-pinned pages, and a descriptor the engine refuses leaves the
 * rest of its batch to the CPU; the CPU writes a page only once it is
 * unmapped. Small batches, short reads, MSG_PEEK and other special cases use
 * the CPU (see the fallback counters).
 */
#include <linux/debugfs.h>
#include <linux/dmaengine.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/transp_v6.h>

#include "ofcopy.h"

static unsigned int channels = 2;
module_param(channels, uint, 0444);
MODULE_PARM_DESC(channels, "DMA_MEMCPY channels to take privately (default 2; the rest stay for other users)");

bool ofcopy_enabled = true;
unsigned int ofcopy_copybreak = 16384;

/* copybreak=N: the same bound as the netlink family's policy. */
static int ofcopy_copybreak_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (v > OFCOPY_COPYBREAK_MAX)
		return -EINVAL;
	WRITE_ONCE(ofcopy_copybreak, v);
	return 0;
}

static const struct kernel_param_ops ofcopy_copybreak_ops = {
	.set = ofcopy_copybreak_set,
	.get = param_get_uint,
};

module_param_cb(copybreak, &ofcopy_copybreak_ops, &ofcopy_copybreak, 0644);
MODULE_PARM_DESC(copybreak, "reads and batches shorter than this many bytes are copied by the CPU (default 16384, at most 16 MiB; also the ofcopy netlink family's copybreak)");

static unsigned int batch_kb = 256;
module_param(batch_kb, uint, 0644);
MODULE_PARM_DESC(batch_kb, "most KiB copied per DMA batch (default 256, at most 512)");

unsigned int ofcopy_timeout_ms = 2000;

/* timeout_ms=N: the same bounds as the netlink family's policy. */
static int ofcopy_timeout_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(val, 0, &v);
	if (ret)
		return ret;
	if (v < OFCOPY_TIMEOUT_MIN_MS || v > OFCOPY_TIMEOUT_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(ofcopy_timeout_ms, v);
	return 0;
}

static const struct kernel_param_ops ofcopy_timeout_ops = {
	.set = ofcopy_timeout_set,
	.get = param_get_uint,
};

module_param_cb(timeout_ms, &ofcopy_timeout_ops, &ofcopy_timeout_ms, 0644);
MODULE_PARM_DESC(timeout_ms, "wait this long for a batch, then re-copy it with the CPU (default 2000, 1 to 10000; also the ofcopy netlink family's timeout-ms)");

#define OFCOPY_MAX_BATCH	(512 * 1024)
#define OFCOPY_MAX_PAGES	160	/* destination pages in one batch */
#define OFCOPY_MAX_SRC		512	/* mapped source regions in one batch */
#define OFCOPY_MAX_CHANS	16

const char * const ofcopy_counter_names[OFCOPY_NR_COUNTERS] = {
	[OFCOPY_RECV_CALLS] = "recv_calls",
	[OFCOPY_DMA_CALLS] = "dma_calls",
	[OFCOPY_BYTES_DMA] = "bytes_dma",
	[OFCOPY_BYTES_CPU] = "bytes_cpu",
	[OFCOPY_BYTES_BASE] = "bytes_fallback_recvmsg",
	[OFCOPY_BATCHES] = "batches",
	[OFCOPY_DESCS] = "descriptors",
	[OFCOPY_PAGES_PINNED] = "pages_pinned",
	[OFCOPY_PIN_NS] = "pin_ns",
	[OFCOPY_UNPIN_NS] = "unpin_ns",
	[OFCOPY_MAP_NS] = "map_submit_ns",
	[OFCOPY_WAIT_NS] = "dma_wait_ns",
	[OFCOPY_FB_FLAGS] = "fallback_flags",
	[OFCOPY_FB_SHORT] = "fallback_short_read",
	[OFCOPY_FB_ITER] = "fallback_not_user_buffer",
	[OFCOPY_FB_NO_CHANNEL] = "fallback_no_channel",
	[OFCOPY_FB_OTHER] = "fallback_other",
	[OFCOPY_FB_SMALL] = "fallback_small_batch",
	[OFCOPY_FB_PIN] = "fallback_pin_failed",
	[OFCOPY_FB_MAP] = "fallback_map_failed",
	[OFCOPY_FB_PREP] = "fallback_ring_full",
	[OFCOPY_FB_DMA_ERROR] = "fallback_dma_error",
	[OFCOPY_FB_TIMEOUT] = "fallback_timeout",
	[OFCOPY_FB_DISABLED] = "fallback_disabled",
};

static atomic64_t ofcopy_ctr[OFCOPY_NR_COUNTERS];

static void ofcopy_add(enum ofcopy_counter c, u64 v)
{
	atomic64_add(v, &ofcopy_ctr[c]);
}

void ofcopy_read_stats(u64 *vals)
{
	int i;

	for (i = 0; i < OFCOPY_NR_COUNTERS; i++)
		vals[i] = atomic64_read(&ofcopy_ctr[i]);
}

/*
 * A DMA channel ofcopy holds. Batches are submitted under reset_sem held for
 * reading; a batch that times out, or whose reader is killed, terminates the
 * channel under it held for writing. So every batch on the channel was
 * submitted wholly before or wholly after a terminate, and those before are
 * on waits: the terminate wakes each to re-copy with the CPU at once, rather
 * than let it wait out its own timeout and terminate the channel again.
 */
struct ofcopy_chan {
	struct dma_chan *chan;
	struct device *dev;		/* what batches map with */
	struct device *provider;	/* the dmaengine device's parent */
	refcount_t users;		/* the table's, and one per batch */
	struct completion unused;	/* users dropped to 0 */
	struct rw_semaphore reset_sem;
	spinlock_t lock;		/* waits, and the flags of each wait */
	struct list_head waits;
};

/*
 * The channels held. A provider's remove frees parts of its channels (the
 * dmaengine core unregisters chan->dev) whether clients hold them or not, so
 * ofcopy releases a provider's channels when the driver core announces the
 * unbind (ofcopy_bus_notify). Readers find channels under RCU, and a batch
 * holds a reference (users) from choosing its channel until its pages are
 * unmapped. Releasing unpublishes the channel, waits for RCU readers and for
 * those batches, then calls dma_release_channel(), which also waits for a
 * callback still running.
 */
static DEFINE_MUTEX(ofcopy_chans_lock);	/* writers of the table */
static struct ofcopy_chan __rcu *ofcopy_chans[OFCOPY_MAX_CHANS];
static unsigned int ofcopy_slots;	/* entries filled at init */
static unsigned int ofcopy_nchans;	/* still held */

/* One notifier per bus the providers of our channels are on. */
struct ofcopy_bus_nb {
	struct notifier_block nb;
	const struct bus_type *bus;
};

static struct ofcopy_bus_nb ofcopy_bus_nbs[OFCOPY_MAX_CHANS];
static unsigned int ofcopy_nbus;
static struct proto ofcopy_prots[2];	/* IPv4, IPv6 */
static struct dentry *ofcopy_dbg;

struct ofcopy_map {
	dma_addr_t addr;
	u32 len;
	bool single;		/* dma_map_single (skb head), else a page */
};

/*
 * What the callback of a batch's last descriptor reports to the waiter. One
 * per staged batch, refcounted: the waiter's reference, and the callback's
 * while it may run. A batch that timed out terminates the channel and leaves
 * its object behind, so nothing a callback does can reach a later batch.
 */
struct ofcopy_wait {
	refcount_t ref;
	struct completion done;
	struct ofcopy_chan *ch;
	struct list_head node;	/* on ch->waits until the batch is finished */
	/* under ch->lock: */
	bool has_cb;		/* the batch's last descriptor has the callback */
	bool cb_pending;	/* ... which holds a reference and has not run */
	bool failed;		/* the engine reported an error */
	bool reset;		/* a terminate dropped the batch's descriptors */
};

/*
 * A batch: total bytes of queued payload from skb/off (ending at
 * end_skb/end_off) for the pinned pages. Bytes [0, dma_bytes) are described
 * to the engine in order; the CPU copies the rest, and all of it again if the
 * engine fails, always after the pages are unmapped.
 */
struct ofcopy_batch {
	struct page *pages[OFCOPY_MAX_PAGES];
	struct ofcopy_map dst_map[OFCOPY_MAX_PAGES];
	struct ofcopy_map src_map[OFCOPY_MAX_SRC];
	unsigned int npages, nsrc;
	u16 page_first_off;	/* offset of the first byte in pages[0] */
	bool last_cb;		/* the last descriptor carries w's callback */
	struct ofcopy_wait *w;
	struct ofcopy_chan *ch;
	struct sk_buff *skb, *end_skb;
	u32 off, end_off;
	size_t total;
	size_t dma_bytes;
	unsigned int ndma;
	dma_cookie_t last_cookie;
	u64 t_submit;
};

struct ofcopy_ctx {
	struct proto *sk_proto;	/* what recvmsg falls back to */
	/* two, one in flight while the next is built; from the first DMA read */
	struct ofcopy_batch *b;
};

static struct ofcopy_ctx *ofcopy_get_ctx(struct sock *sk)
{
	return (__force struct ofcopy_ctx *)inet_csk(sk)->icsk_ulp_data;
}

/* ---- building a batch --------------------------------------------------------- */

struct ofcopy_build {
	struct ofcopy_batch *b;
	struct device *dev;
	struct dma_chan *chan;
	/* destination cursor */
	unsigned int di;	/* page index */
	u32 doff;		/* offset in that page */
	u32 dleft;		/* bytes left in that page */
	u32 dst_total;		/* pinned bytes not yet assigned */
	u32 placed;		/* bytes submitted to the engine */
	bool stop;		/* the rest is for the CPU */
};

/* Next destination page: bytes pinned in page di (pages are contiguous user memory). */
static void ofcopy_dst_next(struct ofcopy_build *bl)
{
	bl->di++;
	bl->doff = 0;
	bl->dleft = min_t(u32, PAGE_SIZE, bl->dst_total);
}

static void ofcopy_dma_done(void *param, const struct dmaengine_result *res);

/* One descriptor; the last of the batch reports on all of it (in-order channel). */
static bool ofcopy_submit_piece(struct ofcopy_build *bl, dma_addr_t dst, dma_addr_t src,
				u32 len)
{
	struct ofcopy_batch *b = bl->b;
	bool last = bl->placed + len == b->total;
	struct dma_async_tx_descriptor *tx;
	dma_cookie_t cookie;

	tx = dmaengine_prep_dma_memcpy(bl->chan, dst, src, len,
				       DMA_CTRL_ACK | (last ? DMA_PREP_INTERRUPT : 0));
	if (!tx) {
		ofcopy_add(OFCOPY_FB_PREP, 1);
		return false;
	}
	if (last) {
		tx->callback_result = ofcopy_dma_done;
		tx->callback_param = b->w;
		refcount_inc(&b->w->ref);
		b->w->has_cb = true;
		b->w->cb_pending = true;
	}
	cookie = dmaengine_submit(tx);
	if (dma_submit_error(cookie)) {
		if (last) {
			b->w->has_cb = false;
			b->w->cb_pending = false;
			refcount_dec(&b->w->ref);
		}
		ofcopy_add(OFCOPY_FB_PREP, 1);
		return false;
	}
	b->last_cookie = cookie;
	b->last_cb = last;
	b->ndma++;
	return true;
}

/*
 * A contiguous source region (kernel virtual address or a frag page at an
 * offset) of len bytes: map it, cut it at destination page boundaries and
 * submit the pieces. At the first failure the batch stops using the engine.
 */
static void ofcopy_add_region(struct ofcopy_build *bl, const void *vaddr,
			      const skb_frag_t *frag, u32 frag_off, u32 len)
{
	struct ofcopy_batch *b = bl->b;
	dma_addr_t src;
	u32 done = 0;

	if (bl->stop || !len)
		return;
	if (b->nsrc >= OFCOPY_MAX_SRC)
		goto no_map;
	if (vaddr)
		src = dma_map_single(bl->dev, (void *)vaddr, len, DMA_TO_DEVICE);
	else
		src = skb_frag_dma_map(bl->dev, frag, frag_off, len, DMA_TO_DEVICE);
	if (dma_mapping_error(bl->dev, src))
		goto no_map;
	b->src_map[b->nsrc].addr = src;
	b->src_map[b->nsrc].len = len;
	b->src_map[b->nsrc].single = !!vaddr;
	b->nsrc++;

	while (done < len) {
		u32 l;

		if (!bl->dleft) {
			if (!bl->dst_total)
				goto no_map;
			ofcopy_dst_next(bl);
		}
		l = min(len - done, bl->dleft);
		if (!ofcopy_submit_piece(bl, b->dst_map[bl->di].addr + bl->doff,
					 src + done, l)) {
			bl->stop = true;
			return;
		}
		done += l;
		bl->doff += l;
		bl->dleft -= l;
		bl->dst_total -= l;
		bl->placed += l;
	}
	return;
no_map:
	ofcopy_add(OFCOPY_FB_MAP, 1);
	bl->stop = true;
}

/* Walks [off, off + len) of skb (head, frags, frag_list). */
static void ofcopy_walk_skb(struct ofcopy_build *bl, struct sk_buff *skb, u32 off, u32 len)
{
	u32 start = skb_headlen(skb), end;
	struct sk_buff *it;
	int i;

	if (off < start) {
		u32 l = min(start - off, len);

		ofcopy_add_region(bl, skb->data + off, NULL, 0, l);
		off += l;
		len -= l;
	}
	for (i = 0; i < skb_shinfo(skb)->nr_frags && len; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];

		end = start + skb_frag_size(frag);
		if (off < end) {
			u32 l = min(end - off, len);

			ofcopy_add_region(bl, NULL, frag, off - start, l);
			off += l;
			len -= l;
		}
		start = end;
	}
	skb_walk_frags(skb, it) {
		if (!len)
			break;
		end = start + it->len;
		if (off < end) {
			u32 l = min(end - off, len);

			ofcopy_walk_skb(bl, it, off - start, l);
			off += l;
			len -= l;
		}
		start = end;
	}
}

/*
 * Consumes len bytes that were copied to the reader. SO_PEEK_OFF counts from
 * the first unread byte, so it moves back by what is consumed, as in
 * tcp_recvmsg_locked(); else a later MSG_PEEK would skip len bytes.
 */
static void ofcopy_consume(struct sock *sk, size_t len)
{
	tcp_read_done(sk, len);
	sk_peek_offset_bwd(sk, len);
}

/* ---- DMA --------------------------------------------------------------------------- */

static void ofcopy_wait_put(struct ofcopy_wait *w)
{
	if (refcount_dec_and_test(&w->ref))
		kfree(w);
}

static void ofcopy_dma_done(void *param, const struct dmaengine_result *res)
{
	struct ofcopy_wait *w = param;
	unsigned long flags;

	/* The last descriptor of the batch: in-order completion covers the rest. */
	spin_lock_irqsave(&w->ch->lock, flags);
	w->cb_pending = false;
	if (res && res->result != DMA_TRANS_NOERROR)
		w->failed = true;
	complete(&w->done);
	spin_unlock_irqrestore(&w->ch->lock, flags);
	ofcopy_wait_put(w);
}

/*
 * Terminates the channel after a batch timed out (or its reader was killed)
 * and fails every batch submitted to it before: they re-copy with the CPU
 * now. After terminate_sync no callback of those batches runs any more, so
 * a callback that has not run never will; its reference is dropped here.
 */
static void ofcopy_chan_reset(struct ofcopy_chan *ch)
{
	struct ofcopy_wait *w;

	down_write(&ch->reset_sem);
	dmaengine_terminate_sync(ch->chan);
	spin_lock_irq(&ch->lock);
	list_for_each_entry(w, &ch->waits, node) {
		/* a callback that ran reported the whole batch copied */
		if (w->has_cb && !w->cb_pending)
			continue;
		w->reset = true;
		if (w->cb_pending) {
			w->cb_pending = false;
			refcount_dec(&w->ref);	/* the waiter holds one too */
		}
		complete(&w->done);
	}
	spin_unlock_irq(&ch->lock);
	up_write(&ch->reset_sem);
}

/*
 * The CPU copies bytes [from, total) of the batch from the still-queued skbs
 * into the pinned pages. The pages must be unmapped by then: unmapping a
 * DMA_FROM_DEVICE mapping may copy a bounce buffer (swiotlb) over them.
 */
static void ofcopy_cpu_copy(struct ofcopy_batch *b, size_t from)
{
	size_t pos = 0;		/* batch offset of s at o */
	struct sk_buff *s;

	for (s = b->skb; pos < b->total; s = s->next) {
		u32 o = s == b->skb ? b->off : 0;
		size_t l = min_t(size_t, s->len - o, b->total - pos);
		size_t k = from > pos ? from - pos : 0;

		while (k < l) {
			size_t at = b->page_first_off + pos + k;
			u32 po = at % PAGE_SIZE;
			u32 c = min_t(size_t, PAGE_SIZE - po, l - k);
			void *to = kmap_local_page(b->pages[at / PAGE_SIZE]);

			skb_copy_bits(s, o + k, to + po, c);
			kunmap_local(to);
			k += c;
		}
		pos += l;
	}
}

static void ofcopy_unmap(struct ofcopy_batch *b, struct device *dev)
{
	unsigned int i;

	for (i = 0; i < b->nsrc; i++) {
		if (b->src_map[i].single)
			dma_unmap_single(dev, b->src_map[i].addr, b->src_map[i].len,
					 DMA_TO_DEVICE);
		else
			dma_unmap_page(dev, b->src_map[i].addr, b->src_map[i].len,
				       DMA_TO_DEVICE);
	}
	for (i = 0; i < b->npages; i++) {
		if (b->dst_map[i].len)
			dma_unmap_page(dev, b->dst_map[i].addr, b->dst_map[i].len,
				       DMA_FROM_DEVICE);
		b->dst_map[i].len = 0;
	}
	b->nsrc = 0;
}

static void ofcopy_unpin(struct ofcopy_batch *b)
{
	u64 t0 = ktime_get_ns();

	if (b->npages)
		unpin_user_pages_dirty_lock(b->pages, b->npages, true);
	ofcopy_add(OFCOPY_UNPIN_NS, ktime_get_ns() - t0);
	b->npages = 0;
}

/*
 * Pins up to want bytes of the reader's buffer (one iovec segment after the
 * other, as long as the pages are contiguous user memory: the pieces are laid
 * out over pages[] in order). Returns the bytes pinned (iter advanced by that).
 */
static ssize_t ofcopy_pin(struct ofcopy_batch *b, struct iov_iter *iter, size_t want)
{
	u64 t0 = ktime_get_ns();
	struct page **pages = b->pages;
	size_t off0 = 0;
	ssize_t n;

	b->npages = 0;
	/* One segment: the pieces assume pages[] is one contiguous user range. */
	n = iov_iter_extract_pages(iter, &pages, want, OFCOPY_MAX_PAGES, 0, &off0);
	ofcopy_add(OFCOPY_PIN_NS, ktime_get_ns() - t0);
	if (n <= 0)
		return n ?: -EFAULT;
	b->npages = DIV_ROUND_UP(off0 + n, PAGE_SIZE);
	b->page_first_off = off0;
	ofcopy_add(OFCOPY_PAGES_PINNED, b->npages);
	return n;
}

/* Maps the pinned pages for the device (the used part of each). */
static int ofcopy_map_dst(struct ofcopy_batch *b, struct device *dev, size_t bytes)
{
	unsigned int i;
	size_t left = bytes;

	for (i = 0; i < b->npages; i++) {
		u32 off = i ? 0 : b->page_first_off;
		u32 l = min_t(size_t, PAGE_SIZE - off, left);
		dma_addr_t a = dma_map_page(dev, b->pages[i], off, l, DMA_FROM_DEVICE);

		if (dma_mapping_error(dev, a)) {
			for (; i < b->npages; i++)
				b->dst_map[i].len = 0;
			return -EIO;
		}
		b->dst_map[i].addr = a;
		b->dst_map[i].len = l;
		left -= l;
	}
	return 0;
}

/* Where the payload after batch b starts; false if nothing more is queued. */
static bool ofcopy_next_pos(struct sock *sk, struct ofcopy_batch *b,
			    struct sk_buff **skb, u32 *off)
{
	struct sk_buff *s = b->end_skb;

	if (b->end_off < s->len) {
		*skb = s;
		*off = b->end_off;
		return true;
	}
	if ((TCP_SKB_CB(s)->tcp_flags & TCPHDR_FIN) ||
	    skb_queue_is_last(&sk->sk_receive_queue, s))
		return false;
	*skb = s->next;
	*off = 0;
	return true;
}

/* A reference on a channel for this CPU's batches; NULL if none is left. */
static struct ofcopy_chan *ofcopy_get_chan(void)
{
	unsigned int n = READ_ONCE(ofcopy_slots), i;
	struct ofcopy_chan *ch = NULL;

	rcu_read_lock();
	for (i = 0; i < n; i++) {
		ch = rcu_dereference(ofcopy_chans[(raw_smp_processor_id() + i) % n]);
		if (ch && refcount_inc_not_zero(&ch->users))
			break;
		ch = NULL;
	}
	rcu_read_unlock();
	return ch;
}

static void ofcopy_put_chan(struct ofcopy_chan *ch)
{
	if (refcount_dec_and_test(&ch->users))
		complete(&ch->unused);
}

enum ofcopy_res {
	OFCOPY_STAGED,		/* descriptors submitted; ofcopy_finish() consumes */
	OFCOPY_CONSUMED,	/* copied by the CPU and consumed */
	OFCOPY_SMALL,		/* below copybreak, and the CPU may not copy now */
	OFCOPY_STOP,		/* the rest is for tcp_recvmsg */
};

/*
 * Starts a batch of up to want bytes of queued payload beginning at skb/off:
 * pins the reader's pages, maps, submits the descriptors and rings the
 * doorbell, and returns without waiting (OFCOPY_STAGED): the skbs stay queued
 * until ofcopy_finish(). A batch below copybreak is copied by the CPU and
 * consumed at once when may_cpu (nothing else in flight), else left alone.
 * Returns the batch's bytes, or a negative error when nothing was copied.
 */
static int ofcopy_start(struct sock *sk, struct ofcopy_batch *b, struct msghdr *msg,
			struct sk_buff *skb, u32 off, size_t want, bool may_cpu,
			enum ofcopy_res *res)
{
	struct ofcopy_build bl = { .b = b };
	u32 start_seq = TCP_SKB_CB(skb)->seq + off;
	size_t avail = 0, total, cap, left;
	struct ofcopy_chan *ch;
	struct ofcopy_wait *w;
	struct device *dev;
	ssize_t pinned;
	struct sk_buff *s;
	u32 o;
	u64 t0;
	int ret;

	cap = min_t(size_t, want, min(batch_kb, 512u) * 1024);
	/* How much is queued from here on (stop at FIN, at unreadable frags). */
	for (s = skb; s; s = skb_queue_is_last(&sk->sk_receive_queue, s) ? NULL : s->next) {
		o = s == skb ? off : 0;
		if (!skb_frags_readable(s))
			break;
		/* the queue is in sequence; stop at anything unexpected */
		if (s != skb && TCP_SKB_CB(s)->seq != start_seq + avail)
			break;
		avail += s->len - o;
		if (avail >= cap || (TCP_SKB_CB(s)->tcp_flags & TCPHDR_FIN))
			break;
	}
	total = min(avail, cap);
	if (!total) {
		*res = OFCOPY_STOP;	/* nothing the engine or the CPU here can read */
		return 0;
	}

	if (total < READ_ONCE(ofcopy_copybreak)) {
		if (!may_cpu) {
			*res = OFCOPY_SMALL;
			return 0;
		}
		/* Not worth the engine: the CPU copies, skb by skb. */
		left = total;
		for (s = skb; left; s = s->next) {
			u32 l;

			o = s == skb ? off : 0;
			l = min_t(size_t, s->len - o, left);
			ret = skb_copy_datagram_msg(s, o, msg, l);
			if (ret) {
				if (left == total)
					return ret;
				break;
			}
			left -= l;
		}
		total -= left;
		ofcopy_consume(sk, total);
		ofcopy_add(OFCOPY_BYTES_CPU, total);
		ofcopy_add(OFCOPY_FB_SMALL, 1);
		*res = OFCOPY_CONSUMED;
		return total;
	}

	pinned = ofcopy_pin(b, &msg->msg_iter, total);
	if (pinned <= 0) {
		/* tcp_recvmsg copies the rest (and reports a bad buffer) */
		ofcopy_add(OFCOPY_FB_PIN, 1);
		*res = OFCOPY_STOP;
		return 0;
	}
	/* after pinning, which may sleep long: the reference holds off unbinds */
	ch = ofcopy_get_chan();
	if (!ch) {
		iov_iter_revert(&msg->msg_iter, pinned);
		ofcopy_unpin(b);
		ofcopy_add(OFCOPY_FB_NO_CHANNEL, 1);
		*res = OFCOPY_STOP;
		return 0;
	}
	dev = ch->dev;
	bl.dev = dev;
	total = pinned;
	b->skb = skb;
	b->off = off;
	b->total = total;
	b->ch = ch;
	b->ndma = 0;
	b->dma_bytes = 0;
	b->nsrc = 0;
	b->last_cb = false;
	/* where it ends, for the next batch */
	left = total;
	s = skb;
	o = off;
	for (;;) {
		u32 l = min_t(size_t, s->len - o, left);

		left -= l;
		o += l;
		if (!left)
			break;
		s = s->next;
		o = 0;
	}
	b->end_skb = s;
	b->end_off = o;

	t0 = ktime_get_ns();
	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	b->w = w;
	if (w) {
		refcount_set(&w->ref, 1);
		init_completion(&w->done);
		w->ch = ch;
		/* no terminate between registering and submitting */
		down_read(&ch->reset_sem);
		spin_lock_irq(&ch->lock);
		list_add_tail(&w->node, &ch->waits);
		spin_unlock_irq(&ch->lock);
	}
	if (!w || ofcopy_map_dst(b, dev, total)) {
		/* the CPU copies it all in ofcopy_finish() */
		ofcopy_add(OFCOPY_FB_MAP, 1);
	} else {
		left = total;
		bl.chan = ch->chan;
		bl.di = 0;
		bl.doff = 0;
		bl.dst_total = total;
		bl.dleft = min_t(u32, PAGE_SIZE - b->page_first_off, total);
		for (s = skb; left && !bl.stop; s = s->next) {
			u32 l;

			o = s == skb ? off : 0;
			l = min_t(size_t, s->len - o, left);
			ofcopy_walk_skb(&bl, s, o, l);
			left -= l;
		}
		b->dma_bytes = bl.placed;
		if (b->ndma)
			dma_async_issue_pending(ch->chan);
	}
	if (w)
		up_read(&ch->reset_sem);
	b->t_submit = ktime_get_ns();
	ofcopy_add(OFCOPY_MAP_NS, b->t_submit - t0);
	ofcopy_add(OFCOPY_DESCS, b->ndma);
	*res = OFCOPY_STAGED;
	return total;
}

/*
 * Waits for a staged batch, unmaps it, lets the CPU copy what the engine did
 * not (everything if anything failed), unpins and consumes it. Returns the
 * bytes consumed. The wait is bounded by timeout_ms and ends on a fatal
 * signal; either way the channel is reset first: nothing may stay in flight
 * into pages that are unpinned.
 */
static int ofcopy_finish(struct sock *sk, struct ofcopy_batch *b)
{
	unsigned long tmo = msecs_to_jiffies(READ_ONCE(ofcopy_timeout_ms));
	struct ofcopy_wait *w = b->w;
	struct ofcopy_chan *ch = b->ch;
	size_t total = b->total, from;
	bool stuck = false, failed = false;
	u64 t1 = ktime_get_ns();

	if (b->ndma) {
		if (b->last_cb) {
			stuck = wait_for_completion_killable_timeout(&w->done, tmo) <= 0;
		} else {
			/* the engine stopped short of the end: poll its last descriptor */
			unsigned long end = jiffies + tmo;
			enum dma_status st;

			while ((st = dma_async_is_tx_complete(ch->chan, b->last_cookie,
							      NULL, NULL)) == DMA_IN_PROGRESS &&
			       !READ_ONCE(w->reset) && !fatal_signal_pending(current)) {
				if (!time_before(jiffies, end))
					break;
				usleep_range(20, 100);
			}
			stuck = st == DMA_IN_PROGRESS && !READ_ONCE(w->reset);
			if (st != DMA_COMPLETE && !stuck)
				failed = true;
		}
		if (stuck) {
			ofcopy_chan_reset(ch);
			ofcopy_add(OFCOPY_FB_TIMEOUT, 1);
		}
		ofcopy_add(OFCOPY_WAIT_NS, ktime_get_ns() - t1);
	}
	if (w) {
		spin_lock_irq(&ch->lock);
		list_del(&w->node);
		if (b->ndma && !stuck && w->reset)
			ofcopy_add(OFCOPY_FB_TIMEOUT, 1);	/* another batch's */
		if (b->ndma && !stuck && !w->reset && (w->failed || failed))
			ofcopy_add(OFCOPY_FB_DMA_ERROR, 1);
		failed |= stuck || w->failed || w->reset;
		spin_unlock_irq(&ch->lock);
		ofcopy_wait_put(w);
		b->w = NULL;
	}
	ofcopy_unmap(b, ch->dev);
	ofcopy_put_chan(ch);
	/* The skbs are still queued and the pages still pinned. */
	from = failed ? 0 : b->dma_bytes;
	ofcopy_cpu_copy(b, from);
	ofcopy_add(OFCOPY_BYTES_CPU, total - from);
	if (from) {
		ofcopy_add(OFCOPY_BYTES_DMA, from);
		ofcopy_add(OFCOPY_BATCHES, 1);
	}
	ofcopy_unpin(b);
	ofcopy_consume(sk, total);
	return total;
}

/* ---- recvmsg ------------------------------------------------------------------------- */

static bool ofcopy_special(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return READ_ONCE(tp->urg_data) || tp->repair || tp->recvmsg_inq ||
	       sock_flag(sk, SOCK_RCVTSTAMP) || sock_flag(sk, SOCK_RCVTSTAMPNS) ||
	       READ_ONCE(sk->sk_tsflags) & SOF_TIMESTAMPING_RX_SOFTWARE ||
	       sk->sk_state == TCP_LISTEN;
}

static int ofcopy_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
			  int *addr_len)
{
	struct ofcopy_ctx *ctx = ofcopy_get_ctx(sk);
	struct proto *base = ctx->sk_proto;
	struct tcp_sock *tp = tcp_sk(sk);
	struct ofcopy_batch *cur = NULL;	/* staged, not yet consumed */
	int copied = 0, target, ret;
	bool fin = false, stop = false;
	long timeo;

	ofcopy_add(OFCOPY_RECV_CALLS, 1);
	if (!READ_ONCE(ofcopy_enabled)) {
		ofcopy_add(OFCOPY_FB_DISABLED, 1);
		goto fallback;
	}
	if (flags & (MSG_PEEK | MSG_OOB | MSG_TRUNC | MSG_ERRQUEUE)) {
		ofcopy_add(OFCOPY_FB_FLAGS, 1);
		goto fallback;
	}
	if (len < READ_ONCE(ofcopy_copybreak)) {
		ofcopy_add(OFCOPY_FB_SHORT, 1);
		goto fallback;
	}
	if (!user_backed_iter(&msg->msg_iter)) {
		ofcopy_add(OFCOPY_FB_ITER, 1);
		goto fallback;
	}
	if (!READ_ONCE(ofcopy_nchans)) {
		ofcopy_add(OFCOPY_FB_NO_CHANNEL, 1);
		goto fallback;
	}

	lock_sock(sk);
	if (ofcopy_special(sk)) {
		release_sock(sk);
		ofcopy_add(OFCOPY_FB_OTHER, 1);
		goto fallback;
	}
	if (!ctx->b) {
		/* charged to the reader's memory cgroup, as socket buffers are */
		ctx->b = kvcalloc(2, sizeof(*ctx->b), GFP_KERNEL_ACCOUNT);
		if (!ctx->b) {
			release_sock(sk);
			ofcopy_add(OFCOPY_FB_OTHER, 1);
			goto fallback;
		}
	}
	ofcopy_add(OFCOPY_DMA_CALLS, 1);
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);

	while (copied + (cur ? cur->total : 0) < len) {
		struct sk_buff *skb = NULL;
		enum ofcopy_res res;
		bool have;
		u32 off = 0;

		if (fatal_signal_pending(current)) {
			/* each wait would end at once and reset the channel */
			if (!copied && !cur)
				copied = -EINTR;
			break;
		}
		if (cur) {
			/* the next batch goes to the engine while cur is copied */
			have = ofcopy_next_pos(sk, cur, &skb, &off);
		} else {
			if (READ_ONCE(tp->urg_data)) {
				stop = true;
				break;
			}
			skb = tcp_recv_skb(sk, tp->copied_seq, &off);
			have = skb && off < skb->len;
			if (skb && !have) {
				fin = true;	/* only a FIN left: tcp_recvmsg consumes it */
				break;
			}
		}
		if (have) {
			struct ofcopy_batch *nb = cur == &ctx->b[0] ? &ctx->b[1] : &ctx->b[0];

			ret = ofcopy_start(sk, nb, msg, skb, off,
					   len - copied - (cur ? cur->total : 0), !cur, &res);
			if (ret < 0) {
				if (!copied && !cur)
					copied = ret;
				break;
			}
			if (res == OFCOPY_STAGED) {
				if (cur)
					copied += ofcopy_finish(sk, cur);
				cur = nb;
				continue;
			}
			if (res == OFCOPY_CONSUMED) {
				copied += ret;
				continue;
			}
			if (res == OFCOPY_STOP) {
				stop = true;
				break;
			}
			/* OFCOPY_SMALL: finish cur, then the CPU takes the rest */
		}
		if (cur) {
			copied += ofcopy_finish(sk, cur);
			cur = NULL;
			continue;
		}

		if (copied >= target && !READ_ONCE(sk->sk_backlog.tail))
			break;
		if (copied) {
			if (!timeo || sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    (sk->sk_shutdown & RCV_SHUTDOWN) || signal_pending(current))
				break;
		} else {
			if (sock_flag(sk, SOCK_DONE))
				break;
			if (sk->sk_err) {
				copied = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {
				copied = -ENOTCONN;
				break;
			}
			if (!timeo) {
				copied = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				copied = sock_intr_errno(timeo);
				break;
			}
		}
		/* No DMA is in flight here: the lock may be dropped. */
		if (copied >= target)
			__sk_flush_backlog(sk);
		else
			sk_wait_data(sk, &timeo, NULL);
	}
	if (cur)
		copied += ofcopy_finish(sk, cur);
	release_sock(sk);
	if ((fin || stop) && copied == 0)
		goto fallback;
	return copied;

fallback:
	ret = base->recvmsg(sk, msg, len, flags, addr_len);
	if (ret > 0)
		ofcopy_add(OFCOPY_BYTES_BASE, ret);
	return ret;
}

/* ---- the ULP ---------------------------------------------------------------------------- */

static int ofcopy_ulp_init(struct sock *sk)
{
	struct ofcopy_ctx *ctx;
	int v6;

	if (sk->sk_prot == &tcp_prot)
		v6 = 0;
#if IS_ENABLED(CONFIG_IPV6)
	else if (sk->sk_prot == &tcpv6_prot)
		v6 = 1;
#endif
	else
		return -EOPNOTSUPP;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->sk_proto = sk->sk_prot;
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, ctx);
	WRITE_ONCE(sk->sk_prot, &ofcopy_prots[v6]);
	return 0;
}

static void ofcopy_ulp_release(struct sock *sk)
{
	struct ofcopy_ctx *ctx = ofcopy_get_ctx(sk);

	if (!ctx)
		return;
	/* The socket outlives the module reference: give it its proto back. */
	WRITE_ONCE(sk->sk_prot, ctx->sk_proto);
	rcu_assign_pointer(inet_csk(sk)->icsk_ulp_data, NULL);
	kvfree(ctx->b);
	kfree(ctx);
}

static struct tcp_ulp_ops ofcopy_ulp_ops __read_mostly = {
	.name = "ofcopy",
	.owner = THIS_MODULE,
	.init = ofcopy_ulp_init,
	.release = ofcopy_ulp_release,
};

/* ---- debugfs: /sys/kernel/debug/ofcopy/{stats,channels} ---------------------------- */

static int ofcopy_stats_show(struct seq_file *m, void *unused)
{
	u64 v[OFCOPY_NR_COUNTERS];
	int i;

	ofcopy_read_stats(v);
	for (i = 0; i < OFCOPY_NR_COUNTERS; i++)
		seq_printf(m, "%s %llu\n", ofcopy_counter_names[i], v[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ofcopy_stats);

static int ofcopy_channels_show(struct seq_file *m, void *unused)
{
	struct ofcopy_chan *ch;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < ofcopy_slots; i++) {
		ch = rcu_dereference(ofcopy_chans[i]);
		if (ch)
			seq_printf(m, "%s\n", dma_chan_name(ch->chan));
	}
	rcu_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ofcopy_channels);

unsigned int ofcopy_channels(void)
{
	return READ_ONCE(ofcopy_nchans);
}

/* Releases the channels whose provider is dev, or all of them (dev NULL). */
static void ofcopy_drop_chans(struct device *dev)
{
	struct ofcopy_chan *gone[OFCOPY_MAX_CHANS];
	unsigned int i, n = 0;

	mutex_lock(&ofcopy_chans_lock);
	for (i = 0; i < ofcopy_slots; i++) {
		struct ofcopy_chan *ch;

		ch = rcu_dereference_protected(ofcopy_chans[i],
					       lockdep_is_held(&ofcopy_chans_lock));
		if (!ch || (dev && ch->provider != dev))
			continue;
		RCU_INIT_POINTER(ofcopy_chans[i], NULL);
		gone[n++] = ch;
	}
	if (n) {
		WRITE_ONCE(ofcopy_nchans, ofcopy_nchans - n);
		/* no reader finds them any more, and batches hold references */
		synchronize_rcu();
	}
	for (i = 0; i < n; i++) {
		ofcopy_put_chan(gone[i]);
		wait_for_completion(&gone[i]->unused);
		dma_release_channel(gone[i]->chan);
		kfree(gone[i]);
	}
	if (n && dev)
		pr_info("ofcopy: %s unbinds: released %u DMA channel(s), %u left\n",
			dev_name(dev), n, ofcopy_nchans);
	mutex_unlock(&ofcopy_chans_lock);
}

/* Called before the driver's remove: the channels are still intact. */
static int ofcopy_bus_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	if (action == BUS_NOTIFY_UNBIND_DRIVER)
		ofcopy_drop_chans(data);
	return NOTIFY_DONE;
}

/*
 * Watches the bus of a provider. A provider that unbinds between
 * dma_request_chan_by_mask() and this registration, at module load, goes
 * unnoticed.
 */
static int ofcopy_watch_bus(const struct bus_type *bus)
{
	struct ofcopy_bus_nb *bn;
	unsigned int i;
	int ret;

	for (i = 0; i < ofcopy_nbus; i++)
		if (ofcopy_bus_nbs[i].bus == bus)
			return 0;
	bn = &ofcopy_bus_nbs[ofcopy_nbus];
	bn->nb.notifier_call = ofcopy_bus_notify;
	bn->bus = bus;
	ret = bus_register_notifier(bus, &bn->nb);
	if (!ret)
		ofcopy_nbus++;
	return ret;
}

static void ofcopy_release_chans(void)
{
	while (ofcopy_nbus) {
		struct ofcopy_bus_nb *bn = &ofcopy_bus_nbs[--ofcopy_nbus];

		bus_unregister_notifier(bn->bus, &bn->nb);
	}
	ofcopy_drop_chans(NULL);
}

static int __init ofcopy_init(void)
{
	dma_cap_mask_t mask;
	unsigned int want = min_t(unsigned int, channels, OFCOPY_MAX_CHANS);
	int ret;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	while (ofcopy_slots < want) {
		struct dma_chan *c = dma_request_chan_by_mask(&mask);
		struct ofcopy_chan *ch;

		if (IS_ERR(c))
			break;
		ch = kzalloc(sizeof(*ch), GFP_KERNEL);
		if (!ch || !c->device->dev->bus || ofcopy_watch_bus(c->device->dev->bus)) {
			kfree(ch);
			dma_release_channel(c);
			break;
		}
		ch->chan = c;
		ch->dev = dmaengine_get_dma_device(c);
		ch->provider = c->device->dev;
		refcount_set(&ch->users, 1);
		init_completion(&ch->unused);
		init_rwsem(&ch->reset_sem);
		spin_lock_init(&ch->lock);
		INIT_LIST_HEAD(&ch->waits);
		mutex_lock(&ofcopy_chans_lock);
		rcu_assign_pointer(ofcopy_chans[ofcopy_slots], ch);
		ofcopy_slots++;
		ofcopy_nchans++;
		mutex_unlock(&ofcopy_chans_lock);
	}
	if (!ofcopy_nchans)
		pr_warn("ofcopy: no DMA_MEMCPY channel: every read is copied by the CPU\n");

	ofcopy_prots[0] = tcp_prot;
	ofcopy_prots[0].recvmsg = ofcopy_recvmsg;
#if IS_ENABLED(CONFIG_IPV6)
	ofcopy_prots[1] = tcpv6_prot;
	ofcopy_prots[1].recvmsg = ofcopy_recvmsg;
#endif
	ret = tcp_register_ulp(&ofcopy_ulp_ops);
	if (ret) {
		ofcopy_release_chans();
		return ret;
	}
	ofcopy_dbg = debugfs_create_dir("ofcopy", NULL);
	debugfs_create_file("stats", 0444, ofcopy_dbg, NULL, &ofcopy_stats_fops);
	debugfs_create_file("channels", 0444, ofcopy_dbg, NULL, &ofcopy_channels_fops);
	ret = ofcopy_genl_init();
	if (ret) {
		debugfs_remove_recursive(ofcopy_dbg);
		tcp_unregister_ulp(&ofcopy_ulp_ops);
		ofcopy_release_chans();
		return ret;
	}
	pr_info("ofcopy: TCP ULP \"ofcopy\" registered, %u DMA channel(s)\n", ofcopy_nchans);
	return 0;
}

static void __exit ofcopy_exit(void)
{
	/* No netlink request runs past this: then what it reads goes. */
	ofcopy_genl_exit();
	/* Every socket using the ULP holds a module reference: none is left. */
	tcp_unregister_ulp(&ofcopy_ulp_ops);
	debugfs_remove_recursive(ofcopy_dbg);
	ofcopy_release_chans();
}

module_init(ofcopy_init);
module_exit(ofcopy_exit);
MODULE_DESCRIPTION("TCP receive copy offload with a dmaengine memcpy channel");
MODULE_LICENSE("GPL");
MODULE_ALIAS_TCP_ULP("ofcopy");
