#include "fields.hpp"

#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace ofnicctl {

namespace {

Json enum_value(const Field& f, uint64_t v) {
  if (v < f.enum_names.size()) return std::string(f.enum_names[v]);
  return v;
}

}  // namespace

Json parse_fields(const nl::Attrs& attrs, std::span<const Field> table) {
  Json out = Json::object();
  for (const auto& f : table) {
    if (!attrs.has(f.attr)) continue;
    auto key = std::string(f.name);
    switch (f.type) {
      case FieldType::U8:
        out[key] = enum_value(f, *attrs.u8(f.attr));
        break;
      case FieldType::U16:
        out[key] = *attrs.u16(f.attr);
        break;
      case FieldType::U32:
        out[key] = enum_value(f, *attrs.u32(f.attr));
        break;
      case FieldType::U64:
        out[key] = *attrs.u64(f.attr);
        break;
      case FieldType::UINT:
        out[key] = *attrs.uint(f.attr);
        break;
      case FieldType::BOOL8:
        out[key] = *attrs.u8(f.attr) != 0;
        break;
      case FieldType::STR:
        out[key] = *attrs.str(f.attr);
        break;
      case FieldType::FLAG:
        out[key] = true;
        break;
      case FieldType::HEX:
        out[key] = to_hex(*attrs.raw(f.attr), ':');
        break;
    }
  }
  return out;
}

const Field* find_field(std::span<const Field> table, std::string_view name) {
  for (const auto& f : table)
    if (f.name == name) return &f;
  return nullptr;
}

namespace {

uint64_t number(const Field& f, const Json& v, uint64_t max) {
  uint64_t n;
  if (v.is_string() && !f.enum_names.empty()) {
    auto s = v.get<std::string>();
    for (size_t i = 0; i < f.enum_names.size(); i++)
      if (f.enum_names[i] == s) return i;
    throw std::invalid_argument(fmt::format("{}: unknown value \"{}\"", f.name, s));
  }
  if (v.is_boolean()) {
    n = v.get<bool>() ? 1 : 0;
  } else if (v.is_number_unsigned()) {
    n = v.get<uint64_t>();
  } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    n = static_cast<uint64_t>(v.get<int64_t>());
  } else {
    throw std::invalid_argument(
        fmt::format("{}: expected a non-negative integer, got {}", f.name, v.dump()));
  }
  if (n > max) throw std::invalid_argument(fmt::format("{}: {} is more than {}", f.name, n, max));
  return n;
}

}  // namespace

void put_field(nl::Message& m, const Field& f, const Json& v) {
  switch (f.type) {
    case FieldType::U8:
      m.put_u8(f.attr, static_cast<uint8_t>(number(f, v, 0xff)), f.name);
      return;
    case FieldType::BOOL8:
      if (!v.is_boolean() && !v.is_number_unsigned())
        throw std::invalid_argument(fmt::format("{}: expected on or off", f.name));
      m.put_u8(f.attr, static_cast<uint8_t>(number(f, v, 1)), f.name);
      return;
    case FieldType::U16:
      m.put_u16(f.attr, static_cast<uint16_t>(number(f, v, 0xffff)), f.name);
      return;
    case FieldType::U32:
      m.put_u32(f.attr, static_cast<uint32_t>(number(f, v, 0xffffffffu)), f.name);
      return;
    case FieldType::U64:
    case FieldType::UINT:
      m.put_u64(f.attr, number(f, v, std::numeric_limits<uint64_t>::max()), f.name);
      return;
    case FieldType::STR:
      if (!v.is_string()) throw std::invalid_argument(fmt::format("{}: expected a string", f.name));
      m.put_string(f.attr, v.get<std::string>(), f.name);
      return;
    case FieldType::FLAG:
      if (v.is_boolean() && v.get<bool>()) m.put_flag(f.attr, f.name);
      return;
    case FieldType::HEX: {
      if (!v.is_string()) throw std::invalid_argument(fmt::format("{}: expected hex", f.name));
      auto b = from_hex(v.get<std::string>());
      m.put_binary(f.attr, nl::ByteView(b), f.name);
      return;
    }
  }
}

std::string to_hex(nl::ByteView b, char sep) {
  std::string s;
  for (size_t i = 0; i < b.size(); i++) {
    if (i && sep) s += sep;
    s += fmt::format("{:02x}", b[i]);
  }
  return s;
}

nl::Bytes from_hex(std::string_view s) {
  nl::Bytes out;
  int hi = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else if (c == ':' && hi < 0)
      continue;
    else
      throw std::invalid_argument(fmt::format("\"{}\" is not a hex string", s));
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument(fmt::format("\"{}\": odd number of hex digits", s));
  return out;
}

}  // namespace ofnicctl
