// PPO-clip, top to bottom: rollout -> GAE(λ) -> epochs of minibatch updates.
//
// Notation (Schulman et al. 2017, "Proximal Policy Optimization Algorithms"):
//   r_t(θ) = π_θ(a_t|s_t) / π_θold(a_t|s_t)                        probability ratio
//   L_clip = E[ min(r_t Â_t, clip(r_t, 1−ε, 1+ε) Â_t) ]             (eq. 7), maximised
//   L_V    = ½ E[ max((V − R)², (V_old + clip(V − V_old, ±ε) − R)²) ]  clipped value loss
//   S      = E[ H(π_θ(·|s_t)) ]                                      entropy bonus
//   actor loss  = −L_clip − c_ent·S,  critic loss = c_vf·L_V  (separate networks, separate Adam)
// GAE (Schulman et al. 2016, eq. 16):
//   δ_t = r_t + γ V(s_{t+1}) (1 − d_t) − V(s_t),   Â_t = δ_t + γλ (1 − d_t) Â_{t+1},   R_t = Â_t + V(s_t)
// where d_t = 1 when the episode ended at step t. A time-limit truncation is not a
// terminal state: its reward gets γ V(s_final) added before d_t = 1 cuts the recursion,
// so the value of the state the episode was cut in is bootstrapped, not zeroed.
#include "rl/ppo.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numbers>
#include <numeric>
#include <span>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/mlp.h"
#include "nn/optim.h"
#include "nn/precision.h"
#include "numerics/random.h"

namespace fixar::rl {

void PpoConfig::validate() const {
  auto fail = [](const char* field, auto value, const char* valid) {
    throw std::invalid_argument(fmt::format("PpoConfig.{} = {} is invalid; valid: {}", field, value, valid));
  };
  if (total_timesteps < 1) fail("total_timesteps", total_timesteps, ">= 1");
  if (num_envs < 1 || num_envs > 1024) fail("num_envs", num_envs, "1 .. 1024");
  if (num_steps < 1) fail("num_steps", num_steps, ">= 1");
  if (num_minibatches < 1 || num_minibatches > num_envs * num_steps)
    fail("num_minibatches", num_minibatches, "1 .. num_envs * num_steps");
  if (update_epochs < 1) fail("update_epochs", update_epochs, ">= 1");
  if (!(learning_rate > 0)) fail("learning_rate", learning_rate, "> 0");
  if (!(gamma >= 0 && gamma <= 1)) fail("gamma", gamma, "[0, 1]");
  if (!(gae_lambda >= 0 && gae_lambda <= 1)) fail("gae_lambda", gae_lambda, "[0, 1]");
  if (!(clip_coef > 0)) fail("clip_coef", clip_coef, "> 0");
  if (!(ent_coef >= 0)) fail("ent_coef", ent_coef, ">= 0");
  if (!(vf_coef > 0)) fail("vf_coef", vf_coef, "> 0");
  if (hidden.empty()) fail("hidden", "[]", "at least one hidden layer size");
  for (int h : hidden)
    if (h < 1) fail("hidden", h, "sizes >= 1");
}

namespace {

constexpr double kLog2Pi = 1.8378770664093453;  // log(2π)

// Running mean and variance (Chan et al.'s parallel update), as Gymnasium's
// NormalizeObservation / NormalizeReward keep them.
struct RunningMoments {
  std::vector<double> mean, var;
  double count = 1e-4;
  explicit RunningMoments(int dim = 0) : mean(dim, 0.0), var(dim, 1.0) {}
  void Update(std::span<const double> x) {  // one sample
    const double n = count + 1;
    for (std::size_t i = 0; i < mean.size(); ++i) {
      const double delta = x[i] - mean[i];
      mean[i] += delta / n;
      var[i] = (var[i] * count + delta * delta * count / n) / n;
    }
    count = n;
  }
};

}  // namespace

struct Ppo::Impl {
  PpoConfig cfg;
  EnvFactory make_env;
  std::vector<std::unique_ptr<envs::Env>> envs;
  int obs_dim = 0, act_dim = 0;  // act_dim: actor outputs (logits or means)
  int n_actions = 0;             // > 0: discrete
  envs::Box action_box;
  std::unique_ptr<nn::Mlp> actor, critic;
  std::vector<float> log_std;  // Gaussian: state-independent log σ (its own Adam)
  nn::FloatAdam log_std_adam;
  std::int64_t log_std_t = 0;
  num::Random rng;
  RunningMoments obs_rms, ret_rms{1};
  std::vector<double> discounted_return;  // per env copy, for reward normalisation
  std::vector<PpoLog> history;

