// Interrupt registers and MSI-X. A vector's message address points into guest
// RAM, so a message shows up as its data word written there ("mailbox").
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "device_fixture.h"

namespace ofnic::test {
namespace {

TEST_F(OfnicLinkTest, InterruptRegisters) {
  a_->set_reg(OFNIC_REG_INT_MASK, 0xffffffff);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_MASK), OFNIC_INT_LINK | OFNIC_INT_QERR);
  a_->set_reg(OFNIC_REG_INT_MASK, 0);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_MASK), 0u);
  a_->set_reg(OFNIC_REG_INT_CAUSE, 0xffffffff);
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_CAUSE), 0u) << "RW1C: writing cannot set a cause";
  a_->set_reg(OFNIC_REG_ADMIN_ARM, 1);
  EXPECT_EQ(a_->reg(OFNIC_REG_ADMIN_ARM), 0u) << "write-only";
  a_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  EXPECT_EQ(a_->qp_reg(0, OFNIC_QP_INT_ARM), 0u) << "write-only";
  a_->set_qp_reg(1, OFNIC_QP_ITR_RX, 100);
  EXPECT_EQ(a_->qp_reg(1, OFNIC_QP_ITR_RX), 100u);
  EXPECT_EQ(a_->qp_reg(0, OFNIC_QP_ITR_RX), 0u) << "per queue pair";
}

class OfnicMsixTest : public OfnicLinkTest {
 protected:
  using Vec = std::pair<int, unsigned>;  // port (0 = A, 1 = B), vector

  void SetUp() override {
    OfnicLinkTest::SetUp();
    if (HasFatalFailure()) return;
    mailbox_ = mem_.alloc(kMailboxes * 4, 64);
    for (int port = 0; port < 2; port++) {
      for (unsigned v = 0; v < OFNIC_MSIX_VECTORS; v++) {
        this->port(port).msix_vector(v, mailbox(port, v), data(port, v), false);
      }
      this->port(port).msix_enable(true);
    }
  }

  OfnicPort& port(int p) { return p ? *b_ : *a_; }
  uint64_t mailbox(int port, unsigned v) const {
    return mailbox_ + 4 * (uint64_t(port) * OFNIC_MSIX_VECTORS + v);
  }
  static uint32_t data(int port, unsigned v) { return 0x0f1c0000u | uint32_t(port) << 8 | v; }

  // The messages written since the last call (and empties the mailboxes).
  std::set<Vec> take() {
    std::set<Vec> got;
    auto raw = qt_->read(mailbox_, kMailboxes * 4);
    for (int port = 0; port < 2; port++) {
      for (unsigned v = 0; v < OFNIC_MSIX_VECTORS; v++) {
        uint32_t w;
        std::memcpy(&w, raw.data() + 4 * (port * OFNIC_MSIX_VECTORS + v), 4);
        if (w == 0) continue;
        EXPECT_EQ(w, data(port, v)) << "mailbox of port " << port << " vector " << v;
        got.insert({port, v});
      }
    }
    qt_->memset(mailbox_, kMailboxes * 4, 0);
    return got;
  }
  // Waits for exactly these messages.
  ::testing::AssertionResult expect_messages(const std::set<Vec>& want) {
    std::set<Vec> got;
    wait_for([&] {
      auto now = take();
      got.insert(now.begin(), now.end());
      return got.size() >= want.size();
    });
    settle();
    auto late = take();
    got.insert(late.begin(), late.end());
    if (got == want) return ::testing::AssertionSuccess();
    auto str = [](const std::set<Vec>& s) {
      std::string r;
      for (auto [p, v] : s) r += fmt::format(" {}:{}", p ? 'B' : 'A', v);
      return r.empty() ? std::string(" none") : r;
    };
    return ::testing::AssertionFailure()
           << "MSI-X messages:" << str(got) << "; expected" << str(want);
  }

  static constexpr unsigned kMailboxes = 2 * OFNIC_MSIX_VECTORS;
  uint64_t mailbox_ = 0;
};

constexpr unsigned kQp0 = OFNIC_MSIX_QP(0);

