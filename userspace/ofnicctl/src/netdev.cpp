#include "netdev.hpp"

#include <linux/netdev.h>
#include <linux/netlink.h>

#include <algorithm>
#include <map>

namespace ofnicctl::netdev {

namespace {

using FT = FieldType;

const Field kQstats[] = {
    {NETDEV_A_QSTATS_RX_PACKETS, "rx-packets", FT::UINT},
    {NETDEV_A_QSTATS_RX_BYTES, "rx-bytes", FT::UINT},
    {NETDEV_A_QSTATS_TX_PACKETS, "tx-packets", FT::UINT},
    {NETDEV_A_QSTATS_TX_BYTES, "tx-bytes", FT::UINT},
    {NETDEV_A_QSTATS_RX_ALLOC_FAIL, "rx-alloc-fail", FT::UINT},
    {NETDEV_A_QSTATS_RX_HW_DROPS, "rx-hw-drops", FT::UINT},
    {NETDEV_A_QSTATS_RX_HW_DROP_OVERRUNS, "rx-hw-drop-overruns", FT::UINT},
    {NETDEV_A_QSTATS_RX_CSUM_COMPLETE, "rx-csum-complete", FT::UINT},
    {NETDEV_A_QSTATS_RX_CSUM_UNNECESSARY, "rx-csum-unnecessary", FT::UINT},
    {NETDEV_A_QSTATS_RX_CSUM_NONE, "rx-csum-none", FT::UINT},
    {NETDEV_A_QSTATS_RX_CSUM_BAD, "rx-csum-bad", FT::UINT},
    {NETDEV_A_QSTATS_RX_HW_GRO_PACKETS, "rx-hw-gro-packets", FT::UINT},
    {NETDEV_A_QSTATS_RX_HW_GRO_BYTES, "rx-hw-gro-bytes", FT::UINT},
    {NETDEV_A_QSTATS_RX_HW_GRO_WIRE_PACKETS, "rx-hw-gro-wire-packets", FT::UINT},
    {NETDEV_A_QSTATS_RX_HW_GRO_WIRE_BYTES, "rx-hw-gro-wire-bytes", FT::UINT},
    {NETDEV_A_QSTATS_RX_HW_DROP_RATELIMITS, "rx-hw-drop-ratelimits", FT::UINT},
    {NETDEV_A_QSTATS_TX_HW_DROPS, "tx-hw-drops", FT::UINT},
    {NETDEV_A_QSTATS_TX_HW_DROP_ERRORS, "tx-hw-drop-errors", FT::UINT},
    {NETDEV_A_QSTATS_TX_CSUM_NONE, "tx-csum-none", FT::UINT},
    {NETDEV_A_QSTATS_TX_NEEDS_CSUM, "tx-needs-csum", FT::UINT},
    {NETDEV_A_QSTATS_TX_HW_GSO_PACKETS, "tx-hw-gso-packets", FT::UINT},
    {NETDEV_A_QSTATS_TX_HW_GSO_BYTES, "tx-hw-gso-bytes", FT::UINT},
    {NETDEV_A_QSTATS_TX_HW_GSO_WIRE_PACKETS, "tx-hw-gso-wire-packets", FT::UINT},
    {NETDEV_A_QSTATS_TX_HW_GSO_WIRE_BYTES, "tx-hw-gso-wire-bytes", FT::UINT},
    {NETDEV_A_QSTATS_TX_HW_DROP_RATELIMITS, "tx-hw-drop-ratelimits", FT::UINT},
    {NETDEV_A_QSTATS_TX_STOP, "tx-stop", FT::UINT},
    {NETDEV_A_QSTATS_TX_WAKE, "tx-wake", FT::UINT},
};

constexpr std::string_view kQueueType[] = {"rx", "tx"};

const Field kQueue[] = {
    {NETDEV_A_QUEUE_ID, "id", FT::U32},
    {NETDEV_A_QUEUE_TYPE, "type", FT::U32, kQueueType},
    {NETDEV_A_QUEUE_NAPI_ID, "napi-id", FT::U32},
    {NETDEV_A_QUEUE_DMABUF, "dmabuf", FT::U32},
};

const Field kNapi[] = {
    {NETDEV_A_NAPI_ID, "id", FT::U32},
    {NETDEV_A_NAPI_IRQ, "irq", FT::U32},
    {NETDEV_A_NAPI_PID, "pid", FT::U32},
};

const Field kPagePool[] = {
    {NETDEV_A_PAGE_POOL_ID, "id", FT::UINT},
    {NETDEV_A_PAGE_POOL_NAPI_ID, "napi-id", FT::UINT},
    {NETDEV_A_PAGE_POOL_INFLIGHT, "inflight", FT::UINT},
    {NETDEV_A_PAGE_POOL_INFLIGHT_MEM, "inflight-mem", FT::UINT},
    {NETDEV_A_PAGE_POOL_DETACH_TIME, "detach-time", FT::UINT},
    {NETDEV_A_PAGE_POOL_DMABUF, "dmabuf", FT::U32},
};

Json bit_names(uint64_t bits, std::span<const std::string_view> names) {
  Json a = Json::array();
  for (size_t i = 0; i < 64; i++) {
    if (!(bits & (1ull << i))) continue;
    if (i < names.size())
      a.push_back(std::string(names[i]));
    else
      a.push_back("bit" + std::to_string(i));
  }
  return a;
}

}  // namespace

std::span<const Field> qstats_fields() { return kQstats; }

Json xdp_act_names(uint64_t bits) {
  static constexpr std::string_view n[] = {"basic",      "redirect", "ndo-xmit",   "xsk-zerocopy",
                                           "hw-offload", "rx-sg",    "ndo-xmit-sg"};
  return bit_names(bits, n);
}
Json xdp_rx_metadata_names(uint64_t bits) {
  static constexpr std::string_view n[] = {"timestamp", "hash", "vlan-tag"};
  return bit_names(bits, n);
}
Json xsk_feature_names(uint64_t bits) {
  static constexpr std::string_view n[] = {"tx-timestamp", "tx-checksum"};
  return bit_names(bits, n);
}

nl::Message build_qstats_dump(int family, uint32_t ifindex, bool per_queue) {
  nl::Message m(family, NETDEV_CMD_QSTATS_GET, NETDEV_FAMILY_VERSION, NLM_F_REQUEST | NLM_F_DUMP);
  m.put_u32(NETDEV_A_QSTATS_IFINDEX, ifindex, "ifindex");
  if (per_queue) m.put_u32(NETDEV_A_QSTATS_SCOPE, NETDEV_QSTATS_SCOPE_QUEUE, "scope");
  return m;
}

Json parse_qstats(const std::vector<nl::Reply>& replies, bool per_queue) {
  if (!per_queue) {
    Json dev = Json::object();
    for (auto& r : replies) {
      auto c = parse_fields(r.attrs(), kQstats);
      for (auto& [k, v] : c.items()) dev[k] = v;
    }
    return dev;
  }
  std::map<uint32_t, Json> byq;
  for (auto& r : replies) {
    auto a = r.attrs();
    auto q = a.u32(NETDEV_A_QSTATS_QUEUE_ID);
    if (!q) continue;
    auto& e = byq[*q];
    if (e.is_null()) e = Json{{"id", *q}};
    auto counters = parse_fields(a, kQstats);
    for (auto& [k, v] : counters.items()) e[k] = v;
  }
  Json out = Json::array();
  for (auto& [q, e] : byq) out.push_back(e);
  return out;
}

Client::Client(nl::Socket& sk) : sk_(sk) {
  auto id = sk.resolve(NETDEV_FAMILY_NAME);
  if (!id) throw nl::Error("the kernel has no netdev netlink family", EOPNOTSUPP);
  family_ = *id;
}

std::vector<nl::Reply> Client::dump(uint8_t cmd, uint16_t ifindex_attr, uint32_t ifindex) {
  nl::Message m(family_, cmd, NETDEV_FAMILY_VERSION, NLM_F_REQUEST | NLM_F_DUMP);
  m.put_u32(ifindex_attr, ifindex, "ifindex");
  return sk_.request(m);
}

Json Client::dev(uint32_t ifindex) {
  nl::Message m(family_, NETDEV_CMD_DEV_GET, NETDEV_FAMILY_VERSION, NLM_F_REQUEST | NLM_F_ACK);
  m.put_u32(NETDEV_A_DEV_IFINDEX, ifindex, "ifindex");
  auto rep = sk_.request(m);
  Json out = Json::object();
  if (rep.empty()) return out;
  auto a = rep.front().attrs();
  out["xdp-features"] = xdp_act_names(a.u64(NETDEV_A_DEV_XDP_FEATURES).value_or(0));
  if (auto z = a.u32(NETDEV_A_DEV_XDP_ZC_MAX_SEGS)) out["xdp-zc-max-segs"] = *z;
  out["xdp-rx-metadata-features"] =
      xdp_rx_metadata_names(a.u64(NETDEV_A_DEV_XDP_RX_METADATA_FEATURES).value_or(0));
  out["xsk-features"] = xsk_feature_names(a.u64(NETDEV_A_DEV_XSK_FEATURES).value_or(0));
  return out;
}

Json Client::queues(uint32_t ifindex) {
  Json out = Json::array();
  for (auto& r : dump(NETDEV_CMD_QUEUE_GET, NETDEV_A_QUEUE_IFINDEX, ifindex))
    out.push_back(parse_fields(r.attrs(), kQueue));
  return out;
}

Json Client::napis(uint32_t ifindex) {
  Json out = Json::array();
  for (auto& r : dump(NETDEV_CMD_NAPI_GET, NETDEV_A_NAPI_IFINDEX, ifindex))
    out.push_back(parse_fields(r.attrs(), kNapi));
  return out;
}

Json Client::page_pools(uint32_t ifindex) {
  // page-pool-get dumps take no filter: keep the device's pools.
  nl::Message m(family_, NETDEV_CMD_PAGE_POOL_GET, NETDEV_FAMILY_VERSION,
                NLM_F_REQUEST | NLM_F_DUMP);
  Json out = Json::array();
  for (auto& r : sk_.request(m)) {
    auto a = r.attrs();
    if (a.u32(NETDEV_A_PAGE_POOL_IFINDEX) != ifindex) continue;
    out.push_back(parse_fields(a, kPagePool));
  }
  return out;
}

Json Client::qstats(uint32_t ifindex, bool per_queue) {
  auto m = build_qstats_dump(family_, ifindex, per_queue);
  return parse_qstats(sk_.request(m), per_queue);
}

}  // namespace ofnicctl::netdev
