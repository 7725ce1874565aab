// LRO as Linux's software GRO coalesces (hw-spec 7, LRO; Linux 6.12
// net/ipv4/tcp_offload.c tcp_gro_receive(), include/net/gro.h
// inet_gro_flush(), net/ipv6/ip6_offload.c ipv6_gro_receive()): the IPv4 ID
// (incrementing, or fixed with DF), the 64 KiB IP datagram limit, IPv6
// extension headers, the TCP fields and flags (rules 1 to 4 below). Frames
// go from port A's TX ring over the hub to port B's RX ring. Rule 5, the
// tap's GSO frames written whole (hw-spec 12), is tested on a tap with
// OfnicTapTest (test_vnet_tap.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "device_fixture.h"
#include "packet.h"

namespace ofnic::test {
namespace {

using Frames = std::vector<std::vector<uint8_t>>;

// The frame LRO makes of segs (hw-spec 7): the first segment's headers with
// the IP length (and IPv4 header checksum) of the whole and the PSH of any
// segment, then all payloads in order. Everything else, the TCP checksum
// field included, is the first segment's.
std::vector<uint8_t> coalesced(const Frames& segs) {
  const Parsed h = parse(segs[0]);
  std::vector<uint8_t> out(segs[0].begin(), segs[0].begin() + long(h.l5));
  for (const auto& s : segs) {
    const Parsed k = parse(s);
    out.insert(out.end(), s.begin() + long(k.l5), s.begin() + long(k.end));
    out[h.l4 + 13] |= s[k.l4 + 13] & (kTcpPsh | kTcpFin);
  }
  if (h.v6) {
    put16(out, 18, uint16_t(out.size() - 54));
  } else {
    put16(out, 16, uint16_t(out.size() - 14));
    put16(out, 24, 0);
    put16(out, 24, uint16_t(~fold(sum16(std::span<const uint8_t>(out).subspan(14, h.l4 - 14)))));
  }
  return out;
}

// Recomputes a TCP checksum after a header change (the test's own sum).
void refresh_tcp_csum(std::vector<uint8_t>& f) {
  const Parsed h = parse(f);
  put16(f, h.l4 + 16, 0);
  put16(f, h.l4 + 16,
        uint16_t(
            ~fold(sum16(std::span<const uint8_t>(f).subspan(h.l4, h.end - h.l4), pseudo_sum(f)))));
}

// A TCP stream of the test: consecutive segments of one flow.
struct Stream {
  Pkt base;
  uint32_t seq = 100000;
  uint16_t id = 0x100;
  uint8_t seed = 1;

