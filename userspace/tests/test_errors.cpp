// Validation of everything the guest supplies: a bad value halts its ring with
// an error code (Q_STATUS, ERR_LAST, ERR_COUNT, Q_ERRORS, stats, INT_CAUSE.QERR),
// QC_RESET recovers the ring, and QEMU survives all of it.
#include <functional>
#include <map>

#include <fmt/format.h>

#include "device_fixture.h"

namespace ofnic::test {
namespace {

constexpr uint32_t dir_code(Dir d) { return d == Dir::kTx ? OFNIC_ERR_DIR_TX : OFNIC_ERR_DIR_RX; }

class OfnicErrorTest : public OfnicLinkTest {
 protected:
  struct Counts {
    uint32_t err_count = 0;
    uint64_t tx_errors = 0, rx_errors = 0, doorbell_errors = 0;
    std::map<std::pair<unsigned, Dir>, uint32_t> ring_errors;
  };
  Counts& counts(OfnicPort& p) { return &p == a_.get() ? ca_ : cb_; }

  // Waits for ring (q, d) of port p to halt with code and checks every place
  // the error shows; then clears INT_CAUSE.QERR (write 1 to clear).
  void expect_halted(OfnicPort& p, unsigned q, Dir d, uint32_t code) {
    SCOPED_TRACE(fmt::format("{} queue {} error {}", to_string(d), q, code));
    ASSERT_TRUE(wait_for([&] { return p.q_status(q, d) & OFNIC_QS_ERROR; }))
        << fmt::format("Q_STATUS {:#x}", p.q_status(q, d));
    EXPECT_EQ(p.q_error(q, d), code);
    EXPECT_EQ(p.reg(OFNIC_REG_ERR_LAST), code | q << 16 | dir_code(d) << 24);
    Counts& c = counts(p);
    EXPECT_EQ(p.reg(OFNIC_REG_ERR_COUNT), ++c.err_count);
    uint32_t ring_errors = ++c.ring_errors[std::make_pair(q, d)];
    EXPECT_EQ(p.qreg(q, d, OFNIC_Q_ERRORS), ring_errors);
    (d == Dir::kTx ? c.tx_errors : c.rx_errors)++;
    EXPECT_EQ(p.stat(OFNIC_STAT_TX_ERRORS), c.tx_errors);
    EXPECT_EQ(p.stat(OFNIC_STAT_RX_ERRORS), c.rx_errors);
    EXPECT_EQ(p.stat(OFNIC_STAT_DOORBELL_ERRORS), c.doorbell_errors);
    EXPECT_TRUE(p.reg(OFNIC_REG_STATUS) & OFNIC_STATUS_QERR);
    EXPECT_TRUE(p.reg(OFNIC_REG_INT_CAUSE) & OFNIC_INT_QERR);
    p.set_reg(OFNIC_REG_INT_CAUSE, 0);
    EXPECT_TRUE(p.reg(OFNIC_REG_INT_CAUSE) & OFNIC_INT_QERR) << "writing 0 clears nothing";
    p.set_reg(OFNIC_REG_INT_CAUSE, OFNIC_INT_QERR);
    EXPECT_EQ(p.reg(OFNIC_REG_INT_CAUSE) & OFNIC_INT_QERR, 0u) << "RW1C";
    EXPECT_TRUE(p.reg(OFNIC_REG_STATUS) & OFNIC_STATUS_QERR) << "the ring is still halted";
  }

  // QC_RESET clears the error and the indices.
  void reset_ring(OfnicPort& p, unsigned q, Dir d) {
    p.ring_reset(q, d);
    EXPECT_EQ(p.q_status(q, d), 0u);
    EXPECT_EQ(p.qreg(q, d, OFNIC_Q_HEAD), 0u);
    EXPECT_EQ(p.qreg(q, d, OFNIC_Q_TAIL), 0u);
    EXPECT_EQ(p.qreg(q, d, OFNIC_Q_CTRL), 0u);
  }

