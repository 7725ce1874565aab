// LRO (hw-spec 7): merging rules, flush triggers, limits, timeout.
#include <fmt/format.h>

#include "device_fixture.h"
#include "packet.h"

namespace ofnic::test {
namespace {

class OfnicLroTest : public OfnicLroLinkTest {
 protected:
  // Segment k of a flow: payload len bytes at seq base + offset.
  Pkt seg(uint32_t offset, size_t len, uint8_t flags = kTcpAck, bool v6 = false) {
    Pkt p;
    p.v6 = v6;
    if (v6) {
      p.src = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
      p.dst = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    }
    p.seq = 100000 + offset;
    p.flags = flags;
    p.tcp_opts = ts_option(77, 88);
    p.ip_id = uint16_t(0x100 + offset / 1000);  // +1 per 1000-byte segment
    p.payload = payload_pattern(len, uint8_t(offset / 100));
    return p;
  }
  void send_pkt(const Pkt& p) {
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, build(kMacB, kMacA, p))));
  }
  // Sends segments of len bytes from offset, returning the next offset.
  uint32_t send_segs(uint32_t offset, unsigned n, size_t len = 1000, bool v6 = false) {
    for (unsigned k = 0; k < n; k++) {
      send_pkt(seg(offset, len, kTcpAck, v6));
      offset += uint32_t(len);
    }
    return offset;
  }
  // Checks B's frame at slot: a merge of segs segments starting at offset.
  void expect_merged(uint32_t slot, uint32_t offset, unsigned segs, size_t len = 1000,
                     size_t last_len = 1000, bool v6 = false, bool psh = false) {
    ASSERT_TRUE(rx_done(*b_rx_, slot));
    ofnic_rx_wb wb = b_rx_->wb(slot);
    auto f = b_rx_->frame(slot);
    Parsed ps = parse(f);
    const size_t hdr = v6 ? 86 : 66;
    const size_t total = len * (segs - 1) + last_len;
    ASSERT_EQ(f.size(), hdr + total);
    uint32_t st = OFNIC_RXS_DD | OFNIC_RXS_L4_OK | (v6 ? 0 : OFNIC_RXS_L3_OK) |
                  (f.size() <= 2048 ? OFNIC_RXS_EOP : 0);
    if (segs > 1) {
      st |= OFNIC_RXS_LRO;
      EXPECT_EQ(wb.lro_segs, segs);
      EXPECT_EQ(wb.lro_mss, len);
    } else {
      EXPECT_EQ(wb.lro_segs, 0);
      EXPECT_EQ(wb.lro_mss, 0);
    }
    EXPECT_EQ(wb.status & ~OFNIC_RXS_RSS, st);
    EXPECT_EQ(ps.end, f.size()) << "IP length fixed";
    if (!v6) {
      EXPECT_TRUE(ip4_csum_ok(f)) << "IPv4 header checksum fixed";
      EXPECT_EQ(be16(f, 18), uint16_t(0x100 + offset / 1000)) << "first segment's IP ID";
    }
    EXPECT_EQ(be32(f, ps.l4 + 4), 100000 + offset) << "first segment's sequence number";
    EXPECT_EQ(f[ps.l4 + 13], kTcpAck | (psh ? kTcpPsh : 0));
    // The payload is the concatenation, in order.
    std::vector<uint8_t> want;
    for (unsigned k = 0; k < segs; k++) {
      auto p = payload_pattern(k + 1 == segs ? last_len : len, uint8_t((offset + k * len) / 100));
      want.insert(want.end(), p.begin(), p.end());
    }
    EXPECT_TRUE(std::equal(want.begin(), want.end(), f.begin() + hdr));
  }
};

TEST_F(OfnicLroTest, InOrderSegmentsMergeUntilTimeout) {
  send_segs(0, 5);
  settle();
  EXPECT_EQ(b_rx_->wb(0).status, 0u) << "waiting for more segments";
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  step_us(49);
  settle();
  EXPECT_EQ(b_rx_->wb(0).status, 0u) << "LRO_TIMEOUT is 50 us after the first segment";
  step_us(1);
  expect_merged(0, 0, 5);
  EXPECT_EQ(b_rx_->head(), 3u) << "5066 bytes over 2048-byte buffers";
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 1u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_SEGS), 5u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_BYTES), 66u + 5000);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_CSUM_GOOD), 1u);
}

TEST_F(OfnicLroTest, Ipv6SegmentsMerge) {
  send_segs(0, 3, 1000, true);
  step_us(50);
  expect_merged(0, 0, 3, 1000, 1000, true);
}

