// The vnet header on a tap (hw-spec 12): one ofnic port on a real tap in a
// network namespace of the test's own. The test is the host's side: an
// AF_PACKET socket with PACKET_VNET_HDR on the tap sees the frames the device
// hands to the kernel with their virtio_net_hdr as the kernel parsed it, and
// sends frames (GSO ones too) that the kernel hands to the device through
// the tap. Needs root and /dev/net/tun (skipped otherwise).
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <optional>

#include "device_fixture.h"
#include "packet.h"

namespace ofnic::test {
namespace {

constexpr const char* kTap = "oftest0";

// struct virtio_net_hdr in native byte order, as a tap and PACKET_VNET_HDR
// use it (<linux/virtio_net.h> does not compile as C++: a member "class").
struct virtio_net_hdr {
  uint8_t flags;
  uint8_t gso_type;
  uint16_t hdr_len, gso_size, csum_start, csum_offset;
};
static_assert(sizeof(virtio_net_hdr) == 10);
constexpr uint8_t VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
constexpr uint8_t VIRTIO_NET_HDR_GSO_NONE = 0, VIRTIO_NET_HDR_GSO_TCPV4 = 1,
                  VIRTIO_NET_HDR_GSO_TCPV6 = 4, VIRTIO_NET_HDR_GSO_ECN = 0x80;

struct Frame {
  virtio_net_hdr vh{};
  std::vector<uint8_t> data;
};

// f (IPv4, no options) with a 4-byte option field (NOP, NOP, NOP, EOL): IHL,
// total length and header checksum fixed; the TCP checksum is unchanged.
std::vector<uint8_t> with_ip4_options(std::vector<uint8_t> f) {
  const std::vector<uint8_t> opts = {1, 1, 1, 0};
  f.insert(f.begin() + 34, opts.begin(), opts.end());
  f[14] = 0x46;
  put16(f, 16, uint16_t(be16(f, 16) + opts.size()));
  put16(f, 24, 0);
  put16(f, 24, uint16_t(~fold(sum16(std::span<const uint8_t>(f).subspan(14, 24)))));
  return f;
}

class OfnicTapTest : public OfnicTest {
 protected:
  // Boots QEMU with the port on the tap; vnet_hdr: the device's property;
  // tap_queues: the tap's queues (IFF_MULTI_QUEUE when more than one).
  void start(const std::string& vnet_hdr, unsigned tap_queues = 1) {
    if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
      GTEST_SKIP() << "needs root and /dev/net/tun";
    }
    // A namespace of our own: nothing but the test talks on the tap.
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << strerror(errno);
    std::vector<std::string> args = {"-machine", "q35", "-accel", "qtest",      "-display",
                                     "none",     "-m",  "64M",    "-nodefaults"};
    args.insert(args.end(),
                {"-netdev",
                 fmt::format("tap,id=n0,ifname={},script=no,downscript=no,vhost=off,vnet_hdr=on,"
                             "queues={}",
                             kTap, tap_queues),
                 "-device",
                 fmt::format("ofnic,netdev=n0,mac={},queues=1,addr=0x4,vnet-hdr={}",
                             to_string(kMacA), vnet_hdr)});
    qt_ = std::make_unique<qtest::Client>(qemu_options(args));
    auto fns = pci_find(*qt_, OFNIC_PCI_VENDOR_ID, OFNIC_PCI_DEVICE_ID);
    ASSERT_EQ(fns.size(), 1u);
    a_ = std::make_unique<OfnicPort>(*qt_, fns[0]);
    a_->map(kBar0A, kBar2A);
    ASSERT_EQ(a_->reg(OFNIC_REG_ID), OFNIC_ID_MAGIC);