  bool discrete() const { return n_actions > 0; }

  std::vector<double> NormalizeObs(std::span<const double> raw) const {
    std::vector<double> o(raw.begin(), raw.end());
    if (cfg.normalize_observation)
      for (int i = 0; i < obs_dim; ++i)
        o[i] = std::clamp((o[i] - obs_rms.mean[i]) / std::sqrt(obs_rms.var[i] + 1e-8), -10.0, 10.0);
    return o;
  }

  // Softmax of one row of logits into p (max subtracted for range).
  static void Softmax(const double* z, int n, double* p) {
    const double m = *std::max_element(z, z + n);
    double s = 0;
    for (int j = 0; j < n; ++j) s += (p[j] = std::exp(z[j] - m));
    for (int j = 0; j < n; ++j) p[j] /= s;
  }

  // log π(a|s) for one row of actor outputs; entropy into *h.
  double LogProb(const double* out, const double* action, double* h) const {
    if (discrete()) {
      std::vector<double> p(n_actions);
      Softmax(out, n_actions, p.data());
      double ent = 0;
      for (double pj : p) ent -= pj > 0 ? pj * std::log(pj) : 0.0;
      *h = ent;
      return std::log(std::max(p[static_cast<int>(action[0])], 1e-300));
    }
    // Diagonal Gaussian: log N(a; μ, σ) = Σ_j −½ z_j² − log σ_j − ½ log 2π,  z = (a − μ)/σ
    // H = Σ_j ½ + ½ log 2π + log σ_j
    double lp = 0, ent = 0;
    for (int j = 0; j < act_dim; ++j) {
      const double z = (action[j] - out[j]) / std::exp(log_std[j]);
      lp += -0.5 * z * z - log_std[j] - 0.5 * kLog2Pi;
      ent += 0.5 + 0.5 * kLog2Pi + log_std[j];
    }
    *h = ent;
    return lp;
  }

  // Samples (or picks the mode of) the policy at one normalised observation.
  std::vector<double> Sample(std::span<const double> out, bool deterministic) {
    if (discrete()) {
      std::vector<double> p(n_actions);
      Softmax(out.data(), n_actions, p.data());
      const int a = deterministic ? static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin())
                                  : rng.categorical(p);
      return {static_cast<double>(a)};
    }
    std::vector<double> a(act_dim);
    for (int j = 0; j < act_dim; ++j)
      a[j] = out[j] + (deterministic ? 0.0 : std::exp(log_std[j]) * rng.normal());
    return a;
  }

  // What the environment receives: the index as given, or the Gaussian sample clipped to
  // the bounds (the stored, unclipped sample keeps its log-probability exact).
  std::vector<double> ToEnv(const std::vector<double>& a) const {
    if (discrete()) return a;
    std::vector<double> c(a);
    for (int j = 0; j < act_dim; ++j) c[j] = std::clamp(c[j], action_box.low[j], action_box.high[j]);
    return c;
  }

  double Value(std::span<const double> obs_norm) {
    double v = 0;
    critic->Forward(obs_norm, 1, {&v, 1});
    return v;
  }

