// Stress test of the ofnic model: while TSO sends and LRO coalescing are in
// flight, the guest does at random everything it may do to a device
// mid-work: stop and continue the VM, clear and set Bus Master, reset rings
// and whole ports, rewrite descriptors the device has not reached yet, toggle
// offloads and write config space. QEMU must keep answering, and once the
// storm is over both ports must carry clean traffic. make check runs it on
// the checked build (ASan, UBSan); make tsan runs it under ThreadSanitizer,
// where any data race ends QEMU and fails the test. The ofdma counterpart is
// in test_ofdma.cpp.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include <fmt/format.h>

#include "device_fixture.h"
#include "packet.h"

namespace ofnic::test {
namespace {

class OfnicStressTest : public OfnicLinkTest {
 protected:
  void SetUp() override {
    with_qmp_ = true;
    OfnicLinkTest::SetUp();
    if (HasFatalFailure()) return;
    b_->set_reg(OFNIC_REG_MAX_FRAME, 9018);
    b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
    // The frames every round reuses: two TSO sends and a run of segments of
    // one flow for B to coalesce.
    for (bool v6 : {false, true}) {
      Pkt p;
      p.v6 = v6;
      p.partial = true;
      p.tcp_opts = ts_option(1, 2);
      p.payload = payload_pattern(v6 ? 20000 : 30000, 3);
      auto f = build(kMacB, kMacA, p);
      tso_.push_back({put(f), uint16_t(f.size()), uint16_t(14 + (v6 ? 40 : 20) + 32)});
    }
    for (uint32_t k = 0; k < 8; k++) {
      Pkt p;
      p.seq = 5000 + 1000 * k;
      p.tcp_opts = ts_option(1, 2);
      p.ip_id = uint16_t(0x100 + k);
      p.payload = payload_pattern(1000, uint8_t(k));
      auto f = build(kMacB, kMacA, p);
      segs_.push_back({put(f), uint16_t(f.size()), 0});
    }
  }

  struct Frame {
    uint64_t addr;
    uint16_t len, hdr_len;
  };

  // Posts n frames (TSO or coalescable segments) on A's ring, rings once.
  void burst(unsigned n) {
    for (unsigned k = 0; k < n; k++) {
      ofnic_tx_desc d{};
      if (rng_() % 3 == 0) {
        const Frame& f = tso_[rng_() % tso_.size()];
        d.addr = f.addr;
        d.len = f.len;
        d.flags = OFNIC_TXD_TSO | OFNIC_TXD_EOP;
        d.mss = 1448;
        d.hdr_len = f.hdr_len;
      } else {
        const Frame& f = segs_[seg_next_++ % segs_.size()];
        d.addr = f.addr;
        d.len = f.len;
        d.flags = OFNIC_TXD_EOP;
      }
      a_tx_->add(d);
    }
    a_tx_->doorbell();
  }

  // Overwrites the descriptors A has not completed with values a hostile
  // guest might leave there: random addresses, lengths, flags, offsets.
  void rewrite_pending() {
    const uint32_t head = a_tx_->head(), size = a_tx_->size();
    for (uint32_t i = head; i != a_tx_->next(); i = (i + 1) % size) {
      ofnic_tx_desc d{};
      d.addr = rng_() % 2 ? kMemStart + rng_() % (kMemEnd - kMemStart) : uint64_t(rng_()) << 20;
      d.len = uint16_t(rng_());
      d.flags = uint16_t(rng_());
      d.mss = uint16_t(rng_() % 3000);
      d.hdr_len = uint16_t(rng_() % 128);
      d.csum_start = uint16_t(rng_() % 128);
      d.csum_offset = uint16_t(rng_() % 32);
      a_tx_->write_desc(i, d);
    }
  }

  void bus_master(OfnicPort& p, bool on) {
    uint16_t cmd = p.cfg().read16(4);
    p.cfg().write16(4, on ? (cmd | 0x4) : (cmd & ~0x4));
  }

  // Brings A's TX ring and B's RX ring back to a clean running state (and
  // the ports, after a port reset).
  void recover(bool ports) {
    if (ports) {
      for (OfnicPort* p : {a_.get(), b_.get()}) {
        p->enable();
      }
      a_->set_mac(kMacA);
      b_->set_mac(kMacB);
      b_->set_reg(OFNIC_REG_MAX_FRAME, 9018);
      b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
    }
    a_->ring_reset(0, Dir::kTx);
    a_tx_->rewind();
    a_tx_->start();
    b_->ring_reset(0, Dir::kRx);
    b_rx_->rewind();
    b_rx_->start();
    b_rx_->post(b_rx_->size() - 1);
  }

