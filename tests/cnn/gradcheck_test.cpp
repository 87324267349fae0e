// Finite-difference gradient checks of the CNN kernels in float64: for a random
// projection L = Σ r ⊙ f(x), the analytic dL/dx (and parameter gradients) from the
// backward kernels must match central differences (L(x + h) − L(x − h)) / 2h.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <ostream>
#include <vector>

#include "cnn/layers.h"
#include "cnn/ops.h"

namespace fixar::cnn {
namespace {

std::vector<double> Random(std::size_t n, std::uint64_t seed) {
  const auto f = NormalSamples(n, 1.0, seed);
  return {f.begin(), f.end()};
}

double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Checks grad (analytic dL/dv) against central differences of loss() over every entry of v.
void ExpectGradient(std::vector<double>& v, const std::vector<double>& grad, const std::function<double()>& loss,
                    const char* what, double tol = 1e-6) {
  ASSERT_EQ(v.size(), grad.size()) << what;
  const double h = 1e-5;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double keep = v[i];
    v[i] = keep + h;
    const double up = loss();
    v[i] = keep - h;
    const double down = loss();
    v[i] = keep;
    const double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(grad[i], numeric, tol * std::max(1.0, std::abs(numeric))) << what << " entry " << i;
  }
}

struct ConvCase {
  ConvGeometry g;
  int n;
};
// Readable test names under ctest (instead of the bytes of the struct).
void PrintTo(const ConvCase& c, std::ostream* os) {
  *os << c.g.c_in << "x" << c.g.h << "x" << c.g.w << "_to_" << c.g.c_out << "_k" << c.g.kernel << "s" << c.g.stride
      << "p" << c.g.padding << "_n" << c.n;
}

class ConvGradient : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvGradient, MatchesFiniteDifferences) {
  const auto [g, n] = GetParam();
  auto x = Random(static_cast<std::size_t>(n) * g.c_in * g.h * g.w, 1);
  auto W = Random(static_cast<std::size_t>(g.c_out) * g.patch(), 2);
  auto b = Random(g.c_out, 3);
  const auto r = Random(static_cast<std::size_t>(n) * g.c_out * g.positions(), 4);
  std::vector<double> y(r.size());
  auto loss = [&, &g = g, n = n] {  // init-captures: clang 14 cannot capture structured bindings
    ConvForward<double>(g, n, x.data(), W.data(), b.data(), y.data());
    return Dot(y, r);
  };
  std::vector<double> dW(W.size()), db(b.size()), dx(x.size());
  ConvBackward<double>(g, n, x.data(), W.data(), r.data(), dW.data(), db.data(), dx.data());
  ExpectGradient(x, dx, loss, "dx");
  ExpectGradient(W, dW, loss, "dW");
  ExpectGradient(b, db, loss, "db");
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvGradient,
                         ::testing::Values(ConvCase{{2, 5, 5, 3, 3, 1, 1}, 2},    // 'same' 3x3
                                           ConvCase{{1, 6, 7, 2, 3, 2, 1}, 3},    // stride 2, odd sizes
                                           ConvCase{{3, 4, 4, 2, 2, 2, 0}, 9},    // 2 chunks of samples
                                           ConvCase{{2, 5, 5, 4, 5, 1, 2}, 1}));  // 5x5, padding 2

TEST(PoolGradient, MaxAndAverage) {
  const PoolGeometry g{2, 6, 5, 2, 2};
  const int n = 2;
  // Distinct values: max pooling is differentiable away from ties.
  auto x = Random(static_cast<std::size_t>(n) * g.c * g.h * g.w, 5);
  const auto r = Random(static_cast<std::size_t>(n) * g.c * g.out_h() * g.out_w(), 6);
  std::vector<double> y(r.size()), dx(x.size());
  std::vector<std::int32_t> argmax(r.size());
  auto max_loss = [&] {
    MaxPoolForward<double>(g, n, x.data(), y.data(), argmax.data());
    return Dot(y, r);
  };
  max_loss();
  MaxPoolBackward<double>(g, n, r.data(), argmax.data(), dx.data());
  ExpectGradient(x, dx, max_loss, "maxpool dx");
  auto avg_loss = [&] {
    AvgPoolForward<double>(g, n, x.data(), y.data());
    return Dot(y, r);
  };
  AvgPoolBackward<double>(g, n, r.data(), dx.data());
  ExpectGradient(x, dx, avg_loss, "avgpool dx");
  // Overlapping windows (kernel 3, stride 1) accumulate.
  const PoolGeometry o{1, 4, 4, 3, 1};
  auto x2 = Random(16, 7);
  const auto r2 = Random(4, 8);
  std::vector<double> y2(4), dx2(16);
  auto avg2 = [&] {
    AvgPoolForward<double>(o, 1, x2.data(), y2.data());
    return Dot(y2, r2);
  };
  AvgPoolBackward<double>(o, 1, r2.data(), dx2.data());
  ExpectGradient(x2, dx2, avg2, "overlapping avgpool dx");
}

