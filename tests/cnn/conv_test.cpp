// The im2col + GEMM convolution against the direct seven-loop definition, and the
// determinism promised in ops.h (same bits for any thread count).
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <vector>

#include "cnn/layers.h"
#include "cnn/ops.h"
#include "kernels/parallel.h"

namespace fixar::cnn {
namespace {

struct Case {
  ConvGeometry g;
  int n;
};
// Readable test names under ctest (instead of the bytes of the struct).
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.g.c_in << "x" << c.g.h << "x" << c.g.w << "_to_" << c.g.c_out << "_k" << c.g.kernel << "s" << c.g.stride
      << "p" << c.g.padding << "_n" << c.n;
}

class Im2ColVsDirect : public ::testing::TestWithParam<Case> {};

TEST_P(Im2ColVsDirect, SameOutputs) {
  const auto [g, n] = GetParam();
  const auto x = NormalSamples(static_cast<std::size_t>(n) * g.c_in * g.h * g.w, 1.0, 1);
  const auto W = NormalSamples(static_cast<std::size_t>(g.c_out) * g.patch(), 0.3, 2);
  const auto b = NormalSamples(g.c_out, 1.0, 3);
  std::vector<float> fast(static_cast<std::size_t>(n) * g.c_out * g.positions()), direct(fast.size());
  ConvForward<float>(g, n, x.data(), W.data(), b.data(), fast.data());
  ConvForwardDirect<float>(g, n, x.data(), W.data(), b.data(), direct.data());
  for (std::size_t i = 0; i < fast.size(); ++i)
    ASSERT_NEAR(fast[i], direct[i], 1e-4f * (1.0f + std::abs(direct[i]))) << "output " << i;
  // Without bias too.
  ConvForward<float>(g, n, x.data(), W.data(), nullptr, fast.data());
  ConvForwardDirect<float>(g, n, x.data(), W.data(), nullptr, direct.data());
  for (std::size_t i = 0; i < fast.size(); ++i) ASSERT_NEAR(fast[i], direct[i], 1e-4f * (1.0f + std::abs(direct[i])));
}

INSTANTIATE_TEST_SUITE_P(Shapes, Im2ColVsDirect,
                         ::testing::Values(Case{{1, 28, 28, 16, 3, 1, 1}, 3},   // first VGG layer
                                           Case{{16, 14, 14, 32, 3, 1, 1}, 9},  // > one chunk
                                           Case{{3, 9, 7, 5, 3, 2, 1}, 4},      // stride 2, non-square
                                           Case{{2, 8, 8, 4, 5, 1, 0}, 2},      // 5x5 'valid'
                                           Case{{4, 5, 5, 3, 1, 1, 0}, 2},      // 1x1
                                           Case{{2, 6, 6, 3, 3, 3, 2}, 1}));    // stride 3, padding 2

TEST(ConvDeterminism, SameBitsForOneAndTwoThreads) {
  const ConvGeometry g{8, 14, 14, 16, 3, 1, 1};
  const int n = 21;
  const auto x = NormalSamples(static_cast<std::size_t>(n) * g.c_in * g.h * g.w, 1.0, 4);
  const auto W = NormalSamples(static_cast<std::size_t>(g.c_out) * g.patch(), 0.3, 5);
  const auto dy = NormalSamples(static_cast<std::size_t>(n) * g.c_out * g.positions(), 1.0, 6);
  auto run = [&](int threads) {
    const int keep = kern::NumThreads();
    kern::SetNumThreads(threads);
    std::vector<float> y(dy.size()), dW(W.size()), db(g.c_out), dx(x.size());
    ConvForward<float>(g, n, x.data(), W.data(), nullptr, y.data());
    ConvBackward<float>(g, n, x.data(), W.data(), dy.data(), dW.data(), db.data(), dx.data());
    kern::SetNumThreads(keep);
    y.insert(y.end(), dW.begin(), dW.end());
    y.insert(y.end(), dx.begin(), dx.end());
    return y;
  };
  EXPECT_EQ(run(1), run(2));
}

}  // namespace
}  // namespace fixar::cnn