    // No IPv6 autoconfiguration chatter on the tap; then up.
    std::ofstream(fmt::format("/proc/sys/net/ipv6/conf/{}/disable_ipv6", kTap)) << "1";
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(s, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, kTap, IFNAMSIZ - 1);
    ASSERT_EQ(ioctl(s, SIOCGIFINDEX, &ifr), 0) << "no tap " << kTap;
    int ifindex = ifr.ifr_ifindex;
    ASSERT_EQ(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
    ifr.ifr_flags |= IFF_UP;
    ASSERT_EQ(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
    close(s);

    pkt_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    ASSERT_GE(pkt_, 0) << strerror(errno);
    int one = 1;
    ASSERT_EQ(setsockopt(pkt_, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)), 0);
    timeval tv{0, 200000};
    ASSERT_EQ(setsockopt(pkt_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    ASSERT_EQ(bind(pkt_, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)), 0);
    ifindex_ = ifindex;

    a_->enable();
    tx_ = make_tx(*a_);
    tx_->start();
  }
  void TearDown() override {
    if (pkt_ >= 0) close(pkt_);
    OfnicTest::TearDown();
  }
  // RX ring 0 with n buffers of buf_size posted, under rx_ctrl.
  void start_rx(uint32_t rx_ctrl, uint32_t n = 63, uint32_t buf_size = 2048) {
    a_->set_reg(OFNIC_REG_MAX_FRAME, 1518);
    a_->set_reg(OFNIC_REG_RX_CTRL, rx_ctrl);
    rx_ = make_rx(*a_, 0, 64, buf_size);
    rx_->start();
    if (n) rx_->post(n);
  }
  // The next frame the kernel saw leave the tap towards us... or come from the
  // device: AF_PACKET sees both directions; PACKET_OUTGOING ones are ours.
  std::optional<Frame> recv_from_device(std::chrono::milliseconds timeout = 2s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<uint8_t> buf(sizeof(virtio_net_hdr) + 70000);
    while (std::chrono::steady_clock::now() < deadline) {
      a_->reg(OFNIC_REG_STATUS);  // let QEMU's main loop run
      sockaddr_ll from{};
      socklen_t fl = sizeof(from);
      ssize_t n =
          recvfrom(pkt_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n < ssize_t(sizeof(virtio_net_hdr))) continue;
      if (from.sll_pkttype == PACKET_OUTGOING) continue;  // what we sent
      Frame f;
      std::memcpy(&f.vh, buf.data(), sizeof(f.vh));
      f.data.assign(buf.begin() + sizeof(virtio_net_hdr), buf.begin() + n);
      return f;
    }
    return std::nullopt;
  }
  // Sends a frame into the tap (to the device) with header vh.
  void send_to_device(const virtio_net_hdr& vh, std::span<const uint8_t> f) {
    std::vector<uint8_t> buf(sizeof(vh) + f.size());
    std::memcpy(buf.data(), &vh, sizeof(vh));
    std::memcpy(buf.data() + sizeof(vh), f.data(), f.size());
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex_;
    sll.sll_halen = 6;
    ASSERT_EQ(
        sendto(pkt_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)),
        ssize_t(buf.size()))
        << strerror(errno);
  }
  // A TSO request of the driver: f in one descriptor with TXD_TSO.
  uint32_t send_tso(std::span<const uint8_t> f, uint16_t mss, uint16_t hdr_len) {
    uint64_t addr = put(f);
    uint32_t i = tx_->add(addr, uint16_t(f.size()), OFNIC_TXD_EOP | OFNIC_TXD_TSO);
    ofnic_tx_desc d = tx_->desc(i);
    d.mss = mss;
    d.hdr_len = hdr_len;
    tx_->write_desc(i, d);
    tx_->doorbell();
    return i;
  }
  static Pkt flow(size_t payload, bool v6 = false, uint8_t flags = kTcpAck) {
    Pkt p;
    p.v6 = v6;
    if (v6) {
      p.src = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
      p.dst = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    }
    p.flags = flags;
    p.payload = payload_pattern(payload, 9);
    return p;
  }
  // A GSO frame as the host's stack hands it over: partial checksum.
  static virtio_net_hdr gso_hdr(bool v6, uint16_t mss, uint16_t hdr_len) {
    virtio_net_hdr vh{};
    vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    vh.gso_type = v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
    vh.gso_size = mss;
    vh.hdr_len = hdr_len;
    vh.csum_start = v6 ? 54 : 34;
    vh.csum_offset = 16;
    return vh;
  }
  // Payload bytes of the frames written from slot `from` on, in order, until
  // `want` bytes were seen; each frame's write-back goes to wbs.
  std::vector<uint8_t> rx_payload(uint32_t from, size_t want, std::vector<ofnic_rx_wb>* wbs,
                                  std::vector<std::vector<uint8_t>>* frames = nullptr) {
    std::vector<uint8_t> out;
    uint32_t slot = from;
    while (out.size() < want) {
      if (!rx_done(*rx_, slot)) break;
      auto wb = rx_->wb(slot);
      auto f = rx_->frame(slot);
      auto p = parse(f);
      out.insert(out.end(), f.begin() + long(p.l5), f.begin() + long(p.end));
      if (wbs) wbs->push_back(wb);
      if (frames) frames->push_back(f);
      uint32_t n = 1;
      while (!(rx_->wb(slot + n - 1).status & OFNIC_RXS_EOP) && n < OFNIC_RX_MAX_DESC_PER_PKT) n++;
      slot += n;
    }
    return out;
  }
  // f, sent as one GSO frame of mss-byte segments, is written whole at slot
  // as one coalesced frame (RXS_LRO, lro_segs, lro_mss = mss), as sent.
  void expect_whole(uint32_t slot, std::span<const uint8_t> f, uint16_t mss) {
    ASSERT_TRUE(rx_done(*rx_, slot));
    auto wb = rx_->wb(slot);
    const Parsed h = parse(f);
    EXPECT_EQ(uint32_t(wb.status) & (OFNIC_RXS_LRO | OFNIC_RXS_L4_OK | OFNIC_RXS_L3_OK),
              OFNIC_RXS_LRO | OFNIC_RXS_L4_OK | (h.v6 ? 0 : OFNIC_RXS_L3_OK));
    EXPECT_EQ(wb.lro_segs, (h.end - h.l5 + mss - 1) / mss);
    EXPECT_EQ(wb.lro_mss, mss);
    auto got = rx_->frame(slot);
    ASSERT_EQ(got.size(), f.size());
    std::vector<uint8_t> want(f.begin(), f.end());
    EXPECT_TRUE(got == want) << "first difference at byte " << first_diff(got, want);
  }
  // n GSO frames arrived, each whole.
  void expect_gso_stats(uint64_t n) {
    EXPECT_EQ(a_->stat(OFNIC_STAT_RX_PKTS), n);
    EXPECT_EQ(a_->stat(OFNIC_STAT_RX_GSO), n);
    EXPECT_EQ(a_->stat(OFNIC_STAT_RX_GSO_SPLIT), 0u);
    EXPECT_EQ(a_->stat(OFNIC_STAT_LRO_FRAMES), n);
    EXPECT_EQ(a_->stat(OFNIC_STAT_VNET_HDR_ERRORS), 0u);
  }

