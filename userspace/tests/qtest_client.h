// A client for QEMU's qtest protocol: starts qemu-system-* with the qtest
// accelerator, connects to its qtest chardev over a Unix socket and drives port
// I/O and guest memory (docs/devel/qtest.rst in the QEMU tree).
//
// Every read from QEMU has a time limit, so a hung or crashed QEMU fails the
// calling test with an exception instead of blocking it. QEMU is killed in the
// destructor (and, should the test process die, by PR_SET_PDEATHSIG).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ofnic::qtest {

// A failure of the protocol or of QEMU itself (timeout, crash, FAIL reply).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct QemuOptions {
  std::string binary;                       // qemu-system-x86_64
  std::vector<std::string> firmware_dirs;   // each passed as -L DIR
  std::vector<std::string> args;            // machine, devices, ...
  std::chrono::milliseconds timeout{5000};  // start-up, and each reply
  bool qmp = false;                         // also connect a QMP monitor
};

// How a QEMU that was expected to exit ended.
struct ExitResult {
  bool exited = false;  // false: still running at the deadline (then killed)
  int status = -1;      // exit status if exited normally, else -signal
  std::string output;   // its stdout and stderr
};

// Runs QEMU with opts (no qtest connection) until it exits or opts.timeout
// passes. For configurations QEMU must refuse.
ExitResult run_until_exit(const QemuOptions& opts);

class Client {
 public:
  // Starts QEMU with opts.args plus "-qtest unix:SOCKET" and waits for it to
  // connect. Throws Error if it does not.
  explicit Client(const QemuOptions& opts);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one command line and returns the reply after "OK" (trimmed).
  // Asynchronous "IRQ ..." lines are skipped. Throws Error on FAIL, EOF, timeout.
  std::string command(std::string_view line);

  void outb(uint16_t port, uint8_t value);
  void outw(uint16_t port, uint16_t value);
  void outl(uint16_t port, uint32_t value);
  uint8_t inb(uint16_t port);
  uint16_t inw(uint16_t port);
  uint32_t inl(uint16_t port);

  uint8_t readb(uint64_t addr);
  uint16_t readw(uint64_t addr);
  uint32_t readl(uint64_t addr);
  uint64_t readq(uint64_t addr);
  void writeb(uint64_t addr, uint8_t value);
  void writew(uint64_t addr, uint16_t value);
  void writel(uint64_t addr, uint32_t value);
  void writeq(uint64_t addr, uint64_t value);

  std::vector<uint8_t> read(uint64_t addr, size_t len);
  void write(uint64_t addr, std::span<const uint8_t> data);
  void memset(uint64_t addr, size_t len, uint8_t value);

  // Runs a QMP command (QemuOptions::qmp) and returns its "return" value.
  // Events are skipped; an "error" reply throws Error.
  nlohmann::json qmp(std::string_view execute, const nlohmann::json& arguments = nullptr);

  // Advances QEMU_CLOCK_VIRTUAL by ns (to the next deadline if 0); returns it.
  uint64_t clock_step(uint64_t ns = 0);

  // Stops QEMU (SIGTERM, then SIGKILL) and waits for it; log() is complete after.
  void stop();
  // True while the QEMU process runs.
  bool alive();
  pid_t pid() const { return pid_; }
  // What QEMU wrote to stdout/stderr and its -D log (guest errors).
  std::string log() const;
  // Time limit of each later reply.
  void set_timeout(std::chrono::milliseconds t) { timeout_ = t; }
  // Number of commands sent so far.
  uint64_t commands() const { return commands_; }

 private:
  // A line from fd (buffered in buf), within the reply timeout.
  std::string read_line(int fd, std::string& buf);
  void send_all(int fd, std::string_view data);
  // Throws Error with what, QEMU's state and its logs; gone: the connection
  // broke, so QEMU is probably exiting.
  [[noreturn]] void fail(std::string_view what, bool gone = false);
  uint64_t reply_value(std::string_view cmd);
  void kill_qemu();
  void cleanup();

  std::string dir_;  // temporary directory: socket, logs
  pid_t pid_ = -1;
  int fd_ = -1;  // qtest
  int qmp_fd_ = -1;
  std::string inbuf_, qmp_buf_;
  std::chrono::milliseconds timeout_;
  uint64_t commands_ = 0;
  std::optional<int> exit_status_;
};

}  // namespace ofnic::qtest
