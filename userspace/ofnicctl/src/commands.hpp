// Running the commands: gather the state over netlink (and libbpf, sysfs),
// print it, or change it as a plan that rolls back on failure.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include "cli.hpp"
#include "ethtool.hpp"
#include "families.hpp"
#include "json.hpp"
#include "netdev.hpp"
#include "nl.hpp"
#include "plan.hpp"

namespace ofnicctl {

// The sockets and family clients of one run, opened on first use.
class Context {
 public:
  nl::Socket& sock() { return sk_; }
  ethtool::Client& ethtool();
  netdev::Client& netdev();
  families::Ofnic* ofnic();  // nullptr if the family is not registered

 private:
  nl::Socket sk_;
  std::optional<ethtool::Client> et_;
  std::optional<netdev::Client> nd_;
  std::optional<std::optional<families::Ofnic>> of_;
};

// The JSON documents of the read commands (docs/ofnicctl.md).
Json collect_show(Context& c, const std::string& dev);
Json collect_list(Context& c);
Json collect_stats(Context& c, const std::string& dev, bool driver);

// The steps of a configuration change described as in `show --json`
// ("channels", "rings", "coalesce", "features", "rss", "ofnic"), diffed
// against the device's current state; only what differs becomes a step.
std::vector<Step> plan_config(Context& c, const std::string& dev, const Json& want,
                              bool rss_reset = false);

// Runs one command; returns the exit status. Output goes to `out`.
int run(const Options& opt, FILE* out);

}  // namespace ofnicctl
