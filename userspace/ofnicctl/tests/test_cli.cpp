// The command line: every command parses into the options it should, bad
// input is refused before anything is sent.
#include <gtest/gtest.h>
#include <CLI/CLI.hpp>

#include "cli.hpp"

using namespace ofnicctl;

TEST(Cli, ShowWithAndWithoutDeviceAndGlobalFlagsAnywhere) {
  auto o = parse_args({"show"});
  EXPECT_EQ(o.cmd, Cmd::Show);
  EXPECT_TRUE(o.dev.empty());
  o = parse_args({"-j", "show", "eth0"});
  EXPECT_TRUE(o.json);
  EXPECT_EQ(o.dev, "eth0");
  o = parse_args({"show", "eth0", "--json", "-p"});
  EXPECT_TRUE(o.json);
  EXPECT_TRUE(o.pretty);
}

TEST(Cli, SetCommands) {
  auto o = parse_args({"set", "channels", "eth0", "--combined", "4", "--rss-reset"});
  EXPECT_EQ(o.cmd, Cmd::SetChannels);
  EXPECT_EQ(o.combined, 4u);
  EXPECT_TRUE(o.rss_reset);
  o = parse_args({"set", "rings", "eth0", "--rx", "1024", "--tcp-data-split", "on"});
  EXPECT_EQ(o.cmd, Cmd::SetRings);
  EXPECT_EQ(o.rx_ring, 1024u);
  EXPECT_EQ(o.tcp_data_split, "on");
  o = parse_args({"set", "coalesce", "eth0", "--rx-usecs", "50", "--adaptive-rx", "off"});
  EXPECT_EQ(o.cmd, Cmd::SetCoalesce);
  EXPECT_EQ(o.rx_usecs, 50u);
  EXPECT_EQ(o.adaptive_rx, "off");
  o = parse_args({"set", "rss", "eth0", "--weight", "7", "1"});
  EXPECT_EQ(o.cmd, Cmd::SetRss);
  EXPECT_EQ(o.rss_weights, (std::vector<uint32_t>{7, 1}));
  o = parse_args({"set", "lro", "eth0", "--max-segs", "8"});
  EXPECT_EQ(o.cmd, Cmd::SetLro);
  EXPECT_EQ(o.lro_max_segs, 8u);
  o = parse_args({"set", "offload", "eth0", "tso", "off", "rx-gro-hw", "on"});
  EXPECT_EQ(o.cmd, Cmd::SetOffload);
  EXPECT_EQ(o.offload_args.size(), 4u);
  o = parse_args({"apply", "eth0", "-", "--dry-run"});
  EXPECT_EQ(o.cmd, Cmd::Apply);
  EXPECT_TRUE(o.dry_run);
}

TEST(Cli, RefusesIncompleteOrContradictoryCommands) {
  EXPECT_THROW(parse_args({}), CLI::ParseError);
  EXPECT_THROW(parse_args({"set", "channels", "eth0"}), CLI::ParseError);
  EXPECT_THROW(parse_args({"set", "channels", "--combined", "2"}), CLI::ParseError);  // no dev
  EXPECT_THROW(parse_args({"set", "channels", "eth0", "--combined", "0"}), CLI::ParseError);
  EXPECT_THROW(parse_args({"set", "channels", "eth0", "--combined", "many"}), CLI::ParseError);
  EXPECT_THROW(parse_args({"set", "rings", "eth0", "--tcp-data-split", "yes"}), CLI::ParseError);
  EXPECT_THROW(parse_args({"set", "rss", "eth0", "--equal", "2", "--weight", "1", "1"}),
               CLI::ParseError);
  EXPECT_THROW(parse_args({"set", "offload", "eth0", "tso"}), CLI::ParseError);
  EXPECT_THROW(parse_args({"set", "offload", "eth0", "tso", "maybe"}), CLI::ParseError);
  EXPECT_THROW(parse_args({"set", "offload", "eth0", "tso", "on", "tso", "off"}), CLI::ParseError);
  EXPECT_THROW(parse_args({"set", "lro", "eth0"}), CLI::ParseError);
  EXPECT_THROW(parse_args({"xdp", "load", "eth0", "/nonexistent.o"}), CLI::ParseError);
  EXPECT_THROW(parse_args({"xdp", "load", "eth0", "/dev/null", "--mode", "turbo"}),
               CLI::ParseError);
  EXPECT_THROW(parse_args({"stats", "eth0", "--interval", "0"}), CLI::ParseError);
  EXPECT_THROW(parse_args({"bogus"}), CLI::ParseError);
}

TEST(Cli, XdpStatsCopy) {
  auto o = parse_args({"xdp", "load", "eth0", "/dev/null", "--mode", "generic", "--replace",
                       "--prog", "xdp_drop_prog"});
  EXPECT_EQ(o.cmd, Cmd::XdpLoad);
  EXPECT_EQ(o.mode, "generic");
  EXPECT_TRUE(o.replace);
  EXPECT_EQ(o.program, "xdp_drop_prog");
  EXPECT_EQ(parse_args({"xdp", "status"}).cmd, Cmd::XdpStatus);
  o = parse_args({"xdp", "map", "eth0", "pass_stats", "--all"});
  EXPECT_EQ(o.map_name, "pass_stats");
  EXPECT_TRUE(o.all);
  o = parse_args({"stats", "eth0", "--watch", "-i", "0.5", "-c", "3"});
  EXPECT_TRUE(o.watch);
  EXPECT_DOUBLE_EQ(o.interval, 0.5);
  EXPECT_EQ(o.count, 3u);
  EXPECT_EQ(parse_args({"copy", "status"}).cmd, Cmd::CopyStatus);
  o = parse_args({"copy", "enable", "--copybreak", "8192"});
  EXPECT_EQ(o.cmd, Cmd::CopyEnable);
  EXPECT_EQ(o.copybreak, 8192u);
  EXPECT_EQ(parse_args({"copy", "disable"}).cmd, Cmd::CopyDisable);
}

TEST(Cli, OffloadPairsAndAliases) {
  auto p = parse_offload_args({"tso", "off", "rx-gro-hw", "on"});
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], std::make_pair(std::string("tso"), false));
  EXPECT_EQ(expand_feature_alias("tso"),
            (std::vector<std::string>{"tx-tcp-segmentation", "tx-tcp6-segmentation"}));
  EXPECT_EQ(expand_feature_alias("gro-hw"), (std::vector<std::string>{"rx-gro-hw"}));
  EXPECT_EQ(expand_feature_alias("rx-gro-hw"), (std::vector<std::string>{"rx-gro-hw"}));
}
