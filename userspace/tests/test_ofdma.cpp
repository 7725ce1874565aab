// Host unit tests of the ofdma copy engine (docs/ofdma-spec.md) over qtest: the
// register interface, copies and completion records, interrupts, and bad input
// (QEMU survives, the channel halts with the right error code, a reset recovers).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "device_fixture.h"
#include "ofdma_hw.h"
#include "ofnic_port.h"

namespace ofnic::test {
namespace {

static_assert(sizeof(ofdma_desc) == OFDMA_DESC_SIZE);
static_assert(sizeof(ofdma_cmpl) == OFDMA_CMPL_SIZE);

constexpr uint64_t kBar0 = 0xe0000000;
constexpr uint32_t kBar2 = 0xe0020000;
constexpr uint8_t kDevfn = 6 << 3;
constexpr unsigned kChannels = 4;
constexpr uint64_t kBiosRom = 0xfffc0000;  // read-only memory: not a destination

std::vector<std::string> ofdma_args(std::string channels = "4", std::string mem = "64M") {
  return {"-machine",
          "q35",
          "-accel",
          "qtest",
          "-display",
          "none",
          "-m",
          mem,
          "-nodefaults",
          "-device",
          fmt::format("ofdma,channels={},addr=0x6", channels)};
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

class OfdmaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opts = qemu_options(ofdma_args("4" + props_, ram_));
    opts.qmp = with_qmp_;
    qt_ = std::make_unique<qtest::Client>(opts);
    auto fns = pci_find(*qt_, OFDMA_PCI_VENDOR_ID, OFDMA_PCI_DEVICE_ID);
    ASSERT_EQ(fns.size(), 1u);
    cfg_ = std::make_unique<PciConfig>(*qt_, 0, fns[0]);
    map();
    ASSERT_EQ(reg(OFDMA_REG_ID), OFDMA_ID_MAGIC);
  }

  // Assigns the BARs, enables memory decoding and bus mastering.
  void map() {
    cfg_->write32(0x10 + 4 * OFDMA_BAR_REGS, uint32_t(kBar0));
    cfg_->write32(0x14 + 4 * OFDMA_BAR_REGS, uint32_t(kBar0 >> 32));
    cfg_->write32(0x10 + 4 * OFDMA_BAR_MSIX, kBar2);
    cfg_->write16(4, cfg_->read16(4) | 0x6);
  }

  void TearDown() override {
    if (!qt_) return;
    EXPECT_TRUE(qt_->alive()) << "QEMU is gone";
    if (qt_->alive()) {
      EXPECT_EQ(reg(OFDMA_REG_ID), OFDMA_ID_MAGIC);
    }
    if (HasFailure()) {
      qt_->stop();
      fmt::print("QEMU log:\n{}\n", qt_->log());
    }
  }

  uint32_t reg(uint32_t off) { return qt_->readl(kBar0 + off); }
  void set_reg(uint32_t off, uint32_t v) { qt_->writel(kBar0 + off, v); }
  uint32_t creg(unsigned c, uint32_t off) { return reg(OFDMA_REG_CHAN(c) + off); }
  void set_creg(unsigned c, uint32_t off, uint32_t v) { set_reg(OFDMA_REG_CHAN(c) + off, v); }
  uint32_t state(unsigned c) { return creg(c, OFDMA_CH_STATUS) & OFDMA_CS_STATE_MASK; }
  uint32_t error(unsigned c) { return OFDMA_CS_ERR(creg(c, OFDMA_CH_STATUS)); }

  struct Chan {
    unsigned idx;
    uint64_t ring, cmpl;
    uint32_t size, tail = 0;
  };

