// Netlink plumbing of ofnicctl: RAII over libnl-genl sockets and messages, a
// reply parser that accepts the kernel's variable-width `uint` attributes, and
// extended-ACK decoding. Everything that parses bytes works on plain buffers so
// that the unit tests can feed it canned kernel messages.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct nl_msg;
struct nl_sock;

namespace ofnicctl::nl {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

// ---- reply parsing ----------------------------------------------------------

// The attributes of one level of a message: type (flags stripped) -> payload.
// A type that occurs several times keeps every payload, in order.
class Attrs {
 public:
  Attrs() = default;
  explicit Attrs(ByteView payload);    // parses a run of struct nlattr (not owned)
  static Attrs owning(Bytes payload);  // keeps the buffer alive with the object

  bool has(uint16_t type) const { return map_.count(type) != 0; }
  std::optional<ByteView> raw(uint16_t type) const;
  std::vector<ByteView> all(uint16_t type) const;
  // Typed getters throw ParseError on a wrong size; the optional ones return
  // nullopt when the attribute is absent.
  std::optional<uint8_t> u8(uint16_t type) const;
  std::optional<uint16_t> u16(uint16_t type) const;
  std::optional<uint32_t> u32(uint16_t type) const;
  std::optional<uint64_t> u64(uint16_t type) const;
  // NLA_UINT: 4 or 8 bytes (the kernel's nla_put_uint); u8/u16/u32 accepted too.
  std::optional<uint64_t> uint(uint16_t type) const;
  std::optional<int64_t> sint(uint16_t type) const;
  std::optional<std::string> str(uint16_t type) const;
  bool flag(uint16_t type) const { return has(type); }
  std::optional<Attrs> nested(uint16_t type) const;
  std::vector<uint16_t> types() const;

 private:
  std::multimap<uint16_t, ByteView> map_;
  std::shared_ptr<const Bytes> owner_;
};

// Variable-width unsigned integer of an attribute payload (1, 2, 4 or 8 bytes).
uint64_t get_uint(ByteView payload);

struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- extended ACK --------------------------------------------------------------

struct PolicyBounds {
  std::optional<int64_t> min_s, max_s;
  std::optional<uint64_t> min_u, max_u;
  std::optional<uint32_t> min_len, max_len;
  std::optional<uint64_t> mask;
  std::optional<uint32_t> type;  // enum netlink_attribute_type
};

struct ExtAck {
  int error = 0;  // negative errno, 0 for an ACK
  std::string msg;
  std::optional<uint32_t> bad_attr_offset;  // from the start of the request
  std::optional<uint32_t> missing_type;
  std::optional<uint32_t> missing_nest_offset;
  std::optional<PolicyBounds> policy;
};

// Decodes an NLMSG_ERROR message (the whole message, header included).
ExtAck parse_error_msg(ByteView msg);
// Decodes an NLMSG_DONE message that may carry an error and TLVs.
ExtAck parse_done_msg(ByteView msg);

// The error of a netlink request, with everything the kernel said.
class Error : public std::runtime_error {
 public:
  Error(std::string what, int err, ExtAck ack = {}, std::string bad_attr = {});
  int err() const { return err_; }  // positive errno
  const ExtAck& ack() const { return ack_; }
  const std::string& bad_attr() const { return bad_attr_; }  // "header.dev-name"

 private:
  int err_;
  ExtAck ack_;
  std::string bad_attr_;
};

// ---- messages --------------------------------------------------------------------

// A request under construction (owns an nl_msg). Attributes are given names as
// they are added so that an extack offset can be reported by name.
class Message {
 public:
  // A generic netlink request: family id, command, NLM_F_* flags.
  Message(int family, uint8_t cmd, uint8_t version, int flags);
  ~Message();
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  Message(Message&&) noexcept;

  void put_u8(uint16_t type, uint8_t v, std::string_view name);
  void put_u16(uint16_t type, uint16_t v, std::string_view name);
  void put_u32(uint16_t type, uint32_t v, std::string_view name);
  void put_u64(uint16_t type, uint64_t v, std::string_view name);
  void put_string(uint16_t type, std::string_view s, std::string_view name);
  void put_flag(uint16_t type, std::string_view name);
  void put_binary(uint16_t type, ByteView data, std::string_view name);
  void nest_start(uint16_t type, std::string_view name);
  void nest_end();

  nl_msg* get() const { return msg_; }
  uint8_t cmd() const { return cmd_; }
  int flags() const { return flags_; }
  // The message as it would be sent (seq and port are filled by the socket).
  ByteView bytes() const;
  // The name of the attribute at `offset` (from the start of the message), or "".
  std::string attr_name_at(uint32_t offset) const;

 private:
  size_t tail() const;
  nl_msg* msg_;
  uint8_t cmd_;
  int flags_;
  std::vector<std::pair<size_t, std::string>> nests_;  // (offset, path)
  std::map<size_t, std::string> names_;                // attribute offset -> path
};

// One reply message of a generic netlink request: command and attributes.
struct Reply {
  uint8_t cmd = 0;
  Bytes payload;  // the attributes after the genetlink header
  Attrs attrs() const { return Attrs(ByteView(payload)); }
};

// Splits a buffer of netlink messages into the replies of request `seq`:
// appends data messages to `out` and returns true when the request is finished
// (NLMSG_DONE, or an ACK). Throws Error for NLMSG_ERROR/NLMSG_DONE errors
// (naming the bad attribute through `req`).
bool collect_replies(ByteView buf, uint32_t seq, const Message* req, std::vector<Reply>& out,
                     bool dump);

// ---- sockets -----------------------------------------------------------------------

// A generic netlink socket with extended ACKs on.
class Socket {
 public:
  Socket();
  ~Socket();
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // The family's id, or nullopt if no such family is registered.
  std::optional<int> resolve(const std::string& family);
  // Sends `req` and collects its replies (all of a dump; for a do request, the
  // reply if any, after the kernel's ACK).
  std::vector<Reply> request(Message& req);

 private:
  nl_sock* sk_;
};

}  // namespace ofnicctl::nl
