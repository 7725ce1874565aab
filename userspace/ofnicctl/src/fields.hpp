// Table-driven conversion between netlink attributes and JSON objects whose
// keys are the attribute names of the kernel's YNL specs (ethtool.yaml,
// netdev.yaml) and of ofnic's own (include/uapi/*.yaml).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "json.hpp"
#include "nl.hpp"

namespace ofnicctl {

enum class FieldType {
  U8,     // number
  U16,    // number
  U32,    // number
  U64,    // number
  UINT,   // number, 4 or 8 bytes on the wire
  BOOL8,  // u8 0/1 as a JSON boolean
  STR,    // string
  FLAG,   // present: true
  HEX,    // binary as a hex string
};

struct Field {
  uint16_t attr;
  std::string_view name;
  FieldType type;
  // For U32/U8 enums: names of the values 0..n-1 (the JSON value is the name).
  std::span<const std::string_view> enum_names = {};
};

// Every attribute of `attrs` that `table` describes, in table order; unknown
// attributes are skipped (a newer kernel may send more).
Json parse_fields(const nl::Attrs& attrs, std::span<const Field> table);

const Field* find_field(std::span<const Field> table, std::string_view name);

// Adds `value` (a JSON number, boolean, string or enum name) as attribute
// `f`. Throws std::invalid_argument if the value does not fit the type.
void put_field(nl::Message& m, const Field& f, const Json& value);

std::string to_hex(nl::ByteView b, char sep = 0);
// "0a:1b:..." or "0a1b..." to bytes; throws std::invalid_argument.
nl::Bytes from_hex(std::string_view s);

}  // namespace ofnicctl