TEST(BatchNormGradient, TrainingMode) {
  const int n = 3, c = 2, hw = 5;
  auto x = Random(static_cast<std::size_t>(n) * c * hw, 9);
  auto gamma = Random(c, 10), beta = Random(c, 11);
  const auto r = Random(x.size(), 12);
  std::vector<double> y(x.size()), mean(c), invstd(c), var(c);
  auto loss = [&] {
    BatchNormForwardTrain<double>(n, c, hw, x.data(), gamma.data(), beta.data(), 1e-5, y.data(), mean.data(),
                                  invstd.data(), var.data());
    return Dot(y, r);
  };
  loss();
  std::vector<double> dx(x.size()), dgamma(c), dbeta(c);
  BatchNormBackward<double>(n, c, hw, x.data(), gamma.data(), mean.data(), invstd.data(), r.data(), dx.data(),
                            dgamma.data(), dbeta.data());
  ExpectGradient(x, dx, loss, "bn dx", 1e-5);
  ExpectGradient(gamma, dgamma, loss, "bn dgamma");
  ExpectGradient(beta, dbeta, loss, "bn dbeta");
}

TEST(SoftmaxCrossEntropyGradient, MatchesFiniteDifferences) {
  const int n = 4, classes = 5;
  auto z = Random(static_cast<std::size_t>(n) * classes, 13);
  const std::vector<std::int32_t> labels{0, 3, 4, 1};
  std::vector<double> dz(z.size());
  SoftmaxCrossEntropy<double>(n, classes, z.data(), labels.data(), dz.data());
  ExpectGradient(z, dz, [&] { return SoftmaxCrossEntropy<double>(n, classes, z.data(), labels.data(), nullptr); },
                 "dlogits");
  // Uniform logits: loss = log(classes).
  std::vector<double> zero(classes, 0.0);
  const std::int32_t label = 2;
  EXPECT_NEAR(SoftmaxCrossEntropy<double>(1, classes, zero.data(), &label, nullptr), std::log(5.0), 1e-12);
  const std::int32_t bad = 5;
  EXPECT_THROW(SoftmaxCrossEntropy<double>(1, classes, zero.data(), &bad, nullptr), std::out_of_range);
}

// The float layers end to end (Linear and Conv2d through the Layer interface), against
// float central differences with a looser tolerance.
TEST(LayerGradient, LinearFloat) {
  Linear fc({3, 2, 2}, 4, true);
  fc.Initialize(3);
  Tensor x;
  x.Resize(5, {3, 2, 2});
  const auto xs = NormalSamples(x.data.size(), 1.0, 14);
  x.data = xs;
  const auto r = NormalSamples(5 * 4, 1.0, 15);
  Tensor y, dy, dx;
  dy.Resize(5, {4, 1, 1});
  dy.data = r;
  fc.Forward(x, y, Mode::kTrain);
  fc.Backward(x, y, dy, &dx);
  auto loss = [&] {
    fc.Forward(x, y, Mode::kTrain);
    double s = 0;
    for (std::size_t i = 0; i < r.size(); ++i) s += static_cast<double>(y.data[i]) * r[i];
    return s;
  };
  const auto params = fc.Params();
  for (std::size_t i = 0; i < x.data.size(); ++i) {
    const float keep = x.data[i];
    x.data[i] = keep + 1e-2f;
    const double up = loss();
    x.data[i] = keep - 1e-2f;
    const double down = loss();
    x.data[i] = keep;
    EXPECT_NEAR(dx.data[i], (up - down) / 2e-2, 2e-3) << "dx " << i;
  }
  for (std::size_t i = 0; i < params[0].value.size(); ++i) {
    const float keep = params[0].value[i];
    params[0].value[i] = keep + 1e-2f;
    const double up = loss();
    params[0].value[i] = keep - 1e-2f;
    const double down = loss();
    params[0].value[i] = keep;
    EXPECT_NEAR(params[0].grad[i], (up - down) / 2e-2, 2e-3) << "dW " << i;
  }
}

}  // namespace
}  // namespace fixar::cnn
