#include "families.hpp"

#include <linux/netlink.h>
#include <linux/ofcopy.h>
#include <linux/ofdma.h>
#include <linux/ofnic.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace ofnicctl::families {

namespace fs = std::filesystem;
using FT = FieldType;

namespace {

constexpr std::string_view kErrCode[] = {"none",    "ring-config", "tail",    "desc-dma",
                                         "buf-dma", "buf-len",     "pkt-len", "offload"};
constexpr std::string_view kErrDir[] = {"tx", "rx"};
constexpr std::string_view kHwFeatures[] = {"tx-csum", "rx-csum", "tso", "lro",
                                            "hds",     "rss",     "itr", "flow"};

const Field kOfnicDev[] = {
    {OFNIC_A_DEV_IFINDEX, "ifindex", FT::U32},
    {OFNIC_A_DEV_IFNAME, "ifname", FT::STR},
    {OFNIC_A_DEV_BUS_ADDR, "bus-addr", FT::STR},
    {OFNIC_A_DEV_HW_VERSION, "hw-version", FT::U32},
    {OFNIC_A_DEV_MAX_QUEUES, "max-queues", FT::U32},
    {OFNIC_A_DEV_QUEUES, "queues", FT::U32},
    {OFNIC_A_DEV_LRO_MAX_LEN, "lro-max-len", FT::U32},
    {OFNIC_A_DEV_LRO_MAX_SEGS, "lro-max-segs", FT::U32},
    {OFNIC_A_DEV_LRO_TIMEOUT, "lro-timeout", FT::U32},
    {OFNIC_A_DEV_ERR_COUNT, "err-count", FT::U32},
    {OFNIC_A_DEV_ERR_LAST_CODE, "err-last-code", FT::U32, kErrCode},
    {OFNIC_A_DEV_ERR_LAST_QUEUE, "err-last-queue", FT::U32},
    {OFNIC_A_DEV_ERR_LAST_DIR, "err-last-dir", FT::U32, kErrDir},
    {OFNIC_A_DEV_RESET_COUNT, "reset-count", FT::UINT},
    {OFNIC_A_DEV_ADMIN_IRQS, "admin-irqs", FT::UINT},
};

const Field kOfnicHwStats[] = {
    {OFNIC_A_HW_STATS_TX_PACKETS, "tx-packets", FT::UINT},
    {OFNIC_A_HW_STATS_TX_BYTES, "tx-bytes", FT::UINT},
    {OFNIC_A_HW_STATS_RX_PACKETS, "rx-packets", FT::UINT},
    {OFNIC_A_HW_STATS_RX_BYTES, "rx-bytes", FT::UINT},
    {OFNIC_A_HW_STATS_RX_NO_BUF, "rx-no-buf", FT::UINT},
    {OFNIC_A_HW_STATS_RX_FILTERED, "rx-filtered", FT::UINT},
    {OFNIC_A_HW_STATS_RX_OVERSIZE, "rx-oversize", FT::UINT},
    {OFNIC_A_HW_STATS_TX_ERRORS, "tx-errors", FT::UINT},
    {OFNIC_A_HW_STATS_RX_ERRORS, "rx-errors", FT::UINT},
    {OFNIC_A_HW_STATS_DOORBELL_ERRORS, "doorbell-errors", FT::UINT},
    {OFNIC_A_HW_STATS_TX_CSUM, "tx-csum", FT::UINT},
    {OFNIC_A_HW_STATS_TSO_PACKETS, "tso-packets", FT::UINT},
    {OFNIC_A_HW_STATS_TSO_SEGS, "tso-segs", FT::UINT},
    {OFNIC_A_HW_STATS_TX_OFFLOAD_ERRORS, "tx-offload-errors", FT::UINT},
    {OFNIC_A_HW_STATS_RX_CSUM_GOOD, "rx-csum-good", FT::UINT},
    {OFNIC_A_HW_STATS_RX_CSUM_BAD, "rx-csum-bad", FT::UINT},
    {OFNIC_A_HW_STATS_LRO_FRAMES, "lro-frames", FT::UINT},
    {OFNIC_A_HW_STATS_LRO_SEGS, "lro-segs", FT::UINT},
    {OFNIC_A_HW_STATS_HDS_FRAMES, "hds-frames", FT::UINT},
    {OFNIC_A_HW_STATS_TX_GSO, "tx-gso", FT::UINT},
    {OFNIC_A_HW_STATS_RX_GSO, "rx-gso", FT::UINT},
    {OFNIC_A_HW_STATS_RX_GSO_SPLIT, "rx-gso-split", FT::UINT},
    {OFNIC_A_HW_STATS_VNET_HDR_ERRORS, "vnet-hdr-errors", FT::UINT},
    {OFNIC_A_HW_STATS_RX_FLOW_DROPS, "rx-flow-drops", FT::UINT},
};

const Field kOfnicQueue[] = {
    {OFNIC_A_QUEUE_STATS_QUEUE_ID, "queue-id", FT::U32},
    {OFNIC_A_QUEUE_STATS_TX_PACKETS, "tx-packets", FT::UINT},
    {OFNIC_A_QUEUE_STATS_TX_BYTES, "tx-bytes", FT::UINT},
    {OFNIC_A_QUEUE_STATS_TX_DROPS, "tx-drops", FT::UINT},
    {OFNIC_A_QUEUE_STATS_TX_STOP, "tx-stop", FT::UINT},
    {OFNIC_A_QUEUE_STATS_TX_WAKE, "tx-wake", FT::UINT},
    {OFNIC_A_QUEUE_STATS_TX_CSUM, "tx-csum", FT::UINT},
    {OFNIC_A_QUEUE_STATS_TX_TSO_PACKETS, "tx-tso-packets", FT::UINT},
    {OFNIC_A_QUEUE_STATS_TX_TSO_BYTES, "tx-tso-bytes", FT::UINT},
    {OFNIC_A_QUEUE_STATS_TX_TSO_SEGS, "tx-tso-segs", FT::UINT},
    {OFNIC_A_QUEUE_STATS_TX_RING_ERRORS, "tx-ring-errors", FT::UINT},
    {OFNIC_A_QUEUE_STATS_TX_RING_ERROR, "tx-ring-error", FT::U32, kErrCode},
    {OFNIC_A_QUEUE_STATS_RX_PACKETS, "rx-packets", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_BYTES, "rx-bytes", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_DROPS, "rx-drops", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_ALLOC_FAIL, "rx-alloc-fail", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_CSUM_GOOD, "rx-csum-good", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_CSUM_BAD, "rx-csum-bad", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_CSUM_NONE, "rx-csum-none", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_LRO_PACKETS, "rx-lro-packets", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_LRO_BYTES, "rx-lro-bytes", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_LRO_SEGS, "rx-lro-segs", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_HDS_PACKETS, "rx-hds-packets", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_NO_BUF, "rx-no-buf", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_RING_ERRORS, "rx-ring-errors", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_RING_ERROR, "rx-ring-error", FT::U32, kErrCode},
    {OFNIC_A_QUEUE_STATS_RESTARTS, "restarts", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_XDP_PASS, "rx-xdp-pass", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_XDP_DROP, "rx-xdp-drop", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_XDP_TX, "rx-xdp-tx", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_XDP_TX_ERR, "rx-xdp-tx-err", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_XDP_REDIRECT, "rx-xdp-redirect", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_XDP_REDIRECT_ERR, "rx-xdp-redirect-err", FT::UINT},
    {OFNIC_A_QUEUE_STATS_RX_XDP_ABORTED, "rx-xdp-aborted", FT::UINT},
    {OFNIC_A_QUEUE_STATS_XDP_TX_PACKETS, "xdp-tx-packets", FT::UINT},
    {OFNIC_A_QUEUE_STATS_XDP_TX_BYTES, "xdp-tx-bytes", FT::UINT},
    {OFNIC_A_QUEUE_STATS_XDP_TX_DROPS, "xdp-tx-drops", FT::UINT},
    {OFNIC_A_QUEUE_STATS_XDP_XMIT, "xdp-xmit", FT::UINT},
    {OFNIC_A_QUEUE_STATS_XDP_XMIT_ERR, "xdp-xmit-err", FT::UINT},
};

constexpr std::string_view kChanState[] = {"disabled", "idle", "active", "suspended", "halted"};
constexpr std::string_view kDmaErr[] = {"none",  "ring", "cmpl-addr", "tail", "desc-read",
                                        "flags", "len",  "src",       "dst",  "overlap"};

const Field kOfdmaChan[] = {
    {OFDMA_A_CHAN_BUS_ADDR, "bus-addr", FT::STR},
    {OFDMA_A_CHAN_CHAN_ID, "chan-id", FT::U32},
    {OFDMA_A_CHAN_NAME, "name", FT::STR},
    {OFDMA_A_CHAN_STATE, "state", FT::U32, kChanState},
    {OFDMA_A_CHAN_ERROR, "error", FT::U32, kDmaErr},
    {OFDMA_A_CHAN_IN_USE, "in-use", FT::U32},
};

const Field kOfdmaChanStats[] = {
    {OFDMA_A_CHAN_STATS_SUBMITTED, "submitted", FT::UINT},
    {OFDMA_A_CHAN_STATS_COMPLETED, "completed", FT::UINT},
    {OFDMA_A_CHAN_STATS_BYTES, "bytes", FT::UINT},
    {OFDMA_A_CHAN_STATS_ERRORS, "errors", FT::UINT},
    {OFDMA_A_CHAN_STATS_ABORTED, "aborted", FT::UINT},
    {OFDMA_A_CHAN_STATS_RECOVERIES, "recoveries", FT::UINT},
    {OFDMA_A_CHAN_STATS_INTERRUPTS, "interrupts", FT::UINT},
    {OFDMA_A_CHAN_STATS_PREP_FULL, "prep-full", FT::UINT},
    {OFDMA_A_CHAN_STATS_BAD_RECORDS, "bad-records", FT::UINT},
    {OFDMA_A_CHAN_STATS_WATCHDOG_REAPS, "watchdog-reaps", FT::UINT},
};

const Field kOfcopyConfig[] = {
    {OFCOPY_A_CONFIG_ENABLED, "enabled", FT::U32},
    {OFCOPY_A_CONFIG_COPYBREAK, "copybreak", FT::U32},
    {OFCOPY_A_CONFIG_CHANNELS, "channels", FT::U32},
    {OFCOPY_A_CONFIG_TIMEOUT_MS, "timeout-ms", FT::U32},
};

const Field kOfcopyStats[] = {
    {OFCOPY_A_STATS_RECV_CALLS, "recv-calls", FT::UINT},
    {OFCOPY_A_STATS_DMA_CALLS, "dma-calls", FT::UINT},
    {OFCOPY_A_STATS_BYTES_DMA, "bytes-dma", FT::UINT},
    {OFCOPY_A_STATS_BYTES_CPU, "bytes-cpu", FT::UINT},
    {OFCOPY_A_STATS_BYTES_FALLBACK_RECVMSG, "bytes-fallback-recvmsg", FT::UINT},
    {OFCOPY_A_STATS_BATCHES, "batches", FT::UINT},
    {OFCOPY_A_STATS_DESCRIPTORS, "descriptors", FT::UINT},
    {OFCOPY_A_STATS_PAGES_PINNED, "pages-pinned", FT::UINT},
    {OFCOPY_A_STATS_PIN_NS, "pin-ns", FT::UINT},
    {OFCOPY_A_STATS_UNPIN_NS, "unpin-ns", FT::UINT},
    {OFCOPY_A_STATS_MAP_SUBMIT_NS, "map-submit-ns", FT::UINT},
    {OFCOPY_A_STATS_DMA_WAIT_NS, "dma-wait-ns", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_FLAGS, "fallback-flags", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_SHORT_READ, "fallback-short-read", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_NOT_USER_BUFFER, "fallback-not-user-buffer", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_NO_CHANNEL, "fallback-no-channel", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_OTHER, "fallback-other", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_SMALL_BATCH, "fallback-small-batch", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_PIN_FAILED, "fallback-pin-failed", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_MAP_FAILED, "fallback-map-failed", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_RING_FULL, "fallback-ring-full", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_DMA_ERROR, "fallback-dma-error", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_TIMEOUT, "fallback-timeout", FT::UINT},
    {OFCOPY_A_STATS_FALLBACK_DISABLED, "fallback-disabled", FT::UINT},
};

}  // namespace

