/*
 * ofnic: a multi-queue offload NIC for studying how drivers and NICs cooperate.
 *
 * The hardware interface (registers, descriptors, interrupt rules) is
 * defined in ofnic_hw.h, shared with the Linux driver, and described in
 * docs/hw-spec.md. This file holds the registers, interrupts (with
 * moderation) and PCI glue; ofnic_tx.c and ofnic_rx.c the data paths.
 *
 * Every value the guest supplies (ring bases and sizes, tail indices,
 * descriptor addresses and lengths) is validated. A bad one halts the ring it
 * belongs to with an error code, is counted, and raises the admin interrupt;
 * the guest recovers by resetting the ring. DMA only goes through the device's
 * bus-master address space, so it can never reach outside guest memory.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/iov.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "hw/pci/pci_device.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "net/net.h"
#include "net/eth.h"
#include "qom/object.h"
#include "system/dma.h"
#include "system/runstate.h"
#include "net_tx_pkt.h"

#include "ofnic_int.h"

/* ---- interrupts ---------------------------------------------------------- */

static void ofnic_admin_update(OfnicState *s)
{
    PCIDevice *d = PCI_DEVICE(s);

    if (!(s->int_cause & s->int_mask)) {
        return;
    }
    if (s->admin_armed && msix_enabled(d)) {
        s->admin_armed = false;
        msix_notify(d, OFNIC_MSIX_ADMIN);
    }
}

static void ofnic_admin_raise(OfnicState *s, uint32_t cause)
{
    s->int_cause |= cause;
    ofnic_admin_update(s);
}

/* Send the pair's message if one is due and the vector is armed. */
static void ofnic_qp_try_send(OfnicQP *qp)
{
    PCIDevice *d = PCI_DEVICE(qp->s);

    if (qp->pending && qp->armed && msix_enabled(d)) {
        qp->armed = false;
        qp->pending = false;
        msix_notify(d, OFNIC_MSIX_QP(qp->idx));
    }
}

/*
 * Interrupt moderation of one direction: its events become a due message
 * once `frames` of them are counted or `usecs` have passed since the first
 * one; 0/0 or frames = 1 means at once. A value 0 disables that criterion.
 */
static void ofnic_itr_check(OfnicQP *qp, int dir)
{
    OfnicItr *it = &qp->itr[dir];
    uint32_t usecs = it->reg & OFNIC_ITR_USECS_MASK;
    uint32_t frames = it->reg >> OFNIC_ITR_FRAMES_SHIFT;
    bool due;

    if (!it->count) {
        return;
    }
    if (frames == 1 || (frames == 0 && usecs == 0)) {
        due = true;
    } else {
        due = (frames && it->count >= frames) ||
              (usecs && qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) >=
                        it->first_ns + (int64_t)usecs * SCALE_US);
    }
    if (!due) {
        if (usecs) {
            timer_mod(it->timer, it->first_ns + (int64_t)usecs * SCALE_US);
        } else {
            timer_del(it->timer);
        }
        return;
    }
    it->count = 0;
    timer_del(it->timer);
    qp->pending = true;
    ofnic_qp_try_send(qp);
}

void ofnic_qp_event(OfnicQP *qp, int dir, uint32_t n)
{
    OfnicItr *it = &qp->itr[dir];

    if (!it->count) {
        it->first_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    }
    it->count = MIN((uint64_t)it->count + n, UINT32_MAX);
    ofnic_itr_check(qp, dir);
}

/*
 * A message on the pair's vector with nothing new on its rings (hostile
 * mode), as the vector's arming allows.
 */
void ofnic_qp_spurious(OfnicQP *qp)
{
    qp->pending = true;
    ofnic_qp_try_send(qp);
}

static void ofnic_qp_timer_cb(void *opaque)
{
    OfnicQP *qp = opaque;

    /* Interrupts and DMA run from a BH guarded against MMIO re-entrancy. */
    qemu_bh_schedule(qp->timer_bh);
}

static void ofnic_qp_timer_bh(void *opaque)
{
    OfnicQP *qp = opaque;

    if (!qp->s->vm_running) {
        return;     /* ofnic_vm_state() runs us again */
    }
    if (qp->s->rx_kick_due) {
        qp->s->rx_kick_due = false;
        ofnic_rx_kick(qp->s);
    }
    ofnic_itr_check(qp, OFNIC_ITR_DIR_TX);
    ofnic_itr_check(qp, OFNIC_ITR_DIR_RX);
    ofnic_lro_timer_work(qp);
}

/* ---- rings --------------------------------------------------------------- */

