// Receive offloads (hw-spec 7): packet types, checksum validation, RSS hash
// and queue selection, drops for disabled rings, header-data split.
#include <map>

#include <fmt/format.h>

#include "device_fixture.h"
#include "packet.h"

namespace ofnic::test {
namespace {

class OfnicRxOffloadTest : public OfnicLinkTest {
 protected:
  // Sends f from A and waits until B's RX_PKTS reaches rx_pkts.
  void deliver(const std::vector<uint8_t>& f, uint64_t rx_pkts) {
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
    ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) >= rx_pkts; }))
        << "B received " << b_->stat(OFNIC_STAT_RX_PKTS) << " frames, expected " << rx_pkts;
  }
  void set_key(std::span<const uint8_t> key) {
    for (uint32_t w = 0; w < OFNIC_RSS_KEY_LEN / 4; w++) {
      b_->set_reg(OFNIC_REG_RSS_KEY + 4 * w, uint32_t(key[4 * w]) | uint32_t(key[4 * w + 1]) << 8 |
                                                 uint32_t(key[4 * w + 2]) << 16 |
                                                 uint32_t(key[4 * w + 3]) << 24);
    }
  }
  void set_reta(const std::function<uint8_t(unsigned)>& entry) {
    for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) {
      uint32_t v = 0;
      for (unsigned k = 0; k < 4; k++) v |= uint32_t(entry(4 * w + k)) << (8 * k);
      b_->set_reg(OFNIC_REG_RSS_RETA + 4 * w, v);
    }
  }
};

Pkt flow(bool v6, uint8_t proto, size_t payload = 100) {
  Pkt p;
  p.v6 = v6;
  p.proto = proto;
  if (v6) {
    p.src = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    p.dst = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
  }
  p.payload = payload_pattern(payload, proto);
  return p;
}

TEST_F(OfnicRxOffloadTest, PacketTypesAlwaysReported) {
  struct {
    std::vector<uint8_t> f;
    uint8_t ptype;
  } cases[] = {
      {build(kMacB, kMacA, flow(false, kProtoTcp)), OFNIC_PTYPE_IPV4 | OFNIC_PTYPE_TCP},
      {build(kMacB, kMacA, flow(false, kProtoUdp)), OFNIC_PTYPE_IPV4 | OFNIC_PTYPE_UDP},
      {build(kMacB, kMacA, flow(true, kProtoTcp)), OFNIC_PTYPE_IPV6 | OFNIC_PTYPE_TCP},
      {build(kMacB, kMacA, flow(true, kProtoUdp)), OFNIC_PTYPE_IPV6 | OFNIC_PTYPE_UDP},
      {make_frame(kMacB, kMacA, 100), 0},
  };
  uint32_t n = 0;
  for (auto& c : cases) {
    SCOPED_TRACE(fmt::format("case {}", n));
    deliver(c.f, n + 1);
    ofnic_rx_wb wb = b_rx_->wb(n);
    EXPECT_EQ(wb.ptype, c.ptype);
    EXPECT_EQ(wb.status, OFNIC_RXS_DD | OFNIC_RXS_EOP) << "RX_CTRL 0: no checksum, no hash";
    EXPECT_EQ(wb.rss_hash, 0u);
    EXPECT_EQ(b_rx_->frame(n), c.f);
    n++;
  }
  // An IPv4 fragment is IPv4 only; ICMP is IPv4 only.
  Pkt p = flow(false, kProtoUdp);
  auto frag = build(kMacB, kMacA, p);
  frag[20] = 0x20;  // MF
  deliver(frag, n + 1);
  EXPECT_EQ(b_rx_->wb(n++).ptype, OFNIC_PTYPE_IPV4);
  auto icmp = build(kMacB, kMacA, p);
  icmp[23] = 1;
  deliver(icmp, n + 1);
  EXPECT_EQ(b_rx_->wb(n++).ptype, OFNIC_PTYPE_IPV4);
  // Headers that do not add up: an IP length past the frame is no IP.
  auto bad = build(kMacB, kMacA, flow(false, kProtoTcp));
  put16(bad, 16, uint16_t(bad.size()));
  deliver(bad, n + 1);
  EXPECT_EQ(b_rx_->wb(n++).ptype, 0);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_CSUM_GOOD) + b_->stat(OFNIC_STAT_RX_CSUM_BAD), 0u);
}