  explicit Stream(bool v6 = false) {
    base.v6 = v6;
    if (v6) {
      base.src = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
      base.dst = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    }
    base.tcp_opts = ts_option(77, 88);
  }
  // The next segment: len payload bytes after the previous one's, its IPv4 ID
  // the previous one's + id_step (0: the same ID).
  Pkt next(size_t len, uint8_t flags = kTcpAck, int id_step = 1) {
    Pkt p = base;
    p.seq = seq;
    p.flags = flags;
    p.ip_id = id;
    p.payload = payload_pattern(len, seed++);
    seq += uint32_t(len);
    id = uint16_t(id + id_step);
    return p;
  }
};

// What B wrote for one frame.
struct Rx {
  ofnic_rx_wb wb;
  std::vector<uint8_t> f;
};

class OfnicLroGroTest : public OfnicLroLinkTest {
 protected:
  // B's RX ring 0 anew: size descriptors of buf_size bytes, all posted but one.
  void fresh_rx(uint32_t size, uint32_t buf_size) {
    b_->ring_reset(0, Dir::kRx);
    b_rx_ = make_rx(*b_, 0, size, buf_size);
    b_rx_->start();
    b_rx_->post(size - 1);
    cursor_ = 0;
  }
  // Sends frame f from A; returns it (to build the expected frames from).
  std::vector<uint8_t> send_frame(std::vector<uint8_t> f) {
    EXPECT_TRUE(tx_done(*a_tx_, send(*a_tx_, f)));
    return f;
  }
  std::vector<uint8_t> send_pkt(const Pkt& p) { return send_frame(build(kMacB, kMacA, p)); }
  uint64_t rx_pkts() { return b_->stat(OFNIC_STAT_RX_PKTS); }
  // B's next frame in ring order, once written (nullopt if it is not).
  std::optional<Rx> next_rx() {
    if (!rx_done(*b_rx_, cursor_)) return std::nullopt;
    Rx r{b_rx_->wb(cursor_), b_rx_->frame(cursor_)};
    cursor_ +=
        std::max<uint32_t>(1, uint32_t((r.f.size() + b_rx_->buf_size() - 1) / b_rx_->buf_size()));
    return r;
  }
  // r is the frame LRO makes of segs (a plain frame if one), its write-back
  // status DD, the checksum bits, RXS_LRO when coalesced, and `more`.
  void expect_frame(const char* what, const std::optional<Rx>& r, const Frames& segs,
                    uint32_t more = 0) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(r) << "no frame";
    const auto want = coalesced(segs);
    const Parsed h = parse(want);
    uint32_t st = OFNIC_RXS_DD | OFNIC_RXS_L4_OK | (h.v6 ? 0 : OFNIC_RXS_L3_OK) | more |
                  (want.size() <= b_rx_->buf_size() ? OFNIC_RXS_EOP : 0);
    if (segs.size() > 1) {
      st |= OFNIC_RXS_LRO;
      EXPECT_EQ(r->wb.lro_segs, segs.size());
      EXPECT_EQ(r->wb.lro_mss, parse(segs[0]).end - parse(segs[0]).l5);
    } else {
      EXPECT_EQ(r->wb.lro_segs, 0);
      EXPECT_EQ(r->wb.lro_mss, 0);
    }
    EXPECT_EQ(uint32_t(r->wb.status) & ~OFNIC_RXS_RSS, st)
        << fmt::format("status {:#x}, expected {:#x}", uint32_t(r->wb.status), st);
    ASSERT_EQ(r->f.size(), want.size());
    EXPECT_TRUE(r->f == want) << "first difference at byte " << first_diff(r->f, want);
    if (!h.v6) {
      EXPECT_TRUE(ip4_csum_ok(r->f));
    }
  }

  uint32_t cursor_ = 0;  // B's next frame's first descriptor
};

// ---- IPv4 ID ------------------------------------------------------------

// Rule 1: with DF, one fixed ID for all segments coalesces (GRO takes it:
// inet_gro_flush marks the flow ip_fixedid at its second segment, as a
// sender that sets DF without counting IDs makes it); RXS_LRO_FIXEDID tells
// the driver (SKB_GSO_TCP_FIXEDID), and the frame keeps the first's ID.
TEST_F(OfnicLroGroTest, FixedIdWithDfCoalescesWithFixedIdBit) {
  Stream s;
  s.id = 0x4242;
  Frames segs;
  for (int k = 0; k < 3; k++) segs.push_back(send_pkt(s.next(1000, kTcpAck, 0)));
  step_us(50);
  auto r = next_rx();
  expect_frame("fixed ID", r, segs, OFNIC_RXS_LRO_FIXEDID);
  ASSERT_TRUE(r);
  EXPECT_EQ(be16(r->f, 18), 0x4242) << "the first segment's IP ID";
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 1u);
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_SEGS), 3u);
}

// Rule 1: without DF an equal ID does not coalesce: the ID then names a
// datagram's fragments (inet_gro_flush takes a fixed ID only with DF).
TEST_F(OfnicLroGroTest, EqualIdWithoutDfDoesNotCoalesce) {
  Stream s;
  s.base.df = false;
  Frames segs;
  for (int k = 0; k < 2; k++) segs.push_back(send_pkt(s.next(1000, kTcpAck, 0)));
  expect_frame("first", next_rx(), {segs[0]});
  step_us(50);
  expect_frame("second", next_rx(), {segs[1]});
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 0u);
  EXPECT_EQ(rx_pkts(), 2u);
}

