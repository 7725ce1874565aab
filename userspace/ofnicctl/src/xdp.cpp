#include "xdp.hpp"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "fields.hpp"

namespace ofnicctl::xdp {

namespace {

std::string g_kernel_msg;

int capture_print(enum libbpf_print_level level, const char* fmt, va_list ap) {
  char buf[1024];
  vsnprintf(buf, sizeof(buf), fmt, ap);
  std::string line(buf);
  static const std::string tag = "Kernel error message: ";
  if (auto p = line.find(tag); p != std::string::npos) {
    g_kernel_msg = line.substr(p + tag.size());
    while (!g_kernel_msg.empty() && g_kernel_msg.back() == '\n') g_kernel_msg.pop_back();
  }
  if (level == LIBBPF_WARN && getenv("OFNICCTL_DEBUG")) fputs(buf, stderr);
  return 0;
}

struct LibbpfLog {
  LibbpfLog() {
    g_kernel_msg.clear();
    libbpf_set_print(capture_print);
  }
};

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

struct ObjectCloser {
  void operator()(bpf_object* o) const { bpf_object__close(o); }
};
struct BtfFree {
  void operator()(btf* b) const { btf__free(b); }
};

[[noreturn]] void fail(const std::string& what, int err) {
  throw Error(fmt::format("{}: {}", what, std::strerror(err)), err, g_kernel_msg);
}

std::string tag_hex(const uint8_t* tag) { return to_hex(nl::ByteView(tag, BPF_TAG_SIZE)); }

Json map_summary(uint32_t id) {
  Fd fd(bpf_map_get_fd_by_id(id));
  if (fd.fd < 0) return Json{{"id", id}};
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.fd, &info, &len)) return Json{{"id", id}};
  const char* type = libbpf_bpf_map_type_str(static_cast<bpf_map_type>(info.type));
  return Json{{"id", id},
              {"name", info.name},
              {"type", type ? type : "unknown"},
              {"key-size", info.key_size},
              {"value-size", info.value_size},
              {"max-entries", info.max_entries}};
}

std::vector<uint32_t> prog_map_ids(int fd) {
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) return {};
  std::vector<uint32_t> ids(info.nr_map_ids);
  if (ids.empty()) return ids;
  bpf_prog_info again{};
  again.nr_map_ids = static_cast<uint32_t>(ids.size());
  again.map_ids = reinterpret_cast<uint64_t>(ids.data());
  len = sizeof(again);
  if (bpf_obj_get_info_by_fd(fd, &again, &len)) return {};
  ids.resize(again.nr_map_ids);
  return ids;
}

Json prog_json(uint32_t id, const char* mode) {
  Json p = {{"id", id}, {"mode", mode}};
  Fd fd(bpf_prog_get_fd_by_id(id));
  if (fd.fd < 0) return p;
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.fd, &info, &len)) return p;
  p["name"] = info.name;
  p["tag"] = tag_hex(info.tag);
  const char* type = libbpf_bpf_prog_type_str(static_cast<bpf_prog_type>(info.type));
  p["type"] = type ? type : "unknown";
  if (info.run_cnt) {
    p["run-count"] = info.run_cnt;
    p["run-time-ns"] = info.run_time_ns;
  }
  Json maps = Json::array();
  for (auto mid : prog_map_ids(fd.fd)) maps.push_back(map_summary(mid));
  p["maps"] = maps;
  return p;
}

bpf_xdp_query_opts query(uint32_t ifindex) {
  LIBBPF_OPTS(bpf_xdp_query_opts, q);
  int err = bpf_xdp_query(static_cast<int>(ifindex), 0, &q);
  if (err) fail("XDP query", -err);
  return q;
}

// The attached program's id and XDP_FLAGS_*_MODE, if any.
std::optional<std::pair<uint32_t, uint32_t>> attached(const bpf_xdp_query_opts& q) {
  if (q.drv_prog_id) return std::make_pair(q.drv_prog_id, uint32_t{XDP_FLAGS_DRV_MODE});
  if (q.skb_prog_id) return std::make_pair(q.skb_prog_id, uint32_t{XDP_FLAGS_SKB_MODE});
  if (q.hw_prog_id) return std::make_pair(q.hw_prog_id, uint32_t{XDP_FLAGS_HW_MODE});
  return std::nullopt;
}

}  // namespace

