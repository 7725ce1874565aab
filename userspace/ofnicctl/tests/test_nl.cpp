// The netlink layer against canned kernel messages: attribute parsing
// (variable-width uint), request building, extended ACKs, reply collection.
#include <gtest/gtest.h>
#include <linux/netlink.h>

#include "nl.hpp"
#include "nlbuf.hpp"

using namespace ofnicctl;
using namespace nlbuf;

TEST(Attrs, ParsesScalarsStringsNestsAndRepeats) {
  auto b = cat({attr(1, num<uint32_t>(7)), attr(2, str("eth0")),
                nest(3, {attr(1, num<uint8_t>(1)), attr(2, num<uint64_t>(1ull << 40))}),
                attr(4, num<uint32_t>(10)), attr(4, num<uint32_t>(11))});
  nl::Attrs a{nl::ByteView(b)};
  EXPECT_EQ(a.u32(1), 7u);
  EXPECT_EQ(a.str(2), "eth0");
  auto n = a.nested(3);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->u8(1), 1);
  EXPECT_EQ(n->uint(2), 1ull << 40);
  EXPECT_EQ(a.all(4).size(), 2u);
  EXPECT_FALSE(a.has(5));
  EXPECT_EQ(a.u32(5), std::nullopt);
}

TEST(Attrs, UintAcceptsFourAndEightBytes) {
  auto b = cat({attr(1, num<uint32_t>(0xfffffffe)), attr(2, num<uint64_t>(0x100000000ull))});
  nl::Attrs a{nl::ByteView(b)};
  EXPECT_EQ(a.uint(1), 0xfffffffeull);
  EXPECT_EQ(a.uint(2), 0x100000000ull);
  // The fixed-width getters insist on their size.
  EXPECT_THROW(a.u64(1), nl::ParseError);
  EXPECT_THROW(a.u32(2), nl::ParseError);
}

TEST(Attrs, RejectsAttributePastTheBuffer) {
  auto b = attr(1, num<uint32_t>(1));
  b[0] = 200;  // nla_len beyond the end
  EXPECT_THROW(nl::Attrs{nl::ByteView(b)}, nl::ParseError);
}

TEST(Attrs, GetUintWidths) {
  EXPECT_EQ(nl::get_uint(num<uint8_t>(5)), 5u);
  EXPECT_EQ(nl::get_uint(num<uint16_t>(500)), 500u);
  Bytes three = {1, 2, 3};
  EXPECT_THROW(nl::get_uint(three), nl::ParseError);
}

TEST(Attrs, OwningKeepsNestedViewsAlive) {
  nl::Attrs outer;
  {
    auto b = cat({nest(1, {attr(2, str("kept"))})});
    outer = nl::Attrs::owning(b);
  }
  EXPECT_EQ(outer.nested(1)->str(2), "kept");
}

TEST(Message, BuildsHeaderAndAttributesByteForByte) {
  nl::Message m(0x1c, 3, 1, NLM_F_REQUEST | NLM_F_ACK);
  m.nest_start(1, "header");
  m.put_string(2, "eth0", "dev-name");
  m.nest_end();
  m.put_u32(9, 4, "combined-count");
  auto attrs = cat({nest(1, {attr(2, str("eth0"))}), attr(9, num<uint32_t>(4))});
  // seq and port are filled in when the socket sends the message
  auto want = genl(0x1c, 3, NLM_F_REQUEST | NLM_F_ACK, 0, attrs);
  auto got = m.bytes();
  ASSERT_EQ(got.size(), want.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin()));
}

TEST(Message, NamesAttributesByOffsetWithTheirNestPath) {
  nl::Message m(0x1c, 3, 1, NLM_F_REQUEST);
  m.nest_start(1, "header");
  m.put_string(2, "eth0", "dev-name");
  m.nest_end();
  m.put_u32(9, 4, "combined-count");
  const uint32_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;
  EXPECT_EQ(m.attr_name_at(hdr), "header");
  EXPECT_EQ(m.attr_name_at(hdr + 4), "header.dev-name");
  EXPECT_EQ(m.attr_name_at(hdr + 4 + 12), "combined-count");  // "eth0\0" pads to 8
  EXPECT_EQ(m.attr_name_at(3), "");
}

// NLMSG_ERROR as the kernel sends it with NETLINK_CAP_ACK and NETLINK_EXT_ACK.
Bytes error_msg(int err, uint32_t seq, const Bytes& tlvs, bool capped = true,
                const Bytes& echoed_req = {}) {
  Bytes p;
  raw(p, &err, sizeof(err));
  if (capped) {
    nlmsghdr orig{64, 0x1c, NLM_F_REQUEST, seq, 0};
    raw(p, &orig, sizeof(orig));
  } else {
    p.insert(p.end(), echoed_req.begin(), echoed_req.end());
  }
  pad4(p);
  p.insert(p.end(), tlvs.begin(), tlvs.end());
  uint16_t flags = (capped ? NLM_F_CAPPED : 0) | (tlvs.empty() ? 0 : NLM_F_ACK_TLVS);
  return msg(NLMSG_ERROR, flags, seq, p);
}

