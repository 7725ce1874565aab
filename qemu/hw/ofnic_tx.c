/*
 * ofnic transmit path: descriptor gathering, checksum insertion (TXD_CSUM)
 * and TCP segmentation (TXD_TSO), done by the device itself so that every
 * network backend gets correct frames.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/iov.h"
#include "net/checksum.h"
#include "net/eth.h"
#include "sysemu/dma.h"

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

static void ofnic_tx_send(OfnicQP *qp, uint8_t *buf, size_t len)
{
    OfnicState *s = qp->s;
    struct iovec iov = { .iov_base = buf, .iov_len = len };

    s->stats[OFNIC_STAT_TX_PKTS]++;
    s->stats[OFNIC_STAT_TX_BYTES] += len;
    if (qemu_sendv_packet_async(qemu_get_queue(s->nic), &iov, 1,
                                ofnic_tx_sent) == 0) {
        /*
         * The peer queued a copy; stop after this packet until it drains.
         * Later segments of the same TSO packet queue behind it in order.
         */
        qp->tx_waiting = true;
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
 * csum_start + csum_offset (0 becomes 0xffff).
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
    csum = net_checksum_finish_nozero(net_checksum_add(len - start,
                                                       f + start));
    stw_be_p(f + start + off, csum);
    qp->s->stats[OFNIC_STAT_TX_CSUM]++;
    return true;
}

/*
 * TXD_TSO: f[0..len) is one TCP/IPv4 or TCP/IPv6 frame whose hdr_len bytes
 * of headers are followed by payload. Send it as segments of at most mss
 * payload bytes with all lengths, IDs, sequence numbers, flags and
 * checksums fixed. Returns false (nothing sent) for a malformed request.
 */
static bool ofnic_tx_tso(OfnicQP *qp, uint8_t *f, size_t len,
                         const struct ofnic_tx_desc *d)
{
    OfnicState *s = qp->s;
    uint32_t mss = le16_to_cpu(d->mss);
    uint32_t hdr_len = le16_to_cpu(d->hdr_len);
    struct iovec iov = { .iov_base = f, .iov_len = len };
    bool ip4, ip6, udp, tcp;
    size_t l3, l4, l5 = 0;
    eth_ip6_hdr_info ip6i;
    eth_ip4_hdr_info ip4i;
    eth_l4_hdr_info l4i;
    uint32_t payload, nseg, k, seq0, ihl = 0, thlen;
    uint16_t id0 = 0;
    uint8_t flags0;

    if (mss == 0) {
        return ofnic_tx_offload_error(qp, "TSO with mss 0");
    }
    if (hdr_len == 0 || hdr_len > len) {
        return ofnic_tx_offload_error(qp, "TSO hdr_len past the frame");
    }
    eth_get_protocols(&iov, 1, &ip4, &ip6, &udp, &tcp, &l3, &l4, &l5,
                      &ip6i, &ip4i, &l4i);
    if (!tcp || (!ip4 && !ip6)) {
        return ofnic_tx_offload_error(qp, "TSO of a frame that is not "
                                      "TCP over IPv4 or IPv6");
    }
    if (ip4) {
        ihl = len > l3 ? (f[l3] & 0xf) * 4 : 0;
        if (len < l3 + sizeof(struct ip_header) ||
            (f[l3] >> 4) != IP_HEADER_VERSION_4 ||
            ihl < sizeof(struct ip_header) || l4 != l3 + ihl ||
            ip4i.fragment) {
            return ofnic_tx_offload_error(qp, "TSO: bad IPv4 header");
        }
    } else {
        if (len < l3 + sizeof(struct ip6_header) ||
            (f[l3] >> 4) != IP_HEADER_VERSION_6 || ip6i.fragment ||
            l4 < l3 + sizeof(struct ip6_header)) {
            return ofnic_tx_offload_error(qp, "TSO: bad IPv6 header");
        }
    }
    thlen = TCP_HEADER_DATA_OFFSET(&l4i.hdr.tcp);
    if (thlen < sizeof(struct tcp_header) || l4 + thlen != hdr_len) {
        return ofnic_tx_offload_error(qp, "TSO hdr_len is not the parsed "
                                      "L2+L3+L4 headers");
    }
    payload = len - hdr_len;
    nseg = payload ? DIV_ROUND_UP(payload, mss) : 1;
    if (nseg > OFNIC_TSO_MAX_SEGS) {
        return ofnic_tx_offload_error(qp, "TSO needs too many segments");
    }

    seq0 = ldl_be_p(f + l4 + 4);
    flags0 = f[l4 + 13];
    if (ip4) {
        id0 = lduw_be_p(f + l3 + 4);
    }
    for (k = 0; k < nseg; k++) {
        uint32_t plen = MIN(mss, payload - k * mss);
        uint32_t slen = hdr_len + plen;
        uint8_t *seg = s->seg;
        uint8_t flags = flags0;
        uint32_t sum, cso;

        memcpy(seg, f, hdr_len);
        memcpy(seg + hdr_len, f + hdr_len + k * mss, plen);
        if (ip4) {
            struct ip_header iph;

            stw_be_p(seg + l3 + 2, slen - l3);               /* ip_len */
            stw_be_p(seg + l3 + 4, (uint16_t)(id0 + k));     /* ip_id */
            stw_be_p(seg + l3 + 10, 0);                      /* ip_sum */
            stw_be_p(seg + l3 + 10, net_raw_checksum(seg + l3, ihl));
            memcpy(&iph, seg + l3, sizeof(iph));
            sum = eth_calc_ip4_pseudo_hdr_csum(&iph, slen - l4, &cso);
        } else {
            struct ip6_header ip6h;

            stw_be_p(seg + l3 + 4, slen - l3 - sizeof(ip6h)); /* plen */
            memcpy(&ip6h, seg + l3, sizeof(ip6h));
            sum = eth_calc_ip6_pseudo_hdr_csum(&ip6h, slen - l4,
                                               IP_PROTO_TCP, &cso);
        }
        stl_be_p(seg + l4 + 4, seq0 + k * mss);
        if (k != nseg - 1) {
            flags &= ~(TH_FIN | TH_PUSH);
        }
        if (k != 0) {
            flags &= ~TH_CWR;
        }
        seg[l4 + 13] = flags;
        stw_be_p(seg + l4 + 16, 0);                          /* th_sum */
        sum += net_checksum_add_cont(slen - l4, seg + l4, cso);
        stw_be_p(seg + l4 + 16, net_checksum_finish(sum));
        ofnic_tx_send(qp, seg, slen);
    }
    s->stats[OFNIC_STAT_TSO_PKTS]++;
    s->stats[OFNIC_STAT_TSO_SEGS] += nseg;
    return true;
}

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
    struct ofnic_tx_desc desc, first = { 0 };
    uint16_t status = OFNIC_TXS_DD;
    bool ok;

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
        if (pci_dma_read(d, addr, s->frame + len, blen)) {
            ofnic_ring_fail(qp, false, OFNIC_ERR_BUF_DMA,
                            "buffer read failed");
            return OFNIC_TX_HALTED;
        }
        len += blen;
        n++;
        i = (i + 1) & (r->size - 1);
    }

    if (len < ETH_HLEN) {
        ok = false;
    } else if (first_flags & OFNIC_TXD_TSO) {
        ok = ofnic_tx_tso(qp, s->frame, len, &first);
    } else if ((first_flags & OFNIC_TXD_CSUM) &&
               !ofnic_tx_csum(qp, s->frame, len, &first)) {
        ok = false;
    } else {
        ofnic_tx_send(qp, s->frame, len);
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
