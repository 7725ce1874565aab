// The GoogleTest fixture of the device tests: a fresh QEMU (q35, qtest
// accelerator) per test with two ofnic ports, A and B, joined by a hub, both
// found by PCI ID and mapped.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ofnic_port.h"
#include "qtest_client.h"

namespace ofnic::test {

using namespace std::chrono_literals;

inline constexpr Mac kMacA{0x52, 0x54, 0x00, 0x12, 0x34, 0x01};
inline constexpr Mac kMacB{0x52, 0x54, 0x00, 0x12, 0x34, 0x02};
inline constexpr Mac kMacOther{0x52, 0x54, 0x00, 0x12, 0x34, 0x99};
inline constexpr Mac kBroadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
inline constexpr unsigned kQueues = 4;  // "queues" property of both ports

inline constexpr uint64_t kBar0A = 0xe0000000;  // q35 PCI hole
inline constexpr uint64_t kBar0B = 0xe0010000;
inline constexpr uint32_t kBar2A = 0xe0020000;
inline constexpr uint32_t kBar2B = 0xe0021000;
// Guest RAM (64 MiB) used for rings and buffers.
inline constexpr uint64_t kMemStart = 1ull << 20;
inline constexpr uint64_t kMemEnd = 32ull << 20;
// Bus addresses no memory answers at (beyond the 64 MiB of RAM and the PCI holes).
inline constexpr uint64_t kNoMemory = 0xfff0000000ull;

// Rounds of the stress tests (each a burst, a perturbation, a recovery): 60,
// or OFNIC_STRESS_ROUNDS (make tsan runs more).
unsigned stress_rounds();

// QEMU options from the build (OFNIC_QEMU in the environment overrides the binary).
qtest::QemuOptions qemu_options(std::vector<std::string> args);
// Machine arguments: q35, qtest, two ofnic ports on hub 0 with the given queues
// and more properties (",name=value..."); port A's netdev is "n0", port B's "n1".
std::vector<std::string> two_port_args(unsigned queues = kQueues, const std::string& props = "");

class OfnicTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Starts QEMU and finds and maps ports A and B (SetUp's work; a fixture
  // with another machine overrides it).
  virtual void start_machine();

  // Polls pred (each call talks to QEMU, letting its main loop run) until it
  // holds or the timeout passes; returns its last value.
  bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 2s);
  // Gives the device time to finish what the last register write started, for
  // checks that something did NOT happen.
  void settle();

  // Standard rings in fresh guest memory (not started).
  std::unique_ptr<TxRing> make_tx(OfnicPort& port, unsigned q = 0, uint32_t size = 64);
  std::unique_ptr<RxRing> make_rx(OfnicPort& port, unsigned q = 0, uint32_t size = 64,
                                  uint32_t buf_size = 2048);
  // Copies data into fresh guest memory; returns its address.
  uint64_t put(std::span<const uint8_t> data);
  // Sends frame as one EOP descriptor and rings the doorbell; returns the
  // descriptor's index.
  uint32_t send(TxRing& tx, std::span<const uint8_t> frame);
  // Waits until descriptor i of tx has OFNIC_TXS_DD.
  ::testing::AssertionResult tx_done(TxRing& tx, uint32_t i);
  // Waits until RX descriptor i has OFNIC_RXS_DD.
  ::testing::AssertionResult rx_done(RxRing& rx, uint32_t i);

  std::unique_ptr<qtest::Client> qt_;
  std::unique_ptr<OfnicPort> a_, b_;
  GuestMem mem_{kMemStart, kMemEnd};
  bool with_qmp_ = false;   // set before SetUp() for qt_->qmp()
  std::string port_props_;  // more properties of both ports, set before SetUp()
};

// The usual traffic setup: both ports enabled, A's TX ring 0 and B's RX ring 0
// (64 buffers of 2048 bytes, all posted but one) running.
class OfnicLinkTest : public OfnicTest {
 protected:
  void SetUp() override;
  // B's RX ring on again with no buffer posted: B holds what reaches it
  // (hw-spec 7, Holding) until b_rx_->post().
  void starve_b();
  // starve_b(), then A sends two frames: the first completes and B holds it,
  // the second waits on A's ring (backpressure). Returns the second's slot.
  uint32_t hold_two_at_b();
  std::unique_ptr<TxRing> a_tx_;
  std::unique_ptr<RxRing> b_rx_;
};

// The link with B coalescing (hw-spec 7, LRO): 9018-byte frames, LRO and
// checksums on, the default LRO limits.
class OfnicLroLinkTest : public OfnicLinkTest {
 protected:
  void SetUp() override {
    OfnicLinkTest::SetUp();
    if (HasFatalFailure()) return;
    b_->set_reg(OFNIC_REG_MAX_FRAME, 9018);
    b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
  }
  void step_us(uint64_t us) { qt_->clock_step(us * 1000); }
};

}  // namespace ofnic::test
