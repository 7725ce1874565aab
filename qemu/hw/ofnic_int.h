/*
 * ofnic: internal interface between the device core (ofnic.c: registers,
 * interrupts, PCI glue), transmit (ofnic_tx.c: checksum, TSO) and receive
 * (ofnic_rx.c: RSS, checksums, header-data split, LRO).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef HW_NET_OFNIC_INT_H
#define HW_NET_OFNIC_INT_H

#include "hw/pci/pci_device.h"
#include "net/net.h"
#include "qemu/timer.h"
#include "qapi/qapi-types-common.h"
#include "standard-headers/linux/virtio_net.h"
#include "qom/object.h"

#include "ofnic_hw.h"

#define TYPE_OFNIC "ofnic"
OBJECT_DECLARE_SIMPLE_TYPE(OfnicState, OFNIC)

/* Largest frame the device assembles from TX descriptors (and receives). */
#define OFNIC_FRAME_BUF (OFNIC_TX_MAX_PKT + 64)
/* Room for all the segments of one TSO request, built before sending. */
#define OFNIC_TSO_OUT_BUF (2 * OFNIC_FRAME_BUF)
/*
 * The host's kernel takes a partial checksum from a tap only if csum_start
 * is at least an IPv4 header's length from the frame's start.
 */
#define OFNIC_VNET_CSUM_START_MIN 20
/* Packets one TX bottom-half run may send before yielding to the main loop. */
#define OFNIC_TX_BUDGET 256

/* LRO register defaults and the ranges writes are clamped to. */
#define OFNIC_LRO_MAX_LEN_DEF   65535
#define OFNIC_LRO_MAX_LEN_MIN   1514
/*
 * GRO's limit (skb_gro_receive: below gro_max_size, 65536): the bytes past
 * the Ethernet header, VLAN tags and IP datagram, as the stack counts an
 * skb after eth_type_trans()
 */
#define OFNIC_LRO_MAX_L2_PAYLOAD 65535
#define OFNIC_LRO_MAX_LEN_MAX   (ETH_HLEN + OFNIC_LRO_MAX_L2_PAYLOAD)
#define OFNIC_LRO_MAX_SEGS_DEF  64
#define OFNIC_LRO_MAX_SEGS_MIN  2
#define OFNIC_LRO_MAX_SEGS_MAX  OFNIC_LRO_MAX_SEGS
#define OFNIC_LRO_TIMEOUT_DEF   50
#define OFNIC_LRO_TIMEOUT_MIN   1
#define OFNIC_LRO_TIMEOUT_MAX   10000

/* Interrupt moderation directions (index of OfnicQP.itr). */
#define OFNIC_ITR_DIR_TX 0
#define OFNIC_ITR_DIR_RX 1

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

/* Interrupt moderation state of one direction of a queue pair. */
typedef struct OfnicItr {
    uint32_t reg;           /* QP_ITR_RX / QP_ITR_TX */
    uint32_t count;         /* events not yet turned into a message */
    int64_t first_ns;       /* QEMU_CLOCK_VIRTUAL time of the first of them */
    QEMUTimer *timer;
} OfnicItr;

/* Receive metadata of a frame, written to its first descriptor. */
typedef struct OfnicRxMeta {
    uint32_t status;        /* OFNIC_RXS_RSS, L3/L4 bits (LRO, HDS: writer) */
    uint32_t rss_hash;
    uint8_t rss_type;
    uint8_t ptype;
    uint8_t l3_off;         /* IP header offset (past VLAN tags) */
    uint16_t lro_segs;
    uint16_t lro_mss;
    uint16_t split_len;     /* L2+L3+L4 header bytes if HDS may split, else 0 */
} OfnicRxMeta;

