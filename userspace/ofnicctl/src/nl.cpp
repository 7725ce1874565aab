#include "nl.hpp"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace ofnicctl::nl {

namespace {

template <typename T>
T load(ByteView v, size_t off = 0) {
  T x;
  std::memcpy(&x, v.data() + off, sizeof(T));
  return x;
}

constexpr size_t align4(size_t n) { return (n + 3) & ~size_t{3}; }

}  // namespace

// ---- Attrs ------------------------------------------------------------------------

Attrs::Attrs(ByteView p) {
  size_t off = 0;
  while (off + sizeof(nlattr) <= p.size()) {
    auto a = load<nlattr>(p, off);
    if (a.nla_len < sizeof(nlattr) || off + a.nla_len > p.size())
      throw ParseError(fmt::format("malformed attribute at offset {}", off));
    uint16_t type = a.nla_type & NLA_TYPE_MASK;
    map_.emplace(type, p.subspan(off + NLA_HDRLEN, a.nla_len - NLA_HDRLEN));
    off += align4(a.nla_len);
  }
}

Attrs Attrs::owning(Bytes payload) {
  auto p = std::make_shared<const Bytes>(std::move(payload));
  Attrs a{ByteView(*p)};
  a.owner_ = std::move(p);
  return a;
}

std::optional<ByteView> Attrs::raw(uint16_t type) const {
  auto it = map_.find(type);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

std::vector<ByteView> Attrs::all(uint16_t type) const {
  std::vector<ByteView> v;
  auto [b, e] = map_.equal_range(type);
  for (auto it = b; it != e; ++it) v.push_back(it->second);
  return v;
}

std::vector<uint16_t> Attrs::types() const {
  std::vector<uint16_t> v;
  for (auto& [t, _] : map_)
    if (v.empty() || v.back() != t) v.push_back(t);
  return v;
}

namespace {
template <typename T>
std::optional<T> fixed(const Attrs& a, uint16_t type) {
  auto r = a.raw(type);
  if (!r) return std::nullopt;
  if (r->size() != sizeof(T))
    throw ParseError(
        fmt::format("attribute {}: {} bytes, expected {}", type, r->size(), sizeof(T)));
  return load<T>(*r);
}
}  // namespace

std::optional<uint8_t> Attrs::u8(uint16_t t) const { return fixed<uint8_t>(*this, t); }
std::optional<uint16_t> Attrs::u16(uint16_t t) const { return fixed<uint16_t>(*this, t); }
std::optional<uint32_t> Attrs::u32(uint16_t t) const { return fixed<uint32_t>(*this, t); }
std::optional<uint64_t> Attrs::u64(uint16_t t) const { return fixed<uint64_t>(*this, t); }

uint64_t get_uint(ByteView p) {
  switch (p.size()) {
    case 1:
      return load<uint8_t>(p);
    case 2:
      return load<uint16_t>(p);
    case 4:
      return load<uint32_t>(p);
    case 8:
      return load<uint64_t>(p);
  }
  throw ParseError(fmt::format("unsigned integer attribute of {} bytes", p.size()));
}

std::optional<uint64_t> Attrs::uint(uint16_t t) const {
  auto r = raw(t);
  if (!r) return std::nullopt;
  return get_uint(*r);
}

std::optional<int64_t> Attrs::sint(uint16_t t) const {
  auto r = raw(t);
  if (!r) return std::nullopt;
  switch (r->size()) {
    case 4:
      return load<int32_t>(*r);
    case 8:
      return load<int64_t>(*r);
  }
  throw ParseError(fmt::format("attribute {}: signed integer of {} bytes", t, r->size()));
}

std::optional<std::string> Attrs::str(uint16_t t) const {
  auto r = raw(t);
  if (!r) return std::nullopt;
  auto s = std::string(reinterpret_cast<const char*>(r->data()), r->size());
  if (auto z = s.find('\0'); z != std::string::npos) s.resize(z);
  return s;
}

std::optional<Attrs> Attrs::nested(uint16_t t) const {
  auto r = raw(t);
  if (!r) return std::nullopt;
  Attrs n(*r);
  n.owner_ = owner_;
  return n;
}

// ---- extended ACK -----------------------------------------------------------------------

namespace {

void parse_ack_tlvs(ByteView tlvs, ExtAck& ack) {
  Attrs a(tlvs);
  if (auto m = a.str(NLMSGERR_ATTR_MSG)) ack.msg = *m;
  ack.bad_attr_offset = a.u32(NLMSGERR_ATTR_OFFS);
  ack.missing_type = a.u32(NLMSGERR_ATTR_MISS_TYPE);
  ack.missing_nest_offset = a.u32(NLMSGERR_ATTR_MISS_NEST);
  if (auto p = a.nested(NLMSGERR_ATTR_POLICY)) {
    PolicyBounds b;
    b.type = p->u32(NL_POLICY_TYPE_ATTR_TYPE);
    b.min_s = p->sint(NL_POLICY_TYPE_ATTR_MIN_VALUE_S);
    b.max_s = p->sint(NL_POLICY_TYPE_ATTR_MAX_VALUE_S);
    b.min_u = p->uint(NL_POLICY_TYPE_ATTR_MIN_VALUE_U);
    b.max_u = p->uint(NL_POLICY_TYPE_ATTR_MAX_VALUE_U);
    b.min_len = p->u32(NL_POLICY_TYPE_ATTR_MIN_LENGTH);
    b.max_len = p->u32(NL_POLICY_TYPE_ATTR_MAX_LENGTH);
    b.mask = p->uint(NL_POLICY_TYPE_ATTR_MASK);
    ack.policy = b;
  }
}

nlmsghdr header_of(ByteView msg) {
  if (msg.size() < sizeof(nlmsghdr)) throw ParseError("short netlink message");
  auto h = load<nlmsghdr>(msg);
  if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > msg.size())
    throw ParseError("netlink message length out of bounds");
  return h;
}

}  // namespace