TEST_F(OfnicRxOffloadTest, ChecksumsValidated) {
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_CSUM);
  uint32_t n = 0;
  for (bool v6 : {false, true}) {
    for (uint8_t proto : {kProtoTcp, kProtoUdp}) {
      SCOPED_TRACE(fmt::format("{} proto {}", v6 ? "IPv6" : "IPv4", proto));
      Pkt p = flow(v6, proto, 333);
      auto good = build(kMacB, kMacA, p);
      deliver(good, n + 1);
      uint32_t l3 = v6 ? 0 : OFNIC_RXS_L3_OK;
      EXPECT_EQ(b_rx_->wb(n++).status, OFNIC_RXS_DD | OFNIC_RXS_EOP | l3 | OFNIC_RXS_L4_OK);
      auto bad = good;
      bad.back() ^= 0x5a;  // payload corrupted
      deliver(bad, n + 1);
      EXPECT_EQ(b_rx_->wb(n++).status, OFNIC_RXS_DD | OFNIC_RXS_EOP | l3 | OFNIC_RXS_L4_BAD);
    }
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_CSUM_GOOD), 4u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_CSUM_BAD), 4u);

  // A bad IPv4 header checksum: L3_BAD; the L4 checksum is still checked.
  auto f = build(kMacB, kMacA, flow(false, kProtoTcp));
  f[24] ^= 0xff;
  deliver(f, n + 1);
  EXPECT_EQ(b_rx_->wb(n++).status,
            OFNIC_RXS_DD | OFNIC_RXS_EOP | OFNIC_RXS_L3_BAD | OFNIC_RXS_L4_OK);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_CSUM_BAD), 5u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_CSUM_GOOD), 5u);

  // UDP without checksum (0) and IPv4 fragments: L4 not checked.
  Pkt u = flow(false, kProtoUdp);
  u.csum = false;
  deliver(build(kMacB, kMacA, u), n + 1);
  EXPECT_EQ(b_rx_->wb(n++).status, OFNIC_RXS_DD | OFNIC_RXS_EOP | OFNIC_RXS_L3_OK);
  auto frag = build(kMacB, kMacA, flow(false, kProtoTcp));
  frag[20] |= 0x20;
  put16(frag, 24, 0);
  put16(frag, 24, uint16_t(~fold(sum16({frag.data() + 14, 20}))));
  deliver(frag, n + 1);
  EXPECT_EQ(b_rx_->wb(n++).status, OFNIC_RXS_DD | OFNIC_RXS_EOP | OFNIC_RXS_L3_OK);
  // Not IP: nothing checked.
  deliver(make_frame(kMacB, kMacA, 80), n + 1);
  EXPECT_EQ(b_rx_->wb(n++).status, OFNIC_RXS_DD | OFNIC_RXS_EOP);
  // A TCP header whose data offset points past the datagram: L3 only.
  auto th = build(kMacB, kMacA, flow(false, kProtoTcp, 8));
  th[46] = 0xf0;
  deliver(th, n + 1);
  EXPECT_EQ(b_rx_->wb(n).ptype, OFNIC_PTYPE_IPV4);
  EXPECT_EQ(b_rx_->wb(n++).status, OFNIC_RXS_DD | OFNIC_RXS_EOP | OFNIC_RXS_L3_OK);

  // With RX_CTRL.CSUM clear nothing is reported.
  b_->set_reg(OFNIC_REG_RX_CTRL, 0);
  deliver(build(kMacB, kMacA, flow(false, kProtoTcp)), n + 1);
  EXPECT_EQ(b_rx_->wb(n++).status, OFNIC_RXS_DD | OFNIC_RXS_EOP);
}

