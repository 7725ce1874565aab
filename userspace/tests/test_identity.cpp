// Identity, PCI configuration, reset defaults and the "queues" property.
#include <fmt/format.h>

#include "device_fixture.h"

namespace ofnic::test {
namespace {

TEST_F(OfnicTest, IdentityRegisters) {
  for (auto* p : {a_.get(), b_.get()}) {
    SCOPED_TRACE(fmt::format("devfn {:#x}", p->cfg().devfn()));
    EXPECT_EQ(p->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC);
    EXPECT_EQ(p->reg(OFNIC_REG_VERSION), OFNIC_VERSION);
    // Every offload of the interface is implemented (hw-spec 4).
    EXPECT_EQ(p->reg(OFNIC_REG_FEATURES), OFNIC_F_TX_CSUM | OFNIC_F_RX_CSUM | OFNIC_F_TSO |
                                              OFNIC_F_LRO | OFNIC_F_HDS | OFNIC_F_RSS |
                                              OFNIC_F_ITR | OFNIC_F_FLOW);
    EXPECT_EQ(p->reg(OFNIC_REG_MAX_QP), kQueues);
  }
  EXPECT_EQ(to_string(a_->mac()), to_string(kMacA));
  EXPECT_EQ(to_string(b_->mac()), to_string(kMacB));
  // 52:54:00:12:34:01: byte 0 in MAC_LO 7:0, byte 5 in MAC_HI 15:8.
  EXPECT_EQ(a_->reg(OFNIC_REG_MAC_LO), 0x12005452u);
  EXPECT_EQ(a_->reg(OFNIC_REG_MAC_HI), 0x0134u);
}

// hw-spec 1 and 4: access rules of BAR0.
TEST_F(OfnicTest, RegisterAccessRules) {
  // Offsets that are no register read 0.
  for (uint32_t off :
       {0x054u, 0x0fcu, 0x128u, 0x280u, 0x300u, 0x498u, 0x800u, 0x0ffcu, 0x1000u + 0x2cu,
        0x1000u + 0x3cu, 0x1000u + 0x6cu, 0x1000u + 0x8cu, 0x1000u + 0xfcu, 0xfffcu}) {
    EXPECT_EQ(a_->reg(off), 0u) << fmt::format("offset {:#x}", off);
  }
  // Read-only registers ignore writes.
  for (uint32_t off : std::initializer_list<uint32_t>{
           OFNIC_REG_ID, OFNIC_REG_VERSION, OFNIC_REG_FEATURES, OFNIC_REG_MAX_QP, OFNIC_REG_STATUS,
           OFNIC_REG_ERR_COUNT, OFNIC_REG_ERR_LAST, uint32_t(OFNIC_REG_STAT(OFNIC_STAT_TX_PKTS)),
           OFNIC_REG_QP(0) + OFNIC_QP_RX + OFNIC_Q_HEAD,
           OFNIC_REG_QP(0) + OFNIC_QP_TX + OFNIC_Q_STATUS,
           OFNIC_REG_QP(0) + OFNIC_QP_TX + OFNIC_Q_ERRORS}) {
    uint32_t before = a_->reg(off);
    a_->set_reg(off, 0x5a5a5a5a);
    EXPECT_EQ(a_->reg(off), before) << fmt::format("offset {:#x}", off);
  }
  // Only aligned 32-bit accesses: narrower reads return 0, narrower writes are dropped.
  EXPECT_EQ(qt_->readw(kBar0A + OFNIC_REG_ID), 0u);
  EXPECT_EQ(qt_->readb(kBar0A + OFNIC_REG_ID + 1), 0u);
  qt_->writew(kBar0A + OFNIC_REG_MAX_FRAME, 9000);
  EXPECT_EQ(a_->reg(OFNIC_REG_MAX_FRAME), 1518u);
  qt_->writeb(kBar0A + OFNIC_REG_CTRL, OFNIC_CTRL_ENABLE);
  EXPECT_EQ(a_->reg(OFNIC_REG_CTRL), 0u);
}

// RW registers and their masking/clamping (hw-spec 4, 5).
TEST_F(OfnicTest, RegisterMasksAndClamps) {
  a_->set_reg(OFNIC_REG_MAX_FRAME, 9018);
  EXPECT_EQ(a_->reg(OFNIC_REG_MAX_FRAME), 9018u);
  a_->set_reg(OFNIC_REG_MAX_FRAME, 10);
  EXPECT_EQ(a_->reg(OFNIC_REG_MAX_FRAME), 60u);
  a_->set_reg(OFNIC_REG_MAX_FRAME, 0x100000);
  EXPECT_EQ(a_->reg(OFNIC_REG_MAX_FRAME), 65599u);
  a_->set_reg(OFNIC_REG_RX_CTRL, 0xffffffff);
  EXPECT_EQ(a_->reg(OFNIC_REG_RX_CTRL), OFNIC_RXC_PROMISC | OFNIC_RXC_CSUM | OFNIC_RXC_LRO |
                                            OFNIC_RXC_HDS | OFNIC_RXC_RSS | OFNIC_RXC_FLOW)
      << "bit 1 and 31:7 discarded";
  a_->set_reg(OFNIC_REG_CTRL, ~OFNIC_CTRL_RESET);
  EXPECT_EQ(a_->reg(OFNIC_REG_CTRL), OFNIC_CTRL_ENABLE);
  a_->set_reg(OFNIC_REG_MAC_HI, 0xffff0201);
  EXPECT_EQ(a_->reg(OFNIC_REG_MAC_HI), 0x0201u) << "31:16 ignored";
  a_->set_reg(OFNIC_REG_INT_MASK, 0xffffffff);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_MASK), OFNIC_INT_LINK | OFNIC_INT_QERR);
  a_->set_qp_reg(1, OFNIC_QP_ITR_RX, 0x12345);
  EXPECT_EQ(a_->qp_reg(1, OFNIC_QP_ITR_RX), 0x12345u) << "all 32 bits stored";
  a_->set_qp_reg(1, OFNIC_QP_ITR_TX, 0xffffffff);
  EXPECT_EQ(a_->qp_reg(1, OFNIC_QP_ITR_TX), 0xffffffffu);
  EXPECT_EQ(a_->qp_reg(1, OFNIC_QP_ITR_RX), 0x12345u) << "separate registers";
  // LRO limits: writes are clamped into their ranges.
  struct {
    uint32_t reg, val, want;
  } clamps[] = {
      {OFNIC_REG_LRO_MAX_LEN, 0, 1514},
      {OFNIC_REG_LRO_MAX_LEN, 1513, 1514},
      {OFNIC_REG_LRO_MAX_LEN, 9000, 9000},
      {OFNIC_REG_LRO_MAX_LEN, 65549, 65549},  // GRO's limit: 64 KiB past the MAC header
      {OFNIC_REG_LRO_MAX_LEN, 65550, 65549},
      {OFNIC_REG_LRO_MAX_LEN, ~0u, 65549},
      {OFNIC_REG_LRO_MAX_SEGS, 0, 2},
      {OFNIC_REG_LRO_MAX_SEGS, 1, 2},
      {OFNIC_REG_LRO_MAX_SEGS, 17, 17},
      {OFNIC_REG_LRO_MAX_SEGS, 65, 64},
      {OFNIC_REG_LRO_TIMEOUT, 0, 1},
      {OFNIC_REG_LRO_TIMEOUT, 10000, 10000},
      {OFNIC_REG_LRO_TIMEOUT, 10001, 10000},
      {OFNIC_REG_LRO_TIMEOUT, 0x80000000, 10000},
  };
  for (auto c : clamps) {
    a_->set_reg(c.reg, c.val);
    EXPECT_EQ(a_->reg(c.reg), c.want) << fmt::format("register {:#x} <- {:#x}", c.reg, c.val);
  }
  // RSS registers: all 32 bits stored.
  a_->set_reg(OFNIC_REG_RSS_HASH_TYPES, 0xdeadbeef);
  EXPECT_EQ(a_->reg(OFNIC_REG_RSS_HASH_TYPES), 0xdeadbeefu);
  for (uint32_t w = 0; w < OFNIC_RSS_KEY_LEN / 4; w++) {
    a_->set_reg(OFNIC_REG_RSS_KEY + 4 * w, 0x01020304u * (w + 1));
  }
  for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) {
    a_->set_reg(OFNIC_REG_RSS_RETA + 4 * w, 0x03020100u + w);
  }
  for (uint32_t w = 0; w < OFNIC_RSS_KEY_LEN / 4; w++) {
    EXPECT_EQ(a_->reg(OFNIC_REG_RSS_KEY + 4 * w), 0x01020304u * (w + 1)) << "key word " << w;
  }
  for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) {
    EXPECT_EQ(a_->reg(OFNIC_REG_RSS_RETA + 4 * w), 0x03020100u + w) << "RETA word " << w;
  }
  EXPECT_EQ(a_->reg(OFNIC_REG_RSS_KEY + OFNIC_RSS_KEY_LEN), 0u) << "past the key";
  EXPECT_EQ(a_->reg(OFNIC_REG_RSS_HASH_TYPES), 0xdeadbeefu);
  EXPECT_EQ(b_->reg(OFNIC_REG_RSS_HASH_TYPES), 0u) << "per device";
}

