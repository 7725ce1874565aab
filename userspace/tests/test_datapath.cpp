// Frames from port A's TX ring to port B's RX ring over the hub.
#include <cstring>

#include <fmt/format.h>

#include "device_fixture.h"

namespace ofnic::test {
namespace {

TEST_F(OfnicLinkTest, SingleFrameLoopback) {
  auto f = make_frame(kMacB, kMacA, 1000);
  uint64_t buf = put(f);
  uint32_t i = a_tx_->add(buf, 1000, OFNIC_TXD_EOP);
  a_tx_->doorbell();

  ASSERT_TRUE(tx_done(*a_tx_, i));
  ofnic_tx_desc d = a_tx_->desc(i);
  EXPECT_EQ(d.status, OFNIC_TXS_DD);
  EXPECT_EQ(d.addr, buf) << "the device writes only .status";
  EXPECT_EQ(d.len, 1000);
  EXPECT_EQ(d.flags, OFNIC_TXD_EOP);
  EXPECT_EQ(a_tx_->head(), 1u);
  EXPECT_EQ(a_tx_->tail(), 1u);

  ASSERT_TRUE(rx_done(*b_rx_, 0));
  ofnic_rx_wb wb = b_rx_->wb(0);
  EXPECT_EQ(wb.status, OFNIC_RXS_DD | OFNIC_RXS_EOP);
  EXPECT_EQ(wb.len, 1000);
  // All 32 bytes are written back (the buffer address is overwritten); the
  // metadata of features not advertised is 0.
  ofnic_rx_wb expect{};
  expect.len = 1000;
  expect.status = OFNIC_RXS_DD | OFNIC_RXS_EOP;
  EXPECT_EQ(std::memcmp(&wb, &expect, sizeof(wb)), 0)
      << fmt::format("rss_hash {:#x} hdr_len {} rss_type {} ptype {} lro {}/{}", wb.rss_hash,
                     wb.hdr_len, wb.rss_type, wb.ptype, wb.lro_segs, wb.lro_mss);
  EXPECT_EQ(b_rx_->frame(0), f);
  EXPECT_EQ(b_rx_->head(), 1u);
  EXPECT_EQ(b_rx_->wb(1).status, 0u) << "only one descriptor used";

  auto sa = a_->stats(), sb = b_->stats();
  EXPECT_EQ(sa[OFNIC_STAT_TX_PKTS], 1u);
  EXPECT_EQ(sa[OFNIC_STAT_TX_BYTES], 1000u);
  EXPECT_EQ(sa[OFNIC_STAT_RX_PKTS], 0u);
  EXPECT_EQ(sb[OFNIC_STAT_RX_PKTS], 1u);
  EXPECT_EQ(sb[OFNIC_STAT_RX_BYTES], 1000u);
  EXPECT_EQ(sb[OFNIC_STAT_TX_PKTS], 0u);
  for (unsigned s : {OFNIC_STAT_TX_ERRORS, OFNIC_STAT_RX_ERRORS, OFNIC_STAT_RX_FILTERED,
                     OFNIC_STAT_RX_OVERSIZE, OFNIC_STAT_DOORBELL_ERRORS}) {
    EXPECT_EQ(sa[s] + sb[s], 0u) << "stat " << s;
  }
  EXPECT_EQ(a_->reg(OFNIC_REG_ERR_COUNT) + b_->reg(OFNIC_REG_ERR_COUNT), 0u);
}

TEST_F(OfnicLinkTest, MultiDescriptorTxPacket) {
  auto f = make_frame(kMacB, kMacA, 1000, 3);
  // Three buffers, scattered in guest memory, EOP on the last only.
  const size_t cut[] = {0, 14, 500, 1000};
  uint32_t first = a_tx_->next();
  for (int k = 0; k < 3; k++) {
    std::span<const uint8_t> part(f.data() + cut[k], cut[k + 1] - cut[k]);
    mem_.alloc(4096);  // a gap
    a_tx_->add(put(part), uint16_t(part.size()), k == 2 ? OFNIC_TXD_EOP : 0);
  }
  a_tx_->doorbell();

  ASSERT_TRUE(tx_done(*a_tx_, first + 2));
  EXPECT_EQ(a_tx_->status(first), 0u) << "DD only in the EOP descriptor";
  EXPECT_EQ(a_tx_->status(first + 1), 0u);
  EXPECT_EQ(a_tx_->head(), first + 3);
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->wb(0).status, OFNIC_RXS_DD | OFNIC_RXS_EOP);
  EXPECT_EQ(b_rx_->frame(0), f);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_BYTES), 1000u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
}

