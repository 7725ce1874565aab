// Randomized offload traffic: TX offload requests with random fields over
// frames with random header damage, received with every RX offload on (RSS
// over all queues, checksums, LRO, header-data split, moderation). Whatever
// the guest and the wire do, QEMU survives and no ring halts (hw-spec 9).
#include <random>

#include <fmt/format.h>

#include "device_fixture.h"
#include "packet.h"

namespace ofnic::test {
namespace {

class OfnicOffloadFuzz : public OfnicTest, public ::testing::WithParamInterface<unsigned> {};

TEST_P(OfnicOffloadFuzz, RandomOffloadTraffic) {
  std::mt19937 rng(GetParam());
  auto rnd = [&](uint32_t n) { return uint32_t(rng() % n); };
  a_->enable();
  b_->enable();
  auto tx = make_tx(*a_, 0, 256);
  tx->start();
  std::vector<std::unique_ptr<RxRing>> rx;
  for (unsigned q = 0; q < kQueues; q++) {
    rx.push_back(make_rx(*b_, q, 64, q == 3 ? 256 : 2048));
    if (q != 2) rx.back()->set_hdr_bufs(mem_.alloc(64 * 1024), q == 1 ? 64 : 1024);
    rx.back()->start();
    ASSERT_EQ(b_->q_status(q, Dir::kRx), OFNIC_QS_ENABLED);
    rx.back()->post(63);
  }
  for (uint32_t w = 0; w < OFNIC_RSS_KEY_LEN / 4; w++) b_->set_reg(OFNIC_REG_RSS_KEY + 4 * w, rng());
  for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) b_->set_reg(OFNIC_REG_RSS_RETA + 4 * w, rng() & 0x07070707);
  b_->set_reg(OFNIC_REG_RSS_HASH_TYPES, 0x3f);
  b_->set_reg(OFNIC_REG_MAX_FRAME, 65599);
  b_->set_reg(OFNIC_REG_RX_CTRL, 0x3d);
  b_->set_reg(OFNIC_REG_LRO_MAX_SEGS, 2 + rnd(63));
  b_->set_reg(OFNIC_REG_LRO_MAX_LEN, 1514 + rnd(64022));
  for (unsigned q = 0; q < kQueues; q++) {
    b_->set_qp_reg(q, OFNIC_QP_ITR_RX, rng());
    a_->set_qp_reg(q, OFNIC_QP_ITR_TX, rng());
  }

  for (unsigned k = 0; k < 150; k++) {
    SCOPED_TRACE(fmt::format("packet {}", k));
    Pkt p;
    p.v6 = rnd(2);
    p.proto = rnd(4) ? kProtoTcp : kProtoUdp;
    p.sport = uint16_t(1000 + rnd(4));
    p.seq = 1000 + 1000 * rnd(8);
    p.flags = rnd(3) ? kTcpAck : uint8_t(rng());
    if (rnd(2)) p.tcp_opts = ts_option(1, 2);
    p.ip_id = uint16_t(rnd(8));
    p.partial = rnd(2);
    size_t plen = rnd(4) ? 1000 : rnd(3) ? rnd(2000) : rnd(60000);
    p.payload = payload_pattern(plen, uint8_t(k));
    auto f = build(kMacB, kMacA, p);
    for (unsigned m = rnd(3) ? 0 : 1 + rnd(4); m; m--) {
      f[rnd(uint32_t(std::min<size_t>(f.size(), 100)))] = uint8_t(rng());  // header damage
    }
    if (rnd(8) == 0) f.resize(14 + rnd(uint32_t(f.size() - 14)));  // truncated
    if (f.size() > OFNIC_TX_MAX_PKT) f.resize(OFNIC_TX_MAX_PKT);
    ofnic_tx_desc d{};
    d.flags = uint16_t(OFNIC_TXD_EOP | (rnd(2) ? OFNIC_TXD_CSUM : 0) | (rnd(2) ? OFNIC_TXD_TSO : 0));
    Parsed ps = parse(f);
    d.csum_start = uint16_t(rnd(4) ? ps.l4 : rng());
    d.csum_offset = uint16_t(rnd(4) ? (p.proto == kProtoTcp ? 16 : 6) : rng());
    d.mss = uint16_t(rnd(4) ? 500 + rnd(1500) : rng());
    d.hdr_len = uint16_t(rnd(4) ? ps.l5 : rng());
    d.addr = put(f);
    d.len = uint16_t(f.size());
    uint32_t i = tx->add(d);
    tx->doorbell();
    ASSERT_TRUE(tx_done(*tx, i));
    if (rnd(4) == 0) qt_->clock_step(rnd(200) * 1000);
    for (auto& r : rx) {
      uint32_t posted = (r->next() - r->head()) & 63;
      if (posted < 63) r->post(63 - posted);
    }
    if (rnd(30) == 0) b_->set_reg(OFNIC_REG_RX_CTRL, 0x3d & rng());
    if (rnd(20) == 0) b_->set_qp_reg(rnd(kQueues), OFNIC_QP_INT_ARM, 1);
  }
  qt_->clock_step(20 * 1000 * 1000);
  settle();
  for (unsigned q = 0; q < kQueues; q++) {
    EXPECT_EQ(b_->q_status(q, Dir::kRx) & OFNIC_QS_ERROR, 0u) << "queue " << q;
  }
  EXPECT_EQ(a_->q_status(0, Dir::kTx), OFNIC_QS_ENABLED);
  EXPECT_EQ(a_->reg(OFNIC_REG_ERR_COUNT) + b_->reg(OFNIC_REG_ERR_COUNT), 0u);
  EXPECT_GT(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  EXPECT_GT(a_->stat(OFNIC_STAT_TX_OFFLOAD_ERRORS), 0u);
  EXPECT_GT(a_->stat(OFNIC_STAT_TSO_PKTS), 0u);
}

INSTANTIATE_TEST_SUITE_P(Ofnic, OfnicOffloadFuzz, ::testing::Values(1u, 2u, 3u, 4u));

}  // namespace
}  // namespace ofnic::test
