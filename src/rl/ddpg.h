// DDPG (Lillicrap et al.) as FIXAR runs it: one update per environment step, in the
// paper's order — critic forward, backward, update; actor forward, backward, update —
// then the soft target updates. Networks are nn::Mlp in any precision policy.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "nn/mlp.h"
#include "rl/replay_buffer.h"

namespace fixar::rl {

struct DdpgSpec {
  int obs_dim = 0, action_dim = 0;
  std::vector<int> hidden = {400, 300};
  nn::PrecisionPolicy actor_policy, critic_policy;
  nn::AdamConfig actor_adam, critic_adam;
  double gamma = 0.99, tau = 0.005;
  std::uint64_t seed = 0;
};

struct UpdateStats {
  double critic_loss = 0;  // mean (Q − y)²
  double q_mean = 0;       // mean Q(s, μ(s)) of the actor step (the actor maximises it)
  // Wall time of each phase, seconds (FIXAR's timestep breakdown).
  double critic_s = 0, actor_s = 0, target_s = 0;
};

class Ddpg {
 public:
  explicit Ddpg(const DdpgSpec& spec);

  // μ(s) for one observation, in the actor's [−1, 1] action space (no noise).
  void Act(std::span<const double> obs, std::span<double> action);
  // One DDPG update from a batch whose actions are in [−1, 1].
  UpdateStats Update(const Batch& batch);
  // Drives the QAT switch of all four networks (Algorithm 1). True when they switched.
  bool SetTrainingStep(std::int64_t step);

  nn::Mlp& actor() { return *actor_; }
  nn::Mlp& critic() { return *critic_; }
  std::vector<nn::LayerStats> Stats() const;  // actor then critic layers
  void ResetStats();

  void Save(util::ByteWriter& w) const;
  void Load(util::ByteReader& r);

 private:
  void CriticTargetGradient(const Batch& b, UpdateStats& stats);

  DdpgSpec spec_;
  std::unique_ptr<nn::Mlp> actor_, critic_, actor_target_, critic_target_;
  // Scratch, reused every update (no allocation in steady state).
  std::vector<double> next_action_, critic_in_, q_, q_next_, dq_, dcritic_in_, action_grad_, act_out_;
};

}  // namespace fixar::rl