// Rule 1: a fixed-ID frame takes no segment whose ID counts on (GRO: once
// ip_fixedid, the ID offset must be 0); that segment starts the next frame,
// which decides afresh (here: incrementing).
TEST_F(OfnicLroGroTest, FixedIdContextRefusesIncrementedId) {
  for (int step : {1, 2}) {  // the next ID, and the one a counting flow would have
    SCOPED_TRACE(fmt::format("ID + {}", step));
    Stream s;
    s.id = uint16_t(0x700 + 0x10 * step);
    const uint16_t id0 = s.id;
    Frames segs;
    segs.push_back(send_pkt(s.next(1000, kTcpAck, 0)));
    segs.push_back(send_pkt(s.next(1000, kTcpAck, step)));  // id0 again: fixed
    segs.push_back(send_pkt(s.next(1000)));                 // id0 + step
    segs.push_back(send_pkt(s.next(1000)));                 // id0 + step + 1
    auto r = next_rx();
    expect_frame("fixed-ID frame", r, {segs[0], segs[1]}, OFNIC_RXS_LRO_FIXEDID);
    step_us(50);
    expect_frame("incrementing frame", next_rx(), {segs[2], segs[3]});
    EXPECT_EQ(be16(segs[2], 18), uint16_t(id0 + step));
  }
}

// Rule 1: an incrementing frame takes no segment that repeats an ID (GRO:
// the offset must equal the count), neither the last one's nor the first's.
TEST_F(OfnicLroGroTest, IncrementingContextRefusesRepeatedId) {
  for (bool like_first : {false, true}) {
    SCOPED_TRACE(like_first ? "the first segment's ID" : "the last segment's ID");
    Stream s;
    s.id = like_first ? 0x900 : 0xa00;
    Frames segs;
    segs.push_back(send_pkt(s.next(1000)));
    segs.push_back(send_pkt(s.next(1000, kTcpAck, like_first ? -1 : 0)));
    // Repeats the last (or the first) ID; as the first of a new frame, the
    // next segment with its ID makes that frame fixed-ID.
    segs.push_back(send_pkt(s.next(1000, kTcpAck, 0)));
    segs.push_back(send_pkt(s.next(1000, kTcpAck, 0)));
    expect_frame("incrementing frame", next_rx(), {segs[0], segs[1]});
    step_us(50);
    expect_frame("fixed-ID frame", next_rx(), {segs[2], segs[3]}, OFNIC_RXS_LRO_FIXEDID);
    EXPECT_EQ(be16(segs[2], 18), be16(segs[like_first ? 0 : 1], 18));
  }
}

