// The flow table and RSS contexts (OFNIC_F_FLOW; include/ofnic_hw.h, "RSS
// contexts" and "Flow table"): registers, matching, actions, HITS.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <functional>

#include "device_fixture.h"
#include "packet.h"

namespace ofnic::test {
namespace {

inline constexpr uint8_t kProtoIcmp = 1, kProtoIcmp6 = 58;

using Addr = std::array<uint8_t, 16>;  // IPv4: the first 4 bytes

const Addr kSrc4{10, 1, 2, 3}, kDst4{10, 9, 8, 7};
const Addr kSrc6{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3};
const Addr kDst6{0x20, 0x01, 0x0d, 0xb8, 0, 9, 0, 8, 0, 0, 0, 0, 0, 0, 0, 7};

// Flow table address words: byte i at bits 8*(i%4) of word i/4 (as MAC_LO).
std::array<uint32_t, 4> words(const Addr& a) {
  std::array<uint32_t, 4> w{};
  for (unsigned i = 0; i < 16; i++) w[i / 4] |= uint32_t(a[i]) << (8 * (i % 4));
  return w;
}

// a with byte i set to v.
Addr with(Addr a, unsigned i, uint8_t v) {
  a[i] = v;
  return a;
}

// An address mask of the first bits bits.
Addr prefix(unsigned bits) {
  Addr m{};
  for (unsigned i = 0; i < bits; i++) m[i / 8] |= uint8_t(0x80 >> (i % 8));
  return m;
}

// A 40-byte key of its own for each seed (none is kMsRssKey).
std::array<uint8_t, OFNIC_RSS_KEY_LEN> key_of(uint8_t seed) {
  std::array<uint8_t, OFNIC_RSS_KEY_LEN> k{};
  for (unsigned i = 0; i < k.size(); i++) k[i] = uint8_t(i * 37 + seed * 59 + 1);
  return k;
}

// A frame A sends to B: TCP/UDP (or another protocol behind an 8-byte
// header) over IPv4 or IPv6 between kSrc and kDst.
Pkt pkt(bool v6, uint8_t proto) {
  Pkt p;
  p.v6 = v6;
  p.proto = proto;
  p.src = v6 ? kSrc6 : kSrc4;
  p.dst = v6 ? kDst6 : kDst4;
  p.payload = payload_pattern(100, proto);
  return p;
}
std::vector<uint8_t> frame(const Pkt& p) { return build(kMacB, kMacA, p); }

// f (IPv4, from build()) as a fragment: MF, offset in 8-byte units, header
// checksum refreshed.
std::vector<uint8_t> ip4_fragment(std::vector<uint8_t> f, bool more, uint16_t offset8) {
  put16(f, 20, uint16_t((more ? 0x2000 : 0) | offset8));
  put16(f, 24, 0);
  put16(f, 24, uint16_t(~fold(sum16({f.data() + 14, 20}))));
  return f;
}

// f (IPv6, from build(), no extension header) as the first fragment of its
// datagram: a fragment header (offset 0, M) before the L4 header.
std::vector<uint8_t> ip6_first_fragment(std::vector<uint8_t> f) {
  const uint8_t fh[8] = {f[20], 0, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78};
  f.insert(f.begin() + 54, std::begin(fh), std::end(fh));
  f[20] = 44;
  put16(f, 18, uint16_t(be16(f, 18) + 8));
  return f;
}

// f with VLAN tags (TPID, TCI) after the MAC addresses, outermost first.
std::vector<uint8_t> tagged(std::vector<uint8_t> f,
                            std::initializer_list<std::pair<uint16_t, uint16_t>> tags) {
  size_t at = 12;
  for (auto [tpid, tci] : tags) {
    const uint8_t t[4] = {uint8_t(tpid >> 8), uint8_t(tpid), uint8_t(tci >> 8), uint8_t(tci)};
    f.insert(f.begin() + at, std::begin(t), std::end(t));
    at += 4;
  }
  return f;
}

// f (from build()) with an IP header that is not sane: a length past the
// frame's end (IPv4: header checksum refreshed).
std::vector<uint8_t> bad_ip_length(std::vector<uint8_t> f) {
  if (be16(f, 12) == 0x0800) {
    put16(f, 16, uint16_t(be16(f, 16) + 200));
    put16(f, 24, 0);
    put16(f, 24, uint16_t(~fold(sum16({f.data() + 14, 20}))));
  } else {
    put16(f, 18, uint16_t(be16(f, 18) + 200));
  }
  return f;
}

// One flow table entry as the driver programs it.
struct Entry {
  uint32_t type = OFNIC_FLT_TCP4;
  uint32_t action = OFNIC_FLA_QUEUE;
  uint32_t queue = 0, context = 0;
  uint8_t proto = 0, proto_mask = 0;
  Addr src{}, src_mask{}, dst{}, dst_mask{};
  uint16_t sport = 0, dport = 0, sport_mask = 0, dport_mask = 0;
  bool valid = true;

