// Transmit offloads (hw-spec 6): checksum insertion and TCP segmentation,
// checked on the frames port B receives with independently computed sums.
#include <fmt/format.h>

#include "device_fixture.h"
#include "packet.h"

namespace ofnic::test {
namespace {

class OfnicTxOffloadTest : public OfnicLinkTest {
 protected:
  // Posts f as descriptors cut at the given offsets, offload fields in the
  // first; returns the EOP descriptor's index.
  uint32_t post(std::span<const uint8_t> f, uint16_t flags, const ofnic_tx_desc& off,
                std::vector<size_t> cuts = {}) {
    cuts.insert(cuts.begin(), 0);
    cuts.push_back(f.size());
    uint32_t i = 0;
    for (size_t k = 0; k + 1 < cuts.size(); k++) {
      ofnic_tx_desc d = off;
      size_t len = cuts[k + 1] - cuts[k];
      d.addr = put(f.subspan(cuts[k], len));
      d.len = uint16_t(len);
      d.flags = uint16_t((k == 0 ? flags : 0) | (k + 2 == cuts.size() ? OFNIC_TXD_EOP : 0));
      if (k) d.csum_start = d.csum_offset = d.mss = d.hdr_len = 0;
      d.status = 0;
      i = a_tx_->add(d);
    }
    a_tx_->doorbell();
    return i;
  }
  static ofnic_tx_desc csum_desc(uint16_t start, uint16_t offset) {
    ofnic_tx_desc d{};
    d.csum_start = start;
    d.csum_offset = offset;
    return d;
  }
  static ofnic_tx_desc tso_desc(uint16_t mss, uint16_t hdr_len) {
    ofnic_tx_desc d{};
    d.mss = mss;
    d.hdr_len = hdr_len;
    return d;
  }
};

TEST_F(OfnicTxOffloadTest, FeaturesAdvertised) {
  EXPECT_EQ(a_->reg(OFNIC_REG_FEATURES) & (OFNIC_F_TX_CSUM | OFNIC_F_TSO),
            OFNIC_F_TX_CSUM | OFNIC_F_TSO);
}

// CHECKSUM_PARTIAL: the TCP checksum field holds the pseudo-header sum; the
// device completes it. The packet spans three descriptors, cut at odd offsets.
TEST_F(OfnicTxOffloadTest, TcpChecksumInserted) {
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    Pkt p;
    p.v6 = v6;
    p.partial = true;
    p.payload = payload_pattern(1001, v6);
    p.tcp_opts = ts_option(1, 2);
    auto f = build(kMacB, kMacA, p);
    Pkt full = p;
    full.partial = false;
    auto want = build(kMacB, kMacA, full);
    ASSERT_NE(f, want);
    size_t l4 = v6 ? 54 : 34;
    uint32_t i = post(f, OFNIC_TXD_CSUM, csum_desc(uint16_t(l4), 16), {7, 333});
    ASSERT_TRUE(tx_done(*a_tx_, i));
    EXPECT_EQ(a_tx_->status(i), OFNIC_TXS_DD);
    uint32_t r = v6 ? 1 : 0;
    ASSERT_TRUE(rx_done(*b_rx_, r));
    auto got = b_rx_->frame(r);
    EXPECT_EQ(got, want);
    EXPECT_TRUE(l4_csum_ok(got));
  }
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_CSUM), 2u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 2u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_OFFLOAD_ERRORS), 0u);
}

// A UDP checksum that computes to 0 is sent as 0xffff.
TEST_F(OfnicTxOffloadTest, UdpZeroChecksumBecomesFfff) {
  Pkt p;
  p.proto = kProtoUdp;
  p.partial = true;
  p.payload = payload_pattern(100, 3);
  p.payload[10] = p.payload[11] = 0;
  auto f = build(kMacB, kMacA, p);
  // Make the sum over the UDP part (seeded field included) 0xffff.
  uint16_t s = fold(sum16({f.data() + 34, f.size() - 34}));
  put16(f, 34 + 8 + 10, uint16_t(0xffff - s));
  ASSERT_EQ(fold(sum16({f.data() + 34, f.size() - 34})), 0xffff);
  uint32_t i = post(f, OFNIC_TXD_CSUM, csum_desc(34, 6));
  ASSERT_TRUE(tx_done(*a_tx_, i));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  auto got = b_rx_->frame(0);
  EXPECT_EQ(be16(got, 34 + 6), 0xffff);
  EXPECT_TRUE(l4_csum_ok(got));
}

