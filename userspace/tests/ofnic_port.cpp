#include "ofnic_port.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include <fmt/format.h>

namespace ofnic::test {

static_assert(std::endian::native == std::endian::little,
              "descriptors are copied to guest memory as they are in host memory");

namespace {
constexpr uint16_t kCfgAddr = 0xcf8;
constexpr uint16_t kCfgData = 0xcfc;
constexpr uint8_t kPciCommand = 0x04;
constexpr uint8_t kPciStatus = 0x06;
constexpr uint8_t kPciCapList = 0x34;
constexpr uint16_t kStatusCapList = 0x10;
constexpr uint16_t kCommandMemory = 0x2;
constexpr uint16_t kCommandMaster = 0x4;
constexpr uint8_t kCapIdMsix = 0x11;
constexpr uint16_t kMsixEnable = 1u << 15;
constexpr uint16_t kMsixMaskAll = 1u << 14;

template <typename T>
T from_bytes(const std::vector<uint8_t>& b) {
  T t;
  std::memcpy(&t, b.data(), sizeof(t));
  return t;
}

template <typename T>
std::span<const uint8_t> as_bytes(const T& t) {
  return {reinterpret_cast<const uint8_t*>(&t), sizeof(t)};
}
}  // namespace

std::string to_string(const Mac& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}

// ---- PCI -------------------------------------------------------------------

void PciConfig::select(uint8_t off) {
  qt_.outl(kCfgAddr, 0x80000000u | uint32_t(bus_) << 16 | uint32_t(devfn_) << 8 | (off & 0xfc));
}
uint8_t PciConfig::read8(uint8_t off) {
  select(off);
  return qt_.inb(kCfgData + (off & 3));
}
uint16_t PciConfig::read16(uint8_t off) {
  select(off);
  return qt_.inw(kCfgData + (off & 2));
}
uint32_t PciConfig::read32(uint8_t off) {
  select(off);
  return qt_.inl(kCfgData);
}
void PciConfig::write8(uint8_t off, uint8_t v) {
  select(off);
  qt_.outb(kCfgData + (off & 3), v);
}
void PciConfig::write16(uint8_t off, uint16_t v) {
  select(off);
  qt_.outw(kCfgData + (off & 2), v);
}
void PciConfig::write32(uint8_t off, uint32_t v) {
  select(off);
  qt_.outl(kCfgData, v);
}

std::optional<uint8_t> PciConfig::find_capability(uint8_t id) {
  if (!(read16(kPciStatus) & kStatusCapList)) return std::nullopt;
  uint8_t ptr = read8(kPciCapList) & 0xfc;
  for (int guard = 0; ptr && guard < 48; guard++) {
    if (read8(ptr) == id) return ptr;
    ptr = read8(ptr + 1) & 0xfc;
  }
  return std::nullopt;
}

std::vector<uint8_t> pci_find(qtest::Client& qt, uint16_t vendor, uint16_t device) {
  std::vector<uint8_t> found;
  for (unsigned slot = 0; slot < 32; slot++) {
    PciConfig cfg(qt, 0, uint8_t(slot << 3));
    uint32_t id = cfg.read32(0);
    if (id == (uint32_t(device) << 16 | vendor)) found.push_back(uint8_t(slot << 3));
  }
  return found;
}

uint64_t GuestMem::alloc(uint64_t size, uint64_t align) {
  uint64_t a = (next_ + align - 1) & ~(align - 1);
  if (a + size > end_) {
    throw qtest::Error(fmt::format("guest memory window exhausted ({} bytes)", size));
  }
  next_ = a + size;
  return a;
}

// ---- port ------------------------------------------------------------------

void OfnicPort::map(uint64_t bar0, uint32_t bar2) {
  bar0_ = bar0;
  bar2_ = bar2;
  uint8_t b0 = 0x10 + 4 * OFNIC_BAR_REGS, b2 = 0x10 + 4 * OFNIC_BAR_MSIX;
  cfg_.write32(b0, uint32_t(bar0));
  cfg_.write32(b0 + 4, uint32_t(bar0 >> 32));
  cfg_.write32(b2, bar2);
  cfg_.write16(kPciCommand, cfg_.read16(kPciCommand) | kCommandMemory | kCommandMaster);
}

uint64_t OfnicPort::stat(unsigned i) {
  // Not latched: read HI, LO, HI and retry if HI moved (hw-spec 4).
  for (;;) {
    uint64_t hi = reg(OFNIC_REG_STAT(i) + 4), lo = reg(OFNIC_REG_STAT(i));
    if (reg(OFNIC_REG_STAT(i) + 4) == hi) return hi << 32 | lo;
  }
}

std::array<uint64_t, OFNIC_NUM_STATS> OfnicPort::stats() {
  std::array<uint64_t, OFNIC_NUM_STATS> s{};
  for (unsigned i = 0; i < OFNIC_NUM_STATS; i++) s[i] = stat(i);
  return s;
}

Mac OfnicPort::mac() {
  uint32_t lo = reg(OFNIC_REG_MAC_LO), hi = reg(OFNIC_REG_MAC_HI);
  return {uint8_t(lo),       uint8_t(lo >> 8), uint8_t(lo >> 16),
          uint8_t(lo >> 24), uint8_t(hi),      uint8_t(hi >> 8)};
}

void OfnicPort::set_mac(const Mac& m) {
  set_reg(OFNIC_REG_MAC_LO,
          uint32_t(m[0]) | uint32_t(m[1]) << 8 | uint32_t(m[2]) << 16 | uint32_t(m[3]) << 24);
  set_reg(OFNIC_REG_MAC_HI, uint32_t(m[4]) | uint32_t(m[5]) << 8);
}

void OfnicPort::config_ring(unsigned q, Dir d, uint64_t base, uint32_t size, uint32_t buf_size) {
  set_qreg(q, d, OFNIC_Q_BASE_LO, uint32_t(base));
  set_qreg(q, d, OFNIC_Q_BASE_HI, uint32_t(base >> 32));
  set_qreg(q, d, OFNIC_Q_SIZE, size);
  if (d == Dir::kRx) set_qreg(q, d, OFNIC_Q_BUF_SIZE, buf_size);
}

std::optional<OfnicPort::MsixCap> OfnicPort::msix_cap() {
  auto off = cfg_.find_capability(kCapIdMsix);
  if (!off) return std::nullopt;
  uint16_t ctrl = cfg_.read16(*off + 2);
  uint32_t table = cfg_.read32(*off + 4), pba = cfg_.read32(*off + 8);
  return MsixCap{
      *off,     uint16_t((ctrl & 0x7ff) + 1), uint8_t(table & 7), uint8_t(pba & 7), table & ~7u,
      pba & ~7u};
}

OfnicPort::MsixCap OfnicPort::msix() {
  if (!msix_) {
    msix_ = msix_cap();
    if (!msix_) throw qtest::Error("ofnic has no MSI-X capability");
    if (msix_->table_bir != OFNIC_BAR_MSIX || msix_->pba_bir != OFNIC_BAR_MSIX) {
      throw qtest::Error(fmt::format("MSI-X table/PBA in BAR {}/{}, expected BAR {}",
                                     msix_->table_bir, msix_->pba_bir, OFNIC_BAR_MSIX));
    }
  }
  return *msix_;
}

void OfnicPort::msix_enable(bool on) {
  uint8_t ctl = msix().offset + 2;
  uint16_t v = cfg_.read16(ctl) & ~(kMsixEnable | kMsixMaskAll);
  cfg_.write16(ctl, on ? v | kMsixEnable : v);
}

void OfnicPort::msix_vector(unsigned v, uint64_t addr, uint32_t data, bool masked) {
  uint64_t e = bar2_ + msix().table_offset + 16ull * v;
  qt_.writel(e + 0, uint32_t(addr));
  qt_.writel(e + 4, uint32_t(addr >> 32));
  qt_.writel(e + 8, data);
  qt_.writel(e + 12, masked ? 1 : 0);
}

bool OfnicPort::msix_pending(unsigned v) {
  uint64_t w = bar2_ + msix().pba_offset + 4ull * (v / 32);
  return qt_.readl(w) >> (v % 32) & 1;
}

// ---- rings -----------------------------------------------------------------

void TxRing::start() {
  port_.config_ring(q_, Dir::kTx, base_, size_);
  port_.ring_enable(q_, Dir::kTx);
}

void TxRing::write_desc(uint32_t i, const ofnic_tx_desc& d) {
  port_.qt().write(desc_addr(i), as_bytes(d));
}

ofnic_tx_desc TxRing::desc(uint32_t i) {
  return from_bytes<ofnic_tx_desc>(port_.qt().read(desc_addr(i), sizeof(ofnic_tx_desc)));
}

uint16_t TxRing::status(uint32_t i) {
  return port_.qt().readw(desc_addr(i) + offsetof(ofnic_tx_desc, status));
}

uint32_t TxRing::add(uint64_t addr, uint16_t len, uint16_t flags) {
  ofnic_tx_desc d{};
  d.addr = addr;
  d.len = len;
  d.flags = flags;
  return add(d);
}

uint32_t TxRing::add(const ofnic_tx_desc& d) {
  uint32_t i = next_;
  write_desc(i, d);
  next_ = (next_ + 1) % size_;
  return i;
}

void TxRing::doorbell() { port_.set_qreg(q_, Dir::kTx, OFNIC_Q_TAIL, next_); }

void RxRing::start() {
  port_.config_ring(q_, Dir::kRx, base_, size_, buf_size_);
  if (hdr_bufs_) port_.set_qreg(q_, Dir::kRx, OFNIC_Q_HDR_SIZE, hdr_size_);
  port_.ring_enable(q_, Dir::kRx);
}

std::vector<uint8_t> RxRing::header(uint32_t i) {
  ofnic_rx_wb w = wb(i);
  if (!w.hdr_len || !hdr_bufs_) return {};
  return port_.qt().read(hdr_addr(i), std::min<uint32_t>(w.hdr_len, hdr_size_));
}

void RxRing::write_desc(uint32_t i, const ofnic_rx_desc& d) {
  port_.qt().write(desc_addr(i), as_bytes(d));
}

void RxRing::post(uint32_t n) {
  // One guest-memory write per contiguous run of descriptors.
  while (n) {
    uint32_t run = std::min(n, size_ - next_);
    std::vector<uint8_t> bytes(size_t(run) * sizeof(ofnic_rx_desc));
    for (uint32_t k = 0; k < run; k++) {
      ofnic_rx_desc d{};
      d.addr = buf_addr(next_ + k);
      if (hdr_bufs_) d.hdr_addr = hdr_addr(next_ + k);
      std::memcpy(bytes.data() + k * sizeof(d), &d, sizeof(d));
    }
    port_.qt().write(desc_addr(next_), bytes);
    next_ = (next_ + run) % size_;
    n -= run;
  }
  port_.set_qreg(q_, Dir::kRx, OFNIC_Q_TAIL, next_);
}

ofnic_rx_wb RxRing::wb(uint32_t i) {
  return from_bytes<ofnic_rx_wb>(port_.qt().read(desc_addr(i), sizeof(ofnic_rx_wb)));
}

std::vector<uint8_t> RxRing::frame(uint32_t i) {
  std::vector<uint8_t> out;
  for (uint32_t n = 0; n < OFNIC_RX_MAX_DESC_PER_PKT; n++) {
    ofnic_rx_wb w = wb(i + n);
    if (!(w.status & OFNIC_RXS_DD)) break;
    if (w.len) {
      auto b = port_.qt().read(buf_addr(i + n), std::min<uint32_t>(w.len, buf_size_));
      out.insert(out.end(), b.begin(), b.end());
    }
    if (w.status & OFNIC_RXS_EOP) break;
  }
  return out;
}

std::vector<uint8_t> make_frame(const Mac& dst, const Mac& src, size_t len, uint8_t seed) {
  std::vector<uint8_t> f(len);
  for (size_t i = 0; i < len; i++) f[i] = uint8_t(i * 7 + seed * 31 + (i >> 8));
  for (size_t i = 0; i < 6 && i < len; i++) f[i] = dst[i];
  for (size_t i = 0; i < 6 && 6 + i < len; i++) f[6 + i] = src[i];
  if (len >= 14) {
    f[12] = 0x88;
    f[13] = 0xb5;
  }
  return f;
}

}  // namespace ofnic::test