  uint32_t ctrl() const {
    return (valid ? OFNIC_FLC_VALID : 0) | type << OFNIC_FLC_TYPE_SHIFT |
           action << OFNIC_FLC_ACTION_SHIFT | uint32_t(proto) << OFNIC_FLC_PROTO_SHIFT |
           uint32_t(proto_mask) << OFNIC_FLC_PROTO_MASK_SHIFT;
  }
  uint32_t arg() const { return queue | context << OFNIC_FLOW_ARG_CTX_SHIFT; }
};

// An entry of type that takes every frame of that type to queue.
Entry any(uint32_t type, uint32_t queue = 0) {
  Entry e;
  e.type = type;
  e.queue = queue;
  return e;
}

// The registers of one port's flow entries and RSS contexts.
uint32_t flow_reg(OfnicPort& p, unsigned i, uint32_t off) { return p.reg(OFNIC_REG_FLOW(i) + off); }
void set_flow_reg(OfnicPort& p, unsigned i, uint32_t off, uint32_t v) {
  p.set_reg(OFNIC_REG_FLOW(i) + off, v);
}
uint64_t hits(OfnicPort& p, unsigned i) {
  return flow_reg(p, i, OFNIC_FLOW_HITS_LO) | uint64_t(flow_reg(p, i, OFNIC_FLOW_HITS_HI)) << 32;
}
uint32_t ctx_reg(OfnicPort& p, unsigned c, uint32_t off) {
  return p.reg(OFNIC_REG_RSS_CTX(c) + off);
}
void set_ctx_reg(OfnicPort& p, unsigned c, uint32_t off, uint32_t v) {
  p.set_reg(OFNIC_REG_RSS_CTX(c) + off, v);
}
// Every word of entry i (HITS included) with its offset.
std::vector<std::pair<uint32_t, uint32_t>> flow_words(OfnicPort& p, unsigned i) {
  std::vector<std::pair<uint32_t, uint32_t>> w;
  for (uint32_t off = 0; off < 0x80; off += 4) w.emplace_back(off, flow_reg(p, i, off));
  return w;
}

// Offsets of entry words that are RW (the four-word arrays and the rest).
std::vector<uint32_t> flow_rw_offsets() {
  std::vector<uint32_t> o = {OFNIC_FLOW_CTRL, OFNIC_FLOW_ARG, OFNIC_FLOW_PORTS,
                             OFNIC_FLOW_PORT_MASK};
  for (uint32_t base : {OFNIC_FLOW_SRC, OFNIC_FLOW_SRC_MASK, OFNIC_FLOW_DST, OFNIC_FLOW_DST_MASK}) {
    for (uint32_t k = 0; k < 4; k++) o.push_back(base + 4 * k);
  }
  return o;
}

// ---- registers ------------------------------------------------------------

using OfnicFlowRegisterTest = OfnicTest;

TEST_F(OfnicFlowRegisterTest, FeatureAndSizes) {
  for (auto* p : {a_.get(), b_.get()}) {
    SCOPED_TRACE(fmt::format("devfn {:#x}", p->cfg().devfn()));
    EXPECT_EQ(p->reg(OFNIC_REG_FEATURES) & OFNIC_F_FLOW, OFNIC_F_FLOW);
    EXPECT_EQ(p->reg(OFNIC_REG_FLOW_ENTRIES), 128u);
    EXPECT_EQ(p->reg(OFNIC_REG_RSS_CONTEXTS), 8u);
    // Read-only.
    p->set_reg(OFNIC_REG_FLOW_ENTRIES, 7);
    p->set_reg(OFNIC_REG_RSS_CONTEXTS, 3);
    EXPECT_EQ(p->reg(OFNIC_REG_FLOW_ENTRIES), 128u);
    EXPECT_EQ(p->reg(OFNIC_REG_RSS_CONTEXTS), 8u);
  }
  // RX_CTRL.FLOW is stored.
  a_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_FLOW);
  EXPECT_EQ(a_->reg(OFNIC_REG_RX_CTRL), OFNIC_RXC_FLOW);
}

// Context 0's block is RSS_KEY, RSS_HASH_TYPES and RSS_RETA, both ways.
TEST_F(OfnicFlowRegisterTest, ContextZeroAliasesRssRegisters) {
  OfnicPort& p = *a_;
  // Written through the old registers, read through the block.
  p.set_reg(OFNIC_REG_RSS_HASH_TYPES, 0xdeadbeef);
  for (uint32_t w = 0; w < OFNIC_RSS_KEY_LEN / 4; w++) {
    p.set_reg(OFNIC_REG_RSS_KEY + 4 * w, 0x01020304u * (w + 1));
  }
  for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) {
    p.set_reg(OFNIC_REG_RSS_RETA + 4 * w, 0x03020100u + w);
  }
  EXPECT_EQ(ctx_reg(p, 0, OFNIC_RSSC_HASH_TYPES), 0xdeadbeefu);
  for (uint32_t w = 0; w < OFNIC_RSS_KEY_LEN / 4; w++) {
    EXPECT_EQ(ctx_reg(p, 0, OFNIC_RSSC_KEY + 4 * w), 0x01020304u * (w + 1)) << "key word " << w;
  }
  for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) {
    EXPECT_EQ(ctx_reg(p, 0, OFNIC_RSSC_RETA + 4 * w), 0x03020100u + w) << "RETA word " << w;
  }
  // Written through the block, read through the old registers.
  set_ctx_reg(p, 0, OFNIC_RSSC_HASH_TYPES, OFNIC_RSS_HT_IPV6_UDP);
  for (uint32_t w = 0; w < OFNIC_RSS_KEY_LEN / 4; w++) {
    set_ctx_reg(p, 0, OFNIC_RSSC_KEY + 4 * w, 0xa0b0c0d0u + w);
  }
  for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) {
    set_ctx_reg(p, 0, OFNIC_RSSC_RETA + 4 * w, 0x01010101u * (w % 4));
  }
  EXPECT_EQ(p.reg(OFNIC_REG_RSS_HASH_TYPES), OFNIC_RSS_HT_IPV6_UDP);
  for (uint32_t w = 0; w < OFNIC_RSS_KEY_LEN / 4; w++) {
    EXPECT_EQ(p.reg(OFNIC_REG_RSS_KEY + 4 * w), 0xa0b0c0d0u + w) << "key word " << w;
  }
  for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) {
    EXPECT_EQ(p.reg(OFNIC_REG_RSS_RETA + 4 * w), 0x01010101u * (w % 4)) << "RETA word " << w;
  }
  EXPECT_EQ(ctx_reg(*b_, 0, OFNIC_RSSC_HASH_TYPES), 0u) << "per device";
}

// Contexts 1..7 are separate blocks, all 32 bits of each word stored; the
// block's holes read 0 and ignore writes.
TEST_F(OfnicFlowRegisterTest, ContextsAreSeparate) {
  OfnicPort& p = *a_;
  auto val = [](unsigned c, uint32_t off) { return (0x9e3779b9u * (c + 1)) ^ (off * 0x01000193u); };
  std::vector<uint32_t> offs = {OFNIC_RSSC_HASH_TYPES};
  for (uint32_t w = 0; w < OFNIC_RSS_KEY_LEN / 4; w++) offs.push_back(OFNIC_RSSC_KEY + 4 * w);
  for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) offs.push_back(OFNIC_RSSC_RETA + 4 * w);
  for (unsigned c = 0; c < OFNIC_RSS_CTX_MAX; c++) {
    for (uint32_t off : offs) set_ctx_reg(p, c, off, val(c, off));
  }
  for (unsigned c = 0; c < OFNIC_RSS_CTX_MAX; c++) {
    for (uint32_t off : offs) {
      EXPECT_EQ(ctx_reg(p, c, off), val(c, off)) << fmt::format("context {} offset {:#x}", c, off);
    }
  }
  EXPECT_EQ(p.reg(OFNIC_REG_RSS_HASH_TYPES), val(0, OFNIC_RSSC_HASH_TYPES));
  for (unsigned c : {1u, 7u}) {
    for (uint32_t off : {0x28u, 0x3cu, 0x44u, 0xfcu, 0x180u, 0x1fcu}) {
      set_ctx_reg(p, c, off, 0x5a5a5a5a);
      EXPECT_EQ(ctx_reg(p, c, off), 0u) << fmt::format("context {} hole {:#x}", c, off);
    }
  }
  for (unsigned c = 0; c < OFNIC_RSS_CTX_MAX; c++) {
    EXPECT_EQ(ctx_reg(p, c, OFNIC_RSSC_KEY), val(c, OFNIC_RSSC_KEY)) << "context " << c;
  }
}

// Every RW word of every entry reads back what was written; the holes read 0.
TEST_F(OfnicFlowRegisterTest, EntryWordsReadBack) {
  OfnicPort& p = *a_;
  const auto offs = flow_rw_offsets();
  auto val = [](unsigned i, uint32_t off) {
    uint32_t v = (0x9e3779b9u * (i + 1)) ^ (0x85ebca6bu * (off + 1));
    // CTRL and ARG: their defined fields only.
    if (off == OFNIC_FLOW_CTRL) {
      v &= OFNIC_FLC_VALID | OFNIC_FLC_TYPE_MASK | OFNIC_FLC_ACTION_MASK | 0xffff0000u;
    }
    if (off == OFNIC_FLOW_ARG) v &= OFNIC_FLOW_ARG_QUEUE_MASK | OFNIC_FLOW_ARG_CTX_MASK;
    return v;
  };
  for (unsigned i = 0; i < OFNIC_FLOW_ENTRIES; i++) {
    for (uint32_t off : offs) set_flow_reg(p, i, off, val(i, off));
  }
  for (unsigned i = 0; i < OFNIC_FLOW_ENTRIES; i++) {
    for (uint32_t off : offs) {
      ASSERT_EQ(flow_reg(p, i, off), val(i, off)) << fmt::format("entry {} offset {:#x}", i, off);
    }
    EXPECT_EQ(hits(p, i), 0u) << "entry " << i;
  }
  for (unsigned i : {0u, 1u, 64u, 127u}) {
    for (uint32_t off : {0x08u, 0x0cu, 0x60u, 0x7cu}) {
      set_flow_reg(p, i, off, 0x5a5a5a5a);
      EXPECT_EQ(flow_reg(p, i, off), 0u) << fmt::format("entry {} hole {:#x}", i, off);
    }
    for (uint32_t off : offs) EXPECT_EQ(flow_reg(p, i, off), val(i, off));
  }
  // Zeros too, and port B's table is its own.
  for (uint32_t off : offs) set_flow_reg(p, 5, off, 0);
  for (uint32_t off : offs) EXPECT_EQ(flow_reg(p, 5, off), 0u);
  EXPECT_EQ(flow_reg(*b_, 6, OFNIC_FLOW_ARG), 0u) << "per device";
}

