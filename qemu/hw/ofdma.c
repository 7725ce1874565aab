/*
 * ofdma: a PCI memory-to-memory copy engine (I/OAT-like) for QEMU 10.0.
 *
 * N channels (property "channels", default 4), each a descriptor ring in guest
 * memory executed by its own worker thread, a completion record written back to
 * guest memory after every descriptor, MSI-X vector c for channel c. The
 * interface is include/ofdma_hw.h; the datasheet is docs/ofdma-spec.md.
 *
 * Threads and locks: the MMIO handlers, reset and the interrupt bottom halves run
 * under the BQL. Each channel's worker runs without the BQL and touches guest
 * memory only through ofdma_map(): a MemoryRegionCache that must resolve to
 * RAM, or the access fails. MMIO dispatch would take the BQL, and so would
 * address_space_map's bounce buffer, which it falls back to when a range stops
 * being RAM between a check and the map (Bus Master cleared, a remap); a
 * cache's pointer stays valid RAM while the cache holds it, whatever the guest
 * remaps meanwhile. The worker therefore never waits for the BQL, and a BQL
 * holder may wait for the worker (channel reset, device reset, unrealize).
 * Lock order: BQL, then a channel's lock. Interrupts go from the worker to a
 * bottom half (qemu_bh_schedule is thread-safe), which calls msix_notify under
 * the BQL.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "qemu/rcu.h"
#include "qemu/atomic.h"
#include "qemu/tsan.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "qom/object.h"
#include "system/dma.h"
#include "system/runstate.h"
#include "exec/memory.h"

#include "ofdma_hw.h"
#include "ofdma_hostile.h"

#define TYPE_OFDMA "ofdma"
OBJECT_DECLARE_SIMPLE_TYPE(OfdmaState, OFDMA)

/* Largest piece copied between two looks at a reset request. */
#define OFDMA_SLICE (1u << 20)
/* Completions after which a pending interrupt is sent even if work remains. */
#define OFDMA_IRQ_BATCH 64

typedef struct OfdmaChan {
    struct OfdmaState *s;
    unsigned int idx;
    QemuThread thread;
    QemuMutex lock;
    QemuCond work_cond;     /* worker: something to do */
    QemuCond idle_cond;     /* BQL side: the worker finished a descriptor */
    QEMUBH *irq_bh;
    bool started;           /* thread created */

    /* Everything below is protected by lock. */
    bool stop;              /* unrealize: the worker exits */
    bool hold;              /* ofdma_quiesce(): start no descriptor */
    bool tail_err;          /* a bad TAIL: halt after the one in flight */
    bool abort;             /* reset: drop the descriptor at the next slice */
    bool paused;            /* the VM is stopped: start no descriptor */
    bool busy;              /* the worker executes a descriptor (unlocked) */
    bool halted;
    bool irq_pending;
    uint64_t ring_base;
    uint64_t cmpl_addr;
    uint32_t ring_size;
    uint32_t ctrl;          /* OFDMA_CC_ENABLE | OFDMA_CC_SUSPEND */
    uint32_t tail;
    uint32_t head;
    uint32_t err;
    uint32_t err_desc;
    uint32_t last_desc;
    uint64_t done;
    uint64_t bytes;
    uint32_t errors;
    unsigned int since_irq; /* INTR completions not yet signalled */
    GRand *hostile_rand;    /* ofdma_hostile.c: this channel's lies */
    OfdmaIrqLie irq_lie;    /* what the last record said about its interrupt */
} OfdmaChan;

struct OfdmaState {
    PCIDevice parent_obj;
    MemoryRegion mmio;
    uint32_t num_chan;
    QemuMutex glock;        /* err_count, err_last (workers update them) */
    uint32_t err_count;
    uint32_t err_last;
    VMChangeStateEntry *vmstate;
    OfdmaHostile hostile;   /* the hostile-* properties */
    OfdmaChan chan[OFDMA_MAX_CHANNELS];
};

static AddressSpace *ofdma_as(OfdmaChan *ch)
{
    return pci_get_address_space(PCI_DEVICE(ch->s));
}

/*
 * Maps up to len (> 0) bytes of guest memory at addr for the worker: a cache
 * over RAM (c->ptr), holding a reference on it until ofdma_unmap(). Returns
 * the length mapped, or 0, holding nothing, if addr is not RAM the device may
 * access that way now.
 */