  int pkt_ = -1;
  int ifindex_ = 0;
  std::unique_ptr<TxRing> tx_;
  std::unique_ptr<RxRing> rx_;
};

// TSO to a tap: one GSO frame whose header the host's kernel accepts as
// such (gso_type, gso_size = mss, checksum left to the host), payload intact.
TEST_F(OfnicTapTest, TsoLeavesAsOneGsoFrame) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    Pkt p = flow(5000, v6);
    p.partial = true;
    auto f = build(kMacOther, kMacA, p);
    uint16_t hdr = v6 ? 74 : 54;
    uint32_t i = send_tso(f, 1000, hdr);
    ASSERT_TRUE(tx_done(*tx_, i));
    EXPECT_EQ(tx_->status(i), OFNIC_TXS_DD);
    auto got = recv_from_device();
    ASSERT_TRUE(got) << "no frame on the tap";
    EXPECT_EQ(got->vh.gso_type, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
    EXPECT_EQ(got->vh.gso_size, 1000);
    EXPECT_TRUE(got->vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
    EXPECT_EQ(got->vh.csum_start, hdr - 20);
    EXPECT_EQ(got->vh.csum_offset, 16);
    ASSERT_EQ(got->data.size(), f.size());
    EXPECT_TRUE(std::equal(f.begin() + hdr, f.end(), got->data.begin() + hdr));
    auto q = parse(got->data);
    EXPECT_EQ(q.end, f.size()) << "IP length of the whole frame";
    if (!v6) {
      EXPECT_TRUE(ip4_csum_ok(got->data));
    }
  }
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_GSO), 2u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_PKTS), 2u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TSO_PKTS), 0u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TSO_SEGS), 0u);
}

