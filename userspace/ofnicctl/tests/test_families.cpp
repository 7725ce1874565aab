// ofnic's own families: dev-get replies, dev-set requests, and the debugfs /
// sysfs fallbacks of the copy offload.
#include <gtest/gtest.h>
#include <linux/ofnic.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "families.hpp"
#include "nlbuf.hpp"

using namespace ofnicctl;
using namespace nlbuf;
namespace fs = std::filesystem;

TEST(OfnicFamily, DevGetReply) {
  auto b = cat(
      {attr(OFNIC_A_DEV_IFINDEX, num<uint32_t>(2)), attr(OFNIC_A_DEV_IFNAME, str("eth0")),
       attr(OFNIC_A_DEV_HW_FEATURES, num<uint32_t>(OFNIC_HW_FEATURES_TSO | OFNIC_HW_FEATURES_HDS)),
       attr(OFNIC_A_DEV_LRO_MAX_SEGS, num<uint32_t>(64)),
       attr(OFNIC_A_DEV_ERR_LAST_CODE, num<uint32_t>(OFNIC_ERR_CODE_BUF_DMA)),
       attr(OFNIC_A_DEV_RESET_COUNT, num<uint32_t>(3)),  // uint: 4 bytes when it fits
       nest(OFNIC_A_DEV_HW_STATS, {attr(OFNIC_A_HW_STATS_TX_PACKETS, num<uint64_t>(1ull << 35)),
                                   attr(OFNIC_A_HW_STATS_HDS_FRAMES, num<uint32_t>(9))})});
  auto j = families::parse_ofnic_dev(nl::Attrs{nl::ByteView(b)});
  EXPECT_EQ(j["ifname"], "eth0");
  EXPECT_EQ(j["hw-features"].dump(), R"(["tso","hds"])");
  EXPECT_EQ(j["err-last-code"], "buf-dma");
  EXPECT_EQ(j["reset-count"], 3);
  EXPECT_EQ(j["hw-stats"].dump(), R"({"tx-packets":34359738368,"hds-frames":9})");
}

TEST(OfnicFamily, DevSetCarriesOnlyWhatIsGiven) {
  auto m = families::build_ofnic_dev_set(0x22, 7, std::nullopt, 200);
  auto want = genl(0x22, OFNIC_CMD_DEV_SET, NLM_F_REQUEST | NLM_F_ACK, 0,
                   cat({attr(OFNIC_A_DEV_IFINDEX, num<uint32_t>(7)),
                        attr(OFNIC_A_DEV_LRO_TIMEOUT, num<uint32_t>(200))}));
  auto got = m.bytes();
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin()));
}

TEST(OfnicFamily, TablesMatchTheSpecNames) {
  // Every counter of the uAPI has a name (the header grows with the spec).
  EXPECT_EQ(families::ofnic_hw_stats_fields().size(), size_t{OFNIC_A_HW_STATS_MAX});
  EXPECT_EQ(families::ofnic_queue_fields().size(),
            size_t{OFNIC_A_QUEUE_STATS_MAX - 1});  // no ifindex
  EXPECT_NE(find_field(families::ofnic_queue_fields(), "rx-hds-packets"), nullptr);
}

TEST(CopyFallback, DebugfsLines) {
  auto kv = families::parse_kv_lines("recv_calls 10\nbytes_dma 4096\nmode fast\n\n");
  EXPECT_EQ(kv.dump(), R"({"recv-calls":10,"bytes-dma":4096,"mode":"fast"})");
  auto ch = families::parse_chan_lines(
      "chan0 name dma0chan0\nchan0 state idle\nchan0 bytes 512\nchan1 state halted\n"
      "chan1 in_use 1\nnoise line here\n");
  ASSERT_EQ(ch.size(), 2u);
  EXPECT_EQ(ch[0].dump(),
            R"({"chan-id":0,"name":"dma0chan0","state":"idle","stats":{"bytes":512}})");
  EXPECT_EQ(ch[1]["in-use"], 1);
}

namespace {
void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s;
}
}  // namespace

TEST(CopyFallback, StatusFromDebugfsAndDmaengineSysfs) {
  // A fake /sys: ofdma and ofcopy loaded without their netlink families.
  auto root = fs::temp_directory_path() / ("ofnicctl-test-" + std::to_string(getpid()));
  fs::remove_all(root);
  write(root / "sys/module/ofdma/refcnt", "1\n");
  write(root / "sys/module/ofcopy/refcnt", "0\n");
  write(root / "sys/module/ofcopy/parameters/copybreak", "16384\n");
  write(root / "sys/kernel/debug/ofcopy/stats", "recv_calls 5\nbytes_dma 65536\n");
  write(root / "sys/kernel/debug/ofdma/0000:00:03.0/stats", "chan0 state idle\nchan0 bytes 100\n");
  write(root / "sys/bus/pci/drivers/ofdma/.keep", "");
  fs::create_directories(root / "sys/devices/pci/0000:00:03.0");
  fs::create_directory_symlink(root / "sys/bus/pci/drivers/ofdma",
                               root / "sys/devices/pci/0000:00:03.0/driver");
  write(root / "sys/devices/dma/dma0chan0/memcpy_count", "42\n");
  write(root / "sys/devices/dma/dma0chan0/bytes_transferred", "4200\n");
  write(root / "sys/devices/dma/dma0chan0/in_use", "1\n");
  fs::create_directory_symlink(root / "sys/devices/pci/0000:00:03.0",
                               root / "sys/devices/dma/dma0chan0/device");
  fs::create_directories(root / "sys/class/dma");
  fs::create_directory_symlink(root / "sys/devices/dma/dma0chan0",
                               root / "sys/class/dma/dma0chan0");

  nl::Socket sk;  // the host kernel has no ofdma/ofcopy family
  auto st = families::copy_status(sk, root.string());
  EXPECT_EQ(st["ofdma"]["loaded"], true);
  EXPECT_EQ(st["ofdma"]["source"], "debugfs");
  EXPECT_EQ(st["ofdma"]["channels"][0]["bus-addr"], "0000:00:03.0");
  EXPECT_EQ(st["ofdma"]["channels"][0]["stats"]["bytes"], 100);
  EXPECT_EQ(st["ofdma"]["dmaengine"][0].dump(),
            R"({"name":"dma0chan0","memcpy-count":42,"bytes-transferred":4200,"in-use":1})");
  EXPECT_EQ(st["ofcopy"]["source"], "debugfs");
  EXPECT_EQ(st["ofcopy"]["copybreak"], 16384);
  EXPECT_EQ(st["ofcopy"]["stats"]["bytes-dma"], 65536);

  fs::remove_all(root / "sys/module");
  st = families::copy_status(sk, root.string());
  EXPECT_EQ(st["ofdma"]["loaded"], false);
  EXPECT_FALSE(st["ofdma"].contains("channels"));
  EXPECT_EQ(st["ofcopy"].dump(), R"({"loaded":false})");
  fs::remove_all(root);
}