TEST(ExtAck, DecodesMessageOffsetAndPolicyBounds) {
  auto tlvs =
      cat({attr(NLMSGERR_ATTR_MSG, str("integer out of range")),
           attr(NLMSGERR_ATTR_OFFS, num<uint32_t>(28)),
           nest(NLMSGERR_ATTR_POLICY, {attr(NL_POLICY_TYPE_ATTR_TYPE, num<uint32_t>(3)),
                                       attr(NL_POLICY_TYPE_ATTR_MIN_VALUE_U, num<uint64_t>(2)),
                                       attr(NL_POLICY_TYPE_ATTR_MAX_VALUE_U, num<uint64_t>(64))})});
  auto m = error_msg(-ERANGE, 9, tlvs);
  auto ack = nl::parse_error_msg(m);
  EXPECT_EQ(ack.error, -ERANGE);
  EXPECT_EQ(ack.msg, "integer out of range");
  EXPECT_EQ(ack.bad_attr_offset, 28u);
  ASSERT_TRUE(ack.policy);
  EXPECT_EQ(ack.policy->min_u, 2u);
  EXPECT_EQ(ack.policy->max_u, 64u);
}

TEST(ExtAck, FindsTlvsAfterAnEchoedRequest) {
  nl::Message req(0x1c, 2, 1, NLM_F_REQUEST | NLM_F_ACK);
  req.put_u32(1, 5, "ifindex");
  req.put_string(2, "a-longer-string-attribute", "name");
  Bytes echoed(req.bytes().begin(), req.bytes().end());
  auto m = error_msg(-EINVAL, 1, attr(NLMSGERR_ATTR_MSG, str("nothing to set")), false, echoed);
  auto ack = nl::parse_error_msg(m);
  EXPECT_EQ(ack.error, -EINVAL);
  EXPECT_EQ(ack.msg, "nothing to set");
}

TEST(ExtAck, PlainAckHasNoError) {
  auto ack = nl::parse_error_msg(error_msg(0, 3, {}));
  EXPECT_EQ(ack.error, 0);
  EXPECT_TRUE(ack.msg.empty());
}

TEST(ExtAck, DoneMessageCarriesDumpError) {
  Bytes p;
  int err = -EOPNOTSUPP;
  raw(p, &err, sizeof(err));
  auto tl = attr(NLMSGERR_ATTR_MSG, str("not an ofnic device"));
  p.insert(p.end(), tl.begin(), tl.end());
  auto m = msg(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS, 4, p);
  auto ack = nl::parse_done_msg(m);
  EXPECT_EQ(ack.error, -EOPNOTSUPP);
  EXPECT_EQ(ack.msg, "not an ofnic device");
}

TEST(Replies, CollectsADumpUntilDoneAndSkipsOtherSequences) {
  int zero = 0;
  Bytes done_p;
  raw(done_p, &zero, sizeof(zero));
  auto buf = cat({genl(0x1c, 1, 0, 7, attr(1, num<uint32_t>(1))),
                  genl(0x1c, 1, 0, 6, attr(1, num<uint32_t>(99))),  // stale
                  genl(0x1c, 1, 0, 7, attr(1, num<uint32_t>(2))),
                  msg(NLMSG_DONE, NLM_F_MULTI, 7, done_p)});
  std::vector<nl::Reply> out;
  EXPECT_TRUE(nl::collect_replies(buf, 7, nullptr, out, true));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].attrs().u32(1), 1u);
  EXPECT_EQ(out[1].attrs().u32(1), 2u);
}

TEST(Replies, DumpWithoutDoneIsNotFinished) {
  std::vector<nl::Reply> out;
  auto buf = genl(0x1c, 1, 0, 7, attr(1, num<uint32_t>(1)));
  EXPECT_FALSE(nl::collect_replies(buf, 7, nullptr, out, true));
  EXPECT_EQ(out.size(), 1u);
}

TEST(Replies, ErrorNamesTheOffendingAttributeOfTheRequest) {
  nl::Message req(0x1c, 2, 1, NLM_F_REQUEST | NLM_F_ACK);
  req.put_u32(1, 2, "ifindex");
  req.put_u32(9, 65, "lro-max-segs");
  uint32_t off = NLMSG_HDRLEN + GENL_HDRLEN + 8;
  auto tlvs = cat({attr(NLMSGERR_ATTR_MSG, str("integer out of range")),
                   attr(NLMSGERR_ATTR_OFFS, num<uint32_t>(off))});
  std::vector<nl::Reply> out;
  try {
    nl::collect_replies(error_msg(-ERANGE, 5, tlvs), 5, &req, out, false);
    FAIL() << "no error thrown";
  } catch (const nl::Error& e) {
    EXPECT_EQ(e.err(), ERANGE);
    EXPECT_EQ(e.bad_attr(), "lro-max-segs");
    EXPECT_EQ(e.ack().msg, "integer out of range");
    EXPECT_NE(std::string(e.what()).find("integer out of range"), std::string::npos);
  }
}

TEST(Replies, DoRequestFinishesOnItsAck) {
  nl::Message req(0x1c, 1, 1, NLM_F_REQUEST | NLM_F_ACK);
  auto buf = cat({genl(0x1c, 1, 0, 3, attr(1, num<uint32_t>(5))), error_msg(0, 3, {})});
  std::vector<nl::Reply> out;
  EXPECT_TRUE(nl::collect_replies(buf, 3, &req, out, false));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].cmd, 1);
}