static hwaddr ofdma_map(OfdmaChan *ch, MemoryRegionCache *c, uint64_t addr,
                        uint64_t len, bool is_write)
{
    int64_t l = address_space_cache_init(c, ofdma_as(ch), addr, len, is_write);

    /* (a read-only alias of RAM, such as PAM's, is no destination) */
    if (l <= 0 || !c->ptr || (is_write && c->mrs.readonly)) {
        address_space_cache_destroy(c);
        return 0;
    }
    return l;
}

/*
 * Guest RAM is shared with the guest's CPUs (and in tests with qtest) without
 * a lock, as a real device's memory is shared with the host's CPUs: a race on
 * it is the guest's affair, never the device's. ThreadSanitizer ignores the
 * device's accesses to it (made with plain memcpy and stores on a cache's
 * pointer between these two), so that what it reports is a race on the
 * device's own state. (Without CONFIG_TSAN they are empty.)
 */
static void ofdma_guest_ram_begin(void)
{
    QEMU_TSAN_ANNOTATE_IGNORE_READS_BEGIN();
    QEMU_TSAN_ANNOTATE_IGNORE_WRITES_BEGIN();
}

static void ofdma_guest_ram_end(void)
{
    QEMU_TSAN_ANNOTATE_IGNORE_WRITES_END();
    QEMU_TSAN_ANNOTATE_IGNORE_READS_END();
}

/* Ends a mapping; written bytes [0, written) are marked dirty first. */
static void ofdma_unmap(MemoryRegionCache *c, hwaddr written)
{
    if (written) {
        address_space_cache_invalidate(c, 0, written);
    }
    address_space_cache_destroy(c);
}

/*
 * True if [addr, addr + len) is entirely RAM that the device may read (or
 * write) directly now, as ofdma_map() sees it. Without Bus Master Enable the
 * bus-master address space is empty, so everything fails here.
 */
static bool ofdma_is_ram(OfdmaChan *ch, uint64_t addr, uint64_t len,
                         bool is_write)
{
    if (len == 0 || addr + len < addr) {
        return false;
    }
    while (len) {
        MemoryRegionCache c;
        hwaddr l = ofdma_map(ch, &c, addr, len, is_write);

        if (!l) {
            return false;
        }
        ofdma_unmap(&c, 0);
        addr += l;
        len -= l;
    }
    return true;
}

/*
 * Copies len bytes between guest RAM and buf (to guest if to_guest). Returns
 * false if part of the range is not RAM (the bytes before it are copied).
 * Both directions copy on the cache's RAM pointer directly (ofdma_unmap marks
 * what was written dirty): address_space_read_cached would call QEMU's fuzzer
 * hook (fuzz_dma_read_cb), which is not thread-safe and must only run on the
 * thread that drives the fuzzer.
 */
static bool ofdma_ram_rw(OfdmaChan *ch, uint64_t addr, void *buf,
                         uint64_t len, bool to_guest)
{
    uint8_t *p = buf;

    while (len) {
        MemoryRegionCache c;
        hwaddr l = ofdma_map(ch, &c, addr, len, to_guest);

        if (!l) {
            return false;
        }
        ofdma_guest_ram_begin();
        if (to_guest) {
            memcpy(c.ptr, p, l);
        } else {
            memcpy(p, c.ptr, l);
        }
        ofdma_guest_ram_end();
        ofdma_unmap(&c, to_guest ? l : 0);
        addr += l;
        p += l;
        len -= l;
    }
    return true;
}

/*
 * Guest-to-guest copy in slices of at most OFDMA_SLICE. Returns an OFDMA_ERR_*
 * (a range that stopped being RAM: the guest remapped it, or cleared Bus
 * Master), or -1 when a reset asked the worker to drop the descriptor.
 */