  // Programs channel c with a fresh ring and completion record; enables it.
  Chan setup(unsigned c, uint32_t size = 64, bool enable = true) {
    Chan ch{c, mem_.alloc(uint64_t(size) * OFDMA_DESC_SIZE, OFDMA_RING_ALIGN),
            mem_.alloc(OFDMA_CMPL_SIZE, OFDMA_CMPL_ALIGN), size};
    program(ch, enable);
    return ch;
  }
  // Writes ch's ring and record addresses to its registers; enables it.
  void program(Chan& ch, bool enable = true) {
    set_creg(ch.idx, OFDMA_CH_RING_LO, uint32_t(ch.ring));
    set_creg(ch.idx, OFDMA_CH_RING_HI, uint32_t(ch.ring >> 32));
    set_creg(ch.idx, OFDMA_CH_RING_SIZE, ch.size);
    set_creg(ch.idx, OFDMA_CH_CMPL_LO, uint32_t(ch.cmpl));
    set_creg(ch.idx, OFDMA_CH_CMPL_HI, uint32_t(ch.cmpl >> 32));
    if (enable) set_creg(ch.idx, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
  }

  // Writes a descriptor into the next slot (no doorbell); returns the slot.
  uint32_t post(Chan& ch, uint64_t src, uint64_t dst, uint32_t len, uint32_t flags = 0) {
    ofdma_desc d{};
    d.src = src;
    d.dst = dst;
    d.len = len;
    d.flags = flags;
    d.user = 0x5eed0000u + ch.tail;
    uint32_t slot = ch.tail;
    qt_->write(ch.ring + uint64_t(slot) * OFDMA_DESC_SIZE,
               {reinterpret_cast<const uint8_t*>(&d), sizeof(d)});
    ch.tail = (ch.tail + 1) % ch.size;
    return slot;
  }
  void doorbell(Chan& ch) { set_creg(ch.idx, OFDMA_CH_TAIL, ch.tail); }

  ofdma_cmpl record(const Chan& ch) {
    auto b = qt_->read(ch.cmpl, sizeof(ofdma_cmpl));
    ofdma_cmpl c;
    std::memcpy(&c, b.data(), sizeof(c));
    return c;
  }

  // Waits until the record says n descriptors completed (or the channel halted).
  ::testing::AssertionResult completes(const Chan& ch, uint64_t n) {
    if (wait_for([&] {
          auto r = record(ch);
          return r.completed >= n || (r.status & OFDMA_CS_STATE_MASK) == OFDMA_CS_HALTED;
        }) &&
        record(ch).completed == n) {
      return ::testing::AssertionSuccess();
    }
    auto r = record(ch);
    return ::testing::AssertionFailure() << fmt::format(
               "channel {}: completed {} (want {}), status {:#x}, head {}", ch.idx,
               uint64_t(r.completed), n, uint32_t(r.status), creg(ch.idx, OFDMA_CH_HEAD));
  }

  // Waits until channel c is halted.
  bool halts(unsigned c) {
    return wait_for([&] { return state(c) == OFDMA_CS_HALTED; });
  }

  bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds t = 3s) {
    auto deadline = std::chrono::steady_clock::now() + t;
    for (;;) {
      if (pred()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return pred();
      std::this_thread::sleep_for(200us);
    }
  }

  uint64_t put(const std::vector<uint8_t>& data, uint64_t align = 64) {
    uint64_t a = mem_.alloc(data.size(), align);
    qt_->write(a, data);
    return a;
  }

  // MSI-X vector v of the device writes data to a mailbox in guest RAM.
  void msix_to_mailbox(unsigned v, uint64_t mailbox, uint32_t data) {
    auto cap = cfg_->find_capability(0x11);
    ASSERT_TRUE(cap.has_value());
    uint32_t table = cfg_->read32(*cap + 4) & ~7u;
    uint64_t e = kBar2 + table + 16ull * v;
    qt_->writel(e, uint32_t(mailbox));
    qt_->writel(e + 4, uint32_t(mailbox >> 32));
    qt_->writel(e + 8, data);
    qt_->writel(e + 12, 0);
    cfg_->write16(*cap + 2, uint16_t((cfg_->read16(*cap + 2) & ~0x4000) | 0x8000));
  }

  std::unique_ptr<qtest::Client> qt_;
  std::unique_ptr<PciConfig> cfg_;
  GuestMem mem_{kMemStart, kMemEnd};
  bool with_qmp_ = false;    // set before SetUp() for qt_->qmp()
  std::string ram_ = "64M";  // guest RAM, set before SetUp()
  std::string props_;        // ",name=value..." more device properties, set before SetUp()
};

class OfdmaQmpTest : public OfdmaTest {
 protected:
  void SetUp() override {
    with_qmp_ = true;
    OfdmaTest::SetUp();
  }
};

class OfdmaQmpStressTest : public OfdmaTest {
 protected:
  void SetUp() override {
    with_qmp_ = true;
    ram_ = "256M";
    OfdmaTest::SetUp();
  }
};

// A stopped VM sees no DMA: the channel starts nothing until "cont".
TEST_F(OfdmaQmpTest, VmStopPausesChannels) {
  auto ch = setup(0);
  auto src = random_bytes(4096, 8);
  uint64_t s = put(src), d = mem_.alloc(4096, 64);
  qt_->qmp("stop");
  post(ch, s, d, 4096);
  doorbell(ch);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(record(ch).completed, 0u) << "copied while the VM was stopped";
  qt_->qmp("cont");
  ASSERT_TRUE(completes(ch, 1));
  EXPECT_TRUE(qt_->read(d, 4096) == src);
}

TEST_F(OfdmaTest, Identity) {
  EXPECT_EQ(cfg_->read16(0), OFDMA_PCI_VENDOR_ID);
  EXPECT_EQ(cfg_->read16(2), OFDMA_PCI_DEVICE_ID);
  EXPECT_EQ(cfg_->read8(8), OFDMA_PCI_REVISION);
  EXPECT_EQ(cfg_->read32(8) >> 16, uint32_t(OFDMA_PCI_CLASS));
  EXPECT_EQ(cfg_->read8(0x3d), 0) << "no INTx pin";
  EXPECT_TRUE(cfg_->find_capability(0x11).has_value()) << "MSI-X";
  EXPECT_EQ(reg(OFDMA_REG_VERSION), OFDMA_VERSION);
  EXPECT_EQ(reg(OFDMA_REG_NUM_CHAN), kChannels);
  EXPECT_EQ(reg(OFDMA_REG_CAPS),
            OFDMA_CAP_MEMCPY | OFDMA_CAP_FENCE | OFDMA_CAP_NULL | OFDMA_CAP_CMPL);
  EXPECT_EQ(reg(OFDMA_REG_MAX_XFER), OFDMA_MAX_XFER);
  EXPECT_EQ(reg(OFDMA_REG_ERR_COUNT), 0u);
  for (unsigned c = 0; c < kChannels; c++) EXPECT_EQ(state(c), OFDMA_CS_DISABLED);
}

TEST(OfdmaProperty, ChannelsProperty) {
  {
    qtest::Client qt(qemu_options(ofdma_args("2")));
    PciConfig cfg(qt, 0, kDevfn);
    cfg.write32(0x10, uint32_t(kBar0));
    cfg.write32(0x14, 0);
    cfg.write16(4, 0x6);
    EXPECT_EQ(qt.readl(kBar0 + OFDMA_REG_NUM_CHAN), 2u);
    qt.writel(kBar0 + OFDMA_REG_CHAN(2) + OFDMA_CH_RING_SIZE, 64);
    EXPECT_EQ(qt.readl(kBar0 + OFDMA_REG_CHAN(2) + OFDMA_CH_RING_SIZE), 0u)
        << "a channel that does not exist reads 0";
  }
  for (const char* bad : {"0", "17"}) {
    auto r = qtest::run_until_exit(qemu_options(ofdma_args(bad)));
    ASSERT_TRUE(r.exited) << "QEMU accepted channels=" << bad;
    EXPECT_NE(r.status, 0);
    EXPECT_NE(r.output.find("channels must be 1..16"), std::string::npos) << r.output;
  }
}

TEST_F(OfdmaTest, RegisterInterface) {
  set_creg(1, OFDMA_CH_RING_LO, 0x12345640);
  set_creg(1, OFDMA_CH_RING_HI, 0x1);
  set_creg(1, OFDMA_CH_RING_SIZE, 256);
  set_creg(1, OFDMA_CH_CMPL_LO, 0x1000);
  EXPECT_EQ(creg(1, OFDMA_CH_RING_LO), 0x12345640u);
  EXPECT_EQ(creg(1, OFDMA_CH_RING_HI), 1u);
  EXPECT_EQ(creg(1, OFDMA_CH_RING_SIZE), 256u);
  EXPECT_EQ(creg(1, OFDMA_CH_CMPL_LO), 0x1000u);
  EXPECT_EQ(creg(0, OFDMA_CH_RING_SIZE), 0u) << "per channel";
  EXPECT_EQ(reg(0x0f00), 0u) << "unknown register";
  set_reg(OFDMA_REG_ID, 0);
  EXPECT_EQ(reg(OFDMA_REG_ID), OFDMA_ID_MAGIC) << "read-only";
  EXPECT_EQ(qt_->readw(kBar0 + OFDMA_REG_ID), 0u) << "16-bit reads are dropped";

  auto ch = setup(2);
  EXPECT_EQ(state(2), OFDMA_CS_IDLE);
  set_creg(2, OFDMA_CH_RING_SIZE, 16);
  EXPECT_EQ(creg(2, OFDMA_CH_RING_SIZE), 64u) << "ring registers are locked while enabled";
  set_creg(2, OFDMA_CH_CTRL, OFDMA_CC_ENABLE | OFDMA_CC_SUSPEND);
  EXPECT_EQ(state(2), OFDMA_CS_SUSPENDED);
  set_creg(2, OFDMA_CH_CTRL, 0);
  EXPECT_EQ(state(2), OFDMA_CS_DISABLED);
  set_creg(2, OFDMA_CH_CTRL, OFDMA_CC_RESET);
  EXPECT_EQ(creg(2, OFDMA_CH_CTRL), 0u) << "RESET reads 0";
  EXPECT_EQ(creg(2, OFDMA_CH_RING_SIZE), 64u) << "a channel reset keeps the ring registers";
  set_reg(OFDMA_REG_CTRL, OFDMA_CTRL_RESET);
  EXPECT_EQ(creg(2, OFDMA_CH_RING_SIZE), 0u) << "a device reset clears them";
  (void)ch;
}

TEST_F(OfdmaTest, CopiesAnyAlignmentAndWritesCompletionRecord) {
  auto ch = setup(0);
  auto src = random_bytes(64 * 1024, 1);
  uint64_t s = put(src);
  uint64_t d = mem_.alloc(src.size() + 256, 64);
  qt_->memset(d, src.size() + 256, 0xa5);
  // (src offset, dst offset, length): unaligned, tiny, page-crossing.
  struct Piece {
    uint32_t so, dof, len;
  };
  std::vector<Piece> pieces = {{0, 0, 1},          {3, 17, 5},           {100, 300, 4096},
                               {4095, 5001, 4099}, {8191, 13000, 30000}, {1, 44000, 20000}};
  uint32_t last = 0;
  uint64_t bytes = 0;
  for (auto& p : pieces) {
    last = post(ch, s + p.so, d + p.dof, p.len);
    bytes += p.len;
  }
  doorbell(ch);
  ASSERT_TRUE(completes(ch, pieces.size()));
  auto r = record(ch);
  EXPECT_EQ(r.last_desc, last);
  EXPECT_EQ(r.status & OFDMA_CS_STATE_MASK, uint32_t(OFDMA_CS_IDLE));
  EXPECT_EQ(r.err_desc, 0u);
  EXPECT_EQ(creg(0, OFDMA_CH_HEAD), ch.tail);
  EXPECT_EQ(creg(0, OFDMA_CH_DONE_LO), pieces.size());
  EXPECT_EQ(creg(0, OFDMA_CH_BYTES_LO), bytes);
  // Expected destination: 0xa5 everywhere except the pieces.
  std::vector<uint8_t> want(src.size() + 256, 0xa5);
  for (auto& p : pieces) std::memcpy(want.data() + p.dof, src.data() + p.so, p.len);
  EXPECT_TRUE(qt_->read(d, want.size()) == want) << "destination differs";
  EXPECT_TRUE(qt_->read(s, src.size()) == src) << "source modified";
}

TEST_F(OfdmaTest, LargeCopySpansSlices) {
  auto ch = setup(1);
  auto src = random_bytes(2560 * 1024 + 7, 2);
  uint64_t s = put(src);
  uint64_t d = mem_.alloc(src.size(), 64);
  post(ch, s, d, uint32_t(src.size()));
  doorbell(ch);
  ASSERT_TRUE(completes(ch, 1));
  EXPECT_TRUE(qt_->read(d, src.size()) == src);
}

TEST_F(OfdmaTest, RingWrapsAndCountNeverWraps) {
  auto ch = setup(0, 16);
  auto src = random_bytes(100 * 64, 3);
  uint64_t s = put(src);
  uint64_t d = mem_.alloc(src.size(), 64);
  unsigned n = 0;
  while (n < 100) {
    for (unsigned k = 0; k < 10 && n < 100; k++, n++) post(ch, s + 64 * n, d + 64 * n, 64);
    doorbell(ch);
    ASSERT_TRUE(completes(ch, n));
  }
  EXPECT_EQ(record(ch).completed, 100u);
  EXPECT_EQ(record(ch).last_desc, 99u % 16);
  EXPECT_TRUE(qt_->read(d, src.size()) == src);
}

TEST_F(OfdmaTest, ChannelsRunIndependently) {
  std::vector<Chan> chans;
  std::vector<std::vector<uint8_t>> srcs;
  std::vector<uint64_t> dsts;
  for (unsigned c = 0; c < kChannels; c++) {
    chans.push_back(setup(c));
    srcs.push_back(random_bytes(300000, 10 + c));
    uint64_t s = put(srcs.back());
    dsts.push_back(mem_.alloc(srcs.back().size(), 64));
    for (unsigned k = 0; k < 3; k++) {
      post(chans[c], s + 100000 * k, dsts[c] + 100000 * k, 100000);
    }
  }
  for (auto& ch : chans) doorbell(ch);
  for (unsigned c = 0; c < kChannels; c++) {
    ASSERT_TRUE(completes(chans[c], 3));
    EXPECT_TRUE(qt_->read(dsts[c], srcs[c].size()) == srcs[c]) << "channel " << c;
  }
}

TEST_F(OfdmaTest, NullDescriptorMovesNothing) {
  auto ch = setup(0);
  uint64_t d = mem_.alloc(64, 64);
  qt_->memset(d, 64, 0x11);
  post(ch, kNoMemory, d, 0, OFDMA_DF_NULL);  // src/len unchecked
  doorbell(ch);
  ASSERT_TRUE(completes(ch, 1));
  EXPECT_EQ(state(0), OFDMA_CS_IDLE);
  EXPECT_EQ(qt_->readl(d), 0x11111111u);
  EXPECT_EQ(creg(0, OFDMA_CH_BYTES_LO), 0u);
}

TEST_F(OfdmaTest, InterruptOnlyWhenAsked) {
  uint64_t mailbox = mem_.alloc(64, 64);
  msix_to_mailbox(3, mailbox, 0x0fd00003);
  auto ch = setup(3);
  auto src = random_bytes(256, 4);
  uint64_t s = put(src), d = mem_.alloc(256, 64);
  post(ch, s, d, 128);
  doorbell(ch);
  ASSERT_TRUE(completes(ch, 1));
  std::this_thread::sleep_for(20ms);
  reg(OFDMA_REG_ID);  // let the main loop run the bottom half, if any
  EXPECT_EQ(qt_->readl(mailbox), 0u) << "no INTR flag, no message";
  post(ch, s + 128, d + 128, 128, OFDMA_DF_INTR);
  doorbell(ch);
  ASSERT_TRUE(completes(ch, 2));
  EXPECT_TRUE(wait_for([&] { return qt_->readl(mailbox) == 0x0fd00003u; }))
      << "INTR descriptor sends vector 3";
}

TEST_F(OfdmaTest, SuspendHoldsAndResumes) {
  auto ch = setup(0);
  auto src = random_bytes(512, 5);
  uint64_t s = put(src), d = mem_.alloc(512, 64);
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_ENABLE | OFDMA_CC_SUSPEND);
  post(ch, s, d, 512);
  doorbell(ch);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(record(ch).completed, 0u);
  EXPECT_EQ(state(0), OFDMA_CS_SUSPENDED);
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
  ASSERT_TRUE(completes(ch, 1));
  EXPECT_TRUE(qt_->read(d, 512) == src);
}

// One bad descriptor between good ones: the good one before completes, the
// channel halts on the bad one with code and slot, QEMU lives, other channels
// are unaffected, and a channel reset recovers.
struct BadCase {
  const char* name;
  uint32_t err;
  std::function<void(OfdmaTest&, uint64_t& src, uint64_t& dst, uint32_t& len, uint32_t& flags)>
      mangle;
};

class OfdmaBadInput : public OfdmaTest, public ::testing::WithParamInterface<BadCase> {
 public:
  using OfdmaTest::mem_;
};

TEST_P(OfdmaBadInput, HaltsWithErrorAndRecovers) {
  auto ch = setup(1);
  auto other = setup(2);
  auto src = random_bytes(8192, 6);
  uint64_t s = put(src), d = mem_.alloc(8192, 64);
  qt_->memset(d, 8192, 0);
  post(ch, s, d, 1024);
  uint64_t bs = s + 1024, bd = d + 1024;
  uint32_t blen = 1024, bflags = 0;
  GetParam().mangle(*this, bs, bd, blen, bflags);
  uint32_t bad = post(ch, bs, bd, blen, bflags);
  post(ch, s + 2048, d + 2048, 1024);
  doorbell(ch);
  ASSERT_TRUE(halts(1)) << "state " << state(1);
  EXPECT_EQ(error(1), GetParam().err);
  EXPECT_EQ(creg(1, OFDMA_CH_ERR_DESC), bad);
  EXPECT_EQ(creg(1, OFDMA_CH_HEAD), bad) << "HEAD stays on the failing slot";
  auto r = record(ch);
  EXPECT_EQ(r.completed, 1u) << "the descriptor before completed";
  EXPECT_EQ(r.status & OFDMA_CS_STATE_MASK, uint32_t(OFDMA_CS_HALTED));
  EXPECT_EQ(OFDMA_CS_ERR(r.status), GetParam().err);
  EXPECT_EQ(r.err_desc, bad);
  EXPECT_EQ(reg(OFDMA_REG_ERR_COUNT), 1u);
  EXPECT_EQ(reg(OFDMA_REG_ERR_LAST), GetParam().err | 1u << 8);
  EXPECT_EQ(creg(1, OFDMA_CH_ERRORS), 1u);
  EXPECT_TRUE(qt_->read(d, 1024) == std::vector<uint8_t>(src.begin(), src.begin() + 1024));
  EXPECT_EQ(qt_->readl(d + 2048), 0u) << "nothing after the bad descriptor ran";

  // The other channel still works.
  post(other, s, d + 4096, 4096);
  doorbell(other);
  EXPECT_TRUE(completes(other, 1));

  // Recovery: reset, re-enable, post again.
  set_creg(1, OFDMA_CH_CTRL, OFDMA_CC_RESET);
  EXPECT_EQ(state(1), OFDMA_CS_DISABLED);
  EXPECT_EQ(error(1), 0u);
  EXPECT_EQ(creg(1, OFDMA_CH_HEAD), 0u);
  ch.tail = 0;
  set_creg(1, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
  ASSERT_EQ(state(1), OFDMA_CS_IDLE);
  qt_->memset(d, 8192, 0);
  post(ch, s, d, 8192);
  doorbell(ch);
  ASSERT_TRUE(completes(ch, 1));
  EXPECT_TRUE(qt_->read(d, 8192) == src);
}

const BadCase kBadCases[] = {
    {"SrcNotMemory", OFDMA_ERR_SRC,
     [](auto&, uint64_t& s, uint64_t&, uint32_t&, uint32_t&) { s = kNoMemory; }},
    {"SrcRunsOffRam", OFDMA_ERR_SRC,
     [](auto&, uint64_t& s, uint64_t&, uint32_t& l, uint32_t&) {
       s = (64ull << 20) - 100;  // the last 100 bytes of RAM, then nothing
       l = 4096;
     }},
    {"DstNotMemory", OFDMA_ERR_DST,
     [](auto&, uint64_t&, uint64_t& d, uint32_t&, uint32_t&) { d = kNoMemory; }},
    {"DstIsRom", OFDMA_ERR_DST,
     [](auto&, uint64_t&, uint64_t& d, uint32_t&, uint32_t&) { d = kBiosRom; }},
    {"DstIsMmio", OFDMA_ERR_DST,
     [](auto&, uint64_t&, uint64_t& d, uint32_t&, uint32_t&) { d = kBar0; }},
    {"ZeroLength", OFDMA_ERR_LEN,
     [](auto&, uint64_t&, uint64_t&, uint32_t& l, uint32_t&) { l = 0; }},
    {"TooLong", OFDMA_ERR_LEN,
     [](auto&, uint64_t&, uint64_t&, uint32_t& l, uint32_t&) { l = OFDMA_MAX_XFER + 1; }},
    {"ReservedFlag", OFDMA_ERR_FLAGS,
     [](auto&, uint64_t&, uint64_t&, uint32_t&, uint32_t& f) { f = 1u << 7; }},
    {"Overlap", OFDMA_ERR_OVERLAP,
     [](auto&, uint64_t& s, uint64_t& d, uint32_t&, uint32_t&) { d = s + 10; }},
    {"AddressWraps", OFDMA_ERR_SRC,
     [](auto&, uint64_t& s, uint64_t&, uint32_t&, uint32_t&) { s = ~0ull - 10; }},
};

INSTANTIATE_TEST_SUITE_P(Ofdma, OfdmaBadInput, ::testing::ValuesIn(kBadCases),
                         [](const auto& p) { return std::string(p.param.name); });

TEST_F(OfdmaTest, BadRingConfigurationHaltsAtEnable) {
  auto ch = setup(0, 64, false);
  set_creg(0, OFDMA_CH_RING_SIZE, 100);  // not a power of two
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
  EXPECT_EQ(state(0), OFDMA_CS_HALTED);
  EXPECT_EQ(error(0), uint32_t(OFDMA_ERR_RING));
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_RESET);
  set_creg(0, OFDMA_CH_RING_SIZE, 64);
  set_creg(0, OFDMA_CH_CMPL_LO, uint32_t(ch.cmpl + 4));  // misaligned
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
  EXPECT_EQ(error(0), uint32_t(OFDMA_ERR_CMPL_ADDR));
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_RESET);
  set_creg(0, OFDMA_CH_CMPL_LO, uint32_t(kNoMemory));
  set_creg(0, OFDMA_CH_CMPL_HI, uint32_t(kNoMemory >> 32));
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
  EXPECT_EQ(error(0), uint32_t(OFDMA_ERR_CMPL_ADDR)) << "completion record not in RAM";
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_RESET);
  set_creg(0, OFDMA_CH_CMPL_LO, uint32_t(ch.cmpl));
  set_creg(0, OFDMA_CH_CMPL_HI, 0);
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
  EXPECT_EQ(state(0), OFDMA_CS_IDLE);
  set_creg(0, OFDMA_CH_TAIL, 64);  // == RING_SIZE
  EXPECT_EQ(state(0), OFDMA_CS_HALTED);
  EXPECT_EQ(error(0), uint32_t(OFDMA_ERR_TAIL));
  EXPECT_EQ(creg(0, OFDMA_CH_TAIL), 0u) << "a bad TAIL is not stored";
}

