// HAQ's search (Wang et al., CVPR 2019) as its public code does it, on our harness: the
// DDPG agent (rl::HaqDdpg, its maths in rl/haq_ddpg.h) picks a continuous action per
// step, mapped to bits; the budget is enforced after the agent acted by the
// layer-by-layer wall; one reward per episode is given to every step.
//
//   state s_t        HAQ's 10 features (HaqFeatureTable) with the previous action a_{t−1}
//   action           a_t in [0, 1] from the agent;  bits = HaqBits(a_t)
//   reward           R = 0.1·(acc − acc_float) of the assignment after the wall
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <span>
#include <vector>

#include "autoq/search.h"
#include "rl/haq_ddpg.h"

namespace fixar::autoq {

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

// One episode of the agent: its states (T × kStateSize) and actions, to remember once the
// reward is known.
struct Episode {
  std::vector<double> states, actions;
};

// The agent walks the 2L steps (weights then activations of each layer); the bits after
// HAQ's fixed layers and the wall. Counts an assignment over budget before the wall.
Bits PlayEpisode(rl::HaqDdpg& agent, const Evaluator& ev, const std::vector<std::array<double, kStateSize>>& table,
                 const HaqSearchConfig& c, int b_min, int b_max, int ep, Episode& episode, int& over_budget) {
  const int L = ev.num_layers(), T = 2 * L;
  episode.states.assign(static_cast<std::size_t>(T) * kStateSize, 0.0);
  episode.actions.assign(T, 0.0);
  Bits bits(L);
  double prev = 1.0;  // HAQ starts from "8 bits"
  for (int p = 0; p < T; ++p) {
    const std::span<double> st(episode.states.data() + static_cast<std::size_t>(p) * kStateSize, kStateSize);
    std::copy(table[p].begin(), table[p].end(), st.begin());
    st[8] = prev;
    const double a = agent.Act(st, ep);
    (p % 2 == 0 ? bits[p / 2].weight_bits : bits[p / 2].activation_bits) = HaqBits(a, b_min, b_max);
    episode.actions[p] = a;
    prev = a;
  }
  if (c.keep_first_last) {  // HAQ: the input is already 8-bit; first and last layers stay precise
    bits[0].weight_bits = 8;
    bits[L - 1] = {8, 8};
  }
  if (!ev.InBudget(ev.Cost(bits))) ++over_budget;
  HaqBudgetWall(ev, bits, b_min, c.keep_first_last);
  return bits;
}

}  // namespace

SearchResult RunHaqDdpgSearch(Evaluator& ev, const SearchOptions& o) {
  o.validate();
  const HaqSearchConfig& c = o.ddpg;
  const auto t0 = std::chrono::steady_clock::now();
  const int T = 2 * ev.num_layers(), E = o.episodes;
  const int b_min = o.env.candidates.front(), b_max = o.env.candidates.back();
  rl::HaqDdpg agent(c, {.state_dim = kStateSize, .episode_steps = T, .episodes = E}, o.seed);
  const int warmup = agent.warmup_episodes();
  const auto table = HaqFeatureTable(ev.layers());
  const double acc_float = ev.float_accuracy();
  int over_budget_before_wall = 0;

  // Episodes 0 .. warmup act before any update (the warm-up's uniform actions, then the
  // initial actor), so none of their actions depends on a reward: they are measured as one
  // batch (concurrently with an MPI evaluator). Every later episode acts with the actor
  // updated on the one before: one at a time. The agent's random stream is drawn in the
  // same order as episode by episode (learning draws nothing before episode `warmup`).
  for (int ep = 0; ep < E;) {
    const int end = ep == 0 ? std::min(E, warmup + 1) : ep + 1;
    std::vector<Episode> episodes(end - ep);
    std::vector<Evaluator::Request> requests;
    for (int k = ep; k < end; ++k)
      requests.push_back(
          {PlayEpisode(agent, ev, table, c, b_min, b_max, k, episodes[k - ep], over_budget_before_wall), true, k});
    const std::vector<int> records = ev.EvaluateBatch(requests);
    for (int k = ep; k < end; ++k) {
      Evaluation& e = ev.record(records[k - ep]);
      e.reward = 0.1 * (e.accuracy - acc_float);
      agent.RememberEpisode(episodes[k - ep].states, episodes[k - ep].actions, e.reward);
      if (k >= warmup)  // one update per step of the episode
        for (int u = 0; u < T; ++u) agent.Update();
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