static int ofdma_copy(OfdmaChan *ch, uint64_t dst, uint64_t src, uint64_t len)
{
    while (len) {
        MemoryRegionCache cs, cd;
        hwaddr ls, ld, n;

        if (qatomic_read(&ch->abort)) {
            return -1;
        }
        ls = ofdma_map(ch, &cs, src, MIN(len, OFDMA_SLICE), false);
        if (!ls) {
            return OFDMA_ERR_SRC;
        }
        ld = ofdma_map(ch, &cd, dst, ls, true);
        if (!ld) {
            ofdma_unmap(&cs, 0);
            return OFDMA_ERR_DST;
        }
        n = MIN(ls, ld);
        ofdma_guest_ram_begin();
        memcpy(cd.ptr, cs.ptr, n);
        ofdma_guest_ram_end();
        ofdma_unmap(&cd, n);
        ofdma_unmap(&cs, 0);
        src += n;
        dst += n;
        len -= n;
    }
    return OFDMA_ERR_NONE;
}

static uint32_t ofdma_state(OfdmaChan *ch)
{
    if (ch->halted) {
        return OFDMA_CS_HALTED;
    }
    if (!(ch->ctrl & OFDMA_CC_ENABLE)) {
        return OFDMA_CS_DISABLED;
    }
    if ((ch->ctrl & OFDMA_CC_SUSPEND) && !ch->busy) {
        return OFDMA_CS_SUSPENDED;
    }
    return ch->head == ch->tail && !ch->busy ? OFDMA_CS_IDLE : OFDMA_CS_ACTIVE;
}

static uint32_t ofdma_status(OfdmaChan *ch)
{
    return ofdma_state(ch) | ch->err << OFDMA_CS_ERR_SHIFT;
}

/* Called with ch->lock held: the worker has work to start. */
static bool ofdma_runnable(OfdmaChan *ch)
{
    return (ch->ctrl & OFDMA_CC_ENABLE) && !(ch->ctrl & OFDMA_CC_SUSPEND) &&
           !ch->halted && !ch->paused && !ch->hold && !ch->tail_err &&
           ch->head != ch->tail;
}

/*
 * Writes the completion record (ch->lock held). last_desc, status and err_desc
 * first, completed last, each with one aligned store. False if the record
 * address is not writable RAM. In hostile mode the record may lie, and
 * ch->irq_lie says whether its interrupt does.
 */
static bool ofdma_write_cmpl(OfdmaChan *ch)
{
    OfdmaRecord rec = {
        .completed = ch->done,
        .last_desc = ch->last_desc,
        .status = ofdma_status(ch),
        .err_desc = ch->halted ? ch->err_desc : 0,
    };
    MemoryRegionCache mc;
    struct ofdma_cmpl *c;

    ch->irq_lie = OFDMA_IRQ_HONEST;

    /* (a halt can come before ENABLE checked the address) */
    if (ch->cmpl_addr & (OFDMA_CMPL_ALIGN - 1)) {
        return false;
    }
    if (ofdma_map(ch, &mc, ch->cmpl_addr, OFDMA_CMPL_SIZE, true) <
        OFDMA_CMPL_SIZE) {
        address_space_cache_destroy(&mc);   /* (a no-op if nothing held) */
        return false;
    }
    if (ch->hostile_rand) {
        ch->irq_lie = ofdma_hostile_record(&ch->s->hostile, ch->hostile_rand,
                                           &rec);
    }
    c = (struct ofdma_cmpl *)mc.ptr;
    ofdma_guest_ram_begin();
    qatomic_set(&c->last_desc, cpu_to_le32(rec.last_desc));
    qatomic_set(&c->status, cpu_to_le32(rec.status));
    qatomic_set(&c->err_desc, cpu_to_le32(rec.err_desc));
    qatomic_set(&c->rsvd[0], 0);
    qatomic_set(&c->rsvd[1], 0);
    qatomic_set(&c->rsvd[2], 0);
    smp_wmb();
    qatomic_set(&c->completed, cpu_to_le64(rec.completed));
    ofdma_guest_ram_end();
    ofdma_unmap(&mc, OFDMA_CMPL_SIZE);
    return true;
}

