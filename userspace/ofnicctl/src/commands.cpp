#include "commands.hpp"

#include <linux/ethtool.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "errors.hpp"
#include "format.hpp"
#include "sys.hpp"
#include "xdp.hpp"

namespace ofnicctl {

// ---- Context --------------------------------------------------------------------------

ethtool::Client& Context::ethtool() {
  if (!et_) et_.emplace(sk_);
  return *et_;
}

netdev::Client& Context::netdev() {
  if (!nd_) nd_.emplace(sk_);
  return *nd_;
}

families::Ofnic* Context::ofnic() {
  if (!of_) of_.emplace(families::Ofnic::open(sk_));
  return *of_ ? &**of_ : nullptr;
}

namespace {

std::string reason(const std::exception& e) {
  if (auto* n = dynamic_cast<const nl::Error*>(&e)) {
    if (!n->ack().msg.empty()) return n->ack().msg;
    return std::strerror(n->err());
  }
  if (auto* x = dynamic_cast<const xdp::Error*>(&e)) return x->what();
  return e.what();
}

bool is_ofnic(const std::string& dev) { return sys::driver_of(dev) == "ofnic"; }

}  // namespace

// ---- read commands -----------------------------------------------------------------------

Json collect_show(Context& c, const std::string& dev) {
  uint32_t idx = sys::ifindex_of(dev);
  Json d = {{"ifname", dev}, {"ifindex", idx}, {"link", sys::link(dev)}};
  Json unsup = Json::object();
  auto section = [&](const char* name, const std::function<Json()>& fn) {
    try {
      auto v = fn();
      if (!v.is_null()) d[name] = v;
    } catch (const std::exception& e) {
      unsup[name] = reason(e);
    }
  };
  if (is_ofnic(dev)) {
    section("ofnic", [&]() -> Json {
      auto* of = c.ofnic();
      if (!of) throw nl::Error("the ofnic netlink family is not registered", ENOENT);
      return of->dev(idx);
    });
  }
  section("channels", [&] { return c.ethtool().channels(dev); });
  section("rings", [&] { return c.ethtool().rings(dev); });
  section("coalesce", [&] { return c.ethtool().coalesce(dev); });
  section("features", [&] { return c.ethtool().features(dev); });
  section("rss", [&] { return c.ethtool().rss(dev); });
  section("queues", [&] {
    auto queues = c.netdev().queues(idx);
    std::map<uint64_t, Json> napi;
    try {
      for (auto& n : c.netdev().napis(idx)) napi[n.value("id", uint64_t{0})] = n;
    } catch (const std::exception&) {
    }
    for (auto& q : queues) {
      if (!q.contains("napi-id")) continue;
      auto it = napi.find(q["napi-id"].get<uint64_t>());
      if (it == napi.end() || !it->second.contains("irq")) continue;
      auto irq = it->second["irq"].get<uint32_t>();
      q["irq"] = irq;
      auto cpus = sys::irq_cpus(irq);
      if (!cpus.empty()) q["cpus"] = cpus;
    }
    return queues;
  });
  section("page-pools", [&] { return c.netdev().page_pools(idx); });
  section("xdp", [&] {
    Json x = c.netdev().dev(idx);
    Json out = {{"features", x["xdp-features"]}};
    for (const char* k : {"xdp-zc-max-segs", "xdp-rx-metadata-features", "xsk-features"})
      if (x.contains(k)) out[k] = x[k];
    try {
      out["status"] = xdp::status(idx);
    } catch (const std::exception& e) {
      unsup["xdp-status"] = reason(e);
    }
    return out;
  });
  section("copy", [&] { return families::copy_status(c.sock()); });
  d["unsupported"] = unsup;
  return d;
}

Json collect_list(Context&) {
  Json list = Json::array();
  for (auto& n : sys::interfaces()) {
    Json l = sys::link(n);
    Json e = {{"ifname", n},
              {"ifindex", sys::ifindex_of(n)},
              {"driver", l["driver"]},
              {"operstate", l["operstate"]},
              {"mtu", l["mtu"]}};
    try {
      auto st = xdp::status(e["ifindex"].get<uint32_t>());
      e["xdp"] = st["mode"];
    } catch (const std::exception&) {
      e["xdp"] = nullptr;
    }
    list.push_back(e);
  }
  return Json{{"interfaces", list}};
}

Json collect_stats(Context& c, const std::string& dev, bool driver) {
  uint32_t idx = sys::ifindex_of(dev);
  Json st = {{"ifname", dev}, {"ifindex", idx}};
  Json sources = Json::array(), unsup = Json::object();
  std::map<uint64_t, Json> queues;
  Json device = Json::object();
  try {
    auto qs = c.netdev().qstats(idx, true);
    for (auto& q : qs) {
      auto id = q["id"].get<uint64_t>();
      q.erase("id");
      queues[id]["netdev"] = q;
    }
    if (!qs.empty()) sources.push_back("qstats");
    auto dev_q = c.netdev().qstats(idx, false);
    if (!dev_q.empty()) device["netdev"] = dev_q;
  } catch (const std::exception& e) {
    unsup["qstats"] = reason(e);
  }
  if (is_ofnic(dev)) {
    try {
      auto* of = c.ofnic();
      if (!of) throw nl::Error("the ofnic netlink family is not registered", ENOENT);
      for (auto& q : of->queues(idx)) {
        auto id = q["queue-id"].get<uint64_t>();
        q.erase("queue-id");
        queues[id]["ofnic"] = q;
      }
      sources.push_back("ofnic");
      auto d = of->dev(idx);
      if (d.contains("hw-stats")) device["ofnic-hw"] = d["hw-stats"];
    } catch (const std::exception& e) {
      unsup["ofnic"] = reason(e);
    }
  }
  device["sysfs"] = sys::totals(dev);
  Json qa = Json::array();
  for (auto& [id, q] : queues) {
    Json e = {{"id", id}};
    for (const char* src : {"netdev", "ofnic"})
      if (q.contains(src)) e[src] = q[src];
    qa.push_back(e);
  }
  st["sources"] = sources;
  st["queues"] = qa;
  st["device"] = device;
  if (driver) {
    try {
      auto names = c.ethtool().strings(dev, ETH_SS_STATS);
      auto vals = ethtool::ioctl_stats(dev, names.size());
      Json drv = Json::object();
      for (size_t i = 0; i < names.size(); i++) drv[names[i]] = vals[i];
      st["driver"] = drv;
    } catch (const std::exception& e) {
      unsup["driver"] = reason(e);
    }
  }
  st["unsupported"] = unsup;
  return st;
}

// ---- plans ------------------------------------------------------------------------------

namespace {

using Reader = std::function<Json()>;
using Writer = std::function<void(const Json&)>;

std::string show_value(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "on" : "off";
  return v.dump();
}

// A step that writes `changes` (a subset of a section's settable fields),
// checks that they read back, and restores `old` on undo.
Step field_step(const std::string& section, const Json& changes, const Json& old, Reader read,
                Writer write, std::set<std::string> unchecked = {}, Json also_check = {}) {
  std::string what = section + ":";
  for (auto& [k, v] : changes.items())
    what +=
        fmt::format(" {} {} -> {}", k, old.contains(k) ? show_value(old[k]) : "?", show_value(v));
  auto verify = [=](const Json& want) {
    auto now = read();
    for (auto& [k, v] : want.items()) {
      if (unchecked.count(k)) continue;
      if (!now.contains(k) || now[k] != v)
        throw std::runtime_error(fmt::format("{} {}: set to {}, reads back {}", section, k,
                                             show_value(v),
                                             now.contains(k) ? show_value(now[k]) : "nothing"));
    }
  };
  return Step{what,
              [=] {
                write(changes);
                Json check = changes;
                if (also_check.is_object())
                  for (auto& [k, v] : also_check.items()) check[k] = v;
                verify(check);
              },
              [=] {
                auto now = read();
                Json restore = Json::object();
                for (auto& [k, v] : old.items())
                  if (!now.contains(k) || now[k] != v) restore[k] = v;
                if (restore.empty()) return;
                write(restore);
                verify(restore);
              }};
}

// The fields of `want` that `table` can set and that differ from `cur`; the
// old values go to `old`.
Json diff_fields(const Json& want, const Json& cur, std::span<const Field> table, Json& old,
                 const std::set<std::string>& read_only) {
  Json changes = Json::object();
  old = Json::object();
  for (auto& [k, v] : want.items()) {
    if (read_only.count(k) || (k.size() > 4 && k.compare(k.size() - 4, 4, "-max") == 0)) continue;
    if (!find_field(table, k))
      throw std::invalid_argument(fmt::format("unknown setting \"{}\"", k));
    if (cur.contains(k) && cur[k] == v) continue;
    if (!cur.contains(k))
      throw nl::Error(fmt::format("{}: the device does not report this setting", k), EOPNOTSUPP);
    changes[k] = v;
    old[k] = cur[k];
  }
  return changes;
}

uint32_t rx_queue_count(const Json& ch) {
  return ch.value("combined-count", 0u) + ch.value("rx-count", 0u);
}

std::vector<uint32_t> as_u32(const Json& a) {
  std::vector<uint32_t> v;
  for (auto& x : a) v.push_back(x.get<uint32_t>());
  return v;
}

}  // namespace

std::vector<Step> plan_config(Context& c, const std::string& dev, const Json& want,
                              bool rss_reset) {
  if (!want.is_object()) throw std::invalid_argument("the configuration must be a JSON object");
  static const std::set<std::string> known = {
      "ofnic", "coalesce", "features", "rings", "channels", "rss",
      // parts of `show --json` that are state, not settings
      "ifname", "ifindex", "link", "queues", "page-pools", "xdp", "copy", "unsupported"};
  for (auto& [k, _] : want.items())
    if (!known.count(k)) throw std::invalid_argument(fmt::format("unknown section \"{}\"", k));
  std::vector<Step> steps;
  auto& et = c.ethtool();

  if (want.contains("ofnic")) {
    uint32_t idx = sys::ifindex_of(dev);
    auto* of = c.ofnic();
    if (!of && !is_ofnic(dev)) {
      auto drv = sys::driver_of(dev);
      throw nl::Error(
          fmt::format("{} is not an ofnic device (driver {})", dev, drv.empty() ? "none" : drv),
          EOPNOTSUPP);
    }
    if (!of) throw nl::Error("the ofnic netlink family is not registered (ofnic.ko)", ENOENT);
    auto cur = of->dev(idx);
    Json changes = Json::object(), old = Json::object();
    for (const char* k : {"lro-max-segs", "lro-timeout"}) {
      if (!want["ofnic"].contains(k) || want["ofnic"][k] == cur[k]) continue;
      changes[k] = want["ofnic"][k];
      old[k] = cur[k];
    }
    if (!changes.empty()) {
      auto read = [of, idx] { return of->dev(idx); };
      auto write = [of, idx](const Json& v) {
        auto opt = [&](const char* k) -> std::optional<uint32_t> {
          if (!v.contains(k)) return std::nullopt;
          return v[k].get<uint32_t>();
        };
        of->set_lro(idx, opt("lro-max-segs"), opt("lro-timeout"));
      };
      steps.push_back(field_step("lro", changes, old, read, write));
    }
  }

  if (want.contains("coalesce")) {
    Json old;
    auto changes =
        diff_fields(want["coalesce"], et.coalesce(dev), ethtool::coalesce_fields(), old, {});
    if (!changes.empty())
      steps.push_back(field_step(
          "coalesce", changes, old, [&et, dev] { return et.coalesce(dev); },
          [&et, dev](const Json& v) { et.set_coalesce(dev, v); }));
  }

  if (want.contains("features")) {
    auto cur = et.features(dev);
    // check: what was asked explicitly must be active afterwards, even if it
    // was already wanted (turning one feature off may take another with it).
    Json changes = Json::object(), old = Json::object(), check = Json::object();
    for (auto& [name, v] : want["features"].items()) {
      if (!cur.contains(name))
        throw std::invalid_argument(fmt::format(
            "{} has no feature \"{}\" (`ofnicctl -j show {}` lists them)", dev, name, dev));
      auto& f = cur[name];
      bool on;
      if (v.is_object()) {  // `show --json` form: the wanted state of changeable ones
        if (f["fixed"].get<bool>() || !v.contains("wanted")) continue;
        on = v["wanted"].get<bool>();
        if (on == f["wanted"].get<bool>()) continue;
      } else {
        on = v.get<bool>();
        check[name] = on;
        if (on == f["active"].get<bool>() && on == f["wanted"].get<bool>()) continue;
        if (f["fixed"].get<bool>())
          throw nl::Error(fmt::format("{}: {} is fixed {} on this device", dev, name,
                                      f["active"].get<bool>() ? "on" : "off"),
                          EOPNOTSUPP);
      }
      changes[name] = on;
      old[name] = f["wanted"];
    }
    if (!changes.empty()) {
      auto read = [&et, dev] {
        Json o = Json::object();
        auto feats = et.features(dev);
        for (auto& [k, v] : feats.items()) o[k] = v["active"];
        return o;
      };
      auto write = [&et, dev](const Json& v) {
        std::vector<std::pair<std::string, bool>> w;
        for (auto& [k, on] : v.items()) w.emplace_back(k, on.get<bool>());
        et.set_features(dev, w);
      };
      auto step = field_step("features", changes, old, read, write, {}, check);
      // Undo restores what was *wanted* before: a feature the kernel kept off
      // (rx-gro-hw without rx-checksum) may still be wanted from the request.
      step.undo = [&et, dev, old, write] {
        write(old);
        auto now = et.features(dev);
        for (auto& [k, v] : old.items())
          if (now[k]["wanted"] != v)
            throw std::runtime_error(fmt::format("features {}: wanted {}, reads back {}", k,
                                                 show_value(v), show_value(now[k]["wanted"])));
      };
      steps.push_back(step);
    }
  }

  if (want.contains("rings")) {
    auto cur = et.rings(dev);
    Json w = want["rings"];
    Json old;
    auto changes = diff_fields(w, cur, ethtool::rings_fields(), old, {"rx-buf-len"});
    // "unknown" (auto) is a request, not a state the device reads back.
    std::set<std::string> unchecked;
    if (changes.contains("tcp-data-split") && changes["tcp-data-split"] == "unknown")
      unchecked.insert("tcp-data-split");
    if (old.contains("tcp-data-split") && old["tcp-data-split"] == "unknown")
      old.erase("tcp-data-split");
    if (!changes.empty())
      steps.push_back(field_step(
          "rings", changes, old, [&et, dev] { return et.rings(dev); },
          [&et, dev](const Json& v) { et.set_rings(dev, v); }, unchecked));
  }

  // Channels and RSS: a smaller queue count must not be left pointed at by
  // the indirection table, so RSS goes first when shrinking, last when growing.
  std::optional<Step> ch_step, rss_step;
  Json cur_ch = Json::object();
  if (want.contains("channels") || want.contains("rss")) cur_ch = et.channels(dev);
  uint32_t new_rxq = rx_queue_count(cur_ch);
  if (want.contains("channels")) {
    Json old;
    auto changes = diff_fields(want["channels"], cur_ch, ethtool::channels_fields(), old, {});
    if (!changes.empty()) {
      Json merged = cur_ch;
      for (auto& [k, v] : changes.items()) merged[k] = v;
      new_rxq = rx_queue_count(merged);
      ch_step = field_step(
          "channels", changes, old, [&et, dev] { return et.channels(dev); },
          [&et, dev](const Json& v) { et.set_channels(dev, v); });
    }
  }
  Json rss_want = want.value("rss", Json::object());
  if (rss_reset && ch_step) rss_want = Json{{"default", true}};
  if (!rss_want.empty()) {
    auto cur = et.rss(dev);
    auto old_indir = as_u32(cur.value("indir", Json::array()));
    std::optional<nl::Bytes> old_key;
    if (cur.contains("key")) old_key = from_hex(cur["key"].get<std::string>());
    std::optional<std::vector<uint32_t>> indir;
    std::optional<nl::Bytes> key;
    std::string what = "rss:";
    if (rss_want.value("default", false)) {
      indir = std::vector<uint32_t>{};
      what += " indirection table -> driver default";
    } else if (rss_want.contains("indir")) {
      auto v = as_u32(rss_want["indir"]);
      if (v != old_indir) {
        for (auto q : v)
          if (q >= new_rxq)
            throw std::invalid_argument(fmt::format(
                "the indirection table names queue {}, {} has {} RX queues", q, dev, new_rxq));
        indir = v;
        auto wj = format::rss_weights(rss_want["indir"]);
        std::string ws;
        for (auto& [q, n] : wj.items()) ws += fmt::format(" {}:{}", q, n.get<uint64_t>());
        what += " queue:entries" + ws;
      }
    }
    if (rss_want.contains("key")) {
      auto k = from_hex(rss_want["key"].get<std::string>());
      if (!old_key || k != *old_key) {
        key = k;
        what += " key -> " + to_hex(nl::ByteView(k), ':');
      }
    }
    if (indir || key) {
      // The table before was the driver's own spread: restore that, not a copy.
      bool was_default =
          old_indir == ethtool::indir_equal(old_indir.size(), rx_queue_count(cur_ch));
      auto read_rss = [&et, dev] { return et.rss(dev); };
      rss_step =
          Step{what,
               [=] {
                 ethtool::ioctl_set_rss(dev, indir, key);
                 auto now = read_rss();
                 if (indir && !indir->empty() && as_u32(now["indir"]) != *indir)
                   throw std::runtime_error("rss: the indirection table does not read back as set");
                 if (key && from_hex(now.value("key", "")) != *key)
                   throw std::runtime_error("rss: the key does not read back as set");
               },
               [=] {
                 auto now = read_rss();
                 std::optional<std::vector<uint32_t>> ri;
                 std::optional<nl::Bytes> rk;
                 if (as_u32(now.value("indir", Json::array())) != old_indir)
                   ri = was_default ? std::vector<uint32_t>{} : old_indir;
                 if (old_key && from_hex(now.value("key", "")) != *old_key) rk = old_key;
                 if (ri || rk) ethtool::ioctl_set_rss(dev, ri, rk);
               }};
    }
  }
  bool shrinking = new_rxq < rx_queue_count(cur_ch);
  if (shrinking) {
    if (rss_step) steps.push_back(*rss_step);
    if (ch_step) steps.push_back(*ch_step);
  } else {
    if (ch_step) steps.push_back(*ch_step);
    if (rss_step) steps.push_back(*rss_step);
  }
  return steps;
}

// ---- running -----------------------------------------------------------------------------

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) { g_stop = true; }

