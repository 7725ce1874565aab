#include "qtest_client.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace ofnic::qtest {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string errno_str(std::string_view what) {
  return fmt::format("{}: {}", what, std::strerror(errno));
}

std::string make_tmpdir() {
  std::string base = "/tmp";
  // The socket path must fit in sun_path (108 bytes).
  if (const char* t = std::getenv("TMPDIR"); t && *t && std::strlen(t) < 64) base = t;
  std::string templ = base + "/ofnic-qtest.XXXXXX";
  if (!mkdtemp(templ.data())) throw Error(errno_str("mkdtemp " + templ));
  return templ;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Starts binary with argv; stdin from /dev/null, stdout and stderr to out_path.
// The child gets SIGKILL when this process dies.
pid_t spawn(const std::string& binary, const std::vector<std::string>& args,
            const std::string& out_path) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);

  int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) throw Error(errno_str("open " + out_path));
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0) {
    ::close(out);
    throw Error(errno_str("open /dev/null"));
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(null, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::execv(binary.c_str(), argv.data());
    ::dprintf(2, "exec %s: %s\n", binary.c_str(), std::strerror(errno));
    ::_exit(127);
  }
  int err = errno;
  ::close(out);
  ::close(null);
  if (pid < 0) {
    errno = err;
    throw Error(errno_str("fork"));
  }
  return pid;
}

// Status as ExitResult::status: exit code, or -signal.
int decode_status(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st); }

std::vector<std::string> qemu_argv(const QemuOptions& opts) {
  std::vector<std::string> args;
  for (const auto& d : opts.firmware_dirs) {
    args.push_back("-L");
    args.push_back(d);
  }
  args.insert(args.end(), opts.args.begin(), opts.args.end());
  return args;
}

std::string tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

}  // namespace

ExitResult run_until_exit(const QemuOptions& opts) {
  std::string dir = make_tmpdir();
  std::string out = dir + "/qemu.out";
  ExitResult r;
  pid_t pid = spawn(opts.binary, qemu_argv(opts), out);
  auto deadline = Clock::now() + opts.timeout;
  int st = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &st, WNOHANG);
    if (w == pid) {
      r.exited = true;
      r.status = decode_status(st);
      break;
    }
    if (Clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  r.output = slurp(out);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return r;
}

namespace {
// A listening Unix socket for QEMU to connect to.
int listen_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw Error(errno_str("socket"));
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0 || ::listen(fd, 1) < 0) {
    int err = errno;
    ::close(fd);
    errno = err;
    throw Error(errno_str("bind/listen " + path));
  }
  return fd;
}
}  // namespace

Client::Client(const QemuOptions& opts) : dir_(make_tmpdir()), timeout_(opts.timeout) {
  const std::string qtest_path = dir_ + "/qtest.sock", qmp_path = dir_ + "/qmp.sock";
  int lfd = -1, qmp_lfd = -1;
  try {
    lfd = listen_unix(qtest_path);
    std::vector<std::string> args = qemu_argv(opts);
    args.insert(args.end(), {"-qtest", "unix:" + qtest_path, "-qtest-log", dir_ + "/qtest.log",
                             "-D", dir_ + "/guest.log", "-d", "guest_errors"});
    if (opts.qmp) {
      qmp_lfd = listen_unix(qmp_path);
      args.insert(args.end(), {"-qmp", "unix:" + qmp_path});
    }
    pid_ = spawn(opts.binary, args, dir_ + "/qemu.out");

    // Wait for QEMU to connect, watching that it does not die meanwhile.
    auto deadline = Clock::now() + timeout_;
    while (fd_ < 0 || (qmp_lfd >= 0 && qmp_fd_ < 0)) {
      pollfd p[2] = {{lfd, POLLIN, 0}, {qmp_lfd, POLLIN, 0}};
      if (::poll(p, qmp_lfd >= 0 ? 2 : 1, 20) > 0) {
        for (auto [l, c] : {std::pair{lfd, &fd_}, std::pair{qmp_lfd, &qmp_fd_}}) {
          if (l < 0 || *c >= 0) continue;
          *c = ::accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
          if (*c < 0 && errno != EAGAIN && errno != EINTR) fail(errno_str("accept"));
        }
        continue;
      }
      if (!alive()) fail("QEMU exited before connecting to its sockets");
      if (Clock::now() >= deadline) fail("QEMU did not connect to its sockets in time");
    }
    if (qmp_fd_ >= 0) {
      auto greeting = nlohmann::json::parse(read_line(qmp_fd_, qmp_buf_), nullptr, false);
      if (!greeting.contains("QMP")) fail("no QMP greeting");
      qmp("qmp_capabilities");
    }
  } catch (...) {
    for (int l : {lfd, qmp_lfd}) {
      if (l >= 0) ::close(l);
    }
    cleanup();
    throw;
  }
  for (int l : {lfd, qmp_lfd}) {
    if (l >= 0) ::close(l);
  }
  ::unlink(qtest_path.c_str());
  ::unlink(qmp_path.c_str());
}