/* Halts the channel with err on slot (ch->lock held). */
static void ofdma_halt(OfdmaChan *ch, uint32_t err, uint32_t slot)
{
    OfdmaState *s = ch->s;

    ch->halted = true;
    ch->err = err;
    ch->err_desc = slot;
    ch->errors++;
    qemu_mutex_lock(&s->glock);
    s->err_count++;
    s->err_last = err | ch->idx << 8;
    qemu_mutex_unlock(&s->glock);
    qemu_log_mask(LOG_GUEST_ERROR, "ofdma: channel %u halted: error %u at slot %u\n",
                  ch->idx, err, slot);
    ch->irq_lie = OFDMA_IRQ_HONEST;
    if (err != OFDMA_ERR_CMPL_ADDR) {
        ofdma_write_cmpl(ch);
    }
    if (ch->irq_lie != OFDMA_IRQ_DROP) {
        ch->irq_pending = true;
        qemu_bh_schedule(ch->irq_bh);
    }
}

/*
 * Checks and executes one descriptor (no lock held). Returns an OFDMA_ERR_*,
 * or -1 if a reset made the worker drop it.
 */
static int ofdma_exec(OfdmaChan *ch, uint64_t ring, uint32_t slot,
                      uint32_t *flags, uint64_t *copied)
{
    struct ofdma_desc d;
    uint64_t src, dst, len;
    int err;

    *flags = 0;
    *copied = 0;
    if (!ofdma_ram_rw(ch, ring + (uint64_t)slot * OFDMA_DESC_SIZE, &d,
                      sizeof(d), false)) {
        return OFDMA_ERR_DESC_READ;
    }
    *flags = le32_to_cpu(d.flags);
    if (*flags & ~OFDMA_DF_VALID_MASK) {
        return OFDMA_ERR_FLAGS;
    }
    if (*flags & OFDMA_DF_NULL) {
        return OFDMA_ERR_NONE;
    }
    src = le64_to_cpu(d.src);
    dst = le64_to_cpu(d.dst);
    len = le32_to_cpu(d.len);
    if (len == 0 || len > OFDMA_MAX_XFER) {
        return OFDMA_ERR_LEN;
    }
    if (!ofdma_is_ram(ch, src, len, false)) {
        return OFDMA_ERR_SRC;
    }
    if (!ofdma_is_ram(ch, dst, len, true)) {
        return OFDMA_ERR_DST;
    }
    if (src < dst + len && dst < src + len) {
        return OFDMA_ERR_OVERLAP;
    }
    err = ofdma_copy(ch, dst, src, len);
    if (err == OFDMA_ERR_NONE) {
        *copied = len;
    }
    return err;
}

static void *ofdma_worker(void *opaque)
{
    OfdmaChan *ch = opaque;

    rcu_register_thread();
    qemu_mutex_lock(&ch->lock);
    while (!ch->stop) {
        uint64_t ring, copied;
        uint32_t slot, flags;
        int err;

        if (!ofdma_runnable(ch)) {
            if (ch->irq_pending) {
                qemu_bh_schedule(ch->irq_bh);
            }
            qemu_cond_wait(&ch->work_cond, &ch->lock);
            continue;
        }
        slot = ch->head;
        ring = ch->ring_base;
        ch->busy = true;
        qemu_mutex_unlock(&ch->lock);

        err = ofdma_exec(ch, ring, slot, &flags, &copied);

        qemu_mutex_lock(&ch->lock);
        ch->busy = false;
        if (err < 0) {
            /* dropped for a reset, which resets the indices */
        } else if (err) {
            ofdma_halt(ch, err, slot);
        } else {
            ch->head = (slot + 1) & (ch->ring_size - 1);
            ch->last_desc = slot;
            ch->done++;
            ch->bytes += copied;
            if (!ofdma_write_cmpl(ch)) {
                ofdma_halt(ch, OFDMA_ERR_CMPL_ADDR, slot);
            } else if ((flags & OFDMA_DF_INTR) &&
                       ch->irq_lie != OFDMA_IRQ_DROP) {
                ch->irq_pending = true;
                if (++ch->since_irq >= OFDMA_IRQ_BATCH) {
                    qemu_bh_schedule(ch->irq_bh);
                }
            } else if (ch->irq_lie == OFDMA_IRQ_SPURIOUS) {
                ch->irq_pending = true;     /* sent when the worker idles */
            }
        }
        if (ch->tail_err) {
            ch->tail_err = false;
            if (!ch->halted) {
                ofdma_halt(ch, OFDMA_ERR_TAIL, ch->head);
            }
        }
        qemu_cond_broadcast(&ch->idle_cond);
    }
    qemu_mutex_unlock(&ch->lock);
    rcu_unregister_thread();
    return NULL;
}

