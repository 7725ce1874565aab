#include "format.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ofnicctl::format {

namespace {

std::string str(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "on" : "off";
  if (v.is_null()) return "-";
  return v.dump();
}

// "k v k v ..." of an object's members (booleans as on/off).
std::string kv_line(const Json& o, const std::vector<std::string>& skip = {}) {
  std::string s;
  for (auto& [k, v] : o.items()) {
    if (std::find(skip.begin(), skip.end(), k) != skip.end()) continue;
    if (!s.empty()) s += " ";
    s += fmt::format("{} {}", k, str(v));
  }
  return s;
}

std::string join(const Json& arr, const char* sep = " ") {
  std::string s;
  for (auto& v : arr) {
    if (!s.empty()) s += sep;
    s += str(v);
  }
  return s;
}

const Json* get(const Json& o, const char* k) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(k);
  return it == o.end() ? nullptr : &*it;
}

uint64_t num(const Json& o, const char* k, uint64_t def = 0) {
  auto* v = get(o, k);
  return v && v->is_number() ? v->get<uint64_t>() : def;
}

}  // namespace

std::string human(double v) {
  if (v < 10000) return fmt::format("{:.0f}", v);
  if (v < 10e6) return fmt::format("{:.1f}k", v / 1e3);
  if (v < 10e9) return fmt::format("{:.1f}M", v / 1e6);
  return fmt::format("{:.1f}G", v / 1e9);
}

Json offload_summary(const Json& features) {
  static const std::vector<std::pair<const char*, std::vector<const char*>>> names = {
      {"rx-checksum", {"rx-checksum"}},
      {"tx-checksum", {"tx-checksum-ip-generic", "tx-checksum-ipv4", "tx-checksum-ipv6"}},
      {"sg", {"tx-scatter-gather"}},
      {"tso", {"tx-tcp-segmentation", "tx-tcp6-segmentation"}},
      {"gso", {"tx-generic-segmentation"}},
      {"gro", {"rx-gro"}},
      {"gro-hw", {"rx-gro-hw"}},
      {"lro", {"rx-lro"}},
      {"rxhash", {"rx-hashing"}},
  };
  Json out = Json::array();
  for (auto& [label, feats] : names) {
    bool any = false, on = false, fixed = true;
    for (auto* f : feats) {
      auto* e = get(features, f);
      if (!e) continue;
      any = true;
      on |= e->value("active", false);
      fixed &= e->value("fixed", true);
    }
    if (any) out.push_back({{"name", label}, {"state", on ? "on" : "off"}, {"fixed", fixed}});
  }
  return out;
}

Json rss_weights(const Json& indir) {
  std::map<uint64_t, uint64_t> w;
  for (auto& q : indir) w[q.get<uint64_t>()]++;
  Json out = Json::object();
  for (auto& [q, n] : w) out[std::to_string(q)] = n;
  return out;
}