TEST_F(OfnicTest, PciConfigSpace) {
  PciConfig& c = a_->cfg();
  EXPECT_EQ(c.read16(0x00), OFNIC_PCI_VENDOR_ID);
  EXPECT_EQ(c.read16(0x02), OFNIC_PCI_DEVICE_ID);
  EXPECT_EQ(c.read32(0x08), 0x02000000u | OFNIC_PCI_REVISION) << "class: Ethernet controller";
  EXPECT_EQ(c.read16(0x2c), 0x1af4) << "subsystem vendor";
  EXPECT_EQ(c.read16(0x2e), 0x1100) << "subsystem";
  EXPECT_EQ(c.read8(0x0e), 0) << "header type 0, single function";
  EXPECT_EQ(c.read8(0x3d), 0) << "no INTx: MSI-X only";
  EXPECT_EQ(c.read32(0x30), 0u) << "no expansion ROM";
  EXPECT_FALSE(c.find_capability(0x10).has_value()) << "conventional PCI: no PCIe capability";
  EXPECT_FALSE(c.find_capability(0x05).has_value()) << "no MSI";
  EXPECT_FALSE(c.find_capability(0x01).has_value()) << "no power management";

  // BAR0: 64-bit memory BAR of OFNIC_BAR_REGS_SIZE bytes, where we mapped it.
  const uint8_t bar0 = 0x10 + 4 * OFNIC_BAR_REGS;
  EXPECT_EQ(c.read32(bar0), uint32_t(kBar0A) | 0x4);
  EXPECT_EQ(c.read32(bar0 + 4), uint32_t(kBar0A >> 32));
  c.write32(bar0, 0xffffffff);
  c.write32(bar0 + 4, 0xffffffff);
  EXPECT_EQ(c.read32(bar0), uint32_t(~(OFNIC_BAR_REGS_SIZE - 1)) | 0x4);
  EXPECT_EQ(c.read32(bar0 + 4), 0xffffffffu);
  a_->map(kBar0A, kBar2A);
  EXPECT_EQ(a_->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC);

  // MSI-X: one vector per queue pair plus the admin vector, in BAR2.
  auto msix = a_->msix_cap();
  ASSERT_TRUE(msix.has_value());
  EXPECT_EQ(msix->table_size, OFNIC_MSIX_VECTORS);
  EXPECT_EQ(msix->table_bir, OFNIC_BAR_MSIX);
  EXPECT_EQ(msix->pba_bir, OFNIC_BAR_MSIX);
  EXPECT_EQ(msix->table_offset, 0u);
  EXPECT_EQ(msix->pba_offset, 0x800u);
  const uint8_t bar2 = 0x10 + 4 * OFNIC_BAR_MSIX;
  EXPECT_EQ(c.read32(bar2) & 0xf, 0u) << "32-bit non-prefetchable memory BAR";
  c.write32(bar2, 0xffffffff);
  EXPECT_EQ(c.read32(bar2), 0xfffff000u) << "4 KiB";
  for (uint8_t bar : {0x1c, 0x20, 0x24}) {
    c.write32(bar, 0xffffffff);
    EXPECT_EQ(c.read32(bar), 0u) << fmt::format(
        "BAR at {:#x} must read 0: the device has no such BAR", bar);
  }
  a_->map(kBar0A, kBar2A);
  // Vector control of every entry starts masked.
  for (unsigned v = 0; v < OFNIC_MSIX_VECTORS; v++) {
    EXPECT_EQ(qt_->readl(kBar2A + msix->table_offset + 16 * v + 12) & 1, 1u) << "vector " << v;
  }
}