TEST_F(OfnicLinkTest, TxPacketWaitsForItsEopDescriptor) {
  auto f = make_frame(kMacB, kMacA, 300, 4);
  a_tx_->add(put({f.data(), 100}), 100, 0);
  a_tx_->add(put({f.data() + 100, 100}), 100, 0);
  a_->set_qreg(0, Dir::kTx, OFNIC_Q_TAIL, 2);
  settle();
  EXPECT_EQ(a_tx_->head(), 0u) << "no EOP before the tail: nothing consumed";
  EXPECT_EQ(a_tx_->status(1), 0u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 0u);
  EXPECT_EQ(a_->q_status(0, Dir::kTx), OFNIC_QS_ENABLED) << "an incomplete packet is no error";

  a_tx_->add(put({f.data() + 200, 100}), 100, OFNIC_TXD_EOP);
  a_tx_->doorbell();
  ASSERT_TRUE(tx_done(*a_tx_, 2));
  EXPECT_EQ(a_tx_->head(), 3u);
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f);
}

// Many frames of varied sizes: both rings wrap around several times.
TEST_F(OfnicLinkTest, ManyFramesWrapBothRings) {
  const unsigned n = 150;
  uint64_t bytes = 0;
  for (unsigned k = 0; k < n; k++) {
    SCOPED_TRACE(fmt::format("frame {}", k));
    size_t len = 60 + (k * 97) % 1455;
    auto f = make_frame(kMacB, kMacA, len, uint8_t(k));
    uint32_t i = send(*a_tx_, f);
    ASSERT_EQ(i, k % 64);
    ASSERT_TRUE(tx_done(*a_tx_, i));
    ASSERT_TRUE(rx_done(*b_rx_, k % 64));
    ASSERT_EQ(b_rx_->wb(k % 64).len, len);
    ASSERT_EQ(b_rx_->frame(k % 64), f);
    b_rx_->post(1);  // give the buffer back
    bytes += len;
  }
  EXPECT_EQ(a_tx_->head(), n % 64);
  EXPECT_EQ(b_rx_->head(), n % 64);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), n);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_BYTES), bytes);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), n);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_BYTES), bytes);
}

// A burst: 40 packets posted with one doorbell, received in order.
TEST_F(OfnicLinkTest, BurstWithOneDoorbell) {
  std::vector<std::vector<uint8_t>> frames;
  for (unsigned k = 0; k < 40; k++) {
    frames.push_back(make_frame(kMacB, kMacA, 64 + 31 * k, uint8_t(k)));
    a_tx_->add(put(frames.back()), uint16_t(frames.back().size()), OFNIC_TXD_EOP);
  }
  a_tx_->doorbell();
  ASSERT_TRUE(tx_done(*a_tx_, 39));
  for (unsigned k = 0; k < 40; k++) {
    EXPECT_EQ(a_tx_->status(k), OFNIC_TXS_DD) << k;
    ASSERT_TRUE(rx_done(*b_rx_, k));
    EXPECT_EQ(b_rx_->frame(k), frames[k]) << "frame " << k;
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 40u);
}

TEST_F(OfnicTest, BothDirections) {
  a_->enable();
  b_->enable();
  auto a_tx = make_tx(*a_), b_tx = make_tx(*b_);
  auto a_rx = make_rx(*a_), b_rx = make_rx(*b_);
  for (auto* r : {a_tx.get(), b_tx.get()}) r->start();
  for (auto* r : {a_rx.get(), b_rx.get()}) {
    r->start();
    r->post(8);
  }
  auto fab = make_frame(kMacB, kMacA, 700, 1), fba = make_frame(kMacA, kMacB, 900, 2);
  send(*a_tx, fab);
  send(*b_tx, fba);
  ASSERT_TRUE(rx_done(*b_rx, 0));
  ASSERT_TRUE(rx_done(*a_rx, 0));
  EXPECT_EQ(b_rx->frame(0), fab);
  EXPECT_EQ(a_rx->frame(0), fba);
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_PKTS), 1u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 1u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_TX_PKTS), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_BYTES), 900u);
}

