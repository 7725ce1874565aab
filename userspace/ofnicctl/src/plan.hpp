// Multi-step configuration changes that are all or nothing: each step knows
// how to apply itself and how to undo itself; when a step fails (or its
// effect does not read back as asked), the steps already applied are undone
// in reverse order.
#pragma once

#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ofnicctl {

struct Step {
  std::string what;             // "channels: combined-count 2 -> 4"
  std::function<void()> apply;  // throws on failure (also when verification fails)
  std::function<void()> undo;   // restores the state before apply
};

// A plan failed and was rolled back (or could not be: undo_failed not empty).
class PlanError : public std::runtime_error {
 public:
  PlanError(std::string step, std::exception_ptr cause, std::vector<std::string> undone,
            std::vector<std::string> undo_failed);
  const std::string& step() const { return step_; }
  std::exception_ptr cause() const { return cause_; }
  const std::vector<std::string>& undone() const { return undone_; }
  const std::vector<std::string>& undo_failed() const { return undo_failed_; }

 private:
  std::string step_;
  std::exception_ptr cause_;
  std::vector<std::string> undone_, undo_failed_;
};

// Runs the steps in order; on the first failure undoes the applied ones and
// throws PlanError. `log` (may be empty) is told about each step applied.
void run_plan(const std::vector<Step>& steps, const std::function<void(const std::string&)>& log);

}  // namespace ofnicctl
