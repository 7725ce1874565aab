// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs of ofdma.ko, one directory per device: /sys/kernel/debug/ofdma/<pci>/
 *   stats   per-channel counters, "chanN key value" lines (stable names)
 *   inject  write "CHAN KIND" (KIND: src dst len flags overlap): submit one
 *           descriptor the device must refuse, wait for it; read: the outcome.
 *           "CHAN next": the next descriptor a client (dmatest, ofcopy...)
 *           submits on CHAN gets a bad source address; "CHAN full": the
 *           next prep of a client on CHAN fails as if the ring were full;
 *           "CHAN stall": issue_pending rings no doorbell on CHAN until the
 *           next terminate_all, so the client's descriptors never complete
 *   bench   write "CHAN KIB ROUNDS": copy a KIB KiB buffer ROUNDS times with the
 *           engine and with memcpy(), verify; read: the numbers
 *   pollcheck  write "CHAN PATTERN" (PATTERN: up to OFDMA_POLL_MAX letters g
 *           or f): a polled dmaengine client takes CHAN, makes one 64-byte
 *           copy per letter, each waited for with dma_sync_wait() (no
 *           callback, no interrupt flag); before an f copy it arms the
 *           injector as "CHAN next" does. Then it asks tx_status again about
 *           every cookie and compares the data. read: one line per copy
 *   cbcheck write "CHAN N" (N up to OFDMA_POLL_MAX): a private client makes N
 *           64-byte copies with callbacks and no interrupt flag, and polls
 *           the last one with tx_status until it completes, then waits for
 *           the callbacks; then N more with interrupts, terminated at once
 *           with dmaengine_terminate_sync(). read: "chan C copies N
 *           callbacks R in_task T in_poller P running_after_sync S late L":
 *           R callbacks of the first N ran, T of them in process context, P
 *           in the polling thread; S callbacks were still running when
 *           terminate_sync returned, L started after it
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ofdma.h"

static struct dentry *ofdma_dbg_root;

static const char * const ofdma_state_names[] = {
	"disabled", "idle", "active", "suspended", "halted",
};