// Every TX queue pair transmits; frames arrive on B's RX queue 0.
TEST_F(OfnicLinkTest, AllTxQueuesTransmit) {
  for (unsigned q = 1; q < kQueues; q++) {
    SCOPED_TRACE(fmt::format("TX queue {}", q));
    auto tx = make_tx(*a_, q, 128);
    tx->start();
    ASSERT_EQ(a_->q_status(q, Dir::kTx), OFNIC_QS_ENABLED);
    auto f = make_frame(kMacB, kMacA, 100 + q, uint8_t(q));
    ASSERT_TRUE(tx_done(*tx, send(*tx, f)));
    EXPECT_EQ(tx->head(), 1u);
    ASSERT_TRUE(rx_done(*b_rx_, q - 1));
    EXPECT_EQ(b_rx_->frame(q - 1), f);
  }
  EXPECT_EQ(a_tx_->head(), 0u) << "queue 0 untouched";
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), kQueues - 1);
}

// A frame longer than Q_BUF_SIZE spans descriptors, EOP on the last.
struct SplitCase {
  uint32_t buf_size;
  size_t frame_len;
};

void PrintTo(const SplitCase& c, std::ostream* os) {
  *os << "buf_size " << c.buf_size << ", frame " << c.frame_len;
}

class RxSplit : public OfnicTest, public ::testing::WithParamInterface<SplitCase> {};

TEST_P(RxSplit, FrameSpansDescriptors) {
  const auto [buf_size, len] = GetParam();
  a_->enable();
  b_->enable();
  auto tx = make_tx(*a_);
  auto rx = make_rx(*b_, 0, 64, buf_size);
  tx->start();
  rx->start();
  ASSERT_EQ(b_->qreg(0, Dir::kRx, OFNIC_Q_BUF_SIZE), buf_size);
  rx->post(63);
  auto f = make_frame(kMacB, kMacA, len, 9);
  ASSERT_TRUE(tx_done(*tx, send(*tx, f)));
  ASSERT_TRUE(rx_done(*rx, 0));

  const uint32_t need = uint32_t((len + buf_size - 1) / buf_size);
  for (uint32_t n = 0; n < need; n++) {
    SCOPED_TRACE(fmt::format("descriptor {} of {}", n, need));
    ofnic_rx_wb wb = rx->wb(n);
    const bool last = n == need - 1;
    EXPECT_EQ(wb.status, OFNIC_RXS_DD | (last ? OFNIC_RXS_EOP : 0));
    EXPECT_EQ(wb.len, last ? len - size_t(n) * buf_size : buf_size);
  }
  EXPECT_EQ(rx->wb(need).status, 0u);
  EXPECT_EQ(rx->head(), need);
  EXPECT_EQ(rx->frame(0), f);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_BYTES), len);
}

INSTANTIATE_TEST_SUITE_P(Ofnic, RxSplit,
                         ::testing::Values(SplitCase{256, 1000}, SplitCase{512, 1500},
                                           SplitCase{256, 256}, SplitCase{256, 257},
                                           SplitCase{1024, 1514}),
                         [](const auto& p) {
                           return fmt::format("buf{}_len{}", p.param.buf_size, p.param.frame_len);
                         });

// A frame needing more descriptors than are posted waits until they are.
TEST_F(OfnicTest, RxHoldsFrameUntilEnoughBuffers) {
  a_->enable();
  b_->enable();
  auto tx = make_tx(*a_);
  auto rx = make_rx(*b_, 0, 64, 256);
  tx->start();
  rx->start();
  rx->post(2);
  auto f = make_frame(kMacB, kMacA, 1000, 5);  // needs 4 buffers
  ASSERT_TRUE(tx_done(*tx, send(*tx, f)));
  settle();
  EXPECT_EQ(rx->wb(0).status, 0u);
  EXPECT_EQ(rx->head(), 0u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);

  rx->post(2);
  ASSERT_TRUE(rx_done(*rx, 0));
  EXPECT_EQ(rx->frame(0), f);
  EXPECT_EQ(rx->head(), 4u);
}