// Found by scripts/fuzz (UBSan: a misaligned struct ofdma_cmpl store): a halt
// before ENABLE checked the record's address (a bad ring, a bad TAIL on a
// channel never enabled) must not write a record at a misaligned address.
TEST_F(OfdmaTest, NoRecordAtAMisalignedAddressBeforeEnableChecksIt) {
  auto ch = setup(0, 64, false);
  uint64_t bad = ch.cmpl + 5;
  qt_->memset(ch.cmpl, 64, 0);
  set_creg(0, OFDMA_CH_CMPL_LO, uint32_t(bad));
  set_creg(0, OFDMA_CH_RING_SIZE, 100);  // RING error at ENABLE, before CMPL is checked
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
  EXPECT_EQ(error(0), uint32_t(OFDMA_ERR_RING));
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_RESET);
  set_creg(0, OFDMA_CH_TAIL, 100);  // >= RING_SIZE on a channel never enabled: halts too
  EXPECT_EQ(error(0), uint32_t(OFDMA_ERR_TAIL));
  EXPECT_TRUE(qt_->read(ch.cmpl, 64) == std::vector<uint8_t>(64, 0)) << "a record was written";
}

TEST_F(OfdmaTest, RingOutsideMemoryAndBusMasterOff) {
  auto ch = setup(0, 64, false);
  set_creg(0, OFDMA_CH_RING_LO, uint32_t(kNoMemory));
  set_creg(0, OFDMA_CH_RING_HI, uint32_t(kNoMemory >> 32));
  set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
  set_creg(0, OFDMA_CH_TAIL, 1);
  ASSERT_TRUE(halts(0));
  EXPECT_EQ(error(0), uint32_t(OFDMA_ERR_DESC_READ));

  auto ch1 = setup(1);
  auto src = random_bytes(64, 7);
  uint64_t s = put(src), d = mem_.alloc(64, 64);
  post(ch1, s, d, 64);
  cfg_->write16(4, cfg_->read16(4) & ~0x4);  // bus master off
  doorbell(ch1);
  ASSERT_TRUE(halts(1));
  EXPECT_EQ(error(1), uint32_t(OFDMA_ERR_DESC_READ));
  EXPECT_EQ(qt_->readl(d), 0u);
  (void)ch;
}

