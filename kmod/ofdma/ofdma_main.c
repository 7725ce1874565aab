// SPDX-License-Identifier: GPL-2.0
/*
 * ofdma.ko: dmaengine provider for the ofdma copy engine. Every channel offers
 * DMA_MEMCPY through a ring of OFDMA_RING_SLOTS descriptors; completions are
 * read from the completion record the device writes to memory (docs/ofdma-spec.md).
 *
 * Submission: prep takes a software descriptor from the channel's free list,
 * tx_submit assigns the cookie and writes the descriptor into the next ring
 * slot, so ring order is submission order; issue_pending rings the doorbell.
 * Descriptors are completed in order under the lock, by the tasklet (MSI-X)
 * or by tx_status (polling). Callbacks run in one place only, the tasklet:
 * completed descriptors wait there for it, so device_synchronize knows what
 * it waits for (a running tasklet), and a client's callback never runs in a
 * thread that polls another cookie. A halted channel has its outstanding descriptors failed (the
 * failing one with READ/WRITE_FAILED, the rest ABORTED) and is then reset and
 * enabled again.
 *
 * dmaengine operations may be called from hard-IRQ context (another driver's
 * interrupt handler, a callback), so the channel lock is taken with
 * spin_lock_irqsave throughout.
 *
 * The device is not trusted: a completion record is checked against itself,
 * the driver's own counts and, when it claims a halt, the status register
 * before any of it is used; one that does not add up is counted
 * (bad_records) and the channel's registers are read instead. A watchdog
 * reaps completions whose interrupt never came (docs/ofdma-spec.md, "What the
 * driver checks").
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "ofdma.h"

/*
 * ---- cookie and callback helpers ----
 *
 * In-tree providers use the static inlines of drivers/dma/dmaengine.h
 * (dma_cookie_init/assign/complete/status, dmaengine_desc_get_callback and
 * dmaengine_desc_callback_invoke). That header is private to drivers/dma and
 * not part of the kernel headers an out-of-tree module builds against
 * (linux-headers-*), so these are written here to the same contract: cookies
 * count up from DMA_MIN_COOKIE and wrap to it, completion is in cookie order
 * and clears the descriptor's cookie, status fills last/used with a zero
 * residue and zero in-flight bytes, and a callback_result callback is
 * preferred over a plain one. The channel lock serialises all of them.
 */

static void ofdma_cookie_init(struct dma_chan *chan)
{
	chan->cookie = DMA_MIN_COOKIE;
	chan->completed_cookie = DMA_MIN_COOKIE;
}

static dma_cookie_t ofdma_cookie_assign(struct dma_async_tx_descriptor *tx)
{
	struct dma_chan *chan = tx->chan;
	dma_cookie_t cookie = chan->cookie + 1;

	if (cookie < DMA_MIN_COOKIE)
		cookie = DMA_MIN_COOKIE;
	tx->cookie = cookie;
	chan->cookie = cookie;
	return cookie;
}

static void ofdma_cookie_complete(struct dma_async_tx_descriptor *tx)
{
	/* completing a descriptor twice or one never submitted is a driver bug */
	if (WARN_ON_ONCE(tx->cookie < DMA_MIN_COOKIE))
		return;
	tx->chan->completed_cookie = tx->cookie;
	tx->cookie = 0;
}

static enum dma_status ofdma_cookie_status(struct dma_chan *chan, dma_cookie_t cookie,
					   struct dma_tx_state *state)
{
	dma_cookie_t used = chan->cookie;
	dma_cookie_t complete = chan->completed_cookie;

	if (state) {
		state->last = complete;
		state->used = used;
		state->residue = 0;
		state->in_flight_bytes = 0;
	}
	return dma_async_is_complete(cookie, complete, used);
}

struct ofdma_cb {
	dma_async_tx_callback callback;
	dma_async_tx_callback_result callback_result;
	void *param;
};

static void ofdma_cb_get(struct dma_async_tx_descriptor *tx, struct ofdma_cb *cb)
{
	cb->callback = tx->callback;
	cb->callback_result = tx->callback_result;
	cb->param = tx->callback_param;
}

static void ofdma_cb_invoke(struct ofdma_cb *cb, enum dmaengine_tx_result result)
{
	struct dmaengine_result res = { .result = result, .residue = 0 };

	if (cb->callback_result)
		cb->callback_result(cb->param, &res);
	else if (cb->callback)
		cb->callback(cb->param);
}

/* ---- hardware helpers ----------------------------------------------------- */

static u32 ofdma_seq_idx(u64 seq)
{
	return (u32)seq & (OFDMA_RING_SLOTS - 1);
}

static u32 ofdma_slot(struct ofdma_chan *c, u64 seq)
{
	return (u32)(seq - c->base) & (OFDMA_RING_SLOTS - 1);
}

u32 ofdma_chan_status(struct ofdma_chan *c)
{
	if (c->od->gone)
		return 0;
	return readl(c->regs + OFDMA_CH_STATUS);
}