/* Interrupt bottom half: runs under the BQL. */
static void ofdma_irq_bh(void *opaque)
{
    OfdmaChan *ch = opaque;
    PCIDevice *d = PCI_DEVICE(ch->s);
    bool pending;

    qemu_mutex_lock(&ch->lock);
    pending = ch->irq_pending;
    ch->irq_pending = false;
    ch->since_irq = 0;
    qemu_mutex_unlock(&ch->lock);
    if (pending && msix_enabled(d)) {
        msix_notify(d, ch->idx);
    }
}

/*
 * Waits until the worker is between descriptors and keeps it there (ch->lock
 * held; the worker starts no descriptor while the caller holds the lock):
 * at most the rest of the descriptor in flight, or with drop, of its slice
 * (the descriptor is then not completed and HEAD stays on it).
 */
static void ofdma_quiesce(OfdmaChan *ch, bool drop)
{
    ch->hold = true;
    if (drop) {
        qatomic_set(&ch->abort, true);
    }
    while (ch->busy) {
        qemu_cond_wait(&ch->idle_cond, &ch->lock);
    }
    ch->hold = false;
    qatomic_set(&ch->abort, false);
}

/* Channel reset (ch->lock held); full: device reset, also clear config. */
static void ofdma_chan_reset(OfdmaChan *ch, bool full)
{
    ofdma_quiesce(ch, true);
    ch->tail_err = false;
    ch->ctrl = 0;
    ch->head = 0;
    ch->tail = 0;
    ch->halted = false;
    ch->err = 0;
    ch->err_desc = 0;
    ch->last_desc = 0;
    ch->done = 0;
    ch->irq_pending = false;
    ch->since_irq = 0;
    if (full) {
        ch->ring_base = 0;
        ch->ring_size = 0;
        ch->cmpl_addr = 0;
        ch->bytes = 0;
        ch->errors = 0;
    }
}

/*
 * VM stop/cont: a stopped VM sees no memory change, so the channels finish the
 * descriptor they are on and start no other until the VM runs again.
 */
static void ofdma_vm_state(void *opaque, bool running, RunState state)
{
    OfdmaState *s = opaque;
    unsigned int i;

    for (i = 0; i < s->num_chan; i++) {
        OfdmaChan *ch = &s->chan[i];

        qemu_mutex_lock(&ch->lock);
        ch->paused = !running;
        if (running) {
            qemu_cond_signal(&ch->work_cond);
        } else {
            ofdma_quiesce(ch, false);
        }
        qemu_mutex_unlock(&ch->lock);
    }
}

static void ofdma_reset_all(OfdmaState *s)
{
    unsigned int i;

    for (i = 0; i < s->num_chan; i++) {
        OfdmaChan *ch = &s->chan[i];

        qemu_mutex_lock(&ch->lock);
        ofdma_chan_reset(ch, true);
        qemu_mutex_unlock(&ch->lock);
        qemu_bh_cancel(ch->irq_bh);
    }
    qemu_mutex_lock(&s->glock);
    s->err_count = 0;
    s->err_last = 0;
    qemu_mutex_unlock(&s->glock);
}

static void ofdma_enable(OfdmaChan *ch)
{
    uint32_t n = ch->ring_size;

    ch->ctrl |= OFDMA_CC_ENABLE;
    ch->done = 0;
    if (n < OFDMA_RING_MIN || n > OFDMA_RING_MAX || (n & (n - 1)) ||
        (ch->ring_base & (OFDMA_RING_ALIGN - 1))) {
        ofdma_halt(ch, OFDMA_ERR_RING, ch->head);
        return;
    }
    if ((ch->cmpl_addr & (OFDMA_CMPL_ALIGN - 1)) ||
        !ofdma_is_ram(ch, ch->cmpl_addr, OFDMA_CMPL_SIZE, true)) {
        ofdma_halt(ch, OFDMA_ERR_CMPL_ADDR, ch->head);
        return;
    }
    if (ch->head >= n || ch->tail >= n) {
        /* Ring size changed under stored indices: start from an empty ring. */
        ch->head = 0;
        ch->tail = 0;
    }
    /* The record starts over with the count: completed 0, state IDLE/ACTIVE. */
    ch->last_desc = 0;
    if (!ofdma_write_cmpl(ch)) {
        ofdma_halt(ch, OFDMA_ERR_CMPL_ADDR, ch->head);
        return;
    }
    qemu_cond_signal(&ch->work_cond);
}