  // A frame from A to B goes through; no ring is left halted.
  void check_traffic() {
    uint32_t slot = b_rx_->head();
    auto f = make_frame(kMacB, kMacA, 300, seed_++);
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
    ASSERT_TRUE(rx_done(*b_rx_, slot));
    EXPECT_EQ(b_rx_->frame(slot), f);
    b_rx_->post(1);
    EXPECT_EQ(a_->reg(OFNIC_REG_STATUS) & OFNIC_STATUS_QERR, 0u);
    EXPECT_EQ(b_->reg(OFNIC_REG_STATUS) & OFNIC_STATUS_QERR, 0u);
  }

  void recover_a_tx() {
    SCOPED_TRACE("recover A's TX ring 0");
    reset_ring(*a_, 0, Dir::kTx);
    a_tx_->rewind();
    a_tx_->start();
    EXPECT_EQ(a_->q_status(0, Dir::kTx), OFNIC_QS_ENABLED);
    check_traffic();
  }

  void recover_b_rx() {
    SCOPED_TRACE("recover B's RX ring 0");
    reset_ring(*b_, 0, Dir::kRx);
    b_rx_->rewind();
    b_rx_->start();
    b_rx_->post(63);
    EXPECT_EQ(b_->q_status(0, Dir::kRx), OFNIC_QS_ENABLED);
    check_traffic();
  }

  // ---- one scenario per error; each ends with the ring recovered ----------

  void tx_tail_out_of_range() {
    SCOPED_TRACE("TX tail >= size");
    a_->set_qreg(0, Dir::kTx, OFNIC_Q_TAIL, 64);
    ca_.doorbell_errors++;
    expect_halted(*a_, 0, Dir::kTx, OFNIC_ERR_TAIL);
    EXPECT_EQ(a_tx_->tail(), 0u) << "the bad tail is not taken";
    a_->set_qreg(0, Dir::kTx, OFNIC_Q_TAIL, 1);
    EXPECT_EQ(a_tx_->tail(), 0u) << "a halted ring ignores its doorbell";
    recover_a_tx();
  }

  void rx_tail_out_of_range() {
    SCOPED_TRACE("RX tail >= size");
    uint32_t tail = b_rx_->tail();
    b_->set_qreg(0, Dir::kRx, OFNIC_Q_TAIL, 1000);
    cb_.doorbell_errors++;
    expect_halted(*b_, 0, Dir::kRx, OFNIC_ERR_TAIL);
    EXPECT_EQ(b_rx_->tail(), tail);
    recover_b_rx();
  }

  void tx_zero_length() {
    SCOPED_TRACE("TX buffer of length 0 (second descriptor of a packet)");
    auto f = make_frame(kMacB, kMacA, 100);
    uint32_t head = a_tx_->head();
    a_tx_->add(put(f), 100, 0);
    uint32_t i = a_tx_->add(put(f), 0, OFNIC_TXD_EOP);
    a_tx_->doorbell();
    expect_halted(*a_, 0, Dir::kTx, OFNIC_ERR_BUF_LEN);
    EXPECT_EQ(a_->q_status(0, Dir::kTx) & OFNIC_QS_ENABLED, OFNIC_QS_ENABLED);
    EXPECT_EQ(a_tx_->head(), head) << "HEAD stays on the packet's first descriptor";
    EXPECT_EQ(a_tx_->status(i), 0u);
    recover_a_tx();
  }

  void tx_buffer_in_own_bar() {
    SCOPED_TRACE("TX buffer in the device's own registers");
    uint32_t i = a_tx_->add(kBar0A, 64, OFNIC_TXD_EOP);
    a_tx_->doorbell();
    expect_halted(*a_, 0, Dir::kTx, OFNIC_ERR_BUF_DMA);
    EXPECT_EQ(a_tx_->status(i), 0u);
    recover_a_tx();
  }

