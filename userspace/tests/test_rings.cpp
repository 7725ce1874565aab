// Ring register semantics: configuration is frozen while a ring is live,
// QC_RESET, disabling a ring.
#include <fmt/format.h>

#include "device_fixture.h"

namespace ofnic::test {
namespace {

TEST_F(OfnicLinkTest, LiveRingIgnoresConfigurationWrites) {
  const uint64_t tx_base = a_tx_->base(), rx_base = b_rx_->base();
  const uint64_t other = mem_.alloc(64 * OFNIC_DESC_SIZE);
  for (Dir d : {Dir::kTx, Dir::kRx}) {
    OfnicPort& p = d == Dir::kTx ? *a_ : *b_;
    SCOPED_TRACE(to_string(d));
    p.set_qreg(0, d, OFNIC_Q_BASE_LO, uint32_t(other));
    p.set_qreg(0, d, OFNIC_Q_BASE_HI, 1);
    p.set_qreg(0, d, OFNIC_Q_SIZE, 128);
    p.set_qreg(0, d, OFNIC_Q_BUF_SIZE, 256);
    p.set_qreg(0, d, OFNIC_Q_HDR_SIZE, 128);
    EXPECT_EQ(p.qreg(0, d, OFNIC_Q_HDR_SIZE), 0u);
    uint64_t base = d == Dir::kTx ? tx_base : rx_base;
    EXPECT_EQ(p.qreg(0, d, OFNIC_Q_BASE_LO), uint32_t(base));
    EXPECT_EQ(p.qreg(0, d, OFNIC_Q_BASE_HI), 0u);
    EXPECT_EQ(p.qreg(0, d, OFNIC_Q_SIZE), 64u);
    EXPECT_EQ(p.q_status(0, d), OFNIC_QS_ENABLED);
  }
  EXPECT_EQ(b_->qreg(0, Dir::kRx, OFNIC_Q_BUF_SIZE), 2048u);

  // The rings still work as first configured: a 1000-byte frame lands in one
  // 2048-byte buffer of the original RX ring.
  auto f = make_frame(kMacB, kMacA, 1000);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->wb(0).status, OFNIC_RXS_DD | OFNIC_RXS_EOP);
  EXPECT_EQ(b_rx_->frame(0), f);
  EXPECT_EQ(qt_->read(other, 64), std::vector<uint8_t>(64, 0)) << "the other ring is untouched";

  // After QC_RESET the ring is not live: writes take effect.
  a_->ring_reset(0, Dir::kTx);
  a_->set_qreg(0, Dir::kTx, OFNIC_Q_BASE_LO, uint32_t(other));
  a_->set_qreg(0, Dir::kTx, OFNIC_Q_SIZE, 128);
  a_->set_qreg(0, Dir::kTx, OFNIC_Q_BUF_SIZE, 77);  // TX: stored, unused
  a_->set_qreg(0, Dir::kTx, OFNIC_Q_HDR_SIZE, 128);
  EXPECT_EQ(a_->qreg(0, Dir::kTx, OFNIC_Q_BASE_LO), uint32_t(other));
  EXPECT_EQ(a_->qreg(0, Dir::kTx, OFNIC_Q_SIZE), 128u);
  EXPECT_EQ(a_->qreg(0, Dir::kTx, OFNIC_Q_BUF_SIZE), 77u);
  EXPECT_EQ(a_->qreg(0, Dir::kTx, OFNIC_Q_HDR_SIZE), 128u);
  a_->ring_enable(0, Dir::kTx);
  EXPECT_EQ(a_->q_status(0, Dir::kTx), OFNIC_QS_ENABLED) << "TX BUF_SIZE is not validated";
}

TEST_F(OfnicLinkTest, QcResetClearsIndices) {
  for (int k = 0; k < 3; k++) {
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100))));
  }
  ASSERT_TRUE(rx_done(*b_rx_, 2));
  ASSERT_EQ(a_tx_->head(), 3u);
  ASSERT_EQ(b_rx_->head(), 3u);
  a_->ring_reset(0, Dir::kTx);
  b_->set_qreg(0, Dir::kRx, OFNIC_Q_CTRL, OFNIC_QC_RESET | OFNIC_QC_ENABLE);
  for (Dir d : {Dir::kTx, Dir::kRx}) {
    OfnicPort& p = d == Dir::kTx ? *a_ : *b_;
    SCOPED_TRACE(to_string(d));
    EXPECT_EQ(p.qreg(0, d, OFNIC_Q_HEAD), 0u);
    EXPECT_EQ(p.qreg(0, d, OFNIC_Q_TAIL), 0u);
    EXPECT_EQ(p.qreg(0, d, OFNIC_Q_CTRL), 0u) << "the other bits of a RESET write are ignored";
    EXPECT_EQ(p.q_status(0, d), 0u);
    // The configuration stays.
    uint64_t base = d == Dir::kTx ? a_tx_->base() : b_rx_->base();
    EXPECT_EQ(p.qreg(0, d, OFNIC_Q_BASE_LO), uint32_t(base));
    EXPECT_EQ(p.qreg(0, d, OFNIC_Q_SIZE), 64u);
  }
  EXPECT_EQ(b_->qreg(0, Dir::kRx, OFNIC_Q_BUF_SIZE), 2048u);
  // Restarted from index 0, the rings carry traffic again.
  a_tx_->rewind();
  b_rx_->rewind();
  a_->ring_enable(0, Dir::kTx);
  b_->ring_enable(0, Dir::kRx);
  b_rx_->post(4);
  auto f = make_frame(kMacB, kMacA, 500, 3);
  uint32_t i = send(*a_tx_, f);
  EXPECT_EQ(i, 0u);
  ASSERT_TRUE(tx_done(*a_tx_, 0));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f);
}