// TXD_CSUM becomes NEEDS_CSUM with the descriptor's start and offset; a frame
// without offload gets a zero header (the kernel sees a plain frame).
TEST_F(OfnicTapTest, ChecksumRequestBecomesNeedsCsum) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  Pkt p = flow(300);
  p.proto = kProtoUdp;
  p.partial = true;
  auto f = build(kMacOther, kMacA, p);
  uint64_t addr = put(f);
  uint32_t i = tx_->add(addr, uint16_t(f.size()), OFNIC_TXD_EOP | OFNIC_TXD_CSUM);
  ofnic_tx_desc d = tx_->desc(i);
  d.csum_start = 34;
  d.csum_offset = 6;
  tx_->write_desc(i, d);
  tx_->doorbell();
  ASSERT_TRUE(tx_done(*tx_, i));
  auto got = recv_from_device();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_F_NEEDS_CSUM);
  EXPECT_EQ(got->vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
  EXPECT_EQ(got->vh.csum_start, 34);
  EXPECT_EQ(got->vh.csum_offset, 6);
  EXPECT_EQ(got->data, f) << "the seed is left for the host";

  Pkt plain = flow(200);
  auto g = build(kMacOther, kMacA, plain);
  ASSERT_TRUE(tx_done(*tx_, send(*tx_, g)));
  got = recv_from_device();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->vh.flags, 0);
  EXPECT_EQ(got->vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
  EXPECT_EQ(got->data, g);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_CSUM), 1u);
}

// vnet-hdr=off on the same tap: the device segments as it does on the hub.
TEST_F(OfnicTapTest, OffSegmentsInTheDevice) {
  start("off");
  if (IsSkipped() || HasFatalFailure()) return;
  Pkt p = flow(3000);
  p.partial = true;
  auto f = build(kMacOther, kMacA, p);
  uint32_t i = send_tso(f, 1000, 54);
  ASSERT_TRUE(tx_done(*tx_, i));
  for (int k = 0; k < 3; k++) {
    auto got = recv_from_device();
    ASSERT_TRUE(got) << "segment " << k;
    EXPECT_EQ(got->vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
    EXPECT_EQ(got->data.size(), 54u + 1000);
    EXPECT_TRUE(l4_csum_ok(got->data));
  }
  EXPECT_EQ(a_->stat(OFNIC_STAT_TSO_SEGS), 3u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_GSO), 0u);
}

// The host's GSO frame arrives as one coalesced frame: RXS_LRO with the
// segment count and gso_size, checksum vouched for by the host.
TEST_F(OfnicTapTest, GsoFrameArrivesCoalesced) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  start_rx(OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
  settle();  // the tap now offers TSO (the kernel keeps GSO frames whole)
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    Pkt p = flow(4500, v6);
    p.partial = true;
    auto f = build(kMacA, kMacOther, p);
    uint16_t hdr = v6 ? 74 : 54;
    send_to_device(gso_hdr(v6, 1000, hdr), f);
    uint32_t slot = v6 ? 3 : 0;  // 4554 bytes: three 2048-byte buffers
    ASSERT_TRUE(rx_done(*rx_, slot));
    auto wb = rx_->wb(slot);
    EXPECT_TRUE(wb.status & OFNIC_RXS_LRO);
    EXPECT_TRUE(wb.status & OFNIC_RXS_L4_OK);
    EXPECT_EQ(wb.lro_segs, 5);
    EXPECT_EQ(wb.lro_mss, 1000);
    auto got = rx_->frame(slot);
    ASSERT_EQ(got.size(), f.size());
    EXPECT_TRUE(std::equal(f.begin() + hdr, f.end(), got.begin() + hdr));
  }
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_GSO), 2u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_GSO_SPLIT), 0u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_VNET_HDR_ERRORS), 0u);
}

