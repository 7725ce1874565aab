/*
 * ofnic: a multi-queue offload NIC for studying how drivers and NICs cooperate.
 *
 * The hardware interface (registers, descriptors, interrupt rules) is defined in
 * ofnic_hw.h, shared with the Linux driver, and described in docs/hw-spec.md.
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
#include "hw/pci/pci.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "net/net.h"
#include "net/eth.h"
#include "qom/object.h"
#include "sysemu/dma.h"

#include "ofnic_hw.h"

#define TYPE_OFNIC "ofnic"
OBJECT_DECLARE_SIMPLE_TYPE(OfnicState, OFNIC)

/* Largest frame the device assembles from TX descriptors (and receives). */
#define OFNIC_FRAME_BUF (OFNIC_TX_MAX_PKT + 64)
/* Packets one TX bottom-half run may send before yielding to the main loop. */
#define OFNIC_TX_BUDGET 256

typedef struct OfnicRing {
    uint64_t base;
    uint32_t size;
    uint32_t ctrl;
    uint32_t head;
    uint32_t tail;
    uint32_t status;
    uint32_t buf_size;
    uint32_t hdr_size;
    uint32_t errors;
    uint32_t drops;
} OfnicRing;

typedef struct OfnicQP {
    OfnicState *s;
    unsigned int idx;
    OfnicRing tx;
    OfnicRing rx;
    uint32_t itr;
    bool armed;
    bool pending;
    bool tx_waiting;        /* a sent frame is queued in the peer: backpressure */
    QEMUBH *tx_bh;
} OfnicQP;

struct OfnicState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    NICState *nic;
    NICConf conf;
    uint32_t num_qp;        /* property "queues" */

    uint32_t ctrl;
    uint32_t rx_ctrl;
    uint32_t max_frame;
    uint32_t int_cause;
    uint32_t int_mask;
    bool admin_armed;
    bool link_down;         /* link state last reported (INT_LINK) */
    uint32_t err_count;
    uint32_t err_last;
    uint32_t rss_hash_types;
    uint8_t mac[ETH_ALEN];
    uint32_t rss_key[OFNIC_RSS_KEY_LEN / 4];
    uint32_t rss_reta[OFNIC_RSS_RETA_SIZE / 4];
    uint64_t stats[OFNIC_NUM_STATS];

    OfnicQP qp[OFNIC_MAX_QP];
    uint8_t *frame;         /* TX gather buffer */
};

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

static void ofnic_qp_notify(OfnicQP *qp)
{
    PCIDevice *d = PCI_DEVICE(qp->s);

    qp->pending = true;
    if (qp->armed && msix_enabled(d)) {
        qp->armed = false;
        qp->pending = false;
        msix_notify(d, OFNIC_MSIX_QP(qp->idx));
    }
}

/* ---- rings --------------------------------------------------------------- */

static bool ofnic_dma_ok(OfnicState *s)
{
    PCIDevice *d = PCI_DEVICE(s);

    return (s->ctrl & OFNIC_CTRL_ENABLE) &&
           (d->config[PCI_COMMAND] & PCI_COMMAND_MASTER);
}

static bool ofnic_ring_ready(OfnicState *s, OfnicRing *r)
{
    return ofnic_dma_ok(s) && (r->status & OFNIC_QS_ENABLED) &&
           !(r->status & OFNIC_QS_ERROR);
}

static uint32_t ofnic_ring_avail(OfnicRing *r)
{
    return (r->tail - r->head) & (r->size - 1);
}

static hwaddr ofnic_desc_addr(OfnicRing *r, uint32_t i)
{
    return r->base + (hwaddr)i * OFNIC_DESC_SIZE;
}

static void ofnic_ring_fail(OfnicQP *qp, bool rx, uint32_t code,
                            const char *what)
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
    /* SIZE may have shrunk since the indices were set: no stale index. */
    if (r->head >= r->size || r->tail >= r->size) {
        return false;
    }
    return true;
}

/* ---- transmit ------------------------------------------------------------ */

