#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

namespace ofnicctl {

namespace {

const std::vector<std::string> kOnOff = {"on", "off"};

CLI::App* dev_arg(CLI::App* sub, Options& opt, bool required = true) {
  auto* o = sub->add_option("dev", opt.dev, "network interface, e.g. eth0");
  if (required) o->required();
  return sub;
}

}  // namespace

std::unique_ptr<CLI::App> make_app(Options& opt) {
  auto app = std::make_unique<CLI::App>(
      "ofnicctl: configure and watch ofnic (and other) NICs over netlink: queues, offloads, "
      "RSS, coalescing, XDP, per-queue statistics, copy offload.",
      "ofnicctl");
  app->fallthrough();  // -j/-p also after the subcommand
  app->require_subcommand(1);
  app->add_flag("-j,--json", opt.json, "JSON output (read commands; schema: docs/ofnicctl.md)");
  app->add_flag("-p,--pretty", opt.pretty, "indented JSON");
  app->set_version_flag("--version", "ofnicctl 1.0");

  auto* show = app->add_subcommand("show", "device, link, queues, offloads, XDP, copy offload");
  dev_arg(show, opt, false);
  show->callback([&] { opt.cmd = Cmd::Show; });

  // ---- set -------------------------------------------------------------------------
  auto* set = app->add_subcommand("set", "change a setting (rolled back if a step fails)");
  set->require_subcommand(1);

  auto* ch = set->add_subcommand("channels", "queue pairs (ethtool -L)");
  dev_arg(ch, opt);
  ch->add_option("--combined", opt.combined, "combined channels (RX+TX queue pairs)")
      ->check(CLI::Range(1u, 1024u));
  ch->add_option("--rx", opt.rx_channels, "RX-only channels");
  ch->add_option("--tx", opt.tx_channels, "TX-only channels");
  ch->add_option("--other", opt.other_channels, "other (e.g. admin) channels");
  ch->add_flag("--rss-reset", opt.rss_reset,
               "also spread the RSS table equally over the new channels (first, if shrinking)");
  ch->callback([&] {
    if (!opt.combined && !opt.rx_channels && !opt.tx_channels && !opt.other_channels)
      throw CLI::ValidationError("set channels", "give --combined, --rx, --tx or --other");
    opt.cmd = Cmd::SetChannels;
  });

  auto* rg = set->add_subcommand("rings", "ring sizes and header-data split (ethtool -G)");
  dev_arg(rg, opt);
  rg->add_option("--rx", opt.rx_ring, "RX ring descriptors");
  rg->add_option("--tx", opt.tx_ring, "TX ring descriptors");
  rg->add_option("--tcp-data-split", opt.tcp_data_split, "header-data split")
      ->check(CLI::IsMember({"on", "off", "auto"}));
  rg->callback([&] {
    if (!opt.rx_ring && !opt.tx_ring && !opt.tcp_data_split)
      throw CLI::ValidationError("set rings", "give --rx, --tx or --tcp-data-split");
    opt.cmd = Cmd::SetRings;
  });

  auto* of = set->add_subcommand("offload", "offload features: NAME on|off ... (ethtool -K)");
  dev_arg(of, opt);
  of->add_option("settings", opt.offload_args,
                 "pairs: feature on|off; names as in `show` (rx-gro-hw, tx-tcp-segmentation...) "
                 "or ethtool's short ones (tso, gso, gro, gro-hw, lro, sg, rx, tx, rxhash)")
      ->required();
  of->callback([&] {
    (void)parse_offload_args(opt.offload_args);  // validates the pairs
    opt.cmd = Cmd::SetOffload;
  });

  auto* co = set->add_subcommand("coalesce", "interrupt moderation (ethtool -C)");
  dev_arg(co, opt);
  co->add_option("--rx-usecs", opt.rx_usecs, "RX delay, microseconds");
  co->add_option("--rx-frames", opt.rx_frames, "RX frames per interrupt");
  co->add_option("--tx-usecs", opt.tx_usecs, "TX delay, microseconds");
  co->add_option("--tx-frames", opt.tx_frames, "TX frames per interrupt");
  co->add_option("--adaptive-rx", opt.adaptive_rx, "adaptive RX moderation")
      ->check(CLI::IsMember(kOnOff));
  co->add_option("--adaptive-tx", opt.adaptive_tx, "adaptive TX moderation")
      ->check(CLI::IsMember(kOnOff));
  co->callback([&] {
    if (!opt.rx_usecs && !opt.rx_frames && !opt.tx_usecs && !opt.tx_frames && !opt.adaptive_rx &&
        !opt.adaptive_tx)
      throw CLI::ValidationError("set coalesce", "give at least one setting");
    opt.cmd = Cmd::SetCoalesce;
  });

  auto* rs = set->add_subcommand("rss", "RSS indirection table and key (ethtool -X)");
  dev_arg(rs, opt);
  auto* eq = rs->add_option("--equal", opt.rss_equal, "spread equally over the first N queues")
                 ->check(CLI::Range(1u, 4096u));
  auto* wt =
      rs->add_option("--weight", opt.rss_weights, "relative weight of each queue: W0 W1 ...");
  auto* df = rs->add_flag("--default", opt.rss_default, "back to the driver's default table");
  rs->add_option("--key", opt.rss_key, "hash key, hex (aa:bb:... or aabb...)");
  eq->excludes(wt)->excludes(df);
  wt->excludes(df);
  rs->callback([&] {
    if (!opt.rss_equal && opt.rss_weights.empty() && !opt.rss_default && !opt.rss_key)
      throw CLI::ValidationError("set rss", "give --equal, --weight, --default or --key");
    opt.cmd = Cmd::SetRss;
  });

  auto* lro = set->add_subcommand("lro", "ofnic: the device's LRO (rx-gro-hw) tuning");
  dev_arg(lro, opt);
  lro->add_option("--max-segs", opt.lro_max_segs, "segments per coalesced frame (2..64)");
  lro->add_option("--timeout", opt.lro_timeout, "microseconds a frame waits (1..10000)");
  lro->callback([&] {
    if (!opt.lro_max_segs && !opt.lro_timeout)
      throw CLI::ValidationError("set lro", "give --max-segs or --timeout");
    opt.cmd = Cmd::SetLro;
  });

  auto* ap = app->add_subcommand(
      "apply", "apply a configuration (JSON as `show --json` prints it) all or nothing");
  dev_arg(ap, opt);
  ap->add_option("file", opt.file, "JSON file, - for stdin")->required();
  ap->add_flag("--dry-run", opt.dry_run, "print the steps, change nothing");
  ap->callback([&] { opt.cmd = Cmd::Apply; });

  // ---- xdp -------------------------------------------------------------------------
  auto* xdp = app->add_subcommand("xdp", "XDP programs");
  xdp->require_subcommand(1);
  auto* xl = xdp->add_subcommand("load", "load an object file's program and attach it");
  dev_arg(xl, opt);
  xl->add_option("object", opt.object, "BPF object file (e.g. build/xdp/xdp_drop.bpf.o)")
      ->required()
      ->check(CLI::ExistingFile);
  xl->add_option("--prog", opt.program, "program or section name (default: the first XDP one)");
  xl->add_option("--mode", opt.mode, "native (driver), generic (skb) or auto")
      ->check(CLI::IsMember({"auto", "native", "drv", "generic", "skb"}));
  xl->add_flag("--replace", opt.replace, "replace the attached program atomically");
  xl->callback([&] { opt.cmd = Cmd::XdpLoad; });
  auto* xu = xdp->add_subcommand("unload", "detach the attached program");
  dev_arg(xu, opt);
  xu->callback([&] { opt.cmd = Cmd::XdpUnload; });
  auto* xs = xdp->add_subcommand("status", "what is attached, in which mode, its maps");
  dev_arg(xs, opt, false);
  xs->callback([&] { opt.cmd = Cmd::XdpStatus; });
  auto* xm = xdp->add_subcommand("map", "entries of the attached program's maps");
  dev_arg(xm, opt);
  xm->add_option("name", opt.map_name, "only this map");
  xm->add_flag("--all", opt.all, "array maps: also the all-zero entries");
  xm->add_option("--max", opt.max_entries, "entries per map at most")
      ->check(CLI::Range(1, 1 << 20));
  xm->callback([&] { opt.cmd = Cmd::XdpMap; });

  // ---- stats -----------------------------------------------------------------------
  auto* st = app->add_subcommand("stats", "per-queue statistics (qstats and ofnic counters)");
  dev_arg(st, opt);
  st->add_flag("-w,--watch", opt.watch, "live per-queue packet/byte rates, redrawn in place");
  st->add_option("-i,--interval", opt.interval, "seconds between refreshes")
      ->check(CLI::Range(0.1, 3600.0));
  st->add_option("-c,--count", opt.count, "stop after N refreshes (0: until interrupted)");
  st->add_flag("--all", opt.all, "every counter, one per line");
  st->add_flag("--driver", opt.driver_stats, "also the driver's statistics (ethtool -S)");
  st->callback([&] { opt.cmd = Cmd::Stats; });

  // ---- copy ------------------------------------------------------------------------
  auto* cp = app->add_subcommand("copy", "DMA copy offload (ofdma engine, ofcopy TCP offload)");
  cp->require_subcommand(1);
  cp->add_subcommand("status", "engines, channels, ofcopy state and counters")->callback([&] {
    opt.cmd = Cmd::CopyStatus;
  });
  auto* ce = cp->add_subcommand("enable", "enable the TCP receive copy offload");
  ce->add_option("--copybreak", opt.copybreak, "reads shorter than this are copied by the CPU");
  ce->callback([&] { opt.cmd = Cmd::CopyEnable; });
  cp->add_subcommand("disable", "every read takes the CPU copy")->callback([&] {
    opt.cmd = Cmd::CopyDisable;
  });
  return app;
}

Options parse_args(const std::vector<std::string>& args) {
  Options opt;
  auto app = make_app(opt);
  std::vector<std::string> rev(args.rbegin(), args.rend());
  app->parse(rev);
  return opt;
}

std::vector<std::string> expand_feature_alias(const std::string& n) {
  static const std::map<std::string, std::vector<std::string>> aliases = {
      {"rx", {"rx-checksum"}},
      {"rxcsum", {"rx-checksum"}},
      {"tx", {"tx-checksum-ipv4", "tx-checksum-ip-generic", "tx-checksum-ipv6"}},
      {"txcsum", {"tx-checksum-ipv4", "tx-checksum-ip-generic", "tx-checksum-ipv6"}},
      {"sg", {"tx-scatter-gather"}},
      {"tso", {"tx-tcp-segmentation", "tx-tcp6-segmentation"}},
      {"gso", {"tx-generic-segmentation"}},
      {"gro", {"rx-gro"}},
      {"gro-hw", {"rx-gro-hw"}},
      {"lro", {"rx-lro"}},
      {"rxhash", {"rx-hashing"}},
      {"ntuple", {"rx-ntuple-filter"}},
      {"rxvlan", {"rx-vlan-hw-parse"}},
      {"txvlan", {"tx-vlan-hw-insert"}},
  };
  auto it = aliases.find(n);
  if (it == aliases.end()) return {n};
  return it->second;
}

std::vector<std::pair<std::string, bool>> parse_offload_args(const std::vector<std::string>& a) {
  if (a.empty() || a.size() % 2)
    throw CLI::ValidationError("set offload", "give pairs: NAME on|off [NAME on|off ...]");
  std::vector<std::pair<std::string, bool>> out;
  for (size_t i = 0; i < a.size(); i += 2) {
    if (a[i + 1] != "on" && a[i + 1] != "off")
      throw CLI::ValidationError("set offload",
                                 fmt::format("{}: \"{}\" is not on or off", a[i], a[i + 1]));
    auto dup = std::find_if(out.begin(), out.end(), [&](auto& p) { return p.first == a[i]; });
    if (dup != out.end())
      throw CLI::ValidationError("set offload", fmt::format("{} given twice", a[i]));
    out.emplace_back(a[i], a[i + 1] == "on");
  }
  return out;
}

}  // namespace ofnicctl
