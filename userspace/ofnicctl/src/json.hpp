#pragma once

#include <nlohmann/json.hpp>

namespace ofnicctl {
// Objects keep the order of insertion: the JSON output follows the documented
// schema's order (docs/ofnicctl.md).
using Json = nlohmann::ordered_json;
}  // namespace ofnicctl