// As in GRO, a frame's segments share their ACK number and window: a change
// in either ends the frame, and the changed segment starts the next one.
TEST_F(OfnicLroTest, AckOrWindowChangeEndsTheFrame) {
  Pkt a = seg(0, 1000), b = seg(1000, 1000), c = seg(2000, 1000), d = seg(3000, 1000);
  c.ack = 9999;
  d.ack = 9999;
  d.win = 77;
  send_pkt(a);
  send_pkt(b);
  send_pkt(c);
  expect_merged(0, 0, 2);
  send_pkt(d);
  ASSERT_TRUE(rx_done(*b_rx_, 2));  // a+b: 2066 bytes, two buffers
  EXPECT_EQ(b_rx_->wb(2).status & OFNIC_RXS_LRO, 0u) << "c alone";
  EXPECT_EQ(be32(b_rx_->frame(2), 34 + 8), 9999u);
  step_us(50);
  ASSERT_TRUE(rx_done(*b_rx_, 3));
  auto f = b_rx_->frame(3);
  EXPECT_EQ(be16(f, 34 + 14), 77) << "d's own window";
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 3u);
}

TEST_F(OfnicLroTest, PshAndShortSegmentEndTheFrame) {
  uint32_t off = send_segs(0, 3);
  send_pkt(seg(off, 1000, kTcpAck | kTcpPsh));
  expect_merged(0, 0, 4, 1000, 1000, false, true);  // no clock step needed
  off += 1000;
  uint32_t off2 = send_segs(off, 2);
  send_pkt(seg(off2, 300));
  expect_merged(2, off, 3, 1000, 300);
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 2u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_SEGS), 7u);
}

// A frame that does not match flushes the context first, then is handled.
TEST_F(OfnicLroTest, NonMatchingFrameFlushesFirst) {
  uint32_t off = send_segs(0, 2);
  Pkt other = seg(0, 500);
  other.sport = 1;  // another flow
  send_pkt(other);
  expect_merged(0, 0, 2);
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u) << "the other flow's segment now waits";
  // A non-TCP frame for the queue flushes the waiting segment, then is written.
  auto raw = make_frame(kMacB, kMacA, 100);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, raw)));
  ASSERT_TRUE(rx_done(*b_rx_, 3));
  EXPECT_EQ(b_rx_->wb(2).status & OFNIC_RXS_LRO, 0u) << "a single segment is a plain frame";
  EXPECT_EQ(b_rx_->wb(2).len, 566);
  EXPECT_EQ(b_rx_->frame(3), raw);
  // Out of order: the next segment of flow 1 after a gap starts a new frame.
  send_pkt(seg(off + 1000, 1000));
  send_pkt(seg(off + 2000, 1000));
  send_pkt(seg(off, 1000));  // old data
  step_us(50);
  expect_merged(4, off + 1000, 2);
  expect_merged(6, off, 1);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 5u);
}

// What must not merge: flags, checksums, options, IP fields, larger segments.
TEST_F(OfnicLroTest, OnlyStrictlyMatchingSegmentsMerge) {
  struct Case {
    const char* what;
    std::function<void(Pkt&)> change;  // applied to the second segment
    bool second_starts;                // the second starts its own context
  } cases[] = {
      {"different TS option", [](Pkt& p) { p.tcp_opts = ts_option(78, 88); }, true},
      {"TTL", [](Pkt& p) { p.ttl = 63; }, true},
      {"IP ID not +1", [](Pkt& p) { p.ip_id = uint16_t(p.ip_id + 1); }, true},
      {"IP ID going back", [](Pkt& p) { p.ip_id = uint16_t(p.ip_id - 2); }, true},
      {"DF", [](Pkt& p) { p.df = false; }, true},
      {"ACK number", [](Pkt& p) { p.ack += 1; }, true},
      {"window", [](Pkt& p) { p.win = uint16_t(p.win + 1); }, true},
      {"larger payload", [](Pkt& p) { p.payload = payload_pattern(1001, p.seq / 100); }, true},
      {"URG", [](Pkt& p) { p.flags |= kTcpUrg; }, false},
      {"ECE", [](Pkt& p) { p.flags |= kTcpEce; }, true},
      {"CWR", [](Pkt& p) { p.flags |= kTcpCwr; }, true},
      {"SYN", [](Pkt& p) { p.flags |= kTcpSyn; }, false},
      {"RST", [](Pkt& p) { p.flags = kTcpRst | kTcpAck; }, false},
  };
  uint32_t slot = 0, off = 0;
  uint64_t pkts = 0;
  for (auto& c : cases) {
    SCOPED_TRACE(c.what);
    send_pkt(seg(off, 1000));
    Pkt p = seg(off + 1000, 1000);
    c.change(p);
    send_pkt(p);
    step_us(50);
    pkts += 2;
    ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) == pkts; }));
    EXPECT_EQ(b_rx_->wb(slot).status & OFNIC_RXS_LRO, 0u);
    EXPECT_EQ(b_rx_->wb(slot).len, 1066);
    EXPECT_EQ(b_rx_->wb(slot + 1).status & OFNIC_RXS_LRO, 0u);
    slot += 2;
    off += 3000;
    b_rx_->post(2);
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 0u);
  // A segment with a bad checksum is never merged; it is reported bad.
  send_pkt(seg(off, 1000));
  auto bad = build(kMacB, kMacA, seg(off + 1000, 1000));
  bad.back() ^= 1;
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, bad)));
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) == pkts + 2; }));
  EXPECT_EQ(b_rx_->wb(slot + 1).status & OFNIC_RXS_L4_BAD, OFNIC_RXS_L4_BAD);
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 0u);
  // Pure ACKs (no payload) pass through unmerged and do not wait.
  Pkt ack = seg(off + 2000, 0);
  send_pkt(ack);
  send_pkt(ack);
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) == pkts + 4; }));
}