static int ofdma_stats_show(struct seq_file *m, void *unused)
{
	struct ofdma_dev *od = m->private;
	unsigned int i;

	for (i = 0; i < od->nchan; i++) {
		struct ofdma_chan *c = &od->chan[i];
		struct ofdma_chan_stats s;
		u32 st = ofdma_chan_status(c);
		u32 state = st & OFDMA_CS_STATE_MASK;

		ofdma_read_stats(c, &s);
		seq_printf(m, "chan%u name %s\n", i, dma_chan_name(&c->chan));
		seq_printf(m, "chan%u state %s\n", i,
			   state < ARRAY_SIZE(ofdma_state_names) ?
			   ofdma_state_names[state] : "unknown");
		seq_printf(m, "chan%u in_use %d\n", i, c->chan.client_count);
		seq_printf(m, "chan%u submitted %llu\n", i, s.submitted);
		seq_printf(m, "chan%u completed %llu\n", i, s.completed);
		seq_printf(m, "chan%u bytes %llu\n", i, s.bytes);
		seq_printf(m, "chan%u errors %llu\n", i, s.errors);
		seq_printf(m, "chan%u aborted %llu\n", i, s.aborted);
		seq_printf(m, "chan%u recoveries %llu\n", i, s.recoveries);
		seq_printf(m, "chan%u interrupts %llu\n", i, s.interrupts);
		seq_printf(m, "chan%u prep_full %llu\n", i, s.prep_full);
		seq_printf(m, "chan%u bad_records %llu\n", i, s.bad_records);
		seq_printf(m, "chan%u watchdog_reaps %llu\n", i, s.watchdog_reaps);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ofdma_stats);

struct ofdma_wait {
	struct completion done;
	enum dmaengine_tx_result result;
};

static void ofdma_wait_cb(void *param, const struct dmaengine_result *res)
{
	struct ofdma_wait *w = param;

	w->result = res ? res->result : DMA_TRANS_NOERROR;
	complete(&w->done);
}

static const char *ofdma_result_name(enum dmaengine_tx_result r)
{
	switch (r) {
	case DMA_TRANS_NOERROR:
		return "ok";
	case DMA_TRANS_READ_FAILED:
		return "read-failed";
	case DMA_TRANS_WRITE_FAILED:
		return "write-failed";
	default:
		return "aborted";
	}
}

/* Submits one raw descriptor and waits for its callback (5 s at most). */
static int ofdma_run_one(struct ofdma_chan *c, u64 dst, u64 src, u32 len,
			 u32 hw_flags, enum dmaengine_tx_result *result)
{
	struct dma_async_tx_descriptor *tx;
	struct ofdma_wait w;

	init_completion(&w.done);
	tx = ofdma_prep_raw(c, dst, src, len, hw_flags | OFDMA_DF_INTR,
			    DMA_PREP_INTERRUPT | DMA_CTRL_ACK);
	if (!tx)
		return -EBUSY;
	tx->callback_result = ofdma_wait_cb;
	tx->callback_param = &w;
	dmaengine_submit(tx);
	dma_async_issue_pending(&c->chan);
	if (!wait_for_completion_timeout(&w.done, 5 * HZ)) {
		dmaengine_terminate_sync(&c->chan);
		return -ETIMEDOUT;
	}
	*result = w.result;
	return 0;
}

static int ofdma_parse_chan(struct ofdma_dev *od, const char *buf, unsigned int *ch,
			    char *word, unsigned int *a, unsigned int *b)
{
	int n;

	if (b)
		n = sscanf(buf, "%u %u %u", ch, a, b);
	else
		n = sscanf(buf, "%u %15s", ch, word);
	if (n < (b ? 3 : 2) || *ch >= od->nchan)
		return -EINVAL;
	return 0;
}

/* Copies a command of count bytes written to a debugfs file into buf. */
static int ofdma_dbg_line(char *buf, size_t size, const char __user *ubuf,
			  size_t count)
{
	if (count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = 0;
	return 0;
}

static ssize_t ofdma_inject_write(struct file *f, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct ofdma_dev *od = file_inode(f)->i_private;
	struct device *dev = &od->pdev->dev;
	enum dmaengine_tx_result result = DMA_TRANS_NOERROR;
	u64 src, dst, bad = OFDMA_NO_MEMORY;
	u32 len = 256, flags = 0;
	char buf[32], kind[16];
	unsigned int ch;
	struct ofdma_chan *c;
	dma_addr_t addr;
	void *mem;
	int ret;

	ret = ofdma_dbg_line(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (ofdma_parse_chan(od, buf, &ch, kind, NULL, NULL))
		return -EINVAL;
	c = &od->chan[ch];
	if (!strcmp(kind, "next") || !strcmp(kind, "full") || !strcmp(kind, "stall")) {
		atomic_t *armed = kind[0] == 'n' ? &c->poison :
				  kind[0] == 'f' ? &c->refuse : &c->stall;

		atomic_inc(armed);
		mutex_lock(&od->dbg_lock);
		snprintf(od->inject_result, sizeof(od->inject_result),
			 "chan %u kind %s armed %d\n", ch, kind, atomic_read(armed));
		mutex_unlock(&od->dbg_lock);
		return count;
	}
	mem = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (!mem)
		return -ENOMEM;
	addr = dma_map_single(dev, mem, PAGE_SIZE, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(dev, addr)) {
		kfree(mem);
		return -ENOMEM;
	}
	src = addr;
	dst = addr + PAGE_SIZE / 2;
	if (!strcmp(kind, "src")) {
		src = bad;
	} else if (!strcmp(kind, "dst")) {
		dst = bad;
	} else if (!strcmp(kind, "len")) {
		len = 0;
	} else if (!strcmp(kind, "flags")) {
		flags = 1u << 7;
	} else if (!strcmp(kind, "overlap")) {
		dst = src + 16;
	} else if (strcmp(kind, "none")) {
		ret = -EINVAL;
		goto out;
	}
	mutex_lock(&od->dbg_lock);
	ret = ofdma_run_one(c, dst, src, len, flags, &result);
	if (!ret)
		snprintf(od->inject_result, sizeof(od->inject_result),
			 "chan %u kind %s result %s\n", ch, kind,
			 ofdma_result_name(result));
	mutex_unlock(&od->dbg_lock);
out:
	dma_unmap_single(dev, addr, PAGE_SIZE, DMA_BIDIRECTIONAL);
	kfree(mem);
	return ret ? ret : count;
}

static ssize_t ofdma_inject_read(struct file *f, char __user *ubuf, size_t count,
				 loff_t *ppos)
{
	struct ofdma_dev *od = file_inode(f)->i_private;
	char buf[sizeof(od->inject_result)];

	mutex_lock(&od->dbg_lock);
	strscpy(buf, od->inject_result, sizeof(buf));
	mutex_unlock(&od->dbg_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, strlen(buf));
}

static const struct file_operations ofdma_inject_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = ofdma_inject_read,
	.write = ofdma_inject_write,
	.llseek = default_llseek,
};

/* One round: the whole buffer in pieces of at most 1 MiB, one doorbell. */
static int ofdma_bench_round(struct ofdma_chan *c, dma_addr_t dst, dma_addr_t src,
			     size_t size)
{
	struct dma_async_tx_descriptor *tx = NULL;
	struct ofdma_wait w;
	size_t off, piece = SZ_1M;

	init_completion(&w.done);
	for (off = 0; off < size; off += piece) {
		size_t l = min(piece, size - off);
		bool last = off + l >= size;

		tx = ofdma_prep_raw(c, dst + off, src + off, l,
				    last ? OFDMA_DF_INTR : 0,
				    DMA_CTRL_ACK | (last ? DMA_PREP_INTERRUPT : 0));
		if (!tx)
			return -EBUSY;
		if (last) {
			tx->callback_result = ofdma_wait_cb;
			tx->callback_param = &w;
		}
		dmaengine_submit(tx);
	}
	dma_async_issue_pending(&c->chan);
	if (!wait_for_completion_timeout(&w.done, 10 * HZ)) {
		dmaengine_terminate_sync(&c->chan);
		return -ETIMEDOUT;
	}
	return w.result == DMA_TRANS_NOERROR ? 0 : -EIO;
}

static ssize_t ofdma_bench_write(struct file *f, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct ofdma_dev *od = file_inode(f)->i_private;
	struct device *dev = &od->pdev->dev;
	unsigned int ch, kib, rounds, order, r;
	u64 t0, dma_ns, cpu_ns, total;
	dma_addr_t sa, da;
	struct page *sp, *dp;
	void *s, *d;
	size_t size;
	char buf[48];
	bool same;
	int ret = 0;

	ret = ofdma_dbg_line(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (ofdma_parse_chan(od, buf, &ch, NULL, &kib, &rounds))
		return -EINVAL;
	if (!kib || kib > 4096 || !rounds || rounds > 10000)
		return -EINVAL;
	size = (size_t)kib * 1024;
	order = get_order(size);
	sp = alloc_pages(GFP_KERNEL, order);
	dp = alloc_pages(GFP_KERNEL, order);
	if (!sp || !dp) {
		ret = -ENOMEM;
		goto out_pages;
	}
	s = page_address(sp);
	d = page_address(dp);
	get_random_bytes(s, size);
	memset(d, 0, size);
	sa = dma_map_page(dev, sp, 0, size, DMA_TO_DEVICE);
	da = dma_map_page(dev, dp, 0, size, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, sa) || dma_mapping_error(dev, da)) {
		ret = -ENOMEM;
		goto out_map;
	}
	mutex_lock(&od->dbg_lock);
	t0 = ktime_get_ns();
	for (r = 0; r < rounds && !ret; r++)
		ret = ofdma_bench_round(&od->chan[ch], da, sa, size);
	dma_ns = ktime_get_ns() - t0;
	dma_sync_single_for_cpu(dev, da, size, DMA_FROM_DEVICE);
	same = !memcmp(s, d, size);
	memset(d, 0, size);
	t0 = ktime_get_ns();
	for (r = 0; r < rounds; r++) {
		memcpy(d, s, size);
		barrier();
	}
	cpu_ns = ktime_get_ns() - t0;
	total = (u64)size * rounds;
	if (!ret)
		snprintf(od->bench_result, sizeof(od->bench_result),
			 "chan %u bytes %llu dma_ns %llu dma_MBps %llu memcpy_ns %llu memcpy_MBps %llu verified %d\n",
			 ch, total, dma_ns, div64_u64(total * 1000, dma_ns ?: 1),
			 cpu_ns, div64_u64(total * 1000, cpu_ns ?: 1), same);
	mutex_unlock(&od->dbg_lock);
	if (!ret && !same)
		ret = -EIO;
out_map:
	if (!dma_mapping_error(dev, sa))
		dma_unmap_page(dev, sa, size, DMA_TO_DEVICE);
	if (!dma_mapping_error(dev, da))
		dma_unmap_page(dev, da, size, DMA_FROM_DEVICE);
out_pages:
	if (sp)
		__free_pages(sp, order);
	if (dp)
		__free_pages(dp, order);
	return ret ? ret : count;
}

static ssize_t ofdma_bench_read(struct file *f, char __user *ubuf, size_t count,
				loff_t *ppos)
{
	struct ofdma_dev *od = file_inode(f)->i_private;
	char buf[sizeof(od->bench_result)];

	mutex_lock(&od->dbg_lock);
	strscpy(buf, od->bench_result, sizeof(buf));
	mutex_unlock(&od->dbg_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, strlen(buf));
}

static const struct file_operations ofdma_bench_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = ofdma_bench_read,
	.write = ofdma_bench_write,
	.llseek = default_llseek,
};

#define OFDMA_POLL_MAX		64	/* copies of one pollcheck */
#define OFDMA_POLL_LEN		64	/* bytes of each */
#define OFDMA_POLL_LINE		80	/* bytes of its result line, at most */

static const char *ofdma_status_name(enum dma_status st)
{
	switch (st) {
	case DMA_COMPLETE:
		return "complete";
	case DMA_IN_PROGRESS:
		return "in-progress";
	case DMA_PAUSED:
		return "paused";
	default:
		return "error";
	}
}

static bool ofdma_poll_filter(struct dma_chan *chan, void *param)
{
	return chan == param;
}

/*
 * The polled client of "pollcheck": takes the channel as any private client
 * does (dmatest's way), copies piece i of a source page to piece i of a destination page
 * holding its complement, so a copy that moved nothing is told apart.
 */
static int ofdma_pollcheck(struct ofdma_dev *od, unsigned int ch, const char *pat,
			   unsigned int n, char *out, size_t size)
{
	struct device *dev = &od->pdev->dev;
	struct ofdma_chan *c = &od->chan[ch];
	dma_cookie_t cookie[OFDMA_POLL_MAX];
	enum dma_status polled[OFDMA_POLL_MAX];
	struct dma_async_tx_descriptor *tx;
	struct dma_chan *chan;
	dma_cap_mask_t mask;
	dma_addr_t addr;
	unsigned int i;
	size_t len = 0;
	u8 *buf;
	int ret = 0;

	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_channel(mask, ofdma_poll_filter, &c->chan);
	if (!chan)
		return -EBUSY;	/* another client holds it */
	buf = dma_alloc_coherent(dev, 2 * PAGE_SIZE, &addr, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out_chan;
	}
	get_random_bytes(buf, PAGE_SIZE);
	for (i = 0; i < PAGE_SIZE; i++)
		buf[PAGE_SIZE + i] = ~buf[i];
	for (i = 0; i < n; i++) {
		size_t off = i * OFDMA_POLL_LEN;

		if (pat[i] == 'f')
			atomic_inc(&c->poison);
		tx = dmaengine_prep_dma_memcpy(chan, addr + PAGE_SIZE + off,
					       addr + off, OFDMA_POLL_LEN,
					       DMA_CTRL_ACK);
		if (!tx) {
			ret = -EIO;
			goto out_buf;
		}
		cookie[i] = dmaengine_submit(tx);
		dma_async_issue_pending(chan);
		polled[i] = dma_sync_wait(chan, cookie[i]);
	}
	len += scnprintf(out + len, size - len, "chan %u copies %u ring %u\n",
			 ch, n, OFDMA_ERR_RANGES);
	for (i = 0; i < n; i++) {
		size_t off = i * OFDMA_POLL_LEN;
		enum dma_status now;
		bool same;

		now = dma_async_is_tx_complete(chan, cookie[i], NULL, NULL);
		same = !memcmp(buf + off, buf + PAGE_SIZE + off, OFDMA_POLL_LEN);
		len += scnprintf(out + len, size - len,
				 "%u %c cookie %d polled %s now %s data %s\n",
				 i, pat[i], cookie[i], ofdma_status_name(polled[i]),
				 ofdma_status_name(now), same ? "copied" : "not-copied");
	}
out_buf:
	dma_free_coherent(dev, 2 * PAGE_SIZE, buf, addr);
out_chan:
	dma_release_channel(chan);
	return ret;
}

static ssize_t ofdma_pollcheck_write(struct file *f, const char __user *ubuf,
				     size_t count, loff_t *ppos)
{
	struct ofdma_dev *od = file_inode(f)->i_private;
	size_t size = 64 + OFDMA_POLL_MAX * OFDMA_POLL_LINE;
	char buf[80], pat[80];
	unsigned int ch, n;
	int end = 0;
	char *out;
	int ret;

	ret = ofdma_dbg_line(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	/* pat is as large as buf: %79s cannot cut the pattern short */
	if (sscanf(buf, "%u %79s %n", &ch, pat, &end) != 2 || buf[end] ||
	    ch >= od->nchan)
		return -EINVAL;
	n = strlen(pat);
	if (n > OFDMA_POLL_MAX || strspn(pat, "gf") != n)
		return -EINVAL;
	out = kzalloc(size, GFP_KERNEL);
	if (!out)
		return -ENOMEM;
	mutex_lock(&od->dbg_lock);
	ret = ofdma_pollcheck(od, ch, pat, n, out, size);
	if (!ret) {
		kfree(od->poll_result);
		od->poll_result = out;
		out = NULL;
	}
	mutex_unlock(&od->dbg_lock);
	kfree(out);
	return ret ? ret : count;
}

static ssize_t ofdma_pollcheck_read(struct file *f, char __user *ubuf, size_t count,
				    loff_t *ppos)
{
	struct ofdma_dev *od = file_inode(f)->i_private;
	ssize_t ret = 0;

	mutex_lock(&od->dbg_lock);
	if (od->poll_result)
		ret = simple_read_from_buffer(ubuf, count, ppos, od->poll_result,
					      strlen(od->poll_result));
	mutex_unlock(&od->dbg_lock);
	return ret;
}

static const struct file_operations ofdma_pollcheck_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = ofdma_pollcheck_read,
	.write = ofdma_pollcheck_write,
	.llseek = default_llseek,
};

/* What the callbacks of cbcheck saw. */
struct ofdma_cbcheck {
	struct task_struct *poller;
	struct completion all;		/* the first n callbacks ran */
	unsigned int n;
	atomic_t ran, in_task, in_poller, running, late;
	bool synced;			/* terminate_sync returned */
};

static void ofdma_cbcheck_cb(void *param, const struct dmaengine_result *res)
{
	struct ofdma_cbcheck *k = param;
	u64 end;

	atomic_inc(&k->running);
	if (READ_ONCE(k->synced))
		atomic_inc(&k->late);
	if (in_task()) {
		atomic_inc(&k->in_task);
		if (current == k->poller)
			atomic_inc(&k->in_poller);
	}
	if (atomic_inc_return(&k->ran) == k->n)
		complete(&k->all);
	/* a callback that takes a while: synchronize must wait for it */
	end = ktime_get_ns() + 50 * NSEC_PER_USEC;
	while (ktime_get_ns() < end)
		cpu_relax();
	atomic_dec(&k->running);
}

/* n copies with callbacks, the last one polled; then n terminated. */
static int ofdma_cbcheck(struct ofdma_dev *od, unsigned int ch, unsigned int n,
			 char *out, size_t size)
{
	struct device *dev = &od->pdev->dev;
	struct dma_async_tx_descriptor *tx;
	struct ofdma_cbcheck *k;
	dma_cookie_t cookie = 0;
	unsigned long end;
	struct dma_chan *chan;
	dma_cap_mask_t mask;
	unsigned int i, round;
	int running = 0;
	dma_addr_t addr;
	u8 *buf;
	int ret = 0;

	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return -ENOMEM;
	k->poller = current;
	k->n = n;
	init_completion(&k->all);
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_channel(mask, ofdma_poll_filter, &od->chan[ch].chan);
	if (!chan) {
		kfree(k);
		return -EBUSY;	/* another client holds it */
	}
	buf = dma_alloc_coherent(dev, 2 * PAGE_SIZE, &addr, GFP_KERNEL);
	if (!buf) {
		ret = -ENOMEM;
		goto out_chan;
	}
	for (round = 0; round < 2; round++) {
		for (i = 0; i < n; i++) {
			size_t off = i * OFDMA_POLL_LEN;

			tx = dmaengine_prep_dma_memcpy(chan, addr + PAGE_SIZE + off, addr + off,
						       OFDMA_POLL_LEN,
						       DMA_CTRL_ACK |
						       (round ? DMA_PREP_INTERRUPT : 0));
			if (!tx) {
				ret = -EIO;
				goto out_buf;
			}
			tx->callback_result = ofdma_cbcheck_cb;
			tx->callback_param = k;
			cookie = dmaengine_submit(tx);
		}
		dma_async_issue_pending(chan);
		if (round)
			break;
		end = jiffies + 5 * HZ;
		while (dma_async_is_tx_complete(chan, cookie, NULL, NULL) == DMA_IN_PROGRESS &&
		       time_before(jiffies, end))
			cpu_relax();
		if (!wait_for_completion_timeout(&k->all, 5 * HZ))
			dev_warn(dev, "cbcheck: %d of %u callbacks ran\n",
				 atomic_read(&k->ran), n);
	}
	dmaengine_terminate_sync(chan);
	running = atomic_read(&k->running);
	WRITE_ONCE(k->synced, true);
	msleep(100);
	scnprintf(out, size,
		  "chan %u copies %u callbacks %d in_task %d in_poller %d running_after_sync %d late %d\n",
		  ch, n, min_t(int, atomic_read(&k->ran), n), atomic_read(&k->in_task),
		  atomic_read(&k->in_poller), running, atomic_read(&k->late));
out_buf:
	dma_free_coherent(dev, 2 * PAGE_SIZE, buf, addr);
out_chan:
	dma_release_channel(chan);
	kfree(k);
	return ret;
}

static ssize_t ofdma_cbcheck_write(struct file *f, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct ofdma_dev *od = file_inode(f)->i_private;
	unsigned int ch, n;
	char buf[32], out[sizeof(od->inject_result)];
	int ret;

	ret = ofdma_dbg_line(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (sscanf(buf, "%u %u", &ch, &n) != 2 || ch >= od->nchan || !n ||
	    n > OFDMA_POLL_MAX)
		return -EINVAL;
	mutex_lock(&od->dbg_lock);
	ret = ofdma_cbcheck(od, ch, n, out, sizeof(out));
	if (!ret)
		strscpy(od->cbcheck_result, out, sizeof(od->cbcheck_result));
	mutex_unlock(&od->dbg_lock);
	return ret ? ret : count;
}

static ssize_t ofdma_cbcheck_read(struct file *f, char __user *ubuf, size_t count,
				  loff_t *ppos)
{
	struct ofdma_dev *od = file_inode(f)->i_private;
	char buf[sizeof(od->cbcheck_result)];

	mutex_lock(&od->dbg_lock);
	strscpy(buf, od->cbcheck_result, sizeof(buf));
	mutex_unlock(&od->dbg_lock);
	return simple_read_from_buffer(ubuf, count, ppos, buf, strlen(buf));
}

static const struct file_operations ofdma_cbcheck_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = ofdma_cbcheck_read,
	.write = ofdma_cbcheck_write,
	.llseek = default_llseek,
};

void ofdma_debugfs_init(struct ofdma_dev *od)
{
	od->dbg = debugfs_create_dir(pci_name(od->pdev), ofdma_dbg_root);
	debugfs_create_file("stats", 0444, od->dbg, od, &ofdma_stats_fops);
	debugfs_create_file("inject", 0600, od->dbg, od, &ofdma_inject_fops);
	debugfs_create_file("bench", 0600, od->dbg, od, &ofdma_bench_fops);
	debugfs_create_file("pollcheck", 0600, od->dbg, od, &ofdma_pollcheck_fops);
	debugfs_create_file("cbcheck", 0600, od->dbg, od, &ofdma_cbcheck_fops);
}

void ofdma_debugfs_exit(struct ofdma_dev *od)
{
	/* waits for readers and writers of the files */
	debugfs_remove_recursive(od->dbg);
	od->dbg = NULL;
	kfree(od->poll_result);
	od->poll_result = NULL;
}

int ofdma_debugfs_module_init(void)
{
	ofdma_dbg_root = debugfs_create_dir(OFDMA_DRV_NAME, NULL);
	return 0;
}

void ofdma_debugfs_module_exit(void)
{
	debugfs_remove_recursive(ofdma_dbg_root);
}
