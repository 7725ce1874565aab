/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * ofnic hardware interface: PCI identity, BAR0 register map, descriptor formats.
 *
 * This header is the single source of truth for the interface between the ofnic
 * device model (QEMU, qemu/hw/ofnic.c) and its driver (kmod/ofnic). The datasheet
 * docs/hw-spec.md explains every item here. Everything is little endian.
 */
#ifndef OFNIC_HW_H
#define OFNIC_HW_H

#include <linux/types.h>

/* ---- PCI identity ------------------------------------------------------ */
#define OFNIC_PCI_VENDOR_ID	0x1234
#define OFNIC_PCI_DEVICE_ID	0x0f1c
#define OFNIC_PCI_REVISION	0x01
#define OFNIC_BAR_REGS		0	/* 64-bit memory BAR, OFNIC_BAR_REGS_SIZE */
#define OFNIC_BAR_MSIX		2	/* 32-bit memory BAR: MSI-X table + PBA */
#define OFNIC_BAR_REGS_SIZE	0x10000

/* ---- Limits -------------------------------------------------------------- */
#define OFNIC_MAX_QP		16	/* queue pairs */
#define OFNIC_RING_MIN		64	/* descriptors, power of two */
#define OFNIC_RING_MAX		4096
#define OFNIC_RING_ALIGN	128	/* ring base alignment, bytes */
#define OFNIC_TX_MAX_DESC_PER_PKT 32	/* descriptors in one TX packet */
#define OFNIC_TX_MAX_BUF	65535	/* bytes in one TX descriptor */
#define OFNIC_TX_MAX_PKT	65535	/* bytes of a non-TSO frame, and of a TSO request */
#define OFNIC_RX_BUF_MIN	256
#define OFNIC_RX_BUF_MAX	16384
#define OFNIC_RX_MAX_DESC_PER_PKT 32	/* descriptors one received frame may span */
#define OFNIC_RSS_KEY_LEN	40
#define OFNIC_RSS_RETA_SIZE	128
#define OFNIC_TSO_MAX_SEGS	64	/* segments one TSO request may produce */
#define OFNIC_LRO_MAX_SEGS	64	/* segments one coalesced frame may hold */
#define OFNIC_HDR_BUF_MIN	64	/* Q_HDR_SIZE range when HDS is used */
#define OFNIC_HDR_BUF_MAX	1024
#define OFNIC_RSS_CTX_MAX	8	/* RSS contexts, context 0 included */
#define OFNIC_FLOW_ENTRIES	128	/* flow table entries */

/*
 * MSI-X: vector 0 is the admin vector (link change, errors); vector 1 + q
 * serves both rings of queue pair q. OFNIC_MSIX_VECTORS vectors are implemented.
 *
 * Every vector auto-masks: after sending its message the device sets it
 * disarmed and only records further events as pending. Writing 1 to the
 * vector's ARM register (OFNIC_REG_ADMIN_ARM, OFNIC_QP_INT_ARM) re-arms it; if
 * an event is pending the message is sent at once. After reset every vector is
 * armed with nothing pending. A queue pair's event is: a TX packet completed
 * (DD written) or an RX frame written back. An admin event is a cause bit set
 * in INT_CAUSE that is also set in INT_MASK.
 */
#define OFNIC_MSIX_ADMIN	0
#define OFNIC_MSIX_QP(q)	(1 + (q))
#define OFNIC_MSIX_VECTORS	(1 + OFNIC_MAX_QP)

