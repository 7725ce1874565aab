// ofnic's own generic netlink families (include/uapi/{ofnic,ofdma,ofcopy}.yaml)
// and, while ofdma.ko/ofcopy.ko do not register theirs, the same counters from
// their debugfs files and the dmaengine sysfs class (docs/netlink.md).
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

// "key value" lines (debugfs of ofcopy) -> {"key-with-dashes": value}.
Json parse_kv_lines(const std::string& text);
// "chanN key value" lines (debugfs of ofdma) -> [{chan-id: N, key: value...}].
Json parse_chan_lines(const std::string& text);

// State of the copy offload as one JSON object (docs/ofnicctl.md "copy"):
// {"ofdma": {"loaded", "source", "channels": [...]}, "ofcopy": {"loaded", "source", ...}}.
// `root` prefixes the /sys paths (tests).
Json copy_status(nl::Socket& sk, const std::string& root = "");
// config-set over the ofcopy family; throws nl::Error (ENOENT when not loaded).
void copy_set(nl::Socket& sk, std::optional<bool> enabled, std::optional<uint32_t> copybreak);

}  // namespace ofnicctl::families
