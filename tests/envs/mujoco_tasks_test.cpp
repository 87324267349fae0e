// The MuJoCo tasks: observation layout, reward terms recomputed from the v5 definitions
// on a known state, and the termination (health) conditions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "envs/env.h"

namespace fixar::envs {
namespace {

double squared_norm(const std::vector<double>& a) {
  double s = 0;
  for (double v : a) s += v * v;
  return s;
}

// Observation = qpos[excluded:] ++ clip(qvel, +-clip) of the state().
void expect_layout(const Env& env, int nq, int excluded, double clip) {
  const auto s = env.state();
  const auto obs = env.observation();
  const auto nv = s.size() - static_cast<std::size_t>(nq);
  ASSERT_EQ(obs.size(), static_cast<std::size_t>(nq - excluded) + nv);
  std::size_t k = 0;
  for (int i = excluded; i < nq; ++i) EXPECT_EQ(obs[k++], s[static_cast<std::size_t>(i)]);
  for (std::size_t i = 0; i < nv; ++i) {
    EXPECT_EQ(obs[k++], std::clamp(s[static_cast<std::size_t>(nq) + i], -clip, clip));
  }
}

struct Locomotion {
  std::string name;
  int nq;
  int excluded;
  double velocity_clip;
  double ctrl_weight;
  bool healthy_reward;
};

class LocomotionTask : public ::testing::TestWithParam<Locomotion> {};

TEST_P(LocomotionTask, RewardTermsFollowTheDefinition) {
  const Locomotion& t = GetParam();
  auto env = make(t.name);
  env->reset(4);
  // A known state: the reset state with a forward push on the root.
  auto state = env->state();
  state[static_cast<std::size_t>(t.nq)] = 0.7;  // root x velocity
  env->set_state(state);
  expect_layout(*env, t.nq, t.excluded, t.velocity_clip);

  std::vector<double> action(static_cast<std::size_t>(env->action_space().size()));
  for (std::size_t i = 0; i < action.size(); ++i) action[i] = 0.9 - 0.3 * static_cast<double>(i);
  const double x_before = env->state()[0];
  StepResult r = env->step(action);
  const double x_after = env->state()[0];
  const double x_velocity = (x_after - x_before) / env->dt();
  const double ctrl_cost = t.ctrl_weight * squared_norm(action);
  const double healthy = t.healthy_reward && !r.terminated ? 1.0 : 0.0;

  EXPECT_GT(x_velocity, 0.0);  // the push moved it forward
  EXPECT_NEAR(r.info.get("reward_forward"), x_velocity, 1e-12);
  EXPECT_NEAR(r.info.get("reward_ctrl"), -ctrl_cost, 1e-15);
  EXPECT_NEAR(r.reward, x_velocity + healthy - ctrl_cost, 1e-12);
  EXPECT_EQ(r.info.get("x_position"), x_after);
  if (t.healthy_reward) {
    EXPECT_EQ(r.info.get("reward_survive"), healthy);
  }
  expect_layout(*env, t.nq, t.excluded, t.velocity_clip);
  EXPECT_EQ(r.observation, env->observation());
}

// Out-of-range actions move the robot like the clipped action, but the control cost is
// taken from the action as given (Gymnasium's np.sum(np.square(action))).
TEST_P(LocomotionTask, ActionsAreClippedButCostedAsGiven) {
  const Locomotion& t = GetParam();
  auto a = make(t.name);
  auto b = make(t.name);
  a->reset(2);
  b->reset(2);
  const std::size_t n = static_cast<std::size_t>(a->action_space().size());
  std::vector<double> big(n, 3.0), clipped(n, 1.0);
  StepResult ra = a->step(big);
  StepResult rb = b->step(clipped);
  EXPECT_EQ(ra.observation, rb.observation);
  EXPECT_NEAR(ra.info.get("reward_ctrl"), -t.ctrl_weight * 9.0 * static_cast<double>(n), 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Tasks, LocomotionTask,
                         ::testing::Values(Locomotion{"HalfCheetah", 9, 1, INFINITY, 0.1, false},
                                           Locomotion{"Hopper", 6, 1, 10.0, 1e-3, true},
                                           Locomotion{"Walker2d", 9, 1, 10.0, 1e-3, true},
                                           Locomotion{"Swimmer", 5, 2, INFINITY, 1e-4, false}),
                         [](const ::testing::TestParamInfo<Locomotion>& info) {
                           return info.param.name;
                         });

// Sets one state entry, steps with zero action and reports termination.
bool terminates_with(const std::string& task, std::size_t index, double value) {
  auto env = make(task);
  env->reset(0);
  auto state = env->state();
  state[index] = value;
  env->set_state(state);
  StepResult r =
      env->step(std::vector<double>(static_cast<std::size_t>(env->action_space().size()), 0.0));
  if (r.terminated && r.info.contains("reward_survive")) {
    EXPECT_EQ(r.info.get("reward_survive"), 0.0) << task;
  }
  return r.terminated;
}

TEST(Hopper, TerminatesWhenUnhealthy) {
  EXPECT_FALSE(terminates_with("Hopper", 1, 1.25));      // upright
  EXPECT_TRUE(terminates_with("Hopper", 1, 0.5));        // torso too low (z <= 0.7)
  EXPECT_TRUE(terminates_with("Hopper", 2, 0.3));        // torso pitched forward past 0.2
  EXPECT_TRUE(terminates_with("Hopper", 2, -0.3));       // and backward
  EXPECT_TRUE(terminates_with("Hopper", 6 + 3, 500.0));  // a joint velocity beyond 100
}

TEST(Hopper, ObservationClipsVelocitiesToTen) {
  auto env = make("Hopper");
  env->reset(0);
  auto state = env->state();
  state[6 + 4] = 50.0;
  state[6 + 5] = -50.0;
  env->set_state(state);
  const auto obs = env->observation();
  EXPECT_EQ(obs[5 + 4], 10.0);
  EXPECT_EQ(obs[5 + 5], -10.0);
}

TEST(Walker2d, TerminatesWhenUnhealthy) {
  EXPECT_FALSE(terminates_with("Walker2d", 1, 1.25));
  EXPECT_TRUE(terminates_with("Walker2d", 1, 0.7));  // z <= 0.8
  EXPECT_TRUE(terminates_with("Walker2d", 1, 2.2));  // z >= 2.0
  EXPECT_TRUE(terminates_with("Walker2d", 2, 1.2));  // |angle| >= 1
  EXPECT_FALSE(terminates_with("Walker2d", 2, 0.5));
}

TEST(InvertedPendulum, RewardOneWhileUprightTerminatesBeyondPointTwo) {
  auto env = make("InvertedPendulum");
  env->reset(0);
  StepResult r = env->step(std::vector<double>{0.0});
  EXPECT_EQ(r.reward, 1.0);
  EXPECT_FALSE(r.terminated);
  expect_layout(*env, 2, 0, INFINITY);
  EXPECT_TRUE(terminates_with("InvertedPendulum", 1, 0.3));
  auto again = make("InvertedPendulum");
  again->reset(0);
  again->set_state(std::vector<double>{0.0, 0.3, 0.0, 0.0});
  StepResult fallen = again->step(std::vector<double>{0.0});
  EXPECT_EQ(fallen.reward, 0.0);
}

TEST(NeverTerminating, HalfCheetahAndSwimmerRunToTheLimitUnderRandomActions) {
  for (const char* task : {"HalfCheetah", "Swimmer"}) {
    auto env = make(task);
    env->reset(1);
    std::vector<double> action(static_cast<std::size_t>(env->action_space().size()));
    int steps = 0;
    for (;;) {
      for (std::size_t i = 0; i < action.size(); ++i)
        action[i] = std::sin(0.1 * steps + static_cast<double>(i));
      StepResult r = env->step(action);
      ++steps;
      ASSERT_FALSE(r.terminated) << task;
      if (r.truncated) break;
    }
    EXPECT_EQ(steps, 1000) << task;
  }
}

TEST(ResetNoise, StaysWithinTheDocumentedScale) {
  // Uniform noise bounds (Gymnasium v5 reset_noise_scale) around the reference pose.
  struct Case {
    const char* task;
    double scale;
    std::vector<double> qpos0;
  };
  for (const Case& c :
       {Case{"Hopper", 5e-3, {0, 1.25, 0, 0, 0, 0}},
        Case{"Walker2d", 5e-3, {0, 1.25, 0, 0, 0, 0, 0, 0, 0}},
        Case{"Swimmer", 0.1, {0, 0, 0, 0, 0}}, Case{"InvertedPendulum", 0.01, {0, 0}},
        Case{"HalfCheetah", 0.1, std::vector<double>(9, 0.0)}}) {
    auto env = make(c.task);
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      env->reset(seed);
      const auto s = env->state();
      for (std::size_t i = 0; i < c.qpos0.size(); ++i) {
        EXPECT_LE(std::abs(s[i] - c.qpos0[i]), c.scale) << c.task << " qpos " << i;
      }
    }
  }
}

}  // namespace
}  // namespace fixar::envs
