#include "ethtool.hpp"

#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>
#include <numeric>
#include <set>

#include <fmt/format.h>

namespace ofnicctl::ethtool {

namespace {

using FT = FieldType;

constexpr std::string_view kTcpDataSplit[] = {"unknown", "disabled", "enabled"};

const Field kChannels[] = {
    {ETHTOOL_A_CHANNELS_RX_MAX, "rx-max", FT::U32},
    {ETHTOOL_A_CHANNELS_TX_MAX, "tx-max", FT::U32},
    {ETHTOOL_A_CHANNELS_OTHER_MAX, "other-max", FT::U32},
    {ETHTOOL_A_CHANNELS_COMBINED_MAX, "combined-max", FT::U32},
    {ETHTOOL_A_CHANNELS_RX_COUNT, "rx-count", FT::U32},
    {ETHTOOL_A_CHANNELS_TX_COUNT, "tx-count", FT::U32},
    {ETHTOOL_A_CHANNELS_OTHER_COUNT, "other-count", FT::U32},
    {ETHTOOL_A_CHANNELS_COMBINED_COUNT, "combined-count", FT::U32},
};

const Field kRings[] = {
    {ETHTOOL_A_RINGS_RX_MAX, "rx-max", FT::U32},
    {ETHTOOL_A_RINGS_RX_MINI_MAX, "rx-mini-max", FT::U32},
    {ETHTOOL_A_RINGS_RX_JUMBO_MAX, "rx-jumbo-max", FT::U32},
    {ETHTOOL_A_RINGS_TX_MAX, "tx-max", FT::U32},
    {ETHTOOL_A_RINGS_RX, "rx", FT::U32},
    {ETHTOOL_A_RINGS_RX_MINI, "rx-mini", FT::U32},
    {ETHTOOL_A_RINGS_RX_JUMBO, "rx-jumbo", FT::U32},
    {ETHTOOL_A_RINGS_TX, "tx", FT::U32},
    {ETHTOOL_A_RINGS_RX_BUF_LEN, "rx-buf-len", FT::U32},
    {ETHTOOL_A_RINGS_TCP_DATA_SPLIT, "tcp-data-split", FT::U8, kTcpDataSplit},
    {ETHTOOL_A_RINGS_CQE_SIZE, "cqe-size", FT::U32},
    {ETHTOOL_A_RINGS_TX_PUSH, "tx-push", FT::BOOL8},
    {ETHTOOL_A_RINGS_RX_PUSH, "rx-push", FT::BOOL8},
    {ETHTOOL_A_RINGS_TX_PUSH_BUF_LEN, "tx-push-buf-len", FT::U32},
    {ETHTOOL_A_RINGS_TX_PUSH_BUF_LEN_MAX, "tx-push-buf-len-max", FT::U32},
};

const Field kCoalesce[] = {
    {ETHTOOL_A_COALESCE_RX_USECS, "rx-usecs", FT::U32},
    {ETHTOOL_A_COALESCE_RX_MAX_FRAMES, "rx-max-frames", FT::U32},
    {ETHTOOL_A_COALESCE_RX_USECS_IRQ, "rx-usecs-irq", FT::U32},
    {ETHTOOL_A_COALESCE_RX_MAX_FRAMES_IRQ, "rx-max-frames-irq", FT::U32},
    {ETHTOOL_A_COALESCE_TX_USECS, "tx-usecs", FT::U32},
    {ETHTOOL_A_COALESCE_TX_MAX_FRAMES, "tx-max-frames", FT::U32},
    {ETHTOOL_A_COALESCE_TX_USECS_IRQ, "tx-usecs-irq", FT::U32},
    {ETHTOOL_A_COALESCE_TX_MAX_FRAMES_IRQ, "tx-max-frames-irq", FT::U32},
    {ETHTOOL_A_COALESCE_STATS_BLOCK_USECS, "stats-block-usecs", FT::U32},
    {ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX, "use-adaptive-rx", FT::BOOL8},
    {ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX, "use-adaptive-tx", FT::BOOL8},
    {ETHTOOL_A_COALESCE_PKT_RATE_LOW, "pkt-rate-low", FT::U32},
    {ETHTOOL_A_COALESCE_RX_USECS_LOW, "rx-usecs-low", FT::U32},
    {ETHTOOL_A_COALESCE_RX_MAX_FRAMES_LOW, "rx-max-frames-low", FT::U32},
    {ETHTOOL_A_COALESCE_TX_USECS_LOW, "tx-usecs-low", FT::U32},
    {ETHTOOL_A_COALESCE_TX_MAX_FRAMES_LOW, "tx-max-frames-low", FT::U32},
    {ETHTOOL_A_COALESCE_PKT_RATE_HIGH, "pkt-rate-high", FT::U32},
    {ETHTOOL_A_COALESCE_RX_USECS_HIGH, "rx-usecs-high", FT::U32},
    {ETHTOOL_A_COALESCE_RX_MAX_FRAMES_HIGH, "rx-max-frames-high", FT::U32},
    {ETHTOOL_A_COALESCE_TX_USECS_HIGH, "tx-usecs-high", FT::U32},
    {ETHTOOL_A_COALESCE_TX_MAX_FRAMES_HIGH, "tx-max-frames-high", FT::U32},
    {ETHTOOL_A_COALESCE_RATE_SAMPLE_INTERVAL, "rate-sample-interval", FT::U32},
    {ETHTOOL_A_COALESCE_USE_CQE_MODE_TX, "use-cqe-mode-tx", FT::BOOL8},
    {ETHTOOL_A_COALESCE_USE_CQE_MODE_RX, "use-cqe-mode-rx", FT::BOOL8},
    {ETHTOOL_A_COALESCE_TX_AGGR_MAX_BYTES, "tx-aggr-max-bytes", FT::U32},
    {ETHTOOL_A_COALESCE_TX_AGGR_MAX_FRAMES, "tx-aggr-max-frames", FT::U32},
    {ETHTOOL_A_COALESCE_TX_AGGR_TIME_USECS, "tx-aggr-time-usecs", FT::U32},
};

// The header attribute of every ethtool request, `nest` = ETHTOOL_A_*_HEADER (1).
void put_header(nl::Message& m, const std::string& dev, uint32_t flags) {
  m.nest_start(1, "header");
  m.put_string(ETHTOOL_A_HEADER_DEV_NAME, dev, "dev-name");
  if (flags) m.put_u32(ETHTOOL_A_HEADER_FLAGS, flags, "flags");
  m.nest_end();
}

}  // namespace

std::span<const Field> channels_fields() { return kChannels; }
std::span<const Field> rings_fields() { return kRings; }
std::span<const Field> coalesce_fields() { return kCoalesce; }

nl::Message build_get(int family, uint8_t cmd, const std::string& dev, uint32_t flags) {
  nl::Message m(family, cmd, ETHTOOL_GENL_VERSION, NLM_F_REQUEST | NLM_F_ACK);
  put_header(m, dev, flags);
  return m;
}

nl::Message build_set(int family, uint8_t cmd, const std::string& dev, std::span<const Field> table,
                      const Json& values) {
  nl::Message m(family, cmd, ETHTOOL_GENL_VERSION, NLM_F_REQUEST | NLM_F_ACK);
  put_header(m, dev, 0);
  for (auto& [k, v] : values.items()) {
    const Field* f = find_field(table, k);
    if (!f) throw std::invalid_argument(fmt::format("unknown setting \"{}\"", k));
    put_field(m, *f, v);
  }
  return m;
}

nl::Message build_features_set(int family, const std::string& dev,
                               const std::vector<std::pair<std::string, bool>>& want) {
  nl::Message m(family, ETHTOOL_MSG_FEATURES_SET, ETHTOOL_GENL_VERSION, NLM_F_REQUEST | NLM_F_ACK);
  put_header(m, dev, ETHTOOL_FLAG_OMIT_REPLY);
  m.nest_start(ETHTOOL_A_FEATURES_WANTED, "wanted");
  m.nest_start(ETHTOOL_A_BITSET_BITS, "bits");
  for (auto& [name, on] : want) {
    m.nest_start(ETHTOOL_A_BITSET_BITS_BIT, "bit");
    m.put_string(ETHTOOL_A_BITSET_BIT_NAME, name, "name");
    if (on) m.put_flag(ETHTOOL_A_BITSET_BIT_VALUE, "value");
    m.nest_end();
  }
  m.nest_end();
  m.nest_end();
  return m;
}

std::vector<std::pair<std::string, bool>> parse_bitset(const nl::Attrs& bs) {
  std::vector<std::pair<std::string, bool>> out;
  bool nomask = bs.flag(ETHTOOL_A_BITSET_NOMASK);
  auto bits = bs.nested(ETHTOOL_A_BITSET_BITS);
  if (!bits) return out;
  for (auto raw : bits->all(ETHTOOL_A_BITSET_BITS_BIT)) {
    nl::Attrs bit(raw);
    auto name = bit.str(ETHTOOL_A_BITSET_BIT_NAME);
    if (!name) continue;
    out.emplace_back(*name, nomask || bit.flag(ETHTOOL_A_BITSET_BIT_VALUE));
  }
  return out;
}

Json parse_features(const nl::Attrs& reply, const std::vector<std::string>& names) {
  auto set_of = [&](uint16_t attr) {
    std::set<std::string> s;
    if (auto bs = reply.nested(attr))
      for (auto& [n, on] : parse_bitset(*bs))
        if (on) s.insert(n);
    return s;
  };
  auto hw = set_of(ETHTOOL_A_FEATURES_HW);
  auto wanted = set_of(ETHTOOL_A_FEATURES_WANTED);
  auto active = set_of(ETHTOOL_A_FEATURES_ACTIVE);
  auto nochange = set_of(ETHTOOL_A_FEATURES_NOCHANGE);
  Json out = Json::object();
  for (const auto& n : names) {
    if (n.empty()) continue;
    out[n] = {{"active", active.count(n) > 0},
              {"wanted", wanted.count(n) > 0},
              {"fixed", hw.count(n) == 0 || nochange.count(n) > 0}};
  }
  return out;
}

std::string hfunc_name(uint32_t hfunc) {
  static const char* names[] = {"toeplitz", "xor", "crc32"};
  std::string s;
  for (unsigned i = 0; i < 32; i++) {
    if (!(hfunc & (1u << i))) continue;
    if (!s.empty()) s += ",";
    s += i < 3 ? names[i] : fmt::format("bit{}", i);
  }
  return s.empty() ? "none" : s;
}

Json parse_rss(const nl::Attrs& reply) {
  Json out = Json::object();
  if (auto h = reply.u32(ETHTOOL_A_RSS_HFUNC)) out["hfunc"] = hfunc_name(*h);
  if (auto k = reply.raw(ETHTOOL_A_RSS_HKEY)) out["key"] = to_hex(*k, ':');
  if (auto ind = reply.raw(ETHTOOL_A_RSS_INDIR)) {
    if (ind->size() % 4) throw nl::ParseError("RSS indirection table of odd size");
    Json a = Json::array();
    for (size_t i = 0; i < ind->size(); i += 4) {
      uint32_t v;
      std::memcpy(&v, ind->data() + i, 4);
      a.push_back(v);
    }
    out["indir"] = a;
  }
  return out;
}

std::vector<std::string> parse_strset(const nl::Attrs& reply, uint32_t set_id) {
  std::vector<std::string> out;
  auto sets = reply.nested(ETHTOOL_A_STRSET_STRINGSETS);
  if (!sets) return out;
  for (auto raw : sets->all(ETHTOOL_A_STRINGSETS_STRINGSET)) {
    nl::Attrs set(raw);
    if (set.u32(ETHTOOL_A_STRINGSET_ID) != set_id) continue;
    out.resize(set.u32(ETHTOOL_A_STRINGSET_COUNT).value_or(0));
    auto strings = set.nested(ETHTOOL_A_STRINGSET_STRINGS);
    if (!strings) continue;
    for (auto sraw : strings->all(ETHTOOL_A_STRINGS_STRING)) {
      nl::Attrs s(sraw);
      auto idx = s.u32(ETHTOOL_A_STRING_INDEX);
      auto val = s.str(ETHTOOL_A_STRING_VALUE);
      if (!idx || !val) continue;
      if (*idx >= out.size()) out.resize(*idx + 1);
      out[*idx] = *val;
    }
  }
  return out;
}

// ---- Client -------------------------------------------------------------------------------

Client::Client(nl::Socket& sk) : sk_(sk) {
  auto id = sk.resolve(ETHTOOL_GENL_NAME);
  if (!id) throw nl::Error("the kernel has no ethtool netlink family", EOPNOTSUPP);
  family_ = *id;
}

nl::Attrs Client::get(uint8_t cmd, const std::string& dev, uint32_t flags) {
  auto m = build_get(family_, cmd, dev, flags);
  auto replies = sk_.request(m);
  if (replies.empty()) throw nl::ParseError("no reply from the ethtool family");
  return nl::Attrs::owning(std::move(replies.front().payload));
}

Json Client::channels(const std::string& dev) {
  return parse_fields(get(ETHTOOL_MSG_CHANNELS_GET, dev), kChannels);
}
Json Client::rings(const std::string& dev) {
  return parse_fields(get(ETHTOOL_MSG_RINGS_GET, dev), kRings);
}
Json Client::coalesce(const std::string& dev) {
  return parse_fields(get(ETHTOOL_MSG_COALESCE_GET, dev), kCoalesce);
}

Json Client::features(const std::string& dev) {
  auto names = strings(dev, ETH_SS_FEATURES);
  return parse_features(get(ETHTOOL_MSG_FEATURES_GET, dev), names);
}

Json Client::rss(const std::string& dev) { return parse_rss(get(ETHTOOL_MSG_RSS_GET, dev)); }

std::optional<bool> Client::link(const std::string& dev) {
  auto a = get(ETHTOOL_MSG_LINKSTATE_GET, dev);
  if (auto l = a.u8(ETHTOOL_A_LINKSTATE_LINK)) return *l != 0;
  return std::nullopt;
}

std::vector<std::string> Client::strings(const std::string& dev, uint32_t set_id) {
  nl::Message m(family_, ETHTOOL_MSG_STRSET_GET, ETHTOOL_GENL_VERSION, NLM_F_REQUEST | NLM_F_ACK);
  put_header(m, dev, 0);
  m.nest_start(ETHTOOL_A_STRSET_STRINGSETS, "stringsets");
  m.nest_start(ETHTOOL_A_STRINGSETS_STRINGSET, "stringset");
  m.put_u32(ETHTOOL_A_STRINGSET_ID, set_id, "id");
  m.nest_end();
  m.nest_end();
  auto replies = sk_.request(m);
  if (replies.empty()) return {};
  return parse_strset(replies.front().attrs(), set_id);
}

void Client::set_channels(const std::string& dev, const Json& values) {
  auto m = build_set(family_, ETHTOOL_MSG_CHANNELS_SET, dev, kChannels, values);
  sk_.request(m);
}
void Client::set_rings(const std::string& dev, const Json& values) {
  auto m = build_set(family_, ETHTOOL_MSG_RINGS_SET, dev, kRings, values);
  sk_.request(m);
}
void Client::set_coalesce(const std::string& dev, const Json& values) {
  auto m = build_set(family_, ETHTOOL_MSG_COALESCE_SET, dev, kCoalesce, values);
  sk_.request(m);
}
void Client::set_features(const std::string& dev,
                          const std::vector<std::pair<std::string, bool>>& want) {
  auto m = build_features_set(family_, dev, want);
  sk_.request(m);
}

// ---- SIOCETHTOOL -------------------------------------------------------------------------

namespace {

void ethtool_ioctl(const std::string& dev, void* data, const char* what) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw nl::Error(fmt::format("socket: {}", std::strerror(errno)), errno);
  ifreq ifr{};
  if (dev.size() >= IFNAMSIZ) {
    close(fd);
    throw nl::Error(fmt::format("{}: interface name too long", dev), ENODEV);
  }
  std::memcpy(ifr.ifr_name, dev.c_str(), dev.size() + 1);
  ifr.ifr_data = static_cast<char*>(data);
  int rc = ioctl(fd, SIOCETHTOOL, &ifr);
  int err = errno;
  close(fd);
  if (rc < 0) throw nl::Error(fmt::format("{}: {}", what, std::strerror(err)), err);
}

}  // namespace