static void ofnic_tx_sent(NetClientState *nc, ssize_t len)
{
    OfnicState *s = qemu_get_nic_opaque(nc);
    unsigned int i;

    for (i = 0; i < s->num_qp; i++) {
        if (s->qp[i].tx_waiting) {
            s->qp[i].tx_waiting = false;
            qemu_bh_schedule(s->qp[i].tx_bh);
        }
    }
}

enum ofnic_tx_result {
    OFNIC_TX_DONE,          /* a packet was consumed (sent or dropped) */
    OFNIC_TX_INCOMPLETE,    /* no EOP before the tail yet */
    OFNIC_TX_HALTED,        /* the ring hit an error */
};

/*
 * Gather the packet starting at the ring's head, send it and write back DD.
 */
static enum ofnic_tx_result ofnic_tx_one(OfnicQP *qp)
{
    OfnicState *s = qp->s;
    PCIDevice *d = PCI_DEVICE(s);
    OfnicRing *r = &qp->tx;
    uint32_t avail = ofnic_ring_avail(r);
    uint32_t i = r->head, n = 0, flags = 0, first_flags = 0;
    size_t len = 0;
    struct ofnic_tx_desc desc;
    uint16_t status = OFNIC_TXS_DD;
    struct iovec iov;

    while (!(flags & OFNIC_TXD_EOP)) {
        uint32_t blen;
        uint64_t addr;

        if (n == avail) {
            return OFNIC_TX_INCOMPLETE;
        }
        if (n == OFNIC_TX_MAX_DESC_PER_PKT) {
            ofnic_ring_fail(qp, false, OFNIC_ERR_PKT_LEN,
                            "too many descriptors in one packet");
            return OFNIC_TX_HALTED;
        }
        if (pci_dma_read(d, ofnic_desc_addr(r, i), &desc, sizeof(desc))) {
            ofnic_ring_fail(qp, false, OFNIC_ERR_DESC_DMA,
                            "descriptor read failed");
            return OFNIC_TX_HALTED;
        }
        addr = le64_to_cpu(desc.addr);
        blen = le16_to_cpu(desc.len);
        flags = le16_to_cpu(desc.flags);
        if (n == 0) {
            first_flags = flags;
        }
        if (blen == 0) {
            ofnic_ring_fail(qp, false, OFNIC_ERR_BUF_LEN,
                            "zero-length buffer");
            return OFNIC_TX_HALTED;
        }
        if (len + blen > OFNIC_TX_MAX_PKT) {
            ofnic_ring_fail(qp, false, OFNIC_ERR_PKT_LEN, "packet too long");
            return OFNIC_TX_HALTED;
        }
        if (pci_dma_read(d, addr, s->frame + len, blen)) {
            ofnic_ring_fail(qp, false, OFNIC_ERR_BUF_DMA,
                            "buffer read failed");
            return OFNIC_TX_HALTED;
        }
        len += blen;
        n++;
        i = (i + 1) & (r->size - 1);
    }

    if (first_flags & (OFNIC_TXD_CSUM | OFNIC_TXD_TSO)) {
        /* Offloads this device does not advertise (OFNIC_REG_FEATURES). */
        status |= OFNIC_TXS_ERR;
    } else if (len < ETH_HLEN) {
        status |= OFNIC_TXS_ERR;
    }

    if (status & OFNIC_TXS_ERR) {
        s->stats[OFNIC_STAT_TX_ERRORS]++;
    } else {
        iov.iov_base = s->frame;
        iov.iov_len = len;
        s->stats[OFNIC_STAT_TX_PKTS]++;
        s->stats[OFNIC_STAT_TX_BYTES] += len;
        if (qemu_sendv_packet_async(qemu_get_queue(s->nic), &iov, 1,
                                    ofnic_tx_sent) == 0) {
            /* The peer queued a copy; stop until it drains. */
            qp->tx_waiting = true;
        }
    }

    /* i is the descriptor after EOP: write DD into the EOP descriptor. */
    i = (i - 1) & (r->size - 1);
    if (stw_le_pci_dma(d, ofnic_desc_addr(r, i) +
                       offsetof(struct ofnic_tx_desc, status),
                       status, MEMTXATTRS_UNSPECIFIED)) {
        ofnic_ring_fail(qp, false, OFNIC_ERR_DESC_DMA,
                        "descriptor write-back failed");
        return OFNIC_TX_HALTED;
    }
    r->head = (i + 1) & (r->size - 1);
    return OFNIC_TX_DONE;
}