void print_json(FILE* out, const Json& j, bool pretty) {
  fmt::print(out, "{}\n", j.dump(pretty ? 2 : -1));
}

Json read_json_file(const std::string& path) {
  std::stringstream ss;
  if (path == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream f(path);
    if (!f) throw nl::Error(fmt::format("{}: {}", path, std::strerror(errno)), errno);
    ss << f.rdbuf();
  }
  try {
    return Json::parse(ss.str());
  } catch (const Json::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}: not JSON: {}", path, e.what()));
  }
}

int apply_steps(const std::string& dev, const std::vector<Step>& steps, bool dry_run, FILE* out) {
  if (steps.empty()) {
    fmt::print(out, "{}: nothing to change\n", dev);
    return kExitOk;
  }
  if (dry_run) {
    for (auto& s : steps) fmt::print(out, "{}: would set {}\n", dev, s.what);
    return kExitOk;
  }
  run_plan(steps, [&](const std::string& what) { fmt::print(out, "{}: {}\n", dev, what); });
  return kExitOk;
}

Json want_from_options(Context& c, const Options& o) {
  Json w = Json::object();
  switch (o.cmd) {
    case Cmd::SetChannels: {
      Json ch = Json::object();
      if (o.combined) ch["combined-count"] = *o.combined;
      if (o.rx_channels) ch["rx-count"] = *o.rx_channels;
      if (o.tx_channels) ch["tx-count"] = *o.tx_channels;
      if (o.other_channels) ch["other-count"] = *o.other_channels;
      w["channels"] = ch;
      break;
    }
    case Cmd::SetRings: {
      Json r = Json::object();
      if (o.rx_ring) r["rx"] = *o.rx_ring;
      if (o.tx_ring) r["tx"] = *o.tx_ring;
      if (o.tcp_data_split)
        r["tcp-data-split"] = *o.tcp_data_split == "on"    ? "enabled"
                              : *o.tcp_data_split == "off" ? "disabled"
                                                           : "unknown";
      w["rings"] = r;
      break;
    }
    case Cmd::SetCoalesce: {
      Json r = Json::object();
      if (o.rx_usecs) r["rx-usecs"] = *o.rx_usecs;
      if (o.rx_frames) r["rx-max-frames"] = *o.rx_frames;
      if (o.tx_usecs) r["tx-usecs"] = *o.tx_usecs;
      if (o.tx_frames) r["tx-max-frames"] = *o.tx_frames;
      if (o.adaptive_rx) r["use-adaptive-rx"] = *o.adaptive_rx == "on";
      if (o.adaptive_tx) r["use-adaptive-tx"] = *o.adaptive_tx == "on";
      w["coalesce"] = r;
      break;
    }
    case Cmd::SetOffload: {
      auto cur = c.ethtool().features(o.dev);
      Json f = Json::object();
      for (auto& [given, on] : parse_offload_args(o.offload_args)) {
        auto names = expand_feature_alias(given);
        if (names.size() > 1) {  // a group: the members this device can change
          std::vector<std::string> keep;
          for (auto& n : names)
            if (cur.contains(n) && !cur[n]["fixed"].get<bool>()) keep.push_back(n);
          if (keep.empty())
            throw nl::Error(fmt::format("{}: {} cannot be changed on this device", o.dev, given),
                            EOPNOTSUPP);
          names = keep;
        }
        for (auto& n : names) f[n] = on;
      }
      w["features"] = f;
      break;
    }
    case Cmd::SetRss: {
      auto rss = c.ethtool().rss(o.dev);
      size_t size = rss.value("indir", Json::array()).size();
      Json r = Json::object();
      if (o.rss_default) r["default"] = true;
      if (o.rss_equal || !o.rss_weights.empty()) {
        if (!size)
          throw nl::Error(fmt::format("{} has no RSS indirection table", o.dev), EOPNOTSUPP);
        uint32_t rxq = rx_queue_count(c.ethtool().channels(o.dev));
        size_t n = o.rss_equal ? *o.rss_equal : o.rss_weights.size();
        if (n > rxq)
          throw std::invalid_argument(fmt::format(
              "{} has {} RX queues: cannot spread over {} (`ofnicctl set channels` first)", o.dev,
              rxq, n));
        Json a = Json::array();
        for (auto q : o.rss_equal ? ethtool::indir_equal(size, *o.rss_equal)
                                  : ethtool::indir_weighted(size, o.rss_weights))
          a.push_back(q);
        r["indir"] = a;
      }
      if (o.rss_key) r["key"] = to_hex(nl::ByteView(from_hex(*o.rss_key)), ':');
      w["rss"] = r;
      break;
    }
    case Cmd::SetLro: {
      Json r = Json::object();
      if (o.lro_max_segs) r["lro-max-segs"] = *o.lro_max_segs;
      if (o.lro_timeout) r["lro-timeout"] = *o.lro_timeout;
      w["ofnic"] = r;
      break;
    }
    default:
      break;
  }
  return w;
}