/*
 * Which completed cookies tx_status reports as DMA_ERROR. This is all a polled
 * client (dma_async_is_tx_complete(), dma_sync_wait(), dmatest polled=1) learns
 * of a failure; a callback gets its dmaengine_result instead.
 *
 * Failed descriptors are remembered by sequence number (the value of
 * c->submitted they were submitted with: 64 bits, never wraps) in ranges. A
 * halt fails one contiguous run (the failing descriptor and everything behind
 * it), so does terminate_all; a run that continues the newest range extends
 * it, any other starts a new one. The channel keeps the newest
 * OFDMA_ERR_RANGES ranges. A range pushed out of that ring is not forgotten
 * but widened: from the start of the first range pushed out to the end of the
 * last one, every descriptor reads DMA_ERROR, whether it failed or not. A
 * false DMA_ERROR costs the client a copy it redoes; a false DMA_COMPLETE
 * would make it use data that was never copied. Descriptors newer than that
 * span, or older than its start, read exactly.
 *
 * A cookie maps to its sequence number by its distance from the channel's
 * newest cookie: every cookie of the channel is assigned in ofdma_tx_submit
 * together with c->submitted++, and cookies count DMA_MIN_COOKIE..INT_MAX and
 * then wrap to DMA_MIN_COOKIE. The comparisons are therefore wrap-safe; a
 * cookie INT_MAX submissions old aliases the newer one, as
 * dma_async_is_complete() assumes anyway.
 *
 * The record starts empty when a client takes the channel
 * (alloc_chan_resources): an earlier client's cookies mean nothing to it.
 */
#define OFDMA_COOKIE_SPAN	((s64)INT_MAX - DMA_MIN_COOKIE + 1)

/* The sequence number of a cookie the channel assigned (lock held). */
static bool ofdma_cookie_seq(struct ofdma_chan *c, dma_cookie_t cookie, u64 *seq)
{
	s64 age = (s64)c->chan.cookie - cookie;

	if (cookie < DMA_MIN_COOKIE)
		return false;
	if (age < 0)
		age += OFDMA_COOKIE_SPAN;
	if ((u64)age >= c->submitted)
		return false;	/* not assigned yet */
	*seq = c->submitted - 1 - age;
	return true;
}

static bool ofdma_seq_failed(struct ofdma_chan *c, u64 seq)
{
	unsigned int i;

	if (c->evicted && seq >= c->evict_lo && seq <= c->evict_hi)
		return true;
	for (i = 0; i < c->err_count; i++) {
		const struct ofdma_err_range *r =
			&c->err[(c->err_head + i) % OFDMA_ERR_RANGES];

		if (seq >= r->lo && seq <= r->hi)
			return true;
	}
	return false;
}

/* Records that descriptor @seq failed; sequence numbers come in order. */
static void ofdma_mark_failed(struct ofdma_chan *c, u64 seq)
{
	struct ofdma_err_range *r;

	if (c->err_count) {
		r = &c->err[(c->err_head + c->err_count - 1) % OFDMA_ERR_RANGES];
		if (seq == r->hi + 1) {
			r->hi = seq;
			return;
		}
	}
	if (c->err_count == OFDMA_ERR_RANGES) {
		/* the oldest range goes into the span that reads as failed */
		r = &c->err[c->err_head];
		if (!c->evicted)
			c->evict_lo = r->lo;
		c->evict_hi = r->hi;
		c->evicted = true;
		c->err_head = (c->err_head + 1) % OFDMA_ERR_RANGES;
		c->err_count--;
	}
	r = &c->err[(c->err_head + c->err_count) % OFDMA_ERR_RANGES];
	r->lo = seq;
	r->hi = seq;
	c->err_count++;
}

static void ofdma_errors_clear(struct ofdma_chan *c)
{
	c->err_head = 0;
	c->err_count = 0;
	c->evicted = false;
}

static enum dmaengine_tx_result ofdma_err_result(u32 err)
{
	switch (err) {
	case OFDMA_ERR_SRC:
	case OFDMA_ERR_DESC_READ:
		return DMA_TRANS_READ_FAILED;
	case OFDMA_ERR_DST:
	case OFDMA_ERR_CMPL_ADDR:
		return DMA_TRANS_WRITE_FAILED;
	default:
		return DMA_TRANS_ABORTED;
	}
}

/* How far the device got: descriptors done since the enable, its status. */
struct ofdma_progress {
	u64 done;
	u32 status;
	u32 err_desc;
};

#define OFDMA_CS_KNOWN	(OFDMA_CS_STATE_MASK | GENMASK(15, OFDMA_CS_ERR_SHIFT))

/*
 * The same from the channel's registers (lock held). A halted channel's
 * count stands still, so the status is read first; false if the 64-bit
 * count kept changing between its halves.
 */
static bool ofdma_progress_regs(struct ofdma_chan *c, struct ofdma_progress *p)
{
	unsigned int tries;
	u32 hi;

	p->status = readl(c->regs + OFDMA_CH_STATUS);
	p->err_desc = readl(c->regs + OFDMA_CH_ERR_DESC);
	for (tries = 0; tries < 3; tries++) {
		hi = readl(c->regs + OFDMA_CH_DONE_HI);
		p->done = (u64)hi << 32 | readl(c->regs + OFDMA_CH_DONE_LO);
		if (readl(c->regs + OFDMA_CH_DONE_HI) == hi)
			return true;
	}
	return false;
}

/* A record as read: the progress and the slot it says was done last. */
struct ofdma_record {
	struct ofdma_progress p;
	u32 last_desc;
};

/*
 * Reads the completion record (lock held); false if its count changed while
 * the rest was read (a record being rewritten) three times running.
 */