  void tso_buffer_in_own_bar() {
    SCOPED_TRACE("TSO packet whose buffer is the device's own registers");
    ofnic_tx_desc d{};
    d.addr = kBar0A;
    d.len = 200;
    d.flags = OFNIC_TXD_EOP | OFNIC_TXD_TSO;
    d.mss = 100;
    d.hdr_len = 54;
    uint32_t i = a_tx_->add(d);
    a_tx_->doorbell();
    expect_halted(*a_, 0, Dir::kTx, OFNIC_ERR_BUF_DMA);
    EXPECT_EQ(a_tx_->status(i), 0u);
    recover_a_tx();
  }

  void tx_ring_in_own_bar() {
    SCOPED_TRACE("TX ring in the device's own registers");
    reset_ring(*a_, 0, Dir::kTx);
    a_->config_ring(0, Dir::kTx, kBar0A + OFNIC_REG_QP(0), 64);
    a_->ring_enable(0, Dir::kTx);
    a_->set_qreg(0, Dir::kTx, OFNIC_Q_TAIL, 1);
    expect_halted(*a_, 0, Dir::kTx, OFNIC_ERR_DESC_DMA);
    recover_a_tx();
  }

  void tx_buffer_outside_ram() {
    SCOPED_TRACE("TX buffer outside guest memory");
    uint64_t pkts = a_->stat(OFNIC_STAT_TX_PKTS);
    uint32_t i = a_tx_->add(kNoMemory, 100, OFNIC_TXD_EOP);
    a_tx_->doorbell();
    expect_halted(*a_, 0, Dir::kTx, OFNIC_ERR_BUF_DMA);
    EXPECT_EQ(a_tx_->status(i), 0u);
    EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), pkts);
    recover_a_tx();
  }

  void tx_ring_outside_ram() {
    SCOPED_TRACE("TX ring outside guest memory");
    reset_ring(*a_, 0, Dir::kTx);
    a_->config_ring(0, Dir::kTx, kNoMemory, 64);
    a_->ring_enable(0, Dir::kTx);
    ASSERT_EQ(a_->q_status(0, Dir::kTx), OFNIC_QS_ENABLED) << "only alignment is checked";
    a_->set_qreg(0, Dir::kTx, OFNIC_Q_TAIL, 1);
    expect_halted(*a_, 0, Dir::kTx, OFNIC_ERR_DESC_DMA);
    recover_a_tx();
  }

  void tx_too_many_descriptors() {
    SCOPED_TRACE("TX packet of 33 descriptors");
    uint64_t buf = put(make_frame(kMacB, kMacA, 64));
    uint32_t first = a_tx_->head();
    for (unsigned k = 0; k < OFNIC_TX_MAX_DESC_PER_PKT; k++) a_tx_->add(buf, 64, 0);
    a_tx_->doorbell();
    settle();
    EXPECT_EQ(a_->q_status(0, Dir::kTx), OFNIC_QS_ENABLED) << "32 without EOP: still waiting";
    EXPECT_EQ(a_tx_->head(), first);
    a_tx_->add(buf, 64, 0);
    a_tx_->doorbell();
    expect_halted(*a_, 0, Dir::kTx, OFNIC_ERR_PKT_LEN);
    EXPECT_EQ(a_tx_->head(), first);
    recover_a_tx();
  }

  void tx_packet_too_long() {
    SCOPED_TRACE("TX packet longer than OFNIC_TX_MAX_PKT");
    std::vector<uint8_t> big(40000, 0x5a);
    uint64_t buf = put(big);
    a_tx_->add(buf, 40000, 0);
    a_tx_->add(buf, 40000, OFNIC_TXD_EOP);
    a_tx_->doorbell();
    expect_halted(*a_, 0, Dir::kTx, OFNIC_ERR_PKT_LEN);
    recover_a_tx();
  }