// A GSO frame beyond what the guest takes coalesced (LRO_MAX_SEGS 2 here) is
// cut by the device into coalesced pieces within the limits.
TEST_F(OfnicTapTest, GsoFrameBeyondTheLimitsIsSplit) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  start_rx(OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
  a_->set_reg(OFNIC_REG_LRO_MAX_SEGS, 2);
  settle();
  Pkt p = flow(4500);
  p.partial = true;
  auto f = build(kMacA, kMacOther, p);
  send_to_device(gso_hdr(false, 1000, 54), f);
  settle();
  qt_->clock_step(100 * 1000);  // LRO_TIMEOUT: the last segment waits alone
  std::vector<ofnic_rx_wb> wbs;
  std::vector<std::vector<uint8_t>> frames;
  auto payload = rx_payload(0, 4500, &wbs, &frames);
  EXPECT_EQ(payload, p.payload);
  ASSERT_EQ(wbs.size(), 3u) << "2 + 2 + 1 segments";
  EXPECT_EQ(wbs[0].lro_segs, 2);
  EXPECT_EQ(wbs[0].lro_mss, 1000);
  EXPECT_EQ(wbs[1].lro_segs, 2);
  EXPECT_FALSE(wbs[2].status & OFNIC_RXS_LRO);
  EXPECT_TRUE(l4_csum_ok(frames[2]));
  for (size_t k = 0; k < frames.size(); k++) {
    SCOPED_TRACE(k);
    EXPECT_TRUE(ip4_csum_ok(frames[k]));
    EXPECT_TRUE(wbs[k].status & OFNIC_RXS_L4_OK);
    EXPECT_EQ(be16(frames[k], 18), uint16_t(p.ip_id + 2 * k)) << "IPv4 ID: 2 segments a piece";
    EXPECT_EQ(be32(frames[k], 38), p.seq + 2000 * k) << "sequence number";
  }
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_GSO), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_GSO_SPLIT), 1u);
}

// A GSO frame held for buffers when the guest turns LRO off is delivered as
// MSS segments with whole, valid checksums; FIN and PSH stay on the last.
TEST_F(OfnicTapTest, GsoFrameHeldAcrossLroOffIsSegmented) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  start_rx(OFNIC_RXC_LRO | OFNIC_RXC_CSUM, 0);
  settle();
  Pkt p = flow(3500, false, kTcpAck | kTcpPsh | kTcpFin);
  p.partial = true;
  auto f = build(kMacA, kMacOther, p);
  send_to_device(gso_hdr(false, 1000, 54), f);
  settle();
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_PKTS), 0u) << "held: no buffer posted";
  a_->set_reg(OFNIC_REG_RX_CTRL, OFNIC_RXC_CSUM);
  rx_->post(63);
  std::vector<ofnic_rx_wb> wbs;
  std::vector<std::vector<uint8_t>> frames;
  auto payload = rx_payload(0, 3500, &wbs, &frames);
  EXPECT_EQ(payload, p.payload);
  ASSERT_EQ(frames.size(), 4u);
  for (size_t k = 0; k < frames.size(); k++) {
    SCOPED_TRACE(k);
    EXPECT_TRUE(l4_csum_ok(frames[k]));
    EXPECT_TRUE(ip4_csum_ok(frames[k]));
    EXPECT_FALSE(wbs[k].status & OFNIC_RXS_LRO);
    EXPECT_TRUE(wbs[k].status & OFNIC_RXS_L4_OK);
    EXPECT_EQ(be32(frames[k], 38), p.seq + 1000 * k) << "sequence number";
    EXPECT_EQ(frames[k][47], k == 3 ? p.flags : kTcpAck) << "TCP flags";
  }
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_GSO_SPLIT), 1u);
}

