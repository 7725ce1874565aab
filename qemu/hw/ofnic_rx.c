/*
 * ofnic receive path: filtering, parsing (net_rx_pkt), RSS queue selection
 * and hash, checksum validation, header-data split and LRO.
 *
 * Every header field the device acts on is checked against the bytes that
 * were really received before it is used: a frame whose headers do not add
 * up is handled as a plain (non-IP, or IP without L4) frame.
 *
 * A backend with a vnet header (a tap) prefixes each frame with a struct
 * virtio_net_hdr: its checksum state becomes the write-back's, and a GSO
 * frame is written as one coalesced (RXS_LRO) frame when the guest's LRO
 * settings and buffers allow, else cut here (net_tx_pkt) into coalesced
 * pieces within the LRO limits, or into segments received one by one. A
 * header that does not fit its frame drops the frame (STAT_VNET_HDR_ERRORS).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/iov.h"
#include "net/checksum.h"
#include "net/eth.h"
#include "system/dma.h"
#include "net_rx_pkt.h"
#include "net_tx_pkt.h"

#include "ofnic_int.h"

/* What the device found in a received frame. */
typedef struct OfnicRxInfo {
    bool ip4, ip6;          /* sane IP header, l3end within the frame */
    bool tcp, udp;          /* sane L4 header of an unfragmented datagram */
    bool frag;
    bool l3_ok, l4_ok;      /* checksums verified good (LRO needs them) */
    uint32_t l3off, l4off, l5off;
    uint32_t l3end;         /* end of the IP datagram (padding follows) */
    int flow;               /* flow table entry that decided, or -1 */
    OfnicRxMeta meta;
} OfnicRxInfo;

enum ofnic_rx_write_result {
    OFNIC_RXW_OK,           /* written */
    OFNIC_RXW_NO_DESC,      /* not enough descriptors posted: hold it */
    OFNIC_RXW_TOO_BIG,      /* needs more than OFNIC_RX_MAX_DESC_PER_PKT */
    OFNIC_RXW_FAILED,       /* the ring halted (DMA error): frame lost */
};

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

/* ---- parsing, hash, checksums ---------------------------------------- */

/* The frame's hash under RSS context c (none if c hashes no such frame). */
static void ofnic_rx_rss(OfnicState *s, OfnicRxInfo *pi, const OfnicRss *c)
{
    uint32_t ht = c->hash_types;
    NetRxPktRssType nt;
    uint8_t type, key[OFNIC_RSS_KEY_LEN];
    unsigned int i;

    pi->meta.status &= ~OFNIC_RXS_RSS;
    pi->meta.rss_hash = 0;
    pi->meta.rss_type = OFNIC_RSS_TYPE_NONE;
    if (pi->ip4) {
        if (pi->tcp && (ht & OFNIC_RSS_HT_IPV4_TCP)) {
            nt = NetPktRssIpV4Tcp;
            type = OFNIC_RSS_TYPE_IPV4_TCP;
        } else if (pi->udp && (ht & OFNIC_RSS_HT_IPV4_UDP)) {
            nt = NetPktRssIpV4Udp;
            type = OFNIC_RSS_TYPE_IPV4_UDP;
        } else if (ht & OFNIC_RSS_HT_IPV4) {
            nt = NetPktRssIpV4;
            type = OFNIC_RSS_TYPE_IPV4;
        } else {
            return;
        }
    } else if (pi->ip6) {
        if (pi->tcp && (ht & OFNIC_RSS_HT_IPV6_TCP)) {
            nt = NetPktRssIpV6Tcp;
            type = OFNIC_RSS_TYPE_IPV6_TCP;
        } else if (pi->udp && (ht & OFNIC_RSS_HT_IPV6_UDP)) {
            nt = NetPktRssIpV6Udp;
            type = OFNIC_RSS_TYPE_IPV6_UDP;
        } else if (ht & OFNIC_RSS_HT_IPV6) {
            nt = NetPktRssIpV6;
            type = OFNIC_RSS_TYPE_IPV6;
        } else {
            return;
        }
    } else {
        return;
    }
    for (i = 0; i < OFNIC_RSS_KEY_LEN; i++) {
        key[i] = c->key[i / 4] >> (8 * (i % 4));
    }
    pi->meta.rss_hash = net_rx_pkt_calc_rss_hash(s->rx_pkt, nt, key);
    pi->meta.rss_type = type;
    pi->meta.status |= OFNIC_RXS_RSS;
}

/*
 * The destination a transport checksum's IPv6 pseudo-header takes (RFC 8200
 * 8.1): with a routing header that still has segments left, the final one,
 * not the fixed header's. f[l3..l4) is the fixed header and its extension
 * headers (hop-by-hop, routing, destination options). Returns 0 (the fixed
 * header's ip6_dst is it), 1 (*dst is the final destination), or -1 (a
 * routing header of a type the device does not know, another extension
 * header, or headers that do not end at l4).
 */
int ofnic_ip6_final_dst(const uint8_t *f, size_t l3, size_t l4,
                        struct in6_address *dst)
{
    size_t off = l3 + sizeof(struct ip6_header), hlen, n;
    uint8_t nh = f[l3 + 6];
    int found = 0;

    while (off < l4) {
        if (off + 8 > l4) {
            return -1;
        }
        hlen = (f[off + 1] + 1) * 8;
        if (off + hlen > l4) {
            return -1;
        }
        if (nh == IP6_ROUTING && f[off + 3]) {      /* segments left */
            switch (f[off + 2]) {
            case 0:     /* RH0: the last of its addresses */
                n = (hlen - 8) / 16;
                if (!n) {
                    return -1;
                }
                memcpy(dst, f + off + 8 + 16 * (n - 1), 16);
                break;
            case 2:     /* Mobile IPv6: the home address */
                if (hlen != 24) {
                    return -1;
                }
                memcpy(dst, f + off + 8, 16);
                break;
            case 4:     /* segment routing: Segment List[0] is the last */
                if (8 + 16 * ((size_t)f[off + 4] + 1) > hlen) {
                    return -1;
                }
                memcpy(dst, f + off + 8, 16);
                break;
            default:
                return -1;
            }
            found = 1;
        } else if (nh != IP6_ROUTING && nh != IP6_HOP_BY_HOP &&
                   nh != IP6_DESTINATON) {
            /*
             * AH among them: QEMU's parser (eth_get_protocols) sizes it in
             * 8-byte units, not 4, so its l4 would not be where AH ends.
             */
            return -1;
        }
        nh = f[off];
        off += hlen;
    }
    return off == l4 ? found : -1;
}

/*
 * trusted: the backend vouches for the L4 checksum (a vnet header's
 * NEEDS_CSUM or DATA_VALID, or a segment the device built itself).
 */