/* ---- Global registers (BAR0), 32-bit accesses only ------------------------ */
#define OFNIC_REG_ID		0x0000	/* RO: OFNIC_ID_MAGIC */
#define OFNIC_ID_MAGIC		0x4f464e43	/* "OFNC" */
#define OFNIC_REG_VERSION	0x0004	/* RO: major << 16 | minor */
#define OFNIC_VERSION		0x00010000
#define OFNIC_REG_FEATURES	0x0008	/* RO: OFNIC_F_* the device implements */
#define OFNIC_REG_MAX_QP	0x000c	/* RO: queue pairs implemented (1..16) */
#define OFNIC_REG_CTRL		0x0010	/* RW: OFNIC_CTRL_* */
#define OFNIC_REG_STATUS	0x0014	/* RO: OFNIC_STATUS_* */
#define OFNIC_REG_MAC_LO	0x0018	/* RW: MAC bytes 0..3 (byte 0 in bits 7:0) */
#define OFNIC_REG_MAC_HI	0x001c	/* RW: MAC bytes 4..5 in bits 15:0 */
#define OFNIC_REG_MAX_FRAME	0x0020	/* RW: longest frame accepted, no FCS */
#define OFNIC_REG_RX_CTRL	0x0024	/* RW: OFNIC_RXC_* */
#define OFNIC_REG_INT_CAUSE	0x0028	/* RW1C: OFNIC_INT_* admin causes */
#define OFNIC_REG_INT_MASK	0x002c	/* RW: 1 = cause raises the admin vector */
#define OFNIC_REG_ADMIN_ARM	0x0030	/* WO: 1 = re-arm the admin vector */
#define OFNIC_REG_ERR_COUNT	0x0034	/* RO: guest errors detected since reset */
#define OFNIC_REG_ERR_LAST	0x0038	/* RO: last error, OFNIC_ERR_* | queue << 16 | dir << 24 */
#define OFNIC_REG_RSS_HASH_TYPES 0x003c	/* RW: OFNIC_RSS_HT_*: which frames get a hash */
#define OFNIC_REG_LRO_MAX_LEN	0x0040	/* RW: largest coalesced frame, bytes incl. L2, 1514..65549 (default 65535) */
#define OFNIC_REG_LRO_MAX_SEGS	0x0044	/* RW: segments per coalesced frame, 2..64 (default 64) */
#define OFNIC_REG_LRO_TIMEOUT	0x0048	/* RW: usecs a coalesced frame waits for more, 1..10000 (default 50) */
#define OFNIC_REG_FLOW_ENTRIES	0x004c	/* RO: flow table entries implemented (OFNIC_F_FLOW) */
#define OFNIC_REG_RSS_CONTEXTS	0x0050	/* RO: RSS contexts implemented, context 0 included */
#define OFNIC_REG_RSS_KEY	0x0100	/* RW: 10 words, key byte i at word i/4 bits 8*(i%4) */
#define OFNIC_REG_RSS_RETA	0x0200	/* RW: 32 words, entry i at word i/4 bits 8*(i%4) */

/* Device-wide 64-bit counters: LO word at off, HI at off + 4. RO, reset on reset. */
#define OFNIC_REG_STAT_BASE	0x0400
#define OFNIC_STAT_TX_PKTS	0	/* frames sent on the wire */
#define OFNIC_STAT_TX_BYTES	1
#define OFNIC_STAT_RX_PKTS	2	/* frames written to an RX ring */
#define OFNIC_STAT_RX_BYTES	3
#define OFNIC_STAT_RX_NO_BUF	4	/* frames dropped: ring had no buffer */
#define OFNIC_STAT_RX_FILTERED	5	/* frames not addressed to us */
#define OFNIC_STAT_RX_OVERSIZE	6	/* frames longer than MAX_FRAME */
#define OFNIC_STAT_TX_ERRORS	7	/* TX queue errors (malformed descriptor, DMA) */
#define OFNIC_STAT_RX_ERRORS	8	/* RX queue errors */
#define OFNIC_STAT_DOORBELL_ERRORS 9	/* tail written out of range */
#define OFNIC_STAT_TX_CSUM	10	/* frames the device checksummed (TXD_CSUM) */
#define OFNIC_STAT_TSO_PKTS	11	/* TSO requests segmented */
#define OFNIC_STAT_TSO_SEGS	12	/* segments they produced */
#define OFNIC_STAT_TX_OFFLOAD_ERRORS 13	/* malformed offload requests (TXS_ERR) */
#define OFNIC_STAT_RX_CSUM_GOOD	14	/* frames with a verified L4 checksum */
#define OFNIC_STAT_RX_CSUM_BAD	15	/* frames with a bad L3 or L4 checksum */
#define OFNIC_STAT_LRO_FRAMES	16	/* coalesced frames written (RXS_LRO) */
#define OFNIC_STAT_LRO_SEGS	17	/* segments merged into them */
#define OFNIC_STAT_HDS_FRAMES	18	/* frames written split (RXS_HDS) */
#define OFNIC_STAT_TX_GSO	19	/* TSO requests handed to the backend whole (vnet header) */
#define OFNIC_STAT_RX_GSO	20	/* GSO frames the backend handed in (vnet header) */
#define OFNIC_STAT_RX_GSO_SPLIT	21	/* of those, segmented by the device */
#define OFNIC_STAT_VNET_HDR_ERRORS 22	/* frames dropped: malformed vnet header from the backend */
#define OFNIC_STAT_RX_FLOW_DROPS 23	/* frames dropped by a flow table entry (OFNIC_FLA_DROP) */
#define OFNIC_NUM_STATS		24
#define OFNIC_REG_STAT(i)	(OFNIC_REG_STAT_BASE + 8 * (i))