// Rule 1: a frame of counting IDs has RXS_LRO without RXS_LRO_FIXEDID: with
// DF, without DF (counting IDs need no DF), across the 16-bit wrap; nor has
// an IPv6 frame (no ID).
TEST_F(OfnicLroGroTest, IncrementingIdFramesHaveNoFixedIdBit) {
  struct Case {
    const char* what;
    bool df, v6;
    uint16_t id;
  } cases[] = {
      {"DF", true, false, 0x100},
      {"no DF", false, false, 0x200},
      {"wrapping", true, false, 0xfffe},
      {"IPv6", true, true, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Stream s(c.v6);
    s.base.df = c.df;
    s.id = c.id;
    Frames segs;
    for (int k = 0; k < 4; k++) segs.push_back(send_pkt(s.next(1000)));
    step_us(50);
    expect_frame(c.what, next_rx(), segs);
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 4u);
}

// ---- the 64 KiB datagram limit --------------------------------------------

// Rule 2: LRO_MAX_LEN is clamped to 65549, GRO's limit: 65535 bytes past
// the Ethernet header (the register is in frame bytes).
TEST_F(OfnicLroGroTest, LroMaxLenClampsToGrosLimit) {
  b_->set_reg(OFNIC_REG_LRO_MAX_LEN, 0xffffffff);
  EXPECT_EQ(b_->reg(OFNIC_REG_LRO_MAX_LEN), 14u + 65535);
  b_->set_reg(OFNIC_REG_LRO_MAX_LEN, 65550);
  EXPECT_EQ(b_->reg(OFNIC_REG_LRO_MAX_LEN), 65549u);
  b_->set_reg(OFNIC_REG_LRO_MAX_LEN, 65535);
  EXPECT_EQ(b_->reg(OFNIC_REG_LRO_MAX_LEN), 65535u);
}

// Rule 2: VLAN tags count against the limit, as in GRO (skb_gro_receive
// compares skb->len, which after eth_type_trans includes an in-band tag):
// behind one tag the datagram stops at 65531 bytes. After eight 8000-byte
// segments a last one that makes the frame exactly 65549 bytes joins and
// completes it at once; one byte more does not join.
TEST_F(OfnicLroGroTest, VlanTagsCountAgainstTheLimit) {
  fresh_rx(256, 4096);
  b_->set_reg(OFNIC_REG_LRO_MAX_LEN, 65549);
  auto tagged = [](std::vector<uint8_t> f) {
    const uint8_t tag[] = {0x81, 0x00, 0x00, 0x05};
    f.insert(f.begin() + 12, std::begin(tag), std::end(tag));
    return f;
  };
  const size_t room = 65535 - 4 - 52 - 8 * 8000;
  for (size_t extra : {0, 1}) {
    SCOPED_TRACE(extra ? "one byte more" : "exactly the limit");
    Stream s;
    s.base.sport = uint16_t(40000 + extra);
    for (int k = 0; k < 8; k++) send_frame(tagged(build(kMacB, kMacA, s.next(8000))));
    send_frame(tagged(build(kMacB, kMacA, s.next(room + extra))));
    auto r = next_rx();
    ASSERT_TRUE(r) << "no frame";
    EXPECT_EQ(r->wb.lro_segs, extra ? 8 : 9);
    EXPECT_EQ(r->f.size(), extra ? 18u + 52 + 8 * 8000 : 65549u);
    if (extra) {
      step_us(50);
      ASSERT_TRUE(next_rx()) << "the last alone";
    }
  }
}

// Rule 2 with only the datagram limit binding: 4096-byte buffers (32 hold
// 128 KiB) and LRO_MAX_LEN at its maximum (65549 frame bytes). 8000-byte
// segments (MAX_FRAME 9018): eight make a 64052-byte IPv4 datagram, a ninth
// would pass 65535 bytes (GRO: skb_gro_receive's gro_max_size of 64 KiB), so
// it starts the next frame. The eight wait meanwhile: 1483 more bytes fit.
TEST_F(OfnicLroGroTest, DatagramLimitEndsTheFrameBeforeA64KiBDatagram) {
  fresh_rx(256, 4096);
  b_->set_reg(OFNIC_REG_LRO_MAX_LEN, 65549);
  Stream s;
  Frames segs;
  for (int k = 0; k < 8; k++) segs.push_back(send_pkt(s.next(8000)));
  settle();
  EXPECT_EQ(rx_pkts(), 0u) << "1483 bytes still fit: the frame stays open";
  auto ninth = send_pkt(s.next(8000));
  auto r = next_rx();
  expect_frame("eight segments", r, segs);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->f.size(), 14u + 52 + 8 * 8000);
  settle();
  EXPECT_EQ(rx_pkts(), 1u) << "the ninth starts a frame of its own";
  step_us(50);
  expect_frame("ninth", next_rx(), {ninth});
}

// Rule 2: a frame is complete only when not one more byte fits. After eight
// 8000-byte segments, a last, shorter segment that brings the datagram to
// exactly 65535 bytes joins (as in GRO, which takes any segment that fits),
// and the frame is then written at once (no clock step). The frame (65549
// bytes) is longer than the default 65535-byte LRO_MAX_LEN and than 32
// 2048-byte buffers. IPv4 (52 header bytes) and IPv6 (72).
TEST_F(OfnicLroGroTest, ShortLastSegmentFillingTheDatagramJoins) {
  fresh_rx(256, 4096);
  b_->set_reg(OFNIC_REG_LRO_MAX_LEN, 65549);
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    Stream s(v6);
    const size_t l3hdr = v6 ? 72 : 52, room = 65535 - l3hdr - 8 * 8000;
    Frames segs;
    for (int k = 0; k < 8; k++) segs.push_back(send_pkt(s.next(8000)));
    segs.push_back(send_pkt(s.next(room)));
    auto r = next_rx();
    expect_frame("nine segments", r, segs);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->f.size(), 14u + 65535);
    EXPECT_EQ(parse(r->f).end, r->f.size()) << "IP length: a 65535-byte datagram";
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 2u);
}