Client::~Client() { cleanup(); }

void Client::cleanup() {
  for (int* fd : {&fd_, &qmp_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  kill_qemu();
  if (!dir_.empty() && !std::getenv("OFNIC_QTEST_KEEP")) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  dir_.clear();
}

void Client::stop() { kill_qemu(); }

void Client::kill_qemu() {
  if (pid_ <= 0 || !alive()) return;
  ::kill(pid_, SIGTERM);
  ::kill(pid_, SIGCONT);  // in case a test stopped it
  auto deadline = Clock::now() + 1s;
  while (alive() && Clock::now() < deadline) std::this_thread::sleep_for(2ms);
  if (alive()) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    if (::waitpid(pid_, &st, 0) == pid_) exit_status_ = decode_status(st);
  }
}

bool Client::alive() {
  if (pid_ <= 0 || exit_status_) return false;
  int st = 0;
  pid_t w = ::waitpid(pid_, &st, WNOHANG);
  if (w == pid_) {
    exit_status_ = decode_status(st);
    return false;
  }
  return true;
}

std::string Client::log() const {
  // The last lines of the qtest transcript, then QEMU's own messages.
  std::string qtest = slurp(dir_ + "/qtest.log");
  size_t pos = qtest.size();
  for (int lines = 0; lines <= 30 && pos != std::string::npos && pos > 0; lines++) {
    pos = qtest.rfind('\n', pos - 1);
  }
  if (pos != std::string::npos && pos > 0) qtest = "...\n" + qtest.substr(pos + 1);
  return fmt::format(
      "--- qtest transcript (end) ---\n{}--- QEMU output ---\n{}--- QEMU guest-error log "
      "---\n{}",
      qtest, slurp(dir_ + "/qemu.out"), slurp(dir_ + "/guest.log"));
}

void Client::fail(std::string_view what, bool gone) {
  // A dead QEMU's socket may report EOF before the process can be reaped.
  for (int i = 0; gone && i < 250 && alive(); i++) std::this_thread::sleep_for(2ms);
  std::string state;
  if (alive()) {
    state = "QEMU is running";
  } else if (exit_status_ && *exit_status_ < 0) {
    state =
        fmt::format("QEMU died with signal {} ({})", -*exit_status_, ::strsignal(-*exit_status_));
  } else if (exit_status_) {
    state = fmt::format("QEMU exited with status {}", *exit_status_);
  } else {
    state = "QEMU did not start";
  }
  throw Error(fmt::format("qtest: {} ({})\n{}", what, state, tail(log(), 4000)));
}

std::string Client::read_line(int fd, std::string& buf) {
  auto deadline = Clock::now() + timeout_;
  for (;;) {
    if (auto nl = buf.find('\n'); nl != std::string::npos) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) fail(fmt::format("no reply within {} ms", timeout_.count()));
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) fail(errno_str("poll"));
    if (n <= 0) continue;
    char chunk[65536];
    ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
    if (got == 0) fail("QEMU closed the connection", true);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      fail(errno_str("recv"), true);
    }
    buf.append(chunk, static_cast<size_t>(got));
  }
}

void Client::send_all(int fd, std::string_view data) {
  if (fd < 0) fail("not connected");
  for (size_t off = 0; off < data.size();) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(errno_str(fmt::format("send '{}'", data.substr(0, 64))), true);
    }
    off += static_cast<size_t>(n);
  }
}

std::string Client::command(std::string_view line) {
  send_all(fd_, std::string(line) + '\n');
  commands_++;
  for (;;) {
    std::string reply = read_line(fd_, inbuf_);
    if (reply.starts_with("IRQ")) continue;  // asynchronous, not our reply
    if (reply == "OK") return {};
    if (reply.starts_with("OK ")) return reply.substr(3);
    fail(fmt::format("'{}' answered '{}'", line.substr(0, 64), reply.substr(0, 200)));
  }
}

