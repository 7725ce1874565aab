// Test-side model of one ofnic port: PCI configuration, BAR0 registers (the map
// of include/ofnic_hw.h), descriptor rings in guest memory and MSI-X, all over a
// qtest::Client. It knows the interface but makes no assertions: tests do.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <ofnic/hw.hpp>

#include "qtest_client.h"

namespace ofnic::test {

using Mac = std::array<uint8_t, 6>;
std::string to_string(const Mac& mac);

enum class Dir { kTx, kRx };
constexpr const char* to_string(Dir d) { return d == Dir::kTx ? "tx" : "rx"; }

// PCI configuration space of one function, through ports 0xcf8/0xcfc.
class PciConfig {
 public:
  PciConfig(qtest::Client& qt, uint8_t bus, uint8_t devfn) : qt_(qt), bus_(bus), devfn_(devfn) {}
  uint8_t read8(uint8_t off);
  uint16_t read16(uint8_t off);
  uint32_t read32(uint8_t off);
  void write8(uint8_t off, uint8_t v);
  void write16(uint8_t off, uint16_t v);
  void write32(uint8_t off, uint32_t v);
  // Offset of the capability with this ID, if the function has it.
  std::optional<uint8_t> find_capability(uint8_t id);
  uint8_t devfn() const { return devfn_; }

 private:
  void select(uint8_t off);
  qtest::Client& qt_;
  uint8_t bus_, devfn_;
};

// Bus-0 functions (devfn) whose vendor and device IDs match, in slot order.
std::vector<uint8_t> pci_find(qtest::Client& qt, uint16_t vendor, uint16_t device);

// A bump allocator over a window of guest RAM. The machine starts with zeroed
// RAM and every test boots its own, so nothing is ever freed.
class GuestMem {
 public:
  GuestMem(uint64_t start, uint64_t end) : next_(start), end_(end) {}
  uint64_t alloc(uint64_t size, uint64_t align = 128);

 private:
  uint64_t next_, end_;
};

class OfnicPort {
 public:
  OfnicPort(qtest::Client& qt, uint8_t devfn, uint8_t bus = 0) : qt_(qt), cfg_(qt, bus, devfn) {}

  // Assigns BAR0 (64-bit registers) and BAR2 (MSI-X), then enables memory
  // decoding and bus mastering.
  void map(uint64_t bar0, uint32_t bar2);
  uint64_t bar0() const { return bar0_; }
  uint32_t bar2() const { return bar2_; }
  PciConfig& cfg() { return cfg_; }
  qtest::Client& qt() { return qt_; }

  uint32_t reg(uint32_t off) { return qt_.readl(bar0_ + off); }
  void set_reg(uint32_t off, uint32_t v) { qt_.writel(bar0_ + off, v); }
  uint64_t stat(unsigned i);
  std::array<uint64_t, OFNIC_NUM_STATS> stats();
  Mac mac();
  void set_mac(const Mac& mac);
  void enable() { set_reg(OFNIC_REG_CTRL, OFNIC_CTRL_ENABLE); }

  // Queue pair q's own registers (OFNIC_QP_INT_ARM, OFNIC_QP_ITR_RX).
  uint32_t qp_reg(unsigned q, uint32_t reg) { return this->reg(OFNIC_REG_QP(q) + reg); }
  void set_qp_reg(unsigned q, uint32_t reg, uint32_t v) { set_reg(OFNIC_REG_QP(q) + reg, v); }
  // Ring registers (OFNIC_Q_*) of queue pair q's TX or RX ring.
  static uint32_t qreg_offset(unsigned q, Dir d, uint32_t reg) {
    return OFNIC_REG_QP(q) + (d == Dir::kTx ? OFNIC_QP_TX : OFNIC_QP_RX) + reg;
  }
  uint32_t qreg(unsigned q, Dir d, uint32_t reg) { return this->reg(qreg_offset(q, d, reg)); }
  void set_qreg(unsigned q, Dir d, uint32_t reg, uint32_t v) { set_reg(qreg_offset(q, d, reg), v); }
  uint32_t q_status(unsigned q, Dir d) { return qreg(q, d, OFNIC_Q_STATUS); }
  // Error code in Q_STATUS 15:8.
  uint32_t q_error(unsigned q, Dir d) {
    return (q_status(q, d) & OFNIC_QS_ERR_MASK) >> OFNIC_QS_ERR_SHIFT;
  }
  // Writes base, size and (RX) buffer size; does not enable.
  void config_ring(unsigned q, Dir d, uint64_t base, uint32_t size, uint32_t buf_size = 0);
  void ring_enable(unsigned q, Dir d) { set_qreg(q, d, OFNIC_Q_CTRL, OFNIC_QC_ENABLE); }
  void ring_reset(unsigned q, Dir d) { set_qreg(q, d, OFNIC_Q_CTRL, OFNIC_QC_RESET); }