// Bus Master cleared under copies in flight, then a channel reset: the
// worker's next slice fails (docs/ofdma-spec.md, "Bus Master Enable") instead
// of falling back to a bounce buffer that waits for the BQL, which the reset
// holds while it waits for the worker. QEMU answers after every burst.
TEST_F(OfdmaTest, BusMasterOffUnderCopiesThenResetNeverDeadlocks) {
  constexpr uint64_t src = 32ull << 20, dst = 48ull << 20;  // RAM beyond mem_
  std::vector<Chan> chans;
  for (unsigned c = 0; c < kChannels; c++) chans.push_back(setup(c, 64, false));
  for (int burst = 0; burst < 20; burst++) {
    cfg_->write16(4, cfg_->read16(4) | 0x4);
    for (auto& ch : chans) {
      ch.tail = 0;
      set_creg(ch.idx, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
      post(ch, src, dst, OFDMA_MAX_XFER);
      doorbell(ch);
    }
    cfg_->write16(4, cfg_->read16(4) & ~0x4);
    for (auto& ch : chans) set_creg(ch.idx, OFDMA_CH_CTRL, OFDMA_CC_RESET);
    ASSERT_EQ(reg(OFDMA_REG_ID), OFDMA_ID_MAGIC) << "burst " << burst;
    for (auto& ch : chans) ASSERT_EQ(state(ch.idx), uint32_t(OFDMA_CS_DISABLED));
  }
}

// Starts a 16 MiB copy of 0xab bytes from src to dst (zeroed first) on ch and
// returns once its first bytes have arrived: the copy is then in flight.
// A chain of 4 MiB copies (4 slices each) of 0xab bytes into zeroed, separate
// destinations, for the tests that act while one of them is in flight: long
// enough (192 MiB) to be still running when the test's next write arrives on
// a loaded host.
class OfdmaChainTest : public OfdmaTest {
 protected:
  static constexpr uint64_t kSrc = 32ull << 20, kDst = 36ull << 20;  // RAM beyond mem_
  static constexpr uint32_t kLen = 4u << 20, kCopies = 48;           // up to 228 MiB

  void SetUp() override {
    ram_ = "256M";
    OfdmaTest::SetUp();
    qt_->memset(kSrc, kLen, 0xab);
  }
  uint64_t dst(uint32_t i) { return kDst + uint64_t(i) * kLen; }
  // Posts the chain on a fresh channel 0; returns once the first copy completed.
  Chan start() {
    set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_RESET);
    qt_->memset(kDst, uint64_t(kCopies) * kLen, 0);
    auto ch = setup(0);
    for (uint32_t i = 0; i < kCopies; i++) post(ch, kSrc, dst(i), kLen);
    doorbell(ch);
    EXPECT_TRUE(wait_for([&] { return record(ch).completed >= 1; }));
    return ch;
  }
};