TEST_F(OfnicTest, DefaultsAfterPowerOn) {
  for (auto* p : {a_.get(), b_.get()}) {
    SCOPED_TRACE(fmt::format("devfn {:#x}", p->cfg().devfn()));
    EXPECT_EQ(p->reg(OFNIC_REG_CTRL), 0u);
    EXPECT_EQ(p->reg(OFNIC_REG_STATUS), OFNIC_STATUS_LINK_UP);
    EXPECT_EQ(p->reg(OFNIC_REG_MAX_FRAME), 1518u);
    EXPECT_EQ(p->reg(OFNIC_REG_RX_CTRL), 0u);
    EXPECT_EQ(p->reg(OFNIC_REG_INT_CAUSE), 0u);
    EXPECT_EQ(p->reg(OFNIC_REG_INT_MASK), 0u);
    EXPECT_EQ(p->reg(OFNIC_REG_ERR_COUNT), 0u);
    EXPECT_EQ(p->reg(OFNIC_REG_ERR_LAST), 0u);
    EXPECT_EQ(p->reg(OFNIC_REG_LRO_MAX_LEN), 65535u);
    EXPECT_EQ(p->reg(OFNIC_REG_LRO_MAX_SEGS), 64u);
    EXPECT_EQ(p->reg(OFNIC_REG_LRO_TIMEOUT), 50u);
    for (unsigned i = 0; i < OFNIC_NUM_STATS; i++) EXPECT_EQ(p->stat(i), 0u) << "stat " << i;
    for (unsigned q = 0; q < kQueues; q++) {
      EXPECT_EQ(p->qp_reg(q, OFNIC_QP_ITR_RX), 0u);
      EXPECT_EQ(p->qp_reg(q, OFNIC_QP_ITR_TX), 0u);
      for (Dir d : {Dir::kTx, Dir::kRx}) {
        for (uint32_t r = 0; r <= OFNIC_Q_DROPS; r += 4) {
          EXPECT_EQ(p->qreg(q, d, r), 0u)
              << fmt::format("queue {} {} register {:#x}", q, to_string(d), r);
        }
      }
    }
  }
}

