// Test-side TCP/UDP over IPv4/IPv6 frames: a builder, an independent RFC 1071
// checksum, a parser and a Toeplitz hash, to check the device's offloads
// against code that shares nothing with it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "ofnic_port.h"

namespace ofnic::test {

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08,
                         kTcpAck = 0x10, kTcpUrg = 0x20, kTcpEce = 0x40, kTcpCwr = 0x80;
inline constexpr uint8_t kProtoTcp = 6, kProtoUdp = 17;
// IPv6 extension headers (next header values) that parse() walks.
inline constexpr uint8_t kIp6HopByHop = 0, kIp6Routing = 43, kIp6DestOpts = 60;

struct Pkt {
  bool v6 = false;
  uint8_t proto = kProtoTcp;
  std::array<uint8_t, 16> src{10, 0, 0, 1}, dst{10, 0, 0, 2};  // IPv4: first 4 bytes
  uint16_t sport = 40000, dport = 5201;
  uint32_t seq = 1000, ack = 7;
  uint8_t flags = kTcpAck;
  uint16_t win = 502;
  std::vector<uint8_t> tcp_opts;  // multiple of 4 bytes
  uint16_t ip_id = 0x1234;
  uint8_t ttl = 64;
  bool df = true;
  std::vector<uint8_t> payload;
  // Fill the L3/L4 checksums (else: IPv4 header checksum filled, L4 = 0).
  bool csum = true;
  // L4 checksum field = the pseudo-header sum only (Linux CHECKSUM_PARTIAL).
  bool partial = false;
  // IPv6: a segment routing header (RFC 8754) with these segments (list[0]
  // is the last) and srh_left segments left; with some left, the L4
  // pseudo-header takes segment 0 as the destination (RFC 8200 8.1).
  std::vector<std::array<uint8_t, 16>> srh;
  uint8_t srh_left = 0;
};

// Ones' complement sum of data (RFC 1071) added to sum, not folded/complemented.
uint32_t sum16(std::span<const uint8_t> data, uint32_t sum = 0);
uint16_t fold(uint32_t sum);

std::vector<uint8_t> build(const Mac& dst, const Mac& src, const Pkt& p);
std::vector<uint8_t> payload_pattern(size_t len, uint8_t seed = 0);
// Timestamp option as Linux sends it: NOP, NOP, TS(10).
std::vector<uint8_t> ts_option(uint32_t tsval, uint32_t tsecr);

// Offsets of a frame's headers (no VLAN): IPv4 with or without options, IPv6
// behind any hop-by-hop, routing and destination options headers.
struct Parsed {
  bool v6 = false;
  uint8_t proto = 0;
  size_t l3 = 14, l4 = 0, l5 = 0, end = 0;  // end: of the IP datagram
  size_t pseudo_dst = 0;  // IPv6: offset of the pseudo-header's destination
};
Parsed parse(std::span<const uint8_t> f);
bool ip4_csum_ok(std::span<const uint8_t> f);
bool l4_csum_ok(std::span<const uint8_t> f);
// Pseudo-header sum of the frame's L4 part (as the device should seed).
uint32_t pseudo_sum(std::span<const uint8_t> f);

// An IPv6 extension header of type with its options (6 + 8n bytes).
struct Ext6 {
  uint8_t type;
  std::vector<uint8_t> opts;
};
// f (IPv6, no extension header) with exts inserted after the fixed header,
// in order. The TCP checksum stays valid: the pseudo-header does not cover
// extension headers (without a routing header's segments left).
std::vector<uint8_t> with_ext6(std::vector<uint8_t> f, const std::vector<Ext6>& exts);
// Options of an 8-byte header: one experimental option (RFC 4727 type 0x1e:
// skipped when not understood) with four bytes of data.
std::vector<uint8_t> exp_opt(uint8_t a, uint8_t b = 0, uint8_t c = 0, uint8_t d = 0);

// Index of the first byte where a and b differ (or the shorter's size).
size_t first_diff(std::span<const uint8_t> a, std::span<const uint8_t> b);

// Toeplitz hash (Microsoft RSS) of input with a 40-byte key.
uint32_t toeplitz(std::span<const uint8_t> key, std::span<const uint8_t> input);
// Hash input of a frame: addresses, then ports if four_tuple.
std::vector<uint8_t> rss_input(const Pkt& p, bool four_tuple);
extern const std::array<uint8_t, 40> kMsRssKey;

inline uint16_t be16(std::span<const uint8_t> f, size_t o) { return uint16_t(f[o] << 8 | f[o + 1]); }
inline uint32_t be32(std::span<const uint8_t> f, size_t o) {
  return uint32_t(f[o]) << 24 | uint32_t(f[o + 1]) << 16 | uint32_t(f[o + 2]) << 8 | f[o + 3];
}
inline void put16(std::vector<uint8_t>& f, size_t o, uint16_t v) {
  f[o] = uint8_t(v >> 8);
  f[o + 1] = uint8_t(v);
}

}  // namespace ofnic::test