// Per-queue (packets, bytes) of both directions from the best source there is.
struct Sample {
  std::chrono::steady_clock::time_point t;
  std::string source;
  std::map<std::string, std::array<uint64_t, 4>> q;  // rx pkts, rx bytes, tx pkts, tx bytes
};

Sample take_sample(Context& c, const std::string& dev) {
  Sample s;
  auto st = collect_stats(c, dev, false);
  s.t = std::chrono::steady_clock::now();
  const char* src = nullptr;
  for (const char* cand : {"netdev", "ofnic"}) {
    for (auto& q : st["queues"])
      if (q.contains(cand) && q[cand].contains("rx-packets")) src = cand;
    if (src) break;
  }
  if (src) {
    s.source = std::string(src == std::string("netdev") ? "qstats" : "ofnic");
    for (auto& q : st["queues"]) {
      if (!q.contains(src)) continue;
      auto& m = q[src];
      s.q[std::to_string(q["id"].get<uint64_t>())] = {
          m.value("rx-packets", uint64_t{0}), m.value("rx-bytes", uint64_t{0}),
          m.value("tx-packets", uint64_t{0}), m.value("tx-bytes", uint64_t{0})};
    }
  } else {
    s.source = "device totals (no per-queue counters)";
    auto& t = st["device"]["sysfs"];
    s.q["all"] = {t.value("rx-packets", uint64_t{0}), t.value("rx-bytes", uint64_t{0}),
                  t.value("tx-packets", uint64_t{0}), t.value("tx-bytes", uint64_t{0})};
  }
  return s;
}