// ---- traffic ---------------------------------------------------------------

// A and B linked, B's RX rings 1.. running as well (63 buffers each), B with
// RX_CTRL.FLOW; RX_CTRL.RSS off, so what no entry takes goes to queue 0.
class OfnicFlowTest : public OfnicLinkTest {
 protected:
  void SetUp() override {
    OfnicLinkTest::SetUp();
    if (HasFatalFailure()) return;
    for (unsigned q = 1; q < kQueues; q++) {
      rx_.push_back(make_rx(*b_, q));
      rx_.back()->start();
      rx_.back()->post(63);
    }
    b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_FLOW);
  }
  RxRing& ring(unsigned q) { return q ? *rx_[q - 1] : *b_rx_; }

  // Entry i of B as the interface says to change one: VALID clear, the
  // other words, then CTRL.
  void set_flow(unsigned i, const Entry& e) {
    set_flow_reg(*b_, i, OFNIC_FLOW_CTRL, 0);
    set_flow_reg(*b_, i, OFNIC_FLOW_ARG, e.arg());
    auto put4 = [&](uint32_t off, const Addr& a) {
      auto w = words(a);
      for (uint32_t k = 0; k < 4; k++) set_flow_reg(*b_, i, off + 4 * k, w[k]);
    };
    put4(OFNIC_FLOW_SRC, e.src);
    put4(OFNIC_FLOW_SRC_MASK, e.src_mask);
    put4(OFNIC_FLOW_DST, e.dst);
    put4(OFNIC_FLOW_DST_MASK, e.dst_mask);
    set_flow_reg(*b_, i, OFNIC_FLOW_PORTS, e.sport | uint32_t(e.dport) << 16);
    set_flow_reg(*b_, i, OFNIC_FLOW_PORT_MASK, e.sport_mask | uint32_t(e.dport_mask) << 16);
    set_flow_reg(*b_, i, OFNIC_FLOW_CTRL, e.ctrl());
  }
  uint64_t hits(unsigned i) { return ofnic::test::hits(*b_, i); }

  // B's RSS context c.
  void set_key(unsigned c, std::span<const uint8_t> key) {
    for (uint32_t w = 0; w < OFNIC_RSS_KEY_LEN / 4; w++) {
      set_ctx_reg(*b_, c, OFNIC_RSSC_KEY + 4 * w,
                  uint32_t(key[4 * w]) | uint32_t(key[4 * w + 1]) << 8 |
                      uint32_t(key[4 * w + 2]) << 16 | uint32_t(key[4 * w + 3]) << 24);
    }
  }
  void set_hash_types(unsigned c, uint32_t types) {
    set_ctx_reg(*b_, c, OFNIC_RSSC_HASH_TYPES, types);
  }
  void set_reta(unsigned c, const std::function<uint8_t(unsigned)>& entry) {
    for (uint32_t w = 0; w < OFNIC_RSS_RETA_SIZE / 4; w++) {
      uint32_t v = 0;
      for (unsigned k = 0; k < 4; k++) v |= uint32_t(entry(4 * w + k)) << (8 * k);
      set_ctx_reg(*b_, c, OFNIC_RSSC_RETA + 4 * w, v);
    }
  }

  // Sends f from A and expects B to write it, whole, to queue q and to no
  // other; returns its write-back in *wb. The buffer is posted again.
  void receive(const std::vector<uint8_t>& f, unsigned q, ofnic_rx_wb* wb = nullptr) {
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
    rx_pkts_++;
    ASSERT_TRUE(wait_for([&] { return b_->stat(OFNIC_STAT_RX_PKTS) >= rx_pkts_; }))
        << "B received " << b_->stat(OFNIC_STAT_RX_PKTS) << " frames, expected " << rx_pkts_
        << "; flow drops " << b_->stat(OFNIC_STAT_RX_FLOW_DROPS) << ", no buffer "
        << b_->stat(OFNIC_STAT_RX_NO_BUF);
    std::vector<unsigned> moved;
    for (unsigned k = 0; k < kQueues; k++) {
      if (ring(k).head() != got_[k] % ring(k).size()) moved.push_back(k);
    }
    ASSERT_EQ(moved, std::vector<unsigned>{q}) << "queues that received the frame";
    const uint32_t slot = got_[q]++;
    ASSERT_TRUE(rx_done(ring(q), slot));
    EXPECT_EQ(ring(q).frame(slot), f);
    if (wb) *wb = ring(q).wb(slot);
    ring(q).post(1);
  }
  // Sends f from A and expects it in no ring: it waits until stat reaches n.
  void lose(const std::vector<uint8_t>& f, unsigned stat, uint64_t n) {
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
    ASSERT_TRUE(wait_for([&] { return b_->stat(stat) >= n; }))
        << "stat " << stat << " is " << b_->stat(stat) << ", expected " << n;
    settle();
    EXPECT_EQ(b_->stat(stat), n) << "stat " << stat;
    EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), rx_pkts_);
    for (unsigned k = 0; k < kQueues; k++) {
      EXPECT_EQ(ring(k).head(), got_[k] % ring(k).size()) << "queue " << k;
    }
  }

  std::vector<std::unique_ptr<RxRing>> rx_;  // queues 1..
  std::array<uint32_t, kQueues> got_{};      // frames each queue received
  uint64_t rx_pkts_ = 0;
};

// ---- matching -------------------------------------------------------------

// Each type takes its frames and no others: TCP and UDP types their protocol
// over their IP version, IP types everything over theirs; non-IP frames and
// frames whose IP header is not sane are not looked up.
TEST_F(OfnicFlowTest, EachTypeMatchesOnlyItsFrames) {
  struct Kind {
    const char* name;
    std::vector<uint8_t> f;
  };
  const Kind kinds[] = {
      {"tcp4", frame(pkt(false, kProtoTcp))},
      {"udp4", frame(pkt(false, kProtoUdp))},
      {"icmp4", frame(pkt(false, kProtoIcmp))},
      {"tcp6", frame(pkt(true, kProtoTcp))},
      {"udp6", frame(pkt(true, kProtoUdp))},
      {"icmp6", frame(pkt(true, kProtoIcmp6))},
      {"non-IP", make_frame(kMacB, kMacA, 100)},
      {"bad-tcp4", bad_ip_length(frame(pkt(false, kProtoTcp)))},
      {"bad-tcp6", bad_ip_length(frame(pkt(true, kProtoTcp)))},
  };
  const struct {
    uint32_t type;
    std::vector<std::string> takes;
  } types[] = {
      {OFNIC_FLT_TCP4, {"tcp4"}},
      {OFNIC_FLT_UDP4, {"udp4"}},
      {OFNIC_FLT_IP4, {"tcp4", "udp4", "icmp4"}},
      {OFNIC_FLT_TCP6, {"tcp6"}},
      {OFNIC_FLT_UDP6, {"udp6"}},
      {OFNIC_FLT_IP6, {"tcp6", "udp6", "icmp6"}},
  };
  for (const auto& t : types) {
    set_flow(0, any(t.type, 2));
    for (const auto& k : kinds) {
      const bool take = std::find(t.takes.begin(), t.takes.end(), k.name) != t.takes.end();
      SCOPED_TRACE(fmt::format("type {} frame {}", t.type, k.name));
      ASSERT_NO_FATAL_FAILURE(receive(k.f, take ? 2 : 0));
    }
    EXPECT_EQ(hits(0), t.takes.size()) << "type " << t.type;
  }
}