static void ofnic_tx_bh(void *opaque)
{
    OfnicQP *qp = opaque;
    OfnicState *s = qp->s;
    unsigned int sent = 0;

    while (ofnic_ring_ready(s, &qp->tx) && !qp->tx_waiting &&
           qp->tx.head != qp->tx.tail) {
        if (sent == OFNIC_TX_BUDGET) {
            qemu_bh_schedule(qp->tx_bh);
            break;
        }
        if (ofnic_tx_one(qp) != OFNIC_TX_DONE) {
            break;
        }
        sent++;
    }
    if (sent) {
        ofnic_qp_notify(qp);
    }
}

/* ---- receive ------------------------------------------------------------- */

static OfnicQP *ofnic_rx_queue(OfnicState *s)
{
    return &s->qp[0];
}

static bool ofnic_can_receive(NetClientState *nc)
{
    OfnicState *s = qemu_get_nic_opaque(nc);
    OfnicQP *qp = ofnic_rx_queue(s);

    return ofnic_ring_ready(s, &qp->rx) && ofnic_ring_avail(&qp->rx) > 0;
}

static bool ofnic_rx_accept(OfnicState *s, const uint8_t *dst)
{
    if (s->rx_ctrl & OFNIC_RXC_PROMISC) {
        return true;
    }
    if (is_multicast_ether_addr(dst)) {
        return true;    /* includes broadcast: there is no multicast filter */
    }
    return !memcmp(dst, s->mac, ETH_ALEN);
}

/* Write len bytes of an iovec, starting at byte off, to guest address addr. */
static MemTxResult ofnic_dma_write_iov(PCIDevice *d, dma_addr_t addr,
                                       const struct iovec *iov, int iovcnt,
                                       size_t off, size_t len)
{
    MemTxResult res = MEMTX_OK;
    int i;

    for (i = 0; i < iovcnt && len; i++) {
        size_t n;

        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        n = MIN(iov[i].iov_len - off, len);
        res |= pci_dma_write(d, addr, (uint8_t *)iov[i].iov_base + off, n);
        addr += n;
        len -= n;
        off = 0;
    }
    return res;
}