  // The steps of one update (Ppo::Train), in the order they run.
  struct Copies;
  struct Rollout;
  struct LossSums;
  struct MinibatchLosses;
  void CollectRollout(Copies& copies, Rollout& r, std::int64_t& global_step);
  void SettleRewards(const RewardSettler& settle_rewards, Rollout& r) const;
  void ComputeAdvantages(const Copies& copies, Rollout& r);
  LossSums Optimize(const Rollout& r, double lr, std::vector<int>& order);
  MinibatchLosses MinibatchStep(const Rollout& r, std::span<const int> rows, double lr);
  MinibatchLosses ActorGradient(const Rollout& r, std::span<const int> rows, const std::vector<double>& adv,
                                std::vector<double>& d_log_std);
  double CriticGradient(const Rollout& r, std::span<const int> rows);
  void ClipAndStep(std::vector<double>& d_log_std, double lr);
  PpoLog MakeLog(const Rollout& r, const LossSums& sums, std::int64_t update, double lr, std::int64_t global_step,
                 std::int64_t start_step, double seconds) const;

  // Minibatch scratch (reused: no allocation per minibatch beyond what the steps need).
  std::vector<double> mb_obs, mb_out, d_out, v_out, d_v;
};

// Each environment copy's state across rollouts.
struct Ppo::Impl::Copies {
  std::vector<std::vector<double>> next_obs;  // normalised
  std::vector<double> ep_return;
  std::vector<int> ep_length;
};

// One rollout: step t of copy e at row t*N + e; and what ended in it.
struct Ppo::Impl::Rollout {
  int N = 0, T = 0, B = 0, O = 0, A = 0;  // copies, steps, rows, observation and stored-action widths
  std::vector<double> obs, actions, logprobs, rewards, ended, values, advantages, returns;
  double ended_return_sum = 0, ended_length_sum = 0;
  int episodes_ended = 0;
  std::vector<int> ended_rows;  // rows where an episode ended, in order (deferred rewards)
};

// Per-minibatch means summed over the update's minibatches.
struct Ppo::Impl::LossSums {
  double pg_loss = 0, v_loss = 0, entropy = 0, old_kl = 0, kl = 0, clipfrac = 0;
  int minibatches = 0;
};

// Sums over one minibatch's samples.
struct Ppo::Impl::MinibatchLosses {
  double pg_loss = 0, v_loss = 0, entropy = 0, old_kl = 0, kl = 0, clipped = 0;
};

Ppo::Ppo(PpoConfig config, EnvFactory make_env) : impl_(std::make_unique<Impl>()) {
  config.validate();
  Impl& s = *impl_;
  s.cfg = std::move(config);
  s.make_env = std::move(make_env);
  if (!s.make_env) throw std::invalid_argument("Ppo: the environment factory is empty");
  for (int e = 0; e < s.cfg.num_envs; ++e) {
    s.envs.push_back(s.make_env());
    if (!s.envs.back()) throw std::invalid_argument("Ppo: the environment factory returned null");
  }
  const envs::Env& env = *s.envs.front();
  s.obs_dim = env.observation_space().size();
  s.n_actions = env.discrete_actions();
  s.action_box = env.action_space();
  s.act_dim = s.discrete() ? s.n_actions : s.action_box.size();
  if (s.obs_dim < 1 || s.act_dim < 1)
    throw std::invalid_argument(fmt::format("Ppo: environment {} has {} observations and {} actions; need >= 1 each",
                                            env.name(), s.obs_dim, s.act_dim));
  s.rng = num::Random(s.cfg.seed);
  s.obs_rms = RunningMoments(s.obs_dim);
  s.discounted_return.assign(s.cfg.num_envs, 0.0);

  const nn::PrecisionPolicy f32 = nn::MakePrecision("float32");
  std::vector<int> sizes{s.obs_dim};
  sizes.insert(sizes.end(), s.cfg.hidden.begin(), s.cfg.hidden.end());
  std::vector<int> actor_sizes = sizes, critic_sizes = sizes;
  actor_sizes.push_back(s.act_dim);
  critic_sizes.push_back(1);
  s.actor = nn::Mlp::Create({.name = "actor", .sizes = actor_sizes, .hidden = s.cfg.activation,
                             .output = nn::Activation::kNone, .init = nn::InitScheme::kXavierUniform,
                             .final_layer_limit = s.cfg.actor_final_limit},
                            f32, s.cfg.seed * 2 + 1);
  s.critic = nn::Mlp::Create({.name = "critic", .sizes = critic_sizes, .hidden = s.cfg.activation,
                              .output = nn::Activation::kNone, .init = nn::InitScheme::kXavierUniform,
                              .final_layer_limit = 0},
                             f32, s.cfg.seed * 2 + 2);
  if (!s.discrete()) {
    s.log_std.assign(s.act_dim, static_cast<float>(s.cfg.init_log_std));
    s.log_std_adam.Resize(s.log_std.size());
  }
}

