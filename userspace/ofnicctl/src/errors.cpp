#include "errors.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <CLI/Error.hpp>

#include "nl.hpp"
#include "plan.hpp"
#include "xdp.hpp"

namespace ofnicctl {

namespace {

bool has(std::string_view s, std::string_view needle) {
  return s.find(needle) != std::string_view::npos;
}

std::string bounds_of(const nl::PolicyBounds& p) {
  if (p.min_u || p.max_u)
    return fmt::format("valid range {}..{}", p.min_u ? std::to_string(*p.min_u) : "",
                       p.max_u ? std::to_string(*p.max_u) : "");
  if (p.min_s || p.max_s)
    return fmt::format("valid range {}..{}", p.min_s ? std::to_string(*p.min_s) : "",
                       p.max_s ? std::to_string(*p.max_s) : "");
  if (p.min_len || p.max_len)
    return fmt::format("length {}..{} bytes", p.min_len.value_or(0), p.max_len.value_or(0));
  if (p.mask) return fmt::format("allowed bits {:#x}", *p.mask);
  return "";
}

void fill_from(ErrorReport& r, std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const nl::Error& x) {
    r.message = x.what();
    r.kernel_msg = x.ack().msg;
    r.attr = x.bad_attr();
    if (x.ack().policy) r.bounds = bounds_of(*x.ack().policy);
    r.hint = hint_for(x.err(), std::string(x.what()) + " " + x.ack().msg);
    if (x.err() == ENODEV || x.err() == ENOENT) r.exit = kExitNotFound;
  } catch (const xdp::Error& x) {
    r.message = x.what();
    r.kernel_msg = x.kernel_msg();
    r.hint = hint_for(x.err(), std::string(x.what()) + " " + x.kernel_msg());
    if (x.err() == ENOENT || x.err() == ENODEV) r.exit = kExitNotFound;
  } catch (const PlanError& x) {
    fill_from(r, x.cause());
    r.message = fmt::format("{}: {}", x.step(), r.message);
    std::string rb;
    for (auto& u : x.undone()) rb += fmt::format("  undone: {}\n", u);
    for (auto& u : x.undo_failed()) rb += fmt::format("  NOT undone: {}\n", u);
    if (x.undo_failed().empty())
      rb += "  nothing was left changed";
    else
      rb += "  the configuration may be partly applied";
    r.rollback = rb;
    if (!x.undo_failed().empty()) r.exit = kExitRollbackFailed;
  } catch (const CLI::ParseError& x) {
    r.message = x.what();
    r.exit = kExitUsage;
  } catch (const std::invalid_argument& x) {
    r.message = x.what();
    r.exit = kExitUsage;
  } catch (const std::exception& x) {
    r.message = x.what();
    r.hint = hint_for(0, x.what());
  }
}

}  // namespace

std::string hint_for(int err, std::string_view msg) {
  if (has(msg, "not an ofnic device"))
    return "this command needs an ofnic port (driver ofnic.ko); `ofnicctl show` lists the "
           "interfaces and their drivers";
  if (has(msg, "no such network interface") || has(msg, "no network device"))
    return "check the name with `ip link`; in another network namespace run "
           "`ip netns exec NS ofnicctl ...`";
  if (has(msg, "already attached"))
    return "swap it atomically with `ofnicctl xdp load --replace DEV OBJ`, or `ofnicctl xdp "
           "unload DEV` first";
  if (has(msg, "no XDP program")) return "`ofnicctl xdp status DEV` shows what is attached";
  if ((has(msg, "HDS") || has(msg, "header") || has(msg, "split")) && has(msg, "XDP"))
    return "XDP needs whole frames: turn header-data split off (`ofnicctl set rings DEV "
           "--tcp-data-split off`) or unload the XDP program first";
  if (has(msg, "MTU") || has(msg, "mtu"))
    return "lower the MTU (`ip link set DEV mtu N`) or use a program built for multi-buffer "
           "frames (SEC(\"xdp.frags\"))";
  if (has(msg, "features ") && has(msg, "reads back"))
    return "a feature it depends on is off (rx-gro-hw needs rx-checksum, TSO needs "
           "scatter-gather and checksumming), or the driver keeps it off (e.g. rx-gro-hw while "
           "an XDP program is attached)";
  if (has(msg, "indirection") || has(msg, "indir"))
    return "the RSS table points at queues that would go away: add --rss-reset, or run "
           "`ofnicctl set rss DEV --equal N` first";
  if (has(msg, "channel") && (has(msg, "exceed") || has(msg, "maximum") || has(msg, "too many")))
    return "`ofnicctl show DEV` shows the maximum channel counts";
  if (has(msg, "ofnic netlink family is not registered"))
    return "this ofnic.ko has no netlink family, or it is not loaded: insmod kmod/ofnic/ofnic.ko";
  if (has(msg, "ofcopy is not loaded") || has(msg, "ofdma is not loaded"))
    return "load the module first (insmod kmod/ofdma/ofdma.ko; insmod kmod/ofcopy/ofcopy.ko)";
  if (has(msg, "registers no ofcopy netlink family"))
    return "this ofcopy.ko predates its netlink family (docs/netlink.md): rebuild it (make "
           "modules) and load it again";
  if (has(msg, "bpf") && has(msg, "/sys/fs/bpf"))
    return "mount the BPF file system: mount -t bpf bpf /sys/fs/bpf";
  switch (err) {
    case EPERM:
    case EACCES:
      return "changing settings needs CAP_NET_ADMIN: run as root";
    case ENODEV:
      return "check the name with `ip link`";
    case EOPNOTSUPP:
      return "the device or its driver does not support this; `ofnicctl show DEV` shows what "
             "it has";
    case ERANGE:
      return "the value is outside what the kernel accepts (see the range above)";
    case EBUSY:
      return "something holds the resource: retry, or look at `ofnicctl show DEV`";
  }
  return "";
}

ErrorReport describe_error(std::exception_ptr e) {
  ErrorReport r;
  fill_from(r, e);
  return r;
}

std::string render_error(const ErrorReport& r) {
  std::string s = fmt::format("ofnicctl: {}\n", r.message);
  if (!r.kernel_msg.empty() && !has(r.message, r.kernel_msg))
    s += fmt::format("  kernel: {}\n", r.kernel_msg);
  if (!r.attr.empty()) s += fmt::format("  attribute: {}\n", r.attr);
  if (!r.bounds.empty()) s += fmt::format("  {}\n", r.bounds);
  if (!r.rollback.empty()) s += r.rollback + "\n";
  if (!r.hint.empty()) s += fmt::format("hint: {}\n", r.hint);
  return s;
}

}  // namespace ofnicctl