void ofnic_ring_fail(OfnicQP *qp, bool rx, uint32_t code, const char *what)
{
    OfnicState *s = qp->s;
    OfnicRing *r = rx ? &qp->rx : &qp->tx;

    qemu_log_mask(LOG_GUEST_ERROR, "ofnic: %s queue %u halted: %s\n",
                  rx ? "rx" : "tx", qp->idx, what);
    r->status |= OFNIC_QS_ERROR;
    r->status = (r->status & ~OFNIC_QS_ERR_MASK) | (code << OFNIC_QS_ERR_SHIFT);
    r->errors++;
    s->err_count++;
    s->err_last = code | (qp->idx << 16) |
                  ((rx ? OFNIC_ERR_DIR_RX : OFNIC_ERR_DIR_TX) << 24);
    s->stats[rx ? OFNIC_STAT_RX_ERRORS : OFNIC_STAT_TX_ERRORS]++;
    ofnic_admin_raise(s, OFNIC_INT_QERR);
    if (rx) {
        /*
         * If that was the last RX ring on, the port is off and what QEMU
         * holds for it must be dropped (hw-spec 7). Not from here: a halt
         * can happen inside a flush of those very frames.
         */
        s->rx_kick_due = true;
        qemu_bh_schedule(qp->timer_bh);
    }
}

static void ofnic_ring_reset(OfnicRing *r)
{
    r->head = 0;
    r->tail = 0;
    r->ctrl = 0;
    r->status = 0;
}

/* Validate a ring's configuration when the guest enables it. */
static bool ofnic_ring_config_ok(OfnicRing *r, bool rx)
{
    if (r->size < OFNIC_RING_MIN || r->size > OFNIC_RING_MAX ||
        (r->size & (r->size - 1))) {
        return false;
    }
    if (r->base & (OFNIC_RING_ALIGN - 1)) {
        return false;
    }
    if (rx && (r->buf_size < OFNIC_RX_BUF_MIN ||
               r->buf_size > OFNIC_RX_BUF_MAX)) {
        return false;
    }
    if (rx && r->hdr_size && (r->hdr_size < OFNIC_HDR_BUF_MIN ||
                              r->hdr_size > OFNIC_HDR_BUF_MAX)) {
        return false;
    }
    /* SIZE may have shrunk since the indices were set: no stale index. */
    if (r->head >= r->size || r->tail >= r->size) {
        return false;
    }
    return true;
}

static void ofnic_set_link_status(NetClientState *nc)
{
    OfnicState *s = qemu_get_nic_opaque(nc);

    /* QEMU calls this on every set_link, changed or not. */
    if (nc->link_down != s->link_down) {
        s->link_down = nc->link_down;
        ofnic_admin_raise(s, OFNIC_INT_LINK);
    }
}

/* ---- registers ----------------------------------------------------------- */

static void ofnic_reset_state(OfnicState *s)
{
    unsigned int i;

    s->rx_kick_due = false;
    s->ctrl = 0;
    s->rx_ctrl = 0;
    s->max_frame = 1514 + 4;  /* 1500-byte MTU plus a VLAN tag */
    s->int_cause = 0;
    s->int_mask = 0;
    s->admin_armed = true;
    s->err_count = 0;
    s->err_last = 0;
    s->lro_max_len = OFNIC_LRO_MAX_LEN_DEF;
    s->lro_max_segs = OFNIC_LRO_MAX_SEGS_DEF;
    s->lro_timeout = OFNIC_LRO_TIMEOUT_DEF;
    memcpy(s->mac, s->conf.macaddr.a, ETH_ALEN);
    memset(s->rss, 0, sizeof(s->rss));
    memset(s->flow, 0, sizeof(s->flow));
    s->flow_end = 0;
    memset(s->stats, 0, sizeof(s->stats));
    for (i = 0; i < OFNIC_MAX_QP; i++) {
        OfnicQP *qp = &s->qp[i];

        if (qp->tx_bh) {
            qemu_bh_cancel(qp->tx_bh);
        }
        if (qp->timer_bh) {
            qemu_bh_cancel(qp->timer_bh);
        }
        memset(&qp->tx, 0, sizeof(qp->tx));
        memset(&qp->rx, 0, sizeof(qp->rx));
        for (int dir = 0; dir < 2; dir++) {
            qp->itr[dir].reg = 0;
            qp->itr[dir].count = 0;
            if (qp->itr[dir].timer) {
                timer_del(qp->itr[dir].timer);
            }
        }
        ofnic_lro_discard(qp);
        qp->armed = true;
        qp->pending = false;
        qp->tx_waiting = false;
    }
}

/*
 * The peer's side of a reset: the offloads a vnet-header backend may use
 * follow RX_CTRL (now 0), and neither frames we sent nor frames held for us
 * survive.
 */
static void ofnic_reset_peer(OfnicState *s)
{
    unsigned int i;

    ofnic_vnet_update_offloads(s);
    for (i = 0; s->nic && i < ofnic_net_queues(s); i++) {
        NetClientState *nc = qemu_get_subqueue(s->nic, i);

        qemu_purge_queued_packets(nc);
        qemu_flush_or_purge_queued_packets(nc, true);
    }
}

/* CTRL.RESET: the device's own reset; PCI config space and MSI-X stay. */
static void ofnic_soft_reset(OfnicState *s)
{
    ofnic_reset_state(s);
    ofnic_reset_peer(s);
}

/*
 * Resettable: the enter phase resets only the device's own state (registers,
 * rings, its BHs and timers); the backend's offloads and the frames queued
 * in the net layer are the peer's, so they wait for the hold phase.
 */