// A channel reset drops the descriptor in flight at its next slice, not at
// its end: the end of that copy's destination stays zero (unless the reset
// came during its last slice, hence several trials).
TEST_F(OfdmaChainTest, ResetStopsACopyWithinASlice) {
  int in_flight = 0, dropped = 0;
  for (int trial = 0; trial < 5; trial++) {
    auto ch = start();
    set_creg(0, OFDMA_CH_CTRL, OFDMA_CC_RESET);
    EXPECT_EQ(creg(0, OFDMA_CH_HEAD), 0u);
    uint64_t done = record(ch).completed;  // the reset does not write the record
    if (done >= kCopies) continue;         // the chain ended first
    in_flight++;
    if (qt_->readl(dst(uint32_t(done)) + kLen - 4) == 0) dropped++;
    for (uint32_t i = uint32_t(done) + 1; i < kCopies; i++) {
      EXPECT_EQ(qt_->readl(dst(i)), 0u) << "copy " << i << " ran after the reset";
    }
  }
  ASSERT_GT(in_flight, 0) << "every chain ended before its reset";
  EXPECT_GT(dropped, 0) << "every reset waited for the whole copy in flight";
}

// A bad TAIL while a descriptor is in flight: that descriptor completes, and
// ERR_DESC names the first slot not executed, which HEAD holds, as after any
// other error.
TEST_F(OfdmaChainTest, BadTailHaltsAfterTheDescriptorInFlight) {
  for (int trial = 0; trial < 5; trial++) {
    auto ch = start();
    set_creg(0, OFDMA_CH_TAIL, 64);  // == RING_SIZE
    ASSERT_TRUE(halts(0));
    EXPECT_EQ(error(0), uint32_t(OFDMA_ERR_TAIL));
    uint32_t head = creg(0, OFDMA_CH_HEAD);
    EXPECT_EQ(creg(0, OFDMA_CH_ERR_DESC), head) << "trial " << trial;
    EXPECT_EQ(record(ch).completed, uint64_t(head)) << "trial " << trial;
    EXPECT_EQ(record(ch).err_desc, head) << "trial " << trial;
    EXPECT_EQ(qt_->readl(dst(head - 1) + kLen - 4), 0xababababu) << "trial " << trial;
    if (head < kCopies) {
      EXPECT_EQ(qt_->readl(dst(head)), 0u) << "trial " << trial << ": ran past the halt";
    }
  }
}

