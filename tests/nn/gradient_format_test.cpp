// Gradient formats chosen from observed ranges (nn/gradient_format.h): the rule itself,
// Adam's moments following a moved format, and a network whose weight gradients leave
// the initial format's range.
#include "nn/gradient_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "nn/mlp.h"
#include "nn/optim.h"

namespace fixar::nn {
namespace {

TEST(IntBitsFor, IsTheNarrowestSignedFormatThatHoldsTheValue) {
  EXPECT_EQ(IntBitsFor(0.0, 32, -8), -8);
  EXPECT_EQ(IntBitsFor(0.9, 32, -8), 1);    // [−1, 1)
  EXPECT_EQ(IntBitsFor(1.0, 32, -8), 2);    // 1 needs [−2, 2)
  EXPECT_EQ(IntBitsFor(127.0, 32, -8), 8);  // fixed<32,8>: ±128
  EXPECT_EQ(IntBitsFor(130.0, 32, -8), 9);
  EXPECT_EQ(IntBitsFor(1e-3, 32, -8), -8);  // clamped below
  EXPECT_EQ(IntBitsFor(1e-3, 32, -20), -8);  // 2^-10 <= 1e-3 < 2^-9: I − 1 = −9
}

TEST(DynamicGradientFormat, SaturationWidensAtOnceByTheHeadroom) {
  GradientFormatRule rule;
  rule.headroom_bits = 2;
  DynamicGradientFormat f(num::Signed(32, 24));  // I = 8
  EXPECT_TRUE(f.ObserveMax(f.format().max_raw(), 3, rule));
  EXPECT_EQ(f.format().int_bits(), 10);
  EXPECT_EQ(f.changes(), 1);
}

TEST(DynamicGradientFormat, EveryIntervalTheRangeFollowsTheWindowMaxWithHeadroom) {
  GradientFormatRule rule;
  rule.interval = 4;
  rule.headroom_bits = 2;
  DynamicGradientFormat f(num::Signed(32, 24));
  // max |g| = 0.01 for three calls: no change before the interval ends.
  const auto raw = [&](double v) { return static_cast<std::int64_t>(std::ldexp(v, f.format().frac_bits)); };
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(f.ObserveMax(raw(0.01), 0, rule));
  EXPECT_TRUE(f.ObserveMax(raw(0.003), 0, rule));
  // 0.01 · 4 = 0.04 < 2^-4 = 0.0625: I − 1 = −4.
  EXPECT_EQ(f.format().int_bits(), -3);
  // Then larger gradients: 3.0 · 4 = 12 < 16: I = 5.
  for (int i = 0; i < 4; ++i) f.ObserveMax(raw(3.0), 0, rule);
  EXPECT_EQ(f.format().int_bits(), 5);
  // The rule's limits hold.
  rule.max_int_bits = 6;
  f.ObserveMax(f.format().max_raw(), 1, rule);
  f.ObserveMax(f.format().max_raw(), 1, rule);
  EXPECT_EQ(f.format().int_bits(), 6);
}

TEST(DynamicGradientFormat, FixedRuleNeverMovesAndStateRoundTrips) {
  GradientFormatRule fixed;
  fixed.dynamic = false;
  DynamicGradientFormat f(num::Signed(32, 24));
  EXPECT_FALSE(f.ObserveMax(f.format().max_raw(), 10, fixed));
  EXPECT_EQ(f.format(), num::Signed(32, 24));
  GradientFormatRule rule;
  rule.interval = 10;
  f.ObserveMax(1000, 0, rule);
  f.ObserveMax(f.format().max_raw(), 1, rule);
  util::ByteWriter w;
  f.Save(w);
  DynamicGradientFormat g(num::Signed(32, 24));
  util::ByteReader r(w.bytes().data(), w.bytes().size(), "test");
  g.Load(r);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(g.format(), f.format());
  EXPECT_EQ(g.changes(), f.changes());
  EXPECT_THROW(GradientFormatRule{.interval = 0}.validate("test"), std::invalid_argument);
  EXPECT_THROW(GradientFormatRule{.headroom_bits = 9}.validate("test"), std::invalid_argument);
}

TEST(FixedAdamRescale, MovesTheMomentsWithTheGradientFormat) {
  FixedAdam a;
  a.Resize(3);
  const num::Format g8 = num::Signed(32, 24), g12 = num::Signed(32, 20);
  a.m = {std::int64_t{3} << 30, -(std::int64_t{5} << 26) - 16, 7};  // at F = 30
  a.rms = {std::int64_t{1} << 30, 0, 100};
  const auto m0 = a.m;
  EXPECT_EQ(a.Rescale(g8, g12), 0u);  // 4 fewer fraction bits: values kept to 2^-26
  EXPECT_EQ(a.m[0], std::int64_t{3} << 26);
  EXPECT_EQ(a.m[1], -(std::int64_t{5} << 22) - 1);
  EXPECT_EQ(a.m[2], 0);  // 7·2^-30 rounds away
  EXPECT_EQ(a.Rescale(g12, g8), 0u);
  EXPECT_EQ(a.m[0], m0[0]);
  // Back to a narrower range: values beyond it saturate (and are counted).
  a.m = {std::int64_t{1} << 40, 0, 0};
  a.rms = {0, 0, 0};
  EXPECT_EQ(a.Rescale(g12, num::Signed(32, 28)), 1u);
  EXPECT_EQ(a.m[0], MomentFormat(num::Signed(32, 28)).max_raw());
}

// Inputs of magnitude ~200 make the first layer's weight gradients exceed fixed<32,8>'s
// ±128: with the fixed format they clamp, with dynamic formats the layer's format widens
// after the first saturating call and the gradients then match float32's.
TEST(DynamicGradientFormat, WideGradientsStopClampingInAFixedPointNetwork) {
  MlpSpec spec;
  spec.name = "net";
  spec.sizes = {4, 16, 1};
  spec.final_layer_limit = 0;  // fan-in init for the last layer too: large backpropagated gradients
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-200, 200);
  std::vector<double> x(8 * 4), y(8), dy(8);
  for (auto& v : x) v = u(rng);
  for (auto& v : dy) v = 4.0;
  auto gradients = [&](const PrecisionPolicy& p, int calls) {
    auto net = Mlp::Create(spec, p, 9);
    for (int i = 0; i < calls; ++i) {
      net->Forward(x, 8, y);
      net->Backward(dy, {});
    }
    return std::pair{net->GradientsAsDouble(), net->Stats()[0].gradient_format};
  };
  const auto [ref, ref_fmt] = gradients(MakePrecision("float32"), 1);
  PrecisionPolicy fixed = MakePrecision("fixed32");
  fixed.gradient_rule.dynamic = false;
  const auto [clamped, fixed_fmt] = gradients(fixed, 3);
  const auto [dynamic, dyn_fmt] = gradients(MakePrecision("fixed32"), 3);
  // The binding is captured through an init-capture: clang 14 cannot capture structured bindings.
  auto rel_error = [&ref = ref](const std::vector<double>& g) {
    double d = 0, n = 0;
    for (std::size_t i = 0; i < g.size(); ++i) d += (g[i] - ref[i]) * (g[i] - ref[i]), n += ref[i] * ref[i];
    return std::sqrt(d / n);
  };
  EXPECT_EQ(fixed_fmt, num::Signed(32, 24));
  EXPECT_GT(dyn_fmt.int_bits(), 8);
  EXPECT_GT(rel_error(clamped), 0.05);
  EXPECT_LT(rel_error(dynamic), 1e-6);
}

}  // namespace
}  // namespace fixar::nn
