/*
 * ofnic transmit path: descriptor gathering, checksum insertion (TXD_CSUM)
 * and TCP segmentation (TXD_TSO), done by the device itself so that every
 * network backend gets correct frames. A backend with a vnet header (a tap)
 * takes the offload requests instead: a TSO request leaves as one GSO frame
 * and a checksum request as VIRTIO_NET_HDR_F_NEEDS_CSUM, for the host's
 * stack to complete, which costs QEMU far less than segmenting here.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/iov.h"
#include "qemu/main-loop.h"
#include "net/checksum.h"
#include "net/eth.h"
#include "system/dma.h"
#include "net_tx_pkt.h"

#include "ofnic_int.h"

enum ofnic_tx_result {
    OFNIC_TX_DONE,          /* a packet was consumed (sent or dropped) */
    OFNIC_TX_INCOMPLETE,    /* no EOP before the tail yet */
    OFNIC_TX_HALTED,        /* the ring hit an error */
};

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

/*
 * Sends one frame, its vnet header first on a vnet-header backend; the
 * counters take the frame's own bytes.
 */
static void ofnic_tx_sendv(OfnicQP *qp, const struct iovec *iov, int iovcnt)
{
    OfnicState *s = qp->s;
    size_t len = iov_size(iov, iovcnt);

    if (s->vnet) {
        len -= sizeof(struct virtio_net_hdr);
    }
    s->stats[OFNIC_STAT_TX_PKTS]++;
    s->stats[OFNIC_STAT_TX_BYTES] += len;
    if (qemu_sendv_packet_async(qemu_get_queue(s->nic), iov, iovcnt,
                                ofnic_tx_sent) == 0) {
        /*
         * The peer queued a copy; stop after this packet until it drains.
         * Later segments of the same TSO packet queue behind it in order.
         */
        qp->tx_waiting = true;
    }
}

/* buf[0..len); on a vnet-header backend with vh (NULL: a zero header). */
static void ofnic_tx_send(OfnicQP *qp, const struct virtio_net_hdr *vh,
                          uint8_t *buf, size_t len)
{
    static const struct virtio_net_hdr none;
    struct iovec iov[2] = {
        { .iov_base = (void *)(vh ? vh : &none),
          .iov_len = sizeof(struct virtio_net_hdr) },
        { .iov_base = buf, .iov_len = len },
    };

    if (qp->s->vnet) {
        ofnic_tx_sendv(qp, iov, 2);
    } else {
        ofnic_tx_sendv(qp, &iov[1], 1);
    }
}

static bool ofnic_tx_offload_error(OfnicQP *qp, const char *what)
{
    qemu_log_mask(LOG_GUEST_ERROR, "ofnic: tx queue %u: bad offload request: "
                  "%s\n", qp->idx, what);
    qp->s->stats[OFNIC_STAT_TX_OFFLOAD_ERRORS]++;
    return false;
}

/*
 * TXD_CSUM: the 16-bit ones' complement sum of the bytes from csum_start to
 * the end of the frame, complemented, stored big endian at
 * csum_start + csum_offset (0 becomes 0xffff). Sends the frame.
 */
static bool ofnic_tx_csum(OfnicQP *qp, uint8_t *f, size_t len,
                          const struct ofnic_tx_desc *d)
{
    uint32_t start = le16_to_cpu(d->csum_start);
    uint32_t off = le16_to_cpu(d->csum_offset);
    uint16_t csum;

    if ((size_t)start + off + 2 > len) {
        return ofnic_tx_offload_error(qp, "csum_start/csum_offset past "
                                      "the frame");
    }
    qp->s->stats[OFNIC_STAT_TX_CSUM]++;
    /*
     * The host's kernel (virtio_net_hdr_to_skb) refuses a csum_start before
     * OFNIC_VNET_CSUM_START_MIN: such a checksum is inserted here.
     */
    if (qp->s->vnet && start >= OFNIC_VNET_CSUM_START_MIN) {
        /* Same contract as TXD_CSUM: the field holds the seed, as sent. */
        struct virtio_net_hdr vh = {
            .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
            .csum_start = start,
            .csum_offset = off,
        };

        ofnic_tx_send(qp, &vh, f, len);
        return true;
    }
    csum = net_checksum_finish_nozero(net_checksum_add(len - start,
                                                       f + start));
    stw_be_p(f + start + off, csum);
    ofnic_tx_send(qp, NULL, f, len);
    return true;
}