nlohmann::json Client::qmp(std::string_view execute, const nlohmann::json& arguments) {
  if (qmp_fd_ < 0) fail("QMP not enabled (QemuOptions::qmp)");
  nlohmann::json cmd = {{"execute", execute}};
  if (!arguments.is_null()) cmd["arguments"] = arguments;
  send_all(qmp_fd_, cmd.dump() + "\n");
  for (;;) {
    auto reply = nlohmann::json::parse(read_line(qmp_fd_, qmp_buf_), nullptr, false);
    if (reply.is_discarded()) fail("QMP: unparsable reply");
    if (reply.contains("event")) continue;
    if (reply.contains("return")) return reply["return"];
    fail(fmt::format("QMP {} failed: {}", execute, reply.dump()));
  }
}

uint64_t Client::reply_value(std::string_view cmd) {
  std::string v = command(cmd);
  char* end = nullptr;
  errno = 0;
  uint64_t x = std::strtoull(v.c_str(), &end, 0);
  if (errno || end == v.c_str() || *end) fail(fmt::format("'{}': bad value '{}'", cmd, v));
  return x;
}

void Client::outb(uint16_t port, uint8_t v) { command(fmt::format("outb {:#x} {:#x}", port, v)); }
void Client::outw(uint16_t port, uint16_t v) { command(fmt::format("outw {:#x} {:#x}", port, v)); }
void Client::outl(uint16_t port, uint32_t v) { command(fmt::format("outl {:#x} {:#x}", port, v)); }
uint8_t Client::inb(uint16_t port) {
  return static_cast<uint8_t>(reply_value(fmt::format("inb {:#x}", port)));
}
uint16_t Client::inw(uint16_t port) {
  return static_cast<uint16_t>(reply_value(fmt::format("inw {:#x}", port)));
}
uint32_t Client::inl(uint16_t port) {
  return static_cast<uint32_t>(reply_value(fmt::format("inl {:#x}", port)));
}

uint8_t Client::readb(uint64_t a) {
  return static_cast<uint8_t>(reply_value(fmt::format("readb {:#x}", a)));
}
uint16_t Client::readw(uint64_t a) {
  return static_cast<uint16_t>(reply_value(fmt::format("readw {:#x}", a)));
}
uint32_t Client::readl(uint64_t a) {
  return static_cast<uint32_t>(reply_value(fmt::format("readl {:#x}", a)));
}
uint64_t Client::readq(uint64_t a) { return reply_value(fmt::format("readq {:#x}", a)); }
void Client::writeb(uint64_t a, uint8_t v) { command(fmt::format("writeb {:#x} {:#x}", a, v)); }
void Client::writew(uint64_t a, uint16_t v) { command(fmt::format("writew {:#x} {:#x}", a, v)); }
void Client::writel(uint64_t a, uint32_t v) { command(fmt::format("writel {:#x} {:#x}", a, v)); }
void Client::writeq(uint64_t a, uint64_t v) { command(fmt::format("writeq {:#x} {:#x}", a, v)); }

namespace {
constexpr size_t kChunk = 16384;
int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::vector<uint8_t> Client::read(uint64_t addr, size_t len) {
  std::vector<uint8_t> out;
  out.reserve(len);
  for (size_t off = 0; off < len; off += kChunk) {
    size_t n = std::min(kChunk, len - off);
    std::string cmd = fmt::format("read {:#x} {:#x}", addr + off, n);
    std::string v = command(cmd);
    if (v.size() != 2 + 2 * n || !v.starts_with("0x")) {
      fail(fmt::format("'{}': reply of {} characters", cmd, v.size()));
    }
    for (size_t i = 0; i < n; i++) {
      int hi = nibble(v[2 + 2 * i]), lo = nibble(v[3 + 2 * i]);
      if (hi < 0 || lo < 0) fail(fmt::format("'{}': bad hex in reply", cmd));
      out.push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
  }
  return out;
}

void Client::write(uint64_t addr, std::span<const uint8_t> data) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t off = 0; off < data.size(); off += kChunk) {
    size_t n = std::min(kChunk, data.size() - off);
    std::string cmd = fmt::format("write {:#x} {:#x} 0x", addr + off, n);
    cmd.reserve(cmd.size() + 2 * n);
    for (size_t i = 0; i < n; i++) {
      cmd += kHex[data[off + i] >> 4];
      cmd += kHex[data[off + i] & 0xf];
    }
    command(cmd);
  }
}

void Client::memset(uint64_t addr, size_t len, uint8_t value) {
  if (len) command(fmt::format("memset {:#x} {:#x} {:#x}", addr, len, value));
}

uint64_t Client::clock_step(uint64_t ns) {
  return reply_value(ns ? fmt::format("clock_step {}", ns) : std::string("clock_step"));
}

}  // namespace ofnic::qtest