// Frames that arrive while one is held wait with it and are all delivered once
// buffers are posted. Their order is not guaranteed (hw-spec 7, Holding: QEMU's
// hub may release frames it queued before the held one).
TEST_F(OfnicTest, RxFramesBehindAHeldFrameAllArrive) {
  a_->enable();
  b_->enable();
  auto tx = make_tx(*a_);
  auto rx = make_rx(*b_, 0, 64, 256);
  tx->start();
  rx->start();
  rx->post(2);
  auto big = make_frame(kMacB, kMacA, 1000, 1), small = make_frame(kMacB, kMacA, 100, 2);
  ASSERT_TRUE(tx_done(*tx, send(*tx, big)));
  send(*tx, small);
  settle();
  EXPECT_EQ(rx->wb(0).status, 0u) << "nothing is accepted while a frame is held";
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);

  rx->post(10);
  ASSERT_TRUE(tx_done(*tx, 1));
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) == 2; }));
  EXPECT_EQ(rx->head(), 5u);
  const bool small_first = rx->wb(0).len == 100;
  EXPECT_EQ(rx->frame(0), small_first ? small : big);
  EXPECT_EQ(rx->frame(small_first ? 1 : 4), small_first ? big : small);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_NO_BUF), 0u) << "the device holds, it never drops";
  EXPECT_EQ(b_->qreg(0, Dir::kRx, OFNIC_Q_DROPS), 0u);
}

// A frame held for lack of buffers does not survive a device reset (hw-spec 8).
TEST_F(OfnicTest, RxHeldFrameIsDiscardedByDeviceReset) {
  a_->enable();
  b_->enable();
  auto tx = make_tx(*a_);
  auto rx = make_rx(*b_, 0, 64, 256);
  tx->start();
  rx->start();
  rx->post(2);
  ASSERT_TRUE(tx_done(*tx, send(*tx, make_frame(kMacB, kMacA, 1000, 1))));
  settle();
  ASSERT_EQ(rx->wb(0).status, 0u);

  b_->set_reg(OFNIC_REG_CTRL, OFNIC_CTRL_RESET);
  b_->enable();
  auto rx2 = make_rx(*b_, 0, 64, 2048);
  rx2->start();
  rx2->post(63);
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  EXPECT_EQ(rx2->wb(0).status, 0u);
  auto f = make_frame(kMacB, kMacA, 300, 2);
  ASSERT_TRUE(tx_done(*tx, send(*tx, f)));
  ASSERT_TRUE(rx_done(*rx2, 0));
  EXPECT_EQ(rx2->frame(0), f);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
}

// Backpressure (hw-spec 6): a frame the peer cannot take still completes, then
// the ring waits until the backend drains and resumes by itself. B's receiver
// is on but has no buffers posted (hw-spec 7, Holding).
TEST_F(OfnicLinkTest, BackpressureStopsTheRingUntilDrained) {
  starve_b();
  auto f1 = make_frame(kMacB, kMacA, 100, 1), f2 = make_frame(kMacB, kMacA, 200, 2);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f1)));
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 1u);
  uint32_t i2 = send(*a_tx_, f2);
  settle();
  EXPECT_EQ(a_tx_->status(i2), 0u) << "the ring waits for the backend";
  EXPECT_EQ(a_tx_->head(), 1u);

  b_rx_->post(63);
  ASSERT_TRUE(tx_done(*a_tx_, i2)) << "resumed by itself";
  ASSERT_TRUE(rx_done(*b_rx_, 1));
  EXPECT_EQ(b_rx_->frame(0), f1);
  EXPECT_EQ(b_rx_->frame(1), f2);
}

// A port that is off (CTRL.ENABLE = 0, or no RX ring on) drops what reaches
// it, as a MAC with RX disabled does: its link partner never stalls
// (hw-spec 7). Nothing is delivered later.
TEST_F(OfnicLinkTest, APortThatIsOffDropsAndNeverStallsItsPartner) {
  b_->set_reg(OFNIC_REG_CTRL, 0);
  for (uint8_t k = 1; k <= 4; k++) {
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100, k))));
  }
  b_->enable();
  b_->ring_reset(0, Dir::kRx);
  for (uint8_t k = 5; k <= 8; k++) {
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100, k))))
        << "B is enabled, its only RX ring is not";
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_NO_BUF), 4u) << "counted once the device is enabled";
  b_rx_->rewind();
  b_rx_->start();
  b_rx_->post(63);
  auto f = make_frame(kMacB, kMacA, 300, 9);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f) << "the frames sent while B was off were not held";
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
}

