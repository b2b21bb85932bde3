// Addresses to one form and their tails read (layers/geocode/address.hpp).
#include "layers/geocode/address.hpp"

#include <gtest/gtest.h>

namespace onemap::geocode {
namespace {

TEST(ChineseNumber, ReadsNumeralsAsTheyAreWrittenAndRefusesWhatIsNoNumber) {
  EXPECT_EQ(chinese_number(U"三"), 3);
  EXPECT_EQ(chinese_number(U"十"), 10);
  EXPECT_EQ(chinese_number(U"十二"), 12);
  EXPECT_EQ(chinese_number(U"二十"), 20);
  EXPECT_EQ(chinese_number(U"二十三"), 23);
  EXPECT_EQ(chinese_number(U"一百零五"), 105);
  EXPECT_EQ(chinese_number(U"两百"), 200);
  EXPECT_EQ(chinese_number(U"三〇五"), 305);  // read digit by digit, as room numbers are
  EXPECT_EQ(chinese_number(U"0012"), 12);
  EXPECT_EQ(chinese_number(U""), std::nullopt);
  EXPECT_EQ(chinese_number(U"十百"), std::nullopt);
  EXPECT_EQ(chinese_number(U"三合"), std::nullopt);
  EXPECT_EQ(chinese_number(U"99999"), std::nullopt);
}

TEST(Normalise, BringsTheWaysAnAddressIsWrittenToOneForm) {
  const std::string want = "武康街道城西村3组12号";
  for (const char* written : {
           "武康街道城西村3组12号",
           "浙江省湖州市德清县武康街道城西村3组12号",
           "德清县 武康街道 城西村 3组 12号",
           "武康街道城西村三组十二号",
           "武康街道城西村第三组12号",
           "武康街道城西村３组１２号",  // full-width digits
           "武康街道城西村3村民小组12号",
           "武康街道城西村3小组12#",
           "武康街道城西村三队12號",
           "武康街道，城西村（3组）12号。",
           "武康街道城西村委会3组12号",
       })
    EXPECT_EQ(normalise(written), want) << written;
  EXPECT_EQ(normalise("舞阳街道居仁社区居委会英溪路8号"), "舞阳街道居仁社区英溪路8号");
  EXPECT_EQ(normalise("禹越镇三合村5栋"), "禹越镇三合村5幢");
  // Numerals that are part of a name stay: 三合村, 千秋路.
  EXPECT_EQ(normalise("禹越镇三合村千秋路"), "禹越镇三合村千秋路");
  // Idempotent.
  EXPECT_EQ(normalise(normalise("浙江省德清县武康街道城西村三组十二号")), want);
  // Invalid UTF-8 and control characters go.
  EXPECT_EQ(normalise(std::string("城西\xff\x01村")), "城西村");
}

TEST(ReadTail, FindsTheGroupTheRoadAndTheHouseNumber) {
  AddressTail t = read_tail(U"3组12号");
  EXPECT_EQ(t.group, 3);
  EXPECT_EQ(t.road, "");
  EXPECT_EQ(t.number, 12);
  t = read_tail(U"英溪路88号5幢2单元301室");
  EXPECT_EQ(t.group, std::nullopt);
  EXPECT_EQ(t.road, "英溪路");
  EXPECT_EQ(t.number, 88);
  t = read_tail(U"英溪路88");
  EXPECT_EQ(t.road, "英溪路");
  EXPECT_EQ(t.number, 88);
  t = read_tail(U"7组附近");
  EXPECT_EQ(t.group, 7);
  EXPECT_EQ(t.number, std::nullopt);
  t = read_tail(U"英溪路");
  EXPECT_EQ(t.road, "英溪路");
  EXPECT_EQ(t.number, std::nullopt);
}

}  // namespace
}  // namespace onemap::geocode
