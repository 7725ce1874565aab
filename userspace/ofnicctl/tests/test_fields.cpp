// Table-driven attribute <-> JSON conversion.
#include <gtest/gtest.h>

#include "fields.hpp"
#include "nlbuf.hpp"

using namespace ofnicctl;
using namespace nlbuf;

namespace {
constexpr std::string_view kSplit[] = {"unknown", "disabled", "enabled"};
const Field kTable[] = {
    {1, "rx", FieldType::U32},
    {2, "tcp-data-split", FieldType::U8, kSplit},
    {3, "use-adaptive-rx", FieldType::BOOL8},
    {4, "key", FieldType::HEX},
    {5, "packets", FieldType::UINT},
    {6, "name", FieldType::STR},
};
}  // namespace

TEST(Fields, ParseInTableOrderWithEnumsBoolsAndHex) {
  auto b = cat({attr(5, num<uint64_t>(1ull << 33)), attr(1, num<uint32_t>(512)),
                attr(2, num<uint8_t>(2)), attr(3, num<uint8_t>(1)), attr(4, Bytes{0xde, 0xad}),
                attr(77, num<uint32_t>(1))});  // unknown: skipped
  auto j = parse_fields(nl::Attrs{nl::ByteView(b)}, kTable);
  EXPECT_EQ(
      j.dump(),
      R"({"rx":512,"tcp-data-split":"enabled","use-adaptive-rx":true,"key":"de:ad","packets":8589934592})");
}

TEST(Fields, EnumValueOutsideTheNamesStaysANumber) {
  auto b = attr(2, num<uint8_t>(9));
  EXPECT_EQ(parse_fields(nl::Attrs{nl::ByteView(b)}, kTable)["tcp-data-split"], 9);
}

TEST(Fields, PutConvertsNamesBoolsAndChecksRanges) {
  nl::Message m(0x10, 1, 1, 0);
  put_field(m, kTable[1], "disabled");
  put_field(m, kTable[2], true);
  put_field(m, kTable[0], 4096);
  auto body = m.bytes().subspan(NLMSG_HDRLEN + GENL_HDRLEN);
  nl::Attrs a{body};
  EXPECT_EQ(a.u8(2), 1);
  EXPECT_EQ(a.u8(3), 1);
  EXPECT_EQ(a.u32(1), 4096u);
}

TEST(Fields, PutRejectsWhatDoesNotFit) {
  nl::Message m(0x10, 1, 1, 0);
  EXPECT_THROW(put_field(m, kTable[1], "sideways"), std::invalid_argument);
  EXPECT_THROW(put_field(m, kTable[1], 300), std::invalid_argument);
  EXPECT_THROW(put_field(m, kTable[0], -1), std::invalid_argument);
  EXPECT_THROW(put_field(m, kTable[0], "many"), std::invalid_argument);
  EXPECT_THROW(put_field(m, kTable[0], 1ull << 32), std::invalid_argument);
}

TEST(Fields, HexRoundTrip) {
  nl::Bytes k = {0x6d, 0x5a, 0x00, 0xff};
  EXPECT_EQ(to_hex(k, ':'), "6d:5a:00:ff");
  EXPECT_EQ(to_hex(k), "6d5a00ff");
  EXPECT_EQ(from_hex("6d:5a:00:ff"), k);
  EXPECT_EQ(from_hex("6D5A00FF"), k);
  EXPECT_THROW(from_hex("6d5"), std::invalid_argument);
  EXPECT_THROW(from_hex("zz"), std::invalid_argument);
}