static bool ofdma_record_read(struct ofdma_chan *c, struct ofdma_record *r)
{
	unsigned int tries;
	u64 again;

	for (tries = 0; tries < 3; tries++) {
		r->p.done = le64_to_cpu(READ_ONCE(c->cmpl->completed));
		/* the count is written last: the fields after it are as new */
		dma_rmb();
		r->last_desc = le32_to_cpu(READ_ONCE(c->cmpl->last_desc));
		r->p.status = le32_to_cpu(READ_ONCE(c->cmpl->status));
		r->p.err_desc = le32_to_cpu(READ_ONCE(c->cmpl->err_desc));
		/* and the count read again after them says whether they still are */
		dma_rmb();
		again = le64_to_cpu(READ_ONCE(c->cmpl->completed));
		if (again == r->p.done)
			return true;
	}
	return false;
}

static u32 ofdma_ring_slot(u64 n)
{
	return (u32)n & (OFDMA_RING_SLOTS - 1);
}

/*
 * Whether p can be what the device did (lock held): no further than what
 * was issued, not back behind what was reaped, a known state and error, and
 * for a halt the failed slot where the count puts it (the next descriptor;
 * for CMPL_ADDR also the one whose record could not be written). From a
 * record (last_desc given) also the last slot where the count puts it, and
 * a halt only if the status register confirms it.
 */
static bool ofdma_progress_ok(struct ofdma_chan *c, const struct ofdma_progress *p,
			      const u32 *last_desc)
{
	u32 state = p->status & OFDMA_CS_STATE_MASK;

	if (c->base + p->done < c->completed || c->base + p->done > c->issued)
		return false;
	if ((p->status & ~OFDMA_CS_KNOWN) || state > OFDMA_CS_HALTED ||
	    OFDMA_CS_ERR(p->status) > OFDMA_ERR_MAX)
		return false;
	if (last_desc && *last_desc != (p->done ? ofdma_ring_slot(p->done - 1) : 0))
		return false;
	if (state != OFDMA_CS_HALTED)
		return true;
	if (p->err_desc != ofdma_ring_slot(p->done) &&
	    !(OFDMA_CS_ERR(p->status) == OFDMA_ERR_CMPL_ADDR && p->done &&
	      p->err_desc == ofdma_ring_slot(p->done - 1)))
		return false;
	return !last_desc ||
	       (ofdma_chan_status(c) & OFDMA_CS_STATE_MASK) == OFDMA_CS_HALTED;
}

/* Counts a refused record, once however often a poller reads it. */
static void ofdma_bad_record(struct ofdma_chan *c, const struct ofdma_record *r)
{
	if (r->p.done == c->bad.done && r->last_desc == c->bad.last_desc &&
	    r->p.status == c->bad.status && r->p.err_desc == c->bad.err_desc)
		return;
	c->stats.bad_records++;
	c->bad.done = r->p.done;
	c->bad.last_desc = r->last_desc;
	c->bad.status = r->p.status;
	c->bad.err_desc = r->p.err_desc;
}

static void ofdma_hw_stop(struct ofdma_chan *c)
{
	writel(OFDMA_CC_RESET, c->regs + OFDMA_CH_CTRL);
	/* the reset is done, and the copy it waited for, when this returns */
	readl(c->regs + OFDMA_CH_STATUS);
}

/*
 * Reset the channel, clear the record, program and enable it (lock held).
 * The record ENABLE writes says nothing done; one that says otherwise would
 * pass for the first descriptor's completion (a count of 1 and slot 0 add
 * up), so it is checked here, counted if it lies, and cleared: the device
 * writes no other before the next doorbell.
 */
static void ofdma_hw_start(struct ofdma_chan *c)
{
	struct ofdma_record r;
	u32 state;

	ofdma_hw_stop(c);
	memset(c->cmpl, 0, sizeof(*c->cmpl));
	lo_hi_writeq(c->ring_dma, c->regs + OFDMA_CH_RING_LO);
	writel(OFDMA_RING_SLOTS, c->regs + OFDMA_CH_RING_SIZE);
	lo_hi_writeq(c->cmpl_dma, c->regs + OFDMA_CH_CMPL_LO);
	/* The record is zeroed before the device may write it again. */
	wmb();
	writel(OFDMA_CC_ENABLE, c->regs + OFDMA_CH_CTRL);
	readl(c->regs + OFDMA_CH_STATUS);
	c->base = c->submitted;
	c->issued = c->submitted;
	c->completed = c->submitted;
	if (!ofdma_record_read(c, &r))
		return;
	state = r.p.status & OFDMA_CS_STATE_MASK;
	if (r.p.done || r.last_desc ||
	    (state != OFDMA_CS_HALTED && (r.p.err_desc || r.p.status != OFDMA_CS_IDLE))) {
		ofdma_bad_record(c, &r);
		memset(c->cmpl, 0, sizeof(*c->cmpl));
	}
}

/*
 * How far the device got (lock held), from the completion record if it adds
 * up. If not, the registers are read, which waits for any record the device
 * is writing; the record read again after them is used if it adds up now
 * (it was being rewritten: a reader may see a newer record's fields beside
 * the older count), and is counted as refused if it is still the same
 * record. The registers then stand in for it; if they do not add up either,
 * nothing is reaped this time.
 */