TEST_F(OfnicTest, EnableBitShowsInStatus) {
  a_->enable();
  EXPECT_EQ(a_->reg(OFNIC_REG_CTRL), OFNIC_CTRL_ENABLE);
  EXPECT_EQ(a_->reg(OFNIC_REG_STATUS), OFNIC_STATUS_LINK_UP | OFNIC_STATUS_ENABLED);
  EXPECT_EQ(b_->reg(OFNIC_REG_STATUS), OFNIC_STATUS_LINK_UP) << "port B is independent";
  a_->set_reg(OFNIC_REG_CTRL, 0);
  EXPECT_EQ(a_->reg(OFNIC_REG_STATUS), OFNIC_STATUS_LINK_UP);
}

TEST_F(OfnicTest, QueueRegistersExistOnlyUpToMaxQp) {
  const uint64_t base = 0x123400;
  a_->set_qreg(kQueues - 1, Dir::kRx, OFNIC_Q_BASE_LO, base);
  EXPECT_EQ(a_->qreg(kQueues - 1, Dir::kRx, OFNIC_Q_BASE_LO), base);
  a_->set_qreg(kQueues, Dir::kRx, OFNIC_Q_BASE_LO, base);
  EXPECT_EQ(a_->qreg(kQueues, Dir::kRx, OFNIC_Q_BASE_LO), 0u);
  a_->set_qreg(OFNIC_MAX_QP - 1, Dir::kTx, OFNIC_Q_SIZE, 64);
  EXPECT_EQ(a_->qreg(OFNIC_MAX_QP - 1, Dir::kTx, OFNIC_Q_SIZE), 0u);
}