// Source and destination addresses under partial masks; IPv4 uses word 0
// only.
TEST_F(OfnicFlowTest, AddressMasks) {
  // TCP4: source 10.1.2.0/23, destination 10.9.8.7/32; garbage in words
  // 1..3 under full masks.
  Entry e4 = any(OFNIC_FLT_TCP4, 1);
  e4.src = {10, 1, 2, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  e4.src_mask = prefix(128);
  e4.src_mask[2] = 0xfe;
  e4.src_mask[3] = 0;
  e4.dst = {10, 9, 8, 7, 0xff, 0xff, 0xff, 0xff, 0xee, 0xee, 0xee, 0xee, 1, 1, 1, 1};
  e4.dst_mask = prefix(128);
  set_flow(0, e4);
  // UDP6: source 2001:db8:1:200::/55, destination exactly kDst6.
  Entry e6 = any(OFNIC_FLT_UDP6, 3);
  e6.src = with(kSrc6, 6, 0x02);
  e6.src_mask = prefix(55);
  e6.dst = kDst6;
  e6.dst_mask = prefix(128);
  set_flow(1, e6);

  const struct {
    Addr src, dst;
    bool match;
  } v4[] = {
      {kSrc4, kDst4, true},          {{10, 1, 3, 200}, kDst4, true}, {{10, 1, 4, 3}, kDst4, false},
      {{10, 1, 0, 3}, kDst4, false}, {{11, 1, 2, 3}, kDst4, false},  {kSrc4, {10, 9, 8, 6}, false},
      {kSrc4, {7, 8, 9, 10}, false}, {kDst4, kSrc4, false},
  };
  for (const auto& c : v4) {
    Pkt p = pkt(false, kProtoTcp);
    p.src = c.src;
    p.dst = c.dst;
    SCOPED_TRACE(fmt::format("IPv4 {} -> {}", fmt::join(c.src.begin(), c.src.begin() + 4, "."),
                             fmt::join(c.dst.begin(), c.dst.begin() + 4, ".")));
    ASSERT_NO_FATAL_FAILURE(receive(frame(p), c.match ? 1 : 0));
  }
  const Addr s6 = e6.src;
  const struct {
    Addr src, dst;
    bool match;
  } v6[] = {
      {s6, kDst6, true},
      {with(s6, 6, 0x03), kDst6, true},  // the /55's last bit is 0
      {with(s6, 7, 0xff), kDst6, true},
      {with(s6, 15, 0x99), kDst6, true},
      {with(s6, 6, 0x04), kDst6, false},
      {with(s6, 6, 0x00), kDst6, false},
      {with(s6, 5, 0x02), kDst6, false},
      {with(s6, 0, 0x30), kDst6, false},
      {s6, with(kDst6, 15, 0x08), false},
      {s6, with(kDst6, 0, 0x21), false},
      {s6, with(kDst6, 8, 0x01), false},
  };
  for (const auto& c : v6) {
    Pkt p = pkt(true, kProtoUdp);
    p.src = c.src;
    p.dst = c.dst;
    SCOPED_TRACE(fmt::format("IPv6 {:02x} -> {:02x}", fmt::join(c.src, ""), fmt::join(c.dst, "")));
    ASSERT_NO_FATAL_FAILURE(receive(frame(p), c.match ? 3 : 0));
  }
  EXPECT_EQ(hits(0), 2u);
  EXPECT_EQ(hits(1), 4u);
}

// Source and destination ports under masks; the source port is bits 15:0.
// TCP and UDP types ignore PROTO.
TEST_F(OfnicFlowTest, PortMasks) {
  Entry t = any(OFNIC_FLT_TCP4, 1);
  t.sport = 0x9c00;
  t.sport_mask = 0xff00;
  t.dport = 5201;
  t.dport_mask = 0xffff;
  t.proto = kProtoUdp;  // not for TCP/UDP types
  t.proto_mask = 0xff;
  set_flow(0, t);
  Entry u = any(OFNIC_FLT_UDP6, 2);
  u.dport = 0x1230;
  u.dport_mask = 0xfff0;
  u.sport = 0xffff;  // source port not compared
  set_flow(1, u);

  const struct {
    bool v6;
    uint8_t proto;
    uint16_t sport, dport;
    unsigned q;
  } cases[] = {
      {false, kProtoTcp, 0x9c42, 5201, 1}, {false, kProtoTcp, 0x9c00, 5201, 1},
      {false, kProtoTcp, 0x9cff, 5201, 1}, {false, kProtoTcp, 0x9d42, 5201, 0},
      {false, kProtoTcp, 0x1c42, 5201, 0}, {false, kProtoTcp, 0x9c42, 5202, 0},
      {false, kProtoTcp, 5201, 0x9c42, 0}, {false, kProtoUdp, 0x9c42, 5201, 0},
      {true, kProtoUdp, 40000, 0x1230, 2}, {true, kProtoUdp, 1, 0x123f, 2},
      {true, kProtoUdp, 40000, 0x1240, 0}, {true, kProtoUdp, 40000, 0x0230, 0},
      {true, kProtoUdp, 0x1230, 40000, 0}, {true, kProtoTcp, 40000, 0x1230, 0},
  };
  for (const auto& c : cases) {
    Pkt p = pkt(c.v6, c.proto);
    p.sport = c.sport;
    p.dport = c.dport;
    SCOPED_TRACE(fmt::format("{} proto {} ports {:#x} -> {:#x}", c.v6 ? "IPv6" : "IPv4", c.proto,
                             c.sport, c.dport));
    ASSERT_NO_FATAL_FAILURE(receive(frame(p), c.q));
  }
  EXPECT_EQ(hits(0), 3u);
  EXPECT_EQ(hits(1), 2u);
}

// IP types compare (protocol & PROTO_MASK) and not ports; an IPv6 frame's
// protocol is its TCP or UDP header's, else the fixed header's next header.
TEST_F(OfnicFlowTest, IpTypesMatchProtocol) {
  Entry e4 = any(OFNIC_FLT_IP4, 1);
  e4.proto = kProtoUdp;
  e4.proto_mask = 0xff;
  e4.sport = 1;  // ports not compared for IP types
  e4.sport_mask = 0xffff;
  e4.dport_mask = 0xffff;
  set_flow(0, e4);
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, kProtoUdp)), 1));
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, kProtoTcp)), 0));
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, kProtoIcmp)), 0));
  EXPECT_EQ(hits(0), 1u);
  // Under a mask: 0x10/0xf0 takes 16..31 (UDP 17), not TCP (6) or ICMP (1).
  e4.proto = 0x10;
  e4.proto_mask = 0xf0;
  set_flow(0, e4);
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, kProtoUdp)), 1));
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, kProtoTcp)), 0));
  // Mask 0: every protocol.
  e4.proto = kProtoUdp;
  e4.proto_mask = 0;
  set_flow(0, e4);
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, kProtoTcp)), 1));
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, kProtoIcmp)), 1));
  set_flow(0, Entry{.valid = false});

  Entry e6 = any(OFNIC_FLT_IP6, 2);
  e6.proto = kProtoIcmp6;
  e6.proto_mask = 0xff;
  e6.dport_mask = 0xffff;
  set_flow(1, e6);
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(true, kProtoIcmp6)), 2));
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(true, kProtoUdp)), 0));
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(true, kProtoTcp)), 0));
  EXPECT_EQ(hits(1), 1u);
  // Behind a routing header (next header 43) the protocol is the next header
  // after the extension headers: UDP's and ICMPv6's, never 43.
  Pkt udp_srh = pkt(true, kProtoUdp), icmp_srh = pkt(true, kProtoIcmp6);
  udp_srh.srh = icmp_srh.srh = {kDst6};
  e6.proto = kProtoUdp;
  set_flow(1, e6);
  ASSERT_NO_FATAL_FAILURE(receive(frame(udp_srh), 2));
  ASSERT_NO_FATAL_FAILURE(receive(frame(icmp_srh), 0));
  e6.proto = 43;
  set_flow(1, e6);
  ASSERT_NO_FATAL_FAILURE(receive(frame(udp_srh), 0));
  ASSERT_NO_FATAL_FAILURE(receive(frame(icmp_srh), 0));
  e6.proto = kProtoIcmp6;
  set_flow(1, e6);
  ASSERT_NO_FATAL_FAILURE(receive(frame(icmp_srh), 2));
  // TCP6 entries take TCP behind a routing header, ports and all.
  Entry t6 = any(OFNIC_FLT_TCP6, 3);
  t6.dport = 5201;
  t6.dport_mask = 0xffff;
  set_flow(2, t6);
  Pkt tcp_srh = pkt(true, kProtoTcp);
  tcp_srh.srh = {kDst6};
  ASSERT_NO_FATAL_FAILURE(receive(frame(tcp_srh), 3));
  tcp_srh.dport = 5202;
  ASSERT_NO_FATAL_FAILURE(receive(frame(tcp_srh), 0));
}

