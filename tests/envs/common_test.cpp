// Properties every task must have: spaces, errors on bad actions, seeding, cloning,
// the time limit. Run once per registered built-in task.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "envs/env.h"

namespace fixar::envs {
namespace {

struct TaskShape {
  std::string name;
  int observation_size;
  int action_size;
  double action_low, action_high;
  int max_episode_steps;
  double dt;
  int discrete_actions;
};

void PrintTo(const TaskShape& t, std::ostream* os) { *os << t.name; }

class EveryTask : public ::testing::TestWithParam<TaskShape> {};

// A fixed pseudo-random action sequence inside the bounds.
std::vector<std::vector<double>> action_sequence(const Env& env, int steps, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const Box& a = env.action_space();
  std::vector<std::vector<double>> actions(static_cast<std::size_t>(steps));
  for (auto& action : actions) {
    for (int i = 0; i < a.size(); ++i) {
      const auto k = static_cast<std::size_t>(i);
      action.push_back(a.low[k] + (a.high[k] - a.low[k]) * unit(gen));
    }
  }
  return actions;
}

// Observations and rewards of up to `steps` steps (stops at the episode end).
std::vector<double> rollout(Env& env, std::uint64_t seed, int steps) {
  std::vector<double> trace = env.reset(seed);
  for (const auto& action : action_sequence(env, steps, 7)) {
    StepResult r = env.step(action);
    trace.insert(trace.end(), r.observation.begin(), r.observation.end());
    trace.push_back(r.reward);
    if (r.terminated || r.truncated) break;
  }
  return trace;
}

TEST_P(EveryTask, SpacesMatchTheDefinition) {
  const TaskShape& t = GetParam();
  auto env = make(t.name);
  EXPECT_EQ(env->observation_space().size(), t.observation_size);
  EXPECT_EQ(std::ssize(env->observation_space().high), t.observation_size);
  ASSERT_EQ(env->action_space().size(), t.action_size);
  for (int i = 0; i < t.action_size; ++i) {
    EXPECT_EQ(env->action_space().low[static_cast<std::size_t>(i)], t.action_low);
    EXPECT_EQ(env->action_space().high[static_cast<std::size_t>(i)], t.action_high);
  }
  EXPECT_EQ(env->max_episode_steps(), t.max_episode_steps);
  EXPECT_DOUBLE_EQ(env->dt(), t.dt);
  EXPECT_EQ(env->discrete_actions(), t.discrete_actions);
  auto obs = env->reset(1);
  ASSERT_EQ(std::ssize(obs), t.observation_size);
  for (int i = 0; i < t.observation_size; ++i) {
    const auto k = static_cast<std::size_t>(i);
    EXPECT_TRUE(std::isfinite(obs[k]));
    EXPECT_LE(env->observation_space().low[k], obs[k]);
    EXPECT_GE(env->observation_space().high[k], obs[k]);
  }
  EXPECT_EQ(env->observation(), obs);
}

TEST_P(EveryTask, WrongActionSizeThrowsNamingBothSizes) {
  const TaskShape& t = GetParam();
  auto env = make(t.name);
  env->reset(0);
  std::vector<double> too_long(static_cast<std::size_t>(t.action_size + 1), 0.0);
  try {
    env->step(too_long);
    FAIL() << "no exception for an action of size " << too_long.size();
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(t.name), std::string::npos) << message;
    EXPECT_NE(message.find(std::to_string(t.action_size + 1)), std::string::npos) << message;
    EXPECT_NE(message.find(std::to_string(t.action_size)), std::string::npos) << message;
  }
  EXPECT_THROW(env->step(std::vector<double>{}), std::invalid_argument);
  std::vector<double> not_finite(static_cast<std::size_t>(t.action_size), 0.0);
  not_finite[0] = std::nan("");
  EXPECT_THROW(env->step(not_finite), std::invalid_argument);
  EXPECT_THROW(env->set_state(std::vector<double>{1.0}), std::invalid_argument);
}

TEST_P(EveryTask, StepWithoutEpisodeThrows) {
  auto env = make(GetParam().name);
  std::vector<double> action(static_cast<std::size_t>(GetParam().action_size), 0.0);
  EXPECT_THROW(env->step(action), std::logic_error);
}

TEST_P(EveryTask, SameSeedReproducesAndOtherSeedDiffers) {
  auto env = make(GetParam().name);
  const auto first = rollout(*env, 42, 60);
  const auto again = rollout(*env, 42, 60);
  EXPECT_EQ(first, again);  // bit for bit
  auto fresh = make(GetParam().name);
  EXPECT_EQ(rollout(*fresh, 42, 60), first);  // and across instances
  EXPECT_NE(rollout(*env, 43, 60), first);
}

TEST_P(EveryTask, UnseededResetContinuesTheStream) {
  auto a = make(GetParam().name);
  auto b = make(GetParam().name);
  a->reset(5);
  b->reset(5);
  const auto second_a = a->reset();
  EXPECT_EQ(b->reset(), second_a);
  EXPECT_NE(a->reset(5), second_a);
}

TEST_P(EveryTask, CloneContinuesIdentically) {
  auto env = make(GetParam().name);
  env->reset(3);
  const auto actions = action_sequence(*env, 10, 11);
  env->step(actions[0]);
  auto copy = env->clone();
  EXPECT_EQ(copy->state(), env->state());
  EXPECT_EQ(copy->elapsed_steps(), 1);
  for (std::size_t i = 1; i < 5; ++i) {
    StepResult r1 = env->step(actions[i]);
    StepResult r2 = copy->step(actions[i]);
    EXPECT_EQ(r1.observation, r2.observation);
    EXPECT_EQ(r1.reward, r2.reward);
    if (r1.terminated) break;
  }
}

// Holding the state at its initial value keeps terminating tasks alive, so the step
// counter alone decides the end: truncated exactly at max_episode_steps.
TEST_P(EveryTask, TruncatesAtTheEpisodeLimit) {
  const TaskShape& t = GetParam();
  auto env = make(t.name);
  env->reset(9);
  const auto initial = env->state();
  std::vector<double> action(static_cast<std::size_t>(t.action_size), 0.0);
  for (int step = 1; step < t.max_episode_steps; ++step) {
    env->set_state(initial);
    StepResult r = env->step(action);
    ASSERT_FALSE(r.truncated) << "step " << step;
    ASSERT_FALSE(r.terminated) << "step " << step;
  }
  env->set_state(initial);
  StepResult last = env->step(action);
  EXPECT_TRUE(last.truncated);
  EXPECT_EQ(env->elapsed_steps(), t.max_episode_steps);
  EXPECT_THROW(env->step(action), std::logic_error);  // the episode has ended
  env->reset();
  EXPECT_EQ(env->elapsed_steps(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Tasks, EveryTask,
    ::testing::Values(TaskShape{"Pendulum", 3, 1, -2.0, 2.0, 200, 0.05, 0},
                      TaskShape{"CartPole", 4, 1, 0.0, 1.0, 500, 0.02, 2},
                      TaskShape{"HalfCheetah", 17, 6, -1.0, 1.0, 1000, 0.05, 0},
                      TaskShape{"Hopper", 11, 3, -1.0, 1.0, 1000, 0.008, 0},
                      TaskShape{"Swimmer", 8, 2, -1.0, 1.0, 1000, 0.04, 0},
                      TaskShape{"Walker2d", 17, 6, -1.0, 1.0, 1000, 0.008, 0},
                      TaskShape{"InvertedPendulum", 4, 1, -3.0, 3.0, 1000, 0.04, 0}),
    [](const ::testing::TestParamInfo<TaskShape>& info) { return info.param.name; });

}  // namespace
}  // namespace fixar::envs