Ppo::~Ppo() = default;
bool Ppo::discrete() const { return impl_->discrete(); }
const PpoConfig& Ppo::config() const { return impl_->cfg; }
const std::vector<PpoLog>& Ppo::history() const { return impl_->history; }

// ---- 1. Rollout: T steps of each copy under the current policy.
void Ppo::Impl::CollectRollout(Copies& copies, Rollout& r, std::int64_t& global_step) {
  const PpoConfig& c = cfg;
  const int N = r.N, O = r.O, A = r.A;
  std::vector<double> out(act_dim);
  r.ended_return_sum = r.ended_length_sum = 0;
  r.episodes_ended = 0;
  r.ended_rows.clear();
  for (int t = 0; t < r.T; ++t) {
    for (int e = 0; e < N; ++e) {
      const int row = t * N + e;
      std::vector<double>& next_obs = copies.next_obs[e];
      std::copy(next_obs.begin(), next_obs.end(), r.obs.begin() + static_cast<std::ptrdiff_t>(row) * O);
      actor->Forward(next_obs, 1, out);
      const std::vector<double> a = Sample(out, /*deterministic=*/false);
      double h = 0;
      r.logprobs[row] = LogProb(out.data(), a.data(), &h);
      r.values[row] = Value(next_obs);
      std::copy(a.begin(), a.end(), r.actions.begin() + static_cast<std::ptrdiff_t>(row) * A);

      envs::StepResult step = envs[e]->step(ToEnv(a));
      ++global_step;
      copies.ep_return[e] += step.reward;
      ++copies.ep_length[e];
      double reward = step.reward;
      if (c.normalize_reward) {
        // Gymnasium NormalizeReward: G ← γG + r; r / √(Var[G] + 1e-8); G reset at episode end.
        discounted_return[e] = discounted_return[e] * c.gamma + step.reward;
        ret_rms.Update({&discounted_return[e], 1});
        reward = step.reward / std::sqrt(ret_rms.var[0] + 1e-8);
      }
      if (c.normalize_observation) obs_rms.Update(step.observation);
      std::vector<double> obs_norm = NormalizeObs(step.observation);
      const bool done = step.terminated || step.truncated;
      // Truncation: bootstrap V(s_final) into the reward (see the header comment).
      if (step.truncated && !step.terminated) reward += c.gamma * Value(obs_norm);
      r.rewards[row] = reward;
      r.ended[row] = done ? 1.0 : 0.0;
      if (done) {
        r.ended_rows.push_back(row);
        r.ended_return_sum += copies.ep_return[e];
        r.ended_length_sum += copies.ep_length[e];
        ++r.episodes_ended;
        copies.ep_return[e] = 0;
        copies.ep_length[e] = 0;
        discounted_return[e] = 0;
        const std::vector<double> raw = envs[e]->reset();
        if (c.normalize_observation) obs_rms.Update(raw);
        obs_norm = NormalizeObs(raw);
      }
      next_obs = std::move(obs_norm);
    }
  }
}

// Deferred rewards arrive now: each at its episode's last step (see RewardSettler).
void Ppo::Impl::SettleRewards(const RewardSettler& settle_rewards, Rollout& r) const {
  const std::vector<double> late = settle_rewards();
  if (late.size() != r.ended_rows.size())
    throw std::logic_error(fmt::format("Ppo::Train: the reward settler returned {} rewards for the {} episodes "
                                       "that ended in the rollout",
                                       late.size(), r.ended_rows.size()));
  for (std::size_t i = 0; i < late.size(); ++i) {
    r.rewards[r.ended_rows[i]] += late[i];
    r.ended_return_sum += late[i];
  }
}