std::span<const Field> ofnic_dev_fields() { return kOfnicDev; }
std::span<const Field> ofnic_hw_stats_fields() { return kOfnicHwStats; }
std::span<const Field> ofnic_queue_fields() { return kOfnicQueue; }
std::span<const Field> ofdma_chan_fields() { return kOfdmaChan; }
std::span<const Field> ofdma_chan_stats_fields() { return kOfdmaChanStats; }
std::span<const Field> ofcopy_config_fields() { return kOfcopyConfig; }
std::span<const Field> ofcopy_stats_fields() { return kOfcopyStats; }

Json parse_ofnic_dev(const nl::Attrs& a) {
  Json out = parse_fields(a, kOfnicDev);
  if (auto f = a.u32(OFNIC_A_DEV_HW_FEATURES)) {
    Json names = Json::array();
    for (size_t i = 0; i < 32; i++)
      if (*f & (1u << i))
        names.push_back(i < std::size(kHwFeatures) ? std::string(kHwFeatures[i])
                                                   : "bit" + std::to_string(i));
    out["hw-features"] = names;
  }
  if (auto s = a.nested(OFNIC_A_DEV_HW_STATS)) out["hw-stats"] = parse_fields(*s, kOfnicHwStats);
  return out;
}

nl::Message build_ofnic_dev_set(int family, uint32_t ifindex, std::optional<uint32_t> segs,
                                std::optional<uint32_t> timeout) {
  nl::Message m(family, OFNIC_CMD_DEV_SET, OFNIC_FAMILY_VERSION, NLM_F_REQUEST | NLM_F_ACK);
  m.put_u32(OFNIC_A_DEV_IFINDEX, ifindex, "ifindex");
  if (segs) m.put_u32(OFNIC_A_DEV_LRO_MAX_SEGS, *segs, "lro-max-segs");
  if (timeout) m.put_u32(OFNIC_A_DEV_LRO_TIMEOUT, *timeout, "lro-timeout");
  return m;
}