// IPv6 with a segment routing header: with no segment left the destination
// is the final one and the checksum is checked as usual; with one left the
// pseudo-header takes Segment List[0], which the device does not compute, so
// it gives no verdict at all (neither a false L4_BAD nor an L4_OK it cannot
// vouch for).
TEST_F(OfnicRxOffloadTest, RoutingHeaderWithSegmentsLeftGetsNoL4Verdict) {
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_CSUM);
  uint32_t n = 0;
  for (uint8_t proto : {kProtoTcp, kProtoUdp}) {
    SCOPED_TRACE(fmt::format("proto {}", proto));
    Pkt p = flow(true, proto, 200);
    p.srh = {{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34}, p.dst};
    p.srh_left = 0;
    p.dst = p.srh[0];  // arrived: the final destination is the header's
    deliver(build(kMacB, kMacA, p), n + 1);
    EXPECT_EQ(b_rx_->wb(n++).status, OFNIC_RXS_DD | OFNIC_RXS_EOP | OFNIC_RXS_L4_OK);
    p.dst = p.srh[1];
    p.srh_left = 1;
    auto f = build(kMacB, kMacA, p);
    ASSERT_TRUE(l4_csum_ok(f));
    deliver(f, n + 1);
    EXPECT_EQ(b_rx_->wb(n).ptype, OFNIC_PTYPE_IPV6 | (proto == kProtoTcp ? OFNIC_PTYPE_TCP
                                                                          : OFNIC_PTYPE_UDP));
    EXPECT_EQ(b_rx_->wb(n++).status, OFNIC_RXS_DD | OFNIC_RXS_EOP);
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_CSUM_BAD), 0u);
}

// Padding after the IP datagram (short frames) is not summed.
TEST_F(OfnicRxOffloadTest, ChecksumIgnoresEthernetPadding) {
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_CSUM);
  auto f = build(kMacB, kMacA, flow(false, kProtoUdp, 2));
  f.resize(60, 0xee);
  deliver(f, 1);
  EXPECT_EQ(b_rx_->wb(0).status,
            OFNIC_RXS_DD | OFNIC_RXS_EOP | OFNIC_RXS_L3_OK | OFNIC_RXS_L4_OK);
  EXPECT_EQ(b_rx_->wb(0).len, 60);
}

// Microsoft's RSS verification suite, standard key.
struct MsVector {
  bool v6;
  std::array<uint8_t, 16> src, dst;
  uint16_t sport, dport;
  uint32_t ip_hash, tcp_hash;
};