static void ofnic_rx_parse(OfnicState *s, uint8_t *f, uint32_t len,
                           bool trusted, OfnicRxInfo *pi)
{
    struct NetRxPkt *pkt = s->rx_pkt;
    struct iovec iov = { .iov_base = f, .iov_len = len };
    EthL4HdrProto l4proto;
    bool ip4, ip6, udp, tcp, valid;
    uint32_t l3, l4 = 0;
    struct in6_address final;

    memset(pi, 0, sizeof(*pi));
    pi->flow = -1;
    net_rx_pkt_attach_data(pkt, f, len, false);
    net_rx_pkt_get_protocols(pkt, &ip4, &ip6, &l4proto);
    tcp = l4proto == ETH_L4_HDR_PROTO_TCP;
    udp = l4proto == ETH_L4_HDR_PROTO_UDP;
    /*
     * net_rx_pkt keeps its L3 offset to itself (QEMU 8.0 dropped the getter):
     * the MAC header and up to two VLAN tags, found as its parser
     * (eth_get_protocols) finds them.
     */
    l3 = eth_get_l2_hdr_length_iov(&iov, 1, 0);
    pi->l3off = l3;

    if (ip4 && len >= l3 + sizeof(struct ip_header) &&
        (f[l3] >> 4) == IP_HEADER_VERSION_4) {
        uint32_t ihl = (f[l3] & 0xf) * 4, tot = lduw_be_p(f + l3 + 2);

        if (ihl >= sizeof(struct ip_header) && tot >= ihl &&
            l3 + tot <= len) {
            pi->ip4 = true;
            pi->l3end = l3 + tot;
            pi->frag = (lduw_be_p(f + l3 + 6) & (IP_OFFMASK | IP_MF)) != 0;
            l4 = l3 + ihl;
        }
    } else if (ip6 && len >= l3 + sizeof(struct ip6_header) &&
               (f[l3] >> 4) == IP_HEADER_VERSION_6) {
        uint32_t plen = lduw_be_p(f + l3 + 4);

        if (plen && l3 + sizeof(struct ip6_header) + plen <= len) {
            pi->ip6 = true;
            pi->l3end = l3 + sizeof(struct ip6_header) + plen;
            if (tcp || udp) {
                pi->frag = net_rx_pkt_get_ip6_info(pkt)->fragment;
                l4 = net_rx_pkt_get_l4_hdr_offset(pkt);
                if (l4 < l3 + sizeof(struct ip6_header) || l4 > pi->l3end) {
                    tcp = udp = false;
                }
            }
        }
    }
    if (!pi->ip4 && !pi->ip6) {
        return;     /* no hash, no checksum, no split, no LRO */
    }
    pi->meta.ptype = pi->ip4 ? OFNIC_PTYPE_IPV4 : OFNIC_PTYPE_IPV6;
    /* at most ETH_HLEN + two tags: always fits the byte */
    pi->meta.l3_off = l3;

    if (tcp && !pi->frag && l4 + sizeof(struct tcp_header) <= pi->l3end) {
        uint32_t thlen = (f[l4 + 12] >> 4) * 4;

        if (thlen >= sizeof(struct tcp_header) && l4 + thlen <= pi->l3end) {
            pi->tcp = true;
            pi->l5off = l4 + thlen;
            pi->meta.ptype |= OFNIC_PTYPE_TCP;
        }
    } else if (udp && !pi->frag &&
               l4 + sizeof(struct udp_header) <= pi->l3end) {
        uint32_t ulen = lduw_be_p(f + l4 + 4);

        if (ulen >= sizeof(struct udp_header) && l4 + ulen <= pi->l3end) {
            pi->udp = true;
            pi->l5off = l4 + sizeof(struct udp_header);
            pi->meta.ptype |= OFNIC_PTYPE_UDP;
        }
    }
    pi->l4off = l4;
    if (pi->tcp || pi->udp) {
        pi->meta.split_len = pi->l5off;
    }

    ofnic_rx_rss(s, pi, &s->rss[0]);

    if (!(s->rx_ctrl & (OFNIC_RXC_CSUM | OFNIC_RXC_LRO))) {
        return;
    }
    if (pi->ip4 && net_rx_pkt_validate_l3_csum(pkt, &valid)) {
        pi->l3_ok = valid;
        if (s->rx_ctrl & OFNIC_RXC_CSUM) {
            pi->meta.status |= valid ? OFNIC_RXS_L3_OK : OFNIC_RXS_L3_BAD;
        }
    }
    if ((pi->tcp || pi->udp) && pi->ip6 && !trusted &&
        ofnic_ip6_final_dst(f, l3, l4, &final) != 0) {
        /*
         * Segments left in a routing header (or headers the device cannot
         * follow): the pseudo-header's destination is not the one the
         * checksum helper uses, so the device gives no verdict.
         */
    } else if ((pi->tcp || pi->udp) && trusted) {
        pi->l4_ok = true;
        if (s->rx_ctrl & OFNIC_RXC_CSUM) {
            pi->meta.status |= OFNIC_RXS_L4_OK;
        }
    } else if ((pi->tcp || pi->udp) &&
               net_rx_pkt_validate_l4_csum(pkt, &valid)) {
        pi->l4_ok = valid;
        if (s->rx_ctrl & OFNIC_RXC_CSUM) {
            pi->meta.status |= valid ? OFNIC_RXS_L4_OK : OFNIC_RXS_L4_BAD;
        }
    }
}

/* ---- flow table and queue selection ------------------------------------ */

static uint32_t ofnic_reta_entry(const OfnicRss *c, uint32_t hash)
{
    uint32_t i = hash & (OFNIC_RSS_RETA_SIZE - 1);

    return (c->reta[i / 4] >> (8 * (i % 4))) & 0xff;
}

/* (a & m) == (e & m) over n address words; a: the frame's bytes */
static bool ofnic_flow_addr_match(const uint8_t *a, const uint32_t *e,
                                  const uint32_t *m, unsigned int n)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        if ((ldl_le_p(a + 4 * i) ^ e[i]) & m[i]) {
            return false;
        }
    }
    return true;
}