/* One receive queue's coalescing context. */
typedef struct OfnicLro {
    bool active;            /* segments collected; more may join */
    bool closed;            /* complete, waiting for descriptors */
    uint8_t *buf;           /* OFNIC_FRAME_BUF bytes */
    uint32_t len;           /* bytes of the coalesced frame */
    uint32_t max_len;       /* its limit, fixed when it started */
    uint32_t l3off, l4off, l5off;
    bool ip4;
    bool fixedid;           /* IPv4 DF with one ID for all its segments */
    uint16_t segs;
    uint16_t mss;           /* payload of the first segment */
    uint32_t next_seq;
    OfnicRxMeta meta;
    QEMUTimer *timer;
} OfnicLro;

/* One RSS context: context 0 spreads by default, the others for flow entries. */
typedef struct OfnicRss {
    uint32_t key[OFNIC_RSS_KEY_LEN / 4];
    uint32_t hash_types;
    uint32_t reta[OFNIC_RSS_RETA_SIZE / 4];
} OfnicRss;

/* One flow table entry, its registers as written (hw-spec, flow table). */
typedef struct OfnicFlow {
    uint32_t ctrl;
    uint32_t arg;
    uint32_t src[4], src_mask[4];
    uint32_t dst[4], dst_mask[4];
    uint32_t ports, port_mask;
    uint64_t hits;
} OfnicFlow;

typedef struct OfnicQP {
    OfnicState *s;
    unsigned int idx;
    OfnicRing tx;
    OfnicRing rx;
    OfnicItr itr[2];        /* OFNIC_ITR_DIR_TX, OFNIC_ITR_DIR_RX */
    bool armed;
    bool pending;           /* a message is due, waiting for the vector */
    bool tx_waiting;        /* a sent frame is queued in the peer */
    QEMUBH *tx_bh;
    QEMUBH *timer_bh;       /* moderation and LRO timer work, guarded */
    OfnicLro lro;
} OfnicQP;

struct NetRxPkt;
struct NetTxPkt;

struct OfnicState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    NICState *nic;
    NICConf conf;
    uint32_t num_qp;        /* property "queues" */
    OnOffAuto vnet_hdr_prop;    /* property "vnet-hdr" */
    /*
     * Frames to and from the backend carry a struct virtio_net_hdr (a tap
     * with a vnet header): TSO requests leave whole, GSO frames come in.
     */
    bool vnet;
    bool vnet_tso;          /* TSO offered to the backend (qemu_set_offload) */

    /*
     * The VM runs. While it is stopped the device touches no guest memory:
     * its bottom halves return at once and it takes no frame, and the resume
     * reschedules them (ofnic_vm_state).
     */
    bool vm_running;
    VMChangeStateEntry *vm_change;

    uint32_t ctrl;
    uint32_t rx_ctrl;
    uint32_t max_frame;
    uint32_t int_cause;
    uint32_t int_mask;
    bool admin_armed;
    bool link_down;         /* link state last reported (INT_LINK) */
    uint32_t err_count;
    uint32_t err_last;
    uint32_t lro_max_len;
    uint32_t lro_max_segs;
    uint32_t lro_timeout;
    uint8_t mac[ETH_ALEN];
    OfnicRss rss[OFNIC_RSS_CTX_MAX];
    OfnicFlow flow[OFNIC_FLOW_ENTRIES];
    /* entries below this index may be valid: the lookup stops there */
    uint32_t flow_end;
    uint64_t stats[OFNIC_NUM_STATS];

    OfnicQP qp[OFNIC_MAX_QP];
    uint8_t *frame;         /* TX gather buffer */
    uint8_t *seg;           /* TX segment buffer (TSO) */
    uint8_t *tso_out;       /* TX: all segments of one TSO request */
    /*
     * ofnic_rx_kick() is due from a guarded BH (an RX ring halted, or a
     * config write changed Bus Master): held frames go or are dropped.
     */
    bool rx_kick_due;
    uint8_t *rx_frame;      /* RX linear copy of the frame being received */
    uint8_t *rx_seg;        /* RX: a segment of a GSO frame the device splits */
    struct NetRxPkt *rx_pkt;
    struct NetTxPkt *tx_gso_pkt;    /* TX: a TSO request handed on whole */
    struct NetTxPkt *rx_gso_pkt;    /* RX: a GSO frame to segment */

    /* hostile mode (ofnic_hostile.c): properties, then state */
    uint32_t hostile_seed;
    uint32_t hostile_rate;  /* lies per 1000 frames written back */
    uint32_t hostile_lies;  /* honest again after this many (0: never) */
    GRand *hostile_rand;
    uint32_t hostile_told;
};

