// Proximal Policy Optimization (Schulman et al. 2017, "clip" variant) for the
// environments of src/envs: a categorical policy for discrete tasks (CartPole, the
// AutoQ bit-width search) and a diagonal Gaussian with a state-independent log-std for
// continuous ones (Pendulum). Separate actor and critic MLPs (float32), each with Adam.
// The algorithm reads top to bottom in ppo.cpp; docs/autoq.md has the measured returns.
//
//   Ppo ppo(PpoConfig{.total_timesteps = 50'000, .seed = 1}, [] { return envs::make("CartPole"); });
//   ppo.Train([](const PpoLog& log) { ... log.scalars.at("charts/episodic_return") ... });
//   double mean_return = ppo.Evaluate(10, /*seed=*/1000);
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "envs/env.h"
#include "nn/layers.h"

namespace fixar::rl {

// Field names and defaults follow CleanRL's ppo.py / ppo_continuous_action.py so that
// published settings carry over.
struct PpoConfig {
  std::int64_t total_timesteps = 100'000;  // environment steps over all copies
  int num_envs = 1;                        // environment copies stepped in lockstep
  int num_steps = 2048;                    // steps per copy per rollout
  int num_minibatches = 32;                // rollout (num_envs * num_steps) split into these
  int update_epochs = 10;                  // passes over one rollout
  double learning_rate = 3e-4;             // Adam, actor and critic
  bool anneal_lr = true;                   // linearly to 0 over the updates
  double adam_eps = 1e-5;
  double gamma = 0.99;                     // discount
  double gae_lambda = 0.95;                // GAE(λ)
  bool norm_adv = true;                    // advantages to zero mean, unit std per minibatch
  double clip_coef = 0.2;                  // ε of the clipped surrogate
  bool clip_vloss = true;                  // clip the value update to ±ε around the old value
  double ent_coef = 0.0;                   // entropy bonus
  double vf_coef = 0.5;                    // value-loss weight (matters through the shared grad clip)
  double max_grad_norm = 0.5;              // global norm over actor, log-std and critic; <= 0: off
  double target_kl = -1;                   // stop the epochs when approx_kl exceeds it; < 0: off
  std::vector<int> hidden = {64, 64};      // actor and critic hidden sizes
  nn::Activation activation = nn::Activation::kTanh;
  double actor_final_limit = 0.01;         // U(±limit) last actor layer: near-uniform initial policy
  double init_log_std = 0.0;               // Gaussian policy: initial log σ per action dimension
  bool normalize_observation = false;      // running mean/std of observations (frozen in Evaluate)
  bool normalize_reward = false;           // divide rewards by the running std of the discounted return
  std::uint64_t seed = 1;

  // Throws std::invalid_argument naming the field, its value and the valid range.
  void validate() const;
};

// One update's logged scalars under stable names:
//   charts/episodic_return, charts/episodic_length (means over episodes ended in the
//   rollout; absent when none ended), charts/episodes, charts/learning_rate, charts/SPS
//   (environment steps per second of wall time), losses/policy_loss, losses/value_loss,
//   losses/entropy, losses/old_approx_kl, losses/approx_kl, losses/clipfrac,
//   losses/explained_variance, policy/std_mean (Gaussian only).
struct PpoLog {
  std::int64_t global_step = 0;  // environment steps so far
  int update = 0;                // 1-based
  std::map<std::string, double> scalars;
};

class Ppo {
 public:
  using EnvFactory = std::function<std::unique_ptr<envs::Env>()>;
  // Creates num_envs environments with make_env (each reset with seed + index) and the
  // networks. Throws std::invalid_argument for a bad config or an environment whose
  // spaces PPO cannot handle (naming the environment).
  Ppo(PpoConfig config, EnvFactory make_env);
  ~Ppo();
  Ppo(const Ppo&) = delete;
  Ppo& operator=(const Ppo&) = delete;

  // Deferred rewards: an environment may end an episode with reward 0 and have its reward
  // computed later, e.g. the bit-width search measuring a whole rollout's assignments at
  // once (possibly on other processes). The policy does not change within a rollout and
  // the actions do not depend on rewards, so the rollout is the same either way. Called
  // once per rollout, before the advantages, the settler returns the rewards of the
  // episodes that ended in the rollout, in the order they ended (copy by copy within a
  // step); each is added to the reward of its episode's last step.
  using RewardSettler = std::function<std::vector<double>()>;

  // Runs until total_timesteps environment steps; calls on_update after every update.
  // Throws std::invalid_argument when settle_rewards is given with normalize_reward (its
  // running statistics need every reward when it is received).
  void Train(const std::function<void(const PpoLog&)>& on_update = {}, const RewardSettler& settle_rewards = {});

  // The action for one raw observation: argmax / mean when deterministic, else sampled.
  // Discrete tasks get {index}; continuous ones the mean clipped to the action bounds.
  std::vector<double> Act(std::span<const double> observation, bool deterministic);
  // Mean undiscounted return of `episodes` episodes on a fresh environment reset with
  // seeds seed, seed + 1, ...
  double Evaluate(int episodes, std::uint64_t seed, bool deterministic = true);

  bool discrete() const;
  const PpoConfig& config() const;
  const std::vector<PpoLog>& history() const;
  // Action probabilities of the categorical policy at a raw observation (discrete only).
  std::vector<double> Probabilities(std::span<const double> observation);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fixar::rl
