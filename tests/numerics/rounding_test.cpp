// Rounding and overflow tables, checked by hand against ap_fixed semantics.
#include <gtest/gtest.h>

#include "numerics/rounding.h"

namespace fixar::num {
namespace {

struct RoundRow {
  int x;  // raw value with 2 fraction bits: the real value is x / 4
  int floor_q, toward_zero, half_up, half_even;
};

// Each row worked by hand: e.g. x = -6 is -1.5: floor -2, trunc -1, +0.5 then floor -1,
// ties-to-even -2.
constexpr RoundRow kTable[] = {
    {7, 1, 1, 2, 2},      // 1.75
    {6, 1, 1, 2, 2},      // 1.5  tie: half_up and half_even both go to 2
    {5, 1, 1, 1, 1},      // 1.25
    {4, 1, 1, 1, 1},      // 1.0  exact
    {2, 0, 0, 1, 0},      // 0.5  tie: half_up -> 1, half_even -> 0
    {1, 0, 0, 0, 0},      // 0.25
    {0, 0, 0, 0, 0},      // 0
    {-1, -1, 0, 0, 0},    // -0.25
    {-2, -1, 0, 0, 0},    // -0.5 tie: half_up -> 0 (toward +inf), half_even -> 0
    {-5, -2, -1, -1, -1}, // -1.25
    {-6, -2, -1, -1, -2}, // -1.5 tie: half_up -> -1, half_even -> -2
    {-7, -2, -1, -2, -2}, // -1.75
    {10, 2, 2, 3, 2},     // 2.5  tie: half_even keeps the even 2
    {-10, -3, -2, -2, -2} // -2.5
};

TEST(RoundingShiftRight, MatchesHandTableForEveryMode) {
  for (const RoundRow& r : kTable) {
    SCOPED_TRACE(r.x);
    EXPECT_EQ(RoundingShiftRight(r.x, 2, Quant::kFloor), r.floor_q);
    EXPECT_EQ(RoundingShiftRight(r.x, 2, Quant::kTowardZero), r.toward_zero);
    EXPECT_EQ(RoundingShiftRight(r.x, 2, Quant::kHalfUp), r.half_up);
    EXPECT_EQ(RoundingShiftRight(r.x, 2, Quant::kHalfEven), r.half_even);
  }
}

TEST(RoundingShiftRight, ZeroShiftIsIdentityAndHugeShiftsStayDefined) {
  EXPECT_EQ(RoundingShiftRight(-12345, 0, Quant::kHalfUp), -12345);
  const int128 min64 = INT64_MIN;
  EXPECT_EQ(RoundingShiftRight(min64, 63, Quant::kFloor), -1);
  EXPECT_EQ(RoundingShiftRight(min64, 64, Quant::kHalfEven), 0);   // exactly -0.5 -> even 0
  EXPECT_EQ(RoundingShiftRight(min64, 64, Quant::kHalfUp), 0);     // -0.5 -> toward +inf
  EXPECT_EQ(RoundingShiftRight(min64, 100, Quant::kFloor), -1);
  EXPECT_EQ(RoundingShiftRight(min64, 100, Quant::kTowardZero), 0);
}

TEST(RoundingShiftRight, StochasticIsUnbiasedAndReproducible) {
  // 0.25 (x = 1, shift 2) should round up a quarter of the time.
  constexpr int kDraws = 40000;
  int ups = 0;
  for (int i = 0; i < kDraws; ++i) ups += static_cast<int>(RoundingShiftRight(1, 2, Quant::kStochastic, CounterRandomBits(7, i)));
  EXPECT_NEAR(static_cast<double>(ups) / kDraws, 0.25, 0.01);
  // -1.75 rounds to -1 with probability 0.25, else -2: mean -1.75.
  double sum = 0;
  for (int i = 0; i < kDraws; ++i) sum += static_cast<double>(RoundingShiftRight(-7, 2, Quant::kStochastic, CounterRandomBits(9, i)));
  EXPECT_NEAR(sum / kDraws, -1.75, 0.01);
  // Exact values never move.
  for (int i = 0; i < 100; ++i) EXPECT_EQ(RoundingShiftRight(8, 2, Quant::kStochastic, CounterRandomBits(1, i)), 2);
  EXPECT_EQ(CounterRandomBits(42, 5), CounterRandomBits(42, 5));
  EXPECT_NE(CounterRandomBits(42, 5), CounterRandomBits(42, 6));
  EXPECT_NE(CounterRandomBits(42, 5), CounterRandomBits(43, 5));
}

TEST(RoundingShiftRight64, EqualsTheWideFormOnRandomValues) {
  for (std::uint64_t i = 0; i < 20000; ++i) {
    const auto x = static_cast<std::int64_t>(CounterRandomBits(1, i)) >> (i % 40);
    const int shift = 1 + static_cast<int>(i % 62);
    const std::uint64_t r = CounterRandomBits(2, i);
    for (Quant q : {Quant::kFloor, Quant::kTowardZero, Quant::kHalfUp, Quant::kHalfEven, Quant::kStochastic})
      ASSERT_EQ(RoundingShiftRight64(x, shift, q, r), RoundingShiftRight(x, shift, q, r)) << x << " >> " << shift;
  }
}

TEST(Overflow, SaturateClampsAndCounts) {
  const Format s4 = Signed(4, 0);  // ap_fixed<4,4>: [-8, 7]
  std::uint64_t n = 0;
  EXPECT_EQ(Saturate(7, s4, &n), 7);
  EXPECT_EQ(Saturate(9, s4, &n), 7);
  EXPECT_EQ(Saturate(-8, s4, &n), -8);
  EXPECT_EQ(Saturate(-9, s4, &n), -8);
  EXPECT_EQ(n, 2u);
  const Format u4 = Unsigned(4, 0);  // ap_ufixed<4,4>: [0, 15]
  EXPECT_EQ(Saturate(-1, u4, &n), 0);
  EXPECT_EQ(Saturate(16, u4, &n), 15);
  EXPECT_EQ(n, 4u);
}

TEST(Overflow, WrapKeepsLowBitsTwosComplementAndCounts) {
  const Format s4 = Signed(4, 0);
  std::uint64_t n = 0;
  EXPECT_EQ(Wrap(9, s4, &n), -7);   // 1001b
  EXPECT_EQ(Wrap(8, s4, &n), -8);   // 1000b
  EXPECT_EQ(Wrap(-9, s4, &n), 7);   // ...10111b -> 0111b
  EXPECT_EQ(Wrap(16, s4, &n), 0);
  EXPECT_EQ(Wrap(5, s4, &n), 5);    // in range: unchanged, not counted
  EXPECT_EQ(n, 4u);
  const Format u4 = Unsigned(4, 0);
  EXPECT_EQ(Wrap(17, u4), 1);
  EXPECT_EQ(Wrap(-1, u4), 15);
  const Format s64 = Signed(64, 0);
  EXPECT_EQ(Wrap(static_cast<int128>(INT64_MAX) + 1, s64), INT64_MIN);
}

TEST(Requantize, ShiftsRoundsThenHandlesOverflow) {
  // 1.5 with 8 fraction bits (384) into ap_fixed<8,4> (4 fraction bits): exact 24.
  EXPECT_EQ(Requantize(384, 8, Signed(8, 4), Quant::kHalfEven, Overflow::kSaturate), 24);
  // 1.53125 (392/256) -> 24.5 LSBs: half_even 24, half_up 25, floor 24.
  EXPECT_EQ(Requantize(392, 8, Signed(8, 4), Quant::kHalfEven, Overflow::kSaturate), 24);
  EXPECT_EQ(Requantize(392, 8, Signed(8, 4), Quant::kHalfUp, Overflow::kSaturate), 25);
  // 100.0 does not fit ap_fixed<8,4> ([-8, 7.9375]): saturate to 127 or wrap.
  std::uint64_t n = 0;
  EXPECT_EQ(Requantize(100 * 256, 8, Signed(8, 4), Quant::kFloor, Overflow::kSaturate, 0, &n), 127);
  EXPECT_EQ(Requantize(100 * 256, 8, Signed(8, 4), Quant::kFloor, Overflow::kWrap, 0, &n), Wrap(1600, Signed(8, 4)));
  EXPECT_EQ(n, 2u);
  // Left shift (more fraction bits out than in) is exact.
  EXPECT_EQ(Requantize(-3, 0, Signed(32, 16), Quant::kFloor, Overflow::kSaturate), -3 * 65536);
  // A left shift far past 64 bits still saturates correctly rather than wrapping garbage.
  EXPECT_EQ(Requantize(1, 0, Signed(32, 0), Quant::kFloor, Overflow::kSaturate), 1);
  EXPECT_EQ(Requantize(1, -100, Signed(32, 0), Quant::kFloor, Overflow::kSaturate), INT32_MAX);
  EXPECT_EQ(Requantize(-1, -100, Signed(32, 0), Quant::kFloor, Overflow::kSaturate), INT32_MIN);
}

// floor(√x) exactly, including where the double estimate is off: around perfect squares
// above 2^53 (where doubles cannot hold x) and at the top of the range.
TEST(IntegerSqrt, IsTheExactFloor) {
  EXPECT_EQ(IntegerSqrt(0), 0u);
  EXPECT_EQ(IntegerSqrt(1), 1u);
  EXPECT_EQ(IntegerSqrt(15), 3u);
  EXPECT_EQ(IntegerSqrt(16), 4u);
  for (const std::uint64_t root : {std::uint64_t{94906265}, std::uint64_t{3037000499}, (std::uint64_t{1} << 62) + 7}) {
    const uint128 square = static_cast<uint128>(root) * root;
    EXPECT_EQ(IntegerSqrt(square), root);
    EXPECT_EQ(IntegerSqrt(square - 1), root - 1);
    EXPECT_EQ(IntegerSqrt(square + 1), root);
  }
  const uint128 big = (static_cast<uint128>(1) << 125) + 12345;
  const std::uint64_t r = IntegerSqrt(big);
  EXPECT_LE(static_cast<uint128>(r) * r, big);
  EXPECT_GT(static_cast<uint128>(r + 1) * (r + 1), big);
}

}  // namespace
}  // namespace fixar::num
