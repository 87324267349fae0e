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
// critic's formats (nn/td_loss.h), and values pass between the networks as raw integers
// with their formats (nn/tensor.h), so the whole update is bit-accurate. Observations,
// actions of the replay buffer and rewards are doubles: each network rounds them at its
// input.
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
  nn::TdTargets(spec_.critic_policy, spec_.gamma, b.reward, b.not_terminated, q_next_, y_, RoundingSeed(0));
}

// dq_ = ∂L_Q/∂q = 2 (q − y) / B; returns L_Q = mean (q − y)².
double Ddpg::LossGradient(int site) {
  return nn::MseLossGradient(spec_.critic_policy, q_, y_, dq_, RoundingSeed(site));
}

// Q(s, a) forward, ∂L_Q/∂Q, backward, Adam.
void Ddpg::UpdateCritic(nn::Mlp& critic, const Batch& b, bool apply, int site, UpdateStats& stats) {
  const int S = spec_.obs_dim, A = spec_.action_dim;
  const auto reals = [&](const std::vector<double>& v, int cols) {
    return nn::TensorView::Real(std::span<const double>(v).first(static_cast<std::size_t>(b.size) * cols));
  };
  critic.Forward(nn::InputColumns(reals(b.obs, S), S, reals(b.action, A), A), b.size, q_);  // Q(s, a)
  stats.critic_loss += LossGradient(site);                                                  // ∂L_Q/∂Q
  critic.Backward(dq_, nullptr, /*param_grads=*/true);
  if (apply) critic.AdamStep(spec_.critic_adam);
}

void Ddpg::TargetQ(const nn::InputColumns& critic_in, int B, nn::Tensor& q_next) {
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
  if (apply) ++updates_;
  const nn::TensorView next_obs = nn::TensorView::Real(b.next_obs), obs = nn::TensorView::Real(b.obs);

  // ---- Critic: forward, backward, update -------------------------------------------
  actor_target_->Forward(next_obs, B, next_action_);                            // μ'(s')
  SmoothTargetActions(next_action_);                                            // a'
  TargetQ(nn::InputColumns(next_obs, S, next_action_, A), B, q_next_);          // Q'(s', a')
  TdTargets(b);                                                                 // y
  UpdateCritics(b, apply, stats);
  const auto t1 = Clock::now();
  if (apply && !ActorStepDue()) {                                               // the actor and targets wait
    stats.critic_s = seconds(t0, t1);
    return stats;
  }

  // ---- Actor: forward, backward, update --------------------------------------------
  actor_->Forward(obs, B, act_out_);                                            // μ(s)
  critic_->Forward(nn::InputColumns(obs, S, act_out_, A), B, q_);               // Q(s, μ(s))
  stats.q_mean = q_.Sum() / B;
  dj_dq_.assign(B, -1.0 / B);                                                   // ∂(−J)/∂Q
  critic_->Backward(nn::TensorView::Real(dj_dq_), &dcritic_in_, /*param_grads=*/false);  // ∂(−J)/∂[s, a]
  nn::TakeColumns(dcritic_in_, B, S + A, S, A, action_grad_);                   // ∂(−J)/∂a
  actor_->Backward(action_grad_, nullptr, /*param_grads=*/true);
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
