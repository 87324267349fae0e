// HAQ's DDPG agent (Wang et al., CVPR 2019) as its public code has it: one continuous
// action in [0, 1] per step, one reward per episode given to every step of it, float
// networks. autoq/haq_search.cpp drives it over the layers of a network.
//
//   action           a = μ(s) + truncated-normal noise N(0, σ_ep) on [0, 1]
//                    (warm-up episodes: a ~ U(0, 1));  σ_ep = σ₀·decay^(ep − warm-up)
//   critic target    y = (R − b) + γ (1 − d) Q'(s', μ'(s')),  b the moving-average
//                    baseline b ← b + α (mean R of the batch − b)
//   critic loss      mean (Q(s, a) − y)²
//   actor loss       −mean Q(s, μ(s))       (deterministic policy gradient)
//   targets          θ' ← τ θ + (1 − τ) θ'
// μ's output is tanh mapped to [0, 1] by (1 + tanh)/2, i.e. HAQ's sigmoid of twice the
// pre-activation. Minibatches are drawn with replacement from the last
// `replay_episodes` episodes.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "nn/mlp.h"
#include "numerics/random.h"

namespace fixar::rl {

// HAQ's hyperparameters (shared/reference/autoq.md). HAQ runs 600 episodes with 20 warm-up
// episodes and σ = 0.5·0.99^(episode − warm-up); for a shorter search the warm-up is
// scaled (20/600 of the episodes, at least 2) and the decay exponent is stretched so σ
// ends where HAQ's ends (0.5·0.99^580 ≈ 0.0015).
struct HaqDdpgConfig {
  std::vector<int> hidden = {300, 300};
  double actor_lr = 1e-4, critic_lr = 1e-3;
  int batch = 64;
  double tau = 0.01;
  double gamma = 1.0;
  double noise_sigma = 0.5;       // initial σ of the truncated normal, in action units [0, 1]
  double noise_decay = 0.99;      // per HAQ episode
  int warmup_episodes = -1;       // -1: 20/600 of the episodes, at least 2
  int replay_episodes = 128;      // the buffer holds this many episodes of transitions
  double moving_alpha = 0.5;      // reward baseline b ← b + α (mean batch reward − b)
  void validate() const;
};

// The shape of the problem the agent plays: every episode has `episode_steps` steps.
struct HaqDdpgShape {
  int state_dim = 0;
  int episode_steps = 0;
  int episodes = 0;  // of the whole search: sets the warm-up and the σ schedule
};

class HaqDdpg {
 public:
  // Actor and critic are seeded with 4·seed + 1 and 4·seed + 2; `seed` also starts the
  // one random stream of the agent (warm-up actions, noise, minibatches), drawn in call order.
  HaqDdpg(const HaqDdpgConfig& config, const HaqDdpgShape& shape, std::uint64_t seed);

  int warmup_episodes() const { return warmup_; }
  // The action for `state` in episode `episode`: U(0, 1) in the warm-up, else μ(s) plus
  // the episode's truncated-normal noise.
  double Act(std::span<const double> state, int episode);
  // One finished episode into the replay buffer: `states` is episode_steps × state_dim
  // (row-major), `actions` one per step; every step gets `reward`, s' is the next row
  // (the last step's is its own and ends the episode).
  void RememberEpisode(std::span<const double> states, std::span<const double> actions, double reward);
  // One update (critic, actor, targets) on a minibatch of batch transitions.
  void Update();

 private:
  struct Transition {
    std::vector<double> s, s_next;
    double a = 0, r = 0;
    bool done = false;
  };
  double Policy(std::span<const double> state);  // μ(s) in [0, 1]
  double NoiseSigma(int episode) const;
  void SampleMinibatch();                          // batch_ and the reward baseline
  void UpdateCritic();
  void UpdateActor();

  HaqDdpgConfig config_;
  HaqDdpgShape shape_;
  int warmup_ = 0;
  double decay_stretch_ = 1;
  num::Random rng_;
  std::unique_ptr<nn::Mlp> actor_, actor_target_, critic_, critic_target_;
  std::vector<Transition> replay_;
  std::size_t replay_capacity_ = 0, replay_next_ = 0;
  double baseline_ = 0;
  bool baseline_set_ = false;
  // Scratch of one update.
  std::vector<const Transition*> batch_;
  std::vector<double> s_, sa_, sa_next_, q_, q_next_, a_next_, y_, dq_, dx_, a_out_, d_a_;
};

}  // namespace fixar::rl
