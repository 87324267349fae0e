// The fast float convolution (implicit GEMM on padded planes, conv_fast.h) and its
// kernel (kern::PanelGemmF32) against their references:
//   * PanelGemmF32 on the active SIMD path vs PanelGemmF32Reference, both operand
//     layouts, with accumulation and more than one k block. Tolerance: the classic
//     worst-case bound for two float sums of the same K products in different orders,
//     |fast − reference| <= 2·K·2^−24 · Σ_k |a_k·b_k|.
//   * ConvForward<float> / ConvBackward<float> (y, dW, db, dx) vs the im2col lowering in
//     double (ConvForwardIm2col<double> / ConvBackwardIm2col<double>), on small random
//     shapes (1 input channel, channels past a panel, 5x5 with and without padding,
//     padding k−1, 1x1, more than one chunk of samples). Tolerance: 1e-4 · RMS of the
//     tensor + 1e-5 · |value| (float sums of up to a few thousand terms are ~1e-6).
//   * the same convolution on the scalar reference path vs the SIMD path (same tolerance).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <ostream>
#include <vector>

#include "cnn/conv_fast.h"
#include "cnn/layers.h"
#include "cnn/ops.h"
#include "kernels/gemm.h"
#include "kernels/panel_gemm.h"

namespace fixar::cnn {
namespace {

std::vector<double> ToDouble(const std::vector<float>& v) { return {v.begin(), v.end()}; }

double Rms(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x * x;
  return v.empty() ? 0 : std::sqrt(s / static_cast<double>(v.size()));
}

// Every element within 1e-4·RMS + 1e-5·|reference|.
void ExpectClose(const std::vector<float>& got, const std::vector<double>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  const double rms = Rms(want);
  for (std::size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-4 * rms + 1e-5 * std::abs(want[i])) << what << " element " << i;
}

// Restores the kernel path at the end of a test.
struct PathGuard {
  kern::Path keep = kern::ActivePath();
  ~PathGuard() { kern::ForcePath(keep); }
};

TEST(PanelGemm, SimdMatchesReferenceInBothLayouts) {
  if (kern::ActivePath() == kern::Path::kReference) GTEST_SKIP() << "no SIMD path on this CPU";
  const int NR = kern::PanelWidth(), M = 13, K = 300, panels = 3;  // K > one k block (256)
  const auto A = NormalSamples(static_cast<std::size_t>(M) * (K + 5), 1.0, 11);
  const auto B = NormalSamples(static_cast<std::size_t>(K) * panels * NR + 64, 1.0, 12);
  std::vector<std::ptrdiff_t> a_rows(M), panel_rows(K), shifted_rows(K);
  for (int i = 0; i < M; ++i) a_rows[i] = static_cast<std::ptrdiff_t>(i) * (K + 5);
  for (int k = 0; k < K; ++k) panel_rows[k] = static_cast<std::ptrdiff_t>(k) * NR, shifted_rows[k] = (k * 7) % 61;
  struct Layout {
    const std::ptrdiff_t* rows;
    std::ptrdiff_t stride;
  };
  for (const Layout l : {Layout{panel_rows.data(), static_cast<std::ptrdiff_t>(K) * NR}, Layout{shifted_rows.data(), NR}})
    for (bool accumulate : {false, true}) {
      const int ldc = panels * NR + 3;
      std::vector<float> fast(static_cast<std::size_t>(M) * ldc, 0.5f), ref = fast;
      kern::PanelGemmArgs args{M, K, A.data(), a_rows.data(), B.data(), l.rows, l.stride, panels, fast.data(), ldc, accumulate};
      kern::PanelGemmF32(args);
      args.C = ref.data();
      kern::PanelGemmF32Reference(NR, args);
      for (int i = 0; i < M; ++i)
        for (int n = 0; n < panels * NR; ++n) {
          double bound = accumulate ? 0.5 : 0.0;
          for (int k = 0; k < K; ++k)
            bound += std::abs(static_cast<double>(A[a_rows[i] + k]) * B[(n / NR) * l.stride + l.rows[k] + n % NR]);
          const std::size_t c = static_cast<std::size_t>(i) * ldc + n;
          ASSERT_NEAR(fast[c], ref[c], 2.0 * K * std::ldexp(1.0, -24) * bound) << "row " << i << " column " << n;
        }
      EXPECT_EQ(fast[panels * NR], 0.5f) << "columns past the panels are not written";
    }
}

struct PanelCase {
  ConvGeometry g;
  int n;
};
void PrintTo(const PanelCase& c, std::ostream* os) {
  *os << c.g.c_in << "x" << c.g.h << "x" << c.g.w << "_to_" << c.g.c_out << "_k" << c.g.kernel << "p" << c.g.padding
      << "_n" << c.n;
}

struct Result {
  std::vector<float> y, dW, db, dx;
};
Result RunFloat(const PanelCase& c, const std::vector<float>& x, const std::vector<float>& W, const std::vector<float>& b,
                const std::vector<float>& dy) {
  Result r{std::vector<float>(dy.size()), std::vector<float>(W.size()), std::vector<float>(b.size()),
           std::vector<float>(x.size())};
  ConvForward<float>(c.g, c.n, x.data(), W.data(), b.data(), r.y.data());
  ConvBackward<float>(c.g, c.n, x.data(), W.data(), dy.data(), r.dW.data(), r.db.data(), r.dx.data());
  return r;
}

class ConvFast : public ::testing::TestWithParam<PanelCase> {};

TEST_P(ConvFast, MatchesDoubleIm2colAndTheReferencePath) {
  const auto c = GetParam();
  const ConvGeometry& g = c.g;
  ASSERT_TRUE(PanelConvApplies(g));
  const auto x = NormalSamples(static_cast<std::size_t>(c.n) * g.c_in * g.h * g.w, 1.0, 21);
  const auto W = NormalSamples(static_cast<std::size_t>(g.c_out) * g.patch(), 0.3, 22);
  const auto b = NormalSamples(g.c_out, 1.0, 23);
  const auto dy = NormalSamples(static_cast<std::size_t>(c.n) * g.c_out * g.positions(), 1.0, 24);
  const Result fast = RunFloat(c, x, W, b, dy);

  const auto xd = ToDouble(x), Wd = ToDouble(W), bd = ToDouble(b), dyd = ToDouble(dy);
  std::vector<double> y(dy.size()), dW(W.size()), db(b.size()), dx(x.size());
  ConvForwardIm2col<double>(g, c.n, xd.data(), Wd.data(), bd.data(), y.data());
  ConvBackwardIm2col<double>(g, c.n, xd.data(), Wd.data(), dyd.data(), dW.data(), db.data(), dx.data());
  ExpectClose(fast.y, y, "y");
  ExpectClose(fast.dW, dW, "dW");
  ExpectClose(fast.db, db, "db");
  ExpectClose(fast.dx, dx, "dx");

  PathGuard guard;
  kern::ForcePath(kern::Path::kReference);
  const Result ref = RunFloat(c, x, W, b, dy);
  ExpectClose(fast.y, ToDouble(ref.y), "y (reference path)");
  ExpectClose(fast.dW, ToDouble(ref.dW), "dW (reference path)");
  ExpectClose(fast.dx, ToDouble(ref.dx), "dx (reference path)");
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvFast,
                         ::testing::Values(PanelCase{{1, 28, 28, 16, 3, 1, 1}, 3},     // vgg conv1, c_in = 1
                                           PanelCase{{16, 14, 14, 32, 3, 1, 1}, 9},    // two chunks
                                           PanelCase{{32, 7, 7, 40, 3, 1, 1}, 2},      // c_out past a panel
                                           PanelCase{{1, 28, 28, 6, 5, 1, 2}, 2},      // lenet conv1
                                           PanelCase{{6, 14, 14, 16, 5, 1, 0}, 10},    // lenet conv2, 'valid'
                                           PanelCase{{3, 7, 9, 5, 3, 1, 2}, 11},       // padding k−1, non-square
                                           PanelCase{{4, 5, 5, 3, 1, 1, 0}, 2}));      // 1x1

// The 2x2 / stride 2 max pool has its own loop (ops.cpp); it must pick what the
// definition picks, the first maximum in window order on ties.
TEST(MaxPool2x2, MatchesTheDefinitionIncludingTies) {
  const PoolGeometry g{3, 6, 8, 2, 2};
  const int n = 2;
  auto x = NormalSamples(static_cast<std::size_t>(n) * g.c * g.h * g.w, 1.0, 31);
  for (std::size_t i = 0; i < x.size(); i += 5) x[i] = 0.5f;  // ties inside some windows
  std::vector<float> y(static_cast<std::size_t>(n) * g.c * g.out_h() * g.out_w());
  std::vector<std::int32_t> arg(y.size());
  MaxPoolForward<float>(g, n, x.data(), y.data(), arg.data());
  std::size_t o = 0;
  for (int s = 0; s < n; ++s)
    for (int c = 0; c < g.c; ++c)
      for (int oy = 0; oy < g.out_h(); ++oy)
        for (int ox = 0; ox < g.out_w(); ++ox, ++o) {
          const float* sample = x.data() + static_cast<std::size_t>(s) * g.c * g.h * g.w;
          int best = (c * g.h + 2 * oy) * g.w + 2 * ox;
          for (int ky = 0; ky < 2; ++ky)
            for (int kx = 0; kx < 2; ++kx) {
              const int i = (c * g.h + 2 * oy + ky) * g.w + 2 * ox + kx;
              if (sample[i] > sample[best]) best = i;
            }
          ASSERT_EQ(arg[o], best) << "output " << o;
          ASSERT_EQ(y[o], sample[best]);
        }
}

TEST(ConvFast, StridesAboveOneTakeTheIm2colPath) {
  EXPECT_FALSE(PanelConvApplies({3, 9, 7, 5, 3, 2, 1}));
  EXPECT_FALSE(PanelConvApplies({2, 6, 6, 3, 3, 1, 3}));  // padding > k − 1
  EXPECT_THROW(ConvForwardPanels({3, 9, 7, 5, 3, 2, 1}, 1, nullptr, nullptr, nullptr, nullptr), std::invalid_argument);
}

}  // namespace
}  // namespace fixar::cnn