/* OFNIC_REG_FEATURES bits */
#define OFNIC_F_TX_CSUM		(1u << 0)	/* CHECKSUM_PARTIAL start/offset */
#define OFNIC_F_RX_CSUM		(1u << 1)
#define OFNIC_F_TSO		(1u << 2)
#define OFNIC_F_LRO		(1u << 3)
#define OFNIC_F_HDS		(1u << 4)
#define OFNIC_F_RSS		(1u << 5)
#define OFNIC_F_ITR		(1u << 6)	/* interrupt moderation registers */
#define OFNIC_F_FLOW		(1u << 7)	/* flow table and RSS contexts 1.. */

/* OFNIC_REG_CTRL bits */
#define OFNIC_CTRL_ENABLE	(1u << 0)	/* device processes enabled queues */
#define OFNIC_CTRL_RESET	(1u << 1)	/* write 1: full reset; reads 0 */

/* OFNIC_REG_STATUS bits */
#define OFNIC_STATUS_LINK_UP	(1u << 0)
#define OFNIC_STATUS_ENABLED	(1u << 1)
#define OFNIC_STATUS_QERR	(1u << 2)	/* some queue is halted with an error */

/* OFNIC_REG_RX_CTRL bits */
#define OFNIC_RXC_PROMISC	(1u << 0)	/* accept every destination MAC */
/* bit 1 reserved: there is no multicast filter, all multicast is accepted */
#define OFNIC_RXC_CSUM		(1u << 2)	/* validate checksums (OFNIC_F_RX_CSUM) */
#define OFNIC_RXC_LRO		(1u << 3)	/* coalesce TCP (OFNIC_F_LRO) */
#define OFNIC_RXC_HDS		(1u << 4)	/* header-data split (OFNIC_F_HDS) */
#define OFNIC_RXC_RSS		(1u << 5)	/* spread over queues (OFNIC_F_RSS) */
#define OFNIC_RXC_FLOW		(1u << 6)	/* consult the flow table (OFNIC_F_FLOW) */

/* Admin interrupt causes (INT_CAUSE / INT_MASK) */
#define OFNIC_INT_LINK		(1u << 0)	/* link state changed */
#define OFNIC_INT_QERR		(1u << 1)	/* a queue halted with an error */

/* ---- RSS contexts (OFNIC_F_FLOW) ----------------------------------------- */
/*
 * Context c (0..RSS_CONTEXTS-1) has a 512-byte block at OFNIC_REG_RSS_CTX(c):
 * its own Toeplitz key, hash types and indirection table, in the layout of
 * the context 0 registers above. Context 0's block aliases RSS_KEY,
 * RSS_HASH_TYPES and RSS_RETA. Contexts 1.. are used only by flow table
 * entries whose action is OFNIC_FLA_CONTEXT; all reset to zero.
 */