const MsVector kMsVectors[] = {
    {false, {66, 9, 149, 187}, {161, 142, 100, 80}, 2794, 1766, 0x323e8fc2, 0x51ccc178},
    {false, {199, 92, 111, 2}, {65, 69, 140, 83}, 14230, 4739, 0xd718262a, 0xc626b0ea},
    {false, {24, 19, 198, 95}, {12, 22, 207, 184}, 12898, 38024, 0xd2d0a5de, 0x5c2b394a},
    {false, {38, 27, 205, 30}, {209, 142, 163, 6}, 48228, 2217, 0x82989176, 0xafc7327f},
    {false, {153, 39, 163, 191}, {202, 188, 127, 2}, 44251, 1303, 0x5d1809c5, 0x10e828a2},
    {true,
     {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff, 0, 0, 0, 0, 0, 0, 0, 7},
     {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 1},
     2794, 1766, 0x2cc18cd5, 0x40207d3d},
    {true,
     {0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0, 0, 0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab},
     {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
     14230, 4739, 0x0f0c461c, 0xdde51bbf},
    {true,
     {0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0, 3, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf},
     {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf},
     44251, 38024, 0x4b61e985, 0x02d1feef},
};

TEST(OfnicToeplitz, TestImplementationMatchesMicrosoftVectors) {
  for (const auto& v : kMsVectors) {
    Pkt p;
    p.v6 = v.v6;
    p.src = v.src;
    p.dst = v.dst;
    p.sport = v.sport;
    p.dport = v.dport;
    EXPECT_EQ(toeplitz(kMsRssKey, rss_input(p, false)), v.ip_hash);
    EXPECT_EQ(toeplitz(kMsRssKey, rss_input(p, true)), v.tcp_hash);
  }
}

TEST_F(OfnicRxOffloadTest, RssHashMatchesMicrosoftVectors) {
  set_key(kMsRssKey);
  uint32_t n = 0;
  for (uint32_t types : {OFNIC_RSS_HT_IPV4 | OFNIC_RSS_HT_IPV6,
                         OFNIC_RSS_HT_IPV4_TCP | OFNIC_RSS_HT_IPV6_TCP | OFNIC_RSS_HT_IPV4 |
                             OFNIC_RSS_HT_IPV6}) {
    b_->set_reg(OFNIC_REG_RSS_HASH_TYPES, types);
    const bool l4 = types & OFNIC_RSS_HT_IPV4_TCP;
    for (const auto& v : kMsVectors) {
      SCOPED_TRACE(fmt::format("{} vector {}:{}, 4-tuple {}", v.v6 ? "IPv6" : "IPv4", v.sport,
                               v.dport, l4));
      Pkt p = flow(v.v6, kProtoTcp);
      p.src = v.src;
      p.dst = v.dst;
      p.sport = v.sport;
      p.dport = v.dport;
      deliver(build(kMacB, kMacA, p), n + 1);
      ofnic_rx_wb wb = b_rx_->wb(n);
      EXPECT_EQ(wb.status & OFNIC_RXS_RSS, OFNIC_RXS_RSS);
      EXPECT_EQ(wb.rss_hash, l4 ? v.tcp_hash : v.ip_hash);
      uint8_t t = v.v6 ? (l4 ? OFNIC_RSS_TYPE_IPV6_TCP : OFNIC_RSS_TYPE_IPV6)
                       : (l4 ? OFNIC_RSS_TYPE_IPV4_TCP : OFNIC_RSS_TYPE_IPV4);
      EXPECT_EQ(wb.rss_type, t);
      b_rx_->post(1);
      n++;
    }
  }
}

// Each type bit selects its frames: UDP uses its own bit, else the 2-tuple.
TEST_F(OfnicRxOffloadTest, RssHashTypesSelectFrames) {
  set_key(kMsRssKey);
  struct {
    uint32_t types;
    bool v6;
    uint8_t proto;
    uint8_t want_type;  // 0: no hash
  } cases[] = {
      {0, false, kProtoTcp, OFNIC_RSS_TYPE_NONE},
      {OFNIC_RSS_HT_IPV4_TCP, false, kProtoUdp, OFNIC_RSS_TYPE_NONE},
      {OFNIC_RSS_HT_IPV4_TCP, true, kProtoTcp, OFNIC_RSS_TYPE_NONE},
      {OFNIC_RSS_HT_IPV4_TCP, false, kProtoTcp, OFNIC_RSS_TYPE_IPV4_TCP},
      {OFNIC_RSS_HT_IPV4_UDP, false, kProtoUdp, OFNIC_RSS_TYPE_IPV4_UDP},
      {OFNIC_RSS_HT_IPV4, false, kProtoUdp, OFNIC_RSS_TYPE_IPV4},
      {OFNIC_RSS_HT_IPV6_UDP, true, kProtoUdp, OFNIC_RSS_TYPE_IPV6_UDP},
      {OFNIC_RSS_HT_IPV6_UDP | OFNIC_RSS_HT_IPV6, true, kProtoTcp, OFNIC_RSS_TYPE_IPV6},
      {OFNIC_RSS_HT_IPV6_TCP, true, kProtoTcp, OFNIC_RSS_TYPE_IPV6_TCP},
      {0x3f, false, kProtoTcp, OFNIC_RSS_TYPE_IPV4_TCP},
  };
  uint32_t n = 0;
  for (auto& c : cases) {
    SCOPED_TRACE(fmt::format("types {:#x} {} proto {}", c.types, c.v6 ? "v6" : "v4", c.proto));
    b_->set_reg(OFNIC_REG_RSS_HASH_TYPES, c.types);
    Pkt p = flow(c.v6, c.proto);
    deliver(build(kMacB, kMacA, p), n + 1);
    ofnic_rx_wb wb = b_rx_->wb(n++);
    EXPECT_EQ(wb.rss_type, c.want_type);
    if (c.want_type == OFNIC_RSS_TYPE_NONE) {
      EXPECT_EQ(wb.status & OFNIC_RXS_RSS, 0u);
      EXPECT_EQ(wb.rss_hash, 0u);
      continue;
    }
    EXPECT_EQ(wb.status & OFNIC_RXS_RSS, OFNIC_RXS_RSS);
    bool four = c.want_type != OFNIC_RSS_TYPE_IPV4 && c.want_type != OFNIC_RSS_TYPE_IPV6;
    EXPECT_EQ(wb.rss_hash, toeplitz(kMsRssKey, rss_input(p, four)));
  }
  // Non-IP frames never have a hash.
  deliver(make_frame(kMacB, kMacA, 100), n + 1);
  EXPECT_EQ(b_rx_->wb(n).status & OFNIC_RXS_RSS, 0u);
}

// RX_CTRL.RSS spreads flows over the queues by RETA[hash & 127].
TEST_F(OfnicRxOffloadTest, RssSpreadsFlowsByReta) {
  std::vector<std::unique_ptr<RxRing>> rx;
  for (unsigned q = 1; q < kQueues; q++) {
    rx.push_back(make_rx(*b_, q));
    rx.back()->start();
    rx.back()->post(63);
  }
  auto ring = [&](unsigned q) -> RxRing& { return q ? *rx[q - 1] : *b_rx_; };
  set_key(kMsRssKey);
  b_->set_reg(OFNIC_REG_RSS_HASH_TYPES, OFNIC_RSS_HT_IPV4_TCP | OFNIC_RSS_HT_IPV4);
  set_reta([](unsigned i) { return uint8_t((i * 7) % kQueues); });
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_RSS);

  std::map<unsigned, unsigned> per_queue;
  for (unsigned k = 0; k < 40; k++) {
    Pkt p = flow(false, kProtoTcp);
    p.sport = uint16_t(10000 + 97 * k);
    uint32_t h = toeplitz(kMsRssKey, rss_input(p, true));
    unsigned q = ((h & 127) * 7) % kQueues;
    SCOPED_TRACE(fmt::format("flow {} hash {:#x} queue {}", k, h, q));
    auto f = build(kMacB, kMacA, p);
    deliver(f, k + 1);
    uint32_t slot = per_queue[q]++;
    ASSERT_TRUE(rx_done(ring(q), slot));
    EXPECT_EQ(ring(q).frame(slot), f);
    EXPECT_EQ(ring(q).wb(slot).rss_hash, h);
  }
  for (unsigned q = 0; q < kQueues; q++) {
    EXPECT_GT(per_queue[q], 0u) << "queue " << q;
    EXPECT_EQ(ring(q).head(), per_queue[q]) << "queue " << q;
  }
  // Frames without a hash (not IP) go to queue 0.
  deliver(make_frame(kMacB, kMacA, 100), 41);
  EXPECT_EQ(b_rx_->head(), per_queue[0] + 1);
}

