// All-or-nothing plans: a failed step undoes what was applied before it.
#include <gtest/gtest.h>

#include "plan.hpp"

using namespace ofnicctl;

namespace {
struct Dev {
  int channels = 2, rings = 512, lro = 64;
};
}  // namespace

TEST(Plan, AppliesEveryStepInOrder) {
  Dev d;
  std::vector<std::string> log;
  run_plan({{"channels", [&] { d.channels = 4; }, [&] { d.channels = 2; }},
            {"rings", [&] { d.rings = 1024; }, [&] { d.rings = 512; }}},
           [&](const std::string& w) { log.push_back(w); });
  EXPECT_EQ(d.channels, 4);
  EXPECT_EQ(d.rings, 1024);
  EXPECT_EQ(log, (std::vector<std::string>{"channels", "rings"}));
}

TEST(Plan, FailureRollsBackTheEarlierStepsInReverse) {
  Dev d;
  std::vector<std::string> order;
  try {
    run_plan({{"channels", [&] { d.channels = 4; },
               [&] {
                 order.push_back("channels");
                 d.channels = 2;
               }},
              {"rings", [&] { d.rings = 1024; },
               [&] {
                 order.push_back("rings");
                 d.rings = 512;
               }},
              {"lro",
               [&] {
                 d.lro = 8;
                 throw std::runtime_error("refused");
               },
               [&] {
                 order.push_back("lro");
                 d.lro = 64;
               }}},
             {});
    FAIL() << "no PlanError";
  } catch (const PlanError& e) {
    EXPECT_EQ(e.step(), "lro");
    EXPECT_EQ(std::string(e.what()), "lro: refused");
    EXPECT_EQ(e.undone(), (std::vector<std::string>{"rings", "channels"}));
    EXPECT_TRUE(e.undo_failed().empty());
  }
  // the failed step's partial effect is undone too, then the others in reverse
  EXPECT_EQ(order, (std::vector<std::string>{"lro", "rings", "channels"}));
  EXPECT_EQ(d.channels, 2);
  EXPECT_EQ(d.rings, 512);
  EXPECT_EQ(d.lro, 64);
}

TEST(Plan, ReportsAnUndoThatFailed) {
  Dev d;
  try {
    run_plan({{"channels", [&] { d.channels = 4; }, [&] { throw std::runtime_error("busy"); }},
              {"rings", [&] { throw std::runtime_error("no memory"); }, [] {}}},
             {});
    FAIL() << "no PlanError";
  } catch (const PlanError& e) {
    EXPECT_TRUE(e.undone().empty());
    ASSERT_EQ(e.undo_failed().size(), 1u);
    EXPECT_EQ(e.undo_failed()[0], "channels: busy");
  }
  EXPECT_EQ(d.channels, 4);  // left changed, and said so
}