static void ofnic_reset_enter(Object *obj, ResetType type)
{
    ofnic_reset_state(OFNIC(obj));
}

static void ofnic_reset_hold(Object *obj, ResetType type)
{
    ofnic_reset_peer(OFNIC(obj));
}

static uint32_t ofnic_status(OfnicState *s)
{
    uint32_t v = 0;
    unsigned int i;

    if (!qemu_get_queue(s->nic)->link_down) {
        v |= OFNIC_STATUS_LINK_UP;
    }
    if (s->ctrl & OFNIC_CTRL_ENABLE) {
        v |= OFNIC_STATUS_ENABLED;
    }
    for (i = 0; i < s->num_qp; i++) {
        if ((s->qp[i].tx.status | s->qp[i].rx.status) & OFNIC_QS_ERROR) {
            v |= OFNIC_STATUS_QERR;
        }
    }
    return v;
}

static uint32_t ofnic_features(void)
{
    return OFNIC_F_TX_CSUM | OFNIC_F_RX_CSUM | OFNIC_F_TSO | OFNIC_F_LRO |
           OFNIC_F_HDS | OFNIC_F_RSS | OFNIC_F_ITR | OFNIC_F_FLOW;
}

static uint64_t ofnic_ring_read(OfnicRing *r, hwaddr off)
{
    switch (off) {
    case OFNIC_Q_BASE_LO:
        return (uint32_t)r->base;
    case OFNIC_Q_BASE_HI:
        return r->base >> 32;
    case OFNIC_Q_SIZE:
        return r->size;
    case OFNIC_Q_CTRL:
        return r->ctrl;
    case OFNIC_Q_HEAD:
        return r->head;
    case OFNIC_Q_TAIL:
        return r->tail;
    case OFNIC_Q_STATUS:
        return r->status;
    case OFNIC_Q_BUF_SIZE:
        return r->buf_size;
    case OFNIC_Q_HDR_SIZE:
        return r->hdr_size;
    case OFNIC_Q_ERRORS:
        return r->errors;
    case OFNIC_Q_DROPS:
        return r->drops;
    }
    return 0;
}

static uint64_t ofnic_qp_read(OfnicQP *qp, hwaddr off)
{
    if (off < OFNIC_QP_RX) {
        return ofnic_ring_read(&qp->tx, off - OFNIC_QP_TX);
    }
    if (off < OFNIC_QP_INT_ARM) {
        return ofnic_ring_read(&qp->rx, off - OFNIC_QP_RX);
    }
    if (off == OFNIC_QP_ITR_RX) {
        return qp->itr[OFNIC_ITR_DIR_RX].reg;
    }
    if (off == OFNIC_QP_ITR_TX) {
        return qp->itr[OFNIC_ITR_DIR_TX].reg;
    }
    return 0;
}

/* ---- RSS contexts and the flow table (hw-spec §RSS contexts, §flow table) */

static uint64_t ofnic_rss_read(OfnicRss *c, hwaddr off)
{
    if (off < OFNIC_RSSC_KEY + OFNIC_RSS_KEY_LEN) {
        return c->key[off / 4];
    }
    if (off == OFNIC_RSSC_HASH_TYPES) {
        return c->hash_types;
    }
    if (off >= OFNIC_RSSC_RETA && off < OFNIC_RSSC_RETA + OFNIC_RSS_RETA_SIZE) {
        return c->reta[(off - OFNIC_RSSC_RETA) / 4];
    }
    return 0;
}

static bool ofnic_rss_write(OfnicRss *c, hwaddr off, uint32_t val)
{
    if (off < OFNIC_RSSC_KEY + OFNIC_RSS_KEY_LEN) {
        c->key[off / 4] = val;
    } else if (off == OFNIC_RSSC_HASH_TYPES) {
        c->hash_types = val;
    } else if (off >= OFNIC_RSSC_RETA &&
               off < OFNIC_RSSC_RETA + OFNIC_RSS_RETA_SIZE) {
        c->reta[(off - OFNIC_RSSC_RETA) / 4] = val;
    } else {
        return false;
    }
    return true;
}

/* The word of entry f at off, or NULL (HITS and holes are not words). */
static uint32_t *ofnic_flow_word(OfnicFlow *f, hwaddr off)
{
    if (off >= OFNIC_FLOW_SRC && off < OFNIC_FLOW_SRC + 16) {
        return &f->src[(off - OFNIC_FLOW_SRC) / 4];
    }
    if (off >= OFNIC_FLOW_SRC_MASK && off < OFNIC_FLOW_SRC_MASK + 16) {
        return &f->src_mask[(off - OFNIC_FLOW_SRC_MASK) / 4];
    }
    if (off >= OFNIC_FLOW_DST && off < OFNIC_FLOW_DST + 16) {
        return &f->dst[(off - OFNIC_FLOW_DST) / 4];
    }
    if (off >= OFNIC_FLOW_DST_MASK && off < OFNIC_FLOW_DST_MASK + 16) {
        return &f->dst_mask[(off - OFNIC_FLOW_DST_MASK) / 4];
    }
    switch (off) {
    case OFNIC_FLOW_CTRL:
        return &f->ctrl;
    case OFNIC_FLOW_ARG:
        return &f->arg;
    case OFNIC_FLOW_PORTS:
        return &f->ports;
    case OFNIC_FLOW_PORT_MASK:
        return &f->port_mask;
    }
    return NULL;
}