// Rule 2: one byte more than that does not join: the datagram would be 65536
// bytes (and the frame, 65550 bytes, past LRO_MAX_LEN's largest value), although
// it fits 32 buffers. The frame is written when that segment arrives, which then waits
// alone for LRO_TIMEOUT.
TEST_F(OfnicLroGroTest, SegmentPassingTheDatagramLimitStartsTheNextFrame) {
  fresh_rx(256, 4096);
  b_->set_reg(OFNIC_REG_LRO_MAX_LEN, 65549);
  uint64_t pkts = 0;
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    Stream s(v6);
    const size_t l3hdr = v6 ? 72 : 52, room = 65535 - l3hdr - 8 * 8000;
    Frames segs;
    for (int k = 0; k < 8; k++) segs.push_back(send_pkt(s.next(8000)));
    auto last = send_pkt(s.next(room + 1));
    expect_frame("eight segments", next_rx(), segs);
    settle();
    EXPECT_EQ(rx_pkts(), pkts + 1);
    step_us(50);
    expect_frame("the last alone", next_rx(), {last});
    pkts += 2;
  }
}

// Rule 2: the 32-buffer limit still applies besides the datagram's: with
// 2048-byte buffers a frame holds at most 65536 bytes, so after eight
// 8000-byte segments (64066 bytes) a last of 1470 bytes joins (a frame of
// exactly 32 buffers) and one of 1471 bytes does not.
TEST_F(OfnicLroGroTest, BufferLimitStillBindsWithSmallBuffers) {
  fresh_rx(256, 2048);
  b_->set_reg(OFNIC_REG_LRO_MAX_LEN, 65549);
  {
    Stream s;
    Frames segs;
    for (int k = 0; k < 8; k++) segs.push_back(send_pkt(s.next(8000)));
    segs.push_back(send_pkt(s.next(1470)));
    auto r = next_rx();
    expect_frame("nine segments in 32 buffers", r, segs);
    EXPECT_EQ(cursor_, 32u);
  }
  {
    Stream s;
    s.base.sport = 40001;
    Frames segs;
    for (int k = 0; k < 8; k++) segs.push_back(send_pkt(s.next(8000)));
    auto last = send_pkt(s.next(1471));
    expect_frame("eight segments", next_rx(), segs);
    step_us(50);
    expect_frame("the last alone", next_rx(), {last});
  }
}

// Rule 2: a segment opens a frame when one more byte could join it, not only
// another segment of its size (GRO holds every segment it may merge into).
// LRO_MAX_LEN 2000: after a 1066-byte frame a 500-byte segment still fits.
TEST_F(OfnicLroGroTest, SegmentOpensAFrameWhenAShorterOneCouldJoin) {
  b_->set_reg(OFNIC_REG_LRO_MAX_LEN, 2000);
  Stream s;
  Frames segs;
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(500)));
  step_us(50);
  expect_frame("1000 + 500", next_rx(), segs);
}

// ---- IPv6 extension headers -------------------------------------------------

// Rule 3: a hop-by-hop options header identical in all segments coalesces
// (ipv6_gro_receive pulls it and compares it byte for byte); the frame keeps it.
TEST_F(OfnicLroGroTest, Ipv6IdenticalHopByHopOptionsCoalesce) {
  Stream s(true);
  const std::vector<Ext6> ext = {{kIp6HopByHop, exp_opt(1, 2, 3, 4)}};
  Frames segs;
  for (int k = 0; k < 3; k++)
    segs.push_back(send_frame(with_ext6(build(kMacB, kMacA, s.next(1000)), ext)));
  step_us(50);
  auto r = next_rx();
  expect_frame("hop-by-hop", r, segs);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->f[20], kIp6HopByHop);
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 1u);
}