// RETA entries >= MAX_QP mean queue 0; without RX_CTRL.RSS the hash is still
// reported but everything goes to queue 0.
TEST_F(OfnicRxOffloadTest, RssRetaOutOfRangeAndRssOff) {
  auto rx3 = make_rx(*b_, 3);
  rx3->start();
  rx3->post(63);
  set_key(kMsRssKey);
  b_->set_reg(OFNIC_REG_RSS_HASH_TYPES, OFNIC_RSS_HT_IPV4_TCP);
  set_reta([](unsigned) { return uint8_t(3); });
  auto f = build(kMacB, kMacA, flow(false, kProtoTcp));
  deliver(f, 1);
  EXPECT_EQ(b_rx_->head(), 1u) << "RX_CTRL.RSS is off";
  EXPECT_EQ(b_rx_->wb(0).status & OFNIC_RXS_RSS, OFNIC_RXS_RSS);
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_RSS);
  deliver(f, 2);
  EXPECT_EQ(rx3->head(), 1u);
  set_reta([](unsigned) { return uint8_t(kQueues); });
  deliver(f, 3);
  EXPECT_EQ(b_rx_->head(), 2u);
  set_reta([](unsigned) { return uint8_t(0xff); });
  deliver(f, 4);
  EXPECT_EQ(b_rx_->head(), 3u);
}