#define OFNIC_REG_RSS_CTX(c)	(0x2000 + 0x200 * (c))
#define OFNIC_RSSC_KEY		0x000	/* RW: 10 words, as OFNIC_REG_RSS_KEY */
#define OFNIC_RSSC_HASH_TYPES	0x040	/* RW: OFNIC_RSS_HT_* */
#define OFNIC_RSSC_RETA		0x100	/* RW: 32 words, as OFNIC_REG_RSS_RETA */

/* ---- Flow table (OFNIC_F_FLOW) -------------------------------------------- */
/*
 * With RX_CTRL.FLOW, every frame that passed the MAC filter and has a sane
 * IPv4 or IPv6 header is looked up in the flow table before RSS: entries are
 * tried from 0 up and the first valid entry that matches decides the frame's
 * fate (so a lower index wins). A frame no entry matches is spread by context
 * 0 as without the table.
 *
 * An entry matches when the frame is of its type (TCP and UDP types: an
 * unfragmented TCP or UDP datagram; IP types: any), (address & mask) equals
 * (entry address & mask) for source and destination (IPv4: word 0 only),
 * (port & mask) likewise for TCP/UDP types, and for IP types (protocol &
 * PROTO_MASK) equals (PROTO & PROTO_MASK); the protocol of an IPv6 frame is
 * the next header after its extension headers (so a fragment's is its
 * datagram's, as an IPv4 fragment's protocol field is). Address
 * bytes are in network order, byte i at bits 8*(i%4) of word i/4 (as MAC_LO);
 * ports are numbers.
 *
 * Actions: QUEUE sends the frame to RX queue ARG.QUEUE (queue 0 if that is
 * not below MAX_QP); CONTEXT hashes it with the key and hash types of
 * context c = ARG.CONTEXT (context 0 if c is not below RSS_CONTEXTS) and
 * sends it to RETA_c[hash & 127] + ARG.QUEUE (queue 0 if that is not below
 * MAX_QP; with no hash, RETA_c[0] + ARG.QUEUE), reporting that hash (none,
 * RXS_RSS clear, if c hashes no such frame); DROP drops it
 * (STAT_RX_FLOW_DROPS). Frames sent by QUEUE carry context 0's hash. HITS
 * counts the frames the entry decided since CTRL was last written: each
 * frame from the wire once (held for descriptors or not, coalesced by LRO or
 * not, dropped for want of an enabled ring or not); a GSO frame from a vnet
 * backend counts as the frames it is written as. CTRL and ARG keep their
 * reserved bits as written; set them to 0.
 *
 * The device reads an entry whenever a frame arrives: clear VALID, change
 * the entry, then write CTRL with VALID.
 */
#define OFNIC_REG_FLOW(i)	(0x4000 + 0x80 * (i))
#define OFNIC_FLOW_CTRL		0x00	/* RW: OFNIC_FLC_*; a write clears HITS */
#define OFNIC_FLOW_ARG		0x04	/* RW: queue in 15:0, context in 23:16 */
#define OFNIC_FLOW_SRC		0x10	/* RW: 4 words, source address */
#define OFNIC_FLOW_SRC_MASK	0x20	/* RW: 4 words */
#define OFNIC_FLOW_DST		0x30	/* RW: 4 words, destination address */
#define OFNIC_FLOW_DST_MASK	0x40	/* RW: 4 words */
#define OFNIC_FLOW_PORTS	0x50	/* RW: source port 15:0, destination port 31:16 */
#define OFNIC_FLOW_PORT_MASK	0x54	/* RW: same layout */
#define OFNIC_FLOW_HITS_LO	0x58	/* RO: frames the entry decided */
#define OFNIC_FLOW_HITS_HI	0x5c	/* RO */