static bool ofnic_flow_match(OfnicState *s, const OfnicFlow *e,
                             const uint8_t *f, const OfnicRxInfo *pi)
{
    uint32_t type = (e->ctrl & OFNIC_FLC_TYPE_MASK) >> OFNIC_FLC_TYPE_SHIFT;
    const uint8_t *l3 = f + pi->l3off;
    uint32_t proto, pmask;
    bool ip6, tcp, udp, ports;

    if (type < OFNIC_FLT_TCP4 || type > OFNIC_FLT_IP6) {
        return false;
    }
    /* TCP4, UDP4, IP4, TCP6, UDP6, IP6: the IP version, then the L4 kind */
    ip6 = type >= OFNIC_FLT_TCP6;
    tcp = (type - OFNIC_FLT_TCP4) % 3 == 0;
    udp = (type - OFNIC_FLT_TCP4) % 3 == 1;
    ports = tcp || udp;
    if (!(ip6 ? pi->ip6 : pi->ip4) || (tcp && !pi->tcp) || (udp && !pi->udp)) {
        return false;
    }
    if (pi->ip4) {
        if (!ofnic_flow_addr_match(l3 + 12, e->src, e->src_mask, 1) ||
            !ofnic_flow_addr_match(l3 + 16, e->dst, e->dst_mask, 1)) {
            return false;
        }
        proto = l3[9];
    } else {
        if (!ofnic_flow_addr_match(l3 + 8, e->src, e->src_mask, 4) ||
            !ofnic_flow_addr_match(l3 + 24, e->dst, e->dst_mask, 4)) {
            return false;
        }
        /* the next header after the extension headers net_rx_pkt walked */
        proto = net_rx_pkt_get_ip6_info(s->rx_pkt)->l4proto;
    }
    if (ports) {
        /* source port first in the frame and in bits 15:0 */
        uint32_t p = lduw_be_p(f + pi->l4off) |
                     (uint32_t)lduw_be_p(f + pi->l4off + 2) << 16;

        return !((p ^ e->ports) & e->port_mask);
    }
    pmask = e->ctrl >> OFNIC_FLC_PROTO_MASK_SHIFT;
    return !((proto ^ (e->ctrl >> OFNIC_FLC_PROTO_SHIFT)) & pmask & 0xff);
}

/*
 * The queue a frame goes to, or -1: a flow entry drops it. pi->flow names
 * the entry that decided; pi->meta gets the hash of the context used.
 */
static int ofnic_rx_select_queue(OfnicState *s, const uint8_t *f,
                                 OfnicRxInfo *pi)
{
    const OfnicFlow *e = NULL;
    const OfnicRss *c;
    uint32_t i, q, ctx;

    if ((s->rx_ctrl & OFNIC_RXC_FLOW) && (pi->ip4 || pi->ip6)) {
        for (i = 0; i < s->flow_end; i++) {
            if ((s->flow[i].ctrl & OFNIC_FLC_VALID) &&
                ofnic_flow_match(s, &s->flow[i], f, pi)) {
                e = &s->flow[i];
                pi->flow = i;
                break;
            }
        }
    }
    if (!e) {
        if (!(s->rx_ctrl & OFNIC_RXC_RSS) ||
            !(pi->meta.status & OFNIC_RXS_RSS)) {
            return 0;
        }
        q = ofnic_reta_entry(&s->rss[0], pi->meta.rss_hash);
        return q < s->num_qp ? q : 0;
    }
    q = e->arg & OFNIC_FLOW_ARG_QUEUE_MASK;
    switch ((e->ctrl & OFNIC_FLC_ACTION_MASK) >> OFNIC_FLC_ACTION_SHIFT) {
    case OFNIC_FLA_QUEUE:
        break;
    case OFNIC_FLA_CONTEXT:
        ctx = (e->arg & OFNIC_FLOW_ARG_CTX_MASK) >> OFNIC_FLOW_ARG_CTX_SHIFT;
        c = &s->rss[ctx < OFNIC_RSS_CTX_MAX ? ctx : 0];
        ofnic_rx_rss(s, pi, c);
        q += ofnic_reta_entry(c, pi->meta.rss_hash);
        break;
    default:
        return -1;
    }
    return q < s->num_qp ? q : 0;
}

static void ofnic_flow_hit(OfnicState *s, const OfnicRxInfo *pi)
{
    if (pi->flow >= 0) {
        s->flow[pi->flow].hits++;
    }
}

/* ---- writing a frame to a ring ------------------------------------------- */

static void ofnic_rx_drop(OfnicQP *qp)
{
    qp->rx.drops++;
    qp->s->stats[OFNIC_STAT_RX_NO_BUF]++;
}

/*
 * Write f[0..len) with metadata m to the queue's RX ring, split into the
 * header buffer when header-data split applies.
 */