static void ofdma_progress(struct ofdma_chan *c, struct ofdma_progress *p)
{
	struct ofdma_record r, again;
	bool read, regs_ok;

	read = ofdma_record_read(c, &r);
	if (read && ofdma_progress_ok(c, &r.p, &r.last_desc)) {
		*p = r.p;
		return;
	}
	regs_ok = ofdma_progress_regs(c, p);
	/* (readl orders the record's reads after it) */
	if (ofdma_record_read(c, &again)) {
		if (ofdma_progress_ok(c, &again.p, &again.last_desc)) {
			*p = again.p;
			return;
		}
		/* the same refused record twice: not one caught mid-write */
		if (read && r.p.done == again.p.done && r.last_desc == again.last_desc &&
		    r.p.status == again.p.status && r.p.err_desc == again.p.err_desc)
			ofdma_bad_record(c, &again);
	}
	if (!regs_ok || !ofdma_progress_ok(c, p, NULL)) {
		p->done = c->completed - c->base;
		p->status = OFDMA_CS_ACTIVE;
	}
}

/*
 * The watchdog's view (lock held): the registers, which a record that looks
 * right but stays behind (a count of 0 on an idle channel, say) cannot hide.
 * The device writes the record before the registers show its count, so a
 * record behind them lied (counted once), unless the device could not write
 * it (halted with CMPL_ADDR).
 */
static void ofdma_progress_watchdog(struct ofdma_chan *c, struct ofdma_progress *p)
{
	struct ofdma_record r;
	bool regs_ok;

	regs_ok = ofdma_progress_regs(c, p);
	if (regs_ok && ofdma_record_read(c, &r) && r.p.done < p->done &&
	    OFDMA_CS_ERR(p->status) != OFDMA_ERR_CMPL_ADDR)
		ofdma_bad_record(c, &r);
	if (!regs_ok || !ofdma_progress_ok(c, p, NULL)) {
		p->done = c->completed - c->base;
		p->status = OFDMA_CS_ACTIVE;
	}
}

/*
 * Completes what the device finished and recovers a halted channel (lock
 * held), as the record says or, for the watchdog, as the registers say.
 * Completed descriptors keep their callback for ofdma_tasklet, in
 * [cb_done, completed), with their result.
 */
static void ofdma_reap_from(struct ofdma_chan *c, bool regs)
{
	struct ofdma_progress p;

	if (c->od->gone || c->completed == c->submitted)
		return;
	if (regs)
		ofdma_progress_watchdog(c, &p);
	else
		ofdma_progress(c, &p);
	while (!c->od->gone && c->completed != c->submitted) {
		enum dmaengine_tx_result result = DMA_TRANS_NOERROR;
		struct ofdma_sw_desc *sw;
		u64 hw_done = c->base + p.done;
		u32 status = p.status;

		sw = c->seq_sw[ofdma_seq_idx(c->completed)];
		if (!c->halted && c->completed < hw_done && c->completed < c->issued) {
			c->stats.completed++;
			c->stats.bytes += sw->len;
			this_cpu_inc(c->chan.local->memcpy_count);
			this_cpu_add(c->chan.local->bytes_transferred, sw->len);
		} else if (c->halted ||
			   (status & OFDMA_CS_STATE_MASK) == OFDMA_CS_HALTED) {
			if (!c->halted) {
				c->halted = true;
				c->last_err = OFDMA_CS_ERR(status);
				c->stats.errors++;
				result = ofdma_err_result(c->last_err);
				dev_warn_ratelimited(&c->od->pdev->dev,
						     "channel %u halted: error %u at slot %u\n",
						     c->idx, c->last_err, p.err_desc);
			} else {
				result = DMA_TRANS_ABORTED;
				c->stats.aborted++;
			}
			ofdma_mark_failed(c, c->completed);
		} else {
			break;
		}
		ofdma_cookie_complete(&sw->txd);
		/* before a poller can see it complete: the unmap may copy back */
		dma_descriptor_unmap(&sw->txd);
		sw->result = result;
		c->completed++;
		if (c->halted && c->completed == c->submitted) {
			ofdma_hw_start(c);
			c->halted = false;
			c->stats.recoveries++;
		}
	}
}

static void ofdma_reap(struct ofdma_chan *c)
{
	ofdma_reap_from(c, false);
}

/*
 * Reaps, then hands completed descriptors back to their clients in order:
 * free list, callback. The lock is dropped only around a callback,
 * which may submit, terminate (dropping what is still queued here) or poll.
 */
static void ofdma_tasklet(struct tasklet_struct *t)
{
	struct ofdma_chan *c = from_tasklet(c, t, tasklet);
	unsigned long irqf;

	spin_lock_irqsave(&c->lock, irqf);
	ofdma_reap(c);
	while (c->cb_done != c->completed) {
		struct ofdma_sw_desc *sw = c->seq_sw[ofdma_seq_idx(c->cb_done)];
		enum dmaengine_tx_result result = sw->result;
		struct ofdma_cb cb;

		ofdma_cb_get(&sw->txd, &cb);
		list_add(&sw->node, &c->free);
		c->cb_done++;
		if (cb.callback || cb.callback_result) {
			spin_unlock_irqrestore(&c->lock, irqf);
			ofdma_cb_invoke(&cb, result);
			spin_lock_irqsave(&c->lock, irqf);
		}
	}
	spin_unlock_irqrestore(&c->lock, irqf);
}

static irqreturn_t ofdma_isr(int irq, void *data)
{
	struct ofdma_chan *c = data;

	WRITE_ONCE(c->stats.interrupts, c->stats.interrupts + 1);
	WRITE_ONCE(c->irq_seen, true);
	tasklet_schedule(&c->tasklet);
	return IRQ_HANDLED;
}