// A frame for a queue whose RX ring is not enabled is dropped and counted.
TEST_F(OfnicRxOffloadTest, FrameForDisabledRingIsDropped) {
  set_key(kMsRssKey);
  b_->set_reg(OFNIC_REG_RSS_HASH_TYPES, OFNIC_RSS_HT_IPV4);
  set_reta([](unsigned) { return uint8_t(2); });
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_RSS);
  auto ip = build(kMacB, kMacA, flow(false, kProtoUdp));
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, ip)));
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_NO_BUF) == 1; }));
  EXPECT_EQ(b_->qreg(2, Dir::kRx, OFNIC_Q_DROPS), 1u);
  EXPECT_EQ(b_->qreg(0, Dir::kRx, OFNIC_Q_DROPS), 0u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  // Other frames (no hash: queue 0) still arrive.
  auto f = make_frame(kMacB, kMacA, 100);
  deliver(f, 1);
  EXPECT_EQ(b_rx_->frame(0), f);
  // A halted ring drops too.
  auto rx2 = make_rx(*b_, 2);
  rx2->start();
  b_->set_qreg(2, Dir::kRx, OFNIC_Q_TAIL, 64);  // out of range: halts
  ASSERT_TRUE(b_->q_status(2, Dir::kRx) & OFNIC_QS_ERROR);
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, ip)));
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_NO_BUF) == 2; }));
  EXPECT_EQ(b_->qreg(2, Dir::kRx, OFNIC_Q_DROPS), 2u);
  deliver(f, 2);
}

// A frame for a ring without enough descriptors is held until that ring's
// TAIL write, even while other rings have room.
TEST_F(OfnicRxOffloadTest, FrameHeldForItsQueueUntilPosted) {
  auto rx1 = make_rx(*b_, 1);
  rx1->start();
  set_key(kMsRssKey);
  b_->set_reg(OFNIC_REG_RSS_HASH_TYPES, OFNIC_RSS_HT_IPV4);
  set_reta([](unsigned) { return uint8_t(1); });
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_RSS);
  auto f = build(kMacB, kMacA, flow(false, kProtoUdp));
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_NO_BUF), 0u) << "held, not dropped";
  rx1->post(4);
  ASSERT_TRUE(rx_done(*rx1, 0));
  EXPECT_EQ(rx1->frame(0), f);
  EXPECT_EQ(b_rx_->head(), 0u);
}

// Header-data split (hw-spec 7).
class OfnicHdsTest : public OfnicRxOffloadTest {
 protected:
  void SetUp() override {
    OfnicTest::SetUp();
    if (HasFatalFailure()) return;
    a_->enable();
    b_->enable();
    a_tx_ = make_tx(*a_);
    a_tx_->start();
    b_rx_ = make_rx(*b_, 0, 64, 1024);
    b_rx_->set_hdr_bufs(mem_.alloc(64 * 256), 128);
    b_rx_->start();
    b_rx_->post(63);
    b_->set_reg(OFNIC_REG_MAX_FRAME, 9018);
    b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_HDS);
  }
};

