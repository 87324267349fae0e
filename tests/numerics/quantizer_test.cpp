// FIXAR's affine quantizer (Algorithm 1) and the power-of-two format selection.
#include <gtest/gtest.h>

#include <cmath>

#include "numerics/quantizer.h"

namespace fixar::num {
namespace {

TEST(AffineQuantizer, MatchesThePublishedFormulaOnAHandExample) {
  // A in [-1, 3], n = 4: δ = (1 + 3) / 16 = 0.25, z = floor(1 / 0.25) = 4.
  const AffineQuantizer q = AffineQuantizer::FromRange(-1.0, 3.0, 4);
  EXPECT_DOUBLE_EQ(q.delta, 0.25);
  EXPECT_EQ(q.zero_point, 4);
  EXPECT_EQ(q.Quantize(0.0), 4);       // the zero point
  EXPECT_EQ(q.Quantize(0.3), 5);       // floor(1.2) + 4
  EXPECT_EQ(q.Quantize(-0.3), 2);      // floor(-1.2) + 4
  EXPECT_EQ(q.Quantize(-1.0), 0);      // range start -> code 0
  std::uint64_t clamps = 0;
  EXPECT_EQ(q.Quantize(3.0, &clamps), 15);  // the formula gives 16 = 2^n; clamped to the top code
  EXPECT_EQ(clamps, 1u);
  EXPECT_DOUBLE_EQ(q.Dequantize(5), 0.25);
}

TEST(AffineQuantizer, RangeEndsMonotonicityAndZeroPoint) {
  for (auto [lo, hi] : {std::pair{-2.7, 5.1}, {0.0, 6.0}, {-4.0, -0.5}, {-1e-3, 1e-3}}) {
    SCOPED_TRACE(lo);
    const AffineQuantizer q = AffineQuantizer::FromRange(lo, hi, 16);
    EXPECT_EQ(q.Quantize(lo), 0);
    EXPECT_EQ(q.Quantize(lo - 1.0), 0);
    if (lo <= 0 && hi >= 0) {
      EXPECT_EQ(q.Quantize(hi), q.max_code());
      EXPECT_EQ(q.Quantize(hi + 1.0), q.max_code());
    } else {  // one-sided range: the published δ leaves the top codes unused
      EXPECT_EQ(q.Quantize(hi), static_cast<std::int64_t>(std::floor(hi / q.delta)) + q.zero_point);
    }
    if (lo <= 0 && hi >= 0) {
      EXPECT_EQ(q.Quantize(0.0), q.zero_point);
    }
    std::int64_t prev = -1;
    for (int i = 0; i <= 5000; ++i) {
      const double a = lo + (hi - lo) * i / 5000.0;
      const std::int64_t code = q.Quantize(a);
      ASSERT_GE(code, prev) << "not monotone at " << a;
      prev = code;
      // floor quantization: the code's value lies in (a - δ, a] inside the range.
      if (code > 0 && code < q.max_code()) {
        ASSERT_LE(q.Dequantize(code), a + 1e-12);
        ASSERT_GT(q.Dequantize(code), a - q.delta - 1e-12);
      }
    }
  }
}

TEST(AffineQuantizer, RejectsBadRangesAndBits) {
  EXPECT_THROW(AffineQuantizer::FromRange(1.0, -1.0, 16), std::invalid_argument);
  EXPECT_THROW(AffineQuantizer::FromRange(0.0, NAN, 16), std::invalid_argument);
  EXPECT_THROW(AffineQuantizer::FromRange(0.0, 1.0, 1), std::invalid_argument);
  const AffineQuantizer degenerate = AffineQuantizer::FromRange(0.0, 0.0, 8);
  EXPECT_EQ(degenerate.Quantize(0.0), 0);
}

TEST(PowerOfTwoFormat, IntegerBitsFromMaxAbs) {
  EXPECT_EQ(PowerOfTwoFormat(0.5, 16).frac_bits, 15);  // [-1, 1) holds 0.5
  EXPECT_EQ(PowerOfTwoFormat(1.0, 16).frac_bits, 14);  // 1 - 2^-15 < 1: one more integer bit
  EXPECT_EQ(PowerOfTwoFormat(3.0, 16).frac_bits, 13);  // 4 - 2^-13 >= 3
  EXPECT_EQ(PowerOfTwoFormat(0.0, 16).frac_bits, 15);
  EXPECT_EQ(PowerOfTwoFormat(0.2, 16).frac_bits, 17);  // I = -1: (2^15 - 1) / 2^17 ~ 0.25 >= 0.2
  EXPECT_EQ(PowerOfTwoFormat(1000.0, 16).frac_bits, 5);  // 1024 - 1/32
  for (double m : {0.01, 0.3, 7.9, 123.4, 5e4}) {
    const Format f = PowerOfTwoFormat(m, 16);
    EXPECT_GE(f.max_value(), m);
    Format finer = f;
    ++finer.frac_bits;
    EXPECT_LT(finer.max_value(), m) << "not the tightest format for " << m;
  }
  EXPECT_THROW(PowerOfTwoFormat(-1.0, 16), std::invalid_argument);
}

}  // namespace
}  // namespace fixar::num