std::optional<Ofnic> Ofnic::open(nl::Socket& sk) {
  auto id = sk.resolve(OFNIC_FAMILY_NAME);
  if (!id) return std::nullopt;
  return Ofnic(sk, *id);
}

Json Ofnic::dev(uint32_t ifindex) {
  nl::Message m(family_, OFNIC_CMD_DEV_GET, OFNIC_FAMILY_VERSION, NLM_F_REQUEST | NLM_F_ACK);
  m.put_u32(OFNIC_A_DEV_IFINDEX, ifindex, "ifindex");
  auto rep = sk_->request(m);
  if (rep.empty()) throw nl::ParseError("no reply to ofnic dev-get");
  return parse_ofnic_dev(rep.front().attrs());
}

Json Ofnic::queues(uint32_t ifindex) {
  nl::Message m(family_, OFNIC_CMD_QUEUE_STATS_GET, OFNIC_FAMILY_VERSION,
                NLM_F_REQUEST | NLM_F_DUMP);
  m.put_u32(OFNIC_A_QUEUE_STATS_IFINDEX, ifindex, "ifindex");
  Json out = Json::array();
  for (auto& r : sk_->request(m)) out.push_back(parse_fields(r.attrs(), kOfnicQueue));
  return out;
}

void Ofnic::set_lro(uint32_t ifindex, std::optional<uint32_t> segs,
                    std::optional<uint32_t> timeout) {
  auto m = build_ofnic_dev_set(family_, ifindex, segs, timeout);
  sk_->request(m);
}

