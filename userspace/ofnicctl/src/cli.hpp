// The command line of ofnicctl (CLI11): parsing into Options, nothing else.
// docs/ofnicctl.md and docs/ofnicctl.8 describe every command.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace ofnicctl {

enum class Cmd {
  None,
  Show,
  SetChannels,
  SetRings,
  SetOffload,
  SetCoalesce,
  SetRss,
  SetLro,
  Apply,
  XdpLoad,
  XdpUnload,
  XdpStatus,
  XdpMap,
  Stats,
  CopyStatus,
  CopyEnable,
  CopyDisable,
};

struct Options {
  Cmd cmd = Cmd::None;
  bool json = false;
  bool pretty = false;
  std::string dev;

  // set channels
  std::optional<uint32_t> combined, rx_channels, tx_channels, other_channels;
  bool rss_reset = false;
  // set rings
  std::optional<uint32_t> rx_ring, tx_ring;
  std::optional<std::string> tcp_data_split;  // on|off|auto
  // set offload: NAME on|off ...
  std::vector<std::string> offload_args;
  // set coalesce
  std::optional<uint32_t> rx_usecs, rx_frames, tx_usecs, tx_frames;
  std::optional<std::string> adaptive_rx, adaptive_tx;  // on|off
  // set rss
  std::optional<uint32_t> rss_equal;
  std::vector<uint32_t> rss_weights;
  std::optional<std::string> rss_key;
  bool rss_default = false;
  // set lro (ofnic family)
  std::optional<uint32_t> lro_max_segs, lro_timeout;
  // apply
  std::string file;
  bool dry_run = false;
  // xdp
  std::string object, program, mode = "auto";
  bool replace = false;
  std::optional<std::string> map_name;
  bool all = false;
  size_t max_entries = 256;
  // stats
  bool watch = false;
  double interval = 1.0;
  unsigned count = 0;  // watch: refreshes, 0 = until interrupted
  bool driver_stats = false;
  // copy
  std::optional<uint32_t> copybreak;
};

// The CLI11 application bound to `opt` (also used by the man page test).
std::unique_ptr<CLI::App> make_app(Options& opt);

// Parses argv-style arguments (without the program name). Throws
// CLI::ParseError (and CLI::CallForHelp...) like CLI::App::parse.
Options parse_args(const std::vector<std::string>& args);

// "NAME on|off" pairs of `set offload` (names as given; see
// expand_feature_alias). Throws CLI::ValidationError on an odd count, a value
// other than on/off, or a name given twice.
std::vector<std::pair<std::string, bool>> parse_offload_args(const std::vector<std::string>& a);

// The kernel feature names an ethtool-style short name stands for (tso, gso,
// gro, gro-hw, lro, sg, rx, tx, rxhash, ...); the name itself if it is none.
std::vector<std::string> expand_feature_alias(const std::string& name);

}  // namespace ofnicctl