static int ofnic_rx_write(OfnicQP *qp, const uint8_t *f, uint32_t len,
                          const OfnicRxMeta *m)
{
    OfnicState *s = qp->s;
    PCIDevice *d = PCI_DEVICE(s);
    OfnicRing *r = &qp->rx;
    uint32_t hlen = 0, dlen, need, n, off, first = r->head, status;
    int lie;

    if ((s->rx_ctrl & OFNIC_RXC_HDS) && r->hdr_size && m->split_len &&
        m->split_len <= r->hdr_size && m->split_len <= len) {
        hlen = m->split_len;
    }
    dlen = len - hlen;
    need = dlen ? DIV_ROUND_UP(dlen, r->buf_size) : 1;
    if (need > OFNIC_RX_MAX_DESC_PER_PKT) {
        return OFNIC_RXW_TOO_BIG;
    }
    if (!ofnic_ring_ready(s, r) || ofnic_ring_avail(r) < need) {
        return OFNIC_RXW_NO_DESC;
    }

    status = OFNIC_RXS_DD | (need == 1 ? OFNIC_RXS_EOP : 0) | m->status |
             (hlen ? OFNIC_RXS_HDS : 0);
    lie = ofnic_hostile_pick(s);
    off = hlen;
    for (n = 0; n < need; n++) {
        hwaddr da = ofnic_desc_addr(r, first + n);
        uint32_t chunk = MIN(len - off, r->buf_size);
        struct ofnic_rx_desc rd;
        struct ofnic_rx_wb wb = { 0 };

        if (pci_dma_read(d, da, &rd, sizeof(rd))) {
            ofnic_ring_fail(qp, true, OFNIC_ERR_DESC_DMA,
                            "descriptor read failed");
            return OFNIC_RXW_FAILED;
        }
        if (n == 0 && hlen &&
            pci_dma_write(d, le64_to_cpu(rd.hdr_addr), f, hlen)) {
            ofnic_ring_fail(qp, true, OFNIC_ERR_BUF_DMA,
                            "header buffer write failed");
            return OFNIC_RXW_FAILED;
        }
        if (chunk && pci_dma_write(d, le64_to_cpu(rd.addr), f + off, chunk)) {
            ofnic_ring_fail(qp, true, OFNIC_ERR_BUF_DMA,
                            "buffer write failed");
            return OFNIC_RXW_FAILED;
        }
        off += chunk;
        wb.len = cpu_to_le16(chunk);
        if (n == 0) {
            wb.rss_hash = cpu_to_le32(m->rss_hash);
            wb.hdr_len = cpu_to_le16(hlen);
            wb.rss_type = m->rss_type;
            wb.ptype = m->ptype;
            wb.l3_off = m->l3_off;
            wb.lro_segs = cpu_to_le16(m->lro_segs);
            wb.lro_mss = cpu_to_le16(m->lro_mss);
        } else {
            /* The first descriptor's status is written last, below. */
            wb.status = cpu_to_le32(OFNIC_RXS_DD |
                                    (n == need - 1 ? OFNIC_RXS_EOP : 0));
        }
        if (lie >= 0) {
            ofnic_hostile_apply(s, lie, n, need, r->buf_size, &wb, &status);
        }
        if (pci_dma_write(d, da, &wb, sizeof(wb))) {
            ofnic_ring_fail(qp, true, OFNIC_ERR_DESC_DMA,
                            "descriptor write-back failed");
            return OFNIC_RXW_FAILED;
        }
    }
    /* Everything of the frame is visible before its first DD. */
    smp_wmb();
    if (stl_le_pci_dma(d, ofnic_desc_addr(r, first) +
                       offsetof(struct ofnic_rx_wb, status),
                       status, MEMTXATTRS_UNSPECIFIED)) {
        ofnic_ring_fail(qp, true, OFNIC_ERR_DESC_DMA,
                        "descriptor write-back failed");
        return OFNIC_RXW_FAILED;
    }
    r->head = (first + need) & (r->size - 1);
    s->stats[OFNIC_STAT_RX_PKTS]++;
    s->stats[OFNIC_STAT_RX_BYTES] += len;
    if (hlen) {
        s->stats[OFNIC_STAT_HDS_FRAMES]++;
    }
    if (m->status & OFNIC_RXS_LRO) {
        s->stats[OFNIC_STAT_LRO_FRAMES]++;
        s->stats[OFNIC_STAT_LRO_SEGS] += m->lro_segs;
    }
    if (m->status & OFNIC_RXS_L4_OK) {
        s->stats[OFNIC_STAT_RX_CSUM_GOOD]++;
    }
    if (m->status & (OFNIC_RXS_L3_BAD | OFNIC_RXS_L4_BAD)) {
        s->stats[OFNIC_STAT_RX_CSUM_BAD]++;
    }
    if (lie < 0 || ofnic_hostile_irq(s, lie)) {
        ofnic_qp_event(qp, OFNIC_ITR_DIR_RX, 1);
    }
    return OFNIC_RXW_OK;
}

/* ---- LRO ------------------------------------------------------------ */

/* Payload bytes of a segment LRO may coalesce, or 0. */
static uint32_t ofnic_lro_payload(OfnicState *s, const uint8_t *f,
                                  uint32_t len, const OfnicRxInfo *pi)
{
    uint8_t flags;

    if (!(s->rx_ctrl & OFNIC_RXC_LRO) || !pi->tcp || !pi->l4_ok) {
        return 0;
    }
    if (pi->l3end != len) {
        return 0;   /* padded or trailing bytes: GRO takes no such segment */
    }
    if (pi->ip4 && (pi->l4off - pi->l3off != sizeof(struct ip_header) ||
                    !pi->l3_ok)) {
        return 0;   /* IPv4 options */
    }
    /*
     * IPv6 extension headers coalesce, as in GRO (ipv6_gro_receive), when
     * the device verified the TCP checksum through them: hop-by-hop,
     * destination options and routing headers without segments left; no
     * fragment (pi->tcp is false for fragments).
     *
     * Not SYN, RST or URG; PSH, FIN, ECE, CWR, ACK as GRO takes them
     * (tcp_gro_receive): PSH and FIN may only end a frame, CWR only start
     * one, the others (and NS, the reserved bits) must be the same in all
     * segments (ofnic_lro_match).
     */
    flags = f[pi->l4off + 13];
    if (flags & (TH_SYN | TH_RST | TH_URG)) {
        return 0;
    }
    return pi->l3end - pi->l5off;
}

static bool ofnic_lro_match(OfnicLro *c, const uint8_t *f,
                            const OfnicRxInfo *pi, uint32_t payload)
{
    const uint8_t *h = c->buf;
    uint32_t l3 = c->l3off, l4 = c->l4off;

    if (pi->l3off != c->l3off || pi->l4off != c->l4off ||
        pi->l5off != c->l5off || pi->ip4 != c->ip4) {
        return false;
    }
    if (memcmp(f, h, l3)) {
        return false;   /* addresses, VLAN tags */
    }
    if (c->ip4) {
        uint16_t id = lduw_be_p(f + l3 + 4), id0 = lduw_be_p(h + l3 + 4);
        bool df = h[l3 + 6] & 0x40;     /* IP_DF; the same in f (below) */

        /* version/IHL, TOS; fragment field (DF), TTL, protocol; addresses */
        if (memcmp(f + l3, h + l3, 2) || memcmp(f + l3 + 6, h + l3 + 6, 4) ||
            memcmp(f + l3 + 12, h + l3 + 12, 8)) {
            return false;
        }
        /*
         * The IP ID, as GRO (inet_gro_flush) takes it: IDs counting up by
         * one per segment (TSO, GSO), or, with DF, one fixed ID for all
         * the segments; which of the two is decided by the second segment
         * (an ID equal to the first's makes a fixed-ID context).
         */
        if (c->fixedid || (c->segs == 1 && df && id == id0)) {
            if (id != id0) {
                return false;
            }
        } else if (id != (uint16_t)(id0 + c->segs)) {
            return false;
        }
    } else {
        /*
         * version, class, flow label; next header, hop limit, addresses;
         * the extension headers byte for byte (their lengths are equal:
         * same l4off)
         */
        if (memcmp(f + l3, h + l3, 4) || memcmp(f + l3 + 6, h + l3 + 6, 34) ||
            memcmp(f + l3 + sizeof(struct ip6_header),
                   h + l3 + sizeof(struct ip6_header),
                   l4 - l3 - sizeof(struct ip6_header))) {
            return false;
        }
    }
    /*
     * ports, data offset (and NS, reserved bits), ACK number, window,
     * options; the flags but PSH and FIN, and no CWR in a joining segment
     * (a CWR segment starts a frame), as tcp_gro_receive() compares them
     */
    if (memcmp(f + l4, h + l4, 4) || memcmp(f + l4 + 8, h + l4 + 8, 4) ||
        f[l4 + 12] != h[l4 + 12] || (f[l4 + 13] & TH_CWR) ||
        ((f[l4 + 13] ^ h[l4 + 13]) & ~(TH_PUSH | TH_FIN | TH_CWR)) ||
        memcmp(f + l4 + 14, h + l4 + 14, 2) ||
        memcmp(f + l4 + 20, h + l4 + 20, c->l5off - l4 - 20)) {
        return false;
    }
    return ldl_be_p(f + l4 + 4) == c->next_seq && payload <= c->mss &&
           c->len + payload <= c->max_len;
}

