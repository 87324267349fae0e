// TD3 (Fujimoto et al. 2018) on DDPG's machinery (rl/ddpg.h): the same update in FIXAR's
// order, with three changes that each replace one hook of Ddpg.
//
//   twin critics       Q1, Q2 both regress onto one target; L_Q = (L_Q1 + L_Q2) / 2
//   clipped double Q   y = r + γ (1 − d) min(Q1'(s', a'), Q2'(s', a'))
//   target smoothing   a' = clip(μ'(s') + clip(σε, −c, c), −1, 1),  ε ~ N(0, 1)
//                      (in the [−1, 1] action space, counter-based: a pure function of
//                      the seed, the update count and the element)
//   delayed policy     the actor and all targets step on every `policy_delay`-th update
//
// Checkpoints hold DDPG's four networks followed by critic2 and its target.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "rl/ddpg.h"

namespace fixar::rl {

struct Td3Spec {
  double target_noise = 0.2;       // σ of the target smoothing noise (TD3 paper)
  double target_noise_clip = 0.5;  // c
  int policy_delay = 2;            // the actor and the targets step every this many updates
};

class Td3 final : public Ddpg {
 public:
  Td3(const DdpgSpec& spec, const Td3Spec& td3);
  std::unique_ptr<Ddpg> MakeTwin(const DdpgSpec& spec) const override;

 private:
  void SmoothTargetActions(nn::Tensor& next_action) override;
  void TargetQ(const nn::InputColumns& critic_in, int batch, nn::Tensor& q_next) override;
  void UpdateCritics(const Batch& b, bool apply, UpdateStats& stats) override;
  bool ActorStepDue() const override;
  void SoftUpdateCriticTargets() override;
  std::vector<nn::Mlp*> Networks() const override;

  Td3Spec td3_;
  std::unique_ptr<nn::Mlp> critic2_, critic2_target_;
  nn::Tensor q_next2_;
};

}  // namespace fixar::rl
