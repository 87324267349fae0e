// DDPG, top to bottom. Notation: s state, a action in [−1, 1], r reward, s' next state,
// d terminated (not truncated: a time-limit cut still bootstraps), μ actor, Q critic,
// primes are the target networks, B the batch size.
//
//   critic:  y = r + γ (1 − d) Q'(s', μ'(s'))         TD target
//            L_Q = (1/B) Σ (Q(s, a) − y)²            ∂L_Q/∂Q = 2 (Q − y) / B
//   actor:   J = (1/B) Σ Q(s, μ(s))                  ascend: ∂(−J)/∂μ = −(1/B) ∂Q/∂a
//   targets: θ' ← τ θ + (1 − τ) θ'
//
// In fixed point the TD target and the loss gradient are integer operations in the
// critic's formats (nn/td_loss.h), so the whole update is bit-accurate.
#include "rl/ddpg.h"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/layers.h"
#include "nn/td_loss.h"

namespace fixar::rl {

namespace {
nn::MlpSpec Net(const char* name, int in, const std::vector<int>& hidden, int out, nn::Activation output) {
  nn::MlpSpec s;
  s.name = name;
  s.sizes.push_back(in);
  s.sizes.insert(s.sizes.end(), hidden.begin(), hidden.end());
  s.sizes.push_back(out);
  s.output = output;
  return s;  // hidden ReLU; U(±1/√fan_in) init, last layer U(±3e-3) (Lillicrap et al.)
}
}  // namespace

Ddpg::Ddpg(const DdpgSpec& spec) : spec_(spec) {
  if (spec.obs_dim < 1 || spec.action_dim < 1)
    throw std::invalid_argument(fmt::format("DDPG: obs_dim = {}, action_dim = {}; both must be >= 1", spec.obs_dim,
                                            spec.action_dim));
  const auto actor = [&](const char* name) {
    return nn::Mlp::Create(Net(name, spec.obs_dim, spec.hidden, spec.action_dim, nn::Activation::kTanh),
                           spec.actor_policy, spec.seed * 4 + 1);
  };
  actor_ = actor("actor");
  critic_ = MakeCritic("critic", spec.seed * 4 + 2);
  actor_target_ = actor("actor_target");
  critic_target_ = MakeCritic("critic_target", spec.seed * 4 + 2);
  actor_target_->CopyParametersFrom(*actor_);
  critic_target_->CopyParametersFrom(*critic_);
}

std::unique_ptr<nn::Mlp> Ddpg::MakeCritic(const char* name, std::uint64_t seed) const {
  return nn::Mlp::Create(Net(name, spec_.obs_dim + spec_.action_dim, spec_.hidden, 1, nn::Activation::kNone),
                         spec_.critic_policy, seed);
}

std::unique_ptr<Ddpg> Ddpg::MakeTwin(const DdpgSpec& spec) const { return std::make_unique<Ddpg>(spec); }

void Ddpg::Act(std::span<const double> obs, std::span<double> action) {
  actor_->Forward(obs, 1, action);
}

// y = r + γ (1 − d) q'  into y_, from q_next_ (nn/td_loss.h: in the critic's precision).
void Ddpg::TdTargets(const Batch& b) {
  y_.resize(b.size);
  nn::TdTargets(spec_.critic_policy, spec_.gamma, b.reward, b.not_terminated, q_next_, y_, RoundingSeed(0));
}

// dq_ = ∂L_Q/∂q = 2 (q − y) / B; returns L_Q = mean (q − y)².
double Ddpg::LossGradient(std::span<const double> q, int B, int site) {
  dq_.resize(B);
  return nn::MseLossGradient(spec_.critic_policy, q.first(B), std::span<const double>(y_).first(B), dq_,
                             RoundingSeed(site));
}

// Q(s, a) forward, ∂L_Q/∂Q, backward, Adam.
void Ddpg::UpdateCritic(nn::Mlp& critic, const Batch& b, bool apply, int site, UpdateStats& stats) {
  const int B = b.size;
  nn::ConcatColumns(B, spec_.obs_dim, b.obs.data(), spec_.action_dim, b.action.data(), critic_in_.data());
  critic.Forward(critic_in_, B, q_);                                      // Q(s, a)
  stats.critic_loss += LossGradient(q_, B, site);                         // ∂L_Q/∂Q
  critic.Backward(dq_, {}, /*param_grads=*/true);
  if (apply) critic.AdamStep(spec_.critic_adam);
}

void Ddpg::TargetQ(std::span<const double> critic_in, int B, std::span<double> q_next) {
  critic_target_->Forward(critic_in, B, q_next);
}

void Ddpg::UpdateCritics(const Batch& b, bool apply, UpdateStats& stats) {
  UpdateCritic(*critic_, b, apply, /*site=*/1, stats);
}

void Ddpg::SoftUpdateCriticTargets() { critic_target_->SoftUpdateFrom(*critic_, spec_.tau); }

UpdateStats Ddpg::Update(const Batch& b) { return Step(b, /*apply=*/true); }
UpdateStats Ddpg::Gradients(const Batch& b) { return Step(b, /*apply=*/false); }

void Ddpg::CopyParametersFrom(const Ddpg& other) {
  const auto mine = Networks(), theirs = other.Networks();
  if (mine.size() != theirs.size())
    throw std::invalid_argument(fmt::format("Ddpg::CopyParametersFrom: {} networks here, {} in the source (TD3 "
                                            "has twin critics)", mine.size(), theirs.size()));
  for (std::size_t i = 0; i < mine.size(); ++i) nn::CopyParametersAcrossPrecisions(*mine[i], *theirs[i]);
}

UpdateStats Ddpg::Step(const Batch& b, bool apply) {
  const int B = b.size, S = spec_.obs_dim, A = spec_.action_dim;
  UpdateStats stats;
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  const auto t0 = Clock::now();
  critic_in_.resize(static_cast<std::size_t>(B) * (S + A));
  next_action_.resize(static_cast<std::size_t>(B) * A);
  q_.resize(B);
  q_next_.resize(B);
  if (apply) ++updates_;

  // ---- Critic: forward, backward, update -------------------------------------------
  actor_target_->Forward(b.next_obs, B, next_action_);                   // μ'(s')
  SmoothTargetActions(next_action_);                                            // a'
  nn::ConcatColumns(B, S, b.next_obs.data(), A, next_action_.data(), critic_in_.data());
  TargetQ(critic_in_, B, q_next_);                                              // Q'(s', a')
  TdTargets(b);                                                                 // y
  UpdateCritics(b, apply, stats);
  const auto t1 = Clock::now();
  if (apply && !ActorStepDue()) {                                               // the actor and targets wait
    stats.critic_s = seconds(t0, t1);
    return stats;
  }

  // ---- Actor: forward, backward, update --------------------------------------------
  act_out_.resize(static_cast<std::size_t>(B) * A);
  actor_->Forward(b.obs, B, act_out_);                                    // μ(s)
  nn::ConcatColumns(B, S, b.obs.data(), A, act_out_.data(), critic_in_.data());
  critic_->Forward(critic_in_, B, q_);                                    // Q(s, μ(s))
  double q_sum = 0;
  for (double q : q_) q_sum += q;
  stats.q_mean = q_sum / B;
  dq_.assign(B, -1.0 / B);                                                      // ∂(−J)/∂Q
  dcritic_in_.resize(critic_in_.size());
  critic_->Backward(dq_, dcritic_in_, /*param_grads=*/false);                   // ∂(−J)/∂[s, a]
  action_grad_.resize(act_out_.size());
  nn::SplitColumns<double>(B, S, A, dcritic_in_.data(), nullptr, action_grad_.data()); // ∂(−J)/∂a
  actor_->Backward(action_grad_, {}, /*param_grads=*/true);
  if (!apply) {
    stats.critic_s = seconds(t0, t1);
    stats.actor_s = seconds(t1, Clock::now());
    return stats;
  }
  actor_->AdamStep(spec_.actor_adam);
  const auto t2 = Clock::now();

  // ---- Targets: θ' ← τθ + (1 − τ)θ' ------------------------------------------------
  SoftUpdateCriticTargets();
  actor_target_->SoftUpdateFrom(*actor_, spec_.tau);
  const auto t3 = Clock::now();
  stats.critic_s = seconds(t0, t1);
  stats.actor_s = seconds(t1, t2);
  stats.target_s = seconds(t2, t3);
  return stats;
}

std::vector<nn::Mlp*> Ddpg::Networks() const {
  return {actor_.get(), critic_.get(), actor_target_.get(), critic_target_.get()};
}

bool Ddpg::SetTrainingStep(std::int64_t step) {
  bool switched = false;
  for (nn::Mlp* n : Networks()) switched |= n->SetTrainingStep(step);
  return switched;
}

std::vector<nn::LayerStats> Ddpg::Stats() const {
  auto s = actor_->Stats();
  auto c = critic_->Stats();
  s.insert(s.end(), c.begin(), c.end());
  return s;
}

void Ddpg::ResetStats() {
  actor_->ResetStats();
  critic_->ResetStats();
}

void Ddpg::Save(util::ByteWriter& w) const {
  w.Put(updates_);
  for (const nn::Mlp* n : Networks()) n->Save(w);
}

void Ddpg::Load(util::ByteReader& r) {
  updates_ = r.Get<std::int64_t>();
  for (nn::Mlp* n : Networks()) n->Load(r);
}

}  // namespace fixar::rl