std::optional<Mode> parse_mode(const std::string& s) {
  if (s == "auto") return Mode::Auto;
  if (s == "native" || s == "drv") return Mode::Native;
  if (s == "generic" || s == "skb") return Mode::Generic;
  return std::nullopt;
}

const char* mode_name(uint32_t m) {
  switch (m) {
    case XDP_ATTACHED_DRV:
      return "native";
    case XDP_ATTACHED_SKB:
      return "generic";
    case XDP_ATTACHED_HW:
      return "offload";
    case XDP_ATTACHED_MULTI:
      return "multi";
  }
  return "none";
}

std::string last_kernel_message() { return g_kernel_msg; }

Json status(uint32_t ifindex) {
  LibbpfLog log;
  auto q = query(ifindex);
  Json s = {{"attached", q.attach_mode != XDP_ATTACHED_NONE}, {"mode", mode_name(q.attach_mode)}};
  Json progs = Json::array();
  if (q.drv_prog_id) progs.push_back(prog_json(q.drv_prog_id, "native"));
  if (q.skb_prog_id) progs.push_back(prog_json(q.skb_prog_id, "generic"));
  if (q.hw_prog_id) progs.push_back(prog_json(q.hw_prog_id, "offload"));
  s["programs"] = progs;
  return s;
}

Json load(uint32_t ifindex, const LoadOptions& opt) {
  LibbpfLog log;
  std::unique_ptr<bpf_object, ObjectCloser> obj(bpf_object__open_file(opt.object.c_str(), nullptr));
  if (!obj) fail(fmt::format("cannot open {}", opt.object), errno);
  bpf_program* chosen = nullptr;
  bpf_program* p;
  bpf_object__for_each_program(p, obj.get()) {
    bool match = opt.program.empty() ? bpf_program__type(p) == BPF_PROG_TYPE_XDP
                                     : (opt.program == bpf_program__name(p) ||
                                        opt.program == bpf_program__section_name(p));
    if (match && !chosen) chosen = p;
  }
  if (!chosen) {
    std::string have;
    bpf_object__for_each_program(p, obj.get()) {
      have += fmt::format("{}{} (section {})", have.empty() ? "" : ", ", bpf_program__name(p),
                          bpf_program__section_name(p));
    }
    throw Error(fmt::format("{}: no {} program{}; it has: {}", opt.object,
                            opt.program.empty() ? "XDP" : "\"" + opt.program + "\"",
                            opt.program.empty() ? "" : " (give a program or section name)",
                            have.empty() ? "nothing" : have),
                ENOENT);
  }
  bpf_object__for_each_program(p, obj.get()) bpf_program__set_autoload(p, p == chosen);
  // Maps pinned by name go under /sys/fs/bpf: say so if it is not a bpffs.
  bpf_map* map;
  bpf_object__for_each_map(map, obj.get()) {
    const char* pin = bpf_map__pin_path(map);
    struct statfs sfs {};
    if (pin && (statfs("/sys/fs/bpf", &sfs) || sfs.f_type != BPF_FS_MAGIC))
      throw Error(fmt::format("{} pins its map {} under /sys/fs/bpf, which is not a BPF file "
                              "system (mount -t bpf bpf /sys/fs/bpf)",
                              opt.object, bpf_map__name(map)),
                  ENOENT);
  }
  if (bpf_program__type(chosen) != BPF_PROG_TYPE_XDP)
    bpf_program__set_type(chosen, BPF_PROG_TYPE_XDP);
  if (int err = bpf_object__load(obj.get()))
    fail(fmt::format("cannot load {} from {}", bpf_program__name(chosen), opt.object), -err);

  auto q = query(ifindex);
  auto cur = attached(q);
  uint32_t flags = 0;
  switch (opt.mode) {
    case Mode::Native:
      flags = XDP_FLAGS_DRV_MODE;
      break;
    case Mode::Generic:
      flags = XDP_FLAGS_SKB_MODE;
      break;
    case Mode::Auto:
      if (cur) flags = cur->second;  // replace in the mode it runs in
      break;
  }
  LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
  std::unique_ptr<Fd> old;
  if (cur && opt.replace) {
    old = std::make_unique<Fd>(bpf_prog_get_fd_by_id(cur->first));
    if (old->fd < 0) fail("cannot open the attached program", errno);
    if (flags != cur->second)
      throw Error(fmt::format("the attached program runs in {} mode: replace it in that mode or "
                              "unload it first",
                              cur->second == XDP_FLAGS_DRV_MODE ? "native" : "generic"),
                  EINVAL);
    flags |= XDP_FLAGS_REPLACE;
    ao.old_prog_fd = old->fd;
  } else if (cur) {
    throw Error(fmt::format("an XDP program (id {}) is already attached", cur->first), EBUSY,
                "XDP program already attached");
  } else {
    flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
  }
  int err = bpf_xdp_attach(static_cast<int>(ifindex), bpf_program__fd(chosen), flags, &ao);
  if (err) fail("cannot attach the XDP program", -err);
  obj.reset();  // the device holds the program now
  return status(ifindex);
}