// ---- 2. GAE(λ) backwards in time, per copy; R_t = Â_t + V(s_t) is the value target.
void Ppo::Impl::ComputeAdvantages(const Copies& copies, Rollout& r) {
  for (int e = 0; e < r.N; ++e) {
    double next_adv = 0, next_value = Value(copies.next_obs[e]);
    for (int t = r.T - 1; t >= 0; --t) {
      const int row = t * r.N + e;
      const double not_done = 1.0 - r.ended[row];
      const double delta = r.rewards[row] + cfg.gamma * next_value * not_done - r.values[row];
      next_adv = delta + cfg.gamma * cfg.gae_lambda * not_done * next_adv;
      r.advantages[row] = next_adv;
      r.returns[row] = next_adv + r.values[row];
      next_value = r.values[row];
    }
  }
}

// -- Actor: surrogate and entropy, and their gradient w.r.t. the actor outputs (into
//    d_out) and log σ (into d_log_std). mb_obs holds the minibatch's observations.
Ppo::Impl::MinibatchLosses Ppo::Impl::ActorGradient(const Rollout& r, std::span<const int> rows,
                                                    const std::vector<double>& adv, std::vector<double>& d_log_std) {
  const PpoConfig& c = cfg;
  const int MB = static_cast<int>(rows.size()), K = act_dim, A = r.A;
  mb_out.resize(static_cast<std::size_t>(MB) * K);
  actor->Forward(mb_obs, MB, mb_out);
  d_out.assign(mb_out.size(), 0.0);
  MinibatchLosses l;
  std::vector<double> p(discrete() ? K : 0);
  for (int i = 0; i < MB; ++i) {
    const int row = rows[i];
    const double* o = mb_out.data() + static_cast<std::ptrdiff_t>(i) * K;
    const double* a = r.actions.data() + static_cast<std::ptrdiff_t>(row) * A;
    double h = 0;
    const double logp = LogProb(o, a, &h);
    const double log_ratio = logp - r.logprobs[row];
    const double ratio = std::exp(log_ratio);
    const double clipped_ratio = std::clamp(ratio, 1 - c.clip_coef, 1 + c.clip_coef);
    // −L_clip per sample = max(−Â r, −Â clip(r)); its gradient flows through r only
    // when the unclipped term is the larger one.
    const double loss_unclipped = -adv[i] * ratio, loss_clipped = -adv[i] * clipped_ratio;
    l.pg_loss += std::max(loss_unclipped, loss_clipped);
    l.entropy += h;
    l.old_kl += -log_ratio;                     // E[−log r]
    l.kl += (ratio - 1) - log_ratio;            // E[(r − 1) − log r], Schulman's k3 estimator
    l.clipped += std::abs(ratio - 1) > c.clip_coef ? 1 : 0;
    // ∂(actor loss)/∂log π = (−Â r)/MB where the unclipped term is active (dr/dlogπ = r).
    const double d_logp = loss_unclipped >= loss_clipped ? -adv[i] * ratio / MB : 0.0;
    double* g = d_out.data() + static_cast<std::ptrdiff_t>(i) * K;
    if (discrete()) {
      // ∂log π(a)/∂z_j = [j = a] − p_j;   ∂H/∂z_j = −p_j (log p_j + H);  loss has −c_ent·H/MB.
      Softmax(o, K, p.data());
      const int act = static_cast<int>(a[0]);
      for (int j = 0; j < K; ++j) {
        const double logpj = std::log(std::max(p[j], 1e-300));
        g[j] = d_logp * ((j == act ? 1.0 : 0.0) - p[j]) + c.ent_coef / MB * p[j] * (logpj + h);
      }
    } else {
      // ∂log π/∂μ_j = z_j/σ_j;  ∂log π/∂log σ_j = z_j² − 1;  ∂H/∂log σ_j = 1.
      for (int j = 0; j < K; ++j) {
        const double sigma = std::exp(log_std[j]);
        const double z = (a[j] - o[j]) / sigma;
        g[j] = d_logp * z / sigma;
        d_log_std[j] += d_logp * (z * z - 1) - c.ent_coef / MB;
      }
    }
  }
  return l;
}

