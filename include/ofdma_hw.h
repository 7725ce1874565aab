/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * ofdma hardware interface: PCI identity, BAR0 register map, descriptor and
 * completion record formats of the ofdma memory-copy engine.
 *
 * This header is the single source of truth for the interface between the
 * ofdma device model (QEMU, qemu/hw/ofdma.c) and its driver (kmod/ofdma). The
 * datasheet docs/ofdma-spec.md explains every item here. Everything is little
 * endian.
 */
#ifndef OFDMA_HW_H
#define OFDMA_HW_H

#include <linux/types.h>

/* ---- PCI identity ------------------------------------------------------ */
#define OFDMA_PCI_VENDOR_ID	0x1234
#define OFDMA_PCI_DEVICE_ID	0x0fd0
#define OFDMA_PCI_REVISION	0x01
#define OFDMA_PCI_CLASS		0x0880	/* system peripheral, other (as I/OAT) */
#define OFDMA_BAR_REGS		0	/* 64-bit memory BAR, OFDMA_BAR_REGS_SIZE */
#define OFDMA_BAR_MSIX		2	/* 32-bit memory BAR: MSI-X table + PBA */
#define OFDMA_BAR_REGS_SIZE	0x4000

/* ---- Limits -------------------------------------------------------------- */
#define OFDMA_MAX_CHANNELS	16
#define OFDMA_DEFAULT_CHANNELS	4
#define OFDMA_RING_MIN		16	/* descriptors, power of two */
#define OFDMA_RING_MAX		32768
#define OFDMA_RING_ALIGN	64	/* ring base alignment, bytes */
#define OFDMA_CMPL_ALIGN	32	/* completion record alignment, bytes */
#define OFDMA_MAX_XFER		(16u << 20)	/* bytes one descriptor may copy */

/* MSI-X: vector c serves channel c; OFDMA_MSIX_VECTORS vectors exist. */
#define OFDMA_MSIX_VECTORS	OFDMA_MAX_CHANNELS

/* ---- Global registers (BAR0), 32-bit accesses only ------------------------ */
#define OFDMA_REG_ID		0x0000	/* RO: OFDMA_ID_MAGIC */
#define OFDMA_ID_MAGIC		0x4f46444d	/* "OFDM" */
#define OFDMA_REG_VERSION	0x0004	/* RO: major << 16 | minor */
#define OFDMA_VERSION		0x00010000
#define OFDMA_REG_NUM_CHAN	0x0008	/* RO: channels implemented (1..16) */
#define OFDMA_REG_CAPS		0x000c	/* RO: OFDMA_CAP_* */
#define OFDMA_REG_MAX_XFER	0x0010	/* RO: OFDMA_MAX_XFER */
#define OFDMA_REG_CTRL		0x0014	/* W1A: OFDMA_CTRL_RESET */
#define OFDMA_REG_ERR_COUNT	0x0018	/* RO: channel errors since device reset */
#define OFDMA_REG_ERR_LAST	0x001c	/* RO: last error: code | channel << 8 */

/* OFDMA_REG_CAPS bits */
#define OFDMA_CAP_MEMCPY	(1u << 0)
#define OFDMA_CAP_FENCE		(1u << 1)
#define OFDMA_CAP_NULL		(1u << 2)
#define OFDMA_CAP_CMPL		(1u << 3)	/* completion record write-back */

/* OFDMA_REG_CTRL bits */
#define OFDMA_CTRL_RESET	(1u << 0)	/* write 1: reset every channel */

/* ---- Per-channel registers ----------------------------------------------- */
/* Channel c has a 128-byte block at OFDMA_REG_CHAN(c). */
#define OFDMA_REG_CHAN(c)	(0x1000 + 0x80 * (c))
#define OFDMA_CH_RING_LO	0x00	/* RW: ring base, OFDMA_RING_ALIGN aligned */
#define OFDMA_CH_RING_HI	0x04	/* RW */
#define OFDMA_CH_RING_SIZE	0x08	/* RW: descriptors, power of two, MIN..MAX */
#define OFDMA_CH_CMPL_LO	0x0c	/* RW: completion record, OFDMA_CMPL_ALIGN aligned */
#define OFDMA_CH_CMPL_HI	0x10	/* RW */
#define OFDMA_CH_CTRL		0x14	/* RW: OFDMA_CC_* */
#define OFDMA_CH_TAIL		0x18	/* RW: doorbell, first slot the driver owns */
#define OFDMA_CH_HEAD		0x1c	/* RO: next slot the device executes */
#define OFDMA_CH_STATUS		0x20	/* RO: OFDMA_CS_* state | error << 8 */
#define OFDMA_CH_ERR_DESC	0x24	/* RO: slot of the descriptor that failed */
#define OFDMA_CH_DONE_LO	0x28	/* RO: descriptors completed since enable (64) */
#define OFDMA_CH_DONE_HI	0x2c
#define OFDMA_CH_BYTES_LO	0x30	/* RO: bytes copied since device reset (64) */
#define OFDMA_CH_BYTES_HI	0x34
#define OFDMA_CH_ERRORS		0x38	/* RO: errors of this channel since device reset */

