// How ofnicctl reports a failure: the kernel's extack message, the attribute
// it named, the policy's bounds, a hint, and the exit status (docs/ofnicctl.md).
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace ofnicctl {

enum ExitCode {
  kExitOk = 0,
  kExitFailed = 1,          // refused or failed; nothing changed (rolled back)
  kExitUsage = 2,           // bad command line
  kExitRollbackFailed = 3,  // a step failed AND undoing an earlier one failed
  kExitNotFound = 4,        // no such interface, program, module or family
};

struct ErrorReport {
  std::string message;     // first line
  std::string kernel_msg;  // extack / kernel message, if any
  std::string attr;        // offending attribute ("lro-max-segs")
  std::string bounds;      // "valid range 2..64"
  std::string hint;
  std::string rollback;  // what was undone
  int exit = kExitFailed;
};

ErrorReport describe_error(std::exception_ptr e);
std::string render_error(const ErrorReport& r);  // "ofnicctl: ...\n  ...\nhint: ...\n"
std::string hint_for(int err, std::string_view msg);

}  // namespace ofnicctl