  void rx_buffer_outside_ram() {
    SCOPED_TRACE("RX buffer outside guest memory");
    uint64_t pkts = b_->stat(OFNIC_STAT_RX_PKTS);
    reset_ring(*b_, 0, Dir::kRx);
    b_rx_->rewind();
    b_rx_->start();
    ofnic_rx_desc d{};
    d.addr = kNoMemory;
    b_rx_->write_desc(0, d);
    b_->set_qreg(0, Dir::kRx, OFNIC_Q_TAIL, 1);
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100))));
    expect_halted(*b_, 0, Dir::kRx, OFNIC_ERR_BUF_DMA);
    EXPECT_EQ(b_rx_->head(), 0u);
    EXPECT_EQ(b_rx_->wb(0).status, 0u);
    EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), pkts);
    recover_b_rx();
  }

  void rx_buffer_in_own_bar() {
    SCOPED_TRACE("RX buffer in the device's own registers");
    reset_ring(*b_, 0, Dir::kRx);
    b_rx_->rewind();
    b_rx_->start();
    ofnic_rx_desc d{};
    d.addr = kBar0B;  // a frame written here would hit ID, VERSION, ..., CTRL
    b_rx_->write_desc(0, d);
    b_->set_qreg(0, Dir::kRx, OFNIC_Q_TAIL, 1);
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100))));
    expect_halted(*b_, 0, Dir::kRx, OFNIC_ERR_BUF_DMA);
    EXPECT_EQ(b_->reg(OFNIC_REG_CTRL), OFNIC_CTRL_ENABLE) << "registers untouched";
    EXPECT_EQ(to_string(b_->mac()), to_string(kMacB));
    recover_b_rx();
  }

  // The third buffer of a four-buffer frame is bad: the frame is lost, the first
  // descriptor never gets DD although the second was written back.
  void rx_buffer_outside_ram_mid_frame() {
    SCOPED_TRACE("RX buffer outside guest memory in the middle of a frame");
    reset_ring(*b_, 0, Dir::kRx);
    auto rx = make_rx(*b_, 0, 64, 256);
    rx->start();
    rx->post(8);
    ofnic_rx_desc d{};
    d.addr = kNoMemory;
    rx->write_desc(2, d);
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 1000))));
    expect_halted(*b_, 0, Dir::kRx, OFNIC_ERR_BUF_DMA);
    EXPECT_EQ(rx->head(), 0u);
    EXPECT_EQ(rx->wb(0).status, 0u) << "first descriptor's status is written last";
    EXPECT_EQ(rx->wb(1).status, OFNIC_RXS_DD);
    recover_b_rx();
  }

  void rx_ring_outside_ram() {
    SCOPED_TRACE("RX ring outside guest memory");
    reset_ring(*b_, 0, Dir::kRx);
    b_->config_ring(0, Dir::kRx, kNoMemory, 64, 2048);
    b_->ring_enable(0, Dir::kRx);
    ASSERT_EQ(b_->q_status(0, Dir::kRx), OFNIC_QS_ENABLED);
    b_->set_qreg(0, Dir::kRx, OFNIC_Q_TAIL, 8);
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100))));
    expect_halted(*b_, 0, Dir::kRx, OFNIC_ERR_DESC_DMA);
    EXPECT_EQ(b_->qreg(0, Dir::kRx, OFNIC_Q_HEAD), 0u);
    recover_b_rx();
  }

  Counts ca_, cb_;
  uint8_t seed_ = 1;
};