TEST_F(OfnicLroTest, MaxSegsLimit) {
  b_->set_reg(OFNIC_REG_LRO_MAX_SEGS, 3);
  send_segs(0, 7);
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) == 2; }));
  expect_merged(0, 0, 3);
  expect_merged(2, 3000, 3);
  step_us(50);
  expect_merged(4, 6000, 1);
}

// LRO_MAX_SEGS lowered below an open context's count: the context takes no
// further segment; it is written when the next one arrives, which starts anew.
TEST_F(OfnicLroTest, MaxSegsLoweredMidFlow) {
  send_segs(0, 4);
  b_->set_reg(OFNIC_REG_LRO_MAX_SEGS, 3);
  send_segs(4000, 1);
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) >= 1; }));
  expect_merged(0, 0, 4);
  step_us(50);
  expect_merged(2, 4000, 1);
}

TEST_F(OfnicLroTest, MaxLenLimit) {
  b_->set_reg(OFNIC_REG_LRO_MAX_LEN, 3066);  // exactly 3 segments
  send_segs(0, 4);
  expect_merged(0, 0, 3);
  step_us(50);
  expect_merged(2, 3000, 1);
}

// Big frames are limited by descriptors too: 32 buffers.
TEST_F(OfnicLroTest, FrameSpanningManyBuffers) {
  send_segs(0, 40);  // 40 KB, default limits: 64 segs, 65535 bytes
  step_us(50);
  expect_merged(0, 0, 40);
  EXPECT_EQ(b_rx_->head(), 20u) << "40066 bytes in 2048-byte buffers";
}

TEST_F(OfnicLroTest, TimeoutRegister) {
  b_->set_reg(OFNIC_REG_LRO_TIMEOUT, 1000);
  send_segs(0, 2);
  step_us(999);
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  step_us(1);
  expect_merged(0, 0, 2);
}

// A frame that cannot be written for lack of descriptors stays pending; the
// queue's later frames wait behind it; a TAIL write releases both, in order.
TEST_F(OfnicLroTest, PendingFlushWaitsForDescriptors) {
  // Fresh B ring with only 2 descriptors posted.
  b_->ring_reset(0, Dir::kRx);
  b_rx_ = make_rx(*b_, 0);
  b_rx_->start();
  b_rx_->post(2);
  send_segs(0, 4);
  send_pkt(seg(4000, 1000, kTcpAck | kTcpPsh));  // 5066 bytes: needs 3 buffers
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  step_us(100);
  auto raw = make_frame(kMacB, kMacA, 100);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, raw)));
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u) << "held behind the pending frame";
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_NO_BUF), 0u);
  b_rx_->post(10);
  expect_merged(0, 0, 5, 1000, 1000, false, true);
  ASSERT_TRUE(rx_done(*b_rx_, 3));
  EXPECT_EQ(b_rx_->frame(3), raw);
}

// RX_CTRL changes, ring disable and device reset end contexts.
TEST_F(OfnicLroTest, RxCtrlChangeFlushes) {
  send_segs(0, 2);
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_CSUM);
  expect_merged(0, 0, 2);
  send_segs(2000, 2);
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) == 3; }))
      << "LRO off: segments pass one by one";
}