static uint64_t ofnic_flow_read(OfnicFlow *f, hwaddr off)
{
    uint32_t *w = ofnic_flow_word(f, off);

    if (w) {
        return *w;
    }
    if (off == OFNIC_FLOW_HITS_LO) {
        return (uint32_t)f->hits;
    }
    if (off == OFNIC_FLOW_HITS_HI) {
        return f->hits >> 32;
    }
    return 0;
}

static bool ofnic_flow_write(OfnicState *s, unsigned int i, hwaddr off,
                             uint32_t val)
{
    OfnicFlow *f = &s->flow[i];
    uint32_t *w = ofnic_flow_word(f, off);

    if (!w) {
        return false;
    }
    *w = val;
    if (off == OFNIC_FLOW_CTRL) {
        f->hits = 0;
        if (val & OFNIC_FLC_VALID) {
            s->flow_end = MAX(s->flow_end, i + 1);
        } else {
            while (s->flow_end &&
                   !(s->flow[s->flow_end - 1].ctrl & OFNIC_FLC_VALID)) {
                s->flow_end--;
            }
        }
    }
    return true;
}

static uint64_t ofnic_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    OfnicState *s = opaque;

    if (addr >= OFNIC_REG_QP(0) && addr < OFNIC_REG_QP(s->num_qp)) {
        return ofnic_qp_read(&s->qp[(addr - OFNIC_REG_QP(0)) / 0x100],
                             (addr - OFNIC_REG_QP(0)) % 0x100);
    }
    if (addr >= OFNIC_REG_STAT_BASE &&
        addr < OFNIC_REG_STAT(OFNIC_NUM_STATS)) {
        uint64_t v = s->stats[(addr - OFNIC_REG_STAT_BASE) / 8];

        return (addr & 4) ? v >> 32 : (uint32_t)v;
    }
    if (addr >= OFNIC_REG_RSS_KEY &&
        addr < OFNIC_REG_RSS_KEY + OFNIC_RSS_KEY_LEN) {
        return ofnic_rss_read(&s->rss[0], OFNIC_RSSC_KEY +
                              addr - OFNIC_REG_RSS_KEY);
    }
    if (addr >= OFNIC_REG_RSS_RETA &&
        addr < OFNIC_REG_RSS_RETA + OFNIC_RSS_RETA_SIZE) {
        return ofnic_rss_read(&s->rss[0], OFNIC_RSSC_RETA +
                              addr - OFNIC_REG_RSS_RETA);
    }
    if (addr >= OFNIC_REG_RSS_CTX(0) &&
        addr < OFNIC_REG_RSS_CTX(OFNIC_RSS_CTX_MAX)) {
        return ofnic_rss_read(&s->rss[(addr - OFNIC_REG_RSS_CTX(0)) / 0x200],
                              (addr - OFNIC_REG_RSS_CTX(0)) % 0x200);
    }
    if (addr >= OFNIC_REG_FLOW(0) &&
        addr < OFNIC_REG_FLOW(OFNIC_FLOW_ENTRIES)) {
        return ofnic_flow_read(&s->flow[(addr - OFNIC_REG_FLOW(0)) / 0x80],
                               (addr - OFNIC_REG_FLOW(0)) % 0x80);
    }

    switch (addr) {
    case OFNIC_REG_ID:
        return OFNIC_ID_MAGIC;
    case OFNIC_REG_VERSION:
        return OFNIC_VERSION;
    case OFNIC_REG_FEATURES:
        return ofnic_features();
    case OFNIC_REG_MAX_QP:
        return s->num_qp;
    case OFNIC_REG_CTRL:
        return s->ctrl;
    case OFNIC_REG_STATUS:
        return ofnic_status(s);
    case OFNIC_REG_MAC_LO:
        return ldl_le_p(s->mac);
    case OFNIC_REG_MAC_HI:
        return lduw_le_p(s->mac + 4);
    case OFNIC_REG_MAX_FRAME:
        return s->max_frame;
    case OFNIC_REG_RX_CTRL:
        return s->rx_ctrl;
    case OFNIC_REG_INT_CAUSE:
        return s->int_cause;
    case OFNIC_REG_INT_MASK:
        return s->int_mask;
    case OFNIC_REG_ERR_COUNT:
        return s->err_count;
    case OFNIC_REG_ERR_LAST:
        return s->err_last;
    case OFNIC_REG_RSS_HASH_TYPES:
        return s->rss[0].hash_types;
    case OFNIC_REG_FLOW_ENTRIES:
        return OFNIC_FLOW_ENTRIES;
    case OFNIC_REG_RSS_CONTEXTS:
        return OFNIC_RSS_CTX_MAX;
    case OFNIC_REG_LRO_MAX_LEN:
        return s->lro_max_len;
    case OFNIC_REG_LRO_MAX_SEGS:
        return s->lro_max_segs;
    case OFNIC_REG_LRO_TIMEOUT:
        return s->lro_timeout;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "ofnic: read of unknown register 0x%"
                  HWADDR_PRIx "\n", addr);
    return 0;
}