Json rates(const std::string& dev, const Sample& a, const Sample& b) {
  double dt = std::chrono::duration<double>(b.t - a.t).count();
  if (dt <= 0) dt = 1e-9;
  Json qs = Json::array();
  double tot[4] = {0, 0, 0, 0};
  for (auto& [id, v] : b.q) {
    auto it = a.q.find(id);
    if (it == a.q.end()) continue;
    double r[4];
    for (int i = 0; i < 4; i++) {
      double d = v[i] >= it->second[i] ? double(v[i] - it->second[i]) : 0.0;
      r[i] = d / dt * (i % 2 ? 8.0 : 1.0);  // bytes -> bits
      tot[i] += r[i];
    }
    Json e = Json::object();
    if (id == "all")
      e["id"] = "all";
    else
      e["id"] = std::stoul(id);
    e["rx-pps"] = r[0];
    e["rx-bps"] = r[1];
    e["tx-pps"] = r[2];
    e["tx-bps"] = r[3];
    qs.push_back(e);
  }
  return Json{
      {"ifname", dev},
      {"time",
       std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count()},
      {"interval", dt},
      {"source", b.source},
      {"queues", qs},
      {"total", {{"rx-pps", tot[0]}, {"rx-bps", tot[1]}, {"tx-pps", tot[2]}, {"tx-bps", tot[3]}}}};
}