// Frames with 802.1Q and 802.1ad tags are looked up by their IP headers.
TEST_F(OfnicFlowTest, VlanTaggedFramesAreLookedUp) {
  Entry t = any(OFNIC_FLT_TCP4, 1);
  t.dst = kDst4;
  t.dst_mask = prefix(32);
  t.dport = 5201;
  t.dport_mask = 0xffff;
  set_flow(0, t);
  Entry u = any(OFNIC_FLT_IP6, 2);
  u.src = kSrc6;
  u.src_mask = prefix(128);
  u.proto = kProtoUdp;
  u.proto_mask = 0xff;
  set_flow(1, u);
  Pkt other = pkt(false, kProtoTcp);
  other.dport = 5202;
  for (auto tags :
       {std::initializer_list<std::pair<uint16_t, uint16_t>>{{0x8100, 100}},
        std::initializer_list<std::pair<uint16_t, uint16_t>>{{0x88a8, 7}, {0x8100, 100}}}) {
    SCOPED_TRACE(fmt::format("{} tags", tags.size()));
    ASSERT_NO_FATAL_FAILURE(receive(tagged(frame(pkt(false, kProtoTcp)), tags), 1));
    ASSERT_NO_FATAL_FAILURE(receive(tagged(frame(other), tags), 0));
    ASSERT_NO_FATAL_FAILURE(receive(tagged(frame(pkt(true, kProtoUdp)), tags), 2));
    ASSERT_NO_FATAL_FAILURE(receive(tagged(frame(pkt(true, kProtoTcp)), tags), 0));
  }
  EXPECT_EQ(hits(0), 2u);
  EXPECT_EQ(hits(1), 2u);
}

// A TYPE that is none of OFNIC_FLT_* never matches, whatever the frame.
TEST_F(OfnicFlowTest, InvalidTypeNeverMatches) {
  for (uint32_t type : {0u, 7u, 8u, 15u}) {
    SCOPED_TRACE(fmt::format("type {}", type));
    set_flow(0, any(type, 1));
    for (const auto& f :
         {frame(pkt(false, kProtoTcp)), frame(pkt(false, kProtoUdp)), frame(pkt(false, kProtoIcmp)),
          frame(pkt(true, kProtoTcp)), frame(pkt(true, kProtoIcmp6))}) {
      ASSERT_NO_FATAL_FAILURE(receive(f, 0));
    }
    EXPECT_EQ(hits(0), 0u);
  }
  // Not even a dropping entry.
  Entry d = any(15);
  d.action = OFNIC_FLA_DROP;
  set_flow(0, d);
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, kProtoTcp)), 0));
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_FLOW_DROPS), 0u);
}

// Entries are tried from 0 up: the lowest valid matching index decides,
// the last entry included; entries it shadows count nothing.
TEST_F(OfnicFlowTest, LowestMatchingIndexWins) {
  set_flow(9, any(OFNIC_FLT_IP4, 1));
  Entry t = any(OFNIC_FLT_TCP4, 2);
  t.dport = 5201;
  t.dport_mask = 0xffff;
  set_flow(4, t);
  set_flow(OFNIC_FLOW_ENTRIES - 1, any(OFNIC_FLT_IP6, 3));
  auto tcp4 = frame(pkt(false, kProtoTcp)), udp4 = frame(pkt(false, kProtoUdp));
  ASSERT_NO_FATAL_FAILURE(receive(tcp4, 2));
  ASSERT_NO_FATAL_FAILURE(receive(udp4, 1));
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(true, kProtoTcp)), 3));
  EXPECT_EQ(hits(4), 1u);
  EXPECT_EQ(hits(9), 1u) << "the TCP frame entry 4 took does not count";
  EXPECT_EQ(hits(OFNIC_FLOW_ENTRIES - 1), 1u);
  // A lower one now takes it all.
  set_flow(2, any(OFNIC_FLT_IP4, 3));
  ASSERT_NO_FATAL_FAILURE(receive(tcp4, 3));
  ASSERT_NO_FATAL_FAILURE(receive(udp4, 3));
  EXPECT_EQ(hits(2), 2u);
  EXPECT_EQ(hits(4), 1u);
  EXPECT_EQ(hits(9), 1u);
  // And is taken away again (VALID cleared).
  set_flow_reg(*b_, 2, OFNIC_FLOW_CTRL, any(OFNIC_FLT_IP4, 3).ctrl() & ~OFNIC_FLC_VALID);
  ASSERT_NO_FATAL_FAILURE(receive(tcp4, 2));
  ASSERT_NO_FATAL_FAILURE(receive(udp4, 1));
  // The highest entry alone, the others invalid.
  for (unsigned i : {4u, 9u}) set_flow_reg(*b_, i, OFNIC_FLOW_CTRL, 0);
  ASSERT_NO_FATAL_FAILURE(receive(tcp4, 0));
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(true, kProtoUdp)), 3));
  EXPECT_EQ(hits(OFNIC_FLOW_ENTRIES - 1), 2u);
}

// An entry without VALID is skipped, whatever else it holds.
TEST_F(OfnicFlowTest, EntryWithoutValidIsIgnored) {
  Entry e = any(OFNIC_FLT_IP4, 1);
  e.valid = false;
  set_flow(0, e);
  Entry d = any(OFNIC_FLT_IP4);
  d.action = OFNIC_FLA_DROP;
  d.valid = false;
  set_flow(1, d);
  auto f = frame(pkt(false, kProtoUdp));
  ASSERT_NO_FATAL_FAILURE(receive(f, 0));
  EXPECT_EQ(hits(0), 0u);
  EXPECT_EQ(hits(1), 0u);
  e.valid = true;
  set_flow(0, e);
  ASSERT_NO_FATAL_FAILURE(receive(f, 1));
  EXPECT_EQ(hits(0), 1u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_FLOW_DROPS), 0u);
}

// Without RX_CTRL.FLOW the table is not looked at: RSS (or queue 0) decides.
TEST_F(OfnicFlowTest, TableNotConsultedWithoutRxCtrlFlow) {
  Entry d = any(OFNIC_FLT_IP4);
  d.action = OFNIC_FLA_DROP;
  set_flow(0, d);
  set_flow(1, any(OFNIC_FLT_IP6, 3));
  set_key(0, kMsRssKey);
  set_hash_types(0, OFNIC_RSS_HT_IPV4 | OFNIC_RSS_HT_IPV6);
  set_reta(0, [](unsigned) { return uint8_t(2); });
  auto v4 = frame(pkt(false, kProtoTcp)), v6 = frame(pkt(true, kProtoTcp));
  b_->set_reg(OFNIC_REG_RX_CTRL, 0);
  ASSERT_NO_FATAL_FAILURE(receive(v4, 0));
  ASSERT_NO_FATAL_FAILURE(receive(v6, 0));
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_RSS);
  ASSERT_NO_FATAL_FAILURE(receive(v4, 2));
  ASSERT_NO_FATAL_FAILURE(receive(v6, 2));
  EXPECT_EQ(hits(0), 0u);
  EXPECT_EQ(hits(1), 0u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_FLOW_DROPS), 0u);
  // On again: the table decides, before RSS.
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_RSS | OFNIC_RXC_FLOW);
  ASSERT_NO_FATAL_FAILURE(lose(v4, OFNIC_STAT_RX_FLOW_DROPS, 1));
  ASSERT_NO_FATAL_FAILURE(receive(v6, 3));
  // Non-IP frames: no lookup, no hash, queue 0.
  ASSERT_NO_FATAL_FAILURE(receive(make_frame(kMacB, kMacA, 100), 0));
}

