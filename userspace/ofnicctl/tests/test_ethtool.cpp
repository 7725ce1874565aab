// ethtool netlink messages: requests built byte for byte, replies parsed from
// canned kernel messages; the RSS table spreads.
#include <gtest/gtest.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>

#include "ethtool.hpp"
#include "nlbuf.hpp"

using namespace ofnicctl;
using namespace nlbuf;

// ETH_RSS_HASH_* (kernel-internal names of the hfunc bits)
constexpr uint32_t kHashTop = 1, kHashXor = 2, kHashCrc32 = 4;

namespace {
Bytes header(const std::string& dev, uint32_t flags = 0) {
  if (flags)
    return nest(1, {attr(ETHTOOL_A_HEADER_DEV_NAME, str(dev)),
                    attr(ETHTOOL_A_HEADER_FLAGS, num<uint32_t>(flags))});
  return nest(1, {attr(ETHTOOL_A_HEADER_DEV_NAME, str(dev))});
}
nl::Attrs body(const nl::Message& m) {
  return nl::Attrs::owning(
      nl::Bytes(m.bytes().begin() + NLMSG_HDRLEN + GENL_HDRLEN, m.bytes().end()));
}
}  // namespace

TEST(EthtoolMsg, ChannelsSetIsHeaderPlusCounts) {
  auto m = ethtool::build_set(0x15, ETHTOOL_MSG_CHANNELS_SET, "eth0", ethtool::channels_fields(),
                              Json{{"combined-count", 4}});
  auto want =
      genl(0x15, ETHTOOL_MSG_CHANNELS_SET, NLM_F_REQUEST | NLM_F_ACK, 0,
           cat({header("eth0"), attr(ETHTOOL_A_CHANNELS_COMBINED_COUNT, num<uint32_t>(4))}));
  auto got = m.bytes();
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin()));
  EXPECT_EQ(m.attr_name_at(NLMSG_HDRLEN + GENL_HDRLEN + 16), "combined-count");
}

TEST(EthtoolMsg, RingsSetEncodesTcpDataSplitByName) {
  auto m = ethtool::build_set(0x15, ETHTOOL_MSG_RINGS_SET, "eth1", ethtool::rings_fields(),
                              Json{{"rx", 1024}, {"tcp-data-split", "enabled"}});
  auto a = body(m);
  EXPECT_EQ(a.u32(ETHTOOL_A_RINGS_RX), 1024u);
  EXPECT_EQ(a.u8(ETHTOOL_A_RINGS_TCP_DATA_SPLIT), ETHTOOL_TCP_DATA_SPLIT_ENABLED);
  EXPECT_EQ(a.nested(ETHTOOL_A_RINGS_HEADER)->str(ETHTOOL_A_HEADER_DEV_NAME), "eth1");
}

TEST(EthtoolMsg, SetRejectsUnknownSettings) {
  EXPECT_THROW(ethtool::build_set(0x15, ETHTOOL_MSG_COALESCE_SET, "eth0",
                                  ethtool::coalesce_fields(), Json{{"rx-usec", 1}}),
               std::invalid_argument);
}

TEST(EthtoolMsg, FeaturesSetIsAVerboseBitsetWithMask) {
  auto m = ethtool::build_features_set(0x15, "eth0", {{"rx-gro-hw", true}, {"rx-checksum", false}});
  auto a = body(m);
  EXPECT_EQ(a.nested(ETHTOOL_A_FEATURES_HEADER)->u32(ETHTOOL_A_HEADER_FLAGS),
            uint32_t{ETHTOOL_FLAG_OMIT_REPLY});
  auto wanted = a.nested(ETHTOOL_A_FEATURES_WANTED);
  ASSERT_TRUE(wanted);
  EXPECT_FALSE(wanted->flag(ETHTOOL_A_BITSET_NOMASK));  // listed bits are the mask
  auto bits = ethtool::parse_bitset(*wanted);
  ASSERT_EQ(bits.size(), 2u);
  EXPECT_EQ(bits[0], std::make_pair(std::string("rx-gro-hw"), true));
  EXPECT_EQ(bits[1], std::make_pair(std::string("rx-checksum"), false));
}

namespace {
Bytes bit(uint32_t idx, const std::string& name, bool value = false) {
  if (value)
    return nest(ETHTOOL_A_BITSET_BITS_BIT,
                {attr(ETHTOOL_A_BITSET_BIT_INDEX, num(idx)),
                 attr(ETHTOOL_A_BITSET_BIT_NAME, str(name)), attr(ETHTOOL_A_BITSET_BIT_VALUE, {})});
  return nest(ETHTOOL_A_BITSET_BITS_BIT, {attr(ETHTOOL_A_BITSET_BIT_INDEX, num(idx)),
                                          attr(ETHTOOL_A_BITSET_BIT_NAME, str(name))});
}
Bytes list(uint16_t type, std::initializer_list<Bytes> bits) {
  return nest(type,
              {attr(ETHTOOL_A_BITSET_NOMASK, {}), attr(ETHTOOL_A_BITSET_SIZE, num<uint32_t>(64)),
               nest(ETHTOOL_A_BITSET_BITS, bits)});
}
}  // namespace

