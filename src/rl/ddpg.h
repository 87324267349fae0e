// DDPG (Lillicrap et al.) as FIXAR runs it: one update per environment step, in the
// paper's order — critic forward, backward, update; actor forward, backward, update —
// then the soft target updates. Networks are nn::Mlp in any precision policy; values pass
// between them, the TD target and the loss as typed tensors (nn/tensor.h: raw integers in
// their formats for fixed point). TD3 (rl/td3.h) is DDPG with the protected hooks below
// replaced.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "nn/mlp.h"
#include "nn/tensor.h"
#include "numerics/rounding.h"
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
  virtual ~Ddpg() = default;
  Ddpg(const Ddpg&) = delete;
  Ddpg& operator=(const Ddpg&) = delete;

  // μ(s) for one observation, in the actor's [−1, 1] action space (no noise).
  void Act(std::span<const double> obs, std::span<double> action);
  // One DDPG update from a batch whose actions are in [−1, 1].
  UpdateStats Update(const Batch& batch);
  // The gradients of an Update on this batch, left in critic() and actor() (read them with
  // GradientsAsDouble) without applying anything: weights, optimizer state, targets and
  // the update count stay as they are. Unlike Update, the actor's gradient is taken at the
  // unchanged critic (and TD3's policy delay does not apply).
  UpdateStats Gradients(const Batch& batch);
  // A fresh agent of the same algorithm (and its own settings, e.g. TD3's) with `spec`.
  virtual std::unique_ptr<Ddpg> MakeTwin(const DdpgSpec& spec) const;
  // Every network's parameters from `other` (same architecture, any precision; via
  // Mlp::SetParametersFromDouble). Optimizer state and QAT phase are not copied.
  void CopyParametersFrom(const Ddpg& other);
  const DdpgSpec& spec() const { return spec_; }
  // Drives the QAT switch of every network (Algorithm 1). True when they switched.
  bool SetTrainingStep(std::int64_t step);

  nn::Mlp& actor() { return *actor_; }
  nn::Mlp& critic() { return *critic_; }
  std::vector<nn::LayerStats> Stats() const;  // actor then critic layers
  void ResetStats();

  void Save(util::ByteWriter& w) const;  // the update count, then Networks() in order
  void Load(util::ByteReader& r);

 protected:
  // The hooks of a variant (Td3), called by every update in this order:
  // the target action a' in place of μ'(s') (DDPG: a' = μ'(s')), before Q' sees it;
  virtual void SmoothTargetActions(nn::Tensor& next_action) { (void)next_action; }
  // q_next = the value the TD target bootstraps from at critic_in = [s', a'] (DDPG: Q');
  virtual void TargetQ(const nn::InputColumns& critic_in, int batch, nn::Tensor& q_next);
  // every critic's step towards y: forward, ∂L_Q/∂Q, backward, Adam (when apply);
  virtual void UpdateCritics(const Batch& b, bool apply, UpdateStats& stats);
  // whether an applied update goes on to the actor and the targets;
  virtual bool ActorStepDue() const { return true; }
  // every critic target's soft update (the actor's follows).
  virtual void SoftUpdateCriticTargets();
  // Every network, in checkpoint order.
  virtual std::vector<nn::Mlp*> Networks() const;

  // A critic of this spec (architecture, precision) seeded with `seed`.
  std::unique_ptr<nn::Mlp> MakeCritic(const char* name, std::uint64_t seed) const;
  // One critic's step; site: its stochastic-rounding stream (1, 2, ... per critic).
  void UpdateCritic(nn::Mlp& critic, const Batch& b, bool apply, int site, UpdateStats& stats);
  std::int64_t updates() const { return updates_; }  // applied updates, this one included

 private:
  void TdTargets(const Batch& b);                                  // y_ from q_next_
  // dq_ from q_ and y_; returns L_Q. site: which critic (stochastic rounding's stream).
  double LossGradient(int site);
  // The seed of a stochastic-rounding site of this update (num::RoundingSeed).
  std::uint64_t RoundingSeed(int site) const {
    return num::RoundingSeed(spec_.seed ^ 0x10557ull, static_cast<std::uint64_t>(updates_), static_cast<std::uint64_t>(site));
  }
  UpdateStats Step(const Batch& b, bool apply);                    // Update (apply) or Gradients

  DdpgSpec spec_;
  std::unique_ptr<nn::Mlp> actor_, critic_, actor_target_, critic_target_;
  std::int64_t updates_ = 0;
  // Scratch, reused every update (no allocation in steady state).
  nn::Tensor next_action_, q_, q_next_, y_, dq_, dcritic_in_, action_grad_, act_out_;
  std::vector<double> dj_dq_;  // ∂(−J)/∂Q = −1/B, real
};

}  // namespace fixar::rl