// ---- copy offload ----------------------------------------------------------------

nl::Message build_ofdma_chan_get(int family, const std::optional<std::string>& name) {
  if (!name)
    return nl::Message(family, OFDMA_CMD_CHAN_GET, OFDMA_FAMILY_VERSION,
                       NLM_F_REQUEST | NLM_F_DUMP);
  nl::Message m(family, OFDMA_CMD_CHAN_GET, OFDMA_FAMILY_VERSION, NLM_F_REQUEST | NLM_F_ACK);
  m.put_string(OFDMA_A_CHAN_NAME, *name, "name");
  return m;
}

Json parse_ofdma_chan(const nl::Attrs& a) {
  Json c = parse_fields(a, kOfdmaChan);
  if (auto s = a.nested(OFDMA_A_CHAN_STATS)) c["stats"] = parse_fields(*s, kOfdmaChanStats);
  return c;
}

nl::Message build_ofcopy_config_get(int family) {
  return nl::Message(family, OFCOPY_CMD_CONFIG_GET, OFCOPY_FAMILY_VERSION,
                     NLM_F_REQUEST | NLM_F_ACK);
}

nl::Message build_ofcopy_config_set(int family, std::optional<bool> enabled,
                                    std::optional<uint32_t> copybreak) {
  if (!enabled && !copybreak) throw std::invalid_argument("ofcopy config-set: nothing to set");
  nl::Message m(family, OFCOPY_CMD_CONFIG_SET, OFCOPY_FAMILY_VERSION, NLM_F_REQUEST | NLM_F_ACK);
  if (enabled) m.put_u32(OFCOPY_A_CONFIG_ENABLED, *enabled ? 1 : 0, "enabled");
  if (copybreak) m.put_u32(OFCOPY_A_CONFIG_COPYBREAK, *copybreak, "copybreak");
  return m;
}