/* A validated TSO request: what building each of its segments needs. */
typedef struct OfnicTso {
    const uint8_t *f;       /* the gathered frame */
    uint32_t hdr_len, mss, payload, nseg, ihl, seq0;
    size_t l3, l4;
    bool ip4;
    bool routed;            /* IPv6 pseudo-header: final_dst, not ip6_dst */
    struct in6_address final_dst;
    uint16_t id0;
    uint8_t flags0;
} OfnicTso;

/*
 * Writes segment k of t to seg and returns its length: headers copied with
 * lengths, IP ID, sequence number, flags and checksums fixed.
 */
static uint32_t ofnic_tso_segment(const OfnicTso *t, uint32_t k, uint8_t *seg)
{
    uint32_t plen = MIN(t->mss, t->payload - k * t->mss);
    uint32_t slen = t->hdr_len + plen;
    size_t l3 = t->l3, l4 = t->l4;
    uint8_t flags = t->flags0;
    uint32_t sum, cso;

    memcpy(seg, t->f, t->hdr_len);
    memcpy(seg + t->hdr_len, t->f + t->hdr_len + k * t->mss, plen);
    if (t->ip4) {
        struct ip_header iph;

        stw_be_p(seg + l3 + 2, slen - l3);                   /* ip_len */
        stw_be_p(seg + l3 + 4, (uint16_t)(t->id0 + k));      /* ip_id */
        stw_be_p(seg + l3 + 10, 0);                          /* ip_sum */
        stw_be_p(seg + l3 + 10, net_raw_checksum(seg + l3, t->ihl));
        memcpy(&iph, seg + l3, sizeof(iph));
        sum = eth_calc_ip4_pseudo_hdr_csum(&iph, slen - l4, &cso);
    } else {
        struct ip6_header ip6h;

        stw_be_p(seg + l3 + 4, slen - l3 - sizeof(ip6h));    /* plen */
        memcpy(&ip6h, seg + l3, sizeof(ip6h));
        if (t->routed) {
            ip6h.ip6_dst = t->final_dst;
        }
        sum = eth_calc_ip6_pseudo_hdr_csum(&ip6h, slen - l4,
                                           IP_PROTO_TCP, &cso);
    }
    stl_be_p(seg + l4 + 4, t->seq0 + k * t->mss);
    if (k != t->nseg - 1) {
        flags &= ~(TH_FIN | TH_PUSH);
    }
    if (k != 0) {
        flags &= ~TH_CWR;
    }
    seg[l4 + 13] = flags;
    stw_be_p(seg + l4 + 16, 0);                              /* th_sum */
    sum += net_checksum_add_cont(slen - l4, seg + l4, cso);
    stw_be_p(seg + l4 + 16, net_checksum_finish(sum));
    return slen;
}