// A partial checksum from the host is completed by the device: the guest
// gets a frame whose checksum verifies.
TEST_F(OfnicTapTest, PartialChecksumCompleted) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  start_rx(OFNIC_RXC_CSUM);
  Pkt p = flow(700);
  p.proto = kProtoUdp;
  p.partial = true;
  auto f = build(kMacA, kMacOther, p);
  virtio_net_hdr vh{};
  vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  vh.csum_start = 34;
  vh.csum_offset = 6;
  send_to_device(vh, f);
  ASSERT_TRUE(rx_done(*rx_, 0));
  auto got = rx_->frame(0);
  EXPECT_TRUE(l4_csum_ok(got));
  EXPECT_TRUE(rx_->wb(0).status & OFNIC_RXS_L4_OK);
  Pkt full = p;
  full.partial = false;
  EXPECT_EQ(got, build(kMacA, kMacOther, full));
}

// A multi-queue tap hands frames in on every queue (the kernel picks one per
// flow): each must come with its vnet header, so GSO frames of many flows all
// arrive coalesced and none is taken for a malformed header.
TEST_F(OfnicTapTest, MultiQueueTapEveryQueueHasTheHeader) {
  start("auto", 2);
  if (IsSkipped() || HasFatalFailure()) return;
  start_rx(OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
  settle();
  constexpr unsigned kFlows = 16;
  for (unsigned k = 0; k < kFlows; k++) {
    Pkt p = flow(3000);
    p.sport = uint16_t(40000 + k);
    p.partial = true;
    send_to_device(gso_hdr(false, 1000, 54), build(kMacA, kMacOther, p));
  }
  uint32_t slot = 0;
  for (unsigned k = 0; k < kFlows; k++) {
    SCOPED_TRACE(k);
    ASSERT_TRUE(rx_done(*rx_, slot));
    auto wb = rx_->wb(slot);
    EXPECT_TRUE(wb.status & OFNIC_RXS_LRO);
    EXPECT_EQ(wb.lro_segs, 3);
    EXPECT_EQ(rx_->frame(slot).size(), 54u + 3000);
    slot += 2;  // 3054 bytes: two 2048-byte buffers
  }
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_GSO), kFlows);
  EXPECT_EQ(a_->stat(OFNIC_STAT_VNET_HDR_ERRORS), 0u);
}

// TSO with CWR: the header's ECN bit is Linux's SKB_GSO_TCP_ECN (CWR in the
// TCP header); a request of one segment leaves as a plain, whole frame.
TEST_F(OfnicTapTest, TsoEcnFollowsCwrAndOneSegmentIsPlain) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  Pkt p = flow(3000, false, kTcpAck | kTcpCwr);
  p.partial = true;
  auto f = build(kMacOther, kMacA, p);
  ASSERT_TRUE(tx_done(*tx_, send_tso(f, 1000, 54)));
  auto got = recv_from_device();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);

  Pkt one = flow(500);
  one.partial = true;
  auto g = build(kMacOther, kMacA, one);
  uint32_t i = send_tso(g, 1000, 54);
  ASSERT_TRUE(tx_done(*tx_, i));
  EXPECT_EQ(tx_->status(i), OFNIC_TXS_DD);
  got = recv_from_device();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
  EXPECT_EQ(got->data.size(), g.size());
  EXPECT_TRUE(l4_csum_ok(got->data));
  EXPECT_EQ(a_->stat(OFNIC_STAT_TX_GSO), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_TSO_SEGS), 1u);
}

// A GSO frame with SYN is no TCP stack's: dropped as a malformed header.
TEST_F(OfnicTapTest, GsoFrameWithSynIsMalformed) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  start_rx(OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
  settle();
  Pkt p = flow(3000, false, kTcpAck | kTcpSyn);
  p.partial = true;
  send_to_device(gso_hdr(false, 1000, 54), build(kMacA, kMacOther, p));
  settle();
  EXPECT_EQ(a_->stat(OFNIC_STAT_VNET_HDR_ERRORS), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_PKTS), 0u);
}

// ---- GSO frames as GRO would coalesce them ---------------------------------
// Rule 5 of LRO as Linux's software GRO (rules 1 to 4: test_lro_gro.cpp): a
// GSO frame from the host arrives whole when GRO would coalesce its segments
// back into just that frame (hw-spec 12).

