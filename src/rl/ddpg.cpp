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
// critic's formats (below), so the whole update is bit-accurate.
#include "rl/ddpg.h"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "numerics/rounding.h"

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
  const auto actor = Net("actor", spec.obs_dim, spec.hidden, spec.action_dim, nn::Activation::kTanh);
  const auto critic = Net("critic", spec.obs_dim + spec.action_dim, spec.hidden, 1, nn::Activation::kNone);
  actor_ = nn::Mlp::Create(actor, spec.actor_policy, spec.seed * 4 + 1);
  critic_ = nn::Mlp::Create(critic, spec.critic_policy, spec.seed * 4 + 2);
  auto actor_target_spec = actor, critic_target_spec = critic;
  actor_target_spec.name = "actor_target";
  critic_target_spec.name = "critic_target";
  actor_target_ = nn::Mlp::Create(actor_target_spec, spec.actor_policy, spec.seed * 4 + 1);
  critic_target_ = nn::Mlp::Create(critic_target_spec, spec.critic_policy, spec.seed * 4 + 2);
  actor_target_->CopyParametersFrom(*actor_);
  critic_target_->CopyParametersFrom(*critic_);
}

void Ddpg::Act(std::span<const double> obs, std::span<double> action) {
  actor_->Forward(obs, 1, action, /*for_training=*/false);
}

// y and ∂L_Q/∂Q into dq_; q_ holds Q(s, a), q_next_ holds Q'(s', μ'(s')).
void Ddpg::CriticTargetGradient(const Batch& b, UpdateStats& stats) {
  const int B = b.size;
  dq_.resize(B);
  double loss = 0;
  const nn::PrecisionPolicy& p = spec_.critic_policy;
  if (p.is_float) {
    for (int i = 0; i < B; ++i) {
      const double y = b.reward[i] + spec_.gamma * b.not_terminated[i] * q_next_[i];
      const double diff = q_[i] - y;
      loss += diff * diff;
      dq_[i] = 2.0 * diff / B;
    }
  } else {
    // Integers in the critic's activation format A and gradient format G:
    //   y = r + (γ·q' >> 30) (γ in Q30), diff = q − y, dq = (diff · (2/B in Q30)) >> 30 into G.
    const num::Format& A = p.activation;
    const num::int128 gamma_q = std::llround(std::ldexp(spec_.gamma, 30));
    const num::int128 scale_q = std::llround(std::ldexp(2.0 / B, 30));
    for (int i = 0; i < B; ++i) {
      const std::int64_t r = num::FromDouble(b.reward[i], A, p.rounding, p.overflow);
      const std::int64_t qn = num::FromDouble(q_next_[i], A, p.rounding, p.overflow);  // exact: already in A
      const std::int64_t q = num::FromDouble(q_[i], A, p.rounding, p.overflow);
      const std::int64_t discounted =
          b.not_terminated[i] > 0 ? num::Requantize(gamma_q * qn, A.frac_bits + 30, A, p.rounding, p.overflow) : 0;
      const std::int64_t y = num::HandleOverflow(static_cast<num::int128>(r) + discounted, A, p.overflow);
      const num::int128 diff = static_cast<num::int128>(q) - y;
      const std::int64_t g = num::Requantize(diff * scale_q, A.frac_bits + 30, p.gradient, p.rounding, p.overflow);
      const double d = num::ToDouble(static_cast<std::int64_t>(diff), A);
      loss += d * d;
      dq_[i] = num::ToDouble(g, p.gradient);
    }
  }
  stats.critic_loss = loss / B;
}

UpdateStats Ddpg::Update(const Batch& b) {
  const int B = b.size, S = spec_.obs_dim, A = spec_.action_dim;
  UpdateStats stats;
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); };
  const auto t0 = Clock::now();
  critic_in_.resize(static_cast<std::size_t>(B) * (S + A));
  next_action_.resize(static_cast<std::size_t>(B) * A);
  q_.resize(B);
  q_next_.resize(B);

  // ---- Critic: forward, backward, update -------------------------------------------
  actor_target_->Forward(b.next_obs, B, next_action_, false);                   // μ'(s')
  nn::ConcatColumns(B, S, b.next_obs.data(), A, next_action_.data(), critic_in_.data());
  critic_target_->Forward(critic_in_, B, q_next_, false);                       // Q'(s', μ'(s'))
  nn::ConcatColumns(B, S, b.obs.data(), A, b.action.data(), critic_in_.data());
  critic_->Forward(critic_in_, B, q_, true);                                    // Q(s, a)
  CriticTargetGradient(b, stats);                                               // ∂L_Q/∂Q
  critic_->Backward(dq_, {}, /*param_grads=*/true);
  critic_->AdamStep(spec_.critic_adam);
  const auto t1 = Clock::now();

  // ---- Actor: forward, backward, update --------------------------------------------
  act_out_.resize(static_cast<std::size_t>(B) * A);
  actor_->Forward(b.obs, B, act_out_, true);                                    // μ(s)
  nn::ConcatColumns(B, S, b.obs.data(), A, act_out_.data(), critic_in_.data());
  critic_->Forward(critic_in_, B, q_, true);                                    // Q(s, μ(s))
  double q_sum = 0;
  for (double q : q_) q_sum += q;
  stats.q_mean = q_sum / B;
  dq_.assign(B, -1.0 / B);                                                      // ∂(−J)/∂Q
  dcritic_in_.resize(critic_in_.size());
  critic_->Backward(dq_, dcritic_in_, /*param_grads=*/false);                   // ∂(−J)/∂[s, a]
  action_grad_.resize(act_out_.size());
  nn::SplitColumns<double>(B, S, A, dcritic_in_.data(), nullptr, action_grad_.data()); // ∂(−J)/∂a
  actor_->Backward(action_grad_, {}, /*param_grads=*/true);
  actor_->AdamStep(spec_.actor_adam);
  const auto t2 = Clock::now();

  // ---- Targets: θ' ← τθ + (1 − τ)θ' ------------------------------------------------
  critic_target_->SoftUpdateFrom(*critic_, spec_.tau);
  actor_target_->SoftUpdateFrom(*actor_, spec_.tau);
  const auto t3 = Clock::now();
  stats.critic_s = seconds(t0, t1);
  stats.actor_s = seconds(t1, t2);
  stats.target_s = seconds(t2, t3);
  return stats;
}

bool Ddpg::SetTrainingStep(std::int64_t step) {
  bool switched = false;
  for (nn::Mlp* n : {actor_.get(), critic_.get(), actor_target_.get(), critic_target_.get()})
    switched |= n->SetTrainingStep(step);
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
  for (const nn::Mlp* n : {actor_.get(), critic_.get(), actor_target_.get(), critic_target_.get()}) n->Save(w);
}

void Ddpg::Load(util::ByteReader& r) {
  for (nn::Mlp* n : {actor_.get(), critic_.get(), actor_target_.get(), critic_target_.get()}) n->Load(r);
}

}  // namespace fixar::rl