/*
 * How long issued descriptors may go without an interrupt before the
 * watchdog looks at the channel's registers itself. I/OAT's driver keeps such a timer for
 * the same reason; a copy of OFDMA_MAX_XFER takes a few milliseconds even on
 * an emulated engine.
 */
#define OFDMA_WATCHDOG_MS	100

static void ofdma_watchdog_arm(struct ofdma_chan *c)
{
	if (!timer_pending(&c->watchdog))
		mod_timer(&c->watchdog, jiffies + msecs_to_jiffies(OFDMA_WATCHDOG_MS));
}

/*
 * Reaps what the device finished without an interrupt saying so (one lost,
 * or none asked for), hands it to the tasklet, and stays armed while issued
 * descriptors remain.
 */
static void ofdma_watchdog(struct timer_list *t)
{
	struct ofdma_chan *c = from_timer(c, t, watchdog);
	unsigned long irqf;
	bool deliver;
	u64 before;

	spin_lock_irqsave(&c->lock, irqf);
	if (c->od->gone) {
		spin_unlock_irqrestore(&c->lock, irqf);
		return;
	}
	before = c->completed;
	ofdma_reap_from(c, true);
	if (c->completed != before && !READ_ONCE(c->irq_seen))
		c->stats.watchdog_reaps++;
	WRITE_ONCE(c->irq_seen, false);
	deliver = c->cb_done != c->completed;
	if (c->completed != c->issued)
		ofdma_watchdog_arm(c);
	spin_unlock_irqrestore(&c->lock, irqf);
	if (deliver)
		tasklet_schedule(&c->tasklet);
}

/* ---- dmaengine operations --------------------------------------------------- */

/*
 * Drops every outstanding descriptor without callbacks (lock held): those
 * the device had not finished are failed; those finished but still waiting
 * for the tasklet lose their callback, as terminate_all requires.
 */
static void ofdma_abort_all(struct ofdma_chan *c)
{
	for (; c->cb_done != c->completed; c->cb_done++)
		list_add(&c->seq_sw[ofdma_seq_idx(c->cb_done)]->node, &c->free);
	while (c->completed != c->submitted) {
		struct ofdma_sw_desc *sw = c->seq_sw[ofdma_seq_idx(c->completed)];

		ofdma_mark_failed(c, c->completed);
		ofdma_cookie_complete(&sw->txd);
		dma_descriptor_unmap(&sw->txd);
		list_add(&sw->node, &c->free);
		c->completed++;
		c->stats.aborted++;
	}
	c->cb_done = c->completed;
	c->halted = false;
}

static dma_cookie_t ofdma_tx_submit(struct dma_async_tx_descriptor *tx)
{
	struct ofdma_sw_desc *sw = container_of(tx, struct ofdma_sw_desc, txd);
	struct ofdma_chan *c = to_ofdma_chan(tx->chan);
	unsigned long irqf;
	dma_cookie_t cookie;

	spin_lock_irqsave(&c->lock, irqf);
	cookie = ofdma_cookie_assign(tx);
	c->stats.submitted++;
	if (c->od->gone) {
		/*
		 * prepared before the device went: it fails at once, and so does
		 * what the channel still had (remove may not have reached it)
		 */
		ofdma_abort_all(c);
		ofdma_mark_failed(c, c->submitted);
		c->submitted++;
		c->completed = c->submitted;
		c->cb_done = c->submitted;
		ofdma_cookie_complete(tx);
		dma_descriptor_unmap(tx);
		list_add(&sw->node, &c->free);
		c->stats.aborted++;
	} else {
		u32 slot = ofdma_slot(c, c->submitted);
		struct ofdma_desc *d = &c->ring[slot];

		/* the free list holds fewer descriptors than the ring has slots */
		d->src = cpu_to_le64(sw->src);
		d->dst = cpu_to_le64(sw->dst);
		d->len = cpu_to_le32(sw->len);
		d->flags = cpu_to_le32(sw->hw_flags);
		d->user = cpu_to_le64(c->submitted);
		c->seq_sw[ofdma_seq_idx(c->submitted)] = sw;
		c->submitted++;
	}
	spin_unlock_irqrestore(&c->lock, irqf);
	return cookie;
}

/* A descriptor for the client to submit, or NULL (no free descriptor, halted). */
struct dma_async_tx_descriptor *ofdma_prep_raw(struct ofdma_chan *c, u64 dst,
					       u64 src, u32 len, u32 hw_flags,
					       unsigned long flags)
{
	struct ofdma_sw_desc *sw = NULL;
	unsigned long irqf;

	spin_lock_irqsave(&c->lock, irqf);
	if (!c->od->gone && !c->halted) {
		sw = list_first_entry_or_null(&c->free, struct ofdma_sw_desc, node);
		if (sw)
			list_del(&sw->node);
		else
			c->stats.prep_full++;
	}
	spin_unlock_irqrestore(&c->lock, irqf);
	if (!sw)
		return NULL;
	/* the descriptor is reused: nothing of its last use may stay */
	memset(&sw->txd, 0, sizeof(sw->txd));
	dma_async_tx_descriptor_init(&sw->txd, &c->chan);
	sw->txd.tx_submit = ofdma_tx_submit;
	sw->txd.flags = flags;
	sw->src = src;
	sw->dst = dst;
	sw->len = len;
	sw->hw_flags = hw_flags;
	return &sw->txd;
}