static ssize_t ofnic_receive_iov(NetClientState *nc, const struct iovec *iov,
                                 int iovcnt)
{
    OfnicState *s = qemu_get_nic_opaque(nc);
    PCIDevice *d = PCI_DEVICE(s);
    size_t size = iov_size(iov, iovcnt);
    OfnicQP *qp = ofnic_rx_queue(s);
    OfnicRing *r = &qp->rx;
    uint8_t dst[ETH_ALEN];
    uint32_t need, n, first = r->head;
    size_t off = 0;

    if (!ofnic_ring_ready(s, r)) {
        return size;    /* not receiving: the frame is lost on the wire */
    }
    if (size < ETH_HLEN) {
        return size;
    }
    iov_to_buf(iov, iovcnt, 0, dst, sizeof(dst));
    if (!ofnic_rx_accept(s, dst)) {
        s->stats[OFNIC_STAT_RX_FILTERED]++;
        return size;
    }
    if (size > s->max_frame) {
        s->stats[OFNIC_STAT_RX_OVERSIZE]++;
        return size;
    }
    need = DIV_ROUND_UP(size, r->buf_size);
    if (need > OFNIC_RX_MAX_DESC_PER_PKT) {
        s->stats[OFNIC_STAT_RX_OVERSIZE]++;
        return size;
    }
    if (ofnic_ring_avail(r) < need) {
        return 0;       /* hold it until the driver posts buffers */
    }

    for (n = 0; n < need; n++) {
        uint32_t i = (first + n) & (r->size - 1);
        hwaddr da = ofnic_desc_addr(r, i);
        size_t chunk = MIN(size - off, r->buf_size);
        struct ofnic_rx_wb wb = { 0 };
        uint64_t addr;

        if (ldq_le_pci_dma(d, da, &addr, MEMTXATTRS_UNSPECIFIED)) {
            ofnic_ring_fail(qp, true, OFNIC_ERR_DESC_DMA,
                            "descriptor read failed");
            return size;
        }
        if (ofnic_dma_write_iov(d, addr, iov, iovcnt, off, chunk)) {
            ofnic_ring_fail(qp, true, OFNIC_ERR_BUF_DMA,
                            "buffer write failed");
            return size;
        }
        off += chunk;
        wb.len = cpu_to_le16(chunk);
        /* The first descriptor's status is written last, below. */
        if (n) {
            wb.status = cpu_to_le32(OFNIC_RXS_DD |
                                    (n == need - 1 ? OFNIC_RXS_EOP : 0));
        }
        if (pci_dma_write(d, da, &wb, sizeof(wb))) {
            ofnic_ring_fail(qp, true, OFNIC_ERR_DESC_DMA,
                            "descriptor write-back failed");
            return size;
        }
    }
    smp_wmb();
    if (stl_le_pci_dma(d, ofnic_desc_addr(r, first) +
                       offsetof(struct ofnic_rx_wb, status),
                       OFNIC_RXS_DD | (need == 1 ? OFNIC_RXS_EOP : 0),
                       MEMTXATTRS_UNSPECIFIED)) {
        ofnic_ring_fail(qp, true, OFNIC_ERR_DESC_DMA,
                        "descriptor write-back failed");
        return size;
    }
    r->head = (first + need) & (r->size - 1);
    s->stats[OFNIC_STAT_RX_PKTS]++;
    s->stats[OFNIC_STAT_RX_BYTES] += size;
    ofnic_qp_notify(qp);
    return size;
}

static void ofnic_rx_kick(OfnicState *s)
{
    if (ofnic_can_receive(qemu_get_queue(s->nic))) {
        qemu_flush_queued_packets(qemu_get_queue(s->nic));
    }
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

    s->ctrl = 0;
    s->rx_ctrl = 0;
    s->max_frame = 1514 + 4;  /* 1500-byte MTU plus a VLAN tag */
    s->int_cause = 0;
    s->int_mask = 0;
    s->admin_armed = true;
    s->err_count = 0;
    s->err_last = 0;
    s->rss_hash_types = 0;
    memcpy(s->mac, s->conf.macaddr.a, ETH_ALEN);
    memset(s->rss_key, 0, sizeof(s->rss_key));
    memset(s->rss_reta, 0, sizeof(s->rss_reta));
    memset(s->stats, 0, sizeof(s->stats));
    for (i = 0; i < OFNIC_MAX_QP; i++) {
        OfnicQP *qp = &s->qp[i];

        if (qp->tx_bh) {
            qemu_bh_cancel(qp->tx_bh);
        }
        memset(&qp->tx, 0, sizeof(qp->tx));
        memset(&qp->rx, 0, sizeof(qp->rx));
        qp->itr = 0;
        qp->armed = true;
        qp->pending = false;
        qp->tx_waiting = false;
    }
}

static void ofnic_reset(DeviceState *dev)
{
    OfnicState *s = OFNIC(dev);

    ofnic_reset_state(s);
    if (s->nic) {
        /* Neither frames we sent nor frames held for us survive a reset. */
        qemu_purge_queued_packets(qemu_get_queue(s->nic));
        qemu_flush_or_purge_queued_packets(qemu_get_queue(s->nic), true);
    }
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
    return 0;
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
        return qp->itr;
    }
    return 0;
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
        return s->rss_key[(addr - OFNIC_REG_RSS_KEY) / 4];
    }
    if (addr >= OFNIC_REG_RSS_RETA &&
        addr < OFNIC_REG_RSS_RETA + OFNIC_RSS_RETA_SIZE) {
        return s->rss_reta[(addr - OFNIC_REG_RSS_RETA) / 4];
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
        return s->rss_hash_types;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "ofnic: read of unknown register 0x%"
                  HWADDR_PRIx "\n", addr);
    return 0;
}