ExtAck parse_error_msg(ByteView msg) {
  auto h = header_of(msg);
  if (h.nlmsg_len < NLMSG_HDRLEN + sizeof(nlmsgerr)) throw ParseError("short NLMSG_ERROR");
  auto e = load<nlmsgerr>(msg, NLMSG_HDRLEN);
  ExtAck ack;
  ack.error = e.error;
  if (h.nlmsg_flags & NLM_F_ACK_TLVS) {
    size_t echoed = (h.nlmsg_flags & NLM_F_CAPPED) ? sizeof(nlmsghdr) : e.msg.nlmsg_len;
    size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int) + echoed);
    if (off < h.nlmsg_len) parse_ack_tlvs(msg.subspan(off, h.nlmsg_len - off), ack);
  }
  return ack;
}

ExtAck parse_done_msg(ByteView msg) {
  auto h = header_of(msg);
  ExtAck ack;
  if (h.nlmsg_len >= NLMSG_HDRLEN + sizeof(int)) ack.error = load<int>(msg, NLMSG_HDRLEN);
  size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int));
  if ((h.nlmsg_flags & NLM_F_ACK_TLVS) && off < h.nlmsg_len)
    parse_ack_tlvs(msg.subspan(off, h.nlmsg_len - off), ack);
  return ack;
}

Error::Error(std::string what, int err, ExtAck ack, std::string bad_attr)
    : std::runtime_error(std::move(what)),
      err_(err),
      ack_(std::move(ack)),
      bad_attr_(std::move(bad_attr)) {}

// ---- Message ---------------------------------------------------------------------------------

Message::Message(int family, uint8_t cmd, uint8_t version, int flags)
    : msg_(nlmsg_alloc_size(32768)), cmd_(cmd), flags_(flags) {
  if (!msg_) throw std::bad_alloc();
  if (!genlmsg_put(msg_, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd, version)) {
    nlmsg_free(msg_);
    throw std::runtime_error("cannot build the netlink header");
  }
}

Message::~Message() {
  if (msg_) nlmsg_free(msg_);
}

Message::Message(Message&& o) noexcept
    : msg_(o.msg_),
      cmd_(o.cmd_),
      flags_(o.flags_),
      nests_(std::move(o.nests_)),
      names_(std::move(o.names_)) {
  o.msg_ = nullptr;
}

size_t Message::tail() const { return nlmsg_hdr(msg_)->nlmsg_len; }

namespace {
std::string join_path(const std::vector<std::pair<size_t, std::string>>& nests,
                      std::string_view name) {
  if (nests.empty()) return std::string(name);
  return nests.back().second + "." + std::string(name);
}
}  // namespace

void Message::put_binary(uint16_t type, ByteView data, std::string_view name) {
  size_t off = tail();
  if (nla_put(msg_, type, static_cast<int>(data.size()), data.data()) < 0)
    throw std::runtime_error(fmt::format("netlink request too large at {}", name));
  names_[off] = join_path(nests_, name);
}

void Message::put_u8(uint16_t t, uint8_t v, std::string_view n) {
  put_binary(t, ByteView(reinterpret_cast<const uint8_t*>(&v), sizeof(v)), n);
}
void Message::put_u16(uint16_t t, uint16_t v, std::string_view n) {
  put_binary(t, ByteView(reinterpret_cast<const uint8_t*>(&v), sizeof(v)), n);
}
void Message::put_u32(uint16_t t, uint32_t v, std::string_view n) {
  put_binary(t, ByteView(reinterpret_cast<const uint8_t*>(&v), sizeof(v)), n);
}
void Message::put_u64(uint16_t t, uint64_t v, std::string_view n) {
  put_binary(t, ByteView(reinterpret_cast<const uint8_t*>(&v), sizeof(v)), n);
}
void Message::put_string(uint16_t t, std::string_view s, std::string_view n) {
  std::string z(s);
  put_binary(t, ByteView(reinterpret_cast<const uint8_t*>(z.c_str()), z.size() + 1), n);
}
void Message::put_flag(uint16_t t, std::string_view n) { put_binary(t, ByteView(), n); }