// Rule 5: a GSO frame with an IPv6 extension header, destination options or
// hop-by-hop, is what the device's LRO coalesces (§7, as GRO does): it
// arrives whole, as one RXS_LRO frame, the extension header in place; the
// device's LRO (and GRO) would coalesce its segments back into just that
// frame.
TEST_F(OfnicTapTest, GsoFrameWithIpv6ExtensionHeaderArrivesWhole) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  start_rx(OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
  settle();
  const struct {
    const char* what;
    Ext6 ext;  // 8 bytes after the IPv6 header
  } cases[] = {
      {"destination options", {kIp6DestOpts, {1, 4, 0, 0, 0, 0}}},  // PadN
      {"hop-by-hop", {kIp6HopByHop, exp_opt(5, 6, 7, 8)}},
  };
  uint32_t slot = 0, n = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Pkt p = flow(3000, true);
    p.partial = true;
    auto f = with_ext6(build(kMacA, kMacOther, p), {c.ext});
    virtio_net_hdr vh = gso_hdr(true, 1000, 82);
    vh.csum_start = 62;
    send_to_device(vh, f);
    expect_whole(slot, f, 1000);
    auto g = rx_->frame(slot);
    ASSERT_EQ(g.size(), 82u + 3000);
    EXPECT_EQ(g[20], c.ext.type) << "the extension header stays";
    EXPECT_EQ(be16(g, 18), 8u + 20 + 3000) << "payload length";
    EXPECT_TRUE(std::equal(g.begin() + 82, g.end(), p.payload.begin()));
    expect_gso_stats(++n);  // RX_GSO and LRO_FRAMES + 1 a frame, no split
    slot += 2;              // 3082 bytes: two 2048-byte buffers
  }
}

// Rule 5: a GSO frame with CWR (on its first segment, as TSO sets it; here
// without the header's ECN bit, so the tap passes it whole) arrives whole as
// one RXS_LRO frame that keeps CWR, as GRO makes one of its segments.
TEST_F(OfnicTapTest, GsoFrameWithCwrArrivesWhole) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  start_rx(OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
  settle();
  Pkt p = flow(3000, false, kTcpAck | kTcpCwr);
  p.partial = true;
  auto f = build(kMacA, kMacOther, p);
  send_to_device(gso_hdr(false, 1000, 54), f);
  expect_whole(0, f, 1000);
  EXPECT_EQ(rx_->frame(0)[47], kTcpAck | kTcpCwr);
  expect_gso_stats(1);
}

// Rules 5 and 4 as the host's stack sends it: a CWR GSO frame marked ECN
// (SKB_GSO_TCP_ECN) arrives as one RXS_LRO frame with CWR, whichever way it
// comes: the device offers the tap no TSO_ECN, so the host's kernel cuts it
// in software (CWR on the first segment only) and the device's LRO joins the
// segments again; offered TSO_ECN, the tap would pass it whole.
TEST_F(OfnicTapTest, GsoFrameWithCwrMarkedEcnArrivesCoalesced) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  start_rx(OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
  settle();
  Pkt p = flow(3000, false, kTcpAck | kTcpCwr);
  p.partial = true;
  auto f = build(kMacA, kMacOther, p);
  virtio_net_hdr vh = gso_hdr(false, 1000, 54);
  vh.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
  send_to_device(vh, f);
  settle();
  qt_->clock_step(50 * 1000);  // the frame may wait for LRO_TIMEOUT
  ASSERT_TRUE(rx_done(*rx_, 0));
  auto wb = rx_->wb(0);
  EXPECT_TRUE(wb.status & OFNIC_RXS_LRO);
  EXPECT_EQ(wb.lro_segs, 3);
  EXPECT_EQ(wb.lro_mss, 1000);
  auto got = rx_->frame(0);
  ASSERT_EQ(got.size(), f.size());
  EXPECT_EQ(got[47], kTcpAck | kTcpCwr);
  EXPECT_TRUE(std::equal(f.begin() + 54, f.end(), got.begin() + 54));
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_PKTS), 1u);
}