static struct dma_async_tx_descriptor *
ofdma_prep_memcpy(struct dma_chan *chan, dma_addr_t dst, dma_addr_t src,
		  size_t len, unsigned long flags)
{
	struct ofdma_chan *c = to_ofdma_chan(chan);
	u32 hw_flags = 0;

	if (!len || len > OFDMA_MAX_XFER)
		return NULL;
	if (flags & DMA_PREP_INTERRUPT)
		hw_flags |= OFDMA_DF_INTR;
	if (flags & DMA_PREP_FENCE)
		hw_flags |= OFDMA_DF_FENCE;
	/* debugfs "inject CHAN full": refused as when no descriptor is free */
	if (unlikely(atomic_read(&c->refuse)) && atomic_dec_if_positive(&c->refuse) >= 0)
		return NULL;
	/* debugfs "inject CHAN next": this client descriptor will fail */
	if (unlikely(atomic_read(&c->poison)) && atomic_dec_if_positive(&c->poison) >= 0)
		src = OFDMA_NO_MEMORY;
	return ofdma_prep_raw(c, dst, src, len, hw_flags, flags);
}

static void ofdma_issue_pending(struct dma_chan *chan)
{
	struct ofdma_chan *c = to_ofdma_chan(chan);
	unsigned long irqf;

	spin_lock_irqsave(&c->lock, irqf);
	if (!c->od->gone && !c->halted && c->issued != c->submitted &&
	    !atomic_read(&c->stall)) {
		/* descriptors are in memory before the doorbell */
		wmb();
		writel(ofdma_slot(c, c->submitted), c->regs + OFDMA_CH_TAIL);
		c->issued = c->submitted;
		ofdma_watchdog_arm(c);
	}
	spin_unlock_irqrestore(&c->lock, irqf);
}

static enum dma_status ofdma_status_of(struct ofdma_chan *c, dma_cookie_t cookie,
				       struct dma_tx_state *txstate)
{
	unsigned long irqf;
	enum dma_status ret;
	u64 seq;

	/* both cookies from one moment: submitters and completers move them */
	spin_lock_irqsave(&c->lock, irqf);
	ret = ofdma_cookie_status(&c->chan, cookie, txstate);
	if (ret == DMA_COMPLETE && ofdma_cookie_seq(c, cookie, &seq) &&
	    ofdma_seq_failed(c, seq))
		ret = DMA_ERROR;
	spin_unlock_irqrestore(&c->lock, irqf);
	return ret;
}

static enum dma_status ofdma_tx_status(struct dma_chan *chan, dma_cookie_t cookie,
				       struct dma_tx_state *txstate)
{
	struct ofdma_chan *c = to_ofdma_chan(chan);
	unsigned long irqf;
	enum dma_status ret;
	bool deliver;

	ret = ofdma_status_of(c, cookie, txstate);
	if (ret != DMA_IN_PROGRESS)
		return ret;
	/* polling: reap here, leave callbacks and freeing to the tasklet */
	spin_lock_irqsave(&c->lock, irqf);
	ofdma_reap(c);
	deliver = c->cb_done != c->completed;
	spin_unlock_irqrestore(&c->lock, irqf);
	if (deliver)
		tasklet_schedule(&c->tasklet);
	return ofdma_status_of(c, cookie, txstate);
}

static int ofdma_terminate_all(struct dma_chan *chan)
{
	struct ofdma_chan *c = to_ofdma_chan(chan);
	unsigned long irqf;

	spin_lock_irqsave(&c->lock, irqf);
	atomic_set(&c->stall, 0);
	if (!c->od->gone) {
		/* the reset returns once the descriptor being executed is done */
		ofdma_hw_stop(c);
		ofdma_abort_all(c);
		ofdma_hw_start(c);
	} else {
		ofdma_abort_all(c);
	}
	spin_unlock_irqrestore(&c->lock, irqf);
	return 0;
}

/*
 * Callbacks run only in the tasklet, and terminate_all dropped the ones it had
 * not started: waiting for a running tasklet is waiting for every callback of
 * a terminated descriptor. Not tasklet_kill(): a schedule from the interrupt
 * racing with it would be lost, and a later completion with it.
 */
static void ofdma_synchronize(struct dma_chan *chan)
{
	struct ofdma_chan *c = to_ofdma_chan(chan);

	tasklet_unlock_wait(&c->tasklet);
}

static int ofdma_alloc_chan_resources(struct dma_chan *chan)
{
	struct ofdma_chan *c = to_ofdma_chan(chan);
	unsigned long irqf;

	if (c->od->gone)
		return -ENODEV;
	/* the channel runs since probe; a new client starts with no errors */
	spin_lock_irqsave(&c->lock, irqf);
	ofdma_errors_clear(c);
	spin_unlock_irqrestore(&c->lock, irqf);
	return OFDMA_RING_SLOTS - 1;
}

static void ofdma_free_chan_resources(struct dma_chan *chan)
{
	/* drop what the client left behind; the channel stays ready */
	ofdma_terminate_all(chan);
	ofdma_synchronize(chan);
}

/*
 * Software descriptors outlive the device: a client may submit one it
 * prepared before the remove (ofdma_tx_submit fails it).
 */
