// The search agents, all in the same harness (one Evaluator each, same target, same
// cost model, same budget), so their accuracy, cost, wall time and evaluation counts
// compare directly (docs/autoq.md):
//   ppo      PPO over discrete bit widths on BitSearchEnv; the reward (SearchReward)
//            teaches the budget, nothing corrects the actions.
//   ddpg     HAQ (Wang et al. 2019) as its public code does it: continuous action ->
//            bits, the budget wall from the last layer, first layer weights and the last
//            layer at 8 bits, reward 0.1·(acc − acc_float) (haq_search.cpp, the agent
//            rl/haq_ddpg.h).
//   random   uniform random bits per step; over-budget draws are rejected before any
//            accuracy is measured; `episodes` counts measured assignments.
//   uniform  coarse-grained: every candidate width b as w = a = b for all layers; the
//            best one within the budget.
//   sensitivity  no RL: every layer's accuracy drop at every allowed (w, a) with the other
//            layers at 8/8, measured once, then the budgeted choice minimising the summed
//            drops solved exactly (multiple-choice knapsack), then measured (sensitivity.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rl/haq_ddpg.h"
#include "rl/ppo.h"
#include "autoq/search_env.h"
#include "autoq/sensitivity.h"

namespace fixar::autoq {

enum class Agent { kPpo, kDdpg, kRandom, kUniform, kSensitivity };
const char* to_string(Agent a);  // ppo, ddpg, random, uniform, sensitivity
// Every agent, in the order of `--agent all`.
std::vector<Agent> AllAgents();
Agent ParseAgent(const std::string& name, const std::string& where);  // throws listing the valid names

// HAQ's search: its DDPG agent's hyperparameters (rl/haq_ddpg.h) and HAQ's rule for the
// first and last layers.
struct HaqSearchConfig : rl::HaqDdpgConfig {
  bool keep_first_last = true;    // first layer weight bits and last layer 8/8 fixed at 8
};

struct SearchOptions {
  Agent agent = Agent::kPpo;
  int episodes = 200;             // ppo, ddpg: episodes; random: measured assignments;
                                  // sensitivity: unused (its probes are fixed by the layers)
  std::uint64_t seed = 1;
  SearchEnvConfig env{};          // candidates and the PPO reward
  int ppo_episodes_per_update = 4;  // 4 beat 8 on the synthetic target (docs/autoq.md)
  rl::PpoConfig ppo = DefaultSearchPpoConfig();  // total_timesteps/num_steps are set from the above
  HaqSearchConfig ddpg{};
  SensitivityConfig sensitivity{};
  static rl::PpoConfig DefaultSearchPpoConfig();
  void validate() const;
};

struct SearchResult {
  Agent agent = Agent::kPpo;
  std::optional<Evaluation> best;  // best measured in-budget assignment
  double wall_seconds = 0;         // the whole search: agent updates and measurements
  double measure_seconds = 0;      // of which spent measuring accuracy
  int episodes = 0;                // episodes (or samples) the agent played
  std::int64_t measurements = 0;   // accuracy measurements (cache misses)
  std::int64_t cache_hits = 0;
  int over_budget = 0;             // assignments priced over the budget (ddpg: before the wall;
                                   // sensitivity: its probes are not counted, they are off-budget by design)
  std::vector<rl::PpoLog> ppo_log;     // ppo only
  std::optional<SensitivityOutcome> sensitivity;  // sensitivity only: the table and the solve
};

// Runs options.agent on `evaluator` (fresh: its records become this search's records).
SearchResult RunSearch(Evaluator& evaluator, const SearchOptions& options);

SearchResult RunPpoSearch(Evaluator& evaluator, const SearchOptions& options);
SearchResult RunHaqDdpgSearch(Evaluator& evaluator, const SearchOptions& options);
SearchResult RunRandomSearch(Evaluator& evaluator, const SearchOptions& options);
SearchResult RunUniformSearch(Evaluator& evaluator, const SearchOptions& options);
// sensitivity.cpp. Deterministic: the seed is not used.
SearchResult RunSensitivitySearch(Evaluator& evaluator, const SearchOptions& options);
// Counts, times and the best measured in-budget record of a finished search on `evaluator`.
SearchResult SummarizeSearch(Agent agent, const Evaluator& evaluator, int episodes,
                             std::chrono::steady_clock::time_point start);

// HAQ's map from a continuous action a in [0, 1] to bits:
//   round((b_max − b_min + 1)·a + b_min − 0.5), clamped to [b_min, b_max].
int HaqBits(double action, int b_min, int b_max);
// HAQ's budget wall: while over budget, walk the layers from the last, lowering the
// activation bits by 1 then the weight bits by 1 (not below b_min; fixed layers stay at
// 8 when keep_first_last), re-checking after each layer. Returns false when even the
// lowest widths cannot meet the budget (bits are then at their lowest).
bool HaqBudgetWall(const Evaluator& evaluator, Bits& bits, int b_min, bool keep_first_last);

}  // namespace fixar::autoq