// TCP and UDP types take unfragmented datagrams only; IP types take
// fragments like any other datagram, by their datagram's protocol.
TEST_F(OfnicFlowTest, FragmentedUdpDoesNotMatchUdpEntry) {
  set_flow(0, any(OFNIC_FLT_UDP4, 1));
  Entry ip4 = any(OFNIC_FLT_IP4, 2);
  ip4.proto = kProtoUdp;
  ip4.proto_mask = 0xff;
  set_flow(1, ip4);
  set_flow(2, any(OFNIC_FLT_UDP6, 3));
  Pkt p = pkt(false, kProtoUdp);
  p.df = false;
  auto whole = frame(p);
  ASSERT_NO_FATAL_FAILURE(receive(whole, 1));
  ASSERT_NO_FATAL_FAILURE(receive(ip4_fragment(whole, true, 0), 2)) << "first fragment";
  ASSERT_NO_FATAL_FAILURE(receive(ip4_fragment(whole, true, 16), 2)) << "middle fragment";
  ASSERT_NO_FATAL_FAILURE(receive(ip4_fragment(whole, false, 16), 2)) << "last fragment";
  EXPECT_EQ(hits(0), 1u);
  EXPECT_EQ(hits(1), 3u);
  auto whole6 = frame(pkt(true, kProtoUdp));
  ASSERT_NO_FATAL_FAILURE(receive(whole6, 3));
  ASSERT_NO_FATAL_FAILURE(receive(ip6_first_fragment(whole6), 0)) << "IPv6 first fragment";
  EXPECT_EQ(hits(2), 1u);
  // An IPv6 fragment's protocol is its datagram's (past the fragment header).
  Entry ip6 = any(OFNIC_FLT_IP6, 2);
  ip6.proto = kProtoUdp;
  ip6.proto_mask = 0xff;
  set_flow(3, ip6);
  ASSERT_NO_FATAL_FAILURE(receive(ip6_first_fragment(whole6), 2)) << "IPv6 first fragment";
  EXPECT_EQ(hits(3), 1u);
}

// ---- actions --------------------------------------------------------------

// QUEUE: ARG.QUEUE (queue 0 if not below MAX_QP), with context 0's hash;
// ARG.CONTEXT does not matter.
TEST_F(OfnicFlowTest, QueueActionSendsToItsQueue) {
  const auto key0 = key_of(0);
  set_key(0, key0);
  set_hash_types(0, OFNIC_RSS_HT_IPV4 | OFNIC_RSS_HT_IPV4_TCP);
  set_reta(0, [](unsigned) { return uint8_t(1); });
  set_key(5, kMsRssKey);
  set_hash_types(5, OFNIC_RSS_HT_IPV4);
  set_reta(5, [](unsigned) { return uint8_t(2); });
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_FLOW | OFNIC_RXC_RSS);
  Entry e = any(OFNIC_FLT_TCP4, 3);
  e.context = 5;
  e.dport = 5201;
  e.dport_mask = 0xffff;
  set_flow(0, e);
  Pkt p = pkt(false, kProtoTcp);
  ofnic_rx_wb wb{};
  ASSERT_NO_FATAL_FAILURE(receive(frame(p), 3, &wb));
  EXPECT_EQ(wb.status & OFNIC_RXS_RSS, OFNIC_RXS_RSS);
  EXPECT_EQ(wb.rss_hash, toeplitz(key0, rss_input(p, true))) << "context 0's hash";
  EXPECT_EQ(wb.rss_type, OFNIC_RSS_TYPE_IPV4_TCP);
  // No entry: context 0 spreads it.
  Pkt other = p;
  other.dport = 80;
  ASSERT_NO_FATAL_FAILURE(receive(frame(other), 1));
  // Queues not below MAX_QP (4 here, not OFNIC_MAX_QP) mean queue 0.
  for (uint32_t q : {kQueues, kQueues + 1, uint32_t(OFNIC_MAX_QP - 1), uint32_t(OFNIC_MAX_QP),
                     OFNIC_FLOW_ARG_QUEUE_MASK}) {
    SCOPED_TRACE(fmt::format("ARG.QUEUE {}", q));
    e.queue = q;
    set_flow(0, e);
    ASSERT_NO_FATAL_FAILURE(receive(frame(p), 0, &wb));
    EXPECT_EQ(wb.rss_hash, toeplitz(key0, rss_input(p, true)));
    EXPECT_EQ(hits(0), 1u) << "the CTRL write cleared it";
  }
  // Without a hash from context 0 there is none to report.
  set_hash_types(0, 0);
  e.queue = 2;
  set_flow(0, e);
  ASSERT_NO_FATAL_FAILURE(receive(frame(p), 2, &wb));
  EXPECT_EQ(wb.status & OFNIC_RXS_RSS, 0u);
  EXPECT_EQ(hits(0), 1u);
}

// CONTEXT: the context's key, hash types and RETA decide and its hash is
// reported; the queue is RETA_c[hash & 127] + ARG.QUEUE (queue 0 if not
// below MAX_QP). RX_CTRL.RSS is not needed.
TEST_F(OfnicFlowTest, ContextActionUsesItsKeyTypesAndReta) {
  // Context 0: a key, types and RETA of its own, that must not be used.
  set_key(0, key_of(0));
  set_hash_types(0, OFNIC_RSS_HT_IPV4 | OFNIC_RSS_HT_IPV6 | OFNIC_RSS_HT_IPV6_UDP);
  set_reta(0, [](unsigned) { return uint8_t(3); });
  const auto key3 = kMsRssKey;
  auto reta3 = [](unsigned i) { return uint8_t(i % 3); };
  set_key(3, key3);
  set_hash_types(3, OFNIC_RSS_HT_IPV4_TCP | OFNIC_RSS_HT_IPV6);
  set_reta(3, reta3);
  Entry e4 = any(OFNIC_FLT_TCP4, 2);
  e4.action = OFNIC_FLA_CONTEXT;
  e4.context = 3;
  set_flow(0, e4);
  Entry e6 = any(OFNIC_FLT_UDP6, 1);
  e6.action = OFNIC_FLA_CONTEXT;
  e6.context = 3;
  set_flow(1, e6);

  std::array<unsigned, kQueues> seen{};
  for (unsigned k = 0; k < 24; k++) {
    Pkt p = pkt(false, kProtoTcp);
    p.sport = uint16_t(20000 + 131 * k);
    const uint32_t h = toeplitz(key3, rss_input(p, true));
    unsigned q = reta3(h & 127) + 2;
    q = q < kQueues ? q : 0;
    SCOPED_TRACE(fmt::format("TCP/IPv4 flow {} hash {:#x} queue {}", k, h, q));
    ofnic_rx_wb wb{};
    ASSERT_NO_FATAL_FAILURE(receive(frame(p), q, &wb));
    EXPECT_EQ(wb.status & OFNIC_RXS_RSS, OFNIC_RXS_RSS);
    EXPECT_EQ(wb.rss_hash, h);
    EXPECT_EQ(wb.rss_type, OFNIC_RSS_TYPE_IPV4_TCP);
    seen[q]++;
  }
  EXPECT_GT(seen[2], 0u);
  EXPECT_GT(seen[3], 0u);
  EXPECT_GT(seen[0], 0u) << "RETA 2 + ARG.QUEUE 2 is past MAX_QP: queue 0";
  seen = {};
  for (unsigned k = 0; k < 12; k++) {
    Pkt p = pkt(true, kProtoUdp);
    p.src[15] = uint8_t(k * 29 + 1);
    const uint32_t h = toeplitz(key3, rss_input(p, false));  // context 3: 2-tuple for UDP6
    const unsigned q = reta3(h & 127) + 1;
    SCOPED_TRACE(fmt::format("UDP/IPv6 flow {} hash {:#x} queue {}", k, h, q));
    ofnic_rx_wb wb{};
    ASSERT_NO_FATAL_FAILURE(receive(frame(p), q, &wb));
    EXPECT_EQ(wb.status & OFNIC_RXS_RSS, OFNIC_RXS_RSS);
    EXPECT_EQ(wb.rss_hash, h);
    EXPECT_EQ(wb.rss_type, OFNIC_RSS_TYPE_IPV6);
    seen[q]++;
  }
  for (unsigned q = 1; q < kQueues; q++) EXPECT_GT(seen[q], 0u) << "queue " << q;
  EXPECT_EQ(hits(0), 24u);
  EXPECT_EQ(hits(1), 12u);
}