std::string show(const Json& d) {
  std::string s;
  auto& link = d["link"];
  s += fmt::format("{}: ifindex {}  driver {}  {}", d.value("ifname", "?"), num(d, "ifindex"),
                   str(link.value("driver", Json(nullptr))), str(link.value("operstate", Json())));
  if (auto* c = get(link, "carrier"); c && !c->is_null())
    s += fmt::format("  carrier {}", c->get<bool>() ? "on" : "off");
  s += fmt::format("  mtu {}  {}", str(link.value("mtu", Json())),
                   str(link.value("address", Json())));
  if (auto* b = get(link, "bus-addr"); b && !b->is_null()) s += "  " + str(*b);
  s += "\n";
  if (auto* o = get(d, "ofnic")) {
    auto ver = num(*o, "hw-version");
    s += fmt::format("  device: ofnic {}.{}, {} queue pairs ({} in use), features {}\n", ver >> 16,
                     ver & 0xffff, num(*o, "max-queues"), num(*o, "queues"),
                     join(o->value("hw-features", Json::array())));
  }
  if (auto* c = get(d, "channels")) {
    std::string line;
    for (const char* k : {"combined", "rx", "tx", "other"}) {
      auto cnt = get(*c, (std::string(k) + "-count").c_str());
      auto max = get(*c, (std::string(k) + "-max").c_str());
      if (!cnt && !max) continue;
      if (max && max->get<uint64_t>() == 0 && (!cnt || cnt->get<uint64_t>() == 0)) continue;
      line += fmt::format("{}{} {} (max {})", line.empty() ? "" : ", ", k, cnt ? str(*cnt) : "0",
                          max ? str(*max) : "-");
    }
    s += fmt::format("  channels: {}\n", line.empty() ? "none" : line);
  }
  if (auto* r = get(d, "rings")) {
    s += fmt::format("  rings: rx {} (max {}), tx {} (max {})", str(r->value("rx", Json())),
                     str(r->value("rx-max", Json())), str(r->value("tx", Json())),
                     str(r->value("tx-max", Json())));
    if (auto* b = get(*r, "rx-buf-len")) s += fmt::format(", rx-buf-len {}", str(*b));
    if (auto* h = get(*r, "tcp-data-split")) s += fmt::format(", tcp-data-split {}", str(*h));
    s += "\n";
  }
  if (auto* c = get(d, "coalesce")) s += fmt::format("  coalesce: {}\n", kv_line(*c));
  if (auto* f = get(d, "features")) {
    std::string line;
    for (auto& o : offload_summary(*f))
      line += fmt::format("{}{} {}{}", line.empty() ? "" : ", ", o["name"].get<std::string>(),
                          o["state"].get<std::string>(), o["fixed"].get<bool>() ? " [fixed]" : "");
    s += fmt::format("  offloads: {}\n", line);
  }
  if (auto* r = get(d, "rss")) {
    s += fmt::format("  rss: {}", str(r->value("hfunc", Json("?"))));
    if (auto* ind = get(*r, "indir")) {
      std::string w;
      auto weights = rss_weights(*ind);
      for (auto& [q, n] : weights.items())
        w += fmt::format("{}{}:{}", w.empty() ? "" : " ", q, n.get<uint64_t>());
      s += fmt::format(", {} entries, queue:entries {}", ind->size(), w);
    }
    if (auto* k = get(*r, "key")) s += fmt::format("\n       key {}", str(*k));
    s += "\n";
  }
  if (auto* q = get(d, "queues"); q && !q->empty()) {
    s += "  queues:";
    for (auto& e : *q) {
      s += fmt::format(" {}{}", str(e.value("type", Json("?"))), num(e, "id"));
      std::vector<std::string> parts;
      if (auto* n = get(e, "napi-id")) parts.push_back("napi " + str(*n));
      if (auto* i = get(e, "irq")) parts.push_back("irq " + str(*i));
      if (auto* c = get(e, "cpus")) parts.push_back("cpus " + str(*c));
      if (!parts.empty()) s += "(" + fmt::format("{}", fmt::join(parts, " ")) + ")";
    }
    s += "\n";
  }
  if (auto* p = get(d, "page-pools"); p && !p->empty()) {
    uint64_t inflight = 0, mem = 0;
    for (auto& e : *p) {
      inflight += num(e, "inflight");
      mem += num(e, "inflight-mem");
    }
    s += fmt::format("  page pools: {}, {} pages in flight ({} bytes)\n", p->size(), inflight, mem);
  }
  if (auto* o = get(d, "ofnic")) {
    s += fmt::format("  lro tuning: max-segs {}, timeout {} us, max-len {}\n",
                     num(*o, "lro-max-segs"), num(*o, "lro-timeout"), num(*o, "lro-max-len"));
    s += fmt::format("  device errors: {} (last: {} on {} queue {}), queue resets {}\n",
                     num(*o, "err-count"), str(o->value("err-last-code", Json("none"))),
                     str(o->value("err-last-dir", Json("-"))), num(*o, "err-last-queue"),
                     num(*o, "reset-count"));
  }
  if (auto* x = get(d, "xdp")) {
    std::string att = "none attached";
    if (auto* st = get(*x, "status"); st && st->value("attached", false)) {
      att.clear();
      for (auto& p : (*st)["programs"])
        att += fmt::format("{}{} (id {}) in {} mode", att.empty() ? "" : ", ",
                           str(p.value("name", Json("?"))), num(p, "id"),
                           str(p.value("mode", Json("?"))));
    }
    s += fmt::format("  xdp: {}; features: {}\n", att,
                     x->contains("features") ? join((*x)["features"]) : "-");
  }
  if (auto* c = get(d, "copy")) {
    auto state = [](const Json& m, const char* name) {
      if (!m.value("loaded", false)) return fmt::format("{} not loaded", name);
      std::string how = m.contains("source") ? str(m["source"]) : "no netlink family";
      if (auto* e = get(m, "enabled"); e && e->is_boolean())
        how += e->get<bool>() ? ", enabled" : ", disabled";
      return fmt::format("{} loaded ({})", name, how);
    };
    s += fmt::format("  copy offload: {}, {}\n", state((*c)["ofdma"], "ofdma"),
                     state((*c)["ofcopy"], "ofcopy"));
  }
  if (auto* u = get(d, "unsupported"); u && !u->empty()) {
    s += "  n/a:";
    for (auto& [k, v] : u->items()) s += fmt::format(" {} ({})", k, str(v));
    s += "\n";
  }
  return s;
}