// -- Critic: ½·max((V − R)², (V_clipped − R)²), V_clipped = V_old + clip(V − V_old, ±ε);
//    its gradient w.r.t. V into d_v. Returns the summed loss.
double Ppo::Impl::CriticGradient(const Rollout& r, std::span<const int> rows) {
  const PpoConfig& c = cfg;
  const int MB = static_cast<int>(rows.size());
  v_out.resize(MB);
  critic->Forward(mb_obs, MB, v_out);
  d_v.assign(MB, 0.0);
  double v_loss = 0;
  for (int i = 0; i < MB; ++i) {
    const int row = rows[i];
    const double v = v_out[i], R = r.returns[row], v_old = r.values[row];
    const double l_unclipped = (v - R) * (v - R);
    if (c.clip_vloss) {
      const double v_clipped = v_old + std::clamp(v - v_old, -c.clip_coef, c.clip_coef);
      const double l_clipped = (v_clipped - R) * (v_clipped - R);
      v_loss += 0.5 * std::max(l_unclipped, l_clipped);
      const bool inside = std::abs(v - v_old) < c.clip_coef;  // else dV_clipped/dV = 0
      d_v[i] = c.vf_coef / MB * (l_unclipped >= l_clipped ? (v - R) : (inside ? v_clipped - R : 0.0));
    } else {
      v_loss += 0.5 * l_unclipped;
      d_v[i] = c.vf_coef / MB * (v - R);
    }
  }
  return v_loss;
}

// -- Backward both, clip the global gradient norm (actor, log σ and critic together,
//    as one optimizer over all parameters would), then one Adam step each.
void Ppo::Impl::ClipAndStep(std::vector<double>& d_log_std, double lr) {
  const PpoConfig& c = cfg;
  actor->Backward(d_out, {}, true);
  critic->Backward(d_v, {}, true);
  if (c.max_grad_norm > 0) {
    double sq = 0;
    for (double g : actor->GradientsAsDouble()) sq += g * g;
    for (double g : critic->GradientsAsDouble()) sq += g * g;
    for (double g : d_log_std) sq += g * g;
    const double norm = std::sqrt(sq);
    if (norm > c.max_grad_norm) {
      // The losses are linear in the output gradients, so scaling them scales every
      // parameter gradient; the forward activations are still cached.
      const double scale = c.max_grad_norm / (norm + 1e-6);
      for (double& g : d_out) g *= scale;
      for (double& g : d_v) g *= scale;
      for (double& g : d_log_std) g *= scale;
      actor->Backward(d_out, {}, true);  // each network still holds its own forward pass
      critic->Backward(d_v, {}, true);
    }
  }
  const nn::AdamConfig adam{.lr = lr, .beta1 = 0.9, .beta2 = 0.999, .eps = c.adam_eps};
  actor->AdamStep(adam);
  critic->AdamStep(adam);
  if (!discrete()) {
    std::vector<float> g(d_log_std.begin(), d_log_std.end());
    log_std_adam.Step(adam, ++log_std_t, log_std, g);
  }
}

// One minibatch update on the rollout rows `rows`.
Ppo::Impl::MinibatchLosses Ppo::Impl::MinibatchStep(const Rollout& r, std::span<const int> rows, double lr) {
  const int MB = static_cast<int>(rows.size()), O = r.O;
  mb_obs.resize(static_cast<std::size_t>(MB) * O);
  for (int i = 0; i < MB; ++i)
    std::copy_n(r.obs.begin() + static_cast<std::ptrdiff_t>(rows[i]) * O, O,
                mb_obs.begin() + static_cast<std::ptrdiff_t>(i) * O);
  // Advantages of the minibatch, normalised: (Â − mean) / (std + 1e-8).
  std::vector<double> adv(MB);
  for (int i = 0; i < MB; ++i) adv[i] = r.advantages[rows[i]];
  if (cfg.norm_adv && MB > 1) {
    const double mean = std::accumulate(adv.begin(), adv.end(), 0.0) / MB;
    double var = 0;
    for (double a : adv) var += (a - mean) * (a - mean);
    const double sd = std::sqrt(var / (MB - 1));  // unbiased, as torch.std
    for (double& a : adv) a = (a - mean) / (sd + 1e-8);
  }
  std::vector<double> d_log_std(log_std.size(), 0.0);
  MinibatchLosses l = ActorGradient(r, rows, adv, d_log_std);
  l.v_loss = CriticGradient(r, rows);
  ClipAndStep(d_log_std, lr);
  return l;
}