TEST_F(OfnicMsixTest, QueueVectorAutoMasksAndRearms) {
  // TX completion on A and RX write-back on B each send their pair's vector.
  send(*a_tx_, make_frame(kMacB, kMacA, 100));
  EXPECT_TRUE(expect_messages({{0, kQp0}, {1, kQp0}}));

  // Both vectors are now disarmed: events are only recorded.
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100))));
  ASSERT_TRUE(rx_done(*b_rx_, 1));
  EXPECT_TRUE(expect_messages({}));

  // Re-arming with an event pending sends the message at once.
  a_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  EXPECT_TRUE(expect_messages({{0, kQp0}}));
  // Re-arming with nothing pending sends nothing...
  a_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  EXPECT_TRUE(expect_messages({}));
  a_->set_qp_reg(0, OFNIC_QP_INT_ARM, 0);
  b_->set_qp_reg(0, OFNIC_QP_INT_ARM, 0);
  EXPECT_TRUE(expect_messages({})) << "writing 0 does not arm";
  b_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  EXPECT_TRUE(expect_messages({{1, kQp0}})) << "B had an event pending";
  b_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  EXPECT_TRUE(expect_messages({}));

  // ...and the next event sends it.
  send(*a_tx_, make_frame(kMacB, kMacA, 100));
  EXPECT_TRUE(expect_messages({{0, kQp0}, {1, kQp0}}));
}

TEST_F(OfnicMsixTest, EachQueuePairHasItsVector) {
  auto tx = make_tx(*a_, 2);
  tx->start();
  ASSERT_TRUE(tx_done(*tx, send(*tx, make_frame(kMacB, kMacA, 100))));
  // A's pair 2 completed a TX packet; B received it on pair 0.
  EXPECT_TRUE(expect_messages({{0, OFNIC_MSIX_QP(2)}, {1, kQp0}}));
}

TEST_F(OfnicMsixTest, AdminVectorOnQueueError) {
  auto bad_ring = [&](unsigned q) {  // size 0: RING_CONFIG on enable
    a_->config_ring(q, Dir::kTx, 0x100000, 0);
    a_->ring_enable(q, Dir::kTx);
    ASSERT_TRUE(a_->q_status(q, Dir::kTx) & OFNIC_QS_ERROR);
  };
  // A cause that is not in INT_MASK sends nothing.
  bad_ring(1);
  EXPECT_TRUE(a_->reg(OFNIC_REG_INT_CAUSE) & OFNIC_INT_QERR);
  EXPECT_TRUE(expect_messages({}));
  // Unmasking a set cause is an event.
  a_->set_reg(OFNIC_REG_INT_MASK, OFNIC_INT_QERR);
  EXPECT_TRUE(expect_messages({{0, OFNIC_MSIX_ADMIN}}));
  // Disarmed: a further error sends nothing; re-arming with the cause still
  // set sends it.
  bad_ring(2);
  EXPECT_TRUE(expect_messages({}));
  a_->set_reg(OFNIC_REG_ADMIN_ARM, 1);
  EXPECT_TRUE(expect_messages({{0, OFNIC_MSIX_ADMIN}}));
  // Cause cleared, then re-armed: nothing to send; the next error sends.
  a_->set_reg(OFNIC_REG_INT_CAUSE, OFNIC_INT_QERR);
  a_->set_reg(OFNIC_REG_ADMIN_ARM, 1);
  EXPECT_TRUE(expect_messages({}));
  bad_ring(3);
  EXPECT_TRUE(expect_messages({{0, OFNIC_MSIX_ADMIN}}));
  EXPECT_EQ(b_->reg(OFNIC_REG_INT_CAUSE), 0u);
}

TEST_F(OfnicMsixTest, MaskedVectorIsPendingUntilUnmasked) {
  a_->msix_vector(kQp0, mailbox(0, kQp0), data(0, kQp0), true);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100))));
  EXPECT_TRUE(expect_messages({{1, kQp0}}));
  EXPECT_TRUE(a_->msix_pending(kQp0));
  a_->msix_vector(kQp0, mailbox(0, kQp0), data(0, kQp0), false);
  EXPECT_TRUE(expect_messages({{0, kQp0}}));
  EXPECT_FALSE(a_->msix_pending(kQp0));
}

