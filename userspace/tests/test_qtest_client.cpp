// The qtest client itself: a hung or dead QEMU fails the caller quickly
// instead of blocking it, and protocol errors are reported.
#include <signal.h>

#include <chrono>

#include "device_fixture.h"

namespace ofnic::test {
namespace {

using Clock = std::chrono::steady_clock;

qtest::QemuOptions options() { return qemu_options(two_port_args()); }

TEST(QtestClient, ReadsAndWritesGuestMemory) {
  qtest::Client qt(options());
  std::vector<uint8_t> data(40000);
  for (size_t i = 0; i < data.size(); i++) data[i] = uint8_t(i * 13 + (i >> 9));
  qt.write(0x200000, data);
  EXPECT_EQ(qt.read(0x200000, data.size()), data);
  qt.writeq(0x300000, 0x0102030405060708ull);
  EXPECT_EQ(qt.readl(0x300000), 0x05060708u);
  EXPECT_EQ(qt.readw(0x300006), 0x0102u);
  qt.memset(0x300000, 8, 0xab);
  EXPECT_EQ(qt.readq(0x300000), 0xababababababababull);
}

TEST(QtestClient, HungQemuTimesOut) {
  qtest::Client qt(options());
  ASSERT_EQ(qt.inl(0xcfc), 0xffffffffu);  // no config address selected
  qt.set_timeout(300ms);
  ::kill(qt.pid(), SIGSTOP);
  auto start = Clock::now();
  EXPECT_THROW(qt.readl(0x1000), qtest::Error);
  EXPECT_LT(Clock::now() - start, 3s);
  // The destructor kills the stopped QEMU.
}

TEST(QtestClient, DeadQemuIsReported) {
  qtest::Client qt(options());
  ::kill(qt.pid(), SIGKILL);
  try {
    for (int i = 0; i < 100; i++) qt.readl(0x1000);  // until the socket reports it
    FAIL() << "no error from a dead QEMU";
  } catch (const qtest::Error& e) {
    EXPECT_NE(std::string(e.what()).find("signal 9"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(qt.alive());
}

TEST(QtestClient, FailReplyThrows) {
  qtest::Client qt(options());
  EXPECT_THROW(qt.command("no_such_command"), qtest::Error);
  EXPECT_EQ(qt.inl(0xcfc), 0xffffffffu) << "still in step after a FAIL";
}

TEST(QtestClient, QemuThatCannotStartIsReported) {
  auto opts = options();
  opts.args.push_back("-no-such-option");
  EXPECT_THROW(qtest::Client qt(opts), qtest::Error);
}

}  // namespace
}  // namespace ofnic::test
