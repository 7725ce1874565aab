/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ofcopy.ko: TCP receive copy offload (a TCP ULP) that copies received payload
 * into the reader's buffer with a dmaengine DMA_MEMCPY channel (ofdma).
 */
#ifndef OFCOPY_H
#define OFCOPY_H

#include <linux/types.h>

/* Counters; ofcopy_counter_names[] holds their stable debugfs names. */
enum ofcopy_counter {
	OFCOPY_RECV_CALLS,	/* recvmsg calls on ofcopy sockets */
	OFCOPY_DMA_CALLS,	/* ... that took the DMA path */
	OFCOPY_BYTES_DMA,	/* bytes copied by the engine */
	OFCOPY_BYTES_CPU,	/* bytes the CPU copied on the DMA path (small batches, errors) */
	OFCOPY_BYTES_BASE,	/* bytes returned by the plain tcp_recvmsg fallback */
	OFCOPY_BATCHES,		/* batches copied by the engine */
	OFCOPY_DESCS,		/* descriptors submitted */
	OFCOPY_PAGES_PINNED,	/* user pages pinned */
	OFCOPY_PIN_NS,		/* time spent pinning */
	OFCOPY_UNPIN_NS,	/* time spent unpinning (and dirtying) */
	OFCOPY_MAP_NS,		/* time spent mapping, building and submitting */
	OFCOPY_WAIT_NS,		/* time spent waiting for completions */
	OFCOPY_FB_FLAGS,	/* fallback: MSG_PEEK/OOB/TRUNC/ERRQUEUE */
	OFCOPY_FB_SHORT,	/* fallback: read shorter than copybreak */
	OFCOPY_FB_ITER,		/* fallback: not a user-memory buffer */
	OFCOPY_FB_NO_CHANNEL,	/* fallback: no DMA channel */
	OFCOPY_FB_OTHER,	/* fallback: urgent data, timestamps, TCP_INQ, repair */
	OFCOPY_FB_SMALL,	/* batch below copybreak copied by the CPU */
	OFCOPY_FB_PIN,		/* pinning failed */
	OFCOPY_FB_MAP,		/* DMA mapping failed */
	OFCOPY_FB_PREP,		/* descriptor refused (ring full): piece by CPU */
	OFCOPY_FB_DMA_ERROR,	/* the engine reported an error: batch by CPU */
	OFCOPY_FB_TIMEOUT,	/* the engine did not finish in time: batch by CPU */
	OFCOPY_FB_DISABLED,	/* fallback: the offload is disabled */
	OFCOPY_NR_COUNTERS
};

extern const char * const ofcopy_counter_names[OFCOPY_NR_COUNTERS];

/* Fills vals[OFCOPY_NR_COUNTERS]; the one reader of the counters. */
void ofcopy_read_stats(u64 *vals);

/* Largest copybreak (the ofcopy family's policy and the module parameter). */
#define OFCOPY_COPYBREAK_MAX	(16u << 20)
/*
 * Bounds of timeout_ms, the longest a reader waits for the engine with the
 * socket locked before it resets the channel (policy and module parameter).
 */
#define OFCOPY_TIMEOUT_MIN_MS	1
#define OFCOPY_TIMEOUT_MAX_MS	10000

/*
 * The configuration, read locklessly by recvmsg (READ_ONCE) and written with
 * WRITE_ONCE by the netlink family and the copybreak module parameter.
 */
extern bool ofcopy_enabled;
extern unsigned int ofcopy_copybreak;
extern unsigned int ofcopy_timeout_ms;
/* DMA channels held (fixed between module init and exit). */
unsigned int ofcopy_channels(void);

int ofcopy_genl_init(void);
void ofcopy_genl_exit(void);

#endif /* OFCOPY_H */
