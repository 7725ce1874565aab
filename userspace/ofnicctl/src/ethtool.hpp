// The kernel's ethtool generic netlink family (ETHTOOL_MSG_*), and the two
// SIOCETHTOOL requests that have no netlink message in Linux 6.12: setting the
// RSS key/indirection table (ETHTOOL_SRSSH) and reading driver statistics
// values (ETHTOOL_GSTATS; their names come over netlink).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fields.hpp"
#include "json.hpp"
#include "nl.hpp"

namespace ofnicctl::ethtool {

// Attribute tables, keys as in the kernel's Documentation/netlink/specs/ethtool.yaml.
std::span<const Field> channels_fields();
std::span<const Field> rings_fields();
std::span<const Field> coalesce_fields();

// Request builders (exposed for the unit tests).
nl::Message build_get(int family, uint8_t cmd, const std::string& dev, uint32_t flags = 0);
// `values`: JSON object of settable attributes of `table` (by name).
nl::Message build_set(int family, uint8_t cmd, const std::string& dev, std::span<const Field> table,
                      const Json& values);
// Features: (name, on) pairs as a verbose bitset with mask.
nl::Message build_features_set(int family, const std::string& dev,
                               const std::vector<std::pair<std::string, bool>>& want);

// Reply parsers.
// A verbose bitset: name -> bit set. With NOMASK, the listed bits are the set ones.
std::vector<std::pair<std::string, bool>> parse_bitset(const nl::Attrs& bitset);
// FEATURES_GET reply + all feature names -> {name: {active, wanted, fixed}}.
Json parse_features(const nl::Attrs& reply, const std::vector<std::string>& names);
// RSS_GET reply -> {hfunc, key, indir}.
Json parse_rss(const nl::Attrs& reply);
// STRSET_GET reply -> the strings of one set, by index.
std::vector<std::string> parse_strset(const nl::Attrs& reply, uint32_t set_id);

// Names of ETH_RSS_HASH_* bits.
std::string hfunc_name(uint32_t hfunc);

class Client {
 public:
  explicit Client(nl::Socket& sk);

  Json channels(const std::string& dev);
  Json rings(const std::string& dev);
  Json coalesce(const std::string& dev);
  Json features(const std::string& dev);
  Json rss(const std::string& dev);
  std::optional<bool> link(const std::string& dev);
  std::vector<std::string> strings(const std::string& dev, uint32_t set_id);

  void set_channels(const std::string& dev, const Json& values);
  void set_rings(const std::string& dev, const Json& values);
  void set_coalesce(const std::string& dev, const Json& values);
  void set_features(const std::string& dev, const std::vector<std::pair<std::string, bool>>& want);

 private:
  nl::Attrs get(uint8_t cmd, const std::string& dev, uint32_t flags = 0);
  nl::Socket& sk_;
  int family_;
};

// ---- SIOCETHTOOL -------------------------------------------------------------------

// RSS: `indir` empty = back to the driver's default spread (and no longer
// "user-configured"), nullopt = unchanged; `key` nullopt = unchanged.
void ioctl_set_rss(const std::string& dev, const std::optional<std::vector<uint32_t>>& indir,
                   const std::optional<nl::Bytes>& key);
// Driver statistics values (ethtool -S), `count` of them.
std::vector<uint64_t> ioctl_stats(const std::string& dev, size_t count);

// An equal spread of `size` entries over queues 0..n-1 (the kernel's
// ethtool_rxfh_indir_default), or weighted: entry shares proportional to weights.
std::vector<uint32_t> indir_equal(size_t size, uint32_t n);
std::vector<uint32_t> indir_weighted(size_t size, std::span<const uint32_t> weights);

}  // namespace ofnicctl::ethtool
