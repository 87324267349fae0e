// The elementwise kernels (fixed-point and float Adam, soft update, narrowing) on every
// available path against their scalar references: bit-identical outputs and saturation
// counts, for 1 and 2 threads, on typical training values, the ends of the int32 range,
// and every rounding mode; lengths that leave vector tails and cross the parallel threshold.
#include "kernels/elementwise.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "kernel_state.h"

namespace fixar::kern {
namespace {

using ElementwiseTest = KernelState;

constexpr num::Quant kModes[] = {num::Quant::kFloor, num::Quant::kTowardZero, num::Quant::kHalfUp,
                                 num::Quant::kHalfEven, num::Quant::kStochastic};
const std::size_t kLengths[] = {0, 1, 7, 8, 17, 1000, 40001};

// `bits`-bit magnitudes, with a sprinkling of the int32 extremes when `extreme`.
std::vector<std::int32_t> RandomI32(std::size_t n, int bits, bool extreme, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::int64_t> d(-(std::int64_t{1} << bits), (std::int64_t{1} << bits) - 1);
  std::uniform_int_distribution<int> pick(0, 15);
  std::vector<std::int32_t> v(n);
  for (auto& x : v) {
    x = static_cast<std::int32_t>(d(rng));
    if (extreme) {
      const int p = pick(rng);
      if (p == 0) x = std::numeric_limits<std::int32_t>::min();
      if (p == 1) x = std::numeric_limits<std::int32_t>::max();
      if (p == 2) x = 0;
    }
  }
  return v;
}

FixedAdamConstants Constants(num::Quant q, std::int64_t t, const num::Format& weight, const num::Format& grad) {
  FixedAdamConstants k;
  const auto q30 = [](double x) { return static_cast<std::int64_t>(std::llround(std::ldexp(x, 30))); };
  k.b1 = q30(0.9);
  k.b2 = q30(0.999);
  k.c1 = q30(1.0 / (1.0 - std::pow(0.9, static_cast<double>(t))));
  k.c2 = t == 1000 ? q30(1.0) : q30(1.0 / std::sqrt(1.0 - std::pow(0.999, static_cast<double>(t))));
  k.lr = std::llround(std::ldexp(1e-4, 40));
  const int Fg = grad.frac_bits, Fr = Fg + 6, Fw = weight.frac_bits;
  k.eps = std::max<long long>(1, std::llround(std::ldexp(1e-8, Fr)));
  k.m_format = num::Signed(grad.word_bits + 6, Fr);
  k.m_shift = Fr - Fg;
  k.rms_format = num::Signed(grad.word_bits + 6, Fr);
  k.weight_format = weight;
  k.g2_shift = 2 * (Fr - Fg);
  k.step_shift = FixedAdamConstants::kRatioQ + 40 - Fw;  // m and r share their fraction bits
  k.rounding = q;
  k.seed = 0xADA + static_cast<std::uint64_t>(t);  // stochastic rounding's bits
  return k;
}

TEST_F(ElementwiseTest, AdamMatchesReferenceOnEveryPath) {
  std::mt19937_64 rng(7);
  const num::Format formats[][2] = {{num::Signed(32, 24), num::Signed(32, 24)},
                                    {num::Signed(16, 14), num::Signed(16, 14)}};
  for (const auto& fm : formats) {
    for (num::Quant q : kModes) {
      for (std::int64_t t : {1, 2, 10, 1000}) {
        for (bool extreme : {false, true}) {
          for (std::size_t n : kLengths) {
            const int gbits = fm[1].word_bits == 16 ? 15 : 22;
            const auto g = RandomI32(n, gbits, extreme, rng);
            auto w0 = RandomI32(n, fm[0].word_bits == 16 ? 15 : 24, extreme && fm[0].word_bits == 32, rng);
            const auto m32 = RandomI32(n, gbits + 6, extreme, rng);
            std::vector<std::int64_t> m0(m32.begin(), m32.end());
            if (extreme)  // moments past 2^31 take the scalar loop
              for (std::size_t i = 3; i < n; i += 7) m0[i] = (i % 2 ? 1 : -1) * ((std::int64_t{1} << 35) + 77);
            const auto r32 = RandomI32(n, gbits + 4, false, rng);
            std::vector<std::int64_t> r0(r32.begin(), r32.end());
            for (auto& r : r0) r = r < 0 ? -(r + 1) : r;  // √v >= 0
            if (extreme)  // the largest root below 2^31 (SIMD), and roots past it (scalar loop)
              for (std::size_t i = 0; i < n; i += 5) r0[i] = i % 2 ? INT32_MAX : (std::int64_t{1} << 36) + 12345;
            const auto k = Constants(q, t, fm[0], fm[1]);
            auto w_ref = w0;
            auto m_ref = m0;
            auto r_ref = r0;
            const auto sat_ref = FixedAdamUpdateReference(k, w_ref, g, m_ref, r_ref);
            for (Path path : AvailablePaths()) {
              for (int threads : {1, 2}) {
                ForcePath(path);
                SetNumThreads(threads);
                auto w = w0;
                auto m = m0;
                auto r = r0;
                const auto sat = FixedAdamUpdate(k, w, g, m, r);
                SCOPED_TRACE(testing::Message() << to_string(path) << " threads " << threads << " n " << n
                                                << " t " << t << " mode " << static_cast<int>(q)
                                                << (extreme ? " extreme" : ""));
                ASSERT_EQ(w, w_ref);
                ASSERT_EQ(m, m_ref);
                ASSERT_EQ(r, r_ref);
                ASSERT_EQ(sat, sat_ref);
              }
            }
          }
        }
      }
    }
  }
}

// The SIMD paths find floor √ and the truncating division from double estimates, then
// correct them by one step up or down (elementwise_simd.cpp). Operands log-uniform over their
// whole ranges (roots up to 2^31 − 1, quotients up to the clamp 2^33 and past it), with
// perfect squares and their neighbours and exact quotients, must give the reference's bits.
TEST_F(ElementwiseTest, AdamEstimatesAreCorrectedExactlyOverTheWholeRange) {
  std::mt19937_64 rng(2026);
  auto log_uniform = [&](int max_bits) {  // |x| < 2^max_bits, its bit length uniform
    const int bits = std::uniform_int_distribution<int>(0, max_bits)(rng);
    const std::int64_t x = bits == 0 ? 0 : std::uniform_int_distribution<std::int64_t>(std::int64_t{1} << (bits - 1), (std::int64_t{1} << bits) - 1)(rng);
    return rng() % 2 ? x : -x;
  };
  FixedAdamConstants k = Constants(num::Quant::kHalfEven, 10, num::Signed(32, 24), num::Signed(32, 24));
  k.b2 = std::int64_t{1} << 29;  // mix = floor((r² + g2) / 2): squares, neighbours and the rest
  k.c1 = k.c2 = std::int64_t{1} << 30;  // m̂ = m, den = r + eps: quotients of the stored values
  k.g2_shift = 0;
  k.m_shift = 0;
  k.lr = 1;  // tiny steps: the weights stay in range, so w records the ratio's rounding too
  k.step_shift = 1;
  const std::size_t n = 200000;
  std::vector<std::int32_t> g(n), w0(n, 0);
  std::vector<std::int64_t> m0(n), r0(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t r = std::min<std::int64_t>(std::llabs(log_uniform(31)), INT32_MAX);
    r0[i] = r;
    switch (i % 4) {
      case 0: g[i] = static_cast<std::int32_t>(r); break;                        // mix = r²
      case 1: g[i] = static_cast<std::int32_t>(r > 0 ? r - 1 : 0); break;         // just below r²
      case 2: g[i] = static_cast<std::int32_t>(std::min<std::int64_t>(r + 1, INT32_MAX)); break;  // above
      default: g[i] = static_cast<std::int32_t>(log_uniform(31)); break;
    }
    // m with m·2^26 a multiple of den for some lanes (exact quotients), else any size.
    m0[i] = i % 3 == 0 ? (r + k.eps) * (log_uniform(4)) : log_uniform(30);
    m0[i] = std::clamp<std::int64_t>(m0[i], -INT32_MAX, INT32_MAX);
  }
  auto w_ref = w0;
  auto m_ref = m0;
  auto r_ref = r0;
  const auto sat_ref = FixedAdamUpdateReference(k, w_ref, g, m_ref, r_ref);
  for (Path path : AvailablePaths()) {
    ForcePath(path);
    SetNumThreads(1);
    auto w = w0;
    auto m = m0;
    auto r = r0;
    const auto sat = FixedAdamUpdate(k, w, g, m, r);
    SCOPED_TRACE(to_string(path));
    ASSERT_EQ(r, r_ref);
    ASSERT_EQ(m, m_ref);
    ASSERT_EQ(w, w_ref);
    ASSERT_EQ(sat, sat_ref);
  }
}

TEST_F(ElementwiseTest, MaxAbsMatchesReferenceOnEveryPath) {
  std::mt19937_64 rng(5);
  for (std::size_t n : kLengths) {
    for (bool extreme : {false, true}) {
      const auto x32 = RandomI32(n, 24, extreme, rng);
      std::vector<std::int16_t> x16(n);
      for (std::size_t i = 0; i < n; ++i) x16[i] = static_cast<std::int16_t>(x32[i] >> (extreme ? 16 : 9));
      const std::int64_t ref32 = MaxAbsReference(x32), ref16 = MaxAbsReference(x16);
      for (Path path : AvailablePaths()) {
        ForcePath(path);
        SCOPED_TRACE(testing::Message() << to_string(path) << " n " << n << (extreme ? " extreme" : ""));
        EXPECT_EQ(MaxAbs(x32), ref32);
        EXPECT_EQ(MaxAbs(x16), ref16);
      }
    }
  }
  // The minimum alone, in the last lane of a vector tail: |INT32_MIN| = 2^31.
  std::vector<std::int32_t> x(37, 5);
  x[36] = std::numeric_limits<std::int32_t>::min();
  std::vector<std::int16_t> y(37, -3);
  y[20] = std::numeric_limits<std::int16_t>::min();
  for (Path path : AvailablePaths()) {
    ForcePath(path);
    EXPECT_EQ(MaxAbs(x), std::int64_t{1} << 31) << to_string(path);
    EXPECT_EQ(MaxAbs(y), 32768) << to_string(path);
  }
}

TEST_F(ElementwiseTest, SoftUpdateMatchesReferenceOnEveryPath) {
  std::mt19937_64 rng(11);
  for (num::Quant q : kModes) {
    for (std::int64_t tau : {std::int64_t{0}, std::int64_t{5368709}, std::int64_t{1} << 29, std::int64_t{1} << 30}) {
      for (std::size_t n : kLengths) {
        const auto src = RandomI32(n, 31, true, rng);
        const auto dst0 = RandomI32(n, 31, true, rng);
        auto ref = dst0;
        const std::uint64_t seed = 0x5EED + n;  // stochastic rounding's bits
        SoftUpdateReference(tau, q, src, ref, seed);
        for (Path path : AvailablePaths()) {
          for (int threads : {1, 2}) {
            ForcePath(path);
            SetNumThreads(threads);
            auto dst = dst0;
            SoftUpdate(tau, q, src, dst, seed);
            ASSERT_EQ(dst, ref) << to_string(path) << " threads " << threads << " n " << n << " tau " << tau;
          }
        }
      }
    }
  }
}

TEST_F(ElementwiseTest, RequantizeMatchesReferenceOnEveryPath) {
  std::mt19937_64 rng(13);
  for (num::Quant q : kModes) {
    for (num::Overflow o : {num::Overflow::kSaturate, num::Overflow::kWrap}) {
      for (int to_frac : {-3, 0, 5, 15, 16, 20}) {
        for (std::size_t n : kLengths) {
          const auto x = RandomI32(n, 31, true, rng);
          const num::Format f16 = num::Signed(16, to_frac), f32 = num::Signed(32, to_frac);
          std::vector<std::int16_t> ref16(n), out16(n);
          std::vector<std::int32_t> ref32(n), out32(n);
          const std::uint64_t seed = 0xB175 + n;  // stochastic rounding's bits
          const auto s16 = RequantizeBufferReference(x, 16, f16, q, o, std::span<std::int16_t>(ref16), seed);
          const auto s32 = RequantizeBufferReference(x, 16, f32, q, o, std::span<std::int32_t>(ref32), seed);
          for (Path path : AvailablePaths()) {
            for (int threads : {1, 2}) {
              ForcePath(path);
              SetNumThreads(threads);
              SCOPED_TRACE(testing::Message() << to_string(path) << " threads " << threads << " n " << n
                                              << " to_frac " << to_frac);
              ASSERT_EQ(RequantizeBuffer(x, 16, f16, q, o, std::span<std::int16_t>(out16), seed), s16);
              ASSERT_EQ(out16, ref16);
              ASSERT_EQ(RequantizeBuffer(x, 16, f32, q, o, std::span<std::int32_t>(out32), seed), s32);
              ASSERT_EQ(out32, ref32);
            }
          }
        }
      }
    }
  }
}

// Floats of magnitudes 1e-30 .. 1e3 and both signs, with zeros of both signs and
// subnormals sprinkled in (their products underflow; every path must round them alike).
std::vector<float> RandomF32(std::size_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> exponent(-30, 3), unit(-1, 1);
  std::uniform_int_distribution<int> pick(0, 15);
  std::vector<float> v(n);
  for (auto& x : v) {
    x = static_cast<float>(unit(rng) * std::pow(10.0, exponent(rng)));
    const int p = pick(rng);
    if (p == 0) x = 0.0f;
    if (p == 1) x = -0.0f;
    if (p == 2) x = std::numeric_limits<float>::denorm_min() * static_cast<float>(pick(rng) - 7);
  }
  return v;
}

std::vector<std::uint32_t> Bits(const std::vector<float>& v) {
  std::vector<std::uint32_t> b(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) b[i] = std::bit_cast<std::uint32_t>(v[i]);
  return b;
}

TEST_F(ElementwiseTest, FloatAdamMatchesReferenceOnEveryPath) {
  std::mt19937_64 rng(17);
  for (AdamBiasCorrection where : {AdamBiasCorrection::kOnMoments, AdamBiasCorrection::kFoldedIntoStep}) {
    for (std::int64_t t : {1, 2, 10, 1000}) {
      for (float decay : {-1.0f, 0.0f, 5e-4f}) {  // -1: no decay term
        for (std::size_t n : kLengths) {
          const auto g = RandomF32(n, rng), w0 = RandomF32(n, rng), m0 = RandomF32(n, rng);
          auto v0 = RandomF32(n, rng);
          for (auto& x : v0) x = std::abs(x);  // a second moment is >= 0
          FloatAdamConstants k = MakeFloatAdamConstants(where, 1e-3, 0.9, 0.999, 1e-8, t);
          k.add_decay = decay >= 0;
          k.decay = k.add_decay ? decay : 0.0f;
          auto w_ref = w0, m_ref = m0, v_ref = v0;
          FloatAdamUpdateReference(k, w_ref, g, m_ref, v_ref);
          for (Path path : AvailablePaths()) {
            for (int threads : {1, 2}) {
              ForcePath(path);
              SetNumThreads(threads);
              auto w = w0, m = m0, v = v0;
              FloatAdamUpdate(k, w, g, m, v);
              SCOPED_TRACE(testing::Message() << to_string(path) << " threads " << threads << " n " << n << " t "
                                              << t << " decay " << decay << " folded "
                                              << (where == AdamBiasCorrection::kFoldedIntoStep));
              ASSERT_EQ(Bits(w), Bits(w_ref));
              ASSERT_EQ(Bits(m), Bits(m_ref));
              ASSERT_EQ(Bits(v), Bits(v_ref));
            }
          }
        }
      }
    }
  }
}

// The two placements of the bias corrections are exactly the loops nn's FloatAdam and
// cnn's Optimizer ran before they shared this kernel (so their results did not change).
TEST_F(ElementwiseTest, FloatAdamKeepsNnsAndCnnsFormulas) {
  std::mt19937_64 rng(19);
  const std::size_t n = 1001;
  const auto g = RandomF32(n, rng), w0 = RandomF32(n, rng), m0 = RandomF32(n, rng);
  auto v0 = RandomF32(n, rng);
  for (auto& x : v0) x = std::abs(x);
  const double lr = 3e-4, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  for (std::int64_t t : {1, 7, 500}) {
    const double td = static_cast<double>(t);
    {  // nn: m̂ and v̂ scaled before the step
      auto w = w0, m = m0, v = v0;
      const float b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
      const float c1 = static_cast<float>(1.0 / (1.0 - std::pow(beta1, td)));
      const float c2 = static_cast<float>(1.0 / (1.0 - std::pow(beta2, td)));
      const float flr = static_cast<float>(lr), feps = static_cast<float>(eps);
      for (std::size_t i = 0; i < n; ++i) {
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
        w[i] -= flr * (m[i] * c1) / (std::sqrt(v[i] * c2) + feps);
      }
      auto wk = w0, mk = m0, vk = v0;
      FloatAdamUpdate(MakeFloatAdamConstants(AdamBiasCorrection::kOnMoments, lr, beta1, beta2, eps, t), wk, g, mk,
                      vk);
      EXPECT_EQ(Bits(wk), Bits(w));
      EXPECT_EQ(Bits(mk), Bits(m));
      EXPECT_EQ(Bits(vk), Bits(v));
    }
    for (float decay : {0.0f, 5e-4f}) {  // cnn: corrections folded into the step; L2 always added
      auto w = w0, m = m0, v = v0;
      const float b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
      const double c1 = 1.0 - std::pow(beta1, td), c2 = 1.0 - std::pow(beta2, td);
      const float step = static_cast<float>(lr * std::sqrt(c2) / c1), feps = static_cast<float>(eps * std::sqrt(c2));
      for (std::size_t i = 0; i < n; ++i) {
        const float gi = g[i] + decay * w[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        w[i] -= step * m[i] / (std::sqrt(v[i]) + feps);
      }
      auto k = MakeFloatAdamConstants(AdamBiasCorrection::kFoldedIntoStep, lr, beta1, beta2, eps, t);
      k.add_decay = true;
      k.decay = decay;
      auto wk = w0, mk = m0, vk = v0;
      FloatAdamUpdate(k, wk, g, mk, vk);
      EXPECT_EQ(Bits(wk), Bits(w));
      EXPECT_EQ(Bits(mk), Bits(m));
      EXPECT_EQ(Bits(vk), Bits(v));
    }
  }
}

}  // namespace
}  // namespace fixar::kern