// Q_CTRL.ENABLE = 0 stops the ring; HEAD and TAIL survive disable/enable.
TEST_F(OfnicLinkTest, DisabledRingStopsAndResumes) {
  for (int k = 0; k < 2; k++) {
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100))));
  }
  a_->set_qreg(0, Dir::kTx, OFNIC_Q_CTRL, 0);
  EXPECT_EQ(a_->q_status(0, Dir::kTx), 0u);
  EXPECT_EQ(a_->qreg(0, Dir::kTx, OFNIC_Q_CTRL), 0u);
  EXPECT_EQ(a_tx_->head(), 2u);
  EXPECT_EQ(a_tx_->tail(), 2u);
  auto f = make_frame(kMacB, kMacA, 100, 7);
  uint32_t i = a_tx_->add(put(f), 100, OFNIC_TXD_EOP);
  a_tx_->doorbell();
  settle();
  EXPECT_EQ(a_tx_->tail(), 2u) << "TAIL writes to a disabled ring are ignored";
  EXPECT_EQ(a_tx_->status(i), 0u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 2u);

  a_->ring_enable(0, Dir::kTx);
  EXPECT_EQ(a_->q_status(0, Dir::kTx), OFNIC_QS_ENABLED);
  EXPECT_EQ(a_tx_->head(), 2u);
  a_tx_->doorbell();
  ASSERT_TRUE(tx_done(*a_tx_, i));
  ASSERT_TRUE(rx_done(*b_rx_, 2));
  EXPECT_EQ(b_rx_->frame(2), f);
}

TEST_F(OfnicTest, LargestRingWorks) {
  a_->enable();
  b_->enable();
  auto tx = make_tx(*a_, 0, OFNIC_RING_MAX);
  auto rx = make_rx(*b_, 0, OFNIC_RING_MAX, 2048);
  tx->start();
  rx->start();
  ASSERT_EQ(a_->q_status(0, Dir::kTx), OFNIC_QS_ENABLED);
  ASSERT_EQ(b_->q_status(0, Dir::kRx), OFNIC_QS_ENABLED);
  rx->post(OFNIC_RING_MAX - 1);
  EXPECT_EQ(rx->tail(), OFNIC_RING_MAX - 1);
  auto f = make_frame(kMacB, kMacA, 200);
  ASSERT_TRUE(tx_done(*tx, send(*tx, f)));
  ASSERT_TRUE(rx_done(*rx, 0));
  EXPECT_EQ(rx->frame(0), f);
}

}  // namespace
}  // namespace ofnic::test