// Rule 3: so do identical destination options headers, alone and behind a
// hop-by-hop header (16-byte options too).
TEST_F(OfnicLroGroTest, Ipv6IdenticalDestinationOptionsCoalesce) {
  std::vector<uint8_t> long_opts = {0x1e, 12};
  for (int k = 0; k < 12; k++) long_opts.push_back(uint8_t(0x40 + k));
  const std::vector<std::vector<Ext6>> chains = {
      {{kIp6DestOpts, exp_opt(9, 9, 9, 9)}},
      {{kIp6HopByHop, exp_opt(1)}, {kIp6DestOpts, long_opts}},
  };
  for (const auto& ext : chains) {
    SCOPED_TRACE(ext.size() == 1 ? "destination options" : "hop-by-hop, destination options");
    Stream s(true);
    Frames segs;
    for (int k = 0; k < 3; k++) {
      segs.push_back(send_frame(with_ext6(build(kMacB, kMacA, s.next(1000)), ext)));
    }
    step_us(50);
    expect_frame("coalesced", next_rx(), segs);
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 2u);
}

// Rule 3: a routing header without segments left (the TCP checksum covers the
// packet's own destination) coalesces when identical.
TEST_F(OfnicLroGroTest, Ipv6IdenticalRoutingHeaderWithoutSegmentsLeftCoalesces) {
  Stream s(true);
  s.base.srh = {s.base.dst, {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9}};
  s.base.srh_left = 0;
  Frames segs;
  for (int k = 0; k < 3; k++) segs.push_back(send_pkt(s.next(1000)));
  step_us(50);
  auto r = next_rx();
  expect_frame("routing header", r, segs);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->f[20], kIp6Routing);
}

// Rule 3: extension headers that differ do not coalesce: other option bytes,
// another header type with the same bytes, one header more, a longer header
// (GRO: the next header and the bytes up to TCP must be equal). The
// segment with the other headers starts the next frame, and the segments
// like it join that one.
TEST_F(OfnicLroGroTest, Ipv6DifferentExtensionHeadersDoNotCoalesce) {
  std::vector<uint8_t> long_opts = {0x1e, 12};
  for (int k = 0; k < 12; k++) long_opts.push_back(uint8_t(k));
  struct Case {
    const char* what;
    std::vector<Ext6> first, then;
  } cases[] = {
      {"option bytes", {{kIp6DestOpts, exp_opt(1)}}, {{kIp6DestOpts, exp_opt(2)}}},
      {"header type", {{kIp6HopByHop, exp_opt(1)}}, {{kIp6DestOpts, exp_opt(1)}}},
      {"one header more",
       {{kIp6DestOpts, exp_opt(1)}},
       {{kIp6HopByHop, exp_opt(1)}, {kIp6DestOpts, exp_opt(1)}}},
      {"header length", {{kIp6DestOpts, exp_opt(1)}}, {{kIp6DestOpts, long_opts}}},
      {"none, then one", {}, {{kIp6DestOpts, exp_opt(1)}}},
  };
  auto frame = [&](Stream& s, const std::vector<Ext6>& ext) {
    auto f = build(kMacB, kMacA, s.next(1000));
    return ext.empty() ? f : with_ext6(f, ext);
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Stream s(true);
    Frames segs;
    segs.push_back(send_frame(frame(s, c.first)));
    segs.push_back(send_frame(frame(s, c.then)));
    segs.push_back(send_frame(frame(s, c.then)));
    expect_frame("the first alone", next_rx(), {segs[0]});
    step_us(50);
    expect_frame("the others", next_rx(), {segs[1], segs[2]});
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_SEGS), 2u * std::size(cases));
}

// ---- TCP header ---------------------------------------------------------

// Rule 4: a new ACK number ends the frame; the segment with it starts the
// next (tcp_gro_receive flushes on ack_seq: the stack must see every ACK).
TEST_F(OfnicLroGroTest, AckNumberChangeEndsTheFrame) {
  Stream s;
  Frames segs;
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000)));
  s.base.ack = 9999;
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000)));
  expect_frame("old ACK", next_rx(), {segs[0], segs[1]});
  step_us(50);
  auto r = next_rx();
  expect_frame("new ACK", r, {segs[2], segs[3]});
  ASSERT_TRUE(r);
  EXPECT_EQ(be32(r->f, 34 + 8), 9999u);
}