/* Checks a TSO request against its frame and fills t; NULL or why not. */
static const char *ofnic_tso_prepare(const uint8_t *f, size_t len,
                                     const struct ofnic_tx_desc *d,
                                     OfnicTso *t)
{
    struct iovec iov = { .iov_base = (void *)f, .iov_len = len };
    bool ip4, ip6;
    size_t l3, l4, l5 = 0;
    eth_ip6_hdr_info ip6i;
    eth_ip4_hdr_info ip4i;
    eth_l4_hdr_info l4i;
    uint32_t thlen;

    memset(t, 0, sizeof(*t));
    t->f = f;
    t->mss = le16_to_cpu(d->mss);
    t->hdr_len = le16_to_cpu(d->hdr_len);
    if (t->mss == 0) {
        return "TSO with mss 0";
    }
    if (t->hdr_len == 0 || t->hdr_len > len) {
        return "TSO hdr_len past the frame";
    }
    eth_get_protocols(&iov, 1, 0, &ip4, &ip6, &l3, &l4, &l5,
                      &ip6i, &ip4i, &l4i);
    if (l4i.proto != ETH_L4_HDR_PROTO_TCP || (!ip4 && !ip6)) {
        return "TSO of a frame that is not TCP over IPv4 or IPv6";
    }
    if (ip4) {
        t->ihl = len > l3 ? (f[l3] & 0xf) * 4 : 0;
        if (len < l3 + sizeof(struct ip_header) ||
            (f[l3] >> 4) != IP_HEADER_VERSION_4 ||
            t->ihl < sizeof(struct ip_header) || l4 != l3 + t->ihl ||
            ip4i.fragment) {
            return "TSO: bad IPv4 header";
        }
    } else {
        int r;

        if (len < l3 + sizeof(struct ip6_header) ||
            (f[l3] >> 4) != IP_HEADER_VERSION_6 || ip6i.fragment ||
            l4 < l3 + sizeof(struct ip6_header) || l4 > len) {
            return "TSO: bad IPv6 header";
        }
        r = ofnic_ip6_final_dst(f, l3, l4, &t->final_dst);
        if (r < 0) {
            return "TSO: IPv6 extension headers the device cannot follow";
        }
        t->routed = r;
    }
    thlen = TCP_HEADER_DATA_OFFSET(&l4i.hdr.tcp);
    if (thlen < sizeof(struct tcp_header) || l4 + thlen != t->hdr_len) {
        return "TSO hdr_len is not the parsed L2+L3+L4 headers";
    }
    t->payload = len - t->hdr_len;
    t->nseg = t->payload ? DIV_ROUND_UP(t->payload, t->mss) : 1;
    if (t->nseg > OFNIC_TSO_MAX_SEGS) {
        return "TSO needs too many segments";
    }
    t->l3 = l3;
    t->l4 = l4;
    t->ip4 = ip4;
    t->seq0 = ldl_be_p(f + l4 + 4);
    t->flags0 = f[l4 + 13];
    if (ip4) {
        t->id0 = lduw_be_p(f + l3 + 4);
    }
    return NULL;
}

/* One buffer of a TX packet, as its descriptor gives it. */
typedef struct OfnicTxBuf {
    uint64_t addr;
    uint32_t len;
} OfnicTxBuf;

/* Reads a packet's buffers into f; false if a read failed. */
static bool ofnic_tx_gather(PCIDevice *d, const OfnicTxBuf *b, uint32_t n,
                            uint8_t *f)
{
    uint32_t k;

    for (k = 0; k < n; k++) {
        if (pci_dma_read(d, b[k].addr, f, b[k].len)) {
            return false;
        }
        f += b[k].len;
    }
    return true;
}

/* What the segmentation engine made of one TSO request. */
typedef struct OfnicTsoJob {
    bool dma_failed;        /* a buffer could not be read */
    const char *bad;        /* the request is malformed: why */
    bool built;             /* segments are in s->tso_out (else: too big) */
    OfnicTso t;
    uint32_t slen[OFNIC_TSO_MAX_SEGS];
} OfnicTsoJob;

/*
 * The segmentation engine: gathers a TSO packet's buffers into s->frame,
 * checks the request and builds every segment into s->tso_out. It runs in
 * the TX bottom half, under the BQL and with the guard against MMIO
 * re-entrancy up, like the rest of the TX path: a buffer in the device's own
 * BAR then fails as a DMA error (hw-spec 9), and no other context can enter
 * the device meanwhile. (Bottom halves also run on vCPU threads, inside other
 * devices' MMIO handlers: that is no place to drop the BQL.)
 */
