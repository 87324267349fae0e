// PPO on a bandit (the gradient of the categorical policy), a chain, CartPole-v1 and
// Pendulum-v1. Budgets are kept small for CI (each test < ~60 s on 2 cores); the longer
// runs are in docs/autoq.md.
#include "rl/ppo.h"

#include <array>
#include <chrono>
#include <cstdlib>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "envs/env.h"

namespace fixar::rl {
namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

int EnvInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

TEST(PpoCartPole, ReachesStatedReturn) {
  PpoConfig c;
  c.total_timesteps = EnvInt("PPO_STEPS", 60'000);
  c.num_envs = 4;
  c.num_steps = 128;
  c.num_minibatches = 4;
  c.update_epochs = 4;
  c.learning_rate = 1e-3;
  c.ent_coef = 0.01;
  c.seed = EnvInt("PPO_SEED", 1);
  const auto t0 = std::chrono::steady_clock::now();
  Ppo ppo(c, [] { return envs::make("CartPole"); });
  ppo.Train([](const PpoLog& l) {
    if (l.update % 20 == 0 && l.scalars.contains("charts/episodic_return"))
      fmt::print("step {:>7}  charts/episodic_return {:.1f}  SPS {:.0f} steps/s\n", l.global_step,
                 l.scalars.at("charts/episodic_return"), l.scalars.at("charts/SPS"));
  });
  const double ret = ppo.Evaluate(10, 10'000);
  fmt::print("CartPole: mean return over 10 deterministic episodes {:.1f} after {} steps, {:.1f} s\n", ret,
             c.total_timesteps, Seconds(t0));
  EXPECT_GE(ret, 195.0);
}

}  // namespace
}  // namespace fixar::rl

namespace fixar::rl {
namespace {

TEST(PpoPendulum, ReachesStatedReturn) {
  PpoConfig c;
  c.total_timesteps = EnvInt("PPO_STEPS", 80'000);
  c.num_envs = 4;
  c.num_steps = 1024;
  c.num_minibatches = EnvInt("PPO_MB", 64);
  c.update_epochs = 10;
  c.learning_rate = 1e-3;
  c.gamma = 0.9;
  c.gae_lambda = 0.95;
  c.ent_coef = 0.0;
  c.normalize_observation = EnvInt("PPO_NORMOBS", 0) != 0;
  c.normalize_reward = EnvInt("PPO_NORMREW", 1) != 0;  // returns of ~ −1000 otherwise swamp the critic
  c.init_log_std = EnvInt("PPO_LOGSTD10", 0) / 10.0;
  c.seed = EnvInt("PPO_SEED", 1);
  const auto t0 = std::chrono::steady_clock::now();
  Ppo ppo(c, [] { return envs::make("Pendulum"); });
  ppo.Train([](const PpoLog& l) {
    if (l.update % 4 == 0 && l.scalars.contains("charts/episodic_return"))
      fmt::print("step {:>7}  charts/episodic_return {:.1f}  std {:.2f}  SPS {:.0f} steps/s\n", l.global_step,
                 l.scalars.at("charts/episodic_return"), l.scalars.at("policy/std_mean"), l.scalars.at("charts/SPS"));
  });
  const double ret = ppo.Evaluate(10, 10'000);
  fmt::print("Pendulum: mean return over 10 deterministic episodes {:.1f} after {} steps, {:.1f} s\n", ret,
             c.total_timesteps, Seconds(t0));
  EXPECT_GE(ret, -400.0);
}

}  // namespace
}  // namespace fixar::rl

namespace fixar::rl {
namespace {

// One step, three arms with rewards 0, 1, 0.5: the categorical policy must pick arm 1.
class Bandit final : public envs::Env {
 public:
  std::string name() const override { return "Bandit"; }
  const envs::Box& observation_space() const override { return obs_; }
  const envs::Box& action_space() const override { return act_; }
  int max_episode_steps() const override { return 1; }
  int discrete_actions() const override { return 3; }
  std::vector<double> reset(std::uint64_t) override { return {1.0}; }
  std::vector<double> reset() override { return {1.0}; }
  envs::StepResult step(std::span<const double> a) override {
    envs::StepResult r;
    r.observation = {1.0};
    r.reward = std::array<double, 3>{0.0, 1.0, 0.5}[static_cast<int>(a[0])];
    r.terminated = true;
    return r;
  }

 private:
  envs::Box obs_{{0.0}, {1.0}}, act_{{0.0}, {2.0}};
};

TEST(PpoBandit, LearnsTheBestArm) {
  PpoConfig c;
  c.total_timesteps = 2048;
  c.num_steps = 64;
  c.num_minibatches = 2;
  c.update_epochs = 4;
  c.learning_rate = 3e-3;
  Ppo ppo(c, [] { return std::make_unique<Bandit>(); });
  EXPECT_NEAR(ppo.Probabilities(std::vector<double>{1.0})[1], 1.0 / 3, 0.05);  // near-uniform at the start
  ppo.Train();
  EXPECT_GT(ppo.Probabilities(std::vector<double>{1.0})[1], 0.9);
  EXPECT_EQ(ppo.Act(std::vector<double>{1.0}, true)[0], 1.0);
  EXPECT_EQ(ppo.history().size(), 32u);
  EXPECT_TRUE(ppo.history().back().scalars.contains("losses/clipfrac"));
}

TEST(PpoConfigValidate, NamesTheBadField) {
  PpoConfig c;
  c.num_minibatches = 0;
  try {
    c.validate();
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("num_minibatches"), std::string::npos);
  }
}

}  // namespace
}  // namespace fixar::rl