// Rule 4: so does a new window (tcp_flag_word covers it: a window update is
// news for the sender's side of the stack).
TEST_F(OfnicLroGroTest, WindowChangeEndsTheFrame) {
  Stream s;
  Frames segs;
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000)));
  s.base.win = 1234;
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000)));
  expect_frame("old window", next_rx(), {segs[0], segs[1]});
  step_us(50);
  auto r = next_rx();
  expect_frame("new window", r, {segs[2], segs[3]});
  ASSERT_TRUE(r);
  EXPECT_EQ(be16(r->f, 34 + 14), 1234);
}

// Rule 4: ECE in all segments coalesces (GRO compares the flags, ECE
// included, and takes equal ones); the frame keeps ECE.
TEST_F(OfnicLroGroTest, EceInAllSegmentsCoalesces) {
  Stream s;
  Frames segs;
  for (int k = 0; k < 3; k++) segs.push_back(send_pkt(s.next(1000, kTcpAck | kTcpEce)));
  step_us(50);
  auto r = next_rx();
  expect_frame("ECE", r, segs);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->f[34 + 13], kTcpAck | kTcpEce);
}

// Rule 4: ECE that differs does not: a segment with ECE after ones without
// ends the frame and starts the next, and one without ends that one.
TEST_F(OfnicLroGroTest, EceChangeEndsTheFrame) {
  Stream s;
  Frames segs;
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000, kTcpAck | kTcpEce)));
  segs.push_back(send_pkt(s.next(1000, kTcpAck | kTcpEce)));
  expect_frame("without ECE", next_rx(), {segs[0], segs[1]});
  segs.push_back(send_pkt(s.next(1000)));
  expect_frame("with ECE", next_rx(), {segs[2], segs[3]});
  step_us(50);
  expect_frame("without ECE again", next_rx(), {segs[4]});
}

// Rule 4: a CWR segment starts a frame that later segments without CWR join;
// the frame keeps CWR. GRO flushes only on CWR in the arriving segment, not
// in the held one: TSO puts CWR on a burst's first segment only, and
// tcp_gro_complete turns it into SKB_GSO_TCP_ECN.
TEST_F(OfnicLroGroTest, CwrSegmentStartsAFrameTheNextOnesJoin) {
  Stream s;
  Frames segs;
  segs.push_back(send_pkt(s.next(1000, kTcpAck | kTcpCwr)));
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000)));
  step_us(50);
  auto r = next_rx();
  expect_frame("CWR, then two", r, segs);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->f[34 + 13], kTcpAck | kTcpCwr);
}

// Rule 4: a CWR segment does not join an open frame (nor one opened by CWR):
// it ends that frame and starts the next.
TEST_F(OfnicLroGroTest, CwrSegmentDoesNotJoinAnOpenFrame) {
  Stream s;
  Frames segs;
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000, kTcpAck | kTcpCwr)));
  expect_frame("before CWR", next_rx(), {segs[0], segs[1]});
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000, kTcpAck | kTcpCwr)));
  expect_frame("CWR and one", next_rx(), {segs[2], segs[3]});
  step_us(50);
  expect_frame("CWR again", next_rx(), {segs[4]});
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 2u);
}

// Rule 4: PSH joins the frame and ends it at once (GRO flushes on PSH); a
// PSH segment with no open frame passes at once.
TEST_F(OfnicLroGroTest, PshJoinsAndEndsTheFrame) {
  Stream s;
  Frames segs;
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000, kTcpAck | kTcpPsh)));
  auto r = next_rx();  // no clock step
  expect_frame("with PSH", r, segs);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->f[34 + 13], kTcpAck | kTcpPsh);
  auto lone = send_pkt(s.next(1000, kTcpAck | kTcpPsh));
  expect_frame("PSH alone", next_rx(), {lone});
}

