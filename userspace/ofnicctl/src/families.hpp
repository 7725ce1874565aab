// ofnic's own generic netlink families (include/uapi/{ofnic,ofdma,ofcopy}.yaml,
// docs/netlink.md), registered by ofnic.ko, ofdma.ko and ofcopy.ko; plus the
// standard dmaengine sysfs view of ofdma's channels.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "fields.hpp"
#include "json.hpp"
#include "nl.hpp"

namespace ofnicctl::families {

std::span<const Field> ofnic_dev_fields();
std::span<const Field> ofnic_hw_stats_fields();
std::span<const Field> ofnic_queue_fields();
std::span<const Field> ofdma_chan_fields();
std::span<const Field> ofdma_chan_stats_fields();
std::span<const Field> ofcopy_config_fields();
std::span<const Field> ofcopy_stats_fields();

// dev-get reply -> JSON (hw-features as a list of names, hw-stats nested).
Json parse_ofnic_dev(const nl::Attrs& a);
nl::Message build_ofnic_dev_set(int family, uint32_t ifindex, std::optional<uint32_t> lro_max_segs,
                                std::optional<uint32_t> lro_timeout);

class Ofnic {
 public:
  // nullopt when the family is not registered (ofnic.ko not loaded).
  static std::optional<Ofnic> open(nl::Socket& sk);
  Json dev(uint32_t ifindex);
  Json queues(uint32_t ifindex);  // [{queue-id, counters...}]
  void set_lro(uint32_t ifindex, std::optional<uint32_t> max_segs, std::optional<uint32_t> timeout);

 private:
  Ofnic(nl::Socket& sk, int family) : sk_(&sk), family_(family) {}
  nl::Socket* sk_;
  int family_;
};

// ---- copy offload ----------------------------------------------------------------

// ofdma chan-get: the channel named `name` (a do), or every channel (a dump).
nl::Message build_ofdma_chan_get(int family, const std::optional<std::string>& name);
// chan-get reply -> JSON (state and error as names, stats nested).
Json parse_ofdma_chan(const nl::Attrs& a);
nl::Message build_ofcopy_config_get(int family);
// config-set with what is given (std::invalid_argument if nothing is).
nl::Message build_ofcopy_config_set(int family, std::optional<bool> enabled,
                                    std::optional<uint32_t> copybreak);
// config-get reply -> JSON (enabled as a boolean, stats nested).
Json parse_ofcopy_config(const nl::Attrs& a);

// State of the copy offload as one JSON object (docs/ofnicctl.md "copy"):
// {"ofdma": {"loaded", "source", "channels": [...], "dmaengine": [...]},
//  "ofcopy": {"loaded", "source", "enabled", "copybreak", "channels", "stats"}}.
// `root` prefixes the /sys paths (tests).
Json copy_status(nl::Socket& sk, const std::string& root = "");
// config-set over the ofcopy family; throws nl::Error (ENOENT when not loaded).
void copy_set(nl::Socket& sk, std::optional<bool> enabled, std::optional<uint32_t> copybreak);

}  // namespace ofnicctl::families