// Frames held for a port are dropped when it turns off, whichever way, and
// its partner resumes (hw-spec 7).
enum class TurnOff { kCtrl, kBusMaster, kRingDisable, kRingHalt };

class OfnicTurnOffTest : public OfnicLinkTest, public ::testing::WithParamInterface<TurnOff> {};

TEST_P(OfnicTurnOffTest, DropsHeldFramesAndReleasesThePartner) {
  const uint32_t i2 = hold_two_at_b();
  if (HasFailure()) return;
  PciConfig& c = b_->cfg();
  switch (GetParam()) {
    case TurnOff::kCtrl:
      b_->set_reg(OFNIC_REG_CTRL, 0);
      break;
    case TurnOff::kBusMaster:
      c.write16(0x04, c.read16(0x04) & ~0x4);
      break;
    case TurnOff::kRingDisable:
      b_->set_qreg(0, Dir::kRx, OFNIC_Q_CTRL, 0);
      break;
    case TurnOff::kRingHalt:
      b_->set_qreg(0, Dir::kRx, OFNIC_Q_TAIL, b_rx_->size());  // out of range
      break;
  }
  ASSERT_TRUE(tx_done(*a_tx_, i2)) << "released by B turning off";
  c.write16(0x04, c.read16(0x04) | 0x4);
  b_->enable();
  starve_b();
  b_rx_->post(63);
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u) << "the held frames were dropped, not kept";
}

INSTANTIATE_TEST_SUITE_P(Ways, OfnicTurnOffTest,
                         ::testing::Values(TurnOff::kCtrl, TurnOff::kBusMaster,
                                           TurnOff::kRingDisable, TurnOff::kRingHalt));

// Device reset discards the frames this device sent that the backend still
// queues (hw-spec 8).
TEST_F(OfnicLinkTest, DeviceResetDiscardsFramesQueuedInTheBackend) {
  starve_b();
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100, 1))));
  a_->set_reg(OFNIC_REG_CTRL, OFNIC_CTRL_RESET);
  b_rx_->post(63);
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  EXPECT_EQ(b_rx_->wb(0).status, 0u);
  // A works again after being brought up.
  a_->enable();
  auto tx = make_tx(*a_);
  tx->start();
  auto f = make_frame(kMacB, kMacA, 100, 2);
  ASSERT_TRUE(tx_done(*tx, send(*tx, f)));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f);
}

TEST_F(OfnicLinkTest, RingResetClearsBackpressure) {
  hold_two_at_b();
  if (HasFailure()) return;

  a_->ring_reset(0, Dir::kTx);
  a_tx_->rewind();
  a_tx_->start();
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100, 3))))
      << "the reset ring runs again at once";
}

// Without RX_CTRL.RSS every frame goes to QP 0's RX ring.
TEST_F(OfnicLinkTest, OnlyQueuePair0ReceivesWithoutRss) {
  auto rx1 = make_rx(*b_, 1);
  rx1->start();
  rx1->post(63);
  ASSERT_EQ(b_->q_status(1, Dir::kRx), OFNIC_QS_ENABLED);
  auto f = make_frame(kMacB, kMacA, 100);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f);
  settle();
  EXPECT_EQ(rx1->head(), 0u);
  EXPECT_EQ(rx1->wb(0).status, 0u);
}

// Link state (hw-spec 8) through QMP set_link on port A's netdev.
class OfnicLinkStateTest : public OfnicLinkTest {
 protected:
  void SetUp() override {
    with_qmp_ = true;
    OfnicLinkTest::SetUp();
  }
  void set_link(const char* netdev, bool up) {
    qt_->qmp("set_link", {{"name", netdev}, {"up", up}});
  }
};

