// Typed tensors at the networks' boundary (nn/tensor.h): a fixed-point network passes its
// integers to the next one unchanged, and a two-block input computes what the
// concatenated doubles computed.
#include "nn/tensor.h"

#include <gtest/gtest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "nn/fixed_math.h"
#include "nn/layers.h"
#include "nn/mlp.h"
#include "numerics/rounding.h"

namespace fixar::nn {
namespace {

std::vector<double> UniformValues(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return v;
}

MlpSpec NetSpec(std::vector<int> sizes) {
  MlpSpec s;
  s.name = "net";
  s.sizes = std::move(sizes);
  return s;
}

TEST(ConvertToFixed, KeepsIntegersOfItsOwnFormatAndRoundsOthersAsTheirValue) {
  const num::Format A = num::Signed(32, 16), B = num::Signed(16, 8);
  const std::vector<std::int32_t> raw = {1, -3, 70000, 12345};
  std::vector<std::int32_t> same(4), other(4), via_double(4);
  std::uint64_t sat = 0, sat_ref = 0;
  ConvertToFixed(TensorView::Fixed(raw, A), A, num::Quant::kStochastic, num::Overflow::kSaturate, same, &sat, 7);
  EXPECT_EQ(same, raw);
  EXPECT_EQ(sat, 0u);
  ConvertToFixed(TensorView::Fixed(raw, A), B, num::Quant::kStochastic, num::Overflow::kSaturate, other, &sat, 7, 5);
  Tensor t;
  t.Assign(TensorView::Fixed(raw, A));
  std::vector<double> values(4);
  t.CopyTo(values);
  QuantizeToFixed(values, B, num::Quant::kStochastic, num::Overflow::kSaturate, via_double, &sat_ref, 7, 5);
  EXPECT_EQ(other, via_double);
  EXPECT_EQ(sat, sat_ref);
}

TEST(Tensor, TakeColumnsAndElementwiseMinKeepTheKind) {
  const num::Format A = num::Signed(32, 16);
  Tensor t, cols;
  auto raw = t.MakeFixed(A, 6);
  for (int i = 0; i < 6; ++i) raw[i] = i;  // 2 rows × 3 columns
  TakeColumns(t, 2, 3, 1, 2, cols);
  ASSERT_TRUE(cols.is_fixed());
  EXPECT_EQ(std::vector<std::int32_t>(cols.raw().begin(), cols.raw().end()), (std::vector<std::int32_t>{1, 2, 4, 5}));
  const std::vector<std::int32_t> other = {3, 0, 9, 1};
  ElementwiseMin(cols, TensorView::Fixed(other, A));
  EXPECT_EQ(std::vector<std::int32_t>(cols.raw().begin(), cols.raw().end()), (std::vector<std::int32_t>{1, 0, 4, 1}));
  EXPECT_THROW(TakeColumns(t, 2, 3, 2, 2, cols), std::invalid_argument);
}

// The critic's input as [s | a] blocks (s real, a the actor's raw output) computes what
// the concatenated doubles computed, with stochastic rounding at the input too.
TEST(InputColumns, TwoBlocksComputeWhatTheConcatenatedDoublesComputed) {
  for (const std::string precision : {"float32", "fixed32", "fixed16"}) {
    PrecisionPolicy p = MakePrecision(precision);
    p.rounding = p.is_float ? p.rounding : num::Quant::kStochastic;
    auto actor = Mlp::Create(NetSpec({3, 8, 2}), p, 1);
    auto critic = Mlp::Create(NetSpec({5, 8, 1}), p, 2);
    auto twin = Mlp::Create(NetSpec({5, 8, 1}), p, 2);
    const int B = 4;
    const std::vector<double> s = UniformValues(B * 3, 3);
    Tensor a, q, dx;
    actor->Forward(TensorView::Real(s), B, a);
    EXPECT_EQ(a.is_fixed(), !p.is_float);
    critic->Forward(InputColumns(TensorView::Real(s), 3, a, 2), B, q);
    std::vector<double> a_double(a.size()), concat(B * 5), q_double(B);
    a.CopyTo(a_double);
    ConcatColumns(B, 3, s.data(), 2, a_double.data(), concat.data());
    twin->Forward(concat, B, q_double);
    for (int i = 0; i < B; ++i) EXPECT_EQ(q.value(i), q_double[i]) << precision;
    // Backward: the typed input gradient equals the double one.
    const std::vector<double> dq(B, -0.25);
    std::vector<double> dx_double(B * 5);
    critic->Backward(TensorView::Real(dq), &dx, false);
    twin->Backward(dq, dx_double, false);
    for (int i = 0; i < B * 5; ++i) EXPECT_EQ(dx.value(i), dx_double[i]) << precision;
    EXPECT_THROW(critic->Forward(InputColumns(TensorView::Real(s), 3, a, 1), B, q), std::invalid_argument);
  }
}

}  // namespace
}  // namespace fixar::nn
