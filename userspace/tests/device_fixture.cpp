#include "device_fixture.h"

#include <cstdlib>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "test_config.h"

namespace ofnic::test {

qtest::QemuOptions qemu_options(std::vector<std::string> args) {
  // For a sanitizer build of QEMU (OFNIC_QEMU_CHECKED): every report ends
  // QEMU, so the test fails with the report in QEMU's log. Leaks are not
  // checked (QEMU's core leaves its own at exit). Set unless the caller did.
  ::setenv("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=1:print_summary=1", 0);
  ::setenv("UBSAN_OPTIONS", "halt_on_error=1:abort_on_error=1:print_stacktrace=1", 0);
  qtest::QemuOptions o;
  const char* env = std::getenv("OFNIC_QEMU");
  o.binary = env && *env ? env : OFNIC_TEST_QEMU;
  std::stringstream dirs(OFNIC_TEST_QEMU_FIRMWARE);
  for (std::string d; std::getline(dirs, d, ':');) {
    if (!d.empty()) o.firmware_dirs.push_back(d);
  }
  o.args = std::move(args);
  return o;
}

unsigned stress_rounds() {
  const char* env = std::getenv("OFNIC_STRESS_ROUNDS");
  return env && *env ? unsigned(std::strtoul(env, nullptr, 10)) : 60;
}

std::vector<std::string> two_port_args(unsigned queues, const std::string& props) {
  std::vector<std::string> args = {"-machine", "q35", "-accel", "qtest",      "-display",
                                   "none",     "-m",  "64M",    "-nodefaults"};
  const Mac* macs[] = {&kMacA, &kMacB};
  for (unsigned i = 0; i < 2; i++) {
    args.insert(args.end(), {"-netdev", fmt::format("hubport,id=n{},hubid=0", i), "-device",
                             fmt::format("ofnic,netdev=n{},mac={},queues={},addr={:#x}{}", i,
                                         to_string(*macs[i]), queues, 4 + i, props)});
  }
  return args;
}

void OfnicTest::SetUp() { start_machine(); }

void OfnicTest::start_machine() {
  auto opts = qemu_options(two_port_args(kQueues, port_props_));
  opts.qmp = with_qmp_;
  qt_ = std::make_unique<qtest::Client>(opts);
  auto fns = pci_find(*qt_, OFNIC_PCI_VENDOR_ID, OFNIC_PCI_DEVICE_ID);
  ASSERT_EQ(fns.size(), 2u) << "expected two ofnic functions on bus 0";
  a_ = std::make_unique<OfnicPort>(*qt_, fns[0]);
  b_ = std::make_unique<OfnicPort>(*qt_, fns[1]);
  a_->map(kBar0A, kBar2A);
  b_->map(kBar0B, kBar2B);
  ASSERT_EQ(a_->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC) << "BAR0 of port A not mapped";
  ASSERT_EQ(b_->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC) << "BAR0 of port B not mapped";
}

void OfnicTest::TearDown() {
  if (!qt_) return;
  // Whatever a test did to the devices, QEMU must have survived it.
  EXPECT_TRUE(qt_->alive()) << "QEMU is gone";
  if (qt_->alive() && a_) {
    EXPECT_EQ(a_->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC);
  } else if (qt_->alive() && b_) {
    EXPECT_EQ(b_->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC);
  }
  if (HasFailure()) {
    qt_->stop();  // QEMU flushes its logs when it exits
    fmt::print("QEMU pid {} after {} qtest commands\n{}\n", qt_->pid(), qt_->commands(),
               qt_->log());
  }
}

bool OfnicTest::wait_for(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (unsigned n = 0;; n++) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    if (n > 8) std::this_thread::sleep_for(200us);
  }
}

void OfnicTest::settle() {
  // A doorbell schedules a bottom half that QEMU's main loop runs before it
  // reads the next command; a few round trips and a pause make sure of it.
  OfnicPort& p = a_ ? *a_ : *b_;  // (A may have been unplugged)
  for (int i = 0; i < 3; i++) p.reg(OFNIC_REG_STATUS);
  std::this_thread::sleep_for(10ms);
  p.reg(OFNIC_REG_STATUS);
}

std::unique_ptr<TxRing> OfnicTest::make_tx(OfnicPort& port, unsigned q, uint32_t size) {
  return std::make_unique<TxRing>(port, q, mem_.alloc(uint64_t(size) * OFNIC_DESC_SIZE), size);
}

std::unique_ptr<RxRing> OfnicTest::make_rx(OfnicPort& port, unsigned q, uint32_t size,
                                           uint32_t buf_size) {
  uint64_t ring = mem_.alloc(uint64_t(size) * OFNIC_DESC_SIZE);
  uint64_t bufs = mem_.alloc(uint64_t(size) * buf_size, 64);
  return std::make_unique<RxRing>(port, q, ring, size, buf_size, bufs);
}

uint64_t OfnicTest::put(std::span<const uint8_t> data) {
  uint64_t addr = mem_.alloc(data.size(), 64);
  qt_->write(addr, data);
  return addr;
}

uint32_t OfnicTest::send(TxRing& tx, std::span<const uint8_t> frame) {
  uint64_t buf = put(frame);
  uint32_t i = tx.add(buf, uint16_t(frame.size()), OFNIC_TXD_EOP);
  tx.doorbell();
  return i;
}

::testing::AssertionResult OfnicTest::tx_done(TxRing& tx, uint32_t i) {
  if (wait_for([&] { return tx.status(i) & OFNIC_TXS_DD; })) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << fmt::format("TX descriptor {} not done: status {:#x}, head {}, tail {}", i,
                        tx.status(i), tx.head(), tx.tail());
}

::testing::AssertionResult OfnicTest::rx_done(RxRing& rx, uint32_t i) {
  if (wait_for([&] { return rx.wb(i).status & OFNIC_RXS_DD; })) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << fmt::format("RX descriptor {} not written back: status {:#x}, head {}, tail {}", i,
                        uint32_t(rx.wb(i).status), rx.head(), rx.tail());
}

void OfnicLinkTest::SetUp() {
  OfnicTest::SetUp();
  if (HasFatalFailure()) return;
  a_->enable();
  b_->enable();
  a_tx_ = make_tx(*a_);
  b_rx_ = make_rx(*b_);
  a_tx_->start();
  b_rx_->start();
  b_rx_->post(63);
  ASSERT_EQ(a_->q_status(0, Dir::kTx), OFNIC_QS_ENABLED);
  ASSERT_EQ(b_->q_status(0, Dir::kRx), OFNIC_QS_ENABLED);
}

uint32_t OfnicLinkTest::hold_two_at_b() {
  starve_b();
  EXPECT_TRUE(tx_done(*a_tx_, send(*a_tx_, make_frame(kMacB, kMacA, 100, 1))));
  const uint32_t i2 = send(*a_tx_, make_frame(kMacB, kMacA, 100, 2));
  settle();
  EXPECT_EQ(a_tx_->status(i2), 0u) << "the second frame waits for the backend";
  return i2;
}

void OfnicLinkTest::starve_b() {
  b_->ring_reset(0, Dir::kRx);
  b_rx_->rewind();
  b_rx_->start();
  ASSERT_EQ(b_->q_status(0, Dir::kRx), OFNIC_QS_ENABLED);
}

}  // namespace ofnic::test