/* ---- ofnic.c ------------------------------------------------------------- */

static inline bool ofnic_dma_ok(OfnicState *s)
{
    PCIDevice *d = PCI_DEVICE(s);

    return (s->ctrl & OFNIC_CTRL_ENABLE) &&
           (d->config[PCI_COMMAND] & PCI_COMMAND_MASTER);
}

static inline bool ofnic_ring_ready(OfnicState *s, OfnicRing *r)
{
    return ofnic_dma_ok(s) && (r->status & OFNIC_QS_ENABLED) &&
           !(r->status & OFNIC_QS_ERROR);
}

static inline uint32_t ofnic_ring_avail(OfnicRing *r)
{
    return (r->tail - r->head) & (r->size - 1);
}

static inline hwaddr ofnic_desc_addr(OfnicRing *r, uint32_t i)
{
    return r->base + (hwaddr)(i & (r->size - 1)) * OFNIC_DESC_SIZE;
}

void ofnic_ring_fail(OfnicQP *qp, bool rx, uint32_t code, const char *what);
/* n events of one direction (OFNIC_ITR_DIR_*) of a queue pair. */
void ofnic_qp_event(OfnicQP *qp, int dir, uint32_t n);
void ofnic_qp_spurious(OfnicQP *qp);

/* ---- ofnic_tx.c ---------------------------------------------------------- */

void ofnic_tx_bh(void *opaque);

/* ---- ofnic_rx.c ---------------------------------------------------------- */

int ofnic_ip6_final_dst(const uint8_t *f, size_t l3, size_t l4,
                        struct in6_address *dst);

/* ---- ofnic_hostile.c ----------------------------------------------------- */

void ofnic_hostile_init(OfnicState *s);
void ofnic_hostile_uninit(OfnicState *s);
int ofnic_hostile_pick(OfnicState *s);
bool ofnic_hostile_irq(OfnicState *s, int lie);
void ofnic_hostile_apply(OfnicState *s, int lie, uint32_t n, uint32_t need,
                         uint32_t buf_size, struct ofnic_rx_wb *wb,
                         uint32_t *status);

/* The net queues of the NIC: one per queue of its backend (a tap's queues) */
static inline unsigned int ofnic_net_queues(const OfnicState *s)
{
    return MAX(s->conf.peers.queues, 1);
}

void ofnic_rx_init(OfnicState *s);
/* Tells a vnet-header backend which offloads RX_CTRL lets it use. */
void ofnic_vnet_update_offloads(OfnicState *s);
void ofnic_rx_uninit(OfnicState *s);
bool ofnic_can_receive(NetClientState *nc);
ssize_t ofnic_receive_iov(NetClientState *nc, const struct iovec *iov,
                          int iovcnt);
/* Retries held work (pending LRO frames, frames QEMU queued for us). */
void ofnic_rx_kick(OfnicState *s);
/* Writes a queue's coalesced frame now if it can (it stays pending if not). */
void ofnic_lro_flush(OfnicQP *qp);
/* Drops a queue's coalescing context (ring or device reset). */
void ofnic_lro_discard(OfnicQP *qp);
/* Timer work of a queue pair's LRO context (from its guarded BH). */
void ofnic_lro_timer_work(OfnicQP *qp);

#endif /* HW_NET_OFNIC_INT_H */