Json parse_ofcopy_config(const nl::Attrs& a) {
  Json c = parse_fields(a, kOfcopyConfig);
  if (c.contains("enabled")) c["enabled"] = c["enabled"].get<uint64_t>() != 0;
  if (auto s = a.nested(OFCOPY_A_CONFIG_STATS)) c["stats"] = parse_fields(*s, kOfcopyStats);
  return c;
}

namespace {

std::string dashes(std::string s) {
  for (auto& c : s)
    if (c == '_') c = '-';
  return s;
}

Json scalar(const std::string& v) {
  if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) {
    try {
      return std::stoull(v);
    } catch (...) {
    }
  }
  return v;
}

std::optional<std::string> slurp(const fs::path& p) {
  std::ifstream f(p);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The dmaengine channels (sysfs class "dma") whose device is bound to ofdma.
Json dmaengine_channels(const std::string& root) {
  Json out = Json::array();
  std::error_code ec;
  fs::path cls = root + "/sys/class/dma";
  std::vector<fs::path> chans;
  for (auto& e : fs::directory_iterator(cls, ec)) chans.push_back(e.path());
  std::sort(chans.begin(), chans.end());
  for (auto& p : chans) {
    auto drv = fs::read_symlink(p / "device" / "driver", ec);
    if (ec || drv.filename() != "ofdma") continue;
    Json c = {{"name", p.filename().string()}};
    for (const char* f : {"memcpy_count", "bytes_transferred", "in_use"})
      if (auto v = slurp(p / f)) c[dashes(f)] = scalar(trim(*v));
    out.push_back(c);
  }
  return out;
}

// A module that is loaded but registers no family is an ofnic build older
// than its family: say so rather than guess its counters from elsewhere.
constexpr const char* kNoFamily =
    "loaded, but it registers no {} netlink family (an older "
    "module: rebuild with make modules)";

Json ofdma_status(nl::Socket& sk, const std::string& root) {
  Json d = Json::object();
  bool loaded = fs::exists(root + "/sys/module/ofdma");
  d["loaded"] = loaded;
  if (auto fam = sk.resolve(OFDMA_FAMILY_NAME)) {
    d["loaded"] = true;
    d["source"] = "netlink";
    auto m = build_ofdma_chan_get(*fam, std::nullopt);
    Json chans = Json::array();
    for (auto& r : sk.request(m)) chans.push_back(parse_ofdma_chan(r.attrs()));
    d["channels"] = chans;
  } else if (loaded) {
    d["note"] = fmt::format(fmt::runtime(kNoFamily), "ofdma");
  }
  d["dmaengine"] = dmaengine_channels(root);
  return d;
}

Json ofcopy_status(nl::Socket& sk, const std::string& root) {
  Json c = Json::object();
  bool loaded = fs::exists(root + "/sys/module/ofcopy");
  c["loaded"] = loaded;
  if (auto fam = sk.resolve(OFCOPY_FAMILY_NAME)) {
    c["loaded"] = true;
    c["source"] = "netlink";
    auto m = build_ofcopy_config_get(*fam);
    auto rep = sk.request(m);
    if (rep.empty()) throw nl::ParseError("no reply to ofcopy config-get");
    auto cfg = parse_ofcopy_config(rep.front().attrs());
    for (auto& [k, v] : cfg.items()) c[k] = v;
  } else if (loaded) {
    c["note"] = fmt::format(fmt::runtime(kNoFamily), "ofcopy");
  }
  return c;
}

}  // namespace

Json copy_status(nl::Socket& sk, const std::string& root) {
  return Json{{"ofdma", ofdma_status(sk, root)}, {"ofcopy", ofcopy_status(sk, root)}};
}

void copy_set(nl::Socket& sk, std::optional<bool> enabled, std::optional<uint32_t> copybreak) {
  auto fam = sk.resolve(OFCOPY_FAMILY_NAME);
  if (!fam) {
    bool loaded = fs::exists("/sys/module/ofcopy");
    throw nl::Error(loaded ? "ofcopy.ko is loaded but registers no ofcopy netlink family"
                           : "ofcopy is not loaded",
                    ENOENT);
  }
  auto m = build_ofcopy_config_set(*fam, enabled, copybreak);
  sk.request(m);
}

}  // namespace ofnicctl::families
