// Fake quantization grids, clipping and the straight-through estimator.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "cnn/fake_quant.h"
#include "cnn/layers.h"

namespace fixar::cnn {
namespace {

TEST(FakeQuantWeights, SymmetricGridPerChannel) {
  // Two channels with very different ranges: per-channel scales keep both resolved.
  const std::vector<float> w{1.0f, -0.6f, 0.26f, 0.0f, 0.01f, -0.02f, 0.005f, 0.0f};
  std::vector<float> wq(w.size());
  const auto scales = FakeQuantWeights(w, 2, 4, WeightScaling::kPerChannel, ClipMethod::kMax, wq);
  ASSERT_EQ(scales.size(), 2u);
  EXPECT_FLOAT_EQ(scales[0], 1.0f / 7);  // 4 bits: codes −7..7
  EXPECT_FLOAT_EQ(scales[1], 0.02f / 7);
  EXPECT_FLOAT_EQ(wq[0], 1.0f);
  EXPECT_FLOAT_EQ(wq[1], -4.0f / 7);   // −4.2 → −4
  EXPECT_FLOAT_EQ(wq[2], 2.0f / 7);    // 1.82 → 2
  EXPECT_FLOAT_EQ(wq[3], 0.0f);        // zero is exact
  EXPECT_FLOAT_EQ(wq[5], -0.02f);
  for (std::size_t i = 0; i < w.size(); ++i)
    EXPECT_LE(std::abs(wq[i] - w[i]), scales[i / 4] / 2 + 1e-7f) << i;
  // Per tensor: the small channel collapses onto few codes.
  const auto t = FakeQuantWeights(w, 2, 4, WeightScaling::kPerTensor, ClipMethod::kMax, wq);
  EXPECT_FLOAT_EQ(t[0], t[1]);
  EXPECT_FLOAT_EQ(wq[4], 0.0f);
}

TEST(FakeQuantWeights, TwoBitsIsTernaryAndFloatPassesThrough) {
  const auto w = NormalSamples(64, 1.0, 3);
  std::vector<float> wq(w.size());
  const auto s = FakeQuantWeights(w, 1, 2, WeightScaling::kPerTensor, ClipMethod::kMse, wq);
  std::set<float> levels(wq.begin(), wq.end());
  EXPECT_LE(levels.size(), 3u);
  for (float v : levels) EXPECT_TRUE(v == 0 || std::abs(std::abs(v) - s[0]) < 1e-7f) << v;
  FakeQuantWeights(w, 1, 32, WeightScaling::kPerTensor, ClipMethod::kMse, wq);
  EXPECT_EQ(w, wq);
}

TEST(FakeQuantWeights, MseClipBeatsMaxAtLowBits) {
  auto w = NormalSamples(4096, 1.0, 4);
  w[0] = 8.0f;  // one outlier
  std::vector<float> a(w.size()), b(w.size());
  FakeQuantWeights(w, 1, 3, WeightScaling::kPerTensor, ClipMethod::kMax, a);
  FakeQuantWeights(w, 1, 3, WeightScaling::kPerTensor, ClipMethod::kMse, b);
  double ea = 0, eb = 0;
  for (std::size_t i = 0; i < w.size(); ++i) ea += (a[i] - w[i]) * (a[i] - w[i]), eb += (b[i] - w[i]) * (b[i] - w[i]);
  EXPECT_LT(eb, ea);
}

TEST(FakeQuantActivations, UnsignedAndSignedGrids) {
  std::vector<float> x{-1.0f, 0.0f, 0.3f, 1.0f, 2.0f};
  std::vector<float> q(x.size());
  FakeQuantActivations(x, {0.0f, 1.5f}, 2, q);  // unsigned, codes 0..3, step 0.5
  EXPECT_EQ(q, (std::vector<float>{0.0f, 0.0f, 0.5f, 1.0f, 1.5f}));
  FakeQuantActivations(x, {-1.0f, 0.5f}, 3, q);  // signed, clip max(|lo|,|hi|) = 1, codes −3..3
  EXPECT_FLOAT_EQ(q[0], -1.0f);
  EXPECT_FLOAT_EQ(q[2], 1.0f / 3);
  EXPECT_FLOAT_EQ(q[4], 1.0f);
  const ActRange r = CalibrateActivationRange(x, 8, ClipMethod::kMax);
  EXPECT_FLOAT_EQ(r.lo, -2.0f);  // a signed range is symmetric: ±max(|lo|, |hi|)
  EXPECT_FLOAT_EQ(r.hi, 2.0f);
}

TEST(Ste, GradientPassesInsideAndStopsOutsideTheRange) {
  const std::vector<float> x{-0.5f, 0.2f, 1.0f, 1.7f};
  std::vector<float> g{1, 1, 1, 1};
  SteMask(x, {0.0f, 1.5f}, g);
  EXPECT_EQ(g, (std::vector<float>{0, 1, 1, 0}));
}

TEST(Ste, LayerBackwardUsesQuantizedWeightsAndMasksClippedInputs) {
  Linear fc({4, 1, 1}, 2, false);
  fc.Initialize(1);
  fc.quant() = {true, 3, 4, WeightScaling::kPerChannel, ClipMethod::kMax, {0.0f, 1.0f}};
  Tensor x, y, dy, dx;
  x.Resize(1, {4, 1, 1});
  x.data = {0.5f, 2.0f, 0.25f, 0.9f};  // 2.0 is clipped
  fc.Forward(x, y, Mode::kTrain);
  dy.Resize(1, {2, 1, 1});
  dy.data = {1.0f, -1.0f};
  fc.Backward(x, y, dy, &dx);
  const auto wq = fc.EffectiveWeights();
  EXPECT_FLOAT_EQ(dx.data[1], 0.0f);
  EXPECT_FLOAT_EQ(dx.data[0], wq[0] - wq[4]);  // dL/dx = dy·Wq (STE: ∂Q(x)/∂x = 1 inside)
  // dW is the gradient w.r.t. the quantized weights, given to the float master (STE).
  const auto p = fc.Params();
  EXPECT_FLOAT_EQ(p[0].grad[1], 1.0f);  // dy0 · Q(2.0) = 1 · 1.0 (clipped to the range top)
  // Forward really used the quantized weights and input.
  // Q(0.5) = 8/15 (7.5 rounds to even), Q(2.0) = 1 (clipped), Q(0.25) = 4/15, Q(0.9) = 14/15.
  const float expect = wq[0] * 8.0f / 15 + wq[1] * 1.0f + wq[2] * 4.0f / 15 + wq[3] * 14.0f / 15;
  EXPECT_NEAR(y.data[0], expect, 1e-6f);
}

TEST(CheckBits, NamesTheValueAndTheValidOnes) {
  for (int b : {2, 5, 8, 16, 32}) EXPECT_NO_THROW(CheckBits(b, "x"));
  for (int b : {0, 1, 9, 12, 33}) {
    try {
      CheckBits(b, "layer conv1");
      FAIL() << b;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(b) + " bits"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("2..8"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace fixar::cnn