TEST_F(OfnicLinkStateTest, LinkDownDiscardsFramesAndRaisesLinkCause) {
  set_link("n0", false);
  EXPECT_EQ(a_->reg(OFNIC_REG_STATUS) & OFNIC_STATUS_LINK_UP, 0u);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_CAUSE), OFNIC_INT_LINK) << "set whatever INT_MASK is";
  EXPECT_EQ(b_->reg(OFNIC_REG_STATUS) & OFNIC_STATUS_LINK_UP, OFNIC_STATUS_LINK_UP);

  // TX completes and counts, but the frame goes nowhere.
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100, 1))));
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_BYTES), 100u);
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  EXPECT_EQ(b_rx_->wb(0).status, 0u);

  // Nothing is received either.
  auto a_rx = make_rx(*a_);
  auto b_tx = make_tx(*b_);
  a_rx->start();
  a_rx->post(8);
  b_tx->start();
  ASSERT_TRUE(tx_done(*b_tx, send(*b_tx, make_frame(kMacA, kMacB, 100, 2))));
  settle();
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_PKTS), 0u);

  a_->set_reg(OFNIC_REG_INT_CAUSE, OFNIC_INT_LINK);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_CAUSE), 0u);
  set_link("n0", true);
  EXPECT_EQ(a_->reg(OFNIC_REG_STATUS) & OFNIC_STATUS_LINK_UP, OFNIC_STATUS_LINK_UP);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_CAUSE), OFNIC_INT_LINK);
  auto f = make_frame(kMacB, kMacA, 100, 3);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f);

  // Device reset keeps the link state and INT_CAUSE starts clean.
  set_link("n0", false);
  a_->set_reg(OFNIC_REG_CTRL, OFNIC_CTRL_RESET);
  EXPECT_EQ(a_->reg(OFNIC_REG_STATUS) & OFNIC_STATUS_LINK_UP, 0u);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_CAUSE), 0u);
}

TEST_F(OfnicLinkTest, OversizeFramesAreDroppedAndCounted) {
  auto f = make_frame(kMacB, kMacA, 1519);  // MAX_FRAME is 1518 after reset
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_OVERSIZE) == 1; }));
  EXPECT_EQ(b_rx_->wb(0).status, 0u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 1u) << "the sender does not check MAX_FRAME";

  auto ok = make_frame(kMacB, kMacA, 1518, 1);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, ok)));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), ok);

  // A jumbo MAX_FRAME lets a 9000-byte frame through, over 5 buffers.
  b_->set_reg(OFNIC_REG_MAX_FRAME, 9018);
  EXPECT_EQ(b_->reg(OFNIC_REG_MAX_FRAME), 9018u);
  auto jumbo = make_frame(kMacB, kMacA, 9000, 2);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, jumbo)));
  ASSERT_TRUE(rx_done(*b_rx_, 1));
  EXPECT_EQ(b_rx_->wb(5).status, OFNIC_RXS_DD | OFNIC_RXS_EOP);
  EXPECT_EQ(b_rx_->frame(1), jumbo);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_OVERSIZE), 1u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 2u);
}

// A frame that would need more than OFNIC_RX_MAX_DESC_PER_PKT buffers is dropped.
TEST_F(OfnicTest, RxFrameOverDescriptorLimitIsDropped) {
  a_->enable();
  b_->enable();
  b_->set_reg(OFNIC_REG_MAX_FRAME, 9018);
  auto tx = make_tx(*a_);
  auto rx = make_rx(*b_, 0, 64, 256);
  tx->start();
  rx->start();
  rx->post(63);
  auto f = make_frame(kMacB, kMacA, 256 * OFNIC_RX_MAX_DESC_PER_PKT + 1);
  ASSERT_TRUE(tx_done(*tx, send(*tx, f)));
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_OVERSIZE) == 1; }));
  EXPECT_EQ(rx->head(), 0u);
  EXPECT_EQ(rx->wb(0).status, 0u);

  auto fits = make_frame(kMacB, kMacA, 256 * OFNIC_RX_MAX_DESC_PER_PKT);
  ASSERT_TRUE(tx_done(*tx, send(*tx, fits)));
  ASSERT_TRUE(rx_done(*rx, 0));
  EXPECT_EQ(rx->head(), OFNIC_RX_MAX_DESC_PER_PKT);
  EXPECT_EQ(rx->frame(0), fits);
}