static void ofdma_free_sw(struct ofdma_dev *od)
{
	unsigned int i;

	for (i = 0; i < od->nchan; i++) {
		kfree(od->chan[i].sw);
		kfree(od->chan[i].seq_sw);
	}
	kfree(od);
}

static struct workqueue_struct *ofdma_wq;	/* ofdma_free_work */

static bool ofdma_match_none(struct dma_chan *chan, void *param)
{
	return false;
}

/*
 * The last reference to the dma_device goes in dma_release_channel() (a
 * client after an unbind) or in dma_async_device_unregister(), with
 * dmaengine's dma_list_mutex held; dma_release_channel() still reads and
 * writes the channel, which is part of od, after dropping it. So od is freed
 * here, after a channel request that matches nothing has taken and dropped
 * that mutex: the caller that dropped the reference has left the core by then.
 */
static void ofdma_free_work(struct work_struct *work)
{
	struct ofdma_dev *od = container_of(work, struct ofdma_dev, free_work);
	struct dma_chan *none;
	dma_cap_mask_t mask;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	none = dma_request_channel(mask, ofdma_match_none, NULL);
	WARN_ON_ONCE(none);
	ofdma_free_sw(od);
}

static void ofdma_release(struct dma_device *dma)
{
	struct ofdma_dev *od = container_of(dma, struct ofdma_dev, dma);

	INIT_WORK(&od->free_work, ofdma_free_work);
	queue_work(ofdma_wq, &od->free_work);
}

void ofdma_read_stats(struct ofdma_chan *c, struct ofdma_chan_stats *out)
{
	unsigned long irqf;

	spin_lock_irqsave(&c->lock, irqf);
	*out = c->stats;
	out->interrupts = READ_ONCE(c->stats.interrupts);
	spin_unlock_irqrestore(&c->lock, irqf);
}

/* ---- PCI ---------------------------------------------------------------------- */

/*
 * Stops the channels and frees what the device may write to. The channels are
 * reset first: one enabled by probe may still write its completion record.
 */
static void ofdma_free_chans(struct ofdma_dev *od)
{
	struct device *dev = &od->pdev->dev;
	unsigned int i;

	for (i = 0; i < od->nchan; i++) {
		struct ofdma_chan *c = &od->chan[i];

		if (c->regs)
			ofdma_hw_stop(c);
		if (c->irq_ok)
			free_irq(c->irq, c);
		c->irq_ok = false;
		/* (it schedules the tasklet; set up by ofdma_init_chan with od) */
		if (c->od)
			timer_shutdown_sync(&c->watchdog);
		tasklet_kill(&c->tasklet);
		if (c->ring)
			dma_free_coherent(dev, OFDMA_RING_SLOTS * OFDMA_DESC_SIZE,
					  c->ring, c->ring_dma);
		if (c->cmpl)
			dma_free_coherent(dev, OFDMA_CMPL_SIZE, c->cmpl, c->cmpl_dma);
		c->ring = NULL;
		c->cmpl = NULL;
	}
	writel(OFDMA_CTRL_RESET, od->bar + OFDMA_REG_CTRL);
}

static int ofdma_init_chan(struct ofdma_dev *od, unsigned int i)
{
	struct device *dev = &od->pdev->dev;
	struct ofdma_chan *c = &od->chan[i];
	unsigned int k;
	int ret;

	c->od = od;
	c->idx = i;
	c->regs = od->bar + OFDMA_REG_CHAN(i);
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->free);
	tasklet_setup(&c->tasklet, ofdma_tasklet);
	timer_setup(&c->watchdog, ofdma_watchdog, 0);
	c->ring = dma_alloc_coherent(dev, OFDMA_RING_SLOTS * OFDMA_DESC_SIZE,
				     &c->ring_dma, GFP_KERNEL);
	c->cmpl = dma_alloc_coherent(dev, OFDMA_CMPL_SIZE, &c->cmpl_dma, GFP_KERNEL);
	/* one slot stays empty: a full ring would look empty to the device */
	c->sw = kcalloc(OFDMA_RING_SLOTS - 1, sizeof(*c->sw), GFP_KERNEL);
	c->seq_sw = kcalloc(OFDMA_RING_SLOTS, sizeof(*c->seq_sw), GFP_KERNEL);
	if (!c->ring || !c->cmpl || !c->sw || !c->seq_sw)
		return -ENOMEM;
	for (k = 0; k < OFDMA_RING_SLOTS - 1; k++)
		list_add_tail(&c->sw[k].node, &c->free);
	ofdma_hw_stop(c);
	c->irq = pci_irq_vector(od->pdev, i);
	ret = request_irq(c->irq, ofdma_isr, 0, dev_name(dev), c);
	if (ret)
		return ret;
	c->irq_ok = true;
	spin_lock_irq(&c->lock);
	ofdma_hw_start(c);
	spin_unlock_irq(&c->lock);
	c->chan.device = &od->dma;
	ofdma_cookie_init(&c->chan);
	list_add_tail(&c->chan.device_node, &od->dma.channels);
	return 0;
}