TEST_F(OfnicTest, CtrlResetRestoresDefaults) {
  a_->enable();
  a_->set_mac(kMacOther);
  a_->set_reg(OFNIC_REG_MAX_FRAME, 9018);
  a_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_PROMISC);
  a_->set_reg(OFNIC_REG_INT_MASK, OFNIC_INT_QERR);
  a_->set_reg(OFNIC_REG_RSS_HASH_TYPES, 3);
  a_->set_reg(OFNIC_REG_RSS_KEY, 0x11223344);
  a_->set_reg(OFNIC_REG_RSS_RETA + 4, 0x01010101);
  a_->set_qp_reg(2, OFNIC_QP_ITR_RX, 50);
  a_->set_qp_reg(2, OFNIC_QP_ITR_TX, 0x40010);
  a_->set_reg(OFNIC_REG_LRO_MAX_LEN, 3000);
  a_->set_reg(OFNIC_REG_LRO_MAX_SEGS, 3);
  a_->set_reg(OFNIC_REG_LRO_TIMEOUT, 3);
  a_->msix_enable(true);
  auto tx = make_tx(*a_);
  tx->start();
  a_->config_ring(1, Dir::kTx, 0x100040, 64);  // misaligned: QERR
  a_->ring_enable(1, Dir::kTx);
  ASSERT_EQ(to_string(a_->mac()), to_string(kMacOther));
  ASSERT_EQ(a_->reg(OFNIC_REG_MAX_FRAME), 9018u);
  ASSERT_NE(a_->reg(OFNIC_REG_ERR_COUNT), 0u);
  ASSERT_EQ(tx->head(), 0u);

  // RESET completes within the write; the other bits of that write are ignored.
  a_->set_reg(OFNIC_REG_CTRL, OFNIC_CTRL_RESET | OFNIC_CTRL_ENABLE);
  EXPECT_EQ(a_->reg(OFNIC_REG_CTRL), 0u) << "RESET reads 0, ENABLE ends up 0";
  EXPECT_EQ(a_->reg(OFNIC_REG_STATUS), OFNIC_STATUS_LINK_UP);
  EXPECT_EQ(to_string(a_->mac()), to_string(kMacA)) << "MAC back to the property";
  EXPECT_EQ(a_->reg(OFNIC_REG_MAX_FRAME), 1518u);
  EXPECT_EQ(a_->reg(OFNIC_REG_RX_CTRL), 0u);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_MASK), 0u);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_CAUSE), 0u);
  EXPECT_EQ(a_->reg(OFNIC_REG_ERR_COUNT), 0u);
  EXPECT_EQ(a_->reg(OFNIC_REG_ERR_LAST), 0u);
  for (unsigned i = 0; i < OFNIC_NUM_STATS; i++) EXPECT_EQ(a_->stat(i), 0u) << "stat " << i;
  for (unsigned q : {0u, 1u}) {
    EXPECT_EQ(a_->q_status(q, Dir::kTx), 0u);
    EXPECT_EQ(a_->qreg(q, Dir::kTx, OFNIC_Q_CTRL), 0u);
    EXPECT_EQ(a_->qreg(q, Dir::kTx, OFNIC_Q_BASE_LO), 0u);
    EXPECT_EQ(a_->qreg(q, Dir::kTx, OFNIC_Q_SIZE), 0u);
    EXPECT_EQ(a_->qreg(q, Dir::kTx, OFNIC_Q_ERRORS), 0u);
  }
  EXPECT_EQ(a_->reg(OFNIC_REG_RSS_HASH_TYPES), 0u);
  EXPECT_EQ(a_->reg(OFNIC_REG_RSS_KEY), 0u);
  EXPECT_EQ(a_->reg(OFNIC_REG_RSS_RETA + 4), 0u);
  EXPECT_EQ(a_->qp_reg(2, OFNIC_QP_ITR_RX), 0u);
  EXPECT_EQ(a_->qp_reg(2, OFNIC_QP_ITR_TX), 0u);
  EXPECT_EQ(a_->reg(OFNIC_REG_LRO_MAX_LEN), 65535u);
  EXPECT_EQ(a_->reg(OFNIC_REG_LRO_MAX_SEGS), 64u);
  EXPECT_EQ(a_->reg(OFNIC_REG_LRO_TIMEOUT), 50u);
  EXPECT_EQ(b_->reg(OFNIC_REG_MAX_FRAME), 1518u) << "port B untouched";
  // PCI configuration space is not touched: BARs, Bus Master, MSI-X enable.
  EXPECT_EQ(a_->cfg().read16(0x04) & 0x6, 0x6);
  EXPECT_EQ(a_->cfg().read16(a_->msix_cap()->offset + 2) & 0x8000, 0x8000);
  EXPECT_EQ(a_->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC);
}