/*
 * A ring that stops receiving ends its queue's coalescing context: written
 * if it can be (disable), else dropped and counted like a frame for a
 * disabled ring.
 */
static void ofnic_lro_end(OfnicQP *qp, bool write)
{
    if (write) {
        ofnic_lro_flush(qp);
    }
    if (qp->lro.active || qp->lro.closed) {
        ofnic_lro_discard(qp);
        qp->rx.drops++;
        qp->s->stats[OFNIC_STAT_RX_NO_BUF]++;
    }
}

static void ofnic_ring_ctrl(OfnicQP *qp, bool rx, uint32_t val)
{
    OfnicRing *r = rx ? &qp->rx : &qp->tx;

    if (val & OFNIC_QC_RESET) {
        if (rx) {
            ofnic_lro_end(qp, false);
        }
        ofnic_ring_reset(r);
        if (!rx) {
            qemu_bh_cancel(qp->tx_bh);
            /* A frame the peer still holds completes on its own. */
            qp->tx_waiting = false;
        }
        return;
    }
    r->ctrl = val & OFNIC_QC_ENABLE;
    if (!(val & OFNIC_QC_ENABLE)) {
        if (rx && (r->status & OFNIC_QS_ENABLED)) {
            ofnic_lro_end(qp, true);
        }
        r->status &= ~OFNIC_QS_ENABLED;
        return;
    }
    if (r->status & OFNIC_QS_ENABLED) {
        return;
    }
    if (!ofnic_ring_config_ok(r, rx)) {
        ofnic_ring_fail(qp, rx, OFNIC_ERR_RING_CONFIG, "bad ring config");
        return;
    }
    r->status |= OFNIC_QS_ENABLED;
}

static void ofnic_ring_write(OfnicQP *qp, bool rx, hwaddr off, uint32_t val)
{
    OfnicState *s = qp->s;
    OfnicRing *r = rx ? &qp->rx : &qp->tx;
    bool live = r->status & OFNIC_QS_ENABLED;

    switch (off) {
    case OFNIC_Q_BASE_LO:
        if (!live) {
            r->base = (r->base & ~0xffffffffULL) | val;
        }
        return;
    case OFNIC_Q_BASE_HI:
        if (!live) {
            r->base = (r->base & 0xffffffffULL) | ((uint64_t)val << 32);
        }
        return;
    case OFNIC_Q_SIZE:
        if (!live) {
            r->size = val;
        }
        return;
    case OFNIC_Q_BUF_SIZE:
        if (!live) {
            r->buf_size = val;
        }
        return;
    case OFNIC_Q_HDR_SIZE:
        if (!live) {
            r->hdr_size = val;
        }
        return;
    case OFNIC_Q_CTRL:
        ofnic_ring_ctrl(qp, rx, val);
        break;
    case OFNIC_Q_TAIL:
        if (!live || (r->status & OFNIC_QS_ERROR)) {
            return;
        }
        if (val >= r->size) {
            s->stats[OFNIC_STAT_DOORBELL_ERRORS]++;
            ofnic_ring_fail(qp, rx, OFNIC_ERR_TAIL, "tail out of range");
            return;
        }
        r->tail = val;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "ofnic: write to read-only or "
                      "unknown queue register 0x%" HWADDR_PRIx "\n", off);
        return;
    }
    if (rx) {
        ofnic_rx_kick(s);
    } else {
        qemu_bh_schedule(qp->tx_bh);
    }
}

static void ofnic_qp_write(OfnicQP *qp, hwaddr off, uint32_t val)
{
    if (off < OFNIC_QP_RX) {
        ofnic_ring_write(qp, false, off - OFNIC_QP_TX, val);
    } else if (off < OFNIC_QP_INT_ARM) {
        ofnic_ring_write(qp, true, off - OFNIC_QP_RX, val);
    } else if (off == OFNIC_QP_INT_ARM) {
        if (val & 1) {
            qp->armed = true;
            ofnic_qp_try_send(qp);
        }
    } else if (off == OFNIC_QP_ITR_RX || off == OFNIC_QP_ITR_TX) {
        int dir = off == OFNIC_QP_ITR_RX ? OFNIC_ITR_DIR_RX : OFNIC_ITR_DIR_TX;

        /* The new setting applies to the events already counted too. */
        qp->itr[dir].reg = val;
        ofnic_itr_check(qp, dir);
    }
}

