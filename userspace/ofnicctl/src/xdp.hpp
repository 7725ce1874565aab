// XDP with libbpf: load a program from any object file and attach it (native,
// generic, or what the device supports), replace it atomically
// (XDP_FLAGS_REPLACE with the expected old program), detach it, show what is
// attached, and read the attached program's maps (decoded with their BTF).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "json.hpp"

namespace ofnicctl::xdp {

enum class Mode { Auto, Native, Generic };

std::optional<Mode> parse_mode(const std::string& s);  // auto|native|drv|generic|skb
const char* mode_name(uint32_t xdp_attach_mode);       // XDP_ATTACHED_* -> name

struct LoadOptions {
  std::string object;   // ELF object file
  std::string program;  // program or section name; empty: the first XDP program
  Mode mode = Mode::Auto;
  bool replace = false;  // swap an attached program atomically
};

// Errors of libbpf and the kernel, with the kernel's extack message if any.
class Error : public std::runtime_error {
 public:
  Error(const std::string& what, int err, std::string kernel_msg = {})
      : std::runtime_error(what), err_(err), kmsg_(std::move(kernel_msg)) {}
  int err() const { return err_; }
  const std::string& kernel_msg() const { return kmsg_; }

 private:
  int err_;
  std::string kmsg_;
};

// {"attached": bool, "mode": ..., "programs": [{id, name, tag, type, mode, maps: [...]}]}
Json status(uint32_t ifindex);
// Attaches; returns status() afterwards.
Json load(uint32_t ifindex, const LoadOptions& opt);
// Detaches whatever program is attached (in any mode); throws if none.
void unload(uint32_t ifindex);
// Entries of the attached program's maps (one map if `name` is given).
// Array maps show only non-zero entries unless `all`.
Json maps(uint32_t ifindex, const std::optional<std::string>& name, bool all, size_t max_entries);

// Libbpf's log lines of the last operation (for errors); the kernel's
// "Kernel error message" if one was printed.
std::string last_kernel_message();

}  // namespace ofnicctl::xdp