/*
 * Write the coalesced frame of a queue. Returns false if it could not be
 * written for lack of descriptors: it then stays pending (closed).
 */
static bool ofnic_lro_write(OfnicQP *qp)
{
    OfnicLro *c = &qp->lro;
    OfnicRxMeta m = c->meta;
    uint8_t *h = c->buf;

    if (!c->active && !c->closed) {
        return true;
    }
    if (c->segs > 1) {
        if (c->ip4) {
            stw_be_p(h + c->l3off + 2, c->len - c->l3off);
            stw_be_p(h + c->l3off + 10, 0);
            stw_be_p(h + c->l3off + 10,
                     net_raw_checksum(h + c->l3off, c->l4off - c->l3off));
        } else {
            stw_be_p(h + c->l3off + 4,
                     c->len - c->l3off - sizeof(struct ip6_header));
        }
        m.status |= OFNIC_RXS_LRO;
        if (c->fixedid) {
            m.status |= OFNIC_RXS_LRO_FIXEDID;
        }
        m.lro_segs = c->segs;
        m.lro_mss = c->mss;
    }
    switch (ofnic_rx_write(qp, h, c->len, &m)) {
    case OFNIC_RXW_NO_DESC:
        c->active = false;
        c->closed = true;
        timer_del(c->timer);
        return false;
    case OFNIC_RXW_TOO_BIG:
        qp->s->stats[OFNIC_STAT_RX_OVERSIZE]++;
        break;
    default:
        break;
    }
    c->active = false;
    c->closed = false;
    timer_del(c->timer);
    return true;
}

static void ofnic_lro_start(OfnicQP *qp, const uint8_t *f,
                            const OfnicRxInfo *pi, uint32_t payload,
                            uint32_t max_len)
{
    OfnicState *s = qp->s;
    OfnicLro *c = &qp->lro;

    memcpy(c->buf, f, pi->l3end);
    c->len = pi->l3end;
    c->max_len = max_len;
    c->l3off = pi->l3off;
    c->l4off = pi->l4off;
    c->l5off = pi->l5off;
    c->ip4 = pi->ip4;
    c->fixedid = false;
    c->segs = 1;
    c->mss = payload;
    c->next_seq = ldl_be_p(f + pi->l4off + 4) + payload;
    c->meta = pi->meta;
    c->active = true;
    c->closed = false;
    timer_mod(c->timer, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
              (int64_t)s->lro_timeout * SCALE_US);
}

/* Append a matching segment; returns true if the frame is now complete. */
static bool ofnic_lro_append(OfnicQP *qp, const uint8_t *f,
                             const OfnicRxInfo *pi, uint32_t payload)
{
    OfnicLro *c = &qp->lro;
    uint8_t *h = c->buf;
    uint32_t l4 = c->l4off;
    uint8_t flags = f[pi->l4off + 13];

    /* (ofnic_lro_match let a second segment of the first's ID join) */
    if (c->ip4 && c->segs == 1 &&
        lduw_be_p(f + c->l3off + 4) == lduw_be_p(h + c->l3off + 4)) {
        c->fixedid = true;
    }
    memcpy(h + c->len, f + pi->l5off, payload);
    c->len += payload;
    c->segs++;
    c->next_seq += payload;
    h[l4 + 13] |= flags & (TH_PUSH | TH_FIN);   /* ACK, window: the same */
    /*
     * Full only when not one more byte fits: as GRO keeps its packet until
     * a segment does not fit, a last segment shorter than mss may still
     * join a frame that has no room for another mss.
     */
    return (flags & (TH_PUSH | TH_FIN)) || payload < c->mss ||
           c->segs >= qp->s->lro_max_segs || c->len >= c->max_len;
}

void ofnic_lro_flush(OfnicQP *qp)
{
    ofnic_lro_write(qp);
}

void ofnic_lro_discard(OfnicQP *qp)
{
    qp->lro.active = false;
    qp->lro.closed = false;
    if (qp->lro.timer) {
        timer_del(qp->lro.timer);
    }
}

void ofnic_lro_timer_work(OfnicQP *qp)
{
    OfnicLro *c = &qp->lro;

    if (c->active && !timer_pending(c->timer)) {
        ofnic_lro_write(qp);
    }
}

static void ofnic_lro_timer_cb(void *opaque)
{
    OfnicQP *qp = opaque;

    /* DMA and interrupts run from a BH guarded against MMIO re-entrancy. */
    qemu_bh_schedule(qp->timer_bh);
}

/* ---- the net client ------------------------------------------------- */

/*
 * Only a receiver that is on but out of buffers holds the wire back. A port
 * that is off (no RX ring enabled and not halted, or the device disabled)
 * takes frames and drops them, as a MAC with RX disabled does: holding them
 * would stall the sender's TX ring (and trip its driver's watchdog) for as
 * long as this port stays down.
 */
bool ofnic_can_receive(NetClientState *nc)
{
    OfnicState *s = qemu_get_nic_opaque(nc);
    bool on = false;
    unsigned int i;

    if (!s->vm_running) {
        return false;   /* held; the resume flushes (ofnic_vm_state) */
    }
    for (i = 0; i < s->num_qp; i++) {
        OfnicRing *r = &s->qp[i].rx;

        if (ofnic_ring_ready(s, r)) {
            if (ofnic_ring_avail(r) > 0) {
                return true;
            }
            on = true;
        }
    }
    return !on;
}

/*
 * Receives one frame f[0..len) (the device's own buffer, not the backend's).
 * Returns false if it must be held until the driver posts buffers.
 */
static bool ofnic_rx_frame_to(OfnicQP *qp, uint8_t *f, uint32_t len,
                              OfnicRxInfo *pi);

static bool ofnic_rx_frame(OfnicState *s, uint8_t *f, uint32_t len,
                           bool trusted)
{
    OfnicRxInfo info;
    bool taken;
    int q;

    if (len > s->max_frame) {
        s->stats[OFNIC_STAT_RX_OVERSIZE]++;
        return true;
    }
    ofnic_rx_parse(s, f, len, trusted, &info);
    q = ofnic_rx_select_queue(s, f, &info);
    if (q < 0) {
        s->stats[OFNIC_STAT_RX_FLOW_DROPS]++;
        taken = true;
    } else {
        taken = ofnic_rx_frame_to(&s->qp[q], f, len, &info);
    }
    /* a held frame comes again and is counted when it is taken */
    if (taken) {
        ofnic_flow_hit(s, &info);
    }
    return taken;
}

