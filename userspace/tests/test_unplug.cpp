// Hot-unplug of a port: nothing of the device may outlive it.
#include <fmt/format.h>

#include "device_fixture.h"

namespace ofnic::test {
namespace {

constexpr uint8_t kRootPort = 6 << 3;  // bus 0: a PCIe root port; port A behind it
constexpr uint64_t kBar0Behind = 0xe0100000;
constexpr uint32_t kBar2Behind = 0xe0120000;

// Port A sits alone on bus 1, behind a hot-plug capable root port; B on bus 0.
class OfnicUnplugTest : public OfnicLinkTest {
 protected:
  void start_machine() override {
    std::vector<std::string> args = {
        "-machine", "q35", "-accel", "qtest", "-display", "none", "-m", "64M", "-nodefaults",
        // native PCIe hot-plug (the slot's power controller), not ACPI's
        "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off", "-device",
        fmt::format("pcie-root-port,id=rp,chassis=1,slot=1,addr={:#x}", kRootPort >> 3), "-netdev",
        "hubport,id=n0,hubid=0", "-device",
        fmt::format("ofnic,netdev=n0,mac={},queues={},bus=rp", to_string(kMacA), kQueues),
        "-netdev", "hubport,id=n1,hubid=0", "-device",
        fmt::format("ofnic,netdev=n1,mac={},queues={},addr=0x5", to_string(kMacB), kQueues)};
    qt_ = std::make_unique<qtest::Client>(qemu_options(args));
    rp_ = std::make_unique<PciConfig>(*qt_, 0, kRootPort);
    rp_->write8(0x19, 1);                                     // secondary bus
    rp_->write8(0x1a, 1);                                     // subordinate bus
    rp_->write16(0x20, uint16_t(kBar0Behind >> 16));          // memory base
    rp_->write16(0x22, uint16_t((kBar0Behind >> 16) | 0xf));  // limit: 1 MiB window
    rp_->write16(0x24, 0xfff0);                               // no prefetchable window
    rp_->write16(0x26, 0x0000);
    rp_->write16(4, rp_->read16(4) | 0x6);
    a_ = std::make_unique<OfnicPort>(*qt_, 0, 1);
    ASSERT_EQ(a_->cfg().read16(0), OFNIC_PCI_VENDOR_ID) << "port A behind the root port";
    b_ = std::make_unique<OfnicPort>(*qt_, 5 << 3);
    a_->map(kBar0Behind, kBar2Behind);
    b_->map(kBar0B, kBar2B);
    ASSERT_EQ(a_->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC);
    ASSERT_EQ(b_->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC);
  }

  // Powers the root port's slot off: QEMU then unplugs what is in it.
  void power_off_slot() {
    auto cap = rp_->find_capability(0x10);
    ASSERT_TRUE(cap.has_value());
    uint8_t sltctl = uint8_t(*cap + 0x18);
    // power indicator off (0x300), power controller off (0x400)
    rp_->write16(sltctl, uint16_t((rp_->read16(sltctl) & ~0x700) | 0x700));
    ASSERT_TRUE(wait_for([&] { return a_->cfg().read16(0) == 0xffff; }))
        << "port A still answers after its slot was powered off";
  }

  std::unique_ptr<PciConfig> rp_;
};

// A sends to a B without buffers: A's frame waits in the hub's queue with A's
// completion callback (A's next one waits on its ring). A is unplugged, then
// B gets buffers and the hub flushes its queue: A's frame must have gone with
// A (a real NIC loses what it had not put on the wire), not complete into the
// freed device, which crashed QEMU.
TEST_F(OfnicUnplugTest, FramesQueuedAtThePeerDoNotOutliveThePort) {
  hold_two_at_b();
  a_tx_.reset();
  power_off_slot();
  a_.reset();  // gone: TearDown checks B instead
  b_rx_->post(8);
  settle();
  EXPECT_TRUE(qt_->alive());
  EXPECT_EQ(b_->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u) << "a frame of the unplugged port arrived";
}

}  // namespace
}  // namespace ofnic::test