static void ofnic_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    OfnicState *s = opaque;
    unsigned int i;

    if (addr >= OFNIC_REG_QP(0) && addr < OFNIC_REG_QP(s->num_qp)) {
        ofnic_qp_write(&s->qp[(addr - OFNIC_REG_QP(0)) / 0x100],
                       (addr - OFNIC_REG_QP(0)) % 0x100, val);
        return;
    }
    if (addr >= OFNIC_REG_RSS_KEY &&
        addr < OFNIC_REG_RSS_KEY + OFNIC_RSS_KEY_LEN) {
        ofnic_rss_write(&s->rss[0], OFNIC_RSSC_KEY + addr - OFNIC_REG_RSS_KEY,
                        val);
        return;
    }
    if (addr >= OFNIC_REG_RSS_RETA &&
        addr < OFNIC_REG_RSS_RETA + OFNIC_RSS_RETA_SIZE) {
        ofnic_rss_write(&s->rss[0],
                        OFNIC_RSSC_RETA + addr - OFNIC_REG_RSS_RETA, val);
        return;
    }
    if (addr >= OFNIC_REG_RSS_CTX(0) &&
        addr < OFNIC_REG_RSS_CTX(OFNIC_RSS_CTX_MAX)) {
        if (!ofnic_rss_write(&s->rss[(addr - OFNIC_REG_RSS_CTX(0)) / 0x200],
                             (addr - OFNIC_REG_RSS_CTX(0)) % 0x200, val)) {
            goto unknown;
        }
        return;
    }
    if (addr >= OFNIC_REG_FLOW(0) &&
        addr < OFNIC_REG_FLOW(OFNIC_FLOW_ENTRIES)) {
        if (!ofnic_flow_write(s, (addr - OFNIC_REG_FLOW(0)) / 0x80,
                              (addr - OFNIC_REG_FLOW(0)) % 0x80, val)) {
            goto unknown;
        }
        return;
    }

    switch (addr) {
    case OFNIC_REG_CTRL:
        if (val & OFNIC_CTRL_RESET) {
            ofnic_soft_reset(s);
            return;
        }
        s->ctrl = val & OFNIC_CTRL_ENABLE;
        if (s->ctrl & OFNIC_CTRL_ENABLE) {
            for (i = 0; i < s->num_qp; i++) {
                qemu_bh_schedule(s->qp[i].tx_bh);
            }
        }
        /* Enabled: deliver what was held. Disabled: drop it (§7). */
        ofnic_rx_kick(s);
        return;
    case OFNIC_REG_MAC_LO:
        stl_le_p(s->mac, val);
        return;
    case OFNIC_REG_MAC_HI:
        stw_le_p(s->mac + 4, val);
        qemu_format_nic_info_str(qemu_get_queue(s->nic), s->mac);
        return;
    case OFNIC_REG_MAX_FRAME:
        s->max_frame = MIN(MAX(val, ETH_ZLEN), OFNIC_FRAME_BUF);
        return;
    case OFNIC_REG_RX_CTRL:
        val &= OFNIC_RXC_PROMISC | OFNIC_RXC_CSUM | OFNIC_RXC_LRO |
               OFNIC_RXC_HDS | OFNIC_RXC_RSS | OFNIC_RXC_FLOW;
        if (val != s->rx_ctrl) {
            /* Coalesced frames are written under the settings they met. */
            for (i = 0; i < s->num_qp; i++) {
                ofnic_lro_flush(&s->qp[i]);
            }
            s->rx_ctrl = val;
            ofnic_vnet_update_offloads(s);
        }
        return;
    case OFNIC_REG_INT_CAUSE:
        s->int_cause &= ~val;
        return;
    case OFNIC_REG_INT_MASK:
        s->int_mask = val & (OFNIC_INT_LINK | OFNIC_INT_QERR);
        ofnic_admin_update(s);
        return;
    case OFNIC_REG_ADMIN_ARM:
        if (val & 1) {
            s->admin_armed = true;
            ofnic_admin_update(s);
        }
        return;
    case OFNIC_REG_RSS_HASH_TYPES:
        s->rss[0].hash_types = val;
        return;
    case OFNIC_REG_LRO_MAX_LEN:
        s->lro_max_len = MIN(MAX(val, OFNIC_LRO_MAX_LEN_MIN),
                             OFNIC_LRO_MAX_LEN_MAX);
        return;
    case OFNIC_REG_LRO_MAX_SEGS:
        s->lro_max_segs = MIN(MAX(val, OFNIC_LRO_MAX_SEGS_MIN),
                              OFNIC_LRO_MAX_SEGS_MAX);
        return;
    case OFNIC_REG_LRO_TIMEOUT:
        s->lro_timeout = MIN(MAX(val, OFNIC_LRO_TIMEOUT_MIN),
                             OFNIC_LRO_TIMEOUT_MAX);
        return;
    }
unknown:
    qemu_log_mask(LOG_GUEST_ERROR, "ofnic: write to read-only or unknown "
                  "register 0x%" HWADDR_PRIx "\n", addr);
}

