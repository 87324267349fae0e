// Algorithm 1: the switch happens exactly once, at the delay d, with the recorded ranges.
#include <gtest/gtest.h>

#include <random>

#include "nn/mlp.h"
#include "numerics/quantizer.h"

namespace fixar::nn {
namespace {

MlpSpec Spec() {
  MlpSpec s;
  s.name = "actor";
  s.sizes = {4, 16, 8, 2};
  s.output = Activation::kTanh;
  return s;
}

TEST(Qat, SwitchesExactlyOnceAtTheDelayWithRecordedRanges) {
  const int delay = 5;
  auto net = Mlp::Create(Spec(), MakePrecision("fixar", delay), 3);
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(-3, 3);
  std::vector<double> x(8 * 4), y(8 * 2);
  int switches = 0;
  for (int t = 0; t < 10; ++t) {
    const bool switched = net->SetTrainingStep(t);
    if (switched) {
      ++switches;
      EXPECT_EQ(t, delay);
    }
    EXPECT_EQ(net->quantized(), t >= delay);
    if (t == delay - 1) {
      // Just before the switch: the formats the switch will pick follow the recorded ranges.
      const auto stats = net->Stats();
      for (std::size_t l = 0; l + 1 < stats.size(); ++l)
        EXPECT_EQ(stats[l].activation_format.word_bits, 32) << "still 32-bit before d";
    }
    for (double& v : x) v = u(rng);
    net->Forward(x, 8, y);
  }
  EXPECT_EQ(switches, 1);
  const auto stats = net->Stats();
  // Hidden outputs (inputs of the next layer) are now 16-bit, sized to the recorded range.
  for (std::size_t l = 0; l + 1 < stats.size(); ++l) {
    EXPECT_EQ(stats[l].activation_format.word_bits, 16);
    EXPECT_EQ(stats[l].activation_format, num::PowerOfTwoFormat(std::max(std::fabs(stats[l].range_min),
                                                                         std::fabs(stats[l].range_max)), 16));
  }
  EXPECT_EQ(stats.back().activation_format.word_bits, 32) << "network outputs stay 32-bit";
}

// Headroom h widens every switched format by h integer bits (range × 2^h); values up to
// 2^h times the recorded range then pass without saturation.
TEST(Qat, RangeHeadroomWidensTheSwitchedFormats) {
  std::vector<double> x{0.3, -1.2, 2.0, 0.7}, y(2);
  std::vector<std::vector<num::Format>> formats;
  std::vector<std::uint64_t> saturations;
  for (int h : {0, 1, 2}) {
    PrecisionPolicy p = MakePrecision("fixar", 1);
    p.qat_range_headroom_bits = h;
    auto net = Mlp::Create(Spec(), p, 8);
    net->SetTrainingStep(0);
    net->Forward(x, 1, y);
    net->SetTrainingStep(1);
    ASSERT_TRUE(net->quantized());
    net->ResetStats();
    std::vector<double> big(x);
    for (double& v : big) v *= 1.9;  // inputs (and, roughly, activations) beyond the recorded range
    net->Forward(big, 1, y);
    std::vector<num::Format> f;
    std::uint64_t sat = 0;
    for (const auto& st : net->Stats()) {
      f.push_back(st.activation_format);
      sat += st.saturations;
    }
    formats.push_back(f);
    saturations.push_back(sat);
  }
  for (std::size_t l = 0; l + 1 < formats[0].size(); ++l) {
    EXPECT_EQ(formats[1][l].frac_bits, formats[0][l].frac_bits - 1) << "layer " << l;
    EXPECT_EQ(formats[2][l].frac_bits, formats[0][l].frac_bits - 2) << "layer " << l;
  }
  EXPECT_GT(saturations[0], 0u) << "1.9× the recorded inputs saturate without headroom";
  EXPECT_EQ(saturations[1], 0u);
}

TEST(Qat, DelayZeroSwitchesAfterTheFirstRecordedForward) {
  auto net = Mlp::Create(Spec(), MakePrecision("fixar", 0), 3);
  EXPECT_FALSE(net->SetTrainingStep(0));  // nothing recorded yet
  std::vector<double> x(4, 0.5), y(2);
  net->Forward(x, 1, y);
  EXPECT_TRUE(net->quantized());
}

TEST(Qat, QuantizedForwardStaysCloseToThe32BitOne) {
  for (QatQuantizer kind : {QatQuantizer::kPowerOfTwo, QatQuantizer::kAffine}) {
    SCOPED_TRACE(to_string(kind));
    PrecisionPolicy p = MakePrecision("fixar", 1);
    p.qat_quantizer = kind;
    auto net = Mlp::Create(Spec(), p, 8);
    auto ref = Mlp::Create(Spec(), MakePrecision("fixed32"), 8);
    std::vector<double> x{0.3, -1.2, 2.0, 0.7}, y(2), yr(2);
    net->SetTrainingStep(0);
    net->Forward(x, 1, y);
    net->SetTrainingStep(1);
    ASSERT_TRUE(net->quantized());
    net->Forward(x, 1, y);
    ref->Forward(x, 1, yr);
    for (int i = 0; i < 2; ++i) EXPECT_NEAR(y[i], yr[i], 2e-3);
  }
}

TEST(Qat, NarrowWeightsInWxAyPolicies) {
  MlpSpec spec = Spec();
  spec.final_layer_limit = 0;  // outputs of order 1, so that 8-bit effects show above the output LSB
  auto net = Mlp::Create(spec, MakePrecision("w8a8", 1), 8);
  auto ref = Mlp::Create(spec, MakePrecision("fixed32"), 8);
  std::vector<double> x{0.3, -1.2, 2.0, 0.7}, y(2), yr(2);
  net->Forward(x, 1, y);
  net->SetTrainingStep(1);
  net->Forward(x, 1, y);
  ref->Forward(x, 1, yr);
  // 8-bit weights and activations: close, but visibly not equal.
  for (int i = 0; i < 2; ++i) EXPECT_NEAR(y[i], yr[i], 0.1);
  EXPECT_NE(y, yr);
}

}  // namespace
}  // namespace fixar::nn
