// The critic's TD target and MSE loss gradient (nn/td_loss.h) in float and fixed point.
#include "nn/td_loss.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "numerics/rounding.h"

namespace fixar::nn {
namespace {

TEST(TdTargets, FloatIsRewardPlusDiscountedValueUnlessTerminated) {
  const PrecisionPolicy p = MakePrecision("float32");
  const std::vector<double> r = {1.0, -2.0, 0.5}, nt = {1.0, 0.0, 1.0}, qn = {10.0, 99.0, -4.0};
  std::vector<double> y(3);
  TdTargets(p, 0.5, r, nt, qn, y, /*seed=*/0);
  EXPECT_EQ(y, (std::vector<double>{6.0, -2.0, -1.5}));
}

TEST(TdTargets, FixedPointLandsOnTheActivationGrid) {
  const PrecisionPolicy p = MakePrecision("fixed32");
  const num::Format& A = p.activation;
  // γ·q' is not on A's grid (γ = 0.99): the target is rounded to it, once.
  const double q = num::ToDouble(num::FromDouble(3.3, A), A);
  const std::vector<double> r = {0.25, 0.25}, nt = {1.0, 0.0}, qn = {q, q};
  std::vector<double> y(2);
  TdTargets(p, 0.99, r, nt, qn, y, /*seed=*/0);
  EXPECT_EQ(num::ToDouble(num::FromDouble(y[0], A), A), y[0]);
  EXPECT_NEAR(y[0], 0.25 + 0.99 * q, A.lsb());
  EXPECT_EQ(y[1], 0.25);  // terminal: r alone
}

TEST(MseLossGradient, FloatAndFixedPointAgreeOnGridValues) {
  const std::vector<double> q = {1.0, 2.0, -0.5, 0.0}, y = {0.5, 2.5, -0.5, 1.0};
  std::vector<double> dq_f(4), dq_x(4);
  const double loss_f = MseLossGradient(MakePrecision("float32"), q, y, dq_f, 0);
  const double loss_x = MseLossGradient(MakePrecision("fixed32"), q, y, dq_x, 0);
  EXPECT_DOUBLE_EQ(loss_f, (0.25 + 0.25 + 0.0 + 1.0) / 4);
  EXPECT_EQ(loss_x, loss_f);
  EXPECT_EQ(dq_f, (std::vector<double>{0.25, -0.25, 0.0, -0.5}));  // 2 (q − y) / B
  EXPECT_EQ(dq_x, dq_f);  // exact on the gradient grid
}

TEST(MseLossGradient, RejectsLengthsThatDiffer) {
  std::vector<double> q(3), y(2), dq(3);
  EXPECT_THROW(MseLossGradient(MakePrecision("float32"), q, y, dq, 0), std::invalid_argument);
}

}  // namespace
}  // namespace fixar::nn