  std::mt19937 rng_{20261206};
  std::vector<Frame> tso_, segs_;
  uint32_t seg_next_ = 0;
};

TEST_F(OfnicStressTest, PerturbationsDuringTsoAndLro) {
  const unsigned n = stress_rounds();
  unsigned done[9] = {};
  // What the devices did meanwhile (a lower bound: a port reset clears its counters).
  uint64_t tso = 0, lro = 0, errors = 0, last_tso = 0, last_lro = 0, last_errors = 0;
  auto count = [&](uint64_t& total, uint64_t& last, uint64_t now) {
    total += now >= last ? now - last : now;
    last = now;
  };
  for (unsigned r = 0; r < n; r++) {
    SCOPED_TRACE(fmt::format("round {}", r));
    burst(1 + rng_() % 6);
    if (rng_() % 2) std::this_thread::sleep_for(std::chrono::microseconds(rng_() % 2000));
    bool ports = false;
    const unsigned what = rng_() % 9;
    done[what]++;
    switch (what) {
      case 0:  // VM stop in the middle of it
        qt_->qmp("stop");
        std::this_thread::sleep_for(1ms);
        qt_->qmp("cont");
        break;
      case 1:  // Bus Master off and on at either port
        bus_master(rng_() % 2 ? *a_ : *b_, false);
        std::this_thread::sleep_for(std::chrono::microseconds(rng_() % 1000));
        bus_master(*a_, true);
        bus_master(*b_, true);
        break;
      case 2:  // A's TX ring reset while it sends
        a_->ring_reset(0, Dir::kTx);
        break;
      case 3:  // B's RX ring reset while it coalesces
        b_->ring_reset(0, Dir::kRx);
        break;
      case 4:  // descriptors rewritten while they wait: B has no buffer, A holds
        b_->ring_reset(0, Dir::kRx);
        b_rx_->rewind();
        b_rx_->start();
        burst(1 + rng_() % 6);
        rewrite_pending();
        a_tx_->doorbell();
        b_rx_->post(b_rx_->size() - 1);
        break;
      case 5:  // a port reset
        (rng_() % 2 ? a_ : b_)->set_reg(OFNIC_REG_CTRL, OFNIC_CTRL_RESET);
        ports = true;
        break;
      case 6:  // config space writes: the command register as it is, MSI-X off and on
        a_->cfg().write16(4, a_->cfg().read16(4));
        b_->msix_enable(false);
        b_->msix_enable(true);
        break;
      case 7:  // LRO off, fewer segments, on again, mid-flow
        b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_CSUM);
        b_->set_reg(OFNIC_REG_LRO_MAX_SEGS, 2 + rng_() % 8);
        b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
        break;
      case 8:  // nothing: the burst runs out (LRO's timer flushes)
        qt_->clock_step(200'000);
        break;
    }
    ASSERT_EQ(a_->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC) << "QEMU answers";
    // Let part of what is queued finish, then start clean.
    wait_for([&] { return a_tx_->head() == a_tx_->next(); }, 50ms);
    count(tso, last_tso, a_->stat(OFNIC_STAT_TSO_PKTS));
    count(lro, last_lro, b_->stat(OFNIC_STAT_LRO_FRAMES));
    count(errors, last_errors,
          a_->stat(OFNIC_STAT_TX_ERRORS) + a_->stat(OFNIC_STAT_TX_OFFLOAD_ERRORS));
    recover(ports);
  }
  for (unsigned w = 0; w < 9; w++) EXPECT_GT(done[w], 0u) << "perturbation " << w << " never ran";
  fmt::print("{} rounds: {} TSO sends, {} coalesced frames, {} TX errors flagged\n", n, tso, lro,
             errors);
  EXPECT_GT(tso, 0u);
  EXPECT_GT(lro, 0u);
  EXPECT_GT(errors, 0u) << "no rewritten descriptor was caught";

  // Clean traffic afterwards: a TSO send and a plain frame arrive intact
  // (once what the hub still held for B has come in).
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_CSUM);
  qt_->clock_step(200'000);
  settle();
  recover(false);
  settle();
  const uint64_t rx0 = b_->stat(OFNIC_STAT_RX_PKTS);
  auto f = make_frame(kMacB, kMacA, 1200, 9);
  uint32_t slot = b_rx_->head();
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
  ASSERT_TRUE(rx_done(*b_rx_, slot));
  EXPECT_TRUE(b_rx_->frame(slot) == f);
  ofnic_tx_desc d{};
  d.addr = tso_[0].addr;
  d.len = tso_[0].len;
  d.flags = OFNIC_TXD_TSO | OFNIC_TXD_EOP;
  d.mss = 1448;
  d.hdr_len = tso_[0].hdr_len;
  uint32_t i = a_tx_->add(d);
  a_tx_->doorbell();
  ASSERT_TRUE(tx_done(*a_tx_, i));
  EXPECT_EQ(a_tx_->status(i), OFNIC_TXS_DD);
  const uint64_t nseg = (30000 + 1447) / 1448;
  EXPECT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) == rx0 + 1 + nseg; }))
      << "B received " << b_->stat(OFNIC_STAT_RX_PKTS) - rx0 << " frames, want " << 1 + nseg;
}

}  // namespace
}  // namespace ofnic::test