static uint64_t ofdma_chan_read(OfdmaChan *ch, hwaddr reg)
{
    uint64_t v = 0;

    qemu_mutex_lock(&ch->lock);
    switch (reg) {
    case OFDMA_CH_RING_LO:
        v = (uint32_t)ch->ring_base;
        break;
    case OFDMA_CH_RING_HI:
        v = ch->ring_base >> 32;
        break;
    case OFDMA_CH_RING_SIZE:
        v = ch->ring_size;
        break;
    case OFDMA_CH_CMPL_LO:
        v = (uint32_t)ch->cmpl_addr;
        break;
    case OFDMA_CH_CMPL_HI:
        v = ch->cmpl_addr >> 32;
        break;
    case OFDMA_CH_CTRL:
        v = ch->ctrl;
        break;
    case OFDMA_CH_TAIL:
        v = ch->tail;
        break;
    case OFDMA_CH_HEAD:
        v = ch->head;
        break;
    case OFDMA_CH_STATUS:
        v = ofdma_status(ch);
        break;
    case OFDMA_CH_ERR_DESC:
        v = ch->err_desc;
        break;
    case OFDMA_CH_DONE_LO:
        v = (uint32_t)ch->done;
        break;
    case OFDMA_CH_DONE_HI:
        v = ch->done >> 32;
        break;
    case OFDMA_CH_BYTES_LO:
        v = (uint32_t)ch->bytes;
        break;
    case OFDMA_CH_BYTES_HI:
        v = ch->bytes >> 32;
        break;
    case OFDMA_CH_ERRORS:
        v = ch->errors;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "ofdma: read of unknown channel register 0x%"
                      HWADDR_PRIx "\n", reg);
        break;
    }
    qemu_mutex_unlock(&ch->lock);
    return v;
}

static void ofdma_chan_write(OfdmaChan *ch, hwaddr reg, uint32_t v)
{
    bool enabled;

    qemu_mutex_lock(&ch->lock);
    enabled = ch->ctrl & OFDMA_CC_ENABLE;
    switch (reg) {
    case OFDMA_CH_RING_LO:
    case OFDMA_CH_RING_HI:
    case OFDMA_CH_RING_SIZE:
    case OFDMA_CH_CMPL_LO:
    case OFDMA_CH_CMPL_HI:
        if (enabled) {
            qemu_log_mask(LOG_GUEST_ERROR, "ofdma: channel %u: ring register 0x%"
                          HWADDR_PRIx " written while enabled, ignored\n",
                          ch->idx, reg);
            break;
        }
        if (reg == OFDMA_CH_RING_LO) {
            ch->ring_base = deposit64(ch->ring_base, 0, 32, v);
        } else if (reg == OFDMA_CH_RING_HI) {
            ch->ring_base = deposit64(ch->ring_base, 32, 32, v);
        } else if (reg == OFDMA_CH_RING_SIZE) {
            ch->ring_size = v;
        } else if (reg == OFDMA_CH_CMPL_LO) {
            ch->cmpl_addr = deposit64(ch->cmpl_addr, 0, 32, v);
        } else {
            ch->cmpl_addr = deposit64(ch->cmpl_addr, 32, 32, v);
        }
        break;
    case OFDMA_CH_CTRL:
        if (v & OFDMA_CC_RESET) {
            ofdma_chan_reset(ch, false);
            break;
        }
        if (ch->halted) {
            /* Only a reset leaves HALTED; keep SUSPEND/ENABLE as written. */
            ch->ctrl = v & OFDMA_CC_RW_MASK;
            break;
        }
        ch->ctrl = (ch->ctrl & OFDMA_CC_ENABLE) | (v & OFDMA_CC_SUSPEND);
        if ((v & OFDMA_CC_ENABLE) && !enabled) {
            ofdma_enable(ch);
        } else if (!(v & OFDMA_CC_ENABLE)) {
            ch->ctrl &= ~OFDMA_CC_ENABLE;
        }
        qemu_cond_signal(&ch->work_cond);
        break;
    case OFDMA_CH_TAIL:
        if (ch->ring_size && v >= ch->ring_size) {
            /*
             * The descriptor in flight completes first (the worker halts the
             * channel then), so that ERR_DESC names the first slot not
             * executed, as after any other error.
             */
            if (ch->busy) {
                ch->tail_err = true;
            } else if (!ch->halted) {
                ofdma_halt(ch, OFDMA_ERR_TAIL, ch->head);
            }
            break;
        }
        if (!ch->ring_size && enabled) {
            break;
        }
        ch->tail = v;
        qemu_cond_signal(&ch->work_cond);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "ofdma: write of read-only or unknown channel "
                      "register 0x%" HWADDR_PRIx "\n", reg);
        break;
    }
    qemu_mutex_unlock(&ch->lock);
}