void ioctl_set_rss(const std::string& dev, const std::optional<std::vector<uint32_t>>& indir,
                   const std::optional<nl::Bytes>& key) {
  ethtool_rxfh probe{};
  probe.cmd = ETHTOOL_GRSSH;
  ethtool_ioctl(dev, &probe, "ETHTOOL_GRSSH");
  uint32_t isize = probe.indir_size, ksize = probe.key_size;
  if (indir && !indir->empty() && indir->size() != isize)
    throw std::invalid_argument(
        fmt::format("the indirection table has {} entries, not {}", isize, indir->size()));
  if (key && key->size() != ksize)
    throw std::invalid_argument(fmt::format("the RSS key is {} bytes, not {}", ksize, key->size()));
  size_t n_indir = indir && !indir->empty() ? isize : 0;
  size_t n_key = key ? ksize : 0;
  std::vector<uint8_t> buf(sizeof(ethtool_rxfh) + n_indir * 4 + n_key);
  auto* r = reinterpret_cast<ethtool_rxfh*>(buf.data());
  r->cmd = ETHTOOL_SRSSH;
  r->indir_size = !indir ? ETH_RXFH_INDIR_NO_CHANGE : static_cast<uint32_t>(n_indir);
  r->key_size = static_cast<uint32_t>(n_key);
  r->hfunc = 0;  // ETH_RSS_HASH_NO_CHANGE (a kernel-internal name)
  if (n_indir) std::memcpy(r->rss_config, indir->data(), n_indir * 4);
  if (n_key) std::memcpy(buf.data() + sizeof(ethtool_rxfh) + n_indir * 4, key->data(), n_key);
  ethtool_ioctl(dev, buf.data(), "ETHTOOL_SRSSH");
}