std::string show_list(const Json& list) {
  std::string s = fmt::format("{:<16} {:>7} {:<12} {:<10} {:>6}  {}\n", "interface", "ifindex",
                              "driver", "state", "mtu", "xdp");
  for (auto& e : list["interfaces"])
    s += fmt::format("{:<16} {:>7} {:<12} {:<10} {:>6}  {}\n", str(e["ifname"]), num(e, "ifindex"),
                     str(e.value("driver", Json("-"))), str(e.value("operstate", Json("-"))),
                     str(e.value("mtu", Json("-"))), str(e.value("xdp", Json("-"))));
  return s;
}

namespace {

// Column value of a queue: the first of `keys` found in the queue's netdev
// qstats or ofnic counters.
Json col(const Json& q, const std::vector<const char*>& keys) {
  for (auto* k : keys) {
    for (const char* src : {"netdev", "ofnic"}) {
      if (auto* m = get(q, src))
        if (auto* v = get(*m, k)) return *v;
    }
  }
  return nullptr;
}

}  // namespace

std::string stats_table(const Json& st) {
  struct C {
    const char* head;
    std::vector<const char*> keys;
  };
  static const std::vector<C> cols = {
      {"rx-packets", {"rx-packets"}},
      {"rx-bytes", {"rx-bytes"}},
      {"tx-packets", {"tx-packets"}},
      {"tx-bytes", {"tx-bytes"}},
      {"gro-hw", {"rx-hw-gro-packets", "rx-lro-packets"}},
      {"gro-segs", {"rx-hw-gro-wire-packets", "rx-lro-segs"}},
      {"tso", {"tx-hw-gso-packets", "tx-tso-packets"}},
      {"tso-segs", {"tx-hw-gso-wire-packets", "tx-tso-segs"}},
      {"hds", {"rx-hds-packets"}},
      {"csum-bad", {"rx-csum-bad"}},
      {"rx-drops", {"rx-drops"}},
      {"restarts", {"restarts"}},
      {"xdp-drop", {"rx-xdp-drop"}},
  };
  auto& queues = st["queues"];
  // Only columns some queue has.
  std::vector<const C*> use;
  for (auto& c : cols)
    for (auto& q : queues)
      if (!col(q, c.keys).is_null()) {
        use.push_back(&c);
        break;
      }
  std::string s =
      fmt::format("{}: per-queue statistics ({})\n", st.value("ifname", "?"),
                  st.value("sources", Json::array()).empty() ? std::string("none")
                                                             : join(st["sources"], " + "));
  if (queues.empty()) {
    s += "  no per-queue counters";
    if (auto* t = get(st, "device")) s += "; device totals: " + kv_line(*t);
    return s + "\n";
  }
  s += fmt::format("{:>5}", "queue");
  for (auto* c : use) s += fmt::format(" {:>11}", c->head);
  s += "\n";
  std::vector<uint64_t> total(use.size(), 0);
  for (auto& q : queues) {
    s += fmt::format("{:>5}", num(q, "id"));
    for (size_t i = 0; i < use.size(); i++) {
      auto v = col(q, use[i]->keys);
      if (v.is_number()) total[i] += v.get<uint64_t>();
      s += fmt::format(" {:>11}", v.is_number() ? std::to_string(v.get<uint64_t>()) : str(v));
    }
    s += "\n";
  }
  s += fmt::format("{:>5}", "total");
  for (auto t : total) s += fmt::format(" {:>11}", t);
  return s + "\n";
}

std::string stats_all(const Json& st) {
  std::string s;
  for (auto& q : st["queues"]) {
    s += fmt::format("queue {}:\n", num(q, "id"));
    for (const char* src : {"netdev", "ofnic"})
      if (auto* m = get(q, src))
        for (auto& [k, v] : m->items())
          if (k != "id" && k != "queue-id") s += fmt::format("  {:<8} {:<24} {}\n", src, k, str(v));
  }
  if (auto* d = get(st, "device"))
    for (auto& [src, m] : d->items()) {
      s += fmt::format("device ({}):\n", src);
      for (auto& [k, v] : m.items()) s += fmt::format("  {:<32} {}\n", k, str(v));
    }
  if (auto* dr = get(st, "driver")) {
    s += "driver (ethtool -S):\n";
    for (auto& [k, v] : dr->items()) s += fmt::format("  {:<32} {}\n", k, str(v));
  }
  return s;
}

