#include "sys.hpp"

#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "nl.hpp"

namespace ofnicctl::sys {

namespace fs = std::filesystem;

namespace {

std::string read_line(const fs::path& p) {
  std::ifstream f(p);
  std::string s;
  if (f) std::getline(f, s);
  return s;
}

Json number_or_null(const std::string& s) {
  try {
    size_t n;
    long long v = std::stoll(s, &n);
    if (n == s.size()) return v;
  } catch (...) {
  }
  return nullptr;
}

fs::path net(const std::string& dev) { return fs::path("/sys/class/net") / dev; }

}  // namespace

uint32_t ifindex_of(const std::string& dev) {
  unsigned idx = if_nametoindex(dev.c_str());
  if (!idx) throw nl::Error(fmt::format("{}: no such network interface", dev), ENODEV);
  return idx;
}

std::vector<std::string> interfaces() {
  std::vector<std::pair<long long, std::string>> v;
  std::error_code ec;
  for (auto& e : fs::directory_iterator("/sys/class/net", ec)) {
    auto idx = number_or_null(read_line(e.path() / "ifindex"));
    v.emplace_back(idx.is_null() ? 0 : idx.get<long long>(), e.path().filename().string());
  }
  std::sort(v.begin(), v.end());
  std::vector<std::string> out;
  for (auto& [_, n] : v) out.push_back(n);
  return out;
}

std::string driver_of(const std::string& dev) {
  std::error_code ec;
  auto d = fs::read_symlink(net(dev) / "device" / "driver", ec);
  return ec ? std::string() : d.filename().string();
}

Json link(const std::string& dev) {
  auto p = net(dev);
  Json l = Json::object();
  l["operstate"] = read_line(p / "operstate");
  auto carrier = read_line(p / "carrier");  // unreadable while down
  l["carrier"] = carrier.empty() ? Json(nullptr) : Json(carrier == "1");
  l["mtu"] = number_or_null(read_line(p / "mtu"));
  l["address"] = read_line(p / "address");
  auto drv = driver_of(dev);
  l["driver"] = drv.empty() ? Json(nullptr) : Json(drv);
  std::error_code ec;
  auto devlink = fs::read_symlink(p / "device", ec);
  l["bus-addr"] = ec ? Json(nullptr) : Json(devlink.filename().string());
  auto speed = number_or_null(read_line(p / "speed"));
  if (!speed.is_null() && speed.get<long long>() > 0) l["speed"] = speed;
  return l;
}

std::string irq_cpus(uint32_t irq) {
  return read_line(fmt::format("/proc/irq/{}/smp_affinity_list", irq));
}

Json totals(const std::string& dev) {
  Json t = Json::object();
  for (const char* k :
       {"rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "rx_dropped", "tx_dropped"}) {
    auto v = number_or_null(read_line(net(dev) / "statistics" / k));
    std::string key = k;
    std::replace(key.begin(), key.end(), '_', '-');
    if (!v.is_null()) t[key] = v;
  }
  return t;
}

}  // namespace ofnicctl::sys