std::vector<uint64_t> ioctl_stats(const std::string& dev, size_t count) {
  ethtool_sset_info* info;
  std::vector<uint8_t> ib(sizeof(ethtool_sset_info) + sizeof(uint32_t));
  info = reinterpret_cast<ethtool_sset_info*>(ib.data());
  info->cmd = ETHTOOL_GSSET_INFO;
  info->sset_mask = 1ull << ETH_SS_STATS;
  ethtool_ioctl(dev, info, "ETHTOOL_GSSET_INFO");
  size_t n = (info->sset_mask & (1ull << ETH_SS_STATS)) ? info->data[0] : 0;
  // The kernel copies as many values as the driver has *now*: size for both.
  size_t room = std::max(n, count);
  std::vector<uint8_t> buf(sizeof(ethtool_stats) + room * sizeof(uint64_t));
  auto* st = reinterpret_cast<ethtool_stats*>(buf.data());
  st->cmd = ETHTOOL_GSTATS;
  st->n_stats = static_cast<uint32_t>(room);
  ethtool_ioctl(dev, st, "ETHTOOL_GSTATS");
  if (st->n_stats != count)
    throw nl::Error("the driver's statistics changed while they were read: try again", EAGAIN);
  std::vector<uint64_t> out(count);
  std::memcpy(out.data(), st->data, count * sizeof(uint64_t));
  return out;
}

std::vector<uint32_t> indir_equal(size_t size, uint32_t n) {
  std::vector<uint32_t> v(size);
  for (size_t i = 0; i < size; i++) v[i] = n ? static_cast<uint32_t>(i % n) : 0;
  return v;
}

std::vector<uint32_t> indir_weighted(size_t size, std::span<const uint32_t> weights) {
  uint64_t sum = std::accumulate(weights.begin(), weights.end(), uint64_t{0});
  if (!sum) throw std::invalid_argument("at least one RSS weight must be non-zero");
  std::vector<uint32_t> v(size);
  uint64_t partial = 0;
  int64_t j = -1;
  for (size_t i = 0; i < size; i++) {
    while (i >= size * partial / sum) partial += weights[static_cast<size_t>(++j)];
    v[i] = static_cast<uint32_t>(j);
  }
  return v;
}

}  // namespace ofnicctl::ethtool
