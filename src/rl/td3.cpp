// TD3's hooks into DDPG's update (the equations are in td3.h).
#include "rl/td3.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include <fmt/format.h>

#include "rl/noise.h"

namespace fixar::rl {

Td3::Td3(const DdpgSpec& spec, const Td3Spec& td3) : Ddpg(spec), td3_(td3) {
  if (td3.policy_delay < 1)
    throw std::invalid_argument(fmt::format("TD3: policy_delay = {}; valid: >= 1", td3.policy_delay));
  critic2_ = MakeCritic("critic2", spec.seed * 4 + 3);
  critic2_target_ = MakeCritic("critic2_target", spec.seed * 4 + 3);
  critic2_target_->CopyParametersFrom(*critic2_);
}

std::unique_ptr<Ddpg> Td3::MakeTwin(const DdpgSpec& spec) const { return std::make_unique<Td3>(spec, td3_); }

// a' = clip(μ'(s') + clip(σε, ±c), ±1), in double: the critics round a' at their input.
void Td3::SmoothTargetActions(nn::Tensor& next_action_tensor) {
  next_action_tensor.ToReal();
  const std::span<double> next_action = next_action_tensor.real();
  const std::uint64_t seed = spec().seed ^ 0x7D3ull;
  for (std::size_t i = 0; i < next_action.size(); ++i) {
    const double eps = std::clamp(td3_.target_noise * CounterNormal(seed, updates() * next_action.size() + i),
                                  -td3_.target_noise_clip, td3_.target_noise_clip);
    next_action[i] = std::clamp(next_action[i] + eps, -1.0, 1.0);
  }
}

// min(Q1'(s', a'), Q2'(s', a'))
void Td3::TargetQ(const nn::InputColumns& critic_in, int B, nn::Tensor& q_next) {
  Ddpg::TargetQ(critic_in, B, q_next);
  critic2_target_->Forward(critic_in, B, q_next2_);
  nn::ElementwiseMin(q_next, q_next2_);
}

void Td3::UpdateCritics(const Batch& b, bool apply, UpdateStats& stats) {
  Ddpg::UpdateCritics(b, apply, stats);
  UpdateCritic(*critic2_, b, apply, /*site=*/2, stats);
  stats.critic_loss /= 2;
}

bool Td3::ActorStepDue() const { return updates() % td3_.policy_delay == 0; }

void Td3::SoftUpdateCriticTargets() {
  Ddpg::SoftUpdateCriticTargets();
  critic2_target_->SoftUpdateFrom(*critic2_, spec().tau);
}

std::vector<nn::Mlp*> Td3::Networks() const {
  auto n = Ddpg::Networks();
  n.push_back(critic2_.get());
  n.push_back(critic2_target_.get());
  return n;
}

}  // namespace fixar::rl