// ARG.CONTEXT not below RSS_CONTEXTS means context 0 (not context & 7).
TEST_F(OfnicFlowTest, ContextBeyondContextsMeansContextZero) {
  const auto key0 = key_of(0);
  auto reta0 = [](unsigned i) { return uint8_t(i % 2); };
  set_key(0, key0);
  set_hash_types(0, OFNIC_RSS_HT_IPV4_TCP);
  set_reta(0, reta0);
  for (unsigned c : {1u, 7u}) {
    set_key(c, key_of(uint8_t(c)));
    set_hash_types(c, OFNIC_RSS_HT_IPV4);
    set_reta(c, [](unsigned) { return uint8_t(2); });
  }
  for (uint32_t ctx : {8u, 9u, 15u, 0xffu}) {
    Entry e = any(OFNIC_FLT_TCP4, 1);
    e.action = OFNIC_FLA_CONTEXT;
    e.context = ctx;
    set_flow(0, e);
    for (unsigned k = 0; k < 4; k++) {
      Pkt p = pkt(false, kProtoTcp);
      p.sport = uint16_t(30000 + 7 * k + ctx);
      const uint32_t h = toeplitz(key0, rss_input(p, true));
      const unsigned q = reta0(h & 127) + 1;
      SCOPED_TRACE(fmt::format("ARG.CONTEXT {} flow {} hash {:#x} queue {}", ctx, k, h, q));
      ofnic_rx_wb wb{};
      ASSERT_NO_FATAL_FAILURE(receive(frame(p), q, &wb));
      EXPECT_EQ(wb.rss_hash, h);
      EXPECT_EQ(wb.rss_type, OFNIC_RSS_TYPE_IPV4_TCP);
    }
  }
}

// A context that gives the frame no hash: RETA_c[0] + ARG.QUEUE, no hash
// reported (not context 0's either).
TEST_F(OfnicFlowTest, ContextWithoutHashUsesRetaEntryZero) {
  set_key(0, kMsRssKey);
  set_hash_types(0, 0x3f);  // context 0 would hash everything
  set_reta(0, [](unsigned) { return uint8_t(1); });
  set_key(2, key_of(2));
  set_reta(2, [](unsigned i) { return uint8_t(i == 0 ? 2 : 0); });
  Entry e = any(OFNIC_FLT_IP4, 1);
  e.action = OFNIC_FLA_CONTEXT;
  e.context = 2;
  set_flow(0, e);
  // Hash types 0; then types that leave these frames out.
  for (uint32_t types : {0u, OFNIC_RSS_HT_IPV6 | OFNIC_RSS_HT_IPV6_TCP | OFNIC_RSS_HT_IPV6_UDP,
                         OFNIC_RSS_HT_IPV4_TCP}) {
    set_hash_types(2, types);
    for (uint8_t proto : {kProtoUdp, kProtoIcmp}) {
      SCOPED_TRACE(fmt::format("context hash types {:#x} proto {}", types, proto));
      ofnic_rx_wb wb{};
      ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, proto)), 3, &wb));
      EXPECT_EQ(wb.status & OFNIC_RXS_RSS, 0u);
      EXPECT_EQ(wb.rss_hash, 0u);
      EXPECT_EQ(wb.rss_type, OFNIC_RSS_TYPE_NONE);
    }
  }
  EXPECT_EQ(hits(0), 6u);
  // RETA_2[0] + ARG.QUEUE past MAX_QP: queue 0.
  e.queue = 2;
  set_flow(0, e);
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, kProtoUdp)), 0));
  EXPECT_EQ(hits(0), 1u);
}

// DROP (and action 3): dropped and counted in RX_FLOW_DROPS, nowhere written,
// not RX_NO_BUF.
TEST_F(OfnicFlowTest, DropActionDropsAndCounts) {
  Entry u = any(OFNIC_FLT_UDP4, 1);
  u.action = OFNIC_FLA_DROP;
  set_flow(0, u);
  Entry t = any(OFNIC_FLT_TCP4, 1);
  t.action = 3;
  set_flow(1, t);
  ASSERT_NO_FATAL_FAILURE(lose(frame(pkt(false, kProtoUdp)), OFNIC_STAT_RX_FLOW_DROPS, 1));
  ASSERT_NO_FATAL_FAILURE(lose(frame(pkt(false, kProtoUdp)), OFNIC_STAT_RX_FLOW_DROPS, 2));
  ASSERT_NO_FATAL_FAILURE(lose(frame(pkt(false, kProtoTcp)), OFNIC_STAT_RX_FLOW_DROPS, 3));
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_NO_BUF), 0u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  for (unsigned q = 0; q < kQueues; q++) {
    EXPECT_EQ(b_->qreg(q, Dir::kRx, OFNIC_Q_DROPS), 0u) << "queue " << q;
  }
  EXPECT_EQ(hits(0), 2u);
  EXPECT_EQ(hits(1), 1u);
  // Frames the MAC filter drops are not looked up.
  ASSERT_NO_FATAL_FAILURE(
      lose(build(kMacOther, kMacA, pkt(false, kProtoUdp)), OFNIC_STAT_RX_FILTERED, 1));
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_FLOW_DROPS), 3u);
  EXPECT_EQ(hits(0), 2u);
  // Other frames pass.
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(true, kProtoUdp)), 0));
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, kProtoIcmp)), 0));
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_FLOW_DROPS), 3u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_FLOW_DROPS), 0u) << "per device";
}

// ---- HITS -----------------------------------------------------------------

// HITS is read-only; any write to CTRL clears it, other words do not.
TEST_F(OfnicFlowTest, HitsReadOnlyAndClearedByCtrlWrite) {
  const Entry e = any(OFNIC_FLT_IP4, 1);
  set_flow(0, e);
  auto f = frame(pkt(false, kProtoTcp));
  for (int k = 0; k < 3; k++) ASSERT_NO_FATAL_FAILURE(receive(f, 1));
  EXPECT_EQ(flow_reg(*b_, 0, OFNIC_FLOW_HITS_LO), 3u);
  EXPECT_EQ(flow_reg(*b_, 0, OFNIC_FLOW_HITS_HI), 0u);
  set_flow_reg(*b_, 0, OFNIC_FLOW_HITS_LO, 0);
  set_flow_reg(*b_, 0, OFNIC_FLOW_HITS_HI, 5);
  EXPECT_EQ(hits(0), 3u) << "HITS is read-only";
  set_flow_reg(*b_, 0, OFNIC_FLOW_ARG, e.arg());
  set_flow_reg(*b_, 0, OFNIC_FLOW_PORTS, 0);
  set_flow_reg(*b_, 0, OFNIC_FLOW_SRC, 0);
  EXPECT_EQ(hits(0), 3u) << "only a CTRL write clears it";
  set_flow_reg(*b_, 0, OFNIC_FLOW_CTRL, e.ctrl());  // the same value
  EXPECT_EQ(hits(0), 0u);
  ASSERT_NO_FATAL_FAILURE(receive(f, 1));
  EXPECT_EQ(hits(0), 1u);
  set_flow_reg(*b_, 0, OFNIC_FLOW_CTRL, 0);
  EXPECT_EQ(hits(0), 0u);
  EXPECT_EQ(hits(1), 0u);
}