TEST_F(OfdmaTest, GarbageDescriptorsNeverCrash) {
  // Random descriptors on every channel, random doorbells; each channel ends
  // up idle or halted, and QEMU (TearDown) is alive.
  std::mt19937_64 rng(42);
  std::vector<Chan> chans;
  for (unsigned c = 0; c < kChannels; c++) chans.push_back(setup(c, 16));
  uint64_t win = mem_.alloc(1 << 20, 4096);
  for (int round = 0; round < 200; round++) {
    auto& ch = chans[rng() % kChannels];
    if (state(ch.idx) == OFDMA_CS_HALTED) {
      set_creg(ch.idx, OFDMA_CH_CTRL, OFDMA_CC_RESET);
      set_creg(ch.idx, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
      ch.tail = 0;
    }
    uint64_t pick[] = {win + rng() % (1 << 20), rng(), kNoMemory, kBar0, 0};
    post(ch, pick[rng() % 5], pick[rng() % 5], uint32_t(rng() % (1 << 16)),
         uint32_t(rng() % 8 == 0 ? rng() : rng() % 8));
    if (rng() % 4 == 0) {
      set_creg(ch.idx, OFDMA_CH_TAIL, uint32_t(rng() % 20));
    } else {
      doorbell(ch);
    }
  }
  for (unsigned c = 0; c < kChannels; c++) {
    EXPECT_TRUE(wait_for([&] {
      uint32_t st = state(c);
      return st == OFDMA_CS_IDLE || st == OFDMA_CS_HALTED;
    })) << "channel "
        << c << " state " << state(c);
  }
}

// Stress: copies of up to 4 MiB run on every channel while the guest, at
// random, resets a channel or the device, clears Bus Master, stops the VM,
// suspends, rewrites descriptors and TAIL, or resets the machine. QEMU keeps
// answering, every channel comes back, and in the rounds left alone every copy
// is exact. The workers copy off the BQL: this is the test make tsan runs under
// ThreadSanitizer (its ofnic counterpart: test_stress.cpp).
TEST_F(OfdmaQmpStressTest, PerturbationsDuringCopies) {
  const unsigned rounds = stress_rounds();
  constexpr uint64_t kSrc = 64ull << 20, kSrcLen = 8ull << 20;
  constexpr uint64_t kDst = 96ull << 20, kDstLen = 32ull << 20;  // 8 MiB per channel
  std::mt19937_64 rng(20261206);
  auto src = random_bytes(kSrcLen, 7);
  qt_->write(kSrc, src);
  std::vector<Chan> chans;
  for (unsigned c = 0; c < kChannels; c++) chans.push_back(setup(c, 16));
  auto reprogram = [&](Chan& ch) {
    set_creg(ch.idx, OFDMA_CH_CTRL, OFDMA_CC_RESET);
    qt_->memset(ch.cmpl, OFDMA_CMPL_SIZE, 0);
    program(ch);
    ch.tail = 0;
  };
  unsigned done[9] = {}, checked = 0, halted = 0;
  for (unsigned r = 0; r < rounds; r++) {
    SCOPED_TRACE(fmt::format("round {}", r));
    struct Copy {
      uint64_t so, d;
      uint32_t len;
    };
    std::vector<Copy> copies;
    for (auto& ch : chans) {
      const uint64_t region = kDst + ch.idx * (kDstLen / kChannels);
      uint64_t off = 0;
      for (unsigned k = 1 + rng() % 3; k; k--) {
        uint32_t len = uint32_t(1 + rng() % (rng() % 2 ? 4096 : (2u << 20)));
        uint64_t so = rng() % (kSrcLen - len);
        post(ch, kSrc + so, region + off, len);
        copies.push_back({so, region + off, len});
        off += (len + 63) & ~63ull;
      }
      doorbell(ch);
    }
    if (rng() % 2) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    auto& victim = chans[rng() % kChannels];
    const unsigned what = rng() % 9;
    done[what]++;
    bool machine = false;
    switch (what) {
      case 0:  // a channel reset mid-copy
        set_creg(victim.idx, OFDMA_CH_CTRL, OFDMA_CC_RESET);
        break;
      case 1:  // Bus Master off and on
        cfg_->write16(4, cfg_->read16(4) & ~0x4);
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 1000));
        cfg_->write16(4, cfg_->read16(4) | 0x4);
        break;
      case 2:  // the VM stops and goes on
        qt_->qmp("stop");
        std::this_thread::sleep_for(1ms);
        qt_->qmp("cont");
        break;
      case 3:  // the device reset
        set_reg(OFDMA_REG_CTRL, OFDMA_CTRL_RESET);
        break;
      case 4: {  // descriptors rewritten under the device, then a doorbell
        for (uint32_t i = 0; i < victim.size; i++) {
          // (never a destination in the source data the later rounds check against)
          uint64_t srcs[] = {kSrc + rng() % kSrcLen, rng(), kNoMemory, kBar0, kDst};
          uint64_t dsts[] = {kDst + rng() % kDstLen, rng(), kNoMemory, kBar0, kBiosRom};
          ofdma_desc d{};
          d.src = srcs[rng() % 5];
          d.dst = dsts[rng() % 5];
          d.len = uint32_t(rng() % (1u << 21));
          d.flags = uint32_t(rng() % 8 == 0 ? rng() : rng() % 8);
          qt_->write(victim.ring + uint64_t(i) * OFDMA_DESC_SIZE,
                     {reinterpret_cast<const uint8_t*>(&d), sizeof(d)});
        }
        set_creg(victim.idx, OFDMA_CH_TAIL, uint32_t(rng() % (victim.size + 4)));
        break;
      }
      case 5:  // suspend, then run on
        set_creg(victim.idx, OFDMA_CH_CTRL, OFDMA_CC_ENABLE | OFDMA_CC_SUSPEND);
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 1000));
        set_creg(victim.idx, OFDMA_CH_CTRL, OFDMA_CC_ENABLE);
        break;
      case 6:  // the machine reset: PCI config space too
        qt_->qmp("system_reset");
        machine = true;
        break;
      case 7:  // the ring moved while it runs
        set_creg(victim.idx, OFDMA_CH_RING_LO, uint32_t(kDst + rng() % kDstLen) & ~63u);
        break;
      case 8: {  // left alone: every copy completes exactly
        bool all = true;
        for (auto& ch : chans) {
          const uint32_t n = uint32_t(std::count_if(copies.begin(), copies.end(), [&](auto& c) {
            return c.d >= kDst + ch.idx * (kDstLen / kChannels) &&
                   c.d < kDst + (ch.idx + 1) * (kDstLen / kChannels);
          }));
          all = all && wait_for([&] { return creg(ch.idx, OFDMA_CH_HEAD) == ch.tail; }, 10s);
          EXPECT_EQ(state(ch.idx), OFDMA_CS_IDLE) << "channel " << ch.idx;
          EXPECT_GE(record(ch).completed, n);
        }
        ASSERT_TRUE(all) << "a channel left alone did not finish";
        for (auto& c : copies) {
          ASSERT_TRUE(
              qt_->read(c.d, c.len) ==
              std::vector<uint8_t>(src.begin() + long(c.so), src.begin() + long(c.so + c.len)))
              << fmt::format("copy of {} bytes to {:#x}", c.len, c.d);
          checked++;
        }
        break;
      }
    }
    if (machine) {
      ASSERT_TRUE(wait_for(
          [&] { return cfg_->read16(0) == OFDMA_PCI_VENDOR_ID && !(cfg_->read16(4) & 0x2); }, 5s));
      map();
    }
    ASSERT_EQ(reg(OFDMA_REG_ID), OFDMA_ID_MAGIC) << "QEMU answers";
    for (auto& ch : chans) {
      if (state(ch.idx) == OFDMA_CS_HALTED) halted++;
      reprogram(ch);
    }
  }
  for (unsigned w = 0; w < 9; w++) EXPECT_GT(done[w], 0u) << "perturbation " << w << " never ran";
  EXPECT_GT(checked, 0u);
  EXPECT_GT(halted, 0u) << "no rewritten descriptor was caught";
  fmt::print("{} rounds: {} copies checked, {} channels found halted by an error\n", rounds,
             checked, halted);

  // Afterwards: one clean copy on every channel.
  for (auto& ch : chans) {
    const uint64_t d = kDst + ch.idx * (kDstLen / kChannels);
    post(ch, kSrc, d, 1 << 20);
    doorbell(ch);
    ASSERT_TRUE(completes(ch, 1));
    EXPECT_TRUE(qt_->read(d, 1 << 20) ==
                std::vector<uint8_t>(src.begin(), src.begin() + (1 << 20)));
  }
}