static void ofnic_tso_engine(OfnicQP *qp, const OfnicTxBuf *b, uint32_t n,
                             size_t len, const struct ofnic_tx_desc *d,
                             OfnicTsoJob *j)
{
    OfnicState *s = qp->s;
    uint32_t k, off = 0;

    memset(j, 0, sizeof(*j));
    j->dma_failed = !ofnic_tx_gather(PCI_DEVICE(s), b, n, s->frame);
    if (!j->dma_failed) {
        j->bad = ofnic_tso_prepare(s->frame, len, d, &j->t);
    }
    if (!j->dma_failed && !j->bad && !s->vnet &&
        (uint64_t)j->t.nseg * j->t.hdr_len + j->t.payload <=
        OFNIC_TSO_OUT_BUF) {
        for (k = 0; k < j->t.nseg; k++) {
            j->slen[k] = ofnic_tso_segment(&j->t, k, s->tso_out + off);
            off += j->slen[k];
        }
        j->built = true;
    }
}

/*
 * Sends the segments of a checked TSO request: at most mss payload bytes
 * each, with lengths, IDs, sequence numbers, flags and checksums fixed.
 */
static void ofnic_tso_send(OfnicQP *qp, const OfnicTsoJob *j)
{
    OfnicState *s = qp->s;
    uint32_t k, off = 0;

    for (k = 0; k < j->t.nseg; k++) {
        if (j->built) {
            ofnic_tx_send(qp, NULL, s->tso_out + off, j->slen[k]);
            off += j->slen[k];
        } else {
            ofnic_tx_send(qp, NULL, s->seg,
                          ofnic_tso_segment(&j->t, k, s->seg));
        }
    }
    s->stats[OFNIC_STAT_TSO_PKTS]++;
    s->stats[OFNIC_STAT_TSO_SEGS] += j->t.nseg;
}

static void ofnic_tx_gso_sendv(void *opaque, const struct iovec *iov,
                               int iovcnt, const struct iovec *virt_iov,
                               int virt_iovcnt)
{
    ofnic_tx_sendv(opaque, virt_iov, virt_iovcnt);
}

static void ofnic_tx_frag_keep(void *opaque, void *base, size_t len)
{
    /* the fragment is the device's own gather buffer: nothing to unmap */
}

/*
 * Whether the host's kernel segments a GSO frame of request t as asked
 * (virtio_net_hdr_to_skb): one segment is not GSO there, an MSS below
 * TCP_MIN_GSO_SIZE (8) is raised to it, 0xffff (GSO_BY_FRAGS) is refused;
 * and net_tx_pkt's pseudo-header seed takes the fixed header's destination,
 * wrong with segments left in a routing header. The device segments any
 * other request itself.
 */
static bool ofnic_tso_backend_can(const OfnicTso *t)
{
    return t->nseg >= 2 && t->mss >= 8 && t->mss < 0xffff && !t->routed;
}

/*
 * A checked TSO request to a vnet-header backend: one GSO frame whose
 * virtio_net_hdr (gso_type, gso_size, hdr_len, csum_start/offset) and
 * header fields (IP lengths, IPv4 header checksum, the TCP pseudo-header
 * seed) net_tx_pkt fills in; the backend's stack segments it.
 */