TEST_F(OfnicErrorTest, TxTailOutOfRange) { tx_tail_out_of_range(); }
TEST_F(OfnicErrorTest, RxTailOutOfRange) { rx_tail_out_of_range(); }
TEST_F(OfnicErrorTest, TxZeroLengthBuffer) { tx_zero_length(); }
TEST_F(OfnicErrorTest, TxBufferOutsideRam) { tx_buffer_outside_ram(); }
TEST_F(OfnicErrorTest, TxRingOutsideRam) { tx_ring_outside_ram(); }
TEST_F(OfnicErrorTest, TxTooManyDescriptors) { tx_too_many_descriptors(); }
TEST_F(OfnicErrorTest, TxPacketTooLong) { tx_packet_too_long(); }
TEST_F(OfnicErrorTest, RxBufferOutsideRam) { rx_buffer_outside_ram(); }
TEST_F(OfnicErrorTest, RxRingOutsideRam) { rx_ring_outside_ram(); }
TEST_F(OfnicErrorTest, RxBufferOutsideRamMidFrame) { rx_buffer_outside_ram_mid_frame(); }
TEST_F(OfnicErrorTest, TxBufferInOwnRegisters) { tx_buffer_in_own_bar(); }
TEST_F(OfnicErrorTest, TxRingInOwnRegisters) { tx_ring_in_own_bar(); }
TEST_F(OfnicErrorTest, TsoBufferInOwnRegisters) { tso_buffer_in_own_bar(); }
TEST_F(OfnicErrorTest, RxBufferInOwnRegisters) { rx_buffer_in_own_bar(); }

// hw-spec 5: HEAD and TAIL survive disable/enable, so enabling after SIZE shrank
// below them (without a ring reset) is a RING_CONFIG error.
TEST_F(OfnicErrorTest, ShrunkRingWithoutResetIsRefused) {
  auto tx = make_tx(*a_, 1, 128);
  tx->start();
  for (int k = 0; k < 100; k++) tx->add(put(make_frame(kMacOther, kMacA, 60)), 60, OFNIC_TXD_EOP);
  tx->doorbell();
  ASSERT_TRUE(tx_done(*tx, 99));
  ASSERT_EQ(tx->head(), 100u);
  a_->set_qreg(1, Dir::kTx, OFNIC_Q_CTRL, 0);
  a_->set_qreg(1, Dir::kTx, OFNIC_Q_SIZE, 64);
  EXPECT_EQ(a_->qreg(1, Dir::kTx, OFNIC_Q_SIZE), 64u) << "writable while disabled";
  a_->ring_enable(1, Dir::kTx);
  expect_halted(*a_, 1, Dir::kTx, OFNIC_ERR_RING_CONFIG);
  EXPECT_EQ(a_->qreg(1, Dir::kTx, OFNIC_Q_CTRL), OFNIC_QC_ENABLE) << "reads back what was written";
  reset_ring(*a_, 1, Dir::kTx);
  a_->ring_enable(1, Dir::kTx);
  EXPECT_EQ(a_->q_status(1, Dir::kTx), OFNIC_QS_ENABLED);
}

// hw-spec 5: TAIL writes to a disabled ring are ignored, and are no error.
TEST_F(OfnicErrorTest, TailWriteToDisabledRingIsIgnored) {
  a_->config_ring(2, Dir::kTx, mem_.alloc(64 * OFNIC_DESC_SIZE), 64);
  a_->set_qreg(2, Dir::kTx, OFNIC_Q_TAIL, 5);
  a_->set_qreg(2, Dir::kTx, OFNIC_Q_TAIL, 1000);
  EXPECT_EQ(a_->qreg(2, Dir::kTx, OFNIC_Q_TAIL), 0u);
  EXPECT_EQ(a_->q_status(2, Dir::kTx), 0u);
  EXPECT_EQ(a_->reg(OFNIC_REG_ERR_COUNT), 0u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_DOORBELL_ERRORS), 0u);
}

