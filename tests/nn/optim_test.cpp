#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "nn/fixed_math.h"
#include "nn/optim.h"
#include "numerics/rounding.h"

#include <fmt/format.h>

namespace fixar::nn {
namespace {

// Fixed-point Adam tracks float Adam: after 200 steps on gradients of realistic size
// (1e-4 .. 1e-1) the weights differ by less than 1e-5 against a total movement of 8.5e-3
// (200 steps of lr 1e-4 at most); float32 Adam's own rounding on weights near 0.5 is ~1e-6
// over 200 steps.
TEST(FixedAdam, TracksFloatAdam) {
  const num::Format wf = num::Signed(32, 24), gf = num::Signed(32, 24);
  FixedAdamFormats f{wf, gf, RmsFormat(gf)};
  const int n = 64;
  std::mt19937_64 rng(1);
  std::vector<double> wd(n), scale(n);
  std::uniform_real_distribution<double> u(-0.5, 0.5);
  for (int i = 0; i < n; ++i) {
    wd[i] = u(rng);
    scale[i] = std::pow(10.0, -4 + 3.0 * i / n);
  }
  std::vector<float> wfl(wd.begin(), wd.end());
  std::vector<std::int32_t> wq(n);
  for (int i = 0; i < n; ++i) wq[i] = static_cast<std::int32_t>(num::FromDouble(wd[i], wf));
  FloatAdam fa;
  FixedAdam qa;
  fa.Resize(n);
  qa.Resize(n);
  AdamConfig cfg;
  std::normal_distribution<double> g(0.3, 1.0);
  double max_err = 0, max_move = 0;
  for (int t = 1; t <= 200; ++t) {
    std::vector<float> gfl(n);
    std::vector<std::int32_t> gq(n);
    for (int i = 0; i < n; ++i) {
      const double gi = scale[i] * g(rng);
      gq[i] = static_cast<std::int32_t>(num::FromDouble(gi, gf));
      gfl[i] = static_cast<float>(num::ToDouble(gq[i], gf));  // the same gradient in both
    }
    fa.Step(cfg, t, wfl, gfl);
    EXPECT_EQ(qa.Step(cfg, t, f, wq, gq), 0u);
  }
  for (int i = 0; i < n; ++i) {
    max_err = std::max(max_err, std::fabs(num::ToDouble(wq[i], wf) - wfl[i]));
    max_move = std::max(max_move, std::fabs(wfl[i] - wd[i]));
  }
  RecordProperty("max_abs_error", fmt::format("{:.3g}", max_err));
  EXPECT_LT(max_err, 1e-5);
  EXPECT_GT(max_move, 5e-3);
}

// Gradients far above 1 (the critic's first layer on HalfCheetah sees |g| of 2..100):
// r = √v must hold them, or Adam's step m̂/√v̂ grows with |g| instead of staying ~1.
// With r capped at 2 (an earlier format) this test saw steps ~40× too large.
TEST(FixedAdam, LargeGradientsDoNotSaturateTheSecondMoment) {
  const num::Format wf = num::Signed(32, 24), gf = num::Signed(32, 24);
  FixedAdamFormats f{wf, gf, RmsFormat(gf)};
  const int n = 16;
  std::vector<double> wd(n, 0.25);
  std::vector<float> wfl(wd.begin(), wd.end());
  std::vector<std::int32_t> wq(n, static_cast<std::int32_t>(num::FromDouble(0.25, wf)));
  FloatAdam fa;
  FixedAdam qa;
  fa.Resize(n);
  qa.Resize(n);
  AdamConfig cfg;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g(1.0, 1.0);
  for (int t = 1; t <= 100; ++t) {
    std::vector<float> gfl(n);
    std::vector<std::int32_t> gq(n);
    for (int i = 0; i < n; ++i) {
      const double gi = (2.0 + 6.0 * i) * g(rng);  // scales 2 .. 92
      gq[i] = static_cast<std::int32_t>(num::FromDouble(gi, gf));
      gfl[i] = static_cast<float>(num::ToDouble(gq[i], gf));
    }
    fa.Step(cfg, t, wfl, gfl);
    ASSERT_EQ(qa.Step(cfg, t, f, wq, gq), 0u) << "step " << t;
  }
  for (int i = 0; i < n; ++i) {
    const double moved = 0.25 - num::ToDouble(wq[i], wf);
    EXPECT_NEAR(num::ToDouble(wq[i], wf), wfl[i], 1e-6) << "weight " << i;
    EXPECT_LT(std::fabs(moved), 100 * cfg.lr * 1.01) << "weight " << i;  // |Δ| <= lr per step
  }
}

// When a weight's gradient stops (a dead ReLU unit), float Adam's step decays to nothing:
// m shrinks as 0.9^k. Rounded to nearest, a fixed-point m would stick at ±1 LSB while r
// decays to 0, and lr·m/(r + ε) would drift the weight by ~6·lr per step forever.
TEST(FixedAdam, StopsMovingWhenTheGradientStops) {
  const num::Format wf = num::Signed(32, 24), gf = num::Signed(32, 24);
  FixedAdamFormats f{wf, gf, RmsFormat(gf)};
  const int n = 8;
  std::vector<std::int32_t> w(n, 0), g(n);
  FixedAdam qa;
  qa.Resize(n);
  AdamConfig cfg;
  for (int i = 0; i < n; ++i) g[i] = static_cast<std::int32_t>(num::FromDouble((i % 2 ? 1 : -1) * 1e-3 * (i + 1), gf));
  std::int64_t t = 0;
  for (; t < 5; ++t) qa.Step(cfg, t + 1, f, w, g);
  const auto w_stop = w;
  std::fill(g.begin(), g.end(), 0);
  for (; t < 20000; ++t) qa.Step(cfg, t + 1, f, w, g);
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(qa.m[i], 0) << "m decays to exactly 0, weight " << i;
    // Float Adam's total movement after the stop is ~10·lr (0.9^k / 0.9995^k summed).
    EXPECT_LT(std::fabs(num::ToDouble(w[i] - w_stop[i], wf)), 20 * cfg.lr) << "weight " << i;
  }
}

// Small, consistent gradients move their weights as in float Adam: with m truncated at
// the gradient's own LSB, m = trunc(0.9·m + 0.1·g) stays 0 for |g| < 10 LSB (a dead zone
// that froze small actor gradients); with 6 more fraction bits the truncation costs at
// most 10/64 LSB of m: 4 % of a 4-LSB gradient (measured: a 1-LSB gradient moves its
// weight 84 % as far as float Adam, 3 LSB 95 %).
TEST(FixedAdam, SmallConsistentGradientsMoveTheirWeights) {
  const num::Format wf = num::Signed(32, 24), gf = num::Signed(32, 24);
  FixedAdamFormats f{wf, gf, RmsFormat(gf)};
  const std::vector<int> lsbs{4, 8, 16, 100};
  const int n = static_cast<int>(lsbs.size());
  std::vector<std::int32_t> w(n, 0), g(n);
  std::vector<float> wfl(n, 0.0f), gfl(n);
  for (int i = 0; i < n; ++i) {
    g[i] = lsbs[i];
    gfl[i] = static_cast<float>(num::ToDouble(g[i], gf));
  }
  FixedAdam qa;
  FloatAdam fa;
  qa.Resize(n);
  fa.Resize(n);
  AdamConfig cfg;
  for (int t = 1; t <= 2000; ++t) {
    qa.Step(cfg, t, f, w, g);
    fa.Step(cfg, t, wfl, gfl);
  }
  for (int i = 0; i < n; ++i) {
    const double moved = num::ToDouble(w[i], wf), moved_float = wfl[i];
    EXPECT_LT(moved, 0.0) << lsbs[i] << " LSB";
    EXPECT_NEAR(moved / moved_float, 1.0, 0.05) << lsbs[i] << " LSB: fixed " << moved << ", float " << moved_float;
  }
}

TEST(FixedTanh, ErrorBelowTwoMillionths) {
  const num::Format in = num::Signed(32, 16), out = num::Signed(32, 30);
  double worst = 0;
  for (std::int64_t raw = -10 * 65536; raw <= 10 * 65536; raw += 7) {
    const double x = num::ToDouble(raw, in);
    const double y = num::ToDouble(FixedTanh(raw, in, out, num::Quant::kHalfEven, nullptr), out);
    worst = std::max(worst, std::fabs(y - std::tanh(x)));
  }
  RecordProperty("worst_error", fmt::format("{:.3g}", worst));
  EXPECT_LT(worst, 2e-6);
}

}  // namespace
}  // namespace fixar::nn
