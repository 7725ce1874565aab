/*
 * ofdma "hostile" mode: the device lies in its completion records and
 * interrupts, so that a driver can be tested against a device it must not
 * trust.
 *
 * With the property hostile-rate=R (lies per 1000 records), each completion
 * record the device writes is, with that chance, given one lie that fits the
 * record's format but not the truth: a count ahead of what was done (perhaps
 * past what was issued) or behind what was reported before, a last slot that
 * is not the last one done, a halt with a random error and failed slot on a
 * channel that runs on, a status word of random bits, the interrupt the
 * descriptor asked for left out, or one no descriptor asked for. Only what
 * the record and the interrupt say changes: the copies, the registers and
 * the device's own state stay true. hostile-seed makes a run repeatable
 * (each channel draws from its own generator, seeded with seed + channel);
 * after hostile-lies lies (0: never) the device is honest again, so that a
 * test can check that the driver recovers.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/atomic.h"

#include "ofdma_hw.h"
#include "ofdma_hostile.h"

enum ofdma_lie {
    OFDMA_LIE_AHEAD,        /* completed + 1..64 */
    OFDMA_LIE_BEHIND,       /* completed - 1..64 (not below 0) */
    OFDMA_LIE_LAST_DESC,    /* a random last slot */
    OFDMA_LIE_FALSE_HALT,   /* HALTED, random error and failed slot */
    OFDMA_LIE_STATUS,       /* a random status word */
    OFDMA_LIE_NO_IRQ,
    OFDMA_LIE_SPURIOUS_IRQ,
    OFDMA_LIE_COUNT
};

OfdmaIrqLie ofdma_hostile_record(OfdmaHostile *h, GRand *r, OfdmaRecord *rec)
{
    uint32_t back;

    if (!h->rate || g_rand_int_range(r, 0, 1000) >= h->rate) {
        return OFDMA_IRQ_HONEST;
    }
    if (h->lies && qatomic_fetch_inc(&h->told) >= h->lies) {
        qatomic_set(&h->told, h->lies);
        return OFDMA_IRQ_HONEST;
    }
    switch (g_rand_int_range(r, 0, OFDMA_LIE_COUNT)) {
    case OFDMA_LIE_AHEAD:
        rec->completed += g_rand_int_range(r, 1, 65);
        break;
    case OFDMA_LIE_BEHIND:
        back = g_rand_int_range(r, 1, 65);
        rec->completed -= MIN(rec->completed, back);
        break;
    case OFDMA_LIE_LAST_DESC:
        rec->last_desc = g_rand_int(r);
        break;
    case OFDMA_LIE_FALSE_HALT:
        rec->status = OFDMA_CS_HALTED |
                      g_rand_int_range(r, 0, 256) << OFDMA_CS_ERR_SHIFT;
        rec->err_desc = g_rand_int(r);
        break;
    case OFDMA_LIE_STATUS:
        rec->status = g_rand_int(r);
        break;
    case OFDMA_LIE_NO_IRQ:
        return OFDMA_IRQ_DROP;
    case OFDMA_LIE_SPURIOUS_IRQ:
        return OFDMA_IRQ_SPURIOUS;
    }
    return OFDMA_IRQ_HONEST;
}
