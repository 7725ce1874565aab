/*
 * ofdma "hostile" mode: completion records and interrupts that lie
 * (ofdma_hostile.c).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef OFDMA_HOSTILE_H
#define OFDMA_HOSTILE_H

/* The properties, and the lies told so far (all channels). */
typedef struct OfdmaHostile {
    uint32_t seed;
    uint32_t rate;          /* lies per 1000 records, 0..1000 */
    uint32_t lies;          /* then honest again; 0: never */
    uint32_t told;          /* atomic: workers of several channels lie */
} OfdmaHostile;

/* A completion record as the device is about to write it (host order). */
typedef struct OfdmaRecord {
    uint64_t completed;
    uint32_t last_desc;
    uint32_t status;
    uint32_t err_desc;
} OfdmaRecord;

typedef enum OfdmaIrqLie {
    OFDMA_IRQ_HONEST,
    OFDMA_IRQ_DROP,         /* the interrupt this record asked for is not sent */
    OFDMA_IRQ_SPURIOUS,     /* an interrupt no descriptor asked for is sent */
} OfdmaIrqLie;

/*
 * Called for every record the channel writes (its lock held; r is the
 * channel's own generator): perhaps changes *rec, and says what to do with
 * the record's interrupt.
 */
OfdmaIrqLie ofdma_hostile_record(OfdmaHostile *h, GRand *r, OfdmaRecord *rec);

#endif