// ---- 3. update_epochs passes of minibatch updates over the rollout (a remainder of B is
//         left out of each epoch's minibatches); stops early past target_kl.
Ppo::Impl::LossSums Ppo::Impl::Optimize(const Rollout& r, double lr, std::vector<int>& order) {
  const PpoConfig& c = cfg;
  const int B = r.B, MB = B / c.num_minibatches;
  LossSums sums;
  std::iota(order.begin(), order.end(), 0);
  bool stop = false;
  for (int epoch = 0; epoch < c.update_epochs && !stop; ++epoch) {
    for (int i = B - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);  // Fisher-Yates
    double epoch_kl = 0;
    int epoch_mbs = 0;
    for (int start = 0; start + MB <= B; start += MB) {
      const MinibatchLosses l = MinibatchStep(r, std::span<const int>(order).subspan(start, MB), lr);
      sums.pg_loss += l.pg_loss / MB;
      sums.v_loss += l.v_loss / MB;
      sums.entropy += l.entropy / MB;
      sums.old_kl += l.old_kl / MB;
      sums.kl += l.kl / MB;
      sums.clipfrac += l.clipped / MB;
      epoch_kl += l.kl / MB;
      ++epoch_mbs;
      ++sums.minibatches;
    }
    const double approx_kl_last_epoch = epoch_mbs ? epoch_kl / epoch_mbs : 0;
    if (c.target_kl > 0 && approx_kl_last_epoch > c.target_kl) stop = true;
  }
  return sums;
}

// ---- 4. Log. explained variance = 1 − Var[R − V] / Var[R] (1: the critic predicts returns).
PpoLog Ppo::Impl::MakeLog(const Rollout& r, const LossSums& sums, std::int64_t update, double lr,
                          std::int64_t global_step, std::int64_t start_step, double seconds) const {
  const int B = r.B;
  double mean_r = std::accumulate(r.returns.begin(), r.returns.end(), 0.0) / B, var_r = 0, var_d = 0, mean_d = 0;
  for (int i = 0; i < B; ++i) mean_d += r.returns[i] - r.values[i];
  mean_d /= B;
  for (int i = 0; i < B; ++i) {
    var_r += (r.returns[i] - mean_r) * (r.returns[i] - mean_r);
    const double d = r.returns[i] - r.values[i] - mean_d;
    var_d += d * d;
  }
  PpoLog log;
  log.global_step = global_step;
  log.update = static_cast<int>(update);
  const double m = std::max(sums.minibatches, 1);
  log.scalars = {{"charts/learning_rate", lr},
                 {"charts/episodes", r.episodes_ended},
                 {"charts/SPS", static_cast<double>(global_step - start_step) / std::max(seconds, 1e-9)},
                 {"losses/policy_loss", sums.pg_loss / m},
                 {"losses/value_loss", sums.v_loss / m},
                 {"losses/entropy", sums.entropy / m},
                 {"losses/old_approx_kl", sums.old_kl / m},
                 {"losses/approx_kl", sums.kl / m},
                 {"losses/clipfrac", sums.clipfrac / m},
                 {"losses/explained_variance", var_r > 0 ? 1.0 - var_d / var_r : 0.0}};
  if (r.episodes_ended > 0) {
    log.scalars["charts/episodic_return"] = r.ended_return_sum / r.episodes_ended;
    log.scalars["charts/episodic_length"] = r.ended_length_sum / r.episodes_ended;
  }
  if (!discrete()) {
    double sd = 0;
    for (float l : log_std) sd += std::exp(l);
    log.scalars["policy/std_mean"] = sd / log_std.size();
  }
  return log;
}

