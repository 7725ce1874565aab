#include "packet.h"

#include <algorithm>

namespace ofnic::test {

const std::array<uint8_t, 40> kMsRssKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

uint32_t sum16(std::span<const uint8_t> d, uint32_t sum) {
  size_t i = 0;
  for (; i + 1 < d.size(); i += 2) sum += uint32_t(d[i]) << 8 | d[i + 1];
  if (i < d.size()) sum += uint32_t(d[i]) << 8;
  return sum;
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

std::vector<uint8_t> payload_pattern(size_t len, uint8_t seed) {
  std::vector<uint8_t> p(len);
  for (size_t i = 0; i < len; i++) p[i] = uint8_t(i * 13 + seed * 101 + (i >> 9));
  return p;
}

std::vector<uint8_t> ts_option(uint32_t tsval, uint32_t tsecr) {
  std::vector<uint8_t> o = {1, 1, 8, 10};
  for (uint32_t v : {tsval, tsecr}) {
    for (int s = 24; s >= 0; s -= 8) o.push_back(uint8_t(v >> s));
  }
  return o;
}

Parsed parse(std::span<const uint8_t> f) {
  Parsed p;
  uint16_t et = be16(f, 12);
  if (et == 0x0800 && f.size() >= 34) {
    p.l4 = 14 + (f[14] & 0xf) * 4;
    p.proto = f[23];
    p.end = 14 + be16(f, 16);
  } else if (et == 0x86dd && f.size() >= 54) {
    p.v6 = true;
    p.l4 = 54;
    p.proto = f[20];
    p.end = 54 + be16(f, 18);
    p.pseudo_dst = 38;
    while ((p.proto == kIp6HopByHop || p.proto == kIp6Routing || p.proto == kIp6DestOpts) &&
           f.size() >= p.l4 + 8) {
      // A routing header with segments left: list[0] is the final destination.
      if (p.proto == kIp6Routing && f[p.l4 + 3] && f.size() >= p.l4 + 24) p.pseudo_dst = p.l4 + 8;
      p.proto = f[p.l4];
      p.l4 += (size_t(f[p.l4 + 1]) + 1) * 8;
    }
  } else {
    return p;
  }
  if (p.proto == kProtoTcp) p.l5 = p.l4 + (f[p.l4 + 12] >> 4) * 4;
  if (p.proto == kProtoUdp) p.l5 = p.l4 + 8;
  return p;
}

uint32_t pseudo_sum(std::span<const uint8_t> f) {
  Parsed p = parse(f);
  uint32_t len = uint32_t(p.end - p.l4), sum = 0;
  if (p.v6) {
    sum = sum16(f.subspan(22, 16)) + sum16(f.subspan(p.pseudo_dst, 16));
  } else {
    sum = sum16(f.subspan(26, 8));
  }
  return sum + p.proto + len;
}

bool ip4_csum_ok(std::span<const uint8_t> f) {
  Parsed p = parse(f);
  return fold(sum16(f.subspan(14, p.l4 - 14))) == 0xffff;
}

bool l4_csum_ok(std::span<const uint8_t> f) {
  Parsed p = parse(f);
  return fold(sum16(f.subspan(p.l4, p.end - p.l4), pseudo_sum(f))) == 0xffff;
}

std::vector<uint8_t> build(const Mac& dst, const Mac& src, const Pkt& p) {
  std::vector<uint8_t> f(dst.begin(), dst.end());
  f.insert(f.end(), src.begin(), src.end());
  f.push_back(p.v6 ? 0x86 : 0x08);
  f.push_back(p.v6 ? 0xdd : 0x00);
  const size_t srh_len = p.v6 && !p.srh.empty() ? 8 + 16 * p.srh.size() : 0;
  const size_t l3 = 14, l4 = l3 + (p.v6 ? 40 : 20) + srh_len;
  const size_t l4len =
      (p.proto == kProtoTcp ? 20 + p.tcp_opts.size() : 8) + p.payload.size();
  if (p.v6) {
    const size_t plen = srh_len + l4len;
    f.insert(f.end(), {0x60, 0x01, 0x23, 0x45, uint8_t(plen >> 8), uint8_t(plen),
                       uint8_t(srh_len ? 43 : p.proto), p.ttl});
    f.insert(f.end(), p.src.begin(), p.src.end());
    f.insert(f.end(), p.dst.begin(), p.dst.end());
    if (srh_len) {
      f.insert(f.end(), {p.proto, uint8_t(2 * p.srh.size()), 4, p.srh_left,
                         uint8_t(p.srh.size() - 1), 0, 0, 0});
      for (const auto& a : p.srh) f.insert(f.end(), a.begin(), a.end());
    }
  } else {
    size_t tot = 20 + l4len;
    f.insert(f.end(), {0x45, 0x00, uint8_t(tot >> 8), uint8_t(tot), uint8_t(p.ip_id >> 8),
                       uint8_t(p.ip_id), uint8_t(p.df ? 0x40 : 0), 0, p.ttl, p.proto, 0, 0});
    f.insert(f.end(), p.src.begin(), p.src.begin() + 4);
    f.insert(f.end(), p.dst.begin(), p.dst.begin() + 4);
    put16(f, l3 + 10, uint16_t(~fold(sum16({f.data() + l3, 20}))));
  }
  if (p.proto == kProtoTcp) {
    uint8_t doff = uint8_t((20 + p.tcp_opts.size()) / 4);
    f.insert(f.end(), {uint8_t(p.sport >> 8), uint8_t(p.sport), uint8_t(p.dport >> 8),
                       uint8_t(p.dport), uint8_t(p.seq >> 24), uint8_t(p.seq >> 16),
                       uint8_t(p.seq >> 8), uint8_t(p.seq), uint8_t(p.ack >> 24),
                       uint8_t(p.ack >> 16), uint8_t(p.ack >> 8), uint8_t(p.ack),
                       uint8_t(doff << 4), p.flags, uint8_t(p.win >> 8), uint8_t(p.win), 0, 0,
                       0, 0});
    f.insert(f.end(), p.tcp_opts.begin(), p.tcp_opts.end());
  } else {
    f.insert(f.end(), {uint8_t(p.sport >> 8), uint8_t(p.sport), uint8_t(p.dport >> 8),
                       uint8_t(p.dport), uint8_t(l4len >> 8), uint8_t(l4len), 0, 0});
  }
  f.insert(f.end(), p.payload.begin(), p.payload.end());
  const size_t cso = l4 + (p.proto == kProtoTcp ? 16 : 6);
  if (p.partial) {
    put16(f, cso, fold(pseudo_sum(f)));
  } else if (p.csum) {
    uint16_t c = uint16_t(~fold(sum16({f.data() + l4, l4len}, pseudo_sum(f))));
    if (c == 0 && p.proto == kProtoUdp) c = 0xffff;
    put16(f, cso, c);
  }
  return f;
}

std::vector<uint8_t> with_ext6(std::vector<uint8_t> f, const std::vector<Ext6>& exts) {
  std::vector<uint8_t> hdrs;
  for (size_t i = 0; i < exts.size(); i++) {
    const auto& e = exts[i];
    hdrs.push_back(i + 1 < exts.size() ? exts[i + 1].type : f[20]);
    hdrs.push_back(uint8_t((e.opts.size() + 2) / 8 - 1));
    hdrs.insert(hdrs.end(), e.opts.begin(), e.opts.end());
  }
  f.insert(f.begin() + 54, hdrs.begin(), hdrs.end());
  f[20] = exts[0].type;
  put16(f, 18, uint16_t(be16(f, 18) + hdrs.size()));
  return f;
}

std::vector<uint8_t> exp_opt(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return {0x1e, 4, a, b, c, d};
}

size_t first_diff(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  auto m = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return size_t(m.first - a.begin());
}

uint32_t toeplitz(std::span<const uint8_t> key, std::span<const uint8_t> input) {
  uint32_t result = 0;
  for (size_t i = 0; i < input.size(); i++) {
    for (int b = 7; b >= 0; b--) {
      if (input[i] >> b & 1) {
        // The 32 key bits starting at bit position 8 * i + (7 - b).
        size_t pos = 8 * i + (7 - b);
        uint32_t w = 0;
        for (size_t k = 0; k < 32; k++) {
          size_t bit = pos + k;
          uint8_t kb = bit / 8 < key.size() ? key[bit / 8] : 0;
          w = w << 1 | ((kb >> (7 - bit % 8)) & 1);
        }
        result ^= w;
      }
    }
  }
  return result;
}

std::vector<uint8_t> rss_input(const Pkt& p, bool four_tuple) {
  size_t alen = p.v6 ? 16 : 4;
  std::vector<uint8_t> in(p.src.begin(), p.src.begin() + alen);
  in.insert(in.end(), p.dst.begin(), p.dst.begin() + alen);
  if (four_tuple) {
    in.insert(in.end(), {uint8_t(p.sport >> 8), uint8_t(p.sport), uint8_t(p.dport >> 8),
                         uint8_t(p.dport)});
  }
  return in;
}

}  // namespace ofnic::test
