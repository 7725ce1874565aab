// Destination MAC filtering on receive.
#include <fmt/format.h>

#include "device_fixture.h"

namespace ofnic::test {
namespace {

class OfnicFilterTest : public OfnicLinkTest {
 protected:
  // Sends a frame to dst from A and waits until A has sent it.
  std::vector<uint8_t> send_to(const Mac& dst, size_t len = 200) {
    auto f = make_frame(dst, kMacA, len, seed_++);
    uint32_t i = send(*a_tx_, f);
    EXPECT_TRUE(tx_done(*a_tx_, i));
    return f;
  }
  // Expects the frame to have been filtered: counted, nothing written.
  void expect_filtered(uint64_t filtered_before) {
    EXPECT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_FILTERED) == filtered_before + 1; }))
        << "RX_FILTERED " << b_->stat(OFNIC_STAT_RX_FILTERED);
    uint32_t head = b_rx_->head();
    EXPECT_EQ(b_rx_->wb(head).status, 0u);
    auto buf = qt_->read(b_rx_->buf_addr(head), 64);
    EXPECT_EQ(buf, std::vector<uint8_t>(64, 0)) << "nothing written to the buffer";
  }
  uint8_t seed_ = 1;
};

TEST_F(OfnicFilterTest, OtherUnicastIsFiltered) {
  send_to(kMacOther);
  expect_filtered(0);
  EXPECT_EQ(b_rx_->head(), 0u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_BYTES), 0u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 1u) << "it was sent";

  auto f = send_to(kMacB);
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_FILTERED), 1u);
}

TEST_F(OfnicFilterTest, BroadcastAndMulticastAreAccepted) {
  const Mac multicast{0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
  auto bc = send_to(kBroadcast);
  auto mc = send_to(multicast);
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  ASSERT_TRUE(rx_done(*b_rx_, 1));
  EXPECT_EQ(b_rx_->frame(0), bc);
  EXPECT_EQ(b_rx_->frame(1), mc);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 2u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_FILTERED), 0u);
}

TEST_F(OfnicFilterTest, PromiscAcceptsOtherUnicast) {
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_PROMISC);
  EXPECT_EQ(b_->reg(OFNIC_REG_RX_CTRL) & OFNIC_RXC_PROMISC, OFNIC_RXC_PROMISC);
  auto f = send_to(kMacOther);
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_FILTERED), 0u);

  b_->set_reg(OFNIC_REG_RX_CTRL, 0);
  send_to(kMacOther);
  expect_filtered(0);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
}

TEST_F(OfnicFilterTest, MacRegistersProgramTheFilter) {
  b_->set_mac(kMacOther);
  EXPECT_EQ(to_string(b_->mac()), to_string(kMacOther));
  auto f = send_to(kMacOther);
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f);

  send_to(kMacB);  // the old address
  expect_filtered(0);
}

// The filter comes before the length check (hw-spec 7, Acceptance).
TEST_F(OfnicFilterTest, OversizeFrameToOtherMacCountsAsFiltered) {
  send_to(kMacOther, 2000);
  expect_filtered(0);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_OVERSIZE), 0u);
  send_to(kMacB, 2000);
  EXPECT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_OVERSIZE) == 1; }));
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_FILTERED), 1u);
}

// The shortest frame the filter handles: an Ethernet header alone.
TEST_F(OfnicFilterTest, HeaderOnlyFrameIsAccepted) {
  auto f = send_to(kMacB, 14);  // header only
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->wb(0).len, 14);
  EXPECT_EQ(b_rx_->frame(0), f);
}

}  // namespace
}  // namespace ofnic::test