static uint64_t ofdma_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    OfdmaState *s = opaque;
    uint64_t v = 0;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ofdma: %u-byte read at 0x%" HWADDR_PRIx
                      " dropped\n", size, addr);
        return 0;
    }
    if (addr >= OFDMA_REG_CHAN(0)) {
        hwaddr c = (addr - OFDMA_REG_CHAN(0)) / 0x80;

        if (c < s->num_chan) {
            return ofdma_chan_read(&s->chan[c], (addr - OFDMA_REG_CHAN(0)) % 0x80);
        }
        return 0;
    }
    switch (addr) {
    case OFDMA_REG_ID:
        v = OFDMA_ID_MAGIC;
        break;
    case OFDMA_REG_VERSION:
        v = OFDMA_VERSION;
        break;
    case OFDMA_REG_NUM_CHAN:
        v = s->num_chan;
        break;
    case OFDMA_REG_CAPS:
        v = OFDMA_CAP_MEMCPY | OFDMA_CAP_FENCE | OFDMA_CAP_NULL | OFDMA_CAP_CMPL;
        break;
    case OFDMA_REG_MAX_XFER:
        v = OFDMA_MAX_XFER;
        break;
    case OFDMA_REG_ERR_COUNT:
        qemu_mutex_lock(&s->glock);
        v = s->err_count;
        qemu_mutex_unlock(&s->glock);
        break;
    case OFDMA_REG_ERR_LAST:
        qemu_mutex_lock(&s->glock);
        v = s->err_last;
        qemu_mutex_unlock(&s->glock);
        break;
    default:
        break;
    }
    return v;
}

static void ofdma_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    OfdmaState *s = opaque;

    if (size != 4 || (addr & 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "ofdma: %u-byte write at 0x%" HWADDR_PRIx
                      " dropped\n", size, addr);
        return;
    }
    if (addr >= OFDMA_REG_CHAN(0)) {
        hwaddr c = (addr - OFDMA_REG_CHAN(0)) / 0x80;

        if (c < s->num_chan) {
            ofdma_chan_write(&s->chan[c], (addr - OFDMA_REG_CHAN(0)) % 0x80, val);
        }
        return;
    }
    if (addr == OFDMA_REG_CTRL) {
        if (val & OFDMA_CTRL_RESET) {
            ofdma_reset_all(s);
        }
        return;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "ofdma: write of read-only or unknown register 0x%"
                  HWADDR_PRIx "\n", addr);
}