static const MemoryRegionOps ofnic_mmio_ops = {
    .read = ofnic_mmio_read,
    .write = ofnic_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* ---- PCI glue ------------------------------------------------------------ */

static void ofnic_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                               int len)
{
    OfnicState *s = OFNIC(d);

    unsigned int i;

    pci_default_write_config(d, addr, val, len);
    if (range_covers_byte(addr, len, PCI_COMMAND)) {
        if (d->config[PCI_COMMAND] & PCI_COMMAND_MASTER) {
            for (i = 0; i < s->num_qp; i++) {
                qemu_bh_schedule(s->qp[i].tx_bh);
            }
        }
        /*
         * Bus Master off drops what was held, as CTRL.ENABLE = 0 does. Not
         * from here: config space comes through the host bridge, so this
         * device's guard against MMIO re-entrancy is down; its guarded BH
         * does the DMA.
         */
        s->rx_kick_due = true;
        qemu_bh_schedule(s->qp[0].timer_bh);
    }
}

/*
 * VM stop and resume: a stopped VM's memory must not change (a migration or
 * a snapshot copies it), so the device's BHs and receive path stand still
 * (OfnicState.vm_running); the resume does what they would have done.
 */
static void ofnic_vm_state(void *opaque, bool running, RunState state)
{
    OfnicState *s = opaque;
    unsigned int i;

    s->vm_running = running;
    if (!running) {
        return;
    }
    s->rx_kick_due = true;
    for (i = 0; i < s->num_qp; i++) {
        qemu_bh_schedule(s->qp[i].tx_bh);
        qemu_bh_schedule(s->qp[i].timer_bh);
    }
}

static NetClientInfo ofnic_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .can_receive = ofnic_can_receive,
    .receive_iov = ofnic_receive_iov,
    .link_status_changed = ofnic_set_link_status,
};

/*
 * vnet-hdr=auto (or on) and a backend that takes a virtio_net_hdr with each
 * frame (a tap): offloads go through it (ofnic_tx.c, ofnic_rx.c). A hub has
 * none, so the lab's wire keeps the device's own segmentation and LRO.
 */
static bool ofnic_vnet_peers_ok(OfnicState *s)
{
    unsigned int i;

    for (i = 0; i < ofnic_net_queues(s); i++) {
        NetClientState *peer = qemu_get_subqueue(s->nic, i)->peer;

        if (!peer || !qemu_has_vnet_hdr(peer)) {
            return false;
        }
    }
    return true;
}

/*
 * Every queue of a multi-queue tap (queues=N) delivers frames to the device;
 * the tun device's header size and offloads apply to all of them, so each
 * queue's side in QEMU must expect the header too.
 */
static void ofnic_vnet_init(OfnicState *s)
{
    unsigned int i;

    s->vnet = false;
    s->vnet_tso = false;
    if (s->vnet_hdr_prop == ON_OFF_AUTO_OFF || !ofnic_vnet_peers_ok(s)) {
        return;
    }
    for (i = 0; i < ofnic_net_queues(s); i++) {
        NetClientState *peer = qemu_get_subqueue(s->nic, i)->peer;

        qemu_set_vnet_hdr_len(peer, sizeof(struct virtio_net_hdr));
        /* Partial checksums from the start; TSO follows RX_CTRL. */
        qemu_set_offload(peer, 1, 0, 0, 0, 0, 0, 0);
    }
    s->vnet = true;
}

static void ofnic_realize(PCIDevice *d, Error **errp)
{
    OfnicState *s = OFNIC(d);
    DeviceState *dev = DEVICE(d);
    unsigned int i;

    if (s->num_qp < 1 || s->num_qp > OFNIC_MAX_QP) {
        error_setg(errp, "ofnic: queues must be 1..%d", OFNIC_MAX_QP);
        return;
    }
    if (s->hostile_rate > 1000) {
        error_setg(errp, "ofnic: hostile-rate is per 1000 frames: 0..1000");
        return;
    }
    if (s->vnet_hdr_prop == ON_OFF_AUTO_ON) {
        for (i = 0; i < ofnic_net_queues(s); i++) {
            if (!s->conf.peers.ncs[i] ||
                !qemu_has_vnet_hdr(s->conf.peers.ncs[i])) {
                error_setg(errp, "ofnic: vnet-hdr=on needs a backend with a "
                           "vnet header (a tap) on every queue");
                return;
            }
        }
    }
    d->config[PCI_INTERRUPT_PIN] = 0;   /* MSI-X only */

    memory_region_init_io(&s->mmio, OBJECT(s), &ofnic_mmio_ops, s,
                          "ofnic-mmio", OFNIC_BAR_REGS_SIZE);
    pci_register_bar(d, OFNIC_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->mmio);
    if (msix_init_exclusive_bar(d, OFNIC_MSIX_VECTORS, OFNIC_BAR_MSIX, errp)) {
        return;
    }
    for (i = 0; i < OFNIC_MSIX_VECTORS; i++) {
        msix_vector_use(d, i);
    }

    s->frame = g_malloc(OFNIC_FRAME_BUF);
    s->seg = g_malloc(OFNIC_FRAME_BUF);
    s->tso_out = g_malloc(OFNIC_TSO_OUT_BUF);
    net_tx_pkt_init(&s->tx_gso_pkt, 1);
    for (i = 0; i < OFNIC_MAX_QP; i++) {
        OfnicQP *qp = &s->qp[i];

        qp->s = s;
        qp->idx = i;
        qp->tx_bh = qemu_bh_new_guarded(ofnic_tx_bh, qp,
                                        &dev->mem_reentrancy_guard);
        qp->timer_bh = qemu_bh_new_guarded(ofnic_qp_timer_bh, qp,
                                           &dev->mem_reentrancy_guard);
        qp->itr[OFNIC_ITR_DIR_TX].timer =
            timer_new_ns(QEMU_CLOCK_VIRTUAL, ofnic_qp_timer_cb, qp);
        qp->itr[OFNIC_ITR_DIR_RX].timer =
            timer_new_ns(QEMU_CLOCK_VIRTUAL, ofnic_qp_timer_cb, qp);
    }
    ofnic_rx_init(s);
    ofnic_hostile_init(s);

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->nic = qemu_new_nic(&ofnic_net_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);
    s->link_down = qemu_get_queue(s->nic)->link_down;
    ofnic_vnet_init(s);
    ofnic_reset_state(s);
    s->vm_running = runstate_is_live(runstate_get());
    /*
     * Before the net layer's own handler on resume (it flushes what was
     * queued for us, which needs vm_running), after it on stop (it
     * delivers or drops what is queued, which needs it still).
     */
    s->vm_change = qemu_add_vm_change_state_handler_prio(ofnic_vm_state, s,
                                                         -1);
}

