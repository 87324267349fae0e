// HAQ's DDPG, top to bottom (the equations are in haq_ddpg.h). Float networks; the
// minibatch, the warm-up actions and the exploration noise come from one random stream,
// drawn in the order the driver calls Act and Update.
#include "rl/haq_ddpg.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/layers.h"
#include "nn/precision.h"
#include "rl/noise.h"

namespace fixar::rl {

void HaqDdpgConfig::validate() const {
  auto fail = [](const char* field, auto v, const char* valid) {
    throw std::invalid_argument(fmt::format("HaqDdpgConfig.{} = {} is invalid; valid: {}", field, v, valid));
  };
  if (hidden.empty()) fail("hidden", "[]", "at least one hidden layer size");
  if (!(actor_lr > 0)) fail("actor_lr", actor_lr, "> 0");
  if (!(critic_lr > 0)) fail("critic_lr", critic_lr, "> 0");
  if (batch < 1) fail("batch", batch, ">= 1");
  if (!(tau > 0 && tau <= 1)) fail("tau", tau, "(0, 1]");
  if (!(gamma >= 0 && gamma <= 1)) fail("gamma", gamma, "[0, 1]");
  if (!(noise_sigma >= 0)) fail("noise_sigma", noise_sigma, ">= 0");
  if (!(noise_decay > 0 && noise_decay <= 1)) fail("noise_decay", noise_decay, "(0, 1]");
  if (replay_episodes < 1) fail("replay_episodes", replay_episodes, ">= 1");
  if (!(moving_alpha >= 0 && moving_alpha <= 1)) fail("moving_alpha", moving_alpha, "[0, 1]");
}

namespace {
nn::MlpSpec Net(const char* name, int in, const std::vector<int>& hidden, nn::Activation output) {
  std::vector<int> sizes{in};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(1);
  return {.name = name, .sizes = sizes, .hidden = nn::Activation::kRelu, .output = output};
}
}  // namespace

HaqDdpg::HaqDdpg(const HaqDdpgConfig& config, const HaqDdpgShape& shape, std::uint64_t seed)
    : config_(config), shape_(shape), rng_(seed) {
  config.validate();
  if (shape.state_dim < 1 || shape.episode_steps < 1 || shape.episodes < 1)
    throw std::invalid_argument(fmt::format("HaqDdpg: state_dim = {}, episode_steps = {}, episodes = {}; all must "
                                            "be >= 1", shape.state_dim, shape.episode_steps, shape.episodes));
  const int E = shape.episodes, S = shape.state_dim, B = config.batch;
  warmup_ = config.warmup_episodes >= 0 ? config.warmup_episodes : std::max(2, (E * 20 + 300) / 600);
  // HAQ decays σ over its 580 post-warm-up episodes; stretch to ours so σ ends at the same value.
  decay_stretch_ = 580.0 / std::max(1, E - warmup_);

  const nn::PrecisionPolicy f32 = nn::MakePrecision("float32");
  const nn::MlpSpec actor_spec = Net("haq.actor", S, config.hidden, nn::Activation::kTanh);
  const nn::MlpSpec critic_spec = Net("haq.critic", S + 1, config.hidden, nn::Activation::kNone);
  actor_ = nn::Mlp::Create(actor_spec, f32, seed * 4 + 1);
  actor_target_ = nn::Mlp::Create(actor_spec, f32, 0);
  critic_ = nn::Mlp::Create(critic_spec, f32, seed * 4 + 2);
  critic_target_ = nn::Mlp::Create(critic_spec, f32, 0);
  actor_target_->CopyParametersFrom(*actor_);
  critic_target_->CopyParametersFrom(*critic_);

  replay_capacity_ = static_cast<std::size_t>(config.replay_episodes) * shape.episode_steps;
  batch_.resize(B);
  s_.resize(B * S);
  sa_.resize(B * (S + 1));
  sa_next_.resize(B * (S + 1));
  for (auto* v : {&q_, &q_next_, &a_next_, &y_, &dq_, &a_out_, &d_a_}) v->resize(B);
  dx_.resize(B * (S + 1));
}

double HaqDdpg::Policy(std::span<const double> state) {
  double y = 0;
  actor_->Forward(state, 1, {&y, 1});
  return 0.5 * (1.0 + y);
}

double HaqDdpg::NoiseSigma(int episode) const {
  return config_.noise_sigma * std::pow(config_.noise_decay, std::max(0, episode - warmup_) * decay_stretch_);
}

double HaqDdpg::Act(std::span<const double> state, int episode) {
  if (episode < warmup_) return rng_.uniform01();
  const double sigma = NoiseSigma(episode);
  return TruncatedNormal(Policy(state), sigma, 0.0, 1.0, rng_);
}

void HaqDdpg::RememberEpisode(std::span<const double> states, std::span<const double> actions, double reward) {
  const int T = shape_.episode_steps, S = shape_.state_dim;
  if (static_cast<int>(actions.size()) != T || static_cast<int>(states.size()) != T * S)
    throw std::invalid_argument(fmt::format("HaqDdpg::RememberEpisode: {} actions and {} state values; expected {} "
                                            "and {} × {}", actions.size(), states.size(), T, T, S));
  const auto row = [&](int p) { return states.subspan(static_cast<std::size_t>(p) * S, S); };
  for (int p = 0; p < T; ++p) {
    const auto s = row(p), s_next = row(std::min(p + 1, T - 1));
    Transition t{.s = {s.begin(), s.end()}, .s_next = {s_next.begin(), s_next.end()}, .a = actions[p], .r = reward,
                 .done = p == T - 1};
    if (replay_.size() < replay_capacity_) replay_.push_back(std::move(t));
    else replay_[replay_next_] = std::move(t);
    replay_next_ = (replay_next_ + 1) % replay_capacity_;
  }
}

// batch_ drawn with replacement, and the moving-average baseline moved to its mean reward.
void HaqDdpg::SampleMinibatch() {
  const int B = config_.batch;
  double mean_r = 0;
  for (int i = 0; i < B; ++i) {
    batch_[i] = &replay_[rng_.below(static_cast<int>(replay_.size()))];
    mean_r += batch_[i]->r / B;
  }
  baseline_ = baseline_set_ ? baseline_ + config_.moving_alpha * (mean_r - baseline_) : mean_r;
  baseline_set_ = true;
}

// y = (R − b) + γ (1 − d) Q'(s', μ'(s')); L = mean (Q − y)², dL/dQ = 2 (Q − y) / B.
// Leaves s_ = s and sa_ = [s, a] of the minibatch for the actor step.
void HaqDdpg::UpdateCritic() {
  const int B = config_.batch, S = shape_.state_dim;
  for (int i = 0; i < B; ++i) std::copy(batch_[i]->s_next.begin(), batch_[i]->s_next.end(), s_.begin() + i * S);
  actor_target_->Forward(s_, B, a_next_);  // μ'(s') as tanh
  for (int i = 0; i < B; ++i) {
    const Transition& t = *batch_[i];
    std::copy(t.s_next.begin(), t.s_next.end(), sa_next_.begin() + i * (S + 1));
    sa_next_[i * (S + 1) + S] = 0.5 * (1.0 + a_next_[i]);
    std::copy(t.s.begin(), t.s.end(), sa_.begin() + i * (S + 1));
    sa_[i * (S + 1) + S] = t.a;
    std::copy(t.s.begin(), t.s.end(), s_.begin() + i * S);
  }
  critic_target_->Forward(sa_next_, B, q_next_);
  for (int i = 0; i < B; ++i)
    y_[i] = (batch_[i]->r - baseline_) + config_.gamma * (batch_[i]->done ? 0.0 : q_next_[i]);
  critic_->Forward(sa_, B, q_);
  nn::MseLoss<double>(q_, y_, dq_);
  critic_->Backward(dq_, {}, true);
  critic_->AdamStep({.lr = config_.critic_lr});
}

// L = −mean Q(s, μ(s)); dL/dtanh = −(dQ/da)·½ / B (a = (1 + tanh)/2).
void HaqDdpg::UpdateActor() {
  const int B = config_.batch, S = shape_.state_dim;
  actor_->Forward(s_, B, a_out_);
  for (int i = 0; i < B; ++i) sa_[i * (S + 1) + S] = 0.5 * (1.0 + a_out_[i]);
  critic_->Forward(sa_, B, q_);
  std::fill(dq_.begin(), dq_.end(), 1.0);
  critic_->Backward(dq_, dx_, /*param_grads=*/false);
  for (int i = 0; i < B; ++i) d_a_[i] = -0.5 * dx_[i * (S + 1) + S] / B;
  actor_->Backward(d_a_, {}, true);
  actor_->AdamStep({.lr = config_.actor_lr});
}

void HaqDdpg::Update() {
  if (replay_.empty()) throw std::logic_error("HaqDdpg::Update: the replay buffer is empty (RememberEpisode first)");
  SampleMinibatch();
  UpdateCritic();
  UpdateActor();
  actor_target_->SoftUpdateFrom(*actor_, config_.tau);
  critic_target_->SoftUpdateFrom(*critic_, config_.tau);
}

}  // namespace fixar::rl