void Ppo::Train(const std::function<void(const PpoLog&)>& on_update, const RewardSettler& settle_rewards) {
  Impl& s = *impl_;
  const PpoConfig& c = s.cfg;
  if (settle_rewards && c.normalize_reward)
    throw std::invalid_argument("Ppo::Train: deferred rewards (a reward settler) and normalize_reward = true do not "
                                "combine; valid: normalize_reward = false with a settler");
  Impl::Rollout r;
  r.N = c.num_envs, r.T = c.num_steps, r.B = r.N * r.T, r.O = s.obs_dim, r.A = s.discrete() ? 1 : s.act_dim;
  const auto rows = static_cast<std::size_t>(r.B);
  r.obs.resize(rows * r.O), r.actions.resize(rows * r.A);
  for (auto* v : {&r.logprobs, &r.rewards, &r.ended, &r.values, &r.advantages, &r.returns}) v->resize(rows);
  const std::int64_t num_updates = (c.total_timesteps + r.B - 1) / r.B;

  // The first observation of each copy.
  Impl::Copies copies{std::vector<std::vector<double>>(r.N), std::vector<double>(r.N, 0.0), std::vector<int>(r.N, 0)};
  for (int e = 0; e < r.N; ++e) {
    const std::vector<double> raw = s.envs[e]->reset(c.seed + static_cast<std::uint64_t>(e));
    if (c.normalize_observation) s.obs_rms.Update(raw);
    copies.next_obs[e] = s.NormalizeObs(raw);
  }
  std::int64_t global_step = s.history.empty() ? 0 : s.history.back().global_step;
  std::vector<int> order(r.B);
  const auto t_start = std::chrono::steady_clock::now();
  const std::int64_t start_step = global_step;

  for (std::int64_t update = 1; update <= num_updates; ++update) {
    // Learning rate: lr·(1 − (update − 1)/num_updates) when annealed.
    const double lr = c.anneal_lr ? c.learning_rate * (1.0 - static_cast<double>(update - 1) / num_updates)
                                  : c.learning_rate;
    s.CollectRollout(copies, r, global_step);
    if (settle_rewards) s.SettleRewards(settle_rewards, r);
    s.ComputeAdvantages(copies, r);
    const Impl::LossSums sums = s.Optimize(r, lr, order);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
    s.history.push_back(s.MakeLog(r, sums, update, lr, global_step, start_step, seconds));
    if (on_update) on_update(s.history.back());
  }
}

std::vector<double> Ppo::Act(std::span<const double> observation, bool deterministic) {
  Impl& s = *impl_;
  if (static_cast<int>(observation.size()) != s.obs_dim)
    throw std::invalid_argument(
        fmt::format("Ppo::Act: observation has {} values; the policy takes {}", observation.size(), s.obs_dim));
  const std::vector<double> o = s.NormalizeObs(observation);
  std::vector<double> out(s.act_dim);
  s.actor->Forward(o, 1, out);
  return s.ToEnv(s.Sample(out, deterministic));
}

std::vector<double> Ppo::Probabilities(std::span<const double> observation) {
  Impl& s = *impl_;
  if (!s.discrete()) throw std::logic_error("Ppo::Probabilities: the policy is Gaussian, not categorical");
  const std::vector<double> o = s.NormalizeObs(observation);
  std::vector<double> out(s.act_dim), p(s.act_dim);
  s.actor->Forward(o, 1, out);
  Impl::Softmax(out.data(), s.act_dim, p.data());
  return p;
}

double Ppo::Evaluate(int episodes, std::uint64_t seed, bool deterministic) {
  if (episodes < 1) throw std::invalid_argument(fmt::format("Ppo::Evaluate: episodes = {}; valid: >= 1", episodes));
  std::unique_ptr<envs::Env> env = impl_->make_env();
  double total = 0;
  for (int ep = 0; ep < episodes; ++ep) {
    std::vector<double> o = env->reset(seed + static_cast<std::uint64_t>(ep));
    for (;;) {
      const envs::StepResult r = env->step(Act(o, deterministic));
      total += r.reward;
      if (r.terminated || r.truncated) break;
      o = r.observation;
    }
  }
  return total / episodes;
}

}  // namespace fixar::rl