// The "queues" property sets MAX_QP and how many queue blocks exist.
class QueuesProperty : public ::testing::TestWithParam<unsigned> {};

TEST_P(QueuesProperty, SetsMaxQp) {
  const unsigned queues = GetParam();
  qtest::Client qt(qemu_options(two_port_args(queues)));
  auto fns = pci_find(qt, OFNIC_PCI_VENDOR_ID, OFNIC_PCI_DEVICE_ID);
  ASSERT_EQ(fns.size(), 2u);
  OfnicPort p(qt, fns[0]);
  p.map(kBar0A, kBar2A);
  EXPECT_EQ(p.reg(OFNIC_REG_MAX_QP), queues);
  p.set_qreg(queues - 1, Dir::kTx, OFNIC_Q_SIZE, 128);
  EXPECT_EQ(p.qreg(queues - 1, Dir::kTx, OFNIC_Q_SIZE), 128u);
  if (queues < OFNIC_MAX_QP) {
    p.set_qreg(queues, Dir::kTx, OFNIC_Q_SIZE, 128);
    EXPECT_EQ(p.qreg(queues, Dir::kTx, OFNIC_Q_SIZE), 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Ofnic, QueuesProperty, ::testing::Values(1u, 2u, 16u),
                         [](const auto& p) { return "queues" + std::to_string(p.param); });

class BadQueuesProperty : public ::testing::TestWithParam<unsigned> {};

TEST_P(BadQueuesProperty, QemuRefusesTheDevice) {
  auto opts = qemu_options(two_port_args(GetParam()));
  auto r = qtest::run_until_exit(opts);
  ASSERT_TRUE(r.exited) << "QEMU accepted queues=" << GetParam() << "\n" << r.output;
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("queues must be 1..16"), std::string::npos) << r.output;
}

INSTANTIATE_TEST_SUITE_P(Ofnic, BadQueuesProperty, ::testing::Values(0u, 17u),
                         [](const auto& p) { return "queues" + std::to_string(p.param); });

}  // namespace
}  // namespace ofnic::test
