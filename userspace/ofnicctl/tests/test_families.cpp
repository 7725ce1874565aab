// ofnic's own families: dev-get replies, dev-set requests; the ofdma and
// ofcopy requests and replies, and copy status without their families.
#include <gtest/gtest.h>
#include <linux/ofcopy.h>
#include <linux/ofdma.h>
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

namespace {
// The request as the socket would send it equals `want`, byte for byte.
void expect_bytes(const nl::Message& m, const Bytes& want) {
  auto got = m.bytes();
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin()));
}
}  // namespace

TEST(OfdmaFamily, ChanGetIsADumpWithoutNameADoWithIt) {
  expect_bytes(families::build_ofdma_chan_get(0x23, std::nullopt),
               genl(0x23, OFDMA_CMD_CHAN_GET, NLM_F_REQUEST | NLM_F_DUMP, 0, {}));
  expect_bytes(families::build_ofdma_chan_get(0x23, "dma0chan1"),
               genl(0x23, OFDMA_CMD_CHAN_GET, NLM_F_REQUEST | NLM_F_ACK, 0,
                    attr(OFDMA_A_CHAN_NAME, str("dma0chan1"))));
}

TEST(OfdmaFamily, ChanReply) {
  auto b =
      cat({attr(OFDMA_A_CHAN_BUS_ADDR, str("0000:00:03.0")),
           attr(OFDMA_A_CHAN_CHAN_ID, num<uint32_t>(2)), attr(OFDMA_A_CHAN_NAME, str("dma0chan2")),
           attr(OFDMA_A_CHAN_STATE, num<uint32_t>(OFDMA_CHAN_STATE_HALTED)),
           attr(OFDMA_A_CHAN_ERROR, num<uint32_t>(OFDMA_ERR_CODE_SRC)),
           attr(OFDMA_A_CHAN_IN_USE, num<uint32_t>(1)),
           nest(OFDMA_A_CHAN_STATS,
                {attr(OFDMA_A_CHAN_STATS_SUBMITTED, num<uint32_t>(7)),
                 attr(OFDMA_A_CHAN_STATS_BYTES, num<uint64_t>(5ull << 32)),
                 attr(OFDMA_A_CHAN_STATS_PREP_FULL, num<uint32_t>(1)),
                 attr(OFDMA_A_CHAN_STATS_MAX + 1, num<uint32_t>(9))})});  // newer kernel
  auto j = families::parse_ofdma_chan(nl::Attrs{nl::ByteView(b)});
  EXPECT_EQ(j.dump(),
            R"({"bus-addr":"0000:00:03.0","chan-id":2,"name":"dma0chan2","state":"halted",)"
            R"("error":"src","in-use":1,"stats":{"submitted":7,"bytes":21474836480,)"
            R"("prep-full":1}})");
}

TEST(OfcopyFamily, ConfigSetCarriesOnlyWhatIsGiven) {
  expect_bytes(families::build_ofcopy_config_set(0x24, false, std::nullopt),
               genl(0x24, OFCOPY_CMD_CONFIG_SET, NLM_F_REQUEST | NLM_F_ACK, 0,
                    attr(OFCOPY_A_CONFIG_ENABLED, num<uint32_t>(0))));
  expect_bytes(families::build_ofcopy_config_set(0x24, true, 32768),
               genl(0x24, OFCOPY_CMD_CONFIG_SET, NLM_F_REQUEST | NLM_F_ACK, 0,
                    cat({attr(OFCOPY_A_CONFIG_ENABLED, num<uint32_t>(1)),
                         attr(OFCOPY_A_CONFIG_COPYBREAK, num<uint32_t>(32768))})));
  expect_bytes(families::build_ofcopy_config_set(0x24, std::nullopt, 0),
               genl(0x24, OFCOPY_CMD_CONFIG_SET, NLM_F_REQUEST | NLM_F_ACK, 0,
                    attr(OFCOPY_A_CONFIG_COPYBREAK, num<uint32_t>(0))));
  EXPECT_THROW(families::build_ofcopy_config_set(0x24, std::nullopt, std::nullopt),
               std::invalid_argument);
  expect_bytes(families::build_ofcopy_config_get(0x24),
               genl(0x24, OFCOPY_CMD_CONFIG_GET, NLM_F_REQUEST | NLM_F_ACK, 0, {}));
}

TEST(OfcopyFamily, ConfigReply) {
  auto b = cat({attr(OFCOPY_A_CONFIG_ENABLED, num<uint32_t>(0)),
                attr(OFCOPY_A_CONFIG_COPYBREAK, num<uint32_t>(65536)),
                attr(OFCOPY_A_CONFIG_CHANNELS, num<uint32_t>(2)),
                nest(OFCOPY_A_CONFIG_STATS,
                     {attr(OFCOPY_A_STATS_BYTES_DMA, num<uint64_t>(1ull << 33)),
                      attr(OFCOPY_A_STATS_BYTES_FALLBACK_RECVMSG, num<uint32_t>(4096)),
                      attr(OFCOPY_A_STATS_FALLBACK_DISABLED, num<uint32_t>(3))})});
  auto j = families::parse_ofcopy_config(nl::Attrs{nl::ByteView(b)});
  EXPECT_EQ(j.dump(),
            R"({"enabled":false,"copybreak":65536,"channels":2,"stats":{"bytes-dma":8589934592,)"
            R"("bytes-fallback-recvmsg":4096,"fallback-disabled":3}})");
}

TEST(CopyFamilies, TablesCoverEveryCounterOfTheSpecs) {
  EXPECT_EQ(families::ofdma_chan_stats_fields().size(), size_t{OFDMA_A_CHAN_STATS_MAX});
  EXPECT_EQ(families::ofcopy_stats_fields().size(), size_t{OFCOPY_A_STATS_MAX});
  EXPECT_EQ(families::ofdma_chan_fields().size(), size_t{OFDMA_A_CHAN_MAX - 1});  // no stats
  EXPECT_EQ(families::ofcopy_config_fields().size(), size_t{OFCOPY_A_CONFIG_MAX - 1});
}

namespace {
void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << s;
}
}  // namespace

TEST(CopyStatus, DmaengineSysfsAndModulesWithoutTheirFamily) {
  // A fake /sys: ofdma and ofcopy loaded, but (on the host) no family registered.
  auto root = fs::temp_directory_path() / ("ofnicctl-test-" + std::to_string(getpid()));
  fs::remove_all(root);
  write(root / "sys/module/ofdma/refcnt", "1\n");
  write(root / "sys/module/ofcopy/refcnt", "0\n");
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
  EXPECT_FALSE(st["ofdma"].contains("source"));
  EXPECT_FALSE(st["ofdma"].contains("channels"));
  EXPECT_NE(st["ofdma"]["note"].get<std::string>().find("registers no ofdma netlink family"),
            std::string::npos);
  EXPECT_EQ(st["ofdma"]["dmaengine"][0].dump(),
            R"({"name":"dma0chan0","memcpy-count":42,"bytes-transferred":4200,"in-use":1})");
  EXPECT_EQ(st["ofcopy"]["loaded"], true);
  EXPECT_FALSE(st["ofcopy"].contains("stats"));

  fs::remove_all(root / "sys/module");
  st = families::copy_status(sk, root.string());
  EXPECT_EQ(st["ofdma"]["loaded"], false);
  EXPECT_FALSE(st["ofdma"].contains("channels"));
  EXPECT_EQ(st["ofcopy"].dump(), R"({"loaded":false})");
  fs::remove_all(root);
}
