// HAQ's search (Wang et al., CVPR 2019) as its public code does it, on our harness:
// DDPG with a continuous action per step, mapped to bits; the budget enforced after the
// agent acted by the layer-by-layer wall; one reward per episode given to every step.
//
//   state s_t        HAQ's 10 features (HaqFeatureTable) with the previous action a_{t−1}
//   action           a_t = μ(s_t) + truncated-normal noise N(0, σ_ep) on [0, 1]
//                    (warm-up episodes: a_t ~ U(0, 1));  bits = HaqBits(a_t)
//   reward           R = 0.1·(acc − acc_float), stored with every transition of the episode
//   critic target    y = (R − b) + γ (1 − d) Q'(s', μ'(s')),  γ = 1,  b the moving-average
//                    baseline b ← b + α (mean R of the batch − b)
//   critic loss      mean (Q(s, a) − y)²
//   actor loss       −mean Q(s, μ(s))       (deterministic policy gradient)
//   targets          θ' ← τ θ + (1 − τ) θ'
// μ's output is tanh mapped to [0, 1] by (1 + tanh)/2, i.e. HAQ's sigmoid of twice the
// pre-activation.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "autoq/search.h"
#include "nn/mlp.h"
#include "nn/precision.h"
#include "numerics/random.h"

namespace fixar::autoq {

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

int HaqBits(double action, int b_min, int b_max) {
  const double b = std::round((b_max - b_min + 1) * action + b_min - 0.5);
  return std::clamp(static_cast<int>(b), b_min, b_max);
}

bool HaqBudgetWall(const Evaluator& ev, Bits& bits, int b_min, bool keep_first_last) {
  const int L = static_cast<int>(bits.size());
  auto weight_fixed = [&](int l) { return keep_first_last && (l == 0 || l == L - 1); };
  auto activation_fixed = [&](int l) { return keep_first_last && l == L - 1; };
  while (!ev.InBudget(ev.Cost(bits))) {
    bool lowered = false;
    for (int l = L - 1; l >= 0; --l) {
      if (bits[l].activation_bits > b_min && !activation_fixed(l)) --bits[l].activation_bits, lowered = true;
      if (bits[l].weight_bits > b_min && !weight_fixed(l)) --bits[l].weight_bits, lowered = true;
      if (ev.InBudget(ev.Cost(bits))) return true;
    }
    if (!lowered) return false;
  }
  return true;
}

namespace {

constexpr int kStateSize = 10;

struct Transition {
  std::array<double, kStateSize> s{}, s_next{};
  double a = 0, r = 0;
  bool done = false;
};

}  // namespace

SearchResult RunHaqDdpgSearch(Evaluator& ev, const SearchOptions& o) {
  o.validate();
  const HaqDdpgConfig& c = o.ddpg;
  const auto t0 = std::chrono::steady_clock::now();
  const int L = ev.num_layers(), T = 2 * L, E = o.episodes;
  const int b_min = o.env.candidates.front(), b_max = o.env.candidates.back();
  const int warmup = c.warmup_episodes >= 0 ? c.warmup_episodes : std::max(2, (E * 20 + 300) / 600);
  // HAQ decays σ over its 580 post-warm-up episodes; stretch to ours so σ ends at the same value.
  const double decay_stretch = 580.0 / std::max(1, E - warmup);
  num::Random rng(o.seed);

  const nn::PrecisionPolicy f32 = nn::MakePrecision("float32");
  std::vector<int> a_sizes{kStateSize}, q_sizes{kStateSize + 1};
  a_sizes.insert(a_sizes.end(), c.hidden.begin(), c.hidden.end());
  q_sizes.insert(q_sizes.end(), c.hidden.begin(), c.hidden.end());
  a_sizes.push_back(1);
  q_sizes.push_back(1);
  const nn::MlpSpec actor_spec{.name = "haq.actor", .sizes = a_sizes, .hidden = nn::Activation::kRelu,
                               .output = nn::Activation::kTanh};
  const nn::MlpSpec critic_spec{.name = "haq.critic", .sizes = q_sizes, .hidden = nn::Activation::kRelu,
                                .output = nn::Activation::kNone};
  auto actor = nn::Mlp::Create(actor_spec, f32, o.seed * 4 + 1), actor_t = nn::Mlp::Create(actor_spec, f32, 0);
  auto critic = nn::Mlp::Create(critic_spec, f32, o.seed * 4 + 2), critic_t = nn::Mlp::Create(critic_spec, f32, 0);
  actor_t->CopyParametersFrom(*actor);
  critic_t->CopyParametersFrom(*critic);

  const auto table = HaqFeatureTable(ev.layers());
  std::vector<Transition> replay;
  const std::size_t capacity = static_cast<std::size_t>(c.replay_episodes) * T;
  std::size_t replay_next = 0;
  double baseline = 0;
  bool baseline_set = false;
  int over_budget_before_wall = 0;
  const double acc_float = ev.float_accuracy();

  auto mu = [&](nn::Mlp& net, std::span<const double> s) {
    double y = 0;
    net.Forward(s, 1, {&y, 1});
    return 0.5 * (1.0 + y);
  };

  // One DDPG update on a minibatch drawn with replacement.
  const int B = c.batch;
  std::vector<double> s(B * kStateSize), sa(B * (kStateSize + 1)), sa_next(B * (kStateSize + 1)), q(B), q_next(B),
      a_next(B), y(B), dq(B), dx(B * (kStateSize + 1)), a_out(B), d_a(B);
  auto update = [&]() {
    double mean_r = 0;
    std::vector<const Transition*> batch(B);
    for (int i = 0; i < B; ++i) {
      batch[i] = &replay[rng.below(static_cast<int>(replay.size()))];
      mean_r += batch[i]->r / B;
    }
    baseline = baseline_set ? baseline + c.moving_alpha * (mean_r - baseline) : mean_r;
    baseline_set = true;
    for (int i = 0; i < B; ++i) {
      const Transition& t = *batch[i];
      std::copy(t.s_next.begin(), t.s_next.end(), s.begin() + i * kStateSize);
    }
    actor_t->Forward(s, B, a_next);  // μ'(s') as tanh
    for (int i = 0; i < B; ++i) {
      const Transition& t = *batch[i];
      std::copy(t.s_next.begin(), t.s_next.end(), sa_next.begin() + i * (kStateSize + 1));
      sa_next[i * (kStateSize + 1) + kStateSize] = 0.5 * (1.0 + a_next[i]);
      std::copy(t.s.begin(), t.s.end(), sa.begin() + i * (kStateSize + 1));
      sa[i * (kStateSize + 1) + kStateSize] = t.a;
      std::copy(t.s.begin(), t.s.end(), s.begin() + i * kStateSize);
    }
    critic_t->Forward(sa_next, B, q_next);
    for (int i = 0; i < B; ++i)
      y[i] = (batch[i]->r - baseline) + c.gamma * (batch[i]->done ? 0.0 : q_next[i]);
    // Critic: L = mean (Q − y)², dL/dQ = 2 (Q − y) / B.
    critic->Forward(sa, B, q);
    for (int i = 0; i < B; ++i) dq[i] = 2.0 * (q[i] - y[i]) / B;
    critic->Backward(dq, {}, true);
    critic->AdamStep({.lr = c.critic_lr});
    // Actor: L = −mean Q(s, μ(s)); dL/dtanh = −(dQ/da)·½ / B.
    actor->Forward(s, B, a_out);
    for (int i = 0; i < B; ++i) sa[i * (kStateSize + 1) + kStateSize] = 0.5 * (1.0 + a_out[i]);
    critic->Forward(sa, B, q);
    std::fill(dq.begin(), dq.end(), 1.0);
    critic->Backward(dq, dx, /*param_grads=*/false);
    for (int i = 0; i < B; ++i) d_a[i] = -0.5 * dx[i * (kStateSize + 1) + kStateSize] / B;
    actor->Backward(d_a, {}, true);
    actor->AdamStep({.lr = c.actor_lr});
    actor_t->SoftUpdateFrom(*actor, c.tau);
    critic_t->SoftUpdateFrom(*critic, c.tau);
  };

  // One episode's actions and transitions (rewards still 0), and its bits after the wall.
  auto act = [&](int ep, std::vector<Transition>& episode) {
    const double sigma = c.noise_sigma * std::pow(c.noise_decay, std::max(0, ep - warmup) * decay_stretch);
    episode.assign(T, Transition{});
    Bits bits(L);
    double prev = 1.0;  // HAQ starts from "8 bits"
    for (int p = 0; p < T; ++p) {
      std::array<double, kStateSize> st = table[p];
      st[8] = prev;
      double a;
      if (ep < warmup) {
        a = rng.uniform01();
      } else {
        const double m = mu(*actor, st);
        a = -1;
        for (int tries = 0; tries < 100 && (a < 0 || a > 1); ++tries) a = m + sigma * rng.normal();
        a = std::clamp(a, 0.0, 1.0);
      }
      (p % 2 == 0 ? bits[p / 2].weight_bits : bits[p / 2].activation_bits) = HaqBits(a, b_min, b_max);
      episode[p].s = st;
      episode[p].a = a;
      prev = a;
      if (p > 0) episode[p - 1].s_next = st;
    }
    episode[T - 1].s_next = episode[T - 1].s;
    episode[T - 1].done = true;
    if (c.keep_first_last) {  // HAQ: the input is already 8-bit; first and last layers stay precise
      bits[0].weight_bits = 8;
      bits[L - 1] = {8, 8};
    }
    if (!ev.InBudget(ev.Cost(bits))) ++over_budget_before_wall;
    HaqBudgetWall(ev, bits, b_min, c.keep_first_last);
    return bits;
  };
  // The episode's reward into every transition, the replay buffer, and (after the warm-up)
  // T updates.
  auto learn = [&](int ep, std::vector<Transition>& episode, double reward) {
    for (Transition& t : episode) {
      t.r = reward;
      if (replay.size() < capacity) replay.push_back(t);
      else replay[replay_next] = t;
      replay_next = (replay_next + 1) % capacity;
    }
    if (ep >= warmup)
      for (int k = 0; k < T; ++k) update();
  };

  // Episodes 0 .. warmup act before any update (the warm-up's uniform actions, then the
  // initial actor), so none of their actions depends on a reward: they are measured as one
  // batch (concurrently with an MPI evaluator). Every later episode acts with the actor
  // updated on the one before: one at a time. The random stream is drawn in the same order
  // as episode by episode (learning draws nothing before episode `warmup`).
  for (int ep = 0; ep < E;) {
    const int end = ep == 0 ? std::min(E, warmup + 1) : ep + 1;
    std::vector<std::vector<Transition>> episodes(end - ep);
    std::vector<Evaluator::Request> requests;
    for (int k = ep; k < end; ++k) requests.push_back({act(k, episodes[k - ep]), true, k});
    const std::vector<int> records = ev.EvaluateBatch(requests);
    for (int k = ep; k < end; ++k) {
      Evaluation& e = ev.record(records[k - ep]);
      e.reward = 0.1 * (e.accuracy - acc_float);
      learn(k, episodes[k - ep], e.reward);
    }
    ep = end;
  }
  SearchResult r;
  r.agent = Agent::kDdpg;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.episodes = E;
  r.measurements = ev.measurements();
  r.cache_hits = ev.cache_hits();
  for (const Evaluation& x : ev.records()) r.measure_seconds += x.measure_seconds;
  r.over_budget = over_budget_before_wall;
  if (const Evaluation* best = ev.Best()) r.best = *best;
  return r;
}

}  // namespace fixar::autoq