TEST_F(OfnicLroTest, RingDisableFlushesAndResetDiscards) {
  send_segs(0, 2);
  b_->set_qreg(0, Dir::kRx, OFNIC_Q_CTRL, 0);
  expect_merged(0, 0, 2);
  b_->ring_enable(0, Dir::kRx);
  send_segs(2000, 2);
  b_->ring_reset(0, Dir::kRx);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
  EXPECT_EQ(b_->qreg(0, Dir::kRx, OFNIC_Q_DROPS), 1u) << "the context is dropped";
  step_us(100);
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
  EXPECT_TRUE(qt_->alive());
}

TEST_F(OfnicLroTest, DeviceResetDiscards) {
  send_segs(0, 2);
  b_->set_reg(OFNIC_REG_CTRL, OFNIC_CTRL_RESET);
  step_us(100);
  settle();
  EXPECT_EQ(b_rx_->wb(0).status, 0u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
}

// LRO and RSS: one context per queue.
TEST_F(OfnicLroTest, ContextPerQueue) {
  auto rx1 = make_rx(*b_, 1);
  rx1->start();
  rx1->post(63);
  for (uint32_t w = 0; w < OFNIC_RSS_KEY_LEN / 4; w++) {
    b_->set_reg(OFNIC_REG_RSS_KEY + 4 * w,
                uint32_t(kMsRssKey[4 * w]) | uint32_t(kMsRssKey[4 * w + 1]) << 8 |
                    uint32_t(kMsRssKey[4 * w + 2]) << 16 | uint32_t(kMsRssKey[4 * w + 3]) << 24);
  }
  b_->set_reg(OFNIC_REG_RSS_HASH_TYPES, OFNIC_RSS_HT_IPV4_TCP);
  Pkt a = seg(0, 1000), b = seg(0, 1000);
  b.sport = 2;
  uint32_t ha = toeplitz(kMsRssKey, rss_input(a, true));
  uint32_t hb = toeplitz(kMsRssKey, rss_input(b, true));
  ASSERT_NE(ha & 127, hb & 127);
  for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) b_->set_reg(OFNIC_REG_RSS_RETA + 4 * w, 0);
  uint32_t i = hb & 127;
  b_->set_reg(OFNIC_REG_RSS_RETA + 4 * (i / 4), 1u << (8 * (i % 4)));
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_LRO | OFNIC_RXC_CSUM | OFNIC_RXC_RSS);
  for (uint32_t k = 0; k < 3; k++) {
    Pkt x = seg(k * 1000, 1000), y = seg(k * 1000, 1000);
    y.sport = 2;
    send_pkt(x);
    send_pkt(y);  // interleaved flows on different queues still merge
  }
  step_us(50);
  expect_merged(0, 0, 3);
  ASSERT_TRUE(rx_done(*rx1, 0));
  EXPECT_EQ(rx1->wb(0).lro_segs, 3);
}

// A's TSO and B's LRO undo each other: one send of 20 KB arrives as one frame
// with the original payload (the round trip a Linux host sees over ofnic).
TEST_F(OfnicLroTest, TsoSegmentsCoalesceBackIntoOneFrame) {
  Pkt p = seg(0, 20000, kTcpAck | kTcpPsh);
  p.partial = true;
  auto f = build(kMacB, kMacA, p);
  ofnic_tx_desc d{};
  d.addr = put(f);
  d.len = uint16_t(f.size());
  d.flags = OFNIC_TXD_EOP | OFNIC_TXD_TSO;
  d.mss = 1448;
  d.hdr_len = 66;
  uint32_t i = a_tx_->add(d);
  a_tx_->doorbell();
  ASSERT_TRUE(tx_done(*a_tx_, i));
  EXPECT_EQ(a_tx_->status(i), OFNIC_TXS_DD);
  ASSERT_TRUE(rx_done(*b_rx_, 0)) << "the PSH segment completes the frame";
  ofnic_rx_wb wb = b_rx_->wb(0);
  EXPECT_EQ(wb.lro_segs, 14);  // ceil(20000 / 1448)
  EXPECT_EQ(wb.lro_mss, 1448);
  EXPECT_EQ(wb.status & OFNIC_RXS_LRO, OFNIC_RXS_LRO);
  auto g = b_rx_->frame(0);
  ASSERT_EQ(g.size(), f.size());
  EXPECT_TRUE(ip4_csum_ok(g));
  EXPECT_EQ(be16(g, 16), f.size() - 14);
  EXPECT_TRUE(std::equal(g.begin() + 66, g.end(), f.begin() + 66));
  EXPECT_EQ(g[47], kTcpAck | kTcpPsh);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 14u);
}

}  // namespace
}  // namespace ofnic::test