void unload(uint32_t ifindex) {
  LibbpfLog log;
  auto cur = attached(query(ifindex));
  if (!cur) throw Error("no XDP program is attached", ENOENT);
  Fd old(bpf_prog_get_fd_by_id(cur->first));
  LIBBPF_OPTS(bpf_xdp_attach_opts, ao);
  uint32_t flags = cur->second;
  if (old.fd >= 0) {
    ao.old_prog_fd = old.fd;
    flags |= XDP_FLAGS_REPLACE;
  }
  int err = bpf_xdp_detach(static_cast<int>(ifindex), flags, &ao);
  if (err) fail("cannot detach the XDP program", -err);
}

// ---- map contents -------------------------------------------------------------------

namespace {

uint64_t load_uint(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, std::min<size_t>(n, 8));  // little endian host
  return v;
}

// Decodes `data` as BTF type `id`: integers as numbers, structs as objects,
// byte arrays as hex, other arrays as arrays; anything else as hex.
Json decode(const btf* b, uint32_t id, const uint8_t* data, size_t size) {
  if (!b) return to_hex(nl::ByteView(data, size));
  int rid = btf__resolve_type(b, id);
  if (rid < 0) return to_hex(nl::ByteView(data, size));
  const btf_type* t = btf__type_by_id(b, static_cast<uint32_t>(rid));
  if (!t) return to_hex(nl::ByteView(data, size));
  if (btf_is_int(t) || btf_is_enum(t)) {
    uint64_t v = load_uint(data, t->size);
    if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_SIGNED) && t->size < 8 &&
        (v >> (t->size * 8 - 1)) & 1)
      return static_cast<int64_t>(v | (~uint64_t{0} << (t->size * 8)));
    return v;
  }
  if (btf_is_struct(t)) {
    Json o = Json::object();
    const btf_member* m = btf_members(t);
    for (unsigned i = 0; i < btf_vlen(t); i++, m++) {
      std::string name = btf__name_by_offset(b, m->name_off);
      if (name.empty() || name.rfind("pad", 0) == 0) continue;
      uint32_t off = btf_member_bit_offset(t, i) / 8;
      int64_t msz = btf__resolve_size(b, m->type);
      if (msz <= 0 || off + static_cast<size_t>(msz) > size) continue;
      o[name] = decode(b, m->type, data + off, static_cast<size_t>(msz));
    }
    return o;
  }
  if (btf_is_array(t)) {
    const struct btf_array* a = btf_array(t);
    int64_t esz = btf__resolve_size(b, a->type);
    if (esz == 1) return to_hex(nl::ByteView(data, a->nelems));
    Json arr = Json::array();
    for (uint32_t i = 0; i < a->nelems && esz > 0; i++)
      arr.push_back(decode(b, a->type, data + i * esz, static_cast<size_t>(esz)));
    return arr;
  }
  return to_hex(nl::ByteView(data, size));
}