/* OFNIC_FLOW_CTRL */
#define OFNIC_FLC_VALID		(1u << 0)
#define OFNIC_FLC_TYPE_SHIFT	4	/* bits 7:4: OFNIC_FLT_* */
#define OFNIC_FLC_TYPE_MASK	(0xfu << 4)
#define OFNIC_FLC_ACTION_SHIFT	8	/* bits 9:8: OFNIC_FLA_* */
#define OFNIC_FLC_ACTION_MASK	(0x3u << 8)
#define OFNIC_FLC_PROTO_SHIFT	16	/* bits 23:16: IP protocol (IP types) */
#define OFNIC_FLC_PROTO_MASK_SHIFT 24	/* bits 31:24: its mask */

/* Entry types; any other value never matches (the device decodes them by
 * order: IPv4 then IPv6, each TCP, UDP, any) */
#define OFNIC_FLT_TCP4		1
#define OFNIC_FLT_UDP4		2
#define OFNIC_FLT_IP4		3
#define OFNIC_FLT_TCP6		4
#define OFNIC_FLT_UDP6		5
#define OFNIC_FLT_IP6		6

/* Entry actions; 3 drops, as OFNIC_FLA_DROP */
#define OFNIC_FLA_QUEUE		0
#define OFNIC_FLA_CONTEXT	1
#define OFNIC_FLA_DROP		2

#define OFNIC_FLOW_ARG_QUEUE_MASK	0xffffu
#define OFNIC_FLOW_ARG_CTX_SHIFT	16
#define OFNIC_FLOW_ARG_CTX_MASK		(0xffu << 16)

/* ---- Per-queue registers ------------------------------------------------- */
/*
 * Queue pair q has a 256-byte block at OFNIC_REG_QP(q): the TX ring registers at
 * +0x00, the RX ring registers at +0x40 (same layout), the pair's interrupt
 * registers at +0x80.
 */
#define OFNIC_REG_QP(q)		(0x1000 + 0x100 * (q))
#define OFNIC_QP_TX		0x00
#define OFNIC_QP_RX		0x40
#define OFNIC_Q_BASE_LO		0x00	/* RW: ring base, OFNIC_RING_ALIGN aligned */
#define OFNIC_Q_BASE_HI		0x04	/* RW */
#define OFNIC_Q_SIZE		0x08	/* RW: descriptors, power of two, MIN..MAX */
#define OFNIC_Q_CTRL		0x0c	/* RW: OFNIC_QC_* */
#define OFNIC_Q_HEAD		0x10	/* RO: next descriptor the device will use */
#define OFNIC_Q_TAIL		0x14	/* RW: doorbell, first descriptor the driver owns */
#define OFNIC_Q_STATUS		0x18	/* RO: OFNIC_QS_*, error code in 15:8 */
#define OFNIC_Q_BUF_SIZE	0x1c	/* RX: data buffer bytes (RX_BUF_MIN..MAX) */
#define OFNIC_Q_HDR_SIZE	0x20	/* RX: header buffer bytes (HDS), 0 or 64..1024 */
#define OFNIC_Q_ERRORS		0x24	/* RO: errors this ring had since reset */
#define OFNIC_Q_DROPS		0x28	/* RO: RX frames dropped, no buffer */
#define OFNIC_QP_INT_ARM	0x80	/* WO: 1 = re-arm the pair's vector */
/*
 * Interrupt moderation (OFNIC_F_ITR), per direction: usecs in 15:0, frames in
 * 31:16. An event of that direction becomes a message once `frames` events
 * are pending or `usecs` have passed since the first pending one, whichever
 * comes first; 0/0 (the reset value) or frames = 1 means at once. The vector
 * must also be armed (see MSI-X above).
 */
#define OFNIC_QP_ITR_RX		0x84	/* RW: RX event moderation */
#define OFNIC_QP_ITR_TX		0x88	/* RW: TX event moderation */
#define OFNIC_ITR_USECS_MASK	0xffffu
#define OFNIC_ITR_FRAMES_SHIFT	16