// Rule 5: a GSO frame with ECE (on all its segments) arrives whole.
TEST_F(OfnicTapTest, GsoFrameWithEceArrivesWhole) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  start_rx(OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
  settle();
  uint32_t slot = 0;
  for (bool v6 : {false, true}) {
    SCOPED_TRACE(v6 ? "IPv6" : "IPv4");
    Pkt p = flow(4500, v6, kTcpAck | kTcpEce);
    p.partial = true;
    auto f = build(kMacA, kMacOther, p);
    send_to_device(gso_hdr(v6, 1000, v6 ? 74 : 54), f);
    expect_whole(slot, f, 1000);
    slot += 3;  // 4554 or 4574 bytes: three 2048-byte buffers
  }
  expect_gso_stats(2);
}

// Rule 5: IPv4 options still cut a GSO frame into segments (GRO does not
// coalesce IPv4 with options: inet_gro_receive flushes ihl != 5), written
// as plain frames with whole checksums, not coalesced again.
TEST_F(OfnicTapTest, GsoFrameWithIpv4OptionsIsCutIntoSegments) {
  start("auto");
  if (IsSkipped() || HasFatalFailure()) return;
  start_rx(OFNIC_RXC_LRO | OFNIC_RXC_CSUM);
  settle();
  Pkt p = flow(3000);
  p.partial = true;
  auto f = with_ip4_options(build(kMacA, kMacOther, p));
  virtio_net_hdr vh = gso_hdr(false, 1000, 58);
  vh.csum_start = 38;
  send_to_device(vh, f);
  std::vector<uint8_t> payload;
  for (uint32_t slot = 0; slot < 3; slot++) {
    SCOPED_TRACE(slot);
    ASSERT_TRUE(rx_done(*rx_, slot));
    auto wb = rx_->wb(slot);
    EXPECT_FALSE(wb.status & OFNIC_RXS_LRO);
    EXPECT_TRUE(wb.status & OFNIC_RXS_L3_OK);
    EXPECT_TRUE(wb.status & OFNIC_RXS_L4_OK);
    auto g = rx_->frame(slot);
    ASSERT_EQ(g.size(), 58u + 1000);
    EXPECT_EQ(g[14], 0x46) << "the options stay";
    EXPECT_TRUE(ip4_csum_ok(g));
    EXPECT_TRUE(l4_csum_ok(g));
    EXPECT_EQ(be16(g, 18), uint16_t(p.ip_id + slot)) << "IPv4 ID";
    EXPECT_EQ(be32(g, 42), p.seq + 1000 * slot) << "sequence number";
    payload.insert(payload.end(), g.begin() + 58, g.end());
  }
  EXPECT_EQ(payload, p.payload);
  EXPECT_EQ(a_->stat(OFNIC_STAT_RX_GSO_SPLIT), 1u);
  EXPECT_EQ(a_->stat(OFNIC_STAT_LRO_FRAMES), 0u);
}

// vnet-hdr=on insists on a backend with a vnet header: a hub port has none.
TEST(OfnicVnetHdrProperty, OnRefusesAHub) {
  std::vector<std::string> args = {"-machine",
                                   "q35",
                                   "-accel",
                                   "qtest",
                                   "-display",
                                   "none",
                                   "-m",
                                   "64M",
                                   "-nodefaults",
                                   "-netdev",
                                   "hubport,id=n0,hubid=0",
                                   "-device",
                                   "ofnic,netdev=n0,vnet-hdr=on"};
  // QEMU connects the qtest socket before it realizes the devices: it then
  // exits with the realize error.
  std::unique_ptr<qtest::Client> c;
  try {
    c = std::make_unique<qtest::Client>(qemu_options(args));
  } catch (const qtest::Error&) {
    return;
  }
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; i++) c->readl(0x1000);
      },
      qtest::Error);
  c->stop();
  EXPECT_NE(c->log().find("vnet-hdr=on needs a backend with a vnet header"), std::string::npos)
      << c->log();
}

}  // namespace
}  // namespace ofnic::test