TEST_F(OfnicHdsTest, TcpAndUdpAreSplit) {
  ASSERT_EQ(b_->qreg(0, Dir::kRx, OFNIC_Q_HDR_SIZE), 128u);
  uint32_t n = 0, slot = 0;
  for (bool v6 : {false, true}) {
    for (uint8_t proto : {kProtoTcp, kProtoUdp}) {
      SCOPED_TRACE(fmt::format("{} proto {}", v6 ? "IPv6" : "IPv4", proto));
      Pkt p = flow(v6, proto, 2500);  // payload over 3 data buffers
      if (proto == kProtoTcp) p.tcp_opts = ts_option(5, 6);
      auto f = build(kMacB, kMacA, p);
      size_t hdr = parse(f).l5;
      deliver(f, ++n);
      ofnic_rx_wb wb = b_rx_->wb(slot);
      EXPECT_EQ(wb.status, OFNIC_RXS_DD | OFNIC_RXS_HDS);
      EXPECT_EQ(wb.hdr_len, hdr);
      EXPECT_EQ(wb.len, 1024);
      EXPECT_EQ(b_rx_->wb(slot + 1).len, 1024);
      EXPECT_EQ(b_rx_->wb(slot + 2).len, 2500 - 2048);
      EXPECT_EQ(b_rx_->wb(slot + 2).status, OFNIC_RXS_DD | OFNIC_RXS_EOP);
      EXPECT_EQ(b_rx_->wb(slot + 1).hdr_len, 0) << "first descriptor only";
      auto h = b_rx_->header(slot);
      EXPECT_TRUE(std::equal(h.begin(), h.end(), f.begin()));
      EXPECT_EQ(h.size(), hdr);
      auto d = b_rx_->frame(slot);
      EXPECT_TRUE(std::equal(d.begin(), d.end(), f.begin() + hdr, f.end()));
      EXPECT_EQ(d.size(), f.size() - hdr);
      slot += 3;
    }
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_HDS_FRAMES), 4u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_BYTES),
            b_->stat(OFNIC_STAT_RX_PKTS) ? b_->stat(OFNIC_STAT_RX_BYTES) : 0);
}

TEST_F(OfnicHdsTest, HeaderOnlyFrameHasEmptyData) {
  Pkt p = flow(false, kProtoTcp, 0);  // a pure ACK
  auto f = build(kMacB, kMacA, p);
  deliver(f, 1);
  ofnic_rx_wb wb = b_rx_->wb(0);
  EXPECT_EQ(wb.status, OFNIC_RXS_DD | OFNIC_RXS_EOP | OFNIC_RXS_HDS);
  EXPECT_EQ(wb.hdr_len, 54);
  EXPECT_EQ(wb.len, 0);
  EXPECT_EQ(b_rx_->header(0), f);
  EXPECT_EQ(b_rx_->head(), 1u);
}

TEST_F(OfnicHdsTest, FramesThatDoNotQualifyAreWrittenWhole) {
  std::vector<std::vector<uint8_t>> frames;
  frames.push_back(make_frame(kMacB, kMacA, 1500));  // not IP
  Pkt p = flow(false, kProtoTcp, 500);
  p.tcp_opts.assign(40, 1);  // 14 + 20 + 60 = 94 bytes fit 128...
  frames.push_back(build(kMacB, kMacA, p));
  Pkt v6 = flow(true, kProtoTcp, 500);
  v6.tcp_opts.assign(40, 1);  // 14 + 40 + 60 = 114 fit
  frames.push_back(build(kMacB, kMacA, v6));
  auto frag = build(kMacB, kMacA, flow(false, kProtoUdp, 500));
  frag[20] = 0x20;  // fragment: no L4
  frames.push_back(frag);
  Pkt icmp = flow(false, kProtoUdp, 500);
  auto ic = build(kMacB, kMacA, icmp);
  ic[23] = 1;
  frames.push_back(ic);
  const bool split[] = {false, true, true, false, false};
  uint32_t slot = 0;
  for (size_t k = 0; k < frames.size(); k++) {
    SCOPED_TRACE(fmt::format("frame {}", k));
    deliver(frames[k], k + 1);
    ofnic_rx_wb wb = b_rx_->wb(slot);
    if (split[k]) {
      EXPECT_EQ(wb.status & OFNIC_RXS_HDS, OFNIC_RXS_HDS);
      slot += 1;
      continue;
    }
    EXPECT_EQ(wb.status & OFNIC_RXS_HDS, 0u);
    EXPECT_EQ(wb.hdr_len, 0);
    EXPECT_EQ(b_rx_->frame(slot), frames[k]);
    slot += uint32_t((frames[k].size() + 1023) / 1024);
  }
  // Headers larger than Q_HDR_SIZE: ring 1 with 64-byte header buffers.
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_HDS | OFNIC_RXC_RSS);
  for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) {
    b_->set_reg(OFNIC_REG_RSS_RETA + 4 * w, 0x01010101);
  }
  b_->set_reg(OFNIC_REG_RSS_HASH_TYPES, OFNIC_RSS_HT_IPV4);
  auto rx1 = make_rx(*b_, 1, 64, 2048);
  rx1->set_hdr_bufs(mem_.alloc(64 * 64), 64);
  rx1->start();
  ASSERT_EQ(b_->q_status(1, Dir::kRx), OFNIC_QS_ENABLED);
  rx1->post(8);
  Pkt big = flow(false, kProtoTcp, 100);
  big.tcp_opts = ts_option(1, 2);  // 66 > 64
  auto f = build(kMacB, kMacA, big);
  deliver(f, frames.size() + 1);
  ASSERT_TRUE(rx_done(*rx1, 0));
  EXPECT_EQ(rx1->wb(0).status & OFNIC_RXS_HDS, 0u);
  EXPECT_EQ(rx1->frame(0), f);
  Pkt fits = flow(false, kProtoUdp, 100);  // 42 <= 64
  deliver(build(kMacB, kMacA, fits), frames.size() + 2);
  ASSERT_TRUE(rx_done(*rx1, 1));
  EXPECT_EQ(rx1->wb(1).status & OFNIC_RXS_HDS, OFNIC_RXS_HDS);
  EXPECT_EQ(b_->stat(OFNIC_STAT_HDS_FRAMES), 3u);
}