/* Receives a parsed frame on the queue selected for it. */
static bool ofnic_rx_frame_to(OfnicQP *qp, uint8_t *f, uint32_t len,
                              OfnicRxInfo *pi)
{
    OfnicState *s = qp->s;
    uint32_t payload, max_len;

    if (!ofnic_ring_ready(s, &qp->rx)) {
        ofnic_rx_drop(qp);
        return true;
    }

    /* Coalescing: keep the queue's frames in order. */
    if (qp->lro.closed && !ofnic_lro_write(qp)) {
        return false;
    }
    payload = ofnic_lro_payload(s, f, len, pi);
    if (qp->lro.active) {
        /*
         * LRO_MAX_SEGS may have been lowered since the context opened: a
         * full context takes no more, it is written and this starts anew.
         */
        if (payload && qp->lro.segs < s->lro_max_segs &&
            ofnic_lro_match(&qp->lro, f, pi, payload)) {
            if (ofnic_lro_append(qp, f, pi, payload)) {
                ofnic_lro_write(qp);    /* or pending until descriptors */
            }
            return true;
        }
        if (!ofnic_lro_write(qp)) {
            return false;
        }
    }
    /*
     * The frame within the driver's buffers (LRO_MAX_LEN, 32 buffers) and
     * GRO's limit (tags and IP datagram below 64 KiB).
     */
    max_len = MIN(MIN(s->lro_max_len,
                      OFNIC_RX_MAX_DESC_PER_PKT * qp->rx.buf_size),
                  ETH_HLEN + OFNIC_LRO_MAX_L2_PAYLOAD);
    if (payload && !(f[pi->l4off + 13] & (TH_PUSH | TH_FIN)) &&
        pi->l3end < max_len) {
        ofnic_lro_start(qp, f, pi, payload, max_len);
        return true;
    }

    switch (ofnic_rx_write(qp, f, len, &pi->meta)) {
    case OFNIC_RXW_NO_DESC:
        return false;
    case OFNIC_RXW_TOO_BIG:
        s->stats[OFNIC_STAT_RX_OVERSIZE]++;
        break;
    default:
        break;
    }
    return true;
}

/* ---- frames with a vnet header ---------------------------------------- */

static bool ofnic_vnet_error(OfnicState *s, const char *what)
{
    qemu_log_mask(LOG_GUEST_ERROR, "ofnic: backend vnet header: %s\n", what);
    s->stats[OFNIC_STAT_VNET_HDR_ERRORS]++;
    return true;    /* the frame is consumed (dropped) */
}