// Malformed packets that are not queue errors: written back with TXS_ERR.
TEST_F(OfnicLinkTest, TxRuntFrameIsDroppedWithErrStatus) {
  auto runt = make_frame(kMacB, kMacA, 13);
  uint32_t i = send(*a_tx_, runt);
  ASSERT_TRUE(tx_done(*a_tx_, i));
  EXPECT_EQ(a_tx_->status(i), OFNIC_TXS_DD | OFNIC_TXS_ERR);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_ERRORS), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 0u);
  EXPECT_EQ(a_->q_status(0, Dir::kTx), OFNIC_QS_ENABLED) << "the ring goes on";
  EXPECT_EQ(a_->reg(OFNIC_REG_ERR_COUNT), 0u);

  auto f = make_frame(kMacB, kMacA, 14);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f) << "the runt never reached the wire";
}

// Offload flags with all-zero offload fields are malformed requests (a
// non-IP frame cannot be segmented, csum_start 0 + csum_offset 0 is fine for
// checksumming, so only TSO is refused here).
TEST_F(OfnicLinkTest, TxOffloadWithZeroFields) {
  auto f = make_frame(kMacB, kMacA, 200);
  uint32_t i = a_tx_->add(put(f), 200, OFNIC_TXD_EOP | OFNIC_TXD_TSO);
  a_tx_->doorbell();
  ASSERT_TRUE(tx_done(*a_tx_, i));
  EXPECT_EQ(a_tx_->status(i), OFNIC_TXS_DD | OFNIC_TXS_ERR);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 0u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_ERRORS), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_OFFLOAD_ERRORS), 1u);
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
}

// DMA needs CTRL.ENABLE and PCI bus mastering.
TEST_F(OfnicLinkTest, NoTransmitWhileDeviceDisabled) {
  a_->set_reg(OFNIC_REG_CTRL, 0);
  auto f = make_frame(kMacB, kMacA, 100);
  uint32_t i = send(*a_tx_, f);
  settle();
  EXPECT_EQ(a_tx_->status(i), 0u);
  EXPECT_EQ(a_tx_->head(), 0u);
  a_->enable();
  ASSERT_TRUE(tx_done(*a_tx_, i)) << "enabling the device resumes the queues";
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f);
}

TEST_F(OfnicLinkTest, NoDmaWithoutBusMaster) {
  PciConfig& c = a_->cfg();
  c.write16(0x04, c.read16(0x04) & ~0x4);
  auto f = make_frame(kMacB, kMacA, 100);
  uint32_t i = send(*a_tx_, f);
  settle();
  EXPECT_EQ(a_tx_->status(i), 0u);
  EXPECT_EQ(a_tx_->head(), 0u);
  c.write16(0x04, c.read16(0x04) | 0x4);
  ASSERT_TRUE(tx_done(*a_tx_, i)) << "setting Bus Master kicks the rings";
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f);
}

// hw-spec 8: "Every change sets INT_CAUSE.LINK". Setting the link to the state
// it already has is no change: QEMU still calls link_status_changed, and the
// device must compare with the state it reported last.
TEST_F(OfnicLinkStateTest, SetLinkWithoutChangeRaisesNoCause) {
  set_link("n0", true);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_CAUSE), 0u) << "link was already up";
  set_link("n0", false);
  a_->set_reg(OFNIC_REG_INT_CAUSE, OFNIC_INT_LINK);
  set_link("n0", false);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_CAUSE), 0u) << "link was already down";
}

class OfnicQmpLinkTest : public OfnicLinkTest {
 protected:
  void SetUp() override {
    with_qmp_ = true;
    OfnicLinkTest::SetUp();
  }
};

// A stopped VM's memory must not change (a migration or snapshot copies it):
// a doorbell rung while the VM is stopped sends nothing and writes nothing
// back until "cont", and then the frame goes through.
TEST_F(OfnicQmpLinkTest, VmStopFreezesTheDevice) {
  auto f = make_frame(kMacB, kMacA, 1000);
  qt_->qmp("stop");
  uint32_t i = send(*a_tx_, f);
  settle();
  EXPECT_EQ(a_tx_->status(i), 0u) << "TX wrote back while the VM was stopped";
  EXPECT_EQ(b_rx_->wb(0).status & OFNIC_RXS_DD, 0) << "RX wrote while the VM was stopped";
  qt_->qmp("cont");
  ASSERT_TRUE(tx_done(*a_tx_, i));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_TRUE(b_rx_->frame(0) == f);
}

}  // namespace
}  // namespace ofnic::test
