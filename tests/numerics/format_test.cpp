#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "numerics/format.h"
#include "numerics/rounding.h"

namespace fixar::num {
namespace {

TEST(Format, RangesFollowApFixed) {
  const Format f = Signed(16, 8);  // ap_fixed<16,8>
  EXPECT_EQ(f.int_bits(), 8);
  EXPECT_EQ(f.max_raw(), 32767);
  EXPECT_EQ(f.min_raw(), -32768);
  EXPECT_DOUBLE_EQ(f.lsb(), 1.0 / 256);
  EXPECT_DOUBLE_EQ(f.max_value(), 127.99609375);
  EXPECT_DOUBLE_EQ(f.min_value(), -128.0);
  EXPECT_EQ(f.to_string(), "fixed<16,8>");
  const Format u = Unsigned(8, 10);  // more fraction bits than word: values in [0, 2^-2)
  EXPECT_EQ(u.int_bits(), -2);
  EXPECT_DOUBLE_EQ(u.max_value(), 255.0 / 1024);
  EXPECT_EQ(u.to_string(), "ufixed<8,-2>");
  const Format coarse = Signed(8, -2);  // LSB worth 4
  EXPECT_DOUBLE_EQ(coarse.lsb(), 4.0);
  EXPECT_DOUBLE_EQ(coarse.max_value(), 508.0);
}

TEST(Format, SixtyFourBitAccumulatorRange) {
  EXPECT_EQ(Signed(64, 0).max_raw(), INT64_MAX);
  EXPECT_EQ(Signed(64, 0).min_raw(), INT64_MIN);
  EXPECT_EQ(Unsigned(63, 0).max_raw(), INT64_MAX);
}

TEST(Format, ValidateNamesTheBadField) {
  EXPECT_NO_THROW(Signed(32, 16).validate("test"));
  try {
    Signed(1, 0).validate("layer fc1 weights");
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("layer fc1 weights"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("word_bits = 1"), std::string::npos);
  }
  EXPECT_THROW(Unsigned(64, 0).validate("x"), std::invalid_argument);
  EXPECT_THROW(Signed(16, 200).validate("x"), std::invalid_argument);
}

TEST(Format, ParsesOurAndApFixedModeNames) {
  EXPECT_EQ(parse_quant("RND_CONV"), Quant::kHalfEven);
  EXPECT_EQ(parse_quant("TRN"), Quant::kFloor);
  EXPECT_EQ(parse_quant("stochastic"), Quant::kStochastic);
  EXPECT_EQ(parse_overflow("WRAP"), Overflow::kWrap);
  EXPECT_THROW(parse_quant("nearest"), std::invalid_argument);
  EXPECT_THROW(parse_overflow("clip"), std::invalid_argument);
  for (Quant q : {Quant::kFloor, Quant::kTowardZero, Quant::kHalfUp, Quant::kHalfEven, Quant::kStochastic})
    EXPECT_EQ(parse_quant(to_string(q)), q);
}

TEST(FromDouble, RoundsEachModeLikeTheIntegerPrimitive) {
  const Format f = Signed(8, 4);  // 0.3 * 16 = 4.8
  EXPECT_EQ(FromDouble(0.3, f, Quant::kFloor), 4);
  EXPECT_EQ(FromDouble(0.3, f, Quant::kHalfEven), 5);
  EXPECT_EQ(FromDouble(-0.3, f, Quant::kFloor), -5);
  EXPECT_EQ(FromDouble(-0.3, f, Quant::kTowardZero), -4);
  // Ties, exactly representable: 2.5 and -2.5 LSBs.
  EXPECT_EQ(FromDouble(2.5 / 16, f, Quant::kHalfEven), 2);
  EXPECT_EQ(FromDouble(2.5 / 16, f, Quant::kHalfUp), 3);
  EXPECT_EQ(FromDouble(-2.5 / 16, f, Quant::kHalfUp), -2);
  EXPECT_EQ(FromDouble(-2.5 / 16, f, Quant::kHalfEven), -2);
  // The same value through the integer primitive (2.5 LSB = 10 with 2 extra bits).
  EXPECT_EQ(FromDouble(2.5 / 16, f, Quant::kHalfUp), RoundingShiftRight(10, 2, Quant::kHalfUp));
}

TEST(FromDouble, OverflowNanAndInfinityAreCounted) {
  const Format f = Signed(8, 4);
  std::uint64_t n = 0;
  EXPECT_EQ(FromDouble(100.0, f, Quant::kFloor, Overflow::kSaturate, 0, &n), 127);
  EXPECT_EQ(FromDouble(-100.0, f, Quant::kFloor, Overflow::kSaturate, 0, &n), -128);
  EXPECT_EQ(FromDouble(std::numeric_limits<double>::quiet_NaN(), f, Quant::kFloor, Overflow::kSaturate, 0, &n), 0);
  EXPECT_EQ(FromDouble(std::numeric_limits<double>::infinity(), f, Quant::kFloor, Overflow::kWrap, 0, &n), 127);
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(FromDouble(8.5, f, Quant::kFloor, Overflow::kWrap), Wrap(136, f));  // 136 -> -120
}

TEST(FromDouble, RoundTripsEveryRepresentableValue) {
  const Format f = Signed(12, 5);
  for (std::int64_t raw = f.min_raw(); raw <= f.max_raw(); ++raw)
    for (Quant q : {Quant::kFloor, Quant::kTowardZero, Quant::kHalfUp, Quant::kHalfEven, Quant::kStochastic})
      ASSERT_EQ(FromDouble(ToDouble(raw, f), f, q, Overflow::kSaturate, 0x123456789ull), raw);
}

TEST(FromDouble, StochasticRoundingIsUnbiased) {
  const Format f = Signed(16, 0);
  double sum = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) sum += static_cast<double>(FromDouble(0.7, f, Quant::kStochastic, Overflow::kSaturate, CounterRandomBits(3, i)));
  EXPECT_NEAR(sum / kDraws, 0.7, 0.015);
}

}  // namespace
}  // namespace fixar::num