class OfdmaHostileTest : public OfdmaTest {
 protected:
  void SetUp() override {
    props_ = ",hostile-seed=5,hostile-rate=1000,hostile-lies=40";
    OfdmaTest::SetUp();
  }
};

// hostile-rate=1000: every record lies, in one field, until 40 lies are
// told; the copies and the registers stay true throughout. One copy at a
// time, each record is compared with the registers once the copy is done.
TEST_F(OfdmaHostileTest, RecordsLieUntilTheLastLieThenTellTheTruth) {
  auto ch = setup(0, 16);
  auto src = random_bytes(4096, 11);
  const uint64_t s = put(src), d = mem_.alloc(4096, 64);
  unsigned lying = 0, after = 0;
  for (uint32_t k = 1; k <= 100; k++) {
    qt_->memset(d, 4096, 0);
    post(ch, s, d, 4096, OFDMA_DF_INTR);
    doorbell(ch);
    ASSERT_TRUE(wait_for([&] { return creg(0, OFDMA_CH_DONE_LO) == k; })) << "copy " << k;
    ASSERT_TRUE(qt_->read(d, 4096) == src) << "copy " << k << " is true";
    ASSERT_EQ(creg(0, OFDMA_CH_HEAD), k % 16);
    ASSERT_EQ(state(0), OFDMA_CS_IDLE) << "the status register is true";
    auto r = record(ch);
    const bool honest = r.completed == k && r.last_desc == (k - 1) % 16 &&
                        r.status == OFDMA_CS_IDLE && r.err_desc == 0;
    if (!honest) {
      lying++;
      if (k > 60) after++;
    }
  }
  // Not every lie is in a record (interrupts), and some records lie twice
  // (the enable's record too); 40 lies tell in records at least a third.
  EXPECT_GE(lying, 13u);
  EXPECT_LE(lying, 40u);
  EXPECT_EQ(after, 0u) << "records lied after the last lie";
}

TEST(OfdmaHostileProps, RateAbove1000Refused) {
  auto r = qtest::run_until_exit(qemu_options(ofdma_args("4,hostile-rate=1001")));
  ASSERT_TRUE(r.exited);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("hostile-rate"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ofnic::test
