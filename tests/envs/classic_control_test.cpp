// Pendulum-v1 and CartPole-v1: one step from a known state, recomputed from the
// published equations (shared/reference/tasks.md, Gymnasium's CartPole-v1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "envs/env.h"

namespace fixar::envs {
namespace {

constexpr double kPi = std::numbers::pi;

double wrap(double theta) {  // to [-pi, pi)
  double r = std::fmod(theta + kPi, 2 * kPi);
  if (r < 0) r += 2 * kPi;
  return r - kPi;
}

TEST(Pendulum, StepFollowsTheDefinition) {
  auto env = make("Pendulum");
  env->reset(0);
  const double theta = 4.0;  // beyond pi: the reward must use the wrapped angle
  const double theta_dot = -3.0;
  const double u = 1.5;
  env->set_state(std::vector<double>{theta, theta_dot});
  StepResult r = env->step(std::vector<double>{u});

  const double expected_reward =
      -(wrap(theta) * wrap(theta) + 0.1 * theta_dot * theta_dot + 0.001 * u * u);
  EXPECT_NEAR(r.reward, expected_reward, 1e-12);
  const double g = 10, m = 1, l = 1, dt = 0.05;
  const double new_dot = std::clamp(
      theta_dot + (3 * g / (2 * l) * std::sin(theta) + 3 / (m * l * l) * u) * dt, -8.0, 8.0);
  const double new_theta = theta + new_dot * dt;
  ASSERT_EQ(r.observation.size(), 3u);
  EXPECT_NEAR(r.observation[0], std::cos(new_theta), 1e-12);
  EXPECT_NEAR(r.observation[1], std::sin(new_theta), 1e-12);
  EXPECT_NEAR(r.observation[2], new_dot, 1e-12);
  EXPECT_NEAR(
      r.info.get("reward_angle") + r.info.get("reward_velocity") + r.info.get("reward_ctrl"),
      r.reward, 1e-12);
  EXPECT_FALSE(r.terminated);
}

TEST(Pendulum, TorqueAndSpeedAreClipped) {
  auto env = make("Pendulum");
  env->reset(0);
  env->set_state(std::vector<double>{kPi / 2, 7.9});
  StepResult r = env->step(std::vector<double>{10.0});  // clipped to 2
  EXPECT_NEAR(r.info.get("reward_ctrl"), -0.001 * 4.0, 1e-15);
  EXPECT_EQ(r.observation[2], 8.0);  // 7.9 + (15 + 6) * 0.05 > 8
}

TEST(Pendulum, ResetDrawsFromTheDocumentedRanges) {
  auto env = make("Pendulum");
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    env->reset(seed);
    const auto s = env->state();
    EXPECT_GE(s[0], -kPi);
    EXPECT_LT(s[0], kPi);
    EXPECT_GE(s[1], -1.0);
    EXPECT_LT(s[1], 1.0);
  }
}

struct CartPoleStep {
  std::vector<double> state;
};

// Gymnasium CartPole-v1, written out independently of the implementation.
std::vector<double> cartpole_reference(std::vector<double> s, int action) {
  const double gravity = 9.8, masscart = 1.0, masspole = 0.1, length = 0.5, force_mag = 10.0,
               tau = 0.02;
  const double total_mass = masscart + masspole, polemass_length = masspole * length;
  const double force = action == 1 ? force_mag : -force_mag;
  const double c = std::cos(s[2]), sn = std::sin(s[2]);
  const double temp = (force + polemass_length * s[3] * s[3] * sn) / total_mass;
  const double thetaacc =
      (gravity * sn - c * temp) / (length * (4.0 / 3.0 - masspole * c * c / total_mass));
  const double xacc = temp - polemass_length * thetaacc * c / total_mass;
  return {s[0] + tau * s[1], s[1] + tau * xacc, s[2] + tau * s[3], s[3] + tau * thetaacc};
}

TEST(CartPole, StepFollowsTheDefinition) {
  auto env = make("CartPole");
  env->reset(0);
  const std::vector<double> s = {0.3, -0.2, 0.05, 0.4};
  for (int action : {0, 1}) {
    env->set_state(s);
    StepResult r = env->step(std::vector<double>{action == 1 ? 0.9 : 0.1});
    const auto expected = cartpole_reference(s, action);
    for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(r.observation[i], expected[i], 1e-14) << i;
    EXPECT_EQ(r.reward, 1.0);
    EXPECT_FALSE(r.terminated);
  }
}

TEST(CartPole, HalfIsTheThresholdBetweenLeftAndRight) {
  auto env = make("CartPole");
  env->reset(0);
  const std::vector<double> s = {0, 0, 0, 0};
  env->set_state(s);
  EXPECT_GT(env->step(std::vector<double>{0.5}).observation[1], 0.0);  // pushed right
  env->set_state(s);
  EXPECT_LT(env->step(std::vector<double>{0.4999}).observation[1], 0.0);  // pushed left
}

TEST(CartPole, TerminatesBeyondTheLimitsWithRewardOne) {
  auto env = make("CartPole");
  env->reset(0);
  env->set_state(std::vector<double>{2.39, 1.0, 0.0, 0.0});  // x' = 2.41 > 2.4
  StepResult r = env->step(std::vector<double>{1.0});
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.reward, 1.0);

  env->reset(0);
  const double twelve_degrees = 12 * 2 * kPi / 360;
  env->set_state(std::vector<double>{0.0, 0.0, twelve_degrees - 0.001, 0.1});  // theta' past 12 deg
  EXPECT_TRUE(env->step(std::vector<double>{1.0}).terminated);

  env->reset(0);
  env->set_state(std::vector<double>{0.0, 0.0, -twelve_degrees + 0.01, 0.0});
  EXPECT_FALSE(env->step(std::vector<double>{0.0}).terminated);
}

TEST(CartPole, ResetIsUniformInPlusMinusFiveHundredths) {
  auto env = make("CartPole");
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    for (double v : env->reset(seed)) {
      EXPECT_GE(v, -0.05);
      EXPECT_LT(v, 0.05);
    }
  }
}

}  // namespace
}  // namespace fixar::envs