static bool ofnic_tso_send_gso(OfnicQP *qp, const OfnicTsoJob *j, size_t len)
{
    OfnicState *s = qp->s;
    struct NetTxPkt *pkt = s->tx_gso_pkt;
    uint8_t *f = s->frame;
    bool ok;

    /* The guest's IP lengths are not part of the request: the frame's are. */
    if (j->t.ip4) {
        stw_be_p(f + j->t.l3 + 2, len - j->t.l3);
    } else {
        stw_be_p(f + j->t.l3 + 4, len - j->t.l3 - sizeof(struct ip6_header));
    }
    net_tx_pkt_add_raw_fragment(pkt, f, len);
    ok = net_tx_pkt_parse(pkt) &&
         net_tx_pkt_build_vheader(pkt, true, true, j->t.mss);
    if (ok) {
        struct virtio_net_hdr *vh = net_tx_pkt_get_vhdr(pkt);

        /*
         * VIRTIO_NET_HDR_GSO_ECN is Linux's SKB_GSO_TCP_ECN: the TCP header
         * has CWR (which only the first segment keeps), not a CE mark on
         * the IP header as eth_get_gso_type has it.
         */
        if (j->t.flags0 & TH_CWR) {
            vh->gso_type |= VIRTIO_NET_HDR_GSO_ECN;
        } else {
            vh->gso_type &= ~VIRTIO_NET_HDR_GSO_ECN;
        }
        net_tx_pkt_update_ip_checksums(pkt);
        ok = net_tx_pkt_send_custom(pkt, true, ofnic_tx_gso_sendv, qp);
    }
    net_tx_pkt_reset(pkt, ofnic_tx_frag_keep, NULL);
    if (!ok) {
        return ofnic_tx_offload_error(qp, "TSO request net_tx_pkt refused");
    }
    s->stats[OFNIC_STAT_TX_GSO]++;
    return true;
}

/*
 * Gather the packet starting at the ring's head, send it and write back DD.
 * TXD_TSO packets go through the segmentation engine.
 */
static enum ofnic_tx_result ofnic_tx_one(OfnicQP *qp)
{
    OfnicState *s = qp->s;
    PCIDevice *d = PCI_DEVICE(s);
    OfnicRing *r = &qp->tx;
    uint32_t avail = ofnic_ring_avail(r);
    uint32_t i = r->head, n = 0, flags = 0, first_flags = 0;
    size_t len = 0;
    struct ofnic_tx_desc desc, first = { 0 };
    OfnicTxBuf bufs[OFNIC_TX_MAX_DESC_PER_PKT];
    uint16_t status = OFNIC_TXS_DD;
    bool ok;

    while (!(flags & OFNIC_TXD_EOP)) {
        uint32_t blen;

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
        blen = le16_to_cpu(desc.len);
        flags = le16_to_cpu(desc.flags);
        if (n == 0) {
            first = desc;
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
        bufs[n].addr = le64_to_cpu(desc.addr);
        bufs[n].len = blen;
        len += blen;
        n++;
        i = (i + 1) & (r->size - 1);
    }

    if ((first_flags & OFNIC_TXD_TSO) && len >= ETH_HLEN) {
        OfnicTsoJob job;

        ofnic_tso_engine(qp, bufs, n, len, &first, &job);
        if (job.dma_failed) {
            ofnic_ring_fail(qp, false, OFNIC_ERR_BUF_DMA,
                            "buffer read failed");
            return OFNIC_TX_HALTED;
        }
        ok = !job.bad;
        if (!ok) {
            ofnic_tx_offload_error(qp, job.bad);
        } else if (s->vnet && ofnic_tso_backend_can(&job.t)) {
            ok = ofnic_tso_send_gso(qp, &job, len);
        } else {
            ofnic_tso_send(qp, &job);
        }
    } else if (!ofnic_tx_gather(d, bufs, n, s->frame)) {
        ofnic_ring_fail(qp, false, OFNIC_ERR_BUF_DMA, "buffer read failed");
        return OFNIC_TX_HALTED;
    } else if (len < ETH_HLEN) {
        ok = false;
    } else if (first_flags & OFNIC_TXD_CSUM) {
        ok = ofnic_tx_csum(qp, s->frame, len, &first);
    } else {
        ofnic_tx_send(qp, NULL, s->frame, len);
        ok = true;
    }
    if (!ok) {
        status |= OFNIC_TXS_ERR;
        s->stats[OFNIC_STAT_TX_ERRORS]++;
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

void ofnic_tx_bh(void *opaque)
{
    OfnicQP *qp = opaque;
    OfnicState *s = qp->s;
    unsigned int sent = 0;

    if (!s->vm_running) {
        return;     /* ofnic_vm_state() runs us again */
    }
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
        ofnic_qp_event(qp, OFNIC_ITR_DIR_TX, sent);
    }
}