/* OFNIC_Q_CTRL bits */
#define OFNIC_QC_ENABLE		(1u << 0)
#define OFNIC_QC_RESET		(1u << 1)	/* write 1: head = tail = 0, error cleared */

/* OFNIC_Q_STATUS bits */
#define OFNIC_QS_ENABLED	(1u << 0)
#define OFNIC_QS_ERROR		(1u << 1)	/* halted; reset the ring to recover */
#define OFNIC_QS_ERR_SHIFT	8
#define OFNIC_QS_ERR_MASK	(0xffu << 8)

/* Error codes (Q_STATUS 15:8 and ERR_LAST 7:0) */
#define OFNIC_ERR_NONE		0
#define OFNIC_ERR_RING_CONFIG	1	/* bad base alignment or size at enable */
#define OFNIC_ERR_TAIL		2	/* tail written >= ring size */
#define OFNIC_ERR_DESC_DMA	3	/* descriptor address not readable/writable */
#define OFNIC_ERR_BUF_DMA	4	/* buffer address not readable/writable */
#define OFNIC_ERR_BUF_LEN	5	/* zero or over-long buffer length */
#define OFNIC_ERR_PKT_LEN	6	/* packet too long or too many descriptors */
#define OFNIC_ERR_OFFLOAD	7	/* malformed offload request */

/* ERR_LAST: direction */
#define OFNIC_ERR_DIR_TX	0
#define OFNIC_ERR_DIR_RX	1

/* ---- Descriptors (32 bytes each) ----------------------------------------- */
#define OFNIC_DESC_SIZE		32

/*
 * TX descriptor. A packet is one or more consecutive descriptors; the last has
 * OFNIC_TXD_EOP. Offload fields are read from the packet's first descriptor.
 * OFNIC_TXD_CSUM: the device sums (16-bit ones' complement) the bytes from
 * csum_start to the end of the frame and stores the folded complement at
 * csum_start + csum_offset (0 is stored as 0xffff), as CHECKSUM_PARTIAL
 * means. OFNIC_TXD_TSO: a TCP/IPv4 or TCP/IPv6 frame of up to
 * OFNIC_TX_MAX_PKT bytes whose hdr_len bytes of L2+L3+L4 headers are followed
 * by payload; the device sends segments of at most mss payload bytes, each
 * with the headers copied, IPv4 total length, ID (+1 per segment) and header
 * checksum, IPv6 payload length, TCP sequence number and full TCP checksum
 * fixed, FIN and PSH only on the last segment, CWR only on the first. csum
 * fields are ignored for TSO. A malformed request (csum_start/offset past the
 * frame, mss 0, hdr_len not the parsed headers or past the frame, not TCP,
 * more than OFNIC_TSO_MAX_SEGS segments) is not sent: TXS_ERR, counted in
 * OFNIC_STAT_TX_OFFLOAD_ERRORS; the ring keeps running.
 * When the whole packet has been sent the device writes .status of the EOP
 * descriptor with OFNIC_TXS_DD (and nothing else of the ring). A packet whose
 * EOP descriptor is not yet before the tail waits for further doorbells; the
 * head moves past a packet only when all of it is consumed.
 */
struct ofnic_tx_desc {
	__le64 addr;		/* buffer bus address */
	__le16 len;		/* buffer bytes, 1..OFNIC_TX_MAX_BUF */
	__le16 flags;		/* OFNIC_TXD_* */
	__le16 csum_start;	/* OFNIC_TXD_CSUM: bytes from frame start */
	__le16 csum_offset;	/* OFNIC_TXD_CSUM: store offset from csum_start */
	__le16 mss;		/* OFNIC_TXD_TSO: TCP payload bytes per segment */
	__le16 hdr_len;		/* OFNIC_TXD_TSO: L2+L3+L4 header bytes */
	__le16 rsvd0;
	__le16 status;		/* written by the device: OFNIC_TXS_* */
	__le32 rsvd1[2];
};