void Message::nest_start(uint16_t type, std::string_view name) {
  size_t off = tail();
  if (!nla_nest_start(msg_, type))
    throw std::runtime_error(fmt::format("netlink request too large at {}", name));
  auto path = join_path(nests_, name);
  names_[off] = path;
  nests_.emplace_back(off, path);
}

void Message::nest_end() {
  if (nests_.empty()) throw std::logic_error("nest_end without nest_start");
  auto* base = reinterpret_cast<uint8_t*>(nlmsg_hdr(msg_));
  nla_nest_end(msg_, reinterpret_cast<nlattr*>(base + nests_.back().first));
  nests_.pop_back();
}

ByteView Message::bytes() const {
  auto* h = nlmsg_hdr(msg_);
  return ByteView(reinterpret_cast<const uint8_t*>(h), h->nlmsg_len);
}

std::string Message::attr_name_at(uint32_t offset) const {
  auto it = names_.find(offset);
  return it == names_.end() ? std::string() : it->second;
}

// ---- replies -------------------------------------------------------------------------------

namespace {
Error make_error(const ExtAck& ack, const Message* req) {
  int err = -ack.error;
  std::string bad;
  if (req && ack.bad_attr_offset) bad = req->attr_name_at(*ack.bad_attr_offset);
  std::string what = std::strerror(err);
  if (!ack.msg.empty()) what = ack.msg + " (" + what + ")";
  return Error(what, err, ack, bad);
}
}  // namespace

bool collect_replies(ByteView buf, uint32_t seq, const Message* req, std::vector<Reply>& out,
                     bool dump) {
  size_t off = 0;
  bool finished = false;
  while (off + sizeof(nlmsghdr) <= buf.size()) {
    auto h = header_of(buf.subspan(off));
    auto msg = buf.subspan(off, h.nlmsg_len);
    off += NLMSG_ALIGN(h.nlmsg_len);
    if (h.nlmsg_seq != seq) continue;  // a late reply of an earlier request
    switch (h.nlmsg_type) {
      case NLMSG_NOOP:
        continue;
      case NLMSG_OVERRUN:
        throw Error("netlink overrun: replies were lost", EIO);
      case NLMSG_ERROR: {
        auto ack = parse_error_msg(msg);
        if (ack.error) throw make_error(ack, req);
        finished = true;  // ACK
        continue;
      }
      case NLMSG_DONE: {
        auto ack = parse_done_msg(msg);
        if (ack.error) throw make_error(ack, req);
        finished = true;
        continue;
      }
    }
    if (h.nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN) throw ParseError("short generic netlink reply");
    Reply r;
    r.cmd = load<genlmsghdr>(msg, NLMSG_HDRLEN).cmd;
    auto p = msg.subspan(NLMSG_HDRLEN + GENL_HDRLEN);
    r.payload.assign(p.begin(), p.end());
    out.push_back(std::move(r));
    if (!dump && !(h.nlmsg_flags & NLM_F_MULTI) && req && !(req->flags() & NLM_F_ACK))
      finished = true;
  }
  return finished;
}

// ---- Socket ----------------------------------------------------------------------------------

Socket::Socket() : sk_(nl_socket_alloc()) {
  if (!sk_) throw std::bad_alloc();
  int err = genl_connect(sk_);
  if (err < 0) {
    nl_socket_free(sk_);
    throw Error(fmt::format("cannot open a generic netlink socket: {}", nl_geterror(err)), EIO);
  }
  nl_socket_disable_auto_ack(sk_);
  nl_socket_enable_msg_peek(sk_);
  int one = 1, fd = nl_socket_get_fd(sk_);
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
}

Socket::~Socket() { nl_socket_free(sk_); }

std::optional<int> Socket::resolve(const std::string& family) {
  Message m(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_REQUEST | NLM_F_ACK);
  m.put_string(CTRL_ATTR_FAMILY_NAME, family, "family-name");
  try {
    auto replies = request(m);
    for (auto& r : replies)
      if (auto id = r.attrs().u16(CTRL_ATTR_FAMILY_ID)) return *id;
  } catch (const Error& e) {
    if (e.err() == ENOENT) return std::nullopt;
    throw;
  }
  return std::nullopt;
}

std::vector<Reply> Socket::request(Message& req) {
  int err = nl_send_auto(sk_, req.get());
  if (err < 0) throw Error(fmt::format("netlink send: {}", nl_geterror(err)), EIO);
  uint32_t seq = nlmsg_hdr(req.get())->nlmsg_seq;
  bool dump = (req.flags() & NLM_F_DUMP) == NLM_F_DUMP;
  std::vector<Reply> out;
  for (;;) {
    sockaddr_nl peer{};
    unsigned char* buf = nullptr;
    int n = nl_recv(sk_, &peer, &buf, nullptr);
    if (n <= 0) {
      std::free(buf);
      throw Error(fmt::format("netlink receive: {}", n < 0 ? nl_geterror(n) : "no data"), EIO);
    }
    std::unique_ptr<unsigned char, decltype(&std::free)> hold(buf, &std::free);
    if (collect_replies(ByteView(buf, static_cast<size_t>(n)), seq, &req, out, dump)) return out;
  }
}

}  // namespace ofnicctl::nl