// The generic rule: sum from csum_start to the end, anywhere in the frame.
TEST_F(OfnicTxOffloadTest, ChecksumAtArbitraryOffsets) {
  auto f = make_frame(kMacB, kMacA, 301, 4);
  f[14 + 100] = f[14 + 101] = 0;
  uint32_t i = post(f, OFNIC_TXD_CSUM, csum_desc(14, 100));
  ASSERT_TRUE(tx_done(*a_tx_, i));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  auto got = b_rx_->frame(0);
  EXPECT_EQ(fold(sum16({got.data() + 14, got.size() - 14})), 0xffff);
  // The last byte alone (odd length): start = len - 3, field at len - 2.
  auto g = make_frame(kMacB, kMacA, 61, 5);
  g[59] = g[60] = 0;
  i = post(g, OFNIC_TXD_CSUM, csum_desc(58, 1));
  ASSERT_TRUE(tx_done(*a_tx_, i));
  ASSERT_TRUE(rx_done(*b_rx_, 1));
  got = b_rx_->frame(1);
  EXPECT_EQ(be16(got, 59), uint16_t(~fold(uint32_t(g[58]) << 8)));
}

struct TsoCase {
  bool v6;
  uint16_t mss;
};

class OfnicTso : public OfnicTxOffloadTest, public ::testing::WithParamInterface<TsoCase> {};

// A 64 KiB send becomes MSS-sized segments with every header field fixed.
TEST_P(OfnicTso, SegmentsA64KiBSend) {
  const auto [v6, mss] = GetParam();
  b_->set_reg(OFNIC_REG_MAX_FRAME, 9018);
  Pkt p;
  p.v6 = v6;
  p.partial = true;
  p.flags = kTcpAck | kTcpPsh | kTcpFin | kTcpCwr;
  p.tcp_opts = ts_option(0x11223344, 0x55667788);
  p.seq = 0xfffff000;  // wraps during the send
  p.ip_id = 0xfffe;    // wraps too
  const size_t hdr = 14 + (v6 ? 40 : 20) + 32;
  p.payload = payload_pattern(OFNIC_TX_MAX_PKT - hdr, 7);
  auto f = build(kMacB, kMacA, p);
  ASSERT_EQ(f.size(), OFNIC_TX_MAX_PKT);
  const size_t payload = f.size() - hdr;
  const uint32_t nseg = uint32_t((payload + mss - 1) / mss);
  ASSERT_LE(nseg, 63u) << "B posted 63 buffers";

  uint32_t i = post(f, OFNIC_TXD_TSO, tso_desc(mss, uint16_t(hdr)), {hdr, 30000});
  ASSERT_TRUE(tx_done(*a_tx_, i));
  EXPECT_EQ(a_tx_->status(i), OFNIC_TXS_DD);
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) == nseg; }))
      << b_->stat(OFNIC_STAT_RX_PKTS);

  std::vector<uint8_t> data;
  for (uint32_t k = 0; k < nseg; k++) {
    SCOPED_TRACE(fmt::format("segment {} of {}", k, nseg));
    auto s = b_rx_->frame(k);
    const bool last = k == nseg - 1;
    const size_t plen = last ? payload - size_t(k) * mss : mss;
    ASSERT_EQ(s.size(), hdr + plen);
    Parsed ps = parse(s);
    EXPECT_EQ(ps.end, s.size());
    EXPECT_EQ(ps.l5, hdr);
    if (v6) {
      EXPECT_EQ(be16(s, 18), s.size() - 54);
    } else {
      EXPECT_EQ(be16(s, 16), s.size() - 14);
      EXPECT_EQ(be16(s, 18), uint16_t(0xfffe + k)) << "IP ID + 1 per segment";
      EXPECT_EQ(s[20], 0x40) << "DF kept";
      EXPECT_TRUE(ip4_csum_ok(s));
    }
    const size_t l4 = ps.l4;
    EXPECT_EQ(be32(s, l4 + 4), uint32_t(0xfffff000u + k * mss));
    uint8_t want = kTcpAck | (last ? kTcpPsh | kTcpFin : 0) | (k == 0 ? kTcpCwr : 0);
    EXPECT_EQ(s[l4 + 13], want);
    EXPECT_TRUE(l4_csum_ok(s));
    // Everything else in the headers is the request's.
    EXPECT_TRUE(std::equal(s.begin(), s.begin() + 14, f.begin()));
    EXPECT_TRUE(std::equal(s.begin() + l4 + 20, s.begin() + hdr, f.begin() + l4 + 20))
        << "options";
    EXPECT_EQ(be32(s, l4 + 8), be32(f, l4 + 8)) << "ACK";
    data.insert(data.end(), s.begin() + hdr, s.end());
  }
  EXPECT_TRUE(std::equal(data.begin(), data.end(), f.begin() + hdr, f.end()));
  EXPECT_EQ(data.size(), payload);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TSO_PKTS), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TSO_SEGS), nseg);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), nseg);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_BYTES), payload + nseg * hdr);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_OFFLOAD_ERRORS), 0u);
}