void ofnic_vnet_update_offloads(OfnicState *s)
{
    /*
     * GSO frames only while the guest takes coalesced frames; partial
     * checksums always, as the device completes them itself when RX_CTRL
     * has checksum offload off.
     */
    bool tso = (s->rx_ctrl & (OFNIC_RXC_LRO | OFNIC_RXC_CSUM)) ==
               (OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
    unsigned int i;

    if (!s->vnet || tso == s->vnet_tso) {
        return;
    }
    s->vnet_tso = tso;
    for (i = 0; i < ofnic_net_queues(s); i++) {
        qemu_set_offload(qemu_get_subqueue(s->nic, i)->peer,
                         1, tso, tso, 0, 0, 0, 0);
    }
}

/* A GSO frame the device splits (net_tx_pkt), and where it stands. */
typedef struct OfnicRxSplit {
    OfnicState *s;
    OfnicQP *qp;
    const OfnicRxInfo *info;    /* of the whole frame */
    uint32_t mss;
    uint32_t per;           /* segments per piece: > 1, written coalesced */
    uint32_t left;          /* payload bytes not split off yet */
    uint16_t ip_id;         /* IPv4 ID of the next piece */
    uint8_t flags;          /* the frame's TCP flags */
    uint32_t taken;         /* pieces the receive path took */
} OfnicRxSplit;

/* Sets a TCP header's flags, updating its checksum (RFC 1624). */
static void ofnic_tcp_set_flags(uint8_t *th, uint8_t flags)
{
    uint16_t old = lduw_be_p(th + 12), new = (old & 0xff00) | flags;
    uint32_t sum = (uint16_t)~lduw_be_p(th + 16) + (uint16_t)~old + new;

    stw_be_p(th + 12, new);
    stw_be_p(th + 16, net_checksum_finish(sum));
}

static void ofnic_rx_split_piece(void *opaque, const struct iovec *iov,
                                 int iovcnt, const struct iovec *virt_iov,
                                 int virt_iovcnt)
{
    OfnicRxSplit *sp = opaque;
    OfnicState *s = sp->s;
    const OfnicRxInfo *pi = sp->info;
    uint8_t *f = s->rx_seg;
    uint32_t n = iov_to_buf(iov, iovcnt, 0, f, OFNIC_FRAME_BUF);
    uint32_t payload = n - pi->l5off, segs;
    OfnicRxMeta m = pi->meta;
    bool taken;

    /*
     * net_tx_pkt takes FIN and PSH off every piece; the last one carries
     * them as the frame did. Coalesced pieces stand for per segments each:
     * their IPv4 IDs count on by that many, as the segments' would.
     */
    sp->left -= MIN(payload, sp->left);
    if (!sp->left && (sp->flags & (TH_FIN | TH_PUSH))) {
        ofnic_tcp_set_flags(f + pi->l4off, f[pi->l4off + 13] |
                            (sp->flags & (TH_FIN | TH_PUSH)));
    }
    if (sp->per == 1) {
        /* Segments, checksummed by the split: nothing to verify. */
        taken = ofnic_rx_frame(s, f, n, true);
    } else {
        if (pi->ip4) {
            stw_be_p(f + pi->l3off + 4, sp->ip_id);
            stw_be_p(f + pi->l3off + 10, 0);
            stw_be_p(f + pi->l3off + 10,
                     net_raw_checksum(f + pi->l3off, pi->l4off - pi->l3off));
            sp->ip_id += sp->per;
        }
        segs = DIV_ROUND_UP(payload, sp->mss);
        if (segs > 1) {
            m.status |= OFNIC_RXS_LRO;
            m.lro_segs = segs;
            m.lro_mss = sp->mss;
        }
        taken = ofnic_rx_write(sp->qp, f, n, &m) != OFNIC_RXW_NO_DESC;
        if (taken) {
            ofnic_flow_hit(s, pi);
        }
    }
    /*
     * The room was checked before splitting; a ring smaller than the whole
     * frame needs takes what fits and the rest is counted as dropped.
     */
    if (!taken) {
        ofnic_rx_drop(sp->qp);
    } else {
        sp->taken++;
    }
}

static void ofnic_rx_frag_keep(void *opaque, void *base, size_t len)
{
    /* the fragment is the device's own receive buffer: nothing to unmap */
}

/* Descriptors a frame of len bytes may need at most. */
static uint32_t ofnic_rx_need(const OfnicRing *r, uint32_t len)
{
    return MAX(DIV_ROUND_UP(len, r->buf_size), 1);
}

/*
 * Whether an IPv6 datagram's extension headers (between the fixed header and
 * l4) include a routing header: the segments' pseudo-header would then need
 * the final destination, which the split does not look for.
 */
static bool ofnic_ip6_has_routing(const uint8_t *f, const OfnicRxInfo *pi)
{
    uint32_t off = pi->l3off + sizeof(struct ip6_header);
    uint8_t nh = f[pi->l3off + 6];

    while (off + 2 <= pi->l4off) {
        if (nh == IP6_ROUTING) {
            return true;
        }
        nh = f[off];
        off += (f[off + 1] + 1) * 8;
    }
    return false;
}

/*
 * A GSO frame f[0..len) with header vh (checked against the frame by the
 * caller). Returns false if it must be held for descriptors.
 */
static bool ofnic_rx_gso(OfnicState *s, uint8_t *f, uint32_t len,
                         const struct virtio_net_hdr *vh)
{
    uint8_t type = vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
    struct NetTxPkt *pkt = s->rx_gso_pkt;
    OfnicRxInfo info;
    OfnicRxSplit sp;
    OfnicQP *qp;
    uint32_t payload, nseg, max_len, need, per = 1;
    uint8_t flags;
    bool ok, lro;
    int q;

    ofnic_rx_parse(s, f, len, true, &info);
    if (!info.tcp || (type == VIRTIO_NET_HDR_GSO_TCPV4 && !info.ip4) ||
        (type == VIRTIO_NET_HDR_GSO_TCPV6 && !info.ip6)) {
        return ofnic_vnet_error(s, "gso_type does not match the frame");
    }
    q = ofnic_rx_select_queue(s, f, &info);
    if (q < 0) {
        s->stats[OFNIC_STAT_RX_FLOW_DROPS]++;
        ofnic_flow_hit(s, &info);
        return true;
    }
    qp = &s->qp[q];
    if (!ofnic_ring_ready(s, &qp->rx)) {
        ofnic_rx_drop(qp);
        ofnic_flow_hit(s, &info);
        return true;
    }
    /*
     * What no TCP stack sends as a GSO frame, and what the split cannot
     * segment correctly, is a malformed header: dropped, not delivered.
     */
    flags = f[info.l4off + 13];
    if (flags & (TH_SYN | TH_RST | TH_URG)) {
        return ofnic_vnet_error(s, "GSO frame with SYN, RST or URG");
    }
    if (info.ip4 &&
        net_raw_checksum(f + info.l3off, info.l4off - info.l3off)) {
        return ofnic_vnet_error(s, "GSO frame with a bad IPv4 checksum");
    }
    if (info.ip6 && ofnic_ip6_has_routing(f, &info)) {
        return ofnic_vnet_error(s, "GSO frame with an IPv6 routing header");
    }
    payload = info.l3end - info.l5off;
    if (!payload) {
        /* nothing to segment: net_tx_pkt would yield no frame at all */
        return ofnic_vnet_error(s, "GSO frame without payload");
    }
    nseg = DIV_ROUND_UP(payload, vh->gso_size);
    max_len = MIN(MIN(s->lro_max_len,
                      OFNIC_RX_MAX_DESC_PER_PKT * qp->rx.buf_size),
                  ETH_HLEN + OFNIC_LRO_MAX_L2_PAYLOAD);
    /*
     * What the device's own LRO would coalesce (§7: no IPv4 options; CWR
     * and FIN as TSO sets them, on the first and the last segment), and
     * what it may produce; anything else is cut into MSS segments, received
     * as ordinary frames.
     */
    lro = (s->rx_ctrl & (OFNIC_RXC_LRO | OFNIC_RXC_CSUM)) ==
          (OFNIC_RXC_LRO | OFNIC_RXC_CSUM) &&
          info.l5off + vh->gso_size <= s->max_frame &&
          (!info.ip4 || info.l4off - info.l3off == sizeof(struct ip_header));
    /* A pending coalesced frame of the queue goes first. */
    if ((qp->lro.active || qp->lro.closed) && !ofnic_lro_write(qp)) {
        return false;
    }

    /* Whole, as one coalesced frame. */
    if (lro && nseg >= 2 && nseg <= s->lro_max_segs &&
        info.l3end <= max_len) {
        OfnicRxMeta m = info.meta;

        m.status |= OFNIC_RXS_LRO;
        m.lro_segs = nseg;
        m.lro_mss = vh->gso_size;
        switch (ofnic_rx_write(qp, f, info.l3end, &m)) {
        case OFNIC_RXW_NO_DESC:
            return false;
        case OFNIC_RXW_OK:
            s->stats[OFNIC_STAT_RX_GSO]++;
            break;
        default:
            break;
        }
        ofnic_flow_hit(s, &info);
        return true;
    }

    /*
     * Split: into coalesced pieces of as many segments as the LRO limits
     * allow, else into segments (which LRO, if on, coalesces again). Every
     * piece must find its descriptors, or the frame waits whole (pieces
     * already written cannot be taken back); a segment coalesced again
     * never needs more than it would alone. A frame needing more than the
     * ring can ever offer waits for a full ring (size - 1 free) and the
     * pieces that find no buffer are dropped (RX_NO_BUF).
     */
    if (lro && max_len > info.l5off) {
        per = MIN(s->lro_max_segs, (max_len - info.l5off) / vh->gso_size);
        per = per < 2 ? 1 : per;
    }
    need = DIV_ROUND_UP(nseg, per) *
           ofnic_rx_need(&qp->rx, info.l5off + per * vh->gso_size);
    if (ofnic_ring_avail(&qp->rx) < MIN(need, qp->rx.size - 1)) {
        return false;
    }
    net_tx_pkt_add_raw_fragment(pkt, f, info.l3end);
    ok = net_tx_pkt_parse(pkt) &&
         net_tx_pkt_build_vheader(pkt, true, true, per * vh->gso_size);
    if (ok) {
        sp = (OfnicRxSplit) {
            .s = s,
            .qp = qp,
            .info = &info,
            .mss = vh->gso_size,
            .per = per,
            .left = payload,
            .ip_id = info.ip4 ? lduw_be_p(f + info.l3off + 4) : 0,
            .flags = f[info.l4off + 13],
        };
        ok = net_tx_pkt_send_custom(pkt, false, ofnic_rx_split_piece, &sp);
        if (sp.taken) {
            s->stats[OFNIC_STAT_RX_GSO]++;
            s->stats[OFNIC_STAT_RX_GSO_SPLIT]++;
        }
    }
    net_tx_pkt_reset(pkt, ofnic_rx_frag_keep, NULL);
    if (!ok) {
        return ofnic_vnet_error(s, "GSO frame net_tx_pkt cannot segment");
    }
    return true;
}

/* The end of f's IP datagram, or len if f is not IPv4 or IPv6. */
static uint32_t ofnic_ip_end(const uint8_t *f, uint32_t len)
{
    struct iovec iov = { .iov_base = (void *)f, .iov_len = len };
    uint32_t l3 = eth_get_l2_hdr_length_iov(&iov, 1, 0), end;
    uint16_t proto = be16_to_cpu(PKT_GET_ETH_HDR(f)->h_proto);

    if (l3 > ETH_HLEN) {
        proto = lduw_be_p(f + l3 - 2);  /* the innermost tag's type */
    }
    if (proto == ETH_P_IP && len >= l3 + sizeof(struct ip_header) &&
        (f[l3] >> 4) == IP_HEADER_VERSION_4) {
        end = l3 + lduw_be_p(f + l3 + 2);
    } else if (proto == ETH_P_IPV6 && len >= l3 + sizeof(struct ip6_header) &&
               (f[l3] >> 4) == IP_HEADER_VERSION_6) {
        end = l3 + sizeof(struct ip6_header) + lduw_be_p(f + l3 + 4);
    } else {
        return len;
    }
    return end >= l3 && end <= len ? end : len;
}

ssize_t ofnic_receive_iov(NetClientState *nc, const struct iovec *iov,
                          int iovcnt)
{
    OfnicState *s = qemu_get_nic_opaque(nc);
    size_t size = iov_size(iov, iovcnt), off = 0, len;
    struct virtio_net_hdr vh = { 0 };
    uint8_t *f = s->rx_frame;
    bool trusted = false;

    if (!s->vm_running) {
        return 0;       /* held; the resume flushes (ofnic_vm_state) */
    }
    if (!ofnic_dma_ok(s)) {
        return size;    /* the port is off: dropped, not counted */
    }
    if (s->vnet) {
        if (size < sizeof(vh)) {
            ofnic_vnet_error(s, "frame shorter than the header");
            return size;
        }
        iov_to_buf(iov, iovcnt, 0, &vh, sizeof(vh));
        off = sizeof(vh);
    }
    len = size - off;
    if (len < ETH_HLEN) {
        return size;
    }
    iov_to_buf(iov, iovcnt, off, f, ETH_ALEN);
    if (!ofnic_rx_accept(s, f)) {
        s->stats[OFNIC_STAT_RX_FILTERED]++;
        return size;
    }

    if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        if ((size_t)vh.csum_start + vh.csum_offset + 2 > len) {
            ofnic_vnet_error(s, "csum_start/csum_offset past the frame");
            return size;
        }
        trusted = true;
    } else if (vh.flags & VIRTIO_NET_HDR_F_DATA_VALID) {
        trusted = true;
    }
    if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
        uint8_t type = vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

        if (type != VIRTIO_NET_HDR_GSO_TCPV4 &&
            type != VIRTIO_NET_HDR_GSO_TCPV6) {
            ofnic_vnet_error(s, "gso_type not offered");
        } else if (vh.gso_size == 0) {
            ofnic_vnet_error(s, "gso_size 0");
        } else if (vh.hdr_len > len) {
            ofnic_vnet_error(s, "hdr_len past the frame");
        } else if (!trusted) {
            ofnic_vnet_error(s, "GSO frame without NEEDS_CSUM or DATA_VALID");
        } else if (len > OFNIC_FRAME_BUF) {
            ofnic_vnet_error(s, "GSO frame larger than OFNIC_FRAME_BUF");
        } else {
            iov_to_buf(iov, iovcnt, off, f, len);
            return ofnic_rx_gso(s, f, len, &vh) ? size : 0;
        }
        return size;
    }
    if (len > s->max_frame) {
        s->stats[OFNIC_STAT_RX_OVERSIZE]++;
        return size;
    }
    iov_to_buf(iov, iovcnt, off, f, len);
    if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        /*
         * The backend left the sum to us: the guest gets a whole frame. The
         * sum ends with the IP datagram, before any Ethernet padding.
         */
        uint32_t start = vh.csum_start;
        uint32_t end = ofnic_ip_end(f, len);

        if (start + vh.csum_offset + 2 > end) {
            end = len;
        }
        stw_be_p(f + start + vh.csum_offset,
                 net_checksum_finish_nozero(net_checksum_add(end - start,
                                                             f + start)));
    }
    return ofnic_rx_frame(s, f, len, trusted) ? size : 0;
}