// With MSI-X disabled nothing is sent; events are remembered, and enabling
// MSI-X does not send them: arming does (hw-spec 3).
TEST_F(OfnicMsixTest, NoMessagesWhileMsixDisabled) {
  a_->msix_enable(false);
  b_->msix_enable(false);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100))));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  a_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  EXPECT_TRUE(expect_messages({}));
  a_->msix_enable(true);
  b_->msix_enable(true);
  EXPECT_TRUE(expect_messages({}));
  a_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  b_->set_qp_reg(0, OFNIC_QP_INT_ARM, 1);
  EXPECT_TRUE(expect_messages({{0, kQp0}, {1, kQp0}}));
}

// A packet completed with TXS_ERR is a queue pair event too.
TEST_F(OfnicMsixTest, TxErrPacketIsAnEvent) {
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 10))));
  EXPECT_EQ(a_tx_->status(0), OFNIC_TXS_DD | OFNIC_TXS_ERR);
  EXPECT_TRUE(expect_messages({{0, kQp0}}));
}

// A message generated while Bus Master is clear is lost and leaves the vector
// disarmed until re-armed (hw-spec 2).
TEST_F(OfnicMsixTest, MessageWithoutBusMasterIsLost) {
  PciConfig& c = a_->cfg();
  a_->set_reg(OFNIC_REG_INT_MASK, OFNIC_INT_QERR);
  c.write16(0x04, c.read16(0x04) & ~0x4);
  a_->config_ring(1, Dir::kTx, 0x100000, 0);
  a_->ring_enable(1, Dir::kTx);
  ASSERT_TRUE(a_->reg(OFNIC_REG_INT_CAUSE) & OFNIC_INT_QERR);
  EXPECT_TRUE(expect_messages({}));
  c.write16(0x04, c.read16(0x04) | 0x4);
  EXPECT_TRUE(expect_messages({})) << "not sent again by itself";
  a_->set_reg(OFNIC_REG_ADMIN_ARM, 1);
  EXPECT_TRUE(expect_messages({{0, OFNIC_MSIX_ADMIN}}));
}

// Link changes raise the admin vector when INT_MASK.LINK is set.
class OfnicMsixLinkTest : public OfnicMsixTest {
 protected:
  void SetUp() override {
    with_qmp_ = true;
    OfnicMsixTest::SetUp();
  }
};

TEST_F(OfnicMsixLinkTest, LinkChangeRaisesAdminVector) {
  b_->set_reg(OFNIC_REG_INT_MASK, OFNIC_INT_LINK);
  qt_->qmp("set_link", {{"name", "n1"}, {"up", false}});
  EXPECT_TRUE(expect_messages({{1, OFNIC_MSIX_ADMIN}}));
  EXPECT_EQ(b_->reg(OFNIC_REG_INT_CAUSE), OFNIC_INT_LINK);
  b_->set_reg(OFNIC_REG_INT_CAUSE, OFNIC_INT_LINK);
  b_->set_reg(OFNIC_REG_ADMIN_ARM, 1);
  EXPECT_TRUE(expect_messages({}));
  qt_->qmp("set_link", {{"name", "n1"}, {"up", true}});
  EXPECT_TRUE(expect_messages({{1, OFNIC_MSIX_ADMIN}}));
  EXPECT_EQ(a_->reg(OFNIC_REG_INT_CAUSE), 0u) << "port A's link did not change";
}

class OfnicHostileMsixTest : public OfnicMsixTest {
 protected:
  void SetUp() override {
    port_props_ = ",hostile-seed=9,hostile-rate=1000";
    OfnicMsixTest::SetUp();
  }
};

// hostile-rate=1000: every frame B writes back lies, and about one in eleven
// lies about its interrupt. B's queue pairs 1..3 have no ring, yet their
// vectors fire (spurious messages); every frame is still written back.
TEST_F(OfnicHostileMsixTest, SpuriousMessagesOnIdleQueuePairs) {
  std::set<Vec> got;
  for (int k = 0; k < 50; k++) {
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 200, uint8_t(k)))));
    auto now = take();
    got.insert(now.begin(), now.end());
  }
  settle();
  auto late = take();
  got.insert(late.begin(), late.end());
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 50u);
  unsigned idle = 0;
  for (unsigned q = 1; q < kQueues; q++) idle += got.count({1, OFNIC_MSIX_QP(q)});
  EXPECT_GT(idle, 0u) << "no message on an idle queue pair of B";
}

}  // namespace
}  // namespace ofnic::test