/* OFDMA_CH_CTRL bits */
#define OFDMA_CC_ENABLE		(1u << 0)	/* run: execute HEAD..TAIL */
#define OFDMA_CC_SUSPEND	(1u << 1)	/* pause after the current descriptor */
#define OFDMA_CC_RESET		(1u << 2)	/* W1A: stop, HEAD = TAIL = 0, clear error */
#define OFDMA_CC_RW_MASK	(OFDMA_CC_ENABLE | OFDMA_CC_SUSPEND)

/* OFDMA_CH_STATUS: state in bits 3:0, error code in bits 15:8 */
#define OFDMA_CS_STATE_MASK	0xfu
#define OFDMA_CS_DISABLED	0	/* ENABLE clear */
#define OFDMA_CS_IDLE		1	/* enabled, HEAD == TAIL */
#define OFDMA_CS_ACTIVE		2	/* executing descriptors */
#define OFDMA_CS_SUSPENDED	3	/* SUSPEND set, no descriptor executing */
#define OFDMA_CS_HALTED		4	/* stopped by an error until channel reset */
#define OFDMA_CS_ERR_SHIFT	8
#define OFDMA_CS_ERR(status)	(((status) >> OFDMA_CS_ERR_SHIFT) & 0xff)

/* Error codes (OFDMA_CH_STATUS bits 15:8, completion record, ERR_LAST) */
#define OFDMA_ERR_NONE		0
#define OFDMA_ERR_RING		1	/* ring base/size invalid at enable */
#define OFDMA_ERR_CMPL_ADDR	2	/* completion record address invalid or not memory */
#define OFDMA_ERR_TAIL		3	/* TAIL written with a value >= RING_SIZE */
#define OFDMA_ERR_DESC_READ	4	/* descriptor fetch failed (not memory) */
#define OFDMA_ERR_FLAGS		5	/* reserved descriptor flag set */
#define OFDMA_ERR_LEN		6	/* length 0 or > MAX_XFER */
#define OFDMA_ERR_SRC		7	/* source range not (all) memory */
#define OFDMA_ERR_DST		8	/* destination range not (all) writable memory */
#define OFDMA_ERR_OVERLAP	9	/* source and destination overlap */
#define OFDMA_ERR_MAX		9

/* ---- Descriptor (32 bytes, in the ring) ---------------------------------- */
struct ofdma_desc {
	__le64 src;	/* bus address of the first source byte */
	__le64 dst;	/* bus address of the first destination byte */
	__le32 len;	/* bytes, 1..MAX_XFER (ignored with OFDMA_DF_NULL) */
	__le32 flags;	/* OFDMA_DF_* */
	__le64 user;	/* opaque to the device */
};

#define OFDMA_DESC_SIZE		32
#define OFDMA_DF_INTR		(1u << 0)	/* MSI-X once this descriptor completes */
#define OFDMA_DF_FENCE		(1u << 1)	/* start only after all earlier ones completed */
#define OFDMA_DF_NULL		(1u << 2)	/* move no data; just complete */
#define OFDMA_DF_VALID_MASK	(OFDMA_DF_INTR | OFDMA_DF_FENCE | OFDMA_DF_NULL)

/* ---- Completion record (32 bytes, written by the device) ----------------- */
struct ofdma_cmpl {
	__le64 completed;	/* descriptors completed since enable (written last) */
	__le32 last_desc;	/* slot of the last completed descriptor */
	__le32 status;		/* OFDMA_CH_STATUS at the time of writing */
	__le32 err_desc;	/* slot of the failed descriptor (state HALTED) */
	__le32 rsvd[3];
};

#define OFDMA_CMPL_SIZE		32

#endif /* OFDMA_HW_H */
