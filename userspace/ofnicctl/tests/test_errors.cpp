// Error reports: the kernel's message, the attribute, the bounds, a hint and
// the exit status; and the installed pieces agree with the CLI (binary, man
// page, bash completion).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli.hpp"
#include "errors.hpp"
#include "nl.hpp"
#include "plan.hpp"
#include "xdp.hpp"

using namespace ofnicctl;

namespace {
bool has(const std::string& s, const std::string& n) { return s.find(n) != std::string::npos; }

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Runs the built ofnicctl; returns (exit status, stdout + stderr).
std::pair<int, std::string> run(const std::string& args) {
  std::string cmd = std::string(OFNICCTL_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) out.append(buf, n);
  int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}
}  // namespace

TEST(Errors, PolicyRangeNamesAttributeAndBounds) {
  nl::ExtAck ack;
  ack.error = -ERANGE;
  ack.msg = "integer out of range";
  ack.policy = nl::PolicyBounds{};
  ack.policy->min_u = 2;
  ack.policy->max_u = 64;
  auto r = describe_error(std::make_exception_ptr(nl::Error(
      "integer out of range (Numerical result out of range)", ERANGE, ack, "lro-max-segs")));
  EXPECT_EQ(r.exit, kExitFailed);
  auto s = render_error(r);
  EXPECT_TRUE(has(s, "ofnicctl: integer out of range (Numerical result out of range)")) << s;
  EXPECT_TRUE(has(s, "attribute: lro-max-segs")) << s;
  EXPECT_TRUE(has(s, "valid range 2..64")) << s;
  EXPECT_TRUE(has(s, "hint: ")) << s;
}

TEST(Errors, HintsForKnownKernelMessages) {
  EXPECT_TRUE(has(hint_for(EPERM, ""), "CAP_NET_ADMIN"));
  EXPECT_TRUE(has(hint_for(EOPNOTSUPP, "lo is not an ofnic device"), "ofnic port"));
  EXPECT_TRUE(
      has(hint_for(EINVAL, "ofnic: HDS is on: XDP needs whole frames"), "tcp-data-split off"));
  EXPECT_TRUE(has(hint_for(EBUSY, "XDP program already attached"), "--replace"));
  EXPECT_TRUE(has(hint_for(EINVAL,
                           "requested channel counts are too low for existing indirection "
                           "table settings"),
                  "--rss-reset"));
  EXPECT_EQ(hint_for(EINVAL, "something else"), "");
}

TEST(Errors, NotFoundAndUsageExitCodes) {
  auto r =
      describe_error(std::make_exception_ptr(nl::Error("eth9: no such network interface", ENODEV)));
  EXPECT_EQ(r.exit, kExitNotFound);
  r = describe_error(std::make_exception_ptr(xdp::Error("no XDP program is attached", ENOENT)));
  EXPECT_EQ(r.exit, kExitNotFound);
  r = describe_error(std::make_exception_ptr(std::invalid_argument("unknown setting \"x\"")));
  EXPECT_EQ(r.exit, kExitUsage);
}

TEST(Errors, RollbackIsReported) {
  auto cause = std::make_exception_ptr(nl::Error("refused (Invalid argument)", EINVAL));
  auto r = describe_error(std::make_exception_ptr(
      PlanError("rings: rx 512 -> 8192", cause, {"channels: combined-count 2 -> 4"}, {})));
  EXPECT_EQ(r.exit, kExitFailed);
  auto s = render_error(r);
  EXPECT_TRUE(has(s, "ofnicctl: rings: rx 512 -> 8192: refused (Invalid argument)")) << s;
  EXPECT_TRUE(has(s, "undone: channels: combined-count 2 -> 4")) << s;
  EXPECT_TRUE(has(s, "nothing was left changed")) << s;
  r = describe_error(std::make_exception_ptr(PlanError("rings", cause, {}, {"channels: busy"})));
  EXPECT_EQ(r.exit, kExitRollbackFailed);
  EXPECT_TRUE(has(render_error(r), "may be partly applied"));
}

TEST(Binary, UsageErrorsExitTwoAndHelpZero) {
  auto [rc, out] = run("set channels");
  EXPECT_EQ(rc, kExitUsage) << out;
  std::tie(rc, out) = run("--help");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_TRUE(has(out, "stats")) << out;
  std::tie(rc, out) = run("show nosuchdev0");
  EXPECT_EQ(rc, kExitNotFound) << out;
  EXPECT_TRUE(has(out, "nosuchdev0: no such network interface")) << out;
  EXPECT_TRUE(has(out, "hint: ")) << out;
}

// Every command and option of the CLI is in the man page and the bash completion.
TEST(Docs, ManPageAndCompletionCoverEveryCommand) {
  Options opt;
  auto app = make_app(opt);
  auto man = slurp(std::string(OFNIC_REPO) + "/docs/ofnicctl.8");
  auto comp = slurp(std::string(OFNIC_REPO) + "/userspace/ofnicctl/ofnicctl.bash-completion");
  ASSERT_FALSE(man.empty());
  ASSERT_FALSE(comp.empty());
  std::function<void(CLI::App*, const std::string&)> walk = [&](CLI::App* a,
                                                                const std::string& path) {
    for (auto* o : a->get_options()) {
      for (auto& ln : o->get_lnames()) {
        if (ln == "help") continue;
        // troff escapes every dash of an option: \-\-rss\-reset
        std::string troff = "\\-\\-";
        for (char ch : ln) troff += ch == '-' ? std::string("\\-") : std::string(1, ch);
        EXPECT_TRUE(has(man, troff)) << path << " --" << ln;
        EXPECT_TRUE(has(comp, "--" + ln)) << path << " --" << ln;
      }
    }
    for (auto* sub : a->get_subcommands({})) {
      EXPECT_TRUE(has(man, sub->get_name())) << path << " " << sub->get_name();
      EXPECT_TRUE(has(comp, sub->get_name())) << path << " " << sub->get_name();
      walk(sub, path + " " + sub->get_name());
    }
  };
  walk(app.get(), "ofnicctl");
}