#define OFNIC_TXD_EOP		(1u << 0)	/* last descriptor of the packet */
#define OFNIC_TXD_CSUM		(1u << 1)	/* insert 16-bit ones' complement sum */
#define OFNIC_TXD_TSO		(1u << 2)	/* segment TCP at .mss */

#define OFNIC_TXS_DD		(1u << 0)	/* descriptor done */
#define OFNIC_TXS_ERR		(1u << 1)	/* packet dropped: malformed offload */

/*
 * RX descriptor, driver format: buffers the device may fill. The driver sets
 * .status to 0 when posting. .hdr_addr is used only with header-data split
 * (RX_CTRL.HDS and the ring's Q_HDR_SIZE != 0): a TCP or UDP frame over IPv4
 * or IPv6 whose L2+L3+L4 headers fit Q_HDR_SIZE is written with its headers
 * in the first descriptor's header buffer (.hdr_len bytes, RXS_HDS) and its
 * payload from the start of the data buffers (the first .len may be 0); any
 * other frame is written whole to the data buffers. When a frame has been written the device
 * overwrites the descriptor with struct ofnic_rx_wb, writing .status last.
 */
struct ofnic_rx_desc {
	__le64 addr;		/* data buffer, Q_BUF_SIZE bytes */
	__le64 hdr_addr;	/* header buffer, Q_HDR_SIZE bytes (HDS only) */
	__le32 rsvd[3];
	__le32 status;		/* 0 when posted */
};

/*
 * RX descriptor, write-back format. A frame longer than Q_BUF_SIZE spans
 * consecutive descriptors, each .len giving that buffer's bytes; the last has
 * OFNIC_RXS_EOP. Frame metadata (hash, ptype, checksum and LRO bits, hdr_len)
 * is valid in the first descriptor only. The device writes all descriptors of
 * a frame, then the first descriptor's .status last: a driver that sees DD in a
 * frame's first descriptor may read the whole frame. A frame is written only
 * when enough descriptors are posted for all of it; until then the device
 * holds it (and the frames behind it) and accepts nothing from the wire.
 */
/*
 * Receive offloads. Queue selection: a flow table entry (RX_CTRL.FLOW, see
 * the flow table above) decides first; otherwise, with RX_CTRL.RSS the frame's
 * hash picks RETA[hash & 127], a queue index (entries >= MAX_QP mean queue 0);
 * without it, or for frames with no hash, queue 0. A frame whose queue's RX ring is
 * not enabled is dropped (STAT_RX_NO_BUF and that ring's Q_DROPS). Hash:
 * Toeplitz with the 40-byte key over the types enabled in RSS_HASH_TYPES
 * (4-tuple for TCP/UDP when that type is on, else the address 2-tuple), in
 * .rss_hash/.rss_type with RXS_RSS. Checksums (RX_CTRL.CSUM): the IPv4
 * header and TCP/UDP checksums are verified and reported as L3_OK/L3_BAD,
 * L4_OK/L4_BAD (neither bit: not checked). LRO (RX_CTRL.LRO), by software
 * GRO's rules (hw-spec §7): consecutive in-order TCP segments of one flow on
 * one queue, with good checksums, the same IP and TCP header fields, ACK
 * number, window and options (IPv4 IDs counting up, or fixed with DF: then
 * RXS_LRO_FIXEDID), no SYN/RST/URG, no padding, payload equal to the first
 * segment's (the last may be shorter), are merged into one frame of at most
 * LRO_MAX_LEN bytes (and at most 65535 past the Ethernet header) and
 * LRO_MAX_SEGS segments; it is written when it is full, when a segment ends
 * it (PSH, FIN, shorter), when another frame arrives for the queue, or
 * LRO_TIMEOUT usecs after its first segment. Its headers are the first
 * segment's with the IP length (and IPv4 checksum) fixed and PSH, FIN if a
 * segment had them; the TCP checksum field is not valid (L4_OK reports the
 * segments'). .lro_segs and .lro_mss (the first segment's payload bytes)
 * with RXS_LRO.
 * .l3_off: for a frame with an IPv4 or IPv6 ptype bit, the offset of the IP
 * header from the frame's first byte, past any 802.1Q/802.1ad tags (0 for
 * other frames).
 */