TEST(EthtoolReply, FeaturesFromNomaskLists) {
  // What FEATURES_GET sends: hw (changeable), wanted, active, nochange lists.
  auto b = cat({header("eth0"),
                list(ETHTOOL_A_FEATURES_HW, {bit(19, "rx-checksum"), bit(31, "rx-gro-hw")}),
                list(ETHTOOL_A_FEATURES_WANTED, {bit(19, "rx-checksum"), bit(31, "rx-gro-hw")}),
                list(ETHTOOL_A_FEATURES_ACTIVE, {bit(19, "rx-checksum"), bit(7, "highdma")}),
                list(ETHTOOL_A_FEATURES_NOCHANGE, {bit(23, "netns-local")})});
  std::vector<std::string> names = {"highdma", "rx-checksum", "rx-gro-hw", "rx-lro", "netns-local"};
  auto f = ethtool::parse_features(nl::Attrs{nl::ByteView(b)}, names);
  EXPECT_EQ(f["rx-checksum"].dump(), R"({"active":true,"wanted":true,"fixed":false})");
  EXPECT_EQ(f["rx-gro-hw"].dump(), R"({"active":false,"wanted":true,"fixed":false})");
  EXPECT_EQ(f["rx-lro"].dump(), R"({"active":false,"wanted":false,"fixed":true})");
  EXPECT_EQ(f["highdma"]["fixed"], true);
  EXPECT_EQ(f["netns-local"]["fixed"], true);
}

TEST(EthtoolReply, RssHfuncKeyAndTable) {
  Bytes indir;
  for (uint32_t i = 0; i < 8; i++) {
    auto n = num<uint32_t>(i % 2);
    indir.insert(indir.end(), n.begin(), n.end());
  }
  auto b = cat({header("eth0"), attr(ETHTOOL_A_RSS_HFUNC, num<uint32_t>(kHashTop)),
                attr(ETHTOOL_A_RSS_INDIR, indir), attr(ETHTOOL_A_RSS_HKEY, Bytes{1, 2, 0xab})});
  auto r = ethtool::parse_rss(nl::Attrs{nl::ByteView(b)});
  EXPECT_EQ(r.dump(), R"({"hfunc":"toeplitz","key":"01:02:ab","indir":[0,1,0,1,0,1,0,1]})");
}

TEST(EthtoolReply, StringSetByIndex) {
  auto b = cat({header("eth0"),
                nest(ETHTOOL_A_STRSET_STRINGSETS,
                     {nest(ETHTOOL_A_STRINGSETS_STRINGSET,
                           {attr(ETHTOOL_A_STRINGSET_ID, num<uint32_t>(ETH_SS_STATS)),
                            attr(ETHTOOL_A_STRINGSET_COUNT, num<uint32_t>(3)),
                            nest(ETHTOOL_A_STRINGSET_STRINGS,
                                 {nest(ETHTOOL_A_STRINGS_STRING,
                                       {attr(ETHTOOL_A_STRING_INDEX, num<uint32_t>(2)),
                                        attr(ETHTOOL_A_STRING_VALUE, str("rx0_hds_headers"))}),
                                  nest(ETHTOOL_A_STRINGS_STRING,
                                       {attr(ETHTOOL_A_STRING_INDEX, num<uint32_t>(0)),
                                        attr(ETHTOOL_A_STRING_VALUE, str("tx_packets"))})})})})});
  auto s = ethtool::parse_strset(nl::Attrs{nl::ByteView(b)}, ETH_SS_STATS);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0], "tx_packets");
  EXPECT_EQ(s[1], "");
  EXPECT_EQ(s[2], "rx0_hds_headers");
  EXPECT_TRUE(ethtool::parse_strset(nl::Attrs{nl::ByteView(b)}, ETH_SS_FEATURES).empty());
}

TEST(EthtoolRss, EqualAndWeightedSpreads) {
  EXPECT_EQ(ethtool::indir_equal(6, 4), (std::vector<uint32_t>{0, 1, 2, 3, 0, 1}));
  // ethtool -X weight 1 3: a quarter to queue 0
  EXPECT_EQ(ethtool::indir_weighted(8, std::vector<uint32_t>{1, 3}),
            (std::vector<uint32_t>{0, 0, 1, 1, 1, 1, 1, 1}));
  auto t = ethtool::indir_weighted(128, std::vector<uint32_t>{7, 1});
  EXPECT_EQ(std::count(t.begin(), t.end(), 0u), 112);
  EXPECT_EQ(std::count(t.begin(), t.end(), 1u), 16);
  // a zero weight: that queue gets nothing
  auto z = ethtool::indir_weighted(128, std::vector<uint32_t>{1, 0, 1});
  EXPECT_EQ(std::count(z.begin(), z.end(), 1u), 0);
  EXPECT_THROW(ethtool::indir_weighted(128, std::vector<uint32_t>{0, 0}), std::invalid_argument);
}

TEST(EthtoolRss, HashFunctionNames) {
  EXPECT_EQ(ethtool::hfunc_name(kHashTop), "toeplitz");
  EXPECT_EQ(ethtool::hfunc_name(kHashXor | kHashCrc32), "xor,crc32");
  EXPECT_EQ(ethtool::hfunc_name(0), "none");
}
