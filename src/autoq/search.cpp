// The PPO, random and uniform searches, and the dispatcher (HAQ's DDPG is haq_search.cpp).
#include "autoq/search.h"
#include "numerics/random.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <fmt/format.h>


namespace fixar::autoq {

const char* to_string(Agent a) {
  switch (a) {
    case Agent::kPpo: return "ppo";
    case Agent::kDdpg: return "ddpg";
    case Agent::kRandom: return "random";
    case Agent::kUniform: return "uniform";
    case Agent::kSensitivity: return "sensitivity";
  }
  return "?";
}

std::vector<Agent> AllAgents() {
  return {Agent::kPpo, Agent::kDdpg, Agent::kRandom, Agent::kUniform, Agent::kSensitivity};
}

Agent ParseAgent(const std::string& name, const std::string& where) {
  for (Agent a : AllAgents())
    if (name == to_string(a)) return a;
  throw std::invalid_argument(
      fmt::format("{}: agent '{}' is unknown; valid: ppo, ddpg, random, uniform, sensitivity", where, name));
}

// PPO for a short, sparse-reward episodic task: γ = 1 (the reward comes once, at the end
// of a fixed-length episode), a small network, entropy bonus for exploration over the
// few hundred episodes a search affords, a fresh rollout every few episodes.
rl::PpoConfig SearchOptions::DefaultSearchPpoConfig() {
  rl::PpoConfig c;
  c.gamma = 1.0;
  c.gae_lambda = 0.95;
  c.learning_rate = 1e-3;
  c.anneal_lr = false;
  c.num_minibatches = 4;
  c.update_epochs = 8;
  c.ent_coef = 0.01;  // 0.03 measured the same (docs/autoq.md)
  c.clip_coef = 0.2;
  c.clip_vloss = false;  // rewards span ~10 units; ±0.2 value clipping would stall the critic
  c.hidden = {64, 64};
  return c;
}

void SearchOptions::validate() const {
  if (episodes < 1) throw std::invalid_argument(fmt::format("search episodes = {}; valid: >= 1", episodes));
  if (ppo_episodes_per_update < 1)
    throw std::invalid_argument(fmt::format("ppo episodes per update = {}; valid: >= 1", ppo_episodes_per_update));
  env.validate();
  ddpg.validate();
  sensitivity.validate();
}

SearchResult SummarizeSearch(Agent agent, const Evaluator& ev, int episodes, std::chrono::steady_clock::time_point t0) {
  SearchResult r;
  r.agent = agent;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.episodes = episodes;
  r.measurements = ev.measurements();
  r.cache_hits = ev.cache_hits();
  for (const Evaluation& e : ev.records()) {
    r.measure_seconds += e.measure_seconds;
    if (!e.in_budget) ++r.over_budget;
  }
  if (const Evaluation* best = ev.Best()) r.best = *best;
  return r;
}

SearchResult RunPpoSearch(Evaluator& ev, const SearchOptions& o) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  const int steps_per_episode = 2 * ev.num_layers();
  rl::PpoConfig c = o.ppo;
  c.seed = o.seed;
  c.num_envs = 1;
  c.num_steps = o.ppo_episodes_per_update * steps_per_episode;
  c.num_minibatches = std::min(c.num_minibatches, c.num_steps);
  c.total_timesteps = static_cast<std::int64_t>(o.episodes) * steps_per_episode;
  c.normalize_observation = false;  // the features are normalised already
  c.normalize_reward = false;       // SearchReward is scaled by design
  // The env made last is the one PPO trains on (one copy; Ppo::Evaluate is not called here).
  // Its episodes' rewards are deferred to the end of each rollout: an update's episodes
  // are measured as one batch (concurrently with an MPI evaluator), and the rollout, the
  // rewards and so the search are the same as measuring each episode at its end.
  BitSearchEnv* env = nullptr;
  rl::Ppo ppo(c, [&]() {
    auto e = std::make_unique<BitSearchEnv>(ev, o.env);
    e->set_deferred_rewards(true);
    env = e.get();
    return e;
  });
  ppo.Train({}, [&] { return env->SettleEpisodes(); });
  SearchResult r = SummarizeSearch(Agent::kPpo, ev, env->episodes(), t0);
  r.ppo_log = ppo.history();
  return r;
}

SearchResult RunRandomSearch(Evaluator& ev, const SearchOptions& o) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  num::Random rng(o.seed);
  const auto& cand = o.env.candidates;
  const std::int64_t max_draws = std::int64_t{10'000} * o.episodes;  // give up on an unreachable budget
  int measured = 0, draws = 0;
  Bits bits(ev.num_layers());
  // The draws do not depend on accuracies: draw them all, then measure the feasible ones
  // as one batch (concurrently with an MPI evaluator), in draw order.
  std::vector<Evaluator::Request> feasible;
  while (measured < o.episodes && draws < max_draws) {
    for (auto& b : bits) {
      b.weight_bits = cand[rng.below(static_cast<int>(cand.size()))];
      b.activation_bits = cand[rng.below(static_cast<int>(cand.size()))];
    }
    // Only feasible draws are recorded and measured: rejection costs nothing but pricing.
    if (ev.InBudget(ev.Cost(bits))) feasible.push_back({bits, true, measured++});
    ++draws;
  }
  for (int i : ev.EvaluateBatch(feasible)) {
    Evaluation& e = ev.record(i);
    e.reward = SearchReward(o.env.reward, e.accuracy, ev.float_accuracy(), e.cost_ratio, ev.budget());
  }
  SearchResult r = SummarizeSearch(Agent::kRandom, ev, measured, t0);
  r.over_budget = draws - measured;
  return r;
}

SearchResult RunUniformSearch(Evaluator& ev, const SearchOptions& o) {
  o.validate();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<Evaluator::Request> requests;  // all at once: one batch
  for (int b : o.env.candidates) {
    const Bits bits(ev.num_layers(), layers::LayerBits{b, b});
    requests.push_back({bits, ev.InBudget(ev.Cost(bits)), static_cast<int>(requests.size())});
  }
  for (int i : ev.EvaluateBatch(requests)) {
    Evaluation& e = ev.record(i);
    e.reward = SearchReward(o.env.reward, e.in_budget ? e.accuracy : 0.0, ev.float_accuracy(), e.cost_ratio,
                            ev.budget());
  }
  return SummarizeSearch(Agent::kUniform, ev, static_cast<int>(requests.size()), t0);
}

SearchResult RunSearch(Evaluator& ev, const SearchOptions& o) {
  switch (o.agent) {
    case Agent::kPpo: return RunPpoSearch(ev, o);
    case Agent::kDdpg: return RunHaqDdpgSearch(ev, o);
    case Agent::kRandom: return RunRandomSearch(ev, o);
    case Agent::kUniform: return RunUniformSearch(ev, o);
    case Agent::kSensitivity: return RunSensitivitySearch(ev, o);
  }
  throw std::invalid_argument("RunSearch: unknown agent");
}

}  // namespace fixar::autoq
