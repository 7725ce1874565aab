// Interrupt moderation (hw-spec 3): QP_ITR_RX / QP_ITR_TX frames and usecs,
// combined with the vectors' arm/auto-mask rule. Virtual time only moves on
// clock_step, so the usecs criterion is deterministic.
#include <cstring>

#include <fmt/format.h>

#include "device_fixture.h"
#include "packet.h"

namespace ofnic::test {
namespace {

constexpr uint64_t kUs = 1000;
constexpr unsigned kQp0 = OFNIC_MSIX_QP(0);

class OfnicItrTest : public OfnicLinkTest {
 protected:
  void SetUp() override {
    OfnicLinkTest::SetUp();
    if (HasFatalFailure()) return;
    mailbox_ = mem_.alloc(2 * OFNIC_MSIX_VECTORS * 4, 64);
    for (int port = 0; port < 2; port++) {
      OfnicPort& p = port ? *b_ : *a_;
      for (unsigned v = 0; v < OFNIC_MSIX_VECTORS; v++) {
        p.msix_vector(v, box(port, v), 0x100u | v, false);
      }
      p.msix_enable(true);
    }
  }
  uint64_t box(int port, unsigned v) const {
    return mailbox_ + 4 * (uint64_t(port) * OFNIC_MSIX_VECTORS + v);
  }
  // Whether the vector sent a message since the last call (clears it).
  bool fired(int port, unsigned v = kQp0) {
    settle();
    bool f = qt_->readl(box(port, v)) != 0;
    qt_->writel(box(port, v), 0);
    return f;
  }
  // A sends one frame to B and both finish with it.
  void frame() {
    uint32_t before = b_rx_->head();
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100))));
    ASSERT_TRUE(wait_for([&] { return b_rx_->head() == ((before + 1) & 63); }));
  }
  void step_us(uint64_t us) { qt_->clock_step(us * kUs); }
  static uint32_t itr(uint16_t frames, uint16_t usecs) {
    return uint32_t(frames) << OFNIC_ITR_FRAMES_SHIFT | usecs;
  }
  uint64_t mailbox_ = 0;
};

TEST_F(OfnicItrTest, FramesThreshold) {
  b_->set_qp_reg(0, OFNIC_QP_ITR_RX, itr(3, 0));
  frame();
  frame();
  EXPECT_FALSE(fired(1));
  frame();
  EXPECT_TRUE(fired(1)) << "third frame";
  // The count starts again after a message; the vector must be re-armed too.
  b_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  EXPECT_FALSE(fired(1));
  frame();
  frame();
  EXPECT_FALSE(fired(1));
  frame();
  EXPECT_TRUE(fired(1));
}

TEST_F(OfnicItrTest, UsecsSinceFirstEvent) {
  b_->set_qp_reg(0, OFNIC_QP_ITR_RX, itr(0, 100));
  frame();
  EXPECT_FALSE(fired(1));
  step_us(60);
  frame();  // a second event does not restart the time
  EXPECT_FALSE(fired(1));
  step_us(39);
  EXPECT_FALSE(fired(1));
  step_us(1);
  EXPECT_TRUE(fired(1)) << "100 us after the first event";
  step_us(1000);
  EXPECT_FALSE(fired(1)) << "nothing counted since";
}

TEST_F(OfnicItrTest, WhicheverComesFirst) {
  b_->set_qp_reg(0, OFNIC_QP_ITR_RX, itr(4, 100));
  frame();
  frame();
  step_us(100);
  EXPECT_TRUE(fired(1)) << "time first";
  b_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  for (int k = 0; k < 3; k++) frame();
  EXPECT_FALSE(fired(1));
  frame();
  EXPECT_TRUE(fired(1)) << "count first";
  b_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  step_us(200);
  EXPECT_FALSE(fired(1)) << "the timer of the released events is gone";
}

TEST_F(OfnicItrTest, AtOnceSettings) {
  for (uint32_t v : {itr(0, 0), itr(1, 0), itr(1, 500)}) {
    SCOPED_TRACE(fmt::format("ITR {:#x}", v));
    b_->set_qp_reg(0, OFNIC_QP_ITR_RX, v);
    frame();
    EXPECT_TRUE(fired(1));
    b_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  }
}

// Arming with events counted but moderation not satisfied sends nothing; the
// message goes when moderation is satisfied. A message that became due while
// the vector was disarmed goes at once on arming.
TEST_F(OfnicItrTest, ArmWaitsForModeration) {
  b_->set_qp_reg(0, OFNIC_QP_ITR_RX, itr(0, 100));
  frame();
  step_us(100);
  ASSERT_TRUE(fired(1));  // now disarmed
  frame();
  b_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  EXPECT_FALSE(fired(1)) << "counted, not due: arming waits";
  step_us(100);
  EXPECT_TRUE(fired(1)) << "due and armed";
  // Due while disarmed: pending, sent on arming.
  frame();
  step_us(100);
  EXPECT_FALSE(fired(1));
  b_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  EXPECT_TRUE(fired(1));
}

// Rewriting the register applies to events already counted.
TEST_F(OfnicItrTest, RegisterWriteReevaluates) {
  b_->set_qp_reg(0, OFNIC_QP_ITR_RX, itr(0, 5000));
  frame();
  EXPECT_FALSE(fired(1));
  b_->set_qp_reg(0, OFNIC_QP_ITR_RX, 0);
  EXPECT_TRUE(fired(1));
  b_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  b_->set_qp_reg(0, OFNIC_QP_ITR_RX, itr(10, 0));
  frame();
  frame();
  b_->set_qp_reg(0, OFNIC_QP_ITR_RX, itr(2, 0));
  EXPECT_TRUE(fired(1));
}

// TX events count packets; RX and TX moderate separately on one vector.
TEST_F(OfnicItrTest, TxModeration) {
  a_->set_qp_reg(0, OFNIC_QP_ITR_TX, itr(3, 0));
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100))));
  EXPECT_FALSE(fired(0));
  // Two packets with one doorbell: one pass, two events.
  a_tx_->add(put(make_frame(kMacB, kMacA, 100)), 100, OFNIC_TXD_EOP);
  uint32_t i = a_tx_->add(put(make_frame(kMacB, kMacA, 100)), 100, OFNIC_TXD_EOP);
  a_tx_->doorbell();
  ASSERT_TRUE(tx_done(*a_tx_, i));
  EXPECT_TRUE(fired(0));
  // An RX event of the same pair is not moderated by ITR_TX.
  a_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  auto a_rx = make_rx(*a_);
  auto b_tx = make_tx(*b_);
  a_rx->start();
  a_rx->post(8);
  b_tx->start();
  ASSERT_TRUE(tx_done(*b_tx, send(*b_tx, make_frame(kMacA, kMacB, 100))));
  ASSERT_TRUE(rx_done(*a_rx, 0));
  EXPECT_TRUE(fired(0));
}

TEST_F(OfnicItrTest, ResetClearsModeration) {
  b_->set_qp_reg(0, OFNIC_QP_ITR_RX, itr(0, 100));
  frame();
  b_->set_reg(OFNIC_REG_CTRL, OFNIC_CTRL_RESET);
  EXPECT_EQ(b_->qp_reg(0, OFNIC_QP_ITR_RX), 0u);
  step_us(200);
  EXPECT_FALSE(fired(1)) << "counted events are dropped by reset";
}

}  // namespace
}  // namespace ofnic::test