static void ofnic_ring_ctrl(OfnicQP *qp, bool rx, uint32_t val)
{
    OfnicRing *r = rx ? &qp->rx : &qp->tx;

    if (val & OFNIC_QC_RESET) {
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
            if (qp->pending) {
                ofnic_qp_notify(qp);
            }
        }
    } else if (off == OFNIC_QP_ITR_RX) {
        qp->itr = val & 0xffff;
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
        s->rss_key[(addr - OFNIC_REG_RSS_KEY) / 4] = val;
        return;
    }
    if (addr >= OFNIC_REG_RSS_RETA &&
        addr < OFNIC_REG_RSS_RETA + OFNIC_RSS_RETA_SIZE) {
        s->rss_reta[(addr - OFNIC_REG_RSS_RETA) / 4] = val;
        return;
    }

    switch (addr) {
    case OFNIC_REG_CTRL:
        if (val & OFNIC_CTRL_RESET) {
            ofnic_reset(DEVICE(s));
            return;
        }
        s->ctrl = val & OFNIC_CTRL_ENABLE;
        if (s->ctrl & OFNIC_CTRL_ENABLE) {
            for (i = 0; i < s->num_qp; i++) {
                qemu_bh_schedule(s->qp[i].tx_bh);
            }
            ofnic_rx_kick(s);
        }
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
        s->rx_ctrl = val & OFNIC_RXC_PROMISC;
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
        s->rss_hash_types = val;
        return;
    }
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
    if (range_covers_byte(addr, len, PCI_COMMAND) &&
        (d->config[PCI_COMMAND] & PCI_COMMAND_MASTER)) {
        for (i = 0; i < s->num_qp; i++) {
            qemu_bh_schedule(s->qp[i].tx_bh);
        }
        ofnic_rx_kick(s);
    }
}

static NetClientInfo ofnic_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .can_receive = ofnic_can_receive,
    .receive_iov = ofnic_receive_iov,
    .link_status_changed = ofnic_set_link_status,
};

static void ofnic_realize(PCIDevice *d, Error **errp)
{
    OfnicState *s = OFNIC(d);
    DeviceState *dev = DEVICE(d);
    unsigned int i;

    if (s->num_qp < 1 || s->num_qp > OFNIC_MAX_QP) {
        error_setg(errp, "ofnic: queues must be 1..%d", OFNIC_MAX_QP);
        return;
    }
    d->config_write = ofnic_write_config;
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
    for (i = 0; i < OFNIC_MAX_QP; i++) {
        s->qp[i].s = s;
        s->qp[i].idx = i;
        s->qp[i].tx_bh = qemu_bh_new_guarded(ofnic_tx_bh, &s->qp[i],
                                             &dev->mem_reentrancy_guard);
    }

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->nic = qemu_new_nic(&ofnic_net_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);
    s->link_down = qemu_get_queue(s->nic)->link_down;
    ofnic_reset_state(s);
}

static void ofnic_exit(PCIDevice *d)
{
    OfnicState *s = OFNIC(d);
    unsigned int i;

    for (i = 0; i < OFNIC_MAX_QP; i++) {
        qemu_bh_delete(s->qp[i].tx_bh);
        s->qp[i].tx_bh = NULL;
    }
    qemu_del_nic(s->nic);
    msix_uninit_exclusive_bar(d);
    g_free(s->frame);
}

static const VMStateDescription ofnic_vmstate = {
    .name = "ofnic",
    .unmigratable = 1,
};

static Property ofnic_properties[] = {
    DEFINE_NIC_PROPERTIES(OfnicState, conf),
    DEFINE_PROP_UINT32("queues", OfnicState, num_qp, OFNIC_MAX_QP),
    DEFINE_PROP_END_OF_LIST(),
};

static void ofnic_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = ofnic_realize;
    k->exit = ofnic_exit;
    k->vendor_id = OFNIC_PCI_VENDOR_ID;
    k->device_id = OFNIC_PCI_DEVICE_ID;
    k->revision = OFNIC_PCI_REVISION;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;
    dc->desc = "ofnic multi-queue offload NIC";
    dc->reset = ofnic_reset;
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