// Sums per-CPU values: numbers add up, objects member by member.
void accumulate(Json& sum, const Json& v) {
  if (sum.is_null()) {
    sum = v;
  } else if (sum.is_number_unsigned() && v.is_number_unsigned()) {
    sum = sum.get<uint64_t>() + v.get<uint64_t>();
  } else if (sum.is_object() && v.is_object()) {
    for (auto& [k, x] : v.items()) accumulate(sum[k], x);
  }
}

bool is_zero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

Json dump_map(uint32_t id, bool all, size_t max_entries) {
  Fd fd(bpf_map_get_fd_by_id(id));
  if (fd.fd < 0) fail(fmt::format("cannot open map {}", id), errno);
  bpf_map_info info{};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd.fd, &info, &len)) fail("map info", errno);
  Json out = map_summary(id);
  std::unique_ptr<btf, BtfFree> b;
  if (info.btf_id) b.reset(btf__load_from_kernel_by_id(info.btf_id));
  bool percpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH ||
                info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  bool array = info.type == BPF_MAP_TYPE_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_ARRAY;
  bool lookupable = array || percpu || info.type == BPF_MAP_TYPE_HASH ||
                    info.type == BPF_MAP_TYPE_LRU_HASH || info.type == BPF_MAP_TYPE_DEVMAP ||
                    info.type == BPF_MAP_TYPE_CPUMAP || info.type == BPF_MAP_TYPE_DEVMAP_HASH;
  if (!lookupable) {
    out["note"] = "entries of this map type cannot be read from user space";
    return out;
  }
  int ncpu = percpu ? libbpf_num_possible_cpus() : 1;
  size_t vstride = percpu ? (info.value_size + 7) / 8 * 8 : info.value_size;
  std::vector<uint8_t> key(info.key_size), next(info.key_size), val(vstride * ncpu);
  Json entries = Json::array();
  bool first = true, truncated = false;
  while (bpf_map_get_next_key(fd.fd, first ? nullptr : key.data(), next.data()) == 0) {
    first = false;
    key = next;
    if (bpf_map_lookup_elem(fd.fd, key.data(), val.data())) continue;
    if (array && !all && is_zero(val.data(), val.size())) continue;
    if (entries.size() >= max_entries) {
      truncated = true;
      break;
    }
    Json e;
    e["key"] = decode(b.get(), info.btf_key_type_id, key.data(), key.size());
    if (percpu) {
      Json sum, per = Json::array();
      for (int c = 0; c < ncpu; c++) {
        auto v = decode(b.get(), info.btf_value_type_id, val.data() + c * vstride, info.value_size);
        accumulate(sum, v);
        per.push_back(v);
      }
      e["value"] = sum;
      e["per-cpu"] = per;
    } else {
      e["value"] = decode(b.get(), info.btf_value_type_id, val.data(), info.value_size);
    }
    entries.push_back(e);
  }
  out["entries"] = entries;
  if (truncated) out["truncated"] = true;
  return out;
}

}  // namespace

Json maps(uint32_t ifindex, const std::optional<std::string>& name, bool all, size_t max_entries) {
  LibbpfLog log;
  auto cur = attached(query(ifindex));
  if (!cur) throw Error("no XDP program is attached", ENOENT);
  Fd pfd(bpf_prog_get_fd_by_id(cur->first));
  if (pfd.fd < 0) fail("cannot open the attached program", errno);
  Json out = Json::array();
  for (auto id : prog_map_ids(pfd.fd)) {
    auto summary = map_summary(id);
    if (name && summary.value("name", "") != *name) continue;
    out.push_back(dump_map(id, all, max_entries));
  }
  if (name && out.empty())
    throw Error(fmt::format("the attached program has no map \"{}\"", *name), ENOENT);
  return out;
}

}  // namespace ofnicctl::xdp