// Every error in turn on the same two devices; the counters add up, each ring
// recovers, traffic flows at the end and QEMU still answers.
TEST_F(OfnicErrorTest, AllErrorsInSequenceThenRecover) {
  const std::vector<std::function<void()>> steps = {
      [&] { tx_tail_out_of_range(); },    [&] { tx_zero_length(); },
      [&] { tx_buffer_outside_ram(); },   [&] { tx_ring_outside_ram(); },
      [&] { tx_too_many_descriptors(); }, [&] { tx_packet_too_long(); },
      [&] { rx_tail_out_of_range(); },    [&] { rx_buffer_outside_ram(); },
      [&] { rx_ring_outside_ram(); },     [&] { tx_buffer_in_own_bar(); },
      [&] { tx_ring_in_own_bar(); },      [&] { tso_buffer_in_own_bar(); },
      [&] { rx_buffer_in_own_bar(); },    [&] { rx_buffer_outside_ram_mid_frame(); },
  };
  for (const auto& step : steps) {
    step();
    if (HasFatalFailure()) return;
  }
  EXPECT_EQ(a_->reg(OFNIC_REG_ERR_COUNT), 9u);
  EXPECT_EQ(b_->reg(OFNIC_REG_ERR_COUNT), 5u);
  EXPECT_EQ(a_->qreg(0, Dir::kTx, OFNIC_Q_ERRORS), 9u);
  EXPECT_EQ(b_->qreg(0, Dir::kRx, OFNIC_Q_ERRORS), 5u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_DOORBELL_ERRORS), 1u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_DOORBELL_ERRORS), 1u);
  for (int k = 0; k < 5; k++) check_traffic();
  EXPECT_TRUE(qt_->alive());
  EXPECT_EQ(a_->cfg().read16(0), OFNIC_PCI_VENDOR_ID);
}

// Ring configuration is validated when the ring is enabled.
struct ConfigCase {
  const char* name;
  bool port_b;
  unsigned q;
  Dir dir;
  uint32_t size;
  uint64_t base_offset;  // from a 4 KiB-aligned base
  uint32_t buf_size;
  bool valid;
};

void PrintTo(const ConfigCase& c, std::ostream* os) { *os << c.name; }

class RingConfig : public OfnicErrorTest, public ::testing::WithParamInterface<ConfigCase> {};

TEST_P(RingConfig, ValidatedAtEnable) {
  const ConfigCase& c = GetParam();
  OfnicPort& p = c.port_b ? *b_ : *a_;
  uint64_t base = mem_.alloc(uint64_t(OFNIC_RING_MAX) * OFNIC_DESC_SIZE + 4096, 4096);
  p.config_ring(c.q, c.dir, base + c.base_offset, c.size, c.buf_size);
  p.ring_enable(c.q, c.dir);
  if (c.valid) {
    EXPECT_EQ(p.q_status(c.q, c.dir), OFNIC_QS_ENABLED);
    EXPECT_EQ(p.reg(OFNIC_REG_ERR_COUNT), 0u);
    EXPECT_EQ(p.reg(OFNIC_REG_INT_CAUSE), 0u);
    check_traffic();
    return;
  }
  expect_halted(p, c.q, c.dir, OFNIC_ERR_RING_CONFIG);
  EXPECT_EQ(p.q_status(c.q, c.dir) & OFNIC_QS_ENABLED, 0u);
  EXPECT_EQ(p.qreg(c.q, c.dir, OFNIC_Q_CTRL), OFNIC_QC_ENABLE) << "reads back what was written";

  // Fixing the configuration is not enough: the ring stays halted until reset.
  p.config_ring(c.q, c.dir, base, 64, 2048);
  p.ring_enable(c.q, c.dir);
  EXPECT_TRUE(p.q_status(c.q, c.dir) & OFNIC_QS_ERROR);
  reset_ring(p, c.q, c.dir);
  EXPECT_EQ(p.reg(OFNIC_REG_STATUS) & OFNIC_STATUS_QERR, 0u);
  p.ring_enable(c.q, c.dir);
  EXPECT_EQ(p.q_status(c.q, c.dir), OFNIC_QS_ENABLED);
  EXPECT_EQ(p.qreg(c.q, c.dir, OFNIC_Q_ERRORS), 1u) << "the count survives the reset";
  check_traffic();  // the other rings were never affected
}

