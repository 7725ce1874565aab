// Text renderings of the JSON documents the read commands produce (the JSON
// itself is the --json output). Pure functions: the unit tests call them with
// canned documents.
#pragma once

#include <string>
#include <vector>

#include "json.hpp"

namespace ofnicctl::format {

std::string show(const Json& dev);           // one interface (`show DEV`)
std::string show_list(const Json& list);     // `show` without a device
std::string stats_table(const Json& stats);  // `stats DEV`
std::string stats_all(const Json& stats);    // `stats DEV --all`
std::string rates_table(const Json& rates);  // one frame of `stats --watch`
std::string xdp_status(const Json& st);
std::string xdp_maps(const Json& maps);
std::string copy_status(const Json& st);

// Offloads by their everyday names ("tso", "gro-hw", ...) from the feature map:
// [{"name", "state": "on"|"off", "fixed": bool}].
Json offload_summary(const Json& features);
// Per-queue share of the RSS indirection table: {"0": 64, "1": 64}.
Json rss_weights(const Json& indir);

// 1234567 -> "1.23M"; under 10000 the number itself.
std::string human(double v);

}  // namespace ofnicctl::format