int watch(Context& c, const Options& o, FILE* out) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  bool tty = !o.json && isatty(fileno(out));
  if (tty) fmt::print(out, "\x1b[?25l");  // hide the cursor while redrawing
  auto prev = take_sample(c, o.dev);
  unsigned frames = 0;
  int rc = kExitOk;
  while (!g_stop && (o.count == 0 || frames < o.count)) {
    auto until = prev.t + std::chrono::duration<double>(o.interval);
    while (!g_stop && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (g_stop) break;
    Sample cur;
    try {
      cur = take_sample(c, o.dev);
    } catch (...) {
      rc = kExitFailed;
      if (tty) fmt::print(out, "\x1b[?25h");
      throw;
    }
    auto r = rates(o.dev, prev, cur);
    if (o.json) {
      print_json(out, r, false);  // one object per line (NDJSON)
    } else if (tty) {
      fmt::print(out, "\x1b[H\x1b[J{}", format::rates_table(r));  // home, clear, redraw
    } else {
      fmt::print(out, "{}\n", format::rates_table(r));
    }
    fflush(out);
    prev = cur;
    frames++;
  }
  if (tty) fmt::print(out, "\x1b[?25h");
  return rc;
}

}  // namespace

int run(const Options& o, FILE* out) {
  Context c;
  switch (o.cmd) {
    case Cmd::Show: {
      auto j = o.dev.empty() ? collect_list(c) : collect_show(c, o.dev);
      if (o.json)
        print_json(out, j, o.pretty);
      else
        fmt::print(out, "{}", o.dev.empty() ? format::show_list(j) : format::show(j));
      return kExitOk;
    }
    case Cmd::Stats: {
      if (o.watch) return watch(c, o, out);
      auto j = collect_stats(c, o.dev, o.driver_stats);
      if (o.json)
        print_json(out, j, o.pretty);
      else
        fmt::print(out, "{}",
                   o.all || o.driver_stats ? format::stats_all(j) : format::stats_table(j));
      return kExitOk;
    }
    case Cmd::SetChannels:
    case Cmd::SetRings:
    case Cmd::SetOffload:
    case Cmd::SetCoalesce:
    case Cmd::SetRss:
    case Cmd::SetLro: {
      sys::ifindex_of(o.dev);
      auto steps = plan_config(c, o.dev, want_from_options(c, o), o.rss_reset);
      return apply_steps(o.dev, steps, false, out);
    }
    case Cmd::Apply: {
      sys::ifindex_of(o.dev);
      auto steps = plan_config(c, o.dev, read_json_file(o.file));
      return apply_steps(o.dev, steps, o.dry_run, out);
    }
    case Cmd::XdpLoad: {
      auto idx = sys::ifindex_of(o.dev);
      std::optional<uint32_t> before;
      auto st0 = xdp::status(idx);
      if (!st0["programs"].empty()) before = st0["programs"][0]["id"].get<uint32_t>();
      xdp::LoadOptions lo{o.object, o.program, *xdp::parse_mode(o.mode), o.replace};
      auto st = xdp::load(idx, lo);
      auto& p = st["programs"][0];
      fmt::print(out, "{}: {} (id {}) attached in {} mode{}\n", o.dev, p.value("name", "?"),
                 p["id"].get<uint32_t>(), p["mode"].get<std::string>(),
                 before ? fmt::format(", replacing id {}", *before) : "");
      return kExitOk;
    }
    case Cmd::XdpUnload: {
      auto idx = sys::ifindex_of(o.dev);
      xdp::unload(idx);
      fmt::print(out, "{}: XDP program detached\n", o.dev);
      return kExitOk;
    }
    case Cmd::XdpStatus: {
      Json list = Json::array();
      std::vector<std::string> devs;
      if (o.dev.empty())
        devs = sys::interfaces();
      else
        devs.push_back(o.dev);
      for (auto& d : devs) {
        auto idx = sys::ifindex_of(d);
        list.push_back({{"ifname", d}, {"ifindex", idx}, {"xdp", xdp::status(idx)}});
      }
      Json j = {{"interfaces", list}};
      if (o.json)
        print_json(out, j, o.pretty);
      else
        fmt::print(out, "{}", format::xdp_status(j));
      return kExitOk;
    }
    case Cmd::XdpMap: {
      auto idx = sys::ifindex_of(o.dev);
      auto m = xdp::maps(idx, o.map_name, o.all, o.max_entries);
      if (o.json)
        print_json(out, Json{{"ifname", o.dev}, {"maps", m}}, o.pretty);
      else
        fmt::print(out, "{}", format::xdp_maps(m));
      return kExitOk;
    }
    case Cmd::CopyStatus: {
      auto j = families::copy_status(c.sock());
      if (o.json)
        print_json(out, j, o.pretty);
      else
        fmt::print(out, "{}", format::copy_status(j));
      return kExitOk;
    }
    case Cmd::CopyEnable:
    case Cmd::CopyDisable: {
      families::copy_set(c.sock(), o.cmd == Cmd::CopyEnable, o.copybreak);
      fmt::print(out, "ofcopy: {}{}\n", o.cmd == Cmd::CopyEnable ? "enabled" : "disabled",
                 o.copybreak ? fmt::format(", copybreak {}", *o.copybreak) : "");
      return kExitOk;
    }
    case Cmd::None:
      break;
  }
  return kExitUsage;
}

}  // namespace ofnicctl