INSTANTIATE_TEST_SUITE_P(
    Ofnic, RingConfig,
    ::testing::Values(ConfigCase{"tx_size_not_power_of_two", false, 2, Dir::kTx, 100, 0, 0, false},
                      ConfigCase{"tx_size_below_min", false, 2, Dir::kTx, 32, 0, 0, false},
                      ConfigCase{"tx_size_above_max", false, 2, Dir::kTx, 8192, 0, 0, false},
                      ConfigCase{"tx_size_zero", false, 3, Dir::kTx, 0, 0, 0, false},
                      ConfigCase{"tx_base_misaligned", false, 1, Dir::kTx, 64, 64, 0, false},
                      ConfigCase{"tx_base_misaligned_by_8", false, 2, Dir::kTx, 64, 8, 0, false},
                      ConfigCase{"rx_size_not_power_of_two", true, 1, Dir::kRx, 96, 0, 2048, false},
                      ConfigCase{"rx_base_misaligned", true, 2, Dir::kRx, 64, 32, 2048, false},
                      ConfigCase{"rx_buf_below_min", true, 1, Dir::kRx, 64, 0, 255, false},
                      ConfigCase{"rx_buf_above_max", true, 3, Dir::kRx, 64, 0, 16385, false},
                      ConfigCase{"rx_buf_zero", true, 1, Dir::kRx, 64, 0, 0, false},
                      ConfigCase{"tx_size_max_ok", false, 2, Dir::kTx, 4096, 0, 0, true},
                      ConfigCase{"tx_base_aligned_128_ok", false, 1, Dir::kTx, 64, 128, 0, true},
                      ConfigCase{"rx_buf_min_ok", true, 1, Dir::kRx, 64, 0, 256, true},
                      ConfigCase{"rx_buf_max_ok", true, 2, Dir::kRx, 128, 0, 16384, true}),
    [](const auto& p) { return std::string(p.param.name); });

// The largest legal packets are sent: OFNIC_TX_MAX_DESC_PER_PKT descriptors,
// and OFNIC_TX_MAX_PKT bytes.
TEST_F(OfnicErrorTest, TxLimitsAreInclusive) {
  auto f = make_frame(kMacB, kMacA, 32 * 40, 7);
  for (unsigned k = 0; k < OFNIC_TX_MAX_DESC_PER_PKT; k++) {
    a_tx_->add(put({f.data() + 40 * k, 40}), 40,
               k == OFNIC_TX_MAX_DESC_PER_PKT - 1 ? OFNIC_TXD_EOP : 0);
  }
  a_tx_->doorbell();
  ASSERT_TRUE(tx_done(*a_tx_, OFNIC_TX_MAX_DESC_PER_PKT - 1));
  ASSERT_TRUE(rx_done(*b_rx_, 0));
  EXPECT_EQ(b_rx_->frame(0), f);

  auto big = make_frame(kMacB, kMacA, OFNIC_TX_MAX_PKT, 8);
  uint32_t i = a_tx_->add(put({big.data(), 32768}), 32768, 0);
  a_tx_->add(put({big.data() + 32768, big.size() - 32768}), uint16_t(big.size() - 32768),
             OFNIC_TXD_EOP);
  a_tx_->doorbell();
  ASSERT_TRUE(tx_done(*a_tx_, i + 1));
  EXPECT_EQ(a_tx_->status(i + 1), OFNIC_TXS_DD);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 2u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_BYTES), 32u * 40 + OFNIC_TX_MAX_PKT);
  EXPECT_EQ(a_->reg(OFNIC_REG_ERR_COUNT), 0u);
  // B's MAX_FRAME (1518) drops it.
  EXPECT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_OVERSIZE) == 1; }));
}

}  // namespace
}  // namespace ofnic::test