  // MSI-X. msix_enable() sets Enable and clears Function Mask.
  struct MsixCap {
    uint8_t offset;
    uint16_t table_size;  // entries
    uint8_t table_bir, pba_bir;
    uint32_t table_offset, pba_offset;
  };
  std::optional<MsixCap> msix_cap();
  void msix_enable(bool on);
  void msix_vector(unsigned v, uint64_t addr, uint32_t data, bool masked);
  bool msix_pending(unsigned v);

 private:
  MsixCap msix();
  qtest::Client& qt_;
  PciConfig cfg_;
  uint64_t bar0_ = 0;
  uint32_t bar2_ = 0;
  std::optional<MsixCap> msix_;
};

// A TX ring in guest memory and the driver's view of it (next_ = tail to write).
class TxRing {
 public:
  TxRing(OfnicPort& port, unsigned q, uint64_t base, uint32_t size)
      : port_(port), q_(q), base_(base), size_(size) {}
  // Programs base and size and enables the ring.
  void start();
  uint64_t desc_addr(uint32_t i) const { return base_ + uint64_t(i % size_) * OFNIC_DESC_SIZE; }
  void write_desc(uint32_t i, const ofnic_tx_desc& d);
  ofnic_tx_desc desc(uint32_t i);
  uint16_t status(uint32_t i);
  // Writes a descriptor at next() and advances next(); returns its index.
  uint32_t add(uint64_t addr, uint16_t len, uint16_t flags);
  // The same with every field of d (offload requests).
  uint32_t add(const ofnic_tx_desc& d);
  // Writes TAIL = next().
  void doorbell();
  uint32_t next() const { return next_; }
  uint32_t head() { return port_.qreg(q_, Dir::kTx, OFNIC_Q_HEAD); }
  uint32_t tail() { return port_.qreg(q_, Dir::kTx, OFNIC_Q_TAIL); }
  uint32_t size() const { return size_; }
  uint64_t base() const { return base_; }
  // After OFNIC_QC_RESET: the driver's index restarts at 0 too.
  void rewind() { next_ = 0; }

 private:
  OfnicPort& port_;
  unsigned q_;
  uint64_t base_;
  uint32_t size_;
  uint32_t next_ = 0;
};

// An RX ring with one buffer of buf_size bytes per descriptor slot.
class RxRing {
 public:
  RxRing(OfnicPort& port, unsigned q, uint64_t base, uint32_t size, uint32_t buf_size,
         uint64_t bufs)
      : port_(port), q_(q), base_(base), size_(size), buf_size_(buf_size), bufs_(bufs) {}
  void start();
  uint64_t desc_addr(uint32_t i) const { return base_ + uint64_t(i % size_) * OFNIC_DESC_SIZE; }
  uint64_t buf_addr(uint32_t i) const { return bufs_ + uint64_t(i % size_) * buf_size_; }
  // Posts n descriptors at next() (status 0, buffer buf_addr(i)) and writes TAIL.
  void post(uint32_t n);
  // Writes one raw descriptor at slot i (without advancing or ringing).
  void write_desc(uint32_t i, const ofnic_rx_desc& d);
  ofnic_rx_wb wb(uint32_t i);
  // Bytes of a frame whose first descriptor is i, following the write-back
  // lengths up to EOP (at most OFNIC_RX_MAX_DESC_PER_PKT descriptors).
  std::vector<uint8_t> frame(uint32_t i);
  uint32_t next() const { return next_; }
  uint32_t head() { return port_.qreg(q_, Dir::kRx, OFNIC_Q_HEAD); }
  uint32_t tail() { return port_.qreg(q_, Dir::kRx, OFNIC_Q_TAIL); }
  uint32_t size() const { return size_; }
  uint32_t buf_size() const { return buf_size_; }
  uint64_t base() const { return base_; }
  void rewind() { next_ = 0; }
  // Header-data split: descriptors posted from now on carry header buffers
  // of hdr_size bytes at hdr_bufs + i * hdr_size, and start() also writes
  // Q_HDR_SIZE.
  void set_hdr_bufs(uint64_t hdr_bufs, uint32_t hdr_size) {
    hdr_bufs_ = hdr_bufs;
    hdr_size_ = hdr_size;
  }
  uint64_t hdr_addr(uint32_t i) const { return hdr_bufs_ + uint64_t(i % size_) * hdr_size_; }
  // The hdr_len bytes of the header buffer of descriptor i.
  std::vector<uint8_t> header(uint32_t i);

 private:
  OfnicPort& port_;
  unsigned q_;
  uint64_t base_;
  uint32_t size_, buf_size_;
  uint64_t bufs_;
  uint32_t next_ = 0;
  uint64_t hdr_bufs_ = 0;
  uint32_t hdr_size_ = 0;
};

// An Ethernet frame: dst, src, ethertype 0x88b5 (local experimental), then a
// payload pattern that depends on seed, len bytes in all.
std::vector<uint8_t> make_frame(const Mac& dst, const Mac& src, size_t len, uint8_t seed = 0);

}  // namespace ofnic::test
