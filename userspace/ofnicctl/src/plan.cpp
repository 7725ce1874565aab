#include "plan.hpp"

#include <fmt/format.h>

namespace ofnicctl {

namespace {
std::string message_of(std::exception_ptr p) {
  try {
    std::rethrow_exception(p);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}
}  // namespace

PlanError::PlanError(std::string step, std::exception_ptr cause, std::vector<std::string> undone,
                     std::vector<std::string> undo_failed)
    : std::runtime_error(fmt::format("{}: {}", step, message_of(cause))),
      step_(std::move(step)),
      cause_(cause),
      undone_(std::move(undone)),
      undo_failed_(std::move(undo_failed)) {}

void run_plan(const std::vector<Step>& steps, const std::function<void(const std::string&)>& log) {
  size_t done = 0;
  for (; done < steps.size(); done++) {
    try {
      steps[done].apply();
    } catch (...) {
      auto cause = std::current_exception();
      std::vector<std::string> undone, failed;
      // The failed step itself may have changed part of what it set (e.g. a
      // feature set the kernel applied only in part): undo it too.
      for (size_t i = done + 1; i-- > 0;) {
        try {
          steps[i].undo();
          if (i < done) undone.push_back(steps[i].what);
        } catch (const std::exception& e) {
          failed.push_back(fmt::format("{}: {}", steps[i].what, e.what()));
        }
      }
      throw PlanError(steps[done].what, cause, std::move(undone), std::move(failed));
    }
    if (log) log(steps[done].what);
  }
}

}  // namespace ofnicctl
