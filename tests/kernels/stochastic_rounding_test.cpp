// Stochastic rounding in the kernels: unbiased, fresh bits per seed, the same bits on
// every path and thread count.
//
// The bound used for unbiasedness. A value v = (k + p)·LSB (0 <= p < 1, p a multiple of
// 2^-s for a shift s) rounds up with probability exactly p when the s random bits are
// uniform, so each result is k + X with X ~ Bernoulli(p): mean k + p, variance
// p(1 − p) <= 1/4. The mean of n independent draws then has standard deviation
// <= 1/(2√n) LSB; the tests allow 6 of those (a false failure has probability < 1e-8
// for truly independent bits) and run with fixed seeds, so they are deterministic.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "kernel_state.h"
#include "numerics/rounding.h"

namespace fixar::kern {
namespace {

using StochasticRounding = KernelState;

constexpr std::size_t kDraws = 1 << 16;
const double kBound = 6.0 / (2.0 * std::sqrt(static_cast<double>(kDraws)));  // in LSBs of the result

double Mean(const std::vector<std::int32_t>& v) {
  double s = 0;
  for (auto x : v) s += x;
  return s / static_cast<double>(v.size());
}

// Every path and thread count must give exactly `ref`.
template <typename Fn>
void ExpectSameOnEveryPath(const std::vector<std::int32_t>& ref, const Fn& run) {
  for (Path path : AvailablePaths())
    for (int threads : {1, 2}) {
      ForcePath(path);
      SetNumThreads(threads);
      ASSERT_EQ(run(), ref) << to_string(path) << " threads " << threads;
    }
}

TEST_F(StochasticRounding, RequantizeIsUnbiasedAndKeyedBySeed) {
  // x = 1234 + p in units of the output LSB, at 12 discarded bits; negative values too.
  for (double p : {0.0, 1.0 / 4096, 0.1, 0.5, 0.7, 0.999}) {
    for (int sign : {1, -1}) {
      const std::int64_t raw = sign * ((std::int64_t{1234} << 12) + std::llround(p * 4096));
      const double exact = static_cast<double>(raw) / 4096.0;
      const std::vector<std::int32_t> x(kDraws, static_cast<std::int32_t>(raw));
      std::vector<std::int32_t> out(kDraws), again(kDraws), other(kDraws);
      RequantizeBufferReference(x, 28, num::Signed(32, 16), num::Quant::kStochastic, num::Overflow::kSaturate,
                                std::span<std::int32_t>(out), 42);
      EXPECT_NEAR(Mean(out), exact, kBound) << "p " << p << " sign " << sign;
      for (auto v : out) EXPECT_TRUE(v == std::floor(exact) || v == std::floor(exact) + 1);
      ExpectSameOnEveryPath(out, [&] {
        RequantizeBuffer(x, 28, num::Signed(32, 16), num::Quant::kStochastic, num::Overflow::kSaturate,
                         std::span<std::int32_t>(again), 42);
        return again;
      });
      RequantizeBuffer(x, 28, num::Signed(32, 16), num::Quant::kStochastic, num::Overflow::kSaturate,
                       std::span<std::int32_t>(other), 43);
      const double q = std::llround(p * 4096) / 4096.0;
      if (q > 0.01 && q < 0.99) {
        EXPECT_NE(other, out) << "another seed (another step) draws other bits";
      }
    }
  }
}

TEST_F(StochasticRounding, SoftUpdateIsUnbiased) {
  // τ = 0.001 of src = 1 and dst = 0 (in raw units at 0 fraction bits): τ·1 = 0.001 LSB,
  // which round-to-nearest loses entirely; stochastically it survives on average.
  const std::int64_t tau = std::llround(std::ldexp(0.001, 30));
  const std::vector<std::int32_t> src(kDraws, 1000);
  std::vector<std::int32_t> dst(kDraws, 0);
  SoftUpdateReference(tau, num::Quant::kStochastic, src, dst, 7);
  EXPECT_NEAR(Mean(dst), 1000.0 * static_cast<double>(tau) / std::ldexp(1.0, 30), kBound);
  ExpectSameOnEveryPath(dst, [&] {
    std::vector<std::int32_t> d(kDraws, 0);
    SoftUpdate(tau, num::Quant::kStochastic, src, d, 7);
    return d;
  });
  std::vector<std::int32_t> nearest(kDraws, 0);
  SoftUpdate(tau, num::Quant::kHalfEven, src, nearest);
  EXPECT_EQ(Mean(nearest), 1.0);  // 1.0000.. rounds to 1 every time: the 0.0000.. part is lost
}

TEST_F(StochasticRounding, GemmOutputStageIsUnbiased) {
  // C = A·Bᵀ with one column: every row the same exact product, 0.3 LSB above an integer.
  const int M = static_cast<int>(kDraws), K = 1;
  std::vector<std::int32_t> A(M, 3), B(1, 1 << 10), C(M), C2(M);  // 3·2^10 at 12 bits = 0.75
  OutputStage st;
  st.acc_frac_bits = 12;
  st.out = num::Signed(32, 0);
  st.quant = num::Quant::kStochastic;
  st.seed = 99;
  auto run = [&](std::vector<std::int32_t>& c, std::uint64_t seed) {
    st.seed = seed;
    Gemm(GemmArgs<std::int32_t, std::int32_t, std::int32_t>{.layout = Layout::kNT, .M = M, .N = 1, .K = K,
                                                            .A = A.data(), .lda = K, .B = B.data(), .ldb = K,
                                                            .C = c.data(), .ldc = 1},
         st);
    return c;
  };
  ForcePath(Path::kReference);
  run(C, 99);
  EXPECT_NEAR(Mean(C), 0.75, kBound);
  ExpectSameOnEveryPath(C, [&] { return run(C2, 99); });
  EXPECT_NE(run(C2, 100), C);
}

TEST(RoundingSeed, DependsOnEveryPartOfItsKey) {
  const std::uint64_t s = num::RoundingSeed(1, 2, 3);
  EXPECT_EQ(s, num::RoundingSeed(1, 2, 3));
  EXPECT_NE(s, num::RoundingSeed(0, 2, 3));
  EXPECT_NE(s, num::RoundingSeed(1, 3, 3));
  EXPECT_NE(s, num::RoundingSeed(1, 2, 4));
  EXPECT_NE(num::RoundingSeed(1, 2, 3), num::RoundingSeed(1, 3, 2));  // step and site do not commute
}

}  // namespace
}  // namespace fixar::kern