std::string rates_table(const Json& r) {
  std::string s = fmt::format("{}: per-queue rates over {:.1f} s ({})\n", r.value("ifname", "?"),
                              r.value("interval", 0.0), r.value("source", "?"));
  s += fmt::format("{:>5} {:>12} {:>12} {:>12} {:>12}\n", "queue", "rx-pps", "rx-Mbit/s", "tx-pps",
                   "tx-Mbit/s");
  auto row = [](const std::string& name, const Json& q) {
    return fmt::format("{:>5} {:>12} {:>12.2f} {:>12} {:>12.2f}\n", name,
                       human(q.value("rx-pps", 0.0)), q.value("rx-bps", 0.0) / 1e6,
                       human(q.value("tx-pps", 0.0)), q.value("tx-bps", 0.0) / 1e6);
  };
  for (auto& q : r["queues"]) s += row(std::to_string(num(q, "id")), q);
  s += row("total", r["total"]);
  return s;
}

std::string xdp_status(const Json& st) {
  std::string s;
  for (auto& d : st["interfaces"]) {
    auto& x = d["xdp"];
    if (!x.value("attached", false)) {
      s += fmt::format("{}: no XDP program\n", str(d["ifname"]));
      continue;
    }
    for (auto& p : x["programs"]) {
      s += fmt::format("{}: {} mode: {} (id {}, tag {})\n", str(d["ifname"]), str(p["mode"]),
                       str(p.value("name", Json("?"))), num(p, "id"),
                       str(p.value("tag", Json("?"))));
      for (auto& m : p.value("maps", Json::array()))
        s += fmt::format("  map {} (id {}): {}, key {} B, value {} B, {} entries\n",
                         str(m.value("name", Json("?"))), num(m, "id"),
                         str(m.value("type", Json("?"))), num(m, "key-size"), num(m, "value-size"),
                         num(m, "max-entries"));
    }
  }
  return s;
}

std::string xdp_maps(const Json& maps) {
  std::string s;
  for (auto& m : maps) {
    s += fmt::format("map {} (id {}, {}):", str(m.value("name", Json("?"))), num(m, "id"),
                     str(m.value("type", Json("?"))));
    if (auto* n = get(m, "note")) {
      s += " " + str(*n) + "\n";
      continue;
    }
    auto& e = m["entries"];
    s += e.empty() ? " no entries\n" : "\n";
    for (auto& x : e) s += fmt::format("  {} => {}\n", x["key"].dump(), x["value"].dump());
    if (m.value("truncated", false)) s += "  ... (more entries: --max)\n";
  }
  return s;
}

std::string copy_status(const Json& st) {
  std::string s;
  auto& d = st["ofdma"];
  if (!d.value("loaded", false)) {
    s += "ofdma: not loaded\n";
  } else {
    s += d.contains("source") ? fmt::format("ofdma: loaded, counters from {}\n", str(d["source"]))
                              : std::string("ofdma: loaded\n");
    if (auto* n = get(d, "note")) s += "  " + str(*n) + "\n";
    for (auto& c : d.value("channels", Json::array())) {
      s += fmt::format("  {} {} chan {}: {}", str(c.value("bus-addr", Json("?"))),
                       str(c.value("name", Json("?"))), num(c, "chan-id"),
                       str(c.value("state", Json("?"))));
      if (auto* e = get(c, "error"); e && e->is_string() && *e != "none") s += " error " + str(*e);
      if (auto* u = get(c, "in-use")) s += " in-use " + str(*u);
      if (auto* stt = get(c, "stats")) s += "\n    " + kv_line(*stt);
      s += "\n";
    }
  }
  for (auto& c : d.value("dmaengine", Json::array()))
    s += fmt::format("  dmaengine {}: {}\n", str(c["name"]), kv_line(c, {"name"}));
  auto& c = st["ofcopy"];
  if (!c.value("loaded", false)) {
    s += "ofcopy: not loaded\n";
  } else {
    s += fmt::format(
        "ofcopy: loaded{}{}\n",
        c.contains("enabled") ? (c["enabled"].get<bool>() ? ", enabled" : ", disabled") : "",
        c.contains("source") ? ", counters from " + str(c["source"]) : "");
    if (auto* n = get(c, "note")) s += "  " + str(*n) + "\n";
    if (c.contains("copybreak") || c.contains("channels"))
      s += "  " + kv_line(c, {"loaded", "source", "stats", "enabled", "note"}) + "\n";
    if (auto* stt = get(c, "stats"))
      for (auto& [k, v] : stt->items()) s += fmt::format("  {:<28} {}\n", k, str(v));
  }
  return s;
}

}  // namespace ofnicctl::format