// A frame held because its queue had no buffers is offered again (QEMU's
// net queue) on every RX register write until it is taken: counted once,
// when taken.
TEST_F(OfnicFlowTest, HitsCountHeldFrameOnce) {
  set_flow(0, any(OFNIC_FLT_TCP4, 1));
  b_->ring_reset(1, Dir::kRx);
  ring(1).rewind();
  ring(1).start();
  ASSERT_EQ(b_->q_status(1, Dir::kRx), OFNIC_QS_ENABLED);
  auto f = frame(pkt(false, kProtoTcp));
  ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
  settle();
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_NO_BUF), 0u) << "held, not dropped";
  EXPECT_EQ(hits(0), 0u);
  // Queue 0's doorbell, another ring's, the device's CTRL: each offers the
  // frame again, and it is held again.
  for (int k = 0; k < 3; k++) {
    b_->set_qreg(0, Dir::kRx, OFNIC_Q_TAIL, b_rx_->next());
    b_->set_qreg(2, Dir::kRx, OFNIC_Q_TAIL, ring(2).next());
    b_->enable();
    settle();
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 0u);
  EXPECT_EQ(hits(0), 0u) << "not taken yet";
  ring(1).post(4);
  ASSERT_TRUE(rx_done(ring(1), 0));
  EXPECT_EQ(ring(1).frame(0), f);
  settle();
  EXPECT_EQ(hits(0), 1u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
  rx_pkts_ = 1;
  got_[1] = 1;
  ASSERT_NO_FATAL_FAILURE(receive(f, 1));
  EXPECT_EQ(hits(0), 2u);
}

// Frames an entry sends to a queue whose ring is not enabled are dropped
// (RX_NO_BUF) and counted in HITS; so are those of a CONTEXT entry.
TEST_F(OfnicFlowTest, HitsCountFramesDroppedForDisabledRing) {
  b_->set_qreg(3, Dir::kRx, OFNIC_Q_CTRL, 0);
  ASSERT_EQ(b_->q_status(3, Dir::kRx), 0u);
  set_flow(0, any(OFNIC_FLT_UDP4, 3));
  ASSERT_NO_FATAL_FAILURE(lose(frame(pkt(false, kProtoUdp)), OFNIC_STAT_RX_NO_BUF, 1));
  ASSERT_NO_FATAL_FAILURE(lose(frame(pkt(false, kProtoUdp)), OFNIC_STAT_RX_NO_BUF, 2));
  EXPECT_EQ(b_->qreg(3, Dir::kRx, OFNIC_Q_DROPS), 2u);
  EXPECT_EQ(hits(0), 2u);
  set_reta(4, [](unsigned) { return uint8_t(2); });
  Entry c = any(OFNIC_FLT_TCP6, 1);
  c.action = OFNIC_FLA_CONTEXT;
  c.context = 4;
  set_flow(1, c);
  ASSERT_NO_FATAL_FAILURE(lose(frame(pkt(true, kProtoTcp)), OFNIC_STAT_RX_NO_BUF, 3));
  EXPECT_EQ(b_->qreg(3, Dir::kRx, OFNIC_Q_DROPS), 3u);
  EXPECT_EQ(hits(1), 1u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_FLOW_DROPS), 0u);
}

// Segments coalesced into one frame (LRO) each count: HITS is frames the
// entry decided, not frames written.
TEST_F(OfnicFlowTest, HitsCountCoalescedSegments) {
  b_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_FLOW | OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
  set_flow(0, any(OFNIC_FLT_TCP4, 2));
  for (uint32_t k = 0; k < 4; k++) {
    Pkt p = pkt(false, kProtoTcp);
    p.seq = 1000 + 100 * k;
    p.ip_id = uint16_t(0x100 + k);
    p.flags = k == 3 ? kTcpAck | kTcpPsh : kTcpAck;
    p.payload = payload_pattern(100, uint8_t(k));
    ASSERT_TRUE(tx_done(*a_tx_, send(*a_tx_, frame(p))));
  }
  ASSERT_TRUE(rx_done(ring(2), 0));
  ofnic_rx_wb wb = ring(2).wb(0);
  EXPECT_EQ(wb.status & OFNIC_RXS_LRO, OFNIC_RXS_LRO);
  EXPECT_EQ(wb.lro_segs, 4);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_PKTS), 1u);
  EXPECT_EQ(hits(0), 4u);
  EXPECT_EQ(ring(0).head(), 0u);
}

// ---- reset ----------------------------------------------------------------

// CTRL.RESET clears every entry (HITS too), every context and RX_FLOW_DROPS.
TEST_F(OfnicFlowTest, CtrlResetClearsTableAndContexts) {
  for (unsigned c = 0; c < OFNIC_RSS_CTX_MAX; c++) {
    set_key(c, key_of(uint8_t(c + 1)));
    set_hash_types(c, 0x3f);
    set_reta(c, [c](unsigned i) { return uint8_t(i + c + 1); });
  }
  set_flow(0, any(OFNIC_FLT_TCP4, 1));
  Entry d = any(OFNIC_FLT_UDP4);
  d.action = OFNIC_FLA_DROP;
  set_flow(1, d);
  Entry full = any(OFNIC_FLT_IP6, 3);
  full.src = full.src_mask = full.dst = full.dst_mask = kSrc6;
  full.sport = full.dport = full.sport_mask = full.dport_mask = 0x1234;
  full.proto = full.proto_mask = 0x11;
  full.context = 5;
  set_flow(OFNIC_FLOW_ENTRIES - 1, full);
  ASSERT_NO_FATAL_FAILURE(receive(frame(pkt(false, kProtoTcp)), 1));
  ASSERT_NO_FATAL_FAILURE(lose(frame(pkt(false, kProtoUdp)), OFNIC_STAT_RX_FLOW_DROPS, 1));
  ASSERT_EQ(hits(0), 1u);
  ASSERT_EQ(hits(1), 1u);
  ASSERT_NE(flow_reg(*b_, OFNIC_FLOW_ENTRIES - 1, OFNIC_FLOW_DST_MASK + 12), 0u);

  b_->set_reg(OFNIC_REG_CTRL, OFNIC_CTRL_RESET);
  EXPECT_EQ(b_->reg(OFNIC_REG_RX_CTRL), 0u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_RX_FLOW_DROPS), 0u);
  for (unsigned i = 0; i < OFNIC_FLOW_ENTRIES; i++) {
    for (auto [off, v] : flow_words(*b_, i)) {
      ASSERT_EQ(v, 0u) << fmt::format("entry {} offset {:#x}", i, off);
    }
  }
  for (unsigned c = 0; c < OFNIC_RSS_CTX_MAX; c++) {
    for (uint32_t off = 0; off < 0x200; off += 4) {
      ASSERT_EQ(ctx_reg(*b_, c, off), 0u) << fmt::format("context {} offset {:#x}", c, off);
    }
  }
  EXPECT_EQ(b_->reg(OFNIC_REG_RSS_HASH_TYPES), 0u);
  EXPECT_EQ(ofnic::test::hits(*a_, 0), 0u);
}

}  // namespace
}  // namespace ofnic::test