// Rule 4: FIN, like PSH, joins the frame and ends it at once (GRO leaves FIN
// out of its flag comparison, merges the segment and flushes); a FIN segment
// with no open frame, or a bare FIN, passes at once.
TEST_F(OfnicLroGroTest, FinJoinsAndEndsTheFrame) {
  Stream s;
  Frames segs;
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000)));
  segs.push_back(send_pkt(s.next(1000, kTcpAck | kTcpFin)));
  auto r = next_rx();  // no clock step
  expect_frame("with FIN", r, segs);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->f[34 + 13], kTcpAck | kTcpFin);
  auto lone = send_pkt(s.next(500, kTcpAck | kTcpFin | kTcpPsh));
  expect_frame("FIN alone", next_rx(), {lone});
  auto bare = send_pkt(s.next(0, kTcpAck | kTcpFin));
  expect_frame("bare FIN", next_rx(), {bare});
  EXPECT_EQ(rx_pkts(), 3u);
}

// Rule 4: nor are SYN, RST and URG segments (GRO flushes on each): the open
// frame is written, then the segment, both at once.
TEST_F(OfnicLroGroTest, SynRstUrgSegmentsPassAsPlainFrames) {
  for (uint8_t flag : {kTcpSyn, kTcpRst, kTcpUrg}) {
    SCOPED_TRACE(fmt::format("flag {:#x}", flag));
    Stream s;
    s.base.sport = uint16_t(41000 + flag);
    Frames segs;
    segs.push_back(send_pkt(s.next(1000)));
    segs.push_back(send_pkt(s.next(1000)));
    segs.push_back(send_pkt(s.next(1000, kTcpAck | flag)));
    expect_frame("before", next_rx(), {segs[0], segs[1]});
    expect_frame("the segment", next_rx(), {segs[2]});
  }
}

// Rule 4: the data offset byte (reserved bits, NS) must be the same in all
// segments, and then may be anything (tcp_flag_word compares it with the
// flags): NS in all coalesces, NS in one does not.
TEST_F(OfnicLroGroTest, NsBitMustBeTheSameInAllSegments) {
  auto ns = [](std::vector<uint8_t> f) {
    f[34 + 12] |= 0x01;
    refresh_tcp_csum(f);
    return f;
  };
  {
    Stream s;
    Frames segs;
    for (int k = 0; k < 3; k++) segs.push_back(send_frame(ns(build(kMacB, kMacA, s.next(1000)))));
    step_us(50);
    expect_frame("NS in all", next_rx(), segs);
  }
  {
    Stream s;
    s.base.sport = 40001;
    Frames segs;
    segs.push_back(send_pkt(s.next(1000)));
    segs.push_back(send_frame(ns(build(kMacB, kMacA, s.next(1000)))));
    expect_frame("without NS", next_rx(), {segs[0]});
    step_us(50);
    expect_frame("with NS", next_rx(), {segs[1]});
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 1u);
}

// GRO does not look for ACK (tcp_gro_receive compares the flags, whatever
// they are): data segments without ACK coalesce like any others.
TEST_F(OfnicLroGroTest, SegmentsWithoutAckCoalesce) {
  Stream s;
  Frames segs;
  for (int k = 0; k < 3; k++) segs.push_back(send_pkt(s.next(1000, 0)));
  step_us(50);
  expect_frame("no ACK", next_rx(), segs);
}

// A segment with bytes after its IP datagram (Ethernet padding of a tiny
// segment) is not coalesced: GRO flushes it (inet_gro_receive and
// ipv6_gro_receive compare the IP length with what the skb holds).
TEST_F(OfnicLroGroTest, PaddedSegmentsAreNotCoalesced) {
  Stream s;
  s.base.tcp_opts.clear();
  std::vector<std::vector<uint8_t>> sent;
  for (int k = 0; k < 2; k++) {
    auto f = build(kMacB, kMacA, s.next(3));  // 57 bytes: padded to 60
    f.resize(60);
    sent.push_back(send_frame(f));
  }
  settle();
  EXPECT_EQ(rx_pkts(), 2u) << "neither waits in a context";
  for (const auto& f : sent) {
    auto r = next_rx();
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->wb.status & OFNIC_RXS_LRO);
    EXPECT_EQ(r->f, f);
  }
  EXPECT_EQ(b_->stat(OFNIC_STAT_LRO_FRAMES), 0u);
}
}  // namespace
}  // namespace ofnic::test