void ofnic_rx_kick(OfnicState *s)
{
    unsigned int i;

    for (i = 0; i < s->num_qp; i++) {
        if (s->qp[i].lro.closed) {
            ofnic_lro_write(&s->qp[i]);
        }
    }
    if (ofnic_can_receive(qemu_get_queue(s->nic))) {
        for (i = 0; i < ofnic_net_queues(s); i++) {
            qemu_flush_queued_packets(qemu_get_subqueue(s->nic, i));
        }
    }
}

void ofnic_rx_init(OfnicState *s)
{
    unsigned int i;

    net_rx_pkt_init(&s->rx_pkt);
    net_tx_pkt_init(&s->rx_gso_pkt, 1);
    s->rx_frame = g_malloc(OFNIC_FRAME_BUF);
    s->rx_seg = g_malloc(OFNIC_FRAME_BUF);
    for (i = 0; i < OFNIC_MAX_QP; i++) {
        OfnicQP *qp = &s->qp[i];

        qp->lro.buf = g_malloc(OFNIC_FRAME_BUF);
        qp->lro.timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, ofnic_lro_timer_cb,
                                     qp);
    }
}

void ofnic_rx_uninit(OfnicState *s)
{
    unsigned int i;

    for (i = 0; i < OFNIC_MAX_QP; i++) {
        OfnicQP *qp = &s->qp[i];

        timer_free(qp->lro.timer);
        qp->lro.timer = NULL;
        g_free(qp->lro.buf);
        qp->lro.buf = NULL;
    }
    g_free(s->rx_frame);
    g_free(s->rx_seg);
    net_rx_pkt_uninit(s->rx_pkt);
    net_tx_pkt_uninit(s->rx_gso_pkt);
}
