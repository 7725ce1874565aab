/*
 * ofnic "hostile" mode: the device lies in its RX write-backs, so that a
 * driver can be tested against a device it must not trust.
 *
 * With the property hostile-rate=R (lies per 1000 frames), each frame the
 * device writes back is, with that chance, given one value that fits the
 * descriptor format but is wrong: a length past the buffer or short of a
 * MAC header, a zero length, split headers that cannot hold a MAC header,
 * LRO counts and MSS that do not add up, a random packet type, hash type or
 * L3 offset, a missing EOP; or the frame's interrupt lies: it is left out
 * (the frame is not counted for moderation, so no message may follow), or
 * another queue pair's vector fires with nothing new on its rings. Only
 * write-backs and messages change: the data the device DMAs, its own state
 * and its bounds checks stay as they are.
 * hostile-seed makes a run repeatable; after hostile-lies lies (0: never)
 * the device is honest again, so a test can check that the driver
 * recovers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "net/eth.h"

#include "ofnic_int.h"

enum ofnic_lie {
    OFNIC_LIE_LEN_LONG,     /* len past the buffer */
    OFNIC_LIE_LEN_RUNT,     /* first len 1..13 */
    OFNIC_LIE_LEN_ZERO,     /* len 0 */
    OFNIC_LIE_HDS_SHORT,    /* HDS claimed with hdr_len 1..13 */
    OFNIC_LIE_LRO,          /* LRO claimed, random segs and mss */
    OFNIC_LIE_PTYPE,        /* random ptype */
    OFNIC_LIE_RSS_TYPE,     /* random hash type, RSS claimed */
    OFNIC_LIE_L3_OFF,       /* random L3 offset */
    OFNIC_LIE_NO_EOP,       /* the frame's last buffer without EOP */
    OFNIC_LIE_NO_IRQ,       /* the frame raises no interrupt */
    OFNIC_LIE_SPURIOUS_IRQ, /* a random pair's vector fires for nothing */
    OFNIC_LIE_COUNT
};

void ofnic_hostile_init(OfnicState *s)
{
    s->hostile_rand = g_rand_new_with_seed(s->hostile_seed);
    s->hostile_told = 0;
}

void ofnic_hostile_uninit(OfnicState *s)
{
    g_rand_free(s->hostile_rand);
    s->hostile_rand = NULL;
}

/*
 * Decide once per frame (before its first descriptor is written) whether it
 * gets a lie, and which. Returns the lie, or -1 for an honest frame.
 */
int ofnic_hostile_pick(OfnicState *s)
{
    if (!s->hostile_rate ||
        (s->hostile_lies && s->hostile_told >= s->hostile_lies)) {
        return -1;
    }
    if (g_rand_int_range(s->hostile_rand, 0, 1000) >= s->hostile_rate) {
        return -1;
    }
    s->hostile_told++;
    return g_rand_int_range(s->hostile_rand, 0, OFNIC_LIE_COUNT);
}

/*
 * Apply lie to descriptor n of need of a frame: wb (as it will be written)
 * and, for the first descriptor, *status (written last).
 */
void ofnic_hostile_apply(OfnicState *s, int lie, uint32_t n, uint32_t need,
                         uint32_t buf_size, struct ofnic_rx_wb *wb,
                         uint32_t *status)
{
    GRand *r = s->hostile_rand;
    bool first = n == 0, last = n == need - 1;

    switch (lie) {
    case OFNIC_LIE_LEN_LONG:
        if (first) {
            wb->len = cpu_to_le16(g_rand_int_range(r, buf_size + 1, 0x10000));
        }
        break;
    case OFNIC_LIE_LEN_RUNT:
        if (first) {
            wb->len = cpu_to_le16(g_rand_int_range(r, 1, ETH_HLEN));
        }
        break;
    case OFNIC_LIE_LEN_ZERO:
        if (last) {
            wb->len = 0;
        }
        break;
    case OFNIC_LIE_HDS_SHORT:
        if (first) {
            wb->hdr_len = cpu_to_le16(g_rand_int_range(r, 1, ETH_HLEN));
            *status |= OFNIC_RXS_HDS;
        }
        break;
    case OFNIC_LIE_LRO:
        if (first) {
            wb->lro_segs = cpu_to_le16(g_rand_int_range(r, 0, 0x10000));
            wb->lro_mss = cpu_to_le16(g_rand_int_range(r, 0, 0x10000));
            *status |= OFNIC_RXS_LRO | OFNIC_RXS_L4_OK;
        }
        break;
    case OFNIC_LIE_PTYPE:
        if (first) {
            wb->ptype = g_rand_int_range(r, 0, 0x100);
        }
        break;
    case OFNIC_LIE_RSS_TYPE:
        if (first) {
            wb->rss_type = g_rand_int_range(r, 0, 0x100);
            *status |= OFNIC_RXS_RSS;
        }
        break;
    case OFNIC_LIE_L3_OFF:
        if (first) {
            wb->l3_off = g_rand_int_range(r, 0, 0x100);
        }
        break;
    case OFNIC_LIE_NO_EOP:
        if (last) {
            if (first) {
                *status &= ~OFNIC_RXS_EOP;
            } else {
                wb->status &= ~cpu_to_le32(OFNIC_RXS_EOP);
            }
        }
        break;
    }
}

/*
 * The frame's interrupt, once it is written back: true if the device should
 * count the frame for moderation as usual. A spurious message goes to a
 * random queue pair now.
 */
bool ofnic_hostile_irq(OfnicState *s, int lie)
{
    if (lie == OFNIC_LIE_SPURIOUS_IRQ) {
        ofnic_qp_spurious(&s->qp[g_rand_int_range(s->hostile_rand, 0,
                                                  s->num_qp)]);
    }
    return lie != OFNIC_LIE_NO_IRQ;
}
