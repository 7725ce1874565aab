// Builds canned netlink messages, byte for byte as the kernel lays them out,
// for the parser tests.
#pragma once

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace nlbuf {

using Bytes = std::vector<uint8_t>;

inline void pad4(Bytes& b) {
  while (b.size() % 4) b.push_back(0);
}

inline void raw(Bytes& b, const void* p, size_t n) {
  size_t old = b.size();
  b.resize(old + n);
  std::memcpy(b.data() + old, p, n);
}

// One attribute (header + payload + padding).
inline Bytes attr(uint16_t type, const Bytes& payload) {
  Bytes b;
  nlattr a{static_cast<uint16_t>(NLA_HDRLEN + payload.size()), type};
  raw(b, &a, sizeof(a));
  b.insert(b.end(), payload.begin(), payload.end());
  pad4(b);
  return b;
}

template <typename T>
Bytes num(T v) {
  Bytes b(sizeof(T));
  std::memcpy(b.data(), &v, sizeof(T));
  return b;
}

inline Bytes str(const std::string& s) {
  Bytes b(s.begin(), s.end());
  b.push_back(0);
  return b;
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (auto& p : parts) b.insert(b.end(), p.begin(), p.end());
  return b;
}

inline Bytes nest(uint16_t type, std::initializer_list<Bytes> parts) {
  return attr(static_cast<uint16_t>(type | NLA_F_NESTED), cat(parts));
}

// A netlink message: header + payload (payload already padded by the caller).
inline Bytes msg(uint16_t type, uint16_t flags, uint32_t seq, const Bytes& payload) {
  Bytes b;
  nlmsghdr h{static_cast<uint32_t>(NLMSG_HDRLEN + payload.size()), type, flags, seq, 0};
  raw(b, &h, sizeof(h));
  b.insert(b.end(), payload.begin(), payload.end());
  pad4(b);
  return b;
}

// A generic netlink reply: genlmsghdr + attributes.
inline Bytes genl(uint16_t family, uint8_t cmd, uint16_t flags, uint32_t seq, const Bytes& attrs) {
  Bytes p;
  genlmsghdr g{cmd, 1, 0};
  raw(p, &g, sizeof(g));
  p.insert(p.end(), attrs.begin(), attrs.end());
  return msg(family, flags, seq, p);
}

}  // namespace nlbuf
