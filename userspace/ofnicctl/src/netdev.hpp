// The kernel's netdev generic netlink family: XDP features, queues, NAPI
// instances, page pools and per-queue statistics (qstats).
#pragma once

#include <optional>
#include <span>
#include <string>

#include "fields.hpp"
#include "json.hpp"
#include "nl.hpp"

namespace ofnicctl::netdev {

std::span<const Field> qstats_fields();  // rx-packets ... tx-wake (netdev.yaml names)

// Names of the NETDEV_XDP_ACT_* / xdp-rx-metadata / xsk-flags bits that are set.
Json xdp_act_names(uint64_t bits);
Json xdp_rx_metadata_names(uint64_t bits);
Json xsk_feature_names(uint64_t bits);

nl::Message build_qstats_dump(int family, uint32_t ifindex, bool per_queue);
// qstats replies of one device -> {"device": {...}} or per queue
// [{"id": q, <rx-* and tx-* counters of both queue types merged>}], sorted by id.
Json parse_qstats(const std::vector<nl::Reply>& replies, bool per_queue);

class Client {
 public:
  explicit Client(nl::Socket& sk);
  // xdp-features, xdp-zc-max-segs, xdp-rx-metadata-features, xsk-features.
  Json dev(uint32_t ifindex);
  // [{id, type, napi-id}] of the device's queues.
  Json queues(uint32_t ifindex);
  // [{id, irq, pid}] of the device's NAPI instances.
  Json napis(uint32_t ifindex);
  // [{id, napi-id, inflight, inflight-mem, detach-time}] of the device's page pools.
  Json page_pools(uint32_t ifindex);
  Json qstats(uint32_t ifindex, bool per_queue);

 private:
  std::vector<nl::Reply> dump(uint8_t cmd, uint16_t ifindex_attr, uint32_t ifindex);
  nl::Socket& sk_;
  int family_;
};

}  // namespace ofnicctl::netdev