static const MemoryRegionOps ofdma_mmio_ops = {
    .read = ofdma_mmio_read,
    .write = ofdma_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

static void ofdma_realize(PCIDevice *d, Error **errp)
{
    OfdmaState *s = OFDMA(d);
    DeviceState *dev = DEVICE(d);
    unsigned int i;

    if (s->num_chan < 1 || s->num_chan > OFDMA_MAX_CHANNELS) {
        error_setg(errp, "ofdma: channels must be 1..%d", OFDMA_MAX_CHANNELS);
        return;
    }
    if (s->hostile.rate > 1000) {
        error_setg(errp, "ofdma: hostile-rate is per 1000 records: 0..1000");
        return;
    }
    d->config[PCI_INTERRUPT_PIN] = 0;   /* MSI-X only */
    memory_region_init_io(&s->mmio, OBJECT(s), &ofdma_mmio_ops, s,
                          "ofdma-mmio", OFDMA_BAR_REGS_SIZE);
    pci_register_bar(d, OFDMA_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->mmio);
    if (msix_init_exclusive_bar(d, OFDMA_MSIX_VECTORS, OFDMA_BAR_MSIX, errp)) {
        return;
    }
    for (i = 0; i < OFDMA_MSIX_VECTORS; i++) {
        msix_vector_use(d, i);
    }
    qemu_mutex_init(&s->glock);
    for (i = 0; i < s->num_chan; i++) {
        OfdmaChan *ch = &s->chan[i];
        char name[32];

        ch->s = s;
        ch->idx = i;
        qemu_mutex_init(&ch->lock);
        qemu_cond_init(&ch->work_cond);
        qemu_cond_init(&ch->idle_cond);
        ch->irq_bh = qemu_bh_new_guarded(ofdma_irq_bh, ch,
                                         &dev->mem_reentrancy_guard);
        if (s->hostile.rate) {
            ch->hostile_rand = g_rand_new_with_seed(s->hostile.seed + i);
        }
        snprintf(name, sizeof(name), "ofdma-ch%u", i);
        qemu_thread_create(&ch->thread, name, ofdma_worker, ch,
                           QEMU_THREAD_JOINABLE);
        ch->started = true;
    }
    s->vmstate = qemu_add_vm_change_state_handler(ofdma_vm_state, s);
}

static void ofdma_exit(PCIDevice *d)
{
    OfdmaState *s = OFDMA(d);
    unsigned int i;

    if (s->vmstate) {
        qemu_del_vm_change_state_handler(s->vmstate);
        s->vmstate = NULL;
    }
    for (i = 0; i < s->num_chan; i++) {
        OfdmaChan *ch = &s->chan[i];

        if (!ch->started) {
            continue;
        }
        qemu_mutex_lock(&ch->lock);
        ch->stop = true;
        qatomic_set(&ch->abort, true);
        qemu_cond_signal(&ch->work_cond);
        qemu_mutex_unlock(&ch->lock);
        qemu_thread_join(&ch->thread);
        qemu_bh_delete(ch->irq_bh);
        if (ch->hostile_rand) {
            g_rand_free(ch->hostile_rand);
            ch->hostile_rand = NULL;
        }
        qemu_cond_destroy(&ch->work_cond);
        qemu_cond_destroy(&ch->idle_cond);
        qemu_mutex_destroy(&ch->lock);
        ch->started = false;
    }
    qemu_mutex_destroy(&s->glock);
    msix_uninit_exclusive_bar(d);
}

/*
 * Resettable hold phase: the reset waits for each worker to finish the
 * descriptor it is on (its DMA), as DMA-capable devices must stop their DMA
 * by the end of hold; then the channels are cleared.
 */
static void ofdma_reset_hold(Object *obj, ResetType type)
{
    ofdma_reset_all(OFDMA(obj));
}

static const VMStateDescription ofdma_vmstate = {
    .name = "ofdma",
    .unmigratable = 1,
};

static const Property ofdma_properties[] = {
    DEFINE_PROP_UINT32("channels", OfdmaState, num_chan, OFDMA_DEFAULT_CHANNELS),
    /* testing a driver against a lying device: ofdma_hostile.c */
    DEFINE_PROP_UINT32("hostile-seed", OfdmaState, hostile.seed, 0),
    DEFINE_PROP_UINT32("hostile-rate", OfdmaState, hostile.rate, 0),
    DEFINE_PROP_UINT32("hostile-lies", OfdmaState, hostile.lies, 0),
};

static void ofdma_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = ofdma_realize;
    k->exit = ofdma_exit;
    k->vendor_id = OFDMA_PCI_VENDOR_ID;
    k->device_id = OFDMA_PCI_DEVICE_ID;
    k->revision = OFDMA_PCI_REVISION;
    k->class_id = OFDMA_PCI_CLASS;
    dc->desc = "ofdma memory-to-memory copy engine";
    rc->phases.hold = ofdma_reset_hold;
    dc->vmsd = &ofdma_vmstate;
    device_class_set_props(dc, ofdma_properties);
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static const TypeInfo ofdma_info = {
    .name = TYPE_OFDMA,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(OfdmaState),
    .class_init = ofdma_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void ofdma_register_types(void)
{
    type_register_static(&ofdma_info);
}

type_init(ofdma_register_types)