// Without RX_CTRL.HDS, or with Q_HDR_SIZE 0, nothing is split.
TEST_F(OfnicHdsTest, SplitNeedsBothRxCtrlAndHdrSize) {
  auto f = build(kMacB, kMacA, flow(false, kProtoTcp, 100));
  b_->set_reg(OFNIC_REG_RX_CTRL, 0);
  deliver(f, 1);
  EXPECT_EQ(b_rx_->wb(0).status, OFNIC_RXS_DD | OFNIC_RXS_EOP);
  EXPECT_EQ(b_rx_->frame(0), f);
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_HDS);
  b_->ring_reset(0, Dir::kRx);
  b_->set_qreg(0, Dir::kRx, OFNIC_Q_HDR_SIZE, 0);
  b_->ring_enable(0, Dir::kRx);
  b_rx_->rewind();
  b_rx_->post(8);
  deliver(f, 2);
  EXPECT_EQ(b_rx_->wb(0).status, OFNIC_RXS_DD | OFNIC_RXS_EOP);
  EXPECT_EQ(b_->stat(OFNIC_STAT_HDS_FRAMES), 0u);
}

// Q_HDR_SIZE is validated when an RX ring is enabled: 0 or 64..1024.
TEST_F(OfnicTest, HdrSizeValidatedAtEnable) {
  struct {
    uint32_t hdr_size;
    bool ok;
  } cases[] = {{0, true}, {63, false}, {64, true}, {1024, true}, {1025, false}, {~0u, false}};
  for (auto c : cases) {
    SCOPED_TRACE(c.hdr_size);
    b_->ring_reset(1, Dir::kRx);
    b_->config_ring(1, Dir::kRx, 0x100000, 64, 2048);
    b_->set_qreg(1, Dir::kRx, OFNIC_Q_HDR_SIZE, c.hdr_size);
    b_->ring_enable(1, Dir::kRx);
    EXPECT_EQ(b_->q_status(1, Dir::kRx),
              c.ok ? OFNIC_QS_ENABLED
                   : OFNIC_QS_ERROR | OFNIC_ERR_RING_CONFIG << OFNIC_QS_ERR_SHIFT);
    EXPECT_EQ(b_->qreg(1, Dir::kRx, OFNIC_Q_HDR_SIZE), c.hdr_size);
  }
  // TX rings do not check it.
  b_->config_ring(1, Dir::kTx, 0x100000, 64);
  b_->set_qreg(1, Dir::kTx, OFNIC_Q_HDR_SIZE, 5);
  b_->ring_enable(1, Dir::kTx);
  EXPECT_EQ(b_->q_status(1, Dir::kTx), OFNIC_QS_ENABLED);
}

}  // namespace
}  // namespace ofnic::test
