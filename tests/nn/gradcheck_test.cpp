// Finite-difference gradient checks in float64 for every building block and the loss.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "nn/layers.h"

namespace fixar::nn {
namespace {

std::vector<double> Random(std::size_t n, std::mt19937_64& rng, double scale = 1.0) {
  std::uniform_real_distribution<double> u(-scale, scale);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return v;
}

// Central differences of a scalar function of `p` against the analytic gradient.
void ExpectGradient(std::vector<double>& p, const std::function<double()>& f, const std::vector<double>& analytic,
                    const char* what) {
  constexpr double kH = 1e-6;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const double keep = p[i];
    p[i] = keep + kH;
    const double up = f();
    p[i] = keep - kH;
    const double down = f();
    p[i] = keep;
    const double numeric = (up - down) / (2 * kH);
    ASSERT_NEAR(analytic[i], numeric, 1e-6 * std::max(1.0, std::fabs(numeric))) << what << " element " << i;
  }
}

// A scalar loss of a layer's output: L = Σ c_i y_i with fixed random c, so dL/dy = c.
double Dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

TEST(GradCheck, LinearWeightsBiasesAndInputs) {
  std::mt19937_64 rng(1);
  const int batch = 3, in = 5, out = 4;
  auto x = Random(batch * in, rng), W = Random(out * in, rng), b = Random(out, rng), c = Random(batch * out, rng);
  std::vector<double> y(batch * out), dW(W.size()), db(b.size()), dx(x.size());
  auto loss = [&] {
    LinearForward(batch, in, out, x.data(), W.data(), b.data(), y.data(), kern::Split::kRows);
    return Dot(y, c);
  };
  LinearBackward(batch, in, out, x.data(), W.data(), c.data(), dW.data(), db.data(), dx.data(), kern::Split::kRows);
  ExpectGradient(W, loss, dW, "dW");
  ExpectGradient(b, loss, db, "db");
  ExpectGradient(x, loss, dx, "dx");
}

TEST(GradCheck, ReluAndTanh) {
  std::mt19937_64 rng(2);
  for (Activation a : {Activation::kRelu, Activation::kTanh}) {
    auto x = Random(20, rng, 2.0), c = Random(20, rng);
    for (double& v : x)
      if (std::fabs(v) < 1e-3) v = 0.5;  // ReLU's kink is not differentiable
    std::vector<double> y(x.size());
    auto loss = [&] {
      y = x;
      ActivationForward<double>(a, y);
      return Dot(y, c);
    };
    loss();
    std::vector<double> g = c;
    ActivationBackward<double>(a, y, g);
    ExpectGradient(x, loss, g, to_string(a));
  }
}

TEST(GradCheck, MseLoss) {
  std::mt19937_64 rng(3);
  auto q = Random(7, rng, 3.0), t = Random(7, rng, 3.0);
  std::vector<double> dq(q.size()), scratch(q.size());
  MseLoss<double>(q, t, dq);
  auto loss = [&] { return MseLoss<double>(q, t, scratch); };
  ExpectGradient(q, loss, dq, "dL/dq");
}

TEST(GradCheck, ConcatColumnsSplitsTheGradient) {
  std::mt19937_64 rng(4);
  const int rows = 2, ca = 3, cb = 2;
  auto a = Random(rows * ca, rng), b = Random(rows * cb, rng), c = Random(rows * (ca + cb), rng);
  std::vector<double> y(rows * (ca + cb)), ga(a.size()), gb(b.size());
  auto loss = [&] {
    ConcatColumns(rows, ca, a.data(), cb, b.data(), y.data());
    return Dot(y, c);
  };
  SplitColumns(rows, ca, cb, c.data(), ga.data(), gb.data());
  ExpectGradient(a, loss, ga, "d/da");
  ExpectGradient(b, loss, gb, "d/db");
}

TEST(GradCheck, Float32KernelsAgreeWithTheFloat64Layer) {
  std::mt19937_64 rng(5);
  const int batch = 9, in = 23, out = 17;
  auto x = Random(batch * in, rng), W = Random(out * in, rng), b = Random(out, rng), g = Random(batch * out, rng);
  std::vector<double> y(batch * out), dW(W.size()), db(out), dx(x.size());
  LinearForward(batch, in, out, x.data(), W.data(), b.data(), y.data(), kern::Split::kRows);
  LinearBackward(batch, in, out, x.data(), W.data(), g.data(), dW.data(), db.data(), dx.data(), kern::Split::kRows);
  auto f = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  auto xf = f(x), Wf = f(W), bf = f(b), gf = f(g);
  std::vector<float> yf(y.size()), dWf(dW.size()), dbf(db.size()), dxf(dx.size());
  LinearForward(batch, in, out, xf.data(), Wf.data(), bf.data(), yf.data(), kern::Split::kCols);
  LinearBackward(batch, in, out, xf.data(), Wf.data(), gf.data(), dWf.data(), dbf.data(), dxf.data(), kern::Split::kCols);
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(yf[i], y[i], 1e-4);
  for (std::size_t i = 0; i < dW.size(); ++i) EXPECT_NEAR(dWf[i], dW[i], 1e-4);
  for (std::size_t i = 0; i < dx.size(); ++i) EXPECT_NEAR(dxf[i], dx[i], 1e-4);
}

}  // namespace
}  // namespace fixar::nn