// IPv6 with a segment routing header that still has a segment left: the
// segments' TCP checksums take the final destination (Segment List[0]) as the
// pseudo-header's, as the sender's seed did (RFC 8200 8.1).
TEST_F(OfnicTxOffloadTest, TsoOverARoutingHeaderUsesTheFinalDestination) {
  Pkt p;
  p.v6 = true;
  p.partial = true;
  p.src = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  p.dst = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};  // the next segment
  p.srh = {{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34}, p.dst};
  p.srh_left = 1;
  p.payload = payload_pattern(4000, 3);
  auto f = build(kMacB, kMacA, p);
  const size_t hdr = 14 + 40 + 40 + 20;  // fixed header, SRH of two segments, TCP
  ASSERT_EQ(parse(f).l5, hdr);
  uint32_t i = post(f, OFNIC_TXD_TSO, tso_desc(1400, uint16_t(hdr)));
  ASSERT_TRUE(tx_done(*a_tx_, i));
  EXPECT_EQ(a_tx_->status(i), OFNIC_TXS_DD);
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) == 3; }));
  for (uint32_t k = 0; k < 3; k++) {
    SCOPED_TRACE(fmt::format("segment {}", k));
    auto s = b_rx_->frame(k);
    EXPECT_EQ(parse(s).pseudo_dst, 62u);
    EXPECT_TRUE(l4_csum_ok(s));
  }
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_OFFLOAD_ERRORS), 0u);
}

INSTANTIATE_TEST_SUITE_P(Ofnic, OfnicTso,
                         ::testing::Values(TsoCase{false, 1448}, TsoCase{true, 1440},
                                           TsoCase{false, 1100}),
                         [](const auto& p) {
                           return fmt::format("{}_mss{}", p.param.v6 ? "tcp6" : "tcp4",
                                              p.param.mss);
                         });

// A TSO request whose payload fits one MSS is sent as one fixed-up frame.
TEST_F(OfnicTxOffloadTest, TsoSmallerThanMssIsOneSegment) {
  Pkt p;
  p.payload = payload_pattern(500);
  p.flags = kTcpAck | kTcpPsh;
  p.csum = false;
  auto f = build(kMacB, kMacA, p);
  put16(f, 16, 0);  // IP length left to the device
  uint32_t i = post(f, OFNIC_TXD_TSO, tso_desc(1448, 54));
  ASSERT_TRUE(tx_done(*a_tx_, i));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  auto s = b_rx_->frame(0);
  EXPECT_EQ(s.size(), f.size());
  EXPECT_EQ(be16(s, 16), f.size() - 14);
  EXPECT_TRUE(ip4_csum_ok(s));
  EXPECT_TRUE(l4_csum_ok(s));
  EXPECT_EQ(s[47], kTcpAck | kTcpPsh);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TSO_SEGS), 1u);
}