struct ofnic_rx_wb {
	__le32 rss_hash;	/* OFNIC_RXS_RSS */
	__le16 len;		/* bytes written to this data buffer */
	__le16 hdr_len;		/* bytes written to the header buffer (first only) */
	__u8 rss_type;		/* OFNIC_RSS_TYPE_* */
	__u8 ptype;		/* OFNIC_PTYPE_* bits (first descriptor) */
	__le16 lro_segs;	/* OFNIC_RXS_LRO: segments coalesced */
	__le16 lro_mss;		/* OFNIC_RXS_LRO: largest segment payload */
	__u8 l3_off;		/* IPv4/IPv6 frames: L3 header offset (first only) */
	__u8 rsvd0;
	__le32 rsvd1[3];
	__le32 status;		/* OFNIC_RXS_* */
};

#define OFNIC_RXS_DD		(1u << 0)	/* written back */
#define OFNIC_RXS_EOP		(1u << 1)	/* last buffer of the frame */
#define OFNIC_RXS_RSS		(1u << 2)	/* rss_hash/rss_type valid */
#define OFNIC_RXS_L3_OK		(1u << 3)	/* IPv4 header checksum good */
#define OFNIC_RXS_L3_BAD	(1u << 4)
#define OFNIC_RXS_L4_OK		(1u << 5)	/* TCP/UDP checksum good */
#define OFNIC_RXS_L4_BAD	(1u << 6)
#define OFNIC_RXS_LRO		(1u << 7)	/* coalesced: lro_segs, lro_mss valid */
#define OFNIC_RXS_HDS		(1u << 8)	/* headers are in the header buffer */
#define OFNIC_RXS_LRO_FIXEDID	(1u << 9)	/* RXS_LRO, IPv4: its segments had one IP ID (DF) */

#define OFNIC_PTYPE_IPV4	(1u << 0)
#define OFNIC_PTYPE_IPV6	(1u << 1)
#define OFNIC_PTYPE_TCP		(1u << 2)
#define OFNIC_PTYPE_UDP		(1u << 3)

#define OFNIC_RSS_TYPE_NONE	0
#define OFNIC_RSS_TYPE_IPV4	1
#define OFNIC_RSS_TYPE_IPV4_TCP	2
#define OFNIC_RSS_TYPE_IPV4_UDP	3
#define OFNIC_RSS_TYPE_IPV6	4
#define OFNIC_RSS_TYPE_IPV6_TCP	5
#define OFNIC_RSS_TYPE_IPV6_UDP	6

/* OFNIC_REG_RSS_HASH_TYPES: which inputs use the 4-tuple */
#define OFNIC_RSS_HT_IPV4	(1u << 0)
#define OFNIC_RSS_HT_IPV4_TCP	(1u << 1)
#define OFNIC_RSS_HT_IPV4_UDP	(1u << 2)
#define OFNIC_RSS_HT_IPV6	(1u << 3)
#define OFNIC_RSS_HT_IPV6_TCP	(1u << 4)
#define OFNIC_RSS_HT_IPV6_UDP	(1u << 5)

#ifdef __cplusplus
#define OFNIC_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define OFNIC_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
OFNIC_STATIC_ASSERT(sizeof(struct ofnic_tx_desc) == OFNIC_DESC_SIZE, "tx desc size");
OFNIC_STATIC_ASSERT(sizeof(struct ofnic_rx_desc) == OFNIC_DESC_SIZE, "rx desc size");
OFNIC_STATIC_ASSERT(sizeof(struct ofnic_rx_wb) == OFNIC_DESC_SIZE, "rx wb size");

#endif /* OFNIC_HW_H */