static void ofnic_exit(PCIDevice *d)
{
    OfnicState *s = OFNIC(d);
    unsigned int i;

    qemu_del_vm_change_state_handler(s->vm_change);
    /*
     * The tap outlives the device: it stops handing over partial checksums
     * and GSO frames (a tap cannot drop the header size again).
     */
    if (s->vnet) {
        for (i = 0; i < ofnic_net_queues(s); i++) {
            qemu_set_offload(qemu_get_subqueue(s->nic, i)->peer,
                             0, 0, 0, 0, 0, 0, 0);
        }
    }
    /*
     * Frames we sent that the peer still queues would complete later into
     * ofnic_tx_sent() with this device gone: drop them now, while the BHs
     * their completion schedules still exist.
     */
    for (i = 0; i < ofnic_net_queues(s); i++) {
        qemu_purge_queued_packets(qemu_get_subqueue(s->nic, i));
    }
    for (i = 0; i < OFNIC_MAX_QP; i++) {
        OfnicQP *qp = &s->qp[i];

        qemu_bh_delete(qp->tx_bh);
        qp->tx_bh = NULL;
        qemu_bh_delete(qp->timer_bh);
        qp->timer_bh = NULL;
        timer_free(qp->itr[OFNIC_ITR_DIR_TX].timer);
        timer_free(qp->itr[OFNIC_ITR_DIR_RX].timer);
        qp->itr[OFNIC_ITR_DIR_TX].timer = NULL;
        qp->itr[OFNIC_ITR_DIR_RX].timer = NULL;
    }
    qemu_del_nic(s->nic);
    ofnic_rx_uninit(s);
    ofnic_hostile_uninit(s);
    msix_uninit_exclusive_bar(d);
    g_free(s->frame);
    g_free(s->seg);
    g_free(s->tso_out);
    net_tx_pkt_uninit(s->tx_gso_pkt);
}

static const VMStateDescription ofnic_vmstate = {
    .name = "ofnic",
    .unmigratable = 1,
};

static const Property ofnic_properties[] = {
    DEFINE_NIC_PROPERTIES(OfnicState, conf),
    DEFINE_PROP_UINT32("queues", OfnicState, num_qp, OFNIC_MAX_QP),
    /* auto: use a backend's vnet header (tap); off: never; on: must */
    DEFINE_PROP_ON_OFF_AUTO("vnet-hdr", OfnicState, vnet_hdr_prop,
                            ON_OFF_AUTO_AUTO),
    /* testing a driver against a lying device: ofnic_hostile.c */
    DEFINE_PROP_UINT32("hostile-seed", OfnicState, hostile_seed, 0),
    DEFINE_PROP_UINT32("hostile-rate", OfnicState, hostile_rate, 0),
    DEFINE_PROP_UINT32("hostile-lies", OfnicState, hostile_lies, 0),
};

static void ofnic_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = ofnic_realize;
    k->exit = ofnic_exit;
    k->config_write = ofnic_write_config;
    k->vendor_id = OFNIC_PCI_VENDOR_ID;
    k->device_id = OFNIC_PCI_DEVICE_ID;
    k->revision = OFNIC_PCI_REVISION;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;
    dc->desc = "ofnic multi-queue offload NIC";
    rc->phases.enter = ofnic_reset_enter;
    rc->phases.hold = ofnic_reset_hold;
    dc->vmsd = &ofnic_vmstate;
    device_class_set_props(dc, ofnic_properties);
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
}

static const TypeInfo ofnic_info = {
    .name = TYPE_OFNIC,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(OfnicState),
    .class_init = ofnic_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void ofnic_register_types(void)
{
    type_register_static(&ofnic_info);
}

type_init(ofnic_register_types)