static int ofdma_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ofdma_dev *od;
	void __iomem *bar;
	unsigned int nchan, i;
	struct dma_device *dma;
	u32 magic;
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(OFDMA_BAR_REGS), OFDMA_DRV_NAME);
	if (ret)
		return ret;
	bar = pcim_iomap_table(pdev)[OFDMA_BAR_REGS];
	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		return ret;
	pci_set_master(pdev);

	magic = readl(bar + OFDMA_REG_ID);
	if (magic != OFDMA_ID_MAGIC) {
		dev_err(&pdev->dev, "bad ID register %#x\n", magic);
		return -ENODEV;
	}
	nchan = readl(bar + OFDMA_REG_NUM_CHAN);
	if (!nchan || nchan > OFDMA_MAX_CHANNELS) {
		dev_err(&pdev->dev, "bad channel count %u\n", nchan);
		return -ENODEV;
	}
	writel(OFDMA_CTRL_RESET, bar + OFDMA_REG_CTRL);

	od = kzalloc(struct_size(od, chan, nchan), GFP_KERNEL);
	if (!od)
		return -ENOMEM;
	od->nchan = nchan;
	od->pdev = pdev;
	od->bar = bar;
	mutex_init(&od->dbg_lock);
	dma = &od->dma;
	INIT_LIST_HEAD(&dma->channels);

	ret = pci_alloc_irq_vectors(pdev, nchan, nchan, PCI_IRQ_MSIX);
	if (ret < 0) {
		dev_err(&pdev->dev, "cannot get %u MSI-X vectors: %d\n", nchan, ret);
		goto err_free;
	}
	for (i = 0; i < nchan; i++) {
		ret = ofdma_init_chan(od, i);
		if (ret)
			goto err_chans;
	}

	dma->dev = &pdev->dev;
	dma_cap_set(DMA_MEMCPY, dma->cap_mask);
	dma->copy_align = DMAENGINE_ALIGN_1_BYTE;
	dma->device_alloc_chan_resources = ofdma_alloc_chan_resources;
	dma->device_free_chan_resources = ofdma_free_chan_resources;
	dma->device_prep_dma_memcpy = ofdma_prep_memcpy;
	dma->device_issue_pending = ofdma_issue_pending;
	dma->device_tx_status = ofdma_tx_status;
	dma->device_terminate_all = ofdma_terminate_all;
	dma->device_synchronize = ofdma_synchronize;
	dma->device_release = ofdma_release;
	dma_set_max_seg_size(&pdev->dev, OFDMA_MAX_XFER);

	ret = dma_async_device_register(dma);
	if (ret)
		goto err_chans;
	pci_set_drvdata(pdev, od);
	ofdma_debugfs_init(od);
	ofdma_genl_add(od);
	dev_info(&pdev->dev, "%u channels, %u-slot rings, MSI-X\n", nchan,
		 OFDMA_RING_SLOTS);
	return 0;

err_chans:
	ofdma_free_chans(od);
	pci_free_irq_vectors(pdev);
err_free:
	ofdma_free_sw(od);
	return ret;
}

static void ofdma_remove(struct pci_dev *pdev)
{
	struct ofdma_dev *od = pci_get_drvdata(pdev);
	unsigned int i;

	/* netlink requests stop seeing it before anything they read goes */
	ofdma_genl_del(od);
	ofdma_debugfs_exit(od);
	/*
	 * Every channel stops before the device counts as gone: a submit on a
	 * channel that sees gone fails what it still has (ofdma_tx_submit), which
	 * is only right once no channel copies any more.
	 */
	for (i = 0; i < od->nchan; i++) {
		struct ofdma_chan *c = &od->chan[i];

		spin_lock_irq(&c->lock);
		ofdma_hw_stop(c);
		spin_unlock_irq(&c->lock);
	}
	for (i = 0; i < od->nchan; i++) {
		struct ofdma_chan *c = &od->chan[i];

		spin_lock_irq(&c->lock);
		ofdma_abort_all(c);
		od->gone = true;
		spin_unlock_irq(&c->lock);
	}
	ofdma_free_chans(od);
	pci_free_irq_vectors(pdev);
	/* drops the last reference (ofdma_release) unless a client holds one */
	dma_async_device_unregister(&od->dma);
}

static const struct pci_device_id ofdma_pci_ids[] = {
	{ PCI_DEVICE(OFDMA_PCI_VENDOR_ID, OFDMA_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, ofdma_pci_ids);

static struct pci_driver ofdma_pci_driver = {
	.name = OFDMA_DRV_NAME,
	.id_table = ofdma_pci_ids,
	.probe = ofdma_probe,
	.remove = ofdma_remove,
};

static int __init ofdma_init(void)
{
	int ret;

	ofdma_wq = alloc_workqueue("ofdma", 0, 0);
	if (!ofdma_wq)
		return -ENOMEM;
	ret = ofdma_debugfs_module_init();
	if (ret)
		goto err_wq;
	ret = pci_register_driver(&ofdma_pci_driver);
	if (ret)
		goto err_debugfs;
	ret = ofdma_genl_init();
	if (ret)
		goto err_pci;
	return 0;

err_pci:
	pci_unregister_driver(&ofdma_pci_driver);
err_debugfs:
	ofdma_debugfs_module_exit();
err_wq:
	destroy_workqueue(ofdma_wq);
	return ret;
}

static void __exit ofdma_exit(void)
{
	/* no request runs once the family is gone: then the devices go */
	ofdma_genl_exit();
	pci_unregister_driver(&ofdma_pci_driver);
	ofdma_debugfs_module_exit();
	/* engines released by a client's last dma_release_channel() */
	destroy_workqueue(ofdma_wq);
}

module_init(ofdma_init);
module_exit(ofdma_exit);
MODULE_DESCRIPTION("dmaengine driver of the ofdma copy engine");
MODULE_LICENSE("GPL");