// Malformed offload requests: TXS_ERR, counted, nothing sent, ring runs on.
TEST_F(OfnicTxOffloadTest, MalformedOffloadRequestsAreRefused) {
  Pkt p;
  p.payload = payload_pattern(3000);
  auto tcp = build(kMacB, kMacA, p);  // 3054 bytes, headers 54
  Pkt u = p;
  u.proto = kProtoUdp;
  auto udp = build(kMacB, kMacA, u);
  Pkt o = p;
  o.payload = payload_pattern(60000);
  auto big = build(kMacB, kMacA, o);
  Pkt fr = p;
  auto frag = build(kMacB, kMacA, fr);
  frag[20] = 0x20;  // MF: a fragment
  auto raw = make_frame(kMacB, kMacA, 200);
  struct Bad {
    const char* what;
    std::vector<uint8_t>* f;
    uint16_t flags;
    ofnic_tx_desc d;
  } bad[] = {
      {"csum offset past the end", &tcp, OFNIC_TXD_CSUM, csum_desc(34, uint16_t(3054 - 34 - 1))},
      {"csum start past the end", &tcp, OFNIC_TXD_CSUM, csum_desc(3054, 0)},
      {"csum start huge", &raw, OFNIC_TXD_CSUM, csum_desc(0xffff, 0xffff)},
      {"mss 0", &tcp, OFNIC_TXD_TSO, tso_desc(0, 54)},
      {"hdr_len too short", &tcp, OFNIC_TXD_TSO, tso_desc(1000, 50)},
      {"hdr_len too long", &tcp, OFNIC_TXD_TSO, tso_desc(1000, 58)},
      {"hdr_len 0", &tcp, OFNIC_TXD_TSO, tso_desc(1000, 0)},
      {"hdr_len past the frame", &raw, OFNIC_TXD_TSO, tso_desc(1000, 300)},
      {"not TCP (UDP)", &udp, OFNIC_TXD_TSO, tso_desc(1000, 42)},
      {"not IP", &raw, OFNIC_TXD_TSO, tso_desc(100, 14)},
      {"IPv4 fragment", &frag, OFNIC_TXD_TSO, tso_desc(1000, 54)},
      {"too many segments", &big, OFNIC_TXD_TSO, tso_desc(900, 54)},
      {"TSO and CSUM: TSO checked", &tcp, OFNIC_TXD_TSO | OFNIC_TXD_CSUM, tso_desc(0, 54)},
  };
  uint64_t n = 0;
  for (auto& b : bad) {
    SCOPED_TRACE(b.what);
    uint32_t i = post(*b.f, b.flags, b.d);
    ASSERT_TRUE(tx_done(*a_tx_, i));
    EXPECT_EQ(a_tx_->status(i), OFNIC_TXS_DD | OFNIC_TXS_ERR);
    EXPECT_EQ(a_->stat(OFNIC_STAT_TX_OFFLOAD_ERRORS), ++n);
    EXPECT_EQ(a_->q_status(0, Dir::kTx), OFNIC_QS_ENABLED);
  }
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_ERRORS), n) << "TXS_ERR packets count here too";
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 0u);
  EXPECT_EQ(a_->reg(OFNIC_REG_ERR_COUNT), 0u) << "no ring halted";
  // 65 segments is one too many, 64 is fine.
  o.payload = payload_pattern(64 * 100 + 1);
  auto f65 = build(kMacB, kMacA, o);
  uint32_t i = post(f65, OFNIC_TXD_TSO, tso_desc(100, 54));
  ASSERT_TRUE(tx_done(*a_tx_, i));
  EXPECT_EQ(a_tx_->status(i), OFNIC_TXS_DD | OFNIC_TXS_ERR);
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u) << "nothing malformed reached the wire";
  o.payload = payload_pattern(64 * 100);
  auto f64 = build(kMacB, kMacA, o);
  i = post(f64, OFNIC_TXD_TSO, tso_desc(100, 54));
  ASSERT_TRUE(tx_done(*a_tx_, i));
  EXPECT_EQ(a_tx_->status(i), OFNIC_TXS_DD);
  ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) == 63; }));
  EXPECT_EQ(a_->stat(OFNIC_STAT_TSO_SEGS), 64u);
}

}  // namespace
}  // namespace ofnic::test
